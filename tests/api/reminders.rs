//! Deadlines and reminders against real SMTP (aiosmtpd, `tests/support/smtp_sink.py`): Japanese
//! messages as a mail client decodes them, dead letters, cancellation, a worker killed mid-batch,
//! two workers on one PostgreSQL database, and the holiday rules against an independent list.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use diesel::prelude::*;
use hojokin::config::{MailBackend, SmtpTls};
use hojokin::db::applications::{ApplicationDraft, insert_application};
use hojokin::db::schema::{applications, deadlines, jobs, send_attempts, sent_emails};
use hojokin::db::{self, DbConnection};
use hojokin::domain::deadlines::{jst_to_utc, utc_to_jst};
use hojokin::domain::holidays;
use hojokin::domain::workflow::ApplicationState;
use hojokin::jobs::scheduler::{self, ReminderSettings};
use hojokin::jobs::worker::{Worker, WorkerSettings};
use hojokin::mail::Mailer;
use serde_json::{Value, json};

use crate::fixtures::world;
use crate::helpers::{TestDb, block_on};

const SUPPORT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support");

/// A real SMTP server in a child process, logging what it accepts.
pub(crate) struct SmtpSink {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpSink {
    pub(crate) fn start(extra: &[&str]) -> SmtpSink {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("received.jsonl");
        let port_file = dir.path().join("port");
        let child = Command::new("python3")
            .arg(format!("{SUPPORT}/smtp_sink.py"))
            .arg("--log")
            .arg(&log)
            .arg("--port-file")
            .arg(&port_file)
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/setup installs it)");
        let started = Instant::now();
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                break text.trim().parse().expect("port");
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the SMTP sink did not start (is aiosmtpd installed? scripts/setup)"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        SmtpSink {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    /// The messages logged so far. The sink may be writing a line as it is read: only lines
    /// it has finished (ended by a newline) count.
    pub(crate) fn received(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let finished = text.rfind('\n').map_or("", |end| &text[..end]);
        finished
            .lines()
            .map(|line| serde_json::from_str(line).expect("json line"))
            .collect()
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The JSONL file of accepted messages (see `tests/support/smtp_sink.py` for its fields).
    pub(crate) fn log_path(&self) -> &Path {
        &self.log
    }

    pub(crate) fn backend(&self) -> MailBackend {
        MailBackend::Smtp {
            host: "127.0.0.1".into(),
            port: self.port,
            tls: SmtpTls::None,
            username: None,
            password: None,
        }
    }

    fn dir(&self) -> &Path {
        self._dir.path()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn worker_settings(lease_seconds: u64) -> WorkerSettings {
    WorkerSettings {
        worker_id: format!("test-{}", rand::random::<u32>()),
        base_url: "https://hojokin.example".into(),
        mail_from: "地域の人事部支援事業 事務局 <noreply@hojokin.example>".into(),
        lease: Duration::from_secs(lease_seconds),
        batch: 10,
        concurrency: 16,
    }
}

/// An R8 application of the world's organisation in `state`, project 2026-07-01 → 2027-02-26.
fn application(conn: &mut DbConnection, organisation: i64, state: ApplicationState) -> i64 {
    insert_application(
        conn,
        &ApplicationDraft {
            reference: format!("R8-T{:04}", rand::random::<u16>()),
            fiscal_year: 2026,
            frame: hojokin::domain::codes::Frame::RightHand,
            state,
            title: "塩尻 幹部人材インターンシップ".into(),
            lead_organisation_id: organisation,
            co_applicant_ids: vec![],
            municipality_id: None,
            application_date: NaiveDate::from_ymd_opt(2026, 5, 20),
            project_start: NaiveDate::from_ymd_opt(2026, 7, 1),
            project_end: NaiveDate::from_ymd_opt(2027, 2, 26),
            partners: vec![],
            legal_basis: None,
            activities: vec![],
            created_by: None,
        },
    )
    .expect("application")
}

fn at_utc(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|date| date.and_hms_opt(h, 0, 0))
        .expect("valid")
}

fn job_statuses(conn: &mut DbConnection) -> Vec<String> {
    jobs::table
        .filter(jobs::kind.eq("reminder"))
        .order(jobs::id)
        .select(jobs::status)
        .load(conn)
        .expect("jobs")
}

crate::on_both_backends!(a_reminder_arrives_over_smtp_in_japanese, |test_db| {
    let world = world(&mut test_db.conn());
    let mut conn = test_db.conn();
    let id = application(&mut conn, world.own_org, ApplicationState::InProgress);
    let programs = hojokin::program::embedded().expect("programs");
    let synced = db::deadlines::sync_application(&mut conn, &programs, id).expect("sync");
    assert_eq!(synced.created, 2, "an interim and a completion report");
    let reference: String = applications::table
        .find(id)
        .select(applications::reference)
        .first(&mut *conn)
        .expect("reference");

    // 2027-03-03 10:00 JST: T-7 of the 実績報告 due Wednesday 2027-03-10 17:00 JST.
    let now = at_utc(2027, 3, 3, 1);
    let settings = ReminderSettings::default();
    let outcome = scheduler::tick(&mut conn, &settings, now).expect("tick");
    assert_eq!((outcome.due, outcome.enqueued), (1, 1));
    let again = scheduler::tick(&mut conn, &settings, now).expect("tick again");
    assert_eq!(
        (again.due, again.enqueued),
        (1, 0),
        "a second tick enqueues nothing"
    );

    let sink = SmtpSink::start(&[]);
    let worker = Worker::new(
        test_db.pool.clone(),
        Mailer::from_config(&sink.backend()).expect("mailer"),
        worker_settings(60),
    )
    .expect("worker");
    let work = worker.run_batch().expect("batch");
    assert_eq!((work.claimed, work.sent), (1, 1));

    let received = sink.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let message = &received[0];
    assert_eq!(
        message["subject"],
        format!("【リマインド】実績報告の期限は令和9年3月10日（水）17:00です（{reference}）")
    );
    assert_eq!(message["to"], json!(["applicant@own.example"]));
    assert_eq!(message["multipart"], "multipart/alternative");
    let text = message["text"].as_str().expect("text part");
    assert!(text.starts_with("applicant 様"), "{text}");
    assert!(text.contains("「塩尻 幹部人材インターンシップ」"), "{text}");
    assert!(text.contains("期限: 令和9年3月10日（水）17:00"), "{text}");
    assert!(text.contains(&format!("https://hojokin.example/applications/{id}")));
    let html = message["html"].as_str().expect("html part");
    assert!(html.contains(&format!(
        "href=\"https://hojokin.example/applications/{id}\""
    )));
    assert!(html.contains("<strong>実績報告</strong>"));

    // The sent log has the SMTP message id the server received.
    let (outcome, message_id): (String, Option<String>) = sent_emails::table
        .select((sent_emails::outcome, sent_emails::message_id))
        .first(&mut *conn)
        .expect("sent log");
    assert_eq!(outcome, "sent");
    assert_eq!(message_id.as_deref(), message["message_id"].as_str());
    assert_eq!(job_statuses(&mut conn), ["done"]);

    // Nothing is sent twice: the job is done, a later tick at the same offset adds nothing.
    assert_eq!(worker.run_batch().expect("batch").claimed, 0);

    // The sent log through the API: the applicant sees it, another applicant does not.
    block_on(async {
        let app = crate::test_app!(test_db);
        let applicant = crate::login!(&app, "applicant@own.example");
        let other = crate::login!(&app, "applicant@other.example");
        let uri = format!("/api/v1/applications/{id}/sent-emails");
        let (status, body) = call!(&app, "GET", &uri, Some(&applicant), None);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["sent_emails"][0]["template"], "reminder");
        assert_eq!(body["sent_emails"][0]["deadline_kind"], "completion_report");
        assert_eq!(body["sent_emails"][0]["message_id"], message["message_id"]);
        let (status, _) = call!(&app, "GET", &uri, Some(&other), None);
        assert_eq!(status, 403);
    });
});

crate::on_both_backends!(
    a_permanent_failure_is_a_dead_letter_the_manager_can_retry,
    |test_db| {
        let world = world(&mut test_db.conn());
        let mut conn = test_db.conn();
        let id = application(&mut conn, world.own_org, ApplicationState::InProgress);
        let programs = hojokin::program::embedded().expect("programs");
        db::deadlines::sync_application(&mut conn, &programs, id).expect("sync");
        let now = at_utc(2027, 3, 11, 1); // T+1: overdue
        scheduler::tick(&mut conn, &ReminderSettings::default(), now).expect("tick");

        let sink = SmtpSink::start(&["--reject", "applicant@own.example"]);
        let worker = Worker::new(
            test_db.pool.clone(),
            Mailer::from_config(&sink.backend()).expect("mailer"),
            worker_settings(60),
        )
        .expect("worker");
        let work = worker.run_batch().expect("batch");
        assert_eq!((work.sent, work.dead), (0, 1), "a 550 is not retried");
        assert!(sink.received().is_empty());
        let job_id: i64 = jobs::table
            .filter(jobs::status.eq("dead"))
            .select(jobs::id)
            .first(&mut *conn)
            .expect("dead job");

        block_on(async {
            let app = crate::test_app!(test_db);
            let manager = crate::login!(&app, "manager@meti.example");
            let applicant = crate::login!(&app, "applicant@own.example");
            let (status, body) = call!(&app, "GET", "/api/v1/jobs/dead", Some(&manager), None);
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["jobs"][0]["id"], job_id);
            assert!(
                body["jobs"][0]["last_error"]
                    .as_str()
                    .is_some_and(|e| e.contains("550")),
                "{body}"
            );
            let (status, _) = call!(&app, "GET", "/api/v1/jobs/dead", Some(&applicant), None);
            assert_eq!(status, 403);
            let retry = format!("/api/v1/jobs/{job_id}/retry");
            let (status, _) = call!(&app, "POST", &retry, Some(&applicant), None);
            assert_eq!(status, 403);
            let (status, body) = call!(&app, "POST", &retry, Some(&manager), None);
            assert_eq!(status, 200, "{body}");
            let (status, _) = call!(&app, "POST", &retry, Some(&manager), None);
            assert_eq!(status, 409, "only a dead job can be retried");
            let (_, log) = call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}/sent-emails"),
                Some(&manager),
                None
            );
            assert_eq!(log["sent_emails"][0]["outcome"], "dead");
        });

