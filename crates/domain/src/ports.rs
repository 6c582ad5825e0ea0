//! The ports: traits the adapters implement and the use cases call.
//!
//! Ports are `async` because their adapters do I/O (SQLite, HTTP, serial lines); the futures
//! are plain Rust futures and the domain depends on no runtime. Every port is object safe,
//! so `cloudpos-terminal` holds them as `Arc<dyn Port>` and tests substitute fakes.
//!
//! Payment calls return an outcome enum rather than `Err` when the result is not known:
//! "unknown" is a state to resolve (query, then reverse), not an error to show.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use crate::deposit_ports::{
    CloudDepositPage, CloudFreeze, CloudFreezeState, CloudUnfreeze, ConsumeOutcome, ConsumeRequest,
    DepositFilter, DepositGateway, DepositLedger, DepositListKind, DepositListQuery, FreezeOutcome,
    FreezeQueryOutcome, FreezeRequest, UnfreezeAuthority, UnfreezeOutcome, UnfreezeRequest,
};

use crate::announcement::Announcement;
use crate::catalog::Commodity;
use crate::clerk::{Clerk, ClerkId, LoginRecord, Role};
use crate::code::{PaymentCode, Wallet};
use crate::money::Money;
use crate::order::{Order, OrderState, OrderStatus, PaymentMethod};
use crate::order_no::{OrderNo, RefundNo};
use crate::receipt::Receipt;
use crate::refund::{Refund, RefundError, RefundState};
use crate::shift::Shift;
use crate::timestamp::Timestamp;

// ───────────────────────────── storage ─────────────────────────────

/// A failure of a storage port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A record with the same key exists.
    #[error("{0} already exists")]
    Duplicate(String),
    /// A refund rule refused the write (checked atomically with it).
    #[error(transparent)]
    Refund(#[from] RefundError),
    /// A member-card rule refused the write (checked atomically with it).
    #[error(transparent)]
    Member(#[from] crate::member::MemberError),
    /// The write is inconsistent with the stored state (e.g. an illegal transition).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database file is damaged or not ours.
    #[error("the database is corrupt or not a CloudPOS database: {0}")]
    Corrupt(String),
    /// The disk is full: the write was not made.
    #[error("the disk is full; nothing was written: {0}")]
    DiskFull(String),
    /// Any other storage failure (I/O, locked beyond the timeout, …).
    #[error("storage error: {0}")]
    Backend(String),
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Matches over all pages.
    pub total: u64,
    /// 0-based page index.
    pub page: u32,
    /// Page size asked for.
    pub page_size: u32,
}

impl<T> Page<T> {
    /// Number of pages (at least 1).
    #[must_use]
    pub fn page_count(&self) -> u32 {
        if self.page_size == 0 {
            return 1;
        }
        u32::try_from(self.total.div_ceil(u64::from(self.page_size)))
            .unwrap_or(u32::MAX)
            .max(1)
    }
}

/// Filters of the order query (订单查询). `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFilter {
    /// Created at or after.
    pub from: Option<Timestamp>,
    /// Created before.
    pub to: Option<Timestamp>,
    /// Paid at or after (summaries count a payment when it was paid).
    #[serde(default)]
    pub paid_from: Option<Timestamp>,
    /// Paid before.
    #[serde(default)]
    pub paid_to: Option<Timestamp>,
    /// Folded status (paid, refunded, …).
    pub status: Option<OrderStatus>,
    /// Exact payment state.
    pub state: Option<OrderState>,
    /// Clerk.
    pub clerk: Option<ClerkId>,
    /// Payment method.
    pub method: Option<PaymentMethod>,
    /// Order number, or a part of it.
    pub order_no: Option<String>,
    /// Shift.
    pub shift_id: Option<i64>,
    /// 0-based page.
    pub page: u32,
    /// Page size; 0 means everything.
    pub page_size: u32,
}

/// Filters of the refund list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundFilter {
    /// Created at or after.
    pub from: Option<Timestamp>,
    /// Created before.
    pub to: Option<Timestamp>,
    /// Succeeded at or after (summaries count a refund when it succeeded).
    #[serde(default)]
    pub succeeded_from: Option<Timestamp>,
    /// Succeeded before.
    #[serde(default)]
    pub succeeded_to: Option<Timestamp>,
    /// State.
    pub state: Option<RefundState>,
    /// Clerk.
    pub clerk: Option<ClerkId>,
    /// Order number, or a part of it.
    pub order_no: Option<String>,
    /// 0-based page.
    pub page: u32,
    /// Page size; 0 means everything.
    pub page_size: u32,
}

