//! Scan to request: from the final key event of a scanned code (the Enter the wedge detector
//! turns into a code) to the `micro_pay` request arriving on the wire, beside a bare reqwest
//! request to the same loopback server measured in the same run.
//!
//! A timestamping TCP relay sits between the client and the sandbox and notes when the first
//! bytes of each request arrive. What the terminal adds between scan and wire: the halt
//! check, session and merchant reads, classification, a fresh order number, and the durable
//! intent (an fsync) before the request leaves.
//!
//! `cargo bench -p cloudpos-benches --bench scan_to_request [-- RUNS]`

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloudpay_sandbox::{Sandbox, SandboxConfig, Timings};
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_input::detector::{Detected, KeyStroke, WedgeDetector, WedgeKey};
use cloudpos_terminal::{MerchantCredentials, PayInput, Terminal};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type Arrivals = Arc<Mutex<Vec<Instant>>>;

/// Relays loopback TCP to `upstream`, noting when a chunk starting a request for `path`
/// arrives.
async fn relay(
    upstream: std::net::SocketAddr,
    path: &'static str,
    arrivals: Arrivals,
) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                break;
            };
            client.set_nodelay(true).ok();
            let arrivals = arrivals.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                server.set_nodelay(true).ok();
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        let now = Instant::now();
                        if buf[..n].windows(path.len()).any(|w| w == path.as_bytes()) {
                            arrivals.lock().expect("lock").push(now);
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
                let mut buf = vec![0u8; 65536];
                while let Ok(n) = sr.read(&mut buf).await {
                    if n == 0 || cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                up.abort();
            });
        }
    });
    addr
}

fn pct(mut v: Vec<Duration>, p: f64) -> f64 {
    v.sort();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

fn main() {
    let runs: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let sandbox = Sandbox::start(SandboxConfig {
            timings: Timings::fast(),
            ..SandboxConfig::default()
        })
        .await
        .expect("sandbox");
        let pay_arrivals: Arrivals = Arc::default();
        let ping_arrivals: Arrivals = Arc::default();
        let pay_relay = relay(sandbox.addr(), "POST /cpay/micro_pay", pay_arrivals.clone()).await;
        let ping_relay = relay(sandbox.addr(), "POST /cpay/ping", ping_arrivals.clone()).await;

        let base = std::env::current_dir()
            .expect("cwd")
            .join("target-bench-tmp");
        std::fs::create_dir_all(&base).expect("dir");
        let home = tempfile::tempdir_in(&base).expect("home");
        let t = Terminal::open(home.path()).await.expect("open");
        let creds = sandbox.credentials();
        let mut json = serde_json::to_value(&creds).expect("json");
        json["base_url"] = serde_json::json!(format!("http://{pay_relay}/cpay/"));
        let creds: MerchantCredentials = serde_json::from_value(json).expect("creds");
        t.configure_merchant(&creds, "admin-pw", true)
            .await
            .expect("setup");
        t.login(&ClerkId::parse(&creds.staff_id).expect("id"), "admin-pw")
            .await
            .expect("login");

        let mut detector = WedgeDetector::new(Default::default());
        let mut scan_to_wire = Vec::new();
        for i in 0..runs {
            let code = format!("13{:014}00", u64::from(i) + 5_000_000);
            // A scanner types the code at machine speed; the last Enter completes it.
            let base_ms = u64::from(i) * 10_000;
            let mut detected = None;
            for (k, ch) in code.chars().enumerate() {
                detector.feed(KeyStroke::at_ms(WedgeKey::Char(ch), base_ms + k as u64 * 3));
            }
            let enter = KeyStroke::at_ms(WedgeKey::Enter, base_ms + code.len() as u64 * 3);
            for d in detector.feed(enter) {
                if let Detected::Code(burst) = d {
                    detected = Some(burst.text);
                }
            }
            let t0 = Instant::now();
            let scanned = detected.expect("the burst is a scan");
            let before = pay_arrivals.lock().expect("lock").len();
            let o = t
                .pay(PayInput {
                    amount: Money::from_fen(100),
                    code: scanned,
                    remark: String::new(),
                    body: None,
                    timeout: None,
                })
                .await
                .expect("pay");
            assert_eq!(o.state, cloudpos_domain::order::OrderState::Paid);
            let arrived = pay_arrivals.lock().expect("lock")[before];
            scan_to_wire.push(arrived - t0);
        }

        // Peer: a bare reqwest POST through the same kind of relay to the same server.
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(
                cloudpay_api::client::rustls_config(None, false).expect("tls"),
            )
            .tcp_nodelay(true)
            .build()
            .expect("client");
        let url = format!("http://{ping_relay}/cpay/ping");
        let mut bare_wire = Vec::new();
        let mut bare_round_trip = Vec::new();
        for _ in 0..runs {
            let before = ping_arrivals.lock().expect("lock").len();
            let t0 = Instant::now();
            let r = client.post(&url).body("{}").send().await.expect("post");
            let _ = r.bytes().await.expect("body");
            bare_round_trip.push(t0.elapsed());
            bare_wire.push(ping_arrivals.lock().expect("lock")[before] - t0);
        }
        let (s50, s99) = (pct(scan_to_wire.clone(), 0.5), pct(scan_to_wire, 0.99));
        let (w50, w99) = (pct(bare_wire.clone(), 0.5), pct(bare_wire, 0.99));
        let (r50, r99) = (
            pct(bare_round_trip.clone(), 0.5),
            pct(bare_round_trip, 0.99),
        );
        println!("| measure ({runs} runs) | p50 ms | p99 ms |");
        println!("|---|---:|---:|");
        println!("| scan (final Enter) → `micro_pay` on the wire | {s50:.2} | {s99:.2} |");
        println!("| peer: bare reqwest send → request on the wire | {w50:.2} | {w99:.2} |");
        println!("| peer: bare reqwest round trip | {r50:.2} | {r99:.2} |");
        println!(
            "| overhead of the terminal (scan→wire − bare send→wire) | {:.2} | {:.2} |",
            s50 - w50,
            s99 - w99
        );
    });
}
