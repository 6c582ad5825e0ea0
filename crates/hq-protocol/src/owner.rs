//! What the owner reads: summaries, orders, the tills' sync state.

use serde::{Deserialize, Serialize};

/// Counts and sums of one group (or of everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    /// Orders paid in the period, including those partly or fully refunded since (an order
    /// voided after payment returned its money and is not counted, as on the till).
    pub paid_count: u64,
    /// Their amounts, fen.
    pub paid_fen: i64,
    /// Refunds that succeeded in the period, fen (a refund counts when it succeeded, as in
    /// the till's own summary).
    pub refunded_fen: i64,
}

impl Totals {
    /// Adds another group's totals.
    pub fn add(&mut self, other: &Totals) {
        self.paid_count += other.paid_count;
        self.paid_fen += other.paid_fen;
        self.refunded_fen += other.refunded_fen;
    }
}

/// One group of a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryGroup {
    /// The store, device (`store/device`), clerk, wallet or day (`YYYY-MM-DD`, shop time).
    pub key: String,
    /// Paid orders.
    pub paid_count: u64,
    /// Paid amount, fen.
    pub paid_fen: i64,
    /// Refunded amount, fen.
    pub refunded_fen: i64,
}

/// `GET /api/v1/summary?from=&to=&group=store|device|clerk|wallet|day`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryResponse {
    /// Groups, ordered by key.
    pub groups: Vec<SummaryGroup>,
    /// All groups together.
    pub total: Totals,
    /// The grouping asked for.
    pub group: String,
    /// Start (inclusive, RFC 3339 shop time), if given.
    pub from: Option<String>,
    /// End (exclusive), if given.
    pub to: Option<String>,
}

/// One order as the owner sees it: the till's `orders --json` object plus where it was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// Order number.
    pub out_trade_no: String,
    /// Folded status: `paid`, `failed`, `reversed`, `partially_refunded`, `refunded`, `unknown`.
    pub state: String,
    /// The payment state machine's state.
    pub payment_state: String,
    /// Wallet (or `cash`).
    pub wallet: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// Refunded, fen.
    pub refunded_fen: i64,
    /// Created (RFC 3339, shop time).
    pub created_at: String,
    /// Paid (RFC 3339, shop time).
    pub paid_at: Option<String>,
    /// Upstream transaction id.
    pub transaction_id: Option<String>,
    /// Remark.
    pub remark: String,
    /// Clerk.
    pub clerk_id: String,
    /// Store the till is enrolled for.
    pub store: String,
    /// Device the till is enrolled for.
    pub device: String,
    /// The head office's number of the till.
    pub terminal_id: i64,
}

/// `GET /api/v1/orders?…`: one page of orders, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersPage {
    /// This page.
    pub items: Vec<OrderView>,
    /// Matches over all pages.
    pub total: u64,
    /// 0-based page index.
    pub page: u32,
    /// Page size.
    pub page_size: u32,
}

/// One till's sync state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalView {
    /// The head office's number of the till.
    pub terminal_id: i64,
    /// Store.
    pub store: String,
    /// Device.
    pub device: String,
    /// Whether the till has exchanged its enrolment token.
    pub enrolled: bool,
    /// Last push (RFC 3339, shop time), if any.
    pub last_contact: Option<String>,
    /// Highest seq applied.
    pub applied_through: i64,
    /// Changes the till reported still queued at its last push.
    pub backlog: u64,
    /// How far behind the head office is, ms: from the oldest queued change's commit at the
    /// till to the last push when the till reported a backlog, else from the last applied
    /// change's commit at the till to its commit here.
    pub lag_ms: Option<i64>,
    /// The last error the till's stream hit here (a refused push), if it has not pushed
    /// successfully since.
    pub last_error: Option<String>,
}

/// `GET /api/v1/terminals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalsResponse {
    /// Every till, by store then device.
    pub terminals: Vec<TerminalView>,
}

/// One deposit (押金) as the owner sees it. Its amounts are the customer's money held, never
/// takings: the paid order a consume creates is counted with the orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositView {
    /// Merchant deposit number (`out_freeze_no`).
    pub out_freeze_no: String,
    /// The deposit's state (`frozen`, `consumed`, `unfrozen`, `failed`, …).
    pub state: String,
    /// `wechat` or `alipay`.
    pub wallet: String,
    /// Frozen (asked for until the freeze succeeded), fen.
    pub frozen_fen: i64,
    /// Taken by the consume, fen.
    pub consumed_fen: i64,
    /// Released to the customer, fen.
    pub released_fen: i64,
    /// Still held for the customer now, fen: the frozen amount less what was consumed or
    /// released, while the deposit is `frozen`, `consuming` or `unfreezing`; else 0.
    pub held_fen: i64,
    /// The consume's order number, once consumed.
    pub consume_no: Option<String>,
    /// Created (RFC 3339, shop time).
    pub created_at: String,
    /// Frozen (RFC 3339, shop time).
    pub frozen_at: Option<String>,
    /// Consumed or released (RFC 3339, shop time).
    pub finished_at: Option<String>,
    /// Remark (a room number, a rental item).
    pub remark: String,
    /// Clerk who froze it.
    pub clerk_id: String,
    /// Store the till is enrolled for.
    pub store: String,
    /// Device the till is enrolled for.
    pub device: String,
    /// The head office's number of the till.
    pub terminal_id: i64,
}

/// Deposits held now, over every match of a deposit search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DepositsHeld {
    /// Deposits holding money (`frozen`, `consuming`, `unfreezing`).
    pub count: u64,
    /// The money they hold, fen.
    pub held_fen: i64,
}

/// `GET /api/v1/deposits?…`: one page of deposits, newest first, and what the matches hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositsPage {
    /// This page.
    pub items: Vec<DepositView>,
    /// Matches over all pages.
    pub total: u64,
    /// What all the matches hold now.
    pub held: DepositsHeld,
    /// 0-based page index.
    pub page: u32,
    /// Page size.
    pub page_size: u32,
}
