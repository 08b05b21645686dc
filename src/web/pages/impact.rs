//! The impact of a draft year's rules for program managers (`/manager/programs/impact`): the
//! year's rules as form fields (award cap, budget, each frame's cap and rates, the years whose
//! awards count) or a whole programme file pasted in; the draft is read by the loader as a file
//! is and compared with the rules in force over the stored applications
//! (`actions::impact`). Nothing is saved; the draft can be downloaded as a programme file.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::{Db, ManagerPage, PageError, PageForm, PageResult, Then, render};
use crate::actions::impact::impact_of_stored;
use crate::contract::amount_from_typed;
use crate::domain::calendar::FiscalYear;
use crate::domain::codes::{Code, Frame};
use crate::domain::impact::{
    ChangedApplication, ImpactReport, LedgerOutlook, RuleSets, SideBySide, Subtotal, most_telling,
};
use crate::domain::money::Yen;
use crate::domain::program::{Program, ProgramSet};
use crate::error::{AppError, ErrorKind};
use crate::program::draft::{DraftEdits, edited_text};
use crate::program::{ProgramError, parse_draft};

/// The draft's fields as typed, to show them again beside their errors.
#[derive(Serialize, Default, Clone)]
struct DraftForm {
    fiscal_year: i32,
    award_cap: String,
    award_cap_error: Option<String>,
    budget_yen: String,
    budget_yen_error: Option<String>,
    frames: Vec<FrameForm>,
    years: Vec<YearForm>,
    rules_text: String,
}

#[derive(Serialize, Clone)]
struct FrameForm {
    code: &'static str,
    name: String,
    cap_yen: String,
    cap_field: String,
    cap_error: Option<String>,
    rates: Vec<RateForm>,
}

#[derive(Serialize, Clone)]
struct RateForm {
    ordinal: u32,
    field: String,
    value: String,
    error: Option<String>,
}

#[derive(Serialize, Clone)]
struct YearForm {
    fiscal_year: i32,
    label: String,
    field: String,
    checked: bool,
}

/// An error at a field of the form (`field` is its id and name), or of the whole draft.
#[derive(Serialize, Clone)]
struct FormError {
    field: Option<String>,
    message: String,
}

#[derive(Serialize)]
struct ImpactPage {
    form: DraftForm,
    errors: Vec<FormError>,
    result: Option<ResultView>,
}

impl DraftForm {
    /// The year's rules in force as the form shows them.
    fn of(program: &Program) -> DraftForm {
        DraftForm {
            fiscal_year: program.fiscal_year.0,
            award_cap: program
                .award_cap
                .as_ref()
                .map(|cap| cap.value.to_string())
                .unwrap_or_default(),
            award_cap_error: None,
            budget_yen_error: None,
            budget_yen: program
                .budget_yen
                .as_ref()
                .map(|budget| budget.value.value().to_string())
                .unwrap_or_default(),
            frames: program
                .frames
                .iter()
                .map(|frame| FrameForm {
                    code: frame.code.as_str(),
                    name: frame.name_ja.clone(),
                    cap_yen: frame.cap_yen.value.value().to_string(),
                    cap_field: format!("cap_yen.{}", frame.code),
                    cap_error: None,
                    rates: frame
                        .rates
                        .iter()
                        .map(|step| RateForm {
                            ordinal: step.ordinal,
                            field: format!("rate.{}.{}", frame.code, step.ordinal),
                            value: step.rate.to_string(),
                            error: None,
                        })
                        .collect(),
                })
                .collect(),
            years: program
                .countable_awards
                .years
                .iter()
                .map(|(year, _)| YearForm {
                    fiscal_year: year.0,
                    label: year.to_string(),
                    field: format!("countable.{}", year.0),
                    checked: true,
                })
                .collect(),
            rules_text: String::new(),
        }
    }

