//! The `evidence_files` table: the legal basis's documents and the attachments of a report
//! (`report_id`), bytes included. Listing never reads the bytes; only a download does.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::DbConnection;
use super::schema::evidence_files;
use crate::domain::evidence::EvidenceFile;
use crate::error::AppResult;
use crate::on_backend;

/// A stored file without its bytes.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = evidence_files)]
pub struct EvidenceMeta {
    pub id: i64,
    pub application_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub byte_size: i64,
    pub sha256: String,
    pub uploaded_by: i64,
    pub uploaded_at: NaiveDateTime,
    /// The report the file is attached to; `None`: a document of the legal basis.
    pub report_id: Option<i64>,
}

/// Stores a document of the legal basis.
pub fn insert(
    conn: &mut DbConnection,
    application_id: i64,
    file: &EvidenceFile,
    uploaded_by: i64,
    uploaded_at: NaiveDateTime,
) -> AppResult<i64> {
    insert_row(conn, application_id, None, file, uploaded_by, uploaded_at)
}

/// Stores an attachment of one report of the application.
pub fn insert_attachment(
    conn: &mut DbConnection,
    application_id: i64,
    report_id: i64,
    file: &EvidenceFile,
    uploaded_by: i64,
    uploaded_at: NaiveDateTime,
) -> AppResult<i64> {
    insert_row(
        conn,
        application_id,
        Some(report_id),
        file,
        uploaded_by,
        uploaded_at,
    )
}

fn insert_row(
    conn: &mut DbConnection,
    application_id: i64,
    report_id: Option<i64>,
    file: &EvidenceFile,
    uploaded_by: i64,
    uploaded_at: NaiveDateTime,
) -> AppResult<i64> {
    let values = (
        evidence_files::report_id.eq(report_id),
        evidence_files::application_id.eq(application_id),
        evidence_files::file_name.eq(&file.file_name),
        evidence_files::content_type.eq(file.kind.content_type()),
        evidence_files::byte_size.eq(file.byte_size()),
        evidence_files::sha256.eq(&file.sha256),
        evidence_files::bytes.eq(&file.bytes),
        evidence_files::uploaded_by.eq(uploaded_by),
        evidence_files::uploaded_at.eq(uploaded_at),
    );
    Ok(
        on_backend!(conn, c => diesel::insert_into(evidence_files::table)
            .values(values)
            .returning(evidence_files::id)
            .get_result::<i64>(c))?,
    )
}

/// The legal basis's files of the application, oldest first.
pub fn list(conn: &mut DbConnection, application_id: i64) -> AppResult<Vec<EvidenceMeta>> {
    Ok(evidence_files::table
        .filter(evidence_files::application_id.eq(application_id))
        .filter(evidence_files::report_id.is_null())
        .order(evidence_files::id)
        .select(EvidenceMeta::as_select())
        .load(conn)?)
}

/// The attachments of one report, oldest first.
pub fn of_report(conn: &mut DbConnection, report_id: i64) -> AppResult<Vec<EvidenceMeta>> {
    Ok(evidence_files::table
        .filter(evidence_files::report_id.eq(report_id))
        .order(evidence_files::id)
        .select(EvidenceMeta::as_select())
        .load(conn)?)
}

/// One file of the application (of the legal basis or of a report), with its bytes (`None`:
/// no such file on this application).
pub fn get(
    conn: &mut DbConnection,
    application_id: i64,
    id: i64,
) -> AppResult<Option<(EvidenceMeta, Vec<u8>)>> {
    Ok(evidence_files::table
        .find(id)
        .filter(evidence_files::application_id.eq(application_id))
        .select((EvidenceMeta::as_select(), evidence_files::bytes))
        .first(conn)
        .optional()?)
}

/// One file of the legal basis without its bytes.
pub fn meta(
    conn: &mut DbConnection,
    application_id: i64,
    id: i64,
) -> AppResult<Option<EvidenceMeta>> {
    Ok(evidence_files::table
        .find(id)
        .filter(evidence_files::application_id.eq(application_id))
        .filter(evidence_files::report_id.is_null())
        .select(EvidenceMeta::as_select())
        .first(conn)
        .optional()?)
}

/// Removes one file of the legal basis; whether there was one (a report's attachments stay
/// with their report).
pub fn delete(conn: &mut DbConnection, application_id: i64, id: i64) -> AppResult<bool> {
    let removed = diesel::delete(
        evidence_files::table
            .find(id)
            .filter(evidence_files::application_id.eq(application_id))
            .filter(evidence_files::report_id.is_null()),
    )
    .execute(conn)?;
    Ok(removed > 0)
}

/// How many files the legal basis of the application has.
pub fn count(conn: &mut DbConnection, application_id: i64) -> AppResult<i64> {
    Ok(evidence_files::table
        .filter(evidence_files::application_id.eq(application_id))
        .filter(evidence_files::report_id.is_null())
        .count()
        .get_result(conn)?)
}
