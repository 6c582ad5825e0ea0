//! Near-real-time reconciliation: every 30 s (by default) the terminal pages through Cloud
//! Pay's listing for the window since its last checkpoint (with an overlap), compares it with
//! the ledger (`cloudpos-reconcile`) and, on any discrepancy, trips the halt switch.

use std::time::Duration;

use cloudpos_domain::ports::{CloudListKind, CloudListQuery, OrderFilter, RefundFilter};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_reconcile::{
    DEFAULT_GRACE, DEFAULT_MARGIN, DepositReport, Params, Report, compare, compare_deposits,
};
use serde::{Deserialize, Serialize};

use crate::{Result, Setting, Terminal, TerminalError};

/// Settings key of the reconciliation checkpoint.
pub const CHECKPOINT_KEY: &str = "reconcile_checkpoint";

const CLOUD_PAGE: u32 = 100;

/// How often and how carefully to reconcile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcilePolicy {
    /// Time between runs of the background reconciler (30 s).
    pub interval: Duration,
    /// Records touched more recently than this are still settling (2 minutes).
    pub grace: Duration,
    /// Both sides are fetched this much wider than the checked window (5 minutes).
    pub margin: Duration,
    /// The first run (no checkpoint yet) checks this far back (1 day).
    pub first_lookback: Duration,
}

impl Default for ReconcilePolicy {
    fn default() -> Self {
        ReconcilePolicy {
            interval: Duration::from_secs(30),
            grace: DEFAULT_GRACE,
            margin: DEFAULT_MARGIN,
            first_lookback: Duration::from_secs(24 * 3600),
        }
    }
}

impl Setting for ReconcilePolicy {
    const KEY: &'static str = "reconcile_policy";
    const NAME: &'static str = "reconciliation policy";
    const AUDIT_ACTION: &'static str = "config_reconcile";

    fn check(&mut self) -> Result<()> {
        if self.interval < Duration::from_secs(1) {
            return Err(TerminalError::Invalid(
                "the interval must be at least 1 s".into(),
            ));
        }
        Ok(())
    }
}

/// Where the last clean reconciliation left off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Everything created before this was found consistent.
    pub checked_to: Timestamp,
}

/// The result of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconcileRun {
    /// The comparison.
    pub report: Report,
    /// Whether this run halted the till.
    pub halted: bool,
    /// Cloud records read (payments, refunds, freezes and releases).
    pub cloud_records: u64,
    /// The deposits' comparison (its discrepancies are also in `report`).
    pub deposits: DepositReport,
}

