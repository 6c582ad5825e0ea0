//! The [`HeadOfficeStore`] port: the till's transactional outbox and the catalogue the head
//! office manages.
//!
//! **Outbox.** While it is enabled (a head office was configured: [`HeadOfficeStore::start_outbox`]),
//! every write path of the ledger calls one of the `*_changed_in` helpers below inside its own
//! transaction, after the row is written: an order inserted or updated (payment state, refunded
//! total, and the orders that deposits and member cards write), a refund inserted or updated,
//! a deposit inserted or updated (freeze, consume, release), a shift opened or handed over, an
//! audit entry appended. The helper reads the row back as
//! stored and writes the head office contract's [`Record`] of it (the state *after* the change)
//! as JSON under the next number of a one-row counter (`outbox_state.last_seq`), so a change
//! is in the outbox exactly when its ledger change committed, numbered from 1 without gaps and
//! never reused (the counter is not the rowid of the outbox, whose rows are deleted once the
//! head office acknowledged them). While it is disabled, the helpers write nothing.
//!
//! Member-card movements have no kind in the contract yet; the orders they write (a recharge
//! order, a card payment) travel as orders. A deposit travels as itself, and the paid order
//! its consume creates as an order, both from the same transaction.

use async_trait::async_trait;
use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::hq_ports::{HeadOfficeStore, ManagedCommodity, OutboxEntry, OutboxState};
use cloudpos_domain::ports::{AuditRecord as LedgerAuditRecord, StoreError};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_hq_protocol::{
    AuditRecord, DepositRecord, OrderRecord, Record, RefundRecord, ShiftRecord,
};
use sqlx::{Row, SqliteConnection};

use crate::Store;
use crate::error::db;
use crate::ledger::{
    ORDER_COLUMNS, REFUND_COLUMNS, order_from_row, refund_from_row, shift_from_row,
};

/// Rows read per query by the backfill.
const BACKFILL_PAGE: i64 = 500;

fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_unix_millis(ms)
}

/// Whether the outbox is on (read inside the writer's transaction).
async fn enabled_in(conn: &mut SqliteConnection) -> Result<bool, StoreError> {
    let on: i64 = sqlx::query_scalar("SELECT enabled FROM outbox_state WHERE id = 1")
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    Ok(on != 0)
}

/// Writes `record` under the next number, if the outbox is on; inside the caller's
/// transaction, so it commits or rolls back with the ledger change.
async fn enqueue_in(conn: &mut SqliteConnection, record: &Record) -> Result<(), StoreError> {
    let seq: Option<i64> = sqlx::query_scalar(
        "UPDATE outbox_state SET last_seq = last_seq + 1 WHERE id = 1 AND enabled = 1 \
         RETURNING last_seq",
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let Some(seq) = seq else {
        return Ok(());
    };
    if let Err(e) = record.validate() {
        // Never refuse a ledger change for its copy: the head office will refuse it and the
        // till shows that (rule 5 of the contract).
        tracing::warn!(
            seq,
            kind = record.kind(),
            "outbox change breaks the contract: {e}"
        );
    }
    let json = serde_json::to_string(record)
        .map_err(|e| StoreError::Backend(format!("outbox change {seq}: {e}")))?;
    sqlx::query("INSERT INTO outbox (seq, at, kind, record_json) VALUES (?, ?, ?, ?)")
        .bind(seq)
        .bind(now().unix_millis())
        .bind(record.kind())
        .bind(json)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// The order row `id` was inserted or changed in this transaction.
pub(crate) async fn order_changed_in(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<(), StoreError> {
    if !enabled_in(conn).await? {
        return Ok(());
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?"
    )))
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    let order = order_from_row(&row)?;
    enqueue_in(conn, &Record::Order(OrderRecord::from_order(&order))).await
}

/// The refund row `id` was inserted or changed in this transaction.
pub(crate) async fn refund_changed_in(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<(), StoreError> {
    if !enabled_in(conn).await? {
        return Ok(());
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE id = ?"
    )))
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    let refund = refund_from_row(&row)?;
    enqueue_in(conn, &Record::Refund(RefundRecord::from_refund(&refund))).await
}

