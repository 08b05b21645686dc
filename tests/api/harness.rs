//! The test harness itself (`helpers`): a database test gets a migrated database on each
//! backend, and a PostgreSQL half that cannot connect either says so or fails.

use std::process::{Command, Output};

crate::on_both_backends!(a_test_database_comes_migrated, |test_db| {
    let applied = hojokin::db::run_migrations(&mut test_db.conn()).expect("migrations");
    assert!(
        applied.is_empty(),
        "the harness applied every migration before the test: {applied:?}"
    );
});

/// Runs this test binary's `a_test_database_comes_migrated::postgres` alone, with PostgreSQL
/// at a port where nothing listens (connections are refused at once), its output captured as
/// usual (no `--nocapture`).
fn run_postgres_half_without_a_server(require: Option<&str>) -> (Output, String, String) {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args([
            "--exact",
            "harness::a_test_database_comes_migrated::postgres",
        ])
        .env(
            "HOJOKIN_TEST_POSTGRES_URL",
            "postgres://postgres@127.0.0.1:1/postgres",
        )
        .env_remove("HOJOKIN_TEST_REQUIRE_POSTGRES");
    if let Some(value) = require {
        command.env("HOJOKIN_TEST_REQUIRE_POSTGRES", value);
    }
    let output = command.output().expect("run the test binary");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

/// Under a bare `cargo test`, a PostgreSQL half that cannot connect passes, and says on stderr,
/// past the harness's capture of a passing test's output, which test did not run. With
/// `HOJOKIN_TEST_REQUIRE_POSTGRES=1` (as `scripts/test` exports it) the same half fails.
#[test]
fn an_unreachable_postgres_half_says_it_did_not_run_or_fails_when_required() {
    let (output, stdout, stderr) = run_postgres_half_without_a_server(None);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("1 passed"), "the half ran alone: {stdout}");
    assert!(
        stderr.contains("PostgreSQL at postgres://postgres@127.0.0.1:1/postgres is not reachable")
            && stderr.contains(
                "the PostgreSQL half of harness::a_test_database_comes_migrated::postgres \
                 DID NOT RUN"
            ),
        "stderr names the test that did not run: {stderr}"
    );

    let (output, stdout, stderr) = run_postgres_half_without_a_server(Some("1"));
    assert!(!output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("1 failed")
            && stdout.contains("PostgreSQL is required (HOJOKIN_TEST_REQUIRE_POSTGRES=1)"),
        "{stdout}{stderr}"
    );
    assert!(!stderr.contains("DID NOT RUN"), "{stderr}");
}
