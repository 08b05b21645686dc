//! Japanese public holidays (国民の祝日に関する法律, 昭和23年法律第178号) computed by the statute's
//! rules, and business days for deadlines. No table from the web: the rules are fixed dates,
//! Happy Mondays (the n-th Monday), the equinoxes by the standard formula, the substitute holiday
//! (振替休日, 第3条第2項) and the citizens' holiday (国民の休日, 第3条第3項).
//!
//! The rules are those in force from 2007 (when 振替休日 became "the next day that is not a
//! holiday" and みどりの日 moved to 5月4日), with the later changes by year: 山の日 from 2016, the
//! Emperor's birthday on 12月23日 until 2018 and 2月23日 from 2020, the 2019 enthronement days,
//! and the Olympic moves of 2020 and 2021. Outside [`SUPPORTED_YEARS`] the answer is `None`
//! rather than a guess.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Years the rules above describe (the equinox formula holds from 1980 to 2099).
pub const SUPPORTED_YEARS: std::ops::RangeInclusive<i32> = 2007..=2099;

/// The statutory holidays (国民の祝日) of a date, without 振替休日 and 国民の休日.
fn statutory_holiday(date: NaiveDate) -> Option<&'static str> {
    let year = date.year();
    let (month, day) = (date.month(), date.day());
    let nth_monday =
        |n: u32| NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, n as u8);
    let is = |other: Option<NaiveDate>| other == Some(date);
    match month {
        1 if day == 1 => Some("元日"),
        1 if is(nth_monday(2)) => Some("成人の日"),
        2 if day == 11 => Some("建国記念の日"),
        2 if day == 23 && year >= 2020 => Some("天皇誕生日"),
        3 if Some(day) == vernal_equinox_day(year) => Some("春分の日"),
        4 if day == 29 => Some("昭和の日"),
        5 if day == 1 && year == 2019 => Some("天皇の即位の日"),
        5 if day == 3 => Some("憲法記念日"),
        5 if day == 4 => Some("みどりの日"),
        5 if day == 5 => Some("こどもの日"),
        7 if year == 2020 && day == 23 => Some("海の日"),
        7 if year == 2021 && day == 22 => Some("海の日"),
        7 if year == 2020 && day == 24 => Some("スポーツの日"),
        7 if year == 2021 && day == 23 => Some("スポーツの日"),
        7 if !(2020..=2021).contains(&year) && is(nth_monday(3)) => Some("海の日"),
        8 if year == 2020 && day == 10 => Some("山の日"),
        8 if year == 2021 && day == 8 => Some("山の日"),
        8 if year >= 2016 && !(2020..=2021).contains(&year) && day == 11 => Some("山の日"),
        9 if is(nth_monday(3)) => Some("敬老の日"),
        9 if Some(day) == autumnal_equinox_day(year) => Some("秋分の日"),
        10 if year == 2019 && day == 22 => Some("即位礼正殿の儀の行われる日"),
        10 if year < 2020 && is(nth_monday(2)) => Some("体育の日"),
        10 if year > 2021 && is(nth_monday(2)) => Some("スポーツの日"),
        11 if day == 3 => Some("文化の日"),
        11 if day == 23 => Some("勤労感謝の日"),
        12 if day == 23 && year <= 2018 => Some("天皇誕生日"),
        _ => None,
    }
}

/// 春分日 in March: floor(20.8431 + 0.242194 (y − 1980) − floor((y − 1980) / 4)), in integers
/// (millionths) so that no floating-point rounding can move a holiday.
fn vernal_equinox_day(year: i32) -> Option<u32> {
    equinox(year, 20_843_100)
}

/// 秋分日 in September: floor(23.2488 + 0.242194 (y − 1980) − floor((y − 1980) / 4)).
fn autumnal_equinox_day(year: i32) -> Option<u32> {
    equinox(year, 23_248_800)
}

fn equinox(year: i32, base_millionths: i64) -> Option<u32> {
    if !(1980..=2099).contains(&year) {
        return None;
    }
    let years = i64::from(year - 1980);
    let day = (base_millionths + 242_194 * years) / 1_000_000 - years / 4;
    u32::try_from(day).ok()
}

