//! Evidence files of the legal basis: upload, delete and download.

use serde_json::json;

use super::{authorized_aggregate, editable_aggregate, field_error};
use crate::db::{self, DbConnection, audit};
use crate::domain::audit::AuditAction;
use crate::domain::validation::ErrorCode;
use crate::domain::workflow::{Action, Actor};
use crate::error::{AppError, AppResult};

/// The field of the upload form, where refusals of a file are reported.
pub const EVIDENCE_FIELD: &str = "evidence_file";

/// Stores an evidence file of the legal basis (accepted by `domain::evidence::accept`) while
/// the application can be edited, with its audit event, in one transaction.
pub fn upload_evidence(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
    file: &crate::domain::evidence::EvidenceFile,
) -> AppResult<i64> {
    use crate::domain::evidence::MAX_FILES;
    crate::db::write(conn, |conn| {
        editable_aggregate(conn, actor, application_id)?;
        if db::evidence::count(conn, application_id)? >= MAX_FILES {
            return Err(field_error(
                EVIDENCE_FIELD,
                ErrorCode::InvalidLength,
                format!(
                    "添付できるファイルは {MAX_FILES} 件までです。不要なファイルを削除してください"
                ),
            ));
        }
        let id = db::evidence::insert(conn, application_id, file, actor.user_id, db::now())?;
        audit::append(
            conn,
            &audit::NewAuditEvent {
                changes: json!({
                    "evidence_file_id": id,
                    "file_name": file.file_name,
                    "content_type": file.kind.content_type(),
                    "byte_size": file.byte_size(),
                    "sha256": file.sha256,
                }),
                ..audit::NewAuditEvent::on_application(
                    AuditAction::UploadEvidence,
                    application_id,
                    actor.user_id,
                )
            },
        )?;
        Ok(id)
    })
}

/// Removes an evidence file while the application can be edited, with its audit event.
pub fn delete_evidence(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
    file_id: i64,
) -> AppResult<String> {
    crate::db::write(conn, |conn| {
        editable_aggregate(conn, actor, application_id)?;
        let meta = db::evidence::meta(conn, application_id, file_id)?
            .ok_or_else(|| AppError::not_found("ファイルが見つかりません"))?;
        db::evidence::delete(conn, application_id, file_id)?;
        audit::append(
            conn,
            &audit::NewAuditEvent {
                changes: json!({
                    "evidence_file_id": file_id,
                    "file_name": meta.file_name,
                    "sha256": meta.sha256,
                }),
                ..audit::NewAuditEvent::on_application(
                    AuditAction::DeleteEvidence,
                    application_id,
                    actor.user_id,
                )
            },
        )?;
        Ok(meta.file_name)
    })
}

/// An evidence file with its bytes, for whoever may see the application (the same rule as
/// the application itself: `Action::View`).
pub fn evidence_download(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
    file_id: i64,
) -> AppResult<(db::evidence::EvidenceMeta, Vec<u8>)> {
    authorized_aggregate(conn, actor, application_id, Action::View)?;
    db::evidence::get(conn, application_id, file_id)?
        .ok_or_else(|| AppError::not_found("ファイルが見つかりません"))
}
