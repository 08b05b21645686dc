//! The evaluation contract through `POST /api/v1/evaluate` (both databases) and through
//! `hojokin evaluate` (single request and `--jsonl`).

use std::io::Write;
use std::process::{Command, Stdio};

use actix_web::{App, test as web_test};
use serde_json::{Value, json};

use crate::helpers::{block_on, state_for};

/// A valid R8 右腕人材枠 request for 株式会社御祓川 (two past awards), from the golden cases.
pub fn base_request() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/shipped_r8_misogigawa_right_hand_3rd.json"
    );
    let case: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("golden")).expect("json");
    case["request"].clone()
}

/// Changes a valid request into an invalid one.
type Change = Box<dyn Fn(&mut Value)>;

/// POSTs a body to the evaluate endpoint of an in-process app; gives (status, JSON body).
macro_rules! post {
    ($app:expr, $body:expr) => {{
        let request = web_test::TestRequest::post()
            .uri("/api/v1/evaluate")
            .insert_header(("content-type", "application/json"))
            .set_payload($body)
            .to_request();
        let response = web_test::call_service($app, request).await;
        let status = response.status().as_u16();
        let body: Value = web_test::read_body_json(response).await;
        (status, body)
    }};
}

crate::on_both_backends!(the_api_answers_per_the_contract, |test_db| {
    crate::awards::import_shipped(&mut test_db.conn());
    block_on(async {
        let app = web_test::init_service(App::new().configure(hojokin::web::configure(state_for(
            test_db.pool.clone(),
            &test_db.url,
        ))))
        .await;

        // 株式会社御祓川 (printed 御祇川 in one source): a 3rd award at 1/3.
        let mut request = base_request();
        request["applicants"][0]["name"] = json!("株式会社御祇川");
        let (status, decision) = post!(&app, request.to_string());
        assert_eq!(status, 200, "{decision}");
        assert_eq!(decision["eligible"], true);
        assert_eq!(decision["award_ordinal"], 3);
        assert_eq!(decision["rate"], json!({"numerator": 1, "denominator": 3}));
        assert_eq!(decision["eligible_expenses_yen"], 15_000_000);
        assert_eq!(decision["subsidy_yen"], 5_000_000);
        assert_eq!(decision["rounding_unit_yen"], 1_000);
        assert_eq!(decision["prior_awards"].as_array().map(Vec::len), Some(2));
        assert!(
            decision["rules_version"]
                .as_str()
                .is_some_and(|v| v.starts_with("2026-"))
        );

        // 一般社団法人ドット道東 would be a 5th award: refused.
        let mut request = base_request();
        request["applicants"][0]["name"] = json!("一般社団法人ドット道東");
        request["applicants"][0]["kind"] = json!("general_incorporated_association");
        let (status, decision) = post!(&app, request.to_string());
        assert_eq!(status, 200);
        assert_eq!(decision["eligible"], false);
        assert_eq!(decision["subsidy_yen"], 0);
        let codes: Vec<&str> = decision["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|finding| finding["code"].as_str())
            .collect();
        assert!(codes.contains(&"award_cap_exceeded"), "{codes:?}");

        // What-if across the year's frames.
        let mut request = base_request();
        request["all_frames"] = json!(true);
        let (status, all) = post!(&app, request.to_string());
        assert_eq!(status, 200, "{all}");
        assert_eq!(all["decisions"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            all["best_frame"], "right_hand",
            "legal_linkage lacks a legal basis"
        );
    });
});

// Bad input: 422 with every field error, never a 500, never a partial decision.
crate::on_both_backends!(the_api_refuses_bad_input_field_by_field, |test_db| {
    block_on(async {
        let app = web_test::init_service(App::new().configure(hojokin::web::configure(state_for(
            test_db.pool.clone(),
            &test_db.url,
        ))))
        .await;
        let cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|r| r["frame"] = json!("left_hand")),
                "frame",
                "unknown_code",
            ),
            (
                Box::new(|r| r["application_date"] = json!("2026-02-30")),
                "application_date",
                "invalid_date",
            ),
            (
                Box::new(|r| r["activities"][0]["budget_lines"][0]["amount_yen"] = json!(-5)),
                "activities[0].budget_lines[0].amount_yen",
                "negative_amount",
            ),
            (
                Box::new(|r| r["activities"][0]["budget_lines"][0]["amount_yen"] = json!(9e18)),
                "activities[0].budget_lines[0].amount_yen",
                "invalid_number",
            ),
            (
                Box::new(|r| {
                    r["activities"][0]["budget_lines"][0]["amount_yen"] =
                        json!(9_000_000_000_000_000_000u64)
                }),
                "activities[0].budget_lines[0].amount_yen",
                "amount_too_large",
            ),
            (
                Box::new(|r| {
                    r["activities"][0]["budget_lines"][0]["amount_yen"] = json!("１０００")
                }),
                "activities[0].budget_lines[0].amount_yen",
                "full_width_digits",
            ),
            (
                Box::new(|r| r["applicants"][0]["corporate_number"] = json!("1000012050002")),
                "applicants[0].corporate_number",
                "check_digit",
            ),
            (
                Box::new(|r| {
                    r.as_object_mut().map(|o| o.remove("applicants"));
                }),
                "applicants",
                "required",
            ),
            (
                Box::new(|r| r["applicants"][0]["employees"] = json!("３０")),
                "applicants[0].employees",
                "full_width_digits",
            ),
        ];
        for (change, path, code) in cases {
            let mut request = base_request();
            change(&mut request);
            let (status, body) = post!(&app, request.to_string());
            assert_eq!(status, 422, "{path}: {body}");
            let codes: Vec<&str> = body["errors"][path]
                .as_array()
                .unwrap_or_else(|| panic!("errors at {path}: {body}"))
                .iter()
                .filter_map(|e| e["code"].as_str())
                .collect();
            assert!(codes.contains(&code), "{path}: {code} in {body}");
            assert!(body.get("subsidy_yen").is_none(), "no partial decision");
            assert!(
                body["errors"][path][0]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
            );
        }
        // Several errors are reported at once.
        let mut request = base_request();
        request["frame"] = json!("nope");
        request["application_date"] = json!("yesterday");
        let (status, body) = post!(&app, request.to_string());
        assert_eq!(status, 422);
        assert!(
            body["errors"]["frame"].is_array() && body["errors"]["application_date"].is_array(),
            "{body}"
        );

        for body in ["{not json", "", "[1,2]", "null"] {
            let (status, answer) = post!(&app, body.to_owned());
            assert_eq!(status, 422, "{body:?}: {answer}");
            assert!(answer["errors"].is_object(), "{answer}");
        }
    });
});

