//! The program manager's working pages, in process, on both backends: the deadline
//! calendar, the reminder log, the dead letters with their retry, the award-list import
//! through the job queue, and the name-review queue. Every page refuses the other roles.

use actix_web::test::{TestRequest, call_service, read_body};
use diesel::prelude::*;
use hojokin::db::schema::{
    award_imports, award_members, awards, deadlines, jobs, name_reviews, organisation_aliases,
    organisations,
};
use hojokin::db::{self, DbConnection};
use hojokin::domain::deadlines::jst_to_utc;

use super::{Client, Page, csrf_of, form, upload_request};
use crate::fixtures::{PASSWORD, world};
use crate::helpers::{TestDb, block_on};

/// The award-list upload form as the page sends it: the token first, then the file.
fn upload(csrf: Option<&str>, file_name: &str, bytes: &[u8]) -> TestRequest {
    let mut parts: Vec<super::Part<'_>> = Vec::new();
    if let Some(token) = csrf {
        parts.push(("csrf_token", None, token.as_bytes()));
    }
    parts.push(("file", Some((file_name, "text/csv")), bytes));
    upload_request("/manager/awards/import", &parts)
}

/// The upload form with its 文字コード chosen.
fn upload_as(csrf: &str, encoding: &str, file_name: &str, bytes: &[u8]) -> TestRequest {
    upload_request(
        "/manager/awards/import",
        &[
            ("csrf_token", None, csrf.as_bytes()),
            ("encoding", None, encoding.as_bytes()),
            ("file", Some((file_name, "text/csv")), bytes),
        ],
    )
}

/// The header and the first ten awards of the shipped list (each a sole applicant), as UTF-8
/// text and as Excel on a Japanese Windows saves it (CP932).
fn shipped_lines() -> (String, Vec<u8>) {
    let text: String = hojokin::forms::AWARD_LISTS[0]
        .1
        .lines()
        .take(11)
        .map(|line| format!("{line}\r\n"))
        .collect();
    let (encoded, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable, "every character has a CP932 code");
    let encoded = encoded.into_owned();
    assert!(std::str::from_utf8(&encoded).is_err(), "not UTF-8 too");
    (text, encoded)
}

/// The cell of day `day` in the calendar table.
fn day_cell(body: &str, day: u32) -> String {
    let marker = format!("<span class=\"day\">{day}<span class=\"visually-hidden\">日</span>");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("day {day}: {body}"));
    let rest = &body[start..];
    rest[..rest.find("</td>").expect("cell end")].to_owned()
}

/// The whole `<td …>…</td>` of day `day` in the calendar table, its opening tag included.
fn day_td(body: &str, day: u32) -> String {
    let marker = format!("<span class=\"day\">{day}<span class=\"visually-hidden\">日</span>");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("day {day}: {body}"));
    let start = body[..at].rfind("<td").expect("cell start");
    let rest = &body[start..];
    rest[..rest.find("</td>").expect("cell end")].to_owned()
}

/// The fixture draft through the API; returns (id, reference).
macro_rules! application {
    ($app:expr, $w:expr) => {{
        let (id, created) = create_draft!($app, $w);
        let reference = created["application"]["reference"]
            .as_str()
            .expect("reference")
            .to_owned();
        (id, reference)
    }};
}

fn add_deadline(
    conn: &mut DbConnection,
    application_id: i64,
    kind: &str,
    sequence: i32,
    (y, m, d): (i32, u32, u32),
    status: &str,
) {
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let due_at = jst_to_utc(
        date,
        chrono::NaiveTime::from_hms_opt(17, 0, 0).expect("time"),
    )
    .expect("due");
    diesel::insert_into(deadlines::table)
        .values((
            deadlines::application_id.eq(application_id),
            deadlines::kind.eq(kind),
            deadlines::sequence.eq(sequence),
            deadlines::due_at.eq(due_at),
            deadlines::status.eq(status),
            deadlines::created_at.eq(db::now()),
        ))
        .execute(conn)
        .expect("deadline");
}

