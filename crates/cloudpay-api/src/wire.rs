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

/// The `/cpay/` endpoint names.
pub mod endpoint {
    /// Pay with the customer's payment code.
    pub const MICRO_PAY: &str = "micro_pay";
    /// Query a payment order.
    pub const QUERY_ORDER: &str = "query_order";
    /// Apply for a (partial) refund.
    pub const REFUND: &str = "refund";
    /// Query refunds of an order.
    pub const QUERY_REFUND_ORDER: &str = "query_refund_order";
    /// Cancel (撤单) a payment-code order.
    pub const REVERSE: &str = "reverse";
    /// Close an unpaid order.
    pub const CLOSE_ORDER: &str = "close_order";
    /// Paged listing of orders and refunds.
    pub const CLIENT_ORDER_DETAIL: &str = "client_order_detail";
    /// Server clock (bare answer, no envelope).
    pub const PING: &str = "ping";
    /// Sandbox extension: create an approval challenge.
    pub const X_CREATE_APPROVAL: &str = "x_create_approval";
    /// Sandbox extension: poll an approval challenge.
    pub const X_QUERY_APPROVAL: &str = "x_query_approval";
    /// Sandbox extension: consume an approved challenge (once).
    pub const X_CONSUME_APPROVAL: &str = "x_consume_approval";

    /// The name of the operation object in a `response_content` for an endpoint
    /// (`client_order_detail` answers with `order_detail_query`; the others use their own
    /// name).
    #[must_use]
    pub fn response_object(endpoint: &str) -> &str {
        match endpoint {
            CLIENT_ORDER_DETAIL => "order_detail_query",
            other => other,
        }
    }
}

/// Envelope `status` values (§4).
pub mod status {
    /// Call succeeded; read the business state.
    pub const SUCCESS: i64 = 0;
    /// Unknown / internal error; no MAC; retry the same request.
    pub const INTERNAL_ERROR: i64 = 3;
    /// Failed; no MAC; fix the call (e.g. a wrong authen_code).
    pub const REJECTED: i64 = 101;
    /// Failed; retry with a new order number.
    pub const FAILED_NEW_NUMBER: i64 = 102;
    /// Unknown; wait 3 s, then retry or query.
    pub const UNKNOWN: i64 = 103;
    /// Failed; act on the description (with internal 407 on `micro_pay`: anti-reentry).
    pub const FAILED: i64 = 104;

    /// `internal_status` of a `micro_pay` blocked by anti-reentry: never reverse.
    pub const INTERNAL_ANTI_REENTRY: i64 = 407;
    /// `internal_status` of a wrong `authen_code` (with status 101).
    pub const INTERNAL_BAD_AUTHEN_CODE: i64 = 7;
    /// `internal_status` the sandbox uses for "no such order / refund" (status 104). The
    /// real service's value is not published; the client also recognises the wording.
    pub const INTERNAL_NOT_FOUND: i64 = 2004;

    /// Whether a response with this status must carry a MAC (§1.5: all but 3 and 101).
    #[must_use]
    pub const fn requires_mac(status: i64) -> bool {
        !matches!(status, INTERNAL_ERROR | REJECTED)
    }
}

/// `PayPlatform` (§3.5).
pub mod pay_platform {
    /// WeChat Pay.
    pub const WECHAT: i32 = 1;
    /// Alipay.
    pub const ALIPAY: i32 = 2;
    /// Cloud Pay member card.
    pub const MEMBER_CARD: i32 = 3;
}

/// `SubPayPlatform` (§3.5).
pub mod sub_pay_platform {
    /// WeChat Pay.
    pub const WECHAT: i32 = 100;
    /// Alipay.
    pub const ALIPAY: i32 = 200;
    /// Cloud Pay member card.
    pub const MEMBER_CARD: i32 = 300;
}

/// `TradeType` values used here.
pub mod trade_type {
    /// 刷卡 / micropay (payment code).
    pub const MICROPAY: i32 = 1;
    /// 一码支付: the customer scanned the shop's printed QR code.
    pub const ONE_CODE: i32 = 8;
}

