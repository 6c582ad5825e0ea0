//! Deposits in the ledger: the intent, compare-and-set, the consume with its paid order in
//! one transaction, the amounts' invariants, listing, the shared number sequence and the
//! row check.

mod common;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::deposit::{Deposit, DepositState, DepositStatus, NewDeposit};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::{FreezeNo, OrderNo, UnfreezeNo};
use cloudpos_domain::ports::{DepositFilter, DepositLedger, Ledger, StoreError};
use cloudpos_domain::refund::{NewRefund, Refund};
use cloudpos_storage::Store;
use common::{open, open_unchecked, options, t};

fn deposit(no: &str, fen: i64, at: i64) -> Deposit {
    Deposit::new(
        NewDeposit {
            no: FreezeNo::parse(no).unwrap(),
            wallet: Wallet::WeChat,
            amount: Money::from_fen(fen),
            code_masked: "1345**********7600".into(),
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            clerk_id: ClerkId::parse("02").unwrap(),
            shift_id: None,
            body: "押金".into(),
            remark: "302".into(),
        },
        t(at),
    )
}

fn frozen(no: &str, fen: i64, at: i64) -> Deposit {
    let mut d = deposit(no, fen, at);
    d.mark_frozen(Some("auth".into()), t(at), t(at)).unwrap();
    d
}

fn consume_order(d: &Deposit) -> Order {
    let mut o = Order::new(
        NewOrder {
            no: d.consume_no.clone().unwrap(),
            method: PaymentMethod::Wallet(d.wallet),
            amount: d.consumed,
            code_masked: Some(d.code_masked.clone()),
            store_id: d.store_id.clone(),
            device_id: d.device_id.clone(),
            clerk_id: d.clerk_id.clone(),
            shift_id: None,
            body: d.body.clone(),
            remark: d.remark.clone(),
        },
        t(5),
    );
    o.mark_paid(Some("tx".into()), t(5), t(5)).unwrap();
    o
}

