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
