//! Drafts: creating one and replacing its content. Each use case is one transaction: the
//! draft, the engine's answer on it and the audit event commit together or not at all.

use chrono::NaiveDate;
use serde_json::json;

use super::{editable_aggregate, reevaluate};
use crate::db::applications::{self as repo, Aggregate, ApplicationDraft};
use crate::db::{self, DbConnection, audit};
use crate::domain::audit::AuditAction;
use crate::domain::program::ProgramSet;
use crate::domain::validation::{ErrorCode, FieldErrors};
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
            state: ApplicationState::Draft,
        },
    )
    .map_err(|_| AppError::forbidden())?;
    if !actor.organisation_ids.contains(&draft.lead_organisation_id) {
        return Err(AppError::forbidden());
    }
    draft.created_by = Some(actor.user_id);
    db::write(conn, |conn| {
        check_references(conn, &draft)?;
        let id = repo::create_draft(conn, &mut draft)?;
        let aggregate = repo::load_aggregate(conn, id)?;
        refresh_decision(conn, programs, &aggregate, today)?;
        audit::append(
            conn,
            &audit::NewAuditEvent {
                to_state: Some(ApplicationState::Draft.as_str()),
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
        let aggregate = editable_aggregate(conn, actor, id)?;
        if draft.lead_organisation_id != aggregate.application.lead_organisation_id {
            return Err(AppError::forbidden());
        }
        check_references(conn, &draft)?;
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

/// The rows a draft names must exist: an unknown municipality or co-applicant is the
/// caller's mistake (422 at its field), not a foreign-key failure of the write.
fn check_references(conn: &mut DbConnection, draft: &ApplicationDraft) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let missing = db::organisations::missing_organisations(conn, &draft.co_applicant_ids)?;
    for (i, id) in draft.co_applicant_ids.iter().enumerate() {
        if missing.contains(id) {
            errors.add(
                format!("co_applicant_ids[{i}]"),
                ErrorCode::UnknownRecord,
                format!("共同申請者（団体 {id}）が見つかりません"),
            );
        }
    }
    let named: Vec<(String, i64)> = draft
        .municipality_id
        .map(|id| ("municipality_id".to_owned(), id))
        .into_iter()
        .chain(
            draft
                .partners
                .iter()
                .enumerate()
                .filter_map(|(i, partner)| {
                    partner
                        .municipality_id
                        .map(|id| (format!("partners[{i}].municipality_id"), id))
                }),
        )
        .collect();
    let ids: Vec<i64> = named.iter().map(|(_, id)| *id).collect();
    let missing = db::organisations::missing_municipalities(conn, &ids)?;
    for (path, id) in named {
        if missing.contains(&id) {
            errors.add(
                path,
                ErrorCode::UnknownRecord,
                format!("市町村（{id}）が見つかりません。一覧から選んでください"),
            );
        }
    }
    errors.into_result(()).map_err(AppError::invalid)
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
