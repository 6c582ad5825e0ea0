//! Deposit campaigns (押金, issue 16).
//!
//! `deposit-crash`: `cloudpos deposit freeze/consume/unfreeze/query` and `recover` are killed
//! with SIGKILL at random moments; the cashier sometimes scans the same code again at once;
//! now and then the terminal restarts and recovers. `deposit-faults`: every deposit call
//! (and the consume order's `query_order`) may be delayed, hang, be reset before or dropped
//! after the server commits, come back truncated, as status 3/103 or HTTP 5xx; whatever is
//! left open, recovery resolves. Both end with the ground truth of `deposit_check` (the
//! sandbox's ledger: no lost or double freeze, nothing left frozen or waiting after
//! recovery unless the terminal shows it frozen, consumed + released ≤ frozen) and the
//! payment checks of `check` over the consume orders.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::Ctx;
use crate::env::{Cloud, EXIT_PANIC, EXIT_PENDING, Till, code, status_of, yuan};
use crate::report::{Outcome, secs};

/// Freeze scripts of the sandbox, weighted: mostly ordinary freezes.
const SCRIPTS: [&str; 13] = [
    "00", "00", "00", "00", "00", "01", "02", "03", "04", "05", "06", "07", "08",
];

/// A deposit known frozen, and its amount.
#[derive(Debug, Clone)]
struct Frozen {
    no: String,
    fen: i64,
}

/// The deposits the terminal shows frozen (`deposit list --state frozen --json`).
fn frozen_deposits(till: &Till) -> Result<Vec<Frozen>> {
    let (status, v, err) = till.json(&["deposit", "list", "--state", "frozen", "--json"])?;
    let Value::Array(list) = v else {
        bail!("deposit list failed ({status}): {err}");
    };
    Ok(list
        .iter()
        .filter_map(|d| {
            Some(Frozen {
                no: d["out_freeze_no"].as_str()?.to_owned(),
                fen: d["remaining_fen"].as_i64()?,
            })
        })
        .filter(|f| f.fen > 0)
        .collect())
}

/// Every deposit of the terminal.
fn all_deposits(till: &Till) -> Result<Vec<Value>> {
    let (status, v, err) = till.json(&["deposit", "list", "--json"])?;
    match v {
        Value::Array(list) if status == 0 => Ok(list),
        _ => bail!("deposit list failed ({status}): {err}"),
    }
}

/// The arguments of one random deposit command.
fn command(rng: &mut StdRng, frozen: &[Frozen]) -> (usize, Vec<String>) {
    let roll = rng.random_range(0..100);
    let op = if roll < 50 || frozen.is_empty() {
        0
    } else if roll < 72 {
        1
    } else if roll < 87 {
        2
    } else if roll < 92 {
        3
    } else {
        4
    };
    let args: Vec<String> = match op {
        0 => {
            let script = SCRIPTS[rng.random_range(0..SCRIPTS.len())];
            let fen = rng.random_range(1..50_000);
            [
                "deposit",
                "freeze",
                "--amount",
                &yuan(fen),
                "--code",
                &code(script),
                "--json",
            ]
            .map(str::to_owned)
            .to_vec()
        }
        1 => {
            let f = &frozen[rng.random_range(0..frozen.len())];
            // Now and then more than is frozen: refused, never sent.
            let fen = if rng.random_bool(0.1) {
                f.fen + 1
            } else {
                rng.random_range(1..=f.fen)
            };
            [
                "deposit",
                "consume",
                "--freeze",
                &f.no,
                "--amount",
                &yuan(fen),
                "--json",
            ]
            .map(str::to_owned)
            .to_vec()
        }
        2 => {
            let f = &frozen[rng.random_range(0..frozen.len())];
            ["deposit", "unfreeze", "--freeze", &f.no, "--json"]
                .map(str::to_owned)
                .to_vec()
        }
        3 => {
            let f = &frozen[rng.random_range(0..frozen.len())];
            ["deposit", "query", "--freeze", &f.no, "--json"]
                .map(str::to_owned)
                .to_vec()
        }
        _ => ["recover", "--json"].map(str::to_owned).to_vec(),
    };
    (op, args)
}

/// Ends a campaign: recovery, then the ground truth.
fn finish(out: &mut Outcome, ctx: &Ctx, cloud: &Cloud, till: &Till) -> Result<Duration> {
    let limit = ctx.scale.dur(60_000);
    let took = till.recover_all(limit * 10)?;
    let ledger = cloud.ledger()?;
    let (tally, problems) = crate::deposit_check::compare(&ledger, &all_deposits(till)?);
    for p in problems {
        out.problem(ctx.runs, p);
    }
    let (orders, problems) = crate::check::compare(&ledger, &till.orders()?);
    for p in problems {
        out.problem(ctx.runs, p);
    }
    out.metric("freezes", tally.cloud_freezes as u64);
    out.metric("held_money", tally.held_money as u64);
    out.metric("still_frozen", tally.still_frozen as u64);
    out.metric("consumed", tally.consumed as u64);
    out.metric("released", tally.released as u64);
    out.metric("releases", tally.cloud_releases as u64);
    out.metric("consume_orders_paid", orders.paid as u64);
    Ok(took)
}

