//! The evaluation contract of DESIGN.md end to end — JSON request in, JSON decision out — so
//! that `hojokin evaluate`, `POST /api/v1/evaluate` and the live preview give one answer.

use serde_json::Value;

use super::evaluation::{evaluate, evaluate_all_frames, parse_request_value};
use super::ledger::Ledger;
use super::program::ProgramSet;
use super::validation::{ErrorCode, FieldErrors};

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
    let program = programs.program_for(&application)?;
    let written = if all_frames {
        serde_json::to_writer(
            &mut *out,
            &evaluate_all_frames(&application, ledger, program),
        )
    } else {
        serde_json::to_writer(&mut *out, &evaluate(&application, ledger, program))
    };
    // Serialising plain data into memory cannot fail; if it ever did, say so as an error
    // rather than hand back half a document.
    written.map_err(|error| {
        let mut errors = FieldErrors::new();
        errors.add(
            "",
            ErrorCode::InvalidJson,
            format!("判定結果を書き出せません: {error}"),
        );
        errors
    })
}

/// Parses text first; malformed JSON is a field error at the root.
pub fn evaluate_text(
    request: &str,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    out: &mut Vec<u8>,
) -> Result<(), FieldErrors> {
    match serde_json::from_str::<Value>(request) {
        Ok(value) => evaluate_json(&value, programs, ledger, all_frames, out),
        Err(error) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "",
                ErrorCode::InvalidJson,
                format!(
                    "JSONとして読めません（{}行{}列）",
                    error.line(),
                    error.column()
                ),
            );
            Err(errors)
        }
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
