//! A request envelope as the sandbox reads it (`apps/cloudpay-sandbox/src/server.rs`,
//! `authenticate` then the `parse` of `dispatch`).
//!
//! Those two functions are private to the sandbox and take its whole `App`, so this target
//! repeats their steps with the same public pieces, in the same order: the outer JSON, the
//! `request_content` string, the inner JSON, the sub-merchant check, `authen_info` (HMAC
//! with `AuthenKey::verify`, RSA-PSS with `PssVerifier::verify_signature`, for the signable
//! endpoints only), then the request type of the endpoint and the public checks of
//! `cloudpay_sandbox` (`code_matches_platform`, `MerchantConfig` look-ups). The merchant is
//! the one of `fixtures/cloudpay`, so the recorded requests in the corpus authenticate.
//!
//! The first byte picks the endpoint (the URL path), the rest is the HTTP body.
//! Checked: no panic; an accepted request carries a valid MAC or signature.
#![no_main]

use std::sync::LazyLock;

use cloudpay_api::wire::{self, endpoint};
use cloudpay_api::{AuthenKey, PssVerifier};
use cloudpay_sandbox::ledger::{Fail, code_matches_platform};
use cloudpay_sandbox::{MerchantConfig, ShopConfig};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const ENDPOINTS: [&str; 11] = [
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
    "no_such_endpoint",
];
const SIGNABLE: [&str; 2] = [endpoint::REFUND, endpoint::REVERSE];

struct App {
    merchant: MerchantConfig,
    key: AuthenKey,
    verifier: PssVerifier,
}

static APP: LazyLock<App> = LazyLock::new(|| {
    let merchant = MerchantConfig {
        out_mch_id: "sz01lXKA6DKGjNzr2l4B".into(),
        out_sub_mch_id: "sz01KzuCUOmw8yjtPite".into(),
        order_prefix: "sz01".into(),
        shops: vec![ShopConfig {
            out_shop_id: "sz011biKxOguirmBqiFR".into(),
            name: "一号店".into(),
            devices: vec!["824".into()],
        }],
        authen_key: Some("CloudPOSFixtureAuthenKey20240601".into()),
        ..MerchantConfig::default()
    };
    App {
        key: AuthenKey::new(merchant.authen_key.as_deref().unwrap_or_default()),
        verifier: PssVerifier::from_pem(include_str!(
            "../../fixtures/cloudpay/test_sign_public_key.pem"
        ))
        .expect("the fixture public key"),
        merchant,
    }
});

