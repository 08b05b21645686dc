//! The use cases of the workflow. Each one, in a single transaction: loads the facts through
//! `db`, asks `domain` whether and how the application moves, and writes the new state, its
//! effects (award, frozen decision, jobs) and an audit event. The web API and the tests call
//! these; they hold no rules of their own.

pub mod drafts;
pub mod manager;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::contract::application_of_request;
use crate::contract::decision::StoredDecision;
use crate::contract::given::{Given, Text};
use crate::contract::request::{ActivityFields, ApplicantFields, PeriodFields, Request};
use crate::db::applications::{self, Aggregate};
use crate::db::{self, DbConnection, audit, jobs, workflow as store};
use crate::domain::budget::{self, CategoryBudget, FrozenDecision, LineAmounts, LineReview};
use crate::domain::codes::{ActivityCategory, ApplicantRole};
use crate::domain::evaluation::{Decision, Severity, evaluate};
use crate::domain::ledger::Ledger;
use crate::domain::money::Yen;
use crate::domain::program::ProgramSet;
use crate::domain::validation::{ErrorCode, FieldErrors};
use crate::domain::workflow::{
    self, Action, Actor, ApplicationState, Effect, Facts, WorkflowError,
};
use crate::error::{AppError, AppResult, ErrorKind};

/// What the caller sends with an action.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// The application's version the caller read (optimistic locking).
    pub version: i32,
    /// Required for 差戻し, 不採択, 取下げ, 中止・廃止, 取消, 計画変更 and their refusals.
    #[serde(default)]
    pub reason: Option<String>,
    /// Action-specific content: `{"body"}` for an interim report, `{"lines": [{"line_id",
    /// "amount_yen"}]}` for a change request, `{"body", "actuals": [{"line_id", "amount_yen"}]}`
    /// for the completion report, `{"continuation", "funding_mix", "evidence"}` for the survey.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub payload: Value,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ActionOutcome {
    pub application_id: i64,
    pub state: ApplicationState,
    pub version: i32,
    pub audit_event_id: i64,
}

fn workflow_error(error: WorkflowError) -> AppError {
    match error {
        WorkflowError::Forbidden => AppError::forbidden(),
        WorkflowError::NotAllowedInState { .. } => AppError::conflict(error.to_string()),
        WorkflowError::ReasonRequired => {
            field_error("reason", ErrorCode::Required, error.to_string())
        }
        WorkflowError::Ineligible { ref codes } => {
            let mut errors = FieldErrors::new();
            for code in codes {
                errors.add("", ErrorCode::Ineligible, format!("{error}: {code}"));
            }
            AppError::invalid(errors)
        }
        WorkflowError::Invalid(message) => AppError::new(ErrorKind::BadRequest, message),
    }
}

fn field_error(path: &str, code: ErrorCode, message: impl Into<String>) -> AppError {
    let mut errors = FieldErrors::new();
    errors.add(path, code, message.into());
    AppError::invalid(errors)
}

/// Loads the application and checks that the actor may do `action` to it.
pub fn authorized_aggregate(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
    action: Action,
) -> AppResult<Aggregate> {
    let aggregate = applications::load_aggregate(conn, application_id)?;
    workflow::authorize(actor, action, &aggregate.scope()).map_err(workflow_error)?;
    Ok(aggregate)
}

/// The ledger as the engine must see it for this application: every countable award except
/// the application's own (which exists from 採択 on and must not count against itself).
fn ledger_for(conn: &mut DbConnection, application_id: i64) -> AppResult<Ledger> {
    let own = store::award_of_application(conn, application_id)?;
    db::awards::load_ledger_excluding(conn, own)
}

/// Runs the engine on the application as stored and records its answer.
pub fn reevaluate(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    aggregate: &Aggregate,
    today: NaiveDate,
) -> AppResult<StoredDecision> {
    let ledger = ledger_for(conn, aggregate.application.id)?;
    let parsed = aggregate.to_application(today).map_err(AppError::invalid)?;
    let program = programs.program_for(&parsed).map_err(AppError::invalid)?;
    let decision = StoredDecision::from(&evaluate(&parsed, &ledger, program));
    applications::record_decision(conn, aggregate.application.id, &decision)?;
    Ok(decision)
}

