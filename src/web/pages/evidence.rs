//! Evidence files of the legal basis: uploaded from the editor's legal-basis section
//! (multipart, CSRF token first: `pages::upload`), listed on the editor and the application page, downloaded
//! by whoever may see the application, deleted while it can be edited. Which files are
//! accepted is `domain::evidence`'s rule; storing, deleting and the audit events are
//! `actions`'.

use actix_session::Session;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;

use super::upload::{UploadedFile, read_file_form};
use super::{Db, PageCaller, PageError, PageForm, PageOn, PageResult, Then, redirect, set_flash};
use crate::actions::{self, EVIDENCE_FIELD};
use crate::db::evidence::EvidenceMeta;
use crate::domain::evidence::{
    self, EvidenceError, EvidenceFile, EvidenceKind, MAX_BYTES, human_size,
};
use crate::error::{AppError, ErrorKind};

/// What the file input accepts (the server checks the bytes all the same).
pub const ACCEPT: &str = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg";

/// One stored file as pages list it.
#[derive(Serialize, Clone)]
pub struct EvidenceLink {
    pub id: i64,
    pub file_name: String,
    pub kind_label: &'static str,
    pub size_label: String,
    pub uploaded_on: String,
    pub href: String,
    pub sha256_short: String,
}

impl EvidenceLink {
    pub fn of(meta: &EvidenceMeta) -> Self {
        EvidenceLink {
            id: meta.id,
            file_name: meta.file_name.clone(),
            kind_label: EvidenceKind::from_content_type(&meta.content_type)
                .map_or("—", EvidenceKind::label),
            size_label: human_size(u64::try_from(meta.byte_size).unwrap_or(0)),
            uploaded_on: crate::domain::deadlines::utc_to_jst(meta.uploaded_at)
                .date()
                .to_string(),
            href: format!("/applications/{}/evidence/{}", meta.application_id, meta.id),
            sha256_short: meta.sha256.chars().take(12).collect(),
        }
    }
}

/// The editor's evidence section: the files, and the refusal of the last upload.
#[derive(Serialize, Clone, Default)]
pub struct EvidenceSection {
    pub files: Vec<EvidenceLink>,
    pub error: Option<String>,
    pub accept: &'static str,
}

impl EvidenceSection {
    pub fn new(files: &[EvidenceMeta], error: Option<String>) -> Self {
        EvidenceSection {
            files: files.iter().map(EvidenceLink::of).collect(),
            error,
            accept: ACCEPT,
        }
    }
}

/// The file as sent, accepted or refused by `domain::evidence::accept` (one over the size
/// limit was not kept: refused as too large).
pub fn accept_upload(sent: UploadedFile) -> Result<EvidenceFile, EvidenceError> {
    match sent.bytes {
        Err(size) => Err(EvidenceError::too_large(size)),
        Ok(bytes) => evidence::accept(&sent.file_name, &sent.declared_type, bytes),
    }
}

/// Uploads an evidence file. A refused file (too large, not PDF/PNG/JPEG by its bytes) comes
/// back as the editor with the message next to the file input (422), and nothing is stored.
#[post("/applications/{id}/evidence")]
pub async fn upload(
    request: HttpRequest,
    payload: web::Payload,
    PageOn(db, session, id, caller): PageOn,
) -> PageResult {
    let upload = match read_file_form(&request, payload, EVIDENCE_FIELD, MAX_BYTES).await {
        Ok(upload) => upload.unwrap_or(UploadedFile {
            file_name: String::new(),
            declared_type: String::new(),
            bytes: Ok(Vec::new()),
        }),
        Err(response) => return Ok(response),
    };
    let file = match accept_upload(upload) {
        Ok(file) => file,
        Err(refusal) => {
            return super::editor::with_evidence_error(
                &db,
                &caller,
                &session,
                id,
                refusal.to_string(),
            )
            .await;
        }
    };
    let actor = caller.actor.clone();
    let name = file.file_name.clone();
    let stored = db
        .run(move |conn, _| actions::upload_evidence(conn, &actor, id, &file))
        .await;
    match stored {
        Ok(_) => {
            set_flash(&session, format!("「{name}」を添付しました。"));
            Ok(redirect(&format!("/applications/{id}/edit#evidence")))
        }
        Err(error) if error.kind == ErrorKind::Invalid => {
            let message = super::view::refusal_message(&error);
            super::editor::with_evidence_error(&db, &caller, &session, id, message).await
        }
        Err(error) => Err(error.into()),
    }
}

