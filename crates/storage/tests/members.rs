//! Member cards in the ledger: the balance as the sum of entries, the recharge credited
//! exactly once by the transaction that records it paid (and never otherwise), card
//! payments debited with their order, refunds and voids back to the card, adjustments, and
//! the row checks.

mod common;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::member::{
    CardNo, EntryKind, MemberCard, MemberEntry, MemberError, MemberStatus, Recharge,
};
use cloudpos_domain::member_ports::MemberLedger;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::RefundNo;
use cloudpos_domain::ports::{Ledger, StoreError};
use cloudpos_domain::refund::{NewRefund, Refund};
use cloudpos_storage::Store;
use common::{open, order, t};

fn card(no: &str) -> CardNo {
    CardNo::parse(no).unwrap()
}

async fn with_card(store: &Store, no: &str) {
    store
        .add_member(&MemberCard::new(card(no), "张三", "13800138000", t(0)).unwrap())
        .await
        .unwrap();
}

fn y(fen: i64) -> Money {
    Money::from_fen(fen)
}

async fn balance(store: &Store, no: &str) -> i64 {
    store
        .member(&card(no))
        .await
        .unwrap()
        .unwrap()
        .balance
        .fen()
}

fn card_order(no: &str, fen: i64) -> Order {
    let mut o = order(no, fen, 3);
    o.method = PaymentMethod::Wallet(Wallet::MemberCard);
    o.code_masked = None;
    o.mark_paid(None, t(3), t(3)).unwrap();
    o
}

fn adjustment(no: &str, fen: i64, reason: &str) -> MemberEntry {
    MemberEntry {
        card_no: card(no),
        kind: EntryKind::Adjustment,
        amount: y(fen),
        reference: None,
        reason: Some(reason.into()),
        clerk_id: Some(ClerkId::parse("09").unwrap()),
        at: t(9),
    }
}

