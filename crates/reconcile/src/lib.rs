//! # Reconciliation: the local ledger against Cloud Pay's listing
//!
//! The terminal pages through Cloud Pay's `client_order_detail` listing for a time window
//! ([`CloudOrder`], [`CloudRefund`]), reads its own ledger for the same window ([`Order`],
//! [`Refund`]) and calls [`compare`]. Any [`Discrepancy`] halts payments and refunds until an
//! admin clears the halt, so **a false positive is as bad as a miss**: every rule below says
//! what is compared *and* what is deliberately left alone. This crate is pure: no I/O, no
//! clock (the caller passes [`Params::as_of`]), no async.
//!
//! ## How the caller fetches
//!
//! - Fetch **both** sides over [`Params::fetch_range`]: the checked window widened by a
//!   margin on each side ([`DEFAULT_MARGIN`], 5 minutes), so that a record whose two copies
//!   carry slightly different times (terminal and cloud clocks differ; the cloud lists whole
//!   seconds) is seen on both sides even at the window's edges.
//! - Fetch the cloud listing **first**, then the ledger, and set [`Params::as_of`] to the
//!   time the cloud fetch started. Every cloud request is preceded by a committed local
//!   intent (commit, then call), so every cloud record then has its local copy.
//! - Pass the ledger's unfinished refunds ([`Ledger::unfinished_refunds`]) along with the
//!   window's refunds, so an in-flight refund of an older order is known. Records may be
//!   passed twice (overlapping pages): repeats are collapsed.
//!
//! [`Ledger::unfinished_refunds`]: cloudpos_domain::ports::Ledger::unfinished_refunds
//!
//! ## Rules
//!
//! **Scope.** Only cloud records of this store and device count ([`Params::store_id`],
//! [`Params::device_id`]; refunds by device); the others are counted in
//! [`Report::other_devices`] and ignored. Local orders taken under another store or device id
//! (the terminal was reconfigured) and their refunds are ignored too. Cash and member-card
//! orders and their refunds never go to the cloud and are skipped ([`Report::skipped_cash`]).
//!
//! **Two terminals with one identity** ([`DiscrepancyKind::DuplicateFromOtherDevice`]): a
//! cloud order of our store and device whose `machine_no` differs from ours (both known);
//! two cloud records with the same number that are not copies of one record (they differ in
//! amount, creation time, wallet, `machine_no` or transaction id — copies that differ only in
//! state or refunded total are one record listed twice while it changed, and the most
//! advanced copy is kept); a transaction id that differs between the ledger and the cloud; a
//! refund number the cloud lists for another order. These are reported for records created
//! in the window or present in the ledger.
//!
//! **Missing** ([`MissingLocally`](DiscrepancyKind::MissingLocally),
//! [`MissingInCloud`](DiscrepancyKind::MissingInCloud) and the refund counterparts) is only
//! reported for a record **created inside [`Params::window`]** (by the clock of the side that
//! has it) and **not touched within [`Params::settle_grace`]** before [`Params::as_of`] (the
//! listing may lag). Records found on both sides are compared wherever they fall.
//! - A cloud order or refund the ledger lacks is reported whatever its state: with commit,
//!   then call there is no innocent way for it to exist.
//! - A local order is reported missing in the cloud only if it is **paid**: a failed order
//!   may never have reached the cloud, and a reversed one leaves at most a tombstone the
//!   listing need not show. Likewise a local refund only if it **succeeded**.
//!
//! **States** are compared by what they mean for money: *charged* (local paid; cloud paid),
//! *not charged* (local failed or reversed; cloud failed or reversed — failed and reversed are
//! equivalent, since either way no money stays with the merchant) and *open* (local created,
//! submitted, user paying, unknown, reversing; cloud pending).
//!
//! | ledger \ cloud | charged | not charged | open (pending) |
//! |---|---|---|---|
//! | charged | compare amount and refunded | **state differs** | **state differs** once the cloud copy is older than the grace |
//! | not charged | **state differs** (money taken, not recorded) | equal | in flight |
//! | open | **state differs** once the local copy is untouched for the grace | in flight (no money either way) | in flight |
//!
//! A local order that is open and untouched for longer than the grace while the cloud says
//! paid means money was taken and the ledger does not count it (recovery is not running, or
//! a reverse was refused): worth halting for. An open local order the cloud says is not
//! charged, or does not list, will settle to failed or reversed and moves no money.
//!
//! **Amounts** of orders are compared only when both sides are charged
//! ([`AmountDiffers`](DiscrepancyKind::AmountDiffers)): failed orders and tombstones may be
//! listed with another amount (a tombstone has none) and move no money. The **refunded
//! total** ([`RefundedDiffers`](DiscrepancyKind::RefundedDiffers)) is compared when both
//! sides are charged and no refund of that order (local or cloud) is unfinished or was
//! touched within the grace. (An unfinished refund older than the grace is compared refund
//! by refund instead: the cloud's total may or may not count a processing refund.) A refund
//! of one of our orders made from another device is not in our ledger: the totals differ,
//! and that is reported. The cloud's total is the listing's `refunded_fee`
//! ([`CloudOrder::refunded`]), never inferred from the state: Alipay changes an order's
//! state only on a *full* refund, so a partly refunded Alipay order is listed as paid and
//! only `refunded_fee` shows the refund (protocol notes §11.10).
//!
//! **Refunds** are matched by `out_refund_no`: amounts are compared unless both sides
//! failed; states succeeded ↔ failed differ; a local refund still requested or processing
//! and untouched for the grace while the cloud says succeeded differs (money returned, not
//! recorded); a cloud refund still processing is in flight; a local unfinished refund the
//! cloud says failed will settle and moves no money.
//!
//! **Deposits** are compared by [`compare_deposits`] against the listing of freezes and
//! releases (`query_order_list`), with rules of the same shape (see the `deposits` module);
//! their discrepancies join the same halt.
//!
//! ## Performance
//!
//! One hash map keyed by order number (the records' own `&str`, foldhash) indexes both
//! sides into a vector of slots, which the comparison then walks in the listing's order;
//! one more map for refunds. No allocation per record: strings are built only for
//! discrepancies. `benches/compare.rs` measures 1,000,000 matching orders and 100,000
//! refunds next to two peers on the same data (see `README.md`): on the shared 2-core
//! development machine `compare` took 0.47 s, about 3.7 times building a hash map of the
//! 1,000,000 numbers and 2.3 times sorting them.

