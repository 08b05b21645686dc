//! The README is a tested document: every ```console block in it runs under trycmd against the
//! built binary, and what it shows is what the command prints (stdout and stderr together;
//! `...` and `[..]` leave out lines and the rest of a line; `? N` is the exit status). The
//! blocks run in the repository's root, in order, on a database that holds the demo data, as
//! after `scripts/demo`, once on SQLite and once on PostgreSQL (the output is the same). Commands
//! that need a running server, the network or today's date are ```sh blocks instead, each
//! covered by a test of its own.
//!
//! Run: `cargo test --test api readme`. `TRYCMD=overwrite` writes the real output into the
//! README (check the diff: it also replaces what `...` and `[..]` left out).

use std::path::{Path, PathBuf};
use std::process::Command;

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");

/// The README's console blocks show the default configuration: no key may come from this
/// process's environment (the `HOJOKIN_TEST_` variables of the test suite are not keys).
fn assert_no_configuration_in_the_environment() {
    let set: Vec<String> = std::env::vars()
        .map(|(key, _)| key)
        .filter(|key| key.starts_with("HOJOKIN_") && !key.starts_with("HOJOKIN_TEST_"))
        .collect();
    assert!(
        set.is_empty(),
        "the README's examples run with the default configuration: unset {set:?}"
    );
}

/// What every command of the README gets: the test's database (with the demo data) instead of
/// `data/hojokin.db`, an empty configuration file (so that a `hojokin.toml` in the working
/// directory changes nothing), a fixed help width and quiet logs.
fn example_env(dir: &Path, database_url: String) -> Vec<(&'static str, String)> {
    vec![
        ("HOJOKIN_DATABASE_URL", database_url),
        ("HOJOKIN_DATA_DIR", dir.join("data").display().to_string()),
        (
            "HOJOKIN_CONFIG",
            dir.join("hojokin.toml").display().to_string(),
        ),
        ("COLUMNS", "100".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ]
}

crate::on_both_backends!(
    the_readme_console_examples_print_what_they_show,
    |test_db| {
        assert_no_configuration_in_the_environment();
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("hojokin.toml"), "").expect("empty configuration");
        let env = example_env(dir.path(), test_db.url_string());

        // The demo data, as `scripts/demo` loads it on its first run.
        let output = Command::new(env!("CARGO_BIN_EXE_hojokin"))
            .args(["seed", "--demo"])
            .envs(env.iter().map(|(key, value)| (*key, value)))
            .output()
            .expect("run hojokin seed --demo");
        assert!(
            output.status.success(),
            "seed --demo: {}",
            String::from_utf8_lossy(&output.stderr)
        );

        let cases = trycmd::TestCases::new();
        cases.register_bin("hojokin", PathBuf::from(env!("CARGO_BIN_EXE_hojokin")));
        for (key, value) in &env {
            cases.env(*key, value);
        }
        cases.case(README);
        cases.run();
    }
);

/// The README's configuration table is `hojokin config --markdown`, word for word. It opens no
/// database (the table is the configuration keys' own), so it runs once.
#[test]
fn the_readme_configuration_table_is_hojokin_config_markdown() {
    let output = Command::new(env!("CARGO_BIN_EXE_hojokin"))
        .args(["config", "--markdown"])
        .output()
        .expect("run hojokin config --markdown");
    assert!(output.status.success());
    let table = String::from_utf8(output.stdout).expect("utf-8");
    let readme = std::fs::read_to_string(README).expect("README");
    assert!(
        readme.contains(table.trim_end()),
        "the README's configuration table differs from `hojokin config --markdown`:\n{table}"
    );
}
