//! Plug-in mode's windows over the host POS program: the payment window (the host's keys
//! pressed before and after, the amount and serial number read off its screen), the region
//! overlay that picks where to read them, and the touch button.

use std::time::Duration;

use cloudpos_domain::ports::ScreenRegion;
use cloudpos_terminal::TerminalError;
use iced::{Point, Size, Task, window};

use super::{App, Message};
use crate::focus;
use crate::geometry;
use crate::i18n::{error_text, tr};
use crate::screen::region::{self, Region, Target};
use crate::screen::{Screen, basic, payment, refund};
use crate::style;

impl App {
    pub(super) fn open_payment(&mut self, code: Option<String>) -> Task<Message> {
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
        let (amount, serial) = (self.ctx.basic.capture_amount, self.ctx.basic.capture_serial);
        self.effect(
            |t| payment::prepare(t, wallet, amount, serial),
            Message::PaymentPrepared,
        )
    }

    pub(super) fn payment_settings(&self) -> window::Settings {
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

    /// The payment window is prepared: it opens with what the capture found.
    pub(super) fn payment_prepared(&mut self, prepared: payment::Prepared) -> Task<Message> {
        let Some(p) = &mut self.payment else {
            return Task::none();
        };
        let payment::Prepared {
            keys,
            amount,
            serial,
        } = prepared;
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

    /// What the payment window asked for: closing it (pressing the host's keys after a
    /// payment), its focus, or the refund screen for the return the host shows; the payment
    /// itself is the screen's (`payment::perform`).
    pub(super) fn payment_event(&mut self, event: Option<payment::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            payment::Event::Focus(id) => {
                if let Some(p) = &mut self.payment {
                    p.field = id;
                }
                focus::select(id)
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
                let find = self.effect(
                    |t| refund::find_returned(t, since, amount, serial),
                    Message::Refund,
                );
                close.chain(show).chain(find)
            }
            e => self.effect(|t| payment::perform(e, t), Message::Payment),
        }
    }

    pub(super) fn open_region(&mut self, target: Target) -> Task<Message> {
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

    pub(super) fn region_done(
        &mut self,
        target: Target,
        region: Option<ScreenRegion>,
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
        close.chain(self.effect(
            |t| region::save(t, target, r),
            move |res| Message::RegionSaved(target, res),
        ))
    }

    pub(super) fn sync_touch_window(&mut self) -> Task<Message> {
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

    /// The region picked was saved (or not): the basic settings page shows it.
    pub(super) fn region_saved(
        &mut self,
        target: Target,
        result: Result<Option<ScreenRegion>, TerminalError>,
    ) -> Task<Message> {
        match result {
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
        }
    }
}
