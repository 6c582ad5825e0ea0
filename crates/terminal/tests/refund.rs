//! The refund use case: permissions and authorisation, caps, follow-up and recovery.
#![allow(missing_docs)]

use std::time::Duration;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderStatus};
use cloudpos_domain::ports::{AuditTrail, Ledger};
use cloudpos_domain::refund::{RefundError, RefundState};
use cloudpos_terminal::testing::{TestTerminal, code, test_terminal};
use cloudpos_terminal::{Authorization, PayInput, RefundInput, TerminalError};

fn id(s: &str) -> ClerkId {
    ClerkId::parse(s).unwrap()
}

async fn paid_order(t: &TestTerminal, n: u32, fen: i64) -> Order {
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

fn refund(o: &Order, fen: i64, auth: Option<Authorization>) -> RefundInput {
    RefundInput {
        order_no: o.no.clone(),
        amount: Money::from_fen(fen),
        reason: "顾客退货".into(),
        authorization: auth,
    }
}

#[tokio::test]
async fn manager_refunds_partially_up_to_the_paid_amount() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    let o = paid_order(&t, 1, 1000).await;
    let r = t.terminal.refund(refund(&o, 300, None)).await.unwrap();
    assert_eq!(r.refund.state, RefundState::Succeeded);
    assert_eq!(
        (r.order.refunded.fen(), r.order.status()),
        (300, OrderStatus::PartiallyRefunded)
    );
    let r2 = t.terminal.refund(refund(&o, 700, None)).await.unwrap();
    assert_ne!(r2.refund.no, r.refund.no, "a new number per refund");
    assert_eq!(r2.order.status(), OrderStatus::Refunded);
    let err = t.terminal.refund(refund(&o, 1, None)).await.unwrap_err();
    assert!(
        matches!(
            err,
            TerminalError::Refund(RefundError::ExceedsRemaining { .. })
        ),
        "{err}"
    );
    assert_eq!(
        t.gateway.count_calls("refund"),
        2,
        "the refused refund never left"
    );
    assert_eq!(t.gateway.order(o.no.as_str()).unwrap().refunded.fen(), 1000);
    // Every refund is in the audit chain.
    let audit = t.store.recent(20).await.unwrap();
    assert_eq!(
        audit.iter().filter(|r| r.entry.action == "refund").count(),
        2
    );
}

#[tokio::test]
async fn a_clerk_needs_a_manager_for_that_refund() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("02"), "pw02").await.unwrap();
    let o = paid_order(&t, 2, 1000).await;

    let err = t.terminal.refund(refund(&o, 100, None)).await.unwrap_err();
    assert_eq!(err, TerminalError::NeedsAuthorization("02".into()));
    let wrong = Authorization::ManagerPassword {
        manager: id("01"),
        password: "nope".into(),
    };
    assert!(matches!(
        t.terminal
            .refund(refund(&o, 100, Some(wrong)))
            .await
            .unwrap_err(),
        TerminalError::AuthorizationRefused(_)
    ));
    let self_auth = Authorization::ManagerPassword {
        manager: id("02"),
        password: "pw02".into(),
    };
    assert!(matches!(
        t.terminal
            .refund(refund(&o, 100, Some(self_auth)))
            .await
            .unwrap_err(),
        TerminalError::AuthorizationRefused(_)
    ));
    assert_eq!(t.gateway.count_calls("refund"), 0);

    let ok = Authorization::ManagerPassword {
        manager: id("01"),
        password: "pw01".into(),
    };
    let r = t.terminal.refund(refund(&o, 100, Some(ok))).await.unwrap();
    assert_eq!(r.refund.authorized_by, Some(id("01")));
    assert_eq!(r.refund.clerk_id, id("02"));
    let audit = t.store.recent(1).await.unwrap();
    assert!(
        audit[0].entry.detail.contains("\"authorized_by\":\"01\""),
        "{}",
        audit[0].entry.detail
    );
}

