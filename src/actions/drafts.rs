//! Drafts: creating one and replacing its content. Each use case is one transaction: the
//! draft, the engine's answer on it and the audit event commit together or not at all.

use chrono::NaiveDate;
use serde_json::json;

use super::{authorized_aggregate, reevaluate};
use crate::db::applications::{self as repo, Aggregate, ApplicationDraft};
use crate::db::{self, DbConnection, audit};
use crate::domain::audit::AuditAction;
use crate::domain::program::ProgramSet;
use crate::domain::workflow::{self, Action, Actor, ApplicationState};
use crate::error::{AppError, AppResult, ErrorKind};

/// Creates a draft for one of the actor's organisations, with the engine's first answer.
pub fn create(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    mut draft: ApplicationDraft,
    today: NaiveDate,
) -> AppResult<i64> {
    let members: Vec<i64> = std::iter::once(draft.lead_organisation_id)
        .chain(draft.co_applicant_ids.iter().copied())
        .collect();
    workflow::authorize(
        actor,
        Action::EditDraft,
        &workflow::Scope {
            member_organisation_ids: members,
            municipality_id: draft.municipality_id,
        },
    )
    .map_err(|_| AppError::forbidden())?;
    if !actor.organisation_ids.contains(&draft.lead_organisation_id) {
        return Err(AppError::forbidden());
    }
    draft.created_by = Some(actor.user_id);
    db::write(conn, |conn| {
        let id = repo::create_draft(conn, &mut draft)?;
        let aggregate = repo::load_aggregate(conn, id)?;
        refresh_decision(conn, programs, &aggregate, today)?;
        audit::append(
            conn,
            &audit::NewAuditEvent {
                to_state: Some(ApplicationState::Draft.code()),
                changes: json!({ "reference": aggregate.application.reference }),
                ..audit::NewAuditEvent::on_application(AuditAction::CreateDraft, id, actor.user_id)
            },
        )?;
        Ok(id)
    })
}

/// Replaces a draft's content if the actor may edit it, it is still editable and nobody
/// changed it since `version`, and records the engine's new answer.
pub fn update(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    id: i64,
    version: i32,
    mut draft: ApplicationDraft,
    today: NaiveDate,
) -> AppResult<()> {
    db::write(conn, |conn| {
        let aggregate = authorized_aggregate(conn, actor, id, Action::EditDraft)?;
        let state = aggregate.state();
        if !workflow::editable(state) {
            return Err(AppError::conflict(format!(
                "「{}」の申請は編集できません",
                state.label_ja()
            )));
        }
        if draft.lead_organisation_id != aggregate.application.lead_organisation_id {
            return Err(AppError::forbidden());
        }
        draft.reference.clone_from(&aggregate.application.reference);
        repo::replace_content(conn, id, version, &draft)?;
        let reloaded = repo::load_aggregate(conn, id)?;
        refresh_decision(conn, programs, &reloaded, today)?;
        audit::append(
            conn,
            &audit::NewAuditEvent {
                changes: json!({ "version": [version, version + 1] }),
                ..audit::NewAuditEvent::on_application(
                    AuditAction::Workflow(Action::EditDraft),
                    id,
                    actor.user_id,
                )
            },
        )?;
        Ok(())
    })
}

/// Records the engine's answer on the draft as saved. A draft saves incomplete: while the
/// engine cannot read it yet, it has no decision (an earlier one would no longer be its own).
/// Any other failure undoes the save.
fn refresh_decision(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    aggregate: &Aggregate,
    today: NaiveDate,
) -> AppResult<()> {
    match reevaluate(conn, programs, aggregate, today) {
        Ok(_) => Ok(()),
        Err(error) if error.kind == ErrorKind::Invalid => {
            repo::clear_decision(conn, aggregate.application.id)
        }
        Err(error) => Err(error),
    }
}
