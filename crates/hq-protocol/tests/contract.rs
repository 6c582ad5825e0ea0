//! The contract's rules, checked on the types both sides use.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_hq_protocol::{
    BatchError, Change, ErrorCode, OrderRecord, PushRequest, Record, Retry, ShiftRecord,
};
use proptest::prelude::*;
use serde_json::json;

fn order(no: &str, amount: i64) -> Order {
    let mut o = Order::new(
        NewOrder {
            no: OrderNo::parse(no).unwrap(),
            method: PaymentMethod::Wallet(Wallet::Alipay),
            amount: Money::from_fen(amount),
            code_masked: Some("2800**********1234".into()),
            store_id: "shop-1".into(),
            device_id: "till-1".into(),
            clerk_id: ClerkId::parse("01").unwrap(),
            shift_id: Some(3),
            body: "goods".into(),
            remark: "serial 77".into(),
        },
        Timestamp::from_unix_millis(1_795_324_938_000),
    );
    o.submit(Timestamp::from_unix_millis(1_795_324_938_100))
        .unwrap();
    o.mark_paid(
        Some("4200".into()),
        Timestamp::from_unix_millis(1_795_324_939_000),
        Timestamp::from_unix_millis(1_795_324_939_000),
    )
    .unwrap();
    o
}

fn change(seq: i64, amount: i64) -> Change {
    Change {
        seq,
        at: 1_795_324_939_500,
        record: Record::Order(OrderRecord::from_order(&order(
            &format!("sz0100ABCD26112213221800{seq:02}"),
            amount,
        ))),
    }
}

#[test]
fn a_change_travels_as_documented() {
    let v = serde_json::to_value(change(7, 1234)).unwrap();
    assert_eq!(v["seq"], 7);
    assert_eq!(v["at"], 1_795_324_939_500_i64);
    let r = &v["record"];
    assert_eq!(r["kind"], "order");
    assert_eq!(r["out_trade_no"], "sz0100ABCD2611221322180007");
    assert_eq!(r["wallet"], "alipay");
    assert_eq!(r["state"], "paid");
    assert_eq!(r["amount_fen"], 1234);
    assert_eq!(r["refunded_fen"], 0);
    assert_eq!(r["clerk"], "01");
    assert_eq!(r["shift"], 3);
    assert_eq!(r["paid_at"], 1_795_324_939_000_i64);
    // And back, from text a till of another build could have written (unknown fields ignored).
    let mut text = v.clone();
    text["record"]["a_field_from_the_future"] = json!(true);
    let back: Change = serde_json::from_value(text).unwrap();
    assert_eq!(back, change(7, 1234));
}

#[test]
fn orders_convert_both_ways_without_loss() {
    let o = order("sz0100ABCD2611221322180001", 990);
    let back = OrderRecord::from_order(&o).to_order().unwrap();
    assert_eq!(back, o);
}

#[test]
fn record_rules_name_the_field() {
    let mut r = OrderRecord::from_order(&order("sz0100ABCD2611221322180001", 100));
    r.refunded_fen = 101;
    assert_eq!(r.validate().unwrap_err().field, "refunded_fen");
    r.refunded_fen = 0;
    r.paid_at = None;
    assert_eq!(r.validate().unwrap_err().field, "paid_at");
    r.paid_at = Some(1);
    r.state = "settled".into();
    assert_eq!(r.validate().unwrap_err().field, "state");
    r.state = "paid".into();
    r.wallet = "bitcoin".into();
    assert_eq!(r.validate().unwrap_err().field, "wallet");
    r.wallet = "cash".into();
    r.amount_fen = 0;
    assert_eq!(r.validate().unwrap_err().field, "amount_fen");
    let s = ShiftRecord {
        shift: 1,
        clerk: "01".into(),
        opened_at: 10,
        closed_at: Some(5),
    };
    assert_eq!(Record::Shift(s).validate().unwrap_err().field, "closed_at");
}

#[test]
fn a_batch_must_be_contiguous_and_valid() {
    let ok = PushRequest::new(vec![change(3, 1), change(4, 1), change(5, 1)], 0, None);
    assert_eq!(ok.validate(), Ok(()));
    let holed = PushRequest::new(vec![change(3, 1), change(5, 1)], 0, None);
    assert_eq!(
        holed.validate(),
        Err(BatchError::NotContiguous { prev: 3, got: 5 })
    );
    let mut bad = change(4, 1);
    if let Record::Order(o) = &mut bad.record {
        o.amount_fen = -5;
    }
    let invalid = PushRequest::new(vec![change(3, 1), bad], 0, None);
    let err = invalid.validate().unwrap_err();
    let body = err.to_body();
    assert_eq!(body.error, ErrorCode::BadRequest);
    assert_eq!(body.seq, Some(4));
    assert!(body.message.contains("amount_fen"), "{}", body.message);
    let too_many = PushRequest::new((1..=1001).map(|s| change(s, 1)).collect(), 0, None);
    assert_eq!(
        too_many.validate().unwrap_err().to_body().error,
        ErrorCode::TooLarge
    );
}

