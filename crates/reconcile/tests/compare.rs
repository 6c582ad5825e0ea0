//! Each discrepancy kind is found (and only it), a realistic clean day has none, and every
//! single money-relevant mutation of a clean day is found.

mod common;

use std::time::Duration;

use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{OrderState, PaymentMethod};
use cloudpos_domain::ports::CloudOrderState;
use cloudpos_domain::refund::RefundState;
use cloudpos_reconcile::{DiscrepancyKind as K, Params, Report};
use common::*;
use proptest::prelude::*;

const NOON: i64 = 12 * HOUR_MS;

fn only(report: &Report, kind: K) {
    assert_eq!(
        report.discrepancies.len(),
        1,
        "expected exactly one {kind}: {:#?}",
        report.discrepancies
    );
    assert_eq!(
        report.discrepancies[0].kind, kind,
        "{:#?}",
        report.discrepancies
    );
    assert_eq!(report.count(kind), 1);
    assert!(!report.is_clean());
}

/// One paid order, listed, with one succeeded refund on both sides.
fn pair() -> Fixture {
    let mut o = paid(1, 1000, at(NOON));
    let r = refund(&o, 0, 300, RefundState::Succeeded, at(NOON + 60_000));
    o.refunded = Money::from_fen(300);
    Fixture {
        cloud_orders: vec![cloud_paid(&o)],
        cloud_refunds: vec![cloud_refund_of(&r, 0)],
        local_orders: vec![o],
        local_refunds: vec![r],
    }
}

#[test]
fn the_base_pair_is_clean() {
    let r = pair().report(&params());
    assert!(r.is_clean(), "{:#?}", r.discrepancies);
    assert_eq!((r.compared_orders, r.compared_refunds), (1, 1));
}

#[test]
fn missing_locally() {
    let mut f = pair();
    f.local_orders.clear();
    f.local_refunds.clear();
    let r = f.report(&params());
    // The order, and its refund, are unknown to the ledger.
    assert_eq!(r.count(K::MissingLocally), 1, "{:#?}", r.discrepancies);
    assert_eq!(r.count(K::RefundMissingLocally), 1);
    assert_eq!(r.discrepancies.len(), 2);
    let d = &r.discrepancies[0];
    assert_eq!(d.out_trade_no, "sz01dev10000000001");
    assert!(d.detail.contains("money was taken"), "{}", d.detail);
    assert!(d.local.is_none() && d.cloud.is_some());

    let mut f = pair();
    f.local_orders.clear();
    f.local_refunds.clear();
    f.cloud_refunds.clear();
    only(&f.report(&params()), K::MissingLocally);
}

#[test]
fn missing_in_cloud() {
    let mut f = pair();
    f.cloud_orders.clear();
    f.cloud_refunds.clear();
    let r = f.report(&params());
    assert_eq!(r.count(K::MissingInCloud), 1, "{:#?}", r.discrepancies);
    assert_eq!(r.count(K::RefundMissingInCloud), 1);
    assert_eq!(r.discrepancies.len(), 2);

    let mut f = pair();
    f.cloud_orders.clear();
    only(&f.report(&params()), K::MissingInCloud);
}

#[test]
fn amount_differs() {
    let mut f = pair();
    f.cloud_orders[0].amount = Money::from_fen(1001);
    let r = f.report(&params());
    only(&r, K::AmountDiffers);
    assert!(
        r.discrepancies[0].detail.contains("10.00") && r.discrepancies[0].detail.contains("10.01")
    );
}

#[test]
fn state_differs() {
    // Paid locally, reversed in the cloud.
    let mut f = pair();
    f.cloud_orders[0].state = CloudOrderState::Reversed;
    only(&f.report(&params()), K::StateDiffers);
    // Failed locally, paid in the cloud: the one-sided account.
    let o = local(
        2,
        PaymentMethod::Wallet(Wallet::Alipay),
        500,
        OrderState::Failed,
        at(NOON),
    );
    let f = Fixture {
        cloud_orders: vec![cloud_paid(&o)],
        local_orders: vec![o],
        ..Fixture::default()
    };
    only(&f.report(&params()), K::StateDiffers);
}

#[test]
fn refunded_differs() {
    let mut f = pair();
    f.cloud_orders[0].refunded = Money::from_fen(400);
    only(&f.report(&params()), K::RefundedDiffers);
}

