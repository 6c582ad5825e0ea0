//! Ledger inspection, discrepancy injection, the clock, persistence.

use cloudpay_sandbox::{MerchantConfig, SandboxConfig, SignKeyMode, Timings};
use cloudpos_domain::ports::{CloudOrderState, PayOutcome, PaymentGateway, QueryOutcome};
use cloudpos_domain::{Money, OrderNo};
use serde_json::json;

use crate::listing::everything;
use crate::{fixture, start, start_config, start_with, test_timings, wx};

#[tokio::test]
async fn discrepancies_can_be_injected() {
    let env = start().await;
    let mut nos = Vec::new();
    for fen in [100, 200, 300, 400] {
        let req = env.pay(&wx("00"), fen);
        assert!(matches!(
            env.client.micro_pay(&req).await,
            PayOutcome::Paid { .. }
        ));
        nos.push(req.order_no);
    }
    let mutate = |body: serde_json::Value| {
        let env = &env;
        async move { env.post("ledger/mutate", &body).await }
    };
    let (code, body) =
        mutate(json!({"op": "set_amount", "out_trade_no": nos[0].as_str(), "total_fee": 150}))
            .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["order"]["total_fee"], 150);
    let (code, _) =
        mutate(json!({"op": "set_state", "out_trade_no": nos[1].as_str(), "state": "reversed"}))
            .await;
    assert_eq!(code, 200);
    let (code, _) =
        mutate(json!({"op": "set_refunded", "out_trade_no": nos[2].as_str(), "refunded_fee": 77}))
            .await;
    assert_eq!(code, 200);
    let (code, _) = mutate(json!({"op": "delete_order", "out_trade_no": nos[3].as_str()})).await;
    assert_eq!(code, 200);
    let stranger = format!("{}X000001", env.creds.order_prefix);
    let (code, body) =
        mutate(json!({"op": "add_order", "out_trade_no": stranger, "total_fee": 555})).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["order"]["device_id"], env.creds.device_id);
    let (code, body) =
        mutate(json!({"op": "add_duplicate", "out_trade_no": nos[0].as_str(), "total_fee": 999}))
            .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["order"]["machine_no"], "OTHER-MACHINE");
    let (code, _) =
        mutate(json!({"op": "set_amount", "out_trade_no": "nope", "total_fee": 1})).await;
    assert_eq!(code, 404);
    let (code, _) =
        mutate(json!({"op": "add_order", "out_trade_no": nos[0].as_str(), "total_fee": 1})).await;
    assert_eq!(code, 409);

    let page = env.client.list(&everything(1, 100)).await.unwrap();
    let find = |no: &str| {
        page.orders
            .iter()
            .filter(|o| o.no == no)
            .collect::<Vec<_>>()
    };
    let first = find(nos[0].as_str());
    assert_eq!(
        first.len(),
        2,
        "the same number from two machines with one device id"
    );
    assert_eq!(first[0].amount, Money::from_fen(150));
    assert_eq!(first[1].amount, Money::from_fen(999));
    assert_eq!(first[0].device_id, first[1].device_id);
    assert_eq!(find(nos[1].as_str())[0].state, CloudOrderState::Reversed);
    assert_eq!(find(nos[2].as_str())[0].refunded, Money::from_fen(77));
    assert!(find(nos[3].as_str()).is_empty());
    assert_eq!(find(&stranger)[0].amount, Money::from_fen(555));
    assert_eq!(
        env.client.query_order(&nos[3], None).await,
        QueryOutcome::NotFound
    );
    assert_eq!(
        env.client.query_order(&nos[1], None).await,
        QueryOutcome::Reversed
    );
}

#[tokio::test]
async fn the_clock_can_be_advanced_past_the_auto_revoke() {
    let env = start_with(Timings {
        auto_revoke_after: std::time::Duration::from_secs(45),
        ..test_timings()
    })
    .await;
    let req = env.pay(&wx("04"), 100);
    assert_eq!(env.client.micro_pay(&req).await, PayOutcome::UserPaying);
    let before = env.get("time").await["now"].as_i64().unwrap();
    let (code, body) = env.post("time", &json!({"advance_seconds": 46})).await;
    assert_eq!(code, 200);
    assert!(body["now"].as_i64().unwrap() >= before + 46);
    assert_eq!(
        env.client.query_order(&req.order_no, None).await,
        QueryOutcome::Reversed
    );
    let t = env.client.ping().await.unwrap();
    assert!(
        t.unix_seconds() >= before + 46,
        "ping follows the sandbox clock"
    );
    let (code, _) = env.post("reset", &json!({})).await;
    assert_eq!(code, 200);
    assert!(env.ledger().await["orders"].as_array().unwrap().is_empty());
    assert_eq!(env.get("time").await["offset_ms"], 0);
}

#[tokio::test]
async fn a_restarted_sandbox_keeps_its_ledger_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox.json");
    let config = || SandboxConfig {
        timings: test_timings(),
        merchant: MerchantConfig {
            sign_private_key_pem: Some(fixture("test_sign_private_key.pem")),
            ..MerchantConfig::default()
        },
        sign_key: SignKeyMode::ConfiguredOnly,
        state_file: Some(state.clone()),
        ..SandboxConfig::default()
    };
    let env = start_config(config()).await;
    let req = env.pay(&wx("06"), 4321);
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Unknown { .. }
    ));
    let key = env.creds.authen_key.clone();
    let no: OrderNo = req.order_no.clone();
    env.sandbox.shutdown().await;

    let env = start_config(config()).await;
    assert_eq!(env.creds.authen_key, key, "same keys after a restart");
    assert!(env.creds.sign_public_key_pem.is_some());
    match env.client.query_order(&no, None).await {
        QueryOutcome::Paid { .. } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(env.order(&no).await["total_fee"], 4321);
}

#[tokio::test]
async fn credentials_are_served_and_debug_is_redacted() {
    let env = start().await;
    let served = env.get("credentials").await;
    assert_eq!(served["authen_key"], env.creds.authen_key.as_str());
    assert_eq!(served["base_url"], env.creds.base_url.as_str());
    assert!(env.creds.base_url.ends_with("/cpay/"));
    assert_eq!(env.creds.base_url, env.sandbox.base_url());
    assert_eq!(env.creds.control_url, env.sandbox.control_url());
    let text = format!("{:?}", env.creds);
    assert!(!text.contains(&env.creds.authen_key), "{text}");
    let index = env
        .http
        .get(env.creds.base_url.replace("/cpay/", "/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(index.contains("sandbox"));
}
