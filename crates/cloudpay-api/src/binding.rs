//! Device binding by configuration QR (配置扫码; protocol notes §11.10 "Device binding").
//!
//! The merchant back office shows a configuration QR for one device of one shop. Its text
//! is a URL `…/cpay/use_device_setting?osi=<out_shop_id>&si=<setting id>`, valid for five
//! minutes and usable once. The terminal appends its serial number (`&sn=`) and GETs it;
//! the answer (the usual envelope) carries the merchant's ids, the device, the admin's
//! `staff_id`, the order prefix and the sub-merchant's key **encrypted** (`e_authen_key`).
//!
//! - The key that encrypts `e_authen_key` is the device's *initial key*. For a
//!   configuration QR there is no factory key, so both sides derive it from what only the
//!   QR's holder and the cloud know: the first 16 bytes of HMAC-SHA256 keyed with the
//!   setting id over the serial number ([`initial_key`]; **[I]**, our reading).
//! - The answer is MAC'd with the key it delivers: the terminal decrypts first, then checks
//!   the MAC with what it decrypted, so a wrong key and a forged answer are both refused.
//! - `internal_status` 3214: the device is bound to another serial number
//!   ([`BindError::BoundElsewhere`]).
//!
//! ## The cipher ([`open_bound_key`])
//! The protocol notes record two readings for `e_authen_key`: S-DEV §7.3/§10.1 (the
//! detailed, confirmed text) says **AES-128-CBC** over base64 whose first 8 bytes are a salt,
//! PKCS#5 padding; S-BIZ §7.3 says **AES-128-GCM**. [`BoundKeyCipher::Aes128Cbc`] (S-DEV) is
//! what the terminal and the sandbox use ([`BoundKeyCipher::DEFAULT`]); GCM is kept behind
//! the same function. Neither text says how the 8-byte salt enters CBC: we use
//! IV = SHA-256(salt)[..16] **[I]**. GCM reads base64(12-byte nonce ‖ ciphertext ‖ tag).

use std::fmt;

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use reqwest::Url;
use ring::aead;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::auth::AuthenKey;
use crate::config::CloudPayConfig;
use crate::wire::{self, status};

/// The binding endpoint (GET, query string; no envelope on the request).
pub const USE_DEVICE_SETTING: &str = "use_device_setting";
/// `internal_status`: this `device_id` is already bound to another serial number.
pub const INTERNAL_BOUND_ELSEWHERE: i64 = 3214;
/// How long a configuration QR is valid (protocol notes §11.10: five minutes).
pub const CONFIG_QR_TTL_SECS: i64 = 300;

/// Which cipher protects `e_authen_key` (see the module notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundKeyCipher {
    /// AES-128-CBC, 8-byte salt first, PKCS#5 (S-DEV §7.3; **confirmed**, in use).
    Aes128Cbc,
    /// AES-128-GCM, 12-byte nonce first, tag last (S-BIZ §7.3; kept, not in use).
    Aes128Gcm,
}

impl BoundKeyCipher {
    /// The reading the terminal and the sandbox use: CBC, the protocol's detailed text.
    pub const DEFAULT: BoundKeyCipher = BoundKeyCipher::Aes128Cbc;
}

/// The content of a configuration QR, checked.
#[derive(Clone, PartialEq, Eq)]
pub struct ConfigQr {
    /// Cloud Pay's base URL (the QR's URL up to and including `/cpay/`).
    pub base_url: String,
    /// `osi`: the shop.
    pub out_shop_id: String,
    /// `si`: the one-time setting id (a secret: it derives the initial key).
    pub setting_id: String,
}

impl fmt::Debug for ConfigQr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigQr")
            .field("base_url", &self.base_url)
            .field("out_shop_id", &self.out_shop_id)
            .field("setting_id", &"<redacted>")
            .finish()
    }
}

