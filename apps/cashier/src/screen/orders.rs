//! 订单查询 Orders (P/F4, plug-in P/F2): filters (时间, 类型, 单号, 状态, 收银员), the
//! payments or the refunds in a paged table, and on the selected row: Ctrl+C copies the
//! order number, E edits the remark, R refunds, P prints; H shows the summary.

mod view;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::order::{Order, OrderStatus, PaymentMethod};
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_domain::ports::{OrderFilter, Page, RefundFilter};
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{Terminal, TerminalError};
use iced::Task;

use crate::ctx::Ctx;
use crate::focus;
use crate::i18n::{error_text, method_text, refund_state_text, status_text, tr, trs};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::screen::refund::{self, RefundForm};

/// Id of the order number filter.
pub const ORDER_NO_FIELD: &str = "orders-no";
/// Id of the remark field.
pub const REMARK_FIELD: &str = "orders-remark";

/// Rows per page.
pub const PAGE_SIZE: u32 = 12;

/// 类型: payments or refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// 支付订单.
    Payments,
    /// 退款单.
    Refunds,
}

impl std::fmt::Display for ListKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ListKind::Payments => tr("支付订单", "Payments"),
            ListKind::Refunds => tr("退款单", "Refunds"),
        })
    }
}

/// The method filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodChoice(pub Option<PaymentMethod>);

impl std::fmt::Display for MethodChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.map_or(tr("全部方式", "Any method"), method_text))
    }
}

/// The status filter (payments: folded status; refunds: refund state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChoice {
    /// Any.
    Any,
    /// An order status.
    Order(OrderStatus),
    /// A refund state.
    Refund(RefundState),
}

impl std::fmt::Display for StatusChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StatusChoice::Any => tr("全部状态", "Any state"),
            StatusChoice::Order(s) => status_text(*s),
            StatusChoice::Refund(s) => refund_state_text(*s),
        })
    }
}

/// The remark dialog (E).
#[derive(Debug, Clone)]
pub struct RemarkDialog {
    /// The order.
    pub order_no: OrderNo,
    /// The text.
    pub text: String,
    /// Inline problem.
    pub error: Option<String>,
}

/// The orders screen.
#[derive(Debug)]
pub struct Orders {
    /// Payments or refunds.
    pub kind: ListKind,
    /// Method filter.
    pub method: MethodChoice,
    /// Status filter.
    pub status: StatusChoice,
    /// Order number filter (part of it).
    pub order_no: String,
    /// Clerk filter.
    pub clerk: String,
    /// From (`YYYY-MM-DD [HH:MM]`).
    pub from: String,
    /// To.
    pub to: String,
    /// Page asked for.
    pub page_index: u32,
    /// 跳转 page number.
    pub jump: String,
    /// The payments shown.
    pub orders: Option<Page<Order>>,
    /// The refunds shown.
    pub refunds: Option<Page<Refund>>,
    /// Selected row.
    pub selected: Option<usize>,
    /// The remark dialog.
    pub remark: Option<RemarkDialog>,
    /// The refund dialog.
    pub refund: Option<RefundForm>,
    /// Inline problem.
    pub error: Option<String>,
    /// Inline success.
    pub notice: Option<String>,
}

