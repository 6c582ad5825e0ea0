//! Mapping SQLite failures onto the domain's [`StoreError`].

use cloudpos_domain::ports::StoreError;

// Primary SQLite result codes (the low byte of an extended code).
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_READONLY: i64 = 8;
const SQLITE_IOERR: i64 = 10;
const SQLITE_CORRUPT: i64 = 11;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;
const SQLITE_CONSTRAINT: i64 = 19;
const SQLITE_NOTADB: i64 = 26;

/// Maps a sqlx error to a [`StoreError`] whose message names the problem: a full disk,
/// a corrupt or foreign file, a lock held too long, a constraint.
#[must_use]
pub fn map_sqlx(e: &sqlx::Error) -> StoreError {
    if let Some(db) = e.as_database_error() {
        let code = db.code().and_then(|c| c.parse::<i64>().ok()).unwrap_or(0);
        let msg = db.message().to_owned();
        return match code & 0xff {
            SQLITE_FULL => StoreError::DiskFull(msg),
            SQLITE_CORRUPT | SQLITE_NOTADB => StoreError::Corrupt(msg),
            SQLITE_CONSTRAINT if db.is_unique_violation() => StoreError::Duplicate(msg),
            SQLITE_CONSTRAINT => StoreError::Conflict(msg),
            SQLITE_BUSY | SQLITE_LOCKED => StoreError::Backend(format!(
                "the database is busy (another CloudPOS process holds it): {msg}"
            )),
            SQLITE_READONLY => StoreError::Backend(format!("the database is read-only: {msg}")),
            SQLITE_IOERR => StoreError::Backend(format!("disk I/O error: {msg}")),
            SQLITE_CANTOPEN => StoreError::Backend(format!("cannot open the database file: {msg}")),
            _ => StoreError::Backend(msg),
        };
    }
    match e {
        sqlx::Error::Io(io) if io.raw_os_error() == Some(28) => {
            StoreError::DiskFull(io.to_string())
        }
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::Corrupt(format!("unreadable record: {e}"))
        }
        other => StoreError::Backend(other.to_string()),
    }
}

/// `map_err` helper: `.map_err(db)`.
#[allow(clippy::needless_pass_by_value, reason = "shaped for Result::map_err")]
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    map_sqlx(&e)
}

/// A stored value that does not parse back into its domain type.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {detail}"))
}