mod deposits;

use std::fmt;
use std::time::Duration;

use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::ports::{CloudOrder, CloudOrderState, CloudRefund};
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_domain::timestamp::{CHINA_OFFSET_SECONDS, Timestamp};
use serde::{Deserialize, Serialize};

pub use deposits::{DepositReport, compare_deposits};

/// How long a record may stay in flight, or the listing lag behind the ledger, before it is
/// compared: 2 minutes (a payment settles or is reversed within about 60 s).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(120);

/// How much wider than the checked window both sides should be fetched: 5 minutes.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(300);

/// What to compare and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// The checked window `[from, to)`: "missing" is reported only for records created in it.
    pub window: (Timestamp, Timestamp),
    /// When the data was read (the start of the cloud fetch); the reference for
    /// [`Params::settle_grace`].
    pub as_of: Timestamp,
    /// This terminal's store (`out_shop_id`).
    pub store_id: String,
    /// This terminal's device id.
    pub device_id: String,
    /// This installation's `machine_no`, when known.
    pub machine_no: Option<String>,
    /// Records touched within this span before [`Params::as_of`] are in flight.
    pub settle_grace: Duration,
    /// UTC offset used to show times in discrepancy details.
    pub offset_seconds: i32,
}

impl Params {
    /// Parameters with the default grace, no `machine_no` and China time for display.
    #[must_use]
    pub fn new(
        window: (Timestamp, Timestamp),
        as_of: Timestamp,
        store_id: &str,
        device_id: &str,
    ) -> Params {
        Params {
            window,
            as_of,
            store_id: store_id.to_owned(),
            device_id: device_id.to_owned(),
            machine_no: None,
            settle_grace: DEFAULT_GRACE,
            offset_seconds: CHINA_OFFSET_SECONDS,
        }
    }

    /// The range both sides should be fetched over: the window widened by `margin` on each
    /// side (see [`DEFAULT_MARGIN`]).
    #[must_use]
    pub fn fetch_range(&self, margin: Duration) -> (Timestamp, Timestamp) {
        (self.window.0.minus(margin), self.window.1.plus(margin))
    }

    fn in_window(&self, t: Timestamp) -> bool {
        self.window.0 <= t && t < self.window.1
    }
}

/// What kind of disagreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancyKind {
    /// Cloud Pay lists an order the ledger does not have.
    MissingLocally,
    /// The ledger has a paid order Cloud Pay does not list.
    MissingInCloud,
    /// Both paid, different amounts.
    AmountDiffers,
    /// The states disagree about whether money was taken.
    StateDiffers,
    /// Both paid, different refunded totals.
    RefundedDiffers,
    /// Another terminal uses this store and device id (or our numbers).
    DuplicateFromOtherDevice,
    /// Cloud Pay lists a refund the ledger does not have.
    RefundMissingLocally,
    /// The ledger has a succeeded refund Cloud Pay does not list.
    RefundMissingInCloud,
    /// A refund's amounts differ.
    RefundAmountDiffers,
    /// A refund succeeded on one side and not on the other.
    RefundStateDiffers,
    /// Cloud Pay lists a freeze (deposit) the ledger does not have.
    FreezeMissingLocally,
    /// The ledger has a deposit that held money Cloud Pay does not list.
    FreezeMissingInCloud,
    /// A deposit's state disagrees about whether money is held, taken or released.
    FreezeStateDiffers,
    /// A deposit's frozen, consumed or released amounts differ.
    FreezeAmountsDiffer,
    /// Cloud Pay lists a release (unfreeze) the ledger does not have.
    UnfreezeMissingLocally,
    /// The ledger has a release Cloud Pay does not list.
    UnfreezeMissingInCloud,
    /// A release's amounts differ.
    UnfreezeAmountDiffers,
}

impl DiscrepancyKind {
    /// Every kind.
    pub const ALL: [DiscrepancyKind; 17] = [
        DiscrepancyKind::MissingLocally,
        DiscrepancyKind::MissingInCloud,
        DiscrepancyKind::AmountDiffers,
        DiscrepancyKind::StateDiffers,
        DiscrepancyKind::RefundedDiffers,
        DiscrepancyKind::DuplicateFromOtherDevice,
        DiscrepancyKind::RefundMissingLocally,
        DiscrepancyKind::RefundMissingInCloud,
        DiscrepancyKind::RefundAmountDiffers,
        DiscrepancyKind::RefundStateDiffers,
        DiscrepancyKind::FreezeMissingLocally,
        DiscrepancyKind::FreezeMissingInCloud,
        DiscrepancyKind::FreezeStateDiffers,
        DiscrepancyKind::FreezeAmountsDiffer,
        DiscrepancyKind::UnfreezeMissingLocally,
        DiscrepancyKind::UnfreezeMissingInCloud,
        DiscrepancyKind::UnfreezeAmountDiffers,
    ];