#[test]
fn a_batch_splits_into_duplicates_and_new_changes_or_is_a_gap() {
    let req = PushRequest::new((5..=9).map(|s| change(s, 1)).collect(), 0, None);
    let (old, new) = req.split_at(6).unwrap();
    assert_eq!(old.iter().map(|c| c.seq).collect::<Vec<_>>(), [5, 6]);
    assert_eq!(new.iter().map(|c| c.seq).collect::<Vec<_>>(), [7, 8, 9]);
    let (old, new) = req.split_at(9).unwrap();
    assert_eq!((old.len(), new.len()), (5, 0));
    let (old, new) = req.split_at(4).unwrap();
    assert_eq!((old.len(), new.len()), (0, 5));
    let gap = req.split_at(2).unwrap_err();
    assert_eq!(gap.error, ErrorCode::Gap);
    assert_eq!(gap.applied_through, Some(2));
    assert_eq!(gap.expected_seq, Some(3));
    assert_eq!(gap.error.retry(), Retry::Resume);
    assert_eq!(gap.error.http_status(), 409);
    let v = serde_json::to_value(&gap).unwrap();
    assert_eq!(v["error"], "gap");
    assert_eq!(v["v"], 1);
}

#[test]
fn a_clock_stepped_back_never_makes_a_record_the_head_office_refuses() {
    // The till's clock went back an hour between the order's creation and its payment.
    let mut o = order("sz0100ABCD2611221322180001", 500);
    o.updated_at = Timestamp::from_unix_millis(o.created_at.unix_millis() - 3_600_000);
    let rec = OrderRecord::from_order(&o);
    rec.validate().unwrap();
    assert_eq!(rec.updated_at, rec.created_at);
    // A shift handed over "before" it was opened.
    let shift = cloudpos_domain::shift::Shift {
        id: 4,
        clerk_id: ClerkId::parse("01").unwrap(),
        opened_at: Timestamp::from_unix_millis(1_795_324_938_000),
        closed_at: Some(Timestamp::from_unix_millis(1_795_324_000_000)),
    };
    let rec = ShiftRecord::from_shift(&shift);
    rec.validate().unwrap();
    assert_eq!(rec.closed_at, Some(rec.opened_at));
}

#[test]
fn unknown_kinds_are_refused_not_skipped() {
    let text = json!({"seq": 1, "at": 0, "record": {"kind": "member_movement", "amount_fen": 1}});
    let err = serde_json::from_value::<Change>(text)
        .unwrap_err()
        .to_string();
    assert!(err.contains("member_movement"), "{err}");
}

proptest! {
    /// Whatever applied_through is, a valid batch is either a clean split (duplicates then
    /// contiguous new changes starting right after applied_through) or a gap that applies nothing.
    #[test]
    fn split_never_skips_a_number(start in 1_i64..50, len in 0_usize..20, applied in 0_i64..80) {
        let req = PushRequest::new((0..len).map(|i| change(start + i as i64, 1)).collect(), 0, None);
        prop_assert!(req.validate().is_ok());
        match req.split_at(applied) {
            Ok((old, new)) => {
                prop_assert!(old.iter().all(|c| c.seq <= applied));
                if let Some(first) = new.first() {
                    prop_assert_eq!(first.seq, applied + 1);
                }
                prop_assert_eq!(old.len() + new.len(), len);
            }
            Err(body) => {
                prop_assert_eq!(body.error, ErrorCode::Gap);
                prop_assert!(start > applied + 1);
            }
        }
    }

    /// Paid orders of any amount and refunded part survive the wire unchanged.
    #[test]
    fn order_records_round_trip_through_json(amount in 1_i64..10_000_000, part in 0_u32..=100) {
        let mut o = order("sz0100ABCD2611221322180001", amount);
        o.refunded = Money::from_fen(amount * i64::from(part) / 100);
        let rec = OrderRecord::from_order(&o);
        let json = serde_json::to_string(&rec).unwrap();
        let back: OrderRecord = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.to_order().unwrap(), o);
        prop_assert_eq!(back.order_state().unwrap(), OrderState::Paid);
    }
}
