//! What reaches the app unasked: the clock, the terminal's events and the devices (global
//! hotkeys, scanners, the scanner box), the subscriptions that deliver them, and what the
//! app does with each.

use std::time::Duration;

use cloudpos_terminal::{
    DeviceEvent, DeviceProblem, Event as TerminalEvent, HotkeyAction, KeySettings, Terminal,
};
use iced::futures::SinkExt;
use iced::{Subscription, Task, window};

use super::{App, Message};
use crate::i18n;
use crate::screen::region::Target;
use crate::screen::{
    Screen, checkout, deposits, login, members, one_code, orders, payment, refund,
};
use crate::style;

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

impl App {
    pub(super) fn tick(&mut self) -> Task<Message> {
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
        if self.terminal.is_some() && self.notices.due(now) {
            // Asks the cloud at start and every few minutes, in the background.
            let e = self.notices.start_fetch();
            tasks.push(self.notices_event(e));
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
        if self.screen == Screen::Deposits && self.deposits.auth.is_some() {
            tasks.push(self.update(Message::Deposits(deposits::Message::Tick(now))));
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

    pub(super) fn terminal_event(&mut self, event: TerminalEvent) -> Task<Message> {
        match event {
            TerminalEvent::Order(o) => {
                if let Some(p) = &mut self.payment {
                    let _ = p.update(payment::Message::Update(o.clone()), &self.ctx);
                }
                let _ = self
                    .checkout
                    .update(checkout::Message::Update(o.clone()), &self.ctx);
                // A recharge followed after an unknown result: its end reloads the card.
                let e = self
                    .members
                    .update(members::Message::Update(o.clone()), &self.ctx);
                // (Elsewhere the card is read again when the screen opens.)
                let reload = if self.screen == Screen::Members {
                    self.members_event(e)
                } else {
                    Task::none()
                };
                if let Some(p) = self.pending.iter_mut().find(|p| p.no == o.no) {
                    *p = o;
                }
                self.orders_dirty = true;
                reload
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
            TerminalEvent::OneCodePaid(p) => {
                self.notify(i18n::one_code_paid_text(p.wallet, p.amount), style::PAID);
                if self.screen == Screen::OneCode {
                    self.effect(one_code::OneCode::load, Message::OneCode)
                } else {
                    Task::none()
                }
            }
            TerminalEvent::NoticesChanged => {
                self.notices_event(Some(crate::screen::notices::Event::Load))
            }
            TerminalEvent::PrintFailed { what, reason } => {
                self.notify(i18n::print_failed_text(&what, &reason), style::FAILED);
                Task::none()
            }
        }
    }

    pub(super) fn device_event(&mut self, event: DeviceEvent) -> Task<Message> {
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
