//! How long a session lasts: an idle timeout and an absolute lifetime, both from the
//! configuration. The clock is the caller's. And where a login may lead: back to the page the
//! person asked for, on this site only ([`return_path`]).

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

/// The longest path a login leads back to; a longer one leads to the home page.
pub const MAX_RETURN_PATH: usize = 2_000;

/// `path`, when a login may lead back to it: a path of this site, with its query, as a
/// request line writes it (`/applications/5/edit?tab=budget`). Anything that could lead
/// elsewhere is `None` (an open redirect): a URL with a scheme or a host (`https://…`,
/// `//evil.example`, `/\evil.example`, which browsers read as `//`), a path that does not
/// start with `/`, and any space, control character, backslash or non-ASCII character
/// (browsers drop a tab or a line break inside a URL, so `/\t/evil.example` is `//…`; a real
/// request's path is percent-encoded ASCII).
pub fn return_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let safe = path.len() <= MAX_RETURN_PATH
        && !rest.starts_with('/')
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    safe.then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_leads_back_to_a_path_of_this_site_only() {
        for path in [
            "/",
            "/applications/5/edit",
            "/manager?state=submitted&q=%E5%A1%A9%E5%B0%BB",
            "/applications/5#budget",
        ] {
            assert_eq!(return_path(path), Some(path), "{path}");
        }
        for path in [
            "",
            "applications/5",
            "//evil.example",
            "//evil.example/login",
            "///evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/申請",
            "/a\0",
        ] {
            assert_eq!(return_path(path), None, "{path:?}");
        }
        let long = format!("/{}", "a".repeat(MAX_RETURN_PATH));
        assert_eq!(return_path(&long), None);
    }

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
