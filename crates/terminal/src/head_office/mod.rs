//! The head office (总部), till side: configuring the link (the enrolment token exchanged
//! once, the credential sealed in the vault, the address in the settings, the outbox turned
//! on), the sync ([`sync`]: the outbox pushed in batches, acknowledged only as far as the
//! head office applied it, then the catalogue pulled) and its status for the CLI and the
//! status bar.
//!
//! Syncing never touches a payment: it reads the outbox the ledger writes in each change's
//! own transaction, deletes what the head office acknowledged, and runs in its own task
//! ([`Terminal::spawn_head_office_sync`]).

mod sync;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use cloudpos_domain::hq_ports::{HeadOfficeAccess, HeadOfficeLink, HeadOfficeStore, LinkError};
use cloudpos_domain::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

pub use sync::{HQ_SYNC_INTERVAL, HQ_SYNC_MAX_BACKOFF, SyncReport};

use crate::{Result, Setting, Terminal, TerminalError};

/// Vault name of the till's head-office credential.
pub(crate) const CREDENTIAL_SECRET: &str = "hq.credential";
/// Settings key of what the till remembers of its enrolment and syncs.
const STATE_KEY: &str = "head_office.state";

/// Where the till's head office is. Set by `cloudpos config hq` (with the enrolment); the
/// credential is sealed in the vault, never here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeadOfficeSettings {
    /// The head office's base URL (`https://…`, or `http://` to this machine only); none:
    /// the till does not sync.
    pub url: Option<String>,
}

impl Setting for HeadOfficeSettings {
    const KEY: &'static str = "head_office";
    const NAME: &'static str = "head office settings";
    const AUDIT_ACTION: &'static str = "config_hq";

    /// Trims the address (blank is none) and refuses one that is not `https://`, or
    /// `http://` to a loopback address.
    fn check(&mut self) -> Result<()> {
        self.url = match self.url.take().map(|u| u.trim().to_owned()) {
            None => None,
            Some(u) if u.is_empty() => None,
            Some(u) => Some(
                cloudpos_hq_client::check_url(&u)
                    .map_err(|e| TerminalError::Invalid(e.to_string()))?,
            ),
        };
        Ok(())
    }
}

/// What the till remembers of its enrolment and its syncs (settings key
/// `head_office.state`; not a setting: nobody edits it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
struct SyncMemory {
    terminal_id: Option<i64>,
    store: Option<String>,
    device: Option<String>,
    /// Unix ms of the last sync that pushed everything and pulled the catalogue.
    last_sync: Option<i64>,
    /// Why the last sync failed (none after a successful one).
    last_error: Option<String>,
}

/// The head-office link's state, for `cloudpos hq status` and the status bar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadOfficeStatus {
    /// A head office is configured (an address and a sealed credential).
    pub configured: bool,
    /// Its address.
    pub url: Option<String>,
    /// The store and device this till was enrolled as, and its number there.
    pub store: Option<String>,
    /// See [`HeadOfficeStatus::store`].
    pub device: Option<String>,
    /// See [`HeadOfficeStatus::store`].
    pub terminal_id: Option<i64>,
    /// Changes waiting in the outbox (the backlog).
    pub pending: u64,
    /// When the last successful sync ended.
    pub last_sync: Option<Timestamp>,
    /// Age of the oldest pending change, in ms (0 when none is pending).
    pub lag_ms: u64,
    /// Why the last sync failed, if it did.
    pub last_error: Option<String>,
    /// The highest change the head office acknowledged.
    pub acknowledged_through: i64,
    /// The highest change written.
    pub last_seq: i64,
    /// The last catalogue version applied.
    pub catalog_version: i64,
    /// Member-card movements the head office refused for good (never sent again), the
    /// latest first: a card payment among them ended failed (nothing was taken); a credit
    /// (recharge, refund to the card, positive adjustment) was not applied and an
    /// administrator must correct the card at the head office.
    pub refused_movements: Vec<cloudpos_domain::member_hq::RefusedMovement>,
}

