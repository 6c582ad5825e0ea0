//! The release side of signed updates: `keygen`, `sign-release` and `release`.
//!
//! - `cargo xtask keygen --out KEYFILE [--unencrypted] [--force]` makes a minisign (Ed25519)
//!   key pair: the secret key in KEYFILE (mode 0600, encrypted with a password asked twice on
//!   the terminal or taken from `CLOUDPOS_SIGNING_PASSWORD`; `--unencrypted` only for
//!   throwaway keys), the public key in `KEYFILE.pub`.
//! - `cargo xtask sign-release --artifact FILE --version V --key KEYFILE --out DIR
//!   [--notes TEXT | --notes-file F] [--min-version V] [--target OS-ARCH]` writes a feed into
//!   DIR: the archive, `manifest.json` and `manifest.json.minisig`.
//! - `cargo xtask release [--target TRIPLE] [dist options] [--key KEYFILE --feed DIR …]`
//!   builds the distributable (`cargo xtask dist`) and, with `--key` and `--feed`, signs it
//!   into a feed at once.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use cloudpos_update::sign::{self, Release};

/// Environment variable holding the secret key's password (for scripts; the terminal prompt
/// is used otherwise).
pub const PASSWORD_ENV: &str = "CLOUDPOS_SIGNING_PASSWORD";

/// `cargo xtask keygen` options.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the secret key (the public key goes to this path + `.pub`).
    #[arg(long, value_name = "KEYFILE")]
    pub out: PathBuf,
    /// Store the secret key without a password (throwaway keys for tests only).
    #[arg(long)]
    pub unencrypted: bool,
    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,
}

/// `cargo xtask sign-release` options.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The release archive (`cargo xtask dist`'s .zip or .tar.gz).
    #[arg(long, value_name = "FILE")]
    pub artifact: PathBuf,
    /// The release's version (semver); must match the archive's name when it carries one.
    #[arg(long, value_name = "V")]
    pub version: String,
    /// The secret key written by `cargo xtask keygen`.
    #[arg(long, value_name = "KEYFILE")]
    pub key: PathBuf,
    /// The feed directory to write (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub release: ReleaseInfo,
}

/// What a signed release says beside its archive.
#[derive(Debug, Clone, clap::Args)]
pub struct ReleaseInfo {
    /// Release notes shown to the person applying the update.
    #[arg(long, value_name = "TEXT", conflicts_with = "notes_file")]
    pub notes: Option<String>,
    /// Release notes from a UTF-8 file.
    #[arg(long, value_name = "FILE")]
    pub notes_file: Option<PathBuf>,
    /// Oldest installed version this release may be applied over.
    #[arg(long, value_name = "V")]
    pub min_version: Option<String>,
    /// Platform of the archive, e.g. windows-x86_64 (default: from the archive's name).
    #[arg(long, value_name = "OS-ARCH")]
    pub target: Option<String>,
}

/// `cargo xtask release` options.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    #[command(flatten)]
    pub dist: crate::dist::DistArgs,
    /// Sign the archive with this secret key into `--feed`.
    #[arg(long, value_name = "KEYFILE", requires = "feed")]
    pub key: Option<PathBuf>,
    /// The feed directory to write (with `--key`).
    #[arg(long, value_name = "DIR", requires = "key")]
    pub feed: Option<PathBuf>,
    #[command(flatten)]
    pub release: ReleaseInfo,
}

/// `cargo xtask keygen`.
pub fn keygen(args: &KeygenArgs) -> Result<()> {
    let public_path = pub_path(&args.out);
    for path in [&args.out, &public_path] {
        if path.exists() && !args.force {
            bail!(
                "{} exists: a release key is never overwritten by accident (use --force to replace it)",
                path.display()
            );
        }
    }
    let password = if args.unencrypted {
        None
    } else {
        Some(new_password()?)
    };
    let comment = format!(
        "CloudPOS release key {}",
        args.out
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    let pair = sign::generate_keypair(password.as_deref(), &comment)?;
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    write_secret(&args.out, pair.secret.as_bytes(), args.force)?;
    std::fs::write(&public_path, &pair.public)
        .with_context(|| format!("cannot write {}", public_path.display()))?;
    println!("{}", public_path.display());
    eprintln!(
        "keygen: key {} — secret key {} ({}, mode 0600; keep it off the repository and backed up), public key {}",
        pair.id,
        args.out.display(),
        if args.unencrypted {
            "NOT password-protected"
        } else {
            "password-protected"
        },
        public_path.display()
    );
    Ok(())
}

/// `cargo xtask sign-release`.
pub fn sign_release(args: &SignArgs) -> Result<()> {
    sign_into(
        &args.artifact,
        &args.version,
        &args.key,
        &args.out,
        &args.release,
    )
}

/// `cargo xtask release`.
pub fn release(args: &ReleaseArgs) -> Result<()> {
    let archive = crate::dist::run(&args.dist)?;
    match (&args.key, &args.feed) {
        (Some(key), Some(feed)) => sign_into(
            &archive,
            env!("CARGO_PKG_VERSION"),
            key,
            feed,
            &args.release,
        ),
        _ => {
            eprintln!(
                "release: to publish it, run\n  cargo xtask sign-release --artifact {} --version {} --key KEYFILE --out FEED_DIR --notes \"…\"",
                archive.display(),
                env!("CARGO_PKG_VERSION")
            );
            Ok(())
        }
    }
}

fn sign_into(
    artifact: &Path,
    version: &str,
    key: &Path,
    out: &Path,
    info: &ReleaseInfo,
) -> Result<()> {
    cloudpos_update::semver::Version::parse(version)
        .with_context(|| format!("--version {version} is not a semantic version (e.g. 0.2.0)"))?;
    let name = artifact
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let from_name = name_parts(&name);
    if let Some((named_version, _)) = &from_name
        && named_version != version
    {
        bail!(
            "{name} is the archive of version {named_version}, not {version}: a till would install it, find the wrong version and roll back"
        );
    }
    let target = info
        .target
        .clone()
        .or_else(|| from_name.map(|(_, target)| target));
    let notes = match &info.notes_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .trim_end()
            .to_owned(),
        None => info.notes.clone().unwrap_or_default(),
    };
    let secret = std::fs::read_to_string(key)
        .with_context(|| format!("cannot read the secret key {}", key.display()))?;
    let password = if sign::is_encrypted(&secret)? {
        // None: minisign asks on the terminal.
        std::env::var(PASSWORD_ENV).ok()
    } else {
        None
    };
    let sk = sign::open_secret_key(&secret, password)?;
    let feed = sign::write_feed(
        out,
        artifact,
        &Release {
            version: version.to_owned(),
            notes,
            min_version: info.min_version.clone(),
            target,
        },
        &sk,
    )?;
    println!("{}", out.display());
    eprintln!(
        "sign-release: {} {} ({} bytes, sha256 {}, target {}) signed into {}",
        feed.manifest.artifact,
        feed.manifest.version,
        feed.manifest.size.unwrap_or_default(),
        feed.manifest.sha256,
        feed.manifest.target.as_deref().unwrap_or("any"),
        out.display()
    );
    Ok(())
}

