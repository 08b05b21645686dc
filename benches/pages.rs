//! Load test of the two busiest pages (figures in the README): with 10,000 applications in
//! the database, the applicant's dashboard and the finance officer's queue, rendered by the
//! real server on loopback and measured with `wrk` (Debian package `wrk`).
//!
//! `cargo bench --bench pages` seeds the demo on a temporary SQLite database, adds 10,000
//! applications (spread over every organisation and the demo's four municipalities, two
//! activities and four budget lines each), starts the server on 127.0.0.1 (port 0), logs in
//! as a demo applicant and the 塩尻市 finance officer, and runs `wrk` for 10 s per page.
//! Everything stays on this machine and stops by itself. Each page's p99 is printed against
//! its target, and the bench exits with status 1 when one is missed. Then 10,000 more
//! applications of 令和8年度 are added and the program manager's impact page (the award cap
//! lowered from 3 to 2) is timed five times, one request at a time.

// Test and bench code may stop at the first surprise; the service may not (Cargo.toml [lints]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hojokin::domain::codes::{ActivityCategory, Frame, PartnerKind};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use hojokin::config::{Config, DatabaseUrl};
use hojokin::db::applications::{
    ActivityDraft, ApplicationDraft, BudgetLineDraft, PartnerDraft, insert_application,
};
use hojokin::db::{self, organisations};
use hojokin::domain::workflow::ApplicationState;
use hojokin::startup::Application;

#[path = "support/targets.rs"]
mod targets;
use targets::{Target, Targets};

const APPLICANT_DASHBOARD_P99_MS: Target =
    Target::at_most("/applicant p99, 8 connections", 50.0, "ms");
const FINANCE_QUEUE_P99_MS: Target = Target::at_most("/finance p99, 8 connections", 50.0, "ms");
/// The impact page over the shipped ledger and 10,000 applications of its year (issue: < 1 s).
const IMPACT_PAGE_MEDIAN_MS: Target = Target::at_most(
    "/manager/programs/impact (award cap 3 → 2), 10,000 applications of the year, median of 5",
    1000.0,
    "ms",
);

/// A latency as `wrk --latency` prints it (`30.62ms`, `812.00us`, `1.02s`), in milliseconds.
fn wrk_milliseconds(text: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1e3)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|value| value * factor)
}

const APPLICATIONS: usize = 10_000;
const WRITERS: usize = 8;
const DRAFTS_PER_WRITER: usize = 25;
const STATES: &[ApplicationState] = &[
    ApplicationState::Draft,
    ApplicationState::Submitted,
    ApplicationState::UnderReview,
    ApplicationState::Selected,
    ApplicationState::InProgress,
    ApplicationState::Closed,
];

fn draft(i: usize, lead: i64, municipality: i64) -> ApplicationDraft {
    let line = |category: &str, description: &str, amount: i64, source: &str| BudgetLineDraft {
        category: category.parse().expect("expense category"),
        description: description.to_owned(),
        amount_yen: amount,
        funding_source: source.parse().expect("funding source"),
        co_funding_sources: Vec::new(),
    };
    ApplicationDraft {
        reference: format!("B-{i:05}"),
        fiscal_year: 2022 + (i % 5) as i32,
        frame: Frame::RightHand,
        state: STATES[i % STATES.len()],
        title: format!("地域人材プロジェクト 第{i}号"),
        lead_organisation_id: lead,
        co_applicant_ids: Vec::new(),
        municipality_id: Some(municipality),
        application_date: chrono::NaiveDate::from_ymd_opt(2026, 5, 20),
        project_start: chrono::NaiveDate::from_ymd_opt(2026, 7, 1),
        project_end: chrono::NaiveDate::from_ymd_opt(2027, 2, 26),
        partners: vec![PartnerDraft {
            kind: PartnerKind::Municipality,
            name: "塩尻市".to_owned(),
            municipality_id: Some(municipality),
            agreement: None,
        }],
        legal_basis: None,
        activities: vec![
            ActivityDraft {
                name: "幹部インターンシップ".to_owned(),
                category: ActivityCategory::Development,
                executive_internship: true,
                kpi: None,
                lines: vec![
                    line(
                        "personnel",
                        "コーディネーター",
                        4_000_000 + (i as i64 % 97) * 10_000,
                        "this_subsidy",
                    ),
                    line("travel", "旅費", 300_000, "this_subsidy"),
                ],
            },
            ActivityDraft {
                name: "協議会".to_owned(),
                category: ActivityCategory::Council,
                executive_internship: false,
                kpi: None,
                lines: vec![
                    line("meetings", "会場費", 200_000, "own_funds"),
                    line("outsourcing", "運営委託", 1_000_000, "municipal"),
                ],
            },
        ],
        created_by: None,
    }
}

/// One HTTP/1.1 exchange on loopback; answers (status line and headers, body).
fn http(port: u16, request: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.to_owned(), body.to_owned())
}

