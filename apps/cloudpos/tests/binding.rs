//! The terminal's life on the command line against the sandbox over real HTTP: bind a
//! fresh till by configuration QR, pay, unbind (payments refused, records readable), bind
//! again; reset the key (only the same device binds again); a device bound elsewhere; and
//! the notices.

mod common;

use common::{ADMIN_PW, Env, code};
use serde_json::{Value, json};

/// A new device's configuration QR (or one for `device`).
fn config_qr(env: &Env, device: Option<&str>) -> (String, String) {
    let body = device.map_or(json!({}), |d| json!({ "device_id": d }));
    let r = env.sandbox_post("device-config-qr", &body);
    (
        r["qr"].as_str().unwrap().to_owned(),
        r["device_id"].as_str().unwrap().to_owned(),
    )
}

fn bind(env: &Env, qr: &str) -> Value {
    let (status, v) = env.json(
        &["setup", "bind", "--config-qr", qr, "--json"],
        Some(ADMIN_PW),
    );
    assert_eq!(status, 0, "{v}");
    v
}

fn bind_fails(env: &Env, qr: &str) -> String {
    let out = env.run(&["setup", "bind", "--config-qr", qr], Some(ADMIN_PW));
    assert!(!out.status.success(), "binding should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn pay_fails(env: &Env) -> String {
    let out = env.run(&["pay", "--amount", "1.00", "--code", &code("00")], None);
    assert!(!out.status.success(), "an unbound till took a payment");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file under `dir`, read as bytes.
fn all_bytes(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

#[test]
fn a_fresh_till_binds_by_qr_pays_unbinds_and_binds_again() {
    let env = Env::bare();
    let (qr, device) = config_qr(&env, None);
    let v = bind(&env, &qr);
    let creds = env.sandbox.credentials();
    let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "device_id",
            "out_mch_id",
            "out_shop_id",
            "out_sub_mch_id",
            "staff_id"
        ]
    );
    assert_eq!(v["device_id"], device.as_str());
    assert_eq!(v["out_mch_id"], creds.out_mch_id.as_str());
    assert_eq!(v["out_sub_mch_id"], creds.out_sub_mch_id.as_str());
    assert_eq!(v["out_shop_id"], creds.out_shop_id.as_str());
    let staff = v["staff_id"].as_str().unwrap().to_owned();
    assert_eq!(staff, creds.staff_id);
    // The key is sealed: no file of the till holds it in clear.
    for (path, bytes) in all_bytes(env.home()) {
        assert!(
            !bytes
                .windows(creds.authen_key.len())
                .any(|w| w == creds.authen_key.as_bytes()),
            "{} holds the key in clear",
            path.display()
        );
    }
    // The admin clerk is the bound staff id; a payment goes through.
    env.ok(&["login", "--staff", &staff], Some(ADMIN_PW));
    let (status, paid) = env.pay("1.00", &code("00"));
    assert_eq!(status, 0, "{paid}");
    assert_eq!(paid["state"], "paid", "{paid}");
    let cloud = env.cloud_ledger();
    assert!(
        cloud["orders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["device_id"] == device.as_str()),
        "paid as the bound device"
    );
    // A clerk may not unbind.
    env.ok(
        &[
            "clerk", "add", "--id", "07", "--name", "店员", "--role", "clerk",
        ],
        Some("pw0707"),
    );
    env.ok(&["login", "--staff", "07"], Some("pw0707"));
    let out = env.run(&["setup", "unbind"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("admin"));
    // The admin unbinds: payments, refunds and deposits are refused, saying how to bind.
    env.ok(&["login", "--staff", &staff], Some(ADMIN_PW));
    env.ok(&["setup", "unbind"], None);
    let refused = pay_fails(&env);
    assert!(refused.contains("unbound"), "{refused}");
    assert!(refused.contains("setup bind --config-qr"), "{refused}");
    let order = paid["out_trade_no"].as_str().unwrap();
    let out = env.run(
        &["refund", "--order", order, "--amount", "0.50"],
        Some(ADMIN_PW),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unbound"));
    // Local records stay readable and exportable.
    let (status, list) = env.json(&["orders", "--json"], None);
    assert_eq!(status, 0);
    assert!(list.to_string().contains(order));
    let csv = env.home().join("orders.csv");
    env.ok(&["orders", "--csv", csv.to_str().unwrap()], None);
    assert!(std::fs::read_to_string(&csv).unwrap().contains(order));
    // The audit chain has the unbinding.
    let audit = env.ok(&["audit", "list"], None);
    assert!(audit.contains("device_unbound"), "{audit}");
    // Bound again with a new QR of the device: payments work again.
    let (qr, _) = config_qr(&env, Some(&device));
    bind(&env, &qr);
    env.ok(&["login", "--staff", &staff], Some(ADMIN_PW));
    let (status, paid) = env.pay("2.00", &code("00"));
    assert_eq!(status, 0, "{paid}");
    assert_eq!(paid["state"], "paid");
}

#[test]
fn after_a_key_reset_only_the_same_device_binds_again() {
    let env = Env::bare();
    let (qr, device) = config_qr(&env, None);
    let staff = bind(&env, &qr)["staff_id"].as_str().unwrap().to_owned();
    env.ok(&["login", "--staff", &staff], Some(ADMIN_PW));
    env.ok(&["setup", "reset-key"], None);
    let refused = pay_fails(&env);
    assert!(refused.contains("key was reset"), "{refused}");
    assert!(refused.contains("same device"), "{refused}");
    // Status still reads (records stay).
    let (status, st) = env.json(&["status", "--json"], None);
    assert_eq!(status, 0);
    assert!(st["device"]["key_reset_at"].is_number() || st["device"]["key_reset_at"].is_string());
    // Another device's QR is refused, naming the device to use.
    let (other, _) = config_qr(&env, None);
    let e = bind_fails(&env, &other);
    assert!(e.contains(&device) && e.contains("same device"), "{e}");
    // The same device binds again.
    let (qr, _) = config_qr(&env, Some(&device));
    bind(&env, &qr);
    env.ok(&["login", "--staff", &staff], Some(ADMIN_PW));
    let (status, paid) = env.pay("1.00", &code("00"));
    assert_eq!(status, 0, "{paid}");
}

#[test]
fn a_device_bound_to_another_till_is_refused_naming_it() {
    let env = Env::bare();
    let (qr, device) = config_qr(&env, None);
    bind(&env, &qr);
    // A second till (another data directory, so another serial number).
    let second = tempfile::tempdir().unwrap();
    let (qr, _) = config_qr(&env, Some(&device));
    let out = std::process::Command::new(common::BIN)
        .arg("--home")
        .arg(second.path())
        .args(["setup", "bind", "--config-qr", &qr])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(format!("{ADMIN_PW}\n").as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("3214") && e.contains(&device), "{e}");
    // The QR the other till could not use still binds this one; once spent, it is refused.
    bind(&env, &qr);
    let e = bind_fails(&env, &qr);
    assert!(e.contains("used already"), "{e}");
    let e = bind_fails(&env, "https://example.com/hello");
    assert!(e.contains("configuration QR"), "{e}");
}

#[test]
fn notices_are_listed_read_and_unread() {
    let env = Env::bare();
    let (qr, _) = config_qr(&env, None);
    let staff = bind(&env, &qr)["staff_id"].as_str().unwrap().to_owned();
    env.ok(&["login", "--staff", &staff], Some(ADMIN_PW));
    let (_, v) = env.json(&["notices", "--json"], None);
    assert_eq!(v["unread"], 0);
    env.sandbox_post(
        "notice",
        &json!({"title": "系统维护通知", "body": "今晚 23:00 至 24:00 系统维护。"}),
    );
    env.sandbox_post(
        "notice",
        &json!({"title": "新功能", "body": "已支持押金收款。"}),
    );
    let (status, v) = env.json(&["notices", "--json"], None);
    assert_eq!(status, 0);
    assert_eq!(v["unread"], 2, "{v}");
    let list = v["notices"].as_array().unwrap();
    assert_eq!(list[0]["title"], "新功能");
    assert_eq!(list[1]["read"], false);
    let first = list[1]["id"].as_str().unwrap().to_owned();
    let (_, v) = env.json(&["notices", "--json", "--mark-read", &first], None);
    assert_eq!(v["unread"], 1);
    assert_eq!(v["notices"][1]["read"], true);
    let text = env.ok(&["notices"], None);
    assert!(
        text.contains("系统维护通知") && text.contains("● "),
        "{text}"
    );
    let (_, v) = env.json(&["notices", "--json", "--mark-all-read"], None);
    assert_eq!(v["unread"], 0);
    let out = env.run(&["notices", "--mark-read", "N999999"], None);
    assert!(!out.status.success());
}
