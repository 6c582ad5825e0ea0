//! Tills upgraded from earlier versions: a ledger from before the outbox upgrades with it off,
//! and a till whose outbox was on before deposits had a kind in the contract sends its
//! existing deposits once, at the next open, never twice.
#![allow(missing_docs)]

mod common;

use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::deposit::{Deposit, NewDeposit};
use cloudpos_domain::hq_ports::{HeadOfficeStore, ManagedCommodity};
use cloudpos_domain::money::Money;
use cloudpos_domain::order_no::FreezeNo;
use cloudpos_domain::ports::{Catalog, DepositLedger, Ledger};
use cloudpos_hq_protocol::{DepositRecord, Record};
use cloudpos_storage::Store;
use common::{open, paid, t};

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

/// Every queued record, checked against the contract.
async fn queued(store: &Store) -> Vec<Record> {
    store
        .outbox_batch(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let r: Record = serde_json::from_str(&e.record_json).unwrap();
            assert_eq!(r.kind(), e.kind);
            r.validate().unwrap();
            r
        })
        .collect()
}

#[tokio::test]
async fn a_till_whose_outbox_was_on_before_deposits_travelled_sends_them_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = deposit("F0000000000000000001", 10_000, 1);
    a.mark_frozen(Some("auth1".into()), t(2), t(2)).unwrap();
    let b = deposit("F0000000000000000002", 5_000, 3);
    {
        let store = open(dir.path()).await;
        store.insert_deposit(&a).await.unwrap();
        store.insert_deposit(&b).await.unwrap();
        // The state an earlier version left: the outbox on (its backfill knew no deposits)
        // and the deposits never queued.
        sqlx::query("UPDATE outbox_state SET enabled = 1, deposits_sent = 0 WHERE id = 1")
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
    }
    let store = open(dir.path()).await;
    assert_eq!(
        queued(&store).await,
        vec![
            Record::Deposit(DepositRecord::from_deposit(&a)),
            Record::Deposit(DepositRecord::from_deposit(&b)),
        ]
    );
    assert_eq!(store.outbox_state().await.unwrap().last_seq, 2);
    // Opened again, and turned on again: nothing more.
    store.close().await;
    let store = open(dir.path()).await;
    assert_eq!(store.start_outbox().await.unwrap(), 0);
    assert_eq!(store.outbox_state().await.unwrap().last_seq, 2);
    // Later writes follow on, one change each.
    let c = deposit("F0000000000000000003", 700, 4);
    store.insert_deposit(&c).await.unwrap();
    assert_eq!(store.outbox_state().await.unwrap().last_seq, 3);
}

#[tokio::test]
async fn a_till_with_the_outbox_off_queues_nothing_at_open_and_its_deposits_in_the_backfill() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path()).await;
        store
            .insert_deposit(&deposit("F0000000000000000001", 10_000, 1))
            .await
            .unwrap();
        store.close().await;
    }
    let store = open(dir.path()).await;
    assert_eq!(store.outbox_state().await.unwrap().last_seq, 0);
    assert_eq!(store.start_outbox().await.unwrap(), 1);
    store.close().await;
    // The backfill marked the deposits sent: reopening queues them no second time.
    let store = open(dir.path()).await;
    assert_eq!(queued(&store).await.len(), 1);
    assert_eq!(store.outbox_state().await.unwrap().last_seq, 1);
}

fn commodity(sku: &str, name: &str, fen: i64, stock: i64) -> Commodity {
    Commodity {
        sku: sku.into(),
        barcode: None,
        name: name.into(),
        category: "饮料".into(),
        unit: "瓶".into(),
        price: Money::from_fen(fen),
        stock,
    }
}

#[tokio::test]
async fn a_ledger_from_before_the_outbox_upgrades_with_it_off() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path()).await;
        store
            .insert_order(&paid("P1A0000000000000001", 1000, 1))
            .await
            .unwrap();
        store
            .upsert(&commodity("L1", "本地水", 200, 5))
            .await
            .unwrap();
        // Back to the schema of a till from before migration 0030 (applied after later ones,
        // with 0080 that extends its table).
        for sql in [
            "DROP TABLE outbox",
            "DROP TABLE outbox_state",
            "ALTER TABLE commodities DROP COLUMN hq_managed",
            "DELETE FROM _sqlx_migrations WHERE version IN (30, 80)",
        ] {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        store.close().await;
    }
    let store = open(dir.path()).await;
    assert!(!store.outbox_enabled().await.unwrap());
    assert_eq!(store.outbox_state().await.unwrap().last_seq, 0);
    assert_eq!(store.catalog_version().await.unwrap(), 0);
    assert_eq!(store.start_outbox().await.unwrap(), 1);
    store
        .apply_catalog(
            &[ManagedCommodity {
                version: 1,
                sku: "L1".into(),
                commodity: None,
            }],
            1,
        )
        .await
        .unwrap();
    assert!(store.by_sku("L1").await.unwrap().is_some(), "local-only");
}
