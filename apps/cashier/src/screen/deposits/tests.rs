//! The deposit screen's update logic, headless.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::deposit::{Deposit, DepositStatus, NewDeposit};
use cloudpos_domain::money::Money;
use cloudpos_domain::order_no::{FreezeNo, UnfreezeNo};
use cloudpos_domain::ports::{Approval, ApprovalRequest, ApprovalState, ApprovalTicket, Page};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{Authorization, TerminalError};

use super::*;

fn frozen(no: &str, fen: i64) -> Deposit {
    let mut d = Deposit::new(
        NewDeposit {
            no: FreezeNo::parse(no).unwrap(),
            wallet: Wallet::WeChat,
            amount: Money::from_fen(fen),
            code_masked: "1340****0000".into(),
            store_id: "s".into(),
            device_id: "d".into(),
            clerk_id: ClerkId::parse("02").unwrap(),
            shift_id: None,
            body: "押金".into(),
            remark: "302".into(),
        },
        Timestamp::EPOCH,
    );
    d.mark_frozen(None, Timestamp::EPOCH, Timestamp::EPOCH)
        .unwrap();
    d
}

const NO: &str = "sz0100ABCD2611221322180001";

fn with_one(fen: i64) -> (Deposits, Ctx) {
    let ctx = Ctx::default();
    let mut s = Deposits::default();
    s.update(
        Message::Listed(Ok(Page {
            items: vec![frozen(NO, fen)],
            total: 1,
            page: 0,
            page_size: PAGE_SIZE,
        })),
        &ctx,
    );
    let e = s.update(Message::Select(FreezeNo::parse(NO).unwrap()), &ctx);
    assert!(matches!(e, Some(Event::Focus(CONSUME_FIELD))));
    (s, ctx)
}

#[test]
fn a_freeze_needs_an_amount_then_a_code_and_scanning_the_code_sends_it() {
    let ctx = Ctx::default();
    let mut s = Deposits::default();
    // Enter in the amount field moves to the code field (a scanner types, then Enter).
    s.update(Message::Amount("１２.5".into()), &ctx);
    // Full-width digits are kept as typed and read by the strict parser.
    assert!(matches!(
        s.update(Message::AmountDone, &ctx),
        Some(Event::Focus(CODE_FIELD))
    ));
    // No code: refused, the focus stays on the code.
    assert!(matches!(
        s.update(Message::Freeze, &ctx),
        Some(Event::Focus(CODE_FIELD))
    ));
    assert!(s.error.is_some());
    s.update(Message::Code("134567890123450000\n".into()), &ctx);
    match s.update(Message::Freeze, &ctx) {
        Some(Event::Freeze(input)) => {
            assert_eq!(input.amount, Money::from_fen(1250));
            assert_eq!(input.code, "134567890123450000");
        }
        other => panic!("{other:?}"),
    }
    assert!(s.settling(), "keys wait while the freeze is out");
    // A second Enter while it is out sends nothing.
    assert!(s.update(Message::Freeze, &ctx).is_none());
    s.update(Message::Frozen(Ok(frozen(NO, 1250))), &ctx);
    assert!(!s.settling());
    assert!(s.amount.is_empty() && s.code.is_empty());
    assert_eq!(s.list.len(), 1);
    assert_eq!(
        s.selected.as_ref().unwrap().remaining(),
        Money::from_fen(1250)
    );
    assert!(s.notice.as_deref().unwrap().contains("12.50"));
}

#[test]
fn a_zero_or_bad_amount_is_refused_before_anything_is_sent() {
    let ctx = Ctx::default();
    let mut s = Deposits::default();
    s.update(Message::Code("134567890123450000".into()), &ctx);
    for bad in ["", "0", "0.00"] {
        s.amount = bad.into();
        assert!(matches!(
            s.update(Message::Freeze, &ctx),
            Some(Event::Focus(AMOUNT_FIELD))
        ));
        assert!(s.error.is_some());
        assert!(s.busy.is_none());
    }
}

