//! One sync with the head office, and the background loop that runs it.
//!
//! ```text
//! outbox ──batch (≤ MAX_BATCH, from acknowledged + 1)──► push ──applied_through──► acknowledge
//!    ▲                                                   │ gap: resend from applied_through + 1
//!    └────────────── until empty ─────────────────────────┘ no answer / unavailable: stop, retry later
//! then: catalogue pages since the last version applied ──► apply (head office wins on its SKUs)
//! ```
//!
//! **Invariant (acknowledge only what was applied):** the outbox is deleted only up to the
//! lower of the head office's `applied_through` and the last change of the batch it
//! answered; an error deletes nothing. A push whose answer was lost is sent again and
//! skipped by the head office (rule 3 of the contract), so a failure at any point loses
//! nothing and doubles nothing.

use std::time::Duration;

use cloudpos_domain::hq_ports::{HeadOfficeAccess, HeadOfficeLink, HeadOfficeStore, LinkError};
use cloudpos_hq_protocol::{MAX_BATCH, MAX_CATALOG_PAGE};

use super::link_error;
use crate::{Result, Terminal, TerminalError};

/// How often the background loop syncs when all is well.
pub const HQ_SYNC_INTERVAL: Duration = Duration::from_secs(5);
/// The longest the loop waits after failures (it doubles from [`HQ_SYNC_INTERVAL`]).
pub const HQ_SYNC_MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Gap answers followed in one sync before giving up (each resends from the head office's
/// position; more means the two sides disagree).
const MAX_GAPS: u32 = 3;

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Pushes sent (an empty one reports the till alive when nothing is pending).
    pub pushes: u32,
    /// Changes the head office applied now.
    pub applied: u64,
    /// Changes it already held (resent after a lost answer), skipped.
    pub duplicates: u64,
    /// The highest change the head office has applied.
    pub applied_through: i64,
    /// Catalogue changes applied.
    pub catalog_changes: u64,
    /// The catalogue version now applied.
    pub catalog_version: i64,
    /// Changes still pending after the sync (written meanwhile).
    pub pending: u64,
}

impl Terminal {
    /// Syncs with the head office now: pushes the outbox in batches until it is empty,
    /// deleting what the head office acknowledged, then pulls the catalogue changes. Anyone
    /// may run it (the background loop runs it with nobody logged in). Records the time of
    /// a successful sync, or the error, for [`Terminal::head_office_status`].
    ///
    /// # Errors
    /// No head office configured; the head office unreachable or refusing (what was
    /// acknowledged before stays acknowledged, the rest stays queued); the ledger.
    pub async fn sync_head_office(&self) -> Result<SyncReport> {
        let _one = self.inner.head_office.sync.lock().await;
        let Some(access) = self.head_office_access().await? else {
            return Err(TerminalError::Invalid(
                "no head office is configured: run `cloudpos config hq --url URL --enrol-token TOKEN`"
                    .into(),
            ));
        };
        let store = self.head_office_store()?;
        let link = self.head_office_link().await?;
        let result = self.sync_with(store.as_ref(), link.as_ref(), &access).await;
        let mut memory = self.sync_memory().await?;
        match &result {
            Ok(_) => {
                memory.last_sync = Some(self.now().unix_millis());
                memory.last_error = None;
            }
            Err(e) => memory.last_error = Some(e.to_string()),
        }
        if let Err(e) = self.save_sync_memory(&memory).await {
            tracing::warn!("the head office sync state was not saved: {e}");
        }
        self.publish_head_office_status().await;
        result
    }

