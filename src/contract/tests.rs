//! The contract end to end: requests read, validated and evaluated.

use serde_json::Value;

use super::*;
use crate::domain::calendar::FiscalYear;
use crate::domain::codes::{ApplicantRole, Frame, FundingSource};
use crate::domain::evaluation::MAX_AMOUNT_YEN;
use crate::domain::ledger::{OrganisationId, PastAward};
use crate::domain::money::{Rate, Yen};
use crate::domain::names::org_key;
use crate::domain::validation::ErrorCode;

fn programs() -> ProgramSet {
    ProgramSet::embedded().expect("embedded programmes")
}

fn request(frame: &str, eligible: i64) -> Value {
    serde_json::json!({
        "fiscal_year": 2026,
        "frame": frame,
        "application_date": "2026-05-20",
        "applicants": [{
            "name": "株式会社みらい人事ラボ", "corporate_number": "7000012050002",
            "kind": "sme_company", "employees": 20, "capital_yen": 10000000,
            "industry": "services", "role": ApplicantRole::Lead.as_str()
        }],
        "partners": [
            {"kind": "municipality", "name": "みらい市"},
            {"kind": "education_institution", "name": "みらい大学"}
        ],
        "legal_basis": {
            "path": "regional_future_investment", "holder": "株式会社 みらい人事ラボ",
            "granted_by": "経済産業大臣", "granted_on": "2025-12-15", "valid_until": null,
            "includes_talent_measures": true
        },
        "project_period": {"start": "2026-07-01", "end": "2027-02-28"},
        "activities": [{
            "name": "幹部インターンシップ", "category": "development", "executive_internship": true,
            "budget_lines": [
                {"category": "personnel", "description": "人件費", "amount_yen": eligible, "funding_source": FundingSource::ThisSubsidy.as_str()},
                {"category": "meetings", "description": "会場", "amount_yen": 300000, "funding_source": "municipal"}
            ]
        }]
    })
}

fn parse(value: &Value) -> Application<'_> {
    parse_request_value(value).expect("valid request")
}

#[test]
fn parses_a_request_and_precomputes_keys_and_budget() {
    let application_request = request("right_hand", 15_000_000);
    let application = parse(&application_request);
    let lead = application.lead().expect("a lead");
    assert_eq!(lead.name_key, org_key("株式会社みらい人事ラボ"));
    assert_eq!(lead.capital_yen, Some(Yen::new(10_000_000)));
    assert_eq!(
        lead.corporate_number.map(|number| number.to_string()),
        Some("7000012050002".into())
    );
    assert_eq!(application.budget.eligible_yen, Yen::new(15_000_000));
    assert_eq!(application.budget.total_yen, Yen::new(15_300_000));
    assert_eq!(application.budget.by_funding_source.len(), 2);
}

#[test]
fn invalid_json_is_a_field_error_on_the_whole_request() {
    let errors = parse_request("{\"fiscal_year\": ").expect_err("invalid");
    assert_eq!(errors.codes_at(""), vec![ErrorCode::InvalidJson]);
    let errors = parse_request("[1, 2]").expect_err("not an object");
    assert_eq!(errors.codes_at(""), vec![ErrorCode::InvalidType]);
    let errors = parse_request("{}").expect_err("empty");
    for path in [
        "fiscal_year",
        "frame",
        "application_date",
        "applicants",
        "project_period",
        "activities",
    ] {
        assert_eq!(errors.codes_at(path), vec![ErrorCode::Required], "{path}");
    }
}

#[test]
fn program_for_reports_unknown_years_and_foreign_frames() {
    let programs = programs();
    let mut value = request("general", 1_000);
    let errors = programs
        .program_for(&parse(&value))
        .expect_err("general is an R6 frame");
    assert_eq!(errors.codes_at("frame"), vec![ErrorCode::FrameNotInYear]);
    value["fiscal_year"] = Value::from(2030);
    let errors = programs
        .program_for(&parse(&value))
        .expect_err("no R12 programme");
    assert_eq!(
        errors.codes_at("fiscal_year"),
        vec![ErrorCode::UnknownFiscalYear]
    );
}

