//! How long a session lasts: an idle timeout and an absolute lifetime, both from the
//! configuration. The clock is the caller's.

use chrono::{NaiveDateTime, TimeDelta};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLifetime {
    /// A session unused for this long is over.
    pub idle: TimeDelta,
    /// A session is over this long after its login, however busy.
    pub absolute: TimeDelta,
}

impl Default for SessionLifetime {
    fn default() -> Self {
        SessionLifetime {
            idle: TimeDelta::minutes(60),
            absolute: TimeDelta::hours(12),
        }
    }
}

impl SessionLifetime {
    /// Whether a session logged in at `created_at` and last used at `last_seen_at` still
    /// opens at `now`.
    pub fn is_live(
        &self,
        created_at: NaiveDateTime,
        last_seen_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> bool {
        now - last_seen_at < self.idle && now - created_at < self.absolute
    }

    /// Whether the last use is worth writing down: at most once a minute (a tenth of the idle
    /// timeout when that is shorter), so that a busy session does not write on every request.
    pub fn needs_touch(&self, last_seen_at: NaiveDateTime, now: NaiveDateTime) -> bool {
        now - last_seen_at >= TimeDelta::minutes(1).min(self.idle / 10)
    }

    /// (last used before, logged in before): a session matching either is over at `now`.
    pub fn expired_before(&self, now: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
        (now - self.idle, now - self.absolute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 21)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("valid")
            + TimeDelta::minutes(minutes)
    }

    #[test]
    fn a_session_ends_when_idle_or_old() {
        let lifetime = SessionLifetime {
            idle: TimeDelta::minutes(30),
            absolute: TimeDelta::hours(2),
        };
        assert!(lifetime.is_live(at(0), at(0), at(29)));
        assert!(!lifetime.is_live(at(0), at(0), at(30)), "idle");
        assert!(lifetime.is_live(at(0), at(100), at(119)));
        assert!(!lifetime.is_live(at(0), at(110), at(120)), "absolute");
        assert_eq!(lifetime.expired_before(at(120)), (at(90), at(0)));
    }

    #[test]
    fn the_last_use_is_written_once_a_minute() {
        let lifetime = SessionLifetime::default();
        assert!(!lifetime.needs_touch(at(0), at(0) + TimeDelta::seconds(59)));
        assert!(lifetime.needs_touch(at(0), at(1)));
        let short = SessionLifetime {
            idle: TimeDelta::minutes(5),
            absolute: TimeDelta::hours(1),
        };
        assert!(short.needs_touch(at(0), at(0) + TimeDelta::seconds(30)));
    }
}
