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
        let received = mail_delivered(test_db);
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

/// The amounts list of a page, as the `amounts` partial renders it: name, kind, then the
/// amount and its date as text.
fn amounts_shown(html: &str) -> Vec<String> {
    let text = |markup: &str| {
        let mut in_tag = false;
        markup
            .chars()
            .filter(|c| {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    _ => return !in_tag,
                }
                false
            })
            .collect::<String>()
    };
    html.split("<dt>")
        .skip(1)
        .filter_map(|part| {
            let (label, rest) = part.split_once("</dt><dd data-amount=\"")?;
            let (kind, rest) = rest.split_once("\">")?;
            let value = rest.split("</dd>").next()?;
            Some(format!("{label} {kind} {}", text(value)))
        })
        .collect()
}

crate::on_both_backends!(
    every_amount_of_the_lifecycle_is_shown_with_its_name_wherever_the_application_is,
    |test_db| {
        let world = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let officer = crate::login!(&app, "officer@shiojiri.example");
            let manager = crate::login!(&app, "manager@meti.example");
            let (status, created) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(draft(world.own_org, world.shiojiri))
            );
            assert_eq!(status, 201, "{created}");
            let id = created["application"]["id"].as_i64().expect("id");
            assert_eq!(
                created["application"]["amounts"],
                json!([{"kind": "estimate", "label_ja": "補助金額（試算）", "yen": 5_066_000,
                        "date": null, "date_label_ja": null}]),
                "a draft has only the engine's estimate"
            );
            let mut version = created["application"]["version"].as_i64().expect("version");
            let mut step = async |who: &String, action: &str, payload: Value| {
                let (status, outcome) = call!(
                    &app,
                    "POST",
                    format!("/api/v1/applications/{id}/actions/{action}"),
                    Some(who),
                    Some(json!({ "version": version, "payload": payload }))
                );
                if status == 200 {
                    version = outcome["version"].as_i64().expect("version");
                }
                (status, outcome)
            };
            let ok = |(status, outcome): (u16, Value)| assert_eq!(status, 200, "{outcome}");
            ok(step(&applicant, "submit", Value::Null).await);
            // Filed on 20 November, decided on the 30th, paid on 2 December.
            diesel::update(applications::table.find(id))
                .set(
                    applications::application_date
                        .eq(chrono::NaiveDate::from_ymd_opt(2026, 11, 20)),
                )
                .execute(&mut *test_db.conn())
                .expect("date the application");
            // The finance officer lowers マッチング運営 from 1,000,000 to 400,000円.
            let outsourcing = line(&created, "マッチング運営（外注）");
            let (status, reviewed) = call!(
                &app,
                "POST",
                format!(
                    "/api/v1/applications/{id}/budget-lines/{}/review",
                    outsourcing["id"]
                ),
                Some(&officer),
                Some(json!({"decision": "adjust", "amount_yen": 400_000,
                            "reason": "市の委託分を除く", "version": outsourcing["version"]}))
            );
            assert_eq!(status, 200, "{reviewed}");
            // 7,000,000 × 2/3 = 4,666,666 → 4,666,000.
            assert_eq!(reviewed["decision"]["subsidy_yen"], 4_666_000);
            ok(step(&manager, "start_review", Value::Null).await);
            ok(step(&manager, "select", Value::Null).await);
            ok(step(&applicant, "request_grant", Value::Null).await);
            ok(step(
                &manager,
                "decide_grant",
                json!({"amount_yen": 4_500_000, "decided_on": "2026-11-30"}),
            )
            .await);
            ok(step(&applicant, "start_project", Value::Null).await);
            let (_, seen) = call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(&applicant),
                None
            );
            let actuals: Vec<Value> = [
                ("コーディネーター", 5_000_000),
                ("企業訪問旅費", 600_000),
                ("マッチング運営（外注）", 400_000),
            ]
            .iter()
            .map(|(description, amount)| {
                json!({"line_id": line(&seen, description)["id"], "amount_yen": amount})
            })
            .collect();
            ok(step(
                &applicant,
                "submit_completion_report",
                json!({"body": "受入企業 8 社、採用 3 名", "actuals": actuals}),
            )
            .await);
            ok(step(&manager, "confirm_amount", Value::Null).await);
            // 6,000,000 × 2/3 = 4,000,000, under the 交付決定額: the 支払額 is at most that.
            let (status, refused) = step(
                &manager,
                "pay",
                json!({"amount_yen": 4_000_001, "paid_on": "2026-12-02"}),
            )
            .await;
            assert_eq!(status, 422, "{refused}");
            assert_eq!(
                refused["errors"]["payload.amount_yen"][0]["code"],
                "above_ceiling"
            );
            ok(step(
                &manager,
                "pay",
                json!({"amount_yen": 3_900_000, "paid_on": "2026-12-02"}),
            )
            .await);

            let expected = [
                "申請額 requested 5,066,000円（申請日 令和8年11月20日）",
                "審査後 reviewed 4,666,000円",
                "交付決定額 decided 4,500,000円（交付決定日 令和8年11月30日）",
                "確定額 confirmed 4,000,000円（確定日 令和8年12月3日）",
                "支払額 paid 3,900,000円（支払日 令和8年12月2日）",
            ];
            let today = hojokin::clock::today_in_japan();
            let expected: Vec<String> = expected
                .iter()
                .map(|line| {
                    line.replace(
                        "令和8年12月3日",
                        &hojokin::domain::calendar::wareki_date(today).to_string(),
                    )
                })
                .collect();
            for (who, uri) in [
                (&applicant, format!("/applications/{id}")),
                (&applicant, "/applicant".to_owned()),
                (&manager, "/manager".to_owned()),
                (&officer, "/finance".to_owned()),
            ] {
                let html = page_text!(&app, who, uri);
                assert_eq!(amounts_shown(&html), expected, "{uri}");
            }

            let (_, view) = call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(&manager),
                None
            );
            let amounts: Vec<(&str, &str, i64, Option<&str>)> = view["application"]["amounts"]
                .as_array()
                .expect("amounts")
                .iter()
                .map(|a| {
                    (
                        a["kind"].as_str().expect("kind"),
                        a["label_ja"].as_str().expect("label"),
                        a["yen"].as_i64().expect("yen"),
                        a["date"].as_str(),
                    )
                })
                .collect();
            let today_text = today.to_string();
            assert_eq!(
                amounts,
                [
                    ("requested", "申請額", 5_066_000, Some("2026-11-20")),
                    ("reviewed", "審査後", 4_666_000, None),
                    ("decided", "交付決定額", 4_500_000, Some("2026-11-30")),
                    ("confirmed", "確定額", 4_000_000, Some(today_text.as_str())),
                    ("paid", "支払額", 3_900_000, Some("2026-12-02")),
                ],
                "{view}"
            );
            assert_eq!(view["application"]["decided_subsidy_yen"], 4_500_000);
            let frozen: Value = serde_json::from_str(
                view["application"]["frozen_decision_json"]
                    .as_str()
                    .expect("frozen"),
            )
            .expect("json");
            assert_eq!(
                frozen["decided_subsidy_yen"], 4_500_000,
                "the frozen decision carries the 事務局's amount"
            );

            let csv = actix_web::test::call_service(
                &app,
                actix_web::test::TestRequest::get()
                    .uri(&format!("/applications/{id}/budget.csv"))
                    .insert_header(("cookie", officer.clone()))
                    .to_request(),
            )
            .await;
            assert_eq!(csv.status().as_u16(), 200);
            let csv = String::from_utf8(actix_web::test::read_body(csv).await[3..].to_vec())
                .expect("utf-8");
            let block: Vec<&str> = csv
                .lines()
                .skip_while(|row| !row.starts_with("金額の名称"))
                .skip(1)
                .collect();
            let wareki_today = hojokin::domain::calendar::wareki_date(today).to_string();
            assert_eq!(
                block,
                [
                    "申請額,5066000,申請日,令和8年11月20日".to_owned(),
                    "審査後,4666000,,".to_owned(),
                    "交付決定額,4500000,交付決定日,令和8年11月30日".to_owned(),
                    format!("確定額,4000000,確定日,{wareki_today}"),
                    "支払額,3900000,支払日,令和8年12月2日".to_owned(),
                ],
                "{csv}"
            );

            // The 交付決定通知書 is dated by the 交付決定, not by the day it is printed.
            let pdf = actix_web::test::call_service(
                &app,
                actix_web::test::TestRequest::get()
                    .uri(&format!(
                        "/api/v1/applications/{id}/filings/grant_decision_notice.pdf"
                    ))
                    .insert_header(("cookie", applicant.clone()))
                    .to_request(),
            )
            .await;
            assert_eq!(pdf.status().as_u16(), 200);
            let text = crate::pdf::squeeze(&crate::pdf::pdftotext(
                &actix_web::test::read_body(pdf).await,
                None,
            ));
            assert!(text.starts_with("令和8年11月30日"), "{text}");
            assert!(text.contains("交付決定日令和8年11月30日"), "{text}");
            assert!(text.contains("交付決定額4,500,000円"), "{text}");
            assert!(text.contains("令和8年11月20日付けで申請のあった"), "{text}");
            assert!(!text.contains(&wareki_today), "not today: {text}");

            // Every filing speaks Japanese: no code of a state, report, source or category.
            use hojokin::domain::codes::{ActivityCategory, ExpenseCategory, Frame, FundingSource};
            use hojokin::domain::workflow::{ApplicationState, ReportKind, ReportStatus};
            let codes: Vec<&str> = ApplicationState::ALL
                .iter()
                .map(|s| s.as_str())
                .chain(ReportKind::ALL.iter().map(|k| k.as_str()))
                .chain(ReportStatus::ALL.iter().map(|s| s.as_str()))
                .chain(FundingSource::ALL.iter().map(|s| s.as_str()))
                .chain(ExpenseCategory::ALL.iter().map(|c| c.as_str()))
                .chain(ActivityCategory::ALL.iter().map(|c| c.as_str()))
                .chain(Frame::ALL.iter().map(|f| f.as_str()))
                .collect();
            let (_, offered) = call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}/filings"),
                Some(&applicant),
                None
            );
            let hrefs: Vec<(&str, &str)> = offered["filings"]
                .as_array()
                .expect("filings")
                .iter()
                .map(|f| {
                    (
                        f["kind"].as_str().expect("kind"),
                        f["href"].as_str().expect("href"),
                    )
                })
                .collect();
            assert_eq!(
                hrefs.len(),
                7,
                "every filing but the interim report: {offered}"
            );
            for (kind, href) in hrefs {
                let pdf = actix_web::test::call_service(
                    &app,
                    actix_web::test::TestRequest::get()
                        .uri(href)
                        .insert_header(("cookie", applicant.clone()))
                        .to_request(),
                )
                .await;
                assert_eq!(pdf.status().as_u16(), 200, "{kind}");
                let text = crate::pdf::pdftotext(&actix_web::test::read_body(pdf).await, None);
                let words: Vec<&str> = text
                    .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                    .filter(|word| codes.contains(word))
                    .collect();
                assert!(words.is_empty(), "{kind} prints codes {words:?}: {text}");
                if kind == "completion_report" {
                    assert!(
                        crate::pdf::squeeze(&text).contains("受入企業8社、採用3名"),
                        "the completion report says what was done: {text}"
                    );
                }
            }
        });
    }
);

