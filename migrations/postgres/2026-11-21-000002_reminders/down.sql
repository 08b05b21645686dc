DROP INDEX sent_emails_job;
DROP INDEX jobs_status_locked_until;
ALTER TABLE users DROP COLUMN weekly_digest;
ALTER TABLE users DROP COLUMN reminder_offsets;
