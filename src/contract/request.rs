//! The request of the evaluation contract (DESIGN.md, "The evaluation contract") as derived
//! types: serde reads the document into [`Given`] leaves, `validator` checks every field and
//! the rules across fields, and only a valid request becomes a `domain` [`Application`].
//!
//! Each check is a function of one field (`fn(&Given<…>) -> Result<(), ValidationError>`);
//! the same reading turns the field into its domain value, so that what is valid and what is
//! built cannot disagree. Messages name the field by its Japanese label (see
//! [`super::errors::label`]), which the error's message template leaves open as `{label}`.

use std::borrow::Cow;

use chrono::NaiveDate;
use serde::Deserialize;
use validator::{Validate, ValidationError};

use super::given::{Expected, Given, Kind, Text, has_full_width_digits};
use crate::domain::calendar::FiscalYear;
use crate::domain::codes::{
    ActivityCategory, ApplicantKind, ApplicantRole, Code, ExpenseCategory, Frame, FundingSource,
    Industry, LegalPath, PartnerKind,
};
use crate::domain::corporate_number::{CorporateNumber, CorporateNumberError};
use crate::domain::evaluation::{
    Activity, Applicant, Application, BudgetLine, BudgetSummary, HistoryEntry, LegalBasis,
    MAX_AMOUNT_YEN, Partner, ProjectPeriod,
};
use crate::domain::money::Yen;
use crate::domain::names::org_key;
use crate::domain::validation::ErrorCode;

/// The fiscal years a request may name: the programme began in 令和4年度 (2022).
pub const FISCAL_YEARS: std::ops::RangeInclusive<i32> = 2022..=2100;

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "one_lead", skip_on_field_errors = false))]
#[schema(as = EvaluationRequest)]
pub struct Request<'a> {
    #[serde(default)]
    #[validate(custom(function = "fiscal_year"))]
    #[schema(value_type = Option<i64>)]
    pub fiscal_year: Given<i64>,
    #[serde(default, borrow)]
    #[validate(custom(function = "code::<Frame>"))]
    #[schema(value_type = Option<String>)]
    pub frame: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "date"))]
    #[schema(value_type = Option<String>)]
    pub application_date: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "required_list"), nested)]
    #[schema(value_type = Option<Vec<ApplicantFields>>)]
    pub applicants: Given<Vec<ApplicantFields<'a>>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "optional_list"), nested)]
    #[schema(value_type = Option<Vec<PartnerFields>>)]
    pub partners: Given<Vec<PartnerFields<'a>>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "optional_object"), nested)]
    #[schema(value_type = Option<LegalBasisFields>)]
    pub legal_basis: Given<LegalBasisFields<'a>>,
    #[serde(default)]
    #[validate(custom(function = "required_object"), nested)]
    #[schema(value_type = Option<PeriodFields>)]
    pub project_period: Given<PeriodFields<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "required_list"), nested)]
    #[schema(value_type = Option<Vec<ActivityFields>>)]
    pub activities: Given<Vec<ActivityFields<'a>>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "optional_list"), nested)]
    #[schema(value_type = Option<Vec<HistoryFields>>)]
    pub history: Given<Vec<HistoryFields<'a>>>,
    /// Every frame of the year side by side instead of the requested one.
    #[serde(default)]
    #[validate(custom(function = "optional_flag"))]
    #[schema(value_type = Option<bool>)]
    pub all_frames: Given<bool>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantFields<'a> {
    #[serde(default, borrow)]
    #[validate(custom(function = "text"))]
    #[schema(value_type = Option<String>)]
    pub name: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "corporate_number"))]
    #[schema(value_type = Option<String>)]
    pub corporate_number: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "code::<ApplicantKind>"))]
    #[schema(value_type = Option<String>)]
    pub kind: Given<Text<'a>>,
    #[serde(default)]
    #[validate(custom(function = "count"))]
    #[schema(value_type = Option<i64>)]
    pub employees: Given<i64>,
    #[serde(default)]
    #[validate(custom(function = "optional_amount"))]
    #[schema(value_type = Option<i64>)]
    pub capital_yen: Given<i64>,
    #[serde(default, borrow)]
    #[validate(custom(function = "code::<Industry>"))]
    #[schema(value_type = Option<String>)]
    pub industry: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "code::<ApplicantRole>"))]
    #[schema(value_type = Option<String>)]
    pub role: Given<Text<'a>>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerFields<'a> {
    #[serde(default, borrow)]
    #[validate(custom(function = "code::<PartnerKind>"))]
    #[schema(value_type = Option<String>)]
    pub kind: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "text"))]
    #[schema(value_type = Option<String>)]
    pub name: Given<Text<'a>>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "valid_after_granted"))]
