//! The programme of one fiscal year as plain data: frames, rates by award ordinal, caps,
//! rounding, the award cap and which past awards count toward it, who may apply, frame
//! requirements, expense rules and schedules. Every value carries the `source` it came from.
//! `crate::program` builds these from `forms/programs/*.toml`; nothing here does I/O.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use super::calendar::FiscalYear;
use super::codes::{ApplicantKind, ExpenseCategory, Frame, Industry, LegalPath, PartnerKind};
use super::deadlines::DeadlinePolicy;
pub use super::deadlines::ReportSchedule;
use super::money::{Rate, Yen};

/// A value, where it comes from (seed `file:line`, or a URL), how sure that source is, and a
/// note in Japanese for the people who read the value (required when it is not certain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: String,
    pub certainty: Certainty,
    pub note: Option<String>,
}

impl<T> Sourced<T> {
    /// A certain value without a note (tests and defaults).
    pub fn certain(value: T, source: impl Into<String>) -> Self {
        Sourced {
            value,
            source: source.into(),
            certainty: Certainty::Certain,
            note: None,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced {
            value: f(self.value),
            source: self.source,
            certainty: self.certainty,
            note: self.note,
        }
    }
}

/// How a joint application (連名) is counted for the award ordinal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JointCount {
    /// By the member with the most countable awards (DOMAIN.md §8 Q1).
    MostAwardedMember,
}

/// How sure the sources are about a value (DOMAIN.md marks each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// Printed in a source.
    Certain,
    /// Read from a source that leaves it open; the file's comment names the alternative.
    Interpretation,
    /// No source yet (the 公募要領 is not published): a default or a value carried over,
    /// used until the official text settles it.
    #[serde(alias = "unverified")]
    Provisional,
}

/// What a rule does when an application departs from it: refuse it (an error), or accept it
/// with a warning that sends it to 事務局 review. Chosen per rule in the year's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDeparture {
    Refuse,
    Review,
}

/// The rate for one award ordinal (採択回数); with `and_later`, also for every later ordinal
/// that has no step of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateStep {
    pub ordinal: u32,
    pub rate: Rate,
    pub and_later: bool,
    pub certainty: Certainty,
    pub source: String,
    /// Why the rate is not certain, in Japanese.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalBasisRequirement {
    pub paths: Vec<LegalPath>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRules {
    pub code: Frame,
    pub name_ja: String,
    /// The labels under which award lists print this frame (`(単一枠)`, `通常枠` …).
    pub printed_labels: Vec<String>,
    /// Where the frame, its name and its printed labels come from.
    pub source: String,
    /// Sorted by ordinal.
    pub rates: Vec<RateStep>,
    pub cap_yen: Sourced<Yen>,
    /// Partner kinds this frame needs besides the programme-wide ones.
    pub required_partner_kinds: Option<Sourced<Vec<PartnerKind>>>,
    /// An activity must be a 幹部インターンシップ (`executive_internship: true`).
    pub requires_executive_internship: Option<Sourced<bool>>,
    pub legal_basis: Option<LegalBasisRequirement>,
}

impl FrameRules {
    /// The rate step for this award's ordinal: its own step, or the latest earlier step that
    /// applies "and later".
    pub fn rate_for(&self, ordinal: u32) -> Option<&RateStep> {
        if let Some(step) = self.rates.iter().find(|step| step.ordinal == ordinal) {
            return Some(step);
        }
        self.rates
            .iter()
            .rev()
            .find(|step| step.and_later && step.ordinal < ordinal)
    }

    pub fn needs_executive_internship(&self) -> bool {
        self.requires_executive_internship
            .as_ref()
            .is_some_and(|required| required.value)
    }
}

/// A set of frames as bits, so that the count test in the hot path does not allocate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameSet(u16);

impl FrameSet {
    pub fn insert(&mut self, frame: Frame) {
        self.0 |= 1 << frame.index();
    }

    pub fn contains(self, frame: Frame) -> bool {
        self.0 & (1 << frame.index()) != 0
    }
}

impl FromIterator<Frame> for FrameSet {
    fn from_iter<I: IntoIterator<Item = Frame>>(frames: I) -> Self {
        let mut set = FrameSet::default();
        for frame in frames {
            set.insert(frame);
        }
        set
    }
}

/// Which past awards count toward the award ordinal and cap: (fiscal year, frames) pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountableAwards {
    /// Sorted by fiscal year, one entry per year.
    pub years: Vec<(FiscalYear, FrameSet)>,
    pub source: String,
}

impl CountableAwards {
    /// Whether an award in `fiscal_year` under the frame code `frame` counts.
    pub fn counts(&self, fiscal_year: i32, frame: &str) -> bool {
        self.counts_frame(fiscal_year, frame.parse().ok())
    }

    /// [`Self::counts`] for a frame code already read (`None`: a code that is no [`Frame`]).
    pub fn counts_frame(&self, fiscal_year: i32, frame: Option<Frame>) -> bool {
        let Some((_, frames)) = self.years.iter().find(|(year, _)| year.0 == fiscal_year) else {
            return false;
        };
        frame.is_some_and(|frame| frames.contains(frame))
    }
}

