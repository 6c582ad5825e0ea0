//! `impl PaymentGateway for CloudPayClient`: the port the terminal's use cases call.

use async_trait::async_trait;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::ports::{
    Approval, ApprovalRequest, ApprovalState, ApprovalTicket, Approvals, CloudDomains,
    CloudListKind, CloudListQuery, CloudPage, GatewayError, PayOutcome, PayRequest, PaymentGateway,
    QueryOutcome, RefundOutcome, RefundRequest, ReverseOutcome,
};
use cloudpos_domain::{Money, OrderNo, RefundNo, Timestamp};

use crate::client::{CloudPayClient, new_nonce};
use crate::mapping;
use crate::wire::query_order_type;

#[async_trait]
impl PaymentGateway for CloudPayClient {
    async fn micro_pay(&self, request: &PayRequest) -> PayOutcome {
        let req = self.micro_pay_request(request, new_nonce());
        mapping::pay_outcome(self.micro_pay_wire(&req).await)
    }

    async fn query_order(&self, order_no: &OrderNo, wallet: Option<Wallet>) -> QueryOutcome {
        let req = self.query_order_request(order_no, wallet, new_nonce());
        mapping::query_outcome(self.query_order_wire(&req).await)
    }

    async fn reverse(&self, order_no: &OrderNo, wallet: Option<Wallet>) -> ReverseOutcome {
        let req = self.reverse_request(order_no, wallet, new_nonce());
        mapping::reverse_outcome(self.reverse_wire(&req).await)
    }

    async fn refund(&self, request: &RefundRequest) -> RefundOutcome {
        let req = self.refund_request(request, new_nonce());
        mapping::refund_outcome(self.refund_wire(&req).await)
    }

    async fn query_refund(
        &self,
        order_no: &OrderNo,
        wallet: Wallet,
        refund_no: &RefundNo,
    ) -> RefundOutcome {
        let req = self.query_refund_request(order_no, wallet, Some(refund_no), new_nonce());
        mapping::query_refund_outcome(self.query_refund_wire(&req).await, refund_no.as_str())
    }

    async fn list(&self, query: &CloudListQuery) -> Result<CloudPage, GatewayError> {
        let kind = match query.kind {
            CloudListKind::Orders => query_order_type::ORDERS,
            CloudListKind::Refunds => query_order_type::REFUNDS,
            CloudListKind::Both => query_order_type::BOTH,
        };
        let mut req = self.order_detail_request(
            query.from,
            query.to,
            kind,
            query.page.max(1),
            query.page_size,
            new_nonce(),
        );
        if query.shop_wide {
            // §6.8: the shop alone scopes the listing to the whole shop.
            req.device_id = None;
        }
        mapping::cloud_page(self.order_detail_wire(&req).await)
    }

    async fn ping(&self) -> Result<Timestamp, GatewayError> {
        self.ping_raw()
            .await
            .map(|p| Timestamp::from_unix_seconds(p.timestamp))
    }

    async fn domains(&self, probe: bool) -> CloudDomains {
        if probe {
            self.probe().await
        } else {
            self.domains_now()
        }
    }
}

/// Converts the wire form of a challenge to the domain's. The order and amount come from the
/// cloud's (authenticated) record, so the terminal can check they are the ones it asked for.
fn approval_of(s: crate::wire::ApprovalStatus) -> Result<Approval, GatewayError> {
    let request = match s.kind {
        crate::wire::ApprovalKind::Login => ApprovalRequest::Login,
        crate::wire::ApprovalKind::Refund => {
            let no = s.out_trade_no.as_deref().unwrap_or_default();
            ApprovalRequest::Refund {
                order_no: OrderNo::parse(no).map_err(|e| {
                    GatewayError::Unreachable(format!("unreadable approval (order number): {e}"))
                })?,
                amount: Money::from_fen(s.amount.unwrap_or(0)),
            }
        }
    };
    Ok(Approval {
        token: s.token,
        state: match s.status {
            crate::wire::ApprovalState::Pending => ApprovalState::Pending,
            crate::wire::ApprovalState::Approved => ApprovalState::Approved,
            crate::wire::ApprovalState::Expired => ApprovalState::Expired,
            crate::wire::ApprovalState::Used => ApprovalState::Used,
        },
        request,
        staff_id: s.staff_id,
        staff_name: s.staff_name,
        expires_at: Timestamp::from_unix_seconds(s.expires_at),
    })
}

#[async_trait]
impl Approvals for CloudPayClient {
    async fn create(&self, request: &ApprovalRequest) -> Result<ApprovalTicket, GatewayError> {
        let ticket = match request {
            ApprovalRequest::Login => {
                self.create_approval(crate::wire::ApprovalKind::Login, None, None)
                    .await?
            }
            ApprovalRequest::Refund { order_no, amount } => {
                self.create_approval(
                    crate::wire::ApprovalKind::Refund,
                    Some(order_no),
                    Some(*amount),
                )
                .await?
            }
        };
        Ok(ApprovalTicket {
            token: ticket.token,
            approve_url: ticket.approve_url,
            expires_at: Timestamp::from_unix_seconds(ticket.expires_at),
        })
    }

    async fn status(&self, token: &str) -> Result<Approval, GatewayError> {
        approval_of(self.approval_status(token).await?)
    }

    async fn consume(&self, token: &str) -> Result<Approval, GatewayError> {
        approval_of(self.consume_approval(token).await?)
    }
}
