//! The matcher: [`reconcile`] decides each member row against the organisations already known
//! and the alias table, conservatively (`domain::reconcile` says how); [`names_look_alike`] is
//! its test of names close enough to ask a person; [`check_resolution`] checks a person's
//! answer.

use std::collections::{HashMap, HashSet};

use super::{
    AliasTable, AwardMember, AwardRecord, AwardRow, Candidate, CandidateReason, KnownOrganisation,
    MatchedBy, MemberDecision, NewOrganisation, OrgRef, Outcome, ReconcilePlan, ReviewItem,
    ReviewReason,
};
use crate::domain::names::{NormalisedName, edit_distance, normalise};

/// Why a person's answer to a review item cannot stand: the alias table says the printed name
/// and one of the chosen organisation's names are different organisations (つばめいと).
pub fn check_resolution(
    aliases: &AliasTable,
    listed_as: &str,
    chosen_names: &[String],
) -> Result<(), String> {
    let key = normalise(listed_as).key();
    match chosen_names
        .iter()
        .find(|name| aliases.are_distinct(&key, &normalise(name).key()))
    {
        Some(name) => Err(format!(
            "別名表で「{listed_as}」と「{name}」は別の団体とされています"
        )),
        None => Ok(()),
    }
}

/// Decides every member row against the known organisations. Pure: the same rows, known
/// organisations and table give the same plan; applying a plan and running again over the same
/// rows gives a plan with nothing to create or add.
pub fn reconcile(
    rows: &[AwardRow],
    known: &[KnownOrganisation],
    aliases: &AliasTable,
) -> ReconcilePlan {
    let mut run = Run::new(known, aliases);
    for row in rows {
        run.decide(row);
    }
    run.finish()
}

/// An organisation during a run: a known one or one the plan creates.
struct Entry {
    reference: OrgRef,
    names: Vec<EntryName>,
    corporate_number: Option<String>,
    award_ids: HashSet<String>,
}

struct EntryName {
    printed: String,
    normalised: NormalisedName,
    key: String,
}

struct Run<'a> {
    aliases: &'a AliasTable,
    entries: Vec<Entry>,
    by_key: HashMap<String, Vec<usize>>,
    by_corporate_number: HashMap<String, usize>,
    known_award_ids: HashSet<String>,
    plan: ReconcilePlan,
}

impl<'a> Run<'a> {
    fn new(known: &[KnownOrganisation], aliases: &'a AliasTable) -> Self {
        let mut run = Self {
            aliases,
            entries: Vec::new(),
            by_key: HashMap::new(),
            by_corporate_number: HashMap::new(),
            known_award_ids: HashSet::new(),
            plan: ReconcilePlan::default(),
        };
        for organisation in known {
            let index = run.entries.len();
            run.entries.push(Entry {
                reference: OrgRef::Existing(organisation.id),
                names: Vec::new(),
                corporate_number: organisation.corporate_number.clone(),
                award_ids: organisation.award_ids.iter().cloned().collect(),
            });
            run.known_award_ids
                .extend(organisation.award_ids.iter().cloned());
            if let Some(number) = &organisation.corporate_number {
                run.by_corporate_number.insert(number.clone(), index);
            }
            for name in std::iter::once(&organisation.canonical_name).chain(&organisation.aliases) {
                run.index_name(index, name);
            }
        }
        run
    }

    /// Registers a name of an entry for lookups; false when the entry already had its key.
    fn index_name(&mut self, index: usize, name: &str) -> bool {
        let normalised = normalise(name);
        let key = normalised.key();
        let ids = self.by_key.entry(key.clone()).or_default();
        if ids.contains(&index) {
            return false;
        }
        ids.push(index);
        self.entries[index].names.push(EntryName {
            printed: name.to_owned(),
            normalised,
            key,
        });
        true
    }

    /// Adds a name to an entry, and to the plan when the entry is new or known.
    fn add_name(&mut self, index: usize, name: &str) {
        if !self.index_name(index, name) {
            return;
        }
        match self.entries[index].reference {
            OrgRef::Existing(id) => self.plan.names_to_add.push((id, name.to_owned())),
            OrgRef::New(new) => {
                if let Some(organisation) = self.plan.organisations_to_create.get_mut(new) {
                    organisation.aliases.push(name.to_owned());
                }
            }
        }
    }

