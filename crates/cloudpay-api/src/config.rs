//! Client configuration (serialisable, no secrets) and the secrets (memory only).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::{AuthenKey, PssSigner, SignError};

/// Where and as whom the terminal talks to Cloud Pay. Holds no secrets except an optional
/// proxy password, which `Debug` masks.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudPayConfig {
    /// `https://pay.qcloud.com/cpay/` or a sandbox's `http://127.0.0.1:PORT/cpay/`; endpoint
    /// names are appended. A missing trailing `/` is added. Plain `http` is accepted only
    /// for loopback hosts. With [`CloudPayConfig::base_urls`] it may be empty, or must be
    /// one of them.
    pub base_url: String,
    /// Cloud Pay's domains in order of preference, for failover (protocol notes §11.10),
    /// e.g. `pay.qcloud.com`, `sz.`, `sh.`, `tj.pay.qcloud.com`. When given, it is the
    /// list the client uses (`base_url` alone otherwise). See [`CloudPayConfig::domains`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_urls: Vec<String>,
    /// Service provider (`out_mch_id`).
    pub out_mch_id: String,
    /// Sub-merchant (`out_sub_mch_id`).
    pub out_sub_mch_id: String,
    /// Shop (`out_shop_id`).
    pub out_shop_id: String,
    /// This terminal's device id.
    pub device_id: String,
    /// Staff id sent when a request names none (`None`: omit `staff_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
    /// 1 Windows, 2 Android, 3 iOS, 4 Linux, 100 other.
    #[serde(default = "default_terminal_type")]
    pub terminal_type: i32,
    /// Unique code of this machine (e.g. a MAC address).
    #[serde(default = "default_machine_no")]
    pub machine_no: String,
    /// `sdk_version`.
    #[serde(default = "default_sdk_version")]
    pub sdk_version: String,
    /// `spbill_create_ip` (IPv4 dotted).
    #[serde(default = "default_ip")]
    pub spbill_create_ip: String,
    /// HTTP proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyConfig>,
    /// Timeouts.
    #[serde(default)]
    pub timeouts: Timeouts,
    /// PEM root CA(s) to trust *instead of* the platform store (pinning Cloud Pay's root,
    /// or a sandbox's self-signed certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_ca_pem: Option<String>,
}

fn default_terminal_type() -> i32 {
    if cfg!(windows) {
        1
    } else if cfg!(target_os = "android") {
        2
    } else if cfg!(target_os = "linux") {
        4
    } else {
        100
    }
}

fn default_machine_no() -> String {
    "cloudpos".to_owned()
}

fn default_sdk_version() -> String {
    "1.0".to_owned()
}

fn default_ip() -> String {
    "127.0.0.1".to_owned()
}

impl CloudPayConfig {
    /// A configuration with the given ids and defaults elsewhere.
    #[must_use]
    pub fn new(
        base_url: &str,
        out_mch_id: &str,
        out_sub_mch_id: &str,
        out_shop_id: &str,
        device_id: &str,
    ) -> Self {
        CloudPayConfig {
            base_url: base_url.to_owned(),
            base_urls: Vec::new(),
            out_mch_id: out_mch_id.to_owned(),
            out_sub_mch_id: out_sub_mch_id.to_owned(),
            out_shop_id: out_shop_id.to_owned(),
            device_id: device_id.to_owned(),
            staff_id: None,
            terminal_type: default_terminal_type(),
            machine_no: default_machine_no(),
            sdk_version: default_sdk_version(),
            spbill_create_ip: default_ip(),
            proxy: None,
            timeouts: Timeouts::default(),
            root_ca_pem: None,
        }
    }
}

/// A base URL as the client uses it: trimmed, ending in `/`.
#[must_use]
pub fn normalize_base_url(url: &str) -> String {
    let mut text = url.trim().to_owned();
    if !text.is_empty() && !text.ends_with('/') {
        text.push('/');
    }
    text
}

