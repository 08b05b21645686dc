//! The HTML pages, in Japanese: server-rendered handlebars (strict mode) with the templates
//! compiled into the binary, a little JavaScript where it helps. Every page takes a
//! [`PageCaller`] (after its form, through [`Then`]); every form carries the session's CSRF
//! token and every POST goes through [`PageForm`] (or, for a form with a file,
//! [`upload::read_file_form`]), which refuses a missing or wrong token with 403 before
//! anything is read.
//! Like the JSON API, the pages hold no rules and no SQL: they call `actions`, `db` and
//! `domain`, and only arrange what those answer for people.

pub mod applicant;
pub mod auth;
pub mod awards;
pub mod deadlines;
pub mod editor;
pub mod evidence;
pub mod export;
pub mod impact;
pub mod manager;
pub mod officer;
pub mod reports;
pub mod reset;
pub mod settings;
pub mod upload;
pub mod view;

use std::future::Future;
use std::pin::Pin;
use std::sync::{LazyLock, OnceLock};

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde::Serialize;

use super::auth::Caller;
use crate::config::TemplatesDir;
use crate::domain::access::Role;
use crate::domain::calendar::{FiscalYear, wareki_date};
use crate::domain::money::Yen;
use crate::error::{AppError, AppResult, ErrorKind};

/// Every template, compiled in: pages never depend on the working directory at run time
/// (`templates_dir` may replace them at start-up: [`install_templates`]).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "layout",
        include_str!("../../../templates/pages/layout.hbs"),
    ),
    (
        "decision",
        include_str!("../../../templates/pages/decision.hbs"),
    ),
    ("field", include_str!("../../../templates/pages/field.hbs")),
    (
        "amounts",
        include_str!("../../../templates/pages/amounts.hbs"),
    ),
    (
        "editor_control",
        include_str!("../../../templates/pages/editor_control.hbs"),
    ),
    (
        "editor_line",
        include_str!("../../../templates/pages/editor_line.hbs"),
    ),
    (
        "editor_activity",
        include_str!("../../../templates/pages/editor_activity.hbs"),
    ),
    (
        "editor_partner",
        include_str!("../../../templates/pages/editor_partner.hbs"),
    ),
    ("error", include_str!("../../../templates/pages/error.hbs")),
    ("login", include_str!("../../../templates/pages/login.hbs")),
    (
        "password_reset_request",
        include_str!("../../../templates/pages/password_reset_request.hbs"),
    ),
    (
        "password_reset_form",
        include_str!("../../../templates/pages/password_reset_form.hbs"),
    ),
    (
        "applicant_dashboard",
        include_str!("../../../templates/pages/applicant_dashboard.hbs"),
    ),
    (
        "application_new",
        include_str!("../../../templates/pages/application_new.hbs"),
    ),
    (
        "application_edit",
        include_str!("../../../templates/pages/application_edit.hbs"),
    ),
    (
        "application_show",
        include_str!("../../../templates/pages/application_show.hbs"),
    ),
    (
        "application_confirm",
        include_str!("../../../templates/pages/application_confirm.hbs"),
    ),
    (
        "application_filing",
        include_str!("../../../templates/pages/application_filing.hbs"),
    ),
    (
        "settings_notifications",
        include_str!("../../../templates/pages/settings_notifications.hbs"),
    ),
    (
        "finance_queue",
        include_str!("../../../templates/pages/finance_queue.hbs"),
    ),
    (
        "finance_review",
        include_str!("../../../templates/pages/finance_review.hbs"),
    ),
    (
        "manager_pipeline",
        include_str!("../../../templates/pages/manager_pipeline.hbs"),
    ),
    (
        "manager_award_limits",
        include_str!("../../../templates/pages/manager_award_limits.hbs"),
    ),
    (
        "manager_kpis",
        include_str!("../../../templates/pages/manager_kpis.hbs"),
    ),
    (
        "manager_programs",
        include_str!("../../../templates/pages/manager_programs.hbs"),
    ),
    (
        "manager_program_impact",
        include_str!("../../../templates/pages/manager_program_impact.hbs"),
    ),
    (
        "manager_calendar",
        include_str!("../../../templates/pages/manager_calendar.hbs"),
    ),
    (
        "manager_reminders",
        include_str!("../../../templates/pages/manager_reminders.hbs"),
    ),
    (
        "manager_dead_letters",
        include_str!("../../../templates/pages/manager_dead_letters.hbs"),
    ),
    (
        "manager_award_import",
        include_str!("../../../templates/pages/manager_award_import.hbs"),
    ),
    (
        "manager_award_import_status",
        include_str!("../../../templates/pages/manager_award_import_status.hbs"),
    ),
    (
        "manager_name_reviews",
        include_str!("../../../templates/pages/manager_name_reviews.hbs"),
    ),
];

