//! Crashes, corruption, full disks and secrets at rest, on real files.
#![allow(missing_docs)]

mod common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::order_no::RefundNo;
use cloudpos_domain::ports::{
    AuditEntry, AuditTrail, AuditVerdict, Ledger, OrderFilter, SecretVault, StoreError,
};
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_storage::row_check::order_check;
use cloudpos_storage::{DATABASE_FILE, Store};
use common::{open, open_unchecked, options, order, paid, t};

const CHILD_ENV: &str = "CLOUDPOS_STORAGE_CRASH_CHILD";
const BATCH: i64 = 40;

/// Entry point of the child process killed by `killed_mid_transaction_leaves_a_consistent_database`.
/// It commits batches of orders forever, each batch in one transaction with a pause in the
/// middle, and records each committed batch in a progress file after the commit.
#[test]
#[ignore = "child process entry for the crash test; runs only when spawned by it"]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let dir = Path::new(&dir);
        let store = Store::open(dir, options()).await.unwrap();
        let progress = dir.join("progress");
        let mut batch: i64 = std::fs::read_to_string(&progress)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        std::fs::write(dir.join("ready"), b"1").unwrap();
        loop {
            let mut tx = store.begin_write().await.unwrap();
            for i in 0..BATCH {
                let n = batch * BATCH + i;
                sqlx::query(
                    "INSERT INTO orders (store_id, device_id, out_trade_no, method, amount_fen, state, \
                     clerk_id, body, remark, created_at, updated_at, row_check) \
                     VALUES ('s', 'd', ?, 'wechat', ?, 'paid', '01', 'b', '', 0, 0, ?)",
                )
                .bind(format!("C{n:020}"))
                .bind(n + 1)
                .bind(order_check(&format!("C{n:020}"), "wechat", "paid", n + 1, 0))
                .execute(&mut *tx)
                .await
                .unwrap();
                if i == BATCH / 2 {
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
            }
            tx.commit().await.unwrap();
            batch += 1;
            // Atomic replace, so a kill never leaves a truncated progress file.
            let tmp = dir.join("progress.tmp");
            std::fs::write(&tmp, batch.to_string()).unwrap();
            std::fs::rename(&tmp, &progress).unwrap();
        }
    });
}

/// SIGKILL a writer at random moments (mostly inside a transaction): every reopen finds an
/// intact database holding whole batches only, and no committed batch is lost.
#[tokio::test]
async fn killed_mid_transaction_leaves_a_consistent_database() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut seed: u64 = 0x5eed_1234;
    for round in 0..12 {
        let _ = std::fs::remove_file(dir.path().join("ready"));
        let mut child = Command::new(&exe)
            .args([
                "crash_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while !dir.path().join("ready").exists() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "child never got ready"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        tokio::time::sleep(Duration::from_millis(20 + (seed >> 33) % 150)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let committed: i64 = std::fs::read_to_string(dir.path().join("progress"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let store = open(dir.path()).await;
        store.integrity_check().await.unwrap();
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(
            count % BATCH,
            0,
            "round {round}: a partial batch survived ({count} rows)"
        );
        // The progress file is written after the commit, so the database may be one batch
        // ahead of it, never behind.
        assert!(
            count / BATCH == committed || count / BATCH == committed + 1,
            "round {round}: {count} rows but {committed} batches committed"
        );
        // Keep the progress file in step for the next child.
        std::fs::write(dir.path().join("progress"), (count / BATCH).to_string()).unwrap();
        store.close().await;
    }
}

#[tokio::test]
async fn a_corrupted_file_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path()).await;
        for i in 0..200 {
            store
                .insert_order(&paid(&format!("P{i:020}"), 100, i))
                .await
                .unwrap();
        }
        store.close().await;
    }
    let path = dir.path().join(DATABASE_FILE);
    // Overwrite a stretch of pages in the middle of the file with garbage.
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let len = f.metadata().unwrap().len();
    f.seek(SeekFrom::Start(len / 2)).unwrap();
    f.write_all(&vec![0xA5; 8192]).unwrap();
    drop(f);
    let err = Store::open(dir.path(), options()).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("corrupt"), "{err}");

    // A file that is not SQLite at all.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(
        other.path().join(DATABASE_FILE),
        b"this is not a database, just text",
    )
    .unwrap();
    let err = Store::open(other.path(), options()).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
}

