//! Reading orders: one order, asked about once more when its payment is not final, and
//! lists of them.

use cloudpos_domain::order::Order;
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::ports::{OrderFilter, Page};

use crate::{Result, Terminal, TerminalError};

impl Terminal {
    /// One order; if its payment is not final yet, asks Cloud Pay once and records the answer.
    pub async fn query(&self, no: &OrderNo) -> Result<Order> {
        let mut order = self
            .inner
            .ports
            .ledger
            .order(no)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("order {no}")))?;
        if !order.state.is_final()
            && let Ok(gateway) = self.gateway()
        {
            let q = gateway.query_order(&order.no, order.method.wallet()).await;
            self.apply_query(&mut order, q).await?;
        }
        Ok(order)
    }

    /// Orders matching a filter, newest first.
    pub async fn orders(&self, filter: &OrderFilter) -> Result<Page<Order>> {
        Ok(self.inner.ports.ledger.orders(filter).await?)
    }
}
