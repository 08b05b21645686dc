//! The program manager (事務局): the pipeline by state with filters, the award-limit view,
//! the KPIs, and the rules of each fiscal year with their sources (read-only).

use actix_session::Session;
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};

use super::deadlines::{EntryView, entry_view};
use super::export::{CSV, XLSX, attachment, csv_text, csv_with_bom, xlsx_failed};
use super::view::{Summary, label, summary};
use super::{Db, ManagerPage, PageError, PageResult, render};
use crate::db::applications::{self as repo, PipelineFilter};
use crate::db::{self, awards, deadlines, organisations, workflow as store};
use crate::domain::amounts::AmountKind;
use crate::domain::calendar::{FiscalYear, wareki_date};
use crate::domain::codes::{Frame, PartnerKind};
use crate::domain::forecast::{BudgetForecast, Tally};
use crate::domain::kpi::continuation_rates;
use crate::domain::money::Yen;
use crate::domain::program::Certainty;
use crate::domain::program::ProgramSet;
use crate::domain::search::PipelineSearch;
use crate::domain::workflow::ApplicationState;
use crate::error::AppError;
use crate::spreadsheet::Formats;

/// At most this many rows on one page of the pipeline.
const PIPELINE_LIMIT: i64 = 500;
/// Deadlines in the main page's "next deadlines" list.
const NEXT_DEADLINES: i64 = 10;

#[derive(Deserialize, Default)]
pub struct PipelineQuery {
    state: Option<String>,
    fiscal_year: Option<String>,
    frame: Option<String>,
    municipality_id: Option<String>,
    q: Option<String>,
}

#[derive(Serialize)]
struct StateCount {
    code: &'static str,
    label: &'static str,
    count: i64,
    selected: bool,
}

#[derive(Serialize)]
struct Opt {
    value: String,
    label: String,
    selected: bool,
}

impl Opt {
    /// A choice of a filter, selected when it is the one the filter holds.
    fn of(value: impl ToString, label: impl Into<String>, chosen: &Option<String>) -> Opt {
        let value = value.to_string();
        Opt {
            selected: chosen.as_deref() == Some(value.as_str()),
            value,
            label: label.into(),
        }
    }
}

