//! Every screen flow of the cashier, headless: the app runs over a test terminal (fake Cloud
//! Pay, fake approvals, virtual clock, a real SQLite ledger in a temp dir); the views are
//! built into `iced_test` simulators to click and type, and the tasks the app returns are
//! driven to completion here (terminal calls, window and clipboard actions).
#![allow(missing_docs, clippy::missing_panics_doc)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cashier::app::Message;
use cashier::keys::KeyPress;
use cashier::screen::{Screen, checkout, commodities, login, orders, payment, refund, summary};
use cashier::{App, Options};
use cloudpos_domain::catalog::{CheckoutMode, Commodity};
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::{CodeRule, CodeScheme, CodeTable, Wallet};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::ports::{
    AmountReader, AmountReading, Catalog, CodeOrigin, CommodityQuery, DeviceError, Ledger,
    ScannedCode,
};
use cloudpos_terminal::testing::{TestTerminal, code, test_terminal};
use cloudpos_terminal::{
    BasicSettings, DeviceEvent, Event as TerminalEvent, HotkeyAction, KeySettings, Mode,
    NetworkSettings, PrinterSettings, Terminal, TerminalConfig, VoiceSettings,
};
use iced::keyboard::Key;
use iced::keyboard::key::Named;
use iced::{Task, window};
use iced_test::runtime::Action;
use iced_test::runtime::futures::futures::StreamExt;
use iced_test::runtime::task::into_stream;
use iced_test::simulator::Simulator;

/// The app, the terminal it runs on, and what the windowing system was asked to do.
struct Ui {
    app: App,
    tt: TestTerminal,
    _dir: tempfile::TempDir,
    clipboard: Vec<String>,
    opened: Vec<(window::Id, window::Settings)>,
    closed: Vec<window::Id>,
    modes: Vec<(window::Id, window::Mode)>,
    /// The monitor windows open on.
    monitor: iced::Size,
    /// Resizes, moves and maximisations asked for, in order.
    placed: Vec<(window::Id, Placement)>,
}

/// What the app asked of a window's geometry.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Placement {
    Resize(iced::Size),
    Move(iced::Point),
    Maximize(bool),
}

impl Ui {
    /// The app over a fresh test terminal; `prepare` runs on the terminal first.
    async fn start() -> Ui {
        let dir = tempfile::tempdir().unwrap();
        let tt = test_terminal(dir.path()).await;
        Ui::start_on(tt, dir).await
    }

    async fn start_on(tt: TestTerminal, dir: tempfile::TempDir) -> Ui {
        Ui::start_on_monitor(tt, dir, iced::Size::new(1440.0, 960.0)).await
    }

    async fn start_on_monitor(tt: TestTerminal, dir: tempfile::TempDir, monitor: iced::Size) -> Ui {
        let (app, task) = App::with_terminal(
            tt.terminal.clone(),
            Options {
                home: dir.path().to_owned(),
                lock: None,
                devices: false,
                program_dir: None,
            },
        );
        let mut ui = Ui {
            app,
            tt,
            _dir: dir,
            clipboard: Vec::new(),
            opened: Vec::new(),
            closed: Vec::new(),
            modes: Vec::new(),
            monitor,
            placed: Vec::new(),
        };
        ui.run(task).await;
        assert!(ui.app.main_window().is_some(), "the main window opens");
        ui
    }

    fn main(&self) -> window::Id {
        self.app.main_window().unwrap()
    }

    fn pay_window(&self) -> window::Id {
        self.app.payment_window().expect("payment window open")
    }

    /// Drives a task and everything it leads to.
    async fn run(&mut self, task: Task<Message>) {
        let mut queue = VecDeque::from([task]);
        let mut steps = 0;
        while let Some(task) = queue.pop_front() {
            let Some(mut stream) = into_stream(task) else {
                continue;
            };
            while let Some(action) = stream.next().await {
                steps += 1;
                assert!(steps < 20_000, "runaway tasks");
                match action {
                    Action::Output(m) => queue.push_back(self.app.update(m)),
                    Action::Window(iced_test::runtime::window::Action::Open(id, settings, tx)) => {
                        let _ = tx.send(id);
                        self.opened.push((id, settings));
                    }
                    Action::Window(iced_test::runtime::window::Action::Close(id)) => {
                        self.closed.push(id);
                        queue
                            .push_back(self.app.update(Message::Window(id, window::Event::Closed)));
                    }
                    Action::Window(iced_test::runtime::window::Action::SetMode(id, mode)) => {
                        self.modes.push((id, mode));
                    }
                    Action::Window(iced_test::runtime::window::Action::GetScaleFactor(_, tx)) => {
                        let _ = tx.send(1.0);
                    }
                    Action::Window(iced_test::runtime::window::Action::GetMonitorSize(_, tx)) => {
                        let _ = tx.send(Some(self.monitor));
                    }
                    Action::Window(iced_test::runtime::window::Action::Resize(id, size)) => {
                        self.placed.push((id, Placement::Resize(size)));
                    }
                    Action::Window(iced_test::runtime::window::Action::Move(id, at)) => {
                        self.placed.push((id, Placement::Move(at)));
                    }
                    Action::Window(iced_test::runtime::window::Action::Maximize(id, on)) => {
                        self.placed.push((id, Placement::Maximize(on)));
                    }
                    Action::Clipboard(iced_test::runtime::clipboard::Action::Write {
                        contents,
                        ..
                    }) => {
                        self.clipboard.push(contents);
                    }
                    _ => {}
                }
            }
        }
    }

    async fn send(&mut self, m: Message) {
        let t = self.app.update(m);
        self.run(t).await;
    }

    async fn key(&mut self, window: window::Id, press: KeyPress) {
        self.send(Message::Key(window, press)).await;
    }

    async fn letter(&mut self, c: char) {
        let w = self.main();
        self.key(w, KeyPress::char(c)).await;
    }

    async fn named(&mut self, window: window::Id, named: Named) {
        self.key(window, KeyPress::plain(Key::Named(named))).await;
    }

    async fn tick(&mut self) {
        self.send(Message::Tick).await;
    }

    fn sim(&self, window: window::Id) -> Simulator<'_, Message> {
        Simulator::with_size(
            iced_test::core::Settings::default(),
            (1440.0, 1200.0),
            self.app.view(window),
        )
    }

    fn sees(&self, window: window::Id, text: &str) -> bool {
        self.sim(window).find(text).is_ok()
    }

    #[track_caller]
    fn assert_sees(&self, window: window::Id, text: &str) {
        assert!(
            self.sees(window, text),
            "expected to see {text:?} in {window:?} on {:?}",
            self.app.screen()
        );
    }

    /// Clicks the widget showing `text` and processes what it sent.
    async fn click(&mut self, window: window::Id, text: &str) {
        let messages: Vec<Message> = {
            let mut ui = self.sim(window);
            ui.click(text)
                .unwrap_or_else(|e| panic!("click {text:?}: {e}"));
            ui.into_messages().collect()
        };
        for m in messages {
            self.send(m).await;
        }
    }

    /// Clicks the text field `id`, types `text` and, with `enter`, presses Enter in it.
    async fn type_in(&mut self, window: window::Id, id: &'static str, text: &str, enter: bool) {
        let messages: Vec<Message> = {
            let mut ui = self.sim(window);
            ui.click(iced::widget::Id::new(id))
                .unwrap_or_else(|e| panic!("field {id}: {e}"));
            let _ = ui.typewrite(text);
            if enter {
                let _ = ui.tap_key(Key::Named(Named::Enter));
            }
            ui.into_messages().collect()
        };
        for m in messages {
            self.send(m).await;
        }
    }

    async fn login(&mut self, id: &str, pw: &str) {
        let w = self.main();
        self.type_in(w, login::CLERK_FIELD, id, false).await;
        self.type_in(w, login::PASSWORD_FIELD, pw, true).await;
        assert_eq!(
            self.app
                .ctx()
                .clerk
                .as_ref()
                .map(|c| c.id.to_string())
                .as_deref(),
            Some(id),
            "logged in as {id}; login error: {:?}",
            self.app.login().error
        );
    }

    async fn set_basic(&self, f: impl FnOnce(&mut BasicSettings)) {
        let t = &self.tt.terminal;
        let before = t.session().await.unwrap();
        t.login(&ClerkId::parse("09").unwrap(), "pw09")
            .await
            .unwrap();
        let mut b = t.setting::<BasicSettings>().await.unwrap();
        f(&mut b);
        t.set_setting(&b).await.unwrap();
        if before.is_none() {
            t.logout().await.unwrap();
        }
    }

    fn advance(&self, d: Duration) {
        self.tt.clock.advance(d);
    }

    async fn add_commodity(&self, sku: &str, name: &str, fen: i64, stock: i64) {
        self.tt
            .store
            .upsert_many(&[Commodity {
                sku: sku.into(),
                barcode: Some(format!("690000{sku}")),
                name: name.into(),
                category: "饮料".into(),
                unit: "瓶".into(),
                price: Money::from_fen(fen),
                stock,
            }])
            .await
            .unwrap();
    }
}

/// An amount reader standing in for the screen-capture adapter.
struct FakeReader {
    fen: i64,
    confidence: u16,
}

#[async_trait]
impl AmountReader for FakeReader {
    async fn read_amount(&self) -> Result<AmountReading, DeviceError> {
        Ok(AmountReading {
            amount: Some(Money::from_fen(self.fen)),
            text: format!("¥{}", Money::from_fen(self.fen)),
            confidence_permille: self.confidence,
            source: "test".into(),
        })
    }

    async fn read_serial(&self) -> Result<Option<String>, DeviceError> {
        Ok(Some("POS-000123".into()))
    }
}

fn hotkey() -> Message {
    Message::Device(DeviceEvent::Hotkey(HotkeyAction::PaymentWindow))
}

// ───────────────────────────── login ─────────────────────────────

#[tokio::test]
async fn login_with_password_shows_errors_inline_then_lands_on_orders() {
    let mut ui = Ui::start().await;
    let w = ui.main();
    assert_eq!(ui.app.screen(), Screen::Login);
    ui.assert_sees(w, "账号密码登录");
    ui.assert_sees(w, "扫码登录");
    ui.assert_sees(w, "SANDBOX 沙箱演示");

    ui.type_in(w, login::CLERK_FIELD, "02", false).await;
    ui.type_in(w, login::PASSWORD_FIELD, "wrong", true).await;
    let err = ui.app.login().error.clone().expect("inline error");
    assert!(err.contains("密码错误"), "{err}");
    assert!(ui.app.ctx().session.is_none());

    // Other screens need a login: P stays on the login screen.
    ui.letter('p').await;
    assert_eq!(ui.app.screen(), Screen::Login);

    ui.type_in(w, login::PASSWORD_FIELD, "pw02", true).await;
    assert_eq!(
        ui.app.screen(),
        Screen::Orders,
        "plug-in mode lands on the order list"
    );
    ui.assert_sees(w, "02 clerk 02 · 店员");
}

#[tokio::test]
async fn locked_clerk_sees_until_when() {
    let mut ui = Ui::start().await;
    let w = ui.main();
    ui.type_in(w, login::CLERK_FIELD, "02", false).await;
    for _ in 0..10 {
        ui.type_in(w, login::PASSWORD_FIELD, "nope", true).await;
    }
    let err = ui.app.login().error.clone().unwrap();
    assert!(err.contains("已锁定至"), "{err}");
    ui.assert_sees(w, &err);
}

