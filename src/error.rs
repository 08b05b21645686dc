//! The one error type of the service (DESIGN.md habit 9).
//!
//! Which error to use where:
//! - `domain` returns its own precise errors (`FieldErrors`, `WorkflowError`, …) — they are
//!   part of the rules and are tested as such;
//! - every layer that does I/O (`db`, `mail`, `pdf`, `jobs`, `web`, the CLI) returns
//!   [`AppError`], built with one of its constructors so that the kind, the cause and the
//!   caller's location travel together;
//! - the mapping of an [`ErrorKind`] to an HTTP status lives in one place, `web::errors`,
//!   and to a CLI exit status in `cli`.

use std::fmt;
use std::panic::Location;

use crate::domain::validation::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is not valid; the field errors say why (HTTP 422, exit status 2).
    Invalid,
    /// The request is malformed beyond field errors (HTTP 400).
    BadRequest,
    /// Not logged in (HTTP 401).
    Unauthenticated,
    /// Logged in but not allowed (HTTP 403).
    Forbidden,
    NotFound,
    /// A stale version or a state that no longer allows the action (HTTP 409).
    Conflict,
    /// Configuration that cannot work; stops the start.
    Config,
    /// A dependency (database, SMTP server) does not answer, or the server is too busy
    /// (HTTP 503).
    Unavailable,
    /// Too many attempts (failed logins): try again later (HTTP 429, `Retry-After`).
    TooManyRequests,
    /// Everything else: a bug or an unexpected failure (HTTP 500, internals never shown).
    Internal,
}

pub struct AppError {
    pub kind: ErrorKind,
    /// A message for the person who reads it (Japanese where users read it).
    pub message: String,
    pub field_errors: Option<FieldErrors>,
    pub cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    /// For 429 and 503: in how many seconds to try again (the `Retry-After` header).
    pub retry_after: Option<i64>,
    pub location: &'static Location<'static>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    #[track_caller]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            field_errors: None,
            cause: None,
            retry_after: None,
            location: Location::caller(),
        }
    }

    #[track_caller]
    pub fn invalid(errors: FieldErrors) -> Self {
        let mut error = Self::new(ErrorKind::Invalid, "入力内容に誤りがあります");
        error.field_errors = Some(errors);
        error
    }

    #[track_caller]
    pub fn forbidden() -> Self {
        Self::new(ErrorKind::Forbidden, "この操作を行う権限がありません")
    }

    pub fn with_retry_after(mut self, seconds: i64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    pub fn with_cause(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Box::new(cause));
        self
    }
}

/// `AppError::not_found(message)` and the like: an error of that kind, located where it is made.
macro_rules! kind_constructors {
    ($($name:ident => $kind:ident),+ $(,)?) => {
        impl AppError {$(
            #[track_caller]
            pub fn $name(message: impl Into<String>) -> Self {
                Self::new(ErrorKind::$kind, message)
            }
        )+}
    };
}

kind_constructors! {
    config => Config,
    not_found => NotFound,
    conflict => Conflict,
    internal => Internal,
    unavailable => Unavailable,
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} at {}:{}: {}",
            self.kind,
            self.location.file(),
            self.location.line(),
            self
        )
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

impl From<diesel::result::Error> for AppError {
    #[track_caller]
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        let kind = match &error {
            Error::NotFound => ErrorKind::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => ErrorKind::Conflict,
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => ErrorKind::Conflict,
            _ => ErrorKind::Internal,
        };
        let message = match kind {
            ErrorKind::NotFound => "対象が見つかりません",
            ErrorKind::Conflict => "他の更新と競合しました。再読み込みしてからやり直してください",
            _ => "データベースの処理に失敗しました",
        };
        AppError::new(kind, message).with_cause(error)
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    #[track_caller]
    fn from(error: diesel::r2d2::PoolError) -> Self {
        AppError::unavailable("データベースに接続できません").with_cause(error)
    }
}