crate::on_both_backends!(
    a_grant_decision_above_the_computed_amount_is_refused_and_changes_nothing,
    |test_db| {
        let world = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let manager = crate::login!(&app, "manager@meti.example");
            let (_, created) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(draft(world.own_org, world.shiojiri))
            );
            let id = created["application"]["id"].as_i64().expect("id");
            let mut version = created["application"]["version"].as_i64().expect("version");
            for (who, action) in [
                (&applicant, "submit"),
                (&manager, "start_review"),
                (&manager, "select"),
                (&applicant, "request_grant"),
            ] {
                let (status, outcome) = call!(
                    &app,
                    "POST",
                    format!("/api/v1/applications/{id}/actions/{action}"),
                    Some(who),
                    Some(json!({ "version": version }))
                );
                assert_eq!(status, 200, "{action}: {outcome}");
                version = outcome["version"].as_i64().expect("version");
            }
            let before = footprint(test_db, id);
            let (status, refused) = call!(
                &app,
                "POST",
                format!("/api/v1/applications/{id}/actions/decide_grant"),
                Some(&manager),
                Some(json!({ "version": version,
                             "payload": {"amount_yen": 5_066_001, "decided_on": "2026-11-30"} }))
            );
            assert_eq!(status, 422, "{refused}");
            let error = &refused["errors"]["payload.amount_yen"][0];
            assert_eq!(error["code"], "above_ceiling", "{refused}");
            assert_eq!(
                error["message"],
                "交付決定額は算定した補助金額（5,066,000円）以下にしてください"
            );
            assert_eq!(footprint(test_db, id), before, "nothing written");
            let (_, view) = call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(&manager),
                None
            );
            assert_eq!(view["application"]["status"], "grant_requested");
            assert_eq!(view["application"]["decided_subsidy_yen"], Value::Null);
            assert_eq!(view["application"]["frozen_decision_json"], Value::Null);
            assert_eq!(view["application"]["version"], version);
            // Without an amount the 交付決定額 is the computed one, dated today in Japan.
            let (status, decided) = call!(
                &app,
                "POST",
                format!("/api/v1/applications/{id}/actions/decide_grant"),
                Some(&manager),
                Some(json!({ "version": version }))
            );
            assert_eq!(status, 200, "{decided}");
            let (_, view) = call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(&manager),
                None
            );
            let decided = &view["application"]["amounts"][1];
            assert_eq!(decided["kind"], "decided");
            assert_eq!(decided["yen"], 5_066_000);
            assert_eq!(
                decided["date"],
                hojokin::clock::today_in_japan().to_string()
            );
        });
    }
);