#[tokio::test]
async fn intent_update_and_consume_with_its_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let d = deposit("F0000000000000000001", 10_000, 1);
    store.insert_deposit(&d).await.unwrap();
    assert!(matches!(
        store.insert_deposit(&d).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(store.unfinished_deposits().await.unwrap().len(), 1);

    let mut f = d.clone();
    f.mark_frozen(Some("auth1".into()), t(2), t(2)).unwrap();
    store
        .update_deposit(&f, DepositState::Freezing)
        .await
        .unwrap();
    // A second writer that read the old state loses.
    let mut stale = d.clone();
    stale.mark_failed("late", t(3)).unwrap();
    assert!(matches!(
        store.update_deposit(&stale, DepositState::Freezing).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store.unfinished_deposits().await.unwrap().is_empty());

    let mut c = f.clone();
    c.begin_consume(
        OrderNo::parse("C0000000000000000001").unwrap(),
        Money::from_fen(3_000),
        &ClerkId::parse("02").unwrap(),
        t(4),
    )
    .unwrap();
    store
        .update_deposit(&c, DepositState::Frozen)
        .await
        .unwrap();
    assert_eq!(store.unfinished_deposits().await.unwrap().len(), 1);
    let mut done = c.clone();
    done.mark_consumed(Some(Money::from_fen(7_000)), t(5))
        .unwrap();
    let order = consume_order(&done);
    store
        .finish_consume(&done, DepositState::Consuming, &order)
        .await
        .unwrap();
    let read = store.deposit(&d.no).await.unwrap().unwrap();
    assert_eq!(read.state, DepositState::Consumed);
    assert_eq!((read.consumed.fen(), read.unfrozen.fen()), (3_000, 7_000));
    assert_eq!(
        store.order(&order.no).await.unwrap().unwrap().state,
        OrderState::Paid
    );
    assert_eq!(
        store
            .deposit_of_consume(&order.no)
            .await
            .unwrap()
            .unwrap()
            .no,
        d.no
    );

    // A refund of the consume order shows as the deposit's refunded total.
    let mut refund = Refund::new(
        &order,
        &[],
        NewRefund {
            no: "R0000000000000000001".parse().unwrap(),
            amount: Money::from_fen(1_000),
            reason: String::new(),
            clerk_id: ClerkId::parse("02").unwrap(),
            authorized_by: None,
            shift_id: None,
        },
        t(6),
    )
    .unwrap();
    store.insert_refund(&refund).await.unwrap();
    refund.mark_succeeded(None, t(7)).unwrap();
    store
        .update_refund(&refund, cloudpos_domain::refund::RefundState::Requested)
        .await
        .unwrap();
    let read = store.deposit(&d.no).await.unwrap().unwrap();
    assert_eq!(read.refunded, Money::from_fen(1_000));
    read.check_invariants().unwrap();
}

#[tokio::test]
async fn amounts_that_break_the_invariants_are_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let d = frozen("F0000000000000000002", 500, 1);
    store.insert_deposit(&d).await.unwrap();
    let mut bad = d.clone();
    bad.consumed = Money::from_fen(400);
    bad.unfrozen = Money::from_fen(200);
    let err = store
        .update_deposit(&bad, DepositState::Frozen)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("above the frozen"), "{err}");
    // A consume whose order does not match the deposit is refused whole.
    let mut c = d.clone();
    c.begin_consume(
        OrderNo::parse("C0000000000000000002").unwrap(),
        Money::from_fen(100),
        &ClerkId::parse("02").unwrap(),
        t(2),
    )
    .unwrap();
    store
        .update_deposit(&c, DepositState::Frozen)
        .await
        .unwrap();
    let mut done = c.clone();
    done.mark_consumed(None, t(3)).unwrap();
    let mut wrong = consume_order(&done);
    wrong.amount = Money::from_fen(99);
    assert!(matches!(
        store
            .finish_consume(&done, DepositState::Consuming, &wrong)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let read = store.deposit(&d.no).await.unwrap().unwrap();
    assert_eq!(read.state, DepositState::Consuming, "nothing written");
    assert!(store.order(&wrong.no).await.unwrap().is_none());
}

#[tokio::test]
async fn listing_filters_and_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let a = frozen("sz0100AAAA2611010000010001", 100, 10);
    let mut b = deposit("sz0100AAAA2611010000020001", 200, 20);
    b.mark_failed("余额不足", t(20)).unwrap();
    let mut c = frozen("sz0100AAAA2611010000030001", 300, 30);
    store.insert_deposit(&a).await.unwrap();
    store.insert_deposit(&b).await.unwrap();
    store.insert_deposit(&c).await.unwrap();
    let before = c.state;
    c.begin_unfreeze(
        UnfreezeNo::parse("sz0100AAAA2611010000040001").unwrap(),
        Some(&ClerkId::parse("01").unwrap()),
        None,
        None,
        t(40),
    )
    .unwrap();
    store.update_deposit(&c, before).await.unwrap();
    let all = store.deposits(&DepositFilter::default()).await.unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(all.items[0].no, c.no, "newest first");
    let by = |status| DepositFilter {
        status: Some(status),
        ..DepositFilter::default()
    };
    assert_eq!(
        store
            .deposits(&by(DepositStatus::Frozen))
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        store
            .deposits(&by(DepositStatus::Failed))
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        store
            .deposits(&by(DepositStatus::Unknown))
            .await
            .unwrap()
            .total,
        1
    );
    let window = DepositFilter {
        from: Some(t(15)),
        to: Some(t(25)),
        ..DepositFilter::default()
    };
    assert_eq!(store.deposits(&window).await.unwrap().items[0].no, b.no);
    // The release number in flight is among the latest numbers (the generator resumes
    // after it).
    let latest = store.latest_numbers().await.unwrap();
    assert!(
        latest.contains(&"sz0100AAAA2611010000040001".to_owned()),
        "{latest:?}"
    );
    assert!(
        latest.contains(&"sz0100AAAA2611010000030001".to_owned()),
        "{latest:?}"
    );
}

#[tokio::test]
async fn a_changed_deposit_row_is_refused() {
    for (column, value) in [
        ("frozen_fen", "frozen_fen + 1"),
        ("consumed_fen", "1"),
        ("state", "'unfrozen'"),
        ("row_check", "0"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path()).await;
        store
            .insert_deposit(&frozen("F0000000000000000009", 900, 1))
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE deposits SET {column} = {value}"
        )))
        .execute(store.pool())
        .await
        .unwrap();
        store.pool().close().await;
        drop(store);
        let Err(err) = Store::open(dir.path(), options()).await else {
            panic!("{column}: the damaged ledger opened");
        };
        assert!(
            err.to_string().contains("deposit F0000000000000000009"),
            "{err}"
        );
        let unchecked = open_unchecked(dir.path()).await;
        assert!(matches!(
            unchecked.deposits(&DepositFilter::default()).await,
            Err(StoreError::Corrupt(_))
        ));
    }
}
