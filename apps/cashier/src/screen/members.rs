//! 会员 Member cards (K): find a card by scanning it or typing the member's phone, add a
//! member (卡号, 姓名, 手机), the card (name, phone, balance, status), 充值 by scanning the
//! payer's wallet code (the amount typed, the bonus of the configured rules shown before
//! charging, then the payment's states as everywhere: paid → the credited balance; unknown →
//! 正在确认), the card's ledger (newest first), Excel import and export (per-row errors), and
//! 调整余额 with a reason for admins (anyone else is told why not).

mod transfer;
mod view;

use cloudpos_domain::clerk::Permission;
use cloudpos_domain::member::{BonusRules, MemberAccount};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{LedgerLine, MemberSettings, RechargeResult, Terminal, TerminalError};
use iced::Task;

pub use transfer::Transfer;

use crate::ctx::Ctx;
use crate::focus;
use crate::i18n::{error_text, halt_text, money_error_text, order_reason, tr, trs};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::widgets::Unresolved;

/// Id of the find field (card number scanned, or phone typed).
pub const FIND_FIELD: &str = "member-find";
/// Id of the recharge amount field.
pub const AMOUNT_FIELD: &str = "member-amount";
/// Id of the recharge payment code field.
pub const CODE_FIELD: &str = "member-code";
/// Id of the adjustment amount field.
pub const ADJUST_FIELD: &str = "member-adjust";
/// Id of the adjustment reason field.
pub const REASON_FIELD: &str = "member-reason";
/// Id of the new member's card number field.
pub const CARD_FIELD: &str = "member-new-card";
/// Id of the new member's name field.
pub const NAME_FIELD: &str = "member-new-name";
/// Id of the new member's phone field.
pub const PHONE_FIELD: &str = "member-new-phone";
/// Id of the path field of the import and export dialogs.
pub const PATH_FIELD: &str = "member-path";

/// Where a recharge stands while it is out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recharging {
    /// Sent (the customer may be confirming on the phone).
    Submitting(Timestamp),
    /// The payment returned without an outcome: followed until the terminal ends it.
    Following(Order, Unresolved),
}

/// The add-a-member dialog.
#[derive(Debug, Clone, Default)]
pub struct AddForm {
    /// 卡号 (scanned).
    pub card: String,
    /// 姓名.
    pub name: String,
    /// 手机.
    pub phone: String,
    /// Inline problem.
    pub error: Option<String>,
    /// Saving.
    pub busy: bool,
}

/// The member screen.
#[derive(Debug, Default)]
pub struct Members {
    /// The find field.
    pub query: String,
    /// A find is on its way.
    pub finding: bool,
    /// Several cards share the phone typed: the cashier picks one.
    pub matches: Vec<MemberAccount>,
    /// The card shown.
    pub account: Option<MemberAccount>,
    /// Its ledger, oldest first (as the terminal gives it; drawn newest first).
    pub ledger: Vec<LedgerLine>,
    /// The recharge bonus rules (loaded when the screen opens).
    pub rules: BonusRules,
    /// Recharge amount typed.
    pub amount: String,
    /// Payer's wallet code scanned.
    pub code: String,
    /// The recharge out, if any.
    pub recharging: Option<Recharging>,
    /// Adjustment typed (±yuan).
    pub adjust: String,
    /// Adjustment reason.
    pub reason: String,
    /// An adjustment is on its way.
    pub adjusting: bool,
    /// The add dialog.
    pub add: Option<AddForm>,
    /// The import or export dialog.
    pub transfer: Option<Transfer>,
    /// Inline problem.
    pub error: Option<String>,
    /// Inline outcome.
    pub notice: Option<String>,
    /// Where the import and export dialogs start.
    pub default_dir: std::path::PathBuf,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// The bonus rules arrived.
    Rules(Result<BonusRules, TerminalError>),
    /// Find field typed or scanned.
    Query(String),
    /// Enter in the find field (查找).
    Find,
    /// The cards found for a query.
    Found(String, Result<Vec<MemberAccount>, TerminalError>),
    /// One of several cards picked.
    Pick(usize),
    /// A card's ledger arrived.
    Ledger(Result<(MemberAccount, Vec<LedgerLine>), TerminalError>),
    /// Recharge amount typed.
    Amount(String),
    /// Enter in the amount field.
    AmountDone,
    /// Payer's code typed or scanned.
    Code(String),
    /// 充值 (Enter in the code field).
    Recharge,
    /// The recharge returned.
    Recharged(Result<RechargeResult, TerminalError>),
    /// The ledger committed a state of an order (the app passes every one).
    Update(Order),
    /// Adjustment amount typed.
    Adjust(String),
    /// Enter in the adjustment field.
    AdjustDone,
    /// Reason typed.
    Reason(String),
    /// 调整余额.
    AdjustSubmit,
    /// The adjustment returned.
    Adjusted(Result<MemberAccount, TerminalError>),
    /// 新增会员.
    OpenAdd,
    /// 卡号 typed or scanned in the add dialog.
    AddCard(String),
    /// 姓名 typed.
    AddName(String),
    /// 手机 typed.
    AddPhone(String),
    /// Enter in the add dialog's card field.
    AddCardDone,
    /// Enter in the add dialog's name field.
    AddNameDone,
    /// 保存 (Enter in the phone field).
    AddSubmit,
    /// The member was added.
    Added(Result<MemberAccount, TerminalError>),
    /// The import or export dialog.
    Transfer(transfer::Message),
    /// Esc.
    Escape,
}

