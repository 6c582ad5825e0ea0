//! `hq` campaign (issue 19): three tills in two stores push to one head office while it is
//! killed and restarted, while their `hq sync --once` is killed mid-push, and while the links
//! between them are cut, stalled or lose the head office's answer.
//!
//! The world: a Cloud Pay sandbox (in this process), a fresh PostgreSQL database on the server
//! `CLOUDPOS_TEST_DATABASE_URL` names, the real `cloudpos-hq` (`--dev-open` on loopback) and
//! three terminal homes driven through the real `cloudpos`, enrolled at a TCP proxy in front
//! of the head office (`hq_env`), so the head office may restart on another port and the
//! campaign owns the links.
//!
//! Each run takes one to three payments or partial refunds on random tills, starts
//! `cloudpos hq sync --once` on some of them at once, and does one seeded thing to the world
//! at a random moment while they push: nothing; SIGKILL one of the syncs; SIGKILL the head
//! office (it comes back zero to three runs later, in whatever order that falls with the
//! tills' next syncs, sometimes primed to abort itself just before committing a push); cut
//! every live connection; stall new connections, then cut them; or let connections lose the
//! head office's answer (after it committed) or reach it cut short. Now and then a `pay` is
//! killed too, and recovered. Some trades are deposits instead of payments: a freeze (now and
//! then SIGKILLed and recovered like a payment), or a partial consume (its paid order then
//! refundable like any other) or a release of a deposit the till holds frozen.
//!
//! When the dust settles (everything healed, every open payment recovered, each till synced
//! until `hq status --json` shows nothing pending), the head office must hold exactly the
//! union of the tills' ledgers (`hq_check`).

use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sqlx::Connection as _;

use crate::Ctx;
use crate::env::{ADMIN_PW, Cloud, EXIT_PANIC, Till, code, status_of, workspace_binary, yuan};
use crate::hq_check::{DepositRow, HqLedger, OrderRow, RefundRow, TillLedger, compare};
use crate::hq_env::{ConnFaults, Database, HeadOffice, Mode, Proxy, api_get};
use crate::report::{Outcome, secs};

/// The tills: (store at the head office, device at the head office, the sandbox's shop,
/// the sandbox's device).
const TILLS: [(&str, &str, &str, &str); 3] = [
    ("南山店", "till-1", "sz01SBXshop000000001", "POS-01"),
    ("南山店", "till-2", "sz01SBXshop000000001", "POS-02"),
    ("福田店", "till-3", "sz01SBXshop000000002", "POS-03"),
];

/// Payment scripts of the sandbox, weighted: mostly paid at once, some failures.
const SCRIPTS: [&str; 10] = ["00", "00", "00", "00", "00", "00", "01", "02", "03", "05"];

/// Freeze scripts of the sandbox, weighted: mostly frozen at once, some waiting for the
/// customer (`01`), refused (`02`, `03`), not confirmed in time and released by the till
/// (`04`), or frozen after a query (`06`, `07`).
const FREEZE_SCRIPTS: [&str; 10] = ["00", "00", "00", "00", "01", "02", "03", "04", "06", "07"];

/// Percent of the trades that are not refunds which are deposits (freeze, consume or
/// release) instead of payments.
const DEPOSIT_PERCENT: u32 = 20;

/// The longest one `hq sync --once` may take (real time) before it counts as hung.
const SYNC_LIMIT: Duration = Duration::from_secs(60);

/// What the campaign does to the world while the syncs run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chaos {
    Nothing,
    KillSync,
    KillHq,
    Cut,
    Stall,
    Lossy,
}

impl Chaos {
    fn draw(rng: &mut StdRng) -> Chaos {
        match rng.random_range(0..100) {
            0..25 => Chaos::Nothing,
            25..45 => Chaos::KillSync,
            45..60 => Chaos::KillHq,
            60..72 => Chaos::Cut,
            72..82 => Chaos::Stall,
            _ => Chaos::Lossy,
        }
    }
}