/// Runs the mail worker once against a real SMTP server: the messages it received.
fn mail_delivered(test_db: &TestDb) -> Vec<Value> {
    let sink = SmtpSink::start(&[]);
    let worker = Worker::new(
        test_db.pool.clone(),
        Mailer::from_config(&sink.backend()).expect("mailer"),
        worker_settings(60),
    )
    .expect("worker");
    worker.run_batch().expect("batch");
    sink.received()
}

/// The one message to this address whose subject starts with `subject`.
fn message_to<'a>(received: &'a [Value], to: &str, subject: &str) -> &'a Value {
    let found: Vec<&Value> = received
        .iter()
        .filter(|m| {
            m["to"] == json!([to])
                && m["subject"]
                    .as_str()
                    .is_some_and(|s| s.starts_with(subject))
        })
        .collect();
    assert_eq!(found.len(), 1, "{subject} to {to}: {received:?}");
    found[0]
}

/// The app with its clock on `day` (Japan), for walking the timeline.
fn state_on(test_db: &TestDb, day: &str) -> hojokin::web::AppState {
    let mut state = crate::helpers::state_for(test_db.pool.clone(), &test_db.url);
    state.clock = hojokin::clock::Clock::Fixed(day.parse().expect("date"));
    state
}

/// Performs `$action` as `$who` with the application's current version (and `$extra` merged
/// into the body): (status, answer).
#[macro_export]
macro_rules! act {
    ($app:expr, $who:expr, $id:expr, $action:expr, $extra:expr) => {{
        let (_, current) = call!(
            $app,
            "GET",
            format!("/api/v1/applications/{}", $id),
            Some(&$who),
            None
        );
        let mut body = json!({ "version": current["application"]["version"] });
        if let Value::Object(extra) = $extra {
            body.as_object_mut().expect("object").extend(extra);
        }
        call!(
            $app,
            "POST",
            format!("/api/v1/applications/{}/actions/{}", $id, $action),
            Some(&$who),
            Some(body)
        )
    }};
}