        // Retried (the mailbox works again): delivered once.
        let (mailer, outbox) = Mailer::memory();
        let worker =
            Worker::new(test_db.pool.clone(), mailer, worker_settings(60)).expect("worker");
        assert_eq!(worker.run_batch().expect("batch").sent, 1);
        let sent = outbox.lock().expect("outbox");
        assert!(
            sent[0]
                .1
                .subject
                .starts_with("【期限超過】実績報告の期限を1日過ぎています")
        );
    }
);

/// The CSRF token of a page's forms.
fn csrf_token(page: &str) -> String {
    page.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a form with a CSRF token: {page}"))
        .to_owned()
}

crate::on_both_backends!(
    a_temporary_failure_is_retried_until_dead_and_sent_once_retried_from_the_dead_letters,
    |test_db| {
        const GREYLISTED: &str = "Greylisted by the test server, try again later";
        let world = world(&mut test_db.conn());
        let mut conn = test_db.conn();
        let id = application(&mut conn, world.own_org, ApplicationState::InProgress);
        let programs = hojokin::program::embedded().expect("programs");
        db::deadlines::sync_application(&mut conn, &programs, id).expect("sync");
        let now = at_utc(2027, 3, 11, 1); // T+1: overdue
        scheduler::tick(&mut conn, &ReminderSettings::default(), now).expect("tick");
        let job_id: i64 = jobs::table
            .filter(jobs::kind.eq("reminder"))
            .select(jobs::id)
            .first(&mut *conn)
            .expect("the reminder job");

        // The server answers 451 to every recipient while this file exists.
        let control = tempfile::tempdir().expect("dir");
        let refusing = control.path().join("refusing");
        let refused_log = control.path().join("refused.jsonl");
        std::fs::write(&refusing, "451\n").expect("marker");
        let sink = SmtpSink::start(&[
            "--tempfail-while",
            refusing.to_str().expect("path"),
            "--refused-log",
            refused_log.to_str().expect("path"),
        ]);
        let refusals = || -> Vec<Value> {
            std::fs::read_to_string(&refused_log)
                .unwrap_or_default()
                .lines()
                .map(|line| serde_json::from_str(line).expect("json line"))
                .collect()
        };
        let worker = Worker::new(
            test_db.pool.clone(),
            Mailer::from_config(&sink.backend()).expect("mailer"),
            worker_settings(60),
        )
        .expect("worker");
        let job = |conn: &mut DbConnection| -> (String, i32, NaiveDateTime, Option<String>) {
            jobs::table
                .find(job_id)
                .select((jobs::status, jobs::attempts, jobs::run_at, jobs::last_error))
                .first(conn)
                .expect("job")
        };

        // Attempts 1 to 7: each is refused and put back for later, by the worker's backoff.
        for attempt in 1..=7 {
            let before = db::now();
            let work = worker.run_batch().expect("batch");
            let after = db::now();
            assert_eq!(
                (work.claimed, work.retrying, work.dead, work.sent),
                (1, 1, 0, 0),
                "attempt {attempt}"
            );
            let (status, attempts, run_at, last_error) = job(&mut conn);
            assert_eq!((status.as_str(), attempts), ("queued", attempt));
            let wait = hojokin::jobs::worker::backoff(attempt, job_id);
            assert!(
                before + wait <= run_at && run_at <= after + wait,
                "attempt {attempt}: due again after {wait}, at {run_at} (tried {before}–{after})"
            );
            assert!(
                last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("451") && e.contains(GREYLISTED)),
                "{last_error:?}"
            );
            assert_eq!(
                worker.run_batch().expect("batch").claimed,
                0,
                "attempt {attempt}: not tried again before its backoff is over"
            );
            // Time passes for this job: it is due now, as it would be once the wait is over.
            diesel::update(jobs::table.find(job_id))
                .set(jobs::run_at.eq(db::now() - TimeDelta::seconds(1)))
                .execute(&mut *conn)
                .expect("move run_at");
        }
        // The 8th refusal is the last: the job is a dead letter, and never tried again.
        let work = worker.run_batch().expect("batch");
        assert_eq!(
            (work.claimed, work.retrying, work.dead, work.sent),
            (1, 0, 1, 0)
        );
        let (status, attempts, _, last_error) = job(&mut conn);
        assert_eq!((status.as_str(), attempts), ("dead", 8));
        assert!(
            last_error
                .as_deref()
                .is_some_and(|e| e.contains(GREYLISTED))
        );
        assert_eq!(worker.run_batch().expect("batch").claimed, 0);
        let refused = refusals();
        assert_eq!(
            refused.len(),
            8,
            "the server saw eight attempts: {refused:?}"
        );
        assert!(refused.iter().all(|r| r["to"] == "applicant@own.example"));
        assert!(sink.received().is_empty(), "nothing was accepted");

        block_on(async {
            let app = crate::test_app!(test_db);
            let manager = crate::login!(&app, "manager@meti.example");

            // The sent log has each attempt with the server's answer: seven retries, then dead.
            let (status, log) = call!(
                &app,
                "GET",
                format!("/api/v1/applications/{id}/sent-emails"),
                Some(&manager),
                None
            );
            assert_eq!(status, 200, "{log}");
            let entries = log["sent_emails"].as_array().expect("entries");
            let outcomes: Vec<&str> = entries
                .iter()
                .map(|e| e["outcome"].as_str().expect("outcome"))
                .collect();
            let mut expected = vec!["retrying"; 7];
            expected.push("dead");
            assert_eq!(outcomes, expected, "{log}");
            for entry in entries {
                assert_eq!(entry["job_id"], job_id);
                assert_eq!(entry["recipient"], "applicant@own.example");
                let detail = entry["detail"].as_str().expect("detail");
                assert!(
                    detail.contains("451") && detail.contains(GREYLISTED),
                    "{entry}"
                );
            }

            // The dead-letter list, in the API and on the manager's page.
            let (status, dead) = call!(&app, "GET", "/api/v1/jobs/dead", Some(&manager), None);
            assert_eq!(status, 200, "{dead}");
            assert_eq!(dead["jobs"].as_array().map(Vec::len), Some(1), "{dead}");
            assert_eq!(dead["jobs"][0]["id"], job_id);
            assert_eq!(dead["jobs"][0]["attempts"], 8);
            assert!(
                dead["jobs"][0]["last_error"]
                    .as_str()
                    .is_some_and(|e| e.contains(GREYLISTED)),
                "{dead}"
            );
            let page = |cookie: &str| {
                actix_web::test::TestRequest::get()
                    .uri("/manager/dead-letters")
                    .insert_header(("cookie", cookie.to_owned()))
                    .to_request()
            };
            let response = actix_web::test::call_service(&app, page(&manager)).await;
            assert_eq!(response.status().as_u16(), 200);
            let body = String::from_utf8(actix_web::test::read_body(response).await.to_vec())
                .expect("utf-8");
            let row = body
                .split("<tr>")
                .find(|row| row.starts_with(&format!("<td>{job_id}</td>")))
                .unwrap_or_else(|| panic!("a row for job {job_id}: {body}"));
            assert!(row.contains("<td class=\"num\">8</td>"), "{row}");
            assert!(row.contains(GREYLISTED), "{row}");

            // The server accepts again; the manager retries from the page.
            std::fs::remove_file(&refusing).expect("stop refusing");
            let action = format!("/manager/dead-letters/{job_id}/retry");
            assert!(row.contains(&format!("action=\"{action}\"")), "{row}");
            let token = csrf_token(&body);
            let retried = actix_web::test::call_service(
                &app,
                actix_web::test::TestRequest::post()
                    .uri(&action)
                    .insert_header(("cookie", manager.clone()))
                    .set_form(vec![("csrf_token", token.as_str())])
                    .to_request(),
            )
            .await;
            assert_eq!(retried.status().as_u16(), 303);
        });

        let work = worker.run_batch().expect("batch");
        assert_eq!((work.claimed, work.sent), (1, 1));
        let received = sink.received();
        assert_eq!(received.len(), 1, "{received:?}");
        assert_eq!(received[0]["to"], json!(["applicant@own.example"]));
        assert!(
            received[0]["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("【期限超過】実績報告の期限を1日過ぎています")),
            "{received:?}"
        );
        assert_eq!(refusals().len(), 8, "no refusal after the retry");
        assert_eq!(job(&mut conn).0, "done");
        assert_eq!(worker.run_batch().expect("batch").claimed, 0, "sent once");
        let (outcome, message_id): (String, Option<String>) = sent_emails::table
            .filter(sent_emails::job_id.eq(job_id))
            .order(sent_emails::id.desc())
            .select((sent_emails::outcome, sent_emails::message_id))
            .first(&mut *conn)
            .expect("sent log");
        assert_eq!(outcome, "sent");
        assert_eq!(message_id.as_deref(), received[0]["message_id"].as_str());
        assert!(
            db::jobs::dead(&mut conn).expect("dead letters").is_empty(),
            "the dead-letter list is empty again"
        );
    }
);

