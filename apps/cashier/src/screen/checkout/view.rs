//! Drawing the checkout: the sale (cart or pick), the payment side, the cash and
//! payment-code dialogs.

use cloudpos_domain::catalog::{CheckoutMode, cash_change};
use cloudpos_domain::code::mask_code;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{OrderState, PaymentMethod};
use iced::widget::{Space, button, column, container, pick_list, row, text, text_input};
use iced::{Alignment, Element, Length};

use super::{
    CASH_FIELD, CODE_FIELD, CashDialog, Checkout, LOOKUP_FIELD, Message, Stage, Style, TOTAL_FIELD,
};
use crate::ctx::Ctx;
use crate::i18n::{method_text, order_reason, state_text, tr, trs};
use crate::style;
use crate::widgets;

impl Checkout {
    /// Draws the screen.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let left = container(self.sale_view())
            .padding(14)
            .width(Length::FillPortion(3))
            .height(Length::Fill)
            .style(style::card);
        let right = container(self.pay_view(ctx))
            .padding(14)
            .width(Length::FillPortion(2))
            .height(Length::Fill)
            .style(style::card);
        let base: Element<'_, Message> = row![left, right].spacing(14).padding(14).into();
        if let Some(code) = &self.confirm_code {
            return widgets::modal(base, confirm_code_view(ctx, code), Message::DropCode);
        }
        if let Some(card) = &self.card {
            return widgets::modal(
                base,
                self.card_view(ctx, card),
                Message::Card(super::card::Message::Cancel),
            );
        }
        match &self.cash {
            Some(cash) => widgets::modal(base, self.cash_view(ctx, cash), Message::CashCancel),
            None => base,
        }
    }

    fn sale_view(&self) -> Element<'_, Message> {
        match self.mode {
            CheckoutMode::Full => {
                let header = container(
                    row![
                        style::cell(text(tr("货号", "SKU")), 2),
                        style::cell(text(tr("名称", "Name")), 4),
                        style::cell(
                            text(tr("单价", "Price"))
                                .width(Length::Fill)
                                .align_x(Alignment::End),
                            2
                        ),
                        style::cell(
                            text(tr("数量", "Qty"))
                                .width(Length::Fill)
                                .align_x(Alignment::Center),
                            3
                        ),
                        style::cell(
                            text(tr("小计", "Amount"))
                                .width(Length::Fill)
                                .align_x(Alignment::End),
                            2
                        ),
                        style::cell(text(""), 1),
                    ]
                    .spacing(8)
                    .padding([6, 8]),
                )
                .style(style::header_row);
                let mut lines = column![];
                for (i, l) in self.cart.lines().iter().enumerate() {
                    let selected = self.selected.as_deref() == Some(l.sku.as_str());
                    let qty = row![
                        button(text("-").size(16).font(style::MONO))
                            .style(button::secondary)
                            .on_press(Message::Decrement(l.sku.clone())),
                        style::mono(l.quantity, 16.0),
                        button(text("+").size(16).font(style::MONO))
                            .style(button::secondary)
                            .on_press(Message::Increment(l.sku.clone())),
                    ]
                    .spacing(6)
                    .align_y(Alignment::Center);
                    let r = row![
                        style::cell(style::mono(&l.sku, 15.0), 2),
                        style::cell(text(l.name.clone()).size(15), 4),
                        style::cell(style::money(l.unit_price, 15.0), 2),
                        style::cell(container(qty).center_x(Length::Fill), 3),
                        style::cell(style::money(l.total().unwrap_or(Money::ZERO), 15.0), 2),
                        style::cell(
                            button(text("×").size(14))
                                .style(button::text)
                                .on_press(Message::Remove(l.sku.clone())),
                            1
                        ),
                    ]
                    .spacing(8)
                    .padding([0, 8])
                    .height(Length::Fixed(style::ROW_HEIGHT + 6.0))
                    .align_y(Alignment::Center);
                    lines = lines.push(
                        button(container(r).style(style::row_style(i, selected)))
                            .padding(0)
                            .style(style::row_button)
                            .on_press(Message::Select(l.sku.clone())),
                    );
                }
                if self.cart.is_empty() {
                    lines = lines.push(
                        container(style::hint(tr(
                            "输入货号或扫描条码后按 Enter 加入；选中一行后在输入框按 + / - 改数量",
                            "Type a SKU or scan a barcode and press Enter; with a line selected, + / - in the field change its quantity",
                        )))
                        .padding(12),
                    );
                }
                let total = self.cart.total().unwrap_or(Money::ZERO);
                column![
                    widgets::field(
                        tr("货号 / 条码（Enter 加入）", "SKU / barcode (Enter adds)"),
                        text_input(
                            tr("输入货号或扫条码", "Type a SKU or scan a barcode"),
                            &self.lookup
                        )
                        .id(LOOKUP_FIELD)
                        .on_input(Message::Lookup)
                        .on_submit(Message::LookupSubmit)
                        .font(style::MONO)
                        .size(18)
                        .padding(8),
                    ),
                    header,
                    widgets::scroll(lines).height(Length::Fill),
                    row![
                        text(trs(
                            format!("共 {} 件", self.cart.item_count()),
                            format!("{} items", self.cart.item_count())
                        ))
                        .size(16),
                        Space::new().width(Length::Fill),
                        text(tr("合计", "Total")).size(20),
                        style::money(total, 32.0).width(Length::Shrink),
                    ]
                    .spacing(12)
                    .align_y(Alignment::Center),
                ]
                .spacing(10)
                .into()
            }
            CheckoutMode::Simple => {
                let total = self
                    .simple_cart()
                    .ok()
                    .and_then(|c| c.total().ok())
                    .unwrap_or(Money::ZERO);
                column![
                    widgets::field(
                        tr("商品", "Commodity"),
                        pick_list(self.choices.as_slice(), self.pick.clone(), Message::Pick)
                            .placeholder(tr("选择商品", "Choose a commodity"))
                            .width(Length::Fill)
                            .text_size(18),
                    ),
                    widgets::field(
                        tr("数量", "Quantity"),
                        text_input("1", &self.quantity)
                            .on_input(Message::Quantity)
                            .font(style::MONO)
                            .size(18)
                            .width(Length::Fixed(120.0)),
                    ),
                    Space::new().height(Length::Fill),
                    row![
                        Space::new().width(Length::Fill),
                        text(tr("合计", "Total")).size(20),
                        style::money(total, 32.0).width(Length::Shrink)
                    ]
                    .spacing(12)
                    .align_y(Alignment::Center),
                ]
                .spacing(14)
                .into()
            }
            CheckoutMode::TotalAmount => column![
                widgets::field(
                    tr("收款总额（元）", "Total to collect (yuan)"),
                    text_input("0.00", &self.total)
                        .id(TOTAL_FIELD)
                        .on_input(Message::Total)
                        .on_submit(Message::PayWallet)
                        .font(style::MONO)
                        .size(48)
                        .align_x(Alignment::End)
                        .padding(8),
                ),
                style::hint(tr(
                    "输入总额后扫描付款码按 Enter 收款，或点现金收款",
                    "Type the total, scan the payment code and press Enter, or take cash",
                )),
            ]
            .spacing(14)
            .into(),
        }
    }

    fn pay_view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        // On a narrow window the two big buttons keep their labels on one line.
        let button_size = if ctx.compact() { 16.0 } else { 20.0 };
        let modes = [
            CheckoutMode::Full,
            CheckoutMode::Simple,
            CheckoutMode::TotalAmount,
        ];
        let mut switch = row![].spacing(6);
        for m in modes {
            let active = self.mode == m;
            switch = switch.push(
                button(text(Style(m).to_string()).size(15))
                    .style(style::nav_button(active))
                    .on_press(Message::Mode(Style(m))),
            );
        }
        let due = self.due().map_or(Money::ZERO, |(a, _)| a);
        let mut col = column![
            switch,
            row![text(tr("应收", "Due")).size(20), style::money(due, 44.0),]
                .align_y(Alignment::Center)
                .spacing(10),
            widgets::field(
                tr(
                    "付款码（扫码枪扫描顾客手机）",
                    "Payment code (scan the customer's phone)"
                ),
                // The customer's code is a bearer token: never shown in full (the line below
                // shows it masked, with its wallet).
                text_input(tr("请扫描付款码", "Scan the payment code"), &self.code)
                    .id(CODE_FIELD)
                    .secure(true)
                    .on_input(Message::Code)
                    .on_submit(Message::PayWallet)
                    .font(style::MONO)
                    .size(20)
                    .padding(8),
            ),
            style::hint(code_hint(ctx, &self.code).unwrap_or_default()),
            widgets::field(
                tr("备注", "Remark"),
                text_input("", &self.remark)
                    .on_input(Message::Remark)
                    .size(15),
            ),
            row![
                button(
                    text(tr("收款 (Enter)", "Collect (Enter)"))
                        .size(button_size)
                        .width(Length::Fill)
                        .align_x(Alignment::Center)
                )
                .width(Length::FillPortion(1))
                .padding(12)
                .style(button::primary)
                .on_press_maybe((!self.in_flight()).then_some(Message::PayWallet)),
                button(
                    text(tr("现金收款 (F9)", "Cash (F9)"))
                        .size(button_size)
                        .width(Length::Fill)
                        .align_x(Alignment::Center)
                )
                .width(Length::FillPortion(1))
                .padding(12)
                .style(button::success)
                .on_press_maybe((!self.in_flight()).then_some(Message::OpenCash)),
            ]
            .spacing(10),
            button(
                text(tr("会员卡 (F10)", "Member card (F10)"))
                    .size(16)
                    .width(Length::Fill)
                    .align_x(Alignment::Center)
            )
            .width(Length::Fill)
            .padding(8)
            .style(button::secondary)
            .on_press_maybe(
                (!self.in_flight()).then_some(Message::Card(super::card::Message::Open))
            ),
        ]
        .spacing(14);
        if let Some(e) = &self.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        match &self.stage {
            Stage::Idle => {}
            Stage::Submitting(started) => {
                col = col.push(widgets::pay_progress(
                    None,
                    None,
                    ctx.now,
                    ctx.pay_timeout,
                    *started,
                ));
            }
            Stage::Following(o) => {
                col = col.push(widgets::pay_progress(
                    Some(o),
                    self.unresolved,
                    ctx.now,
                    ctx.pay_timeout,
                    o.created_at,
                ));
            }
            Stage::Done(Ok(o)) => {
                let color = style::state_color(o.state);
                let mut lines = column![
                    text(state_text(o.state))
                        .size(28)
                        .font(style::bold())
                        .color(color),
                    row![
                        text(method_text(o.method)).size(16).color(color),
                        style::money(o.amount, 30.0).color(color)
                    ]
                    .align_y(Alignment::Center),
                ]
                .spacing(6);
                if let (Some(t), Some(c)) = (o.cash_tendered, o.cash_change) {
                    lines = lines.push(
                        row![
                            text(trs(format!("实收 ¥{t}"), format!("Received ¥{t}"))).size(18),
                            Space::new().width(Length::Fill),
                            text(tr("找零", "Change")).size(22),
                            style::money(c, 34.0).width(Length::Shrink).color(color),
                        ]
                        .align_y(Alignment::Center)
                        .spacing(8),
                    );
                }
                if let Some(r) = order_reason(o).filter(|_| o.state == OrderState::Failed) {
                    lines = lines.push(text(r).size(15).color(color));
                }
                lines = lines.push(style::mono(
                    format!("{} {}", tr("单号", "Order"), o.no),
                    14.0,
                ));
                col = col.push(
                    container(lines)
                        .padding(14)
                        .width(Length::Fill)
                        .style(style::outcome_box(color)),
                );
                col = col.push(
                    button(text(tr("下一笔", "Next sale")))
                        .style(button::secondary)
                        .on_press(Message::NextSale),
                );
            }
            Stage::Done(Err(e)) => {
                col = col.push(widgets::notice(e, style::FAILED));
            }
        }
        widgets::scroll(col).height(Length::Fill).into()
    }

    fn cash_view<'a>(&'a self, ctx: &Ctx, cash: &'a CashDialog) -> Element<'a, Message> {
        let due = self.due().map_or(Money::ZERO, |(a, _)| a);
        let change = crate::amount::parse(&cash.tendered)
            .ok()
            .and_then(|t| cash_change(due, t).ok());
        let mut body = column![
            row![text(tr("应收", "Due")).size(20), style::money(due, 34.0)]
                .align_y(Alignment::Center),
            widgets::field(
                tr("实收（元）", "Received (yuan)"),
                text_input("0.00", &cash.tendered)
                    .id(CASH_FIELD)
                    .on_input(Message::CashTendered)
                    .on_submit(Message::CashConfirm)
                    .font(style::MONO)
                    .size(34)
                    .align_x(Alignment::End)
                    .padding(6),
            ),
            row![
                text(tr("找零", "Change")).size(22),
                match change {
                    Some(c) => style::money(c, 40.0).color(style::PAID),
                    None => style::money(Money::ZERO, 40.0).color(style::MUTED),
                }
            ]
            .align_y(Alignment::Center),
        ]
        .spacing(14);
        if let Some(e) = &cash.error {
            body = body.push(widgets::notice(e, style::FAILED));
        }
        body = body.push(
            row![
                button(text(tr("确定 (Enter)", "OK (Enter)")).size(18))
                    .style(button::success)
                    .padding(10)
                    .on_press(Message::CashConfirm),
                button(text(tr("取消 (Esc)", "Cancel (Esc)")).size(18))
                    .style(button::secondary)
                    .padding(10)
                    .on_press(Message::CashCancel),
            ]
            .spacing(10),
        );
        widgets::dialog(ctx, tr("现金收款", "Cash payment"), body, 420.0)
    }
}

