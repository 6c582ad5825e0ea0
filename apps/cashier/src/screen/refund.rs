//! 退款 Refund: the order number (typed, or scanned from the receipt's barcode), the
//! original amount, what is already refunded, the refund amount (default: what is left) and
//! the reason. A clerk without the refund permission gets 店长授权: the manager scans a QR
//! code on their phone, or types their ID and password here. Then 返回 / 查看退款.
//!
//! The form is one component: the refund screen (R/F5) shows it inline, the order list (R)
//! in a dialog.

mod page;
mod view;

pub use page::{RefundScreen, ScreenMessage, find_returned, print, returned_order};

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_domain::ports::{Approval, ApprovalState, ApprovalTicket};
use cloudpos_domain::refund::{Refund, remaining_refundable};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{Authorization, RefundInput, RefundResult, Terminal, TerminalError};
use iced::Task;
use iced::widget::qr_code::Data;

use crate::focus;
use crate::i18n::{error_text, tr, trs};
use crate::keys::Shortcut;
use crate::screen::call;

/// Id of the order number field.
pub const ORDER_FIELD: &str = "refund-order";
/// Id of the amount field.
pub const AMOUNT_FIELD: &str = "refund-amount";
/// Id of the manager ID field.
pub const MANAGER_FIELD: &str = "refund-manager";

/// F11: the manager approves a refund by QR code.
pub const QR_AUTH_KEY: u8 = 11;
/// F12: the manager approves a refund by password.
pub const PASSWORD_AUTH_KEY: u8 = 12;
const POLL_EVERY_MS: i64 = 1_500;

/// How the manager authorises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// 扫码授权.
    Qr,
    /// 店长密码.
    Password,
}

/// The manager's authorisation in progress.
#[derive(Debug)]
pub struct Auth {
    /// QR or password.
    pub mode: AuthMode,
    ticket: Option<(ApprovalTicket, Data)>,
    /// Manager ID typed.
    pub manager: String,
    /// Manager password typed.
    pub password: String,
    /// Inline problem.
    pub error: Option<String>,
    polling: bool,
    last_poll: Option<Timestamp>,
}

/// Where the refund stands.
#[derive(Debug)]
pub enum Stage {
    /// Filling in the form.
    Entering,
    /// Sent.
    Submitting,
    /// Waiting for a manager.
    Authorising(Auth),
    /// Finished.
    Done(Result<RefundResult, String>),
}

/// The refund form.
#[derive(Debug)]
pub struct RefundForm {
    /// The order number typed or scanned.
    pub order_no: String,
    /// The order, once found.
    pub order: Option<Order>,
    /// Its refunds so far.
    pub refunds: Vec<Refund>,
    /// The refund amount.
    pub amount: String,
    /// The reason.
    pub reason: String,
    /// Where it stands.
    pub stage: Stage,
    /// Inline problem.
    pub error: Option<String>,
    /// Shown in a dialog (has 返回 to close).
    pub in_dialog: bool,
    /// The order is being looked up.
    looking_up: bool,
    /// The amount to refund once the order is found, instead of all that is left (the
    /// return the host POS showed).
    pub wanted: Option<Money>,
    /// Why the form was opened, shown above it (the host POS shows a return).
    pub note: Option<String>,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// Order number typed or scanned.
    OrderNo(String),
    /// Enter in the order field.
    Lookup,
    /// The order and its refunds.
    Loaded(Result<(Order, Vec<Refund>), TerminalError>),
    /// Amount typed.
    Amount(String),
    /// Reason typed.
    Reason(String),
    /// 确认退款.
    Submit,
    /// The refund returned.
    Submitted(Result<RefundResult, TerminalError>),
    /// QR or password.
    AuthMode(AuthMode),
    /// A QR challenge was opened.
    Ticket(Result<ApprovalTicket, TerminalError>),
    /// The challenge was polled.
    Polled(Result<Approval, TerminalError>),
    /// Manager ID typed.
    Manager(String),
    /// Manager password typed.
    ManagerPassword(String),
    /// 授权 with the password.
    AuthorizeWithPassword,
    /// 返回.
    Back,
    /// 查看退款.
    ViewRefunds,
    /// 打印退款单.
    Print(RefundNo),
    /// Time passed (polls the approval).
    Tick(Timestamp),
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Load an order and its refunds.
    Lookup(OrderNo),
    /// Refund.
    Refund(RefundInput),
    /// Open a manager approval challenge for this refund.
    RequestApproval(OrderNo, Money),
    /// Poll a challenge.
    Poll(String),
    /// Close the dialog.
    Close,
    /// Show the order's refunds in the list.
    ViewRefunds(OrderNo),
    /// Print a refund receipt.
    Print(RefundNo),
    /// Move the focus.
    Focus(&'static str),
}

impl RefundForm {
    /// An empty form.
    #[must_use]
    pub fn new(in_dialog: bool) -> RefundForm {
        RefundForm {
            order_no: String::new(),
            order: None,
            refunds: Vec::new(),
            amount: String::new(),
            reason: String::new(),
            stage: Stage::Entering,
            error: None,
            in_dialog,
            looking_up: false,
            wanted: None,
            note: None,
        }
    }

