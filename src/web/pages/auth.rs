//! Login and logout pages. The password check and the session are the JSON API's
//! (`web::auth::authenticate`, `start_session`): one way in.

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;

use super::{Page, PageError, PageForm, PageResult, csrf_token, home_of, html, redirect};
use crate::error::ErrorKind;
use crate::web::AppState;
use crate::web::auth::{Caller, TOO_MANY_ATTEMPTS, authenticate, client_address, start_session};

/// `/`: the person's home page, or the login page.
#[get("/")]
pub async fn root(caller: Option<Caller>) -> HttpResponse {
    match caller {
        Some(caller) => redirect(home_of(caller.actor.role)),
        None => redirect("/login"),
    }
}

#[derive(Serialize)]
struct LoginView {
    email: String,
    error: Option<&'static str>,
}

fn login_form(session: &Session, status: StatusCode, view: LoginView) -> PageResult {
    let page = Page {
        title: "ログイン".to_owned(),
        user: None,
        csrf: csrf_token(session)?,
        nav: Vec::new(),
        flash: super::take_flash(session),
        page: view,
    };
    let body = super::render_html("login", &page)?;
    html(status, body)
}

#[get("/login")]
pub async fn login_page(session: Session, caller: Option<Caller>) -> PageResult {
    if let Some(caller) = caller {
        return Ok(redirect(home_of(caller.actor.role)));
    }
    login_form(
        &session,
        StatusCode::OK,
        LoginView {
            email: String::new(),
            error: None,
        },
    )
}

#[post("/login")]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: Session,
    form: PageForm,
) -> Result<HttpResponse, PageError> {
    let email = form.text("email");
    let password = form.get("password").unwrap_or_default().to_owned();
    let address = client_address(&request, state.security.trust_forwarded_for);
    match authenticate(&state, email.clone(), password, address).await {
        Ok(user) => {
            start_session(&session, user.id)?;
            // A fresh CSRF token with the fresh session.
            session.remove(super::CSRF);
            let role = user
                .role
                .parse()
                .map_err(crate::error::AppError::internal)?;
            Ok(redirect(home_of(role)))
        }
        Err(error) => {
            let (status, message) = match error.kind {
                ErrorKind::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, TOO_MANY_ATTEMPTS),
                ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, BUSY),
                ErrorKind::Unauthenticated => (
                    StatusCode::UNAUTHORIZED,
                    "メールアドレスまたはパスワードが正しくありません。",
                ),
                _ => return Err(error.into()),
            };
            let mut response = login_form(
                &session,
                status,
                LoginView {
                    email,
                    error: Some(message),
                },
            )?;
            if let Some(seconds) = error.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            }
            Ok(response)
        }
    }
}

/// What the login page says when no password thread freed up in time.
const BUSY: &str = "ただいま混み合っています。しばらくしてからもう一度お試しください。";

/// Logs out: the session ends on the server, so its cookie opens nothing afterwards.
#[post("/logout")]
pub async fn logout(session: Session, _form: PageForm) -> HttpResponse {
    session.purge();
    redirect("/login")
}
