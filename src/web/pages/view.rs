//! One application as every role sees it (members, partners, legal basis, budget lines by
//! activity with their reviews, the engine's decision) and the workflow buttons the domain
//! allows this person in this state. The view models here are shared by the other pages.

use std::str::FromStr;

use actix_session::Session;
use actix_web::{HttpResponse, get, post};
use serde::Serialize;
use serde_json::Value;

use super::{
    Db, PageError, PageForm, PageOn, PageResult, Then, redirect, render, set_flash, set_refusal,
};
use crate::actions::{self, ActionRequest};
use crate::contract::decision::StoredDecision;
use crate::db::applications::Aggregate;
use crate::db::{self, organisations};
use crate::domain::access::Role;
use crate::domain::budget::{ReviewState, is_double_funded};
use crate::domain::codes::ApplicantRole;
use crate::domain::codes::{
    ActivityCategory, ExpenseCategory, Frame, FundingSource, LegalPath, PartnerKind,
};
use crate::domain::evaluation::{Figure, Severity};
use crate::domain::pending::Awaiting;
use crate::domain::workflow::{self, Action, Actor, ApplicationState, Facts};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::web::applications::today_in_japan;
use crate::web::views::ChangesView;

/// The Japanese label of a code, or the code itself when it is not one (old data).
pub fn label<T: FromStr + LabelJa>(code: &str) -> String {
    T::from_str(code)
        .map(|value| value.label().to_owned())
        .unwrap_or_else(|_| code.to_owned())
}

pub trait LabelJa {
    fn label(&self) -> &'static str;
}

