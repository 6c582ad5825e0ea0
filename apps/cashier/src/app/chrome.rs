//! The chrome around the screens: the header (store, mode, clerk, clock), the navigation,
//! the halt band, the payments a crash left open, the status bar; and the view of each
//! window inside its key router.

use iced::widget::{Space, button, column, container, row, text};
use iced::{Alignment, Element, Length, window};

use super::dialogs::HaltMessage;
use super::{App, Message};
use crate::focus::KeyRouter;
use crate::i18n::{self, state_text, tr, trs};
use crate::screen::{Screen, refund, update};
use crate::style;
use crate::widgets;
use cloudpos_domain::clerk::Permission;

impl App {
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
        if self.summary.is_some()
            || self.halt_clear.is_some()
            || self.updates.dialog.is_some()
            || self.notices.reader.is_some()
        {
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
            Screen::Deposits => self.deposits.settling(),
            Screen::OneCode => self.page_loading || self.one_code.busy,
            Screen::Members => self.members.settling(),
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
            Screen::Deposits => self.deposits.view(&self.ctx).map(Message::Deposits),
            Screen::OneCode => self.one_code.view(&self.ctx).map(Message::OneCode),
            Screen::Members => self.members.view(&self.ctx).map(Message::Members),
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
        self.with_dialog(base)
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
        if self.terminal.is_some() {
            r = r.push(self.notices.badge().map(Message::Notices));
        }
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
        if self.ctx.cashier_mode.deposits() {
            col = col.push(
                button(
                    row![
                        text(Screen::Deposits.title()).size(16),
                        Space::new().width(Length::Fill),
                        text("J").size(12).font(style::MONO),
                    ]
                    .align_y(Alignment::Center),
                )
                .width(Length::Fill)
                .padding([9, 12])
                .style(style::nav_button(self.screen == Screen::Deposits))
                .on_press_maybe(logged_in.then_some(Message::Navigate(Screen::Deposits))),
            );
        }
        col = col.push(
            button(
                row![
                    text(Screen::Members.title()).size(16),
                    Space::new().width(Length::Fill),
                    text("K").size(12).font(style::MONO),
                ]
                .align_y(Alignment::Center),
            )
            .width(Length::Fill)
            .padding([9, 12])
            .style(style::nav_button(self.screen == Screen::Members))
            .on_press_maybe(logged_in.then_some(Message::Navigate(Screen::Members))),
        );
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
        col = col.push(
            button(
                row![
                    text(Screen::OneCode.title()).size(16),
                    Space::new().width(Length::Fill),
                    text("Q").size(12).font(style::MONO),
                ]
                .align_y(Alignment::Center),
            )
            .width(Length::Fill)
            .padding([9, 12])
            .style(style::nav_button(self.screen == Screen::OneCode))
            .on_press_maybe(logged_in.then_some(Message::Navigate(Screen::OneCode))),
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
        let head_office = self
            .head_office
            .as_ref()
            .and_then(|rx| super::head_office::status_line(&rx.borrow()));
        let mut line = row![text(msg).size(14).color(color)].align_y(Alignment::Center);
        if let Some((hq, hq_color)) = head_office {
            line = line
                .push(Space::new().width(Length::Fill))
                .push(text(hq).size(14).color(hq_color));
        }
        container(line)
            .padding([5, 16])
            .width(Length::Fill)
            .style(style::card)
            .into()
    }
}
