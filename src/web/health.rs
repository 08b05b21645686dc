//! Liveness and readiness.

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::AppState;
use crate::db;

/// Answers 200 only when the database answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "稼働中"), (status = 503, description = "データベースが応答しません")))]
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    match web::block(move || db::ping(&pool)).await {
        Ok(Ok(backend)) => HttpResponse::Ok().json(json!({ "status": "ok", "database": backend })),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "health check: database does not answer");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "database": state.backend }))
        }
        Err(_) => HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable" })),
    }
}

/// Answers 200 once start-up is complete: migrations applied, rules loaded.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "準備完了")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ready",
        "database": state.backend,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}