#[tokio::test]
async fn another_programs_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DATABASE_FILE);
    {
        let pool =
            sqlx::SqlitePool::connect_with(Store::connect_options(&path, Duration::from_secs(1)))
                .await
                .unwrap();
        sqlx::query("CREATE TABLE invoices (id INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let err = Store::open(dir.path(), options()).await.unwrap_err();
    assert!(err.to_string().contains("another program"), "{err}");
}

fn file_contains(path: &Path, needle: &[u8]) -> bool {
    let mut bytes = Vec::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        f.read_to_end(&mut bytes).unwrap();
    }
    bytes.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn secrets_never_reach_the_disk_in_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let secret = b"AUTHEN-KEY-0123456789-plaintext-marker";
    let store = open(dir.path()).await;
    store.store("authen_key", secret).await.unwrap();
    store.store("authen_key", secret).await.unwrap(); // re-sealed with a new nonce
    assert_eq!(
        store.load("authen_key").await.unwrap().as_deref(),
        Some(&secret[..])
    );
    // While open (WAL holds the latest pages) and after a checkpoint.
    for name in [DATABASE_FILE, "cloudpos.db-wal", "cloudpos.db-shm"] {
        assert!(
            !file_contains(&dir.path().join(name), secret),
            "{name} holds the secret"
        );
    }
    store.close().await;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        assert!(
            !file_contains(&p, secret),
            "{} holds the secret",
            p.display()
        );
    }
    // The master key file is private to the user.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Without the master key the secret cannot be opened, and the error says so.
    std::fs::remove_file(dir.path().join("master.key")).unwrap();
    let store = open(dir.path()).await;
    let err = store.load("authen_key").await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
}

#[tokio::test]
async fn a_full_disk_refuses_the_write_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store
        .insert_order(&paid("P00000000000000000001", 100, 1))
        .await
        .unwrap();
    // Cap the file at its current size (in pages) on every connection: the next growth fails
    // exactly as a full disk does (SQLITE_FULL).
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let mut conns = Vec::new();
    for _ in 0..4 {
        let mut c = store.pool().acquire().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA max_page_count = {pages}"
        )))
        .execute(&mut *c)
        .await
        .unwrap();
        conns.push(c);
    }
    drop(conns);
    let mut failure = None;
    for i in 2..5000 {
        let mut o = paid(&format!("P{i:020}"), 100, i);
        o.body = "x".repeat(2000);
        if let Err(e) = store.insert_order(&o).await {
            failure = Some(e);
            break;
        }
    }
    let err = failure.expect("the capped database filled up");
    assert!(matches!(err, StoreError::DiskFull(_)), "{err}");
    assert!(err.to_string().contains("disk is full"), "{err}");
    assert!(
        store
            .order(&"P00000000000000000001".parse().unwrap())
            .await
            .unwrap()
            .is_some()
    );
    store.integrity_check().await.unwrap();
}

