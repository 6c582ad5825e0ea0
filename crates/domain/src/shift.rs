//! Shifts (班次) and summaries (汇总): per payment method counts and totals for a period.
//!
//! A shift opens when a clerk logs in and closes at handover (交接班). A summary counts a
//! payment in the period it was paid, and a refund in the period it succeeded, so a refund
//! today of yesterday's sale lowers today's net, as a cash drawer count expects.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clerk::ClerkId;
use crate::money::Money;
use crate::order::{Order, OrderState, PaymentMethod};
use crate::refund::{Refund, RefundState};
use crate::timestamp::Timestamp;

/// One clerk's working period at this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// Ledger id.
    pub id: i64,
    /// Clerk on duty.
    pub clerk_id: ClerkId,
    /// Login time.
    pub opened_at: Timestamp,
    /// Handover time; `None` while open.
    pub closed_at: Option<Timestamp>,
}

/// Totals for one payment method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MethodTotals {
    /// Paid orders.
    pub pay_count: u64,
    /// Sum of paid orders.
    pub paid: Money,
    /// Succeeded refunds.
    pub refund_count: u64,
    /// Sum of succeeded refunds.
    pub refunded: Money,
    /// `paid - refunded`.
    pub net: Money,
}

impl MethodTotals {
    fn add_payment(&mut self, amount: Money) {
        self.pay_count += 1;
        self.paid = self.paid + amount;
        self.net = self.net + amount;
    }

    fn add_refund(&mut self, amount: Money) {
        self.refund_count += 1;
        self.refunded = self.refunded + amount;
        self.net = self.net - amount;
    }

    fn merge(&mut self, other: &MethodTotals) {
        self.pay_count += other.pay_count;
        self.paid = self.paid + other.paid;
        self.refund_count += other.refund_count;
        self.refunded = self.refunded + other.refunded;
        self.net = self.net + other.net;
    }
}

/// Cash drawer movements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CashTotals {
    /// Cash handed over by customers.
    pub tendered: Money,
    /// Change given back.
    pub change: Money,
}

/// The summary of a period, optionally for one clerk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Start (inclusive).
    pub from: Timestamp,
    /// End (exclusive).
    pub to: Timestamp,
    /// Only this clerk's records, or everyone's.
    pub clerk: Option<ClerkId>,
    /// Totals per payment method, in [`PaymentMethod::ALL`] order; methods without
    /// records are present with zeros.
    pub methods: BTreeMap<PaymentMethod, MethodTotals>,
    /// All methods together.
    pub total: MethodTotals,
    /// Cash tendered and change.
    pub cash: CashTotals,
}

impl Summary {
    /// An empty summary of `[from, to)`.
    #[must_use]
    pub fn empty(from: Timestamp, to: Timestamp, clerk: Option<ClerkId>) -> Summary {
        Summary {
            from,
            to,
            clerk,
            methods: PaymentMethod::ALL
                .into_iter()
                .map(|m| (m, MethodTotals::default()))
                .collect(),
            total: MethodTotals::default(),
            cash: CashTotals::default(),
        }
    }