/// The sandbox's `authenticate`, step for step.
fn authenticate(app: &App, name: &str, body: &[u8]) -> Result<String, Fail> {
    if !ENDPOINTS[..10].contains(&name) {
        return Err(Fail::rejected(4, format!("接口不存在: {name}")));
    }
    let outer: Value = serde_json::from_slice(body)
        .map_err(|e| Fail::rejected(1, format!("请求包不是合法的 JSON: {e}")))?;
    let Some(content) = outer.get("request_content").and_then(Value::as_str) else {
        return Err(Fail::rejected(1, "request_content 必须是字符串"));
    };
    let inner: Value = serde_json::from_str(content)
        .map_err(|e| Fail::rejected(2, format!("request_content 不是合法的 JSON: {e}")))?;
    let sub = inner
        .pointer("/pay_mch_key/out_sub_mch_id")
        .or_else(|| inner.get("out_sub_mch_id"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if sub != app.merchant.out_sub_mch_id {
        return Err(Fail::rejected(3, format!("子商户不存在: {sub}")));
    }
    let info: wire::AuthenInfo = match outer.get("authen_info") {
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| Fail::rejected(7, format!("参数authen_code错误. ({e})")))?,
        None => wire::AuthenInfo::default(),
    };
    let mut authenticated = false;
    if let Some(a) = &info.a {
        if a.authen_type != wire::AUTHEN_TYPE_HMAC_SHA256
            || !app.key.verify(content, &a.authen_code)
        {
            return Err(Fail::rejected(7, "参数authen_code错误."));
        }
        authenticated = true;
    }
    if let Some(s) = &info.s {
        if !SIGNABLE.contains(&name) {
            return Err(Fail::rejected(8, "该接口不支持签名"));
        }
        if app.verifier.verify_signature(content, s).is_err() {
            return Err(Fail::rejected(8, "参数sign错误."));
        }
        authenticated = true;
    }
    if !authenticated {
        return Err(Fail::rejected(7, "参数authen_code错误."));
    }
    Ok(content.to_owned())
}

fn parse<T: serde::de::DeserializeOwned>(content: &str) -> Option<T> {
    serde_json::from_str(content).ok()
}

fn check_mch(m: &MerchantConfig, k: &wire::PayMchKey) {
    let _ = m.shop(&k.out_shop_id);
}

fn check_client(m: &MerchantConfig, c: &wire::OrderClient) {
    if let Some(staff) = c.staff_id.as_deref() {
        let _ = m.staff_member(staff);
    }
    if let Some(device) = c.device_id.as_deref() {
        let _ = m.shop_of_device(device);
    }
}

/// The `parse` half of the sandbox's `dispatch`, with the public checks.
fn dispatch(app: &App, name: &str, content: &str) {
    let m = &app.merchant;
    match name {
        endpoint::MICRO_PAY => {
            if let Some(req) = parse::<wire::MicroPayRequest>(content) {
                check_mch(m, &req.pay_mch_key);
                check_client(m, &req.order_client);
                let code = req.pay_content.author_code.as_deref().unwrap_or_default();
                let _ = code_matches_platform(code, req.pay_mch_key.pay_platform.unwrap_or(0));
            }
        }
        endpoint::QUERY_ORDER => {
            if let Some(req) = parse::<wire::QueryOrderRequest>(content) {
                check_mch(m, &req.pay_mch_key);
                check_client(m, &req.order_client);
            }
        }
        endpoint::REVERSE => {
            if let Some(req) = parse::<wire::ReverseRequest>(content) {
                check_mch(m, &req.pay_mch_key);
                check_client(m, &req.order_client);
            }
        }
        endpoint::CLOSE_ORDER => {
            if let Some(req) = parse::<wire::CloseOrderRequest>(content) {
                check_mch(m, &req.pay_mch_key);
                check_client(m, &req.order_client);
            }
        }
        endpoint::REFUND => {
            if let Some(req) = parse::<wire::RefundRequest>(content) {
                check_mch(m, &req.pay_mch_key);
                check_client(m, &req.order_client);
            }
        }
        endpoint::QUERY_REFUND_ORDER => {
            if let Some(req) = parse::<wire::QueryRefundOrderRequest>(content) {
                check_mch(m, &req.pay_mch_key);
                check_client(m, &req.order_client);
            }
        }
        endpoint::CLIENT_ORDER_DETAIL => {
            if let Some(req) = parse::<wire::ClientOrderDetailRequest>(content)
                && let Some(shop) = req.out_shop_id.as_deref()
            {
                let _ = m.shop(shop);
            }
        }
        endpoint::X_CREATE_APPROVAL => {
            if let Some(req) = parse::<wire::CreateApprovalRequest>(content) {
                check_mch(m, &req.pay_mch_key);
                check_client(m, &req.order_client);
            }
        }
        _ => {
            if let Some(req) = parse::<wire::ApprovalTokenRequest>(content) {
                check_mch(m, &req.pay_mch_key);
                check_client(m, &req.order_client);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let app = &*APP;
    let name = ENDPOINTS[usize::from(selector) % ENDPOINTS.len()];
    match authenticate(app, name, body) {
        Ok(content) => {
            // Accepted only with a valid MAC or signature over the exact content.
            let outer: Value = serde_json::from_slice(body).expect("parsed once already");
            let mac_ok = outer
                .pointer("/authen_info/a/authen_code")
                .and_then(Value::as_str)
                .is_some_and(|code| app.key.verify(&content, code));
            let sig_ok = SIGNABLE.contains(&name)
                && outer
                    .pointer("/authen_info/s")
                    .and_then(|s| serde_json::from_value::<wire::Signature>(s.clone()).ok())
                    .is_some_and(|s| app.verifier.verify_signature(&content, &s).is_ok());
            assert!(mac_ok || sig_ok, "accepted without a valid MAC or signature");
            dispatch(app, name, &content);
        }
        Err(fail) => {
            assert_eq!(fail.status, wire::status::REJECTED);
        }
    }
});
