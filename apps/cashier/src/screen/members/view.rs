//! Drawing the member screen: the find bar, the card with 充值 and 调整余额, the ledger, and
//! the add, import and export dialogs.

use cloudpos_domain::clerk::Permission;
use cloudpos_domain::member::{MemberAccount, MemberStatus};
use cloudpos_domain::money::Money;
use iced::widget::{Space, button, column, container, row, text, text_input};
use iced::{Alignment, Color, Element, Length};

use super::transfer::{self, Transfer};
use super::{
    ADJUST_FIELD, AMOUNT_FIELD, AddForm, CARD_FIELD, CODE_FIELD, FIND_FIELD, Members, Message,
    NAME_FIELD, PATH_FIELD, PHONE_FIELD, REASON_FIELD, Recharging, adjust_refused,
};
use crate::ctx::Ctx;
use crate::i18n::{entry_kind_text, member_status_text, tr, trs};
use crate::style;
use crate::widgets;

fn status_color(status: MemberStatus) -> Color {
    match status {
        MemberStatus::Active => style::PAID,
        MemberStatus::Frozen => style::FAILED,
    }
}

impl Members {
    /// Draws the screen.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let mut col = column![self.find_view()].spacing(10);
        if let Some(e) = &self.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        if let Some(n) = &self.notice {
            col = col.push(widgets::notice(n, style::PAID));
        }
        if !self.matches.is_empty() {
            col = col.push(self.matches_view());
        }
        col = col.push(
            row![
                container(self.card_view(ctx))
                    .width(Length::FillPortion(5))
                    .height(Length::Fill),
                container(self.ledger_view(ctx))
                    .width(Length::FillPortion(6))
                    .height(Length::Fill),
            ]
            .spacing(10)
            .height(Length::Fill),
        );
        let base: Element<'_, Message> = container(col).padding(12).height(Length::Fill).into();
        if let Some(a) = &self.add {
            return widgets::modal(base, add_view(ctx, a), Message::Escape);
        }
        if let Some(t) = &self.transfer {
            return widgets::modal(
                base,
                transfer_view(ctx, t),
                Message::Transfer(transfer::Message::Close),
            );
        }
        base
    }

    fn find_view(&self) -> Element<'_, Message> {
        let small = |label: &'static str, m: Message| {
            button(text(label).size(14))
                .style(button::secondary)
                .padding([8, 10])
                .on_press(m)
        };
        let bar = row![
            text_input(
                tr(
                    "扫会员卡，或输入卡号 / 手机号后按 Enter",
                    "Scan the card, or type its number or the phone, then Enter"
                ),
                &self.query
            )
            .id(FIND_FIELD)
            .on_input(Message::Query)
            .on_submit(Message::Find)
            .font(style::MONO)
            .size(18)
            .padding(7),
            button(text(if self.finding {
                tr("查找中…", "Finding…")
            } else {
                tr("查找", "Find")
            }))
            .padding([9, 14])
            .on_press_maybe((!self.finding).then_some(Message::Find)),
            button(text(tr("新增会员 (F10)", "New (F10)")))
                .style(button::success)
                .padding([9, 12])
                .on_press(Message::OpenAdd),
            small(
                tr("导入 (I)", "Import (I)"),
                Message::Transfer(transfer::Message::Open(true))
            ),
            small(
                tr("导出 (E)", "Export (E)"),
                Message::Transfer(transfer::Message::Open(false))
            ),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        container(column![style::heading(tr("会员卡", "Member cards")), bar].spacing(8))
            .padding(12)
            .width(Length::Fill)
            .style(style::card)
            .into()
    }

    fn matches_view(&self) -> Element<'_, Message> {
        let mut col = column![style::hint(tr(
            "该手机号下有多张会员卡，请选择：",
            "Several cards have this phone; choose one:"
        ))]
        .spacing(4);
        for (i, a) in self.matches.iter().enumerate() {
            col = col.push(
                button(
                    row![
                        style::mono(a.card.card_no.as_str(), 15.0),
                        text(a.card.name.clone()).size(15),
                        style::money(a.balance, 15.0),
                    ]
                    .spacing(12),
                )
                .width(Length::Fill)
                .style(button::secondary)
                .on_press(Message::Pick(i)),
            );
        }
        container(col)
            .padding(8)
            .width(Length::Fill)
            .style(style::card)
            .into()
    }

    fn card_view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let Some(a) = &self.account else {
            return container(style::hint(tr(
                "扫会员卡或输入手机号查找会员；新会员按 F10 新增",
                "Scan a card or type a phone to find a member; F10 adds one",
            )))
            .padding(12)
            .width(Length::Fill)
            .style(style::card)
            .into();
        };
        let col = column![
            account_view(a),
            self.recharge_view(ctx, a),
            self.adjust_view(ctx),
        ]
        .spacing(12);
        container(widgets::scroll(col))
            .padding(12)
            .width(Length::Fill)
            .height(Length::Fill)
            .style(style::card)
            .into()
    }

    fn recharge_view<'a>(&'a self, ctx: &'a Ctx, a: &MemberAccount) -> Element<'a, Message> {
        let out = self.recharging.is_some();
        let form = row![
            widgets::field(
                tr("充值金额（元）", "Amount (yuan)"),
                text_input("0.00", &self.amount)
                    .id(AMOUNT_FIELD)
                    .on_input(Message::Amount)
                    .on_submit(Message::AmountDone)
                    .font(style::MONO)
                    .size(20)
                    .align_x(Alignment::End)
                    .padding(6)
                    .width(Length::Fixed(120.0)),
            ),
            widgets::field(
                tr("付款人付款码（扫码）", "Payer's payment code (scan)"),
                // A bearer token: never shown in full.
                text_input(tr("扫描后自动充值", "Charges when scanned"), &self.code)
                    .id(CODE_FIELD)
                    .secure(true)
                    .on_input(Message::Code)
                    .on_submit(Message::Recharge)
                    .font(style::MONO)
                    .size(18)
                    .padding(7),
            ),
        ]
        .spacing(8)
        .align_y(Alignment::End);
        let preview: Element<'_, Message> = match self.bonus_preview() {
            Some((amount, bonus)) => {
                let credit = amount.checked_add(bonus).unwrap_or(amount);
                let after = a.balance.checked_add(credit).unwrap_or(a.balance);
                text(trs(
                    format!("赠送 ¥{bonus} · 到账 ¥{credit} · 充值后余额 ¥{after}"),
                    format!("Bonus ¥{bonus} · credit ¥{credit} · balance after ¥{after}"),
                ))
                .size(15)
                .color(if bonus.is_positive() {
                    style::PAID
                } else {
                    style::TEXT
                })
                .into()
            }
            None => style::hint(tr(
                "输入金额后显示赠送与到账金额，再扫付款码",
                "Type the amount to see the bonus and credit, then scan the code",
            ))
            .into(),
        };
        let mut col = column![
            row![
                text(tr("充值", "Recharge")).size(18).font(style::bold()),
                Space::new().width(Length::Fill),
                style::hint(rules_text(self)),
            ]
            .align_y(Alignment::Center),
            form,
            preview,
            button(text(if out {
                tr("正在充值…", "Recharging…")
            } else {
                tr("充值 (Enter)", "Recharge (Enter)")
            }))
            .padding([8, 14])
            .on_press_maybe((!out).then_some(Message::Recharge)),
        ]
        .spacing(8);
        match &self.recharging {
            Some(Recharging::Submitting(started)) => {
                col = col.push(widgets::pay_progress(
                    None,
                    None,
                    ctx.now,
                    ctx.pay_timeout,
                    *started,
                ));
            }
            Some(Recharging::Following(o, u)) => {
                col = col.push(widgets::pay_progress(
                    Some(o),
                    Some(*u),
                    ctx.now,
                    ctx.pay_timeout,
                    o.created_at,
                ));
            }
            None => {}
        }
        col.into()
    }

    fn adjust_view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let title = text(tr("调整余额（管理员）", "Adjust balance (admins)"))
            .size(16)
            .font(style::bold());
        if !ctx.may(Permission::AdjustBalance) {
            return column![title, style::hint(adjust_refused())]
                .spacing(4)
                .into();
        }
        column![
            title,
            row![
                text_input(tr("±金额", "±amount"), &self.adjust)
                    .id(ADJUST_FIELD)
                    .on_input(Message::Adjust)
                    .on_submit(Message::AdjustDone)
                    .font(style::MONO)
                    .align_x(Alignment::End)
                    .width(Length::Fixed(100.0)),
                text_input(tr("原因（必填）", "Reason (required)"), &self.reason)
                    .id(REASON_FIELD)
                    .on_input(Message::Reason)
                    .on_submit(Message::AdjustSubmit),
                button(text(if self.adjusting {
                    tr("调整中…", "Adjusting…")
                } else {
                    tr("调整", "Adjust")
                }))
                .style(button::danger)
                .on_press_maybe((!self.adjusting).then_some(Message::AdjustSubmit)),
            ]
            .spacing(6)
            .align_y(Alignment::Center),
        ]
        .spacing(6)
        .into()
    }

    fn ledger_view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let header = container(
            row![
                style::cell(text(tr("时间", "Time")).size(13), 4),
                style::cell(text(tr("类型", "Kind")).size(13), 2),
                style::cell(text(tr("金额", "Amount")).size(13), 3),
                style::cell(text(tr("余额", "Balance")).size(13), 3),
            ]
            .spacing(6)
            .padding([4, 6]),
        )
        .style(style::header_row);
        let mut rows = column![].spacing(0);
        for (i, l) in self.ledger.iter().rev().enumerate() {
            let color = if l.entry.amount.is_negative() {
                style::FAILED
            } else {
                style::PAID
            };
            let mut kind = text(entry_kind_text(l.entry.kind)).size(14);
            if l.entry.reason.is_some() {
                kind = kind.color(style::BRAND);
            }
            rows = rows.push(
                container(
                    row![
                        style::cell(style::mono(ctx.short_time(l.entry.at), 13.0), 4),
                        style::cell(kind, 2),
                        style::cell(signed(l.entry.amount).color(color), 3),
                        style::cell(style::money(l.balance_after, 14.0), 3),
                    ]
                    .spacing(6)
                    .padding([4, 6]),
                )
                .height(Length::Fixed(style::ROW_HEIGHT))
                .style(style::row_style(i, false)),
            );
        }
        if self.ledger.is_empty() {
            rows = rows.push(
                container(style::hint(if self.account.is_some() {
                    tr("这张卡还没有记录", "No entries on this card yet")
                } else {
                    tr("找到会员后显示卡的流水", "The card's entries show here")
                }))
                .padding(12),
            );
        }
        let reasons: Vec<String> = self
            .ledger
            .iter()
            .rev()
            .filter_map(|l| {
                l.entry
                    .reason
                    .as_ref()
                    .map(|r| format!("{} {}", ctx.short_time(l.entry.at), r))
            })
            .take(3)
            .collect();
        let mut col = column![
            row![
                text(tr("卡流水", "Ledger")).size(18).font(style::bold()),
                Space::new().width(Length::Fill),
                style::hint(trs(
                    format!("最新在上 · 共 {} 笔", self.ledger.len()),
                    format!("Newest first · {} entries", self.ledger.len()),
                )),
            ]
            .align_y(Alignment::Center),
            header,
            widgets::scroll(rows).height(Length::Fill),
        ]
        .spacing(6);
        for r in reasons {
            col = col.push(style::hint(trs(
                format!("调整原因：{r}"),
                format!("Adjustment: {r}"),
            )));
        }
        container(col)
            .padding(8)
            .height(Length::Fill)
            .style(style::card)
            .into()
    }
}

