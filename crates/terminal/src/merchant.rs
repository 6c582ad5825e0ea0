//! The configured merchant: who this terminal is to Cloud Pay.
//!
//! The non-secret identifiers live in the settings (key [`MERCHANT_KEY`]); the HMAC key and
//! the optional RSA private key live in the sealed vault (names [`AUTHEN_KEY_SECRET`],
//! [`PRIVATE_KEY_SECRET`]).

use cloudpos_domain::clerk::{Clerk, ClerkId, Permission, Role};
use serde::{Deserialize, Serialize};

use crate::{Result, Terminal, TerminalError};

/// Settings key of the [`MerchantProfile`].
pub const MERCHANT_KEY: &str = "merchant";
/// Vault name of the sub-merchant's HMAC authentication key (认证密钥).
pub const AUTHEN_KEY_SECRET: &str = "cloudpay.authen_key";
/// Vault name of the sub-merchant's RSA signing key (签名私钥), PEM.
pub const PRIVATE_KEY_SECRET: &str = "cloudpay.private_key";
/// Settings key of this installation's `machine_no` (unique per terminal, so the cloud can
/// tell two terminals configured with the same device id apart).
pub const MACHINE_NO_KEY: &str = "machine_no";

/// The merchant as the terminal knows it (everything but the secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantProfile {
    /// Cloud Pay base URL, ending in `/cpay/` (with several domains, the first).
    pub base_url: String,
    /// Cloud Pay's domains in order of preference, when there are several (protocol notes
    /// §11.10): the client uses the first that answers `ping` and moves on only when a
    /// request could not be sent. Absent in older settings (one domain, `base_url`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_urls: Vec<String>,
    /// Service provider account (`out_mch_id`).
    pub out_mch_id: String,
    /// Sub-merchant account (`out_sub_mch_id`).
    pub out_sub_mch_id: String,
    /// Store (`out_shop_id`).
    pub out_shop_id: String,
    /// This terminal (`device_id`).
    pub device_id: String,
    /// The Cloud Pay staff id of the admin who set the terminal up.
    pub staff_id: String,
    /// Order number prefix (`cloud_cashier_id`).
    pub order_prefix: String,
    /// Store name printed on receipts and shown on screens.
    #[serde(default)]
    pub store_name: String,
    /// Running against a sandbox: every screen and receipt says SANDBOX.
    #[serde(default)]
    pub sandbox: bool,
    /// The sandbox is the embedded one this terminal starts itself (design §4).
    #[serde(default)]
    pub embedded: bool,
}

/// The credentials file of `cloudpos setup merchant --credentials FILE` (the same JSON the
/// sandbox writes with `--credentials-out`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantCredentials {
    /// Base URL ending in `/cpay/`. May be left out when `base_urls` is given; otherwise it
    /// must be one of them.
    #[serde(default)]
    pub base_url: String,
    /// Cloud Pay's domains in order of preference (e.g. `https://pay.qcloud.com/cpay/`,
    /// `https://sz.pay.qcloud.com/cpay/`, …), each ending in `/cpay/`; beside or instead of
    /// `base_url`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_urls: Vec<String>,
    /// `out_mch_id`.
    pub out_mch_id: String,
    /// `out_sub_mch_id`.
    pub out_sub_mch_id: String,
    /// `out_shop_id`.
    pub out_shop_id: String,
    /// `device_id`.
    pub device_id: String,
    /// `staff_id` of the admin.
    pub staff_id: String,
    /// Order prefix.
    pub order_prefix: String,
    /// HMAC key.
    pub authen_key: String,
    /// Optional RSA private key (PEM) for signing refunds and reverses.
    #[serde(default, alias = "sign_private_key_pem")]
    pub private_key_pem: Option<String>,
    /// Optional store name.
    #[serde(default)]
    pub store_name: Option<String>,
}

