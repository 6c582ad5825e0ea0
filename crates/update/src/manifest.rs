//! The feed's manifest: what a release is, signed as a whole.
//!
//! A feed is a directory served over HTTP holding three files:
//!
//! - [`MANIFEST_FILE`] (`manifest.json`): the [`Manifest`] as JSON;
//! - [`SIGNATURE_FILE`] (`manifest.json.minisig`): a minisign (Ed25519) signature of those
//!   exact bytes;
//! - the release archive the manifest names in `artifact` (the `cargo xtask dist` `.zip` or
//!   `.tar.gz`), whose SHA-256 and size the manifest carries.
//!
//! Nothing in the manifest is read before its signature verifies, and the archive is trusted
//! only through the manifest's hash.

use semver::Version;
use serde::{Deserialize, Serialize};

use crate::UpdateError;

/// File name of the manifest inside a feed.
pub const MANIFEST_FILE: &str = "manifest.json";
/// File name of the manifest's minisign signature inside a feed.
pub const SIGNATURE_FILE: &str = "manifest.json.minisig";
/// The most a manifest or signature may weigh (they are read before they are verified).
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;

/// A release as the feed describes it. `version`, `artifact`, `sha256`, `notes` and
/// `min_version` are the contract of issue 18; `target` and `size` are ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The release's version (semver, e.g. `0.2.0`).
    pub version: String,
    /// File name of the release archive, in the same feed directory.
    pub artifact: String,
    /// SHA-256 of the archive, 64 lowercase hex digits.
    pub sha256: String,
    /// Release notes for the person applying it (may be empty).
    #[serde(default)]
    pub notes: String,
    /// The oldest installed version this release may be applied over; older tills must
    /// install an intermediate release first. `null` for none.
    #[serde(default)]
    pub min_version: Option<String>,
    /// The platform of the archive, as [`this_target`] spells it (`linux-x86_64`,
    /// `windows-x86_64`); a till refuses a release for another platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The archive's size in bytes; the download stops past it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

impl Manifest {
    /// Checks every field's form; the error names the field.
    pub fn validate(&self) -> Result<(), UpdateError> {
        self.parsed_version()?;
        self.parsed_min_version()?;
        check_artifact_name(&self.artifact)?;
        if self.sha256.len() != 64
            || !self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(UpdateError::BadManifest(format!(
                "sha256 \"{}\" is not 64 lowercase hex digits",
                self.sha256
            )));
        }
        if let Some(t) = &self.target
            && (t.is_empty()
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)))
        {
            return Err(UpdateError::BadManifest(format!(
                "target \"{t}\" is malformed"
            )));
        }
        Ok(())
    }

    /// The release's version.
    pub fn parsed_version(&self) -> Result<Version, UpdateError> {
        Version::parse(&self.version).map_err(|e| {
            UpdateError::BadManifest(format!("version \"{}\" is not semver: {e}", self.version))
        })
    }

    /// The minimum installed version, if any.
    pub fn parsed_min_version(&self) -> Result<Option<Version>, UpdateError> {
        self.min_version
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| {
                Version::parse(v).map_err(|e| {
                    UpdateError::BadManifest(format!("min_version \"{v}\" is not semver: {e}"))
                })
            })
            .transpose()
    }

    /// Whether this release may be applied over `current` on this platform: newer, not
    /// above the minimum, for this target. The error names which rule refused it.
    pub fn check_applicable(&self, current: &Version) -> Result<(), UpdateError> {
        self.validate()?;
        let offered = self.parsed_version()?;
        if offered <= *current {
            return Err(UpdateError::NotNewer {
                current: current.to_string(),
                offered: offered.to_string(),
            });
        }
        if let Some(min) = self.parsed_min_version()?
            && *current < min
        {
            return Err(UpdateError::BelowMinVersion {
                current: current.to_string(),
                offered: offered.to_string(),
                min_version: min.to_string(),
            });
        }
        if let Some(target) = &self.target
            && *target != this_target()
        {
            return Err(UpdateError::WrongTarget {
                release: target.clone(),
                this: this_target(),
            });
        }
        Ok(())
    }
}

/// This build's platform as manifests name it: `OS-ARCH` with Rust's names
/// (`linux-x86_64`, `windows-x86_64`, `macos-aarch64`), the suffix of `cargo xtask dist`'s
/// archive names.
#[must_use]
pub fn this_target() -> String {
    format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH)
}

