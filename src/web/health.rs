//! Liveness and readiness.

use actix_web::{HttpResponse, get, web};

use super::AppState;
use super::views::Health;
use crate::db;

/// Answers 200 only when the database answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "稼働中", body = Health), (status = 503, description = "データベースが応答しません")))]
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    match web::block(move || db::ping(&pool)).await {
        Ok(Ok(backend)) => HttpResponse::Ok().json(health("ok", Some(backend), None)),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "health check: database does not answer");
            HttpResponse::ServiceUnavailable().json(health(
                "unavailable",
                Some(state.backend),
                None,
            ))
        }
        Err(_) => HttpResponse::ServiceUnavailable().json(health("unavailable", None, None)),
    }
}

/// Answers 200 once start-up is complete: migrations applied, rules loaded.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "準備完了", body = Health)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(health(
        "ready",
        Some(state.backend),
        Some(env!("CARGO_PKG_VERSION")),
    ))
}

fn health(status: &str, database: Option<&str>, version: Option<&str>) -> Health {
    Health {
        status: status.to_owned(),
        database: database.map(str::to_owned),
        version: version.map(str::to_owned),
    }
}
