//! Loads and checks the programme definitions in `forms/programs/*.toml` into `domain::program`.
//!
//! The files are compiled into the binary ([`embedded`]) and can be overridden from a directory
//! ([`from_dir`]). Unknown keys, unknown codes, rates outside (0, 1], award ordinals without a
//! rate, duplicate years, frames or ordinals, and values without a `source` all stop the load
//! with an error that names the file and the key.

pub mod aliases;
pub mod award_list;
pub mod draft;
#[cfg(test)]
mod golden;
mod schema;

use std::path::Path;

use crate::domain::program::{Program, ProgramSet};

/// The programme files shipped with the binary, one per fiscal year.
const EMBEDDED: &[(&str, &str)] = &[
    ("2022.toml", include_str!("../../forms/programs/2022.toml")),
    ("2023.toml", include_str!("../../forms/programs/2023.toml")),
    ("2024.toml", include_str!("../../forms/programs/2024.toml")),
    ("2025.toml", include_str!("../../forms/programs/2025.toml")),
    ("2026.toml", include_str!("../../forms/programs/2026.toml")),
];

#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    #[error("{file}: TOML として読めません: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: {key}: {message}")]
    Rule {
        file: String,
        key: String,
        message: String,
    },
    #[error("{dir}: プログラム定義のディレクトリを読めません: {source}")]
    Io {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{dir}: プログラム定義のファイル（*.toml）がありません")]
    Empty { dir: String },
}

/// The programmes compiled into the binary.
pub fn embedded() -> Result<ProgramSet, ProgramError> {
    from_sources(EMBEDDED.iter().map(|(name, text)| (*name, *text)))
}

/// The programmes in `dir/*.toml`, replacing the embedded ones (for a programme manager's
/// corrections without a release).
pub fn from_dir(dir: &Path) -> Result<ProgramSet, ProgramError> {
    let io_error = |source| ProgramError::Io {
        dir: dir.display().to_string(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let path = entry.map_err(io_error)?.path();
        if path
            .extension()
            .is_some_and(|extension| extension == "toml")
        {
            let text = std::fs::read_to_string(&path).map_err(io_error)?;
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((name, text));
        }
    }
    if files.is_empty() {
        return Err(ProgramError::Empty {
            dir: dir.display().to_string(),
        });
    }
    files.sort();
    from_sources(
        files
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str())),
    )
}

/// Parses and checks `(file name, text)` pairs.
pub fn from_sources<'t>(
    files: impl IntoIterator<Item = (&'t str, &'t str)>,
) -> Result<ProgramSet, ProgramError> {
    let mut programs = Vec::new();
    let mut names = Vec::new();
    for (name, text) in files {
        programs.push(parse_program(name, text)?);
        names.push(name.to_owned());
    }
    ProgramSet::from_programs(programs).map_err(|year| ProgramError::Rule {
        file: names.join(", "),
        key: "fiscal_year".into(),
        message: format!("{}が 2 回定義されています", year),
    })
}

/// Parses one programme file.
pub fn parse_program(file: &str, text: &str) -> Result<Program, ProgramError> {
    let raw: schema::RawProgram = toml::from_str(text).map_err(|error| ProgramError::Invalid {
        file: file.to_owned(),
        message: error.to_string(),
    })?;
    let mut program = raw
        .into_program(rules_version_hash(text))
        .map_err(|(key, message)| ProgramError::Rule {
            file: file.to_owned(),
            key,
            message,
        })?;
    program.file_text = text.to_owned();
    Ok(program)
}

/// A draft of one year's rules (`hojokin impact`, the impact page): parsed and checked as a
/// programme file is, for a year that has rules in force (`base`, when given, must be it).
pub fn parse_draft(
    programs: &ProgramSet,
    file: &str,
    text: &str,
    base: Option<i32>,
) -> Result<Program, ProgramError> {
    let draft = parse_program(file, text)?;
    let refuse = |message: String| ProgramError::Rule {
        file: file.to_owned(),
        key: "fiscal_year".into(),
        message,
    };
    if let Some(base) = base
        && base != draft.fiscal_year.0
    {
        return Err(refuse(format!(
            "規則案は{}のものです（比較する年度 {} と一致しません）",
            draft.fiscal_year,
            crate::domain::calendar::FiscalYear(base)
        )));
    }
    if programs.get(draft.fiscal_year).is_none() {
        return Err(refuse(format!(
            "{}には現行の規則がありません",
            draft.fiscal_year
        )));
    }
    Ok(draft)
}