/// The holiday's name when `date` is a public holiday (a 国民の祝日, a 振替休日 or a 国民の休日);
/// `None` for ordinary days and for years outside [`SUPPORTED_YEARS`].
pub fn holiday_name(date: NaiveDate) -> Option<&'static str> {
    if !SUPPORTED_YEARS.contains(&date.year()) {
        return None;
    }
    if let Some(name) = statutory_holiday(date) {
        return Some(name);
    }
    // 振替休日: a 国民の祝日 on a Sunday moves to the nearest following day that is not itself a
    // 国民の祝日 (so a Sunday 5月3日 gives 5月6日).
    let mut back = date.pred_opt()?;
    while statutory_holiday(back).is_some() {
        if back.weekday() == Weekday::Sun {
            return Some("休日（振替休日）");
        }
        back = back.pred_opt()?;
    }
    // 国民の休日: a day between two 国民の祝日 (not itself one) is a holiday too.
    if statutory_holiday(date.pred_opt()?).is_some()
        && statutory_holiday(date.succ_opt()?).is_some()
    {
        return Some("休日（国民の休日）");
    }
    None
}

pub fn is_public_holiday(date: NaiveDate) -> bool {
    holiday_name(date).is_some()
}

/// The year-end closure of government offices (行政機関の休日に関する法律 第1条: 12月29日から
/// 翌年1月3日まで).
pub fn is_year_end_closure(date: NaiveDate) -> bool {
    matches!((date.month(), date.day()), (12, 29..=31) | (1, 1..=3))
}

/// A day on which a filing can be made: not a weekend, a public holiday or the year-end closure.
pub fn is_business_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
        && !is_public_holiday(date)
        && !is_year_end_closure(date)
}

/// Why a day is not a business day ([`is_business_day`]), as a calendar marks it: the weekend,
/// a public holiday, the year-end closure, or several of them at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayOff {
    /// Saturday or Sunday.
    pub weekend: Option<Weekday>,
    /// The public holiday's name ([`holiday_name`]).
    pub holiday: Option<&'static str>,
    /// Within 12月29日 to 1月3日 ([`is_year_end_closure`]).
    pub year_end_closure: bool,
}

impl DayOff {
    /// What the day is, in words: 「土」, 「日」, 「祝日: 元日」, 「振替休日」, 「国民の休日」,
    /// 「年末年始の閉庁日」, joined with 「・」 when several hold (「日・祝日: 文化の日」).
    pub fn label_ja(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        match self.weekend {
            Some(Weekday::Sat) => parts.push("土".to_owned()),
            Some(Weekday::Sun) => parts.push("日".to_owned()),
            _ => {}
        }
        if let Some(name) = self.holiday {
            // 「休日（振替休日）」 and 「休日（国民の休日）」 are holidays by 第3条, not 国民の祝日.
            parts.push(
                match name
                    .strip_prefix("休日（")
                    .and_then(|rest| rest.strip_suffix('）'))
                {
                    Some(kind) => kind.to_owned(),
                    None => format!("祝日: {name}"),
                },
            );
        }
        if self.year_end_closure {
            parts.push("年末年始の閉庁日".to_owned());
        }
        parts.join("・")
    }
}

/// The reasons `date` is not a business day, or `None` on a business day.
pub fn day_off(date: NaiveDate) -> Option<DayOff> {
    let weekend = Some(date.weekday()).filter(|day| matches!(day, Weekday::Sat | Weekday::Sun));
    let off = DayOff {
        weekend,
        holiday: holiday_name(date),
        year_end_closure: is_year_end_closure(date),
    };
    (off.weekend.is_some() || off.holiday.is_some() || off.year_end_closure).then_some(off)
}