    /// Stable machine name (as serialised).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            DiscrepancyKind::MissingLocally => "missing_locally",
            DiscrepancyKind::MissingInCloud => "missing_in_cloud",
            DiscrepancyKind::AmountDiffers => "amount_differs",
            DiscrepancyKind::StateDiffers => "state_differs",
            DiscrepancyKind::RefundedDiffers => "refunded_differs",
            DiscrepancyKind::DuplicateFromOtherDevice => "duplicate_from_other_device",
            DiscrepancyKind::RefundMissingLocally => "refund_missing_locally",
            DiscrepancyKind::RefundMissingInCloud => "refund_missing_in_cloud",
            DiscrepancyKind::RefundAmountDiffers => "refund_amount_differs",
            DiscrepancyKind::RefundStateDiffers => "refund_state_differs",
            DiscrepancyKind::FreezeMissingLocally => "freeze_missing_locally",
            DiscrepancyKind::FreezeMissingInCloud => "freeze_missing_in_cloud",
            DiscrepancyKind::FreezeStateDiffers => "freeze_state_differs",
            DiscrepancyKind::FreezeAmountsDiffer => "freeze_amounts_differ",
            DiscrepancyKind::UnfreezeMissingLocally => "unfreeze_missing_locally",
            DiscrepancyKind::UnfreezeMissingInCloud => "unfreeze_missing_in_cloud",
            DiscrepancyKind::UnfreezeAmountDiffers => "unfreeze_amount_differs",
        }
    }

    /// The words a cashier sees (Chinese).
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            DiscrepancyKind::MissingLocally => "本地缺少云端订单",
            DiscrepancyKind::MissingInCloud => "云端缺少本地订单",
            DiscrepancyKind::AmountDiffers => "订单金额不一致",
            DiscrepancyKind::StateDiffers => "订单状态不一致",
            DiscrepancyKind::RefundedDiffers => "已退款金额不一致",
            DiscrepancyKind::DuplicateFromOtherDevice => "其他终端使用了本机的门店和设备号",
            DiscrepancyKind::RefundMissingLocally => "本地缺少云端退款",
            DiscrepancyKind::RefundMissingInCloud => "云端缺少本地退款",
            DiscrepancyKind::RefundAmountDiffers => "退款金额不一致",
            DiscrepancyKind::RefundStateDiffers => "退款状态不一致",
            DiscrepancyKind::FreezeMissingLocally => "本地缺少云端押金",
            DiscrepancyKind::FreezeMissingInCloud => "云端缺少本地押金",
            DiscrepancyKind::FreezeStateDiffers => "押金状态不一致",
            DiscrepancyKind::FreezeAmountsDiffer => "押金金额不一致",
            DiscrepancyKind::UnfreezeMissingLocally => "本地缺少云端解冻",
            DiscrepancyKind::UnfreezeMissingInCloud => "云端缺少本地解冻",
            DiscrepancyKind::UnfreezeAmountDiffers => "解冻金额不一致",
        }
    }
}

impl fmt::Display for DiscrepancyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One disagreement between the ledger and Cloud Pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discrepancy {
    /// What kind.
    pub kind: DiscrepancyKind,
    /// The order (`out_trade_no`).
    pub out_trade_no: String,
    /// The refund (`out_refund_no`), for refund discrepancies.
    pub out_refund_no: Option<String>,
    /// The ledger's copy in short (`paid 12.30 refunded 2.00`), if it has one.
    pub local: Option<String>,
    /// Cloud Pay's copy in short, if it lists one.
    pub cloud: Option<String>,
    /// One line an admin can act on.
    pub detail: String,
}

impl fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.out_trade_no)?;
        if let Some(r) = &self.out_refund_no {
            write!(f, " refund {r}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// The outcome of [`compare`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The checked window.
    pub window: (Timestamp, Timestamp),
    /// When the data was read.
    pub as_of: Timestamp,
    /// Every disagreement, sorted by order number, refund number and kind.
    pub discrepancies: Vec<Discrepancy>,
    /// Orders found on both sides.
    pub compared_orders: u64,
    /// Refunds found on both sides.
    pub compared_refunds: u64,
    /// Records left alone because they are still in flight.
    pub settling: u64,
    /// Cash and member-card orders and refunds (never in the cloud).
    pub skipped_cash: u64,
    /// Cloud records of other stores or devices, and local records taken under another
    /// store or device id.
    pub other_devices: u64,
    /// Records listed more than once (overlapping pages), collapsed.
    pub repeats: u64,
}

impl Report {
    /// No discrepancy.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.discrepancies.is_empty()
    }

    /// Discrepancies of one kind.
    #[must_use]
    pub fn count(&self, kind: DiscrepancyKind) -> usize {
        self.discrepancies.iter().filter(|d| d.kind == kind).count()
    }

    /// One line for the halt banner, e.g. `reconciliation with Cloud Pay found 3
    /// discrepancies (2 missing_locally, 1 amount_differs)`.
    #[must_use]
    pub fn headline(&self) -> String {
        if self.is_clean() {
            return format!(
                "reconciliation with Cloud Pay found no discrepancy ({} orders, {} refunds compared)",
                self.compared_orders, self.compared_refunds
            );
        }
        let parts: Vec<String> = DiscrepancyKind::ALL
            .iter()
            .filter_map(|&k| {
                let n = self.count(k);
                (n > 0).then(|| format!("{n} {k}"))
            })
            .collect();
        let n = self.discrepancies.len();
        format!(
            "reconciliation with Cloud Pay found {n} discrepanc{} ({})",
            if n == 1 { "y" } else { "ies" },
            parts.join(", ")
        )
    }

    /// Each discrepancy as one line (for the halt details).
    #[must_use]
    pub fn detail_lines(&self) -> Vec<String> {
        self.discrepancies.iter().map(ToString::to_string).collect()
    }
}

