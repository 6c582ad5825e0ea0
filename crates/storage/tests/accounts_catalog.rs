//! Clerk accounts, passwords, login records, and the commodity catalogue.
#![allow(missing_docs)]

mod common;

use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::clerk::{ClerkId, LoginRecord, Role};
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::{Accounts, Catalog, ClerkQuery, CommodityQuery, StoreError};
use cloudpos_storage::{PasswordCost, Store, StoreOptions};
use common::{clerk, open, t};

#[tokio::test]
async fn clerks_crud_search_and_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store
        .create_clerk(&clerk("01", Role::StoreManager), "manager-pw")
        .await
        .unwrap();
    let mut c2 = clerk("02", Role::Clerk);
    c2.name = "王小明".into();
    store.create_clerk(&c2, "clerk-pw").await.unwrap();
    assert!(matches!(
        store.create_clerk(&c2, "x").await,
        Err(StoreError::Duplicate(m)) if m.contains("02")
    ));

    let id2 = ClerkId::parse("02").unwrap();
    assert!(store.verify_password(&id2, "clerk-pw").await.unwrap());
    assert!(!store.verify_password(&id2, "manager-pw").await.unwrap());
    assert!(
        !store
            .verify_password(&ClerkId::parse("nobody").unwrap(), "clerk-pw")
            .await
            .unwrap()
    );

    let by_name = store
        .clerks(&ClerkQuery {
            text: Some("小明".into()),
            role: None,
        })
        .await
        .unwrap();
    assert_eq!(by_name.len(), 1);
    let by_phone = store
        .clerks(&ClerkQuery {
            text: Some("00001".into()),
            role: None,
        })
        .await
        .unwrap();
    assert_eq!(by_phone[0].id.as_str(), "01");
    let managers = store
        .clerks(&ClerkQuery {
            text: None,
            role: Some(Role::StoreManager),
        })
        .await
        .unwrap();
    assert_eq!(managers.len(), 1);

    c2.can_refund = true;
    c2.cloud_staff_id = Some("staff-02".into());
    store.update_clerk(&c2).await.unwrap();
    assert_eq!(store.clerk(&id2).await.unwrap().unwrap(), c2);

    store
        .save_login_record(
            &id2,
            &LoginRecord {
                failures: 3,
                locked_until: Some(t(99)),
            },
        )
        .await
        .unwrap();
    assert_eq!(store.login_record(&id2).await.unwrap().failures, 3);
    store.set_password(&id2, "new-pw").await.unwrap();
    assert!(store.verify_password(&id2, "new-pw").await.unwrap());
    assert_eq!(
        store.login_record(&id2).await.unwrap(),
        LoginRecord::default(),
        "reset clears the lock"
    );

    store.delete_clerk(&id2).await.unwrap();
    assert!(store.clerk(&id2).await.unwrap().is_none());
    assert!(matches!(
        store.delete_clerk(&id2).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        dir.path(),
        StoreOptions {
            password_cost: PasswordCost::Interactive,
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    store
        .create_clerk(&clerk("01", Role::StoreManager), "correct horse")
        .await
        .unwrap();
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM clerks WHERE id = '01'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains("correct horse"));
    assert!(
        store
            .verify_password(&ClerkId::parse("01").unwrap(), "correct horse")
            .await
            .unwrap()
    );
}

fn item(sku: &str, barcode: Option<&str>, category: &str) -> Commodity {
    Commodity {
        sku: sku.into(),
        barcode: barcode.map(Into::into),
        name: format!("商品{sku}"),
        category: category.into(),
        unit: "件".into(),
        price: Money::from_fen(990),
        stock: 10,
    }
}

#[tokio::test]
async fn catalog_search_paging_stock_and_rules() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let many: Vec<Commodity> = (0..30)
        .map(|i| {
            item(
                &format!("S{i:03}"),
                Some(&format!("690000000{i:04}")),
                if i % 3 == 0 { "饮料" } else { "零食" },
            )
        })
        .collect();
    store.upsert_many(&many).await.unwrap();
    let page = store
        .search(&CommodityQuery {
            page: 1,
            page_size: 12,
            ..CommodityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (page.total, page.items.len(), page.items[0].sku.as_str()),
        (30, 12, "S012")
    );
    let drinks = store
        .search(&CommodityQuery {
            category: Some("饮料".into()),
            ..CommodityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(drinks.total, 10);
    let text = store
        .search(&CommodityQuery {
            text: Some("0000007".into()),
            ..CommodityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(text.items[0].sku, "S007", "found by barcode substring");
    assert_eq!(
        store
            .by_barcode("6900000000005")
            .await
            .unwrap()
            .unwrap()
            .sku,
        "S005"
    );

    // A duplicate barcode in a batch rolls the whole batch back.
    let batch = vec![item("N1", Some("777"), "x"), item("N2", Some("777"), "x")];
    assert!(matches!(
        store.upsert_many(&batch).await,
        Err(StoreError::Duplicate(_))
    ));
    assert!(store.by_sku("N1").await.unwrap().is_none());
    // An invalid record is refused with the reason.
    let mut bad = item("N3", None, "x");
    bad.price = Money::from_fen(-1);
    assert!(
        matches!(store.upsert(&bad).await, Err(StoreError::Conflict(m)) if m.contains("negative"))
    );

    store
        .adjust_stock(&[("S001".into(), -3), ("S002".into(), 2)])
        .await
        .unwrap();
    assert_eq!(store.by_sku("S001").await.unwrap().unwrap().stock, 7);
    assert!(
        store
            .adjust_stock(&[("S001".into(), -1), ("NOPE".into(), 1)])
            .await
            .is_err()
    );
    assert_eq!(
        store.by_sku("S001").await.unwrap().unwrap().stock,
        7,
        "all or nothing"
    );
    store.delete("S001").await.unwrap();
    assert!(matches!(
        store.delete("S001").await,
        Err(StoreError::NotFound(_))
    ));
}
