//! Chain-wide member cards: with a head office configured the till sends every movement of
//! a card's money to it, under the order or refund number as the idempotency key, after
//! writing the intent durably. Over a fake head office with the contract's rules: a card
//! payment is debited once under a lost answer, a payment left without an answer by a crash
//! is completed by recovery, a recharge credit waits for an offline head office and arrives
//! once, card payments are refused (before anything is written) while it cannot be reached,
//! refunds and voids go back through it, and two tills see one balance.
#![allow(missing_docs)]

use std::sync::Arc;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::member::{BonusRules, MemberError, MemberStatus};
use cloudpos_domain::member_hq::{HqIntentState, MovementKind, void_key};
use cloudpos_domain::member_ports::MemberLedger;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{OrderState, PaymentMethod};
use cloudpos_domain::ports::{Ledger, OrderFilter, StoreError};
use cloudpos_terminal::testing::{
    FAKE_ENROL_TOKEN, FakeHeadOffice, LedgerFault, MovementScript, TestTerminal, code,
    test_merchant, test_terminal,
};
use cloudpos_terminal::{
    HQ_UNREACHABLE, MemberSettings, PayInput, RefundInput, Terminal, TerminalConfig, TerminalError,
};

const URL: &str = "http://127.0.0.1:8080";
const CARD: &str = "9900000000000001";

fn y(fen: i64) -> Money {
    Money::from_fen(fen)
}

struct Till {
    tt: TestTerminal,
    _dir: tempfile::TempDir,
}

impl Till {
    fn t(&self) -> &Terminal {
        &self.tt.terminal
    }
}

/// A till enrolled at `hq` as device `device` (its own order numbers), clerk 01 logged in.
async fn till(hq: &FakeHeadOffice, device: &str, token: &str) -> Till {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let mut merchant = test_merchant();
    merchant.device_id = device.into();
    tt.ports
        .settings
        .put("merchant", &serde_json::to_value(merchant).unwrap())
        .await
        .unwrap();
    tt.terminal.set_head_office_link(Some(Arc::new(hq.clone())));
    tt.terminal
        .login(&ClerkId::parse("01").unwrap(), "pw01")
        .await
        .unwrap();
    tt.terminal.configure_head_office(URL, token).await.unwrap();
    Till { tt, _dir: dir }
}

/// One till with a card holding ¥110 (a ¥100 recharge with its ¥10 bonus).
async fn till_with_card(hq: &FakeHeadOffice) -> Till {
    let till = till(hq, "dev1", FAKE_ENROL_TOKEN).await;
    till.t()
        .set_setting(&MemberSettings {
            bonus: BonusRules::parse("100:10").unwrap(),
        })
        .await
        .unwrap();
    till.t()
        .add_member(CARD, "张三", "13800138000")
        .await
        .unwrap();
    let r = till
        .t()
        .recharge_member(CARD, y(10_000), &code(1, "00"))
        .await
        .unwrap();
    assert_eq!(r.order.state, OrderState::Paid);
    assert!(r.credited, "credited at the head office at once");
    assert_eq!(r.account.balance, y(11_000));
    assert_eq!(hq.member_balance(CARD), y(11_000));
    assert_eq!(
        till.tt.gateway.charged_codes().get(&code(1, "00")),
        Some(&1)
    );
    till
}

