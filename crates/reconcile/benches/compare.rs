//! `compare` on 1,000,000 matching orders and 100,000 refunds, next to two peers measured in
//! the same run on the same data: building a hash map of the 1,000,000 order numbers (the
//! least any keyed join must do), and sorting them from a shuffled order (the first step of
//! a merge join). The listing is in the reverse order of the ledger, as the terminal sees it
//! (ledger newest first, Cloud Pay oldest first).
//!
//! Run: `cargo bench -p cloudpos-reconcile -- --warm-up-time 1 --measurement-time 5`.
#![allow(missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use cloudpos_domain::money::Money;
use cloudpos_domain::refund::RefundState;
use common::*;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const ORDERS: u64 = 1_000_000;
const REFUNDS: u64 = 100_000;

fn matching() -> Fixture {
    let mut f = Fixture::default();
    let step = DAY_MS / i64::try_from(ORDERS).unwrap();
    let every = ORDERS / REFUNDS;
    for i in 0..ORDERS {
        let t = at(i64::try_from(i).unwrap() * step);
        let fen = 100 + i64::try_from(i % 9_000).unwrap();
        let mut o = paid(i, fen, t);
        if i % every == 0 {
            let r = refund(
                &o,
                0,
                50,
                RefundState::Succeeded,
                t.plus(std::time::Duration::from_secs(30)),
            );
            o.refunded = Money::from_fen(50);
            f.cloud_refunds.push(cloud_refund_of(&r, 0));
            f.local_refunds.push(r);
        }
        f.cloud_orders.push(cloud_paid(&o));
        f.local_orders.push(o);
    }
    // The listing comes back in its own order.
    f.cloud_orders.reverse();
    f
}

fn bench(c: &mut Criterion) {
    let f = matching();
    let p = params();
    let report = f.report(&p);
    assert!(report.is_clean());
    assert_eq!(report.compared_orders, ORDERS);
    assert_eq!(report.compared_refunds, REFUNDS);

    let mut g = c.benchmark_group("reconcile_1m_orders_100k_refunds");
    g.sample_size(10);
    g.bench_function("compare", |b| {
        b.iter(|| {
            black_box(cloudpos_reconcile::compare(
                black_box(&f.local_orders),
                black_box(&f.local_refunds),
                black_box(&f.cloud_orders),
                black_box(&f.cloud_refunds),
                &p,
            ))
        });
    });
    g.bench_function("peer_hashmap_of_1m_numbers", |b| {
        b.iter(|| {
            let mut m: std::collections::HashMap<&str, usize, foldhash::fast::RandomState> =
                std::collections::HashMap::with_capacity_and_hasher(
                    f.cloud_orders.len(),
                    foldhash::fast::RandomState::default(),
                );
            for (i, o) in f.cloud_orders.iter().enumerate() {
                m.insert(o.no.as_str(), i);
            }
            black_box(m.len())
        });
    });
    // The numbers in a shuffled order (sorting the reversed listing would be trivial).
    let mut shuffled: Vec<&str> = f.cloud_orders.iter().map(|o| o.no.as_str()).collect();
    let mut rng = Rng::new(42);
    for i in (1..shuffled.len()).rev() {
        let j = usize::try_from(rng.below(i as u64 + 1)).unwrap();
        shuffled.swap(i, j);
    }
    g.bench_function("peer_sort_1m_numbers", |b| {
        b.iter_batched(
            || shuffled.clone(),
            |mut v| {
                v.sort_unstable();
                black_box(v)
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
