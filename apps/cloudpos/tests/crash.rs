//! Crash campaign: `cloudpos pay` is killed with SIGKILL at random moments; after
//! `cloudpos recover` no code was charged twice, and the sandbox and the local ledger agree on
//! every payment (paid there ⇔ paid here).
#![allow(missing_docs)]
#![cfg(unix)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{Env, code};
use serde_json::Value;

/// A small deterministic generator, so a failing run can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn iterations() -> u64 {
    std::env::var("CLOUDPOS_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

fn seed() -> u64 {
    std::env::var("CLOUDPOS_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0xC0FF_EE00_2026)
}

/// Runs `cloudpos recover` until nothing is left open.
fn recover_all(env: &Env) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = env.run(&["recover", "--json"], None);
        if out.status.code() == Some(0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "recovery did not finish: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sigkill_during_pay_never_loses_or_doubles_a_payment() {
    let seed = seed();
    let mut rng = Rng(seed);
    let env = Env::start();
    let scripts = [
        "00", "00", "00", "00", "01", "02", "03", "06", "07", "08", "09",
    ];
    let mut killed = 0;
    let mut rescans = 0;
    for i in 0..iterations() {
        let script = scripts[usize::try_from(rng.below(scripts.len() as u64)).unwrap()];
        let c = code(script);
        let amount = format!("{}.{:02}", 1 + rng.below(500), rng.below(100));
        let mut child = env.spawn(&["pay", "--amount", &amount, "--code", &c, "--json"]);
        // Kill anywhere from process start-up to well after the answer.
        std::thread::sleep(Duration::from_millis(rng.below(160)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
            // Half the time the cashier scans the same code again at once.
            if rng.below(2) == 0 {
                rescans += 1;
                let out = env.run(&["pay", "--amount", &amount, "--code", &c, "--json"], None);
                assert!(
                    matches!(out.status.code(), Some(0 | 1 | 3 | 4)),
                    "seed {seed} iteration {i}: {out:?}"
                );
            }
        }
        let _ = child.wait();
        // Now and then the terminal restarts and recovers.
        if rng.below(25) == 0 {
            recover_all(&env);
        }
    }
    recover_all(&env);
    assert!(killed > iterations() / 3, "only {killed} kills landed");

    let ledger = env.cloud_ledger();
    let cloud: Vec<&Value> = ledger["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["tombstone"] != true)
        .collect();
    let (_, local) = env.json(&["orders", "--json"], None);
    let local: HashMap<String, &Value> = local
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["out_trade_no"].as_str().unwrap().to_owned(), o))
        .collect();

    // No code charged twice.
    let mut charged: HashMap<&str, usize> = HashMap::new();
    for o in &cloud {
        if o["state"] == "paid" {
            *charged
                .entry(o["author_code"].as_str().unwrap())
                .or_default() += 1;
        }
    }
    assert!(
        charged.values().all(|&n| n == 1),
        "seed {seed}: a code was charged twice: {charged:?}"
    );

    // Every order the cloud holds as paid is paid locally, and the other way round.
    for o in &cloud {
        let no = o["out_trade_no"].as_str().unwrap();
        let mine = local
            .get(no)
            .unwrap_or_else(|| panic!("seed {seed}: cloud order {no} missing locally"));
        assert_eq!(
            o["state"] == "paid",
            mine["payment_state"] == "paid",
            "seed {seed}: {no}: cloud {o} local {mine}"
        );
        assert_eq!(o["total_fee"], mine["amount_fen"], "seed {seed}: {no}");
    }
    for (no, mine) in &local {
        assert_ne!(
            mine["state"], "unknown",
            "seed {seed}: {no} still open after recovery"
        );
        if mine["payment_state"] == "paid" {
            let c = cloud.iter().find(|o| o["out_trade_no"] == no.as_str());
            assert!(
                c.is_some_and(|c| c["state"] == "paid"),
                "seed {seed}: {no} paid locally but not in the cloud: {c:?}"
            );
        }
    }
    eprintln!(
        "crash campaign: seed {seed}, {} iterations, {killed} kills, {rescans} re-scans, {} cloud orders, {} local orders, {} paid",
        iterations(),
        cloud.len(),
        local.len(),
        charged.len()
    );
}
