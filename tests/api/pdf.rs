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

use crate::helpers::block_on;

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
        // The subsidy, worked out from forms/demo.toml: R8-0002 claims 7,200,000 + 300,000 +
        // 1,200,000 = 8,700,000円; 株式会社つばめいと has one award (R4), so this is its 2nd
        // in the 右腕人材枠 at 1/2: 4,350,000円, under the 13,000,000円 cap.
        if matches!(kind, FilingKind::Budget | FilingKind::Decision) {
            assert!(matches!(data.judgement, Judgement::Decided(_)), "{kind}");
            let subsidy = subsidy_of(7_200_000 + 300_000 + 1_200_000, (1, 2), 1_000, 13_000_000);
            assert_amounts(
                &text,
                &[
                    ("補助対象経費", printed_yen(8_700_000)),
                    ("補助率", "1/2".to_owned()),
                    ("補助金額", printed_yen(subsidy)),
                ],
                kind.code(),
            );
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

crate::on_both_backends!(the_font_is_embedded_as_a_subset, |test_db| {
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
});

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
        // 経費明細書, RFC 5987-encoded, for clients that read filename*.
        assert!(
            disposition.contains(
                "filename*=UTF-8''R8%2D0002_%E7%B5%8C%E8%B2%BB%E6%98%8E%E7%B4%B0%E6%9B%B8.pdf"
            ),
            "{disposition}"
        );
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
        let kinds: Vec<&str> = list["filings"]
            .as_array()
            .expect("filings")
            .iter()
            .filter_map(|f| f["kind"].as_str())
            .collect();
        assert_eq!(
            kinds,
            ["application", "budget", "decision"],
            "a submitted application has no notice of a grant nobody decided yet"
        );
        let response = web_test::call_service(
            &app,
            get(
                format!("/api/v1/applications/{id}/filings/grant_decision_notice.pdf"),
                Some(&member),
            ),
        )
        .await;
        assert_eq!(response.status().as_u16(), 409, "before 交付決定");
        let body = web_test::read_body(response).await;
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.contains("この書類は交付決定の後に発行されます") && !text.contains("%PDF"),
            "{text}"
        );
        assert_eq!(
            list["filings"][1]["href"],
            format!("/api/v1/applications/{id}/filings/budget.pdf")
        );
    });
});

