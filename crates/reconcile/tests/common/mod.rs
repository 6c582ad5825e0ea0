//! Builders of ledger/listing pairs, and a generator of a clean, realistic day (shared by the
//! tests and the benchmark).
#![allow(dead_code, missing_docs)]

use std::time::Duration;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_domain::ports::{CloudOrder, CloudOrderState, CloudRefund};
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_reconcile::Params;

pub const STORE: &str = "shop01";
pub const DEVICE: &str = "dev01";
pub const MACHINE: &str = "CP0123456789AB";

/// 2026-11-22 00:00 at UTC+8.
pub const DAY_START: Timestamp = Timestamp::from_unix_millis(1_795_276_800_000);
pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

pub fn at(ms_into_day: i64) -> Timestamp {
    Timestamp::from_unix_millis(DAY_START.unix_millis() + ms_into_day)
}

/// The checked window is the day; the reconciliation runs one minute after it ends.
pub fn params() -> Params {
    let mut p = Params::new((at(0), at(DAY_MS)), at(DAY_MS + 60_000), STORE, DEVICE);
    p.machine_no = Some(MACHINE.to_owned());
    p
}

pub fn order_no(i: u64) -> OrderNo {
    OrderNo::parse(&format!("sz01dev1{i:010}")).unwrap()
}

pub fn refund_no(i: u64, k: u64) -> RefundNo {
    RefundNo::parse(&format!("sz01dev1{i:010}R{k}")).unwrap()
}

/// A local order in `state`, created at `t`, last changed 3 s later.
pub fn local(i: u64, method: PaymentMethod, fen: i64, state: OrderState, t: Timestamp) -> Order {
    let settled = t.plus(Duration::from_secs(3));
    let paid = state == OrderState::Paid || state == OrderState::Reversed;
    Order {
        no: order_no(i),
        method,
        amount: Money::from_fen(fen),
        state,
        refunded: Money::ZERO,
        code_masked: None,
        store_id: STORE.to_owned(),
        device_id: DEVICE.to_owned(),
        clerk_id: ClerkId::parse("01").unwrap(),
        shift_id: Some(1),
        body: "goods".to_owned(),
        remark: String::new(),
        transaction_id: (paid && method != PaymentMethod::Cash).then(|| format!("4200{i:016}")),
        reason: None,
        never_reverse: false,
        cash_tendered: None,
        cash_change: None,
        lines: Vec::new(),
        created_at: t,
        updated_at: settled,
        paid_at: (state == OrderState::Paid).then_some(settled),
    }
}

pub fn paid(i: u64, fen: i64, t: Timestamp) -> Order {
    local(
        i,
        PaymentMethod::Wallet(Wallet::WeChat),
        fen,
        OrderState::Paid,
        t,
    )
}

/// The cloud's copy of a local order: whole seconds, a clock `skew_ms` ahead of ours.
pub fn cloud_of(o: &Order, state: CloudOrderState, skew_ms: i64) -> CloudOrder {
    let cloud_ms = o.created_at.unix_millis() + skew_ms;
    CloudOrder {
        no: o.no.to_string(),
        wallet: o.method.wallet(),
        amount: o.amount,
        refunded: o.refunded,
        state,
        store_id: o.store_id.clone(),
        device_id: o.device_id.clone(),
        machine_no: Some(MACHINE.to_owned()),
        transaction_id: o.transaction_id.clone(),
        created_at: Timestamp::from_unix_seconds(cloud_ms.div_euclid(1000)),
        paid_at: None,
        one_code: false,
    }
}

pub fn cloud_paid(o: &Order) -> CloudOrder {
    cloud_of(o, CloudOrderState::Paid, 0)
}

pub fn refund(o: &Order, k: u64, fen: i64, state: RefundState, t: Timestamp) -> Refund {
    let i: u64 = o.no.as_str()[8..18].parse().unwrap();
    Refund {
        no: refund_no(i, k),
        order_no: o.no.clone(),
        method: o.method,
        amount: Money::from_fen(fen),
        state,
        reason: "return".to_owned(),
        clerk_id: ClerkId::parse("01").unwrap(),
        authorized_by: None,
        shift_id: Some(1),
        refund_id: None,
        failure: None,
        created_at: t,
        updated_at: t.plus(Duration::from_secs(2)),
        succeeded_at: (state == RefundState::Succeeded).then_some(t.plus(Duration::from_secs(2))),
    }
}

