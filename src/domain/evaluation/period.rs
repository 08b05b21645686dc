//! The project period: within the application's fiscal year, not before the application.

use super::*;

/// Where a project period stands against its application: the days outside the fiscal year
/// (if the year's rule requires a single-year project) and a start before the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectPeriodCheck {
    /// The fiscal year's bounds when the period leaves them.
    pub outside_fiscal_year: Option<(NaiveDate, NaiveDate)>,
    pub starts_before_application: bool,
}

/// The project period's checks, as a pure function of the dates.
pub fn project_period_check(
    fiscal_year: FiscalYear,
    within_fiscal_year: bool,
    application_date: NaiveDate,
    period: ProjectPeriod,
) -> ProjectPeriodCheck {
    let outside_fiscal_year = match (fiscal_year.start(), fiscal_year.end()) {
        (Some(start), Some(end))
            if within_fiscal_year && (period.start < start || period.end > end) =>
        {
            Some((start, end))
        }
        _ => None,
    };
    ProjectPeriodCheck {
        outside_fiscal_year,
        starts_before_application: period.start < application_date,
    }
}

pub(super) fn check_project_period<'a>(
    application: &'a Application,
    program: &'a Program,
    findings: &mut Vec<Finding<'a>>,
) {
    let rule = &program.project_within_fiscal_year;
    let check = project_period_check(
        application.fiscal_year,
        rule.value,
        application.application_date,
        application.project_period,
    );
    if let Some((year_start, year_end)) = check.outside_fiscal_year {
        findings.push(Finding {
            code: "project_outside_fiscal_year",
            severity: Severity::Error,
            message: Message::ProjectOutsideFiscalYear {
                fiscal_year: application.fiscal_year,
                start: application.project_period.start,
                end: application.project_period.end,
                year_start,
                year_end,
            },
            source: &rule.source,
        });
    }
    if check.starts_before_application {
        findings.push(Finding {
            code: "project_starts_before_application",
            severity: Severity::Warning,
            message: Message::ProjectStartsBeforeApplication {
                start: application.project_period.start,
                application_date: application.application_date,
            },
            source: &rule.source,
        });
    }
}