crate::on_both_backends!(
    the_calendar_shows_each_deadline_on_its_day_and_marks_the_overdue,
    |test_db| {
        let w = {
            let mut conn = test_db.conn();
            world(&mut conn)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let (id, reference) = application!(&app, w);
            {
                let mut conn = test_db.conn();
                // Long past and still open: overdue. Met: not overdue. Far ahead: open.
                add_deadline(&mut conn, id, "completion_report", 7, (2020, 1, 15), "open");
                add_deadline(&mut conn, id, "interim_report", 7, (2020, 1, 20), "met");
                add_deadline(
                    &mut conn,
                    id,
                    "continuation_survey",
                    7,
                    (2099, 5, 11),
                    "open",
                );
            }
            let mut manager = Client { cookie: None };
            page_login!(&app, manager, "manager@meti.example");

            let page = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/calendar?month=2020-01")
            );
            assert_eq!(page.status, 200, "{}", page.body);
            assert!(
                page.body
                    .contains("<caption>令和2年1月（2020年1月）の期限</caption>"),
                "{}",
                page.body
            );
            assert!(
                page.body
                    .contains("<th scope=\"col\"><abbr title=\"日曜日\">日</abbr></th>")
            );
            let overdue = day_cell(&page.body, 15);
            assert!(overdue.contains(&reference), "{overdue}");
            assert!(
                overdue.contains("一般社団法人しおじり未来人材機構"),
                "{overdue}"
            );
            assert!(overdue.contains("実績報告"), "{overdue}");
            assert!(
                overdue.contains("<li class=\"overdue\"><strong>期限超過</strong>"),
                "red and in words: {overdue}"
            );
            assert!(overdue.contains(&format!("href=\"/applications/{id}\"")));
            let met = day_cell(&page.body, 20);
            assert!(met.contains("対応済") && !met.contains("期限超過"), "{met}");
            assert!(
                !day_cell(&page.body, 16).contains(&reference),
                "only on its day"
            );
            assert!(
                page.body
                    .contains("href=\"/manager/calendar?month=2019-12\"")
            );
            assert!(
                page.body
                    .contains("href=\"/manager/calendar?month=2020-02\"")
            );

            let future = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/calendar?month=2099-05")
            );
            let open = day_cell(&future.body, 11);
            assert!(
                open.contains("継続状況調査への回答") && !open.contains("期限超過"),
                "{open}"
            );

            // Without a month: this month in Japan.
            let today = hojokin::clock::today_in_japan();
            let this_month = hojokin::domain::calendar::YearMonth::of(today);
            let current = send!(manager, &app, TestRequest::get().uri("/manager/calendar"));
            assert!(
                current.body.contains(&format!(
                    "<caption>{}（{}年{}月）の期限</caption>",
                    this_month.wareki(),
                    this_month.year(),
                    this_month.month()
                )),
                "{}",
                current.body
            );
            assert!(
                current.body.contains("aria-current=\"date\""),
                "today is marked"
            );
            let bad = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/calendar?month=2020-13")
            );
            assert_eq!(bad.status, 400);

            // The main page lists the next deadlines and counts the overdue one.
            let home = send!(manager, &app, TestRequest::get().uri("/manager"));
            let next = &home.body[home.body.find("id=\"next-deadlines\"").expect("list")..];
            assert!(
                next.contains("継続状況調査への回答") && next.contains(&reference),
                "{next}"
            );
            let overdue: i64 = deadlines::table
                .filter(deadlines::status.eq("open"))
                .filter(deadlines::due_at.lt(db::now()))
                .count()
                .get_result(&mut test_db.conn())
                .expect("count");
            assert!(overdue >= 1);
            assert!(
                home.body
                    .contains(&format!("期限を過ぎて未対応のものが {overdue} 件")),
                "{}",
                home.body
            );
        });
    }
);

crate::on_both_backends!(
    the_calendar_shades_weekends_and_holidays_and_says_so_in_words,
    |test_db| {
        {
            let mut conn = test_db.conn();
            world(&mut conn);
        }
        block_on(async {
            let app = crate::test_app!(test_db);
            let mut manager = Client { cookie: None };
            page_login!(&app, manager, "manager@meti.example");
            let november = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/calendar?month=2026-11")
            );
            assert_eq!(november.status, 200, "{}", november.body);
            // 11月3日 (Tuesday) is 文化の日: shaded and named where everyone sees it.
            let holiday = day_td(&november.body, 3);
            assert!(
                holiday.starts_with("<td class=\"holiday\">")
                    && holiday.contains("<span class=\"day-off\">（祝日: 文化の日）</span>"),
                "{holiday}"
            );
            // A weekend is named by its column; the words are there for screen readers.
            let saturday = day_td(&november.body, 7);
            assert!(
                saturday.starts_with("<td class=\"saturday\">")
                    && saturday.contains("<span class=\"visually-hidden\">（土）</span>"),
                "{saturday}"
            );
            let sunday = day_td(&november.body, 8);
            assert!(
                sunday.starts_with("<td class=\"sunday\">")
                    && sunday.contains("<span class=\"visually-hidden\">（日）</span>"),
                "{sunday}"
            );
            // 11月23日 is a Monday holiday; 11月4日 is an ordinary Wednesday.
            assert!(day_td(&november.body, 23).contains("（祝日: 勤労感謝の日）"));
            let weekday = day_td(&november.body, 4);
            assert!(
                weekday.starts_with("<td>") && !weekday.contains("（"),
                "{weekday}"
            );
            let shaded = november.body.matches("<td class=\"").count();
            // 9 weekend days and 2 holidays in November 2026, plus the empty cells of the grid.
            let empty = november.body.matches("<td class=\"empty\">").count();
            assert_eq!(shaded - empty, 11, "{}", november.body);

            // The year-end closure: 元日 is both, and Saturday 1月2日 is closed as well.
            let january = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/calendar?month=2027-01")
            );
            assert!(
                day_td(&january.body, 1).contains("（祝日: 元日・年末年始の閉庁日）"),
                "{}",
                january.body
            );
            let second = day_td(&january.body, 2);
            assert!(
                second.starts_with("<td class=\"holiday\">")
                    && second.contains("<span class=\"day-off\">（土・年末年始の閉庁日）</span>"),
                "{second}"
            );
            assert!(day_td(&january.body, 11).contains("（祝日: 成人の日）"));
        });
    }
);

