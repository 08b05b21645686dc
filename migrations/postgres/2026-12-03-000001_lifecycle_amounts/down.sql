ALTER TABLE applications DROP COLUMN paid_on;
ALTER TABLE applications DROP COLUMN paid_yen;
ALTER TABLE applications DROP COLUMN confirmed_on;
ALTER TABLE applications DROP COLUMN decided_on;
ALTER TABLE applications DROP COLUMN reviewed_subsidy_yen;
ALTER TABLE applications DROP COLUMN requested_subsidy_yen;
