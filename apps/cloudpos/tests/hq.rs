//! The till side of the head office end to end: a real `cloudpos-hq` on PostgreSQL (the
//! server in `CLOUDPOS_TEST_DATABASE_URL`, or a throwaway cluster), a till on the sandbox
//! enrolled with `config hq`, a payment, `hq sync --once`, and the head office's API.
#![allow(missing_docs)]

mod common;

use std::time::Duration;

use cloudpos_hq::testing::TestPostgres;
use cloudpos_hq::{ServerConfig, auth, db, server};
use common::{Env, code};
use serde_json::Value;

/// A fresh head office on PostgreSQL (`dev_open`: the owner's API without a login) and an
/// enrolment token for till `till-1` of 南山店.
fn start_hq(
    env: &Env,
    dev_open: bool,
) -> (cloudpos_hq::Running, cloudpos_hq::sqlx::PgPool, String) {
    env.rt.block_on(async {
        let url = TestPostgres::shared().fresh_database().await;
        let pool = db::connect(&url, 4).await.unwrap();
        db::migrate(&pool).await.unwrap();
        let running = server::start(
            pool.clone(),
            ServerConfig {
                dev_open,
                ..ServerConfig::loopback()
            },
        )
        .await
        .unwrap();
        let token = auth::create_enrolment(&pool, "南山店", "till-1", Duration::from_secs(60))
            .await
            .unwrap();
        (running, pool, token.to_string())
    })
}

