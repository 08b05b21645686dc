//! Reconciles the names printed in award lists to organisations (DOMAIN.md §7).
//!
//! Three steps, all pure:
//! 1. [`parse_award_list`] reads the CSV (`forms/awards/*.csv`) into [`AwardRow`]s, one per member
//!    of an award, and checks each row and each award's membership.
//! 2. [`AliasTable::parse`] reads `forms/aliases.toml`: confirmed variants, uncertain names that a
//!    person must look at, and names that must never be merged.
//! 3. [`reconcile`] decides, row by row, against the organisations already known, whether the
//!    member is a known organisation, a new one, or a case for review, and returns a
//!    [`ReconcilePlan`] that the database importer persists as it is.
//!
//! Matching is deliberately conservative: a 法人番号, an identical name key, or a confirmed alias
//! match; anything weaker (same core under another legal form, a near spelling, a shared brand,
//! an uncertain name) never merges — the row gets its own provisional organisation and a review
//! item naming the candidates. [`ledger_from_award_list`] runs the same steps into a [`Ledger`].

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
    #[error("alias table: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("alias table: {0}")]
    Invalid(String),
}

// ---------------------------------------------------------------------------------------------
// The award list

/// The columns of an award list, in order. A `corporate_number` column may follow.
pub const AWARD_LIST_COLUMNS: [&str; 8] = [
    "award_id",
    "fiscal_year",
    "fiscal_year_label",
    "frame",
    "law_path",
    "listed_as",
    "role",
    "seed_ref",
];
const CORPORATE_NUMBER_COLUMN: &str = "corporate_number";

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

/// Reads an award list. `frame_code(fiscal_year, printed_frame)` maps a printed frame label to
/// its code; an unknown label is an error naming the line.
pub fn parse_award_list(
    csv_text: &str,
    frame_code: &dyn Fn(i32, &str) -> Option<String>,
) -> Result<Vec<AwardRow>, AwardListError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|error| AwardListError::Header {
            message: error.to_string(),
            message_ja: format!("見出し行を読めません: {}", csv_problem_ja(&error)),
        })?
        .clone();
    let has_corporate_number = check_header(&headers)?;

    let mut lines = LineCounter::new(csv_text);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| AwardListError::Row {
            line: error
                .position()
                .map_or(0, |position| lines.line_at(position.byte())),
            column: None,
            message: csv_problem(&error),
            message_ja: csv_problem_ja(&error),
        })?;
        let line = record
            .position()
            .map_or(0, |position| lines.line_at(position.byte()));
        rows.push(parse_row(&record, line, has_corporate_number, frame_code)?);
    }
    check_awards(&rows)?;
    Ok(rows)
}

/// The text of an uploaded award list: UTF-8, with or without a byte-order mark (Excel writes
/// one). Anything else is refused with the line of the first byte that is not UTF-8.
pub fn decode_award_list(bytes: &[u8]) -> Result<&str, AwardListError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|error| {
        let valid = bytes.get(..error.valid_up_to()).unwrap_or_default();
        let line = 1 + valid.iter().filter(|&&byte| byte == b'\n').count();
        AwardListError::Row {
            line,
            column: None,
            message: "not UTF-8 (save the file as CSV UTF-8)".to_owned(),
            message_ja: "UTF-8 ではない文字があります。Excel の場合は「CSV UTF-8（コンマ区切り）」で保存してください"
                .to_owned(),
        }
    })
}

/// What is wrong, without the csv crate's own position (its line count is off with CRLF).
fn csv_problem(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        _ => error.to_string(),
    }
}

/// [`csv_problem`] in Japanese.
fn csv_problem_ja(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("列の数が {len} 個です（見出し行は {expected_len} 個）"),
        csv::ErrorKind::Utf8 { .. } => {
            "UTF-8 ではない文字があります（CSV UTF-8 形式で保存してください）".to_owned()
        }
        _ => "CSV として読めません（引用符の閉じ忘れなど）".to_owned(),
    }
}

/// Line numbers from byte offsets. With CRLF line ends (the award list has them) the csv crate
/// reports a record as starting at the '\n' before it, and counts its line one short, so lines
/// are counted here from the first byte after any line-end bytes; offsets only grow.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, byte: u64) -> usize {
        let mut byte = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while matches!(self.text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte > self.offset {
            let newlines = self.text[self.offset..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines;
            self.offset = byte;
        }
        self.line
    }
}

