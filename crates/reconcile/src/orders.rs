//! The comparison of orders and refunds: the ledger's against the cloud's listing, by the
//! rules written in the crate's documentation ([`compare`]).

use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::ports::{CloudOrder, CloudOrderState, CloudRefund};
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_domain::timestamp::Timestamp;

use crate::{Discrepancy, DiscrepancyKind, Params, Report};

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
