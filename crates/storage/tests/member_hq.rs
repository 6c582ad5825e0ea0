//! Chain-wide member-card intents in the ledger (migration 0060): a card payment's order is
//! recorded only by the transaction that records its debit applied (its lines taken from
//! stock there, once) or failed by the one that records it refused, its number is held
//! meanwhile, a recharge credit is owed exactly when its payment is recorded paid, and an
//! answer is recorded once.

mod common;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::member::CardNo;
use cloudpos_domain::member_hq::{
    HqIntent, HqIntentState, MemberMovement, MovementKind, MovementOutcome,
};
use cloudpos_domain::member_ports::MemberLedger;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, PaymentMethod};
use cloudpos_domain::ports::{Ledger, StoreError};
use common::{open, order, t};

const CARD: &str = "9900000000000001";

fn movement(key: &str, kind: MovementKind, fen: i64) -> MemberMovement {
    MemberMovement {
        key: key.into(),
        card_no: CardNo::parse(CARD).unwrap(),
        kind,
        amount: Money::from_fen(fen),
        bonus: Money::ZERO,
        payment_key: None,
        reason: None,
        clerk_id: ClerkId::parse("01").unwrap(),
        at: t(1),
    }
}

fn card_payment(no: &str, fen: i64) -> HqIntent {
    let mut o = order(no, fen, 3);
    o.method = PaymentMethod::Wallet(Wallet::MemberCard);
    o.code_masked = None;
    o.mark_paid(None, t(3), t(3)).unwrap();
    HqIntent {
        movement: movement(no, MovementKind::Payment, fen),
        state: HqIntentState::Pending,
        order: Some(o),
        refusal: None,
        balance: None,
        created_at: t(3),
    }
}

fn applied(fen: i64) -> MovementOutcome {
    MovementOutcome::Applied {
        balance: Money::from_fen(fen),
        replayed: false,
    }
}

#[tokio::test]
async fn a_card_payment_is_recorded_with_its_applied_debit_and_holds_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let no = "sz0100T0002611220000000001";
    let intent = card_payment(no, 1_250);
    store.insert_hq_intent(&intent).await.unwrap();
    let order_no = intent.order.as_ref().unwrap().no.clone();
    assert!(
        store.order(&order_no).await.unwrap().is_none(),
        "not before the debit"
    );
    // The number is held: no other order (another process, a resumed generator) takes it.
    let err = store.insert_order(&order(no, 5, 4)).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Duplicate(ref w) if w.starts_with("order number")),
        "{err:?}"
    );
    assert!(
        store
            .latest_numbers()
            .await
            .unwrap()
            .contains(&no.to_owned()),
        "a restarted generator resumes after it"
    );
    assert_eq!(store.open_hq_intents(None).await.unwrap().len(), 1);

    let done = store
        .finish_hq_intent(no, &applied(750), t(5))
        .await
        .unwrap();
    assert_eq!(done.state, HqIntentState::Applied);
    assert_eq!(done.balance, Some(Money::from_fen(750)));
    let recorded = store.order(&order_no).await.unwrap().unwrap();
    assert_eq!(recorded.state, OrderState::Paid);
    // A replay's answer changes nothing (no second order, still applied).
    let again = store
        .finish_hq_intent(no, &applied(750), t(6))
        .await
        .unwrap();
    assert_eq!(again.state, HqIntentState::Applied);
    assert!(store.open_hq_intents(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refused_payment_records_its_order_failed_and_keeps_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let no = "sz0100T0002611220000000001";
    store
        .insert_hq_intent(&card_payment(no, 1_250))
        .await
        .unwrap();
    let refused = MovementOutcome::Refused {
        code: "insufficient_balance".into(),
        message: "short".into(),
        balance: Money::from_fen(10),
    };
    let done = store.finish_hq_intent(no, &refused, t(5)).await.unwrap();
    assert_eq!(done.state, HqIntentState::Refused);
    assert!(done.refusal.unwrap().contains("insufficient_balance"));
    let order_no = cloudpos_domain::order_no::OrderNo::parse(no).unwrap();
    let failed = store.order(&order_no).await.unwrap().unwrap();
    assert_eq!(failed.state, OrderState::Failed, "nothing was taken");
    assert_eq!(failed.paid_at, None);
    assert!(failed.reason.unwrap().contains("insufficient_balance"));
    // A late "applied" for the same key cannot turn it into a payment.
    let late = store.finish_hq_intent(no, &applied(0), t(6)).await.unwrap();
    assert_eq!(late.state, HqIntentState::Refused);
    assert_eq!(
        store.order(&order_no).await.unwrap().unwrap().state,
        OrderState::Failed
    );
    assert!(
        store.insert_order(&order(no, 5, 7)).await.is_err(),
        "the number stays burned"
    );
    let listed = store.refused_hq_intents().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].intent.movement.key.as_str(), listed[0].at),
        (no, t(5))
    );
}

