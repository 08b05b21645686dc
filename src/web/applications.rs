//! `/api/v1/applications`: drafts, the aggregate with its decision and budget summaries, the
//! workflow actions, budget-line reviews and the audit trail. Every handler starts with the
//! caller and the domain's authorization; refusals change nothing.

use std::str::FromStr;

use actix_web::{HttpResponse, get, post, put, web};
use chrono::NaiveDate;
use serde::Deserialize;

use super::auth::Caller;
use super::extract::{Db, Named, Then};
use super::views::{
    ApplicationFields, ApplicationHistory, ApplicationList, ApplicationView, AuditTrail,
    ChangesView, ContinuationKpi, ContinuationYear, Fraction, InterimReportStatus, ReviewedLine,
};
use crate::actions::{self, ActionRequest};
use crate::db::{self, applications as repo};
use crate::domain::access::Role;
use crate::domain::budget::{LineDecision, LineReview};
use crate::domain::codes::{
    ActivityCategory, Code, ExpenseCategory, Frame, FundingSource, LegalPath, PartnerKind,
};
use crate::domain::money::Yen;
use crate::domain::text;
use crate::domain::validation::{ErrorCode, FieldErrors};
use crate::domain::workflow::{self, Action};
use crate::error::{AppError, AppResult};

/// Today in Japan: application dates and deadlines are Japanese dates.
pub use crate::clock::today_in_japan;

#[utoipa::path(get, path = "/api/v1/applications", tag = "applications",
    responses((status = 200, description = "見られる申請の一覧（申請者は自団体の作成中を含む全件、自治体は自市町村の提出済み、事務局は提出済みの全件）", body = ApplicationList), (status = 401, description = "未ログイン")))]
#[get("/api/v1/applications")]
pub async fn list(db: Db, Caller { actor, .. }: Caller) -> AppResult<HttpResponse> {
    let drafts = crate::domain::workflow::sees_drafts(actor.role);
    let rows = db
        .run(move |conn, _| match actor.role {
            Role::Applicant => {
                repo::list_visible(conn, Some(&actor.organisation_ids), None, drafts)
            }
            Role::FinanceOfficer => match actor.municipality_id {
                Some(municipality) => repo::list_visible(conn, None, Some(municipality), drafts),
                None => Ok(Vec::new()),
            },
            Role::ProgramManager => repo::list_visible(conn, None, None, drafts),
        })
        .await?;
    Ok(HttpResponse::Ok().json(ApplicationList {
        applications: rows.iter().map(ApplicationFields::from).collect(),
    }))
}

/// The aggregate as the API shows it (`super::views::ApplicationView`).
fn view(aggregate: &repo::Aggregate) -> ApplicationView {
    ApplicationView::from(aggregate)
}

#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications", params(("id" = i64, Path, description = "申請 ID")),
    responses((status = 200, description = "申請一式、予算行（審査後の金額と二重計上の印）、最新の判定", body = ApplicationView), (status = 403, description = "権限なし"), (status = 404, description = "なし")))]
