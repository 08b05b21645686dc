//! The evaluation contract of DESIGN.md end to end — JSON request in, JSON decision out — so
//! that `hojokin evaluate`, `POST /api/v1/evaluate`, the drafts and the live preview give one
//! answer. The request is read by serde into [`request::Request`], checked once by
//! `validator`, and only then becomes a `domain` application; the decision is written by
//! its `Serialize` derive.

pub mod decision;
pub mod errors;
pub mod given;
pub mod request;

use chrono::NaiveDate;
use serde_json::Value;
use validator::Validate;

use crate::domain::evaluation::{Application, evaluate, evaluate_all_frames};
use crate::domain::ledger::Ledger;
use crate::domain::program::ProgramSet;
use crate::domain::validation::{FieldError, FieldErrors};
use given::Given;
use request::Request;

/// Reads and validates a request, reporting every invalid field at once.
///
/// sonic-rs reads first (it measured fastest, docs/PERFORMANCE.md); a document it refuses is
/// read again by serde_json, which says where reading stopped, into the same types.
pub fn read_request(text: &str) -> Result<Request<'_>, FieldErrors> {
    let document = match sonic_rs::from_str::<Given<Request>>(text) {
        Ok(document) => document,
        Err(_) => {
            let reader = &mut serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize::<_, Given<Request>>(reader)
                .map_err(|error| errors::from_reading(&error))?
        }
    };
    validated(document)
}

/// As [`read_request`], from a JSON value already in memory (a draft built by the workflow).
pub fn read_request_value(value: &Value) -> Result<Request<'_>, FieldErrors> {
    match serde_path_to_error::deserialize::<_, Given<Request>>(value) {
        Ok(document) => validated(document),
        Err(error) => Err(errors::from_reading(&error)),
    }
}

fn validated(document: Given<Request<'_>>) -> Result<Request<'_>, FieldErrors> {
    let Given::Value(request) = document else {
        return Err(errors::not_an_object());
    };
    request
        .validate()
        .map_err(|invalid| errors::from_validation(&invalid))?;
    Ok(request)
}

/// The application a valid request describes.
pub fn parse_request(text: &str) -> Result<Application<'_>, FieldErrors> {
    application_of(&read_request(text)?)
}

/// As [`parse_request`], from a JSON value.
pub fn parse_request_value(value: &Value) -> Result<Application<'_>, FieldErrors> {
    application_of(&read_request_value(value)?)
}

/// A request built in memory (from a stored application) as the domain's application,
/// checked by the same validation as a posted document.
pub fn application_of_request(request: Request<'_>) -> Result<Application<'_>, FieldErrors> {
    application_of(&validated(Given::Value(request))?)
}

fn application_of<'a>(request: &Request<'a>) -> Result<Application<'a>, FieldErrors> {
    request.to_application().map_err(|_| errors::unreadable())
}

/// Evaluates one request and appends its decision as JSON to `out`.
///
/// With `all_frames` (or `"all_frames": true` in the request) the answer is every frame of the
/// year side by side with the best one named. Nothing is written to `out` on error.
pub fn evaluate_text(
    text: &str,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    out: &mut Vec<u8>,
) -> Result<(), FieldErrors> {
    evaluate_request(&read_request(text)?, programs, ledger, all_frames, out)
}

/// [`evaluate_text`] on a request already read, so that a caller can refuse bad input before
/// it loads the ledger.
pub fn evaluate_request(
    request: &Request<'_>,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    out: &mut Vec<u8>,
) -> Result<(), FieldErrors> {
    let application = application_of(request)?;
    let program = programs.program_for(&application)?;
    let written = if all_frames || request.wants_all_frames() {
        sonic_rs::to_writer(
            &mut *out,
            &evaluate_all_frames(&application, ledger, program),
        )
    } else {
        sonic_rs::to_writer(&mut *out, &evaluate(&application, ledger, program))
    };
    // Writing a decision (string keys only) into memory cannot fail; were it to, the request
    // is refused rather than a partial decision written.
    written.map_err(|_| errors::unreadable())
}

/// Bytes not yet known to be text (a request body, a line of a stream) as text, or the field
/// error of a request that is not UTF-8.
pub fn text_of(bytes: &[u8]) -> Result<&str, FieldErrors> {
    // Checked whole with SIMD: a line of Japanese text costs the standard check ~7 instructions a byte.
    simdutf8::compat::from_utf8(bytes).map_err(|error| errors::not_utf8(error.valid_up_to()))
}

/// An amount typed into a form field named `label` (see [`request::typed_amount`]), with the
/// codes and messages of the contract.
pub fn amount_from_typed(text: &str, label: &str) -> Result<i64, FieldError> {
    request::typed_amount(text).map_err(|error| errors::labelled(&error, label))
}

/// A date typed into a form field named `label`: `YYYY-MM-DD`, as in a request.
pub fn date_from_typed(text: &str, label: &str) -> Result<NaiveDate, FieldError> {
    request::date_from_text(text.trim()).map_err(|error| errors::labelled(&error, label))
}

#[cfg(test)]
mod tests;
