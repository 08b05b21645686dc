//! The fast path of request parsing: valid, plainly written requests (nearly all of them in bulk
//! runs) are read straight from the bytes by a small strict reader, without building a
//! `serde_json::Value`.
//!
//! It applies the same rules as `evaluation::parse_request_value` but reports nothing: on the
//! first problem of any kind, and on anything unusual (an escape in a string, an unknown key, a
//! number that is not a plain integer) it gives up (`None`), and the caller parses the text
//! again on the `Value` path, which reports every field error. So the two paths must agree on
//! what is valid and on the `Application` built; `tests` checks that over the golden requests
//! and thousands of mutations of them.

use std::borrow::Cow;

use chrono::NaiveDate;

use super::calendar::FiscalYear;
use super::codes::{ApplicantRole, Code};
use super::corporate_number::CorporateNumber;
use super::evaluation::{
    Activity, Applicant, Application, BudgetLine, BudgetSummary, DecisionLists, HistoryEntry,
    LegalBasis, MAX_AMOUNT_YEN, Partner, ProjectPeriod, date_from_text, integer_from_text,
};
use super::json_text::plain_prefix_len;
use super::money::Yen;
use super::names::{OrgKeyMemo, org_key};
use super::reuse::emptied;

/// Parses a valid request; `None` when the text is not one (or not plainly one), with no
/// reason given: the `Value` path says why. The flag is the request's `all_frames`.
pub(super) fn parse(text: &str) -> Option<(Application<'_>, bool)> {
    parse_reusing(text, &mut SpareLists::default())
}

/// [`parse`], building the application's lists in the allocations of `spare`.
pub(super) fn parse_reusing<'a>(
    text: &'a str,
    spare: &mut SpareLists,
) -> Option<(Application<'a>, bool)> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        spare,
    };
    let raw = reader.request()?;
    // serde_json refuses anything but whitespace after the value.
    if reader.peek().is_some() {
        return None;
    }
    let all_frames = raw.all_frames.unwrap_or(false);
    Some((raw.into_application(reader.spare)?, all_frames))
}

/// The lists of answered applications, emptied and kept for the next one: in a bulk run the
/// requests come one after another, and allocating and freeing their eight lists cost about
/// 900 of the 26,000 instructions of a line.
#[derive(Default)]
pub struct SpareLists {
    applicants: Vec<Applicant<'static>>,
    partners: Vec<Partner<'static>>,
    activities: Vec<Activity<'static>>,
    /// One per activity, up to [`SPARE_BUDGET_LISTS`].
    budget_lines: Vec<Vec<BudgetLine<'static>>>,
    budget: BudgetSummary<'static>,
    /// Present for a worker of a bulk run ([`SpareLists::remembering_names`]).
    name_keys: Option<OrgKeyMemo>,
    /// The lists of the decision on the application.
    decision: DecisionLists,
}

/// Enough for the activities of nearly every request; a request with more allocates the rest.
const SPARE_BUDGET_LISTS: usize = 8;

impl SpareLists {
    /// Spare lists that also remember the comparison keys of the organisation names read
    /// ([`OrgKeyMemo`]), for a worker answering many requests.
    pub fn remembering_names() -> Self {
        Self {
            name_keys: Some(OrgKeyMemo::default()),
            ..Self::default()
        }
    }

    /// Keeps the lists of an application that has been answered.
    pub fn keep(&mut self, application: Application<'_>) {
        let Application {
            mut applicants,
            partners,
            legal_basis,
            mut activities,
            history,
            budget,
            ..
        } = application;
        if let Some(memo) = &mut self.name_keys {
            let keys = applicants
                .iter_mut()
                .map(|applicant| std::mem::take(&mut applicant.name_key))
                .chain(legal_basis.map(|basis| basis.holder_key))
                .chain(history.into_iter().map(|entry| entry.name_key));
            for key in keys {
                memo.give_back(key);
            }
        }
        self.applicants = emptied(applicants);
        self.partners = emptied(partners);
        for activity in &mut activities {
            if self.budget_lines.len() == SPARE_BUDGET_LISTS {
                break;
            }
            self.budget_lines
                .push(emptied(std::mem::take(&mut activity.budget_lines)));
        }
        self.activities = emptied(activities);
        self.budget = budget_lists(budget);
    }

    pub(super) fn decision_lists(&mut self) -> &mut DecisionLists {
        &mut self.decision
    }

    fn budget_lines<'a>(&mut self) -> Vec<BudgetLine<'a>> {
        self.budget_lines.pop().map_or_else(Vec::new, emptied)
    }

    fn budget<'a>(&mut self) -> BudgetSummary<'a> {
        budget_lists(std::mem::take(&mut self.budget))
    }

