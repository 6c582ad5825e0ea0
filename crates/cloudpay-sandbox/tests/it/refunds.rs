//! Refund rules (§10.7), including a concurrent refund storm.

use std::sync::Arc;
use std::time::Duration;

use cloudpay_api::wire::{self, endpoint};
use cloudpay_api::{Reply, new_nonce};
use cloudpos_domain::ports::{PayOutcome, PaymentGateway, RefundOutcome, RefundRequest};
use cloudpos_domain::{Money, OrderNo, RefundNo, Wallet};

use crate::{Env, start, start_with, test_timings, wx};

fn refund(no: &OrderNo, refund_no: &RefundNo, total: i64, amount: i64) -> RefundRequest {
    RefundRequest {
        order_no: no.clone(),
        wallet: Wallet::WeChat,
        refund_no: refund_no.clone(),
        order_amount: Money::from_fen(total),
        amount: Money::from_fen(amount),
        reason: "部分退款".into(),
        staff_id: Some("01".into()),
    }
}

async fn paid(env: &Env, fen: i64) -> OrderNo {
    let req = env.pay(&wx("00"), fen);
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
    req.order_no
}

#[tokio::test]
async fn partial_refunds_are_capped_idempotent_and_numbered() {
    let env = start().await;
    let no = paid(&env, 1000).await;
    let r1 = env.refund_no();
    let first = env.client.refund(&refund(&no, &r1, 1000, 300)).await;
    let RefundOutcome::Processing { refund_id } = first else {
        panic!("{first:?}");
    };
    // Same number, same amount: the same refund again.
    match env.client.refund(&refund(&no, &r1, 1000, 300)).await {
        RefundOutcome::Processing { refund_id: again } => assert_eq!(again, refund_id),
        other => panic!("{other:?}"),
    }
    // Settles at the next query.
    assert!(matches!(
        env.client.query_refund(&no, Wallet::WeChat, &r1).await,
        RefundOutcome::Succeeded { .. }
    ));
    assert!(matches!(
        env.client.refund(&refund(&no, &r1, 1000, 300)).await,
        RefundOutcome::Succeeded { .. }
    ));
    // Same number, another amount → 102.
    match env.client.refund(&refund(&no, &r1, 1000, 301)).await {
        RefundOutcome::Failed { reason } => {
            assert!(reason.contains("OUT_REFUND_NO_USED"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Over the remaining 700.
    let r2 = env.refund_no();
    match env.client.refund(&refund(&no, &r2, 1000, 701)).await {
        RefundOutcome::Failed { reason } => assert!(reason.contains("700"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // total_fee must be the order's.
    assert!(matches!(
        env.client.refund(&refund(&no, &r2, 999, 100)).await,
        RefundOutcome::Failed { .. }
    ));
    assert!(matches!(
        env.client.refund(&refund(&no, &r2, 1000, 700)).await,
        RefundOutcome::Processing { .. }
    ));
    assert!(matches!(
        env.client
            .refund(&refund(&no, &env.refund_no(), 1000, 1))
            .await,
        RefundOutcome::Failed { .. }
    ));
    let ledger = env.ledger().await;
    assert_eq!(ledger["refunds"].as_array().unwrap().len(), 2);
    let o = env.order(&no).await;
    assert_eq!(o["refund_reserved_fee"], 1000);
    // A refund number of another order is a used number.
    let other = paid(&env, 500).await;
    assert!(matches!(
        env.client.refund(&refund(&other, &r1, 500, 300)).await,
        RefundOutcome::Failed { .. }
    ));
    // The query of an unknown refund number: failed (never accepted).
    assert!(matches!(
        env.client
            .query_refund(&no, Wallet::WeChat, &env.refund_no())
            .await,
        RefundOutcome::Failed { .. }
    ));
}

#[tokio::test]
async fn only_paid_orders_are_refunded() {
    let env = start().await;
    let pending = env.pay(&wx("04"), 100);
    assert_eq!(env.client.micro_pay(&pending).await, PayOutcome::UserPaying);
    assert!(matches!(
        env.client
            .refund(&refund(&pending.order_no, &env.refund_no(), 100, 10))
            .await,
        RefundOutcome::Failed { .. }
    ));
    let unknown = env.order_no();
    assert!(matches!(
        env.client
            .refund(&refund(&unknown, &env.refund_no(), 100, 10))
            .await,
        RefundOutcome::Failed { .. }
    ));
    // A reversed order cannot be refunded; a refunded order cannot be reversed.
    let no = paid(&env, 100).await;
    assert!(matches!(
        env.client
            .refund(&refund(&no, &env.refund_no(), 100, 10))
            .await,
        RefundOutcome::Processing { .. }
    ));
    assert!(matches!(
        env.client.reverse(&no, Some(Wallet::WeChat)).await,
        cloudpos_domain::ports::ReverseOutcome::Refused { .. }
    ));
}

#[tokio::test]
async fn at_most_fifty_refunds_per_order() {
    let env = start().await;
    let no = paid(&env, 100).await;
    for _ in 0..50 {
        let outcome = env
            .client
            .refund(&refund(&no, &env.refund_no(), 100, 1))
            .await;
        assert!(
            matches!(outcome, RefundOutcome::Processing { .. }),
            "{outcome:?}"
        );
    }
    match env
        .client
        .refund(&refund(&no, &env.refund_no(), 100, 1))
        .await
    {
        RefundOutcome::Failed { reason } => assert!(reason.contains("50"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn refunds_settle_after_the_delay() {
    let mut timings = test_timings();
    timings.refund_settle_after = Duration::from_millis(1_000);
    timings.refund_settles_on_query = false;
    let env = start_with(timings).await;
    let no = paid(&env, 100).await;
    let r = env.refund_no();
    assert!(matches!(
        env.client.refund(&refund(&no, &r, 100, 40)).await,
        RefundOutcome::Processing { .. }
    ));
    assert!(matches!(
        env.client.query_refund(&no, Wallet::WeChat, &r).await,
        RefundOutcome::Processing { .. }
    ));
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(matches!(
        env.client.query_refund(&no, Wallet::WeChat, &r).await,
        RefundOutcome::Succeeded { .. }
    ));
    // All refunds of the order at once (no out_refund_no).
    let all = env
        .client
        .query_refund_wire(
            &env.client
                .query_refund_request(&no, Wallet::WeChat, None, new_nonce()),
        )
        .await;
    match all {
        Reply::Success { body, .. } => assert_eq!(body.refund_order_content.len(), 1),
        other => panic!("{other:?}"),
    }
    let o = env.order(&no).await;
    assert_eq!(o["refunded_fee"], 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_storm_never_exceeds_the_paid_amount() {
    let env = Arc::new(start().await);
    let no = paid(&env, 1000).await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let env = Arc::clone(&env);
        let no = no.clone();
        tasks.push(tokio::spawn(async move {
            // Each task sends its own partial refund of 100 with its own number, raw so
            // that nothing client-side serialises them.
            let req = env
                .client
                .refund_request(&refund(&no, &env.refund_no(), 1000, 100), new_nonce());
            env.client
                .call::<_, wire::RefundResponse>(endpoint::REFUND, &req, false)
                .await
        }));
    }
    let mut accepted = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Reply::Success { .. } => accepted += 1,
            Reply::Status { header, .. } if header.status == 104 => refused += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(accepted, 10);
    assert_eq!(refused, 30);
    let ledger = env.ledger().await;
    let sum: i64 = ledger["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["refund_fee"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 1000);
}
