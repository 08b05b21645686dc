//! What a golden case's decision must say, checked on the decision as JSON. Shared by the
//! engine's own golden test (`src/program/golden.rs`) and the CLI and API runs
//! (`tests/api/golden.rs`), so that every path is held to the same expectations.

use serde_json::Value;

/// What a decision must say per its case; the problems found.
pub fn decision_problems(file: &str, expect: &Value, decision: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for key in [
        "eligible",
        "award_ordinal",
        "rate",
        "subsidy_yen",
        "cap_yen",
        "eligible_expenses_yen",
        "calculated_subsidy_yen",
    ] {
        if let Some(expected) = expect.get(key)
            && decision.get(key) != Some(expected)
        {
            problems.push(format!(
                "{file}: {key} is {:?}, expected {expected}",
                decision.get(key)
            ));
        }
    }
    let findings = decision["findings"].as_array().cloned().unwrap_or_default();
    let has = |code: &Value| findings.iter().any(|finding| &finding["code"] == code);
    for code in expect["findings"].as_array().into_iter().flatten() {
        if !has(code) {
            problems.push(format!("{file}: finding {code} missing"));
        }
    }
    for code in expect["absent_findings"].as_array().into_iter().flatten() {
        if has(code) {
            problems.push(format!("{file}: finding {code} must not appear"));
        }
    }
    for pair in expect["message_contains"].as_array().into_iter().flatten() {
        let said = findings.iter().any(|finding| {
            finding["code"] == pair[0]
                && finding["message"]
                    .as_str()
                    .zip(pair[1].as_str())
                    .is_some_and(|(message, text)| message.contains(text))
        });
        if !said {
            problems.push(format!("{file}: no {} finding says {}", pair[0], pair[1]));
        }
    }
    if let Some(expected) = expect.get("prior_award_ids") {
        let ids: Vec<Value> = decision["prior_awards"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|award| award["award_id"].clone())
            .collect();
        // The database gives an award its list's id; the history's ids are the request's.
        if &Value::from(ids.clone()) != expected {
            problems.push(format!("{file}: prior awards {ids:?}, expected {expected}"));
        }
    }
    problems
}
