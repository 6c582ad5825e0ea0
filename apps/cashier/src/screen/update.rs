//! 软件更新 Software update: the app asks the update feed in the background (at start and
//! every few hours, never waiting for it), the header says 有新版本 X when there is one, and
//! this dialog shows the running and the latest version with the release notes. Only an
//! admin (商户管理员 or 服务商管理员) installs, with their password; the terminal refuses
//! while a payment or refund is open, and the dialog shows its words. The running program
//! goes on as the old version until it is restarted.

use std::path::Path;
use std::time::Duration;

use cloudpos_domain::clerk::Role;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{
    CURRENT_VERSION, Terminal, TerminalError, UpdateApplied, UpdateCheck, UpdateError, UpdateTarget,
};
use iced::widget::{Space, button, column, container, row, text, text_input};
use iced::{Alignment, Element, Length, Task};

use crate::ctx::Ctx;
use crate::focus;
use crate::i18n::{error_text, role_text, tr, trs};
use crate::keys::{KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::style;
use crate::widgets;

/// Id of the admin password field.
pub const PASSWORD_FIELD: &str = "update-password";

/// How often the feed is asked while the app runs.
pub const CHECK_EVERY: Duration = Duration::from_secs(4 * 3600);
/// How soon a check that could not reach the feed is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(30 * 60);

/// What the feed said last.
#[derive(Debug, Clone)]
pub enum Known {
    /// The feed's latest release, compared with this version.
    Checked(UpdateCheck),
    /// No feed is configured on this till.
    NoFeed,
    /// The check failed (in words).
    Failed(String),
}

/// The dialog.
#[derive(Debug, Clone, Default)]
pub struct Dialog {
    /// The admin's password, as typed.
    pub password: String,
    /// Installing.
    pub applying: bool,
    /// Why the install was refused or failed, in words.
    pub error: Option<String>,
    /// The version installed.
    pub applied: Option<UpdateApplied>,
}

/// The app's software update state: the last answer of the feed and the dialog.
#[derive(Debug, Clone, Default)]
pub struct Updates {
    /// What the feed said last, if it was asked.
    pub known: Option<Known>,
    /// A check is on its way.
    pub checking: bool,
    /// The next background check is due at this time (`None`: at once).
    pub next_check: Option<Timestamp>,
    /// The dialog, when open.
    pub dialog: Option<Dialog>,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// The feed answered (or not).
    Checked(Result<UpdateCheck, TerminalError>),
    /// Open the dialog (the header's 有新版本, 基础配置's 软件更新).
    Open,
    /// 检查更新.
    CheckNow,
    /// Password typed.
    Password(String),
    /// 安装更新.
    Apply,
    /// The install finished.
    Applied(Result<UpdateApplied, TerminalError>),
    /// Close the dialog.
    Close,
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Ask the feed.
    Check,
    /// Install the feed's release, confirmed with the admin's password.
    Apply {
        /// The logged-in admin's password.
        password: String,
    },
    /// Put the focus in a field.
    Focus(&'static str),
    /// Take the focus from every field.
    Unfocus,
}

/// Whether the logged-in clerk may install updates (商户管理员 or 服务商管理员).
#[must_use]
pub fn may_apply(ctx: &Ctx) -> bool {
    ctx.clerk
        .as_ref()
        .is_some_and(|c| c.role.rank() >= Role::MerchantAdmin.rank())
}

impl Updates {
    /// Runs an event's terminal call (or moves the focus). An install goes into
    /// `program_dir` (`None`: the running program's own folder) with the data directory
    /// `home`.
    pub fn perform(
        &self,
        event: Event,
        terminal: &Terminal,
        home: &Path,
        program_dir: Option<&Path>,
    ) -> Task<Message> {
        match event {
            Event::Check => call(
                terminal,
                |t| async move { t.check_update().await },
                Message::Checked,
            ),
            Event::Apply { password } => {
                let home = home.to_owned();
                let program_dir = program_dir.map(Path::to_owned);
                call(
                    terminal,
                    move |t| async move {
                        let target = match program_dir {
                            Some(program_dir) => UpdateTarget {
                                program_dir,
                                data_dir: home,
                            },
                            None => UpdateTarget::running(&home)?,
                        };
                        t.apply_update(&password, &target).await
                    },
                    Message::Applied,
                )
            }
            Event::Focus(id) => focus::select(id),
            Event::Unfocus => focus::release(),
        }
    }

    /// The dialog's keys: Esc closes it; it takes every other key (the screen behind waits).
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<Message> {
        (shortcut(press) == Shortcut::Escape).then_some(Message::Close)
    }

    /// The newer version the feed offers, if any: the header's 有新版本 X.
    #[must_use]
    pub fn available(&self) -> Option<&UpdateCheck> {
        match &self.known {
            Some(Known::Checked(c)) if c.available => Some(c),
            _ => None,
        }
    }

    /// Whether a background check is due at `now`.
    #[must_use]
    pub fn due(&self, now: Timestamp) -> bool {
        !self.checking && self.next_check.is_none_or(|at| now >= at)
    }

    /// Starts a check (the app runs it): `Some(Event::Check)` unless one is on its way.
    pub fn start_check(&mut self) -> Option<Event> {
        if self.checking {
            return None;
        }
        self.checking = true;
        Some(Event::Check)
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
        match message {
            Message::Checked(result) => {
                self.checking = false;
                let (known, again) = match result {
                    Ok(c) => (Known::Checked(c), CHECK_EVERY),
                    Err(TerminalError::Update(UpdateError::NoFeed)) => (Known::NoFeed, CHECK_EVERY),
                    Err(e) => {
                        tracing::info!("update check: {e}");
                        (Known::Failed(error_text(&e)), RETRY_AFTER)
                    }
                };
                self.known = Some(known);
                self.next_check = Some(ctx.now.plus(again));
                let ready = self.dialog.as_ref().is_some_and(|d| d.applied.is_none())
                    && may_apply(ctx)
                    && self.available().is_some_and(|c| c.blocked.is_none());
                ready.then_some(Event::Focus(PASSWORD_FIELD))
            }
            Message::Open => {
                if self.dialog.is_none() {
                    self.dialog = Some(Dialog::default());
                }
                // The dialog shows what the feed says now.
                let check = self.start_check();
                check.or(Some(if may_apply(ctx) && self.available().is_some() {
                    Event::Focus(PASSWORD_FIELD)
                } else {
                    Event::Unfocus
                }))
            }
            Message::CheckNow => self.start_check(),
            Message::Password(v) => {
                if let Some(d) = &mut self.dialog {
                    d.password = v;
                    d.error = None;
                }
                None
            }
            Message::Apply => {
                let available = self.available().is_some();
                let d = self.dialog.as_mut()?;
                if d.applying || d.applied.is_some() || !available || !may_apply(ctx) {
                    return None;
                }
                if d.password.is_empty() {
                    d.error = Some(tr("请输入管理员密码", "Type the admin's password").to_owned());
                    return Some(Event::Focus(PASSWORD_FIELD));
                }
                d.applying = true;
                d.error = None;
                Some(Event::Apply {
                    password: std::mem::take(&mut d.password),
                })
            }
            Message::Applied(result) => {
                let d = self.dialog.get_or_insert_with(Dialog::default);
                d.applying = false;
                match result {
                    Ok(applied) => {
                        d.applied = Some(applied);
                        // What runs is still this version until the restart.
                        self.next_check = None;
                        None
                    }
                    Err(e) => {
                        d.error = Some(error_text(&e));
                        Some(Event::Focus(PASSWORD_FIELD))
                    }
                }
            }
            Message::Close => {
                if !self.dialog.as_ref().is_some_and(|d| d.applying) {
                    self.dialog = None;
                }
                None
            }
        }
    }

    /// The dialog's body, when it is open.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Option<Element<'a, Message>> {
        let d = self.dialog.as_ref()?;
        let line = |label: &str, value: Element<'a, Message>| {
            row![
                text(label.to_owned()).size(16).width(Length::Fixed(110.0)),
                value
            ]
            .spacing(8)
            .align_y(Alignment::Center)
        };
        let mut body = column![line(
            tr("当前版本", "Running"),
            style::mono(CURRENT_VERSION, 16.0).into()
        )]
        .spacing(12);
        match &self.known {
            None => body = body.push(style::hint(tr("正在检查更新…", "Checking…"))),
            Some(Known::NoFeed) => {
                body = body.push(widgets::notice(
                    &trs(
                        format!(
                            "当前版本 {CURRENT_VERSION}。本安装未配置更新服务器，无法在线检查或下载更新；请向服务商索取新版本安装包。"
                        ),
                        format!(
                            "Version {CURRENT_VERSION}. No update server is configured for this installation, so updates cannot be checked or downloaded here; ask your service provider for a new installer."
                        ),
                    ),
                    style::REVERSED,
                ));
            }
            Some(Known::Failed(e)) => {
                body = body.push(widgets::notice(
                    &trs(
                        format!("无法检查更新：{e}"),
                        format!("Cannot check for updates: {e}"),
                    ),
                    style::FAILED,
                ));
            }
            Some(Known::Checked(c)) => {
                body = body.push(line(
                    tr("最新版本", "Latest"),
                    style::mono(&c.latest, 16.0)
                        .color(if c.available {
                            style::BRAND
                        } else {
                            style::MUTED
                        })
                        .into(),
                ));
                if c.available {
                    body = body.push(
                        text(trs(
                            format!("有新版本 {}", c.latest),
                            format!("Version {} is available", c.latest),
                        ))
                        .size(18)
                        .font(style::bold())
                        .color(style::BRAND),
                    );
                } else {
                    body = body.push(widgets::notice(
                        tr("已是最新版本", "This is the latest version"),
                        style::PAID,
                    ));
                }
                if !c.notes.trim().is_empty() {
                    body = body.push(widgets::field(
                        tr("更新说明", "Release notes"),
                        container(widgets::scroll(text(c.notes.clone()).size(15)))
                            .padding([8, 10])
                            .max_height(180.0)
                            .width(Length::Fill)
                            .style(style::card),
                    ));
                }
                if c.available && c.blocked.is_some() {
                    tracing::info!("update blocked: {:?}", c.blocked);
                    body = body.push(widgets::notice(
                        &match &c.min_version {
                            Some(min) => trs(
                                format!(
                                    "{} 需先升级到 {min} 或更高版本，本机是 {}：请先安装中间版本",
                                    c.latest, c.current
                                ),
                                format!(
                                    "{} needs {min} or later installed first; this till runs {}",
                                    c.latest, c.current
                                ),
                            ),
                            None => tr(
                                "此更新包不适用于本机平台",
                                "This release is for another platform",
                            )
                            .to_owned(),
                        },
                        style::PENDING,
                    ));
                }
            }
        }
        if self.checking && self.known.is_some() {
            body = body.push(style::hint(tr("正在检查更新…", "Checking…")));
        }

        let installable = self.available().is_some_and(|c| c.blocked.is_none());
        if let Some(a) = &d.applied {
            body = body.push(widgets::notice(
                &trs(
                    format!(
                        "已安装 {}（原版本 {}）：请退出并重新打开收银台，新版本才会运行",
                        a.to, a.from
                    ),
                    format!(
                        "{} is installed (was {}): quit and start the cashier again to run it",
                        a.to, a.from
                    ),
                ),
                style::PAID,
            ));
        } else if installable {
            if may_apply(ctx) {
                body = body.push(widgets::field(
                    tr(
                        "管理员密码（确认安装）",
                        "Admin password (confirms the install)",
                    ),
                    text_input("", &d.password)
                        .id(PASSWORD_FIELD)
                        .secure(true)
                        .on_input(Message::Password)
                        .on_submit(Message::Apply),
                ));
                body = body.push(style::hint(tr(
                    "安装前会校验签名和文件；收银记录和配置不受影响。有未完成的收款或退款时不能安装。",
                    "The signature and files are checked first; records and settings are kept. Not while a payment or refund is open.",
                )));
            } else {
                let who = ctx
                    .clerk
                    .as_ref()
                    .map_or(tr("未登录", "nobody logged in"), |c| role_text(c.role));
                body = body.push(widgets::notice(
                    &trs(
                        format!("只有商户管理员或服务商管理员可以安装更新（当前：{who}）"),
                        format!("Only a merchant or provider admin installs updates (now: {who})"),
                    ),
                    style::PENDING,
                ));
            }
        }
        if let Some(e) = &d.error {
            body = body.push(widgets::notice(e, style::FAILED));
        }
        let mut buttons = row![].spacing(10).align_y(Alignment::Center);
        if d.applied.is_none() && installable {
            buttons = buttons.push(
                button(text(if d.applying {
                    tr("正在安装…", "Installing…")
                } else {
                    tr("安装更新", "Install")
                }))
                .padding(10)
                .on_press_maybe((!d.applying && may_apply(ctx)).then_some(Message::Apply)),
            );
        }
        buttons = buttons.push(
            button(text(tr("检查更新", "Check again")))
                .style(button::secondary)
                .padding(10)
                .on_press_maybe((!self.checking && !d.applying).then_some(Message::CheckNow)),
        );
        buttons = buttons.push(Space::new().width(Length::Fill));
        buttons = buttons.push(
            button(text(tr("关闭 (Esc)", "Close (Esc)")))
                .style(button::secondary)
                .padding(10)
                .on_press_maybe((!d.applying).then_some(Message::Close)),
        );
        body = body.push(buttons);
        Some(widgets::dialog(
            ctx,
            tr("软件更新", "Software update"),
            widgets::scroll(body),
            560.0,
        ))
    }
}
