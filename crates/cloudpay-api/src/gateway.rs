//! `impl PaymentGateway for CloudPayClient`: the port the terminal's use cases call.

use async_trait::async_trait;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::ports::{
    CloudListKind, CloudListQuery, CloudPage, GatewayError, PayOutcome, PayRequest, PaymentGateway,
    QueryOutcome, RefundOutcome, RefundRequest, ReverseOutcome,
};
use cloudpos_domain::{OrderNo, RefundNo, Timestamp};

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

    async fn query_refund(&self, order_no: &OrderNo, refund_no: &RefundNo) -> RefundOutcome {
        let req = self.query_refund_request(order_no, Some(refund_no), new_nonce());
        mapping::query_refund_outcome(self.query_refund_wire(&req).await, refund_no.as_str())
    }

    async fn list(&self, query: &CloudListQuery) -> Result<CloudPage, GatewayError> {
        let kind = match query.kind {
            CloudListKind::Orders => query_order_type::ORDERS,
            CloudListKind::Refunds => query_order_type::REFUNDS,
            CloudListKind::Both => query_order_type::BOTH,
        };
        let req = self.order_detail_request(
            query.from,
            query.to,
            kind,
            query.page.max(1),
            query.page_size,
            new_nonce(),
        );
        mapping::cloud_page(self.order_detail_wire(&req).await)
    }

    async fn ping(&self) -> Result<Timestamp, GatewayError> {
        self.ping_raw()
            .await
            .map(|p| Timestamp::from_unix_seconds(p.timestamp))
    }
}
