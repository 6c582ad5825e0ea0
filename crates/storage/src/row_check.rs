//! Row checks: a checksum over the money-bearing fields of every order, refund, deposit,
//! member entry, recharge and chain-wide member-card intent row.
//!
//! SQLite has no page checksums, so a flipped byte inside a row (found by the disk campaign
//! of `docs/reliability.md`) reads back as a valid record with another amount, state or
//! number. Every write of an order or refund row recomputes its check in the same
//! transaction; every read compares it, and opening the ledger (with
//! [`crate::StoreOptions::check_on_open`]) compares them all, so such damage stops the till
//! with an error naming the record instead of being traded over.
//!
//! The check is the first eight bytes of a SHA-256 over the fields that carry money and
//! name the record (number, method, state, amounts): it detects damage, it does not stop someone who edits the file on purpose and
//! recomputes it (reconciliation against the cloud is what catches that).

use futures_util::TryStreamExt;
use ring::digest::{SHA256, digest};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqlitePool};

use cloudpos_domain::ports::StoreError;

use crate::error::db;

/// The columns an order's check covers, and its `id` (select `row_check` beside them to
/// verify the row).
pub(crate) const ORDER_CHECKED: &str = "id, out_trade_no, method, state, amount_fen, refunded_fen";
/// The columns a refund's check covers, and its `id`.
pub(crate) const REFUND_CHECKED: &str =
    "id, out_refund_no, out_trade_no, method, state, amount_fen";
/// The columns a deposit's check covers, and its `id`.
pub(crate) const DEPOSIT_CHECKED: &str = "id, out_freeze_no, wallet, state, frozen_fen, \
    consumed_fen, unfrozen_fen, pending_fen, consume_no";

fn check_of(parts: &[&str]) -> i64 {
    let text = parts.join("\u{1f}");
    let hash = digest(&SHA256, text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_ref()[..8]);
    i64::from_le_bytes(first)
}

/// The `row_check` of an order row with these column values (for rows written with SQL of
/// one's own, e.g. a benchmark filling a ledger; the ledger computes it itself).
#[must_use]
pub fn order_check(
    out_trade_no: &str,
    method: &str,
    state: &str,
    amount_fen: i64,
    refunded_fen: i64,
) -> i64 {
    check_of(&[
        "order",
        out_trade_no,
        method,
        state,
        &amount_fen.to_string(),
        &refunded_fen.to_string(),
    ])
}

/// The `row_check` of a refund row with these column values.
#[must_use]
pub fn refund_check(
    out_refund_no: &str,
    out_trade_no: &str,
    method: &str,
    state: &str,
    amount_fen: i64,
) -> i64 {
    check_of(&[
        "refund",
        out_refund_no,
        out_trade_no,
        method,
        state,
        &amount_fen.to_string(),
    ])
}

/// The `row_check` of a deposit row: its number, wallet, state, the four amounts
/// (frozen, consumed, unfrozen, pending) and the consume's order number.
#[must_use]
pub fn deposit_check(
    out_freeze_no: &str,
    wallet: &str,
    state: &str,
    amounts_fen: [i64; 4],
    consume_no: Option<&str>,
) -> i64 {
    let [frozen, consumed, unfrozen, pending] = amounts_fen.map(|a| a.to_string());
    check_of(&[
        "deposit",
        out_freeze_no,
        wallet,
        state,
        &frozen,
        &consumed,
        &unfrozen,
        &pending,
        consume_no.unwrap_or(""),
    ])
}

/// The check a deposit row should carry (the row must hold the [`DEPOSIT_CHECKED`] columns).
pub(crate) fn deposit_check_of(row: &SqliteRow) -> Result<i64, StoreError> {
    let i = |c: &str| row.try_get::<i64, _>(c).map_err(db);
    Ok(deposit_check(
        &row.try_get::<String, _>("out_freeze_no").map_err(db)?,
        &row.try_get::<String, _>("wallet").map_err(db)?,
        &row.try_get::<String, _>("state").map_err(db)?,
        [
            i("frozen_fen")?,
            i("consumed_fen")?,
            i("unfrozen_fen")?,
            i("pending_fen")?,
        ],
        row.try_get::<Option<String>, _>("consume_no")
            .map_err(db)?
            .as_deref(),
    ))
}

