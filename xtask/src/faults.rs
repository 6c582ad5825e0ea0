//! Network-fault campaign: every Cloud Pay call may be delayed 0–30 s, hang, be reset
//! before or dropped after the server commits, come back truncated, as status 3 or 103,
//! or as an HTTP 5xx; customers take 0–60 s to confirm. Payments and refunds go through
//! the `cloudpos` binary; whatever it leaves open, recovery (as the cashier app runs it in
//! the background) resolves. Pass: the ledgers agree, no double charge, and the cashier
//! never waits more than 60 s (protocol time) for a definite answer — paid, failed, or
//! "not paid, being reversed" (the money is never kept; recovery finishes the reverse).

use std::time::{Duration, Instant};

use anyhow::Result;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::Ctx;
use crate::env::{Cloud, EXIT_PANIC, EXIT_PENDING, Till, code, status_of, yuan};
use crate::report::{Outcome, secs};

/// The fault mix (rates per request, every endpoint).
fn fault_config(ctx: &Ctx) -> Value {
    let s = ctx.scale;
    json!({
        "seed": ctx.seed,
        "latency": {"rate": 0.15, "min_ms": 0, "max_ms": s.ms(30_000)},
        "hang_rate": 0.03,
        "reset_before_commit_rate": 0.03,
        "drop_after_commit_rate": 0.04,
        "truncate_rate": 0.03,
        "status3_rate": 0.03,
        "status103_rate": 0.03,
        "http5xx_rate": 0.03,
        "user_paying": {"rate": 0.3, "min_ms": 0, "max_ms": s.ms(60_000), "fail_rate": 0.2},
    })
}

/// Runs the campaign.
pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let mut out = Outcome::new("faults", ctx);
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let scale = ctx.scale;
    let cloud = Cloud::start(scale)?;
    let till = Till::temp(&ctx.bin)?;
    till.setup(&cloud, scale)?;
    cloud.set_faults(&fault_config(ctx))?;

    let limit = scale.cashier_wait_limit();
    let mut paid: Vec<(String, i64)> = Vec::new();
    let (mut pays, mut refunds, mut pending, mut over_limit) = (0u64, 0u64, 0u64, 0u64);
    let mut slowest_final = Duration::ZERO;
    let mut slowest_wait = Duration::ZERO;
    let mut exits = [0u64; 5];
    for run in 0..ctx.runs {
        let refund = !paid.is_empty() && rng.random_bool(0.2);
        let started = Instant::now();
        let output = if refund {
            refunds += 1;
            let (no, amount) = paid[rng.random_range(0..paid.len())].clone();
            let fen = rng.random_range(1..=amount.max(1));
            till.run(
                &["refund", "--order", &no, "--amount", &yuan(fen), "--json"],
                None,
            )?
        } else {
            pays += 1;
            let fen = rng.random_range(1..50_000);
            till.run(
                &[
                    "pay",
                    "--amount",
                    &yuan(fen),
                    "--code",
                    &code("00"),
                    "--json",
                ],
                None,
            )?
        };
        let waited = started.elapsed();
        slowest_wait = slowest_wait.max(waited);
        if waited > limit {
            over_limit += 1;
            out.problem(
                run,
                format!(
                    "the cashier waited {:.1} s (protocol time)",
                    scale.to_protocol_secs(waited)
                ),
            );
        }
        let status = status_of(&output);
        if let Some(slot) = usize::try_from(status).ok().and_then(|s| exits.get_mut(s)) {
            *slot += 1;
        }
        if status == EXIT_PANIC || status < 0 || status == 2 {
            out.problem(
                run,
                format!(
                    "cloudpos ended {status}: {}",
                    String::from_utf8_lossy(&output.stderr)
                ),
            );
            continue;
        }
        let v: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        if !refund
            && status == 0
            && let (Some(no), Some(fen)) = (v["out_trade_no"].as_str(), v["amount_fen"].as_i64())
        {
            paid.push((no.to_owned(), fen));
        }
        if status == EXIT_PENDING {
            // The cashier app's background recovery takes over from here.
            pending += 1;
            till.recover_all(limit * 10)?;
            slowest_final = slowest_final.max(started.elapsed());
        } else {
            slowest_final = slowest_final.max(started.elapsed());
        }
    }
    let stats = cloud.fault_stats()?;
    cloud.clear_faults()?;
    till.recover_all(limit * 10)?;
    let (tally, problems) = crate::check::compare(&cloud.ledger()?, &till.orders()?);
    for p in problems {
        out.problem(ctx.runs, p);
    }
    out.metric("pays", pays);
    out.metric("refunds", refunds);
    out.metric(
        "exits",
        json!({"ok": exits[0], "refused": exits[1], "not_done": exits[3], "pending": exits[4]}),
    );
    out.metric("left_open_then_recovered", pending);
    out.metric("cashier_waits_over_60s", over_limit);
    out.metric(
        "slowest_cashier_wait_s",
        secs(scale.to_protocol_secs(slowest_wait)),
    );
    out.metric(
        "slowest_to_final_s",
        secs(scale.to_protocol_secs(slowest_final)),
    );
    out.metric("paid", tally.paid);
    out.metric("faults_injected", stats);
    Ok(out)
}
