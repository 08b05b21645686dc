-- The initial hojokin schema. The SQLite twin of this file differs only in the identity
-- column type (INTEGER PRIMARY KEY there). Times are UTC; money is whole yen in BIGINT.

CREATE TABLE municipalities (
    id BIGSERIAL PRIMARY KEY,
    local_government_code TEXT NOT NULL UNIQUE, -- 全国地方公共団体コード (6 digits)
    name TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE organisations (
    id BIGSERIAL PRIMARY KEY,
    corporate_number TEXT UNIQUE,               -- 法人番号: the identity when known
    name TEXT NOT NULL,                         -- canonical name
    name_key TEXT NOT NULL,                     -- domain::names::org_key(name)
    kind TEXT NOT NULL,                         -- applicant kind code
    industry TEXT,
    employees BIGINT,
    capital_yen BIGINT,
    prefecture TEXT,
    municipality_id BIGINT REFERENCES municipalities(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX organisations_name_key ON organisations(name_key);

CREATE TABLE organisation_aliases (
    id BIGSERIAL PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    alias_key TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, alias_key)
);
CREATE INDEX organisation_aliases_key ON organisation_aliases(alias_key);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('applicant', 'finance_officer', 'program_manager')),
    password_hash TEXT,                          -- argon2 PHC string
    municipality_id BIGINT REFERENCES municipalities(id),
    calendar_token TEXT UNIQUE,
    notify_by_email BOOLEAN NOT NULL DEFAULT TRUE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    CHECK (role <> 'finance_officer' OR municipality_id IS NOT NULL)
);

CREATE TABLE memberships (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, organisation_id)
);

-- Uncertain name matches from award imports: never merged without a person deciding.
CREATE TABLE name_reviews (
    id BIGSERIAL PRIMARY KEY,
    award_code TEXT NOT NULL,
    listed_as TEXT NOT NULL,
    name_key TEXT NOT NULL,
    candidate_ids TEXT NOT NULL,                 -- JSON array of organisation ids
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'merged', 'kept_apart')),
    resolved_organisation_id BIGINT REFERENCES organisations(id),
    resolved_by BIGINT REFERENCES users(id),
    resolved_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (award_code, name_key)
);

