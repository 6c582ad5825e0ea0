//! Resuming what a crash, a lost response or a closed window left open.

use cloudpos_domain::order::{Order, OrderState};
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
}

/// How many unfinished payments (and refunds) recovery follows at once. Each follows its
/// own deadline, so one customer still confirming does not hold back the reverse of
/// another whose deadline has passed; the bound keeps a backlog (after a long outage) from
/// flooding the cloud.
const RECOVERY_CONCURRENCY: usize = 8;

impl Terminal {
    /// Resolves every unfinished payment and refund in the ledger.
    ///
    /// A payment is queried first (it may well have been paid); if it is still open and its
    /// deadline has passed, it is reversed; if its deadline is still ahead, it is followed
    /// like a live payment. Refunds are re-sent with their own numbers (idempotent) or
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
            .map(|order| self.recover_order(order))
            .buffer_unordered(RECOVERY_CONCURRENCY);
        while let Some(state) = settled.next().await {
            match state? {
                OrderState::Paid => report.paid += 1,
                OrderState::Failed => report.failed += 1,
                OrderState::Reversed => report.reversed += 1,
                _ => report.still_open += 1,
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
        Ok(report)
    }

    /// Queries one unfinished payment and follows it to a final state (or as far as its
    /// deadline allows); returns the state it ended in.
    pub(crate) async fn recover_order(&self, mut order: Order) -> Result<OrderState> {
        if order.state != OrderState::Reversing {
            let q = self
                .gateway()?
                .query_order(&order.no, order.method.wallet())
                .await;
            self.apply_query(&mut order, q).await?;
        }
        let timeout = self.policy().pay_timeout;
        Ok(self.settle(order, timeout, None).await?.state)
    }
}