/// The embedded templates, compiled on first use (the tests and any process that installed no
/// replacements).
static EMBEDDED_REGISTRY: LazyLock<Result<Handlebars<'static>, String>> =
    LazyLock::new(|| build_registry(None).map_err(|error| error.message));

/// The registry with the `templates_dir` replacements, installed once at start-up.
static INSTALLED_REGISTRY: OnceLock<Handlebars<'static>> = OnceLock::new();

/// The names under which a file of `templates_dir` replaces a page template.
pub fn template_files() -> Vec<String> {
    TEMPLATES
        .iter()
        .map(|(name, _)| format!("pages/{name}.hbs"))
        .collect()
}

/// The registry: strict mode, so that a misspelt field is an error in the tests rather than
/// an empty cell on a page; HTML escaping (the default) stays on for every `{{value}}`. A
/// file of `overrides` named like an embedded template (`pages/<name>.hbs`) replaces it.
pub fn build_registry(overrides: Option<&TemplatesDir>) -> AppResult<Handlebars<'static>> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.set_prevent_indent(true);
    for (name, text) in TEMPLATES {
        let file = format!("pages/{name}.hbs");
        let replacement = match overrides {
            Some(dir) => dir.read(&file)?.map(|text| (dir, text)),
            None => None,
        };
        match replacement {
            Some((dir, text)) => registry
                .register_template_string(name, text)
                .map_err(|error| dir.broken(&file, &error))?,
            None => registry
                .register_template_string(name, *text)
                .map_err(|error| AppError::internal(format!("templates/{file}: {error}")))?,
        }
    }
    register_helpers(&mut registry);
    Ok(registry)
}

/// Compiles the page templates with the replacements of `dir` and uses them from now on, for
/// the life of the process (`hojokin serve` calls it once, before it listens).
pub fn install_templates(dir: &TemplatesDir) -> AppResult<()> {
    let registry = build_registry(Some(dir))?;
    INSTALLED_REGISTRY
        .set(registry)
        .map_err(|_| AppError::internal("ページのテンプレートは既に読み込まれています"))
}

/// A helper that prints its one parameter through `format`, or `—` where `format` finds no
/// value to print (a null, a missing date).
#[derive(Clone, Copy)]
struct Formatted {
    name: &'static str,
    format: fn(&serde_json::Value) -> Option<String>,
}

impl HelperDef for Formatted {
    fn call<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let value = helper
            .param(0)
            .map(|param| param.value())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(self.name, 0))?;
        out.write(&(self.format)(value).unwrap_or_else(|| "—".into()))?;
        Ok(())
    }
}

/// `{{yen 13000000}}` → `13,000,000円`; `{{wareki "2026-07-01"}}` → `令和8年7月1日`;
/// `{{nendo 2026}}` → `令和8年度`.
const FORMATTED_HELPERS: [Formatted; 3] = [
    Formatted {
        name: "yen",
        format: |value| value.as_i64().map(|amount| Yen::new(amount).to_string()),
    },
    Formatted {
        name: "wareki",
        format: |value| {
            let text = value.as_str()?;
            let date =
                chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
                    .ok()?;
            Some(wareki_date(date).to_string())
        },
    },
    Formatted {
        name: "nendo",
        format: |value| {
            let year = i32::try_from(value.as_i64()?).ok()?;
            Some(FiscalYear(year).to_string())
        },
    },
];

