DROP TABLE budget_line_last_reviews;
DROP TABLE correction_requests;
