//! Budget lines after review, double funding, change requests, and the decision frozen at
//! 交付決定 with the amount confirmed from it (額の確定).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::codes::{ExpenseCategory, Frame, FundingSource, code_enum};
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

code_enum! {
    /// What a reviewer chose for a line (the API's `decision`, the review page's radio).
    LineDecision, "line decision" {
        Approve => "approve", "承認";
        Adjust => "adjust", "調整";
        Reject => "reject", "否認";
    }
}

impl LineReview {
    /// The verdict a reviewer's choice makes, with the amount an adjustment needs (`None`: it
    /// was not given). The reason is checked by [`LineReview::validate`].
    pub fn of(
        decision: LineDecision,
        amount: Option<Yen>,
        reason: String,
    ) -> Result<LineReview, &'static str> {
        match decision {
            LineDecision::Approve => Ok(LineReview::Approve),
            LineDecision::Adjust => amount
                .map(|amount| LineReview::Adjust { amount, reason })
                .ok_or("調整後の金額を入力してください"),
            LineDecision::Reject => Ok(LineReview::Reject { reason }),
        }
    }

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
                Err("否認の理由を入力してください")
            }
            LineReview::Reject { .. } => Ok(()),
        }
    }

    /// The line's review state once this verdict is recorded.
    pub fn state(&self) -> ReviewState {
        match self {
            LineReview::Approve => ReviewState::Approved,
            LineReview::Adjust { .. } => ReviewState::Adjusted,
            LineReview::Reject { .. } => ReviewState::Rejected,
        }
    }
}

code_enum! {
    /// Where a budget line stands in the finance officer's review.
    ReviewState, "review state" {
        Pending => "pending", "未審査";
        Approved => "approved", "承認";
        Adjusted => "adjusted", "調整";
        Rejected => "rejected", "否認";
    }
}

/// Which earlier review each line of an edited budget keeps: the finance officer reviewed
/// what a line says, so a line that says the same after the applicant's edit (差戻し, then
/// resubmission) keeps its review, and a changed or new line is reviewed again. For each new
/// line, the index of the first earlier line with the same content not already kept.
pub fn reviews_kept<T: PartialEq>(earlier: &[T], edited: &[T]) -> Vec<Option<usize>> {
    let mut used = vec![false; earlier.len()];
    edited
        .iter()
        .map(|line| {
            let found = earlier
                .iter()
                .enumerate()
                .position(|(index, old)| !used[index] && old == line)?;
            used[found] = true;
            Some(found)
        })
        .collect()
}

/// Where a budget line sits in a budget, and what it is called: enough to tell which earlier
/// line an edited one replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineSlot<'a> {
    /// The activity's index in the budget.
    pub activity: usize,
    /// The line's index in its activity.
    pub position: usize,
    pub description: &'a str,
}

/// For each edited line that keeps no review ([`reviews_kept`]), the earlier line it replaces:
/// an earlier line whose review no line kept, in the same activity, with the same 内容 or else
/// at the same place. The finance officer is shown that line's values as before → after.
pub fn lines_replaced(
    earlier: &[LineSlot<'_>],
    edited: &[LineSlot<'_>],
    kept: &[Option<usize>],
) -> Vec<Option<usize>> {
    let mut used = vec![false; earlier.len()];
    for index in kept.iter().flatten() {
        if let Some(flag) = used.get_mut(*index) {
            *flag = true;
        }
    }
    let mut replaced = vec![None; edited.len()];
    let passes: [fn(&LineSlot<'_>, &LineSlot<'_>) -> bool; 2] = [
        |old, new| old.activity == new.activity && old.description == new.description,
        |old, new| old.activity == new.activity && old.position == new.position,
    ];
    for same in passes {
        for (index, line) in edited.iter().enumerate() {
            if kept.get(index).copied().flatten().is_some() || replaced[index].is_some() {
                continue;
            }
            if let Some(found) = earlier
                .iter()
                .enumerate()
                .position(|(j, old)| !used[j] && same(old, line))
            {
                used[found] = true;
                replaced[index] = Some(found);
            }
        }
    }
    replaced
}

/// What a budget line said when the finance officer last reviewed it, with the verdict: kept
/// for a line the applicant has changed since, until it is reviewed again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineReviewed {
    pub category: ExpenseCategory,
    pub description: String,
    pub amount_yen: i64,
    pub funding_source: FundingSource,
    pub review_state: ReviewState,
    pub reviewed_amount_yen: Option<i64>,
    pub review_reason: Option<String>,
}

/// One line's values as a change shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineValues<'a> {
    pub category: ExpenseCategory,
    pub description: &'a str,
    pub amount_yen: i64,
    pub funding_source: FundingSource,
}

