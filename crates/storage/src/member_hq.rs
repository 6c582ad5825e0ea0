//! Chain-wide member cards, till side: the intents of the movements the till sends its head
//! office (migration `0060_member_hq.sql`, the rules in `cloudpos_domain::member_hq`).
//!
//! Three writes share other transactions and live here as helpers they call:
//! [`on_order_state_in`] (a recharge payment recorded paid turns its promised credit
//! pending; one that ends unpaid cancels it; a voided card payment queues its credit back)
//! and [`refund_to_card_in`] (a refund of a card payment queues its credit back). The
//! intent's key is its primary key, so a credit cannot be queued twice.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::member::CardNo;
use cloudpos_domain::member_hq::{
    HqIntent, HqIntentState, MemberMovement, MovementKind, MovementOutcome, RefusedMovement,
    void_key,
};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::ports::StoreError;
use cloudpos_domain::timestamp::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::Store;
use crate::error::{corrupt, db};
use crate::ledger::{insert_order_in, insert_order_row_in};
use crate::row_check::{Checked, seal_intent};

const COLUMNS: &str = "rowid AS id, key, kind, card_no, amount_fen, bonus_fen, payment_key, \
    reason, clerk_id, at, state, order_json, refusal, balance_fen, created_at, row_check";

/// An intent as read, its row check compared first (a damaged row is an error naming it).
fn intent_from_row(row: &SqliteRow) -> Result<HqIntent, StoreError> {
    Checked::Intent.verify(row)?;
    let s = |c: &str| row.try_get::<String, _>(c).map_err(db);
    let os = |c: &str| row.try_get::<Option<String>, _>(c).map_err(db);
    let order = os("order_json")?
        .map(|j| serde_json::from_str::<Order>(&j).map_err(|e| corrupt("intent order", e)))
        .transpose()?;
    Ok(HqIntent {
        movement: MemberMovement {
            key: s("key")?,
            card_no: CardNo::parse(&s("card_no")?).map_err(|e| corrupt("card number", e))?,
            kind: s("kind")?
                .parse()
                .map_err(|e| corrupt("movement kind", e))?,
            amount: Money::from_fen(row.try_get("amount_fen").map_err(db)?),
            bonus: Money::from_fen(row.try_get("bonus_fen").map_err(db)?),
            payment_key: os("payment_key")?,
            reason: os("reason")?,
            clerk_id: ClerkId::parse(&s("clerk_id")?).map_err(|e| corrupt("clerk id", e))?,
            at: Timestamp::from_unix_millis(row.try_get("at").map_err(db)?),
        },
        state: s("state")?
            .parse()
            .map_err(|e| corrupt("intent state", e))?,
        order,
        refusal: os("refusal")?,
        balance: row
            .try_get::<Option<i64>, _>("balance_fen")
            .map_err(db)?
            .map(Money::from_fen),
        created_at: Timestamp::from_unix_millis(row.try_get("created_at").map_err(db)?),
    })
}

async fn intent_in(conn: &mut SqliteConnection, key: &str) -> Result<Option<HqIntent>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM member_hq_intents WHERE key = ?"
    )))
    .bind(key)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .as_ref()
    .map(intent_from_row)
    .transpose()
}

async fn insert_in(
    conn: &mut SqliteConnection,
    m: &MemberMovement,
    state: HqIntentState,
    order: Option<&Order>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let order_json = order
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Backend(format!("intent order: {e}")))?;
    sqlx::query(
        "INSERT INTO member_hq_intents (key, kind, card_no, amount_fen, bonus_fen, payment_key, \
         reason, clerk_id, at, state, order_json, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&m.key)
    .bind(m.kind.as_str())
    .bind(m.card_no.as_str())
    .bind(m.amount.fen())
    .bind(m.bonus.fen())
    .bind(&m.payment_key)
    .bind(&m.reason)
    .bind(m.clerk_id.as_str())
    .bind(m.at.unix_millis())
    .bind(state.as_str())
    .bind(order_json)
    .bind(now.unix_millis())
    .bind(now.unix_millis())
    .execute(&mut *conn)
    .await
    .map_err(|e| match db(e) {
        StoreError::Duplicate(_) => {
            StoreError::Duplicate(format!("member card movement {}", m.key))
        }
        other => other,
    })?;
    seal_intent(conn, &m.key).await
}

async fn set_state_in(
    conn: &mut SqliteConnection,
    key: &str,
    from: HqIntentState,
    to: HqIntentState,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE member_hq_intents SET state = ?, updated_at = ? WHERE key = ? AND state = ?",
    )
    .bind(to.as_str())
    .bind(at.unix_millis())
    .bind(key)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    seal_intent(conn, key).await
}

/// Refuses an order number held by a chain-wide card payment that is not applied (sent or
/// to be sent, or refused): its order is written only by the transaction that records the
/// head office's answer (paid when applied, failed when refused), so no other order may
/// take the number (another process of this device,
/// or a generator resumed after a restart, could issue it again).
pub(crate) async fn number_free_in(
    conn: &mut SqliteConnection,
    order_no: &str,
) -> Result<(), StoreError> {
    let held: Option<String> = sqlx::query_scalar(
        "SELECT state FROM member_hq_intents WHERE key = ? AND kind = 'payment' \
         AND state <> 'applied'",
    )
    .bind(order_no)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    match held {
        Some(_) => Err(StoreError::Duplicate(format!("order number {order_no}"))),
        None => Ok(()),
    }
}

