//! Benchmarks of the reminders (figures in the README):
//!
//! (a) one scheduler tick over 100,000 open deadlines: find the due reminders and enqueue them,
//!     on SQLite and, when reachable, PostgreSQL (`HOJOKIN_BENCH_POSTGRES_URL`, default the
//!     test server); target < 1 s;
//! (b) one worker delivering 2,000 reminders to a local SMTP sink (aiosmtpd,
//!     `tests/support/smtp_sink.py`); target ≥ 200 messages/s.
//!
//! `cargo bench --bench remind`: each figure is printed against its target, and the bench
//! exits with status 1 when one is missed (a part that cannot run says SKIPPED).

// Test and bench code may stop at the first surprise; the service may not (Cargo.toml [lints]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{Connection, PgConnection};
use hojokin::config::{DatabaseUrl, MailBackend, Secret, SmtpTls};
use hojokin::db::applications::{ApplicationDraft, insert_application};
use hojokin::db::organisations::{NewOrganisation, insert_organisation};
use hojokin::db::schema::{deadlines, jobs};
use hojokin::db::users::{NewUser, add_user};
use hojokin::db::{self, DbConnection, Pool};
use hojokin::domain::access::{EmailAddress, Role};
use hojokin::domain::workflow::ApplicationState;
use hojokin::jobs::scheduler::{self, ReminderSettings};
use hojokin::jobs::worker::{Worker, WorkerSettings};
use hojokin::mail::Mailer;

#[path = "support/targets.rs"]
mod targets;
use targets::{Target, Targets};

const TICK_MS: Target = Target::at_most(
    "one scheduler tick over 100,000 open deadlines",
    1000.0,
    "ms",
);
const DELIVERY_PER_SECOND: Target = Target::at_least(
    "one worker delivering 2,000 reminders over SMTP",
    200.0,
    "messages/s",
);

const DEADLINES: usize = 100_000;
const PER_APPLICATION: usize = 100;
const DELIVER: i64 = 2_000;

/// 1,000 applications of one organisation with one applicant, 100 deadlines each, due from
/// 200 days ago to 200 days ahead, so that about one in ten has a reminder due now.
fn fill(conn: &mut DbConnection) {
    let org = insert_organisation(
        conn,
        &NewOrganisation::named(
            "一般社団法人ベンチ人材機構",
            hojokin::domain::codes::ApplicantKind::GeneralIncorporatedAssociation,
            db::now(),
        ),
    )
    .expect("organisation");
    add_user(
        conn,
        &NewUser {
            email: EmailAddress::parse("bench@example.jp").expect("email"),
            display_name: "ベンチ 太郎".into(),
            role: Role::Applicant,
            password_hash: None,
            municipality_id: None,
            organisation_ids: vec![org],
        },
    )
    .expect("user");
    let now = db::now();
    let kinds = [
        "interim_report",
        "completion_report",
        "grant_request",
        "correction_answer",
    ];
    conn.transaction(|conn| {
        for a in 0..DEADLINES / PER_APPLICATION {
            let id = insert_application(
                conn,
                &ApplicationDraft {
                    reference: format!("R8-B{a:05}"),
                    fiscal_year: 2026,
                    frame: hojokin::domain::codes::Frame::RightHand,
                    state: ApplicationState::InProgress,
                    title: format!("ベンチ申請 {a}"),
                    lead_organisation_id: org,
                    co_applicant_ids: vec![],
                    municipality_id: None,
                    application_date: None,
                    project_start: None,
                    project_end: None,
                    partners: vec![],
                    legal_basis: None,
                    activities: vec![],
                    created_by: None,
                },
            )
            .expect("application");
            let rows: Vec<_> = (0..PER_APPLICATION)
                .map(|d| {
                    let n = a * PER_APPLICATION + d;
                    let hours = i64::try_from(n % 9_600).expect("small") - 4_800;
                    (
                        deadlines::application_id.eq(id),
                        deadlines::kind.eq(kinds[d % kinds.len()]),
                        deadlines::sequence.eq(i32::try_from(d).expect("small")),
                        deadlines::due_at.eq(now + TimeDelta::hours(hours)),
                        deadlines::status.eq("open"),
                        deadlines::created_at.eq(now),
                    )
                })
                .collect();
            hojokin::on_backend!(conn, c => diesel::insert_into(deadlines::table).values(&rows).execute(c))
                .expect("deadlines");
        }
        Ok::<(), diesel::result::Error>(())
    })
    .expect("fill");
}

