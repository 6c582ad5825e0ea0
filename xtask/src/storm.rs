//! Refund storms: 2–8 `cloudpos refund` processes at once on the same payment, asking for
//! amounts that together usually exceed it. Pass: the refunds that went through never add
//! up to more than was paid, on either side, and the two sides agree.

use std::time::Duration;

use anyhow::Result;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::Ctx;
use crate::env::{Cloud, EXIT_PANIC, Till, code, status_of, yuan};
use crate::report::Outcome;

/// Runs the campaign.
pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let mut out = Outcome::new("refund-storm", ctx);
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let scale = ctx.scale;
    let cloud = Cloud::start(scale)?;
    let till = Till::temp(&ctx.bin)?;
    till.setup(&cloud, scale)?;
    let (mut requested, mut succeeded, mut refused) = (0u64, 0u64, 0u64);
    let mut over_asked = 0u64;
    for run in 0..ctx.runs {
        let paid_fen = rng.random_range(100..50_000);
        let (status, v, err) = till.json(&[
            "pay",
            "--amount",
            &yuan(paid_fen),
            "--code",
            &code("00"),
            "--json",
        ])?;
        let Some(no) = v["out_trade_no"].as_str().filter(|_| status == 0) else {
            out.problem(run, format!("payment failed ({status}): {err}"));
            continue;
        };
        let n = rng.random_range(2..=8);
        let amounts: Vec<i64> = (0..n)
            .map(|_| rng.random_range(1..=paid_fen / 2 + 1))
            .collect();
        if amounts.iter().sum::<i64>() > paid_fen {
            over_asked += 1;
        }
        let children = amounts
            .iter()
            .map(|&fen| till.spawn(&["refund", "--order", no, "--amount", &yuan(fen), "--json"]))
            .collect::<Result<Vec<_>>>()?;
        let mut done = 0i64;
        for (child, fen) in children.into_iter().zip(&amounts) {
            requested += 1;
            let output = child.wait_with_output()?;
            let s = status_of(&output);
            match s {
                0 => {
                    succeeded += 1;
                    done += fen;
                }
                1 | 3 | 4 => refused += u64::from(s != 4),
                _ => out.problem(
                    run,
                    format!(
                        "refund ended {s}: {}",
                        String::from_utf8_lossy(&output.stderr)
                    ),
                ),
            }
            if s == EXIT_PANIC {
                out.problem(run, "refund panicked");
            }
        }
        if done > paid_fen {
            out.problem(
                run,
                format!("{no}: {done} fen refunded of a {paid_fen} fen payment"),
            );
        }
        till.recover_all(scale.dur(600_000).max(Duration::from_secs(10)))?;
        let local = till
            .orders()?
            .into_iter()
            .find(|o| o["out_trade_no"] == no)
            .unwrap_or(Value::Null);
        if local["refunded_fen"].as_i64().unwrap_or(i64::MAX) > paid_fen {
            out.problem(
                run,
                format!("{no}: terminal shows {}", local["refunded_fen"]),
            );
        }
    }
    let (tally, problems) = crate::check::compare(&cloud.ledger()?, &till.orders()?);
    for p in problems {
        out.problem(ctx.runs, p);
    }
    out.metric("refunds_requested", requested);
    out.metric("refunds_succeeded", succeeded);
    out.metric("refunds_refused", refused);
    out.metric("storms_asking_more_than_paid", over_asked);
    out.metric("cloud_refund_records", tally.cloud_refunds);
    Ok(out)
}
