//! 汇总 Summary (H): 当班汇总 by default (login time → now, the current clerk); the type,
//! clerk and period can be changed and 重新汇总 recomputes; the statistics picture per hour
//! and wallet; 打印 (H) prints the slip, 保存图片 saves the picture. Also shows a handover
//! report (交接班) after a handover or a re-login.

use std::path::PathBuf;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::shift::{MethodTotals, Summary};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{DepositTotals, HandoverReport, Terminal, TerminalError};
use iced::widget::image::Handle;
use iced::widget::{Space, button, column, container, image, pick_list, row, text, text_input};
use iced::{Alignment, ContentFit, Element, Length, Task};

use crate::ctx::Ctx;
use crate::i18n::{error_text, method_text, tr, trs};
use crate::keys::{KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::style;
use crate::widgets;

/// The period summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 当班汇总: since login.
    Shift,
    /// 今日汇总.
    Today,
    /// 自定义时段.
    Custom,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Shift => tr("当班汇总", "This shift"),
            Kind::Today => tr("今日汇总", "Today"),
            Kind::Custom => tr("自定义时段", "Custom period"),
        })
    }
}

/// A summary with its picture.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The numbers.
    pub summary: Summary,
    /// Deposits of the same period, apart from the payments.
    pub deposits: DepositTotals,
    /// The statistics picture (PNG), when it could be drawn.
    pub png: Option<Vec<u8>>,
}

/// The summary panel.
#[derive(Debug, Clone)]
pub struct SummaryPanel {
    /// The period kind.
    pub kind: Kind,
    /// From (`YYYY-MM-DD HH:MM`).
    pub from: String,
    /// To.
    pub to: String,
    /// Clerk ID (empty: everyone the clerk may see).
    pub clerk: String,
    /// The summary shown.
    pub loaded: Option<Loaded>,
    picture: Option<Handle>,
    /// A handover report (交接班) instead of a query.
    pub handover: Option<HandoverReport>,
    /// Inline problem.
    pub error: Option<String>,
    /// Inline success (printed, saved).
    pub notice: Option<String>,
    /// Computing.
    pub busy: bool,
    /// Where 保存图片 writes.
    pub save_dir: PathBuf,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// Period kind.
    Kind(Kind),
    /// From typed.
    From(String),
    /// To typed.
    To(String),
    /// Clerk typed.
    Clerk(String),
    /// 重新汇总.
    Refresh,
    /// The summary arrived.
    Loaded(Result<Loaded, TerminalError>),
    /// 打印 (H).
    Print,
    /// Printed.
    Printed(Result<(), TerminalError>),
    /// 保存图片.
    SavePicture,
    /// Saved.
    Saved(Result<PathBuf, String>),
    /// 交接班.
    Handover,
    /// 关闭 (Esc).
    Close,
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Compute a summary of `[from, to)` for `clerk`.
    Load {
        /// From (default: login).
        from: Option<Timestamp>,
        /// To (default: now).
        to: Option<Timestamp>,
        /// Clerk (default per visibility).
        clerk: Option<ClerkId>,
    },
    /// Print the summary slip.
    Print(Summary),
    /// Write the picture.
    Save(PathBuf, Vec<u8>),
    /// Hand the shift over.
    Handover,
    /// Close the panel.
    Close,
}

impl SummaryPanel {
    /// The 当班汇总 of the logged-in clerk.
    #[must_use]
    pub fn for_shift(ctx: &Ctx, save_dir: PathBuf) -> (SummaryPanel, Event) {
        let from = ctx.session.as_ref().map(|s| s.since);
        let panel = SummaryPanel {
            kind: Kind::Shift,
            from: from.map(|f| short_time(f, ctx)).unwrap_or_default(),
            to: short_time(ctx.now, ctx),
            clerk: ctx
                .clerk
                .as_ref()
                .map(|c| c.id.to_string())
                .unwrap_or_default(),
            loaded: None,
            picture: None,
            handover: None,
            error: None,
            notice: None,
            busy: true,
            save_dir,
        };
        let clerk = ctx.clerk.as_ref().map(|c| c.id.clone());
        (
            panel,
            Event::Load {
                from,
                to: None,
                clerk,
            },
        )
    }

