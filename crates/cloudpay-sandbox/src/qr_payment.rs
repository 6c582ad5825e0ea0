//! `POST /sandbox/qr-payment`: a customer pays by scanning the shop's printed QR code
//! (一码支付). Not part of the Cloud Pay protocol: in production the payment happens between
//! the customer's phone and Cloud Pay; here a test or a demo plays the customer.
//!
//! Body `{"amount_fen": N, "wallet": "wechat"|"alipay"}`, optionally `"qr_code": ID` (the
//! printed code's id, `QR001` by default). The answer is the order as `/control/ledger` shows
//! it. The order is paid at once, belongs to the merchant's first shop, has trade type 8
//! and the QR code's id as its device id, and appears in `client_order_detail` for the shop
//! (and for the QR code's device id), never in a till's own device listing.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use cloudpay_api::wire::pay_platform;
use serde_json::{Map, Value, json};

use crate::ledger::{Ledger, Order, OrderState, Script};
use crate::server::{App, json_response};

/// The default printed QR code's id.
pub const DEFAULT_QR_CODE: &str = "QR001";
/// The largest amount accepted, fen (1,000,000 yuan).
pub const MAX_AMOUNT_FEN: i64 = 100_000_000;

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new().route("/sandbox/qr-payment", post(qr_payment))
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPayment {
    /// Amount, fen (1 to [`MAX_AMOUNT_FEN`]).
    pub amount_fen: i64,
    /// 1 WeChat, 2 Alipay.
    pub pay_platform: i32,
    /// The printed code's id.
    pub qr_code: String,
}

/// Checks a request body strictly: a JSON object with exactly the known fields, each of the
/// right type and range. The error names the field.
pub fn parse(body: &[u8]) -> Result<QrPayment, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let Value::Object(map) = value else {
        return Err("the body must be a JSON object".to_owned());
    };
    if let Some(k) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "amount_fen" | "wallet" | "qr_code"))
    {
        return Err(format!(
            "unknown field {k} (expected amount_fen, wallet and optionally qr_code)"
        ));
    }
    let amount_fen = required(&map, "amount_fen")?
        .as_i64()
        .filter(|n| (1..=MAX_AMOUNT_FEN).contains(n))
        .ok_or_else(|| {
            format!("amount_fen must be a whole number of fen from 1 to {MAX_AMOUNT_FEN}")
        })?;
    let pay_platform = match required(&map, "wallet")?.as_str() {
        Some("wechat") => pay_platform::WECHAT,
        Some("alipay") => pay_platform::ALIPAY,
        _ => return Err("wallet must be \"wechat\" or \"alipay\"".to_owned()),
    };
    let qr_code = match map.get("qr_code") {
        None => DEFAULT_QR_CODE.to_owned(),
        Some(v) => v
            .as_str()
            .filter(|s| {
                (1..=32).contains(&s.len())
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .ok_or("qr_code must be 1 to 32 letters, digits, - or _")?
            .to_owned(),
    };
    Ok(QrPayment {
        amount_fen,
        pay_platform,
        qr_code,
    })
}

fn required<'a>(map: &'a Map<String, Value>, field: &str) -> Result<&'a Value, String> {
    map.get(field)
        .filter(|v| !v.is_null())
        .ok_or_else(|| format!("missing field {field}"))
}

impl Ledger {
    /// Adds a paid one-code order for `shop` at `now_ms`; returns its index.
    pub fn add_qr_payment(
        &mut self,
        order_prefix: &str,
        shop: &str,
        p: &QrPayment,
        now_ms: i64,
    ) -> usize {
        let transaction_id = self.transaction_id(now_ms);
        self.seq += 1;
        let out_trade_no = format!("{order_prefix}qr{now_ms}{:06}", self.seq % 1_000_000);
        self.orders.push(Order {
            out_trade_no,
            author_code: String::new(),
            pay_platform: p.pay_platform,
            total_fee: p.amount_fen,
            fee_type: "CNY".to_owned(),
            body: "一码支付".to_owned(),
            remark: None,
            out_shop_id: shop.to_owned(),
            device_id: p.qr_code.clone(),
            staff_id: None,
            machine_no: None,
            state: OrderState::Paid,
            script: Script::Pay,
            failure: None,
            query_count: 0,
            created_ms: now_ms,
            paid_ms: Some(now_ms),
            updated_ms: now_ms,
            transaction_id,
            reversed_refund_fee: 0,
            auto_revoked: false,
            tombstone: false,
            duplicate: false,
            injected: false,
            refunded_override: None,
            fingerprint: String::new(),
            held: None,
            qr_code: Some(p.qr_code.clone()),
        });
        self.orders.len() - 1
    }
}

async fn qr_payment(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let p = match parse(&body) {
        Ok(p) => p,
        Err(message) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({ "error": message }).to_string(),
            );
        }
    };
    let m = &app.merchant;
    let Some(shop) = m.shops.first().map(|s| s.out_shop_id.clone()) else {
        return json_response(
            StatusCode::CONFLICT,
            json!({ "error": "the merchant has no shop" }).to_string(),
        );
    };
    let view = app.with_ledger(|l, now| {
        let i = l.add_qr_payment(&m.order_prefix, &shop, &p, now);
        crate::control::order_view(l, &l.orders[i])
    });
    json_response(
        StatusCode::OK,
        json!({ "ok": true, "order": view }).to_string(),
    )
}
