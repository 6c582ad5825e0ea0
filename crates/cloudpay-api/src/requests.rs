//! The request builders: every `request_content` this crate sends, as pure functions of the
//! client's settings and the call's arguments (no I/O, the nonce passed in), so tests can
//! reproduce the exact bytes.
//!
//! ## Audit against the protocol notes' field tables
//! Each builder sends every field the notes mark required (§3.1 `pay_mch_key`, §3.2
//! `order_client`, §3.3 `pay_content`, §6.1–§6.8 per endpoint, §1.2 `nonce_str`). Where a
//! required value cannot be known here, the builder says so at the field. In short:
//! - `pay_mch_key.pay_platform` (+ `sub_pay_platform`, which must agree) is required on every
//!   trade call except `query_order` (§3.1). `micro_pay` takes it from the code, `refund` and
//!   `query_refund_order` from the order's wallet, `query_order`, `reverse` and `close_order`
//!   from the wallet the caller passes (the terminal always knows it for a wallet payment).
//! - `order_client`: `device_id`, `terminal_type`, `machine_no`, `sdk_version`,
//!   `spbill_create_ip` on every call (required on `micro_pay`; the other calls accept them),
//!   `staff_id` when known (optional in S-NEW, §3.2). `sub_terminal_type` and `sn_code`
//!   are omitted: Cloud Pay assigns the first and requires the second only of terminals bound
//!   through its device configuration (§3.2, §11.10), which CloudPOS does not use.
//! - String limits (`String(n)`) are read as UTF-8 bytes, the stricter reading: `body` (128),
//!   `remark` (127) and `refund_reason` (64) are clipped at a character boundary.

use cloudpos_domain::code::Wallet;
use cloudpos_domain::ports::{PayRequest, RefundRequest};
use cloudpos_domain::{Money, OrderNo, RefundNo, Timestamp};

use crate::client::{CloudPayClient, clip, pay_platform, sub_pay_platform};
use crate::wire;

/// `pay_content.body`: String(128) (§3.3).
pub const MAX_BODY: usize = 128;
/// `pay_content.remark`: String(127) (§3.3).
pub const MAX_REMARK: usize = 127;
/// `refund_content.refund_reason`: String(64) (§6.4).
pub const MAX_REFUND_REASON: usize = 64;

impl CloudPayClient {
    /// `pay_mch_key` for this terminal: the three ids, and `pay_platform` with the matching
    /// `sub_pay_platform` when the wallet is known (§3.1).
    #[must_use]
    pub fn pay_mch_key(&self, wallet: Option<Wallet>) -> wire::PayMchKey {
        let c = self.config();
        wire::PayMchKey {
            pay_platform: wallet.map(pay_platform),
            sub_pay_platform: wallet.map(sub_pay_platform),
            out_mch_id: c.out_mch_id.clone(),
            out_sub_mch_id: c.out_sub_mch_id.clone(),
            out_shop_id: c.out_shop_id.clone(),
            ..wire::PayMchKey::default()
        }
    }

    /// `order_client` for this terminal; `staff_id` falls back to the configured default.
    /// `sub_terminal_type` and `sn_code` are left out (see the module notes: values only
    /// Cloud Pay's device configuration hands out, §3.2).
    #[must_use]
    pub fn order_client(&self, staff_id: Option<&str>) -> wire::OrderClient {
        let c = self.config();
        wire::OrderClient {
            device_id: Some(c.device_id.clone()),
            staff_id: staff_id.map(str::to_owned).or_else(|| c.staff_id.clone()),
            terminal_type: c.terminal_type,
            sub_terminal_type: None,
            machine_no: Some(c.machine_no.clone()),
            sdk_version: c.sdk_version.clone(),
            spbill_create_ip: c.spbill_create_ip.clone(),
            sn_code: None,
        }
    }

