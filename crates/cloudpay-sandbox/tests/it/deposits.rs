//! Deposits over real HTTP: every scripted freeze outcome, consume within the frozen amount,
//! release only with refund permission, the cancellation of a freeze still waiting, the
//! 30-day automatic release, anti-reentry and tombstones, the refund of a consume order and
//! the listing.

use std::time::Duration;

use cloudpay_api::{CloudPayClient, new_nonce};
use cloudpay_sandbox::{MerchantConfig, Timings};
use cloudpos_domain::code::CodeTable;
use cloudpos_domain::ports::{
    CloudFreezeState, ConsumeOutcome, ConsumeRequest, DepositGateway, DepositListKind,
    DepositListQuery, FreezeOutcome, FreezeQueryOutcome, FreezeRequest, PaymentGateway,
    QueryOutcome, RefundOutcome, RefundRequest, UnfreezeAuthority, UnfreezeOutcome,
    UnfreezeRequest,
};
use cloudpos_domain::{FreezeNo, Money, OrderNoGenerator, Timestamp, UnfreezeNo, Wallet};
use serde_json::json;

use crate::client_requests::{Built, built};
use crate::{Env, ali, start, start_with, test_timings, wx};

impl Env {
    pub(crate) fn freeze_no(&self) -> FreezeNo {
        FreezeNo::parse(self.order_no().as_str()).unwrap()
    }

    pub(crate) fn unfreeze_no(&self) -> UnfreezeNo {
        UnfreezeNo::parse(self.order_no().as_str()).unwrap()
    }

    pub(crate) fn freeze_req(&self, code: &str, fen: i64) -> FreezeRequest {
        FreezeRequest {
            no: self.freeze_no(),
            code: CodeTable::default().classify(code).unwrap(),
            amount: Money::from_fen(fen),
            body: "押金 · 沙箱".into(),
            remark: "302".into(),
            staff_id: None,
        }
    }

    pub(crate) fn consume_req(&self, freeze: &FreezeRequest, fen: i64) -> ConsumeRequest {
        ConsumeRequest {
            freeze_no: freeze.no.clone(),
            wallet: freeze.code.wallet(),
            order_no: self.order_no(),
            amount: Money::from_fen(fen),
            body: "押金消费".into(),
            remark: String::new(),
            staff_id: None,
        }
    }

    pub(crate) fn unfreeze_req(
        &self,
        freeze: &FreezeRequest,
        fen: i64,
        authority: UnfreezeAuthority,
    ) -> UnfreezeRequest {
        UnfreezeRequest {
            freeze_no: freeze.no.clone(),
            wallet: freeze.code.wallet(),
            unfreeze_no: self.unfreeze_no(),
            amount: Money::from_fen(fen),
            remark: String::new(),
            authority,
        }
    }

    /// A frozen deposit of `fen`.
    pub(crate) async fn frozen(&self, code: &str, fen: i64) -> FreezeRequest {
        let req = self.freeze_req(code, fen);
        assert!(matches!(
            self.client.micro_freeze(&req).await,
            FreezeOutcome::Frozen { .. }
        ));
        req
    }

    async fn query(&self, req: &FreezeRequest) -> cloudpos_domain::ports::CloudFreeze {
        match self.client.query_freeze(&req.no, req.code.wallet()).await {
            FreezeQueryOutcome::Found(f) => *f,
            other => panic!("{other:?}"),
        }
    }
}

