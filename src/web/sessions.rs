//! actix-session's store over our database (docs/SECURITY.md, Sessions). The cookie (signed
//! and encrypted with the session key either way) carries one of two things:
//!
//! - `s.<token>` for a logged-in session: a random 256-bit token; the server keeps only its
//!   SHA-256 in `sessions`, with the user, the rest of the state (CSRF token, a notice) and
//!   the times that end it (`actions::sessions`). Deleting the row ends the session, whoever
//!   still holds the cookie.
//! - `c.<state>` for a visitor who is not logged in: the state itself (a CSRF token for the
//!   login form, a notice), so that showing the login page writes nothing on the server. A
//!   user id is never taken from such a cookie.
//!
//! A login calls `Session::renew` ([`super::auth::start_session`]): the middleware deletes the
//! old key and saves the state with its user id, which makes a new row and a new token.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;

use super::auth::USER_ID;
use super::blocking;
use crate::actions;
use crate::db::{self, Pool};
use crate::domain::sessions::SessionLifetime;
use crate::error::{AppError, AppResult};

type State = HashMap<String, String>;

const STORED: &str = "s.";
const CARRIED: &str = "c.";

#[derive(Clone)]
pub struct DbSessionStore {
    pool: Pool,
    lifetime: SessionLifetime,
}

impl DbSessionStore {
    pub fn new(pool: Pool, lifetime: SessionLifetime) -> Self {
        DbSessionStore { pool, lifetime }
    }

    async fn with_db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut db::DbConnection, &SessionLifetime) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let pool = self.pool.clone();
        let lifetime = self.lifetime;
        blocking(move || work(&mut *pool.get()?, &lifetime)).await
    }

    /// Saves `state`: a new row and token when it has a user, else the state in the cookie.
    async fn store(&self, mut state: State) -> AppResult<SessionKey> {
        let Some(user_id) = user_of(&mut state) else {
            return carried(&state);
        };
        let data = to_json(&state)?;
        let token = self
            .with_db(move |conn, lifetime| {
                actions::sessions::start(conn, lifetime, user_id, &data, db::now())
            })
            .await?;
        key(format!("{STORED}{token}"))
    }
}

/// Takes the user id out of the state, where the handlers keep it (`USER_ID`).
fn user_of(state: &mut State) -> Option<i64> {
    state
        .remove(USER_ID)
        .and_then(|value| serde_json::from_str::<i64>(&value).ok())
}

fn to_json(state: &State) -> AppResult<String> {
    serde_json::to_string(state)
        .map_err(|error| AppError::internal("セッションを保存できません").with_cause(error))
}

fn key(text: String) -> AppResult<SessionKey> {
    SessionKey::try_from(text)
        .map_err(|error| AppError::internal("セッションを保存できません").with_cause(error))
}

/// A visitor's state, kept in the cookie.
fn carried(state: &State) -> AppResult<SessionKey> {
    key(format!("{CARRIED}{}", to_json(state)?))
}

fn other(error: AppError) -> anyhow::Error {
    anyhow::Error::new(error)
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let text = session_key.as_ref();
        if let Some(json) = text.strip_prefix(CARRIED) {
            let Ok(mut state) = serde_json::from_str::<State>(json) else {
                return Ok(None);
            };
            // Only a row on the server says who is logged in.
            state.remove(USER_ID);
            return Ok(Some(state));
        }
        let Some(token) = text.strip_prefix(STORED).map(str::to_owned) else {
            // A cookie of another shape (from before these sessions): nobody's.
            return Ok(None);
        };
        let open = self
            .with_db(move |conn, lifetime| {
                actions::sessions::open(conn, lifetime, &token, db::now())
            })
            .await
            .map_err(|error| LoadError::Other(other(error)))?;
        let Some(open) = open else {
            return Ok(None);
        };
        let mut state: State = serde_json::from_str(&open.data_json)
            .map_err(|error| LoadError::Deserialization(anyhow::Error::new(error)))?;
        state.insert(USER_ID.to_owned(), open.user_id.to_string());
        Ok(Some(state))
    }

    async fn save(&self, state: State, _ttl: &Duration) -> Result<SessionKey, SaveError> {
        self.store(state)
            .await
            .map_err(|error| SaveError::Other(other(error)))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        mut state: State,
        _ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let failed = |error: AppError| UpdateError::Other(other(error));
        let Some(token) = session_key.as_ref().strip_prefix(STORED).map(str::to_owned) else {
            // A visitor's cookie: saved as new (a row if the state now has a user).
            return self.store(state).await.map_err(failed);
        };
        let Some(user_id) = user_of(&mut state) else {
            // The user left the state: the session ends, the rest stays in the cookie.
            self.with_db(move |conn, _| actions::sessions::end(conn, &token))
                .await
                .map_err(failed)?;
            return carried(&state).map_err(failed);
        };
        let data = to_json(&state).map_err(failed)?;
        let kept = self
            .with_db(move |conn, _| actions::sessions::save_state(conn, &token, user_id, &data))
            .await
            .map_err(failed)?;
        if kept {
            Ok(session_key)
        } else {
            // Ended while this request ran (logout elsewhere, a new password): it stays ended.
            carried(&state).map_err(failed)
        }
    }

    async fn update_ttl(&self, _session_key: &SessionKey, _ttl: &Duration) -> anyhow::Result<()> {
        // The last use is recorded when the session is loaded (`actions::sessions::open`).
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        if let Some(token) = session_key.as_ref().strip_prefix(STORED).map(str::to_owned) {
            self.with_db(move |conn, _| actions::sessions::end(conn, &token))
                .await
                .map_err(other)?;
        }
        Ok(())
    }
}