/// A ledger amount with its sign before the currency: +¥10.00, -¥12.50.
fn signed<'a>(amount: Money) -> iced::widget::Text<'a> {
    let sign = if amount.is_negative() { "-" } else { "+" };
    let abs = Money::from_fen(amount.fen().abs());
    style::mono(format!("{sign}¥{abs}"), 14.0)
        .align_x(iced::alignment::Horizontal::Right)
        .width(Length::Fill)
}

fn account_view(a: &MemberAccount) -> Element<'_, Message> {
    let line = |label: &str, value: Element<'static, Message>| {
        row![
            text(label.to_owned())
                .size(14)
                .color(style::MUTED)
                .width(Length::Fixed(48.0)),
            value
        ]
        .spacing(6)
        .align_y(Alignment::Center)
    };
    let phone = if a.card.phone.is_empty() {
        "—".to_owned()
    } else {
        a.card.phone.clone()
    };
    column![
        row![
            text(a.card.name.clone()).size(22).font(style::bold()),
            Space::new().width(Length::Fill),
            text(member_status_text(a.card.status))
                .size(15)
                .font(style::bold())
                .color(status_color(a.card.status)),
        ]
        .align_y(Alignment::Center),
        line(
            tr("卡号", "Card"),
            style::code(a.card.card_no.as_str(), 15.0).into()
        ),
        line(tr("手机", "Phone"), style::mono(phone, 15.0).into()),
        row![
            text(tr("余额", "Balance")).size(18),
            style::money(a.balance, 34.0).color(if a.balance > Money::ZERO {
                style::BRAND
            } else {
                style::MUTED
            }),
        ]
        .spacing(8)
        .align_y(Alignment::Center),
    ]
    .spacing(4)
    .into()
}

