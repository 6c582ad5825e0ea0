//! Regenerates the screenshots in `docs/images/cashier-*.png`: the real binary under Xvfb on
//! a prepared data directory (demo merchant, some payments and a refund), driven with
//! xdotool through login, the order list, the summary, the payment window in each state,
//! the configuration pages, a re-login with its handover, a refund needing a manager, and
//! full mode's checkout and commodities.
//!
//! `cargo test -p cashier --test screenshots -- --ignored` (about two minutes: one payment
//! waits for its 45 s automatic reversal).
#![allow(missing_docs, clippy::missing_panics_doc)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_terminal::testing::code;
use cloudpos_terminal::{BasicSettings, Mode, PayInput, RefundInput, Terminal};
use common::{Cashier, Xvfb, count_color};

const PAID: [u8; 3] = [0x2e, 0x7d, 0x32];
const FAILED: [u8; 3] = [0xc6, 0x28, 0x28];
const PENDING: [u8; 3] = [0xe6, 0x8a, 0x00];
const REVERSED: [u8; 3] = [0x54, 0x6e, 0x7a];

fn wait(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

fn pay(n: u32, yuan: &str, script: &str) -> PayInput {
    PayInput {
        amount: Money::parse_yuan(yuan).unwrap(),
        code: code(n, script),
        remark: String::new(),
        body: None,
        timeout: None,
    }
}

/// Opens the data directory as the GUI will, runs `f` logged in as the demo admin (who
/// stays logged in with auto-login when `stay`, else logs out) and releases the embedded
/// sandbox.
fn prepare<F>(home: &Path, stay: bool, f: impl FnOnce(Terminal) -> F)
where
    F: std::future::Future<Output = ()>,
{
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (t, sandbox) = Terminal::open_or_demo(home).await.unwrap();
        t.login(&ClerkId::parse("01").unwrap(), "0101")
            .await
            .unwrap();
        f(t.clone()).await;
        if stay {
            t.set_auto_login(true).await.unwrap();
        } else {
            t.logout().await.unwrap();
        }
        t.flush_prints().await;
        drop(sandbox);
    });
}

struct Shots {
    dir: PathBuf,
}

impl Shots {
    fn take(&self, x: &Xvfb, window: &str, name: &str) -> PathBuf {
        let path = self.dir.join(format!("cashier-{name}.png"));
        x.settled_shot(window, &path, Duration::from_secs(30));
        eprintln!("wrote {}", path.display());
        path
    }

    /// Waits until `rgb` (the colour of the state before) is gone, then takes the shot.
    fn take_after(&self, x: &Xvfb, window: &str, name: &str, rgb: [u8; 3], timeout: Duration) {
        let path = self.dir.join(format!("cashier-{name}.png"));
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if x.screenshot(window, &path) && count_color(&path, rgb) < 50 {
                eprintln!("wrote {}", path.display());
                return;
            }
            wait(250);
        }
        panic!("{name}: colour {rgb:?} still there after {timeout:?}");
    }

    fn take_when(&self, x: &Xvfb, window: &str, name: &str, rgb: [u8; 3], timeout: Duration) {
        let path = self.dir.join(format!("cashier-{name}.png"));
        let n = x.wait_color(window, &path, rgb, 300, timeout);
        assert!(n > 300, "{name}: colour {rgb:?} not seen ({n} pixels)");
        eprintln!("wrote {}", path.display());
    }
}

fn login(x: &Xvfb, main: &str, id: &str, pw: &str) {
    x.focus(main);
    x.type_text(id);
    x.key("Return");
    x.type_text(pw);
    x.key("Return");
    wait(2500);
}

/// Opens the payment window with `~`, types the amount and the code, and presses Enter.
fn take_payment(x: &Xvfb, amount: &str, code: &str) -> String {
    x.key("grave");
    let pay = x.wait_window("cloudpos-cashier-payment", Duration::from_secs(20));
    wait(700);
    x.focus(&pay);
    x.type_text(amount);
    x.key("Tab");
    x.type_text(code);
    x.key("Return");
    pay
}

fn wait_closed(x: &Xvfb) {
    for _ in 0..40 {
        if x.xdotool(&[
            "search",
            "--onlyvisible",
            "--class",
            "^cloudpos-cashier-payment$",
        ])
        .is_empty()
        {
            return;
        }
        wait(250);
    }
    panic!("the payment window stayed open");
}

