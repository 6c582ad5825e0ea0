//! Anti-reentry, reverse rules, and request validation.

use cloudpay_api::wire::{self, endpoint};
use cloudpay_api::{Reply, new_nonce};
use cloudpos_domain::Wallet;
use cloudpos_domain::ports::{PayOutcome, PaymentGateway, QueryOutcome, ReverseOutcome};
use serde_json::Value;

use crate::{start, wx};

#[tokio::test]
async fn same_number_same_parameters_returns_the_stored_order() {
    let env = start().await;
    let req = env.pay(&wx("00"), 700);
    let first = env.client.micro_pay(&req).await;
    let second = env.client.micro_pay(&req).await;
    assert!(matches!(first, PayOutcome::Paid { .. }));
    assert_eq!(first, second, "the same transaction id and time");
    assert_eq!(env.ledger().await["orders"].as_array().unwrap().len(), 1);
    // Another amount under the same number is blocked: never reverse that one.
    let mut other = req.clone();
    other.amount = cloudpos_domain::Money::from_fen(701);
    match env.client.micro_pay(&other).await {
        PayOutcome::DuplicateBlocked { reason } => assert!(reason.contains("407"), "{reason}"),
        x => panic!("{x:?}"),
    }
    // So is another code.
    let other = env.pay_as(&req.order_no, &wx("10"), 700);
    assert!(matches!(
        env.client.micro_pay(&other).await,
        PayOutcome::DuplicateBlocked { .. }
    ));
    let o = env.order(&req.order_no).await;
    assert_eq!(o["total_fee"], 700);
    assert_eq!(o["state"], "paid");
}

#[tokio::test]
async fn reverse_of_an_unknown_number_blocks_a_late_micro_pay() {
    let env = start().await;
    let no = env.order_no();
    assert_eq!(
        env.client.reverse(&no, Some(Wallet::WeChat)).await,
        ReverseOutcome::Reversed
    );
    assert_eq!(
        env.client.reverse(&no, Some(Wallet::WeChat)).await,
        ReverseOutcome::Reversed
    );
    let late = env.pay_as(&no, &wx("00"), 100);
    match env.client.micro_pay(&late).await {
        PayOutcome::Failed { reason } => assert!(reason.contains("ORDERREVERSED"), "{reason}"),
        x => panic!("{x:?}"),
    }
    assert_eq!(
        env.client.query_order(&no, None).await,
        QueryOutcome::Reversed
    );
    let o = env.order(&no).await;
    assert_eq!(o["tombstone"], true);
    // Tombstones are not listed as orders.
    let listing = env
        .client
        .list(&cloudpos_domain::ports::CloudListQuery {
            from: cloudpos_domain::Timestamp::from_unix_seconds(0),
            to: cloudpos_domain::Timestamp::from_unix_seconds(4_000_000_000),
            kind: cloudpos_domain::ports::CloudListKind::Both,
            page: 1,
            page_size: 50,
            shop_wide: false,
        })
        .await
        .unwrap();
    assert_eq!(listing.total, 0);
}

#[tokio::test]
async fn reverse_refunds_a_paid_order_from_the_same_device_only() {
    let env = start().await;
    let req = env.pay(&wx("00"), 990);
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
    let other_device = env.client_for(&env.creds.out_shop_id, &env.creds.devices[1]);
    match other_device
        .reverse(&req.order_no, Some(Wallet::WeChat))
        .await
    {
        ReverseOutcome::Refused { reason } => assert!(reason.contains("设备"), "{reason}"),
        x => panic!("{x:?}"),
    }
    assert_eq!(env.order(&req.order_no).await["state"], "paid");
    assert_eq!(
        env.client
            .reverse(&req.order_no, Some(Wallet::WeChat))
            .await,
        ReverseOutcome::Reversed
    );
    assert_eq!(
        env.client
            .reverse(&req.order_no, Some(Wallet::WeChat))
            .await,
        ReverseOutcome::Reversed,
        "idempotent"
    );
    assert_eq!(
        env.client.query_order(&req.order_no, None).await,
        QueryOutcome::Reversed
    );
    let o = env.order(&req.order_no).await;
    assert_eq!(o["reversed_refund_fee"], 990);
}