#[tokio::test]
async fn cards_are_added_once_and_found_by_number_or_phone() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    with_card(&store, "9900000000000001").await;
    let again = store
        .add_member(&MemberCard::new(card("9900000000000001"), "李四", "", t(1)).unwrap())
        .await;
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    let found = store.members_by_phone("13800138000").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].card.name, "张三");
    assert_eq!(found[0].balance, Money::ZERO);
    assert!(
        store
            .member(&card("9900000000000002"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_recharge_is_credited_only_by_its_paid_transaction_and_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    with_card(&store, "9900000000000001").await;
    let o = order("P1A0000000000000001", 10_000, 1);
    let recharge = Recharge {
        card_no: card("9900000000000001"),
        amount: y(10_000),
        bonus: y(1_000),
    };
    store.insert_recharge_intent(&o, &recharge).await.unwrap();
    assert_eq!(balance(&store, "9900000000000001").await, 0);

    // Unknown, then paid: credited with the paid state, not before.
    let mut unknown = o.clone();
    unknown.mark_unknown("lost answer", t(2)).unwrap();
    store
        .update_order(&unknown, OrderState::Submitted)
        .await
        .unwrap();
    assert_eq!(balance(&store, "9900000000000001").await, 0);
    let mut paid = unknown.clone();
    paid.mark_paid(Some("tx".into()), t(3), t(3)).unwrap();
    store
        .update_order(&paid, OrderState::Unknown)
        .await
        .unwrap();
    assert_eq!(balance(&store, "9900000000000001").await, 11_000);
    let record = store.recharge_of(&o.no).await.unwrap().unwrap();
    assert!(record.credited);

    // A second writer that read "unknown" loses the compare-and-set and credits nothing;
    // re-writing "paid" over "paid" credits nothing either.
    assert!(matches!(
        store.update_order(&paid, OrderState::Unknown).await,
        Err(StoreError::Conflict(_))
    ));
    store.update_order(&paid, OrderState::Paid).await.unwrap();
    assert_eq!(balance(&store, "9900000000000001").await, 11_000);
    let kinds: Vec<(EntryKind, i64)> = store
        .entries(&card("9900000000000001"))
        .await
        .unwrap()
        .iter()
        .map(|e| (e.kind, e.amount.fen()))
        .collect();
    assert_eq!(
        kinds,
        vec![(EntryKind::Recharge, 10_000), (EntryKind::Bonus, 1_000)]
    );

    // A credited recharge is neither voided nor refunded.
    let mut void = paid.clone();
    void.begin_reverse("void", t(4)).unwrap();
    assert!(matches!(
        store.update_order(&void, OrderState::Paid).await,
        Err(StoreError::Conflict(_))
    ));
    let refund = Refund::new(
        &paid,
        &[],
        NewRefund {
            no: RefundNo::parse("R0000000000000000001").unwrap(),
            amount: y(100),
            reason: "x".into(),
            clerk_id: ClerkId::parse("01").unwrap(),
            authorized_by: None,
            shift_id: None,
        },
        t(5),
    )
    .unwrap();
    assert!(matches!(
        store.insert_refund(&refund).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(balance(&store, "9900000000000001").await, 11_000);
}

#[tokio::test]
async fn a_recharge_that_fails_or_is_reversed_credits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    with_card(&store, "9900000000000001").await;
    let recharge = |fen| Recharge {
        card_no: card("9900000000000001"),
        amount: y(fen),
        bonus: y(0),
    };
    let o1 = order("P1A0000000000000001", 500, 1);
    store
        .insert_recharge_intent(&o1, &recharge(500))
        .await
        .unwrap();
    let mut failed = o1.clone();
    failed.mark_failed("declined", t(2)).unwrap();
    store
        .update_order(&failed, OrderState::Submitted)
        .await
        .unwrap();
    let o2 = order("P1A0000000000000002", 700, 1);
    store
        .insert_recharge_intent(&o2, &recharge(700))
        .await
        .unwrap();
    let mut rev = o2.clone();
    rev.begin_reverse("timeout", t(2)).unwrap();
    store
        .update_order(&rev, OrderState::Submitted)
        .await
        .unwrap();
    let mut done = rev.clone();
    done.mark_reversed(t(3)).unwrap();
    store
        .update_order(&done, OrderState::Reversing)
        .await
        .unwrap();
    assert_eq!(balance(&store, "9900000000000001").await, 0);
    assert!(!store.recharge_of(&o2.no).await.unwrap().unwrap().credited);
    // An intent whose amount differs from the order's is refused.
    let o3 = order("P1A0000000000000003", 700, 1);
    assert!(
        store
            .insert_recharge_intent(&o3, &recharge(800))
            .await
            .is_err()
    );
    // A frozen card is not recharged.
    let mut frozen = MemberCard::new(card("9900000000000001"), "张三", "", t(0)).unwrap();
    frozen.status = MemberStatus::Frozen;
    store.upsert_members(&[frozen]).await.unwrap();
    assert!(matches!(
        store.insert_recharge_intent(&o3, &recharge(700)).await,
        Err(StoreError::Member(MemberError::NotActive(_)))
    ));
    assert!(
        store.order(&o3.no).await.unwrap().is_none(),
        "nothing written"
    );
}

#[tokio::test]
async fn card_payments_debit_with_their_order_and_refunds_go_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    with_card(&store, "9900000000000001").await;
    store
        .adjust(&adjustment("9900000000000001", 5_000, "opening balance"))
        .await
        .unwrap();

    let too_much = card_order("P1A0000000000000001", 5_001);
    let err = store
        .pay_with_card(&too_much, &card("9900000000000001"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Member(MemberError::InsufficientBalance { balance, .. }) if balance == y(5_000)
        ),
        "{err:?}"
    );
    assert!(store.order(&too_much.no).await.unwrap().is_none());

    let paid = card_order("P1A0000000000000002", 3_000);
    store
        .pay_with_card(&paid, &card("9900000000000001"))
        .await
        .unwrap();
    assert_eq!(balance(&store, "9900000000000001").await, 2_000);
    assert_eq!(
        store.order(&paid.no).await.unwrap().unwrap().state,
        OrderState::Paid
    );

    // A refund recorded succeeded (as the till does for card payments) goes back.
    let mut refund = Refund::new(
        &paid,
        &[],
        NewRefund {
            no: RefundNo::parse("R0000000000000000001").unwrap(),
            amount: y(1_000),
            reason: "returned".into(),
            clerk_id: ClerkId::parse("01").unwrap(),
            authorized_by: None,
            shift_id: None,
        },
        t(5),
    )
    .unwrap();
    refund.mark_succeeded(None, t(5)).unwrap();
    store.insert_refund(&refund).await.unwrap();
    assert_eq!(balance(&store, "9900000000000001").await, 3_000);

    // A void of another card payment returns it whole.
    let second = card_order("P1A0000000000000003", 500);
    store
        .pay_with_card(&second, &card("9900000000000001"))
        .await
        .unwrap();
    assert_eq!(balance(&store, "9900000000000001").await, 2_500);
    let mut v = second.clone();
    v.begin_reverse("void", t(6)).unwrap();
    store.update_order(&v, OrderState::Paid).await.unwrap();
    let mut r = v.clone();
    r.mark_reversed(t(6)).unwrap();
    store.update_order(&r, OrderState::Reversing).await.unwrap();
    assert_eq!(balance(&store, "9900000000000001").await, 3_000);
}

#[tokio::test]
async fn adjustments_need_a_reason_and_cannot_overdraw() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    with_card(&store, "9900000000000001").await;
    assert!(matches!(
        store
            .adjust(&adjustment("9900000000000001", 100, " "))
            .await,
        Err(StoreError::Member(MemberError::ReasonRequired))
    ));
    store
        .adjust(&adjustment("9900000000000001", 100, "goodwill"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .adjust(&adjustment("9900000000000001", -101, "oops"))
            .await,
        Err(StoreError::Member(MemberError::InsufficientBalance { .. }))
    ));
    assert!(matches!(
        store
            .adjust(&adjustment("9900000000000009", 100, "no card"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(balance(&store, "9900000000000001").await, 100);
}

#[tokio::test]
async fn an_edited_entry_stops_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path()).await;
        with_card(&store, "9900000000000001").await;
        store
            .adjust(&adjustment("9900000000000001", 100, "goodwill"))
            .await
            .unwrap();
        store.close().await;
    }
    let db = dir.path().join(cloudpos_storage::DATABASE_FILE);
    let conn = rusqlite_free_edit(&db).await;
    drop(conn);
    let Err(err) = Store::open(dir.path(), common::options()).await else {
        panic!("the edited ledger opened");
    };
    assert!(err.to_string().contains("9900000000000001"), "{err}");
}

/// Raises an entry's amount behind the ledger's back (as disk damage or an editor would).
async fn rusqlite_free_edit(db: &std::path::Path) -> sqlx::SqliteConnection {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE member_entries SET amount_fen = 100000")
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}
