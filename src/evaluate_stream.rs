//! `hojokin evaluate --jsonl`: one application per line in, one decision per line out, on
//! every core, in input order, with memory bounded by the batches in flight (not by N). The
//! same pipeline answers `hojokin impact --applications FILE.jsonl` ([`impact_jsonl`]): each
//! line evaluated under two rule sets and compared, the report merged in input order.
//!
//! A fixed pool of batches circulates: the reader fills a free batch with whole lines (bytes),
//! a worker evaluates them into the batch's output buffer, and the writer writes the outputs
//! in order and hands the batch back to the reader. The reader waits for a free batch, so no
//! more than the pool is ever in memory however far the workers get ahead of the writer, and
//! the buffers are reused instead of allocated per line or per batch.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use crate::contract::{evaluate_text, parse_request, text_of};
use crate::domain::impact::{ImpactReport, RuleSets, lead_name};
use crate::domain::ledger::Ledger;
use crate::domain::program::ProgramSet;
use crate::domain::validation::FieldErrors;

/// Input bytes per unit of work (whole lines, so a little more): large enough to amortise the
/// hand-offs, small enough to keep every core busy near the end.
#[cfg(not(test))]
const BATCH_BYTES: usize = 1 << 19;
/// Small in the unit tests, so that a few hundred lines make many batches.
#[cfg(test)]
const BATCH_BYTES: usize = 1 << 14;

/// Bytes asked of the input per read; reads this large bypass a `BufReader`'s own buffer.
const READ_BYTES: usize = BATCH_BYTES / 4;

/// Batches in circulation per worker: one being evaluated, one queued, one being written.
const BATCHES_PER_WORKER: usize = 3;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StreamSummary {
    /// Non-blank input lines (one output line each).
    pub lines: u64,
    /// Lines answered with `{"line": n, "errors": …}` instead of a decision.
    pub invalid: u64,
}

#[derive(Default)]
pub(crate) struct Batch {
    sequence: u64,
    /// 1-based number of the first line in `input`.
    pub(crate) first_line: u64,
    /// Whole lines, each with its `\n` (the last line of the input may lack it).
    pub(crate) input: Vec<u8>,
    output: Vec<u8>,
    /// Non-blank lines answered, and how many of them were invalid.
    lines: u64,
    invalid: u64,
}

/// Evaluates every line of `input` and writes one line per non-blank input line to `output`.
/// A line that is not a valid request gets `{"line": <1-based line number>, "errors": {…}}`.
pub fn evaluate_jsonl(
    input: impl BufRead,
    mut output: impl Write + Send,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    threads: usize,
) -> io::Result<StreamSummary> {
    let mut summary = StreamSummary::default();
    stream_batches(
        input,
        threads,
        |batch| evaluate_batch(batch, programs, ledger, all_frames),
        |batch, ()| {
            // A batch's output is large already: written as it is, without another copy.
            output.write_all(&batch.output)?;
            summary.lines += batch.lines;
            summary.invalid += batch.invalid;
            Ok(())
        },
    )?;
    output.flush()?;
    Ok(summary)
}

/// What [`impact_jsonl`] found: the report over the lines of the draft's year, the lines of
/// other years (which the draft does not touch), and the lines that are not valid requests.
#[derive(Debug, Default)]
pub struct JsonlImpact {
    pub report: ImpactReport,
    pub other_years: u64,
    /// (1-based line number, its field errors), in input order.
    pub invalid: Vec<(u64, FieldErrors)>,
}

/// Evaluates every line of `input` that applies for `year` under `base` and under `draft`
/// (the same programmes but for that year) and compares the two decisions.
pub fn impact_jsonl(
    input: impl BufRead,
    rules: RuleSets<'_>,
    ledger: &Ledger,
    threads: usize,
) -> io::Result<JsonlImpact> {
    let mut impact = JsonlImpact::default();
    stream_batches(
        input,
        threads,
        |batch| impact_batch(batch, rules, ledger),
        |_, part: JsonlImpact| {
            impact.report.merge(part.report);
            impact.other_years += part.other_years;
            impact.invalid.extend(part.invalid);
            Ok(())
        },
    )?;
    impact.report.ledger = Some(rules.ledger_outlook(ledger, &impact.report));
    Ok(impact)
}

