//! A page form with one file (`multipart/form-data`): the evidence files of the legal basis
//! and the program manager's award list. The CSRF token must come before the file, as our
//! pages send it, so that a file without the session's token before it is refused with 403
//! before any of it is read. Whether the file is acceptable is the caller's rule (in
//! `domain`); this module only reads it, within bounds.

use actix_multipart::Multipart;
use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use futures_util::StreamExt;

use super::{CSRF, PageError, csrf_refused as refused, error_page, same_token};
use crate::error::{AppError, ErrorKind};

/// A text field of an upload form (the CSRF token) is never longer than this.
const MAX_TEXT_FIELD_BYTES: usize = 1024;

/// The file of the form, as sent.
pub struct UploadedFile {
    /// The name the browser gave (may be empty).
    pub file_name: String,
    /// The content type the browser declared (may be empty; never to be trusted).
    pub declared_type: String,
    /// `Err(size)`: the file was larger than the limit (its size as read; the bytes were
    /// dropped).
    pub bytes: Result<Vec<u8>, usize>,
}

fn malformed() -> PageError {
    PageError(AppError::new(
        ErrorKind::BadRequest,
        "ファイルを受け取れませんでした。もう一度お試しください。",
    ))
}

/// Reads the form's field `file_field` after checking its CSRF token; `Ok(None)` when the
/// form had no file field.
///
/// Before anything is read, a request of unknown length is answered 411 and one longer than
/// twice `max_file_bytes` 413. A file over `max_file_bytes` but within that bound is read and
/// dropped (so that the browser gets the answer) and comes back as `Err(size)`, for the
/// caller to show next to its field. Other fields are read past. The `Err` of this function
/// is the response to send as it is.
pub async fn read_file_form(
    request: &HttpRequest,
    payload: web::Payload,
    file_field: &str,
    max_file_bytes: usize,
) -> Result<Option<UploadedFile>, HttpResponse> {
    let limit_mb = max_file_bytes / (1024 * 1024);
    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    match declared_length {
        Some(length) if length <= max_file_bytes.saturating_mul(2) => {}
        Some(_) => {
            return Err(error_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "ファイルが大きすぎます",
                &format!(
                    "添付できるファイルは {limit_mb}MB までです。ファイルを小さくしてもう一度お試しください。"
                ),
            ));
        }
        // Browsers always send the length of a form; a stream of unknown length is not read.
        None => {
            return Err(error_page(
                StatusCode::LENGTH_REQUIRED,
                "ファイルを受け取れませんでした",
                "送信の形式が正しくありません。画面のフォームからもう一度お試しください。",
            ));
        }
    }
    let multipart = Multipart::new(request.headers(), payload.into_inner());
    read_fields(request, multipart, file_field, max_file_bytes)
        .await
        .map_err(|error| error.error_response())
}

async fn read_fields(
    request: &HttpRequest,
    mut multipart: Multipart,
    file_field: &str,
    max_file_bytes: usize,
) -> Result<Option<UploadedFile>, PageError> {
    let expected = request
        .get_session()
        .get::<String>(CSRF)
        .map_err(|_| refused())?
        .ok_or_else(refused)?;
    let mut token_ok = false;
    let mut received = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| malformed())?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == CSRF {
            let value = field
                .bytes(MAX_TEXT_FIELD_BYTES)
                .await
                .map_err(|_| refused())?
                .map_err(|_| malformed())?;
            token_ok = same_token(&String::from_utf8_lossy(&value), &expected);
            if !token_ok {
                return Err(refused());
            }
        } else if name == file_field {
            if !token_ok {
                return Err(refused());
            }
            let file_name = field
                .content_disposition()
                .and_then(|disposition| disposition.get_filename())
                .unwrap_or_default()
                .to_owned();
            let declared_type = field
                .content_type()
                .map(ToString::to_string)
                .unwrap_or_default();
            let mut bytes = Vec::new();
            let mut size = 0usize;
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|_| malformed())?;
                size += chunk.len();
                // Past the limit the rest is read and dropped (the request as a whole is
                // bounded by twice the limit).
                if size <= max_file_bytes {
                    bytes.extend_from_slice(&chunk);
                } else {
                    bytes = Vec::new();
                }
            }
            received = Some(UploadedFile {
                file_name,
                declared_type,
                bytes: if size > max_file_bytes {
                    Err(size)
                } else {
                    Ok(bytes)
                },
            });
        } else {
            // Nothing else belongs to the form; read past it.
            while let Some(chunk) = field.next().await {
                chunk.map_err(|_| malformed())?;
            }
        }
    }
    if !token_ok {
        return Err(refused());
    }
    Ok(received)
}
