//! Who may do what, endpoint by endpoint: every endpoint × every role × own / other
//! organisation or municipality. Every refusal leaves the database exactly as it was.
//!
//! The expected table is written out here, from the words, not derived from the
//! code under test: applicants act on their own organisation's applications; finance
//! officers review budget lines in their municipality; program managers select, decide,
//! confirm and revoke; anything else is 403.

use diesel::prelude::*;
use hojokin::db::{self, DbConnection, schema};
use serde_json::{Value, json};

use crate::fixtures::{draft, world};
use crate::helpers::block_on;

const APPLICANT_ACTIONS: &[&str] = &[
    "submit",
    "request_grant",
    "start_project",
    "submit_interim_report",
    "request_change",
    "submit_completion_report",
    "answer_continuation_survey",
    "withdraw",
];
const MANAGER_ACTIONS: &[&str] = &[
    "start_review",
    "return_for_correction",
    "select",
    "reject",
    "decide_grant",
    "accept_interim_report",
    "return_interim_report",
    "approve_change",
    "deny_change",
    "confirm_amount",
    "pay",
    "open_continuation_survey",
    "close",
    "cancel",
    "revoke",
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    OwnApplicant,
    OtherApplicant,
    OwnOfficer,
    OtherOfficer,
    Manager,
}

const EVERYONE: [Who; 5] = [
    Who::OwnApplicant,
    Who::OtherApplicant,
    Who::OwnOfficer,
    Who::OtherOfficer,
    Who::Manager,
];

fn email(who: Who) -> &'static str {
    match who {
        Who::OwnApplicant => "applicant@own.example",
        Who::OtherApplicant => "applicant@other.example",
        Who::OwnOfficer => "officer@shiojiri.example",
        Who::OtherOfficer => "officer@matsumoto.example",
        Who::Manager => "manager@meti.example",
    }
}

/// Everything a refused request could have touched.
fn fingerprint(conn: &mut DbConnection, id: i64) -> String {
    let aggregate = db::applications::load_aggregate(conn, id).expect("aggregate");
    let counts: Vec<i64> = vec![
        schema::audit_events::table
            .count()
            .get_result(conn)
            .expect("count"),
        schema::jobs::table.count().get_result(conn).expect("count"),
        schema::awards::table
            .count()
            .get_result(conn)
            .expect("count"),
        schema::reports::table
            .count()
            .get_result(conn)
            .expect("count"),
        schema::change_requests::table
            .count()
            .get_result(conn)
            .expect("count"),
        schema::continuation_surveys::table
            .count()
            .get_result(conn)
            .expect("count"),
    ];
    format!(
        "{} {:?}",
        serde_json::to_string(&aggregate).expect("json"),
        counts
    )
}

