//! The award ledger in memory: which organisation received which award, and how an
//! applicant named in a request is found in it.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use serde::{Deserialize, Serialize};

use super::codes::Frame;
use super::names::{NormalisedName, normalise, org_key};

/// Identity of an organisation in the ledger: the database id, or any stable number in tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrganisationId(pub i64);

crate::domain::codes::code_enum! {
    /// Where an award came from (`awards.origin`): an imported award list, or a 採択 decided
    /// in hojokin for one of its applications.
    AwardOrigin, "award origin" {
        Imported => "imported", "採択一覧から取込";
        Decided => "decided", "hojokin で採択";
    }
}

/// One award received by one organisation (each member of a 連名 award has its own row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastAward {
    /// Stable id of the award, e.g. `R6-一般枠-A7`; members of a joint award share it.
    pub award_id: String,
    /// Fiscal year as the western year of its April (令和8年度 = 2026).
    pub fiscal_year: i32,
    /// Frame code of that year's programme, e.g. `general`, `right_hand`.
    pub frame: String,
    /// The name exactly as the award list printed it.
    pub listed_as: String,
    /// Decided in hojokin for one of its applications (not imported from an award list). Such
    /// an award is another application's, so it counts even in the year and frame of the one
    /// evaluated (the application's own award is left out of the ledger by its id).
    #[serde(default)]
    pub from_application: bool,
}

/// An award as the ledger keeps it, with its frame code read once, not at every count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedAward {
    pub award: PastAward,
    /// `None` for a frame no programme of hojokin knows.
    frame: Option<Frame>,
}

impl RecordedAward {
    fn new(award: PastAward) -> Self {
        Self {
            frame: award.frame.parse().ok(),
            award,
        }
    }

    pub fn frame(&self) -> Option<Frame> {
        self.frame
    }
}

// Looked up once per applicant of every application evaluated, so the maps use a fast hash
// instead of SipHash: their keys come from the award lists, not from requests, so a request
// cannot fill them with colliding keys.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    by_corporate_number: HashMap<String, OrganisationId, FxBuildHasher>,
    // A key may name several organisations (the data keeps them apart); all are returned so
    // that the engine can take the most conservative count and say so.
    by_name_key: HashMap<String, Vec<OrganisationId>, FxBuildHasher>,
    awards: HashMap<OrganisationId, Vec<RecordedAward>, FxBuildHasher>,
    /// Every name registered, normalised once, for the search of similar names
    /// ([`Ledger::names`]) when an applicant matches no organisation.
    names: Vec<(OrganisationId, NormalisedName)>,
    /// Names an organisation was possibly printed for (`[[uncertain]]` in the alias table:
    /// 「株式会社えぼく」 possibly 「株式会社えぽっく」), by name key. Never used to count.
    possible_names: HashMap<String, Vec<OrganisationId>, FxBuildHasher>,
}

impl Ledger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an organisation under its 法人番号 (when known) and every name it is known by.
    pub fn add_organisation<I, S>(
        &mut self,
        id: OrganisationId,
        corporate_number: Option<&str>,
        names: I,
    ) where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        if let Some(number) = corporate_number {
            self.by_corporate_number.insert(number.to_owned(), id);
        }
        for name in names {
            let ids = self.by_name_key.entry(org_key(name.as_ref())).or_default();
            if !ids.contains(&id) {
                ids.push(id);
                self.names.push((id, normalise(name.as_ref())));
            }
        }
        self.awards.entry(id).or_default();
    }

    pub fn add_award(&mut self, id: OrganisationId, award: PastAward) {
        let awards = self.awards.entry(id).or_default();
        if !awards
            .iter()
            .any(|recorded| recorded.award.award_id == award.award_id)
        {
            awards.push(RecordedAward::new(award));
        }
    }

    /// The organisations an applicant may be. A known 法人番号 is the identity; otherwise the
    /// name key (already computed with [`org_key`]) decides.
    pub fn find(&self, corporate_number: Option<&str>, name_key: &str) -> &[OrganisationId] {
        if let Some(id) = corporate_number.and_then(|n| self.by_corporate_number.get(n)) {
            return std::slice::from_ref(id);
        }
        self.by_name_key
            .get(name_key)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Records that `id`'s printed name may be a misprint of `name` (a review item, not an alias).
    pub fn add_possible_name(&mut self, id: OrganisationId, name: &str) {
        let ids = self.possible_names.entry(org_key(name)).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    /// The organisations whose printed name may be a misprint of the name with this key.
    pub fn possibly_named(&self, name_key: &str) -> &[OrganisationId] {
        self.possible_names
            .get(name_key)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every registered name, normalised, with its organisation.
    pub fn names(&self) -> impl Iterator<Item = (OrganisationId, &NormalisedName)> {
        self.names.iter().map(|(id, name)| (*id, name))
    }

    pub fn awards_of(&self, id: OrganisationId) -> &[RecordedAward] {
        self.awards.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every organisation with at least one award, in id order.
    pub fn organisations_with_awards(
        &self,
    ) -> impl Iterator<Item = (OrganisationId, &[RecordedAward])> {
        let mut ids: Vec<OrganisationId> = self
            .awards
            .iter()
            .filter(|(_, awards)| !awards.is_empty())
            .map(|(id, _)| *id)
            .collect();
        ids.sort();
        ids.into_iter().map(|id| (id, self.awards_of(id)))
    }

    pub fn organisation_count(&self) -> usize {
        self.awards.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_award_reads_its_frame_code_once() {
        let award = PastAward {
            award_id: "R7-右腕-1".into(),
            fiscal_year: 2025,
            frame: "right_hand".into(),
            listed_as: "株式会社御祓川".into(),
            from_application: false,
        };
        assert_eq!(
            RecordedAward::new(award.clone()).frame(),
            Some(Frame::RightHand)
        );
        let unknown = PastAward {
            frame: "no_such_frame".into(),
            ..award
        };
        assert_eq!(RecordedAward::new(unknown).frame(), None);
    }
}