async fn card_orders(t: &Till) -> Vec<cloudpos_domain::order::Order> {
    t.tt.store
        .orders(&OrderFilter {
            page_size: 100,
            ..OrderFilter::default()
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|o| o.method == PaymentMethod::Wallet(Wallet::MemberCard))
        .collect()
}

#[tokio::test]
async fn a_card_payment_is_debited_once_under_a_lost_answer() {
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    hq.script_movements([MovementScript::LoseAnswer]);
    let order = till.t().pay_member(CARD, y(2_550), "").await.unwrap();
    assert_eq!(order.state, OrderState::Paid);
    assert_eq!(
        hq.movements_received(order.no.as_str()),
        2,
        "the lost answer was replayed under the same key"
    );
    assert_eq!(hq.entries_of_key(order.no.as_str()), 1, "debited once");
    assert_eq!(hq.member_balance(CARD), y(11_000 - 2_550));
    assert_eq!(till.t().member(CARD).await.unwrap().balance, y(8_450));
    let orders = card_orders(&till).await;
    assert_eq!(orders.len(), 1, "one paid order");
    assert_eq!(orders[0].no, order.no);
    // Nothing left to send: a sync replays nothing.
    till.t().sync_head_office().await.unwrap();
    assert_eq!(hq.movements_received(order.no.as_str()), 2);
    // The local card ledger was never used.
    assert!(till.tt.store.member(&order_card()).await.unwrap().is_none());
}

fn order_card() -> cloudpos_domain::member::CardNo {
    cloudpos_domain::member::CardNo::parse(CARD).unwrap()
}

#[tokio::test]
async fn a_payment_a_crash_left_unanswered_is_completed_by_recovery_once() {
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    // The debit never reaches the head office (three tries): the till is as after a crash
    // between the intent and the call.
    hq.script_movements([MovementScript::Unreachable; 3]);
    let err = till.t().pay_member(CARD, y(1_000), "").await.unwrap_err();
    assert!(err.to_string().contains("待确认"), "{err}");
    assert!(
        card_orders(&till).await.is_empty(),
        "no paid order without its debit"
    );
    assert_eq!(hq.member_balance(CARD), y(11_000));
    let pending = till.t().pending_member_movements(CARD).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].kind, MovementKind::Payment);
    assert_eq!(pending[0].amount, y(-1_000));
    let key = pending[0].key.clone();

    // Restart: a new terminal on the same ledger, then recovery.
    let restarted = Terminal::new(till.tt.ports.clone(), TerminalConfig::default());
    restarted.set_head_office_link(Some(Arc::new(hq.clone())));
    restarted
        .login(&ClerkId::parse("01").unwrap(), "pw01")
        .await
        .unwrap();
    // The number of the unanswered payment is taken: the next payment after the restart
    // gets another one.
    let next = restarted.pay_member(CARD, y(100), "").await.unwrap();
    assert_ne!(next.no.as_str(), key);
    restarted.recover_pending().await.unwrap();
    assert_eq!(hq.movements_received(&key), 1);
    assert_eq!(hq.entries_of_key(&key), 1);
    assert_eq!(hq.member_balance(CARD), y(10_000 - 100));
    let orders = card_orders(&till).await;
    assert_eq!(orders.len(), 2);
    let recovered = orders.iter().find(|o| o.no.as_str() == key).unwrap();
    assert_eq!(recovered.state, OrderState::Paid);
    let intent = till.tt.store.hq_intent(&key).await.unwrap().unwrap();
    assert_eq!(intent.state, HqIntentState::Applied);
    // Again: nothing to do, nothing doubled.
    restarted.recover_pending().await.unwrap();
    restarted.sync_head_office().await.unwrap();
    assert_eq!(hq.movements_received(&key), 1);
    assert_eq!(card_orders(&till).await.len(), 2);
}

#[tokio::test]
async fn a_recharge_credit_waits_for_an_offline_head_office_and_arrives_once() {
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    // The head office goes away after the look-up: the wallet payment goes through, the
    // credit is queued with the paid state.
    hq.script_movements([MovementScript::Unreachable]);
    let r = till
        .t()
        .recharge_member(CARD, y(20_000), &code(2, "00"))
        .await
        .unwrap();
    assert_eq!(r.order.state, OrderState::Paid);
    assert!(!r.credited, "the credit is pending, and says so");
    let pending = till.t().pending_member_movements(CARD).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].kind, MovementKind::Recharge);
    assert_eq!(pending[0].amount, y(21_000), "amount and bonus");
    assert_eq!(hq.member_balance(CARD), y(11_000));

    hq.set_members_offline(true);
    // The outbox still syncs; the credit stays queued.
    till.t().sync_head_office().await.unwrap();
    assert_eq!(
        till.t().pending_member_movements(CARD).await.unwrap().len(),
        1
    );

    hq.set_members_offline(false);
    till.t().sync_head_office().await.unwrap();
    let key = r.order.no.as_str();
    assert_eq!(hq.movements_received(key), 1);
    assert_eq!(
        hq.entries_of_key(key),
        2,
        "the recharge and its bonus, once"
    );
    assert_eq!(hq.member_balance(CARD), y(11_000 + 21_000));
    assert!(
        till.t()
            .pending_member_movements(CARD)
            .await
            .unwrap()
            .is_empty()
    );
    till.t().sync_head_office().await.unwrap();
    till.t().recover_pending().await.unwrap();
    assert_eq!(hq.movements_received(key), 1);
}

