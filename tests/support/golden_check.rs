//! What a golden case's decision must say, checked on the decision as JSON. Shared by the
//! engine's own golden test (`src/program/golden.rs`) and the CLI and API runs
//! (`tests/api/golden.rs`), so that every path is held to the same expectations.
//!
//! A case that expects a decision states all of it: `eligible`, `award_ordinal`, `rate`
//! (`{numerator, denominator}`, or `null` where no rate applies, as for a 4th award in R8),
//! `cap_yen`, `eligible_expenses_yen`, `calculated_subsidy_yen` (what the arithmetic gives,
//! eligible or not), `subsidy_yen` (0 when refused) and `findings`: each finding it names as
//! `{"code", "severity"}`. A refused case names every error that refuses it. [`case_problems`]
//! also works the figures out again from the request and `forms/programs/<year>.toml`
//! alone, so a case cannot state a figure the rules do not give.

use serde_json::Value;

/// The figures every decision case states, in the order the case files write them.
pub const STATED_FIGURES: [&str; 7] = [
    "eligible",
    "award_ordinal",
    "rate",
    "cap_yen",
    "eligible_expenses_yen",
    "calculated_subsidy_yen",
    "subsidy_yen",
];

const SEVERITIES: [&str; 3] = ["error", "warning", "info"];

/// What is wrong with the case file itself: a figure or a finding's severity it does not
/// state, or a figure that disagrees with the rules worked out without the engine. Cases
/// that expect field errors have no decision to state.
pub fn case_problems(file: &str, case: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let expect = &case["expect"];
    if expect.get("field_errors").is_some() {
        return problems;
    }
    for key in STATED_FIGURES {
        if expect.get(key).is_none() {
            problems.push(format!(
                "{file}: `expect` states no `{key}` (write null where it does not apply)"
            ));
        }
    }
    let Some(findings) = expect.get("findings").and_then(Value::as_array) else {
        problems.push(format!(
            "{file}: `expect` states no `findings` (write [] for none)"
        ));
        return problems;
    };
    let mut named_errors = 0;
    for finding in findings {
        let code = finding.get("code").and_then(Value::as_str);
        let severity = finding.get("severity").and_then(Value::as_str);
        match (code, severity) {
            (Some(_), Some(severity)) if SEVERITIES.contains(&severity) => {
                if severity == "error" {
                    named_errors += 1;
                }
            }
            _ => problems.push(format!(
                "{file}: finding {finding} must be {{\"code\", \"severity\": error|warning|info}}"
            )),
        }
    }
    for pair in expect["message_contains"].as_array().into_iter().flatten() {
        if !findings.iter().any(|finding| finding["code"] == pair[0]) {
            problems.push(format!(
                "{file}: message_contains names {} but `findings` does not state its severity",
                pair[0]
            ));
        }
    }
    match expect.get("eligible").and_then(Value::as_bool) {
        Some(false) if named_errors == 0 => problems.push(format!(
            "{file}: refused, but names no error that refuses it"
        )),
        Some(true) if named_errors > 0 => {
            problems.push(format!("{file}: eligible, but names an error finding"))
        }
        _ => {}
    }
    if problems.is_empty() {
        problems.extend(figures_from_the_rules(file, case));
    }
    problems
}