    /// The form for a return the host POS shows (去退款 in the payment window): `amount` is
    /// what the host returns; `order`, the original payment when one was found (looked up
    /// at once), else the cashier scans or types it.
    #[must_use]
    pub fn for_host_return(amount: Money, order: Option<&Order>) -> (RefundForm, Event) {
        let mut f = RefundForm::new(false);
        f.wanted = Some(amount);
        f.reason = tr("顾客退货", "Goods returned").to_owned();
        let event = match order {
            Some(o) => {
                f.note = Some(trs(
                    format!("主机显示退货 ¥{amount}：已找到原订单，请核对后确认退款"),
                    format!(
                        "The host POS shows a return of ¥{amount}: the original order was found; check it and refund"
                    ),
                ));
                f.order_no = o.no.to_string();
                f.looking_up = true;
                Event::Lookup(o.no.clone())
            }
            None => {
                f.note = Some(trs(
                    format!("主机显示退货 ¥{amount}：请扫描原小票条码或输入原订单号"),
                    format!(
                        "The host POS shows a return of ¥{amount}: scan the original receipt's barcode or type its order number"
                    ),
                ));
                Event::Focus(ORDER_FIELD)
            }
        };
        (f, event)
    }

    /// A form for an order already in hand (R in the order list).
    #[must_use]
    pub fn for_order(order: &Order) -> (RefundForm, Event) {
        let mut f = RefundForm::new(true);
        f.order_no = order.no.to_string();
        f.looking_up = true;
        (f, Event::Lookup(order.no.clone()))
    }

    fn remaining(&self) -> Money {
        self.order
            .as_ref()
            .map_or(Money::ZERO, |o| remaining_refundable(o, &self.refunds))
    }

    fn parsed(&self) -> Result<(OrderNo, Money), String> {
        let order = self.order.as_ref().ok_or_else(|| {
            tr("请先输入订单号并按 Enter", "Enter the order number first").to_owned()
        })?;
        let amount =
            crate::amount::parse(&self.amount).map_err(|e| crate::i18n::money_error_text(&e))?;
        if !amount.is_positive() {
            return Err(tr("退款金额必须大于 0", "The refund must be more than 0").to_owned());
        }
        if amount > self.remaining() {
            return Err(trs(
                format!("最多可退 ¥{}", self.remaining()),
                format!("At most ¥{} can be refunded", self.remaining()),
            ));
        }
        Ok((order.no.clone(), amount))
    }

    fn input(&self, authorization: Option<Authorization>) -> Option<RefundInput> {
        let (order_no, amount) = self.parsed().ok()?;
        Some(RefundInput {
            order_no,
            amount,
            reason: self.reason.trim().to_owned(),
            authorization,
        })
    }

    /// The manager approval challenge shown, if any.
    #[must_use]
    pub fn approval_ticket(&self) -> Option<&ApprovalTicket> {
        match &self.stage {
            Stage::Authorising(a) => a.ticket.as_ref().map(|(t, _)| t),
            _ => None,
        }
    }

    /// Whether the form is busy with the cloud or a manager.
    #[must_use]
    pub fn busy(&self) -> bool {
        matches!(self.stage, Stage::Submitting | Stage::Authorising(_))
    }

