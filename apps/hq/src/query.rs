//! What the owner reads: summaries, order search, the tills' sync state.

use cloudpos_domain::order::{OrderState, OrderStatus};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_hq_protocol::{
    ErrorBody, ErrorCode, OrderView, OrdersPage, SummaryGroup, SummaryResponse, TerminalView,
    TerminalsResponse, Totals,
};
use serde::Deserialize;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use crate::db::{db_error, sql};

/// A 400 answer naming the problem.
pub(crate) fn bad(msg: impl Into<String>) -> ErrorBody {
    ErrorBody::new(ErrorCode::BadRequest, msg)
}

/// Parses an optional `from`/`to` in the till's formats (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]`,
/// `YYYY-MM-DDTHH:MM[:SS]` shop time, or Unix seconds); empty means absent.
pub fn parse_time(
    name: &str,
    text: Option<&str>,
    offset: i32,
) -> Result<Option<Timestamp>, ErrorBody> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Timestamp::parse_local(t, offset)
            .map(Some)
            .map_err(|e| bad(format!("{name}: {e}"))),
    }
}

/// How a summary is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// By the store the till is enrolled for.
    Store,
    /// By till: `store/device`.
    Device,
    /// By clerk: `store/clerk` (clerk ids are a store's own).
    Clerk,
    /// By wallet (or `cash`).
    Wallet,
    /// By day of payment (refund: of success), shop time, `YYYY-MM-DD`.
    Day,
}

impl Grouping {
    /// Parses `store`, `device`, `clerk`, `wallet` or `day`.
    pub fn parse(text: &str) -> Result<Grouping, ErrorBody> {
        Ok(match text {
            "store" => Grouping::Store,
            "device" => Grouping::Device,
            "clerk" => Grouping::Clerk,
            "wallet" => Grouping::Wallet,
            "day" => Grouping::Day,
            other => {
                return Err(bad(format!(
                    "group: \"{other}\" is not one of store, device, clerk, wallet, day"
                )));
            }
        })
    }

    /// The machine name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Grouping::Store => "store",
            Grouping::Device => "device",
            Grouping::Clerk => "clerk",
            Grouping::Wallet => "wallet",
            Grouping::Day => "day",
        }
    }

    fn key_sql(self, time_column: &str, offset_ms: i64) -> String {
        match self {
            Grouping::Store => "store".into(),
            Grouping::Device => "store || '/' || device".into(),
            Grouping::Clerk => "store || '/' || clerk".into(),
            Grouping::Wallet => "wallet".into(),
            Grouping::Day => format!("(div({time_column} + {offset_ms}, 86400000))::text"),
        }
    }
}

/// The summary of `[from, to)` grouped by `group`.
pub async fn summary(
    pool: &PgPool,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    group: Grouping,
    offset: i32,
) -> Result<SummaryResponse, ErrorBody> {
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(bad("from is after to"));
    }
    let lo = from.map_or(i64::MIN, Timestamp::unix_millis);
    let hi = to.map_or(i64::MAX, Timestamp::unix_millis);
    let off = i64::from(offset) * 1000;
    let q = format!(
        "SELECT k, sum(pc)::bigint, sum(pf)::bigint, sum(rf)::bigint FROM ( \
           SELECT {ko} AS k, count(*) AS pc, sum(amount_fen) AS pf, 0::numeric AS rf FROM orders \
           WHERE state = 'paid' AND paid_at >= $1 AND paid_at < $2 GROUP BY 1 \
           UNION ALL \
           SELECT {kr}, 0, 0, sum(amount_fen) FROM refunds \
           WHERE state = 'succeeded' AND succeeded_at >= $1 AND succeeded_at < $2 GROUP BY 1 \
         ) s GROUP BY k ORDER BY k",
        ko = group.key_sql("paid_at", off),
        kr = group.key_sql("succeeded_at", off),
    );
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(lo)
        .bind(hi)
        .fetch_all(pool)
        .await
        .map_err(sql)?;
    let mut total = Totals::default();
    let mut groups = Vec::with_capacity(rows.len());
    for (key, pc, pf, rf) in rows {
        let key = if group == Grouping::Day {
            let day: i64 = key.parse().unwrap_or(0);
            Timestamp::from_unix_millis(day * 86_400_000).format(0)[..10].to_owned()
        } else {
            key
        };
        let t = Totals {
            paid_count: u64::try_from(pc).unwrap_or(0),
            paid_fen: pf,
            refunded_fen: rf,
        };
        total.add(&t);
        groups.push(SummaryGroup {
            key,
            paid_count: t.paid_count,
            paid_fen: t.paid_fen,
            refunded_fen: t.refunded_fen,
        });
    }
    Ok(SummaryResponse {
        groups,
        total,
        group: group.as_str().to_owned(),
        from: from.map(|t| t.rfc3339(offset)),
        to: to.map(|t| t.rfc3339(offset)),
    })
}

