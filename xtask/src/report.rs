//! A campaign's result: its seed, counts, measured figures and every violation found.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::Ctx;

/// How a campaign ended.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// Campaign name.
    pub name: String,
    /// Seed that replays it.
    pub seed: u64,
    /// Runs performed.
    pub runs: u64,
    /// Time scale used.
    pub scale: f64,
    /// Counts and measured figures (durations in protocol seconds).
    pub metrics: Map<String, Value>,
    /// Violations of the pass criteria (empty: passed).
    pub problems: Vec<String>,
    /// Wall-clock seconds.
    pub elapsed_s: f64,
}

impl Outcome {
    /// An outcome for `ctx` with nothing recorded yet.
    #[must_use]
    pub fn new(name: &str, ctx: &Ctx) -> Outcome {
        Outcome {
            name: name.to_owned(),
            seed: ctx.seed,
            runs: ctx.runs,
            scale: ctx.scale.0,
            metrics: Map::new(),
            problems: Vec::new(),
            elapsed_s: 0.0,
        }
    }

    /// A campaign that could not run to its end.
    #[must_use]
    pub fn aborted(name: &str, ctx: &Ctx, e: &anyhow::Error, elapsed: Duration) -> Outcome {
        let mut o = Outcome::new(name, ctx);
        o.problems.push(format!("aborted: {e:#}"));
        o.elapsed_s = elapsed.as_secs_f64();
        o
    }

    /// Records a figure.
    pub fn metric(&mut self, key: &str, value: impl Into<Value>) {
        self.metrics.insert(key.to_owned(), value.into());
    }

    /// Records a violation (with the run it happened in).
    pub fn problem(&mut self, run: u64, what: impl std::fmt::Display) {
        self.problems.push(format!("run {run}: {what}"));
    }

    /// Whether every pass criterion held.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    /// Prints the result.
    pub fn print(&self) {
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        eprintln!(
            "{verdict} {} (seed {}, {} runs, {:.0} s): {}",
            self.name,
            self.seed,
            self.runs,
            self.elapsed_s,
            Value::Object(self.metrics.clone())
        );
        for p in self.problems.iter().take(20) {
            eprintln!("  ✗ {p}");
        }
        if self.problems.len() > 20 {
            eprintln!("  … {} more", self.problems.len() - 20);
        }
    }
}

/// The summary as a Markdown table (pasted into `docs/reliability.md`).
pub fn print_table(outcomes: &[Outcome]) {
    println!("| campaign | seed | runs | result | figures | wall time |");
    println!("|---|---|---|---|---|---|");
    for o in outcomes {
        let figures = o
            .metrics
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let verdict = if o.passed() {
            "pass".to_owned()
        } else {
            format!("**FAIL** ({} problems)", o.problems.len())
        };
        println!(
            "| {} | {} | {} | {verdict} | {figures} | {:.0} s |",
            o.name, o.seed, o.runs, o.elapsed_s
        );
    }
}

/// Seconds with 2 decimals, as a JSON number.
#[must_use]
pub fn secs(v: f64) -> Value {
    Value::from((v * 100.0).round() / 100.0)
}
