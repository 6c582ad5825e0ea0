//! The [`SecretVault`] port: secrets sealed with AES-256-GCM under the master key.
//!
//! Each secret gets a fresh random 96-bit nonce; its name is the associated data, so a
//! sealed value moved to another name does not open.

use std::sync::Arc;

use async_trait::async_trait;
use cloudpos_domain::ports::{SecretVault, StoreError};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sqlx::{Row, SqliteConnection};
use zeroize::Zeroizing;

use crate::Store;
use crate::error::db;
use crate::master_key::KEY_LEN;
use crate::settings::now_millis as clock_millis;

/// Seals and opens byte strings with the master key.
#[derive(Clone)]
pub(crate) struct Sealer {
    key: Arc<LessSafeKey>,
}

impl Sealer {
    pub(crate) fn new(master: &Zeroizing<[u8; KEY_LEN]>) -> Sealer {
        let unbound = UnboundKey::new(&AES_256_GCM, master.as_ref())
            .unwrap_or_else(|_| unreachable!("a 32-byte key is valid for AES-256-GCM"));
        Sealer {
            key: Arc::new(LessSafeKey::new(unbound)),
        }
    }

    /// Returns (nonce, ciphertext with tag).
    pub(crate) fn seal(&self, name: &str, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| StoreError::Backend("the system random generator failed".into()))?;
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(name.as_bytes()),
                &mut buf,
            )
            .map_err(|_| StoreError::Backend("sealing failed".into()))?;
        Ok((nonce.to_vec(), buf))
    }

    pub(crate) fn open(
        &self,
        name: &str,
        nonce: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| StoreError::Corrupt(format!("secret {name}: bad nonce")))?;
        let mut buf = Zeroizing::new(sealed.to_vec());
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(name.as_bytes()), buf.as_mut_slice())
            .map_err(|_| {
                StoreError::Corrupt(format!(
                    "secret {name} does not open with this terminal's master key (altered, or the key was replaced)"
                ))
            })?
            .len();
        buf.truncate(plain_len);
        Ok(buf)
    }
}

impl Store {
    pub(crate) async fn store_sealed(
        &self,
        conn: &mut SqliteConnection,
        name: &str,
        secret: &[u8],
    ) -> Result<(), StoreError> {
        let (nonce, sealed) = self.sealer.seal(name, secret)?;
        sqlx::query(
            "INSERT INTO secrets (name, nonce, ciphertext, updated_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce, \
             ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(nonce)
        .bind(sealed)
        .bind(clock_millis())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn load_sealed(
        &self,
        conn: &mut SqliteConnection,
        name: &str,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let row = sqlx::query("SELECT nonce, ciphertext FROM secrets WHERE name = ?")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        match row {
            None => Ok(None),
            Some(r) => {
                let nonce: Vec<u8> = r.try_get("nonce").map_err(db)?;
                let sealed: Vec<u8> = r.try_get("ciphertext").map_err(db)?;
                self.sealer.open(name, &nonce, &sealed).map(Some)
            }
        }
    }
}

#[async_trait]
impl SecretVault for Store {
    async fn store(&self, name: &str, secret: &[u8]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        self.store_sealed(&mut tx, name, secret).await?;
        tx.commit().await.map_err(db)
    }

    async fn load(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        Ok(self.load_sealed(&mut conn, name).await?.map(|z| z.to_vec()))
    }

    async fn delete(&self, name: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM secrets WHERE name = ?")
            .bind(name)
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
    fn seal_open_round_trip_and_binding_to_name() {
        let s = Sealer::new(&Zeroizing::new([7u8; KEY_LEN]));
        let (nonce, sealed) = s.seal("authen_key", b"top secret").unwrap();
        assert!(!sealed.windows(10).any(|w| w == b"top secret"));
        assert_eq!(
            s.open("authen_key", &nonce, &sealed).unwrap().as_slice(),
            b"top secret"
        );
        assert!(s.open("other_name", &nonce, &sealed).is_err());
        let mut tampered = sealed.clone();
        tampered[0] ^= 1;
        assert!(s.open("authen_key", &nonce, &tampered).is_err());
        let other = Sealer::new(&Zeroizing::new([8u8; KEY_LEN]));
        assert!(other.open("authen_key", &nonce, &sealed).is_err());
    }
}