// ───────────────────────────── comparison ─────────────────────────────

/// No record on this side. Indexes are `u32` to keep a slot at 12 bytes: no slice of a
/// billion records fits in a terminal's memory anyway.
const NONE: u32 = u32::MAX;

/// Two cloud records with this number are not copies of one record.
const CONFLICT: u8 = 1;
/// The cloud record carries another `machine_no`.
const FOREIGN_MACHINE: u8 = 2;
/// A refund of this order is unfinished or recent: its refunded total is not compared.
const REFUND_BUSY: u8 = 4;

/// Both sides of one number: indexes into the caller's slices.
#[derive(Debug, Clone, Copy)]
struct Slot {
    local: u32,
    cloud: u32,
    flags: u8,
}

impl Default for Slot {
    fn default() -> Self {
        Slot {
            local: NONE,
            cloud: NONE,
            flags: 0,
        }
    }
}

impl Slot {
    fn local(self) -> Option<usize> {
        (self.local != NONE).then_some(self.local as usize)
    }

    fn cloud(self) -> Option<usize> {
        (self.cloud != NONE).then_some(self.cloud as usize)
    }
}

/// A record's index as stored in a [`Slot`].
fn idx(i: usize) -> u32 {
    debug_assert!(i < NONE as usize);
    u32::try_from(i).unwrap_or(NONE - 1)
}

/// Numbers to slots. Slots live in a vector in the order they were first seen (the cloud
/// listing's, then the ledger's), and the comparison walks that vector: both sides are read
/// roughly in their own order, which keeps a million records cache-friendly, and nothing
/// depends on the hash order. (Keys are the records' own `&str`: an inline 32-byte key was
/// measured slower, the bigger table costing more than the pointer it saves.)
struct Index<'a> {
    ids: std::collections::HashMap<&'a str, usize, foldhash::fast::RandomState>,
    slots: Vec<Slot>,
    /// Slot id → a conflicting cloud copy (with [`CONFLICT`]); rare.
    others: std::collections::HashMap<usize, usize, foldhash::fast::RandomState>,
}

impl<'a> Index<'a> {
    fn with_capacity(n: usize) -> Self {
        Index {
            ids: std::collections::HashMap::with_capacity_and_hasher(
                n,
                foldhash::fast::RandomState::default(),
            ),
            slots: Vec::with_capacity(n),
            others: std::collections::HashMap::default(),
        }
    }

    /// The id of the slot of `key`, created empty if new.
    fn slot_id(&mut self, key: &'a str) -> usize {
        let next = self.slots.len();
        let id = *self.ids.entry(key).or_insert(next);
        if id == next {
            self.slots.push(Slot::default());
        }
        id
    }

    fn slot(&mut self, key: &'a str) -> &mut Slot {
        let id = self.slot_id(key);
        &mut self.slots[id]
    }

    fn other(&self, id: usize) -> Option<usize> {
        self.others.get(&id).copied()
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Slot> {
        let id = *self.ids.get(key)?;
        self.slots.get_mut(id)
    }
}

/// What a state means for money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Charged,
    NotCharged,
    Open,
}

const fn local_class(s: OrderState) -> Class {
    match s {
        OrderState::Paid => Class::Charged,
        OrderState::Failed | OrderState::Reversed => Class::NotCharged,
        OrderState::Created
        | OrderState::Submitted
        | OrderState::UserPaying
        | OrderState::Unknown
        | OrderState::Reversing => Class::Open,
    }
}

const fn cloud_class(s: CloudOrderState) -> Class {
    match s {
        CloudOrderState::Paid => Class::Charged,
        CloudOrderState::Failed | CloudOrderState::Reversed => Class::NotCharged,
        CloudOrderState::Pending => Class::Open,
    }
}

const fn refund_class(s: RefundState) -> Class {
    match s {
        RefundState::Succeeded => Class::Charged,
        RefundState::Failed => Class::NotCharged,
        RefundState::Requested | RefundState::Processing => Class::Open,
    }
}

/// How far along a cloud order is, to keep the latest of two copies.
const fn cloud_rank(s: CloudOrderState) -> u8 {
    match s {
        CloudOrderState::Pending => 0,
        CloudOrderState::Paid => 1,
        CloudOrderState::Failed | CloudOrderState::Reversed => 2,
    }
}

const fn refund_rank(s: RefundState) -> u8 {
    match s {
        RefundState::Requested => 0,
        RefundState::Processing => 1,
        RefundState::Succeeded | RefundState::Failed => 2,
    }
}

