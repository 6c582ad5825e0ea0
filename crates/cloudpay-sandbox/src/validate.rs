//! Request checks of protocol notes §10.3, applied strictly: first the field tables
//! ([`crate::schema`]: every required field present, every field of its type and length),
//! then the rules about values, each failure a status 101 without MAC whose description
//! names the field:
//! - the ids belong together: the provider is the sub-merchant's, the shop is the
//!   sub-merchant's, the device is the shop's, the staff member is the sub-merchant's;
//! - `out_trade_no` / `out_refund_no` start with the order prefix, have at most 32 bytes
//!   of `[0-9A-Za-z_-|*@]` (§5);
//! - amounts are positive and the currency `CNY`;
//! - `pay_platform` is 1–3, `sub_pay_platform` agrees with it (100/200/300), and the
//!   payment code's prefix fits it (§7);
//! - `terminal_type` is 1, 2, 3, 4 or 100, `spbill_create_ip` a dotted IPv4 address,
//!   `nonce_str` letters and digits (§1.2, §3.2).
//!
//! [`check`] runs all of it without touching the ledger; it is public so tests can run any
//! request the client builds through exactly what the server applies.

use cloudpay_api::wire::{self, ApprovalKind, endpoint};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::MerchantConfig;
use crate::ledger::{Fail, code_matches_platform};
use crate::schema;

/// A request that passed every check, typed, with the device that asks where it matters.
#[derive(Debug, Clone)]
pub enum Checked {
    /// `micro_pay`.
    MicroPay(wire::MicroPayRequest),
    /// `query_order`.
    QueryOrder(wire::QueryOrderRequest),
    /// `refund`, from this device.
    Refund(wire::RefundRequest, String),
    /// `query_refund_order`.
    QueryRefund(wire::QueryRefundOrderRequest),
    /// `reverse`, from this device.
    Reverse(wire::ReverseRequest, String),
    /// `close_order`.
    Close(wire::CloseOrderRequest),
    /// `client_order_detail` (defaults filled in).
    Detail(wire::ClientOrderDetailRequest),
    /// `x_create_approval`, from this device.
    CreateApproval(wire::CreateApprovalRequest, ApprovalKind, String),
    /// `x_query_approval` / `x_consume_approval`, from this device.
    ApprovalToken(wire::ApprovalTokenRequest, String),
    /// `x_unbind_device`, from this device.
    UnbindDevice(cloudpay_api::device::UnbindDeviceRequest, String),
    /// `x_query_notice_list`, from this device.
    NoticeList(cloudpay_api::device::NoticeListRequest, String),
    /// A deposit call (§11; `deposit_checks.rs`).
    Deposit(crate::deposit_checks::DepositChecked),
}

