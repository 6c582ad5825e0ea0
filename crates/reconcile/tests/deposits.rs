//! The deposit rules of reconciliation: what halts and what is deliberately left alone.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::deposit::{Deposit, NewDeposit};
use cloudpos_domain::money::Money;
use cloudpos_domain::order_no::{FreezeNo, OrderNo, UnfreezeNo};
use cloudpos_domain::ports::{CloudFreeze, CloudFreezeState, CloudUnfreeze};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_reconcile::{DiscrepancyKind, Params, compare_deposits};

fn t(s: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_800_000_000 + s)
}

fn params() -> Params {
    Params::new((t(0), t(3_600)), t(4_000), "shop1", "dev1")
}

fn local(no: &str, fen: i64, at: i64) -> Deposit {
    let mut d = Deposit::new(
        NewDeposit {
            no: FreezeNo::parse(no).unwrap(),
            wallet: Wallet::WeChat,
            amount: Money::from_fen(fen),
            code_masked: "1345**".into(),
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            clerk_id: ClerkId::parse("01").unwrap(),
            shift_id: None,
            body: "押金".into(),
            remark: String::new(),
        },
        t(at),
    );
    d.mark_frozen(None, t(at), t(at)).unwrap();
    d
}

fn cloud(no: &str, fen: i64, at: i64, state: CloudFreezeState) -> CloudFreeze {
    CloudFreeze {
        no: no.into(),
        wallet: Some(Wallet::WeChat),
        state,
        frozen: Money::from_fen(fen),
        consumed: Money::ZERO,
        released: Money::ZERO,
        auto_released: Money::ZERO,
        refunded: Money::ZERO,
        freeze_id: None,
        store_id: "shop1".into(),
        device_id: "dev1".into(),
        created_at: t(at),
        frozen_at: Some(t(at)),
        reason: None,
    }
}

fn kinds(r: &cloudpos_reconcile::DepositReport) -> Vec<DiscrepancyKind> {
    r.discrepancies.iter().map(|d| d.kind).collect()
}

#[test]
fn matching_deposits_are_clean() {
    let a = local("F1", 1_000, 10);
    let mut b = local("F2", 500, 20);
    b.begin_consume(
        OrderNo::parse("C2").unwrap(),
        Money::from_fen(200),
        &ClerkId::parse("01").unwrap(),
        t(30),
    )
    .unwrap();
    b.mark_consumed(None, t(30)).unwrap();
    let mut c = local("F3", 300, 40);
    c.begin_unfreeze(UnfreezeNo::parse("U3").unwrap(), None, None, None, t(50))
        .unwrap();
    c.mark_unfrozen(t(50)).unwrap();
    let mut fb = cloud("F2", 500, 20, CloudFreezeState::Finished);
    fb.consumed = Money::from_fen(200);
    fb.released = Money::from_fen(300);
    let mut fc = cloud("F3", 300, 40, CloudFreezeState::Finished);
    fc.released = Money::from_fen(300);
    let u = CloudUnfreeze {
        no: "U3".into(),
        freeze_no: "F3".into(),
        amount: Money::from_fen(300),
        succeeded: true,
        store_id: "shop1".into(),
        device_id: "dev1".into(),
        created_at: t(50),
    };
    let r = compare_deposits(
        &[a, b, c],
        &[cloud("F1", 1_000, 10, CloudFreezeState::Frozen), fb, fc],
        &[u],
        &params(),
    );
    assert!(r.discrepancies.is_empty(), "{:?}", r.discrepancies);
    assert_eq!((r.compared_freezes, r.compared_unfreezes), (3, 1));
}

#[test]
fn money_moved_without_the_ledger_halts() {
    // Frozen locally, consumed in the cloud.
    let mut f = cloud("F1", 1_000, 10, CloudFreezeState::Finished);
    f.consumed = Money::from_fen(100);
    f.released = Money::from_fen(900);
    let r = compare_deposits(&[local("F1", 1_000, 10)], &[f], &[], &params());
    assert_eq!(kinds(&r), vec![DiscrepancyKind::FreezeStateDiffers]);
    // A freeze the ledger never made; a release the ledger never made.
    let u = CloudUnfreeze {
        no: "U9".into(),
        freeze_no: "F9".into(),
        amount: Money::from_fen(1),
        succeeded: true,
        store_id: "shop1".into(),
        device_id: "dev1".into(),
        created_at: t(100),
    };
    let r = compare_deposits(
        &[],
        &[cloud("F9", 99, 100, CloudFreezeState::Frozen)],
        &[u],
        &params(),
    );
    assert_eq!(
        kinds(&r),
        vec![
            DiscrepancyKind::FreezeMissingLocally,
            DiscrepancyKind::UnfreezeMissingLocally
        ]
    );
    // A deposit that held money the cloud does not list; amounts that differ.
    let r = compare_deposits(&[local("F4", 400, 100)], &[], &[], &params());
    assert_eq!(kinds(&r), vec![DiscrepancyKind::FreezeMissingInCloud]);
    let r = compare_deposits(
        &[local("F5", 400, 100)],
        &[cloud("F5", 401, 100, CloudFreezeState::Frozen)],
        &[],
        &params(),
    );
    assert_eq!(kinds(&r), vec![DiscrepancyKind::FreezeAmountsDiffer]);
}

#[test]
fn what_is_still_settling_or_released_by_the_wallet_is_left_alone() {
    // Touched within the grace: in flight.
    let mut f = cloud("F1", 1_000, 3_950, CloudFreezeState::Finished);
    f.consumed = Money::from_fen(1_000);
    let r = compare_deposits(&[local("F1", 1_000, 3_950)], &[f], &[], &params());
    assert!(r.discrepancies.is_empty());
    // Released by the wallet after 30 days: noted for the terminal, no halt.
    let mut f = cloud("F2", 700, 10, CloudFreezeState::Finished);
    f.auto_released = Money::from_fen(700);
    let r = compare_deposits(&[local("F2", 700, 10)], &[f], &[], &params());
    assert!(r.discrepancies.is_empty());
    assert_eq!(r.auto_released, vec!["F2".to_owned()]);
    // Another device's records are not ours.
    let mut other = cloud("F3", 1, 10, CloudFreezeState::Frozen);
    other.device_id = "dev2".into();
    let r = compare_deposits(&[], &[other], &[], &params());
    assert!(r.discrepancies.is_empty());
    assert_eq!(r.other_devices, 1);
    // A failed freeze the cloud lists as failed, or not at all: nothing.
    let mut failed = Deposit::new(
        NewDeposit {
            no: FreezeNo::parse("F6").unwrap(),
            wallet: Wallet::Alipay,
            amount: Money::from_fen(5),
            code_masked: String::new(),
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            clerk_id: ClerkId::parse("01").unwrap(),
            shift_id: None,
            body: String::new(),
            remark: String::new(),
        },
        t(10),
    );
    failed.mark_failed("NOTENOUGH", t(10)).unwrap();
    let r = compare_deposits(&[failed], &[], &[], &params());
    assert!(r.discrepancies.is_empty());
}