/// The check an order row should carry (the row must hold the [`ORDER_CHECKED`] columns).
pub(crate) fn order_check_of(row: &SqliteRow) -> Result<i64, StoreError> {
    Ok(order_check(
        &row.try_get::<String, _>("out_trade_no").map_err(db)?,
        &row.try_get::<String, _>("method").map_err(db)?,
        &row.try_get::<String, _>("state").map_err(db)?,
        row.try_get::<i64, _>("amount_fen").map_err(db)?,
        row.try_get::<i64, _>("refunded_fen").map_err(db)?,
    ))
}

/// The check a refund row should carry (the row must hold the [`REFUND_CHECKED`] columns).
pub(crate) fn refund_check_of(row: &SqliteRow) -> Result<i64, StoreError> {
    Ok(refund_check(
        &row.try_get::<String, _>("out_refund_no").map_err(db)?,
        &row.try_get::<String, _>("out_trade_no").map_err(db)?,
        &row.try_get::<String, _>("method").map_err(db)?,
        &row.try_get::<String, _>("state").map_err(db)?,
        row.try_get::<i64, _>("amount_fen").map_err(db)?,
    ))
}

/// The columns a member entry's check covers, and its `id`.
pub(crate) const ENTRY_CHECKED: &str = "id, card_no, kind, amount_fen, reference";
/// The columns a recharge row's check covers, and its `id`.
pub(crate) const RECHARGE_CHECKED: &str =
    "id, out_trade_no, card_no, amount_fen, bonus_fen, credited";

/// The columns a chain-wide member-card intent's check covers, and its row id as `id`.
pub(crate) const INTENT_CHECKED: &str = "rowid AS id, key, kind, card_no, amount_fen, \
    bonus_fen, payment_key, state, order_json";

/// The `row_check` of a chain-wide member-card intent: its key, kind, card, amounts, the
/// payment it returns, its state and the order it holds.
#[must_use]
pub fn intent_check(
    key: &str,
    kind: &str,
    card_no: &str,
    amounts_fen: [i64; 2],
    payment_key: Option<&str>,
    state: &str,
    order_json: Option<&str>,
) -> i64 {
    let [amount, bonus] = amounts_fen.map(|a| a.to_string());
    check_of(&[
        "member_hq_intent",
        key,
        kind,
        card_no,
        &amount,
        &bonus,
        payment_key.unwrap_or(""),
        state,
        order_json.unwrap_or(""),
    ])
}

fn intent_check_of(row: &SqliteRow) -> Result<i64, StoreError> {
    let s = |c: &str| row.try_get::<String, _>(c).map_err(db);
    let os = |c: &str| row.try_get::<Option<String>, _>(c).map_err(db);
    Ok(intent_check(
        &s("key")?,
        &s("kind")?,
        &s("card_no")?,
        [
            row.try_get::<i64, _>("amount_fen").map_err(db)?,
            row.try_get::<i64, _>("bonus_fen").map_err(db)?,
        ],
        os("payment_key")?.as_deref(),
        &s("state")?,
        os("order_json")?.as_deref(),
    ))
}

/// Recomputes and stores the check of intent `key` as written inside `tx` (after its insert
/// or an update whose writer read, and so verified, the row first).
pub(crate) async fn seal_intent(tx: &mut SqliteConnection, key: &str) -> Result<(), StoreError> {
    let id: i64 = sqlx::query_scalar("SELECT rowid FROM member_hq_intents WHERE key = ?")
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    Checked::Intent.seal(tx, id).await
}

/// The `row_check` of a member ledger entry.
#[must_use]
pub fn entry_check(card_no: &str, kind: &str, amount_fen: i64, reference: Option<&str>) -> i64 {
    check_of(&[
        "member_entry",
        card_no,
        kind,
        &amount_fen.to_string(),
        reference.unwrap_or(""),
    ])
}