#[derive(Serialize)]
struct PipelineView {
    counts: Vec<StateCount>,
    states: Vec<Opt>,
    years: Vec<Opt>,
    frames: Vec<Opt>,
    municipalities: Vec<Opt>,
    q: String,
    applications: Vec<PipelineRow>,
    /// The filter as a query string, for the export links.
    export_query: String,
    limited: bool,
    next_deadlines: Vec<EntryView>,
    overdue_deadlines: i64,
    /// Applications whose decision carries a finding for 事務局 review, with its reason.
    reviews: Vec<(Summary, &'static str)>,
    /// The year's budget against its applications; `None` when the year's file has no budget.
    forecast: Option<ForecastView>,
}

#[derive(Serialize)]
struct TallyView {
    count: u32,
    yen: String,
}

impl From<Tally> for TallyView {
    fn from(tally: Tally) -> Self {
        TallyView {
            count: tally.count,
            yen: tally.yen.to_string(),
        }
    }
}

#[derive(Serialize)]
struct ForecastView {
    fiscal_year: i32,
    budget: Sourced,
    decided: TallyView,
    selected: TallyView,
    under_review: TallyView,
    remainder: String,
    remainder_if_all_selected: String,
    /// What the selections exceed the budget by, when they do.
    over_budget_by: Option<String>,
    /// What selecting everything under review would exceed the budget by, when it would.
    review_exceeds_by: Option<String>,
    awards: u32,
    target_awards: Option<u32>,
    below_target_by: Option<u32>,
}

fn target_awards(programs: &ProgramSet, fiscal_year: i32) -> Option<u32> {
    programs
        .get(FiscalYear(fiscal_year))
        .and_then(|program| program.target_awards.as_ref())
        .map(|target| target.value)
}

/// The forecast of the year the pipeline is filtered to, or else of the latest year.
fn forecast_view(
    conn: &mut db::DbConnection,
    programs: &ProgramSet,
    fiscal_year: Option<i32>,
) -> Result<Option<ForecastView>, AppError> {
    let program = match fiscal_year {
        Some(year) => programs.get(FiscalYear(year)),
        None => programs.latest(),
    };
    let Some((program, budget)) =
        program.and_then(|program| program.budget_yen.as_ref().map(|budget| (program, budget)))
    else {
        return Ok(None);
    };
    let rows = repo::submitted_in_year(conn, program.fiscal_year.0)?;
    let amounts: Vec<_> = rows
        .iter()
        .map(|row| (row.status, row.lifecycle_amounts()))
        .collect();
    let target = program.target_awards.as_ref().map(|target| target.value);
    let forecast = BudgetForecast::of(
        budget.value,
        target,
        amounts.iter().map(|(state, amounts)| (*state, amounts)),
    );
    let shortfall = |remainder: Yen| {
        (remainder.value() < 0).then(|| Yen::new(remainder.value().saturating_neg()).to_string())
    };
    Ok(Some(ForecastView {
        fiscal_year: program.fiscal_year.0,
        budget: noted(budget.value.to_string(), budget),
        decided: forecast.decided.into(),
        selected: forecast.selected.into(),
        under_review: forecast.under_review.into(),
        remainder: forecast.remainder.to_string(),
        remainder_if_all_selected: forecast.remainder_if_all_selected.to_string(),
        over_budget_by: shortfall(forecast.remainder),
        review_exceeds_by: shortfall(forecast.remainder_if_all_selected),
        awards: forecast.awards(),
        target_awards: target,
        below_target_by: target
            .and_then(|target| target.checked_sub(forecast.awards()))
            .filter(|short| *short > 0),
    }))
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_ref()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The filter a pipeline query asks for, after checking the search box.
fn pipeline_filter(query: &PipelineQuery) -> Result<PipelineFilter, AppError> {
    let mut errors = crate::domain::validation::FieldErrors::new();
    let search = query.q.as_deref().unwrap_or_default();
    crate::domain::text::check(
        &mut errors,
        "q",
        search,
        crate::domain::text::QUERY,
        "検索語",
    );
    errors.into_result(()).map_err(AppError::invalid)?;
    Ok(PipelineFilter {
        state: non_empty(&query.state),
        fiscal_year: non_empty(&query.fiscal_year).and_then(|y| y.parse().ok()),
        frame: non_empty(&query.frame),
        municipality_id: non_empty(&query.municipality_id).and_then(|m| m.parse().ok()),
        search: PipelineSearch::of(search),
    })
}

/// The filter as the query string of a link (the exports'), `?` included; empty for none.
fn filter_query(filter: &PipelineFilter) -> String {
    let pairs: Vec<(&str, String)> = [
        ("state", filter.state.clone()),
        ("fiscal_year", filter.fiscal_year.map(|y| y.to_string())),
        ("frame", filter.frame.clone()),
        (
            "municipality_id",
            filter.municipality_id.map(|m| m.to_string()),
        ),
        ("q", filter.search.as_ref().map(|s| s.typed.clone())),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|value| (name, value)))
    .collect();
    // Pairs of strings always encode; an empty filter is no query at all.
    match serde_urlencoded::to_string(&pairs) {
        Ok(query) if !query.is_empty() => format!("?{query}"),
        _ => String::new(),
    }
}

/// A row of the pipeline: the application and its lead organisation's name.
#[derive(Serialize)]
struct PipelineRow {
    #[serde(flatten)]
    summary: Summary,
    organisation: String,
}

/// The listed applications with their lead organisations' names.
fn pipeline_rows(
    conn: &mut db::DbConnection,
    rows: &[repo::ApplicationRow],
    municipalities: &[organisations::Municipality],
) -> Result<Vec<PipelineRow>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|row| row.lead_organisation_id).collect();
    let names = organisations::names_by_id(conn, &ids)?;
    Ok(rows
        .iter()
        .map(|row| PipelineRow {
            summary: summary(row, municipalities),
            organisation: names
                .get(&row.lead_organisation_id)
                .cloned()
                .unwrap_or_else(|| "—".to_owned()),
        })
        .collect())
}

