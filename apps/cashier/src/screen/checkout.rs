//! 收银 Checkout (full mode, C/F2): left the cart (货号/条码 field on top, lines with +/-,
//! 合计); right the style switch 全功能 / 简单 / 总额, the 付款码 field and the buttons 收款
//! and 现金收款. The cash dialog shows 实收 and 找零 live.

use cloudpos_domain::catalog::{Cart, CheckoutMode, Commodity, cash_change};
use cloudpos_domain::code::mask_code;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, PaymentMethod};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{PayInput, TerminalError};
use iced::widget::{Space, button, column, container, pick_list, row, text, text_input};
use iced::{Alignment, Element, Length};

use crate::ctx::Ctx;
use crate::i18n::{
    cart_error_text, error_text, halt_text, method_text, money_error_text, order_reason,
    state_text, tr, trs,
};
use crate::style;
use crate::widgets;

/// Id of the 货号/条码 field.
pub const LOOKUP_FIELD: &str = "checkout-lookup";
/// Id of the total-amount field.
pub const TOTAL_FIELD: &str = "checkout-total";
/// Id of the payment code field.
pub const CODE_FIELD: &str = "checkout-code";
/// Id of the cash received field.
pub const CASH_FIELD: &str = "checkout-cash";

/// A commodity in the simple checkout's list.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice(pub Commodity);

impl std::fmt::Display for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}  {}  ¥{}", self.0.sku, self.0.name, self.0.price)
    }
}

/// The checkout style, for the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style(pub CheckoutMode);

impl std::fmt::Display for Style {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            CheckoutMode::Full => tr("全功能收银", "Full cart"),
            CheckoutMode::Simple => tr("简单收银", "Single item"),
            CheckoutMode::TotalAmount => tr("总额收银", "Total amount"),
        })
    }
}

/// Where the sale stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Building the sale.
    Idle,
    /// Payment sent.
    Submitting(Timestamp),
    /// Following the order.
    Following(Order),
    /// Finished.
    Done(Result<Order, String>),
}

/// The cash dialog.
#[derive(Debug, Clone, Default)]
pub struct CashDialog {
    /// 实收 typed.
    pub tendered: String,
    /// Inline problem.
    pub error: Option<String>,
}

/// The checkout screen.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// The style in use.
    pub mode: CheckoutMode,
    /// The 货号/条码 field.
    pub lookup: String,
    /// The cart (full and simple styles).
    pub cart: Cart,
    /// The selected line (its SKU): + and - change its quantity.
    pub selected: Option<String>,
    /// The simple style's commodity list.
    pub choices: Vec<Choice>,
    /// The simple style's pick.
    pub pick: Option<Choice>,
    /// The simple style's quantity.
    pub quantity: String,
    /// The total-amount style's amount.
    pub total: String,
    /// The payment code.
    pub code: String,
    /// Remark.
    pub remark: String,
    /// Where the sale stands.
    pub stage: Stage,
    /// The cash dialog, when open.
    pub cash: Option<CashDialog>,
    /// A customer's payment code scanned into the 货号/条码 field while the cart was empty,
    /// waiting for the cashier to confirm it is for this sale.
    pub confirm_code: Option<String>,
    /// Inline problem.
    pub error: Option<String>,
    /// Lookups on their way (each Enter in 货号/条码 is one).
    finding: usize,
    /// The payment returned before its end (result unknown, or paid but not recorded yet):
    /// the sale follows the order until the terminal publishes its final state.
    adopted: bool,
    /// Which open outcome `pay` returned with, while the sale follows it.
    unresolved: Option<widgets::Unresolved>,
}