crate::on_both_backends!(
    a_return_for_correction_carries_its_reason_and_deadline_and_the_answer_reaches_the_secretariat,
    |test_db| {
        let world = world(&mut test_db.conn());
        let reason = "連携先<b>同意書</b>を添付してください";
        let answer = "同意書（塩尻市長名）を添付し、KPIを<受入企業 8 社>と明記しました";
        block_on(async {
            let app = crate::test_app!(test_db, state_on(test_db, "2026-12-03"));
            let applicant = crate::login!(&app, "applicant@own.example");
            let manager = crate::login!(&app, "manager@meti.example");
            let body = draft(world.own_org, world.shiojiri);
            let (_, created) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(body.clone())
            );
            let id = created["application"]["id"].as_i64().expect("id");
            let (status, submitted) = act!(&app, applicant, id, "submit", json!({}));
            assert_eq!(status, 200, "{submitted}");

            // A deadline in the past is refused, and nothing is returned.
            let (status, refused) = act!(
                &app,
                manager,
                id,
                "return_for_correction",
                json!({ "reason": reason, "payload": { "reply_due": "2026-12-02" } })
            );
            assert_eq!(status, 422, "{refused}");
            assert_eq!(
                refused["errors"]["payload.reply_due"][0]["code"],
                "date_in_past"
            );
            let (status, returned) = act!(
                &app,
                manager,
                id,
                "return_for_correction",
                json!({ "reason": reason, "payload": { "reply_due": "2026-12-18" } })
            );
            assert_eq!(status, 200, "{returned}");
            assert_eq!(returned["state"], "returned_for_correction");

            // The edit page says why and by when, escaped, with a field for the answer.
            let edit = page_text!(&app, applicant, format!("/applications/{id}/edit"));
            assert!(
                edit.contains("連携先&lt;b&gt;同意書&lt;/b&gt;を添付してください"),
                "{edit}"
            );
            assert!(
                edit.contains("回答（再提出）の期限:</strong> 令和8年12月18日（金）17:00"),
                "{edit}"
            );
            assert!(edit.contains("name=\"correction_reply\""), "{edit}");

            // The applicant corrects and answers with the resubmission.
            let (status, resubmitted) = act!(
                &app,
                applicant,
                id,
                "submit",
                json!({ "payload": { "reply": answer } })
            );
            assert_eq!(status, 200, "{resubmitted}");
            let show = page_text!(&app, manager, format!("/applications/{id}"));
            assert!(show.contains("差戻しと回答"), "{show}");
            assert!(
                show.contains(
                    "同意書（塩尻市長名）を添付し、KPIを&lt;受入企業 8 社&gt;と明記しました"
                ),
                "{show}"
            );
            assert!(show.contains("令和8年12月18日"), "{show}");
            let (_, history) = call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}/history"),
                Some(&manager),
                None
            );
            let last = history["entries"]
                .as_array()
                .and_then(|e| e.last())
                .expect("an entry");
            assert_eq!(last["action_label"], "申請", "{history}");
            assert_eq!(last["reason"], answer, "the answer is in the history");
        });

        // The 差戻し email gives the reason and the deadline.
        let received = mail_delivered(test_db);
        let mail = message_to(&received, "applicant@own.example", "【差戻し】");
        let text = mail["text"].as_str().unwrap_or_default();
        assert!(text.contains(&format!("差戻しの理由: {reason}")), "{text}");
        assert!(
            text.contains("回答（再提出）の期限: 令和8年12月18日（金）17:00"),
            "{text}"
        );
        let html = mail["html"].as_str().unwrap_or_default();
        assert!(
            html.contains("連携先&lt;b&gt;同意書&lt;/b&gt;を添付してください"),
            "{html}"
        );
    }
);

