//! Refunds of paid orders: the state machine and the caps.
//!
//! ```text
//! requested ─┬─► processing ─┬─► succeeded
//!            ├───────────────┘
//!            └─► failed ─(retry, same number)─► requested
//! ```
//! Each refund has its own `out_refund_no`; a retry of the same refund reuses it, so the
//! cloud refunds it at most once. Caps: everything refunded or in flight never exceeds what
//! was paid, and an order has at most [`MAX_REFUNDS_PER_ORDER`] refunds.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::clerk::ClerkId;
use crate::money::Money;
use crate::order::{IllegalTransition, Order, OrderState, PaymentMethod};
use crate::order_no::{OrderNo, RefundNo};
use crate::timestamp::Timestamp;

/// Most refunds one order may have (WeChat's limit).
pub const MAX_REFUNDS_PER_ORDER: usize = 50;

/// The life cycle of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    /// Committed; the request may have left.
    Requested,
    /// Accepted upstream, money on its way back.
    Processing,
    /// Money returned to the customer.
    Succeeded,
    /// Not refunded (may be retried with the same number).
    Failed,
}

impl RefundState {
    /// Every state.
    pub const ALL: [RefundState; 4] = [
        RefundState::Requested,
        RefundState::Processing,
        RefundState::Succeeded,
        RefundState::Failed,
    ];

    /// Stable machine name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundState::Requested => "requested",
            RefundState::Processing => "processing",
            RefundState::Succeeded => "succeeded",
            RefundState::Failed => "failed",
        }
    }

    /// The words a cashier sees.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            RefundState::Requested => "退款已提交",
            RefundState::Processing => "退款处理中",
            RefundState::Succeeded => "退款成功",
            RefundState::Failed => "退款失败",
        }
    }

    /// Succeeded or failed.
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(self, RefundState::Succeeded | RefundState::Failed)
    }

    /// Whether the amount counts against the order's cap (everything except failed).
    #[must_use]
    pub const fn holds_amount(self) -> bool {
        !matches!(self, RefundState::Failed)
    }

    /// The transition table. Anything not listed is illegal.
    #[must_use]
    pub const fn can_become(self, next: RefundState) -> bool {
        use RefundState::{Failed, Processing, Requested, Succeeded};
        matches!(
            (self, next),
            (Requested, Requested | Processing | Succeeded | Failed)
                | (Processing, Processing | Succeeded | Failed)
                | (Failed, Requested)
        )
    }
}

impl fmt::Display for RefundState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RefundState {
    type Err = crate::order::UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RefundState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| crate::order::UnknownState(s.to_owned()))
    }
}

/// Why a refund cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    /// Only paid orders can be refunded.
    #[error("order {order} is {state}, not paid; only paid orders can be refunded")]
    NotPaid {
        /// Order number.
        order: String,
        /// Its state.
        state: String,
    },
    /// Zero or negative amount.
    #[error("the refund amount must be greater than zero")]
    NotPositive,
    /// More than what is left.
    #[error(
        "refund of {requested} is above the remaining {remaining} of order {order} (paid {paid}, refunded or in progress {held})"
    )]
    ExceedsRemaining {
        /// Order number.
        order: String,
        /// Amount asked for.
        requested: Money,
        /// What is left.
        remaining: Money,
        /// Order amount.
        paid: Money,
        /// Refunded or in flight.
        held: Money,
    },
    /// The 50-refund limit.
    #[error("order {order} already has {max} refunds, the most allowed")]
    TooMany {
        /// Order number.
        order: String,
        /// The limit.
        max: usize,
    },
    /// A retry of a refund that is not failed, or of another order's refund.
    #[error("refund {0} cannot be retried: {1}")]
    NotRetryable(String, String),
}

/// One refund, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// Merchant refund number (`out_refund_no`).
    pub no: RefundNo,
    /// The order refunded.
    pub order_no: OrderNo,
    /// The order's payment method (copied for summaries).
    pub method: PaymentMethod,
    /// Amount of this refund.
    pub amount: Money,
    /// State.
    pub state: RefundState,
    /// Reason given by the clerk.
    pub reason: String,
    /// Clerk who asked.
    pub clerk_id: ClerkId,
    /// Manager who authorised it, when the clerk lacked the permission.
    pub authorized_by: Option<ClerkId>,
    /// Shift it belongs to.
    pub shift_id: Option<i64>,
    /// Upstream refund id.
    pub refund_id: Option<String>,
    /// Why it failed, or the last unknown-outcome reason.
    pub failure: Option<String>,
    /// Created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// When it succeeded.
    pub succeeded_at: Option<Timestamp>,
}

/// What a new refund needs.
#[derive(Debug, Clone)]
pub struct NewRefund {
    /// Fresh number from the generator.
    pub no: RefundNo,
    /// Amount.
    pub amount: Money,
    /// Reason.
    pub reason: String,
    /// Clerk.
    pub clerk_id: ClerkId,
    /// Authorising manager.
    pub authorized_by: Option<ClerkId>,
    /// Shift.
    pub shift_id: Option<i64>,
}