/// The deposit row `id` was inserted or changed in this transaction.
pub(crate) async fn deposit_changed_in(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<(), StoreError> {
    if !enabled_in(conn).await? {
        return Ok(());
    }
    let deposit = crate::deposits::deposit_by_id_in(conn, id).await?;
    enqueue_in(
        conn,
        &Record::Deposit(DepositRecord::from_deposit(&deposit)),
    )
    .await
}

/// The shift `id` was opened or handed over in this transaction.
pub(crate) async fn shift_changed_in(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<(), StoreError> {
    if !enabled_in(conn).await? {
        return Ok(());
    }
    let row = sqlx::query("SELECT id, clerk_id, opened_at, closed_at FROM shifts WHERE id = ?")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    let shift = shift_from_row(&row)?;
    enqueue_in(conn, &Record::Shift(ShiftRecord::from_shift(&shift))).await
}

/// The audit entry `record` was appended in this transaction.
pub(crate) async fn audit_appended_in(
    conn: &mut SqliteConnection,
    record: &LedgerAuditRecord,
) -> Result<(), StoreError> {
    enqueue_in(conn, &Record::Audit(AuditRecord::from_audit(record))).await
}

/// The ids of `table` above `after`, ascending, one page.
async fn ids_after(
    conn: &mut SqliteConnection,
    table: &'static str,
    key: &'static str,
    after: i64,
) -> Result<Vec<i64>, StoreError> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {key} FROM {table} WHERE {key} > ? ORDER BY {key} LIMIT ?"
    )))
    .bind(after)
    .bind(BACKFILL_PAGE)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)
}

/// Enqueues the current state of every shift, order, refund, deposit and audit entry (the
/// outbox is already on in this transaction); returns how many.
async fn backfill_in(conn: &mut SqliteConnection) -> Result<u64, StoreError> {
    let mut count = 0u64;
    for (table, key) in [
        ("shifts", "id"),
        ("orders", "id"),
        ("refunds", "id"),
        ("deposits", "id"),
        ("audit_log", "seq"),
    ] {
        count += enqueue_table_in(conn, table, key).await?;
    }
    Ok(count)
}

/// Enqueues the current state of every row of `table` (keyed by `key`), in key order, a page
/// at a time; returns how many.
async fn enqueue_table_in(
    conn: &mut SqliteConnection,
    table: &'static str,
    key: &'static str,
) -> Result<u64, StoreError> {
    let mut count = 0u64;
    let mut after = 0;
    loop {
        let ids = ids_after(conn, table, key, after).await?;
        let Some(&last) = ids.last() else { break };
        for id in ids {
            match table {
                "shifts" => shift_changed_in(conn, id).await?,
                "orders" => order_changed_in(conn, id).await?,
                "refunds" => refund_changed_in(conn, id).await?,
                "deposits" => deposit_changed_in(conn, id).await?,
                _ => {
                    let row = sqlx::query(
                        "SELECT seq, at, actor, action, detail, prev_hash, hash \
                         FROM audit_log WHERE seq = ?",
                    )
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db)?;
                    audit_appended_in(conn, &crate::audit::record_from_row(&row)?).await?;
                }
            }
            count += 1;
        }
        after = last;
    }
    Ok(count)
}

/// Sends the existing deposits once to a head office whose outbox was turned on before
/// deposits had a kind in the contract (migration 0080 marks every such till): each deposit's
/// current state is enqueued, in one transaction with the mark, so it happens exactly once
/// even if the till is killed meanwhile. Returns how many were enqueued.
pub(crate) async fn catch_up_deposits(pool: &sqlx::SqlitePool) -> Result<u64, StoreError> {
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM outbox_state WHERE id = 1 AND enabled = 1 AND deposits_sent = 0",
    )
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    if due.is_none() {
        return Ok(0);
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let marked = sqlx::query(
        "UPDATE outbox_state SET deposits_sent = 1 \
         WHERE id = 1 AND enabled = 1 AND deposits_sent = 0",
    )
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    if marked == 0 {
        return Ok(0);
    }
    let count = enqueue_table_in(&mut tx, "deposits", "id").await?;
    tx.commit().await.map_err(db)?;
    if count > 0 {
        tracing::info!("{count} existing deposits queued for the head office");
    }
    Ok(count)
}