/// The `row_check` of a recharge row.
#[must_use]
pub fn recharge_check(
    out_trade_no: &str,
    card_no: &str,
    amount_fen: i64,
    bonus_fen: i64,
    credited: bool,
) -> i64 {
    check_of(&[
        "member_recharge",
        out_trade_no,
        card_no,
        &amount_fen.to_string(),
        &bonus_fen.to_string(),
        if credited { "1" } else { "0" },
    ])
}

fn entry_check_of(row: &SqliteRow) -> Result<i64, StoreError> {
    Ok(entry_check(
        &row.try_get::<String, _>("card_no").map_err(db)?,
        &row.try_get::<String, _>("kind").map_err(db)?,
        row.try_get::<i64, _>("amount_fen").map_err(db)?,
        row.try_get::<Option<String>, _>("reference")
            .map_err(db)?
            .as_deref(),
    ))
}

fn recharge_check_of(row: &SqliteRow) -> Result<i64, StoreError> {
    Ok(recharge_check(
        &row.try_get::<String, _>("out_trade_no").map_err(db)?,
        &row.try_get::<String, _>("card_no").map_err(db)?,
        row.try_get::<i64, _>("amount_fen").map_err(db)?,
        row.try_get::<i64, _>("bonus_fen").map_err(db)?,
        row.try_get::<i64, _>("credited").map_err(db)? != 0,
    ))
}

/// Which table a check belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Checked {
    /// `orders`, named by `out_trade_no`.
    Order,
    /// `refunds`, named by `out_refund_no`.
    Refund,
    /// `deposits`, named by `out_freeze_no`.
    Deposit,
    /// `member_entries`, named by card number.
    Entry,
    /// `member_recharges`, named by `out_trade_no`.
    Recharge,
    /// `member_hq_intents`, named by its key (rows addressed by `rowid`).
    Intent,
}

