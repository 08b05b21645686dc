//! What the JSON API answers about an application: view structs with their OpenAPI schema,
//! built from the one aggregate (`db::applications::Aggregate`), so that the document at
//! `/api/docs/` describes the body the handlers really send.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use crate::contract::decision::StoredDecision;
use crate::db::applications::{
    ActivityRow, Aggregate, ApplicationRow, BudgetLineRow, LegalBasisRow, Member, PartnerRow,
};
use crate::db::organisations::Organisation;
use crate::domain::budget::is_double_funded;

/// An application with everything under it and the engine's latest decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub application: ApplicationFields,
    pub members: Vec<MemberView>,
    pub partners: Vec<PartnerView>,
    pub legal_basis: Option<LegalBasisView>,
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
    pub events: Vec<AuditEventView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: i64,
    pub application_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub occurred_at: NaiveDateTime,
    /// The action's code (a workflow action, `create_draft`, `add_user` …).
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub reason: Option<String>,
    /// What changed, as JSON text (hashed as written).
    pub changes_json: String,
    pub previous_hash: String,
    pub hash: String,
}

impl From<crate::db::audit::AuditEvent> for AuditEventView {
    fn from(event: crate::db::audit::AuditEvent) -> Self {
        AuditEventView {
            id: event.id,
            application_id: event.application_id,
            actor_user_id: event.actor_user_id,
            occurred_at: event.occurred_at,
            action: event.action,
            from_state: event.from_state,
            to_state: event.to_state,
            reason: event.reason,
            changes_json: event.changes_json,
            previous_hash: event.previous_hash,
            hash: event.hash,
        }
    }
}

/// The answer to a budget-line review: the engine's decision on the reviewed amounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewedLine {
    pub decision: StoredDecision,
}

/// The application's own fields. Amounts are whole yen; codes are the contract's.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationFields {
    pub id: i64,
    pub reference: String,
    pub fiscal_year: i32,
    pub frame: String,
    pub status: String,
    pub title: String,
    pub lead_organisation_id: i64,
    pub municipality_id: Option<i64>,
    pub application_date: Option<NaiveDate>,
    pub project_start: Option<NaiveDate>,
    pub project_end: Option<NaiveDate>,
    pub eligible_expenses_yen: i64,
    pub subsidy_yen: i64,
    pub award_ordinal: Option<i32>,
    /// The decision as stored (JSON text); `decision` has it parsed.
    pub decision_json: Option<String>,
    /// What 交付決定 fixed (JSON text), once decided.
    pub frozen_decision_json: Option<String>,
    pub decided_subsidy_yen: Option<i64>,
    pub confirmed_subsidy_yen: Option<i64>,
    /// The amounts of the lifecycle that exist by now, each with its name and date.
    pub amounts: Vec<AmountView>,
    pub tax_treatment: String,
    /// For optimistic locking: send it back with the next change.
    pub version: i32,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
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
    pub organisation: OrganisationView,
    /// `lead` or `co_applicant`.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: i64,
    pub corporate_number: Option<String>,
    pub name: String,
    pub name_key: String,
    pub kind: String,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    pub capital_yen: Option<i64>,
    pub prefecture: Option<String>,
    pub municipality_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerView {
    pub id: i64,
    pub application_id: i64,
    pub position: i32,
    pub kind: String,
    pub name: String,
    pub municipality_id: Option<i64>,
    pub agreement: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LegalBasisView {
    pub id: i64,
    pub application_id: i64,
    pub path: String,
    pub holder_name: String,
    pub holder_organisation_id: Option<i64>,
    pub granted_by: String,
    pub granted_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub includes_talent_measures: bool,
    pub evidence_reference: Option<String>,
    pub evidence_file: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    pub id: i64,
    pub application_id: i64,
    pub position: i32,
    pub name: String,
    pub category: String,
    pub executive_internship: bool,
    pub kpi: Option<String>,
    pub budget_lines: Vec<BudgetLineView>,
}

/// A budget line with its review and the amounts the one claimed-lines rule gives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetLineView {
    pub id: i64,
    pub application_id: i64,
    pub activity_id: i64,
    pub position: i32,
    pub category: String,
    pub description: String,
    pub amount_yen: i64,
    pub funding_source: String,
    /// Other sources, comma-separated codes.
    pub co_funding_sources: Option<String>,
    /// `pending`, `approved`, `adjusted` or `rejected`.
    pub review_state: String,
    pub reviewed_amount_yen: Option<i64>,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub actual_amount_yen: Option<i64>,
    pub version: i32,
    /// The amount a recorded or approved 計画変更 gave the line (`amount_yen` stays the 申請額).
    pub changed_amount_yen: Option<i64>,
    /// The amount in the plan: after review, or after a 計画変更 (0 once rejected).
    pub effective_yen: i64,
    /// What the line adds to the 補助対象経費.
    pub claimed_yen: i64,
    pub double_funded: bool,
}

