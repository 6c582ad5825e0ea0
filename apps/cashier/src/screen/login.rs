//! 登录 Login (L/F1): scan a QR code with a phone (扫码登录) beside clerk ID + password
//! (账号密码登录), the auto-login check box, the store and device, errors inline.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::ports::ApprovalTicket;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{Relogin, Terminal, TerminalError};
use iced::widget::qr_code::Data;
use iced::widget::{Space, button, checkbox, column, container, qr_code, row, text, text_input};
use iced::{Alignment, Element, Length, Task};

use crate::ctx::Ctx;
use crate::focus;
use crate::i18n::{error_text, tr, trs};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::style;
use crate::widgets;

/// Id of the clerk ID field.
pub const CLERK_FIELD: &str = "login-clerk";
/// Id of the password field.
pub const PASSWORD_FIELD: &str = "login-password";

/// How often the QR login is polled.
const POLL_EVERY_MS: i64 = 1_500;

/// The login screen.
#[derive(Debug, Default)]
pub struct Login {
    /// Clerk ID typed.
    pub clerk_id: String,
    /// Password typed.
    pub password: String,
    /// 自动登录.
    pub auto_login: bool,
    /// Inline error (wrong password, locked until …).
    pub error: Option<String>,
    /// A login is being checked.
    pub busy: bool,
    qr: Option<Qr>,
    qr_error: Option<String>,
    polling: bool,
    last_poll: Option<Timestamp>,
}

#[derive(Debug)]
struct Qr {
    ticket: ApprovalTicket,
    data: Data,
}

