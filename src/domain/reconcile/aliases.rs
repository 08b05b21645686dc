//! The alias table (`forms/aliases.toml`, read by `program::aliases`): confirmed variants,
//! uncertain names that a person must look at, and names that must never be merged, checked
//! by [`AliasTable::from_listings`].

use std::collections::HashMap;

use super::AliasTableError;
use crate::domain::names::normalise;

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

#[cfg(test)]
mod tests {
    use super::super::fixtures::table;
    use super::*;
    use crate::domain::names::org_key;

    #[test]
    fn a_table_is_checked_from_its_listings() {
        let table = table();
        let misogi = table.group_of(&org_key("(株)御祇川"));
        assert_eq!(
            misogi.map(|group| group.names.clone()),
            Some(vec![
                "株式会社御祓川".to_owned(),
                "株式会社御祇川".to_owned()
            ])
        );
        assert!(table.uncertain_of(&org_key("株式会社えぼく")).is_some());

        let one_name_twice = AliasListings {
            alias: ["株式会社A", "株式会社B"]
                .map(|canonical| AliasListing {
                    canonical: canonical.to_owned(),
                    source: "x:1".to_owned(),
                    brands: vec!["Aブランド".to_owned()],
                    ..AliasListing::default()
                })
                .to_vec(),
            ..AliasListings::default()
        };
        let refused = AliasTable::from_listings(&one_name_twice).map(|_| ());
        assert!(
            matches!(&refused, Err(AliasTableError::Invalid(message)) if message.contains("both")),
            "{refused:?}"
        );
    }
}
