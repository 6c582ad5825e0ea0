//! The application: windows (main, payment, region overlay, touch button), the screens,
//! keyboard shortcuts, and every call into the terminal.
//!
//! Screens never see the [`Terminal`]: they return events, and this module turns each event
//! into one terminal call run on iced's tokio executor, whose result goes back to the screen
//! as a message. That keeps the GUI thin (every action is a terminal method) and lets the
//! headless tests drive the same code.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cloudpos_domain::clerk::Permission;
use cloudpos_domain::order::{Order, OrderStatus};
use cloudpos_domain::ports::{OrderFilter, RefundFilter};
use cloudpos_terminal::{
    DeviceEvent, DeviceProblem, EmbeddedSandbox, Event as TerminalEvent, HandoverReport,
    HotkeyAction, KeySettings, RecoveryReport, StartWindow, Terminal, TerminalError,
};
use iced::futures::SinkExt;
use iced::widget::{Space, button, column, container, row, text, text_input};
use iced::{Alignment, Element, Length, Point, Size, Subscription, Task, window};

use crate::ctx::Ctx;
use crate::focus::KeyRouter;
use crate::geometry;
use crate::i18n::{self, error_text, state_text, tr, trs};
use crate::instance_lock::InstanceLock;
use crate::keys::{KeyPress, Shortcut, chord_text, shortcut};
use crate::screen::refund::{self, RefundScreen};
use crate::screen::region::{self, Region, Target};
use crate::screen::summary::{self, SummaryPanel};
use crate::screen::{
    Screen, basic, checkout, clerks, commodities, hotkeys, login, orders, payment, printer, update,
    voice,
};
use crate::style;
use crate::widgets;
use crate::window_geometry::{self, WindowState};

/// F9: 现金收款 on the checkout (F1–F8 are the screens).
const CASH_KEY: u8 = 9;
/// F11 / F12: a refund's manager approves by QR code / by password.
const QR_AUTH_KEY: u8 = 11;
const PASSWORD_AUTH_KEY: u8 = 12;

/// What the binary passes in.
#[derive(Debug, Clone)]
pub struct Options {
    /// The data directory.
    pub home: PathBuf,
    /// The single-instance lock (checked for "come to the front" requests).
    pub lock: Option<Arc<InstanceLock>>,
    /// Start the devices (global hotkeys, scanner listener, scanner box).
    pub devices: bool,
    /// The folder a software update is installed into; `None`: the running program's own
    /// (tests point it at a scratch folder).
    pub program_dir: Option<PathBuf>,
}

/// A command to the device worker.
#[derive(Debug, Clone)]
pub enum DeviceCommand {
    /// Pause the wedge-scanner detector (our window has the focus).
    PauseWedge(bool),
    /// Register new hotkeys (for the current mode).
    ApplyKeys(Box<KeySettings>),
    /// The mode changed: swap the hotkeys and the scanner listener over, in place.
    SetMode {
        /// Plug-in mode.
        plug_in: bool,
        /// The hotkeys in force.
        keys: Box<KeySettings>,
    },
}

/// The terminal and the sandbox it runs on, once open.
#[derive(Debug, Clone)]
pub struct Started {
    /// The terminal.
    pub terminal: Terminal,
    /// The embedded sandbox, kept alive with the app.
    pub sandbox: Option<Arc<EmbeddedSandbox>>,
    /// What finishing an earlier software update at start had to say (it rolled one back).
    pub update_note: Option<String>,
}

/// Everything the screens read, loaded from the terminal in one go.
#[derive(Debug, Clone)]
pub struct Loaded {
    ctx: Ctx,
    geometry: Option<WindowState>,
}

/// Where a refund form lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundOrigin {
    /// The order list's dialog.
    Orders,
    /// The refund screen.
    Screen,
}

/// The halt-clearing dialog (admin ID and password).
#[derive(Debug, Clone, Default)]
pub struct HaltClear {
    admin: String,
    password: String,
    error: Option<String>,
}

/// Messages of the halt dialog.
#[derive(Debug, Clone)]
pub enum HaltMessage {
    /// Open the dialog.
    Open,
    /// Admin typed.
    Admin(String),
    /// Password typed.
    Password(String),
    /// 解除.
    Submit,
    /// The result.
    Done(Result<(), TerminalError>),
    /// Close.
    Close,
}

/// Every message of the app.
#[derive(Debug, Clone)]
pub enum Message {
    /// The terminal opened (or not).
    Started(Result<Started, String>),
    /// The shared state was (re)loaded.
    Loaded(Result<Box<Loaded>, TerminalError>),
    /// A window event.
    Window(window::Id, window::Event),
    /// A key press in one of our windows.
    Key(window::Id, KeyPress),
    /// Time passed.
    Tick,
    /// The terminal published an event.
    Terminal(TerminalEvent),
    /// A device event.
    Device(DeviceEvent),
    /// The device worker is running.
    DevicesReady(tokio::sync::mpsc::UnboundedSender<DeviceCommand>),
    /// Go to a screen.
    Navigate(Screen),
    /// Go to the mode's home screen (full: checkout, plug-in: orders).
    Home,
    /// A window we asked for is open.
    Opened(window::Id),
    /// The size of the monitor a window opened on (unknown on some platforms).
    Monitor(window::Id, Option<Size>),
    /// Show or hide the main window.
    ToggleMain,
    /// Open the payment window (touch button).
    OpenPayment,
    /// 注销.
    Logout,
    /// 汇总 (H).
    ShowSummary,
    /// 退出.
    Quit,
    /// Payments left open by a crash.
    Pending(Result<Vec<Order>, TerminalError>),
    /// Start-up recovery finished.
    Recovered(Result<RecoveryReport, TerminalError>),
    /// Dismiss the recovery panel.
    DismissPending,
    /// The payment window is prepared (host keys pressed, amount captured).
    PaymentPrepared {
        /// Host keys problem, if any.
        keys: Option<String>,
        /// The amount reading.
        amount: Option<Result<cloudpos_domain::ports::AmountReading, TerminalError>>,
        /// The serial reading.
        serial: Option<Result<Option<String>, TerminalError>>,
    },
    /// A background call finished; an error is shown in the status bar.
    Done(Result<(), TerminalError>),
    /// The region overlay's scale factor.
    RegionScale(f32),
    /// The region was saved.
    RegionSaved(
        Target,
        Result<Option<cloudpos_domain::ports::ScreenRegion>, TerminalError>,
    ),
    /// The handover finished.
    HandedOver(Result<HandoverReport, TerminalError>),
    /// Login screen.
    Login(login::Message),
    /// Payment window.
    Payment(payment::Message),
    /// Checkout.
    Checkout(checkout::Message),
    /// Commodities.
    Commodities(commodities::Message),
    /// Orders.
    Orders(orders::Message),
    /// Refund screen.
    Refund(refund::ScreenMessage),
    /// Summary panel.
    Summary(summary::Message),
    /// Basic settings.
    Basic(basic::Message),
    /// Printer settings.
    Printer(printer::Message),
    /// Hotkey settings.
    Hotkeys(hotkeys::Message),
    /// Clerk management.
    Clerks(clerks::Message),
    /// Voice settings.
    Voice(voice::Message),
    /// Software update.
    Update(update::Message),
    /// Region overlay.
    Region(region::Message),
    /// Halt dialog.
    Halt(HaltMessage),
}

/// Our windows.
#[derive(Debug, Default, Clone)]
struct Windows {
    main: Option<window::Id>,
    main_visible: bool,
    /// The main window has been sized for its monitor (geometry changes before are ours).
    main_placed: bool,
    /// The monitor the main window opened on.
    monitor: Option<Size>,
    payment: Option<window::Id>,
    region: Option<window::Id>,
    touch: Option<window::Id>,
    focused: Vec<window::Id>,
}

/// The cashier app.
pub struct App {
    options: Options,
    terminal: Option<Terminal>,
    sandbox: Option<Arc<EmbeddedSandbox>>,
    start_error: Option<String>,
    ctx: Ctx,
    windows: Windows,
    screen: Screen,
    login: login::Login,
    checkout: checkout::Checkout,
    commodities: commodities::Commodities,
    orders: orders::Orders,
    refund: RefundScreen,
    basic: basic::Basic,
    printer: printer::Printer,
    hotkeys: hotkeys::Hotkeys,
    clerks: clerks::Clerks,
    voice: voice::Voice,
    updates: update::Updates,
    payment: Option<payment::Payment>,
    region: Option<Region>,
    summary: Option<SummaryPanel>,
    halt_clear: Option<HaltClear>,
    pending: Vec<Order>,
    recovery: Option<String>,
    devices: Option<tokio::sync::mpsc::UnboundedSender<DeviceCommand>>,
    status: Option<(String, iced::Color)>,
    geometry: Option<WindowState>,
    geometry_dirty: bool,
    orders_dirty: bool,
    reconciler: Option<tokio::task::JoinHandle<()>>,
    /// Counts updates, so the key routers know when the app has answered a key.
    epoch: u64,
    /// A configuration page is loading its settings.
    page_loading: bool,
    /// Clipboard writes (kept for the status line and tests).
    pub copied: Vec<String>,
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(r) = self.reconciler.take() {
            r.abort();
        }
    }
}

fn default_dir(home: &std::path::Path) -> PathBuf {
    std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" })
        .map_or_else(|| home.to_owned(), PathBuf::from)
}

impl App {
    /// The app before the terminal is open (the binary's boot).
    pub fn new(options: Options) -> (App, Task<Message>) {
        let home = options.home.clone();
        let app = App::blank(options);
        let task = Task::perform(
            async move {
                // Finish what an earlier software update left (an interrupted install is
                // rolled back) before anything runs on the program's files, as the CLI does.
                let update_note =
                    tokio::task::spawn_blocking(cloudpos_terminal::finish_update_at_start)
                        .await
                        .ok()
                        .flatten();
                match Terminal::open_or_demo(&home).await {
                    Ok((terminal, sandbox)) => Ok(Started {
                        terminal,
                        sandbox: sandbox.map(Arc::new),
                        update_note,
                    }),
                    Err(e) => {
                        tracing::error!("the terminal could not open: {e}");
                        Err(error_text(&e))
                    }
                }
            },
            Message::Started,
        );
        (app, task)
    }

    /// The app over a terminal already open (tests): no reconciler, and devices only when
    /// `options.devices` asks for them.
    pub fn with_terminal(terminal: Terminal, options: Options) -> (App, Task<Message>) {
        let mut app = App::blank(options);
        let task = app.started(
            Started {
                terminal,
                sandbox: None,
                update_note: None,
            },
            false,
        );
        (app, task)
    }

    fn blank(options: Options) -> App {
        let dir = default_dir(&options.home);
        App {
            terminal: None,
            sandbox: None,
            start_error: None,
            ctx: Ctx::default(),
            windows: Windows::default(),
            screen: Screen::Login,
            login: login::Login::default(),
            checkout: checkout::Checkout::new(cloudpos_domain::catalog::CheckoutMode::Full),
            commodities: commodities::Commodities::new(dir),
            orders: orders::Orders::default(),
            refund: RefundScreen::default(),
            basic: basic::Basic::new(cloudpos_terminal::BasicSettings::default()),
            printer: printer::Printer::new(&cloudpos_terminal::PrinterSettings::default()),
            hotkeys: hotkeys::Hotkeys::new(KeySettings::default()),
            clerks: clerks::Clerks::default(),
            voice: voice::Voice::default(),
            updates: update::Updates::default(),
            payment: None,
            region: None,
            summary: None,
            halt_clear: None,
            pending: Vec::new(),
            recovery: None,
            devices: None,
            status: None,
            geometry: None,
            geometry_dirty: false,
            orders_dirty: false,
            reconciler: None,
            epoch: 0,
            page_loading: false,
            copied: Vec::new(),
            options,
        }
    }

    // ───────────────────────── accessors (tests) ─────────────────────────

    /// The shared state screens read.
    #[must_use]
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// The main screen shown.
    #[must_use]
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The main window, once open.
    #[must_use]
    pub fn main_window(&self) -> Option<window::Id> {
        self.windows.main
    }

    /// The payment window, when open.
    #[must_use]
    pub fn payment_window(&self) -> Option<window::Id> {
        self.windows.payment
    }

    /// The payment window's state, when open.
    #[must_use]
    pub fn payment(&self) -> Option<&payment::Payment> {
        self.payment.as_ref()
    }

    /// The login screen.
    #[must_use]
    pub fn login(&self) -> &login::Login {
        &self.login
    }

