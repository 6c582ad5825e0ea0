//! The head office's world for the `hq` campaign: a fresh PostgreSQL database on the server
//! `CLOUDPOS_TEST_DATABASE_URL` names, the real `cloudpos-hq` binary (killed with SIGKILL and
//! restarted on the same database), and a TCP forwarding proxy between the tills and the
//! head office whose connections the campaign cuts, stalls or lets lose an answer.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::Value;
use sqlx::Connection as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// The variable naming the PostgreSQL server the campaign makes its database on (as the
/// head office tests; `.ci/run` starts a throwaway cluster and sets it).
pub const DATABASE_URL_ENV: &str = "CLOUDPOS_TEST_DATABASE_URL";

/// `url` with its database name replaced by `db`.
#[must_use]
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// One fresh database on the server `CLOUDPOS_TEST_DATABASE_URL` names.
pub struct Database {
    admin_url: String,
    name: String,
    /// The database's URL.
    pub url: String,
}

impl Database {
    /// Creates `hq_campaign_SEED_PID_MS`; fails naming the variable when it is not set.
    pub fn fresh(rt: &tokio::runtime::Runtime, seed: u64) -> Result<Database> {
        let admin_url = match std::env::var(DATABASE_URL_ENV) {
            Ok(u) if !u.trim().is_empty() => u,
            _ => bail!(
                "the hq campaign needs a PostgreSQL server where it may CREATE DATABASE: set \
                 {DATABASE_URL_ENV} (e.g. postgres://postgres@127.0.0.1:5432/postgres; .ci/run \
                 starts a throwaway cluster and sets it)"
            ),
        };
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() % 1_000_000);
        let name = format!("hq_campaign_{seed}_{}_{ms}", std::process::id());
        rt.block_on(async {
            let mut c = sqlx::PgConnection::connect(&admin_url)
                .await
                .with_context(|| format!("connecting to {DATABASE_URL_ENV}"))?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await
                .with_context(|| format!("creating the database {name}"))?;
            c.close().await?;
            Ok::<_, anyhow::Error>(())
        })?;
        let url = with_database(&admin_url, &name);
        Ok(Database {
            admin_url,
            name,
            url,
        })
    }

    /// The database's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database (after a passed run; a failed one is kept to look into).
    pub fn drop_database(&self, rt: &tokio::runtime::Runtime) -> Result<()> {
        rt.block_on(async {
            let mut c = sqlx::PgConnection::connect(&self.admin_url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut c)
            .await?;
            c.close().await?;
            Ok(())
        })
    }
}

/// The `cloudpos-hq` service, run as a child process on one database.
pub struct HeadOffice {
    bin: PathBuf,
    db_url: String,
    child: Option<Child>,
    addr: Option<SocketAddr>,
    /// Starts so far.
    pub starts: u64,
}

impl HeadOffice {
    /// A head office not started yet.
    #[must_use]
    pub fn new(bin: &Path, db_url: &str) -> HeadOffice {
        HeadOffice {
            bin: bin.to_owned(),
            db_url: db_url.to_owned(),
            child: None,
            addr: None,
            starts: 0,
        }
    }

    /// `cloudpos-hq enrol --store STORE --device DEVICE`: the one-time token.
    pub fn enrol(&self, store: &str, device: &str) -> Result<String> {
        let out = Command::new(&self.bin)
            .args(["enrol", "--database-url", &self.db_url])
            .args(["--store", store, "--device", device])
            .env_remove("CLOUDPOS_HQ_DATABASE_URL")
            .output()
            .context("running cloudpos-hq enrol")?;
        if !out.status.success() {
            bail!(
                "cloudpos-hq enrol failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if token.is_empty() || token.contains(char::is_whitespace) {
            bail!("cloudpos-hq enrol printed {token:?}, not a token alone");
        }
        Ok(token)
    }

    /// Starts the service on a free loopback port (`--dev-open`), waiting for its
    /// `listening on http://HOST:PORT` line; `crash_before_commit` makes it abort itself
    /// just before committing that push with new changes.
    pub fn start(&mut self, crash_before_commit: Option<u64>) -> Result<SocketAddr> {
        self.kill();
        let mut cmd = Command::new(&self.bin);
        cmd.args(["--database-url", &self.db_url])
            .args(["--listen", "127.0.0.1:0", "--dev-open"])
            .env_remove("CLOUDPOS_HQ_DATABASE_URL")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(n) = crash_before_commit {
            cmd.args(["--crash-before-commit", &n.to_string()]);
        }
        let mut child = cmd.spawn().context("starting cloudpos-hq")?;
        let stdout = child.stdout.take().context("no stdout of cloudpos-hq")?;
        // The first line, read on a thread so a service that never prints is noticed.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let mut reader = BufReader::new(stdout);
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining so the service never blocks on a full pipe.
            let mut sink = String::new();
            while reader.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let Some(url) = line.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("cloudpos-hq did not print `listening on http://…` first (it printed {line:?})");
        };
        let addr: SocketAddr = url
            .trim_end_matches('/')
            .parse()
            .with_context(|| format!("cloudpos-hq printed {line:?}"))?;
        self.child = Some(child);
        self.addr = Some(addr);
        self.starts += 1;
        Ok(addr)
    }