/// Applies one managed commodity (the head office's whole record): inserts it or replaces
/// every field but the stock, and marks it managed. A local-only item holding its barcode
/// loses the barcode (logged); another managed item holding it (barcodes swapped at the head
/// office) gives it up until its own change arrives.
async fn upsert_managed_in(
    conn: &mut SqliteConnection,
    version: i64,
    c: &Commodity,
) -> Result<(), StoreError> {
    c.validate().map_err(|e| {
        StoreError::Conflict(format!("head office catalogue change {version}: {e}"))
    })?;
    if let Some(barcode) = c.barcode.as_deref() {
        let holder =
            sqlx::query("SELECT sku, hq_managed FROM commodities WHERE barcode = ? AND sku <> ?")
                .bind(barcode)
                .bind(&c.sku)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?;
        if let Some(holder) = holder {
            let sku: String = holder.try_get("sku").map_err(db)?;
            let managed: i64 = holder.try_get("hq_managed").map_err(db)?;
            if managed == 0 {
                tracing::warn!(
                    "local commodity {sku} loses barcode {barcode}: the head office gave it to {}",
                    c.sku
                );
            }
            sqlx::query("UPDATE commodities SET barcode = NULL WHERE sku = ?")
                .bind(&sku)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
        }
    }
    sqlx::query(
        "INSERT INTO commodities (sku, barcode, name, category, unit, price_fen, stock, hq_managed) \
         VALUES (?, ?, ?, ?, ?, ?, 0, 1) \
         ON CONFLICT (sku) DO UPDATE SET barcode = excluded.barcode, name = excluded.name, \
         category = excluded.category, unit = excluded.unit, price_fen = excluded.price_fen, \
         hq_managed = 1",
    )
    .bind(&c.sku)
    .bind(&c.barcode)
    .bind(&c.name)
    .bind(&c.category)
    .bind(&c.unit)
    .bind(c.price.fen())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

#[async_trait]
impl HeadOfficeStore for Store {
    async fn start_outbox(&self) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let turned_on =
            sqlx::query("UPDATE outbox_state SET enabled = 1 WHERE id = 1 AND enabled = 0")
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        if turned_on == 0 {
            return Ok(0);
        }
        let count = backfill_in(&mut tx).await?;
        sqlx::query("UPDATE outbox_state SET deposits_sent = 1 WHERE id = 1")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(count)
    }

    async fn outbox_enabled(&self) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        enabled_in(&mut conn).await
    }

    async fn outbox_batch(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, kind, record_json FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(after_seq)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(OutboxEntry {
                    seq: r.try_get("seq").map_err(db)?,
                    at: Timestamp::from_unix_millis(r.try_get("at").map_err(db)?),
                    kind: r.try_get("kind").map_err(db)?,
                    record_json: r.try_get("record_json").map_err(db)?,
                })
            })
            .collect()
    }

    async fn acknowledge(&self, through_seq: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let last: i64 = sqlx::query_scalar("SELECT last_seq FROM outbox_state WHERE id = 1")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if through_seq > last {
            return Err(StoreError::Conflict(format!(
                "the head office acknowledged change {through_seq}, but this till has written \
                 only {last} (was the data directory restored from an older backup?)"
            )));
        }
        sqlx::query("DELETE FROM outbox WHERE seq <= ?")
            .bind(through_seq)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "UPDATE outbox_state SET acknowledged_through = max(acknowledged_through, ?) \
             WHERE id = 1",
        )
        .bind(through_seq)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn outbox_state(&self) -> Result<OutboxState, StoreError> {
        let row = sqlx::query(
            "SELECT s.last_seq, s.acknowledged_through, \
             (SELECT count(*) FROM outbox) AS pending, \
             (SELECT at FROM outbox ORDER BY seq LIMIT 1) AS oldest_at \
             FROM outbox_state s WHERE s.id = 1",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(OutboxState {
            pending: u64::try_from(row.try_get::<i64, _>("pending").map_err(db)?).unwrap_or(0),
            oldest_at: row
                .try_get::<Option<i64>, _>("oldest_at")
                .map_err(db)?
                .map(Timestamp::from_unix_millis),
            last_seq: row.try_get("last_seq").map_err(db)?,
            acknowledged_through: row.try_get("acknowledged_through").map_err(db)?,
        })
    }

    /// Applies a page of the head office's catalogue changes in one transaction.
    ///
    /// **Conflict rule** (as `docs/ARCHITECTURE.md` states it): the head office wins on every
    /// SKU it manages — a change replaces its barcode, name, category, unit and price and marks
    /// it managed (a local item with the same SKU is taken over), a tombstone deletes it; the
    /// stock is never taken from the head office and stays the till's count (a new SKU starts
    /// at 0). Local-only SKUs (never sent by the head office) are left alone, a tombstone
    /// included, except that one holding a barcode the head office gives to its SKU loses that
    /// barcode (logged). Changes at or below the version already applied are skipped, so a
    /// page applied again changes nothing; the recorded version never goes down.
    async fn apply_catalog(
        &self,
        changes: &[ManagedCommodity],
        version: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let applied: i64 =
            sqlx::query_scalar("SELECT catalog_version FROM outbox_state WHERE id = 1")
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        for change in changes.iter().filter(|c| c.version > applied) {
            match &change.commodity {
                Some(c) if c.sku != change.sku => {
                    return Err(StoreError::Conflict(format!(
                        "head office catalogue change {}: keyed {} but carries commodity {}",
                        change.version, change.sku, c.sku
                    )));
                }
                Some(c) => upsert_managed_in(&mut tx, change.version, c).await?,
                None => {
                    sqlx::query("DELETE FROM commodities WHERE sku = ? AND hq_managed = 1")
                        .bind(&change.sku)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                }
            }
        }
        sqlx::query(
            "UPDATE outbox_state SET catalog_version = max(catalog_version, ?) WHERE id = 1",
        )
        .bind(version)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn catalog_version(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT catalog_version FROM outbox_state WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }
}
