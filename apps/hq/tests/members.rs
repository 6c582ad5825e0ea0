//! Chain-wide member cards on PostgreSQL: cards, movements once per idempotency key,
//! refusals with their codes, and two tills debiting one card at once.

mod common;

use cloudpos_hq_protocol::{MovementKind, MovementRequest};
use common::*;
use serde_json::{Value, json};

const CARD: &str = "99000001";

impl Hq {
    async fn call(
        &self,
        method: &str,
        path: &str,
        credential: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut r = match method {
            "POST" => self.http.post(format!("{}{path}", self.url)),
            _ => self.http.get(format!("{}{path}", self.url)),
        };
        if !credential.is_empty() {
            r = r.bearer_auth(credential);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn add_card(
        &self,
        credential: &str,
        card: &str,
        name: &str,
        phone: &str,
    ) -> (u16, Value) {
        self.call(
            "POST",
            "/api/v1/members",
            credential,
            Some(
                &json!({"v": 1, "cards": [{"card_no": card, "name": name, "phone": phone,
                "status": "active", "created_at": T0}]}),
            ),
        )
        .await
    }

    async fn mv(&self, credential: &str, req: &MovementRequest) -> (u16, Value) {
        self.call(
            "POST",
            "/api/v1/member-movements",
            credential,
            Some(&serde_json::to_value(req).unwrap()),
        )
        .await
    }

    async fn balance(&self, card: &str) -> i64 {
        self.scalar(&format!(
            "SELECT balance_fen FROM member_cards WHERE card_no = '{card}'"
        ))
        .await
    }

    /// The balance kept beside the card equals the sum of its entries, for every card.
    async fn assert_balances_are_sums(&self) {
        let off = self
            .scalar(
                "SELECT count(*) FROM member_cards c WHERE balance_fen <> \
                 (SELECT COALESCE(sum(amount_fen), 0) FROM member_entries e WHERE e.card_no = c.card_no)",
            )
            .await;
        assert_eq!(
            off, 0,
            "a card's balance differs from the sum of its entries"
        );
    }
}

fn mv(key: &str, card: &str, kind: MovementKind, amount: i64) -> MovementRequest {
    MovementRequest {
        v: 1,
        key: key.into(),
        card_no: card.into(),
        kind,
        amount_fen: amount,
        bonus_fen: 0,
        payment_key: None,
        reason: (kind == MovementKind::Adjustment).then(|| "盘点更正".into()),
        clerk: "01".into(),
        at: T0,
    }
}

fn recharge(key: &str, card: &str, amount: i64, bonus: i64) -> MovementRequest {
    MovementRequest {
        bonus_fen: bonus,
        ..mv(key, card, MovementKind::Recharge, amount)
    }
}

fn refund(key: &str, card: &str, payment: &str, amount: i64) -> MovementRequest {
    MovementRequest {
        payment_key: Some(payment.into()),
        ..mv(key, card, MovementKind::Refund, amount)
    }
}

#[tokio::test]
async fn cards_are_added_found_by_number_and_phone_and_updated_by_an_import() {
    let hq = start(false).await;
    let till = hq.enrol("南山店", "till-1").await;
    let cred = till.credential.as_str();
    let (status, body) = hq.add_card(cred, CARD, "张三", "13800138000").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cards"][0]["balance_fen"], 0);
    // The answer was lost: the same add again succeeds and adds nothing.
    let (status, _) = hq.add_card(cred, CARD, "张三", "13800138000").await;
    assert_eq!(status, 200);
    // Another member under a used number is refused, naming it.
    let (status, body) = hq.add_card(cred, CARD, "李四", "13900139000").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "conflict");
    assert!(body["message"].as_str().unwrap().contains(CARD), "{body}");
    // A bad card is refused naming the field, and nothing of the request is added.
    let (status, body) = hq
        .call(
            "POST",
            "/api/v1/members",
            cred,
            Some(&json!({"v": 1, "cards": [
                {"card_no": "99000002", "name": "王五", "phone": "", "status": "active", "created_at": T0},
                {"card_no": "99000003", "name": "赵六", "phone": "12", "status": "active", "created_at": T0}]})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().starts_with("phone"),
        "{body}"
    );
    assert_eq!(hq.scalar("SELECT count(*) FROM member_cards").await, 1);

    let (status, card) = hq
        .call("GET", &format!("/api/v1/members/{CARD}"), cred, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        card,
        json!({"card_no": CARD, "name": "张三", "phone": "13800138000", "status": "active",
               "balance_fen": 0, "created_at": T0})
    );
    let (status, body) = hq.call("GET", "/api/v1/members/99009999", cred, None).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (_, found) = hq
        .call("GET", "/api/v1/members?phone=13800138000", cred, None)
        .await;
    assert_eq!(found["cards"].as_array().unwrap().len(), 1);
    let (_, none) = hq
        .call("GET", "/api/v1/members?phone=13900139000", cred, None)
        .await;
    assert_eq!(none["cards"], json!([]));

    // An import (upsert) updates name, phone and status, and never a balance.
    hq.mv(cred, &recharge("r1", CARD, 5000, 0)).await;
    let (status, body) = hq
        .call(
            "POST",
            "/api/v1/members",
            cred,
            Some(&json!({"v": 1, "upsert": true, "cards": [
                {"card_no": CARD, "name": "张三丰", "phone": "", "status": "frozen", "created_at": T0},
                {"card_no": "99000002", "name": "王五", "phone": "", "status": "active", "created_at": T0}]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cards"][0]["name"], "张三丰");
    assert_eq!(body["cards"][0]["status"], "frozen");
    assert_eq!(body["cards"][0]["balance_fen"], 5000);
    let (_, all) = hq.call("GET", "/api/v1/members", cred, None).await;
    assert_eq!(all["cards"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_movement_is_applied_once_and_every_replay_answers_the_first_result() {
    let hq = start(false).await;
    let a = hq.enrol("南山店", "till-1").await;
    let b = hq.enrol("福田店", "till-1").await;
    hq.add_card(&a.credential, CARD, "张三", "").await;

    // 充 100 送 10 at till A.
    let r = recharge("sz0100A00000000001", CARD, 10_000, 1_000);
    let (status, first) = hq.mv(&a.credential, &r).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["status"], "applied");
    assert_eq!(first["balance_fen"], 11_000);
    assert_eq!(first["replayed"], false);
    // The answer was lost; the till (or another one, after a restore) sends it again.
    for cred in [&a.credential, &a.credential, &b.credential] {
        let mut again = r.clone();
        again.at += 60_000; // rebuilt after a crash: the time differs, the money does not
        let (status, replay) = hq.mv(cred, &again).await;
        assert_eq!(status, 200, "{replay}");
        assert_eq!(replay["replayed"], true);
        let mut same = replay.clone();
        same["replayed"] = json!(false);
        assert_eq!(same, first, "a replay answers the first result");
    }
    assert_eq!(hq.balance(CARD).await, 11_000);
    assert_eq!(hq.scalar("SELECT count(*) FROM member_entries").await, 2);

    // A different request under a used key is a conflict and moves nothing.
    for other in [
        recharge("sz0100A00000000001", CARD, 20_000, 1_000),
        recharge("sz0100A00000000001", CARD, 10_000, 0),
        mv("sz0100A00000000001", CARD, MovementKind::Payment, 10_000),
    ] {
        let (status, body) = hq.mv(&a.credential, &other).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"], "conflict");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("sz0100A00000000001")
        );
    }
    assert_eq!(hq.balance(CARD).await, 11_000);

    // A card payment at till B, replayed: debited once.
    let pay = mv("sz0200B00000000001", CARD, MovementKind::Payment, 2_550);
    for _ in 0..3 {
        let (status, body) = hq.mv(&b.credential, &pay).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "applied");
        assert_eq!(body["balance_fen"], 8_450);
    }
    // A refund of it back to the card at till B, replayed: credited once.
    let back = refund("rf0200B0001", CARD, "sz0200B00000000001", 550);
    for _ in 0..2 {
        let (_, body) = hq.mv(&b.credential, &back).await;
        assert_eq!(body["balance_fen"], 9_000, "{body}");
    }
    // An admin's adjustment, replayed.
    let adj = mv("adj-till-1-1", CARD, MovementKind::Adjustment, -1);
    for _ in 0..2 {
        let (_, body) = hq.mv(&a.credential, &adj).await;
        assert_eq!(body["balance_fen"], 8_999, "{body}");
    }
    // The entries, oldest first, with the balance after each, the key and the till.
    let (status, ledger) = hq
        .call(
            "GET",
            &format!("/api/v1/members/{CARD}/entries"),
            &a.credential,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(ledger["balance_fen"], 8_999);
    let lines: Vec<(&str, i64, i64, &str)> = ledger["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["amount_fen"].as_i64().unwrap(),
                e["balance_after_fen"].as_i64().unwrap(),
                e["store"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("recharge", 10_000, 10_000, "南山店"),
            ("bonus", 1_000, 11_000, "南山店"),
            ("payment", -2_550, 8_450, "福田店"),
            ("refund", 550, 9_000, "福田店"),
            ("adjustment", -1, 8_999, "南山店"),
        ]
    );
    assert_eq!(ledger["entries"][4]["reason"], "盘点更正");
    hq.assert_balances_are_sums().await;
}

#[tokio::test]
async fn refusals_carry_a_code_and_the_balance_and_are_final_under_their_key() {
    let hq = start(false).await;
    let till = hq.enrol("s", "d").await;
    let cred = till.credential.as_str();
    hq.add_card(cred, CARD, "张三", "").await;
    hq.mv(cred, &recharge("r1", CARD, 1_000, 0)).await;

    let over = mv("p1", CARD, MovementKind::Payment, 1_001);
    let (status, body) = hq.mv(cred, &over).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "refused");
    assert_eq!(body["refusal"]["code"], "insufficient_balance");
    assert_eq!(body["balance_fen"], 1_000);
    assert!(
        body["refusal"]["message"]
            .as_str()
            .unwrap()
            .contains("10.00"),
        "{body}"
    );
    // Recharged since: the refused key stays refused (its replay must never pay).
    hq.mv(cred, &recharge("r2", CARD, 5_000, 0)).await;
    let (_, body) = hq.mv(cred, &over).await;
    assert_eq!(
        (body["status"].as_str(), body["replayed"].as_bool()),
        (Some("refused"), Some(true))
    );
    assert_eq!(
        body["balance_fen"], 1_000,
        "the first answer, not today's balance"
    );
    assert_eq!(hq.balance(CARD).await, 6_000);

    // Unknown card; a negative adjustment below zero.
    let (_, body) = hq
        .mv(cred, &mv("p2", "99009999", MovementKind::Payment, 1))
        .await;
    assert_eq!(body["refusal"]["code"], "card_not_found");
    let (_, body) = hq
        .mv(cred, &mv("a1", CARD, MovementKind::Adjustment, -6_001))
        .await;
    assert_eq!(body["refusal"]["code"], "insufficient_balance");
    assert_eq!(body["balance_fen"], 6_000);

    // Refunds to the card: only of this card's payments, never beyond them.
    let (_, body) = hq.mv(cred, &refund("rf1", CARD, "r1", 100)).await;
    assert_eq!(
        body["refusal"]["code"], "payment_not_found",
        "a recharge is no payment"
    );
    hq.mv(cred, &mv("p3", CARD, MovementKind::Payment, 3_000))
        .await;
    let (_, body) = hq.mv(cred, &refund("rf2", CARD, "p3", 2_000)).await;
    assert_eq!(body["status"], "applied", "{body}");
    let (_, body) = hq.mv(cred, &refund("rf3", CARD, "p3", 1_001)).await;
    assert_eq!(body["refusal"]["code"], "refund_exceeds_payment", "{body}");
    let (_, body) = hq.mv(cred, &refund("rf4", CARD, "p3", 1_000)).await;
    assert_eq!(body["status"], "applied");
    assert_eq!(hq.balance(CARD).await, 6_000);

    // A frozen card cannot pay, but money already taken is still credited to it.
    hq.call(
        "POST",
        "/api/v1/members",
        cred,
        Some(&json!({"v": 1, "upsert": true, "cards": [
            {"card_no": CARD, "name": "张三", "phone": "", "status": "frozen", "created_at": T0}]})),
    )
    .await;
    let (_, body) = hq.mv(cred, &mv("p4", CARD, MovementKind::Payment, 1)).await;
    assert_eq!(body["refusal"]["code"], "card_frozen");
    assert_eq!(body["balance_fen"], 6_000);
    let (_, body) = hq.mv(cred, &recharge("r3", CARD, 100, 0)).await;
    assert_eq!(body["status"], "applied");
    hq.assert_balances_are_sums().await;
    assert_eq!(
        hq.scalar("SELECT count(*) FROM member_movements WHERE NOT applied")
            .await,
        6,
        "every refusal is recorded under its key"
    );
}

#[tokio::test]
async fn bad_requests_name_the_field_and_tills_must_be_enrolled() {
    let hq = start(false).await;
    let till = hq.enrol("s", "d").await;
    let cred = till.credential.as_str();
    hq.add_card(cred, CARD, "张三", "").await;
    let (status, body) = hq.mv("", &recharge("r1", CARD, 100, 0)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = hq
        .mv("hqt_not-a-credential", &recharge("r1", CARD, 100, 0))
        .await;
    assert_eq!(status, 401);
    let (status, _) = hq
        .call("GET", &format!("/api/v1/members/{CARD}"), "", None)
        .await;
    assert_eq!(status, 401);
    let mut old = recharge("r1", CARD, 100, 0);
    old.v = 2;
    let (status, body) = hq.mv(cred, &old).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_version"))
    );
    for (req, field) in [
        (mv("p1", CARD, MovementKind::Payment, 0), "amount_fen"),
        (recharge("r1", CARD, 100, -1), "bonus_fen"),
        (mv("x y", CARD, MovementKind::Payment, 1), "key"),
        (
            MovementRequest {
                reason: None,
                ..mv("a1", CARD, MovementKind::Adjustment, 5)
            },
            "reason",
        ),
        (
            MovementRequest {
                payment_key: None,
                ..refund("rf1", CARD, "p1", 5)
            },
            "payment_key",
        ),
    ] {
        let (status, body) = hq.mv(cred, &req).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"].as_str().unwrap().starts_with(field),
            "{field}: {body}"
        );
    }
    assert_eq!(hq.scalar("SELECT count(*) FROM member_movements").await, 0);
}

#[tokio::test]
async fn entries_are_append_only() {
    let hq = start(false).await;
    let till = hq.enrol("s", "d").await;
    hq.add_card(&till.credential, CARD, "张三", "").await;
    hq.mv(&till.credential, &recharge("r1", CARD, 100, 0)).await;
    for sql in [
        "UPDATE member_entries SET amount_fen = 1000000",
        "DELETE FROM member_entries",
    ] {
        let e = sqlx::query(sql).execute(&hq.pool).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{e}");
    }
    let e = sqlx::query("UPDATE member_cards SET balance_fen = -1")
        .execute(&hq.pool)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("check"), "{e}");
}

#[tokio::test]
async fn two_tills_debiting_one_card_at_once_never_both_spend_what_only_one_can() {
    let hq = start(false).await;
    let a = hq.enrol("南山店", "till-1").await;
    let b = hq.enrol("福田店", "till-2").await;
    const CARDS: usize = 12;
    for i in 0..CARDS {
        let card = format!("9910{i:04}");
        hq.add_card(&a.credential, &card, "会员", "").await;
        hq.mv(
            &a.credential,
            &recharge(&format!("r-{card}"), &card, 10_000, 0),
        )
        .await;
    }
    // Each card holds 100.00; both tills try to take 60.00 from it at the same moment.
    let mut tasks = Vec::new();
    for i in 0..CARDS {
        for (till, cred) in [("a", a.credential.clone()), ("b", b.credential.clone())] {
            let http = hq.http.clone();
            let url = hq.url.clone();
            let req = mv(
                &format!("p-{till}-{i}"),
                &format!("9910{i:04}"),
                MovementKind::Payment,
                6_000,
            );
            tasks.push(tokio::spawn(async move {
                let r = http
                    .post(format!("{url}/api/v1/member-movements"))
                    .bearer_auth(cred)
                    .json(&req)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                r.json::<Value>().await.unwrap()
            }));
        }
    }
    let mut applied = vec![0; CARDS];
    for (n, t) in tasks.into_iter().enumerate() {
        let body = t.await.unwrap();
        match body["status"].as_str() {
            Some("applied") => {
                applied[n / 2] += 1;
                assert_eq!(body["balance_fen"], 4_000);
            }
            Some("refused") => {
                assert_eq!(body["refusal"]["code"], "insufficient_balance");
                assert_eq!(
                    body["balance_fen"], 4_000,
                    "refused against the balance the other left"
                );
            }
            other => panic!("unexpected {other:?}: {body}"),
        }
    }
    assert_eq!(applied, vec![1; CARDS], "exactly one debit of each card");
    assert_eq!(
        hq.scalar("SELECT count(*) FROM member_cards WHERE balance_fen <> 4000")
            .await,
        0
    );
    hq.assert_balances_are_sums().await;
}

#[tokio::test]
async fn replays_racing_their_original_and_one_key_raced_for_two_cards_apply_once() {
    let hq = start(false).await;
    let till = hq.enrol("s", "d").await;
    for card in [CARD, "99000002"] {
        hq.add_card(&till.credential, card, "张三", "").await;
        hq.mv(
            &till.credential,
            &recharge(&format!("r-{card}"), card, 10_000, 0),
        )
        .await;
    }
    // The same payment sent eight times at once: one debit, seven replays.
    let send = |req: MovementRequest| {
        let http = hq.http.clone();
        let url = hq.url.clone();
        let cred = till.credential.clone();
        tokio::spawn(async move {
            let r = http
                .post(format!("{url}/api/v1/member-movements"))
                .bearer_auth(cred)
                .json(&req)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        })
    };
    let tasks: Vec<_> = (0..8)
        .map(|_| send(mv("p-same", CARD, MovementKind::Payment, 1_000)))
        .collect();
    let mut replays = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["balance_fen"], 9_000);
        replays += usize::from(body["replayed"] == true);
    }
    assert_eq!(replays, 7);
    assert_eq!(hq.balance(CARD).await, 9_000);
    // One key sent for two different cards at once: one applies, the other is a conflict.
    for round in 0..5 {
        let key = format!("p-race-{round}");
        let t1 = send(mv(&key, CARD, MovementKind::Payment, 100));
        let t2 = send(mv(&key, "99000002", MovementKind::Payment, 100));
        let (s1, b1) = t1.await.unwrap();
        let (s2, b2) = t2.await.unwrap();
        let mut statuses = [s1, s2];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{b1} {b2}");
    }
    assert_eq!(
        hq.balance(CARD).await + hq.balance("99000002").await,
        9_000 + 10_000 - 500
    );
    hq.assert_balances_are_sums().await;
}
