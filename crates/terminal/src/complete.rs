//! Completing payment records the ledger could not write.
//!
//! *Commit, then call* keeps every payment's intent on disk before its request leaves, but
//! the write of what Cloud Pay answered can still fail: the disk fills up, or an I/O error
//! hits, just after `micro_pay` said "paid". The customer has paid; the ledger still says
//! `submitted`. The live payment then stops (it must not tell the cashier anything it has
//! not committed, and it cannot commit) and reports
//! [`TerminalError::PaidNotRecorded`](crate::TerminalError::PaidNotRecorded) ("paid in the
//! cloud; the local record will be completed") or
//! [`TerminalError::ResultUnknown`](crate::TerminalError::ResultUnknown), never a failure.
//!
//! The terminal remembers, in memory, every order whose write failed and what it was going
//! to write. [`Terminal::complete_unrecorded`] writes it once the disk allows: a remembered
//! "paid" answer is committed as it was received (no network needed, so a paid order is
//! never reversed because the cloud is briefly out of reach); anything else is followed up
//! like a crashed payment (query first, then settle). The background task of
//! [`Terminal::spawn_reconciler`] runs it every [`COMPLETION_INTERVAL`]; after a restart the
//! memory is gone and [`Terminal::recover_pending`] does the same from the ledger's
//! unfinished intents (querying the cloud, never reversing an order whose query got no
//! answer), handing what it leaves open to the same background completion.
//!
//! While a record waits, reconciliation is held back (for at most [`COMPLETION_HOLD`]) so
//! the till is not halted over a difference the cashier has already been told about.

use std::time::Duration;

use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::ports::StoreError;
use cloudpos_domain::timestamp::Timestamp;
use serde::Serialize;

use crate::{Result, Terminal, TerminalError};

/// How often the background task retries records the ledger could not write (the till
/// completes them within a minute of the disk allowing it).
pub const COMPLETION_INTERVAL: Duration = Duration::from_secs(15);

/// How long a record waiting to be completed holds reconciliation back. Past this the
/// record is not a passing disk problem any more: reconciliation runs again and halts the
/// till over it, for an admin to look at.
pub const COMPLETION_HOLD: Duration = Duration::from_secs(600);

/// An order whose latest change could not be written.
#[derive(Debug, Clone)]
pub(crate) struct Unwritten {
    /// The order as last committed.
    pub committed: Order,
    /// The order as it was to be written (what Cloud Pay had said).
    pub wanted: Order,
    /// Why the write failed.
    pub cause: String,
    /// When the first write for this order failed.
    pub since: Timestamp,
}

/// What [`Terminal::complete_unrecorded`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CompletionReport {
    /// Records now complete (their orders final in the ledger).
    pub completed: usize,
    /// Records still waiting (the disk still refuses, or the payment is still open).
    pub waiting: usize,
}

impl Terminal {
    /// Remembers that `order`'s change to `wanted` could not be written, when the failure
    /// is one that passes (a full disk, an I/O error, a lock held too long). A damaged or
    /// inconsistent record is not retried here: it stops the till on its own.
    pub(crate) fn remember_unwritten(&self, order: &Order, wanted: &Order, error: &StoreError) {
        if !matches!(error, StoreError::DiskFull(_) | StoreError::Backend(_)) {
            return;
        }
        let now = self.now();
        if let Ok(mut m) = self.inner.unwritten.lock() {
            let (wanted, since) = match m.get(&order.no) {
                // Never forget that the cloud said paid because a later write failed too.
                Some(prior) if prior.wanted.state == OrderState::Paid => {
                    (prior.wanted.clone(), prior.since)
                }
                Some(prior) => (wanted.clone(), prior.since),
                None => (wanted.clone(), now),
            };
            m.insert(
                order.no.clone(),
                Unwritten {
                    committed: order.clone(),
                    wanted,
                    cause: error.to_string(),
                    since,
                },
            );
        }
    }

