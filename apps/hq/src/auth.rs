//! Credentials: tills' enrolment tokens and credentials (random, only their SHA-256 kept),
//! owners' passwords (argon2id) and owners' sessions.

use std::time::Duration;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use cloudpos_hq_protocol::{EnrolRequest, EnrolResponse, ErrorBody, ErrorCode, PROTOCOL_VERSION};
use ring::rand::{SecureRandom, SystemRandom};
use sqlx::{PgPool, Row};
use zeroize::Zeroizing;

use crate::db::db_error;

/// How long an owner's session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// A fresh random token: `prefix` and 32 random bytes, base64url.
pub fn random_token(prefix: &str) -> anyhow::Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    SystemRandom::new()
        .fill(bytes.as_mut())
        .map_err(|_| anyhow::anyhow!("the system random generator failed"))?;
    Ok(Zeroizing::new(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref())
    )))
}

/// SHA-256 of a token: what the database keeps. Tokens carry 256 random bits, so a fast
/// hash is enough (nothing to guess offline), and it makes the lookup an index probe.
#[must_use]
pub fn token_hash(token: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec()
}

/// Creates (or renews) the enrolment of `store`/`device` and returns its one-time token,
/// valid for `valid`. Enrolling an existing till again keeps its identity and stream.
pub async fn create_enrolment(
    pool: &PgPool,
    store: &str,
    device: &str,
    valid: Duration,
) -> anyhow::Result<Zeroizing<String>> {
    for (what, v) in [("store", store), ("device", device)] {
        if v.trim().is_empty() || v.len() > 64 || v.chars().any(char::is_control) {
            anyhow::bail!("the {what} name must be 1–64 characters without control characters");
        }
    }
    let token = random_token("hqe_")?;
    let secs = i64::try_from(valid.as_secs()).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO terminals (store, device, enrol_token_hash, enrol_expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(secs => $4::bigint)) \
         ON CONFLICT (store, device) DO UPDATE SET enrol_token_hash = EXCLUDED.enrol_token_hash, \
         enrol_expires_at = EXCLUDED.enrol_expires_at",
    )
    .bind(store)
    .bind(device)
    .bind(token_hash(&token))
    .bind(secs)
    .execute(pool)
    .await?;
    Ok(token)
}

/// Exchanges a token for a credential, once.
pub async fn exchange(pool: &PgPool, req: &EnrolRequest) -> Result<EnrolResponse, ErrorBody> {
    cloudpos_hq_protocol::check_version(req.v)?;
    let credential =
        random_token("hqt_").map_err(|e| ErrorBody::new(ErrorCode::Internal, e.to_string()))?;
    let row = sqlx::query(
        "UPDATE terminals SET credential_hash = $2, enrol_token_hash = NULL, \
         enrol_expires_at = NULL, enrolled_at = now(), last_error = NULL \
         WHERE enrol_token_hash = $1 AND enrol_expires_at > now() \
         RETURNING id, store, device, applied_through, \
         (SELECT COALESCE(max(version), 0) FROM commodities) AS catalog_version",
    )
    .bind(token_hash(&req.token))
    .bind(token_hash(&credential))
    .fetch_optional(pool)
    .await
    .map_err(|e| db_error(&e))?;
    let Some(row) = row else {
        return Err(ErrorBody::new(
            ErrorCode::EnrolmentInvalid,
            "the enrolment token is unknown, already used or expired; run `cloudpos-hq enrol` for a new one",
        ));
    };
    let get = |e: sqlx::Error| db_error(&e);
    Ok(EnrolResponse {
        v: PROTOCOL_VERSION,
        terminal_id: row.try_get("id").map_err(get)?,
        store: row.try_get("store").map_err(get)?,
        device: row.try_get("device").map_err(get)?,
        credential: credential.to_string(),
        applied_through: row.try_get("applied_through").map_err(get)?,
        catalog_version: row.try_get("catalog_version").map_err(get)?,
    })
}