fn impact_batch(batch: &Batch, rules: RuleSets<'_>, ledger: &Ledger) -> JsonlImpact {
    let mut part = JsonlImpact::default();
    for (line_number, line) in (batch.first_line..).zip(lines_of(&batch.input)) {
        let parsed = match text_of(line) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => parse_request(text),
            Err(errors) => Err(errors),
        };
        let application = match parsed {
            Ok(application) => application,
            Err(errors) => {
                part.invalid.push((line_number, errors));
                continue;
            }
        };
        if application.fiscal_year != rules.base.fiscal_year {
            part.other_years += 1;
            continue;
        }
        rules.compare(&application, ledger, &mut part.report, || {
            (format!("{line_number}行目"), lead_name(&application))
        });
    }
    part
}

/// The lines of `input` in batches on `threads` workers: `work` turns each batch into an
/// answer `A` (and may fill the batch's `output`), and `consume` takes the answers in input
/// order on one thread. Memory is bounded by the batches in flight, not by the input.
pub(crate) fn stream_batches<A: Send>(
    input: impl BufRead,
    threads: usize,
    work: impl Fn(&mut Batch) -> A + Sync,
    consume: impl FnMut(&Batch, A) -> io::Result<()> + Send,
) -> io::Result<()> {
    let threads = threads.max(1);
    let pool = threads * BATCHES_PER_WORKER;
    let (batch_sender, batch_receiver) = sync_channel::<Batch>(pool);
    let (answer_sender, answer_receiver) = sync_channel::<(Batch, A)>(pool);
    let (free_sender, free_receiver) = sync_channel::<Batch>(pool);
    let batch_receiver = Arc::new(Mutex::new(batch_receiver));
    let work = &work;

    std::thread::scope(|scope| {
        let consumer = scope.spawn(move || consume_in_order(answer_receiver, consume, free_sender));
        for _ in 0..threads {
            let receiver = Arc::clone(&batch_receiver);
            let sender = answer_sender.clone();
            scope.spawn(move || work_on_batches(&receiver, &sender, work));
        }
        drop(answer_sender);
        drop(batch_receiver);
        let read = read_batches(input, &batch_sender, &free_receiver, pool);
        drop(batch_sender);
        let consumed = consumer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
        read?;
        consumed
    })
}

fn read_batches(
    mut input: impl BufRead,
    sender: &SyncSender<Batch>,
    free: &Receiver<Batch>,
    pool: usize,
) -> io::Result<()> {
    let mut line_number = 0u64;
    let mut sequence = 0u64;
    let mut created = 0;
    // The start of a line that the last read cut off, carried to the next batch.
    let mut carried = Vec::new();
    let mut at_end = false;
    while !at_end {
        let mut batch = if created < pool {
            created += 1;
            Batch::default()
        } else {
            match free.recv() {
                Ok(batch) => batch,
                // The writer stopped; it reports why.
                Err(_) => return Ok(()),
            }
        };
        batch.input.clear();
        batch.input.append(&mut carried);
        // Read whole blocks, not lines: the workers split them. The batch closes after its
        // size is reached at the end of a line.
        let mut searched = 0;
        let cut = loop {
            if batch.input.len() >= BATCH_BYTES
                && let Some(last) = memchr::memrchr(b'\n', &batch.input[searched..])
            {
                break searched + last + 1;
            }
            searched = batch.input.len();
            if read_block(&mut input, &mut batch.input)? == 0 {
                at_end = true;
                break batch.input.len();
            }
        };
        carried.extend_from_slice(&batch.input[cut..]);
        batch.input.truncate(cut);
        if batch.input.is_empty() {
            return Ok(());
        }
        batch.first_line = line_number + 1;
        line_number += count_lines(&batch.input);
        batch.sequence = sequence;
        sequence += 1;
        if sender.send(batch).is_err() {
            // Every worker is gone; the writer reports why.
            return Ok(());
        }
    }
    Ok(())
}