impl ConfigQr {
    /// Reads the text of a scanned configuration QR: an http(s) URL ending in
    /// `/use_device_setting` whose query has `osi` and `si`. The error names what is wrong.
    pub fn parse(text: &str) -> Result<ConfigQr, BindError> {
        let text = text.trim();
        let bad = |why: &str| BindError::BadQr(why.to_owned());
        let url = Url::parse(text).map_err(|_| bad("it is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("it is not an http(s) URL"));
        }
        let path = url.path();
        let Some(prefix) = path.strip_suffix(USE_DEVICE_SETTING) else {
            return Err(bad(
                "it is not a Cloud Pay configuration code (use_device_setting)",
            ));
        };
        let query = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let out_shop_id = query("osi").ok_or_else(|| bad("osi (the shop) is missing"))?;
        let setting_id = query("si").ok_or_else(|| bad("si (the setting id) is missing"))?;
        let mut base = url.clone();
        base.set_query(None);
        base.set_fragment(None);
        base.set_path(prefix);
        Ok(ConfigQr {
            base_url: base.to_string(),
            out_shop_id,
            setting_id,
        })
    }

    /// The URL the terminal GETs: the QR's query and its serial number `sn`.
    #[must_use]
    pub fn bind_url(&self, sn: &str) -> String {
        let mut url = Url::parse(&self.base_url)
            .and_then(|b| b.join(USE_DEVICE_SETTING))
            .unwrap_or_else(|_| Url::parse("http://invalid/").expect("static URL"));
        url.query_pairs_mut()
            .append_pair("osi", &self.out_shop_id)
            .append_pair("si", &self.setting_id)
            .append_pair("sn", sn);
        url.to_string()
    }
}

/// The device's initial key for a configuration QR: HMAC-SHA256(setting id, sn)[..16].
#[must_use]
pub fn initial_key(setting_id: &str, sn: &str) -> [u8; 16] {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, setting_id.as_bytes());
    let tag = ring::hmac::sign(&key, sn.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&tag.as_ref()[..16]);
    out
}

fn cbc_iv(salt: &[u8]) -> [u8; 16] {
    let digest = ring::digest::digest(&ring::digest::SHA256, salt);
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&digest.as_ref()[..16]);
    iv
}

/// Encrypts `authen_key` as `e_authen_key` (the cloud's side; the sandbox and the fixtures
/// use it). `random` supplies the salt or nonce (8 or 12 bytes are taken).
#[must_use]
pub fn seal_bound_key(
    cipher: BoundKeyCipher,
    init_key: &[u8; 16],
    authen_key: &str,
    random: &[u8; 12],
) -> String {
    match cipher {
        BoundKeyCipher::Aes128Cbc => {
            let salt = &random[..8];
            let enc = cbc::Encryptor::<aes::Aes128>::new(init_key.into(), &cbc_iv(salt).into());
            let ct = enc.encrypt_padded_vec_mut::<Pkcs7>(authen_key.as_bytes());
            let mut out = salt.to_vec();
            out.extend_from_slice(&ct);
            B64.encode(out)
        }
        BoundKeyCipher::Aes128Gcm => {
            let key = aead::LessSafeKey::new(
                aead::UnboundKey::new(&aead::AES_128_GCM, init_key).expect("16-byte key"),
            );
            let mut data = authen_key.as_bytes().to_vec();
            let nonce = aead::Nonce::assume_unique_for_key(*random);
            key.seal_in_place_append_tag(nonce, aead::Aad::empty(), &mut data)
                .expect("sealing a short key cannot fail");
            let mut out = random.to_vec();
            out.extend_from_slice(&data);
            B64.encode(out)
        }
    }
}

/// Random bytes for [`seal_bound_key`].
#[must_use]
pub fn random_salt() -> [u8; 12] {
    let mut out = [0u8; 12];
    let _ = SystemRandom::new().fill(&mut out);
    out
}

/// Decrypts `e_authen_key` with the initial key. This one function holds both readings of
/// the protocol; the terminal calls it with [`BoundKeyCipher::DEFAULT`] (CBC, S-DEV §7.3,
/// confirmed); GCM (S-BIZ §7.3) is kept behind it. Nothing here writes the key anywhere.
pub fn open_bound_key(
    cipher: BoundKeyCipher,
    init_key: &[u8; 16],
    e_authen_key: &str,
) -> Result<String, BindError> {
    let bad = |why: &str| BindError::BadKey(why.to_owned());
    let raw = B64
        .decode(e_authen_key.trim())
        .map_err(|_| bad("e_authen_key is not base64"))?;
    let plain = match cipher {
        BoundKeyCipher::Aes128Cbc => {
            if raw.len() < 8 + 16 || (raw.len() - 8) % 16 != 0 {
                return Err(bad("e_authen_key has the wrong length for AES-128-CBC"));
            }
            let (salt, ct) = raw.split_at(8);
            let dec = cbc::Decryptor::<aes::Aes128>::new(init_key.into(), &cbc_iv(salt).into());
            dec.decrypt_padded_vec_mut::<Pkcs7>(ct)
                .map_err(|_| bad("e_authen_key does not decrypt (wrong QR or device?)"))?
        }
        BoundKeyCipher::Aes128Gcm => {
            if raw.len() < 12 + 16 {
                return Err(bad("e_authen_key is too short for AES-128-GCM"));
            }
            let (nonce, sealed) = raw.split_at(12);
            let key = aead::LessSafeKey::new(
                aead::UnboundKey::new(&aead::AES_128_GCM, init_key).expect("16-byte key"),
            );
            let nonce =
                aead::Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad("bad GCM nonce"))?;
            let mut data = sealed.to_vec();
            let plain = key
                .open_in_place(nonce, aead::Aad::empty(), &mut data)
                .map_err(|_| bad("e_authen_key does not decrypt (wrong QR or device?)"))?;
            plain.to_vec()
        }
    };
    let text = String::from_utf8(plain).map_err(|_| bad("the decrypted key is not text"))?;
    if text.trim().is_empty() {
        return Err(bad("the decrypted key is empty"));
    }
    Ok(text)
}

