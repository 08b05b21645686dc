-- Award lists uploaded by a program manager (issue 7): the file as uploaded, the dry-run
-- plan's counts, and, once applied by the job queue (job kind award_import), what was written.
CREATE TABLE award_imports (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    csv_text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned', 'queued', 'running', 'done', 'failed')),
    row_count INTEGER NOT NULL,
    matched INTEGER NOT NULL,
    created INTEGER NOT NULL,
    queued INTEGER NOT NULL,
    new_organisations INTEGER NOT NULL,
    new_award_members INTEGER NOT NULL,
    steps_total INTEGER NOT NULL,
    organisations_created INTEGER,
    names_added INTEGER,
    awards_created INTEGER,
    members_created INTEGER,
    reviews_queued INTEGER,
    job_id BIGINT REFERENCES jobs(id),
    error TEXT,
    created_by BIGINT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
-- The reminder log shows each email's subject as it was sent (NULL for mail sent before).
ALTER TABLE sent_emails ADD COLUMN subject TEXT;
CREATE INDEX sent_emails_sent_at ON sent_emails(sent_at);
