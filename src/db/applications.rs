//! Applications with their members, partners, legal basis, activities and budget lines.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{
    activities, application_members, applications, budget_lines, legal_bases, partners,
};
use super::{DbConnection, now};
use crate::contract;
use crate::contract::decision::StoredDecision;
use crate::contract::given::Given;
use crate::contract::request::{
    ActivityFields, ApplicantFields, BudgetLineFields, LegalBasisFields, PartnerFields,
    PeriodFields, Request,
};
use crate::domain::amounts::{AmountFacts, LifecycleAmounts};
use crate::domain::budget::{LineAmounts, ReviewState};
use crate::domain::codes::{
    ActivityCategory, ApplicantRole, Code, ExpenseCategory, Frame, FundingSource, Industry,
    LegalPath, PartnerKind, TaxTreatment,
};
use crate::domain::evaluation::Application;
use crate::domain::money::Yen;
use crate::domain::search::PipelineSearch;
use crate::domain::validation::FieldErrors;
use crate::domain::workflow::ApplicationState;
use crate::error::{AppError, AppResult};
use crate::on_backend;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = applications)]
pub struct ApplicationRow {
    pub id: i64,
    pub reference: String,
    pub fiscal_year: i32,
    #[schema(value_type = String)]
    pub frame: Frame,
    #[schema(value_type = String)]
    pub status: ApplicationState,
    pub title: String,
    pub lead_organisation_id: i64,
    pub municipality_id: Option<i64>,
    pub application_date: Option<NaiveDate>,
    pub project_start: Option<NaiveDate>,
    pub project_end: Option<NaiveDate>,
    pub eligible_expenses_yen: i64,
    pub subsidy_yen: i64,
    pub award_ordinal: Option<i32>,
    /// The decision as stored (JSON text); `decision` has it parsed.
    pub decision_json: Option<String>,
    /// What 交付決定 fixed (JSON text), once decided.
    pub frozen_decision_json: Option<String>,
    pub decided_subsidy_yen: Option<i64>,
    pub confirmed_subsidy_yen: Option<i64>,
    #[schema(value_type = String)]
    pub tax_treatment: TaxTreatment,
    /// For optimistic locking: send it back with the next change.
    pub version: i32,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub requested_subsidy_yen: Option<i64>,
    pub reviewed_subsidy_yen: Option<i64>,
    pub decided_on: Option<NaiveDate>,
    pub confirmed_on: Option<NaiveDate>,
    pub paid_yen: Option<i64>,
    pub paid_on: Option<NaiveDate>,
}

impl ApplicationRow {
    /// The amounts of its lifecycle as recorded (`domain::amounts::LifecycleAmounts`).
    pub fn lifecycle_amounts(&self) -> LifecycleAmounts {
        LifecycleAmounts::of(&AmountFacts {
            draft: self.status == ApplicationState::Draft,
            latest: self
                .decision_json
                .as_ref()
                .map(|_| Yen::new(self.subsidy_yen)),
            application_date: self.application_date,
            requested: self.requested_subsidy_yen.map(Yen::new),
            reviewed: self.reviewed_subsidy_yen.map(Yen::new),
            decided: self.decided_subsidy_yen.map(Yen::new),
            decided_on: self.decided_on,
            confirmed: self.confirmed_subsidy_yen.map(Yen::new),
            confirmed_on: self.confirmed_on,
            paid: self.paid_yen.map(Yen::new),
            paid_on: self.paid_on,
        })
    }
}