impl LineReviewed {
    pub fn values(&self) -> LineValues<'_> {
        LineValues {
            category: self.category,
            description: &self.description,
            amount_yen: self.amount_yen,
            funding_source: self.funding_source,
        }
    }
}

/// What changed in a line since its last review, field by field (金額, 内容, 経費区分, 財源):
/// `(field label, before, after)`, the amounts in yen as people write them.
pub fn changes_since_review(
    before: &LineValues<'_>,
    after: &LineValues<'_>,
) -> Vec<(&'static str, String, String)> {
    let mut changes = Vec::new();
    if before.amount_yen != after.amount_yen {
        changes.push((
            "金額",
            Yen::new(before.amount_yen).to_string(),
            Yen::new(after.amount_yen).to_string(),
        ));
    }
    if before.description != after.description {
        changes.push((
            "内容",
            before.description.to_owned(),
            after.description.to_owned(),
        ));
    }
    if before.category != after.category {
        changes.push((
            "経費区分",
            before.category.label_ja().to_owned(),
            after.category.label_ja().to_owned(),
        ));
    }
    if before.funding_source != after.funding_source {
        changes.push((
            "財源",
            before.funding_source.label_ja().to_owned(),
            after.funding_source.label_ja().to_owned(),
        ));
    }
    changes
}

/// One budget line's amounts as the lifecycle gives them: what the applicant asked for, the
/// finance officer's verdict, and what was actually spent. Every page, export, filing and
/// use case asks these methods which lines are claimed and at which amount, so that the
/// 補助対象経費 is the same number wherever it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineAmounts {
    pub category: ExpenseCategory,
    pub funding_source: FundingSource,
    pub requested: Yen,
    pub review: ReviewState,
    /// The adjusted amount (only an `Adjusted` line has one that counts).
    pub reviewed: Option<Yen>,
    /// The amount spent, from the completion report.
    pub actual: Option<Yen>,
    /// The amount a recorded or approved 計画変更 gave the line; `requested` stays the 申請額.
    pub changed: Option<Yen>,
}

impl LineAmounts {
    /// A line as stored: amounts in whole yen.
    pub fn of_stored(
        category: ExpenseCategory,
        funding_source: FundingSource,
        requested_yen: i64,
        review: ReviewState,
        reviewed_yen: Option<i64>,
        actual_yen: Option<i64>,
    ) -> Self {
        LineAmounts {
            category,
            funding_source,
            requested: Yen::new(requested_yen),
            review,
            reviewed: reviewed_yen.map(Yen::new),
            actual: actual_yen.map(Yen::new),
            changed: None,
        }
    }

    /// The line as a 計画変更 left it (`None`: never changed).
    pub fn with_change(self, changed_yen: Option<i64>) -> Self {
        LineAmounts {
            changed: changed_yen.map(Yen::new),
            ..self
        }
    }

    /// Whether the line is still in the budget the engine judges (a rejected line is not).
    pub fn in_budget(&self) -> bool {
        self.review != ReviewState::Rejected
    }

    /// The amount after review: as requested, as adjusted, or nothing once rejected.
    pub fn after_review(&self) -> Yen {
        match (self.review, self.reviewed) {
            (ReviewState::Rejected, _) => Yen::ZERO,
            (ReviewState::Adjusted, Some(adjusted)) => adjusted,
            _ => self.requested,
        }
    }

    /// The amount in the plan: after review, or as a 計画変更 after 交付決定 changed it (a
    /// rejected line stays out of the budget).
    pub fn effective(&self) -> Yen {
        match self.changed {
            Some(changed) if self.in_budget() => changed,
            _ => self.after_review(),
        }
    }

    /// Whether the line is a 補助対象経費: paid from this subsidy and not rejected.
    pub fn is_claimed(&self) -> bool {
        self.funding_source == FundingSource::ThisSubsidy && self.in_budget()
    }

    /// What the line adds to the 補助対象経費 (zero when it is not claimed).
    pub fn claimed(&self) -> Yen {
        if self.is_claimed() {
            self.effective()
        } else {
            Yen::ZERO
        }
    }

    /// What the line adds to the actual 補助対象経費 of the completion report, once reported.
    pub fn actual_claimed(&self) -> Option<Yen> {
        self.actual.filter(|_| self.is_claimed())
    }
}