/// `WxpayOrderState`.
pub mod wx_state {
    /// Initial.
    pub const INITIAL: i32 = 1;
    /// Micropay success.
    pub const SUCCESS: i32 = 2;
    /// Unified order paid.
    pub const UNIFIED_PAID: i32 = 3;
    /// Transferred to refund (was paid).
    pub const REFUND: i32 = 4;
    /// Micropay: the customer stopped paying.
    pub const NOT_PAY: i32 = 5;
    /// Unified order waiting for payment.
    pub const WAITING: i32 = 6;
    /// Unified order closed.
    pub const CLOSED: i32 = 7;
    /// Micropay reversed (撤单).
    pub const REVOKED: i32 = 8;
    /// Micropay: the user is paying (USERPAYING).
    pub const USER_PAYING: i32 = 9;
    /// Micropay payment error.
    pub const PAY_ERROR: i32 = 10;
    /// Void (exists locally, not upstream).
    pub const VOID: i32 = 11;
    /// Accepted, being processed.
    pub const ACCEPTED: i32 = 12;
    /// Deposit unfrozen.
    pub const DEPOSIT_UNFROZEN: i32 = 13;
    /// Deposit consumed.
    pub const DEPOSIT_CONSUMED: i32 = 14;
}

/// `AlipayOrderState`.
pub mod ali_state {
    /// Initial.
    pub const INITIAL: i32 = 1;
    /// Success.
    pub const SUCCESS: i32 = 2;
    /// Waiting for the buyer.
    pub const WAIT_BUYER_PAY: i32 = 4;
    /// Closed or refunded.
    pub const CLOSED: i32 = 5;
    /// Finished (no refund possible).
    pub const FINISHED: i32 = 6;
    /// The order does not exist.
    pub const NOT_EXIST: i32 = 7;
}

/// `CardOrderState`.
pub mod card_state {
    /// Initial.
    pub const INITIAL: i32 = 1;
    /// Success.
    pub const SUCCESS: i32 = 2;
    /// Waiting.
    pub const WAITING: i32 = 3;
    /// Refunded.
    pub const REFUNDED: i32 = 4;
    /// Closed.
    pub const CLOSED: i32 = 5;
}

/// Refund states (`WxpayRefundOrderState`; Alipay and card share 1–4 meanings).
pub mod refund_state {
    /// Initial.
    pub const INITIAL: i32 = 1;
    /// Success.
    pub const SUCCESS: i32 = 2;
    /// Failed.
    pub const FAILED: i32 = 3;
    /// Processing.
    pub const PROCESSING: i32 = 4;
    /// WeChat: refund to card failed, money back to the sub-merchant (manual handling);
    /// Alipay: the order does not exist.
    pub const TRANSFERRED: i32 = 5;
    /// WeChat: void.
    pub const VOID: i32 = 6;
}

/// `QueryOrderType` of `client_order_detail`.
pub mod query_order_type {
    /// Orders only.
    pub const ORDERS: i32 = 1;
    /// Refunds only.
    pub const REFUNDS: i32 = 2;
    /// Both.
    pub const BOTH: i32 = 3;
}

/// `authen_type` of HMAC-SHA256.
pub const AUTHEN_TYPE_HMAC_SHA256: i32 = 1;
/// `sign_type` of RSASSA-PSS-2048-SHA256.
pub const SIGN_TYPE_RSA_PSS_SHA256: i32 = 1;
/// The only currency.
pub const CNY: &str = "CNY";

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

// ───────────────────────────── refunds ─────────────────────────────

/// `wx_pay_refund_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WxRefundContentExt {
    /// `REFUND_SOURCE_UNSETTLED_FUNDS` (default) or `REFUND_SOURCE_RECHARGE_FUNDS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_account: Option<String>,
}