crate::on_both_backends!(
    reminder_log_lists_sent_emails_newest_first_by_page,
    |test_db| {
        let w = {
            let mut conn = test_db.conn();
            world(&mut conn)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let (id, reference) = application!(&app, w);
            {
                let mut conn = test_db.conn();
                for n in 0..55 {
                    let recipient = format!("member{n}@own.example");
                    let subject = format!("【リマインド】実績報告の提出期限 {n}");
                    db::sent_emails::record(
                        &mut conn,
                        &db::sent_emails::NewSentEmail {
                            job_id: None,
                            application_id: Some(id),
                            deadline_id: None,
                            recipient: &recipient,
                            template: hojokin::domain::delivery::MailKind::Reminder,
                            message_id: Some("<m@hojokin>"),
                            outcome: hojokin::domain::delivery::SentOutcome::Sent,
                            detail: None,
                            subject: Some(&subject),
                        },
                    )
                    .expect("sent log");
                }
            }
            let mut manager = Client { cookie: None };
            page_login!(&app, manager, "manager@meti.example");
            let first = send!(manager, &app, TestRequest::get().uri("/manager/reminders"));
            assert_eq!(first.status, 200);
            assert!(
                first.body.contains("全 55 件中 1〜50 件目"),
                "{}",
                first.body
            );
            let newest = first.body.find("member54@own.example").expect("newest");
            let older = first.body.find("member53@own.example").expect("older");
            assert!(newest < older, "newest first");
            assert!(first.body.contains("【リマインド】実績報告の提出期限 54"));
            assert!(
                first
                    .body
                    .contains(&format!("<a href=\"/applications/{id}\">{reference}</a>"))
            );
            assert!(first.body.contains("期限のリマインド") && first.body.contains("送信済み"));
            assert!(
                !first.body.contains("member4@own.example<"),
                "page 2 holds the oldest"
            );
            let second = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/reminders?page=2")
            );
            assert!(
                second.body.contains("全 55 件中 51〜55 件目"),
                "{}",
                second.body
            );
            assert!(second.body.contains("member0@own.example"));
            assert!(second.body.contains("href=\"/manager/reminders?page=1\""));
        });
    }
);

