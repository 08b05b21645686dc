-- 計画変更 (docs/DOMAIN.md §4.4): the amount a change request gives a line is kept beside the
-- amount the applicant asked for. amount_yen stays the 申請額 for good; changed_amount_yen is
-- the line's amount in the plan once a change is recorded or approved (NULL: never changed).
ALTER TABLE budget_lines ADD COLUMN changed_amount_yen BIGINT CHECK (changed_amount_yen >= 0);
