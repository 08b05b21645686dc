//! The audit trail's hash chain: each event's hash covers its content and the hash before it,
//! so that altering, inserting or deleting a stored event breaks every hash after it. The
//! chain's head (how many events, the last hash) is also kept in a checkpoint signed with a
//! key the database does not hold, so that deleting the *last* events, which leaves a shorter
//! chain that still links, is noticed too.

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
            AuditAction::Workflow(action) => action.as_str(),
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

/// The head of a chain: how many events it holds and the hash of the last one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ChainHead {
    pub count: i64,
    pub last_hash: String,
}

impl ChainHead {
    /// The head of an empty chain.
    pub fn empty() -> Self {
        ChainHead {
            count: 0,
            last_hash: GENESIS.to_owned(),
        }
    }

    /// The first 12 hex digits of the last hash, as printed on filings.
    pub fn short_hash(&self) -> &str {
        self.last_hash.get(..12).unwrap_or(&self.last_hash)
    }
}

/// The key that signs checkpoints (HMAC-SHA256). `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey(Vec<u8>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(****)")
    }
}

/// The fewest key bytes accepted: as many as the hash is long (RFC 2104 §3).
pub const AUDIT_KEY_MIN_BYTES: usize = 32;

impl AuditKey {
    /// A key from its hex form: at least [`AUDIT_KEY_MIN_BYTES`] bytes.
    pub fn from_hex(text: &str) -> Option<AuditKey> {
        let text = text.trim();
        if text.len() < AUDIT_KEY_MIN_BYTES * 2 || !text.len().is_multiple_of(2) {
            return None;
        }
        (0..text.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()
            .map(AuditKey)
    }

    /// The demo key: written in this source, so it proves nothing against anyone who has read
    /// it. Used only when no key is configured, and said so wherever it is used.
    pub fn demo() -> AuditKey {
        AuditKey(Sha256::digest(b"hojokin demo audit key: public, never for production").to_vec())
    }
}

/// HMAC-SHA256 (RFC 2104) over `message`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block_key.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// A checkpoint as stored: the head of the chain when it was written, and its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub head: ChainHead,
    /// ISO 8601, as stored (microseconds).
    pub recorded_at: String,
    /// Hex HMAC-SHA256 of [`checkpoint_signature`].
    pub signature: String,
}

