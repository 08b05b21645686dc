//! The evaluation contract (DESIGN.md, "The evaluation contract"): a JSON request is parsed
//! into an [`Application`] (which exists only when every field is valid), and
//! [`evaluate`] turns it, the award ledger and the year's [`Program`] into a [`Decision`].
//!
//! `evaluate` is on the hot path (millions of calls a second): it borrows everything it
//! reports from its inputs, and finding messages are formatted only when serialised.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};

use super::calendar::FiscalYear;
use super::codes::{
    ActivityCategory, ApplicantKind, ApplicantRole, ExpenseCategory, Frame, FundingSource,
    Industry, LegalPath, PartnerKind,
};
use super::corporate_number::{CorporateNumber, CorporateNumberError};
use super::ledger::{Ledger, OrganisationId, RecordedAward};
pub use super::message::Message;
use super::money::{Rate, Yen, calculate_subsidy};
use super::names::org_key;
use super::program::{Certainty, CompanySize, FrameRules, Program, ProgramSet, RateStep};
use super::reuse::emptied;
use super::validation::{ErrorCode, FieldErrors};

/// The largest single amount accepted (1兆円): far above any grant, and small enough that no
/// realistic number of lines can overflow a sum.
pub const MAX_AMOUNT_YEN: i64 = 1_000_000_000_000;

// Seed citations used by rules that are not programme data.
const SOURCE_COUNT_RULE: &str = "004_4db6bae2530d025b.txt:134";
const SOURCE_LEGAL_REQUIREMENT: &str = "004_4db6bae2530d025b.txt:183";

// ---------------------------------------------------------------------------------------------
// The parsed application
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application<'a> {
    pub fiscal_year: FiscalYear,
    pub frame: Frame,
    pub application_date: NaiveDate,
    /// Exactly one has the role `lead`.
    pub applicants: Vec<Applicant<'a>>,
    pub partners: Vec<Partner<'a>>,
    pub legal_basis: Option<LegalBasis<'a>>,
    pub project_period: ProjectPeriod,
    pub activities: Vec<Activity<'a>>,
    pub history: Vec<HistoryEntry<'a>>,
    /// Totals of the budget lines, computed once at parse time.
    pub budget: BudgetSummary<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant<'a> {
    pub name: Cow<'a, str>,
    /// `org_key(name)`, computed at parse time.
    pub name_key: String,
    pub corporate_number: Option<CorporateNumber>,
    pub kind: ApplicantKind,
    pub employees: u32,
    pub capital_yen: Option<Yen>,
    pub industry: Industry,
    pub role: ApplicantRole,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner<'a> {
    pub kind: PartnerKind,
    pub name: Cow<'a, str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalBasis<'a> {
    pub path: LegalPath,
    pub holder: Cow<'a, str>,
    /// `org_key(holder)`.
    pub holder_key: String,
    pub granted_by: Cow<'a, str>,
    pub granted_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub includes_talent_measures: bool,
}

/// `start ≤ end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectPeriod {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity<'a> {
    pub name: Cow<'a, str>,
    pub category: ActivityCategory,
    pub executive_internship: bool,
    pub budget_lines: Vec<BudgetLine<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLine<'a> {
    pub category: ExpenseCategory,
    pub description: Cow<'a, str>,
    /// Tax excluded; 0 ≤ amount ≤ [`MAX_AMOUNT_YEN`].
    pub amount: Yen,
    pub funding_source: FundingSource,
}