#[get("/manager")]
pub async fn pipeline(
    db: Db,
    session: Session,
    query: web::Query<PipelineQuery>,
    ManagerPage(caller): ManagerPage,
) -> PageResult {
    let filter = pipeline_filter(&query)?;
    let export_query = filter_query(&filter);
    let view = db
        .run(move |conn, programs| {
            let municipalities = organisations::list_municipalities(conn)?;
            let counts = repo::count_by_state(conn)?;
            let rows = repo::list_filtered(conn, &filter, PIPELINE_LIMIT + 1, 0)?;
            let limited = rows.len() > PIPELINE_LIMIT as usize;
            let now = db::now();
            let next_deadlines = deadlines::next_open(conn, now, NEXT_DEADLINES)?
                .iter()
                .map(|entry| entry_view(entry, now))
                .collect();
            let overdue_deadlines = deadlines::count_open_before(conn, now)?;
            let forecast = forecast_view(conn, programs, filter.fiscal_year)?;
            let mut reviews = Vec::new();
            for (code, reason) in crate::domain::evaluation::REVIEW_FINDINGS {
                for row in repo::with_finding(conn, code)? {
                    reviews.push((summary(&row, &municipalities), *reason));
                }
            }
            let year_text = filter.fiscal_year.map(|y| y.to_string());
            let municipality_text = filter.municipality_id.map(|m| m.to_string());
            Ok(PipelineView {
                counts: ApplicationState::ALL
                    .iter()
                    .map(|s| StateCount {
                        code: s.as_str(),
                        label: s.label_ja(),
                        count: counts
                            .iter()
                            .find(|(code, _)| code == s.as_str())
                            .map_or(0, |(_, n)| *n),
                        selected: filter.state.as_deref() == Some(s.as_str()),
                    })
                    .collect(),
                states: ApplicationState::ALL
                    .iter()
                    .map(|s| Opt::of(s.as_str(), s.label_ja(), &filter.state))
                    .collect(),
                years: programs
                    .iter()
                    .map(|p| Opt::of(p.fiscal_year.0, p.fiscal_year.to_string(), &year_text))
                    .collect(),
                frames: Frame::ALL
                    .iter()
                    .map(|f| Opt::of(f.as_str(), f.label_ja(), &filter.frame))
                    .collect(),
                municipalities: municipalities
                    .iter()
                    .map(|m| Opt::of(m.id, m.name.clone(), &municipality_text))
                    .collect(),
                q: filter
                    .search
                    .as_ref()
                    .map(|search| search.typed.clone())
                    .unwrap_or_default(),
                applications: pipeline_rows(
                    conn,
                    &rows[..rows.len().min(PIPELINE_LIMIT as usize)],
                    &municipalities,
                )?,
                export_query,
                limited,
                next_deadlines,
                overdue_deadlines,
                reviews,
                forecast,
            })
        })
        .await?;
    render("manager_pipeline", "申請の状況", &caller, &session, view)
}

/// At most this many applications in one export of the pipeline.
const EXPORT_LIMIT: i64 = 100_000;

/// The columns of the pipeline export before the amounts; the amounts (one column per
/// `AmountKind`) and 申請日 follow.
const EXPORT_HEADER: [&str; 7] = [
    "申請番号",
    "団体名",
    "事業名",
    "年度",
    "枠",
    "市町村",
    "状態",
];

/// One application of the export: its texts, its amounts by kind (empty where the
/// application has none of that kind yet) and its 申請日.
struct ExportRow {
    texts: [String; 7],
    amounts: Vec<Option<i64>>,
    application_date: String,
}

fn export_header() -> Vec<String> {
    EXPORT_HEADER
        .iter()
        .map(|title| (*title).to_owned())
        .chain(
            AmountKind::ALL
                .iter()
                .map(|kind| format!("{}（円）", kind.label_ja())),
        )
        .chain(std::iter::once("申請日".to_owned()))
        .collect()
}

