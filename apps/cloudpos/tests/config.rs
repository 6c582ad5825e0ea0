//! `cloudpos config basic`: what the cashier's 基础配置 page sets, scripted — and only by a
//! clerk who may configure the terminal.
#![allow(missing_docs)]

mod common;

use cloudpos_terminal::BasicSettings;
use common::Env;

#[test]
fn config_basic_sets_the_mode_and_checkout_style_with_the_configure_permission() {
    let env = Env::start();

    // Without options: the defaults (plug-in mode, full cart).
    let (status, shown) = env.json(&["config", "basic", "--json"], None);
    assert_eq!(status, 0);
    assert_eq!(shown["mode"], "plugin");
    assert_eq!(shown["checkout"], "full");

    let (status, shown) = env.json(
        &[
            "config",
            "basic",
            "--mode",
            "full",
            "--checkout",
            "total",
            "--json",
        ],
        None,
    );
    assert_eq!(status, 0, "{shown}");
    assert_eq!(shown["mode"], "full");
    assert_eq!(shown["checkout"], "total");

    // What the GUI reads: the same stored settings.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stored = rt.block_on(async {
        let t = cloudpos_terminal::Terminal::open(env.home()).await.unwrap();
        t.setting::<BasicSettings>().await.unwrap()
    });
    assert_eq!(stored.mode, cloudpos_terminal::Mode::Full);
    assert_eq!(
        stored.checkout_mode,
        cloudpos_domain::catalog::CheckoutMode::TotalAmount
    );

    // --checkout alone keeps the mode; the other page settings too.
    let (_, shown) = env.json(
        &[
            "config",
            "basic",
            "--checkout",
            "simple",
            "--auto-pay",
            "3",
            "--window",
            "maximized",
            "--json",
        ],
        None,
    );
    assert_eq!(
        (
            &shown["mode"],
            &shown["checkout"],
            &shown["auto_pay_secs"],
            &shown["window"]
        ),
        (
            &serde_json::json!("full"),
            &serde_json::json!("simple"),
            &serde_json::json!(3),
            &serde_json::json!("maximized")
        )
    );
    let (_, shown) = env.json(&["config", "basic", "--auto-pay", "off", "--json"], None);
    assert_eq!(shown["auto_pay_secs"], serde_json::Value::Null);

    // Bad values are refused with the reason, and change nothing.
    let bad = env.run(&["config", "basic", "--mode", "kiosk"], None);
    assert_eq!(bad.status.code(), Some(2), "a usage error");
    let bad = env.run(&["config", "basic", "--result-secs", "0"], None);
    assert_ne!(bad.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("1–60"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );

    // A plain clerk may look but not change it.
    env.ok(
        &[
            "clerk", "add", "--id", "05", "--name", "小王", "--role", "clerk",
        ],
        Some("5555"),
    );
    env.ok(&["login", "--staff", "05"], Some("5555"));
    let (status, _) = env.json(&["config", "basic", "--json"], None);
    assert_eq!(status, 0, "showing needs no permission");
    let denied = env.run(&["config", "basic", "--mode", "plugin"], None);
    assert_ne!(denied.status.code(), Some(0));
    let err = String::from_utf8_lossy(&denied.stderr);
    assert!(err.contains("may not change the configuration"), "{err}");
    let (_, shown) = env.json(&["config", "basic", "--json"], None);
    assert_eq!(shown["mode"], "full", "unchanged");
}
