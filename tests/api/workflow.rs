//! The lifecycle through the HTTP API, on both databases: draft → closed with a 差戻し, a
//! budget adjustment, change requests and an interim report; each role doing its part.

use serde_json::{Value, json};

use crate::fixtures::{draft, line_id, world};
use crate::helpers::block_on;

fn line_version(application: &Value, id: i64) -> i64 {
    application["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .flat_map(|a| a["budget_lines"].as_array().expect("lines").iter())
        .find(|l| l["id"] == id)
        .and_then(|l| l["version"].as_i64())
        .expect("line version")
}

crate::on_both_backends!(an_application_goes_from_draft_to_closed, |test_db| {
    let world = world(&mut test_db.conn());
    block_on(async {
        let app = crate::test_app!(test_db);
        let applicant = crate::login!(&app, "applicant@own.example");
        let officer = crate::login!(&app, "officer@shiojiri.example");
        let manager = crate::login!(&app, "manager@meti.example");

        // The applicant drafts: the engine already answers (1st award, 2/3).
        let (status, created) = call!(
            &app,
            "POST",
            "/api/v1/applications",
            Some(&applicant),
            Some(draft(world.own_org, world.shiojiri))
        );
        assert_eq!(status, 201, "{created}");
        let id = created["application"]["id"].as_i64().expect("id");
        assert!(
            created["application"]["reference"]
                .as_str()
                .is_some_and(|r| r.starts_with("R8-"))
        );
        assert_eq!(created["decision"]["award_ordinal"], 1);
        let outsourcing = line_id(&created, "マッチング運営（外注）");
        assert_eq!(
            created["double_funded_line_ids"],
            json!([outsourcing]),
            "claimed and also city-funded"
        );

        let mut version = created["application"]["version"].as_i64().expect("version");
        let act = |action: &str| format!("/api/v1/applications/{id}/actions/{action}");
        macro_rules! step {
            ($who:expr, $action:expr, $extra:expr, $state:expr) => {{
                let mut body = json!({ "version": version });
                if let Value::Object(extra) = $extra {
                    body.as_object_mut().expect("object").extend(extra);
                }
                let (status, outcome) = call!(&app, "POST", act($action), Some(&$who), Some(body));
                assert_eq!(status, 200, "{}: {outcome}", $action);
                assert_eq!(outcome["state"], $state, "{}", $action);
                #[allow(unused_assignments)]
                {
                    version = outcome["version"].as_i64().expect("version");
                }
            }};
        }

        step!(applicant, "submit", json!({}), "submitted");
        step!(manager, "start_review", json!({}), "under_review");
        step!(
            manager,
            "return_for_correction",
            json!({"reason": "KPI を具体的にしてください"}),
            "returned_for_correction"
        );

        // 差戻し answered: the applicant edits and submits again.
        let mut corrected = draft(world.own_org, world.shiojiri);
        corrected["activities"][0]["kpi"] = json!("受入企業 8 社、インターン 12 名、採用 3 名");
        corrected["version"] = json!(version);
        let (status, edited) = call!(
            &app,
            "PUT",
            format!("/api/v1/applications/{id}"),
            Some(&applicant),
            Some(corrected)
        );
        assert_eq!(status, 200, "{edited}");
        version = edited["application"]["version"].as_i64().expect("version");
        step!(applicant, "submit", json!({}), "submitted");

        // The finance officer adjusts travel, rejects the double-funded line, approves the rest.
        let (_, current) = call!(
            &app,
            "GET",
            format!("/api/v1/applications/{id}"),
            Some(&officer),
            None
        );
        let travel = line_id(&current, "企業訪問旅費");
        let outsourcing = line_id(&current, "マッチング運営（外注）");
        let personnel = line_id(&current, "コーディネーター");
        let review = |line: i64| format!("/api/v1/applications/{id}/budget-lines/{line}/review");
        let (status, reviewed) = call!(
            &app,
            "POST",
            review(travel),
            Some(&officer),
            Some(
                json!({"decision": "adjust", "amount_yen": 400000, "reason": "旅費規程の単価で再計算", "version": line_version(&current, travel)})
            )
        );
        assert_eq!(status, 200, "{reviewed}");
        let (status, _) = call!(
            &app,
            "POST",
            review(outsourcing),
            Some(&officer),
            Some(
                json!({"decision": "reject", "reason": "市の委託事業と重複（二重計上）", "version": line_version(&current, outsourcing)})
            )
        );
        assert_eq!(status, 200);
        let (status, reviewed) = call!(
            &app,
            "POST",
            review(personnel),
            Some(&officer),
            Some(json!({"decision": "approve", "version": line_version(&current, personnel)}))
        );
        assert_eq!(status, 200);
        // 6,000,000 + 400,000 = 6,400,000 × 2/3 = 4,266,666 → 4,266,000 (千円未満切捨て).
        assert_eq!(reviewed["decision"]["eligible_expenses_yen"], 6_400_000);
        assert_eq!(reviewed["decision"]["subsidy_yen"], 4_266_000);
        // The filings judge the reviewed amounts too: the PDF and the workflow agree.
        let filing = hojokin::actions::filings::load_filing_data(
            &mut test_db.conn(),
            &hojokin::program::embedded().expect("programs"),
            id,
            hojokin::clock::today_in_japan(),
        )
        .expect("filing data");
        match &filing.judgement {
            hojokin::pdf::Judgement::Decided(view) => assert_eq!(view.subsidy_yen, 4_266_000),
            other => panic!("judged: {other:?}"),
        }
        // Every surface shows the same 補助対象経費 after review: the adjusted travel line at
        // 400,000, the rejected outsourcing line not at all (7,600,000 requested, 6,400,000
        // claimed). The 交付申請書's table by expense category, read back from the PDF:
        let rendered = hojokin::pdf::render_filing(
            hojokin::pdf::filings::FilingKind::GrantRequest,
            &filing,
            &hojokin::pdf::filings::FilingForms::embedded().expect("filing forms"),
            hojokin::clock::today_in_japan(),
            &hojokin::pdf::font::PdfFont::shared(None).expect("a Japanese font"),
        )
        .expect("renders");
        let text = crate::pdf::squeeze(&crate::pdf::pdftotext(&rendered.bytes, None));
        assert!(
            text.contains("合計7,900,000円6,400,000円"),
            "交付申請書: {text}"
        );
        // The application page, as the finance officer sees it:
        let page = actix_web::test::call_service(
            &app,
            actix_web::test::TestRequest::get()
                .uri(&format!("/applications/{id}"))
                .insert_header(("cookie", officer.clone()))
                .to_request(),
        )
        .await;
        assert_eq!(page.status().as_u16(), 200);
        let html =
            String::from_utf8(actix_web::test::read_body(page).await.to_vec()).expect("html");
        assert!(
            html.contains("6,400,000"),
            "the page shows the claimed total"
        );
        // The finance officer's CSV: the 補助対象経費 column sums to the same amount.
        let csv = actix_web::test::call_service(
            &app,
            actix_web::test::TestRequest::get()
                .uri(&format!("/applications/{id}/budget.csv"))
                .insert_header(("cookie", officer.clone()))
                .to_request(),
        )
        .await;
        assert_eq!(csv.status().as_u16(), 200);
        let csv = actix_web::test::read_body(csv).await;
        // The lines come first, up to the empty row before the application's amounts.
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(&csv[3..]);
        let column = reader
            .headers()
            .expect("header")
            .iter()
            .position(|title| title == "補助対象経費（円）")
            .expect("a 補助対象経費 column");
        let claimed: i64 = reader
            .records()
            .map(|record| record.expect("row"))
            .take_while(|record| record.len() > 1)
            .map(|record| record[column].parse::<i64>().expect("yen"))
            .sum();
        assert_eq!(claimed, 6_400_000, "the CSV's 補助対象経費");
        let (_, seen) = call!(
            &app,
            "GET",
            format!("/api/v1/applications/{id}"),
            Some(&applicant),
            None
        );
        let comments: Vec<&str> = seen["activities"][0]["budget_lines"]
            .as_array()
            .expect("lines")
            .iter()
            .filter_map(|l| l["review_reason"].as_str())
            .collect();
        assert!(
            comments.contains(&"旅費規程の単価で再計算"),
            "the applicant sees each comment: {comments:?}"
        );

        step!(manager, "start_review", json!({}), "under_review");
        step!(manager, "select", json!({}), "selected");
        step!(applicant, "request_grant", json!({}), "grant_requested");
        step!(manager, "decide_grant", json!({}), "grant_decided");
        let (_, decided) = call!(
            &app,
            "GET",
            format!("/api/v1/applications/{id}"),
            Some(&manager),
            None
        );
        assert_eq!(decided["application"]["decided_subsidy_yen"], 4_266_000);
        assert_eq!(
            decided["decision"]["award_ordinal"], 1,
            "its own award does not count against it"
        );
        let frozen: Value = serde_json::from_str(
            decided["application"]["frozen_decision_json"]
                .as_str()
                .expect("frozen"),
        )
        .expect("json");
        assert_eq!(frozen["rate"], json!({"numerator": 2, "denominator": 3}));
        assert_eq!(
            frozen["budget_by_category"],
            json!({"personnel": 6000000, "travel": 400000})
        );

        step!(applicant, "start_project", json!({}), "in_progress");
        step!(
            applicant,
            "submit_interim_report",
            json!({"payload": {"body": "受入企業 5 社でインターン開始"}}),
            "in_progress"
        );
        step!(manager, "accept_interim_report", json!({}), "in_progress");

        // A small change (personnel +8%) is recorded at once; a large one (travel −75%) waits.
        step!(
            applicant,
            "request_change",
            json!({"reason": "コーディネーター増員", "payload": {"lines": [{"line_id": personnel, "amount_yen": 6500000}]}}),
            "in_progress"
        );
        step!(
            applicant,
            "request_change",
            json!({"reason": "訪問をオンラインに", "payload": {"lines": [{"line_id": travel, "amount_yen": 100000}]}}),
            "in_progress"
        );
        let (_, pending) = call!(
            &app,
            "GET",
            format!("/api/v1/applications/{id}"),
            Some(&manager),
            None
        );
        let amount_of = |application: &Value, line: i64, field: &str| {
            application["activities"][0]["budget_lines"]
                .as_array()
                .expect("lines")
                .iter()
                .find(|l| l["id"] == line)
                .map(|l| l[field].clone())
                .expect("line")
        };
        assert_eq!(
            amount_of(&pending, personnel, "effective_yen"),
            6_500_000,
            "recorded change applied"
        );
        assert_eq!(
            amount_of(&pending, personnel, "amount_yen"),
            6_000_000,
            "the 申請額 stays"
        );
        assert_eq!(
            amount_of(&pending, travel, "effective_yen"),
            400_000,
            "pending change not applied yet"
        );
        step!(manager, "approve_change", json!({}), "in_progress");

        // Completion: actual eligible 5,700,000 + 150,000 = 5,850,000 → 3,900,000.
        step!(
            applicant,
            "submit_completion_report",
            json!({"payload": {"body": "完了", "actuals": [
                {"line_id": personnel, "amount_yen": 5700000}, {"line_id": travel, "amount_yen": 150000}, {"line_id": outsourcing, "amount_yen": 0}
            ]}}),
            "completion_reported"
        );
        step!(manager, "confirm_amount", json!({}), "amount_confirmed");
        let (_, confirmed) = call!(
            &app,
            "GET",
            format!("/api/v1/applications/{id}"),
            Some(&manager),
            None
        );
        assert_eq!(confirmed["application"]["confirmed_subsidy_yen"], 3_900_000);
        assert_eq!(
            confirmed["application"]["decided_subsidy_yen"], 4_266_000,
            "the decision stays frozen"
        );

        step!(manager, "pay", json!({}), "paid");
        step!(
            manager,
            "open_continuation_survey",
            json!({}),
            "continuation_survey"
        );
        step!(
            applicant,
            "answer_continuation_survey",
            json!({"payload": {"continuation": "continuing", "funding_mix": {"municipal": 2000000, "member_fees": 500000}}}),
            "closed"
        );

        let (status, kpi) = call!(
            &app,
            "GET",
            "/api/v1/kpis/continuation",
            Some(&manager),
            None
        );
        assert_eq!(status, 200);
        assert_eq!(kpi["years"][0]["fiscal_year"], 2026);
        assert_eq!(
            kpi["years"][0]["rate"],
            json!({"numerator": 1, "denominator": 1})
        );
        assert_eq!(kpi["years"][0]["meets_target"], true);

        let (status, trail) = call!(
            &app,
            "GET",
            format!("/api/v1/applications/{id}/audit"),
            Some(&manager),
            None
        );
        assert_eq!(status, 200);
        let actions: Vec<&str> = trail["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(
            actions,
            [
                "create_draft",
                "submit",
                "start_review",
                "return_for_correction",
                "edit_draft",
                "submit",
                "review_budget_line",
                "review_budget_line",
                "review_budget_line",
                "start_review",
                "select",
                "request_grant",
                "decide_grant",
                "start_project",
                "submit_interim_report",
                "accept_interim_report",
                "request_change",
                "request_change",
                "approve_change",
                "submit_completion_report",
                "confirm_amount",
                "pay",
                "open_continuation_survey",
                "answer_continuation_survey",
            ],
            "every step is audited, in order"
        );
    });
    assert_eq!(
        hojokin::db::audit::verify(&mut test_db.conn())
            .expect("verify")
            .map(|head| head.count),
        Ok(24),
        "the chain is intact"
    );
});

// Two applications of one organisation in one year cannot both pass the award cap: the
// award recorded at the first 採択 counts when the second is selected.
crate::on_both_backends!(
    the_award_cap_counts_awards_decided_since_the_draft_began,
    |test_db| {
        let world = world(&mut test_db.conn());
        crate::fixtures::past_awards(
            &mut test_db.conn(),
            world.own_org,
            &[
                ("R6-一般枠-X1", 2024, "general"),
                ("R7-右腕人材枠-X2", 2025, "right_hand"),
            ],
        );
        block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let manager = crate::login!(&app, "manager@meti.example");
            let mut ids = Vec::new();
            for _ in 0..2 {
                let (status, created) = call!(
                    &app,
                    "POST",
                    "/api/v1/applications",
                    Some(&applicant),
                    Some(draft(world.own_org, world.shiojiri))
                );
                assert_eq!(status, 201);
                assert_eq!(
                    created["decision"]["award_ordinal"], 3,
                    "two past awards: this would be the 3rd"
                );
                let id = created["application"]["id"].as_i64().expect("id");
                for (who, action, version) in
                    [(&applicant, "submit", 1), (&manager, "start_review", 2)]
                {
                    let (status, answer) = call!(
                        &app,
                        "POST",
                        format!("/api/v1/applications/{id}/actions/{action}"),
                        Some(who),
                        Some(json!({"version": version}))
                    );
                    assert_eq!(status, 200, "{answer}");
                }
                ids.push(id);
            }
            let (status, _) = call!(
                &app,
                "POST",
                format!("/api/v1/applications/{}/actions/select", ids[0]),
                Some(&manager),
                Some(json!({"version": 3}))
            );
            assert_eq!(status, 200, "the first is the 3rd award");
            let before = hojokin::db::applications::load_aggregate(&mut test_db.conn(), ids[1])
                .expect("aggregate")
                .application;
            let (status, refused) = call!(
                &app,
                "POST",
                format!("/api/v1/applications/{}/actions/select", ids[1]),
                Some(&manager),
                Some(json!({"version": 3}))
            );
            assert_eq!(status, 422, "the second would be a 4th award: {refused}");
            assert!(
                refused.to_string().contains("award_cap_exceeded"),
                "{refused}"
            );
            let after = hojokin::db::applications::load_aggregate(&mut test_db.conn(), ids[1])
                .expect("aggregate")
                .application;
            assert_eq!(
                (after.status, after.version),
                (before.status, before.version),
                "nothing moved"
            );
        });
    }
);

