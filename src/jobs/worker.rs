//! The worker: claims mail jobs, renders and sends them, and records every verdict.
//!
//! Delivery is at least once by construction, and exactly once but for one window:
//! - a job is marked done in the same transaction that writes its sent-log row, right after
//!   the server accepted the message; a worker that dies holding jobs leaves them to others
//!   when its lease runs out;
//! - while a batch is being sent, a heartbeat gives every job the worker still holds a full
//!   lease again every third of the lease, so a slow server never lets a second worker take a
//!   job that is still being sent;
//! - right before a message goes on the wire, one conditional UPDATE renews the worker's hold
//!   on its job and, in the same committed transaction, the send-attempt log gets its row; a
//!   worker that lost the job anyway (a heartbeat that failed) does not send it
//!   (`WorkOutcome::lost`).
//!
//! The one gap no SMTP client can close is a crash between the server's "250" and the commit
//! that follows it: the message then goes out again with the same Message-ID (one per job),
//! and the crashed attempt stays in the log without an answer, which `/manager/reminders` shows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::Config;
use crate::db::jobs::{JobKind, JobState};
use crate::db::recipients::{self, Recipient};
use crate::db::send_attempts::{self, NewAttempt};
use crate::db::sent_emails::{self, NewSentEmail};
use crate::db::{self, DbConnection, Pool, deadlines, jobs};
use crate::domain::calendar::wareki_date;
use crate::domain::deadlines::{
    DeadlineKind, DeadlineStatus, format_due, offset_label, utc_to_jst,
};
use crate::domain::delivery::{AttemptOutcome, MailKind, SentOutcome, gives_up};
use crate::domain::workflow::Recipients;
use crate::error::{AppError, AppResult};
use crate::mail::templates::Templates;
use crate::mail::{Mailer, OutgoingEmail, SMTP_CONNECTIONS, SendError, sender_domain};

#[derive(Clone, Debug)]
pub struct WorkerSettings {
    pub worker_id: String,
    pub base_url: String,
    pub mail_from: String,
    pub lease: Duration,
    /// Jobs claimed at once.
    pub batch: i64,
    /// Messages sent at the same time (one SMTP connection each). lettre writes a message's
    /// final "." apart from its body, so Nagle's algorithm and the server's delayed ACK hold
    /// every message 40 ms or more on one connection; parallel connections hide that wait.
    pub concurrency: usize,
}

impl WorkerSettings {
    pub fn from_config(config: &Config) -> Self {
        WorkerSettings {
            worker_id: format!(
                "{}:{}:{:08x}",
                hostname(),
                std::process::id(),
                rand::random::<u32>()
            ),
            base_url: config.base_url.clone(),
            mail_from: config.mail_from.clone(),
            lease: Duration::from_secs(u64::from(config.job_lease_seconds)),
            batch: 32,
            concurrency: SMTP_CONNECTIONS,
        }
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "hojokin".to_owned())
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WorkOutcome {
    pub claimed: usize,
    pub sent: usize,
    pub retrying: usize,
    pub dead: usize,
    /// Not sent because nothing is due any more (the deadline was met, the user opted out).
    pub skipped: usize,
    /// Not sent because this worker no longer held the job: its lease ran out and another
    /// worker took it over.
    pub lost: usize,
}

impl WorkOutcome {
    fn add(&mut self, other: WorkOutcome) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.dead += other.dead;
        self.skipped += other.skipped;
        self.lost += other.lost;
    }
}

pub struct Worker {
    pool: Pool,
    mailer: Mailer,
    templates: Arc<Templates>,
    settings: WorkerSettings,
}

/// What a job turned out to need.
enum Prepared {
    Skip(String),
    Send {
        email: OutgoingEmail,
        recipients: Vec<String>,
        logged: Logged,
    },
}

/// What the sent log records a message as: its template and what it is about.
struct Logged {
    template: MailKind,
    application_id: Option<i64>,
    deadline_id: Option<i64>,
}

#[derive(Deserialize)]
struct ReminderPayload {
    deadline_id: i64,
    user_id: i64,
    offset: i32,
    due_at: NaiveDateTime,
}

