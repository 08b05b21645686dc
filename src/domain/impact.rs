//! The impact of a draft year's rules: two decisions of the same application (one under the
//! rules in force, one under the draft), compared figure by figure, and the totals a 事務局
//! weighs (subsidy by frame and by award ordinal, organisations at or one short of the award
//! cap, the expected total against the year's budget). Both decisions come from
//! [`super::evaluation::evaluate`]; nothing here computes a figure of its own.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::codes::{ApplicantRole, Frame, Industry};
use super::corporate_number::CorporateNumber;
use super::evaluation::{
    Applicant, Application, BudgetSummary, Decision, ProjectPeriod, Severity, evaluate,
};
use super::ledger::{Ledger, OrganisationId};
use super::money::{Rate, Yen};
use super::names::org_key;
use super::program::Program;

/// A year's rules in force and a draft of the same year's rules.
#[derive(Clone, Copy, Debug)]
pub struct RuleSets<'p> {
    pub base: &'p Program,
    pub draft: &'p Program,
}

impl<'p> RuleSets<'p> {
    /// `None` when the two are not rules of the same fiscal year.
    pub fn new(base: &'p Program, draft: &'p Program) -> Option<RuleSets<'p>> {
        (base.fiscal_year == draft.fiscal_year).then_some(RuleSets { base, draft })
    }

    /// Evaluates `application` under both and records the two decisions in `report`.
    pub fn compare(
        self,
        application: &Application<'_>,
        ledger: &Ledger,
        report: &mut ImpactReport,
        describe: impl FnOnce() -> (String, String),
    ) {
        let base = evaluate(application, ledger, self.base);
        let draft = evaluate(application, ledger, self.draft);
        report.record((&base, self.base), (&draft, self.draft), describe);
        if let Some(lead) = lead_of(application) {
            let number = lead.corporate_number.as_ref().map(CorporateNumber::as_str);
            report
                .applied
                .extend(ledger.find(number, &lead.name_key).iter().copied());
        }
    }

    /// Every organisation of the ledger with an award that is not among `report`'s
    /// applicants, as if it applied again in the year (in the frame of its latest award, when
    /// the year has it): its award ordinal, rate and standing against the award cap under both
    /// rules. The ledger holds no budgets, so no subsidy is computed for them.
    pub fn ledger_outlook(self, ledger: &Ledger, report: &ImpactReport) -> LedgerOutlook {
        let mut outlook = LedgerOutlook::default();
        let Some(first_frame) = self.base.frames.first().map(|frame| frame.code) else {
            return outlook;
        };
        for (id, awards) in ledger.organisations_with_awards() {
            if report.applied.contains(&id) {
                continue;
            }
            let Some(latest) = awards
                .iter()
                .max_by_key(|recorded| recorded.award.fiscal_year)
            else {
                continue;
            };
            let frame = latest
                .frame()
                .filter(|frame| self.base.frame(*frame).is_some())
                .unwrap_or(first_frame);
            let application = reapplication(self.base, &latest.award.listed_as, frame);
            let base = evaluate(&application, ledger, self.base);
            let draft = evaluate(&application, ledger, self.draft);
            let (base_outcome, draft_outcome) = (
                Outcome::of(&base, self.base),
                Outcome::of(&draft, self.draft),
            );
            outlook.evaluated += 1;
            outlook.award_cap.base.add(&base_outcome);
            outlook.award_cap.draft.add(&draft_outcome);
            let changes = Changes {
                // Without a budget neither side is eligible: only the count's figures move.
                eligibility: false,
                cap: false,
                subsidy: false,
                ..Changes::between(&base_outcome, &draft_outcome)
            };
            if changes.any() {
                outlook.changed.push(ChangedApplication {
                    label: latest.award.listed_as.clone(),
                    organisation: latest.award.listed_as.clone(),
                    subsidy_difference: Yen::ZERO,
                    base_findings: count_findings(&base),
                    draft_findings: count_findings(&draft),
                    base: base_outcome,
                    draft: draft_outcome,
                    changes,
                });
            }
        }
        outlook
    }
}

