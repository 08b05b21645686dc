//! Reconciles the names printed in award lists to organisations (DOMAIN.md §7).
//!
//! Three steps, all pure:
//! 1. [`check_row`] checks each row of an award list into an [`AwardRow`], one per member of an
//!    award, and [`check_awards`] each award's membership. The reader of the CSV
//!    (`forms/awards/*.csv`) is `program::award_list`.
//! 2. [`AliasTable::from_listings`] checks the alias table: confirmed variants, uncertain names
//!    that a person must look at, and names that must never be merged. The reader of
//!    `forms/aliases.toml` is `program::aliases`.
//! 3. [`reconcile`] decides, row by row, against the organisations already known, whether the
//!    member is a known organisation, a new one, or a case for review, and returns a
//!    [`ReconcilePlan`] that the database importer persists as it is.
//!
//! Matching is deliberately conservative: a 法人番号, an identical name key, or a confirmed alias
//! match; anything weaker (same core under another legal form, a near spelling, a shared brand,
//! an uncertain name) never merges — the row gets its own provisional organisation and a review
//! item naming the candidates. [`ledger_from_rows`] runs the same steps into a
//! [`Ledger`](super::ledger::Ledger) (`program::award_list::ledger_from_award_list` from the
//! files' text).

mod aliases;
#[cfg(test)]
pub(crate) mod fixtures;
mod ledger;
mod matcher;
mod rows;

use serde::{Deserialize, Serialize};

use super::ledger::OrganisationId;

