//! Deposits (押金) across the tills: the search the owner's API and page use, and what is
//! held for customers now, per store.
//!
//! A deposit's amounts are the customer's money held by the wallet, never takings: the paid
//! order a consume creates is counted with the orders (`query::summary`).

use cloudpos_domain::timestamp::Timestamp;
use cloudpos_hq_protocol::{DepositView, DepositsHeld, DepositsPage, ErrorBody};
use serde::Deserialize;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use crate::db::{db_error, sql};
use crate::query::{bad, contains, nonempty, parse_time};

/// The states in which a deposit holds the customer's money.
const HELD_STATES: &str = "('frozen', 'consuming', 'unfreezing')";

/// Every state a deposit can be in (the till's `DepositState`).
const STATES: [&str; 9] = [
    "freezing",
    "user_paying",
    "unknown",
    "frozen",
    "failed",
    "consuming",
    "unfreezing",
    "consumed",
    "unfrozen",
];

/// Money still held by a deposit row: frozen less consumed and released, while held.
const HELD_FEN: &str = "CASE WHEN state IN ('frozen', 'consuming', 'unfreezing') \
                        THEN frozen_fen - consumed_fen - released_fen ELSE 0 END";

/// Filters of the deposit search.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DepositQuery {
    /// Created at or after (till time formats).
    pub from: Option<String>,
    /// Created before.
    pub to: Option<String>,
    /// `held` (frozen, consuming or unfreezing), or one state (`frozen`, `consumed`,
    /// `unfrozen`, `failed`, …).
    pub state: Option<String>,
    /// Store.
    pub store: Option<String>,
    /// Device.
    pub device: Option<String>,
    /// Wallet.
    pub wallet: Option<String>,
    /// Deposit number or any part of it.
    pub freeze_no: Option<String>,
    /// 0-based page.
    pub page: Option<u32>,
    /// Page size (default 50, at most 500).
    pub page_size: Option<u32>,
}

fn push_filters(
    b: &mut QueryBuilder<Postgres>,
    q: &DepositQuery,
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
    match nonempty(q.state.as_ref()) {
        None => {}
        Some("held") => {
            b.push(format!(" AND state IN {HELD_STATES}"));
        }
        Some(s) if STATES.contains(&s) => {
            b.push(" AND state = ").push_bind(s.to_owned());
        }
        Some(s) => {
            return Err(bad(format!(
                "state: \"{s}\" is not held or one of {}",
                STATES.join(", ")
            )));
        }
    }
    for (col, v) in [
        ("store", &q.store),
        ("device", &q.device),
        ("wallet", &q.wallet),
    ] {
        if let Some(v) = nonempty(v.as_ref()) {
            b.push(format!(" AND {col} = ")).push_bind(v.to_owned());
        }
    }
    if let Some(no) = nonempty(q.freeze_no.as_ref()) {
        b.push(" AND out_freeze_no LIKE ").push_bind(contains(no));
    }
    Ok(())
}

/// One page of deposits matching `q`, newest first, with what all the matches hold now.
pub async fn deposits(
    pool: &PgPool,
    q: &DepositQuery,
    offset: i32,
) -> Result<DepositsPage, ErrorBody> {
    let from = parse_time("from", q.from.as_deref(), offset)?.map(Timestamp::unix_millis);
    let to = parse_time("to", q.to.as_deref(), offset)?.map(Timestamp::unix_millis);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(bad("from is after to"));
    }
    let page = q.page.unwrap_or(0);
    let page_size = q.page_size.unwrap_or(50).clamp(1, 500);
    let mut count = QueryBuilder::<Postgres>::new(format!(
        "SELECT count(*), count(*) FILTER (WHERE state IN {HELD_STATES}), \
         COALESCE(sum({HELD_FEN}), 0)::bigint FROM deposits"
    ));
    push_filters(&mut count, q, from, to)?;
    let (total, held_count, held_fen): (i64, i64, i64) =
        count.build_query_as().fetch_one(pool).await.map_err(sql)?;
    let mut b = QueryBuilder::<Postgres>::new(format!(
        "SELECT terminal_id, store, device, out_freeze_no, state, wallet, frozen_fen, \
         consumed_fen, released_fen, {HELD_FEN} AS held_fen, consume_no, created_at, frozen_at, \
         finished_at, remark, clerk FROM deposits"
    ));
    push_filters(&mut b, q, from, to)?;
    b.push(" ORDER BY created_at DESC, terminal_id, out_freeze_no LIMIT ")
        .push_bind(i64::from(page_size))
        .push(" OFFSET ")
        .push_bind(i64::from(page) * i64::from(page_size));
    let rows = b.build().fetch_all(pool).await.map_err(sql)?;
    let time = |ms: i64| Timestamp::from_unix_millis(ms).rfc3339(offset);
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let get = |e: sqlx::Error| db_error(&e);
        let created: i64 = r.try_get("created_at").map_err(get)?;
        let frozen: Option<i64> = r.try_get("frozen_at").map_err(get)?;
        let finished: Option<i64> = r.try_get("finished_at").map_err(get)?;
        items.push(DepositView {
            out_freeze_no: r.try_get("out_freeze_no").map_err(get)?,
            state: r.try_get("state").map_err(get)?,
            wallet: r.try_get("wallet").map_err(get)?,
            frozen_fen: r.try_get("frozen_fen").map_err(get)?,
            consumed_fen: r.try_get("consumed_fen").map_err(get)?,
            released_fen: r.try_get("released_fen").map_err(get)?,
            held_fen: r.try_get("held_fen").map_err(get)?,
            consume_no: r.try_get("consume_no").map_err(get)?,
            created_at: time(created),
            frozen_at: frozen.map(time),
            finished_at: finished.map(time),
            remark: r.try_get("remark").map_err(get)?,
            clerk_id: r.try_get("clerk").map_err(get)?,
            store: r.try_get("store").map_err(get)?,
            device: r.try_get("device").map_err(get)?,
            terminal_id: r.try_get("terminal_id").map_err(get)?,
        });
    }
    Ok(DepositsPage {
        items,
        total: u64::try_from(total).unwrap_or(0),
        held: DepositsHeld {
            count: u64::try_from(held_count).unwrap_or(0),
            held_fen,
        },
        page,
        page_size,
    })
}

/// What the deposits hold now, per store (stores holding nothing are left out), by store.
pub async fn held_by_store(pool: &PgPool) -> Result<Vec<(String, DepositsHeld)>, ErrorBody> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT store, count(*), sum(frozen_fen - consumed_fen - released_fen)::bigint \
         FROM deposits WHERE state IN {HELD_STATES} GROUP BY store ORDER BY store"
    )))
    .fetch_all(pool)
    .await
    .map_err(sql)?;
    Ok(rows
        .into_iter()
        .map(|(store, count, held_fen)| {
            (
                store,
                DepositsHeld {
                    count: u64::try_from(count).unwrap_or(0),
                    held_fen,
                },
            )
        })
        .collect())
}
