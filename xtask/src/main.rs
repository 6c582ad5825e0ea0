//! `cargo xtask`: CloudPOS project tasks.
//!
//! `cargo xtask campaign [NAME…] [--size ci|long] [--runs N] [--seed S]` runs the seeded
//! reliability campaigns of `docs/reliability.md` against the real `cloudpos` binary and
//! an in-process Cloud Pay sandbox. Every campaign prints its seed; the same seed replays
//! the same decisions (process timing still varies, so kills land at nearby moments).
//!
//! `cargo xtask dist [--target TRIPLE] [--profile P] [--out DIR] [--no-build]` builds the
//! programs and writes the distributable archive (`dist.rs`): a `.zip` for Windows, a
//! `.tar.gz` elsewhere, with the quick start, the licences and `SHA256SUMS`.
//!
//! `cargo xtask keygen`, `cargo xtask sign-release` and `cargo xtask release` make signed
//! update feeds (`release.rs`; see the README's "Software updates" section).

mod check;
mod crash;
mod deposit_check;
mod deposits;
mod disk;
mod dist;
mod duplicate;
mod env;
mod faults;
mod hq;
mod hq_check;
mod hq_env;
mod outage;
mod recharge;
mod release;
mod report;
mod revoke;
mod storm;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

use crate::env::Scale;
use crate::report::Outcome;

/// CloudPOS project tasks.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run reliability campaigns (all of them when none is named).
    Campaign(CampaignArgs),
    /// Build and write the distributable archive (dist/cloudpos-VERSION-OS-ARCH.zip or
    /// .tar.gz; --out is relative to the workspace root).
    Dist(dist::DistArgs),
    /// Build the distributable for a target (as `dist`) and, with --key and --feed, sign it
    /// into an update feed.
    Release(release::ReleaseArgs),
    /// Sign a release archive into an update feed: the archive, manifest.json and
    /// manifest.json.minisig.
    SignRelease(release::SignArgs),
    /// Make a release signing key pair: KEYFILE (secret, 0600, password-protected) and
    /// KEYFILE.pub.
    Keygen(release::KeygenArgs),
}

#[derive(Debug, clap::Args)]
struct CampaignArgs {
    /// Campaigns to run.
    #[arg(value_enum)]
    names: Vec<Name>,
    /// Runs per campaign: `ci` (minutes) or `long` (hours).
    #[arg(long, value_enum, default_value = "ci")]
    size: Size,
    /// Runs per campaign, overriding `--size`.
    #[arg(long)]
    runs: Option<u64>,
    /// Seed (default: a fixed one per campaign; any u64 replays a run).
    #[arg(long)]
    seed: Option<u64>,
    /// Time scale: protocol durations are multiplied by this (0.05 = 20× faster).
    #[arg(long, default_value_t = 0.05)]
    scale: f64,
    /// The `cloudpos` binary (default: build it).
    #[arg(long, value_name = "PATH")]
    cloudpos: Option<PathBuf>,
    /// Write the results as JSON.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

/// The campaigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Name {
    /// SIGKILL during pay, query, reverse, refund and recovery; restart and recover.
    Crash,
    /// Latency, hangs, resets, truncated bodies, status 3/103, HTTP 5xx, slow customers.
    Faults,
    /// The customer pays between the last query and the reverse.
    RevokeRace,
    /// The same code scanned twice within 2 s.
    Duplicate,
    /// 2–8 concurrent refunds of one payment.
    RefundStorm,
    /// Cloud unreachable (refused, unresolvable, black hole, dead proxy).
    Outage,
    /// Disk full mid-trade; corrupted database, key file and settings.
    Disk,
    /// Deposits: SIGKILL during freeze, consume, release, query and recovery.
    DepositCrash,
    /// Deposits: every deposit call delayed, hung, reset, dropped, truncated, 3/103, 5xx.
    DepositFaults,
    /// SIGKILL during member-card recharges and card payments: every credit has a paid
    /// payment and every paid recharge its credit.
    Recharge,
    /// Head office: three tills push while the head office is killed and restarted, their
    /// syncs are killed mid-push and the links are cut; then the head office must equal the
    /// union of the tills' ledgers. Needs CLOUDPOS_TEST_DATABASE_URL (a PostgreSQL server).
    Hq,
}