/// `deposit-crash`.
pub fn crash(ctx: &Ctx) -> Result<Outcome> {
    let mut out = Outcome::new("deposit-crash", ctx);
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let scale = ctx.scale;
    let cloud = Cloud::start(scale)?;
    let till = Till::temp(&ctx.bin)?;
    till.setup(&cloud, scale)?;
    let limit = scale.dur(60_000);
    let mut frozen: Vec<Frozen> = Vec::new();
    let (mut kills, mut rescans, mut restarts) = (0u64, 0u64, 0u64);
    let mut ops = [0u64; 5];
    let mut typical = [Duration::from_millis(300); 5];
    let mut slowest_recovery = Duration::ZERO;
    for run in 0..ctx.runs {
        let (op, args) = command(&mut rng, &frozen);
        ops[op] += 1;
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = till.spawn(&argv)?;
        let started = Instant::now();
        let window = u64::try_from(typical[op].as_millis() * 13 / 10)
            .unwrap_or(1_000)
            .max(20);
        let mut killed = false;
        if rng.random_bool(0.9) {
            std::thread::sleep(Duration::from_millis(rng.random_range(0..window)));
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
        if !killed && (status == EXIT_PANIC || status < 0 || status == 2) {
            out.problem(
                run,
                format!(
                    "`cloudpos {}` crashed ({status}): {}",
                    args.join(" "),
                    String::from_utf8_lossy(&output.stderr)
                ),
            );
        }
        if !killed {
            let v: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
            if op == 0
                && status == 0
                && let (Some(no), Some(fen)) =
                    (v["out_freeze_no"].as_str(), v["remaining_fen"].as_i64())
            {
                frozen.push(Frozen {
                    no: no.to_owned(),
                    fen,
                });
            }
            if matches!(op, 1 | 2) && status == 0 {
                let no = v["out_freeze_no"].as_str().unwrap_or("");
                frozen.retain(|f| f.no != no);
            }
        }
        if killed && op == 0 && rng.random_bool(0.5) {
            // The cashier scans the same code again at once: a code is single use, so it
            // can never freeze twice.
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
        if killed || rng.random_range(0..20) == 0 {
            // What a kill left open may have changed what is frozen.
            if rng.random_range(0..4) == 0 {
                restarts += 1;
                let took = till.recover_all(limit * 10)?;
                slowest_recovery = slowest_recovery.max(took);
                if took > limit {
                    out.problem(run, format!("recovery took {took:?} (limit {limit:?})"));
                }
            }
            frozen = frozen_deposits(&till)?;
        }
    }
    restarts += 1;
    let took = finish(&mut out, ctx, &cloud, &till)?;
    slowest_recovery = slowest_recovery.max(took);
    if took > limit {
        out.problem(
            ctx.runs,
            format!("final recovery took {took:?} (limit {limit:?})"),
        );
    }
    out.metric("kills", kills);
    out.metric("rescans", rescans);
    out.metric("restarts", restarts);
    out.metric(
        "ops",
        json!({"freeze": ops[0], "consume": ops[1], "unfreeze": ops[2], "query": ops[3], "recover": ops[4]}),
    );
    out.metric(
        "slowest_recovery_s",
        secs(scale.to_protocol_secs(slowest_recovery)),
    );
    Ok(out)
}

/// The fault mix of `deposit-faults` (rates per request, deposit calls and `query_order`).
fn fault_config(ctx: &Ctx) -> Value {
    let s = ctx.scale;
    json!({
        "seed": ctx.seed,
        "endpoints": ["micro_freeze", "query_freeze_order", "deposit_consume", "unfreeze",
                      "query_unfreeze_order", "query_order"],
        "latency": {"rate": 0.15, "min_ms": 0, "max_ms": s.ms(30_000)},
        "hang_rate": 0.03,
        "reset_before_commit_rate": 0.04,
        "drop_after_commit_rate": 0.05,
        "truncate_rate": 0.03,
        "status3_rate": 0.03,
        "status103_rate": 0.03,
        "http5xx_rate": 0.03,
    })
}

/// `deposit-faults`.
pub fn faults(ctx: &Ctx) -> Result<Outcome> {
    let mut out = Outcome::new("deposit-faults", ctx);
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let scale = ctx.scale;
    let cloud = Cloud::start(scale)?;
    let till = Till::temp(&ctx.bin)?;
    till.setup(&cloud, scale)?;
    cloud.set_faults(&fault_config(ctx))?;
    let limit = scale.cashier_wait_limit();
    let mut frozen: Vec<Frozen> = Vec::new();
    let mut exits = [0u64; 5];
    let mut ops = [0u64; 5];
    let (mut pending, mut over_limit) = (0u64, 0u64);
    let mut slowest_wait = Duration::ZERO;
    for run in 0..ctx.runs {
        let (op, args) = command(&mut rng, &frozen);
        ops[op] += 1;
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let started = Instant::now();
        let output = till.run(&argv, None)?;
        let waited = started.elapsed();
        slowest_wait = slowest_wait.max(waited);
        if waited > limit && op != 4 {
            over_limit += 1;
            out.problem(
                run,
                format!(
                    "`cloudpos {}` kept the cashier {:.1} s (protocol time)",
                    args.join(" "),
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
        if op == 0
            && status == 0
            && let (Some(no), Some(fen)) =
                (v["out_freeze_no"].as_str(), v["remaining_fen"].as_i64())
        {
            frozen.push(Frozen {
                no: no.to_owned(),
                fen,
            });
        }
        if status == EXIT_PENDING {
            // The cashier app's background recovery takes over from here.
            pending += 1;
            till.recover_all(limit * 10)?;
        }
        if status != 0 || matches!(op, 1 | 2) {
            frozen = frozen_deposits(&till)?;
        }
    }
    let stats = cloud.fault_stats()?;
    cloud.clear_faults()?;
    finish(&mut out, ctx, &cloud, &till)?;
    out.metric(
        "ops",
        json!({"freeze": ops[0], "consume": ops[1], "unfreeze": ops[2], "query": ops[3], "recover": ops[4]}),
    );
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
    out.metric("faults_injected", stats);
    Ok(out)
}
