//! The scheduler: on each tick it finds the reminders that are due and enqueues them, once each
//! (the job's unique key). It sends nothing itself (DESIGN.md habit 7), so a tick can run in any
//! number of processes, as often as it likes, and after any restart.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{NaiveDateTime, NaiveTime, TimeDelta};
use serde::Serialize;
use serde_json::json;

use crate::config::Config;
use crate::db::{DbConnection, deadlines, jobs, recipients};
use crate::domain::deadlines::{DeadlineKind, ReminderOffsets, STALE_AFTER, due_offset};
use crate::error::AppResult;

/// The reminder policy in force.
#[derive(Clone, Debug)]
pub struct ReminderSettings {
    pub offsets: ReminderOffsets,
    pub send_time: NaiveTime,
}

impl ReminderSettings {
    pub fn from_config(config: &Config) -> Self {
        ReminderSettings {
            offsets: config.reminder_offsets.clone(),
            send_time: config.reminder_send_time,
        }
    }
}

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings {
            offsets: ReminderOffsets::default(),
            send_time: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TickOutcome {
    /// (open deadline, recipient) pairs looked at.
    pub considered: usize,
    /// Reminders due now.
    pub due: usize,
    /// Of those, newly enqueued (the rest were enqueued by an earlier tick).
    pub enqueued: usize,
}

/// A due reminder, as the tick and `remind --dry-run` see it.
#[derive(Debug, Clone, Serialize)]
pub struct DueReminder {
    pub deadline_id: i64,
    pub application_id: i64,
    pub kind: DeadlineKind,
    pub due_at: NaiveDateTime,
    pub user_id: i64,
    pub offset: i32,
    pub send_at: NaiveDateTime,
}

impl DueReminder {
    pub fn job(&self) -> jobs::NewJob {
        let due_date = crate::domain::deadlines::utc_to_jst(self.due_at).date();
        jobs::NewJob {
            kind: jobs::JobKind::Reminder,
            unique_key: deadlines::reminder_key(
                self.application_id,
                self.deadline_id,
                due_date,
                self.offset,
                self.user_id,
            ),
            payload: json!({
                "deadline_id": self.deadline_id, "application_id": self.application_id,
                "user_id": self.user_id, "offset": self.offset, "due_at": self.due_at,
            }),
            // Only due reminders are enqueued: each can go at once.
            run_at: crate::db::now().min(self.send_at),
        }
    }
}

/// The reminders due at `now` (with each user's own offsets).
pub fn due_reminders(
    conn: &mut DbConnection,
    settings: &ReminderSettings,
    now: NaiveDateTime,
) -> AppResult<(usize, Vec<DueReminder>)> {
    // The scan window is as wide as the widest offsets anyone uses, so that one index range
    // finds every candidate however many deadlines there are.
    let mut parsed: HashMap<String, Option<ReminderOffsets>> = HashMap::new();
    let (mut earliest, mut latest) = (settings.offsets.earliest(), settings.offsets.latest());
    for text in crate::db::recipients::custom_offsets(conn)? {
        if let Ok(offsets) = ReminderOffsets::from_str(&text) {
            earliest = earliest.min(offsets.earliest());
            latest = latest.max(offsets.latest());
            parsed.insert(text, Some(offsets));
        } else {
            // Preferences are checked when saved; an unreadable one falls back to the default.
            parsed.insert(text, None);
        }
    }
    let from = now - TimeDelta::days(i64::from(latest.max(0)) + 2) - STALE_AFTER;
    let to = now + TimeDelta::days(i64::from((-earliest).max(0)) + 2);
    let rows = deadlines::open_with_recipients(conn, from, to)?;
    let considered = rows.len();
    let mut due = Vec::new();
    for row in rows {
        let kind = row.kind;
        let offsets = row
            .reminder_offsets
            .as_ref()
            .and_then(|text| parsed.get(text).cloned().flatten())
            .unwrap_or_else(|| settings.offsets.clone());
        if let Some((offset, send_at)) =
            due_offset(kind, row.due_at, &offsets, settings.send_time, now)
        {
            due.push(DueReminder {
                deadline_id: row.deadline_id,
                application_id: row.application_id,
                kind,
                due_at: row.due_at,
                user_id: row.user_id,
                offset,
                send_at,
            });
        }
    }
    Ok((considered, due))
}

/// One tick: enqueue every reminder due at `now`, in one transaction.
pub fn tick(
    conn: &mut DbConnection,
    settings: &ReminderSettings,
    now: NaiveDateTime,
) -> AppResult<TickOutcome> {
    crate::db::write(conn, |conn| {
        let (considered, due) = due_reminders(conn, settings, now)?;
        let new_jobs: Vec<jobs::NewJob> = due.iter().map(DueReminder::job).collect();
        let enqueued = jobs::enqueue_many(conn, &new_jobs)?;
        Ok(TickOutcome {
            considered,
            due: due.len(),
            enqueued,
        })
    })
}

/// The weekly digest for program managers, once per firing of `digest_cron` (the firing time
/// is in the key, so every process that notices it enqueues the same jobs).
pub fn enqueue_digest(conn: &mut DbConnection, fired_at: NaiveDateTime) -> AppResult<usize> {
    let managers = recipients::program_managers(conn, true)?;
    let new_jobs: Vec<jobs::NewJob> = managers
        .iter()
        .map(|manager| jobs::NewJob {
            kind: jobs::JobKind::Email,
            unique_key: format!(
                "digest:{}:{}",
                fired_at.format("%Y-%m-%dT%H:%M"),
                manager.user_id
            ),
            payload: json!({ "template": "digest", "user_id": manager.user_id, "at": fired_at }),
            run_at: fired_at,
        })
        .collect();
    jobs::enqueue_many(conn, &new_jobs)
}