/// The till a bearer credential belongs to: `(id, store, device)`.
pub async fn terminal_of(
    pool: &PgPool,
    credential: &str,
) -> Result<Option<(i64, String, String)>, ErrorBody> {
    sqlx::query_as("SELECT id, store, device FROM terminals WHERE credential_hash = $1")
        .bind(token_hash(credential))
        .fetch_optional(pool)
        .await
        .map_err(|e| db_error(&e))
}

/// How expensive owner password hashing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCost {
    /// Argon2id, 19 MiB, 2 passes (OWASP), as the till's clerks.
    Interactive,
    /// A cheap setting for tests only (still argon2id).
    TestOnly,
}

fn hasher(cost: PasswordCost) -> Argon2<'static> {
    let params = match cost {
        PasswordCost::Interactive => Params::DEFAULT,
        PasswordCost::TestOnly => Params::new(64, 1, 1, None).unwrap_or(Params::DEFAULT),
    };
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Adds an owner account (or replaces its password).
pub async fn add_owner(
    pool: &PgPool,
    name: &str,
    password: &str,
    cost: PasswordCost,
) -> anyhow::Result<()> {
    if name.trim().is_empty() || name.len() > 64 || name.contains(':') {
        anyhow::bail!("the user name must be 1–64 characters without ':'");
    }
    if password.chars().count() < 8 {
        anyhow::bail!("the password must have at least 8 characters");
    }
    let pw = Zeroizing::new(password.to_owned());
    let hash = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        let mut salt = [0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| anyhow::anyhow!("the system random generator failed"))?;
        hasher(cost)
            .hash_password_with_salt(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
    })
    .await??;
    sqlx::query(
        "INSERT INTO owners (name, password_hash) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET password_hash = EXCLUDED.password_hash",
    )
    .bind(name)
    .bind(hash)
    .execute(pool)
    .await?;
    Ok(())
}

/// A real argon2id hash of a random password, verified against for unknown names so the
/// answer takes as long as for a real owner.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
    qVnZJYDS7uB5Yz8a0qvpz8TCm5XFSPSf04LmSgYxCAk";

/// Checks an owner's password; the owner's id when right.
pub async fn verify_owner(
    pool: &PgPool,
    name: &str,
    password: &str,
) -> Result<Option<i64>, ErrorBody> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, password_hash FROM owners WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await
            .map_err(|e| db_error(&e))?;
    let (id, hash) = row.map_or((None, DUMMY_HASH.to_owned()), |(id, h)| (Some(id), h));
    let pw = Zeroizing::new(password.to_owned());
    let ok = tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(pw.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false);
    Ok(if ok { id } else { None })
}

/// Opens a session for an owner: the token (shown once) and its lifetime.
pub async fn new_session(pool: &PgPool, owner: i64) -> Result<Zeroizing<String>, ErrorBody> {
    let token =
        random_token("hqs_").map_err(|e| ErrorBody::new(ErrorCode::Internal, e.to_string()))?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, owner_id, expires_at) \
         VALUES ($1, $2, now() + make_interval(secs => $3::bigint))",
    )
    .bind(token_hash(&token))
    .bind(owner)
    .bind(i64::try_from(SESSION_TTL.as_secs()).unwrap_or(43_200))
    .execute(pool)
    .await
    .map_err(|e| db_error(&e))?;
    Ok(token)
}

/// Whether a session token is live.
pub async fn session_valid(pool: &PgPool, token: &str) -> Result<bool, ErrorBody> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT owner_id FROM sessions WHERE token_hash = $1 AND expires_at > now()",
    )
    .bind(token_hash(token))
    .fetch_optional(pool)
    .await
    .map_err(|e| db_error(&e))?;
    Ok(row.is_some())
}

/// Ends a session.
pub async fn end_session(pool: &PgPool, token: &str) -> Result<(), ErrorBody> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at < now()")
        .bind(token_hash(token))
        .execute(pool)
        .await
        .map_err(|e| db_error(&e))?;
    Ok(())
}
