//! 計画変更: a change of the decided budget, recorded or sent for the program manager's
//! approval depending on how far each expense category moves (`domain::changes`), and what
//! the pages and the API show of it: the pending change with its effect, the history of the
//! requests with the lines' 申請額, and the plan's subsidy, never above the 交付決定額.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::field_error;
use super::payloads::ChangeRequest;
use super::transitions::{ActionRequest, line_amounts, payload};
use crate::db::applications::Aggregate;
use crate::db::{self, DbConnection, jobs, workflow as store};
use crate::domain::budget::{FrozenDecision, LineAmounts};
use crate::domain::changes::{self, ChangeEffect, ChangeStatus, PlannedSubsidy};
use crate::domain::delivery::MailKind;
use crate::domain::money::{Rate, Yen};
use crate::domain::pending::Awaiting;
use crate::domain::program::ProgramSet;
use crate::domain::validation::{ErrorCode, FieldErrors};
use crate::domain::workflow::{Actor, Recipients, ReportKind};
use crate::error::{AppError, AppResult};

/// One line of a change request as stored (`change_requests.changes_json`).
#[derive(Serialize, Deserialize)]
pub(super) struct LineAmountRecord {
    pub(super) line_id: i64,
    pub(super) category: String,
    /// The line's amount in the plan before the change (requests stored before the plan's
    /// amount was kept beside the 申請額 hold the 申請額 here).
    pub(super) from: i64,
    pub(super) to: i64,
    /// The line's 申請額 when the change was requested.
    #[serde(default)]
    pub(super) requested: Option<i64>,
}

/// The 交付決定額: the amount the 事務局 decided, as the application records it.
fn decided_amount(aggregate: &Aggregate, frozen: &FrozenDecision) -> Yen {
    aggregate
        .application
        .decided_subsidy_yen
        .map_or(frozen.decided_subsidy_yen, Yen::new)
}

fn threshold(programs: &ProgramSet, aggregate: &Aggregate) -> AppResult<Rate> {
    programs
        .get(crate::domain::calendar::FiscalYear(
            aggregate.application.fiscal_year,
        ))
        .map(|program| program.change_approval_threshold.value)
        .ok_or_else(|| AppError::internal("事業年度の定義がありません"))
}

fn plan_lines(aggregate: &Aggregate) -> Vec<(i64, LineAmounts)> {
    aggregate.lines().map(|l| (l.id, l.amounts())).collect()
}

fn effect_of(
    programs: &ProgramSet,
    aggregate: &Aggregate,
    frozen: &FrozenDecision,
    amounts: &[(i64, i64)],
) -> AppResult<ChangeEffect> {
    let changes: Vec<(i64, Yen)> = amounts
        .iter()
        .map(|(id, to)| (*id, Yen::new(*to)))
        .collect();
    changes::change_effect(
        frozen,
        decided_amount(aggregate, frozen),
        threshold(programs, aggregate)?,
        &plan_lines(aggregate),
        &changes,
    )
    .map_err(|error| AppError::internal(format!("計画変更の効果を計算できません: {error}")))
}

fn records_of(changes_json: &str) -> AppResult<Vec<LineAmountRecord>> {
    serde_json::from_str(changes_json)
        .map_err(|error| AppError::internal("計画変更の内容を読めません").with_cause(error))
}

