//! The checkout's scan handling: scans are looked up one at a time in scan order, whatever
//! order the answers would have come back in.

use cloudpos_domain::catalog::{CheckoutMode, Commodity};
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::CodeTable;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::timestamp::Timestamp;

use super::{Checkout, Event, Message};
use crate::ctx::Ctx;

fn item(sku: &str, fen: i64) -> Commodity {
    Commodity {
        sku: sku.into(),
        barcode: None,
        name: format!("item {sku}"),
        category: String::new(),
        unit: "件".into(),
        price: Money::from_fen(fen),
        stock: 10,
    }
}

fn ctx() -> Ctx {
    Ctx {
        codes: Some(CodeTable::default()),
        ..Ctx::default()
    }
}

fn scan(c: &mut Checkout, text: &str, ctx: &Ctx) -> Option<Event> {
    c.update(Message::Lookup(text.into()), ctx);
    c.update(Message::LookupSubmit, ctx)
}

fn skus(c: &Checkout) -> Vec<String> {
    c.cart.lines().iter().map(|l| l.sku.clone()).collect()
}

#[test]
fn scans_made_while_one_is_looked_up_wait_their_turn_in_scan_order() {
    let ctx = ctx();
    let mut c = Checkout::new(CheckoutMode::Full);
    assert!(matches!(scan(&mut c, "A001", &ctx), Some(Event::Find(q)) if q == "A001"));
    // The field is free for the next scan at once.
    assert_eq!(c.lookup, "");
    assert!(
        scan(&mut c, "A002", &ctx).is_none(),
        "waits for A001's answer"
    );
    assert!(scan(&mut c, "134500000000001200", &ctx).is_none());
    assert!(c.settling());

    let next = c.update(
        Message::Found("A001".into(), Ok(Some(item("A001", 300)))),
        &ctx,
    );
    assert!(matches!(next, Some(Event::Find(q)) if q == "A002"));
    let next = c.update(
        Message::Found("A002".into(), Ok(Some(item("A002", 250)))),
        &ctx,
    );
    assert!(matches!(next, Some(Event::Find(q)) if q == "134500000000001200"));
    assert_eq!(skus(&c), ["A001", "A002"]);

    // The customer's code, scanned after the goods, pays the cart they are in.
    let pay = c.update(Message::Found("134500000000001200".into(), Ok(None)), &ctx);
    match pay {
        Some(Event::Checkout { cart, code, .. }) => {
            assert_eq!(code, "134500000000001200");
            assert_eq!(cart.total().unwrap(), Money::from_fen(550));
        }
        other => panic!("expected the cart paid by code, got {other:?}"),
    }
    assert!(!c.settling());
}

#[test]
fn a_scan_that_finds_nothing_comes_back_into_the_field() {
    let ctx = ctx();
    let mut c = Checkout::new(CheckoutMode::Full);
    scan(&mut c, "X999", &ctx);
    assert_eq!(c.lookup, "");
    c.update(Message::Found("X999".into(), Ok(None)), &ctx);
    assert_eq!(c.lookup, "X999");
    assert!(c.error.as_deref().is_some_and(|e| e.contains("X999")));
}

#[test]
fn goods_scanned_while_the_payment_finishes_go_into_the_next_sale() {
    let ctx = ctx();
    let mut c = Checkout::new(CheckoutMode::Full);
    scan(&mut c, "A001", &ctx);
    c.update(
        Message::Found("A001".into(), Ok(Some(item("A001", 300)))),
        &ctx,
    );
    scan(&mut c, "134500000000001100", &ctx);
    let pay = c.update(Message::Found("134500000000001100".into(), Ok(None)), &ctx);
    let Some(Event::Checkout { cart, .. }) = pay else {
        panic!("expected the cart paid, got {pay:?}");
    };
    assert!(c.in_flight());

    // The next customer's goods, scanned before the paid answer reached the screen.
    assert!(
        scan(&mut c, "B001", &ctx).is_none(),
        "not looked up while paying"
    );
    assert!(!c.settling(), "keys typed while paying are not held");
    c.update(Message::Lookup("69".into()), &ctx);
    let mut order = Order::new(
        NewOrder {
            no: OrderNo::parse("sz0100ABCD2611221322180001").unwrap(),
            method: PaymentMethod::Wallet(Wallet::WeChat),
            amount: cart.total().unwrap(),
            code_masked: Some("1345**********1100".into()),
            store_id: "S1".into(),
            device_id: "D1".into(),
            clerk_id: ClerkId::parse("01").unwrap(),
            shift_id: None,
            body: String::new(),
            remark: String::new(),
        },
        Timestamp::EPOCH,
    );
    order.state = OrderState::Paid;
    let next = c.update(Message::Finished(Ok(order)), &ctx);
    assert!(matches!(next, Some(Event::Find(q)) if q == "B001"));
    assert_eq!(
        c.lookup, "69",
        "what was typed meanwhile stays in the field"
    );
    c.update(
        Message::Found("B001".into(), Ok(Some(item("B001", 790)))),
        &ctx,
    );
    assert_eq!(
        skus(&c),
        ["B001"],
        "the paid sale's goods are gone, the new one's kept"
    );
    assert!(!c.in_flight());
}

