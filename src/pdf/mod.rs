//! PDF filings (申請書, 経費明細書, 判定結果, 交付申請書, 報告書, 通知書).
//!
//! Three steps, each testable alone:
//! 1. the data: `actions::filings::load_filing_data` reads the application through `db`,
//!    [`judge`] asks `domain` for the decision, giving a [`FilingData`] — the PDF layer reads
//!    no database and computes no rule;
//! 2. the layout model: [`filings::compose`] turns it into blocks and [`layout::layout`]
//!    places them on A4 pages as pure data (snapshot-tested);
//! 3. the drawing: [`draw::draw`] writes the pages with printpdf, the font embedded as a subset.

pub mod data;
pub mod draw;
pub mod filings;
pub mod font;
pub mod layout;
pub mod text;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

pub use filings::{FilingData, FilingForms, FilingKind, Judgement};
pub use font::PdfFont;

use crate::domain::evaluation::Application;
use crate::domain::evaluation::evaluate;
use crate::domain::ledger::Ledger;
use crate::domain::program::ProgramSet;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use filings::{DecisionView, FindingView, PriorAwardView};
use layout::{Footer, LayoutDocument};
use text::Metrics;

/// A rendered filing and what a caller should know about it.
#[derive(Debug, Clone)]
pub struct RenderedFiling {
    pub bytes: Vec<u8>,
    pub pages: usize,
    /// Characters shown as 〓 because the font has no glyph (or they were control characters).
    pub missing_glyphs: Vec<char>,
    pub data_hash: String,
    /// `R8-0001_budget.pdf`: the reference made safe for a file name.
    pub file_name: String,
    /// `R8-0001_経費明細書.pdf`: the name people save it under (sent RFC 5987-encoded).
    pub title_file_name: String,
}

impl RenderedFiling {
    /// The characters shown as 〓, as code points (`U+4E02 U+20BB7`).
    pub fn missing_glyph_codes(&self) -> String {
        let codes: Vec<String> = self
            .missing_glyphs
            .iter()
            .map(|c| format!("U+{:04X}", u32::from(*c)))
            .collect();
        codes.join(" ")
    }
}

/// The engine's decision for a stored application, judged as `evaluate` would judge the same
/// application posted to the API.
pub fn judge(
    application: Result<Application<'_>, FieldErrors>,
    assumptions: Vec<String>,
    programs: &ProgramSet,
    ledger: &Ledger,
) -> (Judgement, Vec<String>) {
    let parsed = application.and_then(|parsed| programs.program_for(&parsed).map(|_| parsed));
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(errors) => {
            let errors = errors
                .errors
                .iter()
                .flat_map(|(path, errors)| {
                    errors.iter().map(move |error| {
                        if path.is_empty() {
                            error.message.clone()
                        } else {
                            format!("{path}: {}", error.message)
                        }
                    })
                })
                .collect();
            return (Judgement::NotJudged { errors }, assumptions);
        }
    };
    let Ok(program) = programs.program_for(&parsed) else {
        return (
            Judgement::NotJudged {
                errors: vec!["年度の事業定義がありません".to_owned()],
            },
            assumptions,
        );
    };
    let decision = evaluate(&parsed, ledger, program);
    let view = DecisionView {
        eligible: decision.eligible,
        award_ordinal: decision.award_ordinal,
        rate: decision.rate.map(|rate| rate.to_string()),
        cap_yen: decision.cap_yen.value(),
        eligible_expenses_yen: decision.eligible_expenses_yen.value(),
        subsidy_yen: decision.subsidy_yen.value(),
        rounding_unit_yen: decision.rounding_unit_yen.value(),
        prior_awards: decision
            .prior_awards
            .iter()
            .map(|award| PriorAwardView {
                fiscal_year: award.fiscal_year,
                frame: award.frame.to_owned(),
                listed_as: award.listed_as.to_owned(),
                applicant: award.applicant.to_owned(),
            })
            .collect(),
        findings: decision
            .findings
            .iter()
            .map(|finding| FindingView {
                code: finding.code.to_owned(),
                severity: finding.severity,
                message: finding.message.to_string(),
                source: crate::program::readable_source(finding.source),
            })
            .collect(),
        rules_version: decision.rules_version.to_owned(),
    };
    (Judgement::Decided(view), assumptions)
}

/// The first 12 hex digits of the SHA-256 of the filing's kind and data (not of the date it
/// was printed), so that two prints of the same record carry the same number.
pub fn data_hash(kind: FilingKind, data: &FilingData) -> AppResult<String> {
    let json = serde_json::to_vec(data)
        .map_err(|error| AppError::internal("書類のデータを直列化できません").with_cause(error))?;
    let mut hasher = Sha256::new();
    hasher.update(kind.code().as_bytes());
    hasher.update([0]);
    hasher.update(&json);
    let digest = hasher.finalize();
    Ok(digest.iter().take(6).map(|b| format!("{b:02x}")).collect())
}

/// The layout model of a filing.
pub fn layout_filing(
    kind: FilingKind,
    data: &FilingData,
    forms: &FilingForms,
    issued_on: NaiveDate,
    metrics: &dyn Metrics,
) -> AppResult<LayoutDocument> {
    let blocks = filings::compose(kind, data, forms, issued_on);
    let footer = Footer {
        kind_title: forms.title(kind).to_owned(),
        reference: data.application.reference.clone(),
        data_hash: data_hash(kind, data)?,
        audit_head: data
            .audit_head
            .as_ref()
            .map(|head| format!("監査ログ {} 件 {}", head.count, head.short_hash())),
    };
    let title = format!("{} {}", forms.title(kind), data.application.reference);
    Ok(layout::layout(&title, &blocks, &footer, metrics))
}

/// Lays out and draws a filing.
pub fn render_filing(
    kind: FilingKind,
    data: &FilingData,
    forms: &FilingForms,
    issued_on: NaiveDate,
    font: &PdfFont,
) -> AppResult<RenderedFiling> {
    let document = layout_filing(kind, data, forms, issued_on, font)?;
    let bytes = draw::draw(&document, font);
    let reference: String = data
        .application
        .reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !document.missing_glyphs.is_empty() {
        tracing::warn!(
            kind = kind.code(),
            reference = %data.application.reference,
            missing = ?document.missing_glyphs,
            "filing has characters the font cannot draw; shown as 〓"
        );
    }
    Ok(RenderedFiling {
        pages: document.pages.len(),
        missing_glyphs: document.missing_glyphs,
        data_hash: data_hash(kind, data)?,
        file_name: format!("{reference}_{}.pdf", kind.code()),
        title_file_name: format!("{reference}_{}.pdf", forms.title(kind)),
        bytes,
    })
}

#[cfg(test)]
mod tests;
