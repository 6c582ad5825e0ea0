//! Deposits against the cloud's listing of freezes and releases (`query_order_list`, order
//! types 4 and 5; protocol notes §11.8). Pure, like the rest of the crate.
//!
//! ## How the caller fetches
//! As for orders: the cloud first (freezes, then releases, over [`Params::fetch_range`], by
//! creation time), then the ledger's deposits created in the same range plus every deposit
//! with a call open and the deposits of the listed releases.
//!
//! ## Rules
//! **Scope**: cloud records of another store or device, and local deposits taken under
//! another store or device id, are counted in [`DepositReport::other_devices`] and ignored.
//!
//! **Missing**, only for a record created inside [`Params::window`] and not touched within
//! [`Params::settle_grace`]:
//! - a cloud freeze the ledger lacks, whatever its state (commit, then call: there is no
//!   innocent way for it to exist), and a succeeded cloud release the ledger lacks;
//! - a local deposit that held money ([`Deposit::frozen_at`] set) the cloud does not list,
//!   and a local release that went through the cloud does not list.
//!
//! **States** by what they mean for the customer's money:
//!
//! | ledger \ cloud | frozen | finished (nothing held) | failed / pending |
//! |---|---|---|---|
//! | frozen | compare amounts | **state differs**, unless the wallet released it by itself (settling: the terminal notes it) | **state differs** |
//! | consumed, unfrozen | **state differs** (still held in the cloud) | compare amounts | **state differs** |
//! | failed | **state differs** (money held, not recorded) | **state differs** | equal |
//! | freezing, user paying, unknown | **state differs** once untouched for the grace | **state differs** once untouched for the grace | in flight |
//! | consuming, unfreezing | in flight | **state differs** once untouched for the grace | in flight |
//!
//! A "state differs" between a local record touched within the grace and the cloud is in
//! flight instead (the listing may lag, the follow-up may be settling it).
//!
//! **Amounts** compared when both sides are settled: the frozen amount, the consumed total
//! and the released total (`total_manual_unfreeze_fee + total_auto_unfreeze_fee` against
//! [`Deposit::unfrozen`], which counts the rest released at a consume as the sandbox and
//! the notes do), and each release's amount against the deposit's.

use std::collections::HashMap;

use cloudpos_domain::deposit::{Deposit, DepositState};
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::{CloudFreeze, CloudFreezeState, CloudUnfreeze};
use cloudpos_domain::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Discrepancy, DiscrepancyKind, Params};

/// The outcome of [`compare_deposits`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositReport {
    /// Every disagreement, sorted by deposit number, release number and kind.
    pub discrepancies: Vec<Discrepancy>,
    /// Freezes found on both sides.
    pub compared_freezes: u64,
    /// Releases found on both sides.
    pub compared_unfreezes: u64,
    /// Records left alone because they are still in flight.
    pub settling: u64,
    /// Frozen deposits the wallet released by itself (the terminal brings them up to date).
    pub auto_released: Vec<String>,
    /// Records of other stores or devices.
    pub other_devices: u64,
}

/// What a deposit's state means for the customer's money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Local {
    /// A freeze not confirmed yet.
    Open,
    /// Held.
    Held,
    /// A consume or release in flight.
    Settling,
    /// Consumed or released: nothing held.
    Done,
    /// Never held.
    Never,
}

const fn local_class(s: DepositState) -> Local {
    match s {
        DepositState::Freezing | DepositState::UserPaying | DepositState::Unknown => Local::Open,
        DepositState::Frozen => Local::Held,
        DepositState::Consuming | DepositState::Unfreezing => Local::Settling,
        DepositState::Consumed | DepositState::Unfrozen => Local::Done,
        DepositState::Failed => Local::Never,
    }
}

const fn cloud_rank(s: CloudFreezeState) -> u8 {
    match s {
        CloudFreezeState::Pending => 0,
        CloudFreezeState::Frozen => 1,
        CloudFreezeState::Failed | CloudFreezeState::Finished => 2,
    }
}

fn cloud_text(f: &CloudFreeze) -> String {
    let state = match f.state {
        CloudFreezeState::Pending => "pending",
        CloudFreezeState::Frozen => "frozen",
        CloudFreezeState::Failed => "failed",
        CloudFreezeState::Finished => "finished",
    };
    format!(
        "{state} {} consumed {} released {}",
        f.frozen,
        f.consumed,
        released(f)
    )
}

fn local_text(d: &Deposit) -> String {
    format!(
        "{} {} consumed {} released {}",
        d.state, d.frozen, d.consumed, d.unfrozen
    )
}

fn released(f: &CloudFreeze) -> Money {
    Money::from_fen(f.released.fen().saturating_add(f.auto_released.fen()))
}

fn last_touch(d: &Deposit) -> Timestamp {
    d.created_at.max(d.updated_at)
}

