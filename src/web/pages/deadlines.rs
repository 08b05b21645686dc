//! The program manager's deadlines and mail: the month calendar of every application's
//! deadlines, the log of reminders and other emails sent, and the dead letters with a retry.
//! What is overdue is `domain::deadlines::is_overdue`; the month grid is
//! `domain::calendar::YearMonth`; the retry is `actions::manager::retry_dead_letter`, the
//! same as the JSON API's.

use actix_session::Session;
use actix_web::{get, post, web};
use chrono::{NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use super::{Db, ManagerPage, PageForm, PageOn, PageResult, Then, redirect, render, set_flash};
use crate::actions;
use crate::db::send_attempts::AttemptView;
use crate::db::{self, deadlines, jobs, send_attempts, sent_emails};
use crate::domain::calendar::{WEEKDAYS_JA, YearMonth, wareki_date};
use crate::domain::codes::Code;
use crate::domain::deadlines::{DeadlineKind, DeadlineStatus, is_overdue, jst_to_utc, utc_to_jst};
use crate::domain::delivery::{SentOutcome, mail_kind_label, may_have_arrived_twice};
use crate::domain::holidays;
use crate::domain::workflow::Recipients;
use crate::error::{AppError, ErrorKind};

/// `令和8年11月21日 17:00` (Japan time) for an instant stored in UTC.
pub(crate) fn jst_label(instant: NaiveDateTime) -> String {
    jst_label_as(instant, "%H:%M")
}

fn jst_label_as(instant: NaiveDateTime, time_format: &str) -> String {
    let local = utc_to_jst(instant);
    format!(
        "{} {}",
        wareki_date(local.date()),
        local.format(time_format)
    )
}

/// A deadline as the calendar and the "next deadlines" list print it.
#[derive(Serialize)]
pub(super) struct EntryView {
    application_id: i64,
    reference: String,
    organisation: String,
    kind: &'static str,
    due: String,
    time: String,
    overdue: bool,
    met: bool,
}

pub(super) fn entry_view(entry: &deadlines::DeadlineEntry, now: NaiveDateTime) -> EntryView {
    EntryView {
        application_id: entry.application_id,
        reference: entry.reference.clone(),
        organisation: entry.organisation.clone(),
        kind: entry.kind.label_ja(),
        due: jst_label(entry.due_at),
        time: utc_to_jst(entry.due_at).format("%H:%M").to_string(),
        overdue: is_overdue(entry.status, entry.due_at, now),
        met: entry.status == DeadlineStatus::Met,
    }
}

#[derive(Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

#[derive(Serialize)]
struct DayCell {
    day: Option<u32>,
    today: bool,
    /// A weekend, a public holiday or the year-end closure: shaded, and said in words.
    day_off: Option<DayOffView>,
    entries: Vec<EntryView>,
}

/// How the calendar marks a day off (`domain::holidays::day_off`): a class for its shade and
/// the reason in words, 「（土）」 or 「（祝日: 元日）」, so that it is not told by colour alone.
/// A weekend alone is already named by its column, so its words are for screen readers only; a
/// holiday's are shown.
#[derive(Serialize)]
struct DayOffView {
    class: &'static str,
    label: String,
    shown: bool,
}

fn day_off_view(date: chrono::NaiveDate) -> Option<DayOffView> {
    let off = holidays::day_off(date)?;
    let holiday = off.holiday.is_some() || off.year_end_closure;
    let class = match off.weekend {
        _ if holiday => "holiday",
        Some(chrono::Weekday::Sat) => "saturday",
        _ => "sunday",
    };
    Some(DayOffView {
        class,
        label: off.label_ja(),
        shown: holiday,
    })
}

#[derive(Serialize)]
struct Weekday {
    short: &'static str,
    full: &'static str,
}

#[derive(Serialize)]
struct CalendarView {
    wareki: String,
    western: String,
    previous: Option<String>,
    previous_label: Option<String>,
    next: Option<String>,
    next_label: Option<String>,
    weekdays: Vec<Weekday>,
    weeks: Vec<Vec<DayCell>>,
    total: usize,
    overdue: usize,
}

#[get("/manager/calendar")]
pub async fn calendar(
    db: Db,
    session: Session,
    query: web::Query<MonthQuery>,
    ManagerPage(caller): ManagerPage,
) -> PageResult {
    let today = crate::clock::today_in_japan();
    let month = match query.month.as_deref().map(str::trim) {
        None | Some("") => YearMonth::of(today),
        Some(text) => YearMonth::parse(text).ok_or_else(|| {
            AppError::new(
                ErrorKind::BadRequest,
                "月は 2026-11 のように「年-月」で指定してください",
            )
        })?,
    };
    let midnight = NaiveTime::MIN;
    let from = jst_to_utc(month.first_day(), midnight);
    let to = month
        .next()
        .and_then(|next| jst_to_utc(next.first_day(), midnight));
    let (Some(from), Some(to)) = (from, to) else {
        return Err(AppError::new(ErrorKind::BadRequest, "表示できない月です").into());
    };
    let entries = db
        .run(move |conn, _| deadlines::entries_between(conn, from, to))
        .await?;
    let now = db::now();
    let mut total = 0;
    let mut overdue = 0;
    let weeks = month
        .weeks()
        .into_iter()
        .map(|week| {
            week.iter()
                .map(|day| {
                    let entries: Vec<EntryView> = day
                        .map(|date| {
                            entries
                                .iter()
                                .filter(|entry| utc_to_jst(entry.due_at).date() == date)
                                .map(|entry| entry_view(entry, now))
                                .collect()
                        })
                        .unwrap_or_default();
                    total += entries.len();
                    overdue += entries.iter().filter(|entry| entry.overdue).count();
                    DayCell {
                        day: day.map(|date| chrono::Datelike::day(&date)),
                        today: *day == Some(today),
                        day_off: day.and_then(day_off_view),
                        entries,
                    }
                })
                .collect()
        })
        .collect();
    let view = CalendarView {
        wareki: month.wareki(),
        western: format!("{}年{}月", month.year(), month.month()),
        previous: month.previous().map(|m| m.to_string()),
        previous_label: month.previous().map(YearMonth::wareki),
        next: month.next().map(|m| m.to_string()),
        next_label: month.next().map(YearMonth::wareki),
        weekdays: WEEKDAYS_JA
            .iter()
            .map(|(short, full)| Weekday { short, full })
            .collect(),
        weeks,
        total,
        overdue,
    };
    let title = format!("期限カレンダー {}", view.wareki);
    render("manager_calendar", title, &caller, &session, view)
}

/// Lines of the reminder log on one page.
const LOG_PAGE_SIZE: i64 = 50;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

#[derive(Serialize)]
struct LogLine {
    sent_at: String,
    recipient: String,
    subject: String,
    template: &'static str,
    deadline_kind: Option<&'static str>,
    application_id: Option<i64>,
    application_reference: Option<String>,
    outcome: &'static str,
    failed: bool,
    detail: Option<String>,
}

/// One send attempt of a job that may have arrived more than once.
#[derive(Serialize)]
struct AttemptLine {
    attempt: i32,
    worker: String,
    started_at: String,
    finished_at: Option<String>,
    outcome: &'static str,
    /// Not completed: the worker stopped before the server's answer.
    unanswered: bool,
    detail: Option<String>,
}

#[derive(Serialize)]
struct RepeatedJob {
    job_id: i64,
    message_id: String,
    attempts: Vec<AttemptLine>,
}

/// Jobs shown with their attempts on the page.
const REPEATED_SHOWN: usize = 50;

/// The jobs whose message may have arrived more than once (newest first, at most
/// [`REPEATED_SHOWN`]), and how many there are in all.
fn repeated_jobs(attempts: Vec<AttemptView>) -> (Vec<RepeatedJob>, usize) {
    let mut jobs: Vec<Vec<AttemptView>> = Vec::new();
    for attempt in attempts {
        match jobs.last_mut() {
            Some(job) if job[0].job_id == attempt.job_id => job.push(attempt),
            _ => jobs.push(vec![attempt]),
        }
    }
    jobs.retain(|job| may_have_arrived_twice(job.iter().map(|attempt| attempt.outcome)));
    let total = jobs.len();
    let shown = jobs
        .into_iter()
        .take(REPEATED_SHOWN)
        .map(|job| RepeatedJob {
            job_id: job[0].job_id,
            message_id: job[0].message_id.clone(),
            attempts: job
                .into_iter()
                .map(|attempt| AttemptLine {
                    attempt: attempt.attempt,
                    worker: attempt.worker,
                    started_at: precise_jst_label(attempt.started_at),
                    finished_at: attempt.finished_at.map(precise_jst_label),
                    outcome: attempt
                        .outcome
                        .map_or("応答なし（送信中または中断）", |outcome| {
                            outcome.label_ja()
                        }),
                    unanswered: attempt.outcome.is_none(),
                    detail: attempt.detail,
                })
                .collect(),
        })
        .collect();
    (shown, total)
}

/// Japan time to the second: attempts of one job are often seconds apart.
fn precise_jst_label(instant: NaiveDateTime) -> String {
    jst_label_as(instant, "%H:%M:%S")
}

#[derive(Serialize)]
struct LogView {
    /// Jobs whose message may have arrived more than once, with their attempts.
    repeated: Vec<RepeatedJob>,
    repeated_shown: usize,
    repeated_total: usize,
    lines: Vec<LogLine>,
    total: i64,
    first: i64,
    last: i64,
    page: i64,
    pages: i64,
    previous: Option<i64>,
    next: Option<i64>,
}

fn outcome_label(outcome: &str) -> &'static str {
    SentOutcome::from_code(outcome).map_or("不明", SentOutcome::label_ja)
}