#[test]
fn a_payment_reaches_the_head_office_with_hq_sync_once() {
    let env = Env::start();
    let (hq, _pool, token) = start_hq(&env, true);
    let url = hq.url();

    // Unconfigured: status says so, sync names the fix.
    let (rc, s) = env.json(&["hq", "status", "--json"], None);
    assert_eq!(rc, 0);
    assert_eq!(s["configured"], false);
    let out = env.run(&["hq", "sync", "--once"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("config hq"));

    env.ok(
        &[
            "config",
            "hq",
            "--url",
            &url,
            "--enrol-token",
            token.as_str(),
        ],
        None,
    );
    let (rc, paid) = env.pay("12.34", &code("00"));
    assert_eq!(rc, 0, "{paid}");
    let no = paid["out_trade_no"].as_str().unwrap().to_owned();

    let (_, before) = env.json(&["hq", "status", "--json"], None);
    assert!(before["pending"].as_u64().unwrap() > 0, "{before}");
    assert!(before["last_sync"].is_null());

    env.ok(&["hq", "sync", "--once"], None);
    let (_, after) = env.json(&["hq", "status", "--json"], None);
    assert_eq!(after["pending"], 0, "{after}");
    assert_eq!(after["lag_ms"], 0);
    assert!(after["last_sync"].is_string(), "{after}");

    let get = |path: &str| -> Value {
        env.rt.block_on(async {
            let r = env.http.get(format!("{url}{path}")).send().await.unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            r.json().await.unwrap()
        })
    };
    let orders = get("/api/v1/orders");
    let found: Vec<&Value> = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["out_trade_no"] == no.as_str())
        .collect();
    assert_eq!(found.len(), 1, "{orders}");
    let summary = get("/api/v1/summary?group=store");
    assert_eq!(summary["total"]["paid_fen"], 1234, "{summary}");
    assert_eq!(summary["total"]["paid_count"], 1, "{summary}");

    // Again: nothing new, nothing doubled.
    env.ok(&["hq", "sync", "--once"], None);
    let summary = get("/api/v1/summary?group=store");
    assert_eq!(summary["total"]["paid_count"], 1, "{summary}");

    // The head office gone: a clear error and a non-zero exit; the till keeps its changes.
    env.rt.block_on(hq.shutdown());
    let (rc, _) = env.pay("1.00", &code("00"));
    assert_eq!(rc, 0);
    let out = env.run(&["hq", "sync", "--once"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot be reached"), "{err}");
    let (_, s) = env.json(&["hq", "status", "--json"], None);
    assert!(s["pending"].as_u64().unwrap() > 0, "{s}");
    assert!(s["last_error"].is_string(), "{s}");
}

#[test]
fn member_cards_are_chain_wide_at_the_head_office() {
    const CARD: &str = "9900000000000001";
    let env = Env::start();
    let (hq, pool, token) = start_hq(&env, false);
    env.ok(
        &[
            "config",
            "hq",
            "--url",
            &hq.url(),
            "--enrol-token",
            token.as_str(),
        ],
        None,
    );
    let hq_balance = || {
        env.rt
            .block_on(cloudpos_hq::members::card(&pool, CARD))
            .unwrap()
            .balance_fen
    };
    env.ok(
        &[
            "member",
            "add",
            "--card",
            CARD,
            "--name",
            "张三",
            "--phone",
            "13800138000",
        ],
        None,
    );
    let (rc, r) = env.json(
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
    assert_eq!(rc, 0, "{r}");
    assert_eq!(r["credited"], true, "{r}");
    assert_eq!(r["credit_pending"], false, "{r}");
    assert_eq!(r["balance_fen"], 10_000, "{r}");
    assert_eq!(hq_balance(), 10_000, "the head office holds the balance");

    let (rc, p) = env.json(
        &[
            "member", "pay", "--card", CARD, "--amount", "25.50", "--json",
        ],
        None,
    );
    assert_eq!(rc, 0, "{p}");
    assert_eq!(p["balance_fen"], 7_450, "{p}");
    let paid_no = p["out_trade_no"].as_str().unwrap().to_owned();
    let (rc, refund) = env.json(
        &[
            "refund", "--order", &paid_no, "--amount", "5.50", "--reason", "退货", "--json",
        ],
        None,
    );
    assert_eq!(rc, 0, "{refund}");
    assert_eq!(hq_balance(), 8_000);
    let (_, found) = env.json(&["member", "find", "--card", CARD, "--json"], None);
    assert_eq!(found["balance_fen"], 8_000, "{found}");
    assert!(found.get("pending_fen").is_none(), "{found}");
    let entries = env
        .rt
        .block_on(cloudpos_hq::members::entries(&pool, CARD))
        .unwrap();
    let keys: Vec<&str> = entries.entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys.len(), 3, "recharge, payment, refund: {keys:?}");
    assert!(keys.contains(&paid_no.as_str()), "{keys:?}");

    // The head office gone: card payments are refused, nothing written; cash still works.
    env.rt.block_on(hq.shutdown());
    let out = env.run(&["member", "pay", "--card", CARD, "--amount", "1"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("总部无法连接，会员卡暂不可用"), "{err}");
    let (rc, _) = env.pay("1.00", &code("00"));
    assert_eq!(rc, 0);
}

#[test]
fn deposits_reach_the_head_office_and_only_their_consume_is_takings() {
    let env = Env::start();
    let (hq, _pool, token) = start_hq(&env, true);
    let url = hq.url();
    // A deposit taken before the head office was configured travels in the backfill.
    let freeze = |yuan: &str| -> String {
        let (rc, d) = env.json(
            &[
                "deposit",
                "freeze",
                "--amount",
                yuan,
                "--code",
                &code("00"),
                "--remark",
                "302",
                "--json",
            ],
            None,
        );
        assert_eq!(rc, 0, "{d}");
        d["out_freeze_no"].as_str().unwrap().to_owned()
    };
    let early = freeze("100.00");
    env.ok(
        &[
            "config",
            "hq",
            "--url",
            &url,
            "--enrol-token",
            token.as_str(),
        ],
        None,
    );
    let late = freeze("50.00");
    let (rc, c) = env.json(
        &[
            "deposit", "consume", "--freeze", &early, "--amount", "30.00", "--json",
        ],
        None,
    );
    assert_eq!(rc, 0, "{c}");
    let consume_no = c["out_trade_no"].as_str().unwrap().to_owned();
    env.ok(&["hq", "sync", "--once"], None);
    let (_, s) = env.json(&["hq", "status", "--json"], None);
    assert_eq!(s["pending"], 0, "{s}");

    let get = |path: &str| -> Value {
        env.rt.block_on(async {
            let r = env.http.get(format!("{url}{path}")).send().await.unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            r.json().await.unwrap()
        })
    };
    let all = get("/api/v1/deposits");
    assert_eq!(all["total"], 2, "{all}");
    let by_no = |no: &str| -> Value {
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["out_freeze_no"] == no)
            .cloned()
            .unwrap_or_else(|| panic!("{no} in {all}"))
    };
    let e = by_no(&early);
    assert_eq!(e["state"], "consumed", "{e}");
    assert_eq!(e["consumed_fen"], 3_000);
    assert_eq!(e["released_fen"], 7_000);
    assert_eq!(e["consume_no"], consume_no.as_str());
    assert_eq!(e["store"], "南山店");
    let l = by_no(&late);
    assert_eq!(l["state"], "frozen", "{l}");
    assert_eq!(l["held_fen"], 5_000);
    assert_eq!(all["held"]["held_fen"], 5_000, "{all}");
    // The same as the till's own list.
    let (_, till) = env.json(&["deposit", "list", "--state", "frozen", "--json"], None);
    let till_frozen = till.as_array().unwrap();
    assert_eq!(till_frozen.len(), 1, "{till}");
    assert_eq!(till_frozen[0]["out_freeze_no"], late.as_str());
    // Takings: the consume's 30.00 only.
    let summary = get("/api/v1/summary");
    assert_eq!(summary["total"]["paid_fen"], 3_000, "{summary}");
    assert_eq!(summary["total"]["paid_count"], 1, "{summary}");
    // Again: nothing doubled.
    env.ok(&["hq", "sync", "--once"], None);
    assert_eq!(get("/api/v1/deposits")["total"], 2);
    env.rt.block_on(hq.shutdown());
}

/// What the proxy in front of the head office does with a member-card movement.
const PASS: u8 = 0;
/// Forwarded (the head office applies it), then the answer is lost (a gateway timeout).
const LOSE_ANSWER: u8 = 1;
/// Never forwarded; a gateway timeout answers.
const DROP: u8 = 2;
/// Answered `conflict` without forwarding (a refusal for good).
const CONFLICT: u8 = 3;

/// A proxy in front of `upstream` that does to `POST /api/v1/member-movements` what `mode`
/// says and forwards everything else. Returns its base URL.
fn movement_proxy(
    env: &Env,
    upstream: String,
    mode: std::sync::Arc<std::sync::atomic::AtomicU8>,
) -> String {
    use axum::body::to_bytes;
    use axum::extract::{Request, State};
    use axum::http::StatusCode;
    use std::sync::atomic::Ordering;

    type Shared = (
        String,
        reqwest::Client,
        std::sync::Arc<std::sync::atomic::AtomicU8>,
    );
    async fn forward(State((up, http, mode)): State<Shared>, req: Request) -> (StatusCode, String) {
        let movement = req.uri().path() == "/api/v1/member-movements";
        let what = if movement {
            mode.load(Ordering::SeqCst)
        } else {
            PASS
        };
        if what == CONFLICT {
            let body = serde_json::json!({
                "v": 1, "error": "conflict",
                "message": "key already used for a different movement; nothing was moved",
            });
            return (StatusCode::CONFLICT, body.to_string());
        }
        if what == DROP {
            return (StatusCode::GATEWAY_TIMEOUT, "gateway timeout".into());
        }
        let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap();
        let path = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let mut out = http.request(method, format!("{up}{path}"));
        for (name, value) in req.headers() {
            if matches!(name.as_str(), "authorization" | "content-type" | "cookie") {
                out = out.header(name.as_str(), value.as_bytes());
            }
        }
        let body = to_bytes(req.into_body(), 1 << 20).await.unwrap();
        let answer = out.body(body.to_vec()).send().await.unwrap();
        let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
        let text = answer.text().await.unwrap();
        if what == LOSE_ANSWER {
            return (StatusCode::GATEWAY_TIMEOUT, "gateway timeout".into());
        }
        (status, text)
    }
    env.rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(forward).with_state((
            upstream,
            reqwest::Client::new(),
            mode,
        ));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    })
}

