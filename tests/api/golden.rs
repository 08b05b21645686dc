//! The golden cases of `tests/golden/*.json` through the two outer doors of the evaluation
//! contract: `hojokin evaluate --jsonl` (the shipped ledger or none) and `POST /api/v1/evaluate`
//! (both databases: empty for `ledger: "empty"` cases, then with the shipped award lists
//! imported for `ledger: "shipped"` ones). The library runs the same cases in-process
//! (`src/program/golden.rs`); these runs prove the CLI and the API answer them alike.

#[path = "../support/golden_check.rs"]
mod golden_check;

use std::io::Write;
use std::process::{Command, Stdio};

use actix_web::{App, test as web_test};
use serde_json::Value;

use crate::helpers::{block_on, state_for};

/// `(file, case)` for every golden case with a decision to check (not `field_errors`).
fn cases(ledger: &str) -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
    let mut cases: Vec<(String, Value)> = std::fs::read_dir(dir)
        .expect("golden dir")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let case: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
            let file = path.file_name().map(|n| n.to_string_lossy().into_owned());
            (file.unwrap_or_default(), case)
        })
        .filter(|(_, case)| {
            case["ledger"] == ledger && case["expect"].get("field_errors").is_none()
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

fn cli_answers(ledger: &str, cases: &[(String, Value)]) -> Vec<Value> {
    let input: String = cases
        .iter()
        .map(|(_, case)| case["request"].to_string() + "\n")
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hojokin"))
        .args(["evaluate", "--jsonl", "--ledger", ledger])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("json line"))
        .collect()
}

#[test]
fn the_cli_answers_every_golden_case() {
    let mut problems = Vec::new();
    for (ledger, flag) in [("empty", "none"), ("shipped", "shipped")] {
        let cases = cases(ledger);
        assert!(cases.len() > 20, "{ledger}: {} cases", cases.len());
        let answers = cli_answers(flag, &cases);
        assert_eq!(answers.len(), cases.len());
        for ((file, case), answer) in cases.iter().zip(&answers) {
            problems.extend(golden_check::case_problems(file, case));
            problems.extend(golden_check::decision_problems(
                file,
                &case["expect"],
                answer,
            ));
        }
    }
    assert!(problems.is_empty(), "CLI:\n{}", problems.join("\n"));
}

crate::on_both_backends!(the_api_answers_every_golden_case, |test_db| {
    let mut problems = Vec::new();
    for ledger in ["empty", "shipped"] {
        if ledger == "shipped" {
            crate::awards::import_shipped(&mut test_db.conn());
        }
        let state = state_for(test_db.pool.clone(), &test_db.url);
        block_on(async {
            let app =
                web_test::init_service(App::new().configure(hojokin::web::configure(state))).await;
            for (file, case) in cases(ledger) {
                let request = web_test::TestRequest::post()
                    .uri("/api/v1/evaluate")
                    .insert_header(("content-type", "application/json"))
                    .set_payload(case["request"].to_string())
                    .to_request();
                let response = web_test::call_service(&app, request).await;
                let status = response.status().as_u16();
                let decision: Value = web_test::read_body_json(response).await;
                if status != 200 {
                    problems.push(format!("{file}: status {status}: {decision}"));
                    continue;
                }
                problems.extend(golden_check::decision_problems(
                    &file,
                    &case["expect"],
                    &decision,
                ));
            }
        });
    }
    assert!(problems.is_empty(), "API:\n{}", problems.join("\n"));
});
