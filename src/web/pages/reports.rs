//! The applicant's filings that carry content, each on a page of its own: the interim report
//! (遂行状況報告), the completion report with the actual amount of each budget line (実績報告),
//! a change request (計画変更) and the continuation-survey answer (継続状況調査). Each page is
//! offered only when `view::offered` says the workflow allows it to this person now, and each
//! one calls `actions::perform` with the action's payload, exactly as the JSON API does. The
//! errors the action answers (`payload.body`, `payload.lines[0].amount_yen`, `reason`…) come
//! back next to the field they concern, with everything typed kept. The interim report may
//! carry attachments (multipart): each is checked as an evidence file is
//! (`domain::evidence::accept`) and stored with the report by `actions::submit_interim_report`.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;
use serde_json::json;

use super::editor::{Field, field_id};
use super::evidence::{ACCEPT, accept_upload};
use super::upload::FormWithFiles;
use super::view::{offered, refusal_message};
use super::{Db, PageCaller, PageError, PageForm, PageResult, Then, redirect, render, set_flash};
use crate::actions::payloads::{
    ChangeRequest, CompletionReport, InterimReport, LineAmount, SurveyAnswer,
};
use crate::actions::{self, ATTACHMENT_FIELD, ActionRequest};
use crate::contract::amount_from_typed;
use crate::db::applications::Aggregate;
use crate::domain::codes::FundingSource;
use crate::domain::evidence::EvidenceFile;
use crate::domain::kpi::Continuation;
use crate::domain::validation::{ErrorCode, FieldErrors};
use crate::domain::workflow::{Action, Actor, ApplicationState};
use crate::error::{AppError, AppResult, ErrorKind};

/// The four forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilingKind {
    Interim,
    Completion,
    Change,
    Survey,
}

impl FilingKind {
    const ALL: [FilingKind; 4] = [
        FilingKind::Interim,
        FilingKind::Completion,
        FilingKind::Change,
        FilingKind::Survey,
    ];

    /// The form of an action that carries a payload.
    pub fn of(action: Action) -> Option<Self> {
        FilingKind::ALL
            .into_iter()
            .find(|kind| kind.action() == action)
    }

    pub fn action(self) -> Action {
        match self {
            FilingKind::Interim => Action::SubmitInterimReport,
            FilingKind::Completion => Action::SubmitCompletionReport,
            FilingKind::Change => Action::RequestChange,
            FilingKind::Survey => Action::AnswerContinuationSurvey,
        }
    }

    /// The page under `/applications/{id}/`.
    pub fn path(self) -> &'static str {
        match self {
            FilingKind::Interim => "interim-report",
            FilingKind::Completion => "completion-report",
            FilingKind::Change => "change-request",
            FilingKind::Survey => "continuation-survey",
        }
    }

    fn from_path(path: &str) -> Option<Self> {
        FilingKind::ALL.into_iter().find(|kind| kind.path() == path)
    }

    fn heading(self) -> &'static str {
        match self {
            FilingKind::Interim => "遂行状況報告（中間報告）",
            FilingKind::Completion => "実績報告",
            FilingKind::Change => "計画変更の申請",
            FilingKind::Survey => "継続状況調査への回答",
        }
    }

    fn intro(self) -> &'static str {
        match self {
            FilingKind::Interim => "補助事業の進み具合と、見込まれる成果・課題を記入してください。",
            FilingKind::Completion => {
                "補助事業で実際に支出した額を予算行ごとに入力してください（税抜・円）。補助対象の行はすべて必須です（支出がなければ 0）。提出すると「実績報告」の状態になり、事務局が額を確定します。"
            }
            FilingKind::Change => {
                "変更する予算行にだけ変更後の額を入力してください（空欄の行は変わりません）。経費区分ごとの増減が交付決定額の 20% を超えるときは事務局の承認を待ち、それ以下は直ちに反映されます。"
            }
            FilingKind::Survey => {
                "補助事業が終わった後の取組の状況を回答してください。回答すると手続は完了します。"
            }
        }
    }

    fn submit_label(self) -> &'static str {
        match self {
            FilingKind::Interim => "中間報告を提出する",
            FilingKind::Completion => "実績報告を提出する",
            FilingKind::Change => "計画変更を申請する",
            FilingKind::Survey => "回答する",
        }
    }

    fn has_lines(self) -> bool {
        matches!(self, FilingKind::Completion | FilingKind::Change)
    }
}

