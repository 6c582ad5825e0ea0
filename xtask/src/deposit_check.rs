//! The deposit campaigns' pass criteria, with the sandbox's ledger as the ground truth: no
//! freeze lost (every freeze the cloud holds is in the terminal's ledger with the same
//! amounts), no double freeze (no payment code frozen twice), nothing left frozen or
//! waiting after recovery unless the terminal shows it frozen (pending by design: nobody
//! consumed or released it yet), and consumed + released never above frozen on either side.

use std::collections::HashMap;

use serde_json::Value;

/// Counts of what was compared.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct DepositTally {
    /// Freezes the cloud holds (tombstones of never-seen numbers left out).
    pub cloud_freezes: usize,
    /// Of those, ever frozen (held money at some point).
    pub held_money: usize,
    /// Frozen and still held by design (the terminal shows them frozen).
    pub still_frozen: usize,
    /// Consumed.
    pub consumed: usize,
    /// Released without a consume (by a clerk, a cancellation or the wallet).
    pub released: usize,
    /// Releases the cloud holds.
    pub cloud_releases: usize,
}

fn fen(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or(0)
}

/// Compares the sandbox ledger's deposits (`/control/ledger` → `deposits`) with the
/// terminal's (`cloudpos deposit list --json`).
#[must_use]
pub fn compare(cloud: &Value, local: &[Value]) -> (DepositTally, Vec<String>) {
    let mut problems = Vec::new();
    let empty = Vec::new();
    let freezes = cloud["deposits"]["freezes"].as_array().unwrap_or(&empty);
    let by_no: HashMap<&str, &Value> = local
        .iter()
        .filter_map(|d| Some((d["out_freeze_no"].as_str()?, d)))
        .collect();
    let mut tally = DepositTally {
        cloud_freezes: freezes.len(),
        cloud_releases: cloud["deposits"]["unfreezes"]
            .as_array()
            .map_or(0, Vec::len),
        ..DepositTally::default()
    };

    // No double freeze: a code frozen (money held) once at most.
    let mut held: HashMap<&str, usize> = HashMap::new();
    for f in freezes {
        let ever_held = !f["frozen_at"].is_null();
        if ever_held {
            *held
                .entry(f["author_code"].as_str().unwrap_or(""))
                .or_default() += 1;
        }
    }
    for (code, n) in &held {
        if *n > 1 {
            problems.push(format!("code {code} frozen {n} times (double freeze)"));
        }
    }

    for f in freezes {
        let no = f["out_freeze_no"].as_str().unwrap_or("");
        let (total, consumed) = (fen(f, "freeze_fee"), fen(f, "consumed"));
        let released = fen(f, "manual_unfrozen") + fen(f, "auto_unfrozen");
        let still = fen(f, "held");
        if consumed + released > total {
            problems.push(format!(
                "{no}: the cloud consumed {consumed} + released {released} of {total} fen"
            ));
        }
        if !f["frozen_at"].is_null() {
            tally.held_money += 1;
        }
        let Some(mine) = by_no.get(no) else {
            problems.push(format!(
                "{no}: the cloud holds a freeze ({} {total} fen) the terminal does not (lost freeze)",
                f["state"]
            ));
            continue;
        };
        let state = mine["deposit_state"].as_str().unwrap_or("");
        if f["state"] == "user_paying" {
            problems.push(format!(
                "{no}: still waiting for the customer in the cloud after recovery (terminal {state})"
            ));
        }
        if still > 0 && state != "frozen" {
            problems.push(format!(
                "{no}: {still} fen still frozen in the cloud, the terminal says {state} (left frozen silently)"
            ));
        }
        if still == 0 && state == "frozen" {
            problems.push(format!(
                "{no}: the terminal says frozen, the cloud holds nothing ({})",
                f["state"]
            ));
        }
        if !f["frozen_at"].is_null() || released > 0 {
            if fen(mine, "frozen_fen") != total {
                problems.push(format!(
                    "{no}: frozen cloud {total} / terminal {}",
                    mine["frozen_fen"]
                ));
            }
            if fen(mine, "consumed_fen") != consumed {
                problems.push(format!(
                    "{no}: consumed cloud {consumed} / terminal {}",
                    mine["consumed_fen"]
                ));
            }
            if fen(mine, "unfrozen_fen") != released {
                problems.push(format!(
                    "{no}: released cloud {released} / terminal {}",
                    mine["unfrozen_fen"]
                ));
            }
        } else if matches!(state, "frozen" | "consumed") {
            problems.push(format!(
                "{no}: never frozen in the cloud ({}), the terminal says {state}",
                f["state"]
            ));
        }
        match state {
            "frozen" => tally.still_frozen += 1,
            "consumed" => tally.consumed += 1,
            "unfrozen" => tally.released += 1,
            _ => {}
        }
    }
    let cloud_nos: std::collections::HashSet<&str> = freezes
        .iter()
        .filter_map(|f| f["out_freeze_no"].as_str())
        .collect();
    for (no, mine) in &by_no {
        let state = mine["deposit_state"].as_str().unwrap_or("");
        if !matches!(state, "frozen" | "failed" | "consumed" | "unfrozen") {
            problems.push(format!("{no}: still {state} after recovery"));
        }
        let (total, consumed, released) = (
            fen(mine, "frozen_fen"),
            fen(mine, "consumed_fen"),
            fen(mine, "unfrozen_fen"),
        );
        if consumed + released > total {
            problems.push(format!(
                "{no}: the terminal consumed {consumed} + released {released} of {total} fen"
            ));
        }
        if matches!(state, "frozen" | "consumed" | "unfrozen") && !cloud_nos.contains(no) {
            problems.push(format!(
                "{no}: {state} on the terminal, unknown to the cloud"
            ));
        }
    }
    (tally, problems)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cloud(freezes: &Value) -> Value {
        json!({"deposits": {"freezes": freezes, "unfreezes": []}})
    }

    fn freeze(no: &str, code: &str, state: &str, held: i64, consumed: i64, released: i64) -> Value {
        json!({"out_freeze_no": no, "author_code": code, "state": state, "freeze_fee": 100,
               "held": held, "consumed": consumed, "manual_unfrozen": released,
               "auto_unfrozen": 0, "frozen_at": 1})
    }

    fn local(no: &str, state: &str, consumed: i64, released: i64) -> Value {
        json!({"out_freeze_no": no, "deposit_state": state, "frozen_fen": 100,
               "consumed_fen": consumed, "unfrozen_fen": released})
    }

    #[test]
    fn agreeing_ledgers_pass() {
        let (tally, problems) = compare(
            &cloud(&json!([
                freeze("A", "1", "frozen", 100, 0, 0),
                freeze("B", "2", "finished", 0, 30, 70),
                freeze("C", "3", "finished", 0, 0, 100),
            ])),
            &[
                local("A", "frozen", 0, 0),
                local("B", "consumed", 30, 70),
                local("C", "unfrozen", 0, 100),
            ],
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            (tally.still_frozen, tally.consumed, tally.released),
            (1, 1, 1)
        );
    }

    #[test]
    fn every_kind_of_violation_is_reported() {
        let cases = [
            (
                json!([freeze("A", "1", "frozen", 100, 0, 0)]),
                vec![],
                "lost freeze",
            ),
            (
                json!([
                    freeze("A", "1", "frozen", 100, 0, 0),
                    freeze("B", "1", "frozen", 100, 0, 0)
                ]),
                vec![local("A", "frozen", 0, 0), local("B", "frozen", 0, 0)],
                "double freeze",
            ),
            (
                json!([freeze("A", "1", "frozen", 100, 0, 0)]),
                vec![local("A", "failed", 0, 0)],
                "left frozen silently",
            ),
            (
                json!([freeze("A", "1", "finished", 0, 60, 60)]),
                vec![local("A", "consumed", 60, 40)],
                "consumed 60 + released 60",
            ),
            (
                json!([freeze("A", "1", "frozen", 100, 0, 0)]),
                vec![local("A", "consuming", 0, 0)],
                "still consuming",
            ),
            (
                json!([]),
                vec![local("A", "frozen", 0, 0)],
                "unknown to the cloud",
            ),
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
