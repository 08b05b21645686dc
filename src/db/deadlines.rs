//! The `deadlines` table: the stored form of what `domain::deadlines` derives. A workflow
//! action re-derives its application's deadlines in the action's transaction ([`sync_application`]);
//! the scheduler reads open deadlines by due time.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{
    application_members, applications, audit_events, deadlines, legal_bases, memberships,
    organisations, reports, users,
};
use super::{DbConnection, jobs, now};
use crate::domain::access::Role;
use crate::domain::calendar::FiscalYear;
use crate::domain::deadlines::{
    ApplicationFacts, Deadline, DeadlineKind, DeadlineStatus, closed_status, derive, utc_to_jst,
};
use crate::domain::program::ProgramSet;
use crate::domain::workflow::ApplicationState;
use crate::domain::workflow::{ReportKind, ReportStatus};
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = deadlines)]
pub struct DeadlineRow {
    pub id: i64,
    pub application_id: i64,
    pub kind: DeadlineKind,
    pub sequence: i32,
    pub due_at: NaiveDateTime,
    pub status: DeadlineStatus,
    pub met_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl DeadlineRow {
    /// The date that counts, in Japan.
    pub fn due_date(&self) -> NaiveDate {
        utc_to_jst(self.due_at).date()
    }
}

/// The prefix of every reminder job of one deadline (and, without the deadline, of the
/// application: `Effect::CancelReminders` cancels `reminder:{application_id}:`).
pub fn reminder_key_prefix(application_id: i64, deadline_id: i64) -> String {
    format!("reminder:{application_id}:{deadline_id}:")
}

/// The unique key of one reminder: the due date is part of it, so that a deadline that moves
/// gets its reminders again for the new date.
pub fn reminder_key(
    application_id: i64,
    deadline_id: i64,
    due_date: NaiveDate,
    offset: i32,
    user_id: i64,
) -> String {
    format!(
        "{}{due_date}:{offset:+}:{user_id}",
        reminder_key_prefix(application_id, deadline_id)
    )
}

/// The facts `domain::deadlines::derive` needs, read from the application as stored.
pub fn facts_of(conn: &mut DbConnection, application_id: i64) -> AppResult<ApplicationFacts> {
    let (state, fiscal_year, project_start, project_end, updated_at): (
        ApplicationState,
        i32,
        Option<NaiveDate>,
        Option<NaiveDate>,
        NaiveDateTime,
    ) = applications::table
        .find(application_id)
        .select((
            applications::status,
            applications::fiscal_year,
            applications::project_start,
            applications::project_end,
            applications::updated_at,
        ))
        .first(conn)?;
    // The day it entered this state: its latest audit event into the state (data loaded without
    // events, like the demo, falls back to the last update).
    let entered: Option<NaiveDateTime> = audit_events::table
        .filter(audit_events::application_id.eq(application_id))
        .filter(audit_events::to_state.eq(state.as_str()))
        .select(diesel::dsl::max(audit_events::occurred_at))
        .first(conn)?;
    let valid_until: Option<Option<NaiveDate>> = legal_bases::table
        .filter(legal_bases::application_id.eq(application_id))
        .select(legal_bases::valid_until)
        .first(conn)
        .optional()?;
    let filed: i64 = reports::table
        .filter(reports::application_id.eq(application_id))
        .filter(reports::kind.eq(ReportKind::Interim))
        .filter(reports::status.eq_any([ReportStatus::Submitted, ReportStatus::Accepted]))
        .count()
        .get_result(conn)?;
    Ok(ApplicationFacts {
        state,
        fiscal_year: FiscalYear(fiscal_year),
        state_entered_on: utc_to_jst(entered.unwrap_or(updated_at)).date(),
        project_start,
        project_end,
        window_closes: None,
        legal_basis_valid_until: valid_until.flatten(),
        interim_reports_filed: u32::try_from(filed).unwrap_or(u32::MAX),
        correction_answer_due: super::corrections::unanswered(conn, application_id)?
            .and_then(|open| open.reply_due_on),
    })
}

/// What the deadlines of one application should be now.
pub fn derived_for(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    application_id: i64,
) -> AppResult<(ApplicationState, Vec<Deadline>)> {
    let mut facts = facts_of(conn, application_id)?;
    let Some(program) = programs.get(facts.fiscal_year) else {
        // A year without a programme file has no rules to derive from.
        return Ok((facts.state, Vec::new()));
    };
    facts.window_closes = program.application_window.as_ref().map(|w| w.closes);
    // The year's programme file says when its filings are due (`[deadlines]`).
    Ok((
        facts.state,
        derive(&facts, &program.reports, &program.deadlines),
    ))
}

/// What [`sync_application`] changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SyncOutcome {
    pub created: usize,
    pub moved: usize,
    pub closed: usize,
}