/// The artifact must be a plain file name: it is both a URL path segment in the feed and a
/// local file name, so no separators, no `..`, nothing hidden.
pub fn check_artifact_name(name: &str) -> Result<(), UpdateError> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c));
    if ok {
        Ok(())
    } else {
        Err(UpdateError::BadManifest(format!(
            "artifact \"{name}\" must be a plain file name (letters, digits, . _ - +)"
        )))
    }
}

/// The archive kind, from the artifact's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// `.zip` (Windows).
    Zip,
    /// `.tar.gz` or `.tgz` (Linux, macOS).
    TarGz,
}

impl ArchiveKind {
    /// The kind of `name`, or an error naming the accepted ones.
    pub fn of(name: &str) -> Result<ArchiveKind, UpdateError> {
        if name.ends_with(".zip") {
            Ok(ArchiveKind::Zip)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Ok(ArchiveKind::TarGz)
        } else {
            Err(UpdateError::BadManifest(format!(
                "artifact \"{name}\" is neither a .zip nor a .tar.gz"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(version: &str, min: Option<&str>) -> Manifest {
        Manifest {
            version: version.into(),
            artifact: "cloudpos-0.2.0-linux-x86_64.tar.gz".into(),
            sha256: "ab".repeat(32),
            notes: String::new(),
            min_version: min.map(Into::into),
            target: None,
            size: None,
        }
    }

    #[test]
    fn newer_applies_and_equal_or_older_is_not_newer() {
        let current = Version::new(0, 2, 0);
        assert!(manifest("0.2.1", None).check_applicable(&current).is_ok());
        assert!(manifest("1.0.0", None).check_applicable(&current).is_ok());
        for v in ["0.2.0", "0.1.9", "0.2.0-rc.1"] {
            assert!(
                matches!(
                    manifest(v, None).check_applicable(&current),
                    Err(UpdateError::NotNewer { .. })
                ),
                "{v} is not newer than 0.2.0"
            );
        }
    }

    #[test]
    fn min_version_above_current_is_refused_by_name() {
        let current = Version::new(0, 1, 0);
        let e = manifest("0.3.0", Some("0.2.0"))
            .check_applicable(&current)
            .unwrap_err();
        assert!(matches!(e, UpdateError::BelowMinVersion { .. }), "{e}");
        assert!(e.to_string().contains("0.2.0"), "{e}");
        assert!(
            manifest("0.3.0", Some("0.1.0"))
                .check_applicable(&current)
                .is_ok()
        );
    }

    #[test]
    fn another_platform_is_refused() {
        let mut m = manifest("9.0.0", None);
        m.target = Some("plan9-mips".into());
        let e = m.check_applicable(&Version::new(0, 1, 0)).unwrap_err();
        assert!(matches!(e, UpdateError::WrongTarget { .. }), "{e}");
        m.target = Some(this_target());
        assert!(m.check_applicable(&Version::new(0, 1, 0)).is_ok());
    }

    #[test]
    fn malformed_fields_are_named() {
        let mut m = manifest("0.2", None);
        assert!(m.validate().unwrap_err().to_string().contains("version"));
        m.version = "0.2.0".into();
        m.sha256 = "AB".repeat(32);
        assert!(m.validate().unwrap_err().to_string().contains("sha256"));
        m.sha256 = "ab".repeat(32);
        for bad in ["../evil.tar.gz", "a/b.zip", ".hidden.zip", "", "x y.zip"] {
            m.artifact = bad.into();
            assert!(
                m.validate().unwrap_err().to_string().contains("artifact"),
                "{bad:?}"
            );
        }
        m.artifact = "cloudpos-0.2.0-windows-x86_64.zip".into();
        m.min_version = Some("soon".into());
        assert!(
            m.validate()
                .unwrap_err()
                .to_string()
                .contains("min_version")
        );
    }

    #[test]
    fn archive_kind_follows_the_name() {
        assert_eq!(ArchiveKind::of("a.zip").unwrap(), ArchiveKind::Zip);
        assert_eq!(ArchiveKind::of("a.tar.gz").unwrap(), ArchiveKind::TarGz);
        assert!(ArchiveKind::of("a.exe").is_err());
    }
}
