//! The use cases of the workflow. Each one, in a single transaction: loads the facts through
//! `db`, asks `domain` whether and how the application moves, and writes the new state, its
//! effects (award, frozen decision, jobs) and an audit event. The web API and the tests call
//! these; they hold no rules of their own.

mod budget_review;
pub mod change_requests;
pub mod drafts;
mod evaluation;
mod evidence;
pub mod filings;
pub mod impact;
pub mod logins;
pub mod manager;
pub mod payloads;
pub mod sessions;
mod transitions;
pub mod users;

pub use budget_review::{LineReviewRequest, approve_remaining_lines, review_budget_line};
pub use evaluation::{award_outlook, preview, reevaluate};
pub use evidence::{
    ATTACHMENT_FIELD, EVIDENCE_FIELD, PendingInterimReport, delete_evidence, evidence_download,
    pending_interim_report, submit_interim_report, upload_evidence,
};
pub use transitions::{ActionOutcome, ActionRequest, perform};

use crate::db::applications::{self, Aggregate};
use crate::db::{self, DbConnection, workflow as store};
use crate::domain::ledger::Ledger;
use crate::domain::validation::{ErrorCode, FieldErrors};
use crate::domain::workflow::{self, Action, Actor, WorkflowError};
use crate::error::{AppError, AppResult, ErrorKind};

fn workflow_error(error: WorkflowError) -> AppError {
    match error {
        WorkflowError::Forbidden => AppError::forbidden(),
        WorkflowError::NotAllowedInState { .. } => AppError::conflict(error.to_string()),
        WorkflowError::ReasonRequired => {
            field_error("reason", ErrorCode::Required, error.to_string())
        }
        // The API names the findings by their codes; the refusal itself travels as the cause,
        // for the pages to show each finding by its message ([`refusing_findings`]).
        WorkflowError::Ineligible { ref findings } => {
            let mut errors = FieldErrors::new();
            for finding in findings {
                errors.add(
                    "",
                    ErrorCode::Ineligible,
                    format!("{error}: {}", finding.code),
                );
            }
            AppError::invalid(errors).with_cause(error)
        }
        WorkflowError::NotReady { ref gaps } => {
            let mut errors = FieldErrors::new();
            for gap in gaps {
                errors.add(gap.field(), gap.code(), gap.message_ja());
            }
            AppError::invalid(errors)
        }
        WorkflowError::Invalid(message) => AppError::new(ErrorKind::BadRequest, message),
    }
}

/// The engine's findings that refused an action (`WorkflowError::Ineligible`), with their
/// messages for people; `None` for any other error.
pub fn refusing_findings(error: &AppError) -> Option<&[workflow::Refusing]> {
    match error.cause.as_deref()?.downcast_ref::<WorkflowError>()? {
        WorkflowError::Ineligible { findings } => Some(findings),
        _ => None,
    }
}

fn field_error(path: &str, code: ErrorCode, message: impl Into<String>) -> AppError {
    let mut errors = FieldErrors::new();
    errors.add(path, code, message.into());
    AppError::invalid(errors)
}

/// Who did what to the application, when and why: for whoever may see it.
pub fn history(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
) -> AppResult<Vec<db::audit::HistoryEvent>> {
    authorized_aggregate(conn, actor, application_id, Action::View)?;
    db::audit::history_of(conn, application_id)
}

/// Loads the application and checks that the actor may do `action` to it.
pub fn authorized_aggregate(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
    action: Action,
) -> AppResult<Aggregate> {
    let aggregate = applications::load_aggregate(conn, application_id)?;
    workflow::authorize(actor, action, &aggregate.scope()).map_err(workflow_error)?;
    Ok(aggregate)
}

/// The ledger as the engine must see it for this application: every countable award except
/// the application's own (which exists from 採択 on and must not count against itself).
fn ledger_for(conn: &mut DbConnection, application_id: i64) -> AppResult<Ledger> {
    let own = store::award_of_application(conn, application_id)?;
    db::awards::load_ledger_excluding(conn, own)
}

/// Loads the application for changing its content: the caller may edit it
/// (`Action::EditDraft`) and its state allows editing (作成中, 差戻し).
pub fn editable_aggregate(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
) -> AppResult<Aggregate> {
    aggregate_open_to(
        conn,
        actor,
        application_id,
        (Action::EditDraft, workflow::editable),
        "申請は編集できません",
    )
}

/// The application, when the caller may take `action` on it and its state `allows` it; a
/// state that does not is 409, saying in that state's name what `cannot` be done.
pub(super) fn aggregate_open_to(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
    (action, allows): (Action, fn(workflow::ApplicationState) -> bool),
    cannot: &str,
) -> AppResult<Aggregate> {
    let aggregate = authorized_aggregate(conn, actor, application_id, action)?;
    let state = aggregate.state();
    if !allows(state) {
        return Err(AppError::conflict(format!(
            "「{}」の{cannot}",
            state.label_ja()
        )));
    }
    Ok(aggregate)
}
