//! Users, their roles and memberships.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{memberships, users};
use super::{DbConnection, now};
use crate::domain::access::{EmailAddress, Role};
use crate::error::{AppError, AppResult};
use crate::on_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub municipality_id: Option<i64>,
    pub calendar_token: Option<String>,
    pub notify_by_email: bool,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
}

/// A user to create; the CLI and the demo build it, the repository checks the pairing of role
/// and scope that the database also enforces.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: EmailAddress,
    pub display_name: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub municipality_id: Option<i64>,
    pub organisation_ids: Vec<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct UserRow<'a> {
    email: &'a str,
    display_name: &'a str,
    role: Role,
    password_hash: Option<&'a str>,
    municipality_id: Option<i64>,
    created_at: NaiveDateTime,
}

/// Creates the user and its memberships in one transaction.
pub fn add_user(conn: &mut DbConnection, new: &NewUser) -> AppResult<i64> {
    super::write(conn, |conn| {
        let exists = users::table
            .filter(users::email.eq(new.email.as_str()))
            .count()
            .get_result::<i64>(conn)?;
        if exists > 0 {
            return Err(AppError::conflict(format!(
                "メールアドレス {} の利用者は既に登録されています",
                new.email
            )));
        }
        let created_at = now();
        let row = UserRow {
            email: new.email.as_str(),
            display_name: &new.display_name,
            role: new.role,
            password_hash: new.password_hash.as_deref(),
            municipality_id: new.municipality_id,
            created_at,
        };
        let id = on_backend!(conn, c => diesel::insert_into(users::table)
            .values(&row)
            .returning(users::id)
            .get_result::<i64>(c))?;
        for organisation_id in &new.organisation_ids {
            diesel::insert_into(memberships::table)
                .values((
                    memberships::user_id.eq(id),
                    memberships::organisation_id.eq(organisation_id),
                    memberships::created_at.eq(created_at),
                ))
                .execute(conn)?;
        }
        Ok(id)
    })
}

