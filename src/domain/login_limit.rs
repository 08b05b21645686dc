//! How many failed logins are allowed: at most `per_account` failures for one account (the
//! email as typed) and `per_address` from one client address within `window`. Past either, a
//! login is refused, even with the right password, until enough failures have left the
//! window. Refused attempts are not failures (they check no password), so being refused does
//! not prolong the wait; a successful login removes nothing but itself.

use chrono::{NaiveDateTime, TimeDelta};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginLimits {
    pub per_account: u32,
    pub per_address: u32,
    pub window: TimeDelta,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_account: 10,
            per_address: 30,
            window: TimeDelta::minutes(15),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginDecision {
    Allowed,
    /// Refused; a login may be tried again in this many seconds (at least 1).
    RetryAfter(i64),
}

impl LoginLimits {
    /// Failures at or before this instant no longer count at `now`.
    pub fn window_start(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - self.window
    }

    /// Whether a login may be tried at `now`, given the failures within the window for its
    /// account and from its address (in any order).
    pub fn decide(
        &self,
        account_failures: &[NaiveDateTime],
        address_failures: &[NaiveDateTime],
        now: NaiveDateTime,
    ) -> LoginDecision {
        let free_at = [
            self.free_at(self.per_account, account_failures, now),
            self.free_at(self.per_address, address_failures, now),
        ]
        .into_iter()
        .flatten()
        .max();
        match free_at {
            None => LoginDecision::Allowed,
            Some(at) => {
                let wait = at - now;
                let seconds = wait.num_seconds() + i64::from(wait.subsec_nanos() > 0);
                LoginDecision::RetryAfter(seconds.max(1))
            }
        }
    }

    /// When the failures within the window fall below `limit` again; `None` if they already
    /// are.
    fn free_at(
        &self,
        limit: u32,
        failures: &[NaiveDateTime],
        now: NaiveDateTime,
    ) -> Option<NaiveDateTime> {
        let start = self.window_start(now);
        let mut counted: Vec<NaiveDateTime> =
            failures.iter().copied().filter(|at| *at > start).collect();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if counted.len() < limit {
            return None;
        }
        counted.sort();
        // Free once all but `limit - 1` of them have left the window.
        counted
            .get(counted.len() - limit)
            .map(|oldest| *oldest + self.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 21)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("valid")
            + TimeDelta::seconds(seconds)
    }

    const LIMITS: LoginLimits = LoginLimits {
        per_account: 3,
        per_address: 5,
        window: TimeDelta::minutes(15),
    };

    #[test]
    fn failures_below_the_limit_are_allowed() {
        assert_eq!(LIMITS.decide(&[], &[], at(0)), LoginDecision::Allowed);
        let two = [at(0), at(10)];
        assert_eq!(LIMITS.decide(&two, &two, at(20)), LoginDecision::Allowed);
    }

    #[test]
    fn the_limit_refuses_until_the_oldest_leaves_the_window() {
        let three = [at(100), at(0), at(50)];
        // Free when the failure at 0 s is 15 minutes old.
        assert_eq!(
            LIMITS.decide(&three, &[], at(60)),
            LoginDecision::RetryAfter(900 - 60)
        );
        assert_eq!(LIMITS.decide(&three, &[], at(900)), LoginDecision::Allowed);
        // More than the limit (attempts at the same moment): wait for enough of them.
        let four = [at(0), at(50), at(100), at(150)];
        assert_eq!(
            LIMITS.decide(&four, &[], at(200)),
            LoginDecision::RetryAfter(950 - 200)
        );
    }

    #[test]
    fn the_longer_of_the_two_waits_counts_and_is_at_least_a_second() {
        let account = [at(0), at(1), at(2)];
        let address = [at(10), at(11), at(12), at(13), at(14)];
        assert_eq!(
            LIMITS.decide(&account, &address, at(20)),
            LoginDecision::RetryAfter(910 - 20)
        );
        let almost = [
            at(0) - TimeDelta::milliseconds(999),
            at(0) - TimeDelta::milliseconds(999),
            at(0) - TimeDelta::milliseconds(999),
        ];
        assert_eq!(
            LIMITS.decide(&almost, &[], at(900) - TimeDelta::milliseconds(1000)),
            LoginDecision::RetryAfter(1)
        );
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let old = [at(0), at(1), at(2), at(3)];
        assert_eq!(LIMITS.decide(&old, &old, at(905)), LoginDecision::Allowed);
    }
}
