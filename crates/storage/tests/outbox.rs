//! The till's outbox for a head office: every ledger write enqueues exactly one change per
//! record it changed, in its own transaction (a write that fails enqueues nothing); numbers
//! are gapless and never reused across acknowledgements and reopening; a disabled outbox
//! stays empty; the backfill runs once; the records are the contract's and validate; the
//! managed catalogue follows the conflict rule.
#![allow(missing_docs)]

mod common;

use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::deposit::{Deposit, DepositState, NewDeposit};
use cloudpos_domain::hq_ports::{HeadOfficeStore, ManagedCommodity};
use cloudpos_domain::member::{CardNo, EntryKind, MemberCard, MemberEntry, Recharge};
use cloudpos_domain::member_ports::MemberLedger;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::{FreezeNo, OrderNo, RefundNo, UnfreezeNo};
use cloudpos_domain::ports::{AuditEntry, AuditTrail, Catalog, DepositLedger, Ledger, StoreError};
use cloudpos_domain::refund::{NewRefund, Refund, RefundState};
use cloudpos_hq_protocol::{
    AuditRecord, Change, DepositRecord, OrderRecord, Record, RefundRecord, ShiftRecord,
};
use cloudpos_storage::Store;
use common::{open, order, paid, t};

fn clerk02() -> ClerkId {
    ClerkId::parse("02").unwrap()
}

fn refund_of(o: &Order, no: &str, fen: i64) -> Refund {
    Refund::new(
        o,
        &[],
        NewRefund {
            no: RefundNo::parse(no).unwrap(),
            amount: Money::from_fen(fen),
            reason: "退货".into(),
            clerk_id: clerk02(),
            authorized_by: None,
            shift_id: None,
        },
        t(3),
    )
    .unwrap()
}

fn audit(action: &str) -> AuditEntry {
    AuditEntry {
        at: t(60),
        actor: "02".into(),
        action: action.into(),
        detail: "{}".into(),
    }
}

/// The changes after `after`, checked: the stored kind is the record's, the JSON parses as
/// the contract's `Record`, and the change validates as it will travel.
async fn changes(store: &Store, after: i64) -> Vec<(i64, Record)> {
    store
        .outbox_batch(after, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let record: Record = serde_json::from_str(&e.record_json).unwrap();
            assert_eq!(record.kind(), e.kind, "change {}", e.seq);
            record.validate().unwrap();
            Change {
                seq: e.seq,
                at: e.at.unix_millis(),
                record: record.clone(),
            }
            .validate()
            .unwrap();
            (e.seq, record)
        })
        .collect()
}

async fn last_seq(store: &Store) -> i64 {
    store.outbox_state().await.unwrap().last_seq
}

/// Runs a write and returns the records it enqueued, checking their numbers follow on.
async fn enqueued_by<F: std::future::Future<Output = ()>>(store: &Store, write: F) -> Vec<Record> {
    let before = last_seq(store).await;
    write.await;
    let got = changes(store, before).await;
    let seqs: Vec<i64> = got.iter().map(|(s, _)| *s).collect();
    let expected: Vec<i64> = (before + 1..=last_seq(store).await).collect();
    assert_eq!(seqs, expected, "numbers follow on without gaps");
    got.into_iter().map(|(_, r)| r).collect()
}

async fn order_record(store: &Store, no: &OrderNo) -> Record {
    Record::Order(OrderRecord::from_order(
        &store.order(no).await.unwrap().unwrap(),
    ))
}

async fn refund_record(store: &Store, no: &str) -> Record {
    Record::Refund(RefundRecord::from_refund(
        &store
            .refund(&RefundNo::parse(no).unwrap())
            .await
            .unwrap()
            .unwrap(),
    ))
}