/// What `configure_head_office` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadOfficeEnrolled {
    /// The address stored.
    pub url: String,
    /// The store and device the token was made for.
    pub store: String,
    /// See [`HeadOfficeEnrolled::store`].
    pub device: String,
    /// The head office's number for this till.
    pub terminal_id: i64,
    /// Changes of the existing ledger queued for the head office (0 when the outbox was
    /// already on).
    pub backfilled: u64,
}

/// The terminal's head-office parts.
pub(crate) struct HeadOfficeState {
    /// The link: installed by a test, or built by the wiring from the network settings.
    link: RwLock<Option<Arc<dyn HeadOfficeLink>>>,
    /// The link was built by the wiring (rebuilt when the network settings change).
    link_built: AtomicBool,
    /// One sync at a time in this process.
    sync: tokio::sync::Mutex<()>,
    /// The last status, for the status bar.
    status: watch::Sender<HeadOfficeStatus>,
}

impl Default for HeadOfficeState {
    fn default() -> Self {
        HeadOfficeState {
            link: RwLock::new(None),
            link_built: AtomicBool::new(false),
            sync: tokio::sync::Mutex::new(()),
            status: watch::Sender::new(HeadOfficeStatus::default()),
        }
    }
}

/// A link error in the terminal's words.
pub(crate) fn link_error(e: &LinkError) -> TerminalError {
    TerminalError::Invalid(e.to_string())
}

impl Terminal {
    /// Installs the link to the head office (tests); `None` goes back to the one the wiring
    /// builds from the network settings.
    pub fn set_head_office_link(&self, link: Option<Arc<dyn HeadOfficeLink>>) {
        if let Ok(mut l) = self.inner.head_office.link.write() {
            *l = link;
        }
        self.inner
            .head_office
            .link_built
            .store(false, Ordering::SeqCst);
    }

    /// Drops a link built from the network settings (they changed); an installed one stays.
    pub(crate) fn forget_built_head_office_link(&self) {
        if self
            .inner
            .head_office
            .link_built
            .swap(false, Ordering::SeqCst)
            && let Ok(mut l) = self.inner.head_office.link.write()
        {
            *l = None;
        }
    }

    pub(crate) async fn head_office_link(&self) -> Result<Arc<dyn HeadOfficeLink>> {
        if let Some(l) = self
            .inner
            .head_office
            .link
            .read()
            .ok()
            .and_then(|l| l.clone())
        {
            return Ok(l);
        }
        let built = self.build_head_office_link().await?;
        if let Ok(mut l) = self.inner.head_office.link.write() {
            *l = Some(built.clone());
        }
        self.inner
            .head_office
            .link_built
            .store(true, Ordering::SeqCst);
        Ok(built)
    }

    fn head_office_store(&self) -> Result<Arc<dyn HeadOfficeStore>> {
        self.inner.ports.head_office.clone().ok_or_else(|| {
            TerminalError::Invalid(
                "this till's ledger keeps no outbox for a head office (its store does not support one)"
                    .into(),
            )
        })
    }

    /// Connects this till to a head office: exchanges the one-time `enrol_token` (from
    /// `cloudpos-hq enrol`) at `url` for the till's credential, seals the credential in the
    /// vault, stores the address (configure permission; audited as `config_hq`) and turns
    /// the outbox on, queueing the ledger's existing orders, refunds and shifts for the
    /// first sync.
    ///
    /// # Errors
    /// Not logged in or not allowed; a bad address (plain `http://` off this machine); the
    /// head office unreachable or refusing the token (nothing is stored then); the ledger.
    pub async fn configure_head_office(
        &self,
        url: &str,
        enrol_token: &str,
    ) -> Result<HeadOfficeEnrolled> {
        let me = self.setting_guard::<HeadOfficeSettings>().await?;
        let mut settings = HeadOfficeSettings {
            url: Some(url.to_owned()),
        };
        settings.check()?;
        let Some(url) = settings.url.clone() else {
            return Err(TerminalError::Invalid(
                "the head office address is empty: give --url https://HOST[:PORT]".into(),
            ));
        };
        let token = enrol_token.trim();
        if token.is_empty() {
            return Err(TerminalError::Invalid(
                "the enrolment token is empty: give the one `cloudpos-hq enrol` printed".into(),
            ));
        }
        let store = self.head_office_store()?;
        let link = self.head_office_link().await?;
        let enrolled = link.enrol(&url, token).await.map_err(|e| link_error(&e))?;
        // The credential is shown once: seal it before anything else.
        self.inner
            .ports
            .vault
            .store(CREDENTIAL_SECRET, enrolled.credential.as_bytes())
            .await?;
        let detail = serde_json::json!({
            "url": url,
            "store": enrolled.store,
            "device": enrolled.device,
            "terminal_id": enrolled.terminal_id,
        });
        self.commit_setting(&me, &settings, detail).await?;
        self.save_sync_memory(&SyncMemory {
            terminal_id: Some(enrolled.terminal_id),
            store: Some(enrolled.store.clone()),
            device: Some(enrolled.device.clone()),
            last_sync: None,
            last_error: None,
        })
        .await?;
        let backfilled = store.start_outbox().await?;
        self.publish_head_office_status().await;
        Ok(HeadOfficeEnrolled {
            url,
            store: enrolled.store,
            device: enrolled.device,
            terminal_id: enrolled.terminal_id,
            backfilled,
        })
    }