/// The filtered pipeline, every row of it, as the export writes it.
async fn export_rows(db: Db, query: &PipelineQuery) -> Result<Vec<ExportRow>, PageError> {
    let filter = pipeline_filter(query)?;
    Ok(db
        .run(move |conn, _| {
            let municipalities = organisations::list_municipalities(conn)?;
            let rows = repo::list_filtered(conn, &filter, EXPORT_LIMIT, 0)?;
            Ok(pipeline_rows(conn, &rows, &municipalities)?
                .into_iter()
                .zip(&rows)
                .map(|(listed, row)| {
                    let recorded = row.lifecycle_amounts();
                    ExportRow {
                        amounts: AmountKind::ALL
                            .iter()
                            .map(|kind| {
                                recorded
                                    .0
                                    .iter()
                                    .find(|amount| amount.kind == *kind)
                                    .map(|amount| amount.yen.value())
                            })
                            .collect(),
                        application_date: row
                            .application_date
                            .map(|date| wareki_date(date).to_string())
                            .unwrap_or_default(),
                        texts: [
                            listed.summary.reference,
                            listed.organisation,
                            listed.summary.title,
                            FiscalYear(row.fiscal_year).to_string(),
                            listed.summary.frame,
                            listed.summary.municipality,
                            listed.summary.state_label,
                        ],
                    }
                })
                .collect())
        })
        .await?)
}

/// The filtered pipeline as CSV (UTF-8 with a byte-order mark, for Excel): every text cell
/// neutralised as the budget export's are, the amounts as plain integers.
#[get("/manager/pipeline.csv")]
pub async fn export_csv(
    db: Db,
    query: web::Query<PipelineQuery>,
    ManagerPage(_): ManagerPage,
) -> Result<HttpResponse, PageError> {
    let rows = export_rows(db, &query).await?;
    let bytes = csv_with_bom(|writer| {
        writer.write_record(export_header())?;
        for row in &rows {
            let mut record: Vec<String> = row.texts.iter().map(csv_text).collect();
            record.extend(
                row.amounts
                    .iter()
                    .map(|yen| yen.map(|yen| yen.to_string()).unwrap_or_default()),
            );
            record.push(csv_text(&row.application_date));
            writer.write_record(&record)?;
        }
        Ok(())
    })?;
    Ok(attachment(CSV, "pipeline.csv", bytes))
}

/// The filtered pipeline as an Excel workbook: the amounts as numbers, the header row frozen
/// and filterable.
#[get("/manager/pipeline.xlsx")]
pub async fn export_xlsx(
    db: Db,
    query: web::Query<PipelineQuery>,
    ManagerPage(_): ManagerPage,
) -> Result<HttpResponse, PageError> {
    let rows = export_rows(db, &query).await?;
    let formats = Formats::default();
    let header = export_header();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("申請").map_err(xlsx_failed)?;
    let titles: Vec<&str> = header.iter().map(String::as_str).collect();
    formats.header(sheet, 0, &titles).map_err(xlsx_failed)?;
    for (row_index, row) in (1u32..).zip(&rows) {
        let mut column = 0u16;
        for text in &row.texts {
            formats
                .text(sheet, row_index, column, text)
                .map_err(xlsx_failed)?;
            column += 1;
        }
        for yen in &row.amounts {
            if let Some(yen) = yen {
                formats
                    .yen(sheet, row_index, column, *yen, &formats.yen)
                    .map_err(xlsx_failed)?;
            }
            column += 1;
        }
        formats
            .text(sheet, row_index, column, &row.application_date)
            .map_err(xlsx_failed)?;
    }
    // The texts' widths; every amount and the date get 16.
    let widths = [10.0, 30.0, 36.0, 12.0, 16.0, 12.0, 12.0];
    for column in 0..titles.len() as u16 {
        let width = widths.get(usize::from(column)).copied().unwrap_or(16.0);
        sheet.set_column_width(column, width).map_err(xlsx_failed)?;
    }
    let last_row = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    sheet
        .autofilter(0, 0, last_row, titles.len() as u16 - 1)
        .map_err(xlsx_failed)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_failed)?;
    let bytes = workbook.save_to_buffer().map_err(xlsx_failed)?;
    Ok(attachment(XLSX, "pipeline.xlsx", bytes))
}