crate::on_both_backends!(
    the_selection_email_names_the_grant_request_deadline,
    |test_db| {
        let world = world(&mut test_db.conn());
        let id = block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let manager = crate::login!(&app, "manager@meti.example");
            let (_, created) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(draft(world.own_org, world.shiojiri))
            );
            let id = created["application"]["id"].as_i64().expect("id");
            for (who, action) in [
                (&applicant, "submit"),
                (&manager, "start_review"),
                (&manager, "select"),
            ] {
                let (status, outcome) = act!(&app, who, id, action, json!({}));
                assert_eq!(status, 200, "{action}: {outcome}");
            }
            id
        });
        // The deadline the programme file sets (30 days after 採択, rolled to a business day).
        let kind = hojokin::domain::deadlines::DeadlineKind::GrantRequest;
        let due = hojokin::db::deadlines::latest_of_kind(&mut test_db.conn(), id, kind)
            .expect("deadlines")
            .expect("a 交付申請 deadline");
        let due = hojokin::domain::deadlines::format_due(due.due_at, kind);
        assert!(due.ends_with("17:00"), "{due}");
        let received = mail_delivered(test_db);
        let mail = message_to(&received, "applicant@own.example", "【採択】");
        let text = mail["text"].as_str().unwrap_or_default();
        assert!(text.contains(&format!("交付申請の期限: {due}")), "{text}");
    }
);

