//! Shifts and summaries: the summary of any period (managers see every clerk, a clerk only
//! themself), the handover that closes a shift with its summary, and closed shifts for
//! re-printing.

use cloudpos_domain::clerk::{Clerk, ClerkId, Permission};
use cloudpos_domain::ports::{OrderFilter, RefundFilter};
use cloudpos_domain::shift::{Shift, Summary};
use cloudpos_domain::timestamp::Timestamp;
use serde::Serialize;

use crate::{Event, Result, Terminal, TerminalError};

/// A closed shift and its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandoverReport {
    /// The shift, now closed.
    pub shift: Shift,
    /// Its summary (the clerk's records from login to handover).
    pub summary: Summary,
    /// Its deposits, apart from the payments (frozen, consumed, released).
    pub deposits: crate::DepositTotals,
}

impl Terminal {
    /// Whose records `me` may summarise: everyone's with the see-all permission, else only
    /// their own (asking for another clerk is refused).
    pub(crate) fn summary_scope(me: &Clerk, clerk: Option<&ClerkId>) -> Result<Option<ClerkId>> {
        let all = me.may(Permission::SeeAllSummaries);
        match clerk {
            Some(c) if all || c == &me.id => Ok(Some(c.clone())),
            Some(c) => Err(TerminalError::PermissionDenied(format!(
                "{} may see only their own summary, not {c}'s",
                me.id
            ))),
            None if all => Ok(None),
            None => Ok(Some(me.id.clone())),
        }
    }

    /// The summary of `[from, to)` (default: since the current login, until now) for `clerk`
    /// (default: every clerk for managers, the clerk themself otherwise).
    pub async fn summary(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        clerk: Option<&ClerkId>,
    ) -> Result<Summary> {
        let (session, me) = self.current_clerk().await?;
        let scope = Self::summary_scope(&me, clerk)?;
        let from = from.unwrap_or(session.since);
        let to = to.unwrap_or_else(|| self.now().plus(std::time::Duration::from_millis(1)));
        if from > to {
            return Err(TerminalError::Invalid(
                "the period starts after it ends".into(),
            ));
        }
        self.summarise(from, to, scope.as_ref()).await
    }

    /// Builds a summary by paging through the ledger (never all records in memory).
    pub(crate) async fn summarise(
        &self,
        from: Timestamp,
        to: Timestamp,
        clerk: Option<&ClerkId>,
    ) -> Result<Summary> {
        let mut summary = Summary::empty(from, to, clerk.cloned());
        self.each_order_page(
            &OrderFilter {
                paid_from: Some(from),
                paid_to: Some(to),
                clerk: clerk.cloned(),
                ..OrderFilter::default()
            },
            |orders| {
                summary.merge(&Summary::build(from, to, clerk, orders, &[]));
                Ok(())
            },
        )
        .await?;
        self.each_refund_page(
            &RefundFilter {
                succeeded_from: Some(from),
                succeeded_to: Some(to),
                clerk: clerk.cloned(),
                ..RefundFilter::default()
            },
            |refunds| {
                summary.merge(&Summary::build(from, to, clerk, &[], refunds));
                Ok(())
            },
        )
        .await?;
        Ok(summary)
    }

    /// Hands over (交接班): closes the current shift with its summary and logs out.
    pub async fn handover(&self) -> Result<HandoverReport> {
        let (session, me) = self.current_clerk().await?;
        let now = self.now();
        let shift = self
            .inner
            .ports
            .ledger
            .shift(session.shift_id)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("shift {}", session.shift_id)))?;
        let to = now.plus(std::time::Duration::from_millis(1));
        let summary = self.summarise(shift.opened_at, to, Some(&me.id)).await?;
        let deposits = self
            .deposit_totals_of(shift.opened_at, to, Some(&me.id))
            .await?;
        let shift = self.inner.ports.ledger.close_shift(shift.id, now).await?;
        self.audit(
            me.id.as_str(),
            "handover",
            serde_json::json!({
                "shift": shift.id,
                "payments": summary.total.pay_count,
                "paid_fen": summary.total.paid.fen(),
                "refunded_fen": summary.total.refunded.fen(),
                "net_fen": summary.total.net.fen(),
                "deposits_frozen_fen": deposits.frozen.fen(),
                "deposits_consumed_fen": deposits.consumed.fen(),
                "deposits_released_fen": deposits.released.fen(),
            }),
        )
        .await?;
        self.inner
            .ports
            .settings
            .remove(crate::session::SESSION_KEY)
            .await?;
        self.emit(Event::SessionChanged);
        Ok(HandoverReport {
            shift,
            summary,
            deposits,
        })
    }

    /// Shifts, newest first: every clerk's for managers, one's own otherwise.
    pub async fn shifts(&self, limit: u32) -> Result<Vec<Shift>> {
        let (_, me) = self.current_clerk().await?;
        let only = (!me.may(Permission::SeeAllSummaries)).then_some(&me.id);
        Ok(self.inner.ports.ledger.shifts(only, limit).await?)
    }

    /// A shift and its summary (for re-printing a handover slip).
    pub async fn shift_summary(&self, id: i64) -> Result<HandoverReport> {
        let (_, me) = self.current_clerk().await?;
        let shift = self
            .inner
            .ports
            .ledger
            .shift(id)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("shift {id}")))?;
        Self::summary_scope(&me, Some(&shift.clerk_id))?;
        let to = shift
            .closed_at
            .unwrap_or_else(|| self.now())
            .plus(std::time::Duration::from_millis(1));
        let summary = self
            .summarise(shift.opened_at, to, Some(&shift.clerk_id))
            .await?;
        let deposits = self
            .deposit_totals_of(shift.opened_at, to, Some(&shift.clerk_id))
            .await?;
        Ok(HandoverReport {
            shift,
            summary,
            deposits,
        })
    }
}
