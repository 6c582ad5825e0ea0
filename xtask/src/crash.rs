//! Crash campaign: `cloudpos` is killed with SIGKILL at random moments while it pays,
//! queries, reverses, refunds or recovers; the cashier sometimes scans the same code again
//! at once; now and then the terminal restarts and recovers. At the end no code was charged
//! twice, the cloud and the terminal agree on every payment and refund, and every order
//! became final within 60 s (protocol time) of each restart.

use std::time::Duration;

use anyhow::Result;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::Ctx;
use crate::env::{Cloud, EXIT_PANIC, Till, code, status_of, yuan};
use crate::report::{Outcome, secs};

/// Scripts of the sandbox, weighted: mostly ordinary payments.
const SCRIPTS: [&str; 13] = [
    "00", "00", "00", "00", "00", "01", "02", "03", "04", "06", "07", "08", "09",
];

/// A payment known to be paid, and how much of it is left to refund.
struct Paid {
    no: String,
    left: i64,
}

/// Runs the campaign.
pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let mut out = Outcome::new("crash", ctx);
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let scale = ctx.scale;
    let cloud = Cloud::start(scale)?;
    // A share of ordinary payments wait for the customer, so kills also land while the
    // terminal is polling and reversing.
    cloud.set_faults(&json!({
        "seed": ctx.seed,
        "endpoints": ["micro_pay"],
        "user_paying": {"rate": 0.25, "min_ms": 0, "max_ms": scale.ms(60_000), "fail_rate": 0.2},
    }))?;
    let till = Till::temp(&ctx.bin)?;
    till.setup(&cloud, scale)?;

    let mut paid: Vec<Paid> = Vec::new();
    let mut recent: Vec<String> = Vec::new();
    let (mut kills, mut rescans, mut restarts) = (0u64, 0u64, 0u64);
    let mut ops = [0u64; 4];
    let mut slowest_recovery = Duration::ZERO;
    let limit = scale.dur(60_000);
    // How long each kind of command usually runs (kills are drawn within 1.3× that, so
    // most land while it runs, anywhere from start-up to the last write).
    let mut typical = [Duration::from_millis(300); 4];
    for run in 0..ctx.runs {
        let roll = rng.random_range(0..100);
        let op = if roll < 60 || paid.is_empty() {
            0
        } else if roll < 80 {
            1
        } else if roll < 90 {
            2
        } else {
            3
        };
        ops[op] += 1;
        let mut args: Vec<String> = Vec::new();
        match op {
            0 => {
                let script = SCRIPTS[rng.random_range(0..SCRIPTS.len())];
                let fen = rng.random_range(1..50_000);
                args.extend(
                    [
                        "pay",
                        "--amount",
                        &yuan(fen),
                        "--code",
                        &code(script),
                        "--json",
                    ]
                    .map(str::to_owned),
                );
            }
            1 => {
                let p = &paid[rng.random_range(0..paid.len())];
                // Now and then more than is left: must be refused, never sent.
                let fen = if rng.random_bool(0.1) {
                    p.left + 1
                } else {
                    rng.random_range(1..=p.left.max(1))
                };
                args.extend(
                    ["refund", "--order", &p.no, "--amount", &yuan(fen), "--json"]
                        .map(str::to_owned),
                );
            }
            2 => {
                let no = recent
                    .get(rng.random_range(0..recent.len().max(1)))
                    .cloned()
                    .unwrap_or_else(|| paid[0].no.clone());
                args.extend(["query", "--order", &no, "--json"].map(str::to_owned));
            }
            _ => args.extend(["recover", "--json"].map(str::to_owned)),
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = till.spawn(&argv)?;
        let started = std::time::Instant::now();
        let window = u64::try_from(typical[op].as_millis() * 13 / 10)
            .unwrap_or(1_000)
            .max(20);
        let kill_after = if rng.random_bool(0.9) {
            Some(Duration::from_millis(rng.random_range(0..window)))
        } else {
            None
        };
        let mut killed = false;
        if let Some(d) = kill_after {
            std::thread::sleep(d);
            if child.try_wait()?.is_none() {
                child.kill()?; // SIGKILL
                killed = true;
                kills += 1;
            }
        }
        let output = child.wait_with_output()?;
        if !killed {
            typical[op] = (typical[op] * 3 + started.elapsed()) / 4;
        }
        let status = status_of(&output);
        if !killed && (status == EXIT_PANIC || status < 0) {
            out.problem(
                run,
                format!(
                    "`cloudpos {}` crashed ({status}): {}",
                    args.join(" "),
                    String::from_utf8_lossy(&output.stderr)
                ),
            );
        }
        if !killed && op == 0 {
            let v: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
            if let Some(no) = v["out_trade_no"].as_str() {
                recent.push(no.to_owned());
                if status == 0 {
                    paid.push(Paid {
                        no: no.to_owned(),
                        left: v["amount_fen"].as_i64().unwrap_or(0),
                    });
                }
            }
        }
        if killed && op == 0 && rng.random_bool(0.5) {
            // The cashier scans the same code again at once.
            rescans += 1;
            let again = till.run(&argv, None)?;
            let s = status_of(&again);
            if !matches!(s, 0 | 1 | 3 | 4) {
                out.problem(
                    run,
                    format!(
                        "re-scan after a kill ended {s}: {}",
                        String::from_utf8_lossy(&again.stderr)
                    ),
                );
            }
        }
        if rng.random_range(0..25) == 0 {
            restarts += 1;
            let took = till.recover_all(limit * 10)?;
            slowest_recovery = slowest_recovery.max(took);
            if took > limit {
                out.problem(run, format!("recovery took {took:?} (limit {limit:?})"));
            }
            paid = refunds_left(&till)?;
        }
    }
    cloud.clear_faults()?;
    restarts += 1;
    let took = till.recover_all(limit * 10)?;
    slowest_recovery = slowest_recovery.max(took);
    if took > limit {
        out.problem(
            ctx.runs,
            format!("final recovery took {took:?} (limit {limit:?})"),
        );
    }
    let (tally, problems) = crate::check::compare(&cloud.ledger()?, &till.orders()?);
    for p in problems {
        out.problem(ctx.runs, p);
    }
    out.metric("kills", kills);
    out.metric("rescans", rescans);
    out.metric("restarts", restarts);
    out.metric(
        "ops",
        json!({"pay": ops[0], "refund": ops[1], "query": ops[2], "recover": ops[3]}),
    );
    out.metric("orders", tally.cloud_orders);
    out.metric("paid", tally.paid);
    out.metric("refunds", tally.cloud_refunds);
    out.metric(
        "slowest_recovery_s",
        secs(scale.to_protocol_secs(slowest_recovery)),
    );
    Ok(out)
}

/// Paid orders with money left to refund, from the terminal's ledger.
fn refunds_left(till: &Till) -> Result<Vec<Paid>> {
    Ok(till
        .orders()?
        .iter()
        .filter(|o| o["payment_state"] == "paid" && o["wallet"] != "cash")
        .filter_map(|o| {
            let left = o["amount_fen"].as_i64()? - o["refunded_fen"].as_i64()?;
            let no = o["out_trade_no"].as_str()?.to_owned();
            (left > 0).then_some(Paid { no, left })
        })
        .collect())
}