/// A past award the request declares beyond the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry<'a> {
    /// `history[0]` …: the entry's place in the request, as its id.
    pub award_id: String,
    pub name: Cow<'a, str>,
    pub name_key: String,
    pub fiscal_year: FiscalYear,
    pub frame: Frame,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BudgetSummary<'a> {
    pub total_yen: Yen,
    /// Σ of the `this_subsidy` lines: the 補助対象経費.
    pub eligible_yen: Yen,
    pub by_activity: Vec<ActivityBudget<'a>>,
    /// Only categories that have lines, in code order.
    pub by_expense_category: Vec<CategoryBudget>,
    /// Only sources that have lines, in code order.
    pub by_funding_source: Vec<FundingBudget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityBudget<'a> {
    pub name: Cow<'a, str>,
    pub category: ActivityCategory,
    pub total_yen: Yen,
    pub eligible_yen: Yen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryBudget {
    pub category: ExpenseCategory,
    pub total_yen: Yen,
    pub eligible_yen: Yen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundingBudget {
    pub funding_source: FundingSource,
    pub total_yen: Yen,
}

impl<'a> BudgetSummary<'a> {
    pub(super) fn of(activities: &[Activity<'a>]) -> Self {
        Self::of_reusing(activities, BudgetSummary::default())
    }

    /// [`BudgetSummary::of`], filling the lists of `spare` (emptied first) instead of new ones.
    pub(super) fn of_reusing(activities: &[Activity<'a>], spare: BudgetSummary<'a>) -> Self {
        let mut category_totals = [(Yen::ZERO, Yen::ZERO, false); ExpenseCategory::ALL.len()];
        let mut source_totals = [(Yen::ZERO, false); FundingSource::ALL.len()];
        let mut summary = BudgetSummary {
            total_yen: Yen::ZERO,
            eligible_yen: Yen::ZERO,
            ..spare
        };
        summary.by_activity.clear();
        summary.by_activity.reserve(activities.len());
        for activity in activities {
            let mut activity_total = Yen::ZERO;
            let mut activity_eligible = Yen::ZERO;
            for line in &activity.budget_lines {
                // Amounts are bounded at parse time, so these sums cannot saturate.
                let eligible = if line.funding_source == FundingSource::ThisSubsidy {
                    line.amount
                } else {
                    Yen::ZERO
                };
                activity_total = activity_total.saturating_add(line.amount);
                activity_eligible = activity_eligible.saturating_add(eligible);
                let category = &mut category_totals[line.category.index()];
                *category = (
                    category.0.saturating_add(line.amount),
                    category.1.saturating_add(eligible),
                    true,
                );
                let source = &mut source_totals[line.funding_source.index()];
                *source = (source.0.saturating_add(line.amount), true);
            }
            summary.total_yen = summary.total_yen.saturating_add(activity_total);
            summary.eligible_yen = summary.eligible_yen.saturating_add(activity_eligible);
            summary.by_activity.push(ActivityBudget {
                name: activity.name.clone(),
                category: activity.category,
                total_yen: activity_total,
                eligible_yen: activity_eligible,
            });
        }
        // Sized first: collecting from a filter would grow the lists step by step.
        summary.by_expense_category.clear();
        summary
            .by_expense_category
            .reserve(category_totals.iter().filter(|(_, _, used)| *used).count());
        summary.by_expense_category.extend(
            ExpenseCategory::ALL
                .iter()
                .zip(category_totals)
                .filter(|(_, (_, _, used))| *used)
                .map(|(category, (total_yen, eligible_yen, _))| CategoryBudget {
                    category: *category,
                    total_yen,
                    eligible_yen,
                }),
        );
        summary.by_funding_source.clear();
        summary
            .by_funding_source
            .reserve(source_totals.iter().filter(|(_, used)| *used).count());
        summary.by_funding_source.extend(
            FundingSource::ALL
                .iter()
                .zip(source_totals)
                .filter(|(_, (_, used))| *used)
                .map(|(funding_source, (total_yen, _))| FundingBudget {
                    funding_source: *funding_source,
                    total_yen,
                }),
        );
        summary
    }

    pub fn category(&self, category: ExpenseCategory) -> Option<&CategoryBudget> {
        self.by_expense_category
            .iter()
            .find(|budget| budget.category == category)
    }
}

impl<'a> Application<'a> {
    pub fn lead(&self) -> Option<&Applicant<'a>> {
        self.applicants
            .iter()
            .find(|applicant| applicant.role == ApplicantRole::Lead)
    }
}

impl ProgramSet {
    /// The programme an application is evaluated under, or field errors when its fiscal year
    /// has no programme or its frame is not one of that year's.
    pub fn program_for(&self, application: &Application) -> Result<&Program, FieldErrors> {
        let mut errors = FieldErrors::new();
        let Some(program) = self.get(application.fiscal_year) else {
            errors.add(
                "fiscal_year",
                ErrorCode::UnknownFiscalYear,
                format!(
                    "{}（{}）の事業定義がありません",
                    application.fiscal_year, application.fiscal_year.0
                ),
            );
            return Err(errors);
        };
        if program.frame(application.frame).is_none() {
            let frames: Vec<&str> = program
                .frames
                .iter()
                .map(|frame| frame.code.as_str())
                .collect();
            errors.add(
                "frame",
                ErrorCode::FrameNotInYear,
                format!(
                    "{}に{}（{}）はありません。選べる枠: {}",
                    program.fiscal_year,
                    application.frame.label_ja(),
                    application.frame,
                    frames.join(", ")
                ),
            );
            return Err(errors);
        }
        Ok(program)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// Parses a contract request, reporting every invalid field at once.
pub fn parse_request(text: &str) -> Result<Application<'_>, FieldErrors> {
    if let Some((application, _)) = super::fast_request::parse(text) {
        return Ok(application);
    }
    parse_request_slow(text)
}

/// [`parse_request`] on the `Value` path only: the reference the fast path is checked against.
pub(super) fn parse_request_slow(text: &str) -> Result<Application<'static>, FieldErrors> {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => parse_request_value(&value),
        Err(error) => Err(FieldErrors::invalid_json(&error)),
    }
}

/// As [`parse_request`], from an already decoded JSON value.
pub fn parse_request_value(value: &Value) -> Result<Application<'static>, FieldErrors> {
    let mut parser = Parser::default();
    let Some(root) = parser.as_object(Some(value), "", "申請内容") else {
        return Err(parser.errors);
    };
    let fiscal_year = parser.fiscal_year(root.get("fiscal_year"), "fiscal_year");
    let frame = parser.code::<Frame>(root, "frame", "", "枠");
    let application_date = parser.date(root, "application_date", "", "申請日");
    let applicants = parser.list(root, "applicants", "", "申請者", true, Parser::applicant);
    // Counted on the raw entries, so that it is reported even when an applicant has other errors.
    if let Some(Value::Array(raw_applicants)) = present(root, "applicants")
        && !raw_applicants.is_empty()
    {
        let lead_code = Value::from(ApplicantRole::Lead.as_str());
        let leads = raw_applicants
            .iter()
            .filter(|applicant| applicant.get("role") == Some(&lead_code))
            .count();
        if leads != 1 {
            parser.errors.add(
                "applicants",
                ErrorCode::LeadCount,
                format!(
                    "代表申請者（role: lead）はちょうど1者にしてください（{leads}者が指定されています）"
                ),
            );
        }
    }
    let partners = parser.list(root, "partners", "", "連携先", false, Parser::partner);
    let legal_basis = match present(root, "legal_basis") {
        None => None,
        some => parser
            .as_object(some, "legal_basis", "法制度の承認等")
            .and_then(|object| parser.legal_basis(object)),
    };
    let project_period = parser
        .as_object(root.get("project_period"), "project_period", "補助事業期間")
        .and_then(|object| parser.project_period(object));
    let activities = parser.list(
        root,
        "activities",
        "",
        "事業（活動）",
        true,
        Parser::activity,
    );
    let history = parser.list(root, "history", "", "過去の採択", false, Parser::history);

    let budget = BudgetSummary::of(&activities);
    if budget.total_yen.value() >= i64::MAX / 2 {
        parser.errors.add(
            "activities",
            ErrorCode::AmountTooLarge,
            "予算の合計が大きすぎます",
        );
    }

    match (fiscal_year, frame, application_date, project_period) {
        (Some(fiscal_year), Some(frame), Some(application_date), Some(project_period))
            if parser.errors.is_empty() =>
        {
            Ok(Application {
                fiscal_year,
                frame,
                application_date,
                applicants,
                partners,
                legal_basis,
                project_period,
                activities,
                history,
                budget,
            })
        }
        _ => Err(parser.errors),
    }
}

/// The value of `key` unless it is missing or `null`.
fn present<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    object.get(key).filter(|value| !value.is_null())
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn has_full_width_digits(text: &str) -> bool {
    // ０..９ are U+FF10..U+FF19, encoded EF BC 90..99: ASCII-only text cannot hold one.
    !text.is_ascii() && text.chars().any(|c| ('０'..='９').contains(&c))
}

/// Why a scalar field's text was refused; the parsers turn it into their own error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InputError {
    FullWidthDigits,
    Invalid,
    TooLarge,
}

/// An integer written as text: half-width digits, commas allowed, surrounding space ignored.
pub(super) fn integer_from_text(text: &str) -> Result<i64, InputError> {
    let text = text.trim();
    if has_full_width_digits(text) {
        return Err(InputError::FullWidthDigits);
    }
    // Commas are dropped before anything else is looked at; without any, the text stands.
    let without_commas: String;
    let digits = if text.contains(',') {
        without_commas = text.chars().filter(|c| *c != ',').collect();
        without_commas.as_str()
    } else {
        text
    };
    let unsigned = digits.strip_prefix('-').unwrap_or(digits);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InputError::Invalid);
    }
    digits.parse::<i64>().map_err(|_| InputError::TooLarge)
}

/// A date written `YYYY-MM-DD` (as chrono's `%Y-%m-%d` reads it); `Invalid` when it is not one.
pub(super) fn date_from_text(text: &str) -> Result<NaiveDate, InputError> {
    if has_full_width_digits(text) {
        return Err(InputError::FullWidthDigits);
    }
    // The common exact form without chrono's format interpreter; anything else goes to it.
    if let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = text.as_bytes()
        && [y0, y1, y2, y3, m0, m1, d0, d1]
            .iter()
            .all(u8::is_ascii_digit)
    {
        let number = |digits: &[u8]| {
            digits
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
        };
        let year = number(&[y0, y1, y2, y3]) as i32;
        return NaiveDate::from_ymd_opt(year, number(&[m0, m1]), number(&[d0, d1]))
            .ok_or(InputError::Invalid);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| InputError::Invalid)
}

#[derive(Default)]
struct Parser {
    errors: FieldErrors,
}

impl Parser {
    fn required(&mut self, path: String, label: &str) {
        self.errors.add(
            path,
            ErrorCode::Required,
            format!("{label}を入力してください"),
        );
    }