/// `date` itself when it is a business day, else the next one (行政機関の休日に関する法律
/// 第2条: a time limit that ends on a closed day ends on the next open day).
pub fn next_business_day_on_or_after(date: NaiveDate) -> Option<NaiveDate> {
    let mut day = date;
    // At most the year-end closure plus a weekend and a holiday cluster: a bounded walk.
    for _ in 0..32 {
        if is_business_day(day) {
            return Some(day);
        }
        day = day.checked_add_days(Days::new(1))?;
    }
    None
}

/// Every public holiday of a year, in order, with its name.
pub fn holidays_of_year(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let Some(mut day) = NaiveDate::from_ymd_opt(year, 1, 1) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    while day.year() == year {
        if let Some(name) = holiday_name(day) {
            found.push((day, name));
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn the_2026_holidays_by_the_statutes_rules() {
        let days: Vec<String> = holidays_of_year(2026)
            .iter()
            .map(|(d, _)| d.format("%m-%d").to_string())
            .collect();
        assert_eq!(
            days,
            [
                "01-01", "01-12", "02-11", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05",
                "05-06", "07-20", "08-11", "09-21", "09-22", "09-23", "10-12", "11-03", "11-23"
            ]
        );
        assert_eq!(holiday_name(date(2026, 5, 6)), Some("休日（振替休日）"));
        assert_eq!(holiday_name(date(2026, 9, 22)), Some("休日（国民の休日）"));
    }

    #[test]
    fn equinoxes_follow_the_formula() {
        assert_eq!(vernal_equinox_day(2025), Some(20));
        assert_eq!(vernal_equinox_day(2027), Some(21));
        assert_eq!(autumnal_equinox_day(2025), Some(23));
        assert_eq!(autumnal_equinox_day(2027), Some(23));
        assert_eq!(autumnal_equinox_day(2012), Some(22));
    }

    #[test]
    fn roll_forward_skips_weekends_holidays_and_the_year_end() {
        // Sunday 2027-01-03 → the closure ends, Monday 1/4 is open.
        assert_eq!(
            next_business_day_on_or_after(date(2026, 12, 29)),
            Some(date(2027, 1, 4))
        );
        // Golden Week 2026: Sat 5/2 … Wed 5/6 (振替休日) → Thursday 5/7.
        assert_eq!(
            next_business_day_on_or_after(date(2026, 5, 2)),
            Some(date(2026, 5, 7))
        );
        assert_eq!(
            next_business_day_on_or_after(date(2027, 3, 10)),
            Some(date(2027, 3, 10))
        );
        assert!(!is_business_day(date(2025, 11, 24))); // 振替休日 for Sunday 11/23
    }

    #[test]
    fn a_day_off_says_why_in_words() {
        let label = |d: NaiveDate| day_off(d).map(|off| off.label_ja());
        assert_eq!(label(date(2026, 11, 7)).as_deref(), Some("土"));
        assert_eq!(label(date(2026, 11, 8)).as_deref(), Some("日"));
        assert_eq!(label(date(2026, 11, 3)).as_deref(), Some("祝日: 文化の日"));
        assert_eq!(label(date(2026, 5, 6)).as_deref(), Some("振替休日"));
        assert_eq!(label(date(2026, 9, 22)).as_deref(), Some("国民の休日"));
        assert_eq!(
            label(date(2026, 5, 3)).as_deref(),
            Some("日・祝日: 憲法記念日")
        );
        assert_eq!(
            label(date(2027, 1, 1)).as_deref(),
            Some("祝日: 元日・年末年始の閉庁日")
        );
        assert_eq!(
            label(date(2026, 12, 29)).as_deref(),
            Some("年末年始の閉庁日")
        );
        assert_eq!(label(date(2026, 11, 4)), None);
        // Every day off is a day on which nothing can be filed, and the other way round.
        let mut day = date(2026, 1, 1);
        while day.year() == 2026 {
            assert_eq!(day_off(day).is_some(), !is_business_day(day), "{day}");
            day = day.succ_opt().expect("next day");
        }
    }

    #[test]
    fn outside_the_supported_years_nothing_is_claimed() {
        assert_eq!(holiday_name(date(2100, 1, 1)), None);
    }
}
