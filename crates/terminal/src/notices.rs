//! Notices (公告) from the service provider or the merchant (seed 003 §7): fetched from the
//! cloud at start and every [`NOTICE_INTERVAL`] (the cashier's background chore, and
//! [`Terminal::spawn_notice_fetcher`] for other shells), kept in the ledger's database with
//! this terminal's read state, listed newest first.

use std::time::Duration;

use cloudpos_domain::device_ports::Notice;

use crate::{Event, Result, Terminal, TerminalError};

/// How often the terminal asks the cloud for notices.
pub const NOTICE_INTERVAL: Duration = Duration::from_secs(5 * 60);

impl Terminal {
    /// Fetches the notices from the cloud and keeps the new ones; returns how many were new
    /// (and publishes [`Event::NoticesChanged`] when some were).
    pub async fn refresh_notices(&self) -> Result<usize> {
        self.ensure_bound().await?;
        let fetched = self.device_cloud()?.fetch_notices().await?;
        let added = self
            .inner
            .ports
            .notices
            .save_notices(&fetched, self.now())
            .await?;
        if added > 0 {
            self.emit(Event::NoticesChanged);
        }
        Ok(added)
    }

    /// The notices kept, newest first, with their read state.
    pub async fn notices(&self) -> Result<Vec<Notice>> {
        Ok(self.inner.ports.notices.notices().await?)
    }

    /// How many notices nobody has read on this terminal.
    pub async fn unread_notices(&self) -> Result<usize> {
        Ok(self.notices().await?.iter().filter(|n| n.unread()).count())
    }

    /// Marks a notice read (reading it again keeps the first time).
    pub async fn mark_notice_read(&self, id: &str) -> Result<()> {
        if !self
            .inner
            .ports
            .notices
            .mark_notice_read(id, self.now())
            .await?
        {
            return Err(TerminalError::NotFound(format!("notice {id}")));
        }
        self.emit(Event::NoticesChanged);
        Ok(())
    }

    /// Marks every notice read; returns how many were unread.
    pub async fn mark_all_notices_read(&self) -> Result<usize> {
        let mut n = 0;
        for notice in self.notices().await?.iter().filter(|n| n.unread()) {
            self.inner
                .ports
                .notices
                .mark_notice_read(&notice.id, self.now())
                .await?;
            n += 1;
        }
        if n > 0 {
            self.emit(Event::NoticesChanged);
        }
        Ok(n)
    }

    /// Fetches the notices now and every [`NOTICE_INTERVAL`] until the task is aborted; a
    /// failure (offline, unbound) is logged and tried again next time.
    #[must_use]
    pub fn spawn_notice_fetcher(&self) -> tokio::task::JoinHandle<()> {
        let t = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = t.refresh_notices().await {
                    tracing::info!("notices not fetched: {e}");
                }
                t.inner.ports.clock.sleep(NOTICE_INTERVAL).await;
            }
        })
    }
}
