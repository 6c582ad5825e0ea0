//! Request checks of protocol notes §10.3: ids belong together, numbers carry the order
//! prefix, amounts and currency are sane, the payment code fits the wallet.
//! Malformed calls are answered with status 101 (fix the call); a code that does not fit
//! its wallet with 104 (WeChat's AUTH_CODE_INVALID).

use cloudpay_api::wire::{self, ApprovalKind};

use crate::config::MerchantConfig;
use crate::ledger::{Fail, code_matches_platform};

/// `pay_mch_key`: provider, sub-merchant and shop belong together; `pay_platform` is
/// 1–3 (required when `need_platform`).
pub fn mch_key(m: &MerchantConfig, k: &wire::PayMchKey, need_platform: bool) -> Result<(), Fail> {
    if k.out_mch_id != m.out_mch_id {
        return Err(Fail::param(format!(
            "out_mch_id \"{}\" 不是该子商户的服务商",
            k.out_mch_id
        )));
    }
    if k.out_sub_mch_id != m.out_sub_mch_id {
        return Err(Fail::param("out_sub_mch_id 不存在"));
    }
    if m.shop(&k.out_shop_id).is_none() {
        return Err(Fail::param(format!(
            "out_shop_id \"{}\" 不是该子商户的门店",
            k.out_shop_id
        )));
    }
    match k.pay_platform {
        Some(1..=3) => Ok(()),
        Some(other) => Err(Fail::param(format!("pay_platform {other} 无效 (1/2/3)"))),
        None if need_platform => Err(Fail::param("pay_platform 必填")),
        None => Ok(()),
    }
}

/// `order_client`: the device belongs to the shop, the staff member exists, the client
/// fields are present. Returns the device id (empty when optional and absent).
pub fn client(
    m: &MerchantConfig,
    c: &wire::OrderClient,
    shop: &str,
    device_required: bool,
) -> Result<String, Fail> {
    if c.sdk_version.is_empty() || c.spbill_create_ip.is_empty() {
        return Err(Fail::param(
            "order_client.sdk_version 与 spbill_create_ip 必填",
        ));
    }
    if let Some(staff) = c.staff_id.as_deref().filter(|s| !s.is_empty())
        && m.staff_member(staff).is_none()
    {
        return Err(Fail::param(format!(
            "staff_id \"{staff}\" 不是该子商户的店员"
        )));
    }
    let device = c.device_id.clone().unwrap_or_default();
    if device.is_empty() {
        if device_required {
            return Err(Fail::param("order_client.device_id 必填"));
        }
        return Ok(device);
    }
    let in_shop = m.shop(shop).is_some_and(|s| s.devices.contains(&device));
    if !in_shop {
        return Err(Fail::param(format!(
            "device_id \"{device}\" 不是门店 {shop} 的设备"
        )));
    }
    Ok(device)
}

/// A required text field.
pub fn present(value: &str, field: &str) -> Result<(), Fail> {
    if value.trim().is_empty() {
        return Err(Fail::param(format!("{field} 必填")));
    }
    Ok(())
}

/// An `out_trade_no` / `out_refund_no`: the order prefix, at most 32 characters of
/// `[0-9A-Za-z_-|*@]`.
pub fn trade_no(m: &MerchantConfig, no: &str, field: &str) -> Result<(), Fail> {
    present(no, field)?;
    if no.len() > 32 {
        return Err(Fail::param(format!("{field} 超过 32 个字符")));
    }
    if !no
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-|*@".contains(c))
    {
        return Err(Fail::param(format!("{field} 含有非法字符")));
    }
    if !no.starts_with(&m.order_prefix) {
        return Err(Fail::param(format!(
            "{field} 必须以云支付订单前缀 \"{}\" 开头",
            m.order_prefix
        )));
    }
    Ok(())
}

