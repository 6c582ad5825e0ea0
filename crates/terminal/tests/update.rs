//! Software update use cases: who may configure and apply, never while a payment is open,
//! audited, over a feed served by a local HTTP server and a fake program directory.
#![allow(missing_docs)]
#![cfg(unix)]

use std::path::{Path, PathBuf};

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, PaymentMethod};
use cloudpos_domain::ports::Ledger;
use cloudpos_terminal::testing::{TestTerminal, test_terminal};
use cloudpos_terminal::{
    CURRENT_VERSION, Terminal, TerminalError, UpdateError, UpdateSettings, UpdateTarget,
};
use cloudpos_update::semver::Version;
use cloudpos_update::sign::{self, Release};
use cloudpos_update::testkit::{
    release_tar_gz, serve_dir, shell_program, snapshot, version_program,
};
use cloudpos_update::{LOCK_FILE, TrustedKey, this_target};

fn id(s: &str) -> ClerkId {
    ClerkId::parse(s).unwrap()
}

fn next_version() -> String {
    let mut v = Version::parse(CURRENT_VERSION).unwrap();
    v.minor += 1;
    v.patch = 0;
    v.to_string()
}

struct Fixture {
    root: tempfile::TempDir,
    t: TestTerminal,
    feed_url: String,
    public_key: String,
    program: PathBuf,
}

impl Fixture {
    fn target(&self) -> UpdateTarget {
        UpdateTarget {
            program_dir: self.program.clone(),
            data_dir: self.root.path().join("data"),
        }
    }
}

/// A terminal (data in ROOT/data), a program directory with the running version, and a
/// feed signed by a throwaway key offering the next version, served over HTTP.
async fn fixture(new_cloudpos: Option<Vec<u8>>) -> Fixture {
    let root = tempfile::tempdir().unwrap();
    let t = test_terminal(&root.path().join("data")).await;
    let program = root.path().join("program");
    std::fs::create_dir_all(&program).unwrap();
    for (name, bytes) in [
        ("cloudpos", version_program(CURRENT_VERSION)),
        ("cashier", shell_program("echo old cashier")),
    ] {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::write(program.join(name), bytes).unwrap();
        std::fs::set_permissions(program.join(name), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let feed = root.path().join("www/feed");
    let build = root.path().join("build");
    std::fs::create_dir_all(&build).unwrap();
    let version = next_version();
    let artifact = release_tar_gz(
        &build,
        &version,
        &new_cloudpos.unwrap_or_else(|| version_program(&version)),
    );
    let pair = sign::generate_keypair(None, "test").unwrap();
    sign::write_feed(
        &feed,
        &artifact,
        &Release {
            version,
            notes: "修复：打印机断线重连".into(),
            min_version: None,
            target: Some(this_target()),
        },
        &sign::open_secret_key(&pair.secret, None).unwrap(),
    )
    .unwrap();
    let feed_url = format!("{}/feed/", serve_dir(root.path().join("www")).await);
    Fixture {
        root,
        t,
        feed_url,
        public_key: pair.public,
        program,
    }
}

async fn configured(f: &Fixture) -> &Terminal {
    let t = &f.t.terminal;
    t.login(&id("09"), "pw09").await.unwrap();
    t.set_update_settings(Some(&f.feed_url), Some(&f.public_key))
        .await
        .unwrap();
    t
}

async fn audit_actions(t: &Terminal) -> Vec<(String, String)> {
    t.audit_log(50)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.entry.action, r.entry.detail))
        .collect()
}

#[tokio::test]
async fn only_an_admin_sets_the_feed_and_key_and_bad_ones_are_refused() {
    let f = fixture(None).await;
    let t = &f.t.terminal;
    assert!(
        t.setting::<UpdateSettings>()
            .await
            .unwrap()
            .feed_url
            .is_none()
    );
    let status = t.update_status().await.unwrap();
    assert!(status.builtin_key, "the built-in key until one is set");
    assert_eq!(status.key_id, TrustedKey::builtin().id());

    t.login(&id("01"), "pw01").await.unwrap();
    let e = t
        .set_update_settings(Some(&f.feed_url), None)
        .await
        .unwrap_err();
    assert!(matches!(e, TerminalError::PermissionDenied(_)), "{e}");

    t.login(&id("09"), "pw09").await.unwrap();
    let e = t
        .set_update_settings(Some("ftp://example/feed"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, TerminalError::Update(UpdateError::BadFeedUrl(_))),
        "{e}"
    );
    let e = t
        .set_update_settings(None, Some("untrusted comment: x\nnot a key\n"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, TerminalError::Update(UpdateError::BadPublicKey(_))),
        "{e}"
    );
    assert!(
        t.setting::<UpdateSettings>()
            .await
            .unwrap()
            .feed_url
            .is_none(),
        "nothing stored"
    );

    let status = t
        .set_update_settings(Some(&f.feed_url), Some(&f.public_key))
        .await
        .unwrap();
    assert!(!status.builtin_key);
    assert_eq!(
        status.key_id,
        TrustedKey::parse(&f.public_key).unwrap().id()
    );
    assert_eq!(status.feed_url.as_deref(), Some(f.feed_url.as_str()));
    let audit = audit_actions(t).await;
    assert!(
        audit
            .iter()
            .any(|(a, d)| a == "config_update" && d.contains(&status.key_id)),
        "{audit:?}"
    );
    // Back to the built-in key; the feed stays.
    let status = t.set_update_settings(None, Some("")).await.unwrap();
    assert!(status.builtin_key);
    assert!(status.feed_url.is_some());
}

