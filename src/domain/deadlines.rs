//! Deadlines of an application and when to remind people of them, in Japan's time.
//!
//! Pure: the application's facts go in, dates and instants come out. A deadline is a Japanese
//! date and a close time (17:00 JST by default, as the calls publish it: "17:00必着"); a date that
//! falls on a weekend, a public holiday or the year-end closure moves to the next business day
//! when the policy says so. Instants are stored in UTC; Asia/Tokyo has had no daylight saving
//! time since 1951, so a JST wall time maps to exactly one UTC instant (the tz database is asked
//! all the same, so that a future change would show up in the tests, not in a missed deadline).

use std::fmt;
use std::str::FromStr;

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone};
use chrono_tz::Asia::Tokyo;
use serde::Serialize;

use super::calendar::FiscalYear;
use super::holidays::next_business_day_on_or_after;
use super::workflow::ApplicationState;

/// When the 実績報告 is due: the earlier of project end + `days_after_end` and
/// `latest_month`/`latest_day` (January–March, checked by the loader) at the end of the
/// project's fiscal year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSchedule {
    pub completion_days_after_end: u32,
    pub completion_latest_month: u32,
    pub completion_latest_day: u32,
    pub completion_source: String,
    /// Interim reports (遂行状況報告) during the project.
    pub interim_reports: u32,
    pub interim_source: String,
}

impl ReportSchedule {
    /// 事業終了後30日以内かつ3月10日まで and one interim report, as the programme files have it
    /// (for tests; the sources are left empty).
    #[cfg(test)]
    pub(crate) fn thirty_days_or_march_10() -> Self {
        ReportSchedule {
            completion_days_after_end: 30,
            completion_latest_month: 3,
            completion_latest_day: 10,
            completion_source: String::new(),
            interim_reports: 1,
            interim_source: String::new(),
        }
    }

    /// The 実績報告 due date for a project ending on `project_end`. Never earlier than the end
    /// itself: a project that ends after the latest date is reported on its last day.
    pub fn completion_report_due(&self, project_end: NaiveDate) -> Option<NaiveDate> {
        let after_end =
            project_end.checked_add_days(Days::new(u64::from(self.completion_days_after_end)))?;
        let fiscal_year = FiscalYear::of(project_end);
        let latest = NaiveDate::from_ymd_opt(
            fiscal_year.0.checked_add(1)?,
            self.completion_latest_month,
            self.completion_latest_day,
        )?;
        Some(after_end.min(latest).max(project_end))
    }
}

macro_rules! kinds {
    ($($variant:ident => $code:literal, $label:literal, $overdue:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum DeadlineKind { $($variant,)* }

        impl DeadlineKind {
            pub const ALL: &'static [DeadlineKind] = &[$(DeadlineKind::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $(DeadlineKind::$variant => $code,)* }
            }

            /// What people call it (in emails and calendars).
            pub fn label_ja(self) -> &'static str {
                match self { $(DeadlineKind::$variant => $label,)* }
            }

            /// Whether reminders go on after the date. A missed call window or an expired legal
            /// basis cannot be caught up with, so nagging after it would only be noise.
            pub fn reminds_when_overdue(self) -> bool {
                match self { $(DeadlineKind::$variant => $overdue,)* }
            }
        }

        impl FromStr for DeadlineKind {
            type Err = String;

            fn from_str(code: &str) -> Result<Self, String> {
                match code {
                    $($code => Ok(DeadlineKind::$variant),)*
                    other => Err(format!("未知の期限の種類です: {other}")),
                }
            }
        }
    };
}

kinds! {
    ApplicationClose => "application_close", "公募締切（申請書の提出）", false;
    CorrectionAnswer => "correction_answer", "差戻しへの回答", true;
    GrantRequest => "grant_request", "交付申請", true;
    InterimReport => "interim_report", "遂行状況報告（中間報告）", true;
    CompletionReport => "completion_report", "実績報告", true;
    ContinuationSurvey => "continuation_survey", "継続状況調査への回答", true;
    LegalBasisExpiry => "legal_basis_expiry", "法的根拠（認定・指定）の有効期限", false;
}

