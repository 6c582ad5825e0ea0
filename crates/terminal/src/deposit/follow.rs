//! Following a deposit's calls to their end: the freeze (query until frozen or failed,
//! cancel by a full release at the deadline), the consume (query the consume order, send the
//! identical consume again when the cloud never saw it) and the release (send the identical
//! release until it is acknowledged or refused for good).
//!
//! Every change is committed compare-and-set on the state read ([`Terminal::advance_deposit`]);
//! a writer that loses adopts the stored deposit and follows it, so two processes settling
//! one deposit cannot undo each other.

use std::time::Duration;

use cloudpos_domain::deposit::{Deposit, DepositError, DepositState};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, PaymentMethod};
use cloudpos_domain::ports::{
    CloudFreeze, CloudFreezeState, ConsumeOutcome, ConsumeRequest, FreezeOutcome,
    FreezeQueryOutcome, QueryOutcome, StoreError, UnfreezeOutcome, UnfreezeRequest,
};
use cloudpos_domain::timestamp::Timestamp;

use super::ConsumeResult;
use crate::pay::illegal;
use crate::{Result, Terminal, TerminalError};

/// A change to a deposit, as [`Terminal::advance_deposit`] applies it.
type Change<'a> = Box<dyn FnOnce(&mut Deposit) -> Result<()> + Send + 'a>;

