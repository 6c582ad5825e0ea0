//! `cloudpos deposit …` against the sandbox over real HTTP: every scripted freeze outcome,
//! the JSON contract and exit statuses, consume, release with authorisation, query, list,
//! one-line errors, reconciliation of deposits and a halted till.
#![allow(missing_docs)]

mod common;

use common::{ADMIN_PW, Env, code};
use serde_json::{Value, json};

fn freeze(env: &Env, yuan: &str, script: &str) -> (i32, Value) {
    env.json(
        &[
            "deposit",
            "freeze",
            "--amount",
            yuan,
            "--code",
            &code(script),
            "--remark",
            "302",
            "--json",
        ],
        None,
    )
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The sandbox's record of a freeze.
fn cloud_freeze(env: &Env, no: &str) -> Value {
    env.cloud_ledger()["deposits"]["freezes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["out_freeze_no"] == no)
        .cloned()
        .unwrap_or(Value::Null)
}

fn check_contract(d: &Value) {
    for field in [
        "out_freeze_no",
        "state",
        "wallet",
        "frozen_fen",
        "consumed_fen",
        "unfrozen_fen",
        "created_at",
    ] {
        assert!(!d[field].is_null(), "{field} missing: {d}");
    }
    let state = d["state"].as_str().unwrap();
    assert!(
        ["frozen", "failed", "unknown", "consumed", "unfrozen"].contains(&state),
        "{d}"
    );
}

#[test]
fn every_scripted_freeze_outcome() {
    let env = Env::start();
    // (script, exit status, state, held in the cloud afterwards, in fen)
    let cases = [
        ("00", 0, "frozen", 1_000),
        ("01", 0, "frozen", 1_000),
        ("02", 3, "failed", 0),
        ("03", 3, "failed", 0),
        ("04", 3, "unfrozen", 0),
        ("05", 3, "failed", 0),
        ("06", 0, "frozen", 1_000),
        ("07", 0, "frozen", 1_000),
    ];
    for (script, exit, state, held) in cases {
        let (status, d) = freeze(&env, "10.00", script);
        check_contract(&d);
        assert_eq!(
            (status, d["state"].as_str().unwrap()),
            (exit, state),
            "{script}: {d}"
        );
        assert_eq!(d["frozen_fen"], 1_000, "{script}");
        assert_eq!(d["wallet"], "wechat");
        let cloud = cloud_freeze(&env, d["out_freeze_no"].as_str().unwrap());
        assert_eq!(cloud["held"], held, "{script}: {cloud}");
        if script == "04" {
            // Not confirmed in time: released in full, the release on record.
            assert_eq!(d["unfrozen_fen"], 1_000);
            assert_eq!(cloud["manual_unfrozen"], 1_000);
            assert!(d["out_unfreeze_no"].is_string());
        }
        if script == "03" {
            assert!(d["reason"].as_str().unwrap().contains("NOTENOUGH"), "{d}");
        }
    }
    // Nothing left open.
    let (status, r) = env.json(&["recover", "--json"], None);
    assert_eq!(status, 0, "{r}");
    assert_eq!(r["deposits"]["found"], 0);
}

#[test]
fn freeze_consume_part_release_and_list() {
    let env = Env::start();
    let (status, d) = freeze(&env, "100.00", "00");
    assert_eq!(status, 0, "{d}");
    let no = d["out_freeze_no"].as_str().unwrap().to_owned();

    // Above the frozen amount: refused before any request, one line naming it.
    let out = env.run(
        &["deposit", "consume", "--freeze", &no, "--amount", "100.01"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("above the frozen amount"), "{err}");

    let (status, c) = env.json(
        &[
            "deposit", "consume", "--freeze", &no, "--amount", "30.00", "--json",
        ],
        None,
    );
    assert_eq!(status, 0, "{c}");
    check_contract(&c);
    assert_eq!(c["state"], "consumed");
    assert_eq!(
        (c["consumed_fen"].as_i64(), c["unfrozen_fen"].as_i64()),
        (Some(3_000), Some(7_000))
    );
    let order = c["out_trade_no"].as_str().unwrap().to_owned();
    let cloud = cloud_freeze(&env, &no);
    assert_eq!(
        (
            cloud["consumed"].as_i64(),
            cloud["manual_unfrozen"].as_i64()
        ),
        (Some(3_000), Some(7_000))
    );
    // The consume order is an ordinary paid order: listed, queried, refunded.
    let (_, o) = env.json(&["query", "--order", &order, "--json"], None);
    assert_eq!(o["state"], "paid");
    assert_eq!(o["amount_fen"], 3_000);
    let (status, r) = env.json(
        &["refund", "--order", &order, "--amount", "5.00", "--json"],
        None,
    );
    assert!(status == 0 || status == 4, "{r}");
    let (_, q) = env.json(&["deposit", "query", "--freeze", &no, "--json"], None);
    assert_eq!(q["state"], "consumed");
    assert_eq!(q["out_trade_no"], order);
    // The consume slip, as a picture.
    let png = env.home().join("consume.png");
    env.ok(
        &[
            "deposit",
            "receipt",
            "--freeze",
            &no,
            "--png",
            png.to_str().unwrap(),
        ],
        None,
    );
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));

    // Consumed: a release is refused by name.
    let out = env.run(&["deposit", "unfreeze", "--freeze", &no], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("already consumed"),
        "{}",
        stderr_of(&out)
    );

    // A clerk without refund permission needs a manager.
    let (_, d2) = freeze(&env, "50.00", "00");
    let no2 = d2["out_freeze_no"].as_str().unwrap().to_owned();
    env.ok(
        &[
            "clerk", "add", "--id", "05", "--name", "小王", "--role", "clerk",
        ],
        Some("5555"),
    );
    env.ok(&["login", "--staff", "05"], Some("5555"));
    let out = env.run(&["deposit", "unfreeze", "--freeze", &no2], None);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no permission"), "{err}");
    assert_eq!(cloud_freeze(&env, &no2)["held"], 5_000, "nothing released");
    let (status, u) = env.json(
        &[
            "deposit",
            "unfreeze",
            "--freeze",
            &no2,
            "--manager",
            "01",
            "--json",
        ],
        Some(ADMIN_PW),
    );
    assert_eq!(status, 0, "{u}");
    assert_eq!(u["state"], "unfrozen");
    assert_eq!(u["unfrozen_fen"], 5_000);
    assert_eq!(u["authorized_by"], "01");
    assert_eq!(cloud_freeze(&env, &no2)["held"], 0);
    let out = env.run(&["deposit", "unfreeze", "--freeze", &no2], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("already released"),
        "{}",
        stderr_of(&out)
    );

    // The list: a JSON array, filtered by state (the clerk sees their own).
    env.ok(&["login", "--staff", "01"], Some(ADMIN_PW));
    let (_, d3) = freeze(&env, "20.00", "00");
    let (status, all) = env.json(&["deposit", "list", "--json"], None);
    assert_eq!(status, 0);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3);
    all.iter().for_each(check_contract);
    let (_, frozen) = env.json(&["deposit", "list", "--state", "frozen", "--json"], None);
    let frozen = frozen.as_array().unwrap();
    assert_eq!(frozen.len(), 1);
    assert_eq!(frozen[0]["out_freeze_no"], d3["out_freeze_no"]);
    let out = env.run(&["deposit", "list", "--state", "melted"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("unknown state"));

    // Reconciliation covers the deposits and the consume order: clean.
    env.ok(&["config", "reconcile", "--grace-ms", "0"], None);
    let (status, run) = env.json(&["reconcile", "--once", "--json"], None);
    assert_eq!(status, 0, "{run}");
    assert_eq!(run["compared_freezes"], 3, "{run}");
    assert_eq!(run["compared_unfreezes"], 1, "{run}");

    // The mode setting.
    let (_, m) = env.json(&["deposit", "mode", "--set", "mixed", "--json"], None);
    assert_eq!(m["mode"], "mixed");
    assert_eq!(m["deposits"], true);
}

#[test]
fn a_deposit_mismatch_halts_and_halted_means_no_freeze() {
    let env = Env::start();
    env.ok(&["config", "reconcile", "--grace-ms", "0"], None);
    let (_, d) = freeze(&env, "10.00", "00");
    let no = d["out_freeze_no"].as_str().unwrap().to_owned();
    let (status, _) = env.json(&["reconcile", "--once", "--json"], None);
    assert_eq!(status, 0);
    // The cloud says part of it was taken: money moved without the ledger.
    env.control(
        "ledger/mutate",
        &json!({"op": "set_freeze", "out_freeze_no": no, "state": "finished",
                "consumed": 100, "manual_unfrozen": 900}),
    );
    let (status, run) = env.json(&["reconcile", "--once", "--json"], None);
    assert_ne!(status, 0, "{run}");
    assert_eq!(run["halted"], true);
    let kinds: Vec<&str> = run["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"freeze_state_differs"), "{kinds:?}");
    let before = env.cloud_ledger()["deposits"]["freezes"]
        .as_array()
        .unwrap()
        .len();
    let out = env.run(
        &[
            "deposit",
            "freeze",
            "--amount",
            "1.00",
            "--code",
            &code("00"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("halted"), "{}", stderr_of(&out));
    assert_eq!(
        env.cloud_ledger()["deposits"]["freezes"]
            .as_array()
            .unwrap()
            .len(),
        before,
        "nothing sent"
    );
    // A freeze the cloud lost also halts.
    env.ok(&["halt", "clear"], Some(ADMIN_PW));
    let (_, d2) = freeze(&env, "3.00", "00");
    env.control(
        "ledger/mutate",
        &json!({"op": "delete_freeze", "out_freeze_no": d2["out_freeze_no"]}),
    );
    let (status, run) = env.json(&["reconcile", "--once", "--json"], None);
    assert_ne!(status, 0);
    assert!(
        run["discrepancies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == "freeze_missing_in_cloud"),
        "{run}"
    );
}

#[test]
fn an_unreachable_cloud_is_one_line_and_freezes_nothing() {
    let env = Env::start();
    let addr = env.sandbox.addrs()[0];
    env.rt.block_on(env.sandbox.stop_listener(addr));
    let out = env.run(
        &[
            "deposit",
            "freeze",
            "--amount",
            "1.00",
            "--code",
            &code("00"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("cloudpos:")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("cloud unreachable"), "{err}");
    let (_, list) = env.json(&["deposit", "list", "--state", "failed", "--json"], None);
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "recorded as failed: {list}"
    );
}
