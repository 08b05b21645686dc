//! `hojokin impact --xlsx FILE`: the impact report as an Excel workbook for the 事務局's own
//! tables. Sheet 概要 has the totals by frame and by award ordinal, the award-cap standing and
//! the budget; 変わる申請 and 採択台帳の団体 list who changes, figure by figure, with the
//! findings of both decisions. Amounts are numbers; every header row is frozen and filtered.

use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use crate::domain::impact::{ChangedApplication, ImpactReport, SideBySide, Subtotal};
use crate::domain::money::Yen;
use crate::spreadsheet::Formats;

/// What the workbook's summary names besides the report.
pub struct WorkbookFacts<'a> {
    pub fiscal_year: crate::domain::calendar::FiscalYear,
    pub rules_file: &'a str,
    pub budget: Option<Yen>,
}

/// An amount as a number in the workbook's yen format.
fn yen(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    column: u16,
    value: Yen,
) -> Result<(), XlsxError> {
    formats.yen(sheet, row, column, value.value(), &formats.yen)
}

/// A sheet's header row: bold, the first two columns wider, frozen.
fn header(sheet: &mut Worksheet, formats: &Formats, titles: &[&str]) -> Result<(), XlsxError> {
    formats.header(sheet, 0, titles)?;
    for column in 0..titles.len() as u16 {
        sheet.set_column_width(column, if column < 2 { 24.0 } else { 16.0 })?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

pub fn impact_workbook(
    report: &ImpactReport,
    facts: &WorkbookFacts<'_>,
) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::default();
    let mut workbook = Workbook::new();
    summary_sheet(workbook.add_worksheet(), &formats, report, facts)?;
    let applications = workbook.add_worksheet();
    applications.set_name("変わる申請")?;
    changed_sheet(applications, &formats, &report.changed, true)?;
    if let Some(ledger) = &report.ledger {
        let sheet = workbook.add_worksheet();
        sheet.set_name("採択台帳の団体")?;
        changed_sheet(sheet, &formats, &ledger.changed, false)?;
    }
    workbook.save_to_buffer()
}

const SUMMARY_HEADER: [&str; 6] = [
    "区分",
    "現行 件数",
    "現行 補助金額",
    "案 件数",
    "案 補助金額",
    "差額",
];

fn summary_sheet(
    sheet: &mut Worksheet,
    formats: &Formats,
    report: &ImpactReport,
    facts: &WorkbookFacts<'_>,
) -> Result<(), XlsxError> {
    sheet.set_name("概要")?;
    header(sheet, formats, &SUMMARY_HEADER)?;
    let mut row = 1u32;
    let mut total_row = |sheet: &mut Worksheet, label: String, totals: SideBySide<Subtotal>| {
        formats.text(sheet, row, 0, &label)?;
        sheet.write_number(row, 1, totals.base.eligible as f64)?;
        yen(sheet, formats, row, 2, totals.base.subsidy_yen)?;
        sheet.write_number(row, 3, totals.draft.eligible as f64)?;
        yen(sheet, formats, row, 4, totals.draft.subsidy_yen)?;
        yen(
            sheet,
            formats,
            row,
            5,
            Yen::new(totals.draft.subsidy_yen.value() - totals.base.subsidy_yen.value()),
        )?;
        row += 1;
        Ok::<(), XlsxError>(())
    };
    for (frame, totals) in &report.by_frame {
        total_row(sheet, format!("枠: {}", frame.label_ja()), *totals)?;
    }
    for (ordinal, totals) in &report.by_award_ordinal {
        total_row(sheet, format!("採択回数: {ordinal}回目"), *totals)?;
    }
    total_row(sheet, "合計".to_owned(), report.total)?;
    sheet.autofilter(0, 0, row - 1, 5)?;
    // Below the table: what the figures are about.
    let notes: Vec<(String, String)> = [
        ("年度".to_owned(), facts.fiscal_year.to_string()),
        ("規則案".to_owned(), facts.rules_file.to_owned()),
        (
            "判定した申請".to_owned(),
            format!("{} 件", report.evaluated),
        ),
        (
            "判定が変わる申請".to_owned(),
            format!("{} 件", report.changed.len()),
        ),
        (
            "上限に達していて申請できない申請".to_owned(),
            format!(
                "現行 {} 件 / 案 {} 件",
                report.award_cap.base.at_cap, report.award_cap.draft.at_cap
            ),
        ),
    ]
    .into_iter()
    .collect();
    let mut note_row = row + 1;
    for (label, value) in &notes {
        formats.text(sheet, note_row, 0, label)?;
        formats.text(sheet, note_row, 1, value)?;
        note_row += 1;
    }
    if let Some(budget) = facts.budget {
        let left = report.against_budget(budget);
        formats.text(sheet, note_row, 0, "予算額")?;
        yen(sheet, formats, note_row, 1, budget)?;
        formats.text(
            sheet,
            note_row + 1,
            0,
            "すべて採択した場合の残額（現行 / 案）",
        )?;
        yen(sheet, formats, note_row + 1, 1, left.base)?;
        yen(sheet, formats, note_row + 1, 2, left.draft)?;
    }
    Ok(())
}

const CHANGED_HEADER: [&str; 14] = [
    "申請番号",
    "団体名",
    "変わるもの",
    "現行 申請の可否",
    "案 申請の可否",
    "現行 採択回数",
    "案 採択回数",
    "現行 補助率",
    "案 補助率",
    "現行 補助金額",
    "案 補助金額",
    "差額",
    "現行の指摘",
    "案の指摘",
];

fn changed_sheet(
    sheet: &mut Worksheet,
    formats: &Formats,
    rows: &[ChangedApplication],
    with_reference: bool,
) -> Result<(), XlsxError> {
    header(sheet, formats, &CHANGED_HEADER)?;
    let eligible = |eligible: bool| {
        if eligible {
            "申請可"
        } else {
            "申請不可"
        }
    };
    let rate = |rate: Option<crate::domain::money::Rate>| {
        rate.map_or_else(|| "—".to_owned(), |rate| rate.to_string())
    };
    let findings = |findings: &[crate::domain::impact::FindingText]| {
        findings
            .iter()
            .map(|finding| finding.message.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (row, changed) in (1u32..).zip(rows) {
        formats.text(
            sheet,
            row,
            0,
            if with_reference { &changed.label } else { "" },
        )?;
        formats.text(sheet, row, 1, &changed.organisation)?;
        formats.text(sheet, row, 2, &changed.changes.labels_ja().join("・"))?;
        formats.text(sheet, row, 3, eligible(changed.base.eligible))?;
        formats.text(sheet, row, 4, eligible(changed.draft.eligible))?;
        sheet.write_number(row, 5, f64::from(changed.base.award_ordinal))?;
        sheet.write_number(row, 6, f64::from(changed.draft.award_ordinal))?;
        formats.text(sheet, row, 7, &rate(changed.base.rate))?;
        formats.text(sheet, row, 8, &rate(changed.draft.rate))?;
        yen(sheet, formats, row, 9, changed.base.subsidy_yen)?;
        yen(sheet, formats, row, 10, changed.draft.subsidy_yen)?;
        yen(sheet, formats, row, 11, changed.subsidy_difference)?;
        formats.text(sheet, row, 12, &findings(&changed.base_findings))?;
        formats.text(sheet, row, 13, &findings(&changed.draft_findings))?;
    }
    let last = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    sheet.autofilter(0, 0, last, 13)?;
    Ok(())
}