    /// The `micro_pay` request for a charge (§6.1): `pay_platform` from the code's wallet,
    /// `body` and `remark` clipped to their limits, `machine_no` always sent.
    #[must_use]
    pub fn micro_pay_request(&self, request: &PayRequest, nonce: String) -> wire::MicroPayRequest {
        let wallet = request.code.wallet();
        let remark = Some(clip(&request.remark, MAX_REMARK)).filter(|r| !r.is_empty());
        wire::MicroPayRequest {
            pay_mch_key: self.pay_mch_key(Some(wallet)),
            pay_content: wire::PayContent {
                out_trade_no: request.order_no.as_str().to_owned(),
                author_code: Some(request.code.as_str().to_owned()),
                total_fee: request.amount.fen(),
                fee_type: wire::CNY.to_owned(),
                body: clip(&request.body, MAX_BODY),
                remark,
                ..wire::PayContent::default()
            },
            order_client: self.order_client(request.staff_id.as_deref()),
            nonce_str: nonce,
        }
    }

    /// The `query_order` request (§6.3). `pay_platform` is optional here and sent when the
    /// wallet is known; `trade_type` 1 (micropay) is sent because the older text requires it.
    #[must_use]
    pub fn query_order_request(
        &self,
        order_no: &OrderNo,
        wallet: Option<Wallet>,
        nonce: String,
    ) -> wire::QueryOrderRequest {
        wire::QueryOrderRequest {
            pay_mch_key: self.pay_mch_key(wallet),
            order_client: self.order_client(None),
            out_trade_no: order_no.as_str().to_owned(),
            trade_type: Some(wire::trade_type::MICROPAY),
            nonce_str: nonce,
        }
    }

    /// The `reverse` request (§6.7; no `trade_type`). `pay_platform` is required (§3.1):
    /// pass the order's wallet. With `None` it cannot be known here and is left out, and a
    /// strict Cloud Pay refuses the call (status 101); the terminal always passes it.
    #[must_use]
    pub fn reverse_request(
        &self,
        order_no: &OrderNo,
        wallet: Option<Wallet>,
        nonce: String,
    ) -> wire::ReverseRequest {
        wire::ReverseRequest {
            pay_mch_key: self.pay_mch_key(wallet),
            order_client: self.order_client(None),
            out_trade_no: order_no.as_str().to_owned(),
            nonce_str: nonce,
        }
    }

    /// The `refund` request (§6.4): the order's wallet, `total_fee` = the order's amount,
    /// `refund_reason` clipped to 64 bytes. `api_version` is left out (1: Cloud Pay does
    /// not check the operator's refund permission; the terminal does), so the operator
    /// fields `is_sub_admin` / `authorization_staff_id` that version 2 requires (§3.1) are
    /// not sent.
    #[must_use]
    pub fn refund_request(&self, request: &RefundRequest, nonce: String) -> wire::RefundRequest {
        let reason = Some(clip(&request.reason, MAX_REFUND_REASON)).filter(|r| !r.is_empty());
        wire::RefundRequest {
            pay_mch_key: self.pay_mch_key(Some(request.wallet)),
            refund_content: wire::RefundContent {
                out_trade_no: request.order_no.as_str().to_owned(),
                out_refund_no: request.refund_no.as_str().to_owned(),
                total_fee: request.order_amount.fen(),
                refund_fee: request.amount.fen(),
                refund_fee_type: wire::CNY.to_owned(),
                refund_reason: reason,
                ..wire::RefundContent::default()
            },
            order_client: self.order_client(request.staff_id.as_deref()),
            api_version: None,
            nonce_str: nonce,
        }
    }