/// What the cashier did.
#[derive(Debug, Clone)]
pub enum Message {
    /// Clerk ID typed.
    ClerkId(String),
    /// Password typed.
    Password(String),
    /// 自动登录 toggled.
    AutoLogin(bool),
    /// Enter in the clerk field: go to the password.
    NextField,
    /// 登录.
    Submit,
    /// The login's result.
    Done(Result<Relogin, TerminalError>),
    /// 刷新二维码.
    RefreshQr,
    /// A QR challenge was opened.
    QrTicket(Result<ApprovalTicket, TerminalError>),
    /// The QR challenge was polled.
    QrPolled(Result<Option<Relogin>, TerminalError>),
    /// Time passed (polls the QR challenge).
    Tick(Timestamp),
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Check the password and log in (handing over another clerk's shift).
    Login {
        /// Clerk.
        id: ClerkId,
        /// Password.
        password: String,
    },
    /// Open a QR login challenge.
    StartQr,
    /// Ask whether the QR challenge was approved.
    PollQr(String),
    /// Move the keyboard focus.
    Focus(&'static str),
    /// Logged in.
    LoggedIn {
        /// The session and any handover.
        relogin: Relogin,
        /// Whether auto-login was chosen.
        auto_login: bool,
    },
}

impl Login {
    /// Clears the form for the next login (keeps the QR code).
    pub fn reset(&mut self) {
        self.password.clear();
        self.error = None;
        self.busy = false;
    }

    /// The QR challenge shown (its token and approval page), if any.
    #[must_use]
    pub fn qr_ticket(&self) -> Option<&ApprovalTicket> {
        self.qr.as_ref().map(|q| &q.ticket)
    }

    /// Whether a fresh QR challenge is needed (none, or expired).
    #[must_use]
    pub fn needs_qr(&self, now: Timestamp) -> bool {
        self.qr_error.is_none() && self.qr.as_ref().is_none_or(|q| q.ticket.expires_at <= now)
    }

    /// Opens a QR login challenge when one is needed (none shown, or it expired).
    pub fn start_qr(&self, terminal: &Terminal, now: Timestamp) -> Task<Message> {
        if self.needs_qr(now) {
            call(
                terminal,
                |t| async move { t.start_qr_login().await },
                Message::QrTicket,
            )
        } else {
            Task::none()
        }
    }

    /// Runs an event's terminal call (or moves the focus). [`Event::LoggedIn`] is the app's:
    /// it starts the session.
    pub fn perform(&self, event: Event, terminal: &Terminal, now: Timestamp) -> Task<Message> {
        match event {
            Event::Login { id, password } => call(
                terminal,
                |t| async move { t.login_with_handover(&id, &password).await },
                Message::Done,
            ),
            Event::StartQr => self.start_qr(terminal, now),
            Event::PollQr(token) => call(
                terminal,
                |t| async move { t.finish_qr_login_with_handover(&token).await },
                Message::QrPolled,
            ),
            Event::Focus(id) => focus::select(id),
            Event::LoggedIn { .. } => Task::none(),
        }
    }

    /// The screen's keys: Enter logs in.
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<KeyAction<Message>> {
        (shortcut(press) == Shortcut::Enter).then_some(KeyAction::Send(Message::Submit))
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::ClerkId(v) => {
                self.clerk_id = v.trim().to_owned();
                self.error = None;
                None
            }
            Message::Password(v) => {
                self.password = v;
                self.error = None;
                None
            }
            Message::AutoLogin(on) => {
                self.auto_login = on;
                None
            }
            Message::NextField => Some(Event::Focus(PASSWORD_FIELD)),
            Message::Submit => {
                if self.busy {
                    return None;
                }
                let id = match ClerkId::parse(&self.clerk_id) {
                    Ok(id) => id,
                    Err(e) => {
                        self.error = Some(crate::i18n::clerk_id_error_text(&e));
                        return Some(Event::Focus(CLERK_FIELD));
                    }
                };
                if self.password.is_empty() {
                    self.error = Some(tr("请输入密码", "Enter the password").to_owned());
                    return Some(Event::Focus(PASSWORD_FIELD));
                }
                self.busy = true;
                self.error = None;
                Some(Event::Login {
                    id,
                    password: self.password.clone(),
                })
            }
            Message::Done(result) => {
                self.busy = false;
                match result {
                    Ok(relogin) => {
                        self.password.clear();
                        Some(Event::LoggedIn {
                            relogin,
                            auto_login: self.auto_login,
                        })
                    }
                    Err(e) => {
                        self.error = Some(error_text(&e));
                        self.password.clear();
                        Some(Event::Focus(PASSWORD_FIELD))
                    }
                }
            }
            Message::RefreshQr => {
                self.qr = None;
                self.qr_error = None;
                Some(Event::StartQr)
            }
            Message::QrTicket(Ok(ticket)) => {
                match Data::new(ticket.approve_url.as_bytes()) {
                    Ok(data) => {
                        self.qr = Some(Qr { ticket, data });
                        self.qr_error = None;
                    }
                    Err(e) => {
                        tracing::warn!("login QR code: {e}");
                        self.qr_error = Some(
                            tr("无法生成登录二维码", "The QR code could not be drawn").to_owned(),
                        );
                    }
                }
                None
            }
            Message::QrTicket(Err(e)) => {
                self.qr_error = Some(error_text(&e));
                None
            }
            Message::QrPolled(result) => {
                self.polling = false;
                match result {
                    Ok(None) => None,
                    Ok(Some(relogin)) => {
                        self.qr = None;
                        Some(Event::LoggedIn {
                            relogin,
                            auto_login: self.auto_login,
                        })
                    }
                    Err(e) => {
                        self.qr = None;
                        self.qr_error = Some(error_text(&e));
                        None
                    }
                }
            }
            Message::Tick(now) => {
                let qr = self.qr.as_ref()?;
                if qr.ticket.expires_at <= now {
                    self.qr = None;
                    return Some(Event::StartQr);
                }
                let due = self
                    .last_poll
                    .is_none_or(|t| now.unix_millis() - t.unix_millis() >= POLL_EVERY_MS);
                if self.polling || !due {
                    return None;
                }
                self.polling = true;
                self.last_poll = Some(now);
                Some(Event::PollQr(qr.ticket.token.clone()))
            }
        }
    }

    /// Draws the screen.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let merchant = ctx.merchant.as_ref();
        let store = merchant.map_or(String::new(), |m| {
            trs(
                format!("门店 {} · 设备 {}", m.store_name, m.device_id),
                format!("Store {} · device {}", m.store_name, m.device_id),
            )
        });

        let qr_panel: Element<'_, Message> = match (&self.qr, &self.qr_error) {
            (Some(qr), _) => column![
                container(qr_code(&qr.data).total_size(220.0)).padding(6),
                text(tr(
                    "店长或店员用手机扫码登录",
                    "Scan with your phone to log in"
                ))
                .size(15),
                style::hint(qr.ticket.approve_url.clone()),
                style::hint(trs(
                    format!(
                        "{} 秒后过期",
                        widgets::secs_between(ctx.now, qr.ticket.expires_at)
                    ),
                    format!(
                        "expires in {} s",
                        widgets::secs_between(ctx.now, qr.ticket.expires_at)
                    ),
                )),
            ]
            .spacing(6)
            .align_x(Alignment::Center)
            .into(),
            (None, Some(err)) => column![
                widgets::notice(err, style::FAILED),
                button(text(tr("刷新二维码", "New QR code")))
                    .style(button::secondary)
                    .on_press(Message::RefreshQr),
            ]
            .spacing(10)
            .into(),
            (None, None) => text(tr("正在生成二维码…", "Preparing the QR code…")).into(),
        };
        let qr_card = container(
            column![style::heading(tr("扫码登录", "QR login")), qr_panel]
                .spacing(12)
                .align_x(Alignment::Center),
        )
        .padding(20)
        .width(Length::Fixed(330.0))
        .style(style::card);

