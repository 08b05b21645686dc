//! The demo data set, made the way real data is made: `db::demo` loads the award history,
//! the organisations, the users and every application as a draft; then each application goes
//! through the workflow (`actions::perform`) to the state the demo wants, as its own
//! applicant and the program manager would take it there. So the demo has the awards, the
//! frozen decisions and the audit trail that those states imply.

use chrono::NaiveDate;

use crate::actions::{ActionRequest, perform};
use crate::db::{self, DbConnection};
use crate::domain::access::Role;
use crate::domain::program::ProgramSet;
use crate::domain::workflow::{Action, Actor, ApplicationState};
use crate::error::{AppError, AppResult};

/// The steps from a draft to `target`, each with who acts and the reason it needs.
fn path_to(target: ApplicationState) -> AppResult<Vec<(Role, Action, Option<&'static str>)>> {
    use ApplicationState as S;
    let submitted = vec![(Role::Applicant, Action::Submit, None)];
    let reviewed = [
        submitted.clone(),
        vec![(Role::ProgramManager, Action::StartReview, None)],
    ]
    .concat();
    let selected = [
        reviewed.clone(),
        vec![(Role::ProgramManager, Action::Select, None)],
    ]
    .concat();
    Ok(match target {
        S::Draft => vec![],
        S::Submitted => submitted,
        S::UnderReview => reviewed,
        S::ReturnedForCorrection => [
            reviewed,
            vec![(
                Role::ProgramManager,
                Action::ReturnForCorrection,
                Some("KPI（受入企業数・採用数）の根拠を示してください"),
            )],
        ]
        .concat(),
        S::Selected => selected,
        S::GrantRequested => [
            selected,
            vec![(Role::Applicant, Action::RequestGrant, None)],
        ]
        .concat(),
        S::GrantDecided | S::InProgress => {
            let mut steps = [
                selected,
                vec![
                    (Role::Applicant, Action::RequestGrant, None),
                    (Role::ProgramManager, Action::DecideGrant, None),
                ],
            ]
            .concat();
            if target == S::InProgress {
                steps.push((Role::Applicant, Action::StartProject, None));
            }
            steps
        }
        other => {
            return Err(AppError::internal(format!(
                "デモデータ: 状態「{}」への手順は用意していません",
                other.label_ja()
            )));
        }
    })
}

fn actor(conn: &mut DbConnection, role: Role, organisation: Option<i64>) -> AppResult<Actor> {
    let user = db::users::first_with_role(conn, role, organisation)?.ok_or_else(|| {
        AppError::internal(format!(
            "デモデータ: {} の利用者がいません",
            role.label_ja()
        ))
    })?;
    Ok(Actor {
        user_id: user.id,
        role,
        organisation_ids: db::users::organisations_of(conn, user.id)?,
        municipality_id: user.municipality_id,
    })
}

/// Seeds an empty database with the demo, in one transaction.
pub fn seed(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    today: NaiveDate,
) -> AppResult<db::demo::DemoSummary> {
    crate::db::write(conn, |conn| {
        let summary = db::demo::seed_demo(conn, &|year, label| programs.frame_code(year, label))?;
        let manager = actor(conn, Role::ProgramManager, None)?;
        for draft in &summary.drafts {
            let applicant = actor(conn, Role::Applicant, Some(draft.lead_organisation_id))?;
            let mut version = 1;
            let mut under_way = false;
            for (role, action, reason) in path_to(draft.target)? {
                let who = if role == Role::Applicant {
                    &applicant
                } else {
                    &manager
                };
                let request = ActionRequest {
                    version,
                    reason: reason.map(str::to_owned),
                    payload: serde_json::Value::Null,
                };
                // Dated on the application date, and from the 事業開始 on within the 補助事業期間
                // (the calendar refuses a start before it: `domain::timeline`).
                under_way |= action == Action::StartProject;
                let applied = draft.application_date.unwrap_or(today);
                let day = match draft.project_start {
                    Some(start) if under_way => applied.max(start),
                    _ => applied,
                };
                let outcome = perform(
                    conn,
                    programs,
                    who,
                    draft.application_id,
                    action,
                    &request,
                    day,
                )
                .map_err(|error| {
                    AppError::internal(format!(
                        "デモデータ: 申請 {} を「{}」にできません: {error}",
                        draft.application_id,
                        action.label_ja()
                    ))
                })?;
                version = outcome.version;
            }
        }
        // Every action above brought its application's deadlines up to date; drafts were
        // never acted on, so derive theirs too.
        db::deadlines::sync_all(conn, programs)?;
        Ok(summary)
    })
}
