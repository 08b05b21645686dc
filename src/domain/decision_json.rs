//! The decision written as JSON by hand, byte for byte what `serde_json::to_writer` writes for
//! [`Decision`] and [`AllFrames`] (their `Serialize` derives stay the reference; `tests` compares
//! the two). It is on the hot path of bulk evaluation, where serde's generic escaping of every
//! string and its formatting machinery for the messages cost more than the evaluation itself.
//!
//! When a field is added to `Decision`, add it here too: the tests fail until it is.

use std::fmt::{self, Write as _};

use super::evaluation::{AllFrames, Decision, Finding, PriorAward, Severity};
use super::json_text::plain_prefix_len;
use super::ledger::PastAward;
use super::message::MessageSink;
use super::money::{YEN_TEXT_BYTES, Yen};

/// Appends `decision` as JSON to `out`.
pub(super) fn write_decision(decision: &Decision<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"fiscal_year\":");
    write_integer(out, i64::from(decision.fiscal_year));
    out.extend_from_slice(b",\"frame\":");
    write_code(out, decision.frame.as_str());
    out.extend_from_slice(if decision.eligible {
        b",\"eligible\":true,\"award_ordinal\":"
    } else {
        b",\"eligible\":false,\"award_ordinal\":"
    });
    write_integer(out, i64::from(decision.award_ordinal));
    out.extend_from_slice(b",\"prior_awards\":[");
    for (index, award) in decision.prior_awards.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_prior_award(out, award);
    }
    out.extend_from_slice(b"],\"rate\":");
    match decision.rate {
        None => out.extend_from_slice(b"null"),
        Some(rate) => {
            out.extend_from_slice(b"{\"numerator\":");
            write_integer(out, i64::from(rate.numerator()));
            out.extend_from_slice(b",\"denominator\":");
            write_integer(out, i64::from(rate.denominator()));
            out.push(b'}');
        }
    }
    write_yen_field(out, b",\"cap_yen\":", decision.cap_yen);
    write_yen_field(
        out,
        b",\"eligible_expenses_yen\":",
        decision.eligible_expenses_yen,
    );
    write_yen_field(out, b",\"subsidy_yen\":", decision.subsidy_yen);
    write_yen_field(
        out,
        b",\"calculated_subsidy_yen\":",
        decision.calculated_subsidy_yen,
    );
    write_yen_field(out, b",\"rounding_unit_yen\":", decision.rounding_unit_yen);
    out.extend_from_slice(b",\"findings\":[");
    for (index, finding) in decision.findings.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_finding(out, finding);
    }
    let budget = decision.budget_summary;
    write_yen_field(
        out,
        b"],\"budget_summary\":{\"total_yen\":",
        budget.total_yen,
    );
    write_yen_field(out, b",\"eligible_yen\":", budget.eligible_yen);
    out.extend_from_slice(b",\"by_activity\":[");
    for (index, activity) in budget.by_activity.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":");
        write_str(out, &activity.name);
        out.extend_from_slice(b",\"category\":");
        write_code(out, activity.category.as_str());
        write_yen_field(out, b",\"total_yen\":", activity.total_yen);
        write_yen_field(out, b",\"eligible_yen\":", activity.eligible_yen);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"by_expense_category\":[");
    for (index, category) in budget.by_expense_category.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"category\":");
        write_code(out, category.category.as_str());
        write_yen_field(out, b",\"total_yen\":", category.total_yen);
        write_yen_field(out, b",\"eligible_yen\":", category.eligible_yen);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"by_funding_source\":[");
    for (index, source) in budget.by_funding_source.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"funding_source\":");
        write_code(out, source.funding_source.as_str());
        write_yen_field(out, b",\"total_yen\":", source.total_yen);
        out.push(b'}');
    }
    out.extend_from_slice(b"]},\"rules_version\":");
    write_str(out, decision.rules_version);
    out.push(b'}');
}

/// Appends every frame's decision as JSON to `out`.
pub(super) fn write_all_frames(all: &AllFrames<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"fiscal_year\":");
    write_integer(out, i64::from(all.fiscal_year));
    out.extend_from_slice(b",\"decisions\":[");
    for (index, decision) in all.decisions.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_decision(decision, out);
    }
    out.extend_from_slice(b"],\"best_frame\":");
    match all.best_frame {
        None => out.extend_from_slice(b"null"),
        Some(frame) => write_code(out, frame.as_str()),
    }
    out.push(b'}');
}

fn write_prior_award(out: &mut Vec<u8>, award: &PriorAward<'_>) {
    match award.recorded {
        Some(recorded) => out.extend_from_slice(recorded.written_fields().as_bytes()),
        None => write_prior_award_fields(
            out,
            award.award_id,
            award.fiscal_year,
            award.frame,
            award.listed_as,
        ),
    }
    write_str(out, award.applicant);
    out.push(b'}');
}

