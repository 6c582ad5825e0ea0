//! The composition root: every adapter the terminal runs on is constructed here, one factory
//! per port, and nowhere else. Use-case modules hold ports (`Arc<dyn Port>`) and ask these
//! factories for new adapters when the settings they are built from change; apps call
//! [`Terminal::open`] (or [`Terminal::open_or_demo`]) and never name an adapter type.
//!
//! | port | factory | built from |
//! |---|---|---|
//! | `Ledger`, `Catalog`, `Accounts`, `Settings`, `SecretVault`, `AuditTrail` | [`Terminal::open`] | the data directory (one SQLite `Store`) |
//! | `Clock` | [`Terminal::open`] | the system clock |
//! | `PaymentGateway`, `Approvals` | `cloud.rs` | the merchant, its sealed keys, the network settings |
//! | `ReceiptPrinter` | `printer.rs` | the printer settings |
//! | `AmountReader` | `screen.rs` | the basic settings (regions, 预处理/放大, threshold) |
//! | `CodeSource`s and hotkeys ([`Devices`]), `KeySender` | `devices.rs` | the key and scanner box settings |
//! | `Announcer` | `voice.rs` | — (the shipped clips) |
//! | the update feed | `update.rs` | the update and network settings |
//! | `HeadOfficeLink` | `head_office.rs` | the network settings (proxy, timeouts) |
//! | the embedded Cloud Pay sandbox | `sandbox.rs` | the data directory (feature `embedded-sandbox`) |

mod cloud;
mod devices;
mod head_office;
mod printer;
mod sandbox;
mod screen;
mod update;
mod voice;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cloudpos_domain::code::CodeTable;
use cloudpos_domain::ports::Settings;
use cloudpos_storage::{Store, StoreOptions};

pub(crate) use cloud::check_signing_key;
pub use devices::Devices;
pub(crate) use devices::{key_sender, start_devices};
pub(crate) use printer::printer;
pub(crate) use sandbox::{HostedSandbox, demo_credentials, host_or_join};
pub(crate) use screen::read_options;
pub(crate) use voice::announcer;

use crate::clock::SystemClock;
use crate::setting::read_setting;
use crate::{PayPolicy, Ports, Result, Terminal, TerminalConfig, TerminalError};

/// Settings key of a [`CodeTable`] override.
pub const CODE_TABLE_KEY: &str = "code_table";
/// Environment variable naming the data directory.
pub const HOME_ENV: &str = "CLOUDPOS_HOME";

/// The data directory: `--home DIR`, else `$CLOUDPOS_HOME`, else the platform's data
/// directory (e.g. `%APPDATA%\CloudPOS` on Windows, `~/.local/share/cloudpos` on Linux).
#[must_use]
pub fn resolve_home(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_owned();
    }
    if let Some(p) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    let base = if cfg!(windows) {
        std::env::var_os("APPDATA").map(PathBuf::from)
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
    };
    base.unwrap_or_else(|| PathBuf::from("."))
        .join(if cfg!(windows) {
            "CloudPOS"
        } else {
            "cloudpos"
        })
}

impl Terminal {
    /// Opens the terminal whose data lives in `home`: the ledger, and Cloud Pay if a
    /// merchant is configured there.
    pub async fn open(home: &Path) -> Result<Terminal> {
        let store = Store::open(home, StoreOptions::default()).await?;
        let s = Arc::new(store);
        let policy = read_setting::<PayPolicy>(s.as_ref()).await?;
        let codes = read_json::<CodeTable>(s.as_ref(), CODE_TABLE_KEY)
            .await?
            .unwrap_or_default();
        let terminal = Terminal::new(
            Ports {
                ledger: s.clone(),
                members: s.clone(),
                catalog: s.clone(),
                accounts: s.clone(),
                settings: s.clone(),
                vault: s.clone(),
                audit: s.clone(),
                one_code: s.clone(),
                gateway: None,
                approvals: None,
                printer: None,
                clock: Arc::new(SystemClock),
                notices: s.clone(),
                head_office: Some(s.clone()),
            },
            TerminalConfig {
                policy,
                codes,
                ..TerminalConfig::default()
            },
        );
        terminal.rebuild_gateway().await?;
        terminal.rebuild_printer().await?;
        Ok(terminal)
    }
}

/// A stored value other than a [`crate::Setting`] (the code table override).
async fn read_json<T: serde::de::DeserializeOwned>(
    settings: &dyn Settings,
    key: &str,
) -> Result<Option<T>> {
    match settings.get(key).await? {
        None => Ok(None),
        Some(v) => serde_json::from_value(v)
            .map(Some)
            .map_err(|e| TerminalError::Invalid(format!("setting {key} is invalid: {e}"))),
    }
}
