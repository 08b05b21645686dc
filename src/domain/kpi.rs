//! Programme KPIs: the continuation rate (DOMAIN.md §8 Q13, target ≥ 80% [S4:109]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::codes::{Code, code_enum};

code_enum! {
    /// Where a 継続状況調査 stands (`continuation_surveys.status`).
    SurveyStatus, "survey status" {
        Pending => "pending", "回答待ち";
        Answered => "answered", "回答済み";
    }
}

code_enum! {
    /// The answer of a 継続状況調査: whether the 地域の人事部 activities still run.
    Continuation, "continuation" {
        Continuing => "continuing", "継続している";
        Partly => "partly", "一部を継続している";
        Stopped => "stopped", "終了した";
    }
}

/// The mid-term KPI: at least 4/5 (80%) of a year's awards still running in the next year.
pub const CONTINUATION_TARGET: (u32, u32) = (4, 5);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ContinuationRate {
    pub fiscal_year: i32,
    /// Awards of the year (distinct projects, not members).
    pub awards: u32,
    pub answered: u32,
    /// Still running 地域の人事部 activities in the next fiscal year, wholly or partly, from
    /// any funding source.
    pub continuing: u32,
    pub stopped: u32,
    /// continuing ÷ awards, as a fraction; `None` before any award.
    pub rate: Option<(u32, u32)>,
    pub meets_target: Option<bool>,
}

/// `awards`: (fiscal year, award id); `answers`: (award fiscal year, survey status,
/// continuation answer). An award not yet surveyed counts in the denominator only: the KPI is
/// about every award, not about those who answered.
pub fn continuation_rates(
    awards: &[(i32, i64)],
    answers: &[(i32, SurveyStatus, Option<String>)],
) -> Vec<ContinuationRate> {
    let mut years: BTreeMap<i32, ContinuationRate> = BTreeMap::new();
    for (year, _) in awards {
        let entry = years.entry(*year).or_insert_with(|| ContinuationRate {
            fiscal_year: *year,
            ..Default::default()
        });
        entry.awards += 1;
    }
    for (year, status, continuation) in answers {
        let entry = years.entry(*year).or_insert_with(|| ContinuationRate {
            fiscal_year: *year,
            ..Default::default()
        });
        if *status == SurveyStatus::Answered {
            entry.answered += 1;
            match continuation.as_deref().and_then(Continuation::from_code) {
                Some(Continuation::Continuing | Continuation::Partly) => entry.continuing += 1,
                Some(Continuation::Stopped) => entry.stopped += 1,
                None => {}
            }
        }
    }
    years
        .into_values()
        .map(|mut year| {
            if year.awards > 0 {
                year.rate = Some((year.continuing, year.awards));
                // continuing / awards ≥ 4/5, in integers.
                let (numerator, denominator) = CONTINUATION_TARGET;
                year.meets_target = Some(year.continuing * denominator >= year.awards * numerator);
            }
            year
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_counts_every_award_and_partial_continuation() {
        let awards: Vec<(i32, i64)> = (1..=5).map(|id| (2026, id)).collect();
        let answers = vec![
            (2026, SurveyStatus::Answered, Some("continuing".to_owned())),
            (2026, SurveyStatus::Answered, Some("partly".to_owned())),
            (2026, SurveyStatus::Answered, Some("continuing".to_owned())),
            (2026, SurveyStatus::Answered, Some("stopped".to_owned())),
            (2026, SurveyStatus::Pending, None),
        ];
        let rates = continuation_rates(&awards, &answers);
        assert_eq!(rates.len(), 1);
        assert_eq!(rates[0].rate, Some((3, 5)));
        assert_eq!(rates[0].meets_target, Some(false), "3/5 < 80%");
        let mut answers = answers;
        answers[4] = (2026, SurveyStatus::Answered, Some("continuing".to_owned()));
        assert_eq!(
            continuation_rates(&awards, &answers)[0].meets_target,
            Some(true),
            "4/5 = 80%"
        );
    }
}
