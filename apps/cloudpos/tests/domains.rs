//! The CLI against the strict sandbox: a partial refund settles locally, and payments go on
//! when the first of the merchant's Cloud Pay domains (`base_urls`) is down from the start
//! or dies mid-run (protocol notes §11.10).
#![allow(missing_docs)]

mod common;

use std::time::Duration;

use cloudpay_sandbox::{SandboxConfig, Timings};
use common::{Env, code};
use serde_json::Value;

/// Refunds settle by time only (300 ms), never because of a query: the terminal must keep
/// querying with a request the strict sandbox accepts.
fn settle_by_time() -> Timings {
    Timings {
        refund_settle_after: Duration::from_millis(300),
        refund_settles_on_query: false,
        ..Timings::fast()
    }
}

fn two_domains(timings: Timings) -> SandboxConfig {
    SandboxConfig {
        timings,
        extra_addrs: vec!["127.0.0.1:0".parse().unwrap()],
        ..SandboxConfig::default()
    }
}

fn cloud_refund<'a>(ledger: &'a Value, no: &str) -> &'a Value {
    ledger["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["out_trade_no"] == no)
        .unwrap_or_else(|| panic!("no cloud refund of {no}: {ledger}"))
}

/// Pays `yuan`, refunds `part` of it, and expects both ledgers to agree that it is
/// partially refunded and the refund succeeded.
fn pay_and_partly_refund(env: &Env, code: &str, yuan: &str, part: &str, part_fen: i64) -> String {
    let (status, o) = env.pay(yuan, code);
    assert_eq!((status, o["state"].as_str()), (0, Some("paid")), "{o}");
    let no = o["out_trade_no"].as_str().unwrap().to_owned();
    let (status, r) = env.json(
        &[
            "refund", "--order", &no, "--amount", part, "--reason", "退货", "--json",
        ],
        None,
    );
    assert_eq!(status, 0, "{r}");
    assert_eq!(r["refund_state"], "succeeded", "{r}");
    assert_eq!(r["state"], "partially_refunded", "{r}");
    assert_eq!(r["refunded_fen"], part_fen, "{r}");
    let ledger = env.cloud_ledger();
    assert_eq!(cloud_refund(&ledger, &no)["state"], "succeeded");
    no
}

#[test]
fn a_partial_refund_settles_against_the_strict_sandbox() {
    let env = Env::start_with(settle_by_time());
    env.ok(&["config", "reconcile", "--grace-ms", "0"], None);
    // WeChat and Alipay: each query names the order's wallet, as the protocol requires.
    let wechat = pay_and_partly_refund(&env, &code("00"), "10.00", "3.50", 350);
    let alipay_code = format!("28{}", &code("00")[4..]);
    let alipay = pay_and_partly_refund(&env, &alipay_code, "8.00", "0.80", 80);
    // The rest of the WeChat order: fully refunded.
    let (status, r) = env.json(
        &["refund", "--order", &wechat, "--amount", "6.50", "--json"],
        None,
    );
    assert_eq!((status, r["state"].as_str()), (0, Some("refunded")), "{r}");
    // The two ledgers agree: reconciliation is clean and the till is not halted.
    let (status, report) = env.json(&["reconcile", "--once", "--json"], None);
    assert_eq!(status, 0, "{report}");
    assert_eq!(report["clean"], true, "{report}");
    let (_, shown) = env.json(&["query", "--order", &alipay, "--json"], None);
    assert_eq!(shown["state"], "partially_refunded", "{shown}");
}

fn domains(env: &Env) -> Value {
    let (status, shown) = env.json(&["config", "network", "--show", "--json"], None);
    assert_eq!(status, 0, "{shown}");
    shown
}

#[test]
fn a_payment_succeeds_with_the_first_domain_dead() {
    let env = Env::start_config(two_domains(Timings::fast()), |rt, sandbox| {
        let first = sandbox.addr();
        assert!(rt.block_on(sandbox.stop_listener(first)));
    });
    let urls = env.sandbox.base_urls();
    let creds: Value = serde_json::from_slice(&std::fs::read(&env.creds).unwrap()).unwrap();
    assert_eq!(creds["base_url"], urls[0].as_str(), "the dead one first");
    assert_eq!(creds["base_urls"], serde_json::json!(urls));
    let (status, o) = env.pay("12.34", &code("00"));
    assert_eq!((status, o["state"].as_str()), (0, Some("paid")), "{o}");
    let no = o["out_trade_no"].as_str().unwrap();
    let cloud = env.cloud_ledger();
    assert!(
        cloud["orders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["out_trade_no"] == no && c["state"] == "paid")
    );
    let shown = domains(&env);
    assert_eq!(shown["domain_in_use"], urls[1].as_str(), "{shown}");
    assert_eq!(shown["domains"][0]["base_url"], urls[0].as_str());
    assert_eq!(shown["domains"][0]["answers"], false);
    assert_eq!(shown["domains"][1]["answers"], true);
    // The text form names it too.
    let text = env.ok(&["config", "network", "--show"], None);
    assert!(
        text.lines()
            .any(|l| l.starts_with("domain_in_use") && l.contains(&urls[1])),
        "{text}"
    );
}

#[test]
fn the_run_continues_when_the_first_domain_dies_mid_run() {
    let env = Env::start_config(two_domains(settle_by_time()), |_, _| {});
    let urls = env.sandbox.base_urls();
    assert_eq!(domains(&env)["domain_in_use"], urls[0].as_str());
    let (status, o) = env.pay("20.00", &code("00"));
    assert_eq!((status, o["state"].as_str()), (0, Some("paid")), "{o}");
    let no = o["out_trade_no"].as_str().unwrap().to_owned();
    // The first domain goes down.
    let first = env.sandbox.addr();
    assert!(env.rt.block_on(env.sandbox.stop_listener(first)));
    // The refund of the order paid on the first domain goes through the second.
    let (status, r) = env.json(
        &["refund", "--order", &no, "--amount", "5.00", "--json"],
        None,
    );
    assert_eq!(status, 0, "{r}");
    assert_eq!(
        (r["state"].as_str(), r["refund_state"].as_str()),
        (Some("partially_refunded"), Some("succeeded")),
        "{r}"
    );
    let (status, o) = env.pay("3.00", &code("00"));
    assert_eq!((status, o["state"].as_str()), (0, Some("paid")), "{o}");
    assert_eq!(domains(&env)["domain_in_use"], urls[1].as_str());
    let cloud = env.cloud_ledger();
    assert_eq!(cloud["orders"].as_array().unwrap().len(), 2, "{cloud}");
    assert_eq!(cloud_refund(&cloud, &no)["refund_fee"], 500);
}