#[tokio::test]
async fn audit_tampering_is_pinpointed() {
    async fn fresh(n: i64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path()).await;
        for i in 1..=n {
            store
                .append(&AuditEntry {
                    at: t(i),
                    actor: "01".into(),
                    action: "refund".into(),
                    detail: format!("{{\"order\":\"P{i}\",\"amount_fen\":{}}}", i * 100),
                })
                .await
                .unwrap();
        }
        (dir, store)
    }
    async fn sql(store: &Store, statement: &str) {
        for s in [
            "DROP TRIGGER IF EXISTS audit_log_no_update",
            "DROP TRIGGER IF EXISTS audit_log_no_delete",
            statement,
        ] {
            sqlx::query(sqlx::AssertSqlSafe(s.to_owned()))
                .execute(store.pool())
                .await
                .unwrap();
        }
    }

    let (_d, store) = fresh(10).await;
    assert_eq!(
        store.verify().await.unwrap(),
        AuditVerdict::Intact { records: 10 }
    );
    // The triggers stop the application (or a careless tool) from editing the log.
    assert!(
        sqlx::query("UPDATE audit_log SET actor = 'x' WHERE seq = 3")
            .execute(store.pool())
            .await
            .is_err()
    );

    for seq in 1..=10 {
        for (column, value) in [
            ("actor", "'99'"),
            ("detail", "'{}'"),
            ("at", "0"),
            ("action", "'void'"),
        ] {
            let (_d, store) = fresh(10).await;
            sql(
                &store,
                &format!("UPDATE audit_log SET {column} = {value} WHERE seq = {seq}"),
            )
            .await;
            match store.verify().await.unwrap() {
                AuditVerdict::Broken { seq: bad, .. } => assert_eq!(bad, seq, "{column} of {seq}"),
                v => panic!("{column} of {seq} not detected: {v:?}"),
            }
        }
    }

    let (_d, store) = fresh(10).await;
    sql(&store, "DELETE FROM audit_log WHERE seq = 4").await;
    assert!(matches!(
        store.verify().await.unwrap(),
        AuditVerdict::Broken { seq: 4, .. }
    ));

    let (_d, store) = fresh(10).await;
    sql(&store, "DELETE FROM audit_log WHERE seq >= 8").await;
    let v = store.verify().await.unwrap();
    assert!(matches!(v, AuditVerdict::Broken { seq: 8, .. }), "{v:?}");

    // Rewriting a row *and* recomputing every later hash still fails: the sealed head differs.
    let (_d, store) = fresh(3).await;
    let rows: Vec<(i64, i64, String, String, String)> =
        sqlx::query_as("SELECT seq, at, actor, action, detail FROM audit_log ORDER BY seq")
            .fetch_all(store.pool())
            .await
            .unwrap();
    sql(&store, "DELETE FROM audit_log").await;
    let mut prev = "0".repeat(64);
    for (seq, at, actor, action, detail) in rows {
        let actor = if seq == 2 {
            "mallory".to_owned()
        } else {
            actor
        };
        let canonical = serde_json::json!([seq, at, actor, action, detail, prev]).to_string();
        let hash = hex::encode(ring::digest::digest(
            &ring::digest::SHA256,
            canonical.as_bytes(),
        ));
        sqlx::query("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(seq)
            .bind(at)
            .bind(actor)
            .bind(action)
            .bind(detail)
            .bind(&prev)
            .bind(&hash)
            .execute(store.pool())
            .await
            .unwrap();
        prev = hash;
    }
    assert!(matches!(
        store.verify().await.unwrap(),
        AuditVerdict::Broken { .. }
    ));
}

/// A changed amount, state or refunded total inside an order row (what a flipped byte on
/// disk does) is refused at open, naming the order, and on read when the open check is off.
#[tokio::test]
async fn a_changed_order_row_is_refused_not_traded_over() {
    for (column, value) in [
        ("amount_fen", "amount_fen + 1"),
        ("refunded_fen", "100"),
        ("state", "'failed'"),
        ("out_trade_no", "'P0000000000000000009'"),
        ("row_check", "NULL"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path()).await;
        store
            .insert_order(&paid("P0000000000000000001", 500, 1))
            .await
            .unwrap();
        store
            .insert_order(&paid("P0000000000000000002", 700, 2))
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE orders SET {column} = {value} WHERE out_trade_no = 'P0000000000000000002'"
        )))
        .execute(store.pool())
        .await
        .unwrap();
        store.pool().close().await;
        drop(store);

        let Err(err) = Store::open(dir.path(), options()).await else {
            panic!("{column}: the damaged ledger opened");
        };
        assert!(matches!(err, StoreError::Corrupt(_)), "{column}: {err:?}");
        assert!(
            err.to_string().contains("does not match its check"),
            "{column}: {err}"
        );

        let unchecked = open_unchecked(dir.path()).await;
        let listed = unchecked.orders(&OrderFilter::default()).await;
        assert!(
            matches!(listed, Err(StoreError::Corrupt(_))),
            "{column}: reading the damaged row must fail, got {listed:?}"
        );
        // The undamaged order still reads.
        unchecked
            .order(&"P0000000000000000001".parse().unwrap())
            .await
            .unwrap()
            .unwrap();
    }
}