#[tokio::test]
async fn a_disabled_outbox_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    assert!(!store.outbox_enabled().await.unwrap());
    let mut o = order("P1A0000000000000001", 1000, 1);
    store.insert_order(&o).await.unwrap();
    o.mark_paid(Some("tx".into()), t(2), t(2)).unwrap();
    store.update_order(&o, OrderState::Submitted).await.unwrap();
    let mut r = refund_of(&o, "R1A0000000000000001", 300);
    store.insert_refund(&r).await.unwrap();
    r.mark_succeeded(None, t(3)).unwrap();
    store
        .update_refund(&r, RefundState::Requested)
        .await
        .unwrap();
    let s = store.open_shift(&clerk02(), t(4)).await.unwrap();
    store.close_shift(s.id, t(5)).await.unwrap();
    store.append(&audit("refund")).await.unwrap();
    let d = deposit("F0000000000000000001", 10_000, 6);
    store.insert_deposit(&d).await.unwrap();
    let mut f = d.clone();
    f.mark_frozen(Some("auth1".into()), t(6), t(6)).unwrap();
    store
        .update_deposit(&f, DepositState::Freezing)
        .await
        .unwrap();

    let state = store.outbox_state().await.unwrap();
    assert_eq!((state.pending, state.last_seq), (0, 0));
    assert!(state.oldest_at.is_none());
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn every_ledger_write_enqueues_its_record_after_the_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    assert_eq!(store.start_outbox().await.unwrap(), 0);
    assert!(store.outbox_enabled().await.unwrap());

    // Orders: the intent, then every update (state and other fields).
    let mut o = order("P1A0000000000000001", 1000, 1);
    let got = enqueued_by(&store, async { store.insert_order(&o).await.unwrap() }).await;
    assert_eq!(got, vec![order_record(&store, &o.no).await]);
    o.mark_user_paying(t(2)).unwrap();
    let got = enqueued_by(&store, async {
        store.update_order(&o, OrderState::Submitted).await.unwrap();
    })
    .await;
    assert_eq!(got, vec![order_record(&store, &o.no).await]);
    o.mark_paid(Some("4200".into()), t(3), t(3)).unwrap();
    let got = enqueued_by(&store, async {
        store
            .update_order(&o, OrderState::UserPaying)
            .await
            .unwrap();
    })
    .await;
    let Record::Order(rec) = &got[0] else {
        panic!("an order")
    };
    assert_eq!((rec.state.as_str(), rec.refunded_fen), ("paid", 0));
    assert_eq!(got, vec![order_record(&store, &o.no).await]);

    // Refunds: the intent and each update; the success also changes the order's total.
    let mut r = refund_of(&o, "R1A0000000000000001", 300);
    let got = enqueued_by(&store, async { store.insert_refund(&r).await.unwrap() }).await;
    assert_eq!(
        got,
        vec![refund_record(&store, "R1A0000000000000001").await]
    );
    r.mark_processing(Some("rf1".into()), t(4)).unwrap();
    let got = enqueued_by(&store, async {
        store
            .update_refund(&r, RefundState::Requested)
            .await
            .unwrap();
    })
    .await;
    assert_eq!(
        got,
        vec![refund_record(&store, "R1A0000000000000001").await]
    );
    r.mark_succeeded(None, t(5)).unwrap();
    let got = enqueued_by(&store, async {
        store
            .update_refund(&r, RefundState::Processing)
            .await
            .unwrap();
    })
    .await;
    assert_eq!(
        got,
        vec![
            refund_record(&store, "R1A0000000000000001").await,
            order_record(&store, &o.no).await
        ]
    );
    let Record::Order(rec) = &got[1] else {
        panic!("an order")
    };
    assert_eq!(rec.refunded_fen, 300);
    // A refund written already succeeded: the refund and the order's total.
    let mut r2 = refund_of(&o, "R1A0000000000000002", 200);
    r2.mark_succeeded(Some("rf2".into()), t(6)).unwrap();
    let got = enqueued_by(&store, async { store.insert_refund(&r2).await.unwrap() }).await;
    assert_eq!(
        got,
        vec![
            refund_record(&store, "R1A0000000000000002").await,
            order_record(&store, &o.no).await
        ]
    );

    // Shifts: opened; opening the next one hands the open one over; closing; closing again
    // changes nothing and enqueues nothing.
    let mut s1 = None;
    let got = enqueued_by(&store, async {
        s1 = Some(store.open_shift(&clerk02(), t(7)).await.unwrap());
    })
    .await;
    let s1 = s1.unwrap();
    assert_eq!(got, vec![Record::Shift(ShiftRecord::from_shift(&s1))]);
    let mut s2 = None;
    let got = enqueued_by(&store, async {
        s2 = Some(store.open_shift(&clerk02(), t(8)).await.unwrap());
    })
    .await;
    let s2 = s2.unwrap();
    let closed1 = store.shift(s1.id).await.unwrap().unwrap();
    assert_eq!(closed1.closed_at, Some(t(8)));
    assert_eq!(
        got,
        vec![
            Record::Shift(ShiftRecord::from_shift(&closed1)),
            Record::Shift(ShiftRecord::from_shift(&s2))
        ]
    );
    let got = enqueued_by(&store, async {
        store.close_shift(s2.id, t(9)).await.unwrap();
    })
    .await;
    assert_eq!(
        got,
        vec![Record::Shift(ShiftRecord::from_shift(
            &store.shift(s2.id).await.unwrap().unwrap()
        ))]
    );
    let got = enqueued_by(&store, async {
        store.close_shift(s2.id, t(10)).await.unwrap();
    })
    .await;
    assert!(got.is_empty(), "a shift closed already did not change");

    // Audit entries.
    let mut appended = None;
    let got = enqueued_by(&store, async {
        appended = Some(store.append(&audit("refund")).await.unwrap());
    })
    .await;
    assert_eq!(
        got,
        vec![Record::Audit(AuditRecord::from_audit(&appended.unwrap()))]
    );

    // Fourteen changes, numbered 1 ..= 14: 3 of the order, 6 of refunds (two with the
    // order's total), 4 of shifts, 1 audit entry.
    let all = changes(&store, 0).await;
    assert_eq!(
        all.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        (1..=14).collect::<Vec<_>>()
    );
    let state = store.outbox_state().await.unwrap();
    assert_eq!((state.pending, state.last_seq), (14, 14));
    assert!(state.oldest_at.is_some());
}