#[tokio::test]
async fn an_applied_card_payment_takes_its_lines_from_stock_once() {
    use cloudpos_domain::catalog::{CartLine, Commodity};
    use cloudpos_domain::ports::Catalog;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store
        .upsert(&Commodity {
            sku: "A1".into(),
            barcode: None,
            name: "可乐".into(),
            category: String::new(),
            unit: "瓶".into(),
            price: Money::from_fen(350),
            stock: 10,
        })
        .await
        .unwrap();
    let no = "sz0100T0002611220000000001";
    let mut intent = card_payment(no, 1_050);
    let line = |sku: &str, quantity| CartLine {
        sku: sku.into(),
        name: "可乐".into(),
        unit: "瓶".into(),
        unit_price: Money::from_fen(350),
        quantity,
    };
    // A commodity deleted meanwhile is skipped; the sale stands.
    intent.order.as_mut().unwrap().lines = vec![line("A1", 3), line("GONE", 1)];
    store.insert_hq_intent(&intent).await.unwrap();
    let stock = || async { store.by_sku("A1").await.unwrap().unwrap().stock };
    assert_eq!(stock().await, 10, "not before the debit is applied");
    store.finish_hq_intent(no, &applied(0), t(5)).await.unwrap();
    assert_eq!(stock().await, 7);
    store.finish_hq_intent(no, &applied(0), t(6)).await.unwrap();
    assert_eq!(stock().await, 7, "a replay's answer takes nothing more");

    // Refused for good by an error answer (a key conflict): failed, nothing taken.
    let other = "sz0100T0002611220000000002";
    let mut refused = card_payment(other, 350);
    refused.order.as_mut().unwrap().lines = vec![line("A1", 1)];
    store.insert_hq_intent(&refused).await.unwrap();
    let done = store
        .refuse_hq_intent(other, "conflict: key used", t(7))
        .await
        .unwrap();
    assert_eq!(done.state, HqIntentState::Refused);
    assert_eq!(done.balance, None);
    assert_eq!(stock().await, 7);
    let order_no = cloudpos_domain::order_no::OrderNo::parse(other).unwrap();
    assert_eq!(
        store.order(&order_no).await.unwrap().unwrap().state,
        OrderState::Failed
    );
    // Final: neither a second refusal nor a late "applied" changes it.
    store.refuse_hq_intent(other, "again", t(8)).await.unwrap();
    let late = store
        .finish_hq_intent(other, &applied(0), t(9))
        .await
        .unwrap();
    assert_eq!(late.state, HqIntentState::Refused);
    assert_eq!(late.refusal.as_deref(), Some("conflict: key used"));
    assert_eq!(stock().await, 7);
    assert!(store.open_hq_intents(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_recharge_credit_is_owed_exactly_when_its_payment_is_recorded_paid() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let paid_no = "sz0100T0002611220000000001";
    let failed_no = "sz0100T0002611220000000002";
    for (no, fen) in [(paid_no, 10_000), (failed_no, 5_000)] {
        let o = order(no, fen, 1);
        let mut m = movement(no, MovementKind::Recharge, fen);
        m.bonus = Money::from_fen(1_000);
        store.insert_hq_recharge_intent(&o, &m).await.unwrap();
        assert_eq!(
            store.hq_intent(no).await.unwrap().unwrap().state,
            HqIntentState::Promised
        );
    }
    assert!(
        store.open_hq_intents(None).await.unwrap().is_empty(),
        "nothing owed yet"
    );

    let mut paid: Order = store
        .order(&cloudpos_domain::order_no::OrderNo::parse(paid_no).unwrap())
        .await
        .unwrap()
        .unwrap();
    let from = paid.state;
    paid.mark_paid(Some("tx1".into()), t(2), t(2)).unwrap();
    store.update_order(&paid, from).await.unwrap();
    assert_eq!(
        store.hq_intent(paid_no).await.unwrap().unwrap().state,
        HqIntentState::Pending
    );

    let mut failed: Order = store
        .order(&cloudpos_domain::order_no::OrderNo::parse(failed_no).unwrap())
        .await
        .unwrap()
        .unwrap();
    let from = failed.state;
    failed.mark_failed("余额不足", t(2)).unwrap();
    store.update_order(&failed, from).await.unwrap();
    assert_eq!(
        store.hq_intent(failed_no).await.unwrap().unwrap().state,
        HqIntentState::Cancelled
    );
    let open = store.open_hq_intents(None).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].movement.key, paid_no);
}

