//! Clerks and permissions, manager approvals, summaries and handover, void, and the audit
//! trail of privileged actions.
#![allow(missing_docs)]

use std::time::Duration;

use cloudpos_domain::clerk::{ClerkId, Role};
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, PaymentMethod};
use cloudpos_domain::ports::{Accounts, AuditTrail, AuditVerdict, ClerkQuery};
use cloudpos_terminal::testing::{TestTerminal, code, test_terminal};
use cloudpos_terminal::{
    Authorization, ClerkChanges, NewClerk, PayInput, PayPolicy, RefundInput, TerminalError,
};
use proptest::prelude::*;

fn id(s: &str) -> ClerkId {
    ClerkId::parse(s).unwrap()
}

fn new_clerk(s: &str, role: Role, can_refund: bool) -> NewClerk {
    NewClerk {
        id: id(s),
        name: format!("店员{s}"),
        phone: format!("1380000{s:0>4}"),
        role,
        can_refund,
        cloud_staff_id: Some(format!("staff-{s}")),
    }
}

async fn pay(t: &TestTerminal, n: u32, fen: i64) -> Order {
    t.terminal
        .pay(PayInput {
            amount: Money::from_fen(fen),
            code: code(n, "00"),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap()
}

async fn actions(t: &TestTerminal) -> Vec<String> {
    t.store
        .recent(500)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.entry.action)
        .collect()
}

#[tokio::test]
async fn managers_manage_clerks_below_them_and_it_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("02"), "pw02").await.unwrap();
    let err = t
        .terminal
        .add_clerk(new_clerk("10", Role::Clerk, false), "1234")
        .await
        .unwrap_err();
    assert!(
        matches!(err, TerminalError::PermissionDenied(_)),
        "a clerk cannot add clerks: {err}"
    );

    t.terminal.login(&id("01"), "pw01").await.unwrap(); // store manager
    t.terminal
        .add_clerk(new_clerk("10", Role::Clerk, false), "1234")
        .await
        .unwrap();
    let err = t
        .terminal
        .add_clerk(new_clerk("11", Role::StoreManager, false), "1234")
        .await
        .unwrap_err();
    assert!(
        matches!(err, TerminalError::PermissionDenied(_)),
        "not a peer: {err}"
    );
    assert!(
        t.terminal
            .add_clerk(new_clerk("12", Role::Clerk, false), "12")
            .await
            .is_err(),
        "short password"
    );
    let found = t
        .terminal
        .clerks(&ClerkQuery {
            text: Some("店员10".into()),
            role: None,
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let edited = t
        .terminal
        .edit_clerk(
            &id("10"),
            ClerkChanges {
                can_refund: Some(true),
                phone: Some("139".into()),
                ..ClerkChanges::default()
            },
        )
        .await
        .unwrap();
    assert!(edited.can_refund);
    assert!(
        t.terminal
            .edit_clerk(
                &id("10"),
                ClerkChanges {
                    role: Some(Role::MerchantAdmin),
                    ..ClerkChanges::default()
                }
            )
            .await
            .is_err()
    );
    t.terminal.reset_password(&id("10"), "5678").await.unwrap();
    assert!(t.terminal.authenticate(&id("10"), "5678").await.is_ok());
    assert!(
        t.terminal.remove_clerk(&id("01")).await.is_err(),
        "not yourself"
    );
    t.terminal.remove_clerk(&id("10")).await.unwrap();

    // The last admin stays.
    t.terminal.login(&id("09"), "pw09").await.unwrap();
    assert!(t.terminal.remove_clerk(&id("09")).await.is_err());

    let log = actions(&t).await;
    for action in [
        "clerk_added",
        "clerk_edited",
        "password_reset",
        "clerk_removed",
    ] {
        assert!(
            log.iter().any(|a| a == action),
            "{action} not audited: {log:?}"
        );
    }
}

#[tokio::test]
async fn a_manager_approves_one_refund_on_their_phone() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("02"), "pw02").await.unwrap();
    let o = pay(&t, 1, 1000).await;
    let amount = Money::from_fen(300);
    let refund = |auth| RefundInput {
        order_no: o.no.clone(),
        amount,
        reason: String::new(),
        authorization: auth,
    };

    let ticket = t
        .terminal
        .request_refund_approval(&o.no, amount)
        .await
        .unwrap();
    assert!(ticket.approve_url.contains(&ticket.token));
    // Not approved yet.
    let err = t
        .terminal
        .refund(refund(Some(Authorization::Approval {
            token: ticket.token.clone(),
        })))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not approved yet"), "{err}");
    // The manager (Cloud Pay staff 01 ↔ local clerk 01) approves.
    t.approvals.approve(&ticket.token, "01");
    let r = t
        .terminal
        .refund(refund(Some(Authorization::Approval {
            token: ticket.token.clone(),
        })))
        .await
        .unwrap();
    assert_eq!(r.refund.authorized_by, Some(id("01")));
    // One approval, one refund.
    let err = t
        .terminal
        .refund(refund(Some(Authorization::Approval {
            token: ticket.token.clone(),
        })))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already used"), "{err}");

    // An approval of another amount does not authorise this one.
    let other = t
        .terminal
        .request_refund_approval(&o.no, Money::from_fen(100))
        .await
        .unwrap();
    t.approvals.approve(&other.token, "01");
    let err = t
        .terminal
        .refund(refund(Some(Authorization::Approval {
            token: other.token.clone(),
        })))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a refund of 3.00"), "{err}");

    // Expired after 5 minutes.
    let late = t
        .terminal
        .request_refund_approval(&o.no, amount)
        .await
        .unwrap();
    t.approvals.approve(&late.token, "01");
    t.clock.advance(Duration::from_secs(301));
    let err = t
        .terminal
        .refund(refund(Some(Authorization::Approval {
            token: late.token.clone(),
        })))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");

    // A clerk approving on the phone does not count.
    let by_clerk = t
        .terminal
        .request_refund_approval(&o.no, amount)
        .await
        .unwrap();
    t.approvals.approve(&by_clerk.token, "02");
    let err = t
        .terminal
        .refund(refund(Some(Authorization::Approval {
            token: by_clerk.token,
        })))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TerminalError::AuthorizationRefused(_)),
        "{err}"
    );
    assert_eq!(t.gateway.refunds().len(), 1);
}

