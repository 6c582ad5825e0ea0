//! `cloudpos onecode watch` and `config onecode` against the sandbox over real HTTP: two
//! static-QR payments are printed once each, a second `--once` lists nothing, a killed
//! watcher does not make the next one print again, and bad settings are refused.
#![allow(missing_docs)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;

use common::{Env, code};
use serde_json::{Value, json};

fn qr_payment(env: &Env, body: &Value) -> Value {
    let url = env
        .sandbox
        .control_url()
        .replace("/control/", "/sandbox/qr-payment");
    env.rt.block_on(async {
        let r = env.http.post(url).json(body).send().await.unwrap();
        assert!(r.status().is_success(), "qr-payment: {}", r.status());
        r.json::<Value>().await.unwrap()["order"].clone()
    })
}

/// Slips printed for `no` (a slip carries its number as text and as a scannable code).
fn slips(printer: &Path, no: &str) -> usize {
    let bytes = std::fs::read(printer).unwrap_or_default();
    bytes
        .windows(no.len())
        .filter(|w| *w == no.as_bytes())
        .count()
        / 2
}

fn lines(out: &str) -> Vec<Value> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn no_of(v: &Value) -> String {
    v["out_trade_no"].as_str().unwrap().to_owned()
}

#[test]
fn static_qr_payments_are_printed_once_each() {
    let env = Env::start();
    let printer = env.home().join("printer.bin");
    std::fs::write(&printer, b"").unwrap();
    let device = format!("file:{}", printer.display());
    env.ok(
        &[
            "config",
            "printer",
            "--enabled",
            "true",
            "--device",
            &device,
        ],
        None,
    );
    let (status, settings) = env.json(
        &[
            "config",
            "onecode",
            "--enable",
            "--from",
            "now",
            "--interval",
            "1",
            "--json",
        ],
        None,
    );
    assert_eq!(status, 0);
    assert_eq!(
        settings,
        json!({"enabled": true, "from": "now", "interval_secs": 1, "qr_codes": []})
    );
    // The listing counts whole seconds: the payments fall after the moment it was enabled.
    std::thread::sleep(std::time::Duration::from_millis(1100));

    // The till's own payment beside them, and its reconciliation stays clean.
    let (status, _) = env.pay("5.00", &code("00"));
    assert_eq!(status, 0);
    let a = qr_payment(&env, &json!({"amount_fen": 1234, "wallet": "alipay"}));
    let b = qr_payment(&env, &json!({"amount_fen": 88, "wallet": "wechat"}));

    let out = env.ok(&["onecode", "watch", "--once", "--json"], None);
    let got = lines(&out);
    assert_eq!(got.len(), 2, "{out}");
    assert_eq!(got[0]["out_trade_no"], a["out_trade_no"]);
    assert_eq!(got[0]["amount_fen"], 1234);
    assert_eq!(got[0]["wallet"], "alipay");
    assert!(got[0]["paid_at"].as_str().unwrap().contains('T'));
    assert_eq!(got[1]["out_trade_no"], b["out_trade_no"]);
    assert_eq!(got[1]["amount_fen"], 88);
    assert_eq!(got[1]["wallet"], "wechat");
    let mut keys: Vec<&String> = got[0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["amount_fen", "out_trade_no", "paid_at", "wallet"]);
    assert_eq!(slips(&printer, &no_of(&a)), 1);
    assert_eq!(slips(&printer, &no_of(&b)), 1);

    // A second look right after: nothing new, nothing printed.
    let size = std::fs::metadata(&printer).unwrap().len();
    assert_eq!(env.ok(&["onecode", "watch", "--once", "--json"], None), "");
    assert_eq!(std::fs::metadata(&printer).unwrap().len(), size);
    env.ok(&["reconcile", "--once"], None);

    // A watcher that keeps going prints the next one, then is killed: the next watcher
    // does not print it again.
    let mut watcher = env.spawn(&["onecode", "watch", "--json"]);
    let c = qr_payment(&env, &json!({"amount_fen": 500, "wallet": "wechat"}));
    let mut first = String::new();
    BufReader::new(watcher.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(lines(&first)[0]["out_trade_no"], c["out_trade_no"]);
    watcher.kill().unwrap();
    let _ = watcher.wait();
    assert_eq!(env.ok(&["onecode", "watch", "--once", "--json"], None), "");
    assert_eq!(slips(&printer, &no_of(&c)), 1);

    // The journal, newest first.
    let (status, list) = env.json(&["onecode", "list", "--json"], None);
    assert_eq!(status, 0);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["out_trade_no"], c["out_trade_no"]);
    assert!(
        list.iter()
            .all(|e| e["state"] == "done" && e["printed"] == true)
    );
    // The text output names the payment.
    let text = env.ok(&["onecode", "list"], None);
    assert!(
        text.contains(&no_of(&a)) && text.contains("12.34"),
        "{text}"
    );
}

#[test]
fn bad_onecode_settings_are_refused() {
    let env = Env::start();
    for (args, needle) in [
        (vec!["--interval", "0"], "1 to 3600"),
        (vec!["--from", "soon"], "now or last"),
        (vec!["--qr-codes", "a b"], "QR code id"),
    ] {
        let mut all = vec!["config", "onecode"];
        all.extend(args.iter().copied());
        let out = env.run(&all, None);
        assert_eq!(out.status.code(), Some(1), "{all:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{all:?}: {err}");
    }
    let (_, shown) = env.json(&["config", "onecode", "--json"], None);
    assert_eq!(
        shown,
        json!({"enabled": false, "from": "now", "interval_secs": 5, "qr_codes": []})
    );
}