impl Checked {
    fn table(self) -> &'static str {
        match self {
            Checked::Order => "orders",
            Checked::Refund => "refunds",
            Checked::Deposit => "deposits",
            Checked::Entry => "member_entries",
            Checked::Recharge => "member_recharges",
            Checked::Intent => "member_hq_intents",
        }
    }

    /// The column that addresses a row (selected as `id`).
    fn id_column(self) -> &'static str {
        match self {
            Checked::Intent => "rowid",
            _ => "id",
        }
    }

    fn columns(self) -> &'static str {
        match self {
            Checked::Order => ORDER_CHECKED,
            Checked::Refund => REFUND_CHECKED,
            Checked::Deposit => DEPOSIT_CHECKED,
            Checked::Entry => ENTRY_CHECKED,
            Checked::Recharge => RECHARGE_CHECKED,
            Checked::Intent => INTENT_CHECKED,
        }
    }

    fn check_of(self, row: &SqliteRow) -> Result<i64, StoreError> {
        match self {
            Checked::Order => order_check_of(row),
            Checked::Refund => refund_check_of(row),
            Checked::Deposit => deposit_check_of(row),
            Checked::Entry => entry_check_of(row),
            Checked::Recharge => recharge_check_of(row),
            Checked::Intent => intent_check_of(row),
        }
    }

    fn name_of(self, row: &SqliteRow) -> String {
        let (what, column) = match self {
            Checked::Order => ("order", "out_trade_no"),
            Checked::Refund => ("refund", "out_refund_no"),
            Checked::Deposit => ("deposit", "out_freeze_no"),
            Checked::Entry => ("member card entry of card", "card_no"),
            Checked::Recharge => ("member recharge", "out_trade_no"),
            Checked::Intent => ("member card movement", "key"),
        };
        let no = row
            .try_get::<String, _>(column)
            .unwrap_or_else(|_| "(unreadable number)".into());
        let id = row.try_get::<i64, _>("id").unwrap_or(-1);
        format!("{what} {no} (row {id})")
    }

    /// Compares a row's stored check with its fields.
    pub(crate) fn verify(self, row: &SqliteRow) -> Result<(), StoreError> {
        let stored: Option<i64> = row.try_get("row_check").map_err(db)?;
        if stored == Some(self.check_of(row)?) {
            Ok(())
        } else {
            Err(StoreError::Corrupt(format!(
                "the ledger's record of {} does not match its check: its amount, state or \
                 number was changed outside CloudPOS or by disk damage; restore the data \
                 directory from a backup and reconcile with Cloud Pay",
                self.name_of(row)
            )))
        }
    }

    async fn stored(self, tx: &mut SqliteConnection, id: i64) -> Result<SqliteRow, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {}, row_check FROM {} WHERE {} = ?",
            self.columns(),
            self.table(),
            self.id_column()
        )))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)
    }

    /// Compares the stored check of row `id` before the writer changes the row, so that a
    /// damaged record is never given a fresh check.
    pub(crate) async fn verify_stored(
        self,
        tx: &mut SqliteConnection,
        id: i64,
    ) -> Result<(), StoreError> {
        self.verify(&self.stored(tx, id).await?)
    }

    /// Stores the check of a row just written; `row` holds the checked columns as written
    /// (e.g. from `RETURNING`), including `id`.
    pub(crate) async fn store(
        self,
        tx: &mut SqliteConnection,
        row: &SqliteRow,
    ) -> Result<(), StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {} SET row_check = ? WHERE {} = ?",
            self.table(),
            self.id_column()
        )))
        .bind(self.check_of(row)?)
        .bind(row.try_get::<i64, _>("id").map_err(db)?)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// Recomputes and stores the check of row `id` as it stands (the one-time backfill).
    async fn seal(self, tx: &mut SqliteConnection, id: i64) -> Result<(), StoreError> {
        let row = self.stored(tx, id).await?;
        self.store(tx, &row).await
    }

    /// Every row of the table, checked as it streams by; the first mismatch is the error.
    async fn verify_all(self, pool: &SqlitePool) -> Result<(), StoreError> {
        let sql = format!("SELECT {}, row_check FROM {}", self.columns(), self.table());
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(pool);
        while let Some(row) = rows.try_next().await.map_err(db)? {
            self.verify(&row)?;
        }
        Ok(())
    }
}

/// Gives every row its check once, after the migration that added the column (the marker
/// row of `row_check_backfill`), in one transaction.
pub(crate) async fn backfill(pool: &SqlitePool) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(db)?;
    let pending: Option<i64> = sqlx::query_scalar("SELECT pending FROM row_check_backfill")
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    if pending.is_none() {
        return Ok(());
    }
    for checked in [Checked::Order, Checked::Refund] {
        let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM {}",
            checked.table()
        )))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        for id in ids {
            checked.seal(&mut tx, id).await?;
        }
    }
    sqlx::query("DELETE FROM row_check_backfill")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)
}

/// Gives every member-card intent its check once, after migration 0070 added the column
/// (the marker row of `member_hq_check_backfill`), in one transaction.
pub(crate) async fn backfill_intents(pool: &SqlitePool) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(db)?;
    let pending: Option<i64> = sqlx::query_scalar("SELECT pending FROM member_hq_check_backfill")
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    if pending.is_none() {
        return Ok(());
    }
    let ids: Vec<i64> = sqlx::query_scalar("SELECT rowid FROM member_hq_intents")
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    for id in ids {
        Checked::Intent.seal(&mut tx, id).await?;
    }
    sqlx::query("DELETE FROM member_hq_check_backfill")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)
}

/// Compares the check of every order, refund, deposit, member entry, recharge and
/// member-card intent row.
pub(crate) async fn verify_all(pool: &SqlitePool) -> Result<(), StoreError> {
    Checked::Order.verify_all(pool).await?;
    Checked::Refund.verify_all(pool).await?;
    Checked::Deposit.verify_all(pool).await?;
    Checked::Entry.verify_all(pool).await?;
    Checked::Recharge.verify_all(pool).await?;
    Checked::Intent.verify_all(pool).await
}
