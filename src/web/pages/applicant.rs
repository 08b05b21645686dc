//! The applicant's dashboard (my applications and their states; for the next call, my award
//! count and the rate each frame would give, from the engine) and the start of a new draft.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post};
use serde::Serialize;

use super::editor::{NewApplicationForm, create_from_form};
use super::view::{Summary, decision_view, summary};
use super::{Db, PageCaller, PageError, PageForm, PageResult, Then, redirect, render};
use crate::actions;
use crate::contract::decision::StoredDecision;
use crate::db::{applications as repo, deadlines, organisations};
use crate::domain::access::Role;
use crate::domain::deadlines::format_due;
use crate::domain::deadlines::{Standing, standing};
use crate::error::{AppError, ErrorKind};
use crate::web::applications::today_in_japan;

/// Findings that concern who applies, not what they apply with: they say why an
/// organisation cannot apply at all.
const APPLICANT_REFUSALS: &[&str] = &[
    crate::domain::evaluation::AWARD_CAP_EXCEEDED,
    "municipality_cannot_apply",
    "applicant_kind_not_eligible",
    "company_too_large",
    "no_rate_for_ordinal",
];

#[derive(Serialize)]
struct FrameOutlook {
    frame: String,
    award_ordinal: i64,
    rate: String,
    cap_yen: Option<i64>,
    refusals: Vec<String>,
}

#[derive(Serialize)]
struct OrganisationOutlook {
    name: String,
    fiscal_year: i64,
    prior_awards: i64,
    frames: Vec<FrameOutlook>,
    missing: Vec<String>,
}

/// One open deadline of my organisations' applications.
#[derive(Serialize)]
struct DeadlineView {
    application_id: i64,
    reference: String,
    title: String,
    kind: &'static str,
    due: String,
    overdue: bool,
    /// 「あと3日」, 「本日まで」, 「期限超過（2日経過）」: the standing in words, not colour alone.
    standing: String,
}

/// How many open deadlines the dashboard lists.
const DEADLINES_SHOWN: i64 = 10;

fn deadline_view(
    row: &deadlines::UpcomingDeadline,
    now: chrono::NaiveDateTime,
) -> Option<DeadlineView> {
    let kind = row.deadline.kind;
    let standing = standing(row.deadline.due_at, now);
    Some(DeadlineView {
        application_id: row.deadline.application_id,
        reference: row.reference.clone(),
        title: row.title.clone(),
        kind: kind.label_ja(),
        due: format_due(row.deadline.due_at, kind),
        overdue: matches!(standing, Standing::Overdue(_)),
        standing: match standing {
            Standing::DueIn(0) => "本日が期限".to_owned(),
            Standing::DueIn(days) => format!("あと{days}日"),
            Standing::Overdue(0) => "期限超過（本日）".to_owned(),
            Standing::Overdue(days) => format!("期限超過（{days}日経過）"),
        },
    })
}

#[derive(Serialize)]
struct Dashboard {
    /// 次の期限: open deadlines, nearest (and so overdue) first.
    deadlines: Vec<DeadlineView>,
    applications: Vec<Summary>,
    outlooks: Vec<OrganisationOutlook>,
}

fn outlook_of(name: String, decisions: &[StoredDecision]) -> OrganisationOutlook {
    let frames: Vec<FrameOutlook> = decisions
        .iter()
        .map(|decision| {
            let view = decision_view(decision);
            FrameOutlook {
                frame: decision.frame.label_ja().to_owned(),
                award_ordinal: view.award_ordinal,
                rate: view.rate,
                cap_yen: view.cap_yen,
                refusals: decision
                    .findings
                    .iter()
                    .filter(|finding| APPLICANT_REFUSALS.contains(&finding.code.as_str()))
                    .map(|finding| finding.message.clone())
                    .collect(),
            }
        })
        .collect();
    OrganisationOutlook {
        name,
        fiscal_year: decisions
            .first()
            .map_or(0, |decision| i64::from(decision.fiscal_year)),
        prior_awards: frames.first().map_or(0, |f| f.award_ordinal - 1),
        frames,
        missing: Vec::new(),
    }
}

#[get("/applicant")]
pub async fn dashboard(db: Db, session: Session, PageCaller(caller): PageCaller) -> PageResult {
    if caller.actor.role != Role::Applicant {
        return Err(AppError::forbidden().into());
    }
    let actor = caller.actor.clone();
    let view = db
        .run(move |conn, programs| {
            let municipalities = organisations::list_municipalities(conn)?;
            let rows = repo::list_visible(conn, Some(&actor.organisation_ids), None, true)?;
            let mut outlooks = Vec::new();
            for organisation_id in &actor.organisation_ids {
                let name = organisations::get_organisation(conn, *organisation_id)?.name;
                match actions::award_outlook(conn, programs, *organisation_id, today_in_japan())? {
                    Ok(decisions) => outlooks.push(outlook_of(name, &decisions)),
                    Err(errors) => outlooks.push(OrganisationOutlook {
                        name,
                        fiscal_year: 0,
                        prior_awards: 0,
                        frames: Vec::new(),
                        missing: errors
                            .errors
                            .values()
                            .flatten()
                            .map(|e| e.message.clone())
                            .collect(),
                    }),
                }
            }
            let now = crate::db::now();
            let deadlines =
                deadlines::open_for_organisations(conn, &actor.organisation_ids, DEADLINES_SHOWN)?
                    .iter()
                    .filter_map(|row| deadline_view(row, now))
                    .collect();
            Ok(Dashboard {
                deadlines,
                applications: rows
                    .iter()
                    .rev()
                    .map(|row| summary(row, &municipalities))
                    .collect(),
                outlooks,
            })
        })
        .await?;
    render(
        "applicant_dashboard",
        "申請者ダッシュボード",
        &caller,
        &session,
        view,
    )
}

