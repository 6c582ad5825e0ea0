//! `cloudpos`: the CloudPOS cashier terminal on the command line.
//!
//! A thin shell over `cloudpos-terminal`: it parses arguments, reads passwords from stdin,
//! calls one use case and prints its result (human text, or one JSON object with `--json`).
//! One place, [`main`], decides how errors reach the user: one line on stderr and an exit
//! status (see [`exit`]).

mod cli;
mod cli_deposit;
mod cli_member;
mod cli_onecode;
mod commands;
mod demo;
mod exit;
mod input;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cloudpos: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // One line naming the problem; each cause adds context unless the message
            // before it already says it (transparent error wrappers repeat their source).
            let mut parts: Vec<String> = Vec::new();
            for cause in e.chain() {
                let text = cause.to_string();
                if !parts.last().is_some_and(|prev| prev.contains(&text)) {
                    parts.push(text);
                }
            }
            let msg = parts.join(": ");
            eprintln!("cloudpos: {}", msg.replace('\n', " "));
            ExitCode::from(exit::ERROR)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CLOUDPOS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
