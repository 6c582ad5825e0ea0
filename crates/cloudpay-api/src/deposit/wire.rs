//! Serde types of the deposit calls (protocol notes §11): `micro_freeze`,
//! `query_freeze_order`, `deposit_consume`, `unfreeze`, `query_unfreeze_order` and the
//! `query_order_list` listing. The envelope, `pay_mch_key` and `order_client` are the
//! common ones of [`crate::wire`]; the refund after a consume is the ordinary `refund` with
//! `refund_content.out_freeze_no`.
//!
//! As in [`crate::wire`], optional fields are omitted when `None`, and response-side structs
//! are lenient (`#[serde(default)]`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::wire::{OrderClient, OrderContent, PayMchKey, WxpayPayContentExt};

/// The deposit endpoint names (`/cpay/<name>`); each answers with an object of its own name.
pub mod endpoint {
    /// Freeze by payment code (刷卡押金冻结).
    pub const MICRO_FREEZE: &str = "micro_freeze";
    /// Read one freeze.
    pub const QUERY_FREEZE_ORDER: &str = "query_freeze_order";
    /// Take money from a freeze.
    pub const DEPOSIT_CONSUME: &str = "deposit_consume";
    /// Release what a freeze holds.
    pub const UNFREEZE: &str = "unfreeze";
    /// Read the releases of a freeze.
    pub const QUERY_UNFREEZE_ORDER: &str = "query_unfreeze_order";
    /// Multi-condition listing (freezes: `order_type` 4, releases: 5).
    pub const QUERY_ORDER_LIST: &str = "query_order_list";
    /// Every deposit endpoint.
    pub const ALL: [&str; 6] = [
        MICRO_FREEZE,
        QUERY_FREEZE_ORDER,
        DEPOSIT_CONSUME,
        UNFREEZE,
        QUERY_UNFREEZE_ORDER,
        QUERY_ORDER_LIST,
    ];
}

/// `WxpayFreezeOrderState` (§11.6).
pub mod wx_freeze_state {
    /// Initial.
    pub const INITIAL: i32 = 1;
    /// Frozen (success).
    pub const FROZEN: i32 = 2;
    /// Waiting for the user to pay (USERPAYING).
    pub const USER_PAYING: i32 = 3;
    /// The customer stopped paying.
    pub const NOT_PAY: i32 = 4;
    /// Fully unfrozen or fully consumed.
    pub const FINISHED: i32 = 5;
    /// Pay error.
    pub const PAY_ERROR: i32 = 6;
    /// Exists locally, not upstream.
    pub const VOID: i32 = 7;
}

/// `AlipayFreezeOrderState` (§11.6).
pub mod ali_freeze_state {
    /// Initial (Alipay has no "waiting" value: the customer is confirming).
    pub const INITIAL: i32 = 1;
    /// Frozen (success).
    pub const FROZEN: i32 = 2;
    /// Closed, or fully unfrozen / consumed.
    pub const CLOSED: i32 = 3;
    /// The order does not exist.
    pub const NOT_EXIST: i32 = 4;
}

/// `Wxpay/AlipayUnfreezeOrderState` (§11.6).
pub mod unfreeze_state {
    /// Initial.
    pub const INITIAL: i32 = 1;
    /// Success.
    pub const SUCCESS: i32 = 2;
    /// Failed.
    pub const FAILED: i32 = 3;
    /// Not upstream.
    pub const NOT_UPSTREAM: i32 = 4;
    /// Alipay: does not exist.
    pub const NOT_EXIST: i32 = 5;
}

/// `query_order_list` `order_type` (§11.8).
pub mod order_type {
    /// Payments.
    pub const PAY: i32 = 1;
    /// Refunds.
    pub const REFUND: i32 = 2;
    /// Both.
    pub const ALL: i32 = 3;
    /// Freezes.
    pub const FREEZE: i32 = 4;
    /// Releases.
    pub const UNFREEZE: i32 = 5;
}

// ───────────────────────────── micro_freeze / query_freeze_order ─────────────────────────────

/// `freeze_content.wxpay_freeze_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WxpayFreezeContentExt {
    /// Merchant data (String(127)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Coupon tag (String(32)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goods_tag: Option<String>,
    /// `no_credit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_pay: Option<String>,
}

/// `freeze_content.alipay_freeze_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlipayFreezeContentExt {
    /// Channels allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_pay_channels: Option<String>,
}

/// `freeze_content` (§11.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FreezeContent {
    /// Merchant deposit number (String(32)).
    pub out_freeze_no: String,
    /// The scanned payment code (String(256)).
    pub author_code: String,
    /// Amount to freeze, fen.
    pub freeze_fee: i64,
    /// `CNY`.
    pub fee_type: String,
    /// Description (String(128)).
    pub body: String,
    /// JSON serialised to a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Remark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// WeChat-only fields (at most one ext, matching the wallet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wxpay_freeze_content_ext: Option<WxpayFreezeContentExt>,
    /// Alipay-only fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alipay_freeze_content_ext: Option<AlipayFreezeContentExt>,
}

