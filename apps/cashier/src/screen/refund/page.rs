//! 退款操作 The refund screen (R/F5): the refund form beside the latest refunds; and finding
//! the original payment of a return the host POS shows.

use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::order_no::RefundNo;
use cloudpos_domain::ports::{OrderFilter, RefundFilter};
use cloudpos_domain::refund::Refund;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{Terminal, TerminalError};
use iced::widget::{Space, button, column, container, row, text};
use iced::{Alignment, Element, Length, Task};

use super::{Event, Message, ORDER_FIELD, RefundForm};
use crate::ctx::Ctx;
use crate::i18n::{error_text, refund_state_text, tr};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::style;
use crate::widgets;

/// The refund screen (退款操作, R/F5): the form, and the latest refunds with their states.
#[derive(Debug)]
pub struct RefundScreen {
    /// The form.
    pub form: RefundForm,
    /// The latest refunds.
    pub recent: Vec<Refund>,
    /// Selected refund in the list.
    pub selected: Option<usize>,
}

/// What happened on the refund screen.
#[derive(Debug, Clone)]
pub enum ScreenMessage {
    /// The form.
    Form(Message),
    /// The latest refunds arrived.
    Recent(Result<Vec<Refund>, TerminalError>),
    /// A refund clicked.
    Select(usize),
    /// P: print the selected refund.
    Print,
    /// Opened for a return the host POS shows (去退款 in the payment window): its amount,
    /// and the original order if one was found.
    HostReturn(Money, Option<Order>),
    /// Esc: a fresh form (the latest refunds stay).
    Clear,
}

impl Default for RefundScreen {
    fn default() -> Self {
        RefundScreen {
            form: RefundForm::new(false),
            recent: Vec::new(),
            selected: None,
        }
    }
}

impl RefundScreen {
    /// Loads the latest refunds (the screen was opened, or a refund changed).
    pub fn load_recent(&self, terminal: &Terminal) -> Task<ScreenMessage> {
        call(
            terminal,
            |t| async move {
                t.refunds(&RefundFilter {
                    page_size: 20,
                    ..RefundFilter::default()
                })
                .await
                .map(|p| p.items)
            },
            ScreenMessage::Recent,
        )
    }

    /// Runs a form event's terminal call (or moves the focus). Printing (its failure goes to
    /// the status bar) and showing an order's refunds in the order list are the app's.
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<ScreenMessage> {
        super::perform(event, terminal).map(ScreenMessage::Form)
    }

    /// The screen's keys: Esc clears the form (not while a refund is on its way), F11 / F12
    /// choose how the manager approves, P prints the selected refund, Enter submits.
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<KeyAction<ScreenMessage>> {
        let sc = shortcut(press);
        let m = match sc {
            Shortcut::Escape if !self.form.busy() => ScreenMessage::Clear,
            Shortcut::Function(_) => ScreenMessage::Form(self.form.auth_key(sc)?),
            Shortcut::Letter('P') => ScreenMessage::Print,
            Shortcut::Enter => ScreenMessage::Form(Message::Submit),
            _ => return None,
        };
        Some(KeyAction::Send(m))
    }

    /// Handles a message; `Some(Event)` for the app.
    pub fn update(&mut self, message: ScreenMessage) -> Option<Event> {
        match message {
            ScreenMessage::Clear => {
                *self = RefundScreen {
                    recent: std::mem::take(&mut self.recent),
                    ..RefundScreen::default()
                };
                Some(Event::Focus(ORDER_FIELD))
            }
            ScreenMessage::Form(m) => self.form.update(m),
            ScreenMessage::Recent(Ok(list)) => {
                self.recent = list;
                None
            }
            ScreenMessage::Recent(Err(e)) => {
                self.form.error = Some(error_text(&e));
                None
            }
            ScreenMessage::Select(i) => {
                self.selected = Some(i);
                None
            }
            ScreenMessage::Print => {
                let r = self.recent.get(self.selected?)?;
                Some(Event::Print(r.no.clone()))
            }
            ScreenMessage::HostReturn(amount, order) => {
                if self.form.busy() {
                    // A refund on its way keeps its form; the cashier comes back to this.
                    return None;
                }
                let (form, event) = RefundForm::for_host_return(amount, order.as_ref());
                self.form = form;
                Some(event)
            }
        }
    }