macro_rules! label_ja {
    ($($t:ty),*) => {$(impl LabelJa for $t { fn label(&self) -> &'static str { self.label_ja() } })*};
}
label_ja!(
    Frame,
    PartnerKind,
    LegalPath,
    ActivityCategory,
    ExpenseCategory,
    FundingSource,
    ApplicationState
);

impl LabelJa for crate::domain::codes::ApplicantKind {
    fn label(&self) -> &'static str {
        self.label_ja()
    }
}

/// The engine's decision as people read it.
#[derive(Serialize, Clone)]
pub struct DecisionView {
    pub eligible: bool,
    pub award_ordinal: i64,
    pub rate: String,
    pub cap_yen: Option<i64>,
    pub eligible_expenses_yen: Option<i64>,
    pub subsidy_yen: Option<i64>,
    pub findings: Vec<FindingView>,
    /// Notes on values that are not certain, shown beside the figure they affect.
    pub ordinal_notes: Vec<String>,
    pub rate_notes: Vec<String>,
    pub cap_notes: Vec<String>,
    pub subsidy_notes: Vec<String>,
}

#[derive(Serialize, Clone)]
pub struct FindingView {
    pub severity: String,
    pub severity_label: &'static str,
    pub message: String,
    pub source: String,
}

/// What the decision partial shows: the decision, or why there is none.
#[derive(Serialize, Clone)]
pub struct DecisionPanel {
    pub decision: Option<DecisionView>,
    pub decision_note: String,
    /// What the application still lacks to be submitted, for the applicant who edits it
    /// (`workflow::submission_gaps`): the engine's verdict alone does not make it ready.
    pub before_submitting: Vec<&'static str>,
}

impl DecisionPanel {
    pub fn note(note: impl Into<String>) -> Self {
        DecisionPanel {
            decision: None,
            decision_note: note.into(),
            before_submitting: Vec::new(),
        }
    }

    /// The panel as the applicant editing `aggregate` sees it.
    pub fn for_editing(mut self, aggregate: &Aggregate) -> Self {
        self.before_submitting = aggregate
            .submission_gaps()
            .into_iter()
            .map(workflow::SubmissionGap::message_ja)
            .collect();
        self
    }
}

/// A decision (stored or fresh) as people read it: sources by their title, and the notes on
/// values that are not certain beside the figure they affect.
pub fn decision_view(decision: &StoredDecision) -> DecisionView {
    let notes = |figure: Figure| -> Vec<String> {
        decision
            .findings
            .iter()
            .filter(|finding| Figure::qualified_by(&finding.code) == Some(figure))
            .map(|finding| finding.message.clone())
            .collect()
    };
    DecisionView {
        ordinal_notes: notes(Figure::AwardOrdinal),
        rate_notes: notes(Figure::Rate),
        cap_notes: notes(Figure::Cap),
        subsidy_notes: notes(Figure::Subsidy),
        eligible: decision.eligible,
        award_ordinal: i64::from(decision.award_ordinal),
        rate: decision
            .rate
            .map_or_else(|| "—".to_owned(), |rate| rate.to_string()),
        cap_yen: Some(decision.cap_yen.value()),
        eligible_expenses_yen: Some(decision.eligible_expenses_yen.value()),
        subsidy_yen: Some(decision.subsidy_yen.value()),
        findings: decision
            .findings
            .iter()
            .map(|finding| {
                let (severity, severity_label) = match finding.severity {
                    Severity::Error => ("error", "要件"),
                    Severity::Warning => ("warning", "注意"),
                    Severity::Info => ("info", "情報"),
                };
                FindingView {
                    severity: severity.to_owned(),
                    severity_label,
                    message: finding.message.clone(),
                    source: crate::program::readable_source(&finding.source),
                }
            })
            .collect(),
    }
}

/// The engine's latest decision on the application: the stored one, or (for data loaded
/// without one, e.g. the demo) a fresh preview that writes nothing. `None` while the draft is
/// too incomplete to evaluate.
pub fn current_decision(
    conn: &mut crate::db::DbConnection,
    programs: &crate::domain::program::ProgramSet,
    aggregate: &Aggregate,
) -> crate::error::AppResult<Option<StoredDecision>> {
    if let Some(stored) = aggregate.stored_decision() {
        return Ok(Some(stored));
    }
    match actions::preview(conn, programs, aggregate, today_in_japan()) {
        Ok(decision) => Ok(Some(decision)),
        Err(error) if error.kind == ErrorKind::Invalid => Ok(None),
        Err(error) => Err(error),
    }
}

/// The panel for a decision (see [`current_decision`]).
pub fn decision_panel(decision: Option<&StoredDecision>) -> DecisionPanel {
    match decision.map(decision_view) {
        Some(decision) => DecisionPanel {
            decision: Some(decision),
            decision_note: String::new(),
            before_submitting: Vec::new(),
        },
        None => DecisionPanel::note(
            "まだ判定できません。申請者・連携先・活動と予算を入力して保存すると、ここに判定が表示されます。",
        ),
    }
}

#[derive(Serialize)]
pub struct LineView {
    pub id: i64,
    pub version: i32,
    pub category: &'static str,
    pub description: String,
    pub amount_yen: i64,
    /// The amount in the plan (after review, or after a 計画変更).
    pub effective_yen: i64,
    /// The amount after the finance review.
    pub reviewed_yen: i64,
    /// Whether a 計画変更 gave the line a new amount (`effective_yen`).
    pub changed: bool,
    pub funding: &'static str,
    pub funding_code: FundingSource,
    pub co_funding: String,
    pub double_funded: bool,
    pub review_state: ReviewState,
    pub review_label: &'static str,
    pub reviewed_amount_yen: Option<i64>,
    pub review_reason: Option<String>,
    /// A line the applicant changed since the finance officer reviewed it: what changed
    /// (before → after) and the earlier verdict. Only the review page fills it
    /// ([`since_review`]).
    pub since_review: Option<SinceReview>,
    /// A verdict sent for this line that could not be recorded, as typed (the review page).
    pub refused: Option<LineRefusal>,
}

/// A line's review that was refused: why, and what the finance officer chose and typed.
#[derive(Serialize, Clone, Debug, Default)]
pub struct LineRefusal {
    pub message: String,
    pub approve: bool,
    pub adjust: bool,
    pub reject: bool,
    pub amount: String,
    pub reason: String,
}

/// What changed in a 未審査 line since its last review.
#[derive(Serialize)]
pub struct SinceReview {
    pub review_label: &'static str,
    pub reviewed_amount_yen: Option<i64>,
    pub review_reason: Option<String>,
    pub changes: Vec<ChangeView>,
}

#[derive(Serialize)]
pub struct ChangeView {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

/// Fills [`LineView::since_review`] for the lines that went back to 未審査 because the
/// applicant changed them, from the values they had at their last review.
pub fn since_review(
    activities: &mut [ActivityView],
    aggregate: &Aggregate,
    last_reviews: &[(i64, crate::domain::budget::LineReviewed)],
) {
    for view in activities.iter_mut().flat_map(|a| a.lines.iter_mut()) {
        let Some(line) = aggregate.lines().find(|l| l.id == view.id) else {
            continue;
        };
        let Some((_, reviewed)) = last_reviews.iter().find(|(id, _)| *id == line.id) else {
            continue;
        };
        if line.review_state != ReviewState::Pending {
            continue;
        }
        let now = crate::domain::budget::LineValues {
            category: line.category,
            description: &line.description,
            amount_yen: line.amount_yen,
            funding_source: line.funding_source,
        };
        view.since_review = Some(SinceReview {
            review_label: reviewed.review_state.label_ja(),
            reviewed_amount_yen: reviewed.reviewed_amount_yen,
            review_reason: reviewed.review_reason.clone(),
            changes: crate::domain::budget::changes_since_review(&reviewed.values(), &now)
                .into_iter()
                .map(|(field, before, after)| ChangeView {
                    field,
                    before,
                    after,
                })
                .collect(),
        });
    }
}

#[derive(Serialize)]
pub struct ActivityView {
    pub name: String,
    pub category: String,
    pub executive_internship: bool,
    pub kpi: Option<String>,
    pub lines: Vec<LineView>,
    pub total_yen: i64,
}

/// Budget lines grouped by activity, each with its effective amount and double-funding flag
/// (both from the domain).
pub fn activities_view(aggregate: &Aggregate) -> Vec<ActivityView> {
    aggregate
        .activities
        .iter()
        .map(|(activity, lines)| {
            let lines: Vec<LineView> = lines
                .iter()
                .map(|line| LineView {
                    id: line.id,
                    version: line.version,
                    category: line.category.label_ja(),
                    description: line.description.clone(),
                    amount_yen: line.amount_yen,
                    effective_yen: line.effective_yen().value(),
                    reviewed_yen: line.amounts().after_review().value(),
                    changed: line.changed_amount_yen.is_some(),
                    funding: line.funding_source.label_ja(),
                    funding_code: line.funding_source,
                    co_funding: line
                        .co_funding()
                        .iter()
                        .map(|source| source.label_ja())
                        .collect::<Vec<_>>()
                        .join("、"),
                    double_funded: is_double_funded(line.funding_source, &line.co_funding()),
                    review_state: line.review_state,
                    review_label: line.review_state.label_ja(),
                    reviewed_amount_yen: line.reviewed_amount_yen,
                    review_reason: line.review_reason.clone(),
                    since_review: None,
                    refused: None,
                })
                .collect();
            ActivityView {
                name: activity.name.clone(),
                category: activity.category.label_ja().to_owned(),
                executive_internship: activity.executive_internship,
                kpi: activity.kpi.clone(),
                total_yen: lines.iter().map(|line| line.effective_yen).sum(),
                lines,
            }
        })
        .collect()
}

#[derive(Serialize)]
pub struct Summary {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub fiscal_year: i32,
    pub frame: String,
    pub state: String,
    pub state_label: String,
    pub municipality: String,
    pub application_date: Option<String>,
    pub project_start: Option<String>,
    pub project_end: Option<String>,
    /// `None` until the engine has decided (the demo's seeded applications, say).
    pub subsidy_yen: Option<i64>,
    pub eligible_expenses_yen: Option<i64>,
    /// The amounts of the lifecycle by now, shown through the `amounts` partial.
    pub amounts: Vec<crate::web::views::AmountView>,
    pub version: i32,
}

pub fn summary(
    row: &db::applications::ApplicationRow,
    municipalities: &[organisations::Municipality],
) -> Summary {
    Summary {
        id: row.id,
        reference: row.reference.clone(),
        title: row.title.clone(),
        fiscal_year: row.fiscal_year,
        frame: row.frame.label_ja().to_owned(),
        state: row.status.as_str().to_owned(),
        state_label: row.status.label_ja().to_owned(),
        municipality: row
            .municipality_id
            .and_then(|id| municipalities.iter().find(|m| m.id == id))
            .map(|m| m.name.clone())
            .unwrap_or_else(|| "—".to_owned()),
        application_date: row.application_date.map(|d| d.to_string()),
        project_start: row.project_start.map(|d| d.to_string()),
        project_end: row.project_end.map(|d| d.to_string()),
        subsidy_yen: row.decision_json.as_ref().map(|_| row.subsidy_yen),
        eligible_expenses_yen: row
            .decision_json
            .as_ref()
            .map(|_| row.eligible_expenses_yen),
        amounts: crate::web::views::AmountView::list(row),
        version: row.version,
    }
}

/// A workflow button.
#[derive(Serialize)]
pub struct ActionButton {
    pub code: &'static str,
    pub label: &'static str,
    pub needs_reason: bool,
    pub danger: bool,
    /// 差戻し: the 事務局 may give the day the answer is due.
    pub asks_reply_due: bool,
    /// Irreversible: the button leads to a confirmation page, which takes it.
    pub confirm: bool,
    /// The amount and date the action records (交付決定, 支払), with their defaults.
    pub amount: Option<AmountInput>,
}

/// The amount and date an action records, as its form asks for them.
#[derive(Serialize, Clone)]
pub struct AmountInput {
    pub label: &'static str,
    pub yen: i64,
    /// The amount it may not exceed, as people read it.
    pub ceiling_note: String,
    pub date_label: &'static str,
    pub date: String,
}

/// The amount and date `action` records on this application, defaulting to the amount it is
/// bounded by (the computed subsidy, the 確定額) and today in Japan.
fn amount_input(aggregate: &Aggregate, action: Action) -> Option<AmountInput> {
    use crate::domain::amounts::CeilingKind;
    use crate::domain::money::Yen;
    let ceiling_kind = CeilingKind::of(action)?;
    let application = &aggregate.application;
    let ceiling = match ceiling_kind {
        CeilingKind::Computed => application.subsidy_yen,
        CeilingKind::Confirmed => application.confirmed_subsidy_yen?,
    };
    let kind = ceiling_kind.recorded();
    Some(AmountInput {
        label: kind.label_ja(),
        yen: ceiling,
        ceiling_note: format!("{}（{}）以下", ceiling_kind.label_ja(), Yen::new(ceiling)),
        date_label: kind.date_label_ja().unwrap_or_default(),
        date: today_in_japan().to_string(),
    })
}

/// Actions carried by a payload of their own (reports, change requests, the survey) have
/// their own forms; they are not plain buttons.
fn has_payload(action: Action) -> bool {
    matches!(
        action,
        Action::SubmitInterimReport
            | Action::RequestChange
            | Action::SubmitCompletionReport
            | Action::AnswerContinuationSurvey
    )
}

/// Whether to offer `action` to this person on this application: what `authorize` allows
/// this person and `transition` allows in this state (the engine's verdict and the reason are
/// checked again when the action is performed).
pub fn offered(actor: &Actor, aggregate: &Aggregate, action: Action) -> bool {
    let state = aggregate.state();
    let facts = Facts {
        engine: Some(Ok(())),
        reason_given: true,
        ..Facts::default()
    };
    workflow::authorize(actor, action, &aggregate.scope()).is_ok()
        && workflow::transition(state, action, &facts).is_ok()
}

/// The buttons to offer (see [`offered`]): 受理・差戻し only with a report waiting, 承認・不承認
/// only with a change waiting (`awaiting`).
pub fn available_actions(
    actor: &Actor,
    aggregate: &Aggregate,
    awaiting: Awaiting,
) -> Vec<ActionButton> {
    Action::ALL
        .iter()
        .copied()
        .filter(|action| {
            !matches!(
                action,
                Action::View | Action::EditDraft | Action::ReviewBudgetLine | Action::ViewAudit
            ) && !has_payload(*action)
        })
        .filter(|action| awaiting.allows(*action) && offered(actor, aggregate, *action))
        .map(|action| ActionButton {
            code: action.as_str(),
            label: action.label_ja(),
            needs_reason: action.needs_reason(),
            danger: matches!(
                action,
                Action::Reject | Action::Withdraw | Action::Cancel | Action::Revoke
            ),
            confirm: workflow::needs_confirmation(action),
            amount: amount_input(aggregate, action),
            asks_reply_due: action == Action::ReturnForCorrection,
        })
        .collect()
}

/// A link to the form of an action that carries a payload (a report, a change request, the
/// survey answer).
#[derive(Serialize)]
pub struct FormLink {
    pub code: &'static str,
    pub label: &'static str,
    pub href: String,
}

/// The forms to offer (see [`offered`]), each on a page of its own (no new change while one
/// is waiting).
pub fn available_forms(actor: &Actor, aggregate: &Aggregate, awaiting: Awaiting) -> Vec<FormLink> {
    Action::ALL
        .iter()
        .copied()
        .filter(|action| {
            has_payload(*action) && awaiting.allows(*action) && offered(actor, aggregate, *action)
        })
        .filter_map(|action| {
            let page = super::reports::FilingKind::of(action)?;
            Some(FormLink {
                code: action.as_str(),
                label: action.label_ja(),
                href: format!("/applications/{}/{}", aggregate.application.id, page.path()),
            })
        })
        .collect()
}

#[derive(Serialize)]
struct FilingLink {
    title: String,
    href: String,
}

#[derive(Serialize)]
struct ShowView {
    summary: Summary,
    members: Vec<MemberView>,
    partners: Vec<(String, String)>,
    legal_basis: Option<LegalView>,
    activities: Vec<ActivityView>,
    panel: DecisionPanel,
    actions: Vec<ActionButton>,
    can_edit: bool,
    can_review: bool,
    is_manager: bool,
    /// The PDF filings with their download links (the same authorization as this page).
    filings: Vec<FilingLink>,
    /// Reports, change requests, the survey answer: the forms this person may file now.
    forms: Vec<FormLink>,
    /// The legal basis's evidence files (downloaded under the same authorization).
    evidence_files: Vec<super::evidence::EvidenceLink>,
    /// Who did what, when and why (the audit trail as people read it).
    history: crate::web::views::ApplicationHistory,
    /// The interim report waiting for 受理・差戻し, shown next to those buttons.
    pending_report: Option<PendingReportView>,
    /// The plan after the changes, the change waiting for 承認・不承認 and the requests.
    changes: ChangesView,
    /// Each 差戻し with its reason and deadline, and the applicant's answer once resubmitted.
    corrections: Vec<CorrectionEntry>,
}

/// A submitted interim report as the 事務局 reads it before deciding, with its attachments
/// (downloaded under the same authorization as this page).
#[derive(Serialize)]
struct PendingReportView {
    submitted_at_ja: String,
    body: String,
    attachments: Vec<super::evidence::EvidenceLink>,
}

fn pending_report(
    conn: &mut crate::db::DbConnection,
    application_id: i64,
) -> AppResult<Option<PendingReportView>> {
    Ok(
        actions::pending_interim_report(conn, application_id)?.map(|report| PendingReportView {
            submitted_at_ja: report
                .submitted_at
                .map(super::deadlines::jst_label)
                .unwrap_or_default(),
            body: report.body,
            attachments: report
                .attachments
                .iter()
                .map(super::evidence::EvidenceLink::of)
                .collect(),
        }),
    )
}

#[derive(Serialize)]
struct CorrectionEntry {
    returned_on: String,
    reason: String,
    reply_due: Option<String>,
    reply: Option<String>,
    replied_on: Option<String>,
}

fn correction_entries(conn: &mut db::DbConnection, id: i64) -> AppResult<Vec<CorrectionEntry>> {
    use crate::domain::calendar::wareki_date;
    use crate::domain::deadlines::utc_to_jst;
    let day = |at| wareki_date(utc_to_jst(at).date()).to_string();
    Ok(db::corrections::of_application(conn, id)?
        .into_iter()
        .map(|row| CorrectionEntry {
            returned_on: day(row.returned_at),
            reason: row.reason,
            reply_due: row.reply_due_on.map(|d| wareki_date(d).to_string()),
            reply: row.replied_at.and(row.reply),
            replied_on: row.replied_at.map(day),
        })
        .collect())
}

#[derive(Serialize)]
struct MemberView {
    name: String,
    role: &'static str,
    kind: String,
}

#[derive(Serialize)]
struct LegalView {
    path: String,
    holder: String,
    granted_by: String,
    granted_on: String,
    valid_until: Option<String>,
    includes_talent_measures: bool,
    evidence: Option<String>,
}

#[get("/applications/{id}")]
pub async fn show(PageOn(db, session, id, caller): PageOn) -> PageResult {
    let actor = caller.actor.clone();
    let view = db
        .run(move |conn, programs| {
            let aggregate = actions::authorized_aggregate(conn, &actor, id, Action::View)?;
            let municipalities = organisations::list_municipalities(conn)?;
            let state = aggregate.state();
            let awaiting = actions::change_requests::awaiting(conn, id)?;
            let can_edit = workflow::editable(state)
                && workflow::authorize(&actor, Action::EditDraft, &aggregate.scope()).is_ok();
            Ok(ShowView {
                summary: summary(&aggregate.application, &municipalities),
                members: aggregate
                    .members
                    .iter()
                    .map(|m| MemberView {
                        name: m.organisation.name.clone(),
                        role: if m.role == ApplicantRole::Lead {
                            "代表申請者"
                        } else {
                            "共同申請者"
                        },
                        kind: m.organisation.kind.label_ja().to_owned(),
                    })
                    .collect(),
                partners: aggregate
                    .partners
                    .iter()
                    .map(|p| (p.kind.label_ja().to_owned(), p.name.clone()))
                    .collect(),
                legal_basis: aggregate.legal_basis.as_ref().map(|b| LegalView {
                    path: b.path.label_ja().to_owned(),
                    holder: b.holder_name.clone(),
                    granted_by: b.granted_by.clone(),
                    granted_on: b.granted_on.to_string(),
                    valid_until: b.valid_until.map(|d| d.to_string()),
                    includes_talent_measures: b.includes_talent_measures,
                    evidence: b.evidence_reference.clone(),
                }),
                activities: activities_view(&aggregate),
                panel: {
                    let panel =
                        decision_panel(current_decision(conn, programs, &aggregate)?.as_ref());
                    if can_edit {
                        panel.for_editing(&aggregate)
                    } else {
                        panel
                    }
                },
                actions: available_actions(&actor, &aggregate, awaiting),
                can_edit,
                can_review: workflow::budget_review_open(state)
                    && workflow::authorize(&actor, Action::ReviewBudgetLine, &aggregate.scope())
                        .is_ok(),
                is_manager: actor.role == Role::ProgramManager,
                filings: filing_links(
                    aggregate.application.id,
                    &actions::filings::available_filings(&actions::filings::milestones(
                        conn, &aggregate,
                    )?),
                )?,
                forms: available_forms(&actor, &aggregate, awaiting),
                evidence_files: db::evidence::list(conn, id)?
                    .iter()
                    .map(super::evidence::EvidenceLink::of)
                    .collect(),
                history: crate::web::views::ApplicationHistory::new(
                    id,
                    db::audit::history_of(conn, id)?,
                ),
                pending_report: pending_report(conn, id)?,
                changes: actions::change_requests::changes(conn, programs, &aggregate)?.into(),
                corrections: correction_entries(conn, id)?,
            })
        })
        .await?;
    let title = format!("{} {}", view.summary.reference, view.summary.title);
    render("application_show", title, &caller, &session, view)
}

/// Leaves the outcome of a button for the page it returns to: `done`'s text as its notice, or,
/// when the input, the version or the state did not allow it, `refused` and why as its
/// refusal (an alert, never the notice's box). Any other failure is a page of its own.
pub fn flash_outcome<T>(
    session: &actix_session::Session,
    outcome: AppResult<T>,
    done: impl FnOnce(T) -> String,
    refused: &str,
) -> Result<(), PageError> {
    match outcome {
        Ok(value) => set_flash(session, done(value)),
        Err(error)
            if matches!(
                error.kind,
                ErrorKind::Invalid | ErrorKind::Conflict | ErrorKind::BadRequest
            ) =>
        {
            set_refusal(session, format!("{refused}。"), refusal_reasons(&error));
        }
        Err(error) => return Err(error.into()),
    }
    Ok(())
}

/// The message of a refused action, for the person who pressed the button: its
/// [`refusal_reasons`] on one line.
pub fn refusal_message(error: &AppError) -> String {
    refusal_reasons(error).join(" / ")
}

/// Why an action was refused, one line per reason in Japanese: the engine's findings by their
/// messages, as the decision panel shows them (their codes are the API's), or each field
/// error's message, or the error's own.
pub fn refusal_reasons(error: &AppError) -> Vec<String> {
    if let Some(findings) = actions::refusing_findings(error) {
        return findings
            .iter()
            .map(|finding| finding.message.clone())
            .collect();
    }
    match (&error.kind, &error.field_errors) {
        (ErrorKind::Invalid, Some(errors)) => errors
            .errors
            .values()
            .flatten()
            .map(|error| error.message.clone())
            .collect(),
        _ => vec![error.message.clone()],
    }
}

/// What the confirmation page shows before an irreversible action is taken: the
/// application, its organisation and amounts, and what the action will record.
#[derive(Serialize)]
struct ConfirmView {
    summary: Summary,
    lead: String,
    action: &'static str,
    label: &'static str,
    danger: bool,
    reason: Option<String>,
    /// The amount and date the action records, as entered.
    amount: Option<AmountInput>,
    /// What the form sends again, unchanged, to take the action.
    version: i32,
}

/// The amount and date entered with an action's button, as its payload (`GrantDecision`,
/// `Payment`); `Null` for an action that takes none.
fn amount_payload(action: Action, form: &PageForm) -> Result<Value, AppError> {
    let date_field = match action {
        Action::DecideGrant => "decided_on",
        Action::Pay => "paid_on",
        _ => return Ok(Value::Null),
    };
    // Read as the editor reads what people type (全角, 円, commas): `contract`'s readers.
    let refused = |error: crate::domain::validation::FieldError| {
        AppError::new(ErrorKind::BadRequest, error.message)
    };
    let mut payload = serde_json::Map::new();
    let amount = form.text("amount_yen");
    if !amount.trim().is_empty() {
        let yen = crate::contract::amount_from_typed(&amount, "金額").map_err(refused)?;
        payload.insert("amount_yen".into(), yen.into());
    }
    let date = form.text("event_on");
    if !date.trim().is_empty() {
        let date = crate::contract::date_from_typed(&date, "日付").map_err(refused)?;
        payload.insert(date_field.into(), date.to_string().into());
    }
    Ok(Value::Object(payload))
}

/// The confirmation of an irreversible action: shows what will be done to which application
/// and changes nothing; its form takes the action.
async fn confirmation(
    db: Db,
    session: Session,
    caller: crate::web::auth::Caller,
    id: i64,
    action: Action,
    request: ActionRequest,
) -> PageResult {
    let actor = caller.actor.clone();
    let version = request.version;
    let confirm = db
        .run(move |conn, _| {
            let aggregate = actions::authorized_aggregate(conn, &actor, id, action)?;
            if !offered(&actor, &aggregate, action) || aggregate.application.version != version {
                return Ok(None);
            }
            let municipalities = organisations::list_municipalities(conn)?;
            let amount = amount_input(&aggregate, action).map(|mut input| {
                if let Some(yen) = request.payload.get("amount_yen").and_then(Value::as_i64) {
                    input.yen = yen;
                }
                let date = ["decided_on", "paid_on"]
                    .iter()
                    .find_map(|field| request.payload.get(*field).and_then(Value::as_str));
                if let Some(date) = date {
                    date.clone_into(&mut input.date);
                }
                input
            });
            Ok(Some(ConfirmView {
                summary: summary(&aggregate.application, &municipalities),
                lead: aggregate
                    .members
                    .iter()
                    .find(|member| member.role == ApplicantRole::Lead)
                    .map(|member| member.organisation.name.clone())
                    .unwrap_or_default(),
                action: action.as_str(),
                label: action.label_ja(),
                danger: matches!(action, Action::Reject | Action::Revoke),
                reason: request.reason,
                amount,
                version,
            }))
        })
        .await?;
    match confirm {
        Some(view) => {
            let title = format!("{}の確認: {}", view.label, view.summary.reference);
            render("application_confirm", title, &caller, &session, view)
        }
        None => {
            set_refusal(
                &session,
                format!("「{}」を行えませんでした。", action.label_ja()),
                vec![
                    "この申請は他の人が更新したか、今の状態では行えません。最新の内容を確認してください。"
                        .to_owned(),
                ],
            );
            Ok(redirect(&format!("/applications/{id}")))
        }
    }
}

/// A workflow button: `actions::perform` decides and records, exactly as the JSON API. An
/// irreversible action (`workflow::needs_confirmation`) is first shown on a confirmation
/// page, and taken when that page's form sends it back with `confirmed`.
#[post("/applications/{id}/act")]
pub async fn act(
    Then(form, PageOn(db, session, id, caller)): Then<PageForm, PageOn>,
) -> Result<HttpResponse, PageError> {
    let action: Action = form
        .text("action")
        .parse()
        .map_err(|_| AppError::not_found("操作が見つかりません"))?;
    let version: i32 = form
        .text("version")
        .parse()
        .map_err(|_| AppError::new(ErrorKind::BadRequest, "版が指定されていません"))?;
    let reason = Some(form.text("reason")).filter(|r| !r.is_empty());
    let payload = match amount_payload(action, &form) {
        Ok(payload) => payload,
        Err(error) => {
            set_refusal(
                &session,
                format!("「{}」を行えませんでした。", action.label_ja()),
                vec![error.message],
            );
            return Ok(redirect(&format!("/applications/{id}")));
        }
    };
    // 差戻し: the answer deadline, when the 事務局 gave one (read as `CorrectionReturn`).
    let payload = match form.get("reply_due").filter(|d| !d.is_empty()) {
        Some(due) if action == Action::ReturnForCorrection => {
            serde_json::json!({ "reply_due": due })
        }
        _ => payload,
    };
    let request = ActionRequest {
        version,
        reason,
        payload,
    };
    if workflow::needs_confirmation(action) && form.text("confirmed") != "1" {
        return confirmation(db, session, caller, id, action, request).await;
    }
    let actor = caller.actor;
    let outcome = db.perform(actor, id, action, request).await;
    flash_outcome(
        &session,
        outcome,
        |outcome| {
            std::iter::once(format!(
                "「{}」を行いました。現在の状態: {}",
                action.label_ja(),
                outcome.state.label_ja()
            ))
            .chain(outcome.notices)
            .collect::<Vec<_>>()
            .join(" / ")
        },
        &format!("「{}」を行えませんでした", action.label_ja()),
    )?;
    Ok(redirect(&format!("/applications/{id}")))
}

/// One link per filing kind, titled as the filing definitions title it.
fn filing_links(
    application_id: i64,
    kinds: &[crate::pdf::FilingKind],
) -> AppResult<Vec<FilingLink>> {
    let forms = crate::pdf::FilingForms::embedded()
        .map_err(|error| AppError::internal(format!("書類定義の誤り: {error}")))?;
    Ok(kinds
        .iter()
        .map(|kind| FilingLink {
            title: forms.title(*kind).to_owned(),
            href: format!(
                "/api/v1/applications/{application_id}/filings/{}.pdf",
                kind.code()
            ),
        })
        .collect())
}
