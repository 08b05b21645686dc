//! Applications with their members, partners, legal basis, activities and budget lines.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{
    activities, application_members, applications, budget_lines, legal_bases, partners,
};
use super::{DbConnection, now};
use crate::domain::workflow::ApplicationState;
use crate::error::AppResult;
use crate::on_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = applications)]
pub struct ApplicationRow {
    pub id: i64,
    pub reference: String,
    pub fiscal_year: i32,
    pub frame: String,
    pub status: String,
    pub title: String,
    pub lead_organisation_id: i64,
    pub municipality_id: Option<i64>,
    pub application_date: Option<NaiveDate>,
    pub project_start: Option<NaiveDate>,
    pub project_end: Option<NaiveDate>,
    pub eligible_expenses_yen: i64,
    pub subsidy_yen: i64,
    pub award_ordinal: Option<i32>,
    pub decision_json: Option<String>,
    pub frozen_decision_json: Option<String>,
    pub decided_subsidy_yen: Option<i64>,
    pub confirmed_subsidy_yen: Option<i64>,
    pub tax_treatment: String,
    pub version: i32,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A whole application as entered, before the database gives it ids.
#[derive(Debug, Clone)]
pub struct ApplicationDraft {
    pub reference: String,
    pub fiscal_year: i32,
    pub frame: String,
    pub state: ApplicationState,
    pub title: String,
    pub lead_organisation_id: i64,
    pub co_applicant_ids: Vec<i64>,
    pub municipality_id: Option<i64>,
    pub application_date: Option<NaiveDate>,
    pub project_start: Option<NaiveDate>,
    pub project_end: Option<NaiveDate>,
    pub partners: Vec<PartnerDraft>,
    pub legal_basis: Option<LegalBasisDraft>,
    pub activities: Vec<ActivityDraft>,
    pub created_by: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct PartnerDraft {
    pub kind: String,
    pub name: String,
    pub municipality_id: Option<i64>,
    pub agreement: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LegalBasisDraft {
    pub path: String,
    pub holder_name: String,
    pub holder_organisation_id: Option<i64>,
    pub granted_by: String,
    pub granted_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub includes_talent_measures: bool,
    pub evidence_reference: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ActivityDraft {
    pub name: String,
    pub category: String,
    pub executive_internship: bool,
    pub kpi: Option<String>,
    pub lines: Vec<BudgetLineDraft>,
}

#[derive(Debug, Clone)]
pub struct BudgetLineDraft {
    pub category: String,
    pub description: String,
    pub amount_yen: i64,
    pub funding_source: String,
}

/// Inserts the application and everything under it in one transaction.
pub fn insert_application(conn: &mut DbConnection, draft: &ApplicationDraft) -> AppResult<i64> {
    conn.transaction(|conn| {
        let created_at = now();
        let values = (
            applications::reference.eq(&draft.reference),
            applications::fiscal_year.eq(draft.fiscal_year),
            applications::frame.eq(&draft.frame),
            applications::status.eq(draft.state.code()),
            applications::title.eq(&draft.title),
            applications::lead_organisation_id.eq(draft.lead_organisation_id),
            applications::municipality_id.eq(draft.municipality_id),
            applications::application_date.eq(draft.application_date),
            applications::project_start.eq(draft.project_start),
            applications::project_end.eq(draft.project_end),
            applications::created_by.eq(draft.created_by),
            applications::created_at.eq(created_at),
            applications::updated_at.eq(created_at),
        );
        let application_id = on_backend!(conn, c => diesel::insert_into(applications::table)
            .values(values)
            .returning(applications::id)
            .get_result::<i64>(c))?;

        let members = std::iter::once((draft.lead_organisation_id, "lead")).chain(
            draft
                .co_applicant_ids
                .iter()
                .map(|id| (*id, "co_applicant")),
        );
        for (organisation_id, role) in members {
            diesel::insert_into(application_members::table)
                .values((
                    application_members::application_id.eq(application_id),
                    application_members::organisation_id.eq(organisation_id),
                    application_members::role.eq(role),
                ))
                .execute(conn)?;
        }
        for (position, partner) in (1..).zip(&draft.partners) {
            diesel::insert_into(partners::table)
                .values((
                    partners::application_id.eq(application_id),
                    partners::position.eq(position),
                    partners::kind.eq(&partner.kind),
                    partners::name.eq(&partner.name),
                    partners::municipality_id.eq(partner.municipality_id),
                    partners::agreement.eq(&partner.agreement),
                ))
                .execute(conn)?;
        }
        if let Some(basis) = &draft.legal_basis {
            diesel::insert_into(legal_bases::table)
                .values((
                    legal_bases::application_id.eq(application_id),
                    legal_bases::path.eq(&basis.path),
                    legal_bases::holder_name.eq(&basis.holder_name),
                    legal_bases::holder_organisation_id.eq(basis.holder_organisation_id),
                    legal_bases::granted_by.eq(&basis.granted_by),
                    legal_bases::granted_on.eq(basis.granted_on),
                    legal_bases::valid_until.eq(basis.valid_until),
                    legal_bases::includes_talent_measures.eq(basis.includes_talent_measures),
                    legal_bases::evidence_reference.eq(&basis.evidence_reference),
                ))
                .execute(conn)?;
        }
        for (activity_position, activity) in (1..).zip(&draft.activities) {
            let activity_id = on_backend!(conn, c => diesel::insert_into(activities::table)
                .values((
                    activities::application_id.eq(application_id),
                    activities::position.eq(activity_position),
                    activities::name.eq(&activity.name),
                    activities::category.eq(&activity.category),
                    activities::executive_internship.eq(activity.executive_internship),
                    activities::kpi.eq(&activity.kpi),
                ))
                .returning(activities::id)
                .get_result::<i64>(c))?;
            for (line_position, line) in (1..).zip(&activity.lines) {
                diesel::insert_into(budget_lines::table)
                    .values((
                        budget_lines::application_id.eq(application_id),
                        budget_lines::activity_id.eq(activity_id),
                        budget_lines::position.eq(line_position),
                        budget_lines::category.eq(&line.category),
                        budget_lines::description.eq(&line.description),
                        budget_lines::amount_yen.eq(line.amount_yen),
                        budget_lines::funding_source.eq(&line.funding_source),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(application_id)
    })
}

pub fn count_applications(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(applications::table.count().get_result(conn)?)
}

pub fn states_in_use(conn: &mut DbConnection) -> AppResult<Vec<String>> {
    Ok(applications::table
        .select(applications::status)
        .distinct()
        .order(applications::status)
        .load(conn)?)
}
