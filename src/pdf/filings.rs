//! The filings: which data each one shows and in what order. The fields and titles come from
//! `forms/filings/*.toml`, the prose around the tables from `templates/pdf/*.txt`; this file
//! turns them and a [`FilingData`] into layout blocks. It computes no rules: amounts that
//! need a rule (eligible total, rate, cap, subsidy) come from the engine's decision.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::layout::{Block, Column, Row, Table};
use crate::domain::budget::{actual_claimed_total, claimed_total};
use crate::domain::calendar::{FiscalYear, wareki_date};
use crate::domain::codes::ApplicantRole;
use crate::domain::codes::{ApplicantKind, ExpenseCategory, Frame, FundingSource};
use crate::domain::money::Yen;
use crate::pdf::data::{BudgetLineEntry, FilingApplication};

/// Shown wherever the record has no value yet (the workflow has not reached that step).
pub const UNDECIDED: &str = "未確定";

macro_rules! kinds {
    ($($variant:ident => $code:literal;)*) => {
        /// The filings hojokin renders, by code (the URL's `{kind}`, the CLI's `--kind`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
// Definitions: forms/filings/*.toml and templates/pdf/*.txt
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilingDefinition {
    pub code: String,
    pub title: String,
    pub fields: Vec<FieldDefinition>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDefinition {
    pub key: String,
    pub label: String,
}

/// Every filing's definition and template, checked together.
#[derive(Debug, Clone)]
pub struct FilingForms {
    definitions: BTreeMap<&'static str, (FilingDefinition, String)>,
}

const DEFINITIONS: &[(&str, &str, &str)] = &[
    (
        "application",
        include_str!("../../forms/filings/application.toml"),
        include_str!("../../templates/pdf/application.txt"),
    ),
    (
        "budget",
        include_str!("../../forms/filings/budget.toml"),
        include_str!("../../templates/pdf/budget.txt"),
    ),
    (
        "decision",
        include_str!("../../forms/filings/decision.toml"),
        include_str!("../../templates/pdf/decision.txt"),
    ),
    (
        "grant_request",
        include_str!("../../forms/filings/grant_request.toml"),
        include_str!("../../templates/pdf/grant_request.txt"),
    ),
    (
        "interim_report",
        include_str!("../../forms/filings/interim_report.toml"),
        include_str!("../../templates/pdf/interim_report.txt"),
    ),
    (
        "completion_report",
        include_str!("../../forms/filings/completion_report.toml"),
        include_str!("../../templates/pdf/completion_report.txt"),
    ),
    (
        "grant_decision_notice",
        include_str!("../../forms/filings/grant_decision_notice.toml"),
        include_str!("../../templates/pdf/grant_decision_notice.txt"),
    ),
    (
        "amount_confirmation_notice",
        include_str!("../../forms/filings/amount_confirmation_notice.toml"),
        include_str!("../../templates/pdf/amount_confirmation_notice.txt"),
    ),
];

/// Field keys a definition may name (see [`values`]).
pub const FIELD_KEYS: &[&str] = &[
    "reference",
    "fiscal_year",
    "frame",
    "title",
    "lead",
    "co_applicants",
    "municipality",
    "application_date",
    "project_period",
    "status",
    "tax_treatment",
    "total_budget",
    "eligible_expenses",
    "subsidy",
    "eligible",
    "award_ordinal",
    "rules_version",
    "decided_rate",
    "decided_subsidy",
    "confirmed_subsidy",
    "actual_eligible",
    "issued_on",
];

/// Sections a template may place with `@name`.
pub const SECTIONS: &[&str] = &[
    "title",
    "fields",
    "assumptions",
    "members",
    "partners",
    "legal_basis",
    "activities",
    "budget_lines",
    "budget_matrix",
    "budget_by_category",
    "subsidy",
    "prior_awards",
    "findings",
    "actuals_by_category",
    "reports",
];

impl FilingForms {
    /// The definitions compiled into the binary, checked: every kind has one, every field key
    /// and section name is known, and every `{placeholder}` is a field key.
    pub fn embedded() -> Result<FilingForms, String> {
        let mut definitions = BTreeMap::new();
        for (code, toml_text, template) in DEFINITIONS {
            let file = format!("forms/filings/{code}.toml");
            let definition: FilingDefinition =
                toml::from_str(toml_text).map_err(|error| format!("{file}: {error}"))?;
            if definition.code != *code {
                return Err(format!("{file}: code は \"{code}\" であるべきです"));
            }
            for field in &definition.fields {
                if !FIELD_KEYS.contains(&field.key.as_str()) {
                    return Err(format!("{file}: 未知の項目 \"{}\"", field.key));
                }
            }
            check_template(code, template)?;
            definitions.insert(*code, (definition, (*template).to_owned()));
        }
        for kind in FilingKind::ALL {
            if !definitions.contains_key(kind.code()) {
                return Err(format!("forms/filings/{}.toml がありません", kind.code()));
            }
        }
        Ok(FilingForms { definitions })
    }

    pub fn definition(&self, kind: FilingKind) -> Option<&FilingDefinition> {
        self.definitions
            .get(kind.code())
            .map(|(definition, _)| definition)
    }

    fn template(&self, kind: FilingKind) -> &str {
        self.definitions
            .get(kind.code())
            .map_or("", |(_, template)| template.as_str())
    }

    /// The Japanese title of a filing.
    pub fn title(&self, kind: FilingKind) -> &str {
        self.definition(kind)
            .map_or(kind.code(), |definition| definition.title.as_str())
    }
}

fn check_template(code: &str, template: &str) -> Result<(), String> {
    let file = format!("templates/pdf/{code}.txt");
    for (number, line) in (1..).zip(template.lines()) {
        if let Some(section) = line.strip_prefix('@')
            && !SECTIONS.contains(&section.trim())
        {
            return Err(format!("{file}:{number}: 未知の欄 @{section}"));
        }
        let mut rest = line;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                return Err(format!("{file}:{number}: {{ が閉じていません"));
            };
            let key = &after[..close];
            if !FIELD_KEYS.contains(&key) {
                return Err(format!("{file}:{number}: 未知の差し込み項目 {{{key}}}"));
            }
            rest = &after[close + 1..];
        }
    }
    Ok(())
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
    /// `error`, `warning` or `info`.
    pub severity: String,
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

    /// The value of a field key; every key in [`FIELD_KEYS`] has one.
    fn value(&self, key: &str) -> String {
        let app = self.app();
        let decision = self.decision();
        let frozen = app
            .frozen_decision_json
            .as_deref()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
        match key {
            "reference" => app.reference.clone(),
            "fiscal_year" => FiscalYear(app.fiscal_year).to_string(),
            "frame" => app.frame.label_ja().to_owned(),
            "title" => app.title.clone(),
            "lead" => app
                .members
                .iter()
                .find(|m| m.role == ApplicantRole::Lead)
                .map_or_else(|| UNDECIDED.to_owned(), |m| m.name.clone()),
            "co_applicants" => {
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
            "municipality" => app
                .municipality
                .clone()
                .unwrap_or_else(|| "なし".to_owned()),
            "application_date" => date(app.application_date),
            "project_period" => match (app.project_start, app.project_end) {
                (None, None) => UNDECIDED.to_owned(),
                (start, end) => format!("{} 〜 {}", date(start), date(end)),
            },
            "status" => app.status.label_ja().to_owned(),
            "tax_treatment" => match app.tax_treatment.as_str() {
                "net" => "税抜（消費税等は補助対象外）".to_owned(),
                "gross" => "税込（仕入控除税額の報告が必要）".to_owned(),
                other => other.to_owned(),
            },
            "total_budget" => yen(self.lines().map(|l| l.amount_yen).sum()),
            "eligible_expenses" => {
                decision.map_or_else(|| UNDECIDED.to_owned(), |d| yen(d.eligible_expenses_yen))
            }
            "subsidy" => decision.map_or_else(|| UNDECIDED.to_owned(), |d| yen(d.subsidy_yen)),
            "eligible" => match &self.data.judgement {
                Judgement::Decided(d) if d.eligible => "要件を満たす".to_owned(),
                Judgement::Decided(_) => "要件を満たさない".to_owned(),
                Judgement::NotJudged { .. } => "判定できない（入力不足）".to_owned(),
            },
            "award_ordinal" => decision.map_or_else(
                || UNDECIDED.to_owned(),
                |d| format!("{}回目", d.award_ordinal),
            ),
            "rules_version" => {
                decision.map_or_else(|| UNDECIDED.to_owned(), |d| d.rules_version.clone())
            }
            "decided_rate" => frozen
                .as_ref()
                .and_then(|value| value.get("rate"))
                .and_then(|rate| {
                    Some(format!(
                        "{}/{}",
                        rate.get("numerator")?.as_u64()?,
                        rate.get("denominator")?.as_u64()?
                    ))
                })
                .unwrap_or_else(|| UNDECIDED.to_owned()),
            "decided_subsidy" => app
                .decided_subsidy_yen
                .map_or_else(|| UNDECIDED.to_owned(), yen),
            "confirmed_subsidy" => app
                .confirmed_subsidy_yen
                .map_or_else(|| UNDECIDED.to_owned(), yen),
            "actual_eligible" => actual_claimed_total(self.lines().map(BudgetLineEntry::amounts))
                .map_or_else(|| UNDECIDED.to_owned(), |total| yen(total.value())),
            "issued_on" => format!("{}", wareki_date(self.issued_on)),
            other => other.to_owned(),
        }
    }

    fn fill(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    out.push_str(&self.value(&after[..close]));
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn compose(&self) -> Vec<Block> {
        let mut blocks = Vec::new();
        for line in self.forms.template(self.kind).lines() {
            if let Some(section) = line.strip_prefix('@') {
                self.section(section.trim(), &mut blocks);
            } else if let Some(text) = line.strip_prefix('>') {
                blocks.push(Block::Right(vec![self.fill(text.trim())]));
            } else if let Some(text) = line.strip_prefix('<') {
                blocks.push(Block::Left(vec![self.fill(text.trim())]));
            } else if let Some(text) = line.strip_prefix('#') {
                blocks.push(Block::Heading(self.fill(text.trim())));
            } else if line.trim().is_empty() {
                blocks.push(Block::Space(3.0));
            } else {
                blocks.push(Block::Paragraph(self.fill(line)));
            }
        }
        blocks
    }

    fn section(&self, name: &str, blocks: &mut Vec<Block>) {
        let app = self.app();
        match name {
            "title" => blocks.push(Block::Title(self.forms.title(self.kind).to_owned())),
            "fields" => {
                let fields = self
                    .forms
                    .definition(self.kind)
                    .map(|d| d.fields.as_slice())
                    .unwrap_or(&[]);
                blocks.push(Block::Table(Table {
                    columns: vec![Column::label("項目"), Column::text("内容")],
                    header: false,
                    rows: fields
                        .iter()
                        .map(|field| Row::new(vec![field.label.clone(), self.value(&field.key)]))
                        .collect(),
                }));
            }
            "assumptions" => {
                if !self.data.assumptions.is_empty() {
                    blocks.push(Block::Paragraph(format!(
                        "注: {}。",
                        self.data.assumptions.join("。")
                    )));
                }
            }
            "members" => blocks.push(Block::Table(Table {
                columns: vec![
                    Column::text("役割"),
                    Column::text("名称"),
                    Column::text("法人番号"),
                    Column::text("種別"),
                    Column::number("従業員数"),
                    Column::number("資本金"),
                ],
                header: true,
                rows: std::iter::once(header(&[
                    "役割",
                    "名称",
                    "法人番号",
                    "種別",
                    "従業員数",
                    "資本金",
                ]))
                .chain(app.members.iter().map(|m| {
                    Row::new(vec![
                        if m.role == ApplicantRole::Lead {
                            "代表申請者"
                        } else {
                            "共同申請者"
                        }
                        .to_owned(),
                        m.name.clone(),
                        m.corporate_number.clone().unwrap_or_else(|| "—".to_owned()),
                        label(&m.kind, ApplicantKind::label_ja),
                        m.employees
                            .map_or_else(|| "—".to_owned(), |n| format!("{n}人")),
                        m.capital_yen.map_or_else(|| "—".to_owned(), yen),
                    ])
                }))
                .collect(),
            })),
            "partners" => {
                if app.partners.is_empty() {
                    blocks.push(Block::Paragraph("なし".to_owned()));
                } else {
                    blocks.push(Block::Table(Table {
                        columns: vec![
                            Column::text("種別"),
                            Column::text("名称"),
                            Column::text("連携の根拠"),
                        ],
                        header: true,
                        rows: std::iter::once(header(&["種別", "名称", "連携の根拠"]))
                            .chain(app.partners.iter().map(|p| {
                                Row::new(vec![
                                    p.kind.label_ja().to_owned(),
                                    p.name.clone(),
                                    p.agreement.clone().unwrap_or_else(|| "—".to_owned()),
                                ])
                            }))
                            .collect(),
                    }));
                }
            }
            "legal_basis" => match &app.legal_basis {
                None => blocks.push(Block::Paragraph("なし".to_owned())),
                Some(basis) => blocks.push(Block::Table(Table {
                    columns: vec![Column::label("項目"), Column::text("内容")],
                    header: false,
                    rows: vec![
                        Row::new(vec!["法律".to_owned(), basis.path.label_ja().to_owned()]),
                        Row::new(vec![
                            "承認等を受けた者".to_owned(),
                            basis.holder_name.clone(),
                        ]),
                        Row::new(vec!["承認等をした者".to_owned(), basis.granted_by.clone()]),
                        Row::new(vec![
                            "有効期間".to_owned(),
                            format!(
                                "{} 〜 {}",
                                wareki_date(basis.granted_on),
                                basis.valid_until.map_or_else(
                                    || "定めなし".to_owned(),
                                    |d| wareki_date(d).to_string()
                                )
                            ),
                        ]),
                        Row::new(vec![
                            "人材確保等の取組の記載".to_owned(),
                            if basis.includes_talent_measures {
                                "あり"
                            } else {
                                "なし"
                            }
                            .to_owned(),
                        ]),
                        Row::new(vec![
                            "証憑".to_owned(),
                            basis
                                .evidence_reference
                                .clone()
                                .unwrap_or_else(|| "—".to_owned()),
                        ]),
                    ],
                })),
            },
            "activities" => blocks.push(Block::Table(Table {
                columns: vec![
                    Column::text("活動"),
                    Column::text("区分"),
                    Column::text("成果指標（KPI）"),
                    Column::number("事業費"),
                ],
                header: true,
                rows: std::iter::once(header(&["活動", "区分", "成果指標（KPI）", "事業費"]))
                    .chain(app.activities.iter().map(|a| {
                        let mut category = a.category.label_ja().to_owned();
                        if a.executive_internship {
                            category.push_str("（幹部インターンシップ）");
                        }
                        Row::new(vec![
                            a.name.clone(),
                            category,
                            a.kpi.clone().unwrap_or_else(|| "—".to_owned()),
                            yen(a.lines.iter().map(|l| l.amount_yen).sum()),
                        ])
                    }))
                    .collect(),
            })),
            "budget_lines" => {
                let mut rows = vec![header(&["活動", "経費区分", "内容", "財源", "金額"])];
                for activity in &app.activities {
                    for (index, line) in activity.lines.iter().enumerate() {
                        // The activity is named once, on its first line, as on a paper form.
                        let name = if index == 0 {
                            activity.name.clone()
                        } else {
                            String::new()
                        };
                        rows.push(Row::new(vec![
                            name,
                            line.category.label_ja().to_owned(),
                            line.description.clone(),
                            line.funding_source.label_ja().to_owned(),
                            yen(line.amount_yen),
                        ]));
                    }
                    rows.push(Row::total(vec![
                        "小計".to_owned(),
                        String::new(),
                        String::new(),
                        String::new(),
                        yen(activity.lines.iter().map(|l| l.amount_yen).sum()),
                    ]));
                }
                rows.push(Row::total(vec![
                    "合計".to_owned(),
                    String::new(),
                    String::new(),
                    String::new(),
                    yen(self.lines().map(|l| l.amount_yen).sum()),
                ]));
                blocks.push(Block::Table(Table {
                    columns: vec![
                        Column::text("活動"),
                        Column::text("経費区分"),
                        Column::text("内容"),
                        Column::text("財源"),
                        Column::number("金額"),
                    ],
                    header: true,
                    rows,
                }));
            }
            "budget_matrix" => {
                let sources: Vec<&FundingSource> = FundingSource::ALL
                    .iter()
                    .filter(|s| self.lines().any(|l| l.funding_source == **s))
                    .collect();
                let mut titles = vec!["経費区分".to_owned()];
                titles.extend(sources.iter().map(|s| s.label_ja().to_owned()));
                titles.push("合計".to_owned());
                let mut columns = vec![Column::text("経費区分")];
                columns.extend(titles[1..].iter().map(|t| Column::number(t)));
                let mut rows = vec![Row::new(titles)];
                let sum =
                    |category: Option<ExpenseCategory>, source: Option<FundingSource>| -> i64 {
                        self.lines()
                            .filter(|l| category.is_none_or(|c| l.category == c))
                            .filter(|l| source.is_none_or(|s| l.funding_source == s))
                            .map(|l| l.amount_yen)
                            .sum()
                    };
                for category in ExpenseCategory::ALL {
                    if !self.lines().any(|l| l.category == *category) {
                        continue;
                    }
                    let mut cells = vec![category.label_ja().to_owned()];
                    cells.extend(sources.iter().map(|s| yen(sum(Some(*category), Some(**s)))));
                    cells.push(yen(sum(Some(*category), None)));
                    rows.push(Row::new(cells));
                }
                let mut totals = vec!["合計".to_owned()];
                totals.extend(sources.iter().map(|s| yen(sum(None, Some(**s)))));
                totals.push(yen(sum(None, None)));
                rows.push(Row::total(totals));
                blocks.push(Block::Table(Table {
                    columns,
                    header: true,
                    rows,
                }));
            }
            "budget_by_category" => {
                let mut rows = vec![header(&["経費区分", "事業費", "補助対象経費"])];
                for category in ExpenseCategory::ALL {
                    let lines: Vec<&BudgetLineEntry> =
                        self.lines().filter(|l| l.category == *category).collect();
                    if lines.is_empty() {
                        continue;
                    }
                    rows.push(Row::new(vec![
                        category.label_ja().to_owned(),
                        yen(lines.iter().map(|l| l.amount_yen).sum()),
                        yen(eligible_sum(lines.iter().copied())),
                    ]));
                }
                rows.push(Row::total(vec![
                    "合計".to_owned(),
                    yen(self.lines().map(|l| l.amount_yen).sum()),
                    yen(eligible_sum(self.lines())),
                ]));
                blocks.push(Block::Table(Table {
                    columns: vec![
                        Column::text("経費区分"),
                        Column::number("事業費"),
                        Column::number("補助対象経費"),
                    ],
                    header: true,
                    rows,
                }));
            }
            "subsidy" => match &self.data.judgement {
                Judgement::Decided(d) => blocks.push(Block::Table(Table {
                    columns: vec![Column::label("項目"), Column::number("金額等")],
                    header: false,
                    rows: vec![
                        Row::new(vec![
                            "補助対象経費".to_owned(),
                            yen(d.eligible_expenses_yen),
                        ]),
                        Row::new(vec![
                            "補助率".to_owned(),
                            d.rate.clone().unwrap_or_else(|| "—".to_owned()),
                        ]),
                        Row::new(vec!["補助上限額".to_owned(), yen(d.cap_yen)]),
                        Row::new(vec![
                            "端数処理".to_owned(),
                            format!("{}未満切捨て", yen(d.rounding_unit_yen)),
                        ]),
                        Row::total(vec!["補助金額".to_owned(), yen(d.subsidy_yen)]),
                    ],
                })),
                Judgement::NotJudged { errors } => blocks.push(Block::Paragraph(format!(
                    "補助金額は算定できません（{}）。入力を補ってください: {}",
                    UNDECIDED,
                    errors.join("／")
                ))),
            },
            "prior_awards" => match self.decision() {
                Some(d) if !d.prior_awards.is_empty() => blocks.push(Block::Table(Table {
                    columns: vec![
                        Column::text("年度"),
                        Column::text("枠"),
                        Column::text("公表名"),
                        Column::text("申請者"),
                    ],
                    header: true,
                    rows: std::iter::once(header(&["年度", "枠", "公表名", "申請者"]))
                        .chain(d.prior_awards.iter().map(|p| {
                            Row::new(vec![
                                FiscalYear(p.fiscal_year).to_string(),
                                label(&p.frame, Frame::label_ja),
                                p.listed_as.clone(),
                                p.applicant.clone(),
                            ])
                        }))
                        .collect(),
                })),
                Some(_) => blocks.push(Block::Paragraph(
                    "数えるべき過去の採択はありません。".to_owned(),
                )),
                None => blocks.push(Block::Paragraph(UNDECIDED.to_owned())),
            },
            "findings" => match &self.data.judgement {
                Judgement::Decided(d) if !d.findings.is_empty() => {
                    blocks.push(Block::Table(Table {
                        columns: vec![
                            Column::text("重要度"),
                            Column::text("所見"),
                            Column::text("根拠"),
                        ],
                        header: true,
                        rows: std::iter::once(header(&["重要度", "所見", "根拠"]))
                            .chain(d.findings.iter().map(|f| {
                                let severity = match f.severity.as_str() {
                                    "error" => "不適合",
                                    "warning" => "注意",
                                    _ => "情報",
                                };
                                Row::new(vec![
                                    severity.to_owned(),
                                    format!("{}（{}）", f.message, f.code),
                                    f.source.clone(),
                                ])
                            }))
                            .collect(),
                    }))
                }
                Judgement::Decided(_) => {
                    blocks.push(Block::Paragraph("所見はありません。".to_owned()))
                }
                Judgement::NotJudged { errors } => {
                    blocks.push(Block::Paragraph(
                        "入力が不足しているため判定できません:".to_owned(),
                    ));
                    for error in errors {
                        blocks.push(Block::Paragraph(format!("・{error}")));
                    }
                }
            },
            "actuals_by_category" => {
                let mut rows = vec![header(&[
                    "経費区分",
                    "予算額（補助対象）",
                    "実績額",
                    "差額",
                ])];
                let mut any_actual = false;
                let mut budget_total = 0;
                let mut actual_total = 0;
                for category in ExpenseCategory::ALL {
                    let lines: Vec<&BudgetLineEntry> = self
                        .lines()
                        .filter(|l| l.category == *category && l.amounts().is_claimed())
                        .collect();
                    if lines.is_empty() {
                        continue;
                    }
                    let budget = claimed_total(lines.iter().map(|l| l.amounts())).value();
                    budget_total += budget;
                    let actuals: Vec<i64> =
                        lines.iter().filter_map(|l| l.actual_amount_yen).collect();
                    let (actual, difference) = if actuals.is_empty() {
                        (UNDECIDED.to_owned(), UNDECIDED.to_owned())
                    } else {
                        any_actual = true;
                        let actual: i64 = actuals.iter().sum();
                        actual_total += actual;
                        (yen(actual), yen(actual - budget))
                    };
                    rows.push(Row::new(vec![
                        category.label_ja().to_owned(),
                        yen(budget),
                        actual,
                        difference,
                    ]));
                }
                let (actual, difference) = if any_actual {
                    (yen(actual_total), yen(actual_total - budget_total))
                } else {
                    (UNDECIDED.to_owned(), UNDECIDED.to_owned())
                };
                rows.push(Row::total(vec![
                    "合計".to_owned(),
                    yen(budget_total),
                    actual,
                    difference,
                ]));
                blocks.push(Block::Table(Table {
                    columns: vec![
                        Column::text("経費区分"),
                        Column::number("予算額（補助対象）"),
                        Column::number("実績額"),
                        Column::number("差額"),
                    ],
                    header: true,
                    rows,
                }));
            }
            "reports" => {
                if app.reports.is_empty() {
                    blocks.push(Block::Paragraph(
                        "提出済みの報告はまだありません。".to_owned(),
                    ));
                } else {
                    blocks.push(Block::Table(Table {
                        columns: vec![
                            Column::text("種類"),
                            Column::text("状態"),
                            Column::text("提出日"),
                        ],
                        header: true,
                        rows: std::iter::once(header(&["種類", "状態", "提出日"]))
                            .chain(app.reports.iter().map(|r| {
                                Row::new(vec![
                                    r.kind.clone(),
                                    r.status.clone(),
                                    date(r.submitted_at.map(|t| t.date())),
                                ])
                            }))
                            .collect(),
                    }));
                }
            }
            other => blocks.push(Block::Paragraph(format!("@{other}"))),
        }
    }
}

fn header(titles: &[&str]) -> Row {
    Row::new(titles.iter().map(|t| (*t).to_owned()).collect())
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