#[get("/api/v1/applications/{id}")]
pub async fn show(db: Db, on: Named<Caller>) -> AppResult<HttpResponse> {
    let body = db
        .on_application(on, Action::View, |_, _, aggregate| Ok(view(&aggregate)))
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// A draft as an applicant writes it. Incomplete is fine (the engine says what is missing);
/// codes, amounts and dates must be valid.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftInput {
    pub fiscal_year: i32,
    pub frame: String,
    pub title: String,
    pub lead_organisation_id: i64,
    #[serde(default)]
    pub co_applicant_ids: Vec<i64>,
    pub municipality_id: Option<i64>,
    pub project_start: Option<NaiveDate>,
    pub project_end: Option<NaiveDate>,
    #[serde(default)]
    pub partners: Vec<PartnerInput>,
    pub legal_basis: Option<LegalBasisInput>,
    #[serde(default)]
    pub activities: Vec<ActivityInput>,
    /// Required when updating: the version read.
    pub version: Option<i32>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerInput {
    pub kind: String,
    pub name: String,
    pub municipality_id: Option<i64>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalBasisInput {
    pub path: String,
    pub holder: String,
    pub granted_by: String,
    pub granted_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub includes_talent_measures: bool,
    pub evidence: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub executive_internship: bool,
    pub kpi: Option<String>,
    #[serde(default)]
    pub budget_lines: Vec<LineInput>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub category: String,
    pub description: String,
    pub amount_yen: i64,
    pub funding_source: String,
    #[serde(default)]
    pub co_funding_sources: Vec<String>,
}

/// A code the validation above has accepted, as its enum.
fn parsed<T: FromStr>(code: &str) -> Result<T, FieldErrors> {
    T::from_str(code).map_err(|_| {
        let mut errors = FieldErrors::new();
        errors.add(
            "",
            ErrorCode::UnknownCode,
            format!("「{code}」は使えません"),
        );
        errors
    })
}

fn check_code<T: FromStr>(errors: &mut FieldErrors, path: String, code: &str, label: &str) {
    if code.trim().is_empty() {
        errors.add(
            path,
            ErrorCode::Required,
            format!("{label}を選んでください"),
        );
    } else if T::from_str(code).is_err() {
        errors.add(
            path,
            ErrorCode::UnknownCode,
            format!("{label}「{code}」は使えません"),
        );
    }
}

impl DraftInput {
    /// Parses into the repository's draft, reporting every field error at once.
    pub fn into_draft(self, reference: String) -> Result<repo::ApplicationDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        check_code::<Frame>(&mut errors, "frame".into(), &self.frame, "枠");
        if self.title.trim().is_empty() {
            errors.add("title", ErrorCode::Required, "事業名を入力してください");
        }
        text::check(&mut errors, "title", &self.title, text::TITLE, "事業名");
        for (i, co_applicant) in self.co_applicant_ids.iter().enumerate() {
            let repeated = *co_applicant == self.lead_organisation_id
                || self.co_applicant_ids[..i].contains(co_applicant);
            if repeated {
                errors.add(
                    format!("co_applicant_ids[{i}]"),
                    ErrorCode::DuplicateMember,
                    "同じ団体が代表申請者または共同申請者として既に入っています",
                );
            }
        }
        if self.activities.len() > text::MAX_ACTIVITIES {
            errors.add(
                "activities",
                ErrorCode::TooMany,
                format!("活動は {} 件までです", text::MAX_ACTIVITIES),
            );
        }
        let lines: usize = self.activities.iter().map(|a| a.budget_lines.len()).sum();
        if lines > text::MAX_BUDGET_LINES {
            errors.add(
                "activities",
                ErrorCode::TooMany,
                format!("予算の行は全部で {} 行までです", text::MAX_BUDGET_LINES),
            );
        }
        if let (Some(start), Some(end)) = (self.project_start, self.project_end)
            && end < start
        {
            errors.add(
                "project_end",
                ErrorCode::InvalidPeriod,
                "終了日は開始日より後にしてください",
            );
        }
        for (i, partner) in self.partners.iter().enumerate() {
            check_code::<PartnerKind>(
                &mut errors,
                format!("partners[{i}].kind"),
                &partner.kind,
                "連携先の種類",
            );
            if partner.name.trim().is_empty() {
                errors.add(
                    format!("partners[{i}].name"),
                    ErrorCode::Required,
                    "連携先の名称を入力してください",
                );
            }
            text::check(
                &mut errors,
                format!("partners[{i}].name"),
                &partner.name,
                text::NAME,
                "連携先の名称",
            );
        }
        if let Some(basis) = &self.legal_basis {
            check_code::<LegalPath>(
                &mut errors,
                "legal_basis.path".into(),
                &basis.path,
                "法制度の類型",
            );
            for (field, value, kind, label) in [
                (
                    "holder",
                    basis.holder.as_str(),
                    text::NAME,
                    "承認等を受けた者",
                ),
                (
                    "granted_by",
                    basis.granted_by.as_str(),
                    text::NAME,
                    "承認等をした者",
                ),
                (
                    "evidence",
                    basis.evidence.as_deref().unwrap_or_default(),
                    text::SHORT_TEXT,
                    "証憑",
                ),
            ] {
                text::check(
                    &mut errors,
                    format!("legal_basis.{field}"),
                    value,
                    kind,
                    label,
                );
            }
        }
        for (i, activity) in self.activities.iter().enumerate() {
            check_code::<ActivityCategory>(
                &mut errors,
                format!("activities[{i}].category"),
                &activity.category,
                "活動の区分",
            );
            text::check(
                &mut errors,
                format!("activities[{i}].name"),
                &activity.name,
                text::NAME,
                "活動名",
            );
            text::check(
                &mut errors,
                format!("activities[{i}].kpi"),
                activity.kpi.as_deref().unwrap_or_default(),
                text::SHORT_TEXT,
                "成果指標（KPI）",
            );
            for (j, line) in activity.budget_lines.iter().enumerate() {
                let path = format!("activities[{i}].budget_lines[{j}]");
                check_code::<ExpenseCategory>(
                    &mut errors,
                    format!("{path}.category"),
                    &line.category,
                    "経費区分",
                );
                text::check(
                    &mut errors,
                    format!("{path}.description"),
                    &line.description,
                    text::NAME,
                    "内容",
                );
                check_code::<FundingSource>(
                    &mut errors,
                    format!("{path}.funding_source"),
                    &line.funding_source,
                    "財源",
                );
                for (k, source) in line.co_funding_sources.iter().enumerate() {
                    check_code::<FundingSource>(
                        &mut errors,
                        format!("{path}.co_funding_sources[{k}]"),
                        source,
                        "財源",
                    );
                }
                if line.amount_yen < 0 {
                    errors.add(
                        format!("{path}.amount_yen"),
                        ErrorCode::NegativeAmount,
                        "金額は 0 円以上にしてください",
                    );
                } else if line.amount_yen > 1_000_000_000_000 {
                    errors.add(
                        format!("{path}.amount_yen"),
                        ErrorCode::AmountTooLarge,
                        "金額が大きすぎます（1兆円まで）",
                    );
                }
            }
        }
        errors.into_result(())?;
        Ok(repo::ApplicationDraft {
            reference,
            fiscal_year: self.fiscal_year,
            frame: parsed(&self.frame)?,
            state: workflow::ApplicationState::Draft,
            title: self.title,
            lead_organisation_id: self.lead_organisation_id,
            co_applicant_ids: self.co_applicant_ids,
            municipality_id: self.municipality_id,
            application_date: None,
            project_start: self.project_start,
            project_end: self.project_end,
            partners: self
                .partners
                .into_iter()
                .map(|p| {
                    Ok(repo::PartnerDraft {
                        kind: parsed(&p.kind)?,
                        name: p.name,
                        municipality_id: p.municipality_id,
                        agreement: None,
                    })
                })
                .collect::<Result<_, FieldErrors>>()?,
            legal_basis: self
                .legal_basis
                .map(|b| {
                    Ok::<_, FieldErrors>(repo::LegalBasisDraft {
                        path: parsed(&b.path)?,
                        holder_name: b.holder,
                        holder_organisation_id: None,
                        granted_by: b.granted_by,
                        granted_on: b.granted_on,
                        valid_until: b.valid_until,
                        includes_talent_measures: b.includes_talent_measures,
                        evidence_reference: b.evidence,
                    })
                })
                .transpose()?,
            activities: self
                .activities
                .into_iter()
                .map(|a| {
                    Ok(repo::ActivityDraft {
                        name: a.name,
                        category: parsed(&a.category)?,
                        executive_internship: a.executive_internship,
                        kpi: a.kpi,
                        lines: a
                            .budget_lines
                            .into_iter()
                            .map(|l| {
                                Ok(repo::BudgetLineDraft {
                                    category: parsed(&l.category)?,
                                    description: l.description,
                                    amount_yen: l.amount_yen,
                                    funding_source: parsed(&l.funding_source)?,
                                    co_funding_sources: l
                                        .co_funding_sources
                                        .iter()
                                        .map(|source| parsed(source))
                                        .collect::<Result<_, _>>()?,
                                })
                            })
                            .collect::<Result<_, FieldErrors>>()?,
                    })
                })
                .collect::<Result<_, FieldErrors>>()?,
            created_by: None,
        })
    }
}

/// Creates a draft for one of the actor's organisations (`actions::drafts::create`). The JSON
/// API and the pages share it.
pub fn create_application(
    conn: &mut db::DbConnection,
    programs: &crate::domain::program::ProgramSet,
    actor: &workflow::Actor,
    input: DraftInput,
) -> AppResult<i64> {
    let draft = input.into_draft(String::new()).map_err(AppError::invalid)?;
    actions::drafts::create(conn, programs, actor, draft, today_in_japan())
}

/// Replaces a draft's content (`actions::drafts::update`). Shared by the API and the pages.
pub fn update_application(
    conn: &mut db::DbConnection,
    programs: &crate::domain::program::ProgramSet,
    actor: &workflow::Actor,
    id: i64,
    version: i32,
    input: DraftInput,
) -> AppResult<()> {
    let draft = input.into_draft(String::new()).map_err(AppError::invalid)?;
    actions::drafts::update(conn, programs, actor, id, version, draft, today_in_japan())
}

/// Creates a draft for one of the caller's organisations.
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications", request_body = DraftInput,
    responses((status = 201, description = "下書きを作成しました", body = ApplicationView), (status = 403, description = "自団体以外"), (status = 422, description = "項目ごとのエラー")))]
