//! The deposit state machine and its rules, case by case.

use super::*;

fn deposit(fen: i64) -> Deposit {
    Deposit::new(
        NewDeposit {
            no: FreezeNo::parse("sz0100ABCD2611221322180001").unwrap(),
            wallet: Wallet::WeChat,
            amount: Money::from_fen(fen),
            code_masked: "1345**********7649".into(),
            store_id: "shop".into(),
            device_id: "dev".into(),
            clerk_id: ClerkId::parse("01").unwrap(),
            shift_id: None,
            body: "押金".into(),
            remark: "room 302".into(),
        },
        Timestamp::from_unix_seconds(1),
    )
}

const T: Timestamp = Timestamp::from_unix_seconds(2);

fn clerk() -> ClerkId {
    ClerkId::parse("01").unwrap()
}

fn consume_no() -> OrderNo {
    OrderNo::parse("sz0100ABCD2611221322180002").unwrap()
}

fn unfreeze_no() -> UnfreezeNo {
    UnfreezeNo::parse("sz0100ABCD2611221322180003").unwrap()
}

fn frozen(fen: i64) -> Deposit {
    let mut d = deposit(fen);
    d.mark_frozen(Some("auth1".into()), T, T).unwrap();
    d
}

#[test]
fn freeze_then_part_consume_releases_the_rest() {
    let mut d = deposit(10_000);
    d.check_invariants().unwrap();
    d.mark_user_paying(T).unwrap();
    d.mark_frozen(Some("auth1".into()), T, T).unwrap();
    assert_eq!(d.status(), DepositStatus::Frozen);
    assert_eq!(d.remaining(), Money::from_fen(10_000));
    d.begin_consume(consume_no(), Money::from_fen(3_000), &clerk(), T)
        .unwrap();
    assert_eq!(d.status(), DepositStatus::Unknown);
    assert_eq!(d.held(), Money::from_fen(10_000));
    d.check_invariants().unwrap();
    d.mark_consumed(Some(Money::from_fen(7_000)), T).unwrap();
    assert_eq!(d.state, DepositState::Consumed);
    assert_eq!(d.consumed, Money::from_fen(3_000));
    assert_eq!(d.unfrozen, Money::from_fen(7_000));
    assert_eq!(d.remaining(), Money::ZERO);
    d.check_invariants().unwrap();
}

#[test]
fn a_whole_consume_releases_nothing() {
    let mut d = frozen(500);
    d.begin_consume(consume_no(), Money::from_fen(500), &clerk(), T)
        .unwrap();
    d.mark_consumed(None, T).unwrap();
    assert_eq!(
        (d.consumed, d.unfrozen),
        (Money::from_fen(500), Money::ZERO)
    );
    d.check_invariants().unwrap();
}

#[test]
fn a_consume_above_the_frozen_amount_is_refused() {
    let mut d = frozen(500);
    let e = d
        .begin_consume(consume_no(), Money::from_fen(501), &clerk(), T)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "consume of 5.01 is above the frozen amount 5.00 of deposit sz0100ABCD2611221322180001"
    );
    assert_eq!(d.state, DepositState::Frozen, "unchanged");
    assert_eq!(
        d.begin_consume(consume_no(), Money::ZERO, &clerk(), T),
        Err(DepositError::NotPositive)
    );
}

#[test]
fn nothing_is_consumed_or_released_twice() {
    let mut d = frozen(500);
    d.begin_unfreeze(unfreeze_no(), Some(&clerk()), None, None, T)
        .unwrap();
    assert_eq!(d.pending, Money::from_fen(500));
    assert!(matches!(
        d.check_consume(Money::from_fen(1)),
        Err(DepositError::InProgress { .. })
    ));
    d.mark_unfrozen(T).unwrap();
    assert_eq!(d.unfrozen, Money::from_fen(500));
    d.check_invariants().unwrap();
    let e = d.check_release().unwrap_err();
    assert_eq!(
        e.to_string(),
        "deposit sz0100ABCD2611221322180001 is already released (unfrozen); nothing is frozen"
    );
    assert!(matches!(
        d.begin_consume(consume_no(), Money::from_fen(1), &clerk(), T),
        Err(DepositError::AlreadyReleased { .. })
    ));
    let mut c = frozen(500);
    c.begin_consume(consume_no(), Money::from_fen(100), &clerk(), T)
        .unwrap();
    c.mark_consumed(None, T).unwrap();
    assert!(matches!(
        c.check_release(),
        Err(DepositError::AlreadyConsumed { .. })
    ));
    assert!(matches!(
        deposit(5).check_release(),
        Err(DepositError::InProgress { .. })
    ));
}

