//! Login and logout pages. The password check and the session are the JSON API's
//! (`web::auth::authenticate`, `start_session`): one way in.

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::{Page, PageError, PageForm, PageResult, csrf_token, home_of, html, redirect};
use crate::domain::sessions::return_path;
use crate::error::ErrorKind;
use crate::web::AppState;
use crate::web::auth::{Caller, TOO_MANY_ATTEMPTS, authenticate, client_address, start_session};

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
    /// Where the login leads: the page asked for before it (checked by
    /// [`return_path`]), carried in the form.
    next: Option<String>,
}

/// What the login page is asked with: `next`, the page to come back to, and `logged_out`,
/// set by the logout.
#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    logged_out: Option<String>,
}

/// What the login page says after a logout.
pub const LOGGED_OUT: &str = "ログアウトしました。";

/// The login page, leading back to `then` when that is a path of this site
/// ([`return_path`]); the home page needs no `next`.
pub fn login_url(then: Option<&str>) -> String {
    match then.and_then(return_path) {
        Some(path) if path != "/" => format!("/login?next={}", query_value(path)),
        _ => "/login".to_owned(),
    }
}

/// `text` percent-encoded for a query's value: every byte but the unreserved ones and `/`.
fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn login_form(
    session: &Session,
    status: StatusCode,
    notice: Option<String>,
    view: LoginView,
) -> PageResult {
    let page = Page {
        title: "ログイン".to_owned(),
        user: None,
        csrf: csrf_token(session)?,
        nav: Vec::new(),
        flash: super::take_flash(session).or(notice),
        refusal: None,
        page: view,
    };
    let body = super::render_html("login", &page)?;
    html(status, body)
}

#[get("/login")]
pub async fn login_page(
    session: Session,
    query: Option<web::Query<LoginQuery>>,
    caller: Option<Caller>,
) -> PageResult {
    let query = query.map(web::Query::into_inner);
    let next = query
        .as_ref()
        .and_then(|query| query.next.as_deref())
        .and_then(return_path)
        .map(str::to_owned);
    if let Some(caller) = caller {
        return Ok(redirect(
            next.as_deref().unwrap_or(home_of(caller.actor.role)),
        ));
    }
    let logged_out = query.is_some_and(|query| query.logged_out.is_some());
    login_form(
        &session,
        StatusCode::OK,
        logged_out.then(|| LOGGED_OUT.to_owned()),
        LoginView {
            email: String::new(),
            error: None,
            next,
        },
    )
}

#[post("/login")]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: Session,
    form: PageForm,
) -> Result<HttpResponse, PageError> {
    let email = form.text("email");
    let password = form.get("password").unwrap_or_default().to_owned();
    // A `next` that could lead off this site is dropped: the login then leads home.
    let next = form.get("next").and_then(return_path).map(str::to_owned);
    let address = client_address(&request, state.security.trust_forwarded_for);
    match authenticate(&state, email.clone(), password, address).await {
        Ok(user) => {
            start_session(&session, user.id)?;
            // A fresh CSRF token with the fresh session.
            session.remove(super::CSRF);
            Ok(redirect(next.as_deref().unwrap_or(home_of(user.role))))
        }
        Err(error) => {
            let (status, message) = match error.kind {
                ErrorKind::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, TOO_MANY_ATTEMPTS),
                ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, BUSY),
                ErrorKind::Unauthenticated => (
                    StatusCode::UNAUTHORIZED,
                    "メールアドレスまたはパスワードが正しくありません。",
                ),
                _ => return Err(error.into()),
            };
            let mut response = login_form(
                &session,
                status,
                None,
                LoginView {
                    email,
                    error: Some(message),
                    next,
                },
            )?;
            if let Some(seconds) = error.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            }
            Ok(response)
        }
    }
}

/// What the login page says when no password thread freed up in time.
const BUSY: &str = "ただいま混み合っています。しばらくしてからもう一度お試しください。";

/// Logs out: the session ends on the server, so its cookie opens nothing afterwards. The
/// session that could carry a notice is gone, so the login page is told by its query.
#[post("/logout")]
pub async fn logout(session: Session, _form: PageForm) -> HttpResponse {
    session.purge();
    redirect("/login?logged_out=1")
}
