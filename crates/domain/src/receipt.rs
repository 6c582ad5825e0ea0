//! What a receipt says, independent of paper width or printer language.
//!
//! The use cases build a [`Receipt`] from ledger records; the printer adapter lays it out for
//! 58 or 80 mm paper and encodes it (see `cloudpos-printer`).

use serde::{Deserialize, Serialize};

use crate::catalog::CartLine;
use crate::money::Money;
use crate::order::PaymentMethod;
use crate::shift::Summary;
use crate::timestamp::Timestamp;

/// The kinds of slip the terminal prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// A payment (支付凭证).
    #[default]
    Payment,
    /// A refund (退款凭证).
    Refund,
    /// A shift or period summary (汇总 / 交接班).
    Summary,
    /// The printer test page.
    TestPage,
    /// A deposit frozen (押金冻结凭证).
    DepositFreeze,
    /// A deposit consumed, the rest released (押金消费凭证).
    DepositConsume,
    /// A deposit released without a consume (押金解冻凭证).
    DepositRelease,
}

/// A receipt's content.
///
/// Every field has a neutral default (`Receipt::default()` is an empty payment slip), so
/// callers and tests fill in only what a slip shows. Empty strings and `None` are left off
/// the printed slip.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Receipt {
    /// Kind of slip.
    pub kind: ReceiptKind,
    /// Store name printed as the header.
    pub store_name: String,
    /// Printed on the embedded sandbox so nobody mistakes it for money.
    pub sandbox: bool,
    /// Merchant order number (printed, and as QR code and barcode); on deposit slips the
    /// deposit's number (`out_freeze_no`).
    pub order_no: Option<String>,
    /// Merchant refund number (refund slips).
    pub refund_no: Option<String>,
    /// Upstream transaction id.
    pub transaction_id: Option<String>,
    /// When the payment/refund happened.
    pub time: Timestamp,
    /// UTC offset for printing times.
    pub offset_seconds: i32,
    /// Clerk id and name.
    pub clerk: String,
    /// Device id.
    pub device_id: String,
    /// Payment method.
    pub method: Option<PaymentMethod>,
    /// The order amount.
    pub amount: Money,
    /// This refund's amount (refund slips).
    pub refund_amount: Option<Money>,
    /// Total refunded on the order so far.
    pub refunded: Money,
    /// Cash received and change (cash payments).
    pub cash: Option<(Money, Money)>,
    /// Commodities (full mode).
    pub lines: Vec<CartLine>,
    /// Remark.
    pub remark: String,
    /// Summary (summary slips).
    pub summary: Option<Summary>,
    /// Closing line (惠顾语), e.g. 谢谢惠顾，欢迎再次光临. When empty, the printer
    /// settings' closing line is printed.
    pub closing_line: String,
    /// 1-based copy number and number of copies, e.g. (1, 2). `(0, 0)` and `(1, 1)` print
    /// no copy marker.
    pub copy: (u32, u32),
    /// Further labelled lines printed after the standard fields, in order (e.g. the test
    /// page's printer settings, a member-card balance).
    pub extra: Vec<(String, String)>,
}
