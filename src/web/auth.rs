//! Who is asking: sessions (docs/SECURITY.md) and the lookup of the user behind one, and the
//! login with its limits. The session cookie is signed and encrypted with the session key,
//! HttpOnly, SameSite=Strict, and `Secure` whenever `base_url` is https; what it carries and
//! what the server keeps: [`super::sessions`]. Every handler that shows or changes data
//! takes a [`Caller`].

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_session::config::CookieContentSecurity;
use actix_session::{Session, SessionExt, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;

use super::sessions::DbSessionStore;
use super::views::SessionUser;
use super::{AppState, blocking};
use crate::actions::logins::{self, Attempt};
use crate::config::Config;
use crate::db;
use crate::domain::login_limit::LoginLimits;
use crate::domain::sessions::SessionLifetime;
use crate::domain::workflow::Actor;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::passwords::HashingPool;

/// The session's entry for the logged-in user (kept on the server, never in a cookie).
pub(crate) const USER_ID: &str = "user_id";

/// The key that signs and encrypts session cookies, from the configured hex secret.
pub fn session_key(session_key_hex: &str) -> AppResult<Key> {
    let bytes: Vec<u8> = (0..session_key_hex.len())
        .step_by(2)
        .filter_map(|i| {
            session_key_hex
                .get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect();
    if bytes.len() < 64 {
        return Err(AppError::config(
            "設定エラー [session_key]: 64 バイト（16 進 128 文字）以上の鍵が必要です",
        ));
    }
    Ok(Key::from(&bytes))
}

/// Whether cookies carry `Secure`: whenever the service is reached over https.
pub fn secure_cookies(base_url: &str) -> bool {
    base_url.starts_with("https://")
}

/// The session layer over the state's database: the server and the in-process tests wrap
/// their apps in it.
pub fn session_middleware(
    key: Key,
    secure: bool,
    state: &AppState,
) -> SessionMiddleware<DbSessionStore> {
    let store = DbSessionStore::new(state.pool.clone(), state.security.sessions);
    SessionMiddleware::builder(store, key)
        .cookie_name("hojokin_session".to_owned())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Strict)
        .cookie_content_security(CookieContentSecurity::Private)
        .build()
}

/// What logins and sessions need besides the database, from the configuration.
#[derive(Clone)]
pub struct Security {
    /// Where passwords are checked and hashed: a bounded pool of threads.
    pub hashing: HashingPool,
    pub limits: LoginLimits,
    pub sessions: SessionLifetime,
    /// Behind a reverse proxy: the client is the last address of `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
}

impl Security {
    pub fn from_config(config: &Config) -> AppResult<Security> {
        Ok(Security {
            hashing: HashingPool::new(config.password_hash_threads, config.password_hash_wait)?,
            limits: config.login_limits,
            sessions: config.session_lifetime,
            trust_forwarded_for: config.trust_forwarded_for,
        })
    }
}

/// The address a login is counted against: the peer, or behind a trusted proxy the last
/// address of `X-Forwarded-For` (the one the proxy added; those before it are the client's
/// say and could be anything).
pub fn client_address(request: &HttpRequest, trust_forwarded_for: bool) -> String {
    let forwarded = trust_forwarded_for
        .then(|| request.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok());
    match forwarded.or_else(|| request.peer_addr().map(|peer| peer.ip())) {
        Some(address) => address.to_string(),
        None => "unknown".to_owned(),
    }
}

/// The logged-in user. As an extractor: the user of the session, 401 when there is none (or
/// it was disabled, when the session is also purged). Nothing is looked up until it is
/// polled; after a body, take it with [`Then`](super::extract::Then).
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: db::users::User,
    pub actor: Actor,
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = request
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::internal("アプリケーションの状態がありません"))?;
            look_up(&state, &request.get_session()).await
        })
    }
}

