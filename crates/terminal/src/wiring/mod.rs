//! The composition root: builds a [`Terminal`] over the default adapters from a data
//! directory. Apps call [`Terminal::open`] and never name an adapter type.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cloudpay_api::{CloudPayClient, CloudPayConfig, ProxyConfig, Secrets, Timeouts};
use cloudpos_domain::clerk::{Clerk, ClerkId, Permission, Role};
use cloudpos_domain::code::CodeTable;
use cloudpos_domain::order::Order;
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::ports::{Approvals, OrderFilter, Page, PaymentGateway, Settings};
use cloudpos_storage::{Store, StoreOptions};
use cloudpos_voice::ClipAnnouncer;
use serde::{Deserialize, Serialize};

use crate::clock::SystemClock;
use crate::{
    AUTHEN_KEY_SECRET, MERCHANT_KEY, MerchantCredentials, MerchantProfile, PRIVATE_KEY_SECRET,
    PayPolicy, Ports, Result, Terminal, TerminalConfig, TerminalError,
};

/// Settings key of the [`NetworkSettings`].
pub const NETWORK_KEY: &str = "network";
/// Vault name of the proxy password.
pub const PROXY_PASSWORD_SECRET: &str = "network.proxy_password";
/// Settings key of a [`PayPolicy`] override.
pub const POLICY_KEY: &str = "pay_policy";
/// Settings key of a [`CodeTable`] override.
pub const CODE_TABLE_KEY: &str = "code_table";
/// Settings key of this installation's `machine_no` (unique per terminal, so the cloud can
/// tell two terminals configured with the same device id apart).
pub const MACHINE_NO_KEY: &str = "machine_no";
/// Environment variable naming the data directory.
pub const HOME_ENV: &str = "CLOUDPOS_HOME";

