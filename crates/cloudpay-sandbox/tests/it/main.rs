//! The client against the sandbox over real HTTP on 127.0.0.1:0.

// The library under the name its users know it by (the workspace dependency renames the
// package `cloudpay-sandbox-core` to `cloudpay-sandbox`).
extern crate cloudpay_sandbox_core as cloudpay_sandbox;

mod approvals;
mod client_requests;
mod control;
mod deposit_strict;
mod deposits;
mod failover;
mod faults;
mod listing;
mod qr_payment;
mod recorded;
mod reentry;
mod refunds;
mod scripts;
mod security;
mod strict;
mod terminals;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use cloudpay_api::{CloudPayClient, CloudPayConfig, Secrets};
use cloudpay_sandbox::{
    MerchantConfig, Sandbox, SandboxConfig, SandboxCredentials, SandboxHandle, SignKeyMode, Timings,
};
use cloudpos_domain::code::CodeTable;
use cloudpos_domain::ports::PayRequest;
use cloudpos_domain::{Money, OrderNo, RefundNo};
use serde_json::Value;

/// A reqwest client for control calls (the workspace's reqwest has no default TLS provider).
pub(crate) fn plain_http() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(cloudpay_api::client::rustls_config(None, false).unwrap())
        .no_proxy()
        .build()
        .unwrap()
}

pub(crate) fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cloudpay")
}

pub(crate) fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(name)).unwrap()
}

/// A WeChat code (18 digits) ending in `script`.
pub(crate) fn wx(script: &str) -> String {
    format!("1345{:012}{script}", next_code())
}

/// A fresh middle part per code: payment codes are single use, in the sandbox as in the
/// real wallets.
fn next_code() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// An Alipay code (16 digits) ending in `script`.
pub(crate) fn ali(script: &str) -> String {
    format!("2812{:010}{script}", next_code())
}

/// A member-card code (16 digits) ending in `script`.
pub(crate) fn card(script: &str) -> String {
    format!("9912{:010}{script}", next_code())
}

/// Test timings: short, but long enough not to race the assertions.
pub(crate) fn test_timings() -> Timings {
    Timings {
        auto_revoke_after: Duration::from_secs(20),
        slow_answer_delay: Duration::from_millis(300),
        refund_settle_after: Duration::from_secs(20),
        refund_settles_on_query: true,
        approval_ttl: Duration::from_secs(20),
        reverse_window: Duration::from_secs(7 * 24 * 3600),
        hang_for: Duration::from_secs(5),
        auto_unfreeze_after: Duration::from_secs(30 * 24 * 3600),
    }
}

pub(crate) struct Env {
    pub(crate) sandbox: SandboxHandle,
    pub(crate) creds: SandboxCredentials,
    pub(crate) client: CloudPayClient,
    pub(crate) http: reqwest::Client,
    seq: AtomicU32,
}

pub(crate) async fn start() -> Env {
    start_with(test_timings()).await
}

pub(crate) async fn start_with(timings: Timings) -> Env {
    start_config(SandboxConfig {
        timings,
        merchant: MerchantConfig {
            sign_private_key_pem: Some(fixture("test_sign_private_key.pem")),
            sign_public_key_pem: Some(fixture("test_sign_public_key.pem")),
            ..MerchantConfig::default()
        },
        sign_key: SignKeyMode::ConfiguredOnly,
        ..SandboxConfig::default()
    })
    .await
}

pub(crate) async fn start_config(config: SandboxConfig) -> Env {
    let sandbox = Sandbox::start(config).await.unwrap();
    let creds = sandbox.credentials();
    let client = CloudPayClient::new(creds.client_config(), creds.secrets()).unwrap();
    Env {
        sandbox,
        creds,
        client,
        http: plain_http(),
        seq: AtomicU32::new(0),
    }
}

impl Env {
    pub(crate) fn config_for(&self, shop: &str, device: &str) -> CloudPayConfig {
        let mut c = self.creds.client_config();
        c.out_shop_id = shop.to_owned();
        c.device_id = device.to_owned();
        c
    }

    /// A client of the same merchant on another device (and shop).
    pub(crate) fn client_for(&self, shop: &str, device: &str) -> CloudPayClient {
        CloudPayClient::new(self.config_for(shop, device), self.creds.secrets()).unwrap()
    }

    /// A client with a custom request timeout.
    pub(crate) fn client_with_timeout(&self, request_ms: u64) -> CloudPayClient {
        let mut c = self.creds.client_config();
        c.timeouts.request_ms = request_ms;
        CloudPayClient::new(c, self.creds.secrets()).unwrap()
    }

    /// A client that RSA-signs refunds and reverses.
    pub(crate) fn signing_client(&self) -> CloudPayClient {
        CloudPayClient::new(
            self.creds.client_config(),
            self.creds.signing_secrets().unwrap(),
        )
        .unwrap()
    }

    /// A client with a wrong authen_key.
    pub(crate) fn wrong_key_client(&self) -> CloudPayClient {
        CloudPayClient::new(self.creds.client_config(), Secrets::new("not-the-key")).unwrap()
    }

    pub(crate) fn order_no(&self) -> OrderNo {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        OrderNo::parse(&format!("{}T{n:06}", self.creds.order_prefix)).unwrap()
    }

    pub(crate) fn refund_no(&self) -> RefundNo {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        RefundNo::parse(&format!("{}R{n:06}", self.creds.order_prefix)).unwrap()
    }

    pub(crate) fn pay(&self, code: &str, fen: i64) -> PayRequest {
        self.pay_as(&self.order_no(), code, fen)
    }

    pub(crate) fn pay_as(&self, no: &OrderNo, code: &str, fen: i64) -> PayRequest {
        PayRequest {
            order_no: no.clone(),
            code: CodeTable::default().classify(code).unwrap(),
            amount: Money::from_fen(fen),
            body: "沙箱测试-商品".into(),
            remark: String::new(),
            staff_id: None,
        }
    }

    /// A control URL on an address still listening (failover tests stop the first).
    pub(crate) fn control(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.control_url())
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        self.http
            .get(self.control(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.control(path))
            .json(body)
            .send()
            .await
            .unwrap();
        let code = r.status().as_u16();
        (code, r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn ledger(&self) -> Value {
        self.get("ledger").await
    }

    /// The ledger's record of an order (the primary one).
    pub(crate) async fn order(&self, no: &OrderNo) -> Value {
        self.ledger().await["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["out_trade_no"] == no.as_str() && o["duplicate"] == false)
            .cloned()
            .unwrap_or(Value::Null)
    }
}
