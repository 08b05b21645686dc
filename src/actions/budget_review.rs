//! The finance officer's review of budget lines (承認・調整・否認).

use chrono::NaiveDate;
use serde_json::json;

use super::evaluation::reevaluate;
use super::{aggregate_open_to, field_error};
use crate::contract::decision::StoredDecision;
use crate::db::{self, DbConnection, applications, audit};
use crate::domain::audit::AuditAction;
use crate::domain::budget::{LineAmounts, LineReview, ReviewState};
use crate::domain::money::Yen;
use crate::domain::program::ProgramSet;
use crate::domain::validation::ErrorCode;
use crate::domain::workflow::{self, Action, Actor};
use crate::error::{AppError, AppResult};

/// One budget line's review as a finance officer sends it.
#[derive(Clone, Debug)]
pub struct LineReviewRequest {
    pub line_id: i64,
    pub review: LineReview,
    /// The line's version the officer read.
    pub expected_version: i32,
}

/// A finance officer's review of one budget line: the subsidy is recomputed at once and the
/// change is audited.
pub fn review_budget_line(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    application_id: i64,
    request: &LineReviewRequest,
    today: NaiveDate,
) -> AppResult<StoredDecision> {
    let LineReviewRequest {
        line_id,
        review,
        expected_version,
    } = request;
    let (line_id, expected_version) = (*line_id, *expected_version);
    if let LineReview::Adjust { reason, .. } | LineReview::Reject { reason } = review
        && let Some((code, message)) =
            crate::domain::text::problem(reason, crate::domain::text::REASON, "理由")
    {
        return Err(field_error("reason", code, message));
    }
    crate::db::write(conn, |conn| {
        let aggregate = open_for_review(conn, actor, application_id)?;
        let line = aggregate
            .lines()
            .find(|l| l.id == line_id)
            .ok_or_else(|| AppError::not_found("予算行が見つかりません"))?
            .clone();
        review
            .validate(Yen::new(line.amount_yen))
            .map_err(|message| field_error("amount_yen", ErrorCode::InvalidNumber, message))?;
        let (amount, reason) = match review {
            LineReview::Approve => (None, None),
            LineReview::Adjust { amount, reason } => (Some(amount.value()), Some(reason.as_str())),
            LineReview::Reject { reason } => (None, Some(reason.as_str())),
        };
        db::budget::record_review(
            conn,
            line_id,
            expected_version,
            review.state(),
            amount,
            reason,
            actor.user_id,
        )?;
        let decision = recompute(conn, programs, application_id, today)?;
        audit::append(
            conn,
            &review_event(
                application_id,
                actor,
                reason,
                json!({
                    "line_id": line_id,
                    "review_state": [line.review_state, review.state()],
                    "amount_yen": [line.effective_yen().value(), LineAmounts { review: review.state(), reviewed: amount.map(Yen::new), ..line.amounts() }.effective().value()],
                    "subsidy_yen": decision.subsidy_yen,
                }),
            ),
        )?;
        Ok(decision)
    })
}

/// The application, when this officer may review its lines and its state lets them.
fn open_for_review(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
) -> AppResult<applications::Aggregate> {
    aggregate_open_to(
        conn,
        actor,
        application_id,
        (Action::ReviewBudgetLine, workflow::budget_review_open),
        "申請の予算行は審査できません",
    )
}

/// The audit event of a review: the line or lines in `changes`, with the reason given.
fn review_event<'a>(
    application_id: i64,
    actor: &Actor,
    reason: Option<&'a str>,
    changes: serde_json::Value,
) -> audit::NewAuditEvent<'a> {
    audit::NewAuditEvent {
        application_id: Some(application_id),
        actor_user_id: Some(actor.user_id),
        action: AuditAction::Workflow(Action::ReviewBudgetLine),
        from_state: None,
        to_state: None,
        reason,
        changes,
    }
}

/// The subsidy recomputed after a review, and the reviewed amount the workflow records.
fn recompute(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    application_id: i64,
    today: NaiveDate,
) -> AppResult<StoredDecision> {
    let reloaded = applications::load_aggregate(conn, application_id)?;
    let decision = reevaluate(conn, programs, &reloaded, today)?;
    db::workflow::record_reviewed_amount(
        conn,
        application_id,
        reloaded
            .any_reviewed()
            .then_some(decision.subsidy_yen.value()),
    )?;
    Ok(decision)
}

/// 一括承認: every line the officer saw unreviewed (each with the version the page showed) is
/// approved at its requested amount, in one transaction with one audit event. A line someone
/// changed or reviewed since is a conflict, and nothing is recorded: the officer reads again.
pub fn approve_remaining_lines(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    application_id: i64,
    seen: &[(i64, i32)],
    today: NaiveDate,
) -> AppResult<(usize, StoredDecision)> {
    if seen.is_empty() {
        return Err(field_error(
            "lines",
            ErrorCode::Required,
            "未審査の予算行はありません",
        ));
    }
    crate::db::write(conn, |conn| {
        let aggregate = open_for_review(conn, actor, application_id)?;
        for (line_id, version) in seen {
            let line = aggregate
                .lines()
                .find(|l| l.id == *line_id)
                .ok_or_else(|| AppError::not_found("予算行が見つかりません"))?;
            if line.review_state != ReviewState::Pending || line.version != *version {
                return Err(AppError::conflict(format!(
                    "予算行「{}」は他の人が更新しました。最新の内容を読み込んでからやり直してください",
                    line.description
                )));
            }
            db::budget::record_review(
                conn,
                *line_id,
                *version,
                ReviewState::Approved,
                None,
                None,
                actor.user_id,
            )?;
        }
        let decision = recompute(conn, programs, application_id, today)?;
        let line_ids: Vec<i64> = seen.iter().map(|(id, _)| *id).collect();
        audit::append(
            conn,
            &review_event(
                application_id,
                actor,
                None,
                json!({
                    "approved_line_ids": line_ids,
                    "review_state": [ReviewState::Pending, ReviewState::Approved],
                    "subsidy_yen": decision.subsidy_yen,
                }),
            ),
        )?;
        Ok((seen.len(), decision))
    })
}
