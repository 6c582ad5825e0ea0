//! `client_order_detail`: paging, window, scope, order type, refunded amounts.

use cloudpay_api::wire::{self, endpoint};
use cloudpay_api::{Reply, new_nonce};
use cloudpos_domain::Timestamp;
use cloudpos_domain::ports::{
    CloudListKind, CloudListQuery, CloudOrderState, PayOutcome, PaymentGateway, RefundOutcome,
    RefundRequest,
};
use cloudpos_domain::{Money, RefundState, Wallet};

use crate::{Env, ali, start, wx};

pub(crate) fn everything(page: u32, page_size: u32) -> CloudListQuery {
    CloudListQuery {
        from: Timestamp::from_unix_seconds(0),
        to: Timestamp::from_unix_seconds(4_000_000_000),
        kind: CloudListKind::Both,
        page,
        page_size,
        shop_wide: false,
    }
}

async fn raw_list(env: &Env, edit: impl FnOnce(&mut wire::ClientOrderDetailRequest)) -> (i64, u64) {
    let mut req = env.client.order_detail_request(
        Timestamp::from_unix_seconds(0),
        Timestamp::from_unix_seconds(4_000_000_000),
        3,
        1,
        100,
        new_nonce(),
    );
    edit(&mut req);
    match env
        .client
        .call::<_, wire::OrderDetailQuery>(endpoint::CLIENT_ORDER_DETAIL, &req, false)
        .await
    {
        Reply::Success { header, body } => (header.status, body.total_count),
        Reply::Status { header, .. } => (header.status, 0),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn listing_pages_scopes_and_refunded_amounts() {
    let env = start().await;
    let mut nos = Vec::new();
    for (i, code) in [wx("00"), wx("00"), ali("00"), wx("04"), wx("03")]
        .iter()
        .enumerate()
    {
        let mut req = env.pay(code, 100 * (i as i64 + 1));
        if i == 1 {
            req.staff_id = Some("02".into());
        }
        let _ = env.client.micro_pay(&req).await;
        nos.push(req.order_no);
    }
    let refund_no = env.refund_no();
    let refund = RefundRequest {
        order_no: nos[0].clone(),
        wallet: Wallet::WeChat,
        refund_no: refund_no.clone(),
        order_amount: Money::from_fen(100),
        amount: Money::from_fen(30),
        reason: String::new(),
        staff_id: None,
    };
    assert!(matches!(
        env.client.refund(&refund).await,
        RefundOutcome::Processing { .. }
    ));
    // Another device of the shop, and a device of the second shop.
    let pos2 = env.client_for(&env.creds.out_shop_id, &env.creds.devices[1]);
    let other = env.pay(&wx("00"), 999);
    assert!(matches!(
        pos2.micro_pay(&other).await,
        PayOutcome::Paid { .. }
    ));
    let shop2 = env.client_for("sz01SBXshop000000002", "POS-03");
    assert!(matches!(
        shop2.micro_pay(&env.pay(&wx("00"), 1)).await,
        PayOutcome::Paid { .. }
    ));

    // This device, both kinds, two per page.
    let mut orders = Vec::new();
    let mut refunds = Vec::new();
    for page in 1..=4 {
        let p = env.client.list(&everything(page, 2)).await.unwrap();
        assert_eq!(p.total, 6, "5 orders + 1 refund of POS-01");
        assert!(p.orders.len() + p.refunds.len() <= 2);
        orders.extend(p.orders);
        refunds.extend(p.refunds);
    }
    assert_eq!(orders.len(), 5);
    assert_eq!(refunds.len(), 1);
    let first = orders.iter().find(|o| o.no == nos[0].as_str()).unwrap();
    assert_eq!(first.amount, Money::from_fen(100));
    assert_eq!(first.state, CloudOrderState::Paid);
    assert_eq!(first.wallet, Some(Wallet::WeChat));
    assert_eq!(first.store_id, env.creds.out_shop_id);
    assert_eq!(first.device_id, env.creds.device_id);
    assert_eq!(
        first.refunded,
        Money::ZERO,
        "the refund is still processing"
    );
    let alipay = orders.iter().find(|o| o.no == nos[2].as_str()).unwrap();
    assert_eq!(alipay.wallet, Some(Wallet::Alipay));
    assert_eq!(
        orders
            .iter()
            .find(|o| o.no == nos[3].as_str())
            .unwrap()
            .state,
        CloudOrderState::Pending
    );
    assert_eq!(
        orders
            .iter()
            .find(|o| o.no == nos[4].as_str())
            .unwrap()
            .state,
        CloudOrderState::Failed
    );
    assert_eq!(refunds[0].no, refund_no.as_str());
    assert_eq!(refunds[0].order_no, nos[0].as_str());
    assert_eq!(refunds[0].amount, Money::from_fen(30));
    assert_eq!(refunds[0].state, RefundState::Processing);

    // After the refund settles, refunded_fee shows it.
    let _ = env
        .client
        .query_refund(&nos[0], Wallet::WeChat, &refund_no)
        .await;
    let p = env.client.list(&everything(1, 100)).await.unwrap();
    let first = p.orders.iter().find(|o| o.no == nos[0].as_str()).unwrap();
    assert_eq!(first.refunded, Money::from_fen(30));
    assert_eq!(p.refunds[0].state, RefundState::Succeeded);

    // Kinds.
    let mut q = everything(1, 100);
    q.kind = CloudListKind::Orders;
    assert_eq!(env.client.list(&q).await.unwrap().total, 5);
    q.kind = CloudListKind::Refunds;
    let r = env.client.list(&q).await.unwrap();
    assert_eq!((r.total, r.orders.len(), r.refunds.len()), (1, 0, 1));
    // Window.
    let mut q = everything(1, 100);
    q.to = Timestamp::from_unix_seconds(1_000);
    assert_eq!(env.client.list(&q).await.unwrap().total, 0);
    // Page past the end.
    let p = env.client.list(&everything(9, 2)).await.unwrap();
    assert_eq!((p.total, p.orders.len()), (6, 0));

    // Scopes, raw: the whole sub-merchant, a shop, a clerk, another device.
    assert_eq!(
        raw_list(&env, |r| {
            r.out_shop_id = None;
            r.device_id = None;
        })
        .await,
        (0, 8)
    );
    assert_eq!(raw_list(&env, |r| r.device_id = None).await, (0, 7));
    assert_eq!(
        raw_list(&env, |r| {
            r.device_id = None;
            r.staff_id = Some("02".into());
        })
        .await,
        (0, 1)
    );
    assert_eq!(
        raw_list(&env, |r| r.device_id = Some("POS-02".into())).await,
        (0, 1)
    );
    assert_eq!(raw_list(&env, |r| r.pay_platform = Some(2)).await, (0, 1));
    assert_eq!(raw_list(&env, |r| r.query_order_type = 1).await, (0, 5));
    // Bad scope → 101.
    assert_eq!(
        raw_list(&env, |r| r.device_id = Some("POS-03".into()))
            .await
            .0,
        101
    );
    assert_eq!(raw_list(&env, |r| r.page_size = 500).await.0, 101);
}