/// How the terminal reaches Cloud Pay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSettings {
    /// HTTP proxy URL, e.g. `http://10.0.0.1:3128`.
    #[serde(default)]
    pub proxy_url: Option<String>,
    /// Proxy user (the password is sealed in the vault).
    #[serde(default)]
    pub proxy_user: Option<String>,
    /// Extra trusted root CA (PEM), for TLS to Cloud Pay.
    #[serde(default)]
    pub root_ca_pem: Option<String>,
    /// Connect timeout in milliseconds.
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    /// Whole-request timeout in milliseconds.
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
}

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
        let policy = read_json::<PayPolicy>(s.as_ref(), POLICY_KEY)
            .await?
            .unwrap_or_default();
        let codes = read_json::<CodeTable>(s.as_ref(), CODE_TABLE_KEY)
            .await?
            .unwrap_or_default();
        let terminal = Terminal::new(
            Ports {
                ledger: s.clone(),
                catalog: s.clone(),
                accounts: s.clone(),
                settings: s.clone(),
                vault: s.clone(),
                audit: s.clone(),
                gateway: None,
                approvals: None,
                printer: None,
                clock: Arc::new(SystemClock),
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

    /// Starts speaking (语音播报): installs the shipped voice — Mandarin clips joined and played
    /// through the default sound device, opened at the first announcement — with the stored
    /// voice settings. The cashier app calls this once at start, `cloudpos pay --speak` too;
    /// other processes stay silent. Calling it again keeps the running voice and re-reads the
    /// settings.
    pub async fn start_voice(&self) -> Result<()> {
        let announcer = self
            .announcer()
            .unwrap_or_else(|| Arc::new(ClipAnnouncer::new()));
        self.set_announcer(Some(announcer)).await
    }

    /// Builds the Cloud Pay client from the stored merchant, secrets and network settings.
    pub async fn rebuild_gateway(&self) -> Result<()> {
        match self.merchant().await? {
            None => self.set_cloud(None, None),
            Some(m) => {
                let client = self.build_client(&m).await?;
                let gateway: Arc<dyn PaymentGateway> = client.clone();
                let approvals: Arc<dyn Approvals> = client;
                self.set_cloud(Some(gateway), Some(approvals));
            }
        }
        Ok(())
    }

    async fn build_client(&self, m: &MerchantProfile) -> Result<Arc<CloudPayClient>> {
        let vault = &self.inner.ports.vault;
        let key = vault.load(AUTHEN_KEY_SECRET).await?.ok_or_else(|| {
            TerminalError::Invalid(
                "the merchant's authentication key is missing: run setup again".into(),
            )
        })?;
        let key = String::from_utf8(key)
            .map_err(|_| TerminalError::Invalid("stored authentication key is not text".into()))?;
        let mut secrets = Secrets::new(&key);
        if let Some(pem) = vault.load(PRIVATE_KEY_SECRET).await? {
            let pem = String::from_utf8(pem)
                .map_err(|_| TerminalError::Invalid("stored private key is not text".into()))?;
            secrets = secrets
                .with_private_key_pem(&pem)
                .map_err(|e| TerminalError::Invalid(format!("stored private key: {e}")))?;
        }
        let net = self.network_settings().await?;
        let mut config = CloudPayConfig::new(
            &m.base_url,
            &m.out_mch_id,
            &m.out_sub_mch_id,
            &m.out_shop_id,
            &m.device_id,
        );
        config.base_urls.clone_from(&m.base_urls);
        config.root_ca_pem.clone_from(&net.root_ca_pem);
        config.machine_no = self.machine_no().await?;
        let defaults = Timeouts::default();
        config.timeouts = Timeouts {
            connect_ms: net.connect_timeout_ms.unwrap_or(defaults.connect_ms),
            request_ms: net.request_timeout_ms.unwrap_or(defaults.request_ms),
        };
        if let Some(url) = net.proxy_url.filter(|u| !u.trim().is_empty()) {
            let password = vault
                .load(PROXY_PASSWORD_SECRET)
                .await?
                .and_then(|p| String::from_utf8(p).ok());
            config.proxy = Some(ProxyConfig {
                url,
                username: net.proxy_user,
                password,
            });
        }
        let client = CloudPayClient::new(config, secrets)
            .map_err(|e| TerminalError::Invalid(format!("Cloud Pay client: {e}")))?;
        Ok(Arc::new(client))
    }

    /// This installation's `machine_no`, created on first use: `CP` and 12 hex digits
    /// (Cloud Pay allows 32 characters).
    pub async fn machine_no(&self) -> Result<String> {
        let settings = &self.inner.ports.settings;
        if let Some(serde_json::Value::String(no)) = settings.get(MACHINE_NO_KEY).await? {
            return Ok(no);
        }
        let seed = format!(
            "{}:{}:{:?}",
            self.now().unix_millis(),
            std::process::id(),
            std::thread::current().id()
        );
        let digest = ring::digest::digest(&ring::digest::SHA256, seed.as_bytes());
        let no = format!("CP{}", hex::encode(&digest.as_ref()[..6]).to_uppercase());
        settings
            .put(MACHINE_NO_KEY, &serde_json::Value::String(no.clone()))
            .await?;
        Ok(no)
    }

    /// The network settings.
    pub async fn network_settings(&self) -> Result<NetworkSettings> {
        Ok(read_json(self.inner.ports.settings.as_ref(), NETWORK_KEY)
            .await?
            .unwrap_or_default())
    }

    /// Configures the merchant from a credentials file (`setup merchant`): stores the
    /// identifiers, seals the keys, and creates the admin clerk whose id is the
    /// credentials' `staff_id` with `admin_password`. Reconfiguring an existing terminal
    /// requires that admin's password.
    pub async fn configure_merchant(
        &self,
        credentials: &MerchantCredentials,
        admin_password: &str,
        sandbox: bool,
    ) -> Result<MerchantProfile> {
        credentials.validate().map_err(TerminalError::Invalid)?;
        let admin_id = ClerkId::parse(&credentials.staff_id)
            .map_err(|e| TerminalError::Invalid(format!("credentials: staff_id: {e}")))?;
        if admin_password.chars().count() < 4 {
            return Err(TerminalError::Invalid(
                "the admin password must have at least 4 characters".into(),
            ));
        }
        let ports = &self.inner.ports;
        if let Some(existing) = self.merchant().await? {
            let existing_admin = ClerkId::parse(&existing.staff_id)
                .map_err(|e| TerminalError::Invalid(e.to_string()))?;
            let admin = self.authenticate(&existing_admin, admin_password).await?;
            if !admin.may(Permission::Configure) {
                return Err(TerminalError::PermissionDenied(format!(
                    "{} may not reconfigure the merchant",
                    admin.id
                )));
            }
        }
        let profile = credentials.profile(sandbox);
        // Check the key pair before storing anything.
        if let Some(pem) = &credentials.private_key_pem {
            Secrets::new(&credentials.authen_key)
                .with_private_key_pem(pem)
                .map_err(|e| TerminalError::Invalid(format!("credentials: private key: {e}")))?;
        }
        ports
            .vault
            .store(AUTHEN_KEY_SECRET, credentials.authen_key.as_bytes())
            .await?;
        match &credentials.private_key_pem {
            Some(pem) => {
                ports
                    .vault
                    .store(PRIVATE_KEY_SECRET, pem.as_bytes())
                    .await?;
            }
            None => ports.vault.delete(PRIVATE_KEY_SECRET).await?,
        }
        let value =
            serde_json::to_value(&profile).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        ports.settings.put(MERCHANT_KEY, &value).await?;
        match ports.accounts.clerk(&admin_id).await? {
            Some(_) => {
                ports
                    .accounts
                    .set_password(&admin_id, admin_password)
                    .await?;
            }
            None => {
                ports
                    .accounts
                    .create_clerk(
                        &Clerk {
                            id: admin_id.clone(),
                            name: "管理员".into(),
                            phone: String::new(),
                            role: Role::MerchantAdmin,
                            can_refund: true,
                            cloud_staff_id: Some(credentials.staff_id.clone()),
                            created_at: self.now(),
                        },
                        admin_password,
                    )
                    .await?;
            }
        }
        self.audit(
            admin_id.as_str(),
            "merchant_configured",
            serde_json::json!({
                "out_sub_mch_id": profile.out_sub_mch_id,
                "out_shop_id": profile.out_shop_id,
                "device_id": profile.device_id,
                "base_url": profile.base_url,
                "base_urls": profile.base_urls,
                "sandbox": sandbox,
            }),
        )
        .await?;
        *self.inner.generator.lock().await = None;
        self.rebuild_gateway().await?;
        Ok(profile)
    }

    /// One order; if its payment is not final yet, asks Cloud Pay once and records the answer.
    pub async fn query(&self, no: &OrderNo) -> Result<Order> {
        let mut order = self
            .inner
            .ports
            .ledger
            .order(no)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("order {no}")))?;
        if !order.state.is_final()
            && let Ok(gateway) = self.gateway()
        {
            let q = gateway.query_order(&order.no, order.method.wallet()).await;
            self.apply_query(&mut order, q).await?;
        }
        Ok(order)
    }

    /// Orders matching a filter, newest first.
    pub async fn orders(&self, filter: &OrderFilter) -> Result<Page<Order>> {
        Ok(self.inner.ports.ledger.orders(filter).await?)
    }
}

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
