//! `cloudpos config update`, `update`, `update check` and `update apply` through the real
//! binary: a feed signed with a throwaway key served over HTTP, a fake program directory,
//! a good update, tampered ones refused by name with nothing changed, a rollback.
#![allow(missing_docs)]
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};

use cloudpos_update::sign::{self, Release};
use cloudpos_update::testkit::{
    release_tar_gz, serve_dir, sha256_hex, shell_program, snapshot, version_program,
};
use cloudpos_update::{LOCK_FILE, this_target};
use common::{ADMIN_PW, Env};

const NEXT: &str = "0.99.0";

struct Feed {
    root: tempfile::TempDir,
    url: String,
    public_key: PathBuf,
    secret: sign::SecretKey,
}

impl Feed {
    fn new(env: &Env) -> Feed {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("www/feed")).unwrap();
        let url = format!(
            "{}/feed",
            env.rt.block_on(serve_dir(root.path().join("www")))
        );
        let pair = sign::generate_keypair(None, "cli test").unwrap();
        let public_key = root.path().join("provider.pub");
        std::fs::write(&public_key, &pair.public).unwrap();
        Feed {
            url,
            public_key,
            secret: sign::open_secret_key(&pair.secret, None).unwrap(),
            root,
        }
    }

    fn dir(&self) -> PathBuf {
        self.root.path().join("www/feed")
    }

    /// Publishes a release whose `cloudpos` is `program`.
    fn publish(&self, program: &[u8]) -> PathBuf {
        let build = self.root.path().join("build");
        std::fs::create_dir_all(&build).unwrap();
        let artifact = release_tar_gz(&build, NEXT, program);
        sign::write_feed(
            &self.dir(),
            &artifact,
            &Release {
                version: NEXT.into(),
                notes: "新版本：支持软件更新".into(),
                min_version: Some("0.1.0".into()),
                target: Some(this_target()),
            },
            &self.secret,
        )
        .unwrap();
        self.dir().join(artifact.file_name().unwrap())
    }
}