    /// `org_key(name)`, remembered when the lists remember names.
    fn name_key(&mut self, name: &str) -> String {
        match &mut self.name_keys {
            Some(memo) => memo.key(name),
            None => org_key(name),
        }
    }
}

/// A summary with `budget`'s lists, emptied, for another lifetime.
fn budget_lists<'a>(budget: BudgetSummary<'_>) -> BudgetSummary<'a> {
    let mut by_expense_category = budget.by_expense_category;
    by_expense_category.clear();
    let mut by_funding_source = budget.by_funding_source;
    by_funding_source.clear();
    BudgetSummary {
        total_yen: Yen::ZERO,
        eligible_yen: Yen::ZERO,
        by_activity: emptied(budget.by_activity),
        by_expense_category,
        by_funding_source,
    }
}

// ---------------------------------------------------------------------------------------------
// Raw shapes: what the JSON holds, before the rules. `None` is a missing key or `null`. A key
// given twice keeps its last value, as `serde_json::Value` does.
// ---------------------------------------------------------------------------------------------

/// Lists and nested objects are converted as they are read, so that no raw copy of them is
/// kept; the scalars wait for the checks that need the whole request.
#[derive(Default)]
struct RawRequest<'a> {
    fiscal_year: Option<Integer<'a>>,
    frame: Option<Text<'a>>,
    application_date: Option<Text<'a>>,
    applicants: Option<Applicants<'a>>,
    partners: Option<Vec<Partner<'a>>>,
    legal_basis: Option<LegalBasis<'a>>,
    project_period: Option<RawPeriod<'a>>,
    activities: Option<Vec<Activity<'a>>>,
    history: Option<Vec<HistoryEntry<'a>>>,
    all_frames: Option<bool>,
}

/// The applicants, and how many of them were given the role `lead` exactly (untrimmed, as
/// the `Value` path counts them).
#[derive(Default)]
struct Applicants<'a> {
    applicants: Vec<Applicant<'a>>,
    leads: usize,
}

#[derive(Default)]
struct RawApplicant<'a> {
    name: Option<Text<'a>>,
    corporate_number: Option<Text<'a>>,
    kind: Option<Text<'a>>,
    employees: Option<Integer<'a>>,
    capital_yen: Option<Integer<'a>>,
    industry: Option<Text<'a>>,
    role: Option<Text<'a>>,
}

#[derive(Default)]
struct RawPartner<'a> {
    kind: Option<Text<'a>>,
    name: Option<Text<'a>>,
}

#[derive(Default)]
struct RawLegalBasis<'a> {
    path: Option<Text<'a>>,
    holder: Option<Text<'a>>,
    granted_by: Option<Text<'a>>,
    granted_on: Option<Text<'a>>,
    valid_until: Option<Text<'a>>,
    includes_talent_measures: Option<bool>,
}

#[derive(Default)]
struct RawPeriod<'a> {
    start: Option<Text<'a>>,
    end: Option<Text<'a>>,
}

#[derive(Default)]
struct RawActivity<'a> {
    name: Option<Text<'a>>,
    category: Option<Text<'a>>,
    executive_internship: Option<bool>,
    budget_lines: Option<Vec<BudgetLine<'a>>>,
}

#[derive(Default)]
struct RawBudgetLine<'a> {
    category: Option<Text<'a>>,
    description: Option<Text<'a>>,
    amount_yen: Option<Integer<'a>>,
    funding_source: Option<Text<'a>>,
}

#[derive(Default)]
struct RawHistory<'a> {
    name: Option<Text<'a>>,
    fiscal_year: Option<Integer<'a>>,
    frame: Option<Text<'a>>,
}

/// A JSON string without escapes, borrowed from the request.
struct Text<'a>(&'a str);

/// An integer as the `Value` path accepts it: a JSON integer that fits in i64, or a string.
enum Integer<'a> {
    Number(i64),
    Text(&'a str),
}

// ---------------------------------------------------------------------------------------------
// The reader: strict JSON for the shapes above, `None` on anything else
// ---------------------------------------------------------------------------------------------

struct Reader<'a, 's> {
    text: &'a str,
    /// `text` as bytes: the reader moves from one ASCII delimiter to the next, so every slice
    /// it takes of `text` is on character boundaries.
    bytes: &'a [u8],
    at: usize,
    spare: &'s mut SpareLists,
}

/// Reads an object's members into a `$shape`, one arm per name; an unknown name gives up.
/// Names are compared with their quotes and the colon after them, in the order written (the
/// usual order in the input), so a member costs one comparison instead of a scan, a lookup
/// and a look for the colon. A space before the colon, which no JSON writer puts there,
/// matches no name, and the `Value` path answers.
macro_rules! members {
    ($reader:expr, $shape:ident, { $($key:literal => $field:ident: $read:ident,)* }) => {{
        let mut target = $shape::default();
        $reader.object(|reader| {
            $(
                if reader.word(concat!("\"", $key, "\":").as_bytes()) {
                    target.$field = reader.nullable(Reader::$read)?;
                    return Some(());
                }
            )*
            None
        })?;
        target
    }};
}