pub fn cloud_refund_of(r: &Refund, skew_ms: i64) -> CloudRefund {
    let cloud_ms = r.created_at.unix_millis() + skew_ms;
    CloudRefund {
        no: r.no.to_string(),
        order_no: r.order_no.to_string(),
        amount: r.amount,
        state: r.state,
        device_id: DEVICE.to_owned(),
        created_at: Timestamp::from_unix_seconds(cloud_ms.div_euclid(1000)),
    }
}

/// Both sides of a reconciliation.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    pub local_orders: Vec<Order>,
    pub local_refunds: Vec<Refund>,
    pub cloud_orders: Vec<CloudOrder>,
    pub cloud_refunds: Vec<CloudRefund>,
}

impl Fixture {
    pub fn report(&self, p: &Params) -> cloudpos_reconcile::Report {
        cloudpos_reconcile::compare(
            &self.local_orders,
            &self.local_refunds,
            &self.cloud_orders,
            &self.cloud_refunds,
            p,
        )
    }
}

/// A small, fast, deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }
}

/// A clean day of about `n` orders as a busy till sees it: paid orders in every wallet,
/// partial refunds (some failed, some never sent), reversed-after-paid orders, failed orders
/// the cloud lists or not, reversed unknown orders with or without a tombstone, cash orders,
/// other devices' orders in the listing, orders at the very edges of the window, orders
/// outside the window on one side only, records still in flight at reconciliation time,
/// paging repeats, and a cloud clock a little off ours (whole seconds). Nothing in it is a
/// discrepancy.
pub fn clean_day(n: u64, seed: u64) -> Fixture {
    let mut rng = Rng::new(seed);
    let mut f = Fixture::default();
    // Member-card payments are settled on the till (like cash) and never listed by Cloud
    // Pay: the wallets the cloud lists are these two.
    let wallets = [
        PaymentMethod::Wallet(Wallet::WeChat),
        PaymentMethod::Wallet(Wallet::Alipay),
    ];
    // The cloud clock is up to 1.5 s off ours, in either direction.
    let skew = i64::try_from(rng.below(3000)).unwrap() - 1500;
    let step = DAY_MS / i64::try_from(n.max(1)).unwrap();
    for i in 0..n {
        let jitter = i64::try_from(rng.below(u64::try_from(step.max(1)).unwrap())).unwrap();
        // The first and last orders sit on the window's edges.
        let t = match i {
            0 => at(0),
            1 => at(DAY_MS - 1),
            2 => at(-1),
            _ => at(i64::try_from(i).unwrap() * step + jitter),
        };
        let fen = 1 + i64::try_from(rng.below(50_000)).unwrap();
        let method = rng.pick(&wallets);
        let roll = rng.below(100);
        if roll < 68 {
            // Paid, maybe refunded.
            let mut o = local(i, method, fen, OrderState::Paid, t);
            if rng.chance(15) && t < at(DAY_MS - 600_000) {
                let mut left = fen;
                for k in 0..1 + rng.below(3) {
                    if left < 2 {
                        break;
                    }
                    let amount =
                        1 + i64::try_from(rng.below(u64::try_from(left / 2).unwrap())).unwrap();
                    let rt = t.plus(Duration::from_secs(60 + k * 30));
                    match rng.below(10) {
                        0 => {
                            // Never reached the cloud: failed locally only.
                            f.local_refunds
                                .push(refund(&o, k, amount, RefundState::Failed, rt));
                        }
                        1 => {
                            let r = refund(&o, k, amount, RefundState::Failed, rt);
                            f.cloud_refunds.push(cloud_refund_of(&r, skew));
                            f.local_refunds.push(r);
                        }
                        _ => {
                            let r = refund(&o, k, amount, RefundState::Succeeded, rt);
                            f.cloud_refunds.push(cloud_refund_of(&r, skew));
                            f.local_refunds.push(r);
                            left -= amount;
                            o.refunded = o.refunded + Money::from_fen(amount);
                        }
                    }
                }
            }
            let c = cloud_of(&o, CloudOrderState::Paid, skew);
            if rng.chance(1) {
                // Listed twice across pages: first while pending.
                let mut early = c.clone();
                early.state = CloudOrderState::Pending;
                early.transaction_id = None;
                early.refunded = Money::ZERO;
                f.cloud_orders.push(early);
            }
            f.cloud_orders.push(c);
            f.local_orders.push(o);
        } else if roll < 72 {
            // Paid, then voided (WeChat reverse of a paid order).
            let o = local(i, method, fen, OrderState::Reversed, t);
            f.cloud_orders
                .push(cloud_of(&o, CloudOrderState::Reversed, skew));
            f.local_orders.push(o);
        } else if roll < 80 {
            // Failed: listed as failed, or never reached the cloud.
            let o = local(i, method, fen, OrderState::Failed, t);
            if rng.chance(60) {
                f.cloud_orders
                    .push(cloud_of(&o, CloudOrderState::Failed, skew));
            }
            f.local_orders.push(o);
        } else if roll < 83 {
            // Unknown, then reversed: a tombstone (no amount) or nothing in the cloud.
            let o = local(i, method, fen, OrderState::Reversed, t);
            let mut o = o;
            o.transaction_id = None;
            if rng.chance(50) {
                let mut c = cloud_of(&o, CloudOrderState::Reversed, skew);
                c.amount = Money::ZERO;
                f.cloud_orders.push(c);
            }
            f.local_orders.push(o);
        } else if roll < 91 {
            // Cash, or a member card: settled on the till, never in the cloud.
            let local_method = if rng.chance(50) {
                PaymentMethod::Cash
            } else {
                PaymentMethod::Wallet(Wallet::MemberCard)
            };
            f.local_orders
                .push(local(i, local_method, fen, OrderState::Paid, t));
        } else if roll < 94 {
            // Another device of the store (or another store) in the listing.
            let mut o = local(i, method, fen, OrderState::Paid, t);
            o.device_id = "dev02".to_owned();
            if rng.chance(30) {
                o.store_id = "shop02".to_owned();
            }
            let mut c = cloud_of(&o, CloudOrderState::Paid, skew);
            c.machine_no = Some("CPOTHER".to_owned());
            f.cloud_orders.push(c);
        } else if roll < 97 {
            // Outside the window, on one side only (the other copy fell outside the fetch).
            if rng.chance(50) {
                let o = paid(i, fen, at(-120_000 - i64::try_from(i).unwrap() % 60_000));
                f.local_orders.push(o);
            } else {
                let o = paid(i, fen, at(DAY_MS + 30_000));
                f.cloud_orders.push(cloud_paid(&o));
            }
        } else {
            // Paid and listed, with the refunded total of a refund of another day.
            let mut o = local(i, method, fen, OrderState::Paid, t);
            if fen > 1 {
                o.refunded = Money::from_fen(1);
            }
            f.cloud_orders
                .push(cloud_of(&o, CloudOrderState::Paid, skew));
            f.local_orders.push(o);
        }
    }
    in_flight(&mut f, n, skew);
    f
}