#[test]
fn a_consume_shows_what_goes_back_and_is_capped_at_what_is_frozen() {
    let (mut s, ctx) = with_one(10_000);
    assert_eq!(s.consume, "100.00");
    s.update(Message::ConsumeAmount("30".into()), &ctx);
    assert_eq!(s.would_release(), Some(Money::from_fen(7_000)));
    s.update(Message::ConsumeAmount("100.01".into()), &ctx);
    assert_eq!(s.would_release(), None);
    assert!(matches!(
        s.update(Message::Consume, &ctx),
        Some(Event::Focus(CONSUME_FIELD))
    ));
    assert!(s.error.as_deref().unwrap().contains("100.00"));
    s.update(Message::ConsumeAmount("30".into()), &ctx);
    match s.update(Message::Consume, &ctx) {
        Some(Event::Consume(input)) => {
            assert_eq!(input.amount, Money::from_fen(3_000));
            assert_eq!(input.freeze_no.as_str(), NO);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.busy, Some(Busy::Consuming));
}

#[test]
fn a_release_without_permission_asks_a_manager_by_qr_or_password() {
    let (mut s, ctx) = with_one(5_000);
    assert!(matches!(
        s.update(Message::Release, &ctx),
        Some(Event::Unfreeze(UnfreezeInput {
            authorization: None,
            ..
        }))
    ));
    match s.update(
        Message::Released(Err(TerminalError::NeedsAuthorization("refund".into()))),
        &ctx,
    ) {
        Some(Event::RequestApproval(no)) => assert_eq!(no.as_str(), NO),
        other => panic!("{other:?}"),
    }
    assert!(s.auth.is_some() && !s.settling());
    let ticket = ApprovalTicket {
        token: "tok".into(),
        approve_url: "http://127.0.0.1/approve/tok".into(),
        expires_at: Timestamp::from_unix_seconds(120),
    };
    s.update(Message::Ticket(Ok(ticket)), &ctx);
    assert!(s.auth.as_ref().unwrap().ticket().is_some());
    // The tick polls the approval; once approved the release goes with its token.
    assert!(matches!(
        s.update(Message::Tick(Timestamp::from_unix_seconds(1)), &ctx),
        Some(Event::Poll(t)) if t == "tok"
    ));
    let approved = Approval {
        token: "tok".into(),
        state: ApprovalState::Approved,
        request: ApprovalRequest::Login,
        staff_id: None,
        staff_name: None,
        expires_at: Timestamp::from_unix_seconds(120),
    };
    match s.update(Message::Polled(Ok(approved)), &ctx) {
        Some(Event::Unfreeze(UnfreezeInput {
            authorization: Some(Authorization::Approval { token }),
            ..
        })) => assert_eq!(token, "tok"),
        other => panic!("{other:?}"),
    }
    // Or by password: a bad manager id is refused at once.
    s.update(Message::AuthMode(AuthMode::Password), &ctx);
    s.update(Message::Manager("x y".into()), &ctx);
    assert!(matches!(
        s.update(Message::AuthorizeWithPassword, &ctx),
        Some(Event::Focus(MANAGER_FIELD))
    ));
    s.update(Message::Manager("01".into()), &ctx);
    s.update(Message::ManagerPassword("pw01".into()), &ctx);
    assert!(matches!(
        s.update(Message::AuthorizeWithPassword, &ctx),
        Some(Event::Unfreeze(UnfreezeInput {
            authorization: Some(Authorization::ManagerPassword { .. }),
            ..
        }))
    ));
    let mut released = frozen(NO, 5_000);
    released
        .begin_unfreeze(
            UnfreezeNo::parse("sz0100ABCD2611221322180002").unwrap(),
            None,
            None,
            None,
            Timestamp::EPOCH,
        )
        .unwrap();
    released.mark_unfrozen(Timestamp::EPOCH).unwrap();
    s.update(Message::Released(Ok(released)), &ctx);
    assert!(s.auth.is_none() && s.busy.is_none());
    assert_eq!(
        s.selected.as_ref().unwrap().status(),
        DepositStatus::Unfrozen
    );
    assert_eq!(s.list[0].status(), DepositStatus::Unfrozen);
}

#[test]
fn filters_become_the_query_and_a_bad_date_is_named() {
    let ctx = Ctx::default();
    let mut s = Deposits::default();
    match s.update(Message::Status(Some(DepositStatus::Frozen)), &ctx) {
        Some(Event::List(f)) => {
            assert_eq!(f.status, Some(DepositStatus::Frozen));
            assert_eq!(f.page_size, PAGE_SIZE);
        }
        other => panic!("{other:?}"),
    }
    s.update(Message::From("2026-12-01".into()), &ctx);
    s.update(Message::To("2026-12-05".into()), &ctx);
    match s.update(Message::Search(0), &ctx) {
        Some(Event::List(f)) => {
            let (from, to) = (f.from.unwrap(), f.to.unwrap());
            // A bare "to" date includes that whole day.
            assert_eq!(to.since(from).as_secs(), 5 * 86_400);
        }
        other => panic!("{other:?}"),
    }
    s.update(Message::To("5 Dec".into()), &ctx);
    assert!(s.update(Message::Search(0), &ctx).is_none());
    assert!(s.error.as_deref().unwrap().contains("5 Dec"));
}