#[test]
fn evaluate_reports_a_frame_outside_the_year_instead_of_panicking() {
    let programs = programs();
    let empty = Ledger::new();
    let application_request = request("general", 1_000_000);
    let application = parse(&application_request);
    let r8 = programs.get(FiscalYear(2026)).expect("R8");
    let decision = evaluate(&application, &empty, r8);
    assert!(!decision.eligible);
    assert!(decision.has_finding("frame_not_in_year"));
    assert_eq!(decision.subsidy_yen, Yen::ZERO);
    let r7 = programs.get(FiscalYear(2025)).expect("R7");
    let r8_application_request = request("right_hand", 1_000);
    let r8_application = parse(&r8_application_request);
    let decision = evaluate(&r8_application, &empty, r7);
    assert!(decision.has_finding("fiscal_year_mismatch"));
}

#[test]
fn the_decision_serialises_with_the_contract_names() {
    let programs = programs();
    let empty = Ledger::new();
    let application_request = request("right_hand", 15_000_000);
    let application = parse(&application_request);
    let program = programs.program_for(&application).expect("R8");
    let decision = evaluate(&application, &empty, program);
    let json = serde_json::to_value(&decision).expect("serialises");
    for key in [
        "eligible",
        "award_ordinal",
        "prior_awards",
        "rate",
        "cap_yen",
        "eligible_expenses_yen",
        "subsidy_yen",
        "rounding_unit_yen",
        "findings",
        "rules_version",
        "budget_summary",
        "fiscal_year",
        "frame",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(
        json["rate"],
        serde_json::json!({"numerator": 2, "denominator": 3})
    );
    assert_eq!(json["subsidy_yen"], Value::from(10_000_000));
    let calculation = json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|finding| finding["code"] == "subsidy_calculation")
        .expect("an explanation");
    assert_eq!(calculation["severity"], "info");
    assert_eq!(
        calculation["message"],
        "右腕人材枠 採択1回目の補助率は2/3です。補助対象経費15,000,000円 × 2/3 = 10,000,000円。補助上限13,000,000円以内のため補助額は10,000,000円です。"
    );
}

#[test]
fn all_frames_picks_the_larger_eligible_subsidy() {
    let programs = programs();
    let empty = Ledger::new();
    let application_request = request("legal_linkage", 15_000_000);
    let application = parse(&application_request);
    let program = programs.program_for(&application).expect("R8");
    let all = evaluate_all_frames(&application, &empty, program);
    assert_eq!(all.decisions.len(), 2);
    assert_eq!(all.best_frame, Some(Frame::RightHand));
    assert_eq!(all.decisions[0].subsidy_yen, Yen::new(10_000_000));
    assert_eq!(all.decisions[1].subsidy_yen, Yen::new(7_500_000));

    let mut no_partners = request("legal_linkage", 15_000_000);
    no_partners["partners"] = serde_json::json!([]);
    let application = parse(&no_partners);
    let all = evaluate_all_frames(&application, &empty, program);
    assert_eq!(all.best_frame, None);
}

#[test]
fn ambiguous_ledger_names_take_the_larger_count_and_warn() {
    let programs = programs();
    let application_request = request("right_hand", 15_000_000);
    let application = parse(&application_request);
    let program = programs.program_for(&application).expect("R8");
    let mut ledger = Ledger::new();
    let name = "株式会社みらい人事ラボ";
    for (id, awards) in [(1, 1), (2, 2)] {
        let organisation = OrganisationId(id);
        ledger.add_organisation(organisation, None, [name]);
        for year in 0..awards {
            ledger.add_award(
                organisation,
                PastAward {
                    award_id: format!("{id}-{year}"),
                    fiscal_year: 2024 + year,
                    frame: if year == 0 { "general" } else { "right_hand" }.into(),
                    listed_as: name.into(),
                    from_application: false,
                },
            );
        }
    }
    // The request's 法人番号 is not in the ledger, so the name decides.
    let decision = evaluate(&application, &ledger, program);
    assert!(decision.has_finding("ambiguous_organisation"));
    assert_eq!(decision.award_ordinal, 3);
    assert_eq!(decision.rate, Rate::new(1, 3).ok());
}

