DROP INDEX sent_emails_sent_at;
ALTER TABLE sent_emails DROP COLUMN subject;
DROP TABLE award_imports;
