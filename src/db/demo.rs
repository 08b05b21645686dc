//! Loads the demo data set (`forms/demo.toml`) into an empty database.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;

use super::applications::{
    ActivityDraft, ApplicationDraft, BudgetLineDraft, LegalBasisDraft, PartnerDraft,
    insert_application,
};
use super::awards::{apply_plan, plan_import};
use super::organisations::{
    NewMunicipality, NewOrganisation, find_municipality, find_organisation, insert_municipality,
    insert_organisation,
};
use super::schema::organisations;
use super::users::{NewUser, add_user};
use super::{DbConnection, now};
use crate::domain::access::{EmailAddress, Role};
use crate::domain::codes::{
    ActivityCategory, ApplicantKind, ExpenseCategory, Frame, FundingSource, LegalPath, PartnerKind,
};
use crate::domain::workflow::ApplicationState;
use crate::error::{AppError, AppResult};
use crate::program::aliases::parse_alias_table;
use crate::program::award_list::parse_award_list;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoData {
    municipalities: Vec<DemoMunicipality>,
    organisations: Vec<DemoOrganisation>,
    users: Vec<DemoUser>,
    applications: Vec<DemoApplication>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoMunicipality {
    code: String,
    name: String,
    prefecture: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOrganisation {
    name: String,
    kind: ApplicantKind,
    industry: Option<String>,
    employees: Option<i64>,
    capital_yen: Option<i64>,
    prefecture: Option<String>,
    municipality: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoUser {
    email: String,
    display_name: String,
    role: String,
    #[serde(default)]
    organisations: Vec<String>,
    municipality: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoApplication {
    reference: String,
    fiscal_year: i32,
    frame: Frame,
    state: String,
    title: String,
    lead: String,
    #[serde(default)]
    co_applicants: Vec<String>,
    municipality: Option<String>,
    application_date: Option<NaiveDate>,
    project_start: Option<NaiveDate>,
    project_end: Option<NaiveDate>,
    partners: Vec<DemoPartner>,
    legal_basis: Option<DemoLegalBasis>,
    activities: Vec<DemoActivity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPartner {
    kind: PartnerKind,
    name: String,
    municipality: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoLegalBasis {
    path: LegalPath,
    holder: String,
    granted_by: String,
    granted_on: NaiveDate,
    valid_until: Option<NaiveDate>,
    includes_talent_measures: bool,
    evidence: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoActivity {
    name: String,
    category: ActivityCategory,
    #[serde(default)]
    executive_internship: bool,
    kpi: Option<String>,
    lines: Vec<DemoLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoLine {
    category: ExpenseCategory,
    description: String,
    amount_yen: i64,
    funding_source: FundingSource,
    #[serde(default)]
    also_funded_by: Vec<FundingSource>,
}

/// What the demo seeding created, for the start-up message.
#[derive(Debug, Default)]
pub struct DemoSummary {
    /// (email, role, generated password) of each demo user, to print once at start-up.
    pub users: Vec<(String, Role, String)>,
    pub applications: usize,
    /// Award members imported from the shipped award lists.
    pub award_members: usize,
    /// The applications as inserted (drafts), with the state the demo wants each in; the
    /// workflow takes them there (`crate::demo`).
    pub drafts: Vec<DemoDraft>,
}

#[derive(Debug, Clone)]
pub struct DemoDraft {
    pub application_id: i64,
    pub target: ApplicationState,
    pub lead_organisation_id: i64,
    pub application_date: Option<NaiveDate>,
    pub project_start: Option<NaiveDate>,
}

fn demo_error(message: String) -> AppError {
    AppError::internal(format!("デモデータ (forms/demo.toml) の誤り: {message}"))
}

/// Seeds the demo data in one transaction: first the award history shipped in `forms/awards/`
/// (so that award counts are real), then `forms/demo.toml`. Organisations of the demo that the
/// award lists name are completed rather than duplicated. `frame_code` maps a printed frame
/// label to its code (`ProgramSet::frame_code`).
pub fn seed_demo(
    conn: &mut DbConnection,
    frame_code: &dyn Fn(i32, &str) -> Option<String>,
) -> AppResult<DemoSummary> {
    let data: DemoData = toml::from_str(crate::forms::DEMO)
        .map_err(|error| demo_error(error.message().to_owned()))?;
    let aliases = parse_alias_table(crate::forms::ALIASES)
        .map_err(|error| demo_error(format!("forms/aliases.toml: {error}")))?;
    super::write(conn, |conn| {
        let mut summary = DemoSummary::default();
        for (source, text) in crate::forms::AWARD_LISTS {
            let rows = parse_award_list(text, frame_code)
                .map_err(|error| demo_error(format!("{source}: {error}")))?;
            let (plan, _) = plan_import(conn, &rows, &aliases)?;
            summary.award_members += apply_plan(conn, &plan, source, &|_| {})?.members_created;
        }
        let created_at = now();
        for municipality in &data.municipalities {
            if find_municipality(conn, &municipality.code)?.is_none() {
                insert_municipality(
                    conn,
                    &NewMunicipality {
                        local_government_code: &municipality.code,
                        name: &municipality.name,
                        prefecture: &municipality.prefecture,
                        created_at,
                    },
                )?;
            }
        }
        let municipality_id = |conn: &mut DbConnection, name: &str| -> AppResult<i64> {
            find_municipality(conn, name)?
                .map(|m| m.id)
                .ok_or_else(|| demo_error(format!("自治体 {name} が municipalities にありません")))
        };
        for organisation in &data.organisations {
            let municipality = match &organisation.municipality {
                Some(name) => Some(municipality_id(conn, name)?),
                None => None,
            };
            match find_organisation(conn, &organisation.name)? {
                Some(existing) => {
                    diesel::update(organisations::table.find(existing.id))
                        .set((
                            organisations::kind.eq(organisation.kind),
                            organisations::industry.eq(&organisation.industry),
                            organisations::employees.eq(organisation.employees),
                            organisations::capital_yen.eq(organisation.capital_yen),
                            organisations::prefecture.eq(&organisation.prefecture),
                            organisations::municipality_id.eq(municipality),
                            organisations::updated_at.eq(created_at),
                        ))
                        .execute(conn)?;
                }
                None => {
                    let mut new =
                        NewOrganisation::named(&organisation.name, organisation.kind, created_at);
                    new.industry = organisation.industry.clone();
                    new.employees = organisation.employees;
                    new.capital_yen = organisation.capital_yen;
                    new.prefecture = organisation.prefecture.clone();
                    new.municipality_id = municipality;
                    insert_organisation(conn, &new)?;
                }
            }
        }
        let organisation_id = |conn: &mut DbConnection, name: &str| -> AppResult<i64> {
            find_organisation(conn, name)?
                .map(|o| o.id)
                .ok_or_else(|| demo_error(format!("団体 {name} が organisations にありません")))
        };
        for user in &data.users {
            let role: Role = user.role.parse().map_err(demo_error)?;
            let email = EmailAddress::parse(&user.email).map_err(demo_error)?;
            let municipality_id = match &user.municipality {
                Some(name) => Some(municipality_id(conn, name)?),
                None => None,
            };
            let organisation_ids = user
                .organisations
                .iter()
                .map(|name| organisation_id(conn, name))
                .collect::<AppResult<Vec<_>>>()?;
            let password = crate::passwords::generate_password();
            add_user(
                conn,
                &NewUser {
                    email: email.clone(),
                    display_name: user.display_name.clone(),
                    role,
                    password_hash: Some(crate::passwords::hash_password(&password)?),
                    municipality_id,
                    organisation_ids,
                },
            )?;
            summary.users.push((email.to_string(), role, password));
        }
        for application in &data.applications {
            let target = application
                .state
                .parse::<ApplicationState>()
                .map_err(|error| demo_error(error.to_string()))?;
            let draft = ApplicationDraft {
                reference: application.reference.clone(),
                fiscal_year: application.fiscal_year,
                frame: application.frame,
                // Every application starts as a draft; the workflow moves it on.
                state: ApplicationState::Draft,
                title: application.title.clone(),
                lead_organisation_id: organisation_id(conn, &application.lead)?,
                co_applicant_ids: application
                    .co_applicants
                    .iter()
                    .map(|name| organisation_id(conn, name))
                    .collect::<AppResult<Vec<_>>>()?,
                municipality_id: match &application.municipality {
                    Some(name) => Some(municipality_id(conn, name)?),
                    None => None,
                },
                application_date: application.application_date,
                project_start: application.project_start,
                project_end: application.project_end,
                partners: application
                    .partners
                    .iter()
                    .map(|partner| {
                        Ok(PartnerDraft {
                            kind: partner.kind,
                            name: partner.name.clone(),
                            municipality_id: match &partner.municipality {
                                Some(name) => Some(municipality_id(conn, name)?),
                                None => None,
                            },
                            agreement: None,
                        })
                    })
                    .collect::<AppResult<Vec<_>>>()?,
                legal_basis: match &application.legal_basis {
                    Some(basis) => Some(LegalBasisDraft {
                        path: basis.path,
                        holder_name: basis.holder.clone(),
                        holder_organisation_id: find_organisation(conn, &basis.holder)?
                            .map(|o| o.id),
                        granted_by: basis.granted_by.clone(),
                        granted_on: basis.granted_on,
                        valid_until: basis.valid_until,
                        includes_talent_measures: basis.includes_talent_measures,
                        evidence_reference: basis.evidence.clone(),
                    }),
                    None => None,
                },
                activities: application
                    .activities
                    .iter()
                    .map(|activity| ActivityDraft {
                        name: activity.name.clone(),
                        category: activity.category,
                        executive_internship: activity.executive_internship,
                        kpi: activity.kpi.clone(),
                        lines: activity
                            .lines
                            .iter()
                            .map(|line| BudgetLineDraft {
                                category: line.category,
                                description: line.description.clone(),
                                amount_yen: line.amount_yen,
                                funding_source: line.funding_source,
                                co_funding_sources: line.also_funded_by.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
                created_by: None,
            };
            let application_id = insert_application(conn, &draft)?;
            summary.drafts.push(DemoDraft {
                application_id,
                target,
                lead_organisation_id: draft.lead_organisation_id,
                application_date: draft.application_date,
                project_start: draft.project_start,
            });
            summary.applications += 1;
        }
        Ok(summary)
    })
}