-- Which version of each year's rules was loaded, so that a decision names its rules.
CREATE TABLE program_years (
    fiscal_year INTEGER PRIMARY KEY,
    name_ja TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

CREATE TABLE applications (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,              -- printed on filings, e.g. R8-0001
    fiscal_year INTEGER NOT NULL,
    frame TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    lead_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    municipality_id BIGINT REFERENCES municipalities(id), -- whose finance officers review it
    application_date DATE,
    project_start DATE,
    project_end DATE,
    eligible_expenses_yen BIGINT NOT NULL DEFAULT 0,
    subsidy_yen BIGINT NOT NULL DEFAULT 0,
    award_ordinal INTEGER,
    decision_json TEXT,                          -- the engine's latest decision
    frozen_decision_json TEXT,                   -- fixed at 交付決定, never changed afterwards
    decided_subsidy_yen BIGINT,
    confirmed_subsidy_yen BIGINT,
    tax_treatment TEXT NOT NULL DEFAULT 'net',
    version INTEGER NOT NULL DEFAULT 1,          -- optimistic locking
    created_by BIGINT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX applications_year_status ON applications(fiscal_year, status);
CREATE INDEX applications_municipality ON applications(municipality_id);
CREATE INDEX applications_lead ON applications(lead_organisation_id);

CREATE TABLE application_members (
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    role TEXT NOT NULL CHECK (role IN ('lead', 'co_applicant')),
    PRIMARY KEY (application_id, organisation_id)
);
CREATE INDEX application_members_organisation ON application_members(organisation_id);

CREATE TABLE partners (
    id BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    municipality_id BIGINT REFERENCES municipalities(id),
    agreement TEXT                               -- 連携同意書 / 協定書
);
CREATE INDEX partners_application ON partners(application_id);

CREATE TABLE legal_bases (
    id BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL UNIQUE REFERENCES applications(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    holder_organisation_id BIGINT REFERENCES organisations(id),
    granted_by TEXT NOT NULL,
    granted_on DATE NOT NULL,
    valid_until DATE,
    includes_talent_measures BOOLEAN NOT NULL,
    evidence_reference TEXT,
    evidence_file TEXT
);

CREATE TABLE activities (
    id BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    executive_internship BOOLEAN NOT NULL DEFAULT FALSE,
    kpi TEXT
);
CREATE INDEX activities_application ON activities(application_id);

CREATE TABLE budget_lines (
    id BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    activity_id BIGINT NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    category TEXT NOT NULL,                      -- expense category code
    description TEXT NOT NULL,
    amount_yen BIGINT NOT NULL CHECK (amount_yen >= 0),
    funding_source TEXT NOT NULL,
    co_funding_sources TEXT,                     -- other sources the same cost is funded by
    review_state TEXT NOT NULL DEFAULT 'pending'
        CHECK (review_state IN ('pending', 'approved', 'adjusted', 'rejected')),
    reviewed_amount_yen BIGINT CHECK (reviewed_amount_yen >= 0),
    review_reason TEXT,
    reviewed_by BIGINT REFERENCES users(id),
    reviewed_at TIMESTAMP,
    actual_amount_yen BIGINT CHECK (actual_amount_yen >= 0), -- from the completion report
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX budget_lines_application ON budget_lines(application_id);

-- The award ledger: imported history and awards decided here.
CREATE TABLE awards (
    id BIGSERIAL PRIMARY KEY,
    award_code TEXT NOT NULL UNIQUE,             -- e.g. R6-一般枠-A7
    fiscal_year INTEGER NOT NULL,
    frame TEXT NOT NULL,                         -- frame code of that year's programme
    law_path TEXT,
    application_id BIGINT REFERENCES applications(id),
    origin TEXT NOT NULL CHECK (origin IN ('imported', 'decided')),
    seed_ref TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE award_members (
    award_id BIGINT NOT NULL REFERENCES awards(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    listed_as TEXT NOT NULL,                     -- the name exactly as printed
    role TEXT NOT NULL CHECK (role IN ('sole', 'lead', 'co_applicant')),
    counts BOOLEAN NOT NULL DEFAULT TRUE,        -- 事務局 override of DOMAIN §8 Q1, with a reason
    override_reason TEXT,
    PRIMARY KEY (award_id, organisation_id)
);
CREATE INDEX award_members_organisation ON award_members(organisation_id);

CREATE TABLE deadlines (
    id BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    sequence INTEGER NOT NULL DEFAULT 1,
    due_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'met', 'cancelled')),
    met_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (application_id, kind, sequence)
);
CREATE INDEX deadlines_status_due ON deadlines(status, due_at);

CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('interim', 'completion')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'accepted', 'returned')),
    body_json TEXT NOT NULL,
    submitted_at TIMESTAMP,
    reviewed_by BIGINT REFERENCES users(id),
    review_reason TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX reports_application ON reports(application_id);

CREATE TABLE change_requests (
    id BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'recorded')),
    reason TEXT NOT NULL,
    changes_json TEXT NOT NULL,
    requires_approval BOOLEAN NOT NULL,
    requested_by BIGINT REFERENCES users(id),
    decided_by BIGINT REFERENCES users(id),
    decision_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP
);
CREATE INDEX change_requests_application ON change_requests(application_id);

CREATE TABLE continuation_surveys (
    id BIGSERIAL PRIMARY KEY,
    award_id BIGINT NOT NULL REFERENCES awards(id) ON DELETE CASCADE,
    survey_year INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'answered')),
    continuation TEXT CHECK (continuation IN ('continuing', 'partly', 'stopped')),
    funding_mix_json TEXT,
    evidence TEXT,
    answered_by BIGINT REFERENCES users(id),
    answered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (award_id, survey_year)
);

-- Append-only and hash-chained; rows outlive the applications they describe.
CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    application_id BIGINT REFERENCES applications(id),
    actor_user_id BIGINT REFERENCES users(id),
    occurred_at TIMESTAMP NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    reason TEXT,
    changes_json TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_events_application ON audit_events(application_id);

-- The durable job queue: effects (mail, PDFs) are enqueued in the transaction that causes them.
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    unique_key TEXT UNIQUE,                      -- makes an enqueue idempotent
    payload_json TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'done', 'dead', 'cancelled')),
    run_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 8,
    locked_by TEXT,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX jobs_status_run_at ON jobs(status, run_at);

CREATE TABLE sent_emails (
    id BIGSERIAL PRIMARY KEY,
    job_id BIGINT REFERENCES jobs(id),
    application_id BIGINT REFERENCES applications(id),
    deadline_id BIGINT REFERENCES deadlines(id),
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    message_id TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    sent_at TIMESTAMP NOT NULL
);
CREATE INDEX sent_emails_application ON sent_emails(application_id);