/// The lead applicant (代表申請者).
fn lead_of<'a>(application: &'a Application<'_>) -> Option<&'a Applicant<'a>> {
    application
        .applicants
        .iter()
        .find(|applicant| applicant.role == ApplicantRole::Lead)
}

/// A ledger organisation applying again alone, with nothing but who it is: enough for the
/// award count, the rate and the award cap (the rest of the application is unknown).
fn reapplication<'a>(program: &Program, name: &'a str, frame: Frame) -> Application<'a> {
    let year = program.fiscal_year.0;
    let date = |year, month, day| NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default();
    Application {
        fiscal_year: program.fiscal_year,
        frame,
        application_date: program
            .application_window
            .as_ref()
            .map_or(date(year, 4, 1), |window| window.opens),
        applicants: vec![Applicant {
            name: Cow::Borrowed(name),
            name_key: org_key(name),
            corporate_number: None,
            kind: program
                .eligible_applicant_kinds
                .value
                .first()
                .copied()
                .unwrap_or(super::codes::ApplicantKind::GeneralIncorporatedAssociation),
            employees: 1,
            capital_yen: None,
            industry: Industry::Other,
            role: ApplicantRole::Lead,
        }],
        partners: Vec::new(),
        legal_basis: None,
        project_period: ProjectPeriod {
            start: date(year, 7, 1),
            end: date(year + 1, 2, 28),
        },
        activities: Vec::new(),
        history: Vec::new(),
        budget: BudgetSummary::default(),
    }
}

/// The findings of the award count only: for an organisation that has not applied, the rest
/// would be about an application that does not exist.
fn count_findings(decision: &Decision<'_>) -> Vec<FindingText> {
    use super::evaluation::{AMBIGUOUS_ORGANISATION, AWARD_CAP_EXCEEDED};
    const COUNT_CODES: &[&str] = &[AWARD_CAP_EXCEEDED, AMBIGUOUS_ORGANISATION];
    findings_of(decision)
        .into_iter()
        .filter(|finding| COUNT_CODES.contains(&finding.code))
        .collect()
}

/// The organisations of the award ledger that did not apply, as if they applied again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LedgerOutlook {
    pub evaluated: u64,
    /// Those whose award ordinal, rate or standing against the award cap changes.
    pub changed: Vec<ChangedApplication>,
    pub award_cap: SideBySide<CapCounts>,
}

/// The name of the application's lead applicant (代表申請者).
pub fn lead_name(application: &Application<'_>) -> String {
    lead_of(application)
        .map(|applicant| applicant.name.to_string())
        .unwrap_or_default()
}

/// The figures of one decision that a rule change can move.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub frame: Frame,
    pub eligible: bool,
    pub award_ordinal: u32,
    pub rate: Option<Rate>,
    pub cap_yen: Yen,
    pub subsidy_yen: Yen,
    /// The award cap of the rules (`None`: no cap).
    pub award_cap: Option<u32>,
}

impl Outcome {
    pub fn of(decision: &Decision<'_>, program: &Program) -> Outcome {
        Outcome {
            frame: decision.frame,
            eligible: decision.eligible,
            award_ordinal: decision.award_ordinal,
            rate: decision.rate,
            cap_yen: decision.cap_yen,
            subsidy_yen: decision.subsidy_yen,
            award_cap: program.award_cap.as_ref().map(|cap| cap.value),
        }
    }

    /// Where the organisation stands against the award cap with this application.
    pub fn cap_standing(&self) -> CapStanding {
        match self.award_cap {
            Some(cap) if self.award_ordinal > cap => CapStanding::Refused,
            Some(cap) if self.award_ordinal == cap => CapStanding::LastAward,
            _ => CapStanding::Open,
        }
    }
}

