//! Runs the golden cases in `tests/golden/*.json` against the embedded programmes.
//!
//! Each case is `{"name", "ledger": "empty"|"shipped", "request", "expect"}`. `expect` states
//! the whole decision (`tests/support/golden_check.rs`): eligibility, award ordinal, rate, cap,
//! eligible expenses, the calculated and the granted subsidy, and each finding it names with
//! its severity (`findings`: `{code, severity}`; a refused case names every error), the codes
//! that must not appear (`absent_findings`), texts the finding of a code must say
//! (`message_contains`: pairs of code and text); or `field_errors` (path → codes) for a
//! request that must not parse. A case's figures are also worked out again from its request
//! and the year's programme file, without the engine.
//! `shipped` cases run against the award ledger built from `forms/awards/awards-r4-r7.csv` and
//! `forms/aliases.toml`.

#[path = "../../tests/support/golden_check.rs"]
mod golden_check;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::contract::parse_request_value;
use crate::domain::evaluation::{evaluate, evaluate_all_frames};
use crate::domain::ledger::Ledger;
use crate::domain::program::ProgramSet;

/// `tests/golden` of this crate, found from this file's path so that it also works when the
/// module is compiled from another crate.
fn golden_dir() -> PathBuf {
    let this_file = Path::new(file!());
    let crate_root = this_file
        .ancestors()
        .nth(3)
        .filter(|root| !root.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate_root.join("tests").join("golden")
}

fn load_cases() -> Vec<(String, Value)> {
    let dir = golden_dir();
    let mut cases: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let case: Value = serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let file = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            (file, case)
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

/// Checks one case; returns the problems found (empty when it passes).
fn check_case(file: &str, case: &Value, programs: &ProgramSet, ledger: &Ledger) -> Vec<String> {
    let mut problems = golden_check::case_problems(file, case);
    let expect = &case["expect"];
    let parsed = parse_request_value(&case["request"]);
    if let Some(expected_errors) = expect.get("field_errors").and_then(Value::as_object) {
        match parsed {
            Ok(_) => problems.push(format!("{file}: expected field errors, the request parsed")),
            Err(errors) => {
                let actual = serde_json::to_value(&errors).unwrap_or(Value::Null);
                for (path, codes) in expected_errors {
                    for code in codes.as_array().into_iter().flatten() {
                        let found = actual["errors"][path]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|error| &error["code"] == code);
                        if !found {
                            problems.push(format!(
                                "{file}: no error {code} at `{path}`; got {}",
                                actual["errors"]
                            ));
                        }
                    }
                }
            }
        }
        return problems;
    }
    let application = match parsed {
        Ok(application) => application,
        Err(errors) => {
            problems.push(format!("{file}: request does not parse: {errors}"));
            return problems;
        }
    };
    let program = match programs.program_for(&application) {
        Ok(program) => program,
        Err(errors) => {
            problems.push(format!("{file}: no programme: {errors}"));
            return problems;
        }
    };
    let decision = evaluate(&application, ledger, program);
    let actual = serde_json::to_value(&decision).unwrap_or(Value::Null);
    problems.extend(golden_check::decision_problems(file, expect, &actual));
    if let Some(expected) = expect.get("best_frame") {
        let all = evaluate_all_frames(&application, ledger, program);
        let best = serde_json::to_value(all.best_frame).unwrap_or(Value::Null);
        if &best != expected {
            problems.push(format!("{file}: best frame {best}, expected {expected}"));
        }
    }
    // Every finding is serialisable with a message and a source a person can follow.
    for finding in actual["findings"].as_array().into_iter().flatten() {
        if finding["message"].as_str().is_none_or(str::is_empty)
            || finding["source"].as_str().is_none_or(str::is_empty)
        {
            problems.push(format!(
                "{file}: finding without message or source: {finding}"
            ));
        }
    }
    problems
}

#[test]
fn golden_cases() {
    let programs = ProgramSet::embedded().expect("embedded programmes");
    let empty = Ledger::new();
    let shipped = super::shipped_ledger(&programs).expect("the shipped award lists build a ledger");
    let cases = load_cases();
    assert!(
        !cases.is_empty(),
        "no golden cases in {}",
        golden_dir().display()
    );
    let mut problems = Vec::new();
    let mut ran = 0;
    for (file, case) in &cases {
        let ledger = match case["ledger"].as_str() {
            Some("empty") => &empty,
            Some("shipped") => &shipped,
            other => {
                problems.push(format!(
                    "{file}: `ledger` must be \"empty\" or \"shipped\", is {other:?}"
                ));
                continue;
            }
        };
        ran += 1;
        problems.extend(check_case(file, case, &programs, ledger));
    }
    assert!(ran >= 70, "every golden case ran ({ran})");
    assert!(
        problems.is_empty(),
        "golden cases failed:\n{}",
        problems.join("\n")
    );
}

/// The case of `file`, as the folder holds it.
fn case_named(file: &str) -> Value {
    load_cases()
        .into_iter()
        .find(|(name, _)| name == file)
        .map(|(_, case)| case)
        .unwrap_or_else(|| panic!("no golden case {file}"))
}

#[test]
fn a_case_that_leaves_out_part_of_its_decision_fails() {
    let programs = ProgramSet::embedded().expect("embedded programmes");
    let empty = Ledger::new();
    let refused = case_named("r8_right_hand_4th_refused.json");
    assert_eq!(
        check_case(
            "r8_right_hand_4th_refused.json",
            &refused,
            &programs,
            &empty
        ),
        Vec::<String>::new(),
        "the case as written passes"
    );
    let failing = |edit: &dyn Fn(&mut Value)| {
        let mut case = refused.clone();
        edit(&mut case["expect"]);
        check_case("edited.json", &case, &programs, &empty)
    };
    for key in golden_check::STATED_FIGURES {
        let problems = failing(&|expect| {
            expect.as_object_mut().map(|object| object.remove(key));
        });
        assert!(
            problems.iter().any(|problem| problem.contains(key)),
            "without `{key}`: {problems:?}"
        );
    }
    // `null` says "does not apply": right for the rate of a 4th award, wrong for its cap.
    assert!(!failing(&|expect| expect["cap_yen"] = Value::Null).is_empty());
    // A finding named without its severity, or with another one.
    assert!(!failing(&|expect| expect["findings"][0] = "award_cap_exceeded".into()).is_empty());
    assert!(!failing(&|expect| expect["findings"][0]["severity"] = "warning".into()).is_empty());
    // A refusal that does not name the error that refuses it.
    assert!(!failing(&|expect| expect["findings"] = Value::Array(vec![])).is_empty());
}

#[test]
fn a_case_whose_figures_the_rules_do_not_give_fails() {
    let case = case_named("r8_legal_3rd_rounding.json");
    assert_eq!(
        golden_check::case_problems("r8_legal_3rd_rounding.json", &case),
        Vec::<String>::new()
    );
    // 10,000,001 × 1/3 = 3,333,333.67: 3,333,000 after 千円未満切捨て, not the 1-yen figure.
    for (key, wrong) in [
        ("calculated_subsidy_yen", Value::from(3_333_333)),
        ("subsidy_yen", Value::from(3_333_333)),
        ("eligible_expenses_yen", Value::from(10_000_000)),
        ("cap_yen", Value::from(13_000_000)),
        (
            "rate",
            serde_json::json!({"numerator": 1, "denominator": 2}),
        ),
        ("award_ordinal", Value::from(2)),
    ] {
        let mut edited = case.clone();
        edited["expect"][key] = wrong;
        assert!(
            !golden_check::case_problems("edited.json", &edited).is_empty(),
            "a wrong {key} is caught without the engine"
        );
    }
}
