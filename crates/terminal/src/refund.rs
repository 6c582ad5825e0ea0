//! The `refund` use case: permission (or a manager's authorisation bound to this order and
//! amount), caps checked atomically with the intent, then the refund call and its follow-up.

use cloudpos_domain::clerk::{Clerk, ClerkId, Decision, Permission};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::Order;
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::ports::{RefundOutcome, RefundRequest, StoreError};
use cloudpos_domain::refund::{NewRefund, Refund, RefundState};
use cloudpos_domain::timestamp::Timestamp;

use crate::pay::illegal;
use crate::{Event, Result, Terminal, TerminalError};

/// How a clerk without refund permission proves a manager approved *this* refund.
#[derive(Debug, Clone)]
pub enum Authorization {
    /// The manager types their own id and password at the till.
    ManagerPassword {
        /// The manager's clerk id.
        manager: ClerkId,
        /// Their password.
        password: String,
    },
    /// The manager approved this refund on their phone (a one-time challenge from
    /// [`Terminal::request_refund_approval`], bound to this order and amount).
    Approval {
        /// The challenge token.
        token: String,
    },
}

/// A refund to make.
#[derive(Debug, Clone)]
pub struct RefundInput {
    /// The order to refund.
    pub order_no: OrderNo,
    /// The amount of this refund.
    pub amount: Money,
    /// Reason.
    pub reason: String,
    /// A manager's authorisation, when the clerk lacks the permission.
    pub authorization: Option<Authorization>,
}

/// A refund and its order after the refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundResult {
    /// The refund.
    pub refund: Refund,
    /// The order, with its refunded total.
    pub order: Order,
}