/// A whole application as entered, before the database gives it ids.
#[derive(Debug, Clone)]
pub struct ApplicationDraft {
    pub reference: String,
    pub fiscal_year: i32,
    pub frame: Frame,
    pub state: ApplicationState,
    pub title: String,
    pub lead_organisation_id: i64,
    pub co_applicant_ids: Vec<i64>,
    pub municipality_id: Option<i64>,
    pub application_date: Option<NaiveDate>,
    pub project_start: Option<NaiveDate>,
    pub project_end: Option<NaiveDate>,
    pub partners: Vec<PartnerDraft>,
    pub legal_basis: Option<LegalBasisDraft>,
    pub activities: Vec<ActivityDraft>,
    pub created_by: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct PartnerDraft {
    pub kind: PartnerKind,
    pub name: String,
    pub municipality_id: Option<i64>,
    pub agreement: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LegalBasisDraft {
    pub path: LegalPath,
    pub holder_name: String,
    pub holder_organisation_id: Option<i64>,
    pub granted_by: String,
    pub granted_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub includes_talent_measures: bool,
    pub evidence_reference: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ActivityDraft {
    pub name: String,
    pub category: ActivityCategory,
    pub executive_internship: bool,
    pub kpi: Option<String>,
    pub lines: Vec<BudgetLineDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLineDraft {
    pub category: ExpenseCategory,
    pub description: String,
    pub amount_yen: i64,
    pub funding_source: FundingSource,
    /// Other sources the same cost is also funded by (double-funding check).
    pub co_funding_sources: Vec<FundingSource>,
}

/// Inserts the application and everything under it in one transaction.
pub fn insert_application(conn: &mut DbConnection, draft: &ApplicationDraft) -> AppResult<i64> {
    super::write(conn, |conn| {
        let created_at = now();
        let values = (
            applications::reference.eq(&draft.reference),
            applications::fiscal_year.eq(draft.fiscal_year),
            applications::frame.eq(&draft.frame),
            applications::status.eq(draft.state.as_str()),
            applications::title.eq(&draft.title),
            applications::lead_organisation_id.eq(draft.lead_organisation_id),
            applications::municipality_id.eq(draft.municipality_id),
            applications::application_date.eq(draft.application_date),
            applications::project_start.eq(draft.project_start),
            applications::project_end.eq(draft.project_end),
            applications::created_by.eq(draft.created_by),
            applications::created_at.eq(created_at),
            applications::updated_at.eq(created_at),
        );
        let application_id = on_backend!(conn, c => diesel::insert_into(applications::table)
            .values(values)
            .returning(applications::id)
            .get_result::<i64>(c))?;
        insert_children(conn, application_id, draft, &[])?;
        Ok(application_id)
    })
}

/// Creates a new draft; its reference (printed on filings) is the fiscal year in 令和 and the id.
pub fn create_draft(conn: &mut DbConnection, draft: &mut ApplicationDraft) -> AppResult<i64> {
    super::write(conn, |conn| {
        draft.reference = format!("pending-{:032x}", rand::random::<u128>());
        let id = insert_application(conn, draft)?;
        let reference = format!("R{}-{id:04}", draft.fiscal_year - 2018);
        diesel::update(applications::table.find(id))
            .set(applications::reference.eq(&reference))
            .execute(conn)?;
        draft.reference = reference;
        Ok(id)
    })
}

/// Replaces everything under a draft, if nobody changed it since `expected_version`.
pub fn replace_content(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i32,
    draft: &ApplicationDraft,
) -> AppResult<i32> {
    super::write(conn, |conn| {
        let updated = diesel::update(
            applications::table
                .filter(applications::id.eq(id))
                .filter(applications::version.eq(expected_version)),
        )
        .set((
            applications::frame.eq(&draft.frame),
            applications::title.eq(&draft.title),
            applications::municipality_id.eq(draft.municipality_id),
            applications::project_start.eq(draft.project_start),
            applications::project_end.eq(draft.project_end),
            applications::version.eq(expected_version + 1),
            applications::updated_at.eq(now()),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(stale());
        }
        let earlier: Vec<BudgetLineRow> = budget_lines::table
            .inner_join(activities::table)
            .filter(budget_lines::application_id.eq(id))
            .order((activities::position, budget_lines::position))
            .select(BudgetLineRow::as_select())
            .load(conn)?;
        let earlier_content: Vec<BudgetLineDraft> =
            earlier.iter().map(BudgetLineRow::as_draft).collect();
        let edited_content: Vec<BudgetLineDraft> = draft
            .activities
            .iter()
            .flat_map(|activity| activity.lines.iter().cloned())
            .collect();
        let kept_index = crate::domain::budget::reviews_kept(&earlier_content, &edited_content);
        let kept: Vec<Option<&BudgetLineRow>> = kept_index
            .iter()
            .map(|index| index.map(|index| &earlier[index]))
            .collect();
        let last_reviewed =
            super::corrections::reviewed_before_edit(conn, id, &earlier, draft, &kept_index)?;
        diesel::delete(budget_lines::table.filter(budget_lines::application_id.eq(id)))
            .execute(conn)?;
        diesel::delete(activities::table.filter(activities::application_id.eq(id)))
            .execute(conn)?;
        diesel::delete(legal_bases::table.filter(legal_bases::application_id.eq(id)))
            .execute(conn)?;
        diesel::delete(partners::table.filter(partners::application_id.eq(id))).execute(conn)?;
        diesel::delete(
            application_members::table.filter(application_members::application_id.eq(id)),
        )
        .execute(conn)?;
        insert_children(conn, id, draft, &kept)?;
        super::corrections::record_last_reviews(conn, id, &last_reviewed)?;
        Ok(expected_version + 1)
    })
}

/// Writes the draft's rows; `kept_reviews[n]` is the earlier line whose review the n-th line
/// (in draft order) keeps, if any (`domain::budget::reviews_kept`).
fn insert_children(
    conn: &mut DbConnection,
    application_id: i64,
    draft: &ApplicationDraft,
    kept_reviews: &[Option<&BudgetLineRow>],
) -> AppResult<()> {
    let mut kept_reviews = kept_reviews.iter();
    let members = std::iter::once((draft.lead_organisation_id, ApplicantRole::Lead)).chain(
        draft
            .co_applicant_ids
            .iter()
            .map(|id| (*id, ApplicantRole::CoApplicant)),
    );
    for (organisation_id, role) in members {
        diesel::insert_into(application_members::table)
            .values((
                application_members::application_id.eq(application_id),
                application_members::organisation_id.eq(organisation_id),
                application_members::role.eq(role),
            ))
            .execute(conn)?;
    }
    for (position, partner) in (1..).zip(&draft.partners) {
        diesel::insert_into(partners::table)
            .values((
                partners::application_id.eq(application_id),
                partners::position.eq(position),
                partners::kind.eq(&partner.kind),
                partners::name.eq(&partner.name),
                partners::municipality_id.eq(partner.municipality_id),
                partners::agreement.eq(&partner.agreement),
            ))
            .execute(conn)?;
    }
    if let Some(basis) = &draft.legal_basis {
        diesel::insert_into(legal_bases::table)
            .values((
                legal_bases::application_id.eq(application_id),
                legal_bases::path.eq(&basis.path),
                legal_bases::holder_name.eq(&basis.holder_name),
                legal_bases::holder_organisation_id.eq(basis.holder_organisation_id),
                legal_bases::granted_by.eq(&basis.granted_by),
                legal_bases::granted_on.eq(basis.granted_on),
                legal_bases::valid_until.eq(basis.valid_until),
                legal_bases::includes_talent_measures.eq(basis.includes_talent_measures),
                legal_bases::evidence_reference.eq(&basis.evidence_reference),
            ))
            .execute(conn)?;
    }
    for (activity_position, activity) in (1..).zip(&draft.activities) {
        let activity_id = on_backend!(conn, c => diesel::insert_into(activities::table)
            .values((
                activities::application_id.eq(application_id),
                activities::position.eq(activity_position),
                activities::name.eq(&activity.name),
                activities::category.eq(&activity.category),
                activities::executive_internship.eq(activity.executive_internship),
                activities::kpi.eq(&activity.kpi),
            ))
            .returning(activities::id)
            .get_result::<i64>(c))?;
        for (line_position, line) in (1..).zip(&activity.lines) {
            let co_funding = co_funding_text(&line.co_funding_sources);
            let line_id = on_backend!(conn, c => diesel::insert_into(budget_lines::table)
                .values((
                    budget_lines::application_id.eq(application_id),
                    budget_lines::activity_id.eq(activity_id),
                    budget_lines::position.eq(line_position),
                    budget_lines::category.eq(line.category),
                    budget_lines::description.eq(&line.description),
                    budget_lines::amount_yen.eq(line.amount_yen),
                    budget_lines::funding_source.eq(line.funding_source),
                    budget_lines::co_funding_sources.eq(&co_funding),
                ))
                .returning(budget_lines::id)
                .get_result::<i64>(c))?;
            if let Some(Some(review)) = kept_reviews.next() {
                diesel::update(budget_lines::table.find(line_id))
                    .set((
                        budget_lines::review_state.eq(review.review_state),
                        budget_lines::reviewed_amount_yen.eq(review.reviewed_amount_yen),
                        budget_lines::review_reason.eq(&review.review_reason),
                        budget_lines::reviewed_by.eq(review.reviewed_by),
                        budget_lines::reviewed_at.eq(review.reviewed_at),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

pub fn count_applications(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(applications::table.count().get_result(conn)?)
}

pub fn states_in_use(conn: &mut DbConnection) -> AppResult<Vec<String>> {
    Ok(applications::table
        .select(applications::status)
        .distinct()
        .order(applications::status)
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = partners)]
pub struct PartnerRow {
    pub id: i64,
    pub application_id: i64,
    pub position: i32,
    #[schema(value_type = String)]
    pub kind: PartnerKind,
    pub name: String,
    pub municipality_id: Option<i64>,
    pub agreement: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = legal_bases)]
pub struct LegalBasisRow {
    pub id: i64,
    pub application_id: i64,
    #[schema(value_type = String)]
    pub path: LegalPath,
    pub holder_name: String,
    pub holder_organisation_id: Option<i64>,
    pub granted_by: String,
    pub granted_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub includes_talent_measures: bool,
    pub evidence_reference: Option<String>,
    pub evidence_file: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = activities)]
pub struct ActivityRow {
    pub id: i64,
    pub application_id: i64,
    pub position: i32,
    pub name: String,
    #[schema(value_type = String)]
    pub category: ActivityCategory,
    pub executive_internship: bool,
    pub kpi: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = budget_lines)]
pub struct BudgetLineRow {
    pub id: i64,
    pub application_id: i64,
    pub activity_id: i64,
    pub position: i32,
    #[schema(value_type = String)]
    pub category: ExpenseCategory,
    pub description: String,
    pub amount_yen: i64,
    #[schema(value_type = String)]
    pub funding_source: FundingSource,
    /// Other sources, comma-separated codes.
    pub co_funding_sources: Option<String>,
    /// `pending`, `approved`, `adjusted` or `rejected`.
    #[schema(value_type = String)]
    pub review_state: ReviewState,
    pub reviewed_amount_yen: Option<i64>,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub actual_amount_yen: Option<i64>,
    pub version: i32,
    /// The amount a recorded or approved 計画変更 gave the line (`amount_yen` stays the 申請額).
    pub changed_amount_yen: Option<i64>,
}

/// Co-funding sources as stored: comma-separated codes, or nothing.
fn co_funding_text(sources: &[FundingSource]) -> Option<String> {
    (!sources.is_empty()).then(|| {
        sources
            .iter()
            .map(|source| source.as_str())
            .collect::<Vec<_>>()
            .join(",")
    })
}

impl BudgetLineRow {
    /// What the applicant wrote on the line (no review, no actuals).
    pub fn as_draft(&self) -> BudgetLineDraft {
        BudgetLineDraft {
            category: self.category,
            description: self.description.clone(),
            amount_yen: self.amount_yen,
            funding_source: self.funding_source,
            co_funding_sources: self.co_funding(),
        }
    }

    /// The other sources this cost is also funded by (stored comma-separated, each a code
    /// the draft's validation accepted).
    pub fn co_funding(&self) -> Vec<FundingSource> {
        self.co_funding_sources
            .as_deref()
            .map(|text| {
                text.split(',')
                    .filter_map(|code| FundingSource::from_code(code.trim()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The line's amounts, for the one rule of which lines are claimed at which amount.
    pub fn amounts(&self) -> LineAmounts {
        LineAmounts::of_stored(
            self.category,
            self.funding_source,
            self.amount_yen,
            self.review_state,
            self.reviewed_amount_yen,
            self.actual_amount_yen,
        )
        .with_change(self.changed_amount_yen)
    }

    /// The amount in the plan (see [`LineAmounts::effective`]).
    pub fn effective_yen(&self) -> Yen {
        self.amounts().effective()
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Member {
    pub organisation: super::organisations::Organisation,
    pub role: ApplicantRole,
}

/// An application with everything under it, as one unit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Aggregate {
    pub application: ApplicationRow,
    pub members: Vec<Member>,
    pub partners: Vec<PartnerRow>,
    pub legal_basis: Option<LegalBasisRow>,
    pub activities: Vec<(ActivityRow, Vec<BudgetLineRow>)>,
}

pub fn load_aggregate(conn: &mut DbConnection, id: i64) -> AppResult<Aggregate> {
    let application = applications::table
        .find(id)
        .select(ApplicationRow::as_select())
        .first(conn)
        .map_err(|error| match error {
            diesel::result::Error::NotFound => {
                crate::error::AppError::not_found("申請が見つかりません")
            }
            other => other.into(),
        })?;
    load_aggregates(conn, vec![application])?
        .pop()
        .ok_or_else(|| crate::error::AppError::not_found("申請が見つかりません"))
}

/// Applications read in one statement per table and chunk (not one per application): what a
/// report over a year's applications needs. Each comes back as [`load_aggregate`] gives it,
/// in the order of `rows`.
pub fn load_aggregates(
    conn: &mut DbConnection,
    rows: Vec<ApplicationRow>,
) -> AppResult<Vec<Aggregate>> {
    use std::collections::HashMap;

    use super::organisations::Organisation;
    use super::schema::organisations;
    // Well under the bound parameters SQLite and PostgreSQL take in one statement.
    const CHUNK: usize = 500;
    let mut members: HashMap<i64, Vec<Member>> = HashMap::new();
    let mut partners_of: HashMap<i64, Vec<PartnerRow>> = HashMap::new();
    let mut legal_of: HashMap<i64, LegalBasisRow> = HashMap::new();
    let mut activities_of: HashMap<i64, Vec<ActivityRow>> = HashMap::new();
    let mut lines_of: HashMap<i64, Vec<BudgetLineRow>> = HashMap::new();
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    for chunk in ids.chunks(CHUNK) {
        for (application_id, organisation, role) in application_members::table
            .inner_join(organisations::table)
            .filter(application_members::application_id.eq_any(chunk))
            .order((
                application_members::application_id,
                application_members::role.desc(),
                organisations::id,
            ))
            .select((
                application_members::application_id,
                Organisation::as_select(),
                application_members::role,
            ))
            .load::<(i64, Organisation, ApplicantRole)>(conn)?
        {
            members
                .entry(application_id)
                .or_default()
                .push(Member { organisation, role });
        }
        group_by_application(
            &mut partners_of,
            partners::table
                .filter(partners::application_id.eq_any(chunk))
                .order((partners::application_id, partners::position))
                .select(PartnerRow::as_select())
                .load(conn)?,
            |partner| partner.application_id,
        );
        for basis in legal_bases::table
            .filter(legal_bases::application_id.eq_any(chunk))
            .order(legal_bases::id)
            .select(LegalBasisRow::as_select())
            .load::<LegalBasisRow>(conn)?
        {
            legal_of.entry(basis.application_id).or_insert(basis);
        }
        group_by_application(
            &mut activities_of,
            activities::table
                .filter(activities::application_id.eq_any(chunk))
                .order((activities::application_id, activities::position))
                .select(ActivityRow::as_select())
                .load(conn)?,
            |activity| activity.application_id,
        );
        group_by_application(
            &mut lines_of,
            budget_lines::table
                .filter(budget_lines::application_id.eq_any(chunk))
                .order((
                    budget_lines::application_id,
                    budget_lines::activity_id,
                    budget_lines::position,
                ))
                .select(BudgetLineRow::as_select())
                .load(conn)?,
            |line| line.application_id,
        );
    }
    Ok(rows
        .into_iter()
        .map(|application| {
            let id = application.id;
            let mut lines = lines_of.remove(&id).unwrap_or_default();
            let activities = activities_of
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|activity| {
                    let (mine, rest): (Vec<_>, Vec<_>) =
                        lines.drain(..).partition(|l| l.activity_id == activity.id);
                    lines = rest;
                    (activity, mine)
                })
                .collect();
            Aggregate {
                application,
                members: members.remove(&id).unwrap_or_default(),
                partners: partners_of.remove(&id).unwrap_or_default(),
                legal_basis: legal_of.remove(&id),
                activities,
            }
        })
        .collect())
}

/// Appends each row to its application's list, keeping the rows' order.
fn group_by_application<T>(
    lists: &mut std::collections::HashMap<i64, Vec<T>>,
    rows: Vec<T>,
    application_of: impl Fn(&T) -> i64,
) {
    for row in rows {
        lists.entry(application_of(&row)).or_default().push(row);
    }
}

/// An organisation as an applicant of the evaluation contract, judged with this size and
/// industry (the record's, or what is assumed for a missing one).
pub fn applicant_fields<'a>(
    organisation: &'a super::organisations::Organisation,
    role: ApplicantRole,
    employees: Option<i64>,
    industry: Option<&'a str>,
) -> ApplicantFields<'a> {
    ApplicantFields {
        name: Given::text(&organisation.name),
        corporate_number: organisation
            .corporate_number
            .as_deref()
            .map_or(Given::Null, Given::text),
        kind: Given::text(organisation.kind.as_str()),
        employees: Given::from(employees),
        capital_yen: Given::from(organisation.capital_yen),
        industry: industry.map_or(Given::Null, Given::text),
        role: Given::text(role.as_str()),
    }
}

impl Aggregate {
    pub fn state(&self) -> ApplicationState {
        self.application.status
    }

    /// What it still lacks to be submitted (`workflow::submission_gaps`).
    pub fn submission_gaps(&self) -> Vec<crate::domain::workflow::SubmissionGap> {
        crate::domain::workflow::submission_gaps(
            self.application.municipality_id,
            &self.partner_municipality_ids(),
        )
    }

    /// The municipalities its 市町村 partners name (those given by name only are left out).
    fn partner_municipality_ids(&self) -> Vec<i64> {
        self.partners
            .iter()
            .filter(|partner| partner.kind == PartnerKind::Municipality)
            .filter_map(|partner| partner.municipality_id)
            .collect()
    }

    pub fn scope(&self) -> crate::domain::workflow::Scope {
        crate::domain::workflow::Scope {
            member_organisation_ids: self.members.iter().map(|m| m.organisation.id).collect(),
            municipality_id: self.application.municipality_id,
            state: self.state(),
        }
    }

    /// The engine's answer recorded with the application, if any. One stored in an older
    /// shape than [`StoredDecision`] counts as none: the caller evaluates afresh.
    pub fn stored_decision(&self) -> Option<StoredDecision> {
        let text = self.application.decision_json.as_deref()?;
        match serde_json::from_str(text) {
            Ok(decision) => Some(decision),
            Err(error) => {
                tracing::warn!(application = self.application.id, %error, "stored decision unreadable");
                None
            }
        }
    }

    /// Whether a finance officer has reviewed any line (then 審査後 exists).
    pub fn any_reviewed(&self) -> bool {
        crate::domain::amounts::any_reviewed(self.lines().map(BudgetLineRow::amounts))
    }

    /// The application with every line as the applicant asked it, reviews set aside: what
    /// the engine judges for the 申請額.
    pub fn as_requested(&self) -> Aggregate {
        let mut requested = self.clone();
        for (_, lines) in &mut requested.activities {
            for line in lines {
                line.review_state = ReviewState::Pending;
                line.reviewed_amount_yen = None;
            }
        }
        requested
    }

    pub fn lines(&self) -> impl Iterator<Item = &BudgetLineRow> {
        self.activities.iter().flat_map(|(_, lines)| lines)
    }

    /// The application as an evaluation-contract request, with each budget line at its
    /// reviewed amount (rejected lines left out). A missing application date (a draft has none
    /// until it is submitted) is `today`. With [`MissingFacts::Refuse`] a missing head-count or
    /// industry stays missing, so that the engine refuses it with field errors; with
    /// [`MissingFacts::Assume`] it is taken as 0 employees in `other`, and the assumptions
    /// made are returned (a printed draft says so). The request is built typed and checked by
    /// the contract's own validation, exactly as a posted document is.
    pub fn contract_request(
        &self,
        today: NaiveDate,
        missing: MissingFacts,
    ) -> (Request<'_>, Vec<String>) {
        let application = &self.application;
        let mut assumptions = Vec::new();
        let application_date = application.application_date.unwrap_or_else(|| {
            assumptions
                .push("申請日が未登録のため、今日の日付を申請日として判定しています".to_owned());
            today
        });
        let assume = missing == MissingFacts::Assume;
        let applicants = self
            .members
            .iter()
            .map(|member| {
                let organisation = &member.organisation;
                if assume && organisation.employees.is_none() {
                    assumptions.push(format!(
                        "{} の従業員数が未登録のため 0 人として判定しています",
                        organisation.name
                    ));
                }
                let (employees, industry) = if assume {
                    (
                        Some(organisation.employees.unwrap_or(0)),
                        Some(
                            organisation
                                .industry
                                .as_deref()
                                .unwrap_or(Industry::Other.as_str()),
                        ),
                    )
                } else {
                    (organisation.employees, organisation.industry.as_deref())
                };
                applicant_fields(organisation, member.role, employees, industry)
            })
            .collect();
        let request = Request {
            fiscal_year: Given::Value(i64::from(application.fiscal_year)),
            frame: Given::text(application.frame.as_str()),
            application_date: Given::date(application_date),
            applicants: Given::Value(applicants),
            partners: Given::Value(
                self.partners
                    .iter()
                    .map(|partner| PartnerFields {
                        kind: Given::text(partner.kind.as_str()),
                        name: Given::text(&partner.name),
                    })
                    .collect(),
            ),
            legal_basis: Given::from(self.legal_basis.as_ref().map(|basis| LegalBasisFields {
                path: Given::text(basis.path.as_str()),
                holder: Given::text(&basis.holder_name),
                granted_by: Given::text(&basis.granted_by),
                granted_on: Given::date(basis.granted_on),
                valid_until: basis.valid_until.map_or(Given::Null, Given::date),
                includes_talent_measures: Given::Value(basis.includes_talent_measures),
            })),
            project_period: match (application.project_start, application.project_end) {
                (Some(start), Some(end)) => Given::Value(PeriodFields {
                    start: Given::date(start),
                    end: Given::date(end),
                }),
                _ => Given::Null,
            },
            activities: Given::Value(
                self.activities
                    .iter()
                    .map(|(activity, lines)| ActivityFields {
                        name: Given::text(&activity.name),
                        category: Given::text(activity.category.as_str()),
                        executive_internship: Given::Value(activity.executive_internship),
                        budget_lines: Given::Value(
                            lines
                                .iter()
                                .filter(|line| line.amounts().in_budget())
                                .map(|line| BudgetLineFields {
                                    category: Given::text(line.category.as_str()),
                                    description: Given::text(&line.description),
                                    amount_yen: Given::Value(line.effective_yen().value()),
                                    funding_source: Given::text(line.funding_source.as_str()),
                                })
                                .collect(),
                        ),
                    })
                    .collect(),
            ),
            history: Given::Missing,
            all_frames: Given::Missing,
        };
        (request, assumptions)
    }

    /// The application as the engine evaluates it in the workflow: nothing assumed, every
    /// missing or invalid fact a field error.
    pub fn to_application(&self, today: NaiveDate) -> Result<Application<'_>, FieldErrors> {
        contract::application_of_request(self.contract_request(today, MissingFacts::Refuse).0)
    }

    /// As [`Aggregate::to_application`], assuming what a printed draft may assume, with the
    /// assumptions made.
    pub fn to_application_assuming(
        &self,
        today: NaiveDate,
    ) -> (Result<Application<'_>, FieldErrors>, Vec<String>) {
        let (request, assumptions) = self.contract_request(today, MissingFacts::Assume);
        (contract::application_of_request(request), assumptions)
    }
}

/// What to do with facts an application's record does not hold yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingFacts {
    /// Leave them missing: the engine reports them as field errors (the workflow).
    Refuse,
    /// Assume plain values (0 employees, industry `other`) and say so (a printed draft).
    Assume,
}

/// Moves the application to a new state if nobody changed it since `expected_version` was
/// read; otherwise 409 and nothing is written.
pub fn update_state(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i32,
    state: ApplicationState,
) -> AppResult<i32> {
    let updated = diesel::update(
        applications::table
            .filter(applications::id.eq(id))
            .filter(applications::version.eq(expected_version)),
    )
    .set((
        applications::status.eq(state.as_str()),
        applications::version.eq(expected_version + 1),
        applications::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(stale());
    }
    Ok(expected_version + 1)
}

pub fn stale() -> crate::error::AppError {
    crate::error::AppError::conflict(
        "この申請は他の人が更新しました。最新の内容を読み込んでからやり直してください",
    )
}

/// Records the engine's latest answer for an application (not a change of its content).
pub fn record_decision(
    conn: &mut DbConnection,
    id: i64,
    decision: &StoredDecision,
) -> AppResult<()> {
    let decision_json = serde_json::to_string(decision)
        .map_err(|error| AppError::internal("判定結果を保存できません").with_cause(error))?;
    diesel::update(applications::table.find(id))
        .set((
            applications::eligible_expenses_yen.eq(decision.eligible_expenses_yen.value()),
            applications::subsidy_yen.eq(decision.subsidy_yen.value()),
            applications::award_ordinal.eq(i32::try_from(decision.award_ordinal).ok()),
            applications::decision_json.eq(decision_json),
        ))
        .execute(conn)?;
    Ok(())
}

/// On PostgreSQL, locks the member organisations so that two applications of one
/// organisation cannot both pass the award cap at the same moment. (SQLite has one writer.)
pub fn lock_members(conn: &mut DbConnection, application_id: i64) -> AppResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "SELECT o.id FROM organisations o JOIN application_members m ON m.organisation_id = o.id \
             WHERE m.application_id = $1 ORDER BY o.id FOR UPDATE",
        )
        .bind::<diesel::sql_types::BigInt, _>(application_id)
        .execute(pg)?;
    }
    Ok(())
}

/// Forgets the engine's answer for a draft it can no longer read.
pub fn clear_decision(conn: &mut DbConnection, id: i64) -> AppResult<()> {
    diesel::update(applications::table.find(id))
        .set((
            applications::eligible_expenses_yen.eq(0),
            applications::subsidy_yen.eq(0),
            applications::award_ordinal.eq(None::<i32>),
            applications::decision_json.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Applications a caller may list: by member organisation, by municipality, or all; drafts
/// only for those who see them (`workflow::sees_drafts`).
pub fn list_visible(
    conn: &mut DbConnection,
    organisation_ids: Option<&[i64]>,
    municipality_id: Option<i64>,
    include_drafts: bool,
) -> AppResult<Vec<ApplicationRow>> {
    let mut query = applications::table.into_boxed();
    if !include_drafts {
        query = query.filter(applications::status.ne(ApplicationState::Draft));
    }
    if let Some(ids) = organisation_ids {
        let mine = application_members::table
            .filter(application_members::organisation_id.eq_any(ids.to_vec()))
            .select(application_members::application_id);
        query = query.filter(applications::id.eq_any(mine));
    }
    if let Some(municipality) = municipality_id {
        query = query.filter(applications::municipality_id.eq(municipality));
    }
    Ok(query
        .order(applications::id)
        .select(ApplicationRow::as_select())
        .load(conn)?)
}

/// The application as it would be with `draft` as its content, without writing anything:
/// for the editor's live preview. Co-applicants are read from the database; everything else
/// comes from the draft (ids of new rows are 0).
pub fn preview_aggregate(
    conn: &mut DbConnection,
    base: &Aggregate,
    draft: &ApplicationDraft,
) -> AppResult<Aggregate> {
    let mut members: Vec<Member> = base
        .members
        .iter()
        .filter(|member| member.role == ApplicantRole::Lead)
        .cloned()
        .collect();
    for id in &draft.co_applicant_ids {
        members.push(Member {
            organisation: super::organisations::get_organisation(conn, *id)?,
            role: ApplicantRole::CoApplicant,
        });
    }
    let mut application = base.application.clone();
    application.frame.clone_from(&draft.frame);
    application.title.clone_from(&draft.title);
    application.municipality_id = draft.municipality_id;
    application.project_start = draft.project_start;
    application.project_end = draft.project_end;
    let id = application.id;
    Ok(Aggregate {
        application,
        members,
        partners: (1..)
            .zip(&draft.partners)
            .map(|(position, partner)| PartnerRow {
                id: 0,
                application_id: id,
                position,
                kind: partner.kind,
                name: partner.name.clone(),
                municipality_id: partner.municipality_id,
                agreement: partner.agreement.clone(),
            })
            .collect(),
        legal_basis: draft.legal_basis.as_ref().map(|basis| LegalBasisRow {
            id: 0,
            application_id: id,
            path: basis.path,
            holder_name: basis.holder_name.clone(),
            holder_organisation_id: basis.holder_organisation_id,
            granted_by: basis.granted_by.clone(),
            granted_on: basis.granted_on,
            valid_until: basis.valid_until,
            includes_talent_measures: basis.includes_talent_measures,
            evidence_reference: basis.evidence_reference.clone(),
            evidence_file: None,
        }),
        activities: (1..)
            .zip(&draft.activities)
            .map(|(position, activity)| {
                (
                    ActivityRow {
                        id: 0,
                        application_id: id,
                        position,
                        name: activity.name.clone(),
                        category: activity.category,
                        executive_internship: activity.executive_internship,
                        kpi: activity.kpi.clone(),
                    },
                    (1..)
                        .zip(&activity.lines)
                        .map(|(line_position, line)| BudgetLineRow {
                            id: 0,
                            application_id: id,
                            activity_id: 0,
                            position: line_position,
                            category: line.category,
                            description: line.description.clone(),
                            amount_yen: line.amount_yen,
                            funding_source: line.funding_source,
                            co_funding_sources: co_funding_text(&line.co_funding_sources),
                            review_state: ReviewState::Pending,
                            reviewed_amount_yen: None,
                            review_reason: None,
                            reviewed_by: None,
                            reviewed_at: None,
                            actual_amount_yen: None,
                            version: 1,
                            changed_amount_yen: None,
                        })
                        .collect(),
                )
            })
            .collect(),
    })
}

/// What the program manager's pipeline and the finance queue filter on; `None` is "any".
/// Neither lists drafts: they are their applicants' alone (`workflow::sees_drafts`).
#[derive(Debug, Clone, Default)]
pub struct PipelineFilter {
    pub state: Option<String>,
    pub fiscal_year: Option<i32>,
    pub frame: Option<String>,
    pub municipality_id: Option<i64>,
    /// The 事業名, 申請番号 or lead organisation's name (`domain::search`).
    pub search: Option<PipelineSearch>,
}

/// `text` as a LIKE pattern with `\` as the escape: `%` and `_` stand for themselves.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

diesel::define_sql_function! {
    /// Lower case; on SQLite for ASCII letters alone, on PostgreSQL for every letter.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Applications matching the filter, newest first: at most `limit`, after skipping `offset`.
/// The search compares the columns as `PipelineSearch::matches` says.
pub fn list_filtered(
    conn: &mut DbConnection,
    filter: &PipelineFilter,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<ApplicationRow>> {
    use super::schema::organisations;
    let mut query = applications::table
        .filter(applications::status.ne(ApplicationState::Draft))
        .into_boxed();
    if let Some(state) = &filter.state {
        query = query.filter(applications::status.eq(state.clone()));
    }
    if let Some(year) = filter.fiscal_year {
        query = query.filter(applications::fiscal_year.eq(year));
    }
    if let Some(frame) = &filter.frame {
        query = query.filter(applications::frame.eq(frame.clone()));
    }
    if let Some(municipality) = filter.municipality_id {
        query = query.filter(applications::municipality_id.eq(municipality));
    }
    if let Some(search) = &filter.search {
        let contains = |text: &str| format!("%{}%", like_escaped(text));
        // An organisation no name key can match when the query has no core.
        let name_key = match &search.organisation {
            Some(name) => format!(
                "{}:%{}%",
                name.legal_form.map_or("%".to_owned(), like_escaped),
                like_escaped(&name.core)
            ),
            None => String::new(),
        };
        let organisations = organisations::table
            .filter(organisations::name_key.like(name_key).escape('\\'))
            .select(organisations::id);
        query = query.filter(
            applications::reference
                .like(contains(&search.reference))
                .escape('\\')
                .or(applications::title
                    .like(contains(&search.typed))
                    .escape('\\'))
                .or(lower(applications::title)
                    .like(contains(&search.folded.to_ascii_lowercase()))
                    .escape('\\'))
                .or(applications::lead_organisation_id.eq_any(organisations)),
        );
    }
    Ok(query
        .order(applications::id.desc())
        .limit(limit)
        .offset(offset)
        .select(ApplicationRow::as_select())
        .load(conn)?)
}

/// Every submitted application of a fiscal year, oldest first (the budget forecast).
pub fn submitted_in_year(
    conn: &mut DbConnection,
    fiscal_year: i32,
) -> AppResult<Vec<ApplicationRow>> {
    Ok(applications::table
        .filter(applications::status.ne(ApplicationState::Draft))
        .filter(applications::fiscal_year.eq(fiscal_year))
        .order(applications::id)
        .select(ApplicationRow::as_select())
        .load(conn)?)
}

/// How many submitted applications a municipality has (the finance officer's queue, paged).
pub fn count_in_municipality(conn: &mut DbConnection, municipality_id: i64) -> AppResult<i64> {
    Ok(applications::table
        .filter(applications::municipality_id.eq(municipality_id))
        .filter(applications::status.ne(ApplicationState::Draft))
        .count()
        .get_result(conn)?)
}

/// How many submitted applications are in each state (for the pipeline's counts).
pub fn count_by_state(conn: &mut DbConnection) -> AppResult<Vec<(String, i64)>> {
    Ok(applications::table
        .filter(applications::status.ne(ApplicationState::Draft))
        .group_by(applications::status)
        .select((applications::status, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Applications whose latest decision carries a finding with this code (e.g. the refused
/// 4th attempts: `award_cap_exceeded`).
/// Drafts are left out: they are their applicants' alone.
pub fn with_finding(conn: &mut DbConnection, code: &str) -> AppResult<Vec<ApplicationRow>> {
    Ok(applications::table
        .filter(applications::status.ne(ApplicationState::Draft))
        .filter(applications::decision_json.like(format!("%\"code\":\"{code}\"%")))
        .order(applications::id)
        .select(ApplicationRow::as_select())
        .load(conn)?)
}

pub fn find_by_reference(conn: &mut DbConnection, reference: &str) -> AppResult<Option<i64>> {
    Ok(applications::table
        .filter(applications::reference.eq(reference))
        .select(applications::id)
        .first(conn)
        .optional()?)
}