fn tick_bench(name: &str, pool: &Pool, targets: &mut Targets) {
    let mut conn = pool.get().expect("connection");
    db::run_migrations(&mut conn).expect("migrations");
    let started = Instant::now();
    fill(&mut conn);
    println!(
        "[{name}] {DEADLINES} deadlines written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let settings = ReminderSettings::default();
    let started = Instant::now();
    let outcome = scheduler::tick(&mut conn, &settings, db::now()).expect("tick");
    let first = started.elapsed();
    let started = Instant::now();
    let again = scheduler::tick(&mut conn, &settings, db::now()).expect("tick");
    let second = started.elapsed();
    println!(
        "[{name}] tick: {} deadlines in the window, {} due, {} enqueued in {:.0} ms; \
         the next tick: {} new in {:.0} ms",
        outcome.considered,
        outcome.due,
        outcome.enqueued,
        first.as_secs_f64() * 1e3,
        again.enqueued,
        second.as_secs_f64() * 1e3
    );
    targets.check(&TICK_MS, first.as_secs_f64() * 1e3);
}

/// The sink's process and port; `_dir` holds its log until the end.
struct Sink {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sink() -> Option<Sink> {
    let dir = tempfile::tempdir().ok()?;
    let port_file = dir.path().join("port");
    let child = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/smtp_sink.py"
        ))
        .arg("--log")
        .arg(dir.path().join("log.jsonl"))
        .arg("--port-file")
        .arg(&port_file)
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Some(port) = std::fs::read_to_string(&port_file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return Some(Sink {
                child,
                port,
                _dir: dir,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn delivery_bench(name: &str, pool: &Pool, targets: &mut Targets) {
    let Some(sink) = sink() else {
        println!("[{name}] delivery: SKIPPED (python3 with aiosmtpd is needed: scripts/setup)");
        return;
    };
    let mut conn = pool.get().expect("connection");
    // Deliver a fixed number: park the rest.
    let keep: Vec<i64> = jobs::table
        .filter(jobs::status.eq("queued"))
        .order(jobs::id)
        .limit(DELIVER)
        .select(jobs::id)
        .load(&mut *conn)
        .expect("jobs");
    diesel::update(
        jobs::table
            .filter(jobs::id.ne_all(&keep))
            .filter(jobs::status.eq("queued")),
    )
    .set(jobs::status.eq("cancelled"))
    .execute(&mut *conn)
    .expect("park");
    let mailer = Mailer::from_config(&MailBackend::Smtp {
        host: "127.0.0.1".into(),
        port: sink.port,
        tls: SmtpTls::None,
        username: None,
        password: None,
    })
    .expect("mailer");
    let worker = Worker::new(
        pool.clone(),
        mailer,
        WorkerSettings {
            worker_id: "bench".into(),
            base_url: "https://hojokin.example".into(),
            mail_from: "事務局 <noreply@hojokin.example>".into(),
            lease: Duration::from_secs(60),
            batch: 32,
            concurrency: 16,
        },
    )
    .expect("worker");
    let started = Instant::now();
    let outcome = worker.drain(&AtomicBool::new(false)).expect("drain");
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "[{name}] delivery: {} sent over SMTP in {seconds:.2} s = {:.0} messages/s",
        outcome.sent,
        outcome.sent as f64 / seconds
    );
    targets.check(&DELIVERY_PER_SECOND, outcome.sent as f64 / seconds);
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return; // `cargo test --benches` only checks that this builds.
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let url = DatabaseUrl::Sqlite(dir.path().join("bench.db"));
    let pool = db::connect(&url, 4).expect("sqlite");
    let mut targets = Targets::default();
    tick_bench("sqlite", &pool, &mut targets);
    delivery_bench("sqlite", &pool, &mut targets);

    let admin = std::env::var("HOJOKIN_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let Ok(mut admin_conn) = PgConnection::establish(&admin) else {
        println!("[postgres] not reachable at {admin}: SKIPPED");
        targets.finish();
        return;
    };
    let name = format!("hojokin_bench_{}", std::process::id());
    admin_conn
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    let base = admin
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(&admin);
    let url = DatabaseUrl::Postgres(Secret::new(format!("{base}/{name}")));
    {
        let pool = db::connect(&url, 4).expect("postgres");
        tick_bench("postgres", &pool, &mut targets);
        delivery_bench("postgres", &pool, &mut targets);
    }
    let _ = admin_conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    targets.finish();
}
