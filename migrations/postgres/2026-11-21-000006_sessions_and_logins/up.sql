-- Sessions of logged-in people (docs/SECURITY.md). The cookie carries a random 256-bit token;
-- a row holds only its SHA-256 (hex), so a copy of the database opens no session. Logout
-- deletes the row, a new password deletes every row of its user, and a row idle for longer
-- than session_idle_minutes or older than session_absolute_hours opens nothing (and is
-- deleted). data_json is the rest of the session's state (CSRF token, a one-time notice).
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    data_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_last_seen_at ON sessions(last_seen_at);
CREATE INDEX sessions_created_at ON sessions(created_at);
-- Failed logins, counted per account and per client address within
-- login_failure_window_minutes (older rows are deleted as new ones come). account_hash is the SHA-256 of the email as typed (lower case), never the text: a password
-- typed into the email field is not kept.
CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    account_hash TEXT NOT NULL,
    address TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_account ON login_failures(account_hash, attempted_at);
CREATE INDEX login_failures_address ON login_failures(address, attempted_at);
CREATE INDEX login_failures_attempted_at ON login_failures(attempted_at);