#[tokio::test]
async fn processing_refunds_are_followed_to_success() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    let o = paid_order(&t, 3, 1000).await;
    t.gateway.slow_refunds(true);
    let r = t.terminal.refund(refund(&o, 250, None)).await.unwrap();
    assert_eq!(r.refund.state, RefundState::Succeeded);
    assert_eq!(t.gateway.count_calls("query_refund"), 1);
    assert_eq!(r.order.refunded.fen(), 250);
}

#[tokio::test]
async fn a_lost_refund_is_resent_with_the_same_number_and_refunded_once() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    let o = paid_order(&t, 4, 1000).await;
    t.gateway.set_answers_lost(true);
    let r = t.terminal.refund(refund(&o, 400, None)).await.unwrap();
    assert_eq!(r.refund.state, RefundState::Requested, "not claimed done");
    assert_eq!(r.order.refunded.fen(), 0);
    // The amount is held: a second refund cannot exceed what is left.
    let err = t.terminal.refund(refund(&o, 700, None)).await.unwrap_err();
    assert!(matches!(
        err,
        TerminalError::Refund(RefundError::ExceedsRemaining { .. })
    ));
    t.gateway.set_answers_lost(false);
    t.clock.advance(Duration::from_secs(60));
    let report = t.terminal.recover_pending().await.unwrap();
    assert_eq!((report.refunds_found, report.refunds_open), (1, 0));
    let stored = t.store.refund(&r.refund.no).await.unwrap().unwrap();
    assert_eq!(stored.state, RefundState::Succeeded);
    assert_eq!(t.gateway.refunds().len(), 1, "one refund in the cloud");
    assert_eq!(t.gateway.order(o.no.as_str()).unwrap().refunded.fen(), 400);
    assert_eq!(
        t.store.order(&o.no).await.unwrap().unwrap().refunded.fen(),
        400
    );
}

#[tokio::test]
async fn refunds_are_refused_while_halted_and_for_unpaid_orders() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    let o = paid_order(&t, 5, 1000).await;
    t.terminal
        .halt("refunded amount differs", vec![])
        .await
        .unwrap();
    assert!(matches!(
        t.terminal.refund(refund(&o, 1, None)).await.unwrap_err(),
        TerminalError::Halted(_)
    ));
    t.terminal.clear_halt(&id("09"), "pw09").await.unwrap();
    let failed = t
        .terminal
        .pay(PayInput {
            amount: Money::from_fen(100),
            code: code(6, "03"),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap();
    assert!(matches!(
        t.terminal
            .refund(refund(&failed, 100, None))
            .await
            .unwrap_err(),
        TerminalError::Refund(RefundError::NotPaid { .. })
    ));
}

#[tokio::test]
async fn ten_wrong_passwords_lock_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    for _ in 0..10 {
        assert!(t.terminal.login(&id("02"), "bad").await.is_err());
    }
    let err = t.terminal.login(&id("02"), "pw02").await.unwrap_err();
    assert!(err.to_string().contains("locked"), "{err}");
    t.clock.advance(Duration::from_secs(30 * 60));
    t.terminal.login(&id("02"), "pw02").await.unwrap();
}

#[tokio::test]
async fn an_unreachable_cloud_refuses_the_refund_and_frees_the_amount() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    t.terminal.login(&id("01"), "pw01").await.unwrap();
    let o = paid_order(&t, 7, 1000).await;
    t.gateway.set_unreachable(true);
    let err = t.terminal.refund(refund(&o, 400, None)).await.unwrap_err();
    assert!(matches!(err, TerminalError::CloudUnreachable(_)), "{err}");
    let refunds = t.store.refunds_of(&o.no).await.unwrap();
    assert_eq!(refunds[0].state, RefundState::Failed, "on record, not held");
    t.gateway.set_unreachable(false);
    let r = t.terminal.refund(refund(&o, 1000, None)).await.unwrap();
    assert_eq!(
        r.refund.state,
        RefundState::Succeeded,
        "the whole amount is still refundable"
    );
}
