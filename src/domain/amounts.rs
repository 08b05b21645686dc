//! The amounts of an application's lifecycle, each under its name and with its date, in the
//! order they come to exist: 申請額 (the engine's subsidy at submission), 審査後 (the engine's
//! subsidy over the lines as the finance officer reviewed them), 交付決定額 (the 事務局's, at
//! most the computed amount), 確定額 (額の確定) and 支払額 (支払). Every page, export and API
//! view lists them through [`LifecycleAmounts`], so that an amount is called the same
//! everywhere and shown from the step that makes it on.

use chrono::NaiveDate;
use serde::Serialize;

use super::budget::{LineAmounts, ReviewState};
use super::codes::code_enum;
use super::money::Yen;
use super::validation::ErrorCode;
use super::workflow::Action;

code_enum! {
    /// Which amount of the lifecycle a figure is.
    AmountKind, "amount kind" {
        Estimate => "estimate", "補助金額（試算）";
        Requested => "requested", "申請額";
        Reviewed => "reviewed", "審査後";
        Decided => "decided", "交付決定額";
        Confirmed => "confirmed", "確定額";
        Paid => "paid", "支払額";
    }
}

impl AmountKind {
    /// What the date beside the amount is called (`None`: the amount has no date of its own).
    pub fn date_label_ja(self) -> Option<&'static str> {
        match self {
            AmountKind::Estimate | AmountKind::Reviewed => None,
            AmountKind::Requested => Some("申請日"),
            AmountKind::Decided => Some("交付決定日"),
            AmountKind::Confirmed => Some("確定日"),
            AmountKind::Paid => Some("支払日"),
        }
    }
}

/// What an application's record holds of its amounts (each `None` until its step).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AmountFacts {
    /// Still a draft: only the engine's estimate exists.
    pub draft: bool,
    /// The engine's latest answer (`None` until it could judge the application).
    pub latest: Option<Yen>,
    pub application_date: Option<NaiveDate>,
    /// The engine's answer over the lines as asked, recorded at submission.
    pub requested: Option<Yen>,
    /// The engine's answer over the reviewed lines, once a line was reviewed.
    pub reviewed: Option<Yen>,
    pub decided: Option<Yen>,
    pub decided_on: Option<NaiveDate>,
    pub confirmed: Option<Yen>,
    pub confirmed_on: Option<NaiveDate>,
    pub paid: Option<Yen>,
    pub paid_on: Option<NaiveDate>,
}

/// One amount of the lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LifecycleAmount {
    pub kind: AmountKind,
    pub yen: Yen,
    /// The day of the step that fixed it (unknown for records older than the date's column).
    pub date: Option<NaiveDate>,
}

/// The amounts that exist, in lifecycle order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LifecycleAmounts(pub Vec<LifecycleAmount>);

impl LifecycleAmounts {
    /// A draft has the engine's estimate; a submitted application its 申請額 (the latest
    /// answer where none was recorded at submission) and each later amount once recorded.
    pub fn of(facts: &AmountFacts) -> LifecycleAmounts {
        let entry =
            |kind, yen: Option<Yen>, date| yen.map(|yen| LifecycleAmount { kind, yen, date });
        if facts.draft {
            return LifecycleAmounts(
                entry(AmountKind::Estimate, facts.latest, None)
                    .into_iter()
                    .collect(),
            );
        }
        let amounts = [
            entry(
                AmountKind::Requested,
                facts.requested.or(facts.latest),
                facts.application_date,
            ),
            entry(AmountKind::Reviewed, facts.reviewed, None),
            entry(AmountKind::Decided, facts.decided, facts.decided_on),
            entry(AmountKind::Confirmed, facts.confirmed, facts.confirmed_on),
            entry(AmountKind::Paid, facts.paid, facts.paid_on),
        ];
        LifecycleAmounts(amounts.into_iter().flatten().collect())
    }

    pub fn get(&self, kind: AmountKind) -> Option<&LifecycleAmount> {
        self.0.iter().find(|amount| amount.kind == kind)
    }

    /// The latest amount: the one the application now stands at.
    pub fn current(&self) -> Option<&LifecycleAmount> {
        self.0.last()
    }
}

/// Whether a finance officer has reviewed any of these lines (then 審査後 exists).
pub fn any_reviewed(lines: impl IntoIterator<Item = LineAmounts>) -> bool {
    lines
        .into_iter()
        .any(|line| line.review != ReviewState::Pending)
}

/// Why an amount a person entered is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountRefusal {
    Negative,
    /// Above the amount that bounds it (the computed amount, the 確定額).
    AboveCeiling {
        ceiling: Yen,
        kind: CeilingKind,
    },
}

/// What bounds an amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeilingKind {
    /// The engine's computed subsidy bounds the 交付決定額.
    Computed,
    /// The 確定額 bounds the 支払額.
    Confirmed,
}

