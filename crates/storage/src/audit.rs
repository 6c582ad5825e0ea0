//! The [`AuditTrail`] port: an append-only log whose rows form a SHA-256 hash chain.
//!
//! `hash(n) = SHA-256(JSON [seq, at, actor, action, detail, prev_hash])` and
//! `prev_hash(n) = hash(n−1)` (64 zeros for the first row). A changed field breaks that row's
//! hash; a deleted or inserted row breaks the link or the sequence. What a chain alone cannot
//! show is a truncated tail or a chain rewritten from scratch, so each append also seals the
//! head (last seq and hash) under the terminal's master key: rewriting that needs the key,
//! which never enters the database.

use async_trait::async_trait;
use cloudpos_domain::ports::{AuditEntry, AuditRecord, AuditTrail, AuditVerdict, StoreError};
use cloudpos_domain::timestamp::Timestamp;
use ring::digest::{SHA256, digest};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::Store;
use crate::error::db;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HEAD_SECRET: &str = "audit_head";

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Head {
    seq: i64,
    hash: String,
}

/// The chain hash of one record.
#[must_use]
fn chain_hash(seq: i64, entry: &AuditEntry, prev_hash: &str) -> String {
    let canonical = serde_json::json!([
        seq,
        entry.at.unix_millis(),
        entry.actor,
        entry.action,
        entry.detail,
        prev_hash
    ])
    .to_string();
    hex::encode(digest(&SHA256, canonical.as_bytes()))
}

pub(crate) fn record_from_row(row: &SqliteRow) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        seq: row.try_get("seq").map_err(db)?,
        entry: AuditEntry {
            at: Timestamp::from_unix_millis(row.try_get("at").map_err(db)?),
            actor: row.try_get("actor").map_err(db)?,
            action: row.try_get("action").map_err(db)?,
            detail: row.try_get("detail").map_err(db)?,
        },
        prev_hash: row.try_get("prev_hash").map_err(db)?,
        hash: row.try_get("hash").map_err(db)?,
    })
}

impl Store {
    async fn load_head(&self, conn: &mut SqliteConnection) -> Result<Option<Head>, StoreError> {
        match self.load_sealed(conn, HEAD_SECRET).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("audit head: {e}"))),
        }
    }
}

#[async_trait]
impl AuditTrail for Store {
    async fn append(&self, entry: &AuditEntry) -> Result<AuditRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let (seq, prev_hash) = match last {
            Some(r) => (
                r.try_get::<i64, _>("seq").map_err(db)? + 1,
                r.try_get::<String, _>("hash").map_err(db)?,
            ),
            None => (1, GENESIS.to_owned()),
        };
        let hash = chain_hash(seq, entry, &prev_hash);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, detail, prev_hash, hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(seq)
        .bind(entry.at.unix_millis())
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.detail)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let head = serde_json::to_vec(&Head {
            seq,
            hash: hash.clone(),
        })
        .map_err(|e| StoreError::Backend(e.to_string()))?;
        self.store_sealed(&mut tx, HEAD_SECRET, &head).await?;
        let record = AuditRecord {
            seq,
            entry: entry.clone(),
            prev_hash,
            hash,
        };
        crate::outbox::audit_appended_in(&mut tx, &record).await?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn verify(&self) -> Result<AuditVerdict, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let head = match self.load_head(&mut conn).await {
            Ok(h) => h,
            Err(StoreError::Corrupt(reason)) => {
                return Ok(AuditVerdict::Broken {
                    seq: 0,
                    reason: format!("the sealed chain head does not open: {reason}"),
                });
            }
            Err(e) => return Err(e),
        };
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit_log ORDER BY seq",
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1;
        for row in &rows {
            let rec = record_from_row(row)?;
            if rec.seq != expected_seq {
                return Ok(AuditVerdict::Broken {
                    seq: expected_seq,
                    reason: format!(
                        "record {expected_seq} is missing (the next record is {})",
                        rec.seq
                    ),
                });
            }
            if rec.prev_hash != prev {
                return Ok(AuditVerdict::Broken {
                    seq: rec.seq,
                    reason: "does not link to the previous record (prev_hash altered, or a record before it was replaced)".into(),
                });
            }
            if chain_hash(rec.seq, &rec.entry, &rec.prev_hash) != rec.hash {
                return Ok(AuditVerdict::Broken {
                    seq: rec.seq,
                    reason: "its content does not match its hash (a field was altered)".into(),
                });
            }
            prev = rec.hash;
            expected_seq += 1;
        }
        let last_seq = expected_seq - 1;
        match head {
            None if rows.is_empty() => Ok(AuditVerdict::Intact { records: 0 }),
            None => Ok(AuditVerdict::Broken {
                seq: 1,
                reason: "records exist but the sealed chain head is missing".into(),
            }),
            Some(h) if h.seq > last_seq => Ok(AuditVerdict::Broken {
                seq: last_seq + 1,
                reason: format!(
                    "records {}–{} were removed from the end (the sealed head says {})",
                    last_seq + 1,
                    h.seq,
                    h.seq
                ),
            }),
            Some(h) if h.seq < last_seq => Ok(AuditVerdict::Broken {
                seq: h.seq + 1,
                reason: "records after the sealed head were added outside CloudPOS".into(),
            }),
            Some(h) if h.hash != prev => Ok(AuditVerdict::Broken {
                seq: h.seq,
                reason: "the chain was rewritten (its last hash differs from the sealed head)"
                    .into(),
            }),
            Some(_) => Ok(AuditVerdict::Intact {
                records: u64::try_from(last_seq).unwrap_or(0),
            }),
        }
    }

    async fn recent(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        sqlx::query(
            "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit_log \
             ORDER BY seq DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(record_from_row)
        .collect()
    }
}
