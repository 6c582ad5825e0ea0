//! 押金 Deposits (J; shown in 押金模式 and 收银 + 押金混合模式): freeze a deposit by typing the
//! amount and scanning the customer's payment code; the list of deposits with filters (state,
//! dates); for the selected deposit 消费 (take an amount: the rest goes back to the customer at
//! once) and 解冻 (release it all: refund permission, or a manager's QR approval or password,
//! as refunds); and the slip of each (冻结 / 消费 / 解冻凭证).

mod view;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::deposit::{Deposit, DepositStatus};
use cloudpos_domain::money::Money;
use cloudpos_domain::order_no::FreezeNo;
use cloudpos_domain::ports::{Approval, ApprovalState, ApprovalTicket, DepositFilter, Page};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{
    Authorization, ConsumeInput, ConsumeResult, FreezeInput, Terminal, TerminalError, UnfreezeInput,
};
use iced::Task;
use iced::widget::qr_code::Data;

use crate::ctx::Ctx;
use crate::focus;
use crate::i18n::{error_text, tr, trs};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;

/// Id of the freeze amount field.
pub const AMOUNT_FIELD: &str = "deposit-amount";
/// Id of the payment code field.
pub const CODE_FIELD: &str = "deposit-code";
/// Id of the consume amount field.
pub const CONSUME_FIELD: &str = "deposit-consume";
/// Id of the manager ID field.
pub const MANAGER_FIELD: &str = "deposit-manager";

/// Deposits per page of the list.
pub const PAGE_SIZE: u32 = 12;
const POLL_EVERY_MS: i64 = 1_500;

/// How the manager authorises a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// 扫码授权.
    Qr,
    /// 店长密码.
    Password,
}

/// A manager's authorisation of a release, in progress.
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

impl Auth {
    fn new() -> Auth {
        Auth {
            mode: AuthMode::Qr,
            ticket: None,
            manager: String::new(),
            password: String::new(),
            error: None,
            polling: false,
            last_poll: None,
        }
    }

    /// The approval challenge shown, if any.
    #[must_use]
    pub fn ticket(&self) -> Option<&ApprovalTicket> {
        self.ticket.as_ref().map(|(t, _)| t)
    }
}

/// What the screen is busy with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Freezing (the customer may have to confirm on the phone).
    Freezing,
    /// Consuming the selected deposit.
    Consuming,
    /// Releasing the selected deposit.
    Releasing,
}

/// The deposit screen.
#[derive(Debug, Default)]
pub struct Deposits {
    /// Freeze amount typed.
    pub amount: String,
    /// Payment code scanned or typed.
    pub code: String,
    /// Remark (room, item rented).
    pub remark: String,
    /// Status filter.
    pub status: Option<DepositStatus>,
    /// From (a date, or date and time).
    pub from: String,
    /// To (a bare date includes the whole day).
    pub to: String,
    /// The current page of the list.
    pub list: Vec<Deposit>,
    /// How many deposits match the filters.
    pub total: u64,
    /// 0-based page.
    pub page: u32,
    /// The deposit selected in the list.
    pub selected: Option<Deposit>,
    /// Consume amount typed.
    pub consume: String,
    /// What the screen waits for.
    pub busy: Option<Busy>,
    /// A manager is asked to authorise the release.
    pub auth: Option<Auth>,
    /// Inline problem.
    pub error: Option<String>,
    /// Inline outcome.
    pub notice: Option<String>,
    loading: bool,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// Freeze amount typed.
    Amount(String),
    /// Enter in the amount field.
    AmountDone,
    /// Code typed or scanned.
    Code(String),
    /// Remark typed.
    Remark(String),
    /// 冻结押金 (Enter in the code field).
    Freeze,
    /// The freeze ended.
    Frozen(Result<Deposit, TerminalError>),
    /// Status filter chosen (`None`: all).
    Status(Option<DepositStatus>),
    /// From typed.
    From(String),
    /// To typed.
    To(String),
    /// 查询 (or a page).
    Search(u32),
    /// The list arrived.
    Listed(Result<Page<Deposit>, TerminalError>),
    /// A deposit clicked in the list.
    Select(FreezeNo),
    /// Consume amount typed.
    ConsumeAmount(String),
    /// 确认消费.
    Consume,
    /// The consume ended.
    Consumed(Result<ConsumeResult, TerminalError>),
    /// 解冻押金.
    Release,
    /// The release ended.
    Released(Result<Deposit, TerminalError>),
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
    /// 授权解冻 with the password.
    AuthorizeWithPassword,
    /// Leave the authorisation.
    CancelAuth,
    /// 打印凭证 of a deposit.
    Print(FreezeNo),
    /// Printed (or not).
    Printed(Result<(), TerminalError>),
    /// Time passed (polls the approval).
    Tick(Timestamp),
}