/// The local ledger of payments, refunds, deposits ([`DepositLedger`]) and shifts. Every
/// write is durable when the future resolves (WAL, `synchronous=FULL`).
#[async_trait]
pub trait Ledger: DepositLedger + Send + Sync {
    /// Commits a payment intent. Fails with [`StoreError::Duplicate`] if the number exists
    /// for this store and device. Must be called before any network call for the order.
    async fn insert_order(&self, order: &Order) -> Result<(), StoreError>;
    /// Writes an order's new state, if the stored state is still `expected` (the state the
    /// writer read) and may become the new one ([`OrderState::can_become`], or equal). Otherwise
    /// nothing is written and [`StoreError::Conflict`] is returned: another writer (another
    /// process settling the same order) got there first, and the caller must re-read.
    async fn update_order(&self, order: &Order, expected: OrderState) -> Result<(), StoreError>;
    /// One order.
    async fn order(&self, no: &OrderNo) -> Result<Option<Order>, StoreError>;
    /// Orders matching a filter, newest first.
    async fn orders(&self, filter: &OrderFilter) -> Result<Page<Order>, StoreError>;
    /// Orders whose payment state is not final, oldest first (for recovery).
    async fn unfinished_orders(&self) -> Result<Vec<Order>, StoreError>;
    /// The most recently issued order and refund numbers of this device (to resume the
    /// number generator after a restart).
    async fn latest_numbers(&self) -> Result<Vec<String>, StoreError>;

    /// Commits a refund intent after checking, in the same transaction, the order's state
    /// and caps against every stored refund ([`crate::refund::check_new_refund`]).
    async fn insert_refund(&self, refund: &Refund) -> Result<(), StoreError>;
    /// Writes a refund's new state if the stored state is still `expected` (compare and set,
    /// as for orders); when it becomes succeeded, the order's refunded total is updated in the
    /// same transaction. A retry (failed → requested) re-checks the caps.
    async fn update_refund(&self, refund: &Refund, expected: RefundState)
    -> Result<(), StoreError>;
    /// One refund.
    async fn refund(&self, no: &RefundNo) -> Result<Option<Refund>, StoreError>;
    /// The refunds of one order, oldest first.
    async fn refunds_of(&self, order: &OrderNo) -> Result<Vec<Refund>, StoreError>;
    /// Refunds matching a filter, newest first.
    async fn refunds(&self, filter: &RefundFilter) -> Result<Page<Refund>, StoreError>;
    /// Refunds not yet succeeded or failed, oldest first.
    async fn unfinished_refunds(&self) -> Result<Vec<Refund>, StoreError>;

    /// Opens a shift for `clerk` (closing any shift left open).
    async fn open_shift(&self, clerk: &ClerkId, at: Timestamp) -> Result<Shift, StoreError>;
    /// The open shift, if any.
    async fn current_shift(&self) -> Result<Option<Shift>, StoreError>;
    /// Closes a shift.
    async fn close_shift(&self, id: i64, at: Timestamp) -> Result<Shift, StoreError>;
    /// One shift.
    async fn shift(&self, id: i64) -> Result<Option<Shift>, StoreError>;
    /// Shifts, newest first, optionally of one clerk.
    async fn shifts(&self, clerk: Option<&ClerkId>, limit: u32) -> Result<Vec<Shift>, StoreError>;
}

/// Search and paging of the commodity list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommodityQuery {
    /// Matches article number, barcode, name or category (substring).
    pub text: Option<String>,
    /// Exact category.
    pub category: Option<String>,
    /// 0-based page.
    pub page: u32,
    /// Page size; 0 means everything.
    pub page_size: u32,
}

