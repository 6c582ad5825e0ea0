//! The GUI's support methods: UI preferences, auto-login, re-login with a handover, QR
//! re-login, remarks, network settings, refund lists, previews. (The instance lock and the
//! window geometry are the cashier's own: `apps/cashier/src/instance_lock.rs`,
//! `window_geometry.rs`.)
#![allow(missing_docs)]

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::OrderState;
use cloudpos_domain::ports::RefundFilter;
use cloudpos_terminal::testing::{code, test_terminal};
use cloudpos_terminal::{NetworkSettings, PayInput, PrinterSettings, RefundInput, TerminalError};

fn id(s: &str) -> ClerkId {
    ClerkId::parse(s).unwrap()
}

fn pay(amount: &str, n: u32) -> PayInput {
    PayInput {
        amount: Money::parse_yuan(amount).unwrap(),
        code: code(n, "00"),
        remark: String::new(),
        body: None,
        timeout: None,
    }
}

/// What an app remembers for itself (the cashier's window geometry) is kept under `ui.`,
/// without permission; the auto-login choice there stays the terminal's own.
#[tokio::test]
async fn ui_preferences_live_under_ui_and_never_reach_the_auto_login_choice() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await.terminal;
    assert_eq!(t.ui_preference("ui.window.main").await.unwrap(), None);
    let w = serde_json::json!({"x": 40.0, "y": 30.0, "width": 1100.0, "height": 720.0});
    t.set_ui_preference("ui.window.main", &w).await.unwrap();
    assert_eq!(t.ui_preference("ui.window.main").await.unwrap(), Some(w));
    for key in ["ui.auto_login", "pay_policy", "ui.", "window.main"] {
        let e = t
            .set_ui_preference(key, &serde_json::json!("01"))
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("is not a UI preference"),
            "{key}: {e}"
        );
        assert!(t.ui_preference(key).await.is_err(), "{key}");
    }
    assert_eq!(t.auto_login().await.unwrap(), None);
}

#[tokio::test]
async fn auto_login_resumes_only_the_chosen_clerks_session() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await.terminal;
    assert_eq!(t.resume_auto_login().await.unwrap(), None);
    let s = t.login(&id("02"), "pw02").await.unwrap();
    assert_eq!(t.resume_auto_login().await.unwrap(), None, "not chosen");
    t.set_auto_login(true).await.unwrap();
    assert_eq!(t.auto_login().await.unwrap(), Some(id("02")));
    assert_eq!(t.resume_auto_login().await.unwrap(), Some(s));
    t.logout().await.unwrap();
    assert_eq!(t.resume_auto_login().await.unwrap(), None, "logged out");
    t.login(&id("01"), "pw01").await.unwrap();
    assert_eq!(
        t.resume_auto_login().await.unwrap(),
        None,
        "another clerk's session"
    );
    t.set_auto_login(false).await.unwrap();
    assert_eq!(t.auto_login().await.unwrap(), None);
}

#[tokio::test]
async fn relogin_hands_over_another_clerks_shift_and_resumes_ones_own() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let t = &tt.terminal;
    let first = t.login_with_handover(&id("02"), "pw02").await.unwrap();
    assert!(first.handover.is_none() && !first.resumed);
    t.pay(pay("12.30", 1)).await.unwrap();
    // Wrong password: nothing is handed over.
    assert!(matches!(
        t.login_with_handover(&id("01"), "nope").await,
        Err(TerminalError::Login(_))
    ));
    assert_eq!(t.session().await.unwrap().unwrap().clerk_id, id("02"));
    // The same clerk again: the shift continues.
    let again = t.login_with_handover(&id("02"), "pw02").await.unwrap();
    assert!(again.resumed && again.handover.is_none());
    assert_eq!(again.session, first.session);
    // Another clerk: 02's shift is closed with its summary.
    let next = t.login_with_handover(&id("01"), "pw01").await.unwrap();
    let report = next.handover.expect("handover");
    assert_eq!(report.shift.clerk_id, id("02"));
    assert!(report.shift.closed_at.is_some());
    assert_eq!(report.summary.total.pay_count, 1);
    assert_eq!(report.summary.total.paid, Money::from_fen(1230));
    assert_eq!(next.session.clerk_id, id("01"));
    assert_ne!(next.session.shift_id, first.session.shift_id);
}

