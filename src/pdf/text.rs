//! Text for the page: what the font can draw, how wide it is, and where lines may break.
//!
//! Japanese line breaking follows the usual 禁則処理: a line never starts with closing
//! brackets, 句読点 or small kana, and never ends with an opening bracket. Latin words and
//! numbers stay whole unless a single word is wider than the line.

/// Widths of characters in em (1.0 = the font size), and whether the font has a glyph.
pub trait Metrics {
    /// The advance of `c` in em, or `None` when the font has no glyph for it.
    fn advance(&self, c: char) -> Option<f32>;
}

/// Shown in place of a character the font cannot draw (〓, the 下駄記号 used in Japanese
/// print for exactly this), so that nothing disappears silently.
pub const REPLACEMENT: char = '〓';
/// Used when the font lacks even 〓.
pub const FALLBACK_REPLACEMENT: char = '?';

/// Metrics that need no font file: full-width for CJK, half-width for the rest, and no
/// glyph above the Basic Multilingual Plane (emoji). The layout snapshot tests use them so
/// that their expected files do not depend on which Japanese font is installed.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedMetrics;

impl Metrics for FixedMetrics {
    fn advance(&self, c: char) -> Option<f32> {
        if u32::from(c) > 0xFFFF {
            None
        } else if is_wide(c) {
            Some(1.0)
        } else {
            Some(0.5)
        }
    }
}

/// East Asian wide characters (approximately: the ranges hojokin's text uses).
fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6)
}

/// Text made safe to draw: control characters and characters without a glyph replaced by
/// [`REPLACEMENT`], each reported once in `missing`.
pub fn sanitize(text: &str, metrics: &dyn Metrics, missing: &mut Vec<char>) -> String {
    let replacement = if metrics.advance(REPLACEMENT).is_some() {
        REPLACEMENT
    } else {
        FALLBACK_REPLACEMENT
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let drawable = match c {
            '\n' => true,
            '\t' => {
                out.push(' ');
                continue;
            }
            c if c.is_control() => false,
            // Bidirectional overrides could make a printed name read differently from the
            // record ("Trojan source"): shown and reported like a missing glyph.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => false,
            // Zero-width and variation selectors carry nothing a reader of a filing needs.
            '\u{200B}'..='\u{200F}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' => {
                continue;
            }
            c => metrics.advance(c).is_some(),
        };
        if drawable {
            out.push(c);
        } else {
            if !missing.contains(&c) {
                missing.push(c);
            }
            out.push(replacement);
        }
    }
    out
}

/// The width of `text` in em.
pub fn width_em(text: &str, metrics: &dyn Metrics) -> f32 {
    text.chars()
        .map(|c| metrics.advance(c).unwrap_or(1.0))
        .sum()
}

/// May not begin a line (行頭禁則).
fn no_line_start(c: char) -> bool {
    matches!(
        c,
        '、' | '。'
            | '，'
            | '．'
            | ','
            | '.'
            | '）'
            | ')'
            | '」'
            | '』'
            | '】'
            | '〕'
            | '］'
            | ']'
            | '｝'
            | '}'
            | '〉'
            | '》'
            | '〙'
            | '〗'
            | '！'
            | '!'
            | '？'
            | '?'
            | '：'
            | ':'
            | '；'
            | ';'
            | '・'
            | 'ー'
            | '々'
            | '〻'
            | 'ゝ'
            | 'ゞ'
            | 'ヽ'
            | 'ヾ'
            | 'ぁ'
            | 'ぃ'
            | 'ぅ'
            | 'ぇ'
            | 'ぉ'
            | 'っ'
            | 'ゃ'
            | 'ゅ'
            | 'ょ'
            | 'ゎ'
            | 'ァ'
            | 'ィ'
            | 'ゥ'
            | 'ェ'
            | 'ォ'
            | 'ッ'
            | 'ャ'
            | 'ュ'
            | 'ョ'
            | 'ヮ'
            | 'ヵ'
            | 'ヶ'
            | '％'
            | '%'
            | '…'
            | '‥'
            | '〜'
            | '～'
            | '゛'
            | '゜'
            | '’'
            | '”'
    )
}

/// May not end a line (行末禁則).
fn no_line_end(c: char) -> bool {
    matches!(
        c,
        '（' | '('
            | '「'
            | '『'
            | '【'
            | '〔'
            | '［'
            | '['
            | '｛'
            | '{'
            | '〈'
            | '《'
            | '〘'
            | '〖'
            | '‘'
            | '“'
            | '￥'
            | '\\'
            | '＄'
            | '$'
    )
}

/// Letters and digits that form one word with their neighbours.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '_' | '@' | '/' | '\'' | '"' | '&' | '#' | '+' | '='
        )
        || ('\u{00C0}'..='\u{024F}').contains(&c)
}

/// Whether a line may break between `before` and `after`.
fn may_break_between(before: char, after: char) -> bool {
    if no_line_start(after) || no_line_end(before) {
        return false;
    }
    if before == ' ' || after == ' ' {
        return true;
    }
    // 4,350,000円, 1.5, file.txt:134: separators inside a number or a reference bind.
    if matches!(before, ',' | '.' | ':') && after.is_ascii_alphanumeric() {
        return false;
    }
    !(is_word_char(before) && is_word_char(after))
}

/// At most this many characters hang past the line's end to honour 禁則.
const MAX_HANG: usize = 4;

