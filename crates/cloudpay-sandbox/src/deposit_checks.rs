//! The deposit endpoints' field tables (protocol notes §11.2–§11.8) and value rules, in the
//! shape of [`crate::schema`] and [`crate::validate`]: a failure is status 101 without MAC
//! naming the field.
//!
//! Where a table is silent the stricter reading is kept: `unfreeze` requires `out_mch_id`
//! and `out_sub_mch_id` (marked optional there, sent by every example and needed to select
//! the key), and `authorization_staff_id` is refused beside `is_sub_admin: true` ("omitted
//! when true"). `query_order_list` answers order types 4 (freezes) and 5 (releases); the
//! payments and refunds of types 1–3 are listed by `client_order_detail`.

use cloudpay_api::deposit::wire::{self as dw, endpoint};
use serde_json::Value;

use crate::config::MerchantConfig;
use crate::deposits::freeze_code_fits;
use crate::ledger::Fail;
use crate::schema::{Field, ID, ID64, Kind, mch_key, opt, order_client, req};
use crate::validate::{client, cny, positive, trade_no, typed};

/// A deposit request that passed every check, typed, with the device that asks where it
/// matters.
#[derive(Debug, Clone)]
pub enum DepositChecked {
    /// `micro_freeze`.
    Freeze(dw::MicroFreezeRequest),
    /// `query_freeze_order`.
    QueryFreeze(dw::QueryFreezeOrderRequest),
    /// `deposit_consume`, from this device.
    Consume(dw::DepositConsumeRequest, String),
    /// `unfreeze`, from this device.
    Unfreeze(dw::UnfreezeRequest, String),
    /// `query_unfreeze_order`.
    QueryUnfreeze(dw::QueryUnfreezeOrderRequest),
    /// `query_order_list` (defaults filled in).
    List(dw::QueryOrderListRequest),
}

/// Whether `name` is a deposit endpoint.
#[must_use]
pub fn is_deposit(name: &str) -> bool {
    endpoint::ALL.contains(&name)
}