// 交付決定 freezes the decision: after the rules change (here the R8 右腕 rate becomes 1/2),
// the grant is still confirmed at the frozen 2/3.
crate::on_both_backends!(a_rule_change_never_alters_a_decided_grant, |test_db| {
    use hojokin::actions::{ActionRequest, perform};
    use hojokin::domain::access::Role;
    use hojokin::domain::workflow::{Action, Actor};

    let world = world(&mut test_db.conn());
    let id = block_on(async {
        let app = crate::test_app!(test_db);
        let applicant = crate::login!(&app, "applicant@own.example");
        let (status, created) = call!(
            &app,
            "POST",
            "/api/v1/applications",
            Some(&applicant),
            Some(draft(world.own_org, world.shiojiri))
        );
        assert_eq!(status, 201);
        created["application"]["id"].as_i64().expect("id")
    });
    let users = |email: &str| {
        hojokin::db::users::find_by_email(&mut test_db.conn(), email)
            .expect("q")
            .expect("user")
            .id
    };
    let applicant = Actor {
        user_id: users("applicant@own.example"),
        role: Role::Applicant,
        organisation_ids: vec![world.own_org],
        municipality_id: None,
    };
    let manager = Actor {
        user_id: users("manager@meti.example"),
        role: Role::ProgramManager,
        organisation_ids: vec![],
        municipality_id: None,
    };
    let shipped = hojokin::program::embedded().expect("programs");
    // The fixture's 補助事業期間 begins on 12/1: the project cannot start before it.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
    let mut version = 1;
    let mut step = |programs: &hojokin::domain::program::ProgramSet,
                    actor: &Actor,
                    action: Action,
                    payload: serde_json::Value| {
        let request = ActionRequest {
            version,
            reason: None,
            payload,
        };
        let outcome = perform(
            &mut test_db.conn(),
            programs,
            actor,
            id,
            action,
            &request,
            today,
        )
        .unwrap_or_else(|e| panic!("{action}: {e}"));
        version = outcome.version;
    };
    for (actor, action) in [
        (&applicant, Action::Submit),
        (&manager, Action::StartReview),
        (&manager, Action::Select),
        (&applicant, Action::RequestGrant),
        (&manager, Action::DecideGrant),
        (&applicant, Action::StartProject),
    ] {
        step(&shipped, actor, action, serde_json::Value::Null);
    }
    let aggregate =
        hojokin::db::applications::load_aggregate(&mut test_db.conn(), id).expect("aggregate");
    let actuals: Vec<serde_json::Value> = aggregate
        .lines()
        .filter(|l| l.amounts().is_claimed())
        .map(|l| json!({"line_id": l.id, "amount_yen": l.amount_yen}))
        .collect();
    step(
        &shipped,
        &applicant,
        Action::SubmitCompletionReport,
        json!({"actuals": actuals}),
    );

    // The rules change: R8 右腕 1回目 becomes 1/2.
    let changed_sources: Vec<(String, String)> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/forms/programs"))
            .expect("dir")
            .map(|entry| {
                let path = entry.expect("entry").path();
                let text = std::fs::read_to_string(&path).expect("read");
                let text = if path.ends_with("2026.toml") {
                    text.replacen(
                        "{ ordinal = 1, numerator = 2, denominator = 3,",
                        "{ ordinal = 1, numerator = 1, denominator = 2,",
                        1,
                    )
                } else {
                    text
                };
                (
                    path.file_name()
                        .expect("name")
                        .to_string_lossy()
                        .into_owned(),
                    text,
                )
            })
            .collect();
    let changed = hojokin::program::from_sources(
        changed_sources
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str())),
    )
    .expect("changed rules load");
    assert_ne!(
        changed
            .get(hojokin::domain::calendar::FiscalYear(2026))
            .expect("R8")
            .rules_version,
        shipped
            .get(hojokin::domain::calendar::FiscalYear(2026))
            .expect("R8")
            .rules_version
    );
    step(
        &changed,
        &manager,
        Action::ConfirmAmount,
        serde_json::Value::Null,
    );

    let confirmed = hojokin::db::applications::load_aggregate(&mut test_db.conn(), id)
        .expect("aggregate")
        .application;
    // Eligible 7,600,000 (all three claimed lines) × 2/3 = 5,066,666 → 5,066,000, as decided.
    assert_eq!(confirmed.decided_subsidy_yen, Some(5_066_000));
    assert_eq!(
        confirmed.confirmed_subsidy_yen,
        Some(5_066_000),
        "confirmed at the frozen 2/3, not the new 1/2"
    );
});

