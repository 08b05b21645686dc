DROP INDEX evidence_files_report;
ALTER TABLE evidence_files DROP COLUMN report_id;
