//! The durable job queue: effects (emails, files) are enqueued in the transaction that causes
//! them, so nothing leaves the system unless its cause was committed. A unique key makes an
//! enqueue idempotent. (The worker that carries jobs out claims them from here.)

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::jobs;
use super::{DbConnection, now};
use crate::error::AppResult;
use crate::on_backend;

pub use crate::domain::jobs::{JobKind, JobState};

/// Enqueues a job once per `unique_key` (None: always); returns whether it was new.
pub fn enqueue(
    conn: &mut DbConnection,
    kind: JobKind,
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
            .filter(jobs::status.eq(JobState::Queued))
            .filter(jobs::unique_key.like(format!("{unique_key_prefix}%"))),
    )
    .set((
        jobs::status.eq(JobState::Cancelled),
        jobs::finished_at.eq(now()),
    ))
    .execute(conn)?)
}

/// (kind, unique key, payload) of queued jobs, oldest first.
pub fn queued(conn: &mut DbConnection) -> AppResult<Vec<(String, Option<String>, String)>> {
    Ok(jobs::table
        .filter(jobs::status.eq(JobState::Queued))
        .order(jobs::id)
        .select((jobs::kind, jobs::unique_key, jobs::payload_json))
        .load(conn)?)
}

/// The kinds this crate's worker carries out (other workers may own other kinds).
pub const MAIL_KINDS: [JobKind; 2] = [JobKind::Email, JobKind::Reminder];

/// A job enqueued in bulk by the scheduler.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: JobKind,
    pub unique_key: String,
    pub payload: serde_json::Value,
    pub run_at: NaiveDateTime,
}

/// Enqueues many jobs, each once per unique key; returns how many were new. Chunks keep a
/// statement under SQLite's limit on bound parameters.
pub fn enqueue_many(conn: &mut DbConnection, new_jobs: &[NewJob]) -> AppResult<usize> {
    let created = now();
    let mut inserted = 0;
    for chunk in new_jobs.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|job| {
                (
                    jobs::kind.eq(job.kind),
                    jobs::unique_key.eq(Some(job.unique_key.as_str())),
                    jobs::payload_json.eq(job.payload.to_string()),
                    jobs::run_at.eq(job.run_at),
                    jobs::created_at.eq(created),
                )
            })
            .collect();
        inserted += on_backend!(conn, c => diesel::insert_into(jobs::table)
            .values(&rows)
            .on_conflict(jobs::unique_key)
            .do_nothing()
            .execute(c))?;
    }
    Ok(inserted)
}

/// A job a worker holds.
#[derive(Debug, Clone, QueryableByName)]
pub struct ClaimedJob {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub kind: JobKind,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub unique_key: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub payload_json: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub max_attempts: i32,
}

/// Claims up to `limit` jobs of these `kinds` (the mail worker's [`MAIL_KINDS`], the award
/// importer's `award_import`) that are due, or whose holder's lease ran out (a worker that
/// died). On PostgreSQL `FOR UPDATE SKIP LOCKED` lets workers in several processes claim side
/// by side without waiting for or taking each other's rows; SQLite has one writer at a time,
/// so the same statement is atomic there without it. Each claim counts as an attempt. The
/// kinds' codes are written into the SQL: they come from the code table, never from input.
pub fn claim(
    conn: &mut DbConnection,
    kinds: &[JobKind],
    worker: &str,
    at: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> AppResult<Vec<ClaimedJob>> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let kind_codes: Vec<String> = kinds
        .iter()
        .map(|kind| format!("'{}'", kind.as_str()))
        .collect();
    let kind_filter = format!("kind IN ({})", kind_codes.join(", "));
    let (queued, running) = (JobState::Queued, JobState::Running);
    let candidates = format!(
        "SELECT id FROM jobs WHERE {kind_filter} \
         AND ((status = '{queued}' AND run_at <= $3) OR (status = '{running}' AND locked_until < $3)) \
         ORDER BY run_at, id LIMIT $4"
    );
    let sql = |lock: &str| {
        format!(
            "UPDATE jobs SET status = '{running}', locked_by = $1, locked_until = $2, \
             attempts = attempts + 1 WHERE id IN ({candidates}{lock}) \
             RETURNING id, kind, unique_key, payload_json, attempts, max_attempts"
        )
    };
    let claimed = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(sql(" FOR UPDATE SKIP LOCKED"))
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(at)
            .bind::<BigInt, _>(limit)
            .load::<ClaimedJob>(pg)?,
        DbConnection::Sqlite(lite) => diesel::sql_query(sql("").replace('$', "?"))
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(at)
            .bind::<BigInt, _>(limit)
            .load::<ClaimedJob>(lite)?,
    };
    let mut claimed = claimed;
    claimed.sort_by_key(|job| job.id);
    Ok(claimed)
}

