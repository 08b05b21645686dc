ALTER TABLE budget_lines DROP COLUMN changed_amount_yen;