/// What must happen next.
#[derive(Debug, Clone)]
pub enum Event {
    /// Freeze.
    Freeze(FreezeInput),
    /// Load a page of the list.
    List(DepositFilter),
    /// Consume.
    Consume(ConsumeInput),
    /// Release.
    Unfreeze(UnfreezeInput),
    /// Open a manager approval challenge for releasing this deposit.
    RequestApproval(FreezeNo),
    /// Poll a challenge.
    Poll(String),
    /// Print a deposit's slip.
    Print(FreezeNo),
    /// Move the focus.
    Focus(&'static str),
}

/// The words of a status filter.
#[must_use]
pub fn status_text(status: Option<DepositStatus>) -> &'static str {
    match status {
        None => tr("全部", "All"),
        Some(DepositStatus::Frozen) => tr("已冻结", "Frozen"),
        Some(DepositStatus::Failed) => tr("冻结失败", "Failed"),
        Some(DepositStatus::Unknown) => tr("处理中", "In progress"),
        Some(DepositStatus::Consumed) => tr("已消费", "Consumed"),
        Some(DepositStatus::Unfrozen) => tr("已解冻", "Released"),
    }
}

impl Deposits {
    /// The list's first page with the current filters (the screen was opened).
    pub fn reload(&mut self, ctx: &Ctx) -> Option<Event> {
        self.update(Message::Search(0), ctx)
    }

    /// Whether the screen waits for an answer that moves the focus: keys typed meanwhile
    /// wait for it.
    #[must_use]
    pub fn settling(&self) -> bool {
        self.busy.is_some() && self.auth.is_none()
    }

    /// What a consume of the typed amount would release to the customer, if it is a valid
    /// amount for the selected deposit.
    #[must_use]
    pub fn would_release(&self) -> Option<Money> {
        let d = self.selected.as_ref()?;
        let amount = crate::amount::parse(&self.consume).ok()?;
        (amount.is_positive() && amount <= d.remaining())
            .then(|| d.remaining().checked_sub(amount))
            .flatten()
    }