/// Alipay changes an order's state only on a *full* refund (protocol notes §11.10): a
/// partly refunded Alipay order is still listed as paid, and only `client_order_detail`'s
/// `refunded_fee` tells. That figure is what is compared.
#[test]
fn an_alipay_partial_refund_is_read_from_refunded_fee() {
    let alipay = |refunded_fen: i64| {
        let mut o = local(
            7,
            PaymentMethod::Wallet(Wallet::Alipay),
            1000,
            OrderState::Paid,
            at(NOON),
        );
        let r = refund(&o, 0, 300, RefundState::Succeeded, at(NOON + 60_000));
        o.refunded = Money::from_fen(300);
        let mut c = cloud_paid(&o);
        assert_eq!(c.state, CloudOrderState::Paid, "Alipay still says paid");
        c.refunded = Money::from_fen(refunded_fen);
        Fixture {
            cloud_orders: vec![c],
            cloud_refunds: vec![cloud_refund_of(&r, 0)],
            local_orders: vec![o],
            local_refunds: vec![r],
        }
    };
    // The ledger agrees with refunded_fee: no discrepancy, although the state is "paid".
    let r = alipay(300).report(&params());
    assert!(r.is_clean(), "{:#?}", r.discrepancies);
    assert_eq!((r.compared_orders, r.compared_refunds), (1, 1));
    // refunded_fee says otherwise: the totals differ.
    for cloud in [0, 200, 1000] {
        let r = alipay(cloud).report(&params());
        only(&r, K::RefundedDiffers);
        assert!(
            r.discrepancies[0].detail.contains("3.00"),
            "{}",
            r.discrepancies[0].detail
        );
    }
}

#[test]
fn duplicate_from_other_device_by_machine_no() {
    let f = pair();
    let mut f2 = f.clone();
    f2.cloud_orders[0].machine_no = Some("CPFFFFFFFFFFFF".to_owned());
    let r = f2.report(&params());
    only(&r, K::DuplicateFromOtherDevice);
    assert!(r.discrepancies[0].detail.contains("CPFFFFFFFFFFFF"));
    // Without our machine_no known, the same listing is clean.
    let mut p = params();
    p.machine_no = None;
    assert!(f2.report(&p).is_clean());
}

#[test]
fn duplicate_from_other_device_by_two_records() {
    let mut f = pair();
    let mut dup = f.cloud_orders[0].clone();
    dup.transaction_id = Some("4200999".to_owned());
    dup.created_at = dup.created_at.plus(Duration::from_secs(40));
    f.cloud_orders.push(dup);
    only(&f.report(&params()), K::DuplicateFromOtherDevice);
}

#[test]
fn duplicate_from_other_device_by_transaction_id() {
    let mut f = pair();
    f.cloud_orders[0].transaction_id = Some("4200999".to_owned());
    only(&f.report(&params()), K::DuplicateFromOtherDevice);
}

#[test]
fn duplicate_from_other_device_by_refund_number() {
    // Two different refunds listed under one number.
    let mut f = pair();
    let mut other = f.cloud_refunds[0].clone();
    other.order_no = "sz01dev10000000077".to_owned();
    other.amount = Money::from_fen(999);
    f.cloud_refunds.push(other);
    let r = f.report(&params());
    only(&r, K::DuplicateFromOtherDevice);
    assert_eq!(
        r.discrepancies[0].out_refund_no.as_deref(),
        Some("sz01dev10000000001R0")
    );
    // Our refund number listed for another order.
    let mut f = pair();
    f.cloud_refunds[0].order_no = "sz01dev10000000077".to_owned();
    only(&f.report(&params()), K::DuplicateFromOtherDevice);
}

#[test]
fn another_machines_order_outside_the_window_is_left_to_its_window() {
    let o = paid(8, 100, at(DAY_MS + 1_000));
    let mut c = cloud_paid(&o);
    c.machine_no = Some("CPOTHER".to_owned());
    let f = Fixture {
        cloud_orders: vec![c.clone()],
        ..Fixture::default()
    };
    assert!(f.report(&params()).is_clean());
    // Inside the window it is reported, once.
    c.created_at = at(NOON);
    let f = Fixture {
        cloud_orders: vec![c.clone(), c],
        ..Fixture::default()
    };
    only(&f.report(&params()), K::DuplicateFromOtherDevice);
}

