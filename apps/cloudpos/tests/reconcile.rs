//! Reconciliation from the CLI against the sandbox: clean runs pass, each kind of discrepancy
//! the sandbox can inject is reported and halts the till (pay and refund refused before any
//! I/O, the halt survives restarts), and only an admin clears it.
#![allow(missing_docs)]

mod common;

use common::{ADMIN_PW, Env, code};
use serde_json::{Value, json};

/// A home with a few payments and a partial refund; reconciled clean when `clean_first`.
fn setup(clean_first: bool) -> (Env, Vec<String>) {
    let env = Env::start();
    // Judge records at once (no settling grace) so the test need not wait two minutes.
    env.ok(&["config", "reconcile", "--grace-ms", "0"], None);
    let mut nos = Vec::new();
    for (i, script) in ["00", "00", "01", "03", "00"].iter().enumerate() {
        let (_, o) = env.pay(&format!("{}.00", 10 + i), &code(script));
        nos.push(o["out_trade_no"].as_str().unwrap().to_owned());
    }
    env.json(
        &["refund", "--order", &nos[0], "--amount", "2.50", "--json"],
        None,
    );
    if !clean_first {
        return (env, nos);
    }
    let (status, report) = env.json(&["reconcile", "--once", "--json"], None);
    assert_eq!(status, 0, "a clean ledger reconciles clean: {report}");
    assert_eq!(report["clean"], true);
    assert!(report["compared_orders"].as_u64().unwrap() >= 4);
    (env, nos)
}

fn expect_halt(env: &Env, mutation: &Value, kind: &str) {
    env.control("ledger/mutate", mutation);
    let (status, report) = env.json(&["reconcile", "--once", "--json"], None);
    assert_ne!(status, 0, "{mutation}: {report}");
    assert_eq!(report["halted"], true);
    let kinds: Vec<&str> = report["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&kind),
        "{mutation}: expected {kind}, got {kinds:?}"
    );

    // Halted means halted: payments and refunds refused before any I/O, even after a restart
    // (every CLI call is a fresh process).
    let before = env.cloud_ledger()["orders"].as_array().unwrap().len();
    let out = env.run(&["pay", "--amount", "1.00", "--code", &code("00")], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("halted"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        env.cloud_ledger()["orders"].as_array().unwrap().len(),
        before,
        "nothing sent"
    );
    let (status, h) = env.json(&["halt", "status", "--json"], None);
    assert_ne!(status, 0);
    assert_eq!(h["halted"], true);
}

fn clear(env: &Env) {
    env.ok(&["halt", "clear"], Some(ADMIN_PW));
    let (status, _) = env.json(&["halt", "status", "--json"], None);
    assert_eq!(status, 0);
}

#[test]
fn each_discrepancy_kind_halts() {
    let (env, nos) = setup(true);
    let cases = [
        (
            json!({"op": "set_amount", "out_trade_no": nos[1], "total_fee": 1}),
            "amount_differs",
        ),
        (
            json!({"op": "set_state", "out_trade_no": nos[4], "state": "reversed"}),
            "state_differs",
        ),
        (
            json!({"op": "set_refunded", "out_trade_no": nos[0], "refunded_fee": 77}),
            "refunded_differs",
        ),
        (
            json!({"op": "delete_order", "out_trade_no": nos[2]}),
            "missing_in_cloud",
        ),
    ];
    for (mutation, kind) in cases {
        // Each case on a fresh terminal and sandbox, so one halt does not mask the next; the
        // cloud disagrees before the first reconciliation that covers the payments.
        let (env, nos2) = setup(false);
        let m = remap(&mutation, &nos, &nos2);
        expect_halt(&env, &m, kind);
        clear(&env);
    }
    // A payment the terminal never made (one-sided account in the cloud), from this very
    // terminal as far as the cloud can tell.
    let creds: Value = serde_json::from_slice(&std::fs::read(&env.creds).unwrap()).unwrap();
    let (_, status) = env.json(&["status", "--json"], None);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let foreign = format!("{}ZZZZ{}", creds["order_prefix"].as_str().unwrap(), now);
    expect_halt(
        &env,
        &json!({"op": "add_order", "out_trade_no": foreign, "total_fee": 555, "state": "paid", "pay_platform": 1,
                "author_code": code("00"), "out_shop_id": creds["out_shop_id"], "device_id": creds["device_id"],
                "staff_id": "01", "created_at": now, "machine_no": status["machine_no"]}),
        "missing_locally",
    );
    clear(&env);
    // Another terminal configured with the same store and device id.
    expect_halt(
        &env,
        &json!({"op": "add_duplicate", "out_trade_no": nos[1], "total_fee": 999, "machine_no": "OTHER-MACHINE", "author_code": code("00")}),
        "duplicate_from_other_device",
    );
    // Only an admin clears it, and it is audited.
    env.ok(
        &[
            "clerk",
            "add",
            "--id",
            "07",
            "--name",
            "收银员",
            "--role",
            "clerk",
        ],
        Some("7777"),
    );
    env.ok(&["login", "--staff", "07"], Some("7777"));
    let out = env.run(&["halt", "clear"], Some("7777"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("permission denied"));
    env.ok(&["login", "--staff", "01"], Some(ADMIN_PW));
    clear(&env);
    let (_, audit) = env.json(&["audit", "list", "--limit", "50", "--json"], None);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["entry"]["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"halted") && actions.contains(&"halt_cleared"),
        "{actions:?}"
    );
    let (status, _) = env.json(&["audit", "verify", "--json"], None);
    assert_eq!(status, 0);
}

/// Maps a mutation written for one setup's order numbers onto another's.
fn remap(m: &Value, from: &[String], to: &[String]) -> Value {
    let mut m = m.clone();
    if let Some(no) = m["out_trade_no"].as_str() {
        let i = from.iter().position(|n| n == no).unwrap();
        m["out_trade_no"] = json!(to[i]);
    }
    m
}
