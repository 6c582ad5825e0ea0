//! Drawing the order list: the filters, the payments or refunds table and its pages, the
//! remark and refund dialogs.

use cloudpos_domain::code::Wallet;
use cloudpos_domain::order::{OrderStatus, PaymentMethod};
use cloudpos_domain::refund::RefundState;
use iced::widget::{Space, button, column, container, pick_list, row, text, text_input, tooltip};
use iced::{Alignment, Element, Length};

use super::{ListKind, Message, MethodChoice, ORDER_NO_FIELD, Orders, REMARK_FIELD, StatusChoice};
use crate::ctx::Ctx;
use crate::i18n::{method_text, refund_state_text, status_text, tr};
use crate::style;
use crate::widgets;

impl Orders {
    /// Draws the screen.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let status_options: Vec<StatusChoice> = match self.kind {
            ListKind::Payments => std::iter::once(StatusChoice::Any)
                .chain(
                    [
                        OrderStatus::Paid,
                        OrderStatus::Failed,
                        OrderStatus::Reversed,
                        OrderStatus::PartiallyRefunded,
                        OrderStatus::Refunded,
                        OrderStatus::Unknown,
                    ]
                    .into_iter()
                    .map(StatusChoice::Order),
                )
                .collect(),
            ListKind::Refunds => std::iter::once(StatusChoice::Any)
                .chain(RefundState::ALL.into_iter().map(StatusChoice::Refund))
                .collect(),
        };
        let methods = vec![
            MethodChoice(None),
            MethodChoice(Some(PaymentMethod::Wallet(Wallet::WeChat))),
            MethodChoice(Some(PaymentMethod::Wallet(Wallet::Alipay))),
            MethodChoice(Some(PaymentMethod::Wallet(Wallet::MemberCard))),
            MethodChoice(Some(PaymentMethod::Cash)),
        ];
        let mut filters = row![
            pick_list(
                [ListKind::Payments, ListKind::Refunds],
                Some(self.kind),
                Message::Kind
            )
            .text_size(14),
        ]
        .spacing(6)
        .align_y(Alignment::Center);
        if self.kind == ListKind::Payments {
            filters =
                filters.push(pick_list(methods, Some(self.method), Message::Method).text_size(14));
        }
        filters = filters
            .push(pick_list(status_options, Some(self.status), Message::Status).text_size(14))
            .push(
                text_input(tr("开始 YYYY-MM-DD", "From YYYY-MM-DD"), &self.from)
                    .on_input(Message::From)
                    .on_submit(Message::Search)
                    .font(style::MONO)
                    .size(14)
                    .width(Length::Fixed(150.0)),
            )
            .push(
                text_input(tr("结束", "To"), &self.to)
                    .on_input(Message::To)
                    .on_submit(Message::Search)
                    .font(style::MONO)
                    .size(14)
                    .width(Length::Fixed(120.0)),
            )
            .push(
                text_input(tr("单号", "Order no."), &self.order_no)
                    .id(ORDER_NO_FIELD)
                    .on_input(Message::OrderNo)
                    .on_submit(Message::Search)
                    .font(style::MONO)
                    .size(14)
                    .width(Length::Fixed(150.0)),
            );
        if ctx.may(cloudpos_domain::clerk::Permission::SeeAllSummaries) {
            filters = filters.push(
                text_input(tr("收银员", "Clerk"), &self.clerk)
                    .on_input(Message::Clerk)
                    .on_submit(Message::Search)
                    .font(style::MONO)
                    .size(14)
                    .width(Length::Fixed(70.0)),
            );
        }
        filters = filters
            .push(
                button(text(tr("今天", "Today")).size(14))
                    .style(button::secondary)
                    .on_press(Message::Today),
            )
            .push(button(text(tr("查询", "Search")).size(14)).on_press(Message::Search));
        // On a narrow window the filters go on to a second line instead of being cut off.
        let filters = filters.wrap().vertical_spacing(8);

        let has_order = self.selected_order().is_some();
        let has_row = self.selected.is_some();
        let actions = row![
            button(text(tr("复制单号 Ctrl+C", "Copy Ctrl+C")).size(14))
                .style(button::secondary)
                .on_press_maybe(has_row.then_some(Message::Copy)),
            button(text(tr("备注 E", "Remark E")).size(14))
                .style(button::secondary)
                .on_press_maybe(has_order.then_some(Message::EditRemark)),
            button(text(tr("退款 R", "Refund R")).size(14))
                .style(button::danger)
                .on_press_maybe(has_order.then_some(Message::Refund)),
            button(text(tr("打印 P", "Print P")).size(14))
                .style(button::secondary)
                .on_press_maybe(has_row.then_some(Message::Print)),
            button(text(tr("汇总 H", "Summary H")).size(14)).on_press(Message::Summary),
        ]
        .spacing(8);

        let table: Element<'_, Message> = match self.kind {
            ListKind::Payments => self.orders_table(ctx),
            ListKind::Refunds => self.refunds_table(ctx),
        };
        let pager = widgets::pager(
            self.page_index,
            self.page_count(),
            match self.kind {
                ListKind::Payments => self.orders.as_ref().map_or(0, |p| p.total),
                ListKind::Refunds => self.refunds.as_ref().map_or(0, |p| p.total),
            },
            &self.jump,
            Message::Prev,
            Message::Next,
            Message::JumpInput,
            Message::Jump,
        );
        let mut col = column![filters, actions].spacing(10);
        if let Some(e) = &self.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        if let Some(n) = &self.notice {
            col = col.push(widgets::notice(n, style::PAID));
        }
        col = col.push(container(table).style(style::card).height(Length::Fill));
        col = col.push(pager);
        let base: Element<'_, Message> = container(col).padding(14).into();

        if let Some(r) = &self.remark {
            let mut body = column![
                style::mono(&r.order_no, 15.0),
                text_input(
                    tr(
                        "备注（如收银软件流水号）",
                        "Remark (e.g. the POS receipt number)"
                    ),
                    &r.text
                )
                .id(REMARK_FIELD)
                .on_input(Message::RemarkText)
                .on_submit(Message::RemarkSave),
            ]
            .spacing(10);
            if let Some(e) = &r.error {
                body = body.push(widgets::notice(e, style::FAILED));
            }
            body = body.push(
                row![
                    button(text(tr("保存 (Enter)", "Save (Enter)"))).on_press(Message::RemarkSave),
                    button(text(tr("取消 (Esc)", "Cancel (Esc)")))
                        .style(button::secondary)
                        .on_press(Message::RemarkCancel),
                ]
                .spacing(10),
            );
            return widgets::modal(
                base,
                widgets::dialog(ctx, tr("编辑备注", "Edit remark"), body, 460.0),
                Message::RemarkCancel,
            );
        }
        if let Some(f) = &self.refund {
            return widgets::modal(
                base,
                widgets::dialog(
                    ctx,
                    tr("退款", "Refund"),
                    widgets::scroll(f.view(ctx).map(Message::RefundForm)),
                    520.0,
                ),
                Message::Escape,
            );
        }
        base
    }

    fn orders_table<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let header = container(
            row![
                style::cell(text(tr("时间", "Time")), 4),
                style::cell(text(tr("单号", "Order no.")), 6),
                style::cell(
                    text(tr("金额", "Amount"))
                        .width(Length::Fill)
                        .align_x(Alignment::End),
                    3
                ),
                style::cell(
                    text(tr("已退", "Refunded"))
                        .width(Length::Fill)
                        .align_x(Alignment::End),
                    3
                ),
                style::cell(text(tr("方式", "Method")), 2),
                style::cell(text(tr("状态", "State")), 3),
                style::cell(text(tr("收银员", "Clerk")), 2),
                style::cell(text(tr("备注", "Remark")), 3),
            ]
            .spacing(8)
            .padding([6, 10]),
        )
        .style(style::header_row);
        let mut rows = column![];
        if let Some(page) = &self.orders {
            for (i, o) in page.items.iter().enumerate() {
                let status = o.status();
                let remark: Element<'_, Message> = if o.remark.chars().count() > 10 {
                    tooltip(
                        text(format!("{}…", o.remark.chars().take(9).collect::<String>())).size(14),
                        container(text(o.remark.clone()).size(14))
                            .padding(6)
                            .style(style::card),
                        tooltip::Position::Left,
                    )
                    .into()
                } else {
                    text(o.remark.clone()).size(14).into()
                };
                let r = row![
                    style::cell(style::mono(ctx.short_time(o.created_at), 13.0), 4),
                    style::cell(style::code(&o.no, 13.0), 6),
                    style::cell(style::money(o.amount, 15.0), 3),
                    style::cell(
                        style::money(o.refunded, 14.0).color(if o.refunded.is_positive() {
                            style::REVERSED
                        } else {
                            style::MUTED
                        }),
                        3
                    ),
                    style::cell(text(method_text(o.method)).size(14), 2),
                    style::cell(
                        text(status_text(status))
                            .size(14)
                            .color(style::status_color(status)),
                        3
                    ),
                    style::cell(style::mono(&o.clerk_id, 14.0), 2),
                    style::cell(remark, 3),
                ]
                .spacing(8)
                .padding([0, 10])
                .height(Length::Fixed(style::ROW_HEIGHT))
                .align_y(Alignment::Center);
                rows = rows.push(
                    button(container(r).style(style::row_style(i, self.selected == Some(i))))
                        .padding(0)
                        .style(style::row_button)
                        .on_press(Message::Select(i)),
                );
            }
            if page.items.is_empty() {
                rows = rows.push(
                    container(style::hint(tr("没有符合条件的订单", "No matching orders")))
                        .padding(12),
                );
            }
        }
        column![header, widgets::scroll(rows).height(Length::Fill)].into()
    }

    fn refunds_table<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let header = container(
            row![
                style::cell(text(tr("时间", "Time")), 4),
                style::cell(text(tr("退款单号", "Refund no.")), 6),
                style::cell(text(tr("原订单号", "Order no.")), 6),
                style::cell(
                    text(tr("退款金额", "Amount"))
                        .width(Length::Fill)
                        .align_x(Alignment::End),
                    3
                ),
                style::cell(text(tr("状态", "State")), 3),
                style::cell(text(tr("收银员", "Clerk")), 2),
                style::cell(text(tr("授权人", "Approved by")), 2),
            ]
            .spacing(8)
            .padding([6, 10]),
        )
        .style(style::header_row);
        let mut rows = column![];
        if let Some(page) = &self.refunds {
            for (i, r) in page.items.iter().enumerate() {
                let line = row![
                    style::cell(style::mono(ctx.short_time(r.created_at), 13.0), 4),
                    style::cell(style::code(&r.no, 13.0), 6),
                    style::cell(style::code(&r.order_no, 13.0), 6),
                    style::cell(style::money(r.amount, 15.0), 3),
                    style::cell(
                        text(refund_state_text(r.state))
                            .size(14)
                            .color(style::refund_color(r.state)),
                        3
                    ),
                    style::cell(style::mono(&r.clerk_id, 14.0), 2),
                    style::cell(
                        style::mono(
                            r.authorized_by
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_default(),
                            14.0
                        ),
                        2
                    ),
                ]
                .spacing(8)
                .padding([0, 10])
                .height(Length::Fixed(style::ROW_HEIGHT))
                .align_y(Alignment::Center);
                rows = rows.push(
                    button(container(line).style(style::row_style(i, self.selected == Some(i))))
                        .padding(0)
                        .style(style::row_button)
                        .on_press(Message::Select(i)),
                );
            }
            if page.items.is_empty() {
                rows =
                    rows.push(container(style::hint(tr("没有退款单", "No refunds"))).padding(12));
            }
        }
        column![
            header,
            widgets::scroll(rows).height(Length::Fill),
            Space::new().height(0)
        ]
        .into()
    }
}