crate::on_both_backends!(filing_the_report_cancels_its_pending_reminders, |test_db| {
    let world = world(&mut test_db.conn());
    let mut conn = test_db.conn();
    let id = application(&mut conn, world.own_org, ApplicationState::InProgress);
    let programs = hojokin::program::embedded().expect("programs");
    db::deadlines::sync_application(&mut conn, &programs, id).expect("sync");
    scheduler::tick(
        &mut conn,
        &ReminderSettings::default(),
        at_utc(2027, 3, 3, 1),
    )
    .expect("tick");
    assert_eq!(job_statuses(&mut conn), ["queued"]);

    // The applicant files the 実績報告 through the workflow action, as the page and API do.
    block_on(async {
        let app = crate::test_app!(test_db);
        let applicant = crate::login!(&app, "applicant@own.example");
        let (status, current) = call!(
            &app,
            "GET",
            format!("/api/v1/applications/{id}"),
            Some(&applicant),
            None
        );
        assert_eq!(status, 200, "{current}");
        let version = current["application"]["version"].as_i64().expect("version");
        let (status, outcome) = call!(
            &app,
            "POST",
            format!("/api/v1/applications/{id}/actions/submit_completion_report"),
            Some(&applicant),
            Some(json!({"version": version, "payload": {"body": "完了しました", "actuals": []}}))
        );
        assert_eq!(status, 200, "{outcome}");
        assert_eq!(outcome["state"], "completion_reported");
    });
    assert_eq!(job_statuses(&mut conn), ["cancelled"]);
    let statuses: Vec<String> = deadlines::table
        .filter(deadlines::application_id.eq(id))
        .select(deadlines::status)
        .load(&mut *conn)
        .expect("deadlines");
    assert_eq!(statuses, ["met", "met"]);

    // The worker delivers what the filing caused (the program manager's notice) and no
    // reminder: not the cancelled one, and none on the days the later ones were due.
    let sink = SmtpSink::start(&[]);
    let worker = Worker::new(
        test_db.pool.clone(),
        Mailer::from_config(&sink.backend()).expect("mailer"),
        worker_settings(60),
    )
    .expect("worker");
    let work = worker.run_batch().expect("batch");
    assert_eq!((work.claimed, work.sent), (1, 1), "the notice alone");
    for day in [9, 11, 17] {
        let outcome = scheduler::tick(
            &mut conn,
            &ReminderSettings::default(),
            at_utc(2027, 3, day, 1),
        )
        .expect("tick");
        assert_eq!((outcome.due, outcome.enqueued), (0, 0), "3/{day}");
        assert_eq!(worker.run_batch().expect("batch").claimed, 0, "3/{day}");
    }
    let received = sink.received();
    let to: Vec<&Value> = received.iter().map(|m| &m["to"]).collect();
    assert_eq!(to, [&json!(["manager@meti.example"])], "{received:?}");
    assert!(
        received.iter().all(|m| {
            let subject = m["subject"].as_str().unwrap_or_default();
            !subject.starts_with("【リマインド】") && !subject.starts_with("【期限超過】")
        }),
        "{received:?}"
    );
    let templates: Vec<String> = sent_emails::table
        .select(sent_emails::template)
        .load(&mut *conn)
        .expect("sent log");
    assert_eq!(templates, ["completion_reported"]);
    assert_eq!(job_statuses(&mut conn), ["cancelled"]);
});