/// What must happen next.
#[derive(Debug, Clone)]
pub enum Event {
    /// Load the bonus rules.
    LoadRules,
    /// Find cards by card number, else by phone.
    Find(String),
    /// Load a card and its ledger (and move the focus to the recharge amount).
    Open(String),
    /// Load a card and its ledger again, the focus left where it is.
    Refresh(String),
    /// Recharge.
    Recharge {
        /// Card number.
        card: String,
        /// Amount paid.
        amount: Money,
        /// Payer's wallet code.
        code: String,
    },
    /// Adjust a balance.
    Adjust {
        /// Card number.
        card: String,
        /// Signed amount.
        amount: Money,
        /// Why.
        reason: String,
    },
    /// Add a member.
    Add {
        /// 卡号.
        card: String,
        /// 姓名.
        name: String,
        /// 手机.
        phone: String,
    },
    /// Import or export.
    Transfer(transfer::Event),
    /// Move the focus.
    Focus(&'static str),
}

/// Parses a signed amount typed for an adjustment: `+12.50`, `-3`, `12` (full-width digits
/// and signs read as ASCII).
pub fn signed_amount(text: &str) -> Result<Money, String> {
    let t = text.trim();
    let (negative, rest) = match t.chars().next() {
        Some('-' | '－') => (true, &t[t.chars().next().map_or(0, char::len_utf8)..]),
        Some('+' | '＋') => (false, &t[t.chars().next().map_or(0, char::len_utf8)..]),
        _ => (false, t),
    };
    let m = crate::amount::parse(rest).map_err(|e| money_error_text(&e))?;
    if !m.is_positive() {
        return Err(tr("调整金额不能为 0", "The adjustment cannot be 0").to_owned());
    }
    Ok(if negative {
        Money::from_fen(-m.fen())
    } else {
        m
    })
}

impl Members {
    /// The screen, with the import and export dialogs starting in `default_dir`.
    #[must_use]
    pub fn new(default_dir: std::path::PathBuf) -> Members {
        Members {
            default_dir,
            ..Members::default()
        }
    }

    /// What opening the screen asks for: the bonus rules, and the card shown reloaded.
    pub fn reload(&mut self) -> Vec<Event> {
        let mut events = vec![Event::LoadRules];
        if let Some(a) = &self.account {
            events.push(Event::Refresh(a.card.card_no.as_str().to_owned()));
        }
        events
    }

    /// Whether the screen waits for an answer that moves the focus: keys typed meanwhile
    /// wait for it (a scanner's next field).
    #[must_use]
    pub fn settling(&self) -> bool {
        self.finding
            || self.add.as_ref().is_some_and(|a| a.busy)
            || matches!(self.recharging, Some(Recharging::Submitting(_)))
    }

    /// The field the focus belongs in.
    #[must_use]
    pub fn first_field(&self) -> &'static str {
        if self.add.is_some() {
            CARD_FIELD
        } else if self.transfer.is_some() {
            PATH_FIELD
        } else {
            FIND_FIELD
        }
    }

