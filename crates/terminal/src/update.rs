//! Software update (软件更新): the feed and key settings, "is there a newer version", and
//! applying it — admin only, audited, never while a payment or refund is open. The feed,
//! signatures and file replacement are `cloudpos-update`'s; this module decides who may and
//! when.

use std::path::{Path, PathBuf};

use cloudpos_update::semver::Version;
use cloudpos_update::{ApplyOptions, TrustedKey, UpdateError};
use serde::{Deserialize, Serialize};

use crate::{Guard, Result, Setting, Terminal, TerminalError};

pub use cloudpos_update::{Applied as UpdateApplied, Check as UpdateCheck};

/// The version of this build.
pub const CURRENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where updates come from and whom to trust.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateSettings {
    /// The feed: the directory `cargo xtask sign-release` wrote, served over HTTP.
    #[serde(default)]
    pub feed_url: Option<String>,
    /// A service provider's own public key (the text of a `.pub` file); `None` trusts the
    /// project's release key built into the program.
    #[serde(default)]
    pub public_key: Option<String>,
}

impl Setting for UpdateSettings {
    const KEY: &'static str = "update";
    const NAME: &'static str = "software update settings";
    const AUDIT_ACTION: &'static str = "config_update";
    const GUARD: Guard = Guard::Admin;

    /// A blank feed or key is none; the feed URL must parse, the key must be a minisign
    /// public key (kept in canonical form).
    fn check(&mut self) -> Result<()> {
        self.feed_url = match self.feed_url.take().filter(|u| !u.trim().is_empty()) {
            None => None,
            Some(url) => Some(
                cloudpos_update::parse_feed_url(&url)
                    .map_err(TerminalError::Update)?
                    .to_string(),
            ),
        };
        self.public_key = match self.public_key.take().filter(|t| !t.trim().is_empty()) {
            None => None,
            Some(text) => {
                let key = TrustedKey::parse(&text).map_err(TerminalError::Update)?;
                Some(format!(
                    "untrusted comment: minisign public key {}\n{}\n",
                    key.id(),
                    key.base64()
                ))
            }
        };
        Ok(())
    }

    /// The feed and the id of the key in force (not the key's text).
    fn audit_detail(&self) -> Result<serde_json::Value> {
        let status = UpdateStatus::of(self)?;
        Ok(serde_json::json!({
            "feed_url": status.feed_url,
            "key_id": status.key_id,
            "builtin_key": status.builtin_key,
        }))
    }
}

/// The update settings as shown: the feed and the key in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateStatus {
    /// The running version.
    pub current: String,
    /// The configured feed, if any.
    pub feed_url: Option<String>,
    /// The id of the trusted key.
    pub key_id: String,
    /// Whether it is the key built into the program (else a configured one).
    pub builtin_key: bool,
}

impl UpdateStatus {
    fn of(settings: &UpdateSettings) -> Result<UpdateStatus> {
        let key = trusted_key(settings)?;
        Ok(UpdateStatus {
            current: CURRENT_VERSION.to_owned(),
            feed_url: settings.feed_url.clone(),
            builtin_key: key.is_builtin(),
            key_id: key.id().to_owned(),
        })
    }
}

/// Where an update is installed: the program directory (the folder of the running
/// programs) and the data directory, which is never written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateTarget {
    /// The folder holding `cashier` and `cloudpos`.
    pub program_dir: PathBuf,
    /// The data directory (ledger, settings, keys).
    pub data_dir: PathBuf,
}

impl UpdateTarget {
    /// The running program's own folder, and `data_dir`.
    pub fn running(data_dir: &Path) -> Result<UpdateTarget> {
        let program_dir = cloudpos_update::program_dir().map_err(|e| {
            TerminalError::Invalid(format!("cannot find the program's folder: {e}"))
        })?;
        Ok(UpdateTarget {
            program_dir,
            data_dir: data_dir.to_owned(),
        })
    }
}

/// At a program's start: finishes what an earlier update left (Windows `.old` programs are
/// deleted; an interrupted install is rolled back). Returns a line worth telling when
/// something was rolled back or could not be finished; logs it too.
#[must_use]
pub fn finish_update_at_start() -> Option<String> {
    let dir = cloudpos_update::program_dir().ok()?;
    match cloudpos_update::finish_at_start(&dir) {
        Ok(cloudpos_update::StartCleanup::RolledBack { version }) => {
            let line = format!("an interrupted software update was rolled back to {version}");
            tracing::warn!("{line}");
            Some(line)
        }
        Ok(_) => None,
        Err(e) => {
            tracing::warn!("software update leftovers: {e}");
            Some(e.to_string())
        }
    }
}

impl Terminal {
    /// The feed and the trusted key, as shown on the settings page.
    pub async fn update_status(&self) -> Result<UpdateStatus> {
        UpdateStatus::of(&self.setting::<UpdateSettings>().await?)
    }

