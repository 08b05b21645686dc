//! The application lifecycle (DOMAIN.md §4) as a pure state machine:
//! `transition(state, action, facts) -> Result<Transition, WorkflowError>`, with the effects
//! (record the award, freeze the decision, notify, open the survey…) returned as data for the
//! repository to carry out in the same transaction. Who may act is [`authorize`].

use serde::{Deserialize, Serialize};

use super::access::Role;
use super::codes::code_enum;
use super::delivery::MailKind;
use super::validation::ErrorCode;

code_enum! {
    /// A report the grantee files during or after the project.
    ReportKind, "report kind" {
        Interim => "interim", "中間報告（遂行状況報告）";
        Completion => "completion", "実績報告";
    }
}

code_enum! {
    /// Where a filed report stands with the 事務局.
    ReportStatus, "report status" {
        Draft => "draft", "作成中";
        Submitted => "submitted", "提出済";
        Accepted => "accepted", "受理";
        Returned => "returned", "差戻し";
    }
}

code_enum! {
    /// Where an application stands in its lifecycle.
    ApplicationState, "application state" {
        Draft => "draft", "作成中";
        Submitted => "submitted", "申請済";
        UnderReview => "under_review", "審査中";
        ReturnedForCorrection => "returned_for_correction", "差戻し";
        Selected => "selected", "採択";
        NotSelected => "not_selected", "不採択";
        GrantRequested => "grant_requested", "交付申請";
        GrantDecided => "grant_decided", "交付決定";
        InProgress => "in_progress", "事業実施中";
        CompletionReported => "completion_reported", "実績報告";
        AmountConfirmed => "amount_confirmed", "額の確定";
        Paid => "paid", "支払済";
        ContinuationSurvey => "continuation_survey", "継続状況調査";
        Closed => "closed", "完了";
        Withdrawn => "withdrawn", "取下げ";
        Cancelled => "cancelled", "中止・廃止";
        Revoked => "revoked", "交付決定取消";
    }
}

code_enum! {
    /// Everything a person can do to an application. Actions that change the state go
    /// through [`transition`]; all of them go through [`authorize`].
    Action, "action" {
        View => "view", "閲覧";
        EditDraft => "edit_draft", "申請内容の編集";
        Submit => "submit", "申請";
        StartReview => "start_review", "審査開始";
        ReturnForCorrection => "return_for_correction", "差戻し";
        Select => "select", "採択";
        Reject => "reject", "不採択";
        RequestGrant => "request_grant", "交付申請";
        DecideGrant => "decide_grant", "交付決定";
        StartProject => "start_project", "事業開始";
        SubmitInterimReport => "submit_interim_report", "中間報告の提出";
        AcceptInterimReport => "accept_interim_report", "中間報告の受理";
        ReturnInterimReport => "return_interim_report", "中間報告の差戻し";
        RequestChange => "request_change", "計画変更の申請";
        ApproveChange => "approve_change", "計画変更の承認";
        DenyChange => "deny_change", "計画変更の不承認";
        SubmitCompletionReport => "submit_completion_report", "実績報告の提出";
        ConfirmAmount => "confirm_amount", "額の確定";
        Pay => "pay", "支払";
        OpenContinuationSurvey => "open_continuation_survey", "継続状況調査の開始";
        AnswerContinuationSurvey => "answer_continuation_survey", "継続状況調査への回答";
        Close => "close", "完了";
        Withdraw => "withdraw", "取下げ";
        Cancel => "cancel", "中止・廃止";
        Revoke => "revoke", "交付決定の取消";
        ReviewBudgetLine => "review_budget_line", "予算行の審査";
        ViewAudit => "view_audit", "監査ログの閲覧";
    }
}

/// The person acting, as far as the rules need to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub role: Role,
    /// Organisations an applicant acts for.
    pub organisation_ids: Vec<i64>,
    /// The municipality a finance officer works for.
    pub municipality_id: Option<i64>,
}

/// The application acted on, as far as the rules need to know who it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The lead and every co-applicant.
    pub member_organisation_ids: Vec<i64>,
    /// The municipality whose finance officers review its budget.
    pub municipality_id: Option<i64>,
    /// Where the application stands: a draft (作成中) is its applicants' alone.
    pub state: ApplicationState,
}

