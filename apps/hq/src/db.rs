//! The PostgreSQL pool, the embedded migrations, and mapping database errors onto the
//! contract's error codes.

use std::time::Duration;

use cloudpos_hq_protocol::{ErrorBody, ErrorCode};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

/// Connects (up to `max_connections`) and runs the embedded migrations.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = url
        .parse()
        .map_err(|e| anyhow::anyhow!("the database URL is not valid: {e}"))?;
    let options = options.disable_statement_logging();
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Runs the embedded migrations (idempotent).
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::migrate!("./migrations")
        .run(pool)
        .await
        .map_err(|e| anyhow::anyhow!("running the head office migrations: {e}"))
}

/// A database failure as the contract's error: unreachable or exhausted is `unavailable`
/// (the till retries later), anything else `internal`.
#[must_use]
pub fn db_error(e: &sqlx::Error) -> ErrorBody {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => ErrorBody::new(
            ErrorCode::Unavailable,
            format!("the database is unavailable: {e}"),
        ),
        _ => {
            tracing::error!("database error: {e}");
            ErrorBody::new(ErrorCode::Internal, format!("database error: {e}"))
        }
    }
}

/// [`db_error`] for `map_err`.
#[allow(clippy::needless_pass_by_value)] // the shape `map_err` wants
pub(crate) fn sql(e: sqlx::Error) -> ErrorBody {
    db_error(&e)
}

/// Now, Unix ms.
#[must_use]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