#[derive(Deserialize)]
struct EmailPayload {
    template: MailKind,
    #[serde(default)]
    application_id: Option<i64>,
    #[serde(default)]
    to: Option<Recipients>,
    #[serde(default)]
    user_id: Option<i64>,
    /// `password_reset`: the request whose link this mail carries.
    #[serde(default)]
    reset_id: Option<i64>,
    /// The reason the person acting gave (差戻し: what to correct).
    #[serde(default)]
    reason: Option<String>,
}

/// Wait before the n-th retry: 30 s, 1 min, 2 min … at most an hour, plus a few seconds that
/// differ per job so that a burst of failures does not come back as one burst.
pub fn backoff(attempts: i32, job_id: i64) -> TimeDelta {
    let exponent = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    let seconds = (30_i64 << exponent).min(3600);
    TimeDelta::seconds(seconds + job_id.rem_euclid(7))
}

impl Worker {
    /// A worker with the embedded email templates.
    pub fn new(pool: Pool, mailer: Mailer, settings: WorkerSettings) -> AppResult<Worker> {
        Ok(Worker::with_templates(
            pool,
            mailer,
            settings,
            Templates::embedded()?,
        ))
    }

    /// A worker with these templates (`templates_dir`'s replacements: `Templates::load`).
    pub fn with_templates(
        pool: Pool,
        mailer: Mailer,
        settings: WorkerSettings,
        templates: Templates,
    ) -> Worker {
        Worker {
            pool,
            mailer,
            templates: Arc::new(templates),
            settings,
        }
    }

    fn lease(&self) -> AppResult<TimeDelta> {
        TimeDelta::from_std(self.settings.lease)
            .map_err(|error| AppError::internal("リース時間が不正です").with_cause(error))
    }

    /// Claims one batch and carries it out, keeping its leases alive meanwhile.
    pub fn run_batch(&self) -> AppResult<WorkOutcome> {
        let mut conn = self.pool.get()?;
        let at = db::now();
        let lease = self.lease()?;
        let claimed = jobs::claim(
            &mut conn,
            &jobs::MAIL_KINDS,
            &self.settings.worker_id,
            at,
            at + lease,
            self.settings.batch,
        )?;
        drop(conn);
        let mut outcome = WorkOutcome {
            claimed: claimed.len(),
            ..WorkOutcome::default()
        };
        let lanes = self.settings.concurrency.clamp(1, claimed.len().max(1));
        let (batch_sending, batch_done) = channel::<()>();
        let results: Vec<AppResult<WorkOutcome>> = std::thread::scope(|scope| {
            if !claimed.is_empty() {
                scope.spawn(move || self.keep_leases(lease, &batch_done));
            }
            let handles: Vec<_> = (0..lanes)
                .map(|lane| {
                    let jobs: Vec<&jobs::ClaimedJob> =
                        claimed.iter().skip(lane).step_by(lanes).collect();
                    scope.spawn(move || {
                        let mut lane_outcome = WorkOutcome::default();
                        for job in jobs {
                            lane_outcome.add(self.carry_out(job)?);
                        }
                        Ok(lane_outcome)
                    })
                })
                .collect();
            let results = handles
                .into_iter()
                .map(|handle| {
                    handle.join().unwrap_or_else(|_| {
                        Err(AppError::internal("送信スレッドが異常終了しました"))
                    })
                })
                .collect();
            drop(batch_sending);
            results
        });
        for result in results {
            outcome.add(result?);
        }
        Ok(outcome)
    }

    /// The heartbeat of a batch: every third of the lease, the jobs this worker still holds
    /// get a full lease again, until the batch is done (`done` hangs up). A renewal that fails
    /// is only logged: the hold is checked again before each message goes out.
    fn keep_leases(&self, lease: TimeDelta, done: &Receiver<()>) {
        let worker = self.settings.worker_id.as_str();
        while let Err(RecvTimeoutError::Timeout) =
            done.recv_timeout((self.settings.lease / 3).max(Duration::from_millis(100)))
        {
            let renewed = self
                .pool
                .get()
                .map_err(AppError::from)
                .and_then(|mut conn| jobs::renew_leases(&mut conn, worker, db::now() + lease));
            if let Err(error) = renewed {
                tracing::warn!(%error, "the leases of a batch in flight were not renewed");
            }
        }
    }

