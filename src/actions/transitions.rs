//! Workflow actions: one transition of an application, with what it causes (award, frozen
//! decision, confirmed amount, survey, reminders cancelled, notices), in one transaction.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use super::change_requests::{awaiting, decide_change, request_change};
use super::evaluation::{refusing_findings, with_decision};
use super::payloads::{
    CompletionReport, CorrectionReturn, GrantDecision, InterimReport, LineAmount, Payment,
    Resubmission, SurveyAnswer,
};
use super::{authorized_aggregate, field_error, workflow_error};
use crate::contract::decision::StoredDecision;
use crate::db::applications::{self, Aggregate};
use crate::db::{self, DbConnection, audit, corrections, jobs, workflow as store};
use crate::domain::amounts::{CeilingKind, check_within};
use crate::domain::audit::AuditAction;
use crate::domain::budget::{self, FrozenDecision};
use crate::domain::codes::Code;
use crate::domain::evaluation::Decision;
use crate::domain::kpi::Continuation;
use crate::domain::money::Yen;
use crate::domain::program::ProgramSet;
use crate::domain::text;
use crate::domain::timeline::{self, DateRefusal, Timeline};
use crate::domain::validation::{ErrorCode, FieldErrors};
use crate::domain::workflow::{
    self, Action, Actor, ApplicationState, Effect, Facts, ReportKind, ReportStatus,
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
    /// Action-specific content, read into the action's type in `actions::payloads`.
    #[serde(default)]
    #[schema(schema_with = super::payloads::payload_schema)]
    pub payload: Value,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ActionOutcome {
    pub application_id: i64,
    /// The state's code.
    #[schema(value_type = String)]
    pub state: ApplicationState,
    pub version: i32,
    pub audit_event_id: i64,
    /// What the person acting must be told although the action was done (a 補助事業期間 that
    /// begins before the 交付決定, say), in Japanese.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

/// The reason and the free text of the payload, checked before anything is read or written.
fn check_texts(request: &ActionRequest) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let reason = request.reason.as_deref().unwrap_or_default();
    text::check(&mut errors, "reason", reason, text::REASON, "理由");
    let payload_texts = [
        ("payload.body", text::REPORT, "報告の内容"),
        ("payload.evidence", text::SHORT_TEXT, "根拠資料"),
        ("payload.continuation", text::NAME, "継続の状況"),
        ("payload.reply", text::REPORT, "差戻しへの回答"),
    ];
    for (path, kind, label) in payload_texts {
        let field = path.trim_start_matches("payload.");
        if let Some(value) = request.payload.get(field).and_then(Value::as_str) {
            text::check(&mut errors, path, value, kind, label);
        }
    }
    errors.into_result(()).map_err(AppError::invalid)
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
    check_texts(request)?;
    crate::db::write(conn, |conn| {
        applications::lock_members(conn, application_id)?;
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
            submission_gaps: aggregate.submission_gaps(),
        };
        let mut stored = None;
        let grant = if action == Action::DecideGrant {
            Some(optional_payload::<GrantDecision>(request)?)
        } else {
            None
        };
        let mut decision_details = None;
        if action.reruns_engine() {
            let (verdict, decision) =
                with_decision(conn, programs, &aggregate, today, |conn, decision| {
                    // Written with the decision that allows the transition; the transaction is
                    // undone as a whole if the transition is refused after all.
                    if let Some(grant) = grant.as_ref().filter(|_| decision.eligible) {
                        let decided = decided_amount(grant, decision.subsidy_yen)?;
                        let frozen = freeze(&aggregate, decision, decided)?;
                        store::freeze_decision(conn, application_id, &frozen)?;
                        let decided_on = grant.decided_on.unwrap_or(today);
                        store::record_decision_date(conn, application_id, decided_on)?;
                        decision_details = Some(json!({
                            "decided_subsidy_yen": frozen.decided_subsidy_yen.value(),
                            "decided_on": decided_on,
                        }));
                    }
                    let verdict = if decision.eligible {
                        Ok(())
                    } else {
                        Err(refusing_findings(decision))
                    };
                    Ok((verdict, StoredDecision::from(decision)))
                })?;
            facts.engine = Some(verdict);
            applications::record_decision(conn, application_id, &decision)?;
            store::record_reviewed_amount(
                conn,
                application_id,
                aggregate
                    .any_reviewed()
                    .then_some(decision.subsidy_yen.value()),
            )?;
            stored = Some(decision);
        }
        let transition = workflow::transition(state, action, &facts).map_err(workflow_error)?;
        let notices = check_dates(&aggregate, action, today)?;
        // 受理・差戻し and 承認・不承認 need the report or the change they decide.
        awaiting(conn, application_id)?
            .check(action)
            .map_err(AppError::conflict)?;
        let changes = match decision_details {
            Some(details) => details,
            None => sub_flow(
                conn, programs, actor, &aggregate, action, request, reason, today,
            )?,
        };
        // A resubmission's answer to the 差戻し is the event's reason in the history.
        let reason = reason.or_else(|| changes.get("reply").and_then(Value::as_str));
        let version =
            applications::update_state(conn, application_id, request.version, transition.to)?;
        let audit_event_id = audit::append(
            conn,
            &audit::NewAuditEvent {
                application_id: Some(application_id),
                actor_user_id: Some(actor.user_id),
                action: AuditAction::Workflow(action),
                from_state: Some(transition.from.as_str()),
                to_state: Some(transition.to.as_str()),
                reason,
                changes: json!({ "effects": &transition.effects, "details": changes, "decision": stored.as_ref().map(|d| json!({
                    "eligible": d.eligible, "award_ordinal": d.award_ordinal, "subsidy_yen": d.subsidy_yen,
                })), "notices": notices.iter().map(|n| n.code()).collect::<Vec<_>>() }),
            },
        )?;
        if action == Action::ReturnForCorrection {
            corrections::open(
                conn,
                application_id,
                audit_event_id,
                reason.unwrap_or_default(),
                reply_due(request, today)?,
                actor.user_id,
            )?;
        }
        for effect in &transition.effects {
            carry_out(conn, &aggregate, effect, audit_event_id, today, reason)?;
        }
        // The application's deadlines follow its new state in the same transaction: a filed
        // report closes its deadline (and cancels its queued reminders) atomically.
        db::deadlines::sync_application(conn, programs, application_id)?;
        Ok(ActionOutcome {
            application_id,
            state: transition.to,
            version,
            audit_event_id,
            notices: notices.iter().map(|n| n.message_ja()).collect(),
        })
    })
}