/// The engine's answer for an application as it would be (the editor's live preview), with
/// nothing written: the same ledger and rules as [`reevaluate`].
pub fn preview(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    aggregate: &Aggregate,
    today: NaiveDate,
) -> AppResult<StoredDecision> {
    let ledger = ledger_for(conn, aggregate.application.id)?;
    let parsed = aggregate.to_application(today).map_err(AppError::invalid)?;
    let program = programs.program_for(&parsed).map_err(AppError::invalid)?;
    Ok(StoredDecision::from(&evaluate(&parsed, &ledger, program)))
}

/// What an organisation would get if it applied alone under the latest programme: every
/// frame side by side (award ordinal, rate, cap, and the findings that would refuse it).
/// `Ok(Err(_))` when the organisation's record lacks what the engine needs (kind, size).
pub fn award_outlook(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    organisation_id: i64,
    today: NaiveDate,
) -> AppResult<Result<Vec<StoredDecision>, FieldErrors>> {
    let Some(program) = programs.latest() else {
        return Err(AppError::internal("事業年度の定義がありません"));
    };
    let organisation = db::organisations::get_organisation(conn, organisation_id)?;
    let year = program.fiscal_year.0;
    let frame = program
        .frames
        .first()
        .map(|frame| frame.code.as_str())
        .unwrap_or_default();
    // A minimal application of one empty activity: only who applies matters here.
    let application_date = program
        .application_window
        .as_ref()
        .map_or(today, |window| window.opens);
    let request = Request {
        fiscal_year: Given::Value(i64::from(year)),
        frame: Given::Value(Text(frame.into())),
        application_date: Given::Value(Text(application_date.to_string().into())),
        applicants: Given::Value(vec![ApplicantFields {
            name: Given::Value(Text(organisation.name.as_str().into())),
            corporate_number: organisation
                .corporate_number
                .as_deref()
                .map_or(Given::Null, |number| Given::Value(Text(number.into()))),
            kind: Given::Value(Text(organisation.kind.as_str().into())),
            employees: organisation.employees.map_or(Given::Null, Given::Value),
            capital_yen: organisation.capital_yen.map_or(Given::Null, Given::Value),
            industry: organisation
                .industry
                .as_deref()
                .map_or(Given::Null, |industry| Given::Value(Text(industry.into()))),
            role: Given::Value(Text(ApplicantRole::Lead.as_str().into())),
        }]),
        partners: Given::Value(Vec::new()),
        legal_basis: Given::Null,
        project_period: Given::Value(PeriodFields {
            start: Given::Value(Text(format!("{year}-07-01").into())),
            end: Given::Value(Text(format!("{}-02-28", year + 1).into())),
        }),
        activities: Given::Value(vec![ActivityFields {
            name: Given::Value(Text("-".into())),
            category: Given::Value(Text(ActivityCategory::Other.as_str().into())),
            executive_internship: Given::Value(false),
            budget_lines: Given::Value(Vec::new()),
        }]),
        history: Given::Missing,
        all_frames: Given::Missing,
    };
    let parsed = match application_of_request(request) {
        Ok(parsed) => parsed,
        Err(errors) => return Ok(Err(errors)),
    };
    let ledger = db::awards::load_ledger(conn)?;
    let all = crate::domain::evaluation::evaluate_all_frames(&parsed, &ledger, program);
    Ok(Ok(all.decisions.iter().map(StoredDecision::from).collect()))
}

fn error_codes(decision: &Decision<'_>) -> Vec<String> {
    decision
        .findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error)
        .map(|finding| finding.code.to_owned())
        .collect()
}

