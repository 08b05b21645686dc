//! The 事務局 pipeline's search and its export, in process, on both backends: 団体名 in the
//! list, a search by the core of an organisation's name (as the ledger normalises names), by
//! title and by number typed full width; the filtered list as CSV and as a workbook, every
//! text cell neutralised, the amounts numbers.

use actix_web::test::{TestRequest, call_service, read_body};
use serde_json::json;

use super::{Client, Page, csrf_of, form};
use crate::fixtures::{PASSWORD, draft, organisation, user, world};
use crate::helpers::block_on;
use hojokin::domain::access::Role;

/// The applications of the fixture world the pipeline lists: (id, reference) of each.
struct Listed {
    shiojiri: (i64, String),
    misogi: (i64, String),
}

/// A draft for `organisation` with `title` by the applicant `email`, submitted.
macro_rules! submitted {
    ($app:expr, $email:expr, $organisation:expr, $municipality:expr, $title:expr) => {{
        let owner = crate::login!($app, $email);
        let mut body = draft($organisation, $municipality);
        body["title"] = json!($title);
        let (status, created) = crate::call!(
            $app,
            "POST",
            "/api/v1/applications",
            Some(&owner),
            Some(body)
        );
        assert_eq!(status, 201, "{created}");
        let id = created["application"]["id"].as_i64().expect("id");
        let version = created["application"]["version"].as_i64().expect("version");
        let (status, answer) = crate::call!(
            $app,
            "POST",
            format!("/api/v1/applications/{id}/actions/submit"),
            Some(&owner),
            Some(json!({ "version": version }))
        );
        assert_eq!(status, 200, "{answer}");
        let reference = created["application"]["reference"]
            .as_str()
            .expect("reference")
            .to_owned();
        (id, reference)
    }};
}

/// The rows of the pipeline table (not the deadlines or the review list above it).
fn pipeline_table(body: &str) -> String {
    match body.split_once("<table id=\"pipeline\"") {
        Some((_, rest)) => rest[..rest.find("</table>").expect("table end")].to_owned(),
        None => String::new(),
    }
}

/// `text` in full-width letters, digits and hyphen-minus, as a Japanese IME types it.
fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).expect("full width"),
            other => other,
        })
        .collect()
}

/// A query string value, percent-encoded.
fn encoded(text: &str) -> String {
    text.bytes().map(|byte| format!("%{byte:02X}")).collect()
}

const MISOGI_TITLE: &str = "=能登の右腕人材育成";

