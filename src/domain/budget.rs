//! Budget lines after review, double funding, change requests, and the decision frozen at
//! 交付決定 with the amount confirmed from it (額の確定).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::money::{MoneyError, Rate, Yen, subsidy};

/// A finance officer's verdict on one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineReview {
    Approve,
    /// A new amount, with the reason the applicant will read.
    Adjust {
        amount: Yen,
        reason: String,
    },
    Reject {
        reason: String,
    },
}

impl LineReview {
    /// Checks the verdict before anything is written.
    pub fn validate(&self, current: Yen) -> Result<(), &'static str> {
        match self {
            LineReview::Approve => Ok(()),
            LineReview::Adjust { amount, reason } => {
                if reason.trim().is_empty() {
                    Err("調整の理由を入力してください")
                } else if amount.value() < 0 {
                    Err("金額は 0 円以上にしてください")
                } else if *amount > current {
                    Err("調整後の金額は申請額以下にしてください")
                } else {
                    Ok(())
                }
            }
            LineReview::Reject { reason } if reason.trim().is_empty() => {
                Err("却下の理由を入力してください")
            }
            LineReview::Reject { .. } => Ok(()),
        }
    }

    pub fn state_code(&self) -> &'static str {
        match self {
            LineReview::Approve => "approved",
            LineReview::Adjust { .. } => "adjusted",
            LineReview::Reject { .. } => "rejected",
        }
    }
}

/// The amount of a line that the subsidy is computed on: what the applicant asked for, what a
/// finance officer adjusted it to, or nothing once rejected.
pub fn effective_amount(amount: Yen, review_state: &str, reviewed_amount: Option<Yen>) -> Yen {
    match (review_state, reviewed_amount) {
        ("rejected", _) => Yen::ZERO,
        ("adjusted", Some(adjusted)) => adjusted,
        _ => amount,
    }
}

/// A cost claimed under this subsidy that the municipal budget or other national money also
/// funds is double funding (DOMAIN.md §8 Q14).
pub fn is_double_funded(funding_source: &str, co_funding_sources: &[&str]) -> bool {
    funding_source == "this_subsidy"
        && co_funding_sources
            .iter()
            .any(|source| matches!(*source, "municipal" | "national_other"))
}

/// Budget per expense category, as frozen at 交付決定 and as a change request proposes it.
pub type CategoryBudget = BTreeMap<String, Yen>;

/// The categories whose amount moves by more than `threshold` of their decided amount (a
/// category that had nothing and gets something always counts). Any of them makes the change
/// need the program manager's approval; smaller moves are recorded and notified.
pub fn categories_over_threshold(
    before: &CategoryBudget,
    after: &CategoryBudget,
    threshold: Rate,
) -> Vec<String> {
    let mut moved = Vec::new();
    let categories: std::collections::BTreeSet<&String> =
        before.keys().chain(after.keys()).collect();
    for category in categories {
        let old = before.get(category).copied().unwrap_or(Yen::ZERO);
        let new = after.get(category).copied().unwrap_or(Yen::ZERO);
        let change = Yen::new((new.value() - old.value()).abs());
        if change.value() > 0 && (old.value() == 0 || threshold.is_exceeded_by(change, old)) {
            moved.push(category.clone());
        }
    }
    moved
}

/// What 交付決定 fixes. Later rule changes never alter it: every later computation for the
/// grant reads these values, never the programme files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenDecision {
    pub fiscal_year: i32,
    pub frame: String,
    pub award_ordinal: u32,
    pub rate: Rate,
    pub cap_yen: Yen,
    pub rounding_unit_yen: Yen,
    pub eligible_expenses_yen: Yen,
    pub decided_subsidy_yen: Yen,
    pub budget_by_category: CategoryBudget,
    pub project_start: Option<NaiveDate>,
    pub project_end: Option<NaiveDate>,
    pub rules_version: String,
}

