//! HTTP: pages and the JSON API. Handlers parse input, load facts through `db`, ask `domain`,
//! and hand results back to `db`; they hold no rules and no SQL.

pub mod api;
pub mod auth;
pub mod errors;
pub mod filings;
pub mod health;
pub mod request_id;

use std::path::PathBuf;
use std::sync::Arc;

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
}

/// Registers every route; the server and the in-process tests share it.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .app_data(web::Data::new(state))
            .service(health::healthz)
            .app_data(web::PayloadConfig::new(1 << 20))
            .service(health::readyz)
            .service(api::evaluate)
            .service(filings::list)
            .service(filings::download);
    }
}