/// The bonus rules in words: 充 ¥100.00 送 ¥10.00, or that there are none.
fn rules_text(m: &Members) -> String {
    if m.rules.rules.is_empty() {
        return tr("未设置充值赠送", "No recharge bonus").to_owned();
    }
    let parts: Vec<String> = m
        .rules
        .rules
        .iter()
        .map(|r| {
            trs(
                format!("充 {} 送 {}", r.threshold, r.bonus),
                format!("{} → +{}", r.threshold, r.bonus),
            )
        })
        .collect();
    parts.join(" · ")
}

fn add_view<'a>(ctx: &Ctx, a: &'a AddForm) -> Element<'a, Message> {
    let mut body = column![
        widgets::field(
            tr("卡号（扫会员卡）", "Card number (scan the card)"),
            text_input("", &a.card)
                .id(CARD_FIELD)
                .on_input(Message::AddCard)
                .on_submit(Message::AddCardDone)
                .font(style::MONO)
                .size(18),
        ),
        widgets::field(
            tr("姓名", "Name"),
            text_input("", &a.name)
                .id(NAME_FIELD)
                .on_input(Message::AddName)
                .on_submit(Message::AddNameDone)
                .size(18),
        ),
        widgets::field(
            tr("手机", "Phone"),
            text_input("", &a.phone)
                .id(PHONE_FIELD)
                .on_input(Message::AddPhone)
                .on_submit(Message::AddSubmit)
                .font(style::MONO)
                .size(18),
        ),
    ]
    .spacing(12);
    if let Some(e) = &a.error {
        body = body.push(widgets::notice(e, style::FAILED));
    }
    body = body.push(
        row![
            button(text(if a.busy {
                tr("正在保存…", "Saving…")
            } else {
                tr("保存 (Enter)", "Save (Enter)")
            }))
            .style(button::success)
            .on_press_maybe((!a.busy).then_some(Message::AddSubmit)),
            button(text(tr("取消 (Esc)", "Cancel (Esc)")))
                .style(button::secondary)
                .on_press(Message::Escape),
        ]
        .spacing(10),
    );
    widgets::dialog(ctx, tr("新增会员", "New member"), body, 440.0)
}

