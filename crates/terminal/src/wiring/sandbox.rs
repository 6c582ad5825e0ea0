//! The embedded Cloud Pay sandbox (design §4), behind the cargo feature `embedded-sandbox`.
//!
//! One process per data directory *hosts* the sandbox (holding `sandbox/host.lock`); other
//! processes on the same directory *join* it through the address it publishes in
//! `sandbox/url`. The sandbox keeps its ledger in `sandbox/state.json` and runs with the
//! public demo key. Without the feature there is nothing to host or join: [`host_or_join`]
//! and [`demo_credentials`] refuse with [`NO_EMBEDDED_SANDBOX`](crate::NO_EMBEDDED_SANDBOX).

#[cfg(not(feature = "embedded-sandbox"))]
use std::path::Path;

#[cfg(feature = "embedded-sandbox")]
pub(crate) use server::{HostedSandbox, demo_credentials, host_or_join};

#[cfg(not(feature = "embedded-sandbox"))]
use crate::{MerchantCredentials, NO_EMBEDDED_SANDBOX, Result, TerminalError};

/// A sandbox this process hosts: none can exist in a build without the feature.
#[cfg(not(feature = "embedded-sandbox"))]
pub(crate) enum HostedSandbox {}

#[cfg(not(feature = "embedded-sandbox"))]
impl HostedSandbox {
    pub(crate) fn control_url(&self) -> String {
        match *self {}
    }
}

/// Without the feature: there is no sandbox to host or join.
#[cfg(not(feature = "embedded-sandbox"))]
pub(crate) async fn host_or_join(_home: &Path) -> Result<(Option<HostedSandbox>, String)> {
    Err(TerminalError::Invalid(NO_EMBEDDED_SANDBOX.to_owned()))
}

/// Without the feature: there is no demo merchant.
#[cfg(not(feature = "embedded-sandbox"))]
pub(crate) fn demo_credentials(_base_url: &str) -> Result<MerchantCredentials> {
    Err(TerminalError::Invalid(NO_EMBEDDED_SANDBOX.to_owned()))
}

#[cfg(feature = "embedded-sandbox")]
mod server {
    use std::fs::{File, OpenOptions};
    use std::path::Path;

    use cloudpay_sandbox::{MerchantConfig, Sandbox, SandboxConfig, SandboxHandle, SignKeyMode};

    use crate::{DEMO_CLERKS, MerchantCredentials, Result, TerminalError};

    /// The demo merchant's HMAC key (public: the embedded sandbox is a local toy).
    const DEMO_AUTHEN_KEY: &str = "CloudPOS-embedded-sandbox-demo-key";
    /// The demo store's name, on screens and receipts.
    const DEMO_STORE_NAME: &str = "CloudPOS 演示门店";

    /// The sandbox this process hosts: dropping it stops the server and releases the lock.
    pub(crate) struct HostedSandbox {
        handle: SandboxHandle,
        _lock: File,
    }

    impl HostedSandbox {
        /// The control URL (ledger inspection, approvals).
        pub(crate) fn control_url(&self) -> String {
            self.handle.control_url()
        }
    }

    /// Hosts the sandbox of `home` (when no other process does) or joins the one another
    /// process hosts; returns the hosted one, if here, and the Cloud Pay base URL.
    pub(crate) async fn host_or_join(home: &Path) -> Result<(Option<HostedSandbox>, String)> {
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
            return Ok((None, base_url));
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
        Ok((
            Some(HostedSandbox {
                handle,
                _lock: lock,
            }),
            base_url,
        ))
    }

    /// The demo merchant's credentials on the sandbox at `base_url`: its first shop and
    /// device, the demo key, the first demo clerk as the admin.
    pub(crate) fn demo_credentials(base_url: &str) -> Result<MerchantCredentials> {
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
        Ok(MerchantCredentials {
            base_url: base_url.to_owned(),
            base_urls: Vec::new(),
            out_mch_id: m.out_mch_id.clone(),
            out_sub_mch_id: m.out_sub_mch_id.clone(),
            out_shop_id: shop.out_shop_id.clone(),
            device_id: device,
            staff_id: DEMO_CLERKS[0].0.to_owned(),
            order_prefix: m.order_prefix.clone(),
            authen_key: DEMO_AUTHEN_KEY.to_owned(),
            private_key_pem: None,
            store_name: Some(DEMO_STORE_NAME.to_owned()),
        })
    }

    fn io(path: &Path, e: &std::io::Error) -> TerminalError {
        TerminalError::Invalid(format!("embedded sandbox: {}: {e}", path.display()))
    }
}
