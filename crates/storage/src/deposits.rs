//! The [`DepositLedger`] port: deposits (押金) and the paid order a consume creates.
//!
//! Writes are compare-and-set on the state the writer read, like orders and refunds, and
//! check the amounts ([`Deposit::check_invariants`]) before anything is written; the table
//! repeats the main invariant as a `CHECK`, and every row carries a row check
//! ([`crate::row_check`]). A deposit's refunded total is the refunded total of its consume
//! order, read with it.

use async_trait::async_trait;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::deposit::{Deposit, DepositState};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::Order;
use cloudpos_domain::order_no::{FreezeNo, OrderNo};
use cloudpos_domain::ports::{DepositFilter, DepositLedger, Page, StoreError};
use cloudpos_domain::timestamp::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::Store;
use crate::error::{corrupt, db};
use crate::ledger::{escape_like, insert_order_in};
use crate::row_check::{Checked, DEPOSIT_CHECKED, deposit_check};

/// Every column of a deposit, with the refunded total of its consume order.
const DEPOSIT_SELECT: &str = "SELECT d.id, d.out_freeze_no, d.store_id, d.device_id, d.wallet, \
    d.frozen_fen, d.consumed_fen, d.unfrozen_fen, d.pending_fen, d.state, d.consume_no, \
    d.unfreeze_no, d.freeze_id, d.code_masked, d.clerk_id, d.shift_id, d.body, d.remark, \
    d.settled_by, d.authorized_by, d.reason, d.created_at, d.updated_at, d.frozen_at, \
    d.finished_at, d.row_check, coalesce(o.refunded_fen, 0) AS refunded_fen \
    FROM deposits d LEFT JOIN orders o ON o.out_trade_no = d.consume_no \
    AND o.store_id = d.store_id AND o.device_id = d.device_id AND d.state = 'consumed'";

const OPEN_STATES_SQL: &str = "('freezing', 'user_paying', 'unknown', 'consuming', 'unfreezing')";

fn parse<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|e| corrupt(what, e))
}

fn deposit_from_row(row: &SqliteRow) -> Result<Deposit, StoreError> {
    Checked::Deposit.verify(row)?;
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(db);
    let get_os = |c: &str| row.try_get::<Option<String>, _>(c).map_err(db);
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(db);
    let get_oi = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(db);
    let clerk = |v: Option<String>| -> Result<Option<ClerkId>, StoreError> {
        v.map(|s| parse::<ClerkId>("clerk id", &s)).transpose()
    };
    Ok(Deposit {
        no: parse("deposit number", &get_s("out_freeze_no")?)?,
        wallet: parse("wallet", &get_s("wallet")?)?,
        frozen: Money::from_fen(get_i("frozen_fen")?),
        consumed: Money::from_fen(get_i("consumed_fen")?),
        unfrozen: Money::from_fen(get_i("unfrozen_fen")?),
        refunded: Money::from_fen(get_i("refunded_fen")?),
        state: parse("deposit state", &get_s("state")?)?,
        pending: Money::from_fen(get_i("pending_fen")?),
        consume_no: get_os("consume_no")?
            .map(|s| parse("consume order number", &s))
            .transpose()?,
        unfreeze_no: get_os("unfreeze_no")?
            .map(|s| parse("release number", &s))
            .transpose()?,
        freeze_id: get_os("freeze_id")?,
        code_masked: get_s("code_masked")?,
        store_id: get_s("store_id")?,
        device_id: get_s("device_id")?,
        clerk_id: parse("clerk id", &get_s("clerk_id")?)?,
        shift_id: get_oi("shift_id")?,
        body: get_s("body")?,
        remark: get_s("remark")?,
        settled_by: clerk(get_os("settled_by")?)?,
        authorized_by: clerk(get_os("authorized_by")?)?,
        reason: get_os("reason")?,
        created_at: Timestamp::from_unix_millis(get_i("created_at")?),
        updated_at: Timestamp::from_unix_millis(get_i("updated_at")?),
        frozen_at: get_oi("frozen_at")?.map(Timestamp::from_unix_millis),
        finished_at: get_oi("finished_at")?.map(Timestamp::from_unix_millis),
    })
}

fn check_of(d: &Deposit) -> i64 {
    deposit_check(
        d.no.as_str(),
        d.wallet.as_str(),
        d.state.as_str(),
        [
            d.frozen.fen(),
            d.consumed.fen(),
            d.unfrozen.fen(),
            d.pending.fen(),
        ],
        d.consume_no.as_ref().map(OrderNo::as_str),
    )
}

