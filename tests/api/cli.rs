//! The real binary: bad input stops it with one clear line and creates nothing; the same
//! binary serves both backends, chosen by configuration alone, and shuts down gracefully.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{Backend, TestDb};

fn hojokin(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hojokin"));
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    hojokin(dir, env, args).output().expect("run hojokin")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs a command that must fail: non-zero, one line on stderr naming `named`, nothing created.
fn assert_refused(env: &[(&str, &str)], args: &[&str], named: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("keep.txt"), "").expect("marker");
    let before = entries(dir.path());
    let output = run(dir.path(), env, args);
    let message = stderr(&output);
    assert!(
        !output.status.success(),
        "{args:?} {env:?} should fail: {message}"
    );
    assert!(
        message.contains(named),
        "{args:?} {env:?}: message should name {named}: {message}"
    );
    assert_eq!(message.trim_end().lines().count(), 1, "one line: {message}");
    assert_eq!(
        entries(dir.path()),
        before,
        "{args:?} {env:?} created files"
    );
}

#[test]
fn help_explains_each_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run(dir.path(), &[], &["--help"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for command in ["serve", "migrate", "seed", "user", "config"] {
        assert!(text.contains(command), "--help mentions {command}: {text}");
    }
}

#[test]
fn bad_configuration_stops_the_start_and_creates_nothing() {
    assert_refused(
        &[("HOJOKIN_DATABASE_URL", "mysql://root@localhost/x")],
        &["migrate"],
        "database_url",
    );
    assert_refused(
        &[("HOJOKIN_DATABASE_URL", "data/hojokin.db")],
        &["serve"],
        "database_url",
    );
    assert_refused(
        &[("HOJOKIN_DIGEST_CRON", "0 9 * * Mon")],
        &["serve"],
        "digest_cron",
    );
    assert_refused(
        &[("HOJOKIN_DATABSE_URL", "sqlite://x.db")],
        &["serve"],
        "HOJOKIN_DATABSE_URL",
    );
    assert_refused(
        &[(
            "HOJOKIN_DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/nowhere",
        )],
        &["migrate"],
        "接続できません",
    );
    // A data directory below a regular file can never be created, even by root.
    assert_refused(
        &[("HOJOKIN_DATA_DIR", "keep.txt/data")],
        &["serve"],
        "data_dir",
    );
    assert_refused(
        &[("HOJOKIN_DATABASE_URL", "sqlite://keep.txt/hojokin.db")],
        &["migrate"],
        "database_url",
    );
}

#[test]
fn bad_configuration_files_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let malformed = dir.path().join("malformed.toml");
    std::fs::write(&malformed, "database_url = \n").expect("write");
    let unknown = dir.path().join("unknown.toml");
    std::fs::write(&unknown, "databse_url = \"sqlite://x.db\"\n").expect("write");
    let malformed = malformed.to_string_lossy().into_owned();
    let unknown = unknown.to_string_lossy().into_owned();
    assert_refused(&[], &["--config", &malformed, "migrate"], "malformed.toml");
    assert_refused(&[], &["--config", &unknown, "migrate"], "databse_url");
    assert_refused(
        &[("HOJOKIN_CONFIG", "/nonexistent/hojokin.toml")],
        &["migrate"],
        "/nonexistent/hojokin.toml",
    );
}

