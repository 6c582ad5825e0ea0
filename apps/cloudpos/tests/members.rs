//! `cloudpos member …` against the sandbox over real HTTP: add and find, the bonus rules,
//! recharge by wallet code (credited only when paid), pay with the card (refused with the
//! balance when short), the ledger, refund to the card through `refund`, admin
//! adjustments, Excel import and export, and member payments in orders, summaries and
//! reconciliation.
#![allow(missing_docs)]

mod common;

use common::{ADMIN_PW, Env, code};
use serde_json::Value;

const CARD: &str = "9900000000000001";

fn balance(env: &Env) -> i64 {
    let (status, m) = env.json(&["member", "find", "--card", CARD, "--json"], None);
    assert_eq!(status, 0, "{m}");
    m["balance_fen"].as_i64().unwrap()
}

#[test]
fn add_recharge_pay_ledger_refund() {
    let env = Env::start();
    let (status, m) = env.json(
        &[
            "member",
            "add",
            "--card",
            CARD,
            "--name",
            "张三",
            "--phone",
            "13800138000",
            "--json",
        ],
        None,
    );
    assert_eq!(status, 0, "{m}");
    for field in ["card_no", "name", "phone", "balance_fen", "status"] {
        assert!(!m[field].is_null(), "{field} missing: {m}");
    }
    assert_eq!(
        (m["balance_fen"].as_i64(), m["status"].as_str()),
        (Some(0), Some("active"))
    );
    let again = env.run(&["member", "add", "--card", CARD, "--name", "李四"], None);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // Found by phone.
    let (_, by_phone) = env.json(
        &["member", "find", "--phone", "13800138000", "--json"],
        None,
    );
    assert_eq!(by_phone[0]["card_no"], CARD, "{by_phone}");

    // 充 100 送 10.
    env.ok(&["config", "member", "--bonus", "100:10,200:30"], None);
    let (status, r) = env.json(
        &[
            "member",
            "recharge",
            "--card",
            CARD,
            "--amount",
            "100",
            "--code",
            &code("00"),
            "--json",
        ],
        None,
    );
    assert_eq!(status, 0, "{r}");
    for field in [
        "card_no",
        "out_trade_no",
        "state",
        "amount_fen",
        "bonus_fen",
        "balance_fen",
    ] {
        assert!(!r[field].is_null(), "{field} missing: {r}");
    }
    assert_eq!(r["state"], "paid");
    assert_eq!(
        (
            r["amount_fen"].as_i64(),
            r["bonus_fen"].as_i64(),
            r["balance_fen"].as_i64()
        ),
        (Some(10_000), Some(1_000), Some(11_000))
    );
    // The recharge is a real Cloud Pay payment.
    let no = r["out_trade_no"].as_str().unwrap();
    let cloud = env.cloud_ledger();
    assert!(
        cloud["orders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["out_trade_no"] == no),
        "{cloud}"
    );

    // A declined code credits nothing: exit 3.
    let (status, r) = env.json(
        &[
            "member",
            "recharge",
            "--card",
            CARD,
            "--amount",
            "50",
            "--code",
            &code("03"),
            "--json",
        ],
        None,
    );
    assert_eq!(status, 3, "{r}");
    assert_eq!(r["balance_fen"], 11_000);

    // Pay with the card; short balance refused with the balance shown.
    let out = env.run(
        &["member", "pay", "--card", CARD, "--amount", "110.01"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("110.00"), "{err}");
    let (status, p) = env.json(
        &[
            "member", "pay", "--card", CARD, "--amount", "12.50", "--json",
        ],
        None,
    );
    assert_eq!(status, 0, "{p}");
    for field in [
        "card_no",
        "out_trade_no",
        "state",
        "amount_fen",
        "balance_fen",
    ] {
        assert!(!p[field].is_null(), "{field} missing: {p}");
    }
    assert_eq!(
        (p["state"].as_str(), p["balance_fen"].as_i64()),
        (Some("paid"), Some(9_750))
    );
    let paid_no = p["out_trade_no"].as_str().unwrap().to_owned();

    // Refund part of it through the ordinary refund command: back to the card.
    let (status, rf) = env.json(
        &[
            "refund", "--order", &paid_no, "--amount", "2.50", "--reason", "退货", "--json",
        ],
        None,
    );
    assert_eq!(status, 0, "{rf}");
    assert_eq!(rf["wallet"], "member_card");
    assert_eq!(balance(&env), 10_000);

    // The ledger, oldest first, with the balance after each entry.
    let (_, ledger) = env.json(&["member", "ledger", "--card", CARD, "--json"], None);
    let rows: Vec<(String, i64, i64)> = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(e["at"].is_string(), "{e}");
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["amount_fen"].as_i64().unwrap(),
                e["balance_fen"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("recharge".into(), 10_000, 10_000),
            ("bonus".into(), 1_000, 11_000),
            ("payment".into(), -1_250, 9_750),
            ("refund".into(), 250, 10_000),
        ]
    );

    // Member payments are in the orders and the summary with the wallet member_card, and
    // reconciliation (which never sees them in the cloud) stays clean.
    let (_, orders) = env.json(&["orders", "--json"], None);
    let wallets: Vec<&str> = orders
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["wallet"].as_str().unwrap())
        .collect();
    assert!(wallets.contains(&"member_card"), "{orders}");
    let (_, summary) = env.json(&["summary", "--json"], None);
    assert_eq!(
        summary["methods"]["member_card"]["paid_fen"], 1_250,
        "{summary}"
    );
    env.ok(&["config", "reconcile", "--grace-ms", "0"], None);
    let (status, run) = env.json(&["reconcile", "--once", "--json"], None);
    assert_eq!(status, 0, "{run}");
}