impl<'a> Reader<'a, '_> {
    /// The next byte after JSON whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        // Bulk input is written compactly: one comparison settles nearly every call.
        match self.bytes.get(self.at) {
            Some(&byte) if byte > b' ' => Some(byte),
            _ => self.peek_after_whitespace(),
        }
    }

    #[cold]
    fn peek_after_whitespace(&mut self) -> Option<u8> {
        while let Some(&byte) = self.bytes.get(self.at) {
            if !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(byte);
            }
            self.at += 1;
        }
        None
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn word(&mut self, word: &[u8]) -> bool {
        let found = self.bytes[self.at..].starts_with(word);
        if found {
            self.at += word.len();
        }
        found
    }

    /// `null` is `None`; anything else is read by `read`. What follows a value (`,`, `}`,
    /// `]`) is checked by the caller, so `nullx`, `1.5` or `truex` are refused there.
    fn nullable<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.peek() == Some(b'n') {
            return self.word(b"null").then_some(None);
        }
        read(self).map(Some)
    }

    /// An object; `member` reads one member, starting at its quoted name.
    fn object(&mut self, mut member: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            self.peek()?;
            member(self)?;
            if self.eat(b',') {
                continue;
            }
            return self.eat(b'}').then_some(());
        }
    }

    /// An array, its items pushed onto `items` (empty).
    fn array<T>(
        &mut self,
        mut items: Vec<T>,
        mut read: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<T>> {
        if !self.eat(b'[') {
            return None;
        }
        if self.eat(b']') {
            return Some(items);
        }
        loop {
            items.push(read(self)?);
            if self.eat(b',') {
                continue;
            }
            return self.eat(b']').then_some(items);
        }
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        let length = plain_prefix_len(&self.bytes[start..]);
        if self.bytes.get(start + length) != Some(&b'"') {
            return None;
        }
        self.at += length + 1;
        self.text.get(start..start + length)
    }

    fn text(&mut self) -> Option<Text<'a>> {
        self.string().map(Text)
    }

    fn boolean(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.word(b"true").then_some(true),
            b'f' => self.word(b"false").then_some(false),
            _ => None,
        }
    }

    /// A plain non-negative integer that fits in i64, or a string. Negative numbers are
    /// never valid here, and serde_json reads `-0` as a float, so `-` gives up.
    fn integer(&mut self) -> Option<Integer<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Integer::Text),
            b'0' => {
                self.at += 1;
                // A leading zero is not JSON; the next check refuses `01`.
                (!self.bytes.get(self.at).is_some_and(u8::is_ascii_digit))
                    .then_some(Integer::Number(0))
            }
            b'1'..=b'9' => {
                let mut number: i64 = 0;
                while let Some(&digit) = self.bytes.get(self.at)
                    && digit.is_ascii_digit()
                {
                    number = number
                        .checked_mul(10)?
                        .checked_add(i64::from(digit - b'0'))?;
                    self.at += 1;
                }
                Some(Integer::Number(number))
            }
            _ => None,
        }
    }

    fn request(&mut self) -> Option<RawRequest<'a>> {
        Some(members!(self, RawRequest, {
            "fiscal_year" => fiscal_year: integer,
            "frame" => frame: text,
            "application_date" => application_date: text,
            "applicants" => applicants: applicants,
            "partners" => partners: partners,
            "legal_basis" => legal_basis: legal_basis,
            "project_period" => project_period: period,
            "activities" => activities: activities,
            "history" => history: history,
            "all_frames" => all_frames: boolean,
        }))
    }

    fn applicants(&mut self) -> Option<Applicants<'a>> {
        let mut leads = 0;
        let spare = emptied(std::mem::take(&mut self.spare.applicants));
        let applicants = self.array(spare, |reader| {
            let raw = members!(reader, RawApplicant, {
                "name" => name: text,
                "corporate_number" => corporate_number: text,
                "kind" => kind: text,
                "employees" => employees: integer,
                "capital_yen" => capital_yen: integer,
                "industry" => industry: text,
                "role" => role: text,
            });
            leads += usize::from(
                raw.role.as_ref().map(|role| role.0) == Some(ApplicantRole::Lead.as_str()),
            );
            raw.applicant(reader.spare)
        })?;
        Some(Applicants { applicants, leads })
    }

    fn partners(&mut self) -> Option<Vec<Partner<'a>>> {
        let spare = emptied(std::mem::take(&mut self.spare.partners));
        self.array(spare, |reader| {
            let raw = members!(reader, RawPartner, {
                "kind" => kind: text,
                "name" => name: text,
            });
            Some(Partner {
                kind: code(&raw.kind)?,
                name: Cow::Borrowed(text(&raw.name)?),
            })
        })
    }

    fn legal_basis(&mut self) -> Option<LegalBasis<'a>> {
        members!(self, RawLegalBasis, {
            "path" => path: text,
            "holder" => holder: text,
            "granted_by" => granted_by: text,
            "granted_on" => granted_on: text,
            "valid_until" => valid_until: text,
            "includes_talent_measures" => includes_talent_measures: boolean,
        })
        .legal_basis(self.spare)
    }

    fn period(&mut self) -> Option<RawPeriod<'a>> {
        Some(members!(self, RawPeriod, {
            "start" => start: text,
            "end" => end: text,
        }))
    }

    fn activities(&mut self) -> Option<Vec<Activity<'a>>> {
        let spare = emptied(std::mem::take(&mut self.spare.activities));
        self.array(spare, |reader| {
            members!(reader, RawActivity, {
                "name" => name: text,
                "category" => category: text,
                "executive_internship" => executive_internship: boolean,
                "budget_lines" => budget_lines: budget_lines,
            })
            .activity()
        })
    }

    fn budget_lines(&mut self) -> Option<Vec<BudgetLine<'a>>> {
        let spare = self.spare.budget_lines();
        self.array(spare, |reader| {
            members!(reader, RawBudgetLine, {
                "category" => category: text,
                "description" => description: text,
                "amount_yen" => amount_yen: integer,
                "funding_source" => funding_source: text,
            })
            .budget_line()
        })
    }

    fn history(&mut self) -> Option<Vec<HistoryEntry<'a>>> {
        let mut index = 0;
        self.array(Vec::new(), |reader| {
            let entry = members!(reader, RawHistory, {
                "name" => name: text,
                "fiscal_year" => fiscal_year: integer,
                "frame" => frame: text,
            })
            .history(index, reader.spare);
            index += 1;
            entry
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The rules, as in `evaluation::Parser`, without the reporting
// ---------------------------------------------------------------------------------------------

/// A required text: present, not blank; trimmed.
fn text<'a>(value: &Option<Text<'a>>) -> Option<&'a str> {
    let text = trim(value.as_ref()?.0);
    (!text.is_empty()).then_some(text)
}

