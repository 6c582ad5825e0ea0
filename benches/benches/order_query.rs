//! Order query with filters over 1,000,000 orders: p50/p99 of the queries the order screen
//! makes, beside a raw indexed point lookup on the same database (the floor).
//!
//! `cargo bench -p cloudpos-benches --bench order_query [-- ORDERS]`

use std::time::{Duration, Instant};

use cloudpos_benches::{fill_orders, store};
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::order::OrderStatus;
use cloudpos_domain::ports::{Ledger, OrderFilter};
use cloudpos_domain::timestamp::Timestamp;

const START_MS: i64 = 1_790_000_000_000;
const RUNS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(dir.path()).await;
        let t = Instant::now();
        fill_orders(&s, n, START_MS).await;
        eprintln!("filled {n} orders in {:.1} s", t.elapsed().as_secs_f64());
        // Opening the ledger as the till does (SQLite's quick_check and every row's check),
        // beside opening it with no checks at all, both on the warm file.
        s.pool().close().await;
        drop(s);
        let open = |check_on_open: bool| {
            let dir = dir.path().to_owned();
            async move {
                let t = Instant::now();
                let s = cloudpos_storage::Store::open(
                    &dir,
                    cloudpos_storage::StoreOptions {
                        password_cost: cloudpos_storage::PasswordCost::TestOnly,
                        check_on_open,
                        ..cloudpos_storage::StoreOptions::default()
                    },
                )
                .await
                .expect("open");
                let took = t.elapsed();
                s.pool().close().await;
                took
            }
        };
        let bare = open(false).await;
        let checked = open(true).await;
        println!(
            "open ({n} orders): with quick_check and row checks {:.2} s; peer, no checks {:.3} s",
            checked.as_secs_f64(),
            bare.as_secs_f64()
        );
        let s = store(dir.path()).await;

        let day = 86_400_000;
        let mid = START_MS + 15 * day;
        let page = |f: OrderFilter| OrderFilter { page_size: 50, ..f };
        let scenarios: Vec<(&str, OrderFilter)> = vec![
            (
                "one day, page 1",
                page(OrderFilter {
                    from: Some(Timestamp::from_unix_millis(mid)),
                    to: Some(Timestamp::from_unix_millis(mid + day)),
                    ..OrderFilter::default()
                }),
            ),
            (
                "one day, paid, one clerk",
                page(OrderFilter {
                    from: Some(Timestamp::from_unix_millis(mid)),
                    to: Some(Timestamp::from_unix_millis(mid + day)),
                    status: Some(OrderStatus::Paid),
                    clerk: Some(ClerkId::parse("02").expect("id")),
                    ..OrderFilter::default()
                }),
            ),
            (
                "order number (scanned)",
                page(OrderFilter {
                    order_no: Some(format!("sz01BNCH{:016}", n / 2 + 123)),
                    ..OrderFilter::default()
                }),
            ),
            (
                "order number, last 6 digits",
                page(OrderFilter {
                    order_no: Some(format!("{:06}", (n / 2 + 123) % 1_000_000)),
                    ..OrderFilter::default()
                }),
            ),
            (
                "month, refunded, page 1",
                page(OrderFilter {
                    status: Some(OrderStatus::PartiallyRefunded),
                    ..OrderFilter::default()
                }),
            ),
            ("everything, page 1", page(OrderFilter::default())),
            (
                "everything, page 100",
                page(OrderFilter {
                    page: 99,
                    ..OrderFilter::default()
                }),
            ),
        ];
        println!("| query ({n} orders) | p50 ms | p99 ms | rows | matches |");
        println!("|---|---:|---:|---:|---:|");
        // The peer: a raw indexed point lookup through the same pool.
        let mut peer = Vec::with_capacity(RUNS);
        for i in 0..RUNS {
            let no = format!("sz01BNCH{:016}", (i as u64 * 7919) % n);
            let t = Instant::now();
            let _: Option<(i64,)> = sqlx::query_as("SELECT id FROM orders WHERE out_trade_no = ?")
                .bind(&no)
                .fetch_optional(s.pool())
                .await
                .expect("peer");
            peer.push(t.elapsed());
        }
        peer.sort();
        println!(
            "| peer: raw indexed point lookup | {} | {} | 1 | 1 |",
            ms(percentile(&peer, 0.5)),
            ms(percentile(&peer, 0.99))
        );
        for (name, filter) in scenarios {
            let mut times = Vec::with_capacity(RUNS);
            let mut last = None;
            for _ in 0..RUNS {
                let t = Instant::now();
                let p = s.orders(&filter).await.expect("query");
                times.push(t.elapsed());
                last = Some(p);
            }
            times.sort();
            let p = last.expect("ran");
            println!(
                "| {name} | {} | {} | {} | {} |",
                ms(percentile(&times, 0.5)),
                ms(percentile(&times, 0.99)),
                p.items.len(),
                p.total
            );
        }
    });
}
