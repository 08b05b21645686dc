//! The engine on stored applications: the decision recorded with an application, the
//! editor's live preview, and an organisation's outlook under the latest programme.

use super::ledger_for;
use crate::contract::application_of_request;
use crate::contract::decision::StoredDecision;
use crate::contract::given::Given;
use crate::contract::given::Text;
use crate::contract::request::ActivityFields;
use crate::contract::request::ApplicantFields;
use crate::contract::request::PeriodFields;
use crate::contract::request::Request;
use crate::db;
use crate::db::DbConnection;
use crate::db::applications;
use crate::db::applications::Aggregate;
use crate::domain::codes::ActivityCategory;
use crate::domain::codes::ApplicantRole;
use crate::domain::evaluation::Decision;
use crate::domain::evaluation::Severity;
use crate::domain::evaluation::evaluate;
use crate::domain::program::ProgramSet;
use crate::domain::validation::FieldErrors;
use crate::error::AppError;
use crate::error::AppResult;
use chrono::NaiveDate;

/// Runs the engine on the application as stored and records its answer.
pub fn reevaluate(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    aggregate: &Aggregate,
    today: NaiveDate,
) -> AppResult<StoredDecision> {
    let ledger = ledger_for(conn, aggregate.application.id)?;
    let parsed = aggregate.to_application(today).map_err(AppError::invalid)?;
    let program = programs.program_for(&parsed).map_err(AppError::invalid)?;
    let decision = StoredDecision::from(&evaluate(&parsed, &ledger, program));
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
    let ledger = ledger_for(conn, aggregate.application.id)?;
    let parsed = aggregate.to_application(today).map_err(AppError::invalid)?;
    let program = programs.program_for(&parsed).map_err(AppError::invalid)?;
    Ok(StoredDecision::from(&evaluate(&parsed, &ledger, program)))
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
    let request = Request {
        fiscal_year: Given::Value(i64::from(year)),
        frame: Given::Value(Text(frame.into())),
        application_date: Given::Value(Text(application_date.to_string().into())),
        applicants: Given::Value(vec![ApplicantFields {
            name: Given::Value(Text(organisation.name.as_str().into())),
            corporate_number: organisation
                .corporate_number
                .as_deref()
                .map_or(Given::Null, |number| Given::Value(Text(number.into()))),
            kind: Given::Value(Text(organisation.kind.as_str().into())),
            employees: organisation.employees.map_or(Given::Null, Given::Value),
            capital_yen: organisation.capital_yen.map_or(Given::Null, Given::Value),
            industry: organisation
                .industry
                .as_deref()
                .map_or(Given::Null, |industry| Given::Value(Text(industry.into()))),
            role: Given::Value(Text(ApplicantRole::Lead.as_str().into())),
        }]),
        partners: Given::Value(Vec::new()),
        legal_basis: Given::Null,
        project_period: Given::Value(PeriodFields {
            start: Given::Value(Text(format!("{year}-07-01").into())),
            end: Given::Value(Text(format!("{}-02-28", year + 1).into())),
        }),
        activities: Given::Value(vec![ActivityFields {
            name: Given::Value(Text("-".into())),
            category: Given::Value(Text(ActivityCategory::Other.as_str().into())),
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

pub(super) fn error_codes(decision: &Decision<'_>) -> Vec<String> {
    decision
        .findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error)
        .map(|finding| finding.code.to_owned())
        .collect()
}