/// FNV-1a (64 bit) of the file text: stable across builds and platforms, unlike `Hash`.
fn rules_version_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl ProgramSet {
    /// The programmes compiled into the binary.
    pub fn embedded() -> Result<ProgramSet, ProgramError> {
        embedded()
    }

    /// The programmes in `dir/*.toml`.
    pub fn from_dir(dir: &Path) -> Result<ProgramSet, ProgramError> {
        from_dir(dir)
    }
}

/// The source register shipped in `forms/sources.toml`, read once. An unreadable register
/// (a broken build) gives an empty one: citations then show as the system's default.
pub fn source_register() -> &'static crate::domain::sources::SourceRegister {
    static REGISTER: std::sync::OnceLock<crate::domain::sources::SourceRegister> =
        std::sync::OnceLock::new();
    REGISTER.get_or_init(|| {
        toml::from_str(include_str!("../../forms/sources.toml")).unwrap_or_default()
    })
}

/// A raw citation as people read it, by the shipped register.
pub fn readable_source(raw: &str) -> String {
    source_register().readable(raw)
}

/// The award ledger of the lists shipped in `forms/awards/`, built in memory without a
/// database (for `hojokin evaluate --ledger shipped`, the benchmarks and the golden cases).
pub fn shipped_ledger(
    programs: &ProgramSet,
) -> Result<crate::domain::ledger::Ledger, crate::domain::reconcile::AwardListError> {
    // One list today; a second list would be appended to the same CSV shape.
    let (_, text) = crate::forms::AWARD_LISTS[0];
    award_list::ledger_from_award_list(text, crate::forms::ALIASES, &|fiscal_year, label| {
        programs.frame_code(fiscal_year, label)
    })
    .map(|(ledger, _report)| ledger)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::FiscalYear;
    use crate::domain::codes::Frame;
    use crate::domain::money::Yen;

    fn r8_text() -> &'static str {
        EMBEDDED
            .iter()
            .find(|(name, _)| *name == "2026.toml")
            .map(|(_, text)| *text)
            .unwrap_or_default()
    }

    #[test]
    fn embedded_programmes_load() {
        let set = embedded().expect("embedded programmes are valid");
        let years: Vec<i32> = set.iter().map(|program| program.fiscal_year.0).collect();
        assert_eq!(years, vec![2022, 2023, 2024, 2025, 2026]);
        let r8 = set.get(FiscalYear(2026)).expect("R8");
        assert!(r8.rules_version.starts_with("2026-"));
        assert_eq!(r8.rules_version.len(), "2026-".len() + 16);
        assert_eq!(r8.award_cap.as_ref().map(|cap| cap.value), Some(3));
    }

    #[test]
    fn printed_frame_labels_resolve() {
        let set = embedded().expect("valid");
        let cases = [
            (2022, "(単一枠)", "single"),
            (2022, "（単一枠）", "single"),
            (2023, "通常枠", "standard"),
            (2023, "地域企業共同戦略枠", "joint_strategy"),
            (2024, "一般枠", "general"),
            (2024, "働き方改革推進枠", "work_style_reform"),
            (2025, "右腕人材枠", "right_hand"),
            (2025, "法制度連携枠", "legal_linkage"),
            (2026, "右腕人材枠", "right_hand"),
            (2026, "legal_linkage", "legal_linkage"),
        ];
        for (year, label, code) in cases {
            assert_eq!(
                set.frame_code(year, label).as_deref(),
                Some(code),
                "{year} {label}"
            );
        }
        assert_eq!(set.frame_code(2024, "右腕人材枠"), None);
        assert_eq!(set.frame_code(2030, "右腕人材枠"), None);
    }

    #[test]
    fn r8_rates_follow_the_table() {
        let set = embedded().expect("valid");
        let r8 = set.get(FiscalYear(2026)).expect("R8");
        let rate = |frame, ordinal| {
            r8.frame(frame)
                .and_then(|rules| rules.rate_for(ordinal))
                .map(|step| step.rate.to_string())
        };
        assert_eq!(rate(Frame::RightHand, 1).as_deref(), Some("2/3"));
        assert_eq!(rate(Frame::RightHand, 2).as_deref(), Some("1/2"));
        assert_eq!(rate(Frame::RightHand, 3).as_deref(), Some("1/3"));
        assert_eq!(rate(Frame::LegalLinkage, 1).as_deref(), Some("1/2"));
        assert_eq!(rate(Frame::LegalLinkage, 2).as_deref(), Some("1/2"));
        assert_eq!(rate(Frame::LegalLinkage, 3).as_deref(), Some("1/3"));
        assert_eq!(rate(Frame::LegalLinkage, 4), None);
        let r7 = set.get(FiscalYear(2025)).expect("R7");
        let r7_rate = |frame, ordinal| {
            r7.frame(frame)
                .and_then(|rules| rules.rate_for(ordinal))
                .map(|step| step.rate.to_string())
        };
        assert_eq!(r7_rate(Frame::RightHand, 5).as_deref(), Some("2/3"));
        assert_eq!(r7_rate(Frame::LegalLinkage, 4).as_deref(), Some("1/3"));
    }

    fn expect_rule_error(text: &str, key_part: &str) {
        match parse_program("2026.toml", text) {
            Err(ProgramError::Rule { file, key, message }) => {
                assert_eq!(file, "2026.toml");
                assert!(key.contains(key_part), "key {key} ({message})");
            }
            other => panic!("expected a rule error at {key_part}, got {other:?}"),
        }
    }

    #[test]
    fn rejects_a_rate_above_one() {
        let text = r8_text().replacen(
            "{ ordinal = 1, numerator = 2, denominator = 3",
            "{ ordinal = 1, numerator = 4, denominator = 3",
            1,
        );
        expect_rule_error(&text, "rates");
    }

    #[test]
    fn rejects_an_ordinal_without_a_rate() {
        let text = r8_text().replacen("value = 3, source", "value = 4, source", 1);
        expect_rule_error(&text, "rates");
    }

    #[test]
    fn rejects_unknown_keys_and_codes() {
        let unknown_key = format!("{}\nsurprise = 1\n", r8_text());
        assert!(matches!(
            parse_program("2026.toml", &unknown_key),
            Err(ProgramError::Invalid { .. })
        ));
        let unknown_code = r8_text().replacen("code = \"right_hand\"", "code = \"left_hand\"", 1);
        match parse_program("2026.toml", &unknown_code) {
            Err(ProgramError::Invalid { file, message }) => {
                assert_eq!(file, "2026.toml");
                assert!(message.contains("left_hand"), "{message}");
            }
            other => panic!("expected an unknown code error, got {other:?}"),
        }
    }

    #[test]
    fn rejects_duplicate_frames_and_years() {
        let duplicate_frame =
            r8_text().replacen("code = \"legal_linkage\"", "code = \"right_hand\"", 1);
        expect_rule_error(&duplicate_frame, "frames");
        let text = r8_text();
        let error = from_sources([("a.toml", text), ("b.toml", text)]);
        assert!(matches!(error, Err(ProgramError::Rule { .. })));
    }

    #[test]
    fn the_years_budget_and_target_are_read_with_their_source() {
        let r8 = parse_program("2026.toml", r8_text()).expect("valid");
        let budget = r8.budget_yen.as_ref().expect("R8 budget");
        assert_eq!(budget.value, Yen::new(290_000_000));
        assert_eq!(
            budget.certainty,
            crate::domain::program::Certainty::Provisional
        );
        assert!(budget.source.contains("004_4db6bae2530d025b.txt:78"));
        assert_eq!(r8.target_awards.as_ref().map(|t| t.value), Some(30));
        let zero = r8_text().replacen("value = 290000000", "value = 0", 1);
        expect_rule_error(&zero, "budget_yen");
        let none = r8_text().replacen(
            "target_awards = { value = 30",
            "target_awards = { value = 0",
            1,
        );
        expect_rule_error(&none, "target_awards");
    }

    #[test]
    fn rejects_an_empty_source() {
        let text = r8_text().replacen(
            "source = \"004_4db6bae2530d025b.txt:131\"",
            "source = \"\"",
            1,
        );
        expect_rule_error(&text, "award_cap");
    }

    #[test]
    fn a_value_that_is_not_certain_needs_a_japanese_note() {
        let cap_note = "note = \"令和8年度の補助上限額は公募要領の公表前のため、令和7年度の額（13,000,000円）を暫定的に用いています。\"";
        assert!(r8_text().contains(cap_note));
        let without = r8_text().replacen(&format!(", {cap_note}"), "", 1);
        expect_rule_error(&without, "cap_yen");
        let english = r8_text().replacen(cap_note, "note = \"R7 value carried over\"", 1);
        expect_rule_error(&english, "cap_yen");
        let r8 = parse_program("2026.toml", r8_text()).expect("valid");
        let cap = &r8.frame(Frame::RightHand).expect("右腕").cap_yen;
        assert_eq!(
            cap.certainty,
            crate::domain::program::Certainty::Provisional
        );
    }

    #[test]
    fn loads_an_override_directory() {
        let dir = std::env::temp_dir().join(format!("hojokin-programs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("2026.toml"), r8_text()).expect("write");
        let set = from_dir(&dir).expect("loads");
        assert_eq!(set.iter().count(), 1);
        std::fs::remove_dir_all(&dir).expect("clean up");
        assert!(matches!(from_dir(&dir), Err(ProgramError::Io { .. })));
    }

    /// The golden case's request, evaluated under the R8 file changed by `edit`.
    fn decide_with(golden: &str, edit: impl Fn(&str) -> String) -> (bool, Vec<(String, String)>) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(golden);
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("golden")).expect("json");
        let program = parse_program("2026.toml", &edit(r8_text())).expect("valid");
        let application =
            crate::contract::parse_request_value(&case["request"]).expect("valid request");
        let ledger = crate::domain::ledger::Ledger::new();
        let decision = crate::domain::evaluation::evaluate(&application, &ledger, &program);
        let findings = decision
            .findings
            .iter()
            .map(|f| (f.code.to_owned(), format!("{:?}", f.severity)))
            .collect();
        (decision.eligible, findings)
    }

    #[test]
    fn departures_follow_the_year_file() {
        let unchanged = |text: &str| text.to_owned();
        let (eligible, findings) = decide_with("r8_legal_expires_during_project.json", unchanged);
        assert!(!eligible);
        assert!(findings.contains(&("legal_basis_expires_during_project".into(), "Error".into())));
        let (eligible, findings) = decide_with("r8_legal_expires_during_project.json", |text| {
            text.replacen(
                "legal_basis_expiring_during_project = { value = \"refuse\"",
                "legal_basis_expiring_during_project = { value = \"review\"",
                1,
            )
        });
        assert!(eligible, "{findings:?}");
        assert!(findings.contains(&(
            "legal_basis_expires_during_project".into(),
            "Warning".into()
        )));

        let (eligible, findings) = decide_with("r8_legal_path3_shinkin_holder.json", unchanged);
        assert!(eligible, "{findings:?}");
        let (eligible, findings) = decide_with("r8_legal_path3_shinkin_holder.json", |text| {
            text.replacen(
                "holder_kind_outside_list = { value = \"review\"",
                "holder_kind_outside_list = { value = \"refuse\"",
                1,
            )
        });
        assert!(!eligible);
        assert!(findings.contains(&("legal_basis_holder_kind".into(), "Error".into())));
    }

    #[test]
    fn the_source_register_names_every_cited_document() {
        let register: crate::domain::sources::SourceRegister =
            toml::from_str(include_str!("../../forms/sources.toml")).expect("valid register");
        assert_eq!(
            readable_source("004_4db6bae2530d025b.txt:134"),
            "経済産業省「地域の人事部について」（2026年1月） 134行"
        );
        // Every seed file and URL a programme file cites is registered.
        for (file, text) in EMBEDDED {
            for citation in text
                .split("source = \"")
                .skip(1)
                .filter_map(|piece| piece.split('"').next())
                .flat_map(|piece| piece.split(';'))
                .map(str::trim)
                .filter(|c| c.starts_with("http") || c.contains(".txt:"))
            {
                let head = citation.split([' ', ':']).next().unwrap_or_default();
                let head = if citation.starts_with("http") {
                    citation.split(' ').next().unwrap_or_default()
                } else {
                    head
                };
                assert!(
                    register
                        .sources
                        .iter()
                        .any(|entry| head.starts_with(&entry.key)),
                    "{file}: {citation} is not in forms/sources.toml"
                );
            }
        }
    }

    #[test]
    fn hash_is_fnv1a() {
        assert_eq!(rules_version_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(rules_version_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