impl MerchantCredentials {
    /// Checks the fields a terminal cannot work without.
    pub fn validate(&self) -> Result<(), String> {
        let required = [
            ("out_mch_id", &self.out_mch_id),
            ("out_sub_mch_id", &self.out_sub_mch_id),
            ("out_shop_id", &self.out_shop_id),
            ("device_id", &self.device_id),
            ("staff_id", &self.staff_id),
            ("order_prefix", &self.order_prefix),
            ("authen_key", &self.authen_key),
        ];
        if let Some((name, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
            return Err(format!("credentials: {name} is missing or empty"));
        }
        let given = std::iter::once(("base_url".to_owned(), &self.base_url))
            .filter(|(_, url)| !url.trim().is_empty())
            .chain(
                self.base_urls
                    .iter()
                    .enumerate()
                    .map(|(i, url)| (format!("base_urls[{i}]"), url)),
            );
        for (name, url) in given {
            let url = url.trim();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "credentials: {name} \"{url}\" is not an http(s) URL"
                ));
            }
            if !url.ends_with('/') {
                return Err(format!(
                    "credentials: {name} \"{url}\" must end with '/' (e.g. https://pay.qcloud.com/cpay/)"
                ));
            }
        }
        self.domains().map(|_| ())
    }

    /// The Cloud Pay domains, first choice first: `base_urls` when given, else `base_url`.
    pub fn domains(&self) -> Result<Vec<String>, String> {
        cloudpay_api::domain_list(&self.base_url, &self.base_urls)
            .map_err(|e| format!("credentials: {e}"))
    }

    /// The profile part (without secrets).
    #[must_use]
    pub fn profile(&self, sandbox: bool) -> MerchantProfile {
        let domains = self.domains().unwrap_or_default();
        MerchantProfile {
            base_url: domains
                .first()
                .cloned()
                .unwrap_or_else(|| self.base_url.clone()),
            base_urls: if domains.len() > 1 {
                domains
            } else {
                Vec::new()
            },
            out_mch_id: self.out_mch_id.clone(),
            out_sub_mch_id: self.out_sub_mch_id.clone(),
            out_shop_id: self.out_shop_id.clone(),
            device_id: self.device_id.clone(),
            staff_id: self.staff_id.clone(),
            order_prefix: self.order_prefix.clone(),
            store_name: self.store_name.clone().unwrap_or_default(),
            sandbox,
            embedded: false,
        }
    }
}

impl Terminal {
    /// The configured merchant, if any.
    pub async fn merchant(&self) -> Result<Option<MerchantProfile>> {
        match self.inner.ports.settings.get(MERCHANT_KEY).await? {
            None => Ok(None),
            Some(v) => serde_json::from_value(v).map(Some).map_err(|e| {
                TerminalError::Invalid(format!("stored merchant profile is unreadable: {e}"))
            }),
        }
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
            crate::wiring::check_signing_key(&credentials.authen_key, pem)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(json: &serde_json::Value) -> MerchantCredentials {
        let mut base = serde_json::json!({
            "out_mch_id": "m", "out_sub_mch_id": "s", "out_shop_id": "p", "device_id": "d",
            "staff_id": "01", "order_prefix": "sz01", "authen_key": "k"
        });
        for (k, v) in json.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn base_urls_beside_or_instead_of_base_url() {
        let one = creds(&serde_json::json!({"base_url": "https://pay.qcloud.com/cpay/"}));
        one.validate().unwrap();
        let p = one.profile(false);
        assert_eq!(p.base_url, "https://pay.qcloud.com/cpay/");
        assert!(p.base_urls.is_empty());
        let four = creds(&serde_json::json!({"base_urls": [
            "https://pay.qcloud.com/cpay/", "https://sz.pay.qcloud.com/cpay/",
            "https://sh.pay.qcloud.com/cpay/", "https://tj.pay.qcloud.com/cpay/"]}));
        four.validate().unwrap();
        let p = four.profile(false);
        assert_eq!(p.base_url, "https://pay.qcloud.com/cpay/");
        assert_eq!(p.base_urls.len(), 4);
        let beside = creds(&serde_json::json!({
            "base_url": "https://sz.pay.qcloud.com/cpay/",
            "base_urls": ["https://pay.qcloud.com/cpay/", "https://sz.pay.qcloud.com/cpay/"]}));
        beside.validate().unwrap();
        assert_eq!(
            beside.profile(false).base_url,
            "https://pay.qcloud.com/cpay/"
        );
        for (bad, names) in [
            (serde_json::json!({}), "base_url"),
            (
                serde_json::json!({"base_urls": ["ftp://x/cpay/"]}),
                "base_urls[0]",
            ),
            (
                serde_json::json!({"base_urls": ["https://pay.qcloud.com/cpay"]}),
                "must end with '/'",
            ),
            (
                serde_json::json!({"base_url": "https://a/cpay/", "base_urls": ["https://b/cpay/"]}),
                "not in base_urls",
            ),
            (
                serde_json::json!({"base_urls": ["https://b/cpay/", "https://b/cpay/"]}),
                "twice",
            ),
        ] {
            let e = creds(&bad).validate().unwrap_err();
            assert!(e.contains(names), "{bad}: {e}");
        }
    }

    #[test]
    fn old_profiles_without_base_urls_still_load() {
        let old = serde_json::json!({
            "base_url": "https://pay.qcloud.com/cpay/", "out_mch_id": "m",
            "out_sub_mch_id": "s", "out_shop_id": "p", "device_id": "d", "staff_id": "01",
            "order_prefix": "sz01"
        });
        let p: MerchantProfile = serde_json::from_value(old).unwrap();
        assert!(p.base_urls.is_empty());
        assert!(!serde_json::to_string(&p).unwrap().contains("base_urls"));
    }
}
