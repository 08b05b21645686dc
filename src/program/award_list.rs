//! Reads an award list (`forms/awards/*.csv`, or an upload of the same shape): its text
//! (UTF-8, with or without a byte-order mark, or Shift_JIS as Excel writes it), its header and its records, with line numbers
//! that hold with CRLF line ends. What a row's values and an award's members must be is the
//! domain's (`domain::reconcile::check_row` and `check_awards`); this module knows the CSV.

use crate::domain::ledger::Ledger;
use crate::domain::reconcile::{
    AwardListError, AwardRow, PrintedRow, ReconcileReport, check_awards, check_row,
    ledger_from_rows,
};

use super::aliases::parse_alias_table;

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

/// How the bytes of an uploaded award list are to be read: as UTF-8 (with or without the
/// byte-order mark Excel's 「CSV UTF-8」 writes), as Shift_JIS (CP932, what Excel's plain
/// 「CSV（コンマ区切り）」 writes on a Japanese Windows), or whichever of the two it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListEncoding {
    /// Valid UTF-8 is UTF-8; anything else is read as Shift_JIS.
    #[default]
    Auto,
    Utf8,
    ShiftJis,
}

impl ListEncoding {
    pub const ALL: [ListEncoding; 3] = [Self::Auto, Self::Utf8, Self::ShiftJis];

    /// The stable code (`--encoding`, the page's select).
    pub fn code(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Utf8 => "utf-8",
            Self::ShiftJis => "shift_jis",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|encoding| encoding.code() == code)
    }

    /// As the upload page names it.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Auto => "自動判定",
            Self::Utf8 => "UTF-8",
            Self::ShiftJis => "Shift_JIS",
        }
    }
}

/// The text of an uploaded award list, read as `encoding` says. Bytes the encoding cannot
/// read are refused with their position (the first byte is 1) and line, and nothing is
/// guessed: Shift_JIS is decoded strictly (CP932, as `encoding_rs` maps it), without
/// replacement characters.
pub fn decode_award_list(
    bytes: &[u8],
    encoding: ListEncoding,
) -> Result<std::borrow::Cow<'_, str>, AwardListError> {
    use std::borrow::Cow;
    let unreadable = |position: usize, message: String, message_ja: String| {
        let before = bytes.get(..position).unwrap_or_default();
        AwardListError::Row {
            line: 1 + before.iter().filter(|&&byte| byte == b'\n').count(),
            column: None,
            message,
            message_ja,
        }
    };
    let as_shift_jis = || shift_jis(bytes).map(Cow::Owned);
    match encoding {
        ListEncoding::Utf8 => utf8(bytes).map(Cow::Borrowed).map_err(|position| {
            unreadable(
                position,
                format!("byte {} is not UTF-8", position + 1),
                format!(
                    "{} バイト目が UTF-8 として読めません。Shift_JIS で保存したファイルなら、文字コードに「Shift_JIS」か「自動判定」を選んでください",
                    position + 1
                ),
            )
        }),
        ListEncoding::ShiftJis => as_shift_jis().map_err(|position| {
            unreadable(
                position,
                format!("byte {} is not Shift_JIS", position + 1),
                format!(
                    "{} バイト目が Shift_JIS として読めません。UTF-8 で保存したファイルなら、文字コードに「UTF-8」か「自動判定」を選んでください",
                    position + 1
                ),
            )
        }),
        ListEncoding::Auto if bytes.starts_with(b"\xEF\xBB\xBF") => {
            // The byte-order mark says UTF-8.
            decode_award_list(bytes, ListEncoding::Utf8)
        }
        ListEncoding::Auto => match utf8(bytes) {
            Ok(text) => Ok(Cow::Borrowed(text)),
            Err(not_utf8) => as_shift_jis().map_err(|not_shift_jis| {
                // The reading that got further is the one the file more likely is.
                let position = not_utf8.max(not_shift_jis);
                unreadable(
                    position,
                    format!("byte {} is neither UTF-8 nor Shift_JIS", position + 1),
                    format!(
                        "{} バイト目が UTF-8 としても Shift_JIS としても読めません。Excel の場合は「CSV UTF-8（コンマ区切り）」で保存し直してください",
                        position + 1
                    ),
                )
            }),
        },
    }
}