#[tokio::test]
async fn card_payments_are_refused_while_the_head_office_is_away() {
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    hq.set_members_offline(true);
    let err = till.t().pay_member(CARD, y(100), "").await.unwrap_err();
    assert!(
        err.to_string().contains("总部无法连接，会员卡暂不可用"),
        "{err}"
    );
    assert!(err.to_string().starts_with(HQ_UNREACHABLE), "{err}");
    let by_scan = till
        .t()
        .pay(PayInput {
            amount: y(100),
            code: CARD.into(),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap_err();
    assert!(by_scan.to_string().contains("总部无法连接"), "{by_scan}");
    let recharge = till
        .t()
        .recharge_member(CARD, y(100), &code(3, "00"))
        .await
        .unwrap_err();
    assert!(recharge.to_string().contains("总部无法连接"), "{recharge}");
    assert!(till.t().member(CARD).await.is_err());
    // Nothing written: no order, no intent, and the wallet was not charged.
    assert!(card_orders(&till).await.is_empty());
    assert!(
        till.tt
            .store
            .open_hq_intents(None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!till.tt.gateway.charged_codes().contains_key(&code(3, "00")));
    // Wallet payments do not need the head office.
    let paid = till
        .t()
        .pay(PayInput {
            amount: y(500),
            code: code(4, "00"),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap();
    assert_eq!(paid.state, OrderState::Paid);
}

#[tokio::test]
async fn refunds_and_voids_go_back_to_the_card_through_the_head_office() {
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    let paid = till.t().pay_member(CARD, y(3_000), "").await.unwrap();
    assert_eq!(hq.member_balance(CARD), y(8_000));
    let refunded = till
        .t()
        .refund(RefundInput {
            order_no: paid.no.clone(),
            amount: y(1_000),
            reason: "退货".into(),
            authorization: None,
        })
        .await
        .unwrap();
    let key = refunded.refund.no.as_str().to_owned();
    assert_eq!(hq.entries_of_key(&key), 1);
    assert_eq!(hq.member_balance(CARD), y(9_000));

    // A void while the head office is away: recorded, its credit queued, delivered later.
    let other = till.t().pay_member(CARD, y(500), "").await.unwrap();
    assert_eq!(hq.member_balance(CARD), y(8_500));
    hq.set_members_offline(true);
    let voided = till.t().void(&other.no, None).await.unwrap();
    assert_eq!(voided.state, OrderState::Reversed);
    assert_eq!(hq.member_balance(CARD), y(8_500));
    hq.set_members_offline(false);
    till.t().sync_head_office().await.unwrap();
    assert_eq!(hq.entries_of_key(&void_key(other.no.as_str())), 1);
    assert_eq!(hq.member_balance(CARD), y(9_000));
}

#[tokio::test]
async fn two_tills_see_one_balance_and_cannot_overdraw_it() {
    let hq = FakeHeadOffice::new();
    let one = till_with_card(&hq).await;
    hq.add_enrol_token("hqe_second-token");
    let two = till(&hq, "dev2", "hqe_second-token").await;
    assert_eq!(two.t().member(CARD).await.unwrap().balance, y(11_000));
    let by_phone = two.t().members_by_phone("13800138000").await.unwrap();
    assert_eq!(by_phone.len(), 1);
    two.t().pay_member(CARD, y(6_000), "").await.unwrap();
    assert_eq!(one.t().member(CARD).await.unwrap().balance, y(5_000));
    let err = one.t().pay_member(CARD, y(5_001), "").await.unwrap_err();
    assert_eq!(
        err,
        TerminalError::Store(StoreError::Member(MemberError::InsufficientBalance {
            balance: y(5_000),
            amount: y(5_001)
        }))
    );
    one.t().pay_member(CARD, y(5_000), "").await.unwrap();
    assert_eq!(two.t().member(CARD).await.unwrap().balance, y(0));
    let ledger = two.t().member_ledger(CARD).await.unwrap();
    assert_eq!(ledger.len(), 4, "recharge, bonus, two payments");
    assert_eq!(ledger.last().unwrap().balance_after, y(0));
    // An admin's correction, seen by both.
    two.t().logout().await.ok();
    two.t()
        .login(&ClerkId::parse("09").unwrap(), "pw09")
        .await
        .unwrap();
    let after = two
        .t()
        .adjust_member(CARD, y(300), "goodwill")
        .await
        .unwrap();
    assert_eq!(after.balance, y(300));
    assert_eq!(one.t().member(CARD).await.unwrap().balance, y(300));
}

#[tokio::test]
async fn a_card_frozen_at_the_head_office_neither_pays_nor_is_recharged() {
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    hq.set_member_status(CARD, MemberStatus::Frozen);
    let not_active = TerminalError::Store(StoreError::Member(MemberError::NotActive(
        MemberStatus::Frozen,
    )));
    assert_eq!(
        till.t().pay_member(CARD, y(100), "").await.unwrap_err(),
        not_active
    );
    assert_eq!(
        till.t()
            .recharge_member(CARD, y(100), &code(5, "00"))
            .await
            .unwrap_err(),
        not_active
    );
    assert!(
        !till.tt.gateway.charged_codes().contains_key(&code(5, "00")),
        "the wallet was not charged"
    );
    assert!(
        till.tt
            .store
            .open_hq_intents(None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(hq.member_balance(CARD), y(11_000));
}

#[tokio::test]
async fn a_recharge_recorded_paid_only_by_recovery_is_credited_once() {
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    till.tt.faults.set(LedgerFault::OrderUpdatesFail);
    let err = till
        .t()
        .recharge_member(CARD, y(20_000), &code(6, "00"))
        .await
        .unwrap_err();
    let TerminalError::PaidNotRecorded { order, .. } = &err else {
        panic!("expected PaidNotRecorded, got {err:?}");
    };
    let key = order.no.as_str().to_owned();
    let promised = till.tt.store.hq_intent(&key).await.unwrap().unwrap();
    assert_eq!(
        promised.state,
        HqIntentState::Promised,
        "not owed before paid"
    );
    assert_eq!(hq.movements_received(&key), 0);
    till.tt.faults.set(LedgerFault::Healthy);
    till.t().recover_pending().await.unwrap();
    assert_eq!(
        till.tt.store.order(&order.no).await.unwrap().unwrap().state,
        OrderState::Paid
    );
    assert_eq!(hq.entries_of_key(&key), 2, "amount and bonus, once");
    assert_eq!(hq.member_balance(CARD), y(11_000 + 20_000 + 1_000));
    till.t().recover_pending().await.unwrap();
    till.t().sync_head_office().await.unwrap();
    assert_eq!(hq.movements_received(&key), 1);
    // The credit went to the head office: the recharge is neither refunded nor voided.
    let err = till
        .t()
        .refund(RefundInput {
            order_no: order.no.clone(),
            amount: y(100),
            reason: "x".into(),
            authorization: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, TerminalError::Store(StoreError::Conflict(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_failed_recharge_cancels_its_credit() {
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    let r = till
        .t()
        .recharge_member(CARD, y(5_000), &code(7, "03"))
        .await;
    let order_no = match r {
        Ok(r) => {
            assert_eq!(r.order.state, OrderState::Failed);
            assert!(!r.credited);
            r.order.no
        }
        Err(e) => panic!("a refused wallet payment is a failed order: {e:?}"),
    };
    let intent = till
        .tt
        .store
        .hq_intent(order_no.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(intent.state, HqIntentState::Cancelled);
    assert!(
        till.t()
            .pending_member_movements(CARD)
            .await
            .unwrap()
            .is_empty()
    );
    till.t().sync_head_office().await.unwrap();
    assert_eq!(hq.movements_received(order_no.as_str()), 0);
    assert_eq!(hq.member_balance(CARD), y(11_000));
}

async fn stock_of(till: &Till, sku: &str) -> i64 {
    till.t()
        .commodity_by_code(sku)
        .await
        .unwrap()
        .unwrap()
        .stock
}

async fn refusals_audited(till: &Till) -> Vec<serde_json::Value> {
    till.t()
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.entry.action == "member_movement_refused")
        .map(|r| serde_json::from_str(&r.entry.detail).unwrap())
        .collect()
}

#[tokio::test]
async fn a_card_checkout_completed_by_a_later_sync_takes_stock_once() {
    use cloudpos_domain::catalog::{Cart, Commodity};
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    let item = Commodity {
        sku: "A1".into(),
        barcode: None,
        name: "可乐".into(),
        category: String::new(),
        unit: "瓶".into(),
        price: y(350),
        stock: 10,
    };
    till.t().save_commodity(&item).await.unwrap();
    let mut cart = Cart::new();
    cart.add(&item, 2).unwrap();

    // Answered at once: stock taken once (by the transaction that records the debit).
    let paid = till.t().checkout_by_card(&cart, CARD, "").await.unwrap();
    assert_eq!(paid.state, OrderState::Paid);
    assert_eq!(stock_of(&till, "A1").await, 8);

    // The debit is applied but every answer is lost: pending, nothing sold yet.
    hq.script_movements([MovementScript::LoseAnswer; 3]);
    let err = till
        .t()
        .checkout_by_card(&cart, CARD, "")
        .await
        .unwrap_err();
    let TerminalError::ResultUnknown { order, cause } = &err else {
        panic!("a lost answer is an unknown outcome, not a failure: {err:?}");
    };
    assert_eq!(order.state, OrderState::Unknown);
    assert!(cause.contains("hq sync"), "{cause}");
    let key = order.no.as_str().to_owned();
    assert_eq!(hq.entries_of_key(&key), 1, "applied at the head office");
    assert_eq!(
        stock_of(&till, "A1").await,
        8,
        "not sold before it is recorded"
    );
    assert!(till.tt.store.order(&order.no).await.unwrap().is_none());

    // The sync completes it: the order paid and the cart's stock taken, once.
    till.t().sync_head_office().await.unwrap();
    let recorded = till.tt.store.order(&order.no).await.unwrap().unwrap();
    assert_eq!(recorded.state, OrderState::Paid);
    assert_eq!(recorded.lines.len(), 1);
    assert_eq!(stock_of(&till, "A1").await, 6);
    // Again, and recovery: nothing sent, nothing taken twice.
    till.t().sync_head_office().await.unwrap();
    till.t().recover_pending().await.unwrap();
    assert_eq!(stock_of(&till, "A1").await, 6);
    assert_eq!(
        hq.movements_received(&key),
        4,
        "three lost answers and one replay"
    );
    assert_eq!(hq.entries_of_key(&key), 1);
    assert_eq!(hq.member_balance(CARD), y(11_000 - 2 * 700));
}

#[tokio::test]
async fn a_card_checkout_completed_by_recovery_after_a_restart_takes_stock_once() {
    use cloudpos_domain::catalog::{Cart, Commodity};
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    let item = Commodity {
        sku: "B1".into(),
        barcode: None,
        name: "面包".into(),
        category: String::new(),
        unit: "个".into(),
        price: y(500),
        stock: 4,
    };
    till.t().save_commodity(&item).await.unwrap();
    let mut cart = Cart::new();
    cart.add(&item, 3).unwrap();
    hq.script_movements([MovementScript::Unreachable; 3]);
    let err = till
        .t()
        .checkout_by_card(&cart, CARD, "")
        .await
        .unwrap_err();
    assert!(
        matches!(err, TerminalError::ResultUnknown { .. }),
        "{err:?}"
    );
    assert_eq!(stock_of(&till, "B1").await, 4);

    let restarted = Terminal::new(till.tt.ports.clone(), TerminalConfig::default());
    restarted.set_head_office_link(Some(Arc::new(hq.clone())));
    restarted.recover_pending().await.unwrap();
    assert_eq!(
        stock_of(&till, "B1").await,
        1,
        "taken once the debit is applied"
    );
    restarted.recover_pending().await.unwrap();
    restarted.sync_head_office().await.unwrap();
    assert_eq!(stock_of(&till, "B1").await, 1, "and never again");
    assert_eq!(card_orders(&till).await.len(), 1);
}

#[tokio::test]
async fn a_pending_card_payment_refused_for_good_ends_failed_and_is_not_sent_again() {
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    hq.script_movements([MovementScript::Unreachable; 3]);
    let err = till.t().pay_member(CARD, y(1_000), "").await.unwrap_err();
    let TerminalError::ResultUnknown { order, .. } = &err else {
        panic!("{err:?}");
    };
    let key = order.no.as_str().to_owned();
    // Meanwhile the card is frozen at the head office: the replay is refused for good.
    hq.set_member_status(CARD, MemberStatus::Frozen);
    till.t().sync_head_office().await.unwrap();
    let intent = till.tt.store.hq_intent(&key).await.unwrap().unwrap();
    assert_eq!(intent.state, HqIntentState::Refused);
    assert!(
        intent
            .refusal
            .as_deref()
            .unwrap()
            .starts_with("card_frozen"),
        "{intent:?}"
    );
    let failed = till.tt.store.order(&order.no).await.unwrap().unwrap();
    assert_eq!(failed.state, OrderState::Failed, "no money was taken");
    assert_eq!(failed.paid_at, None);
    assert!(failed.reason.as_deref().unwrap().contains("card_frozen"));
    assert_eq!(hq.member_balance(CARD), y(11_000));
    let audited = refusals_audited(&till).await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0]["key"], key.as_str());
    assert_eq!(audited[0]["kind"], "payment");
    // Never sent again, never audited again.
    hq.set_member_status(CARD, MemberStatus::Active);
    till.t().sync_head_office().await.unwrap();
    till.t().recover_pending().await.unwrap();
    assert_eq!(hq.movements_received(&key), 1);
    assert_eq!(refusals_audited(&till).await.len(), 1);
    assert_eq!(hq.member_balance(CARD), y(11_000));
    let status = till.t().head_office_status().await.unwrap();
    assert_eq!(status.refused_movements.len(), 1);
    assert_eq!(status.refused_movements[0].intent.movement.key, key);
    assert!(!status.refused_movements[0].intent.credits_the_card());
    // Its number stays taken: the failed order holds it.
    let next = till.t().pay_member(CARD, y(100), "").await.unwrap();
    assert_ne!(next.no.as_str(), key);
}

#[tokio::test]
async fn a_key_conflict_refuses_a_movement_for_good_and_transient_errors_do_not() {
    let hq = FakeHeadOffice::new();
    let till = till_with_card(&hq).await;
    let paid = till.t().pay_member(CARD, y(3_000), "").await.unwrap();
    // The refund back to the card meets a fault of the head office first (try later)…
    hq.script_movements([MovementScript::Internal]);
    let refunded = till
        .t()
        .refund(RefundInput {
            order_no: paid.no.clone(),
            amount: y(1_000),
            reason: "退货".into(),
            authorization: None,
        })
        .await
        .unwrap();
    let key = refunded.refund.no.as_str().to_owned();
    let intent = till.tt.store.hq_intent(&key).await.unwrap().unwrap();
    assert_eq!(
        intent.state,
        HqIntentState::Pending,
        "a transient error is retried"
    );
    assert!(refusals_audited(&till).await.is_empty());
    // …then a conflict: refused for good, audited, shown, never sent again.
    hq.script_movements([MovementScript::Conflict]);
    let d = till.t().deliver_member_movements().await.unwrap();
    assert_eq!((d.applied, d.refused, d.pending), (0, 1, 0));
    let intent = till.tt.store.hq_intent(&key).await.unwrap().unwrap();
    assert_eq!(intent.state, HqIntentState::Refused);
    assert!(intent.refusal.as_deref().unwrap().starts_with("conflict"));
    let audited = refusals_audited(&till).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["kind"], "refund");
    assert_eq!(audited[0]["amount_fen"], 1_000);
    let received = hq.movements_received(&key);
    till.t().sync_head_office().await.unwrap();
    till.t().recover_pending().await.unwrap();
    assert_eq!(hq.movements_received(&key), received, "not sent again");
    assert_eq!(
        hq.member_balance(CARD),
        y(8_000),
        "the credit was not applied: the card shows it"
    );
    let status = till.t().head_office_status().await.unwrap();
    assert_eq!(status.refused_movements.len(), 1);
    assert!(status.refused_movements[0].intent.credits_the_card());
    assert!(
        till.t()
            .pending_member_movements(CARD)
            .await
            .unwrap()
            .is_empty()
    );
    // The refund itself stands (the customer is owed the money): only the card needs an
    // administrator's adjustment.
    let order = till.tt.store.order(&paid.no).await.unwrap().unwrap();
    assert_eq!(order.refunded, y(1_000));
}
