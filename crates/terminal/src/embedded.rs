//! The embedded default (design §4): with no merchant configured, the terminal runs a local
//! Cloud Pay sandbox and a demo merchant, so the product works on a fresh machine with no
//! configuration. Every screen and receipt then says SANDBOX.
//!
//! One process per data directory *hosts* the sandbox (holding `sandbox/host.lock`); other
//! processes on the same directory (the CLI beside the GUI) *join* it through the address it
//! publishes in `sandbox/url`. The sandbox keeps its ledger in `sandbox/state.json`, so the
//! demo's payments survive restarts and stay consistent with the local ledger. Its keys are
//! fixed, public demo keys: it is a toy on loopback, and nothing secret is written there.

use std::fs::{File, OpenOptions};
use std::path::Path;

use cloudpay_sandbox::{MerchantConfig, Sandbox, SandboxConfig, SandboxHandle, SignKeyMode};
use cloudpos_domain::clerk::{Clerk, ClerkId, Role};

use crate::{MERCHANT_KEY, MerchantCredentials, Result, Terminal, TerminalError};

/// The demo merchant's HMAC key (public: the embedded sandbox is a local toy).
pub const DEMO_AUTHEN_KEY: &str = "CloudPOS-embedded-sandbox-demo-key";
/// Demo clerks: (id, password, role, name).
pub const DEMO_CLERKS: [(&str, &str, Role, &str); 2] = [
    ("01", "0101", Role::MerchantAdmin, "王店长"),
    ("02", "0202", Role::Clerk, "李收银"),
];

/// A sandbox this process hosts (dropping it stops the server and releases the lock), or
/// one another process hosts.
pub struct EmbeddedSandbox {
    handle: Option<SandboxHandle>,
    _lock: Option<File>,
    base_url: String,
}

impl std::fmt::Debug for EmbeddedSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedSandbox")
            .field("base_url", &self.base_url)
            .field("hosted_here", &self.handle.is_some())
            .finish()
    }
}

impl EmbeddedSandbox {
    /// The sandbox's Cloud Pay base URL.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Whether this process runs the server.
    #[must_use]
    pub fn hosted_here(&self) -> bool {
        self.handle.is_some()
    }

    /// The control URL (ledger inspection, approvals) when hosted here.
    #[must_use]
    pub fn control_url(&self) -> Option<String> {
        self.handle.as_ref().map(SandboxHandle::control_url)
    }

    async fn host_or_join(home: &Path) -> Result<EmbeddedSandbox> {
        let dir = home.join("sandbox");
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, &e))?;
        let lock_path = dir.join("host.lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io(&lock_path, &e))?;
        let url_path = dir.join("url");
        if lock.try_lock().is_err() {
            // Another process hosts it.
            let base_url = std::fs::read_to_string(&url_path)
                .map_err(|e| io(&url_path, &e))?
                .trim()
                .to_owned();
            return Ok(EmbeddedSandbox {
                handle: None,
                _lock: None,
                base_url,
            });
        }
        let merchant = MerchantConfig {
            authen_key: Some(DEMO_AUTHEN_KEY.to_owned()),
            ..MerchantConfig::default()
        };
        let handle = Sandbox::start(SandboxConfig {
            merchant,
            sign_key: SignKeyMode::ConfiguredOnly,
            state_file: Some(dir.join("state.json")),
            ..SandboxConfig::default()
        })
        .await
        .map_err(|e| TerminalError::Invalid(format!("cannot start the embedded sandbox: {e}")))?;
        let base_url = handle.base_url();
        let tmp = dir.join("url.tmp");
        std::fs::write(&tmp, &base_url).map_err(|e| io(&tmp, &e))?;
        std::fs::rename(&tmp, &url_path).map_err(|e| io(&url_path, &e))?;
        Ok(EmbeddedSandbox {
            handle: Some(handle),
            _lock: Some(lock),
            base_url,
        })
    }
}

fn io(path: &Path, e: &std::io::Error) -> TerminalError {
    TerminalError::Invalid(format!("embedded sandbox: {}: {e}", path.display()))
}

impl Terminal {
    /// Opens `home` like [`Terminal::open`]; when no real merchant is configured there, runs
    /// the embedded sandbox (hosting or joining it) and, on first use, configures the demo
    /// merchant and the demo clerks ([`DEMO_CLERKS`]). Keep the returned sandbox alive as
    /// long as the terminal.
    pub async fn open_or_demo(home: &Path) -> Result<(Terminal, Option<EmbeddedSandbox>)> {
        let terminal = Terminal::open(home).await?;
        let existing = terminal.merchant().await?;
        if existing.as_ref().is_some_and(|m| !m.embedded) {
            return Ok((terminal, None));
        }
        let sandbox = EmbeddedSandbox::host_or_join(home).await?;
        match existing {
            None => terminal.configure_demo(&sandbox).await?,
            Some(mut profile) if profile.base_url != sandbox.base_url => {
                // The sandbox listens on a new port after each start.
                profile.base_url = sandbox.base_url.clone();
                profile.base_urls.clear();
                let value = serde_json::to_value(&profile)
                    .map_err(|e| TerminalError::Invalid(e.to_string()))?;
                terminal
                    .inner
                    .ports
                    .settings
                    .put(MERCHANT_KEY, &value)
                    .await?;
                terminal.rebuild_gateway().await?;
            }
            Some(_) => {}
        }
        Ok((terminal, Some(sandbox)))
    }

    async fn configure_demo(&self, sandbox: &EmbeddedSandbox) -> Result<()> {
        let m = MerchantConfig::default();
        let shop = m
            .shops
            .first()
            .ok_or_else(|| TerminalError::Invalid("embedded sandbox has no shop".into()))?;
        let device = shop
            .devices
            .first()
            .cloned()
            .ok_or_else(|| TerminalError::Invalid("embedded sandbox has no device".into()))?;
        let (admin_id, admin_pw, _, _) = DEMO_CLERKS[0];
        let creds = MerchantCredentials {
            base_url: sandbox.base_url.clone(),
            base_urls: Vec::new(),
            out_mch_id: m.out_mch_id.clone(),
            out_sub_mch_id: m.out_sub_mch_id.clone(),
            out_shop_id: shop.out_shop_id.clone(),
            device_id: device,
            staff_id: admin_id.to_owned(),
            order_prefix: m.order_prefix.clone(),
            authen_key: DEMO_AUTHEN_KEY.to_owned(),
            private_key_pem: None,
            store_name: Some("CloudPOS 演示门店".to_owned()),
        };
        let mut profile = self.configure_merchant(&creds, admin_pw, true).await?;
        profile.embedded = true;
        let value =
            serde_json::to_value(&profile).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        self.inner.ports.settings.put(MERCHANT_KEY, &value).await?;
        let accounts = &self.inner.ports.accounts;
        for (id, pw, role, name) in DEMO_CLERKS {
            let clerk_id = ClerkId::parse(id).map_err(|e| TerminalError::Invalid(e.to_string()))?;
            let clerk = Clerk {
                id: clerk_id.clone(),
                name: name.to_owned(),
                phone: String::new(),
                role,
                can_refund: role != Role::Clerk,
                cloud_staff_id: Some(id.to_owned()),
                created_at: self.now(),
            };
            if accounts.clerk(&clerk_id).await?.is_some() {
                accounts.update_clerk(&clerk).await?;
            } else {
                accounts.create_clerk(&clerk, pw).await?;
            }
        }
        tracing::info!("embedded sandbox and demo merchant configured");
        Ok(())
    }
}
