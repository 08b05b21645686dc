//! The cells of every workbook hojokin writes (the finance officer's budget lines, the
//! 事務局's pipeline, the impact report): text a spreadsheet would run kept as text
//! ([`reads_as_formula`], OWASP CSV injection), amounts in whole yen as numbers, bold headers.

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

use crate::domain::text::reads_as_formula;

/// The cell formats of an exported workbook.
pub struct Formats {
    pub bold: Format,
    /// Whole yen with thousands separators.
    pub yen: Format,
    pub bold_yen: Format,
    /// A text a spreadsheet would take for a formula, marked to stay text when someone edits
    /// it (the "quote prefix" of a cell typed with a leading `'`, not part of the text).
    as_text: Format,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            bold: Format::new().set_bold(),
            yen: Format::new().set_num_format("#,##0"),
            bold_yen: Format::new().set_bold().set_num_format("#,##0"),
            as_text: Format::new().set_quote_prefix(),
        }
    }
}

impl Formats {
    /// A text cell, which the spreadsheet never runs (see [`Formats::as_text`]).
    pub fn text(
        &self,
        sheet: &mut Worksheet,
        row: u32,
        column: u16,
        text: &str,
    ) -> Result<(), XlsxError> {
        if reads_as_formula(text) {
            sheet.write_string_with_format(row, column, text, &self.as_text)
        } else {
            sheet.write_string(row, column, text)
        }
        .map(|_| ())
    }

    /// An amount in whole yen, as a number. Yen are whole numbers far below 2^53, so the
    /// spreadsheet's number holds them exactly.
    pub fn yen(
        &self,
        sheet: &mut Worksheet,
        row: u32,
        column: u16,
        yen: i64,
        format: &Format,
    ) -> Result<(), XlsxError> {
        sheet
            .write_number_with_format(row, column, yen as f64, format)
            .map(|_| ())
    }

    /// The header row, in bold.
    pub fn header(
        &self,
        sheet: &mut Worksheet,
        row: u32,
        titles: &[&str],
    ) -> Result<(), XlsxError> {
        for (column, title) in (0u16..).zip(titles) {
            sheet.write_string_with_format(row, column, *title, &self.bold)?;
        }
        Ok(())
    }
}
