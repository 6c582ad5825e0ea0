//! `cloudpay-sandbox`: runs the sandbox until Ctrl-C / SIGTERM.
//!
//! The first stdout line is `listening on http://127.0.0.1:PORT`; with several `--addr`, one
//! such line per address follows, in order. The credentials file (when asked for) is
//! complete before the first line is printed.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use cloudpay_sandbox::{SandboxConfig, SignKeyMode, Timings};

/// A local Cloud Pay server speaking the real protocol (envelope, HMAC, RSA-PSS), with
/// scripted payment outcomes, fault injection and test control endpoints.
#[derive(Debug, Parser)]
#[command(name = "cloudpay-sandbox", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port). Repeat it to serve the same state on
    /// several addresses, as several Cloud Pay domains (failover tests); the credentials then
    /// list them all in `base_urls`.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: Vec<SocketAddr>,
    /// Write the demo merchant's credentials (JSON) to this file.
    #[arg(long)]
    credentials_out: Option<PathBuf>,
    /// Keep accounts and ledger in this JSON file across restarts.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// Use this HMAC key instead of a random one.
    #[arg(long, env = "CLOUDPAY_SANDBOX_AUTHEN_KEY")]
    authen_key: Option<String>,
    /// Order prefix of the demo sub-merchant.
    #[arg(long)]
    order_prefix: Option<String>,
    /// RSA private key (PEM) of the sub-merchant, instead of generating one.
    #[arg(long)]
    sign_private_key: Option<PathBuf>,
    /// Do not generate an RSA key pair (signed refunds/reverses are then refused).
    #[arg(long)]
    no_sign_key: bool,
    /// Millisecond-scale timings for tests (auto-revoke 1.5 s, slow answer 300 ms, …);
    /// the flags below override single values.
    #[arg(long)]
    fast: bool,
    /// Auto-revoke unpaid payment-code orders after this many ms (default 45000).
    #[arg(long)]
    auto_revoke_ms: Option<u64>,
    /// Deposits are released by the wallet this many ms after the freeze (default
    /// 2592000000, 30 days; 86400000 with --fast).
    #[arg(long)]
    auto_unfreeze_ms: Option<u64>,
    /// Delay of the `…08` scripted answer, ms (default 8000).
    #[arg(long)]
    slow_answer_ms: Option<u64>,
    /// Refunds turn from processing to success after this many ms (default 2000).
    #[arg(long)]
    refund_settle_ms: Option<u64>,
    /// Whether a processing refund is reported successful at its next query.
    #[arg(long)]
    refund_settles_on_query: Option<bool>,
    /// Approval challenges expire after this many ms (default 300000).
    #[arg(long)]
    approval_ttl_ms: Option<u64>,
}

fn timings(args: &Args) -> Timings {
    let mut t = if args.fast {
        Timings::fast()
    } else {
        Timings::default()
    };
    if let Some(ms) = args.auto_revoke_ms {
        t.auto_revoke_after = Duration::from_millis(ms);
    }
    if let Some(ms) = args.auto_unfreeze_ms {
        t.auto_unfreeze_after = Duration::from_millis(ms);
    }
    if let Some(ms) = args.slow_answer_ms {
        t.slow_answer_delay = Duration::from_millis(ms);
    }
    if let Some(ms) = args.refund_settle_ms {
        t.refund_settle_after = Duration::from_millis(ms);
    }
    if let Some(on) = args.refund_settles_on_query {
        t.refund_settles_on_query = on;
    }
    if let Some(ms) = args.approval_ttl_ms {
        t.approval_ttl = Duration::from_millis(ms);
    }
    t
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    let (first, extra) = args
        .addr
        .split_first()
        .map(|(f, rest)| (*f, rest.to_vec()))
        .context("no --addr")?;
    let mut config = SandboxConfig {
        addr: first,
        extra_addrs: extra,
        timings: timings(&args),
        state_file: args.state_file.clone(),
        ..SandboxConfig::default()
    };
    config.merchant.authen_key.clone_from(&args.authen_key);
    if let Some(prefix) = &args.order_prefix {
        config.merchant.order_prefix.clone_from(prefix);
    }
    if let Some(path) = &args.sign_private_key {
        let pem =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        config.merchant.sign_private_key_pem = Some(pem);
    }
    if args.no_sign_key {
        config.sign_key = SignKeyMode::ConfiguredOnly;
    }
    let handle = cloudpay_sandbox::Sandbox::start(config)
        .await
        .context("starting the sandbox")?;
    if let Some(path) = &args.credentials_out {
        let json = serde_json::to_string_pretty(&handle.credentials())?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, json).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    }
    {
        let mut out = std::io::stdout().lock();
        for addr in handle.addrs() {
            writeln!(out, "listening on http://{addr}")?;
        }
        out.flush()?;
    }
    wait_for_stop().await;
    handle.shutdown().await;
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
