//! What every export (the budget lines, the pipeline) writes the same way: CSV in UTF-8 with
//! a byte-order mark, workbooks, text cells a spreadsheet would run kept as text
//! ([`reads_as_formula`], OWASP CSV injection), and the download itself.

use actix_web::HttpResponse;
use actix_web::http::header;
use rust_xlsxwriter::{Format, Worksheet, XlsxError};

use crate::domain::text::reads_as_formula;
use crate::error::{AppError, AppResult};

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

/// A text cell of the CSV: behind a `'` when a spreadsheet would take it for a formula
/// ([`reads_as_formula`]), so that `=HYPERLINK("x")` is shown, not run. The amounts are not
/// text cells: they stay numbers.
pub fn csv_text(text: impl AsRef<str>) -> String {
    let text = text.as_ref();
    if reads_as_formula(text) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A CSV that Excel opens as Japanese: a byte-order mark, then what `write` writes. Rows may
/// differ in length (a block of amounts after the lines, say).
pub fn csv_with_bom(
    write: impl FnOnce(&mut csv::Writer<&mut Vec<u8>>) -> Result<(), csv::Error>,
) -> AppResult<Vec<u8>> {
    let failed = |error: csv::Error| AppError::internal("CSV を作成できません").with_cause(error);
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        write(&mut writer).map_err(failed)?;
        writer
            .flush()
            .map_err(|error| AppError::internal("CSV を作成できません").with_cause(error))?;
    }
    Ok(out)
}

/// Why a workbook could not be written, for the log.
pub fn xlsx_failed(error: XlsxError) -> AppError {
    AppError::internal("Excel ファイルを作成できません").with_cause(error)
}

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

/// A file to download under `file_name` (ASCII).
pub fn attachment(content_type: &'static str, file_name: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .body(bytes)
}
