//! What every benchmark does with its figures: prints each one beside its target and, when a
//! target is missed, exits with status 1 after the last figure, so that a figure quoted in
//! docs/PERFORMANCE.md is always one a command printed against its target.
//!
//! Included by each bench (`#[path = "support/targets.rs"] mod targets;`): a file directly in
//! `benches/` would be taken for a bench of its own. A bench whose targets are all of one
//! kind leaves the other constructor unused.
#![allow(dead_code)]

use std::fmt;

/// Which side of its value a figure must stay on.
#[derive(Clone, Copy, Debug)]
pub enum Bound {
    AtMost,
    AtLeast,
}

/// One target: what is measured, the bound and its unit.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub what: &'static str,
    pub bound: Bound,
    pub value: f64,
    pub unit: &'static str,
}

impl Target {
    pub const fn at_most(what: &'static str, value: f64, unit: &'static str) -> Target {
        Target {
            what,
            bound: Bound::AtMost,
            value,
            unit,
        }
    }

    pub const fn at_least(what: &'static str, value: f64, unit: &'static str) -> Target {
        Target {
            what,
            bound: Bound::AtLeast,
            value,
            unit,
        }
    }

    pub fn is_met_by(&self, measured: f64) -> bool {
        match self.bound {
            Bound::AtMost => measured <= self.value,
            Bound::AtLeast => measured >= self.value,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = match self.bound {
            Bound::AtMost => "≤",
            Bound::AtLeast => "≥",
        };
        write!(f, "{sign} {} {}", number(self.value), self.unit)
    }
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// The figures of one run against their targets.
#[derive(Default)]
pub struct Targets {
    missed: Vec<String>,
    checked: usize,
}

impl Targets {
    /// Prints `measured` against `target` and remembers a miss.
    pub fn check(&mut self, target: &Target, measured: f64) {
        self.checked += 1;
        let met = target.is_met_by(measured);
        println!(
            "target {}: measured {} {}, target {} — {}",
            target.what,
            number(measured),
            target.unit,
            target,
            if met { "met" } else { "MISSED" }
        );
        if !met {
            self.missed.push(format!(
                "{} ({} {}, target {target})",
                target.what,
                number(measured),
                target.unit
            ));
        }
    }

    /// Prints the summary, and exits with status 1 when a target was missed.
    pub fn finish(self) {
        if self.missed.is_empty() {
            println!("targets: all {} met", self.checked);
        } else {
            println!(
                "targets: {} of {} MISSED: {}",
                self.missed.len(),
                self.checked,
                self.missed.join("; ")
            );
            std::process::exit(1);
        }
    }
}