    /// The form as posted over the rules in force: what was typed, and the edits it makes.
    fn read(program: &Program, form: &PageForm) -> (DraftForm, Result<DraftEdits, Vec<FormError>>) {
        let mut shown = DraftForm::of(program);
        let mut errors = Vec::new();
        let mut edits = DraftEdits::default();
        shown.award_cap = form.text("award_cap");
        shown.budget_yen = form.text("budget_yen");
        shown.rules_text = form.get("rules_text").unwrap_or_default().to_owned();
        edits.award_cap = if shown.award_cap.is_empty() {
            Some(None)
        } else {
            whole_number(&shown.award_cap, "award_cap", "採択回数の上限", &mut errors).map(Some)
        };
        if !shown.budget_yen.is_empty() {
            match amount_from_typed(&shown.budget_yen, "予算額") {
                Ok(budget) => edits.budget_yen = Some(budget),
                Err(error) => errors.push(FormError {
                    field: Some("budget_yen".into()),
                    message: error.message,
                }),
            }
        }
        for frame in &mut shown.frames {
            let code = Frame::from_code(frame.code).unwrap_or(Frame::RightHand);
            frame.cap_yen = form.text(&frame.cap_field);
            match amount_from_typed(&frame.cap_yen, &format!("{}の補助上限額", frame.name)) {
                Ok(cap) => edits.frame_caps.push((code, cap)),
                Err(error) => errors.push(FormError {
                    field: Some(frame.cap_field.clone()),
                    message: error.message,
                }),
            }
            for rate in &mut frame.rates {
                rate.value = form.text(&rate.field);
                match fraction(&rate.value) {
                    Some((numerator, denominator)) => {
                        edits
                            .rates
                            .push((code, i64::from(rate.ordinal), numerator, denominator))
                    }
                    None => errors.push(FormError {
                        field: Some(rate.field.clone()),
                        message: format!(
                            "{}の{}回目の補助率は「1/2」のように分数で入力してください",
                            frame.name, rate.ordinal
                        ),
                    }),
                }
            }
        }
        for year in &mut shown.years {
            year.checked = form.get(&year.field).is_some();
        }
        edits.countable_years = Some(
            shown
                .years
                .iter()
                .filter(|year| year.checked)
                .map(|year| i64::from(year.fiscal_year))
                .collect(),
        );
        let edits = if errors.is_empty() {
            Ok(edits)
        } else {
            Err(errors)
        };
        (shown, edits)
    }

    /// Shows each error at its field.
    fn attach(&mut self, errors: &[FormError]) {
        for error in errors {
            let Some(field) = &error.field else { continue };
            let message = Some(error.message.clone());
            if field == "award_cap" {
                self.award_cap_error = message;
            } else if field == "budget_yen" {
                self.budget_yen_error = message;
            } else {
                for frame in &mut self.frames {
                    if &frame.cap_field == field {
                        frame.cap_error = message.clone();
                    }
                    for rate in &mut frame.rates {
                        if &rate.field == field {
                            rate.error = message.clone();
                        }
                    }
                }
            }
        }
    }

    /// Where the loader's key points on the form.
    fn field_of(&self, key: &str) -> Option<String> {
        if key == "award_cap" || key == "budget_yen" {
            return Some(key.to_owned());
        }
        if key.starts_with("countable_awards") {
            return self.years.first().map(|year| year.field.clone());
        }
        let frame = self
            .frames
            .iter()
            .find(|frame| key.starts_with(&format!("frames[{}]", frame.code)))?;
        if key.contains("cap_yen") {
            Some(frame.cap_field.clone())
        } else if key.contains("rates") {
            frame.rates.first().map(|rate| rate.field.clone())
        } else {
            None
        }
    }
}

/// A whole number typed as people type it (全角 too).
fn whole_number(text: &str, field: &str, label: &str, errors: &mut Vec<FormError>) -> Option<i64> {
    match amount_from_typed(text, label) {
        Ok(value) => Some(value),
        Err(_) => {
            errors.push(FormError {
                field: Some(field.to_owned()),
                message: format!("{label}は数字で入力してください（例: 3）"),
            });
            None
        }
    }
}