/// The signature of a checkpoint: HMAC-SHA256 over its count, last hash and time, each
/// length-prefixed as in [`event_hash`].
pub fn checkpoint_signature(key: &AuditKey, head: &ChainHead, recorded_at: &str) -> String {
    let mut message = Vec::new();
    for field in [
        head.count.to_string().as_str(),
        &head.last_hash,
        recorded_at,
    ] {
        message.extend_from_slice(&(field.len() as u64).to_be_bytes());
        message.extend_from_slice(field.as_bytes());
    }
    hmac_sha256(&key.0, &message)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Whether `checkpoint` was signed with `key` (compared in constant time).
pub fn is_signed_by(checkpoint: &Checkpoint, key: &AuditKey) -> bool {
    let expected = checkpoint_signature(key, &checkpoint.head, &checkpoint.recorded_at);
    expected.len() == checkpoint.signature.len()
        && expected
            .bytes()
            .zip(checkpoint.signature.bytes())
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// How the chain in the table and its signed checkpoint disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointProblem {
    /// Events exist but no checkpoint does: it was deleted.
    Missing { events: i64 },
    /// The signature is not the key's: the checkpoint was forged, or the key is another.
    BadSignature,
    /// The checkpoint counts more events than the table holds: the last ones were deleted.
    Truncated { recorded: i64, present: i64 },
    /// The table holds more events than the checkpoint counts: written past `audit::append`.
    Extended { recorded: i64, present: i64 },
    /// As many events as recorded, but the last hash differs: the chain was rewritten.
    HeadDiffers { recorded: String, present: String },
}

impl CheckpointProblem {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            CheckpointProblem::Missing { .. } => "checkpoint_missing",
            CheckpointProblem::BadSignature => "checkpoint_bad_signature",
            CheckpointProblem::Truncated { .. } => "truncated",
            CheckpointProblem::Extended { .. } => "extended",
            CheckpointProblem::HeadDiffers { .. } => "head_differs",
        }
    }

    pub fn message_ja(&self) -> String {
        match self {
            CheckpointProblem::Missing { events } => format!(
                "監査ログ {events} 件に対する署名付きチェックポイントがありません（削除されています）"
            ),
            CheckpointProblem::BadSignature => {
                "監査ログのチェックポイントの署名が正しくありません（偽造されたか、audit_key が記録時と異なります）"
                    .to_owned()
            }
            CheckpointProblem::Truncated { recorded, present } => format!(
                "監査ログの最後の {} 件が失われています（切り詰め）: チェックポイントの記録は {recorded} 件、残っているのは {present} 件です",
                recorded - present
            ),
            CheckpointProblem::Extended { recorded, present } => format!(
                "チェックポイントの記録（{recorded} 件）の後に記録されていないイベントが {} 件あります（挿入）",
                present - recorded
            ),
            CheckpointProblem::HeadDiffers { recorded, present } => format!(
                "監査ログの先頭のハッシュ {} がチェックポイントの {} と一致しません（書き換え）",
                short(present),
                short(recorded)
            ),
        }
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// Checks the head of a chain that verified link by link against its checkpoint.
pub fn check_checkpoint(
    head: &ChainHead,
    checkpoint: Option<&Checkpoint>,
    key: &AuditKey,
) -> Result<(), CheckpointProblem> {
    let Some(checkpoint) = checkpoint else {
        return if head.count == 0 {
            Ok(())
        } else {
            Err(CheckpointProblem::Missing { events: head.count })
        };
    };
    if !is_signed_by(checkpoint, key) {
        return Err(CheckpointProblem::BadSignature);
    }
    let (recorded, present) = (checkpoint.head.count, head.count);
    if recorded > present {
        Err(CheckpointProblem::Truncated { recorded, present })
    } else if recorded < present {
        Err(CheckpointProblem::Extended { recorded, present })
    } else if checkpoint.head.last_hash != head.last_hash {
        Err(CheckpointProblem::HeadDiffers {
            recorded: checkpoint.head.last_hash.clone(),
            present: head.last_hash.clone(),
        })
    } else {
        Ok(())
    }
}

/// The head after appending an event whose hash is `new_hash` to a chain whose previous last
/// hash was `previous_hash`, when the stored checkpoint can be carried forward: it must be
/// signed by the key and name that previous hash. Otherwise `None`: the checkpoint is left as
/// the last head known good, so that what was done to the chain stays visible to `verify`
/// instead of being signed over.
pub fn next_head(
    checkpoint: Option<&Checkpoint>,
    key: &AuditKey,
    previous_hash: &str,
    new_hash: &str,
) -> Option<ChainHead> {
    let count = match checkpoint {
        // Only the first event of an empty chain starts without a checkpoint.
        None => (previous_hash == GENESIS).then_some(0)?,
        Some(checkpoint) => {
            let trusted =
                is_signed_by(checkpoint, key) && checkpoint.head.last_hash == previous_hash;
            trusted.then_some(checkpoint.head.count)?
        }
    };
    Some(ChainHead {
        count: count + 1,
        last_hash: new_hash.to_owned(),
    })
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
            from_state: Some(ApplicationState::Draft.as_str()),
            to_state: Some(ApplicationState::Submitted.as_str()),
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

    fn key() -> AuditKey {
        AuditKey::from_hex(&"ab".repeat(32)).expect("key")
    }

    fn signed(count: i64, last_hash: &str) -> Checkpoint {
        let head = ChainHead {
            count,
            last_hash: last_hash.to_owned(),
        };
        let recorded_at = "2026-05-20T10:00:00.000000".to_owned();
        Checkpoint {
            signature: checkpoint_signature(&key(), &head, &recorded_at),
            head,
            recorded_at,
        }
    }

    fn head(count: i64, last_hash: &str) -> ChainHead {
        ChainHead {
            count,
            last_hash: last_hash.to_owned(),
        }
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_key_is_at_least_32_bytes_of_hex() {
        assert!(AuditKey::from_hex(&"0f".repeat(32)).is_some());
        assert!(AuditKey::from_hex(&"0f".repeat(31)).is_none());
        assert!(AuditKey::from_hex(&"zz".repeat(32)).is_none());
        assert!(AuditKey::from_hex(&format!("{}a", "0f".repeat(32))).is_none());
        assert_eq!(format!("{:?}", key()), "AuditKey(****)");
    }

    #[test]
    fn a_checkpoint_at_the_head_verifies() {
        assert_eq!(
            check_checkpoint(&head(3, "c"), Some(&signed(3, "c")), &key()),
            Ok(())
        );
        assert_eq!(check_checkpoint(&ChainHead::empty(), None, &key()), Ok(()));
    }

    #[test]
    fn deleting_the_last_events_is_truncation() {
        assert_eq!(
            check_checkpoint(&head(1, "a"), Some(&signed(3, "c")), &key()),
            Err(CheckpointProblem::Truncated {
                recorded: 3,
                present: 1
            })
        );
        assert_eq!(
            check_checkpoint(&ChainHead::empty(), Some(&signed(3, "c")), &key()),
            Err(CheckpointProblem::Truncated {
                recorded: 3,
                present: 0
            })
        );
        assert_eq!(
            check_checkpoint(&head(3, "c"), None, &key()),
            Err(CheckpointProblem::Missing { events: 3 })
        );
    }

    #[test]
    fn a_checkpoint_changed_without_the_key_is_refused() {
        let mut forged = signed(3, "c");
        forged.head.count = 1;
        assert_eq!(
            check_checkpoint(&head(1, "a"), Some(&forged), &key()),
            Err(CheckpointProblem::BadSignature)
        );
        let other = AuditKey::from_hex(&"cd".repeat(32)).expect("key");
        assert_eq!(
            check_checkpoint(&head(3, "c"), Some(&signed(3, "c")), &other),
            Err(CheckpointProblem::BadSignature)
        );
    }

    #[test]
    fn a_rewritten_or_extended_chain_differs_from_its_checkpoint() {
        assert_eq!(
            check_checkpoint(&head(3, "x"), Some(&signed(3, "c")), &key()).map_err(|p| p.code()),
            Err("head_differs")
        );
        assert_eq!(
            check_checkpoint(&head(4, "d"), Some(&signed(3, "c")), &key()).map_err(|p| p.code()),
            Err("extended")
        );
    }

    #[test]
    fn only_a_trusted_checkpoint_is_carried_forward() {
        assert_eq!(next_head(None, &key(), GENESIS, "a"), Some(head(1, "a")));
        assert_eq!(
            next_head(Some(&signed(3, "c")), &key(), "c", "d"),
            Some(head(4, "d"))
        );
        // After truncation, a deleted checkpoint or a forged one, the last good head stays.
        assert_eq!(next_head(Some(&signed(3, "c")), &key(), "a", "b"), None);
        assert_eq!(next_head(None, &key(), "c", "d"), None);
        let mut forged = signed(3, "c");
        forged.head.count = 1;
        assert_eq!(next_head(Some(&forged), &key(), "c", "d"), None);
    }
}