    /// A handover report (交接班汇总).
    #[must_use]
    pub fn for_handover(report: HandoverReport, ctx: &Ctx, save_dir: PathBuf) -> SummaryPanel {
        SummaryPanel {
            kind: Kind::Custom,
            from: short_time(report.shift.opened_at, ctx),
            to: report
                .shift
                .closed_at
                .map(|t| short_time(t, ctx))
                .unwrap_or_default(),
            clerk: report.shift.clerk_id.to_string(),
            loaded: Some(Loaded {
                summary: report.summary.clone(),
                deposits: report.deposits,
                png: None,
            }),
            picture: None,
            handover: Some(report),
            error: None,
            notice: None,
            busy: false,
            save_dir,
        }
    }

    fn query(&self, ctx: &Ctx) -> Result<Event, String> {
        let parse = |s: &str| -> Result<Option<Timestamp>, String> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            Timestamp::parse_local(s, ctx.offset_seconds)
                .map(Some)
                .map_err(|_| {
                    trs(
                        format!("时间“{s}”有误：请写 YYYY-MM-DD HH:MM"),
                        format!("Bad time \"{s}\": write YYYY-MM-DD HH:MM"),
                    )
                })
        };
        let clerk = match self.clerk.trim() {
            "" => None,
            c => Some(ClerkId::parse(c).map_err(|e| crate::i18n::clerk_id_error_text(&e))?),
        };
        Ok(Event::Load {
            from: parse(&self.from)?,
            to: parse(&self.to)?,
            clerk,
        })
    }

    /// Runs an event's terminal call (or writes the picture). Handing over and closing the
    /// panel are the app's.
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::Load { from, to, clerk } => call(
                terminal,
                |t| async move {
                    let summary = t.summary(from, to, clerk.as_ref()).await?;
                    let deposits = t
                        .deposit_totals(summary.from, summary.to, summary.clerk.as_ref())
                        .await?;
                    let png = t
                        .stats_png(summary.from, summary.to, summary.clerk.as_ref())
                        .await
                        .ok();
                    Ok(Loaded {
                        summary,
                        deposits,
                        png,
                    })
                },
                Message::Loaded,
            ),
            Event::Print(s) => call(
                terminal,
                |t| async move {
                    let receipt = t.summary_receipt(&s).await?;
                    t.print_receipt(&receipt, None).await
                },
                Message::Printed,
            ),
            Event::Save(path, png) => Task::perform(save(path, png), Message::Saved),
            Event::Handover | Event::Close => Task::none(),
        }
    }

    /// The panel's keys: Esc closes it, so does Enter on a handover report; H prints.
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<Message> {
        match shortcut(press) {
            Shortcut::Escape => Some(Message::Close),
            Shortcut::Enter if !press.captured && self.handover.is_some() => Some(Message::Close),
            Shortcut::Letter('H') if !press.captured => Some(Message::Print),
            _ => None,
        }
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
        match message {
            Message::Kind(kind) => {
                self.kind = kind;
                match kind {
                    Kind::Shift => {
                        self.from = ctx
                            .session
                            .as_ref()
                            .map(|s| short_time(s.since, ctx))
                            .unwrap_or_default();
                        self.to = short_time(ctx.now, ctx);
                        self.clerk = ctx
                            .clerk
                            .as_ref()
                            .map(|c| c.id.to_string())
                            .unwrap_or_default();
                    }
                    Kind::Today => {
                        self.from = short_time(ctx.now.start_of_day(ctx.offset_seconds), ctx);
                        self.to = short_time(ctx.now, ctx);
                    }
                    Kind::Custom => {}
                }
                None
            }
            Message::From(v) => {
                self.from = v;
                self.kind = Kind::Custom;
                None
            }
            Message::To(v) => {
                self.to = v;
                self.kind = Kind::Custom;
                None
            }
            Message::Clerk(v) => {
                self.clerk = v.trim().to_owned();
                None
            }
            Message::Refresh => match self.query(ctx) {
                Ok(e) => {
                    self.busy = true;
                    self.error = None;
                    self.notice = None;
                    Some(e)
                }
                Err(e) => {
                    self.error = Some(e);
                    None
                }
            },
            Message::Loaded(result) => {
                self.busy = false;
                match result {
                    Ok(l) => {
                        self.picture = l.png.clone().map(Handle::from_bytes);
                        self.loaded = Some(l);
                        self.error = None;
                    }
                    Err(e) => self.error = Some(error_text(&e)),
                }
                None
            }
            Message::Print => {
                let s = self.loaded.as_ref()?.summary.clone();
                self.notice = None;
                Some(Event::Print(s))
            }
            Message::Printed(r) => {
                match r {
                    Ok(()) => {
                        self.notice = Some(tr("已发送到小票机", "Sent to the printer").to_owned());
                        self.error = None;
                    }
                    Err(e) => self.error = Some(error_text(&e)),
                }
                None
            }
            Message::SavePicture => {
                let png = self.loaded.as_ref()?.png.clone()?;
                let name = format!(
                    "汇总-{}.png",
                    short_time(ctx.now, ctx).replace([' ', ':'], "-")
                );
                Some(Event::Save(self.save_dir.join(name), png))
            }
            Message::Saved(r) => {
                match r {
                    Ok(p) => {
                        self.notice = Some(trs(
                            format!("图片已保存到 {}", p.display()),
                            format!("Saved to {}", p.display()),
                        ));
                    }
                    Err(e) => self.error = Some(e),
                }
                None
            }
            Message::Handover => Some(Event::Handover),
            Message::Close => Some(Event::Close),
        }
    }

    /// The panel's title.
    #[must_use]
    pub fn title(&self) -> &'static str {
        if self.handover.is_some() {
            tr("交接班汇总", "Handover summary")
        } else {
            tr("统计汇总", "Summary")
        }
    }

    /// Draws the panel.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let mut col = column![].spacing(12);
        if let Some(h) = &self.handover {
            col = col.push(
                text(trs(
                    format!(
                        "店员 {} 的班次已交接：{} — {}",
                        h.shift.clerk_id,
                        ctx.time(h.shift.opened_at),
                        h.shift.closed_at.map(|t| ctx.time(t)).unwrap_or_default()
                    ),
                    format!(
                        "Clerk {}'s shift is handed over: {} — {}",
                        h.shift.clerk_id,
                        ctx.time(h.shift.opened_at),
                        h.shift.closed_at.map(|t| ctx.time(t)).unwrap_or_default()
                    ),
                ))
                .size(16),
            );
        } else {
            let may_all = ctx.may(cloudpos_domain::clerk::Permission::SeeAllSummaries);
            let mut filters = row![
                pick_list(
                    [Kind::Shift, Kind::Today, Kind::Custom],
                    Some(self.kind),
                    Message::Kind
                )
                .text_size(15),
                text_input("YYYY-MM-DD HH:MM", &self.from)
                    .on_input(Message::From)
                    .font(style::MONO)
                    .width(Length::Fixed(170.0)),
                text("—"),
                text_input("YYYY-MM-DD HH:MM", &self.to)
                    .on_input(Message::To)
                    .font(style::MONO)
                    .width(Length::Fixed(170.0)),
            ]
            .spacing(8)
            .align_y(Alignment::Center);
            if may_all {
                filters = filters.push(
                    text_input(tr("店员（空：全部）", "Clerk (empty: all)"), &self.clerk)
                        .on_input(Message::Clerk)
                        .font(style::MONO)
                        .width(Length::Fixed(130.0)),
                );
            }
            filters = filters.push(
                button(text(tr("重新汇总", "Recompute")))
                    .on_press_maybe((!self.busy).then_some(Message::Refresh)),
            );
            col = col.push(filters);
        }

        if let Some(l) = &self.loaded {
            col = col.push(summary_table(&l.summary, ctx));
            if !l.deposits.is_empty() || ctx.cashier_mode.deposits() {
                col = col.push(deposit_table(&l.deposits));
            }
        } else if self.busy {
            col = col.push(text(tr("正在汇总…", "Computing…")));
        }
        if let Some(pic) = &self.picture {
            col = col.push(
                container(
                    image(pic.clone())
                        .content_fit(ContentFit::Contain)
                        .height(Length::Fixed(300.0)),
                )
                .center_x(Length::Fill),
            );
        }
        if let Some(e) = &self.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        if let Some(n) = &self.notice {
            col = col.push(widgets::notice(n, style::PAID));
        }
        let mut buttons = row![
            button(text(tr("打印 (H)", "Print (H)")))
                .on_press_maybe(self.loaded.as_ref().map(|_| Message::Print)),
        ]
        .spacing(10);
        if self.picture.is_some() {
            buttons = buttons.push(
                button(text(tr("保存图片", "Save picture")))
                    .style(button::secondary)
                    .on_press(Message::SavePicture),
            );
        }
        if self.handover.is_none() && ctx.session.is_some() {
            buttons = buttons.push(
                button(text(tr("交接班", "Hand over")))
                    .style(button::danger)
                    .on_press(Message::Handover),
            );
        }
        buttons = buttons.push(Space::new().width(Length::Fill));
        buttons = buttons.push(
            button(text(if self.handover.is_some() {
                tr("确定 (Enter)", "OK (Enter)")
            } else {
                tr("关闭 (Esc)", "Close (Esc)")
            }))
            .style(button::secondary)
            .on_press(Message::Close),
        );
        col = col.push(buttons);
        widgets::dialog(ctx, self.title(), widgets::scroll(col), 780.0)
    }
}