/// `refund_content` (§6.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefundContent {
    /// The order refunded.
    pub out_trade_no: String,
    /// This refund's number (a new one per partial refund; the same on retries).
    pub out_refund_no: String,
    /// The original order amount, fen.
    pub total_fee: i64,
    /// This refund, fen.
    pub refund_fee: i64,
    /// `CNY`.
    pub refund_fee_type: String,
    /// Reason (≤ 64 chars).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
    /// Client serial number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_refund_flow_id: Option<String>,
    /// Deposit mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_freeze_no: Option<String>,
    /// WeChat refund source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wx_pay_refund_content_ext: Option<WxRefundContentExt>,
}

/// `refund` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefundRequest {
    /// Merchant keys (+ operator fields with `api_version` 2).
    pub pay_mch_key: PayMchKey,
    /// What to refund.
    pub refund_content: RefundContent,
    /// Who asks.
    pub order_client: OrderClient,
    /// 1 (default): no operator check; 2: check `is_sub_admin` / `authorization_staff_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<i32>,
    /// Nonce.
    pub nonce_str: String,
}

/// `wxpay_refund_order_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WxRefundOrderContentExt {
    /// [`refund_state`].
    pub state: i32,
    /// Cash refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash_refund_fee: Option<i64>,
    /// Settlement refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement_refund_fee: Option<i64>,
    /// Coupon refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_refund_fee: Option<i64>,
    /// Coupons refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_refund_count: Option<i64>,
    /// Refund source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_account: Option<String>,
    /// ORIGINAL | BALANCE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_channel: Option<String>,
    /// Where the money went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_recv_account: Option<String>,
}

/// `alipay_refund_order_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AliRefundOrderContentExt {
    /// [`refund_state`] (`AlipayRefundOrderState`).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_i32_lenient"
    )]
    pub refund_status: Option<i32>,
    /// "Y" when funds moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fund_change: Option<String>,
    /// Refund time, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_refund_pay: Option<i64>,
}

/// `card_refund_order_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CardRefundOrderContentExt {
    /// 1 initial, 2 success, 3 failed.
    pub state: i32,
}

/// `refund_order_content` (RefundOrderContent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefundOrderContent {
    /// Merchant refund number.
    pub out_refund_no: String,
    /// Upstream refund id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    /// The order.
    pub out_trade_no: String,
    /// [`trade_type`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<i32>,
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
    /// Created, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    /// Last change, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<i64>,
    /// Still processing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_transforming: Option<bool>,
    /// The order amount, fen.
    pub total_fee: i64,
    /// This refund, fen.
    pub refund_fee: i64,
    /// `CNY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_fee_type: Option<String>,
    /// Reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
    /// When it succeeded, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_success_time: Option<i64>,
    /// WeChat state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wxpay_refund_order_content_ext: Option<WxRefundOrderContentExt>,
    /// Alipay state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alipay_refund_order_content_ext: Option<AliRefundOrderContentExt>,
    /// Member-card state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_refund_order_content_ext: Option<CardRefundOrderContentExt>,
}

/// `refund` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefundResponse {
    /// Merchant keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_mch_key: Option<PayMchKey>,
    /// The refund.
    pub refund_order_content: RefundOrderContent,
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
}

/// `query_refund_order` request (§6.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryRefundOrderRequest {
    /// Merchant keys.
    pub pay_mch_key: PayMchKey,
    /// Who asks.
    pub order_client: OrderClient,
    /// The order.
    pub out_trade_no: String,
    /// One refund (all of the order's refunds when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_refund_no: Option<String>,
    /// Nonce.
    pub nonce_str: String,
}

/// `query_refund_order` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryRefundOrderResponse {
    /// Merchant keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_mch_key: Option<PayMchKey>,
    /// The refunds (an array; a single object is also read).
    #[serde(deserialize_with = "de_one_or_many")]
    pub refund_order_content: Vec<RefundOrderContent>,
    /// The clients (an array in the published example).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_client: Option<Value>,
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

// ───────────────────────────── client_order_detail ─────────────────────────────

