//! The one settings mechanism: every setting reads as its defaults until stored, is refused to
//! a clerk without the right its guard asks for, and is stored and audited under its own
//! action by one who has it.
#![allow(missing_docs)]

use std::fmt::Debug;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::ports::{SecretVault, Settings};
use cloudpos_terminal::testing::test_terminal;
use cloudpos_terminal::{
    BasicSettings, BoxSettings, CashierMode, Guard, KeySettings, NetworkSettings, OneCodeSettings,
    PayPolicy, PrinterSettings, ReconcilePolicy, Setting, TerminalError, UpdateSettings,
    VoiceSettings,
};

fn id(s: &str) -> ClerkId {
    ClerkId::parse(s).unwrap()
}

/// `value` is a valid value of `T` (its defaults, unless they are not complete).
async fn goes_through_the_mechanism<T: Setting + PartialEq + Debug>(value: T) {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    // Network settings rebuild the Cloud Pay client, which needs the merchant's key.
    tt.store
        .store("cloudpay.authen_key", b"test-key")
        .await
        .unwrap();
    let t = &tt.terminal;
    assert_eq!(t.setting::<T>().await.unwrap(), T::default(), "{}", T::KEY);

    // A clerk (02) may change none of them; a store manager (01) those with the configure
    // guard; an admin (09) all.
    t.login(&id("02"), "pw02").await.unwrap();
    assert!(
        matches!(
            t.set_setting(&value).await,
            Err(TerminalError::PermissionDenied(_))
        ),
        "{}",
        T::KEY
    );
    t.login(&id("01"), "pw01").await.unwrap();
    let by_manager = t.set_setting(&value).await;
    match T::GUARD {
        Guard::Configure => by_manager.unwrap(),
        Guard::Admin => match by_manager {
            Err(TerminalError::PermissionDenied(m)) => {
                assert!(m.contains("an admin must"), "{}: {m}", T::KEY);
            }
            other => panic!("{}: {other:?}", T::KEY),
        },
    }
    t.login(&id("09"), "pw09").await.unwrap();
    t.set_setting(&value).await.unwrap();

    assert_eq!(t.setting::<T>().await.unwrap(), value, "{}", T::KEY);
    assert!(tt.store.get(T::KEY).await.unwrap().is_some(), "{}", T::KEY);
    let log = t.audit_log(5).await.unwrap();
    assert_eq!(log[0].entry.action, T::AUDIT_ACTION, "{}", T::KEY);
    assert_eq!(log[0].entry.actor, "09");
}

#[tokio::test]
async fn every_setting_goes_through_the_same_guard_store_and_audit() {
    goes_through_the_mechanism(BasicSettings::default()).await;
    goes_through_the_mechanism(PayPolicy::default()).await;
    goes_through_the_mechanism(PrinterSettings::default()).await;
    goes_through_the_mechanism(KeySettings::default()).await;
    goes_through_the_mechanism(BoxSettings {
        port: "/dev/ttyUSB0".into(),
        ..BoxSettings::default()
    })
    .await;
    goes_through_the_mechanism(NetworkSettings::default()).await;
    goes_through_the_mechanism(ReconcilePolicy::default()).await;
    goes_through_the_mechanism(VoiceSettings::default()).await;
    goes_through_the_mechanism(UpdateSettings::default()).await;
    goes_through_the_mechanism(CashierMode::Mixed).await;
    goes_through_the_mechanism(cloudpos_terminal::HeadOfficeSettings {
        url: Some("https://hq.example.com".into()),
    })
    .await;
    goes_through_the_mechanism(OneCodeSettings {
        enabled: true,
        ..OneCodeSettings::default()
    })
    .await;
}

/// The checks run before anything is stored, and a stored value that no longer reads says
/// which setting it is.
#[tokio::test]
async fn a_refused_value_is_not_stored_and_an_unreadable_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let t = &tt.terminal;
    t.login(&id("09"), "pw09").await.unwrap();
    let loud = VoiceSettings {
        volume: 101,
        ..VoiceSettings::default()
    };
    assert!(matches!(
        t.set_setting(&loud).await,
        Err(TerminalError::Invalid(_))
    ));
    assert!(tt.store.get(VoiceSettings::KEY).await.unwrap().is_none());
    tt.store
        .put(BasicSettings::KEY, &serde_json::json!({"mode": "sideways"}))
        .await
        .unwrap();
    let e = t.setting::<BasicSettings>().await.unwrap_err();
    assert!(e.to_string().contains("basic settings"), "{e}");
}
