//! Duplicate input: a scanner (or a cashier) sends the same payment code twice, 0–2 s
//! apart, while the first payment may still be in flight. The terminal runs in this
//! process, as in the cashier app, where scans arrive as events on one `Terminal`. Pass:
//! one payment per code — the second scan within 2 s is refused before anything is sent,
//! and a later one is refused by the cloud (a code is single use).

use std::time::{Duration, Instant};

use anyhow::Result;
use cloudpos_domain::money::Money;
use cloudpos_terminal::{PayInput, Terminal, TerminalError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::Ctx;
use crate::env::{Cloud, Till, code};
use crate::report::Outcome;

/// Runs the campaign.
pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let mut out = Outcome::new("duplicate", ctx);
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let scale = ctx.scale;
    let cloud = Cloud::start(scale)?;
    let till = Till::temp(&ctx.bin)?;
    till.setup(&cloud, scale)?;
    // Some customers are slow, so the second scan often arrives mid-payment.
    cloud.set_faults(&json!({
        "seed": ctx.seed,
        "endpoints": ["micro_pay"],
        "user_paying": {"rate": 0.5, "min_ms": 0, "max_ms": 1_500},
    }))?;
    let rt = cloud.runtime();
    let terminal = rt.block_on(Terminal::open(till.home()))?;
    let (mut refused_locally, mut refused_by_cloud, mut sent_twice) = (0u64, 0u64, 0u64);
    let mut codes = Vec::new();
    for run in 0..ctx.runs {
        let c = code("00");
        codes.push(c.clone());
        // Mostly inside the 2 s window; a fifth just outside it.
        let gap = if rng.random_bool(0.8) {
            Duration::from_millis(rng.random_range(0..1_950))
        } else {
            Duration::from_millis(rng.random_range(2_050..3_000))
        };
        let fen = rng.random_range(1..50_000);
        let input = || PayInput {
            amount: Money::from_fen(fen),
            code: c.clone(),
            remark: String::new(),
            body: None,
            timeout: None,
        };
        let (first, second, second_at) = rt.block_on(async {
            let t1 = terminal.clone();
            let first_input = input();
            let started = Instant::now();
            let first = tokio::spawn(async move { t1.pay(first_input).await });
            tokio::time::sleep(gap).await;
            let second_at = started.elapsed();
            let second = terminal.pay(input()).await;
            (first.await, second, second_at)
        });
        let first = first?;
        match (&second, second_at < Duration::from_secs(2)) {
            (Err(TerminalError::DuplicateScan(_)), true) => refused_locally += 1,
            (Err(e), true) => out.problem(run, format!("second scan after {second_at:?}: {e}")),
            (Ok(o), _) if o.state.as_str() == "paid" && first.is_ok() => {
                sent_twice += 1;
                out.problem(run, format!("second scan after {second_at:?} paid again"));
            }
            (_, false) => refused_by_cloud += 1,
            (Ok(o), true) => out.problem(
                run,
                format!(
                    "second scan after {second_at:?} went through ({})",
                    o.state.as_str()
                ),
            ),
        }
        if let Err(e) = first {
            out.problem(run, format!("first scan: {e}"));
        }
    }
    rt.block_on(terminal.recover_pending())?;
    let ledger = cloud.ledger()?;
    let orders = ledger["orders"].as_array().cloned().unwrap_or_default();
    for (run, c) in (0u64..).zip(&codes) {
        let sent = orders
            .iter()
            .filter(|o| o["author_code"] == c.as_str())
            .count();
        if sent != 1 {
            out.problem(run, format!("code {c}: {sent} orders reached the cloud"));
        }
    }
    let (_, problems) = crate::check::compare(&ledger, &till.orders()?);
    for p in problems {
        out.problem(ctx.runs, p);
    }
    out.metric("second_scan_refused_at_once", refused_locally);
    out.metric("later_rescan_refused_by_cloud", refused_by_cloud);
    out.metric("charged_twice", sent_twice);
    Ok(out)
}