impl Terminal {
    /// Reconciles once: the window since the checkpoint (or `window` when given). Halts on
    /// any discrepancy; advances the checkpoint when clean.
    pub async fn reconcile_once(
        &self,
        window: Option<(Timestamp, Timestamp)>,
    ) -> Result<ReconcileRun> {
        let gateway = self.gateway()?;
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        let policy = self.setting::<ReconcilePolicy>().await?;
        let settings = &self.inner.ports.settings;
        let as_of = self.now();
        let (from, to) = match window {
            Some(w) => w,
            None => {
                let checkpoint: Option<Checkpoint> = settings
                    .get(CHECKPOINT_KEY)
                    .await?
                    .and_then(|v| serde_json::from_value(v).ok());
                let from =
                    checkpoint.map_or_else(|| as_of.minus(policy.first_lookback), |c| c.checked_to);
                (from, as_of)
            }
        };
        let params = Params {
            window: (from, to),
            as_of,
            store_id: merchant.out_shop_id.clone(),
            device_id: merchant.device_id.clone(),
            machine_no: Some(self.machine_no().await?),
            settle_grace: policy.grace,
            offset_seconds: self.offset_seconds(),
        };
        let (fetch_from, fetch_to) = params.fetch_range(policy.margin);

        // The cloud first, then the ledger: every cloud record then has its local intent.
        let mut cloud_orders = Vec::new();
        let mut cloud_refunds = Vec::new();
        let mut page = 1;
        loop {
            let p = gateway
                .list(&CloudListQuery {
                    from: fetch_from,
                    to: fetch_to,
                    kind: CloudListKind::Both,
                    page,
                    page_size: CLOUD_PAGE,
                    shop_wide: false,
                })
                .await?;
            let got = p.orders.len() + p.refunds.len();
            cloud_orders.extend(p.orders);
            cloud_refunds.extend(p.refunds);
            let seen = u64::try_from(cloud_orders.len() + cloud_refunds.len()).unwrap_or(u64::MAX);
            if got == 0 || seen >= p.total || page > 100_000 {
                break;
            }
            page += 1;
        }
        let cloud_records =
            u64::try_from(cloud_orders.len() + cloud_refunds.len()).unwrap_or(u64::MAX);

        let ledger = &self.inner.ports.ledger;
        let mut local_orders = Vec::new();
        self.each_order_page(
            &OrderFilter {
                from: Some(fetch_from),
                to: Some(fetch_to),
                ..OrderFilter::default()
            },
            |p| {
                local_orders.extend_from_slice(p);
                Ok(())
            },
        )
        .await?;
        let mut local_refunds = ledger.unfinished_refunds().await?;
        self.each_refund_page(
            &RefundFilter {
                from: Some(fetch_from),
                to: Some(fetch_to),
                ..RefundFilter::default()
            },
            |p| {
                local_refunds.extend_from_slice(p);
                Ok(())
            },
        )
        .await?;
        // Refunds of orders outside the window need their orders for context.
        let known: std::collections::HashSet<_> =
            local_orders.iter().map(|o| o.no.clone()).collect();
        let mut extra = Vec::new();
        for r in &local_refunds {
            if !known.contains(&r.order_no)
                && !extra
                    .iter()
                    .any(|o: &cloudpos_domain::order::Order| o.no == r.order_no)
                && let Some(o) = ledger.order(&r.order_no).await?
            {
                extra.push(o);
            }
        }
        local_orders.extend(extra);

        // Deposits: the cloud's freezes and releases first, then the ledger's deposits. A
        // consume still open stands in the orders as the open order it will become.
        let deposit_records = self.deposit_records(fetch_from, fetch_to).await?;
        for o in &deposit_records.pending_consumes {
            if !local_orders.iter().any(|l| l.no == o.no) {
                local_orders.push(o.clone());
            }
        }
        let deposits = compare_deposits(
            &deposit_records.local,
            &deposit_records.freezes,
            &deposit_records.unfreezes,
            &params,
        );
        let cloud_records = cloud_records.saturating_add(
            u64::try_from(deposit_records.freezes.len() + deposit_records.unfreezes.len())
                .unwrap_or(u64::MAX),
        );

        let mut report = compare(
            &local_orders,
            &local_refunds,
            &cloud_orders,
            &cloud_refunds,
            &params,
        );
        report
            .discrepancies
            .extend(deposits.discrepancies.iter().cloned());
        if !deposits.auto_released.is_empty() {
            let n = self.note_auto_released(&deposit_records).await?;
            tracing::info!(
                deposits = n,
                "deposits released by the wallet brought up to date"
            );
        }
        let halted = !report.discrepancies.is_empty();
        if halted {
            let first = &report.discrepancies[0];
            let reason = format!(
                "reconciliation found {} discrepanc{} with Cloud Pay (first: {})",
                report.discrepancies.len(),
                if report.discrepancies.len() == 1 {
                    "y"
                } else {
                    "ies"
                },
                first.detail
            );
            let details = report
                .discrepancies
                .iter()
                .map(|d| d.detail.clone())
                .collect();
            self.halt(&reason, details).await?;
        } else if window.is_none() {
            // Records still within the grace were not judged: check them again next time.
            let checked_to = as_of.minus(policy.grace).max(from);
            let value = serde_json::to_value(Checkpoint { checked_to })
                .map_err(|e| TerminalError::Invalid(e.to_string()))?;
            settings.put(CHECKPOINT_KEY, &value).await?;
        }
        Ok(ReconcileRun {
            report,
            halted,
            cloud_records,
            deposits,
        })
    }

    /// The till's background upkeep, until the task is dropped or aborted:
    ///
    /// - every [`COMPLETION_INTERVAL`](crate::COMPLETION_INTERVAL) (15 s), completes payment
    ///   records the ledger could not write ([`Terminal::complete_unrecorded`]);
    /// - every policy interval, runs [`Terminal::reconcile_once`]. Failures to reach the
    ///   cloud are logged and retried; they do not halt. While a record waits to be
    ///   completed the ledger is known to be behind the cloud for a reason the cashier has
    ///   been told, so reconciliation waits for it instead of halting the till over it — for
    ///   at most [`COMPLETION_HOLD`](crate::COMPLETION_HOLD) (10 minutes); a record still
    ///   not written by then is a real problem, and reconciliation halts over it.
    pub fn spawn_reconciler(&self) -> tokio::task::JoinHandle<()> {
        let t = self.clone();
        tokio::spawn(async move {
            let completer = async {
                loop {
                    if !t.awaiting_completion().is_empty() {
                        let r = t.complete_unrecorded().await;
                        tracing::info!(
                            completed = r.completed,
                            waiting = r.waiting,
                            "completed unrecorded payments"
                        );
                    }
                    t.inner.ports.clock.sleep(crate::COMPLETION_INTERVAL).await;
                }
            };
            let reconciler = async {
                loop {
                    let interval = t
                        .setting::<ReconcilePolicy>()
                        .await
                        .map_or(Duration::from_secs(30), |p| p.interval);
                    if !t.completion_holds_reconciliation() {
                        match t.reconcile_once(None).await {
                            Ok(run) if run.halted => tracing::error!(
                                discrepancies = run.report.discrepancies.len(),
                                "reconciliation halted the till"
                            ),
                            Ok(run) => {
                                tracing::debug!(
                                    compared = run.report.compared_orders,
                                    "reconciled"
                                );
                            }
                            Err(e) => tracing::warn!(error = %e, "reconciliation did not run"),
                        }
                    } else {
                        tracing::warn!(
                            orders = t.awaiting_completion().len(),
                            "reconciliation waits for records the ledger could not write yet"
                        );
                    }
                    t.inner.ports.clock.sleep(interval).await;
                }
            };
            tokio::join!(completer, reconciler);
        })
    }
}