#[test]
fn a_card_payment_whose_answer_is_lost_is_pending_and_completed_by_the_sync() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU8, Ordering};
    const CARD: &str = "9900000000000002";
    let env = Env::start();
    let (hq, pool, token) = start_hq(&env, false);
    let mode = Arc::new(AtomicU8::new(PASS));
    let proxy = movement_proxy(&env, hq.url(), mode.clone());
    env.ok(
        &[
            "config",
            "hq",
            "--url",
            &proxy,
            "--enrol-token",
            token.as_str(),
        ],
        None,
    );
    let hq_balance = || {
        env.rt
            .block_on(cloudpos_hq::members::card(&pool, CARD))
            .unwrap()
            .balance_fen
    };
    let hq_entries = |key: &str| {
        env.rt
            .block_on(cloudpos_hq::members::entries(&pool, CARD))
            .unwrap()
            .entries
            .iter()
            .filter(|e| e.key == key)
            .count()
    };
    env.ok(
        &[
            "member",
            "add",
            "--card",
            CARD,
            "--name",
            "李四",
            "--phone",
            "13900139000",
        ],
        None,
    );
    let (rc, r) = env.json(
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
    assert_eq!(rc, 0, "{r}");
    assert_eq!(hq_balance(), 10_000);

    // The debit is applied at the head office, every answer lost: pending, exit 4 (the
    // wallet's "still open" status), with what completes it.
    mode.store(LOSE_ANSWER, Ordering::SeqCst);
    let out = env.run(
        &["member", "pay", "--card", CARD, "--amount", "10", "--json"],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stdout} / {stderr}");
    let p: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(p["state"], "unknown", "{p}");
    assert!(stderr.contains("hq sync"), "{stderr}");
    let key = p["out_trade_no"].as_str().unwrap().to_owned();
    assert_eq!(hq_balance(), 9_000);
    // The text form says the sync completes the card debit.
    let out = env.run(&["member", "pay", "--card", CARD, "--amount", "1"], None);
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("pending") && text.contains("completed by the head-office sync"),
        "{text}"
    );
    assert_eq!(hq_balance(), 8_900);
    let (_, orders) = env.json(&["orders", "--json"], None);
    assert!(
        !orders.to_string().contains(&key),
        "no paid order before the answer: {orders}"
    );

    // The sync replays both under their keys: recorded paid, debited once.
    mode.store(PASS, Ordering::SeqCst);
    env.ok(&["hq", "sync", "--once"], None);
    env.ok(&["hq", "sync", "--once"], None);
    assert_eq!(hq_balance(), 8_900, "nothing debited twice");
    assert_eq!(hq_entries(&key), 1);
    let (_, orders) = env.json(&["orders", "--json"], None);
    let paid: Vec<&Value> = orders
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["out_trade_no"] == key.as_str())
        .collect();
    assert_eq!(paid.len(), 1, "{orders}");
    assert_eq!(paid[0]["state"], "paid");
    let (_, s) = env.json(&["hq", "status", "--json"], None);
    assert_eq!(s["card_refused"], 0, "{s}");

    // A payment never delivered, then refused for good by the head office: it ends failed,
    // is not sent again, and `hq status` counts it and says what to do.
    mode.store(DROP, Ordering::SeqCst);
    let (rc, p) = env.json(
        &["member", "pay", "--card", CARD, "--amount", "20", "--json"],
        None,
    );
    assert_eq!(rc, 4, "{p}");
    let refused = p["out_trade_no"].as_str().unwrap().to_owned();
    mode.store(CONFLICT, Ordering::SeqCst);
    env.ok(&["hq", "sync", "--once"], None);
    mode.store(PASS, Ordering::SeqCst);
    env.ok(&["hq", "sync", "--once"], None);
    assert_eq!(hq_entries(&refused), 0, "never applied, never sent again");
    assert_eq!(hq_balance(), 8_900);
    let (_, s) = env.json(&["hq", "status", "--json"], None);
    assert_eq!(s["card_refused"], 1, "{s}");
    assert_eq!(s["card_refused_credits"], 0, "{s}");
    for field in ["pending", "last_sync", "lag_ms"] {
        assert!(s.get(field).is_some(), "{field}: {s}");
    }
    let text = env.ok(&["hq", "status"], None);
    assert!(
        text.contains("refused for good")
            && text.contains(&refused)
            && text.contains("take the payment again"),
        "{text}"
    );
    let (_, orders) = env.json(&["orders", "--json"], None);
    let failed: Vec<&Value> = orders
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["out_trade_no"] == refused.as_str())
        .collect();
    assert_eq!(failed.len(), 1, "{orders}");
    assert_eq!(failed[0]["state"], "failed");
    let audit = env.ok(&["audit", "list", "--limit", "50"], None);
    assert!(audit.contains("member_movement_refused"), "{audit}");
}
