//! Money and rates in exact integers: `Yen` (whole yen, i64) and `Rate` (a fraction in (0, 1]),
//! plus the subsidy arithmetic `min(floor(eligible × rate / unit) × unit, cap)`. No floating
//! point anywhere: a subsidy must be reproducible to the yen.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金額が負です")]
    Negative,
    #[error("金額が大きすぎます")]
    Overflow,
    #[error("補助率は0より大きく1以下の分数でなければなりません（{numerator}/{denominator}）")]
    InvalidRate { numerator: u64, denominator: u64 },
    #[error("端数処理の単位は1円以上でなければなりません")]
    InvalidUnit,
}

/// An amount of whole yen. Negative values exist (differences), but the subsidy arithmetic
/// rejects them.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Yen(i64);

impl Yen {
    pub const ZERO: Yen = Yen(0);

    pub const fn new(amount: i64) -> Self {
        Yen(amount)
    }

    pub const fn value(self) -> i64 {
        self.0
    }

    /// An amount that may be claimed or budgeted: zero or more.
    pub fn non_negative(amount: i64) -> Result<Self, MoneyError> {
        if amount < 0 {
            Err(MoneyError::Negative)
        } else {
            Ok(Yen(amount))
        }
    }

    pub fn checked_add(self, other: Yen) -> Result<Yen, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Yen)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Yen) -> Result<Yen, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Yen)
            .ok_or(MoneyError::Overflow)
    }

    /// Adds, saturating at the i64 bounds. For running totals whose inputs were bounded at
    /// parse time, where saturation cannot happen in practice.
    pub const fn saturating_add(self, other: Yen) -> Yen {
        Yen(self.0.saturating_add(other.0))
    }
}

/// `13,000,000円`; negative amounts as `-1,000円`.
impl fmt::Display for Yen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buffer = [0u8; YEN_TEXT_BYTES];
        // Only ASCII digits, commas, a minus sign and "円" are written.
        f.write_str(std::str::from_utf8(self.as_text(&mut buffer)).map_err(|_| fmt::Error)?)
    }
}

/// Room for the longest amount: `-9,223,372,036,854,775,808円`.
pub const YEN_TEXT_BYTES: usize = 32;

impl Yen {
    /// The amount as [`Display`](fmt::Display) writes it, as UTF-8 rendered into `buffer`
    /// without allocating (the decision writer copies it straight into its output).
    pub fn as_text(self, buffer: &mut [u8; YEN_TEXT_BYTES]) -> &[u8] {
        const SUFFIX: &[u8] = "円".as_bytes();
        let mut position = buffer.len() - SUFFIX.len();
        buffer[position..].copy_from_slice(SUFFIX);
        let mut remaining = self.0.unsigned_abs();
        // Three digits and a comma a step.
        while remaining >= 1000 {
            let group = (remaining % 1000) as u16;
            remaining /= 1000;
            position -= 4;
            buffer[position] = b',';
            buffer[position + 1] = b'0' + (group / 100) as u8;
            buffer[position + 2] = b'0' + (group / 10 % 10) as u8;
            buffer[position + 3] = b'0' + (group % 10) as u8;
        }
        loop {
            position -= 1;
            buffer[position] = b'0' + (remaining % 10) as u8;
            remaining /= 10;
            if remaining == 0 {
                break;
            }
        }
        if self.0 < 0 {
            position -= 1;
            buffer[position] = b'-';
        }
        &buffer[position..]
    }
}

/// A subsidy rate as an exact fraction in (0, 1], kept in lowest terms so that 2/4 == 1/2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Rate {
    numerator: u32,
    denominator: u32,
}

impl Rate {
    pub fn new(numerator: u64, denominator: u64) -> Result<Self, MoneyError> {
        let invalid = MoneyError::InvalidRate {
            numerator,
            denominator,
        };
        if numerator == 0 || denominator == 0 || numerator > denominator {
            return Err(invalid);
        }
        let divisor = gcd(numerator, denominator);
        let numerator = u32::try_from(numerator / divisor).map_err(|_| invalid)?;
        let denominator = u32::try_from(denominator / divisor).map_err(|_| invalid)?;
        Ok(Rate {
            numerator,
            denominator,
        })
    }

    pub const fn numerator(self) -> u32 {
        self.numerator
    }

    pub const fn denominator(self) -> u32 {
        self.denominator
    }

    /// `floor(amount × rate)` in whole yen. Exact: the product is taken in i128.
    pub fn apply_floor(self, amount: Yen) -> Result<Yen, MoneyError> {
        let amount = Yen::non_negative(amount.value())?;
        let product = i128::from(amount.value()) * i128::from(self.numerator);
        let floored = product / i128::from(self.denominator);
        // rate ≤ 1, so the result never exceeds the amount and always fits.
        i64::try_from(floored)
            .map(Yen)
            .map_err(|_| MoneyError::Overflow)
    }

