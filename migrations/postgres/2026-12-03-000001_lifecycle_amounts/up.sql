-- The amounts of the lifecycle, each with its date (domain::amounts::LifecycleAmounts):
-- 申請額 (the engine's subsidy over the lines as the applicant asked, at submission), 審査後
-- (the engine's subsidy over the reviewed lines, once a finance officer reviewed one), the
-- 交付決定日 of the 事務局's 交付決定額, the 確定日, and the 支払額 with its 支払日.
ALTER TABLE applications ADD COLUMN requested_subsidy_yen BIGINT;
ALTER TABLE applications ADD COLUMN reviewed_subsidy_yen BIGINT;
ALTER TABLE applications ADD COLUMN decided_on DATE;
ALTER TABLE applications ADD COLUMN confirmed_on DATE;
ALTER TABLE applications ADD COLUMN paid_yen BIGINT;
ALTER TABLE applications ADD COLUMN paid_on DATE;
-- Applications submitted before: the engine's latest answer is the best 申請額 known.
UPDATE applications SET requested_subsidy_yen = subsidy_yen
    WHERE status <> 'draft' AND decision_json IS NOT NULL;
