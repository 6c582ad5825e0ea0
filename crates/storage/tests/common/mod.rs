//! Shared helpers for the storage tests.
#![allow(dead_code, missing_docs)]

use std::path::Path;

use cloudpos_domain::clerk::{Clerk, ClerkId, Role};
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_storage::{PasswordCost, Store, StoreOptions};

pub async fn open(dir: &Path) -> Store {
    Store::open(dir, options()).await.expect("open store")
}

/// Opens without the open-time checks (to reach damage that only reads and writes see).
pub async fn open_unchecked(dir: &Path) -> Store {
    Store::open(
        dir,
        StoreOptions {
            check_on_open: false,
            ..options()
        },
    )
    .await
    .expect("open store")
}

pub fn options() -> StoreOptions {
    StoreOptions {
        password_cost: PasswordCost::TestOnly,
        ..StoreOptions::default()
    }
}

pub fn t(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_795_000_000 + seconds)
}

pub fn order(no: &str, fen: i64, at: i64) -> Order {
    let mut o = Order::new(
        NewOrder {
            no: OrderNo::parse(no).unwrap(),
            method: PaymentMethod::Wallet(Wallet::WeChat),
            amount: Money::from_fen(fen),
            code_masked: Some("1345**********7649".into()),
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            clerk_id: ClerkId::parse("02").unwrap(),
            shift_id: None,
            body: "矿泉水".into(),
            remark: String::new(),
        },
        t(at),
    );
    o.submit(t(at)).unwrap();
    o
}

pub fn paid(no: &str, fen: i64, at: i64) -> Order {
    let mut o = order(no, fen, at);
    o.mark_paid(Some(format!("tx{no}")), t(at), t(at)).unwrap();
    o
}

pub fn clerk(id: &str, role: Role) -> Clerk {
    Clerk {
        id: ClerkId::parse(id).unwrap(),
        name: format!("店员{id}"),
        phone: format!("1380000{id:0>4}"),
        role,
        can_refund: false,
        cloud_staff_id: None,
        created_at: t(0),
    }
}

pub fn assert_state(o: &Order, s: OrderState) {
    assert_eq!(o.state, s, "order {}", o.no);
}
