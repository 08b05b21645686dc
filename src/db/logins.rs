//! The `login_failures` table: failed logins by account (the SHA-256 of the email as typed)
//! and client address. How many are allowed is
//! for `domain::login_limit` to say; `actions::logins` puts the two together.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::login_failures;
use crate::error::AppResult;

/// Forgets the failures at or before `before` (they no longer count).
pub fn delete_before(conn: &mut DbConnection, before: NaiveDateTime) -> AppResult<usize> {
    Ok(
        diesel::delete(login_failures::table.filter(login_failures::attempted_at.le(before)))
            .execute(conn)?,
    )
}

/// The times of the failures after `since` for an account.
pub fn of_account(
    conn: &mut DbConnection,
    account_hash: &str,
    since: NaiveDateTime,
) -> AppResult<Vec<NaiveDateTime>> {
    Ok(login_failures::table
        .filter(login_failures::account_hash.eq(account_hash))
        .filter(login_failures::attempted_at.gt(since))
        .select(login_failures::attempted_at)
        .load(conn)?)
}

/// The times of the failures after `since` from an address.
pub fn of_address(
    conn: &mut DbConnection,
    address: &str,
    since: NaiveDateTime,
) -> AppResult<Vec<NaiveDateTime>> {
    Ok(login_failures::table
        .filter(login_failures::address.eq(address))
        .filter(login_failures::attempted_at.gt(since))
        .select(login_failures::attempted_at)
        .load(conn)?)
}

/// Records a failed login.
pub fn insert(
    conn: &mut DbConnection,
    account_hash: &str,
    address: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::account_hash.eq(account_hash),
            login_failures::address.eq(address),
            login_failures::attempted_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
