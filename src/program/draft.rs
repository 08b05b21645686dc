//! A draft of a year's rules made from a program manager's form: the year's file with the
//! edited values changed, written back as TOML and then read by [`super::parse_draft`] like
//! any programme file, so that a draft is checked exactly as a file is. The draft keeps every
//! value's source and certainty; it does not keep the file's comments.

use toml::{Table, Value};

use crate::domain::codes::Frame;

/// What the form changes; everything else stays as in the year's file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DraftEdits {
    /// The cap on awards per organisation: `Some(None)` removes it.
    pub award_cap: Option<Option<i64>>,
    pub budget_yen: Option<i64>,
    /// A frame's 補助上限額.
    pub frame_caps: Vec<(Frame, i64)>,
    /// A frame's rate for one award ordinal: (frame, ordinal, numerator, denominator).
    pub rates: Vec<(Frame, i64, i64, i64)>,
    /// The fiscal years whose awards count (`None`: as in the file).
    pub countable_years: Option<Vec<i64>>,
}

/// Why the edits could not be applied to the file (the key that is missing from it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct DraftError {
    pub key: String,
    pub message: String,
}

fn missing(key: impl Into<String>) -> DraftError {
    DraftError {
        key: key.into(),
        message: "元の規則にこの項目がありません".into(),
    }
}

/// The year's file text with `edits` applied, as TOML.
pub fn edited_text(base_text: &str, edits: &DraftEdits) -> Result<String, DraftError> {
    let mut table: Table = base_text.parse().map_err(|error| DraftError {
        key: String::new(),
        message: format!("元の規則を TOML として読めません: {error}"),
    })?;
    match edits.award_cap {
        Some(Some(cap)) => set_or_add(&mut table, "award_cap", cap, "採択回数の上限"),
        Some(None) => {
            table.remove("award_cap");
        }
        None => {}
    }
    if let Some(budget) = edits.budget_yen {
        set_or_add(&mut table, "budget_yen", budget, "予算額");
    }
    for (frame, cap) in &edits.frame_caps {
        let key = format!("frames[{frame}].cap_yen");
        let rules = frame_table(&mut table, *frame)?;
        let cap_yen = rules
            .get_mut("cap_yen")
            .and_then(Value::as_table_mut)
            .ok_or_else(|| missing(key.as_str()))?;
        cap_yen.insert("value".into(), Value::Integer(*cap));
    }
    for (frame, ordinal, numerator, denominator) in &edits.rates {
        let key = format!("frames[{frame}].rates[{ordinal}]");
        let rules = frame_table(&mut table, *frame)?;
        let step = table_in(rules, "rates", |step| {
            step.get("ordinal").and_then(Value::as_integer) == Some(*ordinal)
        })
        .ok_or_else(|| missing(key.as_str()))?;
        step.insert("numerator".into(), Value::Integer(*numerator));
        step.insert("denominator".into(), Value::Integer(*denominator));
    }
    if let Some(kept) = &edits.countable_years {
        let years = table
            .get_mut("countable_awards")
            .and_then(Value::as_table_mut)
            .and_then(|countable| countable.get_mut("years"))
            .and_then(Value::as_array_mut)
            .ok_or_else(|| missing("countable_awards.years"))?;
        years.retain(|year| {
            year.get("fiscal_year")
                .and_then(Value::as_integer)
                .is_some_and(|year| kept.contains(&year))
        });
    }
    toml::to_string(&table).map_err(|error| DraftError {
        key: String::new(),
        message: format!("規則案を TOML として書き出せません: {error}"),
    })
}

/// Sets a sourced value, or adds it (marked provisional, from the draft) when the file has none.
fn set_or_add(table: &mut Table, key: &str, value: i64, label: &str) {
    if let Some(sourced) = table.get_mut(key).and_then(Value::as_table_mut) {
        sourced.insert("value".into(), Value::Integer(value));
        return;
    }
    let mut sourced = Table::new();
    sourced.insert("value".into(), Value::Integer(value));
    sourced.insert("source".into(), format!("規則案（{label}）").into());
    sourced.insert("certainty".into(), "provisional".into());
    sourced.insert(
        "note".into(),
        format!("規則案で入力した{label}です。").into(),
    );
    table.insert(key.into(), Value::Table(sourced));
}

