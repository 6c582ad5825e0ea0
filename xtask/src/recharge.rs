//! Recharge campaign: `cloudpos member recharge` (a Cloud Pay payment whose credit the
//! ledger applies in the transaction that records it paid) and `cloudpos member pay` (the
//! paid order and the card's debit in one transaction) are killed with SIGKILL at random
//! moments; now and then the terminal restarts and recovers. At the end:
//!
//! - no credit without a paid payment: every `recharge` entry names an order that is paid
//!   on the terminal and in the cloud, for the same amount, and its `bonus` entry (if any)
//!   is the bonus the rules give;
//! - no paid recharge without its credit: every paid recharge order has its entry;
//! - every `payment` entry has its paid member-card order and every such order its entry;
//! - each card's balance is the sum of those, and the cloud and the terminal agree on
//!   every payment (the common check).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::{Result, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::Ctx;
use crate::env::{Cloud, EXIT_PANIC, Till, code, status_of, yuan};
use crate::report::{Outcome, secs};

/// Scripts of the sandbox, weighted: mostly ordinary payments, some waiting for the
/// customer, declined or unanswered.
const SCRIPTS: [&str; 10] = ["00", "00", "00", "00", "01", "02", "03", "06", "07", "09"];

const CARDS: [&str; 3] = ["9900000000000101", "9900000000000102", "9900000000000103"];

/// The bonus rules the campaign configures (yuan): 充 100 送 10, 充 200 送 30.
const BONUS: &str = "100:10,200:30";

fn bonus_for(fen: i64) -> i64 {
    if fen >= 20_000 {
        3_000
    } else if fen >= 10_000 {
        1_000
    } else {
        0
    }
}