    /// Runs batches until nothing is claimable (or `stop` is set).
    pub fn drain(&self, stop: &AtomicBool) -> AppResult<WorkOutcome> {
        let mut total = WorkOutcome::default();
        while !stop.load(Ordering::Relaxed) {
            let outcome = self.run_batch()?;
            total.add(outcome);
            if outcome.claimed == 0 {
                break;
            }
        }
        Ok(total)
    }

    /// Carries out one job. No database connection is held while the message is on the wire,
    /// so that many messages can be in flight with a small pool.
    fn carry_out(&self, job: &jobs::ClaimedJob) -> AppResult<WorkOutcome> {
        let mut held = self.pool.get()?;
        let conn: &mut DbConnection = &mut held;
        let worker = self.settings.worker_id.as_str();
        let mut outcome = WorkOutcome::default();
        if job.attempts > job.max_attempts {
            jobs::give_up(conn, job.id, worker, "試行回数の上限に達しました")?;
            outcome.dead = 1;
            return Ok(outcome);
        }
        let prepared = match self.prepare(conn, job) {
            Ok(prepared) => prepared,
            Err(error) => {
                // A job that cannot even be rendered will not get better by waiting.
                jobs::give_up(conn, job.id, worker, &error.to_string())?;
                outcome.dead = 1;
                return Ok(outcome);
            }
        };
        let (email, to, logged) = match prepared {
            Prepared::Skip(reason) => {
                jobs::finish(conn, job.id, worker, JobState::Cancelled, Some(&reason))?;
                outcome.skipped = 1;
                return Ok(outcome);
            }
            Prepared::Send {
                email,
                recipients,
                logged,
            } => (email, recipients, logged),
        };
        // The hold is renewed and the attempt recorded in one transaction committed before the
        // message goes on the wire: a worker that lost the job sends nothing, and every copy the
        // server may have received has its row, even when this process dies before the answer.
        let lease_until = db::now() + self.lease()?;
        let attempt = crate::db::write(conn, |conn| {
            if !jobs::renew_hold(conn, job.id, worker, lease_until)? {
                return Ok::<_, AppError>(None);
            }
            send_attempts::start(
                conn,
                &NewAttempt {
                    job_id: job.id,
                    attempt: job.attempts,
                    worker,
                    message_id: &email.message_id,
                },
            )
            .map(Some)
        })?;
        let Some(attempt) = attempt else {
            tracing::warn!(job = job.id, "not sent: another worker took the job over");
            outcome.lost = 1;
            return Ok(outcome);
        };
        drop(held);
        let result = self.mailer.send(&self.settings.mail_from, &email);
        let mut held = self.pool.get()?;
        let conn: &mut DbConnection = &mut held;
        let record = |conn: &mut DbConnection,
                      outcome: SentOutcome,
                      message_id: Option<&str>,
                      detail: Option<&str>| {
            for recipient in &to {
                sent_emails::record(
                    conn,
                    &NewSentEmail {
                        job_id: Some(job.id),
                        application_id: logged.application_id,
                        deadline_id: logged.deadline_id,
                        recipient,
                        template: logged.template,
                        message_id,
                        outcome,
                        detail,
                        subject: Some(&email.subject),
                    },
                )?;
            }
            Ok::<(), AppError>(())
        };
        match result {
            Ok(message_id) => {
                // The server has the message: recording that must not fail on a momentary
                // lock (SQLite answers "busy" at once to a second writer in some cases), or the
                // job would be sent again after its lease.
                persist(|| {
                    crate::db::write(conn, |conn| {
                        send_attempts::complete(conn, attempt, AttemptOutcome::Accepted, None)?;
                        if jobs::finish(conn, job.id, worker, JobState::Done, None)? {
                            record(conn, SentOutcome::Sent, Some(&message_id), None)?;
                        } else {
                            tracing::warn!(
                                job = job.id,
                                "sent by a worker that no longer held the job"
                            );
                        }
                        Ok::<(), AppError>(())
                    })
                })?;
                outcome.sent = 1;
            }
            Err(error) => {
                // A permanent refusal, or the last attempt: a dead letter; else a retry later.
                let dead = gives_up(error.permanent, job.attempts, job.max_attempts);
                let run_at = db::now() + backoff(job.attempts, job.id);
                crate::db::write(conn, |conn| {
                    send_attempts::complete(
                        conn,
                        attempt,
                        failure_outcome(&error),
                        Some(&error.message),
                    )?;
                    let held = if dead {
                        jobs::give_up(conn, job.id, worker, &error.message)?
                    } else {
                        jobs::retry_later(conn, job.id, worker, run_at, &error.message)?
                    };
                    if held {
                        let logged = if dead {
                            SentOutcome::Dead
                        } else {
                            SentOutcome::Retrying
                        };
                        record(conn, logged, None, Some(&error.message))?;
                    }
                    Ok::<(), AppError>(())
                })?;
                if dead {
                    tracing::warn!(job = job.id, error = %error, "email failed for good (dead letter)");
                    outcome.dead = 1;
                } else {
                    tracing::info!(job = job.id, error = %error, %run_at, "email will be retried");
                    outcome.retrying = 1;
                }
            }
        }
        Ok(outcome)
    }

