//! The head office at scale, each figure beside a peer measured in the same run:
//!
//! - `ingest`: orders per second pushed through the real HTTP contract (`POST /api/v1/push`,
//!   8 tills at once, 500 orders a batch) into one PostgreSQL, beside the raw batched
//!   `INSERT` and `COPY` of the same rows into a table of the same definition.
//! - `lag`: 1,000 simulated tills pushing concurrently at 100 orders/s in aggregate (each
//!   till commits an order at random, Poisson, and pushes at once): the lag from the till's
//!   commit to the head office's answer (which comes after its COMMIT), p50/p99.
//! - `summary`: a day's cross-store summary over 10,000,000 orders, beside `count(*)`.
//!
//! PostgreSQL runs with its defaults (fsync and synchronous commit on) in a throwaway
//! cluster, or on `CLOUDPOS_TEST_DATABASE_URL`.
//!
//! `cargo bench -p cloudpos-benches --bench hq -- [ingest] [lag] [summary] [--orders N] [--seconds S] [--rate R] [--rows N]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use cloudpos_hq::sqlx as sqlx_pg;
use cloudpos_hq::testing::{Durability, TestPostgres};
use cloudpos_hq::{ServerConfig, auth, db, server};
use cloudpos_hq_protocol::{Change, OrderRecord, PushRequest, Record};
use sqlx_pg::PgPool;

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn order(till: usize, n: i64, at: i64) -> OrderRecord {
    OrderRecord {
        out_trade_no: format!("sz0100ABCD2611{till:04}{n:08}"),
        wallet: ["wechat", "alipay", "member_card", "cash"][(n % 4) as usize].into(),
        state: "paid".into(),
        amount_fen: 500 + (n * 37) % 20_000,
        refunded_fen: 0,
        code_masked: Some("1345**********7649".into()),
        store_id: format!("store-{}", till / 4),
        device_id: format!("till-{till}"),
        clerk: ["01", "02", "03"][(n % 3) as usize].into(),
        shift: Some(1),
        body: "商品".into(),
        remark: String::new(),
        transaction_id: Some(format!("4200{n:012}")),
        reason: None,
        never_reverse: false,
        cash_tendered_fen: None,
        cash_change_fen: None,
        lines: Vec::new(),
        created_at: at,
        updated_at: at,
        paid_at: Some(at),
    }
}

