//! The owner's page in a real headless Chromium (`e2e_`: run by `.ci/e2e`, which has
//! Chromium from apt): the figures it shows are checked against the database, and a
//! screenshot is taken (`CLOUDPOS_HQ_SCREENSHOT=path` keeps it, e.g. for the README).

mod common;

use std::process::Command;

use cloudpos_hq_protocol::Record;
use common::*;

fn chromium() -> String {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new("which")
            .arg(c)
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c.to_owned();
        }
    }
    panic!(
        "Chromium is not installed (apt-get install chromium); the page test needs a real browser"
    );
}

/// Runs Chromium on a blocking thread: the head office under test shares this runtime.
async fn run_chromium(args: &[&str], url: &str) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || chromium_now(&args, &url))
        .await
        .unwrap()
}

fn chromium_now(args: &[String], url: &str) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--lang=zh-CN",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .unwrap()
}

/// The value of `attr` on the element whose id is `id`.
fn attr_of_id(dom: &str, id: &str, attr: &str) -> String {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let start = dom[..at].rfind('<').unwrap();
    let tag = &dom[start..start + dom[start..].find('>').unwrap()];
    attr_in(tag, attr)
}

fn attr_in(tag: &str, attr: &str) -> String {
    let key = format!("{attr}=\"");
    let i = tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {attr} in {tag}"))
        + key.len();
    tag[i..i + tag[i..].find('"').unwrap()].to_owned()
}

/// Every `<tr class="CLASS" …>` opening tag.
fn rows<'a>(dom: &'a str, class: &str) -> Vec<&'a str> {
    let key = format!("<tr class=\"{class}\"");
    dom.match_indices(&key)
        .map(|(i, _)| &dom[i..i + dom[i..].find('>').unwrap()])
        .collect()
}

