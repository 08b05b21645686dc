//! 計画変更 (DOMAIN.md §4.4): what a change of the budget after 交付決定 does to each line, to
//! each expense category and to the subsidy. The 交付決定額 is the ceiling (補助金等に係る予算の
//! 執行の適正化に関する法律 §6, §7): a change may move money between lines and categories, and
//! the subsidy of the changed plan is the frozen arithmetic on its 補助対象経費, never more than
//! the decided amount. Which lines are claimed at which amount is `budget::LineAmounts`' rule.

use std::collections::BTreeSet;

use super::budget::{
    CategoryBudget, FrozenDecision, LineAmounts, categories_over_threshold, claimed_by_category,
    claimed_total,
};
use super::codes::code_enum;
use super::money::{MoneyError, Rate, Yen, subsidy};

code_enum! {
    /// Where a change request stands.
    ChangeStatus, "change request status" {
        /// Over the threshold: waits for the 事務局.
        Pending => "pending", "承認待ち";
        /// Within the threshold (軽微な変更): applied and notified at once.
        Recorded => "recorded", "届出済（軽微な変更）";
        Approved => "approved", "承認";
        Denied => "denied", "不承認";
    }
}

/// A plan's figures under the frozen decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlannedSubsidy {
    /// The plan's 補助対象経費.
    pub eligible: Yen,
    /// What the frozen rate, rounding unit and cap give on `eligible` (it may exceed the
    /// decided amount).
    pub computed: Yen,
    /// The subsidy: `computed`, at most the 交付決定額.
    pub subsidy: Yen,
    /// The 交付決定額 it is held to.
    pub decided: Yen,
}

impl PlannedSubsidy {
    /// Whether the 交付決定額 holds the subsidy below what the arithmetic gives.
    pub fn held_by_decision(&self) -> bool {
        self.computed > self.subsidy
    }
}

/// The subsidy of a plan (the lines as they stand, or as a change would leave them): the
/// engine's arithmetic with the rate, unit and cap frozen at 交付決定, at most `decided` (the
/// 交付決定額 as the 事務局 set it).
pub fn planned_subsidy(
    frozen: &FrozenDecision,
    decided: Yen,
    lines: impl IntoIterator<Item = LineAmounts>,
) -> Result<PlannedSubsidy, MoneyError> {
    let eligible = claimed_total(lines);
    let computed = subsidy(
        eligible,
        frozen.rate,
        frozen.rounding_unit_yen,
        frozen.cap_yen,
    )?;
    Ok(PlannedSubsidy {
        eligible,
        computed,
        subsidy: computed.min(decided),
        decided,
    })
}

/// One line a change moves: its 申請額, its amount in the plan now and after the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineMove {
    pub line_id: i64,
    pub requested: Yen,
    pub before: Yen,
    pub after: Yen,
}

/// One expense category's 補助対象経費: as decided, in the plan now, and after the change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryMove {
    /// The expense category's code.
    pub category: String,
    pub decided: Yen,
    pub before: Yen,
    pub after: Yen,
    /// Whether it moves more than the threshold from the decided amount.
    pub over_threshold: bool,
}

/// What a change does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeEffect {
    pub lines: Vec<LineMove>,
    /// Every category of the decision or of either plan, in code order.
    pub categories: Vec<CategoryMove>,
    pub before: PlannedSubsidy,
    pub after: PlannedSubsidy,
}

impl ChangeEffect {
    /// The categories that move more than the threshold from the decision: any of them makes
    /// the change wait for the 事務局's approval, smaller moves are recorded at once.
    pub fn categories_over_threshold(&self) -> Vec<String> {
        self.categories
            .iter()
            .filter(|category| category.over_threshold)
            .map(|category| category.category.clone())
            .collect()
    }

    pub fn requires_approval(&self) -> bool {
        self.categories
            .iter()
            .any(|category| category.over_threshold)
    }
}