/// The 補助対象経費 of a set of lines after review.
pub fn claimed_total(lines: impl IntoIterator<Item = LineAmounts>) -> Yen {
    lines.into_iter().fold(Yen::ZERO, |total, line| {
        total.saturating_add(line.claimed())
    })
}

/// The actual 補助対象経費 of the completion report; `None` until some claimed line has one.
pub fn actual_claimed_total(lines: impl IntoIterator<Item = LineAmounts>) -> Option<Yen> {
    lines
        .into_iter()
        .filter_map(|line| line.actual_claimed())
        .reduce(Yen::saturating_add)
}

/// The 補助対象経費 per expense category, as 交付決定 freezes it and a change request compares
/// against it.
pub fn claimed_by_category(lines: impl IntoIterator<Item = LineAmounts>) -> CategoryBudget {
    let mut budget = CategoryBudget::new();
    for line in lines.into_iter().filter(LineAmounts::is_claimed) {
        let entry = budget
            .entry(line.category.as_str().to_owned())
            .or_insert(Yen::ZERO);
        *entry = entry.saturating_add(line.effective());
    }
    budget
}

/// A cost claimed under this subsidy that the municipal budget or other national money also
/// funds is double funding (DOMAIN.md §8 Q14).
pub fn is_double_funded(
    funding_source: FundingSource,
    co_funding_sources: &[FundingSource],
) -> bool {
    funding_source == FundingSource::ThisSubsidy
        && co_funding_sources.iter().any(|source| {
            matches!(
                source,
                FundingSource::Municipal | FundingSource::NationalOther
            )
        })
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
    pub frame: Frame,
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
impl FrozenDecision {
    /// A 右腕人材枠 1回目 decision (2/3, 千円未満切捨て, cap 13,000,000) on these categories'
    /// amounts, for tests.
    pub(crate) fn right_hand_first(by_category: &[(&str, i64)], decided_subsidy: i64) -> Self {
        let budget_by_category: CategoryBudget = by_category
            .iter()
            .map(|(category, yen)| ((*category).to_owned(), Yen::new(*yen)))
            .collect();
        FrozenDecision {
            fiscal_year: 2026,
            frame: Frame::RightHand,
            award_ordinal: 1,
            rate: Rate::new(2, 3).expect("rate"),
            cap_yen: Yen::new(13_000_000),
            rounding_unit_yen: Yen::new(1_000),
            eligible_expenses_yen: Yen::new(by_category.iter().map(|(_, yen)| yen).sum()),
            decided_subsidy_yen: Yen::new(decided_subsidy),
            budget_by_category,
            project_start: None,
            project_end: None,
            rules_version: "2026-test".into(),
        }
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
    fn a_reviewers_choice_makes_its_verdict() {
        let reason = || "見積の再確認".to_owned();
        assert_eq!(
            LineReview::of(LineDecision::Approve, None, String::new()),
            Ok(LineReview::Approve)
        );
        assert_eq!(
            LineReview::of(LineDecision::Adjust, Some(Yen::new(900_000)), reason()),
            Ok(LineReview::Adjust {
                amount: Yen::new(900_000),
                reason: reason()
            })
        );
        assert_eq!(
            LineReview::of(LineDecision::Adjust, None, reason()),
            Err("調整後の金額を入力してください")
        );
        assert_eq!(
            LineReview::of(LineDecision::Reject, None, reason()),
            Ok(LineReview::Reject { reason: reason() })
        );
        assert_eq!(
            LineDecision::Reject.label_ja(),
            ReviewState::Rejected.label_ja()
        );
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

    fn line(source: FundingSource, review: ReviewState, reviewed: Option<i64>) -> LineAmounts {
        LineAmounts {
            category: ExpenseCategory::Travel,
            funding_source: source,
            requested: Yen::new(500_000),
            review,
            reviewed: reviewed.map(Yen::new),
            actual: Some(Yen::new(450_000)),
            changed: None,
        }
    }

    #[test]
    fn effective_amounts_follow_the_review() {
        let subsidy = FundingSource::ThisSubsidy;
        assert_eq!(
            line(subsidy, ReviewState::Pending, None).effective(),
            Yen::new(500_000)
        );
        assert_eq!(
            line(subsidy, ReviewState::Approved, None).effective(),
            Yen::new(500_000)
        );
        assert_eq!(
            line(subsidy, ReviewState::Adjusted, Some(300_000)).effective(),
            Yen::new(300_000)
        );
        assert_eq!(
            line(subsidy, ReviewState::Rejected, None).effective(),
            Yen::ZERO
        );
    }

    #[test]
    fn a_change_replaces_the_reviewed_amount_but_not_the_requested_one() {
        let adjusted = line(
            FundingSource::ThisSubsidy,
            ReviewState::Adjusted,
            Some(300_000),
        )
        .with_change(Some(700_000));
        assert_eq!(adjusted.effective(), Yen::new(700_000));
        assert_eq!(adjusted.after_review(), Yen::new(300_000));
        assert_eq!(adjusted.requested, Yen::new(500_000), "the 申請額 stays");
        let rejected = line(FundingSource::ThisSubsidy, ReviewState::Rejected, None)
            .with_change(Some(700_000));
        assert_eq!(rejected.effective(), Yen::ZERO, "a rejected line stays out");
    }

    #[test]
    fn only_unrejected_subsidy_lines_are_claimed_at_their_reviewed_amount() {
        let lines = [
            line(FundingSource::ThisSubsidy, ReviewState::Pending, None),
            line(
                FundingSource::ThisSubsidy,
                ReviewState::Adjusted,
                Some(300_000),
            ),
            line(FundingSource::ThisSubsidy, ReviewState::Rejected, None),
            line(FundingSource::OwnFunds, ReviewState::Approved, None),
        ];
        assert_eq!(claimed_total(lines), Yen::new(800_000));
        // Actuals count only on claimed lines: the rejected and own-funds lines' 450,000 do not.
        assert_eq!(actual_claimed_total(lines), Some(Yen::new(900_000)));
        assert_eq!(claimed_by_category(lines), budget(&[("travel", 800_000)]));
        assert_eq!(
            actual_claimed_total([line(FundingSource::OwnFunds, ReviewState::Pending, None)]),
            None
        );
    }

    #[test]
    fn double_funding_is_a_subsidy_claim_with_public_co_funding() {
        use FundingSource::*;
        assert!(is_double_funded(ThisSubsidy, &[Municipal]));
        assert!(is_double_funded(ThisSubsidy, &[OwnFunds, NationalOther]));
        assert!(!is_double_funded(ThisSubsidy, &[OwnFunds]));
        assert!(!is_double_funded(Municipal, &[NationalOther]));
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
        let frozen = FrozenDecision::right_hand_first(&[("personnel", 9_000_000)], 6_000_000);
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

    #[test]
    fn an_unchanged_line_keeps_its_review_and_a_changed_one_does_not() {
        let earlier = [
            ("人件費", 6_000_000),
            ("外注", 2_000_000),
            ("外注", 2_000_000),
        ];
        let edited = [
            ("外注", 2_000_000),
            ("人件費", 6_500_000),
            ("外注", 2_000_000),
            ("外注", 2_000_000),
        ];
        assert_eq!(
            reviews_kept(&earlier, &edited),
            vec![Some(1), None, Some(2), None],
            "each earlier review is kept once; the raised line and the extra copy start afresh"
        );
        assert_eq!(reviews_kept::<i32>(&[], &[1]), vec![None]);
    }

    #[test]
    fn a_changed_line_is_shown_against_the_line_it_replaces() {
        let slot = |activity, position, description| LineSlot {
            activity,
            position,
            description,
        };
        let earlier = [
            slot(0, 0, "人件費"),
            slot(0, 1, "旅費"),
            slot(1, 0, "会場費"),
        ];
        // 旅費 raised in place; 会場費 renamed; a new line added.
        let edited = [
            slot(0, 0, "人件費"),
            slot(0, 1, "旅費"),
            slot(1, 0, "会場費（2回分）"),
            slot(1, 1, "資料"),
        ];
        let kept = [Some(0), None, None, None];
        assert_eq!(
            lines_replaced(&earlier, &edited, &kept),
            vec![None, Some(1), Some(2), None]
        );
        let before = LineValues {
            category: ExpenseCategory::Travel,
            description: "旅費",
            amount_yen: 600_000,
            funding_source: FundingSource::ThisSubsidy,
        };
        let after = LineValues {
            amount_yen: 500_000,
            funding_source: FundingSource::OwnFunds,
            ..before.clone()
        };
        let changes = changes_since_review(&before, &after);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(changes[0].0, "金額");
        assert_eq!(changes[1].0, "財源");
        assert!(changes_since_review(&before, &before).is_empty());
    }
}