/// A till of the campaign.
struct Member {
    till: Till,
    device: &'static str,
    /// Paid orders with something left to refund: (out_trade_no, fen left).
    paid: Vec<(String, i64)>,
    /// Deposits frozen with something left: (out_freeze_no, fen left).
    frozen: Vec<(String, i64)>,
}

/// How long a command usually takes when nothing goes wrong (the window a kill falls in).
#[derive(Debug, Clone, Copy)]
struct Pace {
    pay: Duration,
    freeze: Duration,
}

/// Counts for the report.
#[derive(Debug, Default)]
struct Counts {
    payments: u64,
    refunds: u64,
    pay_kills: u64,
    freezes: u64,
    consumes: u64,
    releases: u64,
    freeze_kills: u64,
    syncs: u64,
    syncs_ok: u64,
    syncs_failed: u64,
    sync_kills: u64,
    hq_kills: u64,
    hq_self_aborts: u64,
    /// The head office (re)started unprimed for the settling.
    hq_settle_starts: u64,
    cuts: u64,
    stalls: u64,
    lossy_steps: u64,
    max_pending: u64,
}

/// Runs the campaign on a fresh database, dropped afterwards unless the campaign found a
/// problem (then its name is in the report, to look into).
pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let db = Database::fresh(&rt, ctx.seed)?;
    let result = campaign(ctx, &rt, &db);
    match &result {
        Ok(out) if !out.passed() => {}
        _ => {
            if let Err(e) = db.drop_database(&rt) {
                eprintln!("xtask: could not drop {}: {e:#}", db.name());
            }
        }
    }
    result
}