#[test]
fn non_countable_awards_are_not_counted() {
    let programs = programs();
    let empty = Ledger::new();
    let mut value = request("right_hand", 15_000_000);
    value["history"] = serde_json::json!([
        {"name": "株式会社みらい人事ラボ", "fiscal_year": 2023, "frame": "single"},
        {"name": "株式会社みらい人事ラボ", "fiscal_year": 2024, "frame": "right_hand"}
    ]);
    let application = parse(&value);
    let program = programs.program_for(&application).expect("R8");
    let decision = evaluate(&application, &empty, program);
    assert_eq!(decision.award_ordinal, 1);
    assert!(decision.prior_awards.is_empty());
}

fn errors_of(value: &Value) -> FieldErrors {
    parse_request_value(value).expect_err("an invalid request")
}

fn text_errors(text: &str) -> FieldErrors {
    parse_request(text).expect_err("an invalid request")
}

#[test]
fn the_error_body_has_the_contract_shape() {
    let mut value = request("right_hand", 1_000);
    value["applicants"][0]["corporate_number"] = Value::from("7000012050003");
    value["frame"] = Value::Null;
    let json = serde_json::to_value(errors_of(&value)).expect("serialises");
    assert_eq!(
        json,
        serde_json::json!({"errors": {
            "applicants[0].corporate_number": [{"code": "check_digit", "message": "法人番号のチェックディジットが一致しません（先頭の数字は6のはずです）"}],
            "frame": [{"code": "required", "message": "枠を入力してください"}],
        }})
    );
}

#[test]
fn amounts_are_json_integers_in_range() {
    let mut value = request("right_hand", 1_500_000);
    assert_eq!(parse(&value).budget.eligible_yen, Yen::new(1_500_000));
    for (amount, code) in [
        (Value::from("１５００"), ErrorCode::FullWidthDigits),
        (Value::from("1,500,000"), ErrorCode::InvalidNumber),
        (Value::from(" 1000 "), ErrorCode::InvalidNumber),
        (Value::from(1.5), ErrorCode::InvalidNumber),
        (Value::from("12a"), ErrorCode::InvalidNumber),
        (Value::from(u64::MAX), ErrorCode::AmountTooLarge),
        (Value::from(MAX_AMOUNT_YEN + 1), ErrorCode::AmountTooLarge),
        (Value::from(-5), ErrorCode::NegativeAmount),
        (Value::Bool(true), ErrorCode::InvalidNumber),
        (Value::Null, ErrorCode::Required),
    ] {
        value["activities"][0]["budget_lines"][0]["amount_yen"] = amount.clone();
        assert_eq!(
            errors_of(&value).codes_at("activities[0].budget_lines[0].amount_yen"),
            vec![code],
            "{amount}"
        );
    }
}

#[test]
fn numbers_written_as_strings_are_refused_everywhere() {
    for (pointer, path) in [
        ("/fiscal_year", "fiscal_year"),
        ("/applicants/0/employees", "applicants[0].employees"),
        ("/applicants/0/capital_yen", "applicants[0].capital_yen"),
    ] {
        for text in ["2026", " 1000 "] {
            let mut value = request("right_hand", 1_000);
            *value.pointer_mut(pointer).expect("a field") = Value::from(text);
            assert_eq!(
                errors_of(&value).codes_at(path),
                vec![ErrorCode::InvalidNumber],
                "{path} = {text:?}"
            );
        }
    }
}

