//! PDF filings: every kind renders from the demo data with the expected Japanese text and
//! amounts (read back with poppler's `pdftotext`), the font is embedded as a subset
//! (`pdffonts`), long tables break across pages with their header repeated, hostile text
//! renders, and the endpoint refuses callers it cannot identify or authorise.

use hojokin::domain::codes::{
    ActivityCategory, ExpenseCategory, Frame, FundingSource, PartnerKind,
};
use std::path::Path;
use std::process::Command;

use actix_web::test as web_test;
use chrono::NaiveDate;
use hojokin::db::applications::{
    ActivityDraft, ApplicationDraft, BudgetLineDraft, PartnerDraft, insert_application,
};
use hojokin::db::{self, DbConnection};
use hojokin::domain::access::Role;
use hojokin::domain::workflow::ApplicationState;
use hojokin::pdf::{self, FilingForms, FilingKind, Judgement, PdfFont, RenderedFiling};

use crate::helpers::{Backend, TestDb, block_on};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 20).expect("date")
}

fn font() -> std::sync::Arc<PdfFont> {
    PdfFont::shared(None).expect("a Japanese font (scripts/setup installs fonts-ipaexfont-gothic)")
}

fn seed(conn: &mut DbConnection) {
    let programs = hojokin::program::embedded().expect("programs");
    hojokin::demo::seed(conn, &programs, today()).expect("demo");
}

fn id_of(conn: &mut DbConnection, reference: &str) -> i64 {
    db::applications::find_by_reference(conn, reference)
        .expect("query")
        .expect("application exists")
}

fn render(conn: &mut DbConnection, id: i64, kind: FilingKind) -> (pdf::FilingData, RenderedFiling) {
    let programs = hojokin::program::embedded().expect("programs");
    let forms = FilingForms::embedded().expect("filing definitions");
    let data = hojokin::actions::filings::load_filing_data(conn, &programs, id, today())
        .expect("filing data");
    let rendered = pdf::render_filing(kind, &data, &forms, today(), &font()).expect("renders");
    (data, rendered)
}

/// Text of the PDF (or of one page), as poppler reads it.
pub(crate) fn pdftotext(bytes: &[u8], page: Option<usize>) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("filing.pdf");
    std::fs::write(&path, bytes).expect("write pdf");
    let mut command = Command::new("pdftotext");
    command.arg("-layout");
    if let Some(page) = page {
        command.args(["-f", &page.to_string(), "-l", &page.to_string()]);
    }
    let output = command
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils; scripts/setup installs it)");
    assert!(
        output.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 text")
}

