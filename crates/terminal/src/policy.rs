//! The timing rules of the payment loop (protocol notes §6.2, reliability anchors §1.1).

use std::time::Duration;

use serde::{Deserialize, Serialize};

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
        }
    }
}
