//! The audit trail's hash chain: each event's hash covers its content and the hash before it,
//! so that altering, inserting or deleting a stored event breaks every hash after it.

use sha2::{Digest, Sha256};

use super::workflow::Action;

/// What an audit event records: a workflow action, or a change made outside the workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    Workflow(Action),
    CreateDraft,
    UploadEvidence,
    DeleteEvidence,
    AddUser,
}

impl AuditAction {
    /// The code stored in the event (and hashed with it).
    pub fn code(self) -> &'static str {
        match self {
            AuditAction::Workflow(action) => action.code(),
            AuditAction::CreateDraft => "create_draft",
            AuditAction::UploadEvidence => "upload_evidence",
            AuditAction::DeleteEvidence => "delete_evidence",
            AuditAction::AddUser => "add_user",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            AuditAction::Workflow(action) => action.label_ja(),
            AuditAction::CreateDraft => "下書きの作成",
            AuditAction::UploadEvidence => "証拠書類の登録",
            AuditAction::DeleteEvidence => "証拠書類の削除",
            AuditAction::AddUser => "利用者の登録",
        }
    }

    /// The action an event's stored code names, if any (codes outside this list come from
    /// older versions and are shown as they are).
    pub fn from_code(code: &str) -> Option<AuditAction> {
        [
            AuditAction::CreateDraft,
            AuditAction::UploadEvidence,
            AuditAction::DeleteEvidence,
            AuditAction::AddUser,
        ]
        .into_iter()
        .find(|action| action.code() == code)
        .or_else(|| code.parse::<Action>().ok().map(AuditAction::Workflow))
    }
}

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What is hashed of one event: everything a person could care about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditContent<'a> {
    pub id: i64,
    pub application_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    /// ISO 8601, as stored (microseconds).
    pub occurred_at: &'a str,
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub changes_json: &'a str,
}

/// SHA-256 over the previous hash and every field, each length-prefixed so that no two
/// different events can be written the same way.
pub fn event_hash(previous_hash: &str, content: &AuditContent<'_>) -> String {
    let mut hasher = Sha256::new();
    let mut field = |text: &str| {
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    };
    let optional_number = |value: Option<i64>| value.map(|v| v.to_string()).unwrap_or_default();
    field(previous_hash);
    field(&content.id.to_string());
    field(&optional_number(content.application_id));
    field(&optional_number(content.actor_user_id));
    field(content.occurred_at);
    field(content.action);
    field(content.from_state.unwrap_or("\u{0}"));
    field(content.to_state.unwrap_or("\u{0}"));
    field(content.reason.unwrap_or("\u{0}"));
    field(content.changes_json);
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Where a chain stops being what was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenLink {
    /// The first event whose stored hashes do not match its content and predecessor.
    pub event_id: i64,
    pub reason: &'static str,
}

/// Checks a chain given in id order as (content, stored previous hash, stored hash).
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = (AuditContent<'a>, &'a str, &'a str)>,
) -> Result<usize, BrokenLink> {
    let mut expected_previous = GENESIS.to_owned();
    let mut count = 0;
    for (content, previous_hash, hash) in events {
        if previous_hash != expected_previous {
            return Err(BrokenLink {
                event_id: content.id,
                reason: "直前のイベントのハッシュと一致しません（削除または挿入）",
            });
        }
        if event_hash(previous_hash, &content) != hash {
            return Err(BrokenLink {
                event_id: content.id,
                reason: "内容がハッシュと一致しません（改ざん）",
            });
        }
        expected_previous = hash.to_owned();
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::workflow::ApplicationState;

    fn content(id: i64, action: &'static str) -> AuditContent<'static> {
        AuditContent {
            id,
            application_id: Some(7),
            actor_user_id: Some(3),
            occurred_at: "2026-05-20T10:00:00.000000",
            action,
            from_state: Some(ApplicationState::Draft.code()),
            to_state: Some(ApplicationState::Submitted.code()),
            reason: None,
            changes_json: "{}",
        }
    }

    fn chain(actions: &[&'static str]) -> Vec<(AuditContent<'static>, String, String)> {
        let mut previous = GENESIS.to_owned();
        let mut events = Vec::new();
        for (index, action) in actions.iter().enumerate() {
            let event = content(index as i64 + 1, action);
            let hash = event_hash(&previous, &event);
            events.push((event, previous.clone(), hash.clone()));
            previous = hash;
        }
        events
    }

    fn verify(events: &[(AuditContent<'static>, String, String)]) -> Result<usize, BrokenLink> {
        verify_chain(
            events
                .iter()
                .map(|(c, p, h)| (c.clone(), p.as_str(), h.as_str())),
        )
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(&["submit", "start_review", "select"])), Ok(3));
    }

    #[test]
    fn an_altered_event_is_named() {
        let mut events = chain(&["submit", "start_review", "select"]);
        events[1].0.reason = Some("後から書き換え");
        assert_eq!(verify(&events).map_err(|b| b.event_id), Err(2));
    }

    #[test]
    fn a_deleted_event_is_named() {
        let mut events = chain(&["submit", "start_review", "select"]);
        events.remove(1);
        assert_eq!(verify(&events).map_err(|b| b.event_id), Err(3));
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        let mut a = content(1, "ab");
        a.changes_json = "c";
        let mut b = content(1, "a");
        b.changes_json = "bc";
        assert_ne!(event_hash(GENESIS, &a), event_hash(GENESIS, &b));
    }
}