    fn as_object<'v>(
        &mut self,
        value: Option<&'v Value>,
        path: &str,
        label: &str,
    ) -> Option<&'v Map<String, Value>> {
        match value {
            None | Some(Value::Null) => {
                self.required(path.to_owned(), label);
                None
            }
            Some(Value::Object(object)) => Some(object),
            Some(_) => {
                self.errors.add(
                    path,
                    ErrorCode::InvalidType,
                    format!("{label}はオブジェクト（{{…}}）で指定してください"),
                );
                None
            }
        }
    }

    fn text(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        prefix: &str,
        label: &str,
    ) -> Option<String> {
        match present(object, key) {
            None => {
                self.required(join(prefix, key), label);
                None
            }
            Some(Value::String(text)) if text.trim().is_empty() => {
                self.required(join(prefix, key), label);
                None
            }
            Some(Value::String(text)) => Some(text.trim().to_owned()),
            Some(_) => {
                self.errors.add(
                    join(prefix, key),
                    ErrorCode::InvalidType,
                    format!("{label}は文字列で指定してください"),
                );
                None
            }
        }
    }

    fn code<T: FromStr>(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        prefix: &str,
        label: &str,
    ) -> Option<T> {
        let text = self.text(object, key, prefix, label)?;
        match text.parse() {
            Ok(code) => Some(code),
            Err(_) => {
                self.errors.add(
                    join(prefix, key),
                    ErrorCode::UnknownCode,
                    format!("{label}のコード「{text}」は定義されていません"),
                );
                None
            }
        }
    }

    fn parse_date(&mut self, text: &str, path: String, label: &str) -> Option<NaiveDate> {
        match date_from_text(text) {
            Ok(date) => Some(date),
            Err(InputError::FullWidthDigits) => {
                self.errors.add(
                    path,
                    ErrorCode::FullWidthDigits,
                    format!("{label}は半角数字で入力してください（例: 2026-05-20）"),
                );
                None
            }
            Err(_) => {
                self.errors.add(
                    path,
                    ErrorCode::InvalidDate,
                    format!(
                        "{label}は実在する日付をYYYY-MM-DD形式で入力してください（例: 2026-05-20）"
                    ),
                );
                None
            }
        }
    }

    fn date(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        prefix: &str,
        label: &str,
    ) -> Option<NaiveDate> {
        let text = self.text(object, key, prefix, label)?;
        self.parse_date(&text, join(prefix, key), label)
    }

    fn optional_date(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        prefix: &str,
        label: &str,
    ) -> Option<Option<NaiveDate>> {
        match present(object, key) {
            None => Some(None),
            Some(_) => self.date(object, key, prefix, label).map(Some),
        }
    }

    fn boolean(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        prefix: &str,
        label: &str,
        default: Option<bool>,
    ) -> Option<bool> {
        match (present(object, key), default) {
            (Some(Value::Bool(value)), _) => Some(*value),
            (None, Some(default)) => Some(default),
            (None, None) => {
                self.required(join(prefix, key), label);
                None
            }
            (Some(_), _) => {
                self.errors.add(
                    join(prefix, key),
                    ErrorCode::InvalidType,
                    format!("{label}は true または false で指定してください"),
                );
                None
            }
        }
    }

    /// An integer given as a JSON number or as a string of half-width digits (commas allowed).
    fn integer(&mut self, value: &Value, path: &str, label: &str) -> Option<i64> {
        let invalid = |parser: &mut Parser| {
            parser.errors.add(
                path,
                ErrorCode::InvalidNumber,
                format!("{label}は整数（半角数字）で入力してください"),
            );
            None
        };
        let too_large = |parser: &mut Parser| {
            parser.errors.add(
                path,
                ErrorCode::AmountTooLarge,
                format!("{label}が大きすぎます"),
            );
            None
        };
        match value {
            Value::Number(number) => match (number.as_i64(), number.as_u64()) {
                (Some(integer), _) => Some(integer),
                (None, Some(_)) => too_large(self),
                (None, None) => invalid(self),
            },
            Value::String(text) => match integer_from_text(text) {
                Ok(integer) => Some(integer),
                Err(InputError::FullWidthDigits) => {
                    self.errors.add(
                        path,
                        ErrorCode::FullWidthDigits,
                        format!("{label}は半角数字で入力してください"),
                    );
                    None
                }
                Err(InputError::TooLarge) => too_large(self),
                Err(InputError::Invalid) => invalid(self),
            },
            _ => invalid(self),
        }
    }

    fn amount(&mut self, value: Option<&Value>, path: String, label: &str) -> Option<Yen> {
        let Some(value) = value else {
            self.required(path, label);
            return None;
        };
        let amount = self.integer(value, &path, label)?;
        if amount < 0 {
            self.errors.add(
                path,
                ErrorCode::NegativeAmount,
                format!("{label}に負の金額は入力できません"),
            );
            None
        } else if amount > MAX_AMOUNT_YEN {
            self.errors.add(
                path,
                ErrorCode::AmountTooLarge,
                format!("{label}が大きすぎます（上限 {}）", Yen::new(MAX_AMOUNT_YEN)),
            );
            None
        } else {
            Some(Yen::new(amount))
        }
    }

    fn count(&mut self, value: Option<&Value>, path: String, label: &str) -> Option<u32> {
        let Some(value) = value else {
            self.required(path, label);
            return None;
        };
        let count = self.integer(value, &path, label)?;
        match u32::try_from(count) {
            Ok(count) => Some(count),
            Err(_) if count < 0 => {
                self.errors.add(
                    path,
                    ErrorCode::InvalidNumber,
                    format!("{label}は0以上の整数で入力してください"),
                );
                None
            }
            Err(_) => {
                self.errors.add(
                    path,
                    ErrorCode::AmountTooLarge,
                    format!("{label}が大きすぎます"),
                );
                None
            }
        }
    }

    fn fiscal_year(&mut self, value: Option<&Value>, path: &str) -> Option<FiscalYear> {
        let Some(value) = value.filter(|value| !value.is_null()) else {
            self.required(path.to_owned(), "年度");
            return None;
        };
        let year = self.integer(value, path, "年度")?;
        match i32::try_from(year) {
            Ok(year) if (2000..=2100).contains(&year) => Some(FiscalYear(year)),
            _ => {
                self.errors.add(
                    path,
                    ErrorCode::InvalidNumber,
                    "年度は西暦の4月の年で入力してください（令和8年度は 2026）",
                );
                None
            }
        }
    }

    /// Parses every element of an array, collecting the valid ones. Missing and `required`:
    /// an error; missing and optional: empty.
    fn list<T>(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        prefix: &str,
        label: &str,
        required: bool,
        parse: fn(&mut Parser, &Map<String, Value>, &str, usize) -> Option<T>,
    ) -> Vec<T> {
        let path = join(prefix, key);
        match present(object, key) {
            None if required => {
                self.required(path, label);
                Vec::new()
            }
            None => Vec::new(),
            Some(Value::Array(items)) if items.is_empty() && required => {
                self.required(path, label);
                Vec::new()
            }
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(index, item)| {
                    let item_path = format!("{path}[{index}]");
                    let object = self.as_object(Some(item), &item_path, label)?;
                    parse(self, object, &item_path, index)
                })
                .collect(),
            Some(_) => {
                self.errors.add(
                    path,
                    ErrorCode::InvalidType,
                    format!("{label}は配列（[…]）で指定してください"),
                );
                Vec::new()
            }
        }
    }

    fn applicant(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        _: usize,
    ) -> Option<Applicant<'static>> {
        let name = self.text(object, "name", path, "申請者の名称");
        let corporate_number = match present(object, "corporate_number") {
            None => Some(None),
            Some(Value::String(text)) => match text.parse::<CorporateNumber>() {
                Ok(number) => Some(Some(number)),
                Err(error) => {
                    let code = match error {
                        CorporateNumberError::FullWidthDigits => ErrorCode::FullWidthDigits,
                        CorporateNumberError::NotDigits => ErrorCode::InvalidNumber,
                        CorporateNumberError::WrongLength { .. } => ErrorCode::InvalidLength,
                        CorporateNumberError::CheckDigit { .. } => ErrorCode::CheckDigit,
                    };
                    self.errors
                        .add(join(path, "corporate_number"), code, error.to_string());
                    None
                }
            },
            Some(_) => {
                self.errors.add(
                    join(path, "corporate_number"),
                    ErrorCode::InvalidType,
                    "法人番号は13桁の半角数字の文字列で指定してください（不明なら null）",
                );
                None
            }
        };
        let kind = self.code(object, "kind", path, "申請者の種別");
        let employees = self.count(
            present(object, "employees"),
            join(path, "employees"),
            "常時使用する従業員数",
        );
        let capital_yen = match present(object, "capital_yen") {
            None => Some(None),
            value => self
                .amount(value, join(path, "capital_yen"), "資本金")
                .map(Some),
        };
        let industry = self.code(object, "industry", path, "業種");
        let role = self.code(object, "role", path, "申請者の役割");
        let name = name?;
        Some(Applicant {
            name_key: org_key(&name),
            name: name.into(),
            corporate_number: corporate_number?,
            kind: kind?,
            employees: employees?,
            capital_yen: capital_yen?,
            industry: industry?,
            role: role?,
        })
    }

    fn partner(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        _: usize,
    ) -> Option<Partner<'static>> {
        let kind = self.code(object, "kind", path, "連携先の種別");
        let name = self.text(object, "name", path, "連携先の名称");
        Some(Partner {
            kind: kind?,
            name: name?.into(),
        })
    }

    fn legal_basis(&mut self, object: &Map<String, Value>) -> Option<LegalBasis<'static>> {
        let prefix = "legal_basis";
        let path = self.code(object, "path", prefix, "法制度の区分");
        let holder = self.text(object, "holder", prefix, "承認等を受けた者");
        let granted_by = self.text(object, "granted_by", prefix, "承認等をした者");
        let granted_on = self.date(object, "granted_on", prefix, "承認等の日");
        let valid_until = self.optional_date(object, "valid_until", prefix, "有効期限");
        let includes_talent_measures = self.boolean(
            object,
            "includes_talent_measures",
            prefix,
            "計画への人材確保等の取組の記載",
            None,
        );
        if let (Some(granted_on), Some(Some(valid_until))) = (granted_on, valid_until)
            && valid_until < granted_on
        {
            self.errors.add(
                "legal_basis.valid_until",
                ErrorCode::InvalidPeriod,
                "有効期限が承認等の日より前になっています",
            );
            return None;
        }
        let holder = holder?;
        Some(LegalBasis {
            path: path?,
            holder_key: org_key(&holder),
            holder: holder.into(),
            granted_by: granted_by?.into(),
            granted_on: granted_on?,
            valid_until: valid_until?,
            includes_talent_measures: includes_talent_measures?,
        })
    }

    fn project_period(&mut self, object: &Map<String, Value>) -> Option<ProjectPeriod> {
        let start = self.date(object, "start", "project_period", "補助事業の開始日");
        let end = self.date(object, "end", "project_period", "補助事業の終了日");
        let (start, end) = (start?, end?);
        if end < start {
            self.errors.add(
                "project_period.end",
                ErrorCode::InvalidPeriod,
                "補助事業の終了日が開始日より前になっています",
            );
            return None;
        }
        Some(ProjectPeriod { start, end })
    }

    fn activity(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        _: usize,
    ) -> Option<Activity<'static>> {
        let name = self.text(object, "name", path, "事業（活動）の名称");
        let category = self.code(object, "category", path, "事業（活動）の区分");
        let executive_internship = self.boolean(
            object,
            "executive_internship",
            path,
            "幹部インターンシップの該当",
            Some(false),
        );
        let budget_lines = self.list(
            object,
            "budget_lines",
            path,
            "経費の明細",
            false,
            Parser::budget_line,
        );
        Some(Activity {
            name: name?.into(),
            category: category?,
            executive_internship: executive_internship?,
            budget_lines,
        })
    }

    fn budget_line(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        _: usize,
    ) -> Option<BudgetLine<'static>> {
        let category = self.code(object, "category", path, "経費区分");
        let description = match present(object, "description") {
            None => Some(String::new()),
            Some(Value::String(text)) => Some(text.trim().to_owned()),
            Some(_) => {
                self.errors.add(
                    join(path, "description"),
                    ErrorCode::InvalidType,
                    "経費の内容は文字列で指定してください",
                );
                None
            }
        };
        let amount = self.amount(
            present(object, "amount_yen"),
            join(path, "amount_yen"),
            "金額（税抜）",
        );
        let funding_source = self.code(object, "funding_source", path, "財源");
        Some(BudgetLine {
            category: category?,
            description: description?.into(),
            amount: amount?,
            funding_source: funding_source?,
        })
    }

    fn history(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        index: usize,
    ) -> Option<HistoryEntry<'static>> {
        let name = self.text(object, "name", path, "採択された事業者の名称");
        let fiscal_year =
            self.fiscal_year(present(object, "fiscal_year"), &join(path, "fiscal_year"));
        let frame = self.code(object, "frame", path, "採択された枠");
        let name = name?;
        Some(HistoryEntry {
            award_id: format!("history[{index}]"),
            name_key: org_key(&name),
            name: name.into(),
            fiscal_year: fiscal_year?,
            frame: frame?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The decision
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriorAward<'a> {
    pub award_id: &'a str,
    pub fiscal_year: i32,
    pub frame: &'a str,
    pub listed_as: &'a str,
    /// The applicant of this request the award was counted for.
    pub applicant: &'a str,
    /// The ledger's record of the award, which keeps the fields before `applicant` as the
    /// JSON writer writes them ([`RecordedAward::written_fields`]); `None` for an award the
    /// request declares.
    #[serde(skip)]
    pub recorded: Option<&'a RecordedAward>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding<'a> {
    pub code: &'static str,
    pub severity: Severity,
    pub message: Message<'a>,
    pub source: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision<'a> {
    pub fiscal_year: i32,
    pub frame: Frame,
    pub eligible: bool,
    pub award_ordinal: u32,
    pub prior_awards: Vec<PriorAward<'a>>,
    pub rate: Option<Rate>,
    pub cap_yen: Yen,
    pub eligible_expenses_yen: Yen,
    pub subsidy_yen: Yen,
    /// What the arithmetic gives whether or not the application is eligible.
    pub calculated_subsidy_yen: Yen,
    pub rounding_unit_yen: Yen,
    pub findings: Vec<Finding<'a>>,
    pub budget_summary: &'a BudgetSummary<'a>,
    pub rules_version: &'a str,
}

impl Decision<'_> {
    pub fn has_finding(&self, code: &str) -> bool {
        self.findings.iter().any(|finding| finding.code == code)
    }
}

/// Every frame of the year side by side, and the eligible frame with the larger subsidy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllFrames<'a> {
    pub fiscal_year: i32,
    pub decisions: Vec<Decision<'a>>,
    /// `None` when no frame is eligible; on a tie, the earlier frame in the programme.
    pub best_frame: Option<Frame>,
}