/// The wallet and the masked code, for the line under a code field.
fn code_hint(ctx: &Ctx, code: &str) -> Option<String> {
    let code = code.trim();
    if code.is_empty() {
        return None;
    }
    Some(match ctx.payment_code(code) {
        Some(c) => format!(
            "{} {}",
            method_text(PaymentMethod::Wallet(c.wallet())),
            mask_code(code)
        ),
        None => trs(
            format!("{} 位，尚未识别", code.chars().count()),
            format!("{} digits, not recognised yet", code.chars().count()),
        ),
    })
}

fn confirm_code_view<'a>(ctx: &Ctx, code: &str) -> Element<'a, Message> {
    let wallet = ctx
        .payment_code(code)
        .map_or("", |c| method_text(PaymentMethod::Wallet(c.wallet())));
    let body = column![
        text(tr(
            "扫到的是顾客的付款码，但购物车还是空的：",
            "That was the customer's payment code, but the cart is empty:",
        ))
        .size(16),
        row![text(wallet).size(18), style::mono(mask_code(code), 20.0)]
            .spacing(10)
            .align_y(Alignment::Center),
        text(tr(
            "用它收本单的款吗？确认后加入商品，再按 收款 (Enter)。",
            "Use it for this sale? Then add the goods and press Collect (Enter).",
        ))
        .size(16),
        row![
            button(text(tr("用于本单 (Enter)", "Use it (Enter)")))
                .style(button::primary)
                .on_press(Message::UseCode),
            button(text(tr("不用 (Esc)", "Discard (Esc)")))
                .style(button::secondary)
                .on_press(Message::DropCode),
        ]
        .spacing(10),
    ]
    .spacing(16);
    widgets::dialog(ctx, tr("付款码", "Payment code"), body, 460.0)
}
