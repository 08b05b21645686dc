//! HTTP: pages and the JSON API. Handlers parse input, load facts through `db`, ask `domain`,
//! and hand results back to `db`; they hold no rules and no SQL.

pub mod api;
pub mod applications;
pub mod auth;
pub mod errors;
pub mod extract;
pub mod filings;
pub mod health;
pub mod openapi;
pub mod pages;
pub mod reminders;
pub mod request_id;
pub mod sessions;
pub mod views;

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::middleware::DefaultHeaders;
use actix_web::web;

use crate::db::Pool;
use crate::domain::program::ProgramSet;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub backend: &'static str,
    /// The programme definitions, loaded and checked at start-up.
    pub programs: Arc<ProgramSet>,
    /// The configured Japanese font for PDFs (`pdf_font_path`); `None` finds one on the system.
    pub pdf_font_path: Option<PathBuf>,
    /// Password hashing, login limits and session lifetimes.
    pub security: auth::Security,
    /// "Today" for workflow actions (the system clock in Japan outside tests).
    pub clock: crate::clock::Clock,
}

/// Registers every route; the server and the in-process tests share it.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .app_data(web::Data::new(state))
            .service(health::healthz)
            .app_data(web::PayloadConfig::new(1 << 20))
            .app_data(json_config())
            .service(health::readyz)
            .service(api::evaluate)
            .service(auth::login)
            .service(auth::logout)
            .service(auth::me)
            .service(applications::list)
            .service(applications::create)
            .service(applications::show)
            .service(applications::update)
            .service(applications::act)
            .service(applications::review_line)
            .service(applications::audit_trail)
            .service(applications::history)
            .service(applications::changes)
            .service(applications::interim_report)
            .service(applications::continuation_kpi)
            .service(filings::list)
            .service(filings::download)
            .service(reminders::sent_log)
            .service(reminders::dead_letters)
            .service(reminders::retry)
            .service(reminders::my_notifications)
            .service(reminders::set_my_notifications)
            .service(reminders::calendar)
            .service(openapi::swagger_ui())
            .configure(pages::configure)
            .default_service(web::to(pages::not_found));
    }
}

/// The Content-Security-Policy of every response: scripts, styles and images from this
/// origin only (no inline script, no `<style>` or `style=` of ours; the pages' JavaScript is
/// in `/static/`), never framed, forms post back here only.
///
/// The Swagger UI (`/api/docs/`) lives under the same policy: its page loads only files of its
/// own under that path and runs no inline script. What it needs beyond that is `data:` images
/// (its icons) and one inline `<style>` that its bundle writes into the logo's SVG,
/// `.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}`, allowed by its
/// SHA-256 and nothing else (without it the logo is drawn black and the browser reports a
/// violation on every visit). A later Swagger UI with another logo only loses those colours.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
     img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; \
     object-src 'none'";

/// The security headers of every response (pages, API, static files, errors and 404s): the
/// server wraps the whole app in it ([`crate::startup::Application::build`]). A header a
/// handler sets itself is kept.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Content-Type-Options", "nosniff"))
}

/// JSON bodies: 1 MiB at most; a body that is not the expected JSON (wrong content type,
/// malformed, unknown or missing fields) is a 422 with a field error, never a 500.
fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(1 << 20)
        .error_handler(|error, _request| {
            use crate::domain::validation::{ErrorCode, FieldErrors};
            let mut errors = FieldErrors::new();
            let (code, message) = match &error {
                actix_web::error::JsonPayloadError::ContentType => (
                    ErrorCode::InvalidType,
                    "Content-Type は application/json にしてください".to_owned(),
                ),
                actix_web::error::JsonPayloadError::Deserialize(inner) => (
                    ErrorCode::InvalidJson,
                    format!("JSON の内容が正しくありません: {inner}"),
                ),
                other => (
                    ErrorCode::InvalidJson,
                    format!("JSON として読めません: {other}"),
                ),
            };
            errors.add("", code, message);
            crate::error::AppError::invalid(errors).into()
        })
}

/// Runs blocking work off the async threads (database work goes through
/// [`extract::Db::run`]).
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> crate::error::AppResult<T> + Send + 'static,
) -> crate::error::AppResult<T> {
    web::block(work).await.map_err(|error| {
        crate::error::AppError::internal("処理を実行できません").with_cause(error)
    })?
}
