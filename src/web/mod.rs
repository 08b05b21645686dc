//! HTTP: pages and the JSON API. Handlers parse input, load facts through `db`, ask `domain`,
//! and hand results back to `db`; they hold no rules and no SQL.

pub mod errors;
pub mod health;
pub mod request_id;

use actix_web::web;

use crate::db::Pool;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub backend: &'static str,
}

/// Registers every route; the server and the in-process tests share it.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .app_data(web::Data::new(state))
            .service(health::healthz)
            .service(health::readyz);
    }
}
