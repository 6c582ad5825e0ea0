//! The `member` commands' grammar (会员卡). Command, flag and JSON field names are a
//! contract: keep them.

use std::path::PathBuf;

use clap::Subcommand;

/// `member …`
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a member card.
    Add {
        /// The card number (the barcode printed on the card).
        #[arg(long, value_name = "NO")]
        card: String,
        /// The member's name.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// The member's phone number.
        #[arg(long, value_name = "PHONE", default_value = "")]
        phone: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Look a card up by number or by phone (with --json: one object by card, an array by
    /// phone).
    Find {
        /// The card number.
        #[arg(
            long,
            value_name = "NO",
            required_unless_present = "phone",
            conflicts_with = "phone"
        )]
        card: Option<String>,
        /// The member's phone number.
        #[arg(long, value_name = "PHONE")]
        phone: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Recharge a card by the payer's WeChat Pay or Alipay code; the bonus of the configured
    /// rules is added. Exit 0 only when paid and credited.
    Recharge {
        /// The card number.
        #[arg(long, value_name = "NO")]
        card: String,
        /// Amount in yuan (full-width digits accepted).
        #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
        amount: String,
        /// The payer's payment code.
        #[arg(long, value_name = "CODE")]
        code: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Pay from a card's balance (refused, showing the balance, when it is short).
    Pay {
        /// The card number.
        #[arg(long, value_name = "NO")]
        card: String,
        /// Amount in yuan.
        #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
        amount: String,
        /// Remark.
        #[arg(long, value_name = "TEXT", default_value = "")]
        remark: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// A card's ledger, oldest first, with the balance after each entry.
    Ledger {
        /// The card number.
        #[arg(long, value_name = "NO")]
        card: String,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Import members from Excel (卡号, 姓名, 手机, 状态); bad rows are reported by number.
    Import {
        /// The workbook (.xlsx, .xls, .ods).
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export every member with the balance to Excel (the import layout).
    Export {
        /// The workbook to write (.xlsx).
        file: PathBuf,
    },
    /// Correct a card's balance (admins only, audited): a signed amount and a reason.
    Adjust {
        /// The card number.
        #[arg(long, value_name = "NO")]
        card: String,
        /// Signed amount in yuan (`-5.00` takes off, `5.00` adds).
        #[arg(long, value_name = "±YUAN", allow_hyphen_values = true)]
        amount: String,
        /// Why.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}
