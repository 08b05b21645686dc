//! One application with everything under it, read for the filings (PDF) and the pages.
//! Plain data: what the tables hold, in display order, with no rules applied.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::DbConnection;
use super::applications::ApplicationRow;
use super::organisations::Organisation;
use super::schema::{
    activities, application_members, applications, budget_lines, legal_bases, municipalities,
    organisations, partners, reports,
};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplicationAggregate {
    pub id: i64,
    pub reference: String,
    pub fiscal_year: i32,
    pub frame: String,
    pub status: String,
    pub title: String,
    pub municipality_id: Option<i64>,
    pub municipality: Option<String>,
    pub application_date: Option<NaiveDate>,
    pub project_start: Option<NaiveDate>,
    pub project_end: Option<NaiveDate>,
    pub tax_treatment: String,
    /// Lead first, then co-applicants in the order they were added.
    pub members: Vec<Member>,
    pub partners: Vec<PartnerEntry>,
    pub legal_basis: Option<LegalBasisEntry>,
    pub activities: Vec<ActivityEntry>,
    /// The 交付決定 snapshot, when the workflow has taken one.
    pub frozen_decision_json: Option<String>,
    pub decided_subsidy_yen: Option<i64>,
    pub confirmed_subsidy_yen: Option<i64>,
    pub reports: Vec<ReportEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub organisation_id: i64,
    /// `lead` or `co_applicant`.
    pub role: String,
    pub name: String,
    pub corporate_number: Option<String>,
    pub kind: String,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    pub capital_yen: Option<i64>,
    pub prefecture: Option<String>,
    pub municipality_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerEntry {
    pub kind: String,
    pub name: String,
    pub agreement: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegalBasisEntry {
    pub path: String,
    pub holder_name: String,
    pub granted_by: String,
    pub granted_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub includes_talent_measures: bool,
    pub evidence_reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityEntry {
    pub name: String,
    pub category: String,
    pub executive_internship: bool,
    pub kpi: Option<String>,
    pub lines: Vec<BudgetLineEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetLineEntry {
    pub category: String,
    pub description: String,
    pub amount_yen: i64,
    pub funding_source: String,
    pub review_state: String,
    pub reviewed_amount_yen: Option<i64>,
    pub actual_amount_yen: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportEntry {
    pub kind: String,
    pub status: String,
    pub submitted_at: Option<NaiveDateTime>,
    pub body_json: String,
}

/// The application with this id and everything under it.
pub fn load_application(conn: &mut DbConnection, id: i64) -> AppResult<ApplicationAggregate> {
    let row: ApplicationRow = applications::table
        .find(id)
        .select(ApplicationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("申請 {id} はありません")))?;
    let municipality = match row.municipality_id {
        Some(municipality_id) => municipalities::table
            .find(municipality_id)
            .select(municipalities::name)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    let members: Vec<(String, Organisation)> = application_members::table
        .inner_join(organisations::table)
        .filter(application_members::application_id.eq(id))
        .select((application_members::role, Organisation::as_select()))
        .load(conn)?;
    let mut members: Vec<Member> = members
        .into_iter()
        .map(|(role, organisation)| Member {
            organisation_id: organisation.id,
            role,
            name: organisation.name,
            corporate_number: organisation.corporate_number,
            kind: organisation.kind,
            industry: organisation.industry,
            employees: organisation.employees,
            capital_yen: organisation.capital_yen,
            prefecture: organisation.prefecture,
            municipality_id: organisation.municipality_id,
        })
        .collect();
    // The lead first; co-applicants by id, which is the order they were recorded in.
    members.sort_by_key(|member| (member.role != "lead", member.organisation_id));
    let partner_rows: Vec<(String, String, Option<String>)> = partners::table
        .filter(partners::application_id.eq(id))
        .order(partners::position)
        .select((partners::kind, partners::name, partners::agreement))
        .load(conn)?;
    let legal_basis = legal_bases::table
        .filter(legal_bases::application_id.eq(id))
        .order(legal_bases::id)
        .select((
            legal_bases::path,
            legal_bases::holder_name,
            legal_bases::granted_by,
            legal_bases::granted_on,
            legal_bases::valid_until,
            legal_bases::includes_talent_measures,
            legal_bases::evidence_reference,
        ))
        .first::<(
            String,
            String,
            String,
            NaiveDate,
            Option<NaiveDate>,
            bool,
            Option<String>,
        )>(conn)
        .optional()?
        .map(
            |(path, holder_name, granted_by, granted_on, valid_until, talent, evidence)| {
                LegalBasisEntry {
                    path,
                    holder_name,
                    granted_by,
                    granted_on,
                    valid_until,
                    includes_talent_measures: talent,
                    evidence_reference: evidence,
                }
            },
        );
    let activity_rows: Vec<(i64, String, String, bool, Option<String>)> = activities::table
        .filter(activities::application_id.eq(id))
        .order(activities::position)
        .select((
            activities::id,
            activities::name,
            activities::category,
            activities::executive_internship,
            activities::kpi,
        ))
        .load(conn)?;
    type LineRow = (
        i64,
        String,
        String,
        i64,
        String,
        String,
        Option<i64>,
        Option<i64>,
    );
    let line_rows: Vec<LineRow> = budget_lines::table
        .filter(budget_lines::application_id.eq(id))
        .order((budget_lines::activity_id, budget_lines::position))
        .select((
            budget_lines::activity_id,
            budget_lines::category,
            budget_lines::description,
            budget_lines::amount_yen,
            budget_lines::funding_source,
            budget_lines::review_state,
            budget_lines::reviewed_amount_yen,
            budget_lines::actual_amount_yen,
        ))
        .load(conn)?;
    let activities = activity_rows
        .into_iter()
        .map(
            |(activity_id, name, category, executive_internship, kpi)| ActivityEntry {
                name,
                category,
                executive_internship,
                kpi,
                lines: line_rows
                    .iter()
                    .filter(|line| line.0 == activity_id)
                    .map(|line| BudgetLineEntry {
                        category: line.1.clone(),
                        description: line.2.clone(),
                        amount_yen: line.3,
                        funding_source: line.4.clone(),
                        review_state: line.5.clone(),
                        reviewed_amount_yen: line.6,
                        actual_amount_yen: line.7,
                    })
                    .collect(),
            },
        )
        .collect();
    let reports = reports::table
        .filter(reports::application_id.eq(id))
        .order(reports::id)
        .select((
            reports::kind,
            reports::status,
            reports::submitted_at,
            reports::body_json,
        ))
        .load::<(String, String, Option<NaiveDateTime>, String)>(conn)?
        .into_iter()
        .map(|(kind, status, submitted_at, body_json)| ReportEntry {
            kind,
            status,
            submitted_at,
            body_json,
        })
        .collect();
    Ok(ApplicationAggregate {
        id: row.id,
        reference: row.reference,
        fiscal_year: row.fiscal_year,
        frame: row.frame,
        status: row.status,
        title: row.title,
        municipality_id: row.municipality_id,
        municipality,
        application_date: row.application_date,
        project_start: row.project_start,
        project_end: row.project_end,
        tax_treatment: row.tax_treatment,
        members,
        partners: partner_rows
            .into_iter()
            .map(|(kind, name, agreement)| PartnerEntry {
                kind,
                name,
                agreement,
            })
            .collect(),
        legal_basis,
        activities,
        frozen_decision_json: row.frozen_decision_json,
        decided_subsidy_yen: row.decided_subsidy_yen,
        confirmed_subsidy_yen: row.confirmed_subsidy_yen,
        reports,
    })
}

/// The id of the application with this reference (e.g. `R8-0001`).
pub fn find_by_reference(conn: &mut DbConnection, reference: &str) -> AppResult<Option<i64>> {
    Ok(applications::table
        .filter(applications::reference.eq(reference))
        .select(applications::id)
        .first(conn)
        .optional()?)
}

impl ApplicationAggregate {
    /// The application as an evaluation-contract request (DESIGN.md), so that the engine
    /// judges a stored application exactly as it judges one posted to `/api/v1/evaluate`.
    ///
    /// Facts the record does not hold yet are filled as stated in `assumptions`: a draft
    /// without an application date is judged as of `today`, and an organisation whose
    /// head-count or industry is unrecorded as having 0 employees in `other`.
    pub fn to_contract_request(&self, today: NaiveDate) -> (Value, Vec<String>) {
        let mut assumptions = Vec::new();
        let application_date = self.application_date.unwrap_or_else(|| {
            assumptions.push("申請日が未登録のため、作成日を申請日として判定しています".to_owned());
            today
        });
        let applicants: Vec<Value> = self
            .members
            .iter()
            .map(|member| {
                if member.employees.is_none() {
                    assumptions.push(format!(
                        "{} の従業員数が未登録のため 0 人として判定しています",
                        member.name
                    ));
                }
                json!({
                    "name": member.name,
                    "corporate_number": member.corporate_number,
                    "kind": member.kind,
                    "employees": member.employees.unwrap_or(0),
                    "capital_yen": member.capital_yen,
                    "industry": member.industry.as_deref().unwrap_or("other"),
                    "role": member.role,
                })
            })
            .collect();
        let project_period = match (self.project_start, self.project_end) {
            (Some(start), Some(end)) => json!({ "start": start, "end": end }),
            _ => Value::Null,
        };
        let request = json!({
            "fiscal_year": self.fiscal_year,
            "frame": self.frame,
            "application_date": application_date,
            "applicants": applicants,
            "partners": self.partners.iter().map(|p| json!({"kind": p.kind, "name": p.name})).collect::<Vec<_>>(),
            "legal_basis": self.legal_basis.as_ref().map(|basis| json!({
                "path": basis.path,
                "holder": basis.holder_name,
                "granted_by": basis.granted_by,
                "granted_on": basis.granted_on,
                "valid_until": basis.valid_until,
                "includes_talent_measures": basis.includes_talent_measures,
            })),
            "project_period": project_period,
            "activities": self.activities.iter().map(|activity| json!({
                "name": activity.name,
                "category": activity.category,
                "executive_internship": activity.executive_internship,
                "budget_lines": activity.lines.iter().map(|line| json!({
                    "category": line.category,
                    "description": line.description,
                    "amount_yen": line.amount_yen,
                    "funding_source": line.funding_source,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        (request, assumptions)
    }

    /// The member organisations' ids (for the authorization rule).
    pub fn member_ids(&self) -> Vec<i64> {
        self.members
            .iter()
            .map(|member| member.organisation_id)
            .collect()
    }
}
