//! The data shipped in `forms/`, compiled into the binary so that a fresh clone, the demo and
//! a deployed binary all have the real award history without any other file.

/// The published award lists (R4–R7), exactly as printed, misprints included.
pub const AWARD_LISTS: &[(&str, &str)] = &[(
    "forms/awards/awards-r4-r7.csv",
    include_str!("../forms/awards/awards-r4-r7.csv"),
)];

/// Confirmed aliases, uncertain names and organisations that must stay apart.
pub const ALIASES: &str = include_str!("../forms/aliases.toml");

/// The demo data set.
pub const DEMO: &str = include_str!("../forms/demo.toml");
