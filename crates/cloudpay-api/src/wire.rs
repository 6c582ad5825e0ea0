//! Serde types for every Cloud Pay structure this crate sends or reads (protocol notes §1–§6).
//!
//! Field names are the wire names. Optional fields are omitted when `None` (the protocol
//! says "omit a field you do not set"), and the field order of each struct is the order of
//! the published examples, so the documented `micro_pay` example serialises byte for byte.
//! Response-side structs are lenient (`#[serde(default)]`): the real service adds fields and
//! omits others, and a strict parse of an answer would turn a paid order into an unknown
//! one. Numbers are `i64` fen and Unix seconds throughout.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

mod approval;
mod codes;
mod listing;
mod refund;

pub use approval::*;
pub use codes::*;
pub use listing::*;
pub use refund::*;

// ───────────────────────────── envelope ─────────────────────────────

/// `authen_info.a`: the HMAC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    /// 1 = HMAC-SHA256.
    pub authen_type: i32,
    /// Upper-case hex HMAC-SHA256 over the exact content string.
    pub authen_code: String,
}

/// `authen_info.s`: the RSA signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// 1 = RSASSA-PSS-2048-SHA256.
    pub sign_type: i32,
    /// Standard Base64 of the signature. Older samples call the field `signature`; both
    /// are read.
    #[serde(alias = "signature")]
    pub sign: String,
}

/// `authen_info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenInfo {
    /// The HMAC ("认证码").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<Authentication>,
    /// The RSA signature ("签名").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s: Option<Signature>,
}

/// The outer request body: `request_content` is JSON serialised *into a string*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEnvelope {
    /// The inner request document, as the exact string that was authenticated.
    pub request_content: String,
    /// HMAC and/or signature over `request_content`.
    pub authen_info: AuthenInfo,
}

/// The outer response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseEnvelope {
    /// The inner response document, as a string.
    pub response_content: String,
    /// Absent for statuses 3 and 101.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authen_info: Option<AuthenInfo>,
}

/// The common fields of every `response_content`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseHeader {
    /// Envelope status (see [`status`]).
    pub status: i64,
    /// Human-readable description (often `操作成功。`).
    pub description: String,
    /// Server log id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_id: Option<i64>,
    /// Debug status; meaningful only as 407 (anti-reentry) and 7 (bad MAC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_status: Option<i64>,
}

/// The bare answer of `ping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingResponse {
    /// "ok".
    #[serde(default)]
    pub description: String,
    /// 0.
    pub status: i64,
    /// Server time, Unix seconds.
    #[serde(default)]
    pub timestamp: i64,
}

// ───────────────────────────── common structures ─────────────────────────────

/// `pay_mch_key` (§3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PayMchKey {
    /// [`pay_platform`]; optional on `query_order`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_platform: Option<i32>,
    /// [`sub_pay_platform`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_pay_platform: Option<i32>,
    /// Service provider.
    pub out_mch_id: String,
    /// Sub-merchant.
    pub out_sub_mch_id: String,
    /// Shop.
    pub out_shop_id: String,
    /// Refund only (`api_version` 2): whether the operator is the sub-merchant admin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_sub_admin: Option<bool>,
    /// Refund only: the staff member who authorised it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_staff_id: Option<String>,
    /// Refund only: the authoriser's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_name: Option<String>,
    /// Upstream WeChat mapping (response side).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wxpay_pay_mch_key_ext: Option<Value>,
    /// Upstream Alipay mapping (response side).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alipay_pay_mch_key_ext: Option<Value>,
}

/// `order_client` (§3.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderClient {
    /// Terminal id (one published sample sends a number; both are read).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_string_or_number"
    )]
    pub device_id: Option<String>,
    /// Clerk id (optional in the current API).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_string_or_number"
    )]
    pub staff_id: Option<String>,
    /// 1 Windows, 2 Android, 3 iOS, 4 Linux, 100 other.
    pub terminal_type: i32,
    /// Terminal brand code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_terminal_type: Option<i32>,
    /// Unique code of the cashier machine (required by `micro_pay`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine_no: Option<String>,
    /// Client SDK version, e.g. "1.0".
    pub sdk_version: String,
    /// Caller IPv4 address.
    pub spbill_create_ip: String,
    /// Device serial (only for devices configured through Cloud Pay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sn_code: Option<String>,
}

