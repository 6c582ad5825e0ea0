//! `cloudpos reconcile` and `config reconcile`.

use std::time::Duration;

use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{ReconcilePolicy, ReconcileRun, Terminal};
use serde_json::json;

use crate::cli::ReconcileArgs;
use crate::exit;

fn print_run(t: &Terminal, run: &ReconcileRun, as_json: bool) {
    if as_json {
        println!(
            "{}",
            json!({
                "clean": run.report.discrepancies.is_empty(),
                "halted": run.halted,
                "discrepancies": run.report.discrepancies,
                "compared_orders": run.report.compared_orders,
                "compared_refunds": run.report.compared_refunds,
                "compared_freezes": run.deposits.compared_freezes,
                "compared_unfreezes": run.deposits.compared_unfreezes,
                "settling": run.report.settling + run.deposits.settling,
                "cloud_records": run.cloud_records,
                "window": [run.report.window.0.rfc3339(t.offset_seconds()), run.report.window.1.rfc3339(t.offset_seconds())],
            })
        );
        return;
    }
    let (from, to) = run.report.window;
    println!(
        "reconciled {} → {}: {} order(s), {} refund(s), {} deposit(s), {} release(s) compared, {} still settling",
        from.format(t.offset_seconds()),
        to.format(t.offset_seconds()),
        run.report.compared_orders,
        run.report.compared_refunds,
        run.deposits.compared_freezes,
        run.deposits.compared_unfreezes,
        run.report.settling + run.deposits.settling
    );
    if run.report.discrepancies.is_empty() {
        println!("clean");
    } else {
        for d in &run.report.discrepancies {
            println!("DISCREPANCY {}: {}", d.kind, d.detail);
        }
        println!(
            "payments and refunds are HALTED until an admin clears it (`cloudpos halt clear`)"
        );
    }
}

/// `reconcile`: once, or every interval until interrupted.
pub async fn run(t: &Terminal, args: ReconcileArgs) -> anyhow::Result<u8> {
    let parse = |s: &Option<String>| -> anyhow::Result<Option<Timestamp>> {
        Ok(s.as_deref()
            .map(|v| Timestamp::parse_local(v, t.offset_seconds()))
            .transpose()?)
    };
    let window = match (parse(&args.from)?, parse(&args.to)?) {
        (Some(f), Some(to)) => Some((f, to)),
        _ => None,
    };
    loop {
        let run = t.reconcile_once(window).await?;
        print_run(t, &run, args.json);
        if args.once || window.is_some() {
            return Ok(if run.report.discrepancies.is_empty() {
                exit::OK
            } else {
                exit::NOT_DONE
            });
        }
        let interval = t.setting::<ReconcilePolicy>().await?.interval;
        tokio::time::sleep(interval).await;
    }
}

/// `config reconcile`.
pub async fn config(
    t: &Terminal,
    interval_secs: Option<u64>,
    grace_ms: Option<u64>,
    reset: bool,
    as_json: bool,
) -> anyhow::Result<u8> {
    let mut p = if reset {
        ReconcilePolicy::default()
    } else {
        t.setting::<ReconcilePolicy>().await?
    };
    if let Some(s) = interval_secs {
        p.interval = Duration::from_secs(s);
    }
    if let Some(ms) = grace_ms {
        p.grace = Duration::from_millis(ms);
    }
    if reset || interval_secs.is_some() || grace_ms.is_some() {
        t.set_setting(&p).await?;
    }
    let shown = json!({
        "interval_secs": p.interval.as_secs(),
        "grace_ms": u64::try_from(p.grace.as_millis()).unwrap_or(u64::MAX),
        "margin_secs": p.margin.as_secs(),
        "first_lookback_secs": p.first_lookback.as_secs(),
    });
    if as_json {
        println!("{shown}");
    } else if let serde_json::Value::Object(m) = shown {
        for (k, v) in m {
            println!("{k:<22} {v}");
        }
    }
    Ok(exit::OK)
}
