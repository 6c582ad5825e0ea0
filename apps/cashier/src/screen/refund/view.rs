//! Drawing the refund form: the order, the amount and reason, the manager's approval.

use cloudpos_domain::refund::RefundState;
use iced::widget::{Space, button, column, container, qr_code, row, text, text_input};
use iced::{Alignment, Element, Length};

use super::{AMOUNT_FIELD, Auth, AuthMode, MANAGER_FIELD, Message, ORDER_FIELD, RefundForm, Stage};
use crate::ctx::Ctx;
use crate::i18n::{method_text, refund_state_text, status_text, tr, trs};
use crate::style;
use crate::widgets;

impl RefundForm {
    /// Draws the form.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let mut col = column![].spacing(12);
        if let Some(n) = &self.note {
            col = col.push(widgets::notice(n, style::REVERSED));
        }
        col = col.push(widgets::field(
            tr(
                "订单号（可扫描小票条码）",
                "Order number (scan the receipt's barcode)",
            ),
            text_input(
                tr("输入或扫描订单号后按 Enter", "Type or scan, then Enter"),
                &self.order_no,
            )
            .id(ORDER_FIELD)
            .on_input(Message::OrderNo)
            .on_submit(Message::Lookup)
            .font(style::MONO)
            .size(18)
            .padding(8),
        ));

