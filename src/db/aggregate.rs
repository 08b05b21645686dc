//! One application with everything under it, read for the filings (PDF) and the pages.
//! Plain data: what the tables hold, in display order, with no rules applied.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::DbConnection;
use super::applications::Aggregate;
use super::schema::{applications, municipalities, reports};
use crate::domain::budget::{LineAmounts, ReviewState};
use crate::domain::codes::{
    ActivityCategory, ApplicantRole, ExpenseCategory, Frame, FundingSource, LegalPath, PartnerKind,
};
use crate::domain::money::Yen;
use crate::domain::workflow::ApplicationState;
use crate::error::AppResult;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplicationAggregate {
    pub id: i64,
    pub reference: String,
    pub fiscal_year: i32,
    pub frame: Frame,
    pub status: ApplicationState,
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
    pub role: ApplicantRole,
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
    pub kind: PartnerKind,
    pub name: String,
    pub agreement: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegalBasisEntry {
    pub path: LegalPath,
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
    pub category: ActivityCategory,
    pub executive_internship: bool,
    pub kpi: Option<String>,
    pub lines: Vec<BudgetLineEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetLineEntry {
    pub category: ExpenseCategory,
    pub description: String,
    pub amount_yen: i64,
    pub funding_source: FundingSource,
    pub review_state: ReviewState,
    pub reviewed_amount_yen: Option<i64>,
    pub actual_amount_yen: Option<i64>,
}

impl BudgetLineEntry {
    /// The line's amounts, for the one rule of which lines are claimed at which amount.
    pub fn amounts(&self) -> LineAmounts {
        LineAmounts {
            category: self.category,
            funding_source: self.funding_source,
            requested: Yen::new(self.amount_yen),
            review: self.review_state,
            reviewed: self.reviewed_amount_yen.map(Yen::new),
            actual: self.actual_amount_yen.map(Yen::new),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportEntry {
    pub kind: String,
    pub status: String,
    pub submitted_at: Option<NaiveDateTime>,
    pub body_json: String,
}

/// The application with this id and everything under it: the workflow's aggregate
/// (`applications::load_aggregate`, the one loader) in display order, with the municipality's
/// name and the reports the filings print.
pub fn load_application(conn: &mut DbConnection, id: i64) -> AppResult<ApplicationAggregate> {
    let source = super::applications::load_aggregate(conn, id)?;
    view_of(conn, source)
}

/// The printable view of an aggregate already loaded.
pub fn view_of(conn: &mut DbConnection, source: Aggregate) -> AppResult<ApplicationAggregate> {
    let id = source.application.id;
    let row = &source.application;
    let municipality = match row.municipality_id {
        Some(municipality_id) => municipalities::table
            .find(municipality_id)
            .select(municipalities::name)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    let mut members: Vec<Member> = source
        .members
        .iter()
        .map(|member| {
            let organisation = &member.organisation;
            Member {
                organisation_id: organisation.id,
                role: member.role,
                name: organisation.name.clone(),
                corporate_number: organisation.corporate_number.clone(),
                kind: organisation.kind.clone(),
                industry: organisation.industry.clone(),
                employees: organisation.employees,
                capital_yen: organisation.capital_yen,
                prefecture: organisation.prefecture.clone(),
                municipality_id: organisation.municipality_id,
            }
        })
        .collect();
    // The lead first; co-applicants by id, which is the order they were recorded in.
    members.sort_by_key(|member| (member.role != ApplicantRole::Lead, member.organisation_id));
    let partners = source
        .partners
        .iter()
        .map(|partner| PartnerEntry {
            kind: partner.kind,
            name: partner.name.clone(),
            agreement: partner.agreement.clone(),
        })
        .collect();
    let legal_basis = source.legal_basis.as_ref().map(|basis| LegalBasisEntry {
        path: basis.path,
        holder_name: basis.holder_name.clone(),
        granted_by: basis.granted_by.clone(),
        granted_on: basis.granted_on,
        valid_until: basis.valid_until,
        includes_talent_measures: basis.includes_talent_measures,
        evidence_reference: basis.evidence_reference.clone(),
    });
    let activities = source
        .activities
        .iter()
        .map(|(activity, lines)| ActivityEntry {
            name: activity.name.clone(),
            category: activity.category,
            executive_internship: activity.executive_internship,
            kpi: activity.kpi.clone(),
            lines: lines
                .iter()
                .map(|line| BudgetLineEntry {
                    category: line.category,
                    description: line.description.clone(),
                    amount_yen: line.amount_yen,
                    funding_source: line.funding_source,
                    review_state: line.review_state,
                    reviewed_amount_yen: line.reviewed_amount_yen,
                    actual_amount_yen: line.actual_amount_yen,
                })
                .collect(),
        })
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
        reference: row.reference.clone(),
        fiscal_year: row.fiscal_year,
        frame: row.frame,
        status: row.status,
        title: row.title.clone(),
        municipality_id: row.municipality_id,
        municipality,
        application_date: row.application_date,
        project_start: row.project_start,
        project_end: row.project_end,
        tax_treatment: row.tax_treatment.clone(),
        members,
        partners,
        legal_basis,
        activities,
        frozen_decision_json: row.frozen_decision_json.clone(),
        decided_subsidy_yen: row.decided_subsidy_yen,
        confirmed_subsidy_yen: row.confirmed_subsidy_yen,
        reports,
    })
}

pub fn find_by_reference(conn: &mut DbConnection, reference: &str) -> AppResult<Option<i64>> {
    Ok(applications::table
        .filter(applications::reference.eq(reference))
        .select(applications::id)
        .first(conn)
        .optional()?)
}

impl ApplicationAggregate {
    /// The member organisations' ids (for the authorization rule).
    pub fn member_ids(&self) -> Vec<i64> {
        self.members
            .iter()
            .map(|member| member.organisation_id)
            .collect()
    }
}
