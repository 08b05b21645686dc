//! A login's limit (docs/SECURITY.md): before a password is checked, the failures of its
//! account and of its client address within the window are counted (`domain::login_limit`);
//! past either limit the login is refused without checking anything. A wrong password is then
//! written down as a failure. The web layer holds one of the password threads from [`check`]
//! to [`record_failure`], so that at most that many logins are between the two at once.

use chrono::NaiveDateTime;

use crate::db::users::User;
use crate::db::{self, DbConnection};
use crate::domain::login_limit::{LoginDecision, LoginLimits};
use crate::error::AppResult;
use crate::passwords::token_hash;

pub enum Attempt {
    /// The password may be checked; the user of the email, if any.
    Allowed(Option<User>),
    /// Too many failures: try again in this many seconds.
    Refused { retry_after_seconds: i64 },
}

/// The account a login is counted against: the SHA-256 of the email as typed (lower case),
/// so that the table never holds what someone typed.
fn account_of(email: &str) -> String {
    token_hash(&email.trim().to_ascii_lowercase())
}

/// Whether a login for `email` (as typed) from `address` may check its password at `at`.
pub fn check(
    conn: &mut DbConnection,
    limits: &LoginLimits,
    email: &str,
    address: &str,
    at: NaiveDateTime,
) -> AppResult<Attempt> {
    let since = limits.window_start(at);
    let (by_account, by_address) =
        db::logins::of_account_and_address(conn, &account_of(email), address, since)?;
    if let LoginDecision::RetryAfter(seconds) = limits.decide(&by_account, &by_address, at) {
        return Ok(Attempt::Refused {
            retry_after_seconds: seconds,
        });
    }
    Ok(Attempt::Allowed(db::users::find_by_email(
        conn,
        email.trim(),
    )?))
}

/// Records a failed login (a wrong password, an unknown email, a disabled user); failures
/// that no longer count are deleted on the way. A successful login records nothing and
/// removes nothing: the failures of its address stay.
pub fn record_failure(
    conn: &mut DbConnection,
    limits: &LoginLimits,
    email: &str,
    address: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    let account = account_of(email);
    db::write(conn, |conn| {
        db::logins::delete_before(conn, limits.window_start(at))?;
        db::logins::insert(conn, &account, address, at)?;
        Ok(())
    })
}