    /// Whether `amount` exceeds `self` of `base` (amount / base > rate), exactly.
    pub fn is_exceeded_by(self, amount: Yen, base: Yen) -> bool {
        i128::from(amount.value()) * i128::from(self.denominator)
            > i128::from(base.value()) * i128::from(self.numerator)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawRate {
            numerator: u64,
            denominator: u64,
        }
        let raw = RawRate::deserialize(deserializer)?;
        Rate::new(raw.numerator, raw.denominator).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The steps of one subsidy computation, kept so that the explanation can show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubsidyCalculation {
    /// `floor(eligible × rate)`: the amount before rounding to the unit.
    pub before_rounding: Yen,
    /// `floor(eligible × rate / unit) × unit`.
    pub rounded: Yen,
    /// `min(rounded, cap)`: the subsidy.
    pub subsidy: Yen,
}

impl SubsidyCalculation {
    pub fn capped(self) -> bool {
        self.subsidy < self.rounded
    }
}

/// `subsidy = min(floor(eligible × rate / unit) × unit, cap)`, in exact integers.
pub fn calculate_subsidy(
    eligible: Yen,
    rate: Rate,
    unit: Yen,
    cap: Yen,
) -> Result<SubsidyCalculation, MoneyError> {
    if unit.value() <= 0 {
        return Err(MoneyError::InvalidUnit);
    }
    let eligible = Yen::non_negative(eligible.value())?;
    let cap = Yen::non_negative(cap.value())?;
    let product = i128::from(eligible.value()) * i128::from(rate.numerator);
    let scaled_unit = i128::from(unit.value()) * i128::from(rate.denominator);
    // floor(eligible × n / d / unit) == floor(eligible × n / (d × unit)) for positive integers.
    let rounded = (product / scaled_unit) * i128::from(unit.value());
    let before_rounding = product / i128::from(rate.denominator);
    let to_yen = |value: i128| {
        i64::try_from(value)
            .map(Yen)
            .map_err(|_| MoneyError::Overflow)
    };
    let rounded = to_yen(rounded)?;
    Ok(SubsidyCalculation {
        before_rounding: to_yen(before_rounding)?,
        rounded,
        subsidy: rounded.min(cap),
    })
}

/// Just the subsidy amount of [`calculate_subsidy`].
pub fn subsidy(eligible: Yen, rate: Rate, unit: Yen, cap: Yen) -> Result<Yen, MoneyError> {
    calculate_subsidy(eligible, rate, unit, cap).map(|calculation| calculation.subsidy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rate(n: u64, d: u64) -> Rate {
        Rate::new(n, d).expect("valid rate")
    }

    #[test]
    fn formats_with_thousands_separators() {
        assert_eq!(Yen::new(13_000_000).to_string(), "13,000,000円");
        assert_eq!(Yen::new(0).to_string(), "0円");
        assert_eq!(Yen::new(999).to_string(), "999円");
        assert_eq!(Yen::new(1_000).to_string(), "1,000円");
        assert_eq!(Yen::new(-1_234_567).to_string(), "-1,234,567円");
        assert_eq!(
            Yen::new(i64::MIN).to_string(),
            "-9,223,372,036,854,775,808円"
        );
        assert_eq!(Yen::new(1_000_000).to_string(), "1,000,000円");
        assert_eq!(Yen::new(10_020_305).to_string(), "10,020,305円");
    }

    proptest! {
        #[test]
        fn groups_every_amount_by_three_digits(amount in any::<i64>()) {
            let digits = amount.unsigned_abs().to_string();
            let mut expected = String::from(if amount < 0 { "-" } else { "" });
            for (index, digit) in digits.chars().enumerate() {
                if index > 0 && (digits.len() - index) % 3 == 0 {
                    expected.push(',');
                }
                expected.push(digit);
            }
            expected.push('円');
            prop_assert_eq!(Yen::new(amount).to_string(), expected);
        }
    }

    #[test]
    fn two_thirds_of_fifteen_million_is_exact() {
        let result = subsidy(
            Yen::new(15_000_000),
            rate(2, 3),
            Yen::new(1_000),
            Yen::new(13_000_000),
        );
        assert_eq!(result, Ok(Yen::new(10_000_000)));
    }

    #[test]
    fn rounds_down_to_the_unit_then_caps() {
        let third = rate(1, 3);
        let calculation = calculate_subsidy(
            Yen::new(10_000_001),
            third,
            Yen::new(1_000),
            Yen::new(10_000_000),
        )
        .expect("valid");
        assert_eq!(calculation.before_rounding, Yen::new(3_333_333));
        assert_eq!(calculation.subsidy, Yen::new(3_333_000));
        assert_eq!(
            subsidy(
                Yen::new(10_000_001),
                third,
                Yen::new(1),
                Yen::new(10_000_000)
            ),
            Ok(Yen::new(3_333_333))
        );
        let capped = calculate_subsidy(
            Yen::new(21_000_000),
            rate(2, 3),
            Yen::new(1_000),
            Yen::new(13_000_000),
        )
        .expect("valid");
        assert_eq!(capped.rounded, Yen::new(14_000_000));
        assert_eq!(capped.subsidy, Yen::new(13_000_000));
        assert!(capped.capped());
    }

    #[test]
    fn rates_are_fractions_in_zero_to_one() {
        assert_eq!(rate(2, 4), rate(1, 2));
        assert_eq!(rate(1, 1).to_string(), "1/1");
        assert!(Rate::new(0, 3).is_err());
        assert!(Rate::new(4, 3).is_err());
        assert!(Rate::new(1, 0).is_err());
        assert!(Rate::new(1, u64::MAX).is_err());
    }

    #[test]
    fn rejects_negative_input_and_bad_units() {
        let half = rate(1, 2);
        assert_eq!(
            subsidy(Yen::new(-1), half, Yen::new(1), Yen::new(10)),
            Err(MoneyError::Negative)
        );
        assert_eq!(
            subsidy(Yen::new(1), half, Yen::new(0), Yen::new(10)),
            Err(MoneyError::InvalidUnit)
        );
        assert_eq!(
            Yen::new(i64::MAX).checked_add(Yen::new(1)),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn share_comparison_is_exact() {
        let half = rate(1, 2);
        assert!(!half.is_exceeded_by(Yen::new(500), Yen::new(1_000)));
        assert!(half.is_exceeded_by(Yen::new(501), Yen::new(1_000)));
    }

    fn any_rate() -> impl Strategy<Value = Rate> {
        (1u64..=1_000, 1u64..=1_000).prop_filter_map("n ≤ d", |(n, d)| Rate::new(n, d).ok())
    }

    proptest! {
        #[test]
        fn subsidy_never_exceeds_cap_or_rate(
            eligible in 0i64..=i64::MAX,
            rate in any_rate(),
            unit in prop::sample::select(vec![1i64, 10, 100, 1_000, 10_000]),
            cap in 0i64..=i64::MAX,
        ) {
            let result = subsidy(Yen::new(eligible), rate, Yen::new(unit), Yen::new(cap));
            let amount = result.expect("non-negative input never fails");
            prop_assert!(amount.value() >= 0);
            prop_assert!(amount.value() <= cap);
            // subsidy ≤ eligible × rate, compared exactly.
            prop_assert!(
                i128::from(amount.value()) * i128::from(rate.denominator())
                    <= i128::from(eligible) * i128::from(rate.numerator())
            );
            prop_assert!(amount.value() % unit == 0 || amount.value() == cap);
        }

        #[test]
        fn subsidy_is_monotone_in_eligible(
            eligible in 0i64..=i64::MAX / 2,
            extra in 0i64..=i64::MAX / 2,
            rate in any_rate(),
            unit in 1i64..=100_000,
            cap in 0i64..=i64::MAX,
        ) {
            let lower = subsidy(Yen::new(eligible), rate, Yen::new(unit), Yen::new(cap));
            let higher = subsidy(Yen::new(eligible + extra), rate, Yen::new(unit), Yen::new(cap));
            prop_assert!(lower.expect("valid") <= higher.expect("valid"));
        }

        #[test]
        fn subsidy_is_exact_on_multiples_of_denominator_times_unit(
            multiple in 0i64..=1_000_000_000,
            rate in any_rate(),
            unit in prop::sample::select(vec![1i64, 1_000]),
        ) {
            let step = i64::from(rate.denominator()) * unit;
            let eligible = multiple * step;
            let result = subsidy(Yen::new(eligible), rate, Yen::new(unit), Yen::new(i64::MAX));
            prop_assert_eq!(
                result,
                Ok(Yen::new(multiple * i64::from(rate.numerator()) * unit))
            );
        }

        #[test]
        fn never_panics_on_any_input(
            eligible in any::<i64>(),
            numerator in any::<u64>(),
            denominator in any::<u64>(),
            unit in any::<i64>(),
            cap in any::<i64>(),
        ) {
            if let Ok(rate) = Rate::new(numerator, denominator) {
                let result = subsidy(Yen::new(eligible), rate, Yen::new(unit), Yen::new(cap));
                if eligible < 0 || unit <= 0 || cap < 0 {
                    prop_assert!(result.is_err());
                } else {
                    prop_assert!(result.is_ok());
                }
            }
            let _ = Yen::new(eligible).checked_add(Yen::new(cap));
            let _ = Yen::new(eligible).to_string();
        }
    }
}
