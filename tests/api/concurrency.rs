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