#[tokio::test]
#[ignore = "needs Chromium; run by .ci/e2e"]
async fn e2e_hq_page_in_chromium_shows_what_the_database_holds() {
    let hq = start(true).await;
    let now = cloudpos_hq::db::now_ms();
    let stores = [
        ("南山店", "收银1"),
        ("南山店", "收银2"),
        ("福田店", "收银1"),
    ];
    let wallets = ["wechat", "alipay", "cash", "member_card"];
    for (i, (store, device)) in stores.iter().enumerate() {
        let till = hq.enrol(store, device).await;
        let mut changes = Vec::new();
        for k in 0..12_i64 {
            let seq = k + 1;
            let amount = 1000 + (i as i64) * 731 + k * 97;
            let at = now - (k * 2_400_000) % (8 * 3_600_000) - 1000;
            let state = if k == 5 { "failed" } else { "paid" };
            let refunded = if k == 3 { amount / 2 } else { 0 };
            let mut c = change(
                seq,
                Record::Order(order(
                    &format!("{i}{k:03}"),
                    state,
                    amount,
                    refunded,
                    wallets[(k as usize + i) % 4],
                    at,
                )),
            );
            c.at = now - 1500 + k * 100; // committed at the till a moment ago
            changes.push(c);
        }
        let mut r = change(
            13,
            Record::Refund(refund(
                &format!("{i}003"),
                &format!("{i}003"),
                500,
                "succeeded",
                now - 500,
            )),
        );
        r.at = now - 300;
        changes.push(r);
        // The two 南山店 tills hold a deposit each (never takings).
        if i < 2 {
            let mut d = deposit(
                &(i + 1).to_string(),
                "frozen",
                20_000 + (i as i64) * 5_000,
                0,
                0,
                now - 60_000,
            );
            d.out_freeze_no = format!("F{i:0>19}");
            let mut c = change(14, Record::Deposit(d));
            c.at = now - 200;
            changes.push(c);
        }
        let req = cloudpos_hq_protocol::PushRequest::new(
            changes,
            if i == 2 { 4 } else { 0 },
            (i == 2).then_some(now - 9_000),
        );
        assert_eq!(hq.push(&till.credential, &req).await.0, 200);
    }
    hq.enrol("罗湖店", "收银1").await; // enrolled, never pushed

    // What the database says about today (shop time, UTC+8).
    let off = 8 * 3_600_000_i64;
    let day_start = (now + off).div_euclid(86_400_000) * 86_400_000 - off;
    let (paid_count, paid_fen): (i64, i64) = sqlx::query_as(
        "SELECT count(*), COALESCE(sum(amount_fen), 0)::bigint FROM orders WHERE state = 'paid' AND paid_at >= $1 AND paid_at < $1 + 86400000",
    ).bind(day_start).fetch_one(&hq.pool).await.unwrap();
    let (refunded_fen,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(sum(amount_fen), 0)::bigint FROM refunds WHERE state = 'succeeded' AND succeeded_at >= $1 AND succeeded_at < $1 + 86400000",
    ).bind(day_start).fetch_one(&hq.pool).await.unwrap();
    assert!(paid_count > 0);

    let out = run_chromium(&["--dump-dom"], &format!("{}/", hq.url)).await;
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        dom.contains("CloudPOS 总部"),
        "no page: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        attr_of_id(&dom, "total-paid-count", "data-count"),
        paid_count.to_string()
    );
    assert_eq!(
        attr_of_id(&dom, "total-paid", "data-fen"),
        paid_fen.to_string()
    );
    assert_eq!(
        attr_of_id(&dom, "total-refunded", "data-fen"),
        refunded_fen.to_string()
    );
    // The figure people read is the same number.
    let shown = format!("¥{}.{:02}", paid_fen / 100, paid_fen % 100);
    assert!(dom.contains(&shown), "{shown} not shown");
    // Per store and per wallet rows add up to the database's figures, store by store.
    for tag in rows(&dom, "store-row") {
        let store = attr_in(tag, "data-key");
        let (c, f): (i64, i64) = sqlx::query_as(
            "SELECT count(*), COALESCE(sum(amount_fen), 0)::bigint FROM orders WHERE state = 'paid' AND store = $2 AND paid_at >= $1 AND paid_at < $1 + 86400000",
        ).bind(day_start).bind(&store).fetch_one(&hq.pool).await.unwrap();
        assert_eq!(attr_in(tag, "data-paid-count"), c.to_string(), "{store}");
        assert_eq!(attr_in(tag, "data-paid-fen"), f.to_string(), "{store}");
    }
    assert_eq!(rows(&dom, "store-row").len(), 2);
    let wallet_sum: i64 = rows(&dom, "wallet-row")
        .iter()
        .map(|t| attr_in(t, "data-paid-fen").parse::<i64>().unwrap())
        .sum();
    assert_eq!(wallet_sum, paid_fen);
    // The chart's bars carry the day's takings.
    let bars: i64 = dom
        .match_indices("class=\"bar\"")
        .map(|(i, _)| {
            let tag = &dom[i..i + dom[i..].find('>').unwrap()];
            attr_in(tag, "data-fen").parse::<i64>().unwrap()
        })
        .sum();
    assert_eq!(bars, paid_fen);
    // Every till, with its backlog as reported.
    let tills = rows(&dom, "till-row");
    assert_eq!(tills.len(), 4);
    let futian = tills
        .iter()
        .find(|t| attr_in(t, "data-store") == "福田店")
        .unwrap();
    assert_eq!(attr_in(futian, "data-backlog"), "4");
    assert_eq!(attr_in(futian, "data-applied-through"), "13");
    assert!(dom.contains("未联系"), "the till that never pushed");
    // The deposits held, per store, as the database has them.
    let held = rows(&dom, "deposit-row");
    assert_eq!(held.len(), 1);
    let (n, fen): (i64, i64) = sqlx::query_as(
        "SELECT count(*), sum(frozen_fen - consumed_fen - released_fen)::bigint FROM deposits \
         WHERE store = '南山店' AND state = 'frozen'",
    )
    .fetch_one(&hq.pool)
    .await
    .unwrap();
    assert_eq!((n, fen), (2, 45_000));
    assert_eq!(attr_in(held[0], "data-store"), "南山店");
    assert_eq!(attr_in(held[0], "data-count"), n.to_string());
    assert_eq!(attr_in(held[0], "data-held-fen"), fen.to_string());

    // Order search through the page.
    let out = run_chromium(&["--dump-dom"], &format!("{}/orders?order_no=1003", hq.url)).await;
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(attr_of_id(&dom, "order-total", "id"), "order-total");
    assert_eq!(rows(&dom, "order-row").len(), 1);

    // A screenshot, looked at by a person for the README.
    let shot = std::env::var("CLOUDPOS_HQ_SCREENSHOT").map_or_else(
        |_| std::env::temp_dir().join(format!("hq-page-{}.png", std::process::id())),
        std::path::PathBuf::from,
    );
    let out = run_chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1800",
        ],
        &format!("{}/", hq.url),
    )
    .await;
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}
