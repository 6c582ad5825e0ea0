//! Unit tests of the screen-total reading.

use super::{AmountReading, ScreenTotal};
use crate::money::Money;

fn reading(fen: Option<i64>) -> AmountReading {
    AmountReading {
        amount: fen.map(Money::from_fen),
        text: String::new(),
        confidence_permille: 1000,
        source: "test".into(),
    }
}

#[test]
fn a_negative_read_is_a_return_and_never_payable() {
    let r = reading(Some(-8650));
    assert_eq!(r.total(), ScreenTotal::Return(Money::from_fen(8650)));
    assert_eq!(r.payable(), None);
    let extreme = reading(Some(i64::MIN));
    assert_eq!(
        extreme.total(),
        ScreenTotal::Return(Money::from_fen(i64::MAX))
    );
    assert_eq!(extreme.payable(), None);
}

#[test]
fn positive_zero_and_unreadable() {
    assert_eq!(
        reading(Some(1)).total(),
        ScreenTotal::Charge(Money::from_fen(1))
    );
    assert_eq!(reading(Some(1)).payable(), Some(Money::from_fen(1)));
    for r in [reading(Some(0)), reading(None)] {
        assert_eq!(r.total(), ScreenTotal::Nothing);
        assert_eq!(r.payable(), None);
    }
}

#[test]
fn serialised_with_its_kind() {
    let v = serde_json::to_value(ScreenTotal::Return(Money::from_fen(8650))).unwrap();
    assert_eq!(v, serde_json::json!({"kind": "return", "amount": 8650}));
    let v = serde_json::to_value(ScreenTotal::Nothing).unwrap();
    assert_eq!(v, serde_json::json!({"kind": "nothing"}));
}