#[test]
fn pay_asked_for_while_goods_are_looked_up_waits_for_them() {
    let ctx = ctx();
    let mut c = Checkout::new(CheckoutMode::Full);
    scan(&mut c, "A001", &ctx);
    c.update(Message::Code("134500000000001100".into()), &ctx);
    assert!(c.update(Message::PayWallet, &ctx).is_none());
    let pay = c.update(
        Message::Found("A001".into(), Ok(Some(item("A001", 300)))),
        &ctx,
    );
    match pay {
        Some(Event::Checkout { cart, .. }) => {
            assert_eq!(cart.total().unwrap(), Money::from_fen(300));
        }
        other => panic!("expected the cart paid once A001 was in, got {other:?}"),
    }
}

#[test]
fn the_code_on_its_way_is_not_edited_under_the_payment() {
    let ctx = ctx();
    let mut c = Checkout::new(CheckoutMode::Full);
    scan(&mut c, "A001", &ctx);
    c.update(
        Message::Found("A001".into(), Ok(Some(item("A001", 300)))),
        &ctx,
    );
    c.update(Message::Code("134500000000001100".into()), &ctx);
    assert!(matches!(
        c.update(Message::PayWallet, &ctx),
        Some(Event::Checkout { .. })
    ));
    let moved = c.update(Message::Code("134500000000001100B".into()), &ctx);
    assert!(matches!(moved, Some(Event::Focus(super::LOOKUP_FIELD))));
    assert_eq!(c.code, "134500000000001100");
}

#[test]
fn the_member_card_pays_the_cart_and_an_insufficient_balance_shows_it() {
    use super::card::Message as Card;
    use cloudpos_domain::member::MemberError;
    use cloudpos_domain::ports::StoreError;
    use cloudpos_terminal::TerminalError;

    let ctx = ctx();
    let mut c = Checkout::new(CheckoutMode::Full);
    // An empty cart opens nothing: there is nothing to pay.
    assert!(matches!(
        c.update(Message::Card(Card::Open), &ctx),
        Some(Event::Focus(super::LOOKUP_FIELD))
    ));
    assert!(c.card.is_none() && c.error.is_some());
    scan(&mut c, "A001", &ctx);
    c.update(
        Message::Found("A001".into(), Ok(Some(item("A001", 1_250)))),
        &ctx,
    );
    assert!(matches!(
        c.update(Message::Card(Card::Open), &ctx),
        Some(Event::Focus(super::CARD_FIELD))
    ));
    assert_eq!(c.dialog_title(), Some("会员卡支付"));
    // Enter with no card: refused in the dialog.
    assert!(matches!(
        c.update(Message::Card(Card::Confirm), &ctx),
        Some(Event::Focus(super::CARD_FIELD))
    ));
    assert!(c.card.as_ref().unwrap().error.is_some());
    c.update(
        Message::Card(Card::CardNo("9900000000000001\n".into())),
        &ctx,
    );
    match c.update(Message::Card(Card::Confirm), &ctx) {
        Some(Event::PayCard(p)) => {
            assert_eq!(p.card, "9900000000000001");
            assert_eq!(p.amount, Money::from_fen(1_250));
            assert_eq!(p.cart.lines().len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(c.card.is_none() && c.in_flight());
    c.update(
        Message::Finished(Err(TerminalError::Store(StoreError::Member(
            MemberError::InsufficientBalance {
                balance: Money::from_fen(800),
                amount: Money::from_fen(1_250),
            },
        )))),
        &ctx,
    );
    match &c.stage {
        super::Stage::Done(Err(e)) => assert!(e.contains("8.00") && e.contains("12.50"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.cart.lines().len(),
        1,
        "the cart stays for another payment"
    );
}
