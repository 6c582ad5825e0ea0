//! The modal dialogs over the main window: the halt (an admin clears it), the summary
//! panel and the software update. Only one is open at a time.

use cloudpos_terminal::TerminalError;
use iced::widget::{button, column, row, text, text_input};
use iced::{Element, Task};

use super::{App, Message};
use crate::i18n::{self, error_text, tr};
use crate::screen::{Screen, summary, update};
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
        base
    }
}