    /// The `query_refund_order` request (§6.5) of the order paid with `wallet`:
    /// `pay_platform` / `sub_pay_platform` are the order's (§3.1: required on every call but
    /// `query_order`). `refund_no` `None` asks for all of the order's refunds (the answer is
    /// an array); the gateway always names the refund it follows.
    #[must_use]
    pub fn query_refund_request(
        &self,
        order_no: &OrderNo,
        wallet: Wallet,
        refund_no: Option<&RefundNo>,
        nonce: String,
    ) -> wire::QueryRefundOrderRequest {
        wire::QueryRefundOrderRequest {
            pay_mch_key: self.pay_mch_key(Some(wallet)),
            order_client: self.order_client(None),
            out_trade_no: order_no.as_str().to_owned(),
            out_refund_no: refund_no.map(|r| r.as_str().to_owned()),
            nonce_str: nonce,
        }
    }

    /// The `close_order` request (§6.6; `trade_type` required: 1). `pay_platform` as for
    /// [`CloudPayClient::reverse_request`]: required, left out only when `wallet` is `None`.
    #[must_use]
    pub fn close_order_request(
        &self,
        order_no: &OrderNo,
        wallet: Option<Wallet>,
        nonce: String,
    ) -> wire::CloseOrderRequest {
        wire::CloseOrderRequest {
            pay_mch_key: self.pay_mch_key(wallet),
            order_client: self.order_client(None),
            out_trade_no: order_no.as_str().to_owned(),
            trade_type: wire::trade_type::MICROPAY,
            nonce_str: nonce,
        }
    }

    /// The `client_order_detail` request for this shop and device (§6.8, flat): every
    /// wallet (`pay_platform` omitted) and every clerk (`staff_id` omitted), the window in
    /// Unix seconds, pages from 1. `nonce_str` is marked optional there but required by §1.2
    /// for every request, so it is always sent.
    #[must_use]
    pub fn order_detail_request(
        &self,
        from: Timestamp,
        to: Timestamp,
        query_order_type: i32,
        page_num: u32,
        page_size: u32,
        nonce: String,
    ) -> wire::ClientOrderDetailRequest {
        let c = self.config();
        wire::ClientOrderDetailRequest {
            pay_platform: None,
            out_sub_mch_id: c.out_sub_mch_id.clone(),
            out_shop_id: Some(c.out_shop_id.clone()),
            staff_id: None,
            device_id: Some(c.device_id.clone()),
            query_order_type,
            start_time: from.unix_seconds(),
            end_time: to.unix_seconds(),
            page_num,
            page_size,
            nonce_str: nonce,
        }
    }

    /// The `x_create_approval` request (sandbox extension): the envelope of a trade call
    /// (`pay_mch_key` without a wallet, which a login has not; `order_client`; `nonce_str`),
    /// `kind`, and for a refund the order and the amount.
    #[must_use]
    pub fn create_approval_request(
        &self,
        kind: wire::ApprovalKind,
        order_no: Option<&OrderNo>,
        amount: Option<Money>,
        nonce: String,
    ) -> wire::CreateApprovalRequest {
        let kind_text = match kind {
            wire::ApprovalKind::Login => "login",
            wire::ApprovalKind::Refund => "refund",
        };
        wire::CreateApprovalRequest {
            pay_mch_key: self.pay_mch_key(None),
            order_client: self.order_client(None),
            kind: kind_text.to_owned(),
            out_trade_no: order_no.map(|o| o.as_str().to_owned()),
            amount: amount.map(Money::fen),
            nonce_str: nonce,
        }
    }

    /// The `x_query_approval` / `x_consume_approval` request (sandbox extension).
    #[must_use]
    pub fn approval_token_request(&self, token: &str, nonce: String) -> wire::ApprovalTokenRequest {
        wire::ApprovalTokenRequest {
            pay_mch_key: self.pay_mch_key(None),
            order_client: self.order_client(None),
            token: token.to_owned(),
            nonce_str: nonce,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_whole_characters() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "abc");
        // 商 is three bytes: 4 bytes of "商品" keep one character.
        assert_eq!(clip("商品", 4), "商");
        assert_eq!(clip("商品", 2), "");
        assert_eq!(clip(&"货".repeat(60), MAX_BODY).len(), 126);
    }
}