#[test]
fn an_unconfirmed_freeze_is_cancelled_by_releasing_it_all() {
    for before in [
        DepositState::Freezing,
        DepositState::UserPaying,
        DepositState::Unknown,
    ] {
        let mut d = deposit(800);
        d.state = before;
        d.begin_unfreeze(unfreeze_no(), None, None, Some("not confirmed in time"), T)
            .unwrap();
        assert_eq!(d.pending, Money::from_fen(800));
        d.check_invariants().unwrap();
        let mut released = d.clone();
        released.mark_unfrozen(T).unwrap();
        assert_eq!(released.unfrozen, Money::from_fen(800));
        released.check_invariants().unwrap();
        // Or the cancellation finds that the freeze never took the money.
        d.mark_failed("the customer did not pay", T).unwrap();
        assert_eq!(d.pending, Money::ZERO);
        d.check_invariants().unwrap();
    }
}

#[test]
fn a_refused_consume_or_release_leaves_it_frozen() {
    let mut d = frozen(500);
    d.begin_consume(consume_no(), Money::from_fen(100), &clerk(), T)
        .unwrap();
    d.consume_refused("status 104", T).unwrap();
    assert_eq!(d.state, DepositState::Frozen);
    assert_eq!(d.consume_no, None);
    assert_eq!(d.remaining(), Money::from_fen(500));
    d.check_invariants().unwrap();
    d.begin_unfreeze(unfreeze_no(), Some(&clerk()), None, None, T)
        .unwrap();
    d.unfreeze_refused("no refund permission", T, T).unwrap();
    assert_eq!(d.state, DepositState::Frozen);
    assert_eq!(d.unfreeze_no, None);
    d.check_invariants().unwrap();
    // A frozen deposit cannot be "failed" by a confused release.
    d.begin_unfreeze(unfreeze_no(), Some(&clerk()), None, None, T)
        .unwrap();
    assert!(d.mark_failed("?", T).is_err());
}

#[test]
fn the_wallet_releases_a_forgotten_deposit() {
    for mid in [
        None,
        Some(DepositState::Consuming),
        Some(DepositState::Unfreezing),
    ] {
        let mut d = frozen(500);
        match mid {
            Some(DepositState::Consuming) => d
                .begin_consume(consume_no(), Money::from_fen(100), &clerk(), T)
                .unwrap(),
            Some(_) => d
                .begin_unfreeze(unfreeze_no(), None, None, None, T)
                .unwrap(),
            None => {}
        }
        d.mark_auto_unfrozen(T).unwrap();
        assert_eq!(d.state, DepositState::Unfrozen);
        assert_eq!(d.unfrozen, Money::from_fen(500));
        assert_eq!(d.consumed, Money::ZERO);
        d.check_invariants().unwrap();
    }
}

#[test]
fn every_transition_is_in_the_table() {
    use DepositState::*;
    let legal: &[(DepositState, DepositState)] = &[
        (Freezing, UserPaying),
        (Freezing, Unknown),
        (Freezing, Frozen),
        (Freezing, Failed),
        (Freezing, Unfreezing),
        (UserPaying, UserPaying),
        (UserPaying, Unknown),
        (UserPaying, Frozen),
        (UserPaying, Failed),
        (UserPaying, Unfreezing),
        (Unknown, UserPaying),
        (Unknown, Unknown),
        (Unknown, Frozen),
        (Unknown, Failed),
        (Unknown, Unfreezing),
        (Frozen, Consuming),
        (Frozen, Unfreezing),
        (Frozen, Unfrozen),
        (Consuming, Consuming),
        (Consuming, Consumed),
        (Consuming, Frozen),
        (Consuming, Unfrozen),
        (Unfreezing, Unfreezing),
        (Unfreezing, Unfrozen),
        (Unfreezing, Frozen),
        (Unfreezing, Failed),
    ];
    for from in DepositState::ALL {
        for to in DepositState::ALL {
            let mut d = deposit(1);
            d.state = from;
            let expected = legal.contains(&(from, to));
            assert_eq!(d.transition(to, T).is_ok(), expected, "{from} -> {to}");
            if !expected {
                assert_eq!(d.state, from, "state unchanged after an illegal move");
            }
        }
    }
    for s in [Consumed, Unfrozen, Failed] {
        assert!(s.is_final());
        assert!(DepositState::ALL.iter().all(|n| !s.can_become(*n)));
    }
}

