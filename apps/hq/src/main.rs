//! `cloudpos-hq`: the head office service and its admin commands.
//!
//! The service's first stdout line is `listening on http://HOST:PORT` (`https://` with TLS),
//! printed once the migrations ran and the socket is bound, so scripts can find it.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use cloudpos_hq::{ServerConfig, TlsFiles, auth, db, server};

/// CloudPOS head office: tills push their ledgers' change streams into PostgreSQL; the owner
/// sees every store in one place (web page and JSON API).
#[derive(Debug, Parser)]
#[command(name = "cloudpos-hq", version, args_conflicts_with_subcommands = true)]
struct Cli {
    /// PostgreSQL URL, e.g. postgres://hq@127.0.0.1/hq (or $CLOUDPOS_HQ_DATABASE_URL, which
    /// keeps a password out of the process list).
    #[arg(
        long,
        env = "CLOUDPOS_HQ_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    database_url: Option<String>,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free one). Plain HTTP only on loopback.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// TLS certificate chain (PEM); with --tls-key, serves HTTPS.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Serve the owner's API and page without a credential (loopback only; for trying it out).
    #[arg(long)]
    dev_open: bool,
    /// The shops' UTC offset (`+08:00`): days, `from`/`to` and displayed times.
    #[arg(long, default_value = "+08:00", value_parser = parse_offset, allow_hyphen_values = true)]
    utc_offset: i32,
    /// Most PostgreSQL connections.
    #[arg(long, default_value_t = 16)]
    max_connections: u32,
    /// Testing only: abort the process before committing the Nth push with new changes.
    #[arg(long, hide = true)]
    crash_before_commit: Option<u64>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Enrol a till: prints a one-time token (alone on stdout) that the till exchanges for
    /// its credential. Enrolling the same store and device again replaces its credential.
    Enrol {
        /// Store name (the owner's grouping; e.g. 南山店).
        #[arg(long)]
        store: String,
        /// Device id of the till within the store.
        #[arg(long)]
        device: String,
        /// Hours the token stays valid.
        #[arg(long, default_value_t = 24)]
        valid_hours: u64,
    },
    /// Owner accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add an owner (or set a new password); the password is read from stdin.
    Add {
        /// User name.
        #[arg(long)]
        name: String,
    },
}

fn parse_offset(text: &str) -> Result<i32, String> {
    let bad = || format!("\"{text}\" is not a UTC offset like +08:00");
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let h: i32 = h.parse().map_err(|_| bad())?;
    let m: i32 = m.parse().map_err(|_| bad())?;
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(sign * (h * 3600 + m * 60))
}

fn read_password() -> anyhow::Result<String> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("password: ").context("cannot read the password")?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if text.is_empty() {
        bail!("no password given on stdin");
    }
    Ok(text)
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("cloudpos-hq: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let Some(url) = cli.database_url.as_deref() else {
        bail!("give --database-url URL (or set CLOUDPOS_HQ_DATABASE_URL)");
    };
    match cli.command {
        Some(Command::Enrol {
            store,
            device,
            valid_hours,
        }) => {
            let pool = db::connect(url, 2).await?;
            let token = auth::create_enrolment(
                &pool,
                &store,
                &device,
                Duration::from_secs(valid_hours.saturating_mul(3600)),
            )
            .await?;
            println!("{}", token.as_str());
            Ok(())
        }
        Some(Command::User {
            command: UserCommand::Add { name },
        }) => {
            let password = zeroize::Zeroizing::new(read_password()?);
            let pool = db::connect(url, 2).await?;
            auth::add_owner(&pool, &name, &password, auth::PasswordCost::Interactive).await?;
            eprintln!("owner {name} saved");
            Ok(())
        }
        None => serve(url, cli.serve).await,
    }
}

async fn serve(url: &str, args: ServeArgs) -> anyhow::Result<()> {
    let config = ServerConfig {
        listen: args.listen,
        tls: args
            .tls_cert
            .zip(args.tls_key)
            .map(|(cert, key)| TlsFiles { cert, key }),
        dev_open: args.dev_open,
        offset_seconds: args.utc_offset,
        crash_before_commit: args.crash_before_commit,
    };
    config.check()?;
    let pool = db::connect(url, args.max_connections).await?;
    let running = server::start(pool, config).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", running.url())?;
        out.flush()?;
    }
    wait_for_stop().await;
    running.shutdown().await;
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