impl fmt::Display for DeadlineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_ja())
    }
}

/// How deadlines are set where the programme files are silent. Every default is UNVERIFIED
/// (DOMAIN.md §8 Q11): the 交付規程 of the year is the authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlinePolicy {
    /// The hour a filing must arrive by, Japan time.
    pub close_time: NaiveTime,
    /// Move a due date on a closed day to the next business day (行政機関の休日に関する法律 第2条).
    pub roll_forward: bool,
    /// 差戻し: days to answer.
    pub correction_answer_days: u64,
    /// 採択 → 交付申請: days to file.
    pub grant_request_days: u64,
    /// Continuation survey: days to answer once opened.
    pub survey_answer_days: u64,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            close_time: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
            roll_forward: true,
            correction_answer_days: 14,
            grant_request_days: 30,
            survey_answer_days: 30,
        }
    }
}

/// What the derivation needs to know about one application.
#[derive(Clone, Debug)]
pub struct ApplicationFacts {
    pub state: ApplicationState,
    pub fiscal_year: FiscalYear,
    /// The day (JST) the application entered its current state.
    pub state_entered_on: NaiveDate,
    pub project_start: Option<NaiveDate>,
    pub project_end: Option<NaiveDate>,
    /// Last day of the call window of the fiscal year, when published.
    pub window_closes: Option<NaiveDate>,
    /// `valid_until` of a 法制度連携枠 legal basis.
    pub legal_basis_valid_until: Option<NaiveDate>,
    /// Interim reports already filed (submitted or accepted).
    pub interim_reports_filed: u32,
    /// The answer date the 事務局 gave with the latest 差戻し, if it gave one.
    pub correction_answer_due: Option<NaiveDate>,
}

/// One deadline as derived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// 1 unless a kind recurs (the n-th interim report).
    pub sequence: i32,
    /// The date the rule gives, before rolling forward.
    pub nominal_date: NaiveDate,
    /// The date that counts (JST).
    pub due_date: NaiveDate,
    /// The instant (UTC) by which it must be done.
    pub due_at: NaiveDateTime,
}

/// `date` at `time` in Japan, as a UTC instant.
pub fn jst_to_utc(date: NaiveDate, time: NaiveTime) -> Option<NaiveDateTime> {
    Tokyo
        .from_local_datetime(&date.and_time(time))
        .single()
        .map(|instant| instant.naive_utc())
}

/// The Japanese wall time of a UTC instant.
pub fn utc_to_jst(instant: NaiveDateTime) -> NaiveDateTime {
    Tokyo.from_utc_datetime(&instant).naive_local()
}

fn deadline(
    kind: DeadlineKind,
    sequence: i32,
    nominal_date: NaiveDate,
    policy: &DeadlinePolicy,
) -> Option<Deadline> {
    // An expiry is a fact about a document, not a filing: it neither moves nor closes at 17:00.
    let (due_date, time) = if kind == DeadlineKind::LegalBasisExpiry {
        (nominal_date, NaiveTime::from_hms_opt(23, 59, 59)?)
    } else if policy.roll_forward {
        (
            next_business_day_on_or_after(nominal_date)?,
            policy.close_time,
        )
    } else {
        (nominal_date, policy.close_time)
    };
    Some(Deadline {
        kind,
        sequence,
        nominal_date,
        due_date,
        due_at: jst_to_utc(due_date, time)?,
    })
}