crate::on_both_backends!(a_dead_letter_is_queued_again_from_its_page, |test_db| {
    {
        let mut conn = test_db.conn();
        world(&mut conn);
        hojokin::db::jobs::enqueue(
            &mut conn,
            hojokin::db::jobs::JobKind::Email,
            Some("test:dead"),
            &serde_json::json!({"template": "notification", "to": "program_managers"}),
            db::now(),
        )
        .expect("job");
        diesel::update(jobs::table.filter(jobs::unique_key.eq("test:dead")))
            .set((
                jobs::status.eq("dead"),
                jobs::attempts.eq(1),
                jobs::last_error.eq(Some("550 5.1.1 mailbox unavailable")),
                jobs::finished_at.eq(Some(db::now())),
            ))
            .execute(&mut conn)
            .expect("dead");
    }
    let job_id: i64 = jobs::table
        .filter(jobs::unique_key.eq("test:dead"))
        .select(jobs::id)
        .first(&mut test_db.conn())
        .expect("id");
    let status_of = |db: &TestDb| -> (String, i32) {
        jobs::table
            .find(job_id)
            .select((jobs::status, jobs::attempts))
            .first(&mut db.conn())
            .expect("job")
    };
    block_on(async {
        let app = crate::test_app!(test_db);
        let mut manager = Client { cookie: None };
        page_login!(&app, manager, "manager@meti.example");
        let page = send!(
            manager,
            &app,
            TestRequest::get().uri("/manager/dead-letters")
        );
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("550 5.1.1 mailbox unavailable"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("<td>事務局</td>"),
            "the recipients in Japanese: {}",
            page.body
        );
        let action = format!("/manager/dead-letters/{job_id}/retry");
        assert!(page.body.contains(&format!("action=\"{action}\"")));
        // Without the form's token: refused, and the job stays dead.
        let refused = send!(manager, &app, form(&action, &[]));
        assert_eq!(refused.status, 403);
        assert_eq!(status_of(test_db).0, "dead");
        let token = csrf_of(&page.body);
        let done = send!(manager, &app, form(&action, &[("csrf_token", &token)]));
        assert_eq!(done.status, 303);
        assert_eq!(done.location.as_deref(), Some("/manager/dead-letters"));
        assert_eq!(
            status_of(test_db),
            ("queued".to_owned(), 0),
            "queued with fresh attempts"
        );
        let after = send!(
            manager,
            &app,
            TestRequest::get().uri("/manager/dead-letters")
        );
        assert!(after.body.contains("再送の列に戻しました"), "flash");
        assert!(after.body.contains("送信できなかったメールはありません"));
        let again = send!(manager, &app, form(&action, &[("csrf_token", &token)]));
        assert_eq!(again.status, 409, "only a dead job can be retried");
    });
});

crate::on_both_backends!(
    the_new_pages_refuse_applicants_and_finance_officers,
    |test_db| {
        {
            let mut conn = test_db.conn();
            world(&mut conn);
        }
        block_on(async {
            let app = crate::test_app!(test_db);
            let shipped = hojokin::forms::AWARD_LISTS[0].1.as_bytes();
            // A planned upload and a review item for the POSTs to aim at.
            let mut manager = Client { cookie: None };
            page_login!(&app, manager, "manager@meti.example");
            let import = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/awards/import")
            );
            let planned = send!(
                manager,
                &app,
                upload(Some(&csrf_of(&import.body)), "awards.csv", shipped)
            );
            assert_eq!(planned.status, 303);
            let status_uri = planned.location.expect("import page");
            for (email, home) in [
                ("applicant@own.example", "/applicant"),
                ("officer@shiojiri.example", "/finance"),
            ] {
                let mut other = Client { cookie: None };
                page_login!(&app, other, email);
                for uri in [
                    "/manager/calendar",
                    "/manager/calendar?month=2020-01",
                    "/manager/reminders",
                    "/manager/dead-letters",
                    "/manager/awards/import",
                    "/manager/awards/reviews",
                    status_uri.as_str(),
                    &format!("{status_uri}/progress.json"),
                ] {
                    let page = send!(other, &app, TestRequest::get().uri(uri));
                    assert_eq!(page.status, 403, "{email} GET {uri}");
                }
                // With the person's own valid token: still 403, and nothing changes.
                let home = send!(other, &app, TestRequest::get().uri(home));
                assert_eq!(home.status, 200);
                let token = csrf_of(&home.body);
                for uri in [
                    "/manager/dead-letters/1/retry".to_owned(),
                    format!("{status_uri}/apply"),
                    "/manager/awards/reviews/1/resolve".to_owned(),
                ] {
                    let page = send!(
                        other,
                        &app,
                        form(&uri, &[("csrf_token", &token), ("choice", "new")])
                    );
                    assert_eq!(page.status, 403, "{email} POST {uri}");
                }
                let page = send!(other, &app, upload(Some(&token), "awards.csv", shipped));
                assert_eq!(page.status, 403, "{email} uploads");
            }
            let (queued, imports): (i64, i64) = {
                let mut conn = test_db.conn();
                (
                    award_imports::table
                        .filter(award_imports::status.ne("planned"))
                        .count()
                        .get_result(&mut conn)
                        .expect("count"),
                    award_imports::table
                        .count()
                        .get_result(&mut conn)
                        .expect("count"),
                )
            };
            assert_eq!(
                (queued, imports),
                (0, 1),
                "nothing queued, nothing uploaded"
            );
        });
    }
);

/// (organisations, awards, award members, aliases, name reviews).
fn ledger_counts(conn: &mut DbConnection) -> (i64, i64, i64, i64, i64) {
    (
        organisations::table
            .count()
            .get_result(conn)
            .expect("count"),
        awards::table.count().get_result(conn).expect("count"),
        award_members::table
            .count()
            .get_result(conn)
            .expect("count"),
        organisation_aliases::table
            .count()
            .get_result(conn)
            .expect("count"),
        name_reviews::table.count().get_result(conn).expect("count"),
    )
}

