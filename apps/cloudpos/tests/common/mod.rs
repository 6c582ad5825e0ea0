//! A sandbox in the test process and a data directory for the `cloudpos` binary.
#![allow(dead_code, missing_docs)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use cloudpay_sandbox::{Sandbox, SandboxConfig, SandboxHandle, Timings};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_cloudpos");
pub const ADMIN_PW: &str = "admin-0101";

/// A running sandbox (on its own runtime, so the test thread can block on child
/// processes) and a configured, logged-in terminal home.
pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub sandbox: SandboxHandle,
    pub home: tempfile::TempDir,
    pub creds: PathBuf,
    pub http: reqwest::Client,
}

/// A WeChat code ending in `script`, unique in this process.
pub fn code(script: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) + u64::from(std::process::id()) * 1_000_000;
    format!("13{:014}{script}", n % 100_000_000_000_000)
}

impl Env {
    /// Starts a sandbox with fast timings, sets the merchant up, logs the admin in and
    /// shortens the payment loop so a test runs in seconds.
    pub fn start() -> Env {
        Self::start_with(Timings::fast())
    }

    pub fn start_with(timings: Timings) -> Env {
        Self::start_config(
            SandboxConfig {
                timings,
                ..SandboxConfig::default()
            },
            |_, _| {},
        )
    }

    /// Like [`Env::start_with`] with a whole sandbox configuration; `prepare` runs on the
    /// started sandbox before the merchant is set up from its credentials (e.g. to stop one
    /// of its addresses).
    pub fn start_config(
        config: SandboxConfig,
        prepare: impl FnOnce(&tokio::runtime::Runtime, &SandboxHandle),
    ) -> Env {
        // The test's own HTTP client uses rustls with ring, like the terminal's.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = rt.block_on(Sandbox::start(config)).expect("sandbox starts");
        prepare(&rt, &sandbox);
        let home = tempfile::tempdir().unwrap();
        let creds = home.path().join("creds.json");
        std::fs::write(&creds, serde_json::to_vec(&sandbox.credentials()).unwrap()).unwrap();
        let env = Env {
            rt,
            sandbox,
            home,
            creds,
            http: reqwest::Client::new(),
        };
        env.ok(
            &[
                "setup",
                "merchant",
                "--credentials",
                env.creds.to_str().unwrap(),
                "--sandbox",
            ],
            Some(ADMIN_PW),
        );
        env.ok(&["login", "--staff", "01"], Some(ADMIN_PW));
        env.ok(
            &[
                "config",
                "payment",
                "--poll-ms",
                "40",
                "--timeout-ms",
                "1200",
                "--min-reverse-ms",
                "300",
                "--reverse-backoff-ms",
                "50",
                "--reverse-budget-ms",
                "1500",
                "--refund-poll-ms",
                "40",
                "--refund-timeout-ms",
                "1500",
            ],
            None,
        );
        env
    }

    /// A sandbox with fast timings and an empty home: no merchant set up, nobody logged in
    /// (for binding by configuration QR).
    pub fn bare() -> Env {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = rt
            .block_on(Sandbox::start(SandboxConfig {
                timings: Timings::fast(),
                ..SandboxConfig::default()
            }))
            .expect("sandbox starts");
        let home = tempfile::tempdir().unwrap();
        let creds = home.path().join("creds.json");
        Env {
            rt,
            sandbox,
            home,
            creds,
            http: reqwest::Client::new(),
        }
    }

    /// `POST /sandbox/…` of the sandbox (its back-office side); the answer's JSON.
    pub fn sandbox_post(&self, path: &str, body: &Value) -> Value {
        let url = format!("http://{}/sandbox/{path}", self.sandbox.addr());
        self.rt.block_on(async {
            let resp = self.http.post(url).json(body).send().await.unwrap();
            assert!(
                resp.status().is_success(),
                "sandbox {path}: {}",
                resp.status()
            );
            resp.json().await.unwrap()
        })
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--home").arg(self.home()).args(args);
        c.env_remove("CLOUDPOS_HOME");
        c
    }

    /// Runs `cloudpos ARGS` with `stdin`.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cloudpos");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{text}\n").as_bytes())
                .unwrap();
        } else {
            drop(child.stdin.take());
        }
        child.wait_with_output().unwrap()
    }

    /// Runs and expects exit 0.
    pub fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "cloudpos {args:?} failed ({:?}): {}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs with `--json` output and parses it; returns (exit status, object).
    pub fn json(&self, args: &[&str], stdin: Option<&str>) -> (i32, Value) {
        let out = self.run(args, stdin);
        let text = String::from_utf8_lossy(&out.stdout);
        let v = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
            panic!(
                "cloudpos {args:?}: not JSON ({e}): {text} / {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), v)
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    pub fn pay(&self, yuan: &str, code: &str) -> (i32, Value) {
        self.json(&["pay", "--amount", yuan, "--code", code, "--json"], None)
    }

    /// The sandbox's ledger (orders and refunds).
    pub fn cloud_ledger(&self) -> Value {
        let url = format!("{}ledger", self.sandbox.control_url());
        self.rt.block_on(async {
            self.http
                .get(url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }

    pub fn control(&self, path: &str, body: &Value) -> Value {
        let url = format!("{}{path}", self.sandbox.control_url());
        self.rt.block_on(async {
            let resp = self.http.post(url).json(body).send().await.unwrap();
            assert!(
                resp.status().is_success(),
                "control {path}: {}",
                resp.status()
            );
            resp.json().await.unwrap_or(Value::Null)
        })
    }
}