/// Extends to `lease_until` the lease of every job `worker` still holds (the heartbeat of a
/// batch in flight); a job another worker has taken over, or one finished, is left alone.
pub fn renew_leases(
    conn: &mut DbConnection,
    worker: &str,
    lease_until: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        jobs::table
            .filter(jobs::status.eq(JobState::Running))
            .filter(jobs::locked_by.eq(worker)),
    )
    .set(jobs::locked_until.eq(Some(lease_until)))
    .execute(conn)?)
}

/// The job `id`, as long as `worker` still holds it (running, locked by it): what a worker may
/// renew, finish or put back. Its lease lost, another worker has it and none of these applies.
type Held<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<jobs::table, diesel::dsl::Eq<jobs::id, i64>>,
        diesel::dsl::Eq<jobs::status, JobState>,
    >,
    diesel::dsl::Eq<jobs::locked_by, &'a str>,
>;

fn held(id: i64, worker: &str) -> Held<'_> {
    jobs::table
        .filter(jobs::id.eq(id))
        .filter(jobs::status.eq(JobState::Running))
        .filter(jobs::locked_by.eq(worker))
}

/// Renews `worker`'s hold on one job to `lease_until` right before its message is sent; false
/// when the hold was lost (its lease ran out and another worker claimed it, or it was finished).
pub fn renew_hold(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    lease_until: NaiveDateTime,
) -> AppResult<bool> {
    let updated = diesel::update(held(id, worker))
        .set(jobs::locked_until.eq(Some(lease_until)))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Finishes a job the worker still holds; false when its lease was lost (another worker has it).
pub fn finish(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    status: JobState,
    error: Option<&str>,
) -> AppResult<bool> {
    let updated = diesel::update(held(id, worker))
        .set((
            jobs::status.eq(status),
            jobs::finished_at.eq(Some(now())),
            jobs::locked_by.eq(None::<String>),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Gives up a held job for good (a dead letter a 事務局 may queue again), saying why; false when
/// its lease was lost.
pub fn give_up(conn: &mut DbConnection, id: i64, worker: &str, why: &str) -> AppResult<bool> {
    finish(conn, id, worker, JobState::Dead, Some(why))
}

/// Puts a held job back in the queue to be tried again at `run_at`.
pub fn retry_later(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    run_at: NaiveDateTime,
    error: &str,
) -> AppResult<bool> {
    let updated = diesel::update(held(id, worker))
        .set((
            jobs::status.eq(JobState::Queued),
            jobs::run_at.eq(run_at),
            jobs::locked_by.eq(None::<String>),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// A job as the dead-letter list shows it.
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: i64,
    #[schema(value_type = String)]
    pub kind: JobKind,
    pub unique_key: Option<String>,
    /// The job's content as stored (JSON text).
    pub payload_json: String,
    #[schema(value_type = String)]
    pub status: JobState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub run_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

/// Mail jobs that failed for good, newest first.
pub fn dead(conn: &mut DbConnection) -> AppResult<Vec<JobView>> {
    Ok(jobs::table
        .filter(jobs::status.eq(JobState::Dead))
        .filter(jobs::kind.eq_any(MAIL_KINDS))
        .order(jobs::id.desc())
        .select((
            jobs::id,
            jobs::kind,
            jobs::unique_key,
            jobs::payload_json,
            jobs::status,
            jobs::attempts,
            jobs::last_error,
            jobs::run_at,
            jobs::finished_at,
        ))
        .load(conn)?)
}

/// Queues a dead mail job again with fresh attempts; false when it is not dead.
pub fn revive(conn: &mut DbConnection, id: i64) -> AppResult<bool> {
    let updated = diesel::update(
        jobs::table
            .filter(jobs::id.eq(id))
            .filter(jobs::status.eq(JobState::Dead))
            .filter(jobs::kind.eq_any(MAIL_KINDS)),
    )
    .set((
        jobs::status.eq(JobState::Queued),
        jobs::attempts.eq(0),
        jobs::run_at.eq(now()),
        jobs::finished_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Jobs by status (for `remind` and the tests).
pub fn count_by_status(conn: &mut DbConnection) -> AppResult<Vec<(JobState, i64)>> {
    Ok(jobs::table
        .filter(jobs::kind.eq_any(MAIL_KINDS))
        .group_by(jobs::status)
        .select((jobs::status, diesel::dsl::count_star()))
        .order(jobs::status)
        .load(conn)?)
}

/// Status of every reminder job by unique key (for `remind --dry-run`).
pub fn reminder_states(
    conn: &mut DbConnection,
) -> AppResult<std::collections::HashMap<String, JobState>> {
    let rows: Vec<(Option<String>, JobState)> = jobs::table
        .filter(jobs::kind.eq(JobKind::Reminder))
        .select((jobs::unique_key, jobs::status))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(key, status)| key.map(|key| (key, status)))
        .collect())
}

/// The id of the job with `unique_key`.
pub fn id_of(conn: &mut DbConnection, unique_key: &str) -> AppResult<Option<i64>> {
    Ok(jobs::table
        .filter(jobs::unique_key.eq(unique_key))
        .select(jobs::id)
        .first(conn)
        .optional()?)
}
