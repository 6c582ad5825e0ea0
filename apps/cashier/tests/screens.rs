//! End to end: the real `cashier` under Xvfb fits the till screens it meets — the main window
//! at 1024 × 768, 1280 × 800, 1366 × 768 and 1920 × 1080 (also when the geometry it saved
//! came from a larger screen), and the payment window on an 800 × 600 one.
//! Run by `.ci/e2e` (`cargo test --workspace -- --ignored e2e_`).
#![allow(missing_docs, clippy::missing_panics_doc)]

mod common;

use std::time::Duration;

use cloudpos_terminal::BasicSettings;
use common::{Cashier, Reader, Step, Xvfb, full_mode, main_window, prepare};

/// (x, y, width, height) of a window, as the X server has it.
fn geometry(x: &Xvfb, window: &str) -> (i64, i64, i64, i64) {
    let shell = x.xdotool(&["getwindowgeometry", "--shell", window]);
    let get = |key: &str| -> i64 {
        shell
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {shell:?}"))
    };
    (get("X"), get("Y"), get("WIDTH"), get("HEIGHT"))
}

fn assert_inside(what: &str, g: (i64, i64, i64, i64), screen: (i64, i64)) {
    let (x, y, w, h) = g;
    assert!(
        x >= 0 && y >= 0 && x + w <= screen.0 && y + h <= screen.1,
        "{what}: the window at ({x}, {y}) {w}×{h} does not fit the {}×{} screen",
        screen.0,
        screen.1
    );
}

#[test]
#[ignore = "e2e: needs Xvfb and xdotool"]
fn e2e_the_main_window_fits_common_till_screens() {
    for (width, height) in [(1024, 768), (1280, 800), (1366, 768), (1920, 1080)] {
        let x = Xvfb::start_sized(width, height);
        let home = tempfile::tempdir().unwrap();
        let runtime = tempfile::tempdir().unwrap();
        prepare(home.path(), |t| async move {
            full_mode(t.clone()).await;
            if width == 1024 {
                // Saved on a 1920 × 1080 screen, towards its bottom right.
                cashier::window_geometry::save(
                    &t,
                    "main",
                    &cashier::window_geometry::WindowState {
                        x: 1500.0,
                        y: 900.0,
                        width: 1800.0,
                        height: 1000.0,
                    },
                )
                .await
                .unwrap();
            }
        });
        let app = Cashier::start(&x, home.path(), runtime.path());
        let main = main_window(&x);
        x.wait_screen(&main, "登录", None);
        let what = format!("{width}×{height}");
        assert_inside(&what, geometry(&x, &main), (width.into(), height.into()));
        let (_, _, w, h) = geometry(&x, &main);
        assert!(
            w >= 960 && h >= 600,
            "{what}: {w}×{h} is big enough to work in"
        );

        // Every screen of the navigation opens (its title) at this size.
        x.burst(&[
            Step::Text("01"),
            Step::Key("Return"),
            Step::Text("0101"),
            Step::Key("Return"),
        ]);
        x.wait_screen(&main, "收银", None);
        for (key, screen) in [
            ("F3", "商品管理"),
            ("F4", "订单查询"),
            ("F5", "退款操作"),
            ("F6", "基础配置"),
            ("F7", "打印机配置"),
            ("F8", "快捷键设置"),
            ("F2", "收银"),
        ] {
            x.key(key);
            x.wait_screen(&main, screen, None);
        }
        assert_inside(&what, geometry(&x, &main), (width.into(), height.into()));
        drop(app);
    }
}

#[test]
#[ignore = "e2e: needs Xvfb and xdotool"]
fn e2e_the_payment_window_fits_an_800_by_600_screen() {
    let x = Xvfb::start_sized(800, 600);
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    // Touch mode: the tallest payment window (keypad and buttons).
    prepare(home.path(), |t| async move {
        let mut b = t.setting::<BasicSettings>().await.unwrap();
        b.touch = true;
        b.capture_amount = false;
        t.set_setting(&b).await.unwrap();
    });
    let _app = Cashier::start(&x, home.path(), runtime.path());
    let main = main_window(&x);
    x.wait_screen(&main, "登录", None);
    x.burst(&[
        Step::Text("01"),
        Step::Key("Return"),
        Step::Text("0101"),
        Step::Key("Return"),
    ]);
    x.wait_screen(&main, "订单查询", None);
    x.key("grave");
    let pay = x.wait_window("cloudpos-cashier-payment", Duration::from_secs(30));
    assert_inside("payment window", geometry(&x, &pay), (800, 600));
    x.focus(&pay);
    x.burst(&[
        Step::Text("8.80"),
        Step::Key("Tab"),
        Step::Text("134500000000000800"),
        Step::Key("Return"),
    ]);
    let reader = Reader::open(home.path());
    let order = reader.wait_for("the payment", Duration::from_secs(30), |t| async move {
        let page = t
            .orders(&cloudpos_domain::ports::OrderFilter::default())
            .await
            .ok()?;
        page.items
            .into_iter()
            .find(|o| o.state == cloudpos_domain::order::OrderState::Paid)
    });
    assert_eq!(order.amount.fen(), 880);
}