/// Performs a workflow action. Everything it writes is in one transaction: a refusal (403,
/// 409, 422) leaves the database exactly as it was.
pub fn perform(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    application_id: i64,
    action: Action,
    request: &ActionRequest,
    today: NaiveDate,
) -> AppResult<ActionOutcome> {
    if matches!(
        action,
        Action::View | Action::EditDraft | Action::ReviewBudgetLine | Action::ViewAudit
    ) {
        return Err(AppError::new(
            ErrorKind::BadRequest,
            format!("{action} は操作のエンドポイントでは行えません"),
        ));
    }
    crate::db::write(conn, |conn| {
        lock_members(conn, application_id)?;
        let aggregate = authorized_aggregate(conn, actor, application_id, action)?;
        if aggregate.application.version != request.version {
            return Err(applications::stale());
        }
        let state = aggregate.state();
        let reason = request
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let mut facts = Facts {
            engine: None,
            reason_given: reason.is_some(),
        };
        let mut stored = None;
        if action.reruns_engine() {
            let ledger = ledger_for(conn, application_id)?;
            let parsed = aggregate.to_application(today).map_err(AppError::invalid)?;
            let program = programs.program_for(&parsed).map_err(AppError::invalid)?;
            let decision = evaluate(&parsed, &ledger, program);
            facts.engine = Some(if decision.eligible {
                Ok(())
            } else {
                Err(error_codes(&decision))
            });
            // Written with the decision that allows the transition; the transaction is undone
            // as a whole if the transition is refused after all.
            if decision.eligible && action == Action::DecideGrant {
                let frozen = freeze(&aggregate, &decision)?;
                store::freeze_decision(conn, application_id, &frozen)?;
            }
            let decision = StoredDecision::from(&decision);
            applications::record_decision(conn, application_id, &decision)?;
            stored = Some(decision);
        }
        let transition = workflow::transition(state, action, &facts).map_err(workflow_error)?;
        let changes = sub_flow(
            conn, programs, actor, &aggregate, action, request, reason, today,
        )?;
        let version =
            applications::update_state(conn, application_id, request.version, transition.to)?;
        let audit_event_id = audit::append(
            conn,
            &audit::NewAuditEvent {
                application_id: Some(application_id),
                actor_user_id: Some(actor.user_id),
                action: action.code(),
                from_state: Some(transition.from.code()),
                to_state: Some(transition.to.code()),
                reason,
                changes: json!({ "effects": &transition.effects, "details": changes, "decision": stored.as_ref().map(|d| json!({
                    "eligible": d.eligible, "award_ordinal": d.award_ordinal, "subsidy_yen": d.subsidy_yen,
                })) }),
            },
        )?;
        for effect in &transition.effects {
            carry_out(conn, &aggregate, effect, audit_event_id)?;
        }
        // The application's deadlines follow its new state in the same transaction: a filed
        // report closes its deadline (and cancels its queued reminders) atomically.
        db::deadlines::sync_application(conn, programs, application_id)?;
        Ok(ActionOutcome {
            application_id,
            state: transition.to,
            version,
            audit_event_id,
        })
    })
}

/// On PostgreSQL, locks the member organisations so that two applications of one
/// organisation cannot both pass the award cap at the same moment. (SQLite has one writer.)
fn lock_members(conn: &mut DbConnection, application_id: i64) -> AppResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "SELECT o.id FROM organisations o JOIN application_members m ON m.organisation_id = o.id \
             WHERE m.application_id = $1 ORDER BY o.id FOR UPDATE",
        )
        .bind::<diesel::sql_types::BigInt, _>(application_id)
        .execute(pg)?;
    }
    Ok(())
}