/// `1/2`, `１／２`: numerator and denominator.
fn fraction(text: &str) -> Option<(i64, i64)> {
    use unicode_normalization::UnicodeNormalization;
    let text: String = text.nfkc().filter(|c| !c.is_whitespace()).collect();
    let (numerator, denominator) = text.split_once('/')?;
    Some((numerator.parse().ok()?, denominator.parse().ok()?))
}

fn base_program(programs: &ProgramSet, year: Option<i32>) -> Result<&Program, AppError> {
    match year {
        Some(year) => programs.get(FiscalYear(year)),
        None => programs.latest(),
    }
    .ok_or_else(|| AppError::not_found("その年度の規則がありません"))
}

#[derive(Deserialize)]
pub struct YearQuery {
    fiscal_year: Option<i32>,
}

#[get("/manager/programs/impact")]
pub async fn impact_form(
    db: Db,
    session: Session,
    query: web::Query<YearQuery>,
    ManagerPage(caller): ManagerPage,
) -> PageResult {
    let program = base_program(db.programs(), query.fiscal_year)?;
    let page = ImpactPage {
        form: DraftForm::of(program),
        errors: Vec::new(),
        result: None,
    };
    render(
        "manager_program_impact",
        "規則案の影響",
        &caller,
        &session,
        page,
    )
}

/// A draft read from the form: its file text and its rules, or the errors to show.
type ReadDraft = Result<(String, Program), Vec<FormError>>;

/// The draft of the posted form, with the form as typed.
fn draft_of(programs: &ProgramSet, form: &PageForm) -> Result<(DraftForm, ReadDraft), AppError> {
    let year = form.text("fiscal_year").parse().ok();
    let base = base_program(programs, year)?;
    let (shown, edits) = DraftForm::read(base, form);
    let text = if shown.rules_text.trim().is_empty() {
        match edits {
            Ok(edits) => edited_text(&base.file_text, &edits).map_err(|error| {
                vec![FormError {
                    field: shown.field_of(&error.key),
                    message: error.to_string(),
                }]
            }),
            Err(errors) => Err(errors),
        }
    } else {
        Ok(shown.rules_text.clone())
    };
    let draft = text.and_then(|text| {
        let file = format!("{}.toml", base.fiscal_year.0);
        match parse_draft(programs, &file, &text, Some(base.fiscal_year.0)) {
            Ok(draft) => Ok((text, draft)),
            Err(error) => Err(vec![FormError {
                field: match &error {
                    ProgramError::Rule { key, .. } => shown.field_of(key),
                    _ => None,
                },
                message: error.to_string(),
            }]),
        }
    });
    Ok((shown, draft))
}

/// A posted draft: refused with its field errors (the form marked), or run over the year's
/// applications.
/// Done: the form, the year's rules in force, the draft and the report.
enum Ran<'p> {
    Refused(DraftForm, Vec<FormError>),
    Done(
        Box<(
            DraftForm,
            &'p Program,
            Program,
            crate::actions::impact::StoredImpact,
        )>,
    ),
}

fn run_draft<'p>(
    conn: &mut crate::db::DbConnection,
    programs: &'p ProgramSet,
    form: &PageForm,
    today: chrono::NaiveDate,
) -> Result<Ran<'p>, AppError> {
    let (mut shown, draft) = draft_of(programs, form)?;
    let draft = match draft {
        Ok((_, draft)) => draft,
        Err(errors) => {
            shown.attach(&errors);
            return Ok(Ran::Refused(shown, errors));
        }
    };
    let base = base_program(programs, Some(draft.fiscal_year.0))?;
    let rules = RuleSets::new(base, &draft)
        .ok_or_else(|| AppError::internal("規則案と現行の規則の年度が異なります"))?;
    let impact = impact_of_stored(conn, rules, today)?;
    Ok(Ran::Done(Box::new((shown, base, draft, impact))))
}