/// `hojokin user add` on the demo data, with the database it is pointed at: each user it
/// reports is there with the role, name and municipality or organisations asked for, and logs
/// in with the password it printed or was given; a refused input exits non-zero, names the
/// option to correct and writes nothing at all.
fn user_add_creates_exactly_what_it_is_asked(backend: Backend) {
    use diesel::prelude::*;
    use hojokin::db::schema::{audit_events, memberships, municipalities, organisations, users};
    let Some(test_db) = TestDb::empty(backend) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = test_db.url_string();
    let env = [("HOJOKIN_DATABASE_URL", url.as_str())];
    let output = run(dir.path(), &env, &["seed", "--demo"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(dir.path(), &env, &["seed", "--demo"]);
    assert!(
        !output.status.success(),
        "the demo seeds only an empty database"
    );

    let add = |args: &[&str]| run(dir.path(), &env, &[&["user", "add"], args].concat());
    // (users, memberships, audit events)
    let rows = || -> (i64, i64, i64) {
        let mut conn = test_db.conn();
        (
            users::table.count().get_result(&mut *conn).expect("users"),
            memberships::table
                .count()
                .get_result(&mut *conn)
                .expect("memberships"),
            audit_events::table
                .count()
                .get_result(&mut *conn)
                .expect("audit events"),
        )
    };
    let reported_id = |stdout: &str| -> i64 {
        stdout
            .split("(id ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("the new user's id: {stdout}"))
    };
    let user = |email: &str| {
        hojokin::db::users::find_by_email(&mut test_db.conn(), email)
            .expect("read users")
            .unwrap_or_else(|| panic!("{email} was added"))
    };
    let organisations_of = |id: i64| {
        let mut ids =
            hojokin::db::users::organisations_of(&mut test_db.conn(), id).expect("memberships");
        ids.sort_unstable();
        ids
    };
    let shiojiri: i64 = municipalities::table
        .filter(municipalities::name.eq("塩尻市"))
        .select(municipalities::id)
        .first(&mut *test_db.conn())
        .expect("塩尻市");
    let organisation = |name: &str| -> i64 {
        organisations::table
            .filter(organisations::name.eq(name))
            .select(organisations::id)
            .first(&mut *test_db.conn())
            .unwrap_or_else(|_| panic!("{name} in the demo data"))
    };
    let mut applicant_of = vec![
        organisation("特定非営利活動法人MEGURU"),
        organisation("株式会社御祓川"),
    ];
    applicant_of.sort_unstable();

    // A finance officer of 塩尻市, with a password generated and printed once.
    let before = rows();
    let output = add(&[
        "--email",
        "new@city-shiojiri.example",
        "--role",
        "finance_officer",
        "--municipality",
        "塩尻市",
        "--name",
        "塩尻市 財政課 新任",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let officer_password = stdout
        .split("パスワード: ")
        .nth(1)
        .and_then(|rest| rest.split('（').next())
        .unwrap_or_else(|| panic!("a generated password: {stdout}"))
        .to_owned();
    assert_eq!(
        rows(),
        (before.0 + 1, before.1, before.2 + 1),
        "one user, no membership, one audit event"
    );
    let officer = user("new@city-shiojiri.example");
    assert_eq!(
        (
            officer.id,
            officer.role.code(),
            officer.display_name.as_str(),
            officer.municipality_id,
            officer.disabled,
        ),
        (
            reported_id(&stdout),
            "finance_officer",
            "塩尻市 財政課 新任",
            Some(shiojiri),
            false
        )
    );
    assert_eq!(organisations_of(officer.id), Vec::<i64>::new());

    // An applicant of two organisations (one by an alias of its name), password from stdin.
    let before = rows();
    let mut child = hojokin(
        dir.path(),
        &env,
        &[
            "user",
            "add",
            "--email",
            "kato@meguru.example",
            "--role",
            "applicant",
            "--organisation",
            "NPO法人 MEGURU",
            "--organisation",
            "株式会社御祓川",
            "--password-stdin",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn user add");
    writeln!(
        child.stdin.take().expect("stdin"),
        "{}",
        crate::fixtures::PASSWORD
    )
    .expect("password");
    let output = child.wait_with_output().expect("user add");
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        !stdout.contains("パスワード"),
        "a given password is not printed: {stdout}"
    );
    assert_eq!(
        rows(),
        (before.0 + 1, before.1 + 2, before.2 + 1),
        "one user, two memberships, one audit event"
    );
    let applicant = user("kato@meguru.example");
    assert_eq!(
        (
            applicant.id,
            applicant.role.code(),
            applicant.display_name.as_str(),
            applicant.municipality_id,
        ),
        (reported_id(&stdout), "applicant", "kato", None)
    );
    assert_eq!(organisations_of(applicant.id), applicant_of);

    // As the service sees them: each logs in with its password and is who it was made.
    crate::helpers::block_on(async {
        let app = crate::test_app!(test_db);
        let request = actix_web::test::TestRequest::post()
            .uri("/api/v1/session")
            .set_json(serde_json::json!({
                "email": "new@city-shiojiri.example", "password": officer_password
            }))
            .to_request();
        let response = actix_web::test::call_service(&app, request).await;
        assert_eq!(response.status().as_u16(), 200, "the printed password");
        let cookie = response
            .response()
            .cookies()
            .find(|c| c.name() == "hojokin_session")
            .map(|c| format!("{}={}", c.name(), c.value()))
            .expect("session cookie");
        let (status, me) = call!(&app, "GET", "/api/v1/me", Some(&cookie), None);
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["id"], officer.id);
        assert_eq!(me["role"], "finance_officer");
        assert_eq!(me["municipality_id"], shiojiri);
        assert_eq!(me["organisation_ids"], serde_json::json!([]));

        let cookie = crate::login!(&app, "kato@meguru.example");
        let (status, me) = call!(&app, "GET", "/api/v1/me", Some(&cookie), None);
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["id"], applicant.id);
        assert_eq!(me["role"], "applicant");
        assert_eq!(me["municipality_id"], serde_json::Value::Null);
        let mut ids: Vec<i64> = me["organisation_ids"]
            .as_array()
            .expect("organisations")
            .iter()
            .map(|id| id.as_i64().expect("id"))
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, applicant_of);
    });

    // Refused: the option to correct is named, and not one row is written.
    let before = rows();
    for (args, named, status) in [
        (
            vec!["--email", "x@y.example", "--role", "admin"],
            "--role",
            Some(2),
        ),
        (
            vec!["--email", "not-an-email", "--role", "program_manager"],
            "--email",
            Some(2),
        ),
        (
            vec!["--email", "x@y.example", "--role", "finance_officer"],
            "--municipality",
            Some(2),
        ),
        (
            vec![
                "--email",
                "x@y.example",
                "--role",
                "finance_officer",
                "--municipality",
                "存在しない市",
            ],
            "--municipality",
            Some(2),
        ),
        (
            // The first organisation exists: its membership is not written either.
            vec![
                "--email",
                "x@y.example",
                "--role",
                "applicant",
                "--organisation",
                "NPO法人 MEGURU",
                "--organisation",
                "存在しない団体",
            ],
            "--organisation",
            Some(2),
        ),
        (
            vec![
                "--email",
                "new@city-shiojiri.example",
                "--role",
                "program_manager",
            ],
            "既に登録",
            None,
        ),
    ] {
        let output = add(&args);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            stderr(&output).contains(named),
            "{args:?}: {}",
            stderr(&output)
        );
        if status.is_some() {
            assert_eq!(output.status.code(), status, "{args:?}: input to correct");
        }
        assert_eq!(rows(), before, "{args:?} wrote nothing");
    }
    assert!(
        hojokin::db::users::find_by_email(&mut test_db.conn(), "x@y.example")
            .expect("read users")
            .is_none()
    );
    let unchanged = user("new@city-shiojiri.example");
    assert_eq!(
        (unchanged.role.code(), unchanged.municipality_id),
        ("finance_officer", Some(shiojiri)),
        "the existing user is left as it was"
    );
}

#[test]
fn user_add_creates_exactly_what_it_is_asked_on_sqlite() {
    user_add_creates_exactly_what_it_is_asked(Backend::Sqlite);
}

#[test]
fn user_add_creates_exactly_what_it_is_asked_on_postgres() {
    user_add_creates_exactly_what_it_is_asked(Backend::Postgres);
}

fn http_get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Starts `hojokin serve` and returns it with the port it printed.
fn start_server(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (Child, u16) {
    let mut child = hojokin(dir, env, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let port = loop {
        assert!(Instant::now() < deadline, "server did not start");
        let line = lines
            .next()
            .expect("server printed its address")
            .expect("utf-8");
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .expect("port")
                .parse()
                .expect("number");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

fn stop_gracefully(mut child: Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "graceful shutdown exits 0: {status}");
            return;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn serves_healthz(backend: Backend) {
    let Some(test_db) = TestDb::empty(backend) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = test_db.url_string();
    let env = [
        ("HOJOKIN_DATABASE_URL", url.as_str()),
        ("HOJOKIN_BIND", "127.0.0.1:0"),
    ];
    let (child, port) = start_server(dir.path(), &env, &["serve", "--demo"]);
    let (status, body) = http_get(port, "/healthz");
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["database"], test_db.url.backend_name());
    assert_eq!(http_get(port, "/readyz").0, 200);
    assert_eq!(http_get(port, "/no-such-page").0, 404);
    stop_gracefully(child);
    assert!(
        dir.path().join("data/session.key").is_file(),
        "session key kept on first run"
    );
}

#[test]
fn the_same_binary_serves_sqlite() {
    serves_healthz(Backend::Sqlite);
}

#[test]
fn the_same_binary_serves_postgres() {
    serves_healthz(Backend::Postgres);
}

/// The programme files are checked at start-up: a rate above 1 or an unknown key stops the
/// start with the file and key named.
#[test]
fn broken_programme_files_stop_the_start() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/programs");
    for (find, replace, named) in [
        (
            "{ ordinal = 1, numerator = 2, denominator = 3,",
            "{ ordinal = 1, numerator = 3, denominator = 2,",
            "2026.toml",
        ),
        (
            "fiscal_year = 2026\n",
            "fiscal_year = 2026\nsubsidy_rate = 1\n",
            "subsidy_rate",
        ),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let programs = dir.path().join("forms/programs");
        std::fs::create_dir_all(&programs).expect("dir");
        for entry in std::fs::read_dir(&source).expect("programs") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            let text = if path.ends_with("2026.toml") {
                assert!(text.contains(find), "fixture text present: {find}");
                text.replacen(find, replace, 1)
            } else {
                text
            };
            std::fs::write(programs.join(path.file_name().expect("name")), text).expect("write");
        }
        let forms = dir.path().join("forms").to_string_lossy().into_owned();
        let output = run(
            dir.path(),
            &[("HOJOKIN_FORMS_DIR", forms.as_str())],
            &["serve"],
        );
        let message = stderr(&output);
        assert!(!output.status.success(), "{find}: {message}");
        assert!(message.contains(named), "{named} in: {message}");
        assert!(
            !dir.path().join("data").exists(),
            "nothing created: {message}"
        );
    }
}

/// `hojokin audit verify` passes on a clean history and names the first event altered
/// directly in the database.
fn audit_verify_catches_tampering(backend: Backend) {
    use diesel::connection::SimpleConnection;
    let Some(test_db) = TestDb::migrated(backend) else {
        return;
    };
    let world = crate::fixtures::world(&mut test_db.conn());
    crate::helpers::block_on(async {
        let app = crate::test_app!(test_db);
        let cookie = crate::login!(&app, "applicant@own.example");
        let (status, created) = call!(
            &app,
            "POST",
            "/api/v1/applications",
            Some(&cookie),
            Some(crate::fixtures::draft(world.own_org, world.shiojiri))
        );
        assert_eq!(status, 201);
        let id = created["application"]["id"].as_i64().expect("id");
        let (status, _) = call!(
            &app,
            "POST",
            format!("/api/v1/applications/{id}/actions/submit"),
            Some(&cookie),
            Some(serde_json::json!({"version": 1}))
        );
        assert_eq!(status, 200);
        let (status, _) = call!(
            &app,
            "POST",
            format!("/api/v1/applications/{id}/actions/withdraw"),
            Some(&cookie),
            Some(serde_json::json!({"version": 2, "reason": "体制を見直します"}))
        );
        assert_eq!(status, 200);
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let url = test_db.url_string();
    let env = [("HOJOKIN_DATABASE_URL", url.as_str())];
    let output = run(dir.path(), &env, &["audit", "verify"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("3 件"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    let second = hojokin::db::audit::events_of(&mut test_db.conn(), 1).expect("events")[1].id;
    match &mut *test_db.conn() {
        hojokin::db::DbConnection::Sqlite(c) => c.batch_execute(&format!(
            "UPDATE audit_events SET reason = '書き換え' WHERE id = {second}"
        )),
        hojokin::db::DbConnection::Postgres(c) => c.batch_execute(&format!(
            "UPDATE audit_events SET reason = '書き換え' WHERE id = {second}"
        )),
    }
    .expect("tamper");
    let output = run(dir.path(), &env, &["audit", "verify"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains(&format!("イベント {second} ")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn audit_verify_catches_tampering_on_sqlite() {
    audit_verify_catches_tampering(Backend::Sqlite);
}

#[test]
fn audit_verify_catches_tampering_on_postgres() {
    audit_verify_catches_tampering(Backend::Postgres);
}

crate::on_both_backends!(
    /// `templates_dir`: a file there replaces the embedded template of the same relative name at
    /// start-up (here the pages' layout, and an email subject that must compile too); the
    /// embedded ones stay for everything else.
    templates_dir_replaces_an_embedded_page_template,
    |test_db| {
        let dir = tempfile::tempdir().expect("temp dir");
        let templates = dir.path().join("templates");
        std::fs::create_dir_all(templates.join("pages")).expect("dir");
        std::fs::create_dir_all(templates.join("email/reminder")).expect("dir");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let layout = std::fs::read_to_string(root.join("pages/layout.hbs")).expect("layout");
        assert!(layout.contains("<body>\n"), "fixture text present");
        let layout = layout.replacen(
            "<body>\n",
            "<body>\n<p id=\"local-banner\">塩尻市 独自版</p>\n",
            1,
        );
        std::fs::write(templates.join("pages/layout.hbs"), layout).expect("write");
        std::fs::write(
            templates.join("email/reminder/subject.txt.hbs"),
            "【塩尻市】{{deadline.label}}（{{application.reference}}）",
        )
        .expect("write");
        let templates = templates.to_string_lossy().into_owned();
        let url = test_db.url_string();
        let env = [
            ("HOJOKIN_DATABASE_URL", url.as_str()),
            ("HOJOKIN_BIND", "127.0.0.1:0"),
            ("HOJOKIN_TEMPLATES_DIR", templates.as_str()),
        ];
        let (child, port) = start_server(dir.path(), &env, &["serve"]);
        let (status, body) = http_get(port, "/login");
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("<p id=\"local-banner\">塩尻市 独自版</p>"),
            "the replacement layout: {body}"
        );
        assert!(
            body.contains("<label for=\"email\">メールアドレス</label>"),
            "the embedded login page inside it"
        );
        let (status, body) = http_get(port, "/no-such-page");
        assert_eq!(status, 404);
        assert!(body.contains("local-banner"), "error pages use it too");
        stop_gracefully(child);
    }
);

/// A key for the audit checkpoint, as an operator would configure it.
const AUDIT_KEY: &str = "5e1f0c3a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f";

/// Runs SQL straight against the database, as someone with access to it would.
fn tamper(test_db: &TestDb, sql: &str) {
    use diesel::connection::SimpleConnection;
    test_db.conn().batch_execute(sql).expect("tamper");
}

/// `hojokin user add` of `count` program managers: one audit event each.
fn add_staff(dir: &Path, env: &[(&str, &str)], from: usize, count: usize) {
    for i in from..from + count {
        let email = format!("staff{i}@meti.example");
        let output = run(
            dir,
            env,
            &[
                "user",
                "add",
                "--email",
                &email,
                "--role",
                "program_manager",
            ],
        );
        assert!(output.status.success(), "{}", stderr(&output));
    }
}

/// `audit verify` must fail, its last line of stderr saying `says` and giving `code` (a line
/// before it warns when the demo key is used).
fn assert_verify_fails(dir: &Path, env: &[(&str, &str)], says: &str, code: &str) {
    let output = run(dir, env, &["audit", "verify"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "fails: {message}");
    let last = message.trim_end().lines().last().unwrap_or_default();
    assert!(last.contains(says), "says {says:?}: {message}");
    assert!(
        last.contains(&format!("[{code}]")),
        "code {code}: {message}"
    );
}

/// Deleting the last events of the audit trail leaves a shorter chain that still links; the
/// signed checkpoint still counts them, so `audit verify` says how many are missing, for one,
/// several and all of them, and an event recorded afterwards does not hide it. (With the
/// default configuration: the demo key signs.)
fn audit_verify_notices_the_last_events_deleted(backend: Backend) {
    let Some(test_db) = TestDb::migrated(backend) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = test_db.url_string();
    let env = [("HOJOKIN_DATABASE_URL", url.as_str())];
    add_staff(dir.path(), &env, 0, 6);
    let output = run(dir.path(), &env, &["audit", "verify"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("6 件") && stdout.contains("改ざんなし"),
        "{stdout}"
    );

    let delete_last = "DELETE FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events)";
    tamper(&test_db, delete_last);
    assert_verify_fails(dir.path(), &env, "最後の 1 件が失われています", "truncated");
    tamper(&test_db, &format!("{delete_last}; {delete_last}"));
    assert_verify_fails(dir.path(), &env, "最後の 3 件が失われています", "truncated");
    // An event recorded after the deletion chains onto what is left; it is not counted over.
    add_staff(dir.path(), &env, 6, 1);
    assert_verify_fails(dir.path(), &env, "最後の 2 件が失われています", "truncated");
    tamper(&test_db, "DELETE FROM audit_events");
    assert_verify_fails(
        dir.path(),
        &env,
        "チェックポイントの記録は 6 件、残っているのは 0 件",
        "truncated",
    );
}

#[test]
fn audit_verify_notices_the_last_events_deleted_on_sqlite() {
    audit_verify_notices_the_last_events_deleted(Backend::Sqlite);
}

#[test]
fn audit_verify_notices_the_last_events_deleted_on_postgres() {
    audit_verify_notices_the_last_events_deleted(Backend::Postgres);
}

/// A checkpoint rewritten to match a truncated chain, without the key, is named as forged;
/// so is an honest one checked with another key. Without a configured key the demo key is
/// used, and `audit verify` says so.
fn audit_verify_names_a_forged_checkpoint(backend: Backend) {
    let Some(test_db) = TestDb::migrated(backend) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = test_db.url_string();
    let env = [
        ("HOJOKIN_DATABASE_URL", url.as_str()),
        ("HOJOKIN_AUDIT_KEY", AUDIT_KEY),
    ];
    add_staff(dir.path(), &env, 0, 4);
    let output = run(dir.path(), &env, &["audit", "verify"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("警告"),
        "a configured key: no warning"
    );
    let other_key = "ab".repeat(32);
    let with_other_key = [
        ("HOJOKIN_DATABASE_URL", url.as_str()),
        ("HOJOKIN_AUDIT_KEY", other_key.as_str()),
    ];
    assert_verify_fails(
        dir.path(),
        &with_other_key,
        "署名が正しくありません",
        "checkpoint_bad_signature",
    );
    let without_key = [("HOJOKIN_DATABASE_URL", url.as_str())];
    let output = run(dir.path(), &without_key, &["audit", "verify"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("公開のデモ用鍵")
            && stderr(&output).contains("[checkpoint_bad_signature]"),
        "{}",
        stderr(&output)
    );

    tamper(
        &test_db,
        "DELETE FROM audit_events WHERE id > (SELECT MIN(id) + 1 FROM audit_events); \
         UPDATE audit_checkpoint SET event_count = 2, \
           last_hash = (SELECT hash FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events))",
    );
    assert_verify_fails(
        dir.path(),
        &env,
        "署名が正しくありません",
        "checkpoint_bad_signature",
    );
    // Nor does the next event sign over the forgery.
    add_staff(dir.path(), &env, 4, 1);
    assert_verify_fails(
        dir.path(),
        &env,
        "署名が正しくありません",
        "checkpoint_bad_signature",
    );
}

#[test]
fn audit_verify_names_a_forged_checkpoint_on_sqlite() {
    audit_verify_names_a_forged_checkpoint(Backend::Sqlite);
}

#[test]
fn audit_verify_names_a_forged_checkpoint_on_postgres() {
    audit_verify_names_a_forged_checkpoint(Backend::Postgres);
}

/// `templates_dir`: a file there replaces the embedded template of the same relative name at
/// start-up (here the pages' layout, and an email subject that must compile too); the
/// embedded ones stay for everything else.
#[test]
fn templates_dir_replaces_an_embedded_page_template() {
    let dir = tempfile::tempdir().expect("temp dir");
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(templates.join("pages")).expect("dir");
    std::fs::create_dir_all(templates.join("email/reminder")).expect("dir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let layout = std::fs::read_to_string(root.join("pages/layout.hbs")).expect("layout");
    assert!(layout.contains("<body>\n"), "fixture text present");
    let layout = layout.replacen(
        "<body>\n",
        "<body>\n<p id=\"local-banner\">塩尻市 独自版</p>\n",
        1,
    );
    std::fs::write(templates.join("pages/layout.hbs"), layout).expect("write");
    std::fs::write(
        templates.join("email/reminder/subject.txt.hbs"),
        "【塩尻市】{{deadline.label}}（{{application.reference}}）",
    )
    .expect("write");
    let templates = templates.to_string_lossy().into_owned();
    let env = [
        ("HOJOKIN_DATABASE_URL", "sqlite://hojokin.db"),
        ("HOJOKIN_BIND", "127.0.0.1:0"),
        ("HOJOKIN_TEMPLATES_DIR", templates.as_str()),
    ];
    let (child, port) = start_server(dir.path(), &env, &["serve"]);
    let (status, body) = http_get(port, "/login");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<p id=\"local-banner\">塩尻市 独自版</p>"),
        "the replacement layout: {body}"
    );
    assert!(
        body.contains("<label for=\"email\">メールアドレス</label>"),
        "the embedded login page inside it"
    );
    let (status, body) = http_get(port, "/no-such-page");
    assert_eq!(status, 404);
    assert!(body.contains("local-banner"), "error pages use it too");
    stop_gracefully(child);
}

/// A file that replaces nothing (a misspelt name) or a template that does not compile stops
/// the start with the file named, and nothing is created.
#[test]
fn a_bad_templates_dir_stops_the_start_naming_the_file() {
    for (file, text, named) in [
        ("pages/layot.hbs", "<p>x</p>", "pages/layot.hbs"),
        (
            "pages/login.hbs",
            "{{#if user}}開いたまま",
            "pages/login.hbs",
        ),
        (
            "email/reminder/subject.txt.hbs",
            "{{#each}}{{/if}}",
            "email/reminder/subject.txt.hbs",
        ),
        ("pdf/budget.txt", "# 経費明細書", "pdf/budget.txt"),
    ] {
        let templates = tempfile::tempdir().expect("temp dir");
        let path = templates.path().join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(&path, text).expect("write");
        let templates = templates.path().to_string_lossy().into_owned();
        assert_refused(
            &[("HOJOKIN_TEMPLATES_DIR", templates.as_str())],
            &["serve"],
            named,
        );
    }
    assert_refused(
        &[("HOJOKIN_TEMPLATES_DIR", "/nonexistent/templates")],
        &["serve"],
        "templates_dir",
    );
}

crate::on_both_backends!(
    /// Administrators adding users while others write: every `user add` process queues for the
    /// write lock instead of failing (SQLite: `BEGIN IMMEDIATE` with its busy timeout, never
    /// "database is locked"; PostgreSQL: the audit append's advisory lock), and the audit chain
    /// stays whole. Each process's pool opens all its connections at start: two each keep
    /// twelve processes far below PostgreSQL's default `max_connections` (100), which twelve
    /// pools of the default eight would nearly fill while other tests use the server too.
    concurrent_user_adds_all_succeed_and_keep_the_chain,
    |test_db| {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = test_db.url_string();
        let env = [
            ("HOJOKIN_DATABASE_URL", url.as_str()),
            ("HOJOKIN_DB_POOL_SIZE", "2"),
        ];
        let output = run(dir.path(), &env, &["seed", "--demo"]);
        assert!(output.status.success(), "{}", stderr(&output));
        let children: Vec<_> = (0..12)
            .map(|i| {
                hojokin(
                    dir.path(),
                    &env,
                    &[
                        "user",
                        "add",
                        "--email",
                        &format!("staff{i}@meti.example"),
                        "--role",
                        "program_manager",
                    ],
                )
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn user add")
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().expect("user add");
            assert!(output.status.success(), "{}", stderr(&output));
        }
        let verify = run(dir.path(), &env, &["audit", "verify"]);
        assert!(verify.status.success(), "{}", stderr(&verify));
        assert!(
            String::from_utf8_lossy(&verify.stdout).contains("改ざんなし"),
            "{}",
            String::from_utf8_lossy(&verify.stdout)
        );
    }
);

crate::on_both_backends!(
    /// `import-awards FILE`: a list Excel saved as Shift_JIS (CP932) imports as the same list
    /// in UTF-8 does, detected or chosen with `--encoding`; chosen wrongly, it is refused with
    /// the position of the byte, exit 2, and nothing is written.
    import_awards_reads_a_shift_jis_list_as_the_utf8_one,
    |test_db| {
        use diesel::prelude::*;
        use hojokin::db::schema::awards;
        let text: String = hojokin::forms::AWARD_LISTS[0]
            .1
            .lines()
            .take(11)
            .map(|line| format!("{line}\r\n"))
            .collect();
        let (cp932, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
        assert!(!unmappable);
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("sjis.csv"), &cp932).expect("write");
        std::fs::write(dir.path().join("utf8.csv"), &text).expect("write");
        let url = test_db.url_string();
        let env = [("HOJOKIN_DATABASE_URL", url.as_str())];
        let import = |args: &[&str]| run(dir.path(), &env, &[&["import-awards"], args].concat());
        let award_count = || -> i64 {
            awards::table
                .count()
                .get_result(&mut *test_db.conn())
                .expect("awards")
        };
        let last_line = |output: &Output| {
            assert!(output.status.success(), "{}", stderr(output));
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .last()
                .unwrap_or_default()
                .to_owned()
        };

        let first_bad = cp932.iter().position(|byte| !byte.is_ascii()).expect("kanji");
        let refused = import(&["sjis.csv", "--encoding", "utf-8"]);
        assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
        assert!(
            stderr(&refused).contains(&format!(
                "sjis.csv: 2行目: {} バイト目が UTF-8 として読めません",
                first_bad + 1
            )),
            "{}",
            stderr(&refused)
        );
        assert!(stderr(&refused).contains("何も取り込んでいません"));
        assert_eq!(award_count(), 0, "nothing written");

        assert_eq!(
            last_line(&import(&["sjis.csv"])),
            "sjis.csv: 10 行 — 一致 0、新規 10、要確認 0（新しい団体 10、新しい採択 10）"
        );
        assert_eq!(award_count(), 10);
        for args in [
            ["utf8.csv", "--encoding", "auto"],
            ["utf8.csv", "--encoding", "utf-8"],
            ["sjis.csv", "--encoding", "shift_jis"],
        ] {
            let file = args[0];
            assert_eq!(
                last_line(&import(&[&args[..], &["--dry-run"]].concat())),
                format!(
                    "[dry-run] {file}: 10 行 — 一致 10、新規 0、要確認 0（新しい団体 0、新しい採択 0）"
                ),
                "{args:?}"
            );
        }
        let wrongly = import(&["utf8.csv", "--encoding", "shift_jis"]);
        assert_eq!(wrongly.status.code(), Some(2), "{}", stderr(&wrongly));
        assert!(
            stderr(&wrongly).contains("バイト目が Shift_JIS として読めません"),
            "{}",
            stderr(&wrongly)
        );
        assert_eq!(award_count(), 10);
    }
);