fn campaign(ctx: &Ctx, rt: &tokio::runtime::Runtime, db: &Database) -> Result<Outcome> {
    let mut out = Outcome::new("hq", ctx);
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let hq_bin = workspace_binary("cloudpos-hq", "cloudpos-hq")?;
    let mut hq = HeadOffice::new(&hq_bin, &db.url);
    let proxy = Proxy::start(rt, ctx.seed)?;
    proxy.set_target(Some(hq.start(None)?));
    let cloud = Cloud::start(ctx.scale)?;

    let mut members = Vec::new();
    for (store, device, shop, pos) in TILLS {
        let till = Till::temp(&ctx.bin)?;
        till.setup_with(
            &cloud,
            ctx.scale,
            &[("out_shop_id", shop), ("device_id", pos)],
        )?;
        let token = hq.enrol(store, device)?;
        till.ok(
            &[
                "config",
                "hq",
                "--url",
                &proxy.url(),
                "--enrol-token",
                &token,
            ],
            Some(ADMIN_PW),
        )
        .with_context(|| format!("enrolling {device}"))?;
        members.push(Member {
            till,
            device,
            paid: Vec::new(),
            frozen: Vec::new(),
        });
    }

    let mut counts = Counts::default();
    let mut typical_sync = Duration::from_millis(300);
    let mut pace = Pace {
        pay: Duration::from_millis(300),
        freeze: Duration::from_millis(300),
    };
    // Runs left before a killed head office comes back.
    let mut hq_down_for: Option<u64> = None;
    // Whether the head office running now was started primed to abort itself.
    let mut hq_primed = false;
    for run in 0..ctx.runs {
        for _ in 0..rng.random_range(1..=3) {
            let i = rng.random_range(0..members.len());
            trade(
                &mut out,
                run,
                &mut rng,
                &mut members[i],
                &mut counts,
                &mut pace,
            )?;
        }

        let chaos = Chaos::draw(&mut rng);
        match chaos {
            Chaos::Stall => {
                proxy.set_mode(Mode::Stall);
                counts.stalls += 1;
            }
            Chaos::Lossy => {
                proxy.set_faults(ConnFaults {
                    lose_answer: 0.5,
                    cut_request: 0.2,
                });
                counts.lossy_steps += 1;
            }
            _ => {}
        }
        let mut syncs: Vec<(usize, Child, Instant)> = Vec::new();
        for (i, m) in members.iter().enumerate() {
            if (syncs.is_empty() && i + 1 == members.len()) || rng.random_bool(0.6) {
                syncs.push((i, m.till.spawn(&["hq", "sync", "--once"])?, Instant::now()));
                counts.syncs += 1;
            }
        }
        let window = u64::try_from(typical_sync.as_millis() * 13 / 10)
            .unwrap_or(1_000)
            .max(20);
        std::thread::sleep(Duration::from_millis(rng.random_range(0..window)));
        let mut killed: Option<usize> = None;
        match chaos {
            Chaos::KillSync => {
                let k = rng.random_range(0..syncs.len());
                if syncs[k].1.try_wait()?.is_none() {
                    syncs[k].1.kill()?; // SIGKILL
                    killed = Some(k);
                    counts.sync_kills += 1;
                }
            }
            Chaos::KillHq if hq.running() => {
                hq.kill();
                proxy.set_target(None);
                counts.hq_kills += 1;
                hq_down_for = Some(rng.random_range(0..=3));
            }
            Chaos::Cut | Chaos::Stall => {
                proxy.set_mode(Mode::Pass);
                counts.cuts += proxy.cut();
            }
            _ => {}
        }
        for (k, (i, child, started)) in syncs.into_iter().enumerate() {
            let output = wait_limited(child, SYNC_LIMIT)?;
            let Some(output) = output else {
                out.problem(
                    run,
                    format!(
                        "`cloudpos hq sync --once` on {} did not return within {SYNC_LIMIT:?}",
                        members[i].device
                    ),
                );
                continue;
            };
            if killed == Some(k) {
                continue;
            }
            let status = status_of(&output);
            if status == 0 {
                counts.syncs_ok += 1;
                if chaos == Chaos::Nothing {
                    typical_sync = (typical_sync * 3 + started.elapsed()) / 4;
                }
            } else if status == EXIT_PANIC || status < 0 || status == 2 {
                out.problem(
                    run,
                    format!(
                        "`cloudpos hq sync --once` on {} ended {status}: {}",
                        members[i].device,
                        String::from_utf8_lossy(&output.stderr).trim()
                    ),
                );
            } else {
                counts.syncs_failed += 1;
            }
        }
        proxy.heal();

        // The head office: aborted by itself (primed), or back after its time down.
        if !hq.running() && hq_down_for.is_none() {
            counts.hq_self_aborts += 1;
            proxy.set_target(None);
            hq_down_for = Some(rng.random_range(0..=1));
        }
        match hq_down_for {
            Some(0) => {
                let primed = rng.random_bool(0.25).then(|| rng.random_range(1..=3));
                proxy.set_target(Some(hq.start(primed)?));
                hq_primed = primed.is_some();
                hq_down_for = None;
            }
            Some(n) => hq_down_for = Some(n - 1),
            None => {}
        }

        if rng.random_range(0..4) == 0 {
            let m = &members[rng.random_range(0..members.len())];
            let pending = pending_of(&m.till)
                .with_context(|| format!("`hq status --json` on {}", m.device))?;
            counts.max_pending = counts.max_pending.max(pending);
        }
    }

    // The dust settles: every service up (and no longer primed to abort itself: nothing would
    // bring it back), every link healed, every payment final.
    proxy.heal();
    if !hq.running() || hq_primed {
        counts.hq_settle_starts += 1;
        proxy.set_target(Some(hq.start(None)?));
    }
    let settle_started = Instant::now();
    for m in &members {
        m.till.recover_all(ctx.scale.dur(600_000))?;
    }
    let rounds = settle(&members)?;
    let settle_time = settle_started.elapsed();

    let tills = members
        .iter()
        .map(|m| till_ledger(rt, m))
        .collect::<Result<Vec<_>>>()?;
    let addr = hq.addr().context("the head office is not running")?;
    let hq_ledger = hq_ledger(rt, &db.url, addr)?;
    let (tally, problems) = compare(&tills, &hq_ledger);
    let mut deposit_states = std::collections::BTreeMap::<&str, u64>::new();
    for d in tills.iter().flat_map(|t| &t.deposits) {
        *deposit_states.entry(d.state.as_str()).or_default() += 1;
    }
    for p in problems {
        out.problem(ctx.runs, p);
    }
    let terminals = api_get(rt, addr, "/api/v1/terminals")?;
    for t in terminals["terminals"].as_array().into_iter().flatten() {
        if t["backlog"].as_i64().unwrap_or(0) != 0 {
            out.problem(
                ctx.runs,
                format!("the head office still shows a backlog for {t}"),
            );
        }
    }

    out.metric("tills", members.len() as u64);
    out.metric("payments", counts.payments);
    out.metric("refunds", counts.refunds);
    out.metric("orders", tally.till_orders as u64);
    out.metric("refund_records", tally.till_refunds as u64);
    out.metric("missing", tally.missing as u64);
    out.metric("duplicated", tally.duplicated as u64);
    out.metric("mismatched", tally.mismatched as u64);
    out.metric("totals", serde_json::to_value(tally.till_totals)?);
    out.metric(
        "syncs",
        json!({"started": counts.syncs, "ok": counts.syncs_ok, "refused_or_unreachable": counts.syncs_failed, "killed": counts.sync_kills}),
    );
    out.metric(
        "hq",
        json!({"kills": counts.hq_kills, "aborted_before_commit": counts.hq_self_aborts, "starts": hq.starts, "started_to_settle": counts.hq_settle_starts}),
    );
    out.metric(
        "links",
        json!({"cut_steps": counts.cuts, "stall_steps": counts.stalls, "lossy_steps": counts.lossy_steps, "proxy": serde_json::to_value(proxy.stats())?}),
    );
    out.metric("pay_kills", counts.pay_kills);
    out.metric(
        "deposits",
        json!({"freezes": counts.freezes, "freeze_kills": counts.freeze_kills,
               "consumes": counts.consumes, "releases": counts.releases,
               "records": tally.till_deposits, "states": deposit_states}),
    );
    out.metric("max_pending_seen", counts.max_pending);
    out.metric("settle_rounds", rounds);
    out.metric("settle_s", secs(settle_time.as_secs_f64()));
    hq.kill();
    if !out.passed() {
        out.metric("database_kept", db.name());
    }
    Ok(out)
}