/// The snapshot 交付決定 fixes.
fn freeze(aggregate: &Aggregate, decision: &Decision<'_>) -> AppResult<FrozenDecision> {
    let budget_by_category = budget::claimed_by_category(aggregate.lines().map(|l| l.amounts()));
    let rate = decision
        .rate
        .ok_or_else(|| AppError::internal("補助率のない判定は交付決定できません"))?;
    Ok(FrozenDecision {
        fiscal_year: aggregate.application.fiscal_year,
        frame: aggregate.application.frame,
        award_ordinal: decision.award_ordinal,
        rate,
        cap_yen: decision.cap_yen,
        rounding_unit_yen: decision.rounding_unit_yen,
        eligible_expenses_yen: decision.eligible_expenses_yen,
        decided_subsidy_yen: decision.subsidy_yen,
        budget_by_category,
        project_start: aggregate.application.project_start,
        project_end: aggregate.application.project_end,
        rules_version: decision.rules_version.to_owned(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineAmount {
    line_id: i64,
    amount_yen: i64,
}

fn payload<T: for<'de> Deserialize<'de>>(request: &ActionRequest) -> AppResult<T> {
    serde_json::from_value(request.payload.clone()).map_err(|error| {
        field_error(
            "payload",
            ErrorCode::InvalidType,
            format!("内容の形式が正しくありません: {error}"),
        )
    })
}

fn line_amounts(aggregate: &Aggregate, lines: &[LineAmount]) -> AppResult<Vec<(i64, i64)>> {
    let mut errors = FieldErrors::new();
    for (index, line) in lines.iter().enumerate() {
        if !aggregate.lines().any(|l| l.id == line.line_id) {
            errors.add(
                format!("payload.lines[{index}].line_id"),
                ErrorCode::UnknownCode,
                "この申請の予算行ではありません",
            );
        }
        if line.amount_yen < 0 {
            errors.add(
                format!("payload.lines[{index}].amount_yen"),
                ErrorCode::NegativeAmount,
                "金額は 0 円以上にしてください",
            );
        }
    }
    errors.into_result(()).map_err(AppError::invalid)?;
    Ok(lines.iter().map(|l| (l.line_id, l.amount_yen)).collect())
}

/// The parts of an action beyond the state change: reports, change requests, actuals,
/// survey answers. Returns what changed, for the audit event.
#[allow(clippy::too_many_arguments)]
fn sub_flow(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    aggregate: &Aggregate,
    action: Action,
    request: &ActionRequest,
    reason: Option<&str>,
    today: NaiveDate,
) -> AppResult<Value> {
    let id = aggregate.application.id;
    match action {
        Action::Submit => {
            store::set_application_date(conn, id, today)?;
            Ok(
                json!({ "application_date": aggregate.application.application_date.unwrap_or(today) }),
            )
        }
        Action::SubmitInterimReport => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Interim {
                body: String,
            }
            let interim: Interim = payload(request)?;
            if interim.body.trim().is_empty() {
                return Err(field_error(
                    "payload.body",
                    ErrorCode::Required,
                    "報告の内容を入力してください",
                ));
            }
            let report = store::insert_report(
                conn,
                id,
                "interim",
                &json!({ "body": interim.body }).to_string(),
            )?;
            Ok(json!({ "report_id": report }))
        }
        Action::AcceptInterimReport | Action::ReturnInterimReport => {
            let status = if action == Action::AcceptInterimReport {
                "accepted"
            } else {
                "returned"
            };
            let report =
                store::review_latest_report(conn, id, "interim", status, actor.user_id, reason)?;
            Ok(json!({ "report_id": report, "status": status }))
        }
        Action::RequestChange => request_change(conn, programs, actor, aggregate, request, reason),
        Action::ApproveChange | Action::DenyChange => {
            let (change_id, changes_json) = store::pending_change_request(conn, id)?
                .ok_or_else(|| AppError::conflict("承認待ちの計画変更がありません"))?;
            if action == Action::ApproveChange {
                let lines: Vec<(i64, i64)> =
                    serde_json::from_str::<Vec<LineAmountRecord>>(&changes_json)
                        .map_err(|error| {
                            AppError::internal("計画変更の内容を読めません").with_cause(error)
                        })?
                        .into_iter()
                        .map(|l| (l.line_id, l.to))
                        .collect();
                store::apply_line_amounts(conn, id, &lines)?;
                store::decide_change_request(conn, change_id, "approved", actor.user_id, reason)?;
            } else {
                store::decide_change_request(conn, change_id, "denied", actor.user_id, reason)?;
            }
            Ok(json!({ "change_request_id": change_id }))
        }
        Action::SubmitCompletionReport => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Completion {
                #[serde(default)]
                body: String,
                actuals: Vec<LineAmount>,
            }
            let completion: Completion = payload(request)?;
            let actuals = line_amounts(aggregate, &completion.actuals)?;
            let claimed: Vec<i64> = aggregate
                .lines()
                .filter(|l| l.amounts().is_claimed())
                .map(|l| l.id)
                .collect();
            if let Some(missing) = claimed
                .iter()
                .find(|line| !actuals.iter().any(|(id, _)| id == *line))
            {
                return Err(field_error(
                    "payload.actuals",
                    ErrorCode::Required,
                    format!("補助対象の予算行 {missing} の実績額を入力してください"),
                ));
            }
            store::record_actuals(conn, id, &actuals)?;
            let report = store::insert_report(
                conn,
                id,
                "completion",
                &json!({ "body": completion.body, "actuals": actuals }).to_string(),
            )?;
            Ok(json!({ "report_id": report, "actuals": actuals }))
        }
        Action::AnswerContinuationSurvey => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Answer {
                continuation: String,
                #[serde(default)]
                funding_mix: Value,
                #[serde(default)]
                evidence: Option<String>,
            }
            let answer: Answer = payload(request)?;
            if !matches!(
                answer.continuation.as_str(),
                "continuing" | "partly" | "stopped"
            ) {
                return Err(field_error(
                    "payload.continuation",
                    ErrorCode::UnknownCode,
                    "continuing（継続）, partly（一部継続）, stopped（終了）のいずれかを指定してください",
                ));
            }
            let award = store::award_of_application(conn, id)?
                .ok_or_else(|| AppError::conflict("この申請の採択がありません"))?;
            store::answer_survey(
                conn,
                award,
                &answer.continuation,
                &answer.funding_mix.to_string(),
                answer.evidence.as_deref(),
                actor.user_id,
            )?;
            Ok(json!({ "continuation": answer.continuation }))
        }
        _ => Ok(Value::Null),
    }
}

#[derive(serde::Serialize, Deserialize)]
struct LineAmountRecord {
    line_id: i64,
    category: String,
    from: i64,
    to: i64,
}

/// 計画変更: compares the per-category budget after the change with the one fixed at 交付決定;
/// a move beyond the year's threshold waits for the program manager, a smaller one is applied
/// and recorded at once.
fn request_change(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    aggregate: &Aggregate,
    request: &ActionRequest,
    reason: Option<&str>,
) -> AppResult<Value> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Change {
        lines: Vec<LineAmount>,
    }
    let reason = reason.ok_or_else(|| {
        field_error(
            "reason",
            ErrorCode::Required,
            "変更の理由を入力してください",
        )
    })?;
    let change: Change = payload(request)?;
    if change.lines.is_empty() {
        return Err(field_error(
            "payload.lines",
            ErrorCode::Required,
            "変更する予算行を指定してください",
        ));
    }
    let amounts = line_amounts(aggregate, &change.lines)?;
    let id = aggregate.application.id;
    if store::pending_change_request(conn, id)?.is_some() {
        return Err(AppError::conflict(
            "承認待ちの計画変更があります。その決定を待ってください",
        ));
    }
    let frozen = store::frozen_decision(aggregate)?
        .ok_or_else(|| AppError::conflict("交付決定の前は計画変更を申請できません"))?;
    let mut after: CategoryBudget = frozen.budget_by_category.clone();
    let mut records = Vec::new();
    for (line_id, to) in &amounts {
        let Some(line) = aggregate.lines().find(|l| l.id == *line_id) else {
            continue;
        };
        if line.amounts().is_claimed() {
            let entry = after
                .entry(line.category.as_str().to_owned())
                .or_insert(Yen::ZERO);
            *entry = Yen::new(entry.value() - line.effective_yen().value() + to);
        }
        records.push(LineAmountRecord {
            line_id: *line_id,
            category: line.category.as_str().to_owned(),
            from: line.amount_yen,
            to: *to,
        });
    }
    let threshold = programs
        .get(crate::domain::calendar::FiscalYear(
            aggregate.application.fiscal_year,
        ))
        .map(|program| program.change_approval_threshold.value)
        .ok_or_else(|| AppError::internal("事業年度の定義がありません"))?;
    let moved = budget::categories_over_threshold(&frozen.budget_by_category, &after, threshold);
    let requires_approval = !moved.is_empty();
    let records_json = serde_json::to_string(&records)
        .map_err(|error| AppError::internal("計画変更を保存できません").with_cause(error))?;
    let status = if requires_approval {
        "pending"
    } else {
        "recorded"
    };
    let change_id = store::insert_change_request(
        conn,
        id,
        status,
        reason,
        &records_json,
        requires_approval,
        actor.user_id,
    )?;
    if !requires_approval {
        store::apply_line_amounts(conn, id, &amounts)?;
    }
    jobs::enqueue(
        conn,
        "email",
        Some(&format!("email:{id}:change_request:{change_id}")),
        &json!({ "template": if requires_approval { "change_request_pending" } else { "change_request_recorded" },
                 "application_id": id, "to": "program_managers" }),
        db::now(),
    )?;
    Ok(
        json!({ "change_request_id": change_id, "requires_approval": requires_approval,
               "categories_over_threshold": moved, "threshold": threshold.to_string() }),
    )
}

