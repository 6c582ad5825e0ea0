//! The protocol's codes and names: endpoints, statuses, wallets, trade types and states (§1–§6).

#[allow(unused_imports)]
use super::*;

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
