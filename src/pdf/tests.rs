//! Unit and snapshot tests of the layout model. They use [`FixedMetrics`] so that the
//! snapshots in `tests/snapshots/` (insta) do not depend on the installed font. After an
//! intended change, `cargo test --lib pdf::` writes `tests/snapshots/*.snap.new`: read each one
//! against the fixture of [`sample`] before accepting it (`cargo insta review`, or rename it to
//! `.snap`). With `CI` set (as `.ci/run` runs) a snapshot that differs fails the test.

use chrono::NaiveDate;

use super::filings::{DecisionView, FindingView, PriorAwardView};
use super::layout::{Block, Column, Footer, Item, LayoutDocument, Row, Table, layout};
use super::text::FixedMetrics;
use super::*;
use crate::domain::codes::{
    ActivityCategory, ApplicantKind, ApplicantRole, ExpenseCategory, Frame, FundingSource,
    LegalPath, PartnerKind, TaxTreatment,
};
use crate::domain::workflow::ApplicationState;
use crate::pdf::data::{
    ActivityEntry, BudgetLineEntry, FilingApplication, LegalBasisEntry, Member, PartnerEntry,
};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn line(
    category: ExpenseCategory,
    description: &str,
    amount: i64,
    source: FundingSource,
) -> BudgetLineEntry {
    BudgetLineEntry {
        category,
        description: description.to_owned(),
        amount_yen: amount,
        funding_source: source,
        review_state: crate::domain::budget::ReviewState::Pending,
        reviewed_amount_yen: None,
        actual_amount_yen: None,
    }
}

fn sample() -> FilingData {
    FilingData {
        application: FilingApplication {
            id: 3,
            reference: "R8-0003".to_owned(),
            fiscal_year: 2026,
            frame: Frame::LegalLinkage,
            status: ApplicationState::UnderReview,
            title: "松本地域 経営発達支援計画に基づく人材確保・定着支援".to_owned(),
            municipality_id: Some(2),
            municipality: Some("松本市".to_owned()),
            application_date: Some(date(2026, 5, 18)),
            project_start: Some(date(2026, 7, 1)),
            project_end: Some(date(2027, 3, 15)),
            tax_treatment: TaxTreatment::Net,
            members: vec![Member {
                organisation_id: 7,
                role: ApplicantRole::Lead,
                name: "松本商工会議所".to_owned(),
                corporate_number: None,
                kind: ApplicantKind::ChamberOfCommerce,
                industry: None,
                employees: Some(40),
                capital_yen: None,
                prefecture: Some("長野県".to_owned()),
                municipality_id: Some(2),
            }],
            partners: vec![PartnerEntry {
                kind: PartnerKind::Municipality,
                name: "松本市".to_owned(),
                agreement: None,
            }],
            legal_basis: Some(LegalBasisEntry {
                path: LegalPath::SmallBusinessSupport,
                holder_name: "松本商工会議所".to_owned(),
                granted_by: "経済産業大臣".to_owned(),
                granted_on: date(2026, 4, 1),
                valid_until: Some(date(2031, 3, 31)),
                includes_talent_measures: true,
                evidence_reference: Some("経営発達支援計画 変更認定通知書".to_owned()),
            }),
            activities: vec![
                ActivityEntry {
                    name: "副業人材マッチング".to_owned(),
                    category: ActivityCategory::Recruitment,
                    executive_internship: false,
                    kpi: Some("マッチング 15 件（うち継続 10 件）".to_owned()),
                    lines: vec![
                        line(
                            ExpenseCategory::Personnel,
                            "経営指導員（人材担当）",
                            5_400_000,
                            FundingSource::ThisSubsidy,
                        ),
                        line(
                            ExpenseCategory::Outsourcing,
                            "マッチングプラットフォーム利用",
                            1_000_000,
                            FundingSource::ThisSubsidy,
                        ),
                    ],
                },
                ActivityEntry {
                    name: "エンゲージメントセミナー".to_owned(),
                    category: ActivityCategory::Retention,
                    executive_internship: false,
                    kpi: None,
                    lines: vec![
                        line(
                            ExpenseCategory::Honoraria,
                            "セミナー講師謝金",
                            200_000,
                            FundingSource::ThisSubsidy,
                        ),
                        line(
                            ExpenseCategory::Meetings,
                            "会場費",
                            150_000,
                            FundingSource::Municipal,
                        ),
                    ],
                },
            ],
            frozen_decision: None,
            decided_subsidy_yen: None,
            decided_on: None,
            confirmed_subsidy_yen: None,
            confirmed_on: None,
            reports: vec![],
        },
        judgement: Judgement::Decided(DecisionView {
            eligible: true,
            award_ordinal: 2,
            rate: Some("1/2".to_owned()),
            cap_yen: 10_000_000,
            eligible_expenses_yen: 6_600_000,
            subsidy_yen: 3_300_000,
            rounding_unit_yen: 1_000,
            prior_awards: vec![PriorAwardView {
                fiscal_year: 2025,
                frame: "legal_linkage".to_owned(),
                listed_as: "松本商工会議所".to_owned(),
                applicant: "松本商工会議所".to_owned(),
            }],
            findings: vec![FindingView {
                code: "award_ordinal".to_owned(),
                severity: crate::domain::evaluation::Severity::Info,
                message: "今回は採択回数2回目です。".to_owned(),
                source: "004_4db6bae2530d025b.txt:134".to_owned(),
            }],
            rules_version: "test".to_owned(),
        }),
        assumptions: vec![],
        audit_head: Some(crate::domain::audit::ChainHead {
            count: 12,
            last_hash: "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"
                .to_owned(),
        }),
    }
}