#[tokio::test]
async fn qr_login_opens_a_shift_for_the_approver() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    let ticket = t.terminal.start_qr_login().await.unwrap();
    assert_eq!(
        t.terminal.finish_qr_login(&ticket.token).await.unwrap(),
        None,
        "pending"
    );
    t.approvals.approve(&ticket.token, "02");
    let session = t
        .terminal
        .finish_qr_login(&ticket.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.clerk_id, id("02"));
    assert!(
        t.terminal.finish_qr_login(&ticket.token).await.is_err(),
        "one use"
    );
    let unknown = t.terminal.start_qr_login().await.unwrap();
    t.approvals.approve(&unknown.token, "nobody-here");
    assert!(
        t.terminal
            .finish_qr_login(&unknown.token)
            .await
            .unwrap_err()
            .to_string()
            .contains("no clerk")
    );
}

#[tokio::test]
async fn summaries_handover_and_visibility() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("02"), "pw02").await.unwrap();
    pay(&t, 1, 1000).await;
    pay(&t, 2, 250).await;
    let report = t.terminal.handover().await.unwrap();
    assert!(report.shift.closed_at.is_some());
    assert_eq!(
        (
            report.summary.total.pay_count,
            report.summary.total.paid.fen()
        ),
        (2, 1250)
    );
    assert_eq!(
        report.summary.methods[&PaymentMethod::Wallet(Wallet::WeChat)]
            .net
            .fen(),
        1250
    );
    assert!(
        t.terminal.session().await.unwrap().is_none(),
        "handover logs out"
    );

    t.terminal.login(&id("01"), "pw01").await.unwrap();
    let o = pay(&t, 3, 500).await;
    t.terminal
        .refund(RefundInput {
            order_no: o.no.clone(),
            amount: Money::from_fen(200),
            reason: String::new(),
            authorization: None,
        })
        .await
        .unwrap();
    // The manager sees everyone's day, or one clerk's.
    let day = t
        .terminal
        .summary(
            Some(t.terminal.now().start_of_day(t.terminal.offset_seconds())),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            day.total.pay_count,
            day.total.paid.fen(),
            day.total.refunded.fen(),
            day.total.net.fen()
        ),
        (3, 1750, 200, 1550)
    );
    let clerk02 = t
        .terminal
        .summary(
            Some(cloudpos_domain::timestamp::Timestamp::EPOCH),
            None,
            Some(&id("02")),
        )
        .await
        .unwrap();
    assert_eq!(clerk02.total.paid.fen(), 1250);
    // The re-printable shift of clerk 02.
    let again = t.terminal.shift_summary(report.shift.id).await.unwrap();
    assert_eq!(again.summary.total, report.summary.total);

    // A clerk sees only their own.
    t.terminal.login(&id("02"), "pw02").await.unwrap();
    let err = t
        .terminal
        .summary(None, None, Some(&id("01")))
        .await
        .unwrap_err();
    assert!(matches!(err, TerminalError::PermissionDenied(_)));
    let own = t
        .terminal
        .summary(
            Some(cloudpos_domain::timestamp::Timestamp::EPOCH),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(own.clerk, Some(id("02")));
    assert_eq!(own.total.paid.fen(), 1250);
    assert!(
        t.terminal
            .shifts(10)
            .await
            .unwrap()
            .iter()
            .all(|s| s.clerk_id == id("02"))
    );
    assert!(actions(&t).await.contains(&"handover".to_owned()));
}