/// The `use_device_setting` object of a successful answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UseDeviceSetting {
    /// Service provider.
    pub out_mch_id: String,
    /// Sub-merchant.
    pub out_sub_mch_id: String,
    /// Shop.
    pub out_shop_id: String,
    /// This device.
    pub device_id: String,
    /// The merchant admin who configured the device (becomes the till's admin clerk).
    pub staff_id: String,
    /// Order prefix (云支付订单前缀).
    pub cloud_cashier_id: String,
    /// The sub-merchant's key, encrypted with the initial key.
    pub e_authen_key: String,
    /// Shop name, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop_name: Option<String>,
    /// Only our sandbox sets it: the ids are a sandbox's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<bool>,
}

/// A bound device: the ids and the key in clear, in memory only (`Debug` hides the key).
#[derive(Clone, PartialEq, Eq)]
pub struct BoundDevice {
    /// Cloud Pay's base URL (from the QR).
    pub base_url: String,
    /// The answer's ids and settings (`e_authen_key` as received).
    pub setting: UseDeviceSetting,
    /// The decrypted `authen_key`. Seal it at once.
    pub authen_key: String,
}

impl fmt::Debug for BoundDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundDevice")
            .field("base_url", &self.base_url)
            .field("setting", &self.setting)
            .field("authen_key", &"<redacted>")
            .finish()
    }
}

/// Why binding failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    /// The scanned text is not a configuration QR.
    #[error("not a configuration QR: {0}")]
    BadQr(String),
    /// The device is bound to another terminal (internal status 3214).
    #[error(
        "device {device_id} is already bound to another terminal (Cloud Pay internal status 3214): bind it again from the terminal it was bound to, or unbind it there first"
    )]
    BoundElsewhere {
        /// The device, as the cloud named it (empty when it did not).
        device_id: String,
    },
    /// Cloud Pay refused (expired or used QR, missing field, …).
    #[error("Cloud Pay refused the binding (status {status}): {description}")]
    Refused {
        /// Envelope status.
        status: i64,
        /// `internal_status`, when given.
        internal: Option<i64>,
        /// Cloud Pay's description.
        description: String,
    },
    /// The key could not be decrypted.
    #[error("the device key could not be read: {0}")]
    BadKey(String),
    /// The answer's MAC does not match the key it delivered.
    #[error("the binding answer failed verification: {0}")]
    Forged(String),
    /// No usable answer.
    #[error("Cloud Pay could not be reached for binding: {0}")]
    Unreachable(String),
}

/// Reads a binding answer: on success decrypts the key and checks the MAC with it.
pub fn read_bind_answer(
    qr: &ConfigQr,
    sn: &str,
    cipher: BoundKeyCipher,
    body: &str,
) -> Result<BoundDevice, BindError> {
    let envelope: wire::ResponseEnvelope = serde_json::from_str(body)
        .map_err(|e| BindError::Unreachable(format!("the answer is not an envelope: {e}")))?;
    let content = envelope.response_content;
    let header: wire::ResponseHeader = serde_json::from_str(&content)
        .map_err(|e| BindError::Unreachable(format!("unreadable response_content: {e}")))?;
    if header.status != status::SUCCESS {
        if header.internal_status == Some(INTERNAL_BOUND_ELSEWHERE) {
            let device_id = serde_json::from_str::<serde_json::Value>(&content)
                .ok()
                .and_then(|v| {
                    v.pointer("/use_device_setting/device_id")
                        .and_then(|d| d.as_str().map(str::to_owned))
                })
                .unwrap_or_default();
            return Err(BindError::BoundElsewhere { device_id });
        }
        return Err(BindError::Refused {
            status: header.status,
            internal: header.internal_status,
            description: header.description,
        });
    }
    #[derive(Deserialize)]
    struct Answer {
        use_device_setting: UseDeviceSetting,
    }
    let answer: Answer = serde_json::from_str(&content)
        .map_err(|e| BindError::Unreachable(format!("use_device_setting: {e}")))?;
    let setting = answer.use_device_setting;
    let authen_key = open_bound_key(
        cipher,
        &initial_key(&qr.setting_id, sn),
        &setting.e_authen_key,
    )?;
    let mac = envelope
        .authen_info
        .and_then(|a| a.a)
        .ok_or_else(|| BindError::Forged("the answer has no authen_info".into()))?;
    if !AuthenKey::new(&authen_key).verify(&content, &mac.authen_code) {
        return Err(BindError::Forged(
            "the answer's MAC does not match the key it delivered".into(),
        ));
    }
    for (name, value) in [
        ("out_mch_id", &setting.out_mch_id),
        ("out_sub_mch_id", &setting.out_sub_mch_id),
        ("out_shop_id", &setting.out_shop_id),
        ("device_id", &setting.device_id),
        ("staff_id", &setting.staff_id),
        ("cloud_cashier_id", &setting.cloud_cashier_id),
    ] {
        if value.trim().is_empty() {
            return Err(BindError::Unreachable(format!(
                "use_device_setting.{name} is missing in the answer"
            )));
        }
    }
    Ok(BoundDevice {
        base_url: qr.base_url.clone(),
        setting,
        authen_key,
    })
}