fn forms() -> FilingForms {
    FilingForms::embedded().expect("the shipped filing definitions are valid")
}

/// A filing's layout as snapshot text, without its footer: the page number, title, reference
/// and data hash at the foot of each page are checked on their own (and another line there
/// changes no body snapshot). The footer is what is drawn in the small print below the body.
/// The filing as laid out with the shipped forms and fixed metrics, printed on `today`.
fn laid_out(kind: FilingKind, data: &FilingData, today: NaiveDate) -> LayoutDocument {
    layout_filing(kind, data, &forms(), today, &FixedMetrics).expect("lays out")
}

fn body_snapshot(document: &LayoutDocument) -> String {
    let mut body = document.clone();
    for page in &mut body.pages {
        page.items.retain(|item| match item {
            Item::Text { size_pt, .. } => *size_pt >= 8.0,
            Item::Line { y1, y2, .. } => *y1 <= 275.0 && *y2 <= 275.0,
            Item::Fill { y, .. } => *y <= 275.0,
        });
    }
    body.to_snapshot()
}

/// insta's settings for the layout snapshots: the files in `tests/snapshots/`, named after the
/// filing, and the print date (the day a filing is printed) redacted.
fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../tests/snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.add_filter(r"令和8年5月20日", "[print date]");
    settings.add_filter(r"データ照合番号 [0-9a-f]{12}", "データ照合番号 [data hash]");
    settings
}

#[test]
fn every_filing_kind_has_a_valid_definition() {
    let forms = forms();
    for kind in FilingKind::ALL {
        assert!(!forms.title(*kind).is_empty());
        assert_eq!(kind.code().parse::<FilingKind>(), Ok(*kind));
    }
    assert!("receipt".parse::<FilingKind>().is_err());
}

#[test]
fn layout_snapshots_of_the_filings() {
    let data = sample();
    for kind in [
        FilingKind::Application,
        FilingKind::Budget,
        FilingKind::Decision,
        FilingKind::CompletionReport,
    ] {
        let document = laid_out(kind, &data, date(2026, 5, 20));
        let footer = document.page_text(0);
        let hash = data_hash(kind, &data).expect("hash");
        for expected in [
            "1 / 1".to_owned(),
            format!("{}　R8-0003", forms().title(kind)),
            format!("データ照合番号 {hash}"),
        ] {
            assert!(
                footer.contains(&expected.as_str()),
                "{kind}: footer {expected}"
            );
        }
        snapshot_settings().bind(|| {
            insta::assert_snapshot!(format!("pdf_{}", kind.code()), body_snapshot(&document));
        });
    }
}