/// The commodity catalogue.
#[async_trait]
pub trait Catalog: Send + Sync {
    /// Adds or replaces a commodity by article number.
    async fn upsert(&self, commodity: &Commodity) -> Result<(), StoreError>;
    /// Adds many in one transaction: all or nothing.
    async fn upsert_many(&self, commodities: &[Commodity]) -> Result<(), StoreError>;
    /// By article number.
    async fn by_sku(&self, sku: &str) -> Result<Option<Commodity>, StoreError>;
    /// By barcode.
    async fn by_barcode(&self, barcode: &str) -> Result<Option<Commodity>, StoreError>;
    /// Deletes by article number.
    async fn delete(&self, sku: &str) -> Result<(), StoreError>;
    /// Searches, ordered by article number.
    async fn search(&self, query: &CommodityQuery) -> Result<Page<Commodity>, StoreError>;
    /// Changes stock by `delta` for each (sku, delta), in one transaction.
    async fn adjust_stock(&self, changes: &[(String, i64)]) -> Result<(), StoreError>;
}

/// Search of the clerk list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClerkQuery {
    /// Matches id, name or phone (substring).
    pub text: Option<String>,
    /// Exact role.
    pub role: Option<Role>,
}

/// Clerk accounts and their passwords (hashed by the adapter with a slow KDF).
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Creates a clerk with a password.
    async fn create_clerk(&self, clerk: &Clerk, password: &str) -> Result<(), StoreError>;
    /// Updates a clerk's fields (not the password).
    async fn update_clerk(&self, clerk: &Clerk) -> Result<(), StoreError>;
    /// Removes a clerk.
    async fn delete_clerk(&self, id: &ClerkId) -> Result<(), StoreError>;
    /// One clerk.
    async fn clerk(&self, id: &ClerkId) -> Result<Option<Clerk>, StoreError>;
    /// Clerks matching a query, ordered by id.
    async fn clerks(&self, query: &ClerkQuery) -> Result<Vec<Clerk>, StoreError>;
    /// Replaces a password.
    async fn set_password(&self, id: &ClerkId, password: &str) -> Result<(), StoreError>;
    /// Checks a password (constant-time compare of the derived key). `false` for an
    /// unknown clerk.
    async fn verify_password(&self, id: &ClerkId, password: &str) -> Result<bool, StoreError>;
    /// The failed-login record.
    async fn login_record(&self, id: &ClerkId) -> Result<LoginRecord, StoreError>;
    /// Saves the failed-login record.
    async fn save_login_record(&self, id: &ClerkId, record: &LoginRecord)
    -> Result<(), StoreError>;
}

/// Terminal settings as JSON values under string keys.
#[async_trait]
pub trait Settings: Send + Sync {
    /// A value.
    async fn get(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError>;
    /// Sets a value.
    async fn put(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError>;
    /// Removes a value.
    async fn remove(&self, key: &str) -> Result<(), StoreError>;
}

/// Secrets (merchant keys) sealed at rest; plain text exists only in memory.
#[async_trait]
pub trait SecretVault: Send + Sync {
    /// Seals and stores a secret under `name`, replacing any previous one.
    async fn store(&self, name: &str, secret: &[u8]) -> Result<(), StoreError>;
    /// Opens a secret.
    async fn load(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Deletes a secret.
    async fn delete(&self, name: &str) -> Result<(), StoreError>;
}

/// A privileged action to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: Timestamp,
    /// Who (clerk id, or `system`).
    pub actor: String,
    /// What, as a short machine word (`refund`, `halt_cleared`, `clerk_added`, …).
    pub action: String,
    /// Details (JSON text or free text).
    pub detail: String,
}

/// An entry as stored, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// 1-based sequence number.
    pub seq: i64,
    /// The entry.
    pub entry: AuditEntry,
    /// Hash of the previous record (hex), or 64 zeros for the first.
    pub prev_hash: String,
    /// This record's hash (hex).
    pub hash: String,
}

/// The result of checking the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AuditVerdict {
    /// Every record hashes correctly and links to its predecessor.
    Intact {
        /// Records checked.
        records: u64,
    },
    /// The first record that does not verify.
    Broken {
        /// Its sequence number.
        seq: i64,
        /// What is wrong.
        reason: String,
    },
}