/// The open deadlines of an application in its current state. A deadline that is no longer
/// derived once the state moves on has been met (or, for a withdrawn, cancelled or revoked
/// application, cancelled: see [`closed_status`]).
pub fn derive(
    facts: &ApplicationFacts,
    schedule: &ReportSchedule,
    policy: &DeadlinePolicy,
) -> Vec<Deadline> {
    use ApplicationState as S;
    let mut found = Vec::new();
    let mut push = |kind, sequence, date: Option<NaiveDate>| {
        if let Some(d) = date.and_then(|date| deadline(kind, sequence, date, policy)) {
            found.push(d);
        }
    };
    let after = |days: u64| facts.state_entered_on.checked_add_days(Days::new(days));
    match facts.state {
        S::Draft => push(DeadlineKind::ApplicationClose, 1, facts.window_closes),
        S::ReturnedForCorrection => push(
            DeadlineKind::CorrectionAnswer,
            1,
            facts
                .correction_answer_due
                .or_else(|| after(policy.correction_answer_days)),
        ),
        S::Selected => push(
            DeadlineKind::GrantRequest,
            1,
            after(policy.grant_request_days),
        ),
        S::GrantDecided | S::InProgress => {
            if let (Some(start), Some(end)) = (facts.project_start, facts.project_end) {
                for (index, date) in interim_dates(start, end, schedule.interim_reports)
                    .into_iter()
                    .enumerate()
                {
                    let sequence = i32::try_from(index + 1).unwrap_or(i32::MAX);
                    if i64::from(sequence) > i64::from(facts.interim_reports_filed) {
                        push(DeadlineKind::InterimReport, sequence, Some(date));
                    }
                }
                push(
                    DeadlineKind::CompletionReport,
                    1,
                    schedule.completion_report_due(end),
                );
            }
        }
        S::ContinuationSurvey => push(
            DeadlineKind::ContinuationSurvey,
            1,
            after(policy.survey_answer_days),
        ),
        _ => {}
    }
    let legal_basis_matters = matches!(
        facts.state,
        S::Submitted
            | S::UnderReview
            | S::ReturnedForCorrection
            | S::Selected
            | S::GrantRequested
            | S::GrantDecided
            | S::InProgress
    );
    if legal_basis_matters {
        push(
            DeadlineKind::LegalBasisExpiry,
            1,
            facts.legal_basis_valid_until,
        );
    }
    found
}

/// `n` interim reports spread evenly over the project: the k-th at k/(n+1) of its length.
fn interim_dates(start: NaiveDate, end: NaiveDate, n: u32) -> Vec<NaiveDate> {
    let length = (end - start).num_days().max(0);
    (1..=i64::from(n))
        .filter_map(|k| {
            start.checked_add_days(Days::new(
                u64::try_from(length * k / (i64::from(n) + 1)).ok()?,
            ))
        })
        .collect()
}

crate::domain::codes::code_enum! {
    /// Where a stored deadline stands (`deadlines.status`): still to be met, met (the report
    /// filed, the answer given), or cancelled because it is no longer derived.
    DeadlineStatus, "deadline status" {
        Open => "open", "未了";
        Met => "met", "完了";
        Cancelled => "cancelled", "取消";
    }
}

/// Whether a stored deadline is overdue at `now`: still open (neither met nor cancelled) and
/// past its due instant.
pub fn is_overdue(status: DeadlineStatus, due_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    status == DeadlineStatus::Open && due_at < now
}

/// What a deadline that is no longer derived becomes: `cancelled` when the application ended
/// without the work being done, otherwise `met`.
pub fn closed_status(state: ApplicationState) -> DeadlineStatus {
    use ApplicationState as S;
    match state {
        S::Withdrawn | S::Cancelled | S::Revoked | S::NotSelected => DeadlineStatus::Cancelled,
        _ => DeadlineStatus::Met,
    }
}

/// How an open deadline stands at `now` (both UTC instants), counted in Japanese calendar
/// days: `Overdue(n)` once the due instant has passed (n days after its date, 0 on the day
/// itself), else `DueIn(n)` days from today's date (0: today).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "days")]
pub enum Standing {
    DueIn(i64),
    Overdue(i64),
}

pub fn standing(due_at: NaiveDateTime, now: NaiveDateTime) -> Standing {
    let days = (utc_to_jst(due_at).date() - utc_to_jst(now).date()).num_days();
    if now > due_at {
        Standing::Overdue(-days)
    } else {
        Standing::DueIn(days)
    }
}

/// Reminder offsets in days relative to a deadline's date: negative before, positive after
/// (overdue). Sorted, distinct, within ±[`MAX_OFFSET_DAYS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderOffsets(Vec<i32>);

pub const MAX_OFFSET_DAYS: i32 = 90;