/// Everything `micro_pay` needs.
pub fn micro_pay(m: &MerchantConfig, req: &wire::MicroPayRequest) -> Result<(), Fail> {
    mch_key(m, &req.pay_mch_key, true)?;
    client(m, &req.order_client, &req.pay_mch_key.out_shop_id, true)?;
    if req
        .order_client
        .machine_no
        .as_deref()
        .is_none_or(str::is_empty)
    {
        return Err(Fail::param("order_client.machine_no 必填"));
    }
    let pc = &req.pay_content;
    trade_no(m, &pc.out_trade_no, "out_trade_no")?;
    if pc.fee_type != wire::CNY {
        return Err(Fail::param("fee_type 只支持 CNY"));
    }
    if pc.total_fee <= 0 {
        return Err(Fail::param("total_fee 必须大于 0"));
    }
    present(&pc.body, "body")?;
    let code = pc.author_code.as_deref().unwrap_or_default();
    present(code, "author_code")?;
    let platform = req.pay_mch_key.pay_platform.unwrap_or(0);
    if !code_matches_platform(code, platform) {
        return Err(Fail::failed(
            "付款码无效, 与支付平台不匹配 (AUTH_CODE_INVALID)",
        ));
    }
    Ok(())
}

/// Everything `refund` needs; returns the asking device.
pub fn refund(m: &MerchantConfig, req: &wire::RefundRequest) -> Result<String, Fail> {
    mch_key(m, &req.pay_mch_key, false)?;
    let device = client(m, &req.order_client, &req.pay_mch_key.out_shop_id, true)?;
    let rc = &req.refund_content;
    trade_no(m, &rc.out_trade_no, "out_trade_no")?;
    trade_no(m, &rc.out_refund_no, "out_refund_no")?;
    if rc.refund_fee_type != wire::CNY {
        return Err(Fail::param("refund_fee_type 只支持 CNY"));
    }
    if rc.refund_fee <= 0 || rc.total_fee <= 0 {
        return Err(Fail::param("refund_fee 与 total_fee 必须大于 0"));
    }
    Ok(device)
}

/// `client_order_detail`: scope ids, window and paging (fills defaults in place).
pub fn order_detail(
    m: &MerchantConfig,
    req: &mut wire::ClientOrderDetailRequest,
    now_ms: i64,
) -> Result<(), Fail> {
    if let Some(shop) = req.out_shop_id.as_deref().filter(|s| !s.is_empty()) {
        let Some(s) = m.shop(shop) else {
            return Err(Fail::param(format!("out_shop_id \"{shop}\" 不存在")));
        };
        if let Some(device) = req.device_id.as_deref().filter(|d| !d.is_empty())
            && !s.devices.iter().any(|d| d == device)
        {
            return Err(Fail::param(format!(
                "device_id \"{device}\" 不是门店 {shop} 的设备"
            )));
        }
    } else if req
        .device_id
        .as_deref()
        .is_some_and(|d| m.shop_of_device(d).is_none())
    {
        return Err(Fail::param("device_id 不存在"));
    }
    if let Some(staff) = req.staff_id.as_deref().filter(|s| !s.is_empty())
        && m.staff_member(staff).is_none()
    {
        return Err(Fail::param(format!("staff_id \"{staff}\" 不存在")));
    }
    if !matches!(req.query_order_type, 0..=3) {
        return Err(Fail::param("query_order_type 只能为 1/2/3"));
    }
    if req.end_time <= 0 {
        req.end_time = now_ms.div_euclid(1000);
    }
    if req.start_time > req.end_time {
        return Err(Fail::param("start_time 晚于 end_time"));
    }
    if req.page_size == 0 {
        req.page_size = 10;
    }
    if req.page_size > 100 {
        return Err(Fail::param("page_size 不能超过 100"));
    }
    req.page_num = req.page_num.max(1);
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
            if req.amount.is_none_or(|a| a <= 0) {
                return Err(Fail::param("amount 必须大于 0"));
            }
            Ok(ApprovalKind::Refund)
        }
        other => Err(Fail::param(format!("kind \"{other}\" 无效 (login/refund)"))),
    }
}
