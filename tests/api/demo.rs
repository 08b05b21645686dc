//! The demo data set loads on both backends, with applications in several states.

use hojokin::db;

crate::on_both_backends!(demo_data_loads, |test_db| {
    let mut conn = test_db.conn();
    let programs = hojokin::program::embedded().expect("programs");
    let summary = hojokin::demo::seed(
        &mut conn,
        &programs,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date"),
    )
    .expect("demo seeds");
    assert_eq!(
        summary.award_members, 135,
        "the whole R4–R7 history is imported"
    );
    assert_eq!(summary.applications, 5);
    assert!(summary.users.len() >= 3);
    assert_eq!(
        db::applications::count_applications(&mut conn).expect("count"),
        5
    );
    let states = db::applications::states_in_use(&mut conn).expect("states");
    assert_eq!(
        states,
        [
            "draft",
            "in_progress",
            "returned_for_correction",
            "submitted",
            "under_review"
        ],
        "each application reached its state through the workflow"
    );
    // What those states imply was made on the way: the selected application's award counts,
    // its decision is frozen, and the audit trail is intact.
    let in_progress = db::applications::list_visible(&mut conn, None, None, true)
        .expect("list")
        .into_iter()
        .find(|a| a.status == hojokin::domain::workflow::ApplicationState::InProgress)
        .expect("an application in progress");
    assert!(
        in_progress.frozen_decision_json.is_some() && in_progress.decided_subsidy_yen.is_some()
    );
    assert!(
        db::workflow::award_of_application(&mut conn, in_progress.id)
            .expect("award")
            .is_some()
    );
    assert!(matches!(db::audit::verify(&mut conn).expect("verify"), Ok(head) if head.count >= 10));
    let user = db::users::find_by_email(&mut conn, "zaisei@city-shiojiri.example")
        .expect("query")
        .expect("finance officer exists");
    assert_eq!(user.role.code(), "finance_officer");
    assert!(user.municipality_id.is_some());
    let applicant = db::users::find_by_email(&mut conn, "TANAKA@meguru.example")
        .expect("query")
        .expect("applicant exists, email case-insensitive");
    assert_eq!(
        db::users::organisations_of(&mut conn, applicant.id)
            .expect("memberships")
            .len(),
        1
    );
});
