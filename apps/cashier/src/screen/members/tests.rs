//! The member screen's update logic, headless.

use cloudpos_domain::clerk::{Clerk, ClerkId, Role};
use cloudpos_domain::code::Wallet;
use cloudpos_domain::member::{BonusRules, CardNo, MemberAccount, MemberCard};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{RechargeResult, TerminalError};

use super::*;

const CARD: &str = "9900000000000001";

fn account(card: &str, fen: i64) -> MemberAccount {
    MemberAccount {
        card: MemberCard::new(
            CardNo::parse(card).unwrap(),
            "张三",
            "13800000000",
            Timestamp::EPOCH,
        )
        .unwrap(),
        balance: Money::from_fen(fen),
    }
}

fn order(fen: i64, state: OrderState) -> Order {
    let mut o = Order::new(
        NewOrder {
            no: OrderNo::parse("sz0100ABCD2611221322180001").unwrap(),
            method: PaymentMethod::Wallet(Wallet::WeChat),
            amount: Money::from_fen(fen),
            code_masked: Some("1345**********1100".into()),
            store_id: "S1".into(),
            device_id: "D1".into(),
            clerk_id: ClerkId::parse("01").unwrap(),
            shift_id: None,
            body: "会员充值".into(),
            remark: String::new(),
        },
        Timestamp::EPOCH,
    );
    o.state = state;
    o
}

fn ctx_as(role: Role) -> Ctx {
    Ctx {
        clerk: Some(Clerk {
            id: ClerkId::parse("01").unwrap(),
            name: "王".into(),
            phone: String::new(),
            role,
            can_refund: false,
            cloud_staff_id: None,
            created_at: Timestamp::EPOCH,
        }),
        ..Ctx::default()
    }
}

/// A screen showing CARD with `fen` on it and the rules 充 100 送 10.
fn with_card(fen: i64) -> (Members, Ctx) {
    let ctx = ctx_as(Role::Clerk);
    let mut s = Members::default();
    s.update(
        Message::Rules(Ok(BonusRules::parse("100:10").unwrap())),
        &ctx,
    );
    s.update(Message::Query(format!("{CARD}\n")), &ctx);
    assert!(matches!(s.update(Message::Find, &ctx), Some(Event::Find(q)) if q == CARD));
    assert!(s.settling(), "keys wait for the card");
    let e = s.update(
        Message::Found(CARD.into(), Ok(vec![account(CARD, fen)])),
        &ctx,
    );
    assert!(matches!(e, Some(Event::Open(c)) if c == CARD));
    assert!(!s.settling());
    (s, ctx)
}

#[test]
fn a_scanned_card_is_shown_and_an_unknown_one_is_named() {
    let (s, _) = with_card(2_500);
    assert_eq!(s.account.as_ref().unwrap().balance, Money::from_fen(2_500));
    assert!(
        s.query.is_empty(),
        "the find field is free for the next scan"
    );

    let ctx = Ctx::default();
    let mut s = Members::default();
    s.update(Message::Query("13900000000".into()), &ctx);
    s.update(Message::Find, &ctx);
    let e = s.update(Message::Found("13900000000".into(), Ok(vec![])), &ctx);
    assert!(matches!(e, Some(Event::Focus(FIND_FIELD))));
    assert!(s.error.as_deref().unwrap().contains("13900000000"));
}

#[test]
fn several_cards_under_one_phone_are_offered_to_pick() {
    let ctx = Ctx::default();
    let mut s = Members::default();
    s.update(Message::Query("13800000000".into()), &ctx);
    s.update(Message::Find, &ctx);
    let found = vec![
        account("9900000000000001", 0),
        account("9900000000000002", 0),
    ];
    assert!(
        s.update(Message::Found("13800000000".into(), Ok(found)), &ctx)
            .is_none()
    );
    assert_eq!(s.matches.len(), 2);
    let e = s.update(Message::Pick(1), &ctx);
    assert!(matches!(e, Some(Event::Open(c)) if c == "9900000000000002"));
    assert!(s.matches.is_empty());
}