    /// A new organisation: its entry index and its place in `organisations_to_create`.
    fn create(&mut self, row: &AwardRow, canonical: &str, provisional: bool) -> (usize, usize) {
        let new = self.plan.organisations_to_create.len();
        self.plan.organisations_to_create.push(NewOrganisation {
            canonical_name: canonical.to_owned(),
            aliases: Vec::new(),
            corporate_number: row.corporate_number.clone(),
            first_listed_at: row.seed_ref.clone(),
            provisional,
        });
        let index = self.entries.len();
        self.entries.push(Entry {
            reference: OrgRef::New(new),
            names: Vec::new(),
            corporate_number: row.corporate_number.clone(),
            award_ids: HashSet::new(),
        });
        if let Some(number) = &row.corporate_number {
            self.by_corporate_number.insert(number.clone(), index);
        }
        self.index_name(index, canonical);
        (index, new)
    }

    fn decide(&mut self, row: &AwardRow) {
        let printed = normalise(&row.listed_as);
        let key = printed.key();
        let (outcome, holder) = self.outcome(row, &printed, &key);
        if let Some(index) = holder {
            self.add_name(index, &row.listed_as);
            if let Some(brand) = printed.brand() {
                self.add_name(index, brand);
            }
            self.record_corporate_number(index, row);
            self.record_membership(index, row);
        }
        match &outcome {
            Outcome::Matched { .. } => self.plan.report.matched += 1,
            Outcome::Create { .. } => self.plan.report.created += 1,
            Outcome::Review(_) => self.plan.report.queued += 1,
        }
        if !self.known_award_ids.contains(&row.award_id) {
            self.known_award_ids.insert(row.award_id.clone());
            self.plan.awards.push(AwardRecord {
                award_id: row.award_id.clone(),
                fiscal_year: row.fiscal_year,
                frame: row.frame.clone(),
                printed_frame: row.printed_frame.clone(),
                law_path: row.law_path.clone(),
                seed_ref: row.seed_ref.clone(),
            });
        }
        self.plan.decisions.push(MemberDecision {
            line: row.line,
            award_id: row.award_id.clone(),
            listed_as: row.listed_as.clone(),
            outcome,
        });
    }

