//! `hojokin impact` on both backends: a draft that lowers the 右腕人材枠 2回目 rate reports
//! exactly the applications whose award would be their 2nd, with the subsidy difference of
//! each and the totals; a draft identical to the rules in force reports no change; a draft the
//! loader refuses is named with its key in Japanese, and nothing is written.

use std::process::Command;

use serde_json::{Value, json};

use crate::fixtures::{organisation, past_awards, user, world};
use crate::helpers::{TestDb, block_on};
use hojokin::domain::access::Role;
use hojokin::domain::impact::RuleSets;

fn r8_text() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/forms/programs/2026.toml"
    ))
    .expect("R8 rules")
}

/// The R8 rules with the 右腕人材枠 2回目 rate at 1/3 instead of 1/2.
fn lower_second_right_hand_rate() -> String {
    let second = "{ ordinal = 2, numerator = 1, denominator = 2, certainty = \"certain\", source = \"004_4db6bae2530d025b.txt:126\" }";
    let text = r8_text();
    assert_eq!(text.matches(second).count(), 1, "the 右腕人材枠 2回目 row");
    text.replacen(
        second,
        "{ ordinal = 2, numerator = 1, denominator = 3, certainty = \"certain\", source = \"004_4db6bae2530d025b.txt:126\" }",
        1,
    )
}

fn hojokin(test_db: &TestDb, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hojokin"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOJOKIN_DATABASE_URL", test_db.url_string())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run hojokin")
}

/// Rows of the tables a run could touch, to show that it wrote nothing.
fn footprint(test_db: &TestDb) -> Vec<i64> {
    use diesel::prelude::*;
    use hojokin::db::schema::{applications, audit_events, awards, jobs};
    let mut conn = test_db.conn();
    let conn = &mut *conn;
    vec![
        applications::table
            .count()
            .get_result(conn)
            .expect("applications"),
        applications::table
            .select(diesel::dsl::max(applications::version))
            .first::<Option<i32>>(conn)
            .expect("versions")
            .map_or(0, i64::from),
        audit_events::table.count().get_result(conn).expect("audit"),
        awards::table.count().get_result(conn).expect("awards"),
        jobs::table.count().get_result(conn).expect("jobs"),
    ]
}

