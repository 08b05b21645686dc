//! The filing definitions, `forms/filings/*.toml` (title and the rows of the field table) and
//! `templates/pdf/*.txt` (the prose around the tables), read and checked once. A template is
//! parsed here into [`TemplateLine`]s, so that composing a filing cannot meet an unknown
//! section or placeholder: those are refused when the definitions load.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::FilingKind;
use crate::domain::codes::code_enum;

code_enum! {
    /// What a field row or a `{placeholder}` of a template shows. The label is what the value
    /// is called; a definition's own label (its table row) may say it for its filing.
    FieldKey, "field key" {
        Reference => "reference", "申請番号";
        FiscalYear => "fiscal_year", "年度";
        Frame => "frame", "申請枠";
        Title => "title", "事業名";
        Lead => "lead", "代表申請者";
        CoApplicants => "co_applicants", "共同申請者";
        Municipality => "municipality", "連携自治体";
        ApplicationDate => "application_date", "申請日";
        ProjectPeriod => "project_period", "補助事業期間";
        Status => "status", "状態";
        TaxTreatment => "tax_treatment", "消費税等の扱い";
        TotalBudget => "total_budget", "事業費総額";
        EligibleExpenses => "eligible_expenses", "補助対象経費";
        Subsidy => "subsidy", "補助金額";
        Eligible => "eligible", "要件の判定";
        AwardOrdinal => "award_ordinal", "採択回数";
        RulesVersion => "rules_version", "適用した規程";
        DecidedRate => "decided_rate", "交付決定の補助率";
        DecidedSubsidy => "decided_subsidy", "交付決定額";
        ConfirmedSubsidy => "confirmed_subsidy", "確定額";
        ActualEligible => "actual_eligible", "実績の補助対象経費";
        IssuedOn => "issued_on", "発行日";
        DecidedOn => "decided_on", "交付決定日";
        ConfirmedOn => "confirmed_on", "確定日";
        /// The date of the event the filing records (申請日, 交付決定日, 確定日, the day a
        /// report was filed), the day it is printed only while that event has no date yet.
        DocumentDate => "document_date", "日付";
    }
}

code_enum! {
    /// A part of a filing a template places with `@name`.
    Section, "section" {
        Title => "title", "表題";
        Fields => "fields", "概要の表";
        Assumptions => "assumptions", "判定の前提";
        Members => "members", "申請者";
        Partners => "partners", "連携先";
        LegalBasis => "legal_basis", "法制度の承認等";
        Activities => "activities", "事業内容と成果指標";
        BudgetLines => "budget_lines", "経費の内訳";
        BudgetMatrix => "budget_matrix", "経費区分と財源";
        BudgetByCategory => "budget_by_category", "経費区分別の補助対象経費";
        Subsidy => "subsidy", "補助金額の算定";
        PriorAwards => "prior_awards", "過去の採択";
        Findings => "findings", "所見";
        ActualsByCategory => "actuals_by_category", "経費区分別の実績";
        Reports => "reports", "報告";
        ReportBody => "report_body", "報告の内容";
    }
}

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
    pub key: FieldKey,
    pub label: String,
}

/// A run of template text: literal text and the values of field keys, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Field(FieldKey),
}

/// One line of a template: `@section`, `>right`, `<left`, `#heading`, a blank line, or a
/// paragraph; text may hold `{field_key}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateLine {
    Section(Section),
    Right(Vec<Piece>),
    Left(Vec<Piece>),
    Heading(Vec<Piece>),
    Space,
    Paragraph(Vec<Piece>),
}

#[derive(Debug, Clone)]
struct Filing {
    definition: FilingDefinition,
    template: Vec<TemplateLine>,
}

/// Every filing's definition and template, checked together.
#[derive(Debug, Clone)]
pub struct FilingForms {
    filings: BTreeMap<FilingKind, Filing>,
}

const DEFINITIONS: &[(&str, &str, &str)] = &[
    (
        "application",
        include_str!("../../../forms/filings/application.toml"),
        include_str!("../../../templates/pdf/application.txt"),
    ),
    (
        "budget",
        include_str!("../../../forms/filings/budget.toml"),
        include_str!("../../../templates/pdf/budget.txt"),
    ),
    (
        "decision",
        include_str!("../../../forms/filings/decision.toml"),
        include_str!("../../../templates/pdf/decision.txt"),
    ),
    (
        "grant_request",
        include_str!("../../../forms/filings/grant_request.toml"),
        include_str!("../../../templates/pdf/grant_request.txt"),
    ),
    (
        "interim_report",
        include_str!("../../../forms/filings/interim_report.toml"),
        include_str!("../../../templates/pdf/interim_report.txt"),
    ),
    (
        "completion_report",
        include_str!("../../../forms/filings/completion_report.toml"),
        include_str!("../../../templates/pdf/completion_report.txt"),
    ),
    (
        "grant_decision_notice",
        include_str!("../../../forms/filings/grant_decision_notice.toml"),
        include_str!("../../../templates/pdf/grant_decision_notice.txt"),
    ),
    (
        "amount_confirmation_notice",
        include_str!("../../../forms/filings/amount_confirmation_notice.toml"),
        include_str!("../../../templates/pdf/amount_confirmation_notice.txt"),
    ),
];