#[tokio::test]
async fn qr_login_and_relogin_hands_the_shift_over_with_its_summary() {
    let mut ui = Ui::start().await;
    let w = ui.main();
    let ticket = ui
        .app
        .login()
        .qr_ticket()
        .cloned()
        .expect("QR shown at start");
    ui.assert_sees(w, &ticket.approve_url);
    ui.tick().await;
    assert!(ui.app.ctx().session.is_none(), "pending until approved");
    ui.tt.approvals.approve(&ticket.token, "02");
    ui.advance(Duration::from_secs(2));
    ui.tick().await;
    assert_eq!(ui.app.ctx().clerk.as_ref().unwrap().id.as_str(), "02");

    // 02 takes a payment, then 01 logs in (L, then the form): 02's shift is handed over.
    ui.tt
        .terminal
        .pay(cloudpos_terminal::PayInput {
            amount: Money::from_fen(990),
            code: code(1, "00"),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap();
    ui.letter('l').await;
    assert_eq!(ui.app.screen(), Screen::Login);
    let since = ui.app.ctx().session.as_ref().unwrap().since;
    ui.assert_sees(
        w,
        &format!(
            "当前班次：店员 02，自 {} 起。其他店员登录将交接此班并显示汇总。",
            ui.app.ctx().time(since)
        ),
    );
    ui.login("01", "pw01").await;
    let panel = ui.app.summary().expect("handover summary shown");
    assert_eq!(
        panel.handover.as_ref().unwrap().shift.clerk_id.as_str(),
        "02"
    );
    assert_eq!(
        panel.loaded.as_ref().unwrap().summary.total.paid,
        Money::from_fen(990)
    );
    ui.assert_sees(w, "交接班汇总");
    ui.named(w, Named::Enter).await;
    assert!(ui.app.summary().is_none());
}

#[tokio::test]
async fn auto_login_resumes_the_session_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let mut ui = Ui::start_on(tt, dir).await;
    let w = ui.main();
    ui.click(w, "自动登录（下次启动直接进入）").await;
    ui.login("02", "pw02").await;
    assert_eq!(
        ui.tt.terminal.auto_login().await.unwrap().unwrap().as_str(),
        "02"
    );
    // A new app over the same ledger goes straight in.
    let (app, task) = App::with_terminal(
        ui.tt.terminal.clone(),
        Options {
            home: ui._dir.path().to_owned(),
            lock: None,
            devices: false,
            program_dir: None,
        },
    );
    ui.app = app;
    ui.run(task).await;
    assert_ne!(ui.app.screen(), Screen::Login);
    assert!(ui.app.ctx().session.is_some());
}

// ───────────────────────────── plug-in payments ─────────────────────────────

#[tokio::test]
async fn plug_in_hotkey_typed_amount_and_scanned_code_is_paid_then_closes() {
    let mut ui = Ui::start().await;
    ui.login("02", "pw02").await;
    ui.send(hotkey()).await;
    let pw = ui.pay_window();
    let (_, settings) = ui.opened.iter().find(|(id, _)| *id == pw).unwrap();
    assert_eq!(settings.level, window::Level::AlwaysOnTop, "always on top");
    let p = ui.app.payment().unwrap();
    assert!(
        p.capture_note
            .as_deref()
            .unwrap_or_default()
            .contains("未确定金额位置"),
        "capture not available yet: type the amount ({:?})",
        p.capture_note
    );
    ui.assert_sees(pw, "手动");
    ui.assert_sees(pw, "SANDBOX 沙箱演示");

    ui.type_in(pw, payment::AMOUNT_FIELD, "12.30", false).await;
    ui.type_in(pw, payment::CODE_FIELD, &code(7, "00"), true)
        .await;
    let p = ui.app.payment().unwrap();
    let payment::Stage::Done(Ok(order)) = &p.stage else {
        panic!("paid: {:?}", p.stage);
    };
    assert_eq!(order.state, OrderState::Paid);
    assert_eq!(order.amount, Money::from_fen(1230));
    ui.assert_sees(pw, "支付成功");
    ui.assert_sees(pw, "¥12.30");

    // The result stays for the configured 3 s, then the window closes.
    ui.advance(Duration::from_secs(1));
    ui.tick().await;
    assert!(ui.app.payment_window().is_some());
    ui.advance(Duration::from_secs(3));
    ui.tick().await;
    assert!(ui.app.payment_window().is_none());
    assert!(ui.closed.contains(&pw));
    assert_eq!(ui.tt.gateway.count_calls("micro_pay"), 1);
}

#[tokio::test]
async fn plug_in_escape_or_tilde_cancels_and_failures_are_red_words() {
    let mut ui = Ui::start().await;
    ui.login("02", "pw02").await;
    ui.send(hotkey()).await;
    let pw = ui.pay_window();
    ui.named(pw, Named::Escape).await;
    assert!(ui.app.payment_window().is_none(), "Esc cancels");
    ui.send(hotkey()).await;
    ui.send(hotkey()).await;
    assert!(ui.app.payment_window().is_none(), "~ again cancels");

    ui.send(hotkey()).await;
    let pw = ui.pay_window();
    ui.type_in(pw, payment::AMOUNT_FIELD, "5", false).await;
    ui.type_in(pw, payment::CODE_FIELD, &code(8, "03"), true)
        .await;
    let p = ui.app.payment().unwrap();
    let payment::Stage::Done(Ok(order)) = &p.stage else {
        panic!("{:?}", p.stage)
    };
    assert_eq!(order.state, OrderState::Failed);
    ui.assert_sees(pw, "支付失败");
    // Enter closes a result at once.
    ui.named(pw, Named::Enter).await;
    assert!(ui.app.payment_window().is_none());

    // A bad amount stays in the window with the reason.
    ui.send(hotkey()).await;
    let pw = ui.pay_window();
    ui.type_in(pw, payment::AMOUNT_FIELD, "1.234", false).await;
    ui.type_in(pw, payment::CODE_FIELD, &code(9, "00"), true)
        .await;
    assert!(
        ui.app
            .payment()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("金额有误")
    );
    assert_eq!(ui.app.payment().unwrap().stage, payment::Stage::Entering);
}

#[tokio::test]
async fn plug_in_scan_opens_the_window_with_captured_amount_serial_and_auto_pay() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    tt.terminal.set_amount_reader(Some(Arc::new(FakeReader {
        fen: 888,
        confidence: 980,
    })));
    let mut ui = Ui::start_on(tt, dir).await;
    ui.set_basic(|b| {
        b.auto_pay_secs = Some(2);
        b.capture_serial = true;
    })
    .await;
    ui.login("02", "pw02").await;
    let scanned = code(11, "00");
    ui.send(Message::Device(DeviceEvent::Code(ScannedCode {
        text: scanned.clone(),
        origin: CodeOrigin::Wedge,
        at: ui.tt.terminal.now(),
    })))
    .await;
    let pw = ui.pay_window();
    let p = ui.app.payment().unwrap();
    assert_eq!(p.amount, "8.88");
    assert_eq!(p.code, scanned);
    assert_eq!(p.remark, "POS-000123", "the serial number is the remark");
    assert!(p.auto_pay_at.is_some());
    ui.assert_sees(pw, "抓取");
    ui.assert_sees(pw, "2 秒后自动收款 · Enter 立即收款 · Esc 或 ~ 取消");
    ui.advance(Duration::from_secs(1));
    ui.tick().await;
    assert_eq!(ui.app.payment().unwrap().stage, payment::Stage::Entering);
    ui.advance(Duration::from_secs(2));
    ui.tick().await;
    let p = ui.app.payment().unwrap();
    let payment::Stage::Done(Ok(order)) = &p.stage else {
        panic!("{:?}", p.stage)
    };
    assert_eq!(
        (order.state, order.amount),
        (OrderState::Paid, Money::from_fen(888))
    );
    assert_eq!(order.remark, "POS-000123");
}

#[tokio::test]
async fn low_confidence_capture_needs_confirmation_and_touch_mode_has_a_keypad() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    tt.terminal.set_amount_reader(Some(Arc::new(FakeReader {
        fen: 500,
        confidence: 600,
    })));
    let mut ui = Ui::start_on(tt, dir).await;
    ui.set_basic(|b| {
        b.auto_pay_secs = Some(0);
        b.touch = true;
    })
    .await;
    ui.login("02", "pw02").await;
    assert!(
        ui.opened.iter().any(|(_, s)| s.size.width < 200.0),
        "touch: the floating 收款 button"
    );
    ui.send(hotkey()).await;
    let pw = ui.pay_window();
    ui.assert_sees(pw, "确定");
    ui.assert_sees(pw, "取消");
    assert!(
        ui.app
            .payment()
            .unwrap()
            .capture_note
            .as_deref()
            .unwrap()
            .contains("识别可信度 60%")
    );
    ui.type_in(pw, payment::CODE_FIELD, &code(12, "00"), false)
        .await;
    assert!(
        ui.app.payment().unwrap().auto_pay_at.is_none(),
        "no auto-pay before confirmation"
    );
    // The keypad edits the amount: 5.00 → 5.0 → 5.05 (typed now: no more confirmation).
    ui.click(pw, "⌫").await;
    ui.click(pw, "5").await;
    assert_eq!(ui.app.payment().unwrap().amount, "5.05");
    ui.click(pw, "确定").await;
    let p = ui.app.payment().unwrap();
    let payment::Stage::Done(Ok(order)) = &p.stage else {
        panic!("{:?}", p.stage)
    };
    assert_eq!(order.amount, Money::from_fen(505));
}

#[tokio::test]
async fn open_outcome_is_amber_words_with_a_countdown() {
    let ui = Ui::start().await;
    let now = ui.tt.terminal.now();
    let mut p = payment::Payment::new(Some(code(13, "04")), now);
    let mut ctx = ui.app.ctx().clone();
    let _ = p.update(
        payment::Message::Prepared {
            amount: None,
            serial: None,
        },
        &ctx,
    );
    let _ = p.update(payment::Message::Amount("30".into()), &ctx);
    let Some(payment::Event::Pay(_)) = p.update(payment::Message::Confirm, &ctx) else {
        panic!("pays")
    };
    let mut order = Order::new(
        NewOrder {
            no: OrderNo::parse("sz0100dev1x000001").unwrap(),
            method: PaymentMethod::Wallet(Wallet::WeChat),
            amount: Money::from_fen(3000),
            code_masked: Some(cloudpos_domain::code::mask_code(&code(13, "04"))),
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            clerk_id: ClerkId::parse("02").unwrap(),
            shift_id: None,
            body: "x".into(),
            remark: String::new(),
        },
        now,
    );
    order.submit(now).unwrap();
    order.mark_user_paying(now).unwrap();
    let _ = p.update(payment::Message::Update(order), &ctx);
    ctx.now = now.plus(Duration::from_secs(12));
    {
        let mut sim = iced_test::simulator(p.view(&ctx));
        assert!(sim.find("顾客正在输入密码…").is_ok());
        assert!(
            sim.find("已等待 12 秒 · 33 秒后自动撤单 · 请勿重复收款")
                .is_ok()
        );
    }
    // Esc cannot cancel a payment on its way.
    assert!(p.update(payment::Message::Cancel, &ctx).is_none());
    assert!(p.error.as_deref().unwrap().contains("不能取消"));
}

// ───────────────────────────── full mode ─────────────────────────────

