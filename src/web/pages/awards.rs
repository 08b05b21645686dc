//! The program manager's award ledger: uploading a published award list (dry-run plan, then
//! applied by the job queue with a progress page), and the name-review queue where a person
//! decides what the reconciler would not. The plan and the matching rules are
//! `domain::reconcile`'s; the use cases are `actions::manager`'s; the job is `jobs::imports`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;
use serde_json::json;

use super::deadlines::jst_label;
use super::upload::read_file_form_with_fields;
use super::{
    Db, ManagerPage, PageError, PageForm, PageOn, PageResult, Then, redirect, render, set_flash,
};
use crate::actions;
use crate::db::awards::{ReviewChoice, ReviewEntry};
use crate::db::{award_imports, organisations};
use crate::domain::jobs::ImportState;
use crate::domain::reconcile::NameReviewStatus;
use crate::error::{AppError, ErrorKind};
use crate::program::award_list::ListEncoding;

/// The largest award list accepted (the shipped R4–R7 list is about 20 KB).
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

#[derive(Serialize)]
struct ImportLine {
    id: i64,
    file_name: String,
    status: &'static str,
    row_count: i32,
    created_at: String,
}

#[derive(Serialize)]
struct UploadView {
    error: Option<String>,
    max_mb: usize,
    imports: Vec<ImportLine>,
    /// The choices of the file's encoding, the one last chosen selected.
    encodings: Vec<EncodingOption>,
}

