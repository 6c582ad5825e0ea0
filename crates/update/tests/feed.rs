//! Signed updates end to end: a feed served by a local HTTP server, a fake program
//! directory whose `cloudpos` is a shell script reporting its version, and the real
//! download, verification, unpacking, replacement and rollback code.
#![allow(missing_docs)]
#![cfg(unix)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cloudpos_update::semver::Version;
use cloudpos_update::sign::{self, Release};
use cloudpos_update::testkit::{
    release_tar_gz, serve_dir, sha256_hex as sha256, shell_program, snapshot, tar_gz,
    version_program,
};
use cloudpos_update::{
    ApplyOptions, FeedClient, HttpSettings, LOCK_FILE, StartCleanup, TrustedKey, UpdateError,
    WORK_DIR, apply, check, finish_at_start, this_target,
};

const CURRENT: &str = "0.1.0";

fn script(body: &str) -> Vec<u8> {
    shell_program(body)
}

fn good_program(version: &str) -> Vec<u8> {
    version_program(version)
}

async fn serve(root: PathBuf) -> String {
    format!("{}/feed", serve_dir(root).await)
}

fn release_zip(dir: &Path, version: &str, cloudpos: &[u8]) -> PathBuf {
    use zip::write::SimpleFileOptions;
    let stem = format!("cloudpos-{version}-{}", this_target());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, mode) in [
        ("cloudpos", cloudpos.to_vec(), 0o755),
        ("cashier", script("echo cashier zip"), 0o755),
    ] {
        zip.start_file(
            format!("{stem}/{name}"),
            SimpleFileOptions::default().unix_permissions(mode),
        )
        .unwrap();
        zip.write_all(&bytes).unwrap();
    }
    let path = dir.join(format!("{stem}.zip"));
    std::fs::write(&path, zip.finish().unwrap().into_inner()).unwrap();
    path
}

struct Keys {
    secret: sign::SecretKey,
    trusted: TrustedKey,
}

fn keys() -> Keys {
    let pair = sign::generate_keypair(None, "test").unwrap();
    Keys {
        secret: sign::open_secret_key(&pair.secret, None).unwrap(),
        trusted: TrustedKey::parse(&pair.public).unwrap(),
    }
}

