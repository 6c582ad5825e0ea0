//! Exports from the command line: progress on stderr, files as asked.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use cloudpos_domain::ports::OrderFilter;
use cloudpos_domain::shift::Summary;
use cloudpos_terminal::{ExportReport, ExportTarget, Terminal};

/// Exports with a progress line on stderr (redrawn at most ten times a second on a terminal,
/// a line per 10 % otherwise).
pub async fn export(
    t: &Terminal,
    filter: &OrderFilter,
    target: ExportTarget,
) -> anyhow::Result<ExportReport> {
    let tty = std::io::stderr().is_terminal();
    let mut last = Instant::now();
    let mut last_decile = 0;
    let started = Instant::now();
    let report = t
        .export(filter, target, |done, total| {
            let pct = (done * 100).checked_div(total).unwrap_or(100);
            if tty {
                if last.elapsed() >= Duration::from_millis(100) || done == total {
                    eprint!("\rexporting: {done}/{total} rows ({pct}%)   ");
                    let _ = std::io::stderr().flush();
                    last = Instant::now();
                }
            } else if pct / 10 > last_decile || done == total {
                last_decile = pct / 10;
                eprintln!("exporting: {done}/{total} rows ({pct}%)");
            }
        })
        .await?;
    if tty {
        eprintln!();
    }
    eprintln!(
        "exported {} order(s) and {} refund(s) in {:.1} s to {}",
        report.orders,
        report.refunds,
        started.elapsed().as_secs_f32(),
        report
            .files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(report)
}

/// Writes the statistics picture of a summary's period and clerk.
pub async fn write_stats_png(t: &Terminal, summary: &Summary, path: &Path) -> anyhow::Result<()> {
    let png = t
        .stats_png(summary.from, summary.to, summary.clerk.as_ref())
        .await?;
    std::fs::write(path, png).with_context(|| format!("cannot write {}", path.display()))
}