fn carry_out(
    conn: &mut DbConnection,
    aggregate: &Aggregate,
    effect: &Effect,
    audit_event_id: i64,
) -> AppResult<()> {
    let id = aggregate.application.id;
    match effect {
        Effect::RecordAward => {
            store::record_award(conn, aggregate)?;
        }
        // Written before the transition, from the decision that allowed it.
        Effect::FreezeDecision => {}
        Effect::ConfirmAmount => {
            let reloaded = applications::load_aggregate(conn, id)?;
            let frozen = store::frozen_decision(&reloaded)?
                .ok_or_else(|| AppError::conflict("交付決定の内容がありません"))?;
            let actual = budget::actual_claimed_total(reloaded.lines().map(|l| l.amounts()))
                .unwrap_or(Yen::ZERO);
            let confirmed = frozen
                .confirmed_amount(actual)
                .map_err(|error| AppError::internal(format!("確定額を計算できません: {error}")))?;
            store::record_confirmed_amount(conn, id, confirmed.value())?;
        }
        Effect::OpenContinuationSurvey => {
            let award = store::award_of_application(conn, id)?
                .ok_or_else(|| AppError::conflict("この申請の採択がありません"))?;
            store::open_survey(conn, award, aggregate.application.fiscal_year + 1)?;
        }
        Effect::CancelReminders => {
            jobs::cancel_queued(conn, &format!("reminder:{id}:"))?;
        }
        Effect::Notify { template, to } => {
            jobs::enqueue(
                conn,
                "email",
                Some(&format!("email:{id}:{template}:{audit_event_id}")),
                &json!({ "template": template, "application_id": id, "to": to }),
                db::now(),
            )?;
        }
    }
    Ok(())
}