/// `micro_freeze` request (§11.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MicroFreezeRequest {
    /// Merchant keys and wallet (`pay_platform` required).
    pub pay_mch_key: PayMchKey,
    /// What to freeze.
    pub freeze_content: FreezeContent,
    /// Who freezes (`device_id`, `terminal_type`, `machine_no`, `sdk_version`,
    /// `spbill_create_ip` required).
    pub order_client: OrderClient,
    /// Nonce.
    pub nonce_str: String,
}

/// `wxpay_freeze_order_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WxpayFreezeOrderContentExt {
    /// [`wx_freeze_state`].
    pub current_trade_state: i32,
    /// Merchant data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Paying bank, e.g. "CFT".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_type: Option<String>,
    /// Description of the state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_state_desc: Option<String>,
    /// Payment limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_pay: Option<String>,
    /// Coupon tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goods_tag: Option<String>,
}

/// `alipay_freeze_order_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlipayFreezeOrderContentExt {
    /// [`ali_freeze_state`].
    pub current_trade_state: i32,
    /// Product code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_code: Option<String>,
    /// Channels allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_pay_channels: Option<String>,
    /// Settlement currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settle_fee_type: Option<String>,
}

/// `freeze_order_content` (FreezeOrderContent, §11.6; response only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FreezeOrderContent {
    /// Merchant deposit number.
    pub out_freeze_no: String,
    /// Upstream authorisation number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freeze_id: Option<String>,
    /// 1 for `micro_freeze`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<i32>,
    /// The payment code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_code: Option<String>,
    /// Expiry, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<i64>,
    /// Frozen at, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_end: Option<i64>,
    /// Created, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    /// Last change, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<i64>,
    /// Still processing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_transforming: Option<bool>,
    /// Amount frozen, fen.
    pub freeze_fee: i64,
    /// Cash frozen, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash_fee: Option<i64>,
    /// `CNY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_type: Option<String>,
    /// Cash currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash_fee_type: Option<String>,
    /// Settlement amount, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement_total_fee: Option<i64>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Detail (JSON string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Remark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Consumed so far, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_consume_fee: Option<i64>,
    /// Released by `unfreeze` (and, in the sandbox, the rest released at a consume), fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_manual_unfreeze_fee: Option<i64>,
    /// Released by the wallet itself (30 days), fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_auto_unfreeze_fee: Option<i64>,
    /// Refunded after a consume, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_refund_fee: Option<i64>,
    /// WeChat state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wxpay_freeze_order_content_ext: Option<WxpayFreezeOrderContentExt>,
    /// Alipay state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alipay_freeze_order_content_ext: Option<AlipayFreezeOrderContentExt>,
}

/// `micro_freeze` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MicroFreezeResponse {
    /// The freeze.
    pub freeze_order_content: FreezeOrderContent,
    /// Merchant keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_mch_key: Option<PayMchKey>,
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
}

/// `query_freeze_order` request (§11.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryFreezeOrderRequest {
    /// Merchant keys (`pay_platform` and the three ids required).
    pub pay_mch_key: PayMchKey,
    /// Who asks (`terminal_type`, `sdk_version`, `spbill_create_ip` required).
    pub order_client: OrderClient,
    /// The freeze.
    pub out_freeze_no: String,
    /// Nonce.
    pub nonce_str: String,
}

/// `query_freeze_order` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryFreezeOrderResponse {
    /// The freeze.
    pub freeze_order_content: FreezeOrderContent,
    /// Merchant keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_mch_key: Option<PayMchKey>,
    /// The client that froze (a single object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_client: Option<OrderClient>,
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
}

// ───────────────────────────── deposit_consume ─────────────────────────────

/// `deposit_consume`'s `pay_content` (§11.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumeContent {
    /// The new order's number (order prefix, String(32)).
    pub out_trade_no: String,
    /// Amount taken, fen.
    pub total_fee: i64,
    /// `CNY`.
    pub fee_type: String,
    /// Description (String(128)).
    pub body: String,
    /// Detail (JSON string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Remark (String(127)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Expiry, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<i64>,
    /// The freeze consumed.
    pub out_freeze_no: String,
    /// Release the rest now (WeChat: must be `true`).
    pub is_confirm_unfreeze: bool,
    /// WeChat-only fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wxpay_pay_content_ext: Option<WxpayPayContentExt>,
}

/// `deposit_consume` request (§11.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DepositConsumeRequest {
    /// Merchant keys (the three ids; no `pay_platform`: the freeze decides the wallet).
    pub pay_mch_key: PayMchKey,
    /// What to take.
    pub pay_content: ConsumeContent,
    /// Who takes it.
    pub order_client: OrderClient,
    /// Nonce.
    pub nonce_str: String,
}