pub struct LegalBasisFields<'a> {
    #[serde(default, borrow)]
    #[validate(custom(function = "code::<LegalPath>"))]
    #[schema(value_type = Option<String>)]
    pub path: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "text"))]
    #[schema(value_type = Option<String>)]
    pub holder: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "text"))]
    #[schema(value_type = Option<String>)]
    pub granted_by: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "date"))]
    #[schema(value_type = Option<String>)]
    pub granted_on: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "optional_date"))]
    #[schema(value_type = Option<String>)]
    pub valid_until: Given<Text<'a>>,
    #[serde(default)]
    #[validate(custom(function = "flag"))]
    #[schema(value_type = Option<bool>)]
    pub includes_talent_measures: Given<bool>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "end_after_start"))]
pub struct PeriodFields<'a> {
    #[serde(default, borrow)]
    #[validate(custom(function = "date"))]
    #[schema(value_type = Option<String>)]
    pub start: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "date"))]
    #[schema(value_type = Option<String>)]
    pub end: Given<Text<'a>>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityFields<'a> {
    #[serde(default, borrow)]
    #[validate(custom(function = "text"))]
    #[schema(value_type = Option<String>)]
    pub name: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "code::<ActivityCategory>"))]
    #[schema(value_type = Option<String>)]
    pub category: Given<Text<'a>>,
    #[serde(default)]
    #[validate(custom(function = "optional_flag"))]
    #[schema(value_type = Option<bool>)]
    pub executive_internship: Given<bool>,
    #[serde(default, borrow)]
    #[validate(custom(function = "optional_list"), nested)]
    #[schema(value_type = Option<Vec<BudgetLineFields>>)]
    pub budget_lines: Given<Vec<BudgetLineFields<'a>>>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetLineFields<'a> {
    #[serde(default, borrow)]
    #[validate(custom(function = "code::<ExpenseCategory>"))]
    #[schema(value_type = Option<String>)]
    pub category: Given<Text<'a>>,
    #[serde(default, borrow)]
    #[validate(custom(function = "optional_text"))]
    #[schema(value_type = Option<String>)]
    pub description: Given<Text<'a>>,
    #[serde(default)]
    #[validate(custom(function = "amount"))]
    #[schema(value_type = Option<i64>)]
    pub amount_yen: Given<i64>,
    #[serde(default, borrow)]
    #[validate(custom(function = "code::<FundingSource>"))]
    #[schema(value_type = Option<String>)]
    pub funding_source: Given<Text<'a>>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryFields<'a> {
    #[serde(default, borrow)]
    #[validate(custom(function = "text"))]
    #[schema(value_type = Option<String>)]
    pub name: Given<Text<'a>>,
    #[serde(default)]
    #[validate(custom(function = "fiscal_year"))]
    #[schema(value_type = Option<i64>)]
    pub fiscal_year: Given<i64>,
    #[serde(default, borrow)]
    #[validate(custom(function = "code::<Frame>"))]
    #[schema(value_type = Option<String>)]
    pub frame: Given<Text<'a>>,
}

macro_rules! objects {
    ($($name:ident),+) => {
        $(impl Expected for $name<'_> {
            const KIND: Kind = Kind::Object;
        })+
    };
}

objects!(
    Request,
    ApplicantFields,
    PartnerFields,
    LegalBasisFields,
    PeriodFields,
    ActivityFields,
    BudgetLineFields,
    HistoryFields
);

