//! A page form with files (`multipart/form-data`): the evidence files of the legal basis, the
//! program manager's award list, and a filing's text with its attachments ([`FormWithFiles`]).
//! The CSRF token must come before the file, as our pages send it, so that a file without the
//! session's token before it is refused with 403 before any of it is read. Whether a file is
//! acceptable is the caller's rule (in `domain`); this module only reads it, within bounds.

use std::future::Future;
use std::pin::Pin;

use actix_multipart::Multipart;
use actix_session::SessionExt;
use actix_web::dev;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::StreamExt;

use super::{CSRF, PageError, PageForm, csrf_refused as refused, error_page, same_token};
use crate::actions::ATTACHMENT_FIELD;
use crate::domain::evidence::MAX_BYTES;
use crate::error::{AppError, ErrorKind};

/// A text field of an upload form (the CSRF token) is never longer than this.
const MAX_TEXT_FIELD_BYTES: usize = 1024;

/// A text field of a filing sent with its attachments (a report's body: 40,000 characters of
/// up to 4 bytes) is never longer than this.
const MAX_FILING_TEXT_BYTES: usize = 160 * 1024;

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
    PageError::from(AppError::new(
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
    check_length(request, max_file_bytes)?;
    let multipart = Multipart::new(request.headers(), payload.into_inner());
    let parts = read_fields(request, multipart, file_field, max_file_bytes, None)
        .await
        .map_err(|error| error.error_response())?;
    Ok(parts.files.into_iter().next())
}

/// [`read_file_form`], keeping the form's other text fields (each at most
/// `MAX_TEXT_FIELD_BYTES`): a choice made beside the file, such as its encoding.
pub async fn read_file_form_with_fields(
    request: &HttpRequest,
    payload: web::Payload,
    file_field: &str,
    max_file_bytes: usize,
) -> Result<(PageForm, Option<UploadedFile>), HttpResponse> {
    check_length(request, max_file_bytes)?;
    let multipart = Multipart::new(request.headers(), payload.into_inner());
    let parts = read_fields(
        request,
        multipart,
        file_field,
        max_file_bytes,
        Some(MAX_TEXT_FIELD_BYTES),
    )
    .await
    .map_err(|error| error.error_response())?;
    Ok((
        PageForm {
            fields: parts.texts,
        },
        parts.files.into_iter().next(),
    ))
}

/// A page form posted either as `multipart/form-data` with files in its field
/// [`ATTACHMENT_FIELD`] (each at most [`MAX_BYTES`], read as [`read_file_form`] reads its file),
/// or as an ordinary form without files ([`PageForm`]). The CSRF token is checked either way;
/// a file input left empty sends no file.
pub struct FormWithFiles {
    pub form: PageForm,
    pub files: Vec<UploadedFile>,
}

impl FromRequest for FormWithFiles {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.trim_start().starts_with("multipart/form-data"));
        if !multipart {
            let form = PageForm::from_request(request, payload);
            return Box::pin(async move {
                Ok(FormWithFiles {
                    form: form.await?,
                    files: Vec::new(),
                })
            });
        }
        let request = request.clone();
        let payload = payload.take();
        Box::pin(async move {
            let read = async {
                check_length(&request, MAX_BYTES)?;
                let multipart = Multipart::new(request.headers(), payload);
                read_fields(
                    &request,
                    multipart,
                    ATTACHMENT_FIELD,
                    MAX_BYTES,
                    Some(MAX_FILING_TEXT_BYTES),
                )
                .await
                .map_err(|error| error.error_response())
            };
            let parts = read
                .await
                .map_err(|response| actix_web::error::InternalError::from_response("", response))?;
            Ok(FormWithFiles {
                form: PageForm {
                    fields: parts.texts,
                },
                files: parts
                    .files
                    .into_iter()
                    .filter(|file| {
                        !(file.file_name.is_empty() && file.bytes.as_ref().is_ok_and(Vec::is_empty))
                    })
                    .collect(),
            })
        })
    }
}

/// 411 for a request of unknown length, 413 for one longer than twice `max_file_bytes`.
fn check_length(request: &HttpRequest, max_file_bytes: usize) -> Result<(), HttpResponse> {
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
    Ok(())
}

/// What a multipart form carried: its text fields (the CSRF token among them) and the files of
/// its file field, in order.
struct Parts {
    texts: Vec<(String, String)>,
    files: Vec<UploadedFile>,
}

/// Reads the form after its CSRF token: every file of `file_field`, and the other fields as
/// text of at most `text_limit` bytes each (`None`: read past them).
async fn read_fields(
    request: &HttpRequest,
    mut multipart: Multipart,
    file_field: &str,
    max_file_bytes: usize,
    text_limit: Option<usize>,
) -> Result<Parts, PageError> {
    let expected = request
        .get_session()
        .get::<String>(CSRF)
        .map_err(|_| refused())?
        .ok_or_else(refused)?;
    let mut token_ok = false;
    let mut parts = Parts {
        texts: Vec::new(),
        files: Vec::new(),
    };
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| malformed())?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == CSRF {
            let value = field
                .bytes(MAX_TEXT_FIELD_BYTES)
                .await
                .map_err(|_| refused())?
                .map_err(|_| malformed())?;
            let value = String::from_utf8_lossy(&value).into_owned();
            token_ok = same_token(&value, &expected);
            if !token_ok {
                return Err(refused());
            }
            parts.texts.push((name, value));
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
            parts.files.push(UploadedFile {
                file_name,
                declared_type,
                bytes: if size > max_file_bytes {
                    Err(size)
                } else {
                    Ok(bytes)
                },
            });
        } else if let Some(limit) = text_limit {
            if !token_ok {
                return Err(refused());
            }
            let value = field
                .bytes(limit)
                .await
                .map_err(|_| malformed())?
                .map_err(|_| malformed())?;
            let value = String::from_utf8(value.to_vec()).map_err(|_| malformed())?;
            parts.texts.push((name, value));
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
    Ok(parts)
}
