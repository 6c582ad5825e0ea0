//! Domain failover (protocol notes §11.10) over real HTTP: one sandbox state served on
//! several addresses, one of which goes down.

use std::net::SocketAddr;

use cloudpay_api::CloudPayClient;
use cloudpos_domain::Wallet;
use cloudpos_domain::ports::{
    CloudListKind, CloudListQuery, PayOutcome, PaymentGateway, QueryOutcome, RefundOutcome,
    RefundRequest,
};
use cloudpos_domain::{Money, OrderNo, Timestamp};

use crate::{Env, start, wx};

/// A sandbox on two addresses and a client that knows both, first choice first.
async fn two_domains() -> (Env, SocketAddr, SocketAddr, CloudPayClient) {
    let env = start().await;
    let first = env.sandbox.addr();
    let second = env
        .sandbox
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let creds = env.sandbox.credentials();
    assert_eq!(creds.base_urls, env.sandbox.base_urls());
    let client = CloudPayClient::new(creds.client_config(), creds.secrets()).unwrap();
    assert_eq!(client.base_urls().len(), 2);
    (env, first, second, client)
}

fn base(addr: SocketAddr) -> String {
    format!("http://{addr}/cpay/")
}

/// Queries until the answer is known: the first try after a domain died may ride a
/// connection that was open to it (an unknown outcome, as the payment loop treats it).
async fn query_known(client: &CloudPayClient, no: &OrderNo) -> QueryOutcome {
    let mut last = QueryOutcome::Unknown {
        reason: "not asked".into(),
    };
    for _ in 0..3 {
        last = client.query_order(no, Some(Wallet::WeChat)).await;
        if !matches!(last, QueryOutcome::Unknown { .. }) {
            break;
        }
    }
    last
}

#[tokio::test]
async fn a_payment_succeeds_with_the_first_domain_dead() {
    let (env, first, second, client) = two_domains().await;
    assert!(env.sandbox.stop_listener(first).await);
    assert!(!env.sandbox.is_listening(first));
    let req = env.pay(&wx("00"), 1234);
    assert!(
        matches!(client.micro_pay(&req).await, PayOutcome::Paid { .. }),
        "paid through the second domain"
    );
    assert_eq!(client.current_base_url(), base(second));
    let o = env.order(&req.order_no).await;
    assert_eq!(o["state"], "paid");
    assert_eq!(o["total_fee"], 1234);
    // A clone made earlier or later shares the domain in use.
    assert_eq!(client.clone().current_base_url(), base(second));
    let domains = client.domains(false).await;
    assert_eq!(domains.in_use.as_deref(), Some(base(second).as_str()));
    assert_eq!(
        domains.domains[0].answers, None,
        "never pinged: it refused the connection"
    );
    assert_eq!(domains.domains[1].answers, Some(true));
}

#[tokio::test]
async fn the_run_continues_when_the_first_domain_dies_mid_run() {
    let (env, first, second, client) = two_domains().await;
    let earlier_clone = client.clone();
    let req = env.pay(&wx("00"), 1000);
    assert!(matches!(
        client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
    assert_eq!(client.current_base_url(), base(first));
    assert!(env.sandbox.stop_listener(first).await);
    // The order is followed on the other domain: the same number, never a new charge.
    assert!(matches!(
        query_known(&client, &req.order_no).await,
        QueryOutcome::Paid { .. }
    ));
    assert_eq!(client.current_base_url(), base(second));
    assert_eq!(earlier_clone.current_base_url(), base(second));
    let refund_no = env.refund_no();
    let refund = RefundRequest {
        order_no: req.order_no.clone(),
        wallet: Wallet::WeChat,
        refund_no: refund_no.clone(),
        order_amount: Money::from_fen(1000),
        amount: Money::from_fen(300),
        reason: "退货".into(),
        staff_id: None,
    };
    assert!(matches!(
        earlier_clone.refund(&refund).await,
        RefundOutcome::Processing { .. }
    ));
    assert!(matches!(
        client
            .query_refund(&req.order_no, Wallet::WeChat, &refund_no)
            .await,
        RefundOutcome::Succeeded { .. }
    ));
    let page = client
        .list(&CloudListQuery {
            from: Timestamp::from_unix_seconds(0),
            to: Timestamp::from_unix_seconds(4_000_000_000),
            kind: CloudListKind::Both,
            page: 1,
            page_size: 50,
            shop_wide: false,
        })
        .await
        .unwrap();
    assert_eq!(page.orders.len(), 1);
    assert_eq!(page.orders[0].refunded, Money::from_fen(300));
    let ledger = env.ledger().await;
    assert_eq!(ledger["orders"].as_array().unwrap().len(), 1);
}

/// A payment whose answer was lost may have been charged: the client does not send it to
/// another domain, and the follow-up query (on whichever domain is up) finds the charge.
#[tokio::test]
async fn a_request_that_may_have_arrived_is_never_resent_elsewhere() {
    let (env, first, second, client) = two_domains().await;
    // `…06`: paid, then the connection closes without an answer.
    let req = env.pay(&wx("06"), 500);
    assert!(matches!(
        client.micro_pay(&req).await,
        PayOutcome::Unknown { .. }
    ));
    assert_eq!(
        client.current_base_url(),
        base(first),
        "no switch: the request may have arrived"
    );
    assert_eq!(env.ledger().await["orders"].as_array().unwrap().len(), 1);
    assert!(env.sandbox.stop_listener(first).await);
    assert!(matches!(
        query_known(&client, &req.order_no).await,
        QueryOutcome::Paid { .. }
    ));
    assert_eq!(client.current_base_url(), base(second));
    let ledger = env.ledger().await;
    assert_eq!(ledger["orders"].as_array().unwrap().len(), 1, "one charge");
}

#[tokio::test]
async fn probing_picks_the_first_domain_that_answers_and_all_dead_is_not_sent() {
    let (env, first, second, _) = two_domains().await;
    let third = env
        .sandbox
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let creds = env.sandbox.credentials();
    assert_eq!(creds.base_urls.len(), 3);
    assert!(env.sandbox.stop_listener(first).await);
    let client = CloudPayClient::new(creds.client_config(), creds.secrets()).unwrap();
    let probed = client.probe().await;
    assert_eq!(probed.in_use.as_deref(), Some(base(second).as_str()));
    let answers: Vec<Option<bool>> = probed.domains.iter().map(|d| d.answers).collect();
    assert_eq!(answers, [Some(false), Some(true), Some(true)]);
    assert!(probed.domains[0].error.is_some());
    // Every domain down: the payment is refused as never sent (nobody was charged).
    assert!(env.sandbox.stop_listener(second).await);
    assert!(env.sandbox.stop_listener(third).await);
    match client.micro_pay(&env.pay(&wx("00"), 100)).await {
        PayOutcome::NotSent { reason } => {
            assert!(
                reason.contains("no other Cloud Pay domain answers"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
}
