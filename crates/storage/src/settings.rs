//! The [`Settings`] port: JSON values under string keys.

use async_trait::async_trait;
use cloudpos_domain::ports::{Settings, StoreError};
use sqlx::Row;

use crate::Store;
use crate::error::{corrupt, db};

pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait]
impl Settings for Store {
    async fn get(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        match row {
            None => Ok(None),
            Some(r) => {
                let text: String = r.try_get("value").map_err(db)?;
                serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|e| corrupt(&format!("setting {key}"), e))
            }
        }
    }

    async fn put(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        let text = serde_json::to_string(value).map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(text)
        .bind(now_millis())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn remove(&self, key: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM settings WHERE key = ?")
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }
}
