//! Drawing the deposit screen: the freeze form, the filtered list, and the selected
//! deposit with 消费 / 解冻 and its slip.

use cloudpos_domain::deposit::{Deposit, DepositStatus};
use iced::widget::{Space, button, column, container, qr_code, row, text, text_input};
use iced::{Alignment, Color, Element, Length};

use super::{
    AMOUNT_FIELD, Auth, AuthMode, Busy, CODE_FIELD, CONSUME_FIELD, Deposits, MANAGER_FIELD,
    Message, PAGE_SIZE, status_text,
};
use crate::ctx::Ctx;
use crate::i18n::{tr, trs, wallet_text};
use crate::style;
use crate::widgets;

/// The colour of a deposit's status.
fn color(status: DepositStatus) -> Color {
    match status {
        DepositStatus::Frozen => style::BRAND,
        DepositStatus::Consumed => style::PAID,
        DepositStatus::Unfrozen => style::REVERSED,
        DepositStatus::Failed => style::FAILED,
        DepositStatus::Unknown => style::PENDING,
    }
}

impl Deposits {
    /// Draws the screen.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let mut col = column![self.freeze_view()].spacing(10);
        if let Some(e) = &self.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        if let Some(n) = &self.notice {
            col = col.push(widgets::notice(n, style::PAID));
        }
        col = col.push(
            row![
                container(self.list_view(ctx))
                    .width(Length::FillPortion(3))
                    .height(Length::Fill),
                container(self.detail_view(ctx))
                    .width(Length::FillPortion(2))
                    .height(Length::Fill),
            ]
            .spacing(10)
            .height(Length::Fill),
        );
        container(col).padding(12).height(Length::Fill).into()
    }

    fn freeze_view(&self) -> Element<'_, Message> {
        let freezing = self.busy == Some(Busy::Freezing);
        let form = row![
            widgets::field(
                tr("押金金额（元）", "Deposit (yuan)"),
                text_input("0.00", &self.amount)
                    .id(AMOUNT_FIELD)
                    .on_input(Message::Amount)
                    .on_submit(Message::AmountDone)
                    .font(style::MONO)
                    .size(20)
                    .align_x(Alignment::End)
                    .padding(6)
                    .width(Length::Fixed(130.0)),
            ),
            widgets::field(
                tr("顾客付款码（扫码）", "Customer's payment code (scan)"),
                text_input(tr("扫描后自动冻结", "Freezes when scanned"), &self.code)
                    .id(CODE_FIELD)
                    .on_input(Message::Code)
                    .on_submit(Message::Freeze)
                    .font(style::MONO)
                    .size(18)
                    .padding(7),
            ),
            widgets::field(
                tr("备注（房号、租借物品）", "Remark (room, item)"),
                text_input("", &self.remark)
                    .on_input(Message::Remark)
                    .on_submit(Message::Freeze)
                    .padding(8)
                    .width(Length::Fixed(150.0)),
            ),
            column![
                Space::new().height(18),
                button(text(if freezing {
                    tr("正在冻结…", "Freezing…")
                } else {
                    tr("冻结押金", "Freeze")
                }))
                .padding([9, 14])
                .on_press_maybe((!freezing).then_some(Message::Freeze)),
            ],
        ]
        .spacing(10)
        .align_y(Alignment::End);
        let mut c = column![style::heading(tr("冻结押金", "Freeze a deposit")), form].spacing(8);
        if freezing {
            c = c.push(style::hint(tr(
                "等待顾客确认… 未能确认的押金会全部解冻，不会被悄悄冻结",
                "Waiting for the customer… a freeze that cannot be confirmed is released in full",
            )));
        }
        container(c)
            .padding(12)
            .width(Length::Fill)
            .style(style::card)
            .into()
    }

    fn list_view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let mut chips = row![].spacing(4);
        for s in [
            None,
            Some(DepositStatus::Frozen),
            Some(DepositStatus::Consumed),
            Some(DepositStatus::Unfrozen),
            Some(DepositStatus::Failed),
            Some(DepositStatus::Unknown),
        ] {
            chips = chips.push(
                button(text(status_text(s)).size(13))
                    .padding([4, 8])
                    .style(style::nav_button(self.status == s))
                    .on_press(Message::Status(s)),
            );
        }
        let dates = row![
            text_input(tr("从 YYYY-MM-DD", "From YYYY-MM-DD"), &self.from)
                .on_input(Message::From)
                .on_submit(Message::Search(0))
                .size(13)
                .width(Length::Fixed(130.0)),
            text_input(tr("到 YYYY-MM-DD", "To YYYY-MM-DD"), &self.to)
                .on_input(Message::To)
                .on_submit(Message::Search(0))
                .size(13)
                .width(Length::Fixed(130.0)),
            button(text(tr("查询", "Search")).size(13))
                .padding([5, 10])
                .on_press(Message::Search(0)),
        ]
        .spacing(6)
        .align_y(Alignment::Center);

        let header = container(
            row![
                style::cell(text(tr("时间", "Time")).size(13), 3),
                style::cell(text(tr("状态", "State")).size(13), 2),
                style::cell(text(tr("冻结", "Frozen")).size(13), 2),
                style::cell(text(tr("备注", "Remark")).size(13), 2),
            ]
            .spacing(6)
            .padding([4, 6]),
        )
        .style(style::header_row);
        let mut rows = column![].spacing(0);
        for (i, d) in self.list.iter().enumerate() {
            let selected = self.selected.as_ref().is_some_and(|s| s.no == d.no);
            rows = rows.push(
                button(
                    container(
                        row![
                            style::cell(style::mono(ctx.short_time(d.created_at), 13.0), 3),
                            style::cell(
                                text(status_text(Some(d.status())))
                                    .size(13)
                                    .color(color(d.status())),
                                2
                            ),
                            style::cell(style::money(d.frozen, 13.0), 2),
                            style::cell(text(d.remark.clone()).size(13), 2),
                        ]
                        .spacing(6)
                        .padding([4, 6]),
                    )
                    .height(Length::Fixed(style::ROW_HEIGHT))
                    .style(style::row_style(i, selected)),
                )
                .padding(0)
                .style(style::row_button)
                .on_press(Message::Select(d.no.clone())),
            );
        }
        if self.list.is_empty() {
            rows = rows.push(
                container(style::hint(tr("没有符合条件的押金", "No deposits match"))).padding(12),
            );
        }
        let pages = u32::try_from(self.total.div_ceil(u64::from(PAGE_SIZE)))
            .unwrap_or(u32::MAX)
            .max(1);
        let pager = row![
            button(text(tr("上一页", "Previous")).size(13))
                .style(button::secondary)
                .on_press_maybe((self.page > 0).then(|| Message::Search(self.page - 1))),
            style::hint(trs(
                format!("第 {} / {pages} 页，共 {} 笔", self.page + 1, self.total),
                format!("Page {} / {pages}, {} in all", self.page + 1, self.total),
            )),
            button(text(tr("下一页", "Next")).size(13))
                .style(button::secondary)
                .on_press_maybe((self.page + 1 < pages).then(|| Message::Search(self.page + 1))),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        container(
            column![
                chips,
                dates,
                header,
                widgets::scroll(rows).height(Length::Fill),
                pager
            ]
            .spacing(6),
        )
        .padding(8)
        .height(Length::Fill)
        .style(style::card)
        .into()
    }

    fn detail_view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let Some(d) = &self.selected else {
            return container(style::hint(tr(
                "在左侧列表中选择一笔押金：消费、解冻或打印凭证",
                "Select a deposit on the left to take, release or print it",
            )))
            .padding(12)
            .width(Length::Fill)
            .style(style::card)
            .into();
        };
        let line = |label: &str, value: Element<'a, Message>| {
            row![
                text(label.to_owned()).size(14).width(Length::Fixed(80.0)),
                value
            ]
            .spacing(6)
            .align_y(Alignment::Center)
        };
        let mut col = column![
            row![
                text(status_text(Some(d.status())))
                    .size(20)
                    .font(style::bold())
                    .color(color(d.status())),
                Space::new().width(Length::Fill),
                text(wallet_text(d.wallet)).size(14),
            ]
            .align_y(Alignment::Center),
            style::code(&d.no, 13.0),
            line(tr("冻结", "Frozen"), style::money(d.frozen, 18.0).into()),
            line(
                tr("已消费", "Consumed"),
                style::money(d.consumed, 15.0).into()
            ),
            line(
                tr("已解冻", "Released"),
                style::money(d.unfrozen, 15.0).into()
            ),
            line(
                tr("时间", "Time"),
                style::mono(ctx.time(d.created_at), 13.0).into()
            ),
        ]
        .spacing(5);
        if !d.remark.is_empty() {
            col = col.push(line(
                tr("备注", "Remark"),
                text(d.remark.clone()).size(14).into(),
            ));
        }
        if let Some(no) = &d.consume_no {
            col = col.push(line(tr("消费订单", "Order"), style::code(no, 12.0).into()));
        }
        if let Some(a) = &self.auth {
            col = col.push(self.auth_view(a, ctx));
        } else if d.remaining().is_positive() {
            col = col.push(self.actions_view(d));
        }
        col = col.push(
            button(text(tr("打印凭证", "Print slip")).size(14))
                .style(button::secondary)
                .padding([6, 12])
                .on_press(Message::Print(d.no.clone())),
        );
        container(widgets::scroll(col))
            .padding(12)
            .width(Length::Fill)
            .style(style::card)
            .into()
    }

    fn actions_view(&self, d: &Deposit) -> Element<'_, Message> {
        let busy = self.busy.is_some();
        let release_hint = match self.would_release() {
            Some(rest) => trs(
                format!("消费后解冻退回顾客 ¥{rest}"),
                format!("¥{rest} goes back to the customer"),
            ),
            None => trs(
                format!("最多可消费 ¥{}", d.remaining()),
                format!("At most ¥{}", d.remaining()),
            ),
        };
        column![
            widgets::field(
                tr("消费金额（元）", "Amount to take (yuan)"),
                text_input("0.00", &self.consume)
                    .id(CONSUME_FIELD)
                    .on_input(Message::ConsumeAmount)
                    .on_submit(Message::Consume)
                    .font(style::MONO)
                    .size(20)
                    .align_x(Alignment::End)
                    .padding(6),
            ),
            text(release_hint).size(14).color(style::REVERSED),
            row![
                button(text(if self.busy == Some(Busy::Consuming) {
                    tr("正在消费…", "Taking…")
                } else {
                    tr("确认消费", "Take")
                }))
                .padding([8, 12])
                .on_press_maybe((!busy).then_some(Message::Consume)),
                button(text(if self.busy == Some(Busy::Releasing) {
                    tr("正在解冻…", "Releasing…")
                } else {
                    tr("全部解冻", "Release all")
                }))
                .style(button::danger)
                .padding([8, 12])
                .on_press_maybe((!busy).then_some(Message::Release)),
            ]
            .spacing(8),
        ]
        .spacing(6)
        .into()
    }

    fn auth_view<'a>(&'a self, a: &'a Auth, ctx: &'a Ctx) -> Element<'a, Message> {
        let tabs = row![
            button(text(tr("扫码授权 (F11)", "Scan (F11)")).size(13))
                .style(style::nav_button(a.mode == AuthMode::Qr))
                .on_press(Message::AuthMode(AuthMode::Qr)),
            button(text(tr("店长密码 (F12)", "Password (F12)")).size(13))
                .style(style::nav_button(a.mode == AuthMode::Password))
                .on_press(Message::AuthMode(AuthMode::Password)),
        ]
        .spacing(6);
        let body: Element<'_, Message> = match a.mode {
            AuthMode::Qr => match &a.ticket {
                Some((t, data)) => column![
                    container(qr_code(data).total_size(150.0)).padding(4),
                    style::hint(tr(
                        "请店长用手机扫码批准解冻",
                        "The manager scans this to approve"
                    )),
                    style::hint(trs(
                        format!(
                            "等待批准… {} 秒后过期",
                            widgets::secs_between(ctx.now, t.expires_at)
                        ),
                        format!(
                            "Waiting… expires in {} s",
                            widgets::secs_between(ctx.now, t.expires_at)
                        ),
                    )),
                ]
                .spacing(4)
                .align_x(Alignment::Center)
                .into(),
                None => text(tr("正在生成授权二维码…", "Preparing the QR code…")).into(),
            },
            AuthMode::Password => column![
                widgets::field(
                    tr("店长 ID", "Manager ID"),
                    text_input("", &a.manager)
                        .id(MANAGER_FIELD)
                        .on_input(Message::Manager)
                        .font(style::MONO),
                ),
                widgets::field(
                    tr("店长密码", "Manager password"),
                    text_input("", &a.password)
                        .secure(true)
                        .on_input(Message::ManagerPassword)
                        .on_submit(Message::AuthorizeWithPassword),
                ),
                button(text(tr("授权解冻 (Enter)", "Authorise (Enter)")))
                    .style(button::danger)
                    .on_press(Message::AuthorizeWithPassword),
            ]
            .spacing(8)
            .into(),
        };
        let mut col = column![
            widgets::notice(
                tr(
                    "当前店员没有退款权限：解冻押金需店长授权",
                    "This clerk may not release deposits: a manager must approve",
                ),
                style::PENDING,
            ),
            tabs,
            body,
        ]
        .spacing(8);
        if let Some(e) = &a.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        col.push(
            button(text(tr("返回 (Esc)", "Back (Esc)")).size(13))
                .style(button::secondary)
                .on_press(Message::CancelAuth),
        )
        .into()
    }
}