fn register_helpers(registry: &mut Handlebars<'_>) {
    for helper in FORMATTED_HELPERS {
        registry.register_helper(helper.name, Box::new(helper));
    }
}

/// A page's failure, shown as a page: 401 sends the person to the login page (which leads
/// back to the page they asked for, [`PageCaller`]); 403, 404, 409 and 500 are pages in
/// Japanese that name no internals.
#[derive(Debug)]
pub struct PageError {
    pub error: AppError,
    /// For a 401: the path (and query) to come back to after the login (boxed: a page's
    /// `Result` stays small).
    then: Option<Box<str>>,
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        PageError { error, then: None }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

pub type PageResult = Result<HttpResponse, PageError>;

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status == StatusCode::UNAUTHORIZED {
            return redirect(&auth::login_url(self.then.as_deref()));
        }
        if status.is_server_error() {
            tracing::error!(error = ?self.error, "page failed");
        }
        let (heading, message) = match self.error.kind {
            ErrorKind::Forbidden => (
                "アクセスできません",
                "このページを見る権限がありません。ご自身の団体・担当自治体の申請かどうかご確認ください。".to_owned(),
            ),
            ErrorKind::NotFound => (
                "ページが見つかりません",
                "お探しのページは見つかりませんでした。URL をご確認ください。".to_owned(),
            ),
            ErrorKind::Conflict => ("操作できませんでした", self.error.message.clone()),
            ErrorKind::Invalid | ErrorKind::BadRequest => {
                ("入力内容をご確認ください", self.error.message.clone())
            }
            ErrorKind::Unavailable | ErrorKind::TooManyRequests => {
                ("しばらくお待ちください", self.error.message.clone())
            }
            _ => (
                "エラーが発生しました",
                "内部エラーが発生しました。時間をおいてもう一度お試しください。".to_owned(),
            ),
        };
        let mut response = error_page(status, heading, &message);
        if let Some(seconds) = self.error.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

/// An error page in Japanese; if even the template fails, plain text in Japanese.
pub fn error_page(status: StatusCode, heading: &str, message: &str) -> HttpResponse {
    #[derive(Serialize)]
    struct ErrorView<'a> {
        status: u16,
        heading: &'a str,
        message: &'a str,
    }
    let page = Page {
        title: heading.to_owned(),
        user: None,
        csrf: String::new(),
        nav: Vec::new(),
        flash: None,
        refusal: None,
        page: ErrorView {
            status: status.as_u16(),
            heading,
            message,
        },
    };
    match render_html("error", &page) {
        Ok(html) => HttpResponse::build(status)
            .content_type(ContentType::html())
            .body(html),
        Err(_) => HttpResponse::build(status)
            .content_type(ContentType::plaintext())
            .body(format!("{heading}\n{message}")),
    }
}

/// 404 for any path nothing answers: a page for people, JSON under `/api/`.
pub async fn not_found(request: HttpRequest) -> HttpResponse {
    if request.path().starts_with("/api/") {
        return AppError::not_found("見つかりません").error_response();
    }
    PageError::from(AppError::not_found("ページが見つかりません")).error_response()
}

/// The person shown in the header.
#[derive(Serialize)]
pub struct UserView {
    pub display_name: String,
    pub role_label: &'static str,
}

#[derive(Serialize)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

/// What every page's layout needs, and the page's own data under `page`.
#[derive(Serialize)]
pub struct Page<T: Serialize> {
    pub title: String,
    pub user: Option<UserView>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// A one-time message from the previous request (e.g. "保存しました").
    pub flash: Option<String>,
    /// A one-time refusal from the previous request: shown as an alert, never as the notice.
    pub refusal: Option<Refusal>,
    pub page: T,
}

