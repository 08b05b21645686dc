//! The one place where an [`AppError`] becomes an HTTP response.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::error::{AppError, ErrorKind};

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self.kind {
            ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Config | ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            // The cause and location go to the log only; the caller learns nothing internal.
            tracing::error!(error = ?self, "request failed");
        }
        if let (ErrorKind::Invalid, Some(errors)) = (self.kind, &self.field_errors) {
            return HttpResponse::build(status).json(errors);
        }
        let message = match self.kind {
            ErrorKind::Config | ErrorKind::Internal => {
                "内部エラーが発生しました。時間をおいてもう一度お試しください".to_owned()
            }
            _ => self.message.clone(),
        };
        let mut response = HttpResponse::build(status);
        if let Some(seconds) = self.retry_after {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(json!({
            "error": { "code": error_code(self.kind), "message": message }
        }))
    }
}

/// Stable codes for programs that read our errors.
pub fn error_code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Invalid => "invalid",
        ErrorKind::BadRequest => "bad_request",
        ErrorKind::Unauthenticated => "unauthenticated",
        ErrorKind::Forbidden => "forbidden",
        ErrorKind::NotFound => "not_found",
        ErrorKind::Conflict => "conflict",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::TooManyRequests => "too_many_requests",
        ErrorKind::Config | ErrorKind::Internal => "internal",
    }
}
