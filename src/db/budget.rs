//! Budget-line reviews by municipal finance officers.

use diesel::prelude::*;

use super::schema::budget_lines;
use super::{DbConnection, now};
use crate::error::AppResult;

/// Records a review if the line is still at `expected_version`; otherwise 409, nothing written.
pub fn record_review(
    conn: &mut DbConnection,
    line_id: i64,
    expected_version: i32,
    review_state: crate::domain::budget::ReviewState,
    reviewed_amount_yen: Option<i64>,
    reason: Option<&str>,
    reviewer: i64,
) -> AppResult<i32> {
    let updated = diesel::update(
        budget_lines::table
            .filter(budget_lines::id.eq(line_id))
            .filter(budget_lines::version.eq(expected_version)),
    )
    .set((
        budget_lines::review_state.eq(review_state),
        budget_lines::reviewed_amount_yen.eq(reviewed_amount_yen),
        budget_lines::review_reason.eq(reason),
        budget_lines::reviewed_by.eq(reviewer),
        budget_lines::reviewed_at.eq(now()),
        budget_lines::version.eq(expected_version + 1),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(crate::error::AppError::conflict(
            "この予算行は他の人が更新しました。最新の内容を読み込んでからやり直してください",
        ));
    }
    Ok(expected_version + 1)
}
