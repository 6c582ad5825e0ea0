//! `POST /sandbox/qr-payment`: printed-QR-code payments (一码支付), their strict validation,
//! and how the listing shows them to the shop but not to a till's own device listing.

use cloudpos_domain::Money;
use cloudpos_domain::Wallet;
use cloudpos_domain::ports::{CloudOrderState, PayOutcome, PaymentGateway};
use serde_json::{Value, json};

use crate::listing::everything;
use crate::{Env, start, wx};

async fn qr(env: &Env, body: &Value) -> (u16, Value) {
    let r = env
        .http
        .post(
            env.sandbox
                .control_url()
                .replace("/control/", "/sandbox/qr-payment"),
        )
        .json(body)
        .send()
        .await
        .unwrap();
    let code = r.status().as_u16();
    (code, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_qr_payment_is_paid_and_listed_for_the_shop_only() {
    let env = start().await;
    // The till's own payment.
    let req = env.pay(&wx("00"), 500);
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
    let (code, body) = qr(&env, &json!({"amount_fen": 1234, "wallet": "alipay"})).await;
    assert_eq!(code, 200, "{body}");
    let order = &body["order"];
    assert_eq!(order["total_fee"], 1234);
    assert_eq!(order["state"], "paid");
    assert_eq!(order["wallet"], "alipay");
    assert_eq!(order["trade_type"], 8);
    assert_eq!(order["device_id"], "QR001");
    let no = order["out_trade_no"].as_str().unwrap().to_owned();
    assert!(no.starts_with(&env.creds.order_prefix), "{no}");
    let (code, body) = qr(
        &env,
        &json!({"amount_fen": 88, "wallet": "wechat", "qr_code": "counter-2"}),
    )
    .await;
    assert_eq!(code, 200, "{body}");

    // The device's own listing: the till's payment only.
    let own = env.client.list(&everything(1, 50)).await.unwrap();
    assert_eq!(own.orders.len(), 1);
    assert!(!own.orders[0].one_code);
    assert_eq!(own.orders[0].no, req.order_no.as_str());

    // The shop's listing: all three, the QR ones marked, paid, with their code and time.
    let mut q = everything(1, 50);
    q.shop_wide = true;
    let shop = env.client.list(&q).await.unwrap();
    assert_eq!(shop.total, 3);
    let listed = shop.orders.iter().find(|o| o.no == no).unwrap();
    assert!(listed.one_code);
    assert_eq!(listed.state, CloudOrderState::Paid);
    assert_eq!(listed.amount, Money::from_fen(1234));
    assert_eq!(listed.wallet, Some(Wallet::Alipay));
    assert_eq!(listed.device_id, "QR001");
    assert!(listed.paid_at.is_some());
    let second = shop.orders.iter().find(|o| o.device_id == "counter-2");
    assert_eq!(second.unwrap().wallet, Some(Wallet::WeChat));
    assert!(shop.orders.iter().filter(|o| o.one_code).count() == 2);
}

#[tokio::test]
async fn bad_qr_payments_are_refused_naming_the_field() {
    let env = start().await;
    for (body, field) in [
        (json!({"wallet": "wechat"}), "amount_fen"),
        (json!({"amount_fen": 100}), "wallet"),
        (json!({"amount_fen": 0, "wallet": "wechat"}), "amount_fen"),
        (json!({"amount_fen": -5, "wallet": "wechat"}), "amount_fen"),
        (json!({"amount_fen": 1.5, "wallet": "wechat"}), "amount_fen"),
        (
            json!({"amount_fen": "100", "wallet": "wechat"}),
            "amount_fen",
        ),
        (
            json!({"amount_fen": 100_000_001, "wallet": "wechat"}),
            "amount_fen",
        ),
        (
            json!({"amount_fen": 100, "wallet": "member_card"}),
            "wallet",
        ),
        (json!({"amount_fen": 100, "wallet": null}), "wallet"),
        (
            json!({"amount_fen": 100, "wallet": "wechat", "qr_code": "a b"}),
            "qr_code",
        ),
        (
            json!({"amount_fen": 100, "wallet": "wechat", "shop": "x"}),
            "shop",
        ),
        (json!([100, "wechat"]), "object"),
    ] {
        let (code, answer) = qr(&env, &body).await;
        assert_eq!(code, 400, "{body} → {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(field), "{body}: {error}");
    }
    let ledger = env.get("ledger").await;
    assert_eq!(
        ledger["orders"].as_array().unwrap().len(),
        0,
        "nothing created"
    );
}
