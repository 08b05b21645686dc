//! Who is asking. The one place handlers get an identity from.
//!
//! Sessions come with the web-UI issue: at login they will put a [`Caller`] into the
//! request's extensions. Until then nothing does, so every endpoint that needs a caller
//! answers 401 — there is deliberately no header or query parameter that names a user.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};

use crate::domain::access::Caller;
use crate::error::{AppError, ErrorKind};

/// The authenticated caller of a request (401 when there is none).
#[derive(Debug, Clone)]
pub struct Authenticated(pub Caller);

impl FromRequest for Authenticated {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = request.extensions().get::<Caller>().cloned();
        ready(
            caller
                .map(Authenticated)
                .ok_or_else(|| AppError::new(ErrorKind::Unauthenticated, "ログインが必要です")),
        )
    }
}