// The workflow builds the engine's input from the stored application (typed, no JSON in
// between); it must evaluate exactly as the same application posted as a contract document.
crate::on_both_backends!(
    a_stored_draft_is_judged_as_the_same_document_posted,
    |test_db| {
        let world = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let (status, created) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(draft(world.own_org, world.shiojiri))
            );
            assert_eq!(status, 201, "{created}");
            let today = hojokin::clock::today_in_japan().to_string();
            let document = json!({
                "fiscal_year": 2026,
                "frame": "right_hand",
                "application_date": today,
                "applicants": [{
                    "name": "一般社団法人しおじり未来人材機構",
                    "kind": "general_incorporated_association",
                    "employees": 12,
                    "industry": "services",
                    "role": "lead"
                }],
                "partners": [
                    {"kind": "municipality", "name": "塩尻市"},
                    {"kind": "education_institution", "name": "信州大学"}
                ],
                "project_period": {"start": "2026-12-01", "end": "2027-02-26"},
                "activities": [
                    {"name": "幹部インターンシップ", "category": "development", "executive_internship": true,
                     "budget_lines": [
                        {"category": "personnel", "description": "コーディネーター", "amount_yen": 6000000, "funding_source": "this_subsidy"},
                        {"category": "travel", "description": "企業訪問旅費", "amount_yen": 600000, "funding_source": "this_subsidy"},
                        {"category": "outsourcing", "description": "マッチング運営（外注）", "amount_yen": 1000000, "funding_source": "this_subsidy"}
                     ]},
                    {"name": "協議会", "category": "council", "executive_internship": false,
                     "budget_lines": [
                        {"category": "meetings", "description": "会場費", "amount_yen": 300000, "funding_source": "own_funds"}
                     ]}
                ]
            });
            let (status, posted) = call!(&app, "POST", "/api/v1/evaluate", None, Some(document));
            assert_eq!(status, 200, "{posted}");
            assert_eq!(
                created["decision"], posted,
                "the stored draft and the posted document"
            );
            assert!(
                created["decision"]["subsidy_yen"]
                    .as_i64()
                    .is_some_and(|yen| yen > 0)
            );
        });
    }
);