fn session_cookie(head: &str) -> Option<String> {
    head.lines()
        .filter_map(|line| {
            line.strip_prefix("set-cookie: ")
                .or_else(|| line.strip_prefix("Set-Cookie: "))
        })
        .find(|cookie| cookie.starts_with("hojokin_session="))
        .and_then(|cookie| cookie.split(';').next())
        .map(str::to_owned)
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Logs in through the login page (CSRF token included) and answers the session cookie.
fn login(port: u16, email: &str, password: &str) -> String {
    let (head, body) = http(
        port,
        "GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    let cookie = session_cookie(&head).expect("session cookie from the login page");
    let token = body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf token");
    let form = format!(
        "csrf_token={token}&email={}&password={}",
        encode(email),
        encode(password)
    );
    let (head, _) = http(
        port,
        &format!(
            "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    );
    assert!(head.starts_with("HTTP/1.1 303"), "login of {email}: {head}");
    session_cookie(&head).expect("session cookie after login")
}

/// Adds 10,000 submitted applications of 令和8年度 and times the impact page over them.
fn impact_page(pool: &db::Pool, port: u16, password: &str, targets: &mut Targets) {
    {
        let mut conn = pool.get().expect("connection");
        let organisations = organisations::list_organisations(&mut conn).expect("organisations");
        let municipalities: Vec<i64> = organisations::list_municipalities(&mut conn)
            .expect("municipalities")
            .iter()
            .map(|m| m.id)
            .collect();
        use diesel::Connection;
        conn.transaction(|conn| -> hojokin::error::AppResult<()> {
            // Leads whose record the engine can read (kind, size and industry), so that every
            // one of the 10,000 is evaluated under both rules, not set aside as unreadable.
            let readable: Vec<i64> = organisations
                .iter()
                .filter(|o| {
                    o.employees.is_some() && o.capital_yen.is_some() && o.industry.is_some()
                })
                .map(|o| o.id)
                .collect();
            assert!(
                !readable.is_empty(),
                "the demo has organisations with their size"
            );
            for i in 0..APPLICATIONS {
                let mut application = draft(
                    i,
                    readable[i % readable.len()],
                    municipalities[i % municipalities.len()],
                );
                application.reference = format!("I-{i:05}");
                application.fiscal_year = 2026;
                application.state = ApplicationState::Submitted;
                insert_application(conn, &application)?;
            }
            Ok(())
        })
        .expect("10,000 applications of R8");
    }
    let manager = login(port, "jimukyoku@meti.example", password);
    let (_, form_page) = http(
        port,
        &format!(
            "GET /manager/programs/impact HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {manager}\r\nConnection: close\r\n\r\n"
        ),
    );
    let token = form_page
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf token");
    let fields = [
        ("csrf_token", token),
        ("fiscal_year", "2026"),
        ("award_cap", "2"),
        ("budget_yen", "290000000"),
        ("cap_yen.right_hand", "13000000"),
        ("rate.right_hand.1", "2/3"),
        ("rate.right_hand.2", "1/2"),
        ("rate.right_hand.3", "1/3"),
        ("cap_yen.legal_linkage", "10000000"),
        ("rate.legal_linkage.1", "1/2"),
        ("rate.legal_linkage.2", "1/2"),
        ("rate.legal_linkage.3", "1/3"),
        ("countable.2022", "1"),
        ("countable.2023", "1"),
        ("countable.2024", "1"),
        ("countable.2025", "1"),
        ("countable.2026", "1"),
    ];
    let form = fields
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    let mut timings = Vec::new();
    let mut summary = String::new();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let (head, body) = http(
            port,
            &format!(
                "POST /manager/programs/impact HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {manager}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
                form.len()
            ),
        );
        timings.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(head.starts_with("HTTP/1.1 200"), "impact page: {head}");
        summary = body
            .split("<p id=\"impact-summary\">")
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .unwrap_or_default()
            .to_owned();
    }
    timings.sort_by(f64::total_cmp);
    println!(
        "/manager/programs/impact: {:.0} ms median, {:.0}–{:.0} ms over 5 ({summary})",
        timings[2], timings[0], timings[4]
    );
    targets.check(&IMPACT_PAGE_MEDIAN_MS, timings[2]);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::defaults().expect("config");
    config.database_url = DatabaseUrl::Sqlite(dir.path().join("bench.db"));
    config.bind = "127.0.0.1:0".parse().expect("address");
    config.data_dir = dir.path().join("data");
    let pool = db::connect(&config.database_url, config.db_pool_size).expect("pool");
    let programs = hojokin::program::embedded().expect("programs");
    let (users, meguru, shiojiri) = {
        let mut conn = pool.get().expect("connection");
        db::run_migrations(&mut conn).expect("migrations");
        let summary =
            db::demo::seed_demo(&mut conn, &|year, label| programs.frame_code(year, label))
                .expect("demo");
        let organisations = organisations::list_organisations(&mut conn).expect("organisations");
        let municipalities: Vec<i64> = organisations::list_municipalities(&mut conn)
            .expect("municipalities")
            .iter()
            .map(|m| m.id)
            .collect();
        use diesel::Connection;
        conn.transaction(|conn| -> hojokin::error::AppResult<()> {
            for i in 0..APPLICATIONS {
                let lead = organisations[i % organisations.len()].id;
                insert_application(
                    conn,
                    &draft(i, lead, municipalities[i % municipalities.len()]),
                )?;
            }
            Ok(())
        })
        .expect("10,000 applications");
        let meguru = organisations
            .iter()
            .find(|o| o.name.contains("MEGURU"))
            .expect("MEGURU in the demo")
            .id;
        let shiojiri = organisations::list_municipalities(&mut conn)
            .expect("municipalities")
            .iter()
            .find(|m| m.name == "塩尻市")
            .expect("塩尻市")
            .id;
        (summary.users, meguru, shiojiri)
    };
    let password = |email: &str| {
        users
            .iter()
            .find(|(e, _, _)| e == email)
            .map(|(_, _, p)| p.clone())
            .expect("demo user")
    };
    let application = Application::build(&config, pool.clone(), programs).expect("server");
    let port = application.port();
    std::thread::spawn(move || {
        let _ = actix_web::rt::System::new().block_on(application.run_until_stopped());
    });
    std::thread::sleep(Duration::from_millis(500));
    let applicant = login(
        port,
        "tanaka@meguru.example",
        &password("tanaka@meguru.example"),
    );
    let officer = login(
        port,
        "zaisei@city-shiojiri.example",
        &password("zaisei@city-shiojiri.example"),
    );
    println!("{APPLICATIONS} applications seeded; server on 127.0.0.1:{port}");
    let mut targets = Targets::default();
    for (page, cookie, target) in [
        ("/applicant", &applicant, &APPLICANT_DASHBOARD_P99_MS),
        ("/finance", &officer, &FINANCE_QUEUE_P99_MS),
    ] {
        let (head, body) = http(
            port,
            &format!(
                "GET {page} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
            ),
        );
        assert!(head.starts_with("HTTP/1.1 200"), "{page}: {head}");
        println!("{page}: {} bytes of HTML", body.len());
        let output = Command::new("wrk")
            .args(["-t2", "-c8", "-d10s", "--latency", "-H"])
            .arg(format!("Cookie: {cookie}"))
            .arg(format!("http://127.0.0.1:{port}{page}"))
            .output();
        match output {
            Ok(output) if output.status.success() => {
                let text = String::from_utf8_lossy(&output.stdout);
                let mut p99 = None;
                for line in text.lines() {
                    let line = line.trim();
                    if line.starts_with("50%")
                        || line.starts_with("99%")
                        || line.starts_with("Requests/sec")
                        || line.contains("Non-2xx")
                    {
                        println!("  {page} {line}");
                    }
                    if let Some(rest) = line.strip_prefix("99%") {
                        p99 = wrk_milliseconds(rest.trim());
                    }
                }
                assert!(!text.contains("Non-2xx"), "{page}: every answer a page");
                targets.check(
                    target,
                    p99.expect("wrk --latency prints the 99th percentile"),
                );
            }
            Ok(output) => panic!("wrk failed: {}", String::from_utf8_lossy(&output.stderr)),
            Err(error) => panic!("wrk is needed for this benchmark (apt-get install wrk): {error}"),
        }
    }
    impact_page(
        &pool,
        port,
        &password("jimukyoku@meti.example"),
        &mut targets,
    );
    // Writers at once, as on a busy day: each draft saved is one transaction with its audit
    // event, so the chain must come out whole.
    let created: usize = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let applicant = &applicant;
                scope.spawn(move || {
                    (0..DRAFTS_PER_WRITER)
                        .filter(|n| {
                            let body = format!(
                                r#"{{"fiscal_year":2026,"frame":"right_hand","title":"負荷 {writer}-{n}","lead_organisation_id":{meguru},"municipality_id":{shiojiri},"partners":[{{"kind":"municipality","name":"塩尻市","municipality_id":{shiojiri}}}],"activities":[{{"name":"幹部インターンシップ","category":"development","budget_lines":[{{"category":"personnel","description":"コーディネーター","amount_yen":6000000,"funding_source":"this_subsidy"}}]}}]}}"#
                            );
                            let (head, _) = http(
                                port,
                                &format!(
                                    "POST /api/v1/applications HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {applicant}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                    body.len()
                                ),
                            );
                            head.starts_with("HTTP/1.1 201")
                        })
                        .count()
                })
            })
            .collect();
        writers
            .into_iter()
            .map(|writer| writer.join().expect("writer"))
            .sum()
    });
    assert_eq!(created, WRITERS * DRAFTS_PER_WRITER, "every draft saved");
    println!("{created} drafts saved by {WRITERS} writers at once");
    // The load must leave an audit chain that `hojokin audit verify` accepts.
    let mut conn = pool.get().expect("connection");
    match db::audit::verify(&mut conn).expect("audit trail readable") {
        Ok(head) => {
            let events = head.count as usize;
            assert!(events >= created, "{events} events for {created} drafts");
            println!("audit verify: {events} events, chain intact");
        }
        Err(broken) => panic!("audit chain broken after the load: {broken:?}"),
    }
    targets.finish();
}
