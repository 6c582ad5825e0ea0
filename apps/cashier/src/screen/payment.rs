//! 收银小窗 The payment window of plug-in mode: small, always on top, opened by the hotkey
//! (`~`) or a scanned code. The amount is the biggest thing on it, with its source (抓取
//! captured / 手动 typed); the code field has the focus for the scanner; Enter confirms,
//! Esc or `~` cancels; with auto-pay configured a captured amount and a code pay by
//! themselves after the delay. While the outcome is open it says so in words with the time
//! waited and what happens next; the result stays for the configured time.

mod view;

use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::ports::{AmountReading, ScreenTotal};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{PayInput, Terminal, TerminalError};
use iced::Task;

use crate::ctx::Ctx;
use crate::i18n::{error_text, halt_text, money_error_text, tr, trs};
use crate::keys::{self, KeyPress, Shortcut};
use crate::screen::call;

/// Id of the amount field.
pub const AMOUNT_FIELD: &str = "pay-amount";
/// Id of the payment code field.
pub const CODE_FIELD: &str = "pay-code";
/// Id of the remark field.
pub const REMARK_FIELD: &str = "pay-remark";

/// Where the amount came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountSource {
    /// Read off the host POS screen (抓取), with its confidence.
    Captured {
        /// Confidence, per mille.
        confidence_permille: u16,
    },
    /// Typed by the cashier (手动).
    Typed,
}

/// Where the payment stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the amount and the code.
    Entering,
    /// Sent; no state committed yet.
    Submitting,
    /// Following the order (user paying, unknown, reversing).
    Following(Order),
    /// Finished: the order in its final state, or why it was refused.
    Done(Result<Order, String>),
}

/// The payment window.
#[derive(Debug, Clone)]
pub struct Payment {
    /// The amount text.
    pub amount: String,
    /// Its source.
    pub source: AmountSource,
    /// The cashier confirmed a low-confidence captured amount.
    pub confirmed: bool,
    /// The payment code.
    pub code: String,
    /// The remark (the host's serial number when captured).
    pub remark: String,
    /// Where the payment stands.
    pub stage: Stage,
    /// Inline problem (bad amount, missing code, …).
    pub error: Option<String>,
    /// What the capture said (not available, unreadable, low confidence).
    pub capture_note: Option<String>,
    /// Pay automatically at this time.
    pub auto_pay_at: Option<Timestamp>,
    /// Close the result at this time.
    pub close_at: Option<Timestamp>,
    /// When the payment was sent.
    pub started: Timestamp,
    /// The wallet, once known from the code.
    pub wallet: Option<Wallet>,
    /// Still capturing the amount (window not usable yet).
    pub preparing: bool,
    /// The payment returned before its end (result unknown, or paid but not yet recorded):
    /// the window follows the order until the terminal publishes its final state.
    pub adopted: bool,
    /// The field with the keyboard focus (Tab cycles the window's own fields).
    pub field: &'static str,
    /// The host POS shows a return of this amount (a negative total read off its screen):
    /// nothing is charged; the window offers the refund screen instead.
    pub host_return: Option<Money>,
    /// Why the window follows an order whose outcome `pay` could not give (result unknown,
    /// or paid in the cloud but not yet recorded here).
    pub unresolved: Option<Unresolved>,
}

pub use crate::widgets::Unresolved;

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// Amount typed.
    Amount(String),
    /// Code typed or scanned.
    Code(String),
    /// Remark typed.
    Remark(String),
    /// On-screen keypad.
    Keypad(char),
    /// Enter / 确定.
    Confirm,
    /// 去退款 (the host shows a return).
    GoRefund,
    /// Esc / `~` / 取消.
    Cancel,
    /// The capture finished (amount and serial number), or was not configured.
    Prepared {
        /// The amount reading, when capture is configured.
        amount: Option<Result<AmountReading, TerminalError>>,
        /// The serial number reading, when configured.
        serial: Option<Result<Option<String>, TerminalError>>,
    },
    /// A code scanned while the window is open.
    Scanned(String),
    /// `pay` returned.
    Finished(Result<Order, TerminalError>),
    /// The ledger committed a new state of our order.
    Update(Order),
    /// Time passed.
    Tick(Timestamp),
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Take the payment.
    Pay(PayInput),
    /// Close the window; `paid` carries the wallet of a successful payment (for the keys
    /// pressed in the host POS after payment).
    Close {
        /// The wallet of the payment taken, if one succeeded.
        paid: Option<Option<Wallet>>,
    },
    /// Move the focus.
    Focus(&'static str),
    /// 去退款: close the window and open the refund screen for the return the host shows.
    Refund {
        /// The amount of the return (positive).
        amount: Money,
        /// The serial number read off the host's screen, if any (finds the original order
        /// by its remark).
        serial: Option<String>,
    },
}