fn transfer_view<'a>(ctx: &Ctx, d: &'a Transfer) -> Element<'a, Message> {
    let m = Message::Transfer;
    let mut body = column![].spacing(12);
    if d.import {
        body = body.push(style::hint(tr(
            "Excel 表头：卡号 姓名 手机 状态；卡号相同则更新姓名、手机和状态，余额不导入",
            "Excel header: card number, name, phone, status; a known card is updated, balances are never imported",
        )));
    }
    body = body.push(widgets::field(
        if d.import {
            tr("Excel 文件路径", "Workbook path")
        } else {
            tr("保存到（Excel）", "Save to (Excel)")
        },
        text_input("", &d.path)
            .id(PATH_FIELD)
            .on_input(move |p| m(transfer::Message::Path(p)))
            .on_submit(m(transfer::Message::Start)),
    ));
    if let Some(r) = &d.report {
        body = body.push(
            text(trs(
                format!(
                    "读取 {} 行，导入 {} 位，{} 行有错误",
                    r.rows,
                    r.imported,
                    r.errors.len()
                ),
                format!(
                    "{} rows read, {} imported, {} rows with errors",
                    r.rows,
                    r.imported,
                    r.errors.len()
                ),
            ))
            .color(if r.errors.is_empty() {
                style::PAID
            } else {
                style::PENDING
            }),
        );
        if !r.errors.is_empty() {
            let mut list = column![].spacing(2);
            for e in &r.errors {
                list = list.push(
                    row![
                        style::mono(format!("{} {}", tr("第", "row"), e.row), 14.0)
                            .width(Length::Fixed(80.0)),
                        text(crate::i18n::row_problem_text(&e.problem))
                            .size(14)
                            .color(style::FAILED),
                    ]
                    .spacing(8),
                );
            }
            body = body.push(widgets::scroll(list).height(Length::Fixed(160.0)));
        }
    }
    match &d.result {
        Some(Ok(t)) => body = body.push(widgets::notice(t, style::PAID)),
        Some(Err(t)) => body = body.push(widgets::notice(t, style::FAILED)),
        None => {}
    }
    let start = match (d.import, d.busy) {
        (true, true) => tr("正在导入…", "Importing…"),
        (true, false) => tr("开始导入", "Import"),
        (false, true) => tr("正在导出…", "Exporting…"),
        (false, false) => tr("导出", "Export"),
    };
    body = body.push(
        row![
            button(text(start)).on_press_maybe((!d.busy).then_some(m(transfer::Message::Start))),
            button(text(tr("关闭 (Esc)", "Close (Esc)")))
                .style(button::secondary)
                .on_press_maybe((!d.busy).then_some(m(transfer::Message::Close))),
        ]
        .spacing(10),
    );
    widgets::dialog(ctx, d.title(), body, 560.0)
}