fn card(no: &str) -> CardNo {
    CardNo::parse(no).unwrap()
}

fn card_order(no: &str, fen: i64) -> Order {
    let mut o = order(no, fen, 3);
    o.method = PaymentMethod::Wallet(Wallet::MemberCard);
    o.code_masked = None;
    o.mark_paid(None, t(3), t(3)).unwrap();
    o
}

#[tokio::test]
async fn member_card_writes_enqueue_the_orders_they_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store.start_outbox().await.unwrap();

    // Member cards: the card and its adjustments have no kind yet; the recharge order and the
    // card payment order travel as orders.
    let got = enqueued_by(&store, async {
        store
            .add_member(
                &MemberCard::new(card("9900000000000001"), "张三", "13800138000", t(0)).unwrap(),
            )
            .await
            .unwrap();
    })
    .await;
    assert!(got.is_empty());
    let o = order("P1A0000000000000001", 10_000, 1);
    let recharge = Recharge {
        card_no: card("9900000000000001"),
        amount: Money::from_fen(10_000),
        bonus: Money::from_fen(1_000),
    };
    let got = enqueued_by(&store, async {
        store.insert_recharge_intent(&o, &recharge).await.unwrap();
    })
    .await;
    assert_eq!(got, vec![order_record(&store, &o.no).await]);
    let mut p = o.clone();
    p.mark_paid(Some("tx".into()), t(2), t(2)).unwrap();
    let got = enqueued_by(&store, async {
        store.update_order(&p, OrderState::Submitted).await.unwrap();
    })
    .await;
    assert_eq!(got, vec![order_record(&store, &o.no).await]);
    let got = enqueued_by(&store, async {
        store
            .adjust(&MemberEntry {
                card_no: card("9900000000000001"),
                kind: EntryKind::Adjustment,
                amount: Money::from_fen(-100),
                reason: Some("纠错".into()),
                reference: None,
                clerk_id: Some(clerk02()),
                at: t(9),
            })
            .await
            .unwrap();
    })
    .await;
    assert!(got.is_empty());
    let c = card_order("P1A0000000000000002", 2_000);
    let got = enqueued_by(&store, async {
        store
            .pay_with_card(&c, &card("9900000000000001"))
            .await
            .unwrap();
    })
    .await;
    assert_eq!(got, vec![order_record(&store, &c.no).await]);
}

