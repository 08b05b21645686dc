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

/// The times of the failures after `since`: those for an account, and those from an address
/// (one statement for both).
pub fn of_account_and_address(
    conn: &mut DbConnection,
    account_hash: &str,
    address: &str,
    since: NaiveDateTime,
) -> AppResult<(Vec<NaiveDateTime>, Vec<NaiveDateTime>)> {
    let rows: Vec<(String, String, NaiveDateTime)> = login_failures::table
        .filter(
            login_failures::account_hash
                .eq(account_hash)
                .or(login_failures::address.eq(address)),
        )
        .filter(login_failures::attempted_at.gt(since))
        .select((
            login_failures::account_hash,
            login_failures::address,
            login_failures::attempted_at,
        ))
        .load(conn)?;
    let by_account = rows
        .iter()
        .filter(|(account, ..)| account == account_hash)
        .map(|(.., at)| *at)
        .collect();
    let by_address = rows
        .iter()
        .filter(|(_, from, _)| from == address)
        .map(|(.., at)| *at)
        .collect();
    Ok((by_account, by_address))
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
