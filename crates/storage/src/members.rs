//! The [`MemberLedger`] port: member cards and their append-only entries.
//!
//! Two writes belong to the order ledger's transactions and live here as helpers it calls:
//! [`credit_recharge_in`] (the credit of a recharge, in the transaction that records the
//! payment paid) and [`refund_to_card_in`] (a refund or void of a card payment back to the
//! card). Both are exactly-once: the recharge row's `credited` flag and the unique index on
//! an entry's kind and reference.

use async_trait::async_trait;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::member::{
    CardNo, EntryKind, MemberAccount, MemberCard, MemberEntry, MemberError, Recharge,
    check_adjustment, check_payment,
};
use cloudpos_domain::member_hq::{HqIntent, MemberMovement, MovementOutcome, RefusedMovement};
use cloudpos_domain::member_ports::{MemberLedger, RechargeRecord};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::ports::StoreError;
use cloudpos_domain::timestamp::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::Store;
use crate::error::{corrupt, db};
use crate::ledger::insert_order_in;
use crate::row_check::{Checked, RECHARGE_CHECKED, entry_check, recharge_check};

const MEMBER_COLUMNS: &str = "card_no, name, phone, status, created_at";
const ENTRY_COLUMNS: &str = "id, card_no, kind, amount_fen, reference, reason, clerk_id, at, \
    row_check";

fn card_from_row(row: &SqliteRow) -> Result<MemberCard, StoreError> {
    let s = |c: &str| row.try_get::<String, _>(c).map_err(db);
    Ok(MemberCard {
        card_no: CardNo::parse(&s("card_no")?).map_err(|e| corrupt("card number", e))?,
        name: s("name")?,
        phone: s("phone")?,
        status: s("status")?
            .parse()
            .map_err(|e| corrupt("card status", e))?,
        created_at: Timestamp::from_unix_millis(row.try_get("created_at").map_err(db)?),
    })
}

fn entry_from_row(row: &SqliteRow) -> Result<MemberEntry, StoreError> {
    Checked::Entry.verify(row)?;
    let s = |c: &str| row.try_get::<String, _>(c).map_err(db);
    let os = |c: &str| row.try_get::<Option<String>, _>(c).map_err(db);
    Ok(MemberEntry {
        card_no: CardNo::parse(&s("card_no")?).map_err(|e| corrupt("card number", e))?,
        kind: s("kind")?.parse().map_err(|e| corrupt("entry kind", e))?,
        amount: Money::from_fen(row.try_get("amount_fen").map_err(db)?),
        reference: os("reference")?,
        reason: os("reason")?,
        clerk_id: os("clerk_id")?
            .map(|c| ClerkId::parse(&c).map_err(|e| corrupt("clerk id", e)))
            .transpose()?,
        at: Timestamp::from_unix_millis(row.try_get("at").map_err(db)?),
    })
}

async fn entries_in(
    conn: &mut SqliteConnection,
    card: &str,
) -> Result<Vec<MemberEntry>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM member_entries WHERE card_no = ? ORDER BY id"
    )))
    .bind(card)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(entry_from_row)
    .collect()
}

/// The balance of a card: the sum of its (checked) entries.
async fn balance_in(conn: &mut SqliteConnection, card: &str) -> Result<Money, StoreError> {
    let entries = entries_in(conn, card).await?;
    cloudpos_domain::member::balance_of(&entries)
        .ok_or_else(|| StoreError::Corrupt(format!("the balance of card {card} overflows")))
}

async fn card_in(
    conn: &mut SqliteConnection,
    card: &str,
) -> Result<Option<MemberCard>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE card_no = ?"
    )))
    .bind(card)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .as_ref()
    .map(card_from_row)
    .transpose()
}

