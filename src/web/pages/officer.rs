//! The municipal finance officer: the queue of applications in their municipality, the
//! review of each budget line (approve / adjust / reject with a reason, through
//! `actions::review_budget_line`), and the export of the lines for their own books.

use actix_session::Session;
use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;

use super::export::{CSV, XLSX, attachment, csv_text, csv_with_bom, xlsx_failed};
use super::view::{
    ActivityView, DecisionPanel, LineRefusal, Summary, activities_view, current_decision,
    decision_panel, flash_outcome, since_review, summary,
};
use super::{Db, PageCaller, PageError, PageForm, PageOn, PageResult, Then, redirect, render};
use crate::actions::{self, LineReviewRequest};
use crate::contract::decision::StoredDecision;
use crate::db::{applications as repo, organisations};
use crate::domain::access::Role;
use crate::domain::budget::{LineDecision, ReviewState};
use crate::domain::codes::Code;
use crate::domain::workflow::{self, Action};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::spreadsheet::Formats;
use crate::web::applications::{line_review, today_in_japan};
use crate::web::auth::Caller;

#[derive(Serialize)]
struct QueueView {
    municipality: String,
    applications: Vec<Summary>,
    total: i64,
    first: i64,
    last: i64,
    previous_page: Option<i64>,
    next_page: Option<i64>,
}

/// Rows on one page of the queue.
const QUEUE_PAGE: i64 = 100;

#[derive(serde::Deserialize)]
pub struct QueueQuery {
    page: Option<i64>,
}

#[get("/finance")]
pub async fn queue(
    db: Db,
    session: Session,
    query: web::Query<QueueQuery>,
    PageCaller(caller): PageCaller,
) -> PageResult {
    let page = query.page.unwrap_or(1).max(1);
    let Some(municipality_id) = caller
        .actor
        .municipality_id
        .filter(|_| caller.actor.role == Role::FinanceOfficer)
    else {
        return Err(AppError::forbidden().into());
    };
    let view = db
        .run(move |conn, _| {
            let municipalities = organisations::list_municipalities(conn)?;
            let filter = repo::PipelineFilter {
                municipality_id: Some(municipality_id),
                ..Default::default()
            };
            let total = repo::count_in_municipality(conn, municipality_id)?;
            let offset = (page - 1).saturating_mul(QUEUE_PAGE);
            let rows = repo::list_filtered(conn, &filter, QUEUE_PAGE, offset)?;
            Ok(QueueView {
                total,
                first: if rows.is_empty() { 0 } else { offset + 1 },
                last: offset + rows.len() as i64,
                previous_page: (page > 1).then_some(page - 1),
                next_page: (offset + QUEUE_PAGE < total).then_some(page + 1),
                municipality: municipalities
                    .iter()
                    .find(|m| m.id == municipality_id)
                    .map(|m| m.name.clone())
                    .unwrap_or_default(),
                applications: rows
                    .iter()
                    .map(|row| summary(row, &municipalities))
                    .collect(),
            })
        })
        .await?;
    render("finance_queue", "予算審査の一覧", &caller, &session, view)
}

#[derive(Serialize)]
struct SourceTotal {
    funding: String,
    total_yen: i64,
}

#[derive(Serialize)]
struct ReviewView {
    summary: Summary,
    activities: Vec<ActivityView>,
    open: bool,
    requested_yen: i64,
    effective_yen: i64,
    eligible_yen: Option<i64>,
    by_funding_source: Vec<SourceTotal>,
    double_funded: usize,
    /// The lines not yet reviewed, as `id:version`, for 一括承認.
    pending: Vec<String>,
    pending_count: usize,
    panel: DecisionPanel,
}

