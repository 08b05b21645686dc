//! The `award_import` jobs: an uploaded award list applied to the ledger. The page queues the
//! job in the transaction that marks the upload `queued`; a worker claims it (a worker that
//! dies leaves it to the next one when its lease runs out), plans again against the database
//! as it is then, and writes the plan, the upload's outcome and the job's end in one
//! transaction, so a crash leaves either everything or nothing, and the retry finishes it.
//! Applying the same list twice writes nothing the second time (`domain::reconcile`).
//!
//! Progress while a plan is written lives in this process ([`progress`]); the database says
//! `running` until the transaction commits, and the pages show the last known step.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use serde::Deserialize;

use crate::db::jobs::{JobKind, JobState};
use crate::db::{self, DbConnection, Pool, award_imports, awards, jobs};
use crate::domain::program::ProgramSet;
use crate::error::{AppError, AppResult};
use crate::program::award_list;

/// Steps written so far of the uploads this process is applying: id → (done, total).
static PROGRESS: LazyLock<Mutex<HashMap<i64, (u64, u64)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// (done, total) of an upload this process is applying right now.
pub fn progress(import_id: i64) -> Option<(u64, u64)> {
    PROGRESS
        .lock()
        .ok()
        .and_then(|map| map.get(&import_id).copied())
}

fn set_progress(import_id: i64, value: Option<(u64, u64)>) {
    if let Ok(mut map) = PROGRESS.lock() {
        match value {
            Some(value) => map.insert(import_id, value),
            None => map.remove(&import_id),
        };
    }
}

fn add_progress(import_id: i64, steps: u64) {
    if let Ok(mut map) = PROGRESS.lock()
        && let Some((done, total)) = map.get_mut(&import_id)
    {
        *done = (*done + steps).min(*total);
    }
}

#[derive(Deserialize)]
struct Payload {
    import_id: i64,
}

/// Claims and carries out every due `award_import` job; returns how many were finished.
pub fn run_pending(
    pool: &Pool,
    programs: &ProgramSet,
    worker: &str,
    lease: Duration,
) -> AppResult<usize> {
    let mut finished = 0;
    loop {
        let mut conn = pool.get()?;
        let at = db::now();
        let lease = TimeDelta::from_std(lease).unwrap_or(TimeDelta::minutes(5));
        let claimed = jobs::claim(
            &mut conn,
            &[JobKind::AwardImport],
            worker,
            at,
            at + lease,
            1,
        )?;
        let Some(job) = claimed.into_iter().next() else {
            return Ok(finished);
        };
        carry_out(&mut conn, programs, worker, &job)?;
        finished += 1;
    }
}

fn carry_out(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    worker: &str,
    job: &jobs::ClaimedJob,
) -> AppResult<()> {
    let import_id = match serde_json::from_str::<Payload>(&job.payload_json) {
        Ok(payload) => payload.import_id,
        Err(error) => {
            jobs::give_up(conn, job.id, worker, &error.to_string())?;
            return Ok(());
        }
    };
    match apply(conn, programs, worker, job, import_id) {
        Ok(()) => Ok(()),
        Err(error) => {
            set_progress(import_id, None);
            tracing::error!(import_id, error = %error, "award import failed");
            let message = error.to_string();
            if job.attempts >= job.max_attempts || error.kind == crate::error::ErrorKind::BadRequest
            {
                crate::db::write(conn, |conn| {
                    if jobs::give_up(conn, job.id, worker, &message)? {
                        award_imports::mark_finished(conn, import_id, Err(&message))?;
                    }
                    Ok::<(), AppError>(())
                })
            } else {
                let run_at = db::now() + crate::jobs::worker::backoff(job.attempts, job.id);
                jobs::retry_later(conn, job.id, worker, run_at, &message)?;
                Ok(())
            }
        }
    }
}

fn apply(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    worker: &str,
    job: &jobs::ClaimedJob,
    import_id: i64,
) -> AppResult<()> {
    let (file_name, text) = award_imports::source_of(conn, import_id)?
        .ok_or_else(|| AppError::not_found(format!("取込 {import_id} がありません")))?;
    let rows = award_list::parse_award_list(&text, &|year, label| programs.frame_code(year, label))
        .map_err(|error| AppError::new(crate::error::ErrorKind::BadRequest, error.explain_ja()))?;
    let aliases = crate::program::aliases::shipped_alias_table()
        .map_err(|error| AppError::internal("別名表を読めません").with_cause(error))?;
    let (plan, _) = awards::plan_import(conn, &rows, &aliases)?;
    let total = awards::plan_steps(&plan);
    award_imports::mark_running(conn, import_id, total)?;
    set_progress(import_id, Some((0, total)));
    let source = format!("取込 #{import_id} {file_name}");
    let written = crate::db::write(conn, |conn| {
        let summary = awards::apply_plan(conn, &plan, &source, &|steps| {
            add_progress(import_id, steps)
        })?;
        award_imports::mark_finished(conn, import_id, Ok(&summary))?;
        if !jobs::finish(conn, job.id, worker, JobState::Done, None)? {
            // Another worker took the job over (this one was too slow): let it write.
            return Err(AppError::conflict("取込ジョブの担当が替わりました"));
        }
        Ok::<_, AppError>(summary)
    });
    set_progress(import_id, None);
    let summary = written?;
    tracing::info!(import_id, ?summary, "award list imported");
    Ok(())
}