/// The append-only audit log (a SHA-256 hash chain).
#[async_trait]
pub trait AuditTrail: Send + Sync {
    /// Appends an entry.
    async fn append(&self, entry: &AuditEntry) -> Result<AuditRecord, StoreError>;
    /// Checks the whole chain.
    async fn verify(&self) -> Result<AuditVerdict, StoreError>;
    /// The newest `limit` records, newest first.
    async fn recent(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;
}

// ───────────────────────────── Cloud Pay ─────────────────────────────

/// A failure of a non-payment gateway call (listing, ping, close).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// Could not reach Cloud Pay (connect failure, timeout, proxy error).
    #[error("cloud unreachable: {0}")]
    Unreachable(String),
    /// The response failed verification (bad or missing MAC where one is required).
    #[error("forged or corrupted response rejected: {0}")]
    Forged(String),
    /// Cloud Pay refused the call.
    #[error("Cloud Pay refused the request (status {status}): {description}")]
    Refused {
        /// Envelope status.
        status: i64,
        /// Cloud Pay's description.
        description: String,
    },
    /// Cloud Pay reported an internal error (status 3/103); retry later.
    #[error("Cloud Pay could not answer now (status {status}): {description}")]
    Busy {
        /// Envelope status.
        status: i64,
        /// Cloud Pay's description.
        description: String,
    },
    /// The terminal is not configured for Cloud Pay.
    #[error("Cloud Pay is not configured: {0}")]
    NotConfigured(String),
}

/// A payment-code charge.
#[derive(Debug, Clone)]
pub struct PayRequest {
    /// Merchant order number.
    pub order_no: OrderNo,
    /// The customer's code (carries the wallet).
    pub code: PaymentCode,
    /// Amount.
    pub amount: Money,
    /// Goods description (`body`).
    pub body: String,
    /// Remark.
    pub remark: String,
    /// Cloud Pay `staff_id` of the clerk, when the cloud knows one.
    pub staff_id: Option<String>,
}

/// What `micro_pay` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayOutcome {
    /// Charged.
    Paid {
        /// Upstream transaction id.
        transaction_id: Option<String>,
        /// When the wallet completed it.
        paid_at: Option<Timestamp>,
    },
    /// The customer must confirm in the wallet; keep querying.
    UserPaying,
    /// Definitely not charged (insufficient balance, expired code, …).
    Failed {
        /// Cloud Pay's words.
        reason: String,
    },
    /// Cloud Pay's anti-reentry blocked the number (status 104, internal 407): not charged
    /// by this request, and the order must never be reversed.
    DuplicateBlocked {
        /// Cloud Pay's words.
        reason: String,
    },
    /// Not known (no answer, status 3/103, an unverifiable answer): query to resolve.
    Unknown {
        /// Why it is not known.
        reason: String,
    },
    /// The request never reached Cloud Pay (no connection could be made): definitely not
    /// charged, and nothing is queued.
    NotSent {
        /// Why.
        reason: String,
    },
}

/// What `query_order` said about a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOutcome {
    /// Charged (also when since refunded: refunds are tracked separately).
    Paid {
        /// Upstream transaction id.
        transaction_id: Option<String>,
        /// When it was paid.
        paid_at: Option<Timestamp>,
    },
    /// The customer is still confirming.
    UserPaying,
    /// Not charged: payment error, closed, customer gave up.
    Failed {
        /// Cloud Pay's words.
        reason: String,
    },
    /// Reversed (撤单).
    Reversed,
    /// Cloud Pay has no such order.
    NotFound,
    /// Could not find out now.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// What `reverse` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReverseOutcome {
    /// Acknowledged: the order is closed, or its money is on the way back.
    Reversed,
    /// Not done yet (the customer is mid-payment, a transient error, no answer): call again.
    Retry {
        /// Why.
        reason: String,
    },
    /// Refused for good (e.g. past the reverse window): the cashier must refund instead.
    Refused {
        /// Cloud Pay's words.
        reason: String,
    },
}

/// A refund request.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// The order refunded.
    pub order_no: OrderNo,
    /// Its wallet.
    pub wallet: Wallet,
    /// This refund's number (the same on every retry).
    pub refund_no: RefundNo,
    /// The original order amount (`total_fee`).
    pub order_amount: Money,
    /// This refund (`refund_fee`).
    pub amount: Money,
    /// Reason.
    pub reason: String,
    /// Cloud Pay `staff_id` of the clerk, when known.
    pub staff_id: Option<String>,
}

