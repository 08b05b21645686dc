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

fn push_rate_certainty<'a>(step: &'a RateStep, findings: &mut Vec<Finding<'a>>) {
    if step.certainty != Certainty::Certain {
        findings.push(Finding {
            code: "rate_interpretation",
            severity: Severity::Info,
            message: match &step.note {
                Some(note) => Message::ValueNote(note),
                None => Message::RateInterpretation {
                    ordinal: step.ordinal,
                    rate: step.rate,
                    certainty: step.certainty,
                },
            },
            source: &step.source,
        });
    }
}

/// An info finding for each value the calculation used that is not certain (an
/// interpretation, or provisional until the 公募要領 is published), in the file's words.
fn push_value_notes<'a>(
    application: &'a Application,
    program: &'a Program,
    rules: &'a FrameRules,
    findings: &mut Vec<Finding<'a>>,
) {
    let joint = application.applicants.len() > 1;
    let used = [
        (
            "provisional_cap",
            Some(&rules.cap_yen.certainty),
            &rules.cap_yen.note,
            &rules.cap_yen.source,
        ),
        (
            "provisional_rounding_unit",
            Some(&program.rounding_unit_yen.certainty),
            &program.rounding_unit_yen.note,
            &program.rounding_unit_yen.source,
        ),
        (
            "joint_count_interpretation",
            joint.then_some(&program.joint_application_count.certainty),
            &program.joint_application_count.note,
            &program.joint_application_count.source,
        ),
    ];
    for (code, certainty, note, source) in used {
        if let (Some(certainty), Some(note)) = (certainty, note)
            && *certainty != Certainty::Certain
        {
            findings.push(Finding {
                code,
                severity: Severity::Info,
                message: Message::ValueNote(note),
                source,
            });
        }
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
            let policy = &program.legal_basis_expiring_during_project;
            findings.push(Finding {
                code: "legal_basis_expires_during_project",
                severity: departure_severity(policy.value),
                message: Message::LegalBasisExpiresDuringProject {
                    valid_until,
                    project_end: application.project_period.end,
                    refused: policy.value == OnDeparture::Refuse,
                },
                source: &policy.source,
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
            let policy = &path_rules.holder_kind_outside_list;
            let refused = policy.value == OnDeparture::Refuse;
            findings.push(Finding {
                // Two codes: a refusal and a case for 事務局 review are handled differently.
                code: if refused {
                    "legal_basis_holder_kind"
                } else {
                    "legal_basis_holder_kind_review"
                },
                severity: departure_severity(policy.value),
                message: Message::HolderKindNotAllowed {
                    holder: &holder.name,
                    kind: holder.kind,
                    path: basis.path,
                    allowed: &path_rules.holder_kinds,
                    refused,
                },
                source: if refused {
                    &path_rules.holder_kinds_source
                } else {
                    &policy.source
                },
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

fn departure_severity(policy: OnDeparture) -> Severity {
    match policy {
        OnDeparture::Refuse => Severity::Error,
        OnDeparture::Review => Severity::Warning,
    }
}

/// Where a project period stands against its application: the days outside the fiscal year
/// (if the year's rule requires a single-year project) and a start before the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectPeriodCheck {
    /// The fiscal year's bounds when the period leaves them.
    pub outside_fiscal_year: Option<(NaiveDate, NaiveDate)>,
    pub starts_before_application: bool,
}

/// The project period's checks, as a pure function of the dates.
pub fn project_period_check(
    fiscal_year: FiscalYear,
    within_fiscal_year: bool,
    application_date: NaiveDate,
    period: ProjectPeriod,
) -> ProjectPeriodCheck {
    let outside_fiscal_year = match (fiscal_year.start(), fiscal_year.end()) {
        (Some(start), Some(end))
            if within_fiscal_year && (period.start < start || period.end > end) =>
        {
            Some((start, end))
        }
        _ => None,
    };
    ProjectPeriodCheck {
        outside_fiscal_year,
        starts_before_application: period.start < application_date,
    }
}

fn check_project_period<'a>(
    application: &'a Application,
    program: &'a Program,
    findings: &mut Vec<Finding<'a>>,
) {
    let rule = &program.project_within_fiscal_year;
    let check = project_period_check(
        application.fiscal_year,
        rule.value,
        application.application_date,
        application.project_period,
    );
    if let Some((year_start, year_end)) = check.outside_fiscal_year {
        findings.push(Finding {
            code: "project_outside_fiscal_year",
            severity: Severity::Error,
            message: Message::ProjectOutsideFiscalYear {
                fiscal_year: application.fiscal_year,
                start: application.project_period.start,
                end: application.project_period.end,
                year_start,
                year_end,
            },
            source: &rule.source,
        });
    }
    if check.starts_before_application {
        findings.push(Finding {
            code: "project_starts_before_application",
            severity: Severity::Warning,
            message: Message::ProjectStartsBeforeApplication {
                start: application.project_period.start,
                application_date: application.application_date,
            },
            source: &rule.source,
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

/// At most this many similar organisations are named for one applicant.
const SIMILAR_ORGANISATIONS_NAMED: usize = 3;

/// Awarded organisations whose name is close to `applicant`'s (which matches none): those the
/// alias table marks as possibly printed for this name, then those the import's review test
/// finds alike ([`names_look_alike`]). In id order, at most [`SIMILAR_ORGANISATIONS_NAMED`].
pub fn similar_awarded_organisations(
    ledger: &Ledger,
    name: &str,
    name_key: &str,
) -> Vec<OrganisationId> {
    let wanted = normalise(name);
    let mut found: Vec<OrganisationId> = ledger.possibly_named(name_key).to_vec();
    let mut alike: Vec<OrganisationId> = ledger
        .names()
        .filter(|(_, known)| names_look_alike(&wanted, known))
        .map(|(id, _)| id)
        .collect();
    alike.sort();
    for id in alike {
        if !found.contains(&id) {
            found.push(id);
        }
    }
    found.retain(|id| !ledger.awards_of(*id).is_empty());
    found.truncate(SIMILAR_ORGANISATIONS_NAMED);
    found
}

/// A warning for each awarded organisation close to an unmatched applicant's name, with what
/// its award count would make this application: never merged, never refused, for 事務局 review.
fn push_similar_organisations<'a>(
    application: &'a Application,
    applicant: &'a Applicant,
    ledger: &'a Ledger,
    program: &'a Program,
    frame: Frame,
    findings: &mut Vec<Finding<'a>>,
) {
    let countable = &program.countable_awards;
    for id in similar_awarded_organisations(ledger, &applicant.name, &applicant.name_key) {
        let awards = ledger.awards_of(id);
        let Some(latest) = awards
            .iter()
            .max_by_key(|recorded| recorded.award.fiscal_year)
        else {
            continue;
        };
        let prior = awards
            .iter()
            .filter(|recorded| {
                countable.counts_frame(recorded.award.fiscal_year, recorded.frame())
                    && (recorded.award.from_application
                        || !is_own_award(
                            application.fiscal_year,
                            frame,
                            recorded.award.fiscal_year,
                            recorded.frame(),
                        ))
            })
            .count();
        let ordinal = u32::try_from(prior).unwrap_or(u32::MAX).saturating_add(1);
        let over_cap = program
            .award_cap
            .as_ref()
            .map(|cap| cap.value)
            .filter(|cap| ordinal > *cap);
        let rate = program
            .frame(frame)
            .and_then(|rules| rules.rate_for(ordinal))
            .map(|step| step.rate);
        findings.push(Finding {
            code: "similar_awarded_organisation",
            severity: Severity::Warning,
            message: Message::SimilarAwardedOrganisation {
                name: &applicant.name,
                candidate: &latest.award.listed_as,
                ordinal,
                rate,
                over_cap,
            },
            source: SOURCE_COUNT_RULE,
        });
    }
}

/// Whether a recorded award of `fiscal_year` under `frame` is this application itself (or a
/// duplicate of it): an award of the application's own fiscal year in the frame being
/// evaluated. Replaying a past year must not count the award that year's decision produced;
/// an award of the same year in another frame is a different award and still counts (R8's
/// rule counts 「令和8年度の本事業」 awards of either frame, 004:134).
pub fn is_own_award(
    application_year: FiscalYear,
    evaluated_frame: Frame,
    award_year: i32,
    award_frame: Option<Frame>,
) -> bool {
    award_year == application_year.0 && award_frame == Some(evaluated_frame)
}

/// Counts each applicant's countable past awards (ledger plus the request's history) and
/// takes the largest: the award ordinal is one more than that. An award of the application's
/// own year and frame is not a prior award ([`is_own_award`]); it is reported, not counted.
fn count_prior_awards<'a>(
    application: &'a Application,
    ledger: &'a Ledger,
    program: &'a Program,
    frame: Frame,
    findings: &mut Vec<Finding<'a>>,
) -> PriorCount<'a> {
    let countable = &program.countable_awards;
    let own = |recorded: &RecordedAward| {
        !recorded.award.from_application
            && is_own_award(
                application.fiscal_year,
                frame,
                recorded.award.fiscal_year,
                recorded.frame(),
            )
    };
    let counts = |recorded: &RecordedAward| {
        countable.counts_frame(recorded.award.fiscal_year, recorded.frame()) && !own(recorded)
    };
    let mut result = PriorCount {
        prior: 0,
        awards: Vec::new(),
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
        if candidates.is_empty() {
            push_similar_organisations(application, applicant, ledger, program, frame, findings);
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
        for recorded in ledger_awards.iter().filter(|recorded| own(recorded)) {
            findings.push(Finding {
                code: "same_year_award_not_counted",
                severity: Severity::Info,
                message: Message::SameYearAwardNotCounted {
                    listed_as: &recorded.award.listed_as,
                    award_id: &recorded.award.award_id,
                    fiscal_year: application.fiscal_year,
                    frame,
                },
                source: SOURCE_COUNT_RULE,
            });
        }
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
            });
        }
        for entry in application
            .history
            .iter()
            .filter(|entry| entry.name_key == applicant.name_key)
        {
            let own_entry = is_own_award(
                application.fiscal_year,
                frame,
                entry.fiscal_year.0,
                Some(entry.frame),
            );
            let frame = entry.frame.as_str();
            let already_in_ledger = ledger_awards.iter().any(|recorded| {
                recorded.award.fiscal_year == entry.fiscal_year.0 && recorded.award.frame == frame
            });
            if already_in_ledger || own_entry || !countable.counts(entry.fiscal_year.0, frame) {
                continue;
            }
            count = count.saturating_add(1);
            result.awards.push(PriorAward {
                award_id: &entry.award_id,
                fiscal_year: entry.fiscal_year.0,
                frame,
                listed_as: &entry.name,
                applicant: &applicant.name,
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
