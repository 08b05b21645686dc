//! Input that would reach the database as something it cannot hold — a row that does not
//! exist, a NUL, a megabyte title, thousands of activities — is a field error (422) before
//! anything is written, on both databases.

use serde_json::{Value, json};

use crate::fixtures::{draft, world};
use crate::helpers::block_on;

/// The error codes at `path` of a 422 answer.
fn codes_at(answer: &Value, path: &str) -> Vec<String> {
    answer["errors"][path]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

crate::on_both_backends!(bad_drafts_are_field_errors_and_write_nothing, |test_db| {
    let world = world(&mut test_db.conn());
    block_on(async {
        let app = crate::test_app!(test_db);
        let applicant = crate::login!(&app, "applicant@own.example");
        let count = |list: &Value| list["applications"].as_array().map_or(0, Vec::len);
        let (_, before) = call!(&app, "GET", "/api/v1/applications", Some(&applicant), None);

        let with = |change: &dyn Fn(&mut Value)| {
            let mut body = draft(world.own_org, world.shiojiri);
            change(&mut body);
            body
        };
        let many_activities: Vec<Value> = (0..3_000)
            .map(|i| json!({"name": format!("活動{i}"), "category": "council"}))
            .collect();
        let cases: Vec<(&str, Value, &str, &str)> = vec![
            (
                "an unknown municipality",
                with(&|b| b["municipality_id"] = json!(999_999)),
                "municipality_id",
                "unknown_record",
            ),
            (
                "an unknown co-applicant",
                with(&|b| b["co_applicant_ids"] = json!([999_999])),
                "co_applicant_ids[0]",
                "unknown_record",
            ),
            (
                "a partner in an unknown municipality",
                with(&|b| b["partners"][0]["municipality_id"] = json!(999_999)),
                "partners[0].municipality_id",
                "unknown_record",
            ),
            (
                "the lead again among the co-applicants",
                with(&|b| b["co_applicant_ids"] = json!([world.own_org])),
                "co_applicant_ids[0]",
                "duplicate_member",
            ),
            (
                "a NUL in the title",
                with(&|b| b["title"] = json!("塩尻\u{0}事業")),
                "title",
                "invalid_character",
            ),
            (
                "a right-to-left override in a partner's name",
                with(&|b| b["partners"][1]["name"] = json!("信州\u{202E}大学")),
                "partners[1].name",
                "invalid_character",
            ),
            (
                "a 900 KB title",
                with(&|b| b["title"] = json!("長".repeat(300_000))),
                "title",
                "too_long",
            ),
            (
                "3,000 activities",
                with(&|b| b["activities"] = json!(many_activities)),
                "activities",
                "too_many",
            ),
        ];
        for (what, body, path, code) in cases {
            let (status, answer) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(body)
            );
            assert_eq!(status, 422, "{what}: {answer}");
            assert_eq!(
                codes_at(&answer, path),
                vec![code.to_owned()],
                "{what}: {answer}"
            );
        }
        let (_, after) = call!(&app, "GET", "/api/v1/applications", Some(&applicant), None);
        assert_eq!(count(&after), count(&before), "nothing was created");

        // The same checks hold for a save of an existing draft, which stays as it was.
        let (status, created) = call!(
            &app,
            "POST",
            "/api/v1/applications",
            Some(&applicant),
            Some(draft(world.own_org, world.shiojiri))
        );
        assert_eq!(status, 201, "{created}");
        let id = created["application"]["id"].as_i64().expect("id");
        let version = created["application"]["version"].clone();
        let mut body = draft(world.own_org, world.shiojiri);
        body["version"] = version.clone();
        body["municipality_id"] = json!(999_999);
        let (status, answer) = call!(
            &app,
            "PUT",
            format!("/api/v1/applications/{id}"),
            Some(&applicant),
            Some(body)
        );
        assert_eq!(status, 422, "{answer}");
        assert_eq!(codes_at(&answer, "municipality_id"), vec!["unknown_record"]);
        let (_, shown) = call!(
            &app,
            "GET",
            format!("/api/v1/applications/{id}"),
            Some(&applicant),
            None
        );
        assert_eq!(shown["application"]["version"], version, "unchanged");

        // A reason with a NUL is refused before the action runs.
        let (status, answer) = call!(
            &app,
            "POST",
            format!("/api/v1/applications/{id}/actions/withdraw"),
            Some(&applicant),
            Some(json!({"version": version, "reason": "取り下げ\u{0}ます"}))
        );
        assert_eq!(status, 422, "{answer}");
        assert_eq!(codes_at(&answer, "reason"), vec!["invalid_character"]);
        let (_, shown) = call!(
            &app,
            "GET",
            format!("/api/v1/applications/{id}"),
            Some(&applicant),
            None
        );
        assert_eq!(shown["application"]["status"], "draft");

        // A NUL in a login is a wrong login (401), not a failed query.
        let (status, answer) = call!(
            &app,
            "POST",
            "/api/v1/session",
            None,
            Some(json!({"email": "applicant\u{0}@own.example", "password": "x"}))
        );
        assert_eq!(status, 401, "{answer}");

        // A search for a NUL is a field error, not a failed query.
        let manager = crate::login!(&app, "manager@meti.example");
        let (status, _) = call!(&app, "GET", "/manager?q=%00", Some(&manager), None);
        assert_eq!(status, 422);
        let (status, _) = call!(
            &app,
            "GET",
            "/manager?q=%E5%A1%A9%E5%B0%BB",
            Some(&manager),
            None
        );
        assert_eq!(status, 200);
    });
});