/// Each role's menu; the first entry is its home.
pub fn nav_for(role: Role) -> Vec<NavItem> {
    let item = |href, label| NavItem { href, label };
    match role {
        Role::Applicant => vec![
            item("/applicant", "申請者ダッシュボード"),
            item("/applications/new", "新しい申請"),
        ],
        Role::FinanceOfficer => vec![item("/finance", "予算審査の一覧")],
        Role::ProgramManager => vec![
            item("/manager", "申請の状況"),
            item("/manager/award-limits", "採択回数の上限"),
            item("/manager/kpis", "KPI"),
            item("/manager/programs", "年度ごとの規則"),
            item("/manager/calendar", "期限カレンダー"),
            item("/manager/reminders", "送信記録"),
            item("/manager/dead-letters", "送信不能メール"),
            item("/manager/awards/import", "採択一覧の取込"),
            item("/manager/awards/reviews", "名称の確認"),
        ],
    }
}

pub fn home_of(role: Role) -> &'static str {
    nav_for(role).first().map(|item| item.href).unwrap_or("/")
}

pub(crate) fn render_html<T: Serialize>(template: &str, data: &T) -> AppResult<String> {
    let registry = match INSTALLED_REGISTRY.get() {
        Some(registry) => registry,
        None => EMBEDDED_REGISTRY.as_ref().map_err(|error| {
            AppError::internal(format!("テンプレートを読み込めません: {error}"))
        })?,
    };
    registry
        .render(template, data)
        .map_err(|error| AppError::internal("ページを表示できません").with_cause(error))
}

/// Renders `template` for `caller` with the session's CSRF token.
pub fn render<T: Serialize>(
    template: &str,
    title: impl Into<String>,
    caller: &Caller,
    session: &Session,
    data: T,
) -> PageResult {
    let page = Page {
        title: title.into(),
        user: Some(UserView {
            display_name: caller.user.display_name.clone(),
            role_label: caller.actor.role.label_ja(),
        }),
        csrf: csrf_token(session)?,
        nav: nav_for(caller.actor.role),
        flash: take_flash(session),
        refusal: take_refusal(session),
        page: data,
    };
    html(StatusCode::OK, render_html(template, &page)?)
}

/// Renders a fragment (no layout), e.g. the live preview's decision.
pub fn render_fragment<T: Serialize>(template: &str, data: &T) -> PageResult {
    html(StatusCode::OK, render_html(template, data)?)
}

pub fn html(status: StatusCode, body: String) -> PageResult {
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// 303 See Other: after a POST the browser GETs the target.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// The logged-in user of a page: [`Caller`], refused as a page. Without a login, a GET goes
/// to the login page, which leads back to the path and query asked for; anything else goes
/// to the login page alone (a form cannot be sent again from there).
pub struct PageCaller(pub Caller);

impl FromRequest for PageCaller {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let then = (request.method() == actix_web::http::Method::GET)
            .then(|| request.uri().path_and_query())
            .flatten()
            .map(|asked| Box::from(asked.as_str()));
        let caller = Caller::from_request(request, payload);
        Box::pin(async move {
            caller
                .await
                .map(PageCaller)
                .map_err(|error| PageError { error, then })
        })
    }
}

/// A 事務局 page: [`PageCaller`], and refused (403) for anyone who is not a program manager,
/// before the handler runs.
pub struct ManagerPage(pub Caller);

impl FromRequest for ManagerPage {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = PageCaller::from_request(request, payload);
        Box::pin(async move {
            let PageCaller(caller) = caller.await?;
            if caller.actor.role == Role::ProgramManager {
                Ok(ManagerPage(caller))
            } else {
                Err(AppError::forbidden().into())
            }
        })
    }
}

/// A page about the record its path names by `{id}`: `PageOn(db, session, id, caller)`, the
/// database, the person's session (the notice for the next page, the CSRF token), the id and
/// who asks ([`Named`] with a [`PageCaller`]: 401 sends the person to the login page, a
/// non-numeric id is 404). A 事務局 page takes `PageOn<ManagerPage>` (403 for anyone else).
pub struct PageOn<Who = Caller>(pub Db, pub Session, pub i64, pub Who);

