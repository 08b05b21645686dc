//! The sent log: one row per recipient of every delivery attempt that reached a verdict.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{applications, deadlines, sent_emails};
use super::{DbConnection, now};
use crate::domain::deadlines::DeadlineKind;
use crate::domain::delivery::{MailKind, SentOutcome};
use crate::error::AppResult;

pub struct NewSentEmail<'a> {
    pub job_id: Option<i64>,
    pub application_id: Option<i64>,
    pub deadline_id: Option<i64>,
    pub recipient: &'a str,
    pub template: MailKind,
    pub message_id: Option<&'a str>,
    pub outcome: SentOutcome,
    pub detail: Option<&'a str>,
    /// The subject as sent.
    pub subject: Option<&'a str>,
}

pub fn record(conn: &mut DbConnection, entry: &NewSentEmail<'_>) -> AppResult<()> {
    diesel::insert_into(sent_emails::table)
        .values((
            sent_emails::job_id.eq(entry.job_id),
            sent_emails::application_id.eq(entry.application_id),
            sent_emails::deadline_id.eq(entry.deadline_id),
            sent_emails::recipient.eq(entry.recipient),
            sent_emails::template.eq(entry.template),
            sent_emails::message_id.eq(entry.message_id),
            sent_emails::outcome.eq(entry.outcome),
            sent_emails::detail.eq(entry.detail),
            sent_emails::subject.eq(entry.subject),
            sent_emails::sent_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// One line of an application's sent log.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct SentEmailView {
    pub id: i64,
    pub job_id: Option<i64>,
    pub recipient: String,
    pub template: String,
    pub deadline_id: Option<i64>,
    /// The deadline's kind (`completion_report` …), when the email was a reminder.
    #[schema(value_type = Option<String>)]
    pub deadline_kind: Option<DeadlineKind>,
    pub deadline_due_at: Option<NaiveDateTime>,
    pub message_id: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub sent_at: NaiveDateTime,
}

pub fn of_application(
    conn: &mut DbConnection,
    application_id: i64,
) -> AppResult<Vec<SentEmailView>> {
    Ok(sent_emails::table
        .left_join(deadlines::table.on(deadlines::id.nullable().eq(sent_emails::deadline_id)))
        .filter(sent_emails::application_id.eq(application_id))
        .order(sent_emails::id)
        .select((
            sent_emails::id,
            sent_emails::job_id,
            sent_emails::recipient,
            sent_emails::template,
            sent_emails::deadline_id,
            deadlines::kind.nullable(),
            deadlines::due_at.nullable(),
            sent_emails::message_id,
            sent_emails::outcome,
            sent_emails::detail,
            sent_emails::sent_at,
        ))
        .load(conn)?)
}

/// Every message id recorded as sent (for tests and the benchmark).
pub fn sent_count(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(sent_emails::table
        .filter(sent_emails::outcome.eq(SentOutcome::Sent))
        .count()
        .get_result(conn)?)
}

/// One line of the reminder log across every application (the program manager's page).
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct LogEntry {
    pub id: i64,
    pub recipient: String,
    pub template: String,
    pub subject: Option<String>,
    pub application_id: Option<i64>,
    pub application_reference: Option<String>,
    pub deadline_kind: Option<DeadlineKind>,
    pub outcome: String,
    pub detail: Option<String>,
    pub sent_at: NaiveDateTime,
}

/// A page of the sent log, newest first, and how many lines there are in all.
pub fn log_page(
    conn: &mut DbConnection,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<LogEntry>, i64)> {
    let total = sent_emails::table.count().get_result(conn)?;
    let entries = sent_emails::table
        .left_join(deadlines::table.on(deadlines::id.nullable().eq(sent_emails::deadline_id)))
        .left_join(
            applications::table.on(applications::id.nullable().eq(sent_emails::application_id)),
        )
        .order((sent_emails::sent_at.desc(), sent_emails::id.desc()))
        .limit(limit)
        .offset(offset)
        .select((
            sent_emails::id,
            sent_emails::recipient,
            sent_emails::template,
            sent_emails::subject,
            sent_emails::application_id,
            applications::reference.nullable(),
            deadlines::kind.nullable(),
            sent_emails::outcome,
            sent_emails::detail,
            sent_emails::sent_at,
        ))
        .load(conn)?;
    Ok((entries, total))
}