fn deposit(no: &str, fen: i64, at: i64) -> Deposit {
    Deposit::new(
        NewDeposit {
            no: FreezeNo::parse(no).unwrap(),
            wallet: Wallet::WeChat,
            amount: Money::from_fen(fen),
            code_masked: "1345**********7600".into(),
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            clerk_id: clerk02(),
            shift_id: None,
            body: "押金".into(),
            remark: "302".into(),
        },
        t(at),
    )
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

async fn deposit_record(store: &Store, no: &str) -> Record {
    Record::Deposit(DepositRecord::from_deposit(
        &store
            .deposit(&FreezeNo::parse(no).unwrap())
            .await
            .unwrap()
            .unwrap(),
    ))
}

#[tokio::test]
async fn every_deposit_write_enqueues_the_deposit_after_the_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store.start_outbox().await.unwrap();

    // The freeze: the intent, then the wallet's answer.
    let d = deposit("F0000000000000000001", 10_000, 1);
    let got = enqueued_by(&store, async { store.insert_deposit(&d).await.unwrap() }).await;
    assert_eq!(
        got,
        vec![deposit_record(&store, "F0000000000000000001").await]
    );
    assert_eq!(got, vec![Record::Deposit(DepositRecord::from_deposit(&d))]);
    let mut f = d.clone();
    f.mark_frozen(Some("auth1".into()), t(2), t(2)).unwrap();
    let got = enqueued_by(&store, async {
        store
            .update_deposit(&f, DepositState::Freezing)
            .await
            .unwrap();
    })
    .await;
    assert_eq!(got, vec![Record::Deposit(DepositRecord::from_deposit(&f))]);

    // The consume: its intent, then the deposit consumed with its paid order, in that order
    // and in one transaction.
    let mut c = f.clone();
    c.begin_consume(
        OrderNo::parse("C0000000000000000001").unwrap(),
        Money::from_fen(3_000),
        &clerk02(),
        t(4),
    )
    .unwrap();
    let got = enqueued_by(&store, async {
        store
            .update_deposit(&c, DepositState::Frozen)
            .await
            .unwrap();
    })
    .await;
    assert_eq!(got, vec![Record::Deposit(DepositRecord::from_deposit(&c))]);
    let mut done = c.clone();
    done.mark_consumed(Some(Money::from_fen(7_000)), t(5))
        .unwrap();
    let consume = consume_order(&done);
    let got = enqueued_by(&store, async {
        store
            .finish_consume(&done, DepositState::Consuming, &consume)
            .await
            .unwrap();
    })
    .await;
    assert_eq!(
        got,
        vec![
            Record::Deposit(DepositRecord::from_deposit(&done)),
            order_record(&store, &consume.no).await,
        ]
    );
    let Record::Deposit(rec) = &got[0] else {
        panic!("a deposit")
    };
    assert_eq!(
        (rec.state.as_str(), rec.consumed_fen, rec.released_fen),
        ("consumed", 3_000, 7_000)
    );

    // The release of another deposit: its intent, then released.
    let mut r = deposit("F0000000000000000002", 5_000, 6);
    r.mark_frozen(Some("auth2".into()), t(6), t(6)).unwrap();
    store.insert_deposit(&r).await.unwrap();
    let mut releasing = r.clone();
    releasing
        .begin_unfreeze(
            UnfreezeNo::parse("U0000000000000000001").unwrap(),
            Some(&clerk02()),
            None,
            Some("退房"),
            t(7),
        )
        .unwrap();
    let mut released = releasing.clone();
    released.mark_unfrozen(t(8)).unwrap();
    let got = enqueued_by(&store, async {
        store
            .update_deposit(&releasing, DepositState::Frozen)
            .await
            .unwrap();
        store
            .update_deposit(&released, DepositState::Unfreezing)
            .await
            .unwrap();
    })
    .await;
    assert_eq!(
        got,
        vec![
            Record::Deposit(DepositRecord::from_deposit(&releasing)),
            Record::Deposit(DepositRecord::from_deposit(&released)),
        ]
    );
    let Record::Deposit(rec) = &got[1] else {
        panic!("a deposit")
    };
    assert_eq!(
        (rec.state.as_str(), rec.released_fen, rec.pending_fen),
        ("unfrozen", 5_000, 0)
    );
}

