//! What the 事務局 decides during the project, on both databases: a 計画変更 shown as before →
//! after next to 承認 and never raising the subsidy above the 交付決定額, the interim report
//! shown next to 受理, and no decision offered or accepted when nothing is pending.

use serde_json::{Value, json};

use crate::fixtures::{budget_line, draft, world};
use crate::helpers::block_on;

/// The fixture's draft with a 3,000,000円 コーディネーター and no double funding: 補助対象経費
/// 4,600,000円, 補助金 3,066,000円 (2/3, 千円未満切捨て).
fn decided_draft(organisation: i64, municipality: i64) -> Value {
    let mut body = draft(organisation, municipality);
    body["activities"][0]["budget_lines"][0]["amount_yen"] = json!(3_000_000);
    body["activities"][0]["budget_lines"][2]["co_funding_sources"] = json!([]);
    body
}

/// Creates the application and takes it to 事業実施中; its id.
macro_rules! in_progress {
    ($app:expr, $world:expr, $applicant:expr, $manager:expr) => {{
        let (status, created) = call!(
            $app,
            "POST",
            "/api/v1/applications",
            Some(&$applicant),
            Some(decided_draft($world.own_org, $world.shiojiri))
        );
        assert_eq!(status, 201, "{created}");
        let id = created["application"]["id"].as_i64().expect("id");
        for (who, action) in [
            (&$applicant, "submit"),
            (&$manager, "start_review"),
            (&$manager, "select"),
            (&$applicant, "request_grant"),
            (&$manager, "decide_grant"),
            (&$applicant, "start_project"),
        ] {
            let (status, outcome) = crate::act!($app, who, id, action, json!({}));
            assert_eq!(status, 200, "{action}: {outcome}");
        }
        id
    }};
}

