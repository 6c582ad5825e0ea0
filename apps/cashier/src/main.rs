//! `cashier`: the CloudPOS desktop app. One instance per data directory; a second start asks
//! the running one to come to the front and exits.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use cashier::instance_lock::{InstanceLock, LockError};
use clap::Parser;
use cloudpos_terminal::resolve_home;

/// CloudPOS cashier (desktop).
#[derive(Debug, Parser)]
#[command(name = "cashier", version, about)]
struct Args {
    /// Data directory (default: $CLOUDPOS_HOME, else the platform's data directory); the
    /// same one the `cloudpos` command line uses.
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Do not start global hotkeys, the scanner listener or the scanner box.
    #[arg(long)]
    no_devices: bool,
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CLOUDPOS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let args = Args::parse();
    let home = resolve_home(args.home.as_deref());
    let lock = match InstanceLock::acquire(&home) {
        Ok(lock) => Arc::new(lock),
        Err(LockError::AlreadyRunning(e)) => {
            eprintln!("cashier: {e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("cashier: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cashier::run(cashier::Options {
        home,
        lock: Some(lock),
        devices: !args.no_devices,
        program_dir: None,
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cashier: {e}");
            ExitCode::FAILURE
        }
    }
}