crate::on_both_backends!(
    a_lower_second_rate_reports_exactly_the_second_awards_with_their_difference,
    |test_db| {
        // Four organisations in 塩尻市: none, one, two past awards, and one whose application is
        // still a draft (not counted: drafts are their applicants' alone).
        let (first, second, third, drafting) = {
            let mut conn = test_db.conn();
            let w = world(&mut conn);
            let mut member = |name: &str, email: &str| {
                let id = organisation(&mut conn, name, w.shiojiri);
                user(&mut conn, email, Role::Applicant, None, vec![id]);
                id
            };
            let first = w.own_org;
            let second = member("一般社団法人にかいめ人材", "second@example.jp");
            let third = member("一般社団法人さんかいめ人材", "third@example.jp");
            let drafting = member("一般社団法人したがき人材", "drafting@example.jp");
            past_awards(&mut conn, second, &[("R6-一般枠-T1", 2024, "general")]);
            past_awards(
                &mut conn,
                third,
                &[
                    ("R6-一般枠-T2", 2024, "general"),
                    ("R7-右腕人材枠-T3", 2025, "right_hand"),
                ],
            );
            past_awards(&mut conn, drafting, &[("R6-一般枠-T4", 2024, "general")]);
            (
                (first, "applicant@own.example"),
                (second, "second@example.jp"),
                (third, "third@example.jp"),
                (drafting, "drafting@example.jp"),
            )
        };
        let municipality = {
            use diesel::prelude::*;
            use hojokin::db::schema::municipalities;
            municipalities::table
                .filter(municipalities::name.eq("塩尻市"))
                .select(municipalities::id)
                .first::<i64>(&mut *test_db.conn())
                .expect("塩尻市")
        };
        let references = block_on(async {
            let app = crate::test_app!(test_db);
            let mut references = Vec::new();
            for ((organisation, email), submit) in [
                (first, true),
                (second, true),
                (third, true),
                (drafting, false),
            ] {
                let cookie = crate::login!(&app, email);
                let (status, created) = crate::call!(
                    &app,
                    "POST",
                    "/api/v1/applications",
                    Some(&cookie),
                    Some(crate::fixtures::draft(organisation, municipality))
                );
                assert_eq!(status, 201, "{created}");
                let id = created["application"]["id"].as_i64().expect("id");
                if submit {
                    let (status, answer) = crate::call!(
                        &app,
                        "POST",
                        format!("/api/v1/applications/{id}/actions/submit"),
                        Some(&cookie),
                        Some(json!({ "version": created["application"]["version"] }))
                    );
                    assert_eq!(status, 200, "{answer}");
                }
                references.push(
                    created["application"]["reference"]
                        .as_str()
                        .expect("reference")
                        .to_owned(),
                );
            }
            references
        });

        // The library: the same engine as the workflow, over the stored applications.
        let programs = hojokin::program::embedded().expect("programmes");
        let draft = hojokin::program::parse_draft(
            &programs,
            "draft.toml",
            &lower_second_right_hand_rate(),
            Some(2026),
        )
        .expect("a valid draft");
        let base = programs.get(draft.fiscal_year).expect("R8");
        let rules = RuleSets::new(base, &draft).expect("same year");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 3).expect("date");
        let impact = hojokin::actions::impact::impact_of_stored(&mut test_db.conn(), rules, today)
            .expect("impact");
        let report = &impact.report;
        assert!(impact.unreadable.is_empty(), "{:?}", impact.unreadable);
        assert_eq!(report.evaluated, 3, "the draft is left out");
        assert_eq!(report.changed.len(), 1, "{:#?}", report.changed);
        let changed = &report.changed[0];
        assert_eq!(changed.label, references[1]);
        assert_eq!(changed.organisation, "一般社団法人にかいめ人材");
        assert_eq!(
            (changed.base.award_ordinal, changed.draft.award_ordinal),
            (2, 2)
        );
        assert_eq!(
            (
                changed.base.rate.map(|r| r.to_string()),
                changed.draft.rate.map(|r| r.to_string())
            ),
            (Some("1/2".into()), Some("1/3".into()))
        );
        // 7,600,000円 claimed: 1/2 → 3,800,000円, 1/3 → 2,533,000円 (千円未満切捨て).
        assert_eq!(
            (
                changed.base.subsidy_yen.value(),
                changed.draft.subsidy_yen.value(),
                changed.subsidy_difference.value()
            ),
            (3_800_000, 2_533_000, -1_267_000)
        );
        assert_eq!(changed.changes.labels_ja(), ["補助率", "補助金額"]);
        // The current side is the decision the workflow recorded for it.
        let recorded: i64 = {
            use diesel::prelude::*;
            use hojokin::db::schema::applications;
            applications::table
                .filter(applications::reference.eq(&references[1]))
                .select(applications::subsidy_yen)
                .first(&mut *test_db.conn())
                .expect("recorded")
        };
        assert_eq!(changed.base.subsidy_yen.value(), recorded);
        let by_ordinal = |ordinal: u32| report.by_award_ordinal[&ordinal];
        assert_eq!(by_ordinal(2).base.subsidy_yen.value(), 3_800_000);
        assert_eq!(by_ordinal(2).draft.subsidy_yen.value(), 2_533_000);
        assert_eq!(
            by_ordinal(1).base,
            by_ordinal(1).draft,
            "1st awards unchanged"
        );
        assert_eq!(
            by_ordinal(3).base,
            by_ordinal(3).draft,
            "3rd awards unchanged"
        );
        let right_hand = report.by_frame[&hojokin::domain::codes::Frame::RightHand];
        assert_eq!(
            right_hand.base.subsidy_yen.value() - right_hand.draft.subsidy_yen.value(),
            1_267_000
        );
        assert_eq!(
            report.total.base.subsidy_yen.value() - report.total.draft.subsidy_yen.value(),
            1_267_000
        );
        assert_eq!(
            report.award_cap.base.one_short, 1,
            "the third is the last award"
        );

        // The command: the same report as JSON, and a row opened gives what `evaluate` gives.
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("draft.toml"),
            lower_second_right_hand_rate(),
        )
        .expect("draft");
        std::fs::write(dir.path().join("same.toml"), r8_text()).expect("same");
        let before = footprint(test_db);
        let output = hojokin(
            test_db,
            dir.path(),
            &["impact", "--rules", "draft.toml", "--json"],
        );
        assert!(output.status.success(), "{output:?}");
        let answer: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(answer["report"]["evaluated"], 3);
        assert_eq!(
            answer["report"]["changed"][0]["label"],
            references[1].as_str()
        );
        assert_eq!(
            answer["report"]["changed"][0]["subsidy_difference"],
            -1_267_000
        );
        assert_eq!(answer["budget_yen"], 290_000_000);
        let text = hojokin(test_db, dir.path(), &["impact", "--rules", "draft.toml"]);
        let text = String::from_utf8_lossy(&text.stdout).into_owned();
        assert!(
            text.contains(&format!(
                "{} 一般社団法人にかいめ人材: 補助率 1/2 → 1/3、補助金額 3,800,000円 → 2,533,000円（-1,267,000円）",
                references[1]
            )),
            "{text}"
        );

        // The same report as a workbook: amounts as numbers, the findings beside them.
        let workbook = hojokin(
            test_db,
            dir.path(),
            &["impact", "--rules", "draft.toml", "--xlsx", "impact.xlsx"],
        );
        assert!(workbook.status.success(), "{workbook:?}");
        {
            use calamine::{Data, Reader, Xlsx, open_workbook};
            let mut book: Xlsx<_> =
                open_workbook(dir.path().join("impact.xlsx")).expect("a workbook");
            assert_eq!(book.sheet_names(), ["概要", "変わる申請", "採択台帳の団体"]);
            let changed = book.worksheet_range("変わる申請").expect("sheet");
            assert_eq!(
                changed.height(),
                2,
                "a header and the one changed application"
            );
            assert_eq!(
                changed.get((1, 0)),
                Some(&Data::String(references[1].clone()))
            );
            assert_eq!(changed.get((1, 8)), Some(&Data::String("1/3".into())));
            assert_eq!(changed.get((1, 11)), Some(&Data::Float(-1_267_000.0)));
            let summary = book.worksheet_range("概要").expect("sheet");
            let total = summary
                .rows()
                .find(|row| row.first() == Some(&Data::String("合計".into())))
                .expect("a total row");
            assert_eq!(total[5], Data::Float(-1_267_000.0));
        }

        // Identical rules: nothing changes.
        let same = hojokin(
            test_db,
            dir.path(),
            &["impact", "--rules", "same.toml", "--json"],
        );
        assert!(same.status.success(), "{same:?}");
        let same: Value = serde_json::from_slice(&same.stdout).expect("JSON");
        assert_eq!(same["report"]["evaluated"], 3);
        assert_eq!(same["report"]["changed"], json!([]));
        assert_eq!(
            same["report"]["total"]["base"],
            same["report"]["total"]["draft"]
        );

        // A draft the loader refuses: its key and a Japanese message, exit 2, nothing written.
        std::fs::write(
            dir.path().join("bad.toml"),
            r8_text().replacen("award_cap = { value = 3", "award_cap = { value = 0", 1),
        )
        .expect("bad");
        let refused = hojokin(test_db, dir.path(), &["impact", "--rules", "bad.toml"]);
        assert_eq!(refused.status.code(), Some(2), "{refused:?}");
        let message = String::from_utf8_lossy(&refused.stderr);
        assert!(
            message.contains("bad.toml: award_cap: 採択回数の上限は 1 回以上にしてください"),
            "{message}"
        );
        std::fs::write(
            dir.path().join("r7.toml"),
            r8_text().replacen("fiscal_year = 2026", "fiscal_year = 2025", 1),
        )
        .expect("r7");
        let other_year = hojokin(
            test_db,
            dir.path(),
            &["impact", "--rules", "r7.toml", "--base", "2026"],
        );
        assert_eq!(other_year.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&other_year.stderr)
                .contains("比較する年度 令和8年度 と一致しません"),
            "{other_year:?}"
        );
        assert_eq!(footprint(test_db), before, "impact writes nothing");
    }
);
