//! The handovers between applicant, finance officer and 事務局, on both databases: each step
//! reaches the person who acts next, with what they act on.

use diesel::prelude::*;
use hojokin::db::schema::{applications, audit_events, jobs};
use hojokin::jobs::worker::Worker;
use hojokin::mail::Mailer;
use serde_json::{Value, json};

use crate::fixtures::{budget_line as line, draft, world};
use crate::helpers::{TestDb, block_on};
use crate::reminders::{SmtpSink, worker_settings};

/// The HTML of a page, as the caller with this session cookie gets it (status 200 asserted).
#[macro_export]
macro_rules! page_text {
    ($app:expr, $cookie:expr, $uri:expr) => {{
        let request = actix_web::test::TestRequest::get()
            .uri(&$uri)
            .insert_header(("cookie", $cookie.clone()))
            .to_request();
        let page = actix_web::test::call_service($app, request).await;
        assert_eq!(page.status().as_u16(), 200, "{}", $uri);
        String::from_utf8_lossy(&actix_web::test::read_body(page).await).into_owned()
    }};
}

/// What a refused submit must leave as it was.
fn footprint(test_db: &TestDb, id: i64) -> (String, i64, i64) {
    let mut conn = test_db.conn();
    let status: String = applications::table
        .find(id)
        .select(applications::status)
        .first(&mut *conn)
        .expect("application");
    let events: i64 = audit_events::table
        .count()
        .get_result(&mut *conn)
        .expect("events");
    let queued: i64 = jobs::table.count().get_result(&mut *conn).expect("jobs");
    (status, events, queued)
}

crate::on_both_backends!(
    an_application_is_submitted_with_its_municipality_and_reaches_its_finance_officers,
    |test_db| {
        let world = world(&mut test_db.conn());
        let matsumoto = hojokin::db::organisations::list_municipalities(&mut test_db.conn())
            .expect("municipalities")
            .into_iter()
            .find(|m| m.name == "松本市")
            .expect("松本市")
            .id;
        block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let officer = crate::login!(&app, "officer@shiojiri.example");

            // 事業を行う市町村 left empty while 塩尻市 is a partner.
            let mut body = draft(world.own_org, world.shiojiri);
            body["municipality_id"] = Value::Null;
            let (status, created) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(body.clone())
            );
            assert_eq!(status, 201, "{created}");
            assert_eq!(created["decision"]["eligible"], true, "the engine agrees");
            let id = created["application"]["id"].as_i64().expect("id");
            let mut version = created["application"]["version"].as_i64().expect("version");
            let submit = format!("/api/v1/applications/{id}/actions/submit");

            let before = footprint(test_db, id);
            let (status, refused) = call!(
                &app,
                "POST",
                &submit,
                Some(&applicant),
                Some(json!({ "version": version }))
            );
            assert_eq!(status, 422, "{refused}");
            assert_eq!(refused["errors"]["municipality_id"][0]["code"], "required");
            assert!(
                refused["errors"]["municipality_id"][0]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("事業を行う市町村を選んでください")),
                "{refused}"
            );
            assert_eq!(
                footprint(test_db, id),
                before,
                "a refused submit changes nothing"
            );

            // The editor says so before the applicant tries.
            let edit = page_text!(&app, applicant, format!("/applications/{id}/edit"));
            assert!(
                edit.contains("申請する前に、次の項目を入力してください。")
                    && edit.contains("事業を行う市町村を選んでください"),
                "{edit}"
            );

            // A municipality it does not partner with.
            body["municipality_id"] = json!(matsumoto);
            body["version"] = json!(version);
            let (status, updated) = call!(
                &app,
                "PUT",
                format!("/api/v1/applications/{id}"),
                Some(&applicant),
                Some(body.clone())
            );
            assert_eq!(status, 200, "{updated}");
            version = updated["application"]["version"].as_i64().expect("version");
            let (status, refused) = call!(
                &app,
                "POST",
                &submit,
                Some(&applicant),
                Some(json!({ "version": version }))
            );
            assert_eq!(status, 422, "{refused}");
            assert_eq!(
                refused["errors"]["municipality_id"][0]["code"],
                "not_a_partner"
            );

            // Nothing reaches a finance officer before submission.
            let (_, queue) = call!(&app, "GET", "/api/v1/applications", Some(&officer), None);
            assert_eq!(queue["applications"], json!([]), "{queue}");

            body["municipality_id"] = json!(world.shiojiri);
            body["version"] = json!(version);
            let (status, updated) = call!(
                &app,
                "PUT",
                format!("/api/v1/applications/{id}"),
                Some(&applicant),
                Some(body)
            );
            assert_eq!(status, 200, "{updated}");
            version = updated["application"]["version"].as_i64().expect("version");
            let (status, submitted) = call!(
                &app,
                "POST",
                &submit,
                Some(&applicant),
                Some(json!({ "version": version }))
            );
            assert_eq!(status, 200, "{submitted}");
            let (_, queue) = call!(&app, "GET", "/api/v1/applications", Some(&officer), None);
            assert_eq!(queue["applications"][0]["id"], id, "in 塩尻市's queue");
        });

        // 塩尻市's finance officer is told, by email; 松本市's is not.
        let sink = SmtpSink::start(&[]);
        let worker = Worker::new(
            test_db.pool.clone(),
            Mailer::from_config(&sink.backend()).expect("mailer"),
            worker_settings(60),
        )
        .expect("worker");
        worker.run_batch().expect("batch");
        let received = sink.received();
        let to_officer: Vec<&Value> = received
            .iter()
            .filter(|m| m["to"] == json!(["officer@shiojiri.example"]))
            .collect();
        assert_eq!(to_officer.len(), 1, "{received:?}");
        assert!(
            to_officer[0]["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("【予算審査の依頼】")),
            "{:?}",
            to_officer[0]["subject"]
        );
        assert!(
            to_officer[0]["text"]
                .as_str()
                .is_some_and(|t| t.contains("予算行ごとに承認・調整・否認を記録してください")),
            "{:?}",
            to_officer[0]["text"]
        );
        assert!(
            !received
                .iter()
                .any(|m| m["to"] == json!(["officer@matsumoto.example"])),
            "{received:?}"
        );
        // The applicant is told the application was received.
        let to_applicant: Vec<&Value> = received
            .iter()
            .filter(|m| m["to"] == json!(["applicant@own.example"]))
            .collect();
        assert_eq!(to_applicant.len(), 1, "{received:?}");
        assert!(
            to_applicant[0]["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("【申請の受付】")),
            "{:?}",
            to_applicant[0]["subject"]
        );
        assert!(
            to_applicant[0]["text"]
                .as_str()
                .is_some_and(|t| t.contains("申請を受け付けました")),
            "{:?}",
            to_applicant[0]["text"]
        );
    }
);