#[test]
fn dates_are_real_and_written_yyyy_mm_dd() {
    let mut value = request("right_hand", 1_000);
    for date in [
        "0000-01-01",
        "+002026-07-01",
        "2026-2-3",
        "2026-02-30",
        "2026/07/01",
        "20260701",
        " 2026-07-01x",
    ] {
        value["application_date"] = Value::from(date);
        assert_eq!(
            errors_of(&value).codes_at("application_date"),
            vec![ErrorCode::InvalidDate],
            "{date}"
        );
    }
    value["application_date"] = Value::from("２０２６-07-01");
    assert_eq!(
        errors_of(&value).codes_at("application_date"),
        vec![ErrorCode::FullWidthDigits]
    );
    value["application_date"] = Value::from(" 2026-07-01 ");
    assert!(
        parse_request_value(&value).is_ok(),
        "surrounding space is trimmed"
    );
}

#[test]
fn fiscal_years_outside_the_programme_are_field_errors() {
    for year in [2021, 2101, 0, -2026] {
        let mut value = request("right_hand", 1_000);
        value["fiscal_year"] = Value::from(year);
        assert_eq!(
            errors_of(&value).codes_at("fiscal_year"),
            vec![ErrorCode::InvalidNumber],
            "{year}"
        );
        value["fiscal_year"] = Value::from(2026);
        value["history"] =
            serde_json::json!([{"name": "x", "fiscal_year": year, "frame": "single"}]);
        assert_eq!(
            errors_of(&value).codes_at("history[0].fiscal_year"),
            vec![ErrorCode::InvalidNumber],
            "history {year}"
        );
    }
}

#[test]
fn unknown_and_repeated_keys_are_field_errors_at_their_place() {
    let text = serde_json::to_string(&request("right_hand", 1_000)).expect("json");
    let misspelt = text.replacen("\"employees\"", "\"employes\"", 1);
    let errors = text_errors(&misspelt);
    assert_eq!(
        errors.codes_at("applicants[0].employes"),
        vec![ErrorCode::UnknownField],
        "{errors}"
    );
    let repeated = text.replacen("\"frame\":", "\"frame\":\"legal_linkage\",\"frame\":", 1);
    let errors = text_errors(&repeated);
    assert_eq!(
        errors.codes_at("frame"),
        vec![ErrorCode::DuplicateField],
        "{errors}"
    );
    let mut value = request("right_hand", 1_000);
    value["activities"][0]["budget_lines"][0]["amount"] = Value::from(5);
    assert_eq!(
        errors_of(&value).codes_at("activities[0].budget_lines[0].amount"),
        vec![ErrorCode::UnknownField]
    );
}

#[test]
fn every_field_error_is_reported_in_one_pass() {
    let mut value = request("right_hand", 1_000);
    value["frame"] = Value::from("no_such_frame");
    value["applicants"][0]["employees"] = Value::from(-1);
    value["applicants"][0]["role"] = Value::from("co_applicant");
    value["partners"] = Value::from("みらい市");
    value["legal_basis"]["valid_until"] = Value::from("2025-01-01");
    value["project_period"]["end"] = Value::from("2026-06-30");
    value["activities"][0]["executive_internship"] = Value::from("yes");
    value["activities"][0]["budget_lines"][1]["funding_source"] = Value::from(3);
    let errors = errors_of(&value);
    for (path, code) in [
        ("frame", ErrorCode::UnknownCode),
        ("applicants", ErrorCode::LeadCount),
        ("applicants[0].employees", ErrorCode::InvalidNumber),
        ("partners", ErrorCode::InvalidType),
        ("legal_basis.valid_until", ErrorCode::InvalidPeriod),
        ("project_period.end", ErrorCode::InvalidPeriod),
        ("activities[0].executive_internship", ErrorCode::InvalidType),
        (
            "activities[0].budget_lines[1].funding_source",
            ErrorCode::InvalidType,
        ),
    ] {
        assert_eq!(errors.codes_at(path), vec![code], "{path}: {errors}");
    }
    assert_eq!(errors.len(), 8, "{errors}");
    let frame = &errors.errors["frame"][0].message;
    assert_eq!(frame, "枠のコード「no_such_frame」は定義されていません");
}