impl From<&ApplicationRow> for ApplicationFields {
    fn from(row: &ApplicationRow) -> Self {
        ApplicationFields {
            id: row.id,
            reference: row.reference.clone(),
            fiscal_year: row.fiscal_year,
            frame: row.frame.as_str().to_owned(),
            status: row.status.as_str().to_owned(),
            title: row.title.clone(),
            lead_organisation_id: row.lead_organisation_id,
            municipality_id: row.municipality_id,
            application_date: row.application_date,
            project_start: row.project_start,
            project_end: row.project_end,
            eligible_expenses_yen: row.eligible_expenses_yen,
            subsidy_yen: row.subsidy_yen,
            award_ordinal: row.award_ordinal,
            decision_json: row.decision_json.clone(),
            frozen_decision_json: row.frozen_decision_json.clone(),
            decided_subsidy_yen: row.decided_subsidy_yen,
            confirmed_subsidy_yen: row.confirmed_subsidy_yen,
            amounts: AmountView::list(row),
            tax_treatment: row.tax_treatment.as_str().to_owned(),
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl From<&Organisation> for OrganisationView {
    fn from(o: &Organisation) -> Self {
        OrganisationView {
            id: o.id,
            corporate_number: o.corporate_number.clone(),
            name: o.name.clone(),
            name_key: o.name_key.clone(),
            kind: o.kind.as_str().to_owned(),
            industry: o.industry.clone(),
            employees: o.employees,
            capital_yen: o.capital_yen,
            prefecture: o.prefecture.clone(),
            municipality_id: o.municipality_id,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

impl From<&Member> for MemberView {
    fn from(member: &Member) -> Self {
        MemberView {
            organisation: OrganisationView::from(&member.organisation),
            role: member.role.as_str().to_owned(),
        }
    }
}

impl From<&PartnerRow> for PartnerView {
    fn from(p: &PartnerRow) -> Self {
        PartnerView {
            id: p.id,
            application_id: p.application_id,
            position: p.position,
            kind: p.kind.as_str().to_owned(),
            name: p.name.clone(),
            municipality_id: p.municipality_id,
            agreement: p.agreement.clone(),
        }
    }
}

impl From<&LegalBasisRow> for LegalBasisView {
    fn from(b: &LegalBasisRow) -> Self {
        LegalBasisView {
            id: b.id,
            application_id: b.application_id,
            path: b.path.as_str().to_owned(),
            holder_name: b.holder_name.clone(),
            holder_organisation_id: b.holder_organisation_id,
            granted_by: b.granted_by.clone(),
            granted_on: b.granted_on,
            valid_until: b.valid_until,
            includes_talent_measures: b.includes_talent_measures,
            evidence_reference: b.evidence_reference.clone(),
            evidence_file: b.evidence_file.clone(),
        }
    }
}

impl From<&BudgetLineRow> for BudgetLineView {
    fn from(l: &BudgetLineRow) -> Self {
        let amounts = l.amounts();
        BudgetLineView {
            id: l.id,
            application_id: l.application_id,
            activity_id: l.activity_id,
            position: l.position,
            category: l.category.as_str().to_owned(),
            description: l.description.clone(),
            amount_yen: l.amount_yen,
            funding_source: l.funding_source.as_str().to_owned(),
            co_funding_sources: l.co_funding_sources.clone(),
            review_state: l.review_state.as_str().to_owned(),
            reviewed_amount_yen: l.reviewed_amount_yen,
            review_reason: l.review_reason.clone(),
            reviewed_by: l.reviewed_by,
            reviewed_at: l.reviewed_at,
            actual_amount_yen: l.actual_amount_yen,
            version: l.version,
            changed_amount_yen: l.changed_amount_yen,
            effective_yen: amounts.effective().value(),
            claimed_yen: amounts.claimed().value(),
            double_funded: is_double_funded(l.funding_source, &l.co_funding()),
        }
    }
}

fn activity_view(activity: &ActivityRow, lines: &[BudgetLineRow]) -> ActivityView {
    ActivityView {
        id: activity.id,
        application_id: activity.application_id,
        position: activity.position,
        name: activity.name.clone(),
        category: activity.category.as_str().to_owned(),
        executive_internship: activity.executive_internship,
        kpi: activity.kpi.clone(),
        budget_lines: lines.iter().map(BudgetLineView::from).collect(),
    }
}

impl From<&Aggregate> for ApplicationView {
    fn from(aggregate: &Aggregate) -> Self {
        ApplicationView {
            application: ApplicationFields::from(&aggregate.application),
            members: aggregate.members.iter().map(MemberView::from).collect(),
            partners: aggregate.partners.iter().map(PartnerView::from).collect(),
            legal_basis: aggregate.legal_basis.as_ref().map(LegalBasisView::from),
            activities: aggregate
                .activities
                .iter()
                .map(|(activity, lines)| activity_view(activity, lines))
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
    pub role: String,
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
