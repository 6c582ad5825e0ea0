//! The timing rules of the payment loop (protocol notes §6.2, reliability anchors §1.1), and
//! the largest amount one payment or one refund may be (checked before any I/O).

use std::time::Duration;

use cloudpos_domain::money::Money;
use serde::{Deserialize, Serialize};

use crate::{Setting, Terminal, TerminalError};

/// The default largest payment and largest refund: 50,000.00 yuan.
pub const DEFAULT_MAX_AMOUNT: Money = Money::from_fen(5_000_000);

/// Which per-operation maximum an amount was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AmountLimit {
    /// [`PayPolicy::max_payment`]: one payment (wallet or cash).
    Payment,
    /// [`PayPolicy::max_refund`]: one refund.
    Refund,
}

impl AmountLimit {
    /// What is limited, in words.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            AmountLimit::Payment => "payment",
            AmountLimit::Refund => "refund",
        }
    }
}

const fn default_max_amount() -> Money {
    DEFAULT_MAX_AMOUNT
}

/// How the terminal closes the loop on a payment whose outcome is not known at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayPolicy {
    /// Wait between queries while the customer is paying (Cloud Pay: 2 s after each call).
    pub poll_interval: Duration,
    /// From the order's creation to giving up on querying and reversing (WeChat: 45 s).
    pub pay_timeout: Duration,
    /// Never reverse sooner than this after the order was created (WeChat: 15 s).
    pub min_reverse_after: Duration,
    /// First wait between reverse attempts; doubles up to `reverse_backoff_max`.
    pub reverse_backoff: Duration,
    /// Longest wait between reverse attempts.
    pub reverse_backoff_max: Duration,
    /// How long `pay` keeps retrying an unacknowledged reverse before returning the order
    /// (still `reversing`) to the caller; recovery carries on from there.
    pub reverse_budget: Duration,
    /// Wait between refund queries.
    pub refund_poll_interval: Duration,
    /// How long `refund` waits for a processing refund before returning it (still
    /// processing); recovery finishes it.
    pub refund_timeout: Duration,
    /// The same code scanned again within this window is refused (one payment per scan).
    pub duplicate_scan_window: Duration,
    /// The largest amount one payment may be (default 50,000.00 yuan). A mistyped amount
    /// (an extra zero, a code scanned into the amount field) is refused before any I/O.
    #[serde(rename = "max_payment_fen", default = "default_max_amount")]
    pub max_payment: Money,
    /// The largest amount one refund may be (default 50,000.00 yuan).
    #[serde(rename = "max_refund_fen", default = "default_max_amount")]
    pub max_refund: Money,
}

impl PayPolicy {
    /// Checks the timings make sense together.
    pub fn validate(&self) -> Result<(), String> {
        if self.poll_interval.is_zero() || self.refund_poll_interval.is_zero() {
            return Err("poll intervals must be greater than zero".into());
        }
        if self.pay_timeout.is_zero() {
            return Err("the payment timeout must be greater than zero".into());
        }
        if self.pay_timeout > Duration::from_secs(120) {
            return Err("the payment timeout may be at most 120 s (Cloud Pay's hard stop)".into());
        }
        if self.reverse_backoff.is_zero() || self.reverse_backoff_max < self.reverse_backoff {
            return Err("reverse backoff must be positive and not above its maximum".into());
        }
        if !self.max_payment.is_positive() || !self.max_refund.is_positive() {
            return Err(
                "the maximum payment and the maximum refund must be greater than zero".into(),
            );
        }
        Ok(())
    }

    /// Refuses an amount that is zero, negative or above the maximum of `limit`, naming the
    /// amount and the maximum. Every use case that moves money calls this before any I/O.
    pub fn check_amount(&self, amount: Money, limit: AmountLimit) -> Result<(), TerminalError> {
        if !amount.is_positive() {
            return Err(TerminalError::AmountNotPositive);
        }
        let max = match limit {
            AmountLimit::Payment => self.max_payment,
            AmountLimit::Refund => self.max_refund,
        };
        if amount > max {
            return Err(TerminalError::AmountAboveLimit { amount, max, limit });
        }
        Ok(())
    }
}

