//! The [`Accounts`] port: clerks and their argon2id password hashes.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use cloudpos_domain::clerk::{Clerk, ClerkId, LoginRecord};
use cloudpos_domain::ports::{Accounts, ClerkQuery, StoreError};
use cloudpos_domain::timestamp::Timestamp;
use ring::rand::{SecureRandom, SystemRandom};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::Store;
use crate::error::{corrupt, db};
use crate::ledger::escape_like;

/// How expensive password hashing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCost {
    /// Argon2id with 19 MiB of memory and 2 passes (the OWASP recommendation): tens of
    /// milliseconds per login, expensive for anyone guessing offline.
    Interactive,
    /// A cheap setting for tests only (still argon2id).
    TestOnly,
}

impl PasswordCost {
    fn hasher(self) -> Argon2<'static> {
        let params = match self {
            PasswordCost::Interactive => Params::DEFAULT,
            PasswordCost::TestOnly => Params::new(64, 1, 1, None).unwrap_or(Params::DEFAULT),
        };
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// A real hash of a random password, verified against when the clerk does not exist so
/// the answer takes as long as for a real clerk.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
    qVnZJYDS7uB5Yz8a0qvpz8TCm5XFSPSf04LmSgYxCAk";

fn hash_password(cost: PasswordCost, password: &str) -> Result<String, StoreError> {
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| StoreError::Backend("the system random generator failed".into()))?;
    cost.hasher()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Backend(format!("password hashing failed: {e}")))
}

/// Hashes on a blocking thread: argon2id takes tens of milliseconds of CPU on purpose.
async fn hash_in_background(cost: PasswordCost, password: &str) -> Result<String, StoreError> {
    let pw = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(cost, &pw))
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
}

fn verify(hash: &str, password: &str) -> bool {
    // The parameters come from the stored PHC string, so old hashes keep verifying when
    // the configured cost changes.
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

fn clerk_from_row(row: &SqliteRow) -> Result<Clerk, StoreError> {
    let s = |c: &str| row.try_get::<String, _>(c).map_err(db);
    Ok(Clerk {
        id: s("id")?.parse().map_err(|e| corrupt("clerk id", e))?,
        name: s("name")?,
        phone: s("phone")?,
        role: s("role")?.parse().map_err(|e| corrupt("clerk role", e))?,
        can_refund: row.try_get::<i64, _>("can_refund").map_err(db)? != 0,
        cloud_staff_id: row.try_get("cloud_staff_id").map_err(db)?,
        created_at: Timestamp::from_unix_millis(row.try_get("created_at").map_err(db)?),
    })
}

const CLERK_COLUMNS: &str = "id, name, phone, role, can_refund, cloud_staff_id, created_at";

#[async_trait]
impl Accounts for Store {
    async fn create_clerk(&self, clerk: &Clerk, password: &str) -> Result<(), StoreError> {
        let hash = hash_in_background(self.password_cost, password).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO clerks (id, name, phone, role, can_refund, cloud_staff_id, created_at, \
             password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(clerk.id.as_str())
        .bind(&clerk.name)
        .bind(&clerk.phone)
        .bind(clerk.role.as_str())
        .bind(i64::from(clerk.can_refund))
        .bind(&clerk.cloud_staff_id)
        .bind(clerk.created_at.unix_millis())
        .bind(&hash)
        .execute(&mut *tx)
        .await
        .map_err(|e| match db(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("clerk {}", clerk.id)),
            other => other,
        })?;
        tx.commit().await.map_err(db)
    }

    async fn update_clerk(&self, clerk: &Clerk) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE clerks SET name = ?, phone = ?, role = ?, can_refund = ?, cloud_staff_id = ? \
             WHERE id = ?",
        )
        .bind(&clerk.name)
        .bind(&clerk.phone)
        .bind(clerk.role.as_str())
        .bind(i64::from(clerk.can_refund))
        .bind(&clerk.cloud_staff_id)
        .bind(clerk.id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("clerk {}", clerk.id)));
        }
        tx.commit().await.map_err(db)
    }

    async fn delete_clerk(&self, id: &ClerkId) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM clerks WHERE id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("clerk {id}")));
        }
        tx.commit().await.map_err(db)
    }

    async fn clerk(&self, id: &ClerkId) -> Result<Option<Clerk>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CLERK_COLUMNS} FROM clerks WHERE id = ?"
        )))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(clerk_from_row)
        .transpose()
    }

    async fn clerks(&self, query: &ClerkQuery) -> Result<Vec<Clerk>, StoreError> {
        let mut q =
            QueryBuilder::<Sqlite>::new(format!("SELECT {CLERK_COLUMNS} FROM clerks WHERE 1 = 1"));
        if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", escape_like(text));
            q.push(" AND (id LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR name LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR phone LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\')");
        }
        if let Some(role) = query.role {
            q.push(" AND role = ").push_bind(role.as_str());
        }
        q.push(" ORDER BY id");
        q.build()
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(clerk_from_row)
            .collect()
    }

    async fn set_password(&self, id: &ClerkId, password: &str) -> Result<(), StoreError> {
        let hash = hash_in_background(self.password_cost, password).await?;
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE clerks SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
        )
        .bind(&hash)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("clerk {id}")));
        }
        tx.commit().await.map_err(db)
    }

    async fn verify_password(&self, id: &ClerkId, password: &str) -> Result<bool, StoreError> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM clerks WHERE id = ?")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let pw = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify(&hash, &pw))
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(known && ok)
    }

    async fn login_record(&self, id: &ClerkId) -> Result<LoginRecord, StoreError> {
        let row = sqlx::query("SELECT failed_logins, locked_until FROM clerks WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        match row {
            None => Ok(LoginRecord::default()),
            Some(r) => Ok(LoginRecord {
                failures: u32::try_from(r.try_get::<i64, _>("failed_logins").map_err(db)?)
                    .unwrap_or(u32::MAX),
                locked_until: r
                    .try_get::<Option<i64>, _>("locked_until")
                    .map_err(db)?
                    .map(Timestamp::from_unix_millis),
            }),
        }
    }

    async fn save_login_record(
        &self,
        id: &ClerkId,
        record: &LoginRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE clerks SET failed_logins = ?, locked_until = ? WHERE id = ?")
            .bind(i64::from(record.failures))
            .bind(record.locked_until.map(Timestamp::unix_millis))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_salted() {
        let a = hash_password(PasswordCost::Interactive, "secret").unwrap();
        let b = hash_password(PasswordCost::Interactive, "secret").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(verify(&a, "secret"));
        assert!(!verify(&a, "Secret"));
        assert!(!verify("not a hash", "secret"));
    }

    #[test]
    fn dummy_hash_is_a_valid_hash_that_matches_nothing_common() {
        assert!(argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify(DUMMY_HASH, ""));
        assert!(!verify(DUMMY_HASH, "123456"));
    }
}