#[derive(Serialize)]
struct AwardRow {
    name: String,
    count: usize,
    awards: Vec<String>,
}

#[derive(Serialize)]
struct AwardLimitsView {
    cap: Option<u32>,
    at_cap: Vec<AwardRow>,
    one_left: Vec<AwardRow>,
    refused: Vec<Summary>,
}

#[get("/manager/award-limits")]
pub async fn award_limits(
    db: Db,
    session: Session,
    ManagerPage(caller): ManagerPage,
) -> PageResult {
    let view = db
        .run(|conn, programs| {
            let municipalities = organisations::list_municipalities(conn)?;
            let cap = programs
                .latest()
                .and_then(|p| p.award_cap.as_ref())
                .map(|c| c.value);
            let rows: Vec<AwardRow> = awards::organisations_with_awards(conn, 2)?
                .into_iter()
                .map(|organisation| AwardRow {
                    count: organisation.awards.len(),
                    awards: organisation
                        .awards
                        .iter()
                        .map(|(year, frame, code)| {
                            format!("{} {}（{code}）", FiscalYear(*year), label::<Frame>(frame))
                        })
                        .collect(),
                    name: organisation.name,
                })
                .collect();
            let cap_count = cap.map_or(3, |c| c as usize);
            let (at_cap, one_left): (Vec<AwardRow>, Vec<AwardRow>) =
                rows.into_iter().partition(|row| row.count >= cap_count);
            Ok(AwardLimitsView {
                cap,
                at_cap,
                one_left,
                refused: repo::with_finding(conn, crate::domain::evaluation::AWARD_CAP_EXCEEDED)?
                    .iter()
                    .map(|row| summary(row, &municipalities))
                    .collect(),
            })
        })
        .await?;
    render(
        "manager_award_limits",
        "採択回数の上限",
        &caller,
        &session,
        view,
    )
}

#[derive(Serialize)]
struct YearAwards {
    fiscal_year: i32,
    awards: i64,
    /// The year's `target_awards`; `None` where the year's file sets none.
    target: Option<u32>,
    meets_target: Option<bool>,
}

#[derive(Serialize)]
struct ContinuationRow {
    fiscal_year: i32,
    awards: u32,
    answered: u32,
    continuing: u32,
    rate: String,
    meets_target: Option<bool>,
}

#[derive(Serialize)]
struct KpiView {
    awards: Vec<YearAwards>,
    continuation: Vec<ContinuationRow>,
}

#[get("/manager/kpis")]
pub async fn kpis(db: Db, session: Session, ManagerPage(caller): ManagerPage) -> PageResult {
    let view = db
        .run(|conn, programs| {
            let per_year = awards::awards_per_year(conn)?;
            let decided = store::decided_awards_by_year(conn)?;
            let answers = store::survey_answers(conn)?;
            Ok(KpiView {
                awards: per_year
                    .into_iter()
                    .map(|(fiscal_year, awards)| {
                        let target = target_awards(programs, fiscal_year);
                        YearAwards {
                            fiscal_year,
                            awards,
                            target,
                            meets_target: target.map(|target| awards >= i64::from(target)),
                        }
                    })
                    .collect(),
                continuation: continuation_rates(&decided, &answers)
                    .into_iter()
                    .map(|rate| ContinuationRow {
                        fiscal_year: rate.fiscal_year,
                        awards: rate.awards,
                        answered: rate.answered,
                        continuing: rate.continuing,
                        rate: rate.rate.map_or_else(
                            || "—".to_owned(),
                            |(n, d)| {
                                if d == 0 {
                                    "—".to_owned()
                                } else {
                                    // Integer arithmetic, one decimal, rounded down.
                                    let permille = u64::from(n) * 1000 / u64::from(d);
                                    format!("{}.{}%（{n}/{d}）", permille / 10, permille % 10)
                                }
                            },
                        ),
                        meets_target: rate.meets_target,
                    })
                    .collect(),
            })
        })
        .await?;
    render("manager_kpis", "KPI", &caller, &session, view)
}