    /// Builds the summary of `[from, to)` from any superset of the relevant records:
    /// records outside the period, of other clerks (when `clerk` is set), unpaid orders
    /// and unfinished refunds are skipped.
    #[must_use]
    pub fn build<'a>(
        from: Timestamp,
        to: Timestamp,
        clerk: Option<&ClerkId>,
        orders: impl IntoIterator<Item = &'a Order>,
        refunds: impl IntoIterator<Item = &'a Refund>,
    ) -> Summary {
        let mut s = Summary::empty(from, to, clerk.cloned());
        let in_period = |t: Timestamp| from <= t && t < to;
        let mine = |c: &ClerkId| clerk.is_none_or(|want| want == c);
        for o in orders {
            // A paid order that was later voided (reversed) returned its money: not counted.
            let Some(paid_at) = o.paid_at else { continue };
            if o.state != OrderState::Paid || !in_period(paid_at) || !mine(&o.clerk_id) {
                continue;
            }
            s.add_payment(o);
        }
        for r in refunds {
            let Some(done) = r.succeeded_at else { continue };
            if r.state != RefundState::Succeeded || !in_period(done) || !mine(&r.clerk_id) {
                continue;
            }
            s.add_refund(r);
        }
        s
    }

    /// Counts one paid order.
    pub fn add_payment(&mut self, order: &Order) {
        self.methods
            .entry(order.method)
            .or_default()
            .add_payment(order.amount);
        self.total.add_payment(order.amount);
        if order.method == PaymentMethod::Cash {
            self.cash.tendered = self.cash.tendered + order.cash_tendered.unwrap_or(order.amount);
            self.cash.change = self.cash.change + order.cash_change.unwrap_or(Money::ZERO);
        }
    }

    /// Counts one succeeded refund.
    pub fn add_refund(&mut self, refund: &Refund) {
        self.methods
            .entry(refund.method)
            .or_default()
            .add_refund(refund.amount);
        self.total.add_refund(refund.amount);
    }

    /// Adds another summary's counts (e.g. per-clerk summaries into a store total).
    pub fn merge(&mut self, other: &Summary) {
        for (m, t) in &other.methods {
            self.methods.entry(*m).or_default().merge(t);
        }
        self.total.merge(&other.total);
        self.cash.tendered = self.cash.tendered + other.cash.tendered;
        self.cash.change = self.cash.change + other.cash.change;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Wallet;
    use crate::order::tests::order;
    use crate::order_no::RefundNo;
    use proptest::prelude::*;

    fn paid_order(method: PaymentMethod, fen: i64, at: i64, clerk: &str) -> Order {
        let mut o = order(fen);
        o.method = method;
        o.state = OrderState::Paid;
        o.paid_at = Some(Timestamp::from_unix_seconds(at));
        o.clerk_id = ClerkId::parse(clerk).unwrap();
        o
    }

    fn refund(method: PaymentMethod, fen: i64, at: i64, state: RefundState) -> Refund {
        let o = order(fen);
        Refund {
            no: RefundNo::parse("R1").unwrap(),
            order_no: o.no,
            method,
            amount: Money::from_fen(fen),
            state,
            reason: String::new(),
            clerk_id: ClerkId::parse("01").unwrap(),
            authorized_by: None,
            shift_id: None,
            refund_id: None,
            failure: None,
            created_at: Timestamp::from_unix_seconds(at),
            updated_at: Timestamp::from_unix_seconds(at),
            succeeded_at: (state == RefundState::Succeeded)
                .then(|| Timestamp::from_unix_seconds(at)),
        }
    }

    const WX: PaymentMethod = PaymentMethod::Wallet(Wallet::WeChat);
    const ALI: PaymentMethod = PaymentMethod::Wallet(Wallet::Alipay);

    #[test]
    fn per_method_totals_and_period_edges() {
        let mut cash = paid_order(PaymentMethod::Cash, 1500, 10, "01");
        cash.cash_tendered = Some(Money::from_fen(2000));
        cash.cash_change = Some(Money::from_fen(500));
        let orders = vec![
            paid_order(WX, 1000, 10, "01"),
            paid_order(WX, 250, 99, "01"),
            paid_order(ALI, 700, 50, "02"),
            paid_order(WX, 9999, 100, "01"), // at `to`: excluded
            paid_order(WX, 9999, 9, "01"),   // before `from`: excluded
            cash,
        ];
        let mut unpaid = order(5000);
        unpaid.state = OrderState::Failed;
        let refunds = vec![
            refund(WX, 300, 20, RefundState::Succeeded),
            refund(WX, 300, 20, RefundState::Processing), // not yet: excluded
            refund(ALI, 100, 30, RefundState::Failed),
        ];
        let all: Vec<&Order> = orders.iter().chain(std::iter::once(&unpaid)).collect();
        let s = Summary::build(
            Timestamp::from_unix_seconds(10),
            Timestamp::from_unix_seconds(100),
            None,
            all,
            &refunds,
        );
        let wx = s.methods[&WX];
        assert_eq!(
            (
                wx.pay_count,
                wx.paid.fen(),
                wx.refund_count,
                wx.refunded.fen(),
                wx.net.fen()
            ),
            (2, 1250, 1, 300, 950)
        );
        assert_eq!(s.methods[&ALI].paid.fen(), 700);
        assert_eq!(s.methods[&PaymentMethod::Cash].paid.fen(), 1500);
        assert_eq!(
            s.methods[&PaymentMethod::Wallet(Wallet::MemberCard)],
            MethodTotals::default()
        );
        assert_eq!(s.total.paid.fen(), 3450);
        assert_eq!(s.total.net.fen(), 3150);
        assert_eq!((s.cash.tendered.fen(), s.cash.change.fen()), (2000, 500));

        let only_02 = Summary::build(
            Timestamp::from_unix_seconds(0),
            Timestamp::from_unix_seconds(1000),
            Some(&ClerkId::parse("02").unwrap()),
            &orders,
            &refunds,
        );
        assert_eq!(only_02.total.paid.fen(), 700);
        assert_eq!(only_02.total.refund_count, 0);
    }

    proptest! {
        /// The total equals the sum over methods; net = paid − refunded everywhere; and
        /// summing per-clerk summaries gives the all-clerk summary.
        #[test]
        fn totals_add_up(
            pays in proptest::collection::vec((0usize..4, 1i64..1_000_000, 0i64..200, 0usize..3), 0..80),
            refs in proptest::collection::vec((0usize..4, 1i64..1_000_000, 0i64..200, 0u8..3), 0..40),
        ) {
            let clerks = ["01", "02", "03"];
            let orders: Vec<Order> = pays.iter().map(|(m, fen, at, c)| paid_order(PaymentMethod::ALL[*m], *fen, *at, clerks[*c])).collect();
            let refunds: Vec<Refund> = refs.iter().map(|(m, fen, at, st)| {
                let state = [RefundState::Succeeded, RefundState::Failed, RefundState::Processing][usize::from(*st)];
                refund(PaymentMethod::ALL[*m], *fen, *at, state)
            }).collect();
            let (from, to) = (Timestamp::from_unix_seconds(50), Timestamp::from_unix_seconds(150));
            let s = Summary::build(from, to, None, &orders, &refunds);
            let mut sum = MethodTotals::default();
            for t in s.methods.values() {
                prop_assert_eq!(t.net, t.paid - t.refunded);
                sum.merge(t);
            }
            prop_assert_eq!(sum, s.total);
            let expected_paid: Money = orders.iter().filter(|o| o.paid_at.is_some_and(|p| from <= p && p < to)).map(|o| o.amount).sum();
            prop_assert_eq!(s.total.paid, expected_paid);

            let mut per_clerk = Summary::empty(from, to, None);
            for c in clerks {
                let id = ClerkId::parse(c).unwrap();
                per_clerk.merge(&Summary::build(from, to, Some(&id), &orders, &refunds.iter().filter(|r| r.clerk_id == id).cloned().collect::<Vec<_>>()));
            }
            prop_assert_eq!(per_clerk.total, s.total);
        }
    }
}
