//! Payments per second through the whole `pay` use case with `synchronous=FULL` (each payment
//! commits its intent and its final state: two fsyncs), beside the raw `write + fsync` rate of
//! the same disk measured in the same run. The cloud is an instant in-memory fake, so the
//! figure is the terminal's own cost.
//!
//! `cargo bench -p cloudpos-benches --bench payments [-- PAYMENTS]`

use std::io::Write;
use std::time::{Duration, Instant};

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_terminal::PayInput;
use cloudpos_terminal::testing::{code, test_terminal};

/// Appending 512 bytes and `fsync` each time (the file grows: metadata is synced too).
fn append_fsync_rate(dir: &std::path::Path, n: u32) -> f64 {
    let mut f = std::fs::File::create(dir.join("append.bin")).expect("file");
    let block = [0x5au8; 512];
    let t = Instant::now();
    for _ in 0..n {
        f.write_all(&block).expect("write");
        f.sync_all().expect("fsync");
    }
    f64::from(n) / t.elapsed().as_secs_f64()
}

/// Overwriting one 4 KiB page in place and `fdatasync` each time: what a WAL commit does once
/// the log has reached its working size (SQLite syncs with fdatasync on Linux).
fn overwrite_fdatasync_rate(dir: &std::path::Path, n: u32) -> f64 {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::create(dir.join("overwrite.bin")).expect("file");
    let page = [0xa5u8; 4096];
    f.write_all(&page).expect("write");
    f.sync_all().expect("fsync");
    let t = Instant::now();
    for _ in 0..n {
        f.seek(SeekFrom::Start(0)).expect("seek");
        f.write_all(&page).expect("write");
        f.sync_data().expect("fdatasync");
    }
    f64::from(n) / t.elapsed().as_secs_f64()
}

fn main() {
    let n: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    // On the same disk as the project's data (not tmpfs).
    let base = std::env::var_os("CLOUDPOS_BENCH_DIR").map_or_else(
        || {
            std::env::current_dir()
                .expect("cwd")
                .join("target-bench-tmp")
        },
        Into::into,
    );
    std::fs::create_dir_all(&base).expect("bench dir");
    let dir = tempfile::tempdir_in(&base).expect("tempdir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (rates_before, pays, rates_after) = rt.block_on(async {
        let t = test_terminal(dir.path()).await;
        t.terminal
            .login(&ClerkId::parse("02").expect("id"), "pw02")
            .await
            .expect("login");
        let rates_before = (
            append_fsync_rate(dir.path(), n),
            overwrite_fdatasync_rate(dir.path(), n),
        );
        let started = Instant::now();
        for i in 0..n {
            let o = t
                .terminal
                .pay(PayInput {
                    amount: Money::from_fen(100 + i64::from(i)),
                    code: code(i, "00"),
                    remark: String::new(),
                    body: None,
                    timeout: None,
                })
                .await
                .expect("pay");
            assert_eq!(o.state, cloudpos_domain::order::OrderState::Paid);
            // Each scan is a new code; keep the duplicate-scan window out of the way.
            t.clock.advance(Duration::from_secs(3));
        }
        let pays = f64::from(n) / started.elapsed().as_secs_f64();
        let rates_after = (
            append_fsync_rate(dir.path(), n),
            overwrite_fdatasync_rate(dir.path(), n),
        );
        (rates_before, pays, rates_after)
    });
    let append = f64::midpoint(rates_before.0, rates_after.0);
    let overwrite = f64::midpoint(rates_before.1, rates_after.1);
    println!("| measure ({n} each, same disk) | per second |");
    println!("|---|---:|");
    println!(
        "| peer: append 512 B + fsync (before / after) | {:.0} / {:.0} |",
        rates_before.0, rates_after.0
    );
    println!(
        "| peer: overwrite a 4 KiB page + fdatasync (before / after) | {:.0} / {:.0} |",
        rates_before.1, rates_after.1
    );
    println!("| payments through `Terminal::pay` (2 commits each) | {pays:.0} |");
    println!(
        "| payments / append-fsync rate | {:.0} % |",
        100.0 * pays / append
    );
    println!(
        "| payments / fdatasync rate | {:.0} % |",
        100.0 * pays / overwrite
    );
}
