//! Deposits at the head office: stored once per till and number, the last state wins, never
//! counted as takings (only the consume's paid order is), searchable, and what is held now is
//! shown per store on the API and the owner's page.

mod common;

use cloudpos_hq_protocol::{PushRequest, Record};
use common::*;

#[tokio::test]
async fn deposits_are_stored_once_with_their_last_state_and_never_counted_as_takings() {
    let hq = start(true).await;
    let till = hq.enrol("南山店", "till-1").await;
    let changes = vec![
        change(
            1,
            Record::Deposit(deposit("1", "freezing", 10_000, 0, 0, T0)),
        ),
        change(2, Record::Deposit(deposit("1", "frozen", 10_000, 0, 0, T0))),
        change(
            3,
            Record::Deposit(deposit("2", "frozen", 5_000, 0, 0, T0 + 10)),
        ),
        change(
            4,
            Record::Deposit(deposit("3", "frozen", 800, 0, 0, T0 + 20)),
        ),
        // Deposit 1 consumed for 30.00: its paid order travels as an order, in the same batch.
        change(
            5,
            Record::Deposit(deposit("1", "consuming", 10_000, 0, 0, T0 + 30)),
        ),
        change(
            6,
            Record::Order(order("1", "paid", 3_000, 0, "wechat", T0 + 40)),
        ),
        change(
            7,
            Record::Deposit(deposit("1", "consumed", 10_000, 3_000, 7_000, T0 + 40)),
        ),
        // Deposit 3 released.
        change(
            8,
            Record::Deposit(deposit("3", "unfrozen", 800, 0, 800, T0 + 50)),
        ),
    ];
    let req = PushRequest::new(changes, 0, None);
    let (status, body) = hq.push(&till.credential, &req).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["applied_through"], 8);
    let snapshot = || async {
        (
            hq.scalar("SELECT count(*) FROM deposits").await,
            hq.scalar("SELECT count(*) FROM deposits WHERE state = 'frozen'")
                .await,
            hq.scalar("SELECT sum(consumed_fen)::bigint FROM deposits")
                .await,
            hq.scalar("SELECT sum(released_fen)::bigint FROM deposits")
                .await,
        )
    };
    let first = snapshot().await;
    assert_eq!(first, (3, 1, 3_000, 7_800));
    // Redelivered (a lost answer): nothing changes.
    let (status, body) = hq.push(&till.credential, &req).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["duplicates"], 8);
    assert_eq!(snapshot().await, first);

    // Takings are the consume's order only: 30.00, not the 100.00 frozen.
    let (status, s) = hq.get("/api/v1/summary").await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["total"]["paid_count"], 1);
    assert_eq!(s["total"]["paid_fen"], 3_000);

    // Held now: deposit 2 only.
    let (status, page) = hq.get("/api/v1/deposits?state=held").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 1);
    assert_eq!(page["held"]["count"], 1);
    assert_eq!(page["held"]["held_fen"], 5_000);
    assert_eq!(page["items"][0]["out_freeze_no"], "F0000000000000000002");
    assert_eq!(page["items"][0]["store"], "南山店");
    // All of them, newest first, with what each holds and the consume's order.
    let (_, page) = hq.get("/api/v1/deposits").await;
    assert_eq!(page["total"], 3);
    let nos: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["out_freeze_no"].as_str().unwrap())
        .collect();
    assert_eq!(
        nos,
        [
            "F0000000000000000003",
            "F0000000000000000002",
            "F0000000000000000001"
        ]
    );
    assert_eq!(page["items"][0]["held_fen"], 0);
    assert_eq!(page["items"][1]["held_fen"], 5_000);
    assert_eq!(page["items"][2]["consume_no"], "sz0100ABCD2611221300000001");
    let (_, page) = hq
        .get("/api/v1/deposits?freeze_no=0003&state=unfrozen")
        .await;
    assert_eq!(page["total"], 1);
    let (status, e) = hq.get("/api/v1/deposits?state=spent").await;
    assert_eq!(status, 400, "{e}");
    assert!(e["message"].as_str().unwrap().contains("spent"), "{e}");
}

#[tokio::test]
async fn the_last_state_in_a_batch_wins_and_each_till_keeps_its_own_numbers() {
    let hq = start(true).await;
    let till = hq.enrol("s", "d").await;
    let (status, body) = hq
        .push(
            &till.credential,
            &batch(vec![
                change(1, Record::Deposit(deposit("1", "frozen", 1_000, 0, 0, T0))),
                change(
                    2,
                    Record::Deposit(deposit("1", "unfrozen", 1_000, 0, 1_000, T0 + 5)),
                ),
            ]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        hq.scalar("SELECT seq FROM deposits").await,
        2,
        "the batch's last state of the deposit"
    );
    // A second till's deposit of the same number is its own.
    let other = hq.enrol("s", "d2").await;
    let (status, body) = hq
        .push(
            &other.credential,
            &batch(vec![change(
                1,
                Record::Deposit(deposit("1", "frozen", 9_000, 0, 0, T0)),
            )]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(hq.scalar("SELECT count(*) FROM deposits").await, 2);
    assert_eq!(
        hq.scalar("SELECT count(*) FROM deposits WHERE state = 'unfrozen' AND released_fen = 1000")
            .await,
        1
    );
}

#[tokio::test]
async fn a_deposit_that_breaks_the_rules_is_refused_and_applies_nothing() {
    let hq = start(true).await;
    let till = hq.enrol("s", "d").await;
    let mut bad = deposit("1", "frozen", 1_000, 0, 0, T0);
    bad.consumed_fen = 2_000;
    let (status, body) = hq
        .push(
            &till.credential,
            &batch(vec![
                change(1, Record::Order(order("9", "paid", 100, 0, "wechat", T0))),
                change(2, Record::Deposit(bad)),
            ]),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("consumed_fen"),
        "{body}"
    );
    assert_eq!(hq.scalar("SELECT count(*) FROM deposits").await, 0);
    assert_eq!(hq.scalar("SELECT count(*) FROM orders").await, 0);
}

#[tokio::test]
async fn the_owners_page_shows_what_each_store_holds() {
    let hq = start(true).await;
    let a = hq.enrol("南山店", "t1").await;
    let b = hq.enrol("福田店", "t1").await;
    for (till, rows) in [
        (&a, vec![("1", 10_000), ("2", 2_500)]),
        (&b, vec![("1", 700)]),
    ] {
        let changes = rows
            .iter()
            .enumerate()
            .map(|(i, (no, fen))| {
                change(
                    i64::try_from(i).unwrap() + 1,
                    Record::Deposit(deposit(no, "frozen", *fen, 0, 0, T0)),
                )
            })
            .collect();
        let (status, body) = hq.push(&till.credential, &batch(changes)).await;
        assert_eq!(status, 200, "{body}");
    }
    let html = hq
        .http
        .get(format!("{}/", hq.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("押金在押"), "{html}");
    assert!(
        html.contains(r#"data-store="南山店" data-count="2" data-held-fen="12500""#),
        "{html}"
    );
    assert!(
        html.contains(r#"data-store="福田店" data-count="1" data-held-fen="700""#),
        "{html}"
    );
    assert!(html.contains("¥125.00"), "{html}");
}