/// What the cashier did.
#[derive(Debug, Clone)]
pub enum Message {
    /// Style switched.
    Mode(Style),
    /// 货号/条码 typed (a trailing + or - changes the selected line's quantity).
    Lookup(String),
    /// Enter in the 货号/条码 field.
    LookupSubmit,
    /// The commodity looked up.
    Found(String, Result<Option<Commodity>, TerminalError>),
    /// + on a line.
    Increment(String),
    /// - on a line.
    Decrement(String),
    /// Remove a line.
    Remove(String),
    /// Select a line.
    Select(String),
    /// Simple style: commodity picked.
    Pick(Choice),
    /// Simple style: quantity typed.
    Quantity(String),
    /// The commodity list for the simple style.
    Choices(Result<Vec<Commodity>, TerminalError>),
    /// Total typed.
    Total(String),
    /// Code typed.
    Code(String),
    /// Remark typed.
    Remark(String),
    /// 收款 (wallet).
    PayWallet,
    /// 现金收款.
    OpenCash,
    /// 实收 typed.
    CashTendered(String),
    /// Confirm the cash payment.
    CashConfirm,
    /// Close the cash dialog.
    CashCancel,
    /// The payment returned.
    Finished(Result<Order, TerminalError>),
    /// The ledger committed a state of our order.
    Update(Order),
    /// Start the next sale.
    NextSale,
    /// Use the payment code scanned with an empty cart for this sale.
    UseCode,
    /// Do not.
    DropCode,
    /// Esc.
    Escape,
    /// Time passed.
    Tick(Timestamp),
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Look a commodity up by SKU or barcode.
    Find(String),
    /// Load the commodity list for the simple style.
    LoadChoices,
    /// Pay a cart by wallet code.
    Checkout {
        /// The cart.
        cart: Cart,
        /// The code.
        code: String,
        /// Remark.
        remark: String,
    },
    /// Pay an amount by wallet code (total-amount style).
    Pay(PayInput),
    /// Take cash.
    PayCash {
        /// Due.
        amount: Money,
        /// Handed over.
        tendered: Money,
        /// The cart (empty in the total-amount style).
        cart: Cart,
        /// Remark.
        remark: String,
    },
    /// Move the focus.
    Focus(&'static str),
}

impl Checkout {
    /// A checkout in `mode`.
    #[must_use]
    pub fn new(mode: CheckoutMode) -> Checkout {
        Checkout {
            mode,
            lookup: String::new(),
            cart: Cart::new(),
            selected: None,
            choices: Vec::new(),
            pick: None,
            quantity: "1".into(),
            total: String::new(),
            code: String::new(),
            remark: String::new(),
            stage: Stage::Idle,
            cash: None,
            confirm_code: None,
            error: None,
            finding: 0,
            adopted: false,
            unresolved: None,
        }
    }

    /// The field the focus belongs in for this style.
    #[must_use]
    pub fn first_field(&self) -> &'static str {
        match self.mode {
            CheckoutMode::Full => LOOKUP_FIELD,
            CheckoutMode::Simple => CODE_FIELD,
            CheckoutMode::TotalAmount => TOTAL_FIELD,
        }
    }

