//! 收银 Checkout (full mode, C/F2): left the cart (货号/条码 field on top, lines with +/-,
//! 合计); right the style switch 全功能 / 简单 / 总额, the 付款码 field and the buttons 收款
//! and 现金收款 (and 会员卡, in `card`). The cash dialog shows 实收 and 找零 live.

pub mod card;
mod view;

use cloudpos_domain::catalog::{Cart, CheckoutMode, Commodity, cash_change};
use cloudpos_domain::code::mask_code;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{PayInput, Terminal, TerminalError};
use iced::Task;

use crate::ctx::Ctx;
use crate::focus;
use crate::i18n::{cart_error_text, error_text, halt_text, money_error_text, tr, trs};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::widgets;

/// Id of the 货号/条码 field.
pub const LOOKUP_FIELD: &str = "checkout-lookup";
/// Id of the total-amount field.
pub const TOTAL_FIELD: &str = "checkout-total";
/// Id of the payment code field.
pub const CODE_FIELD: &str = "checkout-code";
/// Id of the cash received field.
pub const CASH_FIELD: &str = "checkout-cash";
/// Id of the member card field (会员卡 dialog).
pub const CARD_FIELD: &str = "checkout-card";

/// F9: 现金收款 (F1–F8 are the screens).
pub const CASH_KEY: u8 = 9;

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
    /// The member card dialog, when open.
    pub card: Option<card::CardDialog>,
    /// A customer's payment code scanned into the 货号/条码 field while the cart was empty,
    /// waiting for the cashier to confirm it is for this sale.
    pub confirm_code: Option<String>,
    /// Inline problem.
    pub error: Option<String>,
    /// A lookup is on its way (each Enter in 货号/条码 is one).
    looking: bool,
    /// Scans waiting their turn. They are looked up one at a time, in the order they were
    /// scanned, and not while a payment is on its way: the cart fills in scan order, a
    /// customer's code scanned after the goods always finds them in the cart, and goods
    /// scanned for the next customer while the last payment finishes go into the next sale.
    queued: std::collections::VecDeque<String>,
    /// The cashier asked to pay while scans were still being looked up: pay once they are in.
    pay_when_found: bool,
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
    /// The member card dialog (会员卡).
    Card(card::Message),
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
    /// Pay from a member card.
    PayCard(card::CardPay),
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
            card: None,
            confirm_code: None,
            error: None,
            looking: false,
            queued: std::collections::VecDeque::new(),
            pay_when_found: false,
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
        if self.card.is_some() {
            return Some(tr("会员卡支付", "Pay by member card"));
        }
        self.cash.as_ref().map(|_| tr("现金收款", "Cash payment"))
    }

    /// Whether a scan is being looked up: the next scan waits for it, so the cart fills in
    /// the order the goods were scanned and every key lands where the last one left the
    /// focus. Scans waiting for a payment to finish do not hold the keys.
    #[must_use]
    pub fn settling(&self) -> bool {
        self.looking || (!self.queued.is_empty() && !self.in_flight())
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
        self.card = None;
        self.error = None;
    }

    /// Runs an event's terminal call (or moves the focus).
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::Find(code) => call(
                terminal,
                |t| async move {
                    let r = t.commodity_by_code(&code).await;
                    (code, r)
                },
                |(code, r)| Message::Found(code, r),
            ),
            Event::LoadChoices => call(
                terminal,
                |t| async move {
                    t.commodities(&cloudpos_domain::ports::CommodityQuery {
                        page_size: 500,
                        ..Default::default()
                    })
                    .await
                    .map(|p| p.items)
                },
                Message::Choices,
            ),
            Event::Checkout { cart, code, remark } => {
                let pay = call(
                    terminal,
                    |t| async move { t.checkout(&cart, &code, &remark).await },
                    Message::Finished,
                );
                if self.mode == CheckoutMode::Full {
                    // Scanner first: while the code is being charged, the next customer's
                    // goods can already be scanned; they wait for this sale to end.
                    Task::batch([pay, focus::enter(LOOKUP_FIELD)])
                } else {
                    pay
                }
            }
            Event::Pay(input) => call(
                terminal,
                |t| async move { t.pay(input).await },
                Message::Finished,
            ),
            Event::PayCard(card::CardPay {
                amount,
                cart,
                card,
                remark,
            }) => call(
                terminal,
                |t| async move {
                    if cart.is_empty() {
                        t.pay_member(&card, amount, &remark).await
                    } else {
                        t.checkout_by_card(&cart, &card, &remark).await
                    }
                },
                Message::Finished,
            ),
            Event::PayCash {
                amount,
                tendered,
                cart,
                remark,
            } => call(
                terminal,
                |t| async move {
                    t.pay_cash(amount, tendered, cart.lines().to_vec(), &remark)
                        .await
                },
                Message::Finished,
            ),
            // The 货号/条码 field may already hold the start of the next scan when a lookup
            // returns: keep it, and keep typing after it.
            Event::Focus(LOOKUP_FIELD) => focus::enter(LOOKUP_FIELD),
            Event::Focus(id) => focus::select(id),
        }
    }

    /// The screen's keys: Esc, F9 (现金收款), + and - on the selected line (else the last),
    /// Enter (the open dialog's button, the next sale, or back to the first field). While
    /// the cash or payment-code dialog is open it takes every other key but the app's M, V
    /// and U.
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<KeyAction<Message>> {
        let line = || {
            self.selected
                .clone()
                .or_else(|| self.cart.lines().last().map(|l| l.sku.clone()))
        };
        match shortcut(press) {
            Shortcut::Escape => Some(KeyAction::Send(Message::Escape)),
            Shortcut::Function(CASH_KEY) if self.cash.is_none() && self.card.is_none() => {
                Some(KeyAction::Send(Message::OpenCash))
            }
            Shortcut::Function(card::CARD_KEY) if self.cash.is_none() && self.card.is_none() => {
                Some(KeyAction::Send(Message::Card(card::Message::Open)))
            }
            Shortcut::Function(_) => None,
            Shortcut::Plus => Some(line().map_or(KeyAction::Swallow, |sku| {
                KeyAction::Send(Message::Increment(sku))
            })),
            Shortcut::Minus => Some(line().map_or(KeyAction::Swallow, |sku| {
                KeyAction::Send(Message::Decrement(sku))
            })),
            Shortcut::Enter => Some(if self.confirm_code.is_some() {
                KeyAction::Send(Message::UseCode)
            } else if self.cash.is_some() {
                KeyAction::Send(Message::CashConfirm)
            } else if self.card.is_some() {
                KeyAction::Send(Message::Card(card::Message::Confirm))
            } else if matches!(self.stage, Stage::Done(_)) {
                KeyAction::Send(Message::NextSale)
            } else {
                KeyAction::Focus(self.first_field())
            }),
            Shortcut::Letter('M' | 'V' | 'U') => None,
            _ if self.cash.is_some() || self.card.is_some() || self.confirm_code.is_some() => {
                Some(KeyAction::Swallow)
            }
            _ => None,
        }
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
        if matches!(message, Message::Found(..)) {
            self.looking = false;
        }
        let event = self.update_inner(message, ctx);
        self.next_lookup(event, ctx)
    }

    /// The next scan waiting is looked up once nothing else is: no lookup on its way, no
    /// payment, no question open. A payment asked for meanwhile goes once the scans are in.
    fn next_lookup(&mut self, event: Option<Event>, ctx: &Ctx) -> Option<Event> {
        let free = !self.looking
            && !self.in_flight()
            && self.confirm_code.is_none()
            && matches!(event, None | Some(Event::Focus(_)));
        if !free {
            return event;
        }
        if let Some(next) = self.queued.pop_front() {
            self.looking = true;
            return Some(Event::Find(next));
        }
        if std::mem::take(&mut self.pay_when_found) {
            return self.update_inner(Message::PayWallet, ctx);
        }
        event
    }

    fn update_inner(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
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
                // The field is free for the next scan at once; a scan that finds nothing
                // comes back into it to be corrected.
                self.lookup.clear();
                // Looked up in its turn (`next_lookup`).
                self.queued.push_back(q);
                None
            }
            Message::Found(_, Ok(Some(c))) => {
                if matches!(self.stage, Stage::Done(_)) {
                    // Goods scanned while the last sale was ending start the next one.
                    self.stage = Stage::Idle;
                    self.error = None;
                }
                match self.cart.add(&c, 1) {
                    Ok(()) => {
                        self.selected = Some(c.sku.clone());
                        self.error = None;
                    }
                    Err(e) => self.error = Some(cart_error_text(&e)),
                }
                Some(Event::Focus(LOOKUP_FIELD))
            }
            Message::Found(q, Ok(None)) => {
                if let Some(code) = ctx.payment_code(&q) {
                    // Scanner first: not a commodity but the customer's wallet code, scanned
                    // where the cursor was. Take it as this sale's payment code.
                    if self.cart.is_empty() {
                        self.confirm_code = Some(code.as_str().to_owned());
                        return None;
                    }
                    self.code = code.as_str().to_owned();
                    return self.update_inner(Message::PayWallet, ctx);
                }
                self.error = Some(trs(
                    format!("没有货号或条码为 {} 的商品", shown_scan(&q)),
                    format!("No commodity has the SKU or barcode {}", shown_scan(&q)),
                ));
                if self.lookup.is_empty() && self.queued.is_empty() {
                    self.lookup = q;
                }
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
            Message::Code(_) if self.in_flight() => {
                // The code on its way is not edited under the payment: the next sale's keys
                // go to 货号/条码 (where the payment moved the focus).
                Some(Event::Focus(LOOKUP_FIELD))
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
                if self.settling() {
                    // Goods scanned before are still being looked up: they belong in this
                    // sale, so it is paid once they are in the cart.
                    self.pay_when_found = true;
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
                // Text left in 货号/条码 (a scan that found nothing) is not this sale's and
                // not the next one's: the field starts the next sale empty.
                self.lookup.clear();
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
                self.lookup.clear();
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
            Message::Card(m) => self.card_update(m, ctx),
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
                    // `lookup` is kept: it holds only what was typed for the next sale since
                    // the payment left (a scan clears the field as it is submitted).
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
                } else if self.card.is_some() {
                    self.card = None;
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

#[cfg(test)]
mod tests;
