//! The `onecode` commands' grammar (一码支付打印: payments by the shop's printed QR code) and
//! `config onecode`. Command and flag names are a contract: keep them.

use clap::{Args, Subcommand};

/// `onecode …`
#[derive(Debug, Subcommand)]
pub enum OnecodeCommand {
    /// Print (and announce with --speak) every new paid static-QR payment since the last one
    /// handled, each exactly once, then keep watching every configured interval (or stop
    /// with --once). A payment is handled once, whichever process sees it first.
    Watch {
        /// Look once and exit.
        #[arg(long)]
        once: bool,
        /// One JSON object per line: out_trade_no, amount_fen, wallet, paid_at.
        #[arg(long)]
        json: bool,
        /// Announce each payment on the sound device (as configured with `config voice`).
        #[arg(long)]
        speak: bool,
    },
    /// The payments handled, newest first (state done, or interrupted by a crash).
    List {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Print a handled payment's receipt again (one a crash may have cost).
    Reprint {
        /// Its order number (out_trade_no).
        #[arg(long, value_name = "NO")]
        order: String,
    },
}

/// `config onecode …`: without options, shows the settings.
#[derive(Debug, Args)]
pub struct OnecodeConfigArgs {
    /// The cashier watches in the background.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Stop watching in the background.
    #[arg(long)]
    pub disable: bool,
    /// Where watching starts: `now` (from this moment and from each start of the cashier)
    /// or `last` (from the last payment printed, catching up after a pause).
    #[arg(long, value_name = "now|last")]
    pub from: Option<String>,
    /// Seconds between two looks at the listing, 1–3600 (default 5).
    #[arg(long, value_name = "SECS")]
    pub interval: Option<u64>,
    /// The printed QR codes to watch (their ids), comma-separated; "" for every code.
    #[arg(long, value_name = "LIST")]
    pub qr_codes: Option<String>,
    /// Back to the defaults (off).
    #[arg(long)]
    pub reset: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}