    /// The title of the open dialog, if any (the window title names it).
    #[must_use]
    pub fn dialog_title(&self) -> Option<&'static str> {
        if self.confirm_code.is_some() {
            return Some(tr("付款码", "Payment code"));
        }
        self.cash.as_ref().map(|_| tr("现金收款", "Cash payment"))
    }

    /// Whether a scan is being looked up: the next scan waits for it, so the cart fills in
    /// the order the goods were scanned and every key lands where the last one left the
    /// focus.
    #[must_use]
    pub fn settling(&self) -> bool {
        self.finding > 0
    }

    /// Whether a payment is on its way.
    #[must_use]
    pub fn in_flight(&self) -> bool {
        matches!(self.stage, Stage::Submitting(_) | Stage::Following(_))
    }

    /// The cart paid in the simple style: the pick and its quantity.
    fn simple_cart(&self) -> Result<Cart, String> {
        let pick = self
            .pick
            .as_ref()
            .ok_or_else(|| tr("请选择商品", "Choose a commodity").to_owned())?;
        let qty: u32 = self
            .quantity
            .trim()
            .parse()
            .ok()
            .filter(|q| *q > 0)
            .ok_or_else(|| tr("数量有误", "Bad quantity").to_owned())?;
        let mut cart = Cart::new();
        cart.add(&pick.0, qty).map_err(|e| cart_error_text(&e))?;
        Ok(cart)
    }

    /// The amount due and the cart behind it.
    pub fn due(&self) -> Result<(Money, Cart), String> {
        match self.mode {
            CheckoutMode::Full => {
                if self.cart.is_empty() {
                    return Err(tr(
                        "购物车是空的：请输入货号或扫条码",
                        "The cart is empty: type a SKU or scan a barcode",
                    )
                    .to_owned());
                }
                let total = self.cart.total().map_err(|e| cart_error_text(&e))?;
                Ok((total, self.cart.clone()))
            }
            CheckoutMode::Simple => {
                let cart = self.simple_cart()?;
                Ok((cart.total().map_err(|e| cart_error_text(&e))?, cart))
            }
            CheckoutMode::TotalAmount => match crate::amount::parse(&self.total) {
                Ok(a) if a.is_positive() => Ok((a, Cart::new())),
                Ok(_) => Err(tr("金额必须大于 0", "The amount must be more than 0").to_owned()),
                Err(e) => Err(money_error_text(&e)),
            },
        }
    }

    fn change_selected(&mut self, up: bool) {
        let sku = self
            .selected
            .clone()
            .or_else(|| self.cart.lines().last().map(|l| l.sku.clone()));
        if let Some(sku) = sku {
            let r = if up {
                self.cart.increment(&sku)
            } else {
                self.cart.decrement(&sku)
            };
            if let Err(e) = r {
                self.error = Some(cart_error_text(&e));
            }
            if !self.cart.lines().iter().any(|l| l.sku == sku) {
                self.selected = None;
            }
        }
    }

    fn reset_sale(&mut self) {
        self.cart.clear();
        self.selected = None;
        self.lookup.clear();
        self.total.clear();
        self.code.clear();
        self.remark.clear();
        self.quantity = "1".into();
        self.stage = Stage::Idle;
        self.cash = None;
        self.error = None;
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
        if matches!(message, Message::Found(..)) {
            self.finding = self.finding.saturating_sub(1);
        }
        if matches!(self.stage, Stage::Done(_))
            && matches!(
                message,
                Message::Lookup(_) | Message::Total(_) | Message::Code(_) | Message::Pick(_)
            )
        {
            // Typing after a finished sale starts the next one.
            self.reset_sale();
        }
        match message {
            Message::Mode(Style(mode)) => {
                self.mode = mode;
                self.error = None;
                let load = (mode == CheckoutMode::Simple && self.choices.is_empty())
                    .then_some(Event::LoadChoices);
                load.or(Some(Event::Focus(self.first_field())))
            }
            Message::Lookup(v) => {
                if let Some(rest) = v.strip_suffix('+') {
                    self.lookup = rest.to_owned();
                    self.change_selected(true);
                } else if let Some(rest) = v.strip_suffix('-') {
                    self.lookup = rest.to_owned();
                    self.change_selected(false);
                } else {
                    self.lookup = v;
                    self.error = None;
                }
                None
            }
            Message::LookupSubmit => {
                let q = self.lookup.trim().to_owned();
                if q.is_empty() {
                    // An empty Enter moves on to the code field.
                    return Some(Event::Focus(CODE_FIELD));
                }
                self.finding += 1;
                Some(Event::Find(q))
            }
            Message::Found(q, Ok(Some(c))) => {
                match self.cart.add(&c, 1) {
                    Ok(()) => {
                        self.selected = Some(c.sku.clone());
                        self.error = None;
                    }
                    Err(e) => self.error = Some(cart_error_text(&e)),
                }
                if self.lookup.trim() == q {
                    self.lookup.clear();
                }
                Some(Event::Focus(LOOKUP_FIELD))
            }
            Message::Found(q, Ok(None)) => {
                if let Some(code) = ctx.payment_code(&q) {
                    // Scanner first: not a commodity but the customer's wallet code, scanned
                    // where the cursor was. Take it as this sale's payment code.
                    if self.lookup.trim() == q {
                        self.lookup.clear();
                    }
                    if self.cart.is_empty() {
                        self.confirm_code = Some(code.as_str().to_owned());
                        return None;
                    }
                    self.code = code.as_str().to_owned();
                    return self.update(Message::PayWallet, ctx);
                }
                self.error = Some(trs(
                    format!("没有货号或条码为 {} 的商品", shown_scan(&q)),
                    format!("No commodity has the SKU or barcode {}", shown_scan(&q)),
                ));
                Some(Event::Focus(LOOKUP_FIELD))
            }
            Message::UseCode => {
                self.code = self.confirm_code.take()?;
                self.error = None;
                Some(Event::Focus(LOOKUP_FIELD))
            }
            Message::DropCode => {
                self.confirm_code = None;
                Some(Event::Focus(LOOKUP_FIELD))
            }
            Message::Found(_, Err(e)) | Message::Choices(Err(e)) => {
                self.error = Some(error_text(&e));
                None
            }
            Message::Increment(sku) => {
                self.selected = Some(sku);
                self.change_selected(true);
                None
            }
            Message::Decrement(sku) => {
                self.selected = Some(sku);
                self.change_selected(false);
                None
            }
            Message::Remove(sku) => {
                let _ = self.cart.remove(&sku);
                if self.selected.as_deref() == Some(sku.as_str()) {
                    self.selected = None;
                }
                None
            }
            Message::Select(sku) => {
                self.selected = Some(sku);
                None
            }
            Message::Pick(c) => {
                self.pick = Some(c);
                self.error = None;
                Some(Event::Focus(CODE_FIELD))
            }
            Message::Quantity(v) => {
                self.quantity = v.chars().filter(char::is_ascii_digit).collect();
                None
            }
            Message::Choices(Ok(list)) => {
                self.choices = list.into_iter().map(Choice).collect();
                Some(Event::Focus(self.first_field()))
            }
            Message::Total(v) => {
                self.total = crate::amount::typed(&v);
                self.error = None;
                None
            }
            Message::Code(v) => {
                self.code = v.chars().filter(char::is_ascii_alphanumeric).collect();
                self.error = None;
                None
            }
            Message::Remark(v) => {
                self.remark = v;
                None
            }
            Message::PayWallet => {
                if self.in_flight() {
                    return None;
                }
                if let Some(h) = &ctx.halt {
                    self.error = Some(halt_text(h));
                    return None;
                }
                let (amount, cart) = match self.due() {
                    Ok(d) => d,
                    Err(e) => {
                        self.error = Some(e);
                        return Some(Event::Focus(self.first_field()));
                    }
                };
                if self.code.trim().is_empty() {
                    self.error =
                        Some(tr("请扫描顾客付款码", "Scan the customer's payment code").to_owned());
                    return Some(Event::Focus(CODE_FIELD));
                }
                self.error = None;
                self.stage = Stage::Submitting(ctx.now);
                let code = self.code.trim().to_owned();
                let remark = self.remark.trim().to_owned();
                Some(if cart.is_empty() {
                    Event::Pay(PayInput {
                        amount,
                        code,
                        remark,
                        body: None,
                        timeout: None,
                    })
                } else {
                    Event::Checkout { cart, code, remark }
                })
            }
            Message::OpenCash => {
                if self.in_flight() {
                    return None;
                }
                match self.due() {
                    Ok(_) => {
                        self.cash = Some(CashDialog::default());
                        Some(Event::Focus(CASH_FIELD))
                    }
                    Err(e) => {
                        self.error = Some(e);
                        Some(Event::Focus(self.first_field()))
                    }
                }
            }
            Message::CashTendered(v) => {
                if let Some(c) = &mut self.cash {
                    c.tendered = crate::amount::typed(&v);
                    c.error = None;
                }
                None
            }
            Message::CashConfirm => {
                let (amount, cart) = match self.due() {
                    Ok(d) => d,
                    Err(e) => {
                        self.error = Some(e);
                        self.cash = None;
                        return None;
                    }
                };
                let cash = self.cash.as_mut()?;
                let tendered = match crate::amount::parse(&cash.tendered) {
                    Ok(t) => t,
                    Err(e) => {
                        cash.error = Some(money_error_text(&e));
                        return Some(Event::Focus(CASH_FIELD));
                    }
                };
                if let Err(e) = cash_change(amount, tendered) {
                    cash.error = Some(trs(
                        format!("实收 ¥{} 少于应收 ¥{}", e.tendered, e.total),
                        format!(
                            "Received ¥{} is less than the total ¥{}",
                            e.tendered, e.total
                        ),
                    ));
                    return Some(Event::Focus(CASH_FIELD));
                }
                self.cash = None;
                self.stage = Stage::Submitting(ctx.now);
                Some(Event::PayCash {
                    amount,
                    tendered,
                    cart,
                    remark: self.remark.trim().to_owned(),
                })
            }
            Message::CashCancel => {
                self.cash = None;
                Some(Event::Focus(self.first_field()))
            }
            Message::Finished(Err(
                e @ (TerminalError::ResultUnknown { .. } | TerminalError::PaidNotRecorded { .. }),
            )) => {
                // Not an end: the customer may have paid. Follow the order (amber, in words:
                // 结果未知，正在查询… / 已在云端收款，本地记录稍后补全) until the terminal
                // completes it; a final state then ends the sale. Never red: nothing failed.
                let (TerminalError::ResultUnknown { order, cause }
                | TerminalError::PaidNotRecorded { order, cause }) = &e
                else {
                    return None;
                };
                tracing::warn!(order = %order.no, "payment outcome open: {cause}");
                self.error = None;
                self.unresolved = widgets::Unresolved::of(&e);
                self.adopted = true;
                self.stage = Stage::Following((**order).clone());
                None
            }
            Message::Finished(result) => {
                self.adopted = false;
                self.unresolved = None;
                let paid = matches!(&result, Ok(o) if o.state == OrderState::Paid);
                self.stage = Stage::Done(result.map_err(|e| error_text(&e)));
                if paid {
                    self.cart.clear();
                    self.selected = None;
                    self.code.clear();
                    self.total.clear();
                    self.lookup.clear();
                    self.error = None;
                }
                Some(Event::Focus(self.first_field()))
            }
            Message::Update(order) => {
                let ours = match &self.stage {
                    Stage::Following(o) => o.no == order.no,
                    Stage::Submitting(_) => {
                        order.code_masked.as_deref()
                            == Some(cloudpos_domain::code::mask_code(self.code.trim()).as_str())
                    }
                    _ => false,
                };
                if ours {
                    if order.state.is_final() && self.adopted {
                        // A sale followed after an unknown result: its end.
                        self.error = None;
                        return self.update(Message::Finished(Ok(order)), ctx);
                    }
                    self.stage = Stage::Following(order);
                }
                None
            }
            Message::NextSale => {
                if self.in_flight() {
                    return None;
                }
                self.reset_sale();
                Some(Event::Focus(self.first_field()))
            }
            Message::Escape => {
                if self.confirm_code.is_some() {
                    self.confirm_code = None;
                } else if self.cash.is_some() {
                    self.cash = None;
                } else if matches!(self.stage, Stage::Done(_)) {
                    self.stage = Stage::Idle;
                } else {
                    self.error = None;
                    self.lookup.clear();
                }
                Some(Event::Focus(self.first_field()))
            }
            Message::Tick(_) => None,
        }
    }

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

/// What a scan is shown as: a long run of digits (a customer's payment code, or something
/// that looks like one) only masked, as the command line shows it (`1345**********1500`).
#[must_use]
pub fn shown_scan(text: &str) -> String {
    let t = text.trim();
    if t.len() >= 16 && t.chars().all(|c| c.is_ascii_digit()) {
        mask_code(t)
    } else {
        t.to_owned()
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
