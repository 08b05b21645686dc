//! 計画変更: a change of the decided budget, recorded or sent for the program manager's
//! approval depending on how far each expense category moves.

use serde::Deserialize;
use serde_json::{Value, json};

use super::field_error;
use super::payloads::ChangeRequest;
use super::transitions::{ActionRequest, line_amounts, payload};
use crate::db::applications::Aggregate;
use crate::db::{self, DbConnection, jobs, workflow as store};
use crate::domain::budget::{self, CategoryBudget};
use crate::domain::money::Yen;
use crate::domain::program::ProgramSet;
use crate::domain::validation::ErrorCode;
use crate::domain::workflow::{Actor, Recipients};
use crate::error::{AppError, AppResult};

#[derive(serde::Serialize, Deserialize)]
pub(super) struct LineAmountRecord {
    pub(super) line_id: i64,
    pub(super) category: String,
    pub(super) from: i64,
    pub(super) to: i64,
}

/// 計画変更: compares the per-category budget after the change with the one fixed at 交付決定;
/// a move beyond the year's threshold waits for the program manager, a smaller one is applied
/// and recorded at once.
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
        jobs::JobKind::Email,
        Some(&format!("email:{id}:change_request:{change_id}")),
        &json!({ "template": if requires_approval { "change_request_pending" } else { "change_request_recorded" },
                 "application_id": id, "to": Recipients::ProgramManagers }),
        db::now(),
    )?;
    Ok(
        json!({ "change_request_id": change_id, "requires_approval": requires_approval,
               "categories_over_threshold": moved, "threshold": threshold.to_string() }),
    )
}
