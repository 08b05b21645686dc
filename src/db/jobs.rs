//! The durable job queue: effects (emails, files) are enqueued in the transaction that causes
//! them, so nothing leaves the system unless its cause was committed. A unique key makes an
//! enqueue idempotent. (The worker that carries jobs out claims them from here.)

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::jobs;
use super::{DbConnection, now};
use crate::error::AppResult;
use crate::on_backend;

/// Enqueues a job once per `unique_key` (None: always); returns whether it was new.
pub fn enqueue(
    conn: &mut DbConnection,
    kind: &str,
    unique_key: Option<&str>,
    payload: &serde_json::Value,
    run_at: NaiveDateTime,
) -> AppResult<bool> {
    let values = (
        jobs::kind.eq(kind),
        jobs::unique_key.eq(unique_key),
        jobs::payload_json.eq(payload.to_string()),
        jobs::run_at.eq(run_at),
        jobs::created_at.eq(now()),
    );
    let inserted = on_backend!(conn, c => diesel::insert_into(jobs::table)
        .values(values)
        .on_conflict(jobs::unique_key)
        .do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Cancels queued jobs whose unique key starts with `prefix` (e.g. an application's reminders
/// once its report is filed).
pub fn cancel_queued(conn: &mut DbConnection, unique_key_prefix: &str) -> AppResult<usize> {
    Ok(diesel::update(
        jobs::table
            .filter(jobs::status.eq("queued"))
            .filter(jobs::unique_key.like(format!("{unique_key_prefix}%"))),
    )
    .set((jobs::status.eq("cancelled"), jobs::finished_at.eq(now())))
    .execute(conn)?)
}

/// (kind, unique key, payload) of queued jobs, oldest first.
pub fn queued(conn: &mut DbConnection) -> AppResult<Vec<(String, Option<String>, String)>> {
    Ok(jobs::table
        .filter(jobs::status.eq("queued"))
        .order(jobs::id)
        .select((jobs::kind, jobs::unique_key, jobs::payload_json))
        .load(conn)?)
}
