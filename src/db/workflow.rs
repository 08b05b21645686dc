//! What the workflow's effects write: the award at 採択, the frozen decision at 交付決定,
//! reports, change requests, the confirmed amount and the continuation survey. The rules that
//! decide them live in `domain::workflow` and `domain::budget`.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::applications::Aggregate;
use super::schema::{
    applications, award_members, awards, budget_lines, change_requests, continuation_surveys,
    reports,
};
use super::{DbConnection, now};
use crate::domain::budget::FrozenDecision;
use crate::domain::changes::ChangeStatus;
use crate::domain::kpi::SurveyStatus;
use crate::domain::ledger::AwardOrigin;
use crate::domain::workflow::{ReportKind, ReportStatus};
use crate::error::{AppError, AppResult};
use crate::on_backend;

/// Adds the application's award to the ledger for every member: it counts from now on.
pub fn record_award(conn: &mut DbConnection, aggregate: &Aggregate) -> AppResult<i64> {
    let application = &aggregate.application;
    let values = (
        awards::award_code.eq(&application.reference),
        awards::fiscal_year.eq(application.fiscal_year),
        awards::frame.eq(&application.frame),
        awards::law_path.eq(aggregate.legal_basis.as_ref().map(|basis| basis.path)),
        awards::application_id.eq(application.id),
        awards::origin.eq(AwardOrigin::Decided),
        awards::created_at.eq(now()),
    );
    let award_id = on_backend!(conn, c => diesel::insert_into(awards::table)
        .values(values)
        .returning(awards::id)
        .get_result::<i64>(c))?;
    let sole = aggregate.members.len() == 1;
    for member in &aggregate.members {
        let role = if sole { "sole" } else { member.role.as_str() };
        diesel::insert_into(award_members::table)
            .values((
                award_members::award_id.eq(award_id),
                award_members::organisation_id.eq(member.organisation.id),
                award_members::listed_as.eq(&member.organisation.name),
                award_members::role.eq(role),
            ))
            .execute(conn)?;
    }
    Ok(award_id)
}

pub fn award_of_application(
    conn: &mut DbConnection,
    application_id: i64,
) -> AppResult<Option<i64>> {
    Ok(awards::table
        .filter(awards::application_id.eq(application_id))
        .select(awards::id)
        .first(conn)
        .optional()?)
}