/// Brings the stored deadlines of an application in line with its state: new ones are added,
/// moved ones updated (their queued reminders for the old date cancelled), and those no longer
/// derived closed as met or cancelled, with their queued reminders cancelled.
pub fn sync_application(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    application_id: i64,
) -> AppResult<SyncOutcome> {
    let (state, desired) = derived_for(conn, programs, application_id)?;
    let existing: Vec<DeadlineRow> = deadlines::table
        .filter(deadlines::application_id.eq(application_id))
        .select(DeadlineRow::as_select())
        .load(conn)?;
    let mut outcome = SyncOutcome::default();
    let at = now();
    for wanted in &desired {
        let found = existing
            .iter()
            .find(|row| row.kind == wanted.kind && row.sequence == wanted.sequence);
        match found {
            None => {
                diesel::insert_into(deadlines::table)
                    .values((
                        deadlines::application_id.eq(application_id),
                        deadlines::kind.eq(wanted.kind),
                        deadlines::sequence.eq(wanted.sequence),
                        deadlines::due_at.eq(wanted.due_at),
                        deadlines::status.eq(DeadlineStatus::Open),
                        deadlines::created_at.eq(at),
                    ))
                    .execute(conn)?;
                outcome.created += 1;
            }
            Some(row) if row.status != DeadlineStatus::Open || row.due_at != wanted.due_at => {
                // Reopened (a 差戻し again, a returned interim report) or moved: reminders for
                // the old date must not go out; the new date gets its own.
                jobs::cancel_queued(conn, &reminder_key_prefix(application_id, row.id))?;
                diesel::update(deadlines::table.find(row.id))
                    .set((
                        deadlines::due_at.eq(wanted.due_at),
                        deadlines::status.eq(DeadlineStatus::Open),
                        deadlines::met_at.eq(None::<NaiveDateTime>),
                    ))
                    .execute(conn)?;
                outcome.moved += 1;
            }
            Some(_) => {}
        }
    }
    for row in existing.iter().filter(|row| {
        row.status == DeadlineStatus::Open
            && !desired
                .iter()
                .any(|d| d.kind == row.kind && d.sequence == row.sequence)
    }) {
        jobs::cancel_queued(conn, &reminder_key_prefix(application_id, row.id))?;
        diesel::update(deadlines::table.find(row.id))
            .set((
                deadlines::status.eq(closed_status(state)),
                deadlines::met_at.eq(Some(at)),
            ))
            .execute(conn)?;
        outcome.closed += 1;
    }
    Ok(outcome)
}

/// [`sync_application`] for every application (for data loaded without the workflow, such as
/// the demo, and for `remind`).
pub fn sync_all(conn: &mut DbConnection, programs: &ProgramSet) -> AppResult<SyncOutcome> {
    let ids: Vec<i64> = applications::table
        .select(applications::id)
        .order(applications::id)
        .load(conn)?;
    let mut total = SyncOutcome::default();
    for id in ids {
        let outcome = sync_application(conn, programs, id)?;
        total.created += outcome.created;
        total.moved += outcome.moved;
        total.closed += outcome.closed;
    }
    Ok(total)
}

/// One (open deadline, recipient) pair the scheduler considers.
#[derive(Debug, Clone, Queryable)]
pub struct DeadlineRecipient {
    pub deadline_id: i64,
    pub application_id: i64,
    pub kind: DeadlineKind,
    pub due_at: NaiveDateTime,
    pub user_id: i64,
    /// The user's own offsets (`None`: the service's).
    pub reminder_offsets: Option<String>,
}