/// 中小企業者 limits for one industry: a company is one if capital OR headcount is within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmeLimit {
    pub industry: Industry,
    pub max_capital_yen: Yen,
    pub max_employees: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeLimits {
    pub sme: Vec<SmeLimit>,
    pub sme_source: String,
    /// 中堅企業者: not a 中小企業者 and at most this many employees.
    pub midsize_max_employees: Sourced<u32>,
}

/// What a company's figures make it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanySize {
    Sme,
    Midsize,
    Large,
}

impl SizeLimits {
    pub fn classify(
        &self,
        industry: Industry,
        capital: Option<Yen>,
        employees: u32,
    ) -> CompanySize {
        let is_sme = self
            .sme
            .iter()
            .find(|limit| limit.industry == industry)
            .is_some_and(|limit| {
                employees <= limit.max_employees
                    || capital.is_some_and(|capital| capital <= limit.max_capital_yen)
            });
        if is_sme {
            CompanySize::Sme
        } else if employees <= self.midsize_max_employees.value {
            CompanySize::Midsize
        } else {
            CompanySize::Large
        }
    }

    pub fn sme_limit(&self, industry: Industry) -> Option<&SmeLimit> {
        self.sme.iter().find(|limit| limit.industry == industry)
    }
}

/// Who may hold the evidence for one legal path, and who must have granted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalPathRules {
    pub path: LegalPath,
    /// Applicant kinds that may hold it; empty means any.
    pub holder_kinds: Vec<ApplicantKind>,
    pub holder_kinds_source: String,
    /// Texts one of which `granted_by` must contain (市長, 町長 …); empty means not checked.
    pub grantor_markers: Vec<String>,
    pub grantor_source: String,
    pub requires_talent_measures: bool,
    pub talent_measures_source: String,
    /// A holder whose kind is not in `holder_kinds`: refused, or eligible with a warning for
    /// 事務局 review (③'s list ends in 「等」, 004:265).
    pub holder_kind_outside_list: Sourced<OnDeparture>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpenseCategoryRules {
    pub category: ExpenseCategory,
    /// Warn when this category's eligible lines exceed this share of all eligible lines.
    pub warn_above_share_of_eligible: Option<Rate>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationWindow {
    pub opens: NaiveDate,
    pub closes: NaiveDate,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub fiscal_year: FiscalYear,
    /// The budget line (事業名) as published.
    pub name_ja: Sourced<String>,
    /// `2026-` and a hash of the file text: changes whenever a rule changes.
    pub rules_version: String,
    /// The file the rules were read from, as written (a draft of next year's rules starts
    /// from it).
    pub file_text: String,
    /// In the file's order.
    pub frames: Vec<FrameRules>,
    pub rounding_unit_yen: Sourced<Yen>,
    /// At most this many awards per organisation (this one included); `None`: no cap.
    pub award_cap: Option<Sourced<u32>>,
    /// The year's budget (予算額) for the forecast on `/manager`; `None`: not published.
    pub budget_yen: Option<Sourced<Yen>>,
    /// The number of awards the year aims at (成果目標); `None`: none set.
    pub target_awards: Option<Sourced<u32>>,
    pub countable_awards: CountableAwards,
    pub eligible_applicant_kinds: Sourced<Vec<ApplicantKind>>,
    pub size_limits: SizeLimits,
    /// Partner kinds every frame needs (a 市町村).
    pub required_partner_kinds: Sourced<Vec<PartnerKind>>,
    pub legal_paths: Vec<LegalPathRules>,
    pub expense_categories: Vec<ExpenseCategoryRules>,
    /// A change that moves any category by more than this share needs approval (計画変更承認).
    pub change_approval_threshold: Sourced<Rate>,
    pub reports: ReportSchedule,
    /// When filings are due and how a due date on a closed day moves (the `[deadlines]` table).
    pub deadlines: DeadlinePolicy,
    pub application_window: Option<ApplicationWindow>,
    /// The project must lie within the application's fiscal year (a 単年度 budget).
    pub project_within_fiscal_year: Sourced<bool>,
    /// A legal basis that expires before the project ends (DOMAIN.md §8 Q7).
    pub legal_basis_expiring_during_project: Sourced<OnDeparture>,
    pub joint_application_count: Sourced<JointCount>,
}

impl Program {
    pub fn frame(&self, code: Frame) -> Option<&FrameRules> {
        self.frames.iter().find(|frame| frame.code == code)
    }

    pub fn legal_path(&self, path: LegalPath) -> Option<&LegalPathRules> {
        self.legal_paths.iter().find(|rules| rules.path == path)
    }

    pub fn expense_category(&self, category: ExpenseCategory) -> Option<&ExpenseCategoryRules> {
        self.expense_categories
            .iter()
            .find(|rules| rules.category == category)
    }

    pub fn is_eligible_kind(&self, kind: ApplicantKind) -> bool {
        self.eligible_applicant_kinds.value.contains(&kind)
    }

    /// The frame printed as `label` in an award list, compared after NFKC and without blanks,
    /// so that `（単一枠）` and `(単一枠)` agree.
    pub fn frame_for_label(&self, label: &str) -> Option<Frame> {
        let wanted = label_key(label);
        self.frames
            .iter()
            .find(|frame| {
                frame.code.as_str() == label.trim()
                    || label_key(&frame.name_ja) == wanted
                    || frame
                        .printed_labels
                        .iter()
                        .any(|printed| label_key(printed) == wanted)
            })
            .map(|frame| frame.code)
    }
}

fn label_key(label: &str) -> String {
    label.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// Every fiscal year's programme.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgramSet {
    programs: BTreeMap<FiscalYear, Program>,
}

impl ProgramSet {
    /// Fails with the year when two programmes claim the same year.
    pub fn from_programs(programs: Vec<Program>) -> Result<Self, FiscalYear> {
        let mut set = ProgramSet::default();
        for program in programs {
            let year = program.fiscal_year;
            if set.programs.insert(year, program).is_some() {
                return Err(year);
            }
        }
        Ok(set)
    }

    pub fn get(&self, fiscal_year: FiscalYear) -> Option<&Program> {
        self.programs.get(&fiscal_year)
    }

    pub fn latest(&self) -> Option<&Program> {
        self.programs.values().next_back()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Program> {
        self.programs.values()
    }

    /// The frame code of a label printed in an award list for `fiscal_year`.
    pub fn frame_code(&self, fiscal_year: i32, printed_label: &str) -> Option<String> {
        self.get(FiscalYear(fiscal_year))?
            .frame_for_label(printed_label)
            .map(|frame| frame.as_str().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(ordinal: u32, n: u64, d: u64, and_later: bool) -> RateStep {
        RateStep {
            ordinal,
            rate: Rate::new(n, d).expect("valid"),
            and_later,
            certainty: Certainty::Certain,
            source: String::new(),
            note: None,
        }
    }

    fn frame(rates: Vec<RateStep>) -> FrameRules {
        FrameRules {
            code: Frame::LegalLinkage,
            name_ja: "法制度連携枠".into(),
            printed_labels: vec!["法制度連携枠".into()],
            source: String::new(),
            rates,
            cap_yen: Sourced::certain(Yen::new(10_000_000), ""),
            required_partner_kinds: None,
            requires_executive_internship: None,
            legal_basis: None,
        }
    }

    #[test]
    fn rate_steps_apply_to_later_ordinals_only_when_marked() {
        // R7's last step goes on for later awards; R8's does not (the award cap ends them).
        let r7 = frame(vec![
            step(1, 1, 2, false),
            step(2, 1, 2, false),
            step(3, 1, 3, true),
        ]);
        let r8 = frame(vec![
            step(1, 1, 2, false),
            step(2, 1, 2, false),
            step(3, 1, 3, false),
        ]);
        let cases = [
            (&r7, 4, Some("1/3")),
            (&r8, 3, Some("1/3")),
            (&r8, 4, None),
            (&r8, 0, None),
        ];
        for (rules, ordinal, rate) in cases {
            let found = rules.rate_for(ordinal).map(|s| s.rate.to_string());
            assert_eq!(found.as_deref(), rate, "{ordinal}回目");
        }
    }

    #[test]
    fn classifies_company_size_by_capital_or_headcount() {
        let limits = SizeLimits {
            sme: vec![SmeLimit {
                industry: Industry::Retail,
                max_capital_yen: Yen::new(50_000_000),
                max_employees: 50,
            }],
            sme_source: String::new(),
            midsize_max_employees: Sourced::certain(2_000, ""),
        };
        let retail = Industry::Retail;
        assert_eq!(limits.classify(retail, None, 50), CompanySize::Sme);
        assert_eq!(
            limits.classify(retail, Some(Yen::new(50_000_000)), 1_500),
            CompanySize::Sme
        );
        assert_eq!(
            limits.classify(retail, Some(Yen::new(50_000_001)), 51),
            CompanySize::Midsize
        );
        assert_eq!(limits.classify(retail, None, 2_001), CompanySize::Large);
    }

    #[test]
    fn completion_report_is_due_at_the_earlier_date() {
        let schedule = ReportSchedule::thirty_days_or_march_10();
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid");
        // (project end, due): 30 days after the end, or 3月10日 when that comes first, but
        // never before the end itself.
        let cases = [
            (date(2027, 1, 31), date(2027, 3, 2)),
            (date(2027, 2, 28), date(2027, 3, 10)),
            (date(2026, 12, 1), date(2026, 12, 31)),
            (date(2027, 3, 31), date(2027, 3, 31)),
        ];
        for (end, due) in cases {
            assert_eq!(schedule.completion_report_due(end), Some(due), "{end}");
        }
    }
}