#[test]
fn text_with_escapes_reads_as_the_text_it_means() {
    let mut value = request("right_hand", 1_000);
    value["activities"][0]["name"] = Value::from("幹部\"インターン\"\n\u{3000}");
    let text = serde_json::to_string(&value).expect("json");
    let application = parse_request(&text).expect("valid");
    assert_eq!(application.activities[0].name, "幹部\"インターン\"");
}

#[test]
fn bytes_that_are_not_utf8_are_a_field_error() {
    let programs = programs();
    let mut out = Vec::new();
    let errors = text_of(b"{\"frame\": \"\xff\"}")
        .and_then(|text| evaluate_text(text, &programs, &Ledger::new(), false, &mut out))
        .expect_err("not UTF-8");
    assert_eq!(errors.codes_at(""), vec![ErrorCode::InvalidJson]);
    assert!(out.is_empty());
}

#[test]
fn evaluate_text_writes_the_decision_the_engine_made() {
    let programs = programs();
    let value = request("right_hand", 15_000_000);
    let text = serde_json::to_string(&value).expect("json");
    let mut out = Vec::new();
    evaluate_text(&text, &programs, &Ledger::new(), false, &mut out).expect("valid");
    let application = parse(&value);
    let program = programs.program_for(&application).expect("R8");
    let expected =
        serde_json::to_value(evaluate(&application, &Ledger::new(), program)).expect("json");
    let written: Value = serde_json::from_slice(&out).expect("JSON out");
    assert_eq!(written, expected);

    let mut all = value.clone();
    all["all_frames"] = Value::Bool(true);
    let mut out = Vec::new();
    evaluate_text(&all.to_string(), &programs, &Ledger::new(), false, &mut out).expect("valid");
    let written: Value = serde_json::from_slice(&out).expect("JSON out");
    assert_eq!(written["decisions"].as_array().map(Vec::len), Some(2));
    assert_eq!(written["best_frame"], "right_hand");
}

// Domain values in JSON: the spellings of the contract, and the same checks on the way in.

#[test]
fn domain_values_keep_their_contract_spellings_in_json() {
    use crate::domain::codes::Industry;
    use crate::domain::corporate_number::CorporateNumber;
    for frame in Frame::ALL {
        assert_eq!(
            serde_json::to_string(frame).ok(),
            Some(format!("\"{}\"", frame.as_str()))
        );
    }
    assert!(serde_json::from_str::<Industry>("\"retail\"").is_ok());
    assert!(serde_json::from_str::<Industry>("\"Retail\"").is_err());
    let number = "7000012050002".parse::<CorporateNumber>().ok();
    assert_eq!(
        serde_json::to_string(&number).ok().as_deref(),
        Some("\"7000012050002\"")
    );
    assert!(serde_json::from_str::<CorporateNumber>("\"7000012050003\"").is_err());
    let parsed: Rate = serde_json::from_str(r#"{"numerator":2,"denominator":3}"#).expect("parses");
    assert_eq!(Some(parsed), Rate::new(2, 3).ok());
    assert!(serde_json::from_str::<Rate>(r#"{"numerator":3,"denominator":2}"#).is_err());
}

#[test]
fn the_award_reconciliation_plan_serialises_for_a_dry_run() {
    use crate::domain::reconcile::{AliasTable, PrintedRow, check_row, reconcile};
    let printed = PrintedRow {
        line: 2,
        award_id: "A1",
        fiscal_year: "2024",
        fiscal_year_label: "R6",
        frame: "一般枠",
        listed_as: "株式会社御祓川",
        role: "sole",
        seed_ref: "test:1",
        ..PrintedRow::default()
    };
    let rows = [check_row(&printed, &|_, _| Some("general".to_owned())).expect("row")];
    let plan = reconcile(&rows, &[], &AliasTable::default());
    let json = serde_json::to_value(&plan).expect("serialises");
    assert_eq!(json["decisions"][0]["outcome"]["decision"], "create");
    assert_eq!(json["award_members"][0]["organisation"]["new"], 0);
}