#[test]
fn the_data_hash_follows_the_data_not_the_print_date() {
    let data = sample();
    let first = data_hash(FilingKind::Budget, &data).expect("hash");
    assert_eq!(first.len(), 12);
    assert_eq!(first, data_hash(FilingKind::Budget, &data).expect("hash"));
    assert_ne!(
        first,
        data_hash(FilingKind::Application, &data).expect("hash")
    );
    let mut changed = data.clone();
    changed.application.activities[0].lines[0].amount_yen += 1;
    assert_ne!(
        first,
        data_hash(FilingKind::Budget, &changed).expect("hash")
    );
    let a = laid_out(FilingKind::Budget, &data, date(2026, 5, 20));
    let b = laid_out(FilingKind::Budget, &data, date(2026, 6, 1));
    assert!(a.page_text(0).iter().any(|t| t.contains(&first)));
    assert!(b.page_text(0).iter().any(|t| t.contains(&first)));
    // The audit chain's head moves with every event anywhere; the data hash does not.
    let mut later = data.clone();
    later.audit_head = Some(crate::domain::audit::ChainHead {
        count: 13,
        last_hash: "ff".repeat(32),
    });
    assert_eq!(first, data_hash(FilingKind::Budget, &later).expect("hash"));
}

#[test]
fn undecided_values_say_so() {
    let mut data = sample();
    data.judgement = Judgement::NotJudged {
        errors: vec!["project_period: 補助事業期間を入力してください".to_owned()],
    };
    let document = laid_out(FilingKind::GrantDecisionNotice, &data, date(2026, 5, 20));
    let text = document.page_text(0).concat();
    assert!(text.contains("交付決定額未確定"), "{text}");
    let document = laid_out(FilingKind::Budget, &data, date(2026, 5, 20));
    assert!(
        document
            .page_text(0)
            .concat()
            .contains("補助事業期間を入力してください")
    );
}

fn long_table(rows: usize) -> Vec<Block> {
    let mut table_rows = vec![Row::new(vec![
        "番号".to_owned(),
        "内容".to_owned(),
        "金額".to_owned(),
    ])];
    table_rows.extend((1..=rows).map(|i| {
        Row::new(vec![
            format!("{i}"),
            format!("明細{i}"),
            format!("{i},000円"),
        ])
    }));
    table_rows.push(Row::total(vec![
        "合計".to_owned(),
        String::new(),
        "…".to_owned(),
    ]));
    vec![
        Block::Title("長い表".to_owned()),
        Block::Table(Table {
            columns: vec![
                Column::text("番号"),
                Column::text("内容"),
                Column::number("金額"),
            ],
            header: true,
            rows: table_rows,
        }),
    ]
}

fn footer() -> Footer {
    Footer {
        kind_title: "経費明細書".to_owned(),
        reference: "R8-0001".to_owned(),
        data_hash: "0123456789ab".to_owned(),
        audit_head: Some("監査ログ 12 件 1a2b3c4d5e6f".to_owned()),
    }
}

#[test]
fn long_tables_repeat_their_header_and_number_their_pages() {
    let document = layout("長い表", &long_table(200), &footer(), &FixedMetrics);
    let pages = document.pages.len();
    assert!(pages >= 4, "{pages} pages");
    for (index, page) in document.pages.iter().enumerate() {
        let texts = document.page_text(index);
        // The first table texts on each page are the header cells.
        let start = if index == 0 { 1 } else { 0 };
        assert_eq!(
            &texts[start..start + 3],
            ["番号", "内容", "金額"],
            "page {}",
            index + 1
        );
        assert!(
            texts.contains(&format!("{} / {pages}", index + 1).as_str()),
            "page {}",
            index + 1
        );
        assert!(texts.contains(&"経費明細書　R8-0001"));
        assert!(texts.contains(&"データ照合番号 0123456789ab"));
        assert!(texts.contains(&"監査ログ 12 件 1a2b3c4d5e6f"));
        // Nothing is drawn over the footer.
        for item in &page.items {
            if let Item::Text { y, size_pt, .. } = item
                && *size_pt > 8.0
            {
                assert!(*y < 275.0, "body text at {y} on page {}", index + 1);
            }
        }
    }
    let all: Vec<&str> = (0..pages).flat_map(|p| document.page_text(p)).collect();
    for i in 1..=200 {
        assert!(all.contains(&format!("明細{i}").as_str()), "row {i}");
    }
}

