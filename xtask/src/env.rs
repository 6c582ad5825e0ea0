//! The world a campaign runs in: a Cloud Pay sandbox in this process, and terminal homes
//! driven through the real `cloudpos` binary (so a kill is a real process kill).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use cloudpay_sandbox::{Sandbox, SandboxConfig, SandboxHandle, Timings};
use serde_json::Value;

/// The password of the merchant admin every campaign terminal is set up with.
pub const ADMIN_PW: &str = "campaign-admin-0101";

/// Exit status of `cloudpos` for an open outcome (see `apps/cloudpos/src/exit.rs`).
pub const EXIT_PENDING: i32 = 4;
/// Exit status of a Rust panic: never acceptable.
pub const EXIT_PANIC: i32 = 101;

/// Campaign time: every protocol duration (45 s payment timeout, 2 s polls, 30 s latency,
/// 60 s limits) multiplied by one factor, so thousands of runs fit in minutes while the
/// timings keep their real proportions. Results are reported back in protocol seconds.
#[derive(Debug, Clone, Copy)]
pub struct Scale(pub f64);

impl Scale {
    /// A protocol duration in milliseconds, scaled (at least 1 ms).
    #[must_use]
    pub fn ms(self, real_ms: u64) -> u64 {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "durations of at most minutes"
        )]
        let v = (real_ms as f64 * self.0).round().max(1.0) as u64;
        v
    }

    /// A scaled protocol duration.
    #[must_use]
    pub fn dur(self, real_ms: u64) -> Duration {
        Duration::from_millis(self.ms(real_ms))
    }

    /// The longest a cashier may wait for one `cloudpos` command: the protocol's 60 s,
    /// scaled, plus the real time of starting the process and opening its store, which is
    /// not protocol time and does not shrink with the scale (on a loaded 2-core machine it
    /// reaches a few hundred ms: at scale 0.05 that alone read as several protocol seconds).
    #[must_use]
    pub fn cashier_wait_limit(self) -> Duration {
        self.dur(60_000) + Duration::from_millis(1_000)
    }

    /// A measured duration expressed back in protocol seconds.
    #[must_use]
    pub fn to_protocol_secs(self, d: Duration) -> f64 {
        d.as_secs_f64() / self.0
    }
}

/// A Cloud Pay sandbox running on its own runtime, so the campaign thread can block on
/// child processes.
pub struct Cloud {
    rt: tokio::runtime::Runtime,
    sandbox: SandboxHandle,
    http: reqwest::Client,
}

impl Cloud {
    /// Starts a sandbox whose timings are the protocol's, scaled.
    pub fn start(scale: Scale) -> Result<Cloud> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let timings = Timings {
            auto_revoke_after: scale.dur(45_000),
            slow_answer_delay: scale.dur(8_000),
            refund_settle_after: scale.dur(2_000),
            refund_settles_on_query: true,
            approval_ttl: Duration::from_secs(300),
            reverse_window: Duration::from_secs(7 * 24 * 3600),
            hang_for: scale.dur(600_000),
            auto_unfreeze_after: scale.dur(30 * 24 * 3_600_000),
        };
        let sandbox = rt
            .block_on(Sandbox::start(SandboxConfig {
                timings,
                ..SandboxConfig::default()
            }))
            .context("starting the sandbox")?;
        Ok(Cloud {
            rt,
            sandbox,
            http: reqwest::Client::new(),
        })
    }

    /// The sandbox's base URL (`http://127.0.0.1:PORT/cpay/`).
    pub fn base_url(&self) -> String {
        self.sandbox.credentials().base_url.clone()
    }

    /// Writes the credentials file a terminal is set up from; `base_url` replaces the
    /// sandbox's own address when given (an outage).
    pub fn write_credentials(&self, path: &Path, base_url: Option<&str>) -> Result<()> {
        match base_url {
            Some(url) => self.write_credentials_with(path, &[("base_url", url)]),
            None => self.write_credentials_with(path, &[]),
        }
    }

    /// Writes the credentials file with some fields replaced (`out_shop_id` and `device_id`
    /// for another of the sandbox's tills, `base_url` for an outage).
    pub fn write_credentials_with(&self, path: &Path, fields: &[(&str, &str)]) -> Result<()> {
        let mut creds = serde_json::to_value(self.sandbox.credentials())?;
        for (key, value) in fields {
            creds[*key] = Value::String((*value).to_owned());
        }
        std::fs::write(path, serde_json::to_vec(&creds)?)?;
        Ok(())
    }

    /// The sandbox's ledger: `{"orders": [...], "refunds": [...]}`.
    pub fn ledger(&self) -> Result<Value> {
        let url = format!("{}ledger", self.sandbox.control_url());
        self.rt.block_on(async {
            Ok(self
                .http
                .get(url)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?)
        })
    }

    /// Installs a fault configuration (`POST /control/faults`).
    pub fn set_faults(&self, config: &Value) -> Result<()> {
        let url = format!("{}faults", self.sandbox.control_url());
        self.rt.block_on(async {
            let r = self.http.post(url).json(config).send().await?;
            if !r.status().is_success() {
                bail!("faults refused: {}", r.text().await?);
            }
            Ok(())
        })
    }

    /// The fault counts since the last configuration.
    pub fn fault_stats(&self) -> Result<Value> {
        let url = format!("{}faults", self.sandbox.control_url());
        self.rt.block_on(async {
            let v: Value = self.http.get(url).send().await?.json().await?;
            Ok(v["stats"].clone())
        })
    }

    /// Removes every fault.
    pub fn clear_faults(&self) -> Result<()> {
        let url = format!("{}faults", self.sandbox.control_url());
        self.rt.block_on(async {
            self.http.delete(url).send().await?.error_for_status()?;
            Ok(())
        })
    }

    /// The runtime the sandbox runs on (for in-process terminals).
    #[must_use]
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.rt
    }
}