/// Filters of the order search (as on the till, plus store and device).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrderQuery {
    /// Created at or after (till time formats).
    pub from: Option<String>,
    /// Created before.
    pub to: Option<String>,
    /// Folded status: paid, failed, reversed, partially_refunded, refunded, unknown.
    pub state: Option<String>,
    /// Clerk id.
    pub clerk: Option<String>,
    /// Wallet (or cash).
    pub wallet: Option<String>,
    /// Store.
    pub store: Option<String>,
    /// Device.
    pub device: Option<String>,
    /// Order number or any part of it.
    pub order_no: Option<String>,
    /// 0-based page.
    pub page: Option<u32>,
    /// Page size (default 50, at most 500).
    pub page_size: Option<u32>,
}

fn status_of(state: &str, amount: i64, refunded: i64) -> OrderStatus {
    match state.parse::<OrderState>() {
        Ok(OrderState::Paid) if refunded > 0 && refunded >= amount => OrderStatus::Refunded,
        Ok(OrderState::Paid) if refunded > 0 => OrderStatus::PartiallyRefunded,
        Ok(OrderState::Paid) => OrderStatus::Paid,
        Ok(OrderState::Failed) => OrderStatus::Failed,
        Ok(OrderState::Reversed) => OrderStatus::Reversed,
        _ => OrderStatus::Unknown,
    }
}

