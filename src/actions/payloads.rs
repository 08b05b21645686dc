//! What a workflow action carries beyond the version and the reason (`ActionRequest.payload`),
//! one type per action that has content. The API reads the payload into the type of the
//! action it names; the pages build the same types; the OpenAPI document lists them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::{OneOfBuilder, Ref, RefOr, Schema};

/// A budget line and an amount: a change request's new amount, a completion report's actual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineAmount {
    pub line_id: i64,
    pub amount_yen: i64,
}

/// `submit_interim_report`: 遂行状況報告.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterimReport {
    pub body: String,
}

/// `request_change`: 計画変更, the new amount of each changed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    pub lines: Vec<LineAmount>,
}

/// `submit_completion_report`: 実績報告, with the actual amount of every claimed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletionReport {
    #[serde(default)]
    pub body: String,
    pub actuals: Vec<LineAmount>,
}

/// `answer_continuation_survey`: 継続状況調査.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyAnswer {
    /// `continuing`, `partly` or `stopped` (`domain::kpi::Continuation`).
    pub continuation: String,
    /// Yen per funding-source code that keeps the activities running.
    #[serde(default)]
    pub funding_mix: BTreeMap<String, i64>,
    #[serde(default)]
    pub evidence: Option<String>,
}

/// `decide_grant`: 交付決定, the 交付決定額 and the 交付決定日 (Japan date). Without them, the
/// computed subsidy and today.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantDecision {
    /// At most the engine's computed subsidy.
    #[serde(default)]
    pub amount_yen: Option<i64>,
    #[serde(default)]
    pub decided_on: Option<chrono::NaiveDate>,
}

/// `pay`: 支払, the 支払額 and the 支払日 (Japan date). Without them, the 確定額 and today.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// At most the 確定額.
    #[serde(default)]
    pub amount_yen: Option<i64>,
    #[serde(default)]
    pub paid_on: Option<chrono::NaiveDate>,
}

/// `return_for_correction`: 差戻し, with the day (JST) the answer is due. Omitted, the
/// programme's default applies (`[deadlines] correction_answer_days` after the 差戻し).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionReturn {
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub reply_due: Option<chrono::NaiveDate>,
}

/// `submit` after 差戻し: the applicant's answer to it, which the 事務局 reads with the
/// resubmission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resubmission {
    #[serde(default)]
    pub reply: Option<String>,
}

/// The schema of `ActionRequest.payload`: one of the payload types, by action.
pub fn payload_schema() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(Ref::from_schema_name("InterimReport"))
        .item(Ref::from_schema_name("ChangeRequest"))
        .item(Ref::from_schema_name("CompletionReport"))
        .item(Ref::from_schema_name("SurveyAnswer"))
        .item(Ref::from_schema_name("GrantDecision"))
        .item(Ref::from_schema_name("Payment"))
        .item(Ref::from_schema_name("CorrectionReturn"))
        .item(Ref::from_schema_name("Resubmission"))
        .description(Some(
            "アクションごとの内容: submit_interim_report は InterimReport、request_change は \
             ChangeRequest、submit_completion_report は CompletionReport、\
             answer_continuation_survey は SurveyAnswer、decide_grant は GrantDecision（省略時は\
             算定額と今日）、pay は Payment（省略時は確定額と今日）、return_for_correction は \
             CorrectionReturn（省略可）、差戻し後の submit は Resubmission（省略可）。\
             ほかのアクションでは省略します",
        ))
        .into()
}
