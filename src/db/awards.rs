//! The award ledger in the database: imports award lists through the reconciler's plan and
//! loads the ledger the engine counts from. Every decision is the reconciler's
//! (`domain::reconcile`); this module only writes it down.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use super::schema::{award_members, awards, name_reviews, organisation_aliases, organisations};
use super::{DbConnection, now};
use crate::domain::ledger::{Ledger, OrganisationId, PastAward};
use crate::domain::names::{normalise, org_key};
use crate::domain::reconcile::{
    AwardRow, KnownOrganisation, OrgRef, ReconcilePlan, ReconcileReport,
};
use crate::error::{AppError, AppResult};
use crate::on_backend;

/// Everything the database knows that the reconciler needs to decide a row.
pub fn known_organisations(conn: &mut DbConnection) -> AppResult<Vec<KnownOrganisation>> {
    let rows: Vec<(i64, Option<String>, String)> = organisations::table
        .select((
            organisations::id,
            organisations::corporate_number,
            organisations::name,
        ))
        .order(organisations::id)
        .load(conn)?;
    let mut aliases: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, alias) in organisation_aliases::table
        .select((
            organisation_aliases::organisation_id,
            organisation_aliases::alias,
        ))
        .order(organisation_aliases::id)
        .load::<(i64, String)>(conn)?
    {
        aliases.entry(id).or_default().push(alias);
    }
    let mut award_codes: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, code) in award_members::table
        .inner_join(awards::table)
        .select((award_members::organisation_id, awards::award_code))
        .load::<(i64, String)>(conn)?
    {
        award_codes.entry(id).or_default().push(code);
    }
    Ok(rows
        .into_iter()
        .map(|(id, corporate_number, name)| KnownOrganisation {
            id: OrganisationId(id),
            corporate_number,
            canonical_name: name,
            aliases: aliases.remove(&id).unwrap_or_default(),
            award_ids: award_codes.remove(&id).unwrap_or_default(),
        })
        .collect())
}

/// What an import wrote, beside the reconciler's report.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub report: ReconcileReport,
    pub organisations_created: usize,
    pub names_added: usize,
    pub awards_created: usize,
    pub members_created: usize,
    pub reviews_queued: usize,
}