/// What an application needs, beyond the engine's verdict, before it can be submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmissionGap {
    /// No 事業を行う市町村: no finance officer would ever see its budget.
    NoMunicipality,
    /// The 事業を行う市町村 is none of the municipalities it partners with.
    MunicipalityNotAPartner,
}

impl SubmissionGap {
    /// The draft's field that fills the gap.
    pub fn field(self) -> &'static str {
        "municipality_id"
    }

    pub fn code(self) -> ErrorCode {
        match self {
            SubmissionGap::NoMunicipality => ErrorCode::Required,
            SubmissionGap::MunicipalityNotAPartner => ErrorCode::NotAPartner,
        }
    }

    pub fn message_ja(self) -> &'static str {
        match self {
            SubmissionGap::NoMunicipality => {
                "事業を行う市町村を選んでください（その市町村の担当課が予算を審査します）"
            }
            SubmissionGap::MunicipalityNotAPartner => {
                "事業を行う市町村は、連携先の市町村から選んでください"
            }
        }
    }
}

/// The one notion of "the application's municipality": chosen by the applicant, one of its
/// partner municipalities where those name one, and the municipality whose finance officers
/// review the budget (DOMAIN.md §3: the municipality is a required partner).
pub fn submission_gaps(
    municipality_id: Option<i64>,
    partner_municipality_ids: &[i64],
) -> Vec<SubmissionGap> {
    match municipality_id {
        None => vec![SubmissionGap::NoMunicipality],
        Some(chosen)
            if !partner_municipality_ids.is_empty()
                && !partner_municipality_ids.contains(&chosen) =>
        {
            vec![SubmissionGap::MunicipalityNotAPartner]
        }
        Some(_) => Vec::new(),
    }
}

/// What has happened to an application, as far as the documents recording it care.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Milestones {
    /// 採択 (and not undone by 不採択): the 交付申請書 is due.
    pub selected: bool,
    /// 交付決定 fixed the grant.
    pub grant_decided: bool,
    pub interim_reported: bool,
    pub completion_reported: bool,
    /// 額の確定 fixed the amount.
    pub amount_confirmed: bool,
}

impl Milestones {
    /// From where the application stands and what it records: a state alone forgets (a
    /// revoked grant was still decided).
    pub fn of(
        state: ApplicationState,
        grant_decided: bool,
        amount_confirmed: bool,
        reports: &[ReportKind],
    ) -> Milestones {
        use ApplicationState as S;
        Milestones {
            selected: grant_decided || matches!(state, S::Selected | S::GrantRequested),
            grant_decided,
            interim_reported: reports.contains(&ReportKind::Interim),
            completion_reported: reports.contains(&ReportKind::Completion),
            amount_confirmed,
        }
    }
}

/// The event a document records; it exists from that event on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentEvent {
    /// The application itself (申請書, 経費明細書, 判定結果): from the draft on.
    Application,
    Selection,
    GrantDecision,
    InterimReport,
    CompletionReport,
    AmountConfirmation,
}

impl DocumentEvent {
    /// Whether the document exists yet: a 交付決定通知書 before 交付決定 would announce a grant
    /// nobody decided.
    pub fn has_happened(self, milestones: &Milestones) -> bool {
        match self {
            DocumentEvent::Application => true,
            DocumentEvent::Selection => milestones.selected,
            DocumentEvent::GrantDecision => milestones.grant_decided,
            DocumentEvent::InterimReport => milestones.interim_reported,
            DocumentEvent::CompletionReport => milestones.completion_reported,
            DocumentEvent::AmountConfirmation => milestones.amount_confirmed,
        }
    }

    /// When the document comes to exist, as a person is told: 「交付決定の後に発行されます」.
    pub fn label_ja(self) -> &'static str {
        match self {
            DocumentEvent::Application => "申請",
            DocumentEvent::Selection => "採択",
            DocumentEvent::GrantDecision => "交付決定",
            DocumentEvent::InterimReport => "中間報告の提出",
            DocumentEvent::CompletionReport => "実績報告の提出",
            DocumentEvent::AmountConfirmation => "額の確定",
        }
    }
}