#[tokio::test]
async fn a_deposit_write_that_fails_or_rolls_back_enqueues_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store.start_outbox().await.unwrap();
    let mut f = deposit("F0000000000000000001", 10_000, 1);
    f.mark_frozen(Some("auth1".into()), t(2), t(2)).unwrap();
    store.insert_deposit(&f).await.unwrap();
    let mut c = f.clone();
    c.begin_consume(
        OrderNo::parse("C0000000000000000001").unwrap(),
        Money::from_fen(3_000),
        &clerk02(),
        t(4),
    )
    .unwrap();
    store
        .update_deposit(&c, DepositState::Frozen)
        .await
        .unwrap();
    let committed = last_seq(&store).await;

    // Refused before anything is written: a duplicate freeze, a stale compare-and-set.
    assert!(matches!(
        store.insert_deposit(&f).await,
        Err(StoreError::Duplicate(_))
    ));
    assert!(matches!(
        store.update_deposit(&c, DepositState::Frozen).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(last_seq(&store).await, committed);

    // Refused after the deposit row and its change were written in the transaction (the
    // consume order's number is taken): the rollback takes the change and its number with it,
    // as a crash before the commit would.
    let mut done = c.clone();
    done.mark_consumed(None, t(5)).unwrap();
    let consume = consume_order(&done);
    store.insert_order(&consume).await.unwrap();
    let committed = last_seq(&store).await;
    assert!(
        store
            .finish_consume(&done, DepositState::Consuming, &consume)
            .await
            .is_err()
    );
    assert_eq!(last_seq(&store).await, committed);
    assert_eq!(changes(&store, committed).await.len(), 0);
    assert_eq!(
        store.deposit(&f.no).await.unwrap().unwrap().state,
        DepositState::Consuming
    );

    // The next change takes the next number: no gap.
    store.append(&audit("after")).await.unwrap();
    let all = changes(&store, 0).await;
    assert_eq!(
        all.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        (1..=committed + 1).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_write_that_fails_enqueues_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store.start_outbox().await.unwrap();
    let o = paid("P1A0000000000000001", 1000, 1);
    store.insert_order(&o).await.unwrap();
    let before = last_seq(&store).await;

    // Refused before anything is written: a duplicate, a stale compare-and-set, a refund
    // over the cap, a refund update that lost its race.
    assert!(store.insert_order(&o).await.is_err());
    let mut stale = o.clone();
    stale.remark = "changed".into();
    assert!(matches!(
        store.update_order(&stale, OrderState::Submitted).await,
        Err(StoreError::Conflict(_))
    ));
    let mut over = refund_of(&o, "R1A0000000000000001", 1000);
    over.amount = Money::from_fen(1001);
    assert!(store.insert_refund(&over).await.is_err());
    let r = refund_of(&o, "R1A0000000000000002", 100);
    store.insert_refund(&r).await.unwrap();
    let before_r = last_seq(&store).await;
    assert_eq!(before_r, before + 1);
    let mut lost = r.clone();
    lost.mark_processing(None, t(3)).unwrap();
    assert!(matches!(
        store.update_refund(&lost, RefundState::Processing).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(last_seq(&store).await, before_r);

    // Refused after the order row and its change were written in the transaction: voiding a
    // credited recharge. The rollback takes the change and its number with it.
    MemberLedger::add_member(
        &store,
        &MemberCard::new(card("9900000000000001"), "张三", "13800138000", t(0)).unwrap(),
    )
    .await
    .unwrap();
    let rc = order("P1A0000000000000003", 5_000, 1);
    store
        .insert_recharge_intent(
            &rc,
            &Recharge {
                card_no: card("9900000000000001"),
                amount: Money::from_fen(5_000),
                bonus: Money::ZERO,
            },
        )
        .await
        .unwrap();
    let mut rc_paid = rc.clone();
    rc_paid.mark_paid(Some("tx".into()), t(2), t(2)).unwrap();
    store
        .update_order(&rc_paid, OrderState::Submitted)
        .await
        .unwrap();
    let committed = last_seq(&store).await;
    let mut voided = rc_paid.clone();
    voided.begin_reverse("void", t(4)).unwrap();
    assert!(matches!(
        store.update_order(&voided, OrderState::Paid).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(last_seq(&store).await, committed);
    assert_eq!(changes(&store, committed).await.len(), 0);

    // The next change takes the next number: no gap.
    store.append(&audit("after")).await.unwrap();
    let all = changes(&store, 0).await;
    assert_eq!(
        all.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        (1..=committed + 1).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn numbers_are_gapless_and_never_reused_across_acknowledgements_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path()).await;
        store.start_outbox().await.unwrap();
        for i in 0..5 {
            store.append(&audit(&format!("a{i}"))).await.unwrap();
        }
        store.acknowledge(3).await.unwrap();
        let state = store.outbox_state().await.unwrap();
        assert_eq!(
            (state.pending, state.last_seq, state.acknowledged_through),
            (2, 5, 3)
        );
        assert_eq!(
            changes(&store, 0)
                .await
                .iter()
                .map(|(s, _)| *s)
                .collect::<Vec<_>>(),
            vec![4, 5]
        );
        // A lower acknowledgement changes nothing; one beyond what was written is refused.
        store.acknowledge(2).await.unwrap();
        assert_eq!(store.outbox_state().await.unwrap().acknowledged_through, 3);
        assert!(matches!(
            store.acknowledge(6).await,
            Err(StoreError::Conflict(msg)) if msg.contains('6') && msg.contains('5')
        ));
        store.acknowledge(5).await.unwrap();
        let state = store.outbox_state().await.unwrap();
        assert_eq!((state.pending, state.last_seq), (0, 5));
        assert!(state.oldest_at.is_none());
        store.close().await;
    }
    // Everything was deleted; reopening does not give a number back.
    let store = open(dir.path()).await;
    assert!(store.outbox_enabled().await.unwrap());
    assert_eq!(store.start_outbox().await.unwrap(), 0);
    store.append(&audit("after")).await.unwrap();
    let after = changes(&store, 0).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].0, 6);
    let state = store.outbox_state().await.unwrap();
    assert_eq!(
        (state.pending, state.last_seq, state.acknowledged_through),
        (1, 6, 5)
    );
}

#[tokio::test]
async fn the_backfill_enqueues_the_ledger_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let shift = store.open_shift(&clerk02(), t(0)).await.unwrap();
    let a = paid("P1A0000000000000001", 1000, 1);
    let b = order("P1A0000000000000002", 2000, 2);
    store.insert_order(&a).await.unwrap();
    store.insert_order(&b).await.unwrap();
    let mut r = refund_of(&a, "R1A0000000000000001", 400);
    r.mark_succeeded(None, t(3)).unwrap();
    store.insert_refund(&r).await.unwrap();
    let mut dep = deposit("F0000000000000000001", 10_000, 2);
    dep.mark_frozen(Some("auth1".into()), t(2), t(2)).unwrap();
    store.insert_deposit(&dep).await.unwrap();
    let e1 = store.append(&audit("one")).await.unwrap();
    let e2 = store.append(&audit("two")).await.unwrap();

    assert_eq!(store.start_outbox().await.unwrap(), 7);
    let got: Vec<Record> = changes(&store, 0)
        .await
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    assert_eq!(
        got,
        vec![
            Record::Shift(ShiftRecord::from_shift(&shift)),
            order_record(&store, &a.no).await,
            order_record(&store, &b.no).await,
            refund_record(&store, "R1A0000000000000001").await,
            Record::Deposit(DepositRecord::from_deposit(&dep)),
            Record::Audit(AuditRecord::from_audit(&e1)),
            Record::Audit(AuditRecord::from_audit(&e2)),
        ]
    );
    // The order carries its refunded total as it stands.
    let Record::Order(rec) = &got[1] else {
        panic!("an order")
    };
    assert_eq!(rec.refunded_fen, 400);

    // Again, and after reopening: nothing more.
    assert_eq!(store.start_outbox().await.unwrap(), 0);
    store.close().await;
    let store = open(dir.path()).await;
    assert_eq!(store.start_outbox().await.unwrap(), 0);
    assert_eq!(store.outbox_state().await.unwrap().last_seq, 7);
    // New writes follow on.
    store.append(&audit("three")).await.unwrap();
    assert_eq!(changes(&store, 7).await[0].0, 8);
}

fn commodity(sku: &str, barcode: Option<&str>, name: &str, fen: i64, stock: i64) -> Commodity {
    Commodity {
        sku: sku.into(),
        barcode: barcode.map(Into::into),
        name: name.into(),
        category: "饮料".into(),
        unit: "瓶".into(),
        price: Money::from_fen(fen),
        stock,
    }
}

fn upsert(version: i64, c: Commodity) -> ManagedCommodity {
    ManagedCommodity {
        version,
        sku: c.sku.clone(),
        commodity: Some(c),
    }
}

fn tombstone(version: i64, sku: &str) -> ManagedCommodity {
    ManagedCommodity {
        version,
        sku: sku.into(),
        commodity: None,
    }
}

#[tokio::test]
async fn the_head_office_wins_on_its_skus_and_the_till_keeps_its_own_and_its_stock() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    assert_eq!(store.catalog_version().await.unwrap(), 0);
    // Local-only items, and a local item the head office will take over.
    store
        .upsert(&commodity("L1", Some("6900000000011"), "本地水", 200, 5))
        .await
        .unwrap();
    store
        .upsert(&commodity("L2", None, "本地茶", 300, 3))
        .await
        .unwrap();
    store
        .upsert(&commodity("M1", None, "旧名", 100, 7))
        .await
        .unwrap();

    let page = vec![
        upsert(1, commodity("M1", Some("6900000000028"), "可乐", 350, 999)),
        // Its barcode is the local item L1's: the head office's item gets it.
        upsert(2, commodity("M2", Some("6900000000011"), "雪碧", 300, 999)),
        // A tombstone of a SKU the head office does not manage here leaves it alone.
        tombstone(3, "L2"),
    ];
    store.apply_catalog(&page, 3).await.unwrap();
    assert_eq!(store.catalog_version().await.unwrap(), 3);
    assert_eq!(
        store.by_sku("M1").await.unwrap().unwrap(),
        commodity("M1", Some("6900000000028"), "可乐", 350, 7),
        "taken over, its stock kept"
    );
    assert_eq!(
        store.by_sku("M2").await.unwrap().unwrap(),
        commodity("M2", Some("6900000000011"), "雪碧", 300, 0),
        "new, stock starts at 0"
    );
    assert_eq!(
        store.by_sku("L1").await.unwrap().unwrap(),
        commodity("L1", None, "本地水", 200, 5),
        "kept, without the barcode"
    );
    assert_eq!(
        store.by_sku("L2").await.unwrap().unwrap(),
        commodity("L2", None, "本地茶", 300, 3)
    );

    // The till sells from a managed item: its stock is the till's, and a later change of
    // the item keeps it.
    store.adjust_stock(&[("M2".to_owned(), -2)]).await.unwrap();
    // The head office swaps two barcodes and deletes M1.
    let page = vec![
        upsert(4, commodity("M2", Some("6900000000028"), "雪碧", 320, 0)),
        upsert(5, commodity("M1", Some("6900000000011"), "可乐", 350, 0)),
        tombstone(6, "M1"),
    ];
    store.apply_catalog(&page, 6).await.unwrap();
    assert!(store.by_sku("M1").await.unwrap().is_none());
    assert_eq!(
        store.by_sku("M2").await.unwrap().unwrap(),
        commodity("M2", Some("6900000000028"), "雪碧", 320, -2)
    );

    // A page applied again (a lost answer) changes nothing and the version never goes down.
    let old = vec![upsert(
        1,
        commodity("M1", Some("6900000000028"), "可乐", 350, 0),
    )];
    store.apply_catalog(&old, 1).await.unwrap();
    assert!(store.by_sku("M1").await.unwrap().is_none());
    assert_eq!(store.catalog_version().await.unwrap(), 6);

    // A bad change is refused whole, with its version named, and nothing of the page stays.
    let bad = vec![
        upsert(7, commodity("M3", None, "芬达", 300, 0)),
        upsert(8, commodity("M4", None, "", 300, 0)),
    ];
    let err = store.apply_catalog(&bad, 8).await.unwrap_err();
    assert!(err.to_string().contains('8'), "{err}");
    assert!(store.by_sku("M3").await.unwrap().is_none());
    assert_eq!(store.catalog_version().await.unwrap(), 6);
}

#[tokio::test]
async fn a_till_without_a_head_office_keeps_its_catalogue_writes_unmarked() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store
        .upsert(&commodity("L1", None, "本地水", 200, 5))
        .await
        .unwrap();
    let managed: i64 = sqlx::query_scalar("SELECT hq_managed FROM commodities WHERE sku = 'L1'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(managed, 0);
}