/// 計画変更: compares the per-category budget after the change with the one fixed at 交付決定;
/// a move beyond the year's threshold waits for the program manager, a smaller one is applied
/// and recorded at once. The lines keep their 申請額; the change gives them their plan amount.
pub(super) fn request_change(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    actor: &Actor,
    aggregate: &Aggregate,
    request: &ActionRequest,
    reason: Option<&str>,
) -> AppResult<Value> {
    let reason = reason.ok_or_else(|| {
        field_error(
            "reason",
            ErrorCode::Required,
            "変更の理由を入力してください",
        )
    })?;
    let change: ChangeRequest = payload(request)?;
    if change.lines.is_empty() {
        return Err(field_error(
            "payload.lines",
            ErrorCode::Required,
            "変更する予算行を指定してください",
        ));
    }
    let amounts = line_amounts(aggregate, &change.lines)?;
    let mut errors = FieldErrors::new();
    for (index, (line_id, _)) in amounts.iter().enumerate() {
        if aggregate
            .lines()
            .any(|l| l.id == *line_id && !l.amounts().in_budget())
        {
            errors.add(
                format!("payload.lines[{index}].line_id"),
                ErrorCode::InvalidNumber,
                "否認された予算行は計画変更できません",
            );
        }
    }
    errors.into_result(()).map_err(AppError::invalid)?;
    // `perform` has refused a second change while one is pending (`awaiting`).
    let id = aggregate.application.id;
    let frozen = store::frozen_decision(aggregate)?
        .ok_or_else(|| AppError::conflict("交付決定の前は計画変更を申請できません"))?;
    let effect = effect_of(programs, aggregate, &frozen, &amounts)?;
    let records: Vec<LineAmountRecord> = effect
        .lines
        .iter()
        .filter_map(|moved| {
            let line = aggregate.lines().find(|l| l.id == moved.line_id)?;
            Some(LineAmountRecord {
                line_id: moved.line_id,
                category: line.category.as_str().to_owned(),
                from: moved.before.value(),
                to: amounts
                    .iter()
                    .rev()
                    .find(|(id, _)| *id == moved.line_id)
                    .map_or(moved.after.value(), |(_, to)| *to),
                requested: Some(moved.requested.value()),
            })
        })
        .collect();
    let requires_approval = effect.requires_approval();
    let records_json = serde_json::to_string(&records)
        .map_err(|error| AppError::internal("計画変更を保存できません").with_cause(error))?;
    let status = if requires_approval {
        ChangeStatus::Pending
    } else {
        ChangeStatus::Recorded
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
        jobs::JobKind::Email,
        Some(&format!("email:{id}:change_request:{change_id}")),
        &json!({ "template": if requires_approval { MailKind::ChangeRequestPending } else { MailKind::ChangeRequestRecorded },
                 "application_id": id, "to": Recipients::ProgramManagers }),
        db::now(),
    )?;
    let threshold = threshold(programs, aggregate)?;
    Ok(
        json!({ "change_request_id": change_id, "requires_approval": requires_approval,
               "categories_over_threshold": effect.categories_over_threshold(), "threshold": threshold.to_string(),
               "subsidy_yen": [effect.before.subsidy.value(), effect.after.subsidy.value()] }),
    )
}

/// 計画変更の承認 / 不承認 of the pending change: an approval gives the lines their new plan
/// amounts (the 申請額 stays); either way the request records who decided and why.
pub(super) fn decide_change(
    conn: &mut DbConnection,
    actor: &Actor,
    aggregate: &Aggregate,
    approve: bool,
    reason: Option<&str>,
) -> AppResult<Value> {
    let id = aggregate.application.id;
    // `perform` has refused the decision already when nothing is pending (`awaiting`).
    let (change_id, changes_json) = store::pending_change_request(conn, id)?
        .ok_or_else(|| AppError::conflict("承認待ちの計画変更がありません"))?;
    let status = if approve {
        let lines: Vec<(i64, i64)> = records_of(&changes_json)?
            .into_iter()
            .map(|l| (l.line_id, l.to))
            .collect();
        store::apply_line_amounts(conn, id, &lines)?;
        ChangeStatus::Approved
    } else {
        ChangeStatus::Denied
    };
    store::decide_change_request(conn, change_id, status, actor.user_id, reason)?;
    Ok(json!({ "change_request_id": change_id, "status": status }))
}

/// What waits for the 事務局 on the application (see `domain::pending`).
pub fn awaiting(conn: &mut DbConnection, application_id: i64) -> AppResult<Awaiting> {
    Ok(Awaiting {
        interim_report: store::submitted_report(conn, application_id, ReportKind::Interim)?
            .is_some(),
        change_request: store::pending_change_request(conn, application_id)?.is_some(),
    })
}

