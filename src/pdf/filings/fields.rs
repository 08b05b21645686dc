//! The value of each [`FieldKey`]: the rows of a filing's field table and the placeholders of
//! its template.

use super::forms::{FieldKey, Piece};
use super::{Composer, FilingKind, Judgement, UNDECIDED, date, yen};
use crate::domain::budget::actual_claimed_total;
use crate::domain::calendar::{FiscalYear, wareki_date};
use crate::domain::codes::ApplicantRole;
use crate::domain::workflow::ReportKind;
use crate::pdf::data::BudgetLineEntry;

impl Composer<'_> {
    /// The value of a field key, as the filing prints it.
    pub(super) fn value(&self, key: FieldKey) -> String {
        let app = self.app();
        let decision = self.decision();
        let or_undecided = |value: Option<String>| value.unwrap_or_else(|| UNDECIDED.to_owned());
        match key {
            FieldKey::Reference => app.reference.clone(),
            FieldKey::FiscalYear => FiscalYear(app.fiscal_year).to_string(),
            FieldKey::Frame => app.frame.label_ja().to_owned(),
            FieldKey::Title => app.title.clone(),
            FieldKey::Lead => or_undecided(
                app.members
                    .iter()
                    .find(|m| m.role == ApplicantRole::Lead)
                    .map(|m| m.name.clone()),
            ),
            FieldKey::CoApplicants => {
                let names: Vec<&str> = app
                    .members
                    .iter()
                    .filter(|m| m.role != ApplicantRole::Lead)
                    .map(|m| m.name.as_str())
                    .collect();
                if names.is_empty() {
                    "なし".to_owned()
                } else {
                    names.join("、")
                }
            }
            FieldKey::Municipality => app
                .municipality
                .clone()
                .unwrap_or_else(|| "なし".to_owned()),
            FieldKey::ApplicationDate => date(app.application_date),
            FieldKey::ProjectPeriod => match (app.project_start, app.project_end) {
                (None, None) => UNDECIDED.to_owned(),
                (start, end) => format!("{} 〜 {}", date(start), date(end)),
            },
            FieldKey::Status => app.status.label_ja().to_owned(),
            FieldKey::TaxTreatment => app.tax_treatment.label_ja().to_owned(),
            FieldKey::TotalBudget => yen(self.lines().map(|l| l.amount_yen).sum()),
            FieldKey::EligibleExpenses => {
                or_undecided(decision.map(|d| yen(d.eligible_expenses_yen)))
            }
            FieldKey::Subsidy => or_undecided(decision.map(|d| yen(d.subsidy_yen))),
            FieldKey::Eligible => match &self.data.judgement {
                Judgement::Decided(d) if d.eligible => "要件を満たす".to_owned(),
                Judgement::Decided(_) => "要件を満たさない".to_owned(),
                Judgement::NotJudged { .. } => "判定できない（入力不足）".to_owned(),
            },
            FieldKey::AwardOrdinal => {
                or_undecided(decision.map(|d| format!("{}回目", d.award_ordinal)))
            }
            FieldKey::RulesVersion => or_undecided(decision.map(|d| d.rules_version.clone())),
            FieldKey::DecidedRate => {
                or_undecided(app.frozen_decision.as_ref().map(|f| f.rate.to_string()))
            }
            FieldKey::DecidedSubsidy => or_undecided(app.decided_subsidy_yen.map(yen)),
            FieldKey::ConfirmedSubsidy => or_undecided(app.confirmed_subsidy_yen.map(yen)),
            FieldKey::ActualEligible => or_undecided(
                actual_claimed_total(self.lines().map(BudgetLineEntry::amounts))
                    .map(|total| yen(total.value())),
            ),
            FieldKey::IssuedOn => wareki_date(self.issued_on).to_string(),
            FieldKey::DecidedOn => date(app.decided_on),
            FieldKey::ConfirmedOn => date(app.confirmed_on),
            FieldKey::DocumentDate => {
                wareki_date(self.event_date().unwrap_or(self.issued_on)).to_string()
            }
        }
    }

    /// The day of the event this filing records, once it has one.
    fn event_date(&self) -> Option<chrono::NaiveDate> {
        let app = self.app();
        let filed = |kind| {
            app.reports
                .iter()
                .rev()
                .find(|report| report.kind == kind)
                .and_then(|report| report.submitted_on)
        };
        match self.kind {
            FilingKind::Application | FilingKind::Budget => app.application_date,
            FilingKind::GrantDecisionNotice => app.decided_on,
            FilingKind::AmountConfirmationNotice => app.confirmed_on,
            FilingKind::InterimReport => filed(ReportKind::Interim),
            FilingKind::CompletionReport => filed(ReportKind::Completion),
            // The judgement is of the day it is printed; a 交付申請書 records no date of its own.
            FilingKind::Decision | FilingKind::GrantRequest => None,
        }
    }

    /// Template text with its placeholders filled in.
    pub(super) fn fill(&self, pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.clone(),
                Piece::Field(key) => self.value(*key),
            })
            .collect()
    }
}