/// The text without its byte-order mark, or the index of the first byte that is not UTF-8
/// (counted in `bytes`, the mark included).
fn utf8(bytes: &[u8]) -> Result<&str, usize> {
    let (mark, rest) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (3, rest),
        None => (0, bytes),
    };
    std::str::from_utf8(rest).map_err(|error| mark + error.valid_up_to())
}

/// Shift_JIS (CP932) decoded strictly, or the index of the first byte of the first sequence
/// it cannot read.
fn shift_jis(bytes: &[u8]) -> Result<String, usize> {
    use encoding_rs::DecoderResult;
    let mut decoder = encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling();
    let mut text = String::new();
    let mut done = 0usize;
    loop {
        let needed = decoder
            .max_utf8_buffer_length_without_replacement(bytes.len() - done)
            .unwrap_or(bytes.len() * 3);
        text.reserve(needed);
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[done..], &mut text, true);
        match result {
            DecoderResult::InputEmpty => return Ok(text),
            DecoderResult::Malformed(bad, after) => {
                return Err(done + read - usize::from(after) - usize::from(bad));
            }
            DecoderResult::OutputFull => done += read,
        }
    }
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

/// One record's values, by the columns of [`AWARD_LIST_COLUMNS`], for the domain's checks.
fn parse_row(
    record: &csv::StringRecord,
    line: usize,
    has_corporate_number: bool,
    frame_code: &dyn Fn(i32, &str) -> Option<String>,
) -> Result<AwardRow, AwardListError> {
    let field = |index: usize| record.get(index).unwrap_or_default();
    let printed = PrintedRow {
        line,
        award_id: field(0),
        fiscal_year: field(1),
        fiscal_year_label: field(2),
        frame: field(3),
        law_path: field(4),
        listed_as: field(5),
        role: field(6),
        seed_ref: field(7),
        // Read only under its own header.
        corporate_number: if has_corporate_number { field(8) } else { "" },
    };
    check_row(&printed, frame_code)
}