/// What the window found out before it opens: the problem pressing the host's keys, if any,
/// and the amount and serial number read off the host's screen (when configured).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Why the host's keys could not be pressed.
    pub keys: Option<String>,
    /// The amount reading.
    pub amount: Option<Result<AmountReading, TerminalError>>,
    /// The serial number reading.
    pub serial: Option<Result<Option<String>, TerminalError>>,
}

/// Prepares the window: presses the host's keys for `wallet` (the scanned code's, by the
/// merchant's code table), then reads the amount and the serial number off the host's
/// screen where the basic settings ask for them.
pub fn prepare(
    terminal: &Terminal,
    wallet: Option<Wallet>,
    capture_amount: bool,
    capture_serial: bool,
) -> Task<Prepared> {
    call(
        terminal,
        move |t| async move {
            let keys = t
                .send_host_keys(true, wallet)
                .await
                .err()
                .map(|e| error_text(&e));
            let amount = if capture_amount {
                Some(t.read_amount().await)
            } else {
                None
            };
            let serial = if capture_serial {
                Some(t.read_serial().await)
            } else {
                None
            };
            Prepared {
                keys,
                amount,
                serial,
            }
        },
        |p| p,
    )
}

/// Runs an event's terminal call. Closing the window, moving its focus (the app remembers
/// the field for when the window opens) and going to the refund screen are the app's.
pub fn perform(event: Event, terminal: &Terminal) -> Task<Message> {
    match event {
        Event::Pay(input) => call(
            terminal,
            |t| async move { t.pay(input).await },
            Message::Finished,
        ),
        Event::Close { .. } | Event::Focus(_) | Event::Refund { .. } => Task::none(),
    }
}

/// The window's keys: Esc cancels; `~` cancels and Enter confirms when no field used them.
#[must_use]
pub fn shortcut(press: &KeyPress) -> Option<Message> {
    match keys::shortcut(press) {
        Shortcut::Escape => Some(Message::Cancel),
        Shortcut::Tilde if !press.captured => Some(Message::Cancel),
        Shortcut::Enter if !press.captured => Some(Message::Confirm),
        _ => None,
    }
}

impl Payment {
    /// A fresh window; `code` when opened by a scan.
    #[must_use]
    pub fn new(code: Option<String>, now: Timestamp) -> Payment {
        Payment {
            amount: String::new(),
            source: AmountSource::Typed,
            confirmed: false,
            code: code.unwrap_or_default(),
            remark: String::new(),
            stage: Stage::Entering,
            error: None,
            capture_note: None,
            auto_pay_at: None,
            close_at: None,
            started: now,
            wallet: None,
            preparing: true,
            adopted: false,
            field: AMOUNT_FIELD,
            host_return: None,
            unresolved: None,
        }
    }

    /// Whether a payment is on its way (the window must stay open).
    #[must_use]
    pub fn in_flight(&self) -> bool {
        matches!(self.stage, Stage::Submitting | Stage::Following(_))
    }

    /// The order this window follows, if any.
    #[must_use]
    pub fn order(&self) -> Option<&Order> {
        match &self.stage {
            Stage::Following(o) | Stage::Done(Ok(o)) => Some(o),
            _ => None,
        }
    }

    /// Whether `order` is the one this window just sent (first commit of its intent).
    #[must_use]
    pub fn is_ours(&self, order: &Order) -> bool {
        match &self.stage {
            Stage::Following(o) => o.no == order.no,
            Stage::Submitting => {
                crate::amount::parse(&self.amount).is_ok_and(|a| a == order.amount)
                    && order.code_masked.as_deref()
                        == Some(cloudpos_domain::code::mask_code(self.code.trim()).as_str())
            }
            _ => false,
        }
    }

    fn low_confidence(&self, ctx: &Ctx) -> bool {
        matches!(self.source, AmountSource::Captured { confidence_permille } if confidence_permille < ctx.basic.min_confidence_permille)
    }

    /// Arms auto-pay when everything it needs is there: a captured amount trusted without
    /// confirmation, a code, and a configured delay.
    fn arm_auto_pay(&mut self, ctx: &Ctx) {
        let captured = matches!(self.source, AmountSource::Captured { .. });
        let ready = self.stage == Stage::Entering
            && ctx.basic.capture_amount
            && captured
            && (!self.low_confidence(ctx) || self.confirmed)
            && !self.code.trim().is_empty()
            && self.host_return.is_none()
            && crate::amount::parse(&self.amount).is_ok_and(Money::is_positive);
        self.auto_pay_at = match (ready, ctx.basic.auto_pay_secs) {
            (true, Some(secs)) => Some(ctx.now.plus(std::time::Duration::from_millis(
                u64::from(secs) * 1000 + 100,
            ))),
            _ => None,
        };
    }