// ---------------------------------------------------------------------------------------------
// Reading one field: its domain value, or the error that `validator` reports
// ---------------------------------------------------------------------------------------------

type Read<T> = Result<T, ValidationError>;

/// An error whose message is a template: `{label}` is replaced by the field's label.
fn error(code: ErrorCode, template: impl Into<Cow<'static, str>>) -> ValidationError {
    ValidationError::new(code.as_str()).with_message(template.into())
}

fn required() -> ValidationError {
    error(ErrorCode::Required, "{label}を入力してください")
}

fn wrong_kind(expected: Kind) -> ValidationError {
    match expected {
        Kind::Text => error(ErrorCode::InvalidType, "{label}は文字列で指定してください"),
        Kind::Integer | Kind::Fraction => error(
            ErrorCode::InvalidNumber,
            "{label}は整数で入力してください（引用符で囲まない半角数字、例: 1000）",
        ),
        Kind::Bool => error(
            ErrorCode::InvalidType,
            "{label}は true または false で指定してください",
        ),
        Kind::List => error(
            ErrorCode::InvalidType,
            "{label}は配列（[…]）で指定してください",
        ),
        Kind::Object => error(
            ErrorCode::InvalidType,
            "{label}はオブジェクト（{…}）で指定してください",
        ),
    }
}

fn given<T: Expected>(field: &Given<T>) -> Read<Option<&T>> {
    match field {
        Given::Missing | Given::Null => Ok(None),
        Given::Value(value) => Ok(Some(value)),
        Given::Wrong {
            full_width_digits: true,
            ..
        } if matches!(T::KIND, Kind::Integer) => Err(error(
            ErrorCode::FullWidthDigits,
            "{label}は半角数字で入力してください",
        )),
        Given::Wrong { .. } => Err(wrong_kind(T::KIND)),
    }
}

fn present<T: Expected>(field: &Given<T>) -> Read<&T> {
    given(field)?.ok_or_else(required)
}

/// Text is read trimmed; it stays borrowed from the request when it was.
fn trimmed<'a>(text: &Text<'a>) -> Cow<'a, str> {
    match &text.0 {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) => Cow::Owned(text.trim().to_owned()),
    }
}

fn read_optional_text<'a>(field: &Given<Text<'a>>) -> Read<Option<Cow<'a, str>>> {
    Ok(given(field)?.map(trimmed))
}

fn read_text<'a>(field: &Given<Text<'a>>) -> Read<Cow<'a, str>> {
    let text = trimmed(present(field)?);
    if text.is_empty() {
        return Err(required());
    }
    Ok(text)
}

fn read_code<T: Code>(field: &Given<Text<'_>>) -> Read<T> {
    let text = read_text(field)?;
    T::from_code(&text).ok_or_else(|| {
        error(
            ErrorCode::UnknownCode,
            format!("{{label}}のコード「{text}」は定義されていません"),
        )
    })
}

/// `YYYY-MM-DD` exactly, with a real date from year 1: `2026-2-3`, `+002026-07-01` and
/// `0000-01-01` are not dates a person means.
pub fn date_from_text(text: &str) -> Read<NaiveDate> {
    if has_full_width_digits(text) {
        return Err(error(
            ErrorCode::FullWidthDigits,
            "{label}は半角数字で入力してください（例: 2026-05-20）",
        ));
    }
    let invalid = || {
        error(
            ErrorCode::InvalidDate,
            "{label}は実在する日付をYYYY-MM-DD形式で入力してください（例: 2026-05-20）",
        )
    };
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&at| bytes[at].is_ascii_digit());
    if !shaped {
        return Err(invalid());
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    let year = i32::try_from(number(0..4)).unwrap_or(0);
    if year == 0 {
        return Err(invalid());
    }
    NaiveDate::from_ymd_opt(year, number(5..7), number(8..10)).ok_or_else(invalid)
}

fn read_date(field: &Given<Text<'_>>) -> Read<NaiveDate> {
    date_from_text(present(field)?.0.trim())
}