/// The form as typed.
#[derive(Clone, Debug, Default)]
struct Typed {
    body: String,
    reason: String,
    /// Budget line id → amount as typed (actuals, or amounts after the change).
    amounts: BTreeMap<i64, String>,
    continuation: String,
    /// Funding source code → amount as typed.
    funding_mix: BTreeMap<String, String>,
    evidence: String,
}

const BODY: &str = "payload.body";
const REASON: &str = "reason";
const CONTINUATION: &str = "payload.continuation";
const EVIDENCE: &str = "payload.evidence";

fn amount_name(line_id: i64) -> String {
    format!("amounts[{line_id}]")
}

fn funding_name(code: &str) -> String {
    format!("funding_mix.{code}")
}

/// The sources of money a continued project may have (this subsidy is over).
fn continuation_sources() -> impl Iterator<Item = FundingSource> {
    FundingSource::ALL
        .iter()
        .copied()
        .filter(|source| *source != FundingSource::ThisSubsidy)
}

impl Typed {
    fn from_form(form: &PageForm) -> Self {
        let mut typed = Typed {
            body: form.get(BODY).unwrap_or_default().to_owned(),
            reason: form.get(REASON).unwrap_or_default().to_owned(),
            continuation: form.text(CONTINUATION),
            evidence: form.text(EVIDENCE),
            ..Default::default()
        };
        for (name, value) in form.fields() {
            if let Some(id) = name
                .strip_prefix("amounts[")
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|id| id.parse::<i64>().ok())
            {
                typed.amounts.insert(id, value.trim().to_owned());
            } else if let Some(code) = name.strip_prefix("funding_mix.") {
                typed
                    .funding_mix
                    .insert(code.to_owned(), value.trim().to_owned());
            }
        }
        typed
    }

    /// The action's request, what could not be read (by form name), and the line ids in the
    /// order they were sent (to put the action's `payload.lines[i]` errors back on their row).
    fn to_request(
        &self,
        kind: FilingKind,
        version: i32,
        line_ids: &[i64],
    ) -> (ActionRequest, FieldErrors, Vec<i64>) {
        let mut errors = FieldErrors::new();
        let mut amount = |name: String, text: &str| -> Option<i64> {
            if text.is_empty() {
                return None;
            }
            match amount_from_typed(text, "金額") {
                Ok(amount) => Some(amount),
                Err(error) => {
                    errors.add(name, error.code, error.message);
                    None
                }
            }
        };
        let mut sent = Vec::new();
        let mut lines = Vec::new();
        if kind.has_lines() {
            for id in line_ids {
                let text = self.amounts.get(id).map(String::as_str).unwrap_or_default();
                if let Some(amount_yen) = amount(amount_name(*id), text) {
                    sent.push(*id);
                    lines.push(LineAmount {
                        line_id: *id,
                        amount_yen,
                    });
                }
            }
        }
        let payload = match kind {
            FilingKind::Interim => json!(InterimReport {
                body: self.body.clone()
            }),
            FilingKind::Completion => json!(CompletionReport {
                body: self.body.trim().to_owned(),
                actuals: lines,
            }),
            FilingKind::Change => json!(ChangeRequest { lines }),
            FilingKind::Survey => {
                let mut funding_mix = BTreeMap::new();
                for source in continuation_sources() {
                    let code = source.as_str();
                    let text = self
                        .funding_mix
                        .get(code)
                        .map(String::as_str)
                        .unwrap_or_default();
                    if let Some(yen) = amount(funding_name(code), text) {
                        funding_mix.insert(code.to_owned(), yen);
                    }
                }
                json!(SurveyAnswer {
                    continuation: self.continuation.clone(),
                    funding_mix,
                    evidence: Some(self.evidence.clone()).filter(|e| !e.is_empty()),
                })
            }
        };
        let request = ActionRequest {
            version,
            reason: Some(self.reason.trim().to_owned()).filter(|r| !r.is_empty()),
            payload,
        };
        (request, errors, sent)
    }
}

/// The action's field errors by form name; those that belong to no one field are general.
fn by_form_name(errors: &FieldErrors, sent: &[i64]) -> (BTreeMap<String, String>, Vec<String>) {
    let mut fields = BTreeMap::new();
    let mut general = Vec::new();
    for (path, list) in &errors.errors {
        let message = list
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join(" ");
        let row = path
            .strip_prefix("payload.lines[")
            .and_then(|rest| rest.split(']').next())
            .and_then(|index| index.parse::<usize>().ok())
            .and_then(|index| sent.get(index));
        let name = match (path.as_str(), row) {
            (_, Some(line_id)) => Some(amount_name(*line_id)),
            (BODY | REASON | CONTINUATION | EVIDENCE | ATTACHMENT_FIELD, _) => Some(path.clone()),
            (other, _) if other.starts_with("amounts[") || other.starts_with("funding_mix.") => {
                Some(path.clone())
            }
            _ => None,
        };
        match name {
            Some(name) => {
                fields.insert(name, message);
            }
            None => general.push(message),
        }
    }
    (fields, general)
}