crate::on_both_backends!(
    everyone_who_sees_an_application_reads_who_did_what_when_and_why,
    |test_db| {
        let world = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let officer = crate::login!(&app, "officer@shiojiri.example");
            let manager = crate::login!(&app, "manager@meti.example");
            let other = crate::login!(&app, "applicant@other.example");
            let (_, created) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(draft(world.own_org, world.shiojiri))
            );
            let id = created["application"]["id"].as_i64().expect("id");
            let version = created["application"]["version"].as_i64().expect("version");
            let act = |action: &str| format!("/api/v1/applications/{id}/actions/{action}");
            let (status, submitted) = call!(
                &app,
                "POST",
                act("submit"),
                Some(&applicant),
                Some(json!({ "version": version }))
            );
            assert_eq!(status, 200, "{submitted}");
            let reason = "連携先<b>同意書</b>を添付してください";
            let (status, returned) = call!(
                &app,
                "POST",
                act("return_for_correction"),
                Some(&manager),
                Some(json!({ "version": submitted["version"], "reason": reason }))
            );
            assert_eq!(status, 200, "{returned}");

            let uri = format!("/api/v1/applications/{id}/history");
            for who in [&applicant, &officer, &manager] {
                let (status, history) = call!(&app, "GET", &uri, Some(who), None);
                assert_eq!(status, 200, "{history}");
                let entries = history["entries"].as_array().expect("entries");
                let steps: Vec<(&str, &str)> = entries
                    .iter()
                    .map(|e| {
                        (
                            e["action_label"].as_str().unwrap_or_default(),
                            e["to_state"].as_str().unwrap_or_default(),
                        )
                    })
                    .collect();
                assert_eq!(
                    steps,
                    [
                        ("下書きの作成", "作成中"),
                        ("申請", "申請済"),
                        ("差戻し", "差戻し")
                    ],
                    "{history}"
                );
                assert_eq!(entries[1]["actor_role"], "申請者");
                assert_eq!(entries[2]["actor_role"], "事務局");
                assert_eq!(entries[2]["reason"], reason);
                assert!(
                    entries[2].get("hash").is_none(),
                    "the chain is the 事務局's"
                );
            }
            let (status, _) = call!(&app, "GET", &uri, Some(&other), None);
            assert_eq!(status, 403, "another organisation");

            // The application's page says the same, escaped.
            let body = page_text!(&app, applicant, format!("/applications/{id}"));
            assert!(
                body.contains("連携先&lt;b&gt;同意書&lt;/b&gt;を添付してください"),
                "{body}"
            );
            assert!(body.contains("申請済 → 差戻し"), "{body}");
        });
    }
);

