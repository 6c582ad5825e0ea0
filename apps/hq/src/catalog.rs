//! The catalogue at the head office: the owner's writes, each given the next version, and
//! the change stream the tills read.
//!
//! Catalogue writes take one advisory lock for their transaction, so versions are committed
//! in the order they were taken: a till that read up to version N can never later find a
//! change with a smaller version appear.

use cloudpos_hq_protocol::{
    CatalogChanges, CommodityChange, CommodityInput, ErrorBody, ErrorCode, MAX_CATALOG_PAGE,
    PROTOCOL_VERSION,
};
use sqlx::PgPool;

use crate::db::sql;

/// The advisory-lock key of catalogue writes.
const CATALOG_LOCK: i64 = 0x4851_4341_5441_4c47; // "HQCATALG"

type Row = (
    i64,
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
    bool,
);

fn change(
    (version, sku, barcode, name, category, unit, price_fen, deleted): Row,
) -> CommodityChange {
    CommodityChange {
        version,
        sku,
        barcode,
        name,
        category,
        unit,
        price_fen,
        deleted,
    }
}

const COLUMNS: &str = "version, sku, barcode, name, category, unit, price_fen, deleted";

/// Creates or updates a commodity; returns the change (with its version).
pub async fn put(
    pool: &PgPool,
    sku: &str,
    input: &CommodityInput,
) -> Result<CommodityChange, ErrorBody> {
    input
        .validate(sku)
        .map_err(|e| ErrorBody::new(ErrorCode::BadRequest, e.problem))?;
    let mut tx = pool.begin().await.map_err(sql)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(CATALOG_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(sql)?;
    if let Some(barcode) = &input.barcode {
        let other: Option<(String,)> = sqlx::query_as(
            "SELECT sku FROM commodities WHERE barcode = $1 AND NOT deleted AND sku <> $2",
        )
        .bind(barcode)
        .bind(sku)
        .fetch_optional(&mut *tx)
        .await
        .map_err(sql)?;
        if let Some((other,)) = other {
            return Err(ErrorBody::new(
                ErrorCode::BadRequest,
                format!("barcode {barcode} already belongs to commodity {other}"),
            ));
        }
    }
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO commodities (sku, barcode, name, category, unit, price_fen, deleted, version) \
         VALUES ($1, $2, $3, $4, $5, $6, false, nextval('catalog_version')) \
         ON CONFLICT (sku) DO UPDATE SET barcode = EXCLUDED.barcode, name = EXCLUDED.name, \
         category = EXCLUDED.category, unit = EXCLUDED.unit, price_fen = EXCLUDED.price_fen, \
         deleted = false, version = EXCLUDED.version, updated_at = now() \
         RETURNING {COLUMNS}"
    )))
    .bind(sku)
    .bind(&input.barcode)
    .bind(&input.name)
    .bind(&input.category)
    .bind(&input.unit)
    .bind(input.price_fen)
    .fetch_one(&mut *tx)
    .await
    .map_err(sql)?;
    tx.commit().await.map_err(sql)?;
    Ok(change(row))
}

/// Deletes a commodity (a tombstone with a new version, so tills remove it too).
pub async fn delete(pool: &PgPool, sku: &str) -> Result<CommodityChange, ErrorBody> {
    let mut tx = pool.begin().await.map_err(sql)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(CATALOG_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(sql)?;
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE commodities SET deleted = true, version = nextval('catalog_version'), \
         updated_at = now() WHERE sku = $1 AND NOT deleted RETURNING {COLUMNS}"
    )))
    .bind(sku)
    .fetch_optional(&mut *tx)
    .await
    .map_err(sql)?;
    let Some(row) = row else {
        return Err(ErrorBody::new(
            ErrorCode::NotFound,
            format!("commodity {sku} is not in the catalogue"),
        ));
    };
    tx.commit().await.map_err(sql)?;
    Ok(change(row))
}

/// The live commodities (for the owner), by SKU.
pub async fn list(pool: &PgPool) -> Result<Vec<CommodityChange>, ErrorBody> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM commodities WHERE NOT deleted ORDER BY sku"
    )))
    .fetch_all(pool)
    .await
    .map_err(sql)?;
    Ok(rows.into_iter().map(change).collect())
}

/// Changes after `since_version`, ascending, at most `limit` (capped).
pub async fn changes_since(
    pool: &PgPool,
    since_version: i64,
    limit: u32,
) -> Result<CatalogChanges, ErrorBody> {
    let limit = limit.clamp(1, MAX_CATALOG_PAGE);
    let mut rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM commodities WHERE version > $1 ORDER BY version LIMIT $2"
    )))
    .bind(since_version)
    .bind(i64::from(limit) + 1)
    .fetch_all(pool)
    .await
    .map_err(sql)?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let (latest,): (i64,) = sqlx::query_as("SELECT COALESCE(max(version), 0) FROM commodities")
        .fetch_one(pool)
        .await
        .map_err(sql)?;
    Ok(CatalogChanges {
        v: PROTOCOL_VERSION,
        changes: rows.into_iter().map(change).collect(),
        latest_version: latest,
        more,
    })
}