/// The consume's `order_content`: an ordinary order with the deposit fields (§11.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumeOrderContent {
    /// The order fields.
    #[serde(flatten)]
    pub order: OrderContent,
    /// The freeze consumed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_freeze_no: Option<String>,
    /// The freeze's amount, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freeze_fee: Option<i64>,
    /// `true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_deposit_mode: Option<bool>,
    /// Whether the rest was released.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_confirm_unfreeze: Option<bool>,
    /// What this consume released, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual_unfreeze_fee: Option<i64>,
    /// The upstream authorisation number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freeze_id: Option<String>,
}

/// `deposit_consume` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DepositConsumeResponse {
    /// The paid order the consume created.
    pub order_content: ConsumeOrderContent,
    /// Merchant keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_mch_key: Option<PayMchKey>,
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
}

// ───────────────────────────── unfreeze / query_unfreeze_order ─────────────────────────────

/// `unfreeze_content` (§11.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnfreezeContent {
    /// The freeze.
    pub out_freeze_no: String,
    /// This release's number (new per release).
    pub out_unfreeze_no: String,
    /// Amount released, fen.
    pub unfreeze_fee: i64,
    /// Remark (String(128)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `unfreeze` request (§11.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnfreezeRequest {
    /// Merchant keys, `pay_platform`, and the refund-permission fields `is_sub_admin` /
    /// `authorization_staff_id` (always required).
    pub pay_mch_key: PayMchKey,
    /// What to release.
    pub unfreeze_content: UnfreezeContent,
    /// Who releases it.
    pub order_client: OrderClient,
    /// Nonce.
    pub nonce_str: String,
}

/// `wxpay_unfreeze_order_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WxpayUnfreezeOrderContentExt {
    /// [`unfreeze_state`].
    pub current_trade_state: i32,
}

/// `alipay_unfreeze_order_content_ext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlipayUnfreezeOrderContentExt {
    /// [`unfreeze_state`].
    pub current_trade_state: i32,
    /// Credit released, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_amount: Option<i64>,
    /// Funds released, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fund_amount: Option<i64>,
    /// Pre-authorisation type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_auth_type: Option<String>,
}

/// `unfreeze_order_content` (UnfreezeOrderContent, §11.6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnfreezeOrderContent {
    /// The freeze.
    pub out_freeze_no: String,
    /// The release.
    pub out_unfreeze_no: String,
    /// Upstream release id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfreeze_id: Option<String>,
    /// Trade type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<i32>,
    /// Done at, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_end: Option<i64>,
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
    /// Amount released, fen.
    pub unfreeze_fee: i64,
    /// `CNY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_type: Option<String>,
    /// Remark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// The upstream authorisation number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freeze_id: Option<String>,
    /// WeChat state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wxpay_unfreeze_order_content_ext: Option<WxpayUnfreezeOrderContentExt>,
    /// Alipay state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alipay_unfreeze_order_content_ext: Option<AlipayUnfreezeOrderContentExt>,
}

/// `unfreeze` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnfreezeResponse {
    /// Merchant keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_mch_key: Option<PayMchKey>,
    /// The release.
    pub unfreeze_order_content: UnfreezeOrderContent,
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
}

/// `query_unfreeze_order` request (§11.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryUnfreezeOrderRequest {
    /// Merchant keys (`pay_platform` required).
    pub pay_mch_key: PayMchKey,
    /// Who asks.
    pub order_client: OrderClient,
    /// The freeze.
    pub out_freeze_no: String,
    /// One release (every release of the freeze when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_unfreeze_no: Option<String>,
    /// Nonce.
    pub nonce_str: String,
}

/// `query_unfreeze_order` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryUnfreezeOrderResponse {
    /// Merchant keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_mch_key: Option<PayMchKey>,
    /// The releases (an array; a single object is also read).
    #[serde(deserialize_with = "de_one_or_many")]
    pub unfreeze_order_content: Vec<UnfreezeOrderContent>,
    /// The clients (an array).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_client: Option<Value>,
    /// Nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
}

// ───────────────────────────── query_order_list ─────────────────────────────

/// `query_order_list` request (§11.8; flat, no `pay_mch_key`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryOrderListRequest {
    /// Sub-merchant (required; selects the key).
    pub out_sub_mch_id: String,
    /// Only these wallets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_pay_platforms: Option<Vec<i32>>,
    /// Scope: a shop (required with `staff_id` / `device_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_shop_id: Option<String>,
    /// Scope: a clerk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
    /// Scope: a device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Scope: a fixed QR code (with a shop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qrcode_id: Option<String>,
    /// [`order_type`].
    pub order_type: i32,
    /// Trade type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<i32>,
    /// 1 created, 2 updated (default 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_filter: Option<i32>,
    /// 0 successes only (default), 1 all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    /// Start, Unix seconds.
    pub start_time: i64,
    /// End, Unix seconds.
    pub end_time: i64,
    /// Page, from 1.
    pub page_num: u32,
    /// Page size.
    pub page_size: u32,
    /// Nonce.
    pub nonce_str: String,
}

