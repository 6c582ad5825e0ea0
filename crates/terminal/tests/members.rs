//! Member cards through the use cases: recharge by wallet code (credited exactly when paid,
//! also when the paid state is recorded only later by recovery), card payments, refunds
//! and voids back to the card, adjustments, import and export.
#![allow(missing_docs)]

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::member::{BonusRules, EntryKind, MemberError};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{OrderState, PaymentMethod};
use cloudpos_domain::ports::{AuditTrail, Ledger, StoreError};
use cloudpos_terminal::testing::{LedgerFault, TestTerminal, code, test_terminal};
use cloudpos_terminal::{MemberSettings, PayInput, RefundInput, TerminalError};

const CARD: &str = "9900000000000001";

async fn as_clerk(dir: &std::path::Path, id: &str) -> TestTerminal {
    let t = test_terminal(dir).await;
    t.terminal
        .login(&ClerkId::parse(id).unwrap(), &format!("pw{id}"))
        .await
        .unwrap();
    t
}

async fn with_member_and_bonus(t: &TestTerminal) {
    t.terminal
        .set_setting(&MemberSettings {
            bonus: BonusRules::parse("100:10,200:30").unwrap(),
        })
        .await
        .unwrap();
    t.terminal
        .add_member(CARD, "张三", "13800138000")
        .await
        .unwrap();
}

fn y(fen: i64) -> Money {
    Money::from_fen(fen)
}

async fn balance(t: &TestTerminal) -> i64 {
    t.terminal.member(CARD).await.unwrap().balance.fen()
}

#[tokio::test]
async fn a_paid_recharge_credits_the_amount_and_the_bonus() {
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "01").await;
    with_member_and_bonus(&t).await;
    assert_eq!(
        t.terminal.recharge_bonus(y(10_000)).await.unwrap(),
        y(1_000)
    );
    let r = t
        .terminal
        .recharge_member(CARD, y(10_000), &code(1, "00"))
        .await
        .unwrap();
    assert_eq!(r.order.state, OrderState::Paid);
    assert_eq!(r.order.method, PaymentMethod::Wallet(Wallet::WeChat));
    assert!(r.credited);
    assert_eq!((r.bonus, r.account.balance), (y(1_000), y(11_000)));
    assert_eq!(t.gateway.count_calls("micro_pay"), 1);

    // Found by phone too.
    let found = t.terminal.members_by_phone("13800138000").await.unwrap();
    assert_eq!(found[0].balance, y(11_000));

    // A declined code: nothing credited.
    let r = t
        .terminal
        .recharge_member(CARD, y(5_000), &code(2, "03"))
        .await
        .unwrap();
    assert_eq!(r.order.state, OrderState::Failed);
    assert!(!r.credited);
    assert_eq!(balance(&t).await, 11_000);
    // A member card cannot pay for a recharge.
    let err = t
        .terminal
        .recharge_member(CARD, y(100), CARD)
        .await
        .unwrap_err();
    assert!(matches!(err, TerminalError::Invalid(_)), "{err:?}");
    let ledger = t.terminal.member_ledger(CARD).await.unwrap();
    let lines: Vec<(EntryKind, i64, i64)> = ledger
        .iter()
        .map(|l| (l.entry.kind, l.entry.amount.fen(), l.balance_after.fen()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (EntryKind::Recharge, 10_000, 10_000),
            (EntryKind::Bonus, 1_000, 11_000)
        ]
    );
}