pub fn evaluate<'a>(
    application: &'a Application,
    ledger: &'a Ledger,
    program: &'a Program,
) -> Decision<'a> {
    evaluate_frame(application, ledger, program, application.frame)
}

/// The lists of answered decisions, emptied and kept for the next one: a decision's findings
/// and prior awards are a few items each, and allocating and freeing them cost about a fifth
/// of the engine's instructions.
#[derive(Default)]
pub struct DecisionLists {
    findings: Vec<Finding<'static>>,
    prior_awards: Vec<PriorAward<'static>>,
}

impl DecisionLists {
    /// Keeps the lists of a decision that has been used.
    pub fn keep(&mut self, decision: Decision<'_>) {
        self.findings = emptied(decision.findings);
        self.prior_awards = emptied(decision.prior_awards);
    }
}

/// [`evaluate`] with its lists taken from `lists`, for bulk runs; give them back with
/// [`DecisionLists::keep`].
pub fn evaluate_reusing<'a>(
    application: &'a Application,
    ledger: &'a Ledger,
    program: &'a Program,
    lists: &mut DecisionLists,
) -> Decision<'a> {
    evaluate_frame_into(
        application,
        ledger,
        program,
        application.frame,
        emptied(std::mem::take(&mut lists.findings)),
        emptied(std::mem::take(&mut lists.prior_awards)),
    )
}