/// `cloudpos-VERSION-OS-ARCH.zip|.tar.gz` → (VERSION, OS-ARCH).
fn name_parts(name: &str) -> Option<(String, String)> {
    let stem = name
        .strip_suffix(".zip")
        .or_else(|| name.strip_suffix(".tar.gz"))?
        .strip_prefix("cloudpos-")?;
    let mut parts = stem.rsplitn(3, '-');
    let arch = parts.next()?;
    let os = parts.next()?;
    let version = parts.next()?;
    Some((version.to_owned(), format!("{os}-{arch}")))
}

fn pub_path(secret: &Path) -> PathBuf {
    let mut s = secret.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

fn new_password() -> Result<String> {
    if let Ok(p) = std::env::var(PASSWORD_ENV) {
        if p.chars().count() < 8 {
            bail!("{PASSWORD_ENV} must hold at least 8 characters");
        }
        return Ok(p);
    }
    let first = rpassword::prompt_password("Password for the new secret key: ")
        .context("cannot read a password from the terminal (or set CLOUDPOS_SIGNING_PASSWORD)")?;
    if first.chars().count() < 8 {
        bail!("the password must have at least 8 characters");
    }
    let again = rpassword::prompt_password("The same password again: ")?;
    if first != again {
        bail!("the passwords differ");
    }
    Ok(first)
}

/// Writes the secret key readable by its owner only (0600 from creation on Unix).
fn write_secret(path: &Path, bytes: &[u8], replace: bool) -> Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names_give_version_and_target() {
        assert_eq!(
            name_parts("cloudpos-0.2.0-windows-x86_64.zip"),
            Some(("0.2.0".into(), "windows-x86_64".into()))
        );
        assert_eq!(
            name_parts("cloudpos-1.0.0-rc.1-linux-aarch64.tar.gz"),
            Some(("1.0.0-rc.1".into(), "linux-aarch64".into()))
        );
        assert_eq!(name_parts("other.zip"), None);
    }

    #[test]
    fn keygen_writes_a_0600_secret_and_never_overwrites_it() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("keys/test.key");
        let args = KeygenArgs {
            out: key.clone(),
            unencrypted: true,
            force: false,
        };
        keygen(&args).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let public = std::fs::read_to_string(pub_path(&key)).unwrap();
        assert!(cloudpos_update::TrustedKey::parse(&public).is_ok());
        let secret = std::fs::read(&key).unwrap();
        let e = keygen(&args).unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        assert_eq!(std::fs::read(&key).unwrap(), secret, "not overwritten");
    }

    #[test]
    fn sign_release_refuses_a_version_the_archive_name_contradicts() {
        let dir = tempfile::tempdir().unwrap();
        let artifact = dir.path().join("cloudpos-0.3.0-linux-x86_64.tar.gz");
        std::fs::write(&artifact, b"x").unwrap();
        let key = dir.path().join("k.key");
        keygen(&KeygenArgs {
            out: key.clone(),
            unencrypted: true,
            force: false,
        })
        .unwrap();
        let info = ReleaseInfo {
            notes: None,
            notes_file: None,
            min_version: None,
            target: None,
        };
        let e = sign_into(&artifact, "0.2.0", &key, &dir.path().join("feed"), &info).unwrap_err();
        assert!(e.to_string().contains("not 0.2.0"), "{e}");
        sign_into(&artifact, "0.3.0", &key, &dir.path().join("feed"), &info).unwrap();
        let manifest: cloudpos_update::Manifest =
            serde_json::from_slice(&std::fs::read(dir.path().join("feed/manifest.json")).unwrap())
                .unwrap();
        assert_eq!(manifest.target.as_deref(), Some("linux-x86_64"));
        assert_eq!(manifest.size, Some(1));
    }
}