/// Every write keeps the check current: updates, refunds and the refunded total.
#[tokio::test]
async fn writes_through_the_ledger_keep_their_checks() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut o = order("P0000000000000000003", 900, 1);
    store.insert_order(&o).await.unwrap();
    let before = o.state;
    o.mark_paid(Some("tx3".into()), t(2), t(2)).unwrap();
    store.update_order(&o, before).await.unwrap();
    let mut r = Refund {
        no: RefundNo::parse("R0000000000000000003").unwrap(),
        order_no: o.no.clone(),
        method: o.method,
        amount: Money::from_fen(300),
        state: RefundState::Requested,
        reason: "退货".into(),
        clerk_id: ClerkId::parse("02").unwrap(),
        authorized_by: None,
        shift_id: None,
        refund_id: None,
        failure: None,
        created_at: t(3),
        updated_at: t(3),
        succeeded_at: None,
    };
    store.insert_refund(&r).await.unwrap();
    let requested = r.state;
    r.mark_succeeded(Some("rf1".into()), t(4)).unwrap();
    store.update_refund(&r, requested).await.unwrap();
    store.pool().close().await;
    drop(store);

    let store = open(dir.path()).await;
    let stored = store.order(&o.no).await.unwrap().unwrap();
    assert_eq!(stored.refunded, Money::from_fen(300));
    assert_eq!(store.refunds_of(&o.no).await.unwrap().len(), 1);
}

/// A ledger from before row checks gets them once, on the first open after the upgrade.
#[tokio::test]
async fn rows_from_before_the_upgrade_are_checked_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store
        .insert_order(&paid("P0000000000000000004", 800, 1))
        .await
        .unwrap();
    // What the migration leaves on an old ledger: no checks, and the marker.
    for s in [
        "UPDATE orders SET row_check = NULL",
        "INSERT INTO row_check_backfill (pending) VALUES (1)",
    ] {
        sqlx::query(s).execute(store.pool()).await.unwrap();
    }
    store.pool().close().await;
    drop(store);
    let store = open(dir.path()).await;
    let o = store
        .order(&"P0000000000000000004".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.amount, Money::from_fen(800));
    // Done once: a check lost later is damage, not an old row.
    sqlx::query("UPDATE orders SET row_check = NULL")
        .execute(store.pool())
        .await
        .unwrap();
    store.pool().close().await;
    drop(store);
    assert!(Store::open(dir.path(), options()).await.is_err());
}

/// A write to a damaged row is refused: the damage is never given a fresh check.
#[tokio::test]
async fn a_damaged_row_is_never_resealed_by_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_unchecked(dir.path()).await;
    let mut o = order("P0000000000000000005", 600, 1);
    store.insert_order(&o).await.unwrap();
    sqlx::query("UPDATE orders SET amount_fen = 60000 WHERE out_trade_no = 'P0000000000000000005'")
        .execute(store.pool())
        .await
        .unwrap();
    let before = o.state;
    o.mark_paid(Some("tx5".into()), t(2), t(2)).unwrap();
    let err = store.update_order(&o, before).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    // Still damaged, still refused: the failed write did not reseal it.
    assert!(matches!(
        store.order(&o.no).await,
        Err(StoreError::Corrupt(_))
    ));
}

/// A flipped byte in the stored schema text (not UTF-8 any more) is refused at open with an
/// error; sqlx would otherwise panic on the first statement that reads that column.
#[tokio::test]
async fn a_damaged_schema_text_is_refused_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store
        .insert_order(&paid("P0000000000000000006", 300, 1))
        .await
        .unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .unwrap();
    store.pool().close().await;
    drop(store);
    let path = dir.path().join(DATABASE_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let needle = b"refunded_fen      INTEGER";
    // Every copy of the definition (a migration may have left an old one in a free page).
    let places: Vec<usize> = bytes
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert!(
        !places.is_empty(),
        "the orders table's definition is in the file"
    );
    for at in places {
        bytes[at + needle.len() - 7] = 0xFF; // "INTEGER" → "\xFFNTEGER"
    }
    std::fs::write(&path, &bytes).unwrap();

    let Err(err) = Store::open(dir.path(), options()).await else {
        panic!("a damaged schema opened");
    };
    assert!(err.to_string().contains("schema is damaged"), "{err}");
}
