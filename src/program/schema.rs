//! The TOML shape of a programme file and its conversion into `domain::program::Program`.
//! Every struct denies unknown keys; the conversion checks what serde cannot and names the key.

use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;

use crate::domain::calendar::FiscalYear;
use crate::domain::codes::{
    ApplicantKind, ExpenseCategory, Frame, Industry, LegalPath, PartnerKind,
};
use crate::domain::deadlines::DeadlinePolicy;
use crate::domain::money::{Rate, Yen};
use crate::domain::program::{
    ApplicationWindow, Certainty, CountableAwards, ExpenseCategoryRules, FrameRules, FrameSet,
    JointCount, LegalBasisRequirement, LegalPathRules, OnDeparture, Program, RateStep,
    ReportSchedule, SizeLimits, SmeLimit, Sourced,
};

/// A failed check: the key and what is wrong with it.
type RuleError = (String, String);

fn rule_error(key: impl Into<String>, message: impl Into<String>) -> RuleError {
    (key.into(), message.into())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSourced<T> {
    value: T,
    source: String,
    certainty: Certainty,
    /// In Japanese, for the people who read the value; required unless it is certain.
    note: Option<String>,
}

impl<T> RawSourced<T> {
    fn check(self, key: &str) -> Result<Sourced<T>, RuleError> {
        Ok(Sourced {
            value: self.value,
            source: checked_source(self.source, key)?,
            note: checked_note(self.note, self.certainty, key)?,
            certainty: self.certainty,
        })
    }
}

/// A value that is not certain says why, in Japanese.
fn checked_note(
    note: Option<String>,
    certainty: Certainty,
    key: &str,
) -> Result<Option<String>, RuleError> {
    let note = note.filter(|note| !note.trim().is_empty());
    if note.is_none() && certainty != Certainty::Certain {
        return Err(rule_error(
            key,
            "確定していない値（certainty が certain 以外）には、その理由を日本語で書いた `note` が必要です",
        ));
    }
    if let Some(text) = &note
        && !text.chars().any(|c| {
            ('\u{3040}'..='\u{30ff}').contains(&c) || ('\u{4e00}'..='\u{9fff}').contains(&c)
        })
    {
        return Err(rule_error(key, "`note` は日本語で書いてください"));
    }
    Ok(note)
}

fn checked_source(source: String, key: &str) -> Result<String, RuleError> {
    if source.trim().is_empty() {
        Err(rule_error(
            key,
            "すべての値に出典 `source`（資料のファイル名:行、または URL）が必要です",
        ))
    } else {
        Ok(source)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProgram {
    fiscal_year: i32,
    name_ja: RawSourced<String>,
    rounding_unit_yen: RawSourced<i64>,
    award_cap: Option<RawSourced<u32>>,
    budget_yen: Option<RawSourced<i64>>,
    target_awards: Option<RawSourced<u32>>,
    change_approval_threshold: RawRate,
    eligible_applicant_kinds: RawSourced<Vec<ApplicantKind>>,
    required_partner_kinds: RawSourced<Vec<PartnerKind>>,
    countable_awards: RawCountable,
    size_limits: RawSizeLimits,
    application_window: Option<RawWindow>,
    project_within_fiscal_year: RawSourced<bool>,
    legal_basis_expiring_during_project: RawSourced<OnDeparture>,
    joint_application_count: RawSourced<JointCount>,
    reports: RawReports,
    /// Optional: without it the defaults of `DeadlinePolicy` apply.
    deadlines: Option<RawDeadlines>,
    frames: Vec<RawFrame>,
    legal_paths: Vec<RawLegalPath>,
    expense_categories: Vec<RawExpenseCategory>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRate {
    numerator: u64,
    denominator: u64,
    source: String,
    certainty: Certainty,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCountable {
    source: String,
    years: Vec<RawCountableYear>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCountableYear {
    fiscal_year: i32,
    frames: Vec<Frame>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSizeLimits {
    sme_source: String,
    sme: Vec<RawSmeLimit>,
    midsize_max_employees: RawSourced<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmeLimit {
    industry: Industry,
    max_capital_yen: i64,
    max_employees: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    opens: String,
    closes: String,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReports {
    completion_days_after_end: u32,
    /// `MM-DD` in January–March, at the end of the project's fiscal year.
    completion_latest: String,
    completion_source: String,
    interim_reports: u32,
    interim_source: String,
}

/// When filings are due: the closing time, the roll-forward over closed days, and the days
/// each kind of answer is given.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadlines {
    /// `HH:MM`, Japan time.
    close_time: RawSourced<String>,
    roll_forward: RawSourced<bool>,
    correction_answer_days: RawSourced<u64>,
    grant_request_days: RawSourced<u64>,
    survey_answer_days: RawSourced<u64>,
}

impl RawDeadlines {
    fn check(self) -> Result<DeadlinePolicy, RuleError> {
        let close_time = self.close_time.check("deadlines.close_time")?.value;
        let close_time = NaiveTime::parse_from_str(&close_time, "%H:%M").map_err(|_| {
            rule_error(
                "deadlines.close_time",
                "時刻は HH:MM の形で書いてください（例: 17:00）",
            )
        })?;
        let days = |raw: RawSourced<u64>, key: &str| -> Result<u64, RuleError> {
            let value = raw.check(key)?.value;
            if (1..=365).contains(&value) {
                Ok(value)
            } else {
                Err(rule_error(key, "日数は 1〜365 日にしてください"))
            }
        };
        Ok(DeadlinePolicy {
            close_time,
            roll_forward: self.roll_forward.check("deadlines.roll_forward")?.value,
            correction_answer_days: days(
                self.correction_answer_days,
                "deadlines.correction_answer_days",
            )?,
            grant_request_days: days(self.grant_request_days, "deadlines.grant_request_days")?,
            survey_answer_days: days(self.survey_answer_days, "deadlines.survey_answer_days")?,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrame {
    code: Frame,
    name_ja: String,
    printed_labels: Vec<String>,
    /// Where the frame, its name and its printed labels come from.
    source: String,
    cap_yen: RawSourced<i64>,
    rates: Vec<RawRateStep>,
    required_partner_kinds: Option<RawSourced<Vec<PartnerKind>>>,
    requires_executive_internship: Option<RawSourced<bool>>,
    legal_basis: Option<RawLegalBasis>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateStep {
    ordinal: u32,
    numerator: u64,
    denominator: u64,
    #[serde(default)]
    and_later: bool,
    certainty: Certainty,
    source: String,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLegalBasis {
    paths: Vec<LegalPath>,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLegalPath {
    path: LegalPath,
    holder_kinds: RawSourced<Vec<ApplicantKind>>,
    grantor_markers: RawSourced<Vec<String>>,
    requires_talent_measures: RawSourced<bool>,
    holder_kind_outside_list: RawSourced<OnDeparture>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpenseCategory {
    category: ExpenseCategory,
    warn_above_share_of_eligible: Option<RawShare>,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShare {
    numerator: u64,
    denominator: u64,
}

fn rate(numerator: u64, denominator: u64, key: &str) -> Result<Rate, RuleError> {
    Rate::new(numerator, denominator).map_err(|_| {
        rule_error(
            key,
            format!("補助率 {numerator}/{denominator} は 0 より大きく 1 以下にしてください"),
        )
    })
}

fn date(text: &str, key: &str) -> Result<NaiveDate, RuleError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| rule_error(key, format!("「{text}」は日付（YYYY-MM-DD）ではありません")))
}

fn amount(value: i64, key: &str) -> Result<Yen, RuleError> {
    Yen::non_negative(value).map_err(|_| rule_error(key, "金額に負の値は使えません"))
}

impl RawProgram {
    pub fn into_program(self, text_hash: u64) -> Result<Program, RuleError> {
        let fiscal_year = FiscalYear(self.fiscal_year);
        if !(2000..=2100).contains(&self.fiscal_year) {
            return Err(rule_error(
                "fiscal_year",
                "年度は4月の属する西暦年で書いてください（令和8年度 = 2026）",
            ));
        }
        let rounding_unit_yen = self.rounding_unit_yen.check("rounding_unit_yen")?;
        if rounding_unit_yen.value <= 0 {
            return Err(rule_error(
                "rounding_unit_yen",
                "端数処理の単位は 1 円以上にしてください",
            ));
        }
        let rounding_unit_yen = rounding_unit_yen.map(Yen::new);
        let award_cap = self
            .award_cap
            .map(|cap| cap.check("award_cap"))
            .transpose()?;
        if award_cap.as_ref().is_some_and(|cap| cap.value == 0) {
            return Err(rule_error(
                "award_cap",
                "採択回数の上限は 1 回以上にしてください",
            ));
        }
        let budget_yen = self
            .budget_yen
            .map(|budget| budget.check("budget_yen"))
            .transpose()?;
        if budget_yen.as_ref().is_some_and(|budget| budget.value <= 0) {
            return Err(rule_error("budget_yen", "予算額は 1 円以上にしてください"));
        }
        let budget_yen = budget_yen.map(|budget| budget.map(Yen::new));
        let target_awards = self
            .target_awards
            .map(|target| target.check("target_awards"))
            .transpose()?;
        if target_awards
            .as_ref()
            .is_some_and(|target| target.value == 0)
        {
            return Err(rule_error(
                "target_awards",
                "採択件数の目標は 1 件以上にしてください",
            ));
        }
        let threshold = self.change_approval_threshold;
        let change_approval_threshold = Sourced {
            value: rate(
                threshold.numerator,
                threshold.denominator,
                "change_approval_threshold",
            )?,
            source: checked_source(threshold.source, "change_approval_threshold")?,
            note: checked_note(
                threshold.note,
                threshold.certainty,
                "change_approval_threshold",
            )?,
            certainty: threshold.certainty,
        };

        let frames = self
            .frames
            .into_iter()
            .map(|frame| frame.into_rules(award_cap.as_ref().map(|cap| cap.value)))
            .collect::<Result<Vec<_>, _>>()?;
        if frames.is_empty() {
            return Err(rule_error(
                "frames",
                "枠（frames）を 1 つ以上定義してください",
            ));
        }
        for (index, frame) in frames.iter().enumerate() {
            if frames[..index].iter().any(|other| other.code == frame.code) {
                return Err(rule_error(
                    format!("frames[{}]", frame.code),
                    "同じ枠が 2 回定義されています",
                ));
            }
        }

        let legal_paths = self
            .legal_paths
            .into_iter()
            .map(RawLegalPath::into_rules)
            .collect::<Result<Vec<_>, _>>()?;
        for (index, path) in legal_paths.iter().enumerate() {
            if legal_paths[..index]
                .iter()
                .any(|other| other.path == path.path)
            {
                return Err(rule_error(
                    format!("legal_paths[{}]", path.path),
                    "同じ法制度が 2 回定義されています",
                ));
            }
        }
        for frame in &frames {
            for path in frame.legal_basis.iter().flat_map(|basis| &basis.paths) {
                if !legal_paths.iter().any(|rules| rules.path == *path) {
                    return Err(rule_error(
                        format!("frames[{}].legal_basis.paths", frame.code),
                        format!("法制度「{path}」の [[legal_paths]] がありません"),
                    ));
                }
            }
        }

        let mut expense_categories: Vec<ExpenseCategoryRules> = Vec::new();
        for raw in self.expense_categories {
            let key = format!("expense_categories[{}]", raw.category);
            if expense_categories
                .iter()
                .any(|rules| rules.category == raw.category)
            {
                return Err(rule_error(key, "同じ経費区分が 2 回定義されています"));
            }
            let warn_above_share_of_eligible = raw
                .warn_above_share_of_eligible
                .map(|share| rate(share.numerator, share.denominator, &key))
                .transpose()?;
            expense_categories.push(ExpenseCategoryRules {
                category: raw.category,
                warn_above_share_of_eligible,
                source: checked_source(raw.source, &key)?,
            });
        }

        let countable_source = checked_source(self.countable_awards.source, "countable_awards")?;
        let mut countable_years: Vec<(FiscalYear, FrameSet)> = Vec::new();
        for year in self.countable_awards.years {
            if countable_years
                .iter()
                .any(|(seen, _)| seen.0 == year.fiscal_year)
            {
                return Err(rule_error(
                    format!("countable_awards.years[{}]", year.fiscal_year),
                    "同じ年度が 2 回書かれています",
                ));
            }
            countable_years.push((
                FiscalYear(year.fiscal_year),
                year.frames.into_iter().collect(),
            ));
        }
        countable_years.sort_by_key(|(year, _)| *year);

        let size = self.size_limits;
        let mut sme = Vec::new();
        for limit in size.sme {
            let key = format!("size_limits.sme[{}]", limit.industry);
            if sme
                .iter()
                .any(|seen: &SmeLimit| seen.industry == limit.industry)
            {
                return Err(rule_error(key, "同じ業種が 2 回書かれています"));
            }
            sme.push(SmeLimit {
                industry: limit.industry,
                max_capital_yen: amount(limit.max_capital_yen, &key)?,
                max_employees: limit.max_employees,
            });
        }
        if let Some(missing) = Industry::ALL
            .iter()
            .find(|industry| !sme.iter().any(|limit| limit.industry == **industry))
        {
            return Err(rule_error(
                "size_limits.sme",
                format!("業種「{missing}」の規模の上限がありません"),
            ));
        }
        let size_limits = SizeLimits {
            sme,
            sme_source: checked_source(size.sme_source, "size_limits.sme_source")?,
            midsize_max_employees: size
                .midsize_max_employees
                .check("size_limits.midsize_max_employees")?,
        };

        let application_window = self
            .application_window
            .map(|window| {
                let opens = date(&window.opens, "application_window.opens")?;
                let closes = date(&window.closes, "application_window.closes")?;
                if closes < opens {
                    return Err(rule_error(
                        "application_window",
                        "公募の締切が開始より前になっています",
                    ));
                }
                Ok(ApplicationWindow {
                    opens,
                    closes,
                    source: checked_source(window.source, "application_window")?,
                })
            })
            .transpose()?;

        let reports = self.reports;
        let (month, day) = reports
            .completion_latest
            .split_once('-')
            .and_then(|(month, day)| Some((month.parse::<u32>().ok()?, day.parse::<u32>().ok()?)))
            .filter(|(month, day)| {
                (1..=3).contains(month) && NaiveDate::from_ymd_opt(2027, *month, *day).is_some()
            })
            .ok_or_else(|| {
                rule_error(
                    "reports.completion_latest",
                    "1〜3月の日付を MM-DD の形で書いてください（例: 03-10）",
                )
            })?;
        let reports = ReportSchedule {
            completion_days_after_end: reports.completion_days_after_end,
            completion_latest_month: month,
            completion_latest_day: day,
            completion_source: checked_source(reports.completion_source, "reports.completion")?,
            interim_reports: reports.interim_reports,
            interim_source: checked_source(reports.interim_source, "reports.interim")?,
        };

        Ok(Program {
            fiscal_year,
            name_ja: self.name_ja.check("name_ja")?,
            rules_version: format!("{}-{text_hash:016x}", self.fiscal_year),
            file_text: String::new(),
            frames,
            rounding_unit_yen,
            award_cap,
            budget_yen,
            target_awards,
            countable_awards: CountableAwards {
                years: countable_years,
                source: countable_source,
            },
            eligible_applicant_kinds: self
                .eligible_applicant_kinds
                .check("eligible_applicant_kinds")?,
            size_limits,
            required_partner_kinds: self
                .required_partner_kinds
                .check("required_partner_kinds")?,
            legal_paths,
            expense_categories,
            change_approval_threshold,
            reports,
            application_window,
            project_within_fiscal_year: self
                .project_within_fiscal_year
                .check("project_within_fiscal_year")?,
            legal_basis_expiring_during_project: self
                .legal_basis_expiring_during_project
                .check("legal_basis_expiring_during_project")?,
            joint_application_count: self
                .joint_application_count
                .check("joint_application_count")?,
            deadlines: match self.deadlines {
                Some(raw) => raw.check()?,
                None => DeadlinePolicy::default(),
            },
        })
    }
}

impl RawFrame {
    fn into_rules(self, award_cap: Option<u32>) -> Result<FrameRules, RuleError> {
        let key = format!("frames[{}]", self.code);
        let cap = self.cap_yen.check(&format!("{key}.cap_yen"))?;
        let cap_value = amount(cap.value, &format!("{key}.cap_yen"))?;
        let cap_yen = cap.map(|_| cap_value);
        let mut rates: Vec<RateStep> = Vec::new();
        for step in self.rates {
            let step_key = format!("{key}.rates[ordinal={}]", step.ordinal);
            if step.ordinal == 0 {
                return Err(rule_error(step_key, "採択回数は 1 から数えます"));
            }
            if rates.iter().any(|seen| seen.ordinal == step.ordinal) {
                return Err(rule_error(step_key, "同じ採択回数が 2 回書かれています"));
            }
            rates.push(RateStep {
                ordinal: step.ordinal,
                rate: rate(step.numerator, step.denominator, &step_key)?,
                and_later: step.and_later,
                note: checked_note(step.note, step.certainty, &step_key)?,
                certainty: step.certainty,
                source: checked_source(step.source, &step_key)?,
            });
        }
        rates.sort_by_key(|step| step.ordinal);
        let rules = FrameRules {
            code: self.code,
            name_ja: self.name_ja,
            printed_labels: self.printed_labels,
            source: checked_source(self.source, &key)?,
            rates,
            cap_yen,
            required_partner_kinds: self
                .required_partner_kinds
                .map(|kinds| kinds.check(&format!("{key}.required_partner_kinds")))
                .transpose()?,
            requires_executive_internship: self
                .requires_executive_internship
                .map(|required| required.check(&format!("{key}.requires_executive_internship")))
                .transpose()?,
            legal_basis: self
                .legal_basis
                .map(|basis| {
                    Ok::<_, RuleError>(LegalBasisRequirement {
                        paths: basis.paths,
                        source: checked_source(basis.source, &format!("{key}.legal_basis"))?,
                    })
                })
                .transpose()?,
        };
        // Every ordinal an award may have needs a rate: 1..=cap, or, without a cap, every
        // ordinal at all (so the last step must apply "and later").
        let last_needed = award_cap.unwrap_or(1);
        if let Some(missing) = (1..=last_needed).find(|ordinal| rules.rate_for(*ordinal).is_none())
        {
            return Err(rule_error(
                format!("{key}.rates"),
                format!("{missing}回目の採択の補助率がありません"),
            ));
        }
        if award_cap.is_none() && !rules.rates.last().is_some_and(|step| step.and_later) {
            return Err(rule_error(
                format!("{key}.rates"),
                "採択回数の上限がないときは、最後の補助率に `and_later = true` が必要です",
            ));
        }
        Ok(rules)
    }
}

impl RawLegalPath {
    fn into_rules(self) -> Result<LegalPathRules, RuleError> {
        let key = format!("legal_paths[{}]", self.path);
        let holder_kinds = self.holder_kinds.check(&format!("{key}.holder_kinds"))?;
        let grantor_markers = self
            .grantor_markers
            .check(&format!("{key}.grantor_markers"))?;
        let talent = self
            .requires_talent_measures
            .check(&format!("{key}.requires_talent_measures"))?;
        Ok(LegalPathRules {
            path: self.path,
            holder_kinds: holder_kinds.value,
            holder_kinds_source: holder_kinds.source,
            grantor_markers: grantor_markers.value,
            grantor_source: grantor_markers.source,
            requires_talent_measures: talent.value,
            talent_measures_source: talent.source,
            holder_kind_outside_list: self
                .holder_kind_outside_list
                .check(&format!("{key}.holder_kind_outside_list"))?,
        })
    }
}