/// Every deposit request `client` can build (for `client_requests.rs`).
pub(crate) fn every_deposit_request(client: &CloudPayClient, m: &MerchantConfig) -> Vec<Built> {
    use cloudpay_api::deposit::wire::{endpoint, order_type};
    let codes = CodeTable::default();
    let mut numbers =
        OrderNoGenerator::new(&m.order_prefix, &client.config().device_id, 8 * 3600).unwrap();
    let now = Timestamp::from_unix_seconds(1_717_200_000);
    let mut out = Vec::new();
    for (wallet, code) in [
        (Wallet::WeChat, "134520273825387649"),
        (Wallet::Alipay, "281234567890123400"),
    ] {
        for remark in ["", "房间 302", &"备注".repeat(100)] {
            for (fen, staff) in [(1, None), (5_000_000, Some("02"))] {
                let freeze = FreezeRequest {
                    no: numbers.next_freeze_no(now),
                    code: codes.classify(code).unwrap(),
                    amount: Money::from_fen(fen),
                    body: "押金".repeat(30),
                    remark: remark.to_owned(),
                    staff_id: staff.map(str::to_owned),
                };
                out.push(built(
                    endpoint::MICRO_FREEZE,
                    &client.micro_freeze_request(&freeze, new_nonce()),
                    false,
                    format!("micro_freeze {wallet} {fen} remark={}", remark.len()),
                ));
                out.push(built(
                    endpoint::QUERY_FREEZE_ORDER,
                    &client.query_freeze_request(&freeze.no, wallet, new_nonce()),
                    false,
                    format!("query_freeze_order {wallet}"),
                ));
                let consume = ConsumeRequest {
                    freeze_no: freeze.no.clone(),
                    wallet,
                    order_no: numbers.next_order_no(now),
                    amount: Money::from_fen(fen),
                    body: "押金消费".into(),
                    remark: remark.to_owned(),
                    staff_id: staff.map(str::to_owned),
                };
                out.push(built(
                    endpoint::DEPOSIT_CONSUME,
                    &client.deposit_consume_request(&consume, new_nonce()),
                    false,
                    format!("deposit_consume {wallet}"),
                ));
                for authority in [
                    UnfreezeAuthority::Admin,
                    UnfreezeAuthority::Staff(Some("01".into())),
                    UnfreezeAuthority::Staff(None),
                ] {
                    let release = UnfreezeRequest {
                        freeze_no: freeze.no.clone(),
                        wallet,
                        unfreeze_no: numbers.next_unfreeze_no(now),
                        amount: Money::from_fen(fen),
                        remark: remark.to_owned(),
                        authority: authority.clone(),
                    };
                    let req = client.unfreeze_request(&release, new_nonce());
                    if req.pay_mch_key.authorization_staff_id.is_none()
                        && req.pay_mch_key.is_sub_admin == Some(false)
                    {
                        // No staff id configured on this terminal and none given: the
                        // terminal never sends this (it answers as the admin instead).
                        continue;
                    }
                    out.push(built(
                        endpoint::UNFREEZE,
                        &req,
                        false,
                        format!("unfreeze {wallet} {authority:?}"),
                    ));
                    out.push(built(
                        endpoint::QUERY_UNFREEZE_ORDER,
                        &client.query_unfreeze_request(
                            &freeze.no,
                            wallet,
                            Some(&release.unfreeze_no),
                            new_nonce(),
                        ),
                        false,
                        format!("query_unfreeze_order {wallet}"),
                    ));
                }
                let refund = RefundRequest {
                    order_no: consume.order_no.clone(),
                    wallet,
                    refund_no: numbers.next_refund_no(now),
                    order_amount: Money::from_fen(fen),
                    amount: Money::from_fen(1),
                    reason: "退押金消费".into(),
                    staff_id: None,
                };
                for sign in [false, true] {
                    out.push(built(
                        cloudpay_api::wire::endpoint::REFUND,
                        &client.deposit_refund_request(&refund, &freeze.no, new_nonce()),
                        sign,
                        format!("refund with out_freeze_no {wallet} signed={sign}"),
                    ));
                }
            }
        }
    }
    for kind in [order_type::FREEZE, order_type::UNFREEZE] {
        for (page, size) in [(1, 1), (3, 100)] {
            out.push(built(
                endpoint::QUERY_ORDER_LIST,
                &client.order_list_request(
                    Timestamp::from_unix_seconds(1_717_113_600),
                    Timestamp::from_unix_seconds(1_717_200_000),
                    kind,
                    page,
                    size,
                    new_nonce(),
                ),
                false,
                format!("query_order_list {kind} {page}/{size}"),
            ));
        }
    }
    out
}