/// A fake installation: the old programs, and a data directory inside the program
/// directory (the fence around it is part of what is tested).
fn installation(root: &Path) -> PathBuf {
    let program = root.join("program");
    std::fs::create_dir_all(program.join("data")).unwrap();
    for (name, bytes) in [
        ("cloudpos", good_program(CURRENT)),
        ("cashier", script("echo cashier old")),
        ("快速上手.txt", "旧版本\n".as_bytes().to_vec()),
        ("data/cloudpos.db", b"SQLite format 3\0ledger".to_vec()),
        ("data/master.key", b"0123456789abcdef".to_vec()),
    ] {
        std::fs::write(program.join(name), bytes).unwrap();
    }
    for name in ["cloudpos", "cashier"] {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(program.join(name), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    program
}

fn options(program: &Path) -> ApplyOptions {
    ApplyOptions {
        program_dir: program.to_path_buf(),
        protect: vec![program.join("data")],
        version_timeout: Duration::from_secs(30),
    }
}

fn current() -> Version {
    Version::parse(CURRENT).unwrap()
}

struct Setup {
    _root: tempfile::TempDir,
    program: PathBuf,
    feed_dir: PathBuf,
    url: String,
    keys: Keys,
}

async fn setup() -> Setup {
    let root = tempfile::tempdir().unwrap();
    let program = installation(root.path());
    let feed_dir = root.path().join("www/feed");
    std::fs::create_dir_all(&feed_dir).unwrap();
    let url = serve(root.path().join("www")).await;
    Setup {
        program,
        feed_dir,
        url,
        keys: keys(),
        _root: root,
    }
}

impl Setup {
    fn publish(&self, artifact: &Path, version: &str, notes: &str, min: Option<&str>) {
        sign::write_feed(
            &self.feed_dir,
            artifact,
            &Release {
                version: version.into(),
                notes: notes.into(),
                min_version: min.map(Into::into),
                target: Some(this_target()),
            },
            &self.keys.secret,
        )
        .unwrap();
    }

    fn client(&self) -> FeedClient {
        FeedClient::new(
            &self.url,
            self.keys.trusted.clone(),
            &HttpSettings::default(),
        )
        .unwrap()
    }

    fn scratch(&self) -> PathBuf {
        let d = self
            .feed_dir
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("build");
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

#[tokio::test]
async fn a_good_update_applies_and_keeps_the_data() {
    let s = setup().await;
    let new_cloudpos = good_program("0.2.0");
    let artifact = release_tar_gz(&s.scratch(), "0.2.0", &new_cloudpos);
    s.publish(&artifact, "0.2.0", "新增：软件更新", None);
    let before = snapshot(&s.program);

    let c = check(&s.client(), &current()).await.unwrap();
    assert_eq!(
        (
            c.current.as_str(),
            c.latest.as_str(),
            c.available,
            c.notes.as_str()
        ),
        ("0.1.0", "0.2.0", true, "新增：软件更新")
    );
    assert_eq!(c.blocked, None);

    let applied = apply(&s.client(), &current(), &options(&s.program))
        .await
        .unwrap();
    assert_eq!(
        (applied.from.as_str(), applied.to.as_str()),
        ("0.1.0", "0.2.0")
    );
    let after = snapshot(&s.program);
    assert_eq!(after[Path::new("cloudpos")], new_cloudpos);
    assert_eq!(after[Path::new("cashier")], script("echo cashier new"));
    assert_eq!(
        after[Path::new("快速上手.txt")],
        "新版本 0.2.0\n".as_bytes()
    );
    assert!(after.contains_key(Path::new("licenses/font.txt")));
    assert!(after.contains_key(Path::new("SHA256SUMS")));
    for data in ["data/cloudpos.db", "data/master.key"] {
        assert_eq!(after[Path::new(data)], before[Path::new(data)], "{data}");
    }
    assert!(
        !s.program.join(WORK_DIR).exists(),
        "no backups or staging left"
    );
    let out = std::process::Command::new(s.program.join("cloudpos"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "cloudpos 0.2.0"
    );

    // Now it is current: nothing newer, and applying again is refused by name.
    let now = Version::parse("0.2.0").unwrap();
    assert!(!check(&s.client(), &now).await.unwrap().available);
    let e = apply(&s.client(), &now, &options(&s.program))
        .await
        .unwrap_err();
    assert!(matches!(e, UpdateError::NotNewer { .. }), "{e}");
    assert!(e.to_string().starts_with("not newer"), "{e}");
}

#[tokio::test]
async fn a_zip_release_applies_too() {
    let s = setup().await;
    let artifact = release_zip(&s.scratch(), "0.3.0", &good_program("0.3.0"));
    s.publish(&artifact, "0.3.0", "", None);
    apply(&s.client(), &current(), &options(&s.program))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(s.program.join("cashier")).unwrap(),
        script("echo cashier zip")
    );
    // The old quick start is not in this release and stays as it was.
    assert_eq!(
        std::fs::read(s.program.join("快速上手.txt")).unwrap(),
        "旧版本\n".as_bytes()
    );
}

/// Applies, expects `want`, and checks that the program directory is byte for byte as
/// before (no lock, no work folder: nothing was touched).
async fn refused(s: &Setup, client: &FeedClient, want: fn(&UpdateError) -> bool, name: &str) {
    let before = snapshot(&s.program);
    let e = apply(client, &current(), &options(&s.program))
        .await
        .unwrap_err();
    assert!(want(&e), "expected {name}, got: {e}");
    assert!(e.to_string().starts_with(name), "the error names it: {e}");
    assert_eq!(snapshot(&s.program), before, "nothing changed");
}

#[tokio::test]
async fn a_tampered_artifact_is_refused_and_nothing_changes() {
    let s = setup().await;
    let artifact = release_tar_gz(&s.scratch(), "0.2.0", &good_program("0.2.0"));
    s.publish(&artifact, "0.2.0", "", None);
    let served = s.feed_dir.join(artifact.file_name().unwrap());
    let mut bytes = std::fs::read(&served).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&served, &bytes).unwrap();
    refused(
        &s,
        &s.client(),
        |e| matches!(e, UpdateError::HashMismatch { .. }),
        "hash mismatch",
    )
    .await;

    // A longer file (something appended) is cut off at the signed size and refused too.
    bytes[i] ^= 0x01;
    bytes.extend_from_slice(b"#!/bin/sh\nrm -rf /\n");
    std::fs::write(&served, &bytes).unwrap();
    refused(
        &s,
        &s.client(),
        |e| matches!(e, UpdateError::SizeMismatch { .. }),
        "size mismatch",
    )
    .await;
}

#[tokio::test]
async fn a_tampered_manifest_is_refused_and_nothing_changes() {
    let s = setup().await;
    let artifact = release_tar_gz(&s.scratch(), "0.2.0", &good_program("0.2.0"));
    s.publish(&artifact, "0.2.0", "notes", None);
    // Point the signed manifest at another archive (e.g. a malicious one with its hash).
    let evil = release_tar_gz(
        &s.scratch(),
        "0.2.0",
        &script("echo \"cloudpos 0.2.0\"; echo pwned"),
    );
    std::fs::copy(&evil, s.feed_dir.join(evil.file_name().unwrap())).unwrap();
    let path = s.feed_dir.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let evil_bytes = std::fs::read(&evil).unwrap();
    manifest["sha256"] = sha256(&evil_bytes).into();
    manifest["size"] = (evil_bytes.len() as u64).into();
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    refused(
        &s,
        &s.client(),
        |e| matches!(e, UpdateError::BadSignature { .. }),
        "bad signature",
    )
    .await;
    // `check` refuses it the same way: an unverified manifest is never shown.
    assert!(matches!(
        check(&s.client(), &current()).await,
        Err(UpdateError::BadSignature { .. })
    ));
}

#[tokio::test]
async fn a_feed_signed_by_another_key_is_refused_and_nothing_changes() {
    let s = setup().await;
    let artifact = release_tar_gz(&s.scratch(), "0.2.0", &good_program("0.2.0"));
    s.publish(&artifact, "0.2.0", "", None);
    let other = keys();
    let client = FeedClient::new(&s.url, other.trusted.clone(), &HttpSettings::default()).unwrap();
    refused(
        &s,
        &client,
        |e| matches!(e, UpdateError::WrongKey { .. }),
        "wrong key",
    )
    .await;
    // The built-in project key does not trust a test key either.
    let client = FeedClient::new(&s.url, TrustedKey::builtin(), &HttpSettings::default()).unwrap();
    refused(
        &s,
        &client,
        |e| matches!(e, UpdateError::WrongKey { .. }),
        "wrong key",
    )
    .await;
}

#[tokio::test]
async fn not_newer_and_min_version_are_refused_by_name() {
    let s = setup().await;
    let artifact = release_tar_gz(&s.scratch(), "0.1.0", &good_program("0.1.0"));
    s.publish(&artifact, "0.1.0", "", None);
    refused(
        &s,
        &s.client(),
        |e| matches!(e, UpdateError::NotNewer { .. }),
        "not newer",
    )
    .await;
    let artifact = release_tar_gz(&s.scratch(), "0.5.0", &good_program("0.5.0"));
    s.publish(&artifact, "0.5.0", "", Some("0.4.0"));
    refused(
        &s,
        &s.client(),
        |e| matches!(e, UpdateError::BelowMinVersion { .. }),
        "min_version",
    )
    .await;
    let c = check(&s.client(), &current()).await.unwrap();
    assert!(c.available);
    assert!(c.blocked.unwrap().contains("0.4.0"));
}

#[tokio::test]
async fn a_new_version_that_does_not_start_is_rolled_back() {
    for (broken, why) in [
        (script("echo 'cannot load library' >&2; exit 127"), "exited"),
        (good_program("0.1.9"), "reports version 0.1.9"),
        (script("echo hello"), "instead of its version"),
    ] {
        let s = setup().await;
        let artifact = release_tar_gz(&s.scratch(), "0.2.0", &broken);
        s.publish(&artifact, "0.2.0", "", None);
        let before = snapshot(&s.program);
        let e = apply(&s.client(), &current(), &options(&s.program))
            .await
            .unwrap_err();
        assert!(matches!(e, UpdateError::RolledBack { .. }), "{e}");
        assert!(e.to_string().contains(why), "{why}: {e}");
        assert!(e.to_string().contains("0.1.0 is installed again"), "{e}");
        let mut after = snapshot(&s.program);
        assert_eq!(after.remove(Path::new(LOCK_FILE)), Some(Vec::new()));
        assert_eq!(after, before, "every file put back, nothing added");
    }
}

#[tokio::test]
async fn one_update_at_a_time() {
    let s = setup().await;
    let artifact = release_tar_gz(&s.scratch(), "0.2.0", &good_program("0.2.0"));
    s.publish(&artifact, "0.2.0", "", None);
    let held = std::fs::File::create(s.program.join(LOCK_FILE)).unwrap();
    held.lock().unwrap();
    let e = apply(&s.client(), &current(), &options(&s.program))
        .await
        .unwrap_err();
    assert!(matches!(e, UpdateError::Busy(_)), "{e}");
    drop(held);
    apply(&s.client(), &current(), &options(&s.program))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_release_writing_into_the_data_directory_is_refused() {
    let s = setup().await;
    let stem = format!("cloudpos-0.2.0-{}", this_target());
    let artifact = tar_gz(
        &s.scratch(),
        &stem,
        &[
            ("cloudpos".into(), good_program("0.2.0"), 0o755),
            ("data/cloudpos.db".into(), b"wiped".to_vec(), 0o644),
        ],
    );
    s.publish(&artifact, "0.2.0", "", None);
    let before = snapshot(&s.program);
    let e = apply(&s.client(), &current(), &options(&s.program))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("inside the data directory"), "{e}");
    let mut after = snapshot(&s.program);
    after.remove(Path::new(LOCK_FILE));
    assert_eq!(after, before);
}

#[test]
fn an_interrupted_install_is_rolled_back_at_the_next_start() {
    let root = tempfile::tempdir().unwrap();
    let program = installation(root.path());
    let before = snapshot(&program);
    // What a crash halfway leaves: `cloudpos` replaced (its backup kept), a new file
    // written, the journal still saying "installing".
    let work = program.join(WORK_DIR);
    std::fs::create_dir_all(work.join("backup")).unwrap();
    std::fs::copy(program.join("cloudpos"), work.join("backup/cloudpos")).unwrap();
    std::fs::write(program.join("cloudpos"), good_program("0.2.0")).unwrap();
    std::fs::write(program.join("NEW.txt"), b"new").unwrap();
    std::fs::write(
        work.join("journal.json"),
        serde_json::json!({
            "from": "0.1.0", "to": "0.2.0", "state": "installing",
            "files": [
                {"path": "cloudpos", "existed": true},
                {"path": "NEW.txt", "existed": false},
                {"path": "cashier", "existed": true},
            ],
        })
        .to_string(),
    )
    .unwrap();
    assert_eq!(
        finish_at_start(&program).unwrap(),
        StartCleanup::RolledBack {
            version: "0.1.0".into()
        }
    );
    let mut after = snapshot(&program);
    after.remove(Path::new(LOCK_FILE));
    assert_eq!(after, before);
    assert_eq!(finish_at_start(&program).unwrap(), StartCleanup::Nothing);
}

#[test]
fn an_encrypted_secret_key_needs_its_password() {
    let pair = sign::generate_keypair(Some("correct horse"), "test").unwrap();
    assert!(sign::is_encrypted(&pair.secret).unwrap());
    assert!(
        !pair
            .secret
            .contains(&pair.public.lines().nth(1).unwrap()[..20])
    );
    assert!(sign::open_secret_key(&pair.secret, Some("wrong password".into())).is_err());
    let sk = sign::open_secret_key(&pair.secret, Some("correct horse".into())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("cloudpos-0.2.0-linux-x86_64.tar.gz");
    std::fs::write(&artifact, b"archive").unwrap();
    let feed = sign::write_feed(
        &dir.path().join("feed"),
        &artifact,
        &Release {
            version: "0.2.0".into(),
            ..Release::default()
        },
        &sk,
    )
    .unwrap();
    let key = TrustedKey::parse(&pair.public).unwrap();
    let manifest = std::fs::read(&feed.manifest_path).unwrap();
    let signature = std::fs::read_to_string(&feed.signature_path).unwrap();
    key.verify(&manifest, &signature).unwrap();
    assert!(matches!(
        key.verify(b"other bytes", &signature),
        Err(UpdateError::BadSignature { .. })
    ));
    assert_eq!(pair.id, key.id());
}
