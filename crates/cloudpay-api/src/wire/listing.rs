//! The shop's order listing: `client_order_detail` (§6.8).

#[allow(unused_imports)]
use super::*;

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
