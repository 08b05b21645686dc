//! The year's budget forecast for the 事務局: what is decided (交付決定), what is selected but
//! not yet decided, what is still under review at its computed amount, and what is left of
//! the year's budget. Each application counts at the amount it now stands at
//! ([`LifecycleAmounts::current`]): 申請額 or 審査後 until 交付決定, then 交付決定額, 確定額 and
//! 支払額 as they come, so that a forecast never counts a line the review took away.

use serde::Serialize;

use super::amounts::LifecycleAmounts;
use super::money::Yen;
use super::workflow::ApplicationState;

/// Where an application's amount stands against the year's budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Commitment {
    /// 交付決定 and after: the money is bound.
    Decided,
    /// 採択 (and 交付申請): bound once decided.
    Selected,
    /// Submitted and not yet judged: it may yet be selected.
    UnderReview,
}

impl Commitment {
    /// `None`: the application holds no claim on the budget (a draft, 不採択, 取下げ, 中止・廃止,
    /// 交付決定取消).
    pub fn of(state: ApplicationState) -> Option<Commitment> {
        use ApplicationState as S;
        match state {
            S::GrantDecided
            | S::InProgress
            | S::CompletionReported
            | S::AmountConfirmed
            | S::Paid
            | S::ContinuationSurvey
            | S::Closed => Some(Commitment::Decided),
            S::Selected | S::GrantRequested => Some(Commitment::Selected),
            S::Submitted | S::UnderReview | S::ReturnedForCorrection => {
                Some(Commitment::UnderReview)
            }
            S::Draft | S::NotSelected | S::Withdrawn | S::Cancelled | S::Revoked => None,
        }
    }

    /// An award of the year (採択): selected or decided.
    pub fn is_award(self) -> bool {
        matches!(self, Commitment::Decided | Commitment::Selected)
    }
}

/// A sum of applications' amounts and how many they are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub count: u32,
    pub yen: Yen,
}

impl Tally {
    fn add(&mut self, yen: Yen) {
        self.count += 1;
        self.yen = self.yen.saturating_add(yen);
    }
}

/// The year's budget against its applications.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetForecast {
    pub budget: Yen,
    pub decided: Tally,
    pub selected: Tally,
    pub under_review: Tally,
    /// The budget less what is decided and selected (negative when they exceed it).
    pub remainder: Yen,
    /// The remainder if every application under review were selected at its amount.
    pub remainder_if_all_selected: Yen,
    /// The year's target number of awards, when the year's rules set one.
    pub target_awards: Option<u32>,
}

impl BudgetForecast {
    /// `applications`: each application of the year with its state and amounts.
    pub fn of<'a>(
        budget: Yen,
        target_awards: Option<u32>,
        applications: impl IntoIterator<Item = (ApplicationState, &'a LifecycleAmounts)>,
    ) -> BudgetForecast {
        let mut forecast = BudgetForecast {
            budget,
            decided: Tally::default(),
            selected: Tally::default(),
            under_review: Tally::default(),
            remainder: budget,
            remainder_if_all_selected: budget,
            target_awards,
        };
        for (state, amounts) in applications {
            let Some(commitment) = Commitment::of(state) else {
                continue;
            };
            let yen = amounts.current().map_or(Yen::ZERO, |amount| amount.yen);
            match commitment {
                Commitment::Decided => forecast.decided.add(yen),
                Commitment::Selected => forecast.selected.add(yen),
                Commitment::UnderReview => forecast.under_review.add(yen),
            }
        }
        let bound = forecast.decided.yen.saturating_add(forecast.selected.yen);
        forecast.remainder = Yen::new(budget.value().saturating_sub(bound.value()));
        forecast.remainder_if_all_selected = Yen::new(
            forecast
                .remainder
                .value()
                .saturating_sub(forecast.under_review.yen.value()),
        );
        forecast
    }

    /// Selections (decided and selected) exceed the budget.
    pub fn over_budget(&self) -> bool {
        self.remainder.value() < 0
    }