/// The field table of a deposit endpoint (without `nonce_str`, which the schema adds).
#[must_use]
pub fn fields(name: &str) -> Option<Vec<Field>> {
    let mut f = Vec::new();
    match name {
        endpoint::MICRO_FREEZE => {
            f.extend(mch_key(true));
            f.extend([
                req("freeze_content", Kind::Object),
                req("freeze_content.out_freeze_no", ID),
                req("freeze_content.author_code", Kind::Str(256)),
                req("freeze_content.freeze_fee", Kind::Int),
                req("freeze_content.fee_type", Kind::Str(3)),
                req("freeze_content.body", Kind::Str(128)),
                opt("freeze_content.detail", Kind::Str(6000)),
                opt("freeze_content.remark", Kind::Str(127)),
                opt("freeze_content.wxpay_freeze_content_ext", Kind::Object),
                opt(
                    "freeze_content.wxpay_freeze_content_ext.attach",
                    Kind::Str(127),
                ),
                opt(
                    "freeze_content.wxpay_freeze_content_ext.goods_tag",
                    Kind::Str(32),
                ),
                opt(
                    "freeze_content.wxpay_freeze_content_ext.limit_pay",
                    Kind::Str(32),
                ),
                opt("freeze_content.alipay_freeze_content_ext", Kind::Object),
                opt(
                    "freeze_content.alipay_freeze_content_ext.enable_pay_channels",
                    Kind::Str(1024),
                ),
            ]);
            f.extend(order_client(true, true));
        }
        endpoint::QUERY_FREEZE_ORDER => {
            f.extend(mch_key(true));
            f.extend(order_client(false, false));
            f.push(req("out_freeze_no", ID));
        }
        endpoint::DEPOSIT_CONSUME => {
            // `pay_platform` is in neither the table nor the example: optional, and when
            // sent it must be the freeze's.
            f.extend(mch_key(false));
            f.extend([
                req("pay_content", Kind::Object),
                req("pay_content.out_trade_no", ID),
                req("pay_content.total_fee", Kind::Int),
                req("pay_content.fee_type", Kind::Str(3)),
                req("pay_content.body", Kind::Str(128)),
                opt("pay_content.detail", Kind::Str(6000)),
                opt("pay_content.remark", Kind::Str(127)),
                opt("pay_content.time_expire", Kind::Int),
                req("pay_content.out_freeze_no", ID),
                req("pay_content.is_confirm_unfreeze", Kind::Bool),
                opt("pay_content.wxpay_pay_content_ext", Kind::Object),
            ]);
            f.extend(order_client(true, false));
        }
        endpoint::UNFREEZE => {
            f.extend(mch_key(true));
            f.extend([
                req("pay_mch_key.is_sub_admin", Kind::Bool),
                opt("pay_mch_key.authorization_staff_id", ID64),
                req("unfreeze_content", Kind::Object),
                req("unfreeze_content.out_freeze_no", ID),
                req("unfreeze_content.out_unfreeze_no", ID),
                req("unfreeze_content.unfreeze_fee", Kind::Int),
                opt("unfreeze_content.remark", Kind::Str(128)),
            ]);
            f.extend(order_client(true, false));
        }
        endpoint::QUERY_UNFREEZE_ORDER => {
            f.extend(mch_key(true));
            f.extend(order_client(false, false));
            f.extend([req("out_freeze_no", ID), opt("out_unfreeze_no", ID)]);
        }
        endpoint::QUERY_ORDER_LIST => {
            f.extend([
                req("out_sub_mch_id", ID),
                opt("out_shop_id", ID),
                opt("staff_id", ID64),
                opt("device_id", ID64),
                opt("qrcode_id", ID64),
                req("order_type", Kind::Int),
                opt("trade_type", Kind::Int),
                opt("time_filter", Kind::Int),
                opt("status", Kind::Int),
                req("start_time", Kind::Int),
                req("end_time", Kind::Int),
                req("page_num", Kind::Int),
                req("page_size", Kind::Int),
            ]);
        }
        _ => return None,
    }
    Some(f)
}

/// The value rules of a deposit request whose fields passed the table.
pub fn check(m: &MerchantConfig, name: &str, value: Value) -> Result<DepositChecked, Fail> {
    match name {
        endpoint::MICRO_FREEZE => {
            let req: dw::MicroFreezeRequest = typed(value)?;
            freeze(m, &req)?;
            Ok(DepositChecked::Freeze(req))
        }
        endpoint::QUERY_FREEZE_ORDER => {
            let req: dw::QueryFreezeOrderRequest = typed(value)?;
            crate::validate::mch_key(m, &req.pay_mch_key)?;
            client(m, &req.order_client, &req.pay_mch_key.out_shop_id)?;
            trade_no(m, &req.out_freeze_no, "out_freeze_no")?;
            Ok(DepositChecked::QueryFreeze(req))
        }
        endpoint::DEPOSIT_CONSUME => {
            let req: dw::DepositConsumeRequest = typed(value)?;
            let device = consume(m, &req)?;
            Ok(DepositChecked::Consume(req, device))
        }
        endpoint::UNFREEZE => {
            let req: dw::UnfreezeRequest = typed(value)?;
            let device = unfreeze(m, &req)?;
            Ok(DepositChecked::Unfreeze(req, device))
        }
        endpoint::QUERY_UNFREEZE_ORDER => {
            let req: dw::QueryUnfreezeOrderRequest = typed(value)?;
            crate::validate::mch_key(m, &req.pay_mch_key)?;
            client(m, &req.order_client, &req.pay_mch_key.out_shop_id)?;
            trade_no(m, &req.out_freeze_no, "out_freeze_no")?;
            if let Some(no) = &req.out_unfreeze_no {
                trade_no(m, no, "out_unfreeze_no")?;
            }
            Ok(DepositChecked::QueryUnfreeze(req))
        }
        endpoint::QUERY_ORDER_LIST => {
            let mut req: dw::QueryOrderListRequest = typed(value)?;
            list(m, &mut req)?;
            Ok(DepositChecked::List(req))
        }
        other => Err(Fail::rejected(4, format!("接口不存在: {other}"))),
    }
}

