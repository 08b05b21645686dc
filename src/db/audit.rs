//! The append-only, hash-chained audit trail and its signed checkpoint (domain::audit has the
//! hashing and the signing).

use std::sync::OnceLock;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{audit_checkpoint, audit_events};
use super::{DbConnection, now};
use crate::domain::audit::{
    AuditAction, AuditContent, AuditKey, BrokenLink, ChainHead, Checkpoint, CheckpointProblem,
    GENESIS, check_checkpoint, checkpoint_signature, event_hash, next_head, verify_chain,
};
use crate::error::{AppError, AppResult};
use crate::on_backend;

/// The key this process signs checkpoints with. It is the process's, not a connection's:
/// every use case appends through a bare connection, and one process serves one
/// configuration. Set from the configuration when the database is opened
/// ([`super::connect_with`]); a process that never sets it (a test opening a pool directly)
/// signs with the demo key.
static SIGNING_KEY: OnceLock<AuditKey> = OnceLock::new();

/// Sets the signing key of this process. A second, different key is refused: checkpoints
/// signed with two keys could never both verify.
pub fn use_signing_key(key: AuditKey) -> AppResult<()> {
    let installed = SIGNING_KEY.get_or_init(|| key.clone());
    if *installed == key {
        Ok(())
    } else {
        Err(AppError::config(
            "設定エラー [audit_key]: このプロセスでは既に別の監査鍵で署名しています",
        ))
    }
}

fn signing_key() -> &'static AuditKey {
    SIGNING_KEY.get_or_init(AuditKey::demo)
}

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

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub application_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub occurred_at: NaiveDateTime,
    /// The action's code (a workflow action, `create_draft`, `add_user` …).
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub reason: Option<String>,
    /// What changed, as JSON text (hashed as written).
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
        .set(audit_events::hash.eq(&hash))
        .execute(conn)?;
    let checkpoint = load_checkpoint(conn)?;
    match next_head(checkpoint.as_ref(), signing_key(), &previous_hash, &hash) {
        Some(head) => write_checkpoint(conn, &head, occurred_at)?,
        // Signing over a chain that already disagrees with its checkpoint would hide what
        // was done to it; the event is still recorded, and `audit verify` names the problem.
        None => tracing::error!(
            event_id = id,
            "the audit checkpoint does not match the chain; left as it was (run `hojokin audit verify`)"
        ),
    }
    Ok(id)
}

/// The checkpoint as stored, if there is one.
pub fn load_checkpoint(conn: &mut DbConnection) -> AppResult<Option<Checkpoint>> {
    let row = audit_checkpoint::table
        .select((
            audit_checkpoint::event_count,
            audit_checkpoint::last_hash,
            audit_checkpoint::recorded_at,
            audit_checkpoint::signature,
        ))
        .first::<(i64, String, NaiveDateTime, String)>(conn)
        .optional()?;
    Ok(
        row.map(|(count, last_hash, recorded_at, signature)| Checkpoint {
            head: ChainHead { count, last_hash },
            recorded_at: timestamp_text(recorded_at),
            signature,
        }),
    )
}

/// Replaces the one checkpoint row with `head`, signed.
fn write_checkpoint(
    conn: &mut DbConnection,
    head: &ChainHead,
    recorded_at: NaiveDateTime,
) -> AppResult<()> {
    let signature = checkpoint_signature(signing_key(), head, &timestamp_text(recorded_at));
    diesel::delete(audit_checkpoint::table).execute(conn)?;
    diesel::insert_into(audit_checkpoint::table)
        .values((
            audit_checkpoint::id.eq(1),
            audit_checkpoint::event_count.eq(head.count),
            audit_checkpoint::last_hash.eq(&head.last_hash),
            audit_checkpoint::recorded_at.eq(recorded_at),
            audit_checkpoint::signature.eq(&signature),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives a chain recorded before checkpoints existed its first one, as it stands: called once,
/// when the migration that adds the checkpoint table has just been applied.
pub(super) fn adopt_chain(conn: &mut DbConnection) -> AppResult<()> {
    super::write(conn, |conn| {
        if load_checkpoint(conn)?.is_some() {
            return Ok(());
        }
        if let Ok(head) = verify_links(conn)?
            && head.count > 0
        {
            write_checkpoint(conn, &head, now())?;
        }
        Ok(())
    })
}

/// The head of the chain as the checkpoint records it (the empty chain when there is none),
/// as printed on filings.
pub fn recorded_head(conn: &mut DbConnection) -> AppResult<ChainHead> {
    Ok(load_checkpoint(conn)?.map_or_else(ChainHead::empty, |checkpoint| checkpoint.head))
}

/// Why a chain does not prove itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainProblem {
    /// An event is not what was written, or is not where it was written.
    Link(BrokenLink),
    /// The chain links, but its head is not the one the signed checkpoint records.
    Checkpoint(CheckpointProblem),
}

impl ChainProblem {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            ChainProblem::Link(_) => "broken_link",
            ChainProblem::Checkpoint(problem) => problem.code(),
        }
    }
}

/// Proves the whole chain, then its head against the signed checkpoint: the error names the
/// first broken event, or how the head differs (the last events deleted, a forged checkpoint).
pub fn verify(conn: &mut DbConnection) -> AppResult<Result<ChainHead, ChainProblem>> {
    let head = match verify_links(conn)? {
        Ok(head) => head,
        Err(broken) => return Ok(Err(ChainProblem::Link(broken))),
    };
    let checkpoint = load_checkpoint(conn)?;
    Ok(check_checkpoint(&head, checkpoint.as_ref(), signing_key())
        .map(|()| head)
        .map_err(ChainProblem::Checkpoint))
}

/// Whether checkpoints are signed with the demo key (no `audit_key` configured).
pub fn signs_with_demo_key() -> bool {
    *signing_key() == AuditKey::demo()
}

/// Proves the chain link by link and gives its head.
fn verify_links(conn: &mut DbConnection) -> AppResult<Result<ChainHead, BrokenLink>> {
    let events: Vec<AuditEvent> = audit_events::table
        .order(audit_events::id)
        .select(AuditEvent::as_select())
        .load(conn)?;
    let times: Vec<String> = events
        .iter()
        .map(|e| timestamp_text(e.occurred_at))
        .collect();
    let verified = verify_chain(events.iter().zip(&times).map(|(event, time)| {
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
    }));
    Ok(verified.map(|count| ChainHead {
        count: count as i64,
        last_hash: events
            .last()
            .map_or_else(|| GENESIS.to_owned(), |event| event.hash.clone()),
    }))
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
