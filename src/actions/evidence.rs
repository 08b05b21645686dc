//! Evidence files of the legal basis (upload, delete and download) and the attachments filed
//! with an interim report: the same files, checked by the same rule, downloaded alike.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use super::payloads::InterimReport;
use super::transitions::{ActionOutcome, ActionRequest, perform};
use super::{authorized_aggregate, editable_aggregate, field_error};
use crate::db::{self, DbConnection, audit};
use crate::domain::audit::AuditAction;
use crate::domain::evidence::{EvidenceFile, MAX_FILES};
use crate::domain::program::ProgramSet;
use crate::domain::validation::ErrorCode;
use crate::domain::workflow::{Action, Actor, ReportKind};
use crate::error::{AppError, AppResult};

/// The field of the upload form, where refusals of a file are reported.
pub const EVIDENCE_FIELD: &str = "evidence_file";

/// The field of a report's attachments, where refusals of a file are reported.
pub const ATTACHMENT_FIELD: &str = "attachments";

/// What the audit trail keeps of a stored file.
fn stored_file(id: i64, file: &EvidenceFile) -> Value {
    json!({
        "evidence_file_id": id,
        "file_name": file.file_name,
        "content_type": file.kind.content_type(),
        "byte_size": file.byte_size(),
        "sha256": file.sha256,
    })
}

/// The interim report waiting for 受理・差戻し, as the 事務局 reads it before deciding.
pub struct PendingInterimReport {
    pub report_id: i64,
    pub submitted_at: Option<NaiveDateTime>,
    pub body: String,
    pub attachments: Vec<db::evidence::EvidenceMeta>,
}

/// The application's interim report waiting for 受理・差戻し, with its attachments (the
/// caller has checked who may see the application).
pub fn pending_interim_report(
    conn: &mut DbConnection,
    application_id: i64,
) -> AppResult<Option<PendingInterimReport>> {
    let Some((report_id, body_json, submitted_at)) =
        db::workflow::submitted_report(conn, application_id, ReportKind::Interim)?
    else {
        return Ok(None);
    };
    let report: InterimReport = serde_json::from_str(&body_json)
        .map_err(|error| AppError::internal("中間報告の内容を読めません").with_cause(error))?;
    Ok(Some(PendingInterimReport {
        report_id,
        submitted_at,
        body: report.body,
        attachments: db::evidence::of_report(conn, report_id)?,
    }))
}

/// Files an interim report with its attachments (each accepted by `domain::evidence::accept`):
/// the report and its audit event as [`perform`] writes them, then each file with an audit
/// event naming the report, all in one transaction: a refusal stores nothing.
pub fn submit_interim_report(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    application_id: i64,
    request: &ActionRequest,
    today: NaiveDate,
    attachments: &[EvidenceFile],
) -> AppResult<ActionOutcome> {
    if i64::try_from(attachments.len()).unwrap_or(i64::MAX) > MAX_FILES {
        return Err(field_error(
            ATTACHMENT_FIELD,
            ErrorCode::TooMany,
            format!("一度に添付できるファイルは {MAX_FILES} 件までです"),
        ));
    }
    crate::db::write(conn, |conn| {
        let outcome = perform(
            conn,
            programs,
            actor,
            application_id,
            Action::SubmitInterimReport,
            request,
            today,
        )?;
        if attachments.is_empty() {
            return Ok(outcome);
        }
        let (report_id, _, _) =
            db::workflow::submitted_report(conn, application_id, ReportKind::Interim)?
                .ok_or_else(|| AppError::internal("提出した中間報告が見つかりません"))?;
        for file in attachments {
            let id = db::evidence::insert_attachment(
                conn,
                application_id,
                report_id,
                file,
                actor.user_id,
                db::now(),
            )?;
            let mut changes = stored_file(id, file);
            changes["report_id"] = json!(report_id);
            audit::append(
                conn,
                &audit::NewAuditEvent {
                    changes,
                    ..audit::NewAuditEvent::on_application(
                        AuditAction::UploadEvidence,
                        application_id,
                        actor.user_id,
                    )
                },
            )?;
        }
        Ok(outcome)
    })
}

/// Stores an evidence file of the legal basis (accepted by `domain::evidence::accept`) while
/// the application can be edited, with its audit event, in one transaction.
pub fn upload_evidence(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
    file: &EvidenceFile,
) -> AppResult<i64> {
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
                changes: stored_file(id, file),
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