#[test]
fn numbers_are_right_aligned() {
    let document = layout("表", &long_table(3), &footer(), &FixedMetrics);
    let right_edges: Vec<f32> = document.pages[0]
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Text {
                x, text, size_pt, ..
            } if text.ends_with("000円") => Some(
                x + text
                    .chars()
                    .map(|c| if c == '円' { 1.0 } else { 0.5 })
                    .sum::<f32>()
                    * size_pt
                    * 25.4
                    / 72.0,
            ),
            _ => None,
        })
        .collect();
    assert_eq!(right_edges.len(), 3);
    for edge in &right_edges {
        assert!((edge - right_edges[0]).abs() < 0.05, "{right_edges:?}");
    }
}

#[test]
fn a_cell_taller_than_a_page_is_split_not_lost() {
    let huge = "地域の人事部".repeat(3_000);
    let blocks = vec![Block::Table(Table {
        columns: vec![Column::label("項目"), Column::text("内容")],
        header: false,
        rows: vec![Row::new(vec!["事業名".to_owned(), huge.clone()])],
    })];
    let document = layout("長いセル", &blocks, &footer(), &FixedMetrics);
    assert!(document.pages.len() > 2);
    let drawn: String = (0..document.pages.len())
        .flat_map(|p| document.page_text(p))
        .filter(|t| {
            t.starts_with("地域")
                || t.starts_with("の")
                || t.starts_with("人")
                || t.starts_with("事")
                || t.starts_with("部")
                || t.starts_with("域")
        })
        .collect();
    assert_eq!(drawn.matches("地域の人事部").count(), 3_000);
}

#[test]
fn hostile_text_is_replaced_and_reported() {
    let blocks = vec![
        Block::Paragraph("<script>alert(1)</script>\u{0}\u{7}😀\u{202E}右から左".to_owned()),
        Block::Table(Table {
            columns: vec![Column::text("名称")],
            header: false,
            rows: vec![Row::new(vec!["😀".repeat(500)])],
        }),
    ];
    let document = layout("危険な文字", &blocks, &footer(), &FixedMetrics);
    assert_eq!(
        document.missing_glyphs,
        ['\u{0}', '\u{7}', '😀', '\u{202E}']
    );
    let text = document.page_text(0).concat();
    assert!(
        text.contains("<script>alert(1)</script>〓〓〓〓右から左"),
        "{text}"
    );
    assert!(
        text.contains("U+1F600"),
        "the note lists what was replaced: {text}"
    );
}

#[test]
fn a_missing_font_says_how_to_install_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nothing.ttf");
    let error = PdfFont::load(&missing).expect_err("no such file");
    assert!(error.message.contains("nothing.ttf"), "{}", error.message);
    assert!(
        error
            .message
            .contains("apt-get install fonts-ipaexfont-gothic"),
        "{}",
        error.message
    );
    assert!(error.message.contains("pdf_font_path"), "{}", error.message);
    let not_a_font = dir.path().join("notes.ttf");
    std::fs::write(&not_a_font, "これはフォントではありません").expect("write");
    let error = PdfFont::load(&not_a_font).expect_err("not a font");
    assert!(
        error.message.contains("TrueType/OpenType"),
        "{}",
        error.message
    );
    // A configured path is used as given, never replaced by a discovered one.
    assert_eq!(
        PdfFont::discover(Some(&missing)).expect("configured"),
        missing
    );
}