    /// The checkout screen.
    #[must_use]
    pub fn checkout(&self) -> &checkout::Checkout {
        &self.checkout
    }

    /// The commodities screen.
    #[must_use]
    pub fn commodities(&self) -> &commodities::Commodities {
        &self.commodities
    }

    /// The orders screen.
    #[must_use]
    pub fn orders(&self) -> &orders::Orders {
        &self.orders
    }

    /// The refund screen.
    #[must_use]
    pub fn refund_screen(&self) -> &RefundScreen {
        &self.refund
    }

    /// The summary panel, when shown.
    #[must_use]
    pub fn summary(&self) -> Option<&SummaryPanel> {
        self.summary.as_ref()
    }

    /// The basic settings page.
    #[must_use]
    pub fn basic(&self) -> &basic::Basic {
        &self.basic
    }

    /// The printer page.
    #[must_use]
    pub fn printer(&self) -> &printer::Printer {
        &self.printer
    }

    /// The hotkeys page.
    #[must_use]
    pub fn hotkeys(&self) -> &hotkeys::Hotkeys {
        &self.hotkeys
    }

    /// The clerks screen.
    #[must_use]
    pub fn clerks(&self) -> &clerks::Clerks {
        &self.clerks
    }

    /// The voice settings page.
    #[must_use]
    pub fn voice(&self) -> &voice::Voice {
        &self.voice
    }

    /// The software update state (the feed's last answer, the dialog).
    #[must_use]
    pub fn updates(&self) -> &update::Updates {
        &self.updates
    }

    /// The status line.
    #[must_use]
    pub fn status(&self) -> Option<&str> {
        self.status.as_ref().map(|(s, _)| s.as_str())
    }

    /// Payments being resolved after a crash.
    #[must_use]
    pub fn pending(&self) -> &[Order] {
        &self.pending
    }

    // ───────────────────────── start-up ─────────────────────────

    fn started(&mut self, started: Started, background: bool) -> Task<Message> {
        let t = started.terminal.clone();
        self.terminal = Some(started.terminal);
        self.sandbox = started.sandbox;
        if started.update_note.is_some() {
            // An interrupted install rolled back, or leftovers that could not be removed;
            // the detail is in the log (finish_update_at_start wrote it).
            self.notify(
                tr(
                    "上次软件更新没有正常完成，启动时已处理（详情见日志）",
                    "The last software update did not finish normally; it was dealt with at start (see the log)",
                ),
                style::PENDING,
            );
        }
        let mut tasks = vec![self.load_ctx(true)];
        let t2 = t.clone();
        tasks.push(Task::perform(
            async move {
                t2.orders(&OrderFilter {
                    status: Some(OrderStatus::Unknown),
                    page_size: 50,
                    ..OrderFilter::default()
                })
                .await
                .map(|p| p.items)
            },
            Message::Pending,
        ));
        if background {
            let t3 = t.clone();
            tasks.push(Task::perform(
                async move { t3.recover_pending().await },
                Message::Recovered,
            ));
            self.reconciler = Some(t.spawn_reconciler());
            // 语音播报: this process speaks (tests and scripts never touch a sound device).
            let t4 = t.clone();
            tasks.push(Task::perform(
                async move { t4.start_voice().await },
                Message::Done,
            ));
        }
        Task::batch(tasks)
    }

    fn load_ctx(&self, with_geometry: bool) -> Task<Message> {
        let Some(t) = self.terminal.clone() else {
            return Task::none();
        };
        Task::perform(
            async move {
                let merchant = t.merchant().await?;
                let (session, clerk) = match t.current_clerk().await {
                    Ok((s, c)) => (Some(s), Some(c)),
                    Err(TerminalError::NotLoggedIn) => (None, None),
                    Err(e) => return Err(e),
                };
                let ctx = Ctx {
                    merchant,
                    session,
                    clerk,
                    halt: t.halt_state().await?,
                    basic: t.setting::<cloudpos_terminal::BasicSettings>().await?,
                    keys: t.setting::<KeySettings>().await?,
                    now: t.now(),
                    offset_seconds: t.offset_seconds(),
                    pay_timeout: t.policy().pay_timeout,
                    window: geometry::MAIN_DEFAULT,
                    codes: Some(t.code_table()),
                };
                let geometry = if with_geometry {
                    window_geometry::saved(&t, "main").await.ok().flatten()
                } else {
                    None
                };
                Ok(Box::new(Loaded { ctx, geometry }))
            },
            Message::Loaded,
        )
    }

    /// The main window opens hidden; once it knows its monitor it is sized and placed to fit
    /// it (`place_main`), then shown.
    fn main_settings(&self) -> window::Settings {
        let mut s = window::Settings {
            size: geometry::MAIN_DEFAULT,
            visible: false,
            exit_on_close_request: false,
            ..window::Settings::default()
        };
        if let Some(g) = self.geometry {
            s.size = Size::new(g.width, g.height);
            s.position = window::Position::Specific(Point::new(g.x, g.y));
        } else {
            s.position = window::Position::Centered;
        }
        #[cfg(target_os = "linux")]
        {
            s.platform_specific.application_id = "cloudpos-cashier".to_owned();
        }
        s
    }

    fn open_main(&mut self) -> Task<Message> {
        if let Some(id) = self.windows.main {
            self.windows.main_visible = true;
            return Task::batch([
                window::set_mode(id, window::Mode::Windowed),
                window::gain_focus(id),
            ]);
        }
        let (id, open) = window::open(self.main_settings());
        self.windows.main = Some(id);
        self.windows.main_visible = true;
        self.windows.main_placed = false;
        open.map(Message::Opened)
    }

    /// Sizes and places the main window for its monitor (`geometry.rs`), shows it as the
    /// basic settings ask (normal, maximised or full screen), and gives it the keyboard.
    fn place_main(&mut self, id: window::Id, monitor: Option<Size>) -> Task<Message> {
        if self.windows.main != Some(id) {
            return Task::none();
        }
        let mut tasks = Vec::new();
        if let Some(m) = monitor {
            self.windows.monitor = Some(m);
            let g = geometry::main_window(self.geometry, m);
            self.ctx.window = Size::new(g.width, g.height);
            tasks.push(window::set_min_size(id, Some(geometry::main_min(m))));
            tasks.push(window::resize(id, Size::new(g.width, g.height)));
            tasks.push(window::move_to(id, Point::new(g.x, g.y)));
            if self.geometry.is_some_and(|old| old != g) {
                self.geometry = Some(g);
                self.geometry_dirty = true;
            }
        }
        tasks.push(window::set_mode(id, window::Mode::Windowed));
        match self.ctx.basic.start_window {
            StartWindow::Normal => {}
            StartWindow::Maximized => tasks.push(window::maximize(id, true)),
            StartWindow::Fullscreen => tasks.push(window::set_mode(id, window::Mode::Fullscreen)),
        }
        self.windows.main_placed = true;
        tasks.push(window::gain_focus(id));
        if let Some(f) = self.screen_field() {
            tasks.push(Self::focus(f));
        }
        Task::batch(tasks)
    }