crate::on_both_backends!(
    the_pipeline_finds_by_the_core_of_the_organisation_name_by_title_and_by_full_width_number,
    |test_db| {
        let (w, misogi_org) = {
            let mut conn = test_db.conn();
            let w = world(&mut conn);
            let org = organisation(&mut conn, "株式会社御祓川", w.shiojiri);
            user(
                &mut conn,
                "misogi@misogigawa.example",
                Role::Applicant,
                None,
                vec![org],
            );
            (w, org)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let listed = Listed {
                shiojiri: submitted!(
                    &app,
                    "applicant@own.example",
                    w.own_org,
                    w.shiojiri,
                    "塩尻 幹部人材インターンシップ"
                ),
                misogi: submitted!(
                    &app,
                    "misogi@misogigawa.example",
                    misogi_org,
                    w.shiojiri,
                    MISOGI_TITLE
                ),
            };
            let mut manager = Client::new();
            page_login!(&app, manager, "manager@meti.example");
            let all = send!(manager, &app, TestRequest::get().uri("/manager"));
            let table = pipeline_table(&all.body);
            assert!(table.contains("<th scope=\"col\">団体名</th>"), "{table}");
            assert!(
                table.contains(&format!(
                    "{}</a></td><td>株式会社御祓川</td><td>&#x3D;能登の右腕人材育成</td>",
                    listed.misogi.1
                )),
                "団体名 beside the number: {table}"
            );
            assert!(table.contains("<td>一般社団法人しおじり未来人材機構</td>"));
            // Which of the two each query finds.
            let cases: Vec<(String, bool, bool)> = vec![
                ("御祓川".to_owned(), false, true),
                ("㈱御祓川".to_owned(), false, true),
                ("（株）御祓川".to_owned(), false, true),
                ("株式会社 御祓川".to_owned(), false, true),
                // A legal form the organisation does not have: not this one.
                ("一般社団法人御祓川".to_owned(), false, false),
                ("しおじり未来".to_owned(), true, false),
                ("右腕人材".to_owned(), false, true),
                ("幹部".to_owned(), true, false),
                (listed.misogi.1.clone(), false, true),
                (full_width(&listed.misogi.1), false, true),
                (full_width(&listed.shiojiri.1), true, false),
                (
                    listed.shiojiri.1.to_lowercase().replace('-', "ー"),
                    true,
                    false,
                ),
                // LIKE's wildcards stand for themselves.
                ("%".to_owned(), false, false),
                ("_".to_owned(), false, false),
            ];
            for (query, finds_shiojiri, finds_misogi) in cases {
                let page = send!(
                    manager,
                    &app,
                    TestRequest::get().uri(&format!("/manager?q={}", encoded(&query)))
                );
                assert_eq!(page.status, 200, "{query}");
                let table = pipeline_table(&page.body);
                assert_eq!(
                    (
                        table.contains(&format!(">{}</a>", listed.shiojiri.1)),
                        table.contains(&format!(">{}</a>", listed.misogi.1)),
                    ),
                    (finds_shiojiri, finds_misogi),
                    "{query}: {table}"
                );
                assert!(
                    page.body
                        .contains(&format!("name=\"q\" value=\"{}\"", query.trim())),
                    "the query stays in the box: {query}"
                );
            }
            // The search goes with the other filters.
            let page = send!(
                manager,
                &app,
                TestRequest::get().uri(&format!(
                    "/manager?state=under_review&q={}",
                    encoded("御祓川")
                ))
            );
            assert!(!pipeline_table(&page.body).contains(&listed.misogi.1));
        });
    }
);

/// The CSV's rows, after its byte-order mark.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a BOM for Excel"
    );
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[3..])
        .records()
        .map(|row| row.expect("a CSV row").iter().map(str::to_owned).collect())
        .collect()
}

const EXPORT_HEADER: [&str; 14] = [
    "申請番号",
    "団体名",
    "事業名",
    "年度",
    "枠",
    "市町村",
    "状態",
    "補助金額（試算）（円）",
    "申請額（円）",
    "審査後（円）",
    "交付決定額（円）",
    "確定額（円）",
    "支払額（円）",
    "申請日",
];