    fn filter(&self, ctx: &Ctx, page: u32) -> Result<DepositFilter, String> {
        let time = |s: &str| -> Result<Option<Timestamp>, String> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            Timestamp::parse_local(s, ctx.offset_seconds)
                .map(Some)
                .map_err(|_| {
                    trs(
                        format!("时间“{s}”有误：请写 YYYY-MM-DD 或 YYYY-MM-DD HH:MM"),
                        format!("Bad time \"{s}\": write YYYY-MM-DD or YYYY-MM-DD HH:MM"),
                    )
                })
        };
        let from = time(&self.from)?;
        let mut to = time(&self.to)?;
        if let Some(t) = to
            && self.to.trim().len() <= 10
        {
            to = Some(t.plus(std::time::Duration::from_secs(86_400)));
        }
        let clerk = if ctx.may(cloudpos_domain::clerk::Permission::SeeAllSummaries) {
            None
        } else {
            ctx.clerk.as_ref().map(|c| c.id.clone())
        };
        Ok(DepositFilter {
            from,
            to,
            status: self.status,
            clerk,
            no: None,
            page,
            page_size: PAGE_SIZE,
        })
    }

    fn freeze_input(&self) -> Result<FreezeInput, (String, &'static str)> {
        let amount = crate::amount::parse(&self.amount)
            .map_err(|e| (crate::i18n::money_error_text(&e), AMOUNT_FIELD))?;
        if !amount.is_positive() {
            return Err((
                tr("押金金额必须大于 0", "The deposit must be more than 0").to_owned(),
                AMOUNT_FIELD,
            ));
        }
        let code = self.code.trim();
        if code.is_empty() {
            return Err((
                tr("请扫描顾客的付款码", "Scan the customer's payment code").to_owned(),
                CODE_FIELD,
            ));
        }
        Ok(FreezeInput {
            amount,
            code: code.to_owned(),
            remark: self.remark.trim().to_owned(),
            body: None,
            timeout: None,
        })
    }

    fn consume_input(&self) -> Result<ConsumeInput, String> {
        let d = self
            .selected
            .as_ref()
            .ok_or_else(|| tr("请先在列表中选择押金", "Select a deposit first").to_owned())?;
        let amount =
            crate::amount::parse(&self.consume).map_err(|e| crate::i18n::money_error_text(&e))?;
        if !amount.is_positive() {
            return Err(tr("消费金额必须大于 0", "The amount must be more than 0").to_owned());
        }
        if amount > d.remaining() {
            return Err(trs(
                format!("最多可消费 ¥{}（冻结中的金额）", d.remaining()),
                format!("At most ¥{} (what is frozen) can be taken", d.remaining()),
            ));
        }
        Ok(ConsumeInput {
            freeze_no: d.no.clone(),
            amount,
            remark: String::new(),
        })
    }

    fn unfreeze_input(&self, authorization: Option<Authorization>) -> Option<UnfreezeInput> {
        Some(UnfreezeInput {
            freeze_no: self.selected.as_ref()?.no.clone(),
            authorization,
            reason: tr("押金解冻", "Deposit released").to_owned(),
        })
    }

    /// Keeps the list's copy and the selection in step with a deposit's new state.
    fn replace(&mut self, d: &Deposit) {
        if let Some(slot) = self.list.iter_mut().find(|x| x.no == d.no) {
            *slot = d.clone();
        } else {
            self.list.insert(0, d.clone());
            self.total += 1;
        }
        self.consume = d.remaining().to_string();
        self.selected = Some(d.clone());
    }

    fn done(&mut self, result: Result<Deposit, TerminalError>, ok: impl Fn(&Deposit) -> String) {
        self.busy = None;
        self.auth = None;
        match result {
            Ok(d) => {
                self.notice = Some(ok(&d));
                self.error = d.reason.clone().filter(|_| {
                    !matches!(
                        d.status(),
                        DepositStatus::Frozen | DepositStatus::Consumed | DepositStatus::Unfrozen
                    )
                });
                self.replace(&d);
            }
            Err(e) => self.error = Some(error_text(&e)),
        }
    }

    /// Handles a message.
    #[allow(clippy::too_many_lines)] // one arm per message, as every screen
    pub fn update(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
        match message {
            Message::Amount(v) => {
                self.amount = crate::amount::typed(&v);
                self.error = None;
                None
            }
            Message::AmountDone => Some(Event::Focus(CODE_FIELD)),
            Message::Code(v) => {
                self.code = v.chars().filter(char::is_ascii_alphanumeric).collect();
                self.error = None;
                None
            }
            Message::Remark(v) => {
                self.remark = v;
                None
            }
            Message::Freeze => {
                if self.busy.is_some() {
                    return None;
                }
                match self.freeze_input() {
                    Ok(input) => {
                        self.busy = Some(Busy::Freezing);
                        self.error = None;
                        self.notice = None;
                        Some(Event::Freeze(input))
                    }
                    Err((e, field)) => {
                        self.error = Some(e);
                        Some(Event::Focus(field))
                    }
                }
            }
            Message::Frozen(result) => {
                let ok = result.is_ok();
                self.done(result, |d| match d.status() {
                    DepositStatus::Frozen => trs(
                        format!("已冻结押金 ¥{} · {}", d.frozen, d.no),
                        format!("Deposit of ¥{} frozen · {}", d.frozen, d.no),
                    ),
                    DepositStatus::Unfrozen => trs(
                        format!("未冻结：顾客未确认，已全部解冻 · {}", d.no),
                        format!(
                            "Not frozen: the customer did not confirm; released in full · {}",
                            d.no
                        ),
                    ),
                    DepositStatus::Failed => trs(
                        format!("冻结失败 · {}", d.no),
                        format!("The freeze failed · {}", d.no),
                    ),
                    _ => trs(
                        format!("押金处理中，稍后自动完成 · {}", d.no),
                        format!("Still in progress; it finishes by itself · {}", d.no),
                    ),
                });
                self.code.clear();
                if ok {
                    self.amount.clear();
                    self.remark.clear();
                }
                Some(Event::Focus(AMOUNT_FIELD))
            }
            Message::Status(s) => {
                self.status = s;
                self.update(Message::Search(0), ctx)
            }
            Message::From(v) => {
                self.from = v;
                None
            }
            Message::To(v) => {
                self.to = v;
                None
            }
            Message::Search(page) => match self.filter(ctx, page) {
                Ok(f) => {
                    self.loading = true;
                    self.page = page;
                    Some(Event::List(f))
                }
                Err(e) => {
                    self.error = Some(e);
                    None
                }
            },
            Message::Listed(Ok(page)) => {
                self.loading = false;
                self.total = page.total;
                self.list = page.items;
                if let Some(sel) = &self.selected
                    && let Some(d) = self.list.iter().find(|d| d.no == sel.no).cloned()
                {
                    self.selected = Some(d);
                }
                None
            }
            Message::Listed(Err(e)) => {
                self.loading = false;
                self.error = Some(error_text(&e));
                None
            }
            Message::Select(no) => {
                if self.busy.is_some() {
                    return None;
                }
                let d = self.list.iter().find(|d| d.no == no)?.clone();
                self.consume = d.remaining().to_string();
                self.selected = Some(d);
                self.auth = None;
                self.error = None;
                self.notice = None;
                Some(Event::Focus(CONSUME_FIELD))
            }
            Message::ConsumeAmount(v) => {
                self.consume = crate::amount::typed(&v);
                self.error = None;
                None
            }
            Message::Consume => {
                if self.busy.is_some() {
                    return None;
                }
                match self.consume_input() {
                    Ok(input) => {
                        self.busy = Some(Busy::Consuming);
                        self.error = None;
                        self.notice = None;
                        Some(Event::Consume(input))
                    }
                    Err(e) => {
                        self.error = Some(e);
                        Some(Event::Focus(CONSUME_FIELD))
                    }
                }
            }
            Message::Consumed(result) => {
                self.done(result.map(|r| r.deposit), |d| {
                    trs(
                        format!(
                            "已消费 ¥{}，解冻退回 ¥{} · {}",
                            d.consumed, d.unfrozen, d.no
                        ),
                        format!(
                            "¥{} taken, ¥{} released to the customer · {}",
                            d.consumed, d.unfrozen, d.no
                        ),
                    )
                });
                None
            }
            Message::Release => {
                if self.busy.is_some() || self.selected.is_none() {
                    return None;
                }
                self.error = None;
                self.notice = None;
                self.busy = Some(Busy::Releasing);
                self.unfreeze_input(None).map(Event::Unfreeze)
            }
            Message::Released(Err(TerminalError::NeedsAuthorization(_))) => {
                self.auth = Some(Auth::new());
                Some(Event::RequestApproval(self.selected.as_ref()?.no.clone()))
            }
            Message::Released(Err(e))
                if self.auth.is_some()
                    && matches!(
                        e,
                        TerminalError::AuthorizationRefused(_) | TerminalError::Login(_)
                    ) =>
            {
                // A refused authorisation keeps the manager's panel open.
                let a = self.auth.as_mut()?;
                a.error = Some(error_text(&e));
                a.password.clear();
                a.ticket = None;
                if a.mode == AuthMode::Qr {
                    return Some(Event::RequestApproval(self.selected.as_ref()?.no.clone()));
                }
                Some(Event::Focus(MANAGER_FIELD))
            }
            Message::Released(result) => {
                self.done(result, |d| {
                    trs(
                        format!("已解冻 ¥{}，退回顾客 · {}", d.unfrozen, d.no),
                        format!("¥{} released to the customer · {}", d.unfrozen, d.no),
                    )
                });
                None
            }
            Message::AuthMode(mode) => {
                let a = self.auth.as_mut()?;
                a.mode = mode;
                a.error = None;
                match mode {
                    AuthMode::Password => Some(Event::Focus(MANAGER_FIELD)),
                    AuthMode::Qr if a.ticket.is_none() => {
                        Some(Event::RequestApproval(self.selected.as_ref()?.no.clone()))
                    }
                    AuthMode::Qr => None,
                }
            }
            Message::Ticket(result) => {
                let a = self.auth.as_mut()?;
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
                let a = self.auth.as_mut()?;
                a.polling = false;
                match result {
                    Ok(approval) => match approval.state {
                        ApprovalState::Pending => None,
                        ApprovalState::Approved => {
                            let token = approval.token.clone();
                            self.unfreeze_input(Some(Authorization::Approval { token }))
                                .map(Event::Unfreeze)
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
                            Some(Event::RequestApproval(self.selected.as_ref()?.no.clone()))
                        }
                    },
                    Err(e) => {
                        a.error = Some(error_text(&e));
                        None
                    }
                }
            }
            Message::Manager(v) => {
                if let Some(a) = &mut self.auth {
                    a.manager = v.trim().to_owned();
                    a.error = None;
                }
                None
            }
            Message::ManagerPassword(v) => {
                if let Some(a) = &mut self.auth {
                    a.password = v;
                    a.error = None;
                }
                None
            }
            Message::AuthorizeWithPassword => {
                let a = self.auth.as_mut()?;
                let manager = match ClerkId::parse(&a.manager) {
                    Ok(m) => m,
                    Err(e) => {
                        a.error = Some(crate::i18n::clerk_id_error_text(&e));
                        return Some(Event::Focus(MANAGER_FIELD));
                    }
                };
                let password = std::mem::take(&mut a.password);
                self.unfreeze_input(Some(Authorization::ManagerPassword { manager, password }))
                    .map(Event::Unfreeze)
            }
            Message::CancelAuth => {
                self.auth = None;
                self.busy = None;
                Some(Event::Focus(CONSUME_FIELD))
            }
            Message::Print(no) => Some(Event::Print(no)),
            Message::Printed(Ok(())) => {
                self.notice = Some(tr("凭证已打印", "Slip printed").to_owned());
                None
            }
            Message::Printed(Err(e)) => {
                self.error = Some(error_text(&e));
                None
            }
            Message::Tick(now) => {
                let a = self.auth.as_mut()?;
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

    /// The screen's keys: F11 / F12 choose how the manager authorises; Esc leaves the
    /// authorisation.
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<KeyAction<Message>> {
        self.auth.as_ref()?;
        let m = match shortcut(press) {
            Shortcut::Function(11) => Message::AuthMode(AuthMode::Qr),
            Shortcut::Function(12) => Message::AuthMode(AuthMode::Password),
            Shortcut::Escape => Message::CancelAuth,
            _ => return None,
        };
        Some(KeyAction::Send(m))
    }

    /// Runs an event's terminal call (or moves the focus).
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::Freeze(input) => call(
                terminal,
                |t| async move { t.freeze(input).await },
                Message::Frozen,
            ),
            Event::List(filter) => call(
                terminal,
                |t| async move { t.deposits(&filter).await },
                Message::Listed,
            ),
            Event::Consume(input) => call(
                terminal,
                |t| async move { t.consume_deposit(input).await },
                Message::Consumed,
            ),
            Event::Unfreeze(input) => call(
                terminal,
                |t| async move { t.unfreeze_deposit(input).await },
                Message::Released,
            ),
            Event::RequestApproval(no) => call(
                terminal,
                |t| async move { t.request_unfreeze_approval(&no).await },
                Message::Ticket,
            ),
            Event::Poll(token) => call(
                terminal,
                |t| async move { t.approval(&token).await },
                Message::Polled,
            ),
            Event::Print(no) => call(
                terminal,
                |t| async move { t.print_deposit(&no, None).await },
                Message::Printed,
            ),
            Event::Focus(id) => focus::select(id),
        }
    }
}

#[cfg(test)]
mod tests;