/// An application's place against the award cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapStanding {
    /// At the cap already: this award would be one too many (award_cap_exceeded).
    Refused,
    /// One short of the cap: this would be its last award.
    LastAward,
    Open,
}

impl CapStanding {
    pub fn label_ja(self) -> &'static str {
        match self {
            CapStanding::Refused => "上限に達しており申請不可",
            CapStanding::LastAward => "今回の採択で上限",
            CapStanding::Open => "上限まで余裕あり",
        }
    }
}

/// Which figures differ between the two decisions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub eligibility: bool,
    pub award_ordinal: bool,
    pub rate: bool,
    pub cap: bool,
    pub subsidy: bool,
    /// Refused by the award cap, or its last award, on one side only.
    pub award_cap: bool,
}

impl Changes {
    pub fn between(base: &Outcome, draft: &Outcome) -> Changes {
        Changes {
            eligibility: base.eligible != draft.eligible,
            award_ordinal: base.award_ordinal != draft.award_ordinal,
            rate: base.rate != draft.rate,
            cap: base.cap_yen != draft.cap_yen,
            subsidy: base.subsidy_yen != draft.subsidy_yen,
            award_cap: base.cap_standing() != draft.cap_standing(),
        }
    }

    pub fn any(self) -> bool {
        self.eligibility
            || self.award_ordinal
            || self.rate
            || self.cap
            || self.subsidy
            || self.award_cap
    }

    /// The figures that changed, named as the pages name them.
    pub fn labels_ja(self) -> Vec<&'static str> {
        [
            (self.eligibility, "申請の可否"),
            (self.award_ordinal, "採択回数"),
            (self.rate, "補助率"),
            (self.cap, "補助上限額"),
            (self.subsidy, "補助金額"),
            (self.award_cap, "採択回数の上限"),
        ]
        .into_iter()
        .filter_map(|(changed, label)| changed.then_some(label))
        .collect()
    }
}

/// A finding as the report shows it: its code for programs, its message for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindingText {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
}

fn findings_of(decision: &Decision<'_>) -> Vec<FindingText> {
    decision
        .findings
        .iter()
        .filter(|finding| finding.severity != Severity::Info)
        .map(|finding| FindingText {
            code: finding.code,
            severity: finding.severity,
            message: finding.message.to_string(),
        })
        .collect()
}

/// One application whose decision changes, with both decisions' findings side by side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangedApplication {
    /// What names it to people: the application's number, or the input's line number.
    pub label: String,
    pub organisation: String,
    pub base: Outcome,
    pub draft: Outcome,
    pub changes: Changes,
    /// Draft subsidy less the current one (negative when the draft pays less).
    pub subsidy_difference: Yen,
    pub base_findings: Vec<FindingText>,
    pub draft_findings: Vec<FindingText>,
}

impl ChangedApplication {
    /// Whether the draft refuses what the rules in force accept: not eligible, or at the cap
    /// on awards, under the draft only.
    pub fn refused_by_draft(&self) -> bool {
        (self.base.eligible && !self.draft.eligible)
            || (self.base.cap_standing() != CapStanding::Refused
                && self.draft.cap_standing() == CapStanding::Refused)
    }
}

/// The changed applications a person should read first, at most `limit`: those the draft
/// refuses, then the largest differences in subsidy, in input order among equals.
pub fn most_telling(changed: &[ChangedApplication], limit: usize) -> Vec<&ChangedApplication> {
    let mut ordered: Vec<&ChangedApplication> = changed.iter().collect();
    ordered.sort_by_key(|row| {
        (
            !row.refused_by_draft(),
            std::cmp::Reverse(row.subsidy_difference.value().abs()),
        )
    });
    ordered.truncate(limit);
    ordered
}

/// A count of eligible applications and what they would receive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Subtotal {
    pub eligible: u64,
    pub subsidy_yen: Yen,
}