fn detail_json(detail: Option<&String>, path: &str) -> Result<(), Fail> {
    if let Some(d) = detail
        && serde_json::from_str::<Value>(d).is_err()
    {
        return Err(Fail::field(
            path,
            "必须是序列化为字符串的 JSON",
            "must be a JSON document serialised to a string",
        ));
    }
    Ok(())
}

fn freeze(m: &MerchantConfig, req: &dw::MicroFreezeRequest) -> Result<(), Fail> {
    let k = &req.pay_mch_key;
    crate::validate::mch_key(m, k)?;
    client(m, &req.order_client, &k.out_shop_id)?;
    let fc = &req.freeze_content;
    trade_no(m, &fc.out_freeze_no, "freeze_content.out_freeze_no")?;
    positive(fc.freeze_fee, "freeze_content.freeze_fee")?;
    cny(&fc.fee_type, "freeze_content.fee_type")?;
    let platform = k.pay_platform.unwrap_or(0);
    if !matches!(platform, 1 | 2) {
        return Err(Fail::field(
            "pay_mch_key.pay_platform",
            &format!("{platform} 不能冻结押金 (只支持 1 微信支付, 2 支付宝)"),
            "must be 1 (WeChat Pay) or 2 (Alipay) for a deposit",
        ));
    }
    let code = &fc.author_code;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Fail::field(
            "freeze_content.author_code",
            "只能含数字",
            "must be digits only",
        ));
    }
    if !freeze_code_fits(code, platform) {
        return Err(Fail::rejected(
            10,
            format!(
                "参数错误: freeze_content.author_code 的前缀与 pay_mch_key.pay_platform {platform} \
                 不匹配 (AUTH_CODE_INVALID) (freeze_content.author_code does not fit \
                 pay_mch_key.pay_platform {platform}: WeChat 10–15, Alipay 25–30)"
            ),
        ));
    }
    detail_json(fc.detail.as_ref(), "freeze_content.detail")?;
    if fc.wxpay_freeze_content_ext.is_some() && fc.alipay_freeze_content_ext.is_some() {
        return Err(Fail::field(
            "freeze_content.alipay_freeze_content_ext",
            "不能与 wxpay_freeze_content_ext 同时提供",
            "cannot come with wxpay_freeze_content_ext",
        ));
    }
    if fc.wxpay_freeze_content_ext.is_some() && platform != 1 {
        return Err(Fail::field(
            "freeze_content.wxpay_freeze_content_ext",
            "只用于微信支付",
            "is for WeChat Pay only",
        ));
    }
    if fc.alipay_freeze_content_ext.is_some() && platform != 2 {
        return Err(Fail::field(
            "freeze_content.alipay_freeze_content_ext",
            "只用于支付宝",
            "is for Alipay only",
        ));
    }
    if let Some(ext) = &fc.wxpay_freeze_content_ext
        && let Some(limit) = &ext.limit_pay
        && limit != "no_credit"
    {
        return Err(Fail::field(
            "freeze_content.wxpay_freeze_content_ext.limit_pay",
            "只能为 no_credit",
            "must be no_credit",
        ));
    }
    Ok(())
}

fn consume(m: &MerchantConfig, req: &dw::DepositConsumeRequest) -> Result<String, Fail> {
    let k = &req.pay_mch_key;
    crate::validate::mch_key(m, k)?;
    let device = client(m, &req.order_client, &k.out_shop_id)?;
    let pc = &req.pay_content;
    trade_no(m, &pc.out_trade_no, "pay_content.out_trade_no")?;
    trade_no(m, &pc.out_freeze_no, "pay_content.out_freeze_no")?;
    positive(pc.total_fee, "pay_content.total_fee")?;
    cny(&pc.fee_type, "pay_content.fee_type")?;
    detail_json(pc.detail.as_ref(), "pay_content.detail")?;
    if k.pay_platform.is_some_and(|p| !matches!(p, 1 | 2)) {
        return Err(Fail::field(
            "pay_mch_key.pay_platform",
            "押金只支持 1 微信支付, 2 支付宝",
            "must be 1 (WeChat Pay) or 2 (Alipay) for a deposit",
        ));
    }
    Ok(device)
}

