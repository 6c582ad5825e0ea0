//! Deposits after a crash or a lost answer (part of [`Terminal::recover_pending`]), and the
//! cloud side of reconciliation (`query_order_list`, freezes and releases).

use cloudpos_domain::deposit::{Deposit, DepositState};
use cloudpos_domain::ports::{
    CloudFreeze, CloudUnfreeze, DepositFilter, DepositListKind, DepositListQuery,
    FreezeQueryOutcome,
};
use cloudpos_domain::timestamp::Timestamp;
use futures_util::{StreamExt, stream};
use serde::Serialize;

use crate::{Result, Terminal};

/// What deposit recovery did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DepositRecovery {
    /// Deposits with a call open.
    pub found: usize,
    /// Of those, now frozen.
    pub frozen: usize,
    /// Now failed (nothing frozen).
    pub failed: usize,
    /// Now consumed.
    pub consumed: usize,
    /// Now released.
    pub unfrozen: usize,
    /// Still open (the cloud is unreachable, or a release is not acknowledged yet); run
    /// recovery again.
    pub still_open: usize,
}

/// The cloud's deposit records over a window, as reconciliation reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepositReconcile {
    /// Freezes listed (`order_type` 4).
    pub freezes: Vec<CloudFreeze>,
    /// Releases listed (`order_type` 5).
    pub unfreezes: Vec<CloudUnfreeze>,
    /// The ledger's deposits over the same window, and every open one.
    pub local: Vec<Deposit>,
    /// Each consume still open, as the open order it will become (so the cloud's copy of
    /// the consume order is matched while it settles).
    pub pending_consumes: Vec<cloudpos_domain::order::Order>,
}

const RECOVERY_CONCURRENCY: usize = 8;
const CLOUD_PAGE: u32 = 100;

impl Terminal {
    /// Resolves every deposit with a call open:
    /// - a freeze is queried; still open past the payment timeout (or not answered by
    ///   then), it is released in full (a release is safe whatever happened: it returns
    ///   money the sale never got), never left frozen silently;
    /// - a consume is followed by querying its order (a consume the cloud never saw is sent
    ///   again, identical);
    /// - a release is asked after, then sent again with its own number until acknowledged.
    pub(crate) async fn recover_deposits(&self) -> Result<DepositRecovery> {
        let open = self.inner.ports.ledger.unfinished_deposits().await?;
        let mut report = DepositRecovery {
            found: open.len(),
            ..DepositRecovery::default()
        };
        if open.is_empty() {
            return Ok(report);
        }
        self.gateway()?;
        let mut settled = stream::iter(open)
            .map(|d| async move { self.recover_deposit(d).await })
            .buffer_unordered(RECOVERY_CONCURRENCY);
        while let Some(d) = settled.next().await {
            match d?.state {
                DepositState::Frozen => report.frozen += 1,
                DepositState::Failed => report.failed += 1,
                DepositState::Consumed => report.consumed += 1,
                DepositState::Unfrozen => report.unfrozen += 1,
                DepositState::Freezing
                | DepositState::UserPaying
                | DepositState::Unknown
                | DepositState::Consuming
                | DepositState::Unfreezing => report.still_open += 1,
            }
        }
        Ok(report)
    }

    async fn recover_deposit(&self, mut d: Deposit) -> Result<Deposit> {
        let policy = self.policy();
        let timeout = policy.pay_timeout;
        match d.state {
            DepositState::Freezing | DepositState::UserPaying | DepositState::Unknown => {
                let q = self.gateway()?.query_freeze(&d.no, d.wallet).await;
                self.apply_freeze_query(&mut d, q).await?;
                let open = matches!(
                    d.state,
                    DepositState::Freezing | DepositState::UserPaying | DepositState::Unknown
                );
                if open && self.now() >= d.created_at.plus(timeout) {
                    d = self.cancel_freeze(d, timeout).await?;
                    let until = self.now().plus(policy.reverse_budget);
                    return self.send_unfreeze(d, until, false, false).await;
                }
                self.settle_freeze(d, timeout, None).await
            }
            DepositState::Consuming => {
                let deadline = self.now().plus(policy.refund_timeout);
                let shift = d.shift_id;
                self.drive_consume(d, shift, deadline, None, false).await
            }
            DepositState::Unfreezing => {
                let until = self.now().plus(policy.reverse_budget);
                self.send_unfreeze(d, until, false, true).await
            }
            DepositState::Frozen
            | DepositState::Failed
            | DepositState::Consumed
            | DepositState::Unfrozen => Ok(d),
        }
    }

