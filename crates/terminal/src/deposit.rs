//! Deposits (押金 / pre-authorisation): `freeze`, `consume`, `unfreeze`, `query` and the
//! list, with the guarantees of payments (protocol notes §11).
//!
//! - **Commit, then call.** The freeze intent (`freezing`, a fresh `out_freeze_no`) is
//!   committed before `micro_freeze` leaves; a consume (`consuming`, with the consume order's
//!   `out_trade_no` and amount) before `deposit_consume`; a release (`unfreezing`, a fresh
//!   `out_unfreeze_no`) before `unfreeze`. Every state the cloud reports is committed before
//!   the caller hears of it, compare-and-set on the state read.
//! - **A lost answer** is resolved by `query_freeze_order` (freeze), `query_order` on the
//!   consume order (consume) and `query_unfreeze_order` (release); a request the cloud never
//!   saw is sent again identically, under the same number.
//! - **Nothing left frozen by accident.** A freeze not confirmed within the payment timeout
//!   (45 s) is cancelled by an `unfreeze` of the whole amount; if even that cannot be
//!   confirmed the deposit stays `unfreezing` and [`Terminal::recover_pending`] finishes it.
//! - **Consume ≤ frozen**, checked before any I/O; `is_confirm_unfreeze` is sent as the
//!   wallet requires (always true: one consume ends a deposit and releases the rest). The
//!   consume creates a paid order, written with the deposit's new state in one transaction,
//!   refunded like any paid order (the refund carries `out_freeze_no`).
//! - **Release needs refund permission**: a clerk with it, or a manager's password or QR
//!   approval bound to this deposit and amount, exactly as refunds.
//!
//! The loops that follow a call to its end live in `deposit/follow.rs`; recovery and the
//! cloud listing in `deposit/recover.rs`; the slips in `deposit/receipt.rs`; the cashier mode
//! (a [`crate::Setting`]) in `deposit/mode.rs`.

mod follow;
mod mode;
mod receipt;
mod recover;
mod totals;

use std::time::Duration;

use cloudpos_domain::clerk::{Clerk, ClerkId, Permission, Role};
use cloudpos_domain::deposit::{Deposit, DepositError, NewDeposit, wallet_can_freeze};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::Order;
use cloudpos_domain::order_no::{FreezeNo, OrderNo, UnfreezeNo};
use cloudpos_domain::ports::{
    ApprovalTicket, DepositFilter, FreezeRequest, Page, StoreError, UnfreezeAuthority,
};
use cloudpos_domain::timestamp::Timestamp;

use crate::refund::Authorization;
use crate::{MerchantProfile, Result, Terminal, TerminalError};

pub use mode::CashierMode;
pub use recover::{DepositReconcile, DepositRecovery};
pub use totals::DepositTotals;

/// A freeze to make.
#[derive(Debug, Clone)]
pub struct FreezeInput {
    /// The amount to freeze (already parsed with the strict money parser).
    pub amount: Money,
    /// The scanned or typed payment code (WeChat Pay or Alipay).
    pub code: String,
    /// Remark (a room number, the item rented).
    pub remark: String,
    /// Description sent to the wallet; defaults to "押金 · store name".
    pub body: Option<String>,
    /// Overrides the policy's time from creation to cancelling an unconfirmed freeze.
    pub timeout: Option<Duration>,
}

/// A consume to make.
#[derive(Debug, Clone)]
pub struct ConsumeInput {
    /// The deposit.
    pub freeze_no: FreezeNo,
    /// The amount taken; the rest is released.
    pub amount: Money,
    /// Remark of the consume order.
    pub remark: String,
}

/// A release to make.
#[derive(Debug, Clone)]
pub struct UnfreezeInput {
    /// The deposit.
    pub freeze_no: FreezeNo,
    /// A manager's authorisation, when the clerk lacks refund permission (the approval is
    /// asked with [`Terminal::request_unfreeze_approval`]).
    pub authorization: Option<Authorization>,
    /// Why (kept with the deposit, sent as the release's remark).
    pub reason: String,
}

/// A deposit after a consume, with the paid order the consume created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumeResult {
    /// The deposit (`consumed` when the consume went through).
    pub deposit: Deposit,
    /// The consume's paid order, once recorded.
    pub order: Option<Order>,
}