fn short_time(t: Timestamp, ctx: &Ctx) -> String {
    let s = ctx.time(t);
    s.get(..16).unwrap_or(&s).to_owned()
}

/// The summary's numbers as a table: per method, then the total.
pub fn summary_table<'a, M: 'a>(s: &Summary, ctx: &Ctx) -> Element<'a, M> {
    let header = container(
        row![
            style::cell(text(tr("支付方式", "Method")), 3),
            style::cell(
                text(tr("收款笔数", "Payments"))
                    .width(Length::Fill)
                    .align_x(Alignment::End),
                2
            ),
            style::cell(
                text(tr("收款金额", "Paid"))
                    .width(Length::Fill)
                    .align_x(Alignment::End),
                3
            ),
            style::cell(
                text(tr("退款笔数", "Refunds"))
                    .width(Length::Fill)
                    .align_x(Alignment::End),
                2
            ),
            style::cell(
                text(tr("退款金额", "Refunded"))
                    .width(Length::Fill)
                    .align_x(Alignment::End),
                3
            ),
            style::cell(
                text(tr("净收入", "Net"))
                    .width(Length::Fill)
                    .align_x(Alignment::End),
                3
            ),
        ]
        .spacing(8)
        .padding([6, 10]),
    )
    .style(style::header_row);
    let line = |label: String, t: &MethodTotals, i: usize, bold: bool| -> Element<'a, M> {
        let size = if bold { 17.0 } else { 15.0 };
        container(
            row![
                style::cell(text(label).size(size), 3),
                style::cell(
                    style::mono(t.pay_count, size)
                        .width(Length::Fill)
                        .align_x(Alignment::End),
                    2
                ),
                style::cell(style::money(t.paid, size), 3),
                style::cell(
                    style::mono(t.refund_count, size)
                        .width(Length::Fill)
                        .align_x(Alignment::End),
                    2
                ),
                style::cell(style::money(t.refunded, size), 3),
                style::cell(
                    style::money(t.net, size).color(if t.net.is_negative() {
                        style::FAILED
                    } else {
                        style::PAID
                    }),
                    3
                ),
            ]
            .spacing(8)
            .padding([0, 10])
            .height(Length::Fixed(style::ROW_HEIGHT))
            .align_y(Alignment::Center),
        )
        .style(style::row_style(i, false))
        .into()
    };
    let mut rows = column![header];
    for (i, (m, t)) in s.methods.iter().enumerate() {
        rows = rows.push(line(method_text(*m).to_owned(), t, i, false));
    }
    rows = rows.push(line(
        tr("合计", "Total").to_owned(),
        &s.total,
        s.methods.len(),
        true,
    ));
    let mut col = column![
        text(trs(
            format!(
                "{} — {} · {}",
                ctx.time(s.from),
                ctx.time(s.to),
                s.clerk
                    .as_ref()
                    .map_or_else(|| "全部店员".to_owned(), |c| format!("店员 {c}"))
            ),
            format!(
                "{} — {} · {}",
                ctx.time(s.from),
                ctx.time(s.to),
                s.clerk
                    .as_ref()
                    .map_or_else(|| "all clerks".to_owned(), |c| format!("clerk {c}"))
            ),
        ))
        .size(14)
        .color(style::MUTED),
        container(rows).style(style::card),
    ]
    .spacing(6);
    if s.cash.tendered != Money::ZERO || s.cash.change != Money::ZERO {
        col = col.push(
            text(trs(
                format!("现金实收 ¥{} · 找零 ¥{}", s.cash.tendered, s.cash.change),
                format!(
                    "Cash received ¥{} · change ¥{}",
                    s.cash.tendered, s.cash.change
                ),
            ))
            .size(14),
        );
    }
    col.into()
}