#[derive(Serialize)]
struct LineRow {
    activity: String,
    category: String,
    description: String,
    funding: String,
    claimed: bool,
    planned_yen: i64,
    field: Field,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
    id: String,
    checked: bool,
}

#[derive(Serialize)]
struct SurveyView {
    options: Vec<Choice>,
    error: Option<String>,
    funding: Vec<Field>,
    evidence: Field,
}

/// The file input of a report's attachments (a browser cannot keep chosen files: after a
/// refusal they are chosen again).
#[derive(Serialize)]
struct AttachmentInput {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    accept: &'static str,
    error: Option<String>,
}

#[derive(Serialize)]
struct FilingView {
    id: i64,
    reference: String,
    title: String,
    state_label: &'static str,
    version: i32,
    code: &'static str,
    heading: &'static str,
    intro: &'static str,
    submit_label: &'static str,
    action_path: String,
    general_errors: Vec<String>,
    lines: Vec<LineRow>,
    lines_caption: &'static str,
    planned_heading: &'static str,
    amount_heading: &'static str,
    survey: Option<SurveyView>,
    reason: Option<Field>,
    body: Option<Field>,
    attachments: Option<AttachmentInput>,
}

fn field(name: &str, label: &str, value: &str, errors: &BTreeMap<String, String>) -> Field {
    Field {
        id: field_id(name),
        name: name.to_owned(),
        label: label.to_owned(),
        value: value.to_owned(),
        error: errors.get(name).cloned(),
        input_type: "text",
        ..Default::default()
    }
}

fn textarea(name: &str, label: &str, value: &str, errors: &BTreeMap<String, String>) -> Field {
    Field {
        is_textarea: true,
        ..field(name, label, value, errors)
    }
}

