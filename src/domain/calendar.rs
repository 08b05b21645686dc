//! Fiscal years (年度, April to March) and 和暦 formatting.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A Japanese fiscal year, named by the western year of its April: 令和8年度 = `FiscalYear(2026)`,
/// running 2026-04-01 to 2027-03-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FiscalYear(pub i32);

impl FiscalYear {
    /// 令和N年度 (N ≥ 1).
    pub const fn reiwa(year_of_era: i32) -> Self {
        FiscalYear(2018 + year_of_era)
    }

    pub const fn year(self) -> i32 {
        self.0
    }

    /// The fiscal year a date falls in.
    pub fn of(date: NaiveDate) -> Self {
        if date.month() >= 4 {
            FiscalYear(date.year())
        } else {
            FiscalYear(date.year() - 1)
        }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        Self::of(date) == self
    }

    /// 1 April; `None` only outside chrono's date range.
    pub fn start(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.0, 4, 1)
    }

    /// 31 March of the next year; `None` only outside chrono's date range.
    pub fn end(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.0.checked_add(1)?, 3, 31)
    }

    /// `令和8年度`. The era is the one in force at the end of the calendar year of the fiscal
    /// year's April, which gives the names in official use: 令和元年度 (FY2019, whose April was
    /// still 平成), 平成元年度 (FY1989) and 昭和63年度 (FY1988).
    pub fn wareki(self) -> WarekiFiscalYear {
        WarekiFiscalYear(self)
    }
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.wareki())
    }
}

struct Era {
    name: &'static str,
    // First day of the era.
    year: i32,
    month: u32,
    day: u32,
}

// Newest first. 明治 starts on the day the Gregorian calendar was adopted (明治6年1月1日) for
// simplicity: dates before 1873 are printed in western years.
const ERAS: [Era; 5] = [
    Era {
        name: "令和",
        year: 2019,
        month: 5,
        day: 1,
    },
    Era {
        name: "平成",
        year: 1989,
        month: 1,
        day: 8,
    },
    Era {
        name: "昭和",
        year: 1926,
        month: 12,
        day: 25,
    },
    Era {
        name: "大正",
        year: 1912,
        month: 7,
        day: 30,
    },
    Era {
        name: "明治",
        year: 1873,
        month: 1,
        day: 1,
    },
];

/// The era and its year number for a date, or `None` before 1873.
fn era_of(year: i32, month: u32, day: u32) -> Option<(&'static str, i32)> {
    ERAS.iter()
        .find(|era| (year, month, day) >= (era.year, era.month, era.day))
        .map(|era| (era.name, year - era.year + 1))
}

fn write_era_year(f: &mut fmt::Formatter<'_>, era: &str, year_of_era: i32) -> fmt::Result {
    if year_of_era == 1 {
        write!(f, "{era}元年")
    } else {
        write!(f, "{era}{year_of_era}年")
    }
}

/// A date in 和暦: `令和8年5月20日`, `令和元年5月1日`, `平成31年4月30日`.
pub fn wareki_date(date: NaiveDate) -> WarekiDate {
    WarekiDate(date)
}

#[derive(Debug, Clone, Copy)]
pub struct WarekiDate(NaiveDate);

impl fmt::Display for WarekiDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.0;
        match era_of(date.year(), date.month(), date.day()) {
            Some((era, year_of_era)) => write_era_year(f, era, year_of_era)?,
            None => write!(f, "{}年", date.year())?,
        }
        write!(f, "{}月{}日", date.month(), date.day())
    }
}

#[derive(Debug, Clone, Copy)]
pub struct WarekiFiscalYear(FiscalYear);

impl fmt::Display for WarekiFiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let year = self.0.0;
        match era_of(year, 12, 31) {
            Some((era, year_of_era)) => write_era_year(f, era, year_of_era)?,
            None => write!(f, "{year}年")?,
        }
        f.write_str("度")
    }
}