impl Subtotal {
    fn add(&mut self, outcome: &Outcome) {
        if outcome.eligible {
            self.eligible += 1;
            self.subsidy_yen = self.subsidy_yen.saturating_add(outcome.subsidy_yen);
        }
    }

    fn merge(&mut self, other: Subtotal) {
        self.eligible += other.eligible;
        self.subsidy_yen = self.subsidy_yen.saturating_add(other.subsidy_yen);
    }
}

/// A total under the current rules and under the draft.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SideBySide<T> {
    pub base: T,
    pub draft: T,
}

/// How many applications stand at each place against the award cap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CapCounts {
    /// Refused: already at the cap.
    pub at_cap: u64,
    /// One short of the cap: this would be the last award.
    pub one_short: u64,
}

impl CapCounts {
    fn add(&mut self, outcome: &Outcome) {
        match outcome.cap_standing() {
            CapStanding::Refused => self.at_cap += 1,
            CapStanding::LastAward => self.one_short += 1,
            CapStanding::Open => {}
        }
    }

    fn merge(&mut self, other: CapCounts) {
        self.at_cap += other.at_cap;
        self.one_short += other.one_short;
    }
}

/// The impact of the draft over every application evaluated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImpactReport {
    pub evaluated: u64,
    /// Applications whose decision changes, in input order.
    pub changed: Vec<ChangedApplication>,
    pub total: SideBySide<Subtotal>,
    pub by_frame: BTreeMap<Frame, SideBySide<Subtotal>>,
    pub by_award_ordinal: BTreeMap<u32, SideBySide<Subtotal>>,
    pub award_cap: SideBySide<CapCounts>,
    /// The ledger's organisations among the applicants (left out of the ledger outlook).
    #[serde(skip)]
    pub applied: BTreeSet<OrganisationId>,
    /// The ledger's other organisations, once [`RuleSets::ledger_outlook`] has run.
    pub ledger: Option<LedgerOutlook>,
}