    /// Reads the cloud's freezes and releases over `[from, to]` (cloud first), then the
    /// ledger's deposits over the same window and every open one.
    pub(crate) async fn deposit_records(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<DepositReconcile> {
        let gateway = self.gateway()?;
        let mut out = DepositReconcile::default();
        for kind in [DepositListKind::Freezes, DepositListKind::Unfreezes] {
            let mut page = 1;
            loop {
                let p = gateway
                    .list_deposits(&DepositListQuery {
                        from,
                        to,
                        kind,
                        page,
                        page_size: CLOUD_PAGE,
                    })
                    .await?;
                let got = p.freezes.len() + p.unfreezes.len();
                out.freezes.extend(p.freezes);
                out.unfreezes.extend(p.unfreezes);
                let seen = u64::from(page) * u64::from(CLOUD_PAGE);
                if got == 0 || seen >= p.total || page > 100_000 {
                    break;
                }
                page += 1;
            }
        }
        let ledger = &self.inner.ports.ledger;
        out.local = ledger
            .deposits(&DepositFilter {
                from: Some(from),
                to: Some(to),
                ..DepositFilter::default()
            })
            .await?
            .items;
        for d in ledger.unfinished_deposits().await? {
            if !out.local.iter().any(|l| l.no == d.no) {
                out.local.push(d);
            }
        }
        for d in &out.local {
            if let (DepositState::Consuming, Some(no)) = (d.state, &d.consume_no) {
                let mut o = cloudpos_domain::order::Order::new(
                    cloudpos_domain::order::NewOrder {
                        no: no.clone(),
                        method: cloudpos_domain::order::PaymentMethod::Wallet(d.wallet),
                        amount: d.pending,
                        code_masked: Some(d.code_masked.clone()),
                        store_id: d.store_id.clone(),
                        device_id: d.device_id.clone(),
                        clerk_id: d.settled_by.clone().unwrap_or_else(|| d.clerk_id.clone()),
                        shift_id: d.shift_id,
                        body: d.body.clone(),
                        remark: d.remark.clone(),
                    },
                    d.updated_at,
                );
                o.submit(d.updated_at).map_err(crate::pay::illegal)?;
                out.pending_consumes.push(o);
            }
        }
        // Deposits of the window's releases that were frozen before the window.
        for u in &out.unfreezes {
            if out.local.iter().any(|l| l.no.as_str() == u.freeze_no) {
                continue;
            }
            if let Ok(no) = u.freeze_no.parse()
                && let Some(d) = ledger.deposit(&no).await?
            {
                out.local.push(d);
            }
        }
        Ok(out)
    }

    /// After reconciliation: frozen deposits the cloud lists as released by the wallet
    /// itself (30 days after the freeze) are brought up to date.
    pub(crate) async fn note_auto_released(&self, records: &DepositReconcile) -> Result<usize> {
        let mut n = 0;
        for f in &records.freezes {
            let auto_only = f.state == cloudpos_domain::ports::CloudFreezeState::Finished
                && f.consumed.fen() == 0
                && f.auto_released.is_positive();
            let Some(d) = records.local.iter().find(|d| d.no.as_str() == f.no) else {
                continue;
            };
            if auto_only && d.state == DepositState::Frozen {
                let mut d = d.clone();
                self.apply_freeze_query(&mut d, FreezeQueryOutcome::Found(Box::new(f.clone())))
                    .await?;
                n += 1;
            }
        }
        Ok(n)
    }
}