/// Writes a plan in one transaction: either all of it lands or none. `progress` is told after
/// each step, for the command's progress bar.
pub fn apply_plan(
    conn: &mut DbConnection,
    plan: &ReconcilePlan,
    source: &str,
    progress: &dyn Fn(u64),
) -> AppResult<ImportSummary> {
    conn.transaction(|conn| {
        let created_at = now();
        let mut summary = ImportSummary {
            report: plan.report.clone(),
            ..ImportSummary::default()
        };
        let mut new_ids = Vec::with_capacity(plan.organisations_to_create.len());
        for organisation in &plan.organisations_to_create {
            let normalised = normalise(&organisation.canonical_name);
            let kind = normalised
                .legal_form()
                .map_or("other", |form| form.applicant_kind());
            let values = (
                organisations::corporate_number.eq(&organisation.corporate_number),
                organisations::name.eq(&organisation.canonical_name),
                organisations::name_key.eq(org_key(&organisation.canonical_name)),
                organisations::kind.eq(kind),
                organisations::created_at.eq(created_at),
                organisations::updated_at.eq(created_at),
            );
            let id = on_backend!(conn, c => diesel::insert_into(organisations::table)
                .values(values)
                .returning(organisations::id)
                .get_result::<i64>(c))?;
            for alias in &organisation.aliases {
                add_alias(conn, id, alias, &organisation.first_listed_at)?;
            }
            new_ids.push(id);
            summary.organisations_created += 1;
            progress(1);
        }
        let resolve = |reference: OrgRef| -> AppResult<i64> {
            match reference {
                OrgRef::Existing(OrganisationId(id)) => Ok(id),
                OrgRef::New(index) => new_ids.get(index).copied().ok_or_else(|| {
                    AppError::internal(format!("取込計画の団体番号 {index} がありません"))
                }),
            }
        };
        for (OrganisationId(id), name) in &plan.names_to_add {
            if add_alias(conn, *id, name, source)? {
                summary.names_added += 1;
            }
        }
        for (OrganisationId(id), number) in &plan.corporate_numbers_to_record {
            diesel::update(organisations::table.find(id))
                .filter(organisations::corporate_number.is_null())
                .set(organisations::corporate_number.eq(number))
                .execute(conn)?;
        }
        let mut award_ids: BTreeMap<String, i64> = BTreeMap::new();
        for award in &plan.awards {
            let existing = awards::table
                .filter(awards::award_code.eq(&award.award_id))
                .select(awards::id)
                .first::<i64>(conn)
                .optional()?;
            let id = match existing {
                Some(id) => id,
                None => {
                    summary.awards_created += 1;
                    let values = (
                        awards::award_code.eq(&award.award_id),
                        awards::fiscal_year.eq(award.fiscal_year),
                        awards::frame.eq(&award.frame),
                        awards::law_path.eq(&award.law_path),
                        awards::origin.eq("imported"),
                        awards::seed_ref.eq(&award.seed_ref),
                        awards::created_at.eq(created_at),
                    );
                    on_backend!(conn, c => diesel::insert_into(awards::table)
                        .values(values)
                        .returning(awards::id)
                        .get_result::<i64>(c))?
                }
            };
            award_ids.insert(award.award_id.clone(), id);
            progress(1);
        }
        for member in &plan.award_members {
            let award_id = match award_ids.get(&member.award_id) {
                Some(id) => *id,
                None => awards::table
                    .filter(awards::award_code.eq(&member.award_id))
                    .select(awards::id)
                    .first::<i64>(conn)?,
            };
            let organisation_id = resolve(member.organisation)?;
            let inserted = diesel::insert_into(award_members::table)
                .values((
                    award_members::award_id.eq(award_id),
                    award_members::organisation_id.eq(organisation_id),
                    award_members::listed_as.eq(&member.listed_as),
                    award_members::role.eq(member.role.as_str()),
                ))
                .execute(conn)?;
            summary.members_created += inserted;
            progress(1);
        }
        for (decision, item) in plan.review_items() {
            let key = org_key(&decision.listed_as);
            let already = name_reviews::table
                .filter(name_reviews::award_code.eq(&decision.award_id))
                .filter(name_reviews::name_key.eq(&key))
                .count()
                .get_result::<i64>(conn)?;
            if already > 0 {
                continue;
            }
            let candidate_ids = item
                .candidates
                .iter()
                .map(|candidate| resolve(candidate.organisation))
                .collect::<AppResult<Vec<_>>>()?;
            let reason = serde_json::to_string(&item.reason).map_err(|error| {
                AppError::internal("審査理由を記録できません").with_cause(error)
            })?;
            let candidate_ids = serde_json::to_string(&candidate_ids)
                .map_err(|error| AppError::internal("候補を記録できません").with_cause(error))?;
            diesel::insert_into(name_reviews::table)
                .values((
                    name_reviews::award_code.eq(&decision.award_id),
                    name_reviews::listed_as.eq(&decision.listed_as),
                    name_reviews::name_key.eq(&key),
                    name_reviews::candidate_ids.eq(candidate_ids),
                    name_reviews::reason.eq(reason),
                    name_reviews::created_at.eq(created_at),
                ))
                .execute(conn)?;
            summary.reviews_queued += 1;
        }
        Ok(summary)
    })
}