fn run_import_jobs(test_db: &TestDb) -> usize {
    let programs = hojokin::program::embedded().expect("programs");
    hojokin::jobs::imports::run_pending(
        &test_db.pool,
        &programs,
        "test-worker",
        std::time::Duration::from_secs(60),
    )
    .expect("import jobs")
}

/// The figure in the cell with `id`.
fn figure(body: &str, id: &str) -> i64 {
    let marker = format!("id=\"{id}\">");
    let start = body.find(&marker).unwrap_or_else(|| panic!("{id}: {body}")) + marker.len();
    body[start..]
        .split('<')
        .next()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or_else(|| panic!("{id} is not a number"))
}

crate::on_both_backends!(
    the_shipped_list_imported_twice_through_the_page_is_one_ledger,
    |test_db| {
        {
            let mut conn = test_db.conn();
            world(&mut conn);
        }
        let before = ledger_counts(&mut test_db.conn());
        let shipped = hojokin::forms::AWARD_LISTS[0].1.as_bytes();
        block_on(async {
            let app = crate::test_app!(test_db);
            let mut manager = Client { cookie: None };
            page_login!(&app, manager, "manager@meti.example");
            let mut after_first = None;
            for round in 0..2 {
                let form_page = send!(
                    manager,
                    &app,
                    TestRequest::get().uri("/manager/awards/import")
                );
                assert_eq!(form_page.status, 200);
                assert!(form_page.body.contains("enctype=\"multipart/form-data\""));
                let token = csrf_of(&form_page.body);
                let planned = send!(
                    manager,
                    &app,
                    upload(Some(&token), "awards-r4-r7.csv", shipped)
                );
                assert_eq!(planned.status, 303, "{}", planned.body);
                let uri = planned.location.expect("status page");
                let plan = send!(manager, &app, TestRequest::get().uri(&uri));
                assert_eq!(plan.status, 200);
                // The dry run changed nothing.
                let counts = ledger_counts(&mut test_db.conn());
                assert_eq!(
                    counts,
                    after_first.unwrap_or(before),
                    "round {round}: dry run"
                );
                if round == 0 {
                    assert_eq!(figure(&plan.body, "plan-queued"), 1, "えぼく");
                    assert!(figure(&plan.body, "plan-created") > 80);
                } else {
                    assert_eq!(figure(&plan.body, "plan-created"), 0);
                    assert_eq!(figure(&plan.body, "plan-queued"), 0);
                    assert_eq!(figure(&plan.body, "plan-matched"), 135);
                }
                let apply = format!("{uri}/apply");
                let queued = send!(
                    manager,
                    &app,
                    form(&apply, &[("csrf_token", &csrf_of(&plan.body))])
                );
                assert_eq!(queued.status, 303);
                let waiting = send!(manager, &app, TestRequest::get().uri(&uri));
                assert!(waiting.body.contains("<progress id=\"import-progress\""));
                assert!(waiting.body.contains("実行待ち"), "{}", waiting.body);
                assert!(waiting.body.contains("/static/import-progress.js"));
                // Queued, not yet written: the job queue does the writing.
                assert_eq!(
                    ledger_counts(&mut test_db.conn()),
                    after_first.unwrap_or(before)
                );
                let twice = send!(
                    manager,
                    &app,
                    form(&apply, &[("csrf_token", &csrf_of(&plan.body))])
                );
                assert_eq!(twice.status, 409, "queued once");
                if round == 0 {
                    // A worker claims the job and dies before committing (its lease ran out):
                    // the job is not lost, the next worker takes it over.
                    let now = db::now();
                    let held = hojokin::db::jobs::claim(
                        &mut test_db.conn(),
                        &[hojokin::db::jobs::JobKind::AwardImport],
                        "crashed-worker",
                        now,
                        now - chrono::TimeDelta::seconds(1),
                        1,
                    )
                    .expect("claim");
                    assert_eq!(held.len(), 1);
                }
                assert_eq!(run_import_jobs(test_db), 1);
                assert_eq!(run_import_jobs(test_db), 0, "nothing left");
                let progress = crate::call!(
                    &app,
                    "GET",
                    format!("{uri}/progress.json"),
                    manager.cookie.as_deref(),
                    None
                );
                assert_eq!(progress.0, 200);
                assert_eq!(progress.1["status"], "done");
                assert_eq!(progress.1["finished"], true);
                assert_eq!(progress.1["done"], progress.1["total"]);
                let done = send!(manager, &app, TestRequest::get().uri(&uri));
                assert!(done.body.contains("完了"), "{}", done.body);
                let counts = ledger_counts(&mut test_db.conn());
                match after_first {
                    None => {
                        assert_eq!(figure(&done.body, "done-awards"), 115);
                        assert_eq!(figure(&done.body, "done-members"), 135);
                        assert_eq!(counts.1 - before.1, 115);
                        assert_eq!(counts.2 - before.2, 135);
                        assert_eq!(counts.4, 1, "one name queued for review");
                        after_first = Some(counts);
                    }
                    Some(first) => {
                        assert_eq!(figure(&done.body, "done-awards"), 0);
                        assert_eq!(figure(&done.body, "done-members"), 0);
                        assert_eq!(figure(&done.body, "done-organisations"), 0);
                        assert_eq!(counts, first, "the second import changes nothing");
                    }
                }
            }
        });
    }
);