/// `wxpay_pay_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WxpayPayContentExt {
    /// Merchant data returned as is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Coupon tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goods_tag: Option<String>,
    /// Product id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// `no_credit` forbids credit cards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_pay: Option<String>,
}

/// `pay_content` (§3.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PayContent {
    /// Merchant order number (starts with the order prefix, ≤ 32 chars).
    pub out_trade_no: String,
    /// The scanned payment code. Spelled `author_code`, not `auth_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_code: Option<String>,
    /// Amount in fen.
    pub total_fee: i64,
    /// `CNY`.
    pub fee_type: String,
    /// Goods description.
    pub body: String,
    /// JSON serialised to a string (goods detail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Remark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Client serial number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_flow_id: Option<String>,
    /// Per-order callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_notify_url: Option<String>,
    /// Expiry, Unix seconds (not used by micro_pay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<i64>,
    /// WeChat-only fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wxpay_pay_content_ext: Option<WxpayPayContentExt>,
    /// Alipay-only fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alipay_pay_content_ext: Option<Value>,
}

/// One coupon of an order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CouponInfo {
    /// Coupon id.
    pub coupon_id: String,
    /// Amount in fen.
    pub coupon_fee: i64,
    /// CASH / NO_CASH.
    pub coupon_type: String,
    /// 1 merchant, 2 platform, 3 other.
    pub contribute_type: i32,
}

/// `wxpay_order_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WxpayOrderContentExt {
    /// [`wx_state`].
    pub current_trade_state: i32,
    /// Merchant data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Paying bank, e.g. "CFT".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_type: Option<String>,
    /// Coupon tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goods_tag: Option<String>,
    /// Coupon amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_fee: Option<i64>,
    /// Coupon count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_count: Option<i64>,
    /// Product id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// Prepay id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepare_id: Option<String>,
    /// Description of the trade state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_state_desc: Option<String>,
    /// Payment limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_pay: Option<String>,
    /// The payer's openid under the sub-merchant's app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_open_id: Option<String>,
}

/// One fund source of an Alipay order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FundBill {
    /// e.g. ALIPAYACCOUNT.
    pub fund_channel: String,
    /// Amount in fen.
    pub amount: i64,
    /// Real amount in fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_amount: Option<i64>,
}

/// `alipay_order_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlipayOrderContentExt {
    /// [`ali_state`].
    pub current_trade_state: i32,
    /// Fund sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fund_bill_list: Option<Vec<FundBill>>,
    /// Masked buyer account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_logon_id: Option<String>,
    /// Discountable amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discountable_amount: Option<i64>,
    /// Undiscountable amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undiscountable_amount: Option<i64>,
    /// Points used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point_amount: Option<i64>,
    /// Invoice amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_amount: Option<i64>,
    /// Refund time, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_refund: Option<i64>,
    /// Close time, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_close: Option<i64>,
    /// Amount refunded, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_fee: Option<i64>,
}

/// `card_order_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CardOrderContentExt {
    /// [`card_state`].
    pub current_trade_state: i32,
    /// Membership number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_number: Option<String>,
}

/// `order_content` (§3.4, response only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderContent {
    /// Merchant order number.
    pub out_trade_no: String,
    /// Upstream transaction id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// [`trade_type`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<i32>,
    /// The payment code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_code: Option<String>,
    /// QR URL (scan pay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_url: Option<String>,
    /// Expiry, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<i64>,
    /// Paid at, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_end: Option<i64>,
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
    /// Created at, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    /// Last change, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<i64>,
    /// The system is still processing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_transforming: Option<bool>,
    /// Amount in fen.
    pub total_fee: i64,
    /// `CNY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_type: Option<String>,
    /// Cash paid, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash_fee: Option<i64>,
    /// Cash currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash_fee_type: Option<String>,
    /// Settlement amount, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement_total_fee: Option<i64>,
    /// Amount refunded, fen (only returned by `client_order_detail`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunded_fee: Option<i64>,
    /// Goods description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Goods detail (JSON string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Remark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Coupons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_infos: Option<Vec<CouponInfo>>,
    /// WeChat details and state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wxpay_order_content_ext: Option<WxpayOrderContentExt>,
    /// Alipay details and state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alipay_order_content_ext: Option<AlipayOrderContentExt>,
    /// Member-card details and state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_order_content_ext: Option<CardOrderContentExt>,
    /// Bookkeeping details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_order_content_ext: Option<Value>,
}

