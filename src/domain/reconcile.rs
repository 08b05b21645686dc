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
//! item naming the candidates. [`ledger_from_rows`] runs the same steps into a [`Ledger`]
//! (`program::award_list::ledger_from_award_list` from the files' text).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::codes::{Code, code_enum};
use super::ledger::{Ledger, OrganisationId, PastAward};
use super::names::{NormalisedName, edit_distance, normalise, org_key};

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
// The award list

code_enum! {
    /// A member's place in its award.
    MemberRole, "member role" {
        /// The only applicant.
        Sole => "sole", "単独申請者";
        /// 代表申請者 of a 連名 award.
        Lead => "lead", "代表申請者";
        /// 共同申請者 of a 連名 award.
        CoApplicant => "co_applicant", "共同申請者";
    }
}

impl MemberRole {
    /// The role of a member added to an award by hand, from the list's own rules: the only
    /// member is `sole`; a joint award has exactly one lead, so a member beside a lead (or a
    /// sole member) is a co-applicant and a member beside none is the lead.
    pub fn of_member_added_beside(existing: &[MemberRole]) -> MemberRole {
        if existing.is_empty() {
            MemberRole::Sole
        } else if existing
            .iter()
            .any(|role| matches!(role, MemberRole::Lead | MemberRole::Sole))
        {
            MemberRole::CoApplicant
        } else {
            MemberRole::Lead
        }
    }

    /// A role as an award list prints it: its code, or `co-applicant` (the list's spelling,
    /// DOMAIN.md §7) for `co_applicant`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "co-applicant" => Some(Self::CoApplicant),
            code => Self::from_code(code),
        }
    }
}

/// Legal paths of the 法制度連携枠 as printed (①②③), with the codes of DESIGN.md.
const LAW_PATHS: [(char, &str, &str); 3] = [
    ('①', "地域未来投資促進法", "regional_future_investment"),
    ('②', "小規模事業者支援法", "small_business_support"),
    ('③', "二地域居住促進法", "two_region_residence"),
];

/// One member of one award, as the list printed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AwardRow {
    /// Line in the CSV text (the header is line 1).
    pub line: usize,
    pub award_id: String,
    /// Western year of the fiscal year's April (令和4年度 = 2022).
    pub fiscal_year: i32,
    /// Frame as printed (通常枠).
    pub printed_frame: String,
    /// Frame code of that year's programme (standard).
    pub frame: String,
    /// Legal path code (`regional_future_investment` …) for 法制度連携枠 awards.
    pub law_path: Option<String>,
    /// The name exactly as printed.
    pub listed_as: String,
    pub role: MemberRole,
    /// Where the name is printed (seed file:line).
    pub seed_ref: String,
    /// 法人番号 when the list carries one (13 ASCII digits).
    pub corporate_number: Option<String>,
}

/// One member row's values as an award list prints them, before any is checked. The reader
/// (`program::award_list`) takes them from the file's columns; a value it does not read is empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrintedRow<'a> {
    /// Line in the list's text (the header is line 1).
    pub line: usize,
    pub award_id: &'a str,
    pub fiscal_year: &'a str,
    pub fiscal_year_label: &'a str,
    pub frame: &'a str,
    pub law_path: &'a str,
    pub listed_as: &'a str,
    pub role: &'a str,
    pub seed_ref: &'a str,
    pub corporate_number: &'a str,
}