#[derive(Serialize)]
struct NewView {
    fiscal_year: i32,
    frames: Vec<(String, String)>,
    organisations: Vec<(i64, String)>,
    /// The caller's organisations that cannot apply this year, each with why (the award cap).
    closed: Vec<(String, String)>,
    municipalities: Vec<(i64, String)>,
    error: Option<String>,
}

/// Why `organisation` cannot apply in any frame of the latest year, when the engine refuses
/// every frame for its award count (`domain::evaluation::closed_by_award_cap`): the engine's
/// own message.
fn closed_by_award_cap(
    conn: &mut crate::db::DbConnection,
    programs: &crate::domain::program::ProgramSet,
    organisation: i64,
) -> Result<Option<String>, AppError> {
    let Ok(decisions) = actions::award_outlook(conn, programs, organisation, today_in_japan())?
    else {
        // The record lacks what the engine needs: the application itself will be judged.
        return Ok(None);
    };
    Ok(
        crate::domain::evaluation::closed_by_award_cap(decisions.iter().map(|decision| {
            decision
                .findings
                .iter()
                .map(|finding| (finding.code.as_str(), finding.message.as_str()))
        }))
        .map(str::to_owned),
    )
}

async fn new_view(
    db: &Db,
    organisation_ids: Vec<i64>,
    error: Option<String>,
) -> Result<NewView, PageError> {
    Ok(db
        .run(move |conn, programs| {
            let program = programs
                .latest()
                .ok_or_else(|| AppError::internal("事業年度の定義がありません"))?;
            let mut organisations_list = Vec::new();
            let mut closed = Vec::new();
            for id in organisation_ids {
                let name = organisations::get_organisation(conn, id)?.name;
                match closed_by_award_cap(conn, programs, id)? {
                    Some(why) => closed.push((name, why)),
                    None => organisations_list.push((id, name)),
                }
            }
            Ok(NewView {
                closed,
                fiscal_year: program.fiscal_year.0,
                frames: program
                    .frames
                    .iter()
                    .map(|f| (f.code.as_str().to_owned(), f.name_ja.clone()))
                    .collect(),
                organisations: organisations_list,
                municipalities: organisations::list_municipalities(conn)?
                    .into_iter()
                    .map(|m| (m.id, format!("{}（{}）", m.name, m.prefecture)))
                    .collect(),
                error,
            })
        })
        .await?)
}

#[get("/applications/new")]
pub async fn new_page(db: Db, session: Session, PageCaller(caller): PageCaller) -> PageResult {
    if caller.actor.role != Role::Applicant {
        return Err(AppError::forbidden().into());
    }
    let view = new_view(&db, caller.actor.organisation_ids.clone(), None).await?;
    render("application_new", "新しい申請", &caller, &session, view)
}

#[post("/applications")]
pub async fn create(
    db: Db,
    session: Session,
    Then(form, PageCaller(caller)): Then<PageForm, PageCaller>,
) -> Result<HttpResponse, PageError> {
    let title = form.text("title");
    let new = NewApplicationForm {
        fiscal_year: form.text("fiscal_year").parse().unwrap_or(0),
        frame: form.text("frame"),
        title: title.clone(),
        lead_organisation_id: form.text("lead_organisation_id").parse().unwrap_or(0),
        municipality_id: form.text("municipality_id").parse().ok(),
    };
    let actor = caller.actor.clone();
    let created = db
        .run(move |conn, programs| {
            // Not offered on the form; refused here too, with the engine's reason.
            if actor.organisation_ids.contains(&new.lead_organisation_id)
                && let Some(why) = closed_by_award_cap(conn, programs, new.lead_organisation_id)?
            {
                let mut errors = crate::domain::validation::FieldErrors::new();
                errors.add(
                    "lead_organisation_id",
                    crate::domain::validation::ErrorCode::Ineligible,
                    why,
                );
                return Err(AppError::invalid(errors));
            }
            create_from_form(conn, programs, &actor, &new)
        })
        .await;
    match created {
        Ok(id) => {
            super::set_flash(
                &session,
                "下書きを作成しました。各項目を入力して保存してください。",
            );
            Ok(redirect(&format!("/applications/{id}/edit")))
        }
        Err(error) if error.kind == ErrorKind::Invalid => {
            let message = super::view::refusal_message(&error);
            let view = new_view(&db, caller.actor.organisation_ids.clone(), Some(message)).await?;
            let mut response = render("application_new", "新しい申請", &caller, &session, view)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(error) => Err(error.into()),
    }
}