/// The award of each application of a fiscal year that has one, by application id.
pub fn awards_of_applications(
    conn: &mut DbConnection,
    fiscal_year: i32,
) -> AppResult<std::collections::HashMap<i64, i64>> {
    use super::schema::applications;
    Ok(awards::table
        .inner_join(applications::table.on(awards::application_id.eq(applications::id.nullable())))
        .filter(applications::fiscal_year.eq(fiscal_year))
        .select((applications::id, awards::id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

pub fn freeze_decision(
    conn: &mut DbConnection,
    application_id: i64,
    frozen: &FrozenDecision,
) -> AppResult<()> {
    let json = serde_json::to_string(frozen)
        .map_err(|error| AppError::internal("交付決定の内容を保存できません").with_cause(error))?;
    diesel::update(applications::table.find(application_id))
        .set((
            applications::frozen_decision_json.eq(json),
            applications::decided_subsidy_yen.eq(frozen.decided_subsidy_yen.value()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn frozen_decision(aggregate: &Aggregate) -> AppResult<Option<FrozenDecision>> {
    aggregate
        .application
        .frozen_decision_json
        .as_deref()
        .map(|json| {
            serde_json::from_str(json)
                .map_err(|error| AppError::internal("交付決定の内容を読めません").with_cause(error))
        })
        .transpose()
}

/// The 確定額 and its 確定日 (額の確定).
pub fn record_confirmed_amount(
    conn: &mut DbConnection,
    application_id: i64,
    amount: i64,
    confirmed_on: NaiveDate,
) -> AppResult<()> {
    diesel::update(applications::table.find(application_id))
        .set((
            applications::confirmed_subsidy_yen.eq(amount),
            applications::confirmed_on.eq(confirmed_on),
        ))
        .execute(conn)?;
    Ok(())
}

/// The 申請額 (the engine's answer over the lines as asked), recorded at submission.
pub fn record_requested_amount(
    conn: &mut DbConnection,
    application_id: i64,
    amount: i64,
) -> AppResult<()> {
    diesel::update(applications::table.find(application_id))
        .set(applications::requested_subsidy_yen.eq(amount))
        .execute(conn)?;
    Ok(())
}

/// The 審査後 amount (the engine's answer over the reviewed lines), or none while no line is
/// reviewed.
pub fn record_reviewed_amount(
    conn: &mut DbConnection,
    application_id: i64,
    amount: Option<i64>,
) -> AppResult<()> {
    diesel::update(applications::table.find(application_id))
        .set(applications::reviewed_subsidy_yen.eq(amount))
        .execute(conn)?;
    Ok(())
}

/// The 交付決定日 of the 交付決定 frozen with [`freeze_decision`].
pub fn record_decision_date(
    conn: &mut DbConnection,
    application_id: i64,
    decided_on: NaiveDate,
) -> AppResult<()> {
    diesel::update(applications::table.find(application_id))
        .set(applications::decided_on.eq(decided_on))
        .execute(conn)?;
    Ok(())
}

/// The 支払額 and 支払日 (支払).
pub fn record_payment(
    conn: &mut DbConnection,
    application_id: i64,
    amount: i64,
    paid_on: NaiveDate,
) -> AppResult<()> {
    diesel::update(applications::table.find(application_id))
        .set((
            applications::paid_yen.eq(amount),
            applications::paid_on.eq(paid_on),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_application_date(
    conn: &mut DbConnection,
    application_id: i64,
    date: chrono::NaiveDate,
) -> AppResult<()> {
    diesel::update(applications::table.find(application_id))
        .filter(applications::application_date.is_null())
        .set(applications::application_date.eq(date))
        .execute(conn)?;
    Ok(())
}

/// Sets actual amounts from a completion report.
pub fn record_actuals(
    conn: &mut DbConnection,
    application_id: i64,
    actuals: &[(i64, i64)],
) -> AppResult<()> {
    for (line_id, amount) in actuals {
        let updated = diesel::update(
            budget_lines::table
                .filter(budget_lines::id.eq(line_id))
                .filter(budget_lines::application_id.eq(application_id)),
        )
        .set(budget_lines::actual_amount_yen.eq(amount))
        .execute(conn)?;
        if updated == 0 {
            return Err(AppError::not_found(format!(
                "予算行 {line_id} はこの申請にありません"
            )));
        }
    }
    Ok(())
}

/// Changes planned amounts (an approved or recorded change request). The 申請額
/// (`amount_yen`) is never written here: the plan's amount goes beside it.
pub fn apply_line_amounts(
    conn: &mut DbConnection,
    application_id: i64,
    amounts: &[(i64, i64)],
) -> AppResult<()> {
    for (line_id, amount) in amounts {
        let updated = diesel::update(
            budget_lines::table
                .filter(budget_lines::id.eq(line_id))
                .filter(budget_lines::application_id.eq(application_id)),
        )
        .set((
            budget_lines::changed_amount_yen.eq(amount),
            budget_lines::version.eq(budget_lines::version + 1),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(AppError::not_found(format!(
                "予算行 {line_id} はこの申請にありません"
            )));
        }
    }
    Ok(())
}

pub fn insert_report(
    conn: &mut DbConnection,
    application_id: i64,
    kind: ReportKind,
    body_json: &str,
) -> AppResult<i64> {
    let at = now();
    let id = on_backend!(conn, c => diesel::insert_into(reports::table)
        .values((
            reports::application_id.eq(application_id),
            reports::kind.eq(kind),
            reports::status.eq(ReportStatus::Submitted),
            reports::body_json.eq(body_json),
            reports::submitted_at.eq(at),
            reports::created_at.eq(at),
        ))
        .returning(reports::id)
        .get_result::<i64>(c))?;
    Ok(id)
}

/// Accepts or returns the latest submitted report of a kind; 409 when there is none.
pub fn review_latest_report(
    conn: &mut DbConnection,
    application_id: i64,
    kind: ReportKind,
    status: ReportStatus,
    reviewer: i64,
    reason: Option<&str>,
) -> AppResult<i64> {
    let id = reports::table
        .filter(reports::application_id.eq(application_id))
        .filter(reports::kind.eq(kind))
        .filter(reports::status.eq(ReportStatus::Submitted))
        .order(reports::id.desc())
        .select(reports::id)
        .first::<i64>(conn)
        .optional()?
        .ok_or_else(|| AppError::conflict("審査待ちの報告がありません"))?;
    diesel::update(reports::table.find(id))
        .set((
            reports::status.eq(status),
            reports::reviewed_by.eq(reviewer),
            reports::review_reason.eq(reason),
            reports::version.eq(reports::version + 1),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn insert_change_request(
    conn: &mut DbConnection,
    application_id: i64,
    status: ChangeStatus,
    reason: &str,
    changes_json: &str,
    requires_approval: bool,
    requested_by: i64,
) -> AppResult<i64> {
    let id = on_backend!(conn, c => diesel::insert_into(change_requests::table)
        .values((
            change_requests::application_id.eq(application_id),
            change_requests::status.eq(status),
            change_requests::reason.eq(reason),
            change_requests::changes_json.eq(changes_json),
            change_requests::requires_approval.eq(requires_approval),
            change_requests::requested_by.eq(requested_by),
            change_requests::created_at.eq(now()),
        ))
        .returning(change_requests::id)
        .get_result::<i64>(c))?;
    Ok(id)
}

/// The pending change request of an application, with its changes as JSON.
pub fn pending_change_request(
    conn: &mut DbConnection,
    application_id: i64,
) -> AppResult<Option<(i64, String)>> {
    Ok(change_requests::table
        .filter(change_requests::application_id.eq(application_id))
        .filter(change_requests::status.eq(ChangeStatus::Pending))
        .order(change_requests::id)
        .select((change_requests::id, change_requests::changes_json))
        .first(conn)
        .optional()?)
}

pub fn decide_change_request(
    conn: &mut DbConnection,
    id: i64,
    status: ChangeStatus,
    decided_by: i64,
    reason: Option<&str>,
) -> AppResult<()> {
    diesel::update(change_requests::table.find(id))
        .set((
            change_requests::status.eq(status),
            change_requests::decided_by.eq(decided_by),
            change_requests::decision_reason.eq(reason),
            change_requests::decided_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// One change request as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = change_requests)]
pub struct ChangeRequestRow {
    pub id: i64,
    pub status: ChangeStatus,
    pub reason: String,
    pub changes_json: String,
    pub requires_approval: bool,
    pub decision_reason: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub decided_at: Option<chrono::NaiveDateTime>,
}

/// The application's change requests, oldest first.
pub fn change_requests_of(
    conn: &mut DbConnection,
    application_id: i64,
) -> AppResult<Vec<ChangeRequestRow>> {
    Ok(change_requests::table
        .filter(change_requests::application_id.eq(application_id))
        .order(change_requests::id)
        .select(ChangeRequestRow::as_select())
        .load(conn)?)
}

/// The latest submitted report of a kind that nobody has accepted or returned yet: its id,
/// body (JSON text) and when it was submitted.
pub fn submitted_report(
    conn: &mut DbConnection,
    application_id: i64,
    kind: ReportKind,
) -> AppResult<Option<(i64, String, Option<chrono::NaiveDateTime>)>> {
    Ok(reports::table
        .filter(reports::application_id.eq(application_id))
        .filter(reports::kind.eq(kind))
        .filter(reports::status.eq(ReportStatus::Submitted))
        .order(reports::id.desc())
        .select((reports::id, reports::body_json, reports::submitted_at))
        .first(conn)
        .optional()?)
}

pub fn open_survey(conn: &mut DbConnection, award_id: i64, survey_year: i32) -> AppResult<()> {
    on_backend!(conn, c => diesel::insert_into(continuation_surveys::table)
        .values((
            continuation_surveys::award_id.eq(award_id),
            continuation_surveys::survey_year.eq(survey_year),
            continuation_surveys::status.eq(SurveyStatus::Pending),
            continuation_surveys::created_at.eq(now()),
        ))
        .on_conflict((continuation_surveys::award_id, continuation_surveys::survey_year))
        .do_nothing()
        .execute(c))?;
    Ok(())
}

pub fn answer_survey(
    conn: &mut DbConnection,
    award_id: i64,
    continuation: &str,
    funding_mix_json: &str,
    evidence: Option<&str>,
    answered_by: i64,
) -> AppResult<()> {
    let updated = diesel::update(
        continuation_surveys::table
            .filter(continuation_surveys::award_id.eq(award_id))
            .filter(continuation_surveys::status.eq(SurveyStatus::Pending)),
    )
    .set((
        continuation_surveys::status.eq(SurveyStatus::Answered),
        continuation_surveys::continuation.eq(continuation),
        continuation_surveys::funding_mix_json.eq(funding_mix_json),
        continuation_surveys::evidence.eq(evidence),
        continuation_surveys::answered_by.eq(answered_by),
        continuation_surveys::answered_at.eq(now()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(AppError::conflict("回答待ちの継続状況調査がありません"));
    }
    Ok(())
}

/// (fiscal year of the award, survey answer) for every survey, for the continuation KPI.
pub fn survey_answers(
    conn: &mut DbConnection,
) -> AppResult<Vec<(i32, SurveyStatus, Option<String>)>> {
    Ok(continuation_surveys::table
        .inner_join(awards::table)
        .select((
            awards::fiscal_year,
            continuation_surveys::status,
            continuation_surveys::continuation,
        ))
        .load(conn)?)
}

/// Applications' award fiscal years (every award decided here, for the KPI's denominator).
pub fn decided_awards_by_year(conn: &mut DbConnection) -> AppResult<Vec<(i32, i64)>> {
    Ok(awards::table
        .filter(awards::origin.eq(AwardOrigin::Decided))
        .select((awards::fiscal_year, awards::id))
        .load(conn)?)
}

/// One report as stored: kind, status, when submitted, body (JSON).
pub type ReportRecord = (
    ReportKind,
    ReportStatus,
    Option<chrono::NaiveDateTime>,
    String,
);

/// The application's reports in filing order.
pub fn reports_of(conn: &mut DbConnection, application_id: i64) -> AppResult<Vec<ReportRecord>> {
    Ok(reports::table
        .filter(reports::application_id.eq(application_id))
        .order(reports::id)
        .select((
            reports::kind,
            reports::status,
            reports::submitted_at,
            reports::body_json,
        ))
        .load(conn)?)
}
