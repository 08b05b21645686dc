//! Field-level input errors, reported all at once:
//! `{"errors": {"applicants[0].corporate_number": [{"code": "check_digit", "message": "…"}]}}`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::codes::code_enum;

code_enum! {
    /// Stable codes of input errors. Clients switch on these; the messages are for people.
    /// `unknown_field` is a key the contract does not have (a misspelt field), `duplicate_field`
    /// a key given twice in one object, `ineligible` an action that needs the engine's yes.
    ErrorCode, "error" {
        Required => "required", "未入力";
        UnknownCode => "unknown_code", "定義されていないコード";
        InvalidDate => "invalid_date", "日付の誤り";
        InvalidNumber => "invalid_number", "数値の誤り";
        InvalidType => "invalid_type", "値の種類の誤り";
        InvalidLength => "invalid_length", "桁数の誤り";
        FullWidthDigits => "full_width_digits", "全角数字";
        NegativeAmount => "negative_amount", "負の金額";
        AmountTooLarge => "amount_too_large", "大きすぎる値";
        AboveCeiling => "above_ceiling", "上限を超える金額";
        CheckDigit => "check_digit", "チェックディジットの不一致";
        InvalidJson => "invalid_json", "JSONとして読めない入力";
        UnknownField => "unknown_field", "定義されていない項目";
        DuplicateField => "duplicate_field", "重複した項目";
        InvalidPeriod => "invalid_period", "期間の前後の誤り";
        LeadCount => "lead_count", "代表申請者の数の誤り";
        UnknownFiscalYear => "unknown_fiscal_year", "事業定義のない年度";
        FrameNotInYear => "frame_not_in_year", "その年度にない枠";
        Ineligible => "ineligible", "要件を満たさない申請";
        InvalidCharacter => "invalid_character", "使えない文字";
        TooLong => "too_long", "長すぎる入力";
        TooMany => "too_many", "多すぎる項目";
        UnknownRecord => "unknown_record", "存在しない参照先";
        DuplicateMember => "duplicate_member", "重複した申請者";
        NotAPartner => "not_a_partner", "連携先にない市町村";
        BeforeProjectPeriod => "before_project_period", "補助事業期間の開始前";
        DateInPast => "date_in_past", "過去の日付";
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