/// One payment, partial refund or deposit step on `m` (a payment or a freeze now and then
/// killed and recovered).
fn trade(
    out: &mut Outcome,
    run: u64,
    rng: &mut StdRng,
    m: &mut Member,
    counts: &mut Counts,
    pace: &mut Pace,
) -> Result<()> {
    if !m.paid.is_empty() && rng.random_range(0..100) < 35 {
        let k = rng.random_range(0..m.paid.len());
        let (no, left) = m.paid[k].clone();
        let fen = rng.random_range(1..=left.clamp(1, 1 + left / 2));
        let output = m.till.run(
            &["refund", "--order", &no, "--amount", &yuan(fen), "--json"],
            None,
        )?;
        let status = status_of(&output);
        if status == EXIT_PANIC || status < 0 || status == 2 {
            out.problem(
                run,
                format!(
                    "refund on {} ended {status}: {}",
                    m.device,
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            );
        }
        counts.refunds += 1;
        refresh_paid(m)?;
        return Ok(());
    }
    if rng.random_range(0..100) < DEPOSIT_PERCENT {
        return deposit(out, run, rng, m, counts, pace);
    }
    let script = SCRIPTS[rng.random_range(0..SCRIPTS.len())];
    let fen = rng.random_range(1..50_000);
    let args = [
        "pay",
        "--amount",
        &yuan(fen),
        "--code",
        &code(script),
        "--json",
    ];
    counts.payments += 1;
    if rng.random_range(0..20) == 0 {
        // A till killed mid-payment: its outbox row commits with the ledger's, or not at all.
        let mut child = m.till.spawn(&args)?;
        let window = u64::try_from(pace.pay.as_millis() * 13 / 10)
            .unwrap_or(1_000)
            .max(20);
        std::thread::sleep(Duration::from_millis(rng.random_range(0..window)));
        if child.try_wait()?.is_none() {
            child.kill()?;
            counts.pay_kills += 1;
        }
        let _ = child.wait();
        m.till.recover_all(Duration::from_secs(120))?;
        return refresh_paid(m);
    }
    let started = Instant::now();
    let output = m.till.run(&args, None)?;
    let status = status_of(&output);
    if status == EXIT_PANIC || status < 0 || status == 2 {
        out.problem(
            run,
            format!(
                "pay on {} ended {status}: {}",
                m.device,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        );
    }
    if status == 0 {
        pace.pay = (pace.pay * 3 + started.elapsed()) / 4;
        let v: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        if let Some(no) = v["out_trade_no"].as_str() {
            m.paid.push((no.to_owned(), fen));
        }
    }
    Ok(())
}

/// One deposit step on `m`: a partial consume or a release of one of its frozen deposits, or
/// a freeze (one in eight SIGKILLed at a random moment within its usual time, and recovered).
fn deposit(
    out: &mut Outcome,
    run: u64,
    rng: &mut StdRng,
    m: &mut Member,
    counts: &mut Counts,
    pace: &mut Pace,
) -> Result<()> {
    if !m.frozen.is_empty() && rng.random_bool(0.5) {
        let (no, left) = m.frozen[rng.random_range(0..m.frozen.len())].clone();
        let consume = rng.random_bool(0.5);
        let fen = rng.random_range(1..=left.max(1));
        let amount = yuan(fen);
        let args: Vec<&str> = if consume {
            counts.consumes += 1;
            vec![
                "deposit", "consume", "--freeze", &no, "--amount", &amount, "--json",
            ]
        } else {
            counts.releases += 1;
            vec!["deposit", "unfreeze", "--freeze", &no, "--json"]
        };
        let output = m.till.run(&args, None)?;
        let status = status_of(&output);
        if status == EXIT_PANIC || status < 0 || status == 2 {
            out.problem(
                run,
                format!(
                    "`cloudpos {}` on {} ended {status}: {}",
                    args.join(" "),
                    m.device,
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            );
        }
        refresh_frozen(m)?;
        return refresh_paid(m);
    }
    let script = FREEZE_SCRIPTS[rng.random_range(0..FREEZE_SCRIPTS.len())];
    let fen = rng.random_range(1..50_000);
    let amount = yuan(fen);
    let code = code(script);
    let args = [
        "deposit", "freeze", "--amount", &amount, "--code", &code, "--json",
    ];
    counts.freezes += 1;
    if rng.random_range(0..8) == 0 {
        // A till killed mid-freeze: the deposit row and its outbox row commit together, and
        // recovery settles what the wallet did.
        let mut child = m.till.spawn(&args)?;
        let window = u64::try_from(pace.freeze.as_millis() * 13 / 10)
            .unwrap_or(1_000)
            .max(20);
        std::thread::sleep(Duration::from_millis(rng.random_range(0..window)));
        if child.try_wait()?.is_none() {
            child.kill()?;
            counts.freeze_kills += 1;
        }
        let _ = child.wait();
        m.till.recover_all(Duration::from_secs(120))?;
        return refresh_frozen(m);
    }
    let started = Instant::now();
    let output = m.till.run(&args, None)?;
    let status = status_of(&output);
    if status == EXIT_PANIC || status < 0 || status == 2 {
        out.problem(
            run,
            format!(
                "deposit freeze on {} ended {status}: {}",
                m.device,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        );
    }
    if status == 0 && script == "00" {
        pace.freeze = (pace.freeze * 3 + started.elapsed()) / 4;
    }
    refresh_frozen(m)
}

/// The deposits of `m` held frozen with something left (`deposit list --state frozen`).
fn refresh_frozen(m: &mut Member) -> Result<()> {
    let (status, v, err) = m
        .till
        .json(&["deposit", "list", "--state", "frozen", "--json"])?;
    let Value::Array(list) = v else {
        bail!("`deposit list` on {} ended {status}: {err}", m.device);
    };
    m.frozen = list
        .iter()
        .filter_map(|d| {
            Some((
                d["out_freeze_no"].as_str()?.to_owned(),
                d["remaining_fen"].as_i64()?,
            ))
        })
        .filter(|(_, fen)| *fen > 0)
        .collect();
    Ok(())
}

/// The paid orders of `m` with something left to refund, from its ledger.
fn refresh_paid(m: &mut Member) -> Result<()> {
    m.paid = m
        .till
        .orders()?
        .iter()
        .filter_map(OrderRow::from_till_json)
        .filter(|o| o.state == "paid" && o.refunded_fen < o.amount_fen)
        .map(|o| (o.no, o.amount_fen - o.refunded_fen))
        .collect();
    Ok(())
}

/// Waits for `child` for at most `limit`; kills it and returns `None` past that.
fn wait_limited(mut child: Child, limit: Duration) -> Result<Option<std::process::Output>> {
    let started = Instant::now();
    while child.try_wait()?.is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(Some(child.wait_with_output()?))
}

/// `hq status --json`'s `pending`.
fn pending_of(till: &Till) -> Result<u64> {
    let (status, v, err) = till.json(&["hq", "status", "--json"])?;
    if status != 0 {
        bail!("ended {status}: {err}");
    }
    for field in ["pending", "last_sync", "lag_ms"] {
        if v.get(field).is_none() {
            bail!("no `{field}` in {v}");
        }
    }
    v["pending"]
        .as_u64()
        .with_context(|| format!("`pending` is not a count in {v}"))
}

/// Syncs every till until each shows nothing pending; the rounds it took.
fn settle(members: &[Member]) -> Result<u64> {
    let started = Instant::now();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let mut left = Vec::new();
        for m in members {
            let output = m.till.run(&["hq", "sync", "--once"], None)?;
            let pending = pending_of(&m.till)?;
            if pending > 0 || !output.status.success() {
                left.push(format!(
                    "{}: {pending} pending, sync ended {}: {}",
                    m.device,
                    status_of(&output),
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
        }
        if left.is_empty() {
            return Ok(rounds);
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!(
                "the tills did not get to nothing pending within 120 s of the head office being back: {}",
                left.join("; ")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A till's ledger: its orders (`orders --json`), its refunds and its deposits (its SQLite
/// ledger, read only; the command line lists refunds only inside exports, and `deposit list`
/// shows a clerk their own).
fn till_ledger(rt: &tokio::runtime::Runtime, m: &Member) -> Result<TillLedger> {
    let orders = m
        .till
        .orders()?
        .iter()
        .map(|v| OrderRow::from_till_json(v).with_context(|| format!("an order of {v}")))
        .collect::<Result<Vec<_>>>()?;
    let db = m.till.home().join("cloudpos.db");
    let (refunds, deposits) = rt.block_on(async {
        use sqlx::ConnectOptions as _;
        let mut c = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&db)
            .read_only(true)
            .connect()
            .await?;
        let rows: Vec<(String, String, String, i64)> =
            sqlx::query_as("SELECT out_refund_no, out_trade_no, state, amount_fen FROM refunds")
                .fetch_all(&mut c)
                .await?;
        let deposits: Vec<TillDeposit> = sqlx::query_as(
            "SELECT out_freeze_no, state, frozen_fen, consumed_fen, unfrozen_fen, pending_fen, \
               consume_no FROM deposits",
        )
        .fetch_all(&mut c)
        .await?;
        c.close().await?;
        Ok::<_, anyhow::Error>((rows, deposits))
    })?;
    Ok(TillLedger {
        device: m.device.to_owned(),
        orders,
        refunds: refunds
            .into_iter()
            .map(|(no, order_no, state, amount_fen)| RefundRow {
                no,
                order_no,
                state,
                amount_fen,
            })
            .collect(),
        deposits: deposits.into_iter().map(deposit_row).collect(),
    })
}

/// A deposit as both sides' SQL reads it: (number, state, frozen, consumed, released,
/// pending, consume's order).
type TillDeposit = (String, String, i64, i64, i64, i64, Option<String>);

/// A deposit at the head office: its till's device, then as [`TillDeposit`].
type HqDeposit = (String, String, String, i64, i64, i64, i64, Option<String>);

fn deposit_row(
    (no, state, frozen_fen, consumed_fen, released_fen, pending_fen, consume_no): TillDeposit,
) -> DepositRow {
    DepositRow {
        no,
        state,
        frozen_fen,
        consumed_fen,
        released_fen,
        pending_fen,
        consume_no,
    }
}

/// What the head office holds: its tables (SQL) and its summary (the owner's API).
fn hq_ledger(
    rt: &tokio::runtime::Runtime,
    url: &str,
    addr: std::net::SocketAddr,
) -> Result<HqLedger> {
    let mut hq = rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(url).await?;
        let orders: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT t.device, o.out_trade_no, o.state, o.amount_fen, o.refunded_fen \
             FROM orders o JOIN terminals t ON t.id = o.terminal_id",
        )
        .fetch_all(&mut c)
        .await?;
        let refunds: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT t.device, r.out_refund_no, r.out_trade_no, r.state, r.amount_fen \
             FROM refunds r JOIN terminals t ON t.id = r.terminal_id",
        )
        .fetch_all(&mut c)
        .await?;
        let deposits: Vec<HqDeposit> = sqlx::query_as(
            "SELECT t.device, d.out_freeze_no, d.state, d.frozen_fen, d.consumed_fen, \
                   d.released_fen, d.pending_fen, d.consume_no \
                 FROM deposits d JOIN terminals t ON t.id = d.terminal_id",
        )
        .fetch_all(&mut c)
        .await?;
        let streams: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT t.device, t.applied_through, \
               (SELECT count(*) FROM change_log l WHERE l.terminal_id = t.id), \
               (SELECT count(DISTINCT seq) FROM change_log l \
                  WHERE l.terminal_id = t.id AND l.seq BETWEEN 1 AND t.applied_through) \
             FROM terminals t",
        )
        .fetch_all(&mut c)
        .await?;
        c.close().await?;
        Ok::<_, anyhow::Error>(HqLedger {
            orders: orders
                .into_iter()
                .map(|(d, no, state, amount_fen, refunded_fen)| {
                    (
                        d,
                        OrderRow {
                            no,
                            state,
                            amount_fen,
                            refunded_fen,
                        },
                    )
                })
                .collect(),
            refunds: refunds
                .into_iter()
                .map(|(d, no, order_no, state, amount_fen)| {
                    (
                        d,
                        RefundRow {
                            no,
                            order_no,
                            state,
                            amount_fen,
                        },
                    )
                })
                .collect(),
            deposits: deposits
                .into_iter()
                .map(
                    |(d, no, state, frozen, consumed, released, pending, consume_no)| {
                        (
                            d,
                            deposit_row((
                                no, state, frozen, consumed, released, pending, consume_no,
                            )),
                        )
                    },
                )
                .collect(),
            streams: streams
                .into_iter()
                .map(|(d, through, rows, distinct)| (d, (through, rows, distinct)))
                .collect(),
            summary_total: Value::Null,
        })
    })?;
    hq.summary_total = api_get(rt, addr, "/api/v1/summary")?["total"].clone();
    Ok(hq)
}