/// Appends an entry (checked against its kind) with its row check.
async fn insert_entry_in(
    conn: &mut SqliteConnection,
    entry: &MemberEntry,
) -> Result<(), StoreError> {
    entry.check()?;
    sqlx::query(
        "INSERT INTO member_entries (card_no, kind, amount_fen, reference, reason, clerk_id, at, \
         row_check) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(entry.card_no.as_str())
    .bind(entry.kind.as_str())
    .bind(entry.amount.fen())
    .bind(&entry.reference)
    .bind(&entry.reason)
    .bind(entry.clerk_id.as_ref().map(ClerkId::as_str))
    .bind(entry.at.unix_millis())
    .bind(entry_check(
        entry.card_no.as_str(),
        entry.kind.as_str(),
        entry.amount.fen(),
        entry.reference.as_deref(),
    ))
    .execute(&mut *conn)
    .await
    .map_err(|e| match db(e) {
        StoreError::Duplicate(_) => StoreError::Duplicate(format!(
            "{} entry for {}",
            entry.kind,
            entry.reference.as_deref().unwrap_or("?")
        )),
        other => other,
    })?;
    Ok(())
}

async fn recharge_row_in(
    conn: &mut SqliteConnection,
    order_no: &str,
) -> Result<Option<(i64, RechargeRecord)>, StoreError> {
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {RECHARGE_CHECKED}, row_check FROM member_recharges WHERE out_trade_no = ?"
    )))
    .bind(order_no)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    else {
        return Ok(None);
    };
    Checked::Recharge.verify(&row)?;
    let card: String = row.try_get("card_no").map_err(db)?;
    Ok(Some((
        row.try_get("id").map_err(db)?,
        RechargeRecord {
            recharge: Recharge {
                card_no: CardNo::parse(&card).map_err(|e| corrupt("card number", e))?,
                amount: Money::from_fen(row.try_get("amount_fen").map_err(db)?),
                bonus: Money::from_fen(row.try_get("bonus_fen").map_err(db)?),
            },
            credited: row.try_get::<i64, _>("credited").map_err(db)? != 0,
        },
    )))
}

/// Called by the order ledger inside the transaction that moves `order` from `from` to its
/// new state: refuses to take back a paid recharge (the credit is spent or spendable), and
/// when the order becomes paid, credits its recharge, once.
pub(crate) async fn on_order_state_in(
    conn: &mut SqliteConnection,
    order: &Order,
    from: OrderState,
) -> Result<(), StoreError> {
    if from == order.state {
        return Ok(());
    }
    if crate::member_hq::on_order_state_in(conn, order, from).await? {
        return Ok(());
    }
    let recharge = recharge_row_in(conn, order.no.as_str()).await?;
    if let Some((id, record)) = recharge {
        if from == OrderState::Paid {
            return Err(StoreError::Conflict(format!(
                "order {} is a member-card recharge that was credited; it cannot be voided \
                 (correct the card with an adjustment instead)",
                order.no
            )));
        }
        if order.state == OrderState::Paid && !record.credited {
            credit_recharge_in(conn, id, order, &record.recharge).await?;
        }
    }
    if order.state == OrderState::Reversed && order.method == card_method() {
        // A voided card payment: the whole amount goes back to the card.
        refund_to_card_in(
            conn,
            order.no.as_str(),
            order.no.as_str(),
            order.amount,
            order.updated_at,
        )
        .await?;
    }
    Ok(())
}

fn card_method() -> PaymentMethod {
    PaymentMethod::Wallet(Wallet::MemberCard)
}

async fn credit_recharge_in(
    conn: &mut SqliteConnection,
    id: i64,
    order: &Order,
    recharge: &Recharge,
) -> Result<(), StoreError> {
    let at = order.paid_at.unwrap_or(order.updated_at);
    let entry = |kind, amount| MemberEntry {
        card_no: recharge.card_no.clone(),
        kind,
        amount,
        reference: Some(order.no.as_str().to_owned()),
        reason: None,
        clerk_id: Some(order.clerk_id.clone()),
        at,
    };
    insert_entry_in(conn, &entry(EntryKind::Recharge, recharge.amount)).await?;
    if recharge.bonus.is_positive() {
        insert_entry_in(conn, &entry(EntryKind::Bonus, recharge.bonus)).await?;
    }
    let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE member_recharges SET credited = 1 WHERE id = ? AND credited = 0 \
         RETURNING {RECHARGE_CHECKED}"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::Conflict(format!("recharge {} credited twice", order.no)))?;
    Checked::Recharge.store(conn, &updated).await
}

