//! End to end: the real `cashier` binary under its own Xvfb, driven with xdotool like a
//! cashier at the keyboard: log in, press the `~` hotkey, type an amount and a payment code,
//! Enter; the payment window must turn green (checked on a screenshot), and the ledger must
//! hold the paid order. Run by `.ci/e2e` (`cargo test --workspace -- --ignored e2e_`).
#![allow(missing_docs, clippy::missing_panics_doc)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Cashier, Xvfb};

/// The paid colour (style::PAID).
const PAID: [u8; 3] = [0x2e, 0x7d, 0x32];

#[test]
#[ignore = "e2e: needs Xvfb and xdotool"]
fn e2e_plug_in_payment_by_hotkey_under_xvfb() {
    let started = Instant::now();
    let x = Xvfb::start();
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let shots = home.path().join("shots");
    std::fs::create_dir_all(&shots).unwrap();
    let app = Cashier::start(&x, home.path(), runtime.path());

    // Log in on the login screen: the clerk field has the focus; Enter moves on.
    let main = x.wait_window("cloudpos-cashier", Duration::from_secs(90));
    std::thread::sleep(Duration::from_secs(2));
    x.focus(&main);
    x.type_text("01");
    x.key("Return");
    x.type_text("0101");
    x.key("Return");
    std::thread::sleep(Duration::from_secs(3));
    let login_shot = shots.join("login.png");
    assert!(x.screenshot(&main, &login_shot));

    // ~ (the global hotkey) opens the payment window with the amount field focused; Tab
    // moves to the code field, Enter pays.
    x.key("grave");
    let pay = x.wait_window("cloudpos-cashier-payment", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(800));
    x.focus(&pay);
    x.type_text("12.30");
    x.key("Tab");
    x.type_text("134500000000000100");
    x.key("Return");

    // The result stays green for 3 s: look for it.
    let shot = shots.join("paid.png");
    let green = x.wait_color(&pay, &shot, PAID, 400, Duration::from_secs(15));
    assert!(
        green > 400,
        "the payment window shows the paid colour (found {green} green pixels; screenshot {})",
        shot.display()
    );
    if let Ok(dir) = std::env::var("CASHIER_E2E_SHOTS") {
        let _ = std::fs::copy(&shot, Path::new(&dir).join("e2e-paid.png"));
        let _ = std::fs::copy(&login_shot, Path::new(&dir).join("e2e-after-login.png"));
    }

    // The ledger (shared with the CLI) holds the paid order.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let orders = rt.block_on(async {
        let (t, _sandbox) = cloudpos_terminal::Terminal::open_or_demo(home.path())
            .await
            .unwrap();
        t.orders(&cloudpos_domain::ports::OrderFilter::default())
            .await
            .unwrap()
    });
    assert_eq!(orders.total, 1);
    let o = &orders.items[0];
    assert_eq!(o.state, cloudpos_domain::order::OrderState::Paid);
    assert_eq!(o.amount, cloudpos_domain::money::Money::from_fen(1230));
    assert_eq!(o.clerk_id.as_str(), "01");

    // A second start on the same data directory says so and exits, leaving the first.
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_cashier"))
        .args(["--home", home.path().to_str().unwrap()])
        .env("DISPLAY", &x.display)
        .output()
        .unwrap();
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already running"));
    drop(app);
    eprintln!("e2e took {:?}", started.elapsed());
}
