//! Authentication of envelopes: HMAC-SHA256 (`authen_info.a`) and RSASSA-PSS-SHA256
//! signatures (`authen_info.s`), protocol notes §1.3–§1.5.
//!
//! The MAC is always computed over the *exact* content string that travels in the
//! envelope; nothing is re-serialised or trimmed. The HMAC key is the `authen_key`'s raw
//! string bytes (not hex- or base64-decoded).
//!
//! # Why two crypto libraries
//! HMAC uses `ring`. The protocol's signature is PSS with the **maximum** salt length
//! (OpenSSL's `RSA_padding_add_PKCS1_PSS(..., -2)`: k − hLen − 2 = 222 bytes for a
//! 2048-bit key). `ring` 0.17 signs and verifies PSS only with salt length = digest length
//! (its `PSSMetrics` fixes `s_len = h_len`), so a `ring` signature would be refused by a
//! verifier that expects the maximum, and `ring` could not verify one made by OpenSSL.
//! The RustCrypto `rsa` crate takes an explicit salt length, so signing uses it.
//! Verification (the sandbox's side) recovers the encoded message with the public
//! exponent and checks EMSA-PSS with *any* salt length ("auto", as OpenSSL's verifier
//! does), using `ring` for SHA-256: the public operation handles no secret.
//!
//! `rsa` 0.9 has a known timing side channel in *private-key* operations (RUSTSEC-2023-0071,
//! "Marvin"); signing uses its blinded key to limit it, and the key only ever signs locally
//! built requests, never attacker-chosen ciphertexts.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::{digest, hmac};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::pss::BlindedSigningKey;
use rsa::sha2::Sha256;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};

use crate::wire::{
    AUTHEN_TYPE_HMAC_SHA256, AuthenInfo, Authentication, SIGN_TYPE_RSA_PSS_SHA256, Signature,
};

/// Length of a SHA-256 digest.
const H_LEN: usize = 32;

/// The HMAC key (`authen_key`). `Debug` never shows it.
#[derive(Clone)]
pub struct AuthenKey(hmac::Key);

impl AuthenKey {
    /// A key from the `authen_key` string (its raw bytes are the key).
    #[must_use]
    pub fn new(authen_key: &str) -> Self {
        AuthenKey(hmac::Key::new(hmac::HMAC_SHA256, authen_key.as_bytes()))
    }

    /// Upper-case hex HMAC-SHA256 over `content`.
    #[must_use]
    pub fn authen_code(&self, content: &str) -> String {
        hex::encode_upper(hmac::sign(&self.0, content.as_bytes()).as_ref())
    }

    /// Whether `code` (hex, either case) is the MAC of `content`. Constant-time compare.
    #[must_use]
    pub fn verify(&self, content: &str, code: &str) -> bool {
        match hex::decode(code) {
            Ok(tag) => hmac::verify(&self.0, content.as_bytes(), &tag).is_ok(),
            Err(_) => false,
        }
    }

    /// `authen_info` carrying only the HMAC of `content`.
    #[must_use]
    pub fn authen_info(&self, content: &str) -> AuthenInfo {
        AuthenInfo {
            a: Some(Authentication {
                authen_type: AUTHEN_TYPE_HMAC_SHA256,
                authen_code: self.authen_code(content),
            }),
            s: None,
        }
    }
}

impl fmt::Debug for AuthenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthenKey(<redacted>)")
    }
}

/// Why a key or a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The PEM is not an RSA key we can read.
    #[error("cannot read the RSA key: {0}")]
    BadKey(String),
    /// The signature is not valid Base64 or has the wrong length.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The signature does not verify.
    #[error("the signature does not verify")]
    Mismatch,
    /// The signing operation failed.
    #[error("signing failed: {0}")]
    Failed(String),
}

/// The sub-merchant's signature private key: signs RSASSA-PSS-SHA256 with the maximum salt
/// length. `Debug` never shows it.
#[derive(Clone)]
pub struct PssSigner {
    key: BlindedSigningKey<Sha256>,
    public: RsaPublicKey,
}

impl PssSigner {
    /// Reads a PEM private key: PKCS#1 (`BEGIN RSA PRIVATE KEY`, what Cloud Pay's console
    /// hands out) or PKCS#8 (`BEGIN PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, SignError> {
        let key = RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
            .map_err(|e| SignError::BadKey(e.to_string()))?;
        Ok(Self::from_key(key))
    }

    /// Wraps a parsed key.
    #[must_use]
    pub fn from_key(key: RsaPrivateKey) -> Self {
        let public = key.to_public_key();
        let salt = max_salt_len(&public);
        PssSigner {
            key: BlindedSigningKey::new_with_salt_len(key, salt),
            public,
        }
    }

    /// The salt length used (k − hLen − 2).
    #[must_use]
    pub fn salt_len(&self) -> usize {
        self.key.salt_len()
    }

    /// The matching public key.
    #[must_use]
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// Signs `content` (its exact bytes); returns the standard Base64 signature.
    pub fn sign(&self, content: &str) -> Result<String, SignError> {
        let mut rng = rsa::rand_core::OsRng;
        let sig = self
            .key
            .try_sign_with_rng(&mut rng, content.as_bytes())
            .map_err(|e| SignError::Failed(e.to_string()))?;
        Ok(BASE64.encode(sig.to_bytes()))
    }

    /// `authen_info` carrying only the signature of `content`.
    pub fn authen_info(&self, content: &str) -> Result<AuthenInfo, SignError> {
        Ok(AuthenInfo {
            a: None,
            s: Some(Signature {
                sign_type: SIGN_TYPE_RSA_PSS_SHA256,
                sign: self.sign(content)?,
            }),
        })
    }
}

