//! The application: routes messages between the screens, holds the session, and answers
//! the manuals' global shortcuts (the navigation letters and function keys, M, V, J, Q, K,
//! U, H, Ctrl+E).
//!
//! Screens never see the [`Terminal`] in `update` or `view`: they return events, and each
//! screen's `perform` turns its events into terminal calls run on iced's tokio executor,
//! whose results come back to the screen as messages. That keeps the GUI thin (every action
//! is a terminal method) and lets the headless tests drive the same code. Around this
//! module: `start` (opening the terminal, loading the shared state), `windows` (the main
//! window and window events), `plug_in` (the payment window, region overlay and touch
//! button), `chrome` (header, navigation, status bar, each window's view), `dialogs` (halt,
//! summary, software update), `effects` (where each screen's events go) and `subscriptions`
//! (the clock, terminal events, devices).

mod chrome;
mod dialogs;
mod effects;
mod head_office;
mod inspect;
mod plug_in;
mod start;
mod subscriptions;
mod windows;

use std::sync::Arc;

use cloudpos_domain::clerk::Permission;
use cloudpos_domain::order::Order;
use cloudpos_terminal::{
    DeviceEvent, EmbeddedSandbox, Event as TerminalEvent, HandoverReport, RecoveryReport, Relogin,
    Terminal, TerminalError,
};
use iced::{Size, Task, window};

pub use dialogs::{HaltClear, HaltMessage};
pub use start::{Loaded, Options, Started};
pub use subscriptions::DeviceCommand;

use crate::ctx::Ctx;
use crate::focus;
use crate::i18n::{error_text, tr};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::refund::{self, RefundScreen};
use crate::screen::region::{self, Region, Target};
use crate::screen::summary::{self, SummaryPanel};
use crate::screen::{
    Screen, basic, checkout, clerks, commodities, deposits, hotkeys, login, members, notices,
    one_code, orders, payment, printer, update, voice,
};
use crate::style;
use crate::window_geometry::WindowState;
use windows::Windows;

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
    PaymentPrepared(payment::Prepared),
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
    /// Deposits (押金).
    Deposits(deposits::Message),
    /// One-code pay printing settings.
    OneCode(one_code::Message),
    /// Member cards (会员).
    Members(members::Message),
    /// Software update.
    Update(update::Message),
    /// Notices (公告).
    Notices(notices::Message),
    /// Region overlay.
    Region(region::Message),
    /// Halt dialog.
    Halt(HaltMessage),
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
    deposits: deposits::Deposits,
    one_code: one_code::OneCode,
    members: members::Members,
    updates: update::Updates,
    notices: notices::Notices,
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
    /// The one-code pay watcher (一码支付打印), beside the reconciler.
    one_code_watcher: Option<tokio::task::JoinHandle<()>>,
    /// The head-office sync (总部同步), beside the reconciler; idle while none is configured.
    head_office_sync: Option<tokio::task::JoinHandle<()>>,
    /// The head-office link's last state, for the status bar.
    head_office: Option<tokio::sync::watch::Receiver<cloudpos_terminal::HeadOfficeStatus>>,
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
        if let Some(w) = self.one_code_watcher.take() {
            w.abort();
        }
        if let Some(h) = self.head_office_sync.take() {
            h.abort();
        }
    }
}

impl App {
    fn terminal(&self) -> Option<Terminal> {
        self.terminal.clone()
    }

    /// One terminal call of the app's own (the session, the halt, the geometry); its
    /// answer becomes a message.
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