/// Breaks `text` into lines no wider than `max_em` (in em). Explicit newlines start new
/// lines. A word wider than a whole line is split where it must be; a line always holds at
/// least one character, so this always terminates.
pub fn break_lines(text: &str, max_em: f32, metrics: &dyn Metrics) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        break_paragraph(paragraph, max_em, metrics, &mut lines);
    }
    lines
}

fn break_paragraph(paragraph: &str, max_em: f32, metrics: &dyn Metrics, lines: &mut Vec<String>) {
    let chars: Vec<char> = paragraph.chars().collect();
    if chars.is_empty() {
        lines.push(String::new());
        return;
    }
    let advance = |c: char| metrics.advance(c).unwrap_or(1.0);
    let mut start = 0;
    while start < chars.len() {
        // Spaces at the start of a continued line are dropped, as in any word processor.
        if start > 0 {
            while start < chars.len() && chars[start] == ' ' {
                start += 1;
            }
            if start == chars.len() {
                break;
            }
        }
        let mut width = 0.0;
        let mut end = start;
        while end < chars.len() && (end == start || width + advance(chars[end]) <= max_em) {
            width += advance(chars[end]);
            end += 1;
        }
        if end < chars.len() {
            // Back up to the last place where a break is allowed.
            let mut candidate = end;
            while candidate > start + 1
                && !may_break_between(chars[candidate - 1], chars[candidate])
            {
                candidate -= 1;
            }
            if candidate > start + 1 || may_break_between(chars[start], chars[start + 1]) {
                end = candidate;
            } else {
                // No allowed break within the width (only in very narrow cells): hang the
                // closing marks or the bracketed character past the edge (ぶら下げ) rather
                // than start a line with 」 or end one with 「. A long Latin word is split.
                let mut hung = 0;
                while end < chars.len()
                    && hung < MAX_HANG
                    && (no_line_start(chars[end]) || no_line_end(chars[end - 1]))
                {
                    end += 1;
                    hung += 1;
                }
            }
        }
        let line: String = chars[start..end].iter().collect();
        lines.push(line.trim_end_matches(' ').to_owned());
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, max_em: f32) -> Vec<String> {
        break_lines(text, max_em, &FixedMetrics)
    }

    #[test]
    fn breaks_japanese_at_any_character() {
        assert_eq!(
            lines("あいうえおかきくけこ", 4.0),
            ["あいうえ", "おかきく", "けこ"]
        );
    }

    #[test]
    fn no_line_starts_with_closing_punctuation() {
        // Without 禁則 the second line would start with 。
        let result = lines("あいうえ。かきくけ", 4.0);
        assert_eq!(result, ["あいう", "え。かき", "くけ"]);
        for text in [
            "研究会（第1回）を開催します。",
            "「地域の人事部」、その役割、と課題。",
        ] {
            for width in 2..12 {
                for line in lines(text, width as f32).iter().skip(1) {
                    let first = line.chars().next().expect("line is not empty");
                    assert!(
                        !no_line_start(first),
                        "{line:?} starts with {first} (width {width})"
                    );
                }
            }
        }
    }

    #[test]
    fn no_line_ends_with_opening_bracket() {
        for text in [
            "あいう（えお）かき",
            "あいうえ「おか」き",
            "事業（「地域の人事部」）",
        ] {
            for width in 2..10 {
                let broken = lines(text, width as f32);
                for line in &broken[..broken.len() - 1] {
                    let last = line.chars().last().expect("line is not empty");
                    assert!(
                        !no_line_end(last),
                        "{line:?} ends with {last} (width {width})"
                    );
                }
                assert_eq!(broken.concat(), text, "nothing lost at width {width}");
            }
        }
    }

    #[test]
    fn latin_words_stay_whole_unless_too_long() {
        assert_eq!(lines("hello world again", 3.0), ["hello", "world", "again"]);
        assert_eq!(
            lines("supercalifragilistic", 3.0).concat(),
            "supercalifragilistic"
        );
        assert!(
            lines("supercalifragilistic", 3.0)
                .iter()
                .all(|l| width_em(l, &FixedMetrics) <= 3.0)
        );
        assert_eq!(lines("KPI 20件", 1.5), ["KPI", "20", "件"]);
    }

    #[test]
    fn numbers_and_references_stay_whole() {
        // Without the rule, "4," would end a line and "350,000円" start the next.
        assert_eq!(
            lines("補助金額は4,350,000円です", 9.0),
            ["補助金額は", "4,350,000円です"]
        );
        assert_eq!(lines("4,350,000", 2.0).concat(), "4,350,000");
        assert_eq!(lines("根拠 004.txt:134", 6.0), ["根拠", "004.txt:134"]);
    }

    #[test]
    fn newlines_start_new_lines() {
        assert_eq!(lines("一行目\n二行目", 10.0), ["一行目", "二行目"]);
    }

    #[test]
    fn sanitize_replaces_and_reports() {
        let mut missing = Vec::new();
        let text = sanitize("a\u{7}b😀c😀\td", &FixedMetrics, &mut missing);
        assert_eq!(text, "a〓b〓c〓 d");
        assert_eq!(missing, ['\u{7}', '😀']);
    }

    #[test]
    fn a_line_always_holds_a_character() {
        // Narrower than one character: one character per line, never an endless loop.
        assert_eq!(lines("あい", 0.1), ["あ", "い"]);
        assert_eq!(lines("", 5.0), [""]);
        assert_eq!(lines("（（（（", 1.0).concat(), "（（（（");
    }
}