fn read_optional_date(field: &Given<Text<'_>>) -> Read<Option<NaiveDate>> {
    match given(field)? {
        None => Ok(None),
        Some(text) => date_from_text(text.0.trim()).map(Some),
    }
}

/// An amount in yen: 0 ≤ amount ≤ [`MAX_AMOUNT_YEN`].
pub fn amount_in_range(amount: i64) -> Read<Yen> {
    if amount < 0 {
        Err(error(
            ErrorCode::NegativeAmount,
            "{label}に負の金額は入力できません",
        ))
    } else if amount > MAX_AMOUNT_YEN {
        Err(error(
            ErrorCode::AmountTooLarge,
            format!(
                "{{label}}が大きすぎます（上限 {}）",
                Yen::new(MAX_AMOUNT_YEN)
            ),
        ))
    } else {
        Ok(Yen::new(amount))
    }
}

/// An amount as people type it into a form: half- or full-width digits, with or without
/// commas, 円 and spaces (`１，２００，０００円`). Its range is checked by the rule that takes
/// it: the contract's when the draft is evaluated, a report's own for a report.
pub fn typed_amount(text: &str) -> Read<i64> {
    let typed: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | '円' | ' ' | '　'))
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (u32::from(c) - u32::from('０')) as u8),
            '－' | '−' => '-',
            other => other,
        })
        .collect();
    if typed.is_empty() {
        return Err(required());
    }
    let digits = typed.strip_prefix('-').unwrap_or(&typed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(
            ErrorCode::InvalidNumber,
            "{label}は円単位の数字で入力してください（例: 1200000）",
        ));
    }
    typed
        .parse()
        .map_err(|_| error(ErrorCode::AmountTooLarge, "{label}が大きすぎます"))
}

fn read_amount(field: &Given<i64>) -> Read<Yen> {
    amount_in_range(*present(field)?)
}

fn read_optional_amount(field: &Given<i64>) -> Read<Option<Yen>> {
    given(field)?
        .map(|amount| amount_in_range(*amount))
        .transpose()
}

fn read_count(field: &Given<i64>) -> Read<u32> {
    let count = *present(field)?;
    u32::try_from(count).map_err(|_| {
        if count < 0 {
            error(
                ErrorCode::InvalidNumber,
                "{label}は0以上の整数で入力してください",
            )
        } else {
            error(ErrorCode::AmountTooLarge, "{label}が大きすぎます")
        }
    })
}

fn read_fiscal_year(field: &Given<i64>) -> Read<FiscalYear> {
    let year = *present(field)?;
    i32::try_from(year)
        .ok()
        .filter(|year| FISCAL_YEARS.contains(year))
        .map(FiscalYear)
        .ok_or_else(|| {
            error(
                ErrorCode::InvalidNumber,
                "{label}は西暦の4月の年で入力してください（令和8年度は 2026。2022〜2100）",
            )
        })
}

fn read_flag(field: &Given<bool>) -> Read<bool> {
    present(field).copied()
}

fn read_optional_flag(field: &Given<bool>) -> Read<bool> {
    Ok(given(field)?.copied().unwrap_or(false))
}

fn read_corporate_number(field: &Given<Text<'_>>) -> Read<Option<CorporateNumber>> {
    let Some(text) = given(field)? else {
        return Ok(None);
    };
    text.0.parse().map(Some).map_err(|problem| {
        let code = match problem {
            CorporateNumberError::FullWidthDigits => ErrorCode::FullWidthDigits,
            CorporateNumberError::NotDigits => ErrorCode::InvalidNumber,
            CorporateNumberError::WrongLength { .. } => ErrorCode::InvalidLength,
            CorporateNumberError::CheckDigit { .. } => ErrorCode::CheckDigit,
        };
        error(code, problem.to_string())
    })
}

fn read_list<T>(field: &Given<Vec<T>>) -> Read<&[T]> {
    match given(field)? {
        Some(items) if !items.is_empty() => Ok(items),
        _ => Err(required()),
    }
}