/// A program directory holding the running version's `cloudpos` and a `cashier`.
fn program_dir(root: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = root.join("program");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in [
        ("cloudpos", version_program(env!("CARGO_PKG_VERSION"))),
        ("cashier", shell_program("echo cashier")),
    ] {
        std::fs::write(dir.join(name), bytes).unwrap();
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

fn apply(env: &Env, program: &Path) -> std::process::Output {
    env.run(
        &[
            "update",
            "apply",
            "--program-dir",
            program.to_str().unwrap(),
        ],
        Some(ADMIN_PW),
    )
}

fn refused(env: &Env, program: &Path, name: &str) {
    let before = snapshot(program);
    let out = apply(env, program);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(name), "the error names {name:?}: {stderr}");
    assert!(stderr.contains("nothing was installed"), "{stderr}");
    assert_eq!(snapshot(program), before, "nothing changed");
}

#[test]
fn update_shows_the_version_and_the_trusted_key() {
    let env = Env::start();
    let out = env.ok(&["update"], None);
    assert!(
        out.contains(&format!("CloudPOS {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    assert!(out.contains("not configured"), "{out}");
    assert!(out.contains("(built in)"), "{out}");
    let out = env.run(&["update", "check"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no update feed is configured"));
}

#[test]
fn config_update_refuses_bad_input_by_name() {
    let env = Env::start();
    let out = env.run(&["config", "update", "--feed", "ftp://x/feed"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad update feed address"));
    let bad = env.home().join("bad.pub");
    std::fs::write(&bad, "untrusted comment: x\nRWQnotakey\n").unwrap();
    let out = env.run(
        &["config", "update", "--public-key", bad.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.pub") && stderr.contains("bad public key"),
        "{stderr}"
    );
    // A clerk may not change it.
    env.ok(
        &[
            "clerk",
            "add",
            "--id",
            "07",
            "--name",
            "收银员",
            "--role",
            "clerk",
        ],
        Some("pw07pw07"),
    );
    env.ok(&["login", "--staff", "07"], Some("pw07pw07"));
    let out = env.run(
        &["config", "update", "--feed", "http://127.0.0.1:9/feed"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("permission denied"));
}

#[test]
fn a_signed_update_applies_and_tampered_ones_are_refused() {
    let env = Env::start();
    let feed = Feed::new(&env);
    let artifact = feed.publish(&version_program(NEXT));
    let (code, v) = env.json(
        &[
            "config",
            "update",
            "--feed",
            &feed.url,
            "--public-key",
            feed.public_key.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["builtin_key"], false);
    assert_eq!(v["feed"], format!("{}/", feed.url));

    let (code, v) = env.json(&["update", "check", "--json"], None);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["current"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["latest"], NEXT);
    assert_eq!(v["available"], true);
    assert_eq!(v["notes"], "新版本：支持软件更新");

    let root = tempfile::tempdir().unwrap();
    let program = program_dir(root.path());

    // A tampered archive (one byte).
    let good = std::fs::read(&artifact).unwrap();
    let mut bad = good.clone();
    let i = bad.len() / 2;
    bad[i] ^= 0x20;
    std::fs::write(&artifact, &bad).unwrap();
    refused(&env, &program, "hash mismatch");
    std::fs::write(&artifact, &good).unwrap();

    // A tampered manifest (the notes changed after signing).
    let manifest_path = feed.dir().join("manifest.json");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    std::fs::write(
        &manifest_path,
        manifest.replace("支持软件更新", "请立即安装"),
    )
    .unwrap();
    refused(&env, &program, "bad signature");
    std::fs::write(&manifest_path, &manifest).unwrap();

    // Trusting another key (here: the one built into the program).
    env.ok(&["config", "update", "--builtin-key"], None);
    refused(&env, &program, "wrong key");
    env.ok(
        &[
            "config",
            "update",
            "--public-key",
            feed.public_key.to_str().unwrap(),
        ],
        None,
    );

    // The good one.
    let out = apply(&env, &program);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("→ {NEXT}")), "{stdout}");
    assert_eq!(
        std::fs::read(program.join("cloudpos")).unwrap(),
        version_program(NEXT)
    );
    assert_eq!(
        std::fs::read(program.join("cashier")).unwrap(),
        shell_program("echo cashier new")
    );
    assert!(program.join("SHA256SUMS").exists());
    // The audit chain has it.
    let audit = env.ok(&["audit", "list", "--json"], None);
    assert!(
        audit.contains("update_apply") && audit.contains(&sha256_hex(&good)),
        "{audit}"
    );
    env.ok(&["audit", "verify"], None);
}

#[test]
fn a_new_version_that_does_not_start_is_rolled_back() {
    let env = Env::start();
    let feed = Feed::new(&env);
    feed.publish(&shell_program("echo 'segmentation fault' >&2; exit 139"));
    env.ok(
        &[
            "config",
            "update",
            "--feed",
            &feed.url,
            "--public-key",
            feed.public_key.to_str().unwrap(),
        ],
        None,
    );
    let root = tempfile::tempdir().unwrap();
    let program = program_dir(root.path());
    let before = snapshot(&program);
    let out = apply(&env, &program);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("did not start") && stderr.contains("rolled back"),
        "{stderr}"
    );
    let mut after = snapshot(&program);
    after.remove(Path::new(LOCK_FILE));
    assert_eq!(after, before);
}

#[test]
fn the_real_cloudpos_reports_its_version_as_the_installer_expects() {
    use cloudpos_update::semver::Version;
    let bin = Path::new(common::BIN);
    let timeout = std::time::Duration::from_secs(60);
    let this = Version::parse(env!("CARGO_PKG_VERSION")).unwrap();
    cloudpos_update::check_version(bin, &this, timeout).unwrap();
    let e =
        cloudpos_update::check_version(bin, &Version::parse(NEXT).unwrap(), timeout).unwrap_err();
    assert!(e.contains(&format!("reports version {this}")), "{e}");
}
