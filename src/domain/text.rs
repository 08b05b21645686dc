//! What free text a person may enter: how long each kind of text may be, and which characters
//! never belong in it. A NUL cannot be stored in PostgreSQL at all; other control characters,
//! bidirectional overrides and zero-width characters make a name or a title look like
//! something it is not (「株式会社\u{202E}ABC」 shows reversed), so they are refused with the
//! field's name rather than silently stored.

use super::validation::{ErrorCode, FieldErrors};

/// How many characters (Unicode scalar values) a kind of text may have, and whether it may
/// span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextKind {
    pub max_chars: usize,
    pub multiline: bool,
}

/// Names of organisations, partners, activities, people; budget line descriptions.
pub const NAME: TextKind = TextKind {
    max_chars: 200,
    multiline: false,
};
/// An application's title (事業名).
pub const TITLE: TextKind = TextKind {
    max_chars: 200,
    multiline: false,
};
/// A KPI, a legal basis's evidence reference.
pub const SHORT_TEXT: TextKind = TextKind {
    max_chars: 1_000,
    multiline: true,
};
/// A reason given for an action (差戻し, 否認 …).
pub const REASON: TextKind = TextKind {
    max_chars: 4_000,
    multiline: true,
};
/// A report's body.
pub const REPORT: TextKind = TextKind {
    max_chars: 40_000,
    multiline: true,
};
/// A search box.
pub const QUERY: TextKind = TextKind {
    max_chars: 200,
    multiline: false,
};

/// At most this many activities in one application, and budget lines in all of them: more
/// than any real 事業計画 (the largest shipped demo has 4 and 12), few enough that every page
/// showing the application stays small.
pub const MAX_ACTIVITIES: usize = 30;
pub const MAX_BUDGET_LINES: usize = 300;

/// Why a text cannot be taken, in Japanese, naming the field by its label.
pub fn problem(text: &str, kind: TextKind, label: &str) -> Option<(ErrorCode, String)> {
    if let Some(bad) = text.chars().find(|c| !allowed(*c, kind.multiline)) {
        let what = if bad == '\0' {
            "NUL 文字".to_owned()
        } else {
            format!("U+{:04X}", u32::from(bad))
        };
        return Some((
            ErrorCode::InvalidCharacter,
            format!("{label}に使えない文字（{what}）が含まれています。取り除いてください"),
        ));
    }
    let chars = text.chars().count();
    (chars > kind.max_chars).then(|| {
        (
            ErrorCode::TooLong,
            format!(
                "{label}は {} 文字までです（{chars} 文字あります）",
                kind.max_chars
            ),
        )
    })
}

/// [`problem`], added to `errors` under `path`.
pub fn check(
    errors: &mut FieldErrors,
    path: impl Into<String>,
    text: &str,
    kind: TextKind,
    label: &str,
) {
    if let Some((code, message)) = problem(text, kind, label) {
        errors.add(path, code, message);
    }
}

/// Whether a spreadsheet would take `text`, put in a cell, for a formula (OWASP "CSV
/// injection": `=HYPERLINK(…)` or `@SUM(…)` in a line's 内容 would run when the export is
/// opened): it starts with `=`, `+`, `-`, `@`, a tab or a carriage return. A plain number
/// (`-5`, `+3`, `-1.5`) is not one: the spreadsheet reads the number it is and runs nothing.
/// The one rule of every export: the CSV writes such a cell behind a `'`, the workbook as a
/// text cell marked to stay text (`web::pages::officer`).
pub fn reads_as_formula(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') {
        return false;
    }
    !is_plain_number(text)
}

/// `-5`, `+3`, `-1.5`: a sign, digits, at most one point with digits after it.
fn is_plain_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

fn allowed(c: char, multiline: bool) -> bool {
    match c {
        '\t' | '\n' | '\r' => multiline,
        // Bidirectional embeddings, overrides and isolates.
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => false,
        // Zero-width spaces and joiners, word joiner, byte-order mark.
        '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' => false,
        c => !c.is_control(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_a_spreadsheet_would_run_is_a_formula_and_numbers_are_not() {
        for text in [
            "=HYPERLINK(\"x\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A9)",
            "\t=1",
            "\r=1",
            "-",
            "+",
            "-5円",
            "--5",
            "-1.",
            "-.5",
        ] {
            assert!(reads_as_formula(text), "{text:?}");
        }
        for text in [
            "",
            "-5",
            "+3",
            "-1.5",
            "0",
            "人件費",
            "コーディネーター =1",
            " =1",
            "'=1",
            "＝1",
        ] {
            assert!(!reads_as_formula(text), "{text:?}");
        }
    }

    #[test]
    fn japanese_text_with_its_punctuation_passes() {
        for text in [
            "株式会社えぼく",
            "塩尻 幹部人材インターンシップ（第２期）",
            "①②③・〜",
        ] {
            assert_eq!(problem(text, TITLE, "事業名"), None, "{text}");
        }
        assert_eq!(problem("一行目\n二行目\tタブ", REASON, "理由"), None);
    }

    #[test]
    fn nul_controls_bidi_and_zero_width_are_named() {
        let (code, message) = problem("事業\0名", TITLE, "事業名").expect("NUL refused");
        assert_eq!(code, ErrorCode::InvalidCharacter);
        assert_eq!(
            message,
            "事業名に使えない文字（NUL 文字）が含まれています。取り除いてください"
        );
        for (text, shown) in [
            ("株式会社\u{202E}ABC", "U+202E"),
            ("つばめ\u{200B}いと", "U+200B"),
            ("ベル\u{7}", "U+0007"),
            ("改行\nあり", "U+000A"),
        ] {
            let (code, message) = problem(text, NAME, "名称").expect(text);
            assert_eq!(code, ErrorCode::InvalidCharacter);
            assert!(message.contains(shown), "{message}");
        }
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        let at_limit = "あ".repeat(200);
        assert_eq!(problem(&at_limit, TITLE, "事業名"), None);
        let (code, message) = problem(&format!("{at_limit}い"), TITLE, "事業名").expect("too long");
        assert_eq!(code, ErrorCode::TooLong);
        assert_eq!(message, "事業名は 200 文字までです（201 文字あります）");
    }
}