    /// Changes the update settings like `set_setting(&UpdateSettings)`, one part at a time
    /// (admin only; audited). `feed_url`: `None` keeps it, `Some("")` removes it.
    /// `public_key` (the text of a `.pub` file): `None` keeps it, `Some("")` goes back to the
    /// key built into the program. The key decides which programs this till will install,
    /// hence the admin rule.
    pub async fn set_update_settings(
        &self,
        feed_url: Option<&str>,
        public_key: Option<&str>,
    ) -> Result<UpdateStatus> {
        let me = self.setting_guard::<UpdateSettings>().await?;
        let mut settings = self.setting::<UpdateSettings>().await?;
        if let Some(url) = feed_url {
            settings.feed_url = Some(url.to_owned());
        }
        if let Some(text) = public_key {
            settings.public_key = Some(text.to_owned());
        }
        settings.check()?;
        let detail = settings.audit_detail()?;
        self.commit_setting(&me, &settings, detail).await?;
        UpdateStatus::of(&settings)
    }

    /// Asks the feed for its latest release (the manifest is verified with the trusted key
    /// first) and compares it with this version. Anyone may check.
    pub async fn check_update(&self) -> Result<UpdateCheck> {
        let feed = self.feed_client().await?;
        Ok(cloudpos_update::check(&feed, &current_version()?).await?)
    }

    /// Applies the feed's release (软件更新): only an admin, who confirms with their
    /// password, and never while a payment or refund is open. The manifest's signature, the
    /// version (newer, `min_version`, platform) and the archive's SHA-256 are checked before
    /// the program directory is touched; a new program that does not report its version is
    /// rolled back. The data directory is never written. Audited whatever the outcome. The
    /// running programs go on as the old version: restart them.
    pub async fn apply_update(
        &self,
        password: &str,
        target: &UpdateTarget,
    ) -> Result<UpdateApplied> {
        let me = self.admin_guard("apply a software update").await?;
        self.authenticate(&me, password).await?;
        self.ensure_no_open_payment().await?;
        let feed = self.feed_client().await?;
        let current = current_version()?;
        let result = async {
            let prepared = cloudpos_update::prepare(&feed, &current).await?;
            // The download took a while: look again right before replacing anything.
            self.ensure_no_open_payment().await.map_err(|e| match e {
                TerminalError::Update(u) => u,
                other => UpdateError::PaymentOpen(other.to_string()),
            })?;
            prepared
                .install(&ApplyOptions {
                    program_dir: target.program_dir.clone(),
                    protect: vec![target.data_dir.clone()],
                    version_timeout: cloudpos_update::VERSION_TIMEOUT,
                })
                .await
        }
        .await;
        let detail = match &result {
            Ok(a) => serde_json::json!({
                "outcome": "applied", "from": a.from, "to": a.to, "sha256": a.sha256,
                "feed": feed.url(), "key_id": feed.key().id(),
                "program_dir": a.program_dir.display().to_string(),
            }),
            Err(e) => serde_json::json!({
                "outcome": match e {
                    UpdateError::RolledBack { .. } => "rolled_back",
                    UpdateError::RollbackFailed { .. } => "rollback_failed",
                    _ => "refused",
                },
                "from": CURRENT_VERSION, "error": e.to_string(),
                "feed": feed.url(), "key_id": feed.key().id(),
                "program_dir": target.program_dir.display().to_string(),
            }),
        };
        self.audit(me.as_str(), "update_apply", detail).await?;
        Ok(result?)
    }

    /// Refuses with [`UpdateError::PaymentOpen`] while any payment or refund is not final in
    /// the ledger, or a payment's record is still being completed.
    async fn ensure_no_open_payment(&self) -> Result<()> {
        let ledger = &self.inner.ports.ledger;
        let mut open: Vec<String> = ledger
            .unfinished_orders()
            .await?
            .iter()
            .map(|o| format!("order {}", o.no))
            .collect();
        open.extend(
            ledger
                .unfinished_refunds()
                .await?
                .iter()
                .map(|r| format!("refund {}", r.no)),
        );
        if let Ok(unwritten) = self.inner.unwritten.lock() {
            open.extend(
                unwritten
                    .keys()
                    .map(|no| format!("order {no} (record pending)")),
            );
        }
        open.sort();
        open.dedup();
        if open.is_empty() {
            Ok(())
        } else {
            Err(TerminalError::Update(UpdateError::PaymentOpen(
                open.join(", "),
            )))
        }
    }
}

pub(crate) fn trusted_key(settings: &UpdateSettings) -> Result<TrustedKey> {
    Ok(match &settings.public_key {
        Some(text) => TrustedKey::parse(text)?,
        None => TrustedKey::builtin(),
    })
}

fn current_version() -> Result<Version> {
    Version::parse(CURRENT_VERSION)
        .map_err(|e| TerminalError::Invalid(format!("this build's version: {e}")))
}
