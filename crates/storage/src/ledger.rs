//! The [`Ledger`] port: orders, refunds and shifts.

use async_trait::async_trait;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, OrderStatus, PaymentMethod};
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_domain::ports::{Ledger, OrderFilter, Page, RefundFilter, StoreError};
use cloudpos_domain::refund::{Refund, RefundState, check_new_refund};
use cloudpos_domain::shift::Shift;
use cloudpos_domain::timestamp::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::Store;
use crate::error::{corrupt, db};
use crate::row_check::{Checked, ORDER_CHECKED, REFUND_CHECKED, order_check, refund_check};

pub(crate) const ORDER_COLUMNS: &str = "id, store_id, device_id, out_trade_no, method, amount_fen, state, \
    refunded_fen, code_masked, clerk_id, shift_id, body, remark, transaction_id, reason, \
    never_reverse, cash_tendered_fen, cash_change_fen, lines_json, created_at, updated_at, paid_at, \
    row_check";

pub(crate) const REFUND_COLUMNS: &str = "id, out_refund_no, out_trade_no, method, amount_fen, state, reason, \
    clerk_id, authorized_by, shift_id, refund_id, failure, created_at, updated_at, succeeded_at, \
    row_check";

const FINAL_STATES_SQL: &str = "('paid', 'failed', 'reversed')";

fn parse<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|e| corrupt(what, e))
}

pub(crate) fn order_from_row(row: &SqliteRow) -> Result<Order, StoreError> {
    Checked::Order.verify(row)?;
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(db);
    let get_os = |c: &str| row.try_get::<Option<String>, _>(c).map_err(db);
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(db);
    let get_oi = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(db);
    Ok(Order {
        no: parse("order number", &get_s("out_trade_no")?)?,
        method: parse("payment method", &get_s("method")?)?,
        amount: Money::from_fen(get_i("amount_fen")?),
        state: parse("order state", &get_s("state")?)?,
        refunded: Money::from_fen(get_i("refunded_fen")?),
        code_masked: get_os("code_masked")?,
        store_id: get_s("store_id")?,
        device_id: get_s("device_id")?,
        clerk_id: parse("clerk id", &get_s("clerk_id")?)?,
        shift_id: get_oi("shift_id")?,
        body: get_s("body")?,
        remark: get_s("remark")?,
        transaction_id: get_os("transaction_id")?,
        reason: get_os("reason")?,
        never_reverse: get_i("never_reverse")? != 0,
        cash_tendered: get_oi("cash_tendered_fen")?.map(Money::from_fen),
        cash_change: get_oi("cash_change_fen")?.map(Money::from_fen),
        lines: match get_os("lines_json")? {
            None => Vec::new(),
            Some(text) => serde_json::from_str(&text).map_err(|e| corrupt("order lines", e))?,
        },
        created_at: Timestamp::from_unix_millis(get_i("created_at")?),
        updated_at: Timestamp::from_unix_millis(get_i("updated_at")?),
        paid_at: get_oi("paid_at")?.map(Timestamp::from_unix_millis),
    })
}

pub(crate) fn refund_from_row(row: &SqliteRow) -> Result<Refund, StoreError> {
    Checked::Refund.verify(row)?;
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(db);
    let get_os = |c: &str| row.try_get::<Option<String>, _>(c).map_err(db);
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(db);
    let get_oi = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(db);
    Ok(Refund {
        no: parse("refund number", &get_s("out_refund_no")?)?,
        order_no: parse("order number", &get_s("out_trade_no")?)?,
        method: parse("payment method", &get_s("method")?)?,
        amount: Money::from_fen(get_i("amount_fen")?),
        state: parse("refund state", &get_s("state")?)?,
        reason: get_s("reason")?,
        clerk_id: parse("clerk id", &get_s("clerk_id")?)?,
        authorized_by: get_os("authorized_by")?
            .map(|s| parse::<ClerkId>("clerk id", &s))
            .transpose()?,
        shift_id: get_oi("shift_id")?,
        refund_id: get_os("refund_id")?,
        failure: get_os("failure")?,
        created_at: Timestamp::from_unix_millis(get_i("created_at")?),
        updated_at: Timestamp::from_unix_millis(get_i("updated_at")?),
        succeeded_at: get_oi("succeeded_at")?.map(Timestamp::from_unix_millis),
    })
}

