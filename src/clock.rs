//! The clock. Only the edges (handlers, the CLI, the scheduler) read it; the domain is given
//! dates.

use chrono::NaiveDate;

/// Today's date in Japan (JST has no daylight saving time): application dates, deadlines and
/// the date printed on a filing are Japanese dates.
pub fn today_in_japan() -> NaiveDate {
    let now = chrono::Utc::now();
    match chrono::FixedOffset::east_opt(9 * 3600) {
        Some(jst) => now.with_timezone(&jst).date_naive(),
        // Nine hours is always a valid offset; this arm only satisfies the type.
        None => now.date_naive(),
    }
}

/// Where the web layer's workflow actions read "today" from: the system clock in Japan, or a
/// fixed day (tests that walk the timeline: an action before the project period, say).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    #[default]
    System,
    Fixed(NaiveDate),
}

impl Clock {
    /// Today in Japan, by this clock.
    pub fn today(self) -> NaiveDate {
        match self {
            Clock::System => today_in_japan(),
            Clock::Fixed(day) => day,
        }
    }
}