#[post("/api/v1/applications")]
pub async fn create(
    db: Db,
    Then(body, Caller { actor, .. }): Then<web::Json<DraftInput>, Caller>,
) -> AppResult<HttpResponse> {
    let input = body.into_inner();
    let body = db
        .run(move |conn, programs| {
            let id = create_application(conn, programs, &actor, input)?;
            Ok(view(&repo::load_aggregate(conn, id)?))
        })
        .await?;
    Ok(HttpResponse::Created().json(body))
}

/// Replaces a draft's content (only while it is a draft or returned for correction).
#[utoipa::path(put, path = "/api/v1/applications/{id}", tag = "applications", params(("id" = i64, Path, description = "申請 ID")), request_body = DraftInput,
    responses((status = 200, description = "更新しました", body = ApplicationView), (status = 403, description = "権限なし"), (status = 409, description = "他の人が更新済み、または編集できない状態"), (status = 422, description = "項目ごとのエラー")))]
#[put("/api/v1/applications/{id}")]
pub async fn update(
    db: Db,
    Then(body, on): Then<web::Json<DraftInput>, Named<Caller>>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (on.id, on.caller.actor);
    let input = body.into_inner();
    let version = input.version.ok_or_else(|| {
        let mut errors = FieldErrors::new();
        errors.add(
            "version",
            ErrorCode::Required,
            "読み込んだ版 (version) を指定してください",
        );
        AppError::invalid(errors)
    })?;
    let body = db
        .run(move |conn, programs| {
            update_application(conn, programs, &actor, id, version, input)?;
            Ok(view(&repo::load_aggregate(conn, id)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(post, path = "/api/v1/applications/{id}/actions/{action}", tag = "workflow",
    params(("id" = i64, Path, description = "申請 ID"),
           ("action" = String, Path, description = "submit, start_review, return_for_correction, select, reject, request_grant, decide_grant, start_project, submit_interim_report, accept_interim_report, return_interim_report, request_change, approve_change, deny_change, submit_completion_report, confirm_amount, pay, open_continuation_survey, answer_continuation_survey, close, withdraw, cancel, revoke")),
    request_body = ActionRequest,
    responses((status = 200, description = "新しい状態と版", body = crate::actions::ActionOutcome), (status = 403, description = "権限なし"), (status = 404, description = "なし"),
              (status = 409, description = "この状態では行えない、または他の人が更新済み"), (status = 422, description = "理由・内容の誤り、判定で要件を満たさない")))]
#[post("/api/v1/applications/{id}/actions/{action}")]
pub async fn act(
    db: Db,
    path: web::Path<(i64, String)>,
    Then(body, Caller { actor, .. }): Then<web::Json<ActionRequest>, Caller>,
) -> AppResult<HttpResponse> {
    let (id, action) = path.into_inner();
    let action: Action = action
        .parse()
        .map_err(|_| AppError::not_found(format!("「{action}」という操作はありません")))?;
    let request = body.into_inner();
    let outcome = db.perform(actor, id, action, request).await?;
    Ok(HttpResponse::Ok().json(outcome))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// approve | adjust | reject
    pub decision: String,
    pub amount_yen: Option<i64>,
    pub reason: Option<String>,
    /// The line's version the reviewer read.
    pub version: i32,
}

/// A reviewer's answer for one line (approve, adjust with an amount, reject), as the API and
/// the finance officer's page send it; the reason is checked by the domain.
pub fn line_review(
    decision: &str,
    amount_yen: Option<i64>,
    reason: String,
) -> AppResult<LineReview> {
    let mut errors = FieldErrors::new();
    let Some(decision) = LineDecision::from_code(decision) else {
        errors.add(
            "decision",
            ErrorCode::UnknownCode,
            format!("「{decision}」は approve, adjust, reject のいずれでもありません"),
        );
        return Err(AppError::invalid(errors));
    };
    LineReview::of(decision, amount_yen.map(Yen::new), reason).map_err(|message| {
        errors.add("amount_yen", ErrorCode::Required, message);
        AppError::invalid(errors)
    })
}

#[utoipa::path(post, path = "/api/v1/applications/{id}/budget-lines/{line_id}/review", tag = "budget review",
    params(("id" = i64, Path, description = "申請 ID"), ("line_id" = i64, Path, description = "予算行 ID")), request_body = ReviewInput,
    responses((status = 200, description = "審査を記録し、補助額を再計算しました", body = ReviewedLine), (status = 403, description = "担当自治体の財政担当のみ"), (status = 409, description = "他の人が更新済み、または審査できない状態"), (status = 422, description = "金額・理由の誤り")))]
#[post("/api/v1/applications/{id}/budget-lines/{line_id}/review")]
pub async fn review_line(
    db: Db,
    path: web::Path<(i64, i64)>,
    Then(body, Caller { actor, .. }): Then<web::Json<ReviewInput>, Caller>,
) -> AppResult<HttpResponse> {
    let (id, line_id) = path.into_inner();
    let input = body.into_inner();
    let review = line_review(
        &input.decision,
        input.amount_yen,
        input.reason.clone().unwrap_or_default(),
    )?;
    let decision = db
        .run(move |conn, programs| {
            let request = actions::LineReviewRequest {
                line_id,
                review,
                expected_version: input.version,
            };
            actions::review_budget_line(conn, programs, &actor, id, &request, today_in_japan())
        })
        .await?;
    Ok(HttpResponse::Ok().json(ReviewedLine { decision }))
}

#[utoipa::path(get, path = "/api/v1/applications/{id}/audit", tag = "audit", params(("id" = i64, Path, description = "申請 ID")),
    responses((status = 200, description = "監査ログ（ハッシュチェーン）", body = AuditTrail), (status = 403, description = "事務局のみ")))]