/// `hojokin evaluate <args>` in an empty directory (kept while the child runs) with a clean
/// environment, every stream piped.
fn spawn_evaluate(args: &[&str]) -> (std::process::Child, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let child = Command::new(env!("CARGO_BIN_EXE_hojokin"))
        .arg("evaluate")
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    (child, dir)
}

fn hojokin_evaluate(args: &[&str], input: &str) -> (Option<i32>, String, String) {
    let (mut child, _dir) = spawn_evaluate(args);
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_cli_evaluates_one_request_and_exits_2_on_bad_input() {
    let (code, stdout, stderr) =
        hojokin_evaluate(&["--ledger", "shipped"], &base_request().to_string());
    assert_eq!(code, Some(0), "{stderr}");
    let decision: Value = serde_json::from_str(&stdout).expect("json decision");
    assert_eq!(decision["award_ordinal"], 3);
    assert_eq!(decision["subsidy_yen"], 5_000_000);

    let mut bad = base_request();
    bad["applicants"][0]["corporate_number"] = json!("12345");
    let (code, stdout, _) = hojokin_evaluate(&["--ledger", "shipped", "-"], &bad.to_string());
    assert_eq!(code, Some(2));
    let errors: Value = serde_json::from_str(&stdout).expect("json errors");
    assert!(
        errors["errors"]["applicants[0].corporate_number"].is_array(),
        "{errors}"
    );

    let (code, stdout, _) = hojokin_evaluate(
        &["--ledger", "shipped", "--all-frames"],
        &base_request().to_string(),
    );
    assert_eq!(code, Some(0));
    let all: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(all["decisions"].as_array().map(Vec::len), Some(2));
}

#[test]
fn jsonl_answers_each_line_in_order() {
    let mut lines = Vec::new();
    let names = [
        "一般社団法人ドット道東",
        "株式会社御祓川",
        "一般社団法人COCORO",
        "株式会社どこにもない",
    ];
    for i in 0..3000 {
        let mut request = base_request();
        request["applicants"][0]["name"] = json!(names[i % names.len()]);
        request["applicants"][0]["kind"] = json!("general_incorporated_association");
        lines.push(if i == 1234 {
            "{broken".to_owned()
        } else {
            request.to_string()
        });
        if i == 10 {
            lines.push(String::new()); // blank lines are skipped, not answered
        }
    }
    let input = lines.join("\n") + "\n";
    let (code, stdout, stderr) = hojokin_evaluate(
        &["--jsonl", "--ledger", "shipped", "--threads", "2"],
        &input,
    );
    assert_eq!(code, Some(2), "one invalid line: {stderr}");
    let answers: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(answers.len(), 3000, "one answer per non-blank line");
    for (i, answer) in answers.iter().enumerate() {
        if i == 1234 {
            assert_eq!(
                answer["line"], 1236,
                "line numbers count the blank line: {answer}"
            );
            assert!(answer["errors"].is_object());
            continue;
        }
        let expected_ordinal = [5, 3, 2, 1][i % 4];
        assert_eq!(
            answer["award_ordinal"], expected_ordinal,
            "line {i}: in input order"
        );
    }
}

/// `hojokin evaluate … | head`: the reader of the output goes before the answers are written.
/// The command stops quietly with the status of a program that SIGPIPE ends, as `cat` would,
/// instead of panicking or reporting an error.
#[test]
fn a_closed_output_pipe_ends_the_cli_quietly() {
    let request = base_request().to_string();
    let many = format!("{request}\n").repeat(20_000);
    for (args, input) in [
        (&["--ledger", "shipped"][..], request.as_str()),
        (&["--jsonl", "--ledger", "shipped"][..], many.as_str()),
    ] {
        let (mut child, _dir) = spawn_evaluate(args);
        drop(child.stdout.take());
        // The command may stop before it has read everything.
        let _ = child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes());
        let output = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(141), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}
