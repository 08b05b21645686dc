//! The evaluation contract of DESIGN.md end to end — JSON request in, JSON decision out — so
//! that `hojokin evaluate`, `POST /api/v1/evaluate` and the live preview give one answer.

use serde_json::Value;

use super::evaluation::{Application, evaluate, evaluate_all_frames, parse_request_value};
use super::ledger::Ledger;
use super::program::ProgramSet;
use super::validation::{ErrorCode, FieldErrors};
use super::{decision_json, fast_request};

/// Evaluates one request and appends its decision as JSON to `out`.
///
/// With `all_frames` (or `"all_frames": true` in the request) the answer is every frame of the
/// year side by side with the best one named. Nothing is written to `out` on error.
pub fn evaluate_json(
    request: &Value,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    out: &mut Vec<u8>,
) -> Result<(), FieldErrors> {
    let all_frames = all_frames || wants_all_frames(request)?;
    let application = parse_request_value(request)?;
    write_decision(&application, programs, ledger, all_frames, out)
}

/// The decision on a parsed application, appended to `out` as JSON.
fn write_decision(
    application: &Application,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    out: &mut Vec<u8>,
) -> Result<(), FieldErrors> {
    let program = programs.program_for(application)?;
    if all_frames {
        decision_json::write_all_frames(&evaluate_all_frames(application, ledger, program), out);
    } else {
        decision_json::write_decision(&evaluate(application, ledger, program), out);
    }
    Ok(())
}

/// Parses text first; malformed JSON is a field error at the root.
pub fn evaluate_text(
    request: &str,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    out: &mut Vec<u8>,
) -> Result<(), FieldErrors> {
    // Valid requests take the fast path; anything else is parsed again on the `Value` path,
    // which reports every field error.
    if let Some((application, requested_all_frames)) = fast_request::parse(request) {
        return write_decision(
            &application,
            programs,
            ledger,
            all_frames || requested_all_frames,
            out,
        );
    }
    match serde_json::from_str::<Value>(request) {
        Ok(value) => evaluate_json(&value, programs, ledger, all_frames, out),
        Err(error) => Err(FieldErrors::invalid_json(&error)),
    }
}

fn wants_all_frames(request: &Value) -> Result<bool, FieldErrors> {
    match request.get("all_frames") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "all_frames",
                ErrorCode::InvalidType,
                "all_frames には true か false を指定してください".to_owned(),
            );
            Err(errors)
        }
    }
}