/// The case's figures against the same figures worked out from its request and the year's
/// programme file, without the engine: 補助対象経費 = Σ of the `this_subsidy` lines; the rate
/// of the frame's row for the stated award ordinal (a row marked `and_later` also covers the
/// ordinals after it; no row, no rate); the frame's cap; subsidy =
/// min(floor(eligible × rate ÷ unit) × unit, cap), and 0 when refused.
fn figures_from_the_rules(file: &str, case: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let expect = &case["expect"];
    let request = &case["request"];
    let Some(fiscal_year) = request["fiscal_year"].as_i64() else {
        return vec![format!("{file}: request has no fiscal_year")];
    };
    let path = format!(
        "{}/forms/programs/{fiscal_year}.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let program: toml::Value = match std::fs::read_to_string(&path)
        .map_err(|error| error.to_string())
        .and_then(|text| toml::from_str(&text).map_err(|error| error.to_string()))
    {
        Ok(program) => program,
        Err(error) => return vec![format!("{file}: {path}: {error}")],
    };
    let frame = program["frames"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|frame| frame["code"].as_str() == request["frame"].as_str());

    let eligible_expenses: i64 = request["activities"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|activity| activity["budget_lines"].as_array().into_iter().flatten())
        .filter(|line| line["funding_source"] == "this_subsidy")
        .filter_map(|line| line["amount_yen"].as_i64())
        .sum();
    let ordinal = expect["award_ordinal"].as_i64().unwrap_or(0);
    let rate = frame.and_then(|frame| {
        let rates = frame["rates"].as_array()?;
        let of = |row: &toml::Value| {
            Some((
                row["numerator"].as_integer()?,
                row["denominator"].as_integer()?,
            ))
        };
        if let Some(row) = rates
            .iter()
            .find(|row| row["ordinal"].as_integer() == Some(ordinal))
        {
            return of(row);
        }
        rates
            .iter()
            .rev()
            .find(|row| {
                row.get("and_later").and_then(toml::Value::as_bool) == Some(true)
                    && row["ordinal"].as_integer().is_some_and(|o| o < ordinal)
            })
            .and_then(of)
    });
    let cap = frame
        .and_then(|frame| frame["cap_yen"]["value"].as_integer())
        .unwrap_or(0);
    let unit = program["rounding_unit_yen"]["value"]
        .as_integer()
        .unwrap_or(1);
    let calculated = rate.map_or(0, |(numerator, denominator)| {
        let rounded = i128::from(eligible_expenses) * i128::from(numerator)
            / (i128::from(denominator) * i128::from(unit))
            * i128::from(unit);
        i64::try_from(rounded).unwrap_or(i64::MAX).min(cap)
    });
    let eligible = expect["eligible"].as_bool() == Some(true);
    let from_rules = [
        (
            "rate",
            rate.map_or(Value::Null, |(numerator, denominator)| {
                serde_json::json!({"numerator": numerator, "denominator": denominator})
            }),
        ),
        ("cap_yen", Value::from(cap)),
        ("eligible_expenses_yen", Value::from(eligible_expenses)),
        ("calculated_subsidy_yen", Value::from(calculated)),
        (
            "subsidy_yen",
            Value::from(if eligible { calculated } else { 0 }),
        ),
    ];
    for (key, worked_out) in from_rules {
        if expect[key] != worked_out {
            problems.push(format!(
                "{file}: states {key} {}, the rules give {worked_out} (ordinal {ordinal}, \
                 {path})",
                expect[key]
            ));
        }
    }
    problems
}

/// What a decision must say per its case; the problems found.
pub fn decision_problems(file: &str, expect: &Value, decision: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for key in STATED_FIGURES {
        match expect.get(key) {
            None => problems.push(format!("{file}: `expect` states no `{key}`")),
            Some(expected) if decision.get(key) != Some(expected) => problems.push(format!(
                "{file}: {key} is {:?}, expected {expected}",
                decision.get(key)
            )),
            Some(_) => {}
        }
    }
    let findings = decision["findings"].as_array().cloned().unwrap_or_default();
    let has = |code: &Value| findings.iter().any(|finding| &finding["code"] == code);
    let expected_findings = expect["findings"].as_array().cloned().unwrap_or_default();
    for expected in &expected_findings {
        let code = &expected["code"];
        let found: Vec<&Value> = findings
            .iter()
            .filter(|finding| &finding["code"] == code)
            .collect();
        if found.is_empty() {
            problems.push(format!("{file}: finding {code} missing"));
        } else if !found
            .iter()
            .any(|finding| finding["severity"] == expected["severity"])
        {
            let said: Vec<&Value> = found.iter().map(|finding| &finding["severity"]).collect();
            problems.push(format!(
                "{file}: finding {code} is {said:?}, expected {}",
                expected["severity"]
            ));
        }
    }
    // A refusal is explained in full: every error the decision holds is one the case names.
    for finding in findings
        .iter()
        .filter(|finding| finding["severity"] == "error")
    {
        if !expected_findings
            .iter()
            .any(|expected| expected["code"] == finding["code"])
        {
            problems.push(format!(
                "{file}: error {} is not named in the case",
                finding["code"]
            ));
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