/// Every check the sandbox applies to the `request_content` of endpoint `name` before it
/// looks at its ledger (the envelope and its MAC are checked before, by
/// [`crate::envelope::authenticate`]).
pub fn check(m: &MerchantConfig, name: &str, content: &str) -> Result<Checked, Fail> {
    let value: Value = serde_json::from_str(content)
        .map_err(|e| Fail::rejected(2, format!("request_content 不是合法的 JSON: {e}")))?;
    schema::check(name, &value)?;
    nonce(&value)?;
    match name {
        endpoint::MICRO_PAY => {
            let req: wire::MicroPayRequest = typed(value)?;
            micro_pay(m, &req)?;
            Ok(Checked::MicroPay(req))
        }
        endpoint::QUERY_ORDER => {
            let req: wire::QueryOrderRequest = typed(value)?;
            mch_key(m, &req.pay_mch_key)?;
            client(m, &req.order_client, &req.pay_mch_key.out_shop_id)?;
            trade_no(m, &req.out_trade_no, "out_trade_no")?;
            if let Some(t) = req.trade_type {
                trade_type(t, "trade_type")?;
            }
            Ok(Checked::QueryOrder(req))
        }
        endpoint::REFUND => {
            let req: wire::RefundRequest = typed(value)?;
            let device = refund(m, &req)?;
            Ok(Checked::Refund(req, device))
        }
        endpoint::QUERY_REFUND_ORDER => {
            let req: wire::QueryRefundOrderRequest = typed(value)?;
            mch_key(m, &req.pay_mch_key)?;
            client(m, &req.order_client, &req.pay_mch_key.out_shop_id)?;
            trade_no(m, &req.out_trade_no, "out_trade_no")?;
            if let Some(no) = &req.out_refund_no {
                trade_no(m, no, "out_refund_no")?;
            }
            Ok(Checked::QueryRefund(req))
        }
        endpoint::REVERSE => {
            let req: wire::ReverseRequest = typed(value)?;
            mch_key(m, &req.pay_mch_key)?;
            let device = client(m, &req.order_client, &req.pay_mch_key.out_shop_id)?;
            trade_no(m, &req.out_trade_no, "out_trade_no")?;
            Ok(Checked::Reverse(req, device))
        }
        endpoint::CLOSE_ORDER => {
            let req: wire::CloseOrderRequest = typed(value)?;
            mch_key(m, &req.pay_mch_key)?;
            client(m, &req.order_client, &req.pay_mch_key.out_shop_id)?;
            trade_no(m, &req.out_trade_no, "out_trade_no")?;
            trade_type(req.trade_type, "trade_type")?;
            Ok(Checked::Close(req))
        }
        endpoint::CLIENT_ORDER_DETAIL => {
            let mut req: wire::ClientOrderDetailRequest = typed(value)?;
            order_detail(m, &mut req)?;
            Ok(Checked::Detail(req))
        }
        endpoint::X_CREATE_APPROVAL => {
            let req: wire::CreateApprovalRequest = typed(value)?;
            mch_key(m, &req.pay_mch_key)?;
            let device = client(m, &req.order_client, &req.pay_mch_key.out_shop_id)?;
            let kind = approval(m, &req)?;
            Ok(Checked::CreateApproval(req, kind, device))
        }
        endpoint::X_QUERY_APPROVAL | endpoint::X_CONSUME_APPROVAL => {
            let req: wire::ApprovalTokenRequest = typed(value)?;
            mch_key(m, &req.pay_mch_key)?;
            let device = client(m, &req.order_client, &req.pay_mch_key.out_shop_id)?;
            Ok(Checked::ApprovalToken(req, device))
        }
        cloudpay_api::device::X_UNBIND_DEVICE => {
            let req: cloudpay_api::device::UnbindDeviceRequest = typed(value)?;
            mch_key(m, &req.pay_mch_key)?;
            let device = client(m, &req.order_client, &req.pay_mch_key.out_shop_id)?;
            Ok(Checked::UnbindDevice(req, device))
        }
        cloudpay_api::device::X_QUERY_NOTICE_LIST => {
            let req: cloudpay_api::device::NoticeListRequest = typed(value)?;
            mch_key(m, &req.pay_mch_key)?;
            let device = client(m, &req.order_client, &req.pay_mch_key.out_shop_id)?;
            Ok(Checked::NoticeList(req, device))
        }
        other if crate::deposit_checks::is_deposit(other) => {
            crate::deposit_checks::check(m, other, value).map(Checked::Deposit)
        }
        other => Err(Fail::rejected(4, format!("接口不存在: {other}"))),
    }
}

pub(crate) fn typed<T: DeserializeOwned>(value: Value) -> Result<T, Fail> {
    // The field tables have checked every type the struct reads; this cannot fail for a
    // request that passed them, but a failure still names what serde found.
    serde_json::from_value(value).map_err(|e| Fail::param(e.to_string()))
}

/// `nonce_str`: letters and digits only (§1.2; the schema checked presence and length).
fn nonce(content: &Value) -> Result<(), Fail> {
    let text = content
        .get("nonce_str")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Fail::field(
            "nonce_str",
            "只能含字母和数字",
            "must be letters and digits only",
        ));
    }
    Ok(())
}

/// `pay_platform` 1–3 and `sub_pay_platform` agreeing with it (100/200/300), under
/// `prefix` (`pay_mch_key.` or empty for the flat listing).
fn platform(
    pay_platform: Option<i32>,
    sub_pay_platform: Option<i32>,
    prefix: &str,
) -> Result<(), Fail> {
    let path = format!("{prefix}pay_platform");
    let sub_path = format!("{prefix}sub_pay_platform");
    if let Some(p) = pay_platform
        && !(1..=3).contains(&p)
    {
        return Err(Fail::field(
            &path,
            &format!("{p} 无效 (1 微信支付, 2 支付宝, 3 会员卡)"),
            &format!("{p} is not 1 (WeChat Pay), 2 (Alipay) or 3 (member card)"),
        ));
    }
    match (pay_platform, sub_pay_platform) {
        (_, None) => Ok(()),
        (None, Some(_)) => Err(Fail::field(
            &sub_path,
            "需与 pay_platform 一同提供",
            "needs pay_platform",
        )),
        (Some(p), Some(s)) if s == p * 100 => Ok(()),
        (Some(p), Some(s)) => Err(Fail::field(
            &sub_path,
            &format!("{s} 与 pay_platform {p} 不一致"),
            &format!(
                "{s} does not agree with pay_platform {p} (expected {})",
                p * 100
            ),
        )),
    }
}