#[test]
#[ignore = "writes docs/images/cashier-*.png: run by hand (needs Xvfb, xdotool and ImageMagick)"]
fn screenshots_of_the_main_screens() {
    let shots = Shots {
        dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/images"),
    };
    std::fs::create_dir_all(&shots.dir).unwrap();
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();

    // Plug-in mode with a morning's payments and a refund; 01 stays logged in (auto-login).
    prepare(home.path(), true, |t| async move {
        for (n, yuan) in [
            (1, "36.50"),
            (2, "128.00"),
            (3, "9.90"),
            (4, "58.00"),
            (5, "240.00"),
        ] {
            t.pay(pay(n, yuan, "00")).await.unwrap();
        }
        let alipay = t
            .pay(PayInput {
                code: "280000000000006100".into(),
                ..pay(6, "73.20", "00")
            })
            .await
            .unwrap();
        let _ = t.pay(pay(7, "15.00", "03")).await;
        t.refund(RefundInput {
            order_no: alipay.no,
            amount: Money::parse_yuan("20.00").unwrap(),
            reason: "顾客退货".into(),
            authorization: None,
        })
        .await
        .unwrap();
    });

    let x = Xvfb::start();
    let app = Cashier::start(&x, home.path(), runtime.path());
    let main = x.wait_window("cloudpos-cashier", Duration::from_secs(90));
    wait(2500);
    shots.take(&x, &main, "orders");
    x.focus(&main);
    x.key("l");
    wait(1500);
    shots.take(&x, &main, "login");
    x.key("F2");
    wait(1000);
    x.key("h");
    wait(2500);
    shots.take(&x, &main, "summary");
    x.key("Escape");
    wait(500);

    // The payment window: entering, customer paying (amber, countdown), reversed, paid, failed.
    x.key("grave");
    let pay_win = x.wait_window("cloudpos-cashier-payment", Duration::from_secs(20));
    wait(700);
    x.focus(&pay_win);
    x.type_text("88.00");
    x.key("Tab");
    x.type_text(&code(21, "04"));
    wait(400);
    shots.take(&x, &pay_win, "pay-entering");
    x.key("Return");
    wait(6500);
    shots.take(&x, &pay_win, "pay-waiting");
    shots.take_after(
        &x,
        &pay_win,
        "pay-reversed",
        PENDING,
        Duration::from_secs(90),
    );
    assert!(count_color(&shots.dir.join("cashier-pay-reversed.png"), REVERSED) > 100);
    wait_closed(&x);
    let pay_win = take_payment(&x, "12.30", &code(22, "00"));
    shots.take_when(&x, &pay_win, "pay-paid", PAID, Duration::from_secs(15));
    wait_closed(&x);
    let pay_win = take_payment(&x, "5.00", &code(23, "03"));
    shots.take_when(&x, &pay_win, "pay-failed", FAILED, Duration::from_secs(15));
    wait_closed(&x);

    // Configuration pages (D/F4, Y/F5, S/F6 in plug-in mode).
    x.focus(&main);
    x.key("F4");
    wait(1500);
    shots.take(&x, &main, "config-basic");
    x.key("F5");
    wait(2500);
    shots.take(&x, &main, "config-printer");
    x.key("F6");
    wait(1500);
    shots.take(&x, &main, "config-hotkeys");

    // Clerk 02 logs in: 01's shift is handed over with its summary.
    x.key("F1");
    wait(1000);
    login(&x, &main, "02", "0202");
    shots.take(&x, &main, "handover");
    x.key("Return");
    wait(500);

    // 02 takes a payment and refunds it: a manager must authorise.
    let pay_win = take_payment(&x, "20.00", &code(24, "00"));
    shots.take_when(
        &x,
        &pay_win,
        "pay-paid-clerk",
        PAID,
        Duration::from_secs(15),
    );
    let _ = std::fs::remove_file(shots.dir.join("cashier-pay-paid-clerk.png"));
    wait_closed(&x);
    x.focus(&main);
    x.key("F2");
    wait(1500);
    x.key("r");
    wait(1500);
    x.key("Return");
    wait(2500);
    let auth = shots.take(&x, &main, "refund-auth");
    assert!(
        count_color(&auth, PENDING) > 100,
        "the authorisation notice is amber"
    );
    x.key("Escape");
    drop(app);

    // Full mode with a catalogue.
    prepare(home.path(), false, |t| async move {
        let mut basic = t.setting::<BasicSettings>().await.unwrap();
        basic.mode = Mode::Full;
        t.set_setting(&basic).await.unwrap();
        for (sku, barcode, name, category, unit, fen, stock) in [
            (
                "A001",
                "6901234560011",
                "农夫山泉 550ml",
                "饮料",
                "瓶",
                200,
                120,
            ),
            (
                "A002",
                "6901234560028",
                "可口可乐 330ml",
                "饮料",
                "罐",
                350,
                96,
            ),
            (
                "A003",
                "6901234560035",
                "康师傅红烧牛肉面",
                "方便食品",
                "桶",
                550,
                48,
            ),
            (
                "A004",
                "6901234560042",
                "乐事薯片 原味 70g",
                "零食",
                "袋",
                790,
                60,
            ),
            (
                "A005",
                "6901234560059",
                "蒙牛纯牛奶 250ml",
                "乳品",
                "盒",
                320,
                80,
            ),
            (
                "A006",
                "6901234560066",
                "奥利奥夹心饼干",
                "零食",
                "盒",
                1090,
                30,
            ),
            (
                "B001",
                "6901234560103",
                "得力中性笔 0.5mm 黑",
                "文具",
                "支",
                250,
                200,
            ),
            (
                "B002",
                "6901234560110",
                "维达抽纸 3层 100抽",
                "日用品",
                "包",
                680,
                75,
            ),
        ] {
            t.save_commodity(&Commodity {
                sku: sku.into(),
                barcode: Some(barcode.into()),
                name: name.into(),
                category: category.into(),
                unit: unit.into(),
                price: Money::from_fen(fen),
                stock,
            })
            .await
            .unwrap();
        }
    });
    let app = Cashier::start(&x, home.path(), runtime.path());
    let main = x.wait_window("cloudpos-cashier", Duration::from_secs(90));
    wait(2500);
    login(&x, &main, "01", "0101");
    for item in ["A001", "6901234560028", "A003", "A005"] {
        x.type_text(item);
        x.key("Return");
        wait(400);
    }
    x.type_text("+");
    wait(400);
    shots.take(&x, &main, "checkout");
    x.key("Tab");
    x.type_text(&code(31, "00"));
    x.key("Return");
    wait(2000);
    shots.take(&x, &main, "checkout-paid");
    x.key("F3");
    wait(1500);
    shots.take(&x, &main, "commodities");
    drop(app);
}