/// Called by the order ledger when a refund (`reference` its number) of order `order_no`
/// succeeds, or a card payment is voided (`reference` the order number): if the order was
/// paid with a member card, `amount` goes back to that card, once.
pub(crate) async fn refund_to_card_in(
    conn: &mut SqliteConnection,
    order_no: &str,
    reference: &str,
    amount: Money,
    at: Timestamp,
) -> Result<(), StoreError> {
    if crate::member_hq::refund_to_card_in(conn, order_no, reference, amount, at).await? {
        return Ok(());
    }
    let card: Option<String> = sqlx::query_scalar(
        "SELECT card_no FROM member_entries WHERE kind = 'payment' AND reference = ?",
    )
    .bind(order_no)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let Some(card) = card else {
        return Ok(());
    };
    insert_entry_in(
        conn,
        &MemberEntry {
            card_no: CardNo::parse(&card).map_err(|e| corrupt("card number", e))?,
            kind: EntryKind::Refund,
            amount,
            reference: Some(reference.to_owned()),
            reason: None,
            clerk_id: None,
            at,
        },
    )
    .await
}

/// Refuses a refund of a recharge payment (its credit is on the card).
pub(crate) async fn refuse_recharge_refund_in(
    conn: &mut SqliteConnection,
    order_no: &OrderNo,
) -> Result<(), StoreError> {
    if recharge_row_in(conn, order_no.as_str()).await?.is_some()
        || crate::member_hq::is_recharge_in(conn, order_no.as_str()).await?
    {
        return Err(StoreError::Conflict(format!(
            "order {order_no} is a member-card recharge: it is not refunded (correct the card \
             with an adjustment instead)"
        )));
    }
    Ok(())
}

async fn upsert_in(conn: &mut SqliteConnection, card: &MemberCard) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO members (card_no, name, phone, status, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (card_no) DO UPDATE SET name = excluded.name, \
         phone = excluded.phone, status = excluded.status, updated_at = excluded.updated_at",
    )
    .bind(card.card_no.as_str())
    .bind(&card.name)
    .bind(&card.phone)
    .bind(card.status.as_str())
    .bind(card.created_at.unix_millis())
    .bind(card.created_at.unix_millis())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

impl Store {
    async fn accounts_of(&self, cards: Vec<MemberCard>) -> Result<Vec<MemberAccount>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let mut out = Vec::with_capacity(cards.len());
        for card in cards {
            let balance = balance_in(&mut conn, card.card_no.as_str()).await?;
            out.push(MemberAccount { card, balance });
        }
        Ok(out)
    }
}

