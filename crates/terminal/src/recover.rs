//! Resuming what a crash, a lost response or a closed window left open.

use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::ports::QueryOutcome;
use futures_util::{StreamExt, stream};
use serde::Serialize;

use crate::{Result, Terminal};

/// What [`Terminal::recover_pending`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecoveryReport {
    /// Unfinished payments found.
    pub orders_found: usize,
    /// Of those, now paid.
    pub paid: usize,
    /// Now failed.
    pub failed: usize,
    /// Now reversed.
    pub reversed: usize,
    /// Still open (e.g. the cloud is unreachable); run recovery again.
    pub still_open: usize,
    /// Unfinished refunds found.
    pub refunds_found: usize,
    /// Refunds still open.
    pub refunds_open: usize,
    /// Deposits with a freeze, consume or release open, and what became of them.
    pub deposits: crate::DepositRecovery,
}

/// How many unfinished payments (and refunds) recovery follows at once. Each follows its
/// own deadline, so one customer still confirming does not hold back the reverse of
/// another whose deadline has passed; the bound keeps a backlog (after a long outage) from
/// flooding the cloud.
const RECOVERY_CONCURRENCY: usize = 8;

impl Terminal {
    /// Resolves every unfinished payment, refund and deposit in the ledger (deposits:
    /// `deposit/recover.rs`), and sends again the chain-wide member-card movements still
    /// waiting for the head office (`members_hq.rs`).
    ///
    /// A payment is queried first (it may well have been paid); if the cloud says it is still
    /// open (or does not know it) and its deadline has passed, it is reversed; if the query
    /// gets no answer, it is left open for the next run (and, in a running till, followed in
    /// the background); if its deadline is still ahead, it is followed like a live payment.
    /// Refunds are re-sent with their own numbers (idempotent) or
    /// queried until final. Up to [`RECOVERY_CONCURRENCY`] payments, then refunds, are
    /// followed at once, each on its own deadline. Safe to run while another process works
    /// on the same ledger.
    pub async fn recover_pending(&self) -> Result<RecoveryReport> {
        let mut report = RecoveryReport::default();
        let ledger = self.inner.ports.ledger.clone();
        let orders = ledger.unfinished_orders().await?;
        report.orders_found = orders.len();
        if !orders.is_empty() || !ledger.unfinished_refunds().await?.is_empty() {
            // Needs Cloud Pay; fail clearly when not configured.
            self.gateway()?;
        }
        let mut settled = stream::iter(orders)
            .map(|order| async move {
                let no = order.no.clone();
                (self.recover_order(order.clone()).await, order, no)
            })
            .buffer_unordered(RECOVERY_CONCURRENCY);
        while let Some((state, order, no)) = settled.next().await {
            match state? {
                OrderState::Paid => report.paid += 1,
                OrderState::Failed => report.failed += 1,
                OrderState::Reversed => report.reversed += 1,
                _ => {
                    report.still_open += 1;
                    // A running till keeps following it in the background.
                    let latest = self.inner.ports.ledger.order(&no).await?.unwrap_or(order);
                    self.follow_later(&latest);
                }
            }
        }
        drop(settled);
        let refunds = ledger.unfinished_refunds().await?;
        report.refunds_found = refunds.len();
        let mut settled = stream::iter(refunds)
            .map(|refund| async move {
                let deadline = self.now().plus(self.policy().refund_timeout);
                self.settle_refund(refund, deadline).await
            })
            .buffer_unordered(RECOVERY_CONCURRENCY);
        while let Some(refund) = settled.next().await {
            if !refund?.state.is_final() {
                report.refunds_open += 1;
            }
        }
        drop(settled);
        report.deposits = self.recover_deposits().await?;
        // Chain-wide member cards: movements a crash or a lost answer left unanswered are
        // sent again under their keys (a card payment is recorded paid when its debit is
        // applied). The head office being away leaves them for the next run or sync.
        match self.deliver_member_movements().await {
            Ok(d) if d.pending > 0 => {
                tracing::warn!(
                    "{} member card movements still wait for the head office",
                    d.pending
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("member card movements not delivered: {e}"),
        }
        Ok(report)
    }

    /// Queries one unfinished payment and follows it to a final state (or as far as its
    /// deadline allows); returns the state it ended in.
    ///
    /// An order past its deadline whose query got no answer is left open for the next run
    /// rather than reversed: it may well be paid (its answer was lost, or the ledger could not
    /// record it and the cashier was told "paid in the cloud"), and a reverse sent once the
    /// cloud is back would return the customer's money. It is reversed once the cloud answers
    /// that it is still open or does not know it.
    pub(crate) async fn recover_order(&self, mut order: Order) -> Result<OrderState> {
        let timeout = self.policy().pay_timeout;
        if order.state != OrderState::Reversing {
            let q = self
                .gateway()?
                .query_order(&order.no, order.method.wallet())
                .await;
            let answered = !matches!(q, QueryOutcome::Unknown { .. });
            self.apply_query(&mut order, q).await?;
            if !answered && !order.state.is_final() && self.now() >= order.created_at.plus(timeout)
            {
                tracing::warn!(order = %order.no, "no answer from Cloud Pay; not reversing blind, asking again later");
                return Ok(order.state);
            }
        }
        Ok(self.settle(order, timeout, None).await?.state)
    }
}