/// A ledger award's part of its `prior_awards` item: everything before the applicant's name,
/// which differs from one decision to the next.
pub(super) fn prior_award_fields(award: &PastAward) -> Box<str> {
    let mut out = Vec::new();
    write_prior_award_fields(
        &mut out,
        &award.award_id,
        award.fiscal_year,
        &award.frame,
        &award.listed_as,
    );
    // Written from text and ASCII only, so the conversion finds nothing to replace.
    String::from_utf8_lossy(&out).into()
}

fn write_prior_award_fields(
    out: &mut Vec<u8>,
    award_id: &str,
    fiscal_year: i32,
    frame: &str,
    listed_as: &str,
) {
    out.extend_from_slice(b"{\"award_id\":");
    write_str(out, award_id);
    out.extend_from_slice(b",\"fiscal_year\":");
    write_integer(out, i64::from(fiscal_year));
    out.extend_from_slice(b",\"frame\":");
    write_str(out, frame);
    out.extend_from_slice(b",\"listed_as\":");
    write_str(out, listed_as);
    out.extend_from_slice(b",\"applicant\":");
}

fn write_finding(out: &mut Vec<u8>, finding: &Finding<'_>) {
    out.extend_from_slice(b"{\"code\":");
    write_code(out, finding.code);
    out.extend_from_slice(match finding.severity {
        Severity::Error => b",\"severity\":\"error\",\"message\":\"",
        Severity::Warning => b",\"severity\":\"warning\",\"message\":\"",
        Severity::Info => b",\"severity\":\"info\",\"message\":\"",
    });
    finding.message.render(&mut JsonStringSink(out));
    out.extend_from_slice(b"\",\"source\":");
    write_str(out, finding.source);
    out.push(b'}');
}

fn write_yen_field(out: &mut Vec<u8>, key: &[u8], amount: Yen) {
    out.extend_from_slice(key);
    write_integer(out, amount.value());
}

/// An integer as serde_json writes it (plain decimal, `-` when negative).
fn write_integer(out: &mut Vec<u8>, value: i64) {
    // The digits end at WIDTH; WIDTH bytes from the first digit are copied and then cut to
    // length: a copy of known size is a few moves, one of variable size a call.
    const WIDTH: usize = 20;
    if value < 0 {
        out.push(b'-');
    }
    let mut buffer = [0u8; 2 * WIDTH];
    let mut position = WIDTH;
    let mut rest = value.unsigned_abs();
    // Four digits a step (amounts have seven or eight), then two, then the last one or two.
    while rest >= 10_000 {
        let four = (rest % 10_000) as usize;
        rest /= 10_000;
        let (high, low) = (four / 100 * 2, four % 100 * 2);
        position -= 4;
        buffer[position..position + 2].copy_from_slice(&DIGIT_PAIRS[high..high + 2]);
        buffer[position + 2..position + 4].copy_from_slice(&DIGIT_PAIRS[low..low + 2]);
    }
    if rest >= 100 {
        let pair = (rest % 100) as usize * 2;
        rest /= 100;
        position -= 2;
        buffer[position..position + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if rest >= 10 {
        let pair = rest as usize * 2;
        position -= 2;
        buffer[position..position + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        position -= 1;
        // `rest` is a single digit here.
        buffer[position] = b'0' + rest as u8;
    }
    let start = out.len();
    out.extend_from_slice(&buffer[position..position + WIDTH]);
    out.truncate(start + WIDTH - position);
}

/// "00", "01", … "99".
const DIGIT_PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut index = 0;
    while index < 100 {
        pairs[2 * index] = b'0' + (index / 10) as u8;
        pairs[2 * index + 1] = b'0' + (index % 10) as u8;
        index += 1;
    }
    pairs
};

/// A contract code (snake_case ASCII), which never needs escaping.
fn write_code(out: &mut Vec<u8>, code: &'static str) {
    debug_assert_eq!(plain_prefix_len(code.as_bytes()), code.len(), "{code}");
    out.push(b'"');
    out.extend_from_slice(code.as_bytes());
    out.push(b'"');
}

/// A JSON string with its quotes.
fn write_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    write_escaped(out, text.as_bytes());
    out.push(b'"');
}

/// serde_json's escaping: `"`, `\` and control characters below U+0020; the rest as it is.
fn write_escaped(out: &mut Vec<u8>, text: &[u8]) {
    let mut rest = text;
    // Nearly every string needs no escape: find the next byte that does, copy up to it.
    loop {
        let plain = plain_prefix_len(rest);
        out.extend_from_slice(&rest[..plain]);
        let Some(&byte) = rest.get(plain) else {
            return;
        };
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 0xf)]);
            }
        }
        rest = &rest[plain + 1..];
    }
}

/// Renders a message as the inside of a JSON string.
struct JsonStringSink<'o>(&'o mut Vec<u8>);