    /// Whether the form is waiting for an answer that moves the focus (the order being
    /// looked up, the refund being sent): keys typed meanwhile wait for it.
    #[must_use]
    pub fn settling(&self) -> bool {
        self.looking_up || matches!(self.stage, Stage::Submitting)
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::OrderNo(v) => {
                if matches!(self.stage, Stage::Done(_)) {
                    *self = RefundForm::new(self.in_dialog);
                }
                self.order_no = v.chars().filter(char::is_ascii_alphanumeric).collect();
                self.error = None;
                None
            }
            Message::Lookup => {
                if self
                    .order
                    .as_ref()
                    .is_some_and(|o| o.no.as_str() == self.order_no)
                {
                    return Some(Event::Focus(AMOUNT_FIELD));
                }
                match OrderNo::parse(self.order_no.trim()) {
                    Ok(no) => {
                        self.looking_up = true;
                        Some(Event::Lookup(no))
                    }
                    Err(e) => {
                        tracing::debug!("order number: {e}");
                        self.error = Some(
                            tr(
                                "订单号有误：请扫描小票上的条码，或输入完整的订单号",
                                "Bad order number: scan the receipt's barcode or type the whole number",
                            )
                            .to_owned(),
                        );
                        None
                    }
                }
            }
            Message::Loaded(Ok((order, refunds))) => {
                self.looking_up = false;
                self.order_no = order.no.to_string();
                self.refunds = refunds;
                self.order = Some(order);
                // A return the host showed refunds that much, when the order has it left.
                self.amount = match self.wanted {
                    Some(w) if w <= self.remaining() => w,
                    _ => self.remaining(),
                }
                .to_string();
                self.error = match self.order.as_ref().map(|o| o.state) {
                    Some(OrderState::Paid) if self.remaining().is_positive() => None,
                    Some(OrderState::Paid) => {
                        Some(tr("该订单已全部退款", "This order is fully refunded").to_owned())
                    }
                    Some(s) => Some(trs(
                        format!(
                            "该订单状态为“{}”，只能退款支付成功的订单",
                            crate::i18n::state_text(s)
                        ),
                        format!("This order is {s}; only paid orders can be refunded"),
                    )),
                    None => None,
                };
                Some(Event::Focus(AMOUNT_FIELD))
            }
            Message::Loaded(Err(e)) => {
                self.looking_up = false;
                self.order = None;
                self.error = Some(error_text(&e));
                Some(Event::Focus(ORDER_FIELD))
            }
            Message::Amount(v) => {
                self.amount = crate::amount::typed(&v);
                self.error = None;
                None
            }
            Message::Reason(v) => {
                self.reason = v;
                None
            }
            Message::Submit => match &self.stage {
                Stage::Entering => match self.parsed() {
                    Ok(_) => {
                        self.stage = Stage::Submitting;
                        self.error = None;
                        self.input(None).map(Event::Refund)
                    }
                    Err(e) => {
                        self.error = Some(e);
                        Some(Event::Focus(AMOUNT_FIELD))
                    }
                },
                Stage::Authorising(a) if a.mode == AuthMode::Password => {
                    self.update(Message::AuthorizeWithPassword)
                }
                Stage::Done(_) => self.update(Message::Back),
                _ => None,
            },
            Message::Submitted(Err(TerminalError::NeedsAuthorization(_))) => {
                self.stage = Stage::Authorising(Auth {
                    mode: AuthMode::Qr,
                    ticket: None,
                    manager: String::new(),
                    password: String::new(),
                    error: None,
                    polling: false,
                    last_poll: None,
                });
                let (no, amount) = self.parsed().ok()?;
                Some(Event::RequestApproval(no, amount))
            }
            Message::Submitted(Err(e)) => {
                // A refused authorisation keeps the manager's panel open.
                if let Stage::Authorising(a) = &mut self.stage
                    && matches!(
                        e,
                        TerminalError::AuthorizationRefused(_) | TerminalError::Login(_)
                    )
                {
                    a.error = Some(error_text(&e));
                    a.password.clear();
                    a.ticket = None;
                    if a.mode == AuthMode::Qr {
                        let (no, amount) = self.parsed().ok()?;
                        return Some(Event::RequestApproval(no, amount));
                    }
                    return Some(Event::Focus(MANAGER_FIELD));
                }
                self.stage = Stage::Done(Err(error_text(&e)));
                None
            }
            Message::Submitted(Ok(r)) => {
                self.order = Some(r.order.clone());
                self.refunds.push(r.refund.clone());
                self.stage = Stage::Done(Ok(r));
                None
            }
            Message::AuthMode(mode) => {
                let Stage::Authorising(a) = &mut self.stage else {
                    return None;
                };
                a.mode = mode;
                a.error = None;
                match mode {
                    AuthMode::Password => Some(Event::Focus(MANAGER_FIELD)),
                    AuthMode::Qr if a.ticket.is_none() => {
                        let (no, amount) = self.parsed().ok()?;
                        Some(Event::RequestApproval(no, amount))
                    }
                    AuthMode::Qr => None,
                }
            }
            Message::Ticket(result) => {
                let Stage::Authorising(a) = &mut self.stage else {
                    return None;
                };
                match result {
                    Ok(t) => match Data::new(t.approve_url.as_bytes()) {
                        Ok(d) => a.ticket = Some((t, d)),
                        Err(e) => {
                            tracing::warn!("approval QR code: {e}");
                            a.error = Some(
                                tr("无法生成授权二维码", "The QR code could not be drawn")
                                    .to_owned(),
                            );
                        }
                    },
                    Err(e) => a.error = Some(error_text(&e)),
                }
                None
            }
            Message::Polled(result) => {
                let Stage::Authorising(a) = &mut self.stage else {
                    return None;
                };
                a.polling = false;
                match result {
                    Ok(approval) => match approval.state {
                        ApprovalState::Pending => None,
                        ApprovalState::Approved => {
                            let token = approval.token.clone();
                            self.stage = Stage::Submitting;
                            self.input(Some(Authorization::Approval { token }))
                                .map(Event::Refund)
                        }
                        ApprovalState::Expired | ApprovalState::Used => {
                            a.ticket = None;
                            a.error = Some(
                                tr(
                                    "二维码已过期，已生成新的二维码",
                                    "The QR code expired; here is a new one",
                                )
                                .to_owned(),
                            );
                            let (no, amount) = self.parsed().ok()?;
                            Some(Event::RequestApproval(no, amount))
                        }
                    },
                    Err(e) => {
                        a.error = Some(error_text(&e));
                        None
                    }
                }
            }
            Message::Manager(v) => {
                if let Stage::Authorising(a) = &mut self.stage {
                    a.manager = v.trim().to_owned();
                    a.error = None;
                }
                None
            }
            Message::ManagerPassword(v) => {
                if let Stage::Authorising(a) = &mut self.stage {
                    a.password = v;
                    a.error = None;
                }
                None
            }
            Message::AuthorizeWithPassword => {
                let Stage::Authorising(a) = &mut self.stage else {
                    return None;
                };
                let manager = match ClerkId::parse(&a.manager) {
                    Ok(m) => m,
                    Err(e) => {
                        a.error = Some(crate::i18n::clerk_id_error_text(&e));
                        return Some(Event::Focus(MANAGER_FIELD));
                    }
                };
                let password = std::mem::take(&mut a.password);
                let input =
                    self.input(Some(Authorization::ManagerPassword { manager, password }))?;
                Some(Event::Refund(input))
            }
            Message::Back => {
                if self.in_dialog {
                    Some(Event::Close)
                } else {
                    *self = RefundForm::new(false);
                    Some(Event::Focus(ORDER_FIELD))
                }
            }
            Message::ViewRefunds => self
                .order
                .as_ref()
                .map(|o| Event::ViewRefunds(o.no.clone())),
            Message::Print(no) => Some(Event::Print(no)),
            Message::Tick(now) => {
                let Stage::Authorising(a) = &mut self.stage else {
                    return None;
                };
                let (ticket, _) = a.ticket.as_ref()?;
                let due = a
                    .last_poll
                    .is_none_or(|t| now.unix_millis() - t.unix_millis() >= POLL_EVERY_MS);
                if a.mode != AuthMode::Qr || a.polling || !due {
                    return None;
                }
                a.polling = true;
                a.last_poll = Some(now);
                Some(Event::Poll(ticket.token.clone()))
            }
        }
    }