    /// The decision for a row and the entry that receives its award.
    fn outcome(
        &mut self,
        row: &AwardRow,
        printed: &NormalisedName,
        key: &str,
    ) -> (Outcome, Option<usize>) {
        // 1. A 法人番号 is the identity.
        if let Some(number) = &row.corporate_number {
            if let Some(&index) = self.by_corporate_number.get(number) {
                return (self.matched(index, MatchedBy::CorporateNumber), Some(index));
            }
            let others: Vec<usize> = self
                .lookup(key)
                .into_iter()
                .filter(|&index| self.entries[index].corporate_number.is_some())
                .collect();
            if !others.is_empty() {
                let candidates = self.same_name_candidates(&others, key);
                return self.review(
                    row,
                    ReviewReason::CorporateNumberMismatch {
                        corporate_number: number.clone(),
                    },
                    candidates,
                );
            }
        }

        // 2. The same name key.
        let exact = self.lookup(key);
        match exact.as_slice() {
            [index] => return (self.matched(*index, MatchedBy::ExactKey), Some(*index)),
            [] => {}
            several => {
                let candidates = self.same_name_candidates(several, key);
                return (
                    Outcome::Review(ReviewItem {
                        reason: ReviewReason::AmbiguousName,
                        candidates,
                        holder: None,
                    }),
                    None,
                );
            }
        }

        // 3. A confirmed alias.
        if let Some(group) = self.aliases.group_of(key) {
            let mut holders: Vec<usize> = Vec::new();
            for name in &group.names {
                for index in self.lookup(&normalise(name).key()) {
                    if !holders.contains(&index) {
                        holders.push(index);
                    }
                }
            }
            return match holders.as_slice() {
                [index] => {
                    let index = *index;
                    for name in &group.names {
                        self.add_name(index, name);
                    }
                    (self.matched(index, MatchedBy::Alias), Some(index))
                }
                [] => {
                    let (index, new) = self.create(row, &group.canonical, false);
                    for name in &group.names {
                        self.add_name(index, name);
                    }
                    (Outcome::Create { organisation: new }, Some(index))
                }
                several => {
                    let candidates = several
                        .iter()
                        .map(|&index| Candidate {
                            organisation: self.entries[index].reference,
                            name: self.first_name(index),
                            why: CandidateReason::SameName,
                        })
                        .collect();
                    (
                        Outcome::Review(ReviewItem {
                            reason: ReviewReason::AmbiguousName,
                            candidates,
                            holder: None,
                        }),
                        None,
                    )
                }
            };
        }

        // 4. A name the table marks as a possible misprint.
        if let Some(uncertain) = self.aliases.uncertain_of(key) {
            let probable_key = normalise(&uncertain.possibly).key();
            let mut candidates: Vec<Candidate> = self
                .lookup(&probable_key)
                .into_iter()
                .map(|index| Candidate {
                    organisation: self.entries[index].reference,
                    name: uncertain.possibly.clone(),
                    why: CandidateReason::ProbableSpelling,
                })
                .collect();
            for candidate in self.look_alikes(printed, key) {
                if !candidates
                    .iter()
                    .any(|known| known.organisation == candidate.organisation)
                {
                    candidates.push(candidate);
                }
            }
            let reason = ReviewReason::UncertainName {
                possibly: uncertain.possibly.clone(),
                note: uncertain.note.clone(),
            };
            return self.review(row, reason, candidates);
        }

        // 5. Look-alikes go to a person; otherwise the organisation is new.
        let candidates = self.look_alikes(printed, key);
        if !candidates.is_empty() {
            return self.review(row, ReviewReason::SimilarOrganisations, candidates);
        }
        let (index, new) = self.create(row, &row.listed_as, false);
        (Outcome::Create { organisation: new }, Some(index))
    }

    fn matched(&self, index: usize, how: MatchedBy) -> Outcome {
        Outcome::Matched {
            organisation: self.entries[index].reference,
            how,
        }
    }

    /// A review item whose award waits on a provisional organisation of its own.
    fn review(
        &mut self,
        row: &AwardRow,
        reason: ReviewReason,
        candidates: Vec<Candidate>,
    ) -> (Outcome, Option<usize>) {
        let (index, _) = self.create(row, &row.listed_as, true);
        let item = ReviewItem {
            reason,
            candidates,
            holder: Some(self.entries[index].reference),
        };
        (Outcome::Review(item), Some(index))
    }

    fn lookup(&self, key: &str) -> Vec<usize> {
        self.by_key.get(key).cloned().unwrap_or_default()
    }

    fn first_name(&self, index: usize) -> String {
        self.entries[index]
            .names
            .first()
            .map(|name| name.printed.clone())
            .unwrap_or_default()
    }

    fn same_name_candidates(&self, indices: &[usize], key: &str) -> Vec<Candidate> {
        indices
            .iter()
            .map(|&index| Candidate {
                organisation: self.entries[index].reference,
                name: self.entries[index]
                    .names
                    .iter()
                    .find(|name| name.key == key)
                    .map(|name| name.printed.clone())
                    .unwrap_or_else(|| self.first_name(index)),
                why: CandidateReason::SameName,
            })
            .collect()
    }

    /// Organisations whose names look like the printed one, except those the table declares
    /// distinct from it. One candidate per organisation, with its strongest reason.
    fn look_alikes(&self, printed: &NormalisedName, key: &str) -> Vec<Candidate> {
        let printed_brand_key = printed.brand_key();
        let mut candidates: Vec<Candidate> = Vec::new();
        for entry in &self.entries {
            let declared_distinct = entry
                .names
                .iter()
                .any(|name| self.aliases.are_distinct(key, &name.key));
            if declared_distinct {
                continue;
            }
            let best = entry
                .names
                .iter()
                .filter_map(|name| {
                    resemblance(printed, printed_brand_key.as_deref(), &name.normalised)
                        .map(|why| (name, why))
                })
                .min_by_key(|(_, why)| strength_rank(why));
            if let Some((name, why)) = best {
                candidates.push(Candidate {
                    organisation: entry.reference,
                    name: name.printed.clone(),
                    why,
                });
            }
        }
        if let Some(brand_key) = printed_brand_key {
            // A bare brand recorded as a name of its own ("箱根DMO").
            for &index in self.by_key.get(&brand_key).into_iter().flatten() {
                let reference = self.entries[index].reference;
                if !candidates.iter().any(|c| c.organisation == reference) {
                    candidates.push(Candidate {
                        organisation: reference,
                        name: self.first_name(index),
                        why: CandidateReason::SharedBrand,
                    });
                }
            }
        }
        candidates
    }

