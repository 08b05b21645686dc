//! The demo data set loads on both backends, with applications in several states.

use hojokin::db;

crate::on_both_backends!(demo_data_loads, |test_db| {
    let mut conn = test_db.conn();
    let programs = hojokin::program::embedded().expect("programs");
    let summary = db::demo::seed_demo(&mut conn, &|year, label| programs.frame_code(year, label))
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
    assert!(states.len() >= 4, "several states: {states:?}");
    let user = db::users::find_by_email(&mut conn, "zaisei@city-shiojiri.example")
        .expect("query")
        .expect("finance officer exists");
    assert_eq!(user.role, "finance_officer");
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
