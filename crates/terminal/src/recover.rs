//! Resuming what a crash, a lost response or a closed window left open.

use cloudpos_domain::order::OrderState;
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

impl Terminal {
    /// Resolves every unfinished payment and refund in the ledger.
    ///
    /// A payment is queried first (it may well have been paid); if it is still open and its
    /// deadline has passed, it is reversed; if its deadline is still ahead, it is followed
    /// like a live payment. Refunds are re-sent with their own numbers (idempotent) or
    /// queried until final. Safe to run while another process works on the same ledger.
    pub async fn recover_pending(&self) -> Result<RecoveryReport> {
        let mut report = RecoveryReport::default();
        let ledger = self.inner.ports.ledger.clone();
        let orders = ledger.unfinished_orders().await?;
        report.orders_found = orders.len();
        if !orders.is_empty() || !ledger.unfinished_refunds().await?.is_empty() {
            // Needs Cloud Pay; fail clearly when not configured.
            self.gateway()?;
        }
        let timeout = self.policy().pay_timeout;
        for mut order in orders {
            if order.state != OrderState::Reversing {
                let q = self
                    .gateway()?
                    .query_order(&order.no, order.method.wallet())
                    .await;
                self.apply_query(&mut order, q).await?;
            }
            let order = self.settle(order, timeout, None).await?;
            match order.state {
                OrderState::Paid => report.paid += 1,
                OrderState::Failed => report.failed += 1,
                OrderState::Reversed => report.reversed += 1,
                _ => report.still_open += 1,
            }
        }
        let refunds = ledger.unfinished_refunds().await?;
        report.refunds_found = refunds.len();
        for refund in refunds {
            let deadline = self.now().plus(self.policy().refund_timeout);
            let refund = self.settle_refund(refund, deadline).await?;
            if !refund.state.is_final() {
                report.refunds_open += 1;
            }
        }
        Ok(report)
    }
}