/// One budget line's review as a finance officer sends it.
#[derive(Clone, Debug)]
pub struct LineReviewRequest {
    pub line_id: i64,
    pub review: LineReview,
    /// The line's version the officer read.
    pub expected_version: i32,
}

/// A finance officer's review of one budget line: the subsidy is recomputed at once and the
/// change is audited.
pub fn review_budget_line(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    application_id: i64,
    request: &LineReviewRequest,
    today: NaiveDate,
) -> AppResult<StoredDecision> {
    let LineReviewRequest {
        line_id,
        review,
        expected_version,
    } = request;
    let (line_id, expected_version) = (*line_id, *expected_version);
    crate::db::write(conn, |conn| {
        let aggregate =
            authorized_aggregate(conn, actor, application_id, Action::ReviewBudgetLine)?;
        let state = aggregate.state();
        if !workflow::budget_review_open(state) {
            return Err(AppError::conflict(format!(
                "「{}」の申請の予算行は審査できません",
                state.label_ja()
            )));
        }
        let line = aggregate
            .lines()
            .find(|l| l.id == line_id)
            .ok_or_else(|| AppError::not_found("予算行が見つかりません"))?
            .clone();
        review
            .validate(Yen::new(line.amount_yen))
            .map_err(|message| field_error("amount_yen", ErrorCode::InvalidNumber, message))?;
        let (amount, reason) = match review {
            LineReview::Approve => (None, None),
            LineReview::Adjust { amount, reason } => (Some(amount.value()), Some(reason.as_str())),
            LineReview::Reject { reason } => (None, Some(reason.as_str())),
        };
        db::budget::record_review(
            conn,
            line_id,
            expected_version,
            review.state(),
            amount,
            reason,
            actor.user_id,
        )?;
        let reloaded = applications::load_aggregate(conn, application_id)?;
        let decision = reevaluate(conn, programs, &reloaded, today)?;
        audit::append(
            conn,
            &audit::NewAuditEvent {
                application_id: Some(application_id),
                actor_user_id: Some(actor.user_id),
                action: Action::ReviewBudgetLine.code(),
                from_state: None,
                to_state: None,
                reason,
                changes: json!({
                    "line_id": line_id,
                    "review_state": [line.review_state, review.state()],
                    "amount_yen": [line.effective_yen().value(), LineAmounts { review: review.state(), reviewed: amount.map(Yen::new), ..line.amounts() }.effective().value()],
                    "subsidy_yen": decision.subsidy_yen,
                }),
            },
        )?;
        Ok(decision)
    })
}

