//! The engine on stored applications: the decision recorded with an application, the
//! editor's live preview, and an organisation's outlook under the latest programme.

use chrono::NaiveDate;

use super::ledger_for;
use crate::contract::application_of_request;
use crate::contract::decision::StoredDecision;
use crate::contract::given::Given;
use crate::contract::request::{ActivityFields, PeriodFields, Request};
use crate::db::applications::{self, Aggregate};
use crate::db::{self, DbConnection};
use crate::domain::codes::{ActivityCategory, ApplicantRole};
use crate::domain::evaluation::{Decision, Severity, evaluate};
use crate::domain::program::ProgramSet;
use crate::domain::validation::FieldErrors;
use crate::domain::workflow::Refusing;
use crate::error::{AppError, AppResult};

/// The engine's decision on the application as stored, handed to `then` (the decision
/// borrows the ledger and programme it was made with): the one place the workflow asks the
/// engine, with the ledger that leaves out the application's own award.
pub(super) fn with_decision<T>(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    aggregate: &Aggregate,
    today: NaiveDate,
    then: impl FnOnce(&mut DbConnection, &Decision<'_>) -> AppResult<T>,
) -> AppResult<T> {
    let ledger = ledger_for(conn, aggregate.application.id)?;
    let parsed = aggregate.to_application(today).map_err(AppError::invalid)?;
    let program = programs.program_for(&parsed).map_err(AppError::invalid)?;
    then(conn, &evaluate(&parsed, &ledger, program))
}

/// Runs the engine on the application as stored and records its answer.
pub fn reevaluate(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    aggregate: &Aggregate,
    today: NaiveDate,
) -> AppResult<StoredDecision> {
    let decision = preview(conn, programs, aggregate, today)?;
    applications::record_decision(conn, aggregate.application.id, &decision)?;
    Ok(decision)
}

/// The engine's answer for an application as it would be (the editor's live preview), with
/// nothing written: the same ledger and rules as [`reevaluate`].
pub fn preview(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    aggregate: &Aggregate,
    today: NaiveDate,
) -> AppResult<StoredDecision> {
    with_decision(conn, programs, aggregate, today, |_, decision| {
        Ok(StoredDecision::from(decision))
    })
}

/// What an organisation would get if it applied alone under the latest programme: every
/// frame side by side (award ordinal, rate, cap, and the findings that would refuse it).
/// `Ok(Err(_))` when the organisation's record lacks what the engine needs (kind, size).
pub fn award_outlook(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    organisation_id: i64,
    today: NaiveDate,
) -> AppResult<Result<Vec<StoredDecision>, FieldErrors>> {
    let Some(program) = programs.latest() else {
        return Err(AppError::internal("事業年度の定義がありません"));
    };
    let organisation = db::organisations::get_organisation(conn, organisation_id)?;
    let year = program.fiscal_year.0;
    let frame = program
        .frames
        .first()
        .map(|frame| frame.code.as_str())
        .unwrap_or_default();
    // A minimal application of one empty activity: only who applies matters here.
    let application_date = program
        .application_window
        .as_ref()
        .map_or(today, |window| window.opens);
    let period_start = format!("{year}-07-01");
    let period_end = format!("{}-02-28", year + 1);
    let request = Request {
        fiscal_year: Given::Value(i64::from(year)),
        frame: Given::text(frame),
        application_date: Given::date(application_date),
        applicants: Given::Value(vec![db::applications::applicant_fields(
            &organisation,
            ApplicantRole::Lead,
            organisation.employees,
            organisation.industry.as_deref(),
        )]),
        partners: Given::Value(Vec::new()),
        legal_basis: Given::Null,
        project_period: Given::Value(PeriodFields {
            start: Given::text(&period_start),
            end: Given::text(&period_end),
        }),
        activities: Given::Value(vec![ActivityFields {
            name: Given::text("-"),
            category: Given::text(ActivityCategory::Other.as_str()),
            executive_internship: Given::Value(false),
            budget_lines: Given::Value(Vec::new()),
        }]),
        history: Given::Missing,
        all_frames: Given::Missing,
    };
    let parsed = match application_of_request(request) {
        Ok(parsed) => parsed,
        Err(errors) => return Ok(Err(errors)),
    };
    let ledger = db::awards::load_ledger(conn)?;
    let all = crate::domain::evaluation::evaluate_all_frames(&parsed, &ledger, program);
    Ok(Ok(all.decisions.iter().map(StoredDecision::from).collect()))
}

/// The error findings of a decision, which refuse the actions that need the engine's yes:
/// each with its code and its message as the decision writes it (`StoredDecision`).
pub(super) fn refusing_findings(decision: &Decision<'_>) -> Vec<Refusing> {
    decision
        .findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error)
        .map(|finding| Refusing {
            code: finding.code.to_owned(),
            message: finding.message.to_string(),
        })
        .collect()
}