        if let Some(o) = &self.order {
            let line = |label: &str, value: Element<'a, Message>| {
                row![
                    text(label.to_owned()).size(16).width(Length::Fixed(110.0)),
                    value
                ]
                .align_y(Alignment::Center)
                .spacing(8)
            };
            col = col.push(
                container(
                    column![
                        line(
                            tr("原订单金额", "Paid"),
                            style::money(o.amount, 22.0).into()
                        ),
                        line(
                            tr("已退款", "Refunded"),
                            style::money(o.refunded, 18.0).color(style::REVERSED).into()
                        ),
                        line(
                            tr("可退金额", "Refundable"),
                            style::money(self.remaining(), 18.0).into()
                        ),
                        line(
                            tr("支付方式", "Method"),
                            text(format!(
                                "{} · {}",
                                method_text(o.method),
                                status_text(o.status())
                            ))
                            .color(style::status_color(o.status()))
                            .into()
                        ),
                        line(
                            tr("支付时间", "Paid at"),
                            style::mono(ctx.time(o.paid_at.unwrap_or(o.created_at)), 15.0).into()
                        ),
                    ]
                    .spacing(6),
                )
                .padding(12)
                .style(style::card),
            );
            for r in &self.refunds {
                col = col.push(
                    row![
                        style::mono(&r.no, 13.0),
                        style::money(r.amount, 13.0).width(Length::Shrink),
                        text(refund_state_text(r.state))
                            .size(13)
                            .color(style::refund_color(r.state)),
                    ]
                    .spacing(10),
                );
            }
        }

        match &self.stage {
            Stage::Entering | Stage::Submitting => {
                let submitting = matches!(self.stage, Stage::Submitting);
                col = col.push(widgets::field(
                    tr(
                        "退款金额（元，可部分退款）",
                        "Refund amount (yuan; partial allowed)",
                    ),
                    text_input("0.00", &self.amount)
                        .id(AMOUNT_FIELD)
                        .on_input(Message::Amount)
                        .on_submit(Message::Submit)
                        .font(style::MONO)
                        .size(28)
                        .align_x(Alignment::End)
                        .padding(6),
                ));
                col = col.push(widgets::field(
                    tr("退款原因", "Reason"),
                    text_input(tr("例如：顾客退货", "e.g. goods returned"), &self.reason)
                        .on_input(Message::Reason)
                        .on_submit(Message::Submit),
                ));
                if let Some(e) = &self.error {
                    col = col.push(widgets::notice(e, style::FAILED));
                }
                let mut buttons = row![
                    button(text(if submitting {
                        tr("正在退款…", "Refunding…")
                    } else {
                        tr("确认退款 (Enter)", "Refund (Enter)")
                    }))
                    .style(button::danger)
                    .padding(10)
                    .on_press_maybe(
                        (!submitting && self.order.is_some()).then_some(Message::Submit)
                    )
                ]
                .spacing(10);
                if self.in_dialog {
                    buttons = buttons.push(
                        button(text(tr("返回 (Esc)", "Back (Esc)")))
                            .style(button::secondary)
                            .padding(10)
                            .on_press_maybe((!submitting).then_some(Message::Back)),
                    );
                }
                col = col.push(buttons);
            }
            Stage::Authorising(a) => col = col.push(self.auth_view(a, ctx)),
            Stage::Done(result) => {
                let (color, headline, detail) = match result {
                    Ok(r) => (
                        style::refund_color(r.refund.state),
                        refund_state_text(r.refund.state).to_owned(),
                        format!(
                            "{} ¥{} · {} {}{}",
                            tr("退款", "Refund"),
                            r.refund.amount,
                            tr("退款单号", "No."),
                            r.refund.no,
                            r.refund
                                .failure
                                .as_ref()
                                .filter(|_| r.refund.state == RefundState::Failed)
                                .map(|f| format!(" · {f}"))
                                .unwrap_or_default()
                        ),
                    ),
                    Err(e) => (
                        style::FAILED,
                        tr("退款未完成", "Not refunded").to_owned(),
                        e.clone(),
                    ),
                };
                col = col.push(
                    container(
                        column![
                            text(headline).size(26).font(style::bold()).color(color),
                            text(detail).size(15).color(color),
                        ]
                        .spacing(6),
                    )
                    .padding(14)
                    .width(Length::Fill)
                    .style(style::outcome_box(color)),
                );
                let mut buttons = row![
                    button(text(tr("返回 (Enter)", "Back (Enter)")))
                        .padding(10)
                        .on_press(Message::Back),
                    button(text(tr("查看退款", "View refunds")))
                        .style(button::secondary)
                        .padding(10)
                        .on_press(Message::ViewRefunds),
                ]
                .spacing(10);
                if let Ok(r) = result {
                    buttons = buttons.push(
                        button(text(tr("打印退款单", "Print refund")))
                            .style(button::secondary)
                            .padding(10)
                            .on_press(Message::Print(r.refund.no.clone())),
                    );
                }
                col = col.push(buttons);
            }
        }
        col.into()
    }

    fn auth_view<'a>(&'a self, a: &'a Auth, ctx: &'a Ctx) -> Element<'a, Message> {
        let tabs = row![
            button(text(tr("扫码授权 (F11)", "Scan to approve (F11)")))
                .style(style::nav_button(a.mode == AuthMode::Qr))
                .on_press(Message::AuthMode(AuthMode::Qr)),
            button(text(tr("店长密码 (F12)", "Manager password (F12)")))
                .style(style::nav_button(a.mode == AuthMode::Password))
                .on_press(Message::AuthMode(AuthMode::Password)),
        ]
        .spacing(8);
        let body: Element<'_, Message> = match a.mode {
            AuthMode::Qr => match &a.ticket {
                Some((t, data)) => column![
                    container(qr_code(data).total_size(200.0)).padding(4),
                    text(tr(
                        "请店长用手机扫码批准本次退款",
                        "The manager scans this to approve this refund"
                    ))
                    .size(15),
                    style::hint(t.approve_url.clone()),
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
                .spacing(6)
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
                button(text(tr("授权退款 (Enter)", "Authorise (Enter)")))
                    .style(button::danger)
                    .on_press(Message::AuthorizeWithPassword),
            ]
            .spacing(10)
            .into(),
        };
        let mut col = column![
            widgets::notice(
                &trs(
                    format!("当前店员没有退款权限：退款 ¥{} 需店长授权", self.amount),
                    format!(
                        "This clerk may not refund: ¥{} needs a manager's approval",
                        self.amount
                    ),
                ),
                style::PENDING,
            ),
            tabs,
            body,
        ]
        .spacing(12);
        if let Some(e) = &a.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        if self.in_dialog {
            col = col.push(row![
                Space::new().width(Length::Fill),
                button(text(tr("返回 (Esc)", "Back (Esc)")))
                    .style(button::secondary)
                    .on_press(Message::Back)
            ]);
        }
        container(col).padding(12).style(style::card).into()
    }
}