/// What `refund` or `query_refund_order` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Money returned.
    Succeeded {
        /// Upstream refund id.
        refund_id: Option<String>,
    },
    /// Accepted, in progress; query later.
    Processing {
        /// Upstream refund id.
        refund_id: Option<String>,
    },
    /// Refused or failed.
    Failed {
        /// Cloud Pay's words.
        reason: String,
    },
    /// Not known: retry with the same number or query.
    Unknown {
        /// Why.
        reason: String,
    },
    /// The request never reached Cloud Pay (no connection could be made): not refunded;
    /// retry later with the same number.
    NotSent {
        /// Why.
        reason: String,
    },
}

/// What part of the cloud's records to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloudListKind {
    /// Payments only.
    Orders,
    /// Refunds only.
    Refunds,
    /// Both.
    Both,
}

/// A page request of the cloud's order listing (`client_order_detail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudListQuery {
    /// Start (inclusive).
    pub from: Timestamp,
    /// End.
    pub to: Timestamp,
    /// Which records.
    pub kind: CloudListKind,
    /// 1-based page.
    pub page: u32,
    /// Page size.
    pub page_size: u32,
    /// The whole shop instead of this device: the shop's printed QR codes (一码支付) take
    /// payments under their own device ids, which the device's own listing leaves out.
    pub shop_wide: bool,
}

/// The cloud's view of a payment's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloudOrderState {
    /// Charged (refunds tracked by `refunded`).
    Paid,
    /// Not yet decided.
    Pending,
    /// Not charged.
    Failed,
    /// Reversed.
    Reversed,
}

/// A payment as the cloud lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudOrder {
    /// Merchant order number.
    pub no: String,
    /// Wallet.
    pub wallet: Option<Wallet>,
    /// Amount.
    pub amount: Money,
    /// Amount refunded.
    pub refunded: Money,
    /// State.
    pub state: CloudOrderState,
    /// Store that took it.
    pub store_id: String,
    /// Device that took it.
    pub device_id: String,
    /// The terminal that took it (`machine_no`), when listed; tells two terminals
    /// configured with the same device id apart.
    #[serde(default)]
    pub machine_no: Option<String>,
    /// Upstream transaction id, when paid.
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// Created.
    pub created_at: Timestamp,
    /// Paid (`time_end`), when listed.
    #[serde(default)]
    pub paid_at: Option<Timestamp>,
    /// Paid by a customer scanning the shop's printed QR code (一码支付, trade type 8); its
    /// `device_id` is then the QR code's id.
    #[serde(default)]
    pub one_code: bool,
}

/// A refund as the cloud lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudRefund {
    /// Merchant refund number.
    pub no: String,
    /// The order.
    pub order_no: String,
    /// Amount.
    pub amount: Money,
    /// State (processing maps to `Processing`).
    pub state: RefundState,
    /// Device that asked.
    pub device_id: String,
    /// Created.
    pub created_at: Timestamp,
}

/// One page of the cloud listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudPage {
    /// Matches over all pages.
    pub total: u64,
    /// Payments on this page.
    pub orders: Vec<CloudOrder>,
    /// Refunds on this page.
    pub refunds: Vec<CloudRefund>,
}

/// Cloud Pay, as the use cases need it (deposits: [`DepositGateway`]).
#[async_trait]
pub trait PaymentGateway: DepositGateway + Send + Sync {
    /// `micro_pay`: charge a payment code.
    async fn micro_pay(&self, request: &PayRequest) -> PayOutcome;
    /// `query_order`.
    async fn query_order(&self, order_no: &OrderNo, wallet: Option<Wallet>) -> QueryOutcome;
    /// `reverse` (撤单).
    async fn reverse(&self, order_no: &OrderNo, wallet: Option<Wallet>) -> ReverseOutcome;
    /// `refund`.
    async fn refund(&self, request: &RefundRequest) -> RefundOutcome;
    /// `query_refund_order` of refund `refund_no` on order `order_no`, paid with `wallet`
    /// (the protocol requires the order's `pay_platform` on this call).
    async fn query_refund(
        &self,
        order_no: &OrderNo,
        wallet: Wallet,
        refund_no: &RefundNo,
    ) -> RefundOutcome;
    /// `client_order_detail`: one page of the cloud's records for this store and device.
    async fn list(&self, query: &CloudListQuery) -> Result<CloudPage, GatewayError>;
    /// `ping`: the cloud's clock.
    async fn ping(&self) -> Result<Timestamp, GatewayError>;
    /// The Cloud Pay domains this gateway may use and the one in use (protocol notes
    /// §11.10). With `probe`, every domain is pinged first, in order, and the first that
    /// answers becomes the one in use. A gateway without domains (a fake) answers empty.
    async fn domains(&self, probe: bool) -> CloudDomains {
        let _ = probe;
        CloudDomains::default()
    }
}

