//! PDF filings of an application: the list of downloads and each PDF.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::AppState;
use super::auth::Authenticated;
use crate::db;
use crate::domain::access::{ApplicationScope, may_view_application};
use crate::error::{AppError, AppResult};
use crate::pdf::{self, FilingForms, FilingKind, PdfFont};

fn forms() -> AppResult<FilingForms> {
    FilingForms::embedded().map_err(|error| AppError::internal(format!("書類定義の誤り: {error}")))
}

/// Loads the application and checks that the caller may see it (the rule is
/// `domain::access::may_view_application`).
fn authorised(
    conn: &mut db::DbConnection,
    caller: &crate::domain::access::Caller,
    id: i64,
) -> AppResult<db::aggregate::ApplicationAggregate> {
    let application = db::aggregate::load_application(conn, id)?;
    let members = application.member_ids();
    let scope = ApplicationScope {
        member_organisation_ids: &members,
        municipality_id: application.municipality_id,
    };
    if may_view_application(caller, &scope) {
        Ok(application)
    } else {
        Err(AppError::forbidden())
    }
}

/// The filings of an application, with their titles and download links (for the pages).
#[get("/api/v1/applications/{id}/filings")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let pool = state.pool.clone();
    web::block(move || -> AppResult<()> {
        let mut conn = pool.get()?;
        authorised(&mut conn, &caller.0, id).map(|_| ())
    })
    .await
    .map_err(|error| AppError::internal("申請を読めません").with_cause(error))??;
    let forms = forms()?;
    let filings: Vec<_> = FilingKind::ALL
        .iter()
        .map(|kind| {
            json!({
                "kind": kind.code(),
                "title": forms.title(*kind),
                "href": format!("/api/v1/applications/{id}/filings/{}.pdf", kind.code()),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "application_id": id, "filings": filings })))
}

/// One filing as a PDF. Characters the font cannot draw are shown as 〓 and listed in the
/// `X-Hojokin-Missing-Glyphs` header; `X-Hojokin-Data-Hash` is the number in the footer.
#[get("/api/v1/applications/{id}/filings/{kind}.pdf")]
pub async fn download(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let (id, kind) = path.into_inner();
    let kind: FilingKind = kind.parse().map_err(AppError::not_found)?;
    let pool = state.pool.clone();
    let programs = state.programs.clone();
    let font_path = state.pdf_font_path.clone();
    let rendered = web::block(move || -> AppResult<pdf::RenderedFiling> {
        let font = PdfFont::shared(font_path.as_deref())?;
        let mut conn = pool.get()?;
        authorised(&mut conn, &caller.0, id)?;
        let today = pdf::today_in_japan();
        let data = pdf::load_filing_data(&mut conn, &programs, id, today)?;
        pdf::render_filing(kind, &data, &forms()?, today, &font)
    })
    .await
    .map_err(|error| AppError::internal("書類を作成できません").with_cause(error))??;
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/pdf")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(rendered.file_name.clone())],
        })
        .insert_header(("X-Hojokin-Data-Hash", rendered.data_hash.clone()))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    if !rendered.missing_glyphs.is_empty() {
        let codes: Vec<String> = rendered
            .missing_glyphs
            .iter()
            .map(|c| format!("U+{:04X}", u32::from(*c)))
            .collect();
        response.insert_header(("X-Hojokin-Missing-Glyphs", codes.join(" ")));
    }
    Ok(response.body(rendered.bytes))
}