/// A reminder more than this late (the service was down, or the deadline was created after its
/// time had passed) is skipped rather than sent out of context; a later offset may still come.
pub const STALE_AFTER: TimeDelta = TimeDelta::days(3);

impl ReminderOffsets {
    pub fn new(mut days: Vec<i32>) -> Result<Self, String> {
        if days.is_empty() {
            return Err("リマインドの日数を 1 つ以上指定してください".into());
        }
        if let Some(bad) = days.iter().find(|d| d.abs() > MAX_OFFSET_DAYS) {
            return Err(format!(
                "{bad} 日は範囲外です（-{MAX_OFFSET_DAYS} から +{MAX_OFFSET_DAYS} 日まで）"
            ));
        }
        days.sort_unstable();
        days.dedup();
        Ok(ReminderOffsets(days))
    }

    pub fn days(&self) -> &[i32] {
        &self.0
    }

    pub fn earliest(&self) -> i32 {
        self.0.first().copied().unwrap_or(0)
    }

    pub fn latest(&self) -> i32 {
        self.0.last().copied().unwrap_or(0)
    }
}

impl Default for ReminderOffsets {
    /// T-14, T-7, T-1, then overdue +1 and +7 days.
    fn default() -> Self {
        ReminderOffsets(vec![-14, -7, -1, 1, 7])
    }
}

impl FromStr for ReminderOffsets {
    type Err = String;

    /// `-14,-7,-1,+1,+7` (days; a sign is optional on positive numbers).
    fn from_str(text: &str) -> Result<Self, String> {
        let days = text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.trim_start_matches('+')
                    .parse::<i32>()
                    .map_err(|_| format!("\"{part}\" は日数（例: -7, +1）ではありません"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        ReminderOffsets::new(days)
    }
}

impl fmt::Display for ReminderOffsets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|d| format!("{d:+}")).collect();
        f.write_str(&parts.join(","))
    }
}

/// When (UTC) the reminder `offset` days from `due_date` is sent: at `send_time` JST that day.
pub fn reminder_send_at(
    due_date: NaiveDate,
    offset: i32,
    send_time: NaiveTime,
) -> Option<NaiveDateTime> {
    let day = if offset >= 0 {
        due_date.checked_add_days(Days::new(u64::from(offset.unsigned_abs())))?
    } else {
        due_date.checked_sub_days(Days::new(u64::from(offset.unsigned_abs())))?
    };
    jst_to_utc(day, send_time)
}

/// The reminder due at `now` for a deadline: the latest offset whose time has come, unless it is
/// stale, or a "before" reminder once the deadline has passed. Sending it once is the queue's
/// job (its unique key).
pub fn due_offset(
    kind: DeadlineKind,
    due_at: NaiveDateTime,
    offsets: &ReminderOffsets,
    send_time: NaiveTime,
    now: NaiveDateTime,
) -> Option<(i32, NaiveDateTime)> {
    let due_date = utc_to_jst(due_at).date();
    let passed = now >= due_at;
    offsets
        .days()
        .iter()
        .rev()
        .filter(|offset| {
            if **offset <= 0 {
                !passed
            } else {
                kind.reminds_when_overdue()
            }
        })
        .filter_map(|offset| Some((*offset, reminder_send_at(due_date, *offset, send_time)?)))
        .find(|(_, at)| *at <= now)
        .filter(|(_, at)| now - *at < STALE_AFTER)
}

/// Every reminder of a deadline with its time (for `remind --dry-run` and the calendar).
pub fn schedule_of(
    kind: DeadlineKind,
    due_date: NaiveDate,
    offsets: &ReminderOffsets,
    send_time: NaiveTime,
) -> Vec<(i32, NaiveDateTime)> {
    offsets
        .days()
        .iter()
        .filter(|offset| **offset <= 0 || kind.reminds_when_overdue())
        .filter_map(|offset| Some((*offset, reminder_send_at(due_date, *offset, send_time)?)))
        .collect()
}

/// `T-7`, `T+1`: how an offset reads in logs and listings.
pub fn offset_label(offset: i32) -> String {
    match offset {
        0 => "当日".to_owned(),
        d if d < 0 => format!("{}日前", -d),
        d => format!("{d}日超過"),
    }
}