/// The funding-source breakdown, from the engine's budget summary (amounts after review).
fn by_funding_source(decision: Option<&StoredDecision>) -> Vec<SourceTotal> {
    decision
        .map(|decision| {
            decision
                .budget_summary
                .by_funding_source
                .iter()
                .map(|row| SourceTotal {
                    funding: row.funding_source.label_ja().to_owned(),
                    total_yen: row.total_yen.value(),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[get("/applications/{id}/review")]
pub async fn review_page(PageOn(db, session, id, caller): PageOn) -> PageResult {
    review(&db, &session, &caller, id, None).await
}

/// The review page; `refused` shows a verdict that could not be recorded at its line.
async fn review(
    db: &Db,
    session: &Session,
    caller: &Caller,
    id: i64,
    refused: Option<(i64, LineRefusal)>,
) -> PageResult {
    let actor = caller.actor.clone();
    let status = if refused.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let view = db
        .run(move |conn, programs| {
            let aggregate =
                actions::authorized_aggregate(conn, &actor, id, Action::ReviewBudgetLine)?;
            let municipalities = organisations::list_municipalities(conn)?;
            let decision = current_decision(conn, programs, &aggregate)?;
            let mut activities = activities_view(&aggregate);
            since_review(
                &mut activities,
                &aggregate,
                &crate::db::corrections::last_reviews(conn, id)?,
            );
            if let Some((line_id, refusal)) = refused {
                for line in activities.iter_mut().flat_map(|a| a.lines.iter_mut()) {
                    if line.id == line_id {
                        line.refused = Some(refusal.clone());
                    }
                }
            }
            let pending: Vec<String> = aggregate
                .lines()
                .filter(|l| l.review_state == ReviewState::Pending)
                .map(|l| format!("{}:{}", l.id, l.version))
                .collect();
            Ok(ReviewView {
                summary: summary(&aggregate.application, &municipalities),
                open: workflow::budget_review_open(aggregate.state()),
                requested_yen: aggregate.lines().map(|l| l.amount_yen).sum(),
                effective_yen: activities.iter().map(|a| a.total_yen).sum(),
                eligible_yen: decision.as_ref().map(|d| d.eligible_expenses_yen.value()),
                by_funding_source: by_funding_source(decision.as_ref()),
                double_funded: activities
                    .iter()
                    .flat_map(|a| &a.lines)
                    .filter(|l| l.double_funded)
                    .count(),
                pending_count: pending.len(),
                pending,
                activities,
                panel: decision_panel(decision.as_ref()),
            })
        })
        .await?;
    let title = format!("{} 予算審査", view.summary.reference);
    let mut response = render("finance_review", title, caller, session, view)?;
    *response.status_mut() = status;
    Ok(response)
}

#[post("/applications/{id}/lines/{line_id}/review")]
pub async fn review_line(
    db: Db,
    session: Session,
    path: web::Path<(i64, i64)>,
    Then(form, PageCaller(caller)): Then<PageForm, PageCaller>,
) -> Result<HttpResponse, PageError> {
    let (id, line_id) = path.into_inner();
    let decision = form.text("decision");
    let chosen = LineDecision::from_code(&decision);
    let typed = LineRefusal {
        message: String::new(),
        approve: chosen == Some(LineDecision::Approve),
        adjust: chosen == Some(LineDecision::Adjust),
        reject: chosen == Some(LineDecision::Reject),
        amount: form.text("amount_yen"),
        reason: form.text("reason"),
    };
    // Amounts as the editor reads them: 全角, commas and 円 too.
    let amount = if typed.amount.is_empty() {
        Ok(None)
    } else {
        crate::contract::amount_from_typed(&typed.amount, "調整後の金額")
            .map(Some)
            .map_err(|error| AppError::new(ErrorKind::BadRequest, error.message))
    };
    let outcome = match amount {
        Err(error) => Err(error),
        Ok(amount) => match line_review(&decision, amount, typed.reason.clone()) {
            Err(error) => Err(error),
            Ok(review) => {
                let version: i32 = form.text("version").parse().unwrap_or(0);
                let actor = caller.actor.clone();
                db.run(move |conn, programs| {
                    actions::review_budget_line(
                        conn,
                        programs,
                        &actor,
                        id,
                        &LineReviewRequest {
                            line_id,
                            review,
                            expected_version: version,
                        },
                        today_in_japan(),
                    )
                })
                .await
            }
        },
    };
    match outcome {
        Ok(decision) => {
            super::set_flash(
                &session,
                format!(
                    "予算行の審査を記録しました。補助金額（再計算）: {}",
                    decision.subsidy_yen
                ),
            );
            Ok(redirect(&format!(
                "/applications/{id}/review#line-{line_id}"
            )))
        }
        // Bad input: the page again, the error at the line with what was chosen and typed.
        Err(error) if matches!(error.kind, ErrorKind::Invalid | ErrorKind::BadRequest) => {
            let refusal = LineRefusal {
                message: super::view::refusal_message(&error),
                ..typed
            };
            Ok(review(&db, &session, &caller, id, Some((line_id, refusal))).await?)
        }
        // A stale page (409) and the like: the notice on the page, read afresh.
        Err(error) => {
            flash_outcome(
                &session,
                Err::<(), _>(error),
                |()| String::new(),
                "記録できませんでした",
            )?;
            Ok(redirect(&format!(
                "/applications/{id}/review#line-{line_id}"
            )))
        }
    }
}

/// 一括承認: the lines the page showed unreviewed, approved together.
#[post("/applications/{id}/lines/approve-remaining")]
pub async fn approve_remaining(
    db: Db,
    session: Session,
    path: web::Path<i64>,
    Then(form, PageCaller(caller)): Then<PageForm, PageCaller>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let seen: Option<Vec<(i64, i32)>> = form
        .all("line")
        .into_iter()
        .map(|pair| {
            let (line, version) = pair.split_once(':')?;
            Some((line.parse().ok()?, version.parse().ok()?))
        })
        .collect();
    let seen =
        seen.ok_or_else(|| AppError::new(ErrorKind::BadRequest, "予算行の指定が読めません"))?;
    let actor = caller.actor.clone();
    let outcome = db
        .run(move |conn, programs| {
            actions::approve_remaining_lines(conn, programs, &actor, id, &seen, today_in_japan())
        })
        .await;
    flash_outcome(
        &session,
        outcome,
        |(count, decision)| {
            format!(
                "未審査の予算行 {count} 行を承認しました。補助金額（再計算）: {}",
                decision.subsidy_yen
            )
        },
        "一括承認できませんでした",
    )?;
    Ok(redirect(&format!("/applications/{id}/review")))
}

/// The budget lines as CSV, UTF-8 with a byte-order mark so that Excel opens the Japanese.
#[get("/applications/{id}/budget.csv")]
pub async fn export_csv(PageOn(db, _, id, caller): PageOn) -> Result<HttpResponse, PageError> {
    export(db, caller, id, budget_csv, CSV, "csv").await
}

/// One export of an application's budget lines, for whoever may see the application.
async fn export(
    db: Db,
    caller: Caller,
    id: i64,
    render: fn(&repo::Aggregate) -> AppResult<Vec<u8>>,
    content_type: &'static str,
    extension: &'static str,
) -> Result<HttpResponse, PageError> {
    let actor = caller.actor;
    let (reference, bytes) = db
        .run(move |conn, _| {
            let aggregate = actions::authorized_aggregate(conn, &actor, id, Action::View)?;
            Ok((aggregate.application.reference.clone(), render(&aggregate)?))
        })
        .await?;
    Ok(attachment(
        content_type,
        &format!("{reference}-budget.{extension}"),
        bytes,
    ))
}

const HEADER: [&str; 13] = [
    "申請番号",
    "活動",
    "活動の区分",
    "経費区分",
    "内容",
    "申請額（円）",
    "財源",
    "併用する財源",
    "二重計上の疑い",
    "審査",
    "審査後の金額（円）",
    "補助対象経費（円）",
    "審査の理由",
];

/// One exported budget line: text columns, and the two amounts as numbers.
struct ExportRow {
    text_before: [String; 5],
    amount_yen: i64,
    text_middle: [String; 4],
    effective_yen: i64,
    /// What the line adds to the 補助対象経費 (`LineAmounts::claimed`).
    claimed_yen: i64,
    reason: String,
}

fn export_rows(aggregate: &repo::Aggregate) -> Vec<ExportRow> {
    let mut rows = Vec::new();
    for (activity, lines) in &aggregate.activities {
        for line in lines {
            let double =
                crate::domain::budget::is_double_funded(line.funding_source, &line.co_funding());
            rows.push(ExportRow {
                text_before: [
                    aggregate.application.reference.clone(),
                    activity.name.clone(),
                    activity.category.label_ja().to_owned(),
                    line.category.label_ja().to_owned(),
                    line.description.clone(),
                ],
                amount_yen: line.amount_yen,
                text_middle: [
                    line.funding_source.label_ja().to_owned(),
                    line.co_funding()
                        .iter()
                        .map(|source| source.label_ja())
                        .collect::<Vec<_>>()
                        .join("、"),
                    if double { "あり" } else { "" }.to_owned(),
                    line.review_state.label_ja().to_owned(),
                ],
                effective_yen: line.effective_yen().value(),
                claimed_yen: line.amounts().claimed().value(),
                reason: line.review_reason.clone().unwrap_or_default(),
            });
        }
    }
    rows
}

/// The titles of the amounts block that follows the lines in both exports.
const AMOUNTS_HEADER: [&str; 4] = ["金額の名称", "金額（円）", "日付の名称", "日付"];

/// The application's amounts of the lifecycle (`domain::amounts`), one row each: name, yen,
/// and the name and Japan date of the step that fixed it.
fn amount_rows(aggregate: &repo::Aggregate) -> Vec<(&'static str, i64, String, String)> {
    aggregate
        .application
        .lifecycle_amounts()
        .0
        .iter()
        .map(|amount| {
            (
                amount.kind.label_ja(),
                amount.yen.value(),
                amount.kind.date_label_ja().unwrap_or_default().to_owned(),
                amount
                    .date
                    .map(|date| crate::domain::calendar::wareki_date(date).to_string())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// One row per budget line, amounts as plain integers (yen) so that spreadsheets sum them;
/// after an empty row, the application's amounts of the lifecycle under their own titles.
pub fn budget_csv(aggregate: &repo::Aggregate) -> AppResult<Vec<u8>> {
    csv_with_bom(|writer| {
        writer.write_record(HEADER)?;
        for row in export_rows(aggregate) {
            let mut record: Vec<String> = row.text_before.iter().map(csv_text).collect();
            record.push(row.amount_yen.to_string());
            record.extend(row.text_middle.iter().map(csv_text));
            record.push(row.effective_yen.to_string());
            record.push(row.claimed_yen.to_string());
            record.push(csv_text(&row.reason));
            writer.write_record(&record)?;
        }
        writer.write_record([""])?;
        writer.write_record(AMOUNTS_HEADER)?;
        for (label, yen, date_label, date) in amount_rows(aggregate) {
            writer.write_record([
                csv_text(label),
                yen.to_string(),
                csv_text(date_label),
                csv_text(date),
            ])?;
        }
        Ok(())
    })
}

/// The subsidy calculation as the engine stored it with the application's decision, one
/// row each: what it is, and the amount (a number) or the text. Nothing is computed here.
fn calculation_rows(decision: Option<&StoredDecision>) -> Vec<(&'static str, CalculationValue)> {
    use CalculationValue::{Text, Yen};
    let Some(decision) = decision else {
        return vec![("判定", Text("まだ判定されていません".to_owned()))];
    };
    vec![
        (
            "判定",
            Text(
                if decision.eligible {
                    "要件を満たしています"
                } else {
                    "要件を満たしていません"
                }
                .to_owned(),
            ),
        ),
        (
            "補助対象経費（円）",
            Yen(decision.eligible_expenses_yen.value()),
        ),
        (
            "補助率",
            Text(
                decision
                    .rate
                    .map_or_else(|| "—".to_owned(), |rate| rate.to_string()),
            ),
        ),
        ("算定額（円）", Yen(decision.calculated_subsidy_yen.value())),
        ("上限額（円）", Yen(decision.cap_yen.value())),
        ("補助金額（円）", Yen(decision.subsidy_yen.value())),
        (
            "端数処理の単位（円）",
            Yen(decision.rounding_unit_yen.value()),
        ),
        (
            "採択の回数（今回を含む）",
            Text(format!("{} 回目", decision.award_ordinal)),
        ),
        ("適用した規則", Text(decision.rules_version.clone())),
    ]
}

enum CalculationValue {
    Yen(i64),
    Text(String),
}

/// The title of the totals row, under the 内容 column of the lines.
pub const TOTALS_LABEL: &str = "合計";

/// The same rows as an Excel workbook: amounts as numbers with thousands separators, a
/// totals row under the lines, the header row frozen and filterable; then the subsidy
/// calculation as the engine stored it and the amounts of the lifecycle, a sheet each.
pub fn budget_xlsx(aggregate: &repo::Aggregate) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::Workbook;
    let formats = Formats::default();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("予算行").map_err(xlsx_failed)?;
    formats.header(sheet, 0, &HEADER).map_err(xlsx_failed)?;
    let rows = export_rows(aggregate);
    for (row_index, row) in (1u32..).zip(&rows) {
        let mut column = 0u16;
        for text in &row.text_before {
            formats
                .text(sheet, row_index, column, text)
                .map_err(xlsx_failed)?;
            column += 1;
        }
        formats
            .yen(sheet, row_index, column, row.amount_yen, &formats.yen)
            .map_err(xlsx_failed)?;
        column += 1;
        for text in &row.text_middle {
            formats
                .text(sheet, row_index, column, text)
                .map_err(xlsx_failed)?;
            column += 1;
        }
        for amount in [row.effective_yen, row.claimed_yen] {
            formats
                .yen(sheet, row_index, column, amount, &formats.yen)
                .map_err(xlsx_failed)?;
            column += 1;
        }
        formats
            .text(sheet, row_index, column, &row.reason)
            .map_err(xlsx_failed)?;
    }
    let last_line = u32::try_from(rows.len()).unwrap_or(u32::MAX - 1);
    let totals_row = last_line + 1;
    sheet
        .write_string_with_format(totals_row, 4, TOTALS_LABEL, &formats.bold)
        .map_err(xlsx_failed)?;
    for (column, total) in [
        (5u16, rows.iter().map(|row| row.amount_yen).sum::<i64>()),
        (10, rows.iter().map(|row| row.effective_yen).sum()),
        (11, rows.iter().map(|row| row.claimed_yen).sum()),
    ] {
        formats
            .yen(sheet, totals_row, column, total, &formats.bold_yen)
            .map_err(xlsx_failed)?;
    }
    for (column, width) in (0u16..).zip([
        10.0, 28.0, 16.0, 14.0, 30.0, 14.0, 20.0, 16.0, 10.0, 8.0, 16.0, 16.0, 30.0,
    ]) {
        sheet.set_column_width(column, width).map_err(xlsx_failed)?;
    }
    // The filter covers the lines, not the totals row under them.
    sheet
        .autofilter(0, 0, last_line, HEADER.len() as u16 - 1)
        .map_err(xlsx_failed)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_failed)?;

    let calculation = workbook.add_worksheet();
    calculation.set_name("補助金の算定").map_err(xlsx_failed)?;
    formats
        .header(calculation, 0, &["項目", "値"])
        .map_err(xlsx_failed)?;
    for (row_index, (label, value)) in
        (1u32..).zip(calculation_rows(aggregate.stored_decision().as_ref()))
    {
        formats
            .text(calculation, row_index, 0, label)
            .map_err(xlsx_failed)?;
        match value {
            CalculationValue::Yen(yen) => formats.yen(calculation, row_index, 1, yen, &formats.yen),
            CalculationValue::Text(text) => formats.text(calculation, row_index, 1, &text),
        }
        .map_err(xlsx_failed)?;
    }
    for (column, width) in (0u16..).zip([26.0, 30.0]) {
        calculation
            .set_column_width(column, width)
            .map_err(xlsx_failed)?;
    }
    calculation.set_freeze_panes(1, 0).map_err(xlsx_failed)?;

    let amounts = workbook.add_worksheet();
    amounts.set_name("金額").map_err(xlsx_failed)?;
    formats
        .header(amounts, 0, &AMOUNTS_HEADER)
        .map_err(xlsx_failed)?;
    for (row_index, (label, amount, date_label, date)) in (1u32..).zip(amount_rows(aggregate)) {
        formats
            .text(amounts, row_index, 0, label)
            .map_err(xlsx_failed)?;
        formats
            .yen(amounts, row_index, 1, amount, &formats.yen)
            .map_err(xlsx_failed)?;
        formats
            .text(amounts, row_index, 2, &date_label)
            .map_err(xlsx_failed)?;
        formats
            .text(amounts, row_index, 3, &date)
            .map_err(xlsx_failed)?;
    }
    for (column, width) in (0u16..).zip([18.0, 16.0, 12.0, 18.0]) {
        amounts
            .set_column_width(column, width)
            .map_err(xlsx_failed)?;
    }
    amounts.set_freeze_panes(1, 0).map_err(xlsx_failed)?;
    workbook.save_to_buffer().map_err(xlsx_failed)
}

/// The budget lines as an Excel workbook (.xlsx).
#[get("/applications/{id}/budget.xlsx")]
pub async fn export_xlsx(PageOn(db, _, id, caller): PageOn) -> Result<HttpResponse, PageError> {
    export(db, caller, id, budget_xlsx, XLSX, "xlsx").await
}