/// Records a name of an organisation once; returns whether it was new.
fn add_alias(
    conn: &mut DbConnection,
    organisation_id: i64,
    alias: &str,
    source: &str,
) -> AppResult<bool> {
    let key = org_key(alias);
    let exists = organisation_aliases::table
        .filter(organisation_aliases::organisation_id.eq(organisation_id))
        .filter(organisation_aliases::alias_key.eq(&key))
        .count()
        .get_result::<i64>(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(organisation_aliases::table)
        .values((
            organisation_aliases::organisation_id.eq(organisation_id),
            organisation_aliases::alias.eq(alias),
            organisation_aliases::alias_key.eq(key),
            organisation_aliases::source.eq(source),
            organisation_aliases::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// How many steps [`apply_plan`] reports, for sizing a progress bar.
pub fn plan_steps(plan: &ReconcilePlan) -> u64 {
    (plan.organisations_to_create.len() + plan.awards.len() + plan.award_members.len()) as u64
}

/// Plans an import against what the database holds, without writing anything. Returns the
/// plan and the names of the organisations it refers to, for printing.
pub fn plan_import(
    conn: &mut DbConnection,
    rows: &[AwardRow],
    aliases: &crate::domain::reconcile::AliasTable,
) -> AppResult<(ReconcilePlan, HashMap<i64, String>)> {
    let known = known_organisations(conn)?;
    let plan = crate::domain::reconcile::reconcile(rows, &known, aliases);
    let names = known
        .into_iter()
        .map(|organisation| (organisation.id.0, organisation.canonical_name))
        .collect();
    Ok((plan, names))
}

/// The ledger the engine counts from: every organisation with all its names, and every award
/// member whose award counts.
pub fn load_ledger(conn: &mut DbConnection) -> AppResult<Ledger> {
    load_ledger_excluding(conn, None)
}

/// As [`load_ledger`], leaving out one award (an application's own, when it is re-evaluated).
pub fn load_ledger_excluding(
    conn: &mut DbConnection,
    excluded_award: Option<i64>,
) -> AppResult<Ledger> {
    let mut ledger = Ledger::new();
    let mut names: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, alias) in organisation_aliases::table
        .select((
            organisation_aliases::organisation_id,
            organisation_aliases::alias,
        ))
        .load::<(i64, String)>(conn)?
    {
        names.entry(id).or_default().push(alias);
    }
    for (id, corporate_number, name) in organisations::table
        .select((
            organisations::id,
            organisations::corporate_number,
            organisations::name,
        ))
        .load::<(i64, Option<String>, String)>(conn)?
    {
        let mut all = names.remove(&id).unwrap_or_default();
        all.push(name);
        ledger.add_organisation(OrganisationId(id), corporate_number.as_deref(), all);
    }
    for (organisation_id, code, fiscal_year, frame, listed_as) in award_members::table
        .inner_join(awards::table)
        .filter(award_members::counts.eq(true))
        .filter(awards::id.ne(excluded_award.unwrap_or(-1)))
        .select((
            award_members::organisation_id,
            awards::award_code,
            awards::fiscal_year,
            awards::frame,
            award_members::listed_as,
        ))
        .load::<(i64, String, i32, String, String)>(conn)?
    {
        ledger.add_award(
            OrganisationId(organisation_id),
            PastAward {
                award_id: code,
                fiscal_year,
                frame,
                listed_as,
            },
        );
    }
    Ok(ledger)
}

/// Open review items, for the program manager.
pub fn count_open_reviews(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(name_reviews::table
        .filter(name_reviews::status.eq("open"))
        .count()
        .get_result(conn)?)
}

pub fn count_awards(conn: &mut DbConnection) -> AppResult<(i64, i64)> {
    let awards = awards::table.count().get_result(conn)?;
    let members = award_members::table.count().get_result(conn)?;
    Ok((awards, members))
}

/// An organisation and the awards that count toward its cap.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OrganisationAwards {
    pub organisation_id: i64,
    pub name: String,
    /// (fiscal year, frame, award code), oldest first.
    pub awards: Vec<(i32, String, String)>,
}

/// Organisations with at least `min_awards` countable awards (the award-limit view).
pub fn organisations_with_awards(
    conn: &mut DbConnection,
    min_awards: usize,
) -> AppResult<Vec<OrganisationAwards>> {
    let rows = award_members::table
        .inner_join(awards::table)
        .inner_join(organisations::table)
        .filter(award_members::counts.eq(true))
        .order((organisations::name, awards::fiscal_year, awards::award_code))
        .select((
            organisations::id,
            organisations::name,
            awards::fiscal_year,
            awards::frame,
            awards::award_code,
        ))
        .load::<(i64, String, i32, String, String)>(conn)?;
    let mut result: Vec<OrganisationAwards> = Vec::new();
    for (id, name, year, frame, code) in rows {
        match result.last_mut() {
            Some(last) if last.organisation_id == id => {
                if !last.awards.iter().any(|(_, _, c)| *c == code) {
                    last.awards.push((year, frame, code));
                }
            }
            _ => result.push(OrganisationAwards {
                organisation_id: id,
                name,
                awards: vec![(year, frame, code)],
            }),
        }
    }
    result.retain(|organisation| organisation.awards.len() >= min_awards);
    Ok(result)
}

/// Awards per fiscal year (distinct awards, imported and decided), for the ~30 a year KPI.
pub fn awards_per_year(conn: &mut DbConnection) -> AppResult<Vec<(i32, i64)>> {
    Ok(awards::table
        .group_by(awards::fiscal_year)
        .order(awards::fiscal_year)
        .select((awards::fiscal_year, diesel::dsl::count_star()))
        .load(conn)?)
}