#[tokio::test]
async fn full_mode_cart_by_sku_and_barcode_with_quantity_keys_then_wallet_and_cash_change() {
    let mut ui = Ui::start().await;
    ui.set_basic(|b| b.mode = Mode::Full).await;
    ui.add_commodity("A1", "可乐", 350, 10).await;
    ui.add_commodity("B2", "薯片", 800, 10).await;
    ui.login("02", "pw02").await;
    let w = ui.main();
    assert_eq!(
        ui.app.screen(),
        Screen::Checkout,
        "full mode lands on checkout"
    );
    ui.type_in(w, checkout::LOOKUP_FIELD, "A1", true).await;
    ui.type_in(w, checkout::LOOKUP_FIELD, "690000B2", true)
        .await;
    // + in the field adds one to the selected line (the last added).
    ui.type_in(w, checkout::LOOKUP_FIELD, "+", false).await;
    let lines = ui.app.checkout().cart.lines().to_vec();
    assert_eq!(
        lines
            .iter()
            .map(|l| (l.sku.as_str(), l.quantity))
            .collect::<Vec<_>>(),
        [("A1", 1), ("B2", 2)]
    );
    ui.assert_sees(w, "¥19.50");
    ui.type_in(w, checkout::LOOKUP_FIELD, "ZZZ", true).await;
    assert!(ui.app.checkout().error.as_deref().unwrap().contains("ZZZ"));

    ui.type_in(w, checkout::CODE_FIELD, &code(21, "00"), true)
        .await;
    let checkout::Stage::Done(Ok(order)) = &ui.app.checkout().stage else {
        panic!("{:?}", ui.app.checkout().stage)
    };
    assert_eq!(
        (order.state, order.amount, order.lines.len()),
        (OrderState::Paid, Money::from_fen(1950), 2)
    );
    ui.assert_sees(w, "支付成功");
    let b2 = ui
        .tt
        .terminal
        .commodity_by_code("B2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b2.stock, 8, "stock taken");

    // Cash: 现金收款, 实收 50 → 找零 46.50 live, Enter confirms.
    ui.type_in(w, checkout::LOOKUP_FIELD, "A1", true).await;
    assert_eq!(ui.app.checkout().cart.lines().len(), 1, "a new sale");
    ui.click(w, "现金收款 (F9)").await;
    ui.type_in(w, checkout::CASH_FIELD, "50", false).await;
    ui.assert_sees(w, "¥46.50");
    ui.type_in(w, checkout::CASH_FIELD, "", true).await;
    let checkout::Stage::Done(Ok(order)) = &ui.app.checkout().stage else {
        panic!()
    };
    assert_eq!(order.method, PaymentMethod::Cash);
    assert_eq!(order.cash_change, Some(Money::from_fen(4650)));
    ui.assert_sees(w, "找零");
}

#[tokio::test]
async fn simple_and_total_amount_checkout() {
    let mut ui = Ui::start().await;
    ui.set_basic(|b| {
        b.mode = Mode::Full;
        b.checkout_mode = CheckoutMode::TotalAmount;
    })
    .await;
    ui.add_commodity("C3", "矿泉水", 200, 5).await;
    ui.login("02", "pw02").await;
    let w = ui.main();
    ui.type_in(w, checkout::TOTAL_FIELD, "66.60", false).await;
    ui.type_in(w, checkout::CODE_FIELD, &code(31, "00"), true)
        .await;
    let checkout::Stage::Done(Ok(o)) = &ui.app.checkout().stage else {
        panic!()
    };
    assert_eq!(o.amount, Money::from_fen(6660));

    ui.click(w, "简单收银").await;
    assert_eq!(ui.app.checkout().choices.len(), 1);
    let pick = ui.app.checkout().choices[0].clone();
    ui.send(Message::Checkout(checkout::Message::Pick(pick)))
        .await;
    ui.send(Message::Checkout(checkout::Message::Quantity("3".into())))
        .await;
    ui.assert_sees(w, "¥6.00");
    ui.type_in(w, checkout::CODE_FIELD, &code(32, "00"), true)
        .await;
    let checkout::Stage::Done(Ok(o)) = &ui.app.checkout().stage else {
        panic!()
    };
    assert_eq!((o.amount, o.lines[0].quantity), (Money::from_fen(600), 3));
}

// ───────────────────────────── orders and refunds ─────────────────────────────

async fn paid_order(ui: &Ui, n: u32, fen: i64) -> Order {
    ui.tt
        .terminal
        .pay(cloudpos_terminal::PayInput {
            amount: Money::from_fen(fen),
            code: code(n, "00"),
            remark: String::new(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn clerk_refund_needs_the_manager_by_qr_or_password() {
    let mut ui = Ui::start().await;
    ui.login("02", "pw02").await;
    let order = paid_order(&ui, 41, 2000).await;
    let w = ui.main();
    ui.named(w, Named::F2).await;
    assert_eq!(ui.app.screen(), Screen::Orders);
    assert_eq!(ui.app.orders().selected_order().unwrap().no, order.no);
    ui.letter('r').await;
    let form = ui.app.orders().refund.as_ref().expect("refund dialog");
    assert_eq!(form.amount, "20.00", "default: what is left");
    ui.type_in(w, refund::AMOUNT_FIELD, "", false).await;
    ui.send(Message::Orders(orders::Message::RefundForm(
        refund::Message::Amount("5.00".into()),
    )))
    .await;
    ui.click(w, "确认退款 (Enter)").await;
    ui.assert_sees(w, "扫码授权 (F11)");
    let ticket = ui
        .app
        .orders()
        .refund
        .as_ref()
        .unwrap()
        .approval_ticket()
        .cloned()
        .expect("QR");
    ui.assert_sees(w, &ticket.approve_url);
    ui.tt.approvals.approve(&ticket.token, "01");
    ui.advance(Duration::from_secs(2));
    ui.tick().await;
    let form = ui.app.orders().refund.as_ref().unwrap();
    let refund::Stage::Done(Ok(r)) = &form.stage else {
        panic!("{:?}", form.stage)
    };
    assert_eq!(r.refund.amount, Money::from_fen(500));
    assert_eq!(r.refund.authorized_by.as_ref().unwrap().as_str(), "01");
    ui.assert_sees(w, "退款成功");

    // Again with the manager's password, from the refund screen (R/F3 in plug-in mode).
    ui.click(w, "返回 (Enter)").await;
    ui.named(w, Named::F3).await;
    assert_eq!(ui.app.screen(), Screen::Refund);
    ui.type_in(w, refund::ORDER_FIELD, order.no.as_str(), true)
        .await;
    assert_eq!(ui.app.refund_screen().form.amount, "15.00");
    ui.click(w, "确认退款 (Enter)").await;
    ui.named(w, Named::F12).await;
    ui.type_in(w, refund::MANAGER_FIELD, "01", false).await;
    ui.send(Message::Refund(refund::ScreenMessage::Form(
        refund::Message::ManagerPassword("bad".into()),
    )))
    .await;
    ui.click(w, "授权退款 (Enter)").await;
    let refund::Stage::Authorising(a) = &ui.app.refund_screen().form.stage else {
        panic!()
    };
    assert!(
        a.error.is_some(),
        "a wrong password keeps the panel with the reason"
    );
    ui.send(Message::Refund(refund::ScreenMessage::Form(
        refund::Message::ManagerPassword("pw01".into()),
    )))
    .await;
    ui.click(w, "授权退款 (Enter)").await;
    let refund::Stage::Done(Ok(r)) = &ui.app.refund_screen().form.stage else {
        panic!("{:?}", ui.app.refund_screen().form.stage)
    };
    assert_eq!(r.order.refunded, Money::from_fen(2000));
    // 查看退款: the order list shows this order's refunds.
    ui.click(w, "查看退款").await;
    assert_eq!(ui.app.screen(), Screen::Orders);
    assert_eq!(ui.app.orders().refunds.as_ref().unwrap().total, 2);
}

#[tokio::test]
async fn order_list_filters_remark_copy_print_and_summary() {
    let mut ui = Ui::start().await;
    ui.login("01", "pw01").await;
    for i in 0..14 {
        paid_order(&ui, 50 + i, 100 + i64::from(i)).await;
    }
    let w = ui.main();
    ui.named(w, Named::F2).await;
    let page = ui.app.orders().orders.as_ref().unwrap();
    assert_eq!((page.total, page.items.len()), (14, 12), "paged");
    ui.click(w, "下一页").await;
    assert_eq!(ui.app.orders().orders.as_ref().unwrap().items.len(), 2);
    ui.click(w, "上一页").await;

    // Ctrl+C copies the selected number.
    let selected = ui.app.orders().selected_order().unwrap().no.to_string();
    let mut ctrl_c = KeyPress::char('c');
    ctrl_c.modifiers = iced::keyboard::Modifiers::CTRL;
    ui.key(w, ctrl_c).await;
    assert_eq!(ui.clipboard, std::slice::from_ref(&selected));

    // E edits the remark.
    ui.named(w, Named::ArrowDown).await;
    let second = ui.app.orders().selected_order().unwrap().no.clone();
    ui.letter('e').await;
    ui.type_in(w, orders::REMARK_FIELD, "收银机流水 0042", true)
        .await;
    assert_eq!(
        ui.tt.terminal.query(&second).await.unwrap().remark,
        "收银机流水 0042"
    );
    ui.assert_sees(w, "收银机流水 0042");

    // Filter by number.
    ui.type_in(w, orders::ORDER_NO_FIELD, selected.as_str(), true)
        .await;
    assert_eq!(ui.app.orders().orders.as_ref().unwrap().total, 1);

    // P prints: no printer is configured, so the reason shows inline.
    ui.letter('p').await;
    assert!(
        ui.app
            .orders()
            .error
            .as_deref()
            .unwrap()
            .contains("没有启用小票机")
    );

    // H: the shift summary with its picture; H again prints (no printer: the reason).
    ui.letter('h').await;
    let s = ui.app.summary().expect("summary");
    let l = s.loaded.as_ref().expect("loaded");
    assert_eq!(l.summary.total.pay_count, 14);
    assert!(l.png.as_ref().is_some_and(|p| p.starts_with(b"\x89PNG")));
    ui.assert_sees(w, "统计汇总");
    ui.letter('h').await;
    assert!(
        ui.app
            .summary()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("没有启用小票机")
    );
    // 交接班 from the summary: the shift closes and the login screen shows.
    ui.click(w, "交接班").await;
    assert!(ui.app.summary().unwrap().handover.is_some());
    assert_eq!(ui.app.screen(), Screen::Login);
    assert!(ui.app.ctx().session.is_none());
}

// ───────────────────────────── commodities ─────────────────────────────

#[tokio::test]
async fn commodity_add_edit_delete_and_excel_import_with_row_errors() {
    let mut ui = Ui::start().await;
    ui.set_basic(|b| b.mode = Mode::Full).await;
    ui.login("01", "pw01").await;
    let w = ui.main();
    ui.letter('g').await;
    assert_eq!(ui.app.screen(), Screen::Commodities);
    // N opens 新建商品 like the button; Esc closes it.
    ui.letter('n').await;
    assert!(ui.app.commodities().editor.is_some(), "N: new commodity");
    ui.named(w, Named::Escape).await;
    assert!(ui.app.commodities().editor.is_none());
    ui.click(w, "新建商品 (N)").await;
    for (id, value) in [(commodities::EDITOR_FIELD, "K9")] {
        ui.type_in(w, id, value, false).await;
    }
    use commodities::Field;
    for (f, v) in [
        (Field::Barcode, "6901234567892"),
        (Field::Name, "绿茶"),
        (Field::Category, "饮料"),
        (Field::Price, "3.5"),
        (Field::Stock, "24"),
    ] {
        ui.send(Message::Commodities(commodities::Message::EditorField(
            f,
            v.into(),
        )))
        .await;
    }
    ui.click(w, "保存 (Enter)").await;
    assert!(
        ui.app.commodities().editor.is_none(),
        "{:?}",
        ui.app.commodities().editor
    );
    ui.assert_sees(w, "绿茶");
    ui.letter('e').await;
    ui.send(Message::Commodities(commodities::Message::EditorField(
        Field::Price,
        "4.00".into(),
    )))
    .await;
    ui.click(w, "保存 (Enter)").await;
    assert_eq!(
        ui.tt
            .terminal
            .commodity_by_code("K9")
            .await
            .unwrap()
            .unwrap()
            .price,
        Money::from_fen(400)
    );
    ui.letter('d').await;
    ui.assert_sees(w, "确定删除商品 K9 绿茶？此操作不能撤销。");
    ui.named(w, Named::Enter).await;
    assert!(
        ui.tt
            .terminal
            .commodity_by_code("K9")
            .await
            .unwrap()
            .is_none()
    );

    // Export an inventory from another terminal, add a bad row, import it here.
    let other_dir = tempfile::tempdir().unwrap();
    let other = test_terminal(other_dir.path()).await;
    other
        .terminal
        .login(&ClerkId::parse("01").unwrap(), "pw01")
        .await
        .unwrap();
    for i in 0..5 {
        other
            .terminal
            .save_commodity(&Commodity {
                sku: format!("X{i}"),
                barcode: None,
                name: format!("商品{i}"),
                category: "零食".into(),
                unit: "袋".into(),
                price: Money::from_fen(100 + i),
                stock: 3,
            })
            .await
            .unwrap();
    }
    let xlsx = other_dir.path().join("inventory.xlsx");
    other.terminal.export_inventory(&xlsx).await.unwrap();
    ui.click(w, "导入商品").await;
    ui.send(Message::Commodities(commodities::Message::ImportPath(
        xlsx.display().to_string(),
    )))
    .await;
    ui.click(w, "开始导入").await;
    let d = ui.app.commodities().import.as_ref().unwrap();
    let report = d.report.as_ref().expect("report");
    assert_eq!((report.rows, report.imported), (5, 5));
    assert_eq!(d.progress, Some((5, 5)));
    ui.assert_sees(w, "读取 5 行，导入 5 种，0 行有错误");
    ui.named(w, Named::Escape).await;
    assert_eq!(ui.app.commodities().page.as_ref().unwrap().total, 5);

    // A missing file is reported in the dialog.
    ui.click(w, "导入商品").await;
    ui.send(Message::Commodities(commodities::Message::ImportPath(
        "/nonexistent/x.xlsx".into(),
    )))
    .await;
    ui.click(w, "开始导入").await;
    assert!(
        ui.app
            .commodities()
            .import
            .as_ref()
            .unwrap()
            .error
            .is_some()
    );
    ui.named(w, Named::Escape).await;

    // Search by category, and inventory export.
    ui.send(Message::Commodities(commodities::Message::SearchBy(
        commodities::SearchBy::Category,
    )))
    .await;
    ui.type_in(w, commodities::SEARCH_FIELD, "零食", true).await;
    assert_eq!(ui.app.commodities().page.as_ref().unwrap().total, 5);
    let out = ui._dir.path().join("库存.xlsx");
    ui.click(w, "导出库存").await;
    ui.send(Message::Commodities(commodities::Message::ExportPath(
        out.display().to_string(),
    )))
    .await;
    ui.click(w, "导出").await;
    assert!(out.exists());
    let _ = CommodityQuery::default();
}

// ───────────────────────────── configuration ─────────────────────────────

#[tokio::test]
async fn configuration_pages_save_through_the_terminal() {
    let mut ui = Ui::start().await;
    ui.login("01", "pw01").await;
    let w = ui.main();
    // 基础配置 (D/F4 in plug-in mode).
    ui.named(w, Named::F4).await;
    assert_eq!(ui.app.screen(), Screen::Basic);
    ui.click(w, "支持触屏").await;
    ui.click(w, "抓取流水号（存为备注）").await;
    ui.send(Message::Basic(cashier::screen::basic::Message::AutoPay(
        cashier::screen::basic::AutoPay(Some(3)),
    )))
    .await;
    ui.send(Message::Basic(cashier::screen::basic::Message::ResultSecs(
        cashier::screen::basic::Secs(5),
    )))
    .await;
    ui.click(w, "保存配置 (Enter)").await;
    assert_eq!(ui.app.basic().error, None);
    let b = ui.tt.terminal.setting::<BasicSettings>().await.unwrap();
    assert!(b.touch && b.capture_serial);
    assert_eq!((b.auto_pay_secs, b.result_display_secs), (Some(3), 5));
    assert!(ui.app.ctx().basic.touch, "in force at once");
    ui.click(w, "软件更新 (U)").await;
    ui.assert_sees(w, "当前版本 0.1.0。本安装未配置更新服务器，无法在线检查或下载更新；请向服务商索取新版本安装包。");
    ui.named(w, Named::Escape).await;
    assert!(ui.app.updates().dialog.is_none(), "Esc closes the dialog");

    // A clerk may not configure: the terminal's refusal shows inline.
    // 打印机配置 (Y): width 80, two copies, a file device; the preview follows.
    ui.letter('y').await;
    assert_eq!(ui.app.screen(), Screen::Printer);
    ui.tick().await;
    use cashier::screen::printer;
    ui.send(Message::Printer(printer::Message::Width(
        printer::Width::Mm80,
    )))
    .await;
    ui.send(Message::Printer(printer::Message::Text(
        printer::Field::Copies,
        "2".into(),
    )))
    .await;
    ui.send(Message::Printer(printer::Message::Conn(
        printer::Conn::Device,
    )))
    .await;
    let out = ui._dir.path().join("receipt.bin");
    ui.send(Message::Printer(printer::Message::Text(
        printer::Field::Path,
        out.display().to_string(),
    )))
    .await;
    ui.click(w, "启用小票机（支付和退款完成后打印）").await;
    ui.click(w, "测试打印").await;
    assert!(
        out.metadata().is_ok_and(|m| m.len() > 100),
        "test page printed to the device file"
    );
    ui.click(w, "保存配置 (Enter)").await;
    let p = ui.tt.terminal.setting::<PrinterSettings>().await.unwrap();
    assert_eq!(
        (p.enabled, p.copies, p.width),
        (true, 2, cloudpos_terminal::PaperWidth::Mm80)
    );
    assert_eq!(p.device, format!("file:{}", out.display()));

    // 快捷键设置 (S): record Ctrl+Shift+K for the payment window.
    ui.letter('s').await;
    assert_eq!(ui.app.screen(), Screen::Hotkeys);
    // 1 records the first hotkey shown (the button says so: 录制 (1)).
    ui.assert_sees(w, "录制 (1)");
    ui.key(w, KeyPress::char('1')).await;
    ui.assert_sees(w, "请按下组合键…（Esc 取消）");
    let mut k = KeyPress::char('k');
    k.modifiers = iced::keyboard::Modifiers::CTRL | iced::keyboard::Modifiers::SHIFT;
    ui.key(w, k).await;
    ui.assert_sees(w, "Ctrl+Shift+K");
    ui.send(Message::Hotkeys(
        cashier::screen::hotkeys::Message::Sequence(
            cashier::screen::hotkeys::Moment::After,
            cashier::screen::hotkeys::Slot::Default,
            "F12, Ctrl+Enter".into(),
        ),
    ))
    .await;
    ui.click(w, "保存 (Enter)").await;
    let keys = ui.tt.terminal.setting::<KeySettings>().await.unwrap();
    assert_eq!(keys.payment_window.chord.to_string(), "Ctrl+Shift+K");
    assert_eq!(keys.after_payment.default.to_string(), "F12, Ctrl+Enter");

    // The proxy is stored; the clerk 02 may not change the configuration.
    ui.letter('d').await;
    ui.send(Message::Basic(cashier::screen::basic::Message::ProxyUrl(
        "http://10.1.2.3:3128".into(),
    )))
    .await;
    ui.click(w, "保存配置 (Enter)").await;
    assert_eq!(
        ui.tt
            .terminal
            .setting::<NetworkSettings>()
            .await
            .unwrap()
            .proxy_url
            .as_deref(),
        Some("http://10.1.2.3:3128")
    );
    ui.tt
        .terminal
        .login(&ClerkId::parse("02").unwrap(), "pw02")
        .await
        .unwrap();
    ui.tick().await;
    ui.click(w, "保存配置 (Enter)").await;
    assert!(
        ui.app.basic().error.as_deref().unwrap().contains("无权限"),
        "{:?}",
        ui.app.basic().error
    );
}

#[tokio::test]
async fn region_overlay_stores_the_dragged_rectangle() {
    let mut ui = Ui::start().await;
    ui.login("01", "pw01").await;
    let w = ui.main();
    ui.named(w, Named::F4).await;
    ui.click(w, "确定金额位置").await;
    use cashier::screen::region;
    for m in [
        region::Message::Moved(iced::Point::new(100.0, 200.0)),
        region::Message::Pressed,
        region::Message::Moved(iced::Point::new(260.0, 240.0)),
        region::Message::Released,
    ] {
        ui.send(Message::Region(m)).await;
    }
    let r = ui
        .tt
        .terminal
        .setting::<BasicSettings>()
        .await
        .unwrap()
        .amount_region
        .expect("stored");
    assert_eq!(
        (r.x, r.y, r.width, r.height, r.scale_percent),
        (100, 200, 160, 40, 100)
    );
    // Right-click leaves without a change.
    ui.send(Message::Device(DeviceEvent::Hotkey(
        HotkeyAction::AmountRegion,
    )))
    .await;
    ui.send(Message::Region(region::Message::Cancel)).await;
    assert_eq!(
        ui.tt
            .terminal
            .setting::<BasicSettings>()
            .await
            .unwrap()
            .amount_region,
        Some(r)
    );
}

// ───────────────────────────── halt, recovery, navigation ─────────────────────────────

#[tokio::test]
async fn halt_banner_on_every_screen_blocks_payment_until_an_admin_clears_it() {
    let mut ui = Ui::start().await;
    ui.login("02", "pw02").await;
    ui.tt
        .terminal
        .halt("amount mismatch on order X", vec![])
        .await
        .unwrap();
    ui.send(Message::Terminal(TerminalEvent::Halted(
        "amount mismatch on order X".into(),
    )))
    .await;
    let w = ui.main();
    ui.assert_sees(w, "管理员解除");
    ui.send(hotkey()).await;
    let pw = ui.pay_window();
    ui.assert_sees(pw, "已停止收款和退款");
    assert!(
        ui.sim(pw)
            .find(iced::widget::Id::new(payment::CODE_FIELD))
            .is_err(),
        "no code field"
    );
    ui.named(pw, Named::Escape).await;
    ui.click(w, "管理员解除").await;
    ui.send(Message::Halt(cashier::app::HaltMessage::Admin("09".into())))
        .await;
    ui.send(Message::Halt(cashier::app::HaltMessage::Password(
        "pw09".into(),
    )))
    .await;
    ui.click(w, "解除停止").await;
    assert!(ui.app.ctx().halt.is_none());
}

#[tokio::test]
async fn first_screen_lists_payments_left_open_by_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let now = tt.terminal.now();
    let mut order = Order::new(
        NewOrder {
            no: OrderNo::parse("sz0100dev1x000009").unwrap(),
            method: PaymentMethod::Wallet(Wallet::WeChat),
            amount: Money::from_fen(4200),
            code_masked: Some("1345********00".into()),
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            clerk_id: ClerkId::parse("02").unwrap(),
            shift_id: None,
            body: "x".into(),
            remark: String::new(),
        },
        now,
    );
    order.submit(now).unwrap();
    tt.store.insert_order(&order).await.unwrap();
    let mut ui = Ui::start_on(tt, dir).await;
    assert_eq!(ui.app.pending().len(), 1);
    let w = ui.main();
    ui.assert_sees(w, "上次异常退出时未完成的支付");
    ui.assert_sees(w, "正在确认支付结果…");
    ui.advance(Duration::from_secs(120));
    let report = ui.tt.terminal.recover_pending().await;
    ui.send(Message::Recovered(report)).await;
    ui.assert_sees(w, "知道了");
}

#[tokio::test]
async fn navigation_letters_and_function_keys_follow_the_manual() {
    let mut ui = Ui::start().await;
    ui.login("01", "pw01").await;
    let w = ui.main();
    for (key, screen) in [
        (Named::F2, Screen::Orders),
        (Named::F3, Screen::Refund),
        (Named::F4, Screen::Basic),
        (Named::F5, Screen::Printer),
        (Named::F6, Screen::Hotkeys),
        (Named::F1, Screen::Login),
    ] {
        ui.named(w, key).await;
        assert_eq!(ui.app.screen(), screen, "{key:?} in plug-in mode");
    }
    // On the order list R and P act on the selected order, on the refund screen P prints:
    // the screen's own letters come first, so the tour avoids them.
    for (c, screen) in [
        ('p', Screen::Orders),
        ('d', Screen::Basic),
        ('r', Screen::Refund),
        ('y', Screen::Printer),
        ('s', Screen::Hotkeys),
    ] {
        ui.letter(c).await;
        assert_eq!(ui.app.screen(), screen, "{c} in plug-in mode");
    }
    // A letter typed into a text field is text, not a shortcut.
    let mut typed = KeyPress::char('p');
    typed.captured = true;
    ui.key(w, typed).await;
    assert_eq!(ui.app.screen(), Screen::Hotkeys);

    ui.set_basic(|b| b.mode = Mode::Full).await;
    ui.tt
        .terminal
        .login(&ClerkId::parse("01").unwrap(), "pw01")
        .await
        .unwrap();
    ui.send(Message::Terminal(TerminalEvent::SessionChanged))
        .await;
    for (key, screen) in [
        (Named::F2, Screen::Checkout),
        (Named::F3, Screen::Commodities),
        (Named::F4, Screen::Orders),
        (Named::F5, Screen::Refund),
        (Named::F6, Screen::Basic),
        (Named::F7, Screen::Printer),
        (Named::F8, Screen::Hotkeys),
    ] {
        ui.named(w, key).await;
        assert_eq!(ui.app.screen(), screen, "{key:?} in full mode");
    }
    for (c, screen) in [
        ('c', Screen::Checkout),
        ('g', Screen::Commodities),
        ('l', Screen::Login),
    ] {
        ui.letter(c).await;
        assert_eq!(ui.app.screen(), screen, "{c} in full mode");
    }
    // Ctrl+E hides the main window.
    let mut ctrl_e = KeyPress::char('e');
    ctrl_e.modifiers = iced::keyboard::Modifiers::CTRL;
    ui.key(w, ctrl_e).await;
    assert_eq!(ui.modes.last(), Some(&(w, window::Mode::Hidden)));
    ui.send(Message::Device(DeviceEvent::Hotkey(
        HotkeyAction::MainWindow,
    )))
    .await;
    assert_eq!(ui.modes.last(), Some(&(w, window::Mode::Windowed)));
}

#[test]
fn summary_panel_defaults_to_the_shift_of_the_clerk() {
    let ctx = cashier::ctx::Ctx::default();
    let (panel, event) = summary::SummaryPanel::for_shift(&ctx, std::env::temp_dir());
    assert_eq!(panel.kind, summary::Kind::Shift);
    assert!(matches!(event, summary::Event::Load { to: None, .. }));
}

// ───────────────────────────── window geometry ─────────────────────────────

/// The main window's final geometry: the size it opened with, then each resize and move.
fn main_geometry(ui: &Ui) -> (iced::Point, iced::Size) {
    let w = ui.main();
    let (_, settings) = ui.opened.iter().find(|(id, _)| *id == w).unwrap();
    let mut size = settings.size;
    let mut at = match settings.position {
        window::Position::Specific(p) => p,
        _ => iced::Point::ORIGIN,
    };
    for (id, p) in &ui.placed {
        if *id != w {
            continue;
        }
        match p {
            Placement::Resize(s) => size = *s,
            Placement::Move(p) => at = *p,
            Placement::Maximize(_) => {}
        }
    }
    (at, size)
}

#[tokio::test]
async fn a_geometry_saved_on_a_larger_screen_opens_inside_a_1024_by_768_one() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    cashier::window_geometry::save(
        &tt.terminal,
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
    let monitor = iced::Size::new(1024.0, 768.0);
    let ui = Ui::start_on_monitor(tt, dir, monitor).await;
    let (at, size) = main_geometry(&ui);
    assert!(
        at.x >= 0.0
            && at.y >= 0.0
            && at.x + size.width <= monitor.width
            && at.y + size.height <= monitor.height,
        "the window at {at:?} size {size:?} lies on the 1024×768 monitor"
    );
    assert!(size.width >= 960.0 && size.height >= 600.0, "{size:?}");
    assert!(
        ui.modes.contains(&(ui.main(), window::Mode::Windowed)),
        "shown once placed"
    );
    // The screens lay out for a narrow window.
    assert!(ui.app.ctx().compact());
}

#[tokio::test]
async fn the_main_window_can_start_maximised_or_full_screen() {
    for (how, want) in [
        (cloudpos_terminal::StartWindow::Maximized, "max"),
        (cloudpos_terminal::StartWindow::Fullscreen, "full"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let tt = test_terminal(dir.path()).await;
        let t = &tt.terminal;
        t.login(&ClerkId::parse("09").unwrap(), "pw09")
            .await
            .unwrap();
        let mut b = t.setting::<BasicSettings>().await.unwrap();
        b.start_window = how;
        t.set_setting(&b).await.unwrap();
        t.logout().await.unwrap();
        let ui = Ui::start_on_monitor(tt, dir, iced::Size::new(1366.0, 768.0)).await;
        let w = ui.main();
        match want {
            "max" => assert!(
                ui.placed.contains(&(w, Placement::Maximize(true))),
                "{:?}",
                ui.placed
            ),
            _ => assert!(
                ui.modes.contains(&(w, window::Mode::Fullscreen)),
                "{:?}",
                ui.modes
            ),
        }
    }
}

// ───────────────────────────── scanner-first checkout ─────────────────────────────

#[tokio::test]
async fn a_wallet_code_scanned_into_the_sku_field_pays_the_cart_and_is_never_shown_in_full() {
    let mut ui = Ui::start().await;
    ui.set_basic(|b| b.mode = Mode::Full).await;
    ui.add_commodity("A1", "可乐", 350, 10).await;
    ui.login("02", "pw02").await;
    let w = ui.main();
    ui.type_in(w, checkout::LOOKUP_FIELD, "A1", true).await;
    // The customer's code, scanned where the cursor is (货号/条码), Enter suffix.
    let wallet = code(41, "00");
    ui.type_in(w, checkout::LOOKUP_FIELD, &wallet, true).await;
    let checkout::Stage::Done(Ok(order)) = &ui.app.checkout().stage else {
        panic!(
            "the cart is paid with the scanned code: {:?} (error {:?})",
            ui.app.checkout().stage,
            ui.app.checkout().error
        )
    };
    assert_eq!(
        (order.state, order.amount),
        (OrderState::Paid, Money::from_fen(350))
    );
    assert!(!ui.sees(w, &wallet), "the full code is nowhere on screen");

    // A long number that is no wallet's code is refused, masked.
    let odd = "880000000000001234";
    ui.type_in(w, checkout::LOOKUP_FIELD, odd, true).await;
    let error = ui.app.checkout().error.clone().unwrap_or_else(|| {
        panic!(
            "refused: stage {:?} lookup {:?} code {:?}",
            ui.app.checkout().stage,
            ui.app.checkout().lookup,
            ui.app.checkout().code
        )
    });
    assert!(error.contains("8800**********1234"), "{error}");
    assert!(!error.contains(odd), "{error}");
}

#[tokio::test]
async fn a_wallet_code_scanned_with_an_empty_cart_is_used_only_once_confirmed() {
    let mut ui = Ui::start().await;
    ui.set_basic(|b| b.mode = Mode::Full).await;
    ui.add_commodity("A1", "可乐", 350, 10).await;
    ui.login("02", "pw02").await;
    let w = ui.main();
    // With an empty cart: asked first; Enter takes it for the sale, then the goods.
    let wallet = code(42, "00");
    ui.type_in(w, checkout::LOOKUP_FIELD, &wallet, true).await;
    assert_eq!(
        ui.app.checkout().confirm_code.as_deref(),
        Some(wallet.as_str())
    );
    assert!(
        ui.app.checkout().stage == checkout::Stage::Idle,
        "nothing charged yet"
    );
    ui.assert_sees(w, "1345**********4200");
    assert!(!ui.sees(w, &wallet));
    ui.named(w, Named::Enter).await;
    assert!(ui.app.checkout().confirm_code.is_none());
    ui.type_in(w, checkout::LOOKUP_FIELD, "A1", true).await;
    ui.type_in(w, checkout::CODE_FIELD, "", true).await;
    let checkout::Stage::Done(Ok(order)) = &ui.app.checkout().stage else {
        panic!(
            "{:?} {:?}",
            ui.app.checkout().stage,
            ui.app.checkout().error
        )
    };
    assert_eq!(order.code_masked.as_deref(), Some("1345**********4200"));

    // Esc discards a code scanned by mistake.
    ui.send(Message::Checkout(checkout::Message::NextSale))
        .await;
    ui.type_in(w, checkout::LOOKUP_FIELD, &code(43, "00"), true)
        .await;
    assert!(ui.app.checkout().confirm_code.is_some());
    ui.named(w, Named::Escape).await;
    assert!(ui.app.checkout().confirm_code.is_none());
    assert!(ui.app.checkout().code.is_empty());
}

// ───────────────────────────── hotkeys across a mode change ─────────────────────────────

/// The identities (hashes) of the app's subscriptions.
fn subscription_ids(app: &App) -> Vec<u64> {
    use std::hash::Hasher as _;
    iced::advanced::subscription::into_recipes(app.subscription())
        .iter()
        .map(|r| {
            let mut h = iced::advanced::subscription::Hasher::default();
            r.hash(&mut h);
            h.finish()
        })
        .collect()
}

#[tokio::test]
async fn a_mode_change_switches_the_running_devices_over_instead_of_starting_new_ones() {
    // The app with its devices: one device worker, whose hotkeys must not be registered a
    // second time by a new worker when the mode changes (that worker would find Ctrl+E
    // still held by the first and report the app's own key as taken).
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    let (app, task) = App::with_terminal(
        tt.terminal.clone(),
        Options {
            home: dir.path().to_owned(),
            lock: None,
            devices: true,
            program_dir: None,
        },
    );
    let mut ui = Ui {
        app,
        tt,
        _dir: dir,
        clipboard: Vec::new(),
        opened: Vec::new(),
        closed: Vec::new(),
        modes: Vec::new(),
        monitor: iced::Size::new(1280.0, 800.0),
        placed: Vec::new(),
    };
    ui.run(task).await;
    let without = {
        let dir = tempfile::tempdir().unwrap();
        let tt = test_terminal(dir.path()).await;
        let (app, task) = App::with_terminal(
            tt.terminal.clone(),
            Options {
                home: dir.path().to_owned(),
                lock: None,
                devices: false,
                program_dir: None,
            },
        );
        let mut other = Ui {
            app,
            tt,
            _dir: dir,
            clipboard: Vec::new(),
            opened: Vec::new(),
            closed: Vec::new(),
            modes: Vec::new(),
            monitor: iced::Size::new(1280.0, 800.0),
            placed: Vec::new(),
        };
        other.run(task).await;
        subscription_ids(&other.app)
    };
    let before = subscription_ids(&ui.app);
    let workers: Vec<u64> = before
        .iter()
        .filter(|h| !without.contains(h))
        .copied()
        .collect();
    assert_eq!(
        workers.len(),
        1,
        "one device worker runs: {before:?} / {without:?}"
    );

    // The worker reports ready; then 基础配置 switches to full mode.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    ui.send(Message::DevicesReady(tx)).await;
    assert!(matches!(
        rx.try_recv(),
        Ok(cashier::app::DeviceCommand::PauseWedge(_))
    ));
    ui.set_basic(|b| b.mode = Mode::Full).await;
    ui.send(Message::Terminal(TerminalEvent::SessionChanged))
        .await;
    assert!(!ui.app.ctx().plug_in(), "full mode in force");

    let after = subscription_ids(&ui.app);
    assert!(
        after.contains(&workers[0]),
        "the same device worker keeps running (no second one is started): {after:?}"
    );
    assert_eq!(after.len(), before.len());
    match rx.try_recv() {
        Ok(cashier::app::DeviceCommand::SetMode { plug_in, keys }) => {
            assert!(!plug_in);
            assert_eq!(*keys, ui.app.ctx().keys);
        }
        other => panic!("the worker is told to switch modes in place: {other:?}"),
    }
}

#[tokio::test]
async fn a_payment_whose_result_is_unknown_is_followed_in_amber_to_its_end_never_failed() {
    let ui = Ui::start().await;
    let now = ui.tt.terminal.now();
    let mut p = payment::Payment::new(Some(code(14, "00")), now);
    let ctx = ui.app.ctx().clone();
    let _ = p.update(
        payment::Message::Prepared {
            amount: None,
            serial: None,
        },
        &ctx,
    );
    let _ = p.update(payment::Message::Amount("30".into()), &ctx);
    let Some(payment::Event::Pay(_)) = p.update(payment::Message::Confirm, &ctx) else {
        panic!("pays")
    };
    let mut order = Order::new(
        NewOrder {
            no: OrderNo::parse("sz0100dev1x000002").unwrap(),
            method: PaymentMethod::Wallet(Wallet::WeChat),
            amount: Money::from_fen(3000),
            code_masked: Some(cloudpos_domain::code::mask_code(&code(14, "00"))),
            store_id: "s".into(),
            device_id: "d".into(),
            clerk_id: ClerkId::parse("01").unwrap(),
            shift_id: None,
            body: String::new(),
            remark: String::new(),
        },
        now,
    );
    order.state = OrderState::Unknown;
    // The ledger could not record the answer: not an end, and never "failed".
    let _ = p.update(
        payment::Message::Finished(Err(cloudpos_terminal::TerminalError::ResultUnknown {
            order: Box::new(order.clone()),
            cause: "database or disk is full".into(),
        })),
        &ctx,
    );
    assert!(
        matches!(&p.stage, payment::Stage::Following(o) if o.no == order.no),
        "{:?}",
        p.stage
    );
    assert!(p.in_flight(), "the window stays: the payment is still open");
    assert_eq!(p.error, None, "no red notice: nothing failed");
    assert_eq!(p.unresolved, Some(payment::Unresolved::Unknown));
    {
        let mut sim = iced_test::simulator(p.view(&ctx));
        assert!(sim.find("结果未知，正在查询…").is_ok());
        assert!(sim.find("支付失败").is_err());
        assert!(sim.find("未能收款").is_err());
    }
    // The terminal completes it in the background: paid, and the window ends green.
    order.state = OrderState::Paid;
    let _ = p.update(payment::Message::Update(order.clone()), &ctx);
    assert!(
        matches!(&p.stage, payment::Stage::Done(Ok(o)) if o.state == OrderState::Paid),
        "{:?}",
        p.stage
    );
    assert_eq!(p.unresolved, None);

    // Paid in the cloud, the ledger full: the window says so, with no reverse countdown.
    let mut p = payment::Payment::new(Some(code(15, "00")), now);
    let _ = p.update(
        payment::Message::Prepared {
            amount: None,
            serial: None,
        },
        &ctx,
    );
    let _ = p.update(payment::Message::Amount("30".into()), &ctx);
    let _ = p.update(payment::Message::Confirm, &ctx);
    order.state = OrderState::Submitted;
    let _ = p.update(
        payment::Message::Finished(Err(cloudpos_terminal::TerminalError::PaidNotRecorded {
            order: Box::new(order.clone()),
            cause: "database or disk is full".into(),
        })),
        &ctx,
    );
    assert_eq!(p.unresolved, Some(payment::Unresolved::PaidNotRecorded));
    assert_eq!(p.error, None);
    {
        let mut sim = iced_test::simulator(p.view(&ctx));
        assert!(sim.find("已在云端收款，本地记录稍后补全").is_ok());
        assert!(
            sim.find("已等待 0 秒 · 顾客已付款，可交付商品 · 请勿重复收款")
                .is_ok()
        );
        assert!(sim.find("结果未知，正在查询…").is_err());
    }
}

#[tokio::test]
async fn an_unknown_outcome_in_the_checkout_is_amber_words_never_failed() {
    let mut ui = Ui::start().await;
    ui.set_basic(|b| {
        b.mode = Mode::Full;
        b.checkout_mode = CheckoutMode::TotalAmount;
    })
    .await;
    ui.login("02", "pw02").await;
    let w = ui.main();
    ui.send(Message::Checkout(checkout::Message::Total("30".into())))
        .await;
    let now = ui.tt.terminal.now();
    let mut order = Order::new(
        NewOrder {
            no: OrderNo::parse("sz0100dev1x000003").unwrap(),
            method: PaymentMethod::Wallet(Wallet::WeChat),
            amount: Money::from_fen(3000),
            code_masked: None,
            store_id: "s".into(),
            device_id: "d".into(),
            clerk_id: ClerkId::parse("02").unwrap(),
            shift_id: None,
            body: String::new(),
            remark: String::new(),
        },
        now,
    );
    order.state = OrderState::Unknown;
    ui.send(Message::Checkout(checkout::Message::Finished(Err(
        cloudpos_terminal::TerminalError::ResultUnknown {
            order: Box::new(order),
            cause: "disk I/O error".into(),
        },
    ))))
    .await;
    assert!(ui.app.checkout().in_flight());
    assert_eq!(ui.app.checkout().error, None);
    ui.assert_sees(w, "结果未知，正在查询…");
    assert!(!ui.sees(w, "disk"));
}

// ───────────────────────────── screen reads with a sign, typed amounts ─────────────────────────────

async fn paid_with_remark(ui: &Ui, n: u32, fen: i64, remark: &str) -> Order {
    ui.tt
        .terminal
        .pay(cloudpos_terminal::PayInput {
            amount: Money::from_fen(fen),
            code: code(n, "00"),
            remark: remark.into(),
            body: None,
            timeout: None,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_return_on_the_host_is_never_charged_and_leads_to_the_refund_screen() {
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    // The host POS shows 合计:¥-86.50: a return in progress.
    tt.terminal.set_amount_reader(Some(Arc::new(FakeReader {
        fen: -8650,
        confidence: 990,
    })));
    let mut ui = Ui::start_on(tt, dir).await;
    ui.set_basic(|b| {
        b.auto_pay_secs = Some(0);
        b.capture_serial = true;
    })
    .await;
    ui.login("02", "pw02").await;
    // Two sales of 86.50 earlier; the host's serial number names the second one.
    let _other = paid_with_remark(&ui, 60, 8650, "POS-000099").await;
    let sale = paid_with_remark(&ui, 61, 8650, "POS-000123").await;
    let calls = ui.tt.gateway.count_calls("micro_pay");

    // A scan opens the window: the code is there, but nothing is filled in or armed.
    ui.send(Message::Device(DeviceEvent::Code(ScannedCode {
        text: code(62, "00"),
        origin: CodeOrigin::Wedge,
        at: ui.tt.terminal.now(),
    })))
    .await;
    let pw = ui.pay_window();
    let p = ui.app.payment().unwrap();
    assert_eq!(p.host_return, Some(Money::from_fen(8650)));
    assert_eq!(p.amount, "", "a return is never an amount to charge");
    assert!(p.auto_pay_at.is_none(), "auto-pay disarmed");
    ui.assert_sees(pw, "主机显示退货 ¥86.50");
    ui.assert_sees(pw, "去退款 (Enter)");
    ui.advance(Duration::from_secs(5));
    ui.tick().await;
    assert_eq!(ui.app.payment().unwrap().stage, payment::Stage::Entering);
    assert_eq!(
        ui.tt.gateway.count_calls("micro_pay"),
        calls,
        "nothing sent"
    );

    // Enter: the window closes and the refund screen opens on the sale the serial names,
    // with the returned amount.
    ui.named(pw, Named::Enter).await;
    assert!(ui.app.payment_window().is_none());
    assert_eq!(ui.app.screen(), Screen::Refund);
    let form = &ui.app.refund_screen().form;
    assert_eq!(
        form.order.as_ref().map(|o| o.no.clone()),
        Some(sale.no.clone())
    );
    assert_eq!(form.amount, "86.50");
    let w = ui.main();
    ui.assert_sees(w, "主机显示退货 ¥86.50：已找到原订单，请核对后确认退款");
    assert_eq!(ui.tt.gateway.count_calls("micro_pay"), calls);

    // Without the serial number two sales fit: the refund screen opens empty and asks for
    // the receipt (the button does what Enter does).
    ui.set_basic(|b| b.capture_serial = false).await;
    ui.send(Message::Terminal(TerminalEvent::SessionChanged))
        .await;
    assert!(!ui.app.ctx().basic.capture_serial);
    ui.send(Message::Navigate(Screen::Orders)).await;
    ui.send(hotkey()).await;
    let pw = ui.pay_window();
    ui.click(pw, "去退款 (Enter)").await;
    assert_eq!(ui.app.screen(), Screen::Refund);
    let form = &ui.app.refund_screen().form;
    assert!(form.order.is_none());
    assert_eq!(form.order_no, "");
    ui.assert_sees(w, "主机显示退货 ¥86.50：请扫描原小票条码或输入原订单号");
    // The receipt scanned: the returned amount is proposed, not the whole order.
    let small = paid_with_remark(&ui, 63, 20_000, "").await;
    ui.type_in(w, refund::ORDER_FIELD, small.no.as_str(), true)
        .await;
    assert_eq!(ui.app.refund_screen().form.amount, "86.50");

    // The cashier may still type a sale of their own in the window: full-width digits from
    // a Chinese input method are read as what they say.
    ui.send(Message::Navigate(Screen::Orders)).await;
    ui.send(hotkey()).await;
    let pw = ui.pay_window();
    ui.send(Message::Payment(payment::Message::Amount(
        "１２．５０".into(),
    )))
    .await;
    assert_eq!(ui.app.payment().unwrap().host_return, None);
    ui.type_in(pw, payment::CODE_FIELD, &code(64, "00"), true)
        .await;
    let payment::Stage::Done(Ok(order)) = &ui.app.payment().unwrap().stage else {
        panic!("{:?}", ui.app.payment().unwrap().stage)
    };
    assert_eq!(order.amount, Money::from_fen(1250));
    assert_eq!(ui.tt.gateway.count_calls("micro_pay"), calls + 2);
}

#[test]
fn the_original_sale_of_a_return_is_found_only_when_one_fits() {
    let now = cloudpos_domain::timestamp::Timestamp::from_unix_seconds(1_800_000_000);
    let order = |n: u32, fen: i64, remark: &str, refunded: i64| {
        let mut o = Order::new(
            NewOrder {
                no: OrderNo::parse(&format!("sz0100dev1x{n:06}")).unwrap(),
                method: PaymentMethod::Wallet(Wallet::WeChat),
                amount: Money::from_fen(fen),
                code_masked: None,
                store_id: "s".into(),
                device_id: "d".into(),
                clerk_id: ClerkId::parse("01").unwrap(),
                shift_id: None,
                body: String::new(),
                remark: remark.into(),
            },
            now,
        );
        o.state = OrderState::Paid;
        o.refunded = Money::from_fen(refunded);
        o
    };
    let list = [
        order(1, 8650, "A1", 0),
        order(2, 8650, "A2", 0),
        order(3, 3000, "A3", 0),
        order(4, 10_000, "A4", 9000),
    ];
    let find = |fen: i64, serial: Option<&str>| {
        refund::returned_order(&list, Money::from_fen(fen), serial).map(|o| o.remark)
    };
    assert_eq!(find(8650, Some("A2")).as_deref(), Some("A2"), "by serial");
    assert_eq!(
        find(8650, None),
        None,
        "two of that amount: ask for the receipt"
    );
    assert_eq!(find(3000, None).as_deref(), Some("A3"), "the only one");
    assert_eq!(find(3000, Some("ZZ")).as_deref(), Some("A3"));
    assert_eq!(find(2000, Some("A4")), None, "not that much left to refund");
    assert_eq!(find(1000, Some("A4")).as_deref(), Some("A4"));
}

#[tokio::test]
async fn every_amount_field_reads_what_a_chinese_input_method_types() {
    let mut ui = Ui::start().await;
    ui.set_basic(|b| {
        b.mode = Mode::Full;
        b.checkout_mode = CheckoutMode::TotalAmount;
    })
    .await;
    ui.login("01", "pw01").await;
    let w = ui.main();
    // 总额 checkout: １２．５０ is 12.50.
    ui.send(Message::Checkout(checkout::Message::Total(
        "１２．５０".into(),
    )))
    .await;
    assert_eq!(ui.app.checkout().total, "１２．５０", "kept as typed");
    ui.type_in(w, checkout::CODE_FIELD, &code(70, "00"), true)
        .await;
    let checkout::Stage::Done(Ok(o)) = &ui.app.checkout().stage else {
        panic!("{:?}", ui.app.checkout().stage)
    };
    assert_eq!(o.amount, Money::from_fen(1250));

    // Cash: 实收 ２０。 5 with the ideographic full stop for the point.
    ui.send(Message::Checkout(checkout::Message::NextSale))
        .await;
    ui.send(Message::Checkout(checkout::Message::Total("８".into())))
        .await;
    ui.send(Message::Checkout(checkout::Message::OpenCash))
        .await;
    ui.send(Message::Checkout(checkout::Message::CashTendered(
        "２０。5".into(),
    )))
    .await;
    ui.assert_sees(w, "¥12.50");
    ui.send(Message::Checkout(checkout::Message::CashConfirm))
        .await;
    let checkout::Stage::Done(Ok(o)) = &ui.app.checkout().stage else {
        panic!("{:?}", ui.app.checkout().stage)
    };
    assert_eq!(
        (o.amount, o.method),
        (Money::from_fen(800), PaymentMethod::Cash)
    );

    // Refund: ５ yuan of the first sale.
    let paid = ui
        .tt
        .terminal
        .orders(&cloudpos_domain::ports::OrderFilter {
            method: Some(PaymentMethod::Wallet(Wallet::WeChat)),
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    let sale = paid
        .iter()
        .find(|o| o.amount == Money::from_fen(1250))
        .unwrap();
    ui.send(Message::Navigate(Screen::Refund)).await;
    ui.type_in(w, refund::ORDER_FIELD, sale.no.as_str(), true)
        .await;
    ui.send(Message::Refund(refund::ScreenMessage::Form(
        refund::Message::Amount("５．００".into()),
    )))
    .await;
    ui.send(Message::Refund(refund::ScreenMessage::Form(
        refund::Message::Submit,
    )))
    .await;
    let refund::Stage::Done(Ok(r)) = &ui.app.refund_screen().form.stage else {
        panic!("{:?}", ui.app.refund_screen().form.stage)
    };
    assert_eq!(r.refund.amount, Money::from_fen(500));

    // A commodity's price: １０．９０.
    ui.send(Message::Navigate(Screen::Commodities)).await;
    ui.letter('n').await;
    use commodities::{Field, Message as C};
    for (f, v) in [
        (Field::Sku, "Z9"),
        (Field::Name, "全角价格"),
        (Field::Price, "１０．９０"),
        (Field::Stock, "3"),
    ] {
        ui.send(Message::Commodities(C::EditorField(f, v.into())))
            .await;
    }
    ui.send(Message::Commodities(C::EditorSave)).await;
    let saved = ui.tt.store.by_sku("Z9").await.unwrap().unwrap();
    assert_eq!(saved.price, Money::from_fen(1090));
}

// ───────────────────────────── one-code pay printing ─────────────────────────────

#[tokio::test]
async fn one_code_printing_settings_are_saved_and_a_paid_qr_code_payment_is_shown() {
    use cashier::screen::one_code;
    use cloudpos_domain::one_code::OneCodePayment;
    use cloudpos_terminal::{OneCodeFrom, OneCodeSettings};
    let mut ui = Ui::start().await;
    ui.login("01", "pw01").await;
    let w = ui.main();
    // Q, or the button under the numbered pages.
    ui.letter('q').await;
    assert_eq!(ui.app.screen(), Screen::OneCode);
    ui.assert_sees(w, "一码支付打印");
    assert!(ui.app.one_code().loaded);
    assert_eq!(ui.app.one_code().settings, OneCodeSettings::default());
    assert_eq!(ui.app.one_code().interval, "5");
    ui.assert_sees(w, "还没有一码支付收款。");
    // On, from the last one printed, every 3 s, two codes; saved with Enter.
    ui.click(
        w,
        "开启一码支付打印（顾客扫店铺收款码付款后自动打印小票并播报）",
    )
    .await;
    ui.send(Message::OneCode(one_code::Message::From(OneCodeFrom::Last)))
        .await;
    ui.send(Message::OneCode(one_code::Message::Interval("3".into())))
        .await;
    ui.send(Message::OneCode(one_code::Message::Codes(
        "QR001，door".into(),
    )))
    .await;
    ui.named(w, Named::Enter).await;
    assert_eq!(ui.app.one_code().error, None);
    ui.assert_sees(w, "一码支付打印设置已保存");
    let stored = ui.tt.terminal.setting::<OneCodeSettings>().await.unwrap();
    assert_eq!(
        stored,
        OneCodeSettings {
            enabled: true,
            from: OneCodeFrom::Last,
            interval_secs: 3,
            qr_codes: vec!["QR001".into(), "door".into()],
        }
    );
    // A bad interval is refused on the page, in words, and nothing is stored.
    ui.send(Message::OneCode(one_code::Message::Interval("0".into())))
        .await;
    ui.named(w, Named::Enter).await;
    let e = ui.app.one_code().error.clone().unwrap();
    assert!(e.contains("1 到 3600"), "{e}");
    assert_eq!(
        ui.tt.terminal.setting::<OneCodeSettings>().await.unwrap(),
        stored
    );
    // A payment the watcher handled is told on the status line.
    ui.send(Message::Terminal(TerminalEvent::OneCodePaid(
        OneCodePayment {
            out_trade_no: "sz01qr1".into(),
            amount: Money::from_fen(1234),
            wallet: Some(Wallet::Alipay),
            paid_at: ui.tt.terminal.now(),
            qr_code: "QR001".into(),
            transaction_id: None,
        },
    )))
    .await;
    ui.assert_sees(w, "一码支付收款：支付宝 12.34 元");
}

// ───────────────────────────── voice ─────────────────────────────

#[tokio::test]
async fn voice_settings_are_saved_and_read_back_and_a_clerk_may_not_change_them() {
    use cashier::screen::voice;
    use cloudpos_domain::announcement::VoiceEvent;
    let mut ui = Ui::start().await;
    ui.login("01", "pw01").await;
    let w = ui.main();
    // V, or the button under the numbered pages.
    ui.letter('v').await;
    assert_eq!(ui.app.screen(), Screen::Voice);
    ui.assert_sees(w, "语音播报");
    assert!(ui.app.voice().loaded);
    assert_eq!(
        ui.app.voice().settings,
        cloudpos_terminal::VoiceSettings::default(),
        "nothing stored yet: the defaults"
    );
    ui.assert_sees(w, "开启语音播报（收款到账时播报金额）");
    ui.assert_sees(w, "试听");
    // Cash on, 支付失败 off, volume 40, saved with Enter.
    ui.click(w, "现金收款").await;
    ui.click(w, "支付失败").await;
    ui.send(Message::Voice(voice::Message::Volume(40))).await;
    ui.assert_sees(w, " 40 %");
    ui.named(w, Named::Enter).await;
    assert_eq!(ui.app.voice().error, None);
    ui.assert_sees(w, "语音播报设置已保存");
    let stored = ui.tt.terminal.setting::<VoiceSettings>().await.unwrap();
    assert_eq!(stored.volume, 40);
    assert!(stored.enabled);
    assert!(stored.speaks(VoiceEvent::Cash));
    assert!(!stored.speaks(VoiceEvent::Failed));
    assert!(stored.speaks(VoiceEvent::Paid));

    // Read back: another page, then V again shows what is stored.
    ui.letter('p').await;
    ui.send(Message::Navigate(Screen::Voice)).await;
    assert_eq!(ui.app.voice().settings, stored);
    // Off altogether.
    ui.click(w, "开启语音播报（收款到账时播报金额）").await;
    ui.click(w, "保存配置 (Enter)").await;
    assert!(
        !ui.tt
            .terminal
            .setting::<VoiceSettings>()
            .await
            .unwrap()
            .enabled
    );

    // 试听 plays the marked sample at the slider's volume, even with the voice off.
    let mut page = ui.app.voice().clone();
    let _ = page.update(voice::Message::Volume(70));
    let Some(voice::Event::Try {
        announcement,
        volume,
    }) = page.update(voice::Message::Try)
    else {
        panic!("试听 plays")
    };
    assert!(announcement.is_sample());
    assert_eq!(announcement.event(), VoiceEvent::Paid);
    assert_eq!(volume, 70);
    assert!(page.playing);
    // A till without a sound device says so in words.
    let _ = page.update(voice::Message::Tried(Err(
        cloudpos_terminal::TerminalError::Invalid("voice: no default output device".into()),
    )));
    assert!(!page.playing);
    let e = page.error.clone().unwrap();
    assert!(e.contains("没有可用的声音设备"), "{e}");

    // A clerk sees the page but the terminal refuses the change, in words.
    ui.tt
        .terminal
        .login(&ClerkId::parse("02").unwrap(), "pw02")
        .await
        .unwrap();
    ui.send(Message::Terminal(TerminalEvent::SessionChanged))
        .await;
    ui.send(Message::Navigate(Screen::Voice)).await;
    ui.assert_sees(w, "只有店长及以上可以修改配置");
    ui.send(Message::Voice(voice::Message::Volume(100))).await;
    ui.named(w, Named::Enter).await;
    assert!(
        ui.app.voice().error.as_deref().unwrap().contains("无权限"),
        "{:?}",
        ui.app.voice().error
    );
    assert_eq!(
        ui.tt
            .terminal
            .setting::<VoiceSettings>()
            .await
            .unwrap()
            .volume,
        40
    );
}

// ───────────────────────────── software update ─────────────────────────────

/// A feed signed by a throwaway key offering the next version, served over HTTP; a program
/// folder with this version. Returns (feed URL, public key, program folder, next version).
#[cfg(unix)]
async fn served_feed(root: &std::path::Path) -> (String, String, std::path::PathBuf, String) {
    use cloudpos_update::sign::{self, Release};
    use cloudpos_update::testkit::{release_tar_gz, serve_dir, shell_program, version_program};
    use std::os::unix::fs::PermissionsExt as _;
    let current = cloudpos_terminal::CURRENT_VERSION;
    let mut next = cloudpos_update::semver::Version::parse(current).unwrap();
    next.minor += 1;
    next.patch = 0;
    let next = next.to_string();
    let program = root.join("program");
    std::fs::create_dir_all(&program).unwrap();
    for (name, bytes) in [
        ("cloudpos", version_program(current)),
        ("cashier", shell_program("echo old cashier")),
    ] {
        std::fs::write(program.join(name), bytes).unwrap();
        std::fs::set_permissions(program.join(name), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let build = root.join("build");
    std::fs::create_dir_all(&build).unwrap();
    let artifact = release_tar_gz(&build, &next, &version_program(&next));
    let pair = sign::generate_keypair(None, "test").unwrap();
    sign::write_feed(
        &root.join("www/feed"),
        &artifact,
        &Release {
            version: next.clone(),
            notes: "修复：打印机断线重连\n新增：语音播报".into(),
            min_version: None,
            target: Some(cloudpos_update::this_target()),
        },
        &sign::open_secret_key(&pair.secret, None).unwrap(),
    )
    .unwrap();
    let url = format!("{}/feed/", serve_dir(root.join("www")).await);
    (url, pair.public, program, next)
}

#[cfg(unix)]
#[tokio::test]
async fn an_update_is_announced_and_only_an_admin_installs_it_never_while_a_payment_is_open() {
    use cloudpos_update::testkit::{snapshot, version_program};
    let root = tempfile::tempdir().unwrap();
    let (feed, key, program, next) = served_feed(root.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let tt = test_terminal(dir.path()).await;
    tt.terminal
        .login(&ClerkId::parse("09").unwrap(), "pw09")
        .await
        .unwrap();
    tt.terminal
        .set_update_settings(Some(&feed), Some(&key))
        .await
        .unwrap();
    tt.terminal.logout().await.unwrap();
    let mut ui = Ui::start_on(tt, dir).await;
    // The app installs into the scratch program folder.
    let (app, task) = App::with_terminal(
        ui.tt.terminal.clone(),
        Options {
            home: ui._dir.path().to_owned(),
            lock: None,
            devices: false,
            program_dir: Some(program.clone()),
        },
    );
    ui.app = app;
    ui.run(task).await;
    let before = snapshot(&program);

    // The feed is asked in the background: the header says so, logged in or not.
    ui.tick().await;
    let w = ui.main();
    let badge = format!("有新版本 {next}");
    ui.assert_sees(w, &badge);
    assert!(
        ui.app.updates().dialog.is_none(),
        "nothing pops up by itself"
    );

    // A store manager sees the notes but may not install.
    ui.login("01", "pw01").await;
    ui.click(w, &badge).await;
    assert_eq!(ui.app.dialog_title(), Some("软件更新"));
    ui.assert_sees(w, cloudpos_terminal::CURRENT_VERSION);
    ui.assert_sees(w, &next);
    ui.assert_sees(w, "修复：打印机断线重连\n新增：语音播报");
    ui.assert_sees(w, "只有商户管理员或服务商管理员可以安装更新（当前：店长）");
    ui.click(w, "安装更新").await;
    assert!(!ui.app.updates().dialog.as_ref().unwrap().applying);
    ui.send(Message::Update(cashier::screen::update::Message::Apply))
        .await;
    assert_eq!(snapshot(&program), before, "nothing installed");
    ui.named(w, Named::Escape).await;
    assert!(ui.app.updates().dialog.is_none());
    // U opens it from any screen.
    ui.letter('u').await;
    assert_eq!(ui.app.dialog_title(), Some("软件更新"));
    ui.named(w, Named::Escape).await;

    // The admin, with a payment open: the terminal refuses, and the dialog shows its words.
    let now = ui.tt.terminal.now();
    let mut open = Order::new(
        NewOrder {
            no: OrderNo::parse("sz0100dev1x000077").unwrap(),
            method: PaymentMethod::Wallet(Wallet::WeChat),
            amount: Money::from_fen(1234),
            code_masked: None,
            store_id: "shop1".into(),
            device_id: "dev1".into(),
            clerk_id: ClerkId::parse("02").unwrap(),
            shift_id: None,
            body: "b".into(),
            remark: String::new(),
        },
        now,
    );
    open.submit(now).unwrap();
    ui.tt.store.insert_order(&open).await.unwrap();
    ui.send(Message::Logout).await;
    ui.send(Message::Login(login::Message::ClerkId(String::new())))
        .await;
    ui.login("09", "pw09").await;
    ui.named(w, Named::F4).await;
    ui.click(w, "软件更新 (U)").await;
    ui.assert_sees(w, "管理员密码（确认安装）");
    use cashier::screen::update::PASSWORD_FIELD;
    ui.type_in(w, PASSWORD_FIELD, "wrong", true).await;
    let error = |ui: &Ui| {
        ui.app
            .updates()
            .dialog
            .as_ref()
            .and_then(|d| d.error.clone())
            .unwrap_or_default()
    };
    assert!(error(&ui).contains("密码错误"), "{}", error(&ui));
    ui.type_in(w, PASSWORD_FIELD, "pw09", true).await;
    assert_eq!(
        error(&ui),
        "有未完成的收款或退款，请先处理完毕再更新",
        "the terminal's refusal, in words"
    );
    ui.assert_sees(w, "有未完成的收款或退款，请先处理完毕再更新");
    assert_eq!(snapshot(&program), before, "nothing installed");

    // The payment ends: the update installs; the running version is told to restart.
    let mut done = open.clone();
    done.mark_failed("test", now).unwrap();
    ui.tt.store.update_order(&done, open.state).await.unwrap();
    ui.type_in(w, PASSWORD_FIELD, "pw09", false).await;
    ui.click(w, "安装更新").await;
    let d = ui.app.updates().dialog.as_ref().unwrap();
    assert_eq!(d.error, None);
    assert_eq!(d.applied.as_ref().map(|a| a.to.clone()), Some(next.clone()));
    ui.assert_sees(
        w,
        &format!(
            "已安装 {next}（原版本 {}）：请退出并重新打开收银台，新版本才会运行",
            cloudpos_terminal::CURRENT_VERSION
        ),
    );
    assert_eq!(
        std::fs::read(program.join("cloudpos")).unwrap(),
        version_program(&next)
    );
}

// ─────────────────────── the merchant's code table ───────────────────────

/// The app over a merchant whose code table adds `88` × 18 digits as Alipay's (the
/// published table knows no `88`): the test terminal rebuilt on its ports with that table.
async fn merchant_with_88_as_alipay() -> Ui {
    let mut codes = CodeTable::default();
    codes.rules.insert(
        0,
        CodeRule {
            scheme: CodeScheme::Wallet(Wallet::Alipay),
            prefixes: vec!["88".into()],
            min_len: 18,
            max_len: 18,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let mut tt = test_terminal(dir.path()).await;
    tt.terminal = Terminal::new(
        tt.ports.clone(),
        TerminalConfig {
            codes,
            ..TerminalConfig::default()
        },
    );
    Ui::start_on(tt, dir).await
}

/// The payment window takes a code by the merchant's configured table, the way the
/// terminal charges it, never by a table of the GUI's own: the scan opens it knowing the
/// code is Alipay's, and that wallet's keys are the ones pressed in the host POS after.
#[tokio::test]
async fn the_payment_window_classifies_codes_by_the_merchants_table() {
    let mut ui = merchant_with_88_as_alipay().await;
    ui.login("02", "pw02").await;
    ui.send(Message::Device(DeviceEvent::Code(ScannedCode {
        text: "880000000000004100".into(),
        origin: CodeOrigin::Wedge,
        at: ui.tt.terminal.now(),
    })))
    .await;
    let pw = ui.pay_window();
    assert_eq!(ui.app.payment().unwrap().wallet, Some(Wallet::Alipay));
    ui.type_in(pw, payment::AMOUNT_FIELD, "6.60", true).await;
    let p = ui.app.payment().unwrap();
    let payment::Stage::Done(Ok(order)) = &p.stage else {
        panic!("paid: {:?} (error {:?})", p.stage, p.error);
    };
    assert_eq!(order.state, OrderState::Paid);
    assert_eq!(order.method, PaymentMethod::Wallet(Wallet::Alipay));
    assert_eq!(
        p.wallet,
        Some(Wallet::Alipay),
        "the wallet for the host's keys"
    );
    ui.named(pw, Named::Enter).await;
    assert!(ui.app.payment_window().is_none());
}

/// The checkout takes a code scanned into 货号/条码 by the merchant's configured table: with
/// it a `88` code pays the cart as Alipay's (with the published table it is refused, see
/// `a_wallet_code_scanned_into_the_sku_field_pays_the_cart_and_is_never_shown_in_full`).
#[tokio::test]
async fn the_checkout_classifies_codes_by_the_merchants_table() {
    let mut ui = merchant_with_88_as_alipay().await;
    ui.set_basic(|b| b.mode = Mode::Full).await;
    ui.add_commodity("A1", "可乐", 350, 10).await;
    ui.login("02", "pw02").await;
    let w = ui.main();
    ui.type_in(w, checkout::LOOKUP_FIELD, "A1", true).await;
    ui.type_in(w, checkout::LOOKUP_FIELD, "880000000000004200", true)
        .await;
    let checkout::Stage::Done(Ok(order)) = &ui.app.checkout().stage else {
        panic!(
            "the cart is paid with the scanned code: {:?} (error {:?})",
            ui.app.checkout().stage,
            ui.app.checkout().error
        )
    };
    assert_eq!(
        (order.state, order.amount, order.method),
        (
            OrderState::Paid,
            Money::from_fen(350),
            PaymentMethod::Wallet(Wallet::Alipay)
        )
    );
}