    /// Selecting everything under review would exceed the budget.
    pub fn review_exceeds_remainder(&self) -> bool {
        self.remainder_if_all_selected.value() < 0
    }

    /// Awards of the year so far (selected or decided).
    pub fn awards(&self) -> u32 {
        self.decided.count + self.selected.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::amounts::AmountFacts;

    fn amounts(facts: AmountFacts) -> LifecycleAmounts {
        LifecycleAmounts::of(&facts)
    }

    fn submitted(yen: i64) -> AmountFacts {
        AmountFacts {
            latest: Some(Yen::new(yen)),
            requested: Some(Yen::new(yen)),
            ..AmountFacts::default()
        }
    }

    #[test]
    fn each_application_counts_once_at_the_amount_it_stands_at() {
        let decided = amounts(AmountFacts {
            decided: Some(Yen::new(6_000_000)),
            ..submitted(8_000_000)
        });
        let confirmed = amounts(AmountFacts {
            decided: Some(Yen::new(10_000_000)),
            confirmed: Some(Yen::new(9_500_000)),
            ..submitted(10_000_000)
        });
        let reviewed = amounts(AmountFacts {
            reviewed: Some(Yen::new(4_000_000)),
            ..submitted(5_000_000)
        });
        let review = amounts(submitted(7_000_000));
        let draft = amounts(AmountFacts {
            draft: true,
            latest: Some(Yen::new(9_000_000)),
            ..AmountFacts::default()
        });
        let refused = amounts(submitted(3_000_000));
        use ApplicationState as S;
        let forecast = BudgetForecast::of(
            Yen::new(30_000_000),
            Some(30),
            [
                (S::GrantDecided, &decided),
                (S::AmountConfirmed, &confirmed),
                (S::Selected, &reviewed),
                (S::UnderReview, &review),
                (S::Draft, &draft),
                (S::NotSelected, &refused),
            ],
        );
        assert_eq!(
            forecast.decided,
            Tally {
                count: 2,
                yen: Yen::new(15_500_000)
            }
        );
        assert_eq!(
            forecast.selected,
            Tally {
                count: 1,
                yen: Yen::new(4_000_000)
            }
        );
        assert_eq!(
            forecast.under_review,
            Tally {
                count: 1,
                yen: Yen::new(7_000_000)
            }
        );
        assert_eq!(forecast.remainder, Yen::new(10_500_000));
        assert_eq!(forecast.remainder_if_all_selected, Yen::new(3_500_000));
        assert_eq!(forecast.awards(), 3);
        assert!(!forecast.over_budget());
        assert!(!forecast.review_exceeds_remainder());
    }

    #[test]
    fn warns_when_selections_or_the_review_exceed_the_budget() {
        let big = amounts(submitted(12_000_000));
        use ApplicationState as S;
        let within = BudgetForecast::of(
            Yen::new(20_000_000),
            None,
            [(S::Selected, &big), (S::Submitted, &big)],
        );
        assert!(!within.over_budget());
        assert!(within.review_exceeds_remainder());
        assert_eq!(within.remainder_if_all_selected, Yen::new(-4_000_000));
        let over = BudgetForecast::of(
            Yen::new(20_000_000),
            None,
            [(S::Selected, &big), (S::GrantRequested, &big)],
        );
        assert!(over.over_budget());
        assert_eq!(over.remainder, Yen::new(-4_000_000));
    }

    #[test]
    fn no_claim_from_states_that_hold_no_money() {
        let any = amounts(submitted(1_000_000));
        for state in [
            ApplicationState::Draft,
            ApplicationState::NotSelected,
            ApplicationState::Withdrawn,
            ApplicationState::Cancelled,
            ApplicationState::Revoked,
        ] {
            let forecast = BudgetForecast::of(Yen::new(5), None, [(state, &any)]);
            assert_eq!(forecast.remainder, Yen::new(5), "{state:?}");
            assert_eq!(forecast.under_review.count, 0, "{state:?}");
        }
    }
}