/// The user of an address as typed. Text that is no address (a NUL, a control character)
/// names no user and is not sent to the database, which could not compare it.
pub fn find_by_email(conn: &mut DbConnection, email: &str) -> AppResult<Option<User>> {
    let Ok(address) = crate::domain::access::EmailAddress::parse(email) else {
        return Ok(None);
    };
    Ok(users::table
        .filter(users::email.eq(address.as_str()))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn organisations_of(conn: &mut DbConnection, user_id: i64) -> AppResult<Vec<i64>> {
    Ok(memberships::table
        .filter(memberships::user_id.eq(user_id))
        .select(memberships::organisation_id)
        .order(memberships::organisation_id)
        .load(conn)?)
}

pub fn count_users(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(users::table.count().get_result(conn)?)
}

pub fn find_by_id(conn: &mut DbConnection, id: i64) -> AppResult<Option<User>> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Sets a new password and ends every session of the user: whoever held one must log in
/// with the new password. Call it inside the use case's transaction.
pub fn set_password_hash(conn: &mut DbConnection, id: i64, hash: &str) -> AppResult<()> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    super::sessions::delete_of_user(conn, id)?;
    Ok(())
}

pub use crate::passwords::token_hash;

/// Records a reset request for the user of `email` (if there is one, enabled) and, in the same
/// transaction, the job that emails its link (kind `email`, template `password_reset`). The
/// job names only the request (`reset_id`); no link exists yet: the row holds the hash of a
/// token nobody has, and the mail worker issues the real one when it sends the mail
/// ([`issue_reset_token`]). Answers whether a user was found; the page says the same either
/// way, so that it tells nobody who is registered.
pub fn request_password_reset(
    conn: &mut DbConnection,
    email: &str,
    valid_for: chrono::Duration,
) -> AppResult<bool> {
    use super::schema::password_reset_tokens as tokens;
    super::write(conn, |conn| {
        let Some(user) = find_by_email(conn, email)?.filter(|user| !user.disabled) else {
            return Ok(false);
        };
        let created_at = now();
        let id = on_backend!(conn, c => diesel::insert_into(tokens::table)
            .values((
                tokens::user_id.eq(user.id),
                tokens::token_hash.eq(token_hash(&crate::passwords::random_token())),
                tokens::expires_at.eq(created_at + valid_for),
                tokens::created_at.eq(created_at),
            ))
            .returning(tokens::id)
            .get_result::<i64>(c))?;
        super::jobs::enqueue(
            conn,
            super::jobs::JobKind::Email,
            Some(&format!("email:password_reset:{id}")),
            &serde_json::json!({
                "template": "password_reset",
                "user_id": user.id,
                "reset_id": id,
            }),
            created_at,
        )?;
        Ok(true)
    })
}

/// The link's token of an open reset request, issued as its mail is sent: only its hash is
/// stored, replacing the one before, so that only the link of the latest mail works. Answers
/// the user and when the link expires; `None` (nothing changed) when the request was used,
/// has expired, or its user is disabled.
pub fn issue_reset_token(
    conn: &mut DbConnection,
    reset_id: i64,
    token: &str,
) -> AppResult<Option<(User, NaiveDateTime)>> {
    use super::schema::password_reset_tokens as tokens;
    super::write(conn, |conn| {
        let open: Option<(i64, NaiveDateTime)> = tokens::table
            .find(reset_id)
            .filter(tokens::used_at.is_null())
            .filter(tokens::expires_at.gt(now()))
            .select((tokens::user_id, tokens::expires_at))
            .first(conn)
            .optional()?;
        let Some((user_id, expires_at)) = open else {
            return Ok(None);
        };
        let Some(user) = find_by_id(conn, user_id)?.filter(|user| !user.disabled) else {
            return Ok(None);
        };
        diesel::update(tokens::table.find(reset_id))
            .set(tokens::token_hash.eq(token_hash(token)))
            .execute(conn)?;
        Ok(Some((user, expires_at)))
    })
}

/// Whether a token is valid now (unused and unexpired), without using it.
pub fn reset_token_valid(conn: &mut DbConnection, token: &str) -> AppResult<bool> {
    use super::schema::password_reset_tokens as tokens;
    let found: i64 = tokens::table
        .filter(tokens::token_hash.eq(token_hash(token)))
        .filter(tokens::used_at.is_null())
        .filter(tokens::expires_at.gt(now()))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Uses a token once: sets the new password hash and marks the token (and every other open
/// token of the user) used, in one transaction. `false` when the token is unknown, used or
/// expired; nothing is changed then.
pub fn reset_password(conn: &mut DbConnection, token: &str, new_hash: &str) -> AppResult<bool> {
    use super::schema::password_reset_tokens as tokens;
    super::write(conn, |conn| {
        let at = now();
        let user_id: Option<i64> = tokens::table
            .filter(tokens::token_hash.eq(token_hash(token)))
            .filter(tokens::used_at.is_null())
            .filter(tokens::expires_at.gt(at))
            .select(tokens::user_id)
            .first(conn)
            .optional()?;
        let Some(user_id) = user_id else {
            return Ok(false);
        };
        diesel::update(
            tokens::table
                .filter(tokens::user_id.eq(user_id))
                .filter(tokens::used_at.is_null()),
        )
        .set(tokens::used_at.eq(at))
        .execute(conn)?;
        set_password_hash(conn, user_id, new_hash)?;
        Ok(true)
    })
}

/// The first user with `role` (and, for an applicant, a member of `organisation`).
pub fn first_with_role(
    conn: &mut DbConnection,
    role: crate::domain::access::Role,
    organisation: Option<i64>,
) -> AppResult<Option<User>> {
    let mut query = users::table.filter(users::role.eq(role)).into_boxed();
    if let Some(organisation) = organisation {
        let members = memberships::table
            .filter(memberships::organisation_id.eq(organisation))
            .select(memberships::user_id);
        query = query.filter(users::id.eq_any(members));
    }
    Ok(query
        .order(users::id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}
