//! When an action may happen, by the calendar (DOMAIN.md §4): the project is started and its
//! 実績報告 filed once the 補助事業期間 has begun, never before; a period planned to begin
//! before the 交付決定 is said at the start (適正化法 §6: the grant exists from the decision;
//! costs before it are not eligible, DOMAIN.md §3.1). Pure: the dates are given, in Japan's
//! calendar.
//!
//! The inputs are plain dates, so that the 交付決定日 can come from wherever it is recorded (the
//! decision's audit event today).

use chrono::NaiveDate;

use super::calendar::wareki_date;
use super::validation::ErrorCode;
use super::workflow::Action;

/// The dates an action is checked against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Today in Japan.
    pub today: NaiveDate,
    pub project_start: Option<NaiveDate>,
    pub project_end: Option<NaiveDate>,
    /// The day (JST) of the 交付決定, once made.
    pub grant_decided_on: Option<NaiveDate>,
}

/// Why the calendar refuses an action. Refused, the action changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateRefusal {
    /// The application has no 補助事業期間 to check against.
    NoProjectPeriod,
    /// Today is before the 補助事業期間 begins.
    BeforeProjectPeriod {
        action: Action,
        start: NaiveDate,
        end: NaiveDate,
    },
    /// A reply deadline (差戻し) in the past.
    DueInPast { due: NaiveDate, today: NaiveDate },
}

impl DateRefusal {
    pub fn code(self) -> ErrorCode {
        match self {
            DateRefusal::NoProjectPeriod => ErrorCode::Required,
            DateRefusal::BeforeProjectPeriod { .. } => ErrorCode::BeforeProjectPeriod,
            DateRefusal::DueInPast { .. } => ErrorCode::DateInPast,
        }
    }

    /// The field the refusal concerns: the request as a whole, but for a reply deadline.
    pub fn field(self) -> &'static str {
        match self {
            DateRefusal::DueInPast { .. } => "payload.reply_due",
            _ => "",
        }
    }

    pub fn message_ja(self) -> String {
        match self {
            DateRefusal::NoProjectPeriod => {
                "補助事業期間（開始日・終了日）が登録されていないため行えません".to_owned()
            }
            DateRefusal::BeforeProjectPeriod { action, start, end } => format!(
                "補助事業期間（{}〜{}）が始まる前には「{}」を行えません。{}以降に行ってください",
                wareki_date(start),
                wareki_date(end),
                action.label_ja(),
                wareki_date(start)
            ),
            DateRefusal::DueInPast { due, today } => format!(
                "回答期限（{}）が過去の日付です。本日（{}）以降の日付を指定してください",
                wareki_date(due),
                wareki_date(today)
            ),
        }
    }
}

/// Something the calendar lets pass but the person acting must be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateNotice {
    /// The planned 補助事業期間 begins before the 交付決定: the project runs from the decision,
    /// and costs before it are not eligible.
    PeriodStartsBeforeGrantDecision {
        start: NaiveDate,
        decided_on: NaiveDate,
    },
}

impl DateNotice {
    pub fn code(self) -> &'static str {
        match self {
            DateNotice::PeriodStartsBeforeGrantDecision { .. } => {
                "period_starts_before_grant_decision"
            }
        }
    }

    pub fn message_ja(self) -> String {
        match self {
            DateNotice::PeriodStartsBeforeGrantDecision { start, decided_on } => format!(
                "補助事業期間の開始日（{}）は交付決定日（{}）より前です。交付決定日より前に発生した経費は補助対象になりません",
                wareki_date(start),
                wareki_date(decided_on)
            ),
        }
    }
}

/// Whether `action` may happen today, by the calendar; with what to tell the person when it
/// may. Actions the calendar does not constrain pass.
pub fn check(action: Action, timeline: &Timeline) -> Result<Vec<DateNotice>, DateRefusal> {
    if !matches!(
        action,
        Action::StartProject | Action::SubmitCompletionReport
    ) {
        return Ok(Vec::new());
    }
    let (Some(start), Some(end)) = (timeline.project_start, timeline.project_end) else {
        return Err(DateRefusal::NoProjectPeriod);
    };
    // The 実績報告 may come before the planned end (a project completed early), never before the
    // project began.
    if timeline.today < start {
        return Err(DateRefusal::BeforeProjectPeriod { action, start, end });
    }
    Ok(match timeline.grant_decided_on {
        Some(decided_on) if action == Action::StartProject && start < decided_on => {
            vec![DateNotice::PeriodStartsBeforeGrantDecision { start, decided_on }]
        }
        _ => Vec::new(),
    })
}

/// A reply deadline the 事務局 gives at 差戻し: today or later.
pub fn check_reply_due(today: NaiveDate, due: NaiveDate) -> Result<(), DateRefusal> {
    if due < today {
        Err(DateRefusal::DueInPast { due, today })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn timeline(today: NaiveDate) -> Timeline {
        Timeline {
            today,
            project_start: Some(day(2027, 1, 4)),
            project_end: Some(day(2027, 2, 26)),
            grant_decided_on: Some(day(2026, 12, 3)),
        }
    }

    #[test]
    fn a_project_starts_and_reports_within_its_period() {
        for action in [Action::StartProject, Action::SubmitCompletionReport] {
            let refused = check(action, &timeline(day(2027, 1, 3)));
            assert_eq!(
                refused,
                Err(DateRefusal::BeforeProjectPeriod {
                    action,
                    start: day(2027, 1, 4),
                    end: day(2027, 2, 26)
                })
            );
            let message = refused
                .err()
                .map(DateRefusal::message_ja)
                .unwrap_or_default();
            assert!(
                message.contains("令和9年1月4日") && message.contains(action.label_ja()),
                "{message}"
            );
            assert_eq!(check(action, &timeline(day(2027, 1, 4))), Ok(vec![]));
        }
        assert_eq!(
            check(Action::SubmitCompletionReport, &timeline(day(2027, 3, 1))),
            Ok(vec![]),
            "the report comes after the end"
        );
        assert_eq!(
            check(Action::SubmitInterimReport, &timeline(day(2026, 1, 1))),
            Ok(vec![]),
            "not a dated action"
        );
    }

    #[test]
    fn a_period_that_begins_before_the_grant_decision_is_said() {
        let early = Timeline {
            project_start: Some(day(2026, 12, 1)),
            ..timeline(day(2026, 12, 3))
        };
        let notices = check(Action::StartProject, &early).expect("started");
        assert_eq!(
            notices,
            vec![DateNotice::PeriodStartsBeforeGrantDecision {
                start: day(2026, 12, 1),
                decided_on: day(2026, 12, 3)
            }]
        );
        assert!(notices[0].message_ja().contains("補助対象になりません"));
        assert_eq!(
            check(Action::SubmitCompletionReport, &early),
            Ok(vec![]),
            "said once, at the start"
        );
        let no_period = Timeline {
            project_end: None,
            ..early
        };
        assert_eq!(
            check(Action::StartProject, &no_period),
            Err(DateRefusal::NoProjectPeriod)
        );
    }

    #[test]
    fn a_reply_deadline_is_today_or_later() {
        assert!(check_reply_due(day(2026, 12, 3), day(2026, 12, 3)).is_ok());
        let refused = check_reply_due(day(2026, 12, 3), day(2026, 12, 2));
        assert_eq!(
            refused.map_err(DateRefusal::code),
            Err(ErrorCode::DateInPast)
        );
    }
}