/// The whole report of the posted draft as a workbook (every changed application, which the
/// page shortens), as `hojokin impact --xlsx` writes it.
#[post("/manager/programs/impact/report.xlsx")]
pub async fn impact_workbook(
    db: Db,
    Then(form, ManagerPage(_)): Then<PageForm, ManagerPage>,
) -> Result<HttpResponse, PageError> {
    let today = db.today();
    let bytes = db
        .run(
            move |conn, programs| match run_draft(conn, programs, &form, today)? {
                Ran::Refused(_, errors) => Err(refused_draft(errors)),
                Ran::Done(done) => {
                    let (_, _, draft, impact) = *done;
                    let facts = crate::impact_workbook::WorkbookFacts {
                        fiscal_year: draft.fiscal_year,
                        rules_file: "画面で編集した規則案",
                        budget: draft.budget_yen.as_ref().map(|budget| budget.value),
                    };
                    crate::impact_workbook::impact_workbook(&impact.report, &facts).map_err(
                        |error| {
                            AppError::internal("Excel ファイルを作成できません").with_cause(error)
                        },
                    )
                }
            },
        )
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(super::export::XLSX)
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"impact.xlsx\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

/// Changed applications listed on the page, each with both decisions; a longer list is for the
/// workbook (a page of 10,000 such rows is neither read nor quick).
const CHANGES_SHOWN: usize = 200;

#[post("/manager/programs/impact")]
pub async fn impact_run(
    db: Db,
    session: Session,
    Then(form, ManagerPage(caller)): Then<PageForm, ManagerPage>,
) -> Result<HttpResponse, PageError> {
    let today = db.today();
    let page = db
        .run(move |conn, programs| {
            Ok(match run_draft(conn, programs, &form, today)? {
                Ran::Refused(form, errors) => ImpactPage {
                    errors,
                    form,
                    result: None,
                },
                Ran::Done(done) => {
                    let (form, base, draft, impact) = *done;
                    ImpactPage {
                        result: Some(ResultView::of(
                            &impact.report,
                            &impact.ids,
                            base,
                            &draft,
                            impact.unreadable.len(),
                        )),
                        form,
                        errors: Vec::new(),
                    }
                }
            })
        })
        .await?;
    let refused = !page.errors.is_empty();
    let mut response = render(
        "manager_program_impact",
        "規則案の影響",
        &caller,
        &session,
        page,
    )?;
    if refused {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The draft as a programme file, for `forms/programs/` (nothing is saved here).
#[post("/manager/programs/impact/download")]
pub async fn impact_download(
    db: Db,
    Then(form, ManagerPage(_)): Then<PageForm, ManagerPage>,
) -> Result<HttpResponse, PageError> {
    let (_, draft) = draft_of(db.programs(), &form)?;
    match draft {
        Ok((text, draft)) => Ok(HttpResponse::Ok()
            .content_type(ContentType(mime_toml()))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.toml\"", draft.fiscal_year.0),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(text)),
        Err(errors) => Err(refused_draft(errors).into()),
    }
}

/// A draft the loader refused, for a download that has no form to show the errors on.
fn refused_draft(errors: Vec<FormError>) -> AppError {
    AppError::new(
        ErrorKind::BadRequest,
        errors
            .into_iter()
            .map(|error| error.message)
            .collect::<Vec<_>>()
            .join("、"),
    )
}

fn mime_toml() -> actix_web::mime::Mime {
    "application/toml; charset=utf-8"
        .parse()
        .unwrap_or(actix_web::mime::TEXT_PLAIN_UTF_8)
}

// ---------------------------------------------------------------------------------------------
// The result
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct TotalRow {
    label: String,
    base_count: u64,
    base_yen: String,
    draft_count: u64,
    draft_yen: String,
    difference: String,
}

fn total_row(label: String, totals: SideBySide<Subtotal>) -> TotalRow {
    TotalRow {
        label,
        base_count: totals.base.eligible,
        base_yen: totals.base.subsidy_yen.to_string(),
        draft_count: totals.draft.eligible,
        draft_yen: totals.draft.subsidy_yen.to_string(),
        difference: difference(totals.base.subsidy_yen, totals.draft.subsidy_yen),
    }
}

fn difference(base: Yen, draft: Yen) -> String {
    let change = draft.value().saturating_sub(base.value());
    if change > 0 {
        format!("+{}", Yen::new(change))
    } else {
        Yen::new(change).to_string()
    }
}

/// A bar chart of subsidy totals, current and draft side by side, drawn on the server.
#[derive(Serialize)]
struct Chart {
    id: &'static str,
    title: String,
    height: u32,
    bars: Vec<ChartBar>,
}

#[derive(Serialize)]
struct ChartBar {
    label: String,
    label_y: u32,
    base_y: u32,
    draft_y: u32,
    base_width: u32,
    draft_width: u32,
    base_text_x: u32,
    draft_text_x: u32,
    base_yen: String,
    draft_yen: String,
}

/// Pixels of the longest bar; the chart's labels take the left 170.
const BAR_SPACE: i64 = 360;
const BAR_X: u32 = 170;
const ROW_HEIGHT: u32 = 48;

fn chart(id: &'static str, title: String, rows: &[(String, SideBySide<Subtotal>)]) -> Chart {
    let largest = rows
        .iter()
        .map(|(_, totals)| {
            totals
                .base
                .subsidy_yen
                .max(totals.draft.subsidy_yen)
                .value()
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let width = |yen: Yen| u32::try_from(yen.value().max(0) * BAR_SPACE / largest).unwrap_or(0);
    Chart {
        id,
        title,
        height: ROW_HEIGHT * rows.len() as u32 + 8,
        bars: rows
            .iter()
            .zip(0u32..)
            .map(|((label, totals), index)| {
                let top = index * ROW_HEIGHT;
                let (base_width, draft_width) = (
                    width(totals.base.subsidy_yen),
                    width(totals.draft.subsidy_yen),
                );
                ChartBar {
                    label: label.clone(),
                    label_y: top + 26,
                    base_y: top + 4,
                    draft_y: top + 24,
                    base_width,
                    draft_width,
                    base_text_x: BAR_X + base_width + 6,
                    draft_text_x: BAR_X + draft_width + 6,
                    base_yen: totals.base.subsidy_yen.to_string(),
                    draft_yen: totals.draft.subsidy_yen.to_string(),
                }
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct FindingView {
    severity: &'static str,
    message: String,
}

#[derive(Serialize)]
struct OutcomeView {
    eligible: bool,
    /// Against the award cap: refused, this award its last, or room left.
    standing: &'static str,
    award_ordinal: u32,
    rate: String,
    cap: String,
    subsidy: String,
    findings: Vec<FindingView>,
}

#[derive(Serialize)]
struct ChangedView {
    reference: String,
    id: Option<i64>,
    organisation: String,
    changes: String,
    difference: String,
    refused_by_draft: bool,
    base: OutcomeView,
    draft: OutcomeView,
}

impl ChangedView {
    fn of(row: &ChangedApplication, id: Option<i64>) -> ChangedView {
        let outcome =
            |outcome: &crate::domain::impact::Outcome,
             findings: &[crate::domain::impact::FindingText]| OutcomeView {
                eligible: outcome.eligible,
                standing: outcome.cap_standing().label_ja(),
                award_ordinal: outcome.award_ordinal,
                rate: outcome
                    .rate
                    .map_or_else(|| "—".to_owned(), |rate| rate.to_string()),
                cap: outcome.cap_yen.to_string(),
                subsidy: outcome.subsidy_yen.to_string(),
                findings: findings
                    .iter()
                    .map(|finding| FindingView {
                        severity: match finding.severity {
                            crate::domain::evaluation::Severity::Error => "要件を満たさない",
                            crate::domain::evaluation::Severity::Warning => "確認が必要",
                            crate::domain::evaluation::Severity::Info => "参考",
                        },
                        message: finding.message.clone(),
                    })
                    .collect(),
            };
        ChangedView {
            reference: row.label.clone(),
            id,
            organisation: row.organisation.clone(),
            changes: row.changes.labels_ja().join("・"),
            difference: difference(row.base.subsidy_yen, row.draft.subsidy_yen),
            refused_by_draft: row.refused_by_draft(),
            base: outcome(&row.base, &row.base_findings),
            draft: outcome(&row.draft, &row.draft_findings),
        }
    }
}

#[derive(Serialize)]
struct ResultView {
    fiscal_year: i32,
    evaluated: u64,
    unreadable: usize,
    changed: Vec<ChangedView>,
    changed_count: usize,
    /// Changed applications on the page, and those left for the workbook.
    changes_shown: usize,
    changes_hidden: usize,
    refused_by_draft: usize,
    by_frame: Vec<TotalRow>,
    by_ordinal: Vec<TotalRow>,
    total: TotalRow,
    /// Subsidy by frame, then by award ordinal.
    charts: [Chart; 2],
    at_cap_base: u64,
    at_cap_draft: u64,
    one_short_base: u64,
    one_short_draft: u64,
    budget: Option<BudgetView>,
    ledger: Option<LedgerView>,
}

#[derive(Serialize)]
struct LedgerView {
    evaluated: u64,
    changed_count: usize,
    newly_refused: usize,
    changed: Vec<ChangedView>,
}

/// How many of the changed the draft refuses.
fn refused_count(changed: &[ChangedApplication]) -> usize {
    changed.iter().filter(|row| row.refused_by_draft()).count()
}

impl LedgerView {
    fn of(outlook: &LedgerOutlook) -> LedgerView {
        LedgerView {
            evaluated: outlook.evaluated,
            changed_count: outlook.changed.len(),
            newly_refused: refused_count(&outlook.changed),
            changed: outlook
                .changed
                .iter()
                .map(|row| ChangedView::of(row, None))
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct BudgetView {
    budget: String,
    base_left: String,
    draft_left: String,
    draft_over: bool,
}

impl ResultView {
    fn of(
        report: &ImpactReport,
        ids: &std::collections::HashMap<String, i64>,
        base: &Program,
        draft: &Program,
        unreadable: usize,
    ) -> ResultView {
        let frames: Vec<(String, SideBySide<Subtotal>)> = report
            .by_frame
            .iter()
            .map(|(frame, totals)| (frame.label_ja().to_owned(), *totals))
            .collect();
        let ordinals: Vec<(String, SideBySide<Subtotal>)> = report
            .by_award_ordinal
            .iter()
            .map(|(ordinal, totals)| (format!("{ordinal}回目"), *totals))
            .collect();
        let budget = draft
            .budget_yen
            .as_ref()
            .or(base.budget_yen.as_ref())
            .map(|budget| {
                let left = report.against_budget(budget.value);
                BudgetView {
                    budget: budget.value.to_string(),
                    base_left: left.base.to_string(),
                    draft_left: left.draft.to_string(),
                    draft_over: left.draft.value() < 0,
                }
            });
        // A page a person reads (`most_telling`); the whole list is in the workbook the form
        // downloads.
        let changed: Vec<ChangedView> = most_telling(&report.changed, CHANGES_SHOWN)
            .into_iter()
            .map(|row| ChangedView::of(row, ids.get(&row.label).copied()))
            .collect();
        let changed_count = report.changed.len();
        ResultView {
            fiscal_year: draft.fiscal_year.0,
            evaluated: report.evaluated,
            unreadable,
            refused_by_draft: refused_count(&report.changed),
            changed_count,
            changes_shown: changed.len(),
            changes_hidden: changed_count - changed.len(),
            changed,
            by_frame: frames
                .iter()
                .map(|(label, totals)| total_row(label.clone(), *totals))
                .collect(),
            by_ordinal: ordinals
                .iter()
                .map(|(label, totals)| total_row(label.clone(), *totals))
                .collect(),
            total: total_row("合計".into(), report.total),
            charts: [
                chart("chart-frame", "枠ごとの補助金額".into(), &frames),
                chart("chart-ordinal", "採択回数ごとの補助金額".into(), &ordinals),
            ],
            at_cap_base: report.award_cap.base.at_cap,
            at_cap_draft: report.award_cap.draft.at_cap,
            one_short_base: report.award_cap.base.one_short,
            one_short_draft: report.award_cap.draft.one_short,
            budget,
            ledger: report.ledger.as_ref().map(LedgerView::of),
        }
    }
}
