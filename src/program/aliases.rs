//! Reads the alias table `forms/aliases.toml` (TOML, unknown keys refused) into the domain's
//! [`AliasTable`]. What its entries must satisfy (a name in one group only, an uncertain name
//! that is not also confirmed, distinct names that are not one organisation, a source for each)
//! is checked by `AliasTable::from_listings`.

use serde::Deserialize;

use crate::domain::reconcile::{
    AliasListing, AliasListings, AliasTable, AliasTableError, DistinctListing, UncertainListing,
    VariantListing,
};

/// The alias table compiled into the binary (`forms/aliases.toml`), checked.
pub fn shipped_alias_table() -> Result<AliasTable, AliasTableError> {
    parse_alias_table(crate::forms::ALIASES)
}

/// Reads and checks an alias table (the text of `forms/aliases.toml`).
pub fn parse_alias_table(toml_text: &str) -> Result<AliasTable, AliasTableError> {
    let file: AliasFile = toml::from_str(toml_text)
        .map_err(|error| AliasTableError::Unreadable(error.to_string()))?;
    AliasTable::from_listings(&file.into_listings())
}

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

impl AliasFile {
    fn into_listings(self) -> AliasListings {
        AliasListings {
            alias: self
                .alias
                .into_iter()
                .map(|entry| AliasListing {
                    canonical: entry.canonical,
                    source: entry.source,
                    brands: entry.brands,
                    variants: entry
                        .variants
                        .into_iter()
                        .map(|variant| VariantListing {
                            name: variant.name,
                            source: variant.source,
                            note: variant.note,
                        })
                        .collect(),
                    note: entry.note,
                })
                .collect(),
            uncertain: self
                .uncertain
                .into_iter()
                .map(|entry| UncertainListing {
                    name: entry.name,
                    source: entry.source,
                    possibly: entry.possibly,
                    possibly_source: entry.possibly_source,
                    note: entry.note,
                })
                .collect(),
            distinct: self
                .distinct
                .into_iter()
                .map(|entry| DistinctListing {
                    names: entry.names,
                    sources: entry.sources,
                    note: entry.note,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::names::org_key;

    const ALIASES: &str = include_str!("../../forms/aliases.toml");

    fn table() -> AliasTable {
        match parse_alias_table(ALIASES) {
            Ok(table) => table,
            Err(error) => panic!("{error}"),
        }
    }

    // --- errors in the alias table --------------------------------------------------------

    fn alias_error(toml_text: &str) -> String {
        match parse_alias_table(toml_text) {
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