    async fn sync_with(
        &self,
        store: &dyn HeadOfficeStore,
        link: &dyn HeadOfficeLink,
        access: &HeadOfficeAccess,
    ) -> Result<SyncReport> {
        if !store.outbox_enabled().await? {
            store.start_outbox().await?;
        }
        // Member-card movements still waiting for an answer go first: a card payment
        // they complete is then pushed in this same sync.
        let members = self.deliver_member_movements().await?;
        if members != crate::MemberDelivery::default() {
            tracing::info!(
                "member card movements: {} applied, {} refused, {} still pending",
                members.applied,
                members.refused,
                members.pending
            );
        }
        let mut report = SyncReport::default();
        let mut after = store.outbox_state().await?.acknowledged_through;
        let mut gaps = 0;
        loop {
            let batch = store.outbox_batch(after, MAX_BATCH).await?;
            if batch.is_empty() && report.pushes > 0 {
                break;
            }
            let last = batch.last().map_or(after, |c| c.seq);
            let state = store.outbox_state().await?;
            let backlog = state
                .pending
                .saturating_sub(u64::try_from(batch.len()).unwrap_or(u64::MAX));
            let oldest_backlog_at = if backlog > 0 {
                store.outbox_batch(last, 1).await?.first().map(|c| c.at)
            } else {
                None
            };
            match link.push(access, &batch, backlog, oldest_backlog_at).await {
                Ok(r) => {
                    report.pushes += 1;
                    report.applied += u64::from(r.applied);
                    report.duplicates += u64::from(r.duplicates);
                    report.applied_through = r.applied_through;
                    if batch.is_empty() {
                        break;
                    }
                    let through = r.applied_through.min(last);
                    if through <= after {
                        return Err(TerminalError::Invalid(format!(
                            "the head office applied none of changes {}–{last} (it holds this till's changes through {}); they stay queued",
                            after + 1,
                            r.applied_through
                        )));
                    }
                    store.acknowledge(through).await?;
                    after = through;
                }
                Err(LinkError::Gap {
                    applied_through,
                    message,
                }) => {
                    gaps += 1;
                    if gaps > MAX_GAPS {
                        return Err(TerminalError::Invalid(format!(
                            "the head office keeps answering that changes are missing: {message}"
                        )));
                    }
                    after = self
                        .resume_at(store, applied_through, after, last, &message)
                        .await?;
                }
                Err(e) => return Err(link_error(&e)),
            }
        }
        self.pull_catalog(store, link, access, &mut report).await?;
        report.pending = store.outbox_state().await?.pending;
        Ok(report)
    }

    /// Where to send from after the head office answered that it holds this till's changes
    /// through `applied_through`: acknowledged up to there when it is ahead of us, or
    /// resent from there when those changes are still queued.
    async fn resume_at(
        &self,
        store: &dyn HeadOfficeStore,
        applied_through: i64,
        after: i64,
        last: i64,
        message: &str,
    ) -> Result<i64> {
        if applied_through >= after {
            let through = applied_through.min(last);
            if through > after {
                store.acknowledge(through).await?;
            }
            return Ok(through);
        }
        let next = store.outbox_batch(applied_through, 1).await?;
        if next.first().is_some_and(|c| c.seq == applied_through + 1) {
            return Ok(applied_through);
        }
        Err(TerminalError::Invalid(format!(
            "the head office holds this till's changes only through {applied_through}, but changes {}–{after} were acknowledged before and are no longer here (was the head office's database restored from a backup?): {message}",
            applied_through + 1
        )))
    }

    async fn pull_catalog(
        &self,
        store: &dyn HeadOfficeStore,
        link: &dyn HeadOfficeLink,
        access: &HeadOfficeAccess,
        report: &mut SyncReport,
    ) -> Result<()> {
        let mut since = store.catalog_version().await?;
        loop {
            let page = link
                .catalog(access, since, MAX_CATALOG_PAGE)
                .await
                .map_err(|e| link_error(&e))?;
            let Some(version) = page.changes.iter().map(|c| c.version).max() else {
                break;
            };
            if version <= since {
                return Err(TerminalError::Invalid(format!(
                    "the head office sent catalogue changes at or below version {since}, which is applied already"
                )));
            }
            store.apply_catalog(&page.changes, version).await?;
            report.catalog_changes += u64::try_from(page.changes.len()).unwrap_or(u64::MAX);
            since = version;
            if !page.more {
                break;
            }
        }
        report.catalog_version = since;
        Ok(())
    }

    /// Syncs with the head office now and then every [`HQ_SYNC_INTERVAL`] until the task is
    /// aborted, in its own task: a payment never waits for it. A failure (offline, refused)
    /// is logged, kept for the status, and tried again after a wait that doubles up to
    /// [`HQ_SYNC_MAX_BACKOFF`]. A till without a head office checks its settings each
    /// interval and does nothing else.
    #[must_use]
    pub fn spawn_head_office_sync(&self) -> tokio::task::JoinHandle<()> {
        let t = self.clone();
        tokio::spawn(async move {
            let mut wait = HQ_SYNC_INTERVAL;
            loop {
                let configured = matches!(t.head_office_access().await, Ok(Some(_)));
                if configured {
                    match t.sync_head_office().await {
                        Ok(r) => {
                            tracing::debug!(
                                applied = r.applied,
                                pending = r.pending,
                                "synced with the head office"
                            );
                            wait = HQ_SYNC_INTERVAL;
                        }
                        Err(e) => {
                            tracing::warn!("head office sync failed: {e}");
                            wait = (wait * 2).min(HQ_SYNC_MAX_BACKOFF);
                        }
                    }
                } else {
                    wait = HQ_SYNC_INTERVAL;
                }
                t.inner.ports.clock.sleep(wait).await;
            }
        })
    }
}