    /// SIGKILL (nothing is flushed or shut down), and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.addr = None;
    }

    /// Whether the process is still running (false after it aborted itself).
    pub fn running(&mut self) -> bool {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => true,
            Some(_) => {
                self.child = None;
                self.addr = None;
                false
            }
            None => false,
        }
    }

    /// Where it listens, while running.
    #[must_use]
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }
}

impl Drop for HeadOffice {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the proxy does with the connections it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward to the head office.
    Pass,
    /// Accept and hold without reading or answering, until cut.
    Stall,
}

/// Per-connection faults, drawn by the proxy's own seeded generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnFaults {
    /// Forward the request, then drop the connection at the first byte of the answer (the
    /// head office may have committed; the till never hears).
    pub lose_answer: f64,
    /// Forward only part of the request, then drop the connection.
    pub cut_request: f64,
}

#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct ProxyStats {
    /// Connections accepted.
    pub connections: u64,
    /// Connections refused because no head office was running.
    pub refused: u64,
    /// Answers dropped at their first byte.
    pub answers_lost: u64,
    /// Requests cut short.
    pub requests_cut: u64,
    /// Connections held without an answer.
    pub stalled: u64,
    /// Live connections dropped by `cut`.
    pub cut: u64,
}

struct ProxyState {
    target: Option<SocketAddr>,
    mode: Mode,
    faults: ConnFaults,
    rng: StdRng,
    live: Vec<AbortHandle>,
    stats: ProxyStats,
}

/// A TCP forwarding proxy on a fixed loopback port: the tills are enrolled at its address,
/// so the head office can restart on another port, and the campaign can cut its links.
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<Mutex<ProxyState>>,
    accept: AbortHandle,
}

fn lock(m: &Mutex<ProxyState>) -> MutexGuard<'_, ProxyState> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Proxy {
    /// Starts listening on `127.0.0.1:0`, on `rt`.
    pub fn start(rt: &tokio::runtime::Runtime, seed: u64) -> Result<Proxy> {
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(ProxyState {
            target: None,
            mode: Mode::Pass,
            faults: ConnFaults::default(),
            rng: StdRng::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15),
            live: Vec::new(),
            stats: ProxyStats::default(),
        }));
        let shared = Arc::clone(&state);
        let accept = rt
            .spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let _ = client.set_nodelay(true);
                    handle(&shared, client);
                }
            })
            .abort_handle();
        Ok(Proxy {
            addr,
            state,
            accept,
        })
    }

    /// The address the tills use.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where to forward (`None`: the head office is down; connections are closed at once).
    pub fn set_target(&self, target: Option<SocketAddr>) {
        lock(&self.state).target = target;
    }

    /// Forward or stall new connections.
    pub fn set_mode(&self, mode: Mode) {
        lock(&self.state).mode = mode;
    }

    /// The per-connection fault rates for new connections.
    pub fn set_faults(&self, faults: ConnFaults) {
        lock(&self.state).faults = faults;
    }

    /// Drops every live connection now (both sides see the link go).
    pub fn cut(&self) -> u64 {
        let mut s = lock(&self.state);
        let live = std::mem::take(&mut s.live);
        let mut n = 0;
        for h in live {
            if !h.is_finished() {
                h.abort();
                n += 1;
            }
        }
        s.stats.cut += n;
        n
    }

    /// Back to plain forwarding: no faults, no stall, no live connection kept from before.
    pub fn heal(&self) {
        self.set_mode(Mode::Pass);
        self.set_faults(ConnFaults::default());
        self.cut();
    }

    /// The counts so far.
    #[must_use]
    pub fn stats(&self) -> ProxyStats {
        lock(&self.state).stats
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// Decides a new connection's fate and spawns its task.
fn handle(state: &Arc<Mutex<ProxyState>>, client: TcpStream) {
    let mut s = lock(state);
    s.stats.connections += 1;
    s.live.retain(|h| !h.is_finished());
    let target = s.target;
    let stall = s.mode == Mode::Stall;
    let faults = s.faults;
    let lose_answer = s.rng.random_bool(faults.lose_answer.clamp(0.0, 1.0));
    let cut_request = !lose_answer && s.rng.random_bool(faults.cut_request.clamp(0.0, 1.0));
    let cut_at: usize = s.rng.random_range(1..400);
    let task = if stall {
        s.stats.stalled += 1;
        tokio::spawn(async move {
            let _held = client;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        })
    } else if let Some(target) = target {
        let shared = Arc::clone(state);
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(target).await else {
                lock(&shared).stats.refused += 1;
                return;
            };
            let _ = server.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            let up = pipe(cr, sw, cut_request.then_some(cut_at));
            let down = pipe(sr, cw, lose_answer.then_some(0));
            match tokio::try_join!(up, down) {
                Err(Cut::Request) => lock(&shared).stats.requests_cut += 1,
                Err(Cut::Answer) => lock(&shared).stats.answers_lost += 1,
                _ => {}
            }
        })
    } else {
        s.stats.refused += 1;
        drop(client);
        return;
    };
    s.live.push(task.abort_handle());
}