/// Open deadlines due in `[from, to]` with every applicant user of the application who wants
/// email, one row per (deadline, user).
pub fn open_with_recipients(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> AppResult<Vec<DeadlineRecipient>> {
    let mut rows: Vec<DeadlineRecipient> = deadlines::table
        .inner_join(
            application_members::table
                .on(application_members::application_id.eq(deadlines::application_id)),
        )
        .inner_join(
            memberships::table
                .on(memberships::organisation_id.eq(application_members::organisation_id)),
        )
        .inner_join(users::table.on(users::id.eq(memberships::user_id)))
        .filter(deadlines::status.eq(DeadlineStatus::Open))
        .filter(deadlines::due_at.between(from, to))
        .filter(users::role.eq(Role::Applicant))
        .filter(users::disabled.eq(false))
        .filter(users::notify_by_email.eq(true))
        .select((
            deadlines::id,
            deadlines::application_id,
            deadlines::kind,
            deadlines::due_at,
            users::id,
            users::reminder_offsets,
        ))
        .order((deadlines::id, users::id))
        .load(conn)?;
    // A user in two member organisations of one application is reminded once.
    rows.dedup_by_key(|row| (row.deadline_id, row.user_id));
    Ok(rows)
}

pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<DeadlineRow>> {
    Ok(deadlines::table
        .find(id)
        .select(DeadlineRow::as_select())
        .first(conn)
        .optional()?)
}

/// Open deadlines due in `[from, to]` (for the digest and the calendar).
pub fn open_between(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> AppResult<Vec<DeadlineRow>> {
    Ok(deadlines::table
        .filter(deadlines::status.eq(DeadlineStatus::Open))
        .filter(deadlines::due_at.between(from, to))
        .order(deadlines::due_at)
        .select(DeadlineRow::as_select())
        .load(conn)?)
}

/// Deadlines of the applications a user sees: applicants their organisations' applications,
/// program managers every application. Open ones and those of the last year.
pub fn for_calendar(
    conn: &mut DbConnection,
    user_id: i64,
    program_manager: bool,
    since: NaiveDateTime,
) -> AppResult<Vec<DeadlineRow>> {
    let query = deadlines::table
        .filter(deadlines::due_at.ge(since))
        .filter(deadlines::status.ne(DeadlineStatus::Cancelled))
        .order(deadlines::due_at)
        .select(DeadlineRow::as_select());
    if program_manager {
        return Ok(query.load(conn)?);
    }
    let visible = application_members::table
        .inner_join(
            memberships::table
                .on(memberships::organisation_id.eq(application_members::organisation_id)),
        )
        .filter(memberships::user_id.eq(user_id))
        .select(application_members::application_id);
    Ok(query
        .filter(deadlines::application_id.eq_any(visible))
        .load(conn)?)
}

/// A deadline with what the program manager's calendar prints beside it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct DeadlineEntry {
    pub id: i64,
    pub application_id: i64,
    pub reference: String,
    pub organisation: String,
    pub kind: DeadlineKind,
    pub due_at: NaiveDateTime,
    pub status: DeadlineStatus,
}

/// Deadlines due in `[from, to)` that were not cancelled (open and met), by due time.
pub fn entries_between(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> AppResult<Vec<DeadlineEntry>> {
    Ok(with_lead_organisation()
        .filter(deadlines::due_at.ge(from))
        .filter(deadlines::due_at.lt(to))
        .filter(deadlines::status.ne(DeadlineStatus::Cancelled))
        .order((deadlines::due_at, applications::reference, deadlines::id))
        .select(entry_columns())
        .load(conn)?)
}

/// The next `limit` open deadlines due at or after `from`.
pub fn next_open(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    limit: i64,
) -> AppResult<Vec<DeadlineEntry>> {
    Ok(with_lead_organisation()
        .filter(deadlines::status.eq(DeadlineStatus::Open))
        .filter(deadlines::due_at.ge(from))
        .order((deadlines::due_at, deadlines::id))
        .limit(limit)
        .select(entry_columns())
        .load(conn)?)
}

/// Open deadlines already past at `now`.
pub fn count_open_before(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<i64> {
    Ok(deadlines::table
        .filter(deadlines::status.eq(DeadlineStatus::Open))
        .filter(deadlines::due_at.lt(now))
        .count()
        .get_result(conn)?)
}

/// Deadlines beside their application and its lead organisation.
#[diesel::dsl::auto_type]
fn with_lead_organisation() -> _ {
    deadlines::table.inner_join(applications::table).inner_join(
        organisations::table.on(organisations::id.eq(applications::lead_organisation_id)),
    )
}

/// The columns of a [`DeadlineEntry`].
#[diesel::dsl::auto_type]
fn entry_columns() -> _ {
    (
        deadlines::id,
        deadlines::application_id,
        applications::reference,
        organisations::name,
        deadlines::kind,
        deadlines::due_at,
        deadlines::status,
    )
}

/// One open deadline with the application it belongs to (for the applicant's dashboard).
#[derive(Debug, Clone)]
pub struct UpcomingDeadline {
    pub deadline: DeadlineRow,
    pub reference: String,
    pub title: String,
}

/// The open deadlines of the applications of these organisations (lead or co-applicant),
/// nearest first: overdue ones, which are still open, come first.
pub fn open_for_organisations(
    conn: &mut DbConnection,
    organisation_ids: &[i64],
    limit: i64,
) -> AppResult<Vec<UpcomingDeadline>> {
    let theirs = application_members::table
        .filter(application_members::organisation_id.eq_any(organisation_ids.to_vec()))
        .select(application_members::application_id);
    let rows: Vec<(DeadlineRow, String, String)> = deadlines::table
        .inner_join(applications::table)
        .filter(deadlines::status.eq(DeadlineStatus::Open))
        .filter(deadlines::application_id.eq_any(theirs))
        .order((deadlines::due_at, deadlines::id))
        .limit(limit)
        .select((
            DeadlineRow::as_select(),
            applications::reference,
            applications::title,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(deadline, reference, title)| UpcomingDeadline {
            deadline,
            reference,
            title,
        })
        .collect())
}

/// The application's latest deadline of this kind (the 差戻し answer, the 交付申請), open or
/// met since: a notice mailed after the applicant acted still names the date it gave.
pub fn latest_of_kind(
    conn: &mut DbConnection,
    application_id: i64,
    kind: DeadlineKind,
) -> AppResult<Option<DeadlineRow>> {
    Ok(deadlines::table
        .filter(deadlines::application_id.eq(application_id))
        .filter(deadlines::kind.eq(kind))
        .order(deadlines::id.desc())
        .select(DeadlineRow::as_select())
        .first(conn)
        .optional()?)
}
