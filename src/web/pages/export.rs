//! What every export (the budget lines, the pipeline) writes the same way: CSV in UTF-8 with
//! a byte-order mark, workbooks (their cells are `crate::spreadsheet`'s), text cells a
//! spreadsheet would run kept as text ([`reads_as_formula`], OWASP CSV injection), and the
//! download itself.

use actix_web::HttpResponse;
use actix_web::http::header;
use rust_xlsxwriter::XlsxError;

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