/// Why a connection ended early.
#[derive(Debug)]
enum Cut {
    /// The request was cut short on purpose.
    Request,
    /// The answer was dropped on purpose.
    Answer,
    /// The link went (either side closed or failed).
    Io,
}

/// Copies `from` to `to` until EOF; with `limit`, stops after that many bytes (0: at the
/// first byte) and fails, dropping the connection.
async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    limit: Option<usize>,
) -> Result<(), Cut> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut sent = 0usize;
    loop {
        let n = from.read(&mut buf).await.map_err(|_| Cut::Io)?;
        if n == 0 {
            let _ = to.shutdown().await;
            return Ok(());
        }
        if let Some(limit) = limit
            && sent + n > limit
        {
            let _ = to.write_all(&buf[..limit - sent]).await;
            return Err(if limit == 0 {
                Cut::Answer
            } else {
                Cut::Request
            });
        }
        to.write_all(&buf[..n]).await.map_err(|_| Cut::Io)?;
        sent += n;
    }
}

/// A GET of the owner's API (`--dev-open` on loopback).
pub fn api_get(rt: &tokio::runtime::Runtime, addr: SocketAddr, path: &str) -> Result<Value> {
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        let r = client.get(format!("http://{addr}{path}")).send().await?;
        let status = r.status();
        if !status.is_success() {
            bail!("GET {path}: HTTP {status}: {}", r.text().await?);
        }
        Ok(r.json().await?)
    })
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// Waits until `f` holds or `limit` passes.
    fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if f() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        f()
    }

    #[test]
    fn database_url_names_the_new_database() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:55432/postgres", "hq_x"),
            "postgres://postgres@127.0.0.1:55432/hq_x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "n"),
            "postgres://u:p@h/n?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "n"), "postgres://h:1/n");
    }

    /// The proxy forwards, loses answers, and cuts what it holds.
    #[test]
    fn proxy_forwards_and_cuts() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // An echo server.
        let echo = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let echo_addr = echo.local_addr().unwrap();
        rt.spawn(async move {
            while let Ok((mut s, _)) = echo.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let proxy = Proxy::start(&rt, 7).unwrap();
        let round_trip = |proxy: &Proxy| {
            rt.block_on(async {
                let mut c = TcpStream::connect(proxy.addr).await.unwrap();
                c.write_all(b"ping").await.unwrap();
                let mut buf = [0u8; 4];
                tokio::time::timeout(Duration::from_secs(5), c.read_exact(&mut buf))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .map(|_| buf)
            })
        };
        // Down: closed at once.
        assert_eq!(round_trip(&proxy), None);
        assert_eq!(proxy.stats().refused, 1);
        proxy.set_target(Some(echo_addr));
        assert_eq!(round_trip(&proxy), Some(*b"ping"));
        proxy.set_faults(ConnFaults {
            lose_answer: 1.0,
            cut_request: 0.0,
        });
        assert_eq!(round_trip(&proxy), None);
        assert_eq!(proxy.stats().answers_lost, 1);
        proxy.heal();
        proxy.set_mode(Mode::Stall);
        let addr = proxy.addr;
        let held = rt.spawn(async move {
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(b"ping").await.unwrap();
            let mut buf = [0u8; 4];
            // Answered only by the cut: EOF or a reset, never the echo.
            tokio::time::timeout(Duration::from_secs(20), c.read(&mut buf))
                .await
                .map(|r| r.unwrap_or(0))
        });
        assert!(wait_until(Duration::from_secs(5), || proxy.stats().stalled == 1));
        assert_eq!(proxy.cut(), 1);
        assert_eq!(rt.block_on(held).unwrap().ok(), Some(0));
    }
}