/// `client_order_detail` request (§6.8; flat, no `pay_mch_key`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientOrderDetailRequest {
    /// Only this wallet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_platform: Option<i32>,
    /// Sub-merchant (required; selects the key).
    pub out_sub_mch_id: String,
    /// Scope: a shop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_shop_id: Option<String>,
    /// Scope: a clerk (with a shop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
    /// Scope: a device (with a shop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// [`query_order_type`] (default 3).
    pub query_order_type: i32,
    /// Start, Unix seconds (inclusive).
    pub start_time: i64,
    /// End, Unix seconds (inclusive in the sandbox; the real service does not say).
    pub end_time: i64,
    /// Page, from 1.
    pub page_num: u32,
    /// Page size.
    pub page_size: u32,
    /// Nonce.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nonce_str: String,
}

/// `shop_info` of a listed record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShopInfo {
    /// Shop id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_shop_id: Option<String>,
    /// Shop name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop_name: Option<String>,
}

/// `shop_staff_info` of a listed record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShopStaffInfo {
    /// Staff id.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_string_or_number"
    )]
    pub staff_id: Option<String>,
    /// Staff name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_name: Option<String>,
}

/// A listed payment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReceiptOrder {
    /// Merchant keys of the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_mch: Option<PayMchKey>,
    /// The order (with `refunded_fee`).
    pub order_content: OrderContent,
    /// The client that charged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_client: Option<OrderClient>,
    /// Per-record authentication (not verified by this crate; the envelope is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authen_info: Option<AuthenInfo>,
}

/// A listed refund.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReceiptRefundOrder {
    /// Merchant keys of the refund.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_order_mch: Option<PayMchKey>,
    /// The refund.
    pub refund_order_content: RefundOrderContent,
    /// The client that asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_client: Option<OrderClient>,
    /// Per-record authentication (not verified by this crate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authen_info: Option<AuthenInfo>,
}

/// `receipt`: exactly one of `order` / `refund_order`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Receipt {
    /// A payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<ReceiptOrder>,
    /// A refund.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_order: Option<ReceiptRefundOrder>,
}

/// One entry of `order_details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderDetail {
    /// The shop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop_info: Option<ShopInfo>,
    /// The clerk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop_staff_info: Option<ShopStaffInfo>,
    /// The record.
    pub receipt: Receipt,
}

/// `order_detail_query`: the response object of `client_order_detail`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderDetailQuery {
    /// Matches over all pages.
    pub total_count: u64,
    /// This page.
    pub order_details: Vec<OrderDetail>,
}

// ───────────────────────────── approvals (sandbox extension) ─────────────────────────────

/// What a manager approves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    /// A QR login of a staff member on this terminal.
    Login,
    /// A refund of a given amount on a given order.
    Refund,
}

/// Where an approval challenge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// Nobody approved yet.
    Pending,
    /// Approved; may be consumed once.
    Approved,
    /// Not consumed in time.
    Expired,
    /// Consumed.
    Used,
}

/// `x_create_approval` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateApprovalRequest {
    /// Merchant keys.
    pub pay_mch_key: PayMchKey,
    /// Who asks.
    pub order_client: OrderClient,
    /// `login` or `refund`.
    pub kind: String,
    /// Refund: the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// Refund: the amount, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Nonce.
    pub nonce_str: String,
}

/// `x_create_approval` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalTicket {
    /// The challenge token.
    pub token: String,
    /// The page a manager opens (shown as a QR code).
    pub approve_url: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
}

/// `x_query_approval` / `x_consume_approval` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalTokenRequest {
    /// Merchant keys.
    pub pay_mch_key: PayMchKey,
    /// Who asks (must be the device that created the challenge).
    pub order_client: OrderClient,
    /// The challenge token.
    pub token: String,
    /// Nonce.
    pub nonce_str: String,
}

/// `x_query_approval` / `x_consume_approval` response object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalStatus {
    /// The challenge token.
    pub token: String,
    /// Where it stands.
    pub status: ApprovalState,
    /// What it approves.
    pub kind: ApprovalKind,
    /// Who approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
    /// The approver's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_name: Option<String>,
    /// Refund: the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// Refund: the amount, fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
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