    fn record_corporate_number(&mut self, index: usize, row: &AwardRow) {
        let Some(number) = &row.corporate_number else {
            return;
        };
        if self.entries[index].corporate_number.is_some() {
            return;
        }
        self.entries[index].corporate_number = Some(number.clone());
        self.by_corporate_number.insert(number.clone(), index);
        match self.entries[index].reference {
            OrgRef::Existing(id) => self
                .plan
                .corporate_numbers_to_record
                .push((id, number.clone())),
            OrgRef::New(new) => {
                if let Some(organisation) = self.plan.organisations_to_create.get_mut(new) {
                    organisation.corporate_number = Some(number.clone());
                }
            }
        }
    }

    fn record_membership(&mut self, index: usize, row: &AwardRow) {
        // Idempotent by (award id, organisation): a second row of the same organisation in the
        // same award, or a run over rows already imported, adds nothing.
        if !self.entries[index].award_ids.insert(row.award_id.clone()) {
            return;
        }
        self.plan.award_members.push(AwardMember {
            award_id: row.award_id.clone(),
            organisation: self.entries[index].reference,
            role: row.role,
            listed_as: row.listed_as.clone(),
            seed_ref: row.seed_ref.clone(),
        });
    }

    fn finish(mut self) -> ReconcilePlan {
        self.plan.report.new_organisations = self.plan.organisations_to_create.len();
        self.plan.report.new_award_members = self.plan.award_members.len();
        self.plan
    }
}

/// Whether two different names look alike enough for a person to check that they are one
/// organisation: the test the import's review queue applies (another legal form of the same
/// core, a shared brand, or a spelling within a few edits). Equal names are not "alike".
pub fn names_look_alike(name: &NormalisedName, other: &NormalisedName) -> bool {
    // Equal keys are equal forms and cores (`names::compose_key`), compared without building them.
    let same_key = name.legal_form() == other.legal_form() && name.core() == other.core();
    !same_key && resemblance(name, name.brand_key().as_deref(), other).is_some()
}

/// How a known name resembles the printed one, if it does enough to ask a person.
fn resemblance(
    printed: &NormalisedName,
    printed_brand_key: Option<&str>,
    other: &NormalisedName,
) -> Option<CandidateReason> {
    if printed.core() == other.core() {
        // Equal cores with equal forms would have matched exactly.
        return (printed.legal_form() != other.legal_form())
            .then_some(CandidateReason::OtherLegalForm);
    }
    if let (Some(mine), Some(theirs)) = (printed_brand_key, other.brand_key())
        && mine == theirs
    {
        return Some(CandidateReason::SharedBrand);
    }
    let (mine, theirs) = (printed.core().chars().count(), other.core().chars().count());
    let allowed = allowed_distance(mine.min(theirs));
    // Every edit changes the length by one at most, so lengths further apart than the edits
    // allowed cannot be within them: most of the ledger is passed over without a distance.
    if allowed == 0 || mine.abs_diff(theirs) > allowed {
        return None;
    }
    let distance = edit_distance(printed.core(), other.core());
    (distance <= allowed).then_some(CandidateReason::SimilarSpelling { distance })
}

/// Edits tolerated between two cores before they stop looking alike: none for two-character
/// names (三島/米子 are two towns, not a misprint), one from three characters (御祇川/御祓川),
/// two for long names.
fn allowed_distance(shorter_core_chars: usize) -> usize {
    match shorter_core_chars {
        0..=2 => 0,
        3..=9 => 1,
        _ => 2,
    }
}