/// Binds this terminal (serial number `sn`) with a configuration QR: GETs the binding URL
/// through a client built from `network` (its proxy, root CA and timeouts; its ids are not
/// used) and reads the answer with [`read_bind_answer`].
pub async fn bind_device(
    network: &CloudPayConfig,
    qr: &ConfigQr,
    sn: &str,
    cipher: BoundKeyCipher,
) -> Result<BoundDevice, BindError> {
    let https = qr.base_url.starts_with("https://");
    let http = crate::client::build_http(network, https)
        .map_err(|e| BindError::Unreachable(e.to_string()))?;
    let answer = http
        .get(qr.bind_url(sn))
        .send()
        .await
        .map_err(|e| BindError::Unreachable(e.to_string()))?;
    if !answer.status().is_success() {
        return Err(BindError::Unreachable(format!("HTTP {}", answer.status())));
    }
    let body = answer
        .text()
        .await
        .map_err(|e| BindError::Unreachable(e.to_string()))?;
    read_bind_answer(qr, sn, cipher, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ciphers_round_trip_and_refuse_a_wrong_key() {
        let key = initial_key("SI0001", "CP0123456789AB");
        let other = initial_key("SI0002", "CP0123456789AB");
        for cipher in [BoundKeyCipher::Aes128Cbc, BoundKeyCipher::Aes128Gcm] {
            let sealed = seal_bound_key(cipher, &key, "TheSubMerchantKey", &random_salt());
            assert!(!sealed.contains("TheSubMerchantKey"));
            assert_eq!(
                open_bound_key(cipher, &key, &sealed).unwrap(),
                "TheSubMerchantKey"
            );
            assert!(matches!(
                open_bound_key(cipher, &other, &sealed),
                Err(BindError::BadKey(_)) | Ok(_)
            ));
            if let Ok(text) = open_bound_key(cipher, &other, &sealed) {
                // CBC with a wrong key may, rarely, still unpad; it never gives the key.
                assert_ne!(text, "TheSubMerchantKey");
            }
        }
        // GCM is authenticated: a wrong key never opens.
        let sealed = seal_bound_key(BoundKeyCipher::Aes128Gcm, &key, "k", &random_salt());
        assert!(open_bound_key(BoundKeyCipher::Aes128Gcm, &other, &sealed).is_err());
    }

    #[test]
    fn the_qr_names_what_is_missing() {
        let qr =
            ConfigQr::parse("http://127.0.0.1:9/cpay/use_device_setting?osi=shop1&si=S1").unwrap();
        assert_eq!(qr.base_url, "http://127.0.0.1:9/cpay/");
        assert_eq!(qr.out_shop_id, "shop1");
        assert_eq!(
            qr.bind_url("CP01"),
            "http://127.0.0.1:9/cpay/use_device_setting?osi=shop1&si=S1&sn=CP01"
        );
        for (text, names) in [
            ("hello", "not a URL"),
            ("ftp://x/cpay/use_device_setting?osi=a&si=b", "http"),
            ("http://x/cpay/micro_pay?osi=a&si=b", "use_device_setting"),
            ("http://x/cpay/use_device_setting?si=b", "osi"),
            ("http://x/cpay/use_device_setting?osi=a&si=", "si"),
        ] {
            let e = ConfigQr::parse(text).unwrap_err().to_string();
            assert!(e.contains(names), "{text}: {e}");
        }
    }
}