pub fn evaluate_all_frames<'a>(
    application: &'a Application,
    ledger: &'a Ledger,
    program: &'a Program,
) -> AllFrames<'a> {
    let decisions: Vec<Decision<'a>> = program
        .frames
        .iter()
        .map(|frame| evaluate_frame(application, ledger, program, frame.code))
        .collect();
    let mut best: Option<&Decision<'a>> = None;
    for decision in decisions.iter().filter(|decision| decision.eligible) {
        if best.is_none_or(|best| decision.subsidy_yen > best.subsidy_yen) {
            best = Some(decision);
        }
    }
    AllFrames {
        fiscal_year: program.fiscal_year.0,
        best_frame: best.map(|decision| decision.frame),
        decisions,
    }
}

/// Evaluates the application as if it applied for `frame`.
pub fn evaluate_frame<'a>(
    application: &'a Application,
    ledger: &'a Ledger,
    program: &'a Program,
    frame: Frame,
) -> Decision<'a> {
    evaluate_frame_into(application, ledger, program, frame, Vec::new(), Vec::new())
}

/// [`evaluate_frame`] into the (empty) lists given.
fn evaluate_frame_into<'a>(
    application: &'a Application,
    ledger: &'a Ledger,
    program: &'a Program,
    frame: Frame,
    mut findings: Vec<Finding<'a>>,
    prior_awards: Vec<PriorAward<'a>>,
) -> Decision<'a> {
    let frame_rules = program.frame(frame);

    if application.fiscal_year != program.fiscal_year {
        findings.push(Finding {
            code: "fiscal_year_mismatch",
            severity: Severity::Error,
            message: Message::FiscalYearMismatch {
                requested: application.fiscal_year,
                program: program.fiscal_year,
            },
            source: &program.name_ja.source,
        });
    }
    if frame_rules.is_none() {
        findings.push(Finding {
            code: "frame_not_in_year",
            severity: Severity::Error,
            message: Message::FrameNotInYear {
                frame,
                fiscal_year: program.fiscal_year,
            },
            source: &program.name_ja.source,
        });
    }
    if let Some(window) = &program.application_window
        && !(window.opens..=window.closes).contains(&application.application_date)
    {
        findings.push(Finding {
            code: "outside_application_window",
            severity: Severity::Warning,
            message: Message::OutsideWindow {
                date: application.application_date,
                opens: window.opens,
                closes: window.closes,
            },
            source: &window.source,
        });
    }

    check_applicants(application, program, &mut findings);
    if let Some(frame_rules) = frame_rules {
        check_partners_and_activities(application, program, frame_rules, &mut findings);
        check_legal_basis(application, program, frame_rules, &mut findings);
    }
    check_expenses(application, program, &mut findings);

    let count = count_prior_awards(application, ledger, program, prior_awards, &mut findings);
    let award_ordinal = count.prior.saturating_add(1);
    findings.push(Finding {
        code: "award_ordinal",
        severity: Severity::Info,
        message: Message::AwardOrdinal {
            ordinal: award_ordinal,
            counted_for: count.counted_for,
        },
        source: &program.countable_awards.source,
    });
    let over_cap = program
        .award_cap
        .as_ref()
        .filter(|cap| award_ordinal > cap.value);
    if let Some(cap) = over_cap {
        findings.push(Finding {
            code: "award_cap_exceeded",
            severity: Severity::Error,
            message: Message::AwardCapExceeded {
                ordinal: award_ordinal,
                cap: cap.value,
            },
            source: &cap.source,
        });
    }

    let eligible_expenses = application.budget.eligible_yen;
    let cap = frame_rules.map_or(Yen::ZERO, |rules| rules.cap_yen.value);
    let unit = program.rounding_unit_yen.value;
    let rate_step = frame_rules.and_then(|rules| rules.rate_for(award_ordinal));
    let mut calculated = Yen::ZERO;
    match (frame_rules, rate_step) {
        (Some(rules), Some(step)) => {
            match calculate_subsidy(eligible_expenses, step.rate, unit, cap) {
                Ok(calculation) => {
                    calculated = calculation.subsidy;
                    findings.push(Finding {
                        code: "subsidy_calculation",
                        severity: Severity::Info,
                        message: Message::Calculation {
                            frame: rules.code,
                            ordinal: award_ordinal,
                            rate: step.rate,
                            eligible: eligible_expenses,
                            unit,
                            cap,
                            calculation,
                        },
                        source: &step.source,
                    });
                }
                Err(_) => findings.push(Finding {
                    code: "calculation_failed",
                    severity: Severity::Error,
                    message: Message::Static("補助額を計算できませんでした。事業定義の端数処理単位と上限額を確認してください。"),
                    source: &program.rounding_unit_yen.source,
                }),
            }
            push_rate_certainty(step, &mut findings);
        }
        (Some(rules), None) if over_cap.is_none() => findings.push(Finding {
            code: "no_rate_for_ordinal",
            severity: Severity::Error,
            message: Message::NoRateForOrdinal {
                frame: rules.code,
                ordinal: award_ordinal,
            },
            source: rules
                .rates
                .last()
                .map_or(program.name_ja.source.as_str(), |step| step.source.as_str()),
        }),
        _ => {}
    }

    let eligible = !findings
        .iter()
        .any(|finding| finding.severity == Severity::Error);
    Decision {
        fiscal_year: program.fiscal_year.0,
        frame,
        eligible,
        award_ordinal,
        prior_awards: count.awards,
        rate: rate_step.map(|step| step.rate),
        cap_yen: cap,
        eligible_expenses_yen: eligible_expenses,
        subsidy_yen: if eligible { calculated } else { Yen::ZERO },
        calculated_subsidy_yen: calculated,
        rounding_unit_yen: unit,
        findings,
        budget_summary: &application.budget,
        rules_version: &program.rules_version,
    }
}

fn push_rate_certainty<'a>(step: &'a RateStep, findings: &mut Vec<Finding<'a>>) {
    if step.certainty != Certainty::Certain {
        findings.push(Finding {
            code: "rate_interpretation",
            severity: Severity::Info,
            message: Message::RateInterpretation {
                ordinal: step.ordinal,
                rate: step.rate,
                certainty: step.certainty,
            },
            source: &step.source,
        });
    }
}

