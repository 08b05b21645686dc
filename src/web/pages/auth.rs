//! Login and logout pages. The password check and the session are the JSON API's
//! (`web::auth::authenticate`, `start_session`): one way in.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;

use super::{Page, PageError, PageForm, PageResult, csrf_token, home_of, html, redirect};
use crate::web::AppState;
use crate::web::auth::{Caller, authenticate, start_session};

/// `/`: the person's home page, or the login page.
#[get("/")]
pub async fn root(caller: Option<Caller>) -> HttpResponse {
    match caller {
        Some(caller) => redirect(home_of(caller.actor.role)),
        None => redirect("/login"),
    }
}

#[derive(Serialize)]
struct LoginView {
    email: String,
    error: Option<&'static str>,
}

fn login_form(session: &Session, status: StatusCode, view: LoginView) -> PageResult {
    let page = Page {
        title: "ログイン".to_owned(),
        user: None,
        csrf: csrf_token(session)?,
        nav: Vec::new(),
        flash: session.remove_as::<String>("flash").and_then(Result::ok),
        page: view,
    };
    let body = super::render_html("login", &page)?;
    html(status, body)
}

#[get("/login")]
pub async fn login_page(session: Session, caller: Option<Caller>) -> PageResult {
    if let Some(caller) = caller {
        return Ok(redirect(home_of(caller.actor.role)));
    }
    login_form(
        &session,
        StatusCode::OK,
        LoginView {
            email: String::new(),
            error: None,
        },
    )
}

#[post("/login")]
pub async fn login(
    state: web::Data<AppState>,
    session: Session,
    form: PageForm,
) -> Result<HttpResponse, PageError> {
    let email = form.text("email");
    let password = form.get("password").unwrap_or_default().to_owned();
    match authenticate(&state, email.clone(), password).await {
        Ok(user) => {
            start_session(&session, user.id)?;
            // A fresh CSRF token with the fresh session.
            session.remove(super::CSRF);
            let role = user
                .role
                .parse()
                .map_err(crate::error::AppError::internal)?;
            Ok(redirect(home_of(role)))
        }
        Err(_) => login_form(
            &session,
            StatusCode::UNAUTHORIZED,
            LoginView {
                email,
                error: Some("メールアドレスまたはパスワードが正しくありません。"),
            },
        ),
    }
}

#[post("/logout")]
pub async fn logout(session: Session, _form: PageForm) -> HttpResponse {
    session.purge();
    redirect("/login")
}
