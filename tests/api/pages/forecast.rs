//! The budget forecast on `/manager`, in process, on both backends: the year's budget from its
//! file, what is decided, selected and under review at the amounts the workflow recorded, the
//! remainder, the awards against the year's target, and the warnings when selections (or the
//! whole review) would exceed the budget.

use actix_web::test::{TestRequest, call_service, read_body};
use serde_json::{Value, json};

use super::{Client, Page, csrf_of, form};
use crate::fixtures::{PASSWORD, world};
use crate::helpers::{TestDb, block_on};

/// The shipped programmes with the 令和8年度 budget replaced by `budget` yen.
fn state_with_r8_budget(test_db: &TestDb, budget: i64) -> hojokin::web::AppState {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/forms/programs");
    let files: Vec<(String, String)> = (2022..=2026)
        .map(|year| {
            let name = format!("{year}.toml");
            let text = std::fs::read_to_string(format!("{dir}/{name}")).expect("programme");
            (name, text)
        })
        .collect();
    let files: Vec<(String, String)> = files
        .into_iter()
        .map(|(name, text)| {
            let text = if name == "2026.toml" {
                assert!(text.contains("value = 290000000"), "the R8 budget");
                text.replacen("value = 290000000", &format!("value = {budget}"), 1)
            } else {
                text
            };
            (name, text)
        })
        .collect();
    let mut state = crate::helpers::state_for(test_db.pool.clone(), &test_db.url);
    state.programs = std::sync::Arc::new(
        hojokin::program::from_sources(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .expect("programmes"),
    );
    state
}

/// The cells of the forecast row headed `label`, tags removed.
fn forecast_row(body: &str, label: &str) -> Vec<String> {
    let table = &body[body.find("<table id=\"forecast\"").expect("forecast table")..];
    let table = &table[..table.find("</table>").expect("table end")];
    let start = table
        .find(&format!("<th scope=\"row\">{label}</th>"))
        .unwrap_or_else(|| panic!("row {label}: {table}"));
    let row = &table[start..];
    let row = &row[..row.find("</tr>").expect("row end")];
    row.split("<td")
        .skip(1)
        .map(|cell| {
            let text = &cell[cell.find('>').expect("cell") + 1..];
            text[..text.find("</td>").expect("cell end")].to_owned()
        })
        .collect()
}

fn yen(amount: i64) -> String {
    hojokin::domain::money::Yen::new(amount).to_string()
}

crate::on_both_backends!(
    the_pipeline_forecasts_the_years_budget_from_the_recorded_amounts,
    |test_db| {
        let w = world(&mut test_db.conn());
        block_on(async {
            let app = crate::test_app!(test_db);
            let owner = crate::login!(&app, "applicant@own.example");
            let manager_api = crate::login!(&app, "manager@meti.example");
            let mut ids = Vec::new();
            for _ in 0..3 {
                let (id, _) = create_draft!(&app, w);
                let (status, answer) = crate::act!(&app, owner, id, "submit", json!({}));
                assert_eq!(status, 200, "{answer}");
                ids.push(id);
            }
            let (review, selected, decided) = (ids[0], ids[1], ids[2]);
            for (id, steps) in [
                (selected, &["start_review", "select"][..]),
                (
                    decided,
                    &["start_review", "select", "request_grant", "decide_grant"][..],
                ),
            ] {
                for action in steps {
                    let who = if *action == "request_grant" {
                        &owner
                    } else {
                        &manager_api
                    };
                    let extra = if *action == "decide_grant" {
                        json!({ "payload": { "amount_yen": 3_000_000, "decided_on": "2026-11-30" } })
                    } else {
                        json!({})
                    };
                    let (status, answer) = crate::act!(&app, *who, id, *action, extra);
                    assert_eq!(status, 200, "{action}: {answer}");
                }
            }
            // The amount each stands at, as the API reports it.
            let mut subsidies = Vec::new();
            for id in [review, selected] {
                let (_, view) = crate::call!(
                    &app,
                    "GET",
                    format!("/api/v1/applications/{id}"),
                    Some(&manager_api),
                    None
                );
                subsidies.push(
                    view["application"]["subsidy_yen"]
                        .as_i64()
                        .expect("subsidy"),
                );
            }
            // The first is judged as a 1st award; the selection raises the others' ordinal.
            let (computed, chosen) = (subsidies[0], subsidies[1]);
            assert_eq!(chosen, 5_066_000, "the fixture's computed subsidy");
            assert!(computed > 0);

            let mut manager = Client::new();
            page_login!(&app, manager, "manager@meti.example");
            let page = send!(manager, &app, TestRequest::get().uri("/manager"));
            assert_eq!(page.status, 200);
            assert!(
                page.body.contains("令和8年度の予算の見通し"),
                "{}",
                page.body
            );
            assert_eq!(forecast_row(&page.body, "予算額")[1], yen(290_000_000));
            assert_eq!(
                forecast_row(&page.body, "交付決定済み（確定・支払後はその額）"),
                ["1".to_owned(), yen(3_000_000)]
            );
            assert_eq!(
                forecast_row(&page.body, "採択済み・交付決定前"),
                ["1".to_owned(), yen(chosen)]
            );
            assert_eq!(
                forecast_row(&page.body, "審査中（現在の算定額）"),
                ["1".to_owned(), yen(computed)]
            );
            let remainder = 290_000_000 - 3_000_000 - chosen;
            assert_eq!(
                forecast_row(&page.body, "残額（予算額 − 交付決定 − 採択）")[1],
                yen(remainder)
            );
            assert_eq!(
                forecast_row(&page.body, "審査中をすべて採択した場合の残額")[1],
                yen(remainder - computed)
            );
            assert!(
                page.body
                    .contains("採択件数: <strong>2</strong> 件（目標 30 件、あと 28 件）"),
                "{}",
                page.body
            );
            assert!(
                page.body.contains("予算案（2.9億円）"),
                "the budget's provisional note"
            );
            assert!(!page.body.contains("id=\"forecast-warning\""), "no warning");
            let (_, draft_only) = create_draft!(&app, w);
            let unchanged = send!(manager, &app, TestRequest::get().uri("/manager"));
            assert_eq!(
                forecast_row(&unchanged.body, "審査中（現在の算定額）")[0],
                "1",
                "a draft holds no claim on the budget (draft {})",
                draft_only["application"]["id"]
            );

            // A smaller budget: the review alone would exceed it, then the selections do.
            let tight = crate::test_app!(
                test_db,
                state_with_r8_budget(test_db, 3_000_000 + chosen + 1_000)
            );
            let mut manager = Client::new();
            page_login!(&tight, manager, "manager@meti.example");
            let page = send!(manager, &tight, TestRequest::get().uri("/manager"));
            assert!(
                page.body.contains(&format!(
                    "審査中の申請をすべて採択すると予算額を {} 超えます。",
                    yen(computed - 1_000)
                )),
                "{}",
                page.body
            );
            let over = crate::test_app!(
                test_db,
                state_with_r8_budget(test_db, 3_000_000 + chosen - 1_000)
            );
            let mut manager = Client::new();
            page_login!(&over, manager, "manager@meti.example");
            let page = send!(manager, &over, TestRequest::get().uri("/manager"));
            let warning = &page.body[page.body.find("id=\"forecast-warning\"").expect("warning")..];
            assert!(
                warning.starts_with("id=\"forecast-warning\"><strong>予算超過</strong>")
                    && warning.contains(&format!("予算額を {} 超えています。", yen(1_000))),
                "{warning}"
            );
            assert_eq!(
                forecast_row(&page.body, "残額（予算額 − 交付決定 − 採択）")[1],
                yen(-1_000)
            );
        });
    }
);