#[tokio::test]
async fn check_says_what_is_available_with_the_notes() {
    let f = fixture(None).await;
    let e = f.t.terminal.check_update().await.unwrap_err();
    assert!(
        matches!(e, TerminalError::Update(UpdateError::NoFeed)),
        "{e}"
    );
    let t = configured(&f).await;
    t.logout().await.unwrap();
    // Anyone may check, logged in or not.
    let c = t.check_update().await.unwrap();
    assert_eq!(c.current, CURRENT_VERSION);
    assert_eq!(c.latest, next_version());
    assert!(c.available);
    assert_eq!(c.notes, "修复：打印机断线重连");
}

#[tokio::test]
async fn only_an_admin_applies_with_their_password() {
    let f = fixture(None).await;
    let t = configured(&f).await;
    let before = snapshot(&f.program);
    t.login(&id("01"), "pw01").await.unwrap();
    let e = t.apply_update("pw01", &f.target()).await.unwrap_err();
    assert!(matches!(e, TerminalError::PermissionDenied(_)), "{e}");
    t.login(&id("09"), "pw09").await.unwrap();
    let e = t.apply_update("wrong", &f.target()).await.unwrap_err();
    assert!(matches!(e, TerminalError::Login(_)), "{e}");
    assert_eq!(snapshot(&f.program), before, "nothing changed");
}

fn open_order(t: &Terminal) -> Order {
    let mut o = Order::new(
        NewOrder {
            no: "sz0100OPEN0000000000000001".parse().unwrap(),
            method: PaymentMethod::Wallet(Wallet::WeChat),
            amount: Money::from_fen(1234),
            code_masked: None,
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            clerk_id: id("02"),
            shift_id: None,
            body: "b".into(),
            remark: String::new(),
        },
        t.now(),
    );
    o.submit(o.created_at).unwrap();
    o
}

#[tokio::test]
async fn never_while_a_payment_is_open_then_applies_and_is_audited() {
    let f = fixture(None).await;
    let t = configured(&f).await;
    let order = open_order(t);
    f.t.store.insert_order(&order).await.unwrap();
    let data_before = snapshot(&f.root.path().join("data"));
    let before = snapshot(&f.program);
    let e = t.apply_update("pw09", &f.target()).await.unwrap_err();
    assert!(
        matches!(e, TerminalError::Update(UpdateError::PaymentOpen(_))),
        "{e}"
    );
    assert!(
        e.to_string().contains(order.no.as_str()),
        "names the order: {e}"
    );
    assert_eq!(snapshot(&f.program), before, "nothing changed");

    // The payment ends (here: the cloud says it failed); now the update applies.
    let mut done = order.clone();
    done.mark_failed("test", t.now()).unwrap();
    f.t.store.update_order(&done, order.state).await.unwrap();
    let applied = t.apply_update("pw09", &f.target()).await.unwrap();
    assert_eq!(applied.to, next_version());
    assert_eq!(
        std::fs::read(f.program.join("cloudpos")).unwrap(),
        version_program(&next_version())
    );
    assert_eq!(
        std::fs::read(f.program.join("cashier")).unwrap(),
        shell_program("echo cashier new")
    );
    // The data directory: the same files; the ledger grew only by the audit records.
    let data_after = snapshot(&f.root.path().join("data"));
    assert_eq!(
        data_after.keys().collect::<Vec<_>>(),
        data_before.keys().collect::<Vec<_>>()
    );
    let audit = audit_actions(t).await;
    let outcomes: Vec<&str> = audit
        .iter()
        .filter(|(a, _)| a == "update_apply")
        .map(|(_, d)| d.as_str())
        .collect();
    assert_eq!(
        outcomes.len(),
        1,
        "the refusal came before the download: {audit:?}"
    );
    assert!(
        outcomes[0].contains("\"outcome\":\"applied\""),
        "{outcomes:?}"
    );
    assert!(outcomes[0].contains(&next_version()), "{outcomes:?}");
}

#[tokio::test]
async fn a_refused_or_rolled_back_update_is_audited() {
    // The new program does not start: rolled back, audited as such.
    let f = fixture(Some(shell_program("exit 3"))).await;
    let t = configured(&f).await;
    let before = snapshot(&f.program);
    let e = t.apply_update("pw09", &f.target()).await.unwrap_err();
    assert!(
        matches!(e, TerminalError::Update(UpdateError::RolledBack { .. })),
        "{e}"
    );
    let mut after = snapshot(&f.program);
    after.remove(Path::new(LOCK_FILE));
    assert_eq!(after, before);
    // Trusting the built-in key instead: the test feed's signature is refused.
    t.set_update_settings(None, Some("")).await.unwrap();
    let e = t.apply_update("pw09", &f.target()).await.unwrap_err();
    assert!(
        matches!(e, TerminalError::Update(UpdateError::WrongKey { .. })),
        "{e}"
    );
    let audit = audit_actions(t).await;
    let outcomes: Vec<&str> = audit
        .iter()
        .filter(|(a, _)| a == "update_apply")
        .map(|(_, d)| d.as_str())
        .collect();
    assert_eq!(outcomes.len(), 2, "{audit:?}");
    assert!(outcomes[0].contains("\"outcome\":\"refused\"") && outcomes[0].contains("wrong key"));
    assert!(outcomes[1].contains("\"outcome\":\"rolled_back\""));
}
