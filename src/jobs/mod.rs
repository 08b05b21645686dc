//! Background work: the scheduler that enqueues due reminders and digests, and the worker
//! that delivers mail jobs. `hojokin serve` runs both on threads beside the web server;
//! `hojokin remind` runs them once.

pub mod imports;
pub mod scheduler;
pub mod worker;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Asia::Tokyo;
use serde::Serialize;

use crate::config::Config;
use crate::db::{self, Pool, deadlines, jobs as queue};
use crate::domain::deadlines::{DeadlineKind, schedule_of, utc_to_jst};
use crate::domain::jobs::JobState;
use crate::domain::program::ProgramSet;
use crate::error::{AppError, AppResult};
use crate::mail::Mailer;
use crate::mail::templates::Templates;
use scheduler::{ReminderSettings, TickOutcome};
use worker::{WorkOutcome, Worker, WorkerSettings};

/// The cron schedules of the configuration, parsed (they were checked at start-up).
fn schedule(text: &str, key: &str) -> AppResult<cron::Schedule> {
    cron::Schedule::from_str(text)
        .map_err(|error| AppError::config(format!("設定エラー [{key}]: {error}")))
}

/// The scheduler and the worker running on their own threads until [`Background::shutdown`].
pub struct Background {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Background {
    pub fn start(config: &Config, pool: Pool, programs: Arc<ProgramSet>) -> AppResult<Background> {
        let stop = Arc::new(AtomicBool::new(false));
        let tick_schedule = schedule(config.reminder_tick_cron.as_str(), "reminder_tick_cron")?;
        let digest_schedule = schedule(config.digest_cron.as_str(), "digest_cron")?;
        let settings = ReminderSettings::from_config(config);
        let worker = Worker::with_templates(
            pool.clone(),
            Mailer::from_config(&config.mail)?,
            WorkerSettings::from_config(config),
            Templates::load(config.templates_dir.as_ref())?,
        );
        let mut threads = Vec::new();
        let import_stop = stop.clone();
        let import_pool = pool.clone();
        let import_worker = format!("{}:imports", WorkerSettings::from_config(config).worker_id);
        let lease = Duration::from_secs(u64::from(config.job_lease_seconds));
        threads.push(
            std::thread::Builder::new()
                .name("hojokin-imports".into())
                .spawn(move || {
                    run_imports(&import_pool, &programs, &import_worker, lease, &import_stop);
                })
                .map_err(|error| {
                    AppError::internal("取込ワーカーを起動できません").with_cause(error)
                })?,
        );
        let scheduler_stop = stop.clone();
        let scheduler_pool = pool;
        threads.push(
            std::thread::Builder::new()
                .name("hojokin-scheduler".into())
                .spawn(move || {
                    run_scheduler(
                        &scheduler_pool,
                        &settings,
                        &tick_schedule,
                        &digest_schedule,
                        &scheduler_stop,
                    );
                })
                .map_err(|error| {
                    AppError::internal("スケジューラを起動できません").with_cause(error)
                })?,
        );
        let worker_stop = stop.clone();
        threads.push(
            std::thread::Builder::new()
                .name("hojokin-worker".into())
                .spawn(move || run_worker(&worker, &worker_stop))
                .map_err(|error| {
                    AppError::internal("ワーカーを起動できません").with_cause(error)
                })?,
        );
        Ok(Background { stop, threads })
    }

    /// Asks both threads to stop and waits: the worker finishes the message in hand (its
    /// batch's other jobs go back to the queue when their lease ends).
    pub fn shutdown(self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// Sleeps up to `duration` in short steps, returning early when asked to stop.
fn nap(duration: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(200);
    let mut left = duration;
    while !stop.load(Ordering::Relaxed) && !left.is_zero() {
        let now = step.min(left);
        std::thread::sleep(now);
        left = left.saturating_sub(now);
    }
}

fn run_scheduler(
    pool: &Pool,
    settings: &ReminderSettings,
    tick_schedule: &cron::Schedule,
    digest_schedule: &cron::Schedule,
    stop: &AtomicBool,
) {
    // Cron strings are read in Japan's time: "0 0 9 * * Mon" is Monday 09:00 JST.
    let mut last = Utc::now().with_timezone(&Tokyo);
    // One tick at start-up, so that a restart does not wait for the next firing.
    let mut pending_tick = true;
    while !stop.load(Ordering::Relaxed) {
        let now = Utc::now().with_timezone(&Tokyo);
        let mut pending_digest = None;
        if tick_schedule
            .after(&last)
            .next()
            .is_some_and(|at| at <= now)
        {
            pending_tick = true;
        }
        if let Some(at) = digest_schedule.after(&last).next().filter(|at| *at <= now) {
            pending_digest = Some(at.naive_utc());
        }
        last = now;
        if pending_tick {
            match pool
                .get()
                .map_err(AppError::from)
                .and_then(|mut conn| scheduler::tick(&mut conn, settings, db::now()))
            {
                Ok(outcome) if outcome.enqueued > 0 => {
                    tracing::info!(?outcome, "reminders enqueued");
                }
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "reminder tick failed"),
            }
            pending_tick = false;
        }
        if let Some(fired_at) = pending_digest {
            match pool
                .get()
                .map_err(AppError::from)
                .and_then(|mut conn| scheduler::enqueue_digest(&mut conn, fired_at))
            {
                Ok(count) => tracing::info!(count, "weekly digests enqueued"),
                Err(error) => tracing::error!(%error, "digest failed"),
            }
        }
        nap(Duration::from_secs(1), stop);
    }
}

/// Applies uploaded award lists (`award_import` jobs) as they are queued.
fn run_imports(
    pool: &Pool,
    programs: &ProgramSet,
    worker: &str,
    lease: Duration,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::Relaxed) {
        if let Err(error) = imports::run_pending(pool, programs, worker, lease) {
            tracing::error!(%error, "award import worker");
            nap(Duration::from_secs(5), stop);
        }
        nap(Duration::from_secs(1), stop);
    }
}

fn run_worker(worker: &Worker, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match worker.run_batch() {
            Ok(outcome) if outcome.claimed > 0 => {
                tracing::debug!(?outcome, "mail batch");
                continue;
            }
            Ok(_) => nap(Duration::from_secs(1), stop),
            Err(error) => {
                tracing::error!(%error, "mail worker");
                nap(Duration::from_secs(5), stop);
            }
        }
    }
}

