//! Screen language: 简体中文 by default, English when chosen in the basic settings.
//!
//! The language tables are the `tr("中文", "English")` / `trs(…, …)` pairs written where each
//! label is used, so a screen reads in both languages at once; `tests/language.rs` walks
//! them all and fails on a pair without Chinese, and on text shown without a pair.
//!
//! What lower layers report reaches the cashier only through this module: errors carry kinds
//! (variants with structured fields), and the functions below word each kind in the screen
//! language. Their own English messages (`Display`, meant for the command line and the log)
//! are never shown in the Chinese UI; free-text details are logged instead.

mod devices;
mod errors;
mod members;

pub use devices::{
    box_state_text, chord_error_text, device_problem_text, hotkey_action_text, hotkey_error_text,
    key_settings_error_text, printer_settings_error_text,
};
pub use errors::{
    cart_error_text, clerk_id_error_text, code_error_text, commodity_error_text,
    deposit_error_text, error_text, gateway_error_text, login_error_text, money_error_text,
    printing_error_text, refund_error_text, row_problem_text, store_error_text,
};
pub use members::{entry_kind_text, member_error_text, member_status_text};

use std::sync::atomic::{AtomicU8, Ordering};

use cloudpos_domain::clerk::Role;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::order::{Order, OrderState, OrderStatus, PaymentMethod};
use cloudpos_domain::refund::RefundState;
use cloudpos_terminal::{Halt, Language};

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

/// Whether `text` has a Chinese character.
#[must_use]
pub fn has_chinese(text: &str) -> bool {
    text.chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c))
}

/// A text from outside (Cloud Pay's description, a configured scheme name) as the Chinese
/// screen may show it: its Chinese part (`余额不足 (NOTENOUGH)` → `余额不足`,
/// `UnionPay QR (云闪付)` → `云闪付`), or `None` when it has none. In English, the text.
#[must_use]
pub fn outside_text(text: &str) -> Option<String> {
    let text = text.trim();
    if language() == Language::En {
        return (!text.is_empty()).then(|| text.to_owned());
    }
    if !has_chinese(text) {
        return None;
    }
    let mut plain = String::new();
    let mut inner = String::new();
    let mut bracketed = Vec::new();
    let mut open = false;
    for c in text.chars() {
        match c {
            '(' | '（' if !open => {
                open = true;
                inner.clear();
            }
            ')' | '）' if open => {
                open = false;
                bracketed.push(std::mem::take(&mut inner));
            }
            _ if open => inner.push(c),
            _ => plain.push(c),
        }
    }
    plain.push_str(&inner);
    let plain = plain
        .trim()
        .trim_end_matches([',', '，', ':', '：', ';', '；'])
        .trim()
        .to_owned();
    if has_chinese(&plain) {
        return Some(plain);
    }
    bracketed
        .into_iter()
        .map(|b| b.trim().to_owned())
        .find(|b| has_chinese(b))
}

/// A record named in a lower layer's message (`order sz01…`, `clerk 05`), in words.
fn thing(what: &str) -> String {
    let what = what.trim();
    for (en, zh, en_word) in [
        ("one-code payment ", "一码支付收款", "one-code payment"),
        ("order ", "订单", "order"),
        ("refund ", "退款单", "refund"),
        ("clerk ", "店员", "clerk"),
        ("shift ", "班次", "shift"),
        ("commodity ", "商品", "commodity"),
    ] {
        if let Some(id) = what.strip_prefix(en) {
            return trs(format!("{zh} {id}"), format!("{en_word} {id}"));
        }
    }
    // Not a known record: only an identifier (no words) may be shown as it is.
    if what.chars().all(|c| !c.is_whitespace()) && what.chars().any(|c| c.is_ascii_digit()) {
        trs(format!("记录 {what}"), format!("record {what}"))
    } else {
        trs("该记录".to_owned(), what.to_owned())
    }
}

/// Logs a lower layer's English detail the screen does not show.
fn logged(context: &str, detail: &str) {
    tracing::warn!(context, detail, "not shown to the cashier");
}

/// The words for a payment state.
#[must_use]
pub fn state_text(state: OrderState) -> &'static str {
    match state {
        OrderState::Created => tr("待提交", "Not sent"),
        OrderState::Submitted => tr("正在确认支付结果…", "Confirming the payment…"),
        OrderState::UserPaying => tr("顾客正在输入密码…", "Customer is entering the password…"),
        OrderState::Unknown => tr("结果未知，正在查询…", "Result unknown, checking…"),
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
        PaymentMethod::Wallet(w) => wallet_text(w),
        PaymentMethod::Cash => tr("现金", "Cash"),
    }
}

/// The name of a wallet.
#[must_use]
pub fn wallet_text(wallet: Wallet) -> &'static str {
    match wallet {
        Wallet::WeChat => tr("微信支付", "WeChat Pay"),
        Wallet::Alipay => tr("支付宝", "Alipay"),
        Wallet::MemberCard => tr("会员卡", "Member card"),
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

/// Why an order failed or is still open, as the screen may show it: Cloud Pay's own words
/// (Chinese) or the kind of trouble; never the terminal's English notes.
#[must_use]
pub fn order_reason(order: &Order) -> Option<String> {
    let reason = order.reason.as_deref()?.trim();
    if reason.is_empty() {
        return None;
    }
    if reason.starts_with("cloud unreachable") {
        return Some(
            tr(
                "无法连接云支付，未扣款",
                "Cloud Pay could not be reached; nothing was charged",
            )
            .to_owned(),
        );
    }
    if reason.contains("407") || reason.contains("anti-reentry") {
        return Some(
            tr(
                "云支付拒绝重复提交（防重入），未扣款",
                "Cloud Pay refused a repeated submission (anti-reentry)",
            )
            .to_owned(),
        );
    }
    outside_text(reason)
}

/// The halt banner's sentence.
#[must_use]
pub fn halt_text(h: &Halt) -> String {
    logged("halt", &h.reason);
    match h.details.len() {
        0 => tr("已停止收款和退款", "Payments and refunds are halted").to_owned(),
        n => trs(
            format!("已停止收款和退款：对账发现 {n} 处与云支付不一致"),
            format!(
                "Payments and refunds are halted: reconciliation found {n} discrepancies with Cloud Pay"
            ),
        ),
    }
}

/// A receipt that did not print (`what` as the terminal names it: `order …`, `refund …`).
#[must_use]
pub fn print_failed_text(what: &str, reason: &str) -> String {
    logged("print failed", reason);
    trs(
        format!(
            "小票未打印（{}）：请检查打印机；可在订单查询中按 P 补打",
            thing(what)
        ),
        format!(
            "Receipt not printed ({}): check the printer; press P in the order list to print it again",
            thing(what)
        ),
    )
}

/// The status line when a customer paid by the shop's printed QR code (一码支付).
#[must_use]
pub fn one_code_paid_text(
    wallet: Option<cloudpos_domain::code::Wallet>,
    amount: cloudpos_domain::money::Money,
) -> String {
    let (zh, en) = match wallet {
        Some(cloudpos_domain::code::Wallet::WeChat) => ("微信", "WeChat Pay"),
        Some(cloudpos_domain::code::Wallet::Alipay) => ("支付宝", "Alipay"),
        Some(cloudpos_domain::code::Wallet::MemberCard) => ("会员卡", "member card"),
        None => ("", "wallet"),
    };
    trs(
        format!("一码支付收款：{zh} {amount} 元"),
        format!("Paid by the shop's QR code: {en} {amount} yuan"),
    )
}
