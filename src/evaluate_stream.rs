//! `hojokin evaluate --jsonl`: one application per line in, one decision per line out, on
//! every core, in input order, with memory bounded by the batches in flight (not by N).

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use crate::domain::contract::evaluate_text;
use crate::domain::ledger::Ledger;
use crate::domain::program::ProgramSet;

/// Lines per unit of work: large enough to amortise the hand-offs, small enough to keep
/// every core busy near the end.
const BATCH_LINES: usize = 1024;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StreamSummary {
    /// Non-blank input lines (one output line each).
    pub lines: u64,
    /// Lines answered with `{"line": n, "errors": …}` instead of a decision.
    pub invalid: u64,
}

struct Batch {
    sequence: u64,
    /// (1-based line number in the input, text)
    lines: Vec<(u64, String)>,
}

struct Answered {
    sequence: u64,
    output: Vec<u8>,
    lines: u64,
    invalid: u64,
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
    let (batch_sender, batch_receiver) = sync_channel::<Batch>(threads * 2);
    let (answer_sender, answer_receiver) = sync_channel::<Answered>(threads * 2);
    let batch_receiver = Arc::new(Mutex::new(batch_receiver));

    std::thread::scope(|scope| {
        let writer = scope.spawn(move || write_in_order(answer_receiver, output));
        for _ in 0..threads {
            let receiver = Arc::clone(&batch_receiver);
            let sender = answer_sender.clone();
            scope.spawn(move || evaluate_batches(&receiver, &sender, programs, ledger, all_frames));
        }
        drop(answer_sender);
        let read = read_batches(input, &batch_sender);
        drop(batch_sender);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
        read?;
        written
    })
}

fn read_batches(mut input: impl BufRead, sender: &SyncSender<Batch>) -> io::Result<()> {
    let mut line_number = 0u64;
    let mut sequence = 0u64;
    loop {
        let mut lines = Vec::with_capacity(BATCH_LINES);
        while lines.len() < BATCH_LINES {
            let mut line = String::new();
            if input.read_line(&mut line)? == 0 {
                break;
            }
            line_number += 1;
            if line.trim().is_empty() {
                continue;
            }
            lines.push((line_number, line));
        }
        if lines.is_empty() {
            return Ok(());
        }
        let batch = Batch { sequence, lines };
        sequence += 1;
        if sender.send(batch).is_err() {
            // Every worker is gone; the writer reports why.
            return Ok(());
        }
    }
}

fn evaluate_batches(
    receiver: &Mutex<Receiver<Batch>>,
    sender: &SyncSender<Answered>,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
) {
    loop {
        let batch = match receiver.lock() {
            Ok(receiver) => match receiver.recv() {
                Ok(batch) => batch,
                Err(_) => return,
            },
            Err(_) => return,
        };
        let mut output = Vec::with_capacity(batch.lines.len() * 1024);
        let mut invalid = 0;
        for (line_number, text) in &batch.lines {
            if let Err(errors) = evaluate_text(text, programs, ledger, all_frames, &mut output) {
                invalid += 1;
                let answer = serde_json::json!({ "line": line_number, "errors": errors.errors });
                // Writing a JSON value to memory cannot fail.
                let _ = serde_json::to_writer(&mut output, &answer);
            }
            output.push(b'\n');
        }
        let answered = Answered {
            sequence: batch.sequence,
            output,
            lines: batch.lines.len() as u64,
            invalid,
        };
        if sender.send(answered).is_err() {
            return;
        }
    }
}

fn write_in_order(receiver: Receiver<Answered>, output: impl Write) -> io::Result<StreamSummary> {
    let mut output = io::BufWriter::with_capacity(1 << 20, output);
    let mut waiting: BTreeMap<u64, Answered> = BTreeMap::new();
    let mut next = 0u64;
    let mut summary = StreamSummary::default();
    for answered in receiver {
        waiting.insert(answered.sequence, answered);
        while let Some(ready) = waiting.remove(&next) {
            output.write_all(&ready.output)?;
            summary.lines += ready.lines;
            summary.invalid += ready.invalid;
            next += 1;
        }
    }
    output.flush()?;
    Ok(summary)
}