/// Runs the campaign.
pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let mut out = Outcome::new("recharge", ctx);
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let scale = ctx.scale;
    let cloud = Cloud::start(scale)?;
    cloud.set_faults(&json!({
        "seed": ctx.seed,
        "endpoints": ["micro_pay"],
        "user_paying": {"rate": 0.25, "min_ms": 0, "max_ms": scale.ms(60_000), "fail_rate": 0.2},
    }))?;
    let till = Till::temp(&ctx.bin)?;
    till.setup(&cloud, scale)?;
    till.ok(&["config", "member", "--bonus", BONUS], None)?;
    for (i, card) in CARDS.iter().enumerate() {
        till.ok(
            &[
                "member",
                "add",
                "--card",
                card,
                "--name",
                &format!("会员{i}"),
            ],
            None,
        )?;
    }

    let (mut kills, mut restarts) = (0u64, 0u64);
    let mut ops = [0u64; 3];
    let mut slowest_recovery = Duration::ZERO;
    let limit = scale.dur(60_000);
    let mut typical = [Duration::from_millis(300); 3];
    for run in 0..ctx.runs {
        let roll = rng.random_range(0..100);
        let op = if roll < 75 {
            0
        } else if roll < 92 {
            1
        } else {
            2
        };
        ops[op] += 1;
        let card = CARDS[rng.random_range(0..CARDS.len())];
        let args: Vec<String> = match op {
            0 => {
                let script = SCRIPTS[rng.random_range(0..SCRIPTS.len())];
                // Around the bonus thresholds, so both bonuses and none occur.
                let fen = rng.random_range(1..30_000);
                [
                    "member",
                    "recharge",
                    "--card",
                    card,
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
                let fen = rng.random_range(1..5_000);
                [
                    "member",
                    "pay",
                    "--card",
                    card,
                    "--amount",
                    &yuan(fen),
                    "--json",
                ]
                .map(str::to_owned)
                .to_vec()
            }
            _ => ["recover", "--json"].map(str::to_owned).to_vec(),
        };
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = till.spawn(&argv)?;
        let started = std::time::Instant::now();
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
        if !killed && op == 0 && status == 0 {
            // Exit 0 promises paid and credited.
            let v: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
            if v["state"] != "paid" || v["credited"] != true {
                out.problem(run, format!("recharge exited 0 but reported {v}"));
            }
        }
        if rng.random_range(0..20) == 0 {
            restarts += 1;
            let took = till.recover_all(limit * 10)?;
            slowest_recovery = slowest_recovery.max(took);
            if took > limit {
                out.problem(run, format!("recovery took {took:?} (limit {limit:?})"));
            }
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
    let orders = till.orders()?;
    let cloud_ledger = cloud.ledger()?;
    let (tally, problems) = crate::check::compare(&cloud_ledger, &orders);
    for p in problems {
        out.problem(ctx.runs, p);
    }
    let figures = check_cards(&till, &orders, &cloud_ledger, &mut out)?;
    out.metric("kills", kills);
    out.metric("restarts", restarts);
    out.metric(
        "ops",
        json!({"recharge": ops[0], "card_pay": ops[1], "recover": ops[2]}),
    );
    out.metric("orders", tally.cloud_orders);
    out.metric("paid_recharges", figures.paid_recharges);
    out.metric("credits", figures.credits);
    out.metric("credits_without_paid_payment", figures.credits_without_paid);
    out.metric("paid_recharges_without_credit", figures.paid_without_credit);
    out.metric("card_payments", figures.card_payments);
    out.metric(
        "slowest_recovery_s",
        secs(scale.to_protocol_secs(slowest_recovery)),
    );
    Ok(out)
}

#[derive(Default)]
struct Figures {
    paid_recharges: u64,
    credits: u64,
    credits_without_paid: u64,
    paid_without_credit: u64,
    card_payments: u64,
}

/// The member-card criteria (see the module doc).
fn check_cards(till: &Till, orders: &[Value], cloud: &Value, out: &mut Outcome) -> Result<Figures> {
    let end = u64::MAX;
    let mut f = Figures::default();
    let by_no: HashMap<&str, &Value> = orders
        .iter()
        .filter_map(|o| Some((o["out_trade_no"].as_str()?, o)))
        .collect();
    let cloud_paid: HashSet<&str> = cloud["orders"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|o| o["state"] == "paid")
                .filter_map(|o| o["out_trade_no"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let is_recharge = |o: &Value| {
        o["remark"]
            .as_str()
            .is_some_and(|r| r.starts_with("会员充值"))
            && o["wallet"] != "member_card"
    };
    let mut credited: HashSet<String> = HashSet::new();
    let mut debited: HashSet<String> = HashSet::new();
    for card in CARDS {
        let (status, ledger, err) = till.json(&["member", "ledger", "--card", card, "--json"])?;
        let Value::Array(entries) = ledger else {
            bail!("member ledger --card {card} failed ({status}): {err}");
        };
        let mut sum = 0i64;
        let mut recharges: HashMap<String, i64> = HashMap::new();
        for e in &entries {
            let amount = e["amount_fen"].as_i64().unwrap_or(0);
            sum += amount;
            if e["balance_fen"].as_i64() != Some(sum) {
                out.problem(
                    end,
                    format!("card {card}: balance after an entry is not the running sum: {e}"),
                );
            }
            let reference = e["reference"].as_str().unwrap_or("").to_owned();
            match e["kind"].as_str().unwrap_or("") {
                "recharge" => {
                    f.credits += 1;
                    let order = by_no.get(reference.as_str());
                    let paid_here = order.is_some_and(|o| o["payment_state"] == "paid");
                    let paid_there = cloud_paid.contains(reference.as_str());
                    if !(paid_here && paid_there) {
                        f.credits_without_paid += 1;
                        out.problem(end, format!("card {card}: credit {reference} without a paid payment (terminal {paid_here}, cloud {paid_there})"));
                    }
                    if order.and_then(|o| o["amount_fen"].as_i64()) != Some(amount) {
                        out.problem(end, format!("card {card}: credit {reference} of {amount} fen differs from its payment"));
                    }
                    if !credited.insert(reference.clone()) {
                        out.problem(end, format!("{reference} credited twice"));
                    }
                    recharges.insert(reference, amount);
                }
                "bonus" => {
                    let base = recharges.get(&reference).copied().unwrap_or(-1);
                    if base < 0 || bonus_for(base) != amount {
                        out.problem(
                            end,
                            format!(
                                "card {card}: bonus {amount} for {reference} (recharge {base})"
                            ),
                        );
                    }
                }
                "payment" => {
                    f.card_payments += 1;
                    let ok = by_no.get(reference.as_str()).is_some_and(|o| {
                        o["payment_state"] == "paid"
                            && o["wallet"] == "member_card"
                            && o["amount_fen"].as_i64() == Some(-amount)
                    });
                    if !ok {
                        out.problem(
                            end,
                            format!("card {card}: debit {reference} without its paid card order"),
                        );
                    }
                    debited.insert(reference);
                }
                other => out.problem(end, format!("card {card}: unexpected {other} entry")),
            }
        }
        if sum < 0 {
            out.problem(end, format!("card {card}: balance {sum} below zero"));
        }
        let (_, m, _) = till.json(&["member", "find", "--card", card, "--json"])?;
        if m["balance_fen"].as_i64() != Some(sum) {
            out.problem(
                end,
                format!(
                    "card {card}: balance {} is not the sum {sum}",
                    m["balance_fen"]
                ),
            );
        }
    }
    for o in orders {
        let no = o["out_trade_no"].as_str().unwrap_or("");
        if o["payment_state"] != "paid" {
            continue;
        }
        if is_recharge(o) {
            f.paid_recharges += 1;
            if !credited.contains(no) {
                f.paid_without_credit += 1;
                out.problem(end, format!("{no}: a paid recharge without its credit"));
            }
        } else if o["wallet"] == "member_card" && !debited.contains(no) {
            out.problem(end, format!("{no}: a paid card order without its debit"));
        }
    }
    Ok(f)
}