#[tokio::test]
async fn a_changed_intent_row_is_refused() {
    use cloudpos_domain::ports::StoreError;
    use cloudpos_storage::Store;
    for (column, value) in [
        ("amount_fen", "amount_fen + 1"),
        ("card_no", "'9900000000000009'"),
        ("state", "'applied'"),
        ("order_json", "replace(order_json, '1250', '1')"),
        ("row_check", "0"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path()).await;
        let no = "sz0100T0002611220000000001";
        store
            .insert_hq_intent(&card_payment(no, 1_250))
            .await
            .unwrap();
        // A sound row reads back and survives a reopen.
        assert_eq!(store.open_hq_intents(None).await.unwrap().len(), 1);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE member_hq_intents SET {column} = {value}"
        )))
        .execute(store.pool())
        .await
        .unwrap();
        store.pool().close().await;
        drop(store);
        let Err(err) = Store::open(dir.path(), common::options()).await else {
            panic!("{column}: the damaged ledger opened");
        };
        assert!(
            err.to_string()
                .contains(&format!("member card movement {no}")),
            "{column}: {err}"
        );
        let unchecked = common::open_unchecked(dir.path()).await;
        assert!(
            matches!(
                unchecked.open_hq_intents(None).await,
                Err(StoreError::Corrupt(_))
            ) || column == "state",
            "{column}"
        );
        assert!(
            matches!(unchecked.hq_intent(no).await, Err(StoreError::Corrupt(_))),
            "{column}: never sent or recorded"
        );
        assert!(
            matches!(
                unchecked.finish_hq_intent(no, &applied(0), t(5)).await,
                Err(StoreError::Corrupt(_))
            ),
            "{column}: its answer is not recorded over the damage"
        );
    }
}

#[tokio::test]
async fn intents_written_before_the_row_check_are_sealed_once() {
    use cloudpos_storage::Store;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let no = "sz0100T0002611220000000001";
    store
        .insert_hq_intent(&card_payment(no, 1_250))
        .await
        .unwrap();
    // As a ledger migrated to 0070: no checks yet, the backfill marker set.
    for sql in [
        "UPDATE member_hq_intents SET row_check = NULL",
        "INSERT INTO member_hq_check_backfill (pending) VALUES (1)",
    ] {
        sqlx::query(sql).execute(store.pool()).await.unwrap();
    }
    store.pool().close().await;
    drop(store);
    let store = Store::open(dir.path(), common::options()).await.unwrap();
    assert_eq!(store.open_hq_intents(None).await.unwrap().len(), 1);
    let done = store.finish_hq_intent(no, &applied(0), t(5)).await.unwrap();
    assert_eq!(done.state, HqIntentState::Applied);
    store.pool().close().await;
    drop(store);
    let store = Store::open(dir.path(), common::options()).await.unwrap();
    assert_eq!(
        store.hq_intent(no).await.unwrap().unwrap().state,
        HqIntentState::Applied
    );
}
