//! Terminal checks before the network, from the CLI against the sandbox (protocol notes
//! §11.10): amounts of zero or above the maximum, typed full-width amounts, the over-refund
//! sequence, an Alipay partial refund in reconciliation, and a charge the till could not
//! record.
#![allow(missing_docs)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use common::{Env, code};
use serde_json::{Value, json};

fn cloud_orders(env: &Env) -> Vec<Value> {
    env.cloud_ledger()["orders"].as_array().unwrap().clone()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An Alipay code (prefix 28, 19 digits) ending in `script`, unique in this process.
fn alipay_code(script: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) + u64::from(std::process::id()) * 1_000_000;
    format!("28{:015}{script}", n % 1_000_000_000_000_000)
}

#[test]
fn amounts_are_checked_before_the_network() {
    let env = Env::start();
    let cases: [(&str, &[&str]); 6] = [
        (
            "99999999999",
            &["99999999999.00", "maximum per payment", "50000.00"],
        ),
        ("50000.01", &["50000.01", "maximum per payment"]),
        ("0", &["greater than zero"]),
        ("０．００", &["greater than zero"]),
        ("0.001", &["0.001", "3 decimal places"]),
        ("-5", &["sign"]),
    ];
    for (amount, words) in cases {
        let out = env.run(&["pay", "--amount", amount, "--code", &code("00")], None);
        assert_eq!(out.status.code(), Some(1), "{amount}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        for w in words {
            assert!(err.contains(w), "{amount}: expected {w:?} in {err}");
        }
    }
    assert!(cloud_orders(&env).is_empty(), "nothing reached the cloud");

    // Full-width digits and point as a Chinese input method types them.
    let (status, o) = env.pay("１２．５０", &code("00"));
    assert_eq!((status, o["amount_fen"].as_i64()), (0, Some(1250)), "{o}");
    let (status, o) = env.pay("3。5", &code("00"));
    assert_eq!((status, o["amount_fen"].as_i64()), (0, Some(350)), "{o}");

    // The maxima are settings of the payment policy.
    let (status, shown) = env.json(&["config", "payment", "--json"], None);
    assert_eq!(status, 0);
    assert_eq!(
        (&shown["max_payment"], &shown["max_refund"]),
        (&json!("50000.00"), &json!("50000.00"))
    );
    let (status, shown) = env.json(
        &[
            "config",
            "payment",
            "--max-payment",
            "１００",
            "--max-refund",
            "20",
            "--json",
        ],
        None,
    );
    assert_eq!(status, 0);
    assert_eq!(shown["max_payment_fen"], 10_000);
    assert_eq!(shown["max_refund_fen"], 2_000);
    assert_eq!(shown["poll_ms"], 40, "other settings kept");
    let out = env.run(&["config", "payment", "--max-refund", "0"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("greater than zero"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["pay", "--amount", "100.01", "--code", &code("00")], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--max-payment"), "{}", stderr(&out));
    let (status, o) = env.pay("100", &code("00"));
    assert_eq!(status, 0, "{o}");
    let no = o["out_trade_no"].as_str().unwrap();
    let out = env.run(&["refund", "--order", no, "--amount", "20.01"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("maximum per refund"),
        "{}",
        stderr(&out)
    );
    let (status, r) = env.json(
        &["refund", "--order", no, "--amount", "２０", "--json"],
        None,
    );
    assert_eq!((status, r["refund_fen"].as_i64()), (0, Some(2_000)), "{r}");
    assert_eq!(cloud_orders(&env).len(), 3);
}

/// The acceptance checklist's test, word for word: pay 0.02 → refund 0.03 blocked → 0.01 ok
/// (partly refunded) → 0.02 blocked → 0.01 ok (fully refunded).
#[test]
fn over_refunds_are_blocked_on_the_terminal() {
    let env = Env::start();
    let (status, o) = env.pay("0.02", &code("00"));
    assert_eq!(status, 0, "{o}");
    let no = o["out_trade_no"].as_str().unwrap().to_owned();
    let refund = |amount: &str| {
        env.run(
            &["refund", "--order", &no, "--amount", amount, "--json"],
            None,
        )
    };
    let refunds_in_cloud = || env.cloud_ledger()["refunds"].as_array().map_or(0, Vec::len);

    let out = refund("0.03");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("0.03"), "{}", stderr(&out));
    assert_eq!(refunds_in_cloud(), 0, "blocked before the network");

    let (status, r) = env.json(
        &["refund", "--order", &no, "--amount", "0.01", "--json"],
        None,
    );
    assert_eq!(
        (status, r["state"].as_str(), r["refund_state"].as_str()),
        (0, Some("partially_refunded"), Some("succeeded")),
        "{r}"
    );

    let out = refund("0.02");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0.01"),
        "names what is left: {}",
        stderr(&out)
    );
    assert_eq!(refunds_in_cloud(), 1);

    let (status, r) = env.json(
        &["refund", "--order", &no, "--amount", "0.01", "--json"],
        None,
    );
    assert_eq!(
        (status, r["state"].as_str(), r["refunded_fen"].as_i64()),
        (0, Some("refunded"), Some(2)),
        "{r}"
    );
    assert_eq!(refunds_in_cloud(), 2);
    let cloud = cloud_orders(&env);
    assert_eq!(cloud[0]["refunded_fee"], 2);
}

/// Alipay's order state changes only on a full refund: the partial refund is seen through
/// `client_order_detail`'s `refunded_fee`, and a disagreement there halts.
#[test]
fn an_alipay_partial_refund_reconciles_through_refunded_fee() {
    let env = Env::start();
    env.ok(&["config", "reconcile", "--grace-ms", "0"], None);
    let (status, o) = env.pay("10.00", &alipay_code("00"));
    assert_eq!((status, o["wallet"].as_str()), (0, Some("alipay")), "{o}");
    let no = o["out_trade_no"].as_str().unwrap().to_owned();
    let (status, r) = env.json(
        &["refund", "--order", &no, "--amount", "2.50", "--json"],
        None,
    );
    assert_eq!(
        (status, r["state"].as_str()),
        (0, Some("partially_refunded")),
        "{r}"
    );
    let cloud = &cloud_orders(&env)[0];
    assert_eq!(
        (cloud["state"].as_str(), cloud["refunded_fee"].as_i64()),
        (Some("paid"), Some(250)),
        "the cloud still calls it paid: {cloud}"
    );

    let (status, report) = env.json(&["reconcile", "--once", "--json"], None);
    assert_eq!(status, 0, "{report}");
    assert_eq!(report["clean"], true, "{report}");
    assert!(report["compared_orders"].as_u64().unwrap() >= 1, "{report}");

    // The listing's refunded_fee disagrees with the ledger: that is a discrepancy.
    env.control(
        "ledger/mutate",
        &json!({"op": "set_refunded", "out_trade_no": no, "refunded_fee": 100}),
    );
    let (status, report) = env.json(&["reconcile", "--once", "--json"], None);
    assert_ne!(status, 0, "{report}");
    let kinds: Vec<&str> = report["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["refunded_differs"], "{report}");
}

/// The disk refuses the answer's write after the cloud took the money: `pay --json` prints
/// the order as recorded (state `unknown`) and exits 5; `recover` completes it, once.
///
/// The write is made to fail for the `cloudpos` process alone: while the sandbox holds the
/// answer back (script `08`), the process's file-size limit is lowered to the size its
/// SQLite write-ahead log has then, so the next commit cannot grow it (EFBIG, an I/O error;
/// `SIGXFSZ` is ignored so the process lives on, as it would on a full disk).
#[cfg(target_os = "linux")]
#[test]
fn a_charge_the_till_could_not_record_exits_5_and_recover_completes_it() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let env = Env::start_with(cloudpay_sandbox::Timings {
        slow_answer_delay: Duration::from_secs(3),
        ..cloudpay_sandbox::Timings::fast()
    });
    let prlimit = Command::new("prlimit").arg("--version").output();
    assert!(
        prlimit.is_ok_and(|o| o.status.success()),
        "this test needs util-linux's prlimit"
    );
    let pay_code = code("08");
    let child = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; exec \"$0\" \"$@\"")
        .arg(common::BIN)
        .arg("--home")
        .arg(env.home())
        .args(["pay", "--amount", "20.00", "--code", &pay_code, "--json"])
        .env_remove("CLOUDPOS_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The intent is committed before the request leaves: once the cloud has the order, the
    // till is waiting for the (held back) answer.
    let started = Instant::now();
    while cloud_orders(&env).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "micro_pay never arrived"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let wal = env.home().join("cloudpos.db-wal");
    let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert!(size > 0, "the intent is in the write-ahead log");
    let limit = Command::new("prlimit")
        .arg("--pid")
        .arg(child.id().to_string())
        .arg(format!("--fsize={size}:{size}"))
        .status()
        .unwrap();
    assert!(limit.success());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    let o: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {} / {err}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(o["state"], "unknown", "{o}");
    assert_eq!(o["cloud_state"], "paid", "{o}");
    assert_eq!(o["amount_fen"], 2_000);
    assert!(
        err.contains("paid in the cloud; the local record will be completed"),
        "{err}"
    );
    let no = o["out_trade_no"].as_str().unwrap().to_owned();

    // The next start completes the record: paid, the same order, never charged twice or
    // reversed.
    let (status, report) = env.json(&["recover", "--json"], None);
    assert_eq!(status, 0, "{report}");
    assert_eq!(
        (report["orders_found"].as_u64(), report["paid"].as_u64()),
        (Some(1), Some(1))
    );
    let (status, q) = env.json(&["query", "--order", &no, "--json"], None);
    assert_eq!((status, q["state"].as_str()), (0, Some("paid")), "{q}");
    assert!(!q["transaction_id"].is_null(), "{q}");
    let cloud = cloud_orders(&env);
    assert_eq!(cloud.len(), 1, "charged once");
    assert_eq!(cloud[0]["state"], "paid");
    assert_eq!(cloud[0]["out_trade_no"], no.as_str());
    let (_, again) = env.json(&["recover", "--json"], None);
    assert_eq!(again["orders_found"], 0);
}
