-- 差戻し and the applicant's answer: the 事務局's reason and reply deadline, and the reply sent
-- with the resubmission. One row per 差戻し; the audit events record the same acts.
CREATE TABLE correction_requests (
    id BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    returned_event_id BIGINT NOT NULL REFERENCES audit_events(id),
    reason TEXT NOT NULL,
    reply_due_on DATE,                           -- given by the 事務局 (JST); NULL: the programme's default
    returned_by BIGINT REFERENCES users(id),
    returned_at TIMESTAMP NOT NULL,
    reply TEXT,                                  -- kept as typed on save, sent on resubmission
    replied_by BIGINT REFERENCES users(id),
    replied_at TIMESTAMP
);
CREATE INDEX correction_requests_application ON correction_requests(application_id);

-- A budget line the applicant changed after the finance officer reviewed it: its values as last
-- reviewed, so that the officer sees before → after. Removed with the line.
CREATE TABLE budget_line_last_reviews (
    budget_line_id BIGINT PRIMARY KEY REFERENCES budget_lines(id) ON DELETE CASCADE,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    amount_yen BIGINT NOT NULL CHECK (amount_yen >= 0),
    funding_source TEXT NOT NULL,
    review_state TEXT NOT NULL CHECK (review_state IN ('approved', 'adjusted', 'rejected')),
    reviewed_amount_yen BIGINT CHECK (reviewed_amount_yen >= 0),
    review_reason TEXT
);
CREATE INDEX budget_line_last_reviews_application ON budget_line_last_reviews(application_id);