#[derive(Serialize)]
struct EncodingOption {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

async fn upload_page(
    db: &Db,
    session: &Session,
    caller: &crate::web::auth::Caller,
    error: Option<String>,
    encoding: ListEncoding,
) -> PageResult {
    let recent = db.run(|conn, _| award_imports::recent(conn, 20)).await?;
    let failed = error.is_some();
    let view = UploadView {
        error,
        max_mb: MAX_UPLOAD_BYTES / (1024 * 1024),
        encodings: ListEncoding::ALL
            .into_iter()
            .map(|choice| EncodingOption {
                code: choice.code(),
                label: choice.label_ja(),
                selected: choice == encoding,
            })
            .collect(),
        imports: recent
            .into_iter()
            .map(|row| ImportLine {
                id: row.id,
                file_name: row.file_name,
                status: row.status.label_ja(),
                row_count: row.row_count,
                created_at: jst_label(row.created_at),
            })
            .collect(),
    };
    let mut response = render(
        "manager_award_import",
        "採択一覧の取込",
        caller,
        session,
        view,
    )?;
    if failed {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

#[get("/manager/awards/import")]
pub async fn import_page(db: Db, session: Session, ManagerPage(caller): ManagerPage) -> PageResult {
    upload_page(&db, &session, &caller, None, ListEncoding::Auto).await
}

/// An uploaded list: its file name, bytes, and the encoding chosen for it.
struct UploadedList {
    file_name: String,
    bytes: Vec<u8>,
    encoding: ListEncoding,
}

/// The uploaded list, read only after the form's CSRF token (`pages::upload`).
/// `Ok(Err((message, encoding)))`: a problem the person can correct, and the encoding they
/// chose, to show again.
async fn read_list(
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<Result<UploadedList, (String, ListEncoding)>, HttpResponse> {
    let (form, file) =
        read_file_form_with_fields(request, payload, "file", MAX_UPLOAD_BYTES).await?;
    let chosen = form.text("encoding");
    let encoding = match chosen.as_str() {
        "" => ListEncoding::Auto,
        code => match ListEncoding::from_code(code) {
            Some(encoding) => encoding,
            None => {
                return Ok(Err((
                    "文字コードは「自動判定」「UTF-8」「Shift_JIS」から選んでください".to_owned(),
                    ListEncoding::Auto,
                )));
            }
        },
    };
    let Some(file) = file else {
        return Ok(Err(("CSV ファイルを選んでください".to_owned(), encoding)));
    };
    let bytes = match file.bytes {
        Ok(bytes) if bytes.is_empty() => {
            return Ok(Err((
                "ファイルが空です。採択一覧の CSV ファイルを選んでください".to_owned(),
                encoding,
            )));
        }
        Ok(bytes) => bytes,
        Err(_) => {
            return Ok(Err((
                format!(
                    "ファイルが大きすぎます（{} MB まで）",
                    MAX_UPLOAD_BYTES / (1024 * 1024)
                ),
                encoding,
            )));
        }
    };
    let name: String = file.file_name.chars().take(200).collect();
    Ok(Ok(UploadedList {
        file_name: if name.trim().is_empty() {
            "upload.csv".to_owned()
        } else {
            name
        },
        bytes,
        encoding,
    }))
}

#[post("/manager/awards/import")]
pub async fn upload(
    db: Db,
    session: Session,
    request: HttpRequest,
    payload: web::Payload,
    ManagerPage(caller): ManagerPage,
) -> PageResult {
    let list = match read_list(&request, payload).await {
        Ok(Ok(list)) => list,
        Ok(Err((message, encoding))) => {
            return upload_page(&db, &session, &caller, Some(message), encoding).await;
        }
        Err(response) => return Ok(response),
    };
    let actor = caller.actor.clone();
    let encoding = list.encoding;
    let planned = db
        .run(move |conn, programs| {
            actions::manager::plan_award_upload(
                conn,
                programs,
                &actor,
                &list.file_name,
                &list.bytes,
                list.encoding,
            )
        })
        .await?;
    match planned {
        Ok(id) => Ok(redirect(&format!("/manager/awards/imports/{id}"))),
        Err(message) => upload_page(&db, &session, &caller, Some(message), encoding).await,
    }
}

#[derive(Serialize)]
struct Progress {
    status: ImportState,
    status_label: &'static str,
    done: u64,
    total: u64,
    finished: bool,
}

fn progress_of(row: &award_imports::ImportRow) -> Progress {
    let total = u64::try_from(row.steps_total).unwrap_or(0);
    let done = match row.status {
        ImportState::Done => total,
        ImportState::Running => crate::jobs::imports::progress(row.id).map_or(0, |(done, _)| done),
        _ => 0,
    };
    Progress {
        status: row.status,
        status_label: row.status.label_ja(),
        done,
        total,
        finished: matches!(row.status, ImportState::Done | ImportState::Failed),
    }
}

#[derive(Serialize)]
struct ImportView {
    import: award_imports::ImportRow,
    status_label: &'static str,
    created_at: String,
    finished_at: Option<String>,
    planned: bool,
    in_progress: bool,
    done: bool,
    failed: bool,
    progress_value: u64,
    progress_max: u64,
    progress: Progress,
}

async fn load_import(db: &Db, id: i64) -> Result<award_imports::ImportRow, PageError> {
    db.run(move |conn, _| award_imports::find(conn, id))
        .await?
        .ok_or_else(|| PageError::from(AppError::not_found("取込が見つかりません")))
}

#[get("/manager/awards/imports/{id}")]
pub async fn import_status(
    PageOn(db, session, id, ManagerPage(caller)): PageOn<ManagerPage>,
) -> PageResult {
    let row = load_import(&db, id).await?;
    let progress = progress_of(&row);
    let (progress_value, progress_max) = if progress.total == 0 {
        (u64::from(progress.finished), 1)
    } else {
        (progress.done, progress.total)
    };
    let view = ImportView {
        status_label: row.status.label_ja(),
        created_at: jst_label(row.created_at),
        finished_at: row.finished_at.map(jst_label),
        planned: row.status == ImportState::Planned,
        in_progress: matches!(row.status, ImportState::Queued | ImportState::Running),
        done: row.status == ImportState::Done,
        failed: row.status == ImportState::Failed,
        progress_value,
        progress_max,
        progress,
        import: row,
    };
    let title = format!("採択一覧の取込 #{}", view.import.id);
    render(
        "manager_award_import_status",
        title,
        &caller,
        &session,
        view,
    )
}

#[get("/manager/awards/imports/{id}/progress.json")]
pub async fn import_progress(PageOn(db, _, id, ManagerPage(_)): PageOn<ManagerPage>) -> PageResult {
    let row = load_import(&db, id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(json!(progress_of(&row))))
}

#[post("/manager/awards/imports/{id}/apply")]
pub async fn apply(
    Then(_form, PageOn(db, session, id, ManagerPage(caller))): Then<PageForm, PageOn<ManagerPage>>,
) -> PageResult {
    let actor = caller.actor;
    db.run(move |conn, _| actions::manager::queue_award_import(conn, &actor, id))
        .await?;
    set_flash(
        &session,
        "取込を実行の列に入れました。完了までこのページで進み具合を確認できます",
    );
    Ok(redirect(&format!("/manager/awards/imports/{id}")))
}

#[derive(Serialize)]
struct ReviewView {
    id: i64,
    award_code: String,
    fiscal_year: Option<i32>,
    listed_as: String,
    reason: String,
    candidates: Vec<crate::db::awards::NamedOrganisation>,
    holder: Option<crate::db::awards::NamedOrganisation>,
    open: bool,
    status_label: &'static str,
    resolved_organisation: Option<String>,
    resolved_at: Option<String>,
    /// A choice sent for this review that could not be taken, and what was typed.
    error: Option<String>,
    typed_other: String,
    chose_other: bool,
}

#[derive(Serialize)]
struct ReviewsView {
    open: Vec<ReviewView>,
    resolved: Vec<ReviewView>,
}

fn review_view(entry: ReviewEntry) -> ReviewView {
    ReviewView {
        id: entry.id,
        award_code: entry.award_code,
        fiscal_year: entry.fiscal_year,
        listed_as: entry.listed_as,
        reason: entry.reason.describe_ja(),
        candidates: entry.candidates,
        holder: entry.holder,
        open: entry.status == NameReviewStatus::Open,
        status_label: entry.status.label_ja(),
        resolved_organisation: entry.resolved_organisation.map(|o| o.name),
        resolved_at: entry.resolved_at.map(jst_label),
        error: None,
        typed_other: String::new(),
        chose_other: false,
    }
}

/// The review queue, with `refused` (review id, why, the choice and name typed) shown at its
/// review when a choice could not be taken.
async fn reviews_page(
    db: &Db,
    session: &Session,
    caller: &crate::web::auth::Caller,
    refused: Option<(i64, String, String, String)>,
) -> PageResult {
    let entries = db
        .run(|conn, _| crate::db::awards::reviews(conn, 50))
        .await?;
    let (mut open, resolved): (Vec<ReviewView>, Vec<ReviewView>) =
        entries.into_iter().map(review_view).partition(|r| r.open);
    let status = match refused {
        Some((id, message, choice, other)) => {
            if let Some(review) = open.iter_mut().find(|review| review.id == id) {
                review.error = Some(message);
                review.chose_other = choice == "other";
                review.typed_other = other;
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        None => StatusCode::OK,
    };
    let mut response = render(
        "manager_name_reviews",
        "名称の確認",
        caller,
        session,
        ReviewsView { open, resolved },
    )?;
    *response.status_mut() = status;
    Ok(response)
}

#[get("/manager/awards/reviews")]
pub async fn reviews(db: Db, session: Session, ManagerPage(caller): ManagerPage) -> PageResult {
    reviews_page(&db, &session, &caller, None).await
}

#[post("/manager/awards/reviews/{id}/resolve")]
pub async fn resolve(
    Then(form, PageOn(db, session, id, ManagerPage(caller))): Then<PageForm, PageOn<ManagerPage>>,
) -> PageResult {
    let choice = form.text("choice");
    let other = form.text("other");
    let actor = caller.actor.clone();
    let (typed_choice, typed_other) = (choice.clone(), other.clone());
    let outcome = db
        .run(move |conn, _| {
            let bad = |message: &str| AppError::new(ErrorKind::BadRequest, message);
            let choice = match choice.as_str() {
                "new" => ReviewChoice::NewOrganisation,
                "other" => {
                    if other.is_empty() {
                        return Err(bad("ほかの団体の法人番号か正式名称を入力してください"));
                    }
                    let organisation = organisations::find_organisation(conn, &other)?
                        .ok_or_else(|| bad("入力した法人番号・名称の団体は登録されていません"))?;
                    ReviewChoice::Same(organisation.id)
                }
                text => match text.strip_prefix("org:").and_then(|id| id.parse().ok()) {
                    Some(organisation_id) => ReviewChoice::Same(organisation_id),
                    None => return Err(bad("どの団体か一つ選んでください")),
                },
            };
            let resolved = actions::manager::resolve_name_review(conn, &actor, id, choice)?;
            let names = crate::db::awards::names_of(conn, resolved.organisation_id)?;
            let name = names.first().cloned().unwrap_or_default();
            Ok(match choice {
                ReviewChoice::Same(_) => format!(
                    "「{name}」の名称として記録しました（採択 {} 件を移しました）",
                    resolved.members_moved
                ),
                ReviewChoice::NewOrganisation => {
                    format!("「{name}」を別の団体として記録しました")
                }
            })
        })
        .await;
    match outcome {
        Ok(message) => {
            set_flash(&session, message);
            Ok(redirect("/manager/awards/reviews"))
        }
        // A typo or a missing choice: back to the form, at the review, with what was typed.
        Err(error) if error.kind == ErrorKind::BadRequest => {
            reviews_page(
                &db,
                &session,
                &caller,
                Some((id, error.message.clone(), typed_choice, typed_other)),
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}
