//! The impact of a draft year's rules over the applications in the database: each one of the
//! draft's year (drafts left out: they are their applicants' alone) is evaluated as the
//! workflow evaluates it (its record as the contract's application, the ledger without its
//! own award) under the rules in force and under the draft, and then every other organisation
//! of the award ledger as if it applied again. Nothing is written.

use chrono::NaiveDate;

use crate::db::applications::{self, Aggregate};
use crate::db::{self, DbConnection, workflow as store};
use crate::domain::codes::ApplicantRole;
use crate::domain::impact::{ImpactReport, RuleSets};
use crate::domain::validation::FieldErrors;
use crate::error::AppResult;

/// What [`impact_of_stored`] found: the report, and the applications whose record the engine
/// cannot read yet (by number, with what is missing).
#[derive(Debug, Default)]
pub struct StoredImpact {
    pub report: ImpactReport,
    pub unreadable: Vec<(String, FieldErrors)>,
    /// Each evaluated application's id by its number, for links to it.
    pub ids: std::collections::HashMap<String, i64>,
}

pub fn impact_of_stored(
    conn: &mut DbConnection,
    rules: RuleSets<'_>,
    today: NaiveDate,
) -> AppResult<StoredImpact> {
    let rows = applications::submitted_in_year(conn, rules.base.fiscal_year.0)?;
    let ledger = db::awards::load_ledger(conn)?;
    let mut impact = StoredImpact::default();
    // The year's applications in a few statements, not several for each.
    let awards = store::awards_of_applications(conn, rules.base.fiscal_year.0)?;
    for aggregate in applications::load_aggregates(conn, rows)? {
        // An awarded application is judged without its own award, as the workflow judges it.
        let own_award = awards.get(&aggregate.application.id).copied();
        let without_own;
        let ledger = match own_award {
            Some(_) => {
                without_own = db::awards::load_ledger_excluding(conn, own_award)?;
                &without_own
            }
            None => &ledger,
        };
        impact.ids.insert(
            aggregate.application.reference.clone(),
            aggregate.application.id,
        );
        match aggregate.to_application(today) {
            Ok(application) => {
                rules.compare(&application, ledger, &mut impact.report, || {
                    describe(&aggregate)
                });
            }
            Err(errors) => impact
                .unreadable
                .push((aggregate.application.reference.clone(), errors)),
        }
    }
    impact.report.ledger = Some(rules.ledger_outlook(&ledger, &impact.report));
    Ok(impact)
}

/// The application's number and its lead organisation's name.
fn describe(aggregate: &Aggregate) -> (String, String) {
    (
        aggregate.application.reference.clone(),
        aggregate
            .members
            .iter()
            .find(|member| member.role == ApplicantRole::Lead)
            .map(|lead| lead.organisation.name.clone())
            .unwrap_or_default(),
    )
}