#[test]
fn adjust_import_export() {
    let env = Env::start();
    env.ok(&["member", "add", "--card", CARD, "--name", "张三"], None);
    let out = env.run(
        &[
            "member", "adjust", "--card", CARD, "--amount", "-1", "--reason", "x",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the balance never goes below zero"
    );
    let out = env.run(
        &[
            "member", "adjust", "--card", CARD, "--amount", "5", "--reason", " ",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("reason"));
    let (status, m) = env.json(
        &[
            "member",
            "adjust",
            "--card",
            CARD,
            "--amount",
            "20.00",
            "--reason",
            "开卡赠送",
            "--json",
        ],
        None,
    );
    assert_eq!(status, 0, "{m}");
    assert_eq!(m["balance_fen"], 2_000);
    let (_, l) = env.json(&["member", "ledger", "--card", CARD, "--json"], None);
    assert_eq!(l[0]["kind"], "adjustment");

    // A clerk is not an admin.
    env.ok(
        &[
            "clerk", "add", "--id", "05", "--name", "小王", "--role", "clerk",
        ],
        Some("5555"),
    );
    env.ok(&["login", "--staff", "05"], Some("5555"));
    let out = env.run(
        &[
            "member", "adjust", "--card", CARD, "--amount", "1", "--reason", "x",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("admins only"));
    env.ok(&["login", "--staff", "01"], Some(ADMIN_PW));

    let file = env.home().join("members.xlsx");
    env.ok(&["member", "export", file.to_str().unwrap()], None);
    let other = Env::start();
    let (status, report) = other.json(
        &["member", "import", file.to_str().unwrap(), "--json"],
        None,
    );
    assert_eq!(status, 0, "{report}");
    assert_eq!(report["imported"], 1);
    let (_, m) = other.json(&["member", "find", "--card", CARD, "--json"], None);
    assert_eq!(
        (m["name"].as_str(), m["balance_fen"].as_i64()),
        (Some("张三"), Some(0)),
        "balances are never imported: {m}"
    );
    let _: Value = m;
}
