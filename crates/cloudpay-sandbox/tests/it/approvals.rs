//! Approvals: create, approve (JSON and the HTML form), poll, consume once, expiry.

use std::time::Duration;

use cloudpay_api::{ApprovalKind, ApprovalState};
use cloudpos_domain::Money;
use cloudpos_domain::ports::{GatewayError, PayOutcome, PaymentGateway};
use serde_json::json;

use crate::{start, start_with, test_timings, wx};

#[tokio::test]
async fn a_login_is_approved_polled_and_consumed_once() {
    let env = start().await;
    let ticket = env
        .client
        .create_approval(ApprovalKind::Login, None, None)
        .await
        .unwrap();
    assert!(ticket.approve_url.ends_with(&ticket.token));
    assert!(ticket.approve_url.starts_with("http://127.0.0.1:"));
    let status = env.client.approval_status(&ticket.token).await.unwrap();
    assert_eq!(status.status, ApprovalState::Pending);
    assert_eq!(status.kind, ApprovalKind::Login);
    assert_eq!(status.expires_at, ticket.expires_at);
    // Consuming before approval fails.
    assert!(env.client.consume_approval(&ticket.token).await.is_err());
    // The manager's phone, played by a JSON POST.
    let (code, body) = env
        .post(
            &format!("approvals/{}/approve", ticket.token),
            &json!({"staff_id": "02"}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let status = env.client.approval_status(&ticket.token).await.unwrap();
    assert_eq!(status.status, ApprovalState::Approved);
    assert_eq!(status.staff_id.as_deref(), Some("02"));
    assert_eq!(status.staff_name.as_deref(), Some("李收银"));
    // Another device cannot poll or consume it.
    let other = env.client_for(&env.creds.out_shop_id, &env.creds.devices[1]);
    assert!(other.approval_status(&ticket.token).await.is_err());
    assert!(other.consume_approval(&ticket.token).await.is_err());
    let used = env.client.consume_approval(&ticket.token).await.unwrap();
    assert_eq!(used.status, ApprovalState::Used);
    match env.client.consume_approval(&ticket.token).await {
        Err(GatewayError::Refused {
            status,
            description,
        }) => {
            assert_eq!(status, 104);
            assert!(description.contains("already used"), "{description}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        env.client
            .approval_status(&ticket.token)
            .await
            .unwrap()
            .status,
        ApprovalState::Used
    );
    assert!(env.client.approval_status("nope").await.is_err());
}

#[tokio::test]
async fn a_refund_needs_a_manager_and_is_bound_to_the_order_and_amount() {
    let env = start().await;
    let req = env.pay(&wx("00"), 1230);
    assert!(matches!(
        env.client.micro_pay(&req).await,
        PayOutcome::Paid { .. }
    ));
    let ticket = env
        .client
        .create_approval(
            ApprovalKind::Refund,
            Some(&req.order_no),
            Some(Money::from_fen(300)),
        )
        .await
        .unwrap();
    // The page shows what is approved and offers only managers.
    let page = env
        .http
        .get(&ticket.approve_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("¥3.00"), "{page}");
    assert!(page.contains(req.order_no.as_str()));
    assert!(page.contains("王店长"));
    assert!(!page.contains("李收银"), "a clerk cannot authorise refunds");
    // A clerk is refused, the manager approves through the HTML form.
    let (code, _) = env
        .post(
            &format!("approvals/{}/approve", ticket.token),
            &json!({"staff_id": "02"}),
        )
        .await;
    assert_eq!(code, 403);
    let r = env
        .http
        .post(&ticket.approve_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("staff_id=01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("已批准"));
    let used = env.client.consume_approval(&ticket.token).await.unwrap();
    assert_eq!(used.kind, ApprovalKind::Refund);
    assert_eq!(used.out_trade_no.as_deref(), Some(req.order_no.as_str()));
    assert_eq!(used.amount, Some(300));
    assert_eq!(used.staff_id.as_deref(), Some("01"));
    // No refund approvals for orders that are not paid.
    assert!(
        env.client
            .create_approval(
                ApprovalKind::Refund,
                Some(&env.order_no()),
                Some(Money::from_fen(1))
            )
            .await
            .is_err()
    );
}

#[tokio::test]
async fn approvals_expire() {
    let mut timings = test_timings();
    timings.approval_ttl = Duration::from_millis(1_000);
    let env = start_with(timings).await;
    let ticket = env
        .client
        .create_approval(ApprovalKind::Login, None, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(
        env.client
            .approval_status(&ticket.token)
            .await
            .unwrap()
            .status,
        ApprovalState::Expired
    );
    let (code, _) = env
        .post(
            &format!("approvals/{}/approve", ticket.token),
            &json!({"staff_id": "01"}),
        )
        .await;
    assert_eq!(code, 410);
    assert!(env.client.consume_approval(&ticket.token).await.is_err());
    let page = env
        .http
        .get(&ticket.approve_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("expired"));
    // Approved but not consumed in time expires too.
    let ticket = env
        .client
        .create_approval(ApprovalKind::Login, None, None)
        .await
        .unwrap();
    let (code, _) = env
        .post(
            &format!("approvals/{}/approve", ticket.token),
            &json!({"staff_id": "01"}),
        )
        .await;
    assert_eq!(code, 200);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(env.client.consume_approval(&ticket.token).await.is_err());
}