crate::on_both_backends!(
    /// `hojokin render` (README, *PDF filings*): a filing of the demo data written to a file, and
    /// the README's commands for R8-0002 (its application and budget; every kind of it renders in
    /// `every_filing_renders_from_the_demo_data`), page 1 of whose budget `pdftoppm` turns into
    /// `page-1.png`.
    the_render_command_writes_a_pdf,
    |test_db| {
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
        // R8-0004 is under way: its grant is decided, its completion report not yet filed.
        let run = |kind: &str| render("R8-0004", kind, "out.pdf");
        let output = run("grant_decision_notice");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let bytes = std::fs::read(dir.path().join("out.pdf")).expect("written");
        assert_contains(
            &pdftotext(&bytes, None),
            &["補助金交付決定通知書", "R8-0004", "株式会社御祓川"],
            "cli",
        );
        std::fs::remove_file(dir.path().join("out.pdf")).expect("remove");
        let output = run("completion_report");
        assert_eq!(output.status.code(), Some(1), "a filing before its time");
        assert!(
            String::from_utf8_lossy(&output.stderr)
                .contains("この書類は実績報告の提出の後に発行されます"),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!dir.path().join("out.pdf").exists(), "nothing written");
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
);

/// `amount` as the filings print it (`12,345円`), formatted here rather than by the crate.
fn printed_yen(amount: i64) -> String {
    let digits = amount.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{grouped}円")
}

/// The subsidy of `eligible` yen at `numerator/denominator`, truncated to `unit` and capped
/// (DOMAIN.md §3.2), worked out in the test.
fn subsidy_of(eligible: i64, (numerator, denominator): (i64, i64), unit: i64, cap: i64) -> i64 {
    (eligible * numerator / denominator / unit * unit).min(cap)
}

/// Asserts that each label is printed with its amount beside it (on one row of the filing).
fn assert_amounts(text: &str, amounts: &[(&str, String)], what: &str) {
    let squeezed = squeeze(text);
    for (label, amount) in amounts {
        assert!(
            squeezed.contains(&format!("{label}{amount}")),
            "{what}: {label} {amount} not printed:\n{text}"
        );
    }
}

crate::on_both_backends!(
    the_amounts_on_each_filing_are_the_ones_the_rules_give,
    |test_db| {
        let world = crate::fixtures::world(&mut test_db.conn());
        // The fixture: three claimed lines and one of own funds. A first award in the R8
        // 右腕人材枠: 2/3 (004:125), cap 13,000,000円, 1,000円未満切捨て (forms/programs/2026.toml).
        let claimed = [
            ("personnel", "コーディネーター人件費", 4_321_000),
            ("travel", "企業訪問旅費", 456_789),
            ("printing", "成果報告書印刷", 123_456),
        ];
        let own_funds = 250_000;
        let (rate, unit, cap) = ((2, 3), 1_000, 13_000_000);
        let lines: Vec<serde_json::Value> = claimed
            .iter()
            .map(|(category, description, amount)| {
                serde_json::json!({"category": category, "description": description,
                    "amount_yen": amount, "funding_source": "this_subsidy"})
            })
            .collect();
        let draft = serde_json::json!({
            "fiscal_year": 2026,
            "frame": "right_hand",
            "title": "塩尻 幹部人材インターンシップ（金額の検証）",
            "lead_organisation_id": world.own_org,
            "municipality_id": world.shiojiri,
            "project_start": "2026-12-01",
            "project_end": "2027-02-26",
            "partners": [
                {"kind": "municipality", "name": "塩尻市", "municipality_id": world.shiojiri},
                {"kind": "education_institution", "name": "信州大学"}
            ],
            "activities": [
                {"name": "幹部インターンシップ", "category": "development",
                 "executive_internship": true, "budget_lines": lines},
                {"name": "協議会", "category": "council", "budget_lines": [
                    {"category": "meetings", "description": "会場費", "amount_yen": own_funds,
                     "funding_source": "own_funds"}
                ]}
            ]
        });
        let total: i64 = claimed.iter().map(|(_, _, amount)| amount).sum::<i64>() + own_funds;
        let eligible: i64 = claimed.iter().map(|(_, _, amount)| amount).sum();
        // 4,901,245 × 2/3 = 3,267,496.67 → 3,267,000.
        let requested = subsidy_of(eligible, rate, unit, cap);
        assert_eq!((eligible, requested), (4_901_245, 3_267_000));
        // What was spent: 4,000,000 + 400,001 + 100,000 = 4,500,001 × 2/3 = 3,000,000.67
        // → 3,000,000, under the decided amount.
        let actuals = [4_000_000, 400_001, 100_000];
        let actual_eligible: i64 = actuals.iter().sum();
        let confirmed = subsidy_of(actual_eligible, rate, unit, cap).min(requested);
        assert_eq!(confirmed, 3_000_000);

        let render_all = |kinds: &[FilingKind], id: i64| -> Vec<(FilingKind, String)> {
            let mut conn = test_db.conn();
            kinds
                .iter()
                .map(|kind| {
                    let (_, rendered) = render(&mut conn, id, *kind);
                    (*kind, pdftotext(&rendered.bytes, None))
                })
                .collect()
        };
        let (id, decided_texts, confirmed_texts) = block_on(async {
            let app = crate::test_app!(test_db);
            let applicant = crate::login!(&app, "applicant@own.example");
            let manager = crate::login!(&app, "manager@meti.example");
            let (status, created) = call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&applicant),
                Some(draft)
            );
            assert_eq!(status, 201, "{created}");
            let id = created["application"]["id"].as_i64().expect("id");
            let line_ids: Vec<i64> = claimed
                .iter()
                .map(|(_, description, _)| crate::fixtures::line_id(&created, description))
                .collect();
            let mut version = created["application"]["version"].as_i64().expect("version");
            let mut step = async |who: &String, action: &str, extra: serde_json::Value| {
                let mut body = serde_json::json!({ "version": version });
                if let serde_json::Value::Object(extra) = extra {
                    body.as_object_mut().expect("object").extend(extra);
                }
                let (status, outcome) = call!(
                    &app,
                    "POST",
                    format!("/api/v1/applications/{id}/actions/{action}"),
                    Some(who),
                    Some(body)
                );
                assert_eq!(status, 200, "{action}: {outcome}");
                version = outcome["version"].as_i64().expect("version");
            };
            let none = serde_json::json!({});
            step(&applicant, "submit", none.clone()).await;
            step(&manager, "start_review", none.clone()).await;
            step(&manager, "select", none.clone()).await;
            step(&applicant, "request_grant", none.clone()).await;
            step(&manager, "decide_grant", none.clone()).await;
            let decided_texts = render_all(FilingKind::ALL, id);
            step(&applicant, "start_project", none.clone()).await;
            let actual_lines: Vec<serde_json::Value> = line_ids
                .iter()
                .zip(actuals)
                .map(|(line, amount)| serde_json::json!({"line_id": line, "amount_yen": amount}))
                .collect();
            step(
                &applicant,
                "submit_completion_report",
                serde_json::json!({"payload": {"body": "完了", "actuals": actual_lines}}),
            )
            .await;
            step(&manager, "confirm_amount", none.clone()).await;
            let confirmed_texts = render_all(FilingKind::ALL, id);
            (id, decided_texts, confirmed_texts)
        });
        assert!(id > 0);

        let rate_text = format!("{}/{}", rate.0, rate.1);
        for (kind, text) in &decided_texts {
            let expected: Vec<(&str, String)> = match kind {
                FilingKind::Application => vec![
                    ("事業費総額", printed_yen(total)),
                    ("補助対象経費", printed_yen(eligible)),
                ],
                FilingKind::Budget => {
                    // Every line, the claimed activity's 小計, the total of every line, the
                    // 経費区分×財源 total row (claimed, own funds, all), then the calculation.
                    let mut amounts: Vec<(&str, String)> = claimed
                        .iter()
                        .map(|(_, _, amount)| ("", printed_yen(*amount)))
                        .collect();
                    amounts.extend([
                        ("", printed_yen(own_funds)),
                        ("小計", printed_yen(eligible)),
                        ("合計", printed_yen(total)),
                        (
                            "合計",
                            printed_yen(eligible) + &printed_yen(own_funds) + &printed_yen(total),
                        ),
                        ("補助対象経費", printed_yen(eligible)),
                        ("補助率", rate_text.clone()),
                        ("補助上限額", printed_yen(cap)),
                        ("補助金額", printed_yen(requested)),
                    ]);
                    amounts
                }
                FilingKind::Decision => vec![
                    ("補助対象経費", printed_yen(eligible)),
                    ("補助率", rate_text.clone()),
                    ("補助上限額", printed_yen(cap)),
                    ("補助金額", printed_yen(requested)),
                ],
                FilingKind::GrantRequest => vec![
                    ("補助対象経費", printed_yen(eligible)),
                    ("交付申請額", printed_yen(requested)),
                ],
                FilingKind::GrantDecisionNotice => vec![
                    ("補助対象経費", printed_yen(eligible)),
                    ("補助率", rate_text.clone()),
                    ("交付決定額", printed_yen(requested)),
                ],
                FilingKind::InterimReport | FilingKind::CompletionReport => {
                    vec![("交付決定額", printed_yen(requested))]
                }
                FilingKind::AmountConfirmationNotice => vec![
                    ("交付決定額", printed_yen(requested)),
                    ("確定額", "未確定".to_owned()),
                ],
            };
            assert_amounts(text, &expected, &format!("{kind} at 交付決定"));
        }
        for (kind, text) in &confirmed_texts {
            let expected: Vec<(&str, String)> = match kind {
                FilingKind::GrantDecisionNotice => {
                    vec![("交付決定額", printed_yen(requested))]
                }
                FilingKind::CompletionReport => vec![
                    ("交付決定額", printed_yen(requested)),
                    ("補助対象経費の実績額", printed_yen(actual_eligible)),
                ],
                FilingKind::AmountConfirmationNotice => vec![
                    ("交付決定額", printed_yen(requested)),
                    ("補助対象経費の実績額", printed_yen(actual_eligible)),
                    ("確定額", printed_yen(confirmed)),
                ],
                _ => vec![],
            };
            assert_amounts(text, &expected, &format!("{kind} at 額の確定"));
        }
    }
);

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

crate::on_both_backends!(a_report_is_dated_the_day_it_was_filed_in_japan, |test_db| {
    use diesel::prelude::*;
    use hojokin::db::schema::reports;
    let mut conn = test_db.conn();
    seed(&mut conn);
    let id = id_of(&mut conn, "R8-0004");
    let report = db::workflow::insert_report(
        &mut conn,
        id,
        hojokin::domain::workflow::ReportKind::Interim,
        r#"{"body":"第1四半期の採用は3名"}"#,
    )
    .expect("report");
    // 2026-12-02 00:30 in Japan, still 1 December in UTC.
    let filed = NaiveDate::from_ymd_opt(2026, 12, 1)
        .and_then(|d| d.and_hms_opt(15, 30, 0))
        .expect("instant");
    diesel::update(reports::table.find(report))
        .set(reports::submitted_at.eq(Some(filed)))
        .execute(&mut *conn)
        .expect("date the report");
    let (_, rendered) = render(&mut conn, id, FilingKind::InterimReport);
    let words = pdftotext(&rendered.bytes, None)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(words.contains("令和8年12月2日"), "{words}");
    assert!(!words.contains("令和8年12月1日"), "{words}");
});
