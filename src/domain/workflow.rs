//! The application lifecycle (DOMAIN.md §4): its states. The transitions come with the
//! workflow issue; the states are needed now by the schema, the demo data and the pages.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! states {
    ($($variant:ident => $code:literal, $label:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ApplicationState { $($variant,)* }

        impl ApplicationState {
            pub const ALL: &'static [ApplicationState] = &[$(ApplicationState::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $(ApplicationState::$variant => $code,)* }
            }

            pub fn label_ja(self) -> &'static str {
                match self { $(ApplicationState::$variant => $label,)* }
            }
        }
    };
}

states! {
    Draft => "draft", "作成中";
    Submitted => "submitted", "申請済";
    UnderReview => "under_review", "審査中";
    ReturnedForCorrection => "returned_for_correction", "差戻し";
    Selected => "selected", "採択";
    NotSelected => "not_selected", "不採択";
    GrantRequested => "grant_requested", "交付申請";
    GrantDecided => "grant_decided", "交付決定";
    InProgress => "in_progress", "事業実施中";
    CompletionReported => "completion_reported", "実績報告";
    AmountConfirmed => "amount_confirmed", "額の確定";
    Paid => "paid", "支払済";
    ContinuationSurvey => "continuation_survey", "継続状況調査";
    Closed => "closed", "完了";
    Withdrawn => "withdrawn", "取下げ";
    Cancelled => "cancelled", "中止・廃止";
    Revoked => "revoked", "交付決定取消";
}

impl fmt::Display for ApplicationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for ApplicationState {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        ApplicationState::ALL
            .iter()
            .copied()
            .find(|state| state.code() == text)
            .ok_or_else(|| format!("\"{text}\" は申請の状態ではありません"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_code() {
        for state in ApplicationState::ALL {
            assert_eq!(state.code().parse::<ApplicationState>(), Ok(*state));
            assert!(!state.label_ja().is_empty());
        }
        assert!("approved".parse::<ApplicationState>().is_err());
    }
}