    /// Hands an order that recovery left open to the background completion, which keeps
    /// following it (query, then settle) every [`COMPLETION_INTERVAL`].
    pub(crate) fn follow_later(&self, order: &Order) {
        let now = self.now();
        if let Ok(mut m) = self.inner.unwritten.lock() {
            m.entry(order.no.clone()).or_insert_with(|| Unwritten {
                committed: order.clone(),
                wanted: order.clone(),
                cause: "still open after recovery".into(),
                since: now,
            });
        }
    }

    /// Whether a record waiting to be completed should hold reconciliation back: one has
    /// waited less than [`COMPLETION_HOLD`].
    pub(crate) fn completion_holds_reconciliation(&self) -> bool {
        let now = self.now();
        self.inner
            .unwritten
            .lock()
            .is_ok_and(|m| m.values().any(|u| now.since(u.since) < COMPLETION_HOLD))
    }

    /// The error a live payment reports when it stopped, after its request was sent, on
    /// `error` (a write that failed, or anything else that interrupted the follow-up). The
    /// order is kept for completion either way.
    pub(crate) fn payment_left_open(
        &self,
        committed: &Order,
        error: &TerminalError,
    ) -> TerminalError {
        let fresh = Unwritten {
            committed: committed.clone(),
            wanted: committed.clone(),
            cause: error.to_string(),
            since: self.now(),
        };
        let memo = match self.inner.unwritten.lock() {
            Ok(mut m) => m.entry(committed.no.clone()).or_insert(fresh).clone(),
            Err(_) => fresh,
        };
        tracing::warn!(order = %committed.no, error = %error, wanted = %memo.wanted.state,
            "payment left open after its request was sent; its record will be completed");
        if memo.wanted.state == OrderState::Paid {
            TerminalError::PaidNotRecorded {
                order: Box::new(memo.committed),
                cause: memo.cause,
            }
        } else {
            TerminalError::ResultUnknown {
                order: Box::new(memo.committed),
                cause: memo.cause,
            }
        }
    }

    /// Order numbers whose records wait to be completed (see the module documentation).
    #[must_use]
    pub fn awaiting_completion(&self) -> Vec<OrderNo> {
        self.inner
            .unwritten
            .lock()
            .map(|m| {
                let mut v: Vec<OrderNo> = m.keys().cloned().collect();
                v.sort();
                v
            })
            .unwrap_or_default()
    }

    /// Writes what the ledger could not write earlier, as far as the disk now allows: a
    /// remembered "paid" answer is committed as received; an order still open is queried
    /// and followed to a final state like a crashed payment. Each completed order is
    /// published as [`crate::Event::Order`]. Records that still cannot be written stay
    /// remembered for the next run.
    pub async fn complete_unrecorded(&self) -> CompletionReport {
        let pending: Vec<Unwritten> = self
            .inner
            .unwritten
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        let mut report = CompletionReport::default();
        for memo in pending {
            let no = memo.committed.no.clone();
            match self.complete_one(memo).await {
                Ok(true) => {
                    if let Ok(mut m) = self.inner.unwritten.lock() {
                        m.remove(&no);
                    }
                    report.completed += 1;
                }
                Ok(false) => report.waiting += 1,
                Err(e) => {
                    tracing::warn!(order = %no, error = %e, "record not completed yet; retrying later");
                    report.waiting += 1;
                }
            }
        }
        report
    }

    /// Completes one record; `Ok(true)` when the order is final in the ledger.
    async fn complete_one(&self, memo: Unwritten) -> Result<bool> {
        let Some(mut order) = self.inner.ports.ledger.order(&memo.committed.no).await? else {
            // Nothing to complete: the intent itself was never written.
            return Ok(true);
        };
        if order.state.is_final() {
            return Ok(true);
        }
        if memo.wanted.state == OrderState::Paid && order.state != OrderState::Reversing {
            let wanted = memo.wanted;
            let now = self.now();
            self.advance(&mut order, |o| {
                o.mark_paid(
                    wanted.transaction_id.clone(),
                    wanted.paid_at.unwrap_or(now),
                    now,
                )
            })
            .await?;
            tracing::info!(order = %order.no, "record completed: paid");
        }
        if order.state.is_final() {
            return Ok(true);
        }
        Ok(self.recover_order(order).await?.is_final())
    }
}