/// One Cloud Pay domain (base URL) and what its last probe said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudDomain {
    /// The base URL, e.g. `https://sz.pay.qcloud.com/cpay/`.
    pub base_url: String,
    /// `Some(true)`: answered `ping`; `Some(false)`: did not; `None`: not probed.
    pub answers: Option<bool>,
    /// Why it did not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The domains a gateway may use, in order of preference, and the one requests go to now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudDomains {
    /// Every configured domain, first choice first.
    pub domains: Vec<CloudDomain>,
    /// The base URL requests go to now.
    pub in_use: Option<String>,
}

/// What an approval challenge asks a manager to approve (on their phone, by scanning a QR
/// code the terminal shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalRequest {
    /// A staff member logging in at this terminal.
    Login,
    /// This refund: this order and this amount only.
    Refund {
        /// The order.
        order_no: OrderNo,
        /// The amount.
        amount: Money,
    },
}

/// A challenge to show as a QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalTicket {
    /// The challenge token.
    pub token: String,
    /// The page the approver opens (encode it in the QR code).
    pub approve_url: String,
    /// When it expires.
    pub expires_at: Timestamp,
}

/// Where a challenge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// Nobody approved yet.
    Pending,
    /// Approved; may be consumed once.
    Approved,
    /// Not approved or consumed in time.
    Expired,
    /// Already consumed.
    Used,
}

/// A challenge as the cloud reports it (authenticated like every Cloud Pay answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The token.
    pub token: String,
    /// Where it stands.
    pub state: ApprovalState,
    /// What it approves (order and amount as the cloud recorded them).
    pub request: ApprovalRequest,
    /// Cloud Pay staff id of the approver.
    pub staff_id: Option<String>,
    /// The approver's name.
    pub staff_name: Option<String>,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// One-time approvals by a manager's phone (QR login, refund authorisation).
#[async_trait]
pub trait Approvals: Send + Sync {
    /// Opens a challenge.
    async fn create(&self, request: &ApprovalRequest) -> Result<ApprovalTicket, GatewayError>;
    /// Where a challenge stands.
    async fn status(&self, token: &str) -> Result<Approval, GatewayError>;
    /// Uses an approved challenge up; a second consume fails.
    async fn consume(&self, token: &str) -> Result<Approval, GatewayError>;
}

// ───────────────────────────── devices ─────────────────────────────

/// A failure of a device port (printer, screen capture, keys, scanner box).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// Not configured or disabled.
    #[error("{0} is not configured")]
    NotConfigured(String),
    /// The device is missing, busy or offline.
    #[error("{0}")]
    Unavailable(String),
    /// The device reported a problem (paper out, cover open, …).
    #[error("{0}")]
    Fault(String),
    /// Input that could not be understood (an unreadable amount, …).
    #[error("{0}")]
    Unreadable(String),
}

/// Prints receipts.
#[async_trait]
pub trait ReceiptPrinter: Send + Sync {
    /// Prints one receipt (all its configured copies).
    async fn print(&self, receipt: &Receipt) -> Result<(), DeviceError>;
    /// Opens the cash drawer.
    async fn kick_drawer(&self) -> Result<(), DeviceError>;
}

/// An amount read off the host POS screen (or its UI text).
///
/// `amount` carries the sign the screen shows: a host POS taking a return shows a negative
/// total (`合计:¥-86.50`), read as −86.50. Never charge `amount` as it is: ask
/// [`AmountReading::total`] what it means for the payment window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AmountReading {
    /// The amount as shown, signed (negative when the host shows a return in progress),
    /// when the text parsed.
    pub amount: Option<Money>,
    /// The raw text recognised.
    pub text: String,
    /// Confidence 0–1000 (per mille); below the threshold the cashier confirms.
    pub confidence_permille: u16,
    /// How it was read (`ocr`, `ui-automation`, `at-spi`).
    pub source: String,
}