fn read_optional_list<T>(field: &Given<Vec<T>>) -> Read<&[T]> {
    Ok(given(field)?.map_or(&[], Vec::as_slice))
}

// The checks `validator` calls: each is the reading of its field, with the value dropped.

fn text(field: &Given<Text<'_>>) -> Read<()> {
    read_text(field).map(drop)
}

fn optional_text(field: &Given<Text<'_>>) -> Read<()> {
    read_optional_text(field).map(drop)
}

fn code<T: Code>(field: &Given<Text<'_>>) -> Read<()> {
    read_code::<T>(field).map(drop)
}

fn date(field: &Given<Text<'_>>) -> Read<()> {
    read_date(field).map(drop)
}

fn optional_date(field: &Given<Text<'_>>) -> Read<()> {
    read_optional_date(field).map(drop)
}

fn amount(field: &Given<i64>) -> Read<()> {
    read_amount(field).map(drop)
}

fn optional_amount(field: &Given<i64>) -> Read<()> {
    read_optional_amount(field).map(drop)
}

fn count(field: &Given<i64>) -> Read<()> {
    read_count(field).map(drop)
}

fn fiscal_year(field: &Given<i64>) -> Read<()> {
    read_fiscal_year(field).map(drop)
}

fn flag(field: &Given<bool>) -> Read<()> {
    read_flag(field).map(drop)
}

fn optional_flag(field: &Given<bool>) -> Read<()> {
    read_optional_flag(field).map(drop)
}

fn corporate_number(field: &Given<Text<'_>>) -> Read<()> {
    read_corporate_number(field).map(drop)
}

fn required_list<T>(field: &Given<Vec<T>>) -> Read<()> {
    read_list(field).map(drop)
}

fn optional_list<T>(field: &Given<Vec<T>>) -> Read<()> {
    read_optional_list(field).map(drop)
}

fn required_object<T: Expected>(field: &Given<T>) -> Read<()> {
    present(field).map(drop)
}

fn optional_object<T: Expected>(field: &Given<T>) -> Read<()> {
    given(field).map(drop)
}

// Rules across fields. `validator` files them under the object; `field` says where they go.

fn at_field(field: &'static str, mut error: ValidationError) -> ValidationError {
    error.add_param(Cow::Borrowed("field"), &field);
    error
}

fn one_lead(request: &Request<'_>) -> Read<()> {
    let Some(applicants) = request.applicants.value().filter(|list| !list.is_empty()) else {
        return Ok(());
    };
    let lead = ApplicantRole::Lead.as_str();
    let leads = applicants
        .iter()
        .filter(|applicant| applicant.role.value().is_some_and(|role| role.0 == lead))
        .count();
    if leads == 1 {
        return Ok(());
    }
    Err(at_field(
        "applicants",
        error(
            ErrorCode::LeadCount,
            format!(
                "代表申請者（role: lead）はちょうど1者にしてください（{leads}者が指定されています）"
            ),
        ),
    ))
}

fn end_after_start(period: &PeriodFields<'_>) -> Read<()> {
    if let (Ok(start), Ok(end)) = (read_date(&period.start), read_date(&period.end))
        && end < start
    {
        return Err(at_field(
            "end",
            error(
                ErrorCode::InvalidPeriod,
                "補助事業の終了日が開始日より前になっています",
            ),
        ));
    }
    Ok(())
}

