//! Benchmark of the PDF filings (figures in the README): a 3-page 申請書 laid out and drawn
//! with the font embedded as a subset, on one core. Targets: ≤ 20 ms and ≤ 150 KB per
//! filing, ≥ 100 filings a second.
//!
//! `cargo bench --bench pdf` (release build). The font is parsed once, as in the service. Each
//! figure is printed against its target, and the bench exits with status 1 when one is missed.

// Test and bench code may stop at the first surprise; the service may not (Cargo.toml [lints]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hojokin::domain::budget::ReviewState;
use hojokin::domain::codes::{
    ActivityCategory, ApplicantRole, ExpenseCategory, Frame, FundingSource, PartnerKind,
};
use hojokin::domain::workflow::ApplicationState;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use hojokin::pdf::data::{ActivityEntry, BudgetLineEntry, FilingApplication, Member, PartnerEntry};
use hojokin::pdf::{self, FilingData, FilingForms, FilingKind, Judgement, PdfFont};

#[path = "support/targets.rs"]
mod targets;
use targets::{Target, Targets};

const FILING_SIZE_KB: Target = Target::at_most("3-page 申請書, size", 150.0, "KB");
const RENDER_MEDIAN_MS: Target = Target::at_most("render, median", 20.0, "ms");
const FILINGS_PER_SECOND: Target = Target::at_least("render, one core", 100.0, "filings/s");

/// An application with enough activities, KPIs and partners to fill three pages.
fn application() -> FilingApplication {
    let activities = (1..=24)
        .map(|a| ActivityEntry {
            name: format!(
                "活動{a} 幹部人材インターンシップと副業人材マッチング（地域企業 {a} 社）"
            ),
            category: ActivityCategory::Development,
            executive_internship: a % 3 == 0,
            kpi: Some(format!(
                "受入企業 {a} 社、インターン {} 名、定着率 80% 以上",
                a * 2
            )),
            lines: (1..=4)
                .map(|l| BudgetLineEntry {
                    category: [
                        ExpenseCategory::Personnel,
                        ExpenseCategory::Travel,
                        ExpenseCategory::Honoraria,
                        ExpenseCategory::Outsourcing,
                    ][l - 1],
                    description: format!("明細 {a}-{l}"),
                    amount_yen: 120_000 * (a as i64 + l as i64),
                    funding_source: FundingSource::ThisSubsidy,
                    review_state: ReviewState::Pending,
                    reviewed_amount_yen: None,
                    actual_amount_yen: None,
                })
                .collect(),
        })
        .collect();
    FilingApplication {
        id: 1,
        reference: "R8-0001".to_owned(),
        fiscal_year: 2026,
        frame: Frame::RightHand,
        status: ApplicationState::Submitted,
        title: "塩尻エリア 幹部人材インターンシップと副業人材マッチング".to_owned(),
        municipality_id: Some(1),
        municipality: Some("塩尻市".to_owned()),
        application_date: NaiveDate::from_ymd_opt(2026, 5, 20),
        project_start: NaiveDate::from_ymd_opt(2026, 7, 1),
        project_end: NaiveDate::from_ymd_opt(2027, 2, 28),
        tax_treatment: hojokin::domain::codes::TaxTreatment::Net,
        members: vec![Member {
            organisation_id: 1,
            role: ApplicantRole::Lead,
            name: "特定非営利活動法人MEGURU".to_owned(),
            corporate_number: None,
            kind: hojokin::domain::codes::ApplicantKind::Npo,
            industry: None,
            employees: Some(12),
            capital_yen: None,
            prefecture: Some("長野県".to_owned()),
            municipality_id: Some(1),
        }],
        partners: (1..=12)
            .map(|p| PartnerEntry {
                kind: PartnerKind::Company,
                name: format!("連携企業 株式会社サンプル{p}"),
                agreement: Some("連携協定書（令和8年4月1日）".to_owned()),
            })
            .collect(),
        legal_basis: None,
        activities,
        frozen_decision: None,
        decided_subsidy_yen: None,
        decided_on: None,
        confirmed_subsidy_yen: None,
        confirmed_on: None,
        reports: vec![],
    }
}

fn main() {
    let font = match PdfFont::shared(None) {
        Ok(font) => font,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let forms = FilingForms::embedded().unwrap_or_else(|error| {
        eprintln!("{error}");
        std::process::exit(1);
    });
    let data = FilingData {
        application: application(),
        judgement: Judgement::NotJudged { errors: vec![] },
        assumptions: vec![],
        audit_head: None,
    };
    let today = NaiveDate::from_ymd_opt(2026, 5, 20).unwrap_or_default();
    let render = || pdf::render_filing(FilingKind::Application, &data, &forms, today, &font);
    let first = match render() {
        Ok(first) => first,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let iterations = 200;
    let mut times = Vec::with_capacity(iterations);
    let start = Instant::now();
    for _ in 0..iterations {
        let begin = Instant::now();
        black_box(render().map(|r| r.bytes.len()).unwrap_or(0));
        times.push(begin.elapsed());
    }
    let total = start.elapsed();
    times.sort_unstable();
    let median = times[iterations / 2];
    let p95 = times[iterations * 95 / 100];
    let per_second = iterations as f64 / total.as_secs_f64();
    println!(
        "application filing: {} pages, {} bytes ({:.0} KB)",
        first.pages,
        first.bytes.len(),
        first.bytes.len() as f64 / 1024.0
    );
    println!(
        "render (layout + draw + subset), one core: median {:.2} ms, p95 {:.2} ms, {per_second:.0} filings/s",
        ms(median),
        ms(p95)
    );
    let mut targets = Targets::default();
    targets.check(&FILING_SIZE_KB, first.bytes.len() as f64 / 1024.0);
    targets.check(&RENDER_MEDIAN_MS, ms(median));
    targets.check(&FILINGS_PER_SECOND, per_second);
    targets.finish();
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
