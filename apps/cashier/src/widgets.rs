//! View pieces several screens share: labelled fields, paging controls (上一页 / 下一页 /
//! 跳转), modal dialogs, the live payment state with its countdown, the numeric keypad.

use std::time::Duration;

use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::timestamp::Timestamp;
use iced::widget::{
    Space, button, center, column, container, mouse_area, opaque, row, stack, text,
};
use iced::{Alignment, Color, Element, Length};

use crate::ctx::Ctx;
use crate::i18n::{state_text, tr, trs};
use crate::style;

/// A label above an input.
pub fn field<'a, M: 'a>(label: &str, input: impl Into<Element<'a, M>>) -> Element<'a, M> {
    column![
        text(label.to_owned()).size(14).color(style::MUTED),
        input.into()
    ]
    .spacing(4)
    .into()
}

/// A label beside an input, for dense forms.
pub fn inline<'a, M: 'a>(
    label: &str,
    width: f32,
    input: impl Into<Element<'a, M>>,
) -> Element<'a, M> {
    row![
        text(label.to_owned()).size(15).width(Length::Fixed(width)),
        input.into()
    ]
    .spacing(8)
    .align_y(Alignment::Center)
    .into()
}

/// Paging controls: 上一页, page `n / total`, 下一页, a page number and 跳转.
#[allow(clippy::too_many_arguments)]
pub fn pager<'a, M: Clone + 'a>(
    page: u32,
    page_count: u32,
    total: u64,
    jump: &str,
    on_prev: M,
    on_next: M,
    on_jump_input: impl Fn(String) -> M + 'a,
    on_jump: M,
) -> Element<'a, M> {
    let prev = button(text(tr("上一页", "Previous")).size(14))
        .style(button::secondary)
        .on_press_maybe((page > 0).then_some(on_prev));
    let next = button(text(tr("下一页", "Next")).size(14))
        .style(button::secondary)
        .on_press_maybe((page + 1 < page_count).then_some(on_next));
    row![
        prev,
        style::mono(format!("{} / {}", page + 1, page_count.max(1)), 15.0),
        next,
        text(trs(format!("共 {total} 条"), format!("{total} in all")))
            .size(14)
            .color(style::MUTED),
        Space::new().width(Length::Fill),
        iced::widget::text_input(tr("页码", "Page"), jump)
            .on_input(on_jump_input)
            .on_submit(on_jump.clone())
            .width(Length::Fixed(70.0))
            .font(style::MONO),
        button(text(tr("跳转", "Go")).size(14))
            .style(button::secondary)
            .on_press(on_jump),
    ]
    .spacing(10)
    .align_y(Alignment::Center)
    .into()
}

/// `base` with `dialog` shown over a shade; clicking the shade sends `on_blur`.
pub fn modal<'a, M: Clone + 'a>(
    base: impl Into<Element<'a, M>>,
    dialog: impl Into<Element<'a, M>>,
    on_blur: M,
) -> Element<'a, M> {
    stack![
        base.into(),
        opaque(mouse_area(center(opaque(dialog)).style(style::shade)).on_press(on_blur))
    ]
    .into()
}

/// A dialog box with a title, never taller than the window (`ctx.dialog_max_height`): a
/// tall body must be scrollable, and then scrolls inside it.
pub fn dialog<'a, M: 'a>(
    ctx: &Ctx,
    title: &str,
    body: impl Into<Element<'a, M>>,
    width: f32,
) -> Element<'a, M> {
    let width = width.min(ctx.window.width - 32.0);
    container(
        column![style::heading(title.to_owned()), body.into()]
            .spacing(14)
            .width(Length::Fixed(width)),
    )
    .padding(22)
    .max_height(ctx.dialog_max_height())
    .style(style::dialog)
    .into()
}

/// A vertical scrollable whose scrollbar sits beside the content, not over it (an overlaid
/// bar hid the right-aligned amounts and the receipt preview's last column).
pub fn scroll<'a, M: 'a>(content: impl Into<Element<'a, M>>) -> iced::widget::Scrollable<'a, M> {
    iced::widget::scrollable(content).spacing(4)
}

/// An inline message in an outcome colour.
pub fn notice<'a, M: 'a>(message: &str, color: Color) -> Element<'a, M> {
    container(text(message.to_owned()).size(15).color(color))
        .padding([6, 10])
        .width(Length::Fill)
        .style(style::outcome_box(color))
        .into()
}

/// Whole seconds between two timestamps (0 when `to` is earlier).
#[must_use]
pub fn secs_between(from: Timestamp, to: Timestamp) -> u64 {
    to.since(from).as_secs()
}