#[derive(Serialize)]
struct Sourced {
    value: String,
    /// The citation as people read it (forms/sources.toml), never a file name.
    source: String,
    /// The value's certainty and note, when it is not certain.
    certainty: &'static str,
    note: String,
}

/// A value of the year's file with its certainty and Japanese note.
fn noted<T>(value: String, sourced: &crate::domain::program::Sourced<T>) -> Sourced {
    Sourced {
        value,
        source: crate::program::readable_source(&sourced.source),
        certainty: certainty_label(sourced.certainty),
        note: sourced.note.clone().unwrap_or_default(),
    }
}

/// Codes as people read them, in their order: 「中小企業者、中堅企業者」.
fn listed<T>(codes: &[T], label: impl Fn(&T) -> &'static str) -> String {
    codes.iter().map(label).collect::<Vec<_>>().join("、")
}

#[derive(Serialize)]
struct RateRow {
    ordinal: String,
    rate: String,
    certainty: &'static str,
    source: String,
    note: String,
}

#[derive(Serialize)]
struct FrameRow {
    name: String,
    code: &'static str,
    source: String,
    cap: Sourced,
    rates: Vec<RateRow>,
    requirements: Vec<Sourced>,
}

#[derive(Serialize)]
struct YearView {
    fiscal_year: i32,
    name: Sourced,
    rules_version: String,
    frames: Vec<FrameRow>,
    general: Vec<(String, Sourced)>,
}

fn certainty_label(certainty: Certainty) -> &'static str {
    match certainty {
        Certainty::Certain => "公表資料に記載",
        Certainty::Interpretation => "解釈（別の読み方あり）",
        Certainty::Provisional => "暫定（公募要領の公表前）",
    }
}

