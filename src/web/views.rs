//! What the JSON API answers about an application: view structs with their OpenAPI schema,
//! built from the one aggregate (`db::applications::Aggregate`), so that the document at
//! `/api/docs/` describes the body the handlers really send.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use crate::contract::decision::StoredDecision;
use crate::db::applications::{
    ActivityRow, Aggregate, ApplicationRow, BudgetLineRow, LegalBasisRow, PartnerRow,
};
use crate::db::audit::AuditEvent;
use crate::db::organisations::Organisation;
use crate::domain::budget::is_double_funded;
use crate::domain::codes::ApplicantRole;

/// An application with everything under it and the engine's latest decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub application: ApplicationFields,
    pub members: Vec<MemberView>,
    pub partners: Vec<PartnerRow>,
    pub legal_basis: Option<LegalBasisRow>,
    pub activities: Vec<ActivityView>,
    /// The lines claimed from this subsidy that municipal or other national money also funds.
    pub double_funded_line_ids: Vec<i64>,
    /// `null` while the draft is too incomplete to evaluate.
    pub decision: Option<StoredDecision>,
}

/// The applications a caller may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationList {
    pub applications: Vec<ApplicationFields>,
}

/// An application's audit trail, oldest first, with the hashes that chain it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditTrail {
    pub events: Vec<AuditEvent>,
}

/// The answer to a budget-line review: the engine's decision on the reviewed amounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewedLine {
    pub decision: StoredDecision,
}

/// The application's own fields as stored (amounts in whole yen, codes the contract's), with
/// the amounts of its lifecycle by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationFields {
    #[serde(flatten)]
    pub row: ApplicationRow,
    /// The amounts of the lifecycle that exist by now, each with its name and date.
    pub amounts: Vec<AmountView>,
}

/// One amount of the lifecycle (`domain::amounts`), in lifecycle order: what it is, what it
/// is called, how much, and the day of the step that fixed it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AmountView {
    /// `estimate` (a draft's), `requested`, `reviewed`, `decided`, `confirmed` or `paid`.
    pub kind: &'static str,
    /// 補助金額（試算）, 申請額, 審査後, 交付決定額, 確定額, 支払額.
    pub label_ja: &'static str,
    pub yen: i64,
    /// 申請日, 交付決定日, 確定日, 支払日 (Japan dates); `null` when the amount has none.
    pub date: Option<NaiveDate>,
    pub date_label_ja: Option<&'static str>,
}

impl AmountView {
    /// The amounts of an application as recorded.
    pub fn list(row: &ApplicationRow) -> Vec<AmountView> {
        row.lifecycle_amounts()
            .0
            .iter()
            .map(|amount| AmountView {
                kind: amount.kind.as_str(),
                label_ja: amount.kind.label_ja(),
                yen: amount.yen.value(),
                date: amount.date,
                date_label_ja: amount.kind.date_label_ja(),
            })
            .collect()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub organisation: Organisation,
    /// `lead` or `co_applicant`.
    #[schema(value_type = String)]
    pub role: ApplicantRole,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    #[serde(flatten)]
    pub activity: ActivityRow,
    pub budget_lines: Vec<BudgetLineView>,
}

/// A budget line with its review and the amounts the one claimed-lines rule gives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetLineView {
    #[serde(flatten)]
    pub line: BudgetLineRow,
    /// The amount in the plan: after review, or after a 計画変更 (0 once rejected).
    pub effective_yen: i64,
    /// What the line adds to the 補助対象経費.
    pub claimed_yen: i64,
    pub double_funded: bool,
}

impl From<&ApplicationRow> for ApplicationFields {
    fn from(row: &ApplicationRow) -> Self {
        ApplicationFields {
            row: row.clone(),
            amounts: AmountView::list(row),
        }
    }
}

impl From<&BudgetLineRow> for BudgetLineView {
    fn from(line: &BudgetLineRow) -> Self {
        let amounts = line.amounts();
        BudgetLineView {
            line: line.clone(),
            effective_yen: amounts.effective().value(),
            claimed_yen: amounts.claimed().value(),
            double_funded: is_double_funded(line.funding_source, &line.co_funding()),
        }
    }
}

impl From<&Aggregate> for ApplicationView {
    fn from(aggregate: &Aggregate) -> Self {
        ApplicationView {
            application: ApplicationFields::from(&aggregate.application),
            members: aggregate
                .members
                .iter()
                .map(|member| MemberView {
                    organisation: member.organisation.clone(),
                    role: member.role,
                })
                .collect(),
            partners: aggregate.partners.clone(),
            legal_basis: aggregate.legal_basis.clone(),
            activities: aggregate
                .activities
                .iter()
                .map(|(activity, lines)| ActivityView {
                    activity: activity.clone(),
                    budget_lines: lines.iter().map(BudgetLineView::from).collect(),
                })
                .collect(),
            double_funded_line_ids: aggregate
                .lines()
                .filter(|line| is_double_funded(line.funding_source, &line.co_funding()))
                .map(|line| line.id)
                .collect(),
            decision: aggregate.stored_decision(),
        }
    }
}