#[test]
fn refund_missing_locally() {
    let mut f = pair();
    f.local_refunds.clear();
    // The ledger's refunded total still says 3.00 (as if a refund row were lost).
    only(&f.report(&params()), K::RefundMissingLocally);
}

#[test]
fn refund_missing_in_cloud() {
    let mut f = pair();
    f.cloud_refunds.clear();
    only(&f.report(&params()), K::RefundMissingInCloud);
}

#[test]
fn refund_amount_differs() {
    let mut f = pair();
    f.cloud_refunds[0].amount = Money::from_fen(301);
    only(&f.report(&params()), K::RefundAmountDiffers);
}

#[test]
fn refund_state_differs() {
    let mut f = pair();
    f.cloud_refunds[0].state = RefundState::Failed;
    // The cloud's total agrees with its own refund list.
    f.cloud_orders[0].refunded = Money::ZERO;
    let r = f.report(&params());
    assert_eq!(r.count(K::RefundStateDiffers), 1, "{:#?}", r.discrepancies);
    assert_eq!(r.count(K::RefundedDiffers), 1);
    assert_eq!(r.discrepancies.len(), 2);
}

#[test]
fn stale_open_order_paid_in_cloud_differs_but_recent_one_settles() {
    let mut o = local(
        3,
        PaymentMethod::Wallet(Wallet::WeChat),
        700,
        OrderState::Unknown,
        at(NOON),
    );
    let c = cloud_paid(&o);
    let mut f = Fixture {
        cloud_orders: vec![c],
        local_orders: vec![o.clone()],
        ..Fixture::default()
    };
    only(&f.report(&params()), K::StateDiffers);
    // The same, seen 30 s after the last change: in flight.
    let mut p = params();
    p.as_of = o.updated_at.plus(Duration::from_secs(30));
    let r = f.report(&p);
    assert!(r.is_clean(), "{:#?}", r.discrepancies);
    assert_eq!(r.settling, 1);
    // Stuck open, cloud failed: no money either way.
    o.updated_at = at(NOON);
    f.local_orders = vec![o];
    f.cloud_orders[0].state = CloudOrderState::Failed;
    assert!(f.report(&params()).is_clean());
}

#[test]
fn missing_is_only_reported_inside_the_window() {
    // Reconciled an hour after the day: nothing is in flight.
    let mut p = params();
    p.as_of = at(DAY_MS + HOUR_MS);
    for (t, reported) in [
        (at(-1), false),
        (at(0), true),
        (at(DAY_MS - 1), true),
        (at(DAY_MS), false),
    ] {
        let o = paid(4, 100, t);
        let only_local = Fixture {
            local_orders: vec![o.clone()],
            ..Fixture::default()
        };
        let only_cloud = Fixture {
            cloud_orders: vec![cloud_paid(&o)],
            ..Fixture::default()
        };
        assert_eq!(
            !only_local.report(&p).is_clean(),
            reported,
            "local at {t:?}"
        );
        assert_eq!(
            !only_cloud.report(&p).is_clean(),
            reported,
            "cloud at {t:?}"
        );
    }
}

#[test]
fn printed_qr_code_payments_are_never_the_tills_own() {
    // A static-QR order (trade type 8) booked under this till's own store and device id,
    // created inside the window, with no local record: not "missing locally".
    let o = paid(8, 880, at(NOON));
    let mut c = cloud_paid(&o);
    c.one_code = true;
    let f = Fixture {
        cloud_orders: vec![c],
        ..Fixture::default()
    };
    let r = f.report(&params());
    assert!(r.is_clean(), "{:#?}", r.discrepancies);
    assert_eq!(r.other_devices, 1);
}

#[test]
fn out_of_window_pairs_are_still_compared() {
    let o = paid(5, 100, at(-60_000));
    let mut c = cloud_paid(&o);
    c.amount = Money::from_fen(90);
    let f = Fixture {
        cloud_orders: vec![c],
        local_orders: vec![o],
        ..Fixture::default()
    };
    only(&f.report(&params()), K::AmountDiffers);
}

#[test]
fn cash_and_other_devices_are_not_ours() {
    let cash = local(6, PaymentMethod::Cash, 100, OrderState::Paid, at(NOON));
    let mut other = paid(7, 100, at(NOON));
    other.device_id = "dev02".to_owned();
    let f = Fixture {
        cloud_orders: vec![cloud_paid(&other)],
        local_orders: vec![cash],
        ..Fixture::default()
    };
    let r = f.report(&params());
    assert!(r.is_clean(), "{:#?}", r.discrepancies);
    assert_eq!((r.skipped_cash, r.other_devices), (1, 1));
}

