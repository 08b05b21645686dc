-- A file belongs either to the legal basis (report_id NULL, as before) or to one report (the
-- attachments of an interim report, shown to the 事務局 next to 受理・差戻し). Same bytes, same
-- checks, same download.
ALTER TABLE evidence_files ADD COLUMN report_id BIGINT REFERENCES reports(id) ON DELETE CASCADE;
CREATE INDEX evidence_files_report ON evidence_files(report_id);
