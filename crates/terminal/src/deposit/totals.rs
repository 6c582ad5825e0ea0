//! Deposits in a summary and a handover, apart from payments (押金: frozen, consumed,
//! released): what a shift froze, and what it consumed or released, whenever frozen.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::deposit::{Deposit, DepositState};
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::DepositFilter;
use cloudpos_domain::timestamp::Timestamp;
use serde::Serialize;

use crate::{Result, Terminal};

/// Deposit figures of a period, kept apart from the payment totals: a freeze is not income
/// (the consume is: its paid order is counted with the payments too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DepositTotals {
    /// Deposits frozen in the period (money held).
    pub frozen_count: u32,
    /// Their amount.
    pub frozen: Money,
    /// Deposits consumed in the period.
    pub consumed_count: u32,
    /// The amount taken.
    pub consumed: Money,
    /// Deposits released in the period: the rest after a consume, or the whole deposit.
    pub released_count: u32,
    /// The amount given back.
    pub released: Money,
}

impl DepositTotals {
    /// The figures of `[from, to)` for `clerk` (who froze it, for the freeze; who consumed
    /// or released it, else who froze it, for the rest) from any superset of the deposits.
    #[must_use]
    pub fn build(
        from: Timestamp,
        to: Timestamp,
        clerk: Option<&ClerkId>,
        deposits: &[Deposit],
    ) -> DepositTotals {
        let within = |t: Option<Timestamp>| t.is_some_and(|t| t >= from && t < to);
        let mut totals = DepositTotals::default();
        for d in deposits {
            if within(d.frozen_at) && clerk.is_none_or(|c| *c == d.clerk_id) {
                totals.frozen_count += 1;
                totals.frozen = totals.frozen + d.frozen;
            }
            let settler = d.settled_by.as_ref().unwrap_or(&d.clerk_id);
            if !within(d.finished_at) || clerk.is_some_and(|c| c != settler) {
                continue;
            }
            if d.state == DepositState::Consumed {
                totals.consumed_count += 1;
                totals.consumed = totals.consumed + d.consumed;
            }
            if d.unfrozen.is_positive() {
                totals.released_count += 1;
                totals.released = totals.released + d.unfrozen;
            }
        }
        totals
    }

    /// Nothing frozen, consumed or released.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.frozen_count == 0 && self.consumed_count == 0 && self.released_count == 0
    }
}

impl Terminal {
    /// The deposit figures of `[from, to)` for `clerk` (everyone's when `None`), beside a
    /// [`Terminal::summary`] of the same period (whose scope rules the caller applied).
    pub(crate) async fn deposit_totals_of(
        &self,
        from: Timestamp,
        to: Timestamp,
        clerk: Option<&ClerkId>,
    ) -> Result<DepositTotals> {
        let all = self
            .inner
            .ports
            .ledger
            .deposits(&DepositFilter {
                page_size: 0,
                ..DepositFilter::default()
            })
            .await?;
        Ok(DepositTotals::build(from, to, clerk, &all.items))
    }

    /// The deposit figures for a summary's period and clerk (`summary.from`, `summary.to`,
    /// `summary.clerk` of [`Terminal::summary`]).
    pub async fn deposit_totals(
        &self,
        from: Timestamp,
        to: Timestamp,
        clerk: Option<&ClerkId>,
    ) -> Result<DepositTotals> {
        let (_, me) = self.current_clerk().await?;
        let scope = Self::summary_scope(&me, clerk)?;
        self.deposit_totals_of(from, to, scope.as_ref()).await
    }
}
