-- Every message the mail worker puts on the wire (docs/SECURITY.md, "Mail"). A row is written
-- and committed before the message is sent, and completed after the server's answer, so a
-- message that arrived twice shows as two attempts of one job. An attempt never completed is
-- one whose worker stopped while sending: its message may or may not have arrived.
CREATE TABLE send_attempts (
    id INTEGER PRIMARY KEY,
    job_id BIGINT NOT NULL REFERENCES jobs(id),
    attempt INTEGER NOT NULL,                    -- the job's claim (jobs.attempts when claimed)
    worker TEXT NOT NULL,
    message_id TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome TEXT CHECK (outcome IN ('accepted', 'temporary_failure', 'permanent_failure')),
    detail TEXT,
    CHECK ((finished_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX send_attempts_job ON send_attempts(job_id);