/// `str::trim`, without decoding the text's ends when their bytes show they are not
/// whitespace (nearly always).
fn trim(text: &str) -> &str {
    // Kanji and kana from U+4000 on start with E4–E9 and end with a continuation byte after
    // such a lead byte; with printable ASCII other than the space, that is nearly every name
    // and code at both ends.
    let bytes = text.as_bytes();
    let plain_start = |byte: u8| (0x21..0x80).contains(&byte) || (0xe4..0xf0).contains(&byte);
    let plain_end = match bytes {
        [.., last] if (0x21..0x80).contains(last) => true,
        [.., lead, _, _] => (0xe4..0xf0).contains(lead),
        _ => false,
    };
    if bytes.first().is_some_and(|&first| plain_start(first)) && plain_end {
        return text;
    }
    // The reader's strings hold no control characters, so the only ASCII whitespace is the
    // space; every other `White_Space` character starts with C2, E1, E2 or is E3 80 80
    // (U+3000). Japanese text mostly starts with E3–E9 and ends with a continuation byte.
    let may_start_with_space = matches!(
        text.as_bytes(),
        [b' ' | 0xc2 | 0xe1 | 0xe2, ..] | [0xe3, 0x80, 0x80, ..]
    );
    let may_end_with_space = matches!(
        text.as_bytes(),
        [.., b' '] | [.., 0xc2, _] | [.., 0xe1 | 0xe2, _, _] | [.., 0xe3, 0x80, 0x80]
    );
    if may_start_with_space || may_end_with_space {
        text.trim()
    } else {
        text
    }
}

/// A code, read untrimmed: no code holds a space, so one written with spaces around it (or
/// blank) fails to parse here and the `Value` path, which trims, answers instead.
fn code<T: Code>(value: &Option<Text<'_>>) -> Option<T> {
    T::from_code(value.as_ref()?.0)
}

fn date(value: &Option<Text<'_>>) -> Option<NaiveDate> {
    date_from_text(text(value)?).ok()
}

fn integer(value: &Integer<'_>) -> Option<i64> {
    match value {
        Integer::Number(number) => Some(*number),
        Integer::Text(text) => integer_from_text(text).ok(),
    }
}

fn amount(value: &Integer<'_>) -> Option<Yen> {
    let amount = integer(value)?;
    (0..=MAX_AMOUNT_YEN)
        .contains(&amount)
        .then(|| Yen::new(amount))
}