crate::on_both_backends!(
    a_change_raising_a_line_is_shown_before_approval_and_keeps_the_subsidy_at_the_decision,
    |test_db| {
        let world = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let manager = crate::login!(&app, "manager@meti.example");
            let id = in_progress!(&app, world, applicant, manager);
            let uri = format!("/api/v1/applications/{id}");
            let page = format!("/applications/{id}");
            let (_, decided) = call!(&app, "GET", &uri, Some(&manager), None);
            assert_eq!(decided["application"]["decided_subsidy_yen"], 3_066_000);
            let personnel = budget_line(&decided, "コーディネーター")["id"].clone();

            // Nothing pending: no 承認 or 受理 on the page, and the actions refuse in Japanese.
            let shown = crate::page_text!(&app, manager, page);
            assert!(
                !shown.contains(r#"data-action="approve_change""#)
                    && !shown.contains(r#"data-action="deny_change""#)
                    && !shown.contains(r#"data-action="accept_interim_report""#),
                "{shown}"
            );
            let (status, refused) = crate::act!(&app, manager, id, "approve_change", json!({}));
            assert_eq!(status, 409, "{refused}");
            assert!(
                refused["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("承認待ちの計画変更がありません")),
                "{refused}"
            );
            let (status, refused) =
                crate::act!(&app, manager, id, "accept_interim_report", json!({}));
            assert_eq!(status, 409, "{refused}");
            assert!(
                refused["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("審査待ちの中間報告がありません")),
                "{refused}"
            );

            // The applicant raises the line from 3,000,000 to 5,000,000円: it waits.
            let (status, requested) = crate::act!(
                &app,
                applicant,
                id,
                "request_change",
                json!({"reason": "コーディネーターを2名に", "payload": {"lines": [{"line_id": personnel, "amount_yen": 5_000_000}]}})
            );
            assert_eq!(status, 200, "{requested}");
            let (_, changes) = call!(&app, "GET", format!("{uri}/changes"), Some(&manager), None);
            let pending = &changes["pending"];
            assert_eq!(pending["lines"][0]["before_yen"], 3_000_000, "{changes}");
            assert_eq!(pending["lines"][0]["after_yen"], 5_000_000);
            assert_eq!(pending["before"]["subsidy_yen"], 3_066_000);
            assert_eq!(pending["after"]["eligible_expenses_yen"], 6_600_000);
            assert_eq!(pending["after"]["computed_subsidy_yen"], 4_400_000);
            assert_eq!(
                pending["after"]["subsidy_yen"], 3_066_000,
                "held at the decision"
            );
            let personnel_category = pending["categories"]
                .as_array()
                .expect("categories")
                .iter()
                .find(|c| c["category"] == "personnel")
                .expect("personnel");
            assert_eq!(
                (
                    &personnel_category["decided_yen"],
                    &personnel_category["after_yen"],
                    &personnel_category["over_threshold"]
                ),
                (&json!(3_000_000), &json!(5_000_000), &json!(true))
            );

            // The manager sees the change as before → after next to 承認.
            let shown = crate::page_text!(&app, manager, page);
            let section = shown
                .split(r#"<section id="pending-change""#)
                .nth(1)
                .expect("the pending change is on the page");
            assert!(
                section.contains("コーディネーター")
                    && section.contains("コーディネーターを2名に")
                    && section.contains(
                        r#"<td class="num">3,000,000円</td><td class="num">3,000,000円</td><td class="num">5,000,000円</td>"#
                    )
                    && section.contains("人件費")
                    && section.contains("3,066,000円 → 3,066,000円")
                    && section.contains("4,600,000円 → 6,600,000円")
                    && section.contains("計算上 4,400,000円"),
                "{section}"
            );
            assert!(shown.contains(r#"data-action="approve_change""#), "{shown}");
            assert!(shown.contains(r#"data-action="deny_change""#), "{shown}");

            let (status, approved) = crate::act!(&app, manager, id, "approve_change", json!({}));
            assert_eq!(status, 200, "{approved}");

            // After approval: the 申請額 stays, the plan has the new amount, the subsidy stays.
            let (_, after) = call!(&app, "GET", &uri, Some(&manager), None);
            let line = budget_line(&after, "コーディネーター");
            assert_eq!(
                line["amount_yen"], 3_000_000,
                "the 申請額 is never overwritten"
            );
            assert_eq!(line["changed_amount_yen"], 5_000_000);
            assert_eq!(line["effective_yen"], 5_000_000);
            assert_eq!(after["application"]["decided_subsidy_yen"], 3_066_000);
            let (_, changes) = call!(&app, "GET", format!("{uri}/changes"), Some(&manager), None);
            assert_eq!(
                changes["plan"]["eligible_expenses_yen"], 6_600_000,
                "{changes}"
            );
            assert_eq!(changes["plan"]["subsidy_yen"], 3_066_000);
            assert_eq!(changes["plan"]["held_by_decision"], true);
            assert_eq!(changes["pending"], Value::Null);
            let history = &changes["requests"][0];
            assert_eq!(history["status"], "approved");
            assert_eq!(
                (
                    &history["lines"][0]["requested_yen"],
                    &history["lines"][0]["from_yen"],
                    &history["lines"][0]["to_yen"]
                ),
                (&json!(3_000_000), &json!(3_000_000), &json!(5_000_000))
            );

            let shown = crate::page_text!(&app, manager, page);
            assert!(
                !shown.contains(r#"<section id="pending-change""#),
                "{shown}"
            );
            assert!(
                !shown.contains(r#"data-action="approve_change""#),
                "{shown}"
            );
            assert!(
                shown.contains("<td>コーディネーター</td>\n    <td class=\"num\">3,000,000円</td>"),
                "the 申請額 column keeps 3,000,000円: {shown}"
            );
            assert!(
                shown.contains("計画変更後 5,000,000円")
                    && shown.contains(
                        "3,066,000円（計算上 4,400,000円。交付決定額 3,066,000円 が上限です）"
                    ),
                "{shown}"
            );
            let history = shown
                .split(r#"<table id="change-history""#)
                .nth(1)
                .expect("the change history is on the page");
            assert!(
                history.contains("承認")
                    && history
                        .contains("3,000,000円</td><td class=\"num\">3,000,000円 → 5,000,000円"),
                "{history}"
            );
        });
    }
);

crate::on_both_backends!(
    the_manager_reads_the_interim_report_next_to_accept_and_only_while_it_waits,
    |test_db| {
        let world = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let manager = crate::login!(&app, "manager@meti.example");
            let id = in_progress!(&app, world, applicant, manager);
            let page = format!("/applications/{id}");
            let (status, filed) = crate::act!(
                &app,
                applicant,
                id,
                "submit_interim_report",
                json!({"payload": {"body": "受入企業 5 社でインターン開始 <b>順調</b>"}})
            );
            assert_eq!(status, 200, "{filed}");

            let shown = crate::page_text!(&app, manager, page);
            let section = shown
                .split(r#"<section id="pending-interim-report""#)
                .nth(1)
                .expect("the report is on the page");
            assert!(
                section.contains("審査待ちの中間報告")
                    && section.contains("受入企業 5 社でインターン開始 &lt;b&gt;順調&lt;/b&gt;"),
                "escaped, next to the buttons: {section}"
            );
            assert!(
                section.contains(r#"data-action="accept_interim_report""#)
                    && section.contains(r#"data-action="return_interim_report""#),
                "{section}"
            );

            let (status, accepted) =
                crate::act!(&app, manager, id, "accept_interim_report", json!({}));
            assert_eq!(status, 200, "{accepted}");
            let shown = crate::page_text!(&app, manager, page);
            assert!(
                !shown.contains("pending-interim-report")
                    && !shown.contains(r#"data-action="accept_interim_report""#),
                "nothing left to accept: {shown}"
            );
            let (status, refused) = crate::act!(
                &app,
                manager,
                id,
                "return_interim_report",
                json!({"reason": "再提出"})
            );
            assert_eq!(status, 409, "{refused}");
        });
    }
);