/// Whether this role sees applications still being drafted. Finance officers and the 事務局
/// see an application from its submission on; until then it is its applicants' working copy.
pub fn sees_drafts(role: Role) -> bool {
    role == Role::Applicant
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("この操作を行う権限がありません")]
    Forbidden,
    #[error("「{state}」の申請には「{action}」を行えません", state = .state.label_ja(), action = .action.label_ja())]
    NotAllowedInState {
        action: Action,
        state: ApplicationState,
    },
    #[error("理由を入力してください")]
    ReasonRequired,
    #[error("判定で要件を満たしていません（{}）", codes(.findings))]
    Ineligible { findings: Vec<Refusing> },
    #[error("申請に必要な項目が足りません")]
    NotReady { gaps: Vec<SubmissionGap> },
    #[error("{0}")]
    Invalid(String),
}

/// A finding of the engine that refuses an action: its code for programs, its message (as the
/// decision shows it) for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusing {
    pub code: String,
    pub message: String,
}

fn codes(findings: &[Refusing]) -> String {
    findings
        .iter()
        .map(|finding| finding.code.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

/// Who may do what (DESIGN.md: applicants act on their own organisation's
/// applications; finance officers review budget lines in their municipality; program managers
/// select, decide, confirm and revoke). Anything else is refused.
pub fn authorize(actor: &Actor, action: Action, scope: &Scope) -> Result<(), WorkflowError> {
    let is_member = actor
        .organisation_ids
        .iter()
        .any(|id| scope.member_organisation_ids.contains(id));
    let is_municipality =
        actor.municipality_id.is_some() && actor.municipality_id == scope.municipality_id;
    if scope.state == ApplicationState::Draft && !sees_drafts(actor.role) {
        return Err(WorkflowError::Forbidden);
    }
    let allowed = match actor.role {
        Role::Applicant => is_member && (action == Action::View || action.is_the_grantees()),
        Role::FinanceOfficer => {
            is_municipality && matches!(action, Action::View | Action::ReviewBudgetLine)
        }
        // The 事務局 does the rest: never the grantee's own steps, nor the municipality's review.
        Role::ProgramManager => !(action.is_the_grantees() || action == Action::ReviewBudgetLine),
    };
    if allowed {
        Ok(())
    } else {
        Err(WorkflowError::Forbidden)
    }
}

/// What the rules need to know beyond the state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The engine's verdict, re-run for submit, select and decide: `Ok` when eligible, else
    /// its error findings.
    pub engine: Option<Result<(), Vec<Refusing>>>,
    /// A reason was given (差戻し, 不採択, 取下げ, 中止・廃止, 取消 need one).
    pub reason_given: bool,
    /// What the application still lacks to be submitted ([`submission_gaps`]).
    pub submission_gaps: Vec<SubmissionGap>,
}

/// Something the repository must do in the transaction that records the transition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "effect")]
pub enum Effect {
    /// Add the award to the ledger for every member (採択): it counts from now on.
    RecordAward,
    /// Fix rate, ordinal, cap, rounding unit, budget per category and period (交付決定).
    FreezeDecision,
    /// Compute and record the confirmed amount from the completion report (額の確定).
    ConfirmAmount,
    /// Create the continuation survey for the next fiscal year.
    OpenContinuationSurvey,
    /// Cancel pending reminders of the application.
    CancelReminders,
    /// Send an email (as a job) to the applicant's users or the program managers.
    Notify { template: MailKind, to: Recipients },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipients {
    Applicant,
    ProgramManagers,
    /// The finance officers of the application's municipality, who review its budget.
    FinanceOfficers,
}

impl Recipients {
    pub fn label_ja(self) -> &'static str {
        match self {
            Recipients::Applicant => "申請者",
            Recipients::ProgramManagers => "事務局",
            Recipients::FinanceOfficers => "市町村の予算審査担当",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: ApplicationState,
    pub to: ApplicationState,
    pub effects: Vec<Effect>,
}

impl Action {
    /// Whether the action is the grantee's own step (drafting, applying, reporting,
    /// withdrawing): an applicant member takes it, the 事務局 never does.
    pub fn is_the_grantees(self) -> bool {
        matches!(
            self,
            Action::EditDraft
                | Action::Submit
                | Action::RequestGrant
                | Action::StartProject
                | Action::SubmitInterimReport
                | Action::RequestChange
                | Action::SubmitCompletionReport
                | Action::AnswerContinuationSurvey
                | Action::Withdraw
        )
    }

    /// Whether the action needs the engine's verdict in [`Facts::engine`].
    pub fn reruns_engine(self) -> bool {
        matches!(self, Action::Submit | Action::Select | Action::DecideGrant)
    }

    /// Whether the action needs a reason.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Action::ReturnForCorrection
                | Action::Reject
                | Action::Withdraw
                | Action::Cancel
                | Action::Revoke
                | Action::ReturnInterimReport
                | Action::DenyChange
        )
    }
}

/// The lifecycle. Sub-flows (interim reports, change requests) leave the state as it is but
/// are only open in the states where the project runs.
pub fn transition(
    state: ApplicationState,
    action: Action,
    facts: &Facts,
) -> Result<Transition, WorkflowError> {
    use ApplicationState as S;
    let not_allowed = || WorkflowError::NotAllowedInState { action, state };
    if action.needs_reason() && !facts.reason_given {
        return Err(WorkflowError::ReasonRequired);
    }
    let notify_applicant = |template| Effect::Notify {
        template,
        to: Recipients::Applicant,
    };
    let (to, effects) = match (action, state) {
        (Action::Submit, S::Draft | S::ReturnedForCorrection) => {
            if !facts.submission_gaps.is_empty() {
                return Err(WorkflowError::NotReady {
                    gaps: facts.submission_gaps.clone(),
                });
            }
            (
                S::Submitted,
                vec![
                    Effect::Notify {
                        template: MailKind::ApplicationSubmitted,
                        to: Recipients::ProgramManagers,
                    },
                    Effect::Notify {
                        template: MailKind::BudgetReviewRequested,
                        to: Recipients::FinanceOfficers,
                    },
                    Effect::Notify {
                        template: MailKind::ApplicationReceived,
                        to: Recipients::Applicant,
                    },
                ],
            )
        }
        (Action::StartReview, S::Submitted) => (S::UnderReview, vec![]),
        (Action::ReturnForCorrection, S::Submitted | S::UnderReview) => (
            S::ReturnedForCorrection,
            vec![notify_applicant(MailKind::ReturnedForCorrection)],
        ),
        (Action::Select, S::UnderReview) => (
            S::Selected,
            vec![Effect::RecordAward, notify_applicant(MailKind::Selected)],
        ),
        (Action::Reject, S::Submitted | S::UnderReview) => (
            S::NotSelected,
            vec![notify_applicant(MailKind::NotSelected)],
        ),
        (Action::RequestGrant, S::Selected) => (S::GrantRequested, vec![]),
        (Action::DecideGrant, S::GrantRequested) => (
            S::GrantDecided,
            vec![
                Effect::FreezeDecision,
                notify_applicant(MailKind::GrantDecided),
            ],
        ),
        (Action::StartProject, S::GrantDecided) => (S::InProgress, vec![]),
        (
            Action::SubmitInterimReport | Action::AcceptInterimReport | Action::ReturnInterimReport,
            S::InProgress,
        ) => (state, vec![]),
        (
            Action::RequestChange | Action::ApproveChange | Action::DenyChange,
            S::GrantDecided | S::InProgress,
        ) => (state, vec![]),
        (Action::SubmitCompletionReport, S::InProgress) => (
            S::CompletionReported,
            vec![
                Effect::CancelReminders,
                Effect::Notify {
                    template: MailKind::CompletionReported,
                    to: Recipients::ProgramManagers,
                },
            ],
        ),
        (Action::ConfirmAmount, S::CompletionReported) => (
            S::AmountConfirmed,
            vec![
                Effect::ConfirmAmount,
                notify_applicant(MailKind::AmountConfirmed),
            ],
        ),
        (Action::Pay, S::AmountConfirmed) => (S::Paid, vec![]),
        (Action::OpenContinuationSurvey, S::Paid) => (
            S::ContinuationSurvey,
            vec![
                Effect::OpenContinuationSurvey,
                notify_applicant(MailKind::ContinuationSurvey),
            ],
        ),
        (Action::AnswerContinuationSurvey | Action::Close, S::ContinuationSurvey) => {
            (S::Closed, vec![])
        }
        (
            Action::Withdraw,
            S::Draft
            | S::Submitted
            | S::UnderReview
            | S::ReturnedForCorrection
            | S::Selected
            | S::GrantRequested,
        ) => (S::Withdrawn, vec![Effect::CancelReminders]),
        (Action::Cancel, S::GrantDecided | S::InProgress) => (
            S::Cancelled,
            vec![
                Effect::CancelReminders,
                notify_applicant(MailKind::Cancelled),
            ],
        ),
        (
            Action::Revoke,
            S::GrantDecided | S::InProgress | S::CompletionReported | S::AmountConfirmed | S::Paid,
        ) => (
            S::Revoked,
            vec![Effect::CancelReminders, notify_applicant(MailKind::Revoked)],
        ),
        _ => return Err(not_allowed()),
    };
    if action.reruns_engine() {
        match &facts.engine {
            Some(Ok(())) => {}
            Some(Err(findings)) => {
                return Err(WorkflowError::Ineligible {
                    findings: findings.clone(),
                });
            }
            None => return Err(WorkflowError::Invalid("判定結果がありません".into())),
        }
    }
    Ok(Transition {
        from: state,
        to,
        effects,
    })
}

/// States in which a finance officer may review budget lines (before the grant is decided).
pub fn budget_review_open(state: ApplicationState) -> bool {
    matches!(
        state,
        ApplicationState::Submitted
            | ApplicationState::UnderReview
            | ApplicationState::ReturnedForCorrection
            | ApplicationState::Selected
            | ApplicationState::GrantRequested
    )
}

/// Actions that cannot be undone (採択, 不採択, 交付決定, 額の確定, 支払, 取消): a person is
/// shown what they are about to decide, and takes it only once confirmed.
pub fn needs_confirmation(action: Action) -> bool {
    matches!(
        action,
        Action::Select
            | Action::Reject
            | Action::DecideGrant
            | Action::ConfirmAmount
            | Action::Pay
            | Action::Revoke
    )
}

/// States in which the applicant may edit the application's content.
pub fn editable(state: ApplicationState) -> bool {
    matches!(
        state,
        ApplicationState::Draft | ApplicationState::ReturnedForCorrection
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_code() {
        for state in ApplicationState::ALL {
            assert_eq!(state.as_str().parse::<ApplicationState>(), Ok(*state));
            assert!(!state.label_ja().is_empty());
        }
        assert!("approved".parse::<ApplicationState>().is_err());
        for action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>(), Ok(*action));
        }
    }

    fn eligible() -> Facts {
        Facts {
            engine: Some(Ok(())),
            reason_given: false,
            ..Facts::default()
        }
    }

    fn with_reason() -> Facts {
        Facts {
            engine: None,
            reason_given: true,
            ..Facts::default()
        }
    }

    #[test]
    fn the_main_path_runs_from_draft_to_closed() {
        use ApplicationState as S;
        let steps = [
            (Action::Submit, eligible(), S::Submitted),
            (Action::StartReview, Facts::default(), S::UnderReview),
            (
                Action::ReturnForCorrection,
                with_reason(),
                S::ReturnedForCorrection,
            ),
            (Action::Submit, eligible(), S::Submitted),
            (Action::StartReview, Facts::default(), S::UnderReview),
            (Action::Select, eligible(), S::Selected),
            (Action::RequestGrant, Facts::default(), S::GrantRequested),
            (Action::DecideGrant, eligible(), S::GrantDecided),
            (Action::StartProject, Facts::default(), S::InProgress),
            (Action::SubmitInterimReport, Facts::default(), S::InProgress),
            (Action::RequestChange, Facts::default(), S::InProgress),
            (
                Action::SubmitCompletionReport,
                Facts::default(),
                S::CompletionReported,
            ),
            (Action::ConfirmAmount, Facts::default(), S::AmountConfirmed),
            (Action::Pay, Facts::default(), S::Paid),
            (
                Action::OpenContinuationSurvey,
                Facts::default(),
                S::ContinuationSurvey,
            ),
            (
                Action::AnswerContinuationSurvey,
                Facts::default(),
                S::Closed,
            ),
        ];
        let mut state = S::Draft;
        for (action, facts, expected) in steps {
            let next =
                transition(state, action, &facts).unwrap_or_else(|e| panic!("{action}: {e}"));
            assert_eq!(next.to, expected, "{action} from {state}");
            state = next.to;
        }
    }

    #[test]
    fn selection_records_the_award_and_decision_freezes() {
        let selected =
            transition(ApplicationState::UnderReview, Action::Select, &eligible()).expect("select");
        assert!(selected.effects.contains(&Effect::RecordAward));
        let decided = transition(
            ApplicationState::GrantRequested,
            Action::DecideGrant,
            &eligible(),
        )
        .expect("decide");
        assert!(decided.effects.contains(&Effect::FreezeDecision));
    }

    #[test]
    fn the_engine_must_agree_for_submit_select_and_decide() {
        let finding = Refusing {
            code: crate::domain::evaluation::AWARD_CAP_EXCEEDED.into(),
            message: "採択回数の上限（3回）に達しています。".into(),
        };
        let refused = Facts {
            engine: Some(Err(vec![finding.clone()])),
            reason_given: false,
            ..Facts::default()
        };
        for (action, state) in [
            (Action::Submit, ApplicationState::Draft),
            (Action::Select, ApplicationState::UnderReview),
            (Action::DecideGrant, ApplicationState::GrantRequested),
        ] {
            let error = transition(state, action, &refused).err();
            assert_eq!(
                error,
                Some(WorkflowError::Ineligible {
                    findings: vec![finding.clone()]
                }),
                "the refusal carries the finding, its code and its message"
            );
            assert_eq!(
                error.map(|error| error.to_string()).unwrap_or_default(),
                "判定で要件を満たしていません（award_cap_exceeded）"
            );
            assert!(matches!(
                transition(state, action, &Facts::default()),
                Err(WorkflowError::Invalid(_))
            ));
        }
    }

    #[test]
    fn actions_out_of_order_are_refused() {
        use ApplicationState as S;
        for (action, state) in [
            (Action::Select, S::Draft),
            (Action::DecideGrant, S::Selected),
            (Action::ConfirmAmount, S::InProgress),
            (Action::Pay, S::CompletionReported),
            (Action::Submit, S::Closed),
            (Action::Withdraw, S::InProgress),
            (Action::Revoke, S::Draft),
        ] {
            let facts = Facts {
                engine: Some(Ok(())),
                reason_given: true,
                ..Facts::default()
            };
            assert_eq!(
                transition(state, action, &facts),
                Err(WorkflowError::NotAllowedInState { action, state }),
            );
        }
    }

    #[test]
    fn reasons_are_required_where_a_person_must_explain() {
        assert_eq!(
            transition(
                ApplicationState::UnderReview,
                Action::Reject,
                &Facts::default()
            ),
            Err(WorkflowError::ReasonRequired)
        );
        assert!(
            transition(
                ApplicationState::UnderReview,
                Action::Reject,
                &with_reason()
            )
            .is_ok()
        );
    }

    #[test]
    fn each_role_acts_only_within_its_scope() {
        let scope = Scope {
            member_organisation_ids: vec![1, 2],
            municipality_id: Some(10),
            state: ApplicationState::Submitted,
        };
        let applicant = |orgs: Vec<i64>| Actor {
            user_id: 1,
            role: Role::Applicant,
            organisation_ids: orgs,
            municipality_id: None,
        };
        let officer = |municipality| Actor {
            user_id: 2,
            role: Role::FinanceOfficer,
            organisation_ids: vec![],
            municipality_id: Some(municipality),
        };
        let manager = Actor {
            user_id: 3,
            role: Role::ProgramManager,
            organisation_ids: vec![],
            municipality_id: None,
        };

        assert!(
            authorize(&applicant(vec![2]), Action::Submit, &scope).is_ok(),
            "a co-applicant acts"
        );
        assert!(
            authorize(&applicant(vec![3]), Action::View, &scope).is_err(),
            "another organisation"
        );
        assert!(authorize(&applicant(vec![1]), Action::Select, &scope).is_err());
        assert!(authorize(&officer(10), Action::ReviewBudgetLine, &scope).is_ok());
        assert!(
            authorize(&officer(11), Action::ReviewBudgetLine, &scope).is_err(),
            "another municipality"
        );
        assert!(authorize(&officer(10), Action::Select, &scope).is_err());
        assert!(authorize(&manager, Action::Select, &scope).is_ok());
        assert!(
            authorize(&manager, Action::Submit, &scope).is_err(),
            "the manager does not apply"
        );
        assert!(authorize(&manager, Action::ReviewBudgetLine, &scope).is_err());
        let unscoped = Scope {
            member_organisation_ids: vec![1],
            municipality_id: None,
            state: ApplicationState::Submitted,
        };
        assert!(
            authorize(&officer(10), Action::View, &unscoped).is_err(),
            "no municipality, no officer"
        );
    }

    #[test]
    fn submission_needs_a_municipality_among_the_partners() {
        assert_eq!(
            submission_gaps(None, &[10]),
            vec![SubmissionGap::NoMunicipality]
        );
        assert_eq!(
            submission_gaps(Some(11), &[10]),
            vec![SubmissionGap::MunicipalityNotAPartner]
        );
        assert!(submission_gaps(Some(10), &[10, 12]).is_empty());
        assert!(
            submission_gaps(Some(10), &[]).is_empty(),
            "partners named only by name cannot be compared"
        );
        let gaps = Facts {
            engine: Some(Ok(())),
            submission_gaps: vec![SubmissionGap::NoMunicipality],
            ..Facts::default()
        };
        assert_eq!(
            transition(ApplicationState::Draft, Action::Submit, &gaps),
            Err(WorkflowError::NotReady {
                gaps: vec![SubmissionGap::NoMunicipality]
            })
        );
        let submitted = transition(ApplicationState::Draft, Action::Submit, &eligible())
            .expect("a complete draft is submitted");
        assert!(submitted.effects.contains(&Effect::Notify {
            template: MailKind::BudgetReviewRequested,
            to: Recipients::FinanceOfficers,
        }));
    }

    #[test]
    fn a_draft_is_seen_by_its_applicants_only() {
        let draft = Scope {
            member_organisation_ids: vec![1],
            municipality_id: Some(10),
            state: ApplicationState::Draft,
        };
        let sees = |role, organisation_ids, municipality_id, scope: &Scope| {
            let actor = Actor {
                user_id: 1,
                role,
                organisation_ids,
                municipality_id,
            };
            authorize(&actor, Action::View, scope).is_ok()
        };
        assert!(sees(Role::Applicant, vec![1], None, &draft));
        assert!(!sees(Role::FinanceOfficer, vec![], Some(10), &draft));
        assert!(!sees(Role::ProgramManager, vec![], None, &draft));
        let submitted = Scope {
            state: ApplicationState::Submitted,
            ..draft
        };
        assert!(sees(Role::FinanceOfficer, vec![], Some(10), &submitted));
        assert!(sees(Role::ProgramManager, vec![], None, &submitted));
    }

    #[test]
    fn a_document_exists_from_the_event_it_records() {
        use ApplicationState as S;
        let submitted = Milestones::of(S::Submitted, false, false, &[]);
        assert!(DocumentEvent::Application.has_happened(&submitted));
        for later in [
            DocumentEvent::Selection,
            DocumentEvent::GrantDecision,
            DocumentEvent::InterimReport,
            DocumentEvent::CompletionReport,
            DocumentEvent::AmountConfirmation,
        ] {
            assert!(!later.has_happened(&submitted), "{later:?} before its time");
        }
        assert!(DocumentEvent::Selection.has_happened(&Milestones::of(
            S::Selected,
            false,
            false,
            &[]
        )));
        let under_way = Milestones::of(S::InProgress, true, false, &[ReportKind::Interim]);
        assert!(DocumentEvent::GrantDecision.has_happened(&under_way));
        assert!(DocumentEvent::InterimReport.has_happened(&under_way));
        assert!(!DocumentEvent::CompletionReport.has_happened(&under_way));
        assert!(!DocumentEvent::AmountConfirmation.has_happened(&under_way));
        let revoked = Milestones::of(S::Revoked, true, false, &[]);
        assert!(
            DocumentEvent::GrantDecision.has_happened(&revoked),
            "a revoked grant was still decided"
        );
    }
}
