//! Drawing the payment window: the amount and its source, the code, the outcome in words,
//! a return the host shows.

use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState};
use iced::widget::{Space, button, column, container, row, text, text_input};
use iced::{Alignment, Element, Length};

use super::{AMOUNT_FIELD, AmountSource, CODE_FIELD, Message, Payment, REMARK_FIELD, Stage};
use crate::ctx::Ctx;
use crate::i18n::{halt_text, method_text, order_reason, state_text, tr, trs};
use crate::style;
use crate::widgets;

impl Payment {
    /// Draws the window.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let store = ctx.merchant.as_ref().map_or("", |m| m.store_name.as_str());
        let mut header = row![
            text(tr("收银", "Payment")).size(20).font(style::bold()),
            text(store.to_owned()).size(14).color(style::MUTED),
            Space::new().width(Length::Fill),
        ]
        .spacing(10)
        .align_y(Alignment::Center);
        if ctx.sandbox() {
            header = header.push(style::sandbox_badge());
        }
        let mut body = column![header].spacing(10);
        if let Some(h) = &ctx.halt {
            body = body.push(
                container(text(halt_text(h)).size(16))
                    .padding(10)
                    .width(Length::Fill)
                    .style(style::band(style::HALT)),
            );
        }

        match &self.stage {
            Stage::Entering => body = body.push(self.entry_view(ctx)),
            Stage::Submitting => {
                body = body.push(self.amount_line(ctx));
                body = body.push(widgets::pay_progress(
                    None,
                    None,
                    ctx.now,
                    ctx.pay_timeout,
                    self.started,
                ));
            }
            Stage::Following(o) => {
                body = body.push(self.amount_line(ctx));
                body = body.push(widgets::pay_progress(
                    Some(o),
                    self.unresolved,
                    ctx.now,
                    ctx.pay_timeout,
                    self.started,
                ));
            }
            Stage::Done(result) => body = body.push(self.result_view(result, ctx)),
        }
        if let Some(e) = &self.error {
            body = body.push(widgets::notice(e, style::FAILED));
        }
        container(body)
            .padding(16)
            .width(Length::Fill)
            .height(Length::Fill)
            .style(style::page)
            .into()
    }

    fn source_tag(&self) -> Element<'_, Message> {
        match self.source {
            AmountSource::Captured { .. } => {
                style::badge(tr("抓取", "Captured"), style::BRAND, iced::Color::WHITE)
            }
            AmountSource::Typed => {
                style::badge(tr("手动", "Typed"), style::MUTED, iced::Color::WHITE)
            }
        }
    }

    fn amount_line(&self, _ctx: &Ctx) -> Element<'_, Message> {
        row![
            self.source_tag(),
            style::money(
                crate::amount::parse(&self.amount).unwrap_or(Money::ZERO),
                48.0
            )
        ]
        .spacing(10)
        .align_y(Alignment::Center)
        .into()
    }

    /// The host shows a return: its amount, that nothing is charged, and 去退款.
    fn host_return_view<'a>(amount: Money) -> Element<'a, Message> {
        container(
            row![
                column![
                    text(trs(
                        format!("主机显示退货 ¥{amount}"),
                        format!("The host POS shows a return of ¥{amount}"),
                    ))
                    .size(22)
                    .font(style::bold())
                    .color(style::REVERSED),
                    text(tr(
                        "不会收款：退货请到退款页面办理",
                        "Nothing is charged: refund the return on the refund screen",
                    ))
                    .size(14)
                    .color(style::REVERSED),
                ]
                .spacing(4)
                .width(Length::Fill),
                button(text(tr("去退款 (Enter)", "Refund (Enter)")).size(16))
                    .padding([8, 14])
                    .on_press(Message::GoRefund),
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        )
        .padding([8, 12])
        .width(Length::Fill)
        .style(style::outcome_box(style::REVERSED))
        .into()
    }

    fn entry_view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let touch = ctx.basic.touch;
        let amount = text_input("0.00", &self.amount)
            .id(AMOUNT_FIELD)
            .on_input(Message::Amount)
            .on_submit(Message::Confirm)
            .font(style::MONO)
            .size(48)
            .align_x(Alignment::End)
            .padding(6);
        let mut col = column![
            row![
                text("¥").size(40).font(style::MONO),
                amount,
                self.source_tag(),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
        ]
        .spacing(10);
        if self.preparing {
            col = col.push(style::hint(tr("正在抓取金额…", "Reading the amount…")));
        }
        if let Some(m) = self.host_return {
            col = col.push(Self::host_return_view(m));
        }
        if let Some(note) = &self.capture_note {
            col = col.push(widgets::notice(note, style::PENDING));
        }
        if ctx.halt.is_none() {
            col = col.push(widgets::field(
                tr(
                    "付款码（扫码枪扫描顾客手机）",
                    "Payment code (scan the customer's phone)",
                ),
                // A bearer token: shown masked below, never in full.
                text_input(tr("请扫描付款码", "Scan the payment code"), &self.code)
                    .id(CODE_FIELD)
                    .secure(true)
                    .on_input(Message::Code)
                    .on_submit(Message::Confirm)
                    .font(style::MONO)
                    .size(22)
                    .padding(8),
            ));
            if !self.code.trim().is_empty() {
                col = col.push(style::hint(match self.wallet {
                    Some(w) => format!(
                        "{} {}",
                        method_text(cloudpos_domain::order::PaymentMethod::Wallet(w)),
                        cloudpos_domain::code::mask_code(self.code.trim())
                    ),
                    None => trs(
                        format!("{} 位，尚未识别", self.code.trim().chars().count()),
                        format!(
                            "{} digits, not recognised yet",
                            self.code.trim().chars().count()
                        ),
                    ),
                }));
            }
        }
        col = col.push(widgets::field(
            tr("备注（流水号）", "Remark (receipt no.)"),
            text_input("", &self.remark)
                .id(REMARK_FIELD)
                .on_input(Message::Remark)
                .on_submit(Message::Confirm)
                .size(15),
        ));
        let hint = match self.auto_pay_at {
            Some(at) => trs(
                format!(
                    "{} 秒后自动收款 · Enter 立即收款 · Esc 或 ~ 取消",
                    widgets::secs_between(ctx.now, at)
                ),
                format!(
                    "Pays by itself in {} s · Enter pays now · Esc or ~ cancels",
                    widgets::secs_between(ctx.now, at)
                ),
            ),
            None if self.host_return.is_some() && self.amount.trim().is_empty() => tr(
                "Enter 去退款 · 输入金额则照常收款 · Esc 或 ~ 取消",
                "Enter opens the refund screen · type an amount to take a payment · Esc or ~ cancels",
            )
            .to_owned(),
            None => tr(
                "Enter 确认收款 · Esc 或 ~ 取消",
                "Enter to take the payment · Esc or ~ to cancel",
            )
            .to_owned(),
        };
        col = col.push(text(hint).size(15).color(if self.auto_pay_at.is_some() {
            style::PENDING
        } else {
            style::MUTED
        }));
        if touch {
            col = col.push(
                row![
                    widgets::keypad(Message::Keypad),
                    column![
                        button(
                            text(tr("确定", "OK"))
                                .size(24)
                                .width(Length::Fill)
                                .align_x(Alignment::Center)
                        )
                        .width(Length::Fixed(120.0))
                        .height(Length::Fixed(100.0))
                        .style(button::success)
                        .on_press(Message::Confirm),
                        button(
                            text(tr("取消", "Cancel"))
                                .size(24)
                                .width(Length::Fill)
                                .align_x(Alignment::Center)
                        )
                        .width(Length::Fixed(120.0))
                        .height(Length::Fixed(100.0))
                        .style(button::danger)
                        .on_press(Message::Cancel),
                    ]
                    .spacing(8),
                ]
                .spacing(12),
            );
        }
        col.into()
    }

    fn result_view<'a>(
        &'a self,
        result: &'a Result<Order, String>,
        ctx: &'a Ctx,
    ) -> Element<'a, Message> {
        let (color, headline, detail) = match result {
            Ok(o) => {
                let detail = match o.state {
                    OrderState::Paid => format!(
                        "{} · {}",
                        method_text(o.method),
                        o.transaction_id.clone().unwrap_or_default()
                    ),
                    OrderState::Reversed => tr("已撤单，顾客未被扣款", "Reversed: the customer was not charged").to_owned(),
                    OrderState::Failed => order_reason(o).unwrap_or_default(),
                    _ => tr(
                        "撤单尚未确认：系统会在后台完成，顾客不会被扣款",
                        "The reversal is not confirmed yet: it finishes in the background; the customer will not be charged",
                    )
                    .to_owned(),
                };
                (
                    style::state_color(o.state),
                    state_text(o.state).to_owned(),
                    detail,
                )
            }
            Err(e) => (
                style::FAILED,
                tr("未能收款", "Not charged").to_owned(),
                e.clone(),
            ),
        };
        let amount = result.as_ref().map_or_else(
            |_| crate::amount::parse(&self.amount).unwrap_or(Money::ZERO),
            |o| o.amount,
        );
        let left = self
            .close_at
            .map_or(0, |at| widgets::secs_between(ctx.now, at));
        let mut col = column![
            text(headline).size(34).font(style::bold()).color(color),
            style::money(amount, 48.0).color(color),
            text(detail).size(15).color(color),
        ]
        .spacing(8);
        if let Ok(o) = result {
            col = col.push(style::mono(
                format!("{} {}", tr("单号", "Order"), o.no),
                14.0,
            ));
        }
        column![
            container(col)
                .padding(16)
                .width(Length::Fill)
                .style(style::outcome_box(color)),
            style::hint(trs(
                format!("{left} 秒后关闭 · Enter 或 Esc 立即关闭"),
                format!("Closes in {left} s · Enter or Esc closes now"),
            )),
        ]
        .spacing(8)
        .into()
    }
}
