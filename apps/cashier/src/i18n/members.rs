//! Member cards (会员卡) in words: a card's status, a ledger entry's kind, and the member
//! rules' refusals (an insufficient balance names the balance).

use cloudpos_domain::member::{EntryKind, MemberError, MemberStatus};

use super::{tr, trs};

/// A card's status: 正常 / 已冻结.
#[must_use]
pub fn member_status_text(status: MemberStatus) -> &'static str {
    match status {
        MemberStatus::Active => tr("正常", "Active"),
        MemberStatus::Frozen => tr("已冻结", "Frozen"),
    }
}

/// What moved money on a card: 充值, 赠送, 消费, 退款, 调整.
#[must_use]
pub fn entry_kind_text(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Recharge => tr("充值", "Recharge"),
        EntryKind::Bonus => tr("赠送", "Bonus"),
        EntryKind::Payment => tr("消费", "Payment"),
        EntryKind::Refund => tr("退款", "Refund"),
        EntryKind::Adjustment => tr("调整", "Adjustment"),
    }
}

/// A member rule's refusal in words.
#[must_use]
pub fn member_error_text(e: &MemberError) -> String {
    match e {
        MemberError::BadCardNo(t) => trs(
            format!("卡号“{t}”有误：请用 4–32 位字母或数字"),
            format!("Bad card number \"{t}\": use 4–32 letters or digits"),
        ),
        MemberError::BadName(t) => trs(
            format!("姓名“{t}”有误：1–32 个字"),
            format!("Bad name \"{t}\": 1–32 characters"),
        ),
        MemberError::BadPhone(t) => trs(
            format!("手机号“{t}”有误：5–20 位数字，可带 +"),
            format!("Bad phone number \"{t}\": 5–20 digits, optionally after '+'"),
        ),
        MemberError::BadStatus(t) => trs(
            format!("状态“{t}”有误：正常 或 冻结"),
            format!("Bad status \"{t}\": active or frozen"),
        ),
        MemberError::NotActive(s) => trs(
            format!("会员卡{}，不能使用", member_status_text(*s)),
            format!("The card is {s}: it cannot be used"),
        ),
        MemberError::InsufficientBalance { balance, amount } => trs(
            format!("余额不足：卡内余额 ¥{balance}，需付 ¥{amount}"),
            format!("Insufficient balance: the card holds ¥{balance}, ¥{amount} is due"),
        ),
        MemberError::ReasonRequired => {
            tr("调整余额须填写原因", "An adjustment needs a reason").to_owned()
        }
        MemberError::BadEntry(d) => trs(format!("会员卡记录有误：{d}"), format!("Bad entry: {d}")),
        MemberError::BadBonus(d) => trs(
            format!("充值赠送规则有误：{d}"),
            format!("Bad bonus rule: {d}"),
        ),
    }
}