    /// Draws the screen.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, ScreenMessage> {
        let form = container(widgets::scroll(
            self.form.view(ctx).map(ScreenMessage::Form),
        ))
        .padding(16)
        .width(Length::FillPortion(1))
        .height(Length::Fill)
        .style(style::card);
        let mut list = column![
            row![
                style::heading(tr("最近退款", "Latest refunds")),
                Space::new().width(Length::Fill),
                button(text(tr("打印 P", "Print P")).size(14))
                    .style(button::secondary)
                    .on_press_maybe(self.selected.map(|_| ScreenMessage::Print)),
            ]
            .align_y(Alignment::Center)
        ]
        .spacing(4);
        for (i, r) in self.recent.iter().enumerate() {
            let line = column![
                row![
                    style::mono(ctx.short_time(r.created_at), 13.0),
                    Space::new().width(Length::Fill),
                    text(refund_state_text(r.state))
                        .size(14)
                        .color(style::refund_color(r.state)),
                    style::money(r.amount, 15.0).width(Length::Fixed(90.0)),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
                style::mono(format!("{} ← {}", r.no, r.order_no), 12.0),
            ]
            .spacing(2);
            list = list.push(
                button(
                    container(line)
                        .padding([4, 8])
                        .width(Length::Fill)
                        .style(style::row_style(i, self.selected == Some(i))),
                )
                .padding(0)
                .style(style::row_button)
                .on_press(ScreenMessage::Select(i)),
            );
        }
        if self.recent.is_empty() {
            list = list.push(style::hint(tr("还没有退款", "No refunds yet")));
        }
        let side = container(widgets::scroll(list))
            .padding(16)
            .width(Length::FillPortion(1))
            .height(Length::Fill)
            .style(style::card);
        row![form, side].spacing(14).padding(14).into()
    }
}

/// The original payment of a return the host POS shows, among recent paid orders (newest
/// first): the one whose remark is the serial number read off the host's screen (plug-in
/// mode stores the host's serial number as the remark), else the only one of exactly the
/// returned amount; each with that much still refundable. `None` when nothing or more than
/// one order fits: the cashier then finds the receipt.
#[must_use]
pub fn returned_order(candidates: &[Order], amount: Money, serial: Option<&str>) -> Option<Order> {
    let refundable = |o: &&Order| {
        o.state == OrderState::Paid && o.amount.fen() - o.refunded.fen() >= amount.fen()
    };
    if let Some(serial) = serial.map(str::trim).filter(|s| !s.is_empty())
        && let Some(o) = candidates
            .iter()
            .filter(refundable)
            .find(|o| o.remark.trim() == serial)
    {
        return Some(o.clone());
    }
    let mut same = candidates
        .iter()
        .filter(refundable)
        .filter(|o| o.amount == amount && o.refunded == Money::ZERO);
    match (same.next(), same.next()) {
        (Some(o), None) => Some(o.clone()),
        _ => None,
    }
}

/// Finds the original payment of a return the host POS shows (see [`returned_order`])
/// among the paid orders since `since`; the refund screen then opens for it.
pub fn find_returned(
    terminal: &Terminal,
    since: Timestamp,
    amount: Money,
    serial: Option<String>,
) -> Task<ScreenMessage> {
    call(
        terminal,
        move |t| async move {
            let recent = t
                .orders(&OrderFilter {
                    from: Some(since),
                    state: Some(OrderState::Paid),
                    page_size: 200,
                    ..OrderFilter::default()
                })
                .await
                .map(|p| p.items)
                .unwrap_or_default();
            returned_order(&recent, amount, serial.as_deref())
        },
        move |order| ScreenMessage::HostReturn(amount, order),
    )
}

/// Prints a refund's receipt; a failure is the caller's to show.
pub fn print(terminal: &Terminal, no: RefundNo) -> Task<Result<(), TerminalError>> {
    call(
        terminal,
        |t| async move { t.print_refund(&no, None).await },
        |r| r,
    )
}