impl Terminal {
    /// Refunds part or all of a paid order. Returns when the refund succeeded or failed, or
    /// when the policy's wait is over (still processing; recovery finishes it).
    pub async fn refund(&self, input: RefundInput) -> Result<RefundResult> {
        self.ensure_not_halted().await?;
        let (session, clerk) = self.current_clerk().await?;
        self.policy()
            .check_amount(input.amount, crate::AmountLimit::Refund)?;
        let ledger = self.inner.ports.ledger.clone();
        let order = ledger
            .order(&input.order_no)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("order {}", input.order_no)))?;
        if clerk.decide(Permission::Refund) == Decision::NeedsAuthorization
            && matches!(input.authorization, Some(Authorization::Approval { .. }))
        {
            // Check the caps before using up the manager's one-time approval.
            let existing = ledger.refunds_of(&order.no).await?;
            cloudpos_domain::refund::check_new_refund(&order, &existing, input.amount)?;
        }
        let authorized_by = self
            .authorize(
                &clerk,
                Permission::Refund,
                input.authorization.as_ref(),
                (&order.no, input.amount),
            )
            .await?;
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        // Cash goes back from the drawer and card payments to the card (in the ledger's
        // refund transaction): nothing to ask the cloud.
        let gateway = if order.method.is_local() {
            None
        } else {
            Some(self.gateway()?)
        };

        let now = self.now();
        let mut refund = self
            .commit_refund_intent(
                &order,
                &merchant,
                &clerk,
                &session,
                authorized_by.clone(),
                &input,
                now,
                gateway.is_none(),
            )
            .await?;
        self.emit(Event::Refund(refund.clone()));
        self.audit(
            clerk.id.as_str(),
            "refund",
            serde_json::json!({
                "order": order.no.as_str(),
                "refund": refund.no.as_str(),
                "amount_fen": refund.amount.fen(),
                "authorized_by": authorized_by.as_ref().map(ClerkId::as_str),
                "reason": refund.reason,
            }),
        )
        .await?;

        if let Some(gateway) = gateway {
            let outcome = self
                .send_refund(
                    gateway.as_ref(),
                    &self.refund_request(&order, &refund, &clerk),
                )
                .await?;
            if let RefundOutcome::NotSent { reason } = &outcome {
                let now = self.now();
                let note = format!("cloud unreachable: {reason}");
                self.advance_refund(&mut refund, |r| r.mark_failed(&note, now))
                    .await?;
                return Err(TerminalError::CloudUnreachable(reason.clone()));
            }
            self.apply_refund_outcome(&mut refund, outcome).await?;
            let deadline = self.now().plus(self.policy().refund_timeout);
            refund = self.settle_refund(refund, deadline).await?;
        } else {
            // A chain-wide card payment: its credit back was queued with the refund.
            self.push_member_credits().await;
        }
        let order = ledger
            .order(&order.no)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("order {}", order.no)))?;
        self.emit(Event::Order(order.clone()));
        if refund.state == RefundState::Succeeded {
            self.after_refunded(&refund, &order).await;
        }
        Ok(RefundResult { refund, order })
    }

    /// Builds the refund under a fresh number and commits its intent (the ledger re-checks
    /// the caps in the same transaction). On a number collision with another process of this
    /// device, resumes the generator from the ledger and tries the next number.
    #[allow(clippy::too_many_arguments)]
    async fn commit_refund_intent(
        &self,
        order: &Order,
        merchant: &crate::MerchantProfile,
        clerk: &Clerk,
        session: &crate::Session,
        authorized_by: Option<ClerkId>,
        input: &RefundInput,
        now: Timestamp,
        cash: bool,
    ) -> Result<Refund> {
        let ledger = &self.inner.ports.ledger;
        for _ in 0..8 {
            let existing = ledger.refunds_of(&order.no).await?;
            let no = {
                let mut g = self.generator_for(merchant).await?;
                let g = g.as_mut().ok_or_else(|| {
                    TerminalError::Invalid("order number generator missing".into())
                })?;
                for issued in ledger.latest_numbers().await? {
                    g.resume_after(&issued);
                }
                g.next_refund_no(now)
            };
            let mut refund = Refund::new(
                order,
                &existing,
                NewRefund {
                    no,
                    amount: input.amount,
                    reason: input.reason.clone(),
                    clerk_id: clerk.id.clone(),
                    authorized_by: authorized_by.clone(),
                    shift_id: Some(session.shift_id),
                },
                now,
            )?;
            if cash {
                // Cash goes back from the drawer: nothing to ask the cloud.
                refund.mark_succeeded(None, now).map_err(illegal)?;
            }
            match ledger.insert_refund(&refund).await {
                Ok(()) => return Ok(refund),
                Err(StoreError::Duplicate(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(TerminalError::Invalid(
            "could not allocate a unique refund number".into(),
        ))
    }

    /// Decides an action for `clerk`: allowed, or allowed with a manager's authorisation
    /// (returned as the manager's id), or refused.
    pub(crate) async fn authorize(
        &self,
        clerk: &Clerk,
        permission: Permission,
        authorization: Option<&Authorization>,
        scope: (&OrderNo, Money),
    ) -> Result<Option<ClerkId>> {
        match clerk.decide(permission) {
            Decision::Allowed => Ok(None),
            Decision::Denied => Err(TerminalError::PermissionDenied(format!(
                "{} ({}) may not do this",
                clerk.id,
                clerk.role.display_name()
            ))),
            Decision::NeedsAuthorization => match authorization {
                None => Err(TerminalError::NeedsAuthorization(clerk.id.to_string())),
                Some(Authorization::ManagerPassword { manager, password }) => {
                    if manager == &clerk.id {
                        return Err(TerminalError::AuthorizationRefused(
                            "a clerk cannot authorise their own refund".into(),
                        ));
                    }
                    let m = self
                        .authenticate(manager, password)
                        .await
                        .map_err(|e| TerminalError::AuthorizationRefused(e.to_string()))?;
                    if !m.may(Permission::AuthorizeRefund) {
                        return Err(TerminalError::AuthorizationRefused(format!(
                            "{} ({}) may not authorise refunds",
                            m.id,
                            m.role.display_name()
                        )));
                    }
                    Ok(Some(m.id))
                }
                Some(Authorization::Approval { token }) => {
                    let m = self
                        .consume_refund_approval(token, scope.0, scope.1)
                        .await?;
                    if m.id == clerk.id {
                        return Err(TerminalError::AuthorizationRefused(
                            "a clerk cannot authorise their own refund".into(),
                        ));
                    }
                    Ok(Some(m.id))
                }
            },
        }
    }

    /// Sends a refund (or the same refund again): the refund of a deposit's consume order
    /// carries the deposit's number (`out_freeze_no`, protocol notes §11.7).
    async fn send_refund(
        &self,
        gateway: &dyn cloudpos_domain::ports::PaymentGateway,
        request: &RefundRequest,
    ) -> Result<RefundOutcome> {
        match self
            .inner
            .ports
            .ledger
            .deposit_of_consume(&request.order_no)
            .await?
        {
            Some(d) => Ok(gateway.deposit_refund(request, &d.no).await),
            None => Ok(gateway.refund(request).await),
        }
    }

    fn refund_request(&self, order: &Order, refund: &Refund, clerk: &Clerk) -> RefundRequest {
        RefundRequest {
            order_no: order.no.clone(),
            wallet: order
                .method
                .wallet()
                .unwrap_or(cloudpos_domain::code::Wallet::WeChat),
            refund_no: refund.no.clone(),
            order_amount: order.amount,
            amount: refund.amount,
            reason: refund.reason.clone(),
            staff_id: clerk.cloud_staff_id.clone(),
        }
    }

    /// Commits a refund's change (compare and set), adopting the stored refund if another
    /// writer changed it meanwhile.
    async fn advance_refund(
        &self,
        refund: &mut Refund,
        change: impl FnOnce(&mut Refund) -> Result<(), cloudpos_domain::order::IllegalTransition>,
    ) -> Result<()> {
        let before = refund.state;
        let mut next = refund.clone();
        change(&mut next).map_err(illegal)?;
        match self.inner.ports.ledger.update_refund(&next, before).await {
            Ok(()) => *refund = next,
            Err(StoreError::Conflict(reason)) => {
                tracing::info!(refund = %refund.no, %reason, "refund changed by another writer; following it");
                *refund = self
                    .inner
                    .ports
                    .ledger
                    .refund(&refund.no)
                    .await?
                    .ok_or_else(|| TerminalError::NotFound(format!("refund {}", refund.no)))?;
            }
            Err(e) => return Err(e.into()),
        }
        self.emit(Event::Refund(refund.clone()));
        Ok(())
    }

    async fn apply_refund_outcome(
        &self,
        refund: &mut Refund,
        outcome: RefundOutcome,
    ) -> Result<()> {
        let now = self.now();
        match outcome {
            RefundOutcome::Succeeded { refund_id } => {
                self.advance_refund(refund, |r| r.mark_succeeded(refund_id, now))
                    .await
            }
            RefundOutcome::Processing { refund_id } => {
                if refund.state == RefundState::Processing && refund_id.is_none() {
                    return Ok(());
                }
                self.advance_refund(refund, |r| r.mark_processing(refund_id, now))
                    .await
            }
            RefundOutcome::Failed { reason } => {
                self.advance_refund(refund, |r| r.mark_failed(&reason, now))
                    .await
            }
            RefundOutcome::NotSent { reason } if refund.state == RefundState::Requested => {
                // Never arrived: nothing was refunded. Keep it requested (recovery re-sends
                // the same number) but say why.
                self.advance_refund(refund, |r| {
                    r.failure = Some(format!("cloud unreachable: {reason}"));
                    r.updated_at = now;
                    Ok(())
                })
                .await
            }
            RefundOutcome::Unknown { reason } | RefundOutcome::NotSent { reason } => {
                tracing::warn!(refund = %refund.no, %reason, "refund outcome unknown");
                if refund.failure.as_deref() == Some(reason.as_str()) {
                    return Ok(());
                }
                self.advance_refund(refund, |r| {
                    r.failure = Some(reason);
                    r.updated_at = now;
                    Ok(())
                })
                .await
            }
        }
    }

    /// Follows a refund until it is final or `deadline` passes: a refund whose request may
    /// not have arrived (`requested`) is sent again with the same number (Cloud Pay refunds a
    /// number at most once); a processing refund is queried.
    pub(crate) async fn settle_refund(
        &self,
        mut refund: Refund,
        deadline: Timestamp,
    ) -> Result<Refund> {
        let clock = self.inner.ports.clock.clone();
        let ledger = self.inner.ports.ledger.clone();
        loop {
            if refund.state.is_final() {
                return Ok(refund);
            }
            if clock.now() >= deadline {
                return Ok(refund);
            }
            clock.sleep(self.policy().refund_poll_interval).await;
            let gateway = self.gateway()?;
            let outcome = match refund.state {
                RefundState::Processing => {
                    // Cloud Pay requires the order's wallet (`pay_platform`) on the query.
                    let Some(wallet) = refund.method.wallet() else {
                        return Err(TerminalError::Invalid(format!(
                            "refund {} of a cash order cannot be processing in the cloud",
                            refund.no
                        )));
                    };
                    gateway
                        .query_refund(&refund.order_no, wallet, &refund.no)
                        .await
                }
                _ => {
                    let order = ledger.order(&refund.order_no).await?.ok_or_else(|| {
                        TerminalError::NotFound(format!("order {}", refund.order_no))
                    })?;
                    let clerk = self
                        .inner
                        .ports
                        .accounts
                        .clerk(&refund.clerk_id)
                        .await?
                        .unwrap_or_else(|| placeholder_clerk(&refund.clerk_id));
                    self.send_refund(
                        gateway.as_ref(),
                        &self.refund_request(&order, &refund, &clerk),
                    )
                    .await?
                }
            };
            self.apply_refund_outcome(&mut refund, outcome).await?;
        }
    }
}

/// A clerk record for a refund whose clerk was removed since (only the id is used).
fn placeholder_clerk(id: &ClerkId) -> Clerk {
    Clerk {
        id: id.clone(),
        name: String::new(),
        phone: String::new(),
        role: cloudpos_domain::clerk::Role::Clerk,
        can_refund: false,
        cloud_staff_id: None,
        created_at: Timestamp::EPOCH,
    }
}

impl Terminal {
    /// Refunds matching a filter, newest first: every clerk's for managers, only one's own
    /// otherwise (退款操作 list).
    pub async fn refunds(
        &self,
        filter: &cloudpos_domain::ports::RefundFilter,
    ) -> Result<cloudpos_domain::ports::Page<cloudpos_domain::refund::Refund>> {
        let (_, me) = self.current_clerk().await?;
        let mut filter = filter.clone();
        if !me.may(cloudpos_domain::clerk::Permission::SeeAllSummaries) {
            filter.clerk = Some(me.id.clone());
        }
        Ok(self.inner.ports.ledger.refunds(&filter).await?)
    }

    /// The refunds of one order, oldest first (the refund dialog shows what is already
    /// refunded or still in progress).
    pub async fn refunds_of(
        &self,
        no: &cloudpos_domain::order_no::OrderNo,
    ) -> Result<Vec<cloudpos_domain::refund::Refund>> {
        self.current_clerk().await?;
        Ok(self.inner.ports.ledger.refunds_of(no).await?)
    }
}
