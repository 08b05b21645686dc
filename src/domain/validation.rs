//! Field-level input errors, reported all at once:
//! `{"errors": {"applicants[0].corporate_number": [{"code": "check_digit", "message": "…"}]}}`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// Stable codes of input errors. Clients switch on these; the messages are for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Required,
    UnknownCode,
    InvalidDate,
    InvalidNumber,
    InvalidType,
    InvalidLength,
    FullWidthDigits,
    NegativeAmount,
    AmountTooLarge,
    CheckDigit,
    InvalidJson,
    /// A key the contract does not have (a misspelt field).
    UnknownField,
    /// A key given twice in one object.
    DuplicateField,
    InvalidPeriod,
    LeadCount,
    UnknownFiscalYear,
    FrameNotInYear,
    /// The engine refuses the application (an action that needs it to be eligible).
    Ineligible,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::Required,
        ErrorCode::UnknownCode,
        ErrorCode::InvalidDate,
        ErrorCode::InvalidNumber,
        ErrorCode::InvalidType,
        ErrorCode::InvalidLength,
        ErrorCode::FullWidthDigits,
        ErrorCode::NegativeAmount,
        ErrorCode::AmountTooLarge,
        ErrorCode::CheckDigit,
        ErrorCode::InvalidJson,
        ErrorCode::UnknownField,
        ErrorCode::DuplicateField,
        ErrorCode::InvalidPeriod,
        ErrorCode::LeadCount,
        ErrorCode::UnknownFiscalYear,
        ErrorCode::FrameNotInYear,
        ErrorCode::Ineligible,
    ];

    pub fn from_code(code: &str) -> Option<ErrorCode> {
        Self::ALL
            .iter()
            .copied()
            .find(|known| known.as_str() == code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Required => "required",
            ErrorCode::UnknownCode => "unknown_code",
            ErrorCode::InvalidDate => "invalid_date",
            ErrorCode::InvalidNumber => "invalid_number",
            ErrorCode::InvalidType => "invalid_type",
            ErrorCode::InvalidLength => "invalid_length",
            ErrorCode::FullWidthDigits => "full_width_digits",
            ErrorCode::NegativeAmount => "negative_amount",
            ErrorCode::AmountTooLarge => "amount_too_large",
            ErrorCode::CheckDigit => "check_digit",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::DuplicateField => "duplicate_field",
            ErrorCode::InvalidPeriod => "invalid_period",
            ErrorCode::LeadCount => "lead_count",
            ErrorCode::UnknownFiscalYear => "unknown_fiscal_year",
            ErrorCode::FrameNotInYear => "frame_not_in_year",
            ErrorCode::Ineligible => "ineligible",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub code: ErrorCode,
    /// In Japanese, saying what to enter instead.
    pub message: String,
}

/// Every input error of one request, keyed by field path (`activities[1].budget_lines[0].amount_yen`).
/// The empty path `""` is the request as a whole (e.g. invalid JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors {
    pub errors: BTreeMap<String, Vec<FieldError>>,
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, path: impl Into<String>, code: ErrorCode, message: impl Into<String>) {
        self.errors
            .entry(path.into())
            .or_default()
            .push(FieldError {
                code,
                message: message.into(),
            });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn len(&self) -> usize {
        self.errors.values().map(Vec::len).sum()
    }

    /// The codes reported for one path, for tests and logs.
    pub fn codes_at(&self, path: &str) -> Vec<ErrorCode> {
        self.errors
            .get(path)
            .map(|errors| errors.iter().map(|error| error.code).collect())
            .unwrap_or_default()
    }

    /// `Ok(value)` when nothing was reported, the errors otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (path, errors) in &self.errors {
            for error in errors {
                writeln!(f, "{path}: {} ({})", error.message, error.code)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_errors_by_field_path() {
        let mut errors = FieldErrors::new();
        errors.add(
            "applicants[0].corporate_number",
            ErrorCode::CheckDigit,
            "法人番号のチェックディジットが一致しません",
        );
        errors.add("frame", ErrorCode::Required, "枠を選んでください");
        assert_eq!(errors.len(), 2);
        assert_eq!(errors.codes_at("frame"), vec![ErrorCode::Required]);
    }
}