/// `count` open deadlines of one application, due tomorrow 17:00 JST, so that with reminders
/// sent at 00:00 JST the T-1 reminder of each is due now whatever the hour.
fn due_tomorrow(conn: &mut DbConnection, application_id: i64, count: i32) {
    let today = utc_to_jst(db::now()).date();
    let tomorrow = today.succ_opt().expect("tomorrow");
    let due_at =
        jst_to_utc(tomorrow, NaiveTime::from_hms_opt(17, 0, 0).expect("17:00")).expect("instant");
    let rows: Vec<_> = (1..=count)
        .map(|sequence| {
            (
                deadlines::application_id.eq(application_id),
                deadlines::kind.eq("completion_report"),
                deadlines::sequence.eq(sequence),
                deadlines::due_at.eq(due_at),
                deadlines::status.eq("open"),
                deadlines::created_at.eq(db::now()),
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        hojokin::on_backend!(conn, c => diesel::insert_into(deadlines::table)
            .values(chunk)
            .execute(c))
        .expect("deadlines");
    }
}

fn remind_once(test_db: &TestDb, sink: &SmtpSink, lease: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hojokin"));
    command
        .current_dir(sink.dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOJOKIN_DATABASE_URL", test_db.url_string())
        .env("HOJOKIN_DATA_DIR", sink.dir().join("data"))
        .env("HOJOKIN_MAIL_BACKEND", "smtp")
        .env("HOJOKIN_SMTP_HOST", "127.0.0.1")
        .env("HOJOKIN_SMTP_PORT", sink.port.to_string())
        .env("HOJOKIN_SMTP_TLS", "none")
        .env("HOJOKIN_REMINDER_SEND_TIME", "00:00")
        .env("HOJOKIN_JOB_LEASE_SECONDS", lease)
        .env("RUST_LOG", "warn")
        .args(["remind", "--once", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn assert_each_once(received: &[Value], expected: usize) {
    let ids: HashSet<&str> = received
        .iter()
        .map(|m| m["message_id"].as_str().expect("message id"))
        .collect();
    assert_eq!(ids.len(), expected, "distinct messages");
    let mut seen = HashSet::new();
    let twice: Vec<&str> = received
        .iter()
        .filter_map(|m| m["message_id"].as_str())
        .filter(|id| !seen.insert(*id))
        .collect();
    assert!(twice.is_empty(), "arrived twice: {twice:?}");
}

crate::on_both_backends!(
    a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice,
    |test_db| {
        let world = world(&mut test_db.conn());
        let mut conn = test_db.conn();
        let id = application(&mut conn, world.own_org, ApplicationState::InProgress);
        due_tomorrow(&mut conn, id, 40);
        let sink_dir = tempfile::tempdir().expect("dir");
        let marker = sink_dir.path().join("holding");
        // From the 15th message on, the server holds (and never accepts) what it gets, while the
        // worker is killed waiting for its answers.
        let sink = SmtpSink::start(&[
            "--hold-at",
            "15",
            "--hold-marker",
            marker.to_str().expect("path"),
            "--delay-ms",
            "5",
        ]);
        let mut first = remind_once(test_db, &sink, "5").spawn().expect("remind");
        let started = Instant::now();
        while !marker.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the worker never reached the 15th message"
            );
            if let Some(status) = first.try_wait().expect("wait") {
                panic!("the worker ended early: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Every message from the 15th on is held unaccepted. The kill comes once the 14 accepted
        // before it are in the sent log: a kill between the server's "250" and that commit is
        // the one case that sends twice (README), and this test is about every other moment.
        let recorded = |conn: &mut DbConnection| -> i64 {
            sent_emails::table
                .filter(sent_emails::outcome.eq("sent"))
                .count()
                .get_result(conn)
                .expect("sent log")
        };
        let started = Instant::now();
        loop {
            let accepted = sink.received().len();
            let in_log = recorded(&mut conn);
            if accepted >= 14 && in_log == i64::try_from(accepted).expect("count") {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server accepted {accepted} messages, the sent log has {in_log}"
            );
            if let Some(status) = first.try_wait().expect("wait") {
                panic!("the worker ended early: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        first.kill().expect("SIGKILL");
        first.wait().expect("reaped");
        let before = sink.received().len();
        assert!(
            (14..40).contains(&before),
            "{before} accepted before the kill"
        );
        let running: i64 = jobs::table
            .filter(jobs::status.eq("running"))
            .count()
            .get_result(&mut *conn)
            .expect("count");
        assert!(running >= 1, "the killed worker held jobs");

        // A new worker once the killed one's lease (5 s) is over: everything arrives, nothing
        // twice.
        let started = Instant::now();
        loop {
            let held: i64 = jobs::table
                .filter(jobs::status.eq("running"))
                .filter(jobs::locked_until.ge(db::now()))
                .count()
                .get_result(&mut *conn)
                .expect("count");
            if held == 0 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the killed worker's lease never ran out: {held} jobs still held"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let output = remind_once(test_db, &sink, "5").output().expect("remind");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_each_once(&sink.received(), 40);
        assert_eq!(job_statuses(&mut conn), vec!["done".to_owned(); 40]);
        let sent: i64 = sent_emails::table
            .filter(sent_emails::outcome.eq("sent"))
            .count()
            .get_result(&mut *conn)
            .expect("sent");
        assert_eq!(sent, 40);
    }
);

#[test]
fn two_instances_on_postgres_share_1000_reminders() {
    let Some(test_db) = TestDb::migrated(crate::helpers::Backend::Postgres) else {
        return;
    };
    let world = world(&mut test_db.conn());
    let mut conn = test_db.conn();
    let id = application(&mut conn, world.own_org, ApplicationState::InProgress);
    due_tomorrow(&mut conn, id, 1000);
    let sink = SmtpSink::start(&[]);
    let a = remind_once(&test_db, &sink, "60").spawn().expect("first");
    let b = remind_once(&test_db, &sink, "60").spawn().expect("second");
    let mut sent_by = Vec::new();
    for child in [a, b] {
        let output = child.wait_with_output().expect("finished");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let outcome: Value = serde_json::from_slice(&output.stdout).expect("json outcome");
        sent_by.push(outcome["work"]["sent"].as_u64().expect("sent"));
    }
    assert_eq!(sent_by.iter().sum::<u64>(), 1000, "{sent_by:?}");
    assert!(
        sent_by.iter().all(|n| *n > 0),
        "both instances delivered: {sent_by:?}"
    );
    let received = sink.received();
    assert_each_once(&received, 1000);
    let statuses: HashMap<String, usize> =
        job_statuses(&mut conn)
            .into_iter()
            .fold(HashMap::new(), |mut counts, status| {
                *counts.entry(status).or_default() += 1;
                counts
            });
    assert_eq!(statuses.get("done"), Some(&1000), "{statuses:?}");
}

/// `hojokin serve` on the test database, sending through `sink` with a lease of `lease`
/// seconds; its log goes to `serve-<name>.log` beside the sink's.
fn serve(test_db: &TestDb, sink: &SmtpSink, name: &str, lease: &str) -> Child {
    let log = std::fs::File::create(sink.dir().join(format!("serve-{name}.log"))).expect("log");
    Command::new(env!("CARGO_BIN_EXE_hojokin"))
        .current_dir(sink.dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOJOKIN_DATABASE_URL", test_db.url_string())
        .env("HOJOKIN_DATA_DIR", sink.dir().join(format!("data-{name}")))
        .env("HOJOKIN_BIND", "127.0.0.1:0")
        .env("HOJOKIN_MAIL_BACKEND", "smtp")
        .env("HOJOKIN_SMTP_HOST", "127.0.0.1")
        .env("HOJOKIN_SMTP_PORT", sink.port.to_string())
        .env("HOJOKIN_SMTP_TLS", "none")
        .env("HOJOKIN_REMINDER_SEND_TIME", "00:00")
        .env("HOJOKIN_JOB_LEASE_SECONDS", lease)
        .env("RUST_LOG", "warn")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("hojokin serve")
}

/// Server processes that are killed when the test ends, however it ends.
struct Instances(Vec<Child>);

impl Drop for Instances {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits for `condition`, failing after `limit` with `what`.
fn wait_for(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < limit, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One send attempt as the test reads it: (message id, worker, outcome; None while unanswered).
type Attempt = (String, String, Option<String>);

/// Whether a worker id ("host:pid:random") is that of process `pid`.
fn of_process(pid: u32, worker: &str) -> bool {
    worker.split(':').nth(1) == Some(pid.to_string().as_str())
}

fn attempts(conn: &mut DbConnection) -> Vec<Attempt> {
    send_attempts::table
        .order(send_attempts::id)
        .select((
            send_attempts::message_id,
            send_attempts::worker,
            send_attempts::outcome,
        ))
        .load(conn)
        .expect("attempts")
}

crate::on_both_backends!(
    /// Two `serve` instances share 500 reminders through an SMTP server that takes 3 s to
    /// accept each message, so that a batch (32 jobs over 16 connections) takes longer than the
    /// 5 s lease; one instance is SIGKILLed while it has messages on the wire. Every reminder
    /// arrives, and the only copies that arrive twice are those the killed instance had sent
    /// without hearing the answer: each of them is an attempt in the log that was never
    /// completed, and the manager's page counts them.
    two_instances_on_a_slow_server_send_twice_only_what_a_killed_one_left_unanswered,
    |test_db| {
        const REMINDERS: usize = 500;
        let world = world(&mut test_db.conn());
        let mut conn = test_db.conn();
        let id = application(&mut conn, world.own_org, ApplicationState::InProgress);
        due_tomorrow(&mut conn, id, i32::try_from(REMINDERS).expect("count"));
        let sink = SmtpSink::start(&["--delay-ms", "3000"]);
        let mut instances = Instances(vec![
            serve(test_db, &sink, "killed", "5"),
            serve(test_db, &sink, "survivor", "5"),
        ]);
        let killed_pid = instances.0[0].id();
        let survivor_pid = instances.0[1].id();

        // Killed a fifth of the way in, while it has messages on the wire.
        wait_for(
            "a fifth delivered while the first instance sends",
            Duration::from_secs(300),
            || {
                sink.received().len() >= REMINDERS / 5
                    && attempts(&mut conn)
                        .iter()
                        .any(|(_, worker, outcome)| outcome.is_none() && of_process(killed_pid, worker))
            },
        );
        instances.0[0].kill().expect("SIGKILL");
        instances.0[0].wait().expect("reaped");
        let done = |conn: &mut DbConnection| -> i64 {
            jobs::table
                .filter(jobs::kind.eq("reminder"))
                .filter(jobs::status.eq("done"))
                .count()
                .get_result(conn)
                .expect("count")
        };
        wait_for(
            "every reminder done by the surviving instance",
            Duration::from_secs(600),
            || {
                if let Some(status) = instances.0[1].try_wait().expect("wait") {
                    panic!("the surviving instance ended: {status}");
                }
                done(&mut conn) == i64::try_from(REMINDERS).expect("count")
            },
        );
        // A message the killed instance left on the wire is logged by the server within its
        // 3 s delay, before the lease of 5 s lets the survivor send it again.
        drop(instances);

        let received = sink.received();
        let mut copies: HashMap<String, usize> = HashMap::new();
        for message in &received {
            *copies
                .entry(message["message_id"].as_str().expect("message id").to_owned())
                .or_default() += 1;
        }
        let log = attempts(&mut conn);
        let count = |message_id: &str, wanted: &dyn Fn(&Attempt) -> bool| {
            log.iter()
                .filter(|attempt| attempt.0 == message_id && wanted(attempt))
                .count()
        };
        let unanswered = log.iter().filter(|attempt| attempt.2.is_none()).count();
        let accepted = log
            .iter()
            .filter(|attempt| attempt.2.as_deref() == Some("accepted"))
            .count();
        let twice = copies.values().filter(|n| **n > 1).count();
        eprintln!(
            "{} messages received for {} reminders ({twice} more than once); {} attempts \
             logged, {accepted} accepted, {unanswered} unanswered",
            received.len(),
            copies.len(),
            log.len()
        );
        assert_eq!(copies.len(), REMINDERS, "every reminder arrived");
        for (message_id, received) in &copies {
            assert!(
                count(message_id, &|_| true) >= *received,
                "{message_id} arrived {received} times: an attempt is logged for each"
            );
            assert_eq!(
                count(message_id, &|attempt| attempt.2.as_deref() == Some("accepted")),
                1,
                "{message_id}: exactly one attempt was answered with acceptance"
            );
            let cut_off = count(message_id, &|attempt| {
                attempt.2.is_none() && of_process(killed_pid, &attempt.1)
            });
            assert!(
                received - 1 <= cut_off,
                "{message_id} arrived {received} times with {cut_off} attempts of the killed \
                 instance left unanswered: a copy outside the send-then-crash window"
            );
        }
        assert!(
            log.iter()
                .filter(|attempt| attempt.2.is_none())
                .all(|attempt| of_process(killed_pid, &attempt.1)),
            "only the killed instance left attempts unanswered"
        );
        assert!(
            log.iter().any(|attempt| of_process(survivor_pid, &attempt.1))
                && log.iter().any(|attempt| of_process(killed_pid, &attempt.1)),
            "both instances sent"
        );
        assert_eq!(job_statuses(&mut conn), vec!["done".to_owned(); REMINDERS]);
        let sent: i64 = sent_emails::table
            .filter(sent_emails::outcome.eq("sent"))
            .count()
            .get_result(&mut *conn)
            .expect("sent");
        assert_eq!(sent, i64::try_from(REMINDERS).expect("count"));

        // The manager sees every job the killed instance left unanswered: each was sent again.
        let cut_off_jobs: HashSet<&str> = log
            .iter()
            .filter(|attempt| attempt.2.is_none())
            .map(|attempt| attempt.0.as_str())
            .collect();
        assert!(!cut_off_jobs.is_empty(), "the kill cut messages off");
        block_on(async {
            let app = crate::test_app!(test_db);
            let manager = crate::login!(&app, "manager@meti.example");
            let request = actix_web::test::TestRequest::get()
                .uri("/manager/reminders")
                .insert_header(("cookie", manager))
                .to_request();
            let response = actix_web::test::call_service(&app, request).await;
            assert_eq!(response.status().as_u16(), 200);
            let body = String::from_utf8(actix_web::test::read_body(response).await.to_vec())
                .expect("utf-8");
            assert!(
                body.contains(&format!(
                    "<span class=\"over\">{} 件</span>のメールは",
                    cut_off_jobs.len()
                )),
                "{body}"
            );
            assert!(
                body.contains("<code>&lt;hojokin.job") && !body.contains("<code><hojokin.job"),
                "Message-IDs shown escaped"
            );
            assert!(body.contains("応答なし（送信中または中断）"));
        });
    }
);

#[test]
fn holidays_and_roll_forward_2025_to_2027_match_an_independent_list() {
    let output = Command::new("python3")
        .arg(format!("{SUPPORT}/jp_holidays.py"))
        .args(["2025", "2027"])
        .output()
        .expect("python3 with the holidays package (scripts/setup installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reference: Value = serde_json::from_slice(&output.stdout).expect("json");
    let theirs: Vec<String> = reference["holidays"]
        .as_object()
        .expect("holidays")
        .keys()
        .cloned()
        .collect();
    let ours: Vec<String> = (2025..=2027)
        .flat_map(holidays::holidays_of_year)
        .map(|(date, _)| date.to_string())
        .collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 54);
    let mut checked = 0;
    for (day, next) in reference["next_business_day"].as_object().expect("map") {
        let day: NaiveDate = day.parse().expect("date");
        let expected: NaiveDate = next.as_str().expect("date").parse().expect("date");
        assert_eq!(
            holidays::next_business_day_on_or_after(day),
            Some(expected),
            "{day}"
        );
        checked += 1;
    }
    assert_eq!(checked, 365 * 3);
}

crate::on_both_backends!(each_user_has_a_calendar_feed_and_preferences, |test_db| {
    let world = world(&mut test_db.conn());
    let id = {
        let mut conn = test_db.conn();
        let id = application(&mut conn, world.own_org, ApplicationState::InProgress);
        let programs = hojokin::program::embedded().expect("programs");
        db::deadlines::sync_application(&mut conn, &programs, id).expect("sync");
        id
    };
    block_on(async {
        let app = crate::test_app!(test_db);
        let applicant = crate::login!(&app, "applicant@own.example");
        let other = crate::login!(&app, "applicant@other.example");
        let (status, mine) = call!(
            &app,
            "GET",
            "/api/v1/me/notifications",
            Some(&applicant),
            None
        );
        assert_eq!(status, 200, "{mine}");
        assert_eq!(mine["preferences"]["notify_by_email"], true);
        let url = mine["calendar_url"].as_str().expect("url").to_owned();
        let path = url
            .split_once("/calendar/")
            .map(|(_, rest)| format!("/calendar/{rest}"))
            .expect("path");
        let (_, again) = call!(
            &app,
            "GET",
            "/api/v1/me/notifications",
            Some(&applicant),
            None
        );
        assert_eq!(again["calendar_url"], url.as_str(), "the token is kept");

        let request = actix_web::test::TestRequest::get().uri(&path).to_request();
        let response = actix_web::test::call_service(&app, request).await;
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/calendar"))
        );
        let body =
            String::from_utf8(actix_web::test::read_body(response).await.to_vec()).expect("utf-8");
        let unfolded = body.replace("\r\n ", "");
        assert!(unfolded.starts_with("BEGIN:VCALENDAR\r\n"));
        assert_eq!(unfolded.matches("BEGIN:VEVENT").count(), 2, "{unfolded}");
        assert!(
            unfolded.contains("DTEND:20270310T080000Z"),
            "17:00 JST is 08:00 UTC"
        );
        assert!(unfolded.contains("SUMMARY:実績報告"));
        assert!(unfolded.contains(&format!("/applications/{id}")));

        // Another applicant's feed has none of these deadlines.
        let (_, theirs) = call!(&app, "GET", "/api/v1/me/notifications", Some(&other), None);
        let their_path = theirs["calendar_url"]
            .as_str()
            .and_then(|u| u.split_once("/calendar/"))
            .map(|(_, rest)| format!("/calendar/{rest}"))
            .expect("path");
        let request = actix_web::test::TestRequest::get()
            .uri(&their_path)
            .to_request();
        let body =
            actix_web::test::read_body(actix_web::test::call_service(&app, request).await).await;
        assert!(!String::from_utf8_lossy(&body).contains("BEGIN:VEVENT"));
        let request = actix_web::test::TestRequest::get()
            .uri("/calendar/00ff.ics")
            .to_request();
        assert_eq!(
            actix_web::test::call_service(&app, request)
                .await
                .status()
                .as_u16(),
            404
        );

        let (status, saved) = call!(
            &app,
            "PUT",
            "/api/v1/me/notifications",
            Some(&applicant),
            Some(
                json!({"notify_by_email": true, "reminder_offsets": "+3, -30", "weekly_digest": false})
            )
        );
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["preferences"]["reminder_offsets"], "-30,+3");
        let (status, _) = call!(
            &app,
            "PUT",
            "/api/v1/me/notifications",
            Some(&applicant),
            Some(json!({"notify_by_email": true, "reminder_offsets": "-365"}))
        );
        assert_eq!(status, 422);
    });
    // The user's own offsets now decide: T-30 of the 3/10 deadline is due on 2/8.
    let mut conn = test_db.conn();
    let outcome = scheduler::tick(
        &mut conn,
        &ReminderSettings::default(),
        at_utc(2027, 2, 8, 1),
    )
    .expect("tick");
    assert_eq!(outcome.due, 1);
    let key: Option<String> = jobs::table
        .select(jobs::unique_key)
        .first(&mut *conn)
        .expect("job");
    assert!(key.is_some_and(|k| k.starts_with(&format!("reminder:{id}:")) && k.contains(":-30:")));
    let _ = TimeDelta::zero();
});

// When filings are due is programme data: a year whose `[deadlines]` gives 21 days to answer a
// 差戻し and no roll-forward moves that deadline accordingly.
crate::on_both_backends!(the_programme_file_says_when_filings_are_due, |test_db| {
    let world = world(&mut test_db.conn());
    let mut conn = test_db.conn();
    let id = application(
        &mut conn,
        world.own_org,
        ApplicationState::ReturnedForCorrection,
    );
    let shipped = hojokin::program::embedded().expect("programs");
    let sources: Vec<(String, String)> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/forms/programs"))
            .expect("dir")
            .map(|entry| {
                let path = entry.expect("entry").path();
                let text = std::fs::read_to_string(&path).expect("read");
                let text = if path.ends_with("2026.toml") {
                    assert!(
                        text.contains("correction_answer_days = { value = 14,")
                            && text.contains("roll_forward = { value = true,")
                    );
                    text.replacen(
                        "correction_answer_days = { value = 14,",
                        "correction_answer_days = { value = 21,",
                        1,
                    )
                    .replacen(
                        "roll_forward = { value = true,",
                        "roll_forward = { value = false,",
                        1,
                    )
                } else {
                    text
                };
                (
                    path.file_name()
                        .expect("name")
                        .to_string_lossy()
                        .into_owned(),
                    text,
                )
            })
            .collect();
    let changed =
        hojokin::program::from_sources(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .expect("changed rules");
    let mut answer_due = |programs: &hojokin::domain::program::ProgramSet| {
        let (_, deadlines) = db::deadlines::derived_for(&mut conn, programs, id).expect("derive");
        let answer = deadlines
            .into_iter()
            .find(|d| d.kind.code() == "correction_answer")
            .expect("a 差戻し answer deadline");
        (answer.nominal_date, answer.due_date)
    };
    let (nominal_14, _) = answer_due(&shipped);
    let (nominal_21, due_21) = answer_due(&changed);
    assert_eq!(nominal_21 - nominal_14, chrono::Duration::days(7));
    assert_eq!(
        due_21, nominal_21,
        "no roll-forward when the programme says so"
    );
});

crate::on_both_backends!(
    /// `hojokin remind --dry-run` (README, *Deadlines and reminders*) on the demo data: what
    /// would be sent and when, as a table or as JSON, from now or from `--at`, and nothing
    /// written. The demo's 実績報告 of R8-0004 is due 令和9年3月10日（水）17:00, with reminders
    /// on 2/24, 3/3 and 3/9, then 3/11 and 3/17 if it is still missing.
    remind_dry_run_plans_the_demo_reminders_and_writes_nothing,
    |test_db| {
        let dir = tempfile::tempdir().expect("temp dir");
        let hojokin = |args: &[&str]| {
            let output = Command::new(env!("CARGO_BIN_EXE_hojokin"))
                .args(args)
                .current_dir(dir.path())
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("HOJOKIN_DATABASE_URL", test_db.url_string())
                .env("HOJOKIN_DATA_DIR", dir.path().join("data"))
                .env("RUST_LOG", "warn")
                .output()
                .expect("run hojokin");
            assert!(
                output.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8(output.stdout).expect("utf-8")
        };
        hojokin(&["seed", "--demo"]);
        let rows = |conn: &mut DbConnection| -> [i64; 3] {
            [
                jobs::table.count().get_result(conn).expect("jobs"),
                sent_emails::table.count().get_result(conn).expect("sent"),
                deadlines::table.count().get_result(conn).expect("deadlines"),
            ]
        };
        let before = rows(&mut test_db.conn());

        // From now, just after the demo was loaded: the 差戻し of R8-0005 waits for its answer.
        let table = hojokin(&["remind", "--dry-run"]);
        assert!(
            table.contains("R8-0005") && table.contains("差戻しへの回答"),
            "{table}"
        );

        let table = hojokin(&["remind", "--dry-run", "--at", "2027-03-03T10:00:00+09:00"]);
        let line = table
            .lines()
            .find(|line| line.starts_with("2027-03-03 09:00"))
            .unwrap_or_else(|| panic!("the reminder due at 2027-03-03 09:00: {table}"));
        for part in [
            "due now",
            "R8-0004",
            "令和9年3月10日（水）17:00",
            "実績報告（7日前）",
            "yamada@misogigawa.example",
        ] {
            assert!(line.contains(part), "{part} in {line}");
        }

        let plan: Value = serde_json::from_str(&hojokin(&[
            "remind",
            "--dry-run",
            "--at",
            "2027-02-24T08:00:00+09:00",
            "--json",
        ]))
        .expect("json");
        let completion: Vec<(&str, i64, &str)> = plan
            .as_array()
            .expect("a list")
            .iter()
            .filter(|r| r["reference"] == "R8-0004" && r["kind"] == "completion_report")
            .map(|r| {
                assert_eq!(r["due"], "令和9年3月10日（水）17:00");
                (
                    r["send_at_jst"].as_str().expect("time"),
                    r["offset"].as_i64().expect("offset"),
                    r["state"].as_str().expect("state"),
                )
            })
            .collect();
        assert_eq!(
            completion,
            [
                ("2027-02-24T09:00:00", -14, "scheduled"),
                ("2027-03-03T09:00:00", -7, "scheduled"),
                ("2027-03-09T09:00:00", -1, "scheduled"),
                ("2027-03-11T09:00:00", 1, "scheduled"),
                ("2027-03-17T09:00:00", 7, "scheduled"),
            ]
        );

        assert_eq!(rows(&mut test_db.conn()), before, "a dry run writes nothing");
    }
);
