-- The head of the audit chain (docs/SECURITY.md, Audit trail): how many events it holds and
-- the last hash, rewritten by every db::audit::append in the event's own transaction and
-- signed with HMAC-SHA256 under audit_key, a key the database does not hold. Deleting the
-- last events leaves a chain that still links; this row still counts them. One row only.
CREATE TABLE audit_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    event_count BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    signature TEXT NOT NULL
);