crate::on_both_backends!(
    a_malformed_list_names_its_row_and_changes_nothing,
    |test_db| {
        {
            let mut conn = test_db.conn();
            world(&mut conn);
        }
        let before = ledger_counts(&mut test_db.conn());
        let header = hojokin::program::award_list::AWARD_LIST_COLUMNS.join(",");
        let bad = format!(
            "{header}\nA1,2024,R6,一般枠,,株式会社あわわ,sole,test:1\nA2,2024,R6,一般枠,,株式会社イードア,leader,test:2\n"
        );
        block_on(async {
            let app = crate::test_app!(test_db);
            let mut manager = Client { cookie: None };
            page_login!(&app, manager, "manager@meti.example");
            let form_page = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/awards/import")
            );
            let token = csrf_of(&form_page.body);
            // Without the token: refused before the file is read.
            let refused = send!(manager, &app, upload(None, "bad.csv", bad.as_bytes()));
            assert_eq!(refused.status, 403);
            let page = send!(
                manager,
                &app,
                upload(Some(&token), "bad.csv", bad.as_bytes())
            );
            assert_eq!(page.status, 422, "{}", page.body);
            assert!(
                page.body.contains(
                    "3行目（列 role）: 「leader」は sole、lead、co-applicant のいずれでもありません"
                ),
                "{}",
                page.body
            );
            assert!(page.body.contains("何も取り込んでいません"));
            // 一般 in Shift_JIS, then 0xFF, which neither UTF-8 nor Shift_JIS has.
            let neither = b"award_id\n\x88\xea\x94\xca\xff\n";
            let page = send!(manager, &app, upload(Some(&token), "bad.csv", neither));
            assert_eq!(page.status, 422);
            assert!(
                page.body
                    .contains("2行目: 14 バイト目が UTF-8 としても Shift_JIS としても読めません"),
                "{}",
                page.body
            );
            let page = send!(
                manager,
                &app,
                upload(Some(&token), "huge.csv", &vec![b'a'; 3 * 1024 * 1024])
            );
            assert_eq!(page.status, 422);
            assert!(
                page.body.contains("ファイルが大きすぎます"),
                "{}",
                page.body
            );
        });
        let mut conn = test_db.conn();
        assert_eq!(ledger_counts(&mut conn), before, "nothing written");
        let uploads: i64 = award_imports::table
            .count()
            .get_result(&mut conn)
            .expect("count");
        assert_eq!(uploads, 0, "no import recorded");
    }
);