#[tokio::test]
async fn reverse_is_refused_after_the_window() {
    let env = start().await;
    let req = env.pay(&wx("00"), 100);
    let _ = env.client.micro_pay(&req).await;
    let (code, _) = env
        .post(
            "time",
            &serde_json::json!({"advance_seconds": 8 * 24 * 3600}),
        )
        .await;
    assert_eq!(code, 200);
    assert!(matches!(
        env.client
            .reverse(&req.order_no, Some(Wallet::WeChat))
            .await,
        ReverseOutcome::Refused { .. }
    ));
}

/// Sends a hand-made micro_pay and returns (status, internal_status).
async fn raw_micro_pay(
    env: &crate::Env,
    edit: impl FnOnce(&mut wire::MicroPayRequest),
) -> (i64, Option<i64>) {
    let mut req = env
        .client
        .micro_pay_request(&env.pay(&wx("00"), 100), new_nonce());
    edit(&mut req);
    match env
        .client
        .call::<_, Value>(endpoint::MICRO_PAY, &req, false)
        .await
    {
        Reply::Success { header, .. } | Reply::Status { header, .. } => {
            (header.status, header.internal_status)
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn requests_are_validated() {
    let env = start().await;
    assert_eq!(raw_micro_pay(&env, |_| {}).await.0, 0);
    type Edit = Box<dyn FnOnce(&mut wire::MicroPayRequest)>;
    let cases: Vec<(&str, Edit, i64)> = vec![
        (
            "wrong prefix",
            Box::new(|r| r.pay_content.out_trade_no = "XX123456".into()),
            101,
        ),
        (
            "too long",
            Box::new(|r| r.pay_content.out_trade_no = format!("sz01sbx{}", "9".repeat(26))),
            101,
        ),
        (
            "fee type",
            Box::new(|r| r.pay_content.fee_type = "USD".into()),
            101,
        ),
        (
            "zero amount",
            Box::new(|r| r.pay_content.total_fee = 0),
            101,
        ),
        (
            "negative amount",
            Box::new(|r| r.pay_content.total_fee = -5),
            101,
        ),
        (
            "unknown shop",
            Box::new(|r| r.pay_mch_key.out_shop_id = "nope".into()),
            101,
        ),
        (
            "wrong provider",
            Box::new(|r| r.pay_mch_key.out_mch_id = "nope".into()),
            101,
        ),
        (
            "device of another shop",
            Box::new(|r| r.order_client.device_id = Some("POS-03".into())),
            101,
        ),
        (
            "unknown device",
            Box::new(|r| r.order_client.device_id = Some("X".into())),
            101,
        ),
        (
            "unknown staff",
            Box::new(|r| r.order_client.staff_id = Some("99".into())),
            101,
        ),
        (
            "no machine_no",
            Box::new(|r| r.order_client.machine_no = None),
            101,
        ),
        (
            "no pay_platform",
            Box::new(|r| r.pay_mch_key.pay_platform = None),
            101,
        ),
        (
            "code does not fit the wallet",
            Box::new(|r| {
                r.pay_mch_key.pay_platform = Some(2);
                r.pay_mch_key.sub_pay_platform = Some(200);
            }),
            101,
        ),
    ];
    for (name, edit, status) in cases {
        assert_eq!(raw_micro_pay(&env, edit).await.0, status, "{name}");
    }
    // No staff at all is fine (optional).
    assert_eq!(
        raw_micro_pay(&env, |r| r.order_client.staff_id = None)
            .await
            .0,
        0
    );
    // Only the valid requests made orders.
    assert_eq!(env.ledger().await["orders"].as_array().unwrap().len(), 2);
}