pub(crate) fn shift_from_row(row: &SqliteRow) -> Result<Shift, StoreError> {
    Ok(Shift {
        id: row.try_get("id").map_err(db)?,
        clerk_id: parse(
            "clerk id",
            &row.try_get::<String, _>("clerk_id").map_err(db)?,
        )?,
        opened_at: Timestamp::from_unix_millis(row.try_get("opened_at").map_err(db)?),
        closed_at: row
            .try_get::<Option<i64>, _>("closed_at")
            .map_err(db)?
            .map(Timestamp::from_unix_millis),
    })
}

fn push_status_filter(q: &mut QueryBuilder<Sqlite>, status: OrderStatus) {
    q.push(match status {
        OrderStatus::Paid => " AND state = 'paid' AND refunded_fen = 0",
        OrderStatus::PartiallyRefunded => {
            " AND state = 'paid' AND refunded_fen > 0 AND refunded_fen < amount_fen"
        }
        OrderStatus::Refunded => {
            " AND state = 'paid' AND refunded_fen > 0 AND refunded_fen >= amount_fen"
        }
        OrderStatus::Failed => " AND state = 'failed'",
        OrderStatus::Reversed => " AND state = 'reversed'",
        OrderStatus::Unknown => " AND state NOT IN ('paid', 'failed', 'reversed')",
    });
}

/// `exact_no`: the order-number text is a whole number present in the ledger (a scanned
/// receipt), so it is matched with the index on the number rather than searched.
fn push_order_filter(q: &mut QueryBuilder<Sqlite>, f: &OrderFilter, exact_no: bool) {
    q.push(" WHERE 1 = 1");
    if let Some(from) = f.from {
        q.push(" AND created_at >= ").push_bind(from.unix_millis());
    }
    if let Some(to) = f.to {
        q.push(" AND created_at < ").push_bind(to.unix_millis());
    }
    if let Some(from) = f.paid_from {
        q.push(" AND paid_at >= ").push_bind(from.unix_millis());
    }
    if let Some(to) = f.paid_to {
        q.push(" AND paid_at < ").push_bind(to.unix_millis());
    }
    if let Some(status) = f.status {
        push_status_filter(q, status);
    }
    if let Some(state) = f.state {
        q.push(" AND state = ").push_bind(state.as_str());
    }
    if let Some(clerk) = &f.clerk {
        q.push(" AND clerk_id = ").push_bind(clerk.as_str());
    }
    if let Some(method) = f.method {
        q.push(" AND method = ").push_bind(method.as_str());
    }
    match (
        f.order_no
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
        exact_no,
    ) {
        (Some(no), true) => {
            q.push(" AND out_trade_no = ").push_bind(no.to_owned());
        }
        (Some(no), false)
            if no.chars().count() >= 3 && no.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            // The trigram index finds every number containing the text. (Order numbers are
            // letters and digits, so nothing needs escaping; an ESCAPE clause would stop
            // SQLite from using the index.)
            q.push(" AND id IN (SELECT rowid FROM orders_no_fts WHERE out_trade_no LIKE ")
                .push_bind(format!("%{no}%"))
                .push(")");
        }
        (Some(no), false) => {
            q.push(" AND out_trade_no LIKE ")
                .push_bind(format!("%{}%", escape_like(no)))
                .push(" ESCAPE '\\'");
        }
        (None, _) => {}
    }
    if let Some(shift) = f.shift_id {
        q.push(" AND shift_id = ").push_bind(shift);
    }
}