#[test]
fn the_bonus_is_shown_before_charging_and_the_credit_after() {
    let (mut s, ctx) = with_card(0);
    s.update(Message::Amount("１００".into()), &ctx);
    assert_eq!(
        s.bonus_preview(),
        Some((Money::from_fen(10_000), Money::from_fen(1_000)))
    );
    s.update(Message::Amount("99.99".into()), &ctx);
    assert_eq!(s.bonus_preview().unwrap().1, Money::ZERO);
    s.update(Message::Amount("100".into()), &ctx);
    // Enter in the amount moves to the code; the scan's Enter charges.
    assert!(matches!(
        s.update(Message::AmountDone, &ctx),
        Some(Event::Focus(CODE_FIELD))
    ));
    s.update(Message::Code("134500000000001100".into()), &ctx);
    match s.update(Message::Recharge, &ctx) {
        Some(Event::Recharge { card, amount, code }) => {
            assert_eq!(card, CARD);
            assert_eq!(amount, Money::from_fen(10_000));
            assert_eq!(code, "134500000000001100");
        }
        other => panic!("{other:?}"),
    }
    assert!(s.settling());
    assert!(s.update(Message::Recharge, &ctx).is_none(), "not twice");
    let e = s.update(
        Message::Recharged(Ok(RechargeResult {
            order: order(10_000, OrderState::Paid),
            account: account(CARD, 11_000),
            bonus: Money::from_fen(1_000),
            credited: true,
        })),
        &ctx,
    );
    assert!(
        matches!(e, Some(Event::Open(c)) if c == CARD),
        "the ledger is read again"
    );
    assert!(s.recharging.is_none());
    assert_eq!(s.account.as_ref().unwrap().balance, Money::from_fen(11_000));
    let n = s.notice.clone().unwrap();
    assert!(n.contains("10.00") && n.contains("110.00"), "{n}");
    assert!(s.amount.is_empty() && s.code.is_empty());
}

#[test]
fn an_unknown_recharge_is_followed_never_failed_until_it_ends() {
    let (mut s, ctx) = with_card(0);
    s.update(Message::Amount("50".into()), &ctx);
    s.update(Message::Code("134500000000001100".into()), &ctx);
    s.update(Message::Recharge, &ctx);
    let open = order(5_000, OrderState::Unknown);
    s.update(
        Message::Recharged(Err(TerminalError::ResultUnknown {
            order: Box::new(open.clone()),
            cause: "timeout".into(),
        })),
        &ctx,
    );
    assert!(matches!(
        s.recharging,
        Some(Recharging::Following(_, Unresolved::Unknown))
    ));
    assert!(s.error.is_none(), "not red while unknown");
    // Another order's update changes nothing.
    let mut other = order(5_000, OrderState::Paid);
    other.no = OrderNo::parse("sz0100ABCD2611221322180002").unwrap();
    assert!(s.update(Message::Update(other), &ctx).is_none());
    assert!(s.recharging.is_some());
    let e = s.update(Message::Update(order(5_000, OrderState::Paid)), &ctx);
    assert!(matches!(e, Some(Event::Open(_))));
    assert!(s.recharging.is_none());
    assert!(s.notice.is_some() && s.error.is_none());
}

#[test]
fn a_failed_recharge_says_the_balance_is_unchanged() {
    let (mut s, ctx) = with_card(700);
    s.update(Message::Amount("50".into()), &ctx);
    s.update(Message::Code("134500000000001100".into()), &ctx);
    s.update(Message::Recharge, &ctx);
    s.update(
        Message::Recharged(Ok(RechargeResult {
            order: order(5_000, OrderState::Failed),
            account: account(CARD, 700),
            bonus: Money::ZERO,
            credited: false,
        })),
        &ctx,
    );
    assert!(s.error.is_some());
    assert_eq!(s.amount, "50", "the amount stays for another try");
}

