//! Evidence files of the legal basis: uploaded from the editor's legal-basis section
//! (multipart, CSRF token first), listed on the editor and the application page, downloaded
//! by whoever may see the application, deleted while it can be edited. Which files are
//! accepted is `domain::evidence`'s rule; storing, deleting and the audit events are
//! `actions`'.

use actix_multipart::Multipart;
use actix_session::{Session, SessionExt};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt;
use serde::Serialize;

use super::{
    CSRF, PageError, PageForm, PageResult, blocking, error_page, page_caller, redirect, same_token,
    set_flash,
};
use crate::actions::{self, EVIDENCE_FIELD};
use crate::db::evidence::EvidenceMeta;
use crate::domain::evidence::{self, EvidenceError, EvidenceKind, MAX_BYTES, human_size};
use crate::error::{AppError, ErrorKind};
use crate::web::AppState;

/// A request larger than this is refused before it is read (the file may be at most
/// [`MAX_BYTES`]; what lies between is read and then refused with the field's message).
const MAX_REQUEST_BYTES: usize = 2 * MAX_BYTES;

/// A text field of the upload form (the CSRF token) is never longer than this.
const MAX_TEXT_FIELD_BYTES: usize = 1024;

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

fn refused() -> PageError {
    PageError(AppError::new(
        ErrorKind::Forbidden,
        "フォームの有効期限が切れたか、不正な送信です",
    ))
}

/// What the upload form sent, once its token has been checked.
struct Upload {
    file_name: String,
    declared_type: String,
    /// `Err`: the file was larger than [`MAX_BYTES`] (its size as read).
    bytes: Result<Vec<u8>, usize>,
}

/// Reads the upload form. The CSRF token must come before the file (as the page sends it):
/// a file without a valid token before it is refused with 403 before any of it is read.
async fn read_upload(request: &HttpRequest, mut multipart: Multipart) -> Result<Upload, PageError> {
    let expected = request
        .get_session()
        .get::<String>(CSRF)
        .map_err(|_| refused())?
        .ok_or_else(refused)?;
    let mut token_ok = false;
    let mut received = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| bad_upload())?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == CSRF {
            let value = field
                .bytes(MAX_TEXT_FIELD_BYTES)
                .await
                .map_err(|_| refused())?
                .map_err(|_| bad_upload())?;
            token_ok = same_token(&String::from_utf8_lossy(&value), &expected);
            if !token_ok {
                return Err(refused());
            }
        } else if name == EVIDENCE_FIELD {
            if !token_ok {
                return Err(refused());
            }
            let file_name = field
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .unwrap_or_default()
                .to_owned();
            let declared_type = field
                .content_type()
                .map(ToString::to_string)
                .unwrap_or_default();
            let mut bytes = Vec::new();
            let mut size = 0usize;
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|_| bad_upload())?;
                size += chunk.len();
                // Past the limit the rest is read and dropped, so that the browser gets the
                // answer (the request as a whole is bounded by MAX_REQUEST_BYTES).
                if size <= MAX_BYTES {
                    bytes.extend_from_slice(&chunk);
                } else {
                    bytes = Vec::new();
                }
            }
            received = Some(Upload {
                file_name,
                declared_type,
                bytes: if size > MAX_BYTES {
                    Err(size)
                } else {
                    Ok(bytes)
                },
            });
        } else {
            // Nothing else belongs to this form; read past it.
            while let Some(chunk) = field.next().await {
                chunk.map_err(|_| bad_upload())?;
            }
        }
    }
    if !token_ok {
        return Err(refused());
    }
    Ok(received.unwrap_or(Upload {
        file_name: String::new(),
        declared_type: String::new(),
        bytes: Ok(Vec::new()),
    }))
}

fn bad_upload() -> PageError {
    PageError(AppError::new(
        ErrorKind::BadRequest,
        "ファイルを受け取れませんでした。もう一度お試しください。",
    ))
}

/// Uploads an evidence file. A refused file (too large, not PDF/PNG/JPEG by its bytes) comes
/// back as the editor with the message next to the file input (422), and nothing is stored.
#[post("/applications/{id}/evidence")]
pub async fn upload(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<i64>,
    request: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let caller = page_caller(&state, &session).await?;
    let id = path.into_inner();
    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    match declared_length {
        Some(length) if length <= MAX_REQUEST_BYTES => {}
        Some(_) => {
            return Ok(error_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "ファイルが大きすぎます",
                "添付できるファイルは 10MB までです。ファイルを小さくしてもう一度お試しください。",
            ));
        }
        // Browsers always send the length of a form; a stream of unknown length is not read.
        None => {
            return Ok(error_page(
                StatusCode::LENGTH_REQUIRED,
                "ファイルを受け取れませんでした",
                "送信の形式が正しくありません。画面の「ファイルを添付する」からもう一度お試しください。",
            ));
        }
    }
    let multipart = Multipart::new(request.headers(), payload.into_inner());
    let upload = read_upload(&request, multipart).await?;
    let accepted = match upload.bytes {
        Err(size) => Err(EvidenceError::too_large(size)),
        Ok(bytes) => evidence::accept(&upload.file_name, &upload.declared_type, bytes),
    };
    let file = match accepted {
        Ok(file) => file,
        Err(refusal) => {
            return super::editor::with_evidence_error(
                &state,
                &caller,
                &session,
                id,
                refusal.to_string(),
            )
            .await;
        }
    };
    let pool = state.pool.clone();
    let actor = caller.actor.clone();
    let name = file.file_name.clone();
    let stored = blocking(move || {
        let mut conn = pool.get()?;
        actions::upload_evidence(&mut conn, &actor, id, &file)
    })
    .await;
    match stored {
        Ok(_) => {
            set_flash(&session, format!("「{name}」を添付しました。"));
            Ok(redirect(&format!("/applications/{id}/edit#evidence")))
        }
        Err(error) if error.kind == ErrorKind::Invalid => {
            let message = super::view::refusal_message(&error);
            super::editor::with_evidence_error(&state, &caller, &session, id, message).await
        }
        Err(error) => Err(error.into()),
    }
}

/// Deletes an evidence file while the application can be edited.
#[post("/applications/{id}/evidence/{file_id}/delete")]
pub async fn delete(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(i64, i64)>,
    _form: PageForm,
) -> Result<HttpResponse, PageError> {
    let caller = page_caller(&state, &session).await?;
    let (id, file_id) = path.into_inner();
    let pool = state.pool.clone();
    let actor = caller.actor.clone();
    let name = blocking(move || {
        let mut conn = pool.get()?;
        actions::delete_evidence(&mut conn, &actor, id, file_id)
    })
    .await?;
    set_flash(&session, format!("「{name}」を削除しました。"));
    Ok(redirect(&format!("/applications/{id}/edit#evidence")))
}

/// Sends a file to whoever may see the application (others: 403), as an attachment under its
/// Japanese name, with the type its bytes showed when it was accepted and no sniffing.
#[get("/applications/{id}/evidence/{file_id}")]
pub async fn download(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(i64, i64)>,
) -> PageResult {
    let caller = page_caller(&state, &session).await?;
    let (id, file_id) = path.into_inner();
    let pool = state.pool.clone();
    let actor = caller.actor.clone();
    let (meta, bytes) = blocking(move || {
        let mut conn = pool.get()?;
        actions::evidence_download(&mut conn, &actor, id, file_id)
    })
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