#[get("/manager/reminders")]
pub async fn reminder_log(
    db: Db,
    session: Session,
    query: web::Query<PageQuery>,
    ManagerPage(caller): ManagerPage,
) -> PageResult {
    let page = match query.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|page| *page >= 1)
            .ok_or_else(|| AppError::new(ErrorKind::BadRequest, "ページ番号は 1 以上の整数です"))?,
    };
    let offset = (page - 1).saturating_mul(LOG_PAGE_SIZE);
    let ((entries, total), attempts) = db
        .run(move |conn, _| {
            Ok((
                sent_emails::log_page(conn, LOG_PAGE_SIZE, offset)?,
                send_attempts::of_jobs_attempted_again(conn)?,
            ))
        })
        .await?;
    let (repeated, repeated_total) = repeated_jobs(attempts);
    let pages = ((total + LOG_PAGE_SIZE - 1) / LOG_PAGE_SIZE).max(1);
    let shown = i64::try_from(entries.len()).unwrap_or(0);
    let view = LogView {
        repeated_shown: repeated.len(),
        repeated,
        repeated_total,
        lines: entries
            .into_iter()
            .map(|entry| LogLine {
                sent_at: jst_label(entry.sent_at),
                subject: entry
                    .subject
                    .clone()
                    .unwrap_or_else(|| format!("（{}）", mail_kind_label(&entry.template))),
                template: mail_kind_label(&entry.template),
                deadline_kind: entry.deadline_kind.map(DeadlineKind::label_ja),
                recipient: entry.recipient,
                application_id: entry.application_id,
                application_reference: entry.application_reference,
                outcome: outcome_label(&entry.outcome),
                failed: SentOutcome::from_code(&entry.outcome) != Some(SentOutcome::Sent),
                detail: entry.detail,
            })
            .collect(),
        total,
        first: if shown == 0 { 0 } else { offset + 1 },
        last: offset + shown,
        page,
        pages,
        previous: (page > 1).then(|| page - 1),
        next: (page < pages).then(|| page + 1),
    };
    render("manager_reminders", "送信記録", &caller, &session, view)
}