impl ImpactReport {
    /// Adds one application's two decisions; `describe` names it (called only when it changed).
    pub fn record(
        &mut self,
        (base, base_program): (&Decision<'_>, &Program),
        (draft, draft_program): (&Decision<'_>, &Program),
        describe: impl FnOnce() -> (String, String),
    ) {
        let base_outcome = Outcome::of(base, base_program);
        let draft_outcome = Outcome::of(draft, draft_program);
        self.evaluated += 1;
        self.total.base.add(&base_outcome);
        self.total.draft.add(&draft_outcome);
        for (outcome, pick) in [(&base_outcome, Side::Base), (&draft_outcome, Side::Draft)] {
            pick.of(self.by_frame.entry(outcome.frame).or_default())
                .add(outcome);
            pick.of(self
                .by_award_ordinal
                .entry(outcome.award_ordinal)
                .or_default())
                .add(outcome);
        }
        self.award_cap.base.add(&base_outcome);
        self.award_cap.draft.add(&draft_outcome);
        let changes = Changes::between(&base_outcome, &draft_outcome);
        if changes.any() {
            let (label, organisation) = describe();
            self.changed.push(ChangedApplication {
                label,
                organisation,
                subsidy_difference: Yen::new(
                    draft_outcome
                        .subsidy_yen
                        .value()
                        .saturating_sub(base_outcome.subsidy_yen.value()),
                ),
                base: base_outcome,
                draft: draft_outcome,
                changes,
                base_findings: findings_of(base),
                draft_findings: findings_of(draft),
            });
        }
    }

    /// Adds a report of later applications (another worker's share, in input order).
    pub fn merge(&mut self, later: ImpactReport) {
        self.evaluated += later.evaluated;
        self.changed.extend(later.changed);
        self.total.base.merge(later.total.base);
        self.total.draft.merge(later.total.draft);
        merge_totals(&mut self.by_frame, later.by_frame);
        merge_totals(&mut self.by_award_ordinal, later.by_award_ordinal);
        self.award_cap.base.merge(later.award_cap.base);
        self.award_cap.draft.merge(later.award_cap.draft);
        self.applied.extend(later.applied);
    }

    /// The expected subsidy total (every eligible application awarded) against the budget:
    /// what would be left of it, under the current rules and under the draft.
    pub fn against_budget(&self, budget: Yen) -> SideBySide<Yen> {
        let left =
            |total: Subtotal| Yen::new(budget.value().saturating_sub(total.subsidy_yen.value()));
        SideBySide {
            base: left(self.total.base),
            draft: left(self.total.draft),
        }
    }
}

#[derive(Clone, Copy)]
enum Side {
    Base,
    Draft,
}

impl Side {
    fn of<T>(self, pair: &mut SideBySide<T>) -> &mut T {
        match self {
            Side::Base => &mut pair.base,
            Side::Draft => &mut pair.draft,
        }
    }
}

fn merge_totals<K: Ord>(
    into: &mut BTreeMap<K, SideBySide<Subtotal>>,
    from: BTreeMap<K, SideBySide<Subtotal>>,
) {
    for (key, totals) in from {
        let entry = into.entry(key).or_default();
        entry.base.merge(totals.base);
        entry.draft.merge(totals.draft);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_telling_changes_are_the_refused_then_the_largest_differences() {
        let changed = |label: &str, draft_eligible: bool, difference: i64| {
            let base = outcome(2, (1, 2), 3_000_000);
            let draft = Outcome {
                eligible: draft_eligible,
                ..outcome(2, (1, 3), 3_000_000 + difference)
            };
            ChangedApplication {
                label: label.to_owned(),
                organisation: String::new(),
                changes: Changes::between(&base, &draft),
                base,
                draft,
                subsidy_difference: Yen::new(difference),
                base_findings: Vec::new(),
                draft_findings: Vec::new(),
            }
        };
        let rows = [
            changed("small", true, -100_000),
            changed("large", true, -900_000),
            changed("refused", false, -3_000_000),
            changed("small too", true, 100_000),
        ];
        assert!(rows[2].refused_by_draft() && !rows[1].refused_by_draft());
        let labels: Vec<&str> = most_telling(&rows, 3)
            .iter()
            .map(|row| row.label.as_str())
            .collect();
        assert_eq!(labels, ["refused", "large", "small"]);
    }

    fn outcome(ordinal: u32, rate: (u64, u64), subsidy: i64) -> Outcome {
        Outcome {
            frame: Frame::RightHand,
            eligible: true,
            award_ordinal: ordinal,
            rate: Some(Rate::new(rate.0, rate.1).expect("rate")),
            cap_yen: Yen::new(13_000_000),
            subsidy_yen: Yen::new(subsidy),
            award_cap: Some(3),
        }
    }

    #[test]
    fn names_only_the_figures_that_moved() {
        let base = outcome(2, (1, 2), 3_800_000);
        let draft = outcome(2, (1, 3), 2_533_000);
        let changes = Changes::between(&base, &draft);
        assert_eq!(changes.labels_ja(), ["補助率", "補助金額"]);
        assert!(!Changes::between(&base, &base).any());
    }

    #[test]
    fn the_award_cap_refuses_past_it_and_marks_the_last_award() {
        assert_eq!(outcome(4, (1, 3), 0).cap_standing(), CapStanding::Refused);
        assert_eq!(outcome(3, (1, 3), 0).cap_standing(), CapStanding::LastAward);
        assert_eq!(outcome(2, (1, 2), 0).cap_standing(), CapStanding::Open);
        let uncapped = Outcome {
            award_cap: None,
            ..outcome(9, (1, 3), 0)
        };
        assert_eq!(uncapped.cap_standing(), CapStanding::Open);
    }
}
