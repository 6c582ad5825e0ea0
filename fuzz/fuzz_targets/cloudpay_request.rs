//! A request envelope as the sandbox reads it: the sandbox's own
//! `cloudpay_sandbox::envelope::authenticate` (outer JSON, `request_content`, inner JSON,
//! sub-merchant, HMAC or RSA-PSS), then the `parse` half of the sandbox's `dispatch`
//! (private to it and tied to its whole state, so repeated here with its public pieces):
//! the request type of the endpoint and the public checks of `cloudpay_sandbox`
//! (`code_matches_platform`, `MerchantConfig` look-ups). The merchant is the one of
//! `fixtures/cloudpay`, so the recorded requests in the corpus authenticate.
//!
//! The first byte picks the endpoint (the URL path), the rest is the HTTP body.
//! Checked: no panic; an accepted request carries a valid MAC or signature.
#![no_main]

use std::sync::LazyLock;

use cloudpay_api::wire::{self, endpoint};
use cloudpay_api::{AuthenKey, PssVerifier};
use cloudpay_sandbox::envelope::{Gate, KNOWN, SIGNABLE, authenticate};
use cloudpay_sandbox::ledger::code_matches_platform;
use cloudpay_sandbox::{MerchantConfig, ShopConfig};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The sandbox's endpoints and one it does not know.
const ENDPOINTS: [&str; 11] = [
    KNOWN[0],
    KNOWN[1],
    KNOWN[2],
    KNOWN[3],
    KNOWN[4],
    KNOWN[5],
    KNOWN[6],
    KNOWN[7],
    KNOWN[8],
    KNOWN[9],
    "no_such_endpoint",
];

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
    let gate = Gate {
        out_sub_mch_id: &app.merchant.out_sub_mch_id,
        key: &app.key,
        verifier: Some(&app.verifier),
    };
    match authenticate(&gate, name, body) {
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
            assert!(
                mac_ok || sig_ok,
                "accepted without a valid MAC or signature"
            );
            dispatch(app, name, &content);
        }
        Err(fail) => {
            assert_eq!(fail.status, wire::status::REJECTED);
        }
    }
});
