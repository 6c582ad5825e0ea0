//! Shared set-up for the CloudPOS benchmarks: ledgers of realistic size, built fast.

use cloudpos_storage::row_check::order_check;
use cloudpos_storage::{PasswordCost, Store, StoreOptions};

/// Opens a store for benchmarking (cheap password hashing; no integrity check on open).
pub async fn store(dir: &std::path::Path) -> Store {
    Store::open(
        dir,
        StoreOptions {
            password_cost: PasswordCost::TestOnly,
            check_on_open: false,
            ..StoreOptions::default()
        },
    )
    .await
    .expect("open store")
}

/// Fills the ledger with `n` orders over 30 days (a busy shop's month, ten times over):
/// 4 clerks, all four methods, mostly paid, some refunded, failed and reversed. Rows are
/// inserted in large transactions through SQL for speed; the data obeys the schema's rules.
pub async fn fill_orders(store: &Store, n: u64, start_ms: i64) {
    let mut tx = store.begin_write().await.expect("begin");
    let span_ms: i64 = 30 * 86_400_000;
    for i in 0..n {
        let ii = i64::try_from(i).unwrap_or(i64::MAX);
        let created = start_ms + (ii * span_ms) / i64::try_from(n.max(1)).unwrap_or(1);
        let (state, refunded) = match i % 50 {
            0 => ("failed", 0),
            1 => ("reversed", 0),
            2 => ("paid", 100),
            _ => ("paid", 0),
        };
        let amount = 500 + (ii * 37) % 20_000;
        let method =
            ["wechat", "alipay", "member_card", "cash"][usize::try_from(i % 4).unwrap_or(0)];
        let clerk = ["01", "02", "03", "04"][usize::try_from((i / 7) % 4).unwrap_or(0)];
        sqlx::query(
            "INSERT INTO orders (store_id, device_id, out_trade_no, method, amount_fen, state, refunded_fen, \
             clerk_id, body, remark, created_at, updated_at, paid_at, row_check) \
             VALUES ('shop', 'dev', ?, ?, ?, ?, ?, ?, 'b', '', ?, ?, ?, ?)",
        )
        .bind(format!("sz01BNCH{i:016}"))
        .bind(method)
        .bind(amount)
        .bind(state)
        .bind(refunded.min(amount))
        .bind(clerk)
        .bind(created)
        .bind(created)
        .bind((state == "paid").then_some(created + 1500))
        .bind(order_check(
            &format!("sz01BNCH{i:016}"),
            method,
            state,
            amount,
            refunded.min(amount),
        ))
        .execute(&mut *tx)
        .await
        .expect("insert");
        if i % 100_000 == 99_999 {
            tx.commit().await.expect("commit");
            tx = store.begin_write().await.expect("begin");
        }
    }
    tx.commit().await.expect("commit");
    sqlx::query("ANALYZE")
        .execute(store.pool())
        .await
        .expect("analyze");
}