/// Whether `order_no` is a chain-wide recharge (its credit is the head office's).
pub(crate) async fn is_recharge_in(
    conn: &mut SqliteConnection,
    order_no: &str,
) -> Result<bool, StoreError> {
    Ok(intent_in(conn, order_no)
        .await?
        .is_some_and(|i| i.movement.kind == MovementKind::Recharge))
}

/// Called by the order ledger inside the transaction that moves `order` from `from`: a
/// chain-wide recharge recorded paid has its credit queued (pending), one that ends unpaid
/// has it cancelled, and a paid one cannot be taken back; a voided card payment debited at
/// the head office has its credit back queued. Returns whether `order` was chain-wide.
pub(crate) async fn on_order_state_in(
    conn: &mut SqliteConnection,
    order: &Order,
    from: OrderState,
) -> Result<bool, StoreError> {
    let Some(intent) = intent_in(conn, order.no.as_str()).await? else {
        return Ok(false);
    };
    let at = order.updated_at;
    match intent.movement.kind {
        MovementKind::Recharge => {
            if from == OrderState::Paid {
                return Err(StoreError::Conflict(format!(
                    "order {} is a member-card recharge whose credit went to the head office; \
                     it cannot be voided (correct the card with an adjustment instead)",
                    order.no
                )));
            }
            let to = match order.state {
                OrderState::Paid => HqIntentState::Pending,
                OrderState::Failed | OrderState::Reversed => HqIntentState::Cancelled,
                _ => return Ok(true),
            };
            set_state_in(conn, order.no.as_str(), HqIntentState::Promised, to, at).await?;
        }
        MovementKind::Payment if order.state == OrderState::Reversed => {
            queue_credit_back_in(
                conn,
                &intent,
                &void_key(order.no.as_str()),
                order.amount,
                at,
            )
            .await?;
        }
        _ => {}
    }
    Ok(true)
}