    /// A screen's effect on the terminal (nothing before the terminal is open); `wrap`
    /// makes the screen's messages the app's.
    fn effect<M: Send + 'static>(
        &self,
        perform: impl FnOnce(&Terminal) -> Task<M>,
        wrap: impl Fn(M) -> Message + Send + 'static,
    ) -> Task<Message> {
        match &self.terminal {
            Some(t) => perform(t).map(wrap),
            None => Task::none(),
        }
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
            Message::Pending(r) => self.pending_found(r),
            Message::Recovered(r) => self.recovered(r),
            Message::DismissPending => {
                self.pending.retain(|o| !o.state.is_final());
                self.recovery = None;
                Task::none()
            }
            Message::PaymentPrepared(p) => self.payment_prepared(p),
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
            Message::RegionSaved(target, result) => self.region_saved(target, result),
            Message::HandedOver(r) => self.handed_over(r),
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
                self.refund_event(e)
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
            Message::Notices(m) => {
                let e = self.notices.update(m, &self.ctx);
                self.notices_event(e)
            }
            Message::Voice(m) => {
                if matches!(m, voice::Message::Loaded(_)) {
                    self.page_loading = false;
                }
                let e = self.voice.update(m);
                self.voice_event(e)
            }
            Message::Deposits(m) => {
                let e = self.deposits.update(m, &self.ctx);
                self.deposits_event(e)
            }
            Message::OneCode(m) => {
                if matches!(m, one_code::Message::Loaded(_)) {
                    self.page_loading = false;
                }
                let e = self.one_code.update(m);
                self.one_code_event(e)
            }
            Message::Members(m) => {
                let e = self.members.update(m, &self.ctx);
                self.members_event(e)
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

    // ───────────────────────── screens ─────────────────────────

    fn home_screen(&self) -> Screen {
        if self.ctx.cashier_mode == cloudpos_terminal::CashierMode::Deposits {
            Screen::Deposits
        } else if self.ctx.plug_in() {
            Screen::Orders
        } else {
            Screen::Checkout
        }
    }

    fn start_qr_if_needed(&self) -> Task<Message> {
        self.effect(|t| self.login.start_qr(t, self.ctx.now), Message::Login)
    }

    /// Goes to a screen. While a dialog without a field of its own is over the window (a
    /// summary, the halt), the screen behind does not take the focus: Enter and Esc then
    /// reach the dialog instead of a field it hides.
    fn navigate(&mut self, screen: Screen) -> Task<Message> {
        let task = self.go_to(screen);
        if self.summary.is_some() || self.halt_clear.is_some() || self.updates.dialog.is_some() {
            task.chain(focus::release())
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
            return Task::batch([self.start_qr_if_needed(), focus::select(login::CLERK_FIELD)]);
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
            Screen::Basic | Screen::Printer | Screen::Hotkeys | Screen::Voice | Screen::OneCode
        );
        match screen {
            Screen::Login => {
                self.login.reset();
                Task::batch([self.start_qr_if_needed(), focus::select(login::CLERK_FIELD)])
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
                Task::batch([self.commodities_event(Some(load)), focus::release()])
            }
            Screen::Orders => {
                let e = self.orders.reload(&self.ctx);
                self.orders_event(e)
            }
            Screen::Refund => Task::batch([
                self.load_recent_refunds(),
                focus::select(refund::ORDER_FIELD),
            ]),
            Screen::Basic => self.effect(basic::Basic::load, Message::Basic),
            Screen::Printer => self.effect(printer::Printer::load, Message::Printer),
            Screen::Hotkeys => self.effect(hotkeys::Hotkeys::load, Message::Hotkeys),
            Screen::Clerks => {
                let e = self.clerks.reload();
                Task::batch([self.clerks_event(e), focus::release()])
            }
            Screen::Voice => Task::batch([
                self.effect(voice::Voice::load, Message::Voice),
                focus::release(),
            ]),
            Screen::Deposits => {
                let e = self.deposits.reload(&self.ctx);
                Task::batch([
                    self.deposits_event(e),
                    focus::select(deposits::AMOUNT_FIELD),
                ])
            }
            Screen::OneCode => Task::batch([
                self.effect(one_code::OneCode::load, Message::OneCode),
                focus::release(),
            ]),
            Screen::Members => {
                let mut tasks: Vec<Task<Message>> = self
                    .members
                    .reload()
                    .into_iter()
                    .map(|e| self.members_event(Some(e)))
                    .collect();
                tasks.push(focus::select(self.members.first_field()));
                Task::batch(tasks)
            }
        }
    }

    /// The field the focus belongs in on the current screen.
    fn screen_field(&self) -> Option<&'static str> {
        match self.screen {
            Screen::Login => Some(login::CLERK_FIELD),
            Screen::Checkout => Some(self.checkout.first_field()),
            Screen::Refund => Some(refund::ORDER_FIELD),
            Screen::Deposits => Some(deposits::AMOUNT_FIELD),
            Screen::Members => Some(self.members.first_field()),
            Screen::Commodities
            | Screen::Clerks
            | Screen::Orders
            | Screen::Basic
            | Screen::Printer
            | Screen::Hotkeys
            | Screen::Voice
            | Screen::OneCode => None,
        }
    }

    fn any_in_flight(&self) -> bool {
        self.payment
            .as_ref()
            .is_some_and(payment::Payment::in_flight)
            || self.checkout.in_flight()
    }

    fn load_recent_refunds(&self) -> Task<Message> {
        self.effect(|t| self.refund.load_recent(t), Message::Refund)
    }

    // ───────────────────────── keyboard ─────────────────────────

    /// A key press in one of our windows: the payment window's and the overlay's own keys;
    /// in the main window a hotkey being recorded, the open dialog, then the screen's keys,
    /// and last the manuals' global ones.
    fn key(&mut self, id: window::Id, press: &KeyPress) -> Task<Message> {
        if self.windows.region == Some(id) {
            return match region::shortcut(press) {
                Some(m) => self.update(Message::Region(m)),
                None => Task::none(),
            };
        }
        if self.windows.payment == Some(id) {
            return match payment::shortcut(press) {
                Some(m) => self.update(Message::Payment(m)),
                None => Task::none(),
            };
        }
        if self.windows.main != Some(id) {
            return Task::none();
        }
        // Recording a hotkey takes every key.
        if self.screen == Screen::Hotkeys
            && let Some(action) = self.hotkeys.record_key(press)
        {
            return self.act(action.map(Message::Hotkeys));
        }
        let sc = shortcut(press);
        if let Shortcut::Tab { .. } = sc {
            // The window's key router moved the focus already.
            return Task::none();
        }
        if let Some(task) = self.dialog_key(press) {
            return task;
        }
        match sc {
            Shortcut::Escape => {
                return self.screen_key(press).unwrap_or_else(|| {
                    self.status = None;
                    Task::none()
                });
            }
            Shortcut::Function(n) => {
                if let Some(task) = self.screen_key(press) {
                    return task;
                }
                return match Screen::by_function_key(self.ctx.plug_in(), n) {
                    Some(s) => self.navigate(s),
                    None => Task::none(),
                };
            }
            Shortcut::ToggleMain => return self.toggle_main(),
            _ => {}
        }
        if press.captured {
            return Task::none();
        }
        if let Some(task) = self.screen_key(press) {
            return task;
        }
        let logged_in = self.ctx.session.is_some();
        match sc {
            Shortcut::Letter('M') if self.ctx.may(Permission::ManageClerks) => {
                self.navigate(Screen::Clerks)
            }
            Shortcut::Letter('V') if logged_in => self.navigate(Screen::Voice),
            Shortcut::Letter('J') if logged_in && self.ctx.cashier_mode.deposits() => {
                self.navigate(Screen::Deposits)
            }
            Shortcut::Letter('Q') if logged_in => self.navigate(Screen::OneCode),
            Shortcut::Letter('K') if logged_in => self.navigate(Screen::Members),
            Shortcut::Letter('U') if logged_in => {
                self.update(Message::Update(update::Message::Open))
            }
            Shortcut::Letter('H') if logged_in => self.show_summary(),
            Shortcut::Letter(l) => match Screen::by_letter(self.ctx.plug_in(), l) {
                Some(s) => self.navigate(s),
                None => Task::none(),
            },
            _ => Task::none(),
        }
    }

    /// The current screen's answer to a key, when the key is one of its own.
    fn screen_key(&mut self, press: &KeyPress) -> Option<Task<Message>> {
        let action = match self.screen {
            Screen::Login => self.login.shortcut(press)?.map(Message::Login),
            Screen::Checkout => self.checkout.shortcut(press)?.map(Message::Checkout),
            Screen::Commodities => self.commodities.shortcut(press)?.map(Message::Commodities),
            Screen::Orders => self.orders.shortcut(press)?.map(Message::Orders),
            Screen::Refund => self.refund.shortcut(press)?.map(Message::Refund),
            Screen::Basic => self.basic.shortcut(press)?.map(Message::Basic),
            Screen::Printer => self.printer.shortcut(press)?.map(Message::Printer),
            Screen::Hotkeys => self
                .hotkeys
                .shortcut(press, self.ctx.plug_in())?
                .map(Message::Hotkeys),
            Screen::Clerks => self.clerks.shortcut(press)?.map(Message::Clerks),
            Screen::Voice => self.voice.shortcut(press)?.map(Message::Voice),
            Screen::Deposits => self.deposits.shortcut(press)?.map(Message::Deposits),
            Screen::OneCode => self.one_code.shortcut(press)?.map(Message::OneCode),
            Screen::Members => self.members.shortcut(press)?.map(Message::Members),
        };
        Some(self.act(action))
    }

    /// Does what a key asked for, at once.
    fn act(&mut self, action: KeyAction<Message>) -> Task<Message> {
        match action {
            KeyAction::Send(m) => self.update(m),
            KeyAction::Focus(id) => focus::select(id),
            KeyAction::Swallow => Task::none(),
        }
    }

    // ───────────────────────── the session ─────────────────────────

    fn login_event(&mut self, event: Option<login::Event>) -> Task<Message> {
        match event {
            Some(login::Event::LoggedIn {
                relogin,
                auto_login,
            }) => self.logged_in(relogin, auto_login),
            Some(e) => self.effect(|t| self.login.perform(e, t, self.ctx.now), Message::Login),
            None => Task::none(),
        }
    }

    /// Someone logged in: a handover report if there was one, auto-login as they chose,
    /// then the home screen.
    fn logged_in(&mut self, relogin: Relogin, auto_login: bool) -> Task<Message> {
        if let Some(report) = relogin.handover {
            self.summary = Some(SummaryPanel::for_handover(
                report,
                &self.ctx,
                self.commodities.default_dir.clone(),
            ));
        }
        self.status = None;
        let set_auto = self.perform(
            |t| async move { t.set_auto_login(auto_login).await },
            Message::Done,
        );
        // The session is in the ledger now: reload, then go to the home screen.
        self.ctx.session = Some(relogin.session);
        Task::batch([set_auto, self.load_ctx(false)]).chain(Task::done(Message::Home))
    }
}
