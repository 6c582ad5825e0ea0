//! The till side of the head office over a fake link and an in-memory outbox: configuring
//! (the token exchanged once, the credential sealed, audited), pushing in batches,
//! acknowledging only what was applied, retrying after a failure without losing or
//! doubling anything, resending after a gap, and pulling the catalogue.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::hq_ports::ManagedCommodity;
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::{SecretVault, Settings};
use cloudpos_terminal::testing::{
    FAKE_CREDENTIAL, FAKE_ENROL_TOKEN, FakeHeadOffice, FakeOutbox, PushScript, TestTerminal,
    test_terminal,
};
use cloudpos_terminal::{HeadOfficeSettings, Ports, Terminal, TerminalConfig, TerminalError};

const URL: &str = "http://127.0.0.1:8080";

struct Till {
    tt: TestTerminal,
    terminal: Terminal,
    outbox: FakeOutbox,
    hq: FakeHeadOffice,
    _dir: tempfile::TempDir,
}

async fn till() -> Till {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let outbox = FakeOutbox::new();
    let hq = FakeHeadOffice::new();
    let terminal = Terminal::new(
        Ports {
            head_office: Some(Arc::new(outbox.clone())),
            ..tt.ports.clone()
        },
        TerminalConfig::default(),
    );
    terminal.set_head_office_link(Some(Arc::new(hq.clone())));
    Till {
        tt,
        terminal,
        outbox,
        hq,
        _dir: dir,
    }
}

async fn configured() -> Till {
    let t = till().await;
    t.terminal
        .login(&ClerkId::parse("01").unwrap(), "pw01")
        .await
        .unwrap();
    t.terminal
        .configure_head_office(URL, FAKE_ENROL_TOKEN)
        .await
        .unwrap();
    t
}

