//! The engine's decision as it is stored with an application and read back by the workflow,
//! the pages, the API and the filings: one owned type with the same fields and spelling as
//! the decision the contract writes, so that what is stored is what `evaluate` answers.

use serde::{Deserialize, Serialize};

use crate::domain::codes::{ActivityCategory, ExpenseCategory, Frame, FundingSource};
use crate::domain::evaluation::{Decision, Severity};
use crate::domain::money::{Rate, Yen};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredDecision {
    pub fiscal_year: i32,
    #[schema(value_type = String)]
    pub frame: Frame,
    pub eligible: bool,
    pub award_ordinal: u32,
    pub prior_awards: Vec<StoredPriorAward>,
    #[schema(value_type = Option<StoredRate>)]
    pub rate: Option<Rate>,
    #[schema(value_type = i64)]
    pub cap_yen: Yen,
    #[schema(value_type = i64)]
    pub eligible_expenses_yen: Yen,
    #[schema(value_type = i64)]
    pub subsidy_yen: Yen,
    #[schema(value_type = i64)]
    pub calculated_subsidy_yen: Yen,
    #[schema(value_type = i64)]
    pub rounding_unit_yen: Yen,
    pub findings: Vec<StoredFinding>,
    pub budget_summary: StoredBudgetSummary,
    pub rules_version: String,
}

/// How a rate is written: an exact fraction.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct StoredRate {
    numerator: u64,
    denominator: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredPriorAward {
    pub award_id: String,
    pub fiscal_year: i32,
    pub frame: String,
    pub listed_as: String,
    pub applicant: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredFinding {
    pub code: String,
    #[schema(value_type = String)]
    pub severity: Severity,
    /// Japanese, as the engine wrote it.
    pub message: String,
    pub source: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredBudgetSummary {
    #[schema(value_type = i64)]
    pub total_yen: Yen,
    #[schema(value_type = i64)]
    pub eligible_yen: Yen,
    pub by_activity: Vec<StoredActivityBudget>,
    pub by_expense_category: Vec<StoredCategoryBudget>,
    pub by_funding_source: Vec<StoredFundingBudget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredActivityBudget {
    pub name: String,
    #[schema(value_type = String)]
    pub category: ActivityCategory,
    #[schema(value_type = i64)]
    pub total_yen: Yen,
    #[schema(value_type = i64)]
    pub eligible_yen: Yen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredCategoryBudget {
    #[schema(value_type = String)]
    pub category: ExpenseCategory,
    #[schema(value_type = i64)]
    pub total_yen: Yen,
    #[schema(value_type = i64)]
    pub eligible_yen: Yen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredFundingBudget {
    #[schema(value_type = String)]
    pub funding_source: FundingSource,
    #[schema(value_type = i64)]
    pub total_yen: Yen,
}

impl From<&Decision<'_>> for StoredDecision {
    fn from(decision: &Decision<'_>) -> Self {
        let summary = decision.budget_summary;
        StoredDecision {
            fiscal_year: decision.fiscal_year,
            frame: decision.frame,
            eligible: decision.eligible,
            award_ordinal: decision.award_ordinal,
            prior_awards: decision
                .prior_awards
                .iter()
                .map(|award| StoredPriorAward {
                    award_id: award.award_id.to_owned(),
                    fiscal_year: award.fiscal_year,
                    frame: award.frame.to_owned(),
                    listed_as: award.listed_as.to_owned(),
                    applicant: award.applicant.to_owned(),
                })
                .collect(),
            rate: decision.rate,
            cap_yen: decision.cap_yen,
            eligible_expenses_yen: decision.eligible_expenses_yen,
            subsidy_yen: decision.subsidy_yen,
            calculated_subsidy_yen: decision.calculated_subsidy_yen,
            rounding_unit_yen: decision.rounding_unit_yen,
            findings: decision
                .findings
                .iter()
                .map(|finding| StoredFinding {
                    code: finding.code.to_owned(),
                    severity: finding.severity,
                    message: finding.message.to_string(),
                    source: finding.source.to_owned(),
                })
                .collect(),
            budget_summary: StoredBudgetSummary {
                total_yen: summary.total_yen,
                eligible_yen: summary.eligible_yen,
                by_activity: summary
                    .by_activity
                    .iter()
                    .map(|activity| StoredActivityBudget {
                        name: activity.name.to_string(),
                        category: activity.category,
                        total_yen: activity.total_yen,
                        eligible_yen: activity.eligible_yen,
                    })
                    .collect(),
                by_expense_category: summary
                    .by_expense_category
                    .iter()
                    .map(|category| StoredCategoryBudget {
                        category: category.category,
                        total_yen: category.total_yen,
                        eligible_yen: category.eligible_yen,
                    })
                    .collect(),
                by_funding_source: summary
                    .by_funding_source
                    .iter()
                    .map(|source| StoredFundingBudget {
                        funding_source: source.funding_source,
                        total_yen: source.total_yen,
                    })
                    .collect(),
            },
            rules_version: decision.rules_version.to_owned(),
        }
    }
}

impl StoredDecision {
    pub fn has_error(&self, code: &str) -> bool {
        self.findings
            .iter()
            .any(|finding| finding.severity == Severity::Error && finding.code == code)
    }
}