/// `pay_mch_key`: provider, sub-merchant and shop belong together; the wallet fields agree.
/// Whether `pay_platform` is required is the schema's business.
pub fn mch_key(m: &MerchantConfig, k: &wire::PayMchKey) -> Result<(), Fail> {
    if k.out_mch_id != m.out_mch_id {
        return Err(Fail::field(
            "pay_mch_key.out_mch_id",
            &format!("\"{}\" 不是该子商户的服务商", k.out_mch_id),
            "is not the sub-merchant's service provider",
        ));
    }
    if k.out_sub_mch_id != m.out_sub_mch_id {
        return Err(Fail::field(
            "pay_mch_key.out_sub_mch_id",
            "不存在",
            "does not exist",
        ));
    }
    if m.shop(&k.out_shop_id).is_none() {
        return Err(Fail::field(
            "pay_mch_key.out_shop_id",
            &format!("\"{}\" 不是该子商户的门店", k.out_shop_id),
            "is not a shop of the sub-merchant",
        ));
    }
    platform(k.pay_platform, k.sub_pay_platform, "pay_mch_key.")
}

/// Whether `text` is a dotted IPv4 address (String(16), §3.2): four groups of 1–3 digits,
/// each at most 255 (leading zeros allowed, as in the protocol's example `90.0.00.0`).
#[must_use]
pub fn is_dotted_ipv4(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            (1..=3).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|v| v <= 255)
        })
}

/// `order_client`: the terminal type and IP are valid, the staff member is the
/// sub-merchant's, the device (when given) is the shop's. Returns the device id (empty
/// when it is optional and absent).
pub fn client(m: &MerchantConfig, c: &wire::OrderClient, shop: &str) -> Result<String, Fail> {
    if !matches!(c.terminal_type, 1..=4 | 100) {
        return Err(Fail::field(
            "order_client.terminal_type",
            &format!("{} 无效 (1/2/3/4/100)", c.terminal_type),
            "must be 1 Windows, 2 Android, 3 iOS, 4 Linux or 100 other",
        ));
    }
    if !is_dotted_ipv4(&c.spbill_create_ip) {
        return Err(Fail::field(
            "order_client.spbill_create_ip",
            &format!("\"{}\" 不是点分 IPv4 地址", c.spbill_create_ip),
            "must be a dotted IPv4 address",
        ));
    }
    if let Some(staff) = c.staff_id.as_deref().filter(|s| !s.is_empty())
        && m.staff_member(staff).is_none()
    {
        return Err(Fail::field(
            "order_client.staff_id",
            &format!("\"{staff}\" 不是该子商户的店员"),
            "is not staff of the sub-merchant",
        ));
    }
    let device = c.device_id.clone().unwrap_or_default();
    if !device.is_empty() && !m.shop(shop).is_some_and(|s| s.devices.contains(&device)) {
        return Err(Fail::field(
            "order_client.device_id",
            &format!("\"{device}\" 不是门店 {shop} 的设备"),
            "is not a device of the shop",
        ));
    }
    Ok(device)
}

/// An `out_trade_no` / `out_refund_no` (§5): the order prefix, `[0-9A-Za-z_-|*@]` (the
/// schema checked presence and the 32-byte limit).
pub fn trade_no(m: &MerchantConfig, no: &str, path: &str) -> Result<(), Fail> {
    if no.trim().is_empty() {
        return Err(Fail::field(path, "必填", "is required"));
    }
    if no.len() > 32 {
        return Err(Fail::field(path, "超过 32 字节", "is longer than 32 bytes"));
    }
    if !no
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-|*@".contains(c))
    {
        return Err(Fail::field(
            path,
            "含有非法字符 (只允许字母、数字和 _-|*@)",
            "may contain only letters, digits and _-|*@",
        ));
    }
    if !no.starts_with(&m.order_prefix) {
        return Err(Fail::field(
            path,
            &format!("必须以云支付订单前缀 \"{}\" 开头", m.order_prefix),
            &format!("must start with the order prefix \"{}\"", m.order_prefix),
        ));
    }
    Ok(())
}

/// A `TradeType` (§3.5): 1–9.
fn trade_type(value: i32, path: &str) -> Result<(), Fail> {
    if (1..=9).contains(&value) {
        return Ok(());
    }
    Err(Fail::field(
        path,
        &format!("{value} 无效 (1–9)"),
        "must be a TradeType, 1–9",
    ))
}