fn push_refund_filter(q: &mut QueryBuilder<Sqlite>, f: &RefundFilter) {
    q.push(" WHERE 1 = 1");
    if let Some(from) = f.from {
        q.push(" AND created_at >= ").push_bind(from.unix_millis());
    }
    if let Some(to) = f.to {
        q.push(" AND created_at < ").push_bind(to.unix_millis());
    }
    if let Some(from) = f.succeeded_from {
        q.push(" AND succeeded_at >= ")
            .push_bind(from.unix_millis());
    }
    if let Some(to) = f.succeeded_to {
        q.push(" AND succeeded_at < ").push_bind(to.unix_millis());
    }
    if let Some(state) = f.state {
        q.push(" AND state = ").push_bind(state.as_str());
    }
    if let Some(clerk) = &f.clerk {
        q.push(" AND clerk_id = ").push_bind(clerk.as_str());
    }
    if let Some(no) = f.order_no.as_deref().filter(|s| !s.is_empty()) {
        q.push(" AND (out_trade_no LIKE ")
            .push_bind(format!("%{}%", escape_like(no)))
            .push(" ESCAPE '\\' OR out_refund_no LIKE ")
            .push_bind(format!("%{}%", escape_like(no)))
            .push(" ESCAPE '\\')");
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn push_paging(q: &mut QueryBuilder<Sqlite>, page: u32, page_size: u32) {
    if page_size > 0 {
        q.push(" LIMIT ")
            .push_bind(i64::from(page_size))
            .push(" OFFSET ")
            .push_bind(i64::from(page) * i64::from(page_size));
    }
}

fn lines_json(order: &Order) -> Result<Option<String>, StoreError> {
    if order.lines.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(&order.lines)
        .map(Some)
        .map_err(|e| StoreError::Backend(format!("order lines: {e}")))
}

fn method_str(m: PaymentMethod) -> &'static str {
    m.as_str()
}

impl Store {
    async fn load_order_for_update(
        tx: &mut sqlx::SqliteConnection,
        no: &OrderNo,
    ) -> Result<Option<(i64, Order)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE out_trade_no = ? ORDER BY id DESC LIMIT 1"
        )))
        .bind(no.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        match row {
            Some(r) => Ok(Some((r.try_get("id").map_err(db)?, order_from_row(&r)?))),
            None => Ok(None),
        }
    }

    async fn load_refunds(
        tx: &mut sqlx::SqliteConnection,
        order_id: i64,
    ) -> Result<Vec<Refund>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE order_id = ? ORDER BY id"
        )))
        .bind(order_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?
        .iter()
        .map(refund_from_row)
        .collect()
    }
}

/// Inserts an order row (with its row check) inside `tx`: the one way an order is written.
/// A number held by a chain-wide card payment's intent is refused (see
/// `member_hq::number_free_in`).
pub(crate) async fn insert_order_in(
    tx: &mut sqlx::SqliteConnection,
    order: &Order,
) -> Result<(), StoreError> {
    crate::member_hq::number_free_in(tx, order.no.as_str()).await?;
    insert_order_row_in(tx, order).await
}

/// [`insert_order_in`] for the transaction that closes the card payment intent holding
/// the order's number (the only writer entitled to that number).
pub(crate) async fn insert_order_row_in(
    tx: &mut sqlx::SqliteConnection,
    order: &Order,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "INSERT INTO orders (store_id, device_id, out_trade_no, method, amount_fen, state, \
         refunded_fen, code_masked, clerk_id, shift_id, body, remark, transaction_id, reason, \
         never_reverse, cash_tendered_fen, cash_change_fen, lines_json, created_at, updated_at, \
         paid_at, row_check) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&order.store_id)
    .bind(&order.device_id)
    .bind(order.no.as_str())
    .bind(method_str(order.method))
    .bind(order.amount.fen())
    .bind(order.state.as_str())
    .bind(order.refunded.fen())
    .bind(&order.code_masked)
    .bind(order.clerk_id.as_str())
    .bind(order.shift_id)
    .bind(&order.body)
    .bind(&order.remark)
    .bind(&order.transaction_id)
    .bind(&order.reason)
    .bind(i64::from(order.never_reverse))
    .bind(order.cash_tendered.map(Money::fen))
    .bind(order.cash_change.map(Money::fen))
    .bind(lines_json(order)?)
    .bind(order.created_at.unix_millis())
    .bind(order.updated_at.unix_millis())
    .bind(order.paid_at.map(Timestamp::unix_millis))
    .bind(order_check(
        order.no.as_str(),
        method_str(order.method),
        order.state.as_str(),
        order.amount.fen(),
        order.refunded.fen(),
    ))
    .execute(&mut *tx)
    .await;
    match result {
        Ok(done) => crate::outbox::order_changed_in(tx, done.last_insert_rowid()).await,
        Err(e) => Err(match db(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("order number {}", order.no)),
            other => other,
        }),
    }
}

