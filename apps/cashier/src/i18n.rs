//! Screen language: 简体中文 by default, English when chosen in the basic settings.
//!
//! Every label is written in place as `tr("中文", "English")`, so a screen reads in both
//! languages at once and nothing can be missing from a catalogue. The language is one
//! process-wide switch (the app has one cashier at a time).

use std::sync::atomic::{AtomicU8, Ordering};

use cloudpos_domain::clerk::Role;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::order::{OrderState, OrderStatus, PaymentMethod};
use cloudpos_domain::refund::RefundState;
use cloudpos_terminal::{Language, TerminalError};

static LANGUAGE: AtomicU8 = AtomicU8::new(0);

/// Switches the screen language.
pub fn set_language(language: Language) {
    LANGUAGE.store(
        match language {
            Language::Zh => 0,
            Language::En => 1,
        },
        Ordering::Relaxed,
    );
}

/// The screen language.
#[must_use]
pub fn language() -> Language {
    if LANGUAGE.load(Ordering::Relaxed) == 1 {
        Language::En
    } else {
        Language::Zh
    }
}

/// The text in the screen language.
#[must_use]
pub fn tr(zh: &'static str, en: &'static str) -> &'static str {
    match language() {
        Language::Zh => zh,
        Language::En => en,
    }
}

/// An owned text in the screen language (for `format!` results).
#[must_use]
pub fn trs(zh: String, en: String) -> String {
    match language() {
        Language::Zh => zh,
        Language::En => en,
    }
}

/// The words for a payment state.
#[must_use]
pub fn state_text(state: OrderState) -> &'static str {
    match state {
        OrderState::Created => tr("待提交", "Not sent"),
        OrderState::Submitted => tr("正在确认支付结果…", "Confirming the payment…"),
        OrderState::UserPaying => tr("顾客正在输入密码…", "Customer is entering the password…"),
        OrderState::Unknown => tr("正在确认支付结果…", "Confirming the payment…"),
        OrderState::Reversing => tr("正在撤单…", "Reversing…"),
        OrderState::Paid => tr("支付成功", "Paid"),
        OrderState::Failed => tr("支付失败", "Failed"),
        OrderState::Reversed => tr("已撤单", "Reversed"),
    }
}

/// The words for an order's folded status.
#[must_use]
pub fn status_text(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Paid => tr("支付成功", "Paid"),
        OrderStatus::Failed => tr("支付失败", "Failed"),
        OrderStatus::Reversed => tr("已撤单", "Reversed"),
        OrderStatus::PartiallyRefunded => tr("部分退款", "Part refunded"),
        OrderStatus::Refunded => tr("已全额退款", "Refunded"),
        OrderStatus::Unknown => tr("处理中", "In progress"),
    }
}

/// The words for a refund state.
#[must_use]
pub fn refund_state_text(state: RefundState) -> &'static str {
    match state {
        RefundState::Succeeded => tr("退款成功", "Refunded"),
        RefundState::Failed => tr("退款失败", "Refund failed"),
        RefundState::Processing => tr("退款处理中", "Processing"),
        RefundState::Requested => tr("退款已提交", "Requested"),
    }
}

/// The name of a payment method.
#[must_use]
pub fn method_text(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Wallet(Wallet::WeChat) => tr("微信支付", "WeChat Pay"),
        PaymentMethod::Wallet(Wallet::Alipay) => tr("支付宝", "Alipay"),
        PaymentMethod::Wallet(Wallet::MemberCard) => tr("会员卡", "Member card"),
        PaymentMethod::Cash => tr("现金", "Cash"),
    }
}

/// The name of a role.
#[must_use]
pub fn role_text(role: Role) -> &'static str {
    match role {
        Role::ServiceProviderAdmin => tr("服务商管理员", "Provider admin"),
        Role::MerchantAdmin => tr("商户管理员", "Merchant admin"),
        Role::StoreManager => tr("店长", "Store manager"),
        Role::Clerk => tr("店员", "Clerk"),
    }
}

/// A terminal error in words for the cashier: the common cases in the screen language, the
/// terminal's own one-line message otherwise (it names the problem and the fix).
#[must_use]
pub fn error_text(e: &TerminalError) -> String {
    let zh = match e {
        TerminalError::NotLoggedIn => Some("请先登录".to_owned()),
        TerminalError::NotConfigured => Some("尚未配置商户".to_owned()),
        TerminalError::Halted(reason) => {
            Some(format!("已停止收款和退款：{reason}（需管理员解除）"))
        }
        TerminalError::BadAmount(m) => Some(format!("金额有误：{m}")),
        TerminalError::AmountNotPositive => Some("金额必须大于 0".to_owned()),
        TerminalError::Code(c) => Some(format!("付款码无效：{c}")),
        TerminalError::DuplicateScan(ms) => {
            Some(format!("该付款码 {ms} 毫秒前刚提交过，请等待上一笔结果"))
        }
        TerminalError::NeedsAuthorization(id) => {
            Some(format!("店员 {id} 没有退款权限：需店长授权"))
        }
        TerminalError::PermissionDenied(m) => Some(format!("无权限：{m}")),
        TerminalError::AuthorizationRefused(m) => Some(format!("授权未通过：{m}")),
        TerminalError::CloudUnreachable(m) => Some(format!("无法连接云支付，未扣款：{m}")),
        TerminalError::NotFound(m) => Some(format!("未找到：{m}")),
        _ => None,
    };
    match (language(), zh) {
        (Language::Zh, Some(text)) => text,
        _ => e.to_string(),
    }
}
