//! A throwaway PostgreSQL for tests and benches.
//!
//! With `CLOUDPOS_TEST_DATABASE_URL` set (`.ci/run` starts its own throwaway cluster and
//! sets it), that server is used; each test gets a fresh database on it. Otherwise a cluster
//! is made with `initdb` in a temporary directory and started on a free loopback port. As
//! root (PostgreSQL refuses to run as root) it runs as the `postgres` system user (or
//! `nobody`) through `setpriv`. A watchdog shell holds the cluster: when this process ends,
//! for whatever reason, its pipe closes and the watchdog stops PostgreSQL and removes the
//! directory. When no PostgreSQL can be started the tests fail, naming why — never pass.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use sqlx::Connection as _;

/// The environment variable naming a server to use instead of starting one.
pub const DATABASE_URL_ENV: &str = "CLOUDPOS_TEST_DATABASE_URL";

/// How the cluster trades safety for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `fsync=off`: for tests (the cluster is thrown away).
    Tests,
    /// PostgreSQL's defaults (`fsync=on`, `synchronous_commit=on`): for benches.
    Real,
}

/// A PostgreSQL server to make databases on.
pub struct TestPostgres {
    admin_url: String,
    /// Keeps the watchdog's stdin open for as long as this lives (the process, for the shared one).
    _watchdog: Option<Mutex<ChildStdin>>,
    data_dir: Option<PathBuf>,
}

static SHARED: OnceLock<Result<TestPostgres, String>> = OnceLock::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestPostgres {
    /// The process-wide server for tests; panics with the reason when none can be had.
    pub fn shared() -> &'static TestPostgres {
        let r = SHARED.get_or_init(|| match std::env::var(DATABASE_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => Ok(TestPostgres {
                admin_url: url,
                _watchdog: None,
                data_dir: None,
            }),
            _ => TestPostgres::start(Durability::Tests),
        });
        match r {
            Ok(pg) => pg,
            Err(e) => panic!(
                "PostgreSQL could not be started for the head office tests: {e}\n\
                 Install Debian's `postgresql` package (it provides initdb), or set \
                 {DATABASE_URL_ENV} to a server where this user may CREATE DATABASE."
            ),
        }
    }

    /// Starts a new throwaway cluster.
    pub fn start(durability: Durability) -> Result<TestPostgres, String> {
        let bin = find_bindir()
            .ok_or("initdb was not found (looked in /usr/lib/postgresql/*/bin and PATH)")?;
        let dir = std::env::temp_dir().join(format!(
            "cloudpos-hq-pg-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let as_user = run_as_prefix(&dir)?;
        let data = dir.join("data");
        let out = Command::new(&as_user[0])
            .args(&as_user[1..])
            .arg(bin.join("initdb"))
            .args(["-D"])
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .output()
            .map_err(|e| format!("running initdb: {e}"))?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("finding a free port: {e}"))?
            .port();
        let mut settings = vec![
            "-c".to_owned(),
            "max_connections=300".to_owned(),
            "-c".to_owned(),
            "shared_buffers=256MB".to_owned(),
        ];
        if durability == Durability::Tests {
            for s in [
                "fsync=off",
                "synchronous_commit=off",
                "full_page_writes=off",
            ] {
                settings.push("-c".into());
                settings.push(s.into());
            }
        }
        let postgres = format!(
            "{} {} -D {} -k {} -h 127.0.0.1 -p {port} {}",
            as_user
                .iter()
                .map(|a| shell_quote(a))
                .collect::<Vec<_>>()
                .join(" "),
            shell_quote(&bin.join("postgres").to_string_lossy()),
            shell_quote(&data.to_string_lossy()),
            shell_quote(&dir.to_string_lossy()),
            settings.join(" ")
        );
        let script = format!(
            "{postgres} >{log} 2>&1 & pg=$!\nread -r _\nkill -INT $pg 2>/dev/null\nwait $pg\nrm -rf {dir}\n",
            log = shell_quote(&dir.join("postgres.log").to_string_lossy()),
            dir = shell_quote(&dir.to_string_lossy()),
        );
        let mut child = Command::new("bash")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting PostgreSQL: {e}"))?;
        let stdin = child.stdin.take().ok_or("no pipe to the watchdog")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
                let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
                return Err(format!("PostgreSQL did not start: {}", log.trim()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(TestPostgres {
            admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            _watchdog: Some(Mutex::new(stdin)),
            data_dir: Some(dir),
        })
    }

    /// The URL of the server's `postgres` database (a superuser on a throwaway cluster).
    #[must_use]
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// The cluster's directory, when this process started it.
    #[must_use]
    pub fn data_dir(&self) -> Option<&Path> {
        self.data_dir.as_deref()
    }

    /// Creates a new empty database and returns its URL.
    pub async fn fresh_database(&self) -> String {
        let name = format!(
            "hq_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            crate::db::now_ms() % 1_000_000
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let attempt = async {
                let mut c = sqlx::PgConnection::connect(&self.admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut c)
                    .await?;
                c.close().await
            }
            .await;
            match attempt {
                Ok(()) => break,
                // "the database system is starting up", or a connection race: try again.
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!("waiting for PostgreSQL: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!(
                    "PostgreSQL at {} refused to create a test database: {e}",
                    self.admin_url
                ),
            }
        }
        with_database(&self.admin_url, &name)
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // Closing the pipe tells the watchdog to stop the cluster and remove its directory.
        if let Some(w) = self._watchdog.take()
            && let Ok(mut stdin) = w.into_inner()
        {
            let _ = stdin.write_all(b"stop\n");
        }
    }
}

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

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn find_bindir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).or_else(|| {
        std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .find(|d| d.join("initdb").exists() && d.join("postgres").exists())
        })
    })
}

/// The command prefix that runs PostgreSQL as an unprivileged user when we are root, after
/// giving that user the directory; empty otherwise.
fn run_as_prefix(dir: &Path) -> Result<Vec<String>, String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("running id: {e}"))?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Ok(vec!["env".into()]);
    }
    let user = ["postgres", "nobody"]
        .into_iter()
        .find(|u| {
            Command::new("id")
                .arg(u)
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .ok_or(
            "running as root and neither a `postgres` nor a `nobody` user exists to run PostgreSQL",
        )?;
    let status = Command::new("chown")
        .args(["-R", &format!("{user}:")])
        .arg(dir)
        .status()
        .map_err(|e| format!("chown: {e}"))?;
    if !status.success() {
        return Err(format!("could not give {} to {user}", dir.display()));
    }
    Ok(vec![
        "setpriv".into(),
        format!("--reuid={user}"),
        format!("--regid={user}"),
        "--clear-groups".into(),
        "--".into(),
    ])
}
