//! The configured merchant: who this terminal is to Cloud Pay.
//!
//! The non-secret identifiers live in the settings (key [`MERCHANT_KEY`]); the HMAC key and
//! the optional RSA private key live in the sealed vault (names [`AUTHEN_KEY_SECRET`],
//! [`PRIVATE_KEY_SECRET`]).

use serde::{Deserialize, Serialize};

/// Settings key of the [`MerchantProfile`].
pub const MERCHANT_KEY: &str = "merchant";
/// Vault name of the sub-merchant's HMAC authentication key (认证密钥).
pub const AUTHEN_KEY_SECRET: &str = "cloudpay.authen_key";
/// Vault name of the sub-merchant's RSA signing key (签名私钥), PEM.
pub const PRIVATE_KEY_SECRET: &str = "cloudpay.private_key";

/// The merchant as the terminal knows it (everything but the secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantProfile {
    /// Cloud Pay base URL, ending in `/cpay/`.
    pub base_url: String,
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
    /// Base URL ending in `/cpay/`.
    pub base_url: String,
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
            ("base_url", &self.base_url),
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
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(format!(
                "credentials: base_url \"{}\" is not an http(s) URL",
                self.base_url
            ));
        }
        if !self.base_url.ends_with('/') {
            return Err(format!(
                "credentials: base_url \"{}\" must end with '/' (e.g. https://pay.qcloud.com/cpay/)",
                self.base_url
            ));
        }
        Ok(())
    }

    /// The profile part (without secrets).
    #[must_use]
    pub fn profile(&self, sandbox: bool) -> MerchantProfile {
        MerchantProfile {
            base_url: self.base_url.clone(),
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
