//! The revoke race: the customer confirms on the phone between the terminal's last query
//! and its reverse. Half the runs use the sandbox's script `09` (the payment completes as
//! the reverse arrives, and the reverse refunds it); the other half hold the customer for
//! a time drawn around the payment timeout, so the confirmation lands just before or just
//! after the terminal gives up. Pass: never "goods out, no money" (terminal paid, cloud
//! not) and never a payment kept without the sale (cloud paid, terminal not); a reversed
//! payment has its money returned.

use anyhow::Result;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::Ctx;
use crate::env::{Cloud, EXIT_PANIC, Till, code, status_of, yuan};
use crate::report::Outcome;

/// Runs the campaign.
pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let mut out = Outcome::new("revoke-race", ctx);
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let scale = ctx.scale;
    let cloud = Cloud::start(scale)?;
    let till = Till::temp(&ctx.bin)?;
    till.setup(&cloud, scale)?;
    // Confirmations drawn from 3 s before to 3 s after the 45 s payment timeout.
    cloud.set_faults(&json!({
        "seed": ctx.seed,
        "endpoints": ["micro_pay"],
        "user_paying": {"rate": 1.0, "min_ms": scale.ms(42_000), "max_ms": scale.ms(48_000)},
    }))?;
    let (mut paid, mut reversed_refunded, mut reversed_unpaid) = (0u64, 0u64, 0u64);
    for run in 0..ctx.runs {
        let script = if rng.random_bool(0.5) { "09" } else { "00" };
        let fen = rng.random_range(1..50_000);
        let output = till.run(
            &[
                "pay",
                "--amount",
                &yuan(fen),
                "--code",
                &code(script),
                "--json",
            ],
            None,
        )?;
        let status = status_of(&output);
        if status == EXIT_PANIC || status < 0 {
            out.problem(
                run,
                format!("pay crashed: {}", String::from_utf8_lossy(&output.stderr)),
            );
            continue;
        }
        let v: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        let Some(no) = v["out_trade_no"].as_str().map(str::to_owned) else {
            out.problem(run, format!("no order number in {v}"));
            continue;
        };
        till.recover_all(scale.dur(600_000))?;
        let ledger = cloud.ledger()?;
        let Some(c) = ledger["orders"]
            .as_array()
            .and_then(|list| list.iter().find(|o| o["out_trade_no"] == no.as_str()))
        else {
            out.problem(run, format!("{no}: not in the cloud"));
            continue;
        };
        let local = till
            .orders()?
            .into_iter()
            .find(|o| o["out_trade_no"] == no.as_str())
            .unwrap_or(Value::Null);
        match (c["state"].as_str(), local["payment_state"].as_str()) {
            (Some("paid"), Some("paid")) => paid += 1,
            (Some("reversed"), Some("reversed")) => {
                if c["reversed_refund_fee"].as_i64() == c["total_fee"].as_i64() {
                    reversed_refunded += 1;
                } else {
                    reversed_unpaid += 1;
                }
            }
            (cs, ls) => out.problem(run, format!("{no}: cloud {cs:?}, terminal {ls:?}")),
        }
    }
    let (_, problems) = crate::check::compare(&cloud.ledger()?, &till.orders()?);
    for p in problems {
        out.problem(ctx.runs, p);
    }
    out.metric("paid_before_the_reverse", paid);
    out.metric("paid_as_reversed_money_returned", reversed_refunded);
    out.metric("reversed_before_paying", reversed_unpaid);
    Ok(out)
}