/// The period's deposits (押金), apart from the payments: frozen, consumed, released.
pub fn deposit_table<'a, M: 'a>(d: &DepositTotals) -> Element<'a, M> {
    let cell = |label: &'static str, count: u32, amount: Money, color| -> Element<'a, M> {
        container(
            column![
                text(label).size(14).color(style::MUTED),
                row![
                    style::mono(trs(format!("{count} 笔"), format!("{count}")), 15.0),
                    style::money(amount, 17.0).color(color),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            ]
            .spacing(2),
        )
        .padding([6, 10])
        .width(Length::Fill)
        .into()
    };
    column![
        text(tr(
            "押金（不计入收款；消费金额已计入上表）",
            "Deposits (not income; what was consumed is in the table above)"
        ))
        .size(14)
        .color(style::MUTED),
        container(
            row![
                cell(tr("冻结", "Frozen"), d.frozen_count, d.frozen, style::BRAND),
                cell(
                    tr("消费", "Consumed"),
                    d.consumed_count,
                    d.consumed,
                    style::PAID
                ),
                cell(
                    tr("解冻退回", "Released"),
                    d.released_count,
                    d.released,
                    style::REVERSED
                ),
            ]
            .spacing(8)
        )
        .style(style::card),
    ]
    .spacing(6)
    .into()
}

/// Writes the statistics picture to `path`; the path written, or why not in words.
async fn save(path: PathBuf, png: Vec<u8>) -> Result<PathBuf, String> {
    let p = path.clone();
    tokio::task::spawn_blocking(move || std::fs::write(&p, png))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map(|()| path.clone())
        .map_err(|e| {
            tracing::warn!("saving {}: {e}", path.display());
            trs(
                format!("无法保存到 {}：请检查文件夹和权限", path.display()),
                format!("Cannot save to {}: {e}", path.display()),
            )
        })
}