fn check_header(headers: &csv::StringRecord) -> Result<bool, AwardListError> {
    let names: Vec<&str> = headers.iter().collect();
    let expected = AWARD_LIST_COLUMNS.join(",");
    let has_corporate_number = names.len() == AWARD_LIST_COLUMNS.len() + 1
        && names.last() == Some(&CORPORATE_NUMBER_COLUMN);
    let columns = if has_corporate_number {
        &names[..AWARD_LIST_COLUMNS.len()]
    } else {
        &names[..]
    };
    if columns != AWARD_LIST_COLUMNS {
        return Err(AwardListError::Header {
            message: format!(
                "expected columns {expected} (optionally followed by {CORPORATE_NUMBER_COLUMN}), found {}",
                names.join(",")
            ),
            message_ja: format!(
                "見出し行の列は {expected}（最後に {CORPORATE_NUMBER_COLUMN} を加えてもよい）の順でなければなりません。見つかった列: {}",
                names.join(",")
            ),
        });
    }
    Ok(has_corporate_number)
}

fn parse_row(
    record: &csv::StringRecord,
    line: usize,
    has_corporate_number: bool,
    frame_code: &dyn Fn(i32, &str) -> Option<String>,
) -> Result<AwardRow, AwardListError> {
    let error = |column: &'static str, message: String, message_ja: String| AwardListError::Row {
        line,
        column: Some(column),
        message,
        message_ja,
    };
    let field = |index: usize| record.get(index).unwrap_or_default();
    let required = |index: usize| {
        let value = field(index);
        if value.is_empty() {
            let column = AWARD_LIST_COLUMNS[index];
            Err(error(
                column,
                format!("{column} is empty"),
                "空欄です".to_owned(),
            ))
        } else {
            Ok(value)
        }
    };

    let award_id = required(0)?;
    let fiscal_year_text = required(1)?;
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
    let label = required(2)?;
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
    let printed_frame = required(3)?;
    let frame = frame_code(fiscal_year, printed_frame).ok_or_else(|| {
        error(
            "frame",
            format!("frame {printed_frame:?} is not a frame of fiscal year {fiscal_year}"),
            format!("「{printed_frame}」は {fiscal_year} 年度の枠にありません"),
        )
    })?;
    let law_path = match field(4) {
        "" => None,
        printed => Some(law_path_code(printed).ok_or_else(|| {
            error(
                "law_path",
                format!(
                    "law_path {printed:?} is none of ①地域未来投資促進法, ②小規模事業者支援法, ③二地域居住促進法"
                ),
                format!(
                    "「{printed}」は ①地域未来投資促進法、②小規模事業者支援法、③二地域居住促進法 のいずれでもありません"
                ),
            )
        })?),
    };
    let listed_as = required(5)?;
    let role_text = required(6)?;
    let role = MemberRole::parse(role_text).ok_or_else(|| {
        error(
            "role",
            format!("role {role_text:?} is none of sole, lead, co-applicant"),
            format!("「{role_text}」は sole、lead、co-applicant のいずれでもありません"),
        )
    })?;
    let seed_ref = required(7)?;
    let corporate_number = match field(8) {
        "" => None,
        number if has_corporate_number => {
            if number.len() != 13 || !number.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(error(
                    CORPORATE_NUMBER_COLUMN,
                    format!("corporate_number {number:?} is not 13 ASCII digits"),
                    format!("「{number}」は 13 桁の半角数字ではありません"),
                ));
            }
            Some(number.to_owned())
        }
        _ => None,
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
fn check_awards(rows: &[AwardRow]) -> Result<(), AwardListError> {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AliasFile {
    #[serde(default)]
    alias: Vec<AliasEntry>,
    #[serde(default)]
    uncertain: Vec<UncertainEntry>,
    #[serde(default)]
    distinct: Vec<DistinctEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AliasEntry {
    canonical: String,
    source: String,
    #[serde(default)]
    brands: Vec<String>,
    #[serde(default)]
    variants: Vec<VariantEntry>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantEntry {
    name: String,
    source: String,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UncertainEntry {
    name: String,
    source: String,
    possibly: String,
    possibly_source: String,
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistinctEntry {
    names: Vec<String>,
    sources: Vec<String>,
    note: String,
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

/// `forms/aliases.toml`, checked.
#[derive(Clone, Debug, Default)]
pub struct AliasTable {
    groups: Vec<AliasGroup>,
    group_of_key: HashMap<String, usize>,
    uncertain: Vec<UncertainName>,
    uncertain_of_key: HashMap<String, usize>,
    distinct_groups_of_key: HashMap<String, Vec<usize>>,
}

impl AliasTable {
    pub fn parse(toml_text: &str) -> Result<Self, AliasTableError> {
        let file: AliasFile = toml::from_str(toml_text)?;
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

/// Builds the in-memory ledger from an award list (CSV text in the shape of
/// `forms/awards/awards-r4-r7.csv`) and the alias table (`forms/aliases.toml` text).
/// `frame_code(fiscal_year, printed_frame)` maps a printed frame label to its code.
///
/// Organisations are numbered from 1 in order of first appearance. Rows that would go to
/// review stay on organisations of their own (never merged) and are counted in `queued`.
pub fn ledger_from_award_list(
    csv: &str,
    aliases_toml: &str,
    frame_code: &dyn Fn(i32, &str) -> Option<String>,
) -> Result<(Ledger, ReconcileReport), AwardListError> {
    let aliases = AliasTable::parse(aliases_toml)?;
    let rows = parse_award_list(csv, frame_code)?;
    let plan = reconcile(&rows, &[], &aliases);
    let mut ledger = ledger_from_plan(&plan, &rows);
    note_uncertain_names(&mut ledger, &aliases);
    Ok((ledger, plan.report))
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

    const AWARDS: &str = include_str!("../../forms/awards/awards-r4-r7.csv");
    const ALIASES: &str = include_str!("../../forms/aliases.toml");
    const HEADER: &str =
        "award_id,fiscal_year,fiscal_year_label,frame,law_path,listed_as,role,seed_ref\n";

    fn frame_code(_fiscal_year: i32, printed: &str) -> Option<String> {
        let code = match printed {
            "(単一枠)" => "single",
            "通常枠" => "standard",
            "地域企業共同戦略枠" => "joint_strategy",
            "一般枠" => "general",
            "働き方改革推進枠" => "work_style_reform",
            "右腕人材枠" => "right_hand",
            "法制度連携枠" => "legal_linkage",
            _ => return None,
        };
        Some(code.to_owned())
    }

    fn ledger() -> (Ledger, ReconcileReport) {
        match ledger_from_award_list(AWARDS, ALIASES, &frame_code) {
            Ok(built) => built,
            Err(error) => panic!("{error}"),
        }
    }

    fn rows_of(csv_text: &str) -> Vec<AwardRow> {
        match parse_award_list(csv_text, &frame_code) {
            Ok(rows) => rows,
            Err(error) => panic!("{error}"),
        }
    }

    fn table() -> AliasTable {
        match AliasTable::parse(ALIASES) {
            Ok(table) => table,
            Err(error) => panic!("{error}"),
        }
    }

    /// The one organisation a name finds in the ledger.
    fn only(ledger: &Ledger, name: &str) -> OrganisationId {
        match ledger.find(None, &org_key(name)) {
            [id] => *id,
            found => panic!("{name}: expected one organisation, found {found:?}"),
        }
    }

    /// (fiscal year, frame) of every award of the organisation a name finds, sorted.
    fn awards(ledger: &Ledger, name: &str) -> Vec<(i32, String)> {
        let mut awards: Vec<(i32, String)> = ledger
            .awards_of(only(ledger, name))
            .iter()
            .map(|recorded| (recorded.award.fiscal_year, recorded.award.frame.clone()))
            .collect();
        awards.sort();
        awards
    }

    fn year_frames(expected: &[(i32, &str)]) -> Vec<(i32, String)> {
        expected
            .iter()
            .map(|(year, frame)| (*year, (*frame).to_owned()))
            .collect()
    }

    /// Persists a plan the way the database importer would, into known organisations.
    fn apply(plan: &ReconcilePlan, known: &mut Vec<KnownOrganisation>) {
        let first_new_id = i64::try_from(known.len()).unwrap_or(0) + 1;
        let id_of = |reference: OrgRef| match reference {
            OrgRef::Existing(id) => id,
            OrgRef::New(new) => OrganisationId(first_new_id + i64::try_from(new).unwrap_or(0)),
        };
        for (new, organisation) in plan.organisations_to_create.iter().enumerate() {
            known.push(KnownOrganisation {
                id: id_of(OrgRef::New(new)),
                corporate_number: organisation.corporate_number.clone(),
                canonical_name: organisation.canonical_name.clone(),
                aliases: organisation.aliases.clone(),
                award_ids: Vec::new(),
            });
        }
        let position = |known: &[KnownOrganisation], id: OrganisationId| {
            known.iter().position(|organisation| organisation.id == id)
        };
        for (id, name) in &plan.names_to_add {
            if let Some(at) = position(known, *id) {
                known[at].aliases.push(name.clone());
            }
        }
        for (id, number) in &plan.corporate_numbers_to_record {
            if let Some(at) = position(known, *id) {
                known[at].corporate_number = Some(number.clone());
            }
        }
        for member in &plan.award_members {
            if let Some(at) = position(known, id_of(member.organisation)) {
                known[at].award_ids.push(member.award_id.clone());
            }
        }
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

    fn row_csv(lines: &[&str]) -> String {
        let mut text = HEADER.to_owned();
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    fn sole(award_id: &str, name: &str) -> String {
        format!("{award_id},2024,R6,一般枠,,{name},sole,test:1")
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

    // --- the real award list -----------------------------------------------------------------

    #[test]
    fn the_award_list_has_115_awards_and_135_member_rows() {
        let rows = rows_of(AWARDS);
        assert_eq!(rows.len(), 135);
        let award_ids: HashSet<&str> = rows.iter().map(|row| row.award_id.as_str()).collect();
        assert_eq!(award_ids.len(), 115);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].frame, "single");
        let kazami = &rows[134];
        assert_eq!(kazami.listed_as, "合同会社K A Z A M I");
        assert_eq!(kazami.law_path.as_deref(), Some("two_region_residence"));
    }

    #[test]
    fn the_award_list_reconciles_to_89_organisations() {
        let (ledger, report) = ledger();
        assert_eq!(ledger.organisation_count(), 89);
        // 88 organisations created with confidence, one row queued (株式会社えぼく, R6), and the
        // other 46 rows matched to organisations met earlier in the list.
        assert_eq!(
            report,
            ReconcileReport {
                matched: 46,
                created: 88,
                queued: 1,
                new_organisations: 89,
                new_award_members: 135,
            }
        );
    }

    #[test]
    fn every_confirmed_variant_finds_its_canonical_organisation() {
        let (ledger, _) = ledger();
        let variants = [
            ("株式会社御祓川", "株式会社御祇川"),
            ("株式会社Link and Visible", "株式会社link and Visible"),
            (
                "株式会社セキショウキャリアプラス",
                "株式会社セキシウキャリアプラス",
            ),
            ("株式会社クラビズ", "株式会社クラブズ"),
            ("株式会社クオントム", "株式会社クォンタム"),
            ("株式会社地方創生推進協同機構", "株式会社地方創生推進機構"),
            (
                "一般財団法人箱根町観光協会",
                "箱根DMO（一般社団法人箱根町観光協会）",
            ),
            (
                "一般財団法人箱根町観光協会",
                "箱根DMO（一般財団法人箱根町観光協会）",
            ),
            (
                "一般財団法人箱根町観光協会",
                "箱根DMO(一般財団法人箱根町観光協会)",
            ),
            (
                "一般財団法人箱根町観光協会",
                "一般財団法人箱根町観光協会（箱根DMO）",
            ),
            ("一般財団法人箱根町観光協会", "箱根DMO"),
            ("一般社団法人まちと人と", "一般財団法人まちと人と"),
            (
                "株式会社ボルテックスセイグン",
                "株式会社バルテックスセイグン",
            ),
            ("株式会社ボルテックスセイグン", "（株）ボルテックスセイグン"),
            (
                "協同組合マルチワーカージョブステーション鰺ヶ沢",
                "協同組合マルチワーカージョブステーション鰯ヶ沢",
            ),
            ("合同会社KAZAMI", "合同会社K A Z A M I"),
            ("特定非営利活動法人MEGURU", "NPO法人MEGURU"),
            ("特定非営利活動法人MEGURU", "NPO 法人 MEGURU"),
            ("株式会社LERIRO", "株式会社LeRIRO"),
            ("株式会社LERIRO", "LeRiRO"),
        ];
        for (canonical, variant) in variants {
            assert_eq!(
                only(&ledger, variant),
                only(&ledger, canonical),
                "{variant} should be {canonical}"
            );
        }
    }

    #[test]
    fn the_uncertain_name_is_queued_and_kept_apart() {
        let rows = rows_of(AWARDS);
        let plan = reconcile(&rows, &[], &table());
        let item = review_of(&plan, "株式会社えぼく");
        assert!(matches!(
            &item.reason,
            ReviewReason::UncertainName { possibly, .. } if possibly == "株式会社えぽっく"
        ));
        let Some(OrgRef::New(holder)) = item.holder else {
            panic!("えぼく should hold its award on a provisional organisation");
        };
        assert!(plan.organisations_to_create[holder].provisional);
        assert_eq!(plan.review_items().count(), 1);

        // Its two awards (R6 一般枠 A7 and R7 右腕 A8, both with シンカゼ) stay on it, and
        // 株式会社えぽっく is not merged into it.
        let (ledger, _) = ledger();
        assert_eq!(
            awards(&ledger, "株式会社えぼく"),
            year_frames(&[(2024, "general"), (2025, "right_hand")])
        );
        assert!(ledger.find(None, &org_key("株式会社えぽっく")).is_empty());
    }

    #[test]
    fn organisations_the_data_keeps_apart_stay_apart() {
        let (ledger, _) = ledger();
        let islands = [
            only(&ledger, "隠岐汽船株式会社"),
            only(&ledger, "一般社団法人海士町観光協会"),
            only(&ledger, "一般財団法人島前ふるさと魅力化財団"),
        ];
        assert_ne!(islands[0], islands[1]);
        assert_ne!(islands[1], islands[2]);
        assert_ne!(islands[0], islands[2]);
        only(&ledger, "株式会社つばめいと");
        assert!(
            ledger
                .find(None, &org_key("公益社団法人つばめいと"))
                .is_empty()
        );
    }

    #[test]
    fn award_counts_of_the_worked_examples() {
        let (ledger, _) = ledger();
        assert_eq!(
            awards(&ledger, "一般社団法人ドット道東"),
            year_frames(&[
                (2022, "single"),
                (2023, "standard"),
                (2024, "general"),
                (2025, "right_hand"),
            ])
        );
        assert_eq!(
            awards(&ledger, "株式会社御祓川"),
            year_frames(&[(2022, "single"), (2023, "joint_strategy")])
        );
        assert_eq!(
            awards(&ledger, "株式会社御祇川"),
            awards(&ledger, "株式会社御祓川")
        );
        assert_eq!(
            awards(&ledger, "一般社団法人COCORO"),
            year_frames(&[(2025, "legal_linkage")])
        );
        assert_eq!(
            awards(&ledger, "株式会社ガクトラボ"),
            year_frames(&[
                (2022, "single"),
                (2023, "joint_strategy"),
                (2024, "general"),
                (2025, "legal_linkage"),
            ])
        );
        assert_eq!(
            awards(&ledger, "箱根DMO"),
            year_frames(&[
                (2023, "joint_strategy"),
                (2024, "general"),
                (2025, "legal_linkage"),
            ])
        );
    }

    #[test]
    fn every_member_of_a_joint_award_accrues_it() {
        let (ledger, _) = ledger();
        for name in [
            "特定非営利活動法人プラットフォームあおもり",
            "株式会社マルジンサンアップル",
            "有限会社金子ファーム",
            "協同組合マルチワーカージョブステーション鰺ヶ沢",
        ] {
            let ids: Vec<String> = ledger
                .awards_of(only(&ledger, name))
                .iter()
                .map(|recorded| recorded.award.award_id.clone())
                .collect();
            assert!(
                ids.iter().any(|id| id == "R6-働き方改革推進枠-B2"),
                "{name}: {ids:?}"
            );
        }
        // 一般社団法人フィッシャーマン・ジャパン: R4, R5 (co-applicant), R6 B5, R7 A7.
        assert_eq!(
            awards(&ledger, "一般社団法人フィッシャーマン・ジャパン").len(),
            4
        );
    }

    #[test]
    fn a_second_run_over_the_same_rows_adds_nothing() {
        let rows = rows_of(AWARDS);
        let aliases = table();
        let mut store = Vec::new();
        let first = reconcile(&rows, &store, &aliases);
        apply(&first, &mut store);
        assert_eq!(store.len(), 89);

        let second = reconcile(&rows, &store, &aliases);
        assert!(second.organisations_to_create.is_empty());
        assert!(second.award_members.is_empty());
        assert!(second.awards.is_empty());
        assert!(second.names_to_add.is_empty());
        assert!(second.corporate_numbers_to_record.is_empty());
        assert_eq!(
            second.review_items().count(),
            0,
            "the review is already filed"
        );
        assert_eq!(
            second.report,
            ReconcileReport {
                matched: 135,
                ..ReconcileReport::default()
            }
        );

        apply(&second, &mut store);
        let award_memberships: usize = store.iter().map(|org| org.award_ids.len()).sum();
        assert_eq!(award_memberships, 135);
    }

    #[test]
    fn rows_repeated_within_one_run_add_nothing() {
        let rows = rows_of(AWARDS);
        let twice: Vec<AwardRow> = rows.iter().chain(&rows).cloned().collect();
        let plan = reconcile(&twice, &[], &table());
        assert_eq!(plan.organisations_to_create.len(), 89);
        assert_eq!(plan.award_members.len(), 135);
        assert_eq!(plan.awards.len(), 115);
    }

    // --- decisions against known organisations --------------------------------------------

    #[test]
    fn another_legal_form_of_the_same_core_goes_to_review() {
        let rows = rows_of(&row_csv(&[&sole("A1", "一般財団法人ドット道東")]));
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
        let rows = rows_of(&row_csv(&[&sole("A1", "株式会社御祇川")]));
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
        let rows = rows_of(&row_csv(&[&sole("A1", "株式会社御祇川")]));
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
        let rows = rows_of(&row_csv(&[
            &sole("A1", "株式会社つばめいと"),
            &sole("A2", "公益社団法人つばめいと"),
        ]));
        let plan = reconcile(&rows, &[], &table());
        assert_eq!(plan.report.created, 2);
        assert_eq!(plan.report.queued, 0);

        // Without the table the same pair is a question for a person.
        let plan = reconcile(&rows, &[], &AliasTable::default());
        assert_eq!(plan.report.queued, 1);
    }

    #[test]
    fn short_cores_a_few_characters_apart_are_different_towns() {
        let rows = rows_of(&row_csv(&[
            &sole("A1", "三島信用金庫"),
            &sole("A2", "米子信用金庫"),
        ]));
        let plan = reconcile(&rows, &[], &AliasTable::default());
        assert_eq!(plan.report.created, 2);
    }

    #[test]
    fn a_corporate_number_is_the_identity() {
        let text = format!(
            "{}corporate_number\nA1,2024,R6,一般枠,,株式会社ミソギガワ,sole,test:1,1234567890123\n",
            HEADER.trim_end().to_owned() + ","
        );
        let rows = rows_of(&text);
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
        let text = format!(
            "{}corporate_number\nA1,2024,R6,一般枠,,株式会社御祓川,sole,test:1,1234567890123\n",
            HEADER.trim_end().to_owned() + ","
        );
        let rows = rows_of(&text);
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
        let text = format!(
            "{}corporate_number\nA1,2024,R6,一般枠,,株式会社御祓川,sole,test:1,1234567890123\n",
            HEADER.trim_end().to_owned() + ","
        );
        let plan = reconcile(&rows_of(&text), &[known(3, "株式会社御祓川")], &table());
        assert_eq!(
            plan.corporate_numbers_to_record,
            [(OrganisationId(3), "1234567890123".to_owned())]
        );
    }

    #[test]
    fn a_name_that_already_names_several_organisations_is_not_guessed() {
        let rows = rows_of(&row_csv(&[&sole("A1", "株式会社あわわ")]));
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
        let rows = rows_of(&row_csv(&[&sole("A1", "箱根DMO（株式会社箱根観光）")]));
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
        let rows = rows_of(&row_csv(&[&sole("A1", "株式会社えぼく")]));
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
        let rows = rows_of(&row_csv(&[&sole("A1", "株式会社えぼく")]));
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

    // --- errors in the award list ---------------------------------------------------------

    fn error_of(csv_text: &str) -> String {
        match parse_award_list(csv_text, &frame_code) {
            Ok(rows) => panic!("accepted: {rows:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn faults_are_explained_in_japanese_with_line_and_column() {
        let explain = |text: &str| match parse_award_list(text, &frame_code) {
            Ok(rows) => panic!("accepted: {rows:?}"),
            Err(error) => error.explain_ja(),
        };
        let role = explain(&row_csv(&[
            &sole("A1", "株式会社あわわ"),
            "A2,2024,R6,一般枠,,株式会社イードア,leader,test:2",
        ]));
        assert_eq!(
            role,
            "3行目（列 role）: 「leader」は sole、lead、co-applicant のいずれでもありません"
        );
        let short = explain(&row_csv(&["A1,2024,R6,一般枠,,株式会社あわわ,sole"]));
        assert!(short.starts_with("2行目: 列の数が 7 個です"), "{short}");
        let header = explain("award_id,year\nA1,2024\n");
        assert!(header.starts_with("1行目（見出し行）"), "{header}");
        // Bytes that are not UTF-8 (Shift_JIS from Excel) on the third line.
        let mut bytes = row_csv(&[&sole("A1", "株式会社あわわ")]).into_bytes();
        bytes.extend_from_slice(b"A2,2024,R6,\x88\xea\x94\xca\x98\x67,,x,sole,t\n");
        let not_utf8 = decode_award_list(&bytes).map(str::len);
        assert!(
            matches!(&not_utf8, Err(error) if error.explain_ja().starts_with("3行目: UTF-8 ではない")),
            "{not_utf8:?}"
        );
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), HEADER.as_bytes()].concat();
        assert_eq!(decode_award_list(&with_bom).ok(), Some(HEADER));
    }

    #[test]
    fn a_resolution_cannot_join_names_the_table_keeps_apart() {
        let table = AliasTable::parse(ALIASES).expect("aliases");
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
    fn an_unknown_frame_names_its_line() {
        let message = error_of(&row_csv(&[
            &sole("A1", "株式会社あわわ"),
            "A2,2024,R6,特別枠,,株式会社イードア,sole,test:2",
        ]));
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("特別枠"), "{message}");
    }

    #[test]
    fn line_numbers_hold_with_crlf_line_ends() {
        let text = row_csv(&[
            &sole("A1", "株式会社あわわ"),
            "A2,2024,R6,特別枠,,株式会社イードア,sole,test:2",
        ])
        .replace('\n', "\r\n");
        let message = error_of(&text);
        assert!(message.contains("line 3"), "{message}");
    }

    #[test]
    fn bad_rows_name_their_line_and_fault() {
        let cases = [
            ("A1,2024,R6,一般枠,,株式会社あわわ,leader,test:1", "role"),
            (
                "A1,20x4,R6,一般枠,,株式会社あわわ,sole,test:1",
                "fiscal_year",
            ),
            (
                "A1,2024,R5,一般枠,,株式会社あわわ,sole,test:1",
                "fiscal_year_label",
            ),
            ("A1,2024,R6,一般枠,,,sole,test:1", "listed_as is empty"),
            (
                "A1,2024,R6,一般枠,④謎の法律,株式会社あわわ,sole,test:1",
                "law_path",
            ),
            (
                "A1,2024,R6,一般枠,,株式会社あわわ,sole",
                "7 fields where the header has 8",
            ),
            (
                ",2024,R6,一般枠,,株式会社あわわ,sole,test:1",
                "award_id is empty",
            ),
        ];
        for (line, expected) in cases {
            let message = error_of(&row_csv(&[line]));
            assert!(message.contains("line 2"), "{line}: {message}");
            assert!(message.contains(expected), "{line}: {message}");
        }
    }

    #[test]
    fn award_membership_must_make_sense() {
        let cases = [
            (
                vec![
                    "A1,2024,R6,一般枠,,株式会社あわわ,sole,test:1",
                    "A1,2024,R6,一般枠,,株式会社イードア,co-applicant,test:1",
                ],
                "role sole",
            ),
            (
                vec![
                    "A1,2024,R6,一般枠,,株式会社あわわ,co-applicant,test:1",
                    "A1,2024,R6,一般枠,,株式会社イードア,co-applicant,test:1",
                ],
                "0 leads",
            ),
            (
                vec!["A1,2024,R6,一般枠,,株式会社あわわ,lead,test:1"],
                "no other member",
            ),
            (
                vec![
                    "A1,2024,R6,一般枠,,株式会社あわわ,lead,test:1",
                    "A1,2024,R6,一般枠,,(株)あわわ,co-applicant,test:1",
                ],
                "listed twice",
            ),
            (
                vec![
                    "A1,2024,R6,一般枠,,株式会社あわわ,lead,test:1",
                    "A1,2025,R7,右腕人材枠,,株式会社イードア,co-applicant,test:1",
                ],
                "another fiscal year",
            ),
        ];
        for (lines, expected) in cases {
            let message = error_of(&row_csv(&lines));
            assert!(message.contains(expected), "{lines:?}: {message}");
            assert!(message.contains("line "), "{lines:?}: {message}");
        }
    }

    #[test]
    fn a_wrong_header_is_refused() {
        let message = error_of("award_id,year,listed_as\nA1,2024,株式会社あわわ\n");
        assert!(message.contains("header"), "{message}");
    }

    #[test]
    fn a_corporate_number_must_be_13_digits() {
        let text = format!(
            "{}corporate_number\nA1,2024,R6,一般枠,,株式会社あわわ,sole,test:1,12345\n",
            HEADER.trim_end().to_owned() + ","
        );
        let message = error_of(&text);
        assert!(
            message.contains("line 2") && message.contains("13"),
            "{message}"
        );
    }

    #[test]
    fn ledger_from_award_list_reports_a_bad_row() {
        let text = row_csv(&["A1,2024,R6,謎枠,,株式会社あわわ,sole,test:1"]);
        let Err(error) = ledger_from_award_list(&text, ALIASES, &frame_code) else {
            panic!("accepted an unknown frame");
        };
        assert!(error.to_string().contains("line 2"), "{error}");
    }

    // --- errors in the alias table --------------------------------------------------------

    fn alias_error(toml_text: &str) -> String {
        match AliasTable::parse(toml_text) {
            Ok(_) => panic!("accepted: {toml_text}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn the_alias_table_parses() {
        let table = table();
        assert_eq!(table.groups().len(), 13);
        assert_eq!(table.uncertain().len(), 1);
        assert!(table.are_distinct(
            &org_key("株式会社つばめいと"),
            &org_key("公益社団法人つばめいと")
        ));
        assert!(!table.are_distinct(
            &org_key("株式会社つばめいと"),
            &org_key("株式会社つばめいと")
        ));
        let hakone = table.group_of(&org_key("箱根DMO(一般社団法人箱根町観光協会)"));
        assert_eq!(
            hakone.map(|group| group.canonical.as_str()),
            Some("一般財団法人箱根町観光協会")
        );
    }

    #[test]
    fn unknown_keys_in_the_alias_table_are_refused() {
        let message = alias_error(
            "[[alias]]\ncanonical = \"株式会社A\"\nsource = \"x:1\"\ncanonicle = \"typo\"\n",
        );
        assert!(message.contains("canonicle"), "{message}");
    }

    #[test]
    fn contradictions_in_the_alias_table_are_refused() {
        let in_two_groups = alias_error(
            "[[alias]]\ncanonical = \"株式会社A\"\nsource = \"x:1\"\nvariants = [{ name = \"株式会社B\", source = \"x:2\" }]\n\
             [[alias]]\ncanonical = \"株式会社C\"\nsource = \"x:3\"\nvariants = [{ name = \"(株)B\", source = \"x:4\" }]\n",
        );
        assert!(in_two_groups.contains("both"), "{in_two_groups}");

        let distinct_alias = alias_error(
            "[[alias]]\ncanonical = \"株式会社A\"\nsource = \"x:1\"\nvariants = [{ name = \"株式会社B\", source = \"x:2\" }]\n\
             [[distinct]]\nnames = [\"株式会社A\", \"株式会社B\"]\nsources = [\"x:1\"]\nnote = \"n\"\n",
        );
        assert!(distinct_alias.contains("contradicts"), "{distinct_alias}");

        let uncertain_alias = alias_error(
            "[[alias]]\ncanonical = \"株式会社A\"\nsource = \"x:1\"\nvariants = [{ name = \"株式会社B\", source = \"x:2\" }]\n\
             [[uncertain]]\nname = \"株式会社B\"\nsource = \"x:2\"\npossibly = \"株式会社A\"\npossibly_source = \"x:1\"\nnote = \"n\"\n",
        );
        assert!(uncertain_alias.contains("uncertain"), "{uncertain_alias}");

        let same_key = alias_error(
            "[[distinct]]\nnames = [\"株式会社A\", \"A株式会社\"]\nsources = [\"x:1\"]\nnote = \"n\"\n",
        );
        assert!(same_key.contains("cannot be told apart"), "{same_key}");

        let no_source = alias_error("[[alias]]\ncanonical = \"株式会社A\"\nsource = \" \"\n");
        assert!(no_source.contains("source"), "{no_source}");
    }
}
