//! The deposit record: how it travels, that it converts both ways, and that its rules name
//! the field.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::deposit::{Deposit, NewDeposit};
use cloudpos_domain::money::Money;
use cloudpos_domain::order_no::{FreezeNo, OrderNo, UnfreezeNo};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_hq_protocol::{Change, DepositRecord, Record};
use serde_json::json;

fn t(s: i64) -> Timestamp {
    Timestamp::from_unix_millis(1_795_324_938_000 + s * 1000)
}

fn clerk(id: &str) -> ClerkId {
    ClerkId::parse(id).unwrap()
}

fn intent() -> Deposit {
    Deposit::new(
        NewDeposit {
            no: FreezeNo::parse("F0000000000000000001").unwrap(),
            wallet: Wallet::WeChat,
            amount: Money::from_fen(10_000),
            code_masked: "1345**********7600".into(),
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            clerk_id: clerk("02"),
            shift_id: Some(4),
            body: "押金".into(),
            remark: "302".into(),
        },
        t(1),
    )
}

fn frozen() -> Deposit {
    let mut d = intent();
    d.mark_frozen(Some("auth1".into()), t(2), t(2)).unwrap();
    d
}

fn consumed() -> Deposit {
    let mut d = frozen();
    d.begin_consume(
        OrderNo::parse("C0000000000000000001").unwrap(),
        Money::from_fen(3_000),
        &clerk("02"),
        t(4),
    )
    .unwrap();
    d.mark_consumed(Some(Money::from_fen(7_000)), t(5)).unwrap();
    d
}

fn released() -> Deposit {
    let mut d = frozen();
    d.begin_unfreeze(
        UnfreezeNo::parse("U0000000000000000001").unwrap(),
        Some(&clerk("02")),
        None,
        Some("退房"),
        t(6),
    )
    .unwrap();
    d.mark_unfrozen(t(7)).unwrap();
    d
}

#[test]
fn a_deposit_travels_as_documented() {
    let change = Change {
        seq: 9,
        at: 1_795_324_943_500,
        record: Record::Deposit(DepositRecord::from_deposit(&consumed())),
    };
    let v = serde_json::to_value(&change).unwrap();
    let r = &v["record"];
    assert_eq!(r["kind"], "deposit");
    assert_eq!(change.record.kind(), "deposit");
    assert_eq!(r["out_freeze_no"], "F0000000000000000001");
    assert_eq!(r["wallet"], "wechat");
    assert_eq!(r["state"], "consumed");
    assert_eq!(r["frozen_fen"], 10_000);
    assert_eq!(r["consumed_fen"], 3_000);
    assert_eq!(r["released_fen"], 7_000);
    assert_eq!(r["pending_fen"], 0);
    assert_eq!(r["consume_no"], "C0000000000000000001");
    assert_eq!(r["store_id"], "shop1");
    assert_eq!(r["device_id"], "dev1");
    assert_eq!(r["clerk"], "02");
    assert_eq!(r["settled_by"], "02");
    assert_eq!(r["shift"], 4);
    assert_eq!(r["created_at"], 1_795_324_939_000_i64);
    assert_eq!(r["frozen_at"], 1_795_324_940_000_i64);
    assert_eq!(r["finished_at"], 1_795_324_943_000_i64);
    change.validate().unwrap();
    let back: Change = serde_json::from_value(v).unwrap();
    assert_eq!(back, change);
}

#[test]
fn deposits_convert_both_ways_in_every_step() {
    let mut consuming = frozen();
    consuming
        .begin_consume(
            OrderNo::parse("C0000000000000000002").unwrap(),
            Money::from_fen(1),
            &clerk("02"),
            t(3),
        )
        .unwrap();
    for d in [intent(), frozen(), consuming, consumed(), released()] {
        let rec = DepositRecord::from_deposit(&d);
        rec.validate().unwrap();
        assert_eq!(rec.to_deposit().unwrap(), d, "{}", d.state);
        let text = serde_json::to_string(&Record::Deposit(rec.clone())).unwrap();
        assert_eq!(
            serde_json::from_str::<Record>(&text).unwrap(),
            Record::Deposit(rec)
        );
    }
}

#[test]
fn optional_fields_may_be_absent() {
    let r: Record = serde_json::from_value(json!({
        "kind": "deposit", "out_freeze_no": "F1", "wallet": "alipay", "state": "freezing",
        "frozen_fen": 500, "clerk": "01", "created_at": 0, "updated_at": 0
    }))
    .unwrap();
    r.validate().unwrap();
    let Record::Deposit(d) = r else {
        panic!("a deposit")
    };
    assert_eq!((d.consumed_fen, d.released_fen, d.pending_fen), (0, 0, 0));
    assert!(d.consume_no.is_none() && d.frozen_at.is_none());
}

#[test]
fn deposit_rules_name_the_field() {
    let good = DepositRecord::from_deposit(&consumed());
    let field = |f: &dyn Fn(&mut DepositRecord)| {
        let mut r = good.clone();
        f(&mut r);
        Record::Deposit(r).validate().unwrap_err().field
    };
    assert_eq!(field(&|r| r.out_freeze_no.clear()), "out_freeze_no");
    assert_eq!(field(&|r| r.clerk.clear()), "clerk");
    assert_eq!(field(&|r| r.state = "thawed".into()), "state");
    assert_eq!(field(&|r| r.wallet = "cash".into()), "wallet");
    assert_eq!(field(&|r| r.wallet = "member_card".into()), "wallet");
    assert_eq!(field(&|r| r.frozen_fen = 0), "frozen_fen");
    assert_eq!(field(&|r| r.consumed_fen = -1), "consumed_fen");
    assert_eq!(field(&|r| r.released_fen = -1), "released_fen");
    assert_eq!(field(&|r| r.pending_fen = -1), "pending_fen");
    // More taken and released than was frozen.
    assert_eq!(field(&|r| r.released_fen = 7_001), "consumed_fen");
    // Consumed, but part of the frozen amount is unaccounted for.
    assert_eq!(field(&|r| r.released_fen = 6_000), "released_fen");
    // Something pending after the consume finished.
    assert_eq!(
        field(&|r| {
            r.released_fen = 6_999;
            r.pending_fen = 1;
        }),
        "pending_fen"
    );
    assert_eq!(field(&|r| r.consume_no = None), "consume_no");
    assert_eq!(field(&|r| r.updated_at = r.created_at - 1), "updated_at");
    assert_eq!(field(&|r| r.created_at = -1), "created_at");
    assert_eq!(field(&|r| r.finished_at = Some(-5)), "finished_at");
    assert_eq!(field(&|r| r.remark = "x".repeat(5000)), "remark");
    assert_eq!(field(&|r| r.body = "a\0b".into()), "body");

    // A frozen deposit with nothing taken is fine; something pending while frozen is not.
    let mut f = DepositRecord::from_deposit(&frozen());
    f.validate().unwrap();
    f.pending_fen = 100;
    assert_eq!(f.validate().unwrap_err().field, "pending_fen");
    // A consume in flight must carry its amount.
    let mut c = frozen();
    c.begin_consume(
        OrderNo::parse("C0000000000000000003").unwrap(),
        Money::from_fen(100),
        &clerk("02"),
        t(3),
    )
    .unwrap();
    let mut c = DepositRecord::from_deposit(&c);
    c.pending_fen = 0;
    assert_eq!(c.validate().unwrap_err().field, "pending_fen");
}