/// A WeChat payment code ending in the sandbox script `script`, unique in this run.
#[must_use]
pub fn code(script: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) + u64::from(std::process::id()) * 1_000_000;
    format!("13{:014}{script}", n % 100_000_000_000_000)
}

/// A terminal home driven through the `cloudpos` binary.
pub struct Till {
    bin: PathBuf,
    home: PathBuf,
    _owned: Option<tempfile::TempDir>,
}

impl Till {
    /// A terminal in a new temporary directory.
    pub fn temp(bin: &Path) -> Result<Till> {
        let dir = tempfile::tempdir()?;
        Ok(Till {
            bin: bin.to_owned(),
            home: dir.path().to_owned(),
            _owned: Some(dir),
        })
    }

    /// A terminal in `home` (kept).
    #[must_use]
    pub fn at(bin: &Path, home: &Path) -> Till {
        Till {
            bin: bin.to_owned(),
            home: home.to_owned(),
            _owned: None,
        }
    }

    /// The data directory.
    #[must_use]
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Sets the merchant up against `cloud`, logs the admin in, and scales the payment
    /// loop and the network timeouts.
    pub fn setup(&self, cloud: &Cloud, scale: Scale) -> Result<()> {
        self.setup_with(cloud, scale, &[])
    }

    /// As `setup`, with credential fields replaced (another shop and device of the sandbox's
    /// merchant, for several tills).
    pub fn setup_with(&self, cloud: &Cloud, scale: Scale, fields: &[(&str, &str)]) -> Result<()> {
        let creds = self.home.join("campaign-credentials.json");
        cloud.write_credentials_with(&creds, fields)?;
        let path = creds.to_string_lossy().into_owned();
        self.ok(
            &["setup", "merchant", "--credentials", &path, "--sandbox"],
            Some(ADMIN_PW),
        )?;
        self.ok(&["login", "--staff", "01"], Some(ADMIN_PW))?;
        let ms = |real| scale.ms(real).to_string();
        self.ok(
            &[
                "config",
                "payment",
                "--poll-ms",
                &ms(2_000),
                "--timeout-ms",
                &ms(45_000),
                "--min-reverse-ms",
                &ms(15_000),
                "--reverse-backoff-ms",
                &ms(1_000),
                "--reverse-budget-ms",
                &ms(12_000),
                "--refund-poll-ms",
                &ms(2_000),
                "--refund-timeout-ms",
                &ms(30_000),
            ],
            None,
        )?;
        // The client's own timeouts may not go below 100 ms.
        let net = |real: u64| scale.ms(real).max(100).to_string();
        self.ok(
            &[
                "config",
                "network",
                "--connect-timeout-ms",
                &net(3_000),
                "--request-timeout-ms",
                &net(10_000),
            ],
            None,
        )?;
        Ok(())
    }

