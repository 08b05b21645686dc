//! The evaluation contract of DESIGN.md end to end — JSON request in, JSON decision out — so
//! that `hojokin evaluate`, `POST /api/v1/evaluate` and the live preview give one answer.

use serde_json::Value;

use super::evaluation::{
    Application, DecisionLists, evaluate_all_frames, evaluate_reusing, parse_request_value,
};
use super::ledger::Ledger;
use super::program::ProgramSet;
use super::validation::{ErrorCode, FieldErrors};
use super::{decision_json, fast_request};

pub use super::fast_request::SpareLists;

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
    let lists = &mut DecisionLists::default();
    write_decision(&application, programs, ledger, all_frames, lists, out)
}

/// The decision on a parsed application, appended to `out` as JSON.
fn write_decision(
    application: &Application,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    lists: &mut DecisionLists,
    out: &mut Vec<u8>,
) -> Result<(), FieldErrors> {
    let program = programs.program_for(application)?;
    if all_frames {
        decision_json::write_all_frames(&evaluate_all_frames(application, ledger, program), out);
    } else {
        let decision = evaluate_reusing(application, ledger, program, lists);
        decision_json::write_decision(&decision, out);
        lists.keep(decision);
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
    let spare = &mut SpareLists::default();
    if let Some(answered) = evaluate_plain_text(request, programs, ledger, all_frames, spare, out) {
        return answered;
    }
    evaluate_text_reporting(request, programs, ledger, all_frames, out)
}

/// [`evaluate_text`] without its fast path: for a request that [`evaluate_if_plain`] has
/// already declined, so that it is not read that way twice.
pub fn evaluate_text_reporting(
    request: &str,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    out: &mut Vec<u8>,
) -> Result<(), FieldErrors> {
    match serde_json::from_str::<Value>(request) {
        Ok(value) => evaluate_json(&value, programs, ledger, all_frames, out),
        Err(error) => Err(FieldErrors::invalid_json(&error)),
    }
}

/// The fast path of [`evaluate_text`] on bytes not yet known to be UTF-8 (a line of a JSONL
/// stream): the answer when the request is valid and plainly written, `None` otherwise. Then
/// the caller checks the bytes are UTF-8 and calls [`evaluate_text`], which reports every
/// field error; a `Some` already means the bytes are UTF-8.
///
/// The application's lists are built in the allocations of `spare` and left there for the
/// next line.
pub fn evaluate_if_plain(
    request: &[u8],
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    spare: &mut SpareLists,
    out: &mut Vec<u8>,
) -> Option<Result<(), FieldErrors>> {
    // A valid line is UTF-8; checking it whole (with SIMD) is cheaper than string by string.
    let request = simdutf8::basic::from_utf8(request).ok()?;
    evaluate_plain_text(request, programs, ledger, all_frames, spare, out)
}

fn evaluate_plain_text(
    request: &str,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    spare: &mut SpareLists,
    out: &mut Vec<u8>,
) -> Option<Result<(), FieldErrors>> {
    let (application, requested_all_frames) = fast_request::parse_reusing(request, spare)?;
    let answered = write_decision(
        &application,
        programs,
        ledger,
        all_frames || requested_all_frames,
        spare.decision_lists(),
        out,
    );
    spare.keep(application);
    Some(answered)
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
