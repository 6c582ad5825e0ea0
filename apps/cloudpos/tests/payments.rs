//! The CLI against the sandbox over real HTTP: every scripted outcome, bad input, refunds,
//! a refund storm, and forged responses.
#![allow(missing_docs)]

mod common;

use std::collections::HashMap;

use common::{ADMIN_PW, Env, code};
use serde_json::{Value, json};

fn cloud_order<'a>(ledger: &'a Value, no: &str) -> &'a Value {
    ledger["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["out_trade_no"] == no)
        .unwrap_or_else(|| panic!("order {no} not in the sandbox"))
}

#[test]
fn every_scripted_outcome() {
    let env = Env::start();
    // (script, exit status, state, cloud state)
    let cases = [
        ("00", 0, "paid", "paid"),
        ("01", 0, "paid", "paid"),
        ("02", 3, "failed", "failed"),
        ("03", 3, "failed", "failed"),
        ("04", 3, "reversed", "reversed"),
        ("05", 3, "failed", "failed"),
        ("06", 0, "paid", "paid"),
        ("07", 0, "paid", "paid"),
        ("08", 0, "paid", "paid"),
        ("09", 3, "reversed", "reversed"),
    ];
    for (script, exit, state, cloud) in cases {
        let (status, o) = env.pay("12.34", &code(script));
        assert_eq!(
            (status, o["state"].as_str().unwrap()),
            (exit, state),
            "script {script}: {o}"
        );
        for field in [
            "out_trade_no",
            "state",
            "wallet",
            "amount_fen",
            "refunded_fen",
            "created_at",
        ] {
            assert!(
                !o[field].is_null(),
                "script {script}: {field} missing in {o}"
            );
        }
        assert_eq!(o["wallet"], "wechat");
        assert_eq!(o["amount_fen"], 1234);
        assert_eq!(o["refunded_fen"], 0);
        assert!(o["created_at"].as_str().unwrap().ends_with("+08:00"));
        let ledger = env.cloud_ledger();
        let c = cloud_order(&ledger, o["out_trade_no"].as_str().unwrap());
        assert_eq!(c["state"], cloud, "script {script}: cloud says {c}");
    }
    let (_, o) = env.pay("12.34", &code("03"));
    assert!(o["reason"].as_str().unwrap().contains("余额不足"), "{o}");
    let (_, o) = env.pay("12.34", &code("05"));
    assert!(o["reason"].as_str().unwrap().contains("过期"), "{o}");

    // Other wallets.
    let (status, o) = env.pay("0.01", "2812345678901234500");
    assert_eq!(
        (
            status,
            o["wallet"].as_str().unwrap(),
            o["state"].as_str().unwrap()
        ),
        (0, "alipay", "paid")
    );
    // A member card's code pays from the card's balance on the till (never Cloud Pay).
    env.ok(
        &[
            "member",
            "add",
            "--card",
            "9912345678901234500",
            "--name",
            "会员",
        ],
        None,
    );
    env.ok(
        &[
            "member",
            "adjust",
            "--card",
            "9912345678901234500",
            "--amount",
            "100",
            "--reason",
            "opening balance",
        ],
        None,
    );
    let (status, o) = env.pay("100", "9912345678901234500");
    assert_eq!(
        (
            status,
            o["wallet"].as_str().unwrap(),
            o["amount_fen"].as_i64().unwrap()
        ),
        (0, "member_card", 10_000)
    );

    // `orders --json` is an array holding all of them; `query` shows one.
    let (status, list) = env.json(&["orders", "--json"], None);
    assert_eq!(status, 0);
    assert_eq!(list.as_array().unwrap().len(), 14);
    let no = list[0]["out_trade_no"].as_str().unwrap().to_owned();
    let (status, one) = env.json(&["query", "--order", &no, "--json"], None);
    assert_eq!(
        (status, one["out_trade_no"].as_str().unwrap()),
        (0, no.as_str())
    );
    let (_, paid) = env.json(&["orders", "--state", "paid", "--json"], None);
    assert_eq!(paid.as_array().unwrap().len(), 7);
}