struct Ctx<'p> {
    p: &'p Params,
    grace_start: Timestamp,
    report: DepositReport,
}

impl Ctx<'_> {
    fn recent(&self, t: Timestamp) -> bool {
        t > self.grace_start
    }

    fn push(
        &mut self,
        kind: DiscrepancyKind,
        freeze_no: &str,
        unfreeze_no: Option<&str>,
        local: Option<String>,
        cloud: Option<String>,
        detail: String,
    ) {
        self.report.discrepancies.push(Discrepancy {
            kind,
            out_trade_no: freeze_no.to_owned(),
            out_refund_no: unfreeze_no.map(str::to_owned),
            local,
            cloud,
            detail,
        });
    }
}

/// Compares the ledger's deposits with the cloud's freezes and releases; see the module
/// documentation for the rules. Discrepancies name the deposit in
/// [`Discrepancy::out_trade_no`] and a release in [`Discrepancy::out_refund_no`].
#[must_use]
pub fn compare_deposits(
    local: &[Deposit],
    freezes: &[CloudFreeze],
    unfreezes: &[CloudUnfreeze],
    params: &Params,
) -> DepositReport {
    let mut ctx = Ctx {
        p: params,
        grace_start: params.as_of.minus(params.settle_grace),
        report: DepositReport::default(),
    };
    let mut pairs: HashMap<&str, (Option<&Deposit>, Option<&CloudFreeze>)> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for f in freezes {
        if f.store_id != params.store_id || f.device_id != params.device_id {
            ctx.report.other_devices += 1;
            continue;
        }
        let e = pairs.entry(f.no.as_str()).or_insert_with(|| {
            order.push(f.no.as_str());
            (None, None)
        });
        // One record listed twice while it changed: keep the most advanced copy.
        let newer = e.1.is_none_or(|k| {
            (cloud_rank(f.state), f.consumed, released(f))
                > (cloud_rank(k.state), k.consumed, released(k))
        });
        if newer {
            e.1 = Some(f);
        }
    }
    let mut releases: HashMap<&str, &Deposit> = HashMap::new();
    for d in local {
        if d.store_id != params.store_id || d.device_id != params.device_id {
            ctx.report.other_devices += 1;
            continue;
        }
        if let Some(u) = &d.unfreeze_no
            && matches!(d.state, DepositState::Unfreezing | DepositState::Unfrozen)
        {
            releases.insert(u.as_str(), d);
        }
        let e = pairs.entry(d.no.as_str()).or_insert_with(|| {
            order.push(d.no.as_str());
            (None, None)
        });
        if e.0.is_none_or(|k| last_touch(d) > last_touch(k)) {
            e.0 = Some(d);
        }
    }
    for no in order {
        let (l, c) = pairs[no];
        match (l, c) {
            (Some(d), Some(f)) => compare_freeze(&mut ctx, d, f),
            (None, Some(f)) => {
                if params.in_window(f.created_at) && !ctx.recent(f.created_at) {
                    ctx.push(
                        DiscrepancyKind::FreezeMissingLocally,
                        no,
                        None,
                        None,
                        Some(cloud_text(f)),
                        format!(
                            "Cloud Pay lists deposit {no} ({}), created {}, which the ledger does not have",
                            cloud_text(f),
                            f.created_at.format(params.offset_seconds)
                        ),
                    );
                } else {
                    ctx.report.settling += 1;
                }
            }
            (Some(d), None) => {
                if d.frozen_at.is_some()
                    && params.in_window(d.created_at)
                    && !ctx.recent(last_touch(d))
                {
                    ctx.push(
                        DiscrepancyKind::FreezeMissingInCloud,
                        no,
                        None,
                        Some(local_text(d)),
                        None,
                        format!(
                            "the ledger's deposit {no} ({}) is not listed by Cloud Pay",
                            local_text(d)
                        ),
                    );
                }
            }
            (None, None) => {}
        }
    }
    compare_unfreezes(&mut ctx, &releases, unfreezes);
    ctx.report.discrepancies.sort_by(|a, b| {
        (&a.out_trade_no, &a.out_refund_no, a.kind).cmp(&(
            &b.out_trade_no,
            &b.out_refund_no,
            b.kind,
        ))
    });
    ctx.report
}