    /// A message rendered from `template` with `context` to `people`, logged as `logged`.
    fn addressed(
        &self,
        job_id: i64,
        (template, context): (MailKind, &Value),
        people: Vec<Recipient>,
        logged: Logged,
    ) -> AppResult<Prepared> {
        let rendered = self.templates.render(template.as_str(), context)?;
        Ok(Prepared::Send {
            email: OutgoingEmail {
                to: people
                    .iter()
                    .map(|p| (p.display_name.clone(), p.email.clone()))
                    .collect(),
                subject: rendered.subject,
                text: rendered.text,
                html: rendered.html,
                message_id: self.message_id(job_id),
            },
            recipients: people.into_iter().map(|p| p.email).collect(),
            logged,
        })
    }

    fn message_id(&self, job_id: i64) -> String {
        format!(
            "<hojokin.job{job_id}@{}>",
            sender_domain(&self.settings.mail_from)
        )
    }

    fn application_context(&self, conn: &mut DbConnection, id: i64) -> AppResult<Option<Value>> {
        Ok(
            recipients::application_heading(conn, id)?.map(|(reference, title)| {
                json!({ "reference": reference, "title": title,
                    "url": format!("{}/applications/{id}", self.settings.base_url) })
            }),
        )
    }

    fn prepare(&self, conn: &mut DbConnection, job: &jobs::ClaimedJob) -> AppResult<Prepared> {
        let bad = |error: serde_json::Error| {
            AppError::internal(format!("ジョブ {} の内容が読めません: {error}", job.id))
        };
        let settings_url = format!("{}/settings/notifications", self.settings.base_url);
        match job.kind {
            JobKind::Reminder => {
                let payload: ReminderPayload =
                    serde_json::from_str(&job.payload_json).map_err(bad)?;
                // Checked again at sending time: the report may have been filed since.
                let Some(deadline) = deadlines::find(conn, payload.deadline_id)? else {
                    return Ok(Prepared::Skip("期限がありません".into()));
                };
                if deadline.status != DeadlineStatus::Open {
                    return Ok(Prepared::Skip(format!(
                        "期限は「{}」です",
                        deadline.status.label_ja()
                    )));
                }
                if deadline.due_at != payload.due_at {
                    return Ok(Prepared::Skip("期限の日時が変わりました".into()));
                }
                let Some(user) = recipients::active(conn, payload.user_id)? else {
                    return Ok(Prepared::Skip("受信者がメールを受け取りません".into()));
                };
                let Some(application) = self.application_context(conn, deadline.application_id)?
                else {
                    return Ok(Prepared::Skip("申請がありません".into()));
                };
                let kind = deadline.kind;
                let due_date = deadline.due_date();
                let context = json!({
                    "recipient": user.display_name,
                    "settings_url": settings_url,
                    "application": application,
                    "deadline": {
                        "label": kind.label_ja(),
                        "due": format_due(deadline.due_at, kind),
                        "rolled_from": Value::Null,
                    },
                    "timing": offset_label(payload.offset),
                    "overdue": payload.offset > 0,
                    "days": payload.offset.abs(),
                    "due_date": due_date.to_string(),
                });
                self.addressed(
                    job.id,
                    (MailKind::Reminder, &context),
                    vec![user],
                    Logged {
                        template: MailKind::Reminder,
                        application_id: Some(deadline.application_id),
                        deadline_id: Some(deadline.id),
                    },
                )
            }
            JobKind::Email => {
                let payload: EmailPayload = serde_json::from_str(&job.payload_json).map_err(bad)?;
                match payload.template {
                    MailKind::Digest => {
                        return self.prepare_digest(conn, job, payload.user_id, &settings_url);
                    }
                    MailKind::PasswordReset => {
                        return self.prepare_password_reset(
                            conn,
                            job,
                            payload.reset_id,
                            &settings_url,
                        );
                    }
                    _ => {}
                }
                let Some(application_id) = payload.application_id else {
                    return Ok(Prepared::Skip("申請の指定がありません".into()));
                };
                let people = match payload.to {
                    Some(Recipients::ProgramManagers) => recipients::program_managers(conn, false)?,
                    Some(Recipients::FinanceOfficers) => {
                        recipients::finance_officers_of(conn, application_id)?
                    }
                    Some(Recipients::Applicant) | None => {
                        recipients::applicants_of(conn, application_id)?
                    }
                };
                if people.is_empty() {
                    return Ok(Prepared::Skip("受信者がいません".into()));
                }
                let Some(application) = self.application_context(conn, application_id)? else {
                    return Ok(Prepared::Skip("申請がありません".into()));
                };
                let (title, message) = payload.template.notice_ja();
                let details = event_details(conn, &payload, application_id)?;
                let names: Vec<&str> = people.iter().map(|p| p.display_name.as_str()).collect();
                let context = json!({
                    "recipient": names.join("、"),
                    "settings_url": settings_url,
                    "application": application,
                    "event": { "title": title, "message": message, "details": details },
                });
                self.addressed(
                    job.id,
                    (MailKind::Notification, &context),
                    people,
                    Logged {
                        template: payload.template,
                        application_id: Some(application_id),
                        deadline_id: None,
                    },
                )
            }
            other => Err(AppError::internal(format!(
                "未知のジョブ {}",
                other.as_str()
            ))),
        }
    }