/// What a screen read means for the payment window ([`AmountReading::total`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "amount", rename_all = "snake_case")]
pub enum ScreenTotal {
    /// A positive total: the amount to charge (confirmed by the cashier first when the read
    /// is below the confidence threshold).
    Charge(Money),
    /// A negative total: the host POS is taking a return of this amount (given positive).
    /// Never charged: the cashier is told that the host shows a return and offered the
    /// refund screen.
    Return(Money),
    /// Zero, or no amount read: nothing to charge; the cashier types the amount.
    Nothing,
}

impl AmountReading {
    /// What the read means for the payment window: a total to charge, a return shown by the
    /// host, or nothing to charge.
    #[must_use]
    pub fn total(&self) -> ScreenTotal {
        match self.amount {
            Some(m) if m.is_positive() => ScreenTotal::Charge(m),
            Some(m) if m.is_negative() => {
                ScreenTotal::Return(Money::from_fen(m.fen().saturating_neg()))
            }
            _ => ScreenTotal::Nothing,
        }
    }

    /// The amount the payment window may charge: only a positive total.
    #[must_use]
    pub fn payable(&self) -> Option<Money> {
        match self.total() {
            ScreenTotal::Charge(m) => Some(m),
            ScreenTotal::Return(_) | ScreenTotal::Nothing => None,
        }
    }
}

#[cfg(test)]
mod screen_total_tests;

/// A rectangle of a screen the user drew over the host POS program (where the total, or
/// the receipt number, is shown). Coordinates are physical pixels of that screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScreenRegion {
    /// Screen index (0 = primary).
    pub screen: u32,
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width, > 0.
    pub width: u32,
    /// Height, > 0.
    pub height: u32,
    /// The screen's scale factor in percent when the region was drawn (100, 125, 150, 200).
    pub scale_percent: u32,
}

/// Reads the payment amount (and the host's serial number) from the host POS.
#[async_trait]
pub trait AmountReader: Send + Sync {
    /// Reads the configured amount region now.
    async fn read_amount(&self) -> Result<AmountReading, DeviceError>;
    /// Reads the configured serial-number region now, if one is configured.
    async fn read_serial(&self) -> Result<Option<String>, DeviceError>;
}

/// Where a scanned code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeOrigin {
    /// A keyboard-wedge scanner (keystrokes at machine speed).
    Wedge,
    /// A serial scanner box.
    ScannerBox,
    /// Typed by the cashier.
    Typed,
}

/// A scanned code event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedCode {
    /// The text scanned.
    pub text: String,
    /// Where it came from.
    pub origin: CodeOrigin,
    /// When.
    pub at: Timestamp,
}

/// A source of scanned codes (wedge scanner, scanner box).
#[async_trait]
pub trait CodeSource: Send + Sync {
    /// The next code, or `None` when the source has closed.
    async fn next_code(&self) -> Option<ScannedCode>;
}

/// A key combination, in the notation of the hotkey settings (`Ctrl+Shift+P`, `F5`, `~`,
/// `Enter`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyChord(pub String);

/// Presses keys in the host POS program.
#[async_trait]
pub trait KeySender: Send + Sync {
    /// Sends the chords in order.
    async fn send(&self, chords: &[KeyChord]) -> Result<(), DeviceError>;
}

/// The clock and sleeping; injected so tests run 45 s windows in milliseconds.
#[async_trait]
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
    /// Sleeps for `duration`.
    async fn sleep(&self, duration: Duration);
}

// ───────────────────────────── voice ─────────────────────────────

/// Says announcements out loud (语音播报: "微信收款 12.34 元"), on a thread of its own.
///
/// Not async on purpose: announcing is called from the payment path and must never wait
/// there, not even for a lock held across a sound.
pub trait Announcer: Send + Sync {
    /// Queues `announcement` to be spoken at `volume_percent` (0–100) and returns at once,
    /// never waiting for the sound or the device. An error only says it will not be heard
    /// (dropped from a full queue, the voice stopped); callers log it and go on.
    fn announce(&self, announcement: &Announcement, volume_percent: u8) -> Result<(), DeviceError>;
    /// Announcements queued or being spoken (a short-lived process waits for 0 before it
    /// exits, so the last one is heard to the end).
    fn pending(&self) -> usize;
}