pub use aliases::{
    AliasGroup, AliasListing, AliasListings, AliasTable, DistinctListing, UncertainListing,
    UncertainName, VariantListing,
};
pub use ledger::{ledger_from_rows, note_uncertain_names};
pub use matcher::{check_resolution, names_look_alike, reconcile};
pub use rows::{AwardRow, MemberRole, PrintedRow, check_awards, check_row};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// Member rows attached to an organisation that was already known (or created by an earlier
    /// row of the same run).
    pub matched: usize,
    /// Member rows that created a new organisation with confidence.
    pub created: usize,
    /// Member rows sent to review (each on a provisional organisation of its own, if any).
    pub queued: usize,
    /// Organisations to create, provisional ones included.
    pub new_organisations: usize,
    /// (award, organisation) pairs to record.
    pub new_award_members: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum AwardListError {
    /// `column` names the column at fault, when one is; `message_ja` says the same in
    /// Japanese for people (the upload page).
    #[error("award list line {line}: {message}")]
    Row {
        line: usize,
        column: Option<&'static str>,
        message: String,
        message_ja: String,
    },
    #[error("award list header: {message}")]
    Header { message: String, message_ja: String },
    #[error(transparent)]
    Aliases(#[from] AliasTableError),
}

impl AwardListError {
    /// The fault in Japanese, with its line and column, for people (`3行目（列 role）: …`).
    pub fn explain_ja(&self) -> String {
        match self {
            AwardListError::Row {
                line,
                column: Some(column),
                message_ja,
                ..
            } => format!("{line}行目（列 {column}）: {message_ja}"),
            AwardListError::Row {
                line,
                column: None,
                message_ja,
                ..
            } => format!("{line}行目: {message_ja}"),
            AwardListError::Header { message_ja, .. } => format!("1行目（見出し行）: {message_ja}"),
            AwardListError::Aliases(error) => format!("別名表の誤り: {error}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AliasTableError {
    /// The text is not an alias table: the reader's message (its syntax, an unknown key, a
    /// missing field).
    #[error("alias table: {0}")]
    Unreadable(String),
    #[error("alias table: {0}")]
    Invalid(String),
}

// ---------------------------------------------------------------------------------------------
// The plan

/// An organisation the database already holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownOrganisation {
    pub id: OrganisationId,
    pub corporate_number: Option<String>,
    pub canonical_name: String,
    /// Other names recorded for it (printed variants, confirmed aliases, brands). A person's
    /// confirmation is recorded here, and names here match exactly.
    pub aliases: Vec<String>,
    /// Awards it already holds (by award id).
    pub award_ids: Vec<String>,
}

/// An organisation in a plan: one the database holds, or the n-th of
/// [`ReconcilePlan::organisations_to_create`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRef {
    Existing(OrganisationId),
    New(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    CorporateNumber,
    /// The printed name's key is a name of the organisation.
    ExactKey,
    /// A confirmed alias of `forms/aliases.toml`.
    Alias,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewOrganisation {
    pub canonical_name: String,
    /// Other names to record (printed variants, confirmed aliases, brands), each once.
    pub aliases: Vec<String>,
    pub corporate_number: Option<String>,
    /// Seed reference of the row that created it.
    pub first_listed_at: String,
    /// Created for a review item: it holds the row's awards until a person decides.
    pub provisional: bool,
}

impl NewOrganisation {
    /// Every name of the organisation, canonical first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.canonical_name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

crate::domain::codes::code_enum! {
    /// Where a name under review stands (`name_reviews.status`): waiting for a person, found to
    /// be an organisation already known, or kept as an organisation of its own.
    NameReviewStatus, "name review status" {
        Open => "open", "確認待ち";
        Merged => "merged", "同じ団体と確認";
        KeptApart => "kept_apart", "別の団体と確認";
    }
}

/// Why a member row went to review instead of being matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ReviewReason {
    /// The alias table marks the printed name as a possible misprint of `possibly`.
    UncertainName { possibly: String, note: String },
    /// No exact match, but other organisations look alike (see the candidates).
    SimilarOrganisations,
    /// The name, or its confirmed aliases, already names several organisations.
    AmbiguousName,
    /// The name matches organisations registered under another 法人番号.
    CorporateNumberMismatch { corporate_number: String },
}

impl ReviewReason {
    /// Why a person must look, in Japanese.
    pub fn describe_ja(&self) -> String {
        match self {
            ReviewReason::UncertainName { possibly, note } => {
                format!("誤記の可能性があります（{possibly} か）。{note}")
            }
            ReviewReason::SimilarOrganisations => {
                "完全には一致しませんが、よく似た名称の団体があります".to_owned()
            }
            ReviewReason::AmbiguousName => {
                "同じ名称の団体が複数あり、どれか決められません".to_owned()
            }
            ReviewReason::CorporateNumberMismatch { corporate_number } => format!(
                "名称は一致しますが、法人番号 {corporate_number} が登録済みの団体と違います"
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CandidateReason {
    /// The same name key (AmbiguousName, CorporateNumberMismatch).
    SameName,
    /// The probable correct spelling of an uncertain name.
    ProbableSpelling,
    /// The same core under another legal form (一般社団法人 / 一般財団法人).
    OtherLegalForm,
    /// A core a few characters away (御祇川 / 御祓川).
    SimilarSpelling { distance: usize },
    /// The same brand or DMO name.
    SharedBrand,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub organisation: OrgRef,
    /// The candidate's name that looked alike.
    pub name: String,
    pub why: CandidateReason,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReviewItem {
    pub reason: ReviewReason,
    /// Organisations the member may be; never merged without a person.
    pub candidates: Vec<Candidate>,
    /// The provisional organisation that holds the award meanwhile (None when the name already
    /// names several organisations and none can be picked).
    pub holder: Option<OrgRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Outcome {
    Matched {
        organisation: OrgRef,
        how: MatchedBy,
    },
    Create {
        organisation: usize,
    },
    Review(ReviewItem),
}

/// What was decided for one member row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberDecision {
    pub line: usize,
    pub award_id: String,
    pub listed_as: String,
    pub outcome: Outcome,
}

/// One award, once per award id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AwardRecord {
    pub award_id: String,
    pub fiscal_year: i32,
    pub frame: String,
    pub printed_frame: String,
    pub law_path: Option<String>,
    pub seed_ref: String,
}

/// One organisation's membership of one award.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AwardMember {
    pub award_id: String,
    pub organisation: OrgRef,
    pub role: MemberRole,
    pub listed_as: String,
    pub seed_ref: String,
}

/// Everything the importer has to write, and nothing it has to decide.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReconcilePlan {
    /// One per row, in row order.
    pub decisions: Vec<MemberDecision>,
    pub organisations_to_create: Vec<NewOrganisation>,
    /// Names to record on organisations the database holds (a matched row's new spelling, the
    /// confirmed aliases of its group).
    pub names_to_add: Vec<(OrganisationId, String)>,
    /// 法人番号 learnt for organisations the database holds without one.
    pub corporate_numbers_to_record: Vec<(OrganisationId, String)>,
    /// Awards of the rows that no known organisation holds yet; insert when the award id is
    /// absent (an award whose only member is ambiguous comes back on every run).
    pub awards: Vec<AwardRecord>,
    /// (award, organisation) pairs not yet recorded.
    pub award_members: Vec<AwardMember>,
    pub report: ReconcileReport,
}

impl ReconcilePlan {
    /// The rows a person must look at, with their decision context.
    pub fn review_items(&self) -> impl Iterator<Item = (&MemberDecision, &ReviewItem)> {
        self.decisions
            .iter()
            .filter_map(|decision| match &decision.outcome {
                Outcome::Review(item) => Some((decision, item)),
                _ => None,
            })
    }
}
