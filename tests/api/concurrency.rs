//! Two people edit one application at the same moment: exactly one wins, the other gets 409
//! and overwrites nothing.

use std::sync::{Arc, Barrier};

use serde_json::json;

use crate::fixtures::{draft, world};
use crate::helpers::block_on;

crate::on_both_backends!(concurrent_edits_one_wins_the_other_gets_409, |test_db| {
    let world = world(&mut test_db.conn());
    let (id, version) = block_on(async {
        let app = crate::test_app!(test_db);
        let cookie = crate::login!(&app, "applicant@own.example");
        let (status, created) = call!(
            &app,
            "POST",
            "/api/v1/applications",
            Some(&cookie),
            Some(draft(world.own_org, world.shiojiri))
        );
        assert_eq!(status, 201);
        (
            created["application"]["id"].as_i64().expect("id"),
            created["application"]["version"].as_i64().expect("v"),
        )
    });
    let barrier = Arc::new(Barrier::new(2));
    let results: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = ["編集A", "編集B"]
            .into_iter()
            .map(|title| {
                let barrier = Arc::clone(&barrier);
                scope.spawn(move || {
                    block_on(async {
                        let app = crate::test_app!(test_db);
                        let cookie = crate::login!(&app, "applicant@own.example");
                        let mut body = draft(world.own_org, world.shiojiri);
                        body["title"] = json!(title);
                        body["version"] = json!(version);
                        barrier.wait();
                        let (status, answer) = call!(
                            &app,
                            "PUT",
                            format!("/api/v1/applications/{id}"),
                            Some(&cookie),
                            Some(body)
                        );
                        (
                            status,
                            if status == 200 {
                                title.to_owned()
                            } else {
                                answer.to_string()
                            },
                        )
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert!(
        statuses.contains(&200) && statuses.contains(&409),
        "one wins, one conflicts: {results:?}"
    );
    let winner = &results.iter().find(|(s, _)| *s == 200).expect("winner").1;
    let stored =
        hojokin::db::applications::load_aggregate(&mut test_db.conn(), id).expect("aggregate");
    assert_eq!(
        &stored.application.title, winner,
        "the loser overwrote nothing"
    );
    assert_eq!(i64::from(stored.application.version), version + 1);
});

/// The app over its own pool of `writers` connections, so that every writer holds a
/// connection at the same moment (the test database's pool has only four).
macro_rules! app_with_pool {
    ($test_db:expr, $pool:expr) => {
        crate::test_app!(
            $test_db,
            crate::helpers::state_for($pool.clone(), &$test_db.url)
        )
    };
}

fn line_version(application: &serde_json::Value, description: &str) -> (i64, i64) {
    application["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .flat_map(|a| a["budget_lines"].as_array().expect("lines").iter())
        .find(|l| l["description"] == description)
        .map(|l| {
            (
                l["id"].as_i64().expect("line id"),
                l["version"].as_i64().expect("line version"),
            )
        })
        .expect("line")
}

/// `writers` people at once, each saving a draft `edits` times, submitting it, and a finance
/// officer reviewing one of its lines; afterwards the audit chain must verify, and a
/// tampered event must still be named.
fn concurrent_writers_keep_one_chain(
    test_db: &crate::helpers::TestDb,
    writers: usize,
    edits: usize,
) {
    let world = world(&mut test_db.conn());
    let pool =
        hojokin::db::connect(&test_db.url, u32::try_from(writers).expect("writers")).expect("pool");
    let barrier = Arc::new(Barrier::new(writers));
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|writer| {
                let barrier = Arc::clone(&barrier);
                let pool = pool.clone();
                scope.spawn(move || {
                    block_on(async {
                        let app = app_with_pool!(test_db, pool);
                        let applicant = crate::login!(&app, "applicant@own.example");
                        let officer = crate::login!(&app, "officer@shiojiri.example");
                        let mut failures = Vec::new();
                        barrier.wait();
                        let mut body = draft(world.own_org, world.shiojiri);
                        body["title"] = json!(format!("同時保存 {writer}"));
                        let (status, created) = call!(
                            &app,
                            "POST",
                            "/api/v1/applications",
                            Some(&applicant),
                            Some(body.clone())
                        );
                        if status != 201 {
                            return vec![format!("create {writer}: {status} {created}")];
                        }
                        let id = created["application"]["id"].as_i64().expect("id");
                        let mut version =
                            created["application"]["version"].as_i64().expect("version");
                        for edit in 0..edits {
                            body["title"] = json!(format!("同時保存 {writer}-{edit}"));
                            body["version"] = json!(version);
                            let (status, saved) = call!(
                                &app,
                                "PUT",
                                format!("/api/v1/applications/{id}"),
                                Some(&applicant),
                                Some(body.clone())
                            );
                            if status != 200 {
                                failures.push(format!("edit {writer}-{edit}: {status} {saved}"));
                                return failures;
                            }
                            version = saved["application"]["version"].as_i64().expect("version");
                        }
                        let (status, submitted) = call!(
                            &app,
                            "POST",
                            format!("/api/v1/applications/{id}/actions/submit"),
                            Some(&applicant),
                            Some(json!({ "version": version }))
                        );
                        if status != 200 {
                            failures.push(format!("submit {writer}: {status} {submitted}"));
                            return failures;
                        }
                        let (_, current) = call!(
                            &app,
                            "GET",
                            format!("/api/v1/applications/{id}"),
                            Some(&officer),
                            None
                        );
                        let (travel, line_version) = line_version(&current, "企業訪問旅費");
                        let (status, reviewed) = call!(
                            &app,
                            "POST",
                            format!("/api/v1/applications/{id}/budget-lines/{travel}/review"),
                            Some(&officer),
                            Some(json!({"decision": "approve", "version": line_version}))
                        );
                        if status != 200 {
                            failures.push(format!("review {writer}: {status} {reviewed}"));
                        }
                        failures
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("writer thread"))
            .collect()
    });
    assert!(failures.is_empty(), "every write succeeds: {failures:?}");

    let mut conn = test_db.conn();
    // create + edits + submit + review, per writer.
    let expected = writers * (edits + 3);
    let verified = hojokin::db::audit::verify(&mut conn).expect("verify");
    assert_eq!(
        verified.map(|head| head.count),
        Ok(expected as i64),
        "one unbroken chain of every event, its head the signed checkpoint's"
    );

    // Tampering with one event in the middle is still found, and named.
    use diesel::RunQueryDsl;
    use diesel::{ExpressionMethods, QueryDsl};
    use hojokin::db::schema::audit_events::dsl as audit;
    let ids: Vec<i64> = audit::audit_events
        .select(audit::id)
        .order(audit::id)
        .load(&mut conn)
        .expect("ids");
    let tampered = ids[ids.len() / 2];
    diesel::update(audit::audit_events.filter(audit::id.eq(tampered)))
        .set(audit::reason.eq(Some("書き換え")))
        .execute(&mut conn)
        .expect("tamper");
    let broken = hojokin::db::audit::verify(&mut conn)
        .expect("verify")
        .expect_err("tampered");
    match broken {
        hojokin::db::audit::ChainProblem::Link(link) => assert_eq!(link.event_id, tampered),
        other => panic!("the altered event is named, not {other:?}"),
    }
}

crate::on_both_backends!(two_concurrent_writers_keep_one_audit_chain, |test_db| {
    concurrent_writers_keep_one_chain(test_db, 2, 18);
});

crate::on_both_backends!(sixteen_concurrent_writers_keep_one_audit_chain, |test_db| {
    concurrent_writers_keep_one_chain(test_db, 16, 3);
});