impl Terminal {
    /// Applies a change and commits it (compare and set). If another writer changed the
    /// deposit meanwhile, adopts the stored deposit instead.
    pub(crate) async fn advance_deposit(&self, d: &mut Deposit, change: Change<'_>) -> Result<()> {
        let before = d.state;
        let mut next = d.clone();
        change(&mut next)?;
        match self.inner.ports.ledger.update_deposit(&next, before).await {
            Ok(()) => *d = next,
            Err(StoreError::Conflict(reason)) => {
                tracing::info!(deposit = %d.no, %reason, "deposit changed by another writer; following it");
                *d = self.stored_deposit(&d.no).await?;
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Runs a Cloud Pay call, abandoning it (as if no answer came) at `until`.
    async fn deposit_call<T>(&self, until: Timestamp, call: impl Future<Output = T>) -> Option<T> {
        let left = until.since(self.now());
        tokio::time::timeout(left, call).await.ok()
    }

    /// Commits `micro_freeze`'s answer and follows the freeze to its end.
    pub(crate) async fn follow_freeze(
        &self,
        mut d: Deposit,
        outcome: FreezeOutcome,
        timeout: Duration,
        answer_by: Option<Timestamp>,
    ) -> Result<Deposit> {
        let now = self.now();
        match outcome {
            FreezeOutcome::NotSent { reason } => {
                let note = format!("cloud unreachable: {reason}");
                if let Err(e) = self
                    .advance_deposit(
                        &mut d,
                        Box::new(move |x| x.mark_failed(&note, now).map_err(illegal)),
                    )
                    .await
                {
                    tracing::error!(deposit = %d.no, error = %e, "could not record a freeze that never left");
                }
                return Err(TerminalError::CloudUnreachable(reason));
            }
            FreezeOutcome::Frozen {
                freeze_id,
                frozen_at,
            } => {
                let at = frozen_at.unwrap_or(now).max(d.created_at).min(now);
                self.advance_deposit(
                    &mut d,
                    Box::new(move |x| x.mark_frozen(freeze_id, at, now).map_err(illegal)),
                )
                .await?;
            }
            FreezeOutcome::UserPaying => {
                self.advance_deposit(
                    &mut d,
                    Box::new(move |x| x.mark_user_paying(now).map_err(illegal)),
                )
                .await?;
            }
            FreezeOutcome::Failed { reason } => {
                self.advance_deposit(
                    &mut d,
                    Box::new(move |x| x.mark_failed(&reason, now).map_err(illegal)),
                )
                .await?;
            }
            FreezeOutcome::Unknown { reason } => {
                tracing::warn!(deposit = %d.no, %reason, "freeze outcome unknown; querying");
                self.advance_deposit(
                    &mut d,
                    Box::new(move |x| x.mark_unknown(&reason, now).map_err(illegal)),
                )
                .await?;
            }
        }
        self.settle_freeze(d, timeout, answer_by).await
    }

    /// Follows an open freeze: query every poll interval until frozen or failed; at the
    /// deadline (`timeout` after the intent) release the whole amount instead.
    pub(crate) async fn settle_freeze(
        &self,
        mut d: Deposit,
        timeout: Duration,
        answer_by: Option<Timestamp>,
    ) -> Result<Deposit> {
        let clock = self.inner.ports.clock.clone();
        let policy = self.policy();
        let deadline = d.created_at.plus(timeout);
        loop {
            match d.state {
                DepositState::Freezing | DepositState::UserPaying | DepositState::Unknown => {
                    let now = clock.now();
                    if now >= deadline {
                        d = self.cancel_freeze(d, timeout).await?;
                        continue;
                    }
                    clock
                        .sleep(policy.poll_interval.min(deadline.since(now)))
                        .await;
                    let gateway = self.gateway()?;
                    let q = self
                        .deposit_call(
                            deadline.plus(policy.poll_interval),
                            gateway.query_freeze(&d.no, d.wallet),
                        )
                        .await
                        .unwrap_or_else(|| FreezeQueryOutcome::Unknown {
                            reason: "no answer to the query before the deadline".into(),
                        });
                    self.apply_freeze_query(&mut d, q).await?;
                }
                DepositState::Unfreezing => {
                    let until =
                        answer_by.unwrap_or_else(|| clock.now().plus(policy.reverse_budget));
                    return self
                        .send_unfreeze(d, until, false, answer_by.is_none())
                        .await;
                }
                DepositState::Frozen
                | DepositState::Failed
                | DepositState::Consuming
                | DepositState::Consumed
                | DepositState::Unfrozen => return Ok(d),
            }
        }
    }

    /// Commits the cancellation of a freeze not confirmed in time: a release of the whole
    /// amount under a fresh number, answered for by the terminal's configured staff member.
    pub(crate) async fn cancel_freeze(&self, d: Deposit, timeout: Duration) -> Result<Deposit> {
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        let reason = format!(
            "not confirmed within {} s: released in full",
            timeout.as_secs()
        );
        tracing::warn!(deposit = %d.no, "freeze not confirmed in time; releasing it");
        self.commit_unfreeze(d, &merchant, None, None, Some(&reason))
            .await
    }

    /// Commits what `query_freeze_order` said about a freeze still open.
    pub(crate) async fn apply_freeze_query(
        &self,
        d: &mut Deposit,
        q: FreezeQueryOutcome,
    ) -> Result<()> {
        let now = self.now();
        match q {
            FreezeQueryOutcome::Found(f) => self.sync_with_cloud(d, &f).await,
            FreezeQueryOutcome::NotFound if d.state == DepositState::Freezing => {
                self.advance_deposit(
                    d,
                    Box::new(move |x| {
                        x.mark_unknown("Cloud Pay does not know the freeze yet", now)
                            .map_err(illegal)
                    }),
                )
                .await
            }
            FreezeQueryOutcome::Unknown { reason } if d.state == DepositState::Freezing => {
                self.advance_deposit(
                    d,
                    Box::new(move |x| x.mark_unknown(&reason, now).map_err(illegal)),
                )
                .await
            }
            FreezeQueryOutcome::NotFound | FreezeQueryOutcome::Unknown { .. } => Ok(()),
        }
    }

    /// Brings the ledger's deposit in line with the cloud's record of its freeze, where the
    /// cloud's answer settles something; a state only our own follow-up may settle (a
    /// consume or release in flight) is left to it.
    pub(crate) async fn sync_with_cloud(&self, d: &mut Deposit, f: &CloudFreeze) -> Result<()> {
        let now = self.now();
        let at = f.frozen_at.unwrap_or(now).max(d.created_at).min(now);
        let open = matches!(
            d.state,
            DepositState::Freezing | DepositState::UserPaying | DepositState::Unknown
        );
        match (d.state, f.state) {
            (DepositState::UserPaying, CloudFreezeState::Pending) => Ok(()),
            (_, CloudFreezeState::Pending) if open => {
                self.advance_deposit(
                    d,
                    Box::new(move |x| x.mark_user_paying(now).map_err(illegal)),
                )
                .await
            }
            (_, CloudFreezeState::Frozen) if open => {
                let id = f.freeze_id.clone();
                self.advance_deposit(
                    d,
                    Box::new(move |x| x.mark_frozen(id, at, now).map_err(illegal)),
                )
                .await
            }
            (_, CloudFreezeState::Failed)
                if open || (d.state == DepositState::Unfreezing && d.frozen_at.is_none()) =>
            {
                let reason = f
                    .reason
                    .clone()
                    .unwrap_or_else(|| "the wallet did not freeze the amount".to_owned());
                self.advance_deposit(
                    d,
                    Box::new(move |x| x.mark_failed(&reason, now).map_err(illegal)),
                )
                .await
            }
            (_, CloudFreezeState::Finished) if f.consumed.is_positive() => {
                if d.state != DepositState::Consuming {
                    tracing::error!(deposit = %d.no, consumed = %f.consumed, "the cloud reports a consume this terminal did not make; reconciliation will halt over it");
                }
                Ok(())
            }
            (_, CloudFreezeState::Finished) if open => {
                let id = f.freeze_id.clone();
                self.advance_deposit(
                    d,
                    Box::new(move |x| {
                        x.mark_frozen(id, at, now).map_err(illegal)?;
                        x.mark_auto_unfrozen(now).map_err(illegal)
                    }),
                )
                .await
            }
            (DepositState::Unfreezing, CloudFreezeState::Finished) => {
                self.advance_deposit(d, Box::new(move |x| x.mark_unfrozen(now).map_err(illegal)))
                    .await
            }
            (DepositState::Frozen | DepositState::Consuming, CloudFreezeState::Finished) => {
                tracing::warn!(deposit = %d.no, "released by the wallet");
                self.advance_deposit(
                    d,
                    Box::new(move |x| x.mark_auto_unfrozen(now).map_err(illegal)),
                )
                .await
            }
            _ => Ok(()),
        }
    }

    /// Sends the committed consume and follows it until it went through or was refused,
    /// or `deadline` passes (the deposit is then returned `consuming`).
    pub(crate) async fn send_consume(
        &self,
        d: Deposit,
        shift: Option<i64>,
        deadline: Timestamp,
    ) -> Result<Deposit> {
        let first = self
            .gateway()?
            .deposit_consume(&self.consume_request(&d).await?)
            .await;
        self.drive_consume(d, shift, deadline, Some(first), true)
            .await
    }

    async fn consume_request(&self, d: &Deposit) -> Result<ConsumeRequest> {
        let order_no = d.consume_no.clone().ok_or_else(|| {
            TerminalError::Invalid(format!("deposit {} has no consume order", d.no))
        })?;
        let staff_id = match &d.settled_by {
            Some(id) => self
                .inner
                .ports
                .accounts
                .clerk(id)
                .await?
                .and_then(|c| c.cloud_staff_id),
            None => None,
        };
        Ok(ConsumeRequest {
            freeze_no: d.no.clone(),
            wallet: d.wallet,
            order_no,
            amount: d.pending,
            body: d.body.clone(),
            remark: d.remark.clone(),
            staff_id,
        })
    }

    /// The consume loop: commits `outcome` (the answer in hand), then queries the consume
    /// order every poll interval; a consume the cloud never saw is sent again, identical.
    pub(crate) async fn drive_consume(
        &self,
        mut d: Deposit,
        shift: Option<i64>,
        deadline: Timestamp,
        mut outcome: Option<ConsumeOutcome>,
        live: bool,
    ) -> Result<Deposit> {
        let clock = self.inner.ports.clock.clone();
        let poll = self.policy().poll_interval;
        let mut first = live;
        while d.state == DepositState::Consuming {
            let answer = match outcome.take() {
                Some(a) => a,
                None => {
                    if clock.now() >= deadline {
                        tracing::warn!(deposit = %d.no, "consume still unknown; recovery will continue");
                        break;
                    }
                    clock.sleep(poll).await;
                    let gateway = self.gateway()?;
                    let no = d.consume_no.clone().ok_or_else(|| {
                        TerminalError::Invalid(format!("deposit {} has no consume order", d.no))
                    })?;
                    let q = self
                        .deposit_call(
                            deadline.max(clock.now()).plus(poll),
                            gateway.query_order(&no, Some(d.wallet)),
                        )
                        .await
                        .unwrap_or_else(|| QueryOutcome::Unknown {
                            reason: "no answer to the query in time".into(),
                        });
                    match q {
                        QueryOutcome::Paid {
                            transaction_id,
                            paid_at,
                        } => ConsumeOutcome::Consumed {
                            transaction_id,
                            paid_at,
                            released: None,
                        },
                        QueryOutcome::Failed { reason } => ConsumeOutcome::Refused { reason },
                        QueryOutcome::Reversed => ConsumeOutcome::Refused {
                            reason: "the consume order was reversed".into(),
                        },
                        QueryOutcome::NotFound => {
                            // The consume never arrived: send it again, identical.
                            tracing::info!(deposit = %d.no, "the cloud has no consume order; sending the consume again");
                            gateway
                                .deposit_consume(&self.consume_request(&d).await?)
                                .await
                        }
                        QueryOutcome::UserPaying | QueryOutcome::Unknown { .. } => continue,
                    }
                }
            };
            let now = clock.now();
            match answer {
                ConsumeOutcome::Consumed {
                    transaction_id,
                    paid_at,
                    released,
                } => {
                    self.finish_consume(&mut d, transaction_id, paid_at, released, shift)
                        .await?;
                }
                ConsumeOutcome::Refused { reason } => {
                    let note = reason.clone();
                    self.advance_deposit(
                        &mut d,
                        Box::new(move |x| x.consume_refused(&note, now).map_err(illegal)),
                    )
                    .await?;
                    if live {
                        return Err(DepositError::Refused {
                            deposit: d.no.to_string(),
                            action: "consume".into(),
                            reason,
                        }
                        .into());
                    }
                }
                ConsumeOutcome::NotSent { reason } if first => {
                    let note = format!("cloud unreachable: {reason}");
                    self.advance_deposit(
                        &mut d,
                        Box::new(move |x| x.consume_refused(&note, now).map_err(illegal)),
                    )
                    .await?;
                    return Err(TerminalError::CloudUnreachable(reason));
                }
                ConsumeOutcome::NotSent { reason } | ConsumeOutcome::Unknown { reason } => {
                    tracing::warn!(deposit = %d.no, %reason, "consume outcome unknown; querying");
                }
            }
            first = false;
        }
        Ok(d)
    }

    /// Records a consume that went through: the deposit `consumed` and its paid order, in
    /// one transaction.
    async fn finish_consume(
        &self,
        d: &mut Deposit,
        transaction_id: Option<String>,
        paid_at: Option<Timestamp>,
        released: Option<Money>,
        shift: Option<i64>,
    ) -> Result<()> {
        let now = self.now();
        let mut next = d.clone();
        let amount = next.pending;
        next.mark_consumed(released, now).map_err(illegal)?;
        let order = consume_order(&next, amount, transaction_id, paid_at, shift, now)?;
        match self
            .inner
            .ports
            .ledger
            .finish_consume(&next, DepositState::Consuming, &order)
            .await
        {
            Ok(()) => {
                tracing::info!(deposit = %d.no, order = %order.no, amount = %amount, "deposit consumed");
                *d = next;
                Ok(())
            }
            Err(StoreError::Conflict(reason) | StoreError::Duplicate(reason)) => {
                tracing::info!(deposit = %d.no, %reason, "deposit changed by another writer; following it");
                *d = self.stored_deposit(&d.no).await?;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Sends the committed release and follows it until acknowledged or refused for good,
    /// or `until` passes (the deposit is then returned `unfreezing`: recovery continues).
    /// `manual`: a clerk asked for it, so a refusal is an error; a cancellation that is
    /// refused while the money stays frozen returns the deposit `frozen`, with the reason.
    /// `resume`: the release may have been sent by an earlier process (recovery), so the
    /// cloud is asked first; a live call sends at once. No call runs past `until` by more
    /// than a poll interval.
    pub(crate) async fn send_unfreeze(
        &self,
        mut d: Deposit,
        until: Timestamp,
        manual: bool,
        resume: bool,
    ) -> Result<Deposit> {
        let clock = self.inner.ports.clock.clone();
        let policy = self.policy();
        let mut backoff = policy.reverse_backoff;
        let mut attempt = 0_u32;
        while d.state == DepositState::Unfreezing {
            let gateway = self.gateway()?;
            let Some(no) = d.unfreeze_no.clone() else {
                return Err(TerminalError::Invalid(format!(
                    "deposit {} has no release number",
                    d.no
                )));
            };
            // The first attempt always gets a poll interval, even past `until`; later ones
            // end at `until`.
            let bound = if attempt == 0 {
                until.max(clock.now().plus(policy.poll_interval))
            } else {
                until
            };
            if clock.now() >= bound {
                break;
            }
            // After the first attempt, ask before sending again: the last one may have
            // gone through.
            let known = if attempt > 0 || resume {
                match self
                    .deposit_call(bound, gateway.query_unfreeze(&d.no, d.wallet, &no))
                    .await
                {
                    Some(UnfreezeOutcome::Unfrozen { .. }) => {
                        Some(UnfreezeOutcome::Unfrozen { unfreeze_id: None })
                    }
                    Some(UnfreezeOutcome::Failed { reason }) => {
                        Some(UnfreezeOutcome::Failed { reason })
                    }
                    _ => None,
                }
            } else {
                None
            };
            let outcome = match known {
                Some(o) => o,
                None => {
                    let req = UnfreezeRequest {
                        freeze_no: d.no.clone(),
                        wallet: d.wallet,
                        unfreeze_no: no,
                        amount: d.pending,
                        remark: d.reason.clone().unwrap_or_default(),
                        authority: self.unfreeze_authority(&d).await?,
                    };
                    self.deposit_call(bound, gateway.unfreeze(&req))
                        .await
                        .unwrap_or_else(|| UnfreezeOutcome::Unknown {
                            reason: "no answer to the release in time".into(),
                        })
                }
            };
            let now = clock.now();
            match outcome {
                UnfreezeOutcome::Unfrozen { .. } => {
                    tracing::info!(deposit = %d.no, "release acknowledged");
                    self.advance_deposit(
                        &mut d,
                        Box::new(move |x| x.mark_unfrozen(now).map_err(illegal)),
                    )
                    .await?;
                    break;
                }
                UnfreezeOutcome::Failed { reason } => {
                    // A clerk's release refused: find out why within a poll interval.
                    let bound = if manual {
                        bound.max(now.plus(policy.poll_interval))
                    } else {
                        bound
                    };
                    if let Some(e) = self.release_refused(&mut d, &reason, manual, bound).await? {
                        return Err(e);
                    }
                    if d.state != DepositState::Unfreezing {
                        break;
                    }
                }
                UnfreezeOutcome::NotSent { reason } if attempt == 0 && manual => {
                    let note = format!("cloud unreachable: {reason}");
                    let at = d.frozen_at.unwrap_or(now);
                    self.advance_deposit(
                        &mut d,
                        Box::new(move |x| x.unfreeze_refused(&note, at, now).map_err(illegal)),
                    )
                    .await?;
                    return Err(TerminalError::CloudUnreachable(reason));
                }
                UnfreezeOutcome::Processing
                | UnfreezeOutcome::NotFound
                | UnfreezeOutcome::Unknown { .. }
                | UnfreezeOutcome::NotSent { .. } => {
                    tracing::warn!(deposit = %d.no, "release not acknowledged yet; retrying");
                }
            }
            attempt += 1;
            if clock.now().plus(backoff) >= until {
                tracing::warn!(deposit = %d.no, "release still unacknowledged; recovery will continue");
                break;
            }
            clock.sleep(backoff).await;
            backoff = (backoff * 2).min(policy.reverse_backoff_max);
        }
        Ok(d)
    }

    /// A release was refused: find out where the freeze stands. Still frozen: the deposit
    /// goes back to `frozen` with the reason (an error for a clerk's release). Never frozen:
    /// `failed`. Released anyway: `unfrozen`. Not known: stays `unfreezing`.
    async fn release_refused(
        &self,
        d: &mut Deposit,
        reason: &str,
        manual: bool,
        until: Timestamp,
    ) -> Result<Option<TerminalError>> {
        tracing::warn!(deposit = %d.no, %reason, "release refused");
        let gateway = self.gateway()?;
        let q = self
            .deposit_call(until, gateway.query_freeze(&d.no, d.wallet))
            .await
            .unwrap_or_else(|| FreezeQueryOutcome::Unknown {
                reason: "no answer to the query in time".into(),
            });
        let now = self.now();
        match q {
            FreezeQueryOutcome::Found(f) if f.state == CloudFreezeState::Frozen => {
                let note = format!("release refused by Cloud Pay: {reason}");
                let at = f.frozen_at.unwrap_or(now);
                self.advance_deposit(
                    d,
                    Box::new(move |x| x.unfreeze_refused(&note, at, now).map_err(illegal)),
                )
                .await?;
                Ok(manual.then(|| {
                    DepositError::Refused {
                        deposit: d.no.to_string(),
                        action: "release".into(),
                        reason: reason.to_owned(),
                    }
                    .into()
                }))
            }
            FreezeQueryOutcome::NotFound if d.frozen_at.is_none() => {
                self.advance_deposit(
                    d,
                    Box::new(move |x| {
                        x.mark_failed("the freeze never reached Cloud Pay", now)
                            .map_err(illegal)
                    }),
                )
                .await?;
                Ok(None)
            }
            FreezeQueryOutcome::Found(f) => {
                self.sync_with_cloud(d, &f).await?;
                Ok(None)
            }
            FreezeQueryOutcome::NotFound | FreezeQueryOutcome::Unknown { .. } => Ok(None),
        }
    }

    /// Asks the cloud once where a deposit stands and commits what that settles.
    pub(crate) async fn refresh_deposit(&self, mut d: Deposit) -> Result<Deposit> {
        let gateway = self.gateway()?;
        match d.state {
            DepositState::Consuming => {
                let no = d.consume_no.clone().ok_or_else(|| {
                    TerminalError::Invalid(format!("deposit {} has no consume order", d.no))
                })?;
                let outcome = match gateway.query_order(&no, Some(d.wallet)).await {
                    QueryOutcome::Paid {
                        transaction_id,
                        paid_at,
                    } => Some(ConsumeOutcome::Consumed {
                        transaction_id,
                        paid_at,
                        released: None,
                    }),
                    QueryOutcome::Failed { reason } => Some(ConsumeOutcome::Refused { reason }),
                    QueryOutcome::Unknown { reason } => {
                        return Err(TerminalError::CloudUnreachable(reason));
                    }
                    _ => None,
                };
                if let Some(o) = outcome {
                    let shift = d.shift_id;
                    d = self
                        .drive_consume(d, shift, self.now(), Some(o), false)
                        .await?;
                }
                Ok(d)
            }
            DepositState::Unfreezing => {
                let Some(no) = d.unfreeze_no.clone() else {
                    return Ok(d);
                };
                match gateway.query_unfreeze(&d.no, d.wallet, &no).await {
                    UnfreezeOutcome::Unfrozen { .. } => {
                        let now = self.now();
                        self.advance_deposit(
                            &mut d,
                            Box::new(move |x| x.mark_unfrozen(now).map_err(illegal)),
                        )
                        .await?;
                    }
                    UnfreezeOutcome::Unknown { reason } => {
                        return Err(TerminalError::CloudUnreachable(reason));
                    }
                    _ => {}
                }
                Ok(d)
            }
            DepositState::Consumed | DepositState::Unfrozen | DepositState::Failed => Ok(d),
            DepositState::Freezing
            | DepositState::UserPaying
            | DepositState::Unknown
            | DepositState::Frozen => match gateway.query_freeze(&d.no, d.wallet).await {
                FreezeQueryOutcome::Unknown { reason } => {
                    Err(TerminalError::CloudUnreachable(reason))
                }
                q => {
                    self.apply_freeze_query(&mut d, q).await?;
                    Ok(d)
                }
            },
        }
    }

    /// The deposit and, once consumed, its consume order.
    pub(crate) async fn consume_result(&self, deposit: Deposit) -> Result<ConsumeResult> {
        let order = match (&deposit.consume_no, deposit.state) {
            (Some(no), DepositState::Consumed) => self.inner.ports.ledger.order(no).await?,
            _ => None,
        };
        Ok(ConsumeResult { deposit, order })
    }
}

/// The paid order a consume created (the consume order: refunded like any paid order).
/// Its creation time is the cloud's payment time where known, so reconciliation finds it in
/// the same window as the cloud's copy.
fn consume_order(
    d: &Deposit,
    amount: Money,
    transaction_id: Option<String>,
    paid_at: Option<Timestamp>,
    shift: Option<i64>,
    now: Timestamp,
) -> Result<Order> {
    let no = d
        .consume_no
        .clone()
        .ok_or_else(|| TerminalError::Invalid(format!("deposit {} has no consume order", d.no)))?;
    let at = paid_at.unwrap_or(now).max(d.created_at).min(now);
    let mut order = Order::new(
        NewOrder {
            no,
            method: PaymentMethod::Wallet(d.wallet),
            amount,
            code_masked: Some(d.code_masked.clone()),
            store_id: d.store_id.clone(),
            device_id: d.device_id.clone(),
            clerk_id: d.settled_by.clone().unwrap_or_else(|| d.clerk_id.clone()),
            shift_id: shift.or(d.shift_id),
            body: d.body.clone(),
            remark: d.remark.clone(),
        },
        at,
    );
    order.mark_paid(transaction_id, at, now).map_err(illegal)?;
    Ok(order)
}