/// A fraction, as the API writes rates and targets.
#[derive(Debug, Serialize, ToSchema)]
pub struct Fraction {
    pub numerator: u32,
    pub denominator: u32,
}

/// The continuation KPI: its target and each award year's rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContinuationKpi {
    pub target: Fraction,
    pub years: Vec<ContinuationYear>,
}

/// One award year of the continuation KPI (`domain::kpi::ContinuationRate`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ContinuationYear {
    pub fiscal_year: i32,
    /// Awards of the year (projects, not members).
    pub awards: u32,
    pub answered: u32,
    /// Still running, wholly or partly, in the next fiscal year.
    pub continuing: u32,
    pub stopped: u32,
    /// continuing ÷ awards; `null` before any award.
    pub rate: Option<Fraction>,
    pub meets_target: Option<bool>,
}

impl From<crate::domain::kpi::ContinuationRate> for ContinuationYear {
    fn from(rate: crate::domain::kpi::ContinuationRate) -> Self {
        Self {
            fiscal_year: rate.fiscal_year,
            awards: rate.awards,
            answered: rate.answered,
            continuing: rate.continuing,
            stopped: rate.stopped,
            rate: rate.rate.map(|(numerator, denominator)| Fraction {
                numerator,
                denominator,
            }),
            meets_target: rate.meets_target,
        }
    }
}

/// The filings an application has, with where to download each.
#[derive(Debug, Serialize, ToSchema)]
pub struct FilingList {
    pub application_id: i64,
    pub filings: Vec<FilingLink>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FilingLink {
    /// The filing kind's code, as in the download path.
    pub kind: String,
    pub title: String,
    pub href: String,
}

/// An application's sent log.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentEmailLog {
    pub sent_emails: Vec<crate::db::sent_emails::SentEmailView>,
}

/// Mail jobs that failed for good.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetters {
    pub jobs: Vec<crate::db::jobs::JobView>,
}

/// A dead-letter job put back in the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetriedJob {
    pub id: i64,
    /// Always `queued`.
    pub status: String,
}

/// A user's notification settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSettings {
    pub preferences: crate::db::recipients::Preferences,
    /// The user's iCalendar feed (absent in the answer to a change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar_url: Option<String>,
}

/// Who is logged in.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    /// Present in `/api/v1/me`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The role's code (`applicant`, `finance_officer`, `program_manager`).
    #[schema(value_type = String)]
    pub role: crate::domain::access::Role,
    /// The organisations an applicant acts for (`/api/v1/me`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation_ids: Option<Vec<i64>>,
    /// The municipality a finance officer reviews for (`/api/v1/me`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipality_id: Option<i64>,
}

/// Liveness and readiness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `ready` or `unavailable`.
    pub status: String,
    /// `sqlite` or `postgres`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The service's version (`/readyz`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// An application's history as the people on it read it: who did what, when and why, from
/// the audit trail (without its hashes or stored changes, which are the 事務局's).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationHistory {
    pub application_id: i64,
    pub entries: Vec<HistoryEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// UTC, as stored.
    pub occurred_at: NaiveDateTime,
    /// Japan time: `令和8年12月2日 14:05`.
    pub occurred_at_ja: String,
    /// Who acted (none: the system, or a user since removed).
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    /// The action's code, and its name in Japanese.
    pub action: String,
    pub action_label: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub reason: Option<String>,
}

impl ApplicationHistory {
    pub fn new(application_id: i64, events: Vec<crate::db::audit::HistoryEvent>) -> Self {
        use crate::domain::access::Role;
        use crate::domain::audit::AuditAction;
        use crate::domain::workflow::ApplicationState;
        let state_label = |code: Option<String>| {
            code.map(|code| {
                code.parse::<ApplicationState>()
                    .map_or(code, |state| state.label_ja().to_owned())
            })
        };
        ApplicationHistory {
            application_id,
            entries: events
                .into_iter()
                .map(|(event, actor)| HistoryEntry {
                    occurred_at: event.occurred_at,
                    occurred_at_ja: crate::web::pages::deadlines::jst_label(event.occurred_at),
                    actor: actor.as_ref().map(|(name, _)| name.clone()),
                    actor_role: actor.and_then(|(_, role)| {
                        role.parse::<Role>()
                            .ok()
                            .map(|role| role.label_ja().to_owned())
                    }),
                    action_label: AuditAction::from_code(&event.action)
                        .map_or_else(|| event.action.clone(), |a| a.label_ja().to_owned()),
                    action: event.action,
                    from_state: state_label(event.from_state),
                    to_state: state_label(event.to_state),
                    reason: event.reason,
                })
                .collect(),
        }
    }
}

/// The plan's figures after the changes so far (`domain::changes::planned_subsidy`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    /// The plan's 補助対象経費.
    pub eligible_expenses_yen: i64,
    /// What the frozen rate, unit and cap give on it.
    pub computed_subsidy_yen: i64,
    /// The subsidy: at most the 交付決定額.
    pub subsidy_yen: i64,
    pub decided_subsidy_yen: i64,
    /// Whether the 交付決定額 holds the subsidy below the computed amount.
    pub held_by_decision: bool,
}

