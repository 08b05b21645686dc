//! The source register (`forms/sources.toml`): the documents the rules cite, so that a person
//! reads 経済産業省「地域の人事部について」（2026年1月） where the data says
//! `004_4db6bae2530d025b.txt:134`. Pure: `crate::program` loads the file.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceEntry {
    /// How a citation starts: a seed file name, a URL, or a short name.
    pub key: String,
    pub publisher: String,
    pub short_publisher: String,
    pub title: String,
    pub date: String,
    pub kind: String,
    pub url: Option<String>,
    /// What the line numbers after `key:` refer to.
    pub lines: Option<String>,
}

impl SourceEntry {
    /// `経済産業省「地域の人事部について」（2026年1月）`.
    pub fn label(&self) -> String {
        format!(
            "{}「{}」（{}）",
            self.short_publisher, self.title, self.date
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRegister {
    pub sources: Vec<SourceEntry>,
}

/// Shown when a citation names no published document (a default of this system).
pub const NO_PUBLISHED_SOURCE: &str = "公表資料の記載なし（本システムの既定値）";

impl SourceRegister {
    /// A raw citation (`a; b (remark)`) as people read it: each registered document by its
    /// label and place, each part written in Japanese without a registered key (a statute's
    /// article) as it is; remarks in parentheses that are not Japanese are left out.
    pub fn readable(&self, raw: &str) -> String {
        let mut parts: Vec<String> = Vec::new();
        for part in raw
            .split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let text = match self
                .sources
                .iter()
                .find(|entry| part.starts_with(&entry.key))
            {
                Some(entry) => {
                    let rest = &part[entry.key.len()..];
                    let lines: String = rest
                        .strip_prefix(':')
                        .map(|after| {
                            after
                                .chars()
                                .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == ',')
                                .collect()
                        })
                        .unwrap_or_default();
                    if lines.is_empty() {
                        entry.label()
                    } else {
                        format!("{} {}行", entry.label(), lines)
                    }
                }
                None => {
                    let kept = without_foreign_remarks(part);
                    if kept.is_empty() || kept.chars().any(|c| c.is_ascii_alphabetic()) {
                        continue;
                    }
                    kept
                }
            };
            if !parts.contains(&text) {
                parts.push(text);
            }
        }
        if parts.is_empty() {
            NO_PUBLISHED_SOURCE.to_owned()
        } else {
            parts.join("、")
        }
    }
}

/// The text without parenthesised remarks that contain Latin letters.
fn without_foreign_remarks(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find(['(', '（']) {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let close = after.find([')', '）']).map_or(after.len(), |close| {
            close + after[close..].chars().next().map_or(1, char::len_utf8)
        });
        let remark = &after[..close];
        if !remark.chars().any(|c| c.is_ascii_alphabetic()) {
            out.push_str(remark);
        }
        rest = &after[close..];
    }
    out.push_str(rest);
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register() -> SourceRegister {
        SourceRegister {
            sources: vec![SourceEntry {
                key: "004_4db6bae2530d025b.txt".into(),
                publisher: "経済産業省 経済産業政策局 地域経済産業政策課".into(),
                short_publisher: "経済産業省".into(),
                title: "地域の人事部について".into(),
                date: "2026年1月".into(),
                kind: "説明資料".into(),
                url: None,
                lines: Some("行番号".into()),
            }],
        }
    }

    #[test]
    fn citations_read_by_title_and_place() {
        let register = register();
        assert_eq!(
            register.readable("004_4db6bae2530d025b.txt:134"),
            "経済産業省「地域の人事部について」（2026年1月） 134行"
        );
        assert_eq!(
            register.readable(
                "004_4db6bae2530d025b.txt:68; 補助金適正化法 第14条 (会計年度ごとの実績報告); DOMAIN.md §8 Q7 (UNVERIFIED default)"
            ),
            "経済産業省「地域の人事部について」（2026年1月） 68行、補助金適正化法 第14条 (会計年度ごとの実績報告)"
        );
        assert_eq!(
            register
                .readable("行政機関の休日に関する法律 第2条 (INTERPRETATION for this programme)"),
            "行政機関の休日に関する法律 第2条"
        );
        assert_eq!(register.readable("DOMAIN.md §3.2"), NO_PUBLISHED_SOURCE);
    }
}