#[derive(Serialize)]
struct DeadLetter {
    id: i64,
    kind: &'static str,
    recipient: String,
    application_id: Option<i64>,
    attempts: i32,
    last_error: String,
    failed_at: String,
}

#[derive(Serialize)]
struct DeadLettersView {
    jobs: Vec<DeadLetter>,
}

#[get("/manager/dead-letters")]
pub async fn dead_letters(
    db: Db,
    session: Session,
    ManagerPage(caller): ManagerPage,
) -> PageResult {
    let dead = db.run(|conn, _| jobs::dead(conn)).await?;
    let view = DeadLettersView {
        jobs: dead
            .into_iter()
            .map(|job| {
                let payload: serde_json::Value =
                    serde_json::from_str(&job.payload_json).unwrap_or_default();
                let template = payload["template"].as_str().map(mail_kind_label);
                let recipient = serde_json::from_value::<Recipients>(payload["to"].clone())
                    .ok()
                    .map(|to| to.label_ja().to_owned())
                    .or_else(|| {
                        payload["user_id"]
                            .as_i64()
                            .map(|id| format!("利用者 #{id}"))
                    })
                    .unwrap_or_else(|| "—".to_owned());
                DeadLetter {
                    id: job.id,
                    kind: template.unwrap_or_else(|| job.kind.label_ja()),
                    recipient,
                    application_id: payload["application_id"].as_i64(),
                    attempts: job.attempts,
                    last_error: job.last_error.unwrap_or_default(),
                    failed_at: job.finished_at.map(jst_label).unwrap_or_default(),
                }
            })
            .collect(),
    };
    render(
        "manager_dead_letters",
        "送信できなかったメール",
        &caller,
        &session,
        view,
    )
}

#[post("/manager/dead-letters/{id}/retry")]
pub async fn retry(
    Then(_form, PageOn(db, session, id, ManagerPage(caller))): Then<PageForm, PageOn<ManagerPage>>,
) -> PageResult {
    let actor = caller.actor;
    db.run(move |conn, _| actions::manager::retry_dead_letter(conn, &actor, id))
        .await?;
    set_flash(
        &session,
        format!("メール（ジョブ {id}）を再送の列に戻しました"),
    );
    Ok(redirect("/manager/dead-letters"))
}