/// Checks one member row's values into an [`AwardRow`]. `frame_code(fiscal_year,
/// printed_frame)` maps a printed frame label to its code; an unknown label is an error naming
/// the line. Errors name the column at fault by its name in the list's header.
pub fn check_row<'a>(
    printed: &PrintedRow<'a>,
    frame_code: &dyn Fn(i32, &str) -> Option<String>,
) -> Result<AwardRow, AwardListError> {
    let line = printed.line;
    let error = |column: &'static str, message: String, message_ja: String| AwardListError::Row {
        line,
        column: Some(column),
        message,
        message_ja,
    };
    let required = |column: &'static str, value: &'a str| {
        if value.is_empty() {
            Err(error(
                column,
                format!("{column} is empty"),
                "空欄です".to_owned(),
            ))
        } else {
            Ok(value)
        }
    };

    let award_id = required("award_id", printed.award_id)?;
    let fiscal_year_text = required("fiscal_year", printed.fiscal_year)?;
    let fiscal_year: i32 = fiscal_year_text
        .parse()
        .ok()
        .filter(|year| (2019..=2118).contains(year))
        .ok_or_else(|| {
            error(
                "fiscal_year",
                format!("fiscal_year {fiscal_year_text:?} is not a year of 令和 (2019 or later)"),
                format!("「{fiscal_year_text}」は令和の年度（2019 以降の西暦年）ではありません"),
            )
        })?;
    let label = required("fiscal_year_label", printed.fiscal_year_label)?;
    let expected_label = format!("R{}", fiscal_year - 2018);
    if label != expected_label {
        return Err(error(
            "fiscal_year_label",
            format!(
                "fiscal_year_label {label:?} does not match fiscal_year {fiscal_year} ({expected_label})"
            ),
            format!(
                "「{label}」は fiscal_year {fiscal_year} と合いません（{expected_label} のはずです）"
            ),
        ));
    }
    let printed_frame = required("frame", printed.frame)?;
    let frame = frame_code(fiscal_year, printed_frame).ok_or_else(|| {
        error(
            "frame",
            format!("frame {printed_frame:?} is not a frame of fiscal year {fiscal_year}"),
            format!("「{printed_frame}」は {fiscal_year} 年度の枠にありません"),
        )
    })?;
    let law_path = match printed.law_path {
        "" => None,
        path => Some(law_path_code(path).ok_or_else(|| {
            error(
                "law_path",
                format!(
                    "law_path {path:?} is none of ①地域未来投資促進法, ②小規模事業者支援法, ③二地域居住促進法"
                ),
                format!(
                    "「{path}」は ①地域未来投資促進法、②小規模事業者支援法、③二地域居住促進法 のいずれでもありません"
                ),
            )
        })?),
    };
    let listed_as = required("listed_as", printed.listed_as)?;
    let role_text = required("role", printed.role)?;
    let role = MemberRole::parse(role_text).ok_or_else(|| {
        error(
            "role",
            format!("role {role_text:?} is none of sole, lead, co-applicant"),
            format!("「{role_text}」は sole、lead、co-applicant のいずれでもありません"),
        )
    })?;
    let seed_ref = required("seed_ref", printed.seed_ref)?;
    let corporate_number = match printed.corporate_number {
        "" => None,
        number => {
            if number.len() != 13 || !number.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(error(
                    "corporate_number",
                    format!("corporate_number {number:?} is not 13 ASCII digits"),
                    format!("「{number}」は 13 桁の半角数字ではありません"),
                ));
            }
            Some(number.to_owned())
        }
    };
    Ok(AwardRow {
        line,
        award_id: award_id.to_owned(),
        fiscal_year,
        printed_frame: printed_frame.to_owned(),
        frame,
        law_path,
        listed_as: listed_as.to_owned(),
        role,
        seed_ref: seed_ref.to_owned(),
        corporate_number,
    })
}

fn law_path_code(printed: &str) -> Option<String> {
    LAW_PATHS
        .iter()
        .find(|(mark, law, _)| printed.starts_with(*mark) || printed.contains(law))
        .map(|(_, _, code)| (*code).to_owned())
}