    fn finish(&mut self, result: Result<Order, String>, ctx: &Ctx) {
        self.close_at = Some(ctx.now.plus(std::time::Duration::from_secs(u64::from(
            ctx.basic.result_display_secs.max(1),
        ))));
        self.auto_pay_at = None;
        self.stage = Stage::Done(result);
    }

    fn close_event(&self) -> Event {
        let paid = match &self.stage {
            Stage::Done(Ok(o)) if o.state == OrderState::Paid => Some(o.method.wallet()),
            _ => None,
        };
        Event::Close { paid }
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
        match message {
            Message::Prepared { amount, serial } => {
                self.preparing = false;
                match amount {
                    Some(Ok(reading)) => match (reading.total(), reading.payable()) {
                        // A return on the host (a negative total): never an amount to charge.
                        (ScreenTotal::Return(m), _) => {
                            self.host_return = Some(m);
                            self.amount.clear();
                            self.source = AmountSource::Typed;
                        }
                        (_, Some(a)) => {
                            self.amount = a.to_string();
                            self.source = AmountSource::Captured {
                                confidence_permille: reading.confidence_permille,
                            };
                            if reading.confidence_permille < ctx.basic.min_confidence_permille {
                                self.capture_note = Some(trs(
                                    format!(
                                        "识别可信度 {}%（读到“{}”）：请核对金额，按 Enter 确认",
                                        reading.confidence_permille / 10,
                                        reading.text
                                    ),
                                    format!(
                                        "Confidence {}% (read \"{}\"): check the amount and press Enter",
                                        reading.confidence_permille / 10,
                                        reading.text
                                    ),
                                ));
                            }
                        }
                        (_, None) => {
                            self.capture_note = Some(trs(
                                format!("未能识别金额（读到“{}”），请手动输入", reading.text),
                                format!(
                                    "Could not read the amount (\"{}\"); type it",
                                    reading.text
                                ),
                            ));
                        }
                    },
                    Some(Err(_)) if ctx.basic.amount_region.is_none() => {
                        self.capture_note = Some(
                            tr(
                                "未确定金额位置（基础配置 → 确定金额位置），请手动输入金额",
                                "No amount region yet (Basic settings → Choose region): type the amount",
                            )
                            .to_owned(),
                        );
                    }
                    Some(Err(e)) => {
                        self.capture_note = Some(trs(
                            format!("抓取不可用，请手动输入金额（{}）", error_text(&e)),
                            format!("Capture unavailable, type the amount ({})", error_text(&e)),
                        ));
                    }
                    None => {}
                }
                match serial {
                    Some(Ok(Some(s))) => self.remark = s,
                    Some(Err(e)) => {
                        let note = self.capture_note.take().map_or(String::new(), |n| n + "\n");
                        self.capture_note = Some(format!(
                            "{note}{}{}",
                            tr("流水号未抓取：", "Serial number not read: "),
                            error_text(&e)
                        ));
                    }
                    _ => {}
                }
                if let Some(w) = self.classify(ctx) {
                    self.wallet = Some(w);
                }
                self.arm_auto_pay(ctx);
                Some(Event::Focus(
                    if self.amount.is_empty() || self.low_confidence(ctx) {
                        AMOUNT_FIELD
                    } else {
                        CODE_FIELD
                    },
                ))
            }
            Message::Amount(v) => {
                if self.stage != Stage::Entering {
                    return None;
                }
                if v.contains('~') {
                    return self.update(Message::Cancel, ctx);
                }
                self.field = AMOUNT_FIELD;
                self.amount = crate::amount::typed(&v);
                if !self.amount.is_empty() {
                    // The cashier types a sale of their own: the host's return is theirs to see.
                    self.host_return = None;
                }
                self.source = AmountSource::Typed;
                self.confirmed = true;
                self.capture_note = None;
                self.error = None;
                self.auto_pay_at = None;
                None
            }
            Message::Keypad(k) => {
                if self.stage != Stage::Entering {
                    return None;
                }
                let mut v = self.amount.clone();
                if k == '⌫' {
                    v.pop();
                } else {
                    v.push(k);
                }
                self.update(Message::Amount(v), ctx)
            }
            Message::Code(v) | Message::Scanned(v) => {
                if self.stage != Stage::Entering {
                    return None;
                }
                if v.contains('~') {
                    return self.update(Message::Cancel, ctx);
                }
                self.field = CODE_FIELD;
                self.code = v.chars().filter(char::is_ascii_alphanumeric).collect();
                self.error = None;
                self.wallet = self.classify(ctx);
                self.arm_auto_pay(ctx);
                None
            }
            Message::GoRefund => match self.stage {
                Stage::Entering => self.refund_event(),
                _ => None,
            },
            Message::Remark(v) => {
                self.field = REMARK_FIELD;
                self.remark = v;
                None
            }
            Message::Confirm => match &self.stage {
                Stage::Entering if self.host_return.is_some() && self.amount.trim().is_empty() => {
                    self.refund_event()
                }
                Stage::Entering => self.submit(ctx),
                Stage::Done(_) => Some(self.close_event()),
                Stage::Submitting | Stage::Following(_) => None,
            },
            Message::Cancel => {
                if self.in_flight() {
                    self.error = Some(
                        tr(
                            "支付已发出，不能取消：请等待结果（错收请到退款）",
                            "The payment is on its way and cannot be cancelled: wait for the result (refund it if it was wrong)",
                        )
                        .to_owned(),
                    );
                    None
                } else {
                    Some(self.close_event())
                }
            }
            Message::Finished(Err(
                e @ (TerminalError::ResultUnknown { .. } | TerminalError::PaidNotRecorded { .. }),
            )) => {
                // Not an end: the customer may have paid. Follow the order (amber, in words:
                // 结果未知，正在查询… / 已在云端收款，本地记录稍后补全) until the terminal
                // completes it in the background. Never red: nothing failed.
                let (TerminalError::ResultUnknown { order, cause }
                | TerminalError::PaidNotRecorded { order, cause }) = &e
                else {
                    return None;
                };
                tracing::warn!(order = %order.no, "payment outcome open: {cause}");
                self.error = None;
                self.unresolved = Unresolved::of(&e);
                self.adopted = true;
                self.stage = Stage::Following((**order).clone());
                None
            }
            Message::Finished(result) => {
                let result = result.map_err(|e| error_text(&e));
                self.finish(result, ctx);
                None
            }
            Message::Update(order) => {
                if self.is_ours(&order) && !matches!(self.stage, Stage::Done(_)) {
                    if self.adopted && order.state.is_final() {
                        self.error = None;
                        self.unresolved = None;
                        self.finish(Ok(order), ctx);
                    } else {
                        self.stage = Stage::Following(order);
                    }
                }
                None
            }
            Message::Tick(now) => {
                if let Some(at) = self.auto_pay_at
                    && now >= at
                    && self.stage == Stage::Entering
                {
                    self.auto_pay_at = None;
                    return self.submit(ctx);
                }
                if let Some(at) = self.close_at
                    && now >= at
                    && matches!(self.stage, Stage::Done(_))
                {
                    return Some(self.close_event());
                }
                None
            }
        }
    }