crate::on_both_backends!(every_endpoint_checks_who_is_asking, |test_db| {
    let world = world(&mut test_db.conn());
    block_on(async {
        let app = crate::test_app!(test_db);
        let mut cookies = Vec::new();
        for who in EVERYONE {
            cookies.push((who, crate::login!(&app, email(who))));
        }
        let cookie_of = |who: Who| {
            cookies
                .iter()
                .find(|(w, _)| *w == who)
                .map(|(_, c)| c.clone())
                .expect("cookie")
        };
        let (status, created) = call!(
            &app,
            "POST",
            "/api/v1/applications",
            Some(&cookie_of(Who::OwnApplicant)),
            Some(draft(world.own_org, world.shiojiri))
        );
        assert_eq!(status, 201);
        let id = created["application"]["id"].as_i64().expect("id");
        let line = created["activities"][0]["budget_lines"][0]["id"]
            .as_i64()
            .expect("line");

        // (method, uri, body, who may): a stale version makes every allowed request stop at
        // 409 after authorization, so that nothing moves and refusals can be compared.
        let stale = json!({ "version": 999 });
        let mut cases: Vec<(&str, String, Option<Value>, Vec<Who>)> = vec![
            (
                "GET",
                format!("/api/v1/applications/{id}"),
                None,
                vec![Who::OwnApplicant, Who::OwnOfficer, Who::Manager],
            ),
            (
                "PUT",
                format!("/api/v1/applications/{id}"),
                Some({
                    let mut d = draft(world.own_org, world.shiojiri);
                    d["version"] = json!(999);
                    d
                }),
                vec![Who::OwnApplicant],
            ),
            (
                "POST",
                format!("/api/v1/applications/{id}/budget-lines/{line}/review"),
                Some(json!({"decision": "approve", "version": 999})),
                vec![Who::OwnOfficer],
            ),
            (
                "GET",
                format!("/api/v1/applications/{id}/audit"),
                None,
                vec![Who::Manager],
            ),
            (
                "GET",
                String::from("/api/v1/kpis/continuation"),
                None,
                vec![Who::Manager],
            ),
        ];
        for action in APPLICANT_ACTIONS {
            cases.push((
                "POST",
                format!("/api/v1/applications/{id}/actions/{action}"),
                Some(stale.clone()),
                vec![Who::OwnApplicant],
            ));
        }
        for action in MANAGER_ACTIONS {
            cases.push((
                "POST",
                format!("/api/v1/applications/{id}/actions/{action}"),
                Some(stale.clone()),
                vec![Who::Manager],
            ));
        }

        for (method, uri, body, allowed) in &cases {
            let (status, answer) = call!(&app, *method, uri.clone(), None, body.clone());
            assert_eq!(status, 401, "anonymous {method} {uri}: {answer}");
            for who in EVERYONE {
                let before = fingerprint(&mut test_db.conn(), id);
                let (status, answer) = call!(
                    &app,
                    *method,
                    uri.clone(),
                    Some(&cookie_of(who)),
                    body.clone()
                );
                if allowed.contains(&who) {
                    assert_ne!(status, 403, "{who:?} may {method} {uri}: {answer}");
                    assert!(status < 500, "{who:?} {method} {uri}: {status} {answer}");
                } else {
                    assert_eq!(status, 403, "{who:?} may not {method} {uri}: {answer}");
                    assert!(
                        answer["error"]["message"]
                            .as_str()
                            .is_some_and(|m| !m.is_empty())
                    );
                }
                assert_eq!(
                    fingerprint(&mut test_db.conn(), id),
                    before,
                    "{who:?} {method} {uri} changed nothing"
                );
            }
        }

        // Lists show only what each may see.
        for (who, sees) in [
            (Who::OwnApplicant, true),
            (Who::OtherApplicant, false),
            (Who::OwnOfficer, true),
            (Who::OtherOfficer, false),
            (Who::Manager, true),
        ] {
            let (status, list) = call!(
                &app,
                "GET",
                "/api/v1/applications",
                Some(&cookie_of(who)),
                None
            );
            assert_eq!(status, 200);
            let ids: Vec<i64> = list["applications"]
                .as_array()
                .expect("list")
                .iter()
                .filter_map(|a| a["id"].as_i64())
                .collect();
            assert_eq!(ids.contains(&id), sees, "{who:?} list: {ids:?}");
        }
        // An applicant cannot create a draft for another organisation.
        let (status, _) = call!(
            &app,
            "POST",
            "/api/v1/applications",
            Some(&cookie_of(Who::OtherApplicant)),
            Some(draft(world.own_org, world.shiojiri))
        );
        assert_eq!(status, 403);
        // A wrong password and an unknown user get the same answer.
        let (wrong, a) = call!(
            &app,
            "POST",
            "/api/v1/session",
            None,
            Some(json!({"email": "manager@meti.example", "password": "wrong password!"}))
        );
        let (unknown, b) = call!(
            &app,
            "POST",
            "/api/v1/session",
            None,
            Some(json!({"email": "nobody@meti.example", "password": "wrong password!"}))
        );
        assert_eq!((wrong, unknown), (401, 401));
        assert_eq!(a, b);
    });
});
