//! The filings: which data each one shows and in what order. The fields and titles come from
//! `forms/filings/*.toml`, the prose around the tables from `templates/pdf/*.txt`
//! ([`forms`]); a [`FilingData`] becomes layout blocks through the template's lines, the
//! values of its field keys ([`fields`]) and its sections ([`sections`]). It computes no
//! rules: amounts that need a rule (eligible total, rate, cap, subsidy) come from the
//! engine's decision or from `domain::budget`.

mod fields;
pub mod forms;
mod sections;

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::Serialize;

use super::layout::{Block, Column, Row, Table};
use crate::domain::budget::claimed_total;
use crate::domain::calendar::wareki_date;
use crate::domain::evaluation::Severity;
use crate::domain::money::Yen;
use crate::domain::workflow::DocumentEvent;
use crate::pdf::data::{BudgetLineEntry, FilingApplication};
use forms::TemplateLine;
pub use forms::{FieldDefinition, FieldKey, FilingDefinition, FilingForms, Section};

/// Shown wherever the record has no value yet (the workflow has not reached that step).
pub const UNDECIDED: &str = "未確定";

macro_rules! kinds {
    ($($variant:ident => $code:literal;)*) => {
        /// The filings hojokin renders, by code (the URL's `{kind}`, the CLI's `--kind`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum FilingKind { $($variant,)* }

        impl FilingKind {
            pub const ALL: &'static [FilingKind] = &[$(FilingKind::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $(FilingKind::$variant => $code,)* }
            }
        }
    };
}

kinds! {
    Application => "application";
    Budget => "budget";
    Decision => "decision";
    GrantRequest => "grant_request";
    InterimReport => "interim_report";
    CompletionReport => "completion_report";
    GrantDecisionNotice => "grant_decision_notice";
    AmountConfirmationNotice => "amount_confirmation_notice";
}

impl FilingKind {
    /// The event this filing records (it exists from then on: `DocumentEvent::has_happened`).
    pub fn records(self) -> DocumentEvent {
        match self {
            FilingKind::Application | FilingKind::Budget | FilingKind::Decision => {
                DocumentEvent::Application
            }
            FilingKind::GrantRequest => DocumentEvent::Selection,
            FilingKind::InterimReport => DocumentEvent::InterimReport,
            FilingKind::CompletionReport => DocumentEvent::CompletionReport,
            FilingKind::GrantDecisionNotice => DocumentEvent::GrantDecision,
            FilingKind::AmountConfirmationNotice => DocumentEvent::AmountConfirmation,
        }
    }
}

impl fmt::Display for FilingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for FilingKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        FilingKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.code() == text)
            .ok_or_else(|| {
                let codes: Vec<&str> = FilingKind::ALL.iter().map(|k| k.code()).collect();
                format!(
                    "\"{text}\" は書類の種類ではありません（{} のいずれか）",
                    codes.join(", ")
                )
            })
    }
}

// ---------------------------------------------------------------------------------------------
// The data a filing is made from
// ---------------------------------------------------------------------------------------------

/// The engine's decision, as plain data (from `domain::evaluation::Decision`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionView {
    pub eligible: bool,
    pub award_ordinal: u32,
    /// `2/3`, or `None` when no rate applies.
    pub rate: Option<String>,
    pub cap_yen: i64,
    pub eligible_expenses_yen: i64,
    pub subsidy_yen: i64,
    pub rounding_unit_yen: i64,
    pub prior_awards: Vec<PriorAwardView>,
    pub findings: Vec<FindingView>,
    pub rules_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriorAwardView {
    pub fiscal_year: i32,
    pub frame: String,
    pub listed_as: String,
    pub applicant: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingView {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub source: String,
}

/// The engine's answer for the stored application: a decision, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Judgement {
    Decided(DecisionView),
    /// The record is incomplete: the field errors of the evaluation contract.
    NotJudged {
        errors: Vec<String>,
    },
}

/// Everything a filing shows; its hash goes in the footer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilingData {
    pub application: FilingApplication,
    pub judgement: Judgement,
    /// Facts the record lacked and how the judgement filled them.
    pub assumptions: Vec<String>,
    /// The audit chain's head when the filing was issued, printed in the footer. Not part of
    /// the data hash: every event anywhere moves it, the application's data stays.
    #[serde(skip)]
    pub audit_head: Option<crate::domain::audit::ChainHead>,
}

// ---------------------------------------------------------------------------------------------
// Composition
// ---------------------------------------------------------------------------------------------

fn yen(amount: i64) -> String {
    Yen::new(amount).to_string()
}

fn date(value: Option<NaiveDate>) -> String {
    value.map_or_else(|| UNDECIDED.to_owned(), |d| wareki_date(d).to_string())
}

fn label<T: FromStr>(code: &str, label_ja: fn(T) -> &'static str) -> String {
    code.parse::<T>()
        .map_or_else(|_| code.to_owned(), |value| label_ja(value).to_owned())
}

struct Composer<'a> {
    kind: FilingKind,
    data: &'a FilingData,
    forms: &'a FilingForms,
    issued_on: NaiveDate,
}

impl Composer<'_> {
    fn app(&self) -> &FilingApplication {
        &self.data.application
    }

    fn decision(&self) -> Option<&DecisionView> {
        match &self.data.judgement {
            Judgement::Decided(decision) => Some(decision),
            Judgement::NotJudged { .. } => None,
        }
    }

    fn lines(&self) -> impl Iterator<Item = &BudgetLineEntry> {
        self.app().activities.iter().flat_map(|a| a.lines.iter())
    }

    fn compose(&self) -> Vec<Block> {
        let mut blocks = Vec::new();
        for line in self.forms.template(self.kind) {
            match line {
                TemplateLine::Section(section) => self.section(*section, &mut blocks),
                TemplateLine::Right(text) => blocks.push(Block::Right(vec![self.fill(text)])),
                TemplateLine::Left(text) => blocks.push(Block::Left(vec![self.fill(text)])),
                TemplateLine::Heading(text) => blocks.push(Block::Heading(self.fill(text))),
                TemplateLine::Space => blocks.push(Block::Space(3.0)),
                TemplateLine::Paragraph(text) => blocks.push(Block::Paragraph(self.fill(text))),
            }
        }
        blocks
    }
}

/// A table whose first row is its column titles (the layout repeats it on every page).
fn titled_table(columns: Vec<Column>, rows: impl IntoIterator<Item = Row>) -> Block {
    let header = Row::new(columns.iter().map(|column| column.title.clone()).collect());
    Block::Table(Table {
        columns,
        header: true,
        rows: std::iter::once(header).chain(rows).collect(),
    })
}

/// The 補助対象経費 of these lines after review (`domain::budget::claimed_total`).
fn eligible_sum<'l>(lines: impl Iterator<Item = &'l BudgetLineEntry>) -> i64 {
    claimed_total(lines.map(BudgetLineEntry::amounts)).value()
}

/// The blocks of a filing, ready for [`layout`](super::layout::layout).
pub fn compose(
    kind: FilingKind,
    data: &FilingData,
    forms: &FilingForms,
    issued_on: NaiveDate,
) -> Vec<Block> {
    Composer {
        kind,
        data,
        forms,
        issued_on,
    }
    .compose()
}
