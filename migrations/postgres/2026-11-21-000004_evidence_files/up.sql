-- Evidence files of the legal basis (法制度連携枠: the approval or certification documents),
-- kept in the database so that a backup of it is a backup of everything. Only PDF, PNG and
-- JPEG are accepted (checked by their first bytes); content_type is the type those bytes
-- show, never the one the browser declared. sha256 lets a printed or mailed copy be matched.
CREATE TABLE evidence_files (
    id BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    byte_size BIGINT NOT NULL CHECK (byte_size > 0),
    sha256 TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users(id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX evidence_files_application ON evidence_files(application_id);
