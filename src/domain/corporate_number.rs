//! 法人番号 (corporate number): 13 digits, the first being a check digit over the other 12.
//! check = 9 − (Σ_{i=1..12} P_i × Q_i mod 9), P_i the i-th digit from the right of the 12-digit
//! base, Q_i = 1 for odd i and 2 for even i (法人番号の指定等に関する省令 第2条).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorporateNumberError {
    #[error("法人番号は半角数字で入力してください（全角数字が含まれています）")]
    FullWidthDigits,
    #[error("法人番号は数字のみ13桁です（数字以外の文字が含まれています）")]
    NotDigits,
    #[error("法人番号は13桁です（{length}桁が入力されました）")]
    WrongLength { length: usize },
    #[error("法人番号のチェックディジットが一致しません（先頭の数字は{expected}のはずです）")]
    CheckDigit { expected: u8 },
}

/// A 法人番号 whose check digit is correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CorporateNumber([u8; 13]);

impl CorporateNumber {
    /// The 13 ASCII digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The check digit for a 12-digit base given as ASCII digits.
    fn check_digit(base: &[u8]) -> u8 {
        let sum: u32 = base
            .iter()
            .rev()
            .enumerate()
            .map(|(index, digit)| {
                let weight = if index % 2 == 0 { 1 } else { 2 };
                u32::from(digit - b'0') * weight
            })
            .sum();
        // sum % 9 ∈ 0..9, so the digit is 1..=9.
        9 - (sum % 9) as u8
    }
}

impl FromStr for CorporateNumber {
    type Err = CorporateNumberError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.chars().any(|c| ('０'..='９').contains(&c)) {
            return Err(CorporateNumberError::FullWidthDigits);
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CorporateNumberError::NotDigits);
        }
        let digits: [u8; 13] =
            text.as_bytes()
                .try_into()
                .map_err(|_| CorporateNumberError::WrongLength {
                    length: text.chars().count(),
                })?;
        let expected = Self::check_digit(&digits[1..]);
        if digits[0] - b'0' != expected {
            return Err(CorporateNumberError::CheckDigit { expected });
        }
        Ok(CorporateNumber(digits))
    }
}

impl fmt::Display for CorporateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CorporateNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CorporateNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_numbers() {
        // 国税庁: base 000012050002 → Σ = 2·1 + 5·1 + 2·1 + 1·2 = 11, 11 mod 9 = 2, 9 − 2 = 7.
        let nta: CorporateNumber = "7000012050002".parse().expect("国税庁");
        assert_eq!(nta.to_string(), "7000012050002");
        // 経済産業省: base 000012090001 → Σ = 1·1 + 9·1 + 2·1 + 1·2 = 14, 14 mod 9 = 5, 9 − 5 = 4.
        assert!("4000012090001".parse::<CorporateNumber>().is_ok());
        // Surrounding blanks from copy and paste are tolerated.
        assert!(" 7000012050002 ".parse::<CorporateNumber>().is_ok());
    }

    #[test]
    fn rejects_wrong_input_with_a_reason() {
        use CorporateNumberError::*;
        let cases = [
            ("8000012050002", CheckDigit { expected: 7 }),
            ("７００００１２０５０００２", FullWidthDigits),
            ("700001205000", WrongLength { length: 12 }),
            ("7000-01205-0002", NotDigits),
        ];
        for (text, error) in cases {
            assert_eq!(text.parse::<CorporateNumber>(), Err(error), "{text}");
        }
    }

    #[test]
    fn check_digit_is_never_zero() {
        for base in ["000000000000", "999999999999", "123456789012"] {
            let digit = CorporateNumber::check_digit(base.as_bytes());
            assert!((1..=9).contains(&digit));
        }
    }
}