impl FrozenDecision {
    /// 額の確定: the subsidy on the actual eligible costs under the frozen rate, unit and cap,
    /// never more than the decided amount.
    pub fn confirmed_amount(&self, actual_eligible: Yen) -> Result<Yen, MoneyError> {
        let computed = subsidy(
            actual_eligible,
            self.rate,
            self.rounding_unit_yen,
            self.cap_yen,
        )?;
        Ok(computed.min(self.decided_subsidy_yen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(pairs: &[(&str, i64)]) -> CategoryBudget {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Yen::new(*v)))
            .collect()
    }

    #[test]
    fn reviews_need_reasons_and_adjustments_only_go_down() {
        let current = Yen::new(1_000_000);
        assert!(LineReview::Approve.validate(current).is_ok());
        assert!(
            LineReview::Adjust {
                amount: Yen::new(800_000),
                reason: "単価の見直し".into()
            }
            .validate(current)
            .is_ok()
        );
        assert!(
            LineReview::Adjust {
                amount: Yen::new(800_000),
                reason: " ".into()
            }
            .validate(current)
            .is_err()
        );
        assert!(
            LineReview::Adjust {
                amount: Yen::new(1_200_000),
                reason: "増額".into()
            }
            .validate(current)
            .is_err()
        );
        assert!(
            LineReview::Reject {
                reason: String::new()
            }
            .validate(current)
            .is_err()
        );
    }

    #[test]
    fn effective_amounts_follow_the_review() {
        let amount = Yen::new(500_000);
        assert_eq!(effective_amount(amount, "pending", None), amount);
        assert_eq!(effective_amount(amount, "approved", None), amount);
        assert_eq!(
            effective_amount(amount, "adjusted", Some(Yen::new(300_000))),
            Yen::new(300_000)
        );
        assert_eq!(effective_amount(amount, "rejected", None), Yen::ZERO);
    }

    #[test]
    fn double_funding_is_a_subsidy_claim_with_public_co_funding() {
        assert!(is_double_funded("this_subsidy", &["municipal"]));
        assert!(is_double_funded(
            "this_subsidy",
            &["own_funds", "national_other"]
        ));
        assert!(!is_double_funded("this_subsidy", &["own_funds"]));
        assert!(!is_double_funded("municipal", &["national_other"]));
    }

    #[test]
    fn a_change_over_twenty_percent_needs_approval() {
        let threshold = Rate::new(1, 5).expect("rate");
        let before = budget(&[("personnel", 5_000_000), ("travel", 500_000)]);
        // Exactly 20% is not more than 20%.
        let at_limit = budget(&[("personnel", 4_000_000), ("travel", 500_000)]);
        assert!(categories_over_threshold(&before, &at_limit, threshold).is_empty());
        let over = budget(&[("personnel", 3_999_999), ("travel", 500_000)]);
        assert_eq!(
            categories_over_threshold(&before, &over, threshold),
            vec!["personnel".to_owned()]
        );
        let new_category = budget(&[
            ("personnel", 5_000_000),
            ("travel", 500_000),
            ("printing", 1),
        ]);
        assert_eq!(
            categories_over_threshold(&before, &new_category, threshold),
            vec!["printing".to_owned()]
        );
        let dropped = budget(&[("personnel", 5_000_000)]);
        assert_eq!(
            categories_over_threshold(&before, &dropped, threshold),
            vec!["travel".to_owned()]
        );
    }

    #[test]
    fn the_confirmed_amount_never_exceeds_the_decision() {
        let frozen = FrozenDecision {
            fiscal_year: 2026,
            frame: "right_hand".into(),
            award_ordinal: 1,
            rate: Rate::new(2, 3).expect("rate"),
            cap_yen: Yen::new(13_000_000),
            rounding_unit_yen: Yen::new(1_000),
            eligible_expenses_yen: Yen::new(9_000_000),
            decided_subsidy_yen: Yen::new(6_000_000),
            budget_by_category: budget(&[("personnel", 9_000_000)]),
            project_start: None,
            project_end: None,
            rules_version: "2026-test".into(),
        };
        assert_eq!(
            frozen.confirmed_amount(Yen::new(7_500_000)),
            Ok(Yen::new(5_000_000))
        );
        assert_eq!(
            frozen.confirmed_amount(Yen::new(7_501_499)),
            Ok(Yen::new(5_000_000)),
            "千円未満切捨て"
        );
        assert_eq!(
            frozen.confirmed_amount(Yen::new(12_000_000)),
            Ok(Yen::new(6_000_000)),
            "capped by the decision"
        );
    }
}