/// A filter's value, trimmed; empty means absent.
pub(crate) fn nonempty(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn push_filters(
    b: &mut QueryBuilder<Postgres>,
    q: &OrderQuery,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<(), ErrorBody> {
    b.push(" WHERE true");
    if let Some(f) = from {
        b.push(" AND created_at >= ").push_bind(f);
    }
    if let Some(t) = to {
        b.push(" AND created_at < ").push_bind(t);
    }
    if let Some(s) = nonempty(q.state.as_ref()) {
        let status: OrderStatus = s.parse().map_err(|_| {
            bad(format!(
                "state: \"{s}\" is not one of paid, failed, reversed, partially_refunded, refunded, unknown"
            ))
        })?;
        b.push(match status {
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
    for (col, v) in [
        ("clerk", &q.clerk),
        ("wallet", &q.wallet),
        ("store", &q.store),
        ("device", &q.device),
    ] {
        if let Some(v) = nonempty(v.as_ref()) {
            b.push(format!(" AND {col} = ")).push_bind(v.to_owned());
        }
    }
    if let Some(no) = nonempty(q.order_no.as_ref()) {
        b.push(" AND out_trade_no LIKE ").push_bind(contains(no));
    }
    Ok(())
}

/// A `LIKE` pattern matching any text that contains `part` (its `\`, `%` and `_` escaped).
pub(crate) fn contains(part: &str) -> String {
    let escaped = part
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of orders matching `q`, newest first.
pub async fn orders(pool: &PgPool, q: &OrderQuery, offset: i32) -> Result<OrdersPage, ErrorBody> {
    let from = parse_time("from", q.from.as_deref(), offset)?.map(Timestamp::unix_millis);
    let to = parse_time("to", q.to.as_deref(), offset)?.map(Timestamp::unix_millis);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(bad("from is after to"));
    }
    let page = q.page.unwrap_or(0);
    let page_size = q.page_size.unwrap_or(50).clamp(1, 500);
    let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM orders");
    push_filters(&mut count, q, from, to)?;
    let (total,): (i64,) = count.build_query_as().fetch_one(pool).await.map_err(sql)?;
    let mut b = QueryBuilder::<Postgres>::new(
        "SELECT terminal_id, store, device, out_trade_no, state, wallet, amount_fen, refunded_fen, \
         created_at, paid_at, transaction_id, remark, clerk FROM orders",
    );
    push_filters(&mut b, q, from, to)?;
    b.push(" ORDER BY created_at DESC, terminal_id, out_trade_no LIMIT ")
        .push_bind(i64::from(page_size))
        .push(" OFFSET ")
        .push_bind(i64::from(page) * i64::from(page_size));
    let rows = b.build().fetch_all(pool).await.map_err(sql)?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let get = |e: sqlx::Error| db_error(&e);
        let state: String = r.try_get("state").map_err(get)?;
        let amount: i64 = r.try_get("amount_fen").map_err(get)?;
        let refunded: i64 = r.try_get("refunded_fen").map_err(get)?;
        let created: i64 = r.try_get("created_at").map_err(get)?;
        let paid: Option<i64> = r.try_get("paid_at").map_err(get)?;
        items.push(OrderView {
            out_trade_no: r.try_get("out_trade_no").map_err(get)?,
            state: status_of(&state, amount, refunded).as_str().to_owned(),
            payment_state: state,
            wallet: r.try_get("wallet").map_err(get)?,
            amount_fen: amount,
            refunded_fen: refunded,
            created_at: Timestamp::from_unix_millis(created).rfc3339(offset),
            paid_at: paid.map(|p| Timestamp::from_unix_millis(p).rfc3339(offset)),
            transaction_id: r.try_get("transaction_id").map_err(get)?,
            remark: r.try_get("remark").map_err(get)?,
            clerk_id: r.try_get("clerk").map_err(get)?,
            store: r.try_get("store").map_err(get)?,
            device: r.try_get("device").map_err(get)?,
            terminal_id: r.try_get("terminal_id").map_err(get)?,
        });
    }
    Ok(OrdersPage {
        items,
        total: u64::try_from(total).unwrap_or(0),
        page,
        page_size,
    })
}

/// Every till's sync state, by store and device.
pub async fn terminals(pool: &PgPool, offset: i32) -> Result<TerminalsResponse, ErrorBody> {
    type Row = (
        i64,
        String,
        String,
        bool,
        Option<i64>,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, store, device, credential_hash IS NOT NULL, \
         (extract(epoch FROM last_contact) * 1000)::bigint, applied_through, backlog, \
         oldest_backlog_at, last_change_at, last_applied_at, last_error \
         FROM terminals ORDER BY store, device",
    )
    .fetch_all(pool)
    .await
    .map_err(sql)?;
    let terminals = rows
        .into_iter()
        .map(
            |(
                id,
                store,
                device,
                enrolled,
                contact,
                through,
                backlog,
                oldest,
                change_at,
                applied_at,
                err,
            )| {
                let lag_ms = match (backlog, oldest, contact) {
                    (b, Some(o), Some(c)) if b > 0 => Some((c - o).max(0)),
                    _ => match (change_at, applied_at) {
                        (Some(c), Some(a)) => Some((a - c).max(0)),
                        _ => None,
                    },
                };
                TerminalView {
                    terminal_id: id,
                    store,
                    device,
                    enrolled,
                    last_contact: contact.map(|c| Timestamp::from_unix_millis(c).rfc3339(offset)),
                    applied_through: through,
                    backlog: u64::try_from(backlog).unwrap_or(0),
                    lag_ms,
                    last_error: err,
                }
            },
        )
        .collect();
    Ok(TerminalsResponse { terminals })
}

/// Paid amount (fen) per hour of `[from, from + 24 h)`.
pub async fn hourly(pool: &PgPool, from: Timestamp) -> Result<[i64; 24], ErrorBody> {
    let lo = from.unix_millis();
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT div(paid_at - $1, 3600000)::bigint, sum(amount_fen)::bigint FROM orders \
         WHERE state = 'paid' AND paid_at >= $1 AND paid_at < $2 GROUP BY 1",
    )
    .bind(lo)
    .bind(lo + 24 * 3_600_000)
    .fetch_all(pool)
    .await
    .map_err(sql)?;
    let mut hours = [0_i64; 24];
    for (h, fen) in rows {
        if let Some(slot) = usize::try_from(h).ok().and_then(|h| hours.get_mut(h)) {
            *slot = fen;
        }
    }
    Ok(hours)
}