/// A listed freeze (flat row).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FreezeListRow {
    /// Merchant deposit number.
    pub out_freeze_no: String,
    /// Upstream authorisation number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freeze_id: Option<String>,
    /// Amount frozen, fen.
    pub freeze_fee: i64,
    /// Consumed, fen.
    pub total_consume_fee: i64,
    /// Released by `unfreeze`, fen.
    pub total_manual_unfreeze_fee: i64,
    /// Released by the wallet, fen.
    pub total_auto_unfreeze_fee: i64,
    /// Refunded after a consume, fen.
    pub total_refund_fee: i64,
    /// Created, Unix seconds.
    pub create_time: i64,
    /// Frozen at, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_end: Option<i64>,
    /// WeChat state ([`wx_freeze_state`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wxpay_current_trade_state: Option<i32>,
    /// Alipay state ([`ali_freeze_state`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alipay_current_trade_state: Option<i32>,
    /// Shop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_shop_id: Option<String>,
    /// Clerk.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_string_or_number"
    )]
    pub staff_id: Option<String>,
    /// Device.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_string_or_number"
    )]
    pub device_id: Option<String>,
}

/// A listed release (flat row).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnfreezeListRow {
    /// The freeze.
    pub out_freeze_no: String,
    /// The release.
    pub out_unfreeze_no: String,
    /// Upstream release id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfreeze_id: Option<String>,
    /// Amount released, fen.
    pub unfreeze_fee: i64,
    /// Created, Unix seconds.
    pub create_time: i64,
    /// Done at, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_end: Option<i64>,
    /// WeChat state ([`unfreeze_state`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wxpay_current_trade_state: Option<i32>,
    /// Alipay state ([`unfreeze_state`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alipay_current_trade_state: Option<i32>,
    /// Shop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_shop_id: Option<String>,
    /// Clerk.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_string_or_number"
    )]
    pub staff_id: Option<String>,
    /// Device.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_string_or_number"
    )]
    pub device_id: Option<String>,
}

/// One entry of `order_details`: exactly one of the four.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderListDetail {
    /// A payment (not read by this crate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Value>,
    /// A refund (not read by this crate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_order: Option<Value>,
    /// A freeze.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freeze_order: Option<FreezeListRow>,
    /// A release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfreeze_order: Option<UnfreezeListRow>,
}

/// `query_order_list` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryOrderListResponse {
    /// Matches over all pages.
    pub total_count: u64,
    /// This page.
    pub order_details: Vec<OrderListDetail>,
}

fn de_one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<UnfreezeOrderContent>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<UnfreezeOrderContent>),
        One(Box<UnfreezeOrderContent>),
        Null(()),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(one) => vec![*one],
        OneOrMany::Null(()) => Vec::new(),
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consume_order_reads_the_deposit_fields_beside_the_order() {
        let r: DepositConsumeResponse = serde_json::from_str(
            r#"{"order_content":{"out_trade_no":"o1","transaction_id":"t","total_fee":1,
                "out_freeze_no":"f1","freeze_fee":10,"is_deposit_mode":true,
                "is_confirm_unfreeze":true,"manual_unfreeze_fee":9,"freeze_id":"t",
                "wxpay_order_content_ext":{"current_trade_state":14}}}"#,
        )
        .unwrap();
        assert_eq!(r.order_content.order.out_trade_no, "o1");
        assert_eq!(r.order_content.order.total_fee, 1);
        assert_eq!(r.order_content.manual_unfreeze_fee, Some(9));
        assert_eq!(
            r.order_content
                .order
                .wxpay_order_content_ext
                .as_ref()
                .map(|w| w.current_trade_state),
            Some(14)
        );
    }

    #[test]
    fn unfreeze_list_reads_one_or_many() {
        let one: QueryUnfreezeOrderResponse = serde_json::from_str(
            r#"{"unfreeze_order_content":{"out_freeze_no":"f","out_unfreeze_no":"u","unfreeze_fee":1}}"#,
        )
        .unwrap();
        assert_eq!(one.unfreeze_order_content.len(), 1);
        let many: QueryUnfreezeOrderResponse = serde_json::from_str(
            r#"{"unfreeze_order_content":[{"out_unfreeze_no":"a"},{"out_unfreeze_no":"b"}]}"#,
        )
        .unwrap();
        assert_eq!(many.unfreeze_order_content.len(), 2);
    }
}
