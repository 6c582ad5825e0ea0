//! The `hq` campaign's pass criteria: once every till has pushed everything, the head office
//! holds exactly the union of the tills' ledgers — every order (number, payment state,
//! amount, refunded), every refund (number, order, state, amount) and every deposit (number,
//! state, frozen, consumed, released, pending, consume's order) under the till that recorded
//! it, none missing, none extra, none twice — its change log is each till's stream
//! without a gap or a double, and its summary's totals are the tills' totals.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

/// One order as a till or the head office holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    /// `out_trade_no`.
    pub no: String,
    /// Payment state (`paid`, `failed`, `reversed`, …; refunds do not change it).
    pub state: String,
    /// Amount in fen.
    pub amount_fen: i64,
    /// Refunded so far, in fen.
    pub refunded_fen: i64,
}

impl OrderRow {
    /// From an object of `cloudpos orders --json` (its `payment_state`).
    #[must_use]
    pub fn from_till_json(v: &Value) -> Option<OrderRow> {
        Some(OrderRow {
            no: v["out_trade_no"].as_str()?.to_owned(),
            state: v["payment_state"].as_str()?.to_owned(),
            amount_fen: v["amount_fen"].as_i64()?,
            refunded_fen: v["refunded_fen"].as_i64()?,
        })
    }
}

/// One refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRow {
    /// `out_refund_no`.
    pub no: String,
    /// The refunded order's `out_trade_no`.
    pub order_no: String,
    /// `processing`, `succeeded`, `failed`, ….
    pub state: String,
    /// Amount in fen.
    pub amount_fen: i64,
}

/// One deposit (押金): the amounts the head office keeps per (till, `out_freeze_no`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositRow {
    /// `out_freeze_no`.
    pub no: String,
    /// `freezing`, `frozen`, `failed`, `consumed`, `unfrozen`, ….
    pub state: String,
    /// Amount frozen, in fen.
    pub frozen_fen: i64,
    /// Taken by the consume, in fen.
    pub consumed_fen: i64,
    /// Released to the customer, in fen (the till's `unfrozen_fen`).
    pub released_fen: i64,
    /// Of a consume or release in flight, in fen.
    pub pending_fen: i64,
    /// The consume's order (`out_trade_no`), once committed.
    pub consume_no: Option<String>,
}

impl std::fmt::Display for DepositRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} frozen {} consumed {} released {} pending {} fen",
            self.state, self.frozen_fen, self.consumed_fen, self.released_fen, self.pending_fen
        )?;
        if let Some(no) = &self.consume_no {
            write!(f, " (consume order {no})")?;
        }
        Ok(())
    }
}

/// One till's ledger, under the device name it was enrolled with.
#[derive(Debug, Clone, Default)]
pub struct TillLedger {
    /// The enrolled device name.
    pub device: String,
    /// Every order.
    pub orders: Vec<OrderRow>,
    /// Every refund.
    pub refunds: Vec<RefundRow>,
    /// Every deposit.
    pub deposits: Vec<DepositRow>,
}

/// What the head office holds.
#[derive(Debug, Clone, Default)]
pub struct HqLedger {
    /// (device, order) for every order row.
    pub orders: Vec<(String, OrderRow)>,
    /// (device, refund) for every refund row.
    pub refunds: Vec<(String, RefundRow)>,
    /// (device, deposit) for every deposit row.
    pub deposits: Vec<(String, DepositRow)>,
    /// device → (applied_through, change_log rows, distinct seqs in 1..=applied_through).
    pub streams: BTreeMap<String, (i64, i64, i64)>,
    /// The `total` of `GET /api/v1/summary`.
    pub summary_total: Value,
}

/// Summary totals: paid orders (whatever was refunded since), their amount and refunds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Orders paid.
    pub paid_count: i64,
    /// Their amount.
    pub paid_fen: i64,
    /// Refunded of them.
    pub refunded_fen: i64,
}

impl Totals {
    /// The totals of a set of orders.
    pub fn of<'a>(orders: impl IntoIterator<Item = &'a OrderRow>) -> Totals {
        let mut t = Totals::default();
        for o in orders {
            if o.state == "paid" {
                t.paid_count += 1;
                t.paid_fen += o.amount_fen;
                t.refunded_fen += o.refunded_fen;
            }
        }
        t
    }

    /// From the API's `total` object.
    #[must_use]
    pub fn from_json(v: &Value) -> Option<Totals> {
        Some(Totals {
            paid_count: v["paid_count"].as_i64()?,
            paid_fen: v["paid_fen"].as_i64()?,
            refunded_fen: v["refunded_fen"].as_i64()?,
        })
    }
}