impl From<crate::domain::changes::PlannedSubsidy> for PlanView {
    fn from(plan: crate::domain::changes::PlannedSubsidy) -> Self {
        PlanView {
            eligible_expenses_yen: plan.eligible.value(),
            computed_subsidy_yen: plan.computed.value(),
            subsidy_yen: plan.subsidy.value(),
            decided_subsidy_yen: plan.decided.value(),
            held_by_decision: plan.held_by_decision(),
        }
    }
}

/// One line a pending change moves.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineMoveView {
    pub line_id: i64,
    pub description: String,
    /// The expense category's code, and its name.
    pub category: String,
    pub category_label: String,
    /// The 申請額.
    pub requested_yen: i64,
    pub before_yen: i64,
    pub after_yen: i64,
}

/// One expense category's 補助対象経費 under a pending change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryMoveView {
    pub category: String,
    pub category_label: String,
    pub decided_yen: i64,
    pub before_yen: i64,
    pub after_yen: i64,
    /// Moves more than the change-approval threshold from the decision.
    pub over_threshold: bool,
}

/// The change waiting for the 事務局 and what it does.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PendingChangeView {
    pub request: crate::actions::change_requests::ChangeRecord,
    pub lines: Vec<LineMoveView>,
    pub categories: Vec<CategoryMoveView>,
    pub before: PlanView,
    pub after: PlanView,
}

impl From<crate::actions::change_requests::PendingChange> for PendingChangeView {
    fn from(pending: crate::actions::change_requests::PendingChange) -> Self {
        use crate::domain::codes::ExpenseCategory;
        let label = |code: &str| {
            code.parse::<ExpenseCategory>()
                .map_or_else(|_| code.to_owned(), |c| c.label_ja().to_owned())
        };
        let effect = pending.effect;
        let record = pending.record;
        PendingChangeView {
            lines: effect
                .lines
                .iter()
                .map(|moved| {
                    let stored = record.lines.iter().find(|l| l.line_id == moved.line_id);
                    let category = stored.map(|l| l.category.clone()).unwrap_or_default();
                    LineMoveView {
                        line_id: moved.line_id,
                        description: stored.map(|l| l.description.clone()).unwrap_or_default(),
                        category_label: label(&category),
                        category,
                        requested_yen: moved.requested.value(),
                        before_yen: moved.before.value(),
                        after_yen: moved.after.value(),
                    }
                })
                .collect(),
            categories: effect
                .categories
                .iter()
                .map(|moved| CategoryMoveView {
                    category: moved.category.clone(),
                    category_label: label(&moved.category),
                    decided_yen: moved.decided.value(),
                    before_yen: moved.before.value(),
                    after_yen: moved.after.value(),
                    over_threshold: moved.over_threshold,
                })
                .collect(),
            before: PlanView::from(effect.before),
            after: PlanView::from(effect.after),
            request: record,
        }
    }
}

/// An application's 計画変更: the plan's subsidy now, the change waiting for the 事務局 with
/// its effect, and every request with the lines' 申請額.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangesView {
    /// `null` before 交付決定.
    pub plan: Option<PlanView>,
    pub pending: Option<PendingChangeView>,
    pub requests: Vec<crate::actions::change_requests::ChangeRecord>,
}

impl From<crate::actions::change_requests::Changes> for ChangesView {
    fn from(changes: crate::actions::change_requests::Changes) -> Self {
        ChangesView {
            plan: changes.plan.map(PlanView::from),
            pending: changes.pending.map(PendingChangeView::from),
            requests: changes.history,
        }
    }
}

/// The interim report waiting for the 事務局's 受理・差戻し (`null` when none waits).
#[derive(Debug, Serialize, ToSchema)]
pub struct InterimReportStatus {
    pub pending: Option<PendingInterimReportView>,
}

/// A submitted interim report: its text and the files filed with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingInterimReportView {
    pub report_id: i64,
    pub submitted_at: Option<NaiveDateTime>,
    pub body: String,
    pub attachments: Vec<AttachmentView>,
}

/// A file filed with a report, downloaded under the application's own authorization.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub file_name: String,
    pub size_bytes: i64,
    /// The download (`GET`, for whoever may see the application).
    pub href: String,
}

impl From<Option<crate::actions::PendingInterimReport>> for InterimReportStatus {
    fn from(report: Option<crate::actions::PendingInterimReport>) -> Self {
        InterimReportStatus {
            pending: report.map(|report| PendingInterimReportView {
                report_id: report.report_id,
                submitted_at: report.submitted_at,
                body: report.body,
                attachments: report
                    .attachments
                    .into_iter()
                    .map(|file| AttachmentView {
                        href: format!("/applications/{}/evidence/{}", file.application_id, file.id),
                        id: file.id,
                        file_name: file.file_name,
                        size_bytes: file.byte_size,
                    })
                    .collect(),
            }),
        }
    }
}
