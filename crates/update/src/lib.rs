//! # CloudPOS signed software updates
//!
//! A service provider publishes a **feed**: a directory served over HTTP holding a release
//! archive (`cargo xtask dist`), `manifest.json` naming its version, SHA-256, size, notes and
//! minimum version, and `manifest.json.minisig`, a minisign (Ed25519) signature of the
//! manifest (`cargo xtask sign-release`). A till trusts one public key: the project's release
//! key built into the binary ([`TrustedKey::builtin`]), or a provider's own key from the
//! settings.
//!
//! [`check`] reads the manifest; [`apply`] verifies the signature before reading anything
//! else, refuses a release that is not newer, above `min_version` or for another platform,
//! downloads the archive and refuses it unless its size and SHA-256 are the signed ones,
//! unpacks it into a temporary folder (and checks its own `SHA256SUMS`), and only then
//! touches the program directory ([`install`]): every file replaced with a backup kept, the
//! new `cloudpos --version` asked, and everything put back if it does not answer with the
//! new version. The data directory is never written.
//!
//! The till side depends on `minisign-verify` (no dependencies of its own); the release side
//! (feature `sign`) on `minisign`.

mod archive;
mod error;
mod feed;
mod install;
mod key;
mod manifest;
#[cfg(feature = "sign")]
pub mod sign;
mod swap;
#[cfg(feature = "testkit")]
pub mod testkit;

use std::path::PathBuf;
use std::time::Duration;

use semver::Version;
use serde::Serialize;

pub use archive::{Unpacked, cli_program, unpack};
pub use error::UpdateError;
pub use feed::{FeedClient, HttpSettings, MAX_ARTIFACT_BYTES, parse_feed_url};
pub use install::{
    InstallOptions, Installed, LOCK_FILE, StartCleanup, WORK_DIR, check_version, finish_at_start,
    install, program_dir,
};
pub use key::{BUILTIN_PUBLIC_KEY, TrustedKey};
pub use manifest::{
    ArchiveKind, MANIFEST_FILE, MAX_MANIFEST_BYTES, Manifest, SIGNATURE_FILE, check_artifact_name,
    this_target,
};
/// Semantic versions (re-exported so callers compare with the same type).
pub use semver;

/// How long a new `cloudpos --version` may take before it counts as not starting.
pub const VERSION_TIMEOUT: Duration = Duration::from_secs(30);

/// What the feed offers, compared with what runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The running version.
    pub current: String,
    /// The feed's version.
    pub latest: String,
    /// Whether the feed's version is newer than the running one.
    pub available: bool,
    /// The release notes.
    pub notes: String,
    /// The manifest's minimum installed version, if any.
    pub min_version: Option<String>,
    /// Why a newer release cannot be applied here (`min_version`, another platform), if so.
    pub blocked: Option<String>,
}

/// Reads and verifies the feed's manifest and compares it with `current`.
pub async fn check(feed: &FeedClient, current: &Version) -> Result<Check, UpdateError> {
    let manifest = feed.manifest().await?;
    let latest = manifest.parsed_version()?;
    let available = latest > *current;
    let blocked = if available {
        manifest
            .check_applicable(current)
            .err()
            .map(|e| e.to_string())
    } else {
        None
    };
    Ok(Check {
        current: current.to_string(),
        latest: latest.to_string(),
        available,
        notes: manifest.notes.clone(),
        min_version: manifest.min_version.clone(),
        blocked,
    })
}

/// Where and how [`apply`] installs.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The directory holding the programs (usually [`program_dir`]).
    pub program_dir: PathBuf,
    /// Directories never written (the data directory).
    pub protect: Vec<PathBuf>,
    /// See [`VERSION_TIMEOUT`].
    pub version_timeout: Duration,
}

/// An applied update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The version that ran before.
    pub from: String,
    /// The version installed.
    pub to: String,
    /// The release notes.
    pub notes: String,
    /// The SHA-256 of the archive installed.
    pub sha256: String,
    /// The program directory.
    pub program_dir: PathBuf,
    /// The files written, relative to it.
    pub files: Vec<PathBuf>,
    /// Previous program files left for the next start to delete (Windows).
    pub leftovers: usize,
}

/// A release verified, downloaded and checked against its signed hash, not yet installed
/// (the caller may look at the till once more before [`Prepared::install`]).
#[derive(Debug)]
pub struct Prepared {
    manifest: Manifest,
    kind: ArchiveKind,
    archive: PathBuf,
    current: Version,
    temp: tempfile::TempDir,
}

/// Verifies the feed's manifest, refuses a release that is not newer, above
/// `min_version` or for another platform, and downloads the archive into a temporary folder,
/// refusing it unless its size and SHA-256 are the signed ones. The program directory is
/// not touched.
pub async fn prepare(feed: &FeedClient, current: &Version) -> Result<Prepared, UpdateError> {
    let manifest = feed.manifest().await?;
    manifest.check_applicable(current)?;
    let kind = ArchiveKind::of(&manifest.artifact)?;
    let temp = tempfile::Builder::new()
        .prefix("cloudpos-update-")
        .tempdir()
        .map_err(|e| UpdateError::CannotInstall {
            dir: std::env::temp_dir().display().to_string(),
            reason: format!("no temporary folder: {e}"),
        })?;
    let archive = feed.download(&manifest, temp.path()).await?;
    Ok(Prepared {
        manifest,
        kind,
        archive,
        current: current.clone(),
        temp,
    })
}

impl Prepared {
    /// The verified manifest.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Unpacks the archive (checking its `SHA256SUMS`) and installs it ([`install`]): a
    /// release whose `cloudpos` does not report the new version is rolled back.
    pub async fn install(self, opts: &ApplyOptions) -> Result<Applied, UpdateError> {
        let expected = self.manifest.parsed_version()?;
        let install_opts = InstallOptions {
            program_dir: opts.program_dir.clone(),
            protect: opts.protect.clone(),
            expected_version: expected,
            current_version: self.current.to_string(),
            version_timeout: opts.version_timeout,
        };
        let unpack_dir = self.temp.path().join("unpacked");
        let (archive, kind) = (self.archive.clone(), self.kind);
        let installed = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&unpack_dir)
                .map_err(|e| UpdateError::BadArchive(format!("cannot unpack: {e}")))?;
            let unpacked = unpack(&archive, kind, &unpack_dir)?;
            install(&unpacked, &install_opts)
        })
        .await
        .map_err(|e| UpdateError::CannotInstall {
            dir: opts.program_dir.display().to_string(),
            reason: format!("the installer stopped: {e}"),
        })??;
        Ok(Applied {
            from: self.current.to_string(),
            to: self.manifest.version.clone(),
            notes: self.manifest.notes.clone(),
            sha256: self.manifest.sha256.clone(),
            program_dir: opts.program_dir.clone(),
            files: installed.files,
            leftovers: installed.leftovers,
        })
    }
}

/// [`prepare`], then [`Prepared::install`]: verifies, downloads, checks and installs the
/// feed's release over `current`. Nothing in the program directory is touched unless every
/// check passed; a release that does not start is rolled back.
pub async fn apply(
    feed: &FeedClient,
    current: &Version,
    opts: &ApplyOptions,
) -> Result<Applied, UpdateError> {
    prepare(feed, current).await?.install(opts).await
}