/// What was compared.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    /// Orders in the tills' ledgers.
    pub till_orders: usize,
    /// Order rows at the head office.
    pub hq_orders: usize,
    /// Refunds in the tills' ledgers.
    pub till_refunds: usize,
    /// Refund rows at the head office.
    pub hq_refunds: usize,
    /// Deposits in the tills' ledgers.
    pub till_deposits: usize,
    /// Deposit rows at the head office.
    pub hq_deposits: usize,
    /// Till records the head office lacks.
    pub missing: usize,
    /// Records the head office holds twice (one number under two tills), or holds that no
    /// till has.
    pub duplicated: usize,
    /// Records present on both sides that differ.
    pub mismatched: usize,
    /// The tills' totals.
    pub till_totals: Totals,
    /// The head office's totals (its summary API).
    pub hq_totals: Totals,
}

/// Compares; returns the tally and every violation found (at most 50 spelled out).
#[must_use]
pub fn compare(tills: &[TillLedger], hq: &HqLedger) -> (Tally, Vec<String>) {
    let mut problems = Vec::new();
    let mut tally = Tally {
        till_orders: tills.iter().map(|t| t.orders.len()).sum(),
        hq_orders: hq.orders.len(),
        till_refunds: tills.iter().map(|t| t.refunds.len()).sum(),
        hq_refunds: hq.refunds.len(),
        till_deposits: tills.iter().map(|t| t.deposits.len()).sum(),
        hq_deposits: hq.deposits.len(),
        ..Tally::default()
    };

    // Orders.
    let mut hq_orders: HashMap<(&str, &str), Vec<&OrderRow>> = HashMap::new();
    let mut order_devices: HashMap<&str, Vec<&str>> = HashMap::new();
    for (device, o) in &hq.orders {
        hq_orders
            .entry((device.as_str(), o.no.as_str()))
            .or_default()
            .push(o);
        order_devices
            .entry(o.no.as_str())
            .or_default()
            .push(device.as_str());
    }
    for (no, devices) in &order_devices {
        if devices.len() > 1 {
            tally.duplicated += devices.len() - 1;
            problems.push(format!(
                "order {no} held {} times at the head office (tills {})",
                devices.len(),
                devices.join(", ")
            ));
        }
    }
    let mut seen_orders: HashMap<(&str, &str), ()> = HashMap::new();
    for till in tills {
        for o in &till.orders {
            let key = (till.device.as_str(), o.no.as_str());
            seen_orders.insert(key, ());
            match hq_orders.get(&key).and_then(|v| v.first()) {
                None => {
                    tally.missing += 1;
                    problems.push(format!(
                        "order {} of {} ({} {} fen) is missing at the head office",
                        o.no, till.device, o.state, o.amount_fen
                    ));
                }
                Some(h) if *h != o => {
                    tally.mismatched += 1;
                    problems.push(format!(
                        "order {} of {}: the till has {} {} fen refunded {}, the head office {} {} fen refunded {}",
                        o.no, till.device, o.state, o.amount_fen, o.refunded_fen,
                        h.state, h.amount_fen, h.refunded_fen
                    ));
                }
                Some(_) => {}
            }
        }
    }
    for (device, o) in &hq.orders {
        if !seen_orders.contains_key(&(device.as_str(), o.no.as_str())) {
            tally.duplicated += 1;
            problems.push(format!(
                "the head office holds order {} under {device}, which that till does not have",
                o.no
            ));
        }
    }

    // Refunds.
    let mut hq_refunds: HashMap<(&str, &str), &RefundRow> = HashMap::new();
    let mut refund_devices: HashMap<&str, usize> = HashMap::new();
    for (device, r) in &hq.refunds {
        hq_refunds.insert((device.as_str(), r.no.as_str()), r);
        *refund_devices.entry(r.no.as_str()).or_default() += 1;
    }
    for (no, n) in &refund_devices {
        if *n > 1 {
            tally.duplicated += n - 1;
            problems.push(format!("refund {no} held {n} times at the head office"));
        }
    }
    let mut seen_refunds: HashMap<(&str, &str), ()> = HashMap::new();
    for till in tills {
        for r in &till.refunds {
            let key = (till.device.as_str(), r.no.as_str());
            seen_refunds.insert(key, ());
            match hq_refunds.get(&key) {
                None => {
                    tally.missing += 1;
                    problems.push(format!(
                        "refund {} of {} ({} fen on {}) is missing at the head office",
                        r.no, till.device, r.amount_fen, r.order_no
                    ));
                }
                Some(h) if *h != r => {
                    tally.mismatched += 1;
                    problems.push(format!(
                        "refund {} of {}: the till has {} {} fen on {}, the head office {} {} fen on {}",
                        r.no, till.device, r.state, r.amount_fen, r.order_no,
                        h.state, h.amount_fen, h.order_no
                    ));
                }
                Some(_) => {}
            }
        }
    }
    for (device, r) in &hq.refunds {
        if !seen_refunds.contains_key(&(device.as_str(), r.no.as_str())) {
            tally.duplicated += 1;
            problems.push(format!(
                "the head office holds refund {} under {device}, which that till does not have",
                r.no
            ));
        }
    }

    compare_deposits(tills, hq, &mut tally, &mut problems);

    // The change streams: seqs 1..=applied_through, each exactly once.
    for till in tills {
        match hq.streams.get(&till.device) {
            None => problems.push(format!(
                "till {} is not known at the head office",
                till.device
            )),
            Some(&(through, rows, distinct)) => {
                if rows != through || distinct != through {
                    problems.push(format!(
                        "till {}: applied through seq {through} but the change log holds {rows} rows ({distinct} distinct numbers in 1..={through})",
                        till.device
                    ));
                }
            }
        }
    }

    // Totals.
    tally.till_totals = Totals::of(tills.iter().flat_map(|t| &t.orders));
    match Totals::from_json(&hq.summary_total) {
        Some(t) => {
            tally.hq_totals = t;
            if t != tally.till_totals {
                problems.push(format!(
                    "totals differ: the tills {:?}, the head office's summary {t:?}",
                    tally.till_totals
                ));
            }
        }
        None => problems.push(format!(
            "the head office's summary has no total: {}",
            hq.summary_total
        )),
    }
    if problems.len() > 50 {
        let more = problems.len() - 50;
        problems.truncate(50);
        problems.push(format!("… and {more} more"));
    }
    (tally, problems)
}

