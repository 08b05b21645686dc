//! The impact page (`/manager/programs/impact`), in process, on both backends: the rules in
//! force as form fields; a cap on awards lowered from 3 to 2 names the organisation it would
//! refuse, with both decisions and the totals; a typo and a value the loader refuses come back
//! at their fields, with what was typed; the draft downloads as a programme file; nothing is
//! written.

use actix_web::test::{TestRequest, call_service, read_body};
use serde_json::json;

use super::{Client, Page, csrf_of, form};
use crate::fixtures::{PASSWORD, organisation, past_awards, user, world};
use crate::helpers::{TestDb, block_on};
use hojokin::domain::access::Role;

/// The form's fields as the page shows them for the R8 rules in force, `changes` applied.
fn fields(csrf: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("csrf_token", csrf),
        ("fiscal_year", "2026"),
        ("award_cap", "3"),
        ("budget_yen", "290000000"),
        ("cap_yen.right_hand", "13000000"),
        ("rate.right_hand.1", "2/3"),
        ("rate.right_hand.2", "1/2"),
        ("rate.right_hand.3", "1/3"),
        ("cap_yen.legal_linkage", "10000000"),
        ("rate.legal_linkage.1", "1/2"),
        ("rate.legal_linkage.2", "1/2"),
        ("rate.legal_linkage.3", "1/3"),
        ("countable.2022", "1"),
        ("countable.2023", "1"),
        ("countable.2024", "1"),
        ("countable.2025", "1"),
        ("countable.2026", "1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (key, value) in changes {
        if let Some(field) = fields.iter_mut().find(|(k, _)| k == key) {
            field.1 = (*value).to_owned();
        }
    }
    fields
}

fn post(uri: &str, fields: &[(String, String)]) -> TestRequest {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form(uri, &pairs)
}

fn footprint(test_db: &TestDb) -> Vec<i64> {
    use diesel::prelude::*;
    use hojokin::db::schema::{applications, audit_events, awards};
    let mut conn = test_db.conn();
    let conn = &mut *conn;
    vec![
        applications::table.count().get_result(conn).expect("count"),
        audit_events::table.count().get_result(conn).expect("audit"),
        awards::table.count().get_result(conn).expect("awards"),
    ]
}