fn fiscal_year(value: &Option<Integer<'_>>) -> Option<FiscalYear> {
    let year = i32::try_from(integer(value.as_ref()?)?).ok()?;
    (2000..=2100).contains(&year).then_some(FiscalYear(year))
}

impl<'a> RawRequest<'a> {
    fn into_application(self, spare: &mut SpareLists) -> Option<Application<'a>> {
        let fiscal_year = fiscal_year(&self.fiscal_year)?;
        let frame = code(&self.frame)?;
        let application_date = date(&self.application_date)?;
        let Applicants { applicants, leads } = self.applicants?;
        if leads != 1 || applicants.is_empty() {
            return None;
        }
        let partners = self.partners.unwrap_or_default();
        let legal_basis = self.legal_basis;
        let period = &self.project_period.as_ref()?;
        let project_period = ProjectPeriod {
            start: date(&period.start)?,
            end: date(&period.end)?,
        };
        if project_period.end < project_period.start {
            return None;
        }
        let activities = self
            .activities
            .filter(|activities| !activities.is_empty())?;
        let history = self.history.unwrap_or_default();
        let budget = BudgetSummary::of_reusing(&activities, spare.budget());
        if budget.total_yen.value() >= i64::MAX / 2 {
            return None;
        }
        Some(Application {
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
}

impl<'a> RawApplicant<'a> {
    fn applicant(&self, spare: &mut SpareLists) -> Option<Applicant<'a>> {
        let corporate_number = match &self.corporate_number {
            None => None,
            Some(number) => Some(number.0.parse::<CorporateNumber>().ok()?),
        };
        let employees = u32::try_from(integer(self.employees.as_ref()?)?).ok()?;
        let capital_yen = match &self.capital_yen {
            None => None,
            Some(capital) => Some(amount(capital)?),
        };
        let name = text(&self.name)?;
        Some(Applicant {
            name_key: spare.name_key(name),
            name: Cow::Borrowed(name),
            corporate_number,
            kind: code(&self.kind)?,
            employees,
            capital_yen,
            industry: code(&self.industry)?,
            role: code(&self.role)?,
        })
    }
}

impl<'a> RawLegalBasis<'a> {
    fn legal_basis(&self, spare: &mut SpareLists) -> Option<LegalBasis<'a>> {
        let granted_on = date(&self.granted_on)?;
        let valid_until = match &self.valid_until {
            None => None,
            some => Some(date(some)?),
        };
        if valid_until.is_some_and(|valid_until| valid_until < granted_on) {
            return None;
        }
        let holder = text(&self.holder)?;
        Some(LegalBasis {
            path: code(&self.path)?,
            holder_key: spare.name_key(holder),
            holder: Cow::Borrowed(holder),
            granted_by: Cow::Borrowed(text(&self.granted_by)?),
            granted_on,
            valid_until,
            includes_talent_measures: self.includes_talent_measures?,
        })
    }
}

impl<'a> RawActivity<'a> {
    fn activity(self) -> Option<Activity<'a>> {
        let budget_lines = self.budget_lines.unwrap_or_default();
        Some(Activity {
            name: Cow::Borrowed(text(&self.name)?),
            category: code(&self.category)?,
            executive_internship: self.executive_internship.unwrap_or(false),
            budget_lines,
        })
    }
}

impl<'a> RawBudgetLine<'a> {
    fn budget_line(&self) -> Option<BudgetLine<'a>> {
        Some(BudgetLine {
            category: code(&self.category)?,
            description: self
                .description
                .as_ref()
                .map_or(Cow::Borrowed(""), |description| {
                    Cow::Borrowed(trim(description.0))
                }),
            amount: amount(self.amount_yen.as_ref()?)?,
            funding_source: code(&self.funding_source)?,
        })
    }
}