#[test]
fn a_recharge_needs_a_card_an_amount_and_a_code() {
    let ctx = Ctx::default();
    let mut s = Members::default();
    s.update(Message::Amount("10".into()), &ctx);
    assert!(matches!(
        s.update(Message::Recharge, &ctx),
        Some(Event::Focus(FIND_FIELD))
    ));
    let (mut s, ctx) = with_card(0);
    assert!(matches!(
        s.update(Message::Recharge, &ctx),
        Some(Event::Focus(AMOUNT_FIELD))
    ));
    s.update(Message::Amount("10".into()), &ctx);
    assert!(matches!(
        s.update(Message::Recharge, &ctx),
        Some(Event::Focus(CODE_FIELD))
    ));
    assert!(s.recharging.is_none());
}

#[test]
fn only_an_admin_adjusts_and_always_with_a_reason() {
    let (mut s, _) = with_card(1_000);
    let cashier = ctx_as(Role::Clerk);
    s.update(Message::Adjust("-5".into()), &cashier);
    s.update(Message::Reason("补录".into()), &cashier);
    assert!(s.update(Message::AdjustSubmit, &cashier).is_none());
    assert_eq!(s.error.as_deref(), Some(adjust_refused()));

    let admin = ctx_as(Role::MerchantAdmin);
    s.update(Message::Reason(" ".into()), &admin);
    assert!(matches!(
        s.update(Message::AdjustSubmit, &admin),
        Some(Event::Focus(REASON_FIELD))
    ));
    s.update(Message::Reason("补录".into()), &admin);
    match s.update(Message::AdjustSubmit, &admin) {
        Some(Event::Adjust { amount, reason, .. }) => {
            assert_eq!(amount, Money::from_fen(-500));
            assert_eq!(reason, "补录");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(signed_amount("＋１２.5"), Ok(Money::from_fen(1_250)));
    assert!(signed_amount("0").is_err());
    assert!(signed_amount("-x").is_err());
}

#[test]
fn adding_a_member_moves_field_to_field_and_shows_the_card() {
    let ctx = Ctx::default();
    let mut s = Members::default();
    assert!(matches!(
        s.update(Message::OpenAdd, &ctx),
        Some(Event::Focus(CARD_FIELD))
    ));
    s.update(Message::AddCard(format!("{CARD}\n")), &ctx);
    assert!(matches!(
        s.update(Message::AddCardDone, &ctx),
        Some(Event::Focus(NAME_FIELD))
    ));
    // No name: refused, the focus goes to it.
    assert!(matches!(
        s.update(Message::AddSubmit, &ctx),
        Some(Event::Focus(NAME_FIELD))
    ));
    s.update(Message::AddName("张三".into()), &ctx);
    assert!(matches!(
        s.update(Message::AddNameDone, &ctx),
        Some(Event::Focus(PHONE_FIELD))
    ));
    s.update(Message::AddPhone("138-0000-0000".into()), &ctx);
    match s.update(Message::AddSubmit, &ctx) {
        Some(Event::Add { card, name, phone }) => {
            assert_eq!((card.as_str(), name.as_str()), (CARD, "张三"));
            assert_eq!(phone, "13800000000");
        }
        other => panic!("{other:?}"),
    }
    assert!(s.settling());
    let e = s.update(Message::Added(Ok(account(CARD, 0))), &ctx);
    assert!(matches!(e, Some(Event::Open(_))));
    assert!(s.add.is_none());
    assert!(s.account.is_some());
}

#[test]
fn an_import_reports_bad_rows_and_esc_closes_the_dialog() {
    let ctx = Ctx::default();
    let mut s = Members::new(std::path::PathBuf::from("/tmp"));
    s.update(Message::Transfer(transfer::Message::Open(true)), &ctx);
    assert!(s.transfer.as_ref().unwrap().path.ends_with("会员.xlsx"));
    assert!(matches!(
        s.update(Message::Transfer(transfer::Message::Start), &ctx),
        Some(Event::Transfer(transfer::Event::Import(_)))
    ));
    s.update(
        Message::Transfer(transfer::Message::Imported(Ok(
            cloudpos_terminal::MemberImport {
                rows: 3,
                imported: 0,
                errors: vec![],
            },
        ))),
        &ctx,
    );
    assert_eq!(
        s.transfer.as_ref().unwrap().report.as_ref().unwrap().rows,
        3
    );
    s.update(Message::Escape, &ctx);
    assert!(s.transfer.is_none());
}
