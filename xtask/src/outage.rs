//! Outage: the cloud cannot be reached — connection refused, a name that does not resolve,
//! an address that swallows packets, a proxy that is down. Pass: every wallet payment is
//! refused within 5 s (real time) with a message saying the cloud is unreachable, nothing
//! reaches the cloud once it is back, and nothing is left to resume.

use std::time::{Duration, Instant};

use anyhow::Result;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::Ctx;
use crate::env::{Cloud, Till, code, status_of};
use crate::report::{Outcome, secs};

/// The ways the cloud is out of reach: (name, base URL, proxy).
const KINDS: [(&str, &str, Option<&str>); 4] = [
    ("refused", "http://127.0.0.1:9/cpay/", None),
    ("unresolvable", "https://cloudpay.invalid/cpay/", None),
    // TEST-NET-1: routed nowhere; packets vanish (or the network says unreachable).
    ("black_hole", "https://192.0.2.1/cpay/", None),
    // The sandbox addressed as 127.0.0.2 (loopback itself is never proxied), through a
    // proxy that is not running.
    ("proxy_down", "", Some("http://127.0.0.1:9")),
];

/// Runs the campaign.
pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let mut out = Outcome::new("outage", ctx);
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let cloud = Cloud::start(ctx.scale)?;
    let till = Till::temp(&ctx.bin)?;
    till.setup(&cloud, ctx.scale)?;
    // Real network timeouts here: the 5 s limit is the product's, not scaled.
    till.ok(
        &[
            "config",
            "network",
            "--connect-timeout-ms",
            "3000",
            "--request-timeout-ms",
            "10000",
        ],
        None,
    )?;
    let mut slowest = Duration::ZERO;
    let mut per_kind = serde_json::Map::new();
    let mut codes = Vec::new();
    for run in 0..ctx.runs {
        let (kind, url, proxy) = KINDS[rng.random_range(0..KINDS.len())];
        if let Some(p) = proxy {
            let proxied = cloud.base_url().replace("127.0.0.1", "127.0.0.2");
            till.point_at(&cloud, Some(&proxied))?;
            till.ok(&["config", "network", "--proxy", p], None)?;
        } else {
            till.ok(&["config", "network", "--proxy", ""], None)?;
            till.point_at(&cloud, Some(url))?;
        }
        let c = code("00");
        codes.push(c.clone());
        let started = Instant::now();
        let output = till.run(&["pay", "--amount", "12.34", "--code", &c, "--json"], None)?;
        let took = started.elapsed();
        slowest = slowest.max(took);
        let entry = per_kind
            .entry(kind)
            .or_insert_with(|| serde_json::json!(0.0));
        *entry = secs(entry.as_f64().unwrap_or(0.0).max(took.as_secs_f64()));
        let status = status_of(&output);
        let err = String::from_utf8_lossy(&output.stderr);
        if status != 1 || !err.contains("unreachable") {
            out.problem(run, format!("{kind}: pay ended {status}: {}", err.trim()));
        }
        if took > Duration::from_secs(5) {
            out.problem(run, format!("{kind}: refused only after {took:?}"));
        }
    }
    // The cloud is back: nothing was queued, nothing reaches it.
    till.ok(&["config", "network", "--proxy", ""], None)?;
    till.point_at(&cloud, None)?;
    let (status, report, err) = till.json(&["recover", "--json"])?;
    if status != 0 || report["orders_found"] != 0 {
        out.problem(
            ctx.runs,
            format!("recovery found work ({status}): {report} {err}"),
        );
    }
    let ledger = cloud.ledger()?;
    let reached = ledger["orders"].as_array().map_or(0, |l| {
        l.iter()
            .filter(|o| codes.iter().any(|c| o["author_code"] == c.as_str()))
            .count()
    });
    if reached > 0 {
        out.problem(
            ctx.runs,
            format!("{reached} payments reached the cloud after the outage"),
        );
    }
    let (_, problems) = crate::check::compare(&ledger, &till.orders()?);
    for p in problems {
        out.problem(ctx.runs, p);
    }
    out.metric("slowest_refusal_s", secs(slowest.as_secs_f64()));
    out.metric("slowest_by_kind_s", serde_json::Value::Object(per_kind));
    Ok(out)
}