/// Every change the till wrote reached the head office exactly once.
fn assert_all_applied_once(t: &Till, n: i64) {
    let applied = t.hq.applied();
    assert_eq!(
        applied.len() as i64,
        n,
        "every change reached the head office"
    );
    assert_eq!(
        applied.keys().copied().collect::<Vec<_>>(),
        (1..=n).collect::<Vec<_>>()
    );
    assert!(
        t.hq.applications().values().all(|&k| k == 1),
        "no change applied twice: {:?}",
        t.hq.applications()
            .iter()
            .filter(|(_, k)| **k > 1)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn configuring_exchanges_the_token_once_and_seals_the_credential() {
    let t = till().await;
    // Nobody logged in, then a clerk without the configure permission.
    assert!(matches!(
        t.terminal
            .configure_head_office(URL, FAKE_ENROL_TOKEN)
            .await,
        Err(TerminalError::NotLoggedIn)
    ));
    t.terminal
        .login(&ClerkId::parse("02").unwrap(), "pw02")
        .await
        .unwrap();
    assert!(matches!(
        t.terminal
            .configure_head_office(URL, FAKE_ENROL_TOKEN)
            .await,
        Err(TerminalError::PermissionDenied(_))
    ));
    t.terminal
        .login(&ClerkId::parse("01").unwrap(), "pw01")
        .await
        .unwrap();
    // Plain http off this machine is refused before anything is sent.
    let e = t
        .terminal
        .configure_head_office("http://10.0.0.5:8080", FAKE_ENROL_TOKEN)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("plain http"), "{e}");
    // A wrong token stores nothing.
    let e = t
        .terminal
        .configure_head_office(URL, "hqe_wrong")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("enrolment_invalid"), "{e}");
    assert_eq!(
        t.terminal
            .setting::<HeadOfficeSettings>()
            .await
            .unwrap()
            .url,
        None
    );
    assert!(t.tt.store.load("hq.credential").await.unwrap().is_none());
    assert!(!t.terminal.head_office_status().await.unwrap().configured);
    assert!(!t.outbox.enabled());

    let enrolled = t
        .terminal
        .configure_head_office(" http://127.0.0.1:8080/ ", FAKE_ENROL_TOKEN)
        .await
        .unwrap();
    assert_eq!(
        (enrolled.store.as_str(), enrolled.device.as_str()),
        ("南山店", "till-1")
    );
    assert_eq!(enrolled.url, URL);
    assert!(t.outbox.enabled(), "the outbox is on");
    // Sealed in the vault; the settings keep the address only.
    assert_eq!(
        t.tt.store.load("hq.credential").await.unwrap().unwrap(),
        FAKE_CREDENTIAL.as_bytes()
    );
    let stored =
        t.tt.store
            .get("head_office")
            .await
            .unwrap()
            .unwrap()
            .to_string();
    assert!(!stored.contains(FAKE_CREDENTIAL), "{stored}");
    let state =
        t.tt.store
            .get("head_office.state")
            .await
            .unwrap()
            .unwrap()
            .to_string();
    assert!(!state.contains(FAKE_CREDENTIAL), "{state}");
    let audit = t.terminal.audit_log(3).await.unwrap();
    assert_eq!(audit[0].entry.action, "config_hq");
    assert!(audit[0].entry.detail.contains("127.0.0.1:8080"));
    assert!(!audit[0].entry.detail.contains(FAKE_CREDENTIAL));
    let status = t.terminal.head_office_status().await.unwrap();
    assert!(status.configured);
    assert_eq!(status.terminal_id, Some(7));
    // The token was used: a second exchange is refused.
    assert!(
        t.terminal
            .configure_head_office(URL, FAKE_ENROL_TOKEN)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn syncing_without_a_head_office_says_how_to_configure_one() {
    let t = till().await;
    let e = t.terminal.sync_head_office().await.unwrap_err();
    assert!(e.to_string().contains("cloudpos config hq"), "{e}");
    let s = t.terminal.head_office_status().await.unwrap();
    assert!(!s.configured);
    assert_eq!((s.pending, s.lag_ms), (0, 0));
}

#[tokio::test]
async fn the_outbox_goes_in_batches_until_empty() {
    let t = configured().await;
    t.outbox.record_many(t.terminal.now(), 2500);
    t.tt.clock.advance(Duration::from_secs(3));
    let before = t.terminal.head_office_status().await.unwrap();
    assert_eq!(before.pending, 2500);
    assert_eq!(before.lag_ms, 3000, "the oldest change waits since 3 s");
    assert_eq!(before.last_sync, None);

    let r = t.terminal.sync_head_office().await.unwrap();
    assert_eq!(r.applied, 2500);
    assert_eq!(r.pending, 0);
    assert_eq!(
        t.hq.pushes(),
        vec![(1, 1000, 1000), (1001, 2000, 1000), (2001, 2500, 500)],
        "batches of at most MAX_BATCH, ascending"
    );
    assert_eq!(
        t.hq.backlogs(),
        vec![1500, 500, 0],
        "each push reports what stays queued"
    );
    assert_all_applied_once(&t, 2500);
    let after = t.terminal.head_office_status().await.unwrap();
    assert_eq!((after.pending, after.lag_ms), (0, 0));
    assert_eq!(after.last_sync, Some(t.terminal.now()));
    assert_eq!(after.acknowledged_through, 2500);
    assert_eq!(after.last_error, None);

    // Nothing pending: one empty push reports the till alive.
    t.terminal.sync_head_office().await.unwrap();
    assert_eq!(t.hq.pushes().last(), Some(&(0, 0, 0)));
}

#[tokio::test]
async fn a_link_failing_mid_batch_loses_nothing_and_doubles_nothing() {
    let t = configured().await;
    t.outbox.record_many(t.terminal.now(), 2500);
    // The second batch never arrives; the third attempt (next sync) meets a head office
    // that is unavailable; then all goes well.
    t.hq.script([PushScript::ApplyOnly(1000), PushScript::Unreachable]);
    let e = t.terminal.sync_head_office().await.unwrap_err();
    assert!(e.to_string().contains("cannot be reached"), "{e}");
    assert_eq!(
        t.outbox.acknowledged(),
        1000,
        "the first batch, applied, is acknowledged"
    );
    assert_eq!(t.outbox.pending().len(), 1500, "the rest stays queued");
    let s = t.terminal.head_office_status().await.unwrap();
    assert_eq!(s.pending, 1500);
    assert!(
        s.last_error
            .as_deref()
            .is_some_and(|e| e.contains("cannot be reached"))
    );
    assert_eq!(s.last_sync, None, "no sync has succeeded yet");

    t.hq.script([PushScript::Unavailable]);
    let e = t.terminal.sync_head_office().await.unwrap_err();
    assert!(e.to_string().contains("unavailable"), "{e}");
    assert_eq!(t.outbox.pending().len(), 1500);

    let r = t.terminal.sync_head_office().await.unwrap();
    assert_eq!((r.applied, r.duplicates, r.pending), (1500, 0, 0));
    assert_all_applied_once(&t, 2500);
    let s = t.terminal.head_office_status().await.unwrap();
    assert_eq!(s.last_error, None);
    assert!(s.last_sync.is_some());
}

#[tokio::test]
async fn a_lost_answer_is_resent_and_skipped_by_the_head_office() {
    let t = configured().await;
    t.outbox.record_many(t.terminal.now(), 10);
    t.hq.script([PushScript::LoseAnswer]);
    assert!(t.terminal.sync_head_office().await.is_err());
    assert_eq!(
        t.outbox.acknowledged(),
        0,
        "no answer: nothing acknowledged"
    );
    assert_eq!(t.outbox.pending().len(), 10);
    assert_eq!(
        t.hq.applied_through(),
        10,
        "yet the head office committed them"
    );

    let r = t.terminal.sync_head_office().await.unwrap();
    assert_eq!((r.applied, r.duplicates), (0, 10), "the resend is skipped");
    assert_eq!(t.outbox.pending().len(), 0);
    assert_all_applied_once(&t, 10);
}

#[tokio::test]
async fn only_what_the_head_office_applied_is_acknowledged() {
    let t = configured().await;
    t.outbox.record_many(t.terminal.now(), 10);
    // The head office applies 4 of 10 and says so: 5–10 are sent again.
    t.hq.script([PushScript::ApplyOnly(4)]);
    let r = t.terminal.sync_head_office().await.unwrap();
    assert_eq!(t.hq.pushes(), vec![(1, 10, 10), (5, 10, 6)]);
    assert_eq!(r.applied, 10);
    assert_all_applied_once(&t, 10);
    assert_eq!(t.outbox.pending().len(), 0);
}

#[tokio::test]
async fn a_gap_is_resent_from_where_the_head_office_stands() {
    let t = configured().await;
    t.outbox.record_many(t.terminal.now(), 10);
    let first_two: Vec<(i64, String)> = (1..=2)
        .map(|i| (i, format!(r#"{{"kind":"audit","n":{}}}"#, i - 1)))
        .collect();
    t.hq.preload(
        &first_two
            .iter()
            .map(|(s, j)| (*s, j.as_str()))
            .collect::<Vec<_>>(),
    );
    // The head office answers that it holds this till's changes through 2.
    t.hq.script([PushScript::Gap(2)]);
    let r = t.terminal.sync_head_office().await.unwrap();
    assert_eq!(
        t.hq.pushes(),
        vec![(1, 10, 10), (3, 10, 8)],
        "resent from 3"
    );
    assert_eq!(r.applied, 8);
    assert_eq!(t.outbox.pending().len(), 0);
    assert_eq!(t.hq.applied().len(), 10);
}

#[tokio::test]
async fn a_gap_the_till_cannot_fill_stops_and_keeps_everything() {
    let t = configured().await;
    t.outbox.record_many(t.terminal.now(), 10);
    t.terminal.sync_head_office().await.unwrap();
    t.outbox.record_many(t.terminal.now(), 5);
    // The head office's database was restored: it holds only through 3.
    t.hq.script([PushScript::Gap(3)]);
    let e = t.terminal.sync_head_office().await.unwrap_err();
    assert!(e.to_string().contains("only through 3"), "{e}");
    assert_eq!(
        t.outbox.pending(),
        (11..=15).collect::<Vec<_>>(),
        "nothing deleted"
    );
}

#[tokio::test]
async fn a_refusal_stops_the_sync_with_its_reason() {
    let t = configured().await;
    t.outbox.record_many(t.terminal.now(), 3);
    t.hq.script([PushScript::Refuse("unauthorized".into())]);
    let e = t.terminal.sync_head_office().await.unwrap_err();
    assert!(e.to_string().contains("unauthorized"), "{e}");
    assert_eq!(t.outbox.pending().len(), 3);
    let s = t.terminal.head_office_status().await.unwrap();
    assert!(s.last_error.is_some_and(|e| e.contains("unauthorized")));
}

fn commodity(version: i64, sku: &str, fen: i64) -> ManagedCommodity {
    ManagedCommodity {
        version,
        sku: sku.into(),
        commodity: Some(Commodity {
            sku: sku.into(),
            barcode: None,
            name: format!("商品 {sku}"),
            category: String::new(),
            unit: "件".into(),
            price: Money::from_fen(fen),
            stock: 0,
        }),
    }
}

#[tokio::test]
async fn the_catalogue_is_pulled_page_by_page_after_the_push() {
    let t = configured().await;
    t.hq.set_catalog(
        vec![
            commodity(1, "A1", 100),
            commodity(2, "B2", 200),
            commodity(3, "A1", 150),
            ManagedCommodity {
                version: 5,
                sku: "B2".into(),
                commodity: None,
            },
            commodity(6, "C3", 300),
        ],
        2,
    );
    let r = t.terminal.sync_head_office().await.unwrap();
    assert_eq!((r.catalog_changes, r.catalog_version), (5, 6));
    let catalog = t.outbox.catalog();
    assert_eq!(
        catalog.keys().cloned().collect::<Vec<_>>(),
        vec!["A1", "C3"]
    );
    assert_eq!(
        catalog["A1"].commodity.as_ref().unwrap().price,
        Money::from_fen(150)
    );
    assert_eq!(
        t.terminal
            .head_office_status()
            .await
            .unwrap()
            .catalog_version,
        6
    );
    // Nothing new: nothing applied.
    let r = t.terminal.sync_head_office().await.unwrap();
    assert_eq!((r.catalog_changes, r.catalog_version), (0, 6));
}

#[tokio::test]
async fn the_status_is_published_for_the_status_bar() {
    let t = configured().await;
    let mut watch = t.terminal.watch_head_office();
    t.outbox.record_many(t.terminal.now(), 2);
    t.terminal.sync_head_office().await.unwrap();
    assert!(watch.has_changed().unwrap());
    let s = watch.borrow_and_update().clone();
    assert!(s.configured);
    assert_eq!(s.pending, 0);
    assert_eq!(s.acknowledged_through, 2);
}
