//! What the terminal hands the gateway is what the protocol needs: a processing refund is
//! followed with the order's own wallet (the fake gateway, like a strict Cloud Pay, does not
//! answer a `query_refund_order` that names another wallet).
#![allow(missing_docs)]

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::refund::RefundState;
use cloudpos_terminal::testing::test_terminal;
use cloudpos_terminal::{PayInput, RefundInput};

#[tokio::test]
async fn processing_refunds_are_queried_with_the_orders_wallet() {
    // (A member card's code, prefix 99, pays from the card on the till and never reaches
    // Cloud Pay: tests/members.rs.)
    for code in ["134500000000000700", "2812000000000700"] {
        let dir = tempfile::tempdir().unwrap();
        let t = test_terminal(dir.path()).await;
        t.terminal
            .login(&ClerkId::parse("01").unwrap(), "pw01")
            .await
            .unwrap();
        let order = t
            .terminal
            .pay(PayInput {
                amount: Money::from_fen(1000),
                code: code.to_owned(),
                remark: String::new(),
                body: None,
                timeout: None,
            })
            .await
            .unwrap();
        t.gateway.slow_refunds(true);
        let r = t
            .terminal
            .refund(RefundInput {
                order_no: order.no.clone(),
                amount: Money::from_fen(300),
                reason: "退货".into(),
                authorization: None,
            })
            .await
            .unwrap();
        assert_eq!(r.refund.state, RefundState::Succeeded, "{code}");
        assert_eq!(r.order.refunded.fen(), 300, "{code}");
        assert_eq!(t.gateway.count_calls("query_refund"), 1, "{code}");
    }
}
