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
mod orders;

use std::fmt;
use std::time::Duration;

use cloudpos_domain::timestamp::{CHINA_OFFSET_SECONDS, Timestamp};
#[cfg(doc)]
use cloudpos_domain::{
    order::Order,
    ports::{CloudOrder, CloudRefund},
    refund::Refund,
};
use serde::{Deserialize, Serialize};

pub use deposits::{DepositReport, compare_deposits};
pub use orders::compare;

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
