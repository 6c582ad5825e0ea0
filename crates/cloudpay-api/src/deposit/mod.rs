//! Deposits (押金, protocol notes §11): the wire types ([`wire`]), the request builders
//! ([`requests`]), the pure reply mapping ([`mapping`]) and the
//! [`DepositGateway`](cloudpos_domain::ports::DepositGateway) port on [`CloudPayClient`].
//!
//! The calls travel like every other: HMAC-authenticated envelopes, answers verified before
//! they are believed, failover only for a request that could not have been sent. The refund
//! after a consume is the ordinary `refund` with `out_freeze_no`, RSA-signed like any refund
//! when a private key is configured.

pub mod mapping;
pub mod requests;
pub mod wire;

use async_trait::async_trait;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::ports::{
    CloudDepositPage, ConsumeOutcome, ConsumeRequest, DepositGateway, DepositListKind,
    DepositListQuery, FreezeOutcome, FreezeQueryOutcome, FreezeRequest, GatewayError,
    RefundOutcome, RefundRequest, UnfreezeOutcome, UnfreezeRequest,
};
use cloudpos_domain::{FreezeNo, UnfreezeNo};

use crate::client::{CloudPayClient, Reply, new_nonce};
use wire::endpoint;

impl CloudPayClient {
    /// `micro_freeze` on the wire.
    pub async fn micro_freeze_wire(
        &self,
        req: &wire::MicroFreezeRequest,
    ) -> Reply<wire::MicroFreezeResponse> {
        self.call(endpoint::MICRO_FREEZE, req, false).await
    }

    /// `query_freeze_order` on the wire.
    pub async fn query_freeze_wire(
        &self,
        req: &wire::QueryFreezeOrderRequest,
    ) -> Reply<wire::QueryFreezeOrderResponse> {
        self.call(endpoint::QUERY_FREEZE_ORDER, req, false).await
    }

    /// `deposit_consume` on the wire.
    pub async fn deposit_consume_wire(
        &self,
        req: &wire::DepositConsumeRequest,
    ) -> Reply<wire::DepositConsumeResponse> {
        self.call(endpoint::DEPOSIT_CONSUME, req, false).await
    }

    /// `unfreeze` on the wire.
    pub async fn unfreeze_wire(
        &self,
        req: &wire::UnfreezeRequest,
    ) -> Reply<wire::UnfreezeResponse> {
        self.call(endpoint::UNFREEZE, req, false).await
    }

    /// `query_unfreeze_order` on the wire.
    pub async fn query_unfreeze_wire(
        &self,
        req: &wire::QueryUnfreezeOrderRequest,
    ) -> Reply<wire::QueryUnfreezeOrderResponse> {
        self.call(endpoint::QUERY_UNFREEZE_ORDER, req, false).await
    }

    /// `query_order_list` on the wire.
    pub async fn order_list_wire(
        &self,
        req: &wire::QueryOrderListRequest,
    ) -> Reply<wire::QueryOrderListResponse> {
        self.call(endpoint::QUERY_ORDER_LIST, req, false).await
    }
}

#[async_trait]
impl DepositGateway for CloudPayClient {
    async fn micro_freeze(&self, request: &FreezeRequest) -> FreezeOutcome {
        let req = self.micro_freeze_request(request, new_nonce());
        mapping::freeze_outcome(self.micro_freeze_wire(&req).await)
    }

    async fn query_freeze(&self, no: &FreezeNo, wallet: Wallet) -> FreezeQueryOutcome {
        let req = self.query_freeze_request(no, wallet, new_nonce());
        let c = self.config();
        mapping::freeze_query_outcome(
            self.query_freeze_wire(&req).await,
            &c.out_shop_id,
            &c.device_id,
        )
    }

    async fn deposit_consume(&self, request: &ConsumeRequest) -> ConsumeOutcome {
        let req = self.deposit_consume_request(request, new_nonce());
        mapping::consume_outcome(self.deposit_consume_wire(&req).await)
    }

    async fn unfreeze(&self, request: &UnfreezeRequest) -> UnfreezeOutcome {
        let req = self.unfreeze_request(request, new_nonce());
        mapping::unfreeze_outcome(self.unfreeze_wire(&req).await)
    }

    async fn query_unfreeze(
        &self,
        freeze_no: &FreezeNo,
        wallet: Wallet,
        unfreeze_no: &UnfreezeNo,
    ) -> UnfreezeOutcome {
        let req = self.query_unfreeze_request(freeze_no, wallet, Some(unfreeze_no), new_nonce());
        mapping::query_unfreeze_outcome(self.query_unfreeze_wire(&req).await, unfreeze_no.as_str())
    }

    async fn deposit_refund(&self, request: &RefundRequest, freeze_no: &FreezeNo) -> RefundOutcome {
        let req = self.deposit_refund_request(request, freeze_no, new_nonce());
        crate::mapping::refund_outcome(self.refund_wire(&req).await)
    }

    async fn list_deposits(
        &self,
        query: &DepositListQuery,
    ) -> Result<CloudDepositPage, GatewayError> {
        let order_type = match query.kind {
            DepositListKind::Freezes => wire::order_type::FREEZE,
            DepositListKind::Unfreezes => wire::order_type::UNFREEZE,
        };
        let req = self.order_list_request(
            query.from,
            query.to,
            order_type,
            query.page.max(1),
            query.page_size,
            new_nonce(),
        );
        mapping::deposit_page(self.order_list_wire(&req).await)
    }
}