/// What a refused action must leave as it was: the application's row, the events, the jobs
/// and the reports.
fn everything(test_db: &TestDb, id: i64) -> (String, i32, i64, i64, i64) {
    use hojokin::db::schema::reports;
    let mut conn = test_db.conn();
    let (status, version): (String, i32) = applications::table
        .find(id)
        .select((applications::status, applications::version))
        .first(&mut *conn)
        .expect("application");
    let (_, events, queued) = footprint(test_db, id);
    let filed: i64 = reports::table
        .count()
        .get_result(&mut *conn)
        .expect("reports");
    (status, version, events, queued, filed)
}

crate::on_both_backends!(
    a_project_is_neither_started_nor_reported_before_its_period,
    |test_db| {
        let world = world(&mut test_db.conn());
        let mut body = draft(world.own_org, world.shiojiri);
        body["project_start"] = json!("2027-01-04");
        block_on(async {
            let app = crate::test_app!(test_db, state_on(test_db, "2026-12-03"));
            let applicant = crate::login!(&app, "applicant@own.example");
            let manager = crate::login!(&app, "manager@meti.example");
            let (_, created) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(body)
            );
            let id = created["application"]["id"].as_i64().expect("id");
            for (who, action) in [
                (&applicant, "submit"),
                (&manager, "start_review"),
                (&manager, "select"),
                (&applicant, "request_grant"),
                (&manager, "decide_grant"),
            ] {
                let (status, outcome) = act!(&app, who, id, action, json!({}));
                assert_eq!(status, 200, "{action}: {outcome}");
            }
            let before = everything(test_db, id);
            let (status, refused) = act!(&app, applicant, id, "start_project", json!({}));
            assert_eq!(status, 422, "{refused}");
            assert_eq!(refused["errors"][""][0]["code"], "before_project_period");
            assert_eq!(
                refused["errors"][""][0]["message"],
                "補助事業期間（令和9年1月4日〜令和9年2月26日）が始まる前には「事業開始」を行えません。令和9年1月4日以降に行ってください"
            );
            assert_eq!(everything(test_db, id), before, "a refusal changes nothing");

            // An application already under way before its period (accepted before this rule):
            // its 実績報告 is refused too.
            diesel::update(applications::table.find(id))
                .set(applications::status.eq("in_progress"))
                .execute(&mut *test_db.conn())
                .expect("in progress");
            let (_, current) = call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}"),
                Some(&applicant),
                None
            );
            let actuals: Vec<Value> = current["activities"]
                .as_array()
                .expect("activities")
                .iter()
                .flat_map(|a| a["budget_lines"].as_array().expect("lines").clone())
                .map(|l| json!({ "line_id": l["id"], "amount_yen": l["amount_yen"] }))
                .collect();
            let before = everything(test_db, id);
            let (status, refused) = act!(
                &app,
                applicant,
                id,
                "submit_completion_report",
                json!({ "payload": { "body": "完了しました", "actuals": actuals } })
            );
            assert_eq!(status, 422, "{refused}");
            assert_eq!(refused["errors"][""][0]["code"], "before_project_period");
            assert!(
                refused["errors"][""][0]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("「実績報告の提出」を行えません")),
                "{refused}"
            );
            assert_eq!(everything(test_db, id), before, "a refusal changes nothing");
        });
    }
);