// ───────────────────────────── micro_pay / query_order ─────────────────────────────

/// `micro_pay` request (§6.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MicroPayRequest {
    /// Merchant keys and wallet.
    pub pay_mch_key: PayMchKey,
    /// What to charge.
    pub pay_content: PayContent,
    /// Who charges.
    pub order_client: OrderClient,
    /// Nonce.
    pub nonce_str: String,
}

/// `micro_pay` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MicroPayResponse {
    /// Merchant keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_mch_key: Option<PayMchKey>,
    /// The order.
    pub order_content: OrderContent,
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
}

/// `query_order` request (§6.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryOrderRequest {
    /// Merchant keys (`pay_platform` optional).
    pub pay_mch_key: PayMchKey,
    /// Who asks.
    pub order_client: OrderClient,
    /// The order.
    pub out_trade_no: String,
    /// [`trade_type`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<i32>,
    /// Nonce.
    pub nonce_str: String,
}

/// `query_order` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryOrderResponse {
    /// Merchant keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_mch_key: Option<PayMchKey>,
    /// The order.
    pub order_content: OrderContent,
    /// The client that paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_client: Option<OrderClient>,
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
}

// ───────────────────────────── reverse / close ─────────────────────────────

/// `reverse` request (§6.7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReverseRequest {
    /// Merchant keys.
    pub pay_mch_key: PayMchKey,
    /// Who asks (must be the device that charged).
    pub order_client: OrderClient,
    /// The order.
    pub out_trade_no: String,
    /// Nonce.
    pub nonce_str: String,
}

/// `reverse` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReverseResponse {
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
}

/// `close_order` request (§6.6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CloseOrderRequest {
    /// Merchant keys.
    pub pay_mch_key: PayMchKey,
    /// Who asks.
    pub order_client: OrderClient,
    /// The order.
    pub out_trade_no: String,
    /// [`trade_type`].
    pub trade_type: i32,
    /// Nonce.
    pub nonce_str: String,
}

/// `close_order` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CloseOrderResponse {
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
}

// ───────────────────────────── lenient readers ─────────────────────────────

fn de_opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected a string or a number, found {other}"
            )));
        }
    })
}

fn de_opt_i32_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64().and_then(|v| i32::try_from(v).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

fn de_one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RefundOrderContent>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<RefundOrderContent>),
        One(Box<RefundOrderContent>),
        Null(()),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(one) => vec![*one],
        OneOrMany::Null(()) => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_id_may_be_a_number() {
        let c: OrderClient =
            serde_json::from_str(r#"{"device_id":824,"terminal_type":1}"#).unwrap();
        assert_eq!(c.device_id.as_deref(), Some("824"));
    }

    #[test]
    fn refund_list_reads_one_or_many() {
        let one: QueryRefundOrderResponse = serde_json::from_str(
            r#"{"refund_order_content":{"out_refund_no":"r1","out_trade_no":"o","total_fee":2,"refund_fee":1}}"#,
        )
        .unwrap();
        assert_eq!(one.refund_order_content.len(), 1);
        let many: QueryRefundOrderResponse = serde_json::from_str(
            r#"{"refund_order_content":[{"out_refund_no":"r1"},{"out_refund_no":"r2"}]}"#,
        )
        .unwrap();
        assert_eq!(many.refund_order_content.len(), 2);
    }

    #[test]
    fn signature_field_has_two_names() {
        let a: Signature = serde_json::from_str(r#"{"sign_type":1,"sign":"AA=="}"#).unwrap();
        let b: Signature = serde_json::from_str(r#"{"sign_type":1,"signature":"AA=="}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"sign_type":1,"sign":"AA=="}"#
        );
    }

    #[test]
    fn mac_rules_follow_the_status_table() {
        assert!(status::requires_mac(0));
        assert!(status::requires_mac(102));
        assert!(status::requires_mac(103));
        assert!(status::requires_mac(104));
        assert!(!status::requires_mac(3));
        assert!(!status::requires_mac(101));
    }
}
