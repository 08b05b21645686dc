//! The decision of the evaluation contract (DESIGN.md, "The evaluation contract"):
//! [`evaluate`] turns an [`Application`] (built by `contract` from a valid request, so it
//! exists only when every field is valid), the award ledger and the year's [`Program`] into a
//! [`Decision`].
//!
//! `evaluate` is on the hot path of bulk runs: it borrows everything it reports from its
//! inputs, and finding messages are formatted only when serialised.

use std::borrow::Cow;

use chrono::NaiveDate;
use serde::Serialize;

use super::calendar::FiscalYear;
use super::codes::{
    ActivityCategory, ApplicantKind, ApplicantRole, ExpenseCategory, Frame, FundingSource,
    Industry, LegalPath, PartnerKind,
};
use super::corporate_number::CorporateNumber;
use super::ledger::{Ledger, OrganisationId, RecordedAward};
pub use super::message::Message;
use super::money::{Rate, Yen, calculate_subsidy};
use super::names::normalise;
use super::program::{
    Certainty, CompanySize, FrameRules, OnDeparture, Program, ProgramSet, RateStep,
};
use super::reconcile::names_look_alike;
use super::validation::{ErrorCode, FieldErrors};

/// The largest single amount accepted (1兆円): far above any grant, and small enough that no
/// realistic number of lines can overflow a sum.
pub const MAX_AMOUNT_YEN: i64 = 1_000_000_000_000;

mod applicants;
mod awards;
pub use awards::{
    AMBIGUOUS_ORGANISATION, AWARD_CAP_EXCEEDED, SIMILAR_AWARDED_ORGANISATION, closed_by_award_cap,
};

/// The finding that the holder of the legal basis is of a kind the programme sends to the
/// 事務局's review rather than refusing.
pub const LEGAL_BASIS_HOLDER_KIND_REVIEW: &str = "legal_basis_holder_kind_review";

/// Findings that send an application to the 事務局's review without refusing it, each with
/// what the 事務局 looks at.
pub const REVIEW_FINDINGS: &[(&str, &str)] = &[
    (SIMILAR_AWARDED_ORGANISATION, "採択を受けた団体と似た名称"),
    (LEGAL_BASIS_HOLDER_KIND_REVIEW, "承認等を受けた者の種別"),
];
mod expenses;
mod legal_basis;
mod notes;
mod period;

use applicants::*;
use awards::*;
use expenses::*;
use legal_basis::*;
use notes::*;
use period::*;

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
    /// The totals of the application's budget lines, by activity, category and source.
    pub fn of(activities: &[Activity<'a>]) -> Self {
        let mut category_totals = [(Yen::ZERO, Yen::ZERO, false); ExpenseCategory::ALL.len()];
        let mut source_totals = [(Yen::ZERO, false); FundingSource::ALL.len()];
        let mut summary = BudgetSummary {
            by_activity: Vec::with_capacity(activities.len()),
            ..BudgetSummary::default()
        };
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
// The decision
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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

/// A figure of the decision that a finding may qualify (a value that is not certain, or a
/// count that may be another organisation's), so that pages show the note beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    AwardOrdinal,
    Rate,
    Cap,
    Subsidy,
}

impl Figure {
    /// The figure a finding of `code` qualifies, if any.
    pub fn qualified_by(code: &str) -> Option<Figure> {
        match code {
            "joint_count_interpretation" | SIMILAR_AWARDED_ORGANISATION => {
                Some(Figure::AwardOrdinal)
            }
            "rate_interpretation" => Some(Figure::Rate),
            "provisional_cap" => Some(Figure::Cap),
            "provisional_rounding_unit" => Some(Figure::Subsidy),
            _ => None,
        }
    }
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
    // A decision has about six findings: one allocation instead of three as the list grows.
    let mut findings = Vec::with_capacity(8);
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
    check_project_period(application, program, &mut findings);
    if let Some(frame_rules) = frame_rules {
        check_partners_and_activities(application, program, frame_rules, &mut findings);
        check_legal_basis(application, program, frame_rules, &mut findings);
    }
    check_expenses(application, program, &mut findings);

    let count = count_prior_awards(application, ledger, program, frame, &mut findings);
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
            code: awards::AWARD_CAP_EXCEEDED,
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
            push_value_notes(application, program, rules, &mut findings);
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
