-- Per-user reminder preferences (issue 5). NULL offsets: the service's `reminder_offsets`.
ALTER TABLE users ADD COLUMN reminder_offsets TEXT;
ALTER TABLE users ADD COLUMN weekly_digest BOOLEAN NOT NULL DEFAULT TRUE;
-- The scheduler looks up open deadlines by due time and the worker claims jobs by status and
-- time; a reclaim after a crash looks for expired leases.
CREATE INDEX jobs_status_locked_until ON jobs(status, locked_until);
CREATE INDEX sent_emails_job ON sent_emails(job_id);
