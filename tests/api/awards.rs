//! Importing the shipped award lists: one ledger, every printed variant on its organisation,
//! uncertain names queued and never merged, and a second import changes nothing.

use hojokin::db::{self, DbConnection};
use hojokin::domain::ledger::Ledger;
use hojokin::domain::names::org_key;
use hojokin::forms;
use hojokin::program::aliases::parse_alias_table;
use hojokin::program::award_list::parse_award_list;

pub fn import_shipped(conn: &mut DbConnection) -> db::awards::ImportSummary {
    let programs = hojokin::program::embedded().expect("programs");
    let aliases = parse_alias_table(forms::ALIASES).expect("aliases");
    let (source, text) = forms::AWARD_LISTS[0];
    let rows =
        parse_award_list(text, &|year, label| programs.frame_code(year, label)).expect("rows");
    let (plan, _) = db::awards::plan_import(conn, &rows, &aliases).expect("plan");
    db::awards::apply_plan(conn, &plan, source, &|_| {}).expect("apply")
}

fn awards_of(ledger: &Ledger, name: &str) -> Vec<(i32, String)> {
    let ids = ledger.find(None, &org_key(name));
    assert_eq!(ids.len(), 1, "{name} is one organisation: {ids:?}");
    let mut awards: Vec<(i32, String)> = ledger
        .awards_of(ids[0])
        .iter()
        .map(|recorded| (recorded.award.fiscal_year, recorded.award.frame.clone()))
        .collect();
    awards.sort();
    awards
}

crate::on_both_backends!(
    importing_the_award_lists_twice_leaves_one_ledger,
    |test_db| {
        let mut conn = test_db.conn();
        let first = import_shipped(&mut conn);
        assert_eq!(first.awards_created, 115);
        assert_eq!(first.members_created, 135);
        assert_eq!(first.organisations_created, 89);
        assert_eq!(first.reviews_queued, 1, "えぼく waits for a person");
        let organisations = db::organisations::count_organisations(&mut conn).expect("count");

        let second = import_shipped(&mut conn);
        assert_eq!(
            (
                second.organisations_created,
                second.awards_created,
                second.members_created,
                second.reviews_queued
            ),
            (0, 0, 0, 0),
            "a second import changes nothing: {second:?}"
        );
        assert_eq!(
            db::organisations::count_organisations(&mut conn).expect("count"),
            organisations
        );
        assert_eq!(
            db::awards::count_awards(&mut conn).expect("count"),
            (115, 135)
        );
        assert_eq!(db::awards::count_open_reviews(&mut conn).expect("count"), 1);

        let ledger = db::awards::load_ledger(&mut conn).expect("ledger");
        assert_eq!(
            awards_of(&ledger, "一般社団法人ドット道東"),
            vec![
                (2022, "single".into()),
                (2023, "standard".into()),
                (2024, "general".into()),
                (2025, "right_hand".into())
            ]
        );
        assert_eq!(awards_of(&ledger, "株式会社御祓川").len(), 2);
        // Every printed variant of DOMAIN.md §7.3 finds its canonical organisation.
        for (variant, canonical) in [
            ("株式会社御祇川", "株式会社御祓川"),
            ("株式会社link and Visible", "株式会社Link and Visible"),
            (
                "株式会社セキシウキャリアプラス",
                "株式会社セキショウキャリアプラス",
            ),
            ("株式会社クラブズ", "株式会社クラビズ"),
            ("株式会社クォンタム", "株式会社クオントム"),
            ("株式会社地方創生推進機構", "株式会社地方創生推進協同機構"),
            (
                "箱根DMO（一般社団法人箱根町観光協会）",
                "一般財団法人箱根町観光協会",
            ),
            ("一般財団法人まちと人と", "一般社団法人まちと人と"),
            (
                "株式会社バルテックスセイグン",
                "株式会社ボルテックスセイグン",
            ),
            (
                "協同組合マルチワーカージョブステーション鰯ヶ沢",
                "協同組合マルチワーカージョブステーション鰺ヶ沢",
            ),
            ("合同会社K A Z A M I", "合同会社KAZAMI"),
            ("NPO法人 MEGURU", "特定非営利活動法人MEGURU"),
        ] {
            let variant_ids = ledger.find(None, &org_key(variant)).to_vec();
            let canonical_ids = ledger.find(None, &org_key(canonical)).to_vec();
            assert_eq!(
                variant_ids.len(),
                1,
                "{variant} resolves to one organisation"
            );
            assert_eq!(variant_ids, canonical_ids, "{variant} is {canonical}");
        }
        assert_eq!(awards_of(&ledger, "箱根DMO").len(), 3);
        // Organisations the data says are different stay apart.
        assert_ne!(
            ledger.find(None, &org_key("株式会社つばめいと")),
            ledger.find(None, &org_key("公益社団法人つばめいと"))
        );
    }
);