#[test]
fn bad_input_is_one_line_naming_the_problem() {
    let env = Env::start();
    let cases: [(&[&str], &str); 5] = [
        (
            &["pay", "--amount", "1.234", "--code", "134512345678901200"],
            "3 decimal places",
        ),
        (
            &["pay", "--amount", "-5", "--code", "134512345678901200"],
            "sign",
        ),
        (
            &["pay", "--amount", "5", "--code", "6212345678901234567"],
            "UnionPay",
        ),
        (
            &["pay", "--amount", "5", "--code", "1345abc"],
            "digits only",
        ),
        (
            &["refund", "--order", "nosuchorder", "--amount", "1"],
            "not found",
        ),
    ];
    for (args, needle) in cases {
        let out = env.run(args, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(
        env.cloud_ledger()["orders"].as_array().unwrap().len(),
        0,
        "nothing was sent"
    );
    env.ok(&["logout"], None);
    let out = env.run(&["pay", "--amount", "5", "--code", &code("00")], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not logged in"));
    let out = env.run(&["login", "--staff", "01"], Some("wrong"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong password"));
}

#[test]
fn partial_refunds_up_to_the_paid_amount() {
    let env = Env::start();
    let (_, o) = env.pay("10.00", &code("00"));
    let no = o["out_trade_no"].as_str().unwrap();
    let (status, r) = env.json(
        &[
            "refund", "--order", no, "--amount", "3.50", "--reason", "退货", "--json",
        ],
        None,
    );
    assert_eq!(status, 0, "{r}");
    assert_eq!(
        (
            r["state"].as_str().unwrap(),
            r["refunded_fen"].as_i64().unwrap()
        ),
        ("partially_refunded", 350)
    );
    assert_eq!(r["refund_state"], "succeeded");
    let (status, r) = env.json(
        &["refund", "--order", no, "--amount", "6.50", "--json"],
        None,
    );
    assert_eq!((status, r["state"].as_str().unwrap()), (0, "refunded"));
    let out = env.run(&["refund", "--order", no, "--amount", "0.01"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("above the remaining"));
    let ledger = env.cloud_ledger();
    assert_eq!(cloud_order(&ledger, no)["refunded_fee"], 1000);
}

#[test]
fn refund_storm_never_exceeds_the_paid_amount() {
    let env = Env::start();
    let (_, o) = env.pay("10.00", &code("00"));
    let no = o["out_trade_no"].as_str().unwrap().to_owned();
    let children: Vec<_> = (0..8)
        .map(|_| env.spawn(&["refund", "--order", &no, "--amount", "1.50", "--json"]))
        .collect();
    let mut succeeded = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            succeeded += 1;
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains("above the remaining"),
                "unexpected failure: {err}"
            );
        }
    }
    assert_eq!(succeeded, 6, "6 × 1.50 fit in 10.00, the 7th does not");
    let (_, local) = env.json(&["query", "--order", &no, "--json"], None);
    assert_eq!(local["refunded_fen"], 900);
    assert_eq!(cloud_order(&env.cloud_ledger(), &no)["refunded_fee"], 900);
}

/// A man in the middle answers `micro_pay` with a "paid" whose MAC cannot verify, for a
/// code whose real outcome is "insufficient balance". The terminal must not believe it: it
/// queries the real service and records the payment as failed.
#[test]
fn forged_responses_are_never_trusted() {
    use axum::extract::{Path, State};
    use axum::routing::post;

    let env = Env::start();
    let upstream = env.sandbox.base_url();
    let proxy =
        env.rt.block_on(async move {
            let app = axum::Router::new()
            .route(
                "/cpay/{op}",
                post(|State(up): State<String>, Path(op): Path<String>, body: String| async move {
                    let real = reqwest::Client::new()
                        .post(format!("{up}{op}"))
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap()
                        .text()
                        .await
                        .unwrap();
                    if op != "micro_pay" {
                        return real;
                    }
                    let request: Value = serde_json::from_str(&body).unwrap();
                    let content: Value =
                        serde_json::from_str(request["request_content"].as_str().unwrap()).unwrap();
                    let forged = json!({
                        "status": 0, "description": "操作成功。", "log_id": 1,
                        "micro_pay": {"order_content": {
                            "out_trade_no": content["pay_content"]["out_trade_no"],
                            "total_fee": content["pay_content"]["total_fee"],
                            "transaction_id": "FORGED",
                            "wxpay_order_content_ext": {"current_trade_state": 2}
                        }}
                    })
                    .to_string();
                    json!({"response_content": forged,
                           "authen_info": {"a": {"authen_type": 1, "authen_code": "0".repeat(64)}}})
                    .to_string()
                }),
            )
            .with_state(upstream);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            addr
        });
    // Point the terminal at the forging proxy.
    let mut creds: Value = serde_json::from_slice(&std::fs::read(&env.creds).unwrap()).unwrap();
    creds["base_url"] = json!(format!("http://{proxy}/cpay/"));
    std::fs::write(&env.creds, creds.to_string()).unwrap();
    env.ok(
        &[
            "setup",
            "merchant",
            "--credentials",
            env.creds.to_str().unwrap(),
        ],
        Some(ADMIN_PW),
    );

    let (status, o) = env.pay("5.00", &code("03"));
    assert_eq!((status, o["state"].as_str().unwrap()), (3, "failed"), "{o}");
    assert_ne!(o["transaction_id"], "FORGED");
    // And a real payment still goes through (its forged answer resolved by a real query).
    let (status, o) = env.pay("5.00", &code("00"));
    assert_eq!((status, o["state"].as_str().unwrap()), (0, "paid"), "{o}");
    assert_ne!(o["transaction_id"], "FORGED");
    let by_no: HashMap<String, Value> = env.cloud_ledger()["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["out_trade_no"].as_str().unwrap().to_owned(), o.clone()))
        .collect();
    assert_eq!(by_no[o["out_trade_no"].as_str().unwrap()]["state"], "paid");
}

/// With the cloud unreachable a payment is refused within 5 s, with one clear line, and
/// nothing is queued to be sent later (wallet codes cannot be stored and forwarded).
#[test]
fn an_unreachable_cloud_refuses_payments_at_once() {
    let env = Env::start();
    let mut creds: Value = serde_json::from_slice(&std::fs::read(&env.creds).unwrap()).unwrap();
    // Port 9 (discard) has nothing listening here: the connection is refused.
    creds["base_url"] = json!("http://127.0.0.1:9/cpay/");
    std::fs::write(&env.creds, creds.to_string()).unwrap();
    env.ok(
        &[
            "setup",
            "merchant",
            "--credentials",
            env.creds.to_str().unwrap(),
        ],
        Some(ADMIN_PW),
    );
    let started = std::time::Instant::now();
    let out = env.run(
        &["pay", "--amount", "5.00", "--code", &code("00"), "--json"],
        None,
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cloud unreachable"), "{err}");
    let (_, list) = env.json(&["orders", "--json"], None);
    assert_eq!(
        list[0]["state"], "failed",
        "the attempt is on record: {list}"
    );
    let (status, report) = env.json(&["recover", "--json"], None);
    assert_eq!(
        (status, report["orders_found"].as_i64().unwrap()),
        (0, 0),
        "nothing queued: {report}"
    );
}

/// Reads stderr of a running `cloudpos` until a line holds an approval URL; returns the
/// token (the last path segment of `…/approve/{token}`).
fn approval_token(child: &mut std::process::Child) -> String {
    use std::io::{BufRead, BufReader};
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    loop {
        let line = lines.next().expect("an approval URL on stderr").unwrap();
        if let Some(i) = line.find("/approve/") {
            let token = line[i + "/approve/".len()..].trim().to_owned();
            // Keep draining stderr so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return token;
        }
    }
}

/// A clerk's refund approved on the manager's phone (the sandbox's approval endpoint), over
/// real HTTP; and a QR login.
#[test]
fn qr_approval_of_a_refund_and_qr_login() {
    let env = Env::start();
    env.ok(
        &[
            "clerk",
            "add",
            "--id",
            "02",
            "--name",
            "李收银",
            "--role",
            "clerk",
            "--cloud-staff-id",
            "02",
        ],
        Some("2222"),
    );
    // `setup merchant` linked the admin (clerk 01) to Cloud Pay staff 01, the sandbox's manager.
    env.ok(&["login", "--staff", "02"], Some("2222"));
    let (_, o) = env.pay("20.00", &code("00"));
    let no = o["out_trade_no"].as_str().unwrap().to_owned();

    let mut child = env
        .command(&[
            "refund", "--order", &no, "--amount", "5.00", "--qr", "--json",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let token = approval_token(&mut child);
    // A clerk's approval does not count for a refund (the sandbox refuses it, 403)…
    let url = format!("{}approvals/{token}/approve", env.sandbox.control_url());
    let status = env.rt.block_on(async {
        env.http
            .post(&url)
            .json(&json!({"staff_id": "02"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status.as_u16(), 403);
    // …the manager's does.
    env.control(
        &format!("approvals/{token}/approve"),
        &json!({"staff_id": "01"}),
    );
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (r["refund_state"].as_str(), r["authorized_by"].as_str()),
        (Some("succeeded"), Some("01"))
    );
    // The same approval cannot be used twice.
    let again = env.run(
        &[
            "refund",
            "--order",
            &no,
            "--amount",
            "5.00",
            "--approval",
            &token,
        ],
        None,
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("used"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // QR login: the phone of staff 02 approves, clerk 02 is logged in.
    env.ok(&["logout"], None);
    let mut child = env
        .command(&["login", "--qr"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let token = approval_token(&mut child);
    env.control(
        &format!("approvals/{token}/approve"),
        &json!({"staff_id": "02"}),
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("logged in as 02"));
}

/// A cloud that stops answering mid-payment (queries and reverses hang) does not hold the
/// cashier past the payment timeout plus the reverse budget: `pay` returns "pending" in
/// time, and recovery finishes the order once the cloud answers again.
#[test]
fn a_hanging_cloud_does_not_hold_the_cashier() {
    let env = Env::start(); // timeout 1.2 s, reverse budget 1.5 s, request timeout 10 s
    env.control(
        "faults",
        &json!({"endpoints": ["query_order", "reverse"], "hang_rate": 1.0}),
    );
    let started = std::time::Instant::now();
    let (status, v) = env.pay("3.21", &code("01"));
    let took = started.elapsed();
    assert_eq!(status, 4, "left for recovery: {v}");
    assert!(
        took < std::time::Duration::from_secs(4),
        "the cashier waited {took:?}"
    );
    assert_eq!(v["payment_state"], "reversing", "{v}");
    let url = format!("{}faults", env.sandbox.control_url());
    env.rt
        .block_on(async { env.http.delete(url).send().await.unwrap() });
    let (status, report) = env.json(&["recover", "--json"], None);
    assert_eq!(status, 0, "{report}");
    let (_, list) = env.json(&["orders", "--json"], None);
    assert_eq!(list[0]["payment_state"], "reversed", "{list}");
}

/// `config network`: with a proxy set, every request goes through it with the user and the
/// sealed password (never written in plain text); nonsense is refused; `--reset` goes back to
/// a direct connection. (The proxy here is a byte pipe to the sandbox that records what the
/// terminal sent; the cloud is addressed as 127.0.0.2, which only the proxy can reach, since
/// the loopback address itself is never proxied.)
#[test]
fn network_settings_route_payments_through_the_proxy() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};

    let env = Env::start();
    let mut creds: Value = serde_json::from_slice(&std::fs::read(&env.creds).unwrap()).unwrap();
    let base = creds["base_url"].as_str().unwrap().to_owned();
    let port: u16 = base
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    creds["base_url"] = json!(base.replace("127.0.0.1", "127.0.0.2"));
    std::fs::write(&env.creds, creds.to_string()).unwrap();
    env.ok(
        &[
            "setup",
            "merchant",
            "--credentials",
            env.creds.to_str().unwrap(),
        ],
        Some(ADMIN_PW),
    );

    let seen = Arc::new(Mutex::new(Vec::<u8>::new()));
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for client in proxy.incoming().flatten() {
            let record = Arc::clone(&record);
            std::thread::spawn(move || {
                let upstream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                let (mut from_client, mut to_upstream) =
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let (mut from_upstream, mut to_client) = (upstream, client);
                std::thread::spawn(move || std::io::copy(&mut from_upstream, &mut to_client));
                let mut buf = [0u8; 8192];
                while let Ok(n) = from_client.read(&mut buf) {
                    if n == 0 || to_upstream.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    record.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
    });

    let (status, shown) = env.json(
        &[
            "config",
            "network",
            "--proxy",
            &proxy_url,
            "--proxy-user",
            "bob",
            "--proxy-password-stdin",
            "--connect-timeout-ms",
            "2000",
            "--json",
        ],
        Some("proxy-s3cret-pw\n"),
    );
    assert_eq!(status, 0, "{shown}");
    assert_eq!(shown["proxy"], proxy_url.as_str());
    assert_eq!(shown["proxy_user"], "bob");
    assert_eq!(shown["proxy_password_set"], true);
    assert_eq!(shown["connect_timeout_ms"], 2000);
    for entry in walk(env.home()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(15).any(|w| w == b"proxy-s3cret-pw"),
            "the proxy password is in plain text in {}",
            entry.display()
        );
    }

    let (status, paid) = env.pay("1.00", &code("00"));
    assert_eq!(
        (status, paid["state"].as_str()),
        (0, Some("paid")),
        "{paid}"
    );
    let sent = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert!(
        sent.contains("micro_pay"),
        "the payment went through the proxy: {sent}"
    );
    assert!(
        sent.to_ascii_lowercase()
            .contains("proxy-authorization: basic ym9ionbyb3h5lxmzy3jldc1wdw=="),
        "with the proxy user and password: {sent}"
    );

    let bad = env.run(&["config", "network", "--proxy", "not a url"], None);
    assert_ne!(bad.status.code(), Some(0), "a malformed proxy is refused");

    let (status, shown) = env.json(&["config", "network", "--reset", "--json"], None);
    assert_eq!(status, 0, "{shown}");
    assert!(shown["proxy"].is_null(), "{shown}");
    assert_eq!(shown["proxy_password_set"], false);
    let started = std::time::Instant::now();
    let out = env.run(
        &["pay", "--amount", "1.00", "--code", &code("00"), "--json"],
        None,
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        out.status.code(),
        Some(1),
        "without the proxy 127.0.0.2 is out of reach"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
