//! The `deposit` commands' grammar (押金 / pre-authorisation). Command and flag names are a
//! contract: keep them.

use clap::{Args, Subcommand};

/// `deposit …`
#[derive(Debug, Subcommand)]
pub enum DepositCommand {
    /// Freeze an amount on the customer's wallet (WeChat Pay or Alipay code). Exit 0 when
    /// frozen, 3 when nothing was frozen (failed, or not confirmed in time and released
    /// again), 4 while the outcome is still open (`cloudpos recover` resolves it).
    Freeze(FreezeArgs),
    /// Take part or all of a frozen deposit (at most what is frozen); the rest is released
    /// at once. Creates a paid order (`out_trade_no`), refunded like any order.
    Consume {
        /// The deposit (out_freeze_no).
        #[arg(long, value_name = "NO")]
        freeze: String,
        /// Amount to take in yuan (full-width digits accepted).
        #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
        amount: String,
        /// Remark of the consume order (default: the deposit's).
        #[arg(long, value_name = "TEXT", default_value = "")]
        remark: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Release everything a frozen deposit holds. Needs refund permission; a clerk without
    /// it needs --manager (the manager's password on stdin), --qr or --approval.
    Unfreeze(UnfreezeArgs),
    /// Show one deposit, asking Cloud Pay where it stands.
    Query {
        /// The deposit (out_freeze_no).
        #[arg(long, value_name = "NO")]
        freeze: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List deposits, newest first.
    List(DepositListArgs),
    /// Print a deposit's slip (freeze, consume or release, as it stands) on the configured
    /// printer, or write a PNG of it with --png.
    Receipt {
        /// The deposit (out_freeze_no).
        #[arg(long, value_name = "NO")]
        freeze: String,
        /// Write the slip as a PNG instead of printing it.
        #[arg(long, value_name = "FILE")]
        png: Option<std::path::PathBuf>,
    },
    /// Show or set the cashier mode: payments (收银), deposits (押金) or mixed (混合); the
    /// GUI shows its screens accordingly. Setting it needs the configure permission.
    Mode {
        /// payments, deposits or mixed.
        #[arg(long, value_name = "MODE")]
        set: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `deposit freeze …`
#[derive(Debug, Args)]
pub struct FreezeArgs {
    /// Amount in yuan, at most 2 decimals (full-width digits accepted); at most the
    /// configured maximum per payment.
    #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
    pub amount: String,
    /// The customer's payment code (WeChat Pay or Alipay).
    #[arg(long, value_name = "CODE")]
    pub code: String,
    /// Remark (a room number, the item rented).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub remark: String,
    /// Seconds from the freeze to releasing it if still not confirmed (default 45).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `deposit unfreeze …`
#[derive(Debug, Args)]
pub struct UnfreezeArgs {
    /// The deposit (out_freeze_no).
    #[arg(long, value_name = "NO")]
    pub freeze: String,
    /// A manager authorises the release (their password is read from stdin).
    #[arg(long, value_name = "ID", conflicts_with_all = ["qr", "approval"])]
    pub manager: Option<String>,
    /// A manager approves on their phone: show a QR code and wait (up to 5 minutes).
    #[arg(long, conflicts_with = "approval")]
    pub qr: bool,
    /// Use a challenge a manager already approved.
    #[arg(long, value_name = "TOKEN")]
    pub approval: Option<String>,
    /// Why (kept with the deposit).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub reason: String,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `deposit list …`
#[derive(Debug, Args)]
pub struct DepositListArgs {
    /// Created at or after (YYYY-MM-DD[ HH:MM[:SS]] shop time, or Unix seconds).
    #[arg(long, value_name = "T")]
    pub from: Option<String>,
    /// Created before.
    #[arg(long, value_name = "T")]
    pub to: Option<String>,
    /// frozen, failed, unknown, consumed or unfrozen.
    #[arg(long, value_name = "S")]
    pub state: Option<String>,
    /// Clerk id (managers may ask for anyone).
    #[arg(long, value_name = "ID")]
    pub clerk: Option<String>,
    /// Print a JSON array.
    #[arg(long)]
    pub json: bool,
}
