//! Ingest: exactly-once in effect, whatever the order, repetition or timing of pushes.

mod common;

use cloudpos_hq_protocol::{PushRequest, Record, ShiftRecord};
use common::*;

#[tokio::test]
async fn a_push_is_applied_once_and_its_redelivery_changes_nothing() {
    let hq = start(false).await;
    let till = hq.enrol("南山店", "till-1").await;
    assert_eq!(till.applied_through, 0);
    let changes = vec![
        change(
            1,
            Record::Order(order("1", "submitted", 1000, 0, "wechat", T0)),
        ),
        change(2, Record::Order(order("1", "paid", 1000, 0, "wechat", T0))),
        change(3, Record::Order(order("2", "paid", 500, 0, "alipay", T0))),
        change(
            4,
            Record::Refund(refund("1", "1", 300, "succeeded", T0 + 10)),
        ),
        change(
            5,
            Record::Order(order("1", "paid", 1000, 300, "wechat", T0)),
        ),
        change(
            6,
            Record::Shift(ShiftRecord {
                shift: 1,
                clerk: "01".into(),
                opened_at: T0,
                closed_at: None,
            }),
        ),
    ];
    let req = PushRequest::new(changes, 7, Some(T0 + 99));
    let (status, body) = hq.push(&till.credential, &req).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["applied_through"], 6);
    assert_eq!(body["applied"], 6);
    assert_eq!(body["duplicates"], 0);
    let snapshot = || async {
        (
            hq.scalar("SELECT count(*) FROM orders").await,
            hq.scalar("SELECT sum(amount_fen)::bigint FROM orders WHERE state = 'paid'")
                .await,
            hq.scalar("SELECT sum(refunded_fen)::bigint FROM orders")
                .await,
            hq.scalar("SELECT count(*) FROM refunds").await,
            hq.scalar("SELECT count(*) FROM change_log").await,
        )
    };
    let first = snapshot().await;
    assert_eq!(first, (2, 1500, 300, 1, 6));
    // The answer was lost: the till sends the same batch again, twice.
    for _ in 0..2 {
        let (status, body) = hq.push(&till.credential, &req).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["applied_through"], 6);
        assert_eq!(body["applied"], 0);
        assert_eq!(body["duplicates"], 6);
        assert_eq!(snapshot().await, first);
    }
    // The till's reported backlog is shown to the owner.
    assert_eq!(hq.scalar("SELECT backlog FROM terminals").await, 7);
}

#[tokio::test]
async fn a_gap_applies_nothing_and_an_overlapping_resend_applies_only_the_new_changes() {
    let hq = start(false).await;
    let till = hq.enrol("s", "d").await;
    let (status, _) = hq.push(&till.credential, &batch(paid_orders(1, 3))).await;
    assert_eq!(status, 200);
    // 4 and 5 were lost on the way; 6..7 arrive first.
    let (status, body) = hq.push(&till.credential, &batch(paid_orders(6, 7))).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "gap");
    assert_eq!(body["applied_through"], 3);
    assert_eq!(body["expected_seq"], 4);
    assert_eq!(hq.scalar("SELECT count(*) FROM orders").await, 3);
    assert!(
        hq.scalar("SELECT count(*) FROM terminals WHERE last_error LIKE '%seq 4%'")
            .await
            == 1
    );
    // Resend from an older point (2..7): 2 and 3 are duplicates, 4..7 are new.
    let (status, body) = hq.push(&till.credential, &batch(paid_orders(2, 7))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["applied"], 4);
    assert_eq!(body["duplicates"], 2);
    assert_eq!(body["applied_through"], 7);
    assert_eq!(hq.scalar("SELECT count(*) FROM orders").await, 7);
    assert_eq!(
        hq.scalar("SELECT sum(amount_fen)::bigint FROM orders")
            .await,
        (1..=7).sum::<i64>() * 100
    );
    assert_eq!(
        hq.scalar("SELECT count(*) FROM terminals WHERE last_error IS NULL")
            .await,
        1
    );
    // A batch that is not contiguous in itself is refused whole.
    let mut holed = paid_orders(8, 10);
    holed.remove(1);
    let (status, body) = hq.push(&till.credential, &batch(holed)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["seq"], 10);
    assert_eq!(hq.scalar("SELECT applied_through FROM terminals").await, 7);
}

#[tokio::test]
async fn a_different_change_under_a_used_number_is_refused_never_overwritten() {
    let hq = start(false).await;
    let till = hq.enrol("s", "d").await;
    hq.push(&till.credential, &batch(paid_orders(1, 2))).await;
    let forged = vec![change(
        2,
        Record::Order(order("2", "paid", 999_999, 0, "wechat", T0)),
    )];
    let (status, body) = hq.push(&till.credential, &batch(forged)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "conflict");
    assert_eq!(body["seq"], 2);
    assert_eq!(
        hq.scalar("SELECT sum(amount_fen)::bigint FROM orders")
            .await,
        300
    );
}