    /// Whether a manager's authorisation is being asked for.
    #[must_use]
    pub fn authorising(&self) -> bool {
        matches!(self.stage, Stage::Authorising(_))
    }

    /// F11 / F12 while the form waits for a manager: approve by QR code / by password.
    #[must_use]
    pub fn auth_key(&self, sc: Shortcut) -> Option<Message> {
        let mode = match sc {
            Shortcut::Function(QR_AUTH_KEY) => AuthMode::Qr,
            Shortcut::Function(PASSWORD_AUTH_KEY) => AuthMode::Password,
            _ => return None,
        };
        self.authorising().then_some(Message::AuthMode(mode))
    }
}

/// Runs a form event's terminal call (or moves the focus). Closing the form, showing the
/// order's refunds and printing are for whoever holds the form (the order list, the refund
/// screen, the app).
pub fn perform(event: Event, terminal: &Terminal) -> Task<Message> {
    match event {
        Event::Lookup(no) => call(
            terminal,
            |t| async move {
                let order = t.query(&no).await?;
                let refunds = t.refunds_of(&no).await?;
                Ok((order, refunds))
            },
            Message::Loaded,
        ),
        Event::Refund(input) => call(
            terminal,
            |t| async move { t.refund(input).await },
            Message::Submitted,
        ),
        Event::RequestApproval(no, amount) => call(
            terminal,
            |t| async move { t.request_refund_approval(&no, amount).await },
            Message::Ticket,
        ),
        Event::Poll(token) => call(
            terminal,
            |t| async move { t.approval(&token).await },
            Message::Polled,
        ),
        Event::Focus(id) => focus::select(id),
        Event::Close | Event::ViewRefunds(_) | Event::Print(_) => Task::none(),
    }
}