/// Records still moving at reconciliation time: touched within the grace (2 minutes) before
/// `as_of`, one minute after the window's end, so some are inside the window; and records
/// stuck open for hours whose cloud copy moved no money.
fn in_flight(f: &mut Fixture, n: u64, skew: i64) {
    let as_of = params().as_of;
    let ago = |s: u64| as_of.minus(Duration::from_secs(s));
    let base = n + 1_000;
    let wechat = PaymentMethod::Wallet(Wallet::WeChat);
    // The customer is typing a password: pending in the cloud.
    let mut o = local(base, wechat, 1200, OrderState::UserPaying, ago(100));
    o.updated_at = ago(90);
    f.cloud_orders
        .push(cloud_of(&o, CloudOrderState::Pending, skew));
    f.local_orders.push(o);
    // Just sent: not listed yet.
    let o = local(base + 1, wechat, 800, OrderState::Submitted, ago(95));
    f.local_orders.push(o);
    // Just paid: the listing still says pending, or does not have it yet.
    let mut o = local(base + 2, wechat, 1500, OrderState::Paid, ago(110));
    o.updated_at = ago(100);
    f.cloud_orders
        .push(cloud_of(&o, CloudOrderState::Pending, skew));
    f.local_orders.push(o);
    let mut o = local(base + 3, wechat, 1600, OrderState::Paid, ago(100));
    o.updated_at = ago(97);
    f.local_orders.push(o);
    // Unknown for a while, and the cloud already says paid.
    let mut o = local(base + 4, wechat, 990, OrderState::Unknown, ago(115));
    o.updated_at = ago(80);
    o.transaction_id = None;
    let mut c = cloud_of(&o, CloudOrderState::Paid, skew);
    c.transaction_id = Some("4200777".to_owned());
    f.cloud_orders.push(c);
    f.local_orders.push(o);
    // Being voided: reversing locally, already reversed in the cloud.
    let mut o = local(base + 5, wechat, 700, OrderState::Reversing, ago(600));
    o.updated_at = ago(10);
    f.cloud_orders
        .push(cloud_of(&o, CloudOrderState::Reversed, skew));
    f.local_orders.push(o);
    // A refund in progress: processing on both sides; the cloud's refunded total already
    // counts it (some listings may), the ledger's not yet.
    let o = paid(base + 6, 5000, ago(3000));
    let r = refund(&o, 0, 2000, RefundState::Processing, ago(30));
    let mut c = cloud_paid(&o);
    c.refunded = Money::from_fen(2000);
    f.cloud_refunds.push(cloud_refund_of(&r, skew));
    f.cloud_orders.push(c);
    f.local_orders.push(o);
    f.local_refunds.push(r);
    // A refund just succeeded locally; the listing shows neither it nor the new total.
    let mut o = paid(base + 7, 5000, ago(4000));
    let mut r = refund(&o, 0, 1000, RefundState::Succeeded, ago(90));
    r.updated_at = ago(88);
    o.refunded = Money::from_fen(1000);
    let mut c = cloud_paid(&o);
    c.refunded = Money::ZERO;
    f.cloud_orders.push(c);
    f.local_orders.push(o);
    f.local_refunds.push(r);
    // A bank-card refund processing for hours on both sides, of an order of another day.
    let o = paid(base + 8, 9000, at(-3 * DAY_MS));
    let mut r = refund(&o, 0, 9000, RefundState::Processing, at(2 * HOUR_MS));
    r.updated_at = at(2 * HOUR_MS + 1000);
    f.cloud_refunds.push(cloud_refund_of(&r, skew));
    f.local_refunds.push(r);
    // Stuck open for hours (recovery not run), but the cloud moved no money.
    let o = local(base + 9, wechat, 300, OrderState::Unknown, at(5 * HOUR_MS));
    f.cloud_orders
        .push(cloud_of(&o, CloudOrderState::Failed, skew));
    f.local_orders.push(o);
    let o = local(
        base + 10,
        wechat,
        310,
        OrderState::Reversing,
        at(6 * HOUR_MS),
    );
    f.cloud_orders
        .push(cloud_of(&o, CloudOrderState::Reversed, skew));
    f.local_orders.push(o);
    let o = local(
        base + 11,
        wechat,
        320,
        OrderState::Submitted,
        at(7 * HOUR_MS),
    );
    f.local_orders.push(o);
    // A refund stuck requested locally that the cloud refused.
    let o = paid(base + 12, 4000, at(8 * HOUR_MS));
    let r = refund(&o, 0, 100, RefundState::Requested, at(8 * HOUR_MS + 60_000));
    let mut cr = cloud_refund_of(&r, skew);
    cr.state = RefundState::Failed;
    f.cloud_refunds.push(cr);
    f.cloud_orders.push(cloud_paid(&o));
    f.local_orders.push(o);
    f.local_refunds.push(r);
}