fn filing_view(
    kind: FilingKind,
    aggregate: &Aggregate,
    typed: &Typed,
    errors: &BTreeMap<String, String>,
    general_errors: Vec<String>,
) -> FilingView {
    let application = &aggregate.application;
    let lines = if kind.has_lines() {
        aggregate
            .activities
            .iter()
            .flat_map(|(activity, lines)| lines.iter().map(move |line| (activity, line)))
            .map(|(activity, line)| {
                let name = amount_name(line.id);
                let what = if kind == FilingKind::Completion {
                    "実績額（円）"
                } else {
                    "変更後の額（円）"
                };
                LineRow {
                    activity: activity.name.clone(),
                    category: line.category.label_ja().to_owned(),
                    description: line.description.clone(),
                    funding: line.funding_source.label_ja().to_owned(),
                    claimed: line.amounts().is_claimed(),
                    planned_yen: line.effective_yen().value(),
                    field: field(
                        &name,
                        &format!("{}（{}）の{what}", line.description, activity.name),
                        typed
                            .amounts
                            .get(&line.id)
                            .map(String::as_str)
                            .unwrap_or_default(),
                        errors,
                    ),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let survey = (kind == FilingKind::Survey).then(|| SurveyView {
        options: Continuation::ALL
            .iter()
            .map(|answer| (answer.as_str(), answer.label_ja()))
            .map(|(value, label)| Choice {
                value,
                label,
                id: format!("continuation-{value}"),
                checked: typed.continuation == value,
            })
            .collect(),
        error: errors.get(CONTINUATION).cloned(),
        funding: continuation_sources()
            .map(|source| {
                let name = funding_name(source.as_str());
                field(
                    &name,
                    &format!("{}（円）", source.label_ja()),
                    typed
                        .funding_mix
                        .get(source.as_str())
                        .map(String::as_str)
                        .unwrap_or_default(),
                    errors,
                )
            })
            .collect(),
        evidence: field(
            EVIDENCE,
            "根拠となる資料（任意。例: 令和9年度 市予算書 p.12）",
            &typed.evidence,
            errors,
        ),
    });
    FilingView {
        id: application.id,
        reference: application.reference.clone(),
        title: application.title.clone(),
        state_label: aggregate.state().label_ja(),
        version: application.version,
        code: kind.action().as_str(),
        heading: kind.heading(),
        intro: kind.intro(),
        submit_label: kind.submit_label(),
        action_path: format!("/applications/{}/{}", application.id, kind.path()),
        general_errors,
        lines,
        lines_caption: match kind {
            FilingKind::Completion => "予算行ごとの実績額",
            _ => "予算行ごとの変更後の額",
        },
        planned_heading: match kind {
            FilingKind::Completion => "計画額（審査後）",
            _ => "現在の額",
        },
        amount_heading: match kind {
            FilingKind::Completion => "実績額（円）",
            _ => "変更後の額（円・空欄は変更なし）",
        },
        survey,
        reason: (kind == FilingKind::Change)
            .then(|| textarea(REASON, "変更の理由", &typed.reason, errors)),
        body: match kind {
            FilingKind::Interim => Some(textarea(BODY, "遂行状況の内容", &typed.body, errors)),
            FilingKind::Completion => Some(textarea(
                BODY,
                "事業の実績の概要（任意）",
                &typed.body,
                errors,
            )),
            _ => None,
        },
        attachments: (kind == FilingKind::Interim).then(|| AttachmentInput {
            name: ATTACHMENT_FIELD,
            label: "添付資料（任意。PDF・PNG・JPEG、1 ファイル 10MB まで、複数可）",
            hint: "入力に誤りがあって画面が戻ったときは、ファイルをもう一度選択してください。",
            accept: ACCEPT,
            error: errors.get(ATTACHMENT_FIELD).cloned(),
        }),
    }
}

/// The application, when this person may file `kind` on it now: 403 when the workflow never
/// lets them, 409 when the state does not (yet, or any more).
fn open_for(
    conn: &mut crate::db::DbConnection,
    actor: &Actor,
    id: i64,
    kind: FilingKind,
) -> AppResult<Aggregate> {
    let aggregate = actions::authorized_aggregate(conn, actor, id, kind.action())?;
    if !offered(actor, &aggregate, kind.action()) {
        let state = aggregate.state();
        return Err(AppError::conflict(format!(
            "「{}」の申請には「{}」を行えません",
            state.label_ja(),
            kind.action().label_ja()
        )));
    }
    Ok(aggregate)
}

fn line_ids(aggregate: &Aggregate) -> Vec<i64> {
    aggregate.lines().map(|line| line.id).collect()
}

fn kind_of(path: &str) -> Result<FilingKind, PageError> {
    FilingKind::from_path(path)
        .ok_or_else(|| PageError::from(AppError::not_found("ページが見つかりません")))
}

#[get(
    "/applications/{id}/{form:interim-report|completion-report|change-request|continuation-survey}"
)]
pub async fn form_page(
    db: Db,
    session: Session,
    path: web::Path<(i64, String)>,
    PageCaller(caller): PageCaller,
) -> PageResult {
    let (id, form) = path.into_inner();
    let kind = kind_of(&form)?;
    let actor = caller.actor.clone();
    let view = db
        .run(move |conn, _| {
            let aggregate = open_for(conn, &actor, id, kind)?;
            Ok(filing_view(
                kind,
                &aggregate,
                &Typed::default(),
                &BTreeMap::new(),
                Vec::new(),
            ))
        })
        .await?;
    let title = format!("{} {}", view.reference, view.heading);
    render("application_filing", title, &caller, &session, view)
}

enum Filed {
    Done(ApplicationState),
    Again(StatusCode, Box<FilingView>),
}

#[post(
    "/applications/{id}/{form:interim-report|completion-report|change-request|continuation-survey}"
)]
pub async fn file(
    db: Db,
    session: Session,
    path: web::Path<(i64, String)>,
    Then(FormWithFiles { form, files }, PageCaller(caller)): Then<FormWithFiles, PageCaller>,
) -> Result<HttpResponse, PageError> {
    let (id, form_path) = path.into_inner();
    let kind = kind_of(&form_path)?;
    let typed = Typed::from_form(&form);
    // Only the interim report has attachments; a refused file is shown at its field.
    let mut attachments: Vec<EvidenceFile> = Vec::new();
    let mut refused_file = None;
    if kind == FilingKind::Interim {
        for upload in files {
            let given = upload.file_name.clone();
            match accept_upload(upload) {
                Ok(file) => attachments.push(file),
                Err(refusal) if given.is_empty() => refused_file = Some(refusal.to_string()),
                Err(refusal) => refused_file = Some(format!("「{given}」: {refusal}")),
            }
        }
    }
    let version: i32 = form
        .text("version")
        .parse()
        .map_err(|_| AppError::new(ErrorKind::BadRequest, "版が指定されていません"))?;
    let actor = caller.actor.clone();
    let today = db.today();
    let filed = db
        .run(move |conn, programs| {
            let aggregate = open_for(conn, &actor, id, kind)?;
            let (request, mut unreadable, sent) =
                typed.to_request(kind, version, &line_ids(&aggregate));
            if let Some(refusal) = refused_file {
                unreadable.add(ATTACHMENT_FIELD, ErrorCode::InvalidType, refusal);
            }
            if !unreadable.is_empty() {
                let (fields, general) = by_form_name(&unreadable, &sent);
                let view = filing_view(kind, &aggregate, &typed, &fields, general);
                return Ok(Filed::Again(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Box::new(view),
                ));
            }
            let performed = if kind == FilingKind::Interim {
                actions::submit_interim_report(
                    conn,
                    programs,
                    &actor,
                    id,
                    &request,
                    today,
                    &attachments,
                )
            } else {
                actions::perform(conn, programs, &actor, id, kind.action(), &request, today)
            };
            match performed {
                Ok(outcome) => Ok(Filed::Done(outcome.state)),
                Err(error) if error.kind == ErrorKind::Invalid => {
                    let errors = error.field_errors.clone().unwrap_or_default();
                    let (fields, mut general) = by_form_name(&errors, &sent);
                    if fields.is_empty() && general.is_empty() {
                        general.push(refusal_message(&error));
                    }
                    let view = filing_view(kind, &aggregate, &typed, &fields, general);
                    Ok(Filed::Again(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Box::new(view),
                    ))
                }
                // Stale, or a change request already waiting: the form again, with what was typed
                // and the application as it is now.
                Err(error) if matches!(error.kind, ErrorKind::Conflict | ErrorKind::BadRequest) => {
                    let current = open_for(conn, &actor, id, kind)?;
                    let view = filing_view(
                        kind,
                        &current,
                        &typed,
                        &BTreeMap::new(),
                        vec![refusal_message(&error)],
                    );
                    Ok(Filed::Again(StatusCode::CONFLICT, Box::new(view)))
                }
                Err(error) => Err(error),
            }
        })
        .await?;
    match filed {
        Filed::Done(state) => {
            set_flash(
                &session,
                format!(
                    "「{}」を受け付けました。現在の状態: {}",
                    kind.action().label_ja(),
                    state.label_ja()
                ),
            );
            Ok(redirect(&format!("/applications/{id}")))
        }
        Filed::Again(status, view) => {
            let title = format!("{} {}", view.reference, view.heading);
            let mut response = render("application_filing", title, &caller, &session, *view)?;
            *response.status_mut() = status;
            Ok(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The alternatives in the routes' path pattern.
    const FORMS: &str = "interim-report|completion-report|change-request|continuation-survey";

    #[test]
    fn every_payload_action_has_its_form() {
        for kind in FilingKind::ALL {
            assert_eq!(FilingKind::of(kind.action()), Some(kind));
            assert_eq!(FilingKind::from_path(kind.path()), Some(kind));
            assert!(FORMS.split('|').any(|path| path == kind.path()));
        }
        assert_eq!(FilingKind::of(Action::Submit), None);
    }

    #[test]
    fn line_errors_go_back_to_their_row() {
        let mut errors = FieldErrors::new();
        errors.add(
            "payload.lines[1].amount_yen",
            ErrorCode::NegativeAmount,
            "負",
        );
        errors.add("payload.body", ErrorCode::Required, "本文");
        errors.add("payload.actuals", ErrorCode::Required, "全体");
        let (fields, general) = by_form_name(&errors, &[11, 42]);
        assert_eq!(fields.get("amounts[42]").map(String::as_str), Some("負"));
        assert_eq!(fields.get("payload.body").map(String::as_str), Some("本文"));
        assert_eq!(general, vec!["全体".to_owned()]);
    }

    #[test]
    fn blank_amounts_are_left_out_and_words_are_refused() {
        let typed = Typed {
            reason: " 増員 ".into(),
            amounts: BTreeMap::from([
                (1, "1,200,000円".into()),
                (2, String::new()),
                (3, "たくさん".into()),
            ]),
            ..Default::default()
        };
        let (request, errors, sent) = typed.to_request(FilingKind::Change, 4, &[1, 2, 3]);
        assert_eq!(request.version, 4);
        assert_eq!(request.reason.as_deref(), Some("増員"));
        assert_eq!(
            request.payload,
            json!({"lines": [{"line_id": 1, "amount_yen": 1_200_000}]})
        );
        assert_eq!(sent, vec![1]);
        assert!(errors.errors.contains_key("amounts[3]"));
    }
}
