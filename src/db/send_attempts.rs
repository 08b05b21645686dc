//! The send-attempt log: one row per message the mail worker put on the wire, written in its
//! own committed transaction before the message is sent and completed after the server's
//! answer. Unlike the sent log (`sent_emails`, one row per verdict the worker could commit), it
//! shows every copy that may have gone out, including one sent by a worker that had lost its
//! job or that died before hearing the answer.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::send_attempts;
use super::{DbConnection, now};
use crate::domain::delivery::AttemptOutcome;
use crate::error::AppResult;
use crate::on_backend;

/// An attempt about to start.
pub struct NewAttempt<'a> {
    pub job_id: i64,
    /// The job's claim this attempt belongs to (`jobs.attempts` when it was claimed).
    pub attempt: i32,
    pub worker: &'a str,
    pub message_id: &'a str,
}

/// Records that a message is about to be sent; answers the attempt's id. The caller commits
/// this before the message goes on the wire.
pub fn start(conn: &mut DbConnection, attempt: &NewAttempt<'_>) -> AppResult<i64> {
    let values = (
        send_attempts::job_id.eq(attempt.job_id),
        send_attempts::attempt.eq(attempt.attempt),
        send_attempts::worker.eq(attempt.worker),
        send_attempts::message_id.eq(attempt.message_id),
        send_attempts::started_at.eq(now()),
    );
    Ok(
        on_backend!(conn, c => diesel::insert_into(send_attempts::table)
            .values(values)
            .returning(send_attempts::id)
            .get_result::<i64>(c))?,
    )
}

/// Records the server's answer to an attempt (once: a completed attempt stays as it was).
pub fn complete(
    conn: &mut DbConnection,
    id: i64,
    outcome: AttemptOutcome,
    detail: Option<&str>,
) -> AppResult<()> {
    diesel::update(
        send_attempts::table
            .filter(send_attempts::id.eq(id))
            .filter(send_attempts::finished_at.is_null()),
    )
    .set((
        send_attempts::finished_at.eq(Some(now())),
        send_attempts::outcome.eq(Some(outcome)),
        send_attempts::detail.eq(detail),
    ))
    .execute(conn)?;
    Ok(())
}

/// One attempt as the program manager's page shows it.
#[derive(Debug, Clone, Queryable)]
pub struct AttemptView {
    pub job_id: i64,
    pub attempt: i32,
    pub worker: String,
    pub message_id: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub outcome: Option<AttemptOutcome>,
    pub detail: Option<String>,
}

/// Every attempt of the jobs that were attempted more than once, newest job first, each job's
/// attempts in the order they started.
pub fn of_jobs_attempted_again(conn: &mut DbConnection) -> AppResult<Vec<AttemptView>> {
    let again: Vec<i64> = send_attempts::table
        .group_by(send_attempts::job_id)
        .having(diesel::dsl::count_star().gt(1))
        .select(send_attempts::job_id)
        .load(conn)?;
    Ok(send_attempts::table
        .filter(send_attempts::job_id.eq_any(again))
        .order((send_attempts::job_id.desc(), send_attempts::id))
        .select((
            send_attempts::job_id,
            send_attempts::attempt,
            send_attempts::worker,
            send_attempts::message_id,
            send_attempts::started_at,
            send_attempts::finished_at,
            send_attempts::outcome,
            send_attempts::detail,
        ))
        .load(conn)?)
}
