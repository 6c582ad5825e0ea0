//! Regenerates `docs/images/cashier-notices-badge.png` and `cashier-notices-reader.png`: the
//! real binary under Xvfb on the demo merchant with two notices (公告) published by the
//! embedded sandbox, the header's unread badge, then the reader opened from it.
//!
//! `cargo test -p cashier --test notices_shot -- --ignored` (needs Xvfb, xdotool and
//! ImageMagick).
#![allow(missing_docs, clippy::missing_panics_doc)]

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_terminal::Terminal;
use common::{Cashier, Xvfb};

fn wait(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

/// `POST {root}/sandbox/notice` over a plain TCP connection (the sandbox is on loopback).
fn publish(base_url: &str, title: &str, body: &str) {
    let host = base_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let json = serde_json::json!({ "title": title, "body": body }).to_string();
    let mut s = std::net::TcpStream::connect(&host).unwrap();
    write!(
        s,
        "POST /sandbox/notice HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
#[ignore = "writes docs/images/cashier-notices-*.png: run by hand (needs Xvfb, xdotool and ImageMagick)"]
fn screenshots_of_the_notices() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/images");
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (t, sandbox): (Terminal, _) = Terminal::open_or_demo(home.path()).await.unwrap();
        let sandbox = sandbox.expect("the demo runs the embedded sandbox");
        publish(
            sandbox.base_url(),
            "系统维护通知",
            "今晚 23:00 至 24:00 云支付系统升级维护，期间可能无法收款，请提前做好准备。\n如有疑问请联系服务商客服。",
        );
        publish(
            sandbox.base_url(),
            "押金收款功能上线",
            "收银台已支持押金（预授权）收款：在收款时选择押金模式即可冻结顾客资金，消费后解冻余额。",
        );
        publish(
            sandbox.base_url(),
            "春节期间结算安排",
            "春节假期期间资金结算顺延至节后第一个工作日。",
        );
        t.login(&ClerkId::parse("01").unwrap(), "0101").await.unwrap();
        assert_eq!(t.refresh_notices().await.unwrap(), 3);
        t.set_auto_login(true).await.unwrap();
        drop(sandbox);
    });
    let x = Xvfb::start();
    let _app = Cashier::start(&x, home.path(), runtime.path());
    let main = common::main_window(&x);
    wait(3000);
    let badge = dir.join("cashier-notices-badge.png");
    x.settled_shot(&main, &badge, Duration::from_secs(30));
    eprintln!("wrote {}", badge.display());
    // The badge sits in the header, left of the clerk's name: click it.
    let xy = std::env::var("NOTICE_BADGE_XY").unwrap_or_else(|_| "913 23".into());
    let mut parts = xy.split_whitespace();
    let (bx, by) = (parts.next().unwrap(), parts.next().unwrap());
    x.xdotool(&["windowfocus", "--sync", &main]);
    x.xdotool(&["mousemove", "--window", &main, bx, by, "click", "1"]);
    wait(2000);
    let reader = dir.join("cashier-notices-reader.png");
    x.settled_shot(&main, &reader, Duration::from_secs(30));
    eprintln!("wrote {}", reader.display());
}