    /// A password-reset mail. Its link is made here, at sending time: a fresh token whose
    /// hash replaces the request's (`db::users::issue_reset_token`), so that the token is
    /// never stored, in the job or anywhere else. A mail tried again carries a new link, and
    /// only the latest one works.
    fn prepare_password_reset(
        &self,
        conn: &mut DbConnection,
        job: &jobs::ClaimedJob,
        reset_id: Option<i64>,
        settings_url: &str,
    ) -> AppResult<Prepared> {
        let Some(reset_id) = reset_id else {
            return Err(AppError::internal(format!(
                "ジョブ {} に再設定の依頼の指定がありません",
                job.id
            )));
        };
        let token = crate::passwords::random_token();
        let Some((user, expires_at)) = db::users::issue_reset_token(conn, reset_id, &token)? else {
            return Ok(Prepared::Skip(
                "再設定の依頼は使用済みか期限切れです".into(),
            ));
        };
        let expires = utc_to_jst(expires_at);
        let context = json!({
            "recipient": user.display_name,
            "settings_url": settings_url,
            "reset_url": format!("{}/password-reset/{token}", self.settings.base_url),
            "expires": format!("{} {}", wareki_date(expires.date()), expires.format("%H:%M")),
        });
        self.addressed(
            job.id,
            (MailKind::PasswordReset, &context),
            vec![Recipient::from(user)],
            Logged {
                template: MailKind::PasswordReset,
                application_id: None,
                deadline_id: None,
            },
        )
    }