impl Default for PayPolicy {
    fn default() -> Self {
        PayPolicy {
            poll_interval: Duration::from_secs(2),
            pay_timeout: Duration::from_secs(45),
            min_reverse_after: Duration::from_secs(15),
            reverse_backoff: Duration::from_secs(1),
            reverse_backoff_max: Duration::from_secs(5),
            reverse_budget: Duration::from_secs(12),
            refund_poll_interval: Duration::from_secs(2),
            refund_timeout: Duration::from_secs(30),
            duplicate_scan_window: Duration::from_secs(2),
            max_payment: DEFAULT_MAX_AMOUNT,
            max_refund: DEFAULT_MAX_AMOUNT,
        }
    }
}

impl Setting for PayPolicy {
    const KEY: &'static str = "pay_policy";
    const NAME: &'static str = "payment policy";
    const AUDIT_ACTION: &'static str = "config_payment";

    fn check(&mut self) -> crate::Result<()> {
        self.validate().map_err(TerminalError::Invalid)
    }

    /// The payment loop uses the new timings and limits from the next call on.
    async fn applied(&self, terminal: &Terminal) -> crate::Result<()> {
        if let Ok(mut p) = terminal.inner.policy.write() {
            *p = self.clone();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_checked_against_their_own_maximum() {
        let p = PayPolicy {
            max_payment: Money::from_fen(10_000),
            max_refund: Money::from_fen(500),
            ..PayPolicy::default()
        };
        assert_eq!(
            p.check_amount(Money::from_fen(10_000), AmountLimit::Payment),
            Ok(())
        );
        assert_eq!(
            p.check_amount(Money::from_fen(10_001), AmountLimit::Payment),
            Err(TerminalError::AmountAboveLimit {
                amount: Money::from_fen(10_001),
                max: Money::from_fen(10_000),
                limit: AmountLimit::Payment,
            })
        );
        assert_eq!(
            p.check_amount(Money::from_fen(500), AmountLimit::Refund),
            Ok(())
        );
        assert!(
            p.check_amount(Money::from_fen(501), AmountLimit::Refund)
                .is_err()
        );
        for limit in [AmountLimit::Payment, AmountLimit::Refund] {
            assert_eq!(
                p.check_amount(Money::ZERO, limit),
                Err(TerminalError::AmountNotPositive)
            );
            assert_eq!(
                p.check_amount(Money::from_fen(-1), limit),
                Err(TerminalError::AmountNotPositive)
            );
        }
    }

    #[test]
    fn the_message_names_the_amount_and_the_maximum() {
        let err = PayPolicy::default()
            .check_amount(Money::from_fen(9_999_999_999_900), AmountLimit::Payment)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad amount: 99999999999.00 is above the maximum per payment of 50000.00 \
             (change it with `cloudpos config payment --max-payment YUAN`)"
        );
    }

    #[test]
    fn a_policy_stored_before_the_maximums_existed_gets_the_defaults() {
        let mut stored = serde_json::to_value(PayPolicy::default()).unwrap();
        let map = stored.as_object_mut().unwrap();
        assert_eq!(map["max_payment_fen"], 5_000_000);
        map.remove("max_payment_fen");
        map.remove("max_refund_fen");
        let read: PayPolicy = serde_json::from_value(stored).unwrap();
        assert_eq!(read, PayPolicy::default());
    }

    #[test]
    fn a_maximum_of_zero_is_refused() {
        let p = PayPolicy {
            max_refund: Money::ZERO,
            ..PayPolicy::default()
        };
        assert!(p.validate().unwrap_err().contains("maximum"));
    }
}
