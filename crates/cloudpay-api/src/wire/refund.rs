//! The refund structures: `refund` and `query_refund_order` (§6.5–§6.6).

#[allow(unused_imports)]
use super::*;

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