crate::on_both_backends!(
    the_impact_page_names_whom_a_lower_award_cap_refuses_and_keeps_a_bad_draft_at_its_fields,
    |test_db| {
        let (twice, shiojiri) = {
            let mut conn = test_db.conn();
            let w = world(&mut conn);
            let twice = organisation(&mut conn, "一般社団法人にどめ人材", w.shiojiri);
            user(
                &mut conn,
                "twice@example.jp",
                Role::Applicant,
                None,
                vec![twice],
            );
            past_awards(
                &mut conn,
                twice,
                &[
                    ("R6-一般枠-P1", 2024, "general"),
                    ("R7-右腕人材枠-P2", 2025, "right_hand"),
                ],
            );
            (twice, w.shiojiri)
        };
        block_on(async {
            let app = crate::test_app!(test_db);
            let cookie = crate::login!(&app, "twice@example.jp");
            let (status, created) = crate::call!(
                &app,
                "POST",
                "/api/v1/applications",
                Some(&cookie),
                Some(crate::fixtures::draft(twice, shiojiri))
            );
            assert_eq!(status, 201, "{created}");
            let id = created["application"]["id"].as_i64().expect("id");
            let (status, answer) = crate::call!(
                &app,
                "POST",
                format!("/api/v1/applications/{id}/actions/submit"),
                Some(&cookie),
                Some(json!({ "version": created["application"]["version"] }))
            );
            assert_eq!(status, 200, "{answer}");
            let reference = created["application"]["reference"]
                .as_str()
                .expect("reference")
                .to_owned();

            let mut manager = Client::new();
            page_login!(&app, manager, "manager@meti.example");
            let page = send!(
                manager,
                &app,
                TestRequest::get().uri("/manager/programs/impact")
            );
            assert_eq!(page.status, 200);
            for (name, value) in fields("", &[]).iter().skip(2) {
                if name.starts_with("countable") {
                    assert!(
                        page.body.contains(&format!(
                            "id=\"{name}\" name=\"{name}\" value=\"1\" checked"
                        )),
                        "{name} is checked"
                    );
                } else {
                    assert!(
                        page.body
                            .contains(&format!("name=\"{name}\" value=\"{value}\"")),
                        "{name} = {value} in the form"
                    );
                }
            }
            let csrf = csrf_of(&page.body);
            let before = footprint(test_db);

            // The cap on awards from 3 to 2: the organisation with two awards is refused.
            let lowered = send!(
                manager,
                &app,
                post(
                    "/manager/programs/impact",
                    &fields(&csrf, &[("award_cap", "２")])
                )
            );
            assert_eq!(lowered.status, 200, "{}", lowered.body);
            let changed = &lowered.body[lowered
                .body
                .find("<table id=\"impact-changed\"")
                .expect("the changed applications")..];
            let changed = &changed[..changed.find("</table>").expect("end")];
            assert!(
                changed.contains(&format!("<a href=\"/applications/{id}\">{reference}</a>"))
                    && changed.contains("一般社団法人にどめ人材")
                    && changed.contains("<strong>申請不可</strong>"),
                "{changed}"
            );
            assert!(
                changed.contains("採択回数の上限は2回です"),
                "the draft's finding, side by side: {changed}"
            );
            assert!(
                lowered
                    .body
                    .contains("うち案では申請できなくなるものが <strong>1</strong> 件"),
                "{}",
                lowered.body
            );
            assert!(
                lowered
                    .body
                    .contains("<svg id=\"chart-frame\" role=\"img\"")
            );
            assert!(
                lowered
                    .body
                    .contains("<svg id=\"chart-ordinal\" role=\"img\"")
            );
            assert!(
                lowered
                    .body
                    .contains("<td class=\"num\" id=\"impact-draft-total\">0円</td>"),
                "the only application is refused: {}",
                lowered.body
            );
            assert!(
                lowered.body.contains("value=\"２\""),
                "what was typed is kept"
            );

            assert!(
                !lowered.body.contains("id=\"impact-shortened\""),
                "one changed application: the list is whole"
            );
            // The whole report as a workbook, from the same form.
            let workbook = send!(
                manager,
                &app,
                post(
                    "/manager/programs/impact/report.xlsx",
                    &fields(&csrf, &[("award_cap", "２")])
                )
            );
            assert_eq!(workbook.status, 200, "{}", workbook.body);
            {
                use calamine::{Data, Reader, Xlsx};
                let mut book =
                    Xlsx::new(std::io::Cursor::new(workbook.bytes.clone())).expect("a workbook");
                let changed = book.worksheet_range("変わる申請").expect("sheet");
                assert_eq!(changed.height(), 2, "a header and the refused application");
                assert_eq!(changed.get((1, 0)), Some(&Data::String(reference.clone())));
            }
            let refused = send!(
                manager,
                &app,
                post(
                    "/manager/programs/impact/report.xlsx",
                    &fields(&csrf, &[("award_cap", "三")])
                )
            );
            assert_eq!(refused.status, 400, "an unreadable draft gives no workbook");

            // The same rules: nothing changes.
            let same = send!(
                manager,
                &app,
                post("/manager/programs/impact", &fields(&csrf, &[]))
            );
            assert_eq!(same.status, 200);
            assert!(
                same.body.contains("id=\"impact-no-change\""),
                "{}",
                same.body
            );

            // A typo stays at its field, with what was typed and a link from the summary.
            let typo = send!(
                manager,
                &app,
                post(
                    "/manager/programs/impact",
                    &fields(&csrf, &[("rate.right_hand.2", "半分")])
                )
            );
            assert_eq!(typo.status, 422);
            assert!(
                typo.body.contains("<a href=\"#rate.right_hand.2\">右腕人材枠の2回目の補助率は「1/2」のように分数で入力してください</a>"),
                "{}",
                typo.body
            );
            assert!(typo.body.contains(
                "name=\"rate.right_hand.2\" value=\"半分\" size=\"6\" aria-invalid=\"true\""
            ));
            assert!(!typo.body.contains("id=\"impact-result\""));

            // A value the loader refuses: its message in Japanese at the frame's rates.
            let above_one = send!(
                manager,
                &app,
                post(
                    "/manager/programs/impact",
                    &fields(&csrf, &[("rate.right_hand.1", "4/3")])
                )
            );
            assert_eq!(above_one.status, 422);
            assert!(
                above_one
                    .body
                    .contains("補助率 4/3 は 0 より大きく 1 以下にしてください"),
                "{}",
                above_one.body
            );
            assert!(above_one.body.contains("<a href=\"#rate.right_hand.1\">"));

            // The draft as a programme file: the loader reads it back with the new cap.
            let file = send!(
                manager,
                &app,
                post(
                    "/manager/programs/impact/download",
                    &fields(&csrf, &[("award_cap", "2")])
                )
            );
            assert_eq!(file.status, 200);
            let programs = hojokin::program::embedded().expect("programmes");
            let draft =
                hojokin::program::parse_draft(&programs, "2026.toml", &file.body, Some(2026))
                    .expect("the download is a valid programme file");
            assert_eq!(draft.award_cap.map(|cap| cap.value), Some(2));

            // Others may not see it; and nothing was written.
            let mut applicant = Client::new();
            page_login!(&app, applicant, "twice@example.jp");
            let refused = send!(
                applicant,
                &app,
                TestRequest::get().uri("/manager/programs/impact")
            );
            assert_eq!(refused.status, 403);
            assert_eq!(footprint(test_db), before, "the impact page writes nothing");
        });
    }
);
