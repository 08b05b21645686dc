//! What handlers take besides their input: [`Db`], the database and the programme definitions
//! for blocking work; [`Named`], the record the path names and who asks about it; and
//! [`Then`], two extractors in order. The caller is
//! [`Caller`](super::auth::Caller) (and, for pages, [`PageCaller`](super::pages::PageCaller)).

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::auth::Caller;
use super::{AppState, blocking};
use crate::actions::{self, ActionOutcome, ActionRequest};
use crate::clock::Clock;
use crate::db::applications::Aggregate;
use crate::db::{DbConnection, Pool};
use crate::domain::program::ProgramSet;
use crate::domain::workflow::{Action, Actor};
use crate::error::{AppError, AppResult};

/// The database pool and the programme definitions: a handler's blocking work goes through
/// [`Db::run`], which takes one connection off the async threads.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    programs: Arc<ProgramSet>,
    clock: Clock,
}

impl Db {
    /// The programme definitions, for work that needs no database.
    pub fn programs(&self) -> &ProgramSet {
        &self.programs
    }

    /// Today in Japan, by the application's clock: the day workflow actions are dated.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// Runs `work` on a blocking thread with a connection from the pool (503 when none can
    /// be had) and the programme definitions.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut DbConnection, &ProgramSet) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let pool = self.pool.clone();
        let programs = self.programs.clone();
        blocking(move || {
            let mut conn = pool.get()?;
            work(&mut conn, &programs)
        })
        .await
    }

    /// `work` on the application the path names, once its caller may take `action` on it
    /// (`actions::authorized_aggregate`: 404 when there is none, 403 when not theirs): the
    /// prologue of every API read about one application.
    pub async fn on_application<T: Send + 'static>(
        &self,
        on: Named<Caller>,
        action: Action,
        work: impl FnOnce(&mut DbConnection, &ProgramSet, Aggregate) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let (id, actor) = (on.id, on.caller.actor);
        self.run(move |conn, programs| {
            let aggregate = actions::authorized_aggregate(conn, &actor, id, action)?;
            work(conn, programs, aggregate)
        })
        .await
    }

    /// A workflow action on an application, dated today in Japan: the API's and the pages'
    /// buttons run the same use case.
    pub async fn perform(
        &self,
        actor: Actor,
        id: i64,
        action: Action,
        request: ActionRequest,
    ) -> AppResult<ActionOutcome> {
        let today = self.today();
        self.run(move |conn, programs| {
            actions::perform(conn, programs, &actor, id, action, &request, today)
        })
        .await
    }
}

impl FromRequest for Db {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The same refusal as a `web::Data<AppState>` parameter when the state is missing.
        ready(
            web::Data::<AppState>::extract(request)
                .into_inner()
                .map(|state| Db {
                    pool: state.pool.clone(),
                    programs: state.programs.clone(),
                    clock: state.clock,
                }),
        )
    }
}

/// The record a request's path names by its `{id}` (an application, an import, a job), and
/// who asks about it: [`Caller`](super::auth::Caller) for the API,
/// [`PageCaller`](super::pages::PageCaller) for pages, each refusing in its own way. An id
/// that is not a number is 404, as with `web::Path<i64>`.
pub struct Named<C> {
    pub id: i64,
    pub caller: C,
}

impl<C> FromRequest for Named<C>
where
    C: FromRequest + 'static,
    C::Error: From<AppError>,
{
    type Error = C::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let id = request
            .match_info()
            .get("id")
            .and_then(|id| id.parse().ok());
        let caller = C::from_request(request, payload);
        Box::pin(async move {
            let id = id.ok_or_else(|| AppError::not_found("ページが見つかりません"))?;
            Ok(Named {
                id,
                caller: caller.await?,
            })
        })
    }
}

/// `A`, read in full, and only then `B`. actix polls a handler's extractors together and
/// answers the first that fails, and the server polls a handler once before its body has
/// arrived: a [`Caller`](super::auth::Caller) beside a body would refuse an anonymous request
/// (401, or the login page) before the body could be refused. `Then(body, caller)` keeps the
/// body first: a malformed body (422) or a form without its CSRF token (403) is refused as
/// such, logged in or not, and no one is looked up for it.
pub struct Then<A, B>(pub A, pub B);

impl<A, B> FromRequest for Then<A, B>
where
    A: FromRequest + 'static,
    B: FromRequest + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let first = A::from_request(request, payload);
        let request = request.clone();
        Box::pin(async move {
            let a = first.await.map_err(Into::into)?;
            // The body is `A`'s: `B` reads only the request.
            let b = B::from_request(&request, &mut Payload::None)
                .await
                .map_err(Into::into)?;
            Ok(Then(a, b))
        })
    }
}