crate::on_both_backends!(
    a_shift_jis_list_from_excel_imports_as_the_same_utf8_list_does,
    |test_db| {
        {
            let mut conn = test_db.conn();
            world(&mut conn);
        }
        let before = ledger_counts(&mut test_db.conn());
        let (text, cp932) = shipped_lines();
        block_on(async {
            let app = crate::test_app!(test_db);
            let mut manager = Client { cookie: None };
            page_login!(&app, manager, "manager@meti.example");
            let form_page = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/awards/import")
            );
            assert!(
                form_page.body.contains("<option value=\"auto\" selected>自動判定</option><option value=\"utf-8\">UTF-8</option><option value=\"shift_jis\">Shift_JIS</option>"),
                "{}",
                form_page.body
            );
            let token = csrf_of(&form_page.body);
            // UTF-8 chosen for a Shift_JIS file: refused at its first byte that is not
            // UTF-8, the choice kept, nothing recorded.
            let first_bad = cp932
                .iter()
                .position(|byte| !byte.is_ascii())
                .expect("kanji");
            let refused = send!(
                manager,
                &app,
                upload_as(&token, "utf-8", "awards.csv", &cp932)
            );
            assert_eq!(refused.status, 422, "{}", refused.body);
            assert!(
                refused.body.contains(&format!(
                    "2行目: {} バイト目が UTF-8 として読めません",
                    first_bad + 1
                )),
                "{}",
                refused.body
            );
            assert!(refused.body.contains("何も取り込んでいません"));
            assert!(refused.body.contains("<option value=\"utf-8\" selected>"));
            let uploads: i64 = award_imports::table
                .count()
                .get_result(&mut test_db.conn())
                .expect("count");
            assert_eq!(uploads, 0, "nothing recorded");
            // Detected, then chosen: the same plan; the first one imported.
            let mut after = None;
            for (round, (encoding, bytes)) in [
                ("auto", cp932.as_slice()),
                ("shift_jis", cp932.as_slice()),
                ("utf-8", text.as_bytes()),
            ]
            .into_iter()
            .enumerate()
            {
                let planned = send!(
                    manager,
                    &app,
                    upload_as(&token, encoding, "awards.csv", bytes)
                );
                assert_eq!(planned.status, 303, "{encoding}: {}", planned.body);
                let uri = planned.location.expect("status page");
                let plan = send!(manager, &app, TestRequest::get().uri(&uri));
                let stored: String = award_imports::table
                    .order(award_imports::id.desc())
                    .select(award_imports::csv_text)
                    .first(&mut test_db.conn())
                    .expect("the upload");
                assert_eq!(stored, text, "{encoding}: kept as the UTF-8 text");
                if round == 0 {
                    assert_eq!(figure(&plan.body, "plan-created"), 10, "{}", plan.body);
                    assert_eq!(figure(&plan.body, "plan-matched"), 0);
                    let queued = send!(
                        manager,
                        &app,
                        form(
                            &format!("{uri}/apply"),
                            &[("csrf_token", &csrf_of(&plan.body))]
                        )
                    );
                    assert_eq!(queued.status, 303);
                    assert_eq!(run_import_jobs(test_db), 1);
                    let counts = ledger_counts(&mut test_db.conn());
                    assert_eq!(
                        (
                            counts.0 - before.0,
                            counts.1 - before.1,
                            counts.2 - before.2
                        ),
                        (10, 10, 10),
                        "ten organisations, awards and members"
                    );
                    after = Some(counts);
                } else {
                    // Every name of the Shift_JIS file found as the ledger now has it.
                    assert_eq!(figure(&plan.body, "plan-matched"), 10, "{encoding}");
                    assert_eq!(figure(&plan.body, "plan-created"), 0, "{encoding}");
                    assert_eq!(Some(ledger_counts(&mut test_db.conn())), after);
                }
            }
            let mut conn = test_db.conn();
            let names: Vec<String> = organisations::table
                .select(organisations::name)
                .load(&mut conn)
                .expect("names");
            for name in [
                "株式会社御祓川",
                "特定非営利活動法人プラットフォームあおもり",
                "一般社団法人フィッシャーマン・ジャパン",
            ] {
                assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
            }
        });
    }
);

