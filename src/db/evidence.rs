//! The `evidence_files` table: the legal basis's documents, bytes included. Listing never
//! reads the bytes; only a download does.

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
}

pub fn insert(
    conn: &mut DbConnection,
    application_id: i64,
    file: &EvidenceFile,
    uploaded_by: i64,
    uploaded_at: NaiveDateTime,
) -> AppResult<i64> {
    let values = (
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

/// The application's files, oldest first.
pub fn list(conn: &mut DbConnection, application_id: i64) -> AppResult<Vec<EvidenceMeta>> {
    Ok(evidence_files::table
        .filter(evidence_files::application_id.eq(application_id))
        .order(evidence_files::id)
        .select(EvidenceMeta::as_select())
        .load(conn)?)
}

/// One file of the application, with its bytes (`None`: no such file on this application).
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

/// One file of the application without its bytes.
pub fn meta(
    conn: &mut DbConnection,
    application_id: i64,
    id: i64,
) -> AppResult<Option<EvidenceMeta>> {
    Ok(evidence_files::table
        .find(id)
        .filter(evidence_files::application_id.eq(application_id))
        .select(EvidenceMeta::as_select())
        .first(conn)
        .optional()?)
}

/// Removes one file of the application; whether there was one.
pub fn delete(conn: &mut DbConnection, application_id: i64, id: i64) -> AppResult<bool> {
    let removed = diesel::delete(
        evidence_files::table
            .find(id)
            .filter(evidence_files::application_id.eq(application_id)),
    )
    .execute(conn)?;
    Ok(removed > 0)
}

/// How many files the application has.
pub fn count(conn: &mut DbConnection, application_id: i64) -> AppResult<i64> {
    Ok(evidence_files::table
        .filter(evidence_files::application_id.eq(application_id))
        .count()
        .get_result(conn)?)
}
