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
use super::manager::manager_only;
use super::upload::read_file_form;
use super::{PageError, PageForm, PageResult, blocking, page_caller, redirect, render, set_flash};
use crate::actions;
use crate::db::awards::{ReviewChoice, ReviewEntry};
use crate::db::{award_imports, organisations};
use crate::error::{AppError, ErrorKind};
use crate::web::AppState;

/// The largest award list accepted (the shipped R4–R7 list is about 20 KB).
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

fn status_label(status: &str) -> &'static str {
    match status {
        "planned" => "確認待ち（まだ取り込んでいません）",
        "queued" => "実行待ち",
        "running" => "取込中",
        "done" => "完了",
        "failed" => "失敗",
        _ => "不明",
    }
}

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
}

async fn upload_page(
    state: &AppState,
    session: &Session,
    caller: &crate::web::auth::Caller,
    error: Option<String>,
) -> PageResult {
    let pool = state.pool.clone();
    let recent = blocking(move || award_imports::recent(&mut *pool.get()?, 20)).await?;
    let failed = error.is_some();
    let view = UploadView {
        error,
        max_mb: MAX_UPLOAD_BYTES / (1024 * 1024),
        imports: recent
            .into_iter()
            .map(|row| ImportLine {
                id: row.id,
                file_name: row.file_name,
                status: status_label(&row.status),
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
pub async fn import_page(state: web::Data<AppState>, session: Session) -> PageResult {
    let caller = page_caller(&state, &session).await?;
    manager_only(&caller)?;
    upload_page(&state, &session, &caller, None).await
}

/// The uploaded list, read only after the form's CSRF token (`pages::upload`).
/// `Ok(Err(message))`: a problem the person can correct.
async fn read_list(
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<Result<(String, Vec<u8>), String>, HttpResponse> {
    let Some(file) = read_file_form(request, payload, "file", MAX_UPLOAD_BYTES).await? else {
        return Ok(Err("CSV ファイルを選んでください".to_owned()));
    };
    let bytes = match file.bytes {
        Ok(bytes) if bytes.is_empty() => {
            return Ok(Err(
                "ファイルが空です。採択一覧の CSV ファイルを選んでください".to_owned(),
            ));
        }
        Ok(bytes) => bytes,
        Err(_) => {
            return Ok(Err(format!(
                "ファイルが大きすぎます（{} MB まで）",
                MAX_UPLOAD_BYTES / (1024 * 1024)
            )));
        }
    };
    let name: String = file.file_name.chars().take(200).collect();
    Ok(Ok((
        if name.trim().is_empty() {
            "upload.csv".to_owned()
        } else {
            name
        },
        bytes,
    )))
}

#[post("/manager/awards/import")]
pub async fn upload(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let caller = page_caller(&state, &session).await?;
    manager_only(&caller)?;
    let (file_name, bytes) = match read_list(&request, payload).await {
        Ok(Ok(file)) => file,
        Ok(Err(message)) => return upload_page(&state, &session, &caller, Some(message)).await,
        Err(response) => return Ok(response),
    };
    let pool = state.pool.clone();
    let programs = state.programs.clone();
    let actor = caller.actor.clone();
    let planned = blocking(move || {
        actions::manager::plan_award_upload(
            &mut *pool.get()?,
            &programs,
            &actor,
            &file_name,
            &bytes,
        )
    })
    .await?;
    match planned {
        Ok(id) => Ok(redirect(&format!("/manager/awards/imports/{id}"))),
        Err(message) => upload_page(&state, &session, &caller, Some(message)).await,
    }
}

#[derive(Serialize)]
struct Progress {
    status: String,
    status_label: &'static str,
    done: u64,
    total: u64,
    finished: bool,
}

fn progress_of(row: &award_imports::ImportRow) -> Progress {
    let total = u64::try_from(row.steps_total).unwrap_or(0);
    let done = match row.status.as_str() {
        "done" => total,
        "running" => crate::jobs::imports::progress(row.id).map_or(0, |(done, _)| done),
        _ => 0,
    };
    Progress {
        status: row.status.clone(),
        status_label: status_label(&row.status),
        done,
        total,
        finished: matches!(row.status.as_str(), "done" | "failed"),
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

async fn load_import(state: &AppState, id: i64) -> Result<award_imports::ImportRow, PageError> {
    let pool = state.pool.clone();
    blocking(move || award_imports::find(&mut *pool.get()?, id))
        .await?
        .ok_or_else(|| PageError(AppError::not_found("取込が見つかりません")))
}

#[get("/manager/awards/imports/{id}")]
pub async fn import_status(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<i64>,
) -> PageResult {
    let caller = page_caller(&state, &session).await?;
    manager_only(&caller)?;
    let row = load_import(&state, path.into_inner()).await?;
    let progress = progress_of(&row);
    let (progress_value, progress_max) = if progress.total == 0 {
        (u64::from(progress.finished), 1)
    } else {
        (progress.done, progress.total)
    };
    let view = ImportView {
        status_label: status_label(&row.status),
        created_at: jst_label(row.created_at),
        finished_at: row.finished_at.map(jst_label),
        planned: row.status == "planned",
        in_progress: matches!(row.status.as_str(), "queued" | "running"),
        done: row.status == "done",
        failed: row.status == "failed",
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
pub async fn import_progress(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<i64>,
) -> PageResult {
    let caller = page_caller(&state, &session).await?;
    manager_only(&caller)?;
    let row = load_import(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(json!(progress_of(&row))))
}

#[post("/manager/awards/imports/{id}/apply")]
pub async fn apply(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<i64>,
    _form: PageForm,
) -> PageResult {
    let caller = page_caller(&state, &session).await?;
    manager_only(&caller)?;
    let id = path.into_inner();
    let pool = state.pool.clone();
    let actor = caller.actor.clone();
    blocking(move || actions::manager::queue_award_import(&mut *pool.get()?, &actor, id)).await?;
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
        open: entry.status == "open",
        status_label: match entry.status.as_str() {
            "open" => "確認待ち",
            "merged" => "同じ団体と確認",
            "kept_apart" => "別の団体と確認",
            _ => "不明",
        },
        resolved_organisation: entry.resolved_organisation.map(|o| o.name),
        resolved_at: entry.resolved_at.map(jst_label),
    }
}

#[get("/manager/awards/reviews")]
pub async fn reviews(state: web::Data<AppState>, session: Session) -> PageResult {
    let caller = page_caller(&state, &session).await?;
    manager_only(&caller)?;
    let pool = state.pool.clone();
    let entries = blocking(move || crate::db::awards::reviews(&mut *pool.get()?, 50)).await?;
    let (open, resolved): (Vec<ReviewView>, Vec<ReviewView>) =
        entries.into_iter().map(review_view).partition(|r| r.open);
    render(
        "manager_name_reviews",
        "名称の確認",
        &caller,
        &session,
        ReviewsView { open, resolved },
    )
}

#[post("/manager/awards/reviews/{id}/resolve")]
pub async fn resolve(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<i64>,
    form: PageForm,
) -> PageResult {
    let caller = page_caller(&state, &session).await?;
    manager_only(&caller)?;
    let id = path.into_inner();
    let choice = form.text("choice");
    let other = form.text("other");
    let pool = state.pool.clone();
    let actor = caller.actor.clone();
    let message = blocking(move || {
        let mut conn = pool.get()?;
        let bad = |message: &str| AppError::new(ErrorKind::BadRequest, message);
        let choice = match choice.as_str() {
            "new" => ReviewChoice::NewOrganisation,
            "other" => {
                if other.is_empty() {
                    return Err(bad("ほかの団体の法人番号か正式名称を入力してください"));
                }
                let organisation = organisations::find_organisation(&mut conn, &other)?
                    .ok_or_else(|| bad("入力した法人番号・名称の団体は登録されていません"))?;
                ReviewChoice::Same(organisation.id)
            }
            text => match text.strip_prefix("org:").and_then(|id| id.parse().ok()) {
                Some(organisation_id) => ReviewChoice::Same(organisation_id),
                None => return Err(bad("どの団体か一つ選んでください")),
            },
        };
        let resolved = actions::manager::resolve_name_review(&mut conn, &actor, id, choice)?;
        let names = crate::db::awards::names_of(&mut conn, resolved.organisation_id)?;
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
    .await?;
    set_flash(&session, message);
    Ok(redirect("/manager/awards/reviews"))
}