fn invariants(d: &Deposit) -> Result<(), StoreError> {
    d.check_invariants().map_err(StoreError::Conflict)
}

fn push_filter(q: &mut QueryBuilder<Sqlite>, f: &DepositFilter) {
    q.push(" WHERE 1 = 1");
    if let Some(from) = f.from {
        q.push(" AND d.created_at >= ")
            .push_bind(from.unix_millis());
    }
    if let Some(to) = f.to {
        q.push(" AND d.created_at < ").push_bind(to.unix_millis());
    }
    if let Some(status) = f.status {
        q.push(" AND d.state IN (");
        let mut list = q.separated(", ");
        for s in status.states() {
            list.push_bind(s.as_str());
        }
        q.push(")");
    }
    if let Some(clerk) = &f.clerk {
        q.push(" AND d.clerk_id = ").push_bind(clerk.as_str());
    }
    if let Some(no) = f.no.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q.push(" AND d.out_freeze_no LIKE ")
            .push_bind(format!("%{}%", escape_like(no)))
            .push(" ESCAPE '\\'");
    }
}

/// The deposit row `id`, as stored (row check verified), read inside the caller's transaction.
pub(crate) async fn deposit_by_id_in(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
) -> Result<Deposit, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{DEPOSIT_SELECT} WHERE d.id = ?"
    )))
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    deposit_from_row(&row)
}

impl Store {
    /// Compare-and-set of a deposit's state and amounts inside `tx`.
    async fn write_deposit(
        tx: &mut sqlx::SqliteConnection,
        d: &Deposit,
        expected: DepositState,
    ) -> Result<(), StoreError> {
        invariants(d)?;
        if expected != d.state && !expected.can_become(d.state) {
            return Err(StoreError::Conflict(format!(
                "deposit {}: {expected} cannot become {}",
                d.no, d.state
            )));
        }
        let current = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DEPOSIT_CHECKED}, row_check FROM deposits WHERE out_freeze_no = ?"
        )))
        .bind(d.no.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(current) = current else {
            return Err(StoreError::NotFound(format!("deposit {}", d.no)));
        };
        Checked::Deposit.verify(&current)?;
        let id: i64 = current.try_get("id").map_err(db)?;
        let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE deposits SET state = ?, consumed_fen = ?, unfrozen_fen = ?, pending_fen = ?, \
             consume_no = ?, unfreeze_no = ?, freeze_id = ?, settled_by = ?, authorized_by = ?, \
             reason = ?, updated_at = ?, frozen_at = ?, finished_at = ? \
             WHERE id = ? AND state = ? RETURNING {DEPOSIT_CHECKED}"
        )))
        .bind(d.state.as_str())
        .bind(d.consumed.fen())
        .bind(d.unfrozen.fen())
        .bind(d.pending.fen())
        .bind(d.consume_no.as_ref().map(OrderNo::as_str))
        .bind(d.unfreeze_no.as_ref().map(|u| u.as_str().to_owned()))
        .bind(&d.freeze_id)
        .bind(d.settled_by.as_ref().map(ClerkId::as_str))
        .bind(d.authorized_by.as_ref().map(ClerkId::as_str))
        .bind(&d.reason)
        .bind(d.updated_at.unix_millis())
        .bind(d.frozen_at.map(Timestamp::unix_millis))
        .bind(d.finished_at.map(Timestamp::unix_millis))
        .bind(id)
        .bind(expected.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(updated) = updated else {
            let state: String = current.try_get("state").map_err(db)?;
            return Err(StoreError::Conflict(format!(
                "deposit {} is {state} in the ledger, not {expected}: it was updated meanwhile",
                d.no
            )));
        };
        Checked::Deposit.store(&mut *tx, &updated).await?;
        crate::outbox::deposit_changed_in(tx, id).await
    }
}