    /// 去退款 for the return the host shows.
    fn refund_event(&self) -> Option<Event> {
        let amount = self.host_return?;
        Some(Event::Refund {
            amount,
            serial: Some(self.remark.trim().to_owned()).filter(|s| !s.is_empty()),
        })
    }

    fn classify(&self, ctx: &Ctx) -> Option<Wallet> {
        ctx.payment_code(self.code.trim()).map(|c| c.wallet())
    }

    fn submit(&mut self, ctx: &Ctx) -> Option<Event> {
        if let Some(h) = &ctx.halt {
            self.error = Some(halt_text(h));
            return None;
        }
        let amount = match crate::amount::parse(&self.amount) {
            Ok(a) if a.is_positive() => a,
            Ok(_) => {
                self.error =
                    Some(tr("金额必须大于 0", "The amount must be more than 0").to_owned());
                return Some(Event::Focus(AMOUNT_FIELD));
            }
            Err(e) => {
                self.error = Some(money_error_text(&e));
                return Some(Event::Focus(AMOUNT_FIELD));
            }
        };
        if self.low_confidence(ctx) && !self.confirmed {
            self.confirmed = true;
            self.capture_note = None;
            self.arm_auto_pay(ctx);
            return Some(Event::Focus(CODE_FIELD));
        }
        if self.code.trim().is_empty() {
            self.error = Some(
                tr(
                    "请扫描或输入顾客付款码",
                    "Scan or type the customer's payment code",
                )
                .to_owned(),
            );
            return Some(Event::Focus(CODE_FIELD));
        }
        self.error = None;
        self.auto_pay_at = None;
        self.started = ctx.now;
        self.stage = Stage::Submitting;
        Some(Event::Pay(PayInput {
            amount,
            code: self.code.trim().to_owned(),
            remark: self.remark.trim().to_owned(),
            body: None,
            timeout: None,
        }))
    }
}