/// The 交付決定額 the 事務局 set: at most the computed subsidy (the computed amount when none
/// was given).
fn decided_amount(grant: &GrantDecision, computed: Yen) -> AppResult<Yen> {
    amount_within(grant.amount_yen, computed, CeilingKind::Computed)
}

/// The amount given (the ceiling when none was), refused at `payload.amount_yen` above it.
fn amount_within(given: Option<i64>, ceiling: Yen, kind: CeilingKind) -> AppResult<Yen> {
    check_within(given.map_or(ceiling, Yen::new), ceiling, kind)
        .map_err(|refusal| field_error("payload.amount_yen", refusal.code(), refusal.message_ja()))
}

/// The calendar's verdict on the action (`domain::timeline`): refused, nothing is written. The
/// 交付決定日 is the one the 事務局 recorded at 交付決定.
fn check_dates(
    aggregate: &Aggregate,
    action: Action,
    today: NaiveDate,
) -> AppResult<Vec<timeline::DateNotice>> {
    timeline::check(
        action,
        &Timeline {
            today,
            project_start: aggregate.application.project_start,
            project_end: aggregate.application.project_end,
            grant_decided_on: aggregate.application.decided_on,
        },
    )
    .map_err(date_refusal)
}

fn date_refusal(refusal: DateRefusal) -> AppError {
    field_error(refusal.field(), refusal.code(), refusal.message_ja())
}

/// A payload that may be left out (`null`): its type's default then.
fn optional_payload<T: for<'de> Deserialize<'de> + Default>(
    request: &ActionRequest,
) -> AppResult<T> {
    if request.payload.is_null() {
        Ok(T::default())
    } else {
        payload(request)
    }
}

/// The reply deadline a 差戻し gives, if the 事務局 gave one: today or later.
fn reply_due(request: &ActionRequest, today: NaiveDate) -> AppResult<Option<NaiveDate>> {
    let given: CorrectionReturn = optional_payload(request)?;
    if let Some(due) = given.reply_due {
        timeline::check_reply_due(today, due).map_err(date_refusal)?;
    }
    Ok(given.reply_due)
}

/// The snapshot 交付決定 fixes, with the 事務局's 交付決定額.
fn freeze(
    aggregate: &Aggregate,
    decision: &Decision<'_>,
    decided: Yen,
) -> AppResult<FrozenDecision> {
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
        decided_subsidy_yen: decided,
        budget_by_category,
        project_start: aggregate.application.project_start,
        project_end: aggregate.application.project_end,
        rules_version: decision.rules_version.to_owned(),
    })
}

pub(super) fn payload<T: for<'de> Deserialize<'de>>(request: &ActionRequest) -> AppResult<T> {
    serde_json::from_value(request.payload.clone()).map_err(|error| {
        field_error(
            "payload",
            ErrorCode::InvalidType,
            format!("内容の形式が正しくありません: {error}"),
        )
    })
}