fn check_applicants<'a>(
    application: &'a Application,
    program: &'a Program,
    findings: &mut Vec<Finding<'a>>,
) {
    let limits = &program.size_limits;
    for applicant in &application.applicants {
        let name = applicant.name.as_ref();
        if applicant.kind == ApplicantKind::Municipality {
            findings.push(Finding {
                code: "municipality_cannot_apply",
                severity: Severity::Error,
                message: Message::MunicipalityApplicant { name },
                source: &program.eligible_applicant_kinds.source,
            });
            continue;
        }
        if !program.is_eligible_kind(applicant.kind) {
            findings.push(Finding {
                code: "applicant_kind_not_eligible",
                severity: Severity::Error,
                message: Message::KindNotEligible {
                    name,
                    kind: applicant.kind,
                },
                source: &program.eligible_applicant_kinds.source,
            });
            continue;
        }
        if !applicant.kind.is_company() {
            continue;
        }
        let size = limits.classify(
            applicant.industry,
            applicant.capital_yen,
            applicant.employees,
        );
        let sme_limit = limits.sme_limit(applicant.industry);
        match (applicant.kind, size) {
            (_, CompanySize::Large) => findings.push(Finding {
                code: "company_too_large",
                severity: Severity::Error,
                message: Message::CompanyTooLarge {
                    name,
                    employees: applicant.employees,
                    max_employees: limits.midsize_max_employees.value,
                },
                source: &limits.midsize_max_employees.source,
            }),
            (ApplicantKind::SmeCompany, CompanySize::Midsize) => findings.push(Finding {
                code: "sme_claim_not_met",
                severity: Severity::Warning,
                message: Message::SmeClaimNotMet {
                    name,
                    industry: applicant.industry,
                    max_capital: sme_limit.map(|limit| limit.max_capital_yen),
                    max_employees: sme_limit.map(|limit| limit.max_employees),
                    midsize_max_employees: limits.midsize_max_employees.value,
                },
                source: &limits.sme_source,
            }),
            (ApplicantKind::MidsizeCompany, CompanySize::Sme) => findings.push(Finding {
                code: "midsize_claim_is_sme",
                severity: Severity::Info,
                message: Message::MidsizeClaimIsSme { name },
                source: &limits.sme_source,
            }),
            _ => {}
        }
    }
}

fn check_partners_and_activities<'a>(
    application: &'a Application,
    program: &'a Program,
    frame: &'a FrameRules,
    findings: &mut Vec<Finding<'a>>,
) {
    let programme_wide = program
        .required_partner_kinds
        .value
        .iter()
        .map(|kind| (*kind, program.required_partner_kinds.source.as_str()));
    let frame_specific = frame.required_partner_kinds.iter().flat_map(|required| {
        required
            .value
            .iter()
            .map(|kind| (*kind, required.source.as_str()))
    });
    for (kind, source) in programme_wide.chain(frame_specific) {
        if !application
            .partners
            .iter()
            .any(|partner| partner.kind == kind)
        {
            findings.push(Finding {
                code: match kind {
                    PartnerKind::Municipality => "municipality_partner_missing",
                    PartnerKind::EducationInstitution => "education_partner_missing",
                    _ => "required_partner_missing",
                },
                severity: Severity::Error,
                message: Message::PartnerMissing {
                    kind,
                    frame: frame.code,
                },
                source,
            });
        }
    }
    if let Some(required) = &frame.requires_executive_internship
        && required.value
        && !application
            .activities
            .iter()
            .any(|activity| activity.executive_internship)
    {
        findings.push(Finding {
            code: "executive_internship_missing",
            severity: Severity::Error,
            message: Message::Static(
                "右腕人材枠では、地域企業群への幹部インターンシップ制度を導入する事業（executive_internship: true）が必要です。該当する事業を追加してください。",
            ),
            source: &required.source,
        });
    }
}

fn check_legal_basis<'a>(
    application: &'a Application,
    program: &'a Program,
    frame: &'a FrameRules,
    findings: &mut Vec<Finding<'a>>,
) {
    let Some(requirement) = &frame.legal_basis else {
        return;
    };
    let Some(basis) = &application.legal_basis else {
        findings.push(Finding {
            code: "legal_basis_missing",
            severity: Severity::Error,
            message: Message::Static(
                "法制度連携枠は、地域未来投資促進法の連携支援計画の承認、小規模事業者支援法の経営発達支援計画の認定、又は二地域居住促進法の特定居住支援法人の指定を受けた事業者に限られます。承認等の内容（legal_basis）を入力してください。",
            ),
            source: &requirement.source,
        });
        return;
    };
    let path_rules = program.legal_path(basis.path);
    let Some(path_rules) = path_rules.filter(|_| requirement.paths.contains(&basis.path)) else {
        findings.push(Finding {
            code: "legal_path_not_allowed",
            severity: Severity::Error,
            message: Message::LegalPathNotAllowed {
                path: basis.path,
                frame: frame.code,
            },
            source: &requirement.source,
        });
        return;
    };

    let date = application.application_date;
    if basis.granted_on > date {
        findings.push(Finding {
            code: "legal_basis_not_yet_granted",
            severity: Severity::Error,
            message: Message::LegalBasisNotYetGranted {
                granted_on: basis.granted_on,
                application_date: date,
            },
            source: SOURCE_LEGAL_REQUIREMENT,
        });
    }
    match basis.valid_until {
        Some(valid_until) if valid_until < date => findings.push(Finding {
            code: "legal_basis_expired",
            severity: Severity::Error,
            message: Message::LegalBasisExpired {
                valid_until,
                application_date: date,
            },
            source: SOURCE_LEGAL_REQUIREMENT,
        }),
        Some(valid_until) if valid_until < application.project_period.end => {
            findings.push(Finding {
                code: "legal_basis_expires_during_project",
                severity: Severity::Warning,
                message: Message::LegalBasisExpiresDuringProject {
                    valid_until,
                    project_end: application.project_period.end,
                },
                source: SOURCE_LEGAL_REQUIREMENT,
            })
        }
        _ => {}
    }

    match application
        .applicants
        .iter()
        .find(|applicant| applicant.name_key == basis.holder_key)
    {
        None => findings.push(Finding {
            code: "legal_basis_holder_not_applicant",
            severity: Severity::Error,
            message: Message::HolderNotApplicant {
                holder: &basis.holder,
            },
            source: SOURCE_LEGAL_REQUIREMENT,
        }),
        Some(holder)
            if !path_rules.holder_kinds.is_empty()
                && !path_rules.holder_kinds.contains(&holder.kind) =>
        {
            findings.push(Finding {
                code: "legal_basis_holder_kind",
                severity: Severity::Error,
                message: Message::HolderKindNotAllowed {
                    holder: &holder.name,
                    kind: holder.kind,
                    path: basis.path,
                    allowed: &path_rules.holder_kinds,
                },
                source: &path_rules.holder_kinds_source,
            });
        }
        Some(_) => {}
    }

    if !path_rules.grantor_markers.is_empty()
        && !path_rules
            .grantor_markers
            .iter()
            .any(|marker| basis.granted_by.contains(marker.as_str()))
    {
        findings.push(Finding {
            code: "legal_basis_grantor",
            severity: Severity::Error,
            message: Message::GrantorNotAccepted {
                granted_by: &basis.granted_by,
                path: basis.path,
                markers: &path_rules.grantor_markers,
            },
            source: &path_rules.grantor_source,
        });
    }
    if path_rules.requires_talent_measures && !basis.includes_talent_measures {
        findings.push(Finding {
            code: "talent_measures_missing",
            severity: Severity::Error,
            message: Message::TalentMeasuresMissing { path: basis.path },
            source: &path_rules.talent_measures_source,
        });
    }
}

fn check_expenses<'a>(
    application: &'a Application,
    program: &'a Program,
    findings: &mut Vec<Finding<'a>>,
) {
    let budget = &application.budget;
    for category_budget in &budget.by_expense_category {
        match program.expense_category(category_budget.category) {
            None => findings.push(Finding {
                code: "expense_category_not_allowed",
                severity: Severity::Error,
                message: Message::ExpenseCategoryNotAllowed {
                    category: category_budget.category,
                },
                source: &program.name_ja.source,
            }),
            Some(rules) => {
                if let Some(share) = rules.warn_above_share_of_eligible
                    && share.is_exceeded_by(category_budget.eligible_yen, budget.eligible_yen)
                {
                    findings.push(Finding {
                        code: if rules.category == ExpenseCategory::Outsourcing {
                            "outsourcing_share_high"
                        } else {
                            "expense_share_high"
                        },
                        severity: Severity::Warning,
                        message: Message::ExpenseShareHigh {
                            category: rules.category,
                            amount: category_budget.eligible_yen,
                            eligible: budget.eligible_yen,
                            share,
                        },
                        source: &rules.source,
                    });
                }
            }
        }
    }
}