/// `令和9年3月10日（水）17:00` for a deadline stored in UTC.
pub fn format_due(due_at: NaiveDateTime, kind: DeadlineKind) -> String {
    use chrono::{Datelike, Timelike};
    let local = utc_to_jst(due_at);
    let weekday =
        ["月", "火", "水", "木", "金", "土", "日"][local.weekday().num_days_from_monday() as usize];
    let date = super::calendar::wareki_date(local.date());
    if kind == DeadlineKind::LegalBasisExpiry {
        format!("{date}（{weekday}）まで")
    } else {
        format!(
            "{date}（{weekday}）{:02}:{:02}",
            local.hour(),
            local.minute()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_open_deadline_past_its_instant_is_overdue() {
        let due = date(2026, 12, 7).and_time(time(8, 0));
        let before = due - TimeDelta::seconds(1);
        let after = due + TimeDelta::seconds(1);
        assert!(!is_overdue(DeadlineStatus::Open, due, before));
        assert!(!is_overdue(DeadlineStatus::Open, due, due));
        assert!(is_overdue(DeadlineStatus::Open, due, after));
        assert!(!is_overdue(DeadlineStatus::Met, due, after));
        assert!(!is_overdue(DeadlineStatus::Cancelled, due, after));
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
    }

    /// The deadlines of [`facts`] in `state`, with the default policy.
    fn derived(state: ApplicationState) -> Vec<Deadline> {
        derive(&facts(state), &schedule(), &DeadlinePolicy::default())
    }

    fn schedule() -> ReportSchedule {
        ReportSchedule::thirty_days_or_march_10()
    }

    fn facts(state: ApplicationState) -> ApplicationFacts {
        ApplicationFacts {
            state,
            fiscal_year: FiscalYear(2026),
            state_entered_on: date(2026, 11, 21),
            project_start: Some(date(2026, 7, 1)),
            project_end: Some(date(2027, 2, 26)),
            window_closes: Some(date(2026, 5, 30)),
            legal_basis_valid_until: None,
            interim_reports_filed: 0,
            correction_answer_due: None,
        }
    }

    #[test]
    fn a_correction_is_answered_by_the_day_the_secretariat_gave_or_the_default() {
        let policy = DeadlinePolicy::default();
        let returned = facts(ApplicationState::ReturnedForCorrection);
        let by_default = derive(&returned, &schedule(), &policy);
        assert_eq!(by_default[0].kind, DeadlineKind::CorrectionAnswer);
        assert_eq!(
            by_default[0].nominal_date,
            date(2026, 12, 5),
            "14 days after 11/21"
        );
        let given = ApplicationFacts {
            correction_answer_due: Some(date(2026, 12, 18)),
            ..returned
        };
        let found = derive(&given, &schedule(), &policy);
        assert_eq!(found[0].nominal_date, date(2026, 12, 18));
        assert_eq!(found[0].due_date, date(2026, 12, 18), "a Friday");
    }

    #[test]
    fn the_close_is_17_00_jst_which_is_08_00_utc() {
        let found = derived(ApplicationState::Draft);
        // 2026-05-30 is a Saturday: the call closes on Monday 6/1 at 17:00 JST.
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].nominal_date, date(2026, 5, 30));
        assert_eq!(found[0].due_date, date(2026, 6, 1));
        assert_eq!(found[0].due_at, date(2026, 6, 1).and_time(time(8, 0)));
        assert_eq!(
            utc_to_jst(found[0].due_at),
            date(2026, 6, 1).and_time(time(17, 0))
        );
    }

    #[test]
    fn a_running_project_has_an_interim_and_a_completion_report() {
        let found = derived(ApplicationState::InProgress);
        let kinds: Vec<_> = found.iter().map(|d| (d.kind, d.due_date)).collect();
        // Mid-project (120 of 240 days) 2026-10-29, a Thursday; completion min(3/28, 3/10) =
        // Wednesday 3/10.
        assert_eq!(
            kinds,
            [
                (DeadlineKind::InterimReport, date(2026, 10, 29)),
                (DeadlineKind::CompletionReport, date(2027, 3, 10)),
            ]
        );
        let mut filed = facts(ApplicationState::InProgress);
        filed.interim_reports_filed = 1;
        let found = derive(&filed, &schedule(), &DeadlinePolicy::default());
        assert_eq!(found.len(), 1, "a filed interim report is no longer due");
    }

    #[test]
    fn roll_forward_can_be_switched_off() {
        let policy = DeadlinePolicy {
            roll_forward: false,
            ..DeadlinePolicy::default()
        };
        let found = derive(&facts(ApplicationState::Draft), &schedule(), &policy);
        assert_eq!(found[0].due_date, date(2026, 5, 30));
    }

    #[test]
    fn the_due_reminder_is_the_latest_whose_time_has_come() {
        let offsets = ReminderOffsets::default();
        let due = date(2027, 3, 10).and_time(time(8, 0));
        let nine = time(9, 0);
        let at = |y, m, d, h| date(y, m, d).and_time(time(h, 0));
        let offset_at = |kind, now| due_offset(kind, due, &offsets, nine, now);
        // 2027-02-24 09:00 JST = 00:00 UTC: T-14 is due at that very instant.
        assert_eq!(
            offset_at(DeadlineKind::CompletionReport, at(2027, 2, 24, 0)),
            Some((-14, at(2027, 2, 24, 0)))
        );
        assert_eq!(
            offset_at(DeadlineKind::CompletionReport, at(2027, 2, 23, 23)),
            None
        );
        assert_eq!(
            offset_at(DeadlineKind::CompletionReport, at(2027, 3, 11, 3)).map(|(o, _)| o),
            Some(1)
        );
        // A missed call is not chased.
        assert_eq!(
            offset_at(DeadlineKind::ApplicationClose, at(2027, 3, 11, 3)),
            None
        );
        // Four days late: stale, skipped.
        assert_eq!(
            offset_at(DeadlineKind::CompletionReport, at(2027, 3, 7, 1)),
            None
        );
    }

    #[test]
    fn offsets_parse_and_print() {
        let offsets: ReminderOffsets = "+7, -14,-7,-1,1".parse().expect("offsets");
        assert_eq!(offsets.days(), [-14, -7, -1, 1, 7]);
        assert_eq!(offsets.to_string(), "-14,-7,-1,+1,+7");
        assert!("-120".parse::<ReminderOffsets>().is_err());
        assert!("x".parse::<ReminderOffsets>().is_err());
        assert!("".parse::<ReminderOffsets>().is_err());
    }

    #[test]
    fn japan_has_no_daylight_saving_time() {
        // Every day of 2025–2027 at 17:00 JST is 08:00 UTC, summer and winter alike.
        let mut day = date(2025, 1, 1);
        while day <= date(2027, 12, 31) {
            let utc = jst_to_utc(day, time(17, 0)).expect("one instant");
            assert_eq!(utc, day.and_time(time(8, 0)), "{day}");
            day = day.succ_opt().expect("next day");
        }
    }

    #[test]
    fn standing_counts_japanese_days_and_marks_overdue_after_the_instant() {
        let due = jst_to_utc(date(2027, 3, 10), time(17, 0)).expect("jst");
        let at = |d: NaiveDate, h: u32, m: u32| jst_to_utc(d, time(h, m)).expect("jst");
        // 00:30 JST on the 10th is still the 9th in UTC: the count is in Japan's days.
        let cases = [
            (date(2027, 3, 3), 9, 0, Standing::DueIn(7)),
            (date(2027, 3, 10), 0, 30, Standing::DueIn(0)),
            (date(2027, 3, 10), 16, 59, Standing::DueIn(0)),
            (date(2027, 3, 10), 17, 1, Standing::Overdue(0)),
            (date(2027, 3, 12), 8, 0, Standing::Overdue(2)),
        ];
        for (day, hour, minute, expected) in cases {
            assert_eq!(
                standing(due, at(day, hour, minute)),
                expected,
                "{day} {hour}:{minute:02}"
            );
        }
    }
}
