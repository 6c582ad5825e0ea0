//! The ledger on real SQLite files: intents, transitions, refunds and their caps, shifts,
//! filters, reopening.
#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use cloudpos_domain::clerk::{ClerkId, Role};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{OrderState, OrderStatus};
use cloudpos_domain::order_no::RefundNo;
use cloudpos_domain::ports::{
    Accounts, AuditEntry, AuditTrail, Catalog, CommodityQuery, Ledger, OrderFilter, RefundFilter,
    SecretVault, Settings, StoreError,
};
use cloudpos_domain::refund::{NewRefund, Refund, RefundError, RefundState};
use common::{clerk, open, order, paid, t};

fn refund_for(o: &cloudpos_domain::order::Order, no: &str, fen: i64) -> Refund {
    Refund {
        no: RefundNo::parse(no).unwrap(),
        order_no: o.no.clone(),
        method: o.method,
        amount: Money::from_fen(fen),
        state: RefundState::Requested,
        reason: "退货".into(),
        clerk_id: ClerkId::parse("02").unwrap(),
        authorized_by: Some(ClerkId::parse("01").unwrap()),
        shift_id: None,
        refund_id: None,
        failure: None,
        created_at: t(100),
        updated_at: t(100),
        succeeded_at: None,
    }
}

#[tokio::test]
async fn intent_is_unique_and_transitions_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut o = order("P1A0000000000000001", 1234, 1);
    store.insert_order(&o).await.unwrap();
    assert!(matches!(
        store.insert_order(&o).await,
        Err(StoreError::Duplicate(msg)) if msg.contains("P1A0000000000000001")
    ));

    o.mark_user_paying(t(2)).unwrap();
    store.update_order(&o, OrderState::Submitted).await.unwrap();
    // Another writer (say a second process settling the same order) read user-paying and
    // decides to reverse…
    let mut other = o.clone();
    other.begin_reverse("timeout", t(3)).unwrap();
    // …but this writer commits paid first.
    o.mark_paid(Some("4200".into()), t(3), t(3)).unwrap();
    store
        .update_order(&o, OrderState::UserPaying)
        .await
        .unwrap();
    let got = store.order(&o.no).await.unwrap().unwrap();
    assert_eq!(got, o);
    // The stale decision is refused, although paid → reversing is a legal move (void).
    assert!(matches!(
        store.update_order(&other, OrderState::UserPaying).await,
        Err(StoreError::Conflict(msg)) if msg.contains("paid")
    ));
    // An illegal move is refused without touching the database.
    let mut stale = got.clone();
    stale.state = OrderState::Unknown;
    assert!(matches!(
        store.update_order(&stale, OrderState::Paid).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.order(&o.no).await.unwrap().unwrap().state,
        OrderState::Paid
    );
    assert!(store.unfinished_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn never_reverse_flag_cannot_be_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut o = order("P1A0000000000000002", 100, 1);
    store.insert_order(&o).await.unwrap();
    o.mark_duplicate_blocked("407", t(2)).unwrap();
    store.update_order(&o, OrderState::Submitted).await.unwrap();
    o.never_reverse = false;
    assert!(matches!(
        store.update_order(&o, OrderState::Failed).await,
        Err(StoreError::Conflict(m)) if m.contains("never-reverse")
    ));
}

#[tokio::test]
async fn refunds_respect_caps_and_update_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let o = paid("P1A0000000000000003", 1000, 1);
    store.insert_order(&o).await.unwrap();

    let mut r1 = refund_for(&o, "R1", 300);
    store.insert_refund(&r1).await.unwrap();
    let r2 = refund_for(&o, "R2", 700);
    store.insert_refund(&r2).await.unwrap();
    // Both in flight hold the whole amount: a third is refused inside the transaction.
    let err = store
        .insert_refund(&refund_for(&o, "R3", 1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Refund(RefundError::ExceedsRemaining { .. })
        ),
        "{err}"
    );

    r1.mark_succeeded(Some("rf1".into()), t(101)).unwrap();
    store
        .update_refund(&r1, RefundState::Requested)
        .await
        .unwrap();
    let after = store.order(&o.no).await.unwrap().unwrap();
    assert_eq!(after.refunded, Money::from_fen(300));
    assert_eq!(after.status(), OrderStatus::PartiallyRefunded);
    // Writing the same success twice does not double-count.
    store
        .update_refund(&r1, RefundState::Succeeded)
        .await
        .unwrap();
    // A stale writer is refused.
    assert!(matches!(
        store.update_refund(&r1, RefundState::Processing).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.order(&o.no).await.unwrap().unwrap().refunded,
        Money::from_fen(300)
    );

    // A failed refund frees its amount, and its retry keeps its number.
    let mut r2 = store
        .refund(&RefundNo::parse("R2").unwrap())
        .await
        .unwrap()
        .unwrap();
    r2.mark_failed("商户余额不足", t(102)).unwrap();
    store
        .update_refund(&r2, RefundState::Requested)
        .await
        .unwrap();
    let r4 = refund_for(&o, "R4", 500);
    store.insert_refund(&r4).await.unwrap();
    // Now the retry of R2 (700) would exceed 1000 - 300 - 500.
    let all = store.refunds_of(&o.no).await.unwrap();
    assert!(r2.clone().retry(&after, &all, t(103)).is_err());
    let mut forced = r2.clone();
    forced.state = RefundState::Requested;
    assert!(matches!(
        store.update_refund(&forced, RefundState::Failed).await,
        Err(StoreError::Refund(RefundError::ExceedsRemaining { .. }))
    ));
    assert_eq!(store.unfinished_refunds().await.unwrap().len(), 1);
    let page = store
        .refunds(&RefundFilter {
            order_no: Some("0003".into()),
            ..RefundFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 3);
}

#[tokio::test]
async fn refund_of_an_unpaid_order_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let o = order("P1A0000000000000004", 1000, 1);
    store.insert_order(&o).await.unwrap();
    assert!(matches!(
        store.insert_refund(&refund_for(&o, "R1", 1)).await,
        Err(StoreError::Refund(RefundError::NotPaid { .. }))
    ));
}

/// Eight concurrent refunders, each with its own connection pool (as separate processes
/// would have), never push the refunds of one order past its amount.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refund_storm_never_exceeds_the_paid_amount() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let o = paid("P1A0000000000000005", 1000, 1);
    store.insert_order(&o).await.unwrap();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let path = dir.path().to_owned();
        let o = o.clone();
        tasks.push(tokio::spawn(async move {
            let s = open(&path).await;
            let mut accepted = 0i64;
            for i in 0..10 {
                let mut r = Refund::new(
                    &o,
                    &[],
                    NewRefund {
                        no: RefundNo::parse(&format!("W{worker}N{i}")).unwrap(),
                        amount: Money::from_fen(37),
                        reason: String::new(),
                        clerk_id: ClerkId::parse("01").unwrap(),
                        authorized_by: None,
                        shift_id: None,
                    },
                    t(50),
                )
                .unwrap();
                if s.insert_refund(&r).await.is_ok() {
                    accepted += 37;
                    r.mark_succeeded(None, t(51)).unwrap();
                    s.update_refund(&r, RefundState::Requested).await.unwrap();
                }
            }
            accepted
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    let stored = store.order(&o.no).await.unwrap().unwrap();
    assert!(total <= 1000, "accepted {total}");
    assert_eq!(
        total,
        27 * 37,
        "exactly as many 0.37 refunds as fit in 10.00"
    );
    assert_eq!(stored.refunded.fen(), total);
}

#[tokio::test]
async fn filters_and_paging() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    for i in 0..25 {
        let mut o = if i % 5 == 0 {
            order(&format!("P1A{i:016}"), 100 + i, i)
        } else {
            paid(&format!("P1A{i:016}"), 100 + i, i)
        };
        if i % 2 == 0 {
            o.clerk_id = ClerkId::parse("03").unwrap();
        }
        store.insert_order(&o).await.unwrap();
    }
    let all = store
        .orders(&OrderFilter {
            page_size: 10,
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!((all.total, all.items.len(), all.page_count()), (25, 10, 3));
    assert_eq!(
        all.items[0].no.as_str(),
        "P1A0000000000000024",
        "newest first"
    );
    let last = store
        .orders(&OrderFilter {
            page: 2,
            page_size: 10,
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(last.items.len(), 5);

    let unknown = store
        .orders(&OrderFilter {
            status: Some(OrderStatus::Unknown),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(unknown.total, 5);
    let ranged = store
        .orders(&OrderFilter {
            from: Some(t(10)),
            to: Some(t(20)),
            clerk: Some(ClerkId::parse("03").unwrap()),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(ranged.total, 5, "10,12,14,16,18");
    let by_no = store
        .orders(&OrderFilter {
            order_no: Some("0017".into()),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(by_no.total, 1);
    // A whole scanned number is matched exactly; a fragment through the trigram index.
    let exact = store
        .orders(&OrderFilter {
            order_no: Some("P1A0000000000000017".into()),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(exact.items[0].no.as_str(), "P1A0000000000000017");
    let fragment = store
        .orders(&OrderFilter {
            order_no: Some("000001".into()),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(fragment.total, 11, "…0001 and …0010–0019");
    // LIKE wildcards in the search text are literal.
    let wild = store
        .orders(&OrderFilter {
            order_no: Some("%".into()),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(wild.total, 0);
    let latest = store.latest_numbers().await.unwrap();
    assert_eq!(latest, vec!["P1A0000000000000024".to_owned()]);
}

#[tokio::test]
async fn shifts_open_close_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let a = store
        .open_shift(&ClerkId::parse("01").unwrap(), t(0))
        .await
        .unwrap();
    let b = store
        .open_shift(&ClerkId::parse("02").unwrap(), t(10))
        .await
        .unwrap();
    assert_eq!(store.current_shift().await.unwrap().unwrap().id, b.id);
    assert_eq!(
        store.shift(a.id).await.unwrap().unwrap().closed_at,
        Some(t(10)),
        "auto-closed"
    );
    let closed = store.close_shift(b.id, t(20)).await.unwrap();
    assert_eq!(closed.closed_at, Some(t(20)));
    assert!(store.current_shift().await.unwrap().is_none());
    assert_eq!(store.shifts(None, 10).await.unwrap().len(), 2);
    assert_eq!(
        store
            .shifts(Some(&ClerkId::parse("01").unwrap()), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn everything_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path()).await;
        store
            .insert_order(&paid("P1A0000000000000009", 500, 1))
            .await
            .unwrap();
        store
            .create_clerk(&clerk("01", Role::StoreManager), "pw-01")
            .await
            .unwrap();
        store
            .put("mode", &serde_json::json!("plugin"))
            .await
            .unwrap();
        store.store("authen_key", b"K3Y").await.unwrap();
        store
            .append(&AuditEntry {
                at: t(1),
                actor: "01".into(),
                action: "setup".into(),
                detail: "{}".into(),
            })
            .await
            .unwrap();
        store
            .upsert(&cloudpos_domain::catalog::Commodity {
                sku: "A1".into(),
                barcode: None,
                name: "可乐".into(),
                category: "饮料".into(),
                unit: "瓶".into(),
                price: Money::from_fen(300),
                stock: 5,
            })
            .await
            .unwrap();
        store.close().await;
    }
    let store = open(dir.path()).await;
    assert_eq!(
        store
            .order(&"P1A0000000000000009".parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .state,
        OrderState::Paid
    );
    assert!(
        store
            .verify_password(&ClerkId::parse("01").unwrap(), "pw-01")
            .await
            .unwrap()
    );
    assert_eq!(
        store.get("mode").await.unwrap(),
        Some(serde_json::json!("plugin"))
    );
    assert_eq!(
        store.load("authen_key").await.unwrap().as_deref(),
        Some(&b"K3Y"[..])
    );
    assert!(matches!(
        store.verify().await.unwrap(),
        cloudpos_domain::ports::AuditVerdict::Intact { records: 1 }
    ));
    assert_eq!(
        store
            .search(&CommodityQuery::default())
            .await
            .unwrap()
            .total,
        1
    );
    store.integrity_check().await.unwrap();
}

#[tokio::test]
async fn two_stores_on_one_file_see_each_others_commits() {
    let dir = tempfile::tempdir().unwrap();
    let a = Arc::new(open(dir.path()).await);
    let b = open(dir.path()).await;
    a.insert_order(&paid("P1A0000000000000010", 1, 1))
        .await
        .unwrap();
    assert!(
        b.order(&"P1A0000000000000010".parse().unwrap())
            .await
            .unwrap()
            .is_some()
    );
}