fn compare_freeze(ctx: &mut Ctx<'_>, d: &Deposit, f: &CloudFreeze) {
    ctx.report.compared_freezes += 1;
    let no = d.no.as_str();
    let recent = ctx.recent(last_touch(d));
    let differs = |ctx: &mut Ctx<'_>, why: &str| {
        ctx.push(
            DiscrepancyKind::FreezeStateDiffers,
            no,
            None,
            Some(local_text(d)),
            Some(cloud_text(f)),
            format!(
                "deposit {no}: the ledger says {}, Cloud Pay says {} ({why})",
                local_text(d),
                cloud_text(f)
            ),
        );
    };
    let auto_only = f.state == CloudFreezeState::Finished
        && f.consumed.fen() == 0
        && f.released.fen() == 0
        && f.auto_released.is_positive();
    match (local_class(d.state), f.state) {
        (Local::Held, CloudFreezeState::Frozen) | (Local::Done, CloudFreezeState::Finished) => {
            compare_amounts(ctx, d, f);
        }
        (Local::Held, CloudFreezeState::Finished) if auto_only => {
            ctx.report.settling += 1;
            ctx.report.auto_released.push(no.to_owned());
        }
        (Local::Never, CloudFreezeState::Failed | CloudFreezeState::Pending)
        | (Local::Open | Local::Settling, CloudFreezeState::Failed | CloudFreezeState::Pending)
        | (Local::Settling, CloudFreezeState::Frozen) => ctx.report.settling += 1,
        _ if recent => ctx.report.settling += 1,
        (Local::Held, CloudFreezeState::Finished) => {
            differs(ctx, "money was consumed or released without the ledger");
        }
        (Local::Held, _) => differs(ctx, "the ledger holds money the cloud did not freeze"),
        (Local::Done, CloudFreezeState::Frozen) => {
            differs(ctx, "the cloud still holds money the ledger released");
        }
        (Local::Done, _) => differs(
            ctx,
            "the ledger consumed or released money the cloud never froze",
        ),
        (Local::Never, _) => differs(ctx, "the cloud froze money the ledger does not count"),
        (Local::Open, _) => differs(
            ctx,
            "the freeze is settled in the cloud but not in the ledger",
        ),
        (Local::Settling, _) => {
            differs(
                ctx,
                "a consume or release went through but the ledger did not record it",
            );
        }
    }
}

fn compare_amounts(ctx: &mut Ctx<'_>, d: &Deposit, f: &CloudFreeze) {
    let same = d.frozen == f.frozen && d.consumed == f.consumed && d.unfrozen == released(f);
    if !same {
        let no = d.no.as_str();
        ctx.push(
            DiscrepancyKind::FreezeAmountsDiffer,
            no,
            None,
            Some(local_text(d)),
            Some(cloud_text(f)),
            format!(
                "deposit {no}: the ledger says frozen {} consumed {} released {}, Cloud Pay says frozen {} consumed {} released {}",
                d.frozen,
                d.consumed,
                d.unfrozen,
                f.frozen,
                f.consumed,
                released(f)
            ),
        );
    }
}

fn compare_unfreezes(
    ctx: &mut Ctx<'_>,
    releases: &HashMap<&str, &Deposit>,
    unfreezes: &[CloudUnfreeze],
) {
    let p = ctx.p;
    let mut seen: HashMap<&str, &CloudUnfreeze> = HashMap::new();
    for u in unfreezes {
        if u.store_id != p.store_id || u.device_id != p.device_id {
            ctx.report.other_devices += 1;
            continue;
        }
        if !u.succeeded {
            continue;
        }
        if seen.insert(u.no.as_str(), u).is_some() {
            continue;
        }
        match releases.get(u.no.as_str()) {
            Some(d) => {
                ctx.report.compared_unfreezes += 1;
                if d.state == DepositState::Unfrozen && d.unfrozen != u.amount {
                    ctx.push(
                        DiscrepancyKind::UnfreezeAmountDiffers,
                        d.no.as_str(),
                        Some(u.no.as_str()),
                        Some(format!("released {}", d.unfrozen)),
                        Some(format!("released {}", u.amount)),
                        format!(
                            "release {} of deposit {}: the ledger released {}, Cloud Pay {}",
                            u.no, d.no, d.unfrozen, u.amount
                        ),
                    );
                }
            }
            None if p.in_window(u.created_at) && !ctx.recent(u.created_at) => ctx.push(
                DiscrepancyKind::UnfreezeMissingLocally,
                &u.freeze_no,
                Some(u.no.as_str()),
                None,
                Some(format!("released {}", u.amount)),
                format!(
                    "Cloud Pay lists release {} of {} on deposit {}, which the ledger does not have",
                    u.no, u.amount, u.freeze_no
                ),
            ),
            None => ctx.report.settling += 1,
        }
    }
    for (no, d) in releases {
        if seen.contains_key(no) || d.state != DepositState::Unfrozen {
            continue;
        }
        let at = d.finished_at.unwrap_or(d.updated_at);
        if p.in_window(at) && !ctx.recent(last_touch(d)) {
            ctx.push(
                DiscrepancyKind::UnfreezeMissingInCloud,
                d.no.as_str(),
                Some(no),
                Some(format!("released {}", d.unfrozen)),
                None,
                format!(
                    "the ledger's release {no} of deposit {} ({}) is not listed by Cloud Pay",
                    d.no, d.unfrozen
                ),
            );
        }
    }
}