/// What changing `changes` (line id → new amount) does to the plan `lines` (every line of the
/// application, with its id, as it stands), judged against the decision `frozen` with the
/// 交付決定額 `decided` and the year's change-approval `threshold`. Lines not in `lines` are
/// ignored (the caller refuses them first).
pub fn change_effect(
    frozen: &FrozenDecision,
    decided: Yen,
    threshold: Rate,
    lines: &[(i64, LineAmounts)],
    changes: &[(i64, Yen)],
) -> Result<ChangeEffect, MoneyError> {
    let changed = |id: i64, line: LineAmounts| match changes.iter().rev().find(|(c, _)| *c == id) {
        Some((_, to)) => line.with_change(Some(to.value())),
        None => line,
    };
    let after_lines: Vec<LineAmounts> = lines.iter().map(|(id, l)| changed(*id, *l)).collect();
    let before_budget = claimed_by_category(lines.iter().map(|(_, l)| *l));
    let after_budget = claimed_by_category(after_lines.iter().copied());
    let over: BTreeSet<String> =
        categories_over_threshold(&frozen.budget_by_category, &after_budget, threshold)
            .into_iter()
            .collect();
    let amount = |budget: &CategoryBudget, category: &str| {
        budget.get(category).copied().unwrap_or(Yen::ZERO)
    };
    let categories = frozen
        .budget_by_category
        .keys()
        .chain(before_budget.keys())
        .chain(after_budget.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|category| CategoryMove {
            category: category.clone(),
            decided: amount(&frozen.budget_by_category, category),
            before: amount(&before_budget, category),
            after: amount(&after_budget, category),
            over_threshold: over.contains(category),
        })
        .collect();
    let moves = lines
        .iter()
        .filter(|(id, _)| changes.iter().any(|(c, _)| c == id))
        .map(|(id, line)| LineMove {
            line_id: *id,
            requested: line.requested,
            before: line.effective(),
            after: changed(*id, *line).effective(),
        })
        .collect();
    Ok(ChangeEffect {
        lines: moves,
        categories,
        before: planned_subsidy(frozen, decided, lines.iter().map(|(_, l)| *l))?,
        after: planned_subsidy(frozen, decided, after_lines)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::budget::ReviewState;
    use crate::domain::codes::{ExpenseCategory, FundingSource};

    fn line(category: ExpenseCategory, amount: i64) -> LineAmounts {
        LineAmounts::of_stored(
            category,
            FundingSource::ThisSubsidy,
            amount,
            ReviewState::Approved,
            None,
            None,
        )
    }

    /// 右腕 1回目 (2/3, 千円未満切捨て, cap 13,000,000) decided on personnel 3,000,000 and
    /// travel 1,500,000: 3,000,000円.
    fn frozen() -> FrozenDecision {
        FrozenDecision::right_hand_first(
            &[("personnel", 3_000_000), ("travel", 1_500_000)],
            3_000_000,
        )
    }

    fn plan() -> Vec<(i64, LineAmounts)> {
        vec![
            (1, line(ExpenseCategory::Personnel, 3_000_000)),
            (2, line(ExpenseCategory::Travel, 1_500_000)),
        ]
    }

    fn threshold() -> Rate {
        Rate::new(1, 5).expect("rate")
    }

    #[test]
    fn a_raised_line_does_not_raise_the_subsidy_above_the_decision() {
        let decided = Yen::new(3_000_000);
        let effect = change_effect(
            &frozen(),
            decided,
            threshold(),
            &plan(),
            &[(1, Yen::new(5_000_000))],
        )
        .expect("effect");
        assert_eq!(
            effect.lines,
            vec![LineMove {
                line_id: 1,
                requested: Yen::new(3_000_000),
                before: Yen::new(3_000_000),
                after: Yen::new(5_000_000),
            }]
        );
        assert_eq!(effect.before.subsidy, decided);
        assert_eq!(effect.after.eligible, Yen::new(6_500_000));
        assert_eq!(effect.after.computed, Yen::new(4_333_000));
        assert_eq!(
            effect.after.subsidy, decided,
            "the decided amount is the ceiling"
        );
        assert!(effect.after.held_by_decision());
        assert_eq!(effect.categories_over_threshold(), vec!["personnel"]);
        assert!(effect.requires_approval());
    }

    #[test]
    fn a_lowered_line_lowers_the_subsidy_and_a_small_move_needs_no_approval() {
        let effect = change_effect(
            &frozen(),
            Yen::new(3_000_000),
            threshold(),
            &plan(),
            &[(2, Yen::new(1_200_000))],
        )
        .expect("effect");
        assert_eq!(effect.after.eligible, Yen::new(4_200_000));
        assert_eq!(effect.after.subsidy, Yen::new(2_800_000));
        assert!(!effect.after.held_by_decision());
        assert!(
            !effect.requires_approval(),
            "exactly 20% is not more than 20%"
        );
        let travel = &effect.categories[1];
        assert_eq!(
            (travel.decided, travel.before, travel.after),
            (
                Yen::new(1_500_000),
                Yen::new(1_500_000),
                Yen::new(1_200_000)
            )
        );
    }

    #[test]
    fn a_lower_decided_amount_holds_the_plan_and_moves_are_judged_against_the_decision() {
        // The 事務局 decided 2,500,000円; an earlier recorded change already lowered travel.
        let mut lines = plan();
        lines[1].1 = lines[1].1.with_change(Some(1_300_000));
        let effect = change_effect(
            &frozen(),
            Yen::new(2_500_000),
            threshold(),
            &lines,
            &[(2, Yen::new(1_100_000))],
        )
        .expect("effect");
        assert_eq!(effect.before.subsidy, Yen::new(2_500_000));
        assert_eq!(effect.lines[0].before, Yen::new(1_300_000));
        assert_eq!(effect.lines[0].requested, Yen::new(1_500_000));
        assert_eq!(
            effect.categories_over_threshold(),
            vec!["travel"],
            "1,500,000 → 1,100,000 is more than 20% of the decided amount"
        );
    }
}