fn compatible(a: Option<&String>, b: Option<&String>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// Whether two cloud listings of one number are copies of one record (taken at different
/// moments) rather than two records.
fn same_cloud_order(a: &CloudOrder, b: &CloudOrder) -> bool {
    a.amount == b.amount
        && a.created_at == b.created_at
        && a.wallet == b.wallet
        && compatible(a.machine_no.as_ref(), b.machine_no.as_ref())
        && compatible(a.transaction_id.as_ref(), b.transaction_id.as_ref())
}

fn same_cloud_refund(a: &CloudRefund, b: &CloudRefund) -> bool {
    a.order_no == b.order_no && a.amount == b.amount && a.created_at == b.created_at
}

fn last_touch_order(o: &Order) -> Timestamp {
    o.created_at.max(o.updated_at)
}

fn last_touch_refund(r: &Refund) -> Timestamp {
    r.created_at.max(r.updated_at)
}

struct Ctx<'p> {
    p: &'p Params,
    /// Records touched after this instant are recent.
    grace_start: Timestamp,
    report: Report,
}

impl Ctx<'_> {
    fn recent(&self, t: Timestamp) -> bool {
        t > self.grace_start
    }

    fn when(&self, t: Timestamp) -> String {
        t.format(self.p.offset_seconds)
    }

    fn push(
        &mut self,
        kind: DiscrepancyKind,
        out_trade_no: &str,
        out_refund_no: Option<&str>,
        local: Option<String>,
        cloud: Option<String>,
        detail: String,
    ) {
        self.report.discrepancies.push(Discrepancy {
            kind,
            out_trade_no: out_trade_no.to_owned(),
            out_refund_no: out_refund_no.map(str::to_owned),
            local,
            cloud,
            detail,
        });
    }
}

fn local_order_text(o: &Order) -> String {
    if o.refunded.is_positive() {
        format!("{} {} refunded {}", o.state, o.amount, o.refunded)
    } else {
        format!("{} {}", o.state, o.amount)
    }
}

fn cloud_state_str(s: CloudOrderState) -> &'static str {
    match s {
        CloudOrderState::Paid => "paid",
        CloudOrderState::Pending => "pending",
        CloudOrderState::Failed => "failed",
        CloudOrderState::Reversed => "reversed",
    }
}

fn cloud_order_text(c: &CloudOrder) -> String {
    if c.refunded.is_positive() {
        format!(
            "{} {} refunded {}",
            cloud_state_str(c.state),
            c.amount,
            c.refunded
        )
    } else {
        format!("{} {}", cloud_state_str(c.state), c.amount)
    }
}

fn refund_text(state: RefundState, amount: Money) -> String {
    format!("{state} {amount}")
}

/// Compares the ledger with Cloud Pay's listing; see the crate documentation for the rules.
///
/// `local_orders`/`local_refunds` are the ledger's records over [`Params::fetch_range`]
/// (plus unfinished refunds), `cloud_orders`/`cloud_refunds` every page of the listing over
/// the same range, in any order.
#[must_use]
pub fn compare(
    local_orders: &[Order],
    local_refunds: &[Refund],
    cloud_orders: &[CloudOrder],
    cloud_refunds: &[CloudRefund],
    params: &Params,
) -> Report {
    let mut ctx = Ctx {
        p: params,
        grace_start: params.as_of.minus(params.settle_grace),
        report: Report {
            window: params.window,
            as_of: params.as_of,
            discrepancies: Vec::new(),
            compared_orders: 0,
            compared_refunds: 0,
            settling: 0,
            skipped_cash: 0,
            other_devices: 0,
            repeats: 0,
        },
    };
    let mut orders = Index::with_capacity(cloud_orders.len().max(local_orders.len()));
    index_cloud_orders(&mut ctx, &mut orders, cloud_orders);
    // Local orders taken under another store/device id: their refunds are not ours either.
    let mut foreign: Vec<&str> = Vec::new();
    index_local_orders(&mut ctx, &mut orders, local_orders, &mut foreign);
    foreign.sort_unstable();

    let mut refunds = Index::with_capacity(cloud_refunds.len().max(local_refunds.len()));
    index_cloud_refunds(&mut ctx, &mut refunds, cloud_refunds);
    index_local_refunds(&mut ctx, &mut refunds, local_refunds, &foreign);
    for (id, slot) in refunds.slots.iter().enumerate() {
        let other = if slot.flags & CONFLICT == 0 {
            None
        } else {
            refunds.other(id)
        };
        compare_refund(
            &mut ctx,
            &mut orders,
            *slot,
            other,
            local_refunds,
            cloud_refunds,
        );
    }
    for (id, slot) in orders.slots.iter().enumerate() {
        let other = if slot.flags & CONFLICT == 0 {
            None
        } else {
            orders.other(id)
        };
        compare_order(&mut ctx, *slot, other, local_orders, cloud_orders);
    }
    ctx.report.discrepancies.sort_by(|a, b| {
        (&a.out_trade_no, &a.out_refund_no, a.kind).cmp(&(
            &b.out_trade_no,
            &b.out_refund_no,
            b.kind,
        ))
    });
    ctx.report
}

