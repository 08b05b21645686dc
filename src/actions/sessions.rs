//! Sessions of logged-in people (docs/SECURITY.md): a row per session, found by the SHA-256
//! of the token its cookie carries, open while `domain::sessions` says so. The session store
//! of the web layer (`web::sessions`) calls these.

use chrono::NaiveDateTime;

use crate::db::sessions::SessionRow;
use crate::db::{self, DbConnection};
use crate::domain::sessions::SessionLifetime;
use crate::error::AppResult;
use crate::passwords::{random_token, token_hash};

/// An open session: whose it is and the rest of its state (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    pub user_id: i64,
    pub data_json: String,
}

/// The session of the cookie token `token` if it is still open at `at`, with its last use
/// recorded (at most once a minute). A session that is over is deleted and answers `None`.
pub fn open(
    conn: &mut DbConnection,
    lifetime: &SessionLifetime,
    token: &str,
    at: NaiveDateTime,
) -> AppResult<Option<OpenSession>> {
    let id = token_hash(token);
    let Some(row) = db::sessions::find(conn, &id)? else {
        return Ok(None);
    };
    if !lifetime.is_live(row.created_at, row.last_seen_at, at) {
        db::write(conn, |conn| db::sessions::delete(conn, &id))?;
        return Ok(None);
    }
    if lifetime.needs_touch(row.last_seen_at, at) {
        db::write(conn, |conn| db::sessions::touch(conn, &id, at))?;
    }
    Ok(Some(OpenSession {
        user_id: row.user_id,
        data_json: row.data_json,
    }))
}

/// Starts a session of `user_id` (a login) and answers its token, for the cookie: the only
/// copy. Sessions that are over are deleted on the way.
pub fn start(
    conn: &mut DbConnection,
    lifetime: &SessionLifetime,
    user_id: i64,
    data_json: &str,
    at: NaiveDateTime,
) -> AppResult<String> {
    let token = random_token();
    db::write(conn, |conn| {
        let (idle_before, created_before) = lifetime.expired_before(at);
        db::sessions::delete_expired(conn, idle_before, created_before)?;
        db::sessions::insert(
            conn,
            &SessionRow {
                id: token_hash(&token),
                user_id,
                data_json: data_json.to_owned(),
                created_at: at,
                last_seen_at: at,
            },
        )
    })?;
    Ok(token)
}

/// Replaces the state of the open session `token` of `user_id`; false when it has ended
/// (logout, a new password) meanwhile, and then nothing is written.
pub fn save_state(
    conn: &mut DbConnection,
    token: &str,
    user_id: i64,
    data_json: &str,
) -> AppResult<bool> {
    let id = token_hash(token);
    db::write(conn, |conn| {
        db::sessions::update_data(conn, &id, user_id, data_json)
    })
}

/// Ends the session `token` (logout).
pub fn end(conn: &mut DbConnection, token: &str) -> AppResult<()> {
    let id = token_hash(token);
    db::write(conn, |conn| db::sessions::delete(conn, &id))
}