fn frame_table(table: &mut Table, frame: Frame) -> Result<&mut Table, DraftError> {
    table_in(table, "frames", |rules| {
        rules.get("code").and_then(Value::as_str) == Some(frame.as_str())
    })
    .ok_or_else(|| missing(format!("frames[{frame}]")))
}

/// The first table of the array `key` (`[[frames]]`, `rates = [{ … }]`) that `wanted` picks.
fn table_in<'t>(
    table: &'t mut Table,
    key: &str,
    wanted: impl Fn(&Table) -> bool,
) -> Option<&'t mut Table> {
    table
        .get_mut(key)
        .and_then(Value::as_array_mut)?
        .iter_mut()
        .filter_map(Value::as_table_mut)
        .find(|entry| wanted(entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::{embedded, parse_draft};

    fn r8() -> String {
        embedded()
            .expect("programmes")
            .get(crate::domain::calendar::FiscalYear(2026))
            .expect("R8")
            .file_text
            .clone()
    }

    #[test]
    fn no_edits_give_the_same_rules() {
        let programs = embedded().expect("programmes");
        let text = edited_text(&r8(), &DraftEdits::default()).expect("text");
        let draft = parse_draft(&programs, "draft.toml", &text, Some(2026)).expect("valid");
        let base = programs.get(draft.fiscal_year).expect("R8");
        assert_eq!(draft.frames, base.frames);
        assert_eq!(draft.award_cap, base.award_cap);
        assert_eq!(draft.countable_awards, base.countable_awards);
        assert_eq!(draft.budget_yen, base.budget_yen);
    }

    #[test]
    fn edits_change_only_what_they_name() {
        let programs = embedded().expect("programmes");
        let edits = DraftEdits {
            award_cap: Some(Some(2)),
            budget_yen: Some(250_000_000),
            frame_caps: vec![(Frame::LegalLinkage, 8_000_000)],
            rates: vec![(Frame::RightHand, 2, 1, 3)],
            countable_years: Some(vec![2024, 2025, 2026]),
        };
        let text = edited_text(&r8(), &edits).expect("text");
        let draft = parse_draft(&programs, "draft.toml", &text, Some(2026)).expect("valid");
        assert_eq!(draft.award_cap.as_ref().map(|cap| cap.value), Some(2));
        assert_eq!(
            draft.budget_yen.as_ref().map(|b| b.value.value()),
            Some(250_000_000)
        );
        let legal = draft.frame(Frame::LegalLinkage).expect("legal");
        assert_eq!(legal.cap_yen.value.value(), 8_000_000);
        let right_hand = draft.frame(Frame::RightHand).expect("右腕");
        assert_eq!(
            right_hand.rate_for(2).map(|step| step.rate.to_string()),
            Some("1/3".into())
        );
        assert_eq!(
            right_hand.rate_for(1).map(|step| step.rate.to_string()),
            Some("2/3".into())
        );
        let years: Vec<i32> = draft
            .countable_awards
            .years
            .iter()
            .map(|(year, _)| year.0)
            .collect();
        assert_eq!(years, [2024, 2025, 2026]);
    }

    #[test]
    fn an_edit_the_loader_refuses_is_named_by_its_key() {
        let programs = embedded().expect("programmes");
        let edits = DraftEdits {
            rates: vec![(Frame::RightHand, 1, 4, 3)],
            ..DraftEdits::default()
        };
        let text = edited_text(&r8(), &edits).expect("text");
        match parse_draft(&programs, "draft.toml", &text, Some(2026)) {
            Err(crate::program::ProgramError::Rule { key, message, .. }) => {
                assert!(key.contains("rates"), "{key}");
                assert!(message.contains("0 より大きく 1 以下"), "{message}");
            }
            other => panic!("refused expected: {other:?}"),
        }
        let unknown = DraftEdits {
            rates: vec![(Frame::RightHand, 7, 1, 3)],
            ..DraftEdits::default()
        };
        assert_eq!(
            edited_text(&r8(), &unknown).map_err(|error| error.key),
            Err("frames[right_hand].rates[7]".to_owned())
        );
    }
}