fn strength_rank(why: &CandidateReason) -> usize {
    match why {
        CandidateReason::SameName => 0,
        CandidateReason::ProbableSpelling => 1,
        CandidateReason::OtherLegalForm => 2,
        CandidateReason::SharedBrand => 3,
        CandidateReason::SimilarSpelling { distance } => 3 + distance,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{known, numbered, review_of, rows_of, sole, table};
    use super::*;
    use crate::domain::ledger::OrganisationId;

    // --- decisions against known organisations --------------------------------------------

    #[test]
    fn another_legal_form_of_the_same_core_goes_to_review() {
        let rows = rows_of([sole("A1", "一般財団法人ドット道東")]);
        let plan = reconcile(&rows, &[known(7, "一般社団法人ドット道東")], &table());
        let item = review_of(&plan, "一般財団法人ドット道東");
        assert_eq!(item.reason, ReviewReason::SimilarOrganisations);
        assert_eq!(
            item.candidates,
            [Candidate {
                organisation: OrgRef::Existing(OrganisationId(7)),
                name: "一般社団法人ドット道東".to_owned(),
                why: CandidateReason::OtherLegalForm,
            }]
        );
        // Never merged: the award waits on a provisional organisation of its own.
        assert_eq!(item.holder, Some(OrgRef::New(0)));
        assert_eq!(plan.award_members[0].organisation, OrgRef::New(0));
    }

    #[test]
    fn a_near_spelling_without_an_alias_goes_to_review() {
        let rows = rows_of([sole("A1", "株式会社御祇川")]);
        let plan = reconcile(&rows, &[known(3, "株式会社御祓川")], &AliasTable::default());
        let item = review_of(&plan, "株式会社御祇川");
        assert_eq!(
            item.candidates[0].why,
            CandidateReason::SimilarSpelling { distance: 1 }
        );
        assert_eq!(plan.report.queued, 1);
        assert_eq!(plan.report.matched, 0);
    }

    #[test]
    fn a_confirmed_alias_matches_a_known_organisation_and_records_the_names() {
        let rows = rows_of([sole("A1", "株式会社御祇川")]);
        let plan = reconcile(&rows, &[known(3, "株式会社御祓川")], &table());
        assert_eq!(
            plan.decisions[0].outcome,
            Outcome::Matched {
                organisation: OrgRef::Existing(OrganisationId(3)),
                how: MatchedBy::Alias,
            }
        );
        assert_eq!(
            plan.names_to_add,
            [(OrganisationId(3), "株式会社御祇川".to_owned())]
        );
    }

    #[test]
    fn names_declared_distinct_are_not_even_proposed() {
        let rows = rows_of([
            sole("A1", "株式会社つばめいと"),
            sole("A2", "公益社団法人つばめいと"),
        ]);
        let plan = reconcile(&rows, &[], &table());
        assert_eq!(plan.report.created, 2);
        assert_eq!(plan.report.queued, 0);

        // Without the table the same pair is a question for a person.
        let plan = reconcile(&rows, &[], &AliasTable::default());
        assert_eq!(plan.report.queued, 1);
    }

    #[test]
    fn short_cores_a_few_characters_apart_are_different_towns() {
        let rows = rows_of([sole("A1", "三島信用金庫"), sole("A2", "米子信用金庫")]);
        let plan = reconcile(&rows, &[], &AliasTable::default());
        assert_eq!(plan.report.created, 2);
    }

    #[test]
    fn a_corporate_number_is_the_identity() {
        let rows = rows_of([numbered(sole("A1", "株式会社ミソギガワ"), "1234567890123")]);
        let mut organisation = known(3, "株式会社御祓川");
        organisation.corporate_number = Some("1234567890123".to_owned());
        let plan = reconcile(&rows, &[organisation], &table());
        assert_eq!(
            plan.decisions[0].outcome,
            Outcome::Matched {
                organisation: OrgRef::Existing(OrganisationId(3)),
                how: MatchedBy::CorporateNumber,
            }
        );
        assert_eq!(
            plan.names_to_add,
            [(OrganisationId(3), "株式会社ミソギガワ".to_owned())]
        );
    }

    #[test]
    fn a_known_name_under_another_corporate_number_goes_to_review() {
        let rows = rows_of([numbered(sole("A1", "株式会社御祓川"), "1234567890123")]);
        let mut organisation = known(3, "株式会社御祓川");
        organisation.corporate_number = Some("9999999999999".to_owned());
        let plan = reconcile(&rows, &[organisation], &table());
        let item = review_of(&plan, "株式会社御祓川");
        assert!(matches!(
            item.reason,
            ReviewReason::CorporateNumberMismatch { .. }
        ));
        assert_eq!(
            plan.organisations_to_create[0].corporate_number.as_deref(),
            Some("1234567890123")
        );
    }

    #[test]
    fn a_corporate_number_learnt_for_a_known_organisation_is_recorded() {
        let rows = rows_of([numbered(sole("A1", "株式会社御祓川"), "1234567890123")]);
        let plan = reconcile(&rows, &[known(3, "株式会社御祓川")], &table());
        assert_eq!(
            plan.corporate_numbers_to_record,
            [(OrganisationId(3), "1234567890123".to_owned())]
        );
    }

    #[test]
    fn a_name_that_already_names_several_organisations_is_not_guessed() {
        let rows = rows_of([sole("A1", "株式会社あわわ")]);
        let plan = reconcile(
            &rows,
            &[known(1, "株式会社あわわ"), known(2, "(株)あわわ")],
            &table(),
        );
        let item = review_of(&plan, "株式会社あわわ");
        assert_eq!(item.reason, ReviewReason::AmbiguousName);
        assert_eq!(item.holder, None);
        assert_eq!(item.candidates.len(), 2);
        assert!(plan.award_members.is_empty());
        assert!(plan.organisations_to_create.is_empty());
        assert_eq!(plan.awards.len(), 1);
    }

    #[test]
    fn a_brand_shared_with_another_legal_name_goes_to_review() {
        let rows = rows_of([sole("A1", "箱根DMO（株式会社箱根観光）")]);
        let mut hakone = known(5, "一般財団法人箱根町観光協会");
        hakone.aliases.push("箱根DMO".to_owned());
        let plan = reconcile(&rows, &[hakone], &table());
        let item = review_of(&plan, "箱根DMO（株式会社箱根観光）");
        assert_eq!(item.candidates[0].why, CandidateReason::SharedBrand);
        assert_eq!(
            item.candidates[0].organisation,
            OrgRef::Existing(OrganisationId(5))
        );
    }

    #[test]
    fn a_person_confirmed_name_matches_exactly_afterwards() {
        // After review, the importer records えぼく as a name of えぽっく: it then matches.
        let rows = rows_of([sole("A1", "株式会社えぼく")]);
        let mut epokku = known(9, "株式会社えぽっく");
        epokku.aliases.push("株式会社えぼく".to_owned());
        let plan = reconcile(&rows, &[epokku], &table());
        assert_eq!(
            plan.decisions[0].outcome,
            Outcome::Matched {
                organisation: OrgRef::Existing(OrganisationId(9)),
                how: MatchedBy::ExactKey,
            }
        );
    }

    #[test]
    fn an_uncertain_name_lists_its_probable_spelling_as_candidate() {
        let rows = rows_of([sole("A1", "株式会社えぼく")]);
        let plan = reconcile(&rows, &[known(9, "株式会社えぽっく")], &table());
        let item = review_of(&plan, "株式会社えぼく");
        assert_eq!(
            item.candidates[0],
            Candidate {
                organisation: OrgRef::Existing(OrganisationId(9)),
                name: "株式会社えぽっく".to_owned(),
                why: CandidateReason::ProbableSpelling,
            }
        );
        assert_eq!(item.holder, Some(OrgRef::New(0)));
    }

    #[test]
    fn a_resolution_cannot_join_names_the_table_keeps_apart() {
        let table = table();
        assert!(
            check_resolution(
                &table,
                "株式会社つばめいと",
                &["公益社団法人つばめいと".to_owned()]
            )
            .is_err()
        );
        assert!(
            check_resolution(&table, "株式会社えぼく", &["株式会社えぽっく".to_owned()]).is_ok()
        );
    }
}