crate::on_both_backends!(
    a_resubmission_keeps_the_review_of_every_line_the_applicant_left_as_it_was,
    |test_db| {
        let world = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let officer = crate::login!(&app, "officer@shiojiri.example");
            let manager = crate::login!(&app, "manager@meti.example");
            let mut body = draft(world.own_org, world.shiojiri);
            let (_, created) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(body.clone())
            );
            let id = created["application"]["id"].as_i64().expect("id");
            let act = |action: &str| format!("/api/v1/applications/{id}/actions/{action}");
            let (status, submitted) = call!(
                &app,
                "POST",
                act("submit"),
                Some(&applicant),
                Some(json!({ "version": created["application"]["version"] }))
            );
            assert_eq!(status, 200, "{submitted}");

            // The finance officer approves one line and adjusts another.
            let uri = format!("/api/v1/applications/{id}");
            let (_, current) = call!(&app, "GET", &uri, Some(&officer), None);
            for (description, review) in [
                ("コーディネーター", json!({"decision": "approve"})),
                (
                    "企業訪問旅費",
                    json!({"decision": "adjust", "amount_yen": 400000, "reason": "旅費規程の単価で再計算"}),
                ),
            ] {
                let line = line(&current, description);
                let mut review = review;
                review["version"] = line["version"].clone();
                let (status, answer) = call!(
                    &app,
                    "POST",
                    format!("{uri}/budget-lines/{}/review", line["id"]),
                    Some(&officer),
                    Some(review)
                );
                assert_eq!(status, 200, "{description}: {answer}");
            }
            let (status, returned) = call!(
                &app,
                "POST",
                act("return_for_correction"),
                Some(&manager),
                Some(json!({ "version": submitted["version"], "reason": "KPIを具体的に" }))
            );
            assert_eq!(status, 200, "{returned}");

            // The applicant changes only a KPI: every review stays.
            let (_, current) = call!(&app, "GET", &uri, Some(&applicant), None);
            body["activities"][0]["kpi"] = json!("受入企業 8 社、うち 3 社で幹部採用");
            body["version"] = current["application"]["version"].clone();
            let (status, updated) = call!(&app, "PUT", &uri, Some(&applicant), Some(body.clone()));
            assert_eq!(status, 200, "{updated}");
            let (_, current) = call!(&app, "GET", &uri, Some(&applicant), None);
            let state = |application: &Value, description: &str| {
                let line = line(application, description);
                (
                    line["review_state"].as_str().unwrap_or_default().to_owned(),
                    line["effective_yen"].as_i64(),
                )
            };
            assert_eq!(
                state(&current, "コーディネーター"),
                ("approved".to_owned(), Some(6_000_000))
            );
            assert_eq!(
                state(&current, "企業訪問旅費"),
                ("adjusted".to_owned(), Some(400_000))
            );
            assert_eq!(
                line(&current, "企業訪問旅費")["review_reason"],
                "旅費規程の単価で再計算"
            );

            // The applicant raises the travel line: that line is reviewed again, the other
            // keeps its approval.
            body["activities"][0]["budget_lines"][1]["amount_yen"] = json!(500000);
            body["version"] = current["application"]["version"].clone();
            let (status, updated) = call!(&app, "PUT", &uri, Some(&applicant), Some(body));
            assert_eq!(status, 200, "{updated}");
            let (_, current) = call!(&app, "GET", &uri, Some(&applicant), None);
            assert_eq!(
                state(&current, "コーディネーター"),
                ("approved".to_owned(), Some(6_000_000))
            );
            assert_eq!(
                state(&current, "企業訪問旅費"),
                ("pending".to_owned(), Some(500_000))
            );
        });
    }
);