/// Builds the in-memory ledger from an award list (CSV text in the shape of
/// `forms/awards/awards-r4-r7.csv`) and the alias table (`forms/aliases.toml` text):
/// the domain's [`ledger_from_rows`] over what they hold. `frame_code(fiscal_year,
/// printed_frame)` maps a printed frame label to its code.
pub fn ledger_from_award_list(
    csv: &str,
    aliases_toml: &str,
    frame_code: &dyn Fn(i32, &str) -> Option<String>,
) -> Result<(Ledger, ReconcileReport), AwardListError> {
    let aliases = parse_alias_table(aliases_toml)?;
    let rows = parse_award_list(csv, frame_code)?;
    Ok(ledger_from_rows(&rows, &aliases))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::domain::ledger::OrganisationId;
    use crate::domain::names::org_key;
    use crate::domain::reconcile::fixtures::review_of;
    use crate::domain::reconcile::{
        AliasTable, KnownOrganisation, OrgRef, ReconcilePlan, ReviewReason, reconcile,
    };

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
        match parse_alias_table(ALIASES) {
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
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), HEADER.as_bytes()].concat();
        for encoding in [ListEncoding::Auto, ListEncoding::Utf8] {
            assert_eq!(
                decode_award_list(&with_bom, encoding).ok().as_deref(),
                Some(HEADER)
            );
        }
    }

    #[test]
    fn shift_jis_as_excel_writes_it_reads_as_the_same_text() {
        // CP932's own characters among them: ㈱ and ① (NEC), 髙 (IBM).
        let text = row_csv(&[
            &sole("A1", "㈱あわわ"),
            &sole("A2", "髙橋商店①"),
            &sole("A3", "ｱﾜﾜ株式会社"),
        ]);
        let (encoded, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&encoded).is_err(), "not UTF-8 as well");
        for encoding in [ListEncoding::Auto, ListEncoding::ShiftJis] {
            assert_eq!(
                decode_award_list(&encoded, encoding).ok().as_deref(),
                Some(text.as_str()),
                "{encoding:?}"
            );
        }
        // UTF-8 chosen: refused at the first byte of ㈱ on the second line.
        let refused = decode_award_list(&encoded, ListEncoding::Utf8).map(|text| text.len());
        let first_bad = encoded
            .iter()
            .position(|byte| !byte.is_ascii())
            .expect("a non-ASCII byte");
        assert_eq!(
            refused.map_err(|error| error.explain_ja()),
            Err(format!(
                "2行目: {} バイト目が UTF-8 として読めません。Shift_JIS で保存したファイルなら、文字コードに「Shift_JIS」か「自動判定」を選んでください",
                first_bad + 1
            ))
        );
        // UTF-8 read as Shift_JIS: refused, not turned into mojibake.
        let chosen_wrongly = decode_award_list(text.as_bytes(), ListEncoding::ShiftJis);
        assert!(
            matches!(&chosen_wrongly, Err(error) if error.explain_ja().contains("Shift_JIS として読めません")),
            "{chosen_wrongly:?}"
        );
        // And UTF-8 is UTF-8 when left to the detection.
        assert_eq!(
            decode_award_list(text.as_bytes(), ListEncoding::Auto)
                .ok()
                .as_deref(),
            Some(text.as_str())
        );
    }

    #[test]
    fn bytes_neither_encoding_reads_are_refused_with_their_position() {
        let refused = |bytes: &[u8]| {
            decode_award_list(bytes, ListEncoding::Auto)
                .map(|text| text.len())
                .map_err(|error| error.explain_ja())
        };
        // 一般 in Shift_JIS, then 0xFF, which neither encoding has: Shift_JIS reads further.
        assert_eq!(
            refused(b"award_id\n\x88\xea\x94\xca\xff\n"),
            Err("2行目: 14 バイト目が UTF-8 としても Shift_JIS としても読めません。Excel の場合は「CSV UTF-8（コンマ区切り）」で保存し直してください".to_owned())
        );
        // UTF-8 lines, then Shift_JIS on the third: UTF-8 reads further, to the third line.
        let mut bytes = row_csv(&[&sole("A1", "株式会社あわわ")]).into_bytes();
        let third_line = bytes.len();
        bytes.extend_from_slice(b"A2,2024,R6,\x88\xea\x94\xca,,x,sole,t\n");
        let position = third_line + "A2,2024,R6,".len() + 1;
        assert_eq!(
            refused(&bytes),
            Err(format!(
                "3行目: {position} バイト目が UTF-8 としても Shift_JIS としても読めません。Excel の場合は「CSV UTF-8（コンマ区切り）」で保存し直してください"
            ))
        );
        // A byte-order mark says UTF-8: what follows is not read as Shift_JIS.
        let marked = [b"\xEF\xBB\xBF".as_slice(), "award_id\n一般".as_bytes()].concat();
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("一般");
        let marked_sjis = [marked[..12].to_vec(), sjis.into_owned()].concat();
        assert!(decode_award_list(&marked, ListEncoding::Auto).is_ok());
        let refused = decode_award_list(&marked_sjis, ListEncoding::Auto);
        assert!(
            matches!(&refused, Err(error) if error.explain_ja().starts_with("2行目: 13 バイト目が UTF-8 として読めません")),
            "{refused:?}"
        );
        for code in ["auto", "utf-8", "shift_jis"] {
            assert_eq!(
                ListEncoding::from_code(code).map(ListEncoding::code),
                Some(code)
            );
        }
        assert_eq!(ListEncoding::from_code("latin1"), None);
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

    #[test]
    fn each_column_at_fault_is_named_as_the_header_names_it() {
        let member = [
            "A1",
            "2024",
            "R6",
            "一般枠",
            "",
            "株式会社あわわ",
            "sole",
            "test:1",
        ];
        for (index, column) in AWARD_LIST_COLUMNS.iter().enumerate() {
            if *column == "law_path" {
                continue; // empty unless the award is of 法制度連携枠
            }
            let mut fields = member;
            fields[index] = "";
            match parse_award_list(&row_csv(&[&fields.join(",")]), &frame_code) {
                Err(AwardListError::Row {
                    column: Some(named),
                    ..
                }) => assert_eq!(named, *column),
                other => panic!("{column} empty: {other:?}"),
            }
        }
    }
}
