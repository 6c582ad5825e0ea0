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

#[test]
fn a_payment_reaches_the_head_office_with_hq_sync_once() {
    let env = Env::start();
    let (hq, pool) = env.rt.block_on(async {
        let url = TestPostgres::shared().fresh_database().await;
        let pool = db::connect(&url, 4).await.unwrap();
        db::migrate(&pool).await.unwrap();
        let running = server::start(
            pool.clone(),
            ServerConfig {
                dev_open: true,
                ..ServerConfig::loopback()
            },
        )
        .await
        .unwrap();
        (running, pool)
    });
    let token = env.rt.block_on(async {
        auth::create_enrolment(&pool, "南山店", "till-1", Duration::from_secs(60))
            .await
            .unwrap()
    });
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
    let (hq, pool) = env.rt.block_on(async {
        let url = TestPostgres::shared().fresh_database().await;
        let pool = db::connect(&url, 4).await.unwrap();
        db::migrate(&pool).await.unwrap();
        let running = server::start(pool.clone(), ServerConfig::loopback())
            .await
            .unwrap();
        (running, pool)
    });
    let token = env.rt.block_on(async {
        auth::create_enrolment(&pool, "南山店", "till-1", Duration::from_secs(60))
            .await
            .unwrap()
    });
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
    let (hq, pool) = env.rt.block_on(async {
        let url = TestPostgres::shared().fresh_database().await;
        let pool = db::connect(&url, 4).await.unwrap();
        db::migrate(&pool).await.unwrap();
        let running = server::start(
            pool.clone(),
            ServerConfig {
                dev_open: true,
                ..ServerConfig::loopback()
            },
        )
        .await
        .unwrap();
        (running, pool)
    });
    let token = env.rt.block_on(async {
        auth::create_enrolment(&pool, "南山店", "till-1", Duration::from_secs(60))
            .await
            .unwrap()
    });
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