impl<'a> RawHistory<'a> {
    fn history(&self, index: usize, spare: &mut SpareLists) -> Option<HistoryEntry<'a>> {
        let name = text(&self.name)?;
        Some(HistoryEntry {
            award_id: format!("history[{index}]"),
            name_key: spare.name_key(name),
            name: Cow::Borrowed(name),
            fiscal_year: fiscal_year(&self.fiscal_year)?,
            frame: code(&self.frame)?,
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::cell::RefCell;
    use std::path::Path;

    use serde_json::{Value, json};

    use super::*;
    use crate::domain::contract::{evaluate_json, evaluate_text};
    use crate::domain::evaluation::{parse_request, parse_request_slow};
    use crate::domain::ledger::Ledger;
    use crate::domain::program::ProgramSet;

    pub(in crate::domain) fn golden_requests() -> Vec<(String, Value)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        let mut requests: Vec<(String, Value)> = std::fs::read_dir(&dir)
            .expect("tests/golden")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "json")
            })
            .map(|path| {
                let text = std::fs::read_to_string(&path).expect("readable");
                let case: Value = serde_json::from_str(&text).expect("JSON");
                (path.display().to_string(), case["request"].clone())
            })
            .collect();
        requests.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(requests.len() >= 70, "the golden cases are found");
        requests
    }

    /// As `request_line` in benches/evaluate.rs (a copy: benches are not part of the library).
    pub(in crate::domain) fn bench_line(i: usize) -> String {
        const NAMES: &[&str] = &[
            "一般社団法人ドット道東",
            "株式会社御祓川",
            "株式会社御祇川",
            "一般社団法人COCORO",
            "NPO法人MEGURU",
            "株式会社ガクトラボ",
            "一般社団法人しおじり未来人材機構",
            "株式会社みらい人材",
            "松本商工会議所",
            "合同会社K A Z A M I",
        ];
        let name = NAMES[i % NAMES.len()];
        let legal = i % 3 == 0;
        let kind = if name.contains("商工会議所") {
            "chamber_of_commerce"
        } else {
            "sme_company"
        };
        let legal_basis = if legal {
            json!({"path": "regional_future_investment", "holder": name, "granted_by": "経済産業大臣",
                   "granted_on": "2025-12-01", "valid_until": "2030-03-31", "includes_talent_measures": true})
        } else {
            Value::Null
        };
        json!({
            "fiscal_year": 2026,
            "frame": if legal { "legal_linkage" } else { "right_hand" },
            "application_date": "2026-05-20",
            "applicants": [{"name": name, "corporate_number": null, "kind": kind, "employees": 10 + i % 200,
                            "capital_yen": 30000000, "industry": "services", "role": "lead"}],
            "partners": [{"kind": "municipality", "name": "塩尻市"}, {"kind": "education_institution", "name": "信州大学"},
                         {"kind": "financial_institution", "name": "八十二銀行"}],
            "legal_basis": legal_basis,
            "project_period": {"start": "2026-07-01", "end": "2027-02-26"},
            "activities": [
                {"name": "幹部インターンシップ事業", "category": "development", "executive_internship": true, "budget_lines": [
                    {"category": "personnel", "description": "コーディネーター人件費", "amount_yen": 4_000_000 + (i % 97) * 100_000, "funding_source": "this_subsidy"},
                    {"category": "travel", "description": "受入企業訪問旅費", "amount_yen": 240000, "funding_source": "this_subsidy"}]},
                {"name": "副業人材マッチング", "category": "recruitment", "executive_internship": false, "budget_lines": [
                    {"category": "outsourcing", "description": "マッチングサイト運営（外注）", "amount_yen": 500_000 + (i % 13) * 250_000, "funding_source": "this_subsidy"},
                    {"category": "advertising", "description": "求人広告", "amount_yen": 300000, "funding_source": "municipal"}]}
            ]
        })
        .to_string()
    }

    thread_local! {
        /// The lists kept from one request for the next, through a whole test, as a bulk run
        /// keeps them: every request is read into the lists of the one before, and the keys
        /// of its names come from the memory of the names read before.
        static SPARE: RefCell<SpareLists> = RefCell::new(SpareLists::remembering_names());
    }

    /// The fast path may decline a valid request (the slow path then answers), but whatever
    /// it accepts must be valid and parsed exactly as the `Value` path parses it.
    fn agrees(text: &str) -> bool {
        let slow = parse_request_slow(text);
        SPARE.with_borrow_mut(|spare| match parse_reusing(text, spare) {
            Some((fast, _)) => {
                assert_eq!(Ok(&fast), slow.as_ref(), "{text}");
                spare.keep(fast);
                true
            }
            None => {
                assert_eq!(parse_request(text), slow, "{text}");
                false
            }
        })
    }

    #[test]
    fn the_next_request_is_read_into_the_kept_lists() {
        let (first, second) = (bench_line(0), bench_line(1));
        let mut spare = SpareLists::default();
        let (application, _) = parse_reusing(&first, &mut spare).expect("plain");
        let places = |application: &Application| {
            [
                application.applicants.as_ptr().addr(),
                application.partners.as_ptr().addr(),
                application.activities.as_ptr().addr(),
                application.budget.by_activity.as_ptr().addr(),
                application.budget.by_expense_category.as_ptr().addr(),
            ]
        };
        let kept = places(&application);
        spare.keep(application);
        // Still allocated while kept, so a list allocated anew could not have these places.
        assert!(spare.applicants.capacity() > 0 && spare.activities.capacity() > 0);
        assert_eq!(spare.budget_lines.len(), 2, "one list per activity");
        assert!(spare.budget.by_funding_source.capacity() > 0);
        let (next, _) = parse_reusing(&second, &mut spare).expect("plain");
        assert_eq!(places(&next), kept);
        assert_eq!(
            Some(next),
            parse(&second).map(|(application, _)| application)
        );
    }

    /// Every decision (and error) of `evaluate_text` is the one the `Value` path writes.
    fn same_output(text: &str, programs: &ProgramSet, ledgers: &[Ledger]) {
        for ledger in ledgers {
            for all_frames in [false, true] {
                let mut fast = Vec::new();
                let fast_result = evaluate_text(text, programs, ledger, all_frames, &mut fast);
                let mut slow = Vec::new();
                let slow_result = match serde_json::from_str::<Value>(text) {
                    Ok(value) => evaluate_json(&value, programs, ledger, all_frames, &mut slow),
                    Err(_) => Err(parse_request_slow(text).expect_err("not JSON")),
                };
                assert_eq!(fast_result, slow_result, "{text}");
                assert_eq!(
                    String::from_utf8_lossy(&fast),
                    String::from_utf8_lossy(&slow),
                    "{text}"
                );
            }
        }
    }

    pub(in crate::domain) fn programs_and_ledgers() -> (ProgramSet, Vec<Ledger>) {
        let programs = ProgramSet::embedded().expect("programmes");
        let shipped = crate::program::shipped_ledger(&programs).expect("shipped ledger");
        (programs, vec![Ledger::new(), shipped])
    }

    #[test]
    fn golden_and_bench_requests_parse_and_decide_alike_on_both_paths() {
        let (programs, ledgers) = programs_and_ledgers();
        let mut fast = 0;
        let mut valid = 0;
        for (file, request) in golden_requests() {
            let text = request.to_string();
            valid += usize::from(parse_request_slow(&text).is_ok());
            fast += usize::from(agrees(&text));
            same_output(&text, &programs, &ledgers);
            // Pretty-printed text reads the same.
            let pretty = serde_json::to_string_pretty(&request).expect("JSON");
            assert!(
                agrees(&pretty) || parse_request_slow(&pretty).is_err(),
                "{file}"
            );
        }
        assert_eq!(
            fast, valid,
            "every valid golden request takes the fast path"
        );
        for i in 0..1000 {
            let text = bench_line(i);
            assert!(agrees(&text), "bench line {i} takes the fast path");
            same_output(&text, &programs, &ledgers);
        }
    }

    /// Replacements for one value, covering every way a field can be wrong or unusual.
    fn variants() -> Vec<Value> {
        vec![
            Value::Null,
            json!(""),
            json!("   "),
            json!(" lead "),
            json!("lead"),
            json!("co_applicant"),
            json!(" right_hand "),
            json!(" 株式会社 みらい人事ラボ "),
            json!("\u{3000}みらい\"市\"\\\n"),
            json!("株式会社\u{1}\t\u{7f}\r\u{c}\u{8}みらい"),
            json!(0),
            json!(-1),
            json!(20),
            json!(1.5),
            json!(1e3),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(2_000_000_000_000_i64),
            json!(" 1,000,000 "),
            json!(",-5"),
            json!("-"),
            json!("１０"),
            json!("12a"),
            json!("99999999999999999999"),
            json!("2026-05-20"),
            json!(" 2026-05-20 "),
            json!("2026-5-20"),
            json!("2026-02-30"),
            json!("２０２６-05-20"),
            json!("7000012050002"),
            json!(true),
            json!(false),
            json!([]),
            json!([1]),
            json!({}),
        ]
    }

    /// Every value of the request replaced by every variant, and every key removed.
    pub(in crate::domain) fn mutations(request: &Value) -> Vec<Value> {
        fn walk(value: &Value, rebuild: &dyn Fn(Option<Value>) -> Value, out: &mut Vec<Value>) {
            for variant in variants() {
                out.push(rebuild(Some(variant)));
            }
            match value {
                Value::Object(map) => {
                    for (key, child) in map {
                        let key = key.clone();
                        let rebuild_child = |replacement: Option<Value>| {
                            let mut map = map.clone();
                            match replacement {
                                Some(replacement) => map.insert(key.clone(), replacement),
                                None => map.remove(&key),
                            };
                            rebuild(Some(Value::Object(map)))
                        };
                        out.push(rebuild_child(None));
                        walk(child, &rebuild_child, out);
                    }
                }
                Value::Array(items) => {
                    for (index, child) in items.iter().enumerate() {
                        let rebuild_child = |replacement: Option<Value>| {
                            let mut items = items.clone();
                            match replacement {
                                Some(replacement) => items[index] = replacement,
                                None => {
                                    items.remove(index);
                                }
                            }
                            rebuild(Some(Value::Array(items)))
                        };
                        out.push(rebuild_child(None));
                        walk(child, &rebuild_child, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(
            request,
            &|replacement| replacement.unwrap_or(Value::Null),
            &mut out,
        );
        out
    }

    #[test]
    fn mutated_requests_agree_and_invalid_ones_report_the_same_errors() {
        let (programs, ledgers) = programs_and_ledgers();
        let requests = golden_requests();
        let mut checked = 0;
        for (file, request) in requests.iter().filter(|(file, _)| {
            [
                "r8_legal_1st.json",
                "input_errors_all_reported.json",
                "r8_history_unmatched_name.json",
            ]
            .iter()
            .any(|name| file.ends_with(name))
        }) {
            for mutated in mutations(request) {
                let text = mutated.to_string();
                agrees(&text);
                same_output(&text, &programs, &ledgers[..1]);
                checked += 1;
            }
            assert!(checked > 1000, "{file}: {checked} mutations");
        }
        assert!(checked > 3000);
    }

    #[test]
    fn text_that_values_read_differently_takes_the_slow_path_or_agrees() {
        let (programs, ledgers) = programs_and_ledgers();
        let (_, request) = golden_requests()
            .into_iter()
            .find(|(file, _)| file.ends_with("r8_legal_1st.json"))
            .expect("r8_legal_1st");
        let text = request.to_string();
        let body = text.strip_prefix('{').expect("an object");
        let cases = [
            // A repeated key: the last one counts on the `Value` path.
            format!(r#"{{"frame":"legal_linkage","frame":"nonsense",{body}"#),
            format!(r#"{{"frame":"nonsense",{body}"#),
            // Escapes in keys and values.
            text.replace(r#""frame""#, r#""fr\u0061me""#),
            text.replace("株式会社", r"\u682a\u5f0f\u4f1a\u793e"),
            text.replace(r#""lead""#, r#""le\u0061d""#),
            // An extra field, an `all_frames` flag, a wrong `all_frames`.
            format!(r#"{{"extra":[1,{{"a":null}}],{body}"#),
            format!(r#"{{"all_frames":true,{body}"#),
            format!(r#"{{"all_frames":"yes",{body}"#),
            // A name missing its `:`, names that start like a known one, one cut short.
            text.replacen(r#""frame":"#, r#""frame" "#, 1),
            // Space before a name's `:` (the `Value` path answers), or after it.
            text.replacen(r#""frame":"#, r#""frame" :"#, 1),
            text.replace(r#"":"#, "\" \t:"),
            text.replace(r#"":"#, "\": "),
            text.replacen(r#""frame":"#, r#""frame_code":"#, 1),
            text.replacen(r#""frame":"#, r#""fram":"#, 1),
            r#"{"frame""#.to_owned(),
            // Not an object, or trailing text.
            "[]".to_owned(),
            format!("[{text}]"),
            format!("{text} x"),
            format!(" {text}\r\n"),
            String::new(),
        ];
        for case in &cases {
            agrees(case);
            same_output(case, &programs, &ledgers);
        }
        // A space after every `:`, as pretty printers write, stays on the fast path.
        assert!(agrees(&text.replace(r#"":"#, "\": ")));
        // Objects written as arrays are refused, as the `Value` path refuses them.
        let positional = r#"[2026,"right_hand","2026-05-20",[],[],null,{"start":"2026-07-01","end":"2027-02-26"},[],null,null]"#;
        assert!(parse(positional).is_none());
    }

    #[test]
    fn trims_as_str_trim_for_every_character_at_either_end() {
        for code in 0..=0x10ffff {
            let Some(character) = char::from_u32(code) else {
                continue;
            };
            if (character as u32) < 0x20 {
                // Never in the reader's strings (a control character makes it give up).
                continue;
            }
            for text in [
                format!("{character}株式会社"),
                format!("株式会社{character}"),
                format!("a{character}"),
                format!("{character}a"),
                character.to_string(),
            ] {
                assert_eq!(trim(&text), text.trim(), "U+{code:04X}");
            }
        }
    }

    #[test]
    fn dates_read_as_chrono_reads_them() {
        let mut texts = vec![
            "2026-05-20",
            "2026-5-20",
            "0000-01-01",
            "9999-12-31",
            "2024-02-29",
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-01-32",
            "+2026-01-01",
            "2026-01-01 ",
            "20260-01-01",
            "2026/01/01",
            "2026-01-1",
            "-001-01-01",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        for year in [0, 1, 999, 1999, 2000, 2024, 2100, 9999] {
            for month in 0..=13 {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    texts.push(format!("{year:04}-{month:02}-{day:02}"));
                }
            }
        }
        for text in texts {
            let chrono = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
            assert_eq!(date_from_text(&text).ok(), chrono, "{text}");
        }
    }
}