    /// The field the focus belongs in on the current screen.
    fn screen_field(&self) -> Option<&'static str> {
        match self.screen {
            Screen::Login => Some(login::CLERK_FIELD),
            Screen::Checkout => Some(self.checkout.first_field()),
            Screen::Refund => Some(refund::ORDER_FIELD),
            Screen::Commodities
            | Screen::Clerks
            | Screen::Orders
            | Screen::Basic
            | Screen::Printer
            | Screen::Hotkeys
            | Screen::Voice => None,
        }
    }

    /// A window is open: give it the keyboard and put the focus where the next keystroke
    /// belongs (the widget tree exists only now).
    fn opened(&mut self, id: window::Id) -> Task<Message> {
        if self.windows.payment == Some(id) {
            let field = self
                .payment
                .as_ref()
                .map_or(payment::CODE_FIELD, |p| p.field);
            return Task::batch([window::gain_focus(id), Self::focus(field)]);
        }
        if self.windows.main == Some(id) {
            return window::monitor_size(id).map(move |size| Message::Monitor(id, size));
        }
        if self.windows.region == Some(id) {
            return window::gain_focus(id);
        }
        Task::none()
    }

    fn terminal(&self) -> Option<Terminal> {
        self.terminal.clone()
    }

    fn perform<T, F>(
        &self,
        call: impl FnOnce(Terminal) -> F,
        to_message: impl Fn(T) -> Message + Send + 'static,
    ) -> Task<Message>
    where
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        match self.terminal() {
            Some(t) => Task::perform(call(t), to_message),
            None => Task::none(),
        }
    }

    /// Puts the focus in field `id` with its text selected, as a desktop dialog does: what
    /// is typed next replaces a prefilled value (a refund's amount, an edited name).
    fn focus(id: &'static str) -> Task<Message> {
        iced::widget::operation::focus(id).chain(iced::widget::operation::select_all(id))
    }

    /// Puts the focus in field `id`, the cursor after its text (nothing selected).
    fn focus_keep(id: &'static str) -> Task<Message> {
        iced::widget::operation::focus(id)
    }

    /// Takes the focus from every field (focusing an id no field has unfocuses the rest).
    fn unfocus() -> Task<Message> {
        iced::widget::operation::focus("cashier-no-field")
    }

    fn notify(&mut self, text: impl Into<String>, color: iced::Color) {
        self.status = Some((text.into(), color));
    }

    // ───────────────────────── update ─────────────────────────

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Task<Message> {
        // Every view built after this update differs in epoch from those before: the key
        // routers replay the keys they held once the app has answered.
        self.epoch = self.epoch.wrapping_add(1);
        match message {
            Message::Started(Ok(s)) => self.started(s, true),
            Message::Started(Err(e)) => {
                self.start_error = Some(e);
                self.open_main()
            }
            Message::Loaded(Ok(loaded)) => self.loaded(*loaded),
            Message::Loaded(Err(e)) => {
                self.notify(error_text(&e), style::FAILED);
                if self.windows.main.is_none() {
                    self.open_main()
                } else {
                    Task::none()
                }
            }
            Message::Window(id, event) => self.window_event(id, &event),
            Message::Key(id, press) => self.key(id, &press),
            Message::Tick => self.tick(),
            Message::Terminal(e) => self.terminal_event(e),
            Message::Device(e) => self.device_event(e),
            Message::DevicesReady(tx) => {
                let focused = !self.windows.focused.is_empty();
                let _ = tx.send(DeviceCommand::PauseWedge(focused));
                self.devices = Some(tx);
                Task::none()
            }
            Message::Navigate(s) => self.navigate(s),
            Message::Home => self.navigate(self.home_screen()),
            Message::Opened(id) => self.opened(id),
            Message::Monitor(id, size) => self.place_main(id, size),
            Message::ToggleMain => self.toggle_main(),
            Message::OpenPayment => self.open_payment(None),
            Message::Logout => self
                .perform(|t| async move { t.logout().await }, Message::Done)
                .chain(self.load_ctx(false))
                .chain(Task::done(Message::Navigate(Screen::Login))),
            Message::ShowSummary => self.show_summary(),
            Message::Quit => self.quit(),
            Message::Pending(Ok(list)) => {
                // Only those still open matter; recovery may already have closed some.
                for o in list {
                    if !self.pending.iter().any(|p| p.no == o.no) {
                        self.pending.push(o);
                    }
                }
                Task::none()
            }
            Message::Pending(Err(e)) => {
                self.notify(error_text(&e), style::FAILED);
                Task::none()
            }
            Message::Recovered(r) => {
                match r {
                    Ok(report) if report.orders_found + report.refunds_found > 0 => {
                        self.recovery = Some(trs(
                            format!(
                                "上次未完成的支付已处理：{} 笔成功，{} 笔失败，{} 笔撤单，{} 笔仍在处理；退款 {} 笔（{} 笔处理中）",
                                report.paid,
                                report.failed,
                                report.reversed,
                                report.still_open,
                                report.refunds_found,
                                report.refunds_open
                            ),
                            format!(
                                "Unfinished payments resolved: {} paid, {} failed, {} reversed, {} still open; {} refunds ({} open)",
                                report.paid,
                                report.failed,
                                report.reversed,
                                report.still_open,
                                report.refunds_found,
                                report.refunds_open
                            ),
                        ));
                    }
                    Ok(_) => {}
                    Err(e) => self.notify(
                        trs(
                            format!("恢复未完成的支付失败：{}", error_text(&e)),
                            format!("Recovery failed: {}", error_text(&e)),
                        ),
                        style::FAILED,
                    ),
                }
                Task::none()
            }
            Message::DismissPending => {
                self.pending.retain(|o| !o.state.is_final());
                self.recovery = None;
                Task::none()
            }
            Message::PaymentPrepared {
                keys,
                amount,
                serial,
            } => self.payment_prepared(keys, amount, serial),
            Message::Done(Ok(())) => Task::none(),
            Message::Done(Err(e)) => {
                self.notify(error_text(&e), style::FAILED);
                Task::none()
            }
            Message::RegionScale(s) => {
                if let Some(r) = &mut self.region {
                    let _ = r.update(region::Message::Scale(s));
                }
                Task::none()
            }
            Message::RegionSaved(target, result) => match result {
                Ok(region) => {
                    let _ = self
                        .basic
                        .update(basic::Message::RegionPicked(target, region));
                    if region.is_some() {
                        self.notify(tr("位置已保存", "Region saved"), style::PAID);
                    }
                    self.load_ctx(false)
                }
                Err(e) => {
                    self.notify(error_text(&e), style::FAILED);
                    Task::none()
                }
            },
            Message::HandedOver(r) => match r {
                Ok(report) => {
                    self.summary = Some(SummaryPanel::for_handover(
                        report,
                        &self.ctx,
                        self.commodities.default_dir.clone(),
                    ));
                    self.screen = Screen::Login;
                    self.login.reset();
                    Task::batch([
                        self.load_ctx(false),
                        self.start_qr_if_needed(),
                        Self::unfocus(),
                    ])
                }
                Err(e) => {
                    if let Some(s) = &mut self.summary {
                        s.error = Some(error_text(&e));
                    }
                    Task::none()
                }
            },
            Message::Login(m) => {
                let e = self.login.update(m);
                self.login_event(e)
            }
            Message::Payment(m) => {
                let Some(p) = &mut self.payment else {
                    return Task::none();
                };
                let e = p.update(m, &self.ctx);
                self.payment_event(e)
            }
            Message::Checkout(m) => {
                let e = self.checkout.update(m, &self.ctx);
                self.checkout_event(e)
            }
            Message::Commodities(m) => {
                let e = self.commodities.update(m);
                self.commodities_event(e)
            }
            Message::Orders(m) => {
                let e = self.orders.update(m, &self.ctx);
                self.orders_event(e)
            }
            Message::Refund(m) => {
                let e = self.refund.update(m);
                self.refund_event(e, RefundOrigin::Screen)
            }
            Message::Summary(m) => {
                let Some(s) = &mut self.summary else {
                    return Task::none();
                };
                let e = s.update(m, &self.ctx);
                self.summary_event(e)
            }
            Message::Basic(m) => {
                if matches!(m, basic::Message::Loaded(_)) {
                    self.page_loading = false;
                }
                let e = self.basic.update(m);
                self.basic_event(e)
            }
            Message::Printer(m) => {
                if matches!(m, printer::Message::Loaded(_)) {
                    self.page_loading = false;
                }
                let e = self.printer.update(m);
                self.printer_event(e)
            }
            Message::Hotkeys(m) => {
                if matches!(m, hotkeys::Message::Loaded(_)) {
                    self.page_loading = false;
                }
                let e = self.hotkeys.update(m);
                self.hotkeys_event(e)
            }
            Message::Clerks(m) => {
                let e = self.clerks.update(m, &self.ctx);
                self.clerks_event(e)
            }
            Message::Update(m) => {
                let e = self.updates.update(m, &self.ctx);
                self.update_event(e)
            }
            Message::Voice(m) => {
                if matches!(m, voice::Message::Loaded(_)) {
                    self.page_loading = false;
                }
                let e = self.voice.update(m);
                self.voice_event(e)
            }
            Message::Region(m) => {
                let Some(r) = &mut self.region else {
                    return Task::none();
                };
                match r.update(m) {
                    Some(region::Event::Done(target, region)) => self.region_done(target, region),
                    None => Task::none(),
                }
            }
            Message::Halt(m) => self.halt_message(m),
        }
    }

    fn loaded(&mut self, loaded: Loaded) -> Task<Message> {
        let first = self.windows.main.is_none();
        let was_logged_in = self.ctx.session.is_some();
        let old_mode = self.ctx.basic.mode;
        let old_checkout = self.ctx.basic.checkout_mode;
        let mut ctx = loaded.ctx;
        if first {
            // A session survives a restart only when its clerk chose auto-login.
            self.geometry = loaded.geometry;
        }
        i18n::set_language(ctx.basic.language);
        ctx.window = self.ctx.window;
        std::mem::swap(&mut self.ctx, &mut ctx);
        let mut tasks = Vec::new();
        if first {
            self.checkout = checkout::Checkout::new(self.ctx.basic.checkout_mode);
            tasks.push(self.open_main());
            tasks.push(self.first_screen());
        } else if self.ctx.session.is_none() && was_logged_in {
            self.screen = Screen::Login;
            tasks.push(self.start_qr_if_needed());
        }
        if old_mode != self.ctx.basic.mode
            && !Screen::navigation(self.ctx.plug_in())
                .iter()
                .any(|(s, _, _)| *s == self.screen)
        {
            tasks.push(self.navigate(Screen::Orders));
        }
        if !first
            && old_mode != self.ctx.basic.mode
            && let Some(tx) = &self.devices
        {
            // The one device worker switches over in place: it releases the old mode's
            // hotkeys before taking the new one's (a second worker would find its own
            // keys still taken).
            let _ = tx.send(DeviceCommand::SetMode {
                plug_in: self.ctx.plug_in(),
                keys: Box::new(self.ctx.keys.clone()),
            });
        }
        if !first && old_checkout != self.ctx.basic.checkout_mode && !self.checkout.in_flight() {
            self.checkout.mode = self.ctx.basic.checkout_mode;
        }
        tasks.push(self.sync_touch_window());
        Task::batch(tasks)
    }

    /// At start-up: resume an auto-login session, else the login screen.
    fn first_screen(&mut self) -> Task<Message> {
        let Some(t) = self.terminal() else {
            return Task::none();
        };
        if self.ctx.session.is_some() {
            Task::perform(async move { t.resume_auto_login().await }, |r| match r {
                Ok(Some(_)) => Message::Home,
                _ => Message::Navigate(Screen::Login),
            })
        } else {
            self.navigate(Screen::Login)
        }
    }

    fn home_screen(&self) -> Screen {
        if self.ctx.plug_in() {
            Screen::Orders
        } else {
            Screen::Checkout
        }
    }

    fn start_qr_if_needed(&self) -> Task<Message> {
        if self.login.needs_qr(self.ctx.now) {
            self.perform(
                |t| async move { t.start_qr_login().await },
                |r| Message::Login(login::Message::QrTicket(r)),
            )
        } else {
            Task::none()
        }
    }

    /// Goes to a screen. While a dialog without a field of its own is over the window (a
    /// summary, the halt), the screen behind does not take the focus: Enter and Esc then
    /// reach the dialog instead of a field it hides.
    fn navigate(&mut self, screen: Screen) -> Task<Message> {
        let task = self.go_to(screen);
        if self.summary.is_some() || self.halt_clear.is_some() || self.updates.dialog.is_some() {
            task.chain(Self::unfocus())
        } else {
            task
        }
    }

    fn go_to(&mut self, screen: Screen) -> Task<Message> {
        let mut screen = screen;
        if screen == Screen::Checkout && self.ctx.plug_in() {
            screen = Screen::Orders;
        }
        if screen != Screen::Login && self.ctx.session.is_none() {
            self.screen = Screen::Login;
            if self.terminal.is_some() {
                self.notify(tr("请先登录", "Log in first"), style::PENDING);
            }
            return Task::batch([self.start_qr_if_needed(), Self::focus(login::CLERK_FIELD)]);
        }
        if screen == Screen::Clerks && !self.ctx.may(Permission::ManageClerks) {
            self.notify(
                tr(
                    "无权限：只有店长及以上可以管理店员",
                    "Only a store manager or above manages clerks",
                ),
                style::PENDING,
            );
            return Task::none();
        }
        if screen == Screen::Login && self.ctx.session.is_some() && self.screen != Screen::Login {
            // L while logged in: the login screen for a re-login (hand-over).
            self.login.reset();
        }
        self.screen = screen;
        self.status = None;
        // A configuration page fills its fields from the terminal: keys typed before that
        // wait for it, or the loaded values would overwrite them.
        self.page_loading = matches!(
            screen,
            Screen::Basic | Screen::Printer | Screen::Hotkeys | Screen::Voice
        );
        match screen {
            Screen::Login => {
                self.login.reset();
                Task::batch([self.start_qr_if_needed(), Self::focus(login::CLERK_FIELD)])
            }
            Screen::Checkout => {
                let mode = self.checkout.mode;
                let e = self
                    .checkout
                    .update(checkout::Message::Mode(checkout::Style(mode)), &self.ctx);
                self.checkout_event(e)
            }
            Screen::Commodities => {
                // No field takes the focus: the list's letters (N 新建, E 编辑, D 删除) work at
                // once; Tab reaches the search field.
                let load = self.commodities.load();
                Task::batch([self.commodities_event(Some(load)), Self::unfocus()])
            }
            Screen::Orders => {
                let e = self.orders.reload(&self.ctx);
                self.orders_event(e)
            }
            Screen::Refund => {
                Task::batch([self.load_recent_refunds(), Self::focus(refund::ORDER_FIELD)])
            }
            Screen::Basic => self.perform(
                |t| async move {
                    Ok((
                        t.setting::<cloudpos_terminal::BasicSettings>().await?,
                        t.setting::<cloudpos_terminal::NetworkSettings>().await?,
                        t.has_proxy_password().await?,
                    ))
                },
                |r| Message::Basic(basic::Message::Loaded(r)),
            ),
            Screen::Printer => Task::batch([
                self.perform(
                    |t| async move { t.setting::<cloudpos_terminal::PrinterSettings>().await },
                    |r| Message::Printer(printer::Message::Loaded(r)),
                ),
                Task::perform(
                    async {
                        tokio::task::spawn_blocking(cloudpos_terminal::list_ports)
                            .await
                            .unwrap_or_default()
                    },
                    |p| Message::Printer(printer::Message::Ports(p)),
                ),
            ]),
            Screen::Hotkeys => self.perform(
                |t| async move { t.setting::<KeySettings>().await },
                |r| Message::Hotkeys(hotkeys::Message::Loaded(r)),
            ),
            Screen::Clerks => {
                let e = self.clerks.reload();
                Task::batch([self.clerks_event(e), Self::unfocus()])
            }
            Screen::Voice => Task::batch([
                self.perform(
                    |t| async move { t.setting::<cloudpos_terminal::VoiceSettings>().await },
                    |r| Message::Voice(voice::Message::Loaded(r)),
                ),
                Self::unfocus(),
            ]),
        }
    }

    fn load_recent_refunds(&self) -> Task<Message> {
        self.perform(
            |t| async move {
                t.refunds(&RefundFilter {
                    page_size: 20,
                    ..RefundFilter::default()
                })
                .await
                .map(|p| p.items)
            },
            |r| Message::Refund(refund::ScreenMessage::Recent(r)),
        )
    }

    fn toggle_main(&mut self) -> Task<Message> {
        match self.windows.main {
            Some(id) if self.windows.main_visible => {
                self.windows.main_visible = false;
                window::set_mode(id, window::Mode::Hidden)
            }
            _ => self.open_main(),
        }
    }

    fn any_in_flight(&self) -> bool {
        self.payment
            .as_ref()
            .is_some_and(payment::Payment::in_flight)
            || self.checkout.in_flight()
    }

    fn quit(&mut self) -> Task<Message> {
        if self.any_in_flight() {
            self.notify(
                tr(
                    "支付进行中，请等待结果后再退出",
                    "A payment is on its way: wait for its result before quitting",
                ),
                style::PENDING,
            );
            return Task::none();
        }
        let save = self.save_geometry();
        save.chain(iced::exit())
    }

    fn save_geometry(&mut self) -> Task<Message> {
        self.geometry_dirty = false;
        match (self.geometry, self.terminal()) {
            (Some(g), Some(t)) => Task::perform(
                async move { window_geometry::save(&t, "main", &g).await },
                Message::Done,
            ),
            _ => Task::none(),
        }
    }

    fn window_event(&mut self, id: window::Id, event: &window::Event) -> Task<Message> {
        let main = self.windows.main == Some(id);
        match *event {
            window::Event::Moved(_) | window::Event::Resized(_)
                if main && (!self.windows.main_placed || !self.saves_geometry()) =>
            {
                if let window::Event::Resized(s) = *event {
                    self.ctx.window = s;
                }
                Task::none()
            }
            window::Event::Moved(p) if main => {
                let g = self.geometry.get_or_insert(WindowState {
                    x: p.x,
                    y: p.y,
                    width: 1180.0,
                    height: 760.0,
                });
                g.x = p.x;
                g.y = p.y;
                self.geometry_dirty = true;
                Task::none()
            }
            window::Event::Resized(s) if main => {
                self.ctx.window = s;
                let g = self.geometry.get_or_insert(WindowState {
                    x: 0.0,
                    y: 0.0,
                    width: s.width,
                    height: s.height,
                });
                g.width = s.width;
                g.height = s.height;
                self.geometry_dirty = true;
                Task::none()
            }
            window::Event::Focused => {
                if !self.windows.focused.contains(&id) {
                    self.windows.focused.push(id);
                }
                self.pause_wedge()
            }
            window::Event::Unfocused => {
                self.windows.focused.retain(|w| *w != id);
                self.pause_wedge()
            }
            window::Event::CloseRequested => {
                if main {
                    if self.ctx.plug_in() && self.terminal.is_some() && self.start_error.is_none() {
                        // 插件模式: closing the main window sends it to the background.
                        self.windows.main_visible = false;
                        return Task::batch([
                            self.save_geometry(),
                            window::set_mode(id, window::Mode::Hidden),
                        ]);
                    }
                    return self.quit();
                }
                if self.windows.payment == Some(id) {
                    return self.update(Message::Payment(payment::Message::Cancel));
                }
                if self.windows.region == Some(id) {
                    return self.update(Message::Region(region::Message::Cancel));
                }
                if self.windows.touch == Some(id) {
                    self.windows.touch = None;
                }
                window::close(id)
            }
            window::Event::Closed => {
                self.windows.focused.retain(|w| *w != id);
                if self.windows.main == Some(id) {
                    self.windows.main = None;
                }
                if self.windows.payment == Some(id) {
                    self.windows.payment = None;
                    if !self
                        .payment
                        .as_ref()
                        .is_some_and(payment::Payment::in_flight)
                    {
                        self.payment = None;
                    }
                }
                if self.windows.region == Some(id) {
                    self.windows.region = None;
                    self.region = None;
                }
                if self.windows.touch == Some(id) {
                    self.windows.touch = None;
                }
                Task::none()
            }
            _ => Task::none(),
        }
    }

    /// Whether moves and resizes of the main window are remembered: not while it runs
    /// maximised or full screen (the next start does that again).
    fn saves_geometry(&self) -> bool {
        self.ctx.basic.start_window == StartWindow::Normal
    }

    fn pause_wedge(&self) -> Task<Message> {
        if let Some(tx) = &self.devices {
            let _ = tx.send(DeviceCommand::PauseWedge(!self.windows.focused.is_empty()));
        }
        Task::none()
    }

    fn tick(&mut self) -> Task<Message> {
        if let Some(t) = &self.terminal {
            self.ctx.now = t.now();
        }
        let now = self.ctx.now;
        let mut tasks = Vec::new();
        if self
            .options
            .lock
            .as_ref()
            .is_some_and(|l| l.take_raise_request())
        {
            tasks.push(self.open_main());
        }
        if self.geometry_dirty {
            tasks.push(self.save_geometry());
        }
        if self.terminal.is_some() && self.updates.due(now) {
            // Asks the feed at start and every few hours, in the background.
            let e = self.updates.start_check();
            tasks.push(self.update_event(e));
        }
        if self.screen == Screen::Login {
            let e = self.login.update(login::Message::Tick(now));
            tasks.push(self.login_event(e));
        }
        if self.payment.is_some() {
            tasks.push(self.update(Message::Payment(payment::Message::Tick(now))));
        }
        if self.orders.refund.is_some() {
            tasks.push(self.update(Message::Orders(orders::Message::RefundForm(
                refund::Message::Tick(now),
            ))));
        }
        if self.screen == Screen::Refund {
            tasks.push(self.update(Message::Refund(refund::ScreenMessage::Form(
                refund::Message::Tick(now),
            ))));
        }
        if self.orders_dirty && self.screen == Screen::Orders && !self.orders.dialog_open() {
            self.orders_dirty = false;
            let e = self.orders.reload(&self.ctx);
            tasks.push(self.orders_event(e));
        }
        Task::batch(tasks)
    }

    fn terminal_event(&mut self, event: TerminalEvent) -> Task<Message> {
        match event {
            TerminalEvent::Order(o) => {
                if let Some(p) = &mut self.payment {
                    let _ = p.update(payment::Message::Update(o.clone()), &self.ctx);
                }
                let _ = self
                    .checkout
                    .update(checkout::Message::Update(o.clone()), &self.ctx);
                if let Some(p) = self.pending.iter_mut().find(|p| p.no == o.no) {
                    *p = o;
                }
                self.orders_dirty = true;
                Task::none()
            }
            TerminalEvent::Refund(_) => {
                self.orders_dirty = true;
                if self.screen == Screen::Refund {
                    self.load_recent_refunds()
                } else {
                    Task::none()
                }
            }
            TerminalEvent::Halted(_)
            | TerminalEvent::HaltCleared
            | TerminalEvent::SessionChanged => self.load_ctx(false),
            TerminalEvent::PrintFailed { what, reason } => {
                self.notify(i18n::print_failed_text(&what, &reason), style::FAILED);
                Task::none()
            }
        }
    }

    fn device_event(&mut self, event: DeviceEvent) -> Task<Message> {
        match event {
            DeviceEvent::Hotkey(HotkeyAction::PaymentWindow) => {
                if self.ctx.plug_in() {
                    self.open_payment(None)
                } else {
                    Task::none()
                }
            }
            DeviceEvent::Hotkey(HotkeyAction::MainWindow) => self.toggle_main(),
            DeviceEvent::Hotkey(HotkeyAction::AmountRegion) => self.open_region(Target::Amount),
            DeviceEvent::Code(code) => {
                if self.ctx.plug_in() && self.ctx.basic.scan_opens_window {
                    self.open_payment(Some(code.text))
                } else {
                    Task::none()
                }
            }
            DeviceEvent::ScannerBox(state) => {
                self.notify(i18n::box_state_text(&state), style::MUTED);
                Task::none()
            }
            DeviceEvent::Problem(p) => {
                tracing::warn!("device problem: {p}");
                self.notify(i18n::device_problem_text(&p), style::PENDING);
                Task::none()
            }
        }
    }

    // ───────────────────────── keyboard ─────────────────────────

    fn key(&mut self, id: window::Id, press: &KeyPress) -> Task<Message> {
        let sc = shortcut(press);
        if self.windows.region == Some(id) {
            return if sc == Shortcut::Escape {
                self.update(Message::Region(region::Message::Cancel))
            } else {
                Task::none()
            };
        }
        if self.windows.payment == Some(id) {
            return match sc {
                Shortcut::Escape => self.update(Message::Payment(payment::Message::Cancel)),
                Shortcut::Tilde if !press.captured => {
                    self.update(Message::Payment(payment::Message::Cancel))
                }
                Shortcut::Enter if !press.captured => {
                    self.update(Message::Payment(payment::Message::Confirm))
                }
                _ => Task::none(),
            };
        }
        if self.windows.main != Some(id) {
            return Task::none();
        }
        // Recording a hotkey takes every key.
        if self.screen == Screen::Hotkeys && self.hotkeys.recording.is_some() {
            let chord = if sc == Shortcut::Escape {
                None
            } else {
                chord_text(press)
            };
            if chord.is_none() && sc != Shortcut::Escape {
                return Task::none(); // a modifier alone: wait for the key
            }
            return self.update(Message::Hotkeys(hotkeys::Message::Recorded(chord)));
        }
        if let Shortcut::Tab { .. } = sc {
            // The window's key router moved the focus already.
            return Task::none();
        }
        // Dialogs over every screen.
        if self.updates.dialog.is_some() {
            return match sc {
                Shortcut::Escape => self.update(Message::Update(update::Message::Close)),
                _ => Task::none(),
            };
        }
        if self.halt_clear.is_some() {
            return match sc {
                Shortcut::Escape => self.update(Message::Halt(HaltMessage::Close)),
                _ => Task::none(),
            };
        }
        if self.summary.is_some() {
            return match sc {
                Shortcut::Escape => self.update(Message::Summary(summary::Message::Close)),
                Shortcut::Enter
                    if !press.captured
                        && self.summary.as_ref().is_some_and(|s| s.handover.is_some()) =>
                {
                    self.update(Message::Summary(summary::Message::Close))
                }
                Shortcut::Letter('H') if !press.captured => {
                    self.update(Message::Summary(summary::Message::Print))
                }
                _ => Task::none(),
            };
        }
        if sc == Shortcut::Escape {
            return self.escape();
        }
        if let Shortcut::Function(n @ (QR_AUTH_KEY | PASSWORD_AUTH_KEY)) = sc {
            let mode = if n == QR_AUTH_KEY {
                refund::AuthMode::Qr
            } else {
                refund::AuthMode::Password
            };
            let m = refund::Message::AuthMode(mode);
            if self.screen == Screen::Refund && self.refund.form.authorising() {
                return self.update(Message::Refund(refund::ScreenMessage::Form(m)));
            }
            if self.screen == Screen::Orders
                && self
                    .orders
                    .refund
                    .as_ref()
                    .is_some_and(refund::RefundForm::authorising)
            {
                return self.update(Message::Orders(orders::Message::RefundForm(m)));
            }
            return Task::none();
        }
        if let Shortcut::Function(n) = sc {
            if n == CASH_KEY && self.screen == Screen::Checkout && self.checkout.cash.is_none() {
                return self.update(Message::Checkout(checkout::Message::OpenCash));
            }
            if let Some(s) = Screen::by_function_key(self.ctx.plug_in(), n) {
                return self.navigate(s);
            }
            return Task::none();
        }
        if sc == Shortcut::ToggleMain {
            return self.toggle_main();
        }
        if press.captured {
            return Task::none();
        }
        // Keys of the screen first, then the navigation letters.
        match (self.screen, sc) {
            (Screen::Orders, _) if self.orders.dialog_open() => {
                if sc == Shortcut::Enter {
                    if self.orders.remark.is_some() {
                        return self.update(Message::Orders(orders::Message::RemarkSave));
                    }
                    return self.update(Message::Orders(orders::Message::RefundForm(
                        refund::Message::Submit,
                    )));
                }
                return Task::none();
            }
            (Screen::Orders, Shortcut::Copy) => {
                return self.update(Message::Orders(orders::Message::Copy));
            }
            (Screen::Orders, Shortcut::Letter('E')) => {
                return self.update(Message::Orders(orders::Message::EditRemark));
            }
            (Screen::Orders, Shortcut::Letter('R')) => {
                return self.update(Message::Orders(orders::Message::Refund));
            }
            (Screen::Orders, Shortcut::Letter('P')) => {
                return self.update(Message::Orders(orders::Message::Print));
            }
            (Screen::Orders, Shortcut::Letter('H')) => {
                return self.update(Message::Orders(orders::Message::Summary));
            }
            (Screen::Orders, Shortcut::Up) => {
                return self.update(Message::Orders(orders::Message::Up));
            }
            (Screen::Orders, Shortcut::Down) => {
                return self.update(Message::Orders(orders::Message::Down));
            }
            (Screen::Commodities, _) if self.commodities.dialog_open() => {
                if sc == Shortcut::Enter && self.commodities.confirm_delete.is_some() {
                    return self.update(Message::Commodities(commodities::Message::DeleteConfirm));
                }
                return Task::none();
            }
            (Screen::Commodities, Shortcut::Letter('E')) => {
                return self.update(Message::Commodities(commodities::Message::Edit));
            }
            (Screen::Commodities, Shortcut::Letter('D')) => {
                return self.update(Message::Commodities(commodities::Message::Delete));
            }
            (Screen::Commodities, Shortcut::Letter('N')) => {
                return self.update(Message::Commodities(commodities::Message::New));
            }
            (Screen::Commodities, Shortcut::Up) => {
                return self.update(Message::Commodities(commodities::Message::Up));
            }
            (Screen::Commodities, Shortcut::Down) => {
                return self.update(Message::Commodities(commodities::Message::Down));
            }
            (Screen::Clerks, _) if self.clerks.dialog_open() => {
                if sc == Shortcut::Enter && self.clerks.confirm_remove.is_some() {
                    return self.update(Message::Clerks(clerks::Message::RemoveConfirm));
                }
                return Task::none();
            }
            (Screen::Clerks, Shortcut::Letter(l @ ('N' | 'E' | 'W' | 'D'))) => {
                let m = match l {
                    'N' => clerks::Message::New,
                    'E' => clerks::Message::Edit,
                    'W' => clerks::Message::OpenReset,
                    _ => clerks::Message::Remove,
                };
                return self.update(Message::Clerks(m));
            }
            (Screen::Clerks, Shortcut::Up) => {
                return self.update(Message::Clerks(clerks::Message::Up));
            }
            (Screen::Clerks, Shortcut::Down) => {
                return self.update(Message::Clerks(clerks::Message::Down));
            }
            (_, Shortcut::Letter('M')) if self.ctx.may(Permission::ManageClerks) => {
                return self.navigate(Screen::Clerks);
            }
            (Screen::Basic, Shortcut::Enter) => {
                return self.update(Message::Basic(basic::Message::Save));
            }
            (Screen::Printer, Shortcut::Enter) => {
                return self.update(Message::Printer(printer::Message::Save));
            }
            (Screen::Hotkeys, Shortcut::Enter) => {
                return self.update(Message::Hotkeys(hotkeys::Message::Save));
            }
            (Screen::Voice, Shortcut::Enter) => {
                return self.update(Message::Voice(voice::Message::Save));
            }
            (_, Shortcut::Letter('V')) if self.ctx.session.is_some() => {
                return self.navigate(Screen::Voice);
            }
            (_, Shortcut::Letter('U')) if self.ctx.session.is_some() => {
                return self.update(Message::Update(update::Message::Open));
            }
            (Screen::Hotkeys, _) if digit(press).is_some() => {
                let shown = hotkeys::Hotkeys::shown(self.ctx.plug_in());
                return match digit(press).and_then(|d| shown.get(d.wrapping_sub(1))) {
                    Some(action) => {
                        self.update(Message::Hotkeys(hotkeys::Message::Record(*action)))
                    }
                    None => Task::none(),
                };
            }
            (Screen::Refund, Shortcut::Letter('P')) => {
                return self.update(Message::Refund(refund::ScreenMessage::Print));
            }
            (Screen::Checkout, Shortcut::Plus) => {
                if let Some(sku) = self
                    .checkout
                    .selected
                    .clone()
                    .or_else(|| self.checkout.cart.lines().last().map(|l| l.sku.clone()))
                {
                    return self.update(Message::Checkout(checkout::Message::Increment(sku)));
                }
                return Task::none();
            }
            (Screen::Checkout, Shortcut::Minus) => {
                if let Some(sku) = self
                    .checkout
                    .selected
                    .clone()
                    .or_else(|| self.checkout.cart.lines().last().map(|l| l.sku.clone()))
                {
                    return self.update(Message::Checkout(checkout::Message::Decrement(sku)));
                }
                return Task::none();
            }
            (Screen::Checkout, Shortcut::Enter) => {
                if self.checkout.confirm_code.is_some() {
                    return self.update(Message::Checkout(checkout::Message::UseCode));
                }
                if self.checkout.cash.is_some() {
                    return self.update(Message::Checkout(checkout::Message::CashConfirm));
                }
                if matches!(self.checkout.stage, checkout::Stage::Done(_)) {
                    return self.update(Message::Checkout(checkout::Message::NextSale));
                }
                return Self::focus(self.checkout.first_field());
            }
            (Screen::Checkout, _)
                if self.checkout.cash.is_some() || self.checkout.confirm_code.is_some() =>
            {
                return Task::none();
            }
            (Screen::Refund, Shortcut::Enter) => {
                return self.update(Message::Refund(refund::ScreenMessage::Form(
                    refund::Message::Submit,
                )));
            }
            (Screen::Login, Shortcut::Enter) => {
                return self.update(Message::Login(login::Message::Submit));
            }
            (_, Shortcut::Letter('H')) if self.ctx.session.is_some() => return self.show_summary(),
            _ => {}
        }
        if let Shortcut::Letter(l) = sc
            && let Some(s) = Screen::by_letter(self.ctx.plug_in(), l)
        {
            return self.navigate(s);
        }
        Task::none()
    }

    fn escape(&mut self) -> Task<Message> {
        match self.screen {
            Screen::Orders => self.update(Message::Orders(orders::Message::Escape)),
            Screen::Commodities => self.update(Message::Commodities(commodities::Message::Escape)),
            Screen::Checkout => self.update(Message::Checkout(checkout::Message::Escape)),
            Screen::Basic => self.update(Message::Basic(basic::Message::CloseDialog)),
            Screen::Clerks => self.update(Message::Clerks(clerks::Message::Escape)),
            Screen::Refund if !self.refund.form.busy() => {
                self.refund = RefundScreen {
                    recent: std::mem::take(&mut self.refund.recent),
                    ..RefundScreen::default()
                };
                Self::focus(refund::ORDER_FIELD)
            }
            _ => {
                self.status = None;
                Task::none()
            }
        }
    }

    // ───────────────────────── screen events ─────────────────────────

    fn login_event(&mut self, event: Option<login::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            login::Event::Login { id, password } => self.perform(
                |t| async move { t.login_with_handover(&id, &password).await },
                |r| Message::Login(login::Message::Done(r)),
            ),
            login::Event::StartQr => self.start_qr_if_needed(),
            login::Event::PollQr(token) => self.perform(
                |t| async move { t.finish_qr_login_with_handover(&token).await },
                |r| Message::Login(login::Message::QrPolled(r)),
            ),
            login::Event::Focus(id) => Self::focus(id),
            login::Event::LoggedIn {
                relogin,
                auto_login,
            } => {
                if let Some(report) = relogin.handover {
                    self.summary = Some(SummaryPanel::for_handover(
                        report,
                        &self.ctx,
                        self.commodities.default_dir.clone(),
                    ));
                }
                self.status = None;
                let t = self.terminal();
                let set_auto = match t {
                    Some(t) => Task::perform(
                        async move { t.set_auto_login(auto_login).await },
                        Message::Done,
                    ),
                    None => Task::none(),
                };
                // The session is in the ledger now: reload, then go to the home screen.
                self.ctx.session = Some(relogin.session);
                Task::batch([set_auto, self.load_ctx(false)]).chain(Task::done(Message::Home))
            }
        }
    }

    fn open_payment(&mut self, code: Option<String>) -> Task<Message> {
        if let Some(p) = &mut self.payment {
            if self.windows.payment.is_none() {
                return Task::none(); // still preparing
            }
            return match code {
                Some(c) => {
                    let e = p.update(payment::Message::Scanned(c), &self.ctx);
                    self.payment_event(e)
                }
                // The hotkey again: cancel (toggle), unless a payment is on its way.
                None => self.update(Message::Payment(payment::Message::Cancel)),
            };
        }
        if self.terminal.is_none() || self.ctx.session.is_none() {
            self.notify(
                tr("请先登录再收款", "Log in before taking payments"),
                style::PENDING,
            );
            return Task::batch([self.open_main(), self.navigate(Screen::Login)]);
        }
        let wallet = code.as_deref().and_then(|c| {
            self.terminal
                .as_ref()
                .and_then(|t| t.classify_code(c).ok())
                .map(|p| p.wallet())
        });
        self.payment = Some(payment::Payment::new(code, self.ctx.now));
        let capture_amount = self.ctx.basic.capture_amount;
        let capture_serial = self.ctx.basic.capture_serial;
        self.perform(
            move |t| async move {
                let keys = t
                    .send_host_keys(true, wallet)
                    .await
                    .err()
                    .map(|e| error_text(&e));
                let amount = if capture_amount {
                    Some(t.read_amount().await)
                } else {
                    None
                };
                let serial = if capture_serial {
                    Some(t.read_serial().await)
                } else {
                    None
                };
                (keys, amount, serial)
            },
            |(keys, amount, serial)| Message::PaymentPrepared {
                keys,
                amount,
                serial,
            },
        )
    }

    fn payment_settings(&self) -> window::Settings {
        let touch = self.ctx.basic.touch;
        #[allow(unused_mut)]
        let mut s = window::Settings {
            size: geometry::payment_window(
                if touch {
                    Size::new(560.0, 720.0)
                } else {
                    Size::new(500.0, 470.0)
                },
                self.windows.monitor,
            ),
            position: window::Position::Centered,
            resizable: false,
            level: window::Level::AlwaysOnTop,
            exit_on_close_request: false,
            minimizable: false,
            ..window::Settings::default()
        };
        #[cfg(windows)]
        {
            s.platform_specific.skip_taskbar = true;
        }
        #[cfg(target_os = "linux")]
        {
            s.platform_specific.application_id = "cloudpos-cashier-payment".to_owned();
        }
        s
    }

    fn payment_prepared(
        &mut self,
        keys: Option<String>,
        amount: Option<Result<cloudpos_domain::ports::AmountReading, TerminalError>>,
        serial: Option<Result<Option<String>, TerminalError>>,
    ) -> Task<Message> {
        let Some(p) = &mut self.payment else {
            return Task::none();
        };
        let event = p.update(payment::Message::Prepared { amount, serial }, &self.ctx);
        if let Some(k) = keys {
            p.capture_note = Some(match p.capture_note.take() {
                Some(n) => format!("{n}\n{k}"),
                None => k,
            });
        }
        let (id, open) = window::open(self.payment_settings());
        self.windows.payment = Some(id);
        // The focus is given once the window exists (see `opened`).
        let _ = self.payment_event(event);
        open.map(Message::Opened)
    }

    fn payment_event(&mut self, event: Option<payment::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            payment::Event::Pay(input) => self.perform(
                |t| async move { t.pay(input).await },
                |r| Message::Payment(payment::Message::Finished(r)),
            ),
            payment::Event::Focus(id) => {
                if let Some(p) = &mut self.payment {
                    p.field = id;
                }
                Self::focus(id)
            }
            payment::Event::Close { paid } => {
                self.payment = None;
                let close = self
                    .windows
                    .payment
                    .take()
                    .map_or_else(Task::none, window::close);
                let keys = match (paid, self.terminal()) {
                    (Some(wallet), Some(t)) => Task::perform(
                        async move {
                            // Let the host POS take the focus back before pressing its keys.
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            t.send_host_keys(false, wallet).await
                        },
                        Message::Done,
                    ),
                    _ => Task::none(),
                };
                close.chain(keys)
            }
            payment::Event::Refund { amount, serial } => {
                let close = self.payment_event(Some(payment::Event::Close { paid: None }));
                let show = Task::batch([self.open_main(), self.navigate(Screen::Refund)]);
                let since = self.ctx.now.minus(Duration::from_secs(30 * 24 * 3600));
                let find = self.perform(
                    move |t| async move {
                        let recent = t
                            .orders(&OrderFilter {
                                from: Some(since),
                                state: Some(cloudpos_domain::order::OrderState::Paid),
                                page_size: 200,
                                ..OrderFilter::default()
                            })
                            .await
                            .map(|p| p.items)
                            .unwrap_or_default();
                        refund::returned_order(&recent, amount, serial.as_deref())
                    },
                    move |order| Message::Refund(refund::ScreenMessage::HostReturn(amount, order)),
                );
                close.chain(show).chain(find)
            }
        }
    }

    fn checkout_event(&mut self, event: Option<checkout::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            checkout::Event::Find(code) => self.perform(
                |t| async move {
                    let r = t.commodity_by_code(&code).await;
                    (code, r)
                },
                |(code, r)| Message::Checkout(checkout::Message::Found(code, r)),
            ),
            checkout::Event::LoadChoices => self.perform(
                |t| async move {
                    t.commodities(&cloudpos_domain::ports::CommodityQuery {
                        page_size: 500,
                        ..Default::default()
                    })
                    .await
                    .map(|p| p.items)
                },
                |r| Message::Checkout(checkout::Message::Choices(r)),
            ),
            checkout::Event::Checkout { cart, code, remark } => self.perform(
                |t| async move { t.checkout(&cart, &code, &remark).await },
                |r| Message::Checkout(checkout::Message::Finished(r)),
            ),
            checkout::Event::Pay(input) => self.perform(
                |t| async move { t.pay(input).await },
                |r| Message::Checkout(checkout::Message::Finished(r)),
            ),
            checkout::Event::PayCash {
                amount,
                tendered,
                cart,
                remark,
            } => self.perform(
                |t| async move {
                    t.pay_cash(amount, tendered, cart.lines().to_vec(), &remark)
                        .await
                },
                |r| Message::Checkout(checkout::Message::Finished(r)),
            ),
            // The 货号/条码 field may already hold the start of the next scan when a lookup
            // returns: keep it, and keep typing after it.
            checkout::Event::Focus(checkout::LOOKUP_FIELD) => {
                Self::focus_keep(checkout::LOOKUP_FIELD)
            }
            checkout::Event::Focus(id) => Self::focus(id),
        }
    }

    fn commodities_event(&mut self, event: Option<commodities::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            commodities::Event::Load(q) => self.perform(
                |t| async move { t.commodities(&q).await },
                |r| Message::Commodities(commodities::Message::Loaded(r)),
            ),
            commodities::Event::Save(c) => self.perform(
                |t| async move { t.save_commodity(&c).await },
                |r| Message::Commodities(commodities::Message::Saved(r)),
            ),
            commodities::Event::Delete(sku) => self.perform(
                |t| async move { t.delete_commodity(&sku).await },
                |r| Message::Commodities(commodities::Message::Deleted(r)),
            ),
            commodities::Event::Export(path) => self.perform(
                |t| async move { t.export_inventory(&path).await },
                |r| Message::Commodities(commodities::Message::ExportDone(r)),
            ),
            commodities::Event::Import(path) => {
                let Some(t) = self.terminal() else {
                    return Task::none();
                };
                Task::run(
                    iced::stream::channel(
                        16,
                        async move |mut out: iced::futures::channel::mpsc::Sender<Message>| {
                            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                            let import = t.import_commodities(&path, move |done, total| {
                                let _ = tx.send((done, total));
                            });
                            tokio::pin!(import);
                            let result = loop {
                                tokio::select! {
                                    r = &mut import => break r,
                                    Some((d, n)) = rx.recv() => {
                                        let _ = out.send(Message::Commodities(commodities::Message::ImportProgress(d, n))).await;
                                    }
                                }
                            };
                            while let Ok((d, n)) = rx.try_recv() {
                                let _ = out
                                    .send(Message::Commodities(
                                        commodities::Message::ImportProgress(d, n),
                                    ))
                                    .await;
                            }
                            let _ = out
                                .send(Message::Commodities(commodities::Message::ImportDone(
                                    result,
                                )))
                                .await;
                        },
                    ),
                    |m| m,
                )
            }
            commodities::Event::Focus(id) => Self::focus(id),
        }
    }

    fn orders_event(&mut self, event: Option<orders::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            orders::Event::LoadOrders(f) => self.perform(
                |t| async move { t.orders(&f).await },
                |r| Message::Orders(orders::Message::Loaded(r)),
            ),
            orders::Event::LoadRefunds(f) => self.perform(
                |t| async move { t.refunds(&f).await },
                |r| Message::Orders(orders::Message::LoadedRefunds(r)),
            ),
            orders::Event::Copy(text) => {
                self.copied.push(text.clone());
                iced::clipboard::write(text)
            }
            orders::Event::SaveRemark(no, text) => self.perform(
                |t| async move { t.set_order_remark(&no, &text).await },
                |r| Message::Orders(orders::Message::RemarkSaved(r)),
            ),
            orders::Event::Refund(e) => self.refund_event(Some(e), RefundOrigin::Orders),
            orders::Event::Print(no) => self.perform(
                |t| async move { t.print_order(&no, None).await },
                |r| Message::Orders(orders::Message::Printed(r)),
            ),
            orders::Event::PrintRefund(no) => self.perform(
                |t| async move { t.print_refund(&no, None).await },
                |r| Message::Orders(orders::Message::Printed(r)),
            ),
            orders::Event::Summary => self.show_summary(),
            orders::Event::Focus(id) => Self::focus(id),
        }
    }

    fn refund_event(
        &mut self,
        event: Option<refund::Event>,
        origin: RefundOrigin,
    ) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        let wrap = move |m: refund::Message| match origin {
            RefundOrigin::Orders => Message::Orders(orders::Message::RefundForm(m)),
            RefundOrigin::Screen => Message::Refund(refund::ScreenMessage::Form(m)),
        };
        match event {
            refund::Event::Lookup(no) => self.perform(
                |t| async move {
                    let order = t.query(&no).await?;
                    let refunds = t.refunds_of(&no).await?;
                    Ok((order, refunds))
                },
                move |r| wrap(refund::Message::Loaded(r)),
            ),
            refund::Event::Refund(input) => self.perform(
                |t| async move { t.refund(input).await },
                move |r| wrap(refund::Message::Submitted(r)),
            ),
            refund::Event::RequestApproval(no, amount) => self.perform(
                |t| async move { t.request_refund_approval(&no, amount).await },
                move |r| wrap(refund::Message::Ticket(r)),
            ),
            refund::Event::Poll(token) => self.perform(
                |t| async move { t.approval(&token).await },
                move |r| wrap(refund::Message::Polled(r)),
            ),
            refund::Event::Close => {
                if origin == RefundOrigin::Orders {
                    self.orders.refund = None;
                }
                Task::none()
            }
            refund::Event::ViewRefunds(no) => {
                self.screen = Screen::Orders;
                let e = self.orders.show_refunds_of(&no, &self.ctx);
                self.orders_event(e)
            }
            refund::Event::Print(no) => self.perform(
                |t| async move { t.print_refund(&no, None).await },
                Message::Done,
            ),
            refund::Event::Focus(id) => Self::focus(id),
        }
    }

    fn show_summary(&mut self) -> Task<Message> {
        if self.ctx.session.is_none() {
            return self.navigate(Screen::Login);
        }
        let (panel, event) =
            SummaryPanel::for_shift(&self.ctx, self.commodities.default_dir.clone());
        self.summary = Some(panel);
        let load = self.summary_event(Some(event));
        Task::batch([load, Self::unfocus()])
    }

    fn summary_event(&mut self, event: Option<summary::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            summary::Event::Load { from, to, clerk } => self.perform(
                |t| async move {
                    let summary = t.summary(from, to, clerk.as_ref()).await?;
                    let png = t
                        .stats_png(summary.from, summary.to, summary.clerk.as_ref())
                        .await
                        .ok();
                    Ok(summary::Loaded { summary, png })
                },
                |r| Message::Summary(summary::Message::Loaded(r)),
            ),
            summary::Event::Print(s) => self.perform(
                |t| async move {
                    let receipt = t.summary_receipt(&s).await?;
                    t.print_receipt(&receipt, None).await
                },
                |r| Message::Summary(summary::Message::Printed(r)),
            ),
            summary::Event::Save(path, png) => Task::perform(
                async move {
                    let p = path.clone();
                    tokio::task::spawn_blocking(move || std::fs::write(&p, png))
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|r| r.map_err(|e| e.to_string()))
                        .map(|()| path.clone())
                        .map_err(|e| {
                            tracing::warn!("saving {}: {e}", path.display());
                            trs(
                                format!("无法保存到 {}：请检查文件夹和权限", path.display()),
                                format!("Cannot save to {}: {e}", path.display()),
                            )
                        })
                },
                |r| Message::Summary(summary::Message::Saved(r)),
            ),
            summary::Event::Handover => {
                if self.any_in_flight() {
                    self.notify(
                        tr(
                            "支付进行中，请等待结果后再交班",
                            "A payment is on its way: wait before handing over",
                        ),
                        style::PENDING,
                    );
                    return Task::none();
                }
                self.perform(|t| async move { t.handover().await }, Message::HandedOver)
            }
            summary::Event::Close => {
                self.summary = None;
                if self.screen == Screen::Login {
                    Self::focus(login::CLERK_FIELD)
                } else {
                    Task::none()
                }
            }
        }
    }

    fn basic_event(&mut self, event: Option<basic::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            basic::Event::Save {
                basic,
                network,
                proxy_password,
            } => {
                let network_changed = proxy_password.is_some() || network != self.basic.network;
                self.perform(
                    move |t| async move {
                        t.set_setting(&basic).await?;
                        if network_changed {
                            t.set_network_settings(&network, proxy_password.as_deref())
                                .await?;
                        }
                        Ok(())
                    },
                    |r| Message::Basic(basic::Message::Saved(r)),
                )
                .chain(self.load_ctx(false))
            }
            basic::Event::PickRegion(target) => self.open_region(target),
            basic::Event::Reconfigure { path, password } => self
                .perform(
                    |t| async move {
                        let text = tokio::fs::read_to_string(&path).await.map_err(|e| {
                            TerminalError::Invalid(format!("{}: {e}", path.display()))
                        })?;
                        let creds: cloudpos_terminal::MerchantCredentials =
                            serde_json::from_str(&text).map_err(|e| {
                                TerminalError::Invalid(format!("{}: {e}", path.display()))
                            })?;
                        let sandbox = creds.base_url.contains("127.0.0.1")
                            || creds.base_url.contains("localhost");
                        t.configure_merchant(&creds, &password, sandbox).await
                    },
                    |r| Message::Basic(basic::Message::Reconfigured(r)),
                )
                .chain(self.load_ctx(false)),
            basic::Event::Relogin => self.navigate(Screen::Login),
            basic::Event::SoftwareUpdate => self.update(Message::Update(update::Message::Open)),
        }
    }

    fn printer_event(&mut self, event: Option<printer::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            printer::Event::Preview(settings) => self.perform(
                |t| async move {
                    let receipt = t.test_receipt(&settings).await?;
                    Ok(t.receipt_preview_with(&receipt, &settings))
                },
                |r| Message::Printer(printer::Message::Preview(r)),
            ),
            printer::Event::Save(settings) => self.perform(
                |t| async move { t.set_setting(&settings).await },
                |r| Message::Printer(printer::Message::Saved(r)),
            ),
            printer::Event::Test(settings) => self.perform(
                |t| async move {
                    let receipt = t.test_receipt(&settings).await?;
                    t.print_receipt(&receipt, Some(settings)).await
                },
                |r| Message::Printer(printer::Message::Tested(r)),
            ),
        }
    }

    fn hotkeys_event(&mut self, event: Option<hotkeys::Event>) -> Task<Message> {
        let Some(hotkeys::Event::Save(keys)) = event else {
            return Task::none();
        };
        if let Some(tx) = &self.devices {
            let _ = tx.send(DeviceCommand::ApplyKeys(Box::new(keys.clone())));
        }
        self.perform(
            |t| async move { t.set_setting(&keys).await },
            |r| Message::Hotkeys(hotkeys::Message::Saved(r)),
        )
        .chain(self.load_ctx(false))
    }

    fn update_event(&mut self, event: Option<update::Event>) -> Task<Message> {
        match event {
            Some(update::Event::Check) => self.perform(
                |t| async move { t.check_update().await },
                |r| Message::Update(update::Message::Checked(r)),
            ),
            Some(update::Event::Apply { password }) => {
                let home = self.options.home.clone();
                let program_dir = self.options.program_dir.clone();
                self.perform(
                    move |t| async move {
                        let target = match program_dir {
                            Some(program_dir) => cloudpos_terminal::UpdateTarget {
                                program_dir,
                                data_dir: home,
                            },
                            None => cloudpos_terminal::UpdateTarget::running(&home)?,
                        };
                        t.apply_update(&password, &target).await
                    },
                    |r| Message::Update(update::Message::Applied(r)),
                )
            }
            Some(update::Event::Focus(id)) => Self::focus(id),
            Some(update::Event::Unfocus) => Self::unfocus(),
            None => Task::none(),
        }
    }

    fn voice_event(&mut self, event: Option<voice::Event>) -> Task<Message> {
        match event {
            Some(voice::Event::Save(settings)) => self.perform(
                |t| async move { t.set_setting(&settings).await },
                |r| Message::Voice(voice::Message::Saved(r)),
            ),
            Some(voice::Event::Try {
                announcement,
                volume,
            }) => self.perform(
                move |t| async move { t.say_now(&announcement, Some(volume)).await },
                |r| Message::Voice(voice::Message::Tried(r)),
            ),
            None => Task::none(),
        }
    }

    fn clerks_event(&mut self, event: Option<clerks::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            clerks::Event::Load(q) => self.perform(
                |t| async move { t.clerks(&q).await },
                |r| Message::Clerks(clerks::Message::Loaded(r)),
            ),
            clerks::Event::Add(new, password) => self.perform(
                |t| async move { t.add_clerk(new, &password).await },
                |r| Message::Clerks(clerks::Message::Saved(r)),
            ),
            clerks::Event::Edit(id, changes) => self.perform(
                |t| async move { t.edit_clerk(&id, changes).await },
                |r| Message::Clerks(clerks::Message::Saved(r)),
            ),
            clerks::Event::ResetPassword(id, password) => self.perform(
                |t| async move { t.reset_password(&id, &password).await },
                |r| Message::Clerks(clerks::Message::ResetDone(r)),
            ),
            clerks::Event::Remove(id) => self.perform(
                |t| async move { t.remove_clerk(&id).await },
                |r| Message::Clerks(clerks::Message::Removed(r)),
            ),
            clerks::Event::Focus(id) => Self::focus(id),
        }
    }

    fn open_region(&mut self, target: Target) -> Task<Message> {
        if self.windows.region.is_some() || !self.ctx.plug_in() {
            return Task::none();
        }
        self.region = Some(Region::new(target, 0));
        let (id, open) = window::open(window::Settings {
            fullscreen: true,
            transparent: true,
            decorations: false,
            level: window::Level::AlwaysOnTop,
            exit_on_close_request: false,
            ..window::Settings::default()
        });
        self.windows.region = Some(id);
        open.then(|id| {
            Task::batch([
                Task::done(Message::Opened(id)),
                window::scale_factor(id).map(Message::RegionScale),
            ])
        })
    }

    fn region_done(
        &mut self,
        target: Target,
        region: Option<cloudpos_domain::ports::ScreenRegion>,
    ) -> Task<Message> {
        self.region = None;
        let close = self
            .windows
            .region
            .take()
            .map_or_else(Task::none, window::close);
        let Some(r) = region else {
            return close;
        };
        close.chain(self.perform(
            move |t| async move {
                let mut basic = t.setting::<cloudpos_terminal::BasicSettings>().await?;
                match target {
                    Target::Amount => basic.amount_region = Some(r),
                    Target::Serial => basic.serial_region = Some(r),
                }
                t.set_setting(&basic).await?;
                Ok(Some(r))
            },
            move |res| Message::RegionSaved(target, res),
        ))
    }

    fn sync_touch_window(&mut self) -> Task<Message> {
        let want = self.ctx.plug_in() && self.ctx.basic.touch && self.ctx.session.is_some();
        match (want, self.windows.touch) {
            (true, None) => {
                let (id, open) = window::open(window::Settings {
                    size: Size::new(150.0, 80.0),
                    // Bottom right, clear of the host POS's header and of our own.
                    position: window::Position::SpecificWith(|size, monitor| {
                        Point::new(
                            (monitor.width - size.width - 16.0).max(0.0),
                            (monitor.height - size.height - geometry::MARGIN.height).max(0.0),
                        )
                    }),
                    resizable: false,
                    level: window::Level::AlwaysOnTop,
                    exit_on_close_request: false,
                    minimizable: false,
                    ..window::Settings::default()
                });
                self.windows.touch = Some(id);
                open.discard()
            }
            (false, Some(id)) => {
                self.windows.touch = None;
                window::close(id)
            }
            _ => Task::none(),
        }
    }

    fn halt_message(&mut self, m: HaltMessage) -> Task<Message> {
        match m {
            HaltMessage::Open => {
                self.halt_clear = Some(HaltClear::default());
                Task::none()
            }
            HaltMessage::Admin(v) => {
                if let Some(h) = &mut self.halt_clear {
                    h.admin = v.trim().to_owned();
                }
                Task::none()
            }
            HaltMessage::Password(v) => {
                if let Some(h) = &mut self.halt_clear {
                    h.password = v;
                }
                Task::none()
            }
            HaltMessage::Submit => {
                let Some(h) = &mut self.halt_clear else {
                    return Task::none();
                };
                let admin = match cloudpos_domain::clerk::ClerkId::parse(&h.admin) {
                    Ok(a) => a,
                    Err(e) => {
                        h.error = Some(i18n::clerk_id_error_text(&e));
                        return Task::none();
                    }
                };
                let password = std::mem::take(&mut h.password);
                self.perform(
                    |t| async move { t.clear_halt(&admin, &password).await },
                    |r| Message::Halt(HaltMessage::Done(r)),
                )
            }
            HaltMessage::Done(Ok(())) => {
                self.halt_clear = None;
                self.load_ctx(false)
            }
            HaltMessage::Done(Err(e)) => {
                if let Some(h) = &mut self.halt_clear {
                    h.error = Some(error_text(&e));
                }
                Task::none()
            }
            HaltMessage::Close => {
                self.halt_clear = None;
                Task::none()
            }
        }
    }

    // ───────────────────────── view ─────────────────────────

    /// The title of a window.
    #[must_use]
    pub fn title(&self, id: window::Id) -> String {
        let sandbox = if self.ctx.sandbox() {
            " · SANDBOX"
        } else {
            ""
        };
        if self.windows.payment == Some(id) {
            return format!("{}{sandbox}", tr("收银", "Payment"));
        }
        if self.windows.region == Some(id) {
            return tr("确定金额位置", "Choose the region").to_owned();
        }
        if self.windows.touch == Some(id) {
            return tr("收款", "Collect").to_owned();
        }
        let store = self
            .ctx
            .merchant
            .as_ref()
            .map_or("", |m| m.store_name.as_str());
        // Where the cashier is, first: the screen, then an open dialog (the taskbar shows
        // it, and the end-to-end tests wait on it).
        let mut place = String::new();
        if self.terminal.is_some() && self.start_error.is_none() {
            place.push_str(self.screen.title());
            if let Some(dialog) = self.dialog_title() {
                place.push_str(" · ");
                place.push_str(dialog);
            }
            place.push_str(" — ");
        }
        format!(
            "{place}{} {store}{sandbox}",
            tr("CloudPOS 云支付收银台", "CloudPOS cashier")
        )
    }

    /// The title of the dialog open over the main window, if any.
    #[must_use]
    pub fn dialog_title(&self) -> Option<&'static str> {
        if self.updates.dialog.is_some() {
            return Some(tr("软件更新", "Software update"));
        }
        if self.halt_clear.is_some() {
            return Some(tr("解除停止收款", "Clear the halt"));
        }
        if let Some(s) = &self.summary {
            return Some(s.title());
        }
        match self.screen {
            Screen::Commodities => self.commodities.dialog_title(),
            Screen::Checkout => self.checkout.dialog_title(),
            Screen::Orders => self.orders.dialog_title(),
            Screen::Clerks => self.clerks.dialog_title(),
            Screen::Basic => self
                .basic
                .reconfigure
                .as_ref()
                .map(|_| tr("重新配置商户", "Reconfigure the merchant")),
            _ => None,
        }
    }

    /// Draws a window: its content inside the key router that keeps fast input in order.
    pub fn view(&self, id: window::Id) -> Element<'_, Message> {
        let recording = self.screen == Screen::Hotkeys && self.hotkeys.recording.is_some();
        let lists = self.windows.main == Some(id)
            && match self.screen {
                Screen::Orders => !self.orders.dialog_open(),
                Screen::Commodities => !self.commodities.dialog_open(),
                Screen::Clerks => !self.clerks.dialog_open(),
                _ => false,
            };
        KeyRouter::new(self.window_view(id), self.epoch, move |press| {
            Message::Key(id, press)
        })
        .tab(!recording)
        .arrows(!lists && !recording)
        .hold(self.windows.main == Some(id) && self.settling())
        .into()
    }

    /// Whether the main window waits for an answer that decides where the next keys go (a
    /// login, a scan being looked up, a dialog being saved): keys typed meanwhile are held
    /// and then go where that answer put the focus.
    #[must_use]
    pub fn settling(&self) -> bool {
        if self.summary.is_some() || self.halt_clear.is_some() || self.updates.dialog.is_some() {
            return false;
        }
        match self.screen {
            Screen::Login => self.login.busy,
            Screen::Checkout => self.checkout.settling(),
            Screen::Commodities => self.commodities.settling(),
            Screen::Clerks => self.clerks.settling(),
            Screen::Refund => self.refund.form.settling(),
            Screen::Orders => self
                .orders
                .refund
                .as_ref()
                .is_some_and(refund::RefundForm::settling),
            Screen::Basic => self.page_loading || self.basic.busy,
            Screen::Printer => self.page_loading || self.printer.busy,
            Screen::Hotkeys => self.page_loading,
            Screen::Voice => self.page_loading || self.voice.busy,
        }
    }

    fn window_view(&self, id: window::Id) -> Element<'_, Message> {
        if self.windows.payment == Some(id) {
            return match &self.payment {
                Some(p) => p.view(&self.ctx).map(Message::Payment),
                None => Space::new().into(),
            };
        }
        if self.windows.region == Some(id) {
            return match &self.region {
                Some(r) => r.view().map(Message::Region),
                None => Space::new().into(),
            };
        }
        if self.windows.touch == Some(id) {
            return container(
                button(
                    text(tr("收款 ~", "Collect ~"))
                        .size(24)
                        .width(Length::Fill)
                        .align_x(Alignment::Center),
                )
                .width(Length::Fill)
                .height(Length::Fill)
                .style(button::success)
                .on_press(Message::OpenPayment),
            )
            .padding(6)
            .into();
        }
        self.main_view()
    }

    fn main_view(&self) -> Element<'_, Message> {
        if let Some(e) = &self.start_error {
            return container(
                column![
                    style::heading(tr("无法启动收银台", "The cashier could not start")),
                    widgets::notice(e, style::FAILED),
                    style::hint(format!(
                        "{} {}",
                        tr("数据目录：", "Data directory:"),
                        self.options.home.display()
                    )),
                    button(text(tr("退出", "Quit"))).on_press(Message::Quit),
                ]
                .spacing(16)
                .max_width(720),
            )
            .padding(40)
            .center(Length::Fill)
            .style(style::page)
            .into();
        }
        if self.terminal.is_none() {
            return container(text(tr("正在启动…", "Starting…")).size(22))
                .center(Length::Fill)
                .style(style::page)
                .into();
        }
        let mut page = column![self.header()];
        if let Some(h) = &self.ctx.halt {
            page = page.push(
                container(
                    row![
                        text(format!(
                            "⚠ {}（{}）",
                            i18n::halt_text(h),
                            self.ctx.time(h.since)
                        ))
                        .size(17)
                        .font(style::bold()),
                        Space::new().width(Length::Fill),
                        button(text(tr("管理员解除", "Admin: clear")).size(14))
                            .style(button::secondary)
                            .on_press(Message::Halt(HaltMessage::Open)),
                    ]
                    .align_y(Alignment::Center),
                )
                .padding([8, 16])
                .width(Length::Fill)
                .style(style::band(style::HALT)),
            );
        }
        if !self.pending.is_empty() || self.recovery.is_some() {
            page = page.push(self.pending_view());
        }
        let content: Element<'_, Message> = match self.screen {
            Screen::Login => self.login.view(&self.ctx).map(Message::Login),
            Screen::Checkout => self.checkout.view(&self.ctx).map(Message::Checkout),
            Screen::Commodities => self.commodities.view(&self.ctx).map(Message::Commodities),
            Screen::Orders => self.orders.view(&self.ctx).map(Message::Orders),
            Screen::Refund => self.refund.view(&self.ctx).map(Message::Refund),
            Screen::Basic => self.basic.view(&self.ctx).map(Message::Basic),
            Screen::Printer => self.printer.view(&self.ctx).map(Message::Printer),
            Screen::Hotkeys => self.hotkeys.view(&self.ctx).map(Message::Hotkeys),
            Screen::Clerks => self.clerks.view(&self.ctx).map(Message::Clerks),
            Screen::Voice => self.voice.view(&self.ctx).map(Message::Voice),
        };
        page = page.push(
            row![
                self.nav(),
                container(content).width(Length::Fill).height(Length::Fill)
            ]
            .height(Length::Fill),
        );
        page = page.push(self.status_bar());
        let base: Element<'_, Message> = container(page)
            .style(style::page)
            .width(Length::Fill)
            .height(Length::Fill)
            .into();
        if let Some(h) = &self.halt_clear {
            let mut body = column![
                style::hint(tr(
                    "核实对账差异并由服务商处理后，管理员输入账号和密码解除停止。",
                    "After the discrepancy is resolved with the service provider, an admin clears the halt.",
                )),
                widgets::field(tr("管理员 ID", "Admin ID"), text_input("", &h.admin).on_input(|v| Message::Halt(HaltMessage::Admin(v))).font(style::MONO)),
                widgets::field(
                    tr("密码", "Password"),
                    text_input("", &h.password)
                        .secure(true)
                        .on_input(|v| Message::Halt(HaltMessage::Password(v)))
                        .on_submit(Message::Halt(HaltMessage::Submit)),
                ),
            ]
            .spacing(12);
            if let Some(e) = &h.error {
                body = body.push(widgets::notice(e, style::FAILED));
            }
            body = body.push(
                row![
                    button(text(tr("解除停止", "Clear the halt")))
                        .style(button::danger)
                        .on_press(Message::Halt(HaltMessage::Submit)),
                    button(text(tr("取消 (Esc)", "Cancel (Esc)")))
                        .style(button::secondary)
                        .on_press(Message::Halt(HaltMessage::Close)),
                ]
                .spacing(10),
            );
            return widgets::modal(
                base,
                widgets::dialog(&self.ctx, tr("解除停止收款", "Clear the halt"), body, 460.0),
                Message::Halt(HaltMessage::Close),
            );
        }
        if let Some(s) = &self.summary {
            return widgets::modal(
                base,
                s.view(&self.ctx).map(Message::Summary),
                Message::Summary(summary::Message::Close),
            );
        }
        if let Some(dialog) = self.updates.view(&self.ctx) {
            return widgets::modal(
                base,
                dialog.map(Message::Update),
                Message::Update(update::Message::Close),
            );
        }
        base
    }

    fn header(&self) -> Element<'_, Message> {
        let store = self
            .ctx
            .merchant
            .as_ref()
            .map_or(String::new(), |m| m.store_name.clone());
        let mode = if self.ctx.plug_in() {
            tr("插件模式", "Plug-in mode")
        } else {
            tr("完整模式", "Full mode")
        };
        // A narrow window (below 1024 wide) keeps what the cashier needs: who, and the time;
        // the store is in the title bar, the role on the login screen.
        let narrow = self.ctx.window.width < 1000.0;
        let mut r = row![
            text(tr("CloudPOS 云支付收银台", "CloudPOS cashier"))
                .size(20)
                .font(style::bold())
                .color(iced::Color::WHITE),
            text(if narrow { String::new() } else { store })
                .size(16)
                .color(iced::Color::WHITE),
            style::badge(
                mode,
                iced::Color::from_rgb8(0x0d, 0x47, 0xa1),
                iced::Color::WHITE
            ),
        ]
        .spacing(14)
        .align_y(Alignment::Center);
        if self.ctx.sandbox() {
            r = r.push(style::sandbox_badge());
        }
        r = r.push(Space::new().width(Length::Fill));
        if let Some(c) = self.updates.available() {
            r = r.push(
                button(
                    text(trs(
                        format!("有新版本 {}", c.latest),
                        format!("Version {} available", c.latest),
                    ))
                    .size(13)
                    .font(style::bold()),
                )
                .padding([3, 10])
                .style(button::success)
                .on_press(Message::Update(update::Message::Open)),
            );
        }
        if let Some(c) = &self.ctx.clerk {
            r = r.push(
                text(if narrow {
                    self.ctx.clerk_label()
                } else {
                    format!("{} · {}", self.ctx.clerk_label(), i18n::role_text(c.role))
                })
                .size(15)
                .color(iced::Color::WHITE),
            );
            r = r.push(
                button(text(tr("注销", "Log out")).size(13))
                    .style(button::secondary)
                    .on_press(Message::Logout),
            );
        }
        r = r.push(
            style::mono(
                self.ctx
                    .time(self.ctx.now)
                    .get(11..19)
                    .unwrap_or_default()
                    .to_owned(),
                15.0,
            )
            .color(iced::Color::WHITE),
        );
        container(r)
            .padding([10, 16])
            .width(Length::Fill)
            .style(style::band(style::BRAND))
            .into()
    }

    fn nav(&self) -> Element<'_, Message> {
        let logged_in = self.ctx.session.is_some();
        let mut col = column![].spacing(4).padding(8).width(Length::Fixed(172.0));
        for (screen, letter, f) in Screen::navigation(self.ctx.plug_in()) {
            let active = *screen == self.screen;
            let enabled = logged_in || *screen == Screen::Login;
            col = col.push(
                button(
                    row![
                        text(screen.title()).size(16),
                        Space::new().width(Length::Fill),
                        text(format!("F{f} {letter}")).size(12).font(style::MONO),
                    ]
                    .align_y(Alignment::Center),
                )
                .width(Length::Fill)
                .padding([9, 12])
                .style(style::nav_button(active))
                .on_press_maybe(enabled.then_some(Message::Navigate(*screen))),
            );
        }
        col = col.push(
            button(
                row![
                    text(Screen::Voice.title()).size(16),
                    Space::new().width(Length::Fill),
                    text("V").size(12).font(style::MONO),
                ]
                .align_y(Alignment::Center),
            )
            .width(Length::Fill)
            .padding([9, 12])
            .style(style::nav_button(self.screen == Screen::Voice))
            .on_press_maybe(logged_in.then_some(Message::Navigate(Screen::Voice))),
        );
        col = col.push(Space::new().height(Length::Fill));
        if self.ctx.may(Permission::ManageClerks) {
            col = col.push(
                button(row![
                    text(Screen::Clerks.title()).size(15),
                    Space::new().width(Length::Fill),
                    text("M").size(12).font(style::MONO)
                ])
                .width(Length::Fill)
                .style(style::nav_button(self.screen == Screen::Clerks))
                .on_press(Message::Navigate(Screen::Clerks)),
            );
        }
        if logged_in {
            col = col.push(
                button(row![
                    text(tr("汇总", "Summary")).size(15),
                    Space::new().width(Length::Fill),
                    text("H").size(12).font(style::MONO)
                ])
                .width(Length::Fill)
                .style(style::nav_button(false))
                .on_press(Message::ShowSummary),
            );
        }
        col = col.push(
            button(row![
                text(if self.ctx.plug_in() {
                    tr("后台运行", "Hide")
                } else {
                    tr("隐藏", "Hide")
                })
                .size(15),
                Space::new().width(Length::Fill),
                text("Ctrl+E").size(12).font(style::MONO)
            ])
            .width(Length::Fill)
            .style(style::nav_button(false))
            .on_press(Message::ToggleMain),
        );
        col = col.push(
            button(text(tr("退出", "Quit")).size(15))
                .width(Length::Fill)
                .style(style::nav_button(false))
                .on_press(Message::Quit),
        );
        container(col)
            .height(Length::Fill)
            .style(style::card)
            .into()
    }

    fn pending_view(&self) -> Element<'_, Message> {
        let mut col = column![
            row![
                text(tr(
                    "上次异常退出时未完成的支付",
                    "Payments left open when the app last stopped"
                ))
                .size(16)
                .font(style::bold()),
                Space::new().width(Length::Fill),
                button(text(tr("知道了", "Dismiss")).size(13))
                    .style(button::secondary)
                    .on_press(Message::DismissPending),
            ]
            .align_y(Alignment::Center)
        ]
        .spacing(4);
        for o in &self.pending {
            col = col.push(
                row![
                    style::mono(&o.no, 14.0),
                    style::money(o.amount, 14.0).width(Length::Fixed(100.0)),
                    text(state_text(o.state))
                        .size(14)
                        .color(style::state_color(o.state)),
                ]
                .spacing(14),
            );
        }
        if let Some(r) = &self.recovery {
            col = col.push(text(r.clone()).size(14).color(style::REVERSED));
        } else {
            col = col.push(style::hint(tr(
                "正在向云支付确认结果，超时未确认的将自动撤单…",
                "Asking Cloud Pay; those still unknown past their deadline are reversed…",
            )));
        }
        container(widgets::scroll(col).height(Length::Shrink))
            .padding([8, 16])
            .width(Length::Fill)
            .style(style::outcome_box(style::PENDING))
            .into()
    }

    fn status_bar(&self) -> Element<'_, Message> {
        let (msg, color) = self.status.clone().unwrap_or_else(|| {
            (
                if self.ctx.plug_in() {
                    tr(
                        "~ 唤起收银窗口 · Ctrl+E 显示/隐藏 · Tab/方向键切换 · Enter 确认 · Esc 取消",
                        "~ payment window · Ctrl+E show/hide · Tab/arrows move · Enter confirms · Esc cancels",
                    )
                } else {
                    tr(
                        "Ctrl+E 显示/隐藏 · Tab/方向键切换 · Enter 确认 · Esc 取消",
                        "Ctrl+E show/hide · Tab/arrows move · Enter confirms · Esc cancels",
                    )
                }
                .to_owned(),
                style::MUTED,
            )
        });
        container(text(msg).size(14).color(color))
            .padding([5, 16])
            .width(Length::Fill)
            .style(style::card)
            .into()
    }

    // ───────────────────────── subscriptions ─────────────────────────

    /// Keyboard and window events, the clock, the terminal's events and the devices.
    pub fn subscription(&self) -> Subscription<Message> {
        let mut subs = vec![
            // Key presses come from each window's key router (`focus.rs`), in order with
            // the widgets' own messages.
            iced::event::listen_with(|event, _status, id| match event {
                iced::Event::Window(
                    e @ (window::Event::Moved(_)
                    | window::Event::Resized(_)
                    | window::Event::Focused
                    | window::Event::Unfocused
                    | window::Event::CloseRequested
                    | window::Event::Closed),
                ) => Some(Message::Window(id, e)),
                _ => None,
            }),
            iced::time::every(Duration::from_millis(500)).map(|_| Message::Tick),
        ];
        if let Some(t) = &self.terminal {
            subs.push(Subscription::run_with(
                Keyed(t.clone(), 0, false),
                terminal_events,
            ));
            // One device worker for the app's life, started once the settings are known
            // (its identity does not change with the mode: a mode change is a command).
            if self.options.devices && self.start_error.is_none() && self.windows.main.is_some() {
                subs.push(Subscription::run_with(
                    Keyed(t.clone(), 1, self.ctx.plug_in()),
                    device_worker,
                ));
            }
        }
        Subscription::batch(subs)
    }
}