impl CeilingKind {
    /// What bounds the amount `action` records: 交付決定 records the 交付決定額 within the
    /// computed subsidy, 支払 the 支払額 within the 確定額; other actions record none.
    pub fn of(action: Action) -> Option<CeilingKind> {
        match action {
            Action::DecideGrant => Some(CeilingKind::Computed),
            Action::Pay => Some(CeilingKind::Confirmed),
            _ => None,
        }
    }

    /// The amount recorded within this ceiling.
    pub fn recorded(self) -> AmountKind {
        match self {
            CeilingKind::Computed => AmountKind::Decided,
            CeilingKind::Confirmed => AmountKind::Paid,
        }
    }

    /// The ceiling as people read it.
    pub fn label_ja(self) -> &'static str {
        match self {
            CeilingKind::Computed => "算定した補助金額",
            CeilingKind::Confirmed => AmountKind::Confirmed.label_ja(),
        }
    }
}

impl AmountRefusal {
    pub fn code(self) -> ErrorCode {
        match self {
            AmountRefusal::Negative => ErrorCode::NegativeAmount,
            AmountRefusal::AboveCeiling { .. } => ErrorCode::AboveCeiling,
        }
    }

    pub fn message_ja(self) -> String {
        match self {
            AmountRefusal::Negative => "金額は 0 円以上にしてください".to_owned(),
            AmountRefusal::AboveCeiling { ceiling, kind } => format!(
                "{}は{}（{ceiling}）以下にしてください",
                kind.recorded().label_ja(),
                kind.label_ja()
            ),
        }
    }
}

/// An amount the 事務局 enters, between zero and its ceiling.
pub fn check_within(amount: Yen, ceiling: Yen, kind: CeilingKind) -> Result<Yen, AmountRefusal> {
    if amount.value() < 0 {
        Err(AmountRefusal::Negative)
    } else if amount > ceiling {
        Err(AmountRefusal::AboveCeiling { ceiling, kind })
    } else {
        Ok(amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, 12, d)
    }

    #[test]
    fn a_draft_has_only_the_estimate() {
        let facts = AmountFacts {
            draft: true,
            latest: Some(Yen::new(1_500_000)),
            ..AmountFacts::default()
        };
        let amounts = LifecycleAmounts::of(&facts);
        assert_eq!(amounts.0.len(), 1);
        assert_eq!(amounts.0[0].kind, AmountKind::Estimate);
        assert!(
            LifecycleAmounts::of(&AmountFacts {
                latest: None,
                ..facts
            })
            .0
            .is_empty()
        );
    }

    #[test]
    fn each_amount_appears_from_its_step_in_lifecycle_order() {
        let submitted = AmountFacts {
            latest: Some(Yen::new(1_400_000)),
            application_date: day(1),
            requested: Some(Yen::new(1_500_000)),
            ..AmountFacts::default()
        };
        let kinds = |facts: &AmountFacts| -> Vec<AmountKind> {
            LifecycleAmounts::of(facts)
                .0
                .iter()
                .map(|a| a.kind)
                .collect()
        };
        assert_eq!(kinds(&submitted), vec![AmountKind::Requested]);
        let paid = AmountFacts {
            reviewed: Some(Yen::new(1_400_000)),
            decided: Some(Yen::new(1_300_000)),
            decided_on: day(2),
            confirmed: Some(Yen::new(1_250_000)),
            confirmed_on: day(3),
            paid: Some(Yen::new(1_250_000)),
            paid_on: day(4),
            ..submitted
        };
        let amounts = LifecycleAmounts::of(&paid);
        assert_eq!(
            kinds(&paid),
            vec![
                AmountKind::Requested,
                AmountKind::Reviewed,
                AmountKind::Decided,
                AmountKind::Confirmed,
                AmountKind::Paid
            ]
        );
        assert_eq!(amounts.0[0].yen, Yen::new(1_500_000), "申請額 as submitted");
        assert_eq!(amounts.0[0].date, day(1));
        assert_eq!(
            amounts.get(AmountKind::Decided).and_then(|a| a.date),
            day(2)
        );
        assert_eq!(amounts.current().map(|a| a.kind), Some(AmountKind::Paid));
        let older = AmountFacts {
            requested: None,
            ..submitted
        };
        assert_eq!(
            LifecycleAmounts::of(&older).0[0].yen,
            Yen::new(1_400_000),
            "an application submitted before 申請額 was recorded shows the engine's answer"
        );
    }

    #[test]
    fn an_entered_amount_stays_between_zero_and_its_ceiling() {
        let ceiling = Yen::new(1_500_000);
        assert_eq!(
            check_within(Yen::new(1_500_000), ceiling, CeilingKind::Computed),
            Ok(Yen::new(1_500_000))
        );
        let above = check_within(Yen::new(1_500_001), ceiling, CeilingKind::Computed)
            .expect_err("above the computed amount");
        assert_eq!(above.code(), ErrorCode::AboveCeiling);
        assert!(
            above.message_ja().contains("1,500,000"),
            "{}",
            above.message_ja()
        );
        assert_eq!(
            check_within(Yen::new(-1), ceiling, CeilingKind::Confirmed),
            Err(AmountRefusal::Negative)
        );
    }
}