/// Appends up to [`READ_BYTES`] from `input` to `buffer`; 0 at the end of the input.
fn read_block(input: &mut impl BufRead, buffer: &mut Vec<u8>) -> io::Result<usize> {
    // `read_to_end` reads into the spare capacity without zeroing it first.
    input.take(READ_BYTES as u64).read_to_end(buffer)
}

/// Lines in `bytes`, the last one counted whether or not it ends with `\n`.
fn count_lines(bytes: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', bytes).count() as u64;
    newlines + u64::from(bytes.last().is_some_and(|b| *b != b'\n'))
}

fn work_on_batches<A>(
    receiver: &Mutex<Receiver<Batch>>,
    sender: &SyncSender<(Batch, A)>,
    work: &(impl Fn(&mut Batch) -> A + Sync),
) {
    loop {
        let mut batch = match receiver.lock() {
            Ok(receiver) => match receiver.recv() {
                Ok(batch) => batch,
                Err(_) => return,
            },
            Err(_) => return,
        };
        let answer = work(&mut batch);
        if sender.send((batch, answer)).is_err() {
            return;
        }
    }
}

fn evaluate_batch(batch: &mut Batch, programs: &ProgramSet, ledger: &Ledger, all_frames: bool) {
    let Batch {
        first_line,
        input,
        output,
        lines,
        invalid,
        ..
    } = batch;
    output.clear();
    (*lines, *invalid) = (0, 0);
    // Each line keeps its `\n`, as a line read as text does, so that error positions agree.
    for (line_number, line) in (*first_line..).zip(lines_of(input)) {
        let answered = match text_of(line) {
            // A line of nothing but whitespace (full-width spaces too) asks for no answer.
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => evaluate_text(text, programs, ledger, all_frames, output),
            Err(errors) => Err(errors),
        };
        *lines += 1;
        if let Err(errors) = answered {
            *invalid += 1;
            let answer = serde_json::json!({ "line": line_number, "errors": errors.errors });
            // Writing a JSON value to memory cannot fail.
            let _ = serde_json::to_writer(&mut *output, &answer);
        }
        output.push(b'\n');
    }
}

/// The lines of `bytes`, each with its `\n` (the last may lack it).
pub(crate) fn lines_of(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let length = memchr::memchr(b'\n', rest).map_or(rest.len(), |newline| newline + 1);
        let (line, after) = rest.split_at(length);
        rest = after;
        Some(line)
    })
}

