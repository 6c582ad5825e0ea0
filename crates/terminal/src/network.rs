//! Network settings (代理 proxy, timeouts, extra root CA): validated, stored, the proxy
//! password sealed in the vault, and the Cloud Pay client rebuilt with them.

use cloudpos_domain::ports::CloudDomains;
use serde::{Deserialize, Serialize};

use crate::{Result, Setting, Terminal, TerminalError};

/// Vault name of the proxy password.
pub const PROXY_PASSWORD_SECRET: &str = "network.proxy_password";

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

impl Setting for NetworkSettings {
    const KEY: &'static str = "network";
    const NAME: &'static str = "network settings";
    const AUDIT_ACTION: &'static str = "config_network";

    /// Trims the proxy address and user (blank is none) and checks them and the timeouts.
    fn check(&mut self) -> Result<()> {
        self.proxy_url = self
            .proxy_url
            .take()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        self.proxy_user = self
            .proxy_user
            .take()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        if let Some(url) = &self.proxy_url {
            let scheme_ok = ["http://", "https://", "socks5://", "socks5h://"]
                .iter()
                .any(|s| url.starts_with(s));
            let host = url.split("://").nth(1).unwrap_or_default();
            if !scheme_ok || host.is_empty() || url.chars().any(char::is_whitespace) {
                return Err(TerminalError::Invalid(format!(
                    "proxy \"{url}\": write it as http://HOST:PORT (e.g. http://10.0.0.1:3128)"
                )));
            }
        }
        if self.proxy_url.is_none() && self.proxy_user.is_some() {
            return Err(TerminalError::Invalid(
                "a proxy user needs a proxy address".into(),
            ));
        }
        for (name, v) in [
            ("connect timeout", self.connect_timeout_ms),
            ("request timeout", self.request_timeout_ms),
        ] {
            if v.is_some_and(|ms| !(100..=120_000).contains(&ms)) {
                return Err(TerminalError::Invalid(format!(
                    "the {name} must be 100–120000 ms"
                )));
            }
        }
        Ok(())
    }

    /// The proxy and timeouts (not the root CA's text).
    fn audit_detail(&self) -> Result<serde_json::Value> {
        Ok(serde_json::json!({
            "proxy_url": self.proxy_url,
            "proxy_user": self.proxy_user,
            "connect_timeout_ms": self.connect_timeout_ms,
            "request_timeout_ms": self.request_timeout_ms,
        }))
    }

    /// The Cloud Pay client is rebuilt with them (and the head office link, on its next use).
    async fn applied(&self, terminal: &Terminal) -> Result<()> {
        terminal.forget_built_head_office_link();
        terminal.rebuild_gateway().await
    }
}

impl Terminal {
    /// Stores the network settings (代理 proxy URL, user, timeouts) and rebuilds the Cloud
    /// Pay client with them, like `set_setting(&NetworkSettings)`, and changes the sealed
    /// proxy password with them (configure permission; audited): `proxy_password`: `None`
    /// keeps it, `Some("")` removes it, `Some(p)` seals `p`.
    pub async fn set_network_settings(
        &self,
        settings: &NetworkSettings,
        proxy_password: Option<&str>,
    ) -> Result<()> {
        let me = self.setting_guard::<NetworkSettings>().await?;
        let mut settings = settings.clone();
        settings.check()?;
        let vault = &self.inner.ports.vault;
        match proxy_password {
            None => {}
            Some("") => vault.delete(PROXY_PASSWORD_SECRET).await?,
            Some(p) => vault.store(PROXY_PASSWORD_SECRET, p.as_bytes()).await?,
        }
        let mut detail = settings.audit_detail()?;
        detail["proxy_password"] =
            serde_json::json!(proxy_password.map(|p| if p.is_empty() { "removed" } else { "set" }));
        self.commit_setting(&me, &settings, detail).await
    }

    /// The Cloud Pay domains and the one in use (protocol notes §11.10). With `probe`, every
    /// domain is pinged first, in order, and the first that answers becomes the one in use,
    /// so the answer names the domain payments go to now.
    pub async fn cloud_domains(&self, probe: bool) -> Result<CloudDomains> {
        Ok(self.gateway()?.domains(probe).await)
    }

    /// Whether a proxy password is sealed (the settings page shows "已设置", never the text).
    pub async fn has_proxy_password(&self) -> Result<bool> {
        Ok(self
            .inner
            .ports
            .vault
            .load(PROXY_PASSWORD_SECRET)
            .await?
            .is_some())
    }
}