    fn prepare_digest(
        &self,
        conn: &mut DbConnection,
        job: &jobs::ClaimedJob,
        user_id: Option<i64>,
        settings_url: &str,
    ) -> AppResult<Prepared> {
        let Some(user) = (match user_id {
            Some(id) => recipients::active(conn, id)?,
            None => None,
        }) else {
            return Ok(Prepared::Skip("受信者がメールを受け取りません".into()));
        };
        let now = db::now();
        let open =
            deadlines::open_between(conn, now - TimeDelta::days(365), now + TimeDelta::days(14))?;
        let mut overdue = Vec::new();
        let mut upcoming = Vec::new();
        for deadline in open {
            let kind = deadline.kind;
            let Some(application) = self.application_context(conn, deadline.application_id)? else {
                continue;
            };
            let entry = json!({
                "due": format_due(deadline.due_at, kind), "label": kind.label_ja(),
                "title": application["title"], "reference": application["reference"],
                "url": application["url"],
            });
            if deadline.due_at < now {
                overdue.push(entry)
            } else {
                upcoming.push(entry)
            }
        }
        let context = json!({
            "recipient": user.display_name,
            "settings_url": settings_url,
            "week_of": wareki_date(utc_to_jst(now).date()).to_string(),
            "overdue_count": overdue.len(), "upcoming_count": upcoming.len(),
            "overdue": overdue, "upcoming": upcoming,
        });
        self.addressed(
            job.id,
            (MailKind::Digest, &context),
            vec![user],
            Logged {
                template: MailKind::Digest,
                application_id: None,
                deadline_id: None,
            },
        )
    }
}

/// How a failed send ended, for the attempt log.
fn failure_outcome(error: &SendError) -> AttemptOutcome {
    if error.permanent {
        AttemptOutcome::PermanentFailure
    } else {
        AttemptOutcome::TemporaryFailure
    }
}

/// Runs a short write transaction, trying again for a few seconds when it fails.
fn persist(mut write: impl FnMut() -> AppResult<()>) -> AppResult<()> {
    let mut attempt = 0;
    loop {
        match write() {
            Ok(()) => return Ok(()),
            Err(error) if attempt < 40 => {
                attempt += 1;
                tracing::debug!(%error, attempt, "retrying the record of a sent email");
                std::thread::sleep(Duration::from_millis(25 * attempt.min(8)));
            }
            Err(error) => return Err(error),
        }
    }
}

/// What a notice says beyond its sentence, as `{label, text}` lines: the 差戻し's reason and
/// answer deadline, the 交付申請 deadline after 採択 (each deadline as stored when the mail is
/// sent, from `domain::deadlines`).
fn event_details(
    conn: &mut DbConnection,
    payload: &EmailPayload,
    application_id: i64,
) -> AppResult<Vec<Value>> {
    let mut details = Vec::new();
    let deadline = match payload.template {
        MailKind::ReturnedForCorrection => {
            if let Some(reason) = &payload.reason {
                details.push(json!({ "label": "差戻しの理由", "text": reason }));
            }
            Some((DeadlineKind::CorrectionAnswer, "回答（再提出）の期限"))
        }
        MailKind::Selected => Some((DeadlineKind::GrantRequest, "交付申請の期限")),
        _ => None,
    };
    if let Some((kind, label)) = deadline
        && let Some(row) = deadlines::latest_of_kind(conn, application_id, kind)?
    {
        details.push(json!({ "label": label, "text": format_due(row.due_at, kind) }));
    }
    Ok(details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1, 0), TimeDelta::seconds(30));
        assert_eq!(backoff(2, 0), TimeDelta::seconds(60));
        assert_eq!(backoff(3, 7), TimeDelta::seconds(120));
        assert_eq!(backoff(8, 0), TimeDelta::seconds(3600));
        assert_eq!(backoff(50, 0), TimeDelta::seconds(3600));
    }

    #[test]
    fn a_due_time_reads_as_japanese_people_write_it() {
        let due = chrono::NaiveDate::from_ymd_opt(2027, 3, 10)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .expect("valid");
        assert_eq!(
            format_due(
                due,
                crate::domain::deadlines::DeadlineKind::CompletionReport
            ),
            "令和9年3月10日（水）17:00"
        );
    }
}
