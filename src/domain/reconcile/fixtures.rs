//! Rows and an alias table for the tests of the matcher, the rows and the ledger, built as
//! values: reading them from text is `program`'s (and tested there).

use super::{
    AliasListing, AliasListings, AliasTable, AwardRow, DistinctListing, KnownOrganisation,
    MemberRole, ReconcilePlan, ReviewItem, UncertainListing, VariantListing,
};
use crate::domain::ledger::OrganisationId;

/// The entries of `forms/aliases.toml` these tests lean on (the reader and the whole
/// shipped table are tested in `program::aliases` and `program::award_list`).
pub(super) fn table() -> AliasTable {
    let listings = AliasListings {
        alias: vec![AliasListing {
            canonical: "株式会社御祓川".to_owned(),
            source: "004_4db6bae2530d025b.txt:483".to_owned(),
            variants: vec![VariantListing {
                name: "株式会社御祇川".to_owned(),
                source: "003_753de9763f809fd9.txt:148".to_owned(),
                note: Some("OCR error (祇 for 祓)".to_owned()),
            }],
            ..AliasListing::default()
        }],
        uncertain: vec![UncertainListing {
            name: "株式会社えぼく".to_owned(),
            source: "004_4db6bae2530d025b.txt:547".to_owned(),
            possibly: "株式会社えぽっく".to_owned(),
            possibly_source: "DOMAIN.md §7.3 (ibashigoto.net)".to_owned(),
            note: "probably 株式会社えぽっく (茨城), unverified".to_owned(),
        }],
        distinct: vec![DistinctListing {
            names: vec![
                "株式会社つばめいと".to_owned(),
                "公益社団法人つばめいと".to_owned(),
            ],
            sources: vec!["004_4db6bae2530d025b.txt:479".to_owned()],
            note: "two bodies in 燕市".to_owned(),
        }],
    };
    match AliasTable::from_listings(&listings) {
        Ok(table) => table,
        Err(error) => panic!("{error}"),
    }
}

/// The only member of an R6 一般枠 award, as a list prints one.
pub(super) fn sole(award_id: &str, name: &str) -> AwardRow {
    AwardRow {
        line: 2,
        award_id: award_id.to_owned(),
        fiscal_year: 2024,
        printed_frame: "一般枠".to_owned(),
        frame: "general".to_owned(),
        law_path: None,
        listed_as: name.to_owned(),
        role: MemberRole::Sole,
        seed_ref: "test:1".to_owned(),
        corporate_number: None,
    }
}

/// The row with a 法人番号.
pub(super) fn numbered(row: AwardRow, corporate_number: &str) -> AwardRow {
    AwardRow {
        corporate_number: Some(corporate_number.to_owned()),
        ..row
    }
}

/// Rows on the lines a list of them would have (the header is line 1).
pub(super) fn rows_of(rows: impl IntoIterator<Item = AwardRow>) -> Vec<AwardRow> {
    rows.into_iter()
        .enumerate()
        .map(|(index, row)| AwardRow {
            line: index + 2,
            ..row
        })
        .collect()
}

pub(super) fn known(id: i64, name: &str) -> KnownOrganisation {
    KnownOrganisation {
        id: OrganisationId(id),
        corporate_number: None,
        canonical_name: name.to_owned(),
        aliases: Vec::new(),
        award_ids: Vec::new(),
    }
}

/// The review item a plan queued for a printed name; fails the test when there is none.
pub(crate) fn review_of(plan: &ReconcilePlan, listed_as: &str) -> ReviewItem {
    match plan
        .review_items()
        .find(|(decision, _)| decision.listed_as == listed_as)
    {
        Some((_, item)) => item.clone(),
        None => panic!("{listed_as} was not queued: {:?}", plan.decisions),
    }
}