async fn enrol(
    http: &reqwest::Client,
    url: &str,
    pool: &PgPool,
    store: &str,
    device: &str,
) -> String {
    let token = auth::create_enrolment(pool, store, device, Duration::from_secs(600))
        .await
        .unwrap();
    let r: cloudpos_hq_protocol::EnrolResponse = http
        .post(format!("{url}/api/v1/enrol"))
        .json(&serde_json::json!({"v": 1, "token": token.as_str()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r.credential
}

async fn push(
    http: &reqwest::Client,
    url: &str,
    cred: &str,
    req: &PushRequest,
) -> cloudpos_hq_protocol::PushResponse {
    let r = http
        .post(format!("{url}/api/v1/push"))
        .bearer_auth(cred)
        .json(req)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

const TILLS: usize = 8;
const BATCH: i64 = 500;

async fn ingest(pg: &TestPostgres, http: &reqwest::Client, orders: i64) {
    let db_url = pg.fresh_database().await;
    let pool = db::connect(&db_url, 16).await.unwrap();
    let running = server::start(pool.clone(), ServerConfig::loopback())
        .await
        .unwrap();
    let url = running.url();
    let now = db::now_ms();
    let per_till = orders / TILLS as i64;
    let mut creds = Vec::new();
    for t in 0..TILLS {
        creds.push(
            enrol(
                http,
                &url,
                &pool,
                &format!("store-{}", t / 4),
                &format!("till-{t}"),
            )
            .await,
        );
    }
    // Through the head office: 8 tills, each pushing its batches one after another.
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (t, cred) in creds.into_iter().enumerate() {
        let http = http.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut seq = 1;
            while seq <= per_till {
                let end = (seq + BATCH - 1).min(per_till);
                let changes = (seq..=end)
                    .map(|n| Change {
                        seq: n,
                        at: now,
                        record: Record::Order(order(t, n, now + n)),
                    })
                    .collect();
                let r = push(&http, &url, &cred, &PushRequest::new(changes, 0, None)).await;
                assert_eq!(r.applied_through, end);
                seq = end + 1;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let hq_rate = (per_till * TILLS as i64) as f64 / t0.elapsed().as_secs_f64();
    let (n,): (i64,) = sqlx_pg::query_as("SELECT count(*) FROM orders")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, per_till * TILLS as i64);

    // The peers: the same rows into a table of the same definition (indexes included).
    let peer_table = |name: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx_pg::query(sqlx_pg::AssertSqlSafe(format!(
                "CREATE TABLE {name} (LIKE orders INCLUDING ALL)"
            )))
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    peer_table("peer_insert").await;
    peer_table("peer_copy").await;
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..TILLS {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut seq = 1;
            while seq <= per_till {
                let end = (seq + BATCH - 1).min(per_till);
                let rows: Vec<OrderRecord> = (seq..=end).map(|n| order(t, n, now + n)).collect();
                let mut b = sqlx_pg::QueryBuilder::<sqlx_pg::Postgres>::new(
                    "INSERT INTO peer_insert (terminal_id, store, device, seq, out_trade_no, wallet, state, amount_fen, \
                     refunded_fen, code_masked, till_store_id, till_device_id, clerk, shift, body, remark, transaction_id, \
                     reason, never_reverse, cash_tendered_fen, cash_change_fen, lines, created_at, updated_at, paid_at) ",
                );
                let mut s = seq;
                b.push_values(&rows, |mut v, o| {
                    v.push_bind(t as i64).push_bind(format!("store-{}", t / 4)).push_bind(format!("till-{t}")).push_bind(s)
                        .push_bind(&o.out_trade_no).push_bind(&o.wallet).push_bind(&o.state).push_bind(o.amount_fen)
                        .push_bind(o.refunded_fen).push_bind(&o.code_masked).push_bind(&o.store_id).push_bind(&o.device_id)
                        .push_bind(&o.clerk).push_bind(o.shift).push_bind(&o.body).push_bind(&o.remark)
                        .push_bind(&o.transaction_id).push_bind(&o.reason).push_bind(o.never_reverse)
                        .push_bind(o.cash_tendered_fen).push_bind(o.cash_change_fen).push_bind(None::<serde_json::Value>)
                        .push_bind(o.created_at).push_bind(o.updated_at).push_bind(o.paid_at);
                    s += 1;
                });
                b.build().execute(&pool).await.unwrap();
                seq = end + 1;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let insert_rate = (per_till * TILLS as i64) as f64 / t0.elapsed().as_secs_f64();

    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..TILLS {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut seq = 1;
            while seq <= per_till {
                let end = (seq + BATCH - 1).min(per_till);
                let mut text = String::new();
                for n in seq..=end {
                    let o = order(t, n, now + n);
                    text.push_str(&format!(
                        "{t}\tstore-{}\ttill-{t}\t{n}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t1\t{}\t\t{}\t\\N\tf\t\\N\t\\N\t\\N\t{}\t{}\t{}\n",
                        t / 4, o.out_trade_no, o.wallet, o.state, o.amount_fen, o.refunded_fen,
                        o.code_masked.as_deref().unwrap_or(""), o.store_id, o.device_id, o.clerk, o.body,
                        o.transaction_id.as_deref().unwrap_or(""), o.created_at, o.updated_at, o.paid_at.unwrap_or(0)
                    ));
                }
                let mut conn = pool.acquire().await.unwrap();
                let mut copy = conn.copy_in_raw(
                    "COPY peer_copy (terminal_id, store, device, seq, out_trade_no, wallet, state, amount_fen, refunded_fen, \
                     code_masked, till_store_id, till_device_id, clerk, shift, body, remark, transaction_id, reason, \
                     never_reverse, cash_tendered_fen, cash_change_fen, lines, created_at, updated_at, paid_at) FROM STDIN",
                ).await.unwrap();
                copy.send(text.into_bytes()).await.unwrap();
                copy.finish().await.unwrap();
                seq = end + 1;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let copy_rate = (per_till * TILLS as i64) as f64 / t0.elapsed().as_secs_f64();
    for table in ["peer_insert", "peer_copy"] {
        let (n,): (i64,) = sqlx_pg::query_as(sqlx_pg::AssertSqlSafe(format!(
            "SELECT count(*) FROM {table}"
        )))
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(n, per_till * TILLS as i64);
    }
    println!(
        "ingest of {} orders ({TILLS} tills, {BATCH} per batch, fsync on):",
        per_till * TILLS as i64
    );
    println!(
        "  cloudpos-hq push (HTTP + JSON + checks + change log)  {hq_rate:>9.0} orders/s  ({:.0} % of batched INSERT)",
        100.0 * hq_rate / insert_rate
    );
    println!("  peer: batched INSERT … VALUES (500 rows)              {insert_rate:>9.0} rows/s");
    println!("  peer: COPY FROM STDIN (500 rows)                      {copy_rate:>9.0} rows/s");
    running.shutdown().await;
}

async fn lag(pg: &TestPostgres, http: &reqwest::Client, tills: usize, rate: f64, seconds: u64) {
    let db_url = pg.fresh_database().await;
    let pool = db::connect(&db_url, 16).await.unwrap();
    let running = server::start(pool.clone(), ServerConfig::loopback())
        .await
        .unwrap();
    let url = running.url();
    let mut creds = Vec::new();
    for t in 0..tills {
        creds.push(
            enrol(
                http,
                &url,
                &pool,
                &format!("store-{}", t / 4),
                &format!("till-{t}"),
            )
            .await,
        );
    }
    let per_till_mean = tills as f64 / rate; // seconds between one till's orders
    let lags = Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (t, cred) in creds.into_iter().enumerate() {
        let http = http.clone();
        let url = url.clone();
        let lags = Arc::clone(&lags);
        tasks.push(tokio::spawn(async move {
            // A deterministic per-till random stream (xorshift), exponential gaps.
            let mut x: u64 =
                0x9E37_79B9_7F4A_7C15 ^ (t as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 11) as f64 / (1u64 << 53) as f64
            };
            let mut seq = 0;
            let mut pending: Vec<(Change, Instant)> = Vec::new();
            let mut due = start + Duration::from_secs_f64(-per_till_mean * (1.0 - next()).ln());
            while due < end {
                tokio::time::sleep_until(due.into()).await;
                seq += 1;
                let now = db::now_ms();
                pending.push((
                    Change {
                        seq,
                        at: now,
                        record: Record::Order(order(t, seq, now)),
                    },
                    Instant::now(),
                ));
                let req =
                    PushRequest::new(pending.iter().map(|(c, _)| c.clone()).collect(), 0, None);
                let r = http
                    .post(format!("{url}/api/v1/push"))
                    .bearer_auth(&cred)
                    .json(&req)
                    .send()
                    .await;
                if let Ok(r) = r
                    && r.status() == 200
                {
                    let done = Instant::now();
                    let mut l = lags.lock().unwrap();
                    for (_, committed) in pending.drain(..) {
                        l.push(done.duration_since(committed).as_secs_f64() * 1000.0);
                    }
                }
                due += Duration::from_secs_f64(-per_till_mean * (1.0 - next()).ln());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut l = lags.lock().unwrap().clone();
    l.sort_by(f64::total_cmp);
    let pct = |p: f64| l[((l.len() as f64 - 1.0) * p).round() as usize];
    let (n,): (i64,) = sqlx_pg::query_as("SELECT count(*) FROM orders")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        n as usize,
        l.len(),
        "every order reached the head office once"
    );
    println!(
        "{tills} tills, {rate} orders/s in aggregate for {seconds} s: {} orders, lag till commit → HQ commit p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        l.len(),
        pct(0.50),
        pct(0.99),
        l[l.len() - 1]
    );
    running.shutdown().await;
}

async fn summary(pg: &TestPostgres, rows: i64) {
    let db_url = pg.fresh_database().await;
    let pool = db::connect(&db_url, 4).await.unwrap();
    let t0 = Instant::now();
    // 100 stores × 10 tills, 100 days; loaded in bulk, then indexed (the trigram index on
    // order numbers is left out of this data set: the summary never reads it).
    sqlx_pg::query("DROP INDEX orders_no_trgm")
        .execute(&pool)
        .await
        .unwrap();
    sqlx_pg::query("DROP INDEX orders_paid")
        .execute(&pool)
        .await
        .unwrap();
    sqlx_pg::query("DROP INDEX orders_created")
        .execute(&pool)
        .await
        .unwrap();
    sqlx_pg::query("ALTER TABLE orders DROP CONSTRAINT orders_pkey")
        .execute(&pool)
        .await
        .unwrap();
    let day0: i64 = 1_795_276_800_000; // 2026-11-22 00:00 +08:00
    let chunk = 1_000_000;
    let mut from = 0;
    while from < rows {
        let to = (from + chunk).min(rows);
        sqlx_pg::query(
            "INSERT INTO orders (terminal_id, out_trade_no, store, device, seq, wallet, state, amount_fen, refunded_fen, \
             till_store_id, till_device_id, clerk, body, remark, never_reverse, created_at, updated_at, paid_at) \
             SELECT i % 1000, 'sz0100ABCD' || lpad(i::text, 16, '0'), 'store-' || (i % 1000) / 10, 'till-' || i % 10, i, \
             (ARRAY['wechat','alipay','member_card','cash'])[1 + i % 4], CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'paid' END, \
             500 + (i * 37) % 20000, CASE WHEN i % 50 = 2 THEN 100 ELSE 0 END, '', '', '0' || (1 + i % 3), '', '', false, \
             $3 + (i * 8640000000 / $4), $3 + (i * 8640000000 / $4), $3 + (i * 8640000000 / $4) \
             FROM generate_series($1, $2 - 1) AS i",
        )
        .bind(from).bind(to).bind(day0).bind(rows)
        .execute(&pool).await.unwrap();
        from = to;
    }
    for ddl in [
        "ALTER TABLE orders ADD PRIMARY KEY (terminal_id, out_trade_no)",
        "CREATE INDEX orders_paid ON orders (paid_at) INCLUDE (store, device, clerk, wallet, amount_fen) WHERE state = 'paid'",
        "CREATE INDEX orders_created ON orders (created_at)",
        "VACUUM ANALYZE orders",
    ] {
        sqlx_pg::query(ddl).execute(&pool).await.unwrap();
    }
    println!(
        "loaded {rows} orders over 100 days in {:.0} s",
        t0.elapsed().as_secs_f64()
    );
    let day = cloudpos_domain::timestamp::Timestamp::from_unix_millis(day0 + 50 * 86_400_000);
    let next =
        cloudpos_domain::timestamp::Timestamp::from_unix_millis(day.unix_millis() + 86_400_000);
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..7 {
        let t = Instant::now();
        let s = cloudpos_hq::query::summary(
            &pool,
            Some(day),
            Some(next),
            cloudpos_hq::query::Grouping::Store,
            8 * 3600,
        )
        .await
        .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(s);
    }
    let s = last.unwrap();
    let mut counts = Vec::new();
    let mut n = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let (c,): (i64,) = sqlx_pg::query_as("SELECT count(*) FROM orders")
            .fetch_one(&pool)
            .await
            .unwrap();
        counts.push(t.elapsed().as_secs_f64() * 1000.0);
        n = c;
    }
    times.sort_by(f64::total_cmp);
    counts.sort_by(f64::total_cmp);
    println!(
        "a day's summary by store over {n} orders ({} groups, {} paid orders that day): median {:.0} ms (min {:.0}, max {:.0}); peer: count(*) over the table median {:.0} ms",
        s.groups.len(),
        s.total.paid_count,
        times[3],
        times[0],
        times[6],
        counts[1]
    );
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let all = !args
        .iter()
        .any(|a| a == "ingest" || a == "lag" || a == "summary");
    let pg = match std::env::var(cloudpos_hq::testing::DATABASE_URL_ENV) {
        Ok(_) => TestPostgres::shared(),
        Err(_) => Box::leak(Box::new(
            TestPostgres::start(Durability::Real).expect("PostgreSQL"),
        )),
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(2000)
        .build()
        .unwrap();
    if all || args.iter().any(|a| a == "ingest") {
        ingest(pg, &http, arg("--orders", 200_000)).await;
    }
    if all || args.iter().any(|a| a == "lag") {
        lag(
            pg,
            &http,
            arg("--tills", 1000),
            arg("--rate", 100.0),
            arg("--seconds", 60),
        )
        .await;
    }
    if all || args.iter().any(|a| a == "summary") {
        summary(pg, arg("--rows", 10_000_000)).await;
    }
}
