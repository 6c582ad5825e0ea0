//! The till's client (`cloudpos-hq-client`) against a real `cloudpos-hq` on PostgreSQL:
//! member cards end to end, a replayed movement, a refusal, and a head office that cannot
//! be reached.

mod common;

use std::time::Duration;

use cloudpos_domain::hq_ports::{HeadOfficeAccess, HeadOfficeLink as _, LinkError, LinkRetry};
use cloudpos_domain::member::{MemberError, MemberStatus};
use cloudpos_hq::auth;
use cloudpos_hq::sqlx;
use cloudpos_hq_client::{HqClient, HttpSettings};
use cloudpos_hq_protocol::{CardInput, MovementKind, MovementRequest, MovementStatus};
use common::*;

fn movement(key: &str, kind: MovementKind, amount: i64, bonus: i64) -> MovementRequest {
    MovementRequest {
        v: 1,
        key: key.into(),
        card_no: "99000001".into(),
        kind,
        amount_fen: amount,
        bonus_fen: bonus,
        payment_key: None,
        reason: None,
        clerk: "01".into(),
        at: T0,
    }
}

#[tokio::test]
async fn a_till_recharges_and_pays_with_a_card_through_the_head_office() {
    let hq = start(false).await;
    let token = auth::create_enrolment(&hq.pool, "南山店", "till-1", Duration::from_secs(60))
        .await
        .unwrap();
    let client = HqClient::new(HttpSettings::default());
    let enrolment = client.enrol(&hq.url, &token).await.unwrap();
    let to = HeadOfficeAccess {
        url: hq.url.clone(),
        credential: enrolment.credential,
    };

    let cards = client
        .put_member_cards(
            &to,
            vec![CardInput {
                card_no: "99000001".into(),
                name: "张三".into(),
                phone: "13800138000".into(),
                status: MemberStatus::Active,
                created_at: T0,
            }],
            false,
        )
        .await
        .unwrap();
    assert_eq!(cards[0].balance_fen, 0);
    assert!(client.member_card(&to, "99009999").await.unwrap().is_none());
    let by_phone = client.member_cards(&to, Some("13800138000")).await.unwrap();
    assert_eq!(by_phone.len(), 1);

    let r = movement("sz0100A00000000001", MovementKind::Recharge, 10_000, 1_000);
    let first = client.member_movement(&to, &r).await.unwrap();
    assert_eq!(
        (first.status, first.balance_fen),
        (MovementStatus::Applied, 11_000)
    );
    // The answer was lost: the same request again is answered with the first result.
    let again = client.member_movement(&to, &r).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.balance_fen, 11_000);

    let pay = movement("sz0100A00000000002", MovementKind::Payment, 2_550, 0);
    assert_eq!(
        client.member_movement(&to, &pay).await.unwrap().balance_fen,
        8_450
    );
    let over = movement("sz0100A00000000003", MovementKind::Payment, 9_000, 0);
    let refused = client.member_movement(&to, &over).await.unwrap();
    assert_eq!(refused.status, MovementStatus::Refused);
    assert!(matches!(
        refused.member_error(),
        Some(MemberError::InsufficientBalance { balance, .. }) if balance.fen() == 8_450
    ));

    let account = client
        .member_card(&to, "99000001")
        .await
        .unwrap()
        .unwrap()
        .to_account()
        .unwrap();
    assert_eq!(account.balance.fen(), 8_450);
    let ledger = client.member_entries(&to, "99000001").await.unwrap();
    let kinds: Vec<String> = ledger
        .entries
        .iter()
        .map(|e| e.to_entry(&account.card.card_no).unwrap().kind.to_string())
        .collect();
    assert_eq!(kinds, ["recharge", "bonus", "payment"]);

    // A different request under a used key is refused and moves nothing.
    let mut other = pay.clone();
    other.amount_fen = 1;
    let e = client.member_movement(&to, &other).await.unwrap_err();
    assert!(
        matches!(&e, LinkError::Refused { code, .. } if code == "conflict"),
        "{e}"
    );

    // The head office goes away: the till hears "cannot be reached" and retries later.
    let url = hq.url.clone();
    let pool = hq.pool.clone();
    hq.running.shutdown().await;
    let gone = HeadOfficeAccess {
        url,
        credential: to.credential.clone(),
    };
    let e = client
        .member_movement(
            &gone,
            &movement("sz0100A00000000004", MovementKind::Payment, 1, 0),
        )
        .await
        .unwrap_err();
    assert_eq!(e.retry(), LinkRetry::Later, "{e}");
    assert!(matches!(e, LinkError::Unreachable(_)), "{e}");
    let (balance,): (i64,) = sqlx::query_as("SELECT balance_fen FROM member_cards")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(balance, 8_450);
}