/// Checks the caps for a new refund of `amount` on `order`, given its `existing` refunds.
pub fn check_new_refund(
    order: &Order,
    existing: &[Refund],
    amount: Money,
) -> Result<(), RefundError> {
    if order.state != OrderState::Paid {
        return Err(RefundError::NotPaid {
            order: order.no.to_string(),
            state: order.state.to_string(),
        });
    }
    if !amount.is_positive() {
        return Err(RefundError::NotPositive);
    }
    let live: Vec<&Refund> = existing
        .iter()
        .filter(|r| r.order_no == order.no && r.state.holds_amount())
        .collect();
    if live.len() >= MAX_REFUNDS_PER_ORDER {
        return Err(RefundError::TooMany {
            order: order.no.to_string(),
            max: MAX_REFUNDS_PER_ORDER,
        });
    }
    let held: Money = live.iter().map(|r| r.amount).sum();
    let remaining = order.amount.checked_sub(held).unwrap_or(Money::ZERO);
    if amount > remaining {
        return Err(RefundError::ExceedsRemaining {
            order: order.no.to_string(),
            requested: amount,
            remaining,
            paid: order.amount,
            held,
        });
    }
    Ok(())
}

/// What may still be refunded on `order`, counting refunds in flight.
#[must_use]
pub fn remaining_refundable(order: &Order, existing: &[Refund]) -> Money {
    if order.state != OrderState::Paid {
        return Money::ZERO;
    }
    let held: Money = existing
        .iter()
        .filter(|r| r.order_no == order.no && r.state.holds_amount())
        .map(|r| r.amount)
        .sum();
    order
        .amount
        .checked_sub(held)
        .unwrap_or(Money::ZERO)
        .max(Money::ZERO)
}

impl Refund {
    /// A new refund in state `requested`, after checking the caps.
    pub fn new(
        order: &Order,
        existing: &[Refund],
        new: NewRefund,
        now: Timestamp,
    ) -> Result<Refund, RefundError> {
        check_new_refund(order, existing, new.amount)?;
        Ok(Refund {
            no: new.no,
            order_no: order.no.clone(),
            method: order.method,
            amount: new.amount,
            state: RefundState::Requested,
            reason: new.reason,
            clerk_id: new.clerk_id,
            authorized_by: new.authorized_by,
            shift_id: new.shift_id,
            refund_id: None,
            failure: None,
            created_at: now,
            updated_at: now,
            succeeded_at: None,
        })
    }

    /// Moves to `next` if the table allows it.
    pub fn transition(
        &mut self,
        next: RefundState,
        now: Timestamp,
    ) -> Result<(), IllegalTransition> {
        if !self.state.can_become(next) {
            return Err(IllegalTransition {
                order: format!("{} refund {}", self.order_no, self.no),
                from: self.state.to_string(),
                to: next.to_string(),
            });
        }
        self.state = next;
        self.updated_at = now;
        Ok(())
    }

    /// Accepted upstream.
    pub fn mark_processing(
        &mut self,
        refund_id: Option<String>,
        now: Timestamp,
    ) -> Result<(), IllegalTransition> {
        self.transition(RefundState::Processing, now)?;
        if refund_id.is_some() {
            self.refund_id = refund_id;
        }
        Ok(())
    }

    /// Money returned.
    pub fn mark_succeeded(
        &mut self,
        refund_id: Option<String>,
        now: Timestamp,
    ) -> Result<(), IllegalTransition> {
        self.transition(RefundState::Succeeded, now)?;
        if refund_id.is_some() {
            self.refund_id = refund_id;
        }
        self.succeeded_at = Some(now);
        self.failure = None;
        Ok(())
    }

    /// Not refunded.
    pub fn mark_failed(&mut self, reason: &str, now: Timestamp) -> Result<(), IllegalTransition> {
        self.transition(RefundState::Failed, now)?;
        self.failure = Some(reason.to_owned());
        Ok(())
    }