#[async_trait]
impl MemberLedger for Store {
    async fn add_member(&self, card: &MemberCard) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO members (card_no, name, phone, status, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(card.card_no.as_str())
        .bind(&card.name)
        .bind(&card.phone)
        .bind(card.status.as_str())
        .bind(card.created_at.unix_millis())
        .bind(card.created_at.unix_millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| match db(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("card {}", card.card_no)),
            other => other,
        })?;
        tx.commit().await.map_err(db)
    }

    async fn upsert_members(&self, cards: &[MemberCard]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for card in cards {
            upsert_in(&mut tx, card).await?;
        }
        tx.commit().await.map_err(db)
    }

    async fn member(&self, card: &CardNo) -> Result<Option<MemberAccount>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let Some(found) = card_in(&mut conn, card.as_str()).await? else {
            return Ok(None);
        };
        let balance = balance_in(&mut conn, card.as_str()).await?;
        Ok(Some(MemberAccount {
            card: found,
            balance,
        }))
    }

    async fn members_by_phone(&self, phone: &str) -> Result<Vec<MemberAccount>, StoreError> {
        let cards = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE phone = ? ORDER BY card_no"
        )))
        .bind(phone.trim())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(card_from_row)
        .collect::<Result<Vec<_>, _>>()?;
        self.accounts_of(cards).await
    }

    async fn members(&self) -> Result<Vec<MemberAccount>, StoreError> {
        let cards = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM members ORDER BY card_no"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(card_from_row)
        .collect::<Result<Vec<_>, _>>()?;
        self.accounts_of(cards).await
    }

    async fn entries(&self, card: &CardNo) -> Result<Vec<MemberEntry>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        entries_in(&mut conn, card.as_str()).await
    }

    async fn insert_recharge_intent(
        &self,
        order: &Order,
        recharge: &Recharge,
    ) -> Result<(), StoreError> {
        if order.state == OrderState::Paid
            || recharge.amount != order.amount
            || recharge.bonus.is_negative()
        {
            return Err(StoreError::Conflict(format!(
                "recharge {}: the intent must be unpaid and for the order's amount",
                order.no
            )));
        }
        let mut tx = self.begin_write().await?;
        let card = card_in(&mut tx, recharge.card_no.as_str())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("card {}", recharge.card_no)))?;
        if card.status != cloudpos_domain::member::MemberStatus::Active {
            return Err(MemberError::NotActive(card.status).into());
        }
        insert_order_in(&mut tx, order).await?;
        sqlx::query(
            "INSERT INTO member_recharges (out_trade_no, card_no, amount_fen, bonus_fen, \
             credited, row_check) VALUES (?, ?, ?, ?, 0, ?)",
        )
        .bind(order.no.as_str())
        .bind(recharge.card_no.as_str())
        .bind(recharge.amount.fen())
        .bind(recharge.bonus.fen())
        .bind(recharge_check(
            order.no.as_str(),
            recharge.card_no.as_str(),
            recharge.amount.fen(),
            recharge.bonus.fen(),
            false,
        ))
        .execute(&mut *tx)
        .await
        .map_err(|e| match db(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("order number {}", order.no)),
            other => other,
        })?;
        tx.commit().await.map_err(db)
    }

    async fn recharge_of(&self, order: &OrderNo) -> Result<Option<RechargeRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        Ok(recharge_row_in(&mut conn, order.as_str())
            .await?
            .map(|(_, r)| r))
    }

    async fn pay_with_card(&self, order: &Order, card: &CardNo) -> Result<(), StoreError> {
        if order.state != OrderState::Paid || order.method != card_method() {
            return Err(StoreError::Conflict(format!(
                "order {}: a card payment is recorded paid, with the member-card method",
                order.no
            )));
        }
        let mut tx = self.begin_write().await?;
        let found = card_in(&mut tx, card.as_str())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("card {card}")))?;
        let balance = balance_in(&mut tx, card.as_str()).await?;
        check_payment(found.status, balance, order.amount)?;
        insert_order_in(&mut tx, order).await?;
        insert_entry_in(
            &mut tx,
            &MemberEntry {
                card_no: card.clone(),
                kind: EntryKind::Payment,
                amount: Money::from_fen(order.amount.fen().saturating_neg()),
                reference: Some(order.no.as_str().to_owned()),
                reason: None,
                clerk_id: Some(order.clerk_id.clone()),
                at: order.paid_at.unwrap_or(order.created_at),
            },
        )
        .await?;
        tx.commit().await.map_err(db)
    }

    async fn adjust(&self, entry: &MemberEntry) -> Result<(), StoreError> {
        if entry.kind != EntryKind::Adjustment {
            return Err(StoreError::Conflict(format!(
                "an adjustment cannot be a {} entry",
                entry.kind
            )));
        }
        let mut tx = self.begin_write().await?;
        card_in(&mut tx, entry.card_no.as_str())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("card {}", entry.card_no)))?;
        let balance = balance_in(&mut tx, entry.card_no.as_str()).await?;
        check_adjustment(balance, entry.amount, entry.reason.as_deref().unwrap_or(""))?;
        insert_entry_in(&mut tx, entry).await?;
        tx.commit().await.map_err(db)
    }

    async fn insert_hq_intent(&self, intent: &HqIntent) -> Result<(), StoreError> {
        self.insert_hq_intent_tx(intent).await
    }

    async fn insert_hq_recharge_intent(
        &self,
        order: &Order,
        movement: &MemberMovement,
    ) -> Result<(), StoreError> {
        self.insert_hq_recharge_tx(order, movement).await
    }

    async fn hq_intent(&self, key: &str) -> Result<Option<HqIntent>, StoreError> {
        self.hq_intent_of(key).await
    }

    async fn open_hq_intents(&self, card: Option<&CardNo>) -> Result<Vec<HqIntent>, StoreError> {
        self.open_hq_intents_of(card).await
    }

    async fn finish_hq_intent(
        &self,
        key: &str,
        outcome: &MovementOutcome,
        at: Timestamp,
    ) -> Result<HqIntent, StoreError> {
        self.finish_hq_intent_tx(key, outcome, at).await
    }

    async fn refuse_hq_intent(
        &self,
        key: &str,
        refusal: &str,
        at: Timestamp,
    ) -> Result<HqIntent, StoreError> {
        self.refuse_hq_intent_tx(key, refusal, at).await
    }

    async fn refused_hq_intents(&self) -> Result<Vec<RefusedMovement>, StoreError> {
        self.refused_hq_intents_of().await
    }
}