/// Who asks for a page about one record, and the extractor that finds them.
pub trait PageWho: Sized + 'static {
    type Extractor: FromRequest<Error = PageError> + 'static;
    fn from_extracted(found: Self::Extractor) -> Self;
}

impl PageWho for Caller {
    type Extractor = PageCaller;
    fn from_extracted(found: PageCaller) -> Self {
        found.0
    }
}

impl PageWho for ManagerPage {
    type Extractor = ManagerPage;
    fn from_extracted(found: ManagerPage) -> Self {
        found
    }
}

impl<Who: PageWho> FromRequest for PageOn<Who> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let db = Db::from_request(request, payload).into_inner();
        let session = request.get_session();
        let named = Named::<Who::Extractor>::from_request(request, payload);
        Box::pin(async move {
            let db = db.map_err(|_| AppError::internal("アプリケーションの状態がありません"))?;
            let Named { id, caller } = named.await?;
            Ok(PageOn(db, session, id, Who::from_extracted(caller)))
        })
    }
}

pub use super::extract::{Db, Named, Then};

pub(crate) const FLASH: &str = "flash";

/// Leaves a message for the next page the person sees.
pub fn set_flash(session: &Session, message: impl Into<String>) {
    // Losing a notice is harmless; the action it reports is already recorded.
    let _ = session.insert(FLASH, message.into());
}

/// The notice left for this page, if any. Only a notice to take changes the session: a
/// page without one writes nothing to the session store.
pub(crate) fn take_flash(session: &Session) -> Option<String> {
    if !session.contains_key(FLASH) {
        return None;
    }
    session.remove_as::<String>(FLASH).and_then(Result::ok)
}

/// Why the action of the previous request was refused: a heading, and one line per reason in
/// Japanese (each finding of the engine by its message, never its code). The layout shows it
/// in an alert box (`role="alert"`), apart from the notice of what did succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Refusal {
    pub heading: String,
    pub reasons: Vec<String>,
}

pub(crate) const REFUSAL: &str = "refusal";

/// Leaves a refusal for the next page the person sees.
pub fn set_refusal(session: &Session, heading: impl Into<String>, reasons: Vec<String>) {
    // As with a notice: the refusal changed nothing, and losing its explanation is harmless.
    let _ = session.insert(
        REFUSAL,
        Refusal {
            heading: heading.into(),
            reasons,
        },
    );
}

/// The refusal left for this page, if any (a page without one writes nothing to the session).
pub(crate) fn take_refusal(session: &Session) -> Option<Refusal> {
    if !session.contains_key(REFUSAL) {
        return None;
    }
    session.remove_as::<Refusal>(REFUSAL).and_then(Result::ok)
}

pub(crate) const CSRF: &str = "csrf_token";

/// The session's CSRF token, created on first use: 32 random bytes in hex.
pub fn csrf_token(session: &Session) -> AppResult<String> {
    if let Some(token) = session
        .get::<String>(CSRF)
        .map_err(|error| AppError::internal("セッションを読めません").with_cause(error))?
    {
        return Ok(token);
    }
    let token = random_token();
    session
        .insert(CSRF, &token)
        .map_err(|error| AppError::internal("セッションを作成できません").with_cause(error))?;
    Ok(token)
}

pub use crate::passwords::random_token;

/// Compares without an early exit, so that the time taken says nothing about the token.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// 403 for a form without the session's CSRF token (or with another).
pub(crate) fn csrf_refused() -> PageError {
    PageError::from(AppError::new(
        ErrorKind::Forbidden,
        "フォームの有効期限が切れたか、不正な送信です",
    ))
}

/// A form posted from one of our pages: the fields in order, after the CSRF check. A request
/// without the session's token (or with another) is refused with 403 before the handler runs,
/// so it changes nothing.
pub struct PageForm {
    fields: Vec<(String, String)>,
}

impl PageForm {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().trim().to_owned()
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }
}