#[get("/manager/programs")]
pub async fn program_years(
    db: Db,
    session: Session,
    ManagerPage(caller): ManagerPage,
) -> PageResult {
    let mut years: Vec<YearView> = db
        .programs()
        .iter()
        .map(|program| {
            let sourced = |value: String, source: &str| Sourced {
                value,
                source: crate::program::readable_source(source),
                certainty: "",
                note: String::new(),
            };
            let mut general = vec![
                (
                    "端数処理".to_owned(),
                    noted(
                        format!("{}未満切捨て", program.rounding_unit_yen.value),
                        &program.rounding_unit_yen,
                    ),
                ),
                (
                    "補助事業の期間".to_owned(),
                    noted(
                        if program.project_within_fiscal_year.value {
                            "申請年度内（3月31日まで）".to_owned()
                        } else {
                            "年度をまたいでもよい".to_owned()
                        },
                        &program.project_within_fiscal_year,
                    ),
                ),
                (
                    "事業終了前に期限が切れる承認等".to_owned(),
                    noted(
                        match program.legal_basis_expiring_during_project.value {
                            crate::domain::program::OnDeparture::Refuse => "申請できない",
                            crate::domain::program::OnDeparture::Review => "事務局が確認",
                        }
                        .to_owned(),
                        &program.legal_basis_expiring_during_project,
                    ),
                ),
                (
                    "連名申請の採択回数".to_owned(),
                    noted(
                        "構成員のうち最も多い者の回数".to_owned(),
                        &program.joint_application_count,
                    ),
                ),
                (
                    "採択回数の上限".to_owned(),
                    program.award_cap.as_ref().map_or_else(
                        || sourced("上限なし".to_owned(), ""),
                        |cap| sourced(format!("{}回まで", cap.value), &cap.source),
                    ),
                ),
                (
                    "予算額".to_owned(),
                    program.budget_yen.as_ref().map_or_else(
                        || sourced("公表前".to_owned(), ""),
                        |budget| noted(budget.value.to_string(), budget),
                    ),
                ),
                (
                    "採択件数の目標".to_owned(),
                    program.target_awards.as_ref().map_or_else(
                        || sourced("定めなし".to_owned(), ""),
                        |target| noted(format!("{}件", target.value), target),
                    ),
                ),
                (
                    "採択回数に数える過去の事業".to_owned(),
                    sourced(
                        program
                            .countable_awards
                            .years
                            .iter()
                            .map(|(year, _)| year.to_string())
                            .collect::<Vec<_>>()
                            .join("、"),
                        &program.countable_awards.source,
                    ),
                ),
                (
                    "申請できる者".to_owned(),
                    sourced(
                        listed(&program.eligible_applicant_kinds.value, |k| k.label_ja()),
                        &program.eligible_applicant_kinds.source,
                    ),
                ),
                (
                    "必須の連携先".to_owned(),
                    sourced(
                        listed(&program.required_partner_kinds.value, |k| k.label_ja()),
                        &program.required_partner_kinds.source,
                    ),
                ),
                (
                    "計画変更の承認が必要な変動".to_owned(),
                    sourced(
                        format!(
                            "経費区分ごとに {} 超",
                            program.change_approval_threshold.value
                        ),
                        &program.change_approval_threshold.source,
                    ),
                ),
                (
                    "実績報告の期限".to_owned(),
                    sourced(
                        format!(
                            "事業終了後{}日以内、かつ{}月{}日まで",
                            program.reports.completion_days_after_end,
                            program.reports.completion_latest_month,
                            program.reports.completion_latest_day
                        ),
                        &program.reports.completion_source,
                    ),
                ),
            ];
            if let Some(window) = &program.application_window {
                general.push((
                    "公募期間".to_owned(),
                    sourced(
                        format!(
                            "{} 〜 {}",
                            crate::domain::calendar::wareki_date(window.opens),
                            crate::domain::calendar::wareki_date(window.closes)
                        ),
                        &window.source,
                    ),
                ));
            }
            YearView {
                fiscal_year: program.fiscal_year.0,
                name: sourced(program.name_ja.value.clone(), &program.name_ja.source),
                rules_version: program.rules_version.clone(),
                frames: program
                    .frames
                    .iter()
                    .map(|frame| {
                        let mut requirements = Vec::new();
                        if let Some(kinds) = &frame.required_partner_kinds {
                            requirements.push(sourced(
                                format!(
                                    "必須の連携先: {}",
                                    listed(&kinds.value, |k: &PartnerKind| k.label_ja())
                                ),
                                &kinds.source,
                            ));
                        }
                        if let Some(internship) = &frame.requires_executive_internship
                            && internship.value
                        {
                            requirements.push(sourced(
                                "幹部インターンシップの実施".to_owned(),
                                &internship.source,
                            ));
                        }
                        if let Some(legal) = &frame.legal_basis {
                            requirements.push(sourced(
                                format!(
                                    "法制度上の根拠: {}",
                                    listed(&legal.paths, |p| p.label_ja())
                                ),
                                &legal.source,
                            ));
                        }
                        FrameRow {
                            name: frame.name_ja.clone(),
                            code: frame.code.as_str(),
                            source: crate::program::readable_source(&frame.source),
                            cap: noted(frame.cap_yen.value.to_string(), &frame.cap_yen),
                            rates: frame
                                .rates
                                .iter()
                                .map(|step| RateRow {
                                    ordinal: if step.and_later {
                                        format!("{}回目以降", step.ordinal)
                                    } else {
                                        format!("{}回目", step.ordinal)
                                    },
                                    rate: step.rate.to_string(),
                                    certainty: certainty_label(step.certainty),
                                    source: crate::program::readable_source(&step.source),
                                    note: step.note.clone().unwrap_or_default(),
                                })
                                .collect(),
                            requirements,
                        }
                    })
                    .collect(),
                general,
            }
        })
        .collect();
    // Newest year first.
    years.reverse();
    render(
        "manager_programs",
        "年度ごとの規則",
        &caller,
        &session,
        years,
    )
}