#[async_trait]
impl DepositLedger for Store {
    async fn insert_deposit(&self, d: &Deposit) -> Result<(), StoreError> {
        invariants(d)?;
        let mut tx = self.begin_write().await?;
        let result = sqlx::query(
            "INSERT INTO deposits (out_freeze_no, store_id, device_id, wallet, frozen_fen, \
             consumed_fen, unfrozen_fen, pending_fen, state, consume_no, unfreeze_no, freeze_id, \
             code_masked, clerk_id, shift_id, body, remark, settled_by, authorized_by, reason, \
             created_at, updated_at, frozen_at, finished_at, row_check) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(d.no.as_str())
        .bind(&d.store_id)
        .bind(&d.device_id)
        .bind(d.wallet.as_str())
        .bind(d.frozen.fen())
        .bind(d.consumed.fen())
        .bind(d.unfrozen.fen())
        .bind(d.pending.fen())
        .bind(d.state.as_str())
        .bind(d.consume_no.as_ref().map(OrderNo::as_str))
        .bind(d.unfreeze_no.as_ref().map(|u| u.as_str().to_owned()))
        .bind(&d.freeze_id)
        .bind(&d.code_masked)
        .bind(d.clerk_id.as_str())
        .bind(d.shift_id)
        .bind(&d.body)
        .bind(&d.remark)
        .bind(d.settled_by.as_ref().map(ClerkId::as_str))
        .bind(d.authorized_by.as_ref().map(ClerkId::as_str))
        .bind(&d.reason)
        .bind(d.created_at.unix_millis())
        .bind(d.updated_at.unix_millis())
        .bind(d.frozen_at.map(Timestamp::unix_millis))
        .bind(d.finished_at.map(Timestamp::unix_millis))
        .bind(check_of(d))
        .execute(&mut *tx)
        .await;
        let inserted = match result {
            Ok(done) => done.last_insert_rowid(),
            Err(e) => {
                return Err(match db(e) {
                    StoreError::Duplicate(_) => {
                        StoreError::Duplicate(format!("deposit number {}", d.no))
                    }
                    other => other,
                });
            }
        };
        crate::outbox::deposit_changed_in(&mut tx, inserted).await?;
        tx.commit().await.map_err(db)
    }

    async fn update_deposit(&self, d: &Deposit, expected: DepositState) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        Self::write_deposit(&mut tx, d, expected).await?;
        tx.commit().await.map_err(db)
    }

    async fn finish_consume(
        &self,
        d: &Deposit,
        expected: DepositState,
        order: &Order,
    ) -> Result<(), StoreError> {
        if d.state != DepositState::Consumed
            || d.consume_no.as_ref() != Some(&order.no)
            || order.amount != d.consumed
        {
            return Err(StoreError::Conflict(format!(
                "deposit {}: the consume order {} of {} does not match the deposit ({}, consumed {})",
                d.no, order.no, order.amount, d.state, d.consumed
            )));
        }
        let mut tx = self.begin_write().await?;
        Self::write_deposit(&mut tx, d, expected).await?;
        insert_order_in(&mut tx, order).await?;
        tx.commit().await.map_err(db)
    }

    async fn deposit(&self, no: &FreezeNo) -> Result<Option<Deposit>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{DEPOSIT_SELECT} WHERE d.out_freeze_no = ?"
        )))
        .bind(no.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(deposit_from_row)
        .transpose()
    }

    async fn deposit_of_consume(&self, no: &OrderNo) -> Result<Option<Deposit>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{DEPOSIT_SELECT} WHERE d.consume_no = ?"
        )))
        .bind(no.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(deposit_from_row)
        .transpose()
    }

    async fn deposits(&self, filter: &DepositFilter) -> Result<Page<Deposit>, StoreError> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM deposits d");
        push_filter(&mut count, filter);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        let mut q = QueryBuilder::<Sqlite>::new(DEPOSIT_SELECT);
        push_filter(&mut q, filter);
        q.push(" ORDER BY d.created_at DESC, d.id DESC");
        if filter.page_size > 0 {
            q.push(" LIMIT ")
                .push_bind(i64::from(filter.page_size))
                .push(" OFFSET ")
                .push_bind(i64::from(filter.page) * i64::from(filter.page_size));
        }
        let rows = q.build().fetch_all(&self.pool).await.map_err(db)?;
        Ok(Page {
            items: rows
                .iter()
                .map(deposit_from_row)
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            page: filter.page,
            page_size: filter.page_size,
        })
    }

    async fn unfinished_deposits(&self) -> Result<Vec<Deposit>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{DEPOSIT_SELECT} WHERE d.state IN {OPEN_STATES_SQL} ORDER BY d.id"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(deposit_from_row)
        .collect()
    }
}
