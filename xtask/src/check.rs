//! The pass criteria every campaign ends with: the cloud's ledger and the terminal's agree
//! on every payment and refund, no code was charged twice, nothing is left open.

use std::collections::HashMap;

use serde_json::Value;

/// Counts of what was compared.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Tally {
    /// Orders the cloud holds (not tombstones of never-seen numbers).
    pub cloud_orders: usize,
    /// Orders the terminal holds.
    pub local_orders: usize,
    /// Paid orders (both sides agree).
    pub paid: usize,
    /// Orders the cloud reversed after the customer had paid (money returned).
    pub reversed_with_refund: usize,
    /// Refunds the cloud holds.
    pub cloud_refunds: usize,
}

/// Compares the sandbox ledger (`/control/ledger`) with the terminal's orders
/// (`cloudpos orders --json`); returns the tally and every violation found.
#[must_use]
pub fn compare(cloud: &Value, local: &[Value]) -> (Tally, Vec<String>) {
    let mut problems = Vec::new();
    let empty = Vec::new();
    let cloud_orders: Vec<&Value> = cloud["orders"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter(|o| o["tombstone"] != true && o["injected"] != true && o["duplicate"] != true)
        .collect();
    let by_no: HashMap<&str, &Value> = local
        .iter()
        .filter_map(|o| Some((o["out_trade_no"].as_str()?, o)))
        .collect();
    let mut tally = Tally {
        cloud_orders: cloud_orders.len(),
        local_orders: local.len(),
        cloud_refunds: cloud["refunds"].as_array().map_or(0, Vec::len),
        ..Tally::default()
    };

    // No payment code charged twice (a code is single use; a second charge is a double
    // charge whatever its order number).
    let mut charged: HashMap<&str, usize> = HashMap::new();
    for o in &cloud_orders {
        if o["state"] == "paid" {
            *charged
                .entry(o["author_code"].as_str().unwrap_or(""))
                .or_default() += 1;
        }
    }
    for (code, n) in &charged {
        if *n > 1 {
            problems.push(format!("code {code} charged {n} times"));
        }
    }

    for o in &cloud_orders {
        let no = o["out_trade_no"].as_str().unwrap_or("");
        let total = o["total_fee"].as_i64().unwrap_or(-1);
        if o["reversed_refund_fee"].as_i64().unwrap_or(0) > 0 {
            tally.reversed_with_refund += 1;
        }
        let reserved = o["refund_reserved_fee"].as_i64().unwrap_or(0);
        if reserved > total {
            problems.push(format!(
                "{no}: refunds of {reserved} fen on a {total} fen payment"
            ));
        }
        let Some(mine) = by_no.get(no) else {
            problems.push(format!(
                "{no}: the cloud has it ({}), the terminal does not",
                o["state"]
            ));
            continue;
        };
        let cloud_paid = o["state"] == "paid";
        let local_paid = mine["payment_state"] == "paid";
        if cloud_paid != local_paid {
            problems.push(format!(
                "{no}: cloud {} / terminal {} (lost payment or goods out without money)",
                o["state"], mine["payment_state"]
            ));
        }
        if mine["amount_fen"].as_i64() != Some(total) {
            problems.push(format!(
                "{no}: amount cloud {total} / terminal {}",
                mine["amount_fen"]
            ));
        }
        if cloud_paid {
            tally.paid += 1;
            let cloud_refunded = o["refunded_fee"].as_i64().unwrap_or(0);
            let local_refunded = mine["refunded_fen"].as_i64().unwrap_or(-1);
            if cloud_refunded != local_refunded {
                problems.push(format!(
                    "{no}: refunded cloud {cloud_refunded} / terminal {local_refunded}"
                ));
            }
        }
    }
    let cloud_nos: std::collections::HashSet<&str> = cloud["orders"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter_map(|o| o["out_trade_no"].as_str())
        .collect();
    for (no, mine) in &by_no {
        let state = mine["payment_state"].as_str().unwrap_or("");
        if !matches!(state, "paid" | "failed" | "reversed") {
            problems.push(format!("{no}: still {state} after recovery"));
        }
        // Cash and member-card payments never go to the cloud.
        let local_only = mine["wallet"] == "cash" || mine["wallet"] == "member_card";
        if state == "paid" && !local_only && !cloud_nos.contains(no) {
            problems.push(format!("{no}: paid on the terminal, unknown to the cloud"));
        }
        let refunded = mine["refunded_fen"].as_i64().unwrap_or(0);
        let amount = mine["amount_fen"].as_i64().unwrap_or(0);
        if refunded > amount {
            problems.push(format!(
                "{no}: terminal refunded {refunded} of {amount} fen"
            ));
        }
    }
    (tally, problems)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cloud(orders: &Value) -> Value {
        json!({"orders": orders, "refunds": []})
    }

    fn order(no: &str, code: &str, state: &str) -> Value {
        json!({"out_trade_no": no, "author_code": code, "state": state, "total_fee": 100,
               "refunded_fee": 0, "refund_reserved_fee": 0, "reversed_refund_fee": 0})
    }

    fn local(no: &str, state: &str) -> Value {
        json!({"out_trade_no": no, "payment_state": state, "amount_fen": 100,
               "refunded_fen": 0, "wallet": "wechat"})
    }

    #[test]
    fn agreeing_ledgers_pass() {
        let (tally, problems) = compare(
            &cloud(&json!([order("A", "1", "paid"), order("B", "2", "failed")])),
            &[local("A", "paid"), local("B", "failed")],
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(tally.paid, 1);
    }

    #[test]
    fn every_kind_of_disagreement_is_reported() {
        let cases = [
            // Lost payment: paid in the cloud, failed here.
            (
                json!([order("A", "1", "paid")]),
                vec![local("A", "failed")],
                "lost payment",
            ),
            // Double charge of one code.
            (
                json!([order("A", "1", "paid"), order("B", "1", "paid")]),
                vec![local("A", "paid"), local("B", "paid")],
                "charged 2 times",
            ),
            // Left open.
            (
                json!([order("A", "1", "failed")]),
                vec![local("A", "unknown")],
                "still unknown",
            ),
            // Missing locally.
            (
                json!([order("A", "1", "paid")]),
                vec![],
                "the terminal does not",
            ),
            // Paid here only.
            (json!([]), vec![local("A", "paid")], "unknown to the cloud"),
        ];
        for (c, l, expect) in cases {
            let (_, problems) = compare(&cloud(&c), &l);
            assert!(
                problems.iter().any(|p| p.contains(expect)),
                "{expect}: {problems:?}"
            );
        }
    }
}