impl MessageSink for JsonStringSink<'_> {
    fn fixed(&mut self, text: &'static str) {
        debug_assert_eq!(plain_prefix_len(text.as_bytes()), text.len(), "{text}");
        self.0.extend_from_slice(text.as_bytes());
    }

    fn given(&mut self, text: &str) {
        write_escaped(self.0, text.as_bytes());
    }

    fn count(&mut self, number: u64) {
        write_integer(self.0, i64::try_from(number).unwrap_or(i64::MAX));
    }

    fn yen(&mut self, amount: Yen) {
        let mut buffer = [0u8; YEN_TEXT_BYTES];
        self.0.extend_from_slice(amount.as_text(&mut buffer));
    }

    fn show(&mut self, value: &dyn fmt::Display) {
        let start = self.0.len();
        // Displaying into memory cannot fail.
        let _ = write!(AppendingWriter(self.0), "{value}");
        if plain_prefix_len(&self.0[start..]) < self.0.len() - start {
            let rendered = self.0.split_off(start);
            write_escaped(self.0, &rendered);
        }
    }
}

/// Appends displayed text, unescaped.
struct AppendingWriter<'o>(&'o mut Vec<u8>);

impl fmt::Write for AppendingWriter<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::evaluation::{evaluate, evaluate_all_frames, parse_request_slow};
    use crate::domain::fast_request::tests::{
        bench_line, golden_requests, mutations, programs_and_ledgers,
    };

    /// Checks both writers on one request text, when it parses and has a programme.
    fn same_as_serde(
        text: &str,
        programs: &crate::domain::program::ProgramSet,
        ledgers: &[crate::domain::ledger::Ledger],
    ) -> bool {
        let Ok(application) = parse_request_slow(text) else {
            return false;
        };
        let Ok(program) = programs.program_for(&application) else {
            return false;
        };
        for ledger in ledgers {
            let decision = evaluate(&application, ledger, program);
            let mut ours = Vec::new();
            write_decision(&decision, &mut ours);
            let serde = serde_json::to_vec(&decision).expect("serialises");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&serde),
                "{text}"
            );
            let all = evaluate_all_frames(&application, ledger, program);
            let mut ours = Vec::new();
            write_all_frames(&all, &mut ours);
            let serde = serde_json::to_vec(&all).expect("serialises");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&serde),
                "{text}"
            );
        }
        true
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let (programs, ledgers) = programs_and_ledgers();
        let mut checked = 0;
        for (index, (_, request)) in golden_requests().into_iter().enumerate() {
            checked += usize::from(same_as_serde(&request.to_string(), &programs, &ledgers));
            // Mutations of every sixth case are enough to reach each message with odd names.
            if index % 6 != 0 {
                continue;
            }
            for mutated in mutations(&request) {
                checked += usize::from(same_as_serde(
                    &mutated.to_string(),
                    &programs,
                    &ledgers[1..],
                ));
            }
        }
        for i in 0..1000 {
            assert!(same_as_serde(&bench_line(i), &programs, &ledgers));
        }
        assert!(checked > 1_000, "{checked} decisions compared");
    }

    #[test]
    fn prior_awards_kept_written_by_the_ledger_are_written_as_serde_writes_them() {
        use crate::domain::ledger::{Ledger, OrganisationId};
        let (programs, _) = programs_and_ledgers();
        // Text that needs escaping in the fields the ledger writes ahead.
        let name = "株式会社\"みらい\"\\人材\t";
        let mut ledger = Ledger::new();
        let organisation = OrganisationId(1);
        ledger.add_organisation(organisation, None, [name]);
        ledger.add_award(
            organisation,
            PastAward {
                award_id: "R6-\"一般\"枠-\\1".to_owned(),
                fiscal_year: 2024,
                // A frame the programme counts, so that the award is counted.
                frame: "general".to_owned(),
                listed_as: name.to_owned(),
            },
        );
        let mut request: serde_json::Value =
            serde_json::from_str(&bench_line(1)).expect("bench line");
        request["applicants"][0]["name"] = name.into();
        // And one award declared by the request, written field by field.
        request["history"] = serde_json::json!([
            {"name": name, "fiscal_year": 2025, "frame": "right_hand"}
        ]);
        let text = request.to_string();
        assert!(same_as_serde(&text, &programs, &[ledger.clone()]));
        let application = parse_request_slow(&text).expect("valid");
        let program = programs.program_for(&application).expect("R8");
        let decision = evaluate(&application, &ledger, program);
        let recorded: Vec<bool> = decision
            .prior_awards
            .iter()
            .map(|award| award.recorded.is_some())
            .collect();
        assert_eq!(recorded, [true, false], "one from the ledger, one declared");
    }

    #[test]
    fn escapes_as_serde_json_escapes() {
        let mut text: String = (0u8..=0x7f).map(char::from).collect();
        text.push_str("株式会社「みらい」\u{2028}\u{feff}😀");
        let mut ours = Vec::new();
        write_str(&mut ours, &text);
        assert_eq!(ours, serde_json::to_vec(&text).expect("serialises"));
        for value in [
            0,
            1,
            9,
            10,
            99,
            100,
            101,
            999,
            1000,
            10_000,
            -1,
            -10,
            -100,
            4_740_000,
            12_345,
            1_000_000,
            10_000_001,
            99_999_999,
            100_000_000,
            4_294_967_295,
            4_294_967_296,
            10_000_000_000,
            100_000_000_000_000_000,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut ours = Vec::new();
            write_integer(&mut ours, value);
            assert_eq!(ours, value.to_string().into_bytes());
        }
    }
}