        let mut form = column![
            style::heading(tr("账号密码登录", "Clerk ID and password")),
            widgets::field(
                tr("店员 ID", "Clerk ID"),
                text_input(tr("例如 01", "e.g. 01"), &self.clerk_id)
                    .id(CLERK_FIELD)
                    .on_input(Message::ClerkId)
                    .on_submit(Message::NextField)
                    .font(style::MONO)
                    .size(18)
                    .padding(8),
            ),
            widgets::field(
                tr("密码", "Password"),
                text_input(tr("密码", "Password"), &self.password)
                    .id(PASSWORD_FIELD)
                    .secure(true)
                    .on_input(Message::Password)
                    .on_submit(Message::Submit)
                    .size(18)
                    .padding(8),
            ),
            checkbox(self.auto_login)
                .label(tr(
                    "自动登录（下次启动直接进入）",
                    "Auto-login (resume at next start)"
                ))
                .on_toggle(Message::AutoLogin),
        ]
        .spacing(14);
        if let Some(err) = &self.error {
            form = form.push(widgets::notice(err, style::FAILED));
        }
        form = form.push(
            button(
                text(if self.busy {
                    tr("正在登录…", "Logging in…")
                } else {
                    tr("登录 (Enter)", "Log in (Enter)")
                })
                .size(18)
                .width(Length::Fill)
                .align_x(Alignment::Center),
            )
            .width(Length::Fill)
            .padding(10)
            .on_press_maybe((!self.busy).then_some(Message::Submit)),
        );
        if let Some(s) = &ctx.session {
            let who = s.clerk_id.to_string();
            form = form.push(style::hint(trs(
                format!("当前班次：店员 {who}，自 {} 起。其他店员登录将交接此班并显示汇总。", ctx.time(s.since)),
                format!("Open shift: clerk {who} since {}. Another clerk logging in hands it over and shows its summary.", ctx.time(s.since)),
            )));
        }
        if merchant.is_some_and(|m| m.embedded) {
            form = form.push(style::hint(tr(
                "演示账号：01 / 0101（商户管理员）· 02 / 0202（店员）",
                "Demo clerks: 01 / 0101 (admin) · 02 / 0202 (clerk)",
            )));
            if ctx.plug_in() {
                form = form.push(style::hint(tr(
                    "演示门店已备好约 20 种商品：在基础配置 (D) 选完整模式即可试用收银",
                    "The demo shop has some 20 commodities: choose full mode in Basic settings (D) to try the checkout",
                )));
            }
        }
        let form_card = container(form)
            .padding(20)
            .width(Length::Fixed(380.0))
            .style(style::card);

        column![
            text(store).size(16).color(style::MUTED),
            row![qr_card, form_card]
                .spacing(24)
                .align_y(Alignment::Start),
            Space::new().height(Length::Fill),
        ]
        .spacing(16)
        .padding(24)
        .align_x(Alignment::Center)
        .width(Length::Fill)
        .into()
    }
}
