//! The modal dialogs over the main window: the halt (an admin clears it), the summary
//! panel and the software update. Only one is open at a time; while one is, it takes the
//! keys the screen behind would.

use cloudpos_terminal::{HandoverReport, TerminalError};
use iced::widget::{button, column, row, text, text_input};
use iced::{Element, Task};

use super::{App, Message};
use crate::focus;
use crate::i18n::{self, error_text, tr};
use crate::keys::{KeyPress, Shortcut, shortcut};
use crate::screen::summary::{self, SummaryPanel};
use crate::screen::{Screen, login, notices, update};
use crate::style;
use crate::widgets;

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

impl App {
    pub(super) fn halt_message(&mut self, m: HaltMessage) -> Task<Message> {
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

    /// The title of the dialog open over the main window, if any.
    #[must_use]
    pub fn dialog_title(&self) -> Option<&'static str> {
        if self.updates.dialog.is_some() {
            return Some(tr("软件更新", "Software update"));
        }
        if self.notices.reader.is_some() {
            return Some(tr("公告", "Notices"));
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
            Screen::Members => self.members.dialog_title(),
            Screen::Basic => self
                .basic
                .reconfigure
                .as_ref()
                .map(|_| tr("重新配置商户", "Reconfigure the merchant")),
            _ => None,
        }
    }

    /// The open dialog over the main window's content, if any.
    pub(super) fn with_dialog<'a>(&'a self, base: Element<'a, Message>) -> Element<'a, Message> {
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
        if let Some(reader) = self.notices.view(&self.ctx) {
            return widgets::modal(
                base,
                reader.map(Message::Notices),
                Message::Notices(notices::Message::Close),
            );
        }
        base
    }

    /// The keys of the dialog open over the main window (`None` when none is open): each
    /// takes every key, answering those it has.
    pub(super) fn dialog_key(&mut self, press: &KeyPress) -> Option<Task<Message>> {
        let m = if self.updates.dialog.is_some() {
            self.updates.shortcut(press).map(Message::Update)
        } else if self.notices.reader.is_some() {
            self.notices.shortcut(press).map(Message::Notices)
        } else if self.halt_clear.is_some() {
            (shortcut(press) == Shortcut::Escape).then_some(Message::Halt(HaltMessage::Close))
        } else if let Some(s) = &self.summary {
            s.shortcut(press).map(Message::Summary)
        } else {
            return None;
        };
        Some(m.map_or_else(Task::none, |m| self.update(m)))
    }

    /// 汇总 (H): the logged-in clerk's shift summary.
    pub(super) fn show_summary(&mut self) -> Task<Message> {
        if self.ctx.session.is_none() {
            return self.navigate(Screen::Login);
        }
        let (panel, event) =
            SummaryPanel::for_shift(&self.ctx, self.commodities.default_dir.clone());
        self.summary = Some(panel);
        let load = self.summary_event(Some(event));
        Task::batch([load, focus::release()])
    }

    /// What the summary panel asked for: handing over and closing are the app's, the rest
    /// the panel's own.
    pub(super) fn summary_event(&mut self, event: Option<summary::Event>) -> Task<Message> {
        match event {
            Some(summary::Event::Handover) => {
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
            Some(summary::Event::Close) => {
                self.summary = None;
                if self.screen == Screen::Login {
                    focus::select(login::CLERK_FIELD)
                } else {
                    Task::none()
                }
            }
            Some(e) => match &self.summary {
                Some(s) => self.effect(|t| s.perform(e, t), Message::Summary),
                None => Task::none(),
            },
            None => Task::none(),
        }
    }

    /// The handover finished: its report over the login screen for the next clerk.
    pub(super) fn handed_over(
        &mut self,
        result: Result<HandoverReport, TerminalError>,
    ) -> Task<Message> {
        match result {
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
                    focus::release(),
                ])
            }
            Err(e) => {
                if let Some(s) = &mut self.summary {
                    s.error = Some(error_text(&e));
                }
                Task::none()
            }
        }
    }
}
