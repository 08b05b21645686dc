//! Password reset by an emailed token: the request page records the request and enqueues the
//! email job in one transaction (`db::users::request_password_reset`); the mail worker issues
//! the link's token as it sends the mail (only its hash is stored); the link opens a form that
//! sets a new password once. The answers never say whether an email is
//! registered.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;

use super::{Db, Page, PageError, PageForm, PageResult, csrf_token, html, redirect, set_flash};
use crate::db;
use crate::error::ErrorKind;
use crate::web::AppState;

/// How long an emailed link works.
const VALID_FOR_MINUTES: i64 = 60;

#[derive(Serialize)]
struct RequestView {
    sent: bool,
}

#[derive(Serialize)]
struct FormView {
    token: String,
    valid: bool,
    error: Option<String>,
    min_length: usize,
}

fn anonymous<T: Serialize>(
    session: &Session,
    template: &str,
    title: &str,
    status: StatusCode,
    view: T,
) -> PageResult {
    let page = Page {
        title: title.to_owned(),
        user: None,
        csrf: csrf_token(session)?,
        nav: Vec::new(),
        flash: None,
        refusal: None,
        page: view,
    };
    html(status, super::render_html(template, &page)?)
}

#[get("/password-reset")]
pub async fn request_page(session: Session) -> PageResult {
    anonymous(
        &session,
        "password_reset_request",
        "パスワードの再設定",
        StatusCode::OK,
        RequestView { sent: false },
    )
}

#[post("/password-reset")]
pub async fn request(db: Db, session: Session, form: PageForm) -> PageResult {
    let email = form.text("email");
    db.run(move |conn, _| {
        db::users::request_password_reset(
            conn,
            &email,
            chrono::Duration::minutes(VALID_FOR_MINUTES),
        )
    })
    .await?;
    // The same answer whether or not the address is registered.
    anonymous(
        &session,
        "password_reset_request",
        "パスワードの再設定",
        StatusCode::OK,
        RequestView { sent: true },
    )
}

#[get("/password-reset/{token}")]
pub async fn form_page(db: Db, session: Session, path: web::Path<String>) -> PageResult {
    let token = path.into_inner();
    let lookup = token.clone();
    let valid = db
        .run(move |conn, _| db::users::reset_token_valid(conn, &lookup))
        .await?;
    anonymous(
        &session,
        "password_reset_form",
        "新しいパスワードの設定",
        if valid {
            StatusCode::OK
        } else {
            StatusCode::GONE
        },
        FormView {
            token,
            valid,
            error: None,
            min_length: crate::passwords::MIN_LENGTH,
        },
    )
}

#[post("/password-reset/{token}")]
pub async fn reset(
    state: web::Data<AppState>,
    db: Db,
    session: Session,
    path: web::Path<String>,
    form: PageForm,
) -> Result<HttpResponse, PageError> {
    let token = path.into_inner();
    let password = form.get("password").unwrap_or_default().to_owned();
    let again = form.get("password_again").unwrap_or_default();
    let refuse = |message: String| {
        anonymous(
            &session,
            "password_reset_form",
            "新しいパスワードの設定",
            StatusCode::UNPROCESSABLE_ENTITY,
            FormView {
                token: token.clone(),
                valid: true,
                error: Some(message),
                min_length: crate::passwords::MIN_LENGTH,
            },
        )
    };
    if password != again {
        return refuse("確認のため入力したパスワードが一致しません".to_owned());
    }
    let hash = match state
        .security
        .hashing
        .run(move || crate::passwords::hash_password(&password))
        .await
        .and_then(|hashed| hashed)
    {
        Ok(hash) => hash,
        Err(error) if error.kind == ErrorKind::BadRequest => return refuse(error.message),
        Err(error) => return Err(error.into()),
    };
    let used = token.clone();
    let done = db
        .run(move |conn, _| db::users::reset_password(conn, &used, &hash))
        .await?;
    if !done {
        return anonymous(
            &session,
            "password_reset_form",
            "新しいパスワードの設定",
            StatusCode::GONE,
            FormView {
                token,
                valid: false,
                error: None,
                min_length: crate::passwords::MIN_LENGTH,
            },
        );
    }
    // Every session of the user has ended with the new password (`set_password_hash`);
    // whoever was logged in on this browser starts again too.
    session.purge();
    set_flash(
        &session,
        "パスワードを変更しました。新しいパスワードでログインしてください。",
    );
    Ok(redirect("/login"))
}