#[test]
fn paging_repeats_are_collapsed() {
    let mut f = pair();
    let mut early = f.cloud_orders[0].clone();
    early.state = CloudOrderState::Pending;
    early.transaction_id = None;
    early.refunded = Money::ZERO;
    f.cloud_orders.insert(0, early);
    f.cloud_refunds.push(f.cloud_refunds[0].clone());
    f.local_orders.push(f.local_orders[0].clone());
    let r = f.report(&params());
    assert!(r.is_clean(), "{:#?}", r.discrepancies);
    assert_eq!(r.repeats, 3);
}

#[test]
fn report_lines_read_well() {
    let mut f = pair();
    f.cloud_orders[0].state = CloudOrderState::Failed;
    f.cloud_orders.push({
        let o = paid(9, 250, at(NOON));
        cloud_paid(&o)
    });
    let r = f.report(&params());
    assert_eq!(
        r.headline(),
        "reconciliation with Cloud Pay found 2 discrepancies (1 missing_locally, 1 state_differs)"
    );
    let lines = r.detail_lines();
    assert_eq!(
        lines[0],
        "state_differs sz01dev10000000001: the ledger says paid but Cloud Pay says failed: the \
         ledger counts money that Cloud Pay did not take or has returned"
    );
    assert_eq!(
        lines[1],
        "missing_locally sz01dev10000000009: Cloud Pay lists a paid order of 2.50 created \
         2026-11-22 12:00:00 that the ledger does not have: money was taken but is not recorded"
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["discrepancies"][0]["kind"], "state_differs");
}

#[test]
fn a_clean_day_of_100_000_orders_has_no_discrepancy() {
    let f = clean_day(100_000, 7);
    let r = f.report(&params());
    assert!(
        r.is_clean(),
        "{} false positives, first: {:#?}",
        r.discrepancies.len(),
        &r.discrepancies[..r.discrepancies.len().min(5)]
    );
    // The day really exercised the rules.
    assert!(r.compared_orders > 70_000, "{r:?}");
    assert!(r.compared_refunds > 10_000, "{}", r.compared_refunds);
    assert!(r.skipped_cash > 5_000 && r.other_devices > 2_000 && r.repeats > 300);
    assert!(r.settling >= 8, "{}", r.settling);
    // And the grace is what keeps its in-flight records quiet.
    let mut no_grace = params();
    no_grace.settle_grace = Duration::ZERO;
    assert!(!f.report(&no_grace).is_clean());
}

// ───────────────────────────── mutations ─────────────────────────────

#[derive(Debug, Clone, Copy)]
enum Mutation {
    /// Change the amount of a paid order, on one side.
    Amount {
        cloud: bool,
    },
    /// Drop a record on one side.
    DropLocal,
    DropCloud,
    /// Flip a state across money classes, on one side.
    Flip {
        cloud: bool,
    },
    /// Change the refunded total of a paid order, on one side.
    Refunded {
        cloud: bool,
    },
    /// Drop a succeeded refund on one side.
    DropRefund {
        cloud: bool,
    },
    /// Change a succeeded refund's amount, or flip its state.
    RefundAmount,
    RefundFlip {
        cloud: bool,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<bool>().prop_map(|cloud| Mutation::Amount { cloud }),
        Just(Mutation::DropLocal),
        Just(Mutation::DropCloud),
        any::<bool>().prop_map(|cloud| Mutation::Flip { cloud }),
        any::<bool>().prop_map(|cloud| Mutation::Refunded { cloud }),
        any::<bool>().prop_map(|cloud| Mutation::DropRefund { cloud }),
        Just(Mutation::RefundAmount),
        any::<bool>().prop_map(|cloud| Mutation::RefundFlip { cloud }),
    ]
}

/// Whether a local record is settled: created in the window and untouched for the grace.
fn settled_in_window(
    p: &Params,
    created: cloudpos_domain::timestamp::Timestamp,
    touched: cloudpos_domain::timestamp::Timestamp,
) -> bool {
    p.window.0 <= created && created < p.window.1 && touched < p.as_of.minus(p.settle_grace)
}