    /// The title of the open dialog, if any.
    #[must_use]
    pub fn dialog_title(&self) -> Option<&'static str> {
        if self.add.is_some() {
            return Some(tr("新增会员", "New member"));
        }
        self.transfer.as_ref().map(Transfer::title)
    }

    /// The typed recharge amount with its bonus under the rules, when it is a valid amount.
    #[must_use]
    pub fn bonus_preview(&self) -> Option<(Money, Money)> {
        let amount = crate::amount::parse(&self.amount).ok()?;
        amount
            .is_positive()
            .then(|| (amount, self.rules.bonus_for(amount)))
    }

    fn card_no(&self) -> Option<String> {
        self.account
            .as_ref()
            .map(|a| a.card.card_no.as_str().to_owned())
    }

    fn recharge_done(
        &mut self,
        order: &Order,
        credited: Option<(&MemberAccount, Money)>,
        credit_pending: bool,
    ) -> Option<Event> {
        self.recharging = None;
        self.code.clear();
        match order.state {
            OrderState::Paid => {
                let bonus = credited.map_or_else(|| self.rules.bonus_for(order.amount), |c| c.1);
                self.notice = Some(match credited {
                    Some((a, _)) => trs(
                        format!(
                            "充值成功：¥{} + 赠送 ¥{bonus} 已到账，余额 ¥{} · {}",
                            order.amount, a.balance, order.no
                        ),
                        format!(
                            "Recharged: ¥{} + bonus ¥{bonus} credited, balance ¥{} · {}",
                            order.amount, a.balance, order.no
                        ),
                    ),
                    // Paid, the credit not confirmed: with a head office it is queued for
                    // it (sent again by the sync until it lands), never lost or doubled.
                    None if credit_pending => trs(
                        format!(
                            "充值成功：¥{}，会员卡入账中（总部连接恢复后自动到账）· {}",
                            order.amount, order.no
                        ),
                        format!(
                            "Recharged: ¥{}; the card's credit is on its way (it lands when the head office is reachable) · {}",
                            order.amount, order.no
                        ),
                    ),
                    None => trs(
                        format!("充值成功：¥{} 已到账 · {}", order.amount, order.no),
                        format!("Recharged: ¥{} credited · {}", order.amount, order.no),
                    ),
                });
                self.error = None;
                self.amount.clear();
            }
            s => {
                let why = order_reason(order)
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default();
                self.error = Some(trs(
                    format!(
                        "充值未成功（{}）{why}：余额未变 · {}",
                        crate::i18n::state_text(s),
                        order.no
                    ),
                    format!(
                        "Not recharged ({}){why}: the balance is unchanged · {}",
                        crate::i18n::state_text(s),
                        order.no
                    ),
                ));
            }
        }
        if let Some((a, _)) = credited {
            self.account = Some(a.clone());
        }
        self.card_no().map(Event::Open)
    }

    /// Handles a message.
    #[allow(clippy::too_many_lines)] // one arm per message, as every screen
    pub fn update(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
        match message {
            Message::Rules(Ok(r)) => {
                self.rules = r;
                None
            }
            Message::Rules(Err(e)) | Message::Found(_, Err(e)) => {
                self.finding = false;
                self.error = Some(error_text(&e));
                Some(Event::Focus(FIND_FIELD))
            }
            Message::Query(v) => {
                self.query = v.trim_end_matches(['\n', '\r']).to_owned();
                self.error = None;
                None
            }
            Message::Find => {
                let q = self.query.trim().to_owned();
                if q.is_empty() || self.finding {
                    return None;
                }
                self.finding = true;
                self.error = None;
                self.notice = None;
                self.matches.clear();
                Some(Event::Find(q))
            }
            Message::Found(q, Ok(found)) => {
                self.finding = false;
                match found.len() {
                    0 => {
                        self.error = Some(trs(
                            format!("没有卡号或手机为 {q} 的会员"),
                            format!("No member has the card number or phone {q}"),
                        ));
                        Some(Event::Focus(FIND_FIELD))
                    }
                    1 => {
                        self.query.clear();
                        let card = found[0].card.card_no.as_str().to_owned();
                        self.show(found.into_iter().next()?);
                        Some(Event::Open(card))
                    }
                    _ => {
                        self.matches = found;
                        None
                    }
                }
            }
            Message::Pick(i) => {
                let a = self.matches.get(i)?.clone();
                self.matches.clear();
                self.query.clear();
                let card = a.card.card_no.as_str().to_owned();
                self.show(a);
                Some(Event::Open(card))
            }
            Message::Ledger(Ok((account, ledger))) => {
                if self.card_no().as_deref() == Some(account.card.card_no.as_str()) {
                    self.account = Some(account);
                    self.ledger = ledger;
                }
                None
            }
            Message::Ledger(Err(e)) => {
                self.error = Some(error_text(&e));
                None
            }
            Message::Amount(v) => {
                self.amount = crate::amount::typed(&v);
                self.error = None;
                None
            }
            Message::AmountDone => Some(Event::Focus(CODE_FIELD)),
            Message::Code(_) if self.recharging.is_some() => None,
            Message::Code(v) => {
                self.code = v.chars().filter(char::is_ascii_alphanumeric).collect();
                self.error = None;
                None
            }
            Message::Recharge => {
                if self.recharging.is_some() {
                    return None;
                }
                if let Some(h) = &ctx.halt {
                    self.error = Some(halt_text(h));
                    return None;
                }
                let Some(card) = self.card_no() else {
                    self.error =
                        Some(tr("请先查找会员卡", "Find the member's card first").to_owned());
                    return Some(Event::Focus(FIND_FIELD));
                };
                let amount = match crate::amount::parse(&self.amount) {
                    Ok(a) if a.is_positive() => a,
                    Ok(_) => {
                        self.error = Some(
                            tr("充值金额必须大于 0", "The recharge must be more than 0").to_owned(),
                        );
                        return Some(Event::Focus(AMOUNT_FIELD));
                    }
                    Err(e) => {
                        self.error = Some(money_error_text(&e));
                        return Some(Event::Focus(AMOUNT_FIELD));
                    }
                };
                let code = self.code.trim().to_owned();
                if code.is_empty() {
                    self.error = Some(
                        tr("请扫描付款人的付款码", "Scan the payer's payment code").to_owned(),
                    );
                    return Some(Event::Focus(CODE_FIELD));
                }
                self.error = None;
                self.notice = None;
                self.recharging = Some(Recharging::Submitting(ctx.now));
                Some(Event::Recharge { card, amount, code })
            }
            Message::Recharged(Ok(r)) => {
                if r.order.state.is_final() {
                    let credited = r.credited.then_some((&r.account, r.bonus));
                    let pending = r.order.state == OrderState::Paid && !r.credited;
                    self.recharge_done(&r.order, credited, pending)
                } else {
                    self.recharging = Some(Recharging::Following(r.order, Unresolved::Unknown));
                    None
                }
            }
            Message::Recharged(Err(e)) => {
                if let (
                    Some(u),
                    TerminalError::ResultUnknown { order, .. }
                    | TerminalError::PaidNotRecorded { order, .. },
                ) = (Unresolved::of(&e), &e)
                {
                    // Not an end: the payer may have paid. Follow the order until the
                    // terminal completes it (amber, 正在确认…); never red meanwhile.
                    self.recharging = Some(Recharging::Following((**order).clone(), u));
                    return None;
                }
                self.recharging = None;
                self.code.clear();
                self.error = Some(error_text(&e));
                Some(Event::Focus(AMOUNT_FIELD))
            }
            Message::Update(order) => {
                let Some(Recharging::Following(o, u)) = &self.recharging else {
                    return None;
                };
                if o.no != order.no {
                    return None;
                }
                if order.state.is_final() {
                    return self.recharge_done(&order, None, false);
                }
                self.recharging = Some(Recharging::Following(order, *u));
                None
            }
            Message::Adjust(v) => {
                self.adjust = v
                    .chars()
                    .filter(|&c| crate::amount::is_amount_char(c) || "+-＋－".contains(c))
                    .collect();
                self.error = None;
                None
            }
            Message::AdjustDone => Some(Event::Focus(REASON_FIELD)),
            Message::Reason(v) => {
                self.reason = v;
                None
            }
            Message::AdjustSubmit => {
                if self.adjusting {
                    return None;
                }
                if !ctx.may(Permission::AdjustBalance) {
                    self.error = Some(adjust_refused().to_owned());
                    return None;
                }
                let card = self.card_no()?;
                let amount = match signed_amount(&self.adjust) {
                    Ok(a) => a,
                    Err(e) => {
                        self.error = Some(e);
                        return Some(Event::Focus(ADJUST_FIELD));
                    }
                };
                let reason = self.reason.trim().to_owned();
                if reason.is_empty() {
                    self.error =
                        Some(tr("调整余额须填写原因", "An adjustment needs a reason").to_owned());
                    return Some(Event::Focus(REASON_FIELD));
                }
                self.adjusting = true;
                self.error = None;
                self.notice = None;
                Some(Event::Adjust {
                    card,
                    amount,
                    reason,
                })
            }
            Message::Adjusted(result) => {
                self.adjusting = false;
                match result {
                    Ok(a) => {
                        self.notice = Some(trs(
                            format!("余额已调整，现为 ¥{}", a.balance),
                            format!("Balance adjusted: now ¥{}", a.balance),
                        ));
                        self.adjust.clear();
                        self.reason.clear();
                        let card = a.card.card_no.as_str().to_owned();
                        self.account = Some(a);
                        Some(Event::Open(card))
                    }
                    Err(e) => {
                        self.error = Some(error_text(&e));
                        None
                    }
                }
            }
            Message::OpenAdd => {
                self.add = Some(AddForm::default());
                self.transfer = None;
                Some(Event::Focus(CARD_FIELD))
            }
            Message::AddCard(v) => {
                let a = self.add.as_mut()?;
                a.card = v.chars().filter(char::is_ascii_alphanumeric).collect();
                a.error = None;
                None
            }
            Message::AddName(v) => {
                let a = self.add.as_mut()?;
                a.name = v;
                a.error = None;
                None
            }
            Message::AddPhone(v) => {
                let a = self.add.as_mut()?;
                a.phone = v
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                a.error = None;
                None
            }
            Message::AddCardDone => Some(Event::Focus(NAME_FIELD)),
            Message::AddNameDone => Some(Event::Focus(PHONE_FIELD)),
            Message::AddSubmit => {
                let a = self.add.as_mut()?;
                if a.busy {
                    return None;
                }
                if a.card.trim().is_empty() {
                    a.error =
                        Some(tr("请扫描或输入卡号", "Scan or type the card number").to_owned());
                    return Some(Event::Focus(CARD_FIELD));
                }
                if a.name.trim().is_empty() {
                    a.error = Some(tr("请输入姓名", "Type the member's name").to_owned());
                    return Some(Event::Focus(NAME_FIELD));
                }
                a.busy = true;
                a.error = None;
                Some(Event::Add {
                    card: a.card.trim().to_owned(),
                    name: a.name.trim().to_owned(),
                    phone: a.phone.trim().to_owned(),
                })
            }
            Message::Added(Ok(account)) => {
                self.add = None;
                self.notice = Some(trs(
                    format!(
                        "已新增会员 {} · 卡号 {}",
                        account.card.name, account.card.card_no
                    ),
                    format!(
                        "Member {} added · card {}",
                        account.card.name, account.card.card_no
                    ),
                ));
                self.error = None;
                let card = account.card.card_no.as_str().to_owned();
                self.show(account);
                Some(Event::Open(card))
            }
            Message::Added(Err(e)) => {
                let a = self.add.as_mut()?;
                a.busy = false;
                a.error = Some(error_text(&e));
                Some(Event::Focus(CARD_FIELD))
            }
            Message::Transfer(m) => {
                if let transfer::Message::Open(import) = m {
                    self.add = None;
                    self.transfer = Some(Transfer::new(import, &self.default_dir));
                    return Some(Event::Focus(PATH_FIELD));
                }
                let d = self.transfer.as_mut()?;
                match d.update(m) {
                    transfer::Outcome::None => None,
                    transfer::Outcome::Event(e) => Some(Event::Transfer(e)),
                    transfer::Outcome::Close => {
                        self.transfer = None;
                        Some(Event::Focus(FIND_FIELD))
                    }
                    transfer::Outcome::Imported => {
                        // Names and phones may have changed: the card shown is read again.
                        self.card_no().map(Event::Open)
                    }
                }
            }
            Message::Escape => {
                if self.add.as_ref().is_some_and(|a| !a.busy) {
                    self.add = None;
                } else if self.transfer.as_ref().is_some_and(|t| !t.busy) {
                    self.transfer = None;
                } else if !self.matches.is_empty() {
                    self.matches.clear();
                } else {
                    self.error = None;
                    self.notice = None;
                    self.query.clear();
                }
                Some(Event::Focus(FIND_FIELD))
            }
        }
    }

    fn show(&mut self, account: MemberAccount) {
        if self.card_no().as_deref() != Some(account.card.card_no.as_str()) {
            self.ledger.clear();
            self.amount.clear();
            self.code.clear();
            self.adjust.clear();
            self.reason.clear();
        }
        self.account = Some(account);
    }

    /// The screen's keys: Esc (closes a dialog, else clears), F10 新增会员; outside a
    /// field N 新增会员, I 导入, E 导出. While a dialog is open it takes every other key but
    /// the app's M, V and U.
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<KeyAction<Message>> {
        let dialog = self.add.is_some() || self.transfer.is_some();
        let m = match shortcut(press) {
            Shortcut::Escape => Message::Escape,
            Shortcut::Function(10) if !dialog => Message::OpenAdd,
            Shortcut::Letter('N') if !dialog => Message::OpenAdd,
            Shortcut::Letter('I') if !dialog => Message::Transfer(transfer::Message::Open(true)),
            Shortcut::Letter('E') if !dialog => Message::Transfer(transfer::Message::Open(false)),
            Shortcut::Letter('M' | 'V' | 'U') => return None,
            Shortcut::Function(_) => return None,
            _ if dialog => return Some(KeyAction::Swallow),
            _ => return None,
        };
        Some(KeyAction::Send(m))
    }

    /// Runs an event's terminal call (or moves the focus).
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::LoadRules => call(
                terminal,
                |t| async move { t.setting::<MemberSettings>().await.map(|s| s.bonus) },
                Message::Rules,
            ),
            Event::Find(q) => call(
                terminal,
                |t| async move {
                    let r = find(&t, &q).await;
                    (q, r)
                },
                |(q, r)| Message::Found(q, r),
            ),
            Event::Open(card) => {
                Task::batch([read_card(terminal, card), focus::select(AMOUNT_FIELD)])
            }
            Event::Refresh(card) => read_card(terminal, card),
            Event::Recharge { card, amount, code } => call(
                terminal,
                |t| async move { t.recharge_member(&card, amount, &code).await },
                Message::Recharged,
            ),
            Event::Adjust {
                card,
                amount,
                reason,
            } => call(
                terminal,
                |t| async move { t.adjust_member(&card, amount, &reason).await },
                Message::Adjusted,
            ),
            Event::Add { card, name, phone } => call(
                terminal,
                |t| async move { t.add_member(&card, &name, &phone).await },
                Message::Added,
            ),
            Event::Transfer(e) => transfer::perform(e, terminal).map(Message::Transfer),
            Event::Focus(id) => focus::select(id),
        }
    }
}

/// Why an adjustment is refused to anyone but an admin.
#[must_use]
pub fn adjust_refused() -> &'static str {
    tr(
        "无权限：只有商户管理员可以调整会员余额",
        "Only a merchant admin may adjust a member's balance",
    )
}

/// Reads a card and its ledger.
fn read_card(terminal: &Terminal, card: String) -> Task<Message> {
    call(
        terminal,
        |t| async move {
            let a = t.member(&card).await?;
            let l = t.member_ledger(&card).await?;
            Ok((a, l))
        },
        Message::Ledger,
    )
}

/// The cards a query finds: the card with that number, else the cards under that phone.
async fn find(t: &Terminal, q: &str) -> Result<Vec<MemberAccount>, TerminalError> {
    match t.member(q).await {
        Ok(a) => Ok(vec![a]),
        Err(TerminalError::NotFound(_) | TerminalError::Invalid(_)) => t.members_by_phone(q).await,
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests;
