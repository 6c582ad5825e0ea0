//! # CloudPOS storage
//!
//! One SQLite file per terminal (`cloudpos.db` in the data directory) behind the domain's
//! storage ports: [`Ledger`](cloudpos_domain::ports::Ledger) with its deposits
//! ([`DepositLedger`](cloudpos_domain::ports::DepositLedger)),
//! [`Catalog`](cloudpos_domain::ports::Catalog), [`Accounts`](cloudpos_domain::ports::Accounts),
//! [`Settings`](cloudpos_domain::ports::Settings),
//! [`SecretVault`](cloudpos_domain::ports::SecretVault) and
//! [`AuditTrail`](cloudpos_domain::ports::AuditTrail), all implemented by [`Store`], and the
//! head office's [`HeadOfficeStore`](cloudpos_domain::hq_ports::HeadOfficeStore): the
//! transactional outbox every ledger write fills in its own transaction, and the managed
//! catalogue (`outbox.rs`).
//!
//! The key decision is durability over speed: WAL with `synchronous=FULL` (a committed intent
//! survives power loss, at the cost of one fsync per commit), and every write transaction
//! begins `IMMEDIATE` so two processes (the CLI and the GUI share the file) serialise at the
//! start of a write instead of failing when a read lock is upgraded. Rules that must hold
//! across processes, such as refund caps, are checked inside that transaction.
//!
//! The SQL is kept portable (integer fen, integer milliseconds, no SQLite functions in
//! queries) so a PostgreSQL backend is another adapter, not a rewrite; only [`Store::open`]
//! and [`Store::begin_write`] are SQLite-specific.

mod accounts;
mod audit;
mod catalog;
mod deposits;
mod error;
mod ledger;
mod master_key;
mod member_hq;
mod members;
mod notices;
mod one_code;
mod outbox;
pub mod row_check;
mod settings;
mod vault;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use cloudpos_domain::ports::StoreError;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

pub use accounts::PasswordCost;
pub use error::map_sqlx as map_sqlx_error;

use crate::error::map_sqlx;
use crate::vault::Sealer;

/// `PRAGMA application_id` of a CloudPOS database ("CPOS").
const APPLICATION_ID: i64 = 0x4350_4F53;

/// Name of the database file inside the data directory.
pub const DATABASE_FILE: &str = "cloudpos.db";

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Password hashing cost (use [`PasswordCost::Interactive`] in production).
    pub password_cost: PasswordCost,
    /// How long a writer waits for another process's write lock.
    pub busy_timeout: Duration,
    /// Run `PRAGMA quick_check` and compare every order's and refund's row check when
    /// opening (reads the whole file; seconds for very large ledgers).
    pub check_on_open: bool,
    /// Largest number of pooled connections.
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            password_cost: PasswordCost::Interactive,
            busy_timeout: Duration::from_secs(10),
            check_on_open: true,
            max_connections: 4,
        }
    }
}