/// A payment whose outcome `pay` returned without (the terminal finishes it in the
/// background): the screens follow its order to the end and never call it failed meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unresolved {
    /// No answer could be trusted yet (`ResultUnknown`): 结果未知，正在查询….
    Unknown,
    /// Cloud Pay said paid and the ledger could not write it yet (`PaidNotRecorded`):
    /// 已在云端收款，本地记录稍后补全.
    PaidNotRecorded,
}

impl Unresolved {
    /// The unresolved outcome a `pay` error stands for, if it is one.
    #[must_use]
    pub fn of(error: &cloudpos_terminal::TerminalError) -> Option<Unresolved> {
        match error {
            cloudpos_terminal::TerminalError::ResultUnknown { .. } => Some(Unresolved::Unknown),
            cloudpos_terminal::TerminalError::PaidNotRecorded { .. } => {
                Some(Unresolved::PaidNotRecorded)
            }
            _ => None,
        }
    }
}

/// The live state of a payment in words: what is happening, how long it has taken, and
/// what happens next ("45 秒后自动撤单"), in the outcome colour. `unresolved` when `pay`
/// returned without an outcome: the words say so (amber, never failed) until the order ends.
pub fn pay_progress<'a, M: 'a>(
    order: Option<&Order>,
    unresolved: Option<Unresolved>,
    now: Timestamp,
    timeout: Duration,
    started: Timestamp,
) -> Element<'a, M> {
    let (state, created) = match order {
        Some(o) => (o.state, o.created_at),
        None => (OrderState::Submitted, started),
    };
    let color = style::state_color(state);
    let elapsed = secs_between(created, now);
    let deadline = created.plus(timeout);
    let left = secs_between(now, deadline);
    let open = !state.is_final();
    let headline = match (order, state, unresolved) {
        (Some(_), _, Some(Unresolved::PaidNotRecorded)) if open => tr(
            "已在云端收款，本地记录稍后补全",
            "Paid in the cloud; the local record will be completed",
        ),
        (
            Some(_),
            OrderState::Created | OrderState::Submitted | OrderState::Unknown,
            Some(Unresolved::Unknown),
        ) => state_text(OrderState::Unknown),
        (None, _, _) => tr("正在提交支付…", "Submitting the payment…"),
        (_, s, _) => state_text(s),
    };
    let detail = match state {
        OrderState::Paid | OrderState::Failed | OrderState::Reversed => String::new(),
        _ if unresolved == Some(Unresolved::PaidNotRecorded) => trs(
            format!("已等待 {elapsed} 秒 · 顾客已付款，可交付商品 · 请勿重复收款"),
            format!(
                "{elapsed} s elapsed · the customer has paid: hand the goods over · do not charge again"
            ),
        ),
        OrderState::Reversing => trs(
            format!("已等待 {elapsed} 秒：超时未确认，正在撤单，顾客不会被扣款"),
            format!(
                "{elapsed} s: not confirmed in time, reversing; the customer will not be charged"
            ),
        ),
        _ => trs(
            format!("已等待 {elapsed} 秒 · {left} 秒后自动撤单 · 请勿重复收款"),
            format!("{elapsed} s elapsed · auto-reverse in {left} s · do not charge again"),
        ),
    };
    let mut col = column![text(headline).size(26).font(style::bold()).color(color)].spacing(6);
    if !detail.is_empty() {
        col = col.push(text(detail).size(15).color(color));
    }
    if let Some(o) = order {
        col = col.push(style::mono(
            format!("{} {}", tr("单号", "Order"), o.no),
            14.0,
        ));
        if let Some(reason) = crate::i18n::order_reason(o).filter(|_| state == OrderState::Failed) {
            col = col.push(text(reason).size(15).color(style::FAILED));
        }
    }
    container(col)
        .padding(14)
        .width(Length::Fill)
        .style(style::outcome_box(color))
        .into()
}

/// The keys of the on-screen keypad (touch mode).
pub const KEYPAD: [[char; 3]; 4] = [
    ['7', '8', '9'],
    ['4', '5', '6'],
    ['1', '2', '3'],
    ['.', '0', '⌫'],
];

/// A numeric keypad for touch screens: digits, the decimal point and backspace.
pub fn keypad<'a, M: Clone + 'a>(on_key: impl Fn(char) -> M + 'a) -> Element<'a, M> {
    let mut grid = column![].spacing(6);
    for line in KEYPAD {
        let mut r = row![].spacing(6);
        for k in line {
            r = r.push(
                button(
                    text(k.to_string())
                        .size(24)
                        .font(style::MONO)
                        .width(Length::Fill)
                        .align_x(Alignment::Center),
                )
                .width(Length::Fixed(64.0))
                .height(Length::Fixed(48.0))
                .style(button::secondary)
                .on_press(on_key(k)),
            );
        }
        grid = grid.push(r);
    }
    grid.into()
}
