//! Deadlines and mail: an application's sent log, the dead-letter list with retry (program
//! managers), each user's notification preferences and their iCalendar feed.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::TimeDelta;
use serde::Deserialize;

use super::auth::Caller;
use super::extract::{Db, Named, Then};
use super::views::{DeadLetters, NotificationSettings, RetriedJob, SentEmailLog};
use crate::actions;
use crate::db::{self, deadlines, jobs, recipients, sent_emails};
use crate::domain::access::Role;
use crate::domain::deadlines::{DeadlineKind, DeadlineStatus, ReminderOffsets};
use crate::domain::validation::{ErrorCode, FieldErrors};
use crate::domain::workflow::Action;
use crate::error::{AppError, AppResult};

/// The service's own address as the caller reached it (for links in the calendar).
pub(crate) fn base_url(request: &HttpRequest) -> String {
    let info = request.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

#[utoipa::path(get, path = "/api/v1/applications/{id}/sent-emails", tag = "reminders",
    params(("id" = i64, Path, description = "申請 ID")),
    responses((status = 200, description = "送信記録（宛先、テンプレート、期限、日時、Message-ID、結果）", body = SentEmailLog),
        (status = 403, description = "見られない申請"), (status = 404, description = "申請がない")))]
#[get("/api/v1/applications/{id}/sent-emails")]
pub async fn sent_log(db: Db, on: Named<Caller>) -> AppResult<HttpResponse> {
    let id = on.id;
    // Whoever may see the application may see what was sent about it.
    let entries = db
        .on_application(on, Action::View, move |conn, _, _| {
            sent_emails::of_application(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SentEmailLog {
        sent_emails: entries,
    }))
}

#[utoipa::path(get, path = "/api/v1/jobs/dead", tag = "reminders",
    responses((status = 200, description = "送信できなかったメール（恒久的な失敗・試行回数の上限）", body = DeadLetters),
        (status = 403, description = "事務局のみ")))]
#[get("/api/v1/jobs/dead")]
pub async fn dead_letters(db: Db, Caller { actor, .. }: Caller) -> AppResult<HttpResponse> {
    if actor.role != Role::ProgramManager {
        return Err(AppError::forbidden());
    }
    let dead = db.run(|conn, _| jobs::dead(conn)).await?;
    Ok(HttpResponse::Ok().json(DeadLetters { jobs: dead }))
}

#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "reminders",
    params(("id" = i64, Path, description = "ジョブ ID")),
    responses((status = 200, description = "再送の列に戻した", body = RetriedJob), (status = 403, description = "事務局のみ"),
        (status = 409, description = "送信不能のジョブではない")))]