/// Applies `m` to the `pick`-th eligible record; returns the kind expected, or `None` when
/// the day has no eligible record.
#[allow(clippy::too_many_lines)]
fn apply(f: &mut Fixture, p: &Params, m: Mutation, pick: usize) -> Option<K> {
    use cloudpos_domain::timestamp::Timestamp;
    let cloud_idx = |f: &Fixture, no: &str| f.cloud_orders.iter().position(|c| c.no == no);
    let busy_orders: std::collections::HashSet<String> = f
        .local_refunds
        .iter()
        .filter(|r| !r.state.is_final() || r.updated_at >= p.as_of.minus(p.settle_grace))
        .map(|r| r.order_no.to_string())
        .chain(
            f.cloud_refunds
                .iter()
                .filter(|r| !r.state.is_final() || r.created_at >= p.as_of.minus(p.settle_grace))
                .map(|r| r.order_no.clone()),
        )
        .collect();
    // Paid wallet orders listed as paid (and settled on both sides).
    let paid_pairs: Vec<(usize, usize)> = f
        .local_orders
        .iter()
        .enumerate()
        .filter(|(_, o)| o.state == OrderState::Paid && o.method != PaymentMethod::Cash)
        .filter_map(|(i, o)| {
            let c = cloud_idx(f, o.no.as_str())?;
            (f.cloud_orders[c].state == CloudOrderState::Paid).then_some((i, c))
        })
        .collect();
    let nth = |v: usize| if v == 0 { None } else { Some(pick % v) };
    let in_window = |t: Timestamp| p.window.0 <= t && t < p.window.1;
    match m {
        Mutation::Amount { cloud } => {
            let (i, c) = paid_pairs[nth(paid_pairs.len())?];
            if cloud {
                f.cloud_orders[c].amount = f.cloud_orders[c].amount + Money::from_fen(1);
            } else {
                f.local_orders[i].amount = f.local_orders[i].amount + Money::from_fen(1);
            }
            Some(K::AmountDiffers)
        }
        Mutation::DropLocal => {
            // Any listed order of ours created in the window (cloud clock), not recent.
            let ours: Vec<usize> = f
                .local_orders
                .iter()
                .enumerate()
                .filter(|(_, o)| o.method != PaymentMethod::Cash && o.device_id == DEVICE)
                .filter_map(|(i, o)| {
                    let c = &f.cloud_orders[cloud_idx(f, o.no.as_str())?];
                    (in_window(c.created_at) && c.created_at < p.as_of.minus(p.settle_grace))
                        .then_some(i)
                })
                .collect();
            let i = ours[nth(ours.len())?];
            f.local_orders.remove(i);
            Some(K::MissingLocally)
        }
        Mutation::DropCloud => {
            let cands: Vec<usize> = paid_pairs
                .iter()
                .filter(|&&(i, _)| {
                    let o = &f.local_orders[i];
                    settled_in_window(p, o.created_at, o.updated_at)
                })
                .map(|&(_, c)| c)
                .collect();
            let c = cands[nth(cands.len())?];
            f.cloud_orders.remove(c);
            Some(K::MissingInCloud)
        }
        Mutation::Flip { cloud } => {
            // Paid ↔ failed/reversed, on either side, of a settled pair.
            let both: Vec<(usize, usize)> = f
                .local_orders
                .iter()
                .enumerate()
                .filter(|(_, o)| o.method != PaymentMethod::Cash && o.state.is_final())
                .filter(|(_, o)| o.updated_at < p.as_of.minus(p.settle_grace))
                .filter_map(|(i, o)| Some((i, cloud_idx(f, o.no.as_str())?)))
                .filter(|&(_, c)| f.cloud_orders[c].state != CloudOrderState::Pending)
                .collect();
            let (i, c) = both[nth(both.len())?];
            let o = &mut f.local_orders[i];
            let co = &mut f.cloud_orders[c];
            if cloud {
                co.state = if co.state == CloudOrderState::Paid {
                    CloudOrderState::Reversed
                } else {
                    CloudOrderState::Paid
                };
                co.transaction_id = o.transaction_id.clone();
            } else {
                o.state = if o.state == OrderState::Paid {
                    OrderState::Failed
                } else {
                    OrderState::Paid
                };
            }
            Some(K::StateDiffers)
        }
        Mutation::Refunded { cloud } => {
            let cands: Vec<(usize, usize)> = paid_pairs
                .iter()
                .copied()
                .filter(|&(i, _)| !busy_orders.contains(f.local_orders[i].no.as_str()))
                .collect();
            let (i, c) = cands[nth(cands.len())?];
            if cloud {
                f.cloud_orders[c].refunded = f.cloud_orders[c].refunded + Money::from_fen(1);
            } else {
                f.local_orders[i].refunded = f.local_orders[i].refunded + Money::from_fen(1);
            }
            Some(K::RefundedDiffers)
        }
        Mutation::DropRefund { cloud } => {
            let cands: Vec<(usize, usize)> = f
                .local_refunds
                .iter()
                .enumerate()
                .filter(|(_, r)| r.state == RefundState::Succeeded)
                .filter_map(|(i, r)| {
                    let c = f.cloud_refunds.iter().position(|c| c.no == r.no.as_str())?;
                    Some((i, c))
                })
                .filter(|&(i, c)| {
                    let r = &f.local_refunds[i];
                    let cr = &f.cloud_refunds[c];
                    if cloud {
                        settled_in_window(p, r.created_at, r.updated_at)
                    } else {
                        in_window(cr.created_at) && cr.created_at < p.as_of.minus(p.settle_grace)
                    }
                })
                .collect();
            let (i, c) = cands[nth(cands.len())?];
            if cloud {
                f.cloud_refunds.remove(c);
                Some(K::RefundMissingInCloud)
            } else {
                f.local_refunds.remove(i);
                Some(K::RefundMissingLocally)
            }
        }
        Mutation::RefundAmount | Mutation::RefundFlip { .. } => {
            let cands: Vec<(usize, usize)> = f
                .local_refunds
                .iter()
                .enumerate()
                .filter(|(_, r)| r.state == RefundState::Succeeded)
                .filter_map(|(i, r)| {
                    Some((
                        i,
                        f.cloud_refunds.iter().position(|c| c.no == r.no.as_str())?,
                    ))
                })
                .collect();
            let (i, c) = cands[nth(cands.len())?];
            match m {
                Mutation::RefundAmount => {
                    f.cloud_refunds[c].amount = f.cloud_refunds[c].amount + Money::from_fen(1);
                    Some(K::RefundAmountDiffers)
                }
                Mutation::RefundFlip { cloud: true } => {
                    f.cloud_refunds[c].state = RefundState::Failed;
                    Some(K::RefundStateDiffers)
                }
                _ => {
                    f.local_refunds[i].state = RefundState::Failed;
                    Some(K::RefundStateDiffers)
                }
            }
        }
    }
}