/// The SQLite store: every storage port of the domain.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    dir: PathBuf,
    sealer: Sealer,
    password_cost: PasswordCost,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the store in data directory `dir`: the database file, and
    /// the master key that seals secrets (created on first use; kept by the OS on Windows,
    /// in a 0600 file on other systems). Applies the schema migrations.
    ///
    /// A damaged file, or a SQLite file of another program, is reported as
    /// [`StoreError::Corrupt`] and left untouched.
    pub async fn open(dir: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Backend(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join(DATABASE_FILE);
        let existed = std::fs::metadata(&path).is_ok_and(|m| m.len() > 0);
        let connect = Self::connect_options(&path, options.busy_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .connect_with(connect)
            .await
            .map_err(|e| describe_open_error(&path, &e))?;

        let app_id: i64 = sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(&pool)
            .await
            .map_err(|e| describe_open_error(&path, &e))?;
        if existed && app_id != APPLICATION_ID {
            let tables: i64 =
                sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
                    .fetch_one(&pool)
                    .await
                    .map_err(|e| describe_open_error(&path, &e))?;
            if tables > 0 {
                pool.close().await;
                return Err(StoreError::Corrupt(format!(
                    "{} is a SQLite database of another program (application_id {app_id:#x})",
                    path.display()
                )));
            }
        }
        if options.check_on_open && existed {
            let verdict: String = sqlx::query_scalar("PRAGMA quick_check")
                .fetch_one(&pool)
                .await
                .map_err(|e| describe_open_error(&path, &e))?;
            if verdict != "ok" {
                pool.close().await;
                return Err(StoreError::Corrupt(format!(
                    "{}: {verdict}",
                    path.display()
                )));
            }
        }
        if existed && let Err(e) = Self::check_schema_text(&pool, &path).await {
            pool.close().await;
            return Err(e);
        }
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| match e {
                sqlx::migrate::MigrateError::Execute(inner) => describe_open_error(&path, &inner),
                other => StoreError::Corrupt(format!(
                    "{}: schema migration failed: {other}",
                    path.display()
                )),
            })?;
        row_check::backfill(&pool).await?;
        row_check::backfill_intents(&pool).await?;
        if options.check_on_open
            && existed
            && let Err(e) = row_check::verify_all(&pool).await
        {
            pool.close().await;
            return Err(e);
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA application_id = {APPLICATION_ID}"
        )))
        .execute(&pool)
        .await
        .map_err(|e| map_sqlx(&e))?;
        // Never keeps the till from opening: it is tried again at the next open.
        if let Err(e) = outbox::catch_up_deposits(&pool).await {
            tracing::warn!("could not queue the existing deposits for the head office: {e}");
        }

        let key = master_key::load_or_create(dir)?;
        Ok(Store {
            pool,
            dir: dir.to_owned(),
            sealer: Sealer::new(&key),
            password_cost: options.password_cost,
        })
    }

    /// Refuses a schema whose stored text is not UTF-8 (a flipped byte in `sqlite_master`):
    /// SQLite still opens such a file, but sqlx panics when a statement's column type is not
    /// UTF-8 (found by the disk campaign), which would fail a payment after the cloud took it.
    async fn check_schema_text(pool: &SqlitePool, path: &Path) -> Result<(), StoreError> {
        let texts: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT CAST(sql AS BLOB) FROM sqlite_master WHERE sql IS NOT NULL")
                .fetch_all(pool)
                .await
                .map_err(|e| describe_open_error(path, &e))?;
        if texts.iter().any(|t| std::str::from_utf8(t).is_err()) {
            return Err(StoreError::Corrupt(format!(
                "{}: the database schema is damaged (its table definitions are not readable \
                 text); restore the data directory from a backup",
                path.display()
            )));
        }
        Ok(())
    }

    /// The connection settings every CloudPOS connection uses: WAL, `synchronous=FULL`,
    /// foreign keys, a busy timeout.
    #[must_use]
    pub fn connect_options(path: &Path, busy_timeout: Duration) -> SqliteConnectOptions {
        SqliteConnectOptions::from_str("sqlite://")
            .unwrap_or_else(|_| SqliteConnectOptions::new())
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(busy_timeout)
    }

    /// The data directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The underlying connection pool, for tools, benchmarks and tests.
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Begins a write transaction that takes the database write lock at once
    /// (`BEGIN IMMEDIATE`), so concurrent writers wait (up to the busy timeout) instead of
    /// failing mid-transaction.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| map_sqlx(&e))
    }

    /// Runs SQLite's full integrity check.
    pub async fn integrity_check(&self) -> Result<(), StoreError> {
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_sqlx(&e))?;
        if rows == ["ok"] {
            Ok(())
        } else {
            Err(StoreError::Corrupt(rows.join("; ")))
        }
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn describe_open_error(path: &Path, e: &sqlx::Error) -> StoreError {
    match map_sqlx(e) {
        StoreError::Corrupt(msg) => StoreError::Corrupt(format!("{}: {msg}", path.display())),
        StoreError::Backend(msg) => {
            StoreError::Backend(format!("cannot open {}: {msg}", path.display()))
        }
        other => other,
    }
}