fn index_cloud_orders<'a>(ctx: &mut Ctx<'_>, map: &mut Index<'a>, cloud: &'a [CloudOrder]) {
    let p = ctx.p;
    for (i, c) in cloud.iter().enumerate() {
        // A printed-QR-code payment (一码支付) was never made by this till, even when the
        // code shares its device id: it is the one-code watcher's, not reconciliation's.
        if c.store_id != p.store_id || c.device_id != p.device_id || c.one_code {
            ctx.report.other_devices += 1;
            continue;
        }
        let id = map.slot_id(c.no.as_str());
        let slot = &mut map.slots[id];
        if let (Some(ours), Some(theirs)) = (&p.machine_no, &c.machine_no)
            && ours != theirs
        {
            slot.flags |= FOREIGN_MACHINE;
            if slot.cloud == NONE {
                slot.cloud = idx(i);
            }
            continue;
        }
        let Some(k) = slot.cloud() else {
            slot.cloud = idx(i);
            continue;
        };
        let kept = &cloud[k];
        if same_cloud_order(kept, c) {
            ctx.report.repeats += 1;
            let newer = (cloud_rank(c.state), c.refunded) > (cloud_rank(kept.state), kept.refunded);
            if newer {
                slot.cloud = idx(i);
            }
        } else if slot.flags & CONFLICT == 0 {
            slot.flags |= CONFLICT;
            map.others.insert(id, i);
        }
    }
}

fn index_local_orders<'a>(
    ctx: &mut Ctx<'_>,
    map: &mut Index<'a>,
    local: &'a [Order],
    foreign: &mut Vec<&'a str>,
) {
    let p = ctx.p;
    for (i, o) in local.iter().enumerate() {
        if o.method.is_local() {
            ctx.report.skipped_cash += 1;
            continue;
        }
        if o.store_id != p.store_id || o.device_id != p.device_id {
            ctx.report.other_devices += 1;
            foreign.push(o.no.as_str());
            continue;
        }
        let slot = map.slot(o.no.as_str());
        match slot.local() {
            None => slot.local = idx(i),
            Some(k) => {
                ctx.report.repeats += 1;
                if last_touch_order(o) > last_touch_order(&local[k]) {
                    slot.local = idx(i);
                }
            }
        }
    }
}

fn index_cloud_refunds<'a>(ctx: &mut Ctx<'_>, map: &mut Index<'a>, cloud: &'a [CloudRefund]) {
    for (i, c) in cloud.iter().enumerate() {
        if c.device_id != ctx.p.device_id {
            ctx.report.other_devices += 1;
            continue;
        }
        let id = map.slot_id(c.no.as_str());
        let slot = &mut map.slots[id];
        let Some(k) = slot.cloud() else {
            slot.cloud = idx(i);
            continue;
        };
        let kept = &cloud[k];
        if same_cloud_refund(kept, c) {
            ctx.report.repeats += 1;
            if refund_rank(c.state) > refund_rank(kept.state) {
                slot.cloud = idx(i);
            }
        } else if slot.flags & CONFLICT == 0 {
            slot.flags |= CONFLICT;
            map.others.insert(id, i);
        }
    }
}

fn index_local_refunds<'a>(
    ctx: &mut Ctx<'_>,
    map: &mut Index<'a>,
    local: &'a [Refund],
    foreign: &[&str],
) {
    for (i, r) in local.iter().enumerate() {
        if r.method.is_local() {
            ctx.report.skipped_cash += 1;
            continue;
        }
        if !foreign.is_empty() && foreign.binary_search(&r.order_no.as_str()).is_ok() {
            ctx.report.other_devices += 1;
            continue;
        }
        let slot = map.slot(r.no.as_str());
        match slot.local() {
            None => slot.local = idx(i),
            Some(k) => {
                ctx.report.repeats += 1;
                if last_touch_refund(r) > last_touch_refund(&local[k]) {
                    slot.local = idx(i);
                }
            }
        }
    }
}