/// The digit of a plain digit key press (1–9).
fn digit(press: &KeyPress) -> Option<usize> {
    match press.key.as_ref() {
        iced::keyboard::Key::Character(c)
            if !press.modifiers.control() && !press.modifiers.alt() =>
        {
            c.parse::<usize>().ok().filter(|d| (1..=9).contains(d))
        }
        _ => None,
    }
}

/// The terminal as subscription data, identified by the number alone (the mode it starts
/// in does not make it another subscription).
struct Keyed(Terminal, u8, bool);

impl std::hash::Hash for Keyed {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.1.hash(state);
    }
}

fn terminal_events(k: &Keyed) -> impl iced::futures::Stream<Item = Message> + use<> {
    let mut rx = k.0.subscribe();
    iced::stream::channel(
        64,
        async move |mut out: iced::futures::channel::mpsc::Sender<Message>| {
            loop {
                match rx.recv().await {
                    Ok(e) => {
                        if out.send(Message::Terminal(e)).await.is_err() {
                            break;
                        }
                    }
                    // Missed some: reload what the screens show.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        let _ = out
                            .send(Message::Terminal(TerminalEvent::SessionChanged))
                            .await;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        },
    )
}

fn device_worker(k: &Keyed) -> impl iced::futures::Stream<Item = Message> + use<> {
    let t = k.0.clone();
    let plug_in = k.2;
    iced::stream::channel(
        64,
        async move |mut out: iced::futures::channel::mpsc::Sender<Message>| {
            let mut devices = match t.start_devices(plug_in).await {
                Ok(d) => d,
                Err(e) => {
                    let _ = out.send(Message::Done(Err(e))).await;
                    return;
                }
            };
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let _ = out.send(Message::DevicesReady(tx)).await;
            loop {
                tokio::select! {
                    event = devices.next() => match event {
                        Some(e) => {
                            if out.send(Message::Device(e)).await.is_err() {
                                break;
                            }
                        }
                        None => break,
                    },
                    command = rx.recv() => match command {
                        Some(DeviceCommand::PauseWedge(p)) => devices.pause_wedge(p),
                        Some(DeviceCommand::ApplyKeys(keys)) => {
                            if let Err(e) = devices.apply_keys(&keys) {
                                let _ = out
                                    .send(Message::Device(DeviceEvent::Problem(DeviceProblem::Hotkey(e))))
                                    .await;
                            }
                        }
                        Some(DeviceCommand::SetMode { plug_in, keys }) => {
                            if let Err(e) = devices.set_mode(&keys, plug_in) {
                                let _ = out
                                    .send(Message::Device(DeviceEvent::Problem(DeviceProblem::Hotkey(e))))
                                    .await;
                            }
                        }
                        None => break,
                    },
                }
            }
            // Keep the devices (and their hotkeys) alive as long as the subscription is.
            std::future::pending::<()>().await;
        },
    )
}
