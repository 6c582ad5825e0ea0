//! 订单查询 Orders (P/F4, plug-in P/F2): filters (时间, 类型, 单号, 状态, 收银员), the
//! payments or the refunds in a paged table, and on the selected row: Ctrl+C copies the
//! order number, E edits the remark, R refunds, P prints; H shows the summary.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::order::{Order, OrderStatus, PaymentMethod};
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_domain::ports::{OrderFilter, Page, RefundFilter};
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::TerminalError;
use iced::widget::{Space, button, column, container, pick_list, row, text, text_input, tooltip};
use iced::{Alignment, Element, Length};

use crate::ctx::Ctx;
use crate::i18n::{error_text, method_text, refund_state_text, status_text, tr, trs};
use crate::screen::refund::{self, RefundForm};
use crate::style;
use crate::widgets;

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

    /// Draws the screen.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let status_options: Vec<StatusChoice> = match self.kind {
            ListKind::Payments => std::iter::once(StatusChoice::Any)
                .chain(
                    [
                        OrderStatus::Paid,
                        OrderStatus::Failed,
                        OrderStatus::Reversed,
                        OrderStatus::PartiallyRefunded,
                        OrderStatus::Refunded,
                        OrderStatus::Unknown,
                    ]
                    .into_iter()
                    .map(StatusChoice::Order),
                )
                .collect(),
            ListKind::Refunds => std::iter::once(StatusChoice::Any)
                .chain(RefundState::ALL.into_iter().map(StatusChoice::Refund))
                .collect(),
        };
        let methods = vec![
            MethodChoice(None),
            MethodChoice(Some(PaymentMethod::Wallet(Wallet::WeChat))),
            MethodChoice(Some(PaymentMethod::Wallet(Wallet::Alipay))),
            MethodChoice(Some(PaymentMethod::Wallet(Wallet::MemberCard))),
            MethodChoice(Some(PaymentMethod::Cash)),
        ];
        let mut filters = row![
            pick_list(
                [ListKind::Payments, ListKind::Refunds],
                Some(self.kind),
                Message::Kind
            )
            .text_size(14),
        ]
        .spacing(6)
        .align_y(Alignment::Center);
        if self.kind == ListKind::Payments {
            filters =
                filters.push(pick_list(methods, Some(self.method), Message::Method).text_size(14));
        }
        filters = filters
            .push(pick_list(status_options, Some(self.status), Message::Status).text_size(14))
            .push(
                text_input(tr("开始 YYYY-MM-DD", "From YYYY-MM-DD"), &self.from)
                    .on_input(Message::From)
                    .on_submit(Message::Search)
                    .font(style::MONO)
                    .size(14)
                    .width(Length::Fixed(150.0)),
            )
            .push(
                text_input(tr("结束", "To"), &self.to)
                    .on_input(Message::To)
                    .on_submit(Message::Search)
                    .font(style::MONO)
                    .size(14)
                    .width(Length::Fixed(120.0)),
            )
            .push(
                text_input(tr("单号", "Order no."), &self.order_no)
                    .id(ORDER_NO_FIELD)
                    .on_input(Message::OrderNo)
                    .on_submit(Message::Search)
                    .font(style::MONO)
                    .size(14)
                    .width(Length::Fixed(150.0)),
            );
        if ctx.may(cloudpos_domain::clerk::Permission::SeeAllSummaries) {
            filters = filters.push(
                text_input(tr("收银员", "Clerk"), &self.clerk)
                    .on_input(Message::Clerk)
                    .on_submit(Message::Search)
                    .font(style::MONO)
                    .size(14)
                    .width(Length::Fixed(70.0)),
            );
        }
        filters = filters
            .push(
                button(text(tr("今天", "Today")).size(14))
                    .style(button::secondary)
                    .on_press(Message::Today),
            )
            .push(button(text(tr("查询", "Search")).size(14)).on_press(Message::Search));
        // On a narrow window the filters go on to a second line instead of being cut off.
        let filters = filters.wrap().vertical_spacing(8);

        let has_order = self.selected_order().is_some();
        let has_row = self.selected.is_some();
        let actions = row![
            button(text(tr("复制单号 Ctrl+C", "Copy Ctrl+C")).size(14))
                .style(button::secondary)
                .on_press_maybe(has_row.then_some(Message::Copy)),
            button(text(tr("备注 E", "Remark E")).size(14))
                .style(button::secondary)
                .on_press_maybe(has_order.then_some(Message::EditRemark)),
            button(text(tr("退款 R", "Refund R")).size(14))
                .style(button::danger)
                .on_press_maybe(has_order.then_some(Message::Refund)),
            button(text(tr("打印 P", "Print P")).size(14))
                .style(button::secondary)
                .on_press_maybe(has_row.then_some(Message::Print)),
            button(text(tr("汇总 H", "Summary H")).size(14)).on_press(Message::Summary),
        ]
        .spacing(8);

        let table: Element<'_, Message> = match self.kind {
            ListKind::Payments => self.orders_table(ctx),
            ListKind::Refunds => self.refunds_table(ctx),
        };
        let pager = widgets::pager(
            self.page_index,
            self.page_count(),
            match self.kind {
                ListKind::Payments => self.orders.as_ref().map_or(0, |p| p.total),
                ListKind::Refunds => self.refunds.as_ref().map_or(0, |p| p.total),
            },
            &self.jump,
            Message::Prev,
            Message::Next,
            Message::JumpInput,
            Message::Jump,
        );
        let mut col = column![filters, actions].spacing(10);
        if let Some(e) = &self.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        if let Some(n) = &self.notice {
            col = col.push(widgets::notice(n, style::PAID));
        }
        col = col.push(container(table).style(style::card).height(Length::Fill));
        col = col.push(pager);
        let base: Element<'_, Message> = container(col).padding(14).into();

        if let Some(r) = &self.remark {
            let mut body = column![
                style::mono(&r.order_no, 15.0),
                text_input(
                    tr(
                        "备注（如收银软件流水号）",
                        "Remark (e.g. the POS receipt number)"
                    ),
                    &r.text
                )
                .id(REMARK_FIELD)
                .on_input(Message::RemarkText)
                .on_submit(Message::RemarkSave),
            ]
            .spacing(10);
            if let Some(e) = &r.error {
                body = body.push(widgets::notice(e, style::FAILED));
            }
            body = body.push(
                row![
                    button(text(tr("保存 (Enter)", "Save (Enter)"))).on_press(Message::RemarkSave),
                    button(text(tr("取消 (Esc)", "Cancel (Esc)")))
                        .style(button::secondary)
                        .on_press(Message::RemarkCancel),
                ]
                .spacing(10),
            );
            return widgets::modal(
                base,
                widgets::dialog(ctx, tr("编辑备注", "Edit remark"), body, 460.0),
                Message::RemarkCancel,
            );
        }
        if let Some(f) = &self.refund {
            return widgets::modal(
                base,
                widgets::dialog(
                    ctx,
                    tr("退款", "Refund"),
                    widgets::scroll(f.view(ctx).map(Message::RefundForm)),
                    520.0,
                ),
                Message::Escape,
            );
        }
        base
    }

    fn orders_table<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let header = container(
            row![
                style::cell(text(tr("时间", "Time")), 4),
                style::cell(text(tr("单号", "Order no.")), 6),
                style::cell(
                    text(tr("金额", "Amount"))
                        .width(Length::Fill)
                        .align_x(Alignment::End),
                    3
                ),
                style::cell(
                    text(tr("已退", "Refunded"))
                        .width(Length::Fill)
                        .align_x(Alignment::End),
                    3
                ),
                style::cell(text(tr("方式", "Method")), 2),
                style::cell(text(tr("状态", "State")), 3),
                style::cell(text(tr("收银员", "Clerk")), 2),
                style::cell(text(tr("备注", "Remark")), 3),
            ]
            .spacing(8)
            .padding([6, 10]),
        )
        .style(style::header_row);
        let mut rows = column![];
        if let Some(page) = &self.orders {
            for (i, o) in page.items.iter().enumerate() {
                let status = o.status();
                let remark: Element<'_, Message> = if o.remark.chars().count() > 10 {
                    tooltip(
                        text(format!("{}…", o.remark.chars().take(9).collect::<String>())).size(14),
                        container(text(o.remark.clone()).size(14))
                            .padding(6)
                            .style(style::card),
                        tooltip::Position::Left,
                    )
                    .into()
                } else {
                    text(o.remark.clone()).size(14).into()
                };
                let r = row![
                    style::cell(style::mono(ctx.short_time(o.created_at), 13.0), 4),
                    style::cell(style::code(&o.no, 13.0), 6),
                    style::cell(style::money(o.amount, 15.0), 3),
                    style::cell(
                        style::money(o.refunded, 14.0).color(if o.refunded.is_positive() {
                            style::REVERSED
                        } else {
                            style::MUTED
                        }),
                        3
                    ),
                    style::cell(text(method_text(o.method)).size(14), 2),
                    style::cell(
                        text(status_text(status))
                            .size(14)
                            .color(style::status_color(status)),
                        3
                    ),
                    style::cell(style::mono(&o.clerk_id, 14.0), 2),
                    style::cell(remark, 3),
                ]
                .spacing(8)
                .padding([0, 10])
                .height(Length::Fixed(style::ROW_HEIGHT))
                .align_y(Alignment::Center);
                rows = rows.push(
                    button(container(r).style(style::row_style(i, self.selected == Some(i))))
                        .padding(0)
                        .style(style::row_button)
                        .on_press(Message::Select(i)),
                );
            }
            if page.items.is_empty() {
                rows = rows.push(
                    container(style::hint(tr("没有符合条件的订单", "No matching orders")))
                        .padding(12),
                );
            }
        }
        column![header, widgets::scroll(rows).height(Length::Fill)].into()
    }

    fn refunds_table<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let header = container(
            row![
                style::cell(text(tr("时间", "Time")), 4),
                style::cell(text(tr("退款单号", "Refund no.")), 6),
                style::cell(text(tr("原订单号", "Order no.")), 6),
                style::cell(
                    text(tr("退款金额", "Amount"))
                        .width(Length::Fill)
                        .align_x(Alignment::End),
                    3
                ),
                style::cell(text(tr("状态", "State")), 3),
                style::cell(text(tr("收银员", "Clerk")), 2),
                style::cell(text(tr("授权人", "Approved by")), 2),
            ]
            .spacing(8)
            .padding([6, 10]),
        )
        .style(style::header_row);
        let mut rows = column![];
        if let Some(page) = &self.refunds {
            for (i, r) in page.items.iter().enumerate() {
                let line = row![
                    style::cell(style::mono(ctx.short_time(r.created_at), 13.0), 4),
                    style::cell(style::code(&r.no, 13.0), 6),
                    style::cell(style::code(&r.order_no, 13.0), 6),
                    style::cell(style::money(r.amount, 15.0), 3),
                    style::cell(
                        text(refund_state_text(r.state))
                            .size(14)
                            .color(style::refund_color(r.state)),
                        3
                    ),
                    style::cell(style::mono(&r.clerk_id, 14.0), 2),
                    style::cell(
                        style::mono(
                            r.authorized_by
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_default(),
                            14.0
                        ),
                        2
                    ),
                ]
                .spacing(8)
                .padding([0, 10])
                .height(Length::Fixed(style::ROW_HEIGHT))
                .align_y(Alignment::Center);
                rows = rows.push(
                    button(container(line).style(style::row_style(i, self.selected == Some(i))))
                        .padding(0)
                        .style(style::row_button)
                        .on_press(Message::Select(i)),
                );
            }
            if page.items.is_empty() {
                rows =
                    rows.push(container(style::hint(tr("没有退款单", "No refunds"))).padding(12));
            }
        }
        column![
            header,
            widgets::scroll(rows).height(Length::Fill),
            Space::new().height(0)
        ]
        .into()
    }
}
