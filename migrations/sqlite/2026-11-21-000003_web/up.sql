-- Password reset by an emailed token (issue 7). Only the token's SHA-256 is stored: a copy of
-- the database does not let anyone reset a password. A token works once, until expires_at.
CREATE TABLE password_reset_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX password_reset_tokens_user ON password_reset_tokens(user_id);
