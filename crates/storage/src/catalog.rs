//! The [`Catalog`] port: commodities.

use async_trait::async_trait;
use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::{Catalog, CommodityQuery, Page, StoreError};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::Store;
use crate::error::db;
use crate::ledger::escape_like;

const COLUMNS: &str = "sku, barcode, name, category, unit, price_fen, stock";

fn commodity_from_row(row: &SqliteRow) -> Result<Commodity, StoreError> {
    Ok(Commodity {
        sku: row.try_get("sku").map_err(db)?,
        barcode: row.try_get("barcode").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        category: row.try_get("category").map_err(db)?,
        unit: row.try_get("unit").map_err(db)?,
        price: Money::from_fen(row.try_get("price_fen").map_err(db)?),
        stock: row.try_get("stock").map_err(db)?,
    })
}

async fn upsert_one(conn: &mut SqliteConnection, c: &Commodity) -> Result<(), StoreError> {
    c.validate()
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    sqlx::query(
        "INSERT INTO commodities (sku, barcode, name, category, unit, price_fen, stock) \
         VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (sku) DO UPDATE SET barcode = excluded.barcode, name = excluded.name, \
         category = excluded.category, unit = excluded.unit, price_fen = excluded.price_fen, \
         stock = excluded.stock",
    )
    .bind(&c.sku)
    .bind(&c.barcode)
    .bind(&c.name)
    .bind(&c.category)
    .bind(&c.unit)
    .bind(c.price.fen())
    .bind(c.stock)
    .execute(&mut *conn)
    .await
    .map_err(|e| match db(e) {
        StoreError::Duplicate(_) => StoreError::Duplicate(format!(
            "barcode {} (commodity {})",
            c.barcode.as_deref().unwrap_or(""),
            c.sku
        )),
        other => other,
    })?;
    Ok(())
}

fn push_filter(q: &mut QueryBuilder<Sqlite>, query: &CommodityQuery) {
    q.push(" WHERE 1 = 1");
    if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(text));
        q.push(" AND (sku LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR barcode LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR name LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR category LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(cat) = query.category.as_deref() {
        q.push(" AND category = ").push_bind(cat);
    }
}

impl Store {
    /// The commodity whose unique `column` (`sku` or `barcode`) equals `value`.
    async fn commodity_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<Commodity>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM commodities WHERE {column} = ?"
        )))
        .bind(value)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(commodity_from_row)
        .transpose()
    }
}

#[async_trait]
impl Catalog for Store {
    async fn upsert(&self, commodity: &Commodity) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        upsert_one(&mut tx, commodity).await?;
        tx.commit().await.map_err(db)
    }

    async fn upsert_many(&self, commodities: &[Commodity]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for c in commodities {
            upsert_one(&mut tx, c).await?;
        }
        tx.commit().await.map_err(db)
    }

    async fn by_sku(&self, sku: &str) -> Result<Option<Commodity>, StoreError> {
        self.commodity_where("sku", sku).await
    }

    async fn by_barcode(&self, barcode: &str) -> Result<Option<Commodity>, StoreError> {
        self.commodity_where("barcode", barcode).await
    }

    async fn delete(&self, sku: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM commodities WHERE sku = ?")
            .bind(sku)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("commodity {sku}")));
        }
        tx.commit().await.map_err(db)
    }

    async fn search(&self, query: &CommodityQuery) -> Result<Page<Commodity>, StoreError> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM commodities");
        push_filter(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM commodities"));
        push_filter(&mut q, query);
        q.push(" ORDER BY sku");
        if query.page_size > 0 {
            q.push(" LIMIT ")
                .push_bind(i64::from(query.page_size))
                .push(" OFFSET ")
                .push_bind(i64::from(query.page) * i64::from(query.page_size));
        }
        let rows = q.build().fetch_all(&self.pool).await.map_err(db)?;
        Ok(Page {
            items: rows
                .iter()
                .map(commodity_from_row)
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            page: query.page,
            page_size: query.page_size,
        })
    }

    async fn adjust_stock(&self, changes: &[(String, i64)]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for (sku, delta) in changes {
            let done = sqlx::query("UPDATE commodities SET stock = stock + ? WHERE sku = ?")
                .bind(delta)
                .bind(sku)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("commodity {sku}")));
            }
        }
        tx.commit().await.map_err(db)
    }
}