/// Deletes an evidence file while the application can be edited.
#[post("/applications/{id}/evidence/{file_id}/delete")]
pub async fn delete(
    db: Db,
    session: Session,
    path: web::Path<(i64, i64)>,
    Then(_form, PageCaller(caller)): Then<PageForm, PageCaller>,
) -> Result<HttpResponse, PageError> {
    let (id, file_id) = path.into_inner();
    let actor = caller.actor;
    let name = db
        .run(move |conn, _| actions::delete_evidence(conn, &actor, id, file_id))
        .await?;
    set_flash(&session, format!("「{name}」を削除しました。"));
    Ok(redirect(&format!("/applications/{id}/edit#evidence")))
}

/// Sends a file to whoever may see the application (others: 403), as an attachment under its
/// Japanese name, with the type its bytes showed when it was accepted and no sniffing.
#[get("/applications/{id}/evidence/{file_id}")]
pub async fn download(
    db: Db,
    path: web::Path<(i64, i64)>,
    PageCaller(caller): PageCaller,
) -> PageResult {
    let (id, file_id) = path.into_inner();
    let actor = caller.actor;
    let (meta, bytes) = db
        .run(move |conn, _| actions::evidence_download(conn, &actor, id, file_id))
        .await?;
    let kind = EvidenceKind::from_content_type(&meta.content_type)
        .ok_or_else(|| AppError::internal("保存されたファイルの種類が不明です"))?;
    let disposition =
        HeaderValue::from_str(&content_disposition(&meta.file_name, meta.id, kind))
            .map_err(|error| AppError::internal("ファイル名を送れません").with_cause(error))?;
    Ok(HttpResponse::Ok()
        .content_type(kind.content_type())
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .body(bytes))
}

/// `attachment; filename="evidence-7.pdf"; filename*=UTF-8''%E8%AA%8D…`: an ASCII name for
/// old clients and the real one encoded as RFC 5987 (RFC 6266 §4.3) for the rest.
pub fn content_disposition(file_name: &str, id: i64, kind: EvidenceKind) -> String {
    let extension = match kind {
        EvidenceKind::Pdf => "pdf",
        EvidenceKind::Png => "png",
        EvidenceKind::Jpeg => "jpg",
    };
    format!(
        "attachment; filename=\"evidence-{id}.{extension}\"; filename*=UTF-8''{}",
        rfc5987(file_name)
    )
}

/// Percent-encodes every byte of the UTF-8 name but RFC 5987's `attr-char`.
fn rfc5987(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric()
                || matches!(
                    byte,
                    b'!' | b'#'
                        | b'$'
                        | b'&'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
            {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_names_are_sent_rfc_5987_encoded() {
        assert_eq!(
            content_disposition("認定 通知書\"1\".pdf", 7, EvidenceKind::Pdf),
            "attachment; filename=\"evidence-7.pdf\"; \
             filename*=UTF-8''%E8%AA%8D%E5%AE%9A%20%E9%80%9A%E7%9F%A5%E6%9B%B8%221%22.pdf"
        );
        assert_eq!(rfc5987("a;b,c'd"), "a%3Bb%2Cc%27d");
        assert!(
            HeaderValue::from_str(&content_disposition("改行\r\n入り", 1, EvidenceKind::Png))
                .is_ok()
        );
    }
}