#[post("/api/v1/jobs/{id}/retry")]
pub async fn retry(db: Db, on: Named<Caller>) -> AppResult<HttpResponse> {
    let (id, actor) = (on.id, on.caller.actor);
    db.run(move |conn, _| actions::manager::retry_dead_letter(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(RetriedJob {
        id,
        status: "queued".to_owned(),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesInput {
    pub notify_by_email: bool,
    /// Own reminder days, e.g. `-14,-7,-1,+1,+7`; null for the service's.
    #[serde(default)]
    pub reminder_offsets: Option<String>,
    #[serde(default = "yes")]
    pub weekly_digest: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "reminders",
    responses((status = 200, description = "通知の設定と iCalendar の URL", body = NotificationSettings), (status = 401, description = "未ログイン")))]
#[get("/api/v1/me/notifications")]
pub async fn my_notifications(
    db: Db,
    request: HttpRequest,
    Caller { user, .. }: Caller,
) -> AppResult<HttpResponse> {
    let (preferences, token) = db
        .run(move |conn, _| {
            Ok((
                recipients::preferences(conn, user.id)?,
                recipients::calendar_token(conn, user.id)?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(NotificationSettings {
        preferences,
        calendar_url: Some(format!("{}/calendar/{token}.ics", base_url(&request))),
    }))
}

/// A user's own reminder days as typed (`-14,-7,+1`), in their canonical form; `None` (the
/// service's days) when blank. The error is keyed `reminder_offsets`.
pub(crate) fn reminder_offsets(text: Option<&str>) -> Result<Option<String>, FieldErrors> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse::<ReminderOffsets>()
            .map(|offsets| Some(offsets.to_string()))
            .map_err(|message| {
                let mut errors = FieldErrors::new();
                errors.add("reminder_offsets", ErrorCode::InvalidNumber, message);
                errors
            }),
    }
}

#[utoipa::path(put, path = "/api/v1/me/notifications", tag = "reminders", request_body = PreferencesInput,
    responses((status = 200, description = "保存した", body = NotificationSettings), (status = 422, description = "日数の誤り")))]
#[put("/api/v1/me/notifications")]
pub async fn set_my_notifications(
    db: Db,
    Then(input, Caller { user, .. }): Then<web::Json<PreferencesInput>, Caller>,
) -> AppResult<HttpResponse> {
    let input = input.into_inner();
    let offsets = reminder_offsets(input.reminder_offsets.as_deref()).map_err(AppError::invalid)?;
    let preferences = recipients::Preferences {
        notify_by_email: input.notify_by_email,
        reminder_offsets: offsets,
        weekly_digest: input.weekly_digest,
    };
    let saved = db
        .run(move |conn, _| {
            recipients::set_preferences(conn, user.id, &preferences)?;
            recipients::preferences(conn, user.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(NotificationSettings {
        preferences: saved,
        calendar_url: None,
    }))
}

#[utoipa::path(get, path = "/calendar/{token}.ics", tag = "reminders",
    params(("token" = String, Path, description = "利用者ごとの秘密のトークン")),
    responses((status = 200, description = "期限の iCalendar", content_type = "text/calendar", body = String), (status = 404, description = "トークンが違う")))]
#[get("/calendar/{token:[0-9a-f]+}.ics")]
pub async fn calendar(
    db: Db,
    path: web::Path<String>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let base = base_url(&request);
    let ics = db
        .run(move |conn, _| {
            let Some((user_id, manager)) = recipients::by_calendar_token(conn, &token)? else {
                return Err(AppError::not_found("カレンダーが見つかりません"));
            };
            let since = db::now() - TimeDelta::days(365);
            let rows = deadlines::for_calendar(conn, user_id, manager, since)?;
            let mut events = Vec::with_capacity(rows.len());
            for row in rows {
                let kind = row.kind;
                let (reference, title) =
                    recipients::application_heading(conn, row.application_id)?.unwrap_or_default();
                events.push(CalendarEvent {
                    uid: format!("deadline-{}@hojokin", row.id),
                    summary: format!("{}（{reference} {title}）", kind.label_ja()),
                    due_at: row.due_at,
                    url: format!("{base}/applications/{}", row.application_id),
                    status_done: row.status == DeadlineStatus::Met,
                    kind,
                });
            }
            Ok(ical(&events, db::now()))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .body(ics))
}

struct CalendarEvent {
    uid: String,
    summary: String,
    due_at: chrono::NaiveDateTime,
    url: String,
    status_done: bool,
    kind: DeadlineKind,
}

/// RFC 5545 text: escape `\ ; ,` and newlines, and fold lines at 75 octets (on character
/// boundaries, since Japanese characters are 3 octets in UTF-8).
fn ical_text(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// Each deadline is a short event ending at its due time (in UTC, so no time-zone block is
/// needed), with an alarm a day before.
fn ical(events: &[CalendarEvent], stamp: chrono::NaiveDateTime) -> String {
    let utc = |t: chrono::NaiveDateTime| t.format("%Y%m%dT%H%M%SZ").to_string();
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//hojokin//deadlines//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:補助金の期限",
        "X-WR-TIMEZONE:Asia/Tokyo",
    ] {
        out.push_str(&fold(line));
    }
    for event in events {
        let start = event.due_at - TimeDelta::minutes(30);
        for line in [
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", event.uid),
            format!("DTSTAMP:{}", utc(stamp)),
            format!("DTSTART:{}", utc(start)),
            format!("DTEND:{}", utc(event.due_at)),
            format!("SUMMARY:{}", ical_text(&event.summary)),
            format!(
                "DESCRIPTION:{}",
                ical_text(&format!(
                    "期限: {}\n{}",
                    crate::domain::deadlines::format_due(event.due_at, event.kind),
                    event.url
                ))
            ),
            format!("URL:{}", event.url),
            format!(
                "STATUS:{}",
                if event.status_done {
                    "CANCELLED"
                } else {
                    "CONFIRMED"
                }
            ),
            "BEGIN:VALARM".to_owned(),
            "ACTION:DISPLAY".to_owned(),
            format!("DESCRIPTION:{}", ical_text(&event.summary)),
            "TRIGGER:-P1D".to_owned(),
            "END:VALARM".to_owned(),
            "END:VEVENT".to_owned(),
        ] {
            out.push_str(&fold(&line));
        }
    }
    out.push_str(&fold("END:VCALENDAR"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_japanese_lines_fold_on_character_boundaries() {
        let folded = fold(&format!("SUMMARY:{}", "実績報告".repeat(10)));
        for line in folded.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert_eq!(
            folded.replace("\r\n ", ""),
            format!("SUMMARY:{}\r\n", "実績報告".repeat(10))
        );
        assert_eq!(ical_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