#[test]
fn mutations_find_their_targets() {
    let p = params();
    let all = [
        Mutation::Amount { cloud: true },
        Mutation::Amount { cloud: false },
        Mutation::DropLocal,
        Mutation::DropCloud,
        Mutation::Flip { cloud: true },
        Mutation::Flip { cloud: false },
        Mutation::Refunded { cloud: true },
        Mutation::Refunded { cloud: false },
        Mutation::DropRefund { cloud: true },
        Mutation::DropRefund { cloud: false },
        Mutation::RefundAmount,
        Mutation::RefundFlip { cloud: true },
        Mutation::RefundFlip { cloud: false },
    ];
    let mut applied = 0;
    for seed in 0..20u64 {
        for m in all {
            let mut f = clean_day(300, seed);
            let pick = usize::try_from(seed * 7919).unwrap();
            if let Some(kind) = apply(&mut f, &p, m, pick) {
                applied += 1;
                let r = f.report(&p);
                assert!(r.count(kind) >= 1, "{m:?}: {:#?}", r.discrepancies);
            }
        }
    }
    // The proptest below is not vacuous: almost every mutation finds a target.
    assert!(applied >= 20 * all.len() * 9 / 10, "{applied}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_clean_day_is_always_clean(n in 1u64..400, seed in any::<u64>()) {
        let r = clean_day(n, seed).report(&params());
        prop_assert!(r.is_clean(), "{:#?}", r.discrepancies);
    }

    #[test]
    fn any_single_mutation_is_detected(
        n in 30u64..300,
        seed in any::<u64>(),
        m in mutation(),
        pick in any::<usize>(),
    ) {
        let p = params();
        let mut f = clean_day(n, seed);
        let Some(kind) = apply(&mut f, &p, m, pick) else {
            return Ok(());
        };
        let r = f.report(&p);
        prop_assert!(
            r.count(kind) >= 1,
            "{m:?} should give {kind}, got {:#?}",
            r.discrepancies
        );
    }
}