crate::on_both_backends!(
    the_pipeline_exports_the_filtered_list_as_csv_and_xlsx,
    |test_db| {
        let (w, misogi_org) = {
            let mut conn = test_db.conn();
            let w = world(&mut conn);
            let org = organisation(&mut conn, "株式会社御祓川", w.shiojiri);
            user(
                &mut conn,
                "misogi@misogigawa.example",
                Role::Applicant,
                None,
                vec![org],
            );
            (w, org)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let shiojiri = submitted!(
                &app,
                "applicant@own.example",
                w.own_org,
                w.shiojiri,
                "塩尻 幹部人材インターンシップ"
            );
            let misogi = submitted!(
                &app,
                "misogi@misogigawa.example",
                misogi_org,
                w.shiojiri,
                MISOGI_TITLE
            );
            let manager_cookie = crate::login!(&app, "manager@meti.example");
            let (_, shown) = crate::call!(
                &app,
                "GET",
                format!("/api/v1/applications/{}", misogi.0),
                Some(&manager_cookie),
                None
            );
            // The amounts as the pipeline shows them, by kind.
            let amounts: Vec<(String, i64)> = shown["application"]["amounts"]
                .as_array()
                .expect("amounts")
                .iter()
                .map(|amount| {
                    (
                        amount["kind"].as_str().expect("kind").to_owned(),
                        amount["yen"].as_i64().expect("yen"),
                    )
                })
                .collect();
            assert!(!amounts.is_empty(), "{shown}");
            let kinds = [
                "estimate",
                "requested",
                "reviewed",
                "decided",
                "confirmed",
                "paid",
            ];
            let mut manager = Client::new();
            page_login!(&app, manager, "manager@meti.example");
            let query = format!("state=submitted&q={}", encoded("御祓川"));
            let page = send!(
                manager,
                &app,
                TestRequest::get().uri(&format!("/manager?{query}"))
            );
            for extension in ["csv", "xlsx"] {
                assert!(
                    page.body.contains(&format!(
                        "href=\"/manager/pipeline.{extension}?state&#x3D;submitted&amp;q&#x3D;{}\"",
                        encoded("御祓川")
                    )),
                    "the export link carries the filter: {}",
                    page.body
                );
            }
            let csv = send!(
                manager,
                &app,
                TestRequest::get().uri(&format!("/manager/pipeline.csv?{query}"))
            );
            assert_eq!(csv.status, 200);
            let rows = csv_rows(&csv.bytes);
            assert_eq!(rows[0], EXPORT_HEADER);
            assert_eq!(
                rows.len(),
                2,
                "the header and the one application found: {rows:?}"
            );
            let row = &rows[1];
            assert_eq!(
                row[..7],
                [
                    misogi.1.as_str(),
                    "株式会社御祓川",
                    // OWASP CSV injection: the title a spreadsheet would run, behind a '.
                    "'=能登の右腕人材育成",
                    "令和8年度",
                    "右腕人材枠",
                    "塩尻市",
                    "申請済",
                ]
            );
            for (column, kind) in (7..).zip(kinds) {
                let expected = amounts
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map(|(_, yen)| yen.to_string())
                    .unwrap_or_default();
                assert_eq!(row[column], expected, "{kind}");
            }
            assert!(row[13].starts_with("令和"), "申請日 in 和暦: {}", row[13]);
            // Without a filter: both.
            let everything = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/pipeline.csv")
            );
            let references: Vec<String> = csv_rows(&everything.bytes)[1..]
                .iter()
                .map(|row| row[0].clone())
                .collect();
            assert_eq!(references, [misogi.1.clone(), shiojiri.1.clone()]);

            let xlsx = send!(
                manager,
                &app,
                TestRequest::get().uri(&format!("/manager/pipeline.xlsx?{query}"))
            );
            assert_eq!(xlsx.status, 200);
            use calamine::{Data, Reader, Xlsx};
            let mut workbook: Xlsx<_> =
                calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes.clone()))
                    .expect("xlsx");
            let sheet = workbook.worksheet_range("申請").expect("the sheet");
            let cells: Vec<&[Data]> = sheet.rows().collect();
            assert_eq!(cells.len(), 2, "the header and one application");
            let header: Vec<String> = cells[0].iter().map(|cell| cell.to_string()).collect();
            assert_eq!(header, EXPORT_HEADER);
            assert_eq!(cells[1][1], Data::String("株式会社御祓川".to_owned()));
            assert_eq!(cells[1][2], Data::String(MISOGI_TITLE.to_owned()));
            for (column, kind) in (7..).zip(kinds) {
                let expected = amounts
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map_or(Data::Empty, |(_, yen)| Data::Float(*yen as f64));
                assert_eq!(cells[1][column], expected, "{kind} as a number");
            }
            let formulas = workbook.worksheet_formula("申請").expect("formulas");
            assert!(
                formulas
                    .used_cells()
                    .all(|(_, _, formula)| formula.is_empty()),
                "no formula in the workbook"
            );
            let sheet_xml = crate::pages::xlsx_part(&xlsx.bytes, "xl/worksheets/sheet1.xml");
            assert!(
                sheet_xml.contains("<autoFilter ref=\"A1:N2\""),
                "{sheet_xml}"
            );
            assert!(
                sheet_xml.contains("ySplit=\"1\"") && sheet_xml.contains("state=\"frozen\""),
                "{sheet_xml}"
            );
        });
    }
);
