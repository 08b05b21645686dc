//! The `sessions` table: one row per logged-in session, keyed by the SHA-256 of the token its
//! cookie carries (the token itself is never stored). Which sessions are still open is for
//! `domain::sessions` to say; `actions::sessions` puts the two together.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::sessions;
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: i64,
    pub data_json: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, id: &str) -> AppResult<Option<SessionRow>> {
    Ok(sessions::table
        .find(id)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConnection, row: &SessionRow) -> AppResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&row.id),
            sessions::user_id.eq(row.user_id),
            sessions::data_json.eq(&row.data_json),
            sessions::created_at.eq(row.created_at),
            sessions::last_seen_at.eq(row.last_seen_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces the state of the session `id` of `user_id`; false when there is no such session
/// (it ended meanwhile).
pub fn update_data(
    conn: &mut DbConnection,
    id: &str,
    user_id: i64,
    data_json: &str,
) -> AppResult<bool> {
    let updated = diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id)),
    )
    .set(sessions::data_json.eq(data_json))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn touch(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> AppResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_seen_at.eq(at))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, id: &str) -> AppResult<()> {
    diesel::delete(sessions::table.find(id)).execute(conn)?;
    Ok(())
}

/// Ends every session of a user (a new password); answers how many there were.
pub fn delete_of_user(conn: &mut DbConnection, user_id: i64) -> AppResult<usize> {
    Ok(diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?)
}

/// Deletes the sessions last used before `idle_before` or created before `created_before`.
pub fn delete_expired(
    conn: &mut DbConnection,
    idle_before: NaiveDateTime,
    created_before: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::delete(
        sessions::table.filter(
            sessions::last_seen_at
                .lt(idle_before)
                .or(sessions::created_at.lt(created_before)),
        ),
    )
    .execute(conn)?)
}