fn unfreeze(m: &MerchantConfig, req: &dw::UnfreezeRequest) -> Result<String, Fail> {
    let k = &req.pay_mch_key;
    crate::validate::mch_key(m, k)?;
    let device = client(m, &req.order_client, &k.out_shop_id)?;
    let uc = &req.unfreeze_content;
    trade_no(m, &uc.out_freeze_no, "unfreeze_content.out_freeze_no")?;
    trade_no(m, &uc.out_unfreeze_no, "unfreeze_content.out_unfreeze_no")?;
    positive(uc.unfreeze_fee, "unfreeze_content.unfreeze_fee")?;
    let staff = k
        .authorization_staff_id
        .as_deref()
        .filter(|s| !s.is_empty());
    match (k.is_sub_admin, staff) {
        (Some(true), Some(_)) => Err(Fail::field(
            "pay_mch_key.authorization_staff_id",
            "is_sub_admin 为 true 时不应提供",
            "must be omitted when is_sub_admin is true",
        )),
        (Some(false), None) => Err(Fail::field(
            "pay_mch_key.authorization_staff_id",
            "is_sub_admin 为 false 时必填",
            "is required when is_sub_admin is false",
        )),
        (Some(false), Some(s)) if m.staff_member(s).is_none() => Err(Fail::field(
            "pay_mch_key.authorization_staff_id",
            &format!("\"{s}\" 不是该子商户的店员"),
            "is not staff of the sub-merchant",
        )),
        _ => Ok(device),
    }
}

fn list(m: &MerchantConfig, req: &mut dw::QueryOrderListRequest) -> Result<(), Fail> {
    let shop = req.out_shop_id.as_deref().filter(|s| !s.is_empty());
    let device = req.device_id.as_deref().filter(|d| !d.is_empty());
    let staff = req.staff_id.as_deref().filter(|s| !s.is_empty());
    let qrcode = req.qrcode_id.as_deref().filter(|q| !q.is_empty());
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
        None if device.is_some() || staff.is_some() || qrcode.is_some() => {
            return Err(Fail::field(
                "out_shop_id",
                "指定 staff_id、device_id 或 qrcode_id 时必填",
                "is required with staff_id, device_id or qrcode_id",
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
    if let Some(list) = &req.sub_pay_platforms
        && let Some(bad) = list
            .iter()
            .find(|p| !matches!(p, 100 | 200 | 300 | 401 | 402))
    {
        return Err(Fail::field(
            "sub_pay_platforms",
            &format!("{bad} 无效"),
            "must be SubPayPlatform values (100, 200, 300, 401, 402)",
        ));
    }
    match req.order_type {
        dw::order_type::FREEZE | dw::order_type::UNFREEZE => {}
        1..=3 => {
            return Err(Fail::field(
                "order_type",
                "沙箱只列出押金冻结单 (4) 和解冻单 (5), 支付和退款请用 client_order_detail",
                "must be 4 (freezes) or 5 (releases) in the sandbox; list payments and refunds with client_order_detail",
            ));
        }
        other => {
            return Err(Fail::field(
                "order_type",
                &format!("{other} 无效 (1–5)"),
                "must be 1–5",
            ));
        }
    }
    if let Some(t) = req.time_filter
        && !matches!(t, 1 | 2)
    {
        return Err(Fail::field(
            "time_filter",
            "只能为 1 (创建时间) 或 2 (更新时间)",
            "must be 1 (created) or 2 (updated)",
        ));
    }
    if let Some(s) = req.status
        && !matches!(s, 0 | 1)
    {
        return Err(Fail::field(
            "status",
            "只能为 0 (成功) 或 1 (全部)",
            "must be 0 (successes) or 1 (all)",
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
