//! The pages in a real browser: each spec in `tests/browser/` drives headless Debian chromium
//! with playwright-core against `hojokin serve --demo` (port 0) on a fresh database of each
//! backend, a SQLite file and a PostgreSQL database, with the demo users' passwords as the
//! server printed them. Screenshots go to `test-artifacts/<backend>/`. A machine without
//! chromium or playwright-core fails here, loudly: `scripts/setup` installs both.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::TestDb;

const CHROMIUM: &str = "/usr/bin/chromium";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A demo server for one spec; stopped (by its own pid) when dropped.
struct DemoServer {
    child: Child,
    url: String,
    users: BTreeMap<String, String>,
    _dir: tempfile::TempDir,
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `hojokin serve --demo` on the test's database (its data directory in a directory of its own),
/// with `extra_env` on top (the mail settings of a spec that reads the mails).
fn start_demo(database_url: &str, extra_env: &[(&str, String)]) -> DemoServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hojokin"))
        .current_dir(dir.path())
        .env_remove("HOJOKIN_CONFIG")
        .env("HOJOKIN_DATABASE_URL", database_url)
        .env("HOJOKIN_BIND", "127.0.0.1:0")
        .env("HOJOKIN_DATA_DIR", dir.path().join("data"))
        .env("RUST_LOG", "warn")
        .envs(extra_env.iter().map(|(key, value)| (*key, value)))
        .args(["serve", "--demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn hojokin serve --demo");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut users = BTreeMap::new();
    let address = loop {
        assert!(Instant::now() < deadline, "the demo server did not start");
        let line = lines
            .next()
            .expect("the server printed its address")
            .expect("utf-8");
        // "  申請者   tanaka@meguru.example   <password>"
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [_, email, password] = words.as_slice()
            && email.contains('@')
        {
            users.insert((*email).to_owned(), (*password).to_owned());
        }
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split_whitespace().next().expect("address").to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    assert!(users.len() >= 7, "the demo users were printed: {users:?}");
    DemoServer {
        child,
        url: format!("http://{address}"),
        users,
        _dir: dir,
    }
}

fn require_browser() {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: run scripts/setup (it installs Debian's chromium) — the browser \
         tests do not skip"
    );
    assert!(
        root()
            .join("node_modules/playwright-core/package.json")
            .is_file(),
        "playwright-core is missing: run scripts/setup (npm install from package.json) — the \
         browser tests do not skip"
    );
    assert!(
        root().join("node_modules/axe-core/axe.min.js").is_file(),
        "axe-core is missing: run scripts/setup (npm ci from package-lock.json) — the \
         accessibility checks do not skip"
    );
}

/// Where a spec's screenshots go: one directory per backend, as both run at once.
fn artifacts(test_db: &TestDb) -> PathBuf {
    root()
        .join("test-artifacts")
        .join(test_db.url.backend_name())
}

/// Runs `tests/browser/<spec>.mjs` against a demo server on `test_db` and asserts that it
/// passed.
fn run_spec(spec: &str, test_db: &TestDb) {
    run_spec_with(spec, test_db, &[], &[]);
}

/// [`run_spec`] with the demo server's mail going to a real SMTP server (aiosmtpd, as in the
/// reminder tests); the spec reads what it accepted from the JSONL file named by
/// `HOJOKIN_SMTP_LOG`. The server's mail worker looks for queued mail every second.
fn run_spec_with_mail(spec: &str, test_db: &TestDb) {
    let sink = crate::reminders::SmtpSink::start(&[]);
    run_spec_with(
        spec,
        test_db,
        &[
            ("HOJOKIN_MAIL_BACKEND", "smtp".to_owned()),
            ("HOJOKIN_SMTP_HOST", "127.0.0.1".to_owned()),
            ("HOJOKIN_SMTP_PORT", sink.port().to_string()),
            ("HOJOKIN_SMTP_TLS", "none".to_owned()),
        ],
        &[("HOJOKIN_SMTP_LOG", sink.log_path().display().to_string())],
    );
}

/// Runs a spec with `server_env` given to the demo server (the server refuses `HOJOKIN_*`
/// names it does not know) and `spec_env` to the spec.
fn run_spec_with(
    spec: &str,
    test_db: &TestDb,
    server_env: &[(&str, String)],
    spec_env: &[(&str, String)],
) {
    require_browser();
    let database_url = test_db.url_string();
    let server = start_demo(&database_url, server_env);
    let artifacts = artifacts(test_db);
    let output = Command::new("node")
        .envs(spec_env.iter().map(|(key, value)| (*key, value)))
        .arg(root().join("tests/browser").join(format!("{spec}.mjs")))
        .current_dir(root())
        .env("HOJOKIN_URL", &server.url)
        .env(
            "HOJOKIN_USERS",
            serde_json::to_string(&server.users).expect("json"),
        )
        .env("HOJOKIN_ARTIFACTS", &artifacts)
        .output()
        .expect("node runs (install Node.js: scripts/setup)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser spec {spec} failed ({}); screenshots in {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status,
        artifacts.display()
    );
    assert!(
        stdout.contains(&format!("{spec}: ok")),
        "spec {spec} did not report success:\n{stdout}"
    );
    // Whatever the people in the browser did, the audit trail is one unbroken chain.
    let verify = Command::new(env!("CARGO_BIN_EXE_hojokin"))
        .env_remove("HOJOKIN_CONFIG")
        .env("HOJOKIN_DATABASE_URL", &database_url)
        .args(["audit", "verify"])
        .output()
        .expect("hojokin audit verify runs");
    assert!(
        verify.status.success(),
        "audit verify after {spec}: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

crate::on_both_backends!(applicant_drafts_and_submits_in_the_browser, |test_db| {
    run_spec("applicant", test_db);
});

crate::on_both_backends!(finance_officer_adjusts_a_line_in_the_browser, |test_db| {
    run_spec("officer", test_db);
});

crate::on_both_backends!(program_manager_selects_in_the_browser, |test_db| {
    run_spec("manager", test_db);
});

crate::on_both_backends!(
    program_manager_weighs_a_lower_award_cap_in_the_browser,
    |test_db| {
        run_spec("impact", test_db);
    }
);

crate::on_both_backends!(
    other_organisations_and_forged_forms_are_refused_in_the_browser,
    |test_db| {
        run_spec("security", test_db);
    }
);

crate::on_both_backends!(
    applicant_uploads_evidence_and_files_a_report_in_the_browser,
    |test_db| {
        run_spec("applicant_filings", test_db);
    }
);

crate::on_both_backends!(
    one_application_walks_from_draft_to_closed_through_all_three_roles,
    |test_db| {
        run_spec_with_mail("lifecycle", test_db);
    }
);

// Every page of each role, at 1280 and 390 px: no WCAG 2.1 A/AA violation that axe-core finds,
// no sideways scrolling at 390 px; the editor's budget lines uncut and its decision in view on
// a phone; the calendar's days off shaded and named.
crate::on_both_backends!(
    every_page_passes_axe_at_both_widths_and_none_scrolls_sideways,
    |test_db| {
        run_spec("accessibility", test_db);
    }
);

// Errors a person can act on, in the browser at both widths: the deep link through the login,
// the logout notice, the editor's error summary, a stale tab's save, the officer's 一括承認.
crate::on_both_backends!(
    errors_lead_each_user_to_what_to_do_next_in_the_browser,
    |test_db| {
        run_spec("handovers", test_db);
    }
);