impl Name {
    const ALL: [Name; 11] = [
        Name::Crash,
        Name::Faults,
        Name::RevokeRace,
        Name::Duplicate,
        Name::RefundStorm,
        Name::Outage,
        Name::Disk,
        Name::DepositCrash,
        Name::DepositFaults,
        Name::Recharge,
        Name::Hq,
    ];

    /// Runs per size, and the default seed.
    fn plan(self, size: Size) -> (u64, u64) {
        let (ci, long, seed) = match self {
            Name::Crash => (300, 10_000, 0xC0FF_EE00_2026),
            Name::Faults => (200, 5_000, 0xFA17_0001),
            Name::RevokeRace => (30, 1_000, 0x4EE0_0001),
            Name::Duplicate => (40, 1_000, 0xD0B1_0001),
            Name::RefundStorm => (25, 1_000, 0x5702_0001),
            Name::Outage => (16, 200, 0x0074_0001),
            Name::Disk => (30, 1_000, 0xD15C_0001),
            Name::DepositCrash => (150, 5_000, 0xDE90_5170),
            Name::DepositFaults => (100, 3_000, 0xDE90_FA17),
            Name::Recharge => (150, 5_000, 0x4EC4_0001),
            Name::Hq => (40, 1_000, 0x04E0_0019),
        };
        (if size == Size::Long { long } else { ci }, seed)
    }
}

/// Campaign sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Size {
    /// Minutes: what CI runs on every submission.
    Ci,
    /// Hours: the long campaign.
    Long,
}

/// What every campaign is given.
pub struct Ctx {
    /// The `cloudpos` binary.
    pub bin: PathBuf,
    /// Time scale.
    pub scale: Scale,
    /// Seed.
    pub seed: u64,
    /// Runs.
    pub runs: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Task::Campaign(args) => match campaign(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("xtask: {e:#}");
                ExitCode::FAILURE
            }
        },
        Task::Dist(args) => done(dist::run(&args).map(|_| ())),
        Task::Release(args) => done(release::release(&args)),
        Task::SignRelease(args) => done(release::sign_release(&args)),
        Task::Keygen(args) => done(release::keygen(&args)),
    }
}

fn done(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn campaign(args: &CampaignArgs) -> Result<bool> {
    if !(0.001..=1.0).contains(&args.scale) {
        anyhow::bail!("--scale must be between 0.001 and 1");
    }
    let bin = env::cloudpos_binary(args.cloudpos.as_deref())?;
    let names: Vec<Name> = if args.names.is_empty() {
        Name::ALL.to_vec()
    } else {
        args.names.clone()
    };
    let mut outcomes = Vec::new();
    for name in names {
        let (runs, seed) = name.plan(args.size);
        let ctx = Ctx {
            bin: bin.clone(),
            scale: Scale(args.scale),
            seed: args.seed.unwrap_or(seed),
            runs: args.runs.unwrap_or(runs),
        };
        eprintln!(
            "── campaign {name:?}: {} runs, seed {}, scale {} ──",
            ctx.runs, ctx.seed, args.scale
        );
        let started = Instant::now();
        let result = match name {
            Name::Crash => crash::run(&ctx),
            Name::Faults => faults::run(&ctx),
            Name::RevokeRace => revoke::run(&ctx),
            Name::Duplicate => duplicate::run(&ctx),
            Name::RefundStorm => storm::run(&ctx),
            Name::Outage => outage::run(&ctx),
            Name::Disk => disk::run(&ctx),
            Name::DepositCrash => deposits::crash(&ctx),
            Name::DepositFaults => deposits::faults(&ctx),
            Name::Recharge => recharge::run(&ctx),
            Name::Hq => hq::run(&ctx),
        };
        let outcome = match result {
            Ok(mut o) => {
                o.elapsed_s = started.elapsed().as_secs_f64();
                o
            }
            Err(e) => Outcome::aborted(&format!("{name:?}"), &ctx, &e, started.elapsed()),
        };
        outcome.print();
        outcomes.push(outcome);
    }
    if let Some(path) = &args.report {
        std::fs::write(path, serde_json::to_vec_pretty(&outcomes)?)?;
    }
    report::print_table(&outcomes);
    Ok(outcomes.iter().all(Outcome::passed))
}