crate::on_both_backends!(
    a_project_period_that_begins_before_the_grant_decision_is_said_at_the_start,
    |test_db| {
        let world = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let manager = crate::login!(&app, "manager@meti.example");
            // The fixture's period begins on 2026-12-01, before any 交付決定 made today.
            let (_, created) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(draft(world.own_org, world.shiojiri))
            );
            let id = created["application"]["id"].as_i64().expect("id");
            for (who, action) in [
                (&applicant, "submit"),
                (&manager, "start_review"),
                (&manager, "select"),
                (&applicant, "request_grant"),
                (&manager, "decide_grant"),
            ] {
                let (status, outcome) = act!(&app, who, id, action, json!({}));
                assert_eq!(status, 200, "{action}: {outcome}");
            }
            let (status, started) = act!(&app, applicant, id, "start_project", json!({}));
            assert_eq!(status, 200, "{started}");
            assert_eq!(started["state"], "in_progress");
            assert!(
                started["notices"][0]
                    .as_str()
                    .is_some_and(|n| n.contains("令和8年12月1日")
                        && n.contains("交付決定日より前に発生した経費は補助対象になりません")),
                "{started}"
            );
        });
    }
);

crate::on_both_backends!(
    a_changed_line_shows_the_finance_officer_before_and_after_while_an_unchanged_one_keeps_its_approval,
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
            let (status, _) = act!(&app, applicant, id, "submit", json!({}));
            assert_eq!(status, 200);
            let uri = format!("/api/v1/applications/{id}");
            let (_, current) = call!(&app, "GET", &uri, Some(&officer), None);
            for description in ["コーディネーター", "企業訪問旅費"] {
                let line = line(&current, description);
                let (status, answer) = call!(
                    &app,
                    "POST",
                    format!("{uri}/budget-lines/{}/review", line["id"]),
                    Some(&officer),
                    Some(json!({"decision": "approve", "version": line["version"]}))
                );
                assert_eq!(status, 200, "{description}: {answer}");
            }
            let (status, _) = act!(
                &app,
                manager,
                id,
                "return_for_correction",
                json!({ "reason": "旅費の根拠を示してください" })
            );
            assert_eq!(status, 200);

            // The travel line: less money, another 内容 and from own funds.
            let travel = &mut body["activities"][0]["budget_lines"][1];
            travel["amount_yen"] = json!(450000);
            travel["description"] = json!("企業訪問旅費（県内のみ）");
            travel["funding_source"] = json!("own_funds");
            let (_, current) = call!(&app, "GET", &uri, Some(&applicant), None);
            body["version"] = current["application"]["version"].clone();
            let (status, updated) = call!(&app, "PUT", &uri, Some(&applicant), Some(body));
            assert_eq!(status, 200, "{updated}");
            let (status, _) = act!(&app, applicant, id, "submit", json!({}));
            assert_eq!(status, 200);

            let (_, current) = call!(&app, "GET", &uri, Some(&officer), None);
            assert_eq!(line(&current, "コーディネーター")["review_state"], "approved");
            let changed = line(&current, "企業訪問旅費（県内のみ）");
            assert_eq!(changed["review_state"], "pending");
            let review = page_text!(&app, officer, format!("/applications/{id}/review"));
            let row = |line_id: &Value| {
                let start = review
                    .find(&format!("id=\"line-{line_id}\""))
                    .expect("the line's row");
                let end = review[start..].find("</tr>").expect("row end") + start;
                review[start..end].to_owned()
            };
            let changed_row = row(&changed["id"]);
            for expected in [
                "前回の審査: 承認",
                "金額: <del>600,000円</del> → <ins>450,000円</ins>",
                "内容: <del>企業訪問旅費</del> → <ins>企業訪問旅費（県内のみ）</ins>",
                "財源: <del>本補助金（補助対象経費）</del> → <ins>自己資金</ins>",
            ] {
                assert!(changed_row.contains(expected), "{expected}: {changed_row}");
            }
            assert!(!changed_row.contains("経費区分: "), "the category is the same");
            let kept_row = row(&line(&current, "コーディネーター")["id"]);
            assert!(kept_row.contains("<strong>承認</strong>"), "{kept_row}");
            assert!(!kept_row.contains("前回の審査"), "{kept_row}");
        });
    }
);
