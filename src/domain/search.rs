//! What the 事務局's pipeline search looks for in a typed query: the 事業名, the 申請番号
//! and the lead organisation's name, each compared the way it is written.
//!
//! - 事業名: the query as typed, or in NFKC (full-width letters and digits as ASCII) with
//!   Latin letters of either case, so that `ＤＸ` and `dx` find a title written `DX`.
//! - 申請番号: NFKC, every dash a person may type (`－`, `ー`, `−` …) as `-`, Latin letters in
//!   upper case, so that `Ｒ８－０００２` and `r8ー0002` find `R8-0002`.
//! - 団体名: the organisation's name key (`names::org_key`, as the ledger compares names)
//!   contains the query's core: `御祓川` and `㈱御祓川` find 株式会社御祓川. A query that names a
//!   legal form asks for that form: `一般社団法人御祓川` does not find 株式会社御祓川.
//!
//! The database compares the stored columns with these terms (`db::applications::list_filtered`).

use unicode_normalization::UnicodeNormalization;

use crate::domain::names;

/// The terms a pipeline query is compared with; see the module's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineSearch {
    /// The query as typed, without the spaces around it.
    pub typed: String,
    /// The query in NFKC.
    pub folded: String,
    /// The query as a 申請番号 is written.
    pub reference: String,
    /// What the lead organisation's name key must hold; `None` when the query folds to
    /// nothing. (A legal form alone is kept as the core it then is: it names no organisation.)
    pub organisation: Option<NameSearch>,
}

/// A part of an organisation's name key (`<legal form code>:<core>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameSearch {
    /// The code of the legal form the query names, which the key must start with.
    pub legal_form: Option<&'static str>,
    /// Folded as the key's core is; the key's core must contain it.
    pub core: String,
}

impl NameSearch {
    /// Whether an organisation with this name key is one the query asks for.
    pub fn matches_key(&self, key: &str) -> bool {
        let Some((code, core)) = key.split_once(':') else {
            return false;
        };
        self.legal_form.is_none_or(|form| form == code) && core.contains(self.core.as_str())
    }
}

impl PipelineSearch {
    /// The terms of a query; `None` for a query of nothing but spaces.
    pub fn of(query: &str) -> Option<Self> {
        let typed = query.trim();
        if typed.is_empty() {
            return None;
        }
        let folded: String = typed.nfkc().collect();
        let reference = folded
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | 'ー' | '～' | '〜' => {
                    '-'
                }
                c => c.to_ascii_uppercase(),
            })
            .collect();
        let name = names::normalise(typed);
        let organisation = (!name.core().is_empty()).then(|| NameSearch {
            legal_form: name.legal_form().map(names::LegalForm::code),
            core: name.core().to_owned(),
        });
        Some(PipelineSearch {
            typed: typed.to_owned(),
            folded,
            reference,
            organisation,
        })
    }

    /// Whether an application with this 申請番号, 事業名 and lead organisation's name key is
    /// one the query finds. The database asks the same of its rows.
    pub fn matches(&self, reference: &str, title: &str, name_key: &str) -> bool {
        reference.contains(self.reference.as_str())
            || title.contains(self.typed.as_str())
            || title
                .to_ascii_lowercase()
                .contains(&self.folded.to_ascii_lowercase())
            || self
                .organisation
                .as_ref()
                .is_some_and(|organisation| organisation.matches_key(name_key))
    }
}

/// An organisation looked up by name (the editor's choice of co-applicants): its name key
/// holds the query's core, as the pipeline compares lead organisations, or its name holds the
/// query as typed.
pub fn finds_organisation(query: &PipelineSearch, name: &str, name_key: &str) -> bool {
    name.contains(query.typed.as_str())
        || query
            .organisation
            .as_ref()
            .is_some_and(|organisation| organisation.matches_key(name_key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::names::org_key;

    fn finds(query: &str, reference: &str, title: &str, organisation: &str) -> bool {
        PipelineSearch::of(query).expect("a query").matches(
            reference,
            title,
            &org_key(organisation),
        )
    }

    #[test]
    fn the_core_of_a_name_finds_the_organisation_whatever_its_legal_form_is_written_as() {
        for query in [
            "御祓川",
            "株式会社御祓川",
            "㈱御祓川",
            "（株）御祓川",
            " 御祓川 ",
            "御祓",
        ] {
            assert!(
                finds(query, "R8-0001", "能登の事業", "株式会社御祓川"),
                "{query}"
            );
        }
        assert!(finds("ｼｵｼﾞﾘ", "R8-0001", "事業", "一般社団法人シオジリ機構"));
        assert!(finds("ABC", "R8-0001", "事業", "株式会社ａｂｃ商事"));
    }

    #[test]
    fn a_legal_form_in_the_query_asks_for_that_form() {
        assert!(!finds(
            "一般社団法人御祓川",
            "R8-0001",
            "事業",
            "株式会社御祓川"
        ));
        assert!(finds(
            "一般社団法人御祓川",
            "R8-0001",
            "事業",
            "(一社)御祓川"
        ));
        // A legal form alone names no organisation: it is not every 株式会社.
        let only_a_form = PipelineSearch::of("株式会社").expect("a query");
        assert!(!only_a_form.matches("R8-0001", "事業", &org_key("株式会社御祓川")));
    }

    #[test]
    fn a_number_typed_full_width_or_with_a_long_vowel_mark_finds_the_reference() {
        for query in [
            "Ｒ８－０００２",
            "R8-0002",
            "r8ー0002",
            "R8−0002",
            "０００２",
            "R8 - 0002",
        ] {
            assert!(finds(query, "R8-0002", "事業", "株式会社御祓川"), "{query}");
            assert!(
                !finds(query, "R8-0012", "事業", "株式会社御祓川"),
                "{query}"
            );
        }
        assert_eq!(
            PipelineSearch::of("Ｒ８－０００２").map(|s| s.reference),
            Some("R8-0002".to_owned())
        );
    }

    #[test]
    fn titles_are_found_as_typed_and_in_nfkc() {
        assert!(finds(
            "幹部",
            "R8-0001",
            "塩尻 幹部人材インターンシップ",
            "株式会社X"
        ));
        assert!(finds("ＤＸ", "R8-0001", "DX推進", "株式会社X"));
        assert!(finds("dx", "R8-0001", "DX推進", "株式会社X"));
        assert!(!finds("観光", "R8-0001", "DX推進", "株式会社X"));
    }

    #[test]
    fn an_organisation_is_found_by_the_core_of_its_name() {
        let finds_org = |query: &str, name: &str| {
            finds_organisation(
                &PipelineSearch::of(query).expect("a query"),
                name,
                &org_key(name),
            )
        };
        assert!(finds_org("御祓川", "株式会社御祓川"));
        assert!(finds_org("㈱御祓川", "株式会社御祓川"));
        assert!(finds_org("ｼｵｼﾞﾘ", "一般社団法人シオジリ機構"));
        assert!(!finds_org("一般社団法人御祓川", "株式会社御祓川"));
        assert!(!finds_org("塩尻", "株式会社御祓川"));
    }

    #[test]
    fn a_query_of_spaces_is_no_query() {
        assert_eq!(PipelineSearch::of(" 　 "), None);
    }
}