    /// Retry a failed refund with the same number, re-checking the caps (other refunds may
    /// have used the room meanwhile).
    pub fn retry(
        &mut self,
        order: &Order,
        others: &[Refund],
        now: Timestamp,
    ) -> Result<(), RefundError> {
        if self.state != RefundState::Failed {
            return Err(RefundError::NotRetryable(
                self.no.to_string(),
                format!("it is {}, not failed", self.state),
            ));
        }
        if self.order_no != order.no {
            return Err(RefundError::NotRetryable(
                self.no.to_string(),
                "it belongs to another order".into(),
            ));
        }
        let rest: Vec<Refund> = others.iter().filter(|r| r.no != self.no).cloned().collect();
        check_new_refund(order, &rest, self.amount)?;
        self.state = RefundState::Requested;
        self.failure = None;
        self.updated_at = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::tests::order;
    use proptest::prelude::*;

    const T: Timestamp = Timestamp::from_unix_seconds(5);

    fn paid(amount: i64) -> Order {
        let mut o = order(amount);
        o.state = OrderState::Paid;
        o
    }

    fn new_refund(n: usize, amount: i64) -> NewRefund {
        NewRefund {
            no: RefundNo::parse(&format!("R{n:04}")).unwrap(),
            amount: Money::from_fen(amount),
            reason: String::new(),
            clerk_id: ClerkId::parse("01").unwrap(),
            authorized_by: None,
            shift_id: None,
        }
    }

    #[test]
    fn partial_refunds_up_to_the_paid_amount() {
        let o = paid(100);
        let mut all = vec![];
        let r1 = Refund::new(&o, &all, new_refund(1, 30), T).unwrap();
        all.push(r1);
        let r2 = Refund::new(&o, &all, new_refund(2, 70), T).unwrap();
        all.push(r2);
        let err = Refund::new(&o, &all, new_refund(3, 1), T).unwrap_err();
        assert!(matches!(err, RefundError::ExceedsRemaining { .. }));
        assert_eq!(
            err.to_string(),
            "refund of 0.01 is above the remaining 0.00 of order sz0100ABCD2611221322180001 (paid 1.00, refunded or in progress 1.00)"
        );
        assert_eq!(remaining_refundable(&o, &all), Money::ZERO);
    }

    #[test]
    fn failed_refunds_free_their_amount() {
        let o = paid(100);
        let mut r1 = Refund::new(&o, &[], new_refund(1, 100), T).unwrap();
        r1.mark_failed("insufficient balance", T).unwrap();
        let all = vec![r1.clone()];
        assert_eq!(remaining_refundable(&o, &all), Money::from_fen(100));
        let r2 = Refund::new(&o, &all, new_refund(2, 100), T).unwrap();
        // Now the failed one cannot be retried: r2 holds the whole amount.
        let both = vec![r1.clone(), r2];
        assert!(matches!(
            r1.retry(&o, &both, T),
            Err(RefundError::ExceedsRemaining { .. })
        ));
    }

    #[test]
    fn retry_keeps_the_number() {
        let o = paid(100);
        let mut r = Refund::new(&o, &[], new_refund(1, 50), T).unwrap();
        let no = r.no.clone();
        r.mark_failed("timeout", T).unwrap();
        r.retry(&o, &[r.clone()], T).unwrap();
        assert_eq!(r.no, no);
        assert_eq!(r.state, RefundState::Requested);
        assert!(
            r.retry(&o, &[], T).is_err(),
            "only failed refunds are retried"
        );
    }

    #[test]
    fn rules() {
        let o = paid(100);
        assert_eq!(
            Refund::new(&o, &[], new_refund(1, 0), T).unwrap_err(),
            RefundError::NotPositive
        );
        let unpaid = order(100);
        assert!(matches!(
            Refund::new(&unpaid, &[], new_refund(1, 1), T),
            Err(RefundError::NotPaid { .. })
        ));
        let mut all = vec![];
        for i in 0..MAX_REFUNDS_PER_ORDER {
            all.push(Refund::new(&o, &all, new_refund(i, 1), T).unwrap());
        }
        assert!(matches!(
            Refund::new(&o, &all, new_refund(99, 1), T),
            Err(RefundError::TooMany { max: 50, .. })
        ));
    }

    #[test]
    fn transition_table() {
        use RefundState::*;
        let legal = [
            (Requested, Requested),
            (Requested, Processing),
            (Requested, Succeeded),
            (Requested, Failed),
            (Processing, Processing),
            (Processing, Succeeded),
            (Processing, Failed),
            (Failed, Requested),
        ];
        for from in RefundState::ALL {
            for to in RefundState::ALL {
                assert_eq!(
                    from.can_become(to),
                    legal.contains(&(from, to)),
                    "{from}->{to}"
                );
            }
        }
    }

    proptest! {
        /// Whatever sequence of refund attempts and outcomes happens, the amount refunded or
        /// in flight never exceeds what was paid, and never more than 50 live refunds exist.
        #[test]
        fn caps_hold_under_any_sequence(
            paid_fen in 1i64..100_000,
            attempts in proptest::collection::vec((1i64..50_000, 0u8..3), 0..120)
        ) {
            let o = paid(paid_fen);
            let mut all: Vec<Refund> = vec![];
            for (i, (amount, outcome)) in attempts.into_iter().enumerate() {
                if let Ok(mut r) = Refund::new(&o, &all, new_refund(i, amount), T) {
                    match outcome {
                        0 => r.mark_succeeded(None, T).unwrap(),
                        1 => r.mark_failed("x", T).unwrap(),
                        _ => {}
                    }
                    all.push(r);
                }
                let held: Money = all.iter().filter(|r| r.state.holds_amount()).map(|r| r.amount).sum();
                prop_assert!(held <= o.amount);
                prop_assert!(all.iter().filter(|r| r.state.holds_amount()).count() <= MAX_REFUNDS_PER_ORDER);
                prop_assert_eq!(remaining_refundable(&o, &all), o.amount - held);
            }
        }
    }
}