impl FromRequest for PageForm {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = request.get_session();
        let form = web::Form::<Vec<(String, String)>>::from_request(request, payload);
        Box::pin(async move {
            let refused = csrf_refused;
            let fields = form.await.map_err(|_| refused())?.into_inner();
            let expected = session
                .get::<String>(CSRF)
                .map_err(|_| refused())?
                .ok_or_else(refused)?;
            let sent = fields
                .iter()
                .find(|(key, _)| key == CSRF)
                .map(|(_, value)| value.as_str())
                .ok_or_else(refused)?;
            if !same_token(sent, &expected) {
                return Err(refused());
            }
            Ok(PageForm { fields })
        })
    }
}

/// Registers the pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        // An application with many budget rows is a long form (Japanese is 9 bytes a
        // character once URL-encoded): far more than the 16 KiB actix allows by default.
        .app_data(web::FormConfig::default().limit(512 * 1024))
        .service(auth::root)
        .service(auth::login_page)
        .service(auth::login)
        .service(auth::logout)
        .service(reset::request_page)
        .service(reset::request)
        .service(reset::form_page)
        .service(reset::reset)
        .service(applicant::dashboard)
        .service(applicant::new_page)
        .service(applicant::create)
        .service(editor::edit_page)
        .service(editor::save)
        .service(editor::preview)
        .service(editor::organisation_search)
        .service(view::show)
        .service(view::act)
        .service(evidence::upload)
        .service(evidence::download)
        .service(evidence::delete)
        .service(reports::form_page)
        .service(reports::file)
        .service(settings::page)
        .service(settings::save)
        .service(officer::queue)
        .service(officer::review_page)
        .service(officer::review_line)
        .service(officer::approve_remaining)
        .service(officer::export_csv)
        .service(officer::export_xlsx)
        .service(manager::pipeline)
        .service(manager::export_csv)
        .service(manager::export_xlsx)
        .service(manager::award_limits)
        .service(manager::kpis)
        .service(manager::program_years)
        .service(impact::impact_form)
        .service(impact::impact_run)
        .service(impact::impact_download)
        .service(impact::impact_workbook)
        .service(deadlines::calendar)
        .service(deadlines::reminder_log)
        .service(deadlines::dead_letters)
        .service(deadlines::retry)
        .service(awards::import_page)
        .service(awards::upload)
        .service(awards::import_status)
        .service(awards::import_progress)
        .service(awards::apply)
        .service(awards::reviews)
        .service(awards::resolve)
        .service(web::resource("/static/app.css").route(web::get().to(stylesheet)))
        .service(web::resource("/static/editor.js").route(web::get().to(editor_script)))
        .service(
            web::resource("/static/import-progress.js")
                .route(web::get().to(import_progress_script)),
        );
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../../templates/static/app.css"))
}

async fn editor_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../../templates/static/editor.js"))
}

async fn import_progress_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../../templates/static/import-progress.js"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_in_strict_mode() {
        let registry = build_registry(None);
        assert!(registry.is_ok(), "{:?}", registry.err());
    }

    #[test]
    fn helpers_print_yen_and_wareki() {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        register_helpers(&mut registry);
        let out = registry
            .render_template(
                "{{yen a}} {{wareki d}} {{nendo y}} {{yen n}} {{wareki n}} {{name}}",
                &serde_json::json!({"a": 13000000, "d": "2026-07-01", "y": 2026, "n": null, "name": "<b>&"}),
            )
            .unwrap_or_default();
        assert_eq!(
            out,
            "13,000,000円 令和8年7月1日 令和8年度 — — &lt;b&gt;&amp;"
        );
    }

    #[actix_web::test]
    async fn a_failure_is_a_japanese_page_without_internals() {
        let error = PageError::from(
            AppError::internal("SELECT * FROM users failed at src/db/users.rs:42")
                .with_cause(std::io::Error::other("disk on fire")),
        );
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("lang=\"ja\""), "{text}");
        assert!(text.contains("内部エラーが発生しました"));
        assert!(!text.contains("SELECT") && !text.contains("src/") && !text.contains("disk"));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abcd", "abcd"));
        assert!(!same_token("abcd", "abce"));
        assert!(!same_token("abc", "abcd"));
        assert!(!same_token("", "a"));
    }
}