/// Called by the order ledger when refund `reference` of order `order_no` succeeds: if the
/// order is a card payment debited at the head office, its credit back is queued. Returns
/// whether it was.
pub(crate) async fn refund_to_card_in(
    conn: &mut SqliteConnection,
    order_no: &str,
    reference: &str,
    amount: Money,
    at: Timestamp,
) -> Result<bool, StoreError> {
    match intent_in(conn, order_no).await? {
        Some(i) if i.movement.kind == MovementKind::Payment => {
            queue_credit_back_in(conn, &i, reference, amount, at).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

async fn queue_credit_back_in(
    conn: &mut SqliteConnection,
    payment: &HqIntent,
    key: &str,
    amount: Money,
    at: Timestamp,
) -> Result<(), StoreError> {
    if payment.state != HqIntentState::Applied {
        return Err(StoreError::Conflict(format!(
            "card payment {} was not debited by the head office ({}): nothing to return",
            payment.movement.key, payment.state
        )));
    }
    let credit = MemberMovement {
        key: key.to_owned(),
        card_no: payment.movement.card_no.clone(),
        kind: MovementKind::Refund,
        amount,
        bonus: Money::ZERO,
        payment_key: Some(payment.movement.key.clone()),
        reason: None,
        clerk_id: payment.movement.clerk_id.clone(),
        at,
    };
    insert_in(conn, &credit, HqIntentState::Pending, None, at).await
}

impl Store {
    pub(crate) async fn insert_hq_intent_tx(&self, intent: &HqIntent) -> Result<(), StoreError> {
        if intent.state != HqIntentState::Pending {
            return Err(StoreError::Conflict(format!(
                "movement {}: a new intent is pending",
                intent.movement.key
            )));
        }
        let mut tx = self.begin_write().await?;
        if let Some(order) = &intent.order {
            if order.no.as_str() != intent.movement.key
                || order.state != OrderState::Paid
                || intent.movement.kind != MovementKind::Payment
                || order.amount != intent.movement.amount
            {
                return Err(StoreError::Conflict(format!(
                    "movement {}: a card payment's order must be paid, for its amount, under its key",
                    intent.movement.key
                )));
            }
            let taken: Option<i64> =
                sqlx::query_scalar("SELECT id FROM orders WHERE out_trade_no = ?")
                    .bind(order.no.as_str())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
            if taken.is_some() {
                return Err(StoreError::Duplicate(format!("order number {}", order.no)));
            }
        }
        insert_in(
            &mut tx,
            &intent.movement,
            HqIntentState::Pending,
            intent.order.as_ref(),
            intent.created_at,
        )
        .await
        .map_err(|e| match (e, &intent.order) {
            (StoreError::Duplicate(_), Some(o)) => {
                StoreError::Duplicate(format!("order number {}", o.no))
            }
            (e, _) => e,
        })?;
        tx.commit().await.map_err(db)
    }

    pub(crate) async fn insert_hq_recharge_tx(
        &self,
        order: &Order,
        m: &MemberMovement,
    ) -> Result<(), StoreError> {
        if order.state == OrderState::Paid
            || m.kind != MovementKind::Recharge
            || m.amount != order.amount
            || m.key != order.no.as_str()
        {
            return Err(StoreError::Conflict(format!(
                "recharge {}: the intent must be unpaid, for the order's amount, under its number",
                order.no
            )));
        }
        let mut tx = self.begin_write().await?;
        insert_order_in(&mut tx, order).await?;
        insert_in(&mut tx, m, HqIntentState::Promised, None, order.created_at).await?;
        tx.commit().await.map_err(db)
    }

    pub(crate) async fn hq_intent_of(&self, key: &str) -> Result<Option<HqIntent>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        intent_in(&mut conn, key).await
    }

    pub(crate) async fn open_hq_intents_of(
        &self,
        card: Option<&CardNo>,
    ) -> Result<Vec<HqIntent>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM member_hq_intents WHERE state = 'pending' \
             AND (? IS NULL OR card_no = ?) ORDER BY created_at, key"
        )))
        .bind(card.map(CardNo::as_str))
        .bind(card.map(CardNo::as_str))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(intent_from_row)
        .collect()
    }

    pub(crate) async fn finish_hq_intent_tx(
        &self,
        key: &str,
        outcome: &MovementOutcome,
        now: Timestamp,
    ) -> Result<HqIntent, StoreError> {
        let (state, refusal) = match outcome {
            MovementOutcome::Applied { .. } => (HqIntentState::Applied, None),
            MovementOutcome::Refused { code, message, .. } => {
                (HqIntentState::Refused, Some(format!("{code}: {message}")))
            }
        };
        self.close_hq_intent(key, state, refusal, Some(outcome.balance()), now)
            .await
    }

    pub(crate) async fn refuse_hq_intent_tx(
        &self,
        key: &str,
        refusal: &str,
        now: Timestamp,
    ) -> Result<HqIntent, StoreError> {
        self.close_hq_intent(
            key,
            HqIntentState::Refused,
            Some(refusal.to_owned()),
            None,
            now,
        )
        .await
    }

    /// Moves a pending intent to `state` (applied or refused) in one transaction with what
    /// follows from it: an applied card payment's order inserted paid and its lines taken
    /// out of stock, a refused one's order inserted failed. Only the transaction that moves
    /// the intent out of pending does this, so it happens once.
    async fn close_hq_intent(
        &self,
        key: &str,
        state: HqIntentState,
        refusal: Option<String>,
        balance: Option<Money>,
        now: Timestamp,
    ) -> Result<HqIntent, StoreError> {
        let mut tx = self.begin_write().await?;
        let intent = intent_in(&mut tx, key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("member card movement {key}")))?;
        if intent.state != HqIntentState::Pending {
            return Ok(intent);
        }
        let moved = sqlx::query(
            "UPDATE member_hq_intents SET state = ?, refusal = ?, balance_fen = ?, updated_at = ? \
             WHERE key = ? AND state = 'pending'",
        )
        .bind(state.as_str())
        .bind(&refusal)
        .bind(balance.map(Money::fen))
        .bind(now.unix_millis())
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "member card movement {key} changed while its answer was recorded"
            )));
        }
        seal_intent(&mut tx, key).await?;
        // The intent holds the order's number (`number_free_in`): its own order is written
        // here, once, paid or failed.
        match (&intent.order, state) {
            (Some(order), HqIntentState::Applied) => {
                insert_order_row_in(&mut tx, order).await?;
                take_from_stock_in(&mut tx, order).await?;
            }
            (Some(_), HqIntentState::Refused) => {
                let reason = refusal.as_deref().unwrap_or("refused by the head office");
                if let Some(failed) = intent.failed_order(reason, now) {
                    insert_order_row_in(&mut tx, &failed).await?;
                }
            }
            _ => {}
        }
        tx.commit().await.map_err(db)?;
        Ok(HqIntent {
            state,
            refusal,
            balance,
            ..intent
        })
    }

    pub(crate) async fn refused_hq_intents_of(&self) -> Result<Vec<RefusedMovement>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, updated_at FROM member_hq_intents WHERE state = 'refused' \
             ORDER BY updated_at DESC, key"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(|row| {
            Ok(RefusedMovement {
                intent: intent_from_row(row)?,
                at: Timestamp::from_unix_millis(row.try_get("updated_at").map_err(db)?),
            })
        })
        .collect()
    }
}

/// Takes a card payment's sold quantities out of stock, in the transaction that records it
/// paid. A commodity deleted meanwhile is skipped (the sale stands; stock is the till's own
/// count).
async fn take_from_stock_in(conn: &mut SqliteConnection, order: &Order) -> Result<(), StoreError> {
    for line in &order.lines {
        sqlx::query("UPDATE commodities SET stock = stock - ? WHERE sku = ?")
            .bind(i64::from(line.quantity))
            .bind(&line.sku)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}
