//! 差戻し and the applicant's answer (`correction_requests`), the 交付決定 date as the audit
//! trail records it, and the values a changed budget line had at its last review
//! (`budget_line_last_reviews`).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::applications::{ApplicationDraft, BudgetLineRow};
use super::schema::{activities, budget_line_last_reviews, budget_lines, correction_requests};
use super::{DbConnection, now};
use crate::domain::budget::{LineReviewed, LineSlot, ReviewState, lines_replaced};
use crate::domain::codes::{ExpenseCategory, FundingSource};
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = correction_requests)]
pub struct CorrectionRow {
    pub id: i64,
    pub application_id: i64,
    pub returned_event_id: i64,
    pub reason: String,
    pub reply_due_on: Option<NaiveDate>,
    pub returned_by: Option<i64>,
    pub returned_at: NaiveDateTime,
    pub reply: Option<String>,
    pub replied_by: Option<i64>,
    pub replied_at: Option<NaiveDateTime>,
}

/// Records a 差戻し (its audit event already written).
pub fn open(
    conn: &mut DbConnection,
    application_id: i64,
    returned_event_id: i64,
    reason: &str,
    reply_due_on: Option<NaiveDate>,
    returned_by: i64,
) -> AppResult<()> {
    diesel::insert_into(correction_requests::table)
        .values((
            correction_requests::application_id.eq(application_id),
            correction_requests::returned_event_id.eq(returned_event_id),
            correction_requests::reason.eq(reason),
            correction_requests::reply_due_on.eq(reply_due_on),
            correction_requests::returned_by.eq(returned_by),
            correction_requests::returned_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every 差戻し of the application, oldest first.
pub fn of_application(
    conn: &mut DbConnection,
    application_id: i64,
) -> AppResult<Vec<CorrectionRow>> {
    Ok(correction_requests::table
        .filter(correction_requests::application_id.eq(application_id))
        .order(correction_requests::id)
        .select(CorrectionRow::as_select())
        .load(conn)?)
}

/// The 差戻し still waiting for its answer, if any.
pub fn unanswered(
    conn: &mut DbConnection,
    application_id: i64,
) -> AppResult<Option<CorrectionRow>> {
    // An application has a few 差戻し at most: the latest one not answered yet.
    Ok(of_application(conn, application_id)?
        .into_iter()
        .rev()
        .find(|correction| correction.replied_at.is_none()))
}

/// Keeps the answer as typed, before it is sent (the editor's 下書きを保存).
pub fn keep_reply(conn: &mut DbConnection, application_id: i64, reply: &str) -> AppResult<()> {
    if let Some(open) = unanswered(conn, application_id)? {
        diesel::update(correction_requests::table.find(open.id))
            .set(correction_requests::reply.eq(Some(reply).filter(|r| !r.is_empty())))
            .execute(conn)?;
    }
    Ok(())
}

/// Sends the answer with the resubmission: `reply` when given, else the one kept on save.
/// Returns the answer as recorded (`None` when there was nothing to answer or no answer).
pub fn answer(
    conn: &mut DbConnection,
    application_id: i64,
    reply: Option<&str>,
    replied_by: i64,
) -> AppResult<Option<String>> {
    let Some(open) = unanswered(conn, application_id)? else {
        return Ok(None);
    };
    let reply = reply.map(str::to_owned).or(open.reply);
    diesel::update(correction_requests::table.find(open.id))
        .set((
            correction_requests::reply.eq(&reply),
            correction_requests::replied_by.eq(replied_by),
            correction_requests::replied_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(reply)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = budget_line_last_reviews)]
struct LastReviewRow {
    budget_line_id: i64,
    category: ExpenseCategory,
    description: String,
    amount_yen: i64,
    funding_source: FundingSource,
    review_state: ReviewState,
    reviewed_amount_yen: Option<i64>,
    review_reason: Option<String>,
}

impl LastReviewRow {
    fn reviewed(self) -> (i64, LineReviewed) {
        (
            self.budget_line_id,
            LineReviewed {
                category: self.category,
                description: self.description,
                amount_yen: self.amount_yen,
                funding_source: self.funding_source,
                review_state: self.review_state,
                reviewed_amount_yen: self.reviewed_amount_yen,
                review_reason: self.review_reason,
            },
        )
    }
}

/// The last-reviewed values of the application's changed lines, by line id.
pub fn last_reviews(
    conn: &mut DbConnection,
    application_id: i64,
) -> AppResult<Vec<(i64, LineReviewed)>> {
    let rows: Vec<LastReviewRow> = budget_line_last_reviews::table
        .filter(budget_line_last_reviews::application_id.eq(application_id))
        .select(LastReviewRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(LastReviewRow::reviewed).collect())
}

/// Records what `budget_line_id` said when it was last reviewed.
pub fn record_last_review(
    conn: &mut DbConnection,
    application_id: i64,
    budget_line_id: i64,
    reviewed: &LineReviewed,
) -> AppResult<()> {
    diesel::insert_into(budget_line_last_reviews::table)
        .values((
            budget_line_last_reviews::budget_line_id.eq(budget_line_id),
            budget_line_last_reviews::application_id.eq(application_id),
            budget_line_last_reviews::category.eq(reviewed.category),
            budget_line_last_reviews::description.eq(&reviewed.description),
            budget_line_last_reviews::amount_yen.eq(reviewed.amount_yen),
            budget_line_last_reviews::funding_source.eq(reviewed.funding_source),
            budget_line_last_reviews::review_state.eq(reviewed.review_state),
            budget_line_last_reviews::reviewed_amount_yen.eq(reviewed.reviewed_amount_yen),
            budget_line_last_reviews::review_reason.eq(&reviewed.review_reason),
        ))
        .execute(conn)?;
    Ok(())
}

/// For each line of the edited draft (in draft order), what it said when it was last reviewed,
/// if it has changed since: a changed line goes back to 未審査, and its finance officer is
/// shown before → after. `kept` is `domain::budget::reviews_kept` of the edit.
pub(super) fn reviewed_before_edit(
    conn: &mut DbConnection,
    application_id: i64,
    earlier: &[BudgetLineRow],
    draft: &ApplicationDraft,
    kept: &[Option<usize>],
) -> AppResult<Vec<Option<LineReviewed>>> {
    let stored = last_reviews(conn, application_id)?;
    let positions: Vec<(i64, i32)> = activities::table
        .filter(activities::application_id.eq(application_id))
        .select((activities::id, activities::position))
        .load(conn)?;
    let activity_index = |activity_id: i64| {
        positions
            .iter()
            .find(|(id, _)| *id == activity_id)
            .and_then(|(_, position)| usize::try_from(position - 1).ok())
            .unwrap_or(usize::MAX)
    };
    let earlier_slots: Vec<LineSlot<'_>> = earlier
        .iter()
        .map(|row| LineSlot {
            activity: activity_index(row.activity_id),
            position: usize::try_from(row.position - 1).unwrap_or(usize::MAX),
            description: &row.description,
        })
        .collect();
    let edited_slots: Vec<LineSlot<'_>> = draft
        .activities
        .iter()
        .enumerate()
        .flat_map(|(activity, a)| {
            a.lines
                .iter()
                .enumerate()
                .map(move |(position, line)| LineSlot {
                    activity,
                    position,
                    description: &line.description,
                })
        })
        .collect();
    let stored_for = |row: &BudgetLineRow| {
        stored
            .iter()
            .find(|(id, _)| *id == row.id)
            .map(|(_, reviewed)| reviewed.clone())
    };
    // A reviewed line's review is its current values; a line changed before and not reviewed
    // again still shows the values of its last review.
    let last_review_of = |row: &BudgetLineRow| {
        if row.review_state == ReviewState::Pending {
            stored_for(row)
        } else {
            Some(LineReviewed {
                category: row.category,
                description: row.description.clone(),
                amount_yen: row.amount_yen,
                funding_source: row.funding_source,
                review_state: row.review_state,
                reviewed_amount_yen: row.reviewed_amount_yen,
                review_reason: row.review_reason.clone(),
            })
        }
    };
    let replaced = lines_replaced(&earlier_slots, &edited_slots, kept);
    Ok(kept
        .iter()
        .zip(&replaced)
        .map(|(kept, replaced)| match (kept, replaced) {
            (Some(same), _) => earlier
                .get(*same)
                .filter(|row| row.review_state == ReviewState::Pending)
                .and_then(stored_for),
            (None, Some(old)) => earlier.get(*old).and_then(last_review_of),
            (None, None) => None,
        })
        .collect())
}

/// Writes [`reviewed_before_edit`]'s values for the lines just inserted (in draft order).
pub(super) fn record_last_reviews(
    conn: &mut DbConnection,
    application_id: i64,
    reviewed: &[Option<LineReviewed>],
) -> AppResult<()> {
    if reviewed.iter().all(Option::is_none) {
        return Ok(());
    }
    let line_ids: Vec<i64> = budget_lines::table
        .inner_join(activities::table)
        .filter(budget_lines::application_id.eq(application_id))
        .order((activities::position, budget_lines::position))
        .select(budget_lines::id)
        .load(conn)?;
    for (line_id, reviewed) in line_ids.iter().zip(reviewed) {
        if let Some(reviewed) = reviewed {
            record_last_review(conn, application_id, *line_id, reviewed)?;
        }
    }
    Ok(())
}