/// Deposits, per (till, `out_freeze_no`): missing, held twice or under a till that lacks it,
/// different.
fn compare_deposits(
    tills: &[TillLedger],
    hq: &HqLedger,
    tally: &mut Tally,
    problems: &mut Vec<String>,
) {
    let mut hq_deposits: HashMap<(&str, &str), Vec<&DepositRow>> = HashMap::new();
    for (device, d) in &hq.deposits {
        hq_deposits
            .entry((device.as_str(), d.no.as_str()))
            .or_default()
            .push(d);
    }
    let mut deposit_devices: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (device, d) in &hq.deposits {
        deposit_devices
            .entry(d.no.as_str())
            .or_default()
            .push(device.as_str());
    }
    for (no, devices) in &deposit_devices {
        if devices.len() > 1 {
            tally.duplicated += devices.len() - 1;
            problems.push(format!(
                "deposit {no} held {} times at the head office (tills {})",
                devices.len(),
                devices.join(", ")
            ));
        }
    }
    let mut seen: HashMap<(&str, &str), ()> = HashMap::new();
    for till in tills {
        for d in &till.deposits {
            let key = (till.device.as_str(), d.no.as_str());
            seen.insert(key, ());
            match hq_deposits.get(&key).and_then(|v| v.first()) {
                None => {
                    tally.missing += 1;
                    problems.push(format!(
                        "deposit {} of {} ({d}) is missing at the head office",
                        d.no, till.device
                    ));
                }
                Some(h) if *h != d => {
                    tally.mismatched += 1;
                    problems.push(format!(
                        "deposit {} of {}: the till has {d}, the head office {h}",
                        d.no, till.device
                    ));
                }
                Some(_) => {}
            }
        }
    }
    for (device, d) in &hq.deposits {
        if !seen.contains_key(&(device.as_str(), d.no.as_str())) {
            tally.duplicated += 1;
            problems.push(format!(
                "the head office holds deposit {} under {device}, which that till does not have",
                d.no
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn order(no: &str, state: &str, amount: i64, refunded: i64) -> OrderRow {
        OrderRow {
            no: no.into(),
            state: state.into(),
            amount_fen: amount,
            refunded_fen: refunded,
        }
    }

    fn refund(no: &str, order: &str, amount: i64) -> RefundRow {
        RefundRow {
            no: no.into(),
            order_no: order.into(),
            state: "succeeded".into(),
            amount_fen: amount,
        }
    }

    fn deposit(no: &str, state: &str, frozen: i64, consumed: i64, released: i64) -> DepositRow {
        DepositRow {
            no: no.into(),
            state: state.into(),
            frozen_fen: frozen,
            consumed_fen: consumed,
            released_fen: released,
            pending_fen: 0,
            consume_no: (consumed > 0).then(|| format!("C{no}")),
        }
    }

    fn world() -> (Vec<TillLedger>, HqLedger) {
        let tills = vec![
            TillLedger {
                device: "till-1".into(),
                orders: vec![order("A1", "paid", 1000, 300), order("A2", "failed", 50, 0)],
                refunds: vec![refund("R1", "A1", 300)],
                deposits: vec![
                    deposit("F1", "consumed", 5000, 3000, 2000),
                    deposit("F2", "frozen", 800, 0, 0),
                ],
            },
            TillLedger {
                device: "till-2".into(),
                orders: vec![order("B1", "paid", 700, 0)],
                refunds: vec![],
                deposits: vec![deposit("F3", "unfrozen", 900, 0, 900)],
            },
        ];
        let mut hq = HqLedger::default();
        for t in &tills {
            for o in &t.orders {
                hq.orders.push((t.device.clone(), o.clone()));
            }
            for r in &t.refunds {
                hq.refunds.push((t.device.clone(), r.clone()));
            }
            for d in &t.deposits {
                hq.deposits.push((t.device.clone(), d.clone()));
            }
        }
        hq.streams.insert("till-1".into(), (4, 4, 4));
        hq.streams.insert("till-2".into(), (1, 1, 1));
        hq.summary_total = json!({"paid_count": 2, "paid_fen": 1700, "refunded_fen": 300});
        (tills, hq)
    }

    #[test]
    fn equal_ledgers_pass() {
        let (tills, hq) = world();
        let (tally, problems) = compare(&tills, &hq);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(tally.till_orders, 3);
        assert_eq!(tally.hq_refunds, 1);
        assert_eq!((tally.till_deposits, tally.hq_deposits), (3, 3));
        assert_eq!(tally.hq_totals, tally.till_totals);
    }

    #[test]
    fn deposits_missing_extra_twice_and_different_are_named() {
        let (tills, mut hq) = world();
        // F2 missing; F1 with the release lost; F3 also under till-1, which lacks it.
        hq.deposits.retain(|(_, d)| d.no != "F2");
        hq.deposits
            .iter_mut()
            .find(|(_, d)| d.no == "F1")
            .unwrap()
            .1
            .released_fen = 0;
        hq.deposits
            .push(("till-1".into(), deposit("F3", "unfrozen", 900, 0, 900)));
        let (tally, problems) = compare(&tills, &hq);
        let text = problems.join("\n");
        assert_eq!(tally.missing, 1, "{text}");
        assert_eq!(tally.mismatched, 1, "{text}");
        assert_eq!(tally.duplicated, 2, "{text}"); // F3 twice, and under a till that lacks it
        assert!(
            text.contains("deposit F2 of till-1 (frozen frozen 800 consumed 0 released 0"),
            "{text}"
        );
        assert!(
            text.contains("deposit F1 of till-1: the till has consumed frozen 5000 consumed 3000 released 2000 pending 0 fen (consume order CF1), the head office consumed frozen 5000 consumed 3000 released 0"),
            "{text}"
        );
        assert!(text.contains("deposit F3 held 2 times"), "{text}");
        assert!(
            text.contains("holds deposit F3 under till-1, which that till does not have"),
            "{text}"
        );
    }

    #[test]
    fn a_deposit_state_differing_is_a_mismatch() {
        let (tills, mut hq) = world();
        hq.deposits
            .iter_mut()
            .find(|(_, d)| d.no == "F2")
            .unwrap()
            .1
            .state = "unfrozen".into();
        let (tally, problems) = compare(&tills, &hq);
        assert_eq!(tally.mismatched, 1, "{problems:?}");
        assert_eq!(tally.missing + tally.duplicated, 0, "{problems:?}");
        assert!(problems[0].contains("deposit F2 of till-1"), "{problems:?}");
    }

    #[test]
    fn missing_extra_twice_and_different_are_named() {
        let (tills, mut hq) = world();
        hq.orders.retain(|(_, o)| o.no != "B1");
        hq.orders
            .push(("till-2".into(), order("A1", "paid", 1000, 300)));
        hq.orders[0].1.refunded_fen = 0;
        hq.refunds.clear();
        hq.streams.insert("till-1".into(), (4, 3, 3));
        hq.summary_total = json!({"paid_count": 2, "paid_fen": 2000, "refunded_fen": 300});
        let (tally, problems) = compare(&tills, &hq);
        let text = problems.join("\n");
        assert_eq!(tally.missing, 2, "{text}"); // B1 and R1
        assert!(tally.duplicated >= 2, "{text}"); // A1 twice, and under a till that lacks it
        assert_eq!(tally.mismatched, 1, "{text}");
        assert!(text.contains("order B1 of till-2"), "{text}");
        assert!(text.contains("refund R1 of till-1"), "{text}");
        assert!(text.contains("order A1 held 2 times"), "{text}");
        assert!(text.contains("change log holds 3 rows"), "{text}");
        assert!(text.contains("totals differ"), "{text}");
    }

    #[test]
    fn till_json_uses_the_payment_state() {
        let v = json!({"out_trade_no": "N1", "state": "partially_refunded", "payment_state": "paid",
                       "amount_fen": 500, "refunded_fen": 100});
        assert_eq!(
            OrderRow::from_till_json(&v),
            Some(order("N1", "paid", 500, 100))
        );
    }
}
