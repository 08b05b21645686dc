//! The JSON API under `/api/v1`.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, post, web};

use super::AppState;
use crate::contract::{evaluate_request, read_request, text_of};
use crate::db;
use crate::error::{AppError, AppResult};

/// The evaluation contract of DESIGN.md: a request in, the decision out (422 with field
/// errors for invalid input). The ledger is read afresh so that an import or an award decided
/// a moment ago counts at once.
#[utoipa::path(post, path = "/api/v1/evaluate", tag = "evaluation",
    request_body(content = crate::contract::request::Request, description = "評価契約の申請（docs/DESIGN.md）。`all_frames: true` で全枠を比較（答えは {fiscal_year, decisions: [判定結果…], best_frame}）"),
    responses((status = 200, description = "判定結果", content(
                (crate::contract::decision::StoredDecision = "application/json"),
              )),
              (status = 422, description = "項目ごとのエラー {\"errors\": {path: [{code, message}]}}")))]
#[post("/api/v1/evaluate")]
pub async fn evaluate(state: web::Data<AppState>, body: web::Bytes) -> AppResult<HttpResponse> {
    let pool = state.pool.clone();
    let programs = state.programs.clone();
    let decision = web::block(move || -> AppResult<Vec<u8>> {
        // Bad input is refused before the ledger is loaded.
        let request =
            read_request(text_of(&body).map_err(AppError::invalid)?).map_err(AppError::invalid)?;
        let mut connection = pool.get()?;
        let ledger = db::awards::load_ledger(&mut connection)?;
        let mut out = Vec::with_capacity(4096);
        evaluate_request(&request, &programs, &ledger, false, &mut out)
            .map_err(AppError::invalid)?;
        Ok(out)
    })
    .await
    .map_err(|error| AppError::internal("判定を実行できません").with_cause(error))??;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(decision))
}
