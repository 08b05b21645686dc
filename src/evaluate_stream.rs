//! `hojokin evaluate --jsonl`: one application per line in, one decision per line out, on
//! every core, in input order, with memory bounded by the batches in flight (not by N).
//!
//! A fixed pool of batches circulates: the reader fills a free batch with whole lines (bytes),
//! a worker evaluates them into the batch's output buffer, and the writer writes the outputs
//! in order and hands the batch back to the reader. The reader waits for a free batch, so no
//! more than the pool is ever in memory however far the workers get ahead of the writer, and
//! the buffers are reused instead of allocated per line or per batch.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use crate::domain::contract::evaluate_text;
use crate::domain::ledger::Ledger;
use crate::domain::program::ProgramSet;

/// Lines per unit of work: large enough to amortise the hand-offs, small enough to keep
/// every core busy near the end.
const BATCH_LINES: usize = 512;

/// A batch also closes at this many input bytes, so that long lines do not make it huge.
const BATCH_BYTES: usize = 1 << 20;

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
struct Batch {
    sequence: u64,
    /// 1-based number of the first line in `input`.
    first_line: u64,
    /// Whole lines, each with its `\n` (the last line of the input may lack it).
    input: Vec<u8>,
    output: Vec<u8>,
    /// Non-blank lines answered, and how many of them were invalid.
    lines: u64,
    invalid: u64,
    /// A line that is not UTF-8 stops the run, as reading it as text would; the lines
    /// before it are still answered.
    not_utf8: bool,
}

/// Evaluates every line of `input` and writes one line per non-blank input line to `output`.
/// A line that is not a valid request gets `{"line": <1-based line number>, "errors": {…}}`.
pub fn evaluate_jsonl(
    input: impl BufRead,
    output: impl Write + Send,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
    threads: usize,
) -> io::Result<StreamSummary> {
    let threads = threads.max(1);
    let pool = threads * BATCHES_PER_WORKER;
    let (batch_sender, batch_receiver) = sync_channel::<Batch>(pool);
    let (answer_sender, answer_receiver) = sync_channel::<Batch>(pool);
    let (free_sender, free_receiver) = sync_channel::<Batch>(pool);
    let batch_receiver = Arc::new(Mutex::new(batch_receiver));

    std::thread::scope(|scope| {
        let writer = scope.spawn(move || write_in_order(answer_receiver, output, free_sender));
        for _ in 0..threads {
            let receiver = Arc::clone(&batch_receiver);
            let sender = answer_sender.clone();
            scope.spawn(move || evaluate_batches(&receiver, &sender, programs, ledger, all_frames));
        }
        drop(answer_sender);
        drop(batch_receiver);
        let read = read_batches(input, &batch_sender, &free_receiver, pool);
        drop(batch_sender);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
        read?;
        written
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
    loop {
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
        batch.first_line = line_number + 1;
        let mut lines = 0;
        while lines < BATCH_LINES && batch.input.len() < BATCH_BYTES {
            if input.read_until(b'\n', &mut batch.input)? == 0 {
                break;
            }
            lines += 1;
        }
        if lines == 0 {
            return Ok(());
        }
        line_number += lines as u64;
        batch.sequence = sequence;
        sequence += 1;
        if sender.send(batch).is_err() {
            // Every worker is gone; the writer reports why.
            return Ok(());
        }
    }
}

fn evaluate_batches(
    receiver: &Mutex<Receiver<Batch>>,
    sender: &SyncSender<Batch>,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
) {
    loop {
        let mut batch = match receiver.lock() {
            Ok(receiver) => match receiver.recv() {
                Ok(batch) => batch,
                Err(_) => return,
            },
            Err(_) => return,
        };
        evaluate_batch(&mut batch, programs, ledger, all_frames);
        if sender.send(batch).is_err() {
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
        not_utf8,
        ..
    } = batch;
    output.clear();
    (*lines, *invalid, *not_utf8) = (0, 0, false);
    // Each line keeps its `\n`, as a line read as text does, so that error positions agree.
    for (line_number, line) in (*first_line..).zip(input.split_inclusive(|byte| *byte == b'\n')) {
        let Ok(text) = std::str::from_utf8(line) else {
            *not_utf8 = true;
            return;
        };
        if !text.trim().is_empty() {
            *lines += 1;
            if let Err(errors) = evaluate_text(text, programs, ledger, all_frames, output) {
                *invalid += 1;
                let answer = serde_json::json!({ "line": line_number, "errors": errors.errors });
                // Writing a JSON value to memory cannot fail.
                let _ = serde_json::to_writer(&mut *output, &answer);
            }
            output.push(b'\n');
        }
    }
}

fn write_in_order(
    receiver: Receiver<Batch>,
    output: impl Write,
    free: SyncSender<Batch>,
) -> io::Result<StreamSummary> {
    let mut output = io::BufWriter::with_capacity(1 << 20, output);
    let mut waiting: BTreeMap<u64, Batch> = BTreeMap::new();
    let mut next = 0u64;
    let mut summary = StreamSummary::default();
    for answered in receiver {
        waiting.insert(answered.sequence, answered);
        while let Some(ready) = waiting.remove(&next) {
            output.write_all(&ready.output)?;
            summary.lines += ready.lines;
            summary.invalid += ready.invalid;
            if ready.not_utf8 {
                output.flush()?;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                ));
            }
            next += 1;
            // The reader may have finished; then the batch is simply dropped.
            let _ = free.send(ready);
        }
    }
    output.flush()?;
    Ok(summary)
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
        let programs = ProgramSet::embedded().expect("programmes");
        let valid = request();
        let mut input = String::new();
        let mut wanted = String::new();
        // More lines than the batches in flight, so batches are reused, with invalid and
        // blank lines among them and no newline after the last.
        for index in 0..(BATCH_LINES * 12 + 7) {
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
            (BATCH_LINES * 12 + 8) as u64,
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

    #[test]
    fn a_line_that_is_not_utf8_stops_the_run_after_the_lines_before_it() {
        let valid = request();
        let mut input = Vec::new();
        for _ in 0..3 {
            input.extend_from_slice(valid.as_bytes());
            input.push(b'\n');
        }
        input.extend_from_slice(b"{\"frame\": \"\xff\"}\n");
        input.extend_from_slice(valid.as_bytes());
        let (result, output) = run(&input, 2);
        let error = result.expect_err("invalid UTF-8");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert_eq!(output.lines().count(), 3);
    }
}