/// What `hojokin remind --once` did.
#[derive(Debug, Serialize)]
pub struct OnceOutcome {
    pub tick: TickOutcome,
    pub work: WorkOutcome,
}

/// One pass: tick, and deliver everything claimable. (Deadlines follow the workflow as it
/// happens; data loaded without it is synced when loaded.)
pub fn run_once(config: &Config, pool: &Pool) -> AppResult<OnceOutcome> {
    let settings = ReminderSettings::from_config(config);
    let tick = scheduler::tick(&mut *pool.get()?, &settings, db::now())?;
    let worker = Worker::with_templates(
        pool.clone(),
        Mailer::from_config(&config.mail)?,
        WorkerSettings::from_config(config),
        Templates::load(config.templates_dir.as_ref())?,
    );
    let work = worker.drain(&AtomicBool::new(false))?;
    Ok(OnceOutcome { tick, work })
}

/// One line of `hojokin remind --dry-run`.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedReminder {
    /// When it goes out (JST).
    pub send_at_jst: NaiveDateTime,
    pub application_id: i64,
    pub reference: String,
    pub kind: DeadlineKind,
    pub due: String,
    pub offset: i32,
    pub recipient: String,
    /// `due now` (the next tick enqueues it), `queued`, `sent` or `scheduled`.
    pub state: &'static str,
}

/// What would be sent and when, from `now` on, without writing anything: the deadlines are
/// brought up to date and read inside a transaction that is always rolled back.
pub fn plan(
    config: &Config,
    pool: &Pool,
    programs: &ProgramSet,
    now: DateTime<Utc>,
) -> AppResult<Vec<PlannedReminder>> {
    let settings = ReminderSettings::from_config(config);
    let mut conn = pool.get()?;
    let mut planned = Vec::new();
    let now = now.naive_utc();
    // The pass ends in `Rollback` so that nothing it wrote stays.
    enum Pass {
        Rollback,
        Failed(AppError),
    }
    impl From<diesel::result::Error> for Pass {
        fn from(error: diesel::result::Error) -> Self {
            Pass::Failed(error.into())
        }
    }
    impl From<AppError> for Pass {
        fn from(error: AppError) -> Self {
            Pass::Failed(error)
        }
    }
    let result = crate::db::write::<(), Pass>(&mut conn, |conn| {
        deadlines::sync_all(conn, programs)?;
        let (_, due) = scheduler::due_reminders(conn, &settings, now)?;
        let horizon = now + chrono::TimeDelta::days(400);
        let rows =
            deadlines::open_with_recipients(conn, now - chrono::TimeDelta::days(30), horizon)?;
        let existing = queue::reminder_states(conn)?;
        for row in rows {
            let kind = row.kind;
            let offsets = row
                .reminder_offsets
                .as_deref()
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| settings.offsets.clone());
            let due_date = utc_to_jst(row.due_at).date();
            let reference = crate::db::recipients::application_heading(conn, row.application_id)?
                .map(|(reference, _)| reference)
                .unwrap_or_default();
            let recipient = crate::db::recipients::active(conn, row.user_id)?
                .map(|r| r.email)
                .unwrap_or_default();
            for (offset, send_at) in schedule_of(kind, due_date, &offsets, settings.send_time) {
                let key = deadlines::reminder_key(
                    row.application_id,
                    row.deadline_id,
                    due_date,
                    offset,
                    row.user_id,
                );
                let is_due = due.iter().any(|d| {
                    d.deadline_id == row.deadline_id
                        && d.user_id == row.user_id
                        && d.offset == offset
                });
                let state = match existing.get(&key) {
                    Some(JobState::Done) => "sent",
                    Some(JobState::Queued | JobState::Running) => "queued",
                    Some(_) => continue,
                    None if is_due => "due now",
                    None if send_at > now => "scheduled",
                    None => continue,
                };
                planned.push(PlannedReminder {
                    send_at_jst: utc_to_jst(send_at),
                    application_id: row.application_id,
                    reference: reference.clone(),
                    kind,
                    due: crate::domain::deadlines::format_due(row.due_at, kind),
                    offset,
                    recipient: recipient.clone(),
                    state,
                });
            }
        }
        Err(Pass::Rollback)
    });
    if let Err(Pass::Failed(error)) = result {
        return Err(error);
    }
    planned.sort_by(|a, b| {
        (a.send_at_jst, &a.reference, &a.recipient).cmp(&(
            b.send_at_jst,
            &b.reference,
            &b.recipient,
        ))
    });
    Ok(planned)
}
