//! The release side (feature `sign`): key pairs and feeds, with the `minisign` crate.
//! `cargo xtask keygen` and `cargo xtask sign-release` call these; tests use them with
//! throwaway keys.

use std::path::{Path, PathBuf};

/// An opened minisign secret key.
pub use minisign::SecretKey;
use minisign::{KeyPair, PublicKey, PublicKeyBox, SecretKeyBox};
use sha2::{Digest, Sha256};

use crate::manifest::{MANIFEST_FILE, Manifest, SIGNATURE_FILE, check_artifact_name};
use crate::{ArchiveKind, TrustedKey};

/// A release-side failure, in words.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SignError(pub String);

fn err(context: &str) -> impl Fn(minisign::PError) -> SignError + '_ {
    move |e| SignError(format!("{context}: {e}"))
}

/// A new key pair as the texts of its two files.
pub struct NewKeyPair {
    /// The secret key file (minisign format; scrypt-encrypted when a password was given).
    pub secret: String,
    /// The public key file (`.pub`), what tills trust.
    pub public: String,
    /// The key id (16 hex digits).
    pub id: String,
}

impl std::fmt::Debug for NewKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKeyPair")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Makes a key pair. With a password the secret key is encrypted with it (minisign's
/// scrypt + XOR scheme, readable by the `minisign` tool); with `None` it is stored plain
/// (throwaway keys for tests only).
pub fn generate_keypair(password: Option<&str>, comment: &str) -> Result<NewKeyPair, SignError> {
    let KeyPair { pk, sk } = match password {
        Some(p) => KeyPair::generate_encrypted_keypair(Some(p.to_owned())),
        None => KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(err("cannot generate a key pair"))?;
    let public = pk
        .to_box()
        .map_err(err("cannot encode the public key"))?
        .to_string();
    let comment = if password.is_some() {
        format!("{comment} (encrypted secret key)")
    } else {
        format!("{comment} (UNENCRYPTED secret key)")
    };
    let secret = sk
        .to_box(Some(&comment))
        .map_err(err("cannot encode the secret key"))?
        .to_string();
    let id = TrustedKey::parse(&public)
        .map_err(|e| SignError(e.to_string()))?
        .id()
        .to_owned();
    Ok(NewKeyPair { secret, public, id })
}

/// Whether a secret key file's text is password-protected.
pub fn is_encrypted(secret: &str) -> Result<bool, SignError> {
    let sk_box = SecretKeyBox::from_string(secret).map_err(err("bad secret key"))?;
    Ok(SecretKey::from_unencrypted_box(sk_box).is_err())
}

/// Opens a secret key file's text. An encrypted key needs `password`; `None` then asks for
/// it on the terminal (minisign's prompt).
pub fn open_secret_key(secret: &str, password: Option<String>) -> Result<SecretKey, SignError> {
    if !is_encrypted(secret)? {
        let sk_box = SecretKeyBox::from_string(secret).map_err(err("bad secret key"))?;
        return SecretKey::from_unencrypted_box(sk_box).map_err(err("bad secret key"));
    }
    let sk_box = SecretKeyBox::from_string(secret).map_err(err("bad secret key"))?;
    SecretKey::from_box(sk_box, password).map_err(err("cannot open the secret key"))
}

/// What a signed release says beside its archive.
#[derive(Debug, Clone, Default)]
pub struct Release {
    /// Version (semver).
    pub version: String,
    /// Release notes.
    pub notes: String,
    /// Oldest version it may be applied over.
    pub min_version: Option<String>,
    /// Platform (`linux-x86_64`, `windows-x86_64`); `None` for any.
    pub target: Option<String>,
}

/// The files [`write_feed`] wrote.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The manifest as signed.
    pub manifest: Manifest,
    /// The manifest file.
    pub manifest_path: PathBuf,
    /// The signature file.
    pub signature_path: PathBuf,
    /// The copied archive.
    pub artifact_path: PathBuf,
}

/// Writes a feed into `out`: the archive (copied under its own name), `manifest.json` and
/// `manifest.json.minisig`, a prehashed minisign signature by `sk` whose trusted comment
/// names the version. The signature is checked with the verifier the tills use before
/// anything is written.
pub fn write_feed(
    out: &Path,
    artifact: &Path,
    release: &Release,
    sk: &SecretKey,
) -> Result<Feed, SignError> {
    let name = artifact
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| SignError(format!("{} has no file name", artifact.display())))?
        .to_owned();
    check_artifact_name(&name).map_err(|e| SignError(e.to_string()))?;
    ArchiveKind::of(&name).map_err(|e| SignError(e.to_string()))?;
    let bytes = std::fs::read(artifact)
        .map_err(|e| SignError(format!("cannot read {}: {e}", artifact.display())))?;
    let manifest = Manifest {
        version: release.version.clone(),
        artifact: name.clone(),
        sha256: hex(&Sha256::digest(&bytes)),
        notes: release.notes.clone(),
        min_version: release.min_version.clone().filter(|v| !v.is_empty()),
        target: release.target.clone(),
        size: Some(bytes.len() as u64),
    };
    manifest.validate().map_err(|e| SignError(e.to_string()))?;
    let mut json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| SignError(format!("cannot write the manifest: {e}")))?;
    json.push(b'\n');

    let pk = PublicKey::from_secret_key(sk).map_err(err("bad secret key"))?;
    let trusted = format!("cloudpos {} {}", manifest.version, MANIFEST_FILE);
    let signature = minisign::sign(
        Some(&pk),
        sk,
        json.as_slice(),
        Some(&trusted),
        Some("CloudPOS update manifest signature"),
    )
    .map_err(err("cannot sign"))?
    .to_string();
    let signature = if signature.ends_with('\n') {
        signature
    } else {
        signature + "\n"
    };
    let pk_text = pk
        .to_box()
        .map(PublicKeyBox::into_string)
        .map_err(err("bad public key"))?;
    TrustedKey::parse(&pk_text)
        .and_then(|k| k.verify(&json, &signature))
        .map_err(|e| SignError(format!("the new signature does not verify: {e}")))?;

    std::fs::create_dir_all(out)
        .map_err(|e| SignError(format!("cannot create {}: {e}", out.display())))?;
    let artifact_path = out.join(&name);
    let same = artifact_path.canonicalize().ok() == artifact.canonicalize().ok();
    if !same {
        write(&artifact_path, &bytes)?;
    }
    let manifest_path = out.join(MANIFEST_FILE);
    let signature_path = out.join(SIGNATURE_FILE);
    // Each file through a rename, the manifest last. A till reading between the two renames
    // gets a pair that does not verify and refuses it; its next check sees the new pair.
    write(&signature_path, signature.as_bytes())?;
    write(&manifest_path, &json)?;
    Ok(Feed {
        manifest,
        manifest_path,
        signature_path,
        artifact_path,
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), SignError> {
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| SignError(format!("cannot write {}: {e}", path.display())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