    /// The address and credential, when a head office is configured.
    pub(crate) async fn head_office_access(&self) -> Result<Option<HeadOfficeAccess>> {
        let Some(url) = self.setting::<HeadOfficeSettings>().await?.url else {
            return Ok(None);
        };
        let Some(credential) = self.inner.ports.vault.load(CREDENTIAL_SECRET).await? else {
            return Ok(None);
        };
        let credential = String::from_utf8(credential).map_err(|_| {
            TerminalError::Invalid("the sealed head office credential is not text".into())
        })?;
        Ok(Some(HeadOfficeAccess { url, credential }))
    }

    async fn sync_memory(&self) -> Result<SyncMemory> {
        Ok(match self.inner.ports.settings.get(STATE_KEY).await? {
            Some(v) => serde_json::from_value(v).unwrap_or_default(),
            None => SyncMemory::default(),
        })
    }

    async fn save_sync_memory(&self, memory: &SyncMemory) -> Result<()> {
        let v = serde_json::to_value(memory).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        self.inner.ports.settings.put(STATE_KEY, &v).await?;
        Ok(())
    }

    /// The head-office link's state: configured or not, the backlog (`pending`), the last
    /// successful sync, the lag (age of the oldest pending change) and the last error.
    /// Anyone may read it.
    ///
    /// # Errors
    /// The ledger or settings store failed.
    pub async fn head_office_status(&self) -> Result<HeadOfficeStatus> {
        let settings = self.setting::<HeadOfficeSettings>().await?;
        let memory = self.sync_memory().await?;
        let configured = self.head_office_access().await?.is_some();
        let mut status = HeadOfficeStatus {
            configured,
            url: settings.url,
            store: memory.store,
            device: memory.device,
            terminal_id: memory.terminal_id,
            last_sync: memory.last_sync.map(Timestamp::from_unix_millis),
            last_error: memory.last_error,
            ..HeadOfficeStatus::default()
        };
        if let Some(store) = &self.inner.ports.head_office {
            let outbox = store.outbox_state().await?;
            status.pending = outbox.pending;
            status.acknowledged_through = outbox.acknowledged_through;
            status.last_seq = outbox.last_seq;
            status.lag_ms = match outbox.oldest_at {
                Some(at) if outbox.pending > 0 => {
                    u64::try_from(self.now().unix_millis() - at.unix_millis()).unwrap_or(0)
                }
                _ => 0,
            };
            status.catalog_version = store.catalog_version().await?;
        }
        status.refused_movements = self.inner.ports.members.refused_hq_intents().await?;
        Ok(status)
    }

    /// Follows the head-office status (for a status bar): the value changes after each sync
    /// and each configuration.
    #[must_use]
    pub fn watch_head_office(&self) -> watch::Receiver<HeadOfficeStatus> {
        self.inner.head_office.status.subscribe()
    }

    async fn publish_head_office_status(&self) {
        match self.head_office_status().await {
            Ok(s) => {
                self.inner.head_office.status.send_if_modified(|old| {
                    let changed = *old != s;
                    *old = s;
                    changed
                });
            }
            Err(e) => tracing::warn!("head office status not read: {e}"),
        }
    }
}