/// What the cashier did.
#[derive(Debug, Clone)]
pub enum Message {
    /// 类型.
    Kind(ListKind),
    /// 支付方式.
    Method(MethodChoice),
    /// 状态.
    Status(StatusChoice),
    /// 单号 typed.
    OrderNo(String),
    /// 收银员 typed.
    Clerk(String),
    /// From typed.
    From(String),
    /// To typed.
    To(String),
    /// 今天.
    Today,
    /// 查询.
    Search,
    /// Payments arrived.
    Loaded(Result<Page<Order>, TerminalError>),
    /// Refunds arrived.
    LoadedRefunds(Result<Page<Refund>, TerminalError>),
    /// 上一页.
    Prev,
    /// 下一页.
    Next,
    /// Page number typed.
    JumpInput(String),
    /// 跳转.
    Jump,
    /// Row clicked.
    Select(usize),
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Ctrl+C.
    Copy,
    /// E.
    EditRemark,
    /// Remark typed.
    RemarkText(String),
    /// Save the remark.
    RemarkSave,
    /// Close the remark dialog.
    RemarkCancel,
    /// The remark was saved.
    RemarkSaved(Result<Order, TerminalError>),
    /// R.
    Refund,
    /// The refund dialog.
    RefundForm(refund::Message),
    /// P.
    Print,
    /// Printed.
    Printed(Result<(), TerminalError>),
    /// H.
    Summary,
    /// Esc.
    Escape,
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Load payments.
    LoadOrders(OrderFilter),
    /// Load refunds.
    LoadRefunds(RefundFilter),
    /// Put text on the clipboard.
    Copy(String),
    /// Save a remark.
    SaveRemark(OrderNo, String),
    /// Something for the refund dialog.
    Refund(refund::Event),
    /// Print an order's receipt.
    Print(OrderNo),
    /// Print a refund's receipt.
    PrintRefund(RefundNo),
    /// Show the summary.
    Summary,
    /// Move the focus.
    Focus(&'static str),
}

impl Default for Orders {
    fn default() -> Self {
        Orders {
            kind: ListKind::Payments,
            method: MethodChoice(None),
            status: StatusChoice::Any,
            order_no: String::new(),
            clerk: String::new(),
            from: String::new(),
            to: String::new(),
            page_index: 0,
            jump: String::new(),
            orders: None,
            refunds: None,
            selected: None,
            remark: None,
            refund: None,
            error: None,
            notice: None,
        }
    }
}

impl Orders {
    /// Runs an event's terminal call (or moves the focus). Copying (the app keeps what was
    /// copied), the summary and printing a refund from the dialog (its failure goes to the
    /// status bar) are the app's.
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::LoadOrders(f) => call(
                terminal,
                |t| async move { t.orders(&f).await },
                Message::Loaded,
            ),
            Event::LoadRefunds(f) => call(
                terminal,
                |t| async move { t.refunds(&f).await },
                Message::LoadedRefunds,
            ),
            Event::SaveRemark(no, text) => call(
                terminal,
                |t| async move { t.set_order_remark(&no, &text).await },
                Message::RemarkSaved,
            ),
            Event::Refund(e) => refund::perform(e, terminal).map(Message::RefundForm),
            Event::Print(no) => call(
                terminal,
                |t| async move { t.print_order(&no, None).await },
                Message::Printed,
            ),
            Event::PrintRefund(no) => call(
                terminal,
                |t| async move { t.print_refund(&no, None).await },
                Message::Printed,
            ),
            Event::Focus(id) => focus::select(id),
            Event::Copy(_) | Event::Summary => Task::none(),
        }
    }

    /// The screen's keys: Esc; over the list Ctrl+C, E 备注, R 退款, P 打印, H 汇总 and the
    /// arrows; while a dialog is open it takes the keys (Enter saves the remark or submits
    /// the refund; F11 / F12 choose how the manager approves).
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<KeyAction<Message>> {
        let sc = shortcut(press);
        let m = match sc {
            Shortcut::Escape => Message::Escape,
            Shortcut::Function(_) => Message::RefundForm(self.refund.as_ref()?.auth_key(sc)?),
            _ if self.dialog_open() => {
                if sc != Shortcut::Enter {
                    return Some(KeyAction::Swallow);
                }
                if self.remark.is_some() {
                    Message::RemarkSave
                } else {
                    Message::RefundForm(refund::Message::Submit)
                }
            }
            Shortcut::Copy => Message::Copy,
            Shortcut::Letter('E') => Message::EditRemark,
            Shortcut::Letter('R') => Message::Refund,
            Shortcut::Letter('P') => Message::Print,
            Shortcut::Letter('H') => Message::Summary,
            Shortcut::Up => Message::Up,
            Shortcut::Down => Message::Down,
            _ => return None,
        };
        Some(KeyAction::Send(m))
    }

    /// Whether a dialog is open (letters then belong to it).
    #[must_use]
    pub fn dialog_open(&self) -> bool {
        self.remark.is_some() || self.refund.is_some()
    }

    /// The title of the open dialog, if any (the window title names it).
    #[must_use]
    pub fn dialog_title(&self) -> Option<&'static str> {
        if self.remark.is_some() {
            Some(tr("编辑备注", "Edit remark"))
        } else {
            self.refund.as_ref().map(|_| tr("退款", "Refund"))
        }
    }

    /// The selected payment.
    #[must_use]
    pub fn selected_order(&self) -> Option<&Order> {
        if self.kind != ListKind::Payments {
            return None;
        }
        self.orders.as_ref()?.items.get(self.selected?)
    }

    fn selected_refund(&self) -> Option<&Refund> {
        if self.kind != ListKind::Refunds {
            return None;
        }
        self.refunds.as_ref()?.items.get(self.selected?)
    }

    fn row_count(&self) -> usize {
        match self.kind {
            ListKind::Payments => self.orders.as_ref().map_or(0, |p| p.items.len()),
            ListKind::Refunds => self.refunds.as_ref().map_or(0, |p| p.items.len()),
        }
    }

    fn page_count(&self) -> u32 {
        match self.kind {
            ListKind::Payments => self.orders.as_ref().map_or(1, Page::page_count),
            ListKind::Refunds => self.refunds.as_ref().map_or(1, Page::page_count),
        }
    }

    /// The query for the current filters and page (a clerk without the see-all permission
    /// sees only their own records).
    pub fn query(&self, ctx: &Ctx) -> Result<Event, String> {
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
            // A bare date includes that whole day.
            to = Some(t.plus(std::time::Duration::from_secs(86_400)));
        }
        let mut clerk = match self.clerk.trim() {
            "" => None,
            c => Some(ClerkId::parse(c).map_err(|e| crate::i18n::clerk_id_error_text(&e))?),
        };
        if !ctx.may(cloudpos_domain::clerk::Permission::SeeAllSummaries) {
            clerk = ctx.clerk.as_ref().map(|c| c.id.clone());
        }
        let order_no = Some(self.order_no.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(match self.kind {
            ListKind::Payments => Event::LoadOrders(OrderFilter {
                from,
                to,
                status: match self.status {
                    StatusChoice::Order(s) => Some(s),
                    _ => None,
                },
                clerk,
                method: self.method.0,
                order_no,
                page: self.page_index,
                page_size: PAGE_SIZE,
                ..OrderFilter::default()
            }),
            ListKind::Refunds => Event::LoadRefunds(RefundFilter {
                from,
                to,
                state: match self.status {
                    StatusChoice::Refund(s) => Some(s),
                    _ => None,
                },
                clerk,
                order_no,
                page: self.page_index,
                page_size: PAGE_SIZE,
                ..RefundFilter::default()
            }),
        })
    }

    /// Reloads the current page.
    pub fn reload(&mut self, ctx: &Ctx) -> Option<Event> {
        match self.query(ctx) {
            Ok(e) => Some(e),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    /// Shows the refunds of one order (查看退款).
    pub fn show_refunds_of(&mut self, no: &OrderNo, ctx: &Ctx) -> Option<Event> {
        self.kind = ListKind::Refunds;
        self.status = StatusChoice::Any;
        self.order_no = no.to_string();
        self.page_index = 0;
        self.selected = None;
        self.reload(ctx)
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
        match message {
            Message::Kind(k) => {
                if self.kind != k {
                    self.kind = k;
                    self.status = StatusChoice::Any;
                    self.page_index = 0;
                    self.selected = None;
                }
                self.reload(ctx)
            }
            Message::Method(m) => {
                self.method = m;
                self.page_index = 0;
                self.reload(ctx)
            }
            Message::Status(s) => {
                self.status = s;
                self.page_index = 0;
                self.reload(ctx)
            }
            Message::OrderNo(v) => {
                self.order_no = v.trim().to_owned();
                None
            }
            Message::Clerk(v) => {
                self.clerk = v.trim().to_owned();
                None
            }
            Message::From(v) => {
                self.from = v;
                None
            }
            Message::To(v) => {
                self.to = v;
                None
            }
            Message::Today => {
                let day = ctx.now.start_of_day(ctx.offset_seconds);
                self.from = ctx.time(day).get(..10).unwrap_or_default().to_owned();
                self.to.clear();
                self.page_index = 0;
                self.reload(ctx)
            }
            Message::Search => {
                self.page_index = 0;
                self.error = None;
                self.reload(ctx)
            }
            Message::Loaded(Ok(p)) => {
                let n = p.items.len();
                self.selected = if n == 0 {
                    None
                } else {
                    Some(self.selected.unwrap_or(0).min(n - 1))
                };
                self.orders = Some(p);
                self.error = None;
                None
            }
            Message::LoadedRefunds(Ok(p)) => {
                let n = p.items.len();
                self.selected = if n == 0 {
                    None
                } else {
                    Some(self.selected.unwrap_or(0).min(n - 1))
                };
                self.refunds = Some(p);
                self.error = None;
                None
            }
            Message::Loaded(Err(e)) | Message::LoadedRefunds(Err(e)) | Message::Printed(Err(e)) => {
                self.error = Some(error_text(&e));
                None
            }
            Message::Printed(Ok(())) => {
                self.notice = Some(tr("已发送到小票机", "Sent to the printer").to_owned());
                None
            }
            Message::Prev => {
                self.page_index = self.page_index.saturating_sub(1);
                self.selected = None;
                self.reload(ctx)
            }
            Message::Next => {
                if self.page_index + 1 < self.page_count() {
                    self.page_index += 1;
                    self.selected = None;
                }
                self.reload(ctx)
            }
            Message::JumpInput(v) => {
                self.jump = v.chars().filter(char::is_ascii_digit).collect();
                None
            }
            Message::Jump => {
                if let Ok(n) = self.jump.parse::<u32>() {
                    self.page_index = n.clamp(1, self.page_count()) - 1;
                    self.selected = None;
                }
                self.reload(ctx)
            }
            Message::Select(i) => {
                self.selected = Some(i);
                self.notice = None;
                None
            }
            Message::Up => {
                self.selected = Some(self.selected.map_or(0, |i| i.saturating_sub(1)));
                None
            }
            Message::Down => {
                let n = self.row_count();
                if n > 0 {
                    self.selected = Some(self.selected.map_or(0, |i| (i + 1).min(n - 1)));
                }
                None
            }
            Message::Copy => {
                let no = match self.kind {
                    ListKind::Payments => self.selected_order()?.no.to_string(),
                    ListKind::Refunds => self.selected_refund()?.order_no.to_string(),
                };
                self.notice = Some(trs(format!("已复制单号 {no}"), format!("Copied {no}")));
                Some(Event::Copy(no))
            }
            Message::EditRemark => {
                let o = self.selected_order()?;
                self.remark = Some(RemarkDialog {
                    order_no: o.no.clone(),
                    text: o.remark.clone(),
                    error: None,
                });
                Some(Event::Focus(REMARK_FIELD))
            }
            Message::RemarkText(v) => {
                if let Some(r) = &mut self.remark {
                    r.text = v;
                    r.error = None;
                }
                None
            }
            Message::RemarkSave => {
                let r = self.remark.as_ref()?;
                Some(Event::SaveRemark(r.order_no.clone(), r.text.clone()))
            }
            Message::RemarkCancel => {
                self.remark = None;
                None
            }
            Message::RemarkSaved(Ok(order)) => {
                self.remark = None;
                if let Some(p) = &mut self.orders
                    && let Some(o) = p.items.iter_mut().find(|o| o.no == order.no)
                {
                    *o = order;
                }
                self.notice = Some(tr("备注已保存", "Remark saved").to_owned());
                None
            }
            Message::RemarkSaved(Err(e)) => {
                if let Some(r) = &mut self.remark {
                    r.error = Some(error_text(&e));
                }
                None
            }
            Message::Refund => {
                let o = self.selected_order()?;
                let (form, event) = RefundForm::for_order(o);
                self.refund = Some(form);
                Some(Event::Refund(event))
            }
            Message::RefundForm(m) => {
                let form = self.refund.as_mut()?;
                let event = form.update(m)?;
                match event {
                    refund::Event::Close => {
                        self.refund = None;
                        self.reload(ctx)
                    }
                    refund::Event::ViewRefunds(no) => {
                        self.refund = None;
                        self.show_refunds_of(&no, ctx)
                    }
                    other => Some(Event::Refund(other)),
                }
            }
            Message::Print => match self.kind {
                ListKind::Payments => Some(Event::Print(self.selected_order()?.no.clone())),
                ListKind::Refunds => Some(Event::PrintRefund(self.selected_refund()?.no.clone())),
            },
            Message::Summary => Some(Event::Summary),
            Message::Escape => {
                if let Some(f) = &mut self.refund {
                    if !f.busy() {
                        self.refund = None;
                        return self.reload(ctx);
                    }
                    return None;
                }
                self.remark = None;
                self.notice = None;
                None
            }
        }
    }
}