#[tokio::test]
async fn the_last_state_of_a_record_wins_within_and_across_batches() {
    let hq = start(false).await;
    let till = hq.enrol("s", "d").await;
    let one = |seq, state: &str, refunded| {
        change(
            seq,
            Record::Order(order("9", state, 1000, refunded, "wechat", T0)),
        )
    };
    hq.push(
        &till.credential,
        &batch(vec![
            one(1, "submitted", 0),
            one(2, "paid", 0),
            one(3, "paid", 400),
        ]),
    )
    .await;
    assert_eq!(hq.scalar("SELECT refunded_fen FROM orders").await, 400);
    hq.push(
        &till.credential,
        &batch(vec![one(4, "reversing", 400), one(5, "reversed", 400)]),
    )
    .await;
    assert_eq!(
        hq.scalar("SELECT count(*) FROM orders WHERE state = 'reversed'")
            .await,
        1
    );
    // A voided order is not in the paid summary (as on the till).
    let (_, s) = hq.get("/api/v1/summary").await;
    assert!(s.is_object());
}

#[tokio::test]
async fn concurrent_pushes_from_one_till_apply_every_change_exactly_once() {
    let hq = start(false).await;
    let till = hq.enrol("s", "d").await;
    // Sixteen pushes at once, overlapping ranges, as a till with retries and a second sync
    // process might send them.
    let ranges: Vec<(i64, i64)> = (0..16)
        .map(|i| (1 + (i % 4) * 25, 25 + (i % 4) * 25 + (i / 4) * 10))
        .collect();
    let mut tasks = Vec::new();
    for (a, b) in ranges.clone() {
        let http = hq.http.clone();
        let url = hq.url.clone();
        let cred = till.credential.clone();
        tasks.push(tokio::spawn(async move {
            push_to(&http, &url, &cred, &batch(paid_orders(a, b.min(130)))).await
        }));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert!(
            status == 200 || (status == 409 && body["error"] == "gap"),
            "{status} {body}"
        );
    }
    // Then the till resends everything not yet acknowledged, as its loop would.
    loop {
        let through = hq.scalar("SELECT applied_through FROM terminals").await;
        if through >= 130 {
            break;
        }
        let (status, body) = hq
            .push(
                &till.credential,
                &batch(paid_orders(through + 1, (through + 40).min(130))),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(hq.scalar("SELECT count(*) FROM orders").await, 130);
    assert_eq!(hq.scalar("SELECT count(*) FROM change_log").await, 130);
    assert_eq!(
        hq.scalar("SELECT count(DISTINCT seq) FROM change_log")
            .await,
        130
    );
    assert_eq!(
        hq.scalar("SELECT sum(amount_fen)::bigint FROM orders")
            .await,
        (1..=130).sum::<i64>() * 100
    );
}

#[tokio::test]
async fn credentials_are_checked() {
    let hq = start(false).await;
    let till = hq.enrol("s", "d").await;
    let (status, body) = hq
        .push("hqt_not-a-credential", &batch(paid_orders(1, 1)))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unauthorized");
    // A till cannot read the owner's API; nobody can without a credential.
    let r = hq
        .http
        .get(format!("{}/api/v1/summary", hq.url))
        .bearer_auth(&till.credential)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(hq.get("/api/v1/summary").await.0, 401);
    // An enrolment token works once.
    let token = cloudpos_hq::auth::create_enrolment(
        &hq.pool,
        "s",
        "d2",
        std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    let ex = |t: String| {
        let http = hq.http.clone();
        let url = hq.url.clone();
        async move {
            http.post(format!("{url}/api/v1/enrol"))
                .json(&serde_json::json!({"v": 1, "token": t}))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(ex(token.to_string()).await.status(), 200);
    let again = ex(token.to_string()).await;
    assert_eq!(again.status(), 401);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["error"], "enrolment_invalid");
    // Only hashes are stored.
    let raw: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT credential_hash FROM terminals WHERE credential_hash IS NOT NULL")
            .fetch_all(&hq.pool)
            .await
            .unwrap();
    assert!(
        raw.iter()
            .all(|(h,)| h.len() == 32 && !String::from_utf8_lossy(h).contains(&till.credential))
    );
    // The owner: HTTP Basic, and a session from the login endpoint.
    cloudpos_hq::auth::add_owner(
        &hq.pool,
        "boss",
        "correct horse",
        cloudpos_hq::auth::PasswordCost::TestOnly,
    )
    .await
    .unwrap();
    let r = hq
        .http
        .get(format!("{}/api/v1/terminals", hq.url))
        .basic_auth("boss", Some("correct horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = hq
        .http
        .get(format!("{}/api/v1/terminals", hq.url))
        .basic_auth("boss", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let login: serde_json::Value = hq
        .http
        .post(format!("{}/api/v1/login", hq.url))
        .json(&serde_json::json!({"name": "boss", "password": "correct horse"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = login["token"].as_str().unwrap();
    let r = hq
        .http
        .get(format!("{}/api/v1/terminals", hq.url))
        .bearer_auth(session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Re-enrolling the same till keeps its stream and replaces the credential.
    hq.push(&till.credential, &batch(paid_orders(1, 4))).await;
    let again = hq.enrol("s", "d").await;
    assert_eq!(again.terminal_id, till.terminal_id);
    assert_eq!(again.applied_through, 4);
    assert_eq!(
        hq.push(&till.credential, &batch(paid_orders(5, 5))).await.0,
        401
    );
    assert_eq!(
        hq.push(&again.credential, &batch(paid_orders(5, 5)))
            .await
            .0,
        200
    );
}
