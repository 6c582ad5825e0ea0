//! One-time approvals from a manager's phone: QR login, and refund authorisation bound to
//! one order and one amount. The terminal shows a QR code of the challenge's URL; the cloud
//! records who approved it; the terminal consumes it exactly once and maps the approver (a
//! Cloud Pay staff id) to a local clerk, whose permissions decide.

use cloudpos_domain::clerk::{Clerk, Permission};
use cloudpos_domain::money::Money;
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::ports::{
    Approval, ApprovalRequest, ApprovalState, ApprovalTicket, Approvals, ClerkQuery,
};
use std::sync::Arc;

use crate::{LoginError, Result, Session, Terminal, TerminalError};

impl Terminal {
    fn approvals(&self) -> Result<Arc<dyn Approvals>> {
        self.inner
            .approvals
            .read()
            .ok()
            .and_then(|a| a.clone())
            .ok_or(TerminalError::NotConfigured)
    }

    /// Opens a challenge for a manager to approve this refund (this order, this amount).
    pub async fn request_refund_approval(
        &self,
        order_no: &OrderNo,
        amount: Money,
    ) -> Result<ApprovalTicket> {
        self.current_clerk().await?;
        // Refuse what the refund itself would refuse before troubling the manager.
        self.policy()
            .check_amount(amount, crate::AmountLimit::Refund)?;
        Ok(self
            .approvals()?
            .create(&ApprovalRequest::Refund {
                order_no: order_no.clone(),
                amount,
            })
            .await?)
    }

    /// Opens a QR login challenge.
    pub async fn start_qr_login(&self) -> Result<ApprovalTicket> {
        Ok(self.approvals()?.create(&ApprovalRequest::Login).await?)
    }

    /// Where a challenge stands.
    pub async fn approval(&self, token: &str) -> Result<Approval> {
        Ok(self.approvals()?.status(token).await?)
    }

    /// Completes a QR login once the challenge is approved: `Ok(None)` while still pending.
    pub async fn finish_qr_login(&self, token: &str) -> Result<Option<Session>> {
        let approvals = self.approvals()?;
        let status = approvals.status(token).await?;
        match status.state {
            ApprovalState::Pending => return Ok(None),
            ApprovalState::Expired => {
                return Err(TerminalError::Login(LoginError::QrExpired));
            }
            ApprovalState::Used => {
                return Err(TerminalError::Login(LoginError::QrUsed));
            }
            ApprovalState::Approved => {}
        }
        let used = approvals
            .consume(token)
            .await
            .map_err(|e| TerminalError::Login(LoginError::QrUnusable(e.to_string())))?;
        if used.request != ApprovalRequest::Login {
            return Err(TerminalError::Login(LoginError::NotALoginQr));
        }
        let clerk = self
            .clerk_for_staff(used.staff_id.as_deref())
            .await?
            .ok_or_else(|| {
                TerminalError::Login(LoginError::NoLinkedClerk(
                    used.staff_id.clone().unwrap_or_else(|| "?".to_owned()),
                ))
            })?;
        self.start_session(&clerk).await.map(Some)
    }

    /// Consumes a refund approval and returns the approving manager, after checking it
    /// approves exactly `order_no` and `amount` and that the approver may authorise refunds.
    pub(crate) async fn consume_refund_approval(
        &self,
        token: &str,
        order_no: &OrderNo,
        amount: Money,
    ) -> Result<Clerk> {
        let refused = |why: String| TerminalError::AuthorizationRefused(why);
        let approvals = self.approvals()?;
        let status = approvals.status(token).await?;
        match status.state {
            ApprovalState::Approved => {}
            ApprovalState::Pending => {
                return Err(refused("the manager has not approved yet".into()));
            }
            ApprovalState::Expired => {
                return Err(refused("the approval expired (5 minutes)".into()));
            }
            ApprovalState::Used => return Err(refused("the approval was already used".into())),
        }
        let wanted = ApprovalRequest::Refund {
            order_no: order_no.clone(),
            amount,
        };
        if status.request != wanted {
            return Err(refused(format!(
                "the approval is for {:?}, not a refund of {amount} on order {order_no}",
                status.request
            )));
        }
        let used = approvals
            .consume(token)
            .await
            .map_err(|e| refused(format!("the approval could not be used: {e}")))?;
        if used.request != wanted {
            return Err(refused("the approval changed while it was used".into()));
        }
        let manager = self
            .clerk_for_staff(used.staff_id.as_deref())
            .await?
            .ok_or_else(|| {
                refused(format!(
                    "staff {} approved, but no clerk here is linked to that Cloud Pay staff id",
                    used.staff_id.as_deref().unwrap_or("?")
                ))
            })?;
        if !manager.may(Permission::AuthorizeRefund) {
            return Err(refused(format!(
                "{} ({}) may not authorise refunds",
                manager.id,
                manager.role.display_name()
            )));
        }
        Ok(manager)
    }

    /// The local clerk linked to a Cloud Pay staff id.
    async fn clerk_for_staff(&self, staff_id: Option<&str>) -> Result<Option<Clerk>> {
        let Some(staff) = staff_id.filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        Ok(self
            .inner
            .ports
            .accounts
            .clerks(&ClerkQuery::default())
            .await?
            .into_iter()
            .find(|c| c.cloud_staff_id.as_deref() == Some(staff)))
    }
}
