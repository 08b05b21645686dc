//! Who is asking: cookie sessions (signed and encrypted with the session key, HttpOnly,
//! SameSite=Strict) and the lookup of the user behind one. Every handler that shows or
//! changes data takes a [`Caller`].

use std::future::Future;
use std::pin::Pin;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionExt, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;

use super::AppState;
use super::views::SessionUser;
use crate::db;
use crate::domain::access::Role;
use crate::domain::workflow::Actor;
use crate::error::{AppError, AppResult, ErrorKind};

const USER_ID: &str = "user_id";

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

/// The session layer: the server and the in-process tests wrap their apps in it.
pub fn session_middleware(key: Key, secure: bool) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_name("hojokin_session".to_owned())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Strict)
        .cookie_content_security(CookieContentSecurity::Private)
        .build()
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
        let role: Role = user.role.parse().map_err(AppError::internal)?;
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
/// wrong password and a disabled user. The JSON API and the login page share it.
pub async fn authenticate(
    state: &AppState,
    email: String,
    password: String,
) -> AppResult<db::users::User> {
    let pool = state.pool.clone();
    let user = web::block(move || -> AppResult<Option<db::users::User>> {
        let mut conn = pool.get()?;
        let user = db::users::find_by_email(&mut conn, &email)?;
        Ok(user.filter(|user| {
            !user.disabled
                && user
                    .password_hash
                    .as_deref()
                    .is_some_and(|hash| crate::passwords::verify_password(&password, hash))
        }))
    })
    .await
    .map_err(|error| AppError::internal("ログインを処理できません").with_cause(error))??;
    user.ok_or_else(|| {
        AppError::new(
            ErrorKind::Unauthenticated,
            "メールアドレスまたはパスワードが正しくありません",
        )
    })
}

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
              (status = 401, description = "メールアドレスまたはパスワードが正しくありません")))]
#[post("/api/v1/session")]
pub async fn login(
    state: web::Data<AppState>,
    session: Session,
    body: web::Json<Login>,
) -> AppResult<HttpResponse> {
    let Login { email, password } = body.into_inner();
    let user = authenticate(&state, email, password).await?;
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

/// Logs out.
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