/// The main screens at the till screen sizes the cashier is made for, the whole screen each
/// time (so the shot shows the window fits): `cashier-size-WxH-checkout.png`, `-commodities`,
/// `-orders`, `-basic`; and the touch payment window on an 800 × 600 screen.
#[test]
#[ignore = "writes docs/images/cashier-size-*.png: run by hand (needs Xvfb, xdotool and ImageMagick)"]
fn screenshots_at_till_screen_sizes() {
    use common::{Reader, Step, full_mode, main_window};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/images");
    std::fs::create_dir_all(&dir).unwrap();
    let settle = Duration::from_secs(30);
    for (w, h) in [(1024, 768), (1280, 800), (1366, 768), (1920, 1080)] {
        let x = Xvfb::start_sized(w, h);
        let home = tempfile::tempdir().unwrap();
        let runtime = tempfile::tempdir().unwrap();
        common::prepare(home.path(), |t| async move {
            full_mode(t.clone()).await;
            for (n, yuan) in [(1, "36.50"), (2, "128.00"), (3, "9.90")] {
                t.pay(pay(n, yuan, "00")).await.unwrap();
            }
        });
        let app = Cashier::start(&x, home.path(), runtime.path());
        let main = main_window(&x);
        x.wait_screen(&main, "登录", None);
        let _reader = Reader::open(home.path());
        x.burst(&[
            Step::Text("01"),
            Step::Key("Return"),
            Step::Text("0101"),
            Step::Key("Return"),
        ]);
        x.wait_screen(&main, "收银", None);
        x.burst(&[
            Step::Text("A001"),
            Step::Key("Return"),
            Step::Text("6901234560022"),
            Step::Key("Return"),
            Step::Text("B002"),
            Step::Key("Return"),
            Step::Text("D001"),
            Step::Key("Return"),
        ]);
        let name = |screen: &str| dir.join(format!("cashier-size-{w}x{h}-{screen}.png"));
        x.settled_shot("root", &name("checkout"), settle);
        for (key, screen, file) in [
            ("F3", "商品管理", "commodities"),
            ("F4", "订单查询", "orders"),
            ("F6", "基础配置", "basic"),
        ] {
            x.key(key);
            x.wait_screen(&main, screen, None);
            x.settled_shot("root", &name(file), settle);
        }
        eprintln!("wrote the {w}x{h} shots");
        drop(app);
    }

    // The touch payment window on an 800 × 600 screen.
    let x = Xvfb::start_sized(800, 600);
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    common::prepare(home.path(), |t| async move {
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
    x.focus(&pay);
    x.burst(&[Step::Text("8.80")]);
    x.settled_shot("root", &dir.join("cashier-size-800x600-pay.png"), settle);
}

/// `cashier-pay-host-return.png` (the host POS shows a return: the payment window offers the
/// refund screen), `cashier-config-voice.png` (语音播报) and `cashier-update.png` (软件更新 with
/// a newer version on a served feed). The host's screen is a picture of `合计:¥-86.50` shown
/// on the Xvfb screen, read by the real capture path.
#[test]
#[ignore = "writes docs/images/cashier-{pay-host-return,config-voice,update}.png: run by hand (needs Xvfb, xdotool and ImageMagick)"]
fn screenshots_of_the_host_return_voice_and_update() {
    use cloudpos_domain::ports::{ScreenRegion, ScreenTotal};
    use cloudpos_update::sign::{self, Release};
    use cloudpos_update::testkit::{release_tar_gz, serve_dir, version_program};
    use common::main_window;

    let shots = Shots {
        dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/images"),
    };
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();

    // The host POS's total, as a picture of its screen.
    let font = std::process::Command::new("fc-match")
        .args(["-f", "%{file}", "Noto Sans Mono CJK SC"])
        .output()
        .expect("fontconfig");
    let font = String::from_utf8(font.stdout).unwrap();
    let host = work.path().join("host.png");
    let made = std::process::Command::new("convert")
        .args([
            "-background",
            "white",
            "-fill",
            "black",
            "-font",
            &font,
            "-pointsize",
            "28",
            "label:合计:¥-86.50",
            "-bordercolor",
            "white",
            "-border",
            "8",
        ])
        .arg(&host)
        .status()
        .expect("ImageMagick");
    assert!(made.success());
    let (w, h) = image::image_dimensions(&host).unwrap();

    // A feed offering the next version, served while the shots are taken.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut next =
        cloudpos_update::semver::Version::parse(cloudpos_terminal::CURRENT_VERSION).unwrap();
    next.minor += 1;
    next.patch = 0;
    let next = next.to_string();
    let artifact = release_tar_gz(work.path(), &next, &version_program(&next));
    let pair = sign::generate_keypair(None, "screenshots").unwrap();
    sign::write_feed(
        &work.path().join("www/feed"),
        &artifact,
        &Release {
            version: next.clone(),
            notes: "新增：语音播报（收款到账自动播报金额）\n新增：主机退货时收银小窗提示并可直接去退款\n修复：全角数字金额无法输入".into(),
            min_version: None,
            target: Some(cloudpos_update::this_target()),
        },
        &sign::open_secret_key(&pair.secret, None).unwrap(),
    )
    .unwrap();
    let feed = format!("{}/feed/", rt.block_on(serve_dir(work.path().join("www"))));

    let region = ScreenRegion {
        screen: 0,
        x: 60,
        y: 80,
        width: w,
        height: h,
        scale_percent: 100,
    };
    let picture = host.clone();
    prepare(home.path(), true, move |t| async move {
        let mut b = t.setting::<BasicSettings>().await.unwrap();
        b.capture_amount = true;
        b.amount_region = Some(region);
        t.set_setting(&b).await.unwrap();
        t.set_update_settings(Some(&feed), Some(&pair.public))
            .await
            .unwrap();
        let read = t.read_amount_in_picture(&picture).await.unwrap();
        assert_eq!(
            read.reading.total(),
            ScreenTotal::Return(Money::from_fen(8650)),
            "the picture reads as a return: {read:?}"
        );
    });

    let x = Xvfb::start();
    let mut shown = std::process::Command::new("display")
        .args(["-geometry", "+60+80"])
        .arg(&host)
        .env("DISPLAY", &x.display)
        .spawn()
        .expect("ImageMagick display");
    let app = Cashier::start(&x, home.path(), runtime.path());
    let main = main_window(&x);
    wait(2500);

    // The payment window over the host's return (the main window hidden, as it sits in
    // plug-in mode beside the host POS).
    x.focus(&main);
    x.key("ctrl+e");
    wait(1000);
    x.key("grave");
    let pay_win = x.wait_window("cloudpos-cashier-payment", Duration::from_secs(30));
    wait(1500);
    let shot = shots.take(&x, &pay_win, "pay-host-return");
    assert!(
        count_color(&shot, REVERSED) > 100,
        "the return is shown in grey-blue"
    );
    x.focus(&pay_win);
    x.key("Escape");
    wait_closed(&x);

    // 语音播报 (V).
    x.key("ctrl+e");
    wait(1000);
    x.focus(&main);
    x.key("v");
    x.wait_screen(&main, "语音播报", None);
    shots.take(&x, &main, "config-voice");

    // 软件更新 (U) once the background check has found the next version.
    x.key("F4");
    x.wait_screen(&main, "基础配置", None);
    x.key("u");
    x.wait_screen(&main, "基础配置", Some("软件更新"));
    wait(1500);
    shots.take(&x, &main, "update");
    x.key("Escape");
    drop(app);
    let _ = shown.kill();
    let _ = shown.wait();
    drop(rt);
}

/// `POST /sandbox/qr-payment` to the embedded sandbox of `home` (plain HTTP/1.1): a customer
/// pays by scanning the shop's printed QR code.
fn qr_payment(home: &Path, body: &str) -> String {
    use std::io::{Read, Write};
    let url = std::fs::read_to_string(home.join("sandbox/url")).unwrap();
    let addr = url
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches("/cpay/")
        .to_owned();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST /sandbox/qr-payment HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let json: serde_json::Value =
        serde_json::from_str(&answer[answer.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    json["order"]["out_trade_no"].as_str().unwrap().to_owned()
}

/// `cashier-config-onecode.png` (一码支付打印): the real binary watching the embedded
/// sandbox; two printed-QR-code payments are printed (to a file printer) once each by its
/// background watcher and listed on the page.
#[test]
#[ignore = "writes docs/images/cashier-config-onecode.png: run by hand (needs Xvfb, xdotool and ImageMagick)"]
fn screenshot_of_one_code_printing() {
    use cloudpos_terminal::{OneCodeSettings, PrinterSettings};
    use common::main_window;

    let shots = Shots {
        dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/images"),
    };
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let printer = home.path().join("printer.bin");
    let device = format!("file:{}", printer.display());
    prepare(home.path(), true, move |t| async move {
        t.set_setting(&PrinterSettings {
            enabled: true,
            device,
            ..PrinterSettings::default()
        })
        .await
        .unwrap();
        t.set_setting(&OneCodeSettings {
            enabled: true,
            interval_secs: 1,
            ..OneCodeSettings::default()
        })
        .await
        .unwrap();
    });

    let x = Xvfb::start();
    let app = Cashier::start(&x, home.path(), runtime.path());
    let main = main_window(&x);
    wait(2500);
    x.focus(&main);
    x.key("q");
    x.wait_screen(&main, "一码支付打印", None);
    wait(1500);
    let a = qr_payment(home.path(), r#"{"amount_fen": 1234, "wallet": "alipay"}"#);
    let b = qr_payment(home.path(), r#"{"amount_fen": 880, "wallet": "wechat"}"#);
    // The watcher prints each once within a few intervals.
    let slips = |no: &str| {
        let bytes = std::fs::read(&printer).unwrap_or_default();
        bytes
            .windows(no.len())
            .filter(|w| *w == no.as_bytes())
            .count()
            / 2
    };
    for _ in 0..40 {
        if slips(&a) == 1 && slips(&b) == 1 {
            break;
        }
        wait(250);
    }
    wait(3000);
    assert_eq!((slips(&a), slips(&b)), (1, 1), "each printed once");
    shots.take(&x, &main, "config-onecode");
    drop(app);
}
