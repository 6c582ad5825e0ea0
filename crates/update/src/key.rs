//! The key a till trusts: the project's release key built into the binary, or a service
//! provider's own key from the settings.

use base64::Engine as _;

use crate::UpdateError;

/// The public key built into this binary (`crates/update/keys/cloudpos-release.pub`, or the
/// file named by `CLOUDPOS_RELEASE_PUBLIC_KEY` when the binary was built; see `build.rs`).
pub const BUILTIN_PUBLIC_KEY: &str = include_str!(concat!(env!("OUT_DIR"), "/release.pub"));

/// A minisign public key and its id.
#[derive(Clone)]
pub struct TrustedKey {
    key: minisign_verify::PublicKey,
    id: String,
    base64: String,
}

impl std::fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedKey").field("id", &self.id).finish()
    }
}

impl TrustedKey {
    /// The key built into this binary.
    ///
    /// # Panics
    /// Never in a built binary: `build.rs` refuses a key file that does not parse.
    #[must_use]
    pub fn builtin() -> TrustedKey {
        TrustedKey::parse(BUILTIN_PUBLIC_KEY).expect("build.rs checked the built-in key")
    }

    /// Parses a minisign public key: the text of a `.pub` file (an `untrusted comment:` line
    /// and the key line) or the key line alone.
    pub fn parse(text: &str) -> Result<TrustedKey, UpdateError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
            .ok_or_else(|| UpdateError::BadPublicKey("the key text is empty".into()))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(line)
            .map_err(|_| UpdateError::BadPublicKey("the key line is not base64".into()))?;
        // "Ed", 8 bytes of key id (little endian), 32 bytes of Ed25519 public key.
        if raw.len() != 42 || &raw[..2] != b"Ed" {
            return Err(UpdateError::BadPublicKey(
                "not a minisign Ed25519 public key".into(),
            ));
        }
        let key = minisign_verify::PublicKey::from_base64(line)
            .map_err(|e| UpdateError::BadPublicKey(e.to_string()))?;
        Ok(TrustedKey {
            key,
            id: key_id(&raw[2..10]),
            base64: line.to_owned(),
        })
    }

    /// The key id as minisign prints it (16 upper-case hex digits).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key line (base64), e.g. to show or store.
    #[must_use]
    pub fn base64(&self) -> &str {
        &self.base64
    }

    /// Whether this is the key built into the binary.
    #[must_use]
    pub fn is_builtin(&self) -> bool {
        TrustedKey::parse(BUILTIN_PUBLIC_KEY).is_ok_and(|b| b.base64 == self.base64)
    }

    /// Verifies a minisign signature (the text of a `.minisig` file) over `data`. A
    /// signature by another key is [`UpdateError::WrongKey`]; one that does not verify is
    /// [`UpdateError::BadSignature`].
    pub fn verify(&self, data: &[u8], signature: &str) -> Result<(), UpdateError> {
        let bad = || UpdateError::BadSignature {
            key_id: self.id.clone(),
        };
        let sig = minisign_verify::Signature::decode(signature).map_err(|_| bad())?;
        if let Some(signed_by) = signature_key_id(signature)
            && signed_by != self.id
        {
            return Err(UpdateError::WrongKey {
                trusted: self.id.clone(),
                signed_by,
            });
        }
        // Legacy (non-prehashed) signatures are refused: sign-release never makes them.
        self.key.verify(data, &sig, false).map_err(|e| match e {
            minisign_verify::Error::UnexpectedKeyId => UpdateError::WrongKey {
                trusted: self.id.clone(),
                signed_by: signature_key_id(signature).unwrap_or_else(|| "?".into()),
            },
            _ => bad(),
        })
    }
}

/// The id of the key that made a minisign signature (its second line holds the algorithm,
/// the key id and the signature).
fn signature_key_id(signature: &str) -> Option<String> {
    let line = signature
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(line)
        .ok()?;
    (raw.len() == 74).then(|| key_id(&raw[2..10]))
}

fn key_id(le: &[u8]) -> String {
    le.iter().rev().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_key_parses_and_knows_itself() {
        let k = TrustedKey::builtin();
        assert_eq!(k.id().len(), 16);
        assert!(k.is_builtin());
        assert_eq!(TrustedKey::parse(k.base64()).unwrap().id(), k.id());
    }

    #[test]
    fn bad_keys_are_named() {
        for text in ["", "untrusted comment: x\n", "not base64!", "QUJD"] {
            let e = TrustedKey::parse(text).unwrap_err();
            assert!(matches!(e, UpdateError::BadPublicKey(_)), "{text:?}: {e}");
        }
    }
}