#[get("/api/v1/applications/{id}/audit")]
pub async fn audit_trail(db: Db, on: Named<Caller>) -> AppResult<HttpResponse> {
    let id = on.id;
    let events = db
        .on_application(on, Action::ViewAudit, move |conn, _, _| {
            db::audit::events_of(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(AuditTrail { events }))
}

#[utoipa::path(get, path = "/api/v1/applications/{id}/history", tag = "applications", params(("id" = i64, Path, description = "申請 ID")),
    responses((status = 200, description = "申請の経過（誰が・いつ・何を・理由）", body = ApplicationHistory), (status = 401, description = "未ログイン"), (status = 403, description = "申請を見られない")))]
#[get("/api/v1/applications/{id}/history")]
pub async fn history(db: Db, on: Named<Caller>) -> AppResult<HttpResponse> {
    let (id, actor) = (on.id, on.caller.actor);
    let events = db
        .run(move |conn, _| actions::history(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(ApplicationHistory::new(id, events)))
}

#[utoipa::path(get, path = "/api/v1/applications/{id}/changes", tag = "applications", params(("id" = i64, Path, description = "申請 ID")),
    responses((status = 200, description = "計画変更: 変更後の補助金額（交付決定額が上限）、承認待ちの変更とその効果、申請額を含む履歴", body = ChangesView), (status = 401, description = "未ログイン"), (status = 403, description = "申請を見られない")))]