#[allow(clippy::too_many_lines)] // one decision table, easier to audit in one place
fn compare_order(
    ctx: &mut Ctx<'_>,
    slot: Slot,
    other: Option<usize>,
    local: &[Order],
    cloud: &[CloudOrder],
) {
    use DiscrepancyKind as K;
    let l = slot.local().map(|i| &local[i]);
    let c = slot.cloud().map(|i| &cloud[i]);
    let no = match (l, c) {
        (_, Some(c)) => c.no.as_str(),
        (Some(l), None) => l.no.as_str(),
        (None, None) => return,
    };
    let p = ctx.p;
    let Some(c) = c else {
        // Only in the ledger.
        let Some(l) = l else { return };
        if local_class(l.state) != Class::Charged || !p.in_window(l.created_at) {
            return;
        }
        if ctx.recent(last_touch_order(l)) {
            ctx.report.settling += 1;
            return;
        }
        let detail = format!(
            "the ledger has a paid order of {} created {} that Cloud Pay does not list: \
             counted as received, but Cloud Pay has no such payment",
            l.amount,
            ctx.when(l.created_at)
        );
        ctx.push(
            K::MissingInCloud,
            no,
            None,
            Some(local_order_text(l)),
            None,
            detail,
        );
        return;
    };
    // Identity first: another terminal with our store and device id.
    if slot.flags & (FOREIGN_MACHINE | CONFLICT) != 0 {
        if l.is_none() && !p.in_window(c.created_at) {
            return;
        }
        let detail = if slot.flags & FOREIGN_MACHINE != 0 {
            format!(
                "Cloud Pay lists this order from machine {}, not this terminal ({}): another \
                 terminal is configured with store {} and device {}",
                c.machine_no.as_deref().unwrap_or("?"),
                p.machine_no.as_deref().unwrap_or("?"),
                p.store_id,
                p.device_id
            )
        } else {
            let o = other.map_or(c, |i| &cloud[i]);
            format!(
                "Cloud Pay lists two different orders with this number ({} created {} and {} \
                 created {}): another terminal is using store {} and device {}",
                cloud_order_text(c),
                ctx.when(c.created_at),
                cloud_order_text(o),
                ctx.when(o.created_at),
                p.store_id,
                p.device_id
            )
        };
        ctx.push(
            K::DuplicateFromOtherDevice,
            no,
            None,
            l.map(local_order_text),
            Some(cloud_order_text(c)),
            detail,
        );
        return;
    }
    let Some(l) = l else {
        // Only in the cloud.
        if !p.in_window(c.created_at) {
            return;
        }
        if ctx.recent(c.created_at) {
            ctx.report.settling += 1;
            return;
        }
        let detail = if cloud_class(c.state) == Class::Charged {
            format!(
                "Cloud Pay lists a paid order of {} created {} that the ledger does not have: \
                 money was taken but is not recorded",
                c.amount,
                ctx.when(c.created_at)
            )
        } else {
            format!(
                "Cloud Pay lists a {} order of {} created {} that the ledger does not have: \
                 another terminal with this store and device id, or a lost ledger",
                cloud_state_str(c.state),
                c.amount,
                ctx.when(c.created_at)
            )
        };
        ctx.push(
            K::MissingLocally,
            no,
            None,
            None,
            Some(cloud_order_text(c)),
            detail,
        );
        return;
    };
    ctx.report.compared_orders += 1;
    if let (Some(lt), Some(ct)) = (&l.transaction_id, &c.transaction_id)
        && lt != ct
    {
        let detail = format!(
            "the transaction ids differ (ledger {lt}, Cloud Pay {ct}): another terminal \
             charged with this order number"
        );
        ctx.push(
            K::DuplicateFromOtherDevice,
            no,
            None,
            Some(local_order_text(l)),
            Some(cloud_order_text(c)),
            detail,
        );
        return;
    }
    let lc = local_class(l.state);
    let cc = cloud_class(c.state);
    let state_differs = |ctx: &mut Ctx<'_>, why: &str| {
        let detail = format!(
            "the ledger says {} but Cloud Pay says {}: {why}",
            l.state,
            cloud_state_str(c.state)
        );
        ctx.push(
            K::StateDiffers,
            no,
            None,
            Some(local_order_text(l)),
            Some(cloud_order_text(c)),
            detail,
        );
    };
    match (lc, cc) {
        (Class::Charged, Class::Charged) => {
            if l.amount != c.amount {
                let detail = format!(
                    "the amounts differ: ledger {}, Cloud Pay {}",
                    l.amount, c.amount
                );
                ctx.push(
                    K::AmountDiffers,
                    no,
                    None,
                    Some(local_order_text(l)),
                    Some(cloud_order_text(c)),
                    detail,
                );
            }
            if slot.flags & REFUND_BUSY != 0 {
                ctx.report.settling += 1;
            } else if l.refunded != c.refunded {
                let detail = format!(
                    "the refunded totals differ: ledger {}, Cloud Pay {}",
                    l.refunded, c.refunded
                );
                ctx.push(
                    K::RefundedDiffers,
                    no,
                    None,
                    Some(local_order_text(l)),
                    Some(cloud_order_text(c)),
                    detail,
                );
            }
        }
        (Class::Charged, Class::NotCharged) => state_differs(
            ctx,
            "the ledger counts money that Cloud Pay did not take or has returned",
        ),
        (Class::NotCharged, Class::Charged) => {
            state_differs(ctx, "money was taken but the ledger does not count it");
        }
        (Class::Open, Class::Charged) => {
            if ctx.recent(last_touch_order(l)) {
                ctx.report.settling += 1;
            } else {
                state_differs(
                    ctx,
                    "money was taken but the ledger has not recorded it (is recovery running?)",
                );
            }
        }
        (Class::Charged, Class::Open) => {
            if ctx.recent(c.created_at) {
                ctx.report.settling += 1;
            } else {
                state_differs(
                    ctx,
                    "the ledger counts money that Cloud Pay has still not received",
                );
            }
        }
        (Class::Open, _) | (_, Class::Open) => ctx.report.settling += 1,
        (Class::NotCharged, Class::NotCharged) => {}
    }
}

