//! The request envelope: which endpoints exist, and the authentication every request must
//! carry (`authen_info.a`, an HMAC over `request_content`, or `authen_info.s`, an RSA-PSS
//! signature, for the endpoints that accept one). Public so that the `cloudpay_request`
//! fuzz target exercises this very code.

use cloudpay_api::wire::{self, endpoint};
use cloudpay_api::{AuthenKey, PssVerifier};
use serde_json::Value;

use crate::ledger::Fail;

/// The endpoints that accept an RSA-PSS signature instead of the HMAC.
pub const SIGNABLE: [&str; 2] = [endpoint::REFUND, endpoint::REVERSE];

/// Every endpoint the sandbox answers (the deposit endpoints of §11 last).
pub const KNOWN: [&str; 18] = [
    endpoint::MICRO_PAY,
    endpoint::QUERY_ORDER,
    endpoint::REFUND,
    endpoint::QUERY_REFUND_ORDER,
    endpoint::REVERSE,
    endpoint::CLOSE_ORDER,
    endpoint::CLIENT_ORDER_DETAIL,
    endpoint::X_CREATE_APPROVAL,
    endpoint::X_QUERY_APPROVAL,
    endpoint::X_CONSUME_APPROVAL,
    cloudpay_api::device::X_UNBIND_DEVICE,
    cloudpay_api::device::X_QUERY_NOTICE_LIST,
    cloudpay_api::deposit::wire::endpoint::MICRO_FREEZE,
    cloudpay_api::deposit::wire::endpoint::QUERY_FREEZE_ORDER,
    cloudpay_api::deposit::wire::endpoint::DEPOSIT_CONSUME,
    cloudpay_api::deposit::wire::endpoint::UNFREEZE,
    cloudpay_api::deposit::wire::endpoint::QUERY_UNFREEZE_ORDER,
    cloudpay_api::deposit::wire::endpoint::QUERY_ORDER_LIST,
];

/// What a request is authenticated against: the sub-merchant and its keys.
#[derive(Clone, Copy)]
pub struct Gate<'a> {
    /// The only `out_sub_mch_id` accepted.
    pub out_sub_mch_id: &'a str,
    /// The HMAC key (`authen_info.a`).
    pub key: &'a AuthenKey,
    /// The signature public key (`authen_info.s`), if the merchant registered one.
    pub verifier: Option<&'a PssVerifier>,
}

/// Checks the envelope of a request to endpoint `name` and its authentication; returns the
/// raw `request_content`.
pub fn authenticate(gate: &Gate<'_>, name: &str, body: &[u8]) -> Result<String, Fail> {
    if !KNOWN.contains(&name) {
        return Err(Fail::rejected(
            4,
            format!("接口不存在: {name} (unknown interface)"),
        ));
    }
    let outer: Value = serde_json::from_slice(body)
        .map_err(|e| Fail::rejected(1, format!("请求包不是合法的 JSON: {e}")))?;
    let Some(content) = outer.get("request_content").and_then(Value::as_str) else {
        return Err(Fail::rejected(
            1,
            "request_content 必须是字符串 (a JSON document serialised to a string)",
        ));
    };
    let inner: Value = serde_json::from_str(content)
        .map_err(|e| Fail::rejected(2, format!("request_content 不是合法的 JSON: {e}")))?;
    // The sub-merchant selects the key: `pay_mch_key.out_sub_mch_id`, or the top-level
    // field of the flat calls (`client_order_detail`, `query_order_list`).
    let flat = name == endpoint::CLIENT_ORDER_DETAIL
        || name == cloudpay_api::deposit::wire::endpoint::QUERY_ORDER_LIST;
    let path = if inner.get("pay_mch_key").is_some() || !flat {
        "pay_mch_key.out_sub_mch_id"
    } else {
        "out_sub_mch_id"
    };
    let sub = crate::schema::lookup(&inner, path)
        .and_then(Value::as_str)
        .unwrap_or_default();
    if sub.is_empty() {
        return Err(Fail::rejected(
            3,
            format!("参数错误: {path} 必填 ({path} is required)"),
        ));
    }
    if sub != gate.out_sub_mch_id {
        return Err(Fail::rejected(
            3,
            format!("子商户不存在: {path} \"{sub}\" ({path} does not exist)"),
        ));
    }
    let info: wire::AuthenInfo = match outer.get("authen_info") {
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| Fail::rejected(7, format!("参数authen_code错误. ({e})")))?,
        None => wire::AuthenInfo::default(),
    };
    let mut authenticated = false;
    if let Some(a) = &info.a {
        if a.authen_type != wire::AUTHEN_TYPE_HMAC_SHA256
            || !gate.key.verify(content, &a.authen_code)
        {
            return Err(Fail::rejected(7, "参数authen_code错误."));
        }
        authenticated = true;
    }
    if let Some(s) = &info.s {
        if !SIGNABLE.contains(&name) {
            return Err(Fail::rejected(
                8,
                "该接口不支持签名, 请使用认证码 authen_info.a",
            ));
        }
        let Some(verifier) = gate.verifier else {
            return Err(Fail::rejected(8, "子商户未配置签名公钥"));
        };
        if verifier.verify_signature(content, s).is_err() {
            return Err(Fail::rejected(8, "参数sign错误."));
        }
        authenticated = true;
    }
    if !authenticated {
        return Err(Fail::rejected(7, "参数authen_code错误."));
    }
    Ok(content.to_owned())
}