#[tokio::test]
async fn qr_relogin_hands_over_once_approved() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let t = &tt.terminal;
    t.login(&id("02"), "pw02").await.unwrap();
    let ticket = t.start_qr_login().await.unwrap();
    assert_eq!(
        t.finish_qr_login_with_handover(&ticket.token)
            .await
            .unwrap(),
        None
    );
    tt.approvals.approve(&ticket.token, "01");
    let r = t
        .finish_qr_login_with_handover(&ticket.token)
        .await
        .unwrap()
        .expect("logged in");
    assert_eq!(r.session.clerk_id, id("01"));
    assert_eq!(r.handover.unwrap().shift.clerk_id, id("02"));
    assert!(matches!(
        t.finish_qr_login_with_handover(&ticket.token).await,
        Err(TerminalError::Login(_))
    ));
}

#[tokio::test]
async fn remarks_are_edited_on_final_orders_by_their_clerk_or_a_manager() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let t = &tt.terminal;
    t.login(&id("02"), "pw02").await.unwrap();
    let order = t.pay(pay("5.00", 2)).await.unwrap();
    assert_eq!(order.state, OrderState::Paid);
    let edited = t.set_order_remark(&order.no, "  POS 0042 ").await.unwrap();
    assert_eq!(edited.remark, "POS 0042");
    assert_eq!(t.query(&order.no).await.unwrap().remark, "POS 0042");
    assert!(matches!(
        t.set_order_remark(&order.no, &"长".repeat(201)).await,
        Err(TerminalError::Invalid(_))
    ));
    t.login(&id("01"), "pw01").await.unwrap();
    let mine = t.pay(pay("6.00", 3)).await.unwrap();
    t.set_order_remark(&order.no, "经理改").await.unwrap();
    t.login(&id("02"), "pw02").await.unwrap();
    assert!(matches!(
        t.set_order_remark(&mine.no, "x").await,
        Err(TerminalError::PermissionDenied(_))
    ));
    let log = t.audit_log(20).await.unwrap();
    assert!(log.iter().any(|r| r.entry.action == "order_remark"));
}

#[tokio::test]
async fn network_settings_are_validated_stored_and_the_password_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let t = &tt.terminal;
    t.login(&id("02"), "pw02").await.unwrap();
    let proxy = NetworkSettings {
        proxy_url: Some(" http://10.0.0.1:3128 ".into()),
        proxy_user: Some("shop".into()),
        ..NetworkSettings::default()
    };
    assert!(matches!(
        t.set_network_settings(&proxy, Some("secret")).await,
        Err(TerminalError::PermissionDenied(_))
    ));
    t.login(&id("01"), "pw01").await.unwrap();
    for bad in ["10.0.0.1:3128", "http://", "ftp://x:1", "http://a b:1"] {
        let s = NetworkSettings {
            proxy_url: Some(bad.into()),
            ..NetworkSettings::default()
        };
        assert!(
            matches!(
                t.set_network_settings(&s, None).await,
                Err(TerminalError::Invalid(_))
            ),
            "{bad}"
        );
    }
    // The test terminal has no merchant secrets, so rebuilding the gateway fails after the
    // settings are stored; the stored values are what matter here.
    let _ = t.set_network_settings(&proxy, Some("secret")).await;
    let stored = t.setting::<NetworkSettings>().await.unwrap();
    assert_eq!(stored.proxy_url.as_deref(), Some("http://10.0.0.1:3128"));
    assert_eq!(stored.proxy_user.as_deref(), Some("shop"));
    assert!(t.has_proxy_password().await.unwrap());
    let _ = t
        .set_network_settings(&NetworkSettings::default(), Some(""))
        .await;
    assert!(!t.has_proxy_password().await.unwrap());
    assert_eq!(
        t.setting::<NetworkSettings>().await.unwrap().proxy_url,
        None
    );
}

#[tokio::test]
async fn refund_lists_follow_visibility_and_previews_render() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let t = &tt.terminal;
    t.login(&id("01"), "pw01").await.unwrap();
    let order = t.pay(pay("20.00", 4)).await.unwrap();
    t.refund(RefundInput {
        order_no: order.no.clone(),
        amount: Money::parse_yuan("5").unwrap(),
        reason: "test".into(),
        authorization: None,
    })
    .await
    .unwrap();
    assert_eq!(t.refunds_of(&order.no).await.unwrap().len(), 1);
    let all = t.refunds(&RefundFilter::default()).await.unwrap();
    assert_eq!(all.total, 1);
    t.login(&id("02"), "pw02").await.unwrap();
    assert_eq!(t.refunds(&RefundFilter::default()).await.unwrap().total, 0);

    let settings = PrinterSettings::default();
    let receipt = t.test_receipt(&settings).await.unwrap();
    let png = t.receipt_preview_with(&receipt, &settings);
    assert_eq!(&png[1..4], b"PNG");
}