fn consume_in_order<A>(
    receiver: Receiver<(Batch, A)>,
    mut consume: impl FnMut(&Batch, A) -> io::Result<()>,
    free: SyncSender<Batch>,
) -> io::Result<()> {
    let mut waiting: BTreeMap<u64, (Batch, A)> = BTreeMap::new();
    let mut next = 0u64;
    for answered in receiver {
        waiting.insert(answered.0.sequence, answered);
        while let Some((ready, answer)) = waiting.remove(&next) {
            consume(&ready, answer)?;
            next += 1;
            // The reader may have finished; then the batch is simply dropped.
            let _ = free.send(ready);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::program::ProgramSet;

    fn run(input: &[u8], threads: usize) -> (io::Result<StreamSummary>, String) {
        let programs = ProgramSet::embedded().expect("programmes");
        let ledger = Ledger::new();
        let mut output = Vec::new();
        let result = evaluate_jsonl(input, &mut output, &programs, &ledger, false, threads);
        (result, String::from_utf8(output).expect("UTF-8 output"))
    }

    fn request() -> String {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/r8_legal_1st.json"),
        )
        .expect("golden case");
        let case: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        case["request"].to_string()
    }

    /// The answer of the single-request contract for one line, as the stream must write it.
    fn expected(programs: &ProgramSet, line: &str, line_number: u64) -> String {
        let mut out = Vec::new();
        match evaluate_text(line, programs, &Ledger::new(), false, &mut out) {
            Ok(()) => String::from_utf8(out).expect("UTF-8"),
            Err(errors) => {
                serde_json::json!({ "line": line_number, "errors": errors.errors }).to_string()
            }
        }
    }

    #[test]
    fn answers_every_line_in_order_with_line_numbers_and_blank_lines_skipped() {
        // About twelve batches: more than the batches in flight, so batches are reused.
        const LINES: usize = 600;
        let programs = ProgramSet::embedded().expect("programmes");
        let valid = request();
        let mut input = String::new();
        let mut wanted = String::new();
        // Invalid and blank lines among them, and no newline after the last.
        for index in 0..LINES {
            let line_number = index as u64 + 1;
            let line = match index % 5 {
                0 => "   \u{3000}".to_owned(),
                1 => r#"{"fiscal_year": "#.to_owned(),
                2 => "{}".to_owned(),
                _ => valid.clone(),
            };
            if index % 5 != 0 {
                wanted.push_str(&expected(&programs, &format!("{line}\n"), line_number));
                wanted.push('\n');
            }
            input.push_str(&line);
            input.push('\n');
        }
        input.push_str("{\"fiscal_year\":");
        wanted.push_str(&expected(
            &programs,
            "{\"fiscal_year\":",
            (LINES + 1) as u64,
        ));
        wanted.push('\n');
        for threads in [1, 2, 3] {
            let (summary, output) = run(input.as_bytes(), threads);
            let summary = summary.expect("runs");
            assert_eq!(output, wanted, "{threads} threads");
            assert_eq!(summary.lines, output.lines().count() as u64);
            assert_eq!(summary.invalid, output.matches("\"errors\"").count() as u64);
        }
    }

    /// Gives at most a few bytes per read, so that reads end everywhere within a line.
    struct Trickle<'a>(&'a [u8]);

    impl io::Read for Trickle<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buffer.len()).min(7);
            buffer[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn lines_cut_by_reads_or_longer_than_a_batch_are_read_whole() {
        let programs = ProgramSet::embedded().expect("programmes");
        let valid = request();
        // JSON whitespace inside a line makes it longer than a batch without changing it.
        let long = valid.replacen(',', &format!(",{}", " ".repeat(BATCH_BYTES + 3)), 1);
        let lines = [valid.as_str(), "{", long.as_str(), valid.as_str()];
        let input = lines.join("\n");
        let wanted: String = lines
            .iter()
            .zip(1..)
            // Every line but the last is read with its `\n`, which error positions count.
            .map(|(line, number)| {
                let read = if number < lines.len() as u64 {
                    format!("{line}\n")
                } else {
                    line.to_string()
                };
                expected(&programs, &read, number) + "\n"
            })
            .collect();
        let ledger = Ledger::new();
        for threads in [1, 2] {
            let mut output = Vec::new();
            let reader = io::BufReader::with_capacity(3, Trickle(input.as_bytes()));
            let summary = evaluate_jsonl(reader, &mut output, &programs, &ledger, false, threads)
                .expect("runs");
            assert_eq!(String::from_utf8(output).expect("UTF-8"), wanted);
            assert_eq!((summary.lines, summary.invalid), (4, 1));
            let mut output = Vec::new();
            evaluate_jsonl(
                input.as_bytes(),
                &mut output,
                &programs,
                &ledger,
                false,
                threads,
            )
            .expect("runs");
            assert_eq!(String::from_utf8(output).expect("UTF-8"), wanted);
        }
    }

    #[test]
    fn a_line_that_is_not_utf8_is_answered_with_its_error_and_the_run_goes_on() {
        let valid = request();
        let mut input = Vec::new();
        for _ in 0..3 {
            input.extend_from_slice(valid.as_bytes());
            input.push(b'\n');
        }
        input.extend_from_slice(b"{\"frame\": \"\xff\"}\n");
        input.extend_from_slice(valid.as_bytes());
        let (result, output) = run(&input, 2);
        let summary = result.expect("the run goes on");
        assert_eq!((summary.lines, summary.invalid), (5, 1));
        let answers: Vec<serde_json::Value> = output
            .lines()
            .map(|line| serde_json::from_str(line).expect("JSON"))
            .collect();
        assert_eq!(answers.len(), 5);
        assert_eq!(answers[3]["line"], 4);
        assert_eq!(answers[3]["errors"][""][0]["code"], "invalid_json");
        assert!(answers[4].get("eligible").is_some());
    }

    #[test]
    fn impact_compares_each_line_of_the_year_under_both_rules_in_input_order() {
        let programs = ProgramSet::embedded().expect("programmes");
        let base = programs
            .get(crate::domain::calendar::FiscalYear(2026))
            .expect("R8");
        let mut draft = base.clone();
        let legal = draft
            .frames
            .iter_mut()
            .find(|frame| frame.code == crate::domain::codes::Frame::LegalLinkage)
            .expect("法制度連携枠");
        legal.rates[0].rate = crate::domain::money::Rate::new(1, 3).expect("rate");
        let valid = request();
        let other_year = valid.replacen("\"fiscal_year\":2026", "\"fiscal_year\":2025", 1);
        assert_ne!(other_year, valid, "the request names its year");
        let mut input = String::new();
        for index in 0..300 {
            input.push_str(match index % 3 {
                0 => &valid,
                1 => "{",
                _ => &other_year,
            });
            input.push('\n');
        }
        let ledger = Ledger::new();
        for threads in [1, 2] {
            let same = RuleSets::new(base, base).expect("same year");
            let unchanged = impact_jsonl(input.as_bytes(), same, &ledger, threads).expect("runs");
            assert_eq!(unchanged.report.evaluated, 100);
            assert!(unchanged.report.changed.is_empty());
            assert_eq!(unchanged.other_years, 100);
            assert_eq!(unchanged.invalid.len(), 100);
            assert_eq!(unchanged.invalid[1].0, 5, "line numbers in input order");

            let lower = RuleSets::new(base, &draft).expect("same year");
            let changed = impact_jsonl(input.as_bytes(), lower, &ledger, threads).expect("runs");
            assert_eq!(changed.report.changed.len(), 100, "{threads} threads");
            let labels: Vec<&str> = changed
                .report
                .changed
                .iter()
                .map(|row| row.label.as_str())
                .collect();
            assert_eq!(labels[..2], ["1行目", "4行目"], "in input order");
            let row = &changed.report.changed[0];
            assert_eq!(row.base.rate.map(|r| r.to_string()), Some("1/2".into()));
            assert_eq!(row.draft.rate.map(|r| r.to_string()), Some("1/3".into()));
            assert!(row.subsidy_difference.value() < 0);
            // Each side is the decision `evaluate` gives for the line under that rule set.
            let draft_set = ProgramSet::from_programs(
                programs
                    .iter()
                    .filter(|program| program.fiscal_year != draft.fiscal_year)
                    .cloned()
                    .chain([draft.clone()])
                    .collect(),
            )
            .expect("one programme a year");
            for (set, outcome) in [(&programs, &row.base), (&draft_set, &row.draft)] {
                let mut out = Vec::new();
                evaluate_text(&valid, set, &ledger, false, &mut out).expect("valid");
                let decision: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
                assert_eq!(decision["subsidy_yen"], outcome.subsidy_yen.value());
                assert_eq!(decision["award_ordinal"], outcome.award_ordinal);
                assert_eq!(decision["eligible"], outcome.eligible);
                assert_eq!(decision["cap_yen"], outcome.cap_yen.value());
            }
        }
    }
}