#[test]
fn statuses_fold_the_states() {
    use DepositState::*;
    assert_eq!(Frozen.status(), DepositStatus::Frozen);
    for s in [Freezing, UserPaying, Unknown, Consuming, Unfreezing] {
        assert_eq!(s.status(), DepositStatus::Unknown);
        assert!(s.is_open());
    }
    assert_eq!(
        DepositStatus::Unknown.states(),
        vec![Freezing, UserPaying, Unknown, Consuming, Unfreezing]
    );
    for s in DepositState::ALL {
        assert_eq!(s.as_str().parse::<DepositState>(), Ok(s));
    }
    for s in DepositStatus::ALL {
        assert_eq!(s.as_str().parse::<DepositStatus>(), Ok(s));
    }
}

#[test]
fn invariants_catch_bad_amounts() {
    let mut d = frozen(500);
    d.consumed = Money::from_fen(300);
    d.unfrozen = Money::from_fen(300);
    assert!(
        d.check_invariants()
            .unwrap_err()
            .contains("above the frozen")
    );
    let mut d = frozen(500);
    d.state = DepositState::Consumed;
    d.consumed = Money::from_fen(100);
    d.unfrozen = Money::from_fen(400);
    d.refunded = Money::from_fen(101);
    assert!(d.check_invariants().unwrap_err().contains("refunded"));
    d.refunded = Money::from_fen(100);
    d.check_invariants().unwrap();
    d.unfrozen = Money::from_fen(300);
    assert!(
        d.check_invariants().is_err(),
        "consumed must be accounted for"
    );
    let mut d = frozen(500);
    d.pending = Money::from_fen(1);
    assert!(d.check_invariants().is_err(), "pending outside a call");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        UserPaying,
        Unknown,
        Frozen,
        Failed,
        Consume(i64),
        Consumed(Option<i64>),
        ConsumeRefused,
        Unfreeze,
        Unfrozen,
        UnfreezeRefused,
        AutoUnfrozen,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            Just(Step::UserPaying),
            Just(Step::Unknown),
            Just(Step::Frozen),
            Just(Step::Failed),
            (-5i64..2_000).prop_map(Step::Consume),
            proptest::option::of(-5i64..2_000).prop_map(Step::Consumed),
            Just(Step::ConsumeRefused),
            Just(Step::Unfreeze),
            Just(Step::Unfrozen),
            Just(Step::UnfreezeRefused),
            Just(Step::AutoUnfrozen),
        ]
    }

    proptest! {
        /// Whatever the cloud answers in whatever order, the amounts stay consistent:
        /// consumed + unfrozen + pending ≤ frozen, and a final deposit is accounted for.
        #[test]
        fn amounts_stay_consistent(amount in 1i64..1_500, steps in proptest::collection::vec(step(), 0..12)) {
            let mut d = deposit(amount);
            for s in steps {
                let _ = match s {
                    Step::UserPaying => d.mark_user_paying(T).map_err(|e| e.to_string()),
                    Step::Unknown => d.mark_unknown("lost", T).map_err(|e| e.to_string()),
                    Step::Frozen => d.mark_frozen(None, T, T).map_err(|e| e.to_string()),
                    Step::Failed => d.mark_failed("no", T).map_err(|e| e.to_string()),
                    Step::Consume(f) => d
                        .begin_consume(consume_no(), Money::from_fen(f), &clerk(), T)
                        .map_err(|e| e.to_string()),
                    Step::Consumed(r) => d
                        .mark_consumed(r.map(Money::from_fen), T)
                        .map_err(|e| e.to_string()),
                    Step::ConsumeRefused => d.consume_refused("no", T).map_err(|e| e.to_string()),
                    Step::Unfreeze => d
                        .begin_unfreeze(unfreeze_no(), None, None, None, T)
                        .map_err(|e| e.to_string()),
                    Step::Unfrozen => d.mark_unfrozen(T).map_err(|e| e.to_string()),
                    Step::UnfreezeRefused => d.unfreeze_refused("no", T, T).map_err(|e| e.to_string()),
                    Step::AutoUnfrozen => d.mark_auto_unfrozen(T).map_err(|e| e.to_string()),
                };
                prop_assert!(d.check_invariants().is_ok(), "{:?}: {:?}", d.check_invariants(), d);
            }
        }
    }
}