fn pdffonts(path: &Path) -> String {
    let output = Command::new("pdffonts")
        .arg(path)
        .output()
        .expect("pdffonts runs");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The text without the spaces `-layout` adds between table cells.
pub(crate) fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn assert_contains(text: &str, expected: &[&str], what: &str) {
    let squeezed = squeeze(text);
    for needle in expected {
        assert!(
            squeezed.contains(&squeeze(needle)),
            "{what}: {needle:?} not found in:\n{text}"
        );
    }
}

crate::on_both_backends!(every_filing_renders_from_the_demo_data, |test_db| {
    let mut conn = test_db.conn();
    seed(&mut conn);
    let id = id_of(&mut conn, "R8-0002");
    let expectations: &[(FilingKind, &[&str])] = &[
        (
            FilingKind::Application,
            &[
                "補助事業計画書（申請書）",
                "株式会社つばめいと",
                "右腕人材枠",
                "令和8年5月20日",
                "令和8年7月1日 〜 令和9年2月26日",
                "三条市立大学",
                "受入企業 10 社",
                "8,000,000円",
                "9,200,000円",
            ],
        ),
        (
            FilingKind::Budget,
            &[
                "経費明細書",
                "コーディネーター 2 名",
                "7,200,000円",
                "会費等",
                "合計",
                "9,200,000円",
                "補助率",
            ],
        ),
        (
            FilingKind::Decision,
            &["要件判定結果", "判定ルール版", "所見"],
        ),
        (
            FilingKind::GrantRequest,
            &["補助金交付申請書", "第5条", "8,700,000円"],
        ),
        (
            FilingKind::InterimReport,
            &["遂行状況報告書", "未確定", "提出済みの報告はまだありません"],
        ),
        (
            FilingKind::CompletionReport,
            &["実績報告書", "予算額（補助対象）", "未確定"],
        ),
        (
            FilingKind::GrantDecisionNotice,
            &["交付決定通知書", "交付決定額", "未確定"],
        ),
        (
            FilingKind::AmountConfirmationNotice,
            &["額の確定通知書", "確定額", "未確定"],
        ),
    ];
    for (kind, expected) in expectations {
        let (data, rendered) = render(&mut conn, id, *kind);
        assert!(rendered.bytes.starts_with(b"%PDF-"), "{kind}");
        assert!(
            rendered.bytes.len() < 150_000,
            "{kind}: {} bytes",
            rendered.bytes.len()
        );
        assert!(
            rendered.missing_glyphs.is_empty(),
            "{kind}: {:?}",
            rendered.missing_glyphs
        );
        let text = pdftotext(&rendered.bytes, None);
        assert_contains(&text, expected, kind.code());
        // The footer: page numbers, the kind, the application number and the data hash.
        let forms = FilingForms::embedded().expect("forms");
        assert_contains(
            &text,
            &[
                &format!("1 / {}", rendered.pages),
                forms.title(*kind),
                "R8-0002",
                &rendered.data_hash,
            ],
            kind.code(),
        );
        // Amounts that need a rule come from the engine, not from the PDF code.
        if let (FilingKind::Budget, Judgement::Decided(decision)) = (kind, &data.judgement) {
            let subsidy = hojokin::domain::money::Yen::new(decision.subsidy_yen).to_string();
            assert_contains(&text, &[&subsidy], "subsidy from the decision");
        }
    }
    // Every application of the demo renders every filing.
    for reference in ["R8-0001", "R8-0003", "R8-0004", "R8-0005"] {
        let id = id_of(&mut conn, reference);
        for kind in FilingKind::ALL {
            let (_, rendered) = render(&mut conn, id, *kind);
            assert!(
                pdftotext(&rendered.bytes, None).contains(reference),
                "{reference} {kind}"
            );
        }
    }
});

#[test]
fn the_font_is_embedded_as_a_subset() {
    let test_db = TestDb::migrated(Backend::Sqlite).expect("sqlite");
    let mut conn = test_db.conn();
    seed(&mut conn);
    let id = id_of(&mut conn, "R8-0003");
    let (_, rendered) = render(&mut conn, id, FilingKind::Application);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("application.pdf");
    std::fs::write(&path, &rendered.bytes).expect("write");
    let fonts = pdffonts(&path);
    let font_lines: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(font_lines.len(), 1, "one font: {fonts}");
    let columns: Vec<&str> = font_lines[0].split_whitespace().collect();
    // name (ABCDEF+Family for a subset), type…, emb, sub, uni, object id.
    assert!(
        columns[0].len() > 7 && &columns[0][6..7] == "+",
        "subset name: {fonts}"
    );
    let flags = &columns[columns.len() - 5..columns.len() - 2];
    assert_eq!(
        flags,
        ["yes", "yes", "yes"],
        "embedded, subset, unicode map: {fonts}"
    );
    // A subset, not the whole 4 MB font.
    assert!(
        rendered.bytes.len() < 100_000,
        "{} bytes",
        rendered.bytes.len()
    );
}

fn organisation(conn: &mut DbConnection, name: &str) -> i64 {
    db::organisations::find_organisation(conn, name)
        .expect("query")
        .expect("organisation exists")
        .id
}

fn draft(lead: i64, title: &str, activities: Vec<ActivityDraft>) -> ApplicationDraft {
    ApplicationDraft {
        reference: "R8-9001".to_owned(),
        fiscal_year: 2026,
        frame: Frame::RightHand,
        state: ApplicationState::Submitted,
        title: title.to_owned(),
        lead_organisation_id: lead,
        co_applicant_ids: vec![],
        municipality_id: None,
        application_date: Some(today()),
        project_start: NaiveDate::from_ymd_opt(2026, 7, 1),
        project_end: NaiveDate::from_ymd_opt(2027, 2, 26),
        partners: vec![PartnerDraft {
            kind: PartnerKind::EducationInstitution,
            name: "三条市立大学".to_owned(),
            municipality_id: None,
            agreement: None,
        }],
        legal_basis: None,
        activities,
        created_by: None,
    }
}

crate::on_both_backends!(
    a_200_line_budget_spans_pages_with_its_header_repeated,
    |test_db| {
        let mut conn = test_db.conn();
        seed(&mut conn);
        let lead = organisation(&mut conn, "株式会社つばめいと");
        let categories = [
            "personnel",
            "travel",
            "honoraria",
            "outsourcing",
            "printing",
        ];
        let activities = (0..4)
            .map(|a| ActivityDraft {
                name: format!("活動{}", a + 1),
                category: ActivityCategory::Development,
                executive_internship: a == 0,
                kpi: None,
                lines: (0..50)
                    .map(|l| BudgetLineDraft {
                        category: categories[l % categories.len()].parse().expect("category"),
                        description: format!("明細{:03}", a * 50 + l + 1),
                        amount_yen: 10_000 * (l as i64 + 1),
                        funding_source: if l % 4 == 3 {
                            FundingSource::OwnFunds
                        } else {
                            FundingSource::ThisSubsidy
                        },
                        co_funding_sources: vec![],
                    })
                    .collect(),
            })
            .collect();
        let id =
            insert_application(&mut conn, &draft(lead, "200行の予算", activities)).expect("insert");
        let (_, rendered) = render(&mut conn, id, FilingKind::Budget);
        assert!(
            rendered.pages >= 4,
            "200 lines take several pages: {}",
            rendered.pages
        );
        let mut seen = Vec::new();
        for page in 1..=rendered.pages {
            let text = pdftotext(&rendered.bytes, Some(page));
            assert_contains(
                &text,
                &[
                    &format!("{page} / {}", rendered.pages),
                    "経費明細書",
                    "R8-9001",
                ],
                &format!("footer of page {page}"),
            );
            let squeezed = squeeze(&text);
            for number in 1..=200 {
                if squeezed.contains(&format!("明細{number:03}")) {
                    seen.push(number);
                }
            }
            // Every page that continues the long table starts with its header row again.
            if page > 1 && squeezed.contains("明細") {
                assert!(
                    squeezed.contains("活動経費区分内容財源金額"),
                    "page {page} repeats the header:\n{text}"
                );
            }
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (1..=200).collect::<Vec<_>>(), "every line printed");
        // Σ 10,000 × (1..=50) = 12,750,000 per activity, 51,000,000 in all.
        let text = pdftotext(&rendered.bytes, None);
        assert_contains(&text, &["小計", "12,750,000円", "51,000,000円"], "totals");
    }
);

crate::on_both_backends!(
    hostile_text_renders_and_missing_glyphs_are_reported,
    |test_db| {
        let mut conn = test_db.conn();
        seed(&mut conn);
        let lead = organisation(&mut conn, "株式会社つばめいと");
        let long_name = "とても長い活動名（地域の人事部）".repeat(300);
        // No NUL: PostgreSQL text cannot hold one (the layout's unit tests cover it).
        let hostile = "<script>alert('x')</script>\u{7}\u{1b}[31m😀🏯🇯🇵";
        let activities = vec![
            ActivityDraft {
                name: long_name.clone(),
                category: ActivityCategory::Recruitment,
                executive_internship: true,
                kpi: Some(format!("{hostile}\n改行の後")),
                lines: vec![BudgetLineDraft {
                    category: ExpenseCategory::Personnel,
                    description: format!("{hostile}{}", "W".repeat(2_000)),
                    amount_yen: 999_999_999_999,
                    funding_source: FundingSource::ThisSubsidy,
                    co_funding_sources: vec![],
                }],
            },
            ActivityDraft {
                name: hostile.to_owned(),
                category: ActivityCategory::Other,
                executive_internship: false,
                kpi: None,
                lines: vec![],
            },
        ];
        let id = insert_application(&mut conn, &draft(lead, hostile, activities)).expect("insert");
        for kind in FilingKind::ALL {
            let (_, rendered) = render(&mut conn, id, *kind);
            assert!(rendered.bytes.starts_with(b"%PDF-"), "{kind}");
            let text = pdftotext(&rendered.bytes, None);
            assert!(text.contains("R8-9001"), "{kind}");
            if matches!(kind, FilingKind::Application | FilingKind::Budget) {
                for c in ['😀', '\u{7}', '\u{1b}'] {
                    assert!(
                        rendered.missing_glyphs.contains(&c),
                        "{kind}: {c:?} reported: {:?}",
                        rendered.missing_glyphs
                    );
                }
                // Markup is text: drawn as written, never interpreted.
                assert_contains(
                    &text,
                    &["<script>alert('x')</script>", "〓", "U+1F600"],
                    kind.code(),
                );
            }
        }
    }
);

/// A user with the fixtures' password, to log in as.
fn user(conn: &mut DbConnection, email: &str, role: Role, organisations: Vec<i64>) {
    hojokin::db::users::add_user(
        conn,
        &hojokin::db::users::NewUser {
            email: hojokin::domain::access::EmailAddress::parse(email).expect("email"),
            display_name: email.to_owned(),
            role,
            password_hash: Some(
                hojokin::passwords::hash_password(crate::fixtures::PASSWORD).expect("hash"),
            ),
            municipality_id: None,
            organisation_ids: organisations,
        },
    )
    .expect("user");
}

crate::on_both_backends!(the_endpoint_needs_an_authorised_caller, |test_db| {
    let mut conn = test_db.conn();
    seed(&mut conn);
    let id = id_of(&mut conn, "R8-0002");
    let member = organisation(&mut conn, "株式会社つばめいと");
    let stranger = organisation(&mut conn, "株式会社御祓川");
    user(
        &mut conn,
        "member@tsubameito.example",
        Role::Applicant,
        vec![member],
    );
    user(
        &mut conn,
        "stranger@misogigawa.example",
        Role::Applicant,
        vec![stranger],
    );
    user(
        &mut conn,
        "manager@pdf.example",
        Role::ProgramManager,
        vec![],
    );
    drop(conn);
    block_on(async {
        let app = crate::test_app!(test_db);
        let member = crate::login!(&app, "member@tsubameito.example");
        let stranger = crate::login!(&app, "stranger@misogigawa.example");
        let manager = crate::login!(&app, "manager@pdf.example");
        let get = |uri: String, who: Option<&String>| {
            let mut request = web_test::TestRequest::get().uri(&uri);
            if let Some(cookie) = who {
                request = request.insert_header(("cookie", cookie.clone()));
            }
            request.to_request()
        };
        let uri = format!("/api/v1/applications/{id}/filings/budget.pdf");
        let response = web_test::call_service(&app, get(uri.clone(), None)).await;
        assert_eq!(response.status().as_u16(), 401, "no identity, no filing");
        let response = web_test::call_service(&app, get(uri.clone(), Some(&stranger))).await;
        assert_eq!(
            response.status().as_u16(),
            403,
            "another applicant's filing"
        );
        let response = web_test::call_service(&app, get(uri.clone(), Some(&member))).await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .expect("content-type"),
            "application/pdf"
        );
        let disposition = response
            .headers()
            .get("content-disposition")
            .expect("content-disposition")
            .to_str()
            .expect("ascii");
        assert!(disposition.contains("R8-0002_budget.pdf"), "{disposition}");
        let hash = response
            .headers()
            .get("x-hojokin-data-hash")
            .expect("x-hojokin-data-hash")
            .to_str()
            .expect("ascii")
            .to_owned();
        let body = web_test::read_body(response).await;
        assert!(squeeze(&pdftotext(&body, None)).contains(&hash));
        let response = web_test::call_service(
            &app,
            get(
                format!("/api/v1/applications/{id}/filings/nonsense.pdf"),
                Some(&manager),
            ),
        )
        .await;
        assert_eq!(response.status().as_u16(), 404, "unknown kind");
        let response = web_test::call_service(
            &app,
            get(format!("/api/v1/applications/{id}/filings"), Some(&manager)),
        )
        .await;
        assert_eq!(response.status().as_u16(), 200);
        let list: serde_json::Value = web_test::read_body_json(response).await;
        assert_eq!(
            list["filings"].as_array().map(Vec::len),
            Some(FilingKind::ALL.len())
        );
        assert_eq!(
            list["filings"][1]["href"],
            format!("/api/v1/applications/{id}/filings/budget.pdf")
        );
    });
});

