//! Void (撤销): cancelling a same-day payment in full by reversing it, as the 小通付 manual
//! describes. Needs the void permission, or a manager's password; audited. A payment that was
//! already partly refunded is refunded, not voided.

use cloudpos_domain::clerk::{Decision, Permission};
use cloudpos_domain::order::{Order, OrderState};
use cloudpos_domain::order_no::OrderNo;

use crate::{Authorization, Result, Terminal, TerminalError};

impl Terminal {
    /// Voids a paid order taken today (shop time): the money goes back to the customer.
    pub async fn void(
        &self,
        order_no: &OrderNo,
        authorization: Option<Authorization>,
    ) -> Result<Order> {
        self.ensure_not_halted().await?;
        let (_, clerk) = self.current_clerk().await?;
        let ledger = self.inner.ports.ledger.clone();
        let order = ledger
            .order(order_no)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("order {order_no}")))?;
        if order.state != OrderState::Paid {
            return Err(TerminalError::Invalid(format!(
                "order {order_no} is {}; only paid orders can be voided",
                order.state
            )));
        }
        if order.refunded.is_positive() || !ledger.refunds_of(order_no).await?.is_empty() {
            return Err(TerminalError::Invalid(format!(
                "order {order_no} has refunds; refund the rest instead of voiding"
            )));
        }
        let now = self.now();
        let offset = self.offset_seconds();
        if order.created_at.start_of_day(offset) != now.start_of_day(offset) {
            return Err(TerminalError::Invalid(format!(
                "order {order_no} is not from today; only same-day payments can be voided (refund it instead)"
            )));
        }
        if matches!(authorization, Some(Authorization::Approval { .. })) {
            return Err(TerminalError::Invalid(
                "a void is authorised with the manager's password".into(),
            ));
        }
        let authorized_by = if clerk.decide(Permission::Void) == Decision::Allowed {
            None
        } else {
            self.authorize(
                &clerk,
                Permission::Void,
                authorization.as_ref(),
                (order_no, order.amount),
            )
            .await?
        };
        self.audit(
            clerk.id.as_str(),
            "void",
            serde_json::json!({
                "order": order_no.as_str(),
                "amount_fen": order.amount.fen(),
                "authorized_by": authorized_by.as_ref().map(cloudpos_domain::clerk::ClerkId::as_str),
            }),
        )
        .await?;
        let mut order = order;
        let reason = format!("voided by {}", clerk.id);
        self.advance(&mut order, |o| o.begin_reverse(&reason, now))
            .await?;
        if order.method.is_local() {
            // Cash back from the drawer; a card payment back to the card (in the ledger's
            // transaction that records it reversed).
            self.advance(&mut order, |o| o.mark_reversed(now)).await?;
            self.push_member_credits().await;
            Ok(order)
        } else {
            let until = now.plus(self.policy().reverse_budget);
            self.reverse_until_acknowledged(order, until).await
        }
    }
}