/// Rows of one award must agree on its facts, and its members must make sense together.
pub fn check_awards(rows: &[AwardRow]) -> Result<(), AwardListError> {
    let mut members: HashMap<&str, Vec<&AwardRow>> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for row in rows {
        let entry = members.entry(row.award_id.as_str()).or_default();
        if entry.is_empty() {
            order.push(row.award_id.as_str());
        }
        entry.push(row);
    }
    for award_id in order {
        let award_rows = members.get(award_id).map(Vec::as_slice).unwrap_or(&[]);
        let Some(first) = award_rows.first() else {
            continue;
        };
        let mut keys = HashSet::new();
        for row in award_rows {
            let error =
                |column: &'static str, message: String, message_ja: String| AwardListError::Row {
                    line: row.line,
                    column: Some(column),
                    message,
                    message_ja,
                };
            if (row.fiscal_year, &row.frame, &row.law_path)
                != (first.fiscal_year, &first.frame, &first.law_path)
            {
                return Err(error(
                    "award_id",
                    format!(
                        "award {award_id} has another fiscal year, frame or law path on line {}",
                        first.line
                    ),
                    format!(
                        "採択 {award_id} の年度・枠・法制度が {} 行目と違います",
                        first.line
                    ),
                ));
            }
            if !keys.insert(normalise(&row.listed_as).key()) {
                return Err(error(
                    "listed_as",
                    format!("{} is listed twice in award {award_id}", row.listed_as),
                    format!("{} が採択 {award_id} に二度あります", row.listed_as),
                ));
            }
            let sole = row.role == MemberRole::Sole;
            if sole && award_rows.len() > 1 {
                return Err(error(
                    "role",
                    format!(
                        "role sole, but award {award_id} has {} members",
                        award_rows.len()
                    ),
                    format!(
                        "sole（単独）ですが、採択 {award_id} には {} 者あります",
                        award_rows.len()
                    ),
                ));
            }
            if !sole && award_rows.len() == 1 {
                return Err(error(
                    "role",
                    format!(
                        "role {}, but award {award_id} has no other member",
                        row.role.as_str()
                    ),
                    format!(
                        "{} ですが、採択 {award_id} にほかの申請者がありません",
                        row.role.as_str()
                    ),
                ));
            }
        }
        let leads = award_rows
            .iter()
            .filter(|row| row.role == MemberRole::Lead)
            .count();
        if award_rows.len() > 1 && leads != 1 {
            return Err(AwardListError::Row {
                line: first.line,
                column: Some("role"),
                message: format!("joint award {award_id} has {leads} leads instead of one"),
                message_ja: format!(
                    "連名の採択 {award_id} の代表申請者（lead）が {leads} 者です（1 者のはずです）"
                ),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The alias table

/// The entries of an alias table as its file lists them, before they are checked: the reader
/// (`program::aliases`) takes them from `forms/aliases.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AliasListings {
    /// `[[alias]]`: one organisation's confirmed names.
    pub alias: Vec<AliasListing>,
    /// `[[uncertain]]`: a name that may be a misprint of another.
    pub uncertain: Vec<UncertainListing>,
    /// `[[distinct]]`: names that must never be merged.
    pub distinct: Vec<DistinctListing>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AliasListing {
    pub canonical: String,
    pub source: String,
    pub brands: Vec<String>,
    pub variants: Vec<VariantListing>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VariantListing {
    pub name: String,
    pub source: String,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UncertainListing {
    pub name: String,
    pub source: String,
    pub possibly: String,
    pub possibly_source: String,
    pub note: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DistinctListing {
    pub names: Vec<String>,
    pub sources: Vec<String>,
    pub note: String,
}

/// One organisation's confirmed names: the canonical one first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasGroup {
    pub canonical: String,
    /// Every name of the group (canonical, variants, brands), each once.
    pub names: Vec<String>,
}

/// A printed name that may be a misprint of another; a person decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UncertainName {
    pub name: String,
    pub possibly: String,
    pub note: String,
}

/// The alias table (`forms/aliases.toml`), checked.
#[derive(Clone, Debug, Default)]
pub struct AliasTable {
    groups: Vec<AliasGroup>,
    group_of_key: HashMap<String, usize>,
    uncertain: Vec<UncertainName>,
    uncertain_of_key: HashMap<String, usize>,
    distinct_groups_of_key: HashMap<String, Vec<usize>>,
}

impl AliasTable {
    /// Checks the listed entries into a table: a name belongs to one group only, an uncertain
    /// name is not also confirmed, the names of a distinct entry are not one organisation, and
    /// every entry has its source and notes.
    pub fn from_listings(file: &AliasListings) -> Result<Self, AliasTableError> {
        let invalid = |message: String| Err(AliasTableError::Invalid(message));
        let mut table = Self::default();

        for entry in &file.alias {
            let group_index = table.groups.len();
            let mut names: Vec<String> = Vec::new();
            let variant_names = entry.variants.iter().map(|variant| &variant.name);
            for name in std::iter::once(&entry.canonical)
                .chain(variant_names)
                .chain(&entry.brands)
            {
                let key = key_of(name)?;
                match table.group_of_key.get(&key) {
                    Some(&other) if other != group_index => {
                        return invalid(format!(
                            "{name} is a name of both {} and {}",
                            table.groups[other].canonical, entry.canonical
                        ));
                    }
                    Some(_) => {} // the same name after normalisation; listed for its source
                    None => {
                        table.group_of_key.insert(key, group_index);
                        names.push(name.clone());
                    }
                }
            }
            check_text(&entry.source, "source", &entry.canonical)?;
            for variant in &entry.variants {
                check_text(&variant.source, "source", &variant.name)?;
                if let Some(note) = &variant.note {
                    check_text(note, "note", &variant.name)?;
                }
            }
            if let Some(note) = &entry.note {
                check_text(note, "note", &entry.canonical)?;
            }
            table.groups.push(AliasGroup {
                canonical: entry.canonical.clone(),
                names,
            });
        }

        for entry in &file.uncertain {
            let key = key_of(&entry.name)?;
            if let Some(&group) = table.group_of_key.get(&key) {
                return invalid(format!(
                    "{} is uncertain but also a confirmed name of {}",
                    entry.name, table.groups[group].canonical
                ));
            }
            key_of(&entry.possibly)?;
            check_text(&entry.source, "source", &entry.name)?;
            check_text(&entry.possibly_source, "possibly_source", &entry.name)?;
            check_text(&entry.note, "note", &entry.name)?;
            if table
                .uncertain_of_key
                .insert(key, table.uncertain.len())
                .is_some()
            {
                return invalid(format!("{} is listed as uncertain twice", entry.name));
            }
            table.uncertain.push(UncertainName {
                name: entry.name.clone(),
                possibly: entry.possibly.clone(),
                note: entry.note.clone(),
            });
        }

        for (index, entry) in file.distinct.iter().enumerate() {
            if entry.names.len() < 2 {
                return invalid(format!(
                    "distinct entry {} needs at least two names",
                    index + 1
                ));
            }
            let label = entry.names.join(" / ");
            if entry.sources.is_empty() {
                return invalid(format!("distinct entry {label} has no sources"));
            }
            check_text(&entry.note, "note", &label)?;
            let mut keys = Vec::new();
            for name in &entry.names {
                let key = key_of(name)?;
                if keys.contains(&key) {
                    return invalid(format!(
                        "{name} cannot be told apart from another name of distinct entry {label}"
                    ));
                }
                keys.push(key);
            }
            for (position, key) in keys.iter().enumerate() {
                let group = table.group_of_key.get(key);
                let clash = keys[position + 1..]
                    .iter()
                    .any(|other| group.is_some() && table.group_of_key.get(other) == group);
                if clash {
                    return invalid(format!(
                        "distinct entry {label} contradicts an alias: two of its names are one organisation"
                    ));
                }
                table
                    .distinct_groups_of_key
                    .entry(key.clone())
                    .or_default()
                    .push(index);
            }
        }
        Ok(table)
    }

    pub fn groups(&self) -> &[AliasGroup] {
        &self.groups
    }

    pub fn uncertain(&self) -> &[UncertainName] {
        &self.uncertain
    }

    /// The confirmed group a name key belongs to.
    pub fn group_of(&self, key: &str) -> Option<&AliasGroup> {
        self.group_of_key
            .get(key)
            .and_then(|&index| self.groups.get(index))
    }

    /// The entry of an uncertain name key.
    pub fn uncertain_of(&self, key: &str) -> Option<&UncertainName> {
        self.uncertain_of_key
            .get(key)
            .and_then(|&index| self.uncertain.get(index))
    }

    /// Whether the table says that the two name keys are different organisations.
    pub fn are_distinct(&self, a: &str, b: &str) -> bool {
        match (
            self.distinct_groups_of_key.get(a),
            self.distinct_groups_of_key.get(b),
        ) {
            (Some(of_a), Some(of_b)) => a != b && of_a.iter().any(|group| of_b.contains(group)),
            _ => false,
        }
    }
}

fn key_of(name: &str) -> Result<String, AliasTableError> {
    let normalised = normalise(name);
    if normalised.core().is_empty() {
        return Err(AliasTableError::Invalid(format!(
            "{name:?} is not an organisation name"
        )));
    }
    Ok(normalised.key())
}

fn check_text(text: &str, what: &str, of: &str) -> Result<(), AliasTableError> {
    if text.trim().is_empty() {
        Err(AliasTableError::Invalid(format!("{what} of {of} is empty")))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Reconciliation

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
    name.key() != other.key() && resemblance(name, name.brand_key().as_deref(), other).is_some()
}

/// Marks, in a ledger, each organisation printed under an `[[uncertain]]` name of the alias
/// table as possibly named what the table says (its review item's candidate).
pub fn note_uncertain_names(ledger: &mut Ledger, aliases: &AliasTable) {
    for uncertain in &aliases.uncertain {
        let holders = ledger.find(None, &org_key(&uncertain.name)).to_vec();
        for id in holders {
            ledger.add_possible_name(id, &uncertain.possibly);
        }
    }
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
    let shorter = printed
        .core()
        .chars()
        .count()
        .min(other.core().chars().count());
    let allowed = allowed_distance(shorter);
    if allowed == 0 {
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

// ---------------------------------------------------------------------------------------------
// The ledger

/// Builds the in-memory ledger from an award list's rows and the alias table.
///
/// Organisations are numbered from 1 in order of first appearance. Rows that would go to
/// review stay on organisations of their own (never merged) and are counted in `queued`.
pub fn ledger_from_rows(rows: &[AwardRow], aliases: &AliasTable) -> (Ledger, ReconcileReport) {
    let plan = reconcile(rows, &[], aliases);
    let mut ledger = ledger_from_plan(&plan, rows);
    note_uncertain_names(&mut ledger, aliases);
    (ledger, plan.report)
}

fn ledger_from_plan(plan: &ReconcilePlan, rows: &[AwardRow]) -> Ledger {
    let mut ledger = Ledger::new();
    let id_of_new = |new: usize| OrganisationId(i64::try_from(new).unwrap_or(i64::MAX - 1) + 1);
    for (new, organisation) in plan.organisations_to_create.iter().enumerate() {
        ledger.add_organisation(
            id_of_new(new),
            organisation.corporate_number.as_deref(),
            organisation.names(),
        );
    }
    let award_of: HashMap<&str, &AwardRecord> = plan
        .awards
        .iter()
        .map(|award| (award.award_id.as_str(), award))
        .collect();
    let past_award = |award_id: &str, listed_as: &str| {
        award_of.get(award_id).map(|award| PastAward {
            award_id: award.award_id.clone(),
            fiscal_year: award.fiscal_year,
            frame: award.frame.clone(),
            listed_as: listed_as.to_owned(),
            from_application: false,
        })
    };
    for member in &plan.award_members {
        let OrgRef::New(new) = member.organisation else {
            continue; // nothing is known before a ledger is built
        };
        if let Some(award) = past_award(&member.award_id, &member.listed_as) {
            ledger.add_award(id_of_new(new), award);
        }
    }
    // A row whose name already named several organisations has no holder; in a ledger built
    // from scratch that cannot happen, but if it does the row still counts, on its own.
    let mut next = plan.organisations_to_create.len();
    for (decision, item) in plan.review_items() {
        if item.holder.is_some() {
            continue;
        }
        let id = id_of_new(next);
        next += 1;
        let row = rows.iter().find(|row| row.line == decision.line);
        ledger.add_organisation(
            id,
            row.and_then(|row| row.corporate_number.as_deref()),
            [decision.listed_as.as_str()],
        );
        if let Some(award) = past_award(&decision.award_id, &decision.listed_as) {
            ledger.add_award(id, award);
        }
    }
    ledger
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_added_by_hand_takes_the_role_the_award_leaves_open() {
        use MemberRole::*;
        assert_eq!(MemberRole::of_member_added_beside(&[]), Sole);
        assert_eq!(MemberRole::of_member_added_beside(&[Sole]), CoApplicant);
        assert_eq!(
            MemberRole::of_member_added_beside(&[Lead, CoApplicant]),
            CoApplicant
        );
        assert_eq!(MemberRole::of_member_added_beside(&[CoApplicant]), Lead);
    }

    #[test]
    fn member_roles_read_their_codes_and_the_lists_hyphen() {
        for role in MemberRole::ALL {
            assert_eq!(MemberRole::parse(role.as_str()), Some(*role));
        }
        assert_eq!(MemberRole::CoApplicant.as_str(), "co_applicant");
        assert_eq!(
            MemberRole::parse("co-applicant"),
            Some(MemberRole::CoApplicant)
        );
        assert_eq!(MemberRole::parse("leader"), None);
        assert_eq!(
            serde_json::to_value(MemberRole::CoApplicant).ok(),
            Some(serde_json::json!("co_applicant"))
        );
    }

    /// The entries of `forms/aliases.toml` these tests lean on (the reader and the whole
    /// shipped table are tested in `program::aliases` and `program::award_list`).
    fn table() -> AliasTable {
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
    fn sole(award_id: &str, name: &str) -> AwardRow {
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
    fn numbered(row: AwardRow, corporate_number: &str) -> AwardRow {
        AwardRow {
            corporate_number: Some(corporate_number.to_owned()),
            ..row
        }
    }

    /// Rows on the lines a list of them would have (the header is line 1).
    fn rows_of(rows: impl IntoIterator<Item = AwardRow>) -> Vec<AwardRow> {
        rows.into_iter()
            .enumerate()
            .map(|(index, row)| AwardRow {
                line: index + 2,
                ..row
            })
            .collect()
    }

    fn known(id: i64, name: &str) -> KnownOrganisation {
        KnownOrganisation {
            id: OrganisationId(id),
            corporate_number: None,
            canonical_name: name.to_owned(),
            aliases: Vec::new(),
            award_ids: Vec::new(),
        }
    }

    fn review_of(plan: &ReconcilePlan, listed_as: &str) -> ReviewItem {
        match plan
            .review_items()
            .find(|(decision, _)| decision.listed_as == listed_as)
        {
            Some((_, item)) => item.clone(),
            None => panic!("{listed_as} was not queued: {:?}", plan.decisions),
        }
    }

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

    #[test]
    fn a_row_is_checked_from_its_printed_values() {
        let frame_code =
            |_: i32, printed: &str| (printed == "法制度連携枠").then(|| "legal_linkage".to_owned());
        let printed = PrintedRow {
            line: 7,
            award_id: "R7-法制度連携枠-1",
            fiscal_year: "2025",
            fiscal_year_label: "R7",
            frame: "法制度連携枠",
            law_path: "③二地域居住促進法",
            listed_as: "合同会社K A Z A M I",
            role: "co-applicant",
            seed_ref: "test:7",
            corporate_number: "",
        };
        let row = check_row(&printed, &frame_code).expect("valid");
        assert_eq!(row.frame, "legal_linkage");
        assert_eq!(row.law_path.as_deref(), Some("two_region_residence"));
        assert_eq!(row.role, MemberRole::CoApplicant);
        assert_eq!(row.corporate_number, None);

        let explain = |printed: PrintedRow<'_>| match check_row(&printed, &frame_code) {
            Ok(row) => panic!("accepted: {row:?}"),
            Err(error) => error.explain_ja(),
        };
        assert_eq!(
            explain(PrintedRow {
                role: "leader",
                ..printed
            }),
            "7行目（列 role）: 「leader」は sole、lead、co-applicant のいずれでもありません"
        );
        assert_eq!(
            explain(PrintedRow {
                corporate_number: "12345",
                ..printed
            }),
            "7行目（列 corporate_number）: 「12345」は 13 桁の半角数字ではありません"
        );
        assert_eq!(
            explain(PrintedRow {
                seed_ref: "",
                ..printed
            }),
            "7行目（列 seed_ref）: 空欄です"
        );
    }

    #[test]
    fn an_award_lists_one_lead_beside_its_co_applicants() {
        let mut lead = sole("A1", "株式会社あわわ");
        lead.role = MemberRole::Lead;
        let mut co_applicant = sole("A1", "株式会社イードア");
        co_applicant.role = MemberRole::CoApplicant;
        assert!(check_awards(&rows_of([lead.clone(), co_applicant.clone()])).is_ok());
        let mut other = sole("A1", "株式会社ウー");
        other.role = MemberRole::CoApplicant;
        let no_lead = check_awards(&rows_of([co_applicant, other]));
        assert!(
            matches!(&no_lead, Err(error) if error.to_string().contains("0 leads")),
            "{no_lead:?}"
        );
        let alone = check_awards(&rows_of([lead]));
        assert!(
            matches!(&alone, Err(error) if error.to_string().contains("no other member")),
            "{alone:?}"
        );
    }

    #[test]
    fn a_ledger_from_rows_merges_confirmed_names_only() {
        let rows = rows_of([
            sole("A1", "株式会社御祓川"),
            sole("A2", "株式会社御祇川"),
            sole("A3", "株式会社えぼく"),
        ]);
        let (ledger, report) = ledger_from_rows(&rows, &table());
        assert_eq!(ledger.organisation_count(), 2);
        assert_eq!(report.queued, 1);
        let misogi = ledger.find(None, &org_key("株式会社御祇川"));
        assert_eq!(misogi, ledger.find(None, &org_key("株式会社御祓川")));
        assert_eq!(ledger.awards_of(misogi[0]).len(), 2);
        // えぼく keeps its award on its own organisation, marked as possibly えぽっく.
        let eboku = ledger.find(None, &org_key("株式会社えぼく"));
        assert_eq!(ledger.possibly_named(&org_key("株式会社えぽっく")), eboku);
    }
}