fn compare_refund(
    ctx: &mut Ctx<'_>,
    orders: &mut Index<'_>,
    slot: Slot,
    other: Option<usize>,
    local: &[Refund],
    cloud: &[CloudRefund],
) {
    use DiscrepancyKind as K;
    let l = slot.local().map(|i| &local[i]);
    let c = slot.cloud().map(|i| &cloud[i]);
    let no = match (l, c) {
        (_, Some(c)) => c.no.as_str(),
        (Some(l), None) => l.no.as_str(),
        (None, None) => return,
    };
    // Mark the order's refunded total as not comparable while a refund is under way.
    let busy = |ctx: &Ctx<'_>| {
        l.is_some_and(|l| !l.state.is_final() || ctx.recent(last_touch_refund(l)))
            || c.is_some_and(|c| !c.state.is_final() || ctx.recent(c.created_at))
    };
    if busy(ctx) {
        for order_no in [
            l.map(|l| l.order_no.as_str()),
            c.map(|c| c.order_no.as_str()),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(s) = orders.get_mut(order_no) {
                s.flags |= REFUND_BUSY;
            }
        }
    }
    let p = ctx.p;
    match (l, c) {
        (None, None) => {}
        (Some(l), None) => {
            if l.state != RefundState::Succeeded || !p.in_window(l.created_at) {
                return;
            }
            if ctx.recent(last_touch_refund(l)) {
                ctx.report.settling += 1;
                return;
            }
            let detail = format!(
                "the ledger has a succeeded refund of {} created {} that Cloud Pay does not list",
                l.amount,
                ctx.when(l.created_at)
            );
            ctx.push(
                K::RefundMissingInCloud,
                l.order_no.as_str(),
                Some(no),
                Some(refund_text(l.state, l.amount)),
                None,
                detail,
            );
        }
        (None, Some(c)) => {
            if slot.flags & CONFLICT != 0 {
                refund_conflict(ctx, no, slot, other, None, c, cloud);
                return;
            }
            if !p.in_window(c.created_at) {
                return;
            }
            if ctx.recent(c.created_at) {
                ctx.report.settling += 1;
                return;
            }
            let why = if c.state == RefundState::Succeeded {
                "money was returned but the ledger does not record it"
            } else {
                "another terminal with this device id, or a lost ledger"
            };
            let detail = format!(
                "Cloud Pay lists a {} refund of {} created {} that the ledger does not have: {why}",
                c.state,
                c.amount,
                ctx.when(c.created_at)
            );
            ctx.push(
                K::RefundMissingLocally,
                &c.order_no,
                Some(no),
                None,
                Some(refund_text(c.state, c.amount)),
                detail,
            );
        }
        (Some(l), Some(c)) => {
            ctx.report.compared_refunds += 1;
            if slot.flags & CONFLICT != 0 || l.order_no.as_str() != c.order_no {
                refund_conflict(ctx, no, slot, other, Some(l), c, cloud);
                return;
            }
            let texts = || {
                (
                    Some(refund_text(l.state, l.amount)),
                    Some(refund_text(c.state, c.amount)),
                )
            };
            let both_failed = l.state == RefundState::Failed && c.state == RefundState::Failed;
            if l.amount != c.amount && !both_failed {
                let (lt, ct) = texts();
                let detail = format!(
                    "the refund amounts differ: ledger {}, Cloud Pay {}",
                    l.amount, c.amount
                );
                ctx.push(
                    K::RefundAmountDiffers,
                    &c.order_no,
                    Some(no),
                    lt,
                    ct,
                    detail,
                );
            }
            let why = match (refund_class(l.state), refund_class(c.state)) {
                (Class::Charged, Class::NotCharged) => {
                    Some("the ledger counts a refund Cloud Pay did not make")
                }
                (Class::NotCharged, Class::Charged) => {
                    Some("money was returned but the ledger does not count it")
                }
                (Class::Open, Class::Charged) if !ctx.recent(last_touch_refund(l)) => Some(
                    "money was returned but the ledger has not recorded it (is recovery running?)",
                ),
                (Class::Open, _) | (_, Class::Open) => {
                    ctx.report.settling += 1;
                    None
                }
                _ => None,
            };
            if let Some(why) = why {
                let (lt, ct) = texts();
                let detail = format!(
                    "the ledger says the refund {} but Cloud Pay says {}: {why}",
                    l.state, c.state
                );
                ctx.push(K::RefundStateDiffers, &c.order_no, Some(no), lt, ct, detail);
            }
        }
    }
}

fn refund_conflict(
    ctx: &mut Ctx<'_>,
    no: &str,
    slot: Slot,
    other: Option<usize>,
    l: Option<&Refund>,
    c: &CloudRefund,
    cloud: &[CloudRefund],
) {
    if l.is_none() && !ctx.p.in_window(c.created_at) {
        return;
    }
    let detail = if slot.flags & CONFLICT != 0 {
        let o = other.map_or(c, |i| &cloud[i]);
        format!(
            "Cloud Pay lists two different refunds with this number (of order {} for {} and of \
             order {} for {}): another terminal is using device {}",
            c.order_no, c.amount, o.order_no, o.amount, ctx.p.device_id
        )
    } else {
        let l_order = l.map_or("?", |l| l.order_no.as_str());
        format!(
            "Cloud Pay lists this refund number for order {}, the ledger for order {l_order}: \
             another terminal is using device {}",
            c.order_no, ctx.p.device_id
        )
    };
    let order_no = l.map_or(c.order_no.as_str(), |l| l.order_no.as_str());
    ctx.push(
        DiscrepancyKind::DuplicateFromOtherDevice,
        order_no,
        Some(no),
        l.map(|l| refund_text(l.state, l.amount)),
        Some(refund_text(c.state, c.amount)),
        detail,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_names_and_serialise_snake_case() {
        for k in DiscrepancyKind::ALL {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(k.to_string(), k.as_str());
            assert!(!k.display_name().is_empty());
        }
    }

    #[test]
    fn fetch_range_widens_the_window() {
        let p = Params::new(
            (
                Timestamp::from_unix_seconds(1000),
                Timestamp::from_unix_seconds(2000),
            ),
            Timestamp::from_unix_seconds(3000),
            "s",
            "d",
        );
        assert_eq!(
            p.fetch_range(Duration::from_secs(10)),
            (
                Timestamp::from_unix_seconds(990),
                Timestamp::from_unix_seconds(2010)
            )
        );
        assert!(p.in_window(Timestamp::from_unix_seconds(1000)));
        assert!(!p.in_window(Timestamp::from_unix_seconds(2000)));
    }
}