impl fmt::Debug for PssSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PssSigner(<redacted>, {} bits)", self.public.n().bits())
    }
}

/// The salt length OpenSSL's "maximum" (−2) gives for a key: emLen − hLen − 2.
#[must_use]
pub fn max_salt_len(key: &RsaPublicKey) -> usize {
    let em_len = (key.n().bits() - 1).div_ceil(8);
    em_len.saturating_sub(H_LEN + 2)
}

/// Verifies RSASSA-PSS-SHA256 (MGF1-SHA-256) signatures with any salt length.
#[derive(Clone)]
pub struct PssVerifier {
    key: RsaPublicKey,
}

impl fmt::Debug for PssVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PssVerifier({} bits)", self.key.n().bits())
    }
}

impl PssVerifier {
    /// Reads a PEM public key: SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, SignError> {
        let key = RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|e| SignError::BadKey(e.to_string()))?;
        Ok(PssVerifier { key })
    }

    /// Wraps a parsed key.
    #[must_use]
    pub fn from_key(key: RsaPublicKey) -> Self {
        PssVerifier { key }
    }

    /// Checks a Base64 signature over the exact bytes of `content`; on success returns the
    /// salt length the signer used.
    pub fn verify(&self, content: &str, signature_b64: &str) -> Result<usize, SignError> {
        let sig = BASE64
            .decode(signature_b64.trim())
            .map_err(|e| SignError::Malformed(e.to_string()))?;
        let k = self.key.size();
        if sig.len() != k {
            return Err(SignError::Malformed(format!(
                "{} bytes, expected {k}",
                sig.len()
            )));
        }
        let s = BigUint::from_bytes_be(&sig);
        if &s >= self.key.n() {
            return Err(SignError::Mismatch);
        }
        // RSAVP1: m = s^e mod n, then I2OSP to emLen bytes.
        let m = s.modpow(self.key.e(), self.key.n()).to_bytes_be();
        let em_bits = self.key.n().bits() - 1;
        let em_len = em_bits.div_ceil(8);
        if m.len() > em_len {
            return Err(SignError::Mismatch);
        }
        let mut em = vec![0u8; em_len];
        em[em_len - m.len()..].copy_from_slice(&m);
        let m_hash = digest::digest(&digest::SHA256, content.as_bytes());
        emsa_pss_verify_any_salt(m_hash.as_ref(), &em, em_bits)
    }

    /// Checks the `s` part of an `authen_info`.
    pub fn verify_signature(&self, content: &str, sig: &Signature) -> Result<usize, SignError> {
        if sig.sign_type != SIGN_TYPE_RSA_PSS_SHA256 {
            return Err(SignError::Malformed(format!(
                "unsupported sign_type {}",
                sig.sign_type
            )));
        }
        self.verify(content, &sig.sign)
    }
}

/// EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with SHA-256 and MGF1-SHA-256, recovering the salt
/// length from the padding instead of requiring one.
fn emsa_pss_verify_any_salt(m_hash: &[u8], em: &[u8], em_bits: usize) -> Result<usize, SignError> {
    let em_len = em.len();
    if em_len < H_LEN + 2 || em[em_len - 1] != 0xbc {
        return Err(SignError::Mismatch);
    }
    let (masked_db, rest) = em.split_at(em_len - H_LEN - 1);
    let h = &rest[..H_LEN];
    let unused_bits = 8 * em_len - em_bits;
    let top_mask = 0xffu8 >> unused_bits;
    if masked_db[0] & !top_mask != 0 {
        return Err(SignError::Mismatch);
    }
    let mask = mgf1_sha256(h, masked_db.len());
    let mut db: Vec<u8> = masked_db.iter().zip(&mask).map(|(a, b)| a ^ b).collect();
    db[0] &= top_mask;
    let Some(one) = db.iter().position(|&b| b != 0) else {
        return Err(SignError::Mismatch);
    };
    if db[one] != 0x01 {
        return Err(SignError::Mismatch);
    }
    let salt = &db[one + 1..];
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&[0u8; 8]);
    ctx.update(m_hash);
    ctx.update(salt);
    let h_prime = ctx.finish();
    if ct_eq(h_prime.as_ref(), h) {
        Ok(salt.len())
    } else {
        Err(SignError::Mismatch)
    }
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn mgf1_sha256(seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + H_LEN);
    let mut counter: u32 = 0;
    while out.len() < len {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(seed);
        ctx.update(&counter.to_be_bytes());
        out.extend_from_slice(ctx.finish().as_ref());
        counter += 1;
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_is_upper_hex_over_raw_key_bytes() {
        // Cross-checked with: printf '%s' 'hello' | openssl dgst -sha256 -hmac 'key'
        let key = AuthenKey::new("key");
        let code = key.authen_code("hello");
        assert_eq!(
            code,
            "9307B3B915EFB5171FF14D8CB55FBCC798C6C0EF1456D66DED1A6AA723A58B7B"
        );
        assert!(key.verify("hello", &code));
        assert!(key.verify("hello", &code.to_lowercase()));
        assert!(!key.verify("hello ", &code));
        assert!(!key.verify("hello", "zz"));
        assert_eq!(format!("{key:?}"), "AuthenKey(<redacted>)");
    }
}
