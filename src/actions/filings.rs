//! What the filings print: the application as plain data for the PDF layer, with the
//! engine's judgement of it (the same mapping and ledger as the workflow's).

use chrono::NaiveDate;

use crate::db::applications::Aggregate;
use crate::db::{self, DbConnection};
use crate::domain::codes::ApplicantRole;
use crate::domain::program::ProgramSet;
use crate::domain::workflow::Milestones;
use crate::error::{AppError, AppResult};
use crate::pdf::data::{
    ActivityEntry, BudgetLineEntry, FilingApplication, LegalBasisEntry, Member, PartnerEntry,
    ReportEntry,
};
use crate::pdf::{self, FilingData, FilingKind};

/// What has happened to the application, for the filings it has.
pub fn milestones(conn: &mut DbConnection, aggregate: &Aggregate) -> AppResult<Milestones> {
    let reports: Vec<_> = db::workflow::reports_of(conn, aggregate.application.id)?
        .into_iter()
        .map(|(kind, ..)| kind)
        .collect();
    Ok(Milestones::of(
        aggregate.state(),
        aggregate.application.frozen_decision_json.is_some(),
        aggregate.application.confirmed_subsidy_yen.is_some(),
        &reports,
    ))
}

/// The filings the application has by now, in their usual order.
pub fn available_filings(milestones: &Milestones) -> Vec<FilingKind> {
    FilingKind::ALL
        .iter()
        .copied()
        .filter(|kind| kind.records().has_happened(milestones))
        .collect()
}

/// Refuses a filing the application does not have yet (a 確定通知 before 額の確定).
fn check_available(kind: FilingKind, milestones: &Milestones) -> AppResult<()> {
    let event = kind.records();
    if event.has_happened(milestones) {
        Ok(())
    } else {
        Err(AppError::conflict(format!(
            "この書類は{}の後に発行されます",
            event.label_ja()
        )))
    }
}

/// The data of one filing of the application, refused when the application does not have
/// that filing yet ([`check_available`], judged from the data just read).
pub fn load_filing(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    application_id: i64,
    kind: FilingKind,
    today: NaiveDate,
) -> AppResult<FilingData> {
    let data = load_filing_data(conn, programs, application_id, today)?;
    let application = &data.application;
    let reports: Vec<_> = application.reports.iter().map(|r| r.kind).collect();
    let milestones = Milestones::of(
        application.status,
        application.frozen_decision.is_some(),
        application.confirmed_subsidy_yen.is_some(),
        &reports,
    );
    check_available(kind, &milestones)?;
    Ok(data)
}

/// Reads the application and judges it: everything a filing of it shows.
pub fn load_filing_data(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    application_id: i64,
    today: NaiveDate,
) -> AppResult<FilingData> {
    let source = db::applications::load_aggregate(conn, application_id)?;
    // The workflow's own mapping and ledger: the application's own award never counts
    // against it, and reviewed amounts are the ones judged.
    let own_award = db::workflow::award_of_application(conn, application_id)?;
    let ledger = db::awards::load_ledger_excluding(conn, own_award)?;
    let (parsed, assumptions) = source.to_application_assuming(today);
    let (judgement, assumptions) = pdf::judge(parsed, assumptions, programs, &ledger);
    let application = filing_application(conn, source)?;
    Ok(FilingData {
        application,
        judgement,
        assumptions,
        audit_head: Some(db::audit::recorded_head(conn)?),
    })
}

/// The printable view of an aggregate already loaded.
fn filing_application(conn: &mut DbConnection, source: Aggregate) -> AppResult<FilingApplication> {
    let id = source.application.id;
    let row = &source.application;
    let municipality = match row.municipality_id {
        Some(municipality_id) => db::organisations::municipality_name(conn, municipality_id)?,
        None => None,
    };
    let mut members: Vec<Member> = source
        .members
        .iter()
        .map(|member| {
            let organisation = &member.organisation;
            Member {
                organisation_id: organisation.id,
                role: member.role,
                name: organisation.name.clone(),
                corporate_number: organisation.corporate_number.clone(),
                kind: organisation.kind,
                industry: organisation.industry.clone(),
                employees: organisation.employees,
                capital_yen: organisation.capital_yen,
                prefecture: organisation.prefecture.clone(),
                municipality_id: organisation.municipality_id,
            }
        })
        .collect();
    // The lead first; co-applicants by id, which is the order they were recorded in.
    members.sort_by_key(|member| (member.role != ApplicantRole::Lead, member.organisation_id));
    let partners = source
        .partners
        .iter()
        .map(|partner| PartnerEntry {
            kind: partner.kind,
            name: partner.name.clone(),
            agreement: partner.agreement.clone(),
        })
        .collect();
    let legal_basis = source.legal_basis.as_ref().map(|basis| LegalBasisEntry {
        path: basis.path,
        holder_name: basis.holder_name.clone(),
        granted_by: basis.granted_by.clone(),
        granted_on: basis.granted_on,
        valid_until: basis.valid_until,
        includes_talent_measures: basis.includes_talent_measures,
        evidence_reference: basis.evidence_reference.clone(),
    });
    let activities = source
        .activities
        .iter()
        .map(|(activity, lines)| ActivityEntry {
            name: activity.name.clone(),
            category: activity.category,
            executive_internship: activity.executive_internship,
            kpi: activity.kpi.clone(),
            lines: lines
                .iter()
                .map(|line| BudgetLineEntry {
                    category: line.category,
                    description: line.description.clone(),
                    amount_yen: line.amount_yen,
                    funding_source: line.funding_source,
                    review_state: line.review_state,
                    reviewed_amount_yen: line.reviewed_amount_yen,
                    actual_amount_yen: line.actual_amount_yen,
                })
                .collect(),
        })
        .collect();
    let reports = db::workflow::reports_of(conn, id)?
        .into_iter()
        .map(|(kind, status, submitted_at, body_json)| ReportEntry {
            kind,
            status,
            submitted_on: submitted_at.map(|at| crate::domain::deadlines::utc_to_jst(at).date()),
            body_json,
        })
        .collect();
    Ok(FilingApplication {
        id: row.id,
        reference: row.reference.clone(),
        fiscal_year: row.fiscal_year,
        frame: row.frame,
        status: row.status,
        title: row.title.clone(),
        municipality_id: row.municipality_id,
        municipality,
        application_date: row.application_date,
        project_start: row.project_start,
        project_end: row.project_end,
        tax_treatment: row.tax_treatment,
        members,
        partners,
        legal_basis,
        activities,
        frozen_decision: db::workflow::frozen_decision(&source)?,
        decided_subsidy_yen: row.decided_subsidy_yen,
        decided_on: row.decided_on,
        confirmed_subsidy_yen: row.confirmed_subsidy_yen,
        confirmed_on: row.confirmed_on,
        reports,
    })
}