/// Looks up the user of the session; 401 when there is none (or it was disabled).
async fn look_up(state: &AppState, session: &Session) -> AppResult<Caller> {
    let unauthenticated = || AppError::new(ErrorKind::Unauthenticated, "ログインしてください");
    let user_id = session
        .get::<i64>(USER_ID)
        .map_err(|_| unauthenticated())?
        .ok_or_else(unauthenticated)?;
    let pool = state.pool.clone();
    let found = web::block(move || -> AppResult<Option<Caller>> {
        let mut conn = pool.get()?;
        let Some(user) = db::users::find_by_id(&mut conn, user_id)? else {
            return Ok(None);
        };
        let role = user.role;
        let organisation_ids = db::users::organisations_of(&mut conn, user.id)?;
        let actor = Actor {
            user_id: user.id,
            role,
            organisation_ids,
            municipality_id: user.municipality_id,
        };
        Ok(Some(Caller { user, actor }))
    })
    .await
    .map_err(|error| AppError::internal("利用者を確認できません").with_cause(error))??;
    match found {
        Some(caller) if !caller.user.disabled => Ok(caller),
        _ => {
            session.purge();
            Err(unauthenticated())
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
}

/// The user whose email and password these are; the same refusal for an unknown email, a
/// wrong password and a disabled user, after the same work (an unknown email is checked
/// against a hash too). Refused with 429 while the account or `address` has too many recent
/// failures, even with the right password; 503 when no password thread frees up in time.
/// The JSON API and the login page share it.
pub async fn authenticate(
    state: &AppState,
    email: String,
    password: String,
    address: String,
) -> AppResult<db::users::User> {
    // Held from the check of the limit to the record of a failure (`actions::logins`).
    let slot = state.security.hashing.slot().await?;
    let limits = state.security.limits;
    let pool = state.pool.clone();
    let (typed, from) = (email.clone(), address.clone());
    let attempt =
        blocking(move || logins::check(&mut *pool.get()?, &limits, &typed, &from, db::now()))
            .await?;
    let user = match attempt {
        Attempt::Allowed(user) => user.filter(|user| !user.disabled),
        Attempt::Refused {
            retry_after_seconds,
        } => {
            return Err(AppError::new(ErrorKind::TooManyRequests, TOO_MANY_ATTEMPTS)
                .with_retry_after(retry_after_seconds));
        }
    };
    let stored = user.as_ref().and_then(|user| user.password_hash.clone());
    let right = slot
        .run(move || crate::passwords::verify_password_or_dummy(&password, stored.as_deref()))
        .await?;
    match user {
        Some(user) if right => Ok(user),
        _ => {
            let pool = state.pool.clone();
            blocking(move || {
                logins::record_failure(&mut *pool.get()?, &limits, &email, &address, db::now())
            })
            .await?;
            drop(slot);
            Err(AppError::new(
                ErrorKind::Unauthenticated,
                "メールアドレスまたはパスワードが正しくありません",
            ))
        }
    }
}

/// What a login refused by the limit says, on the page and in the API.
pub const TOO_MANY_ATTEMPTS: &str =
    "ログインの試行が多すぎます。しばらくしてからもう一度お試しください。";

/// Binds the session to the user.
pub fn start_session(session: &Session, user_id: i64) -> AppResult<()> {
    // A new session id on login: a session fixed before login is worth nothing after it.
    session.renew();
    session
        .insert(USER_ID, user_id)
        .map_err(|error| AppError::internal("セッションを作成できません").with_cause(error))
}

/// Logs in; the same answer for an unknown email and a wrong password.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Login,
    responses((status = 200, description = "ログインしました（セッション Cookie を設定）", body = SessionUser),
              (status = 401, description = "メールアドレスまたはパスワードが正しくありません"),
              (status = 429, description = "ログインの試行が多すぎます（Retry-After 秒後に再試行、code too_many_requests）"),
              (status = 503, description = "混み合っています（Retry-After 秒後に再試行）")))]
#[post("/api/v1/session")]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: Session,
    body: web::Json<Login>,
) -> AppResult<HttpResponse> {
    let Login { email, password } = body.into_inner();
    let address = client_address(&request, state.security.trust_forwarded_for);
    let user = authenticate(&state, email, password, address).await?;
    start_session(&session, user.id)?;
    Ok(HttpResponse::Ok().json(SessionUser {
        id: user.id,
        email: user.email,
        display_name: None,
        role: user.role,
        organisation_ids: None,
        municipality_id: None,
    }))
}

/// Logs out: the session ends on the server, so its cookie opens nothing afterwards.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204, description = "ログアウトしました")))]
#[delete("/api/v1/session")]
pub async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::NoContent().finish()
}

/// The logged-in user, their role and scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, description = "利用者", body = SessionUser), (status = 401, description = "未ログイン")))]
#[get("/api/v1/me")]
pub async fn me(caller: Caller) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(SessionUser {
        id: caller.user.id,
        email: caller.user.email,
        display_name: Some(caller.user.display_name),
        role: caller.user.role,
        organisation_ids: Some(caller.actor.organisation_ids),
        municipality_id: caller.actor.municipality_id,
    }))
}