// ───────────────────────────── scripted outcomes ─────────────────────────────

#[tokio::test]
async fn every_scripted_freeze_outcome() {
    let env = start().await;
    let c = &env.client;
    // 00: frozen at once (WeChat and Alipay).
    for code in [wx("00"), ali("00")] {
        let req = env.freeze_req(&code, 1_000);
        assert!(matches!(
            c.micro_freeze(&req).await,
            FreezeOutcome::Frozen {
                freeze_id: Some(_),
                frozen_at: Some(_)
            }
        ));
        let f = env.query(&req).await;
        assert_eq!(f.state, CloudFreezeState::Frozen);
        assert_eq!(f.held(), Money::from_fen(1_000));
    }
    // 01: user paying, frozen on the 2nd query.
    let req = env.freeze_req(&wx("01"), 500);
    assert_eq!(c.micro_freeze(&req).await, FreezeOutcome::UserPaying);
    assert_eq!(env.query(&req).await.state, CloudFreezeState::Pending);
    assert_eq!(env.query(&req).await.state, CloudFreezeState::Frozen);
    // 02: user paying, failed on the 2nd query.
    let req = env.freeze_req(&ali("02"), 500);
    assert_eq!(c.micro_freeze(&req).await, FreezeOutcome::UserPaying);
    assert_eq!(env.query(&req).await.state, CloudFreezeState::Pending);
    assert_eq!(env.query(&req).await.state, CloudFreezeState::Failed);
    // 03 and 05: 104, nothing frozen.
    for (script, words) in [("03", "NOTENOUGH"), ("05", "AUTHCODEEXPIRE")] {
        let req = env.freeze_req(&wx(script), 500);
        match c.micro_freeze(&req).await {
            FreezeOutcome::Failed { reason } => assert!(reason.contains(words), "{reason}"),
            other => panic!("{script}: {other:?}"),
        }
        assert_eq!(env.query(&req).await.state, CloudFreezeState::Failed);
    }
    // 04: user paying until the terminal releases the whole amount.
    let req = env.freeze_req(&wx("04"), 800);
    assert_eq!(c.micro_freeze(&req).await, FreezeOutcome::UserPaying);
    for _ in 0..3 {
        assert_eq!(env.query(&req).await.state, CloudFreezeState::Pending);
    }
    let cancel = env.unfreeze_req(&req, 800, UnfreezeAuthority::Staff(None));
    assert!(matches!(
        c.unfreeze(&cancel).await,
        UnfreezeOutcome::Unfrozen { .. }
    ));
    let f = env.query(&req).await;
    assert_eq!(f.state, CloudFreezeState::Finished);
    assert_eq!(f.released, Money::from_fen(800));
    // 06: frozen, but the connection closes before the answer; the query finds it.
    let req = env.freeze_req(&wx("06"), 600);
    assert!(matches!(
        c.micro_freeze(&req).await,
        FreezeOutcome::Unknown { .. }
    ));
    assert_eq!(env.query(&req).await.state, CloudFreezeState::Frozen);
    // 07: the first answer is status 3 (no MAC), yet it is frozen.
    let req = env.freeze_req(&wx("07"), 700);
    match c.micro_freeze(&req).await {
        FreezeOutcome::Unknown { reason } => assert!(reason.contains("status 3"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(env.query(&req).await.state, CloudFreezeState::Frozen);
    // An identical retry returns the stored record; another amount is anti-reentry.
    assert!(matches!(
        c.micro_freeze(&req).await,
        FreezeOutcome::Frozen { .. }
    ));
    let mut other = req.clone();
    other.amount = Money::from_fen(701);
    match c.micro_freeze(&other).await {
        FreezeOutcome::Failed { reason } => assert!(reason.contains("407"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // A payment code is single use.
    let mut reused = env.freeze_req(&wx("00"), 100);
    reused.code = req.code.clone();
    assert!(matches!(
        c.micro_freeze(&reused).await,
        FreezeOutcome::Failed { .. }
    ));
}

// ───────────────────────────── consume ─────────────────────────────

#[tokio::test]
async fn a_consume_takes_at_most_what_is_frozen_and_releases_the_rest() {
    let env = start().await;
    let c = &env.client;
    let freeze = env.frozen(&wx("00"), 10_000).await;
    // Above the frozen amount: 101 naming the field.
    let over = env.consume_req(&freeze, 10_001);
    match c.deposit_consume(&over).await {
        ConsumeOutcome::Refused { reason } => {
            assert!(reason.contains("pay_content.total_fee"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let consume = env.consume_req(&freeze, 3_000);
    let ConsumeOutcome::Consumed {
        transaction_id,
        released,
        ..
    } = c.deposit_consume(&consume).await
    else {
        panic!("not consumed");
    };
    assert!(transaction_id.is_some());
    assert_eq!(released, Some(Money::from_fen(7_000)));
    // An identical retry answers the same consume; nothing is taken twice.
    assert!(matches!(
        c.deposit_consume(&consume).await,
        ConsumeOutcome::Consumed { .. }
    ));
    let f = env.query(&freeze).await;
    assert_eq!(f.state, CloudFreezeState::Finished);
    assert_eq!((f.consumed.fen(), f.released.fen()), (3_000, 7_000));
    // The consume order is an ordinary paid order.
    assert!(matches!(
        c.query_order(&consume.order_no, Some(Wallet::WeChat)).await,
        QueryOutcome::Paid { .. }
    ));
    // The deposit is finished: no second consume, no release.
    let again = env.consume_req(&freeze, 1);
    assert!(matches!(
        c.deposit_consume(&again).await,
        ConsumeOutcome::Refused { .. }
    ));
    let release = env.unfreeze_req(&freeze, 1, UnfreezeAuthority::Admin);
    assert!(matches!(
        c.unfreeze(&release).await,
        UnfreezeOutcome::Failed { .. }
    ));
    // Refunds of the consume order carry the deposit's number, up to what was consumed.
    let refund = RefundRequest {
        order_no: consume.order_no.clone(),
        wallet: Wallet::WeChat,
        refund_no: env.refund_no(),
        order_amount: Money::from_fen(3_000),
        amount: Money::from_fen(1_000),
        reason: "退押金消费".into(),
        staff_id: None,
    };
    match c.refund(&refund).await {
        RefundOutcome::Failed { reason } => {
            assert!(reason.contains("refund_content.out_freeze_no"), "{reason}");
        }
        other => panic!("a refund without out_freeze_no: {other:?}"),
    }
    assert!(matches!(
        c.deposit_refund(&refund, &freeze.no).await,
        RefundOutcome::Processing { .. } | RefundOutcome::Succeeded { .. }
    ));
    let too_much = RefundRequest {
        refund_no: env.refund_no(),
        amount: Money::from_fen(2_001),
        ..refund.clone()
    };
    assert!(matches!(
        c.deposit_refund(&too_much, &freeze.no).await,
        RefundOutcome::Failed { .. }
    ));
    let other = env.frozen(&wx("00"), 100).await;
    match c.deposit_refund(&refund, &other.no).await {
        RefundOutcome::Failed { reason } => {
            assert!(reason.contains("refund_content.out_freeze_no"), "{reason}");
        }
        o => panic!("{o:?}"),
    }
}

#[tokio::test]
async fn wechat_consumes_must_release_the_rest_alipay_may_keep_it() {
    let env = start().await;
    let c = &env.client;
    let freeze = env.frozen(&wx("00"), 1_000).await;
    let mut content = serde_json::to_value(
        c.deposit_consume_request(&env.consume_req(&freeze, 100), new_nonce()),
    )
    .unwrap();
    content["pay_content"]["is_confirm_unfreeze"] = json!(false);
    let reply: cloudpay_api::Reply<serde_json::Value> = c
        .call_content("deposit_consume", content.to_string(), false)
        .await;
    match reply {
        cloudpay_api::Reply::Status { header, .. } => {
            assert_eq!(header.status, 101);
            assert!(
                header
                    .description
                    .contains("pay_content.is_confirm_unfreeze")
            );
        }
        other => panic!("{other:?}"),
    }
    // Alipay with `false`: the rest stays frozen for a release.
    let freeze = env.frozen(&ali("00"), 1_000).await;
    let mut content = serde_json::to_value(
        c.deposit_consume_request(&env.consume_req(&freeze, 100), new_nonce()),
    )
    .unwrap();
    content["pay_content"]["is_confirm_unfreeze"] = json!(false);
    let reply: cloudpay_api::Reply<serde_json::Value> = c
        .call_content("deposit_consume", content.to_string(), false)
        .await;
    assert!(matches!(reply, cloudpay_api::Reply::Success { .. }));
    let f = env.query(&freeze).await;
    assert_eq!(f.state, CloudFreezeState::Frozen);
    assert_eq!(f.held(), Money::from_fen(900));
    let release = env.unfreeze_req(&freeze, 900, UnfreezeAuthority::Admin);
    assert!(matches!(
        c.unfreeze(&release).await,
        UnfreezeOutcome::Unfrozen { .. }
    ));
    assert_eq!(env.query(&freeze).await.state, CloudFreezeState::Finished);
}

// ───────────────────────────── release ─────────────────────────────

#[tokio::test]
async fn a_release_needs_refund_permission_and_at_most_what_is_frozen() {
    let env = start().await;
    let c = &env.client;
    let freeze = env.frozen(&wx("00"), 2_000).await;
    // Staff 02 is a clerk: no refund permission.
    let clerk = env.unfreeze_req(&freeze, 2_000, UnfreezeAuthority::Staff(Some("02".into())));
    match c.unfreeze(&clerk).await {
        UnfreezeOutcome::Failed { reason } => assert!(reason.contains("refund"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(env.query(&freeze).await.state, CloudFreezeState::Frozen);
    // More than is frozen: 101 naming the field.
    let over = env.unfreeze_req(&freeze, 2_001, UnfreezeAuthority::Admin);
    match c.unfreeze(&over).await {
        UnfreezeOutcome::Failed { reason } => {
            assert!(reason.contains("unfreeze_content.unfreeze_fee"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // The store manager may: the release goes through, and is idempotent by number.
    let ok = env.unfreeze_req(&freeze, 2_000, UnfreezeAuthority::Staff(Some("01".into())));
    assert!(matches!(
        c.unfreeze(&ok).await,
        UnfreezeOutcome::Unfrozen { .. }
    ));
    assert!(matches!(
        c.unfreeze(&ok).await,
        UnfreezeOutcome::Unfrozen { .. }
    ));
    assert!(matches!(
        c.query_unfreeze(&freeze.no, Wallet::WeChat, &ok.unfreeze_no)
            .await,
        UnfreezeOutcome::Unfrozen { .. }
    ));
    assert_eq!(
        c.query_unfreeze(&freeze.no, Wallet::WeChat, &env.unfreeze_no())
            .await,
        UnfreezeOutcome::NotFound
    );
    // The same number for another amount is 102.
    let reused = UnfreezeRequest {
        amount: Money::from_fen(1),
        ..ok.clone()
    };
    assert!(matches!(
        c.unfreeze(&reused).await,
        UnfreezeOutcome::Failed { .. }
    ));
    let f = env.query(&freeze).await;
    assert_eq!(f.state, CloudFreezeState::Finished);
    assert_eq!(f.released, Money::from_fen(2_000));
    // Released: nothing left to release or consume.
    let again = env.unfreeze_req(&freeze, 1, UnfreezeAuthority::Admin);
    assert!(matches!(
        c.unfreeze(&again).await,
        UnfreezeOutcome::Failed { .. }
    ));
}

#[tokio::test]
async fn a_release_of_an_unknown_freeze_leaves_a_tombstone() {
    let env = start().await;
    let c = &env.client;
    let req = env.freeze_req(&wx("00"), 300);
    let cancel = env.unfreeze_req(&req, 300, UnfreezeAuthority::Admin);
    assert!(matches!(
        c.unfreeze(&cancel).await,
        UnfreezeOutcome::Failed { .. }
    ));
    assert_eq!(
        c.query_freeze(&req.no, Wallet::WeChat).await,
        FreezeQueryOutcome::NotFound
    );
    // The late micro_freeze with that number freezes nothing.
    assert!(matches!(
        c.micro_freeze(&req).await,
        FreezeOutcome::Failed { .. }
    ));
    let deposits = &env.ledger().await["deposits"];
    assert!(deposits["freezes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_wallet_releases_a_forgotten_deposit_after_thirty_days() {
    let env = start_with(Timings {
        auto_unfreeze_after: Duration::from_secs(30 * 24 * 3600),
        ..test_timings()
    })
    .await;
    let c = &env.client;
    let freeze = env.frozen(&ali("00"), 4_200).await;
    let (code, _) = env
        .post("time", &json!({"advance_seconds": 30 * 24 * 3600 - 60}))
        .await;
    assert_eq!(code, 200);
    assert_eq!(env.query(&freeze).await.state, CloudFreezeState::Frozen);
    env.post("time", &json!({"advance_seconds": 120})).await;
    let f = env.query(&freeze).await;
    assert_eq!(f.state, CloudFreezeState::Finished);
    assert_eq!(f.auto_released, Money::from_fen(4_200));
    let consume = env.consume_req(&freeze, 1);
    assert!(matches!(
        c.deposit_consume(&consume).await,
        ConsumeOutcome::Refused { .. }
    ));
}

#[tokio::test]
async fn freezes_and_releases_are_listed() {
    let env = start().await;
    let c = &env.client;
    let a = env.frozen(&wx("00"), 100).await;
    let b = env.frozen(&ali("00"), 200).await;
    let release = env.unfreeze_req(&b, 200, UnfreezeAuthority::Admin);
    assert!(matches!(
        c.unfreeze(&release).await,
        UnfreezeOutcome::Unfrozen { .. }
    ));
    let failed = env.freeze_req(&wx("03"), 50);
    let _ = c.micro_freeze(&failed).await;
    let now = env.get("time").await["now"].as_i64().unwrap();
    let query = |kind| DepositListQuery {
        from: Timestamp::from_unix_seconds(now - 60),
        to: Timestamp::from_unix_seconds(now + 60),
        kind,
        page: 1,
        page_size: 100,
    };
    let freezes = c
        .list_deposits(&query(DepositListKind::Freezes))
        .await
        .unwrap();
    let numbers: Vec<&str> = freezes.freezes.iter().map(|f| f.no.as_str()).collect();
    assert!(numbers.contains(&a.no.as_str()) && numbers.contains(&b.no.as_str()));
    assert!(
        numbers.contains(&failed.no.as_str()),
        "status 1 lists every freeze"
    );
    let listed_b = freezes
        .freezes
        .iter()
        .find(|f| f.no == b.no.as_str())
        .unwrap();
    assert_eq!(listed_b.state, CloudFreezeState::Finished);
    assert_eq!(listed_b.released, Money::from_fen(200));
    assert_eq!(listed_b.device_id, env.creds.device_id);
    let unfreezes = c
        .list_deposits(&query(DepositListKind::Unfreezes))
        .await
        .unwrap();
    assert_eq!(unfreezes.unfreezes.len(), 1);
    assert_eq!(unfreezes.unfreezes[0].no, release.unfreeze_no.as_str());
    assert!(unfreezes.unfreezes[0].succeeded);
    // Paging: one per page.
    let one = c
        .list_deposits(&DepositListQuery {
            page_size: 1,
            ..query(DepositListKind::Freezes)
        })
        .await
        .unwrap();
    assert_eq!(one.freezes.len(), 1);
    assert_eq!(one.total, 3);
}
