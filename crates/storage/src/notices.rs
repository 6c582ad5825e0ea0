//! The [`NoticeBoard`] port: notices (公告) fetched from the cloud and their read state
//! (migration `0040_notices.sql`).

use async_trait::async_trait;
use cloudpos_domain::Timestamp;
use cloudpos_domain::device_ports::{Notice, NoticeBoard};
use cloudpos_domain::ports::StoreError;
use sqlx::Row;

use crate::Store;
use crate::error::db;

#[async_trait]
impl NoticeBoard for Store {
    async fn save_notices(
        &self,
        notices: &[Notice],
        fetched_at: Timestamp,
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut added = 0;
        for n in notices {
            let done = sqlx::query(
                "INSERT INTO notices (id, title, body, published_at, fetched_at, read_at) \
                 VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&n.id)
            .bind(&n.title)
            .bind(&n.body)
            .bind(n.published_at.unix_millis())
            .bind(fetched_at.unix_millis())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            added += usize::try_from(done.rows_affected()).unwrap_or(0);
        }
        tx.commit().await.map_err(db)?;
        Ok(added)
    }

    async fn notices(&self) -> Result<Vec<Notice>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, title, body, published_at, read_at FROM notices \
             ORDER BY published_at DESC, id DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(Notice {
                    id: r.try_get("id").map_err(db)?,
                    title: r.try_get("title").map_err(db)?,
                    body: r.try_get("body").map_err(db)?,
                    published_at: Timestamp::from_unix_millis(
                        r.try_get("published_at").map_err(db)?,
                    ),
                    read_at: r
                        .try_get::<Option<i64>, _>("read_at")
                        .map_err(db)?
                        .map(Timestamp::from_unix_millis),
                })
            })
            .collect()
    }

    async fn mark_notice_read(&self, id: &str, at: Timestamp) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT 1 FROM notices WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .is_some();
        sqlx::query("UPDATE notices SET read_at = ? WHERE id = ? AND read_at IS NULL")
            .bind(at.unix_millis())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(exists)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PasswordCost, StoreOptions};

    fn notice(id: &str, at: i64) -> Notice {
        Notice {
            id: id.to_owned(),
            title: format!("title {id}"),
            body: "正文".to_owned(),
            published_at: Timestamp::from_unix_seconds(at),
            read_at: None,
        }
    }

    #[tokio::test]
    async fn notices_are_stored_once_newest_first_and_keep_their_read_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            dir.path(),
            StoreOptions {
                password_cost: PasswordCost::TestOnly,
                ..StoreOptions::default()
            },
        )
        .await
        .unwrap();
        let t = Timestamp::from_unix_seconds(1_800_000_000);
        let first = [notice("N1", 100), notice("N2", 200)];
        assert_eq!(store.save_notices(&first, t).await.unwrap(), 2);
        assert!(store.mark_notice_read("N1", t).await.unwrap());
        assert!(!store.mark_notice_read("N9", t).await.unwrap());
        // Fetched again with a new one: only the new one is added; N1 stays read.
        let again = [notice("N1", 100), notice("N2", 200), notice("N3", 300)];
        assert_eq!(store.save_notices(&again, t).await.unwrap(), 1);
        let all = store.notices().await.unwrap();
        let ids: Vec<_> = all.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["N3", "N2", "N1"]);
        assert_eq!(all[2].read_at, Some(t));
        assert!(all[0].unread() && all[1].unread());
    }
}
