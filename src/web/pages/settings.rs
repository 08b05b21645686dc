//! Each person's notification settings (`/settings/notifications`, linked from every email):
//! whether to get email, their own reminder days, the weekly digest (program managers), and
//! their calendar feed. The same preferences as `GET`/`PUT /api/v1/me/notifications`.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post};
use serde::Serialize;

use super::editor::Field;
use super::{Db, PageCaller, PageError, PageForm, PageResult, Then, redirect, render, set_flash};
use crate::db::recipients::{self, Preferences};
use crate::domain::access::Role;
use crate::web::auth::Caller;
use crate::web::reminders::{base_url, reminder_offsets};

#[derive(Serialize)]
struct SettingsView {
    notify_by_email: Field,
    reminder_offsets: Field,
    /// Only program managers get the weekly digest.
    weekly_digest: Option<Field>,
    calendar_url: String,
    general_errors: Vec<String>,
}

fn checkbox(name: &str, label: &str, checked: bool) -> Field {
    Field {
        id: name.to_owned(),
        name: name.to_owned(),
        label: label.to_owned(),
        value: "on".to_owned(),
        input_type: "checkbox",
        is_checkbox: true,
        checked,
        ..Default::default()
    }
}

fn settings_view(
    role: Role,
    notify_by_email: bool,
    offsets: &str,
    weekly_digest: bool,
    calendar_url: String,
    errors: &BTreeMap<String, String>,
) -> SettingsView {
    SettingsView {
        notify_by_email: checkbox(
            "notify_by_email",
            "期限のお知らせや手続の通知をメールで受け取る",
            notify_by_email,
        ),
        reminder_offsets: Field {
            id: "reminder_offsets".to_owned(),
            name: "reminder_offsets".to_owned(),
            label: "リマインダーを送る日（期限の何日前・何日後）".to_owned(),
            value: offsets.to_owned(),
            error: errors.get("reminder_offsets").cloned(),
            input_type: "text",
            hint: Some(
                "例: -14,-7,-1,+1,+7（マイナスは期限の前、プラスは期限を過ぎた後の日数）。空欄にするとシステムの既定（14日前・7日前・前日・1日後・7日後）になります。",
            ),
            ..Default::default()
        },
        weekly_digest: (role == Role::ProgramManager).then(|| {
            checkbox(
                "weekly_digest",
                "毎週月曜に期限超過と2週間以内の期限の一覧をメールで受け取る",
                weekly_digest,
            )
        }),
        calendar_url,
        general_errors: errors
            .iter()
            .filter(|(name, _)| name.as_str() != "reminder_offsets")
            .map(|(_, message)| message.clone())
            .collect(),
    }
}

async fn current(
    db: &Db,
    caller: &Caller,
    request: &HttpRequest,
) -> Result<(Preferences, String), PageError> {
    let user_id = caller.user.id;
    let (preferences, token) = db
        .run(move |conn, _| {
            Ok((
                recipients::preferences(conn, user_id)?,
                recipients::calendar_token(conn, user_id)?,
            ))
        })
        .await?;
    Ok((
        preferences,
        format!("{}/calendar/{token}.ics", base_url(request)),
    ))
}

#[get("/settings/notifications")]
pub async fn page(
    db: Db,
    session: Session,
    request: HttpRequest,
    PageCaller(caller): PageCaller,
) -> PageResult {
    let (preferences, calendar_url) = current(&db, &caller, &request).await?;
    let view = settings_view(
        caller.actor.role,
        preferences.notify_by_email,
        preferences.reminder_offsets.as_deref().unwrap_or_default(),
        preferences.weekly_digest,
        calendar_url,
        &BTreeMap::new(),
    );
    render(
        "settings_notifications",
        "通知の設定",
        &caller,
        &session,
        view,
    )
}

#[post("/settings/notifications")]
pub async fn save(
    db: Db,
    session: Session,
    request: HttpRequest,
    Then(form, PageCaller(caller)): Then<PageForm, PageCaller>,
) -> Result<HttpResponse, PageError> {
    let notify_by_email = form.get("notify_by_email").is_some();
    let typed_offsets = form.text("reminder_offsets");
    let (stored, calendar_url) = current(&db, &caller, &request).await?;
    // The digest is the program managers'; for others the stored value stays as it is.
    let weekly_digest = if caller.actor.role == Role::ProgramManager {
        form.get("weekly_digest").is_some()
    } else {
        stored.weekly_digest
    };
    let offsets = match reminder_offsets(Some(&typed_offsets)) {
        Ok(offsets) => offsets,
        Err(errors) => {
            let by_name = errors
                .errors
                .iter()
                .map(|(path, list)| {
                    let message = list
                        .iter()
                        .map(|e| e.message.clone())
                        .collect::<Vec<_>>()
                        .join(" ");
                    (path.clone(), message)
                })
                .collect();
            let view = settings_view(
                caller.actor.role,
                notify_by_email,
                &typed_offsets,
                weekly_digest,
                calendar_url,
                &by_name,
            );
            let mut response = render(
                "settings_notifications",
                "通知の設定",
                &caller,
                &session,
                view,
            )?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };
    let preferences = Preferences {
        notify_by_email,
        reminder_offsets: offsets,
        weekly_digest,
    };
    let user_id = caller.user.id;
    db.run(move |conn, _| recipients::set_preferences(conn, user_id, &preferences))
        .await?;
    set_flash(&session, "通知の設定を保存しました。");
    Ok(redirect("/settings/notifications"))
}
