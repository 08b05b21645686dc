//! The append-only, hash-chained audit trail (domain::audit has the hashing).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_events;
use super::{DbConnection, now};
use crate::domain::audit::{
    AuditAction, AuditContent, BrokenLink, GENESIS, event_hash, verify_chain,
};
use crate::error::{AppError, AppResult};
use crate::on_backend;

/// One event to append.
#[derive(Clone, Debug)]
pub struct NewAuditEvent<'a> {
    pub application_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub action: AuditAction,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub reason: Option<&'a str>,
    /// What changed, as JSON (e.g. `{"amount_yen": [1000000, 800000]}`).
    pub changes: serde_json::Value,
}

impl NewAuditEvent<'_> {
    /// An event of `action` with nothing else said yet (fill the rest with struct update).
    pub fn of(action: AuditAction) -> Self {
        NewAuditEvent {
            application_id: None,
            actor_user_id: None,
            action,
            from_state: None,
            to_state: None,
            reason: None,
            changes: serde_json::Value::Null,
        }
    }

    /// An event of `action` a user took on an application.
    pub fn on_application(action: AuditAction, application_id: i64, actor_user_id: i64) -> Self {
        NewAuditEvent {
            application_id: Some(application_id),
            actor_user_id: Some(actor_user_id),
            ..NewAuditEvent::of(action)
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub application_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub occurred_at: NaiveDateTime,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub reason: Option<String>,
    pub changes_json: String,
    pub previous_hash: String,
    pub hash: String,
}

/// How a timestamp enters the hash: exactly as both backends store it (microseconds).
fn timestamp_text(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Appends an event inside the caller's transaction ([`super::write`]), and refuses outside
/// one: the event must commit or vanish with what it records. The chain is serialised until
/// that transaction ends: PostgreSQL takes a transaction-scoped advisory lock; on SQLite the
/// transaction already holds the one write lock.
pub fn append(conn: &mut DbConnection, event: &NewAuditEvent<'_>) -> AppResult<i64> {
    if !super::in_transaction(conn) {
        return Err(AppError::internal(
            "監査イベントはトランザクションの中でしか記録できません",
        ));
    }
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(72616)").execute(pg)?;
    }
    let previous_hash = audit_events::table
        .order(audit_events::id.desc())
        .select(audit_events::hash)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| GENESIS.to_owned());
    let occurred_at = now();
    let changes_json = event.changes.to_string();
    // The id is part of the hash, so the row is written first with a placeholder that is
    // unique and can never verify, then completed.
    let placeholder = format!("pending-{:032x}", rand::random::<u128>());
    let values = (
        audit_events::application_id.eq(event.application_id),
        audit_events::actor_user_id.eq(event.actor_user_id),
        audit_events::occurred_at.eq(occurred_at),
        audit_events::action.eq(event.action.code()),
        audit_events::from_state.eq(event.from_state),
        audit_events::to_state.eq(event.to_state),
        audit_events::reason.eq(event.reason),
        audit_events::changes_json.eq(&changes_json),
        audit_events::previous_hash.eq(&previous_hash),
        audit_events::hash.eq(&placeholder),
    );
    let id = on_backend!(conn, c => diesel::insert_into(audit_events::table)
        .values(values)
        .returning(audit_events::id)
        .get_result::<i64>(c))?;
    let occurred = timestamp_text(occurred_at);
    let hash = event_hash(
        &previous_hash,
        &AuditContent {
            id,
            application_id: event.application_id,
            actor_user_id: event.actor_user_id,
            occurred_at: &occurred,
            action: event.action.code(),
            from_state: event.from_state,
            to_state: event.to_state,
            reason: event.reason,
            changes_json: &changes_json,
        },
    );
    diesel::update(audit_events::table.find(id))
        .set(audit_events::hash.eq(hash))
        .execute(conn)?;
    Ok(id)
}

/// Proves the whole chain; the error names the first broken event.
pub fn verify(conn: &mut DbConnection) -> AppResult<Result<usize, BrokenLink>> {
    let events: Vec<AuditEvent> = audit_events::table
        .order(audit_events::id)
        .select(AuditEvent::as_select())
        .load(conn)?;
    let times: Vec<String> = events
        .iter()
        .map(|e| timestamp_text(e.occurred_at))
        .collect();
    Ok(verify_chain(events.iter().zip(&times).map(
        |(event, time)| {
            (
                AuditContent {
                    id: event.id,
                    application_id: event.application_id,
                    actor_user_id: event.actor_user_id,
                    occurred_at: time,
                    action: &event.action,
                    from_state: event.from_state.as_deref(),
                    to_state: event.to_state.as_deref(),
                    reason: event.reason.as_deref(),
                    changes_json: &event.changes_json,
                },
                event.previous_hash.as_str(),
                event.hash.as_str(),
            )
        },
    )))
}

/// An event with the name and role code of who acted (none for the system or a user since
/// removed).
pub type HistoryEvent = (AuditEvent, Option<(String, String)>);

/// An application's events, oldest first, each with who acted.
pub fn history_of(conn: &mut DbConnection, application_id: i64) -> AppResult<Vec<HistoryEvent>> {
    use super::schema::users;
    Ok(audit_events::table
        .left_join(users::table.on(users::id.nullable().eq(audit_events::actor_user_id)))
        .filter(audit_events::application_id.eq(application_id))
        .order(audit_events::id)
        .select((
            AuditEvent::as_select(),
            (users::display_name, users::role).nullable(),
        ))
        .load(conn)?)
}

pub fn events_of(conn: &mut DbConnection, application_id: i64) -> AppResult<Vec<AuditEvent>> {
    Ok(audit_events::table
        .filter(audit_events::application_id.eq(application_id))
        .order(audit_events::id)
        .select(AuditEvent::as_select())
        .load(conn)?)
}
