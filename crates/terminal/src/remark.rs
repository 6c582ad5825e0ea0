//! Order remarks (备注) edited after the payment: by the order's clerk or a manager, audited.

use cloudpos_domain::clerk::Permission;
use cloudpos_domain::order::Order;
use cloudpos_domain::order_no::OrderNo;

use crate::{Event, Result, Terminal, TerminalError};

impl Terminal {
    /// Replaces an order's remark (备注, key E of the order list): any clerk on their own
    /// orders, managers on every order. Only final payments are edited, so the payment
    /// loop never writes over the new text. Audited.
    pub async fn set_order_remark(&self, no: &OrderNo, remark: &str) -> Result<Order> {
        let (_, me) = self.current_clerk().await?;
        let remark = remark.trim();
        if remark.chars().count() > 200 {
            return Err(TerminalError::Invalid(
                "a remark has at most 200 characters".into(),
            ));
        }
        if remark.chars().any(char::is_control) {
            return Err(TerminalError::Invalid(
                "a remark is one line of text".into(),
            ));
        }
        let ledger = &self.inner.ports.ledger;
        let mut order = ledger
            .order(no)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("order {no}")))?;
        if order.clerk_id != me.id && !me.may(Permission::SeeAllSummaries) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} may edit only their own orders' remarks",
                me.id
            )));
        }
        if !order.state.is_final() {
            return Err(TerminalError::Invalid(format!(
                "order {no} is still {}; edit the remark once the payment is final",
                order.state
            )));
        }
        let before = order.remark.clone();
        order.remark = remark.to_owned();
        order.updated_at = self.now();
        ledger.update_order(&order, order.state).await?;
        self.audit(
            me.id.as_str(),
            "order_remark",
            serde_json::json!({"order": no.as_str(), "was": before, "now": order.remark}),
        )
        .await?;
        self.emit(Event::Order(order.clone()));
        Ok(order)
    }
}