crate::on_both_backends!(
    resolving_a_review_writes_the_alias_and_the_membership,
    |test_db| {
        let epokku = {
            let mut conn = test_db.conn();
            world(&mut conn);
            let epokku = hojokin::db::organisations::insert_organisation(
                &mut conn,
                &hojokin::db::organisations::NewOrganisation::named(
                    "株式会社えぽっく",
                    hojokin::domain::codes::ApplicantKind::SmeCompany,
                    db::now(),
                ),
            )
            .expect("organisation");
            // The shipped history, as `import-awards --shipped` writes it.
            let programs = hojokin::program::embedded().expect("programs");
            let rows = hojokin::program::award_list::parse_award_list(
                hojokin::forms::AWARD_LISTS[0].1,
                &|year, label| programs.frame_code(year, label),
            )
            .expect("rows");
            let aliases = hojokin::actions::manager::shipped_aliases().expect("aliases");
            let (plan, _) = db::awards::plan_import(&mut conn, &rows, &aliases).expect("plan");
            db::awards::apply_plan(&mut conn, &plan, "test", &|_| {}).expect("apply");
            epokku
        };
        let members_of = |db: &TestDb, organisation: i64| -> Vec<String> {
            award_members::table
                .filter(award_members::organisation_id.eq(organisation))
                .select(award_members::listed_as)
                .load(&mut db.conn())
                .expect("members")
        };
        assert!(
            members_of(test_db, epokku).is_empty(),
            "never merged by itself"
        );
        let provisional: i64 = organisations::table
            .filter(organisations::name.eq("株式会社えぼく"))
            .select(organisations::id)
            .first(&mut test_db.conn())
            .expect("provisional holder");
        let review_id: i64 = name_reviews::table
            .select(name_reviews::id)
            .first(&mut test_db.conn())
            .expect("review");
        block_on(async {
            let app = crate::test_app!(test_db);
            let mut manager = Client { cookie: None };
            page_login!(&app, manager, "manager@meti.example");
            let page = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/awards/reviews")
            );
            assert_eq!(page.status, 200);
            assert!(page.body.contains("「株式会社えぼく」"), "{}", page.body);
            assert!(
                page.body
                    .contains("誤記の可能性があります（株式会社えぽっく か）")
            );
            let option = format!("value=\"org:{epokku}\"");
            assert!(page.body.contains(&option), "the candidate is offered");
            assert!(
                page.body
                    .contains("<legend>「株式会社えぼく」はどの団体ですか</legend>")
            );
            let action = format!("/manager/awards/reviews/{review_id}/resolve");
            let token = csrf_of(&page.body);
            let choice = format!("org:{epokku}");
            let refused = send!(manager, &app, form(&action, &[("choice", &choice)]));
            assert_eq!(refused.status, 403, "CSRF");
            // A typo in the other organisation's name: back at the form, at this review, with
            // what was typed and the choice kept.
            let typo = send!(
                manager,
                &app,
                form(
                    &action,
                    &[
                        ("csrf_token", &token),
                        ("choice", "other"),
                        ("other", "株式会社えぽっくす"),
                    ]
                )
            );
            assert_eq!(typo.status, 422, "{}", typo.body);
            let at_review = &typo.body[typo
                .body
                .find(&format!("id=\"review-{review_id}\""))
                .expect("the review")..];
            assert!(
                at_review.contains("入力した法人番号・名称の団体は登録されていません"),
                "{at_review}"
            );
            assert!(
                at_review
                    .contains("name=\"other\" value=\"株式会社えぽっくす\" aria-invalid=\"true\"")
            );
            assert!(at_review.contains("value=\"other\" required checked"));
            let done = send!(
                manager,
                &app,
                form(&action, &[("csrf_token", &token), ("choice", &choice)])
            );
            assert_eq!(done.status, 303, "{}", done.body);
            let after = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/awards/reviews")
            );
            assert!(
                after.body.contains("確認待ちの名称はありません"),
                "{}",
                after.body
            );
            assert!(
                after.body.contains("採択 2 件を移しました"),
                "{}",
                after.body
            );
            assert!(after.body.contains("同じ団体と確認"));
            let again = send!(
                manager,
                &app,
                form(&action, &[("csrf_token", &token), ("choice", &choice)])
            );
            assert_eq!(again.status, 409, "answered once");
        });
        let mut conn = test_db.conn();
        let alias: i64 = organisation_aliases::table
            .filter(organisation_aliases::organisation_id.eq(epokku))
            .filter(organisation_aliases::alias.eq("株式会社えぼく"))
            .count()
            .get_result(&mut conn)
            .expect("alias");
        assert_eq!(alias, 1, "the printed name is a recorded name of えぽっく");
        assert_eq!(
            members_of(test_db, epokku),
            vec!["株式会社えぼく".to_owned(), "株式会社えぼく".to_owned()],
            "both awards printed えぼく (R6, R7) are えぽっく's"
        );
        let gone: i64 = organisations::table
            .find(provisional)
            .count()
            .get_result(&mut conn)
            .expect("count");
        assert_eq!(gone, 0, "the provisional organisation was merged away");
        let status: String = name_reviews::table
            .find(review_id)
            .select(name_reviews::status)
            .first(&mut conn)
            .expect("status");
        assert_eq!(status, "merged");
        // Data-driven: the next import matches the name by itself and queues nothing.
        let programs = hojokin::program::embedded().expect("programs");
        let rows = hojokin::program::award_list::parse_award_list(
            hojokin::forms::AWARD_LISTS[0].1,
            &|year, label| programs.frame_code(year, label),
        )
        .expect("rows");
        let aliases = hojokin::actions::manager::shipped_aliases().expect("aliases");
        let (plan, _) = db::awards::plan_import(&mut conn, &rows, &aliases).expect("plan");
        assert_eq!(plan.report.queued, 0);
        assert_eq!(plan.report.new_award_members, 0);
        assert_eq!(plan.report.new_organisations, 0);
        // The engine now counts two awards for えぽっく.
        let ledger = db::awards::load_ledger(&mut conn).expect("ledger");
        assert_eq!(
            ledger
                .awards_of(hojokin::domain::ledger::OrganisationId(epokku))
                .len(),
            2
        );
    }
);
