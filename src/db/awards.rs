//! The award ledger in the database: imports award lists through the reconciler's plan and
//! loads the ledger the engine counts from. Every decision is the reconciler's
//! (`domain::reconcile`); this module only writes it down.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use super::schema::{award_members, awards, name_reviews, organisation_aliases, organisations};
use super::{DbConnection, now};
use crate::domain::codes::ApplicantKind;
use crate::domain::ledger::{AwardOrigin, Ledger, OrganisationId, PastAward};
use crate::domain::names::{normalise, org_key};
use crate::domain::reconcile::{
    AwardRow, KnownOrganisation, MemberRole, NameReviewStatus, OrgRef, ReconcilePlan,
    ReconcileReport, ReviewReason,
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
    super::write(conn, |conn| {
        let created_at = now();
        let mut summary = ImportSummary {
            report: plan.report.clone(),
            ..ImportSummary::default()
        };
        let mut new_ids = Vec::with_capacity(plan.organisations_to_create.len());
        for organisation in &plan.organisations_to_create {
            let id = insert_named_organisation(
                conn,
                &organisation.canonical_name,
                organisation.corporate_number.as_deref(),
            )?;
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
                        awards::origin.eq(AwardOrigin::Imported),
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

/// A new organisation known only by its name (and 法人番号, when printed); its applicant kind
/// follows from the legal form in the name.
fn insert_named_organisation(
    conn: &mut DbConnection,
    name: &str,
    corporate_number: Option<&str>,
) -> AppResult<i64> {
    let created_at = now();
    let kind = normalise(name)
        .legal_form()
        .map_or(ApplicantKind::Other, |form| form.applicant_kind());
    let values = (
        organisations::corporate_number.eq(corporate_number),
        organisations::name.eq(name),
        organisations::name_key.eq(org_key(name)),
        organisations::kind.eq(kind),
        organisations::created_at.eq(created_at),
        organisations::updated_at.eq(created_at),
    );
    Ok(
        on_backend!(conn, c => diesel::insert_into(organisations::table)
            .values(values)
            .returning(organisations::id)
            .get_result::<i64>(c))?,
    )
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
    for (organisation_id, code, fiscal_year, frame, listed_as, application_id) in
        award_members::table
            .inner_join(awards::table)
            .filter(award_members::counts.eq(true))
            .filter(awards::id.ne(excluded_award.unwrap_or(-1)))
            .select((
                award_members::organisation_id,
                awards::award_code,
                awards::fiscal_year,
                awards::frame,
                award_members::listed_as,
                awards::application_id,
            ))
            .load::<(i64, String, i32, String, String, Option<i64>)>(conn)?
    {
        ledger.add_award(
            OrganisationId(organisation_id),
            PastAward {
                award_id: code,
                fiscal_year,
                frame,
                listed_as,
                from_application: application_id.is_some(),
            },
        );
    }
    // The shipped alias table's uncertain names, so that an applicant written as the probable
    // correct spelling is warned about (never counted) as on the CLI's shipped ledger.
    if let Ok(aliases) = crate::program::aliases::parse_alias_table(crate::forms::ALIASES) {
        crate::domain::reconcile::note_uncertain_names(&mut ledger, &aliases);
    }
    Ok(ledger)
}

/// Open review items, for the program manager.
pub fn count_open_reviews(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(name_reviews::table
        .filter(name_reviews::status.eq(NameReviewStatus::Open))
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

/// An organisation as a review item names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NamedOrganisation {
    pub id: i64,
    pub name: String,
    pub corporate_number: Option<String>,
}

/// One item of the name-review queue, with everything a person needs to decide it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewEntry {
    pub id: i64,
    pub award_code: String,
    pub fiscal_year: Option<i32>,
    pub frame: Option<String>,
    pub listed_as: String,
    pub reason: ReviewReason,
    pub candidates: Vec<NamedOrganisation>,
    /// The provisional organisation that holds the award until a person decides.
    pub holder: Option<NamedOrganisation>,
    pub status: NameReviewStatus,
    pub resolved_organisation: Option<NamedOrganisation>,
    pub resolved_at: Option<chrono::NaiveDateTime>,
}

fn named(conn: &mut DbConnection, id: i64) -> AppResult<Option<NamedOrganisation>> {
    Ok(organisations::table
        .find(id)
        .select((
            organisations::id,
            organisations::name,
            organisations::corporate_number,
        ))
        .first::<(i64, String, Option<String>)>(conn)
        .optional()?
        .map(|(id, name, corporate_number)| NamedOrganisation {
            id,
            name,
            corporate_number,
        }))
}

/// The award a review item is about: (id, fiscal year, frame).
fn award_of_code(conn: &mut DbConnection, code: &str) -> AppResult<Option<(i64, i32, String)>> {
    Ok(awards::table
        .filter(awards::award_code.eq(code))
        .select((awards::id, awards::fiscal_year, awards::frame))
        .first(conn)
        .optional()?)
}

/// The member of `award_id` recorded under a name with the key `name_key`: the provisional
/// organisation of a review item (none when the name was too ambiguous to hold anything).
fn holder_of(
    conn: &mut DbConnection,
    award_id: i64,
    name_key: &str,
) -> AppResult<Option<(i64, String)>> {
    let members: Vec<(i64, String, String)> = award_members::table
        .filter(award_members::award_id.eq(award_id))
        .select((
            award_members::organisation_id,
            award_members::listed_as,
            award_members::role,
        ))
        .order(award_members::organisation_id)
        .load(conn)?;
    Ok(members
        .into_iter()
        .find(|(_, listed_as, _)| org_key(listed_as) == name_key)
        .map(|(id, _, role)| (id, role)))
}

/// The review queue: open items first (oldest first), then the `resolved_limit` latest
/// resolved ones.
pub fn reviews(conn: &mut DbConnection, resolved_limit: i64) -> AppResult<Vec<ReviewEntry>> {
    type ReviewRow = (
        i64,
        String,
        String,
        String,
        String,
        String,
        NameReviewStatus,
        Option<i64>,
        Option<chrono::NaiveDateTime>,
    );
    let columns = (
        name_reviews::id,
        name_reviews::award_code,
        name_reviews::listed_as,
        name_reviews::name_key,
        name_reviews::candidate_ids,
        name_reviews::reason,
        name_reviews::status,
        name_reviews::resolved_organisation_id,
        name_reviews::resolved_at,
    );
    let mut rows: Vec<ReviewRow> = name_reviews::table
        .filter(name_reviews::status.eq(NameReviewStatus::Open))
        .order(name_reviews::id)
        .select(columns)
        .load(conn)?;
    rows.extend(
        name_reviews::table
            .filter(name_reviews::status.ne(NameReviewStatus::Open))
            .order(name_reviews::resolved_at.desc())
            .limit(resolved_limit)
            .select(columns)
            .load::<ReviewRow>(conn)?,
    );
    let mut entries = Vec::with_capacity(rows.len());
    for (id, award_code, listed_as, name_key, candidate_ids, reason, status, resolved, at) in rows {
        let reason: ReviewReason = serde_json::from_str(&reason)
            .map_err(|error| AppError::internal("審査理由を読めません").with_cause(error))?;
        let ids: Vec<i64> = serde_json::from_str(&candidate_ids)
            .map_err(|error| AppError::internal("候補を読めません").with_cause(error))?;
        let award = award_of_code(conn, &award_code)?;
        let holder = match &award {
            Some((award_id, _, _)) => match holder_of(conn, *award_id, &name_key)? {
                Some((holder_id, _)) => named(conn, holder_id)?,
                None => None,
            },
            None => None,
        };
        let mut candidates = Vec::with_capacity(ids.len());
        for candidate in ids {
            // A candidate merged away since is no longer offered.
            if let Some(organisation) = named(conn, candidate)?
                && holder.as_ref().is_none_or(|h| h.id != organisation.id)
            {
                candidates.push(organisation);
            }
        }
        let resolved_organisation = match resolved {
            Some(organisation) => named(conn, organisation)?,
            None => None,
        };
        entries.push(ReviewEntry {
            id,
            award_code,
            fiscal_year: award.as_ref().map(|(_, year, _)| *year),
            frame: award.map(|(_, _, frame)| frame),
            listed_as,
            reason,
            candidates,
            holder,
            status,
            resolved_organisation,
            resolved_at: at,
        });
    }
    Ok(entries)
}

/// A review item still waiting for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReview {
    pub listed_as: String,
    pub award_code: String,
    pub name_key: String,
    pub candidate_ids: Vec<i64>,
}

/// The review item if it is still open (`None` once answered; 404 when there is none).
pub fn open_review(conn: &mut DbConnection, id: i64) -> AppResult<Option<OpenReview>> {
    let row: Option<(String, String, String, String, NameReviewStatus)> = name_reviews::table
        .find(id)
        .select((
            name_reviews::listed_as,
            name_reviews::award_code,
            name_reviews::name_key,
            name_reviews::candidate_ids,
            name_reviews::status,
        ))
        .first(conn)
        .optional()?;
    let Some((listed_as, award_code, name_key, candidate_ids, status)) = row else {
        return Err(AppError::not_found("確認待ちの名称が見つかりません"));
    };
    if status != NameReviewStatus::Open {
        return Ok(None);
    }
    let candidate_ids: Vec<i64> = serde_json::from_str(&candidate_ids)
        .map_err(|error| AppError::internal("候補を読めません").with_cause(error))?;
    Ok(Some(OpenReview {
        listed_as,
        award_code,
        name_key,
        candidate_ids,
    }))
}

/// Every name recorded for an organisation (canonical first).
pub fn names_of(conn: &mut DbConnection, organisation_id: i64) -> AppResult<Vec<String>> {
    let Some(organisation) = named(conn, organisation_id)? else {
        return Ok(Vec::new());
    };
    let mut names = vec![organisation.name];
    names.extend(
        organisation_aliases::table
            .filter(organisation_aliases::organisation_id.eq(organisation_id))
            .order(organisation_aliases::id)
            .select(organisation_aliases::alias)
            .load::<String>(conn)?,
    );
    Ok(names)
}

/// A person's answer to a review item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewChoice {
    /// The printed name is this organisation.
    Same(i64),
    /// The printed name is an organisation of its own.
    NewOrganisation,
}

/// What a resolution wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub organisation_id: i64,
    pub alias_added: bool,
    pub members_moved: usize,
    pub provisional_removed: bool,
}

/// Writes a person's answer to an open review item, in one transaction: the printed name
/// becomes a recorded name (alias) of the organisation, so that the next import of the same
/// list matches it by itself, and the award membership moves to it. For "the same as X", the
/// provisional organisation that held the award meanwhile is merged into X (its memberships
/// and names) and removed; an organisation that people or applications already use is never
/// removed, and then nothing is written.
pub fn resolve_review(
    conn: &mut DbConnection,
    review_id: i64,
    choice: ReviewChoice,
    resolved_by: i64,
) -> AppResult<Resolved> {
    super::write(conn, |conn| {
        let Some(OpenReview {
            listed_as,
            award_code,
            name_key,
            ..
        }) = open_review(conn, review_id)?
        else {
            return Err(AppError::conflict("この名称は既に確認済みです"));
        };
        let (award_id, _, _) = award_of_code(conn, &award_code)?
            .ok_or_else(|| AppError::internal(format!("採択 {award_code} がありません")))?;
        let holder = holder_of(conn, award_id, &name_key)?;
        let source = format!("name_review:{review_id}");
        let (organisation_id, status, members_moved, provisional_removed) = match choice {
            ReviewChoice::Same(target) => {
                if named(conn, target)?.is_none() {
                    return Err(AppError::not_found("選んだ団体が見つかりません"));
                }
                match holder {
                    Some((provisional, _)) if provisional != target => {
                        let moved = merge_provisional(conn, provisional, target, &source)?;
                        (target, NameReviewStatus::Merged, moved, true)
                    }
                    Some(_) => (target, NameReviewStatus::Merged, 0, false),
                    None => {
                        let role = role_beside(conn, award_id)?;
                        let added = add_member(conn, award_id, target, &listed_as, &role)?;
                        (target, NameReviewStatus::Merged, usize::from(added), false)
                    }
                }
            }
            ReviewChoice::NewOrganisation => match holder {
                Some((provisional, _)) => (provisional, NameReviewStatus::KeptApart, 0, false),
                None => {
                    let created = insert_named_organisation(conn, &listed_as, None)?;
                    let role = role_beside(conn, award_id)?;
                    let added = add_member(conn, award_id, created, &listed_as, &role)?;
                    (
                        created,
                        NameReviewStatus::KeptApart,
                        usize::from(added),
                        false,
                    )
                }
            },
        };
        let alias_added = add_alias(conn, organisation_id, &listed_as, &source)?;
        diesel::update(name_reviews::table.find(review_id))
            .set((
                name_reviews::status.eq(status),
                name_reviews::resolved_organisation_id.eq(Some(organisation_id)),
                name_reviews::resolved_by.eq(Some(resolved_by)),
                name_reviews::resolved_at.eq(Some(now())),
            ))
            .execute(conn)?;
        Ok(Resolved {
            organisation_id,
            alias_added,
            members_moved,
            provisional_removed,
        })
    })
}

/// The role of a member added to an award by hand (`MemberRole::of_member_added_beside`).
fn role_beside(conn: &mut DbConnection, award_id: i64) -> AppResult<String> {
    let roles: Vec<MemberRole> = award_members::table
        .filter(award_members::award_id.eq(award_id))
        .select(award_members::role)
        .load::<String>(conn)?
        .iter()
        .filter_map(|role| MemberRole::parse(role))
        .collect();
    Ok(MemberRole::of_member_added_beside(&roles)
        .as_str()
        .to_owned())
}

/// Adds (award, organisation) unless recorded; returns whether it was new.
fn add_member(
    conn: &mut DbConnection,
    award_id: i64,
    organisation_id: i64,
    listed_as: &str,
    role: &str,
) -> AppResult<bool> {
    let exists = award_members::table
        .filter(award_members::award_id.eq(award_id))
        .filter(award_members::organisation_id.eq(organisation_id))
        .count()
        .get_result::<i64>(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(award_members::table)
        .values((
            award_members::award_id.eq(award_id),
            award_members::organisation_id.eq(organisation_id),
            award_members::listed_as.eq(listed_as),
            award_members::role.eq(role),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Merges a provisional organisation into `target`: its award memberships, names and 法人番号
/// move over, and it is removed. Refused (nothing written) when anything else refers to it.
fn merge_provisional(
    conn: &mut DbConnection,
    provisional: i64,
    target: i64,
    source: &str,
) -> AppResult<usize> {
    use super::schema::{application_members, applications, legal_bases, memberships};
    let in_use = memberships::table
        .filter(memberships::organisation_id.eq(provisional))
        .count()
        .get_result::<i64>(conn)?
        + applications::table
            .filter(applications::lead_organisation_id.eq(provisional))
            .count()
            .get_result::<i64>(conn)?
        + application_members::table
            .filter(application_members::organisation_id.eq(provisional))
            .count()
            .get_result::<i64>(conn)?
        + legal_bases::table
            .filter(legal_bases::holder_organisation_id.eq(provisional))
            .count()
            .get_result::<i64>(conn)?
        + name_reviews::table
            .filter(name_reviews::resolved_organisation_id.eq(provisional))
            .count()
            .get_result::<i64>(conn)?;
    if in_use > 0 {
        return Err(AppError::conflict(
            "仮登録の団体に利用者・申請などが結び付いているため、統合できません",
        ));
    }
    let (Some(from), Some(into)) = (named(conn, provisional)?, named(conn, target)?) else {
        return Err(AppError::not_found("団体が見つかりません"));
    };
    match (&from.corporate_number, &into.corporate_number) {
        (Some(a), Some(b)) if a != b => {
            return Err(AppError::conflict(format!(
                "法人番号が異なるため同じ団体にできません（{a} と {b}）"
            )));
        }
        (Some(number), None) => {
            // The number moves: clear it first, since it is unique.
            diesel::update(organisations::table.find(provisional))
                .set(organisations::corporate_number.eq(None::<String>))
                .execute(conn)?;
            diesel::update(organisations::table.find(target))
                .set(organisations::corporate_number.eq(Some(number)))
                .execute(conn)?;
        }
        _ => {}
    }
    let members: Vec<(i64, String, String, bool, Option<String>)> = award_members::table
        .filter(award_members::organisation_id.eq(provisional))
        .select((
            award_members::award_id,
            award_members::listed_as,
            award_members::role,
            award_members::counts,
            award_members::override_reason,
        ))
        .load(conn)?;
    let mut moved = 0;
    for (award_id, listed_as, role, counts, override_reason) in members {
        if add_member(conn, award_id, target, &listed_as, &role)? {
            diesel::update(
                award_members::table
                    .filter(award_members::award_id.eq(award_id))
                    .filter(award_members::organisation_id.eq(target)),
            )
            .set((
                award_members::counts.eq(counts),
                award_members::override_reason.eq(override_reason),
            ))
            .execute(conn)?;
            moved += 1;
        }
    }
    diesel::delete(award_members::table.filter(award_members::organisation_id.eq(provisional)))
        .execute(conn)?;
    for name in names_of(conn, provisional)? {
        add_alias(conn, target, &name, source)?;
    }
    diesel::delete(
        organisation_aliases::table.filter(organisation_aliases::organisation_id.eq(provisional)),
    )
    .execute(conn)?;
    diesel::delete(organisations::table.find(provisional)).execute(conn)?;
    Ok(moved)
}
