//! PDF filings of an application: the list of downloads and each PDF.

use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpResponse, get, web};

use super::auth::Caller;
use super::extract::{Db, Named};
use super::views::{FilingLink, FilingList};
use super::{AppState, blocking};
use crate::domain::workflow::Action;
use crate::error::{AppError, AppResult};
use crate::pdf::{self, FilingForms, FilingKind, PdfFont};

fn forms() -> AppResult<FilingForms> {
    FilingForms::embedded().map_err(|error| AppError::internal(format!("書類定義の誤り: {error}")))
}

/// The filings of an application, with their titles and download links (for the pages).
#[utoipa::path(get, path = "/api/v1/applications/{id}/filings", tag = "filings", params(("id" = i64, Path, description = "申請 ID")),
    responses((status = 200, description = "書類の一覧とダウンロード先", body = FilingList), (status = 401, description = "未ログイン"), (status = 403, description = "権限なし")))]
#[get("/api/v1/applications/{id}/filings")]
pub async fn list(db: Db, on: Named<Caller>) -> AppResult<HttpResponse> {
    let id = on.id;
    let kinds = db
        .on_application(on, Action::View, |conn, _, aggregate| {
            let milestones = crate::actions::filings::milestones(conn, &aggregate)?;
            Ok(crate::actions::filings::available_filings(&milestones))
        })
        .await?;
    let forms = forms()?;
    let filings = kinds
        .iter()
        .map(|kind| FilingLink {
            kind: kind.code().to_owned(),
            title: forms.title(*kind).to_owned(),
            href: format!("/api/v1/applications/{id}/filings/{}.pdf", kind.code()),
        })
        .collect();
    Ok(HttpResponse::Ok().json(FilingList {
        application_id: id,
        filings,
    }))
}

/// One filing as a PDF. Characters the font cannot draw are shown as 〓 and listed in the
/// `X-Hojokin-Missing-Glyphs` header; `X-Hojokin-Data-Hash` is the number in the footer.
#[utoipa::path(get, path = "/api/v1/applications/{id}/filings/{kind}.pdf", tag = "filings",
    params(("id" = i64, Path, description = "申請 ID"),
           ("kind" = String, Path, description = "application, budget, decision, grant_request, interim_report, completion_report, grant_decision_notice, amount_confirmation_notice")),
    responses((status = 200, description = "PDF（X-Hojokin-Data-Hash はフッターの照合番号）", content_type = "application/pdf"),
              (status = 401, description = "未ログイン"), (status = 403, description = "権限なし"), (status = 404, description = "書類の種類がない")))]
#[get("/api/v1/applications/{id}/filings/{kind}.pdf")]
pub async fn download(
    state: web::Data<AppState>,
    db: Db,
    path: web::Path<(i64, String)>,
    Caller { actor, .. }: Caller,
) -> AppResult<HttpResponse> {
    let (id, kind) = path.into_inner();
    let kind: FilingKind = kind.parse().map_err(AppError::not_found)?;
    // The font before a connection: a missing font is said as such, database or not.
    let font_path = state.pdf_font_path.clone();
    let font = blocking(move || PdfFont::shared(font_path.as_deref())).await?;
    let today = db.today();
    let rendered = db
        .run(move |conn, programs| {
            crate::actions::authorized_aggregate(conn, &actor, id, Action::View)?;
            let data = crate::actions::filings::load_filing(conn, programs, id, kind, today)?;
            pdf::render_filing(kind, &data, &forms()?, today, &font)
        })
        .await?;
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/pdf")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            // The ASCII name for old clients, the Japanese one for the rest (RFC 6266 §4.3).
            parameters: vec![
                DispositionParam::Filename(rendered.file_name.clone()),
                DispositionParam::FilenameExt(ExtendedValue {
                    charset: Charset::Ext("UTF-8".to_owned()),
                    language_tag: None,
                    value: rendered.title_file_name.clone().into_bytes(),
                }),
            ],
        })
        .insert_header(("X-Hojokin-Data-Hash", rendered.data_hash.clone()))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    if !rendered.missing_glyphs.is_empty() {
        response.insert_header(("X-Hojokin-Missing-Glyphs", rendered.missing_glyph_codes()));
    }
    Ok(response.body(rendered.bytes))
}