#[async_trait]
impl Ledger for Store {
    async fn insert_order(&self, order: &Order) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        insert_order_in(&mut tx, order).await?;
        tx.commit().await.map_err(db)
    }

    async fn update_order(&self, order: &Order, expected: OrderState) -> Result<(), StoreError> {
        if expected != order.state && !expected.can_become(order.state) {
            return Err(StoreError::Conflict(format!(
                "order {}: {expected} cannot become {}",
                order.no, order.state
            )));
        }
        let mut tx = self.begin_write().await?;
        // Compare and set: only if the stored state is still the one the writer read. The
        // never-reverse flag can be set, never cleared.
        // The stored row is checked before it is changed, so a damaged record is never
        // given a fresh check.
        let current = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_CHECKED}, row_check FROM orders WHERE out_trade_no = ? \
             ORDER BY id DESC LIMIT 1"
        )))
        .bind(order.no.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if let Some(row) = &current {
            Checked::Order.verify(row)?;
        }
        let id: Option<i64> = current
            .map(|row| row.try_get("id"))
            .transpose()
            .map_err(db)?;
        let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE orders SET state = ?, code_masked = ?, shift_id = ?, body = ?, remark = ?, \
             transaction_id = ?, reason = ?, never_reverse = max(never_reverse, ?), \
             cash_tendered_fen = ?, cash_change_fen = ?, updated_at = ?, paid_at = ? \
             WHERE id = ? AND state = ? AND (never_reverse = 0 OR ? = 1) \
             RETURNING {ORDER_CHECKED}"
        )))
        .bind(order.state.as_str())
        .bind(&order.code_masked)
        .bind(order.shift_id)
        .bind(&order.body)
        .bind(&order.remark)
        .bind(&order.transaction_id)
        .bind(&order.reason)
        .bind(i64::from(order.never_reverse))
        .bind(order.cash_tendered.map(Money::fen))
        .bind(order.cash_change.map(Money::fen))
        .bind(order.updated_at.unix_millis())
        .bind(order.paid_at.map(Timestamp::unix_millis))
        .bind(id)
        .bind(expected.as_str())
        .bind(i64::from(order.never_reverse))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(updated) = updated else {
            let stored = Self::load_order_for_update(&mut tx, &order.no).await?;
            return Err(match stored {
                None => StoreError::NotFound(format!("order {}", order.no)),
                Some((_, s)) if s.never_reverse && !order.never_reverse => {
                    StoreError::Conflict(format!(
                        "order {} is marked never-reverse and must stay so",
                        order.no
                    ))
                }
                Some((_, s)) => StoreError::Conflict(format!(
                    "order {} is {} in the ledger, not {expected}: it was updated meanwhile",
                    order.no, s.state
                )),
            });
        };
        Checked::Order.store(&mut tx, &updated).await?;
        crate::outbox::order_changed_in(&mut tx, updated.try_get("id").map_err(db)?).await?;
        // A recharge is credited by the very transaction that records it paid.
        crate::members::on_order_state_in(&mut tx, order, expected).await?;
        tx.commit().await.map_err(db)
    }

    async fn order(&self, no: &OrderNo) -> Result<Option<Order>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE out_trade_no = ? ORDER BY id DESC LIMIT 1"
        )))
        .bind(no.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(order_from_row).transpose()
    }

    async fn orders(&self, filter: &OrderFilter) -> Result<Page<Order>, StoreError> {
        let exact_no = match filter.order_no.as_deref().map(str::trim) {
            Some(no) if no.len() >= 8 => {
                sqlx::query_scalar::<_, i64>("SELECT count(*) FROM orders WHERE out_trade_no = ?")
                    .bind(no)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db)?
                    > 0
            }
            _ => false,
        };
        let unfiltered = OrderFilter {
            page: filter.page,
            page_size: filter.page_size,
            ..OrderFilter::default()
        } == *filter;
        let total: i64 = if unfiltered {
            // Orders are never deleted and their ids are never reused, so the count of an
            // unfiltered list is the highest id: no scan of a million rows per page.
            sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM orders")
                .fetch_one(&self.pool)
                .await
                .map_err(db)?
        } else {
            let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM orders");
            push_order_filter(&mut count, filter, exact_no);
            count
                .build_query_scalar()
                .fetch_one(&self.pool)
                .await
                .map_err(db)?
        };
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {ORDER_COLUMNS} FROM orders"));
        push_order_filter(&mut q, filter, exact_no);
        q.push(" ORDER BY created_at DESC, id DESC");
        push_paging(&mut q, filter.page, filter.page_size);
        let rows = q.build().fetch_all(&self.pool).await.map_err(db)?;
        Ok(Page {
            items: rows.iter().map(order_from_row).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            page: filter.page,
            page_size: filter.page_size,
        })
    }

    async fn unfinished_orders(&self) -> Result<Vec<Order>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE state NOT IN {FINAL_STATES_SQL} ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(order_from_row)
        .collect()
    }

    async fn latest_numbers(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for sql in [
            "SELECT out_trade_no FROM orders ORDER BY id DESC LIMIT 1",
            "SELECT out_refund_no FROM refunds ORDER BY id DESC LIMIT 1",
            "SELECT out_freeze_no FROM deposits ORDER BY id DESC LIMIT 1",
            "SELECT consume_no FROM deposits WHERE consume_no IS NOT NULL \
             ORDER BY updated_at DESC LIMIT 1",
            "SELECT unfreeze_no FROM deposits WHERE unfreeze_no IS NOT NULL \
             ORDER BY updated_at DESC LIMIT 1",
            // A chain-wide card payment's number is taken by its intent, paid or not.
            "SELECT key FROM member_hq_intents WHERE kind = 'payment' \
             ORDER BY created_at DESC, key DESC LIMIT 1",
        ] {
            if let Some(no) = sqlx::query_scalar::<_, String>(sql)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?
            {
                out.push(no);
            }
        }
        Ok(out)
    }

    async fn insert_refund(&self, refund: &Refund) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let (order_id, order) = Self::load_order_for_update(&mut tx, &refund.order_no)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("order {}", refund.order_no)))?;
        let existing = Self::load_refunds(&mut tx, order_id).await?;
        if existing.iter().any(|r| r.no == refund.no) {
            return Err(StoreError::Duplicate(format!(
                "refund number {}",
                refund.no
            )));
        }
        check_new_refund(&order, &existing, refund.amount)?;
        crate::members::refuse_recharge_refund_in(&mut tx, &order.no).await?;
        let inserted = sqlx::query(
            "INSERT INTO refunds (out_refund_no, order_id, out_trade_no, method, amount_fen, \
             state, reason, clerk_id, authorized_by, shift_id, refund_id, failure, created_at, \
             updated_at, succeeded_at, row_check) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(refund.no.as_str())
        .bind(order_id)
        .bind(refund.order_no.as_str())
        .bind(method_str(order.method))
        .bind(refund.amount.fen())
        .bind(refund.state.as_str())
        .bind(&refund.reason)
        .bind(refund.clerk_id.as_str())
        .bind(refund.authorized_by.as_ref().map(ClerkId::as_str))
        .bind(refund.shift_id)
        .bind(&refund.refund_id)
        .bind(&refund.failure)
        .bind(refund.created_at.unix_millis())
        .bind(refund.updated_at.unix_millis())
        .bind(refund.succeeded_at.map(Timestamp::unix_millis))
        .bind(refund_check(
            refund.no.as_str(),
            refund.order_no.as_str(),
            method_str(order.method),
            refund.state.as_str(),
            refund.amount.fen(),
        ))
        .execute(&mut *tx)
        .await
        .map_err(|e| match db(e) {
            StoreError::Duplicate(_) => {
                StoreError::Duplicate(format!("refund number {}", refund.no))
            }
            other => other,
        })?;
        crate::outbox::refund_changed_in(&mut tx, inserted.last_insert_rowid()).await?;
        if refund.state == RefundState::Succeeded {
            Self::add_refunded(&mut tx, order_id, refund.amount).await?;
            crate::members::refund_to_card_in(
                &mut tx,
                refund.order_no.as_str(),
                refund.no.as_str(),
                refund.amount,
                refund.updated_at,
            )
            .await?;
        }
        tx.commit().await.map_err(db)
    }

    async fn update_refund(
        &self,
        refund: &Refund,
        expected: RefundState,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT order_id, {REFUND_CHECKED}, row_check FROM refunds WHERE out_refund_no = ?"
        )))
        .bind(refund.no.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("refund {}", refund.no)))?;
        Checked::Refund.verify(&row)?;
        let refund_row: i64 = row.try_get("id").map_err(db)?;
        let order_id: i64 = row.try_get("order_id").map_err(db)?;
        let stored: RefundState = parse(
            "refund state",
            &row.try_get::<String, _>("state").map_err(db)?,
        )?;
        let amount = Money::from_fen(row.try_get("amount_fen").map_err(db)?);
        if amount != refund.amount {
            return Err(StoreError::Conflict(format!(
                "refund {} is for {amount}, not {}",
                refund.no, refund.amount
            )));
        }
        if stored != expected {
            return Err(StoreError::Conflict(format!(
                "refund {} is {stored} in the ledger, not {expected}: it was updated meanwhile",
                refund.no
            )));
        }
        if stored != refund.state && !stored.can_become(refund.state) {
            return Err(StoreError::Conflict(format!(
                "refund {} is {stored} in the ledger and cannot become {}",
                refund.no, refund.state
            )));
        }
        if stored == RefundState::Failed && refund.state == RefundState::Requested {
            // A retry re-enters the caps: check them against the other refunds.
            let (_, order) = Self::load_order_for_update(&mut tx, &refund.order_no)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("order {}", refund.order_no)))?;
            let others: Vec<Refund> = Self::load_refunds(&mut tx, order_id)
                .await?
                .into_iter()
                .filter(|r| r.no != refund.no)
                .collect();
            check_new_refund(&order, &others, refund.amount)?;
        }
        let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE refunds SET state = ?, refund_id = ?, failure = ?, updated_at = ?, \
             succeeded_at = ? WHERE id = ? RETURNING {REFUND_CHECKED}"
        )))
        .bind(refund.state.as_str())
        .bind(&refund.refund_id)
        .bind(&refund.failure)
        .bind(refund.updated_at.unix_millis())
        .bind(refund.succeeded_at.map(Timestamp::unix_millis))
        .bind(refund_row)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        Checked::Refund.store(&mut tx, &updated).await?;
        crate::outbox::refund_changed_in(&mut tx, refund_row).await?;
        if refund.state == RefundState::Succeeded && stored != RefundState::Succeeded {
            Self::add_refunded(&mut tx, order_id, amount).await?;
            crate::members::refund_to_card_in(
                &mut tx,
                refund.order_no.as_str(),
                refund.no.as_str(),
                amount,
                refund.updated_at,
            )
            .await?;
        }
        tx.commit().await.map_err(db)
    }

    async fn refund(&self, no: &RefundNo) -> Result<Option<Refund>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE out_refund_no = ?"
        )))
        .bind(no.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(refund_from_row).transpose()
    }

    async fn refunds_of(&self, order: &OrderNo) -> Result<Vec<Refund>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE out_trade_no = ? ORDER BY id"
        )))
        .bind(order.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(refund_from_row)
        .collect()
    }

    async fn refunds(&self, filter: &RefundFilter) -> Result<Page<Refund>, StoreError> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM refunds");
        push_refund_filter(&mut count, filter);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {REFUND_COLUMNS} FROM refunds"));
        push_refund_filter(&mut q, filter);
        q.push(" ORDER BY created_at DESC, id DESC");
        push_paging(&mut q, filter.page, filter.page_size);
        let rows = q.build().fetch_all(&self.pool).await.map_err(db)?;
        Ok(Page {
            items: rows.iter().map(refund_from_row).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            page: filter.page,
            page_size: filter.page_size,
        })
    }

    async fn unfinished_refunds(&self) -> Result<Vec<Refund>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE state IN ('requested', 'processing') ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(refund_from_row)
        .collect()
    }

    async fn open_shift(&self, clerk: &ClerkId, at: Timestamp) -> Result<Shift, StoreError> {
        let mut tx = self.begin_write().await?;
        let closed: Vec<i64> = sqlx::query_scalar(
            "UPDATE shifts SET closed_at = ? WHERE closed_at IS NULL RETURNING id",
        )
        .bind(at.unix_millis())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        for id in closed {
            crate::outbox::shift_changed_in(&mut tx, id).await?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO shifts (clerk_id, opened_at) VALUES (?, ?) RETURNING id",
        )
        .bind(clerk.as_str())
        .bind(at.unix_millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        crate::outbox::shift_changed_in(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(Shift {
            id,
            clerk_id: clerk.clone(),
            opened_at: at,
            closed_at: None,
        })
    }

    async fn current_shift(&self) -> Result<Option<Shift>, StoreError> {
        sqlx::query("SELECT id, clerk_id, opened_at, closed_at FROM shifts WHERE closed_at IS NULL ORDER BY id DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .as_ref()
            .map(shift_from_row)
            .transpose()
    }

    async fn close_shift(&self, id: i64, at: Timestamp) -> Result<Shift, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT id, clerk_id, opened_at, closed_at FROM shifts WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(format!("shift {id}")))?;
        let mut shift = shift_from_row(&row)?;
        if shift.closed_at.is_none() {
            sqlx::query("UPDATE shifts SET closed_at = ? WHERE id = ?")
                .bind(at.unix_millis())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            crate::outbox::shift_changed_in(&mut tx, id).await?;
            shift.closed_at = Some(at);
        }
        tx.commit().await.map_err(db)?;
        Ok(shift)
    }

    async fn shift(&self, id: i64) -> Result<Option<Shift>, StoreError> {
        sqlx::query("SELECT id, clerk_id, opened_at, closed_at FROM shifts WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .as_ref()
            .map(shift_from_row)
            .transpose()
    }

    async fn shifts(&self, clerk: Option<&ClerkId>, limit: u32) -> Result<Vec<Shift>, StoreError> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT id, clerk_id, opened_at, closed_at FROM shifts WHERE 1 = 1",
        );
        if let Some(c) = clerk {
            q.push(" AND clerk_id = ").push_bind(c.as_str());
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(limit.max(1)));
        q.build()
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(shift_from_row)
            .collect()
    }
}

impl Store {
    async fn add_refunded(
        tx: &mut sqlx::SqliteConnection,
        order_id: i64,
        amount: Money,
    ) -> Result<(), StoreError> {
        Checked::Order.verify_stored(&mut *tx, order_id).await?;
        let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE orders SET refunded_fen = refunded_fen + ? WHERE id = ? \
             RETURNING {ORDER_CHECKED}"
        )))
        .bind(amount.fen())
        .bind(order_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match db(e) {
            StoreError::Conflict(msg) => StoreError::Conflict(format!(
                "refunded total would exceed the order amount: {msg}"
            )),
            other => other,
        })?;
        Checked::Order.store(&mut *tx, &updated).await?;
        crate::outbox::order_changed_in(tx, order_id).await
    }
}