/// `hojokin render` (README, *PDF filings*): a filing of the demo data written to a file, and
/// the README's commands for R8-0002 (its application and budget; every kind of it renders in
/// `every_filing_renders_from_the_demo_data`), page 1 of whose budget `pdftoppm` turns into
/// `page-1.png`.
#[test]
fn the_render_command_writes_a_pdf() {
    let test_db = TestDb::migrated(Backend::Sqlite).expect("sqlite");
    seed(&mut test_db.conn());
    let dir = tempfile::tempdir().expect("temp dir");
    let render = |application: &str, kind: &str, file: &str| {
        Command::new(env!("CARGO_BIN_EXE_hojokin"))
            .args([
                "render",
                "--application",
                application,
                "--kind",
                kind,
                "-o",
                file,
            ])
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOJOKIN_DATABASE_URL", test_db.url_string())
            .output()
            .expect("run hojokin")
    };
    let run = |kind: &str| render("R8-0004", kind, "out.pdf");
    let output = run("completion_report");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(dir.path().join("out.pdf")).expect("written");
    assert_contains(
        &pdftotext(&bytes, None),
        &["補助事業実績報告書", "R8-0004", "株式会社御祓川"],
        "cli",
    );
    let output = run("receipt");
    assert_eq!(
        output.status.code(),
        Some(2),
        "an unknown kind is the user's to correct"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("grant_decision_notice"));

    for kind in [FilingKind::Application, FilingKind::Budget] {
        let file = format!("R8-0002_{}.pdf", kind.code());
        let output = render("R8-0002", kind.code(), &file);
        assert!(
            output.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let bytes = std::fs::read(dir.path().join(&file)).expect("written");
        assert!(bytes.starts_with(b"%PDF-"), "{file}");
    }
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1"])
        .args(["R8-0002_budget.pdf", "page"])
        .current_dir(dir.path())
        .status()
        .expect("pdftoppm runs (poppler-utils; scripts/setup installs it)");
    assert!(status.success());
    assert!(
        dir.path().join("page-1.png").is_file(),
        "page 1 as page-1.png"
    );
}

crate::on_both_backends!(a_filing_prints_the_head_of_the_audit_chain, |test_db| {
    let mut conn = test_db.conn();
    seed(&mut conn);
    let head = db::audit::verify(&mut conn)
        .expect("verify")
        .expect("the demo's chain is intact");
    assert!(head.count > 0, "the demo records events");
    let id = id_of(&mut conn, "R8-0002");
    let (data, rendered) = render(&mut conn, id, FilingKind::Budget);
    assert_eq!(data.audit_head.as_ref(), Some(&head));
    let text = pdftotext(&rendered.bytes, Some(1));
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let footer = format!("監査ログ {} 件 {}", head.count, head.short_hash());
    assert!(words.contains(&footer), "{footer} in: {words}");
});
