//! 会员卡 at the checkout (F10): the sale paid from a member card. The dialog takes the card
//! scanned (or its number typed) and Enter pays the amount due from the card's balance; an
//! insufficient balance is refused with the balance shown. (A member card's 99… code
//! scanned into 货号/条码 or the 付款码 field pays from the card too, through the payment.)

use cloudpos_domain::catalog::Cart;
use cloudpos_domain::money::Money;
use iced::widget::{button, column, row, text, text_input};
use iced::{Alignment, Element};

use super::{CARD_FIELD, Checkout, Event, Message as CheckoutMessage, Stage};
use crate::ctx::Ctx;
use crate::i18n::{halt_text, tr};
use crate::style;
use crate::widgets;

/// F10: 会员卡.
pub const CARD_KEY: u8 = 10;

/// The card dialog.
#[derive(Debug, Clone, Default)]
pub struct CardDialog {
    /// The card number scanned or typed.
    pub card_no: String,
    /// Inline problem.
    pub error: Option<String>,
}

/// What the cashier did in the card dialog.
#[derive(Debug, Clone)]
pub enum Message {
    /// 会员卡 (F10): open the dialog.
    Open,
    /// Card number typed or scanned.
    CardNo(String),
    /// Pay (Enter).
    Confirm,
    /// Close the dialog.
    Cancel,
}

/// The card payment the dialog asks for.
#[derive(Debug, Clone)]
pub struct CardPay {
    /// The amount due.
    pub amount: Money,
    /// The cart (empty in the total-amount style).
    pub cart: Cart,
    /// The card number.
    pub card: String,
    /// Remark.
    pub remark: String,
}

impl Checkout {
    /// Handles a card dialog message.
    pub(super) fn card_update(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
        match message {
            Message::Open => {
                if self.in_flight() {
                    return None;
                }
                match self.due() {
                    Ok(_) => {
                        self.card = Some(CardDialog::default());
                        Some(Event::Focus(CARD_FIELD))
                    }
                    Err(e) => {
                        self.error = Some(e);
                        Some(Event::Focus(self.first_field()))
                    }
                }
            }
            Message::CardNo(v) => {
                let d = self.card.as_mut()?;
                d.card_no = v.chars().filter(char::is_ascii_alphanumeric).collect();
                d.error = None;
                None
            }
            Message::Confirm => {
                if self.in_flight() {
                    return None;
                }
                if let Some(h) = &ctx.halt {
                    self.card.as_mut()?.error = Some(halt_text(h));
                    return None;
                }
                let (amount, cart) = match self.due() {
                    Ok(d) => d,
                    Err(e) => {
                        self.error = Some(e);
                        self.card = None;
                        return Some(Event::Focus(self.first_field()));
                    }
                };
                let d = self.card.as_mut()?;
                let card = d.card_no.trim().to_owned();
                if card.is_empty() {
                    d.error = Some(
                        tr(
                            "请扫描会员卡或输入卡号",
                            "Scan the member card or type its number",
                        )
                        .to_owned(),
                    );
                    return Some(Event::Focus(CARD_FIELD));
                }
                self.card = None;
                self.error = None;
                self.lookup.clear();
                self.stage = Stage::Submitting(ctx.now);
                Some(Event::PayCard(CardPay {
                    amount,
                    cart,
                    card,
                    remark: self.remark.trim().to_owned(),
                }))
            }
            Message::Cancel => {
                self.card = None;
                Some(Event::Focus(self.first_field()))
            }
        }
    }

    /// Draws the card dialog.
    pub(super) fn card_view<'a>(
        &'a self,
        ctx: &Ctx,
        d: &'a CardDialog,
    ) -> Element<'a, CheckoutMessage> {
        let m = CheckoutMessage::Card;
        let due = self.due().map_or(Money::ZERO, |(a, _)| a);
        let mut body = column![
            row![text(tr("应收", "Due")).size(20), style::money(due, 34.0)]
                .align_y(Alignment::Center),
            widgets::field(
                tr("会员卡号（扫会员卡）", "Member card (scan the card)"),
                text_input(
                    tr(
                        "扫描后按 Enter 从卡内扣款",
                        "Scan, then Enter pays from the card"
                    ),
                    &d.card_no
                )
                .id(CARD_FIELD)
                .on_input(move |v| m(Message::CardNo(v)))
                .on_submit(m(Message::Confirm))
                .font(style::MONO)
                .size(22)
                .padding(8),
            ),
            style::hint(tr(
                "余额不足时不会扣款，并显示卡内余额",
                "An insufficient balance is refused, with the balance shown",
            )),
        ]
        .spacing(14);
        if let Some(e) = &d.error {
            body = body.push(widgets::notice(e, style::FAILED));
        }
        body = body.push(
            row![
                button(text(tr("卡内扣款 (Enter)", "Pay from card (Enter)")).size(18))
                    .style(button::success)
                    .padding(10)
                    .on_press(m(Message::Confirm)),
                button(text(tr("取消 (Esc)", "Cancel (Esc)")).size(18))
                    .style(button::secondary)
                    .padding(10)
                    .on_press(m(Message::Cancel)),
            ]
            .spacing(10),
        );
        widgets::dialog(ctx, tr("会员卡支付", "Pay by member card"), body, 440.0)
    }
}
