//! Who gets which email, and each user's notification preferences and calendar token.

use diesel::prelude::*;
use serde::Serialize;

use super::DbConnection;
use super::schema::{application_members, applications, memberships, users};
use crate::domain::access::Role;
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct Recipient {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
}

impl From<super::users::User> for Recipient {
    fn from(user: super::users::User) -> Self {
        Recipient {
            user_id: user.id,
            email: user.email,
            display_name: user.display_name,
        }
    }
}

/// Applicant users of the application's member organisations who want email.
pub fn applicants_of(conn: &mut DbConnection, application_id: i64) -> AppResult<Vec<Recipient>> {
    let mut found: Vec<Recipient> = users::table
        .inner_join(memberships::table.on(memberships::user_id.eq(users::id)))
        .inner_join(
            application_members::table
                .on(application_members::organisation_id.eq(memberships::organisation_id)),
        )
        .filter(application_members::application_id.eq(application_id))
        .filter(users::role.eq(Role::Applicant))
        .filter(users::disabled.eq(false))
        .filter(users::notify_by_email.eq(true))
        .order(users::id)
        .select((users::id, users::email, users::display_name))
        .load(conn)?;
    found.dedup_by_key(|r| r.user_id);
    Ok(found)
}

/// Finance officers of the application's municipality who want email: they review its
/// budget lines.
pub fn finance_officers_of(
    conn: &mut DbConnection,
    application_id: i64,
) -> AppResult<Vec<Recipient>> {
    let municipality = applications::table
        .find(application_id)
        .select(applications::municipality_id)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten();
    let Some(municipality) = municipality else {
        return Ok(Vec::new());
    };
    Ok(users::table
        .filter(users::role.eq(Role::FinanceOfficer))
        .filter(users::municipality_id.eq(municipality))
        .filter(users::disabled.eq(false))
        .filter(users::notify_by_email.eq(true))
        .order(users::id)
        .select((users::id, users::email, users::display_name))
        .load(conn)?)
}

/// Program managers who want email (`digest_only`: those who also want the weekly digest).
pub fn program_managers(conn: &mut DbConnection, digest_only: bool) -> AppResult<Vec<Recipient>> {
    let mut query = users::table
        .filter(users::role.eq(Role::ProgramManager))
        .filter(users::disabled.eq(false))
        .filter(users::notify_by_email.eq(true))
        .order(users::id)
        .select((users::id, users::email, users::display_name))
        .into_boxed();
    if digest_only {
        query = query.filter(users::weekly_digest.eq(true));
    }
    Ok(query.load(conn)?)
}

/// The user, if they still want email.
pub fn active(conn: &mut DbConnection, user_id: i64) -> AppResult<Option<Recipient>> {
    Ok(users::table
        .find(user_id)
        .filter(users::disabled.eq(false))
        .filter(users::notify_by_email.eq(true))
        .select((users::id, users::email, users::display_name))
        .first(conn)
        .optional()?)
}

/// Reference and title of an application (for emails).
pub fn application_heading(
    conn: &mut DbConnection,
    application_id: i64,
) -> AppResult<Option<(String, String)>> {
    Ok(applications::table
        .find(application_id)
        .select((applications::reference, applications::title))
        .first(conn)
        .optional()?)
}

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct Preferences {
    pub notify_by_email: bool,
    /// The user's own reminder offsets (`-14,-7,-1,+1,+7`); null: the service's.
    pub reminder_offsets: Option<String>,
    pub weekly_digest: bool,
}

pub fn preferences(conn: &mut DbConnection, user_id: i64) -> AppResult<Preferences> {
    Ok(users::table
        .find(user_id)
        .select((
            users::notify_by_email,
            users::reminder_offsets,
            users::weekly_digest,
        ))
        .first(conn)?)
}

pub fn set_preferences(
    conn: &mut DbConnection,
    user_id: i64,
    preferences: &Preferences,
) -> AppResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::notify_by_email.eq(preferences.notify_by_email),
            users::reminder_offsets.eq(&preferences.reminder_offsets),
            users::weekly_digest.eq(preferences.weekly_digest),
        ))
        .execute(conn)?;
    Ok(())
}

/// The user's calendar token, created (random, 32 hex bytes) when missing.
pub fn calendar_token(conn: &mut DbConnection, user_id: i64) -> AppResult<String> {
    let existing: Option<String> = users::table
        .find(user_id)
        .select(users::calendar_token)
        .first(conn)?;
    if let Some(token) = existing {
        return Ok(token);
    }
    let token: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    // Only where still empty: two requests at once keep the first token.
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::calendar_token.is_null()),
    )
    .set(users::calendar_token.eq(&token))
    .execute(conn)?;
    Ok(users::table
        .find(user_id)
        .select(users::calendar_token)
        .first::<Option<String>>(conn)?
        .unwrap_or(token))
}

/// The user behind a calendar token: (id, is program manager).
pub fn by_calendar_token(conn: &mut DbConnection, token: &str) -> AppResult<Option<(i64, bool)>> {
    let found: Option<(i64, Role)> = users::table
        .filter(users::calendar_token.eq(token))
        .filter(users::disabled.eq(false))
        .select((users::id, users::role))
        .first(conn)
        .optional()?;
    Ok(found.map(|(id, role)| (id, role == Role::ProgramManager)))
}

/// The distinct reminder offsets users have set for themselves.
pub fn custom_offsets(conn: &mut DbConnection) -> AppResult<Vec<String>> {
    Ok(users::table
        .filter(users::reminder_offsets.is_not_null())
        .select(users::reminder_offsets.assume_not_null())
        .distinct()
        .load(conn)?)
}