pub(crate) fn positive(value: i64, path: &str) -> Result<(), Fail> {
    if value > 0 {
        return Ok(());
    }
    Err(Fail::field(path, "必须大于 0", "must be greater than 0"))
}

pub(crate) fn cny(value: &str, path: &str) -> Result<(), Fail> {
    if value == wire::CNY {
        return Ok(());
    }
    Err(Fail::field(path, "只支持 CNY", "must be CNY"))
}

/// Everything `micro_pay` needs (§6.1, §3.3, §7).
pub fn micro_pay(m: &MerchantConfig, req: &wire::MicroPayRequest) -> Result<(), Fail> {
    mch_key(m, &req.pay_mch_key)?;
    client(m, &req.order_client, &req.pay_mch_key.out_shop_id)?;
    let pc = &req.pay_content;
    trade_no(m, &pc.out_trade_no, "pay_content.out_trade_no")?;
    positive(pc.total_fee, "pay_content.total_fee")?;
    cny(&pc.fee_type, "pay_content.fee_type")?;
    let code = pc.author_code.as_deref().unwrap_or_default();
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Fail::field(
            "pay_content.author_code",
            "只能含数字",
            "must be digits only",
        ));
    }
    let platform = req.pay_mch_key.pay_platform.unwrap_or(0);
    if !code_matches_platform(code, platform) {
        return Err(Fail::rejected(
            10,
            format!(
                "参数错误: pay_content.author_code 的前缀与 pay_mch_key.pay_platform {platform} \
                 不匹配 (AUTH_CODE_INVALID) (pay_content.author_code does not fit \
                 pay_mch_key.pay_platform {platform}: WeChat 10–15, Alipay 25–30, card 99)"
            ),
        ));
    }
    if let Some(detail) = &pc.detail
        && serde_json::from_str::<Value>(detail).is_err()
    {
        return Err(Fail::field(
            "pay_content.detail",
            "必须是序列化为字符串的 JSON",
            "must be a JSON document serialised to a string",
        ));
    }
    if pc.wxpay_pay_content_ext.is_some() && platform != wire::pay_platform::WECHAT {
        return Err(Fail::field(
            "pay_content.wxpay_pay_content_ext",
            "只用于微信支付",
            "is for WeChat Pay only",
        ));
    }
    if pc.alipay_pay_content_ext.is_some() && platform != wire::pay_platform::ALIPAY {
        return Err(Fail::field(
            "pay_content.alipay_pay_content_ext",
            "只用于支付宝",
            "is for Alipay only",
        ));
    }
    Ok(())
}

/// Everything `refund` needs (§6.4); returns the asking device.
pub fn refund(m: &MerchantConfig, req: &wire::RefundRequest) -> Result<String, Fail> {
    let k = &req.pay_mch_key;
    mch_key(m, k)?;
    let device = client(m, &req.order_client, &k.out_shop_id)?;
    let rc = &req.refund_content;
    trade_no(m, &rc.out_trade_no, "refund_content.out_trade_no")?;
    trade_no(m, &rc.out_refund_no, "refund_content.out_refund_no")?;
    positive(rc.total_fee, "refund_content.total_fee")?;
    positive(rc.refund_fee, "refund_content.refund_fee")?;
    cny(&rc.refund_fee_type, "refund_content.refund_fee_type")?;
    if let Some(freeze) = &rc.out_freeze_no {
        // A deposit's consume order (§11.7); the ledger checks it is that deposit's.
        trade_no(m, freeze, "refund_content.out_freeze_no")?;
    }
    match req.api_version {
        None | Some(1) => {}
        Some(2) => match k.is_sub_admin {
            None => {
                return Err(Fail::field(
                    "pay_mch_key.is_sub_admin",
                    "api_version 为 2 时必填",
                    "is required with api_version 2",
                ));
            }
            Some(true) => {}
            Some(false) => {
                let staff = k.authorization_staff_id.as_deref().unwrap_or_default();
                if staff.is_empty() {
                    return Err(Fail::field(
                        "pay_mch_key.authorization_staff_id",
                        "is_sub_admin 为 false 时必填",
                        "is required when is_sub_admin is false",
                    ));
                }
                if m.staff_member(staff).is_none() {
                    return Err(Fail::field(
                        "pay_mch_key.authorization_staff_id",
                        &format!("\"{staff}\" 不是该子商户的店员"),
                        "is not staff of the sub-merchant",
                    ));
                }
            }
        },
        Some(other) => {
            return Err(Fail::field(
                "api_version",
                &format!("{other} 无效 (1/2)"),
                "must be 1 or 2",
            ));
        }
    }
    Ok(device)
}