/// A month of the western calendar (the deadline calendar's page): `2026-11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// `None` for a month outside 1–12 or outside chrono's range.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| YearMonth { year, month })
    }

    pub fn of(date: NaiveDate) -> Self {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Reads `YYYY-MM`; anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let (year, month) = text.trim().split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        Self::new(year.parse().ok()?, month.parse().ok()?)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// The 1st of the month (always valid: checked at construction).
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn next(self) -> Option<Self> {
        if self.month == 12 {
            Self::new(self.year.checked_add(1)?, 1)
        } else {
            Self::new(self.year, self.month + 1)
        }
    }

    pub fn previous(self) -> Option<Self> {
        if self.month == 1 {
            Self::new(self.year.checked_sub(1)?, 12)
        } else {
            Self::new(self.year, self.month - 1)
        }
    }

    /// The month as the rows of a wall calendar, Sunday first: every day once, `None` before
    /// the 1st and after the last day.
    pub fn weeks(self) -> Vec<[Option<NaiveDate>; 7]> {
        let first = self.first_day();
        let mut weeks = Vec::new();
        let mut week = [None; 7];
        let mut column = first.weekday().num_days_from_sunday() as usize;
        let mut day = Some(first);
        while let Some(date) = day.filter(|date| date.month() == self.month) {
            week[column] = Some(date);
            column += 1;
            if column == 7 {
                weeks.push(week);
                week = [None; 7];
                column = 0;
            }
            day = date.succ_opt();
        }
        if column > 0 {
            weeks.push(week);
        }
        weeks
    }

    /// `令和8年11月`: the era in force on the 1st of the month.
    pub fn wareki(self) -> String {
        let mut out = String::new();
        match era_of(self.year, self.month, 1) {
            Some((era, 1)) => out.push_str(&format!("{era}元年")),
            Some((era, year_of_era)) => out.push_str(&format!("{era}{year_of_era}年")),
            None => out.push_str(&format!("{}年", self.year)),
        }
        out.push_str(&format!("{}月", self.month));
        out
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The weekday names of a calendar's header, Sunday first: (short, full).
pub const WEEKDAYS_JA: [(&str, &str); 7] = [
    ("日", "日曜日"),
    ("月", "月曜日"),
    ("火", "火曜日"),
    ("水", "水曜日"),
    ("木", "木曜日"),
    ("金", "金曜日"),
    ("土", "土曜日"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_a_wall_calendar_sunday_first() {
        // November 2026 starts on a Sunday and has 30 days: five rows.
        let november = YearMonth::parse("2026-11").expect("month");
        let weeks = november.weeks();
        assert_eq!(weeks.len(), 5);
        assert_eq!(weeks[0][0], Some(date(2026, 11, 1)));
        assert_eq!(weeks[4][1], Some(date(2026, 11, 30)));
        assert_eq!(weeks[4][2], None);
        let days: Vec<NaiveDate> = weeks.iter().flatten().flatten().copied().collect();
        assert_eq!(days.len(), 30);
        // February 2027 starts on a Monday: the Sunday before it is empty.
        let february = YearMonth::new(2027, 2).expect("month");
        assert_eq!(february.weeks()[0][0], None);
        assert_eq!(february.weeks()[0][1], Some(date(2027, 2, 1)));
        assert_eq!(november.wareki(), "令和8年11月");
        assert_eq!(
            YearMonth::new(2019, 5).map(|m| m.wareki()).as_deref(),
            Some("令和元年5月")
        );
        assert_eq!(
            YearMonth::new(2019, 4).map(|m| m.wareki()).as_deref(),
            Some("平成31年4月")
        );
        assert_eq!(november.to_string(), "2026-11");
        assert_eq!(
            november.next().map(|m| m.to_string()).as_deref(),
            Some("2026-12")
        );
        assert_eq!(
            YearMonth::new(2027, 1).and_then(YearMonth::previous),
            YearMonth::new(2026, 12)
        );
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "", "abcd-ef"] {
            assert_eq!(YearMonth::parse(bad), None, "{bad}");
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn fiscal_year_runs_april_to_march() {
        let r8 = FiscalYear::reiwa(8);
        assert_eq!(r8, FiscalYear(2026));
        assert_eq!(r8.start(), Some(date(2026, 4, 1)));
        assert_eq!(r8.end(), Some(date(2027, 3, 31)));
        assert!(r8.contains(date(2026, 4, 1)));
        assert!(r8.contains(date(2027, 3, 31)));
        assert!(!r8.contains(date(2026, 3, 31)));
        assert!(!r8.contains(date(2027, 4, 1)));
        assert_eq!(FiscalYear::of(date(2026, 1, 15)), FiscalYear(2025));
        assert_eq!(FiscalYear(i32::MAX).end(), None);
    }

    #[test]
    fn formats_dates_in_wareki() {
        assert_eq!(wareki_date(date(2026, 5, 20)).to_string(), "令和8年5月20日");
        assert_eq!(wareki_date(date(2019, 5, 1)).to_string(), "令和元年5月1日");
        assert_eq!(
            wareki_date(date(2019, 4, 30)).to_string(),
            "平成31年4月30日"
        );
        assert_eq!(wareki_date(date(1989, 1, 8)).to_string(), "平成元年1月8日");
        assert_eq!(wareki_date(date(1989, 1, 7)).to_string(), "昭和64年1月7日");
        assert_eq!(wareki_date(date(1850, 1, 1)).to_string(), "1850年1月1日");
    }

    #[test]
    fn formats_fiscal_years_in_wareki() {
        assert_eq!(FiscalYear(2026).to_string(), "令和8年度");
        assert_eq!(FiscalYear(2022).wareki().to_string(), "令和4年度");
        assert_eq!(FiscalYear(2019).to_string(), "令和元年度");
        assert_eq!(FiscalYear(2018).to_string(), "平成30年度");
        assert_eq!(FiscalYear(1989).to_string(), "平成元年度");
        assert_eq!(FiscalYear(1988).to_string(), "昭和63年度");
    }
}