impl Terminal {
    /// Freezes `amount` on the customer's wallet and follows the freeze to its end: frozen,
    /// failed, or (not confirmed within the timeout) released again. A release that cannot
    /// be confirmed either returns the deposit `unfreezing`; recovery finishes it.
    pub async fn freeze(&self, input: FreezeInput) -> Result<Deposit> {
        self.ensure_not_halted().await?;
        let (session, clerk) = self.current_clerk().await?;
        if !clerk.may(Permission::Pay) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} may not take deposits",
                clerk.id
            )));
        }
        self.policy()
            .check_amount(input.amount, crate::AmountLimit::Payment)?;
        let code = self.inner.config.codes.classify(&input.code)?;
        if !wallet_can_freeze(code.wallet()) {
            return Err(DepositError::WalletCannotFreeze {
                wallet: code.wallet(),
            }
            .into());
        }
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        let gateway = self.gateway()?;
        self.guard_duplicate_scan(&code)?;

        let now = self.now();
        let new = NewDeposit {
            no: self
                .with_generator(&merchant, |g| g.next_freeze_no(now))
                .await?,
            wallet: code.wallet(),
            amount: input.amount,
            code_masked: code.masked(),
            store_id: merchant.out_shop_id.clone(),
            device_id: merchant.device_id.clone(),
            clerk_id: clerk.id.clone(),
            shift_id: Some(session.shift_id),
            body: input
                .body
                .filter(|b| !b.trim().is_empty())
                .unwrap_or_else(|| deposit_body(&merchant)),
            remark: input.remark,
        };
        let deposit = self.commit_freeze_intent(new, &merchant, now).await?;
        tracing::info!(deposit = %deposit.no, amount = %deposit.frozen, wallet = %deposit.wallet, "freeze intent committed");
        self.audit(
            clerk.id.as_str(),
            "deposit_freeze",
            serde_json::json!({"deposit": deposit.no.as_str(), "amount_fen": deposit.frozen.fen()}),
        )
        .await?;
        let outcome = gateway
            .micro_freeze(&FreezeRequest {
                no: deposit.no.clone(),
                code,
                amount: deposit.frozen,
                body: deposit.body.clone(),
                remark: deposit.remark.clone(),
                staff_id: clerk.cloud_staff_id.clone(),
            })
            .await;
        let policy = self.policy();
        let timeout = input.timeout.unwrap_or(policy.pay_timeout);
        let answer_by = deposit.created_at.plus(timeout).plus(policy.reverse_budget);
        self.follow_freeze(deposit, outcome, timeout, Some(answer_by))
            .await
    }

    /// Takes `amount` (at most what is frozen) from a frozen deposit and releases the rest.
    /// Returns when the consume went through or was refused, or, when its result stays
    /// unknown past the policy's wait, with the deposit still `consuming` (recovery
    /// finishes it).
    pub async fn consume_deposit(&self, input: ConsumeInput) -> Result<ConsumeResult> {
        self.ensure_not_halted().await?;
        let (session, clerk) = self.current_clerk().await?;
        if !clerk.may(Permission::Pay) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} may not consume deposits",
                clerk.id
            )));
        }
        self.policy()
            .check_amount(input.amount, crate::AmountLimit::Payment)?;
        let mut deposit = self.stored_deposit(&input.freeze_no).await?;
        deposit.check_consume(input.amount)?;
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        self.gateway()?;
        let mut remark = input.remark.trim().to_owned();
        if remark.is_empty() {
            remark.clone_from(&deposit.remark);
        }
        for _ in 0..8 {
            let now = self.now();
            let consume_no = self
                .with_generator(&merchant, |g| g.next_order_no(now))
                .await?;
            let mut next = deposit.clone();
            next.begin_consume(consume_no, input.amount, &clerk.id, self.now())?;
            next.remark = remark.clone();
            match self
                .inner
                .ports
                .ledger
                .update_deposit(&next, deposit.state)
                .await
            {
                Ok(()) => {
                    deposit = next;
                    break;
                }
                // The order number collided with another process's: take the next one.
                Err(StoreError::Duplicate(_)) => {}
                Err(StoreError::Conflict(_)) => {
                    let stored = self.stored_deposit(&input.freeze_no).await?;
                    stored.check_consume(input.amount)?;
                    deposit = stored;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if deposit.state != cloudpos_domain::DepositState::Consuming {
            return Err(TerminalError::Invalid(
                "could not allocate a unique order number for the consume".into(),
            ));
        }
        self.audit(
            clerk.id.as_str(),
            "deposit_consume",
            serde_json::json!({
                "deposit": deposit.no.as_str(),
                "order": deposit.consume_no.as_ref().map(OrderNo::as_str),
                "amount_fen": deposit.pending.fen(),
            }),
        )
        .await?;
        let shift = Some(session.shift_id);
        let deadline = self.now().plus(self.policy().refund_timeout);
        let deposit = self.send_consume(deposit, shift, deadline).await?;
        self.consume_result(deposit).await
    }

    /// Releases everything a frozen deposit still holds. Needs refund permission, or a
    /// manager's authorisation for this deposit and amount.
    pub async fn unfreeze_deposit(&self, input: UnfreezeInput) -> Result<Deposit> {
        self.ensure_not_halted().await?;
        let (_, clerk) = self.current_clerk().await?;
        let deposit = self.stored_deposit(&input.freeze_no).await?;
        deposit.check_release()?;
        let amount = deposit.remaining();
        let scope = approval_scope(&deposit.no)?;
        let authorized_by = self
            .authorize(
                &clerk,
                Permission::Refund,
                input.authorization.as_ref(),
                (&scope, amount),
            )
            .await?;
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        self.gateway()?;
        let reason = Some(input.reason.trim()).filter(|r| !r.is_empty());
        let deposit = self
            .commit_unfreeze(
                deposit,
                &merchant,
                Some(&clerk.id),
                authorized_by.clone(),
                reason,
            )
            .await?;
        self.audit(
            clerk.id.as_str(),
            "deposit_unfreeze",
            serde_json::json!({
                "deposit": deposit.no.as_str(),
                "release": deposit.unfreeze_no.as_ref().map(UnfreezeNo::as_str),
                "amount_fen": deposit.pending.fen(),
                "authorized_by": authorized_by.as_ref().map(ClerkId::as_str),
            }),
        )
        .await?;
        let until = self.now().plus(self.policy().refund_timeout);
        self.send_unfreeze(deposit, until, true, false).await
    }

    /// Opens a challenge for a manager to approve releasing this deposit (this deposit, the
    /// amount it still holds), shown as a QR code; pass the token in
    /// [`UnfreezeInput::authorization`].
    pub async fn request_unfreeze_approval(&self, no: &FreezeNo) -> Result<ApprovalTicket> {
        let deposit = self.stored_deposit(no).await?;
        deposit.check_release()?;
        self.request_refund_approval(&approval_scope(no)?, deposit.remaining())
            .await
    }

    /// Asks the cloud where a deposit stands, commits what changed and returns it; an open
    /// freeze, consume or release is followed as far as one answer allows.
    pub async fn query_deposit(&self, no: &FreezeNo) -> Result<Deposit> {
        self.current_clerk().await?;
        let deposit = self.stored_deposit(no).await?;
        self.refresh_deposit(deposit).await
    }

    /// One deposit from the ledger, without asking the cloud.
    pub async fn deposit(&self, no: &FreezeNo) -> Result<Option<Deposit>> {
        self.current_clerk().await?;
        Ok(self.inner.ports.ledger.deposit(no).await?)
    }

    /// Deposits matching a filter, newest first: every clerk's for managers, only one's own
    /// otherwise.
    pub async fn deposits(&self, filter: &DepositFilter) -> Result<Page<Deposit>> {
        let (_, me) = self.current_clerk().await?;
        let mut filter = filter.clone();
        if !me.may(Permission::SeeAllSummaries) {
            filter.clerk = Some(me.id.clone());
        }
        Ok(self.inner.ports.ledger.deposits(&filter).await?)
    }

    /// The deposit whose consume created order `no`, if any (a refund of that order
    /// carries the deposit's number).
    pub async fn deposit_of_order(&self, no: &OrderNo) -> Result<Option<Deposit>> {
        Ok(self.inner.ports.ledger.deposit_of_consume(no).await?)
    }

    pub(crate) async fn stored_deposit(&self, no: &FreezeNo) -> Result<Deposit> {
        self.inner
            .ports
            .ledger
            .deposit(no)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("deposit {no}")))
    }

    /// Commits the freeze intent; on a number collision (another process of this device
    /// issued it) resumes the generator from the ledger and tries the next number.
    async fn commit_freeze_intent(
        &self,
        mut new: NewDeposit,
        merchant: &MerchantProfile,
        now: Timestamp,
    ) -> Result<Deposit> {
        for _ in 0..8 {
            let deposit = Deposit::new(new.clone(), now);
            match self.inner.ports.ledger.insert_deposit(&deposit).await {
                Ok(()) => return Ok(deposit),
                Err(StoreError::Duplicate(_)) => {
                    new.no = self
                        .with_generator(merchant, |g| g.next_freeze_no(now))
                        .await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(TerminalError::Invalid(
            "could not allocate a unique deposit number".into(),
        ))
    }

    /// Commits a release of everything the deposit holds under a fresh number (retrying the
    /// number on a collision).
    pub(crate) async fn commit_unfreeze(
        &self,
        deposit: Deposit,
        merchant: &MerchantProfile,
        by: Option<&ClerkId>,
        authorized_by: Option<ClerkId>,
        reason: Option<&str>,
    ) -> Result<Deposit> {
        let mut deposit = deposit;
        for _ in 0..8 {
            let now = self.now();
            let no = self
                .with_generator(merchant, |g| g.next_unfreeze_no(now))
                .await?;
            let mut next = deposit.clone();
            next.begin_unfreeze(no, by, authorized_by.clone(), reason, self.now())?;
            match self
                .inner
                .ports
                .ledger
                .update_deposit(&next, deposit.state)
                .await
            {
                Ok(()) => return Ok(next),
                Err(StoreError::Duplicate(_)) => {}
                Err(StoreError::Conflict(_)) => {
                    let stored = self.stored_deposit(&deposit.no).await?;
                    if stored.state == cloudpos_domain::DepositState::Unfreezing {
                        // Another process is releasing it already: follow that release.
                        return Ok(stored);
                    }
                    if by.is_some() {
                        stored.check_release()?;
                    }
                    deposit = stored;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(TerminalError::Invalid(
            "could not allocate a unique release number".into(),
        ))
    }

    /// Runs `f` on the shared number generator, resumed after the ledger's latest numbers
    /// (orders, refunds, deposits, consumes and releases share one sequence).
    async fn with_generator<T>(
        &self,
        merchant: &MerchantProfile,
        f: impl FnOnce(&mut cloudpos_domain::order_no::OrderNoGenerator) -> T,
    ) -> Result<T> {
        let mut guard = self.generator_for(merchant).await?;
        let g = guard
            .as_mut()
            .ok_or_else(|| TerminalError::Invalid("order number generator missing".into()))?;
        for issued in self.inner.ports.ledger.latest_numbers().await? {
            g.resume_after(&issued);
        }
        Ok(f(g))
    }

    /// Who answers for a release in the cloud (protocol notes §11.5): the authorising
    /// manager, else the clerk who asked — their Cloud Pay staff id when linked, the admin
    /// flag for an administrator without one; for a release the terminal makes by itself
    /// (or a clerk not linked to Cloud Pay), the staff id the merchant's credentials name.
    pub(crate) async fn unfreeze_authority(&self, deposit: &Deposit) -> Result<UnfreezeAuthority> {
        let person = deposit
            .authorized_by
            .as_ref()
            .or(deposit.settled_by.as_ref());
        let clerk: Option<Clerk> = match person {
            Some(id) => self.inner.ports.accounts.clerk(id).await?,
            None => None,
        };
        Ok(match clerk {
            Some(Clerk {
                cloud_staff_id: Some(staff),
                ..
            }) => UnfreezeAuthority::Staff(Some(staff)),
            Some(c) if c.role.rank() >= Role::MerchantAdmin.rank() => UnfreezeAuthority::Admin,
            _ => {
                let configured = self
                    .merchant()
                    .await?
                    .map(|m| m.staff_id)
                    .filter(|s| !s.trim().is_empty());
                UnfreezeAuthority::Staff(configured)
            }
        })
    }
}

/// A deposit's number as the order number an approval is bound to (approvals name an
/// order and an amount; a release is approved for the deposit and what it holds).
fn approval_scope(no: &FreezeNo) -> Result<OrderNo> {
    OrderNo::parse(no.as_str()).map_err(|e| TerminalError::Invalid(format!("deposit number: {e}")))
}

fn deposit_body(merchant: &MerchantProfile) -> String {
    if merchant.store_name.trim().is_empty() {
        "押金".to_owned()
    } else {
        format!("押金 · {}", merchant.store_name)
    }
}