#[tokio::test]
async fn a_recharge_paid_but_not_recorded_is_credited_once_by_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "01").await;
    with_member_and_bonus(&t).await;
    t.faults.set(LedgerFault::OrderUpdatesFail);
    let err = t
        .terminal
        .recharge_member(CARD, y(20_000), &code(3, "00"))
        .await
        .unwrap_err();
    let TerminalError::PaidNotRecorded { order, .. } = &err else {
        panic!("expected PaidNotRecorded, got {err:?}");
    };
    assert_eq!(
        balance(&t).await,
        0,
        "no credit before the paid state is recorded"
    );
    t.faults.set(LedgerFault::Healthy);
    t.terminal.recover_pending().await.unwrap();
    assert_eq!(
        t.store.order(&order.no).await.unwrap().unwrap().state,
        OrderState::Paid
    );
    assert_eq!(balance(&t).await, 23_000);
    // Recovering again credits nothing more.
    t.terminal.recover_pending().await.unwrap();
    assert_eq!(balance(&t).await, 23_000);
    // A credited recharge is not refunded or voided.
    let err = t
        .terminal
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
async fn card_payments_refunds_and_voids() {
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "01").await;
    with_member_and_bonus(&t).await;
    t.terminal
        .recharge_member(CARD, y(5_000), &code(4, "00"))
        .await
        .unwrap();

    let err = t.terminal.pay_member(CARD, y(5_001), "").await.unwrap_err();
    assert!(
        matches!(
            err,
            TerminalError::Store(StoreError::Member(MemberError::InsufficientBalance { balance, .. }))
                if balance == y(5_000)
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("50.00"), "{err}");

    let paid = t.terminal.pay_member(CARD, y(1_200), "").await.unwrap();
    assert_eq!(paid.state, OrderState::Paid);
    assert_eq!(paid.method, PaymentMethod::Wallet(Wallet::MemberCard));
    assert_eq!(balance(&t).await, 3_800);
    assert_eq!(
        t.gateway.count_calls("micro_pay"),
        1,
        "the card never goes to the cloud"
    );

    // Scanning the card's barcode at the ordinary payment pays from the card.
    let scanned = t
        .terminal
        .pay(PayInput {
            amount: y(300),
            code: CARD.into(),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap();
    assert_eq!(scanned.method, PaymentMethod::Wallet(Wallet::MemberCard));
    assert_eq!(balance(&t).await, 3_500);
    // The same card read twice at once is refused, not debited twice.
    let again = t
        .terminal
        .pay(PayInput {
            amount: y(300),
            code: CARD.into(),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(again, TerminalError::DuplicateScan(_)),
        "{again:?}"
    );
    assert_eq!(balance(&t).await, 3_500);

    let refunded = t
        .terminal
        .refund(RefundInput {
            order_no: paid.no.clone(),
            amount: y(200),
            reason: "退货".into(),
            authorization: None,
        })
        .await
        .unwrap();
    assert_eq!(refunded.order.refunded, y(200));
    assert_eq!(balance(&t).await, 3_700);
    assert_eq!(t.gateway.count_calls("refund"), 0);

    let voided = t.terminal.void(&scanned.no, None).await.unwrap();
    assert_eq!(voided.state, OrderState::Reversed);
    assert_eq!(balance(&t).await, 4_000);
    let kinds: Vec<EntryKind> = t
        .terminal
        .member_ledger(CARD)
        .await
        .unwrap()
        .iter()
        .map(|l| l.entry.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            EntryKind::Recharge,
            EntryKind::Payment,
            EntryKind::Payment,
            EntryKind::Refund,
            EntryKind::Refund
        ]
    );
}

#[tokio::test]
async fn adjustments_are_for_admins_with_a_reason_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "01").await;
    with_member_and_bonus(&t).await;
    let err = t
        .terminal
        .adjust_member(CARD, y(500), "goodwill")
        .await
        .unwrap_err();
    assert!(matches!(err, TerminalError::PermissionDenied(_)), "{err:?}");
    t.terminal
        .login(&ClerkId::parse("09").unwrap(), "pw09")
        .await
        .unwrap();
    let err = t
        .terminal
        .adjust_member(CARD, y(500), "  ")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("reason"), "{err}");
    let account = t
        .terminal
        .adjust_member(CARD, y(500), "goodwill")
        .await
        .unwrap();
    assert_eq!(account.balance, y(500));
    let log = t.store.recent(100).await.unwrap();
    assert!(
        log.iter()
            .any(|r| r.entry.action == "member_adjust" && r.entry.detail.contains("goodwill")),
        "audited"
    );
}

#[tokio::test]
async fn members_go_out_to_excel_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "01").await;
    with_member_and_bonus(&t).await;
    let file = dir.path().join("members.xlsx");
    assert_eq!(t.terminal.export_members(&file).await.unwrap(), 1);
    let other = tempfile::tempdir().unwrap();
    let t2 = as_clerk(other.path(), "01").await;
    let report = t2.terminal.import_members(&file).await.unwrap();
    assert_eq!((report.rows, report.imported), (1, 1));
    assert!(report.errors.is_empty());
    assert_eq!(t2.terminal.member(CARD).await.unwrap().card.name, "张三");
}

#[tokio::test]
async fn the_card_chosen_at_checkout_pays_the_cart_and_takes_stock() {
    use cloudpos_domain::catalog::{Cart, Commodity};
    let dir = tempfile::tempdir().unwrap();
    let t = as_clerk(dir.path(), "01").await;
    with_member_and_bonus(&t).await;
    t.terminal
        .recharge_member(CARD, y(5_000), &code(7, "00"))
        .await
        .unwrap();
    let item = Commodity {
        sku: "A1".into(),
        barcode: None,
        name: "可乐".into(),
        category: String::new(),
        unit: "瓶".into(),
        price: y(350),
        stock: 5,
    };
    t.terminal.save_commodity(&item).await.unwrap();
    let mut cart = Cart::new();
    cart.add(&item, 2).unwrap();
    let order = t.terminal.checkout_by_card(&cart, CARD, "").await.unwrap();
    assert_eq!(order.state, OrderState::Paid);
    assert_eq!(order.method, PaymentMethod::Wallet(Wallet::MemberCard));
    assert_eq!((order.amount, order.lines.len()), (y(700), 1));
    assert_eq!(balance(&t).await, 4_300);
    let stock = |t: &TestTerminal| {
        let t = t.terminal.clone();
        async move { t.commodity_by_code("A1").await.unwrap().unwrap().stock }
    };
    assert_eq!(stock(&t).await, 3);

    // More than the card holds: refused with the balance, nothing debited or sold.
    t.terminal
        .save_commodity(&Commodity {
            price: y(2_000),
            stock: 3,
            ..item.clone()
        })
        .await
        .unwrap();
    let mut dear = Cart::new();
    dear.add(
        &t.terminal.commodity_by_code("A1").await.unwrap().unwrap(),
        3,
    )
    .unwrap();
    let err = t
        .terminal
        .checkout_by_card(&dear, CARD, "")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TerminalError::Store(StoreError::Member(MemberError::InsufficientBalance { balance, .. }))
                if balance == y(4_300)
        ),
        "{err:?}"
    );
    assert_eq!(balance(&t).await, 4_300);
    assert_eq!(stock(&t).await, 3);
    assert!(
        t.terminal
            .checkout_by_card(&Cart::new(), CARD, "")
            .await
            .is_err()
    );
}