struct PriorCount<'a> {
    prior: u32,
    awards: Vec<PriorAward<'a>>,
    /// The applicant whose count decided the ordinal, when any award was found.
    counted_for: Option<&'a str>,
}

/// Counts each applicant's countable past awards (ledger plus the request's history) and
/// takes the largest: the award ordinal is one more than that. The awards found are pushed
/// onto `awards` (empty).
fn count_prior_awards<'a>(
    application: &'a Application,
    ledger: &'a Ledger,
    program: &'a Program,
    awards: Vec<PriorAward<'a>>,
    findings: &mut Vec<Finding<'a>>,
) -> PriorCount<'a> {
    let countable = &program.countable_awards;
    let counts = |recorded: &RecordedAward| {
        countable.counts_frame(recorded.award.fiscal_year, recorded.frame())
    };
    let mut result = PriorCount {
        prior: 0,
        awards,
        counted_for: None,
    };
    for applicant in &application.applicants {
        let candidates = ledger.find(
            applicant
                .corporate_number
                .as_ref()
                .map(CorporateNumber::as_str),
            &applicant.name_key,
        );
        if candidates.len() > 1 {
            findings.push(Finding {
                code: "ambiguous_organisation",
                severity: Severity::Warning,
                message: Message::AmbiguousOrganisation {
                    name: &applicant.name,
                    candidates: candidates.len(),
                },
                source: SOURCE_COUNT_RULE,
            });
        }
        // Several organisations share the name: take the largest count (the conservative one).
        let chosen: Option<OrganisationId> = match candidates {
            [only] => Some(*only),
            _ => candidates.iter().copied().max_by_key(|id| {
                ledger
                    .awards_of(*id)
                    .iter()
                    .filter(|recorded| counts(recorded))
                    .count()
            }),
        };
        let ledger_awards = chosen.map_or(&[][..], |id| ledger.awards_of(id));
        let mut count: u32 = 0;
        for recorded in ledger_awards.iter().filter(|recorded| counts(recorded)) {
            let award = &recorded.award;
            count = count.saturating_add(1);
            result.awards.push(PriorAward {
                award_id: &award.award_id,
                fiscal_year: award.fiscal_year,
                frame: &award.frame,
                listed_as: &award.listed_as,
                applicant: &applicant.name,
                recorded: Some(recorded),
            });
        }
        for entry in application
            .history
            .iter()
            .filter(|entry| entry.name_key == applicant.name_key)
        {
            let frame = entry.frame.as_str();
            let already_in_ledger = ledger_awards.iter().any(|recorded| {
                recorded.award.fiscal_year == entry.fiscal_year.0 && recorded.award.frame == frame
            });
            if already_in_ledger || !countable.counts(entry.fiscal_year.0, frame) {
                continue;
            }
            count = count.saturating_add(1);
            result.awards.push(PriorAward {
                award_id: &entry.award_id,
                fiscal_year: entry.fiscal_year.0,
                frame,
                listed_as: &entry.name,
                applicant: &applicant.name,
                recorded: None,
            });
        }
        if count > result.prior {
            result.prior = count;
            result.counted_for = Some(&applicant.name);
        }
    }
    for entry in &application.history {
        if !application
            .applicants
            .iter()
            .any(|applicant| applicant.name_key == entry.name_key)
        {
            findings.push(Finding {
                code: "history_entry_unmatched",
                severity: Severity::Warning,
                message: Message::HistoryUnmatched { name: &entry.name },
                source: SOURCE_COUNT_RULE,
            });
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::PastAward;
    use crate::domain::program::ProgramSet;

    fn programs() -> ProgramSet {
        ProgramSet::embedded().expect("embedded programmes")
    }

    fn request(frame: &str, eligible: i64) -> Value {
        serde_json::json!({
            "fiscal_year": 2026,
            "frame": frame,
            "application_date": "2026-05-20",
            "applicants": [{
                "name": "株式会社みらい人事ラボ", "corporate_number": "7000012050002",
                "kind": "sme_company", "employees": 20, "capital_yen": "10,000,000",
                "industry": "services", "role": "lead"
            }],
            "partners": [
                {"kind": "municipality", "name": "みらい市"},
                {"kind": "education_institution", "name": "みらい大学"}
            ],
            "legal_basis": {
                "path": "regional_future_investment", "holder": "株式会社 みらい人事ラボ",
                "granted_by": "経済産業大臣", "granted_on": "2025-12-15", "valid_until": null,
                "includes_talent_measures": true
            },
            "project_period": {"start": "2026-07-01", "end": "2027-02-28"},
            "activities": [{
                "name": "幹部インターンシップ", "category": "development", "executive_internship": true,
                "budget_lines": [
                    {"category": "personnel", "description": "人件費", "amount_yen": eligible, "funding_source": "this_subsidy"},
                    {"category": "meetings", "description": "会場", "amount_yen": 300000, "funding_source": "municipal"}
                ]
            }]
        })
    }

    fn parse(value: &Value) -> Application<'static> {
        parse_request_value(value).expect("valid request")
    }

    #[test]
    fn parses_a_request_and_precomputes_keys_and_budget() {
        let application = parse(&request("right_hand", 15_000_000));
        let lead = application.lead().expect("a lead");
        assert_eq!(lead.name_key, org_key("株式会社みらい人事ラボ"));
        assert_eq!(lead.capital_yen, Some(Yen::new(10_000_000)));
        assert_eq!(
            lead.corporate_number.map(|number| number.to_string()),
            Some("7000012050002".into())
        );
        assert_eq!(application.budget.eligible_yen, Yen::new(15_000_000));
        assert_eq!(application.budget.total_yen, Yen::new(15_300_000));
        assert_eq!(application.budget.by_funding_source.len(), 2);
    }

    #[test]
    fn invalid_json_is_a_field_error_on_the_whole_request() {
        let errors = parse_request("{\"fiscal_year\": ").expect_err("invalid");
        assert_eq!(errors.codes_at(""), vec![ErrorCode::InvalidJson]);
        let errors = parse_request("[1, 2]").expect_err("not an object");
        assert_eq!(errors.codes_at(""), vec![ErrorCode::InvalidType]);
        let errors = parse_request("{}").expect_err("empty");
        for path in [
            "fiscal_year",
            "frame",
            "application_date",
            "applicants",
            "project_period",
            "activities",
        ] {
            assert_eq!(errors.codes_at(path), vec![ErrorCode::Required], "{path}");
        }
    }

    #[test]
    fn program_for_reports_unknown_years_and_foreign_frames() {
        let programs = programs();
        let mut value = request("general", 1_000);
        let errors = programs
            .program_for(&parse(&value))
            .expect_err("general is an R6 frame");
        assert_eq!(errors.codes_at("frame"), vec![ErrorCode::FrameNotInYear]);
        value["fiscal_year"] = Value::from(2030);
        let errors = programs
            .program_for(&parse(&value))
            .expect_err("no R12 programme");
        assert_eq!(
            errors.codes_at("fiscal_year"),
            vec![ErrorCode::UnknownFiscalYear]
        );
    }

    #[test]
    fn evaluate_reports_a_frame_outside_the_year_instead_of_panicking() {
        let programs = programs();
        let empty = Ledger::new();
        let application = parse(&request("general", 1_000_000));
        let r8 = programs.get(FiscalYear(2026)).expect("R8");
        let decision = evaluate(&application, &empty, r8);
        assert!(!decision.eligible);
        assert!(decision.has_finding("frame_not_in_year"));
        assert_eq!(decision.subsidy_yen, Yen::ZERO);
        let r7 = programs.get(FiscalYear(2025)).expect("R7");
        let r8_application = parse(&request("right_hand", 1_000));
        let decision = evaluate(&r8_application, &empty, r7);
        assert!(decision.has_finding("fiscal_year_mismatch"));
    }

    #[test]
    fn the_decision_serialises_with_the_contract_names() {
        let programs = programs();
        let empty = Ledger::new();
        let application = parse(&request("right_hand", 15_000_000));
        let program = programs.program_for(&application).expect("R8");
        let decision = evaluate(&application, &empty, program);
        let json = serde_json::to_value(&decision).expect("serialises");
        for key in [
            "eligible",
            "award_ordinal",
            "prior_awards",
            "rate",
            "cap_yen",
            "eligible_expenses_yen",
            "subsidy_yen",
            "rounding_unit_yen",
            "findings",
            "rules_version",
            "budget_summary",
            "fiscal_year",
            "frame",
        ] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(
            json["rate"],
            serde_json::json!({"numerator": 2, "denominator": 3})
        );
        assert_eq!(json["subsidy_yen"], Value::from(10_000_000));
        let calculation = json["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|finding| finding["code"] == "subsidy_calculation")
            .expect("an explanation");
        assert_eq!(calculation["severity"], "info");
        assert_eq!(
            calculation["message"],
            "右腕人材枠 採択1回目の補助率は2/3です。補助対象経費15,000,000円 × 2/3 = 10,000,000円。補助上限13,000,000円以内のため補助額は10,000,000円です。"
        );
    }

    #[test]
    fn all_frames_picks_the_larger_eligible_subsidy() {
        let programs = programs();
        let empty = Ledger::new();
        let application = parse(&request("legal_linkage", 15_000_000));
        let program = programs.program_for(&application).expect("R8");
        let all = evaluate_all_frames(&application, &empty, program);
        assert_eq!(all.decisions.len(), 2);
        assert_eq!(all.best_frame, Some(Frame::RightHand));
        assert_eq!(all.decisions[0].subsidy_yen, Yen::new(10_000_000));
        assert_eq!(all.decisions[1].subsidy_yen, Yen::new(7_500_000));

        let mut no_partners = request("legal_linkage", 15_000_000);
        no_partners["partners"] = serde_json::json!([]);
        let application = parse(&no_partners);
        let all = evaluate_all_frames(&application, &empty, program);
        assert_eq!(all.best_frame, None);
    }

    #[test]
    fn ambiguous_ledger_names_take_the_larger_count_and_warn() {
        let programs = programs();
        let application = parse(&request("right_hand", 15_000_000));
        let program = programs.program_for(&application).expect("R8");
        let mut ledger = Ledger::new();
        let name = "株式会社みらい人事ラボ";
        for (id, awards) in [(1, 1), (2, 2)] {
            let organisation = OrganisationId(id);
            ledger.add_organisation(organisation, None, [name]);
            for year in 0..awards {
                ledger.add_award(
                    organisation,
                    PastAward {
                        award_id: format!("{id}-{year}"),
                        fiscal_year: 2024 + year,
                        frame: if year == 0 { "general" } else { "right_hand" }.into(),
                        listed_as: name.into(),
                    },
                );
            }
        }
        // The request's 法人番号 is not in the ledger, so the name decides.
        let decision = evaluate(&application, &ledger, program);
        assert!(decision.has_finding("ambiguous_organisation"));
        assert_eq!(decision.award_ordinal, 3);
        assert_eq!(decision.rate, Rate::new(1, 3).ok());
    }

    #[test]
    fn reused_lists_give_the_decisions_of_fresh_ones() {
        let programs = programs();
        let mut ledger = Ledger::new();
        let name = "株式会社みらい人事ラボ";
        ledger.add_organisation(OrganisationId(1), None, [name]);
        for (year, frame) in [(2023, "standard"), (2024, "general"), (2025, "right_hand")] {
            ledger.add_award(
                OrganisationId(1),
                PastAward {
                    award_id: format!("A-{year}"),
                    fiscal_year: year,
                    frame: frame.into(),
                    listed_as: name.into(),
                },
            );
        }
        let mut other = request("legal_linkage", 3_000_000);
        other["applicants"][0]["name"] = Value::from("株式会社ほかの会社");
        other["applicants"][0]["corporate_number"] = Value::Null;
        other["legal_basis"]["holder"] = Value::from("株式会社ほかの会社");
        // A 4th award (over the cap, three prior awards), then a first, then the 4th again.
        let values = [request("right_hand", 15_000_000), other];
        let applications: Vec<Application> = values.iter().map(parse).collect();
        let program = programs.program_for(&applications[0]).expect("R8");
        let mut lists = DecisionLists::default();
        for application in [&applications[0], &applications[1], &applications[0]] {
            let decision = evaluate_reusing(application, &ledger, program, &mut lists);
            assert_eq!(decision, evaluate(application, &ledger, program));
            lists.keep(decision);
        }
        let first = evaluate(&applications[0], &ledger, program);
        assert!(first.has_finding("award_cap_exceeded"));
        assert_eq!(first.prior_awards.len(), 3);
        assert!(
            evaluate(&applications[1], &ledger, program)
                .prior_awards
                .is_empty()
        );
        // The lists of the last decision are kept for the next, with their allocations.
        assert!(lists.findings.capacity() >= first.findings.len());
        assert!(lists.prior_awards.capacity() >= 3);
    }

    #[test]
    fn non_countable_awards_are_not_counted() {
        let programs = programs();
        let empty = Ledger::new();
        let mut value = request("right_hand", 15_000_000);
        value["history"] = serde_json::json!([
            {"name": "株式会社みらい人事ラボ", "fiscal_year": 2021, "frame": "single"},
            {"name": "株式会社みらい人事ラボ", "fiscal_year": 2024, "frame": "right_hand"}
        ]);
        let application = parse(&value);
        let program = programs.program_for(&application).expect("R8");
        let decision = evaluate(&application, &empty, program);
        assert_eq!(decision.award_ordinal, 1);
        assert!(decision.prior_awards.is_empty());
    }

    #[test]
    fn amounts_accept_half_width_strings_only() {
        let mut value = request("right_hand", 0);
        value["activities"][0]["budget_lines"][0]["amount_yen"] = Value::from("1,500,000");
        assert_eq!(parse(&value).budget.eligible_yen, Yen::new(1_500_000));
        for (amount, code) in [
            (Value::from("１５００"), ErrorCode::FullWidthDigits),
            (Value::from(1.5), ErrorCode::InvalidNumber),
            (Value::from("12a"), ErrorCode::InvalidNumber),
            (Value::from(u64::MAX), ErrorCode::AmountTooLarge),
            (Value::from("-5"), ErrorCode::NegativeAmount),
            (Value::Bool(true), ErrorCode::InvalidNumber),
        ] {
            value["activities"][0]["budget_lines"][0]["amount_yen"] = amount.clone();
            let errors = parse_request_value(&value).expect_err("invalid amount");
            assert_eq!(
                errors.codes_at("activities[0].budget_lines[0].amount_yen"),
                vec![code],
                "{amount}"
            );
        }
    }
}