#[tokio::test]
async fn same_day_void_reverses_with_permission() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("02"), "pw02").await.unwrap();
    let o = pay(&t, 1, 800).await;
    t.clock.advance(Duration::from_secs(20));
    let err = t.terminal.void(&o.no, None).await.unwrap_err();
    assert!(matches!(err, TerminalError::NeedsAuthorization(_)), "{err}");
    let voided = t
        .terminal
        .void(
            &o.no,
            Some(Authorization::ManagerPassword {
                manager: id("01"),
                password: "pw01".into(),
            }),
        )
        .await
        .unwrap();
    assert_eq!(voided.state, OrderState::Reversed);
    assert!(t.gateway.charged_codes().is_empty(), "money returned");
    assert!(actions(&t).await.contains(&"void".to_owned()));
    // Not twice, and not yesterday's.
    assert!(t.terminal.void(&o.no, None).await.is_err());
    let old = pay(&t, 2, 100).await;
    t.clock.advance(Duration::from_secs(86_400));
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    assert!(
        t.terminal
            .void(&old.no, None)
            .await
            .unwrap_err()
            .to_string()
            .contains("not from today")
    );
}

#[tokio::test]
async fn the_audit_chain_holds_every_privileged_action() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("09"), "pw09").await.unwrap();
    t.terminal.set_setting(&PayPolicy::default()).await.unwrap();
    t.terminal.halt("test", vec![]).await.unwrap();
    t.terminal.clear_halt(&id("09"), "pw09").await.unwrap();
    let log = actions(&t).await;
    for action in ["login", "config_payment", "halted", "halt_cleared"] {
        assert!(log.iter().any(|a| a == action), "{action}: {log:?}");
    }
    assert!(matches!(
        t.terminal.verify_audit().await.unwrap(),
        AuditVerdict::Intact { .. }
    ));
}

/// Which outcome class each action gives each kind of clerk, through the real use cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    NeedsManager,
    Denied,
}

fn classify<T>(r: &Result<T, TerminalError>) -> Outcome {
    match r {
        Ok(_) => Outcome::Allowed,
        Err(TerminalError::NeedsAuthorization(_)) => Outcome::NeedsManager,
        Err(TerminalError::PermissionDenied(_)) => Outcome::Denied,
        Err(e) => panic!("unexpected error class: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    /// Every (role, refund flag, action) ends as the policy says, enforced by the use case
    /// itself, not by a screen.
    #[test]
    fn every_action_for_every_role(role_i in 0usize..4, can_refund: bool, action in 0u8..6) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let dir = tempfile::tempdir().unwrap();
            let t = test_terminal(dir.path()).await;
            let role = Role::ALL[role_i];
            // The provider admin creates the clerk under test.
            t.terminal.login(&id("09"), "pw09").await.unwrap();
            let o = pay(&t, 1, 1000).await;
            t.store.create_clerk(&cloudpos_domain::clerk::Clerk {
                id: id("x"), name: "x".into(), phone: String::new(), role, can_refund,
                cloud_staff_id: None, created_at: cloudpos_domain::timestamp::Timestamp::EPOCH,
            }, "pwxx").await.unwrap();
            t.terminal.login(&id("x"), "pwxx").await.unwrap();
            let manager_or_above = role.rank() >= Role::StoreManager.rank();
            let admin = role.rank() >= Role::MerchantAdmin.rank();
            let (got, expected) = match action {
                0 => (classify(&t.terminal.pay(PayInput { amount: Money::from_fen(1), code: code(2, "00"), remark: String::new(), body: None, timeout: None }).await), Outcome::Allowed),
                1 => (classify(&t.terminal.refund(RefundInput { order_no: o.no.clone(), amount: Money::from_fen(1), reason: String::new(), authorization: None }).await),
                      if manager_or_above || can_refund { Outcome::Allowed } else { Outcome::NeedsManager }),
                2 => (classify(&t.terminal.add_clerk(new_clerk("y", Role::Clerk, false), "1234").await),
                      if manager_or_above { Outcome::Allowed } else { Outcome::Denied }),
                3 => (classify(&t.terminal.summary(None, None, Some(&id("02"))).await),
                      if manager_or_above { Outcome::Allowed } else { Outcome::Denied }),
                4 => (classify(&t.terminal.set_setting(&PayPolicy::default()).await),
                      if manager_or_above { Outcome::Allowed } else { Outcome::Denied }),
                _ => {
                    t.terminal.halt("h", vec![]).await.unwrap();
                    (classify(&t.terminal.clear_halt(&id("x"), "pwxx").await), if admin { Outcome::Allowed } else { Outcome::Denied })
                }
            };
            prop_assert_eq!(got, expected, "role {} refund flag {} action {}", role, can_refund, action);
            Ok(())
        })?;
    }
}

/// The cloud reports paid times in whole seconds, by its own clock: a payment taken right
/// after a login still counts in that login's shift.
#[tokio::test]
async fn a_payment_counts_in_the_shift_it_was_taken_in() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.clock.advance(Duration::from_millis(700)); // mid-second
    t.terminal.login(&id("02"), "pw02").await.unwrap();
    let o = pay(&t, 1, 999).await;
    assert!(o.paid_at.unwrap() >= o.created_at);
    let report = t.terminal.handover().await.unwrap();
    assert_eq!(
        (
            report.summary.total.pay_count,
            report.summary.total.paid.fen()
        ),
        (1, 999)
    );
}