impl FilingForms {
    /// The definitions compiled into the binary, checked: every kind has one, every field key
    /// and section name is known, and every `{placeholder}` is a field key.
    pub fn embedded() -> Result<FilingForms, String> {
        let mut filings = BTreeMap::new();
        for (code, toml_text, template) in DEFINITIONS {
            let file = format!("forms/filings/{code}.toml");
            let kind: FilingKind = code.parse()?;
            let definition: FilingDefinition =
                toml::from_str(toml_text).map_err(|error| format!("{file}: {error}"))?;
            if definition.code != *code {
                return Err(format!("{file}: code は \"{code}\" であるべきです"));
            }
            let template = parse_template(code, template)?;
            filings.insert(
                kind,
                Filing {
                    definition,
                    template,
                },
            );
        }
        for kind in FilingKind::ALL {
            if !filings.contains_key(kind) {
                return Err(format!("forms/filings/{}.toml がありません", kind.code()));
            }
        }
        Ok(FilingForms { filings })
    }

    pub fn definition(&self, kind: FilingKind) -> Option<&FilingDefinition> {
        self.filings.get(&kind).map(|filing| &filing.definition)
    }

    pub(super) fn template(&self, kind: FilingKind) -> &[TemplateLine] {
        self.filings
            .get(&kind)
            .map_or(&[], |filing| filing.template.as_slice())
    }

    /// The Japanese title of a filing.
    pub fn title(&self, kind: FilingKind) -> &str {
        self.definition(kind)
            .map_or(kind.code(), |definition| definition.title.as_str())
    }
}

fn parse_template(code: &str, template: &str) -> Result<Vec<TemplateLine>, String> {
    let file = format!("templates/pdf/{code}.txt");
    (1..)
        .zip(template.lines())
        .map(|(number, line)| {
            let at = |problem: String| format!("{file}:{number}: {problem}");
            let text = |rest: &str| pieces(rest).map_err(at);
            Ok(if let Some(name) = line.strip_prefix('@') {
                TemplateLine::Section(
                    name.trim()
                        .parse()
                        .map_err(|_| at(format!("未知の欄 @{name}")))?,
                )
            } else if let Some(rest) = line.strip_prefix('>') {
                TemplateLine::Right(text(rest.trim())?)
            } else if let Some(rest) = line.strip_prefix('<') {
                TemplateLine::Left(text(rest.trim())?)
            } else if let Some(rest) = line.strip_prefix('#') {
                TemplateLine::Heading(text(rest.trim())?)
            } else if line.trim().is_empty() {
                TemplateLine::Space
            } else {
                TemplateLine::Paragraph(text(line)?)
            })
        })
        .collect()
}

/// Template text split at its `{field_key}` placeholders.
fn pieces(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            pieces.push(Piece::Text(rest[..open].to_owned()));
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err("{ が閉じていません".to_owned());
        };
        let key = &after[..close];
        pieces.push(Piece::Field(
            key.parse()
                .map_err(|_| format!("未知の差し込み項目 {{{key}}}"))?,
        ));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_read_into_sections_and_placeholders() {
        let lines = parse_template("example", ">{issued_on}\n@title\n\n{fiscal_year}の報告です")
            .expect("a good template");
        assert_eq!(
            lines,
            vec![
                TemplateLine::Right(vec![Piece::Field(FieldKey::IssuedOn)]),
                TemplateLine::Section(Section::Title),
                TemplateLine::Space,
                TemplateLine::Paragraph(vec![
                    Piece::Field(FieldKey::FiscalYear),
                    Piece::Text("の報告です".to_owned()),
                ]),
            ]
        );
    }

    #[test]
    fn unknown_sections_and_placeholders_are_refused_with_their_line() {
        assert_eq!(
            parse_template("example", "@title\n@budget_table"),
            Err("templates/pdf/example.txt:2: 未知の欄 @budget_table".to_owned())
        );
        assert_eq!(
            parse_template("example", "{lead} と {leader}"),
            Err("templates/pdf/example.txt:1: 未知の差し込み項目 {leader}".to_owned())
        );
        assert_eq!(
            parse_template("example", "\n\n{lead"),
            Err("templates/pdf/example.txt:3: { が閉じていません".to_owned())
        );
    }

    #[test]
    fn every_shipped_definition_loads() {
        let forms = FilingForms::embedded().expect("shipped filings");
        for kind in FilingKind::ALL {
            assert!(!forms.template(*kind).is_empty(), "{kind} has no template");
            assert_ne!(forms.title(*kind), kind.code(), "{kind} has no title");
        }
    }
}