/// One line of a change request as people read it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChangedLine {
    pub line_id: i64,
    pub description: String,
    /// The expense category's code.
    pub category: String,
    /// The line's 申請額 (never overwritten by a change).
    pub requested_yen: i64,
    /// The line's amount in the plan before the change.
    pub from_yen: i64,
    pub to_yen: i64,
}

/// A change request, for the history on the page and the API.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeRecord {
    pub id: i64,
    /// `pending`, `recorded`, `approved` or `denied`.
    #[schema(value_type = String)]
    pub status: ChangeStatus,
    pub status_label: &'static str,
    pub reason: String,
    pub decision_reason: Option<String>,
    pub requested_at: NaiveDateTime,
    /// The day it was requested, in Japan.
    pub requested_on: chrono::NaiveDate,
    pub decided_at: Option<NaiveDateTime>,
    pub lines: Vec<ChangedLine>,
}

/// The application's change requests, oldest first, each line with its 申請額.
fn change_history(conn: &mut DbConnection, aggregate: &Aggregate) -> AppResult<Vec<ChangeRecord>> {
    store::change_requests_of(conn, aggregate.application.id)?
        .into_iter()
        .map(|row| {
            let lines = records_of(&row.changes_json)?
                .into_iter()
                .map(|record| {
                    let line = aggregate.lines().find(|l| l.id == record.line_id);
                    ChangedLine {
                        line_id: record.line_id,
                        description: line.map(|l| l.description.clone()).unwrap_or_default(),
                        requested_yen: record
                            .requested
                            .or(line.map(|l| l.amount_yen))
                            .unwrap_or(record.from),
                        category: record.category,
                        from_yen: record.from,
                        to_yen: record.to,
                    }
                })
                .collect();
            Ok(ChangeRecord {
                id: row.id,
                status: row.status,
                status_label: row.status.label_ja(),
                reason: row.reason,
                decision_reason: row.decision_reason,
                requested_at: row.created_at,
                requested_on: crate::domain::deadlines::utc_to_jst(row.created_at).date(),
                decided_at: row.decided_at,
                lines,
            })
        })
        .collect()
}

/// The pending change with what it would do to the plan as it stands now.
pub struct PendingChange {
    pub record: ChangeRecord,
    pub effect: ChangeEffect,
}

/// An application's 計画変更 as the page and the API show them.
pub struct Changes {
    /// The plan's figures after the changes so far (`None` before 交付決定).
    pub plan: Option<PlannedSubsidy>,
    /// The change waiting for the 事務局, with its effect per line, per category and on the
    /// subsidy (computed by `domain::changes`).
    pub pending: Option<PendingChange>,
    /// Every request, oldest first.
    pub history: Vec<ChangeRecord>,
}

pub fn changes(
    conn: &mut DbConnection,
    programs: &ProgramSet,
    aggregate: &Aggregate,
) -> AppResult<Changes> {
    let history = change_history(conn, aggregate)?;
    let pending = match history
        .iter()
        .find(|record| record.status == ChangeStatus::Pending)
    {
        Some(record) => {
            let frozen = store::frozen_decision(aggregate)?
                .ok_or_else(|| AppError::conflict("交付決定の内容がありません"))?;
            let amounts: Vec<(i64, i64)> =
                record.lines.iter().map(|l| (l.line_id, l.to_yen)).collect();
            Some(PendingChange {
                record: record.clone(),
                effect: effect_of(programs, aggregate, &frozen, &amounts)?,
            })
        }
        None => None,
    };
    Ok(Changes {
        plan: current_plan(aggregate)?,
        pending,
        history,
    })
}

/// The plan's 補助対象経費 and subsidy after the changes so far, at most the 交付決定額;
/// `None` before 交付決定.
fn current_plan(aggregate: &Aggregate) -> AppResult<Option<PlannedSubsidy>> {
    let Some(frozen) = store::frozen_decision(aggregate)? else {
        return Ok(None);
    };
    changes::planned_subsidy(
        &frozen,
        decided_amount(aggregate, &frozen),
        aggregate.lines().map(|l| l.amounts()),
    )
    .map(Some)
    .map_err(|error| AppError::internal(format!("補助金額を計算できません: {error}")))
}