fn valid_after_granted(basis: &LegalBasisFields<'_>) -> Read<()> {
    if let (Ok(granted_on), Ok(Some(valid_until))) = (
        read_date(&basis.granted_on),
        read_optional_date(&basis.valid_until),
    ) && valid_until < granted_on
    {
        return Err(at_field(
            "valid_until",
            error(
                ErrorCode::InvalidPeriod,
                "有効期限が承認等の日より前になっています",
            ),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The validated request as the domain's application
// ---------------------------------------------------------------------------------------------

impl<'a> Request<'a> {
    /// The application; `Err` only for a request that did not pass [`Validate::validate`].
    pub fn to_application(&self) -> Read<Application<'a>> {
        let activities = read_list(&self.activities)?
            .iter()
            .map(ActivityFields::to_activity)
            .collect::<Read<Vec<_>>>()?;
        Ok(Application {
            fiscal_year: read_fiscal_year(&self.fiscal_year)?,
            frame: read_code(&self.frame)?,
            application_date: read_date(&self.application_date)?,
            applicants: read_list(&self.applicants)?
                .iter()
                .map(ApplicantFields::to_applicant)
                .collect::<Read<_>>()?,
            partners: read_optional_list(&self.partners)?
                .iter()
                .map(PartnerFields::to_partner)
                .collect::<Read<_>>()?,
            legal_basis: given(&self.legal_basis)?
                .map(LegalBasisFields::to_legal_basis)
                .transpose()?,
            project_period: present(&self.project_period)?.to_period()?,
            history: read_optional_list(&self.history)?
                .iter()
                .enumerate()
                .map(|(index, entry)| entry.to_history(index))
                .collect::<Read<_>>()?,
            budget: BudgetSummary::of(&activities),
            activities,
        })
    }

    pub fn wants_all_frames(&self) -> bool {
        read_optional_flag(&self.all_frames).unwrap_or(false)
    }
}

impl<'a> ApplicantFields<'a> {
    fn to_applicant(&self) -> Read<Applicant<'a>> {
        let name = read_text(&self.name)?;
        Ok(Applicant {
            name_key: org_key(&name),
            name,
            corporate_number: read_corporate_number(&self.corporate_number)?,
            kind: read_code(&self.kind)?,
            employees: read_count(&self.employees)?,
            capital_yen: read_optional_amount(&self.capital_yen)?,
            industry: read_code(&self.industry)?,
            role: read_code(&self.role)?,
        })
    }
}

impl<'a> PartnerFields<'a> {
    fn to_partner(&self) -> Read<Partner<'a>> {
        Ok(Partner {
            kind: read_code(&self.kind)?,
            name: read_text(&self.name)?,
        })
    }
}

impl<'a> LegalBasisFields<'a> {
    fn to_legal_basis(&self) -> Read<LegalBasis<'a>> {
        let holder = read_text(&self.holder)?;
        Ok(LegalBasis {
            path: read_code(&self.path)?,
            holder_key: org_key(&holder),
            holder,
            granted_by: read_text(&self.granted_by)?,
            granted_on: read_date(&self.granted_on)?,
            valid_until: read_optional_date(&self.valid_until)?,
            includes_talent_measures: read_flag(&self.includes_talent_measures)?,
        })
    }
}

impl PeriodFields<'_> {
    fn to_period(&self) -> Read<ProjectPeriod> {
        Ok(ProjectPeriod {
            start: read_date(&self.start)?,
            end: read_date(&self.end)?,
        })
    }
}

impl<'a> ActivityFields<'a> {
    fn to_activity(&self) -> Read<Activity<'a>> {
        Ok(Activity {
            name: read_text(&self.name)?,
            category: read_code(&self.category)?,
            executive_internship: read_optional_flag(&self.executive_internship)?,
            budget_lines: read_optional_list(&self.budget_lines)?
                .iter()
                .map(BudgetLineFields::to_line)
                .collect::<Read<_>>()?,
        })
    }
}

impl<'a> BudgetLineFields<'a> {
    fn to_line(&self) -> Read<BudgetLine<'a>> {
        Ok(BudgetLine {
            category: read_code(&self.category)?,
            description: read_optional_text(&self.description)?.unwrap_or_default(),
            amount: read_amount(&self.amount_yen)?,
            funding_source: read_code(&self.funding_source)?,
        })
    }
}

impl<'a> HistoryFields<'a> {
    fn to_history(&self, index: usize) -> Read<HistoryEntry<'a>> {
        let name = read_text(&self.name)?;
        Ok(HistoryEntry {
            award_id: format!("history[{index}]"),
            name_key: org_key(&name),
            name,
            fiscal_year: read_fiscal_year(&self.fiscal_year)?,
            frame: read_code(&self.frame)?,
        })
    }
}
