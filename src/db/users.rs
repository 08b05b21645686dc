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
    pub role: String,
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
    role: &'a str,
    password_hash: Option<&'a str>,
    municipality_id: Option<i64>,
    created_at: NaiveDateTime,
}

/// Creates the user and its memberships in one transaction.
pub fn add_user(conn: &mut DbConnection, new: &NewUser) -> AppResult<i64> {
    match new.role {
        Role::FinanceOfficer if new.municipality_id.is_none() => {
            return Err(AppError::new(
                crate::error::ErrorKind::BadRequest,
                "自治体財政担当には自治体 (--municipality) を指定してください",
            ));
        }
        Role::Applicant if new.organisation_ids.is_empty() => {
            return Err(AppError::new(
                crate::error::ErrorKind::BadRequest,
                "申請者には所属団体 (--organisation) を指定してください",
            ));
        }
        _ => {}
    }
    conn.transaction(|conn| {
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
            role: new.role.code(),
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

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> AppResult<Option<User>> {
    Ok(users::table
        .filter(users::email.eq(email.to_ascii_lowercase()))
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

pub fn set_password_hash(conn: &mut DbConnection, id: i64, hash: &str) -> AppResult<()> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}
