//! What a filing prints of one application: plain data in display order, handed to the PDF
//! layer by `actions::filings` (the PDF layer reads no database).

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::budget::{FrozenDecision, LineAmounts, ReviewState};
use crate::domain::codes::{
    ActivityCategory, ApplicantKind, ApplicantRole, ExpenseCategory, Frame, FundingSource,
    LegalPath, PartnerKind, TaxTreatment,
};
use crate::domain::workflow::{ApplicationState, ReportKind, ReportStatus};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilingApplication {
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
    pub tax_treatment: TaxTreatment,
    /// Lead first, then co-applicants in the order they were added.
    pub members: Vec<Member>,
    pub partners: Vec<PartnerEntry>,
    pub legal_basis: Option<LegalBasisEntry>,
    pub activities: Vec<ActivityEntry>,
    /// What 交付決定 fixed, once the workflow has taken it.
    pub frozen_decision: Option<FrozenDecision>,
    pub decided_subsidy_yen: Option<i64>,
    /// 交付決定日 (Japan date), once decided.
    pub decided_on: Option<NaiveDate>,
    pub confirmed_subsidy_yen: Option<i64>,
    /// 確定日 (Japan date), once the amount is confirmed.
    pub confirmed_on: Option<NaiveDate>,
    pub reports: Vec<ReportEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub organisation_id: i64,
    pub role: ApplicantRole,
    pub name: String,
    pub corporate_number: Option<String>,
    pub kind: ApplicantKind,
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
        LineAmounts::of_stored(
            self.category,
            self.funding_source,
            self.amount_yen,
            self.review_state,
            self.reviewed_amount_yen,
            self.actual_amount_yen,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportEntry {
    pub kind: ReportKind,
    pub status: ReportStatus,
    /// The day it was filed, in Japan (the instant is stored in UTC).
    pub submitted_on: Option<NaiveDate>,
    pub body_json: String,
}

impl FilingApplication {
    /// The member organisations' ids (for the authorization rule).
    pub fn member_ids(&self) -> Vec<i64> {
        self.members
            .iter()
            .map(|member| member.organisation_id)
            .collect()
    }
}