/// The ordered domain list of a `base_url` / `base_urls` pair (protocol notes §11.10):
/// `base_urls` when it is not empty (then `base_url`, if given, must be one of them),
/// else `base_url` alone. Each URL is normalised by [`normalize_base_url`]; an empty
/// list, an empty entry or a repeated one is an error naming it.
pub fn domain_list(base_url: &str, base_urls: &[String]) -> Result<Vec<String>, String> {
    let single = normalize_base_url(base_url);
    if base_urls.is_empty() {
        if single.is_empty() {
            return Err("base_url is missing (or give base_urls)".to_owned());
        }
        return Ok(vec![single]);
    }
    let mut list: Vec<String> = Vec::with_capacity(base_urls.len());
    for (i, url) in base_urls.iter().enumerate() {
        let url = normalize_base_url(url);
        if url.is_empty() {
            return Err(format!("base_urls[{i}] is empty"));
        }
        if list.contains(&url) {
            return Err(format!("base_urls lists \"{url}\" twice"));
        }
        list.push(url);
    }
    if !single.is_empty() && !list.contains(&single) {
        return Err(format!(
            "base_url \"{single}\" is not in base_urls: list every domain in base_urls, in order"
        ));
    }
    Ok(list)
}

impl CloudPayConfig {
    /// The Cloud Pay domains (base URLs) to use, first choice first: see [`domain_list`].
    pub fn domains(&self) -> Result<Vec<String>, String> {
        domain_list(&self.base_url, &self.base_urls)
    }
}

impl fmt::Debug for CloudPayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudPayConfig")
            .field("base_url", &self.base_url)
            .field("base_urls", &self.base_urls)
            .field("out_mch_id", &self.out_mch_id)
            .field("out_sub_mch_id", &self.out_sub_mch_id)
            .field("out_shop_id", &self.out_shop_id)
            .field("device_id", &self.device_id)
            .field("staff_id", &self.staff_id)
            .field("terminal_type", &self.terminal_type)
            .field("machine_no", &self.machine_no)
            .field("sdk_version", &self.sdk_version)
            .field("spbill_create_ip", &self.spbill_create_ip)
            .field("proxy", &self.proxy)
            .field("timeouts", &self.timeouts)
            .field("root_ca_pem", &self.root_ca_pem.as_ref().map(|_| "<pem>"))
            .finish()
    }
}

/// An HTTP proxy (`http://host:port`), optionally with basic-auth credentials. Loopback
/// destinations bypass it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyConfig {
    /// Proxy URL.
    pub url: String,
    /// User name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password (masked by `Debug`; store it sealed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Network timeouts in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    /// TCP (and proxy) connect timeout.
    #[serde(default = "default_connect_ms")]
    pub connect_ms: u64,
    /// Whole request: connect, send, wait and read the answer.
    #[serde(default = "default_request_ms")]
    pub request_ms: u64,
}

/// 3 s: a connection that takes longer is treated as "cloud unreachable" and the payment is
/// refused (nothing was sent), so a cashier learns of an outage within 5 s.
fn default_connect_ms() -> u64 {
    3_000
}

fn default_request_ms() -> u64 {
    10_000
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect_ms: default_connect_ms(),
            request_ms: default_request_ms(),
        }
    }
}

impl Timeouts {
    /// Connect timeout.
    #[must_use]
    pub const fn connect(&self) -> Duration {
        Duration::from_millis(self.connect_ms)
    }

    /// Request timeout.
    #[must_use]
    pub const fn request(&self) -> Duration {
        Duration::from_millis(self.request_ms)
    }
}

/// The sub-merchant's secrets: the HMAC `authen_key` and, optionally, the RSA signature
/// private key. Held in memory only; `Debug` shows neither.
#[derive(Clone)]
pub struct Secrets {
    pub(crate) authen_key: AuthenKey,
    pub(crate) signer: Option<PssSigner>,
}

