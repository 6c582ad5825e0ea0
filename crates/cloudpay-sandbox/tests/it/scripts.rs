//! Every scripted outcome, as the client maps it.

use std::time::{Duration, Instant};

use cloudpos_domain::Wallet;
use cloudpos_domain::ports::{PayOutcome, PaymentGateway, QueryOutcome, ReverseOutcome};

use crate::{Env, ali, card, start, start_with, test_timings, wx};

async fn query(env: &Env, no: &cloudpos_domain::OrderNo) -> QueryOutcome {
    env.client.query_order(no, Some(Wallet::WeChat)).await
}

#[tokio::test]
async fn code_00_is_paid_at_once() {
    let env = start().await;
    let code = wx("00");
    let req = env.pay(&code, 1234);
    match env.client.micro_pay(&req).await {
        PayOutcome::Paid {
            transaction_id,
            paid_at,
        } => {
            assert!(transaction_id.is_some());
            assert!(paid_at.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        query(&env, &req.order_no).await,
        QueryOutcome::Paid { .. }
    ));
    let o = env.order(&req.order_no).await;
    assert_eq!(o["state"], "paid");
    assert_eq!(o["total_fee"], 1234);
    assert_eq!(o["author_code"], code);
    assert_eq!(o["device_id"], env.creds.device_id);
    assert_eq!(o["out_shop_id"], env.creds.out_shop_id);
    // An unlisted ending is paid at once too.
    let req = env.pay(&wx("42"), 1);
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
}

#[tokio::test]
async fn every_wallet_pays() {
    let env = start().await;
    for code in [ali("00"), card("00")] {
        let req = env.pay(&code, 500);
        assert!(
            matches!(env.client.micro_pay(&req).await, PayOutcome::Paid { .. }),
            "{code}"
        );
        assert!(matches!(
            env.client.query_order(&req.order_no, None).await,
            QueryOutcome::Paid { .. }
        ));
    }
    let o = env.ledger().await;
    let platforms: Vec<i64> = o["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["pay_platform"].as_i64().unwrap())
        .collect();
    assert_eq!(
        platforms,
        vec![2, 3],
        "pay_platform chosen from the code's wallet"
    );
    // Alipay user-paying then paid.
    let req = env.pay(&ali("01"), 5);
    assert_eq!(env.client.micro_pay(&req).await, PayOutcome::UserPaying);
    assert_eq!(
        env.client
            .query_order(&req.order_no, Some(Wallet::Alipay))
            .await,
        QueryOutcome::UserPaying
    );
    assert!(matches!(
        env.client
            .query_order(&req.order_no, Some(Wallet::Alipay))
            .await,
        QueryOutcome::Paid { .. }
    ));
}

#[tokio::test]
async fn code_01_is_paid_on_the_second_query() {
    let env = start().await;
    let req = env.pay(&wx("01"), 100);
    assert_eq!(env.client.micro_pay(&req).await, PayOutcome::UserPaying);
    assert_eq!(query(&env, &req.order_no).await, QueryOutcome::UserPaying);
    assert!(matches!(
        query(&env, &req.order_no).await,
        QueryOutcome::Paid { .. }
    ));
    assert!(matches!(
        query(&env, &req.order_no).await,
        QueryOutcome::Paid { .. }
    ));
}

#[tokio::test]
async fn code_02_fails_on_the_second_query() {
    let env = start().await;
    let req = env.pay(&wx("02"), 100);
    assert_eq!(env.client.micro_pay(&req).await, PayOutcome::UserPaying);
    assert_eq!(query(&env, &req.order_no).await, QueryOutcome::UserPaying);
    assert!(matches!(
        query(&env, &req.order_no).await,
        QueryOutcome::Failed { .. }
    ));
    assert_eq!(env.order(&req.order_no).await["state"], "failed");
}

#[tokio::test]
async fn code_03_is_insufficient_balance_and_05_an_expired_code() {
    let env = start().await;
    for (script, words) in [("03", "余额不足"), ("05", "过期")] {
        let req = env.pay(&wx(script), 100);
        match env.client.micro_pay(&req).await {
            PayOutcome::Failed { reason } => assert!(reason.contains(words), "{reason}"),
            other => panic!("{script}: {other:?}"),
        }
        assert!(matches!(
            query(&env, &req.order_no).await,
            QueryOutcome::Failed { .. }
        ));
        // The same request again returns the stored (failed) order.
        assert!(matches!(
            env.client.micro_pay(&req).await,
            PayOutcome::Failed { .. }
        ));
    }
}

#[tokio::test]
async fn code_04_stays_user_paying_until_reversed() {
    let env = start().await;
    let req = env.pay(&wx("04"), 100);
    assert_eq!(env.client.micro_pay(&req).await, PayOutcome::UserPaying);
    for _ in 0..4 {
        assert_eq!(query(&env, &req.order_no).await, QueryOutcome::UserPaying);
    }
    assert_eq!(
        env.client
            .reverse(&req.order_no, Some(Wallet::WeChat))
            .await,
        ReverseOutcome::Reversed
    );
    assert_eq!(query(&env, &req.order_no).await, QueryOutcome::Reversed);
    let o = env.order(&req.order_no).await;
    assert_eq!(o["state"], "reversed");
    assert_eq!(o["paid_at"], serde_json::Value::Null);
    assert_eq!(o["reversed_refund_fee"], 0);
}

#[tokio::test]
async fn code_04_is_auto_revoked() {
    let mut timings = test_timings();
    timings.auto_revoke_after = Duration::from_millis(1_000);
    let env = start_with(timings).await;
    let req = env.pay(&wx("04"), 100);
    assert_eq!(env.client.micro_pay(&req).await, PayOutcome::UserPaying);
    assert_eq!(query(&env, &req.order_no).await, QueryOutcome::UserPaying);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(query(&env, &req.order_no).await, QueryOutcome::Reversed);
    assert_eq!(env.order(&req.order_no).await["auto_revoked"], true);
}

#[tokio::test]
async fn code_06_commits_then_drops_the_connection() {
    let env = start().await;
    let req = env.pay(&wx("06"), 250);
    let started = Instant::now();
    match env.client.micro_pay(&req).await {
        PayOutcome::Unknown { reason } => assert!(!reason.is_empty()),
        other => panic!("{other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no waiting for a timeout"
    );
    // Committed: the server has it paid, exactly once.
    let ledger = env.ledger().await;
    let orders = ledger["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "the client did not retry on its own");
    assert_eq!(orders[0]["state"], "paid");
    assert!(matches!(
        query(&env, &req.order_no).await,
        QueryOutcome::Paid { .. }
    ));
    // A retry with the same parameters gets the stored order — and drops again? No: the
    // script acts at creation only; the stored order is answered normally.
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
}

#[tokio::test]
async fn code_07_answers_status_3_but_pays() {
    let env = start().await;
    let req = env.pay(&wx("07"), 300);
    match env.client.micro_pay(&req).await {
        PayOutcome::Unknown { reason } => assert!(reason.contains("status 3"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        query(&env, &req.order_no).await,
        QueryOutcome::Paid { .. }
    ));
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
}

#[tokio::test]
async fn code_08_answers_late() {
    let env = start().await;
    let req = env.pay(&wx("08"), 300);
    let started = Instant::now();
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
    assert!(started.elapsed() >= Duration::from_millis(300));
    // A terminal that gives up sooner sees "unknown", and a query finds it paid.
    let impatient = env.client_with_timeout(100);
    let req = env.pay(&wx("08"), 300);
    assert!(matches!(
        impatient.micro_pay(&req).await,
        PayOutcome::Unknown { .. }
    ));
    assert!(matches!(
        query(&env, &req.order_no).await,
        QueryOutcome::Paid { .. }
    ));
}

#[tokio::test]
async fn code_09_the_reverse_races_the_payment_and_refunds_it() {
    let env = start().await;
    let req = env.pay(&wx("09"), 880);
    assert_eq!(env.client.micro_pay(&req).await, PayOutcome::UserPaying);
    assert_eq!(query(&env, &req.order_no).await, QueryOutcome::UserPaying);
    assert_eq!(
        env.client
            .reverse(&req.order_no, Some(Wallet::WeChat))
            .await,
        ReverseOutcome::Reversed
    );
    assert_eq!(query(&env, &req.order_no).await, QueryOutcome::Reversed);
    let o = env.order(&req.order_no).await;
    assert_eq!(o["state"], "reversed");
    assert!(o["paid_at"].is_i64(), "the customer did pay: {o}");
    assert_eq!(o["reversed_refund_fee"], 880, "and got the money back");
}

#[tokio::test]
async fn close_order_closes_an_unpaid_order() {
    let env = start().await;
    let req = env.pay(&wx("04"), 100);
    assert_eq!(env.client.micro_pay(&req).await, PayOutcome::UserPaying);
    env.client
        .close_order(&req.order_no, Some(Wallet::WeChat))
        .await
        .unwrap();
    assert!(matches!(
        query(&env, &req.order_no).await,
        QueryOutcome::Failed { .. }
    ));
    let paid = env.pay(&wx("00"), 100);
    let _ = env.client.micro_pay(&paid).await;
    assert!(env.client.close_order(&paid.order_no, None).await.is_err());
}

#[tokio::test]
async fn ping_and_unknown_orders() {
    let env = start().await;
    let t = env.client.ping().await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((t.unix_seconds() - now).abs() <= 2);
    assert_eq!(query(&env, &env.order_no()).await, QueryOutcome::NotFound);
}

#[tokio::test]
async fn a_payment_code_is_single_use() {
    let env = start().await;
    let code = wx("00");
    let first = env.pay(&code, 100);
    assert!(matches!(
        env.client.micro_pay(&first).await,
        PayOutcome::Paid { .. }
    ));
    // The same code under a new order number (a cashier re-scanning after a crash) is refused.
    let second = env.pay(&code, 100);
    match env.client.micro_pay(&second).await {
        PayOutcome::Failed { reason } => assert!(reason.contains("付款码已使用"), "{reason}"),
        other => panic!("reused code accepted: {other:?}"),
    }
}