/// `client_order_detail` (§6.8): scope ids, window and paging; fills in the default
/// order type (3, both).
pub fn order_detail(
    m: &MerchantConfig,
    req: &mut wire::ClientOrderDetailRequest,
) -> Result<(), Fail> {
    platform(req.pay_platform, None, "")?;
    let shop = req.out_shop_id.as_deref().filter(|s| !s.is_empty());
    let device = req.device_id.as_deref().filter(|d| !d.is_empty());
    let staff = req.staff_id.as_deref().filter(|s| !s.is_empty());
    match shop {
        Some(shop) => {
            let Some(s) = m.shop(shop) else {
                return Err(Fail::field(
                    "out_shop_id",
                    &format!("\"{shop}\" 不是该子商户的门店"),
                    "is not a shop of the sub-merchant",
                ));
            };
            if let Some(device) = device
                && !s.devices.iter().any(|d| d == device)
            {
                return Err(Fail::field(
                    "device_id",
                    &format!("\"{device}\" 不是门店 {shop} 的设备"),
                    "is not a device of the shop",
                ));
            }
        }
        None if device.is_some() || staff.is_some() => {
            return Err(Fail::field(
                "out_shop_id",
                "指定 device_id 或 staff_id 时必填",
                "is required with device_id or staff_id",
            ));
        }
        None => {}
    }
    if let Some(staff) = staff
        && m.staff_member(staff).is_none()
    {
        return Err(Fail::field(
            "staff_id",
            &format!("\"{staff}\" 不是该子商户的店员"),
            "is not staff of the sub-merchant",
        ));
    }
    if req.query_order_type == 0 {
        req.query_order_type = wire::query_order_type::BOTH;
    }
    if !(1..=3).contains(&req.query_order_type) {
        return Err(Fail::field(
            "query_order_type",
            "只能为 1/2/3",
            "must be 1 (orders), 2 (refunds) or 3 (both)",
        ));
    }
    if req.start_time < 0 {
        return Err(Fail::field(
            "start_time",
            "不能为负",
            "must not be negative",
        ));
    }
    positive(req.end_time, "end_time")?;
    if req.start_time > req.end_time {
        return Err(Fail::field(
            "start_time",
            "晚于 end_time",
            "is after end_time",
        ));
    }
    if req.page_num == 0 {
        return Err(Fail::field("page_num", "从 1 开始", "starts at 1"));
    }
    if !(1..=100).contains(&req.page_size) {
        return Err(Fail::field(
            "page_size",
            "必须在 1–100 之间",
            "must be 1–100",
        ));
    }
    Ok(())
}

/// `x_create_approval`: kind, and for refunds the order and a positive amount.
pub fn approval(
    m: &MerchantConfig,
    req: &wire::CreateApprovalRequest,
) -> Result<ApprovalKind, Fail> {
    match req.kind.as_str() {
        "login" => Ok(ApprovalKind::Login),
        "refund" => {
            let no = req.out_trade_no.as_deref().unwrap_or_default();
            trade_no(m, no, "out_trade_no")?;
            let Some(amount) = req.amount else {
                return Err(Fail::field(
                    "amount",
                    "退款审批时必填",
                    "is required for a refund",
                ));
            };
            positive(amount, "amount")?;
            Ok(ApprovalKind::Refund)
        }
        other => Err(Fail::field(
            "kind",
            &format!("\"{other}\" 无效 (login/refund)"),
            "must be login or refund",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_ipv4() {
        for ok in ["127.0.0.1", "90.0.00.0", "255.255.255.255", "0.0.0.0"] {
            assert!(is_dotted_ipv4(ok), "{ok}");
        }
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "::1",
            "a.b.c.d",
            "1..2.3",
            "1.2.3.0001",
        ] {
            assert!(!is_dotted_ipv4(bad), "{bad}");
        }
    }

    #[test]
    fn platforms_must_agree() {
        assert!(platform(Some(1), Some(100), "pay_mch_key.").is_ok());
        assert!(platform(Some(2), None, "pay_mch_key.").is_ok());
        assert!(platform(None, None, "").is_ok());
        let named = |r: Result<(), Fail>| r.unwrap_err().description;
        assert!(
            named(platform(Some(1), Some(200), "pay_mch_key."))
                .contains("pay_mch_key.sub_pay_platform")
        );
        assert!(
            named(platform(Some(4), None, "pay_mch_key.")).contains("pay_mch_key.pay_platform")
        );
        assert!(named(platform(None, Some(100), "pay_mch_key.")).contains("needs pay_platform"));
    }
}