impl Secrets {
    /// Secrets with the HMAC key only (every call authenticated with `a`).
    #[must_use]
    pub fn new(authen_key: &str) -> Self {
        Secrets {
            authen_key: AuthenKey::new(authen_key),
            signer: None,
        }
    }

    /// Adds the signature private key (PKCS#1 or PKCS#8 PEM): `refund` and `reverse` are
    /// then signed with `s` instead of `a`.
    pub fn with_private_key_pem(mut self, pem: &str) -> Result<Self, SignError> {
        self.signer = Some(PssSigner::from_pem(pem)?);
        Ok(self)
    }

    /// Whether refunds and reverses are RSA-signed.
    #[must_use]
    pub fn signs(&self) -> bool {
        self.signer.is_some()
    }

    /// The HMAC key.
    #[must_use]
    pub fn authen_key(&self) -> &AuthenKey {
        &self.authen_key
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("authen_key", &"<redacted>")
            .field(
                "private_key",
                &if self.signer.is_some() {
                    "<redacted>"
                } else {
                    "none"
                },
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secrets() {
        let s = Secrets::new("super-secret-key");
        let text = format!("{s:?}");
        assert!(!text.contains("super-secret-key"), "{text}");
        let mut c = CloudPayConfig::new("http://127.0.0.1:1/cpay/", "m", "s", "shop", "dev");
        c.proxy = Some(ProxyConfig {
            url: "http://proxy:3128".into(),
            username: Some("u".into()),
            password: Some("proxy-pass".into()),
        });
        let text = format!("{c:?}");
        assert!(!text.contains("proxy-pass"), "{text}");
    }

    #[test]
    fn domains_come_from_base_urls_or_base_url() {
        let mut c = CloudPayConfig::new("http://127.0.0.1:1/cpay", "m", "s", "shop", "dev");
        assert_eq!(c.domains().unwrap(), ["http://127.0.0.1:1/cpay/"]);
        c.base_urls = vec![
            "http://127.0.0.1:2/cpay/".into(),
            " http://127.0.0.1:1/cpay ".into(),
        ];
        assert_eq!(
            c.domains().unwrap(),
            ["http://127.0.0.1:2/cpay/", "http://127.0.0.1:1/cpay/"]
        );
        c.base_url = String::new();
        assert_eq!(c.domains().unwrap().len(), 2);
        c.base_url = "http://127.0.0.1:3/cpay/".into();
        assert!(c.domains().unwrap_err().contains("not in base_urls"));
        c.base_urls = vec![
            "http://127.0.0.1:3/cpay".into(),
            "http://127.0.0.1:3/cpay/".into(),
        ];
        assert!(c.domains().unwrap_err().contains("twice"));
        c.base_urls = vec![" ".into()];
        assert!(c.domains().unwrap_err().contains("base_urls[0]"));
        c.base_urls.clear();
        c.base_url.clear();
        assert!(c.domains().unwrap_err().contains("base_url"));
        // Old settings without base_urls still read.
        let old: CloudPayConfig = serde_json::from_str(
            r#"{"base_url":"http://127.0.0.1:9/cpay/","out_mch_id":"m","out_sub_mch_id":"s","out_shop_id":"p","device_id":"d"}"#,
        )
        .unwrap();
        assert!(old.base_urls.is_empty());
        assert!(!serde_json::to_string(&old).unwrap().contains("base_urls"));
    }

    #[test]
    fn config_defaults_from_json() {
        let c: CloudPayConfig = serde_json::from_str(
            r#"{"base_url":"http://127.0.0.1:9/cpay/","out_mch_id":"m","out_sub_mch_id":"s","out_shop_id":"p","device_id":"d"}"#,
        )
        .unwrap();
        assert_eq!(c.timeouts, Timeouts::default());
        assert_eq!(c.sdk_version, "1.0");
        assert_eq!(c.timeouts.connect(), Duration::from_secs(3));
    }
}