    /// (Re)configures the merchant: the sandbox, or `base_url` instead (an outage).
    pub fn point_at(&self, cloud: &Cloud, base_url: Option<&str>) -> Result<()> {
        let creds = self.home.join("campaign-credentials.json");
        cloud.write_credentials(&creds, base_url)?;
        let path = creds.to_string_lossy().into_owned();
        self.ok(
            &["setup", "merchant", "--credentials", &path, "--sandbox"],
            Some(ADMIN_PW),
        )?;
        Ok(())
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--home").arg(&self.home).args(args);
        c.env_remove("CLOUDPOS_HOME");
        c.env_remove("RUST_LOG");
        c
    }

    /// Runs `cloudpos ARGS`, `stdin` written as one line.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<Output> {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        if let Some(mut pipe) = child.stdin.take()
            && let Some(text) = stdin
        {
            // The process may have exited already (a refusal): a broken pipe is fine.
            let _ = pipe.write_all(format!("{text}\n").as_bytes());
        }
        Ok(child.wait_with_output()?)
    }

    /// Runs and requires exit 0; returns stdout.
    pub fn ok(&self, args: &[&str], stdin: Option<&str>) -> Result<String> {
        let out = self.run(args, stdin)?;
        if !out.status.success() {
            bail!(
                "cloudpos {} failed ({:?}): {}{}",
                args.join(" "),
                out.status.code(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs a `--json` command: (exit status, parsed stdout or `null`, stderr).
    pub fn json(&self, args: &[&str]) -> Result<(i32, Value, String)> {
        let out = self.run(args, None)?;
        let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        Ok((
            status_of(&out),
            v,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// Starts `cloudpos ARGS` without waiting (to kill it).
    pub fn spawn(&self, args: &[&str]) -> Result<Child> {
        Ok(self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?)
    }

    /// Every local order (`orders --json`).
    pub fn orders(&self) -> Result<Vec<Value>> {
        let (status, v, err) = self.json(&["orders", "--json"])?;
        match v {
            Value::Array(list) if status == 0 => Ok(list),
            _ => bail!("orders --json failed ({status}): {err}"),
        }
    }

    /// Runs `cloudpos recover` until nothing is left open, for at most `limit`; returns
    /// how long it took.
    pub fn recover_all(&self, limit: Duration) -> Result<Duration> {
        let started = Instant::now();
        loop {
            let out = self.run(&["recover", "--json"], None)?;
            let status = status_of(&out);
            if status == 0 {
                return Ok(started.elapsed());
            }
            if status == EXIT_PANIC || status < 0 {
                bail!(
                    "recover crashed ({status}): {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            if started.elapsed() > limit {
                bail!(
                    "recovery did not finish within {limit:?}: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The exit status, or -signal for a process killed by a signal.
#[must_use]
pub fn status_of(out: &Output) -> i32 {
    out.status.code().unwrap_or_else(|| {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            -out.status.signal().unwrap_or(0)
        }
        #[cfg(not(unix))]
        {
            -1
        }
    })
}

/// Yuan text of an amount in fen.
#[must_use]
pub fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Locates (building if needed) the `cloudpos` binary of this workspace, with the same
/// profile as this program.
pub fn cloudpos_binary(explicit: Option<&Path>) -> Result<PathBuf> {
    match explicit {
        Some(p) => Ok(p.to_owned()),
        None => workspace_binary("cloudpos", "cloudpos"),
    }
}

/// Builds (if needed) and locates the binary `bin` of the workspace package `package`, with
/// the same profile as this program.
pub fn workspace_binary(package: &str, bin: &str) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--quiet",
        "--package",
        package,
        "--bin",
        bin,
        "--message-format=json",
    ]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build")?;
    if !out.status.success() {
        bail!("cargo build -p {package} failed");
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact"
            && msg["target"]["name"] == bin
            && let Some(exe) = msg["executable"].as_str()
        {
            return Ok(PathBuf::from(exe));
        }
    }
    bail!("cargo build did not report the {bin} executable")
}
