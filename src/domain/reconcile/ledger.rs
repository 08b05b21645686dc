//! The award ledger of an award list built in memory, without a database: for
//! `hojokin evaluate --ledger shipped`, the benchmarks and the golden cases (the reader of the
//! files' text is `program::award_list::ledger_from_award_list`).

use std::collections::HashMap;

use super::{AliasTable, AwardRecord, AwardRow, OrgRef, ReconcilePlan, ReconcileReport, reconcile};
use crate::domain::ledger::{Ledger, OrganisationId, PastAward};
use crate::domain::names::org_key;

/// Builds the in-memory ledger from an award list's rows and the alias table.
///
/// Organisations are numbered from 1 in order of first appearance. Rows that would go to
/// review stay on organisations of their own (never merged) and are counted in `queued`.
pub fn ledger_from_rows(rows: &[AwardRow], aliases: &AliasTable) -> (Ledger, ReconcileReport) {
    let plan = reconcile(rows, &[], aliases);
    let mut ledger = ledger_from_plan(&plan, rows);
    note_uncertain_names(&mut ledger, aliases);
    (ledger, plan.report)
}

fn ledger_from_plan(plan: &ReconcilePlan, rows: &[AwardRow]) -> Ledger {
    let mut ledger = Ledger::new();
    let id_of_new = |new: usize| OrganisationId(i64::try_from(new).unwrap_or(i64::MAX - 1) + 1);
    for (new, organisation) in plan.organisations_to_create.iter().enumerate() {
        ledger.add_organisation(
            id_of_new(new),
            organisation.corporate_number.as_deref(),
            organisation.names(),
        );
    }
    let award_of: HashMap<&str, &AwardRecord> = plan
        .awards
        .iter()
        .map(|award| (award.award_id.as_str(), award))
        .collect();
    let past_award = |award_id: &str, listed_as: &str| {
        award_of.get(award_id).map(|award| PastAward {
            award_id: award.award_id.clone(),
            fiscal_year: award.fiscal_year,
            frame: award.frame.clone(),
            listed_as: listed_as.to_owned(),
            from_application: false,
        })
    };
    for member in &plan.award_members {
        let OrgRef::New(new) = member.organisation else {
            continue; // nothing is known before a ledger is built
        };
        if let Some(award) = past_award(&member.award_id, &member.listed_as) {
            ledger.add_award(id_of_new(new), award);
        }
    }
    // A row whose name already named several organisations has no holder; in a ledger built
    // from scratch that cannot happen, but if it does the row still counts, on its own.
    let mut next = plan.organisations_to_create.len();
    for (decision, item) in plan.review_items() {
        if item.holder.is_some() {
            continue;
        }
        let id = id_of_new(next);
        next += 1;
        let row = rows.iter().find(|row| row.line == decision.line);
        ledger.add_organisation(
            id,
            row.and_then(|row| row.corporate_number.as_deref()),
            [decision.listed_as.as_str()],
        );
        if let Some(award) = past_award(&decision.award_id, &decision.listed_as) {
            ledger.add_award(id, award);
        }
    }
    ledger
}

/// Marks, in a ledger, each organisation printed under an `[[uncertain]]` name of the alias
/// table as possibly named what the table says (its review item's candidate).
pub fn note_uncertain_names(ledger: &mut Ledger, aliases: &AliasTable) {
    for uncertain in aliases.uncertain() {
        let holders = ledger.find(None, &org_key(&uncertain.name)).to_vec();
        for id in holders {
            ledger.add_possible_name(id, &uncertain.possibly);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{rows_of, sole, table};
    use super::*;

    #[test]
    fn a_ledger_from_rows_merges_confirmed_names_only() {
        let rows = rows_of([
            sole("A1", "株式会社御祓川"),
            sole("A2", "株式会社御祇川"),
            sole("A3", "株式会社えぼく"),
        ]);
        let (ledger, report) = ledger_from_rows(&rows, &table());
        assert_eq!(ledger.organisation_count(), 2);
        assert_eq!(report.queued, 1);
        let misogi = ledger.find(None, &org_key("株式会社御祇川"));
        assert_eq!(misogi, ledger.find(None, &org_key("株式会社御祓川")));
        assert_eq!(ledger.awards_of(misogi[0]).len(), 2);
        // えぼく keeps its award on its own organisation, marked as possibly えぽっく.
        let eboku = ledger.find(None, &org_key("株式会社えぼく"));
        assert_eq!(ledger.possibly_named(&org_key("株式会社えぽっく")), eboku);
    }
}