/// Loads the application for changing its content: the caller may edit it
/// (`Action::EditDraft`) and its state allows editing (作成中, 差戻し).
pub fn editable_aggregate(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
) -> AppResult<Aggregate> {
    let aggregate = authorized_aggregate(conn, actor, application_id, Action::EditDraft)?;
    let state = aggregate.state();
    if !workflow::editable(state) {
        return Err(AppError::conflict(format!(
            "「{}」の申請は編集できません",
            state.label_ja()
        )));
    }
    Ok(aggregate)
}

/// The field of the upload form, where refusals of a file are reported.
pub const EVIDENCE_FIELD: &str = "evidence_file";

/// Stores an evidence file of the legal basis (accepted by `domain::evidence::accept`) while
/// the application can be edited, with its audit event, in one transaction.
pub fn upload_evidence(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
    file: &crate::domain::evidence::EvidenceFile,
) -> AppResult<i64> {
    use crate::domain::evidence::MAX_FILES;
    crate::db::write(conn, |conn| {
        editable_aggregate(conn, actor, application_id)?;
        if db::evidence::count(conn, application_id)? >= MAX_FILES {
            return Err(field_error(
                EVIDENCE_FIELD,
                ErrorCode::InvalidLength,
                format!(
                    "添付できるファイルは {MAX_FILES} 件までです。不要なファイルを削除してください"
                ),
            ));
        }
        let id = db::evidence::insert(conn, application_id, file, actor.user_id, db::now())?;
        audit::append(
            conn,
            &audit::NewAuditEvent {
                application_id: Some(application_id),
                actor_user_id: Some(actor.user_id),
                action: "upload_evidence",
                changes: json!({
                    "evidence_file_id": id,
                    "file_name": file.file_name,
                    "content_type": file.kind.content_type(),
                    "byte_size": file.byte_size(),
                    "sha256": file.sha256,
                }),
                ..Default::default()
            },
        )?;
        Ok(id)
    })
}

/// Removes an evidence file while the application can be edited, with its audit event.
pub fn delete_evidence(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
    file_id: i64,
) -> AppResult<String> {
    crate::db::write(conn, |conn| {
        editable_aggregate(conn, actor, application_id)?;
        let meta = db::evidence::meta(conn, application_id, file_id)?
            .ok_or_else(|| AppError::not_found("ファイルが見つかりません"))?;
        db::evidence::delete(conn, application_id, file_id)?;
        audit::append(
            conn,
            &audit::NewAuditEvent {
                application_id: Some(application_id),
                actor_user_id: Some(actor.user_id),
                action: "delete_evidence",
                changes: json!({
                    "evidence_file_id": file_id,
                    "file_name": meta.file_name,
                    "sha256": meta.sha256,
                }),
                ..Default::default()
            },
        )?;
        Ok(meta.file_name)
    })
}

/// An evidence file with its bytes, for whoever may see the application (the same rule as
/// the application itself: `Action::View`).
pub fn evidence_download(
    conn: &mut DbConnection,
    actor: &Actor,
    application_id: i64,
    file_id: i64,
) -> AppResult<(db::evidence::EvidenceMeta, Vec<u8>)> {
    authorized_aggregate(conn, actor, application_id, Action::View)?;
    db::evidence::get(conn, application_id, file_id)?
        .ok_or_else(|| AppError::not_found("ファイルが見つかりません"))
}
