//! The OpenAPI document of the JSON API, generated from the handlers' own annotations, and
//! the Swagger UI that shows it (assets compiled into the binary).

use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use super::{api, applications, auth, filings, health, reminders};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hojokin API",
        description = "地域の人事部支援事業の申請・審査・交付・報告。ログインは POST /api/v1/session（Cookie セッション）。\
            エラーは 401 / 403 / 404 / 409、入力の誤りは 422 {\"errors\": {項目: [{code, message}]}}。",
    ),
    paths(
        health::healthz,
        health::readyz,
        api::evaluate,
        auth::login,
        auth::logout,
        auth::me,
        applications::list,
        applications::create,
        applications::show,
        applications::update,
        applications::act,
        applications::review_line,
        applications::audit_trail,
        applications::history,
        applications::changes,
        applications::interim_report,
        applications::continuation_kpi,
        filings::list,
        filings::download,
        reminders::sent_log,
        reminders::dead_letters,
        reminders::retry,
        reminders::my_notifications,
        reminders::set_my_notifications,
        reminders::calendar,
    ),
    components(schemas(
        auth::Login,
        applications::DraftInput,
        applications::PartnerInput,
        applications::LegalBasisInput,
        applications::ActivityInput,
        applications::LineInput,
        applications::ReviewInput,
        crate::actions::ActionRequest,
        crate::actions::payloads::InterimReport,
        crate::actions::payloads::ChangeRequest,
        crate::actions::payloads::CompletionReport,
        crate::actions::payloads::SurveyAnswer,
        crate::actions::payloads::GrantDecision,
        crate::actions::payloads::Payment,
        crate::actions::payloads::CorrectionReturn,
        crate::actions::payloads::Resubmission,
        reminders::PreferencesInput,
    ))
)]
pub struct ApiDoc;

/// `/api/docs/` (Swagger UI) and `/api/v1/openapi.json`.
pub fn swagger_ui() -> SwaggerUi {
    SwaggerUi::new("/api/docs/{_:.*}").url("/api/v1/openapi.json", ApiDoc::openapi())
}
