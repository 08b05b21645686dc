//! Diesel's view of the tables in `migrations/*/` (both backends share it).
// Written by hand to the migrations; `tests/api/migrations.rs` checks that every column here
// exists with a compatible type on both backends.

diesel::table! {
    municipalities (id) {
        id -> BigInt,
        local_government_code -> Text,
        name -> Text,
        prefecture -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organisations (id) {
        id -> BigInt,
        corporate_number -> Nullable<Text>,
        name -> Text,
        name_key -> Text,
        kind -> Text,
        industry -> Nullable<Text>,
        employees -> Nullable<BigInt>,
        capital_yen -> Nullable<BigInt>,
        prefecture -> Nullable<Text>,
        municipality_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    organisation_aliases (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        alias -> Text,
        alias_key -> Text,
        source -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Nullable<Text>,
        municipality_id -> Nullable<BigInt>,
        calendar_token -> Nullable<Text>,
        notify_by_email -> Bool,
        disabled -> Bool,
        created_at -> Timestamp,
        reminder_offsets -> Nullable<Text>,
        weekly_digest -> Bool,
    }
}

diesel::table! {
    password_reset_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        data_json -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        account_hash -> Text,
        address -> Text,
        attempted_at -> Timestamp,
    }
}

diesel::table! {
    memberships (user_id, organisation_id) {
        user_id -> BigInt,
        organisation_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    name_reviews (id) {
        id -> BigInt,
        award_code -> Text,
        listed_as -> Text,
        name_key -> Text,
        candidate_ids -> Text,
        reason -> Text,
        status -> Text,
        resolved_organisation_id -> Nullable<BigInt>,
        resolved_by -> Nullable<BigInt>,
        resolved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    program_years (fiscal_year) {
        fiscal_year -> Integer,
        name_ja -> Text,
        rules_version -> Text,
        loaded_at -> Timestamp,
    }
}

diesel::table! {
    applications (id) {
        id -> BigInt,
        reference -> Text,
        fiscal_year -> Integer,
        frame -> Text,
        status -> Text,
        title -> Text,
        lead_organisation_id -> BigInt,
        municipality_id -> Nullable<BigInt>,
        application_date -> Nullable<Date>,
        project_start -> Nullable<Date>,
        project_end -> Nullable<Date>,
        eligible_expenses_yen -> BigInt,
        subsidy_yen -> BigInt,
        award_ordinal -> Nullable<Integer>,
        decision_json -> Nullable<Text>,
        frozen_decision_json -> Nullable<Text>,
        decided_subsidy_yen -> Nullable<BigInt>,
        confirmed_subsidy_yen -> Nullable<BigInt>,
        tax_treatment -> Text,
        version -> Integer,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        requested_subsidy_yen -> Nullable<BigInt>,
        reviewed_subsidy_yen -> Nullable<BigInt>,
        decided_on -> Nullable<Date>,
        confirmed_on -> Nullable<Date>,
        paid_yen -> Nullable<BigInt>,
        paid_on -> Nullable<Date>,
    }
}

diesel::table! {
    application_members (application_id, organisation_id) {
        application_id -> BigInt,
        organisation_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    partners (id) {
        id -> BigInt,
        application_id -> BigInt,
        position -> Integer,
        kind -> Text,
        name -> Text,
        municipality_id -> Nullable<BigInt>,
        agreement -> Nullable<Text>,
    }
}

diesel::table! {
    legal_bases (id) {
        id -> BigInt,
        application_id -> BigInt,
        path -> Text,
        holder_name -> Text,
        holder_organisation_id -> Nullable<BigInt>,
        granted_by -> Text,
        granted_on -> Date,
        valid_until -> Nullable<Date>,
        includes_talent_measures -> Bool,
        evidence_reference -> Nullable<Text>,
        evidence_file -> Nullable<Text>,
    }
}

diesel::table! {
    activities (id) {
        id -> BigInt,
        application_id -> BigInt,
        position -> Integer,
        name -> Text,
        category -> Text,
        executive_internship -> Bool,
        kpi -> Nullable<Text>,
    }
}

diesel::table! {
    budget_lines (id) {
        id -> BigInt,
        application_id -> BigInt,
        activity_id -> BigInt,
        position -> Integer,
        category -> Text,
        description -> Text,
        amount_yen -> BigInt,
        funding_source -> Text,
        co_funding_sources -> Nullable<Text>,
        review_state -> Text,
        reviewed_amount_yen -> Nullable<BigInt>,
        review_reason -> Nullable<Text>,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        actual_amount_yen -> Nullable<BigInt>,
        version -> Integer,
        changed_amount_yen -> Nullable<BigInt>,
    }
}

diesel::table! {
    awards (id) {
        id -> BigInt,
        award_code -> Text,
        fiscal_year -> Integer,
        frame -> Text,
        law_path -> Nullable<Text>,
        application_id -> Nullable<BigInt>,
        origin -> Text,
        seed_ref -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    award_members (award_id, organisation_id) {
        award_id -> BigInt,
        organisation_id -> BigInt,
        listed_as -> Text,
        role -> Text,
        counts -> Bool,
        override_reason -> Nullable<Text>,
    }
}

diesel::table! {
    deadlines (id) {
        id -> BigInt,
        application_id -> BigInt,
        kind -> Text,
        sequence -> Integer,
        due_at -> Timestamp,
        status -> Text,
        met_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        application_id -> BigInt,
        kind -> Text,
        status -> Text,
        body_json -> Text,
        submitted_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<BigInt>,
        review_reason -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    change_requests (id) {
        id -> BigInt,
        application_id -> BigInt,
        status -> Text,
        reason -> Text,
        changes_json -> Text,
        requires_approval -> Bool,
        requested_by -> Nullable<BigInt>,
        decided_by -> Nullable<BigInt>,
        decision_reason -> Nullable<Text>,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    continuation_surveys (id) {
        id -> BigInt,
        award_id -> BigInt,
        survey_year -> Integer,
        status -> Text,
        continuation -> Nullable<Text>,
        funding_mix_json -> Nullable<Text>,
        evidence -> Nullable<Text>,
        answered_by -> Nullable<BigInt>,
        answered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        application_id -> Nullable<BigInt>,
        actor_user_id -> Nullable<BigInt>,
        occurred_at -> Timestamp,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Nullable<Text>,
        reason -> Nullable<Text>,
        changes_json -> Text,
        previous_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_checkpoint (id) {
        id -> Integer,
        event_count -> BigInt,
        last_hash -> Text,
        recorded_at -> Timestamp,
        signature -> Text,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        unique_key -> Nullable<Text>,
        payload_json -> Text,
        status -> Text,
        run_at -> Timestamp,
        attempts -> Integer,
        max_attempts -> Integer,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sent_emails (id) {
        id -> BigInt,
        job_id -> Nullable<BigInt>,
        application_id -> Nullable<BigInt>,
        deadline_id -> Nullable<BigInt>,
        recipient -> Text,
        template -> Text,
        message_id -> Nullable<Text>,
        outcome -> Text,
        detail -> Nullable<Text>,
        sent_at -> Timestamp,
        subject -> Nullable<Text>,
    }
}

diesel::table! {
    send_attempts (id) {
        id -> BigInt,
        job_id -> BigInt,
        attempt -> Integer,
        worker -> Text,
        message_id -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    evidence_files (id) {
        id -> BigInt,
        application_id -> BigInt,
        file_name -> Text,
        content_type -> Text,
        byte_size -> BigInt,
        sha256 -> Text,
        bytes -> Binary,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
        report_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    award_imports (id) {
        id -> BigInt,
        file_name -> Text,
        csv_text -> Text,
        status -> Text,
        row_count -> Integer,
        matched -> Integer,
        created -> Integer,
        queued -> Integer,
        new_organisations -> Integer,
        new_award_members -> Integer,
        steps_total -> Integer,
        organisations_created -> Nullable<Integer>,
        names_added -> Nullable<Integer>,
        awards_created -> Nullable<Integer>,
        members_created -> Nullable<Integer>,
        reviews_queued -> Nullable<Integer>,
        job_id -> Nullable<BigInt>,
        error -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    correction_requests (id) {
        id -> BigInt,
        application_id -> BigInt,
        returned_event_id -> BigInt,
        reason -> Text,
        reply_due_on -> Nullable<Date>,
        returned_by -> Nullable<BigInt>,
        returned_at -> Timestamp,
        reply -> Nullable<Text>,
        replied_by -> Nullable<BigInt>,
        replied_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    budget_line_last_reviews (budget_line_id) {
        budget_line_id -> BigInt,
        application_id -> BigInt,
        category -> Text,
        description -> Text,
        amount_yen -> BigInt,
        funding_source -> Text,
        review_state -> Text,
        reviewed_amount_yen -> Nullable<BigInt>,
        review_reason -> Nullable<Text>,
    }
}

diesel::joinable!(organisation_aliases -> organisations (organisation_id));
diesel::joinable!(memberships -> organisations (organisation_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(password_reset_tokens -> users (user_id));
diesel::joinable!(applications -> organisations (lead_organisation_id));
diesel::joinable!(correction_requests -> applications (application_id));
diesel::joinable!(budget_line_last_reviews -> budget_lines (budget_line_id));
diesel::joinable!(applications -> municipalities (municipality_id));
diesel::joinable!(application_members -> applications (application_id));
diesel::joinable!(application_members -> organisations (organisation_id));
diesel::joinable!(partners -> applications (application_id));
diesel::joinable!(legal_bases -> applications (application_id));
diesel::joinable!(activities -> applications (application_id));
diesel::joinable!(budget_lines -> activities (activity_id));
diesel::joinable!(award_members -> awards (award_id));
diesel::joinable!(award_members -> organisations (organisation_id));
diesel::joinable!(deadlines -> applications (application_id));
diesel::joinable!(reports -> applications (application_id));
diesel::joinable!(change_requests -> applications (application_id));
diesel::joinable!(continuation_surveys -> awards (award_id));
diesel::joinable!(evidence_files -> applications (application_id));
diesel::joinable!(evidence_files -> reports (report_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(send_attempts -> jobs (job_id));

diesel::allow_tables_to_appear_in_same_query!(
    municipalities,
    organisations,
    organisation_aliases,
    users,
    memberships,
    name_reviews,
    program_years,
    applications,
    application_members,
    partners,
    legal_bases,
    activities,
    budget_lines,
    awards,
    award_members,
    deadlines,
    reports,
    change_requests,
    continuation_surveys,
    audit_events,
    audit_checkpoint,
    jobs,
    sent_emails,
    send_attempts,
    password_reset_tokens,
    sessions,
    login_failures,
    evidence_files,
    award_imports,
    correction_requests,
    budget_line_last_reviews,
);