#[get("/api/v1/applications/{id}/changes")]
pub async fn changes(db: Db, on: Named<Caller>) -> AppResult<HttpResponse> {
    let body = db
        .on_application(on, Action::View, |conn, programs, aggregate| {
            actions::change_requests::changes(conn, programs, &aggregate).map(ChangesView::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(get, path = "/api/v1/applications/{id}/interim-report", tag = "applications", params(("id" = i64, Path, description = "申請 ID")),
    responses((status = 200, description = "受理・差戻しを待つ中間報告（内容と添付資料）。なければ pending は null", body = InterimReportStatus), (status = 401, description = "未ログイン"), (status = 403, description = "申請を見られない")))]
#[get("/api/v1/applications/{id}/interim-report")]
pub async fn interim_report(db: Db, on: Named<Caller>) -> AppResult<HttpResponse> {
    let id = on.id;
    let body = db
        .on_application(on, Action::View, move |conn, _, _| {
            actions::pending_interim_report(conn, id).map(InterimReportStatus::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// The programme KPI: continuation rate per award year against the 80% target.
#[utoipa::path(get, path = "/api/v1/kpis/continuation", tag = "kpi",
    responses((status = 200, description = "年度ごとの継続率（目標 80%）", body = ContinuationKpi), (status = 403, description = "事務局のみ")))]
#[get("/api/v1/kpis/continuation")]
pub async fn continuation_kpi(db: Db, Caller { actor, .. }: Caller) -> AppResult<HttpResponse> {
    if actor.role != Role::ProgramManager {
        return Err(AppError::forbidden());
    }
    let rates = db
        .run(|conn, _| {
            let awards = db::workflow::decided_awards_by_year(conn)?;
            let answers = db::workflow::survey_answers(conn)?;
            Ok(crate::domain::kpi::continuation_rates(&awards, &answers))
        })
        .await?;
    let (numerator, denominator) = crate::domain::kpi::CONTINUATION_TARGET;
    Ok(HttpResponse::Ok().json(ContinuationKpi {
        target: Fraction {
            numerator,
            denominator,
        },
        years: rates.into_iter().map(ContinuationYear::from).collect(),
    }))
}