pub(super) fn line_amounts(
    aggregate: &Aggregate,
    lines: &[LineAmount],
) -> AppResult<Vec<(i64, i64)>> {
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
            // The 申請額: the engine's answer over the lines as asked, whatever reviews a
            // resubmission keeps.
            let requested = with_decision(
                conn,
                programs,
                &aggregate.as_requested(),
                today,
                |_, decision| Ok(decision.subsidy_yen),
            )?;
            store::record_requested_amount(conn, id, requested.value())?;
            let date = aggregate.application.application_date.unwrap_or(today);
            if aggregate.state() != ApplicationState::ReturnedForCorrection {
                return Ok(json!({ "application_date": date }));
            }
            let answer: Resubmission = optional_payload(request)?;
            let typed = answer
                .reply
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            let reply = corrections::answer(conn, id, typed, actor.user_id)?;
            Ok(json!({ "application_date": date, "reply": reply }))
        }
        Action::ReturnForCorrection => Ok(json!({ "reply_due": reply_due(request, today)? })),
        Action::SubmitInterimReport => {
            let interim: InterimReport = payload(request)?;
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
                ReportKind::Interim,
                &json!({ "body": interim.body }).to_string(),
            )?;
            Ok(json!({ "report_id": report }))
        }
        Action::AcceptInterimReport | Action::ReturnInterimReport => {
            let status = if action == Action::AcceptInterimReport {
                ReportStatus::Accepted
            } else {
                ReportStatus::Returned
            };
            let report = store::review_latest_report(
                conn,
                id,
                ReportKind::Interim,
                status,
                actor.user_id,
                reason,
            )?;
            Ok(json!({ "report_id": report, "status": status }))
        }
        Action::RequestChange => request_change(conn, programs, actor, aggregate, request, reason),
        Action::ApproveChange | Action::DenyChange => decide_change(
            conn,
            actor,
            aggregate,
            action == Action::ApproveChange,
            reason,
        ),
        Action::SubmitCompletionReport => {
            let completion: CompletionReport = payload(request)?;
            let actuals = line_amounts(aggregate, &completion.actuals)?;
            // Named as the applicant sees the line: its 内容 and its activity, not its row id.
            let missing = aggregate.activities.iter().find_map(|(activity, lines)| {
                lines
                    .iter()
                    .filter(|l| l.amounts().is_claimed())
                    .find(|l| !actuals.iter().any(|(id, _)| *id == l.id))
                    .map(|line| (activity, line))
            });
            if let Some((activity, line)) = missing {
                return Err(field_error(
                    "payload.actuals",
                    ErrorCode::Required,
                    format!(
                        "補助対象の予算行「{}」（{}）の実績額を入力してください",
                        line.description, activity.name
                    ),
                ));
            }
            store::record_actuals(conn, id, &actuals)?;
            let report = store::insert_report(
                conn,
                id,
                ReportKind::Completion,
                &json!({ "body": completion.body, "actuals": actuals }).to_string(),
            )?;
            Ok(json!({ "report_id": report, "actuals": actuals }))
        }
        Action::Pay => {
            let payment: Payment = optional_payload(request)?;
            let confirmed = aggregate
                .application
                .confirmed_subsidy_yen
                .map(Yen::new)
                .ok_or_else(|| AppError::conflict("確定額がありません"))?;
            let paid = amount_within(payment.amount_yen, confirmed, CeilingKind::Confirmed)?;
            let paid_on = payment.paid_on.unwrap_or(today);
            store::record_payment(conn, id, paid.value(), paid_on)?;
            Ok(json!({ "paid_yen": paid.value(), "paid_on": paid_on }))
        }
        Action::AnswerContinuationSurvey => {
            let answer: SurveyAnswer = payload(request)?;
            if Continuation::from_code(&answer.continuation).is_none() {
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
                &json!(answer.funding_mix).to_string(),
                answer.evidence.as_deref(),
                actor.user_id,
            )?;
            Ok(json!({ "continuation": answer.continuation }))
        }
        _ => Ok(Value::Null),
    }
}

fn carry_out(
    conn: &mut DbConnection,
    aggregate: &Aggregate,
    effect: &Effect,
    audit_event_id: i64,
    today: NaiveDate,
    reason: Option<&str>,
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
            store::record_confirmed_amount(conn, id, confirmed.value(), today)?;
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
                jobs::JobKind::Email,
                Some(&format!("email:{id}:{template}:{audit_event_id}")),
                // The reason travels with the notice: the 差戻し mail says what to correct.
                &json!({ "template": template, "application_id": id, "to": to, "reason": reason }),
                db::now(),
            )?;
        }
    }
    Ok(())
}
