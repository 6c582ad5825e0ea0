//! The `pay` use case and the loop that closes every payment.
//!
//! 1. Refuse before any I/O: halted, nobody logged in, an amount that is zero or above the
//!    maximum per payment, unsupported code, the same code scanned again within 2 s.
//! 2. Commit the intent (state `submitted`) under a fresh order number.
//! 3. Call `micro_pay`, commit what it says.
//! 4. While the outcome is open (user paying, unknown), query every 2 s until paid or failed.
//! 5. Past the deadline (45 s from creation), commit `reversing` and call `reverse` (never
//!    sooner than 15 s after creation, repeated until acknowledged, never for an order Cloud
//!    Pay blocked with 407); commit `reversed`.
//!
//! Each state is committed before the caller learns it, and each commit is a compare-and-set
//! on the state read, so two settlers of one order (two processes) cannot undo each other:
//! the loser re-reads and follows the winner.

use std::time::Duration;

use cloudpos_domain::clerk::Permission;
use cloudpos_domain::code::{PaymentCode, Wallet};
use cloudpos_domain::member::Recharge;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{IllegalTransition, NewOrder, Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::OrderNoGenerator;
use cloudpos_domain::ports::{PayOutcome, PayRequest, QueryOutcome, ReverseOutcome, StoreError};
use cloudpos_domain::timestamp::Timestamp;

use crate::{Event, MerchantProfile, Result, Terminal, TerminalError};

/// A payment to take.
#[derive(Debug, Clone)]
pub struct PayInput {
    /// The amount (already parsed with the strict money parser).
    pub amount: Money,
    /// The scanned or typed payment code.
    pub code: String,
    /// Remark (e.g. the host POS serial number).
    pub remark: String,
    /// Goods description; defaults to the store name.
    pub body: Option<String>,
    /// Overrides the policy's time from creation to reversing.
    pub timeout: Option<Duration>,
}

impl Terminal {
    /// Takes a wallet payment and follows it to a final state (paid, failed, reversed),
    /// or, if a reverse is not acknowledged within the policy's budget, returns the order
    /// still `reversing` (recovery finishes it; the money is never kept).
    pub async fn pay(&self, input: PayInput) -> Result<Order> {
        self.pay_with_lines(input, Vec::new()).await
    }

    /// [`Terminal::pay`] for a full-mode sale: the commodity lines are recorded with the
    /// intent (for the receipt and re-prints).
    pub(crate) async fn pay_with_lines(
        &self,
        input: PayInput,
        lines: Vec<cloudpos_domain::catalog::CartLine>,
    ) -> Result<Order> {
        self.pay_inner(input, lines, None).await
    }

    /// The payment loop, for a sale or (with `recharge`) a member-card recharge whose credit
    /// is committed with the intent and applied by the ledger when, and only when, the
    /// payment is recorded paid. A member card's code is paid from the card's balance
    /// instead of through Cloud Pay.
    pub(crate) async fn pay_inner(
        &self,
        input: PayInput,
        lines: Vec<cloudpos_domain::catalog::CartLine>,
        recharge: Option<Recharge>,
    ) -> Result<Order> {
        self.ensure_not_halted().await?;
        let (session, clerk) = self.current_clerk().await?;
        if !clerk.may(Permission::Pay) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} may not take payments",
                clerk.id
            )));
        }
        self.policy()
            .check_amount(input.amount, crate::AmountLimit::Payment)?;
        let code = self.inner.config.codes.classify(&input.code)?;
        if code.wallet() == Wallet::MemberCard {
            if recharge.is_some() {
                return Err(TerminalError::Invalid(
                    "a member card cannot pay for a recharge: scan the customer's WeChat Pay or \
                     Alipay code"
                        .into(),
                ));
            }
            // A scanner reading the card twice must not debit it twice.
            self.guard_duplicate_scan(&code)?;
            return self
                .pay_by_card(code.as_str(), input.amount, &input.remark, lines)
                .await;
        }
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        let gateway = self.gateway()?;
        self.guard_duplicate_scan(&code)?;

        let now = self.now();
        let new = NewOrder {
            no: self.next_order_no(&merchant, now).await?,
            method: PaymentMethod::Wallet(code.wallet()),
            amount: input.amount,
            code_masked: Some(code.masked()),
            store_id: merchant.out_shop_id.clone(),
            device_id: merchant.device_id.clone(),
            clerk_id: clerk.id.clone(),
            shift_id: Some(session.shift_id),
            body: input
                .body
                .filter(|b| !b.trim().is_empty())
                .unwrap_or_else(|| default_body(&merchant)),
            remark: input.remark,
        };
        let order = self
            .commit_intent(new, lines, recharge.as_ref(), &merchant, now)
            .await?;
        tracing::info!(order = %order.no, amount = %order.amount, wallet = %code.wallet(), "payment intent committed");

        let outcome = gateway
            .micro_pay(&PayRequest {
                order_no: order.no.clone(),
                code,
                amount: order.amount,
                body: order.body.clone(),
                remark: order.remark.clone(),
                staff_id: clerk.cloud_staff_id.clone(),
            })
            .await;
        if let PayOutcome::NotSent { reason } = &outcome {
            // Nothing reached Cloud Pay: refuse now, record why, queue nothing. (Should the
            // note not be written, the intent is completed later; nothing was charged.)
            let mut order = order;
            let now = self.now();
            let note = format!("cloud unreachable: {reason}");
            if let Err(e) = self
                .advance(&mut order, |o| o.mark_failed(&note, now))
                .await
            {
                tracing::error!(order = %order.no, error = %e, "could not record a payment that never left");
            }
            return Err(TerminalError::CloudUnreachable(reason.clone()));
        }
        // From here on the customer may have paid: the cashier hears the final result, or
        // that it is paid in the cloud, or that it is unknown; never a bare error.
        let committed = order.clone();
        match self.follow_payment(order, outcome, input.timeout).await {
            Ok(order) => {
                self.after_paid(&order).await;
                Ok(order)
            }
            Err(e) => Err(self.payment_left_open(&committed, &e)),
        }
    }

    /// Commits `micro_pay`'s answer and follows the payment to a final state within the
    /// cashier's wait.
    async fn follow_payment(
        &self,
        mut order: Order,
        outcome: PayOutcome,
        timeout: Option<Duration>,
    ) -> Result<Order> {
        self.apply_pay_outcome(&mut order, outcome).await?;
        let policy = self.policy();
        let timeout = timeout.unwrap_or(policy.pay_timeout);
        let answer_by = order.created_at.plus(timeout).plus(policy.reverse_budget);
        self.settle(order, timeout, Some(answer_by)).await
    }

    /// Refuses a code seen within the duplicate-scan window (a scanner reading twice).
    pub(crate) fn guard_duplicate_scan(&self, code: &PaymentCode) -> Result<()> {
        let now = self.now();
        let window = self.policy().duplicate_scan_window;
        let mut recent = self
            .inner
            .recent_codes
            .lock()
            .map_err(|_| TerminalError::Invalid("internal lock poisoned".into()))?;
        recent.retain(|_, at| now.since(*at) < window);
        if let Some(at) = recent.get(code.as_str()) {
            let ms = u64::try_from(now.since(*at).as_millis()).unwrap_or(u64::MAX);
            return Err(TerminalError::DuplicateScan(ms));
        }
        recent.insert(code.as_str().to_owned(), now);
        Ok(())
    }

    /// The next order number, resuming the generator from the ledger on first use.
    pub(crate) async fn next_order_no(
        &self,
        merchant: &MerchantProfile,
        now: Timestamp,
    ) -> Result<cloudpos_domain::order_no::OrderNo> {
        let mut generator = self.generator_for(merchant).await?;
        let g = generator
            .as_mut()
            .ok_or_else(|| TerminalError::Invalid("order number generator missing".into()))?;
        Ok(g.next_order_no(now))
    }

    /// Locks the generator, (re)creating it for this merchant's prefix and device and
    /// resuming it after the last numbers in the ledger.
    pub(crate) async fn generator_for(
        &self,
        merchant: &MerchantProfile,
    ) -> Result<tokio::sync::MutexGuard<'_, Option<OrderNoGenerator>>> {
        let mut guard = self.inner.generator.lock().await;
        let fresh = OrderNoGenerator::new(
            &merchant.order_prefix,
            &merchant.device_id,
            self.offset_seconds(),
        )
        .map_err(|e| TerminalError::Invalid(format!("merchant order prefix: {e}")))?;
        let stale = guard
            .as_ref()
            .is_none_or(|g| g.device_tag() != fresh.device_tag());
        if stale {
            let mut g = fresh;
            for no in self.inner.ports.ledger.latest_numbers().await? {
                g.resume_after(&no);
            }
            *guard = Some(g);
        }
        Ok(guard)
    }

    /// Commits the intent; on a number collision (another process of this device issued it)
    /// resumes the generator from the ledger and tries the next number.
    async fn commit_intent(
        &self,
        mut new: NewOrder,
        lines: Vec<cloudpos_domain::catalog::CartLine>,
        recharge: Option<&Recharge>,
        merchant: &MerchantProfile,
        now: Timestamp,
    ) -> Result<Order> {
        for _ in 0..8 {
            let mut order = Order::new(new.clone(), now);
            order.lines.clone_from(&lines);
            order.submit(now).map_err(illegal)?;
            let inserted = match recharge {
                None => self.inner.ports.ledger.insert_order(&order).await,
                Some(r) if self.head_office_access().await?.is_some() => {
                    // Chain-wide: the credit is the head office's, queued when paid.
                    let credit = cloudpos_domain::member_hq::MemberMovement {
                        key: order.no.as_str().to_owned(),
                        card_no: r.card_no.clone(),
                        kind: cloudpos_domain::member_hq::MovementKind::Recharge,
                        amount: r.amount,
                        bonus: r.bonus,
                        payment_key: None,
                        reason: None,
                        clerk_id: order.clerk_id.clone(),
                        at: now,
                    };
                    self.inner
                        .ports
                        .members
                        .insert_hq_recharge_intent(&order, &credit)
                        .await
                }
                Some(r) => {
                    self.inner
                        .ports
                        .members
                        .insert_recharge_intent(&order, r)
                        .await
                }
            };
            match inserted {
                Ok(()) => {
                    self.emit(Event::Order(order.clone()));
                    return Ok(order);
                }
                Err(StoreError::Duplicate(_)) => {
                    let mut g = self.generator_for(merchant).await?;
                    if let Some(g) = g.as_mut() {
                        for no in self.inner.ports.ledger.latest_numbers().await? {
                            g.resume_after(&no);
                        }
                        new.no = g.next_order_no(now);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(TerminalError::Invalid(
            "could not allocate a unique order number".into(),
        ))
    }

    /// Applies a state change and commits it (compare and set). If another writer changed
    /// the order meanwhile, adopts the stored order instead. A write the ledger refuses
    /// (disk full, I/O error) is remembered for completion (`complete.rs`) and returned.
    pub(crate) async fn advance(
        &self,
        order: &mut Order,
        change: impl FnOnce(&mut Order) -> Result<(), IllegalTransition>,
    ) -> Result<()> {
        let before = order.state;
        let mut next = order.clone();
        change(&mut next).map_err(illegal)?;
        match self.inner.ports.ledger.update_order(&next, before).await {
            Ok(()) => {
                *order = next;
                // The write that made a cart's order paid takes its quantities out of stock,
                // whoever makes it: the live payment, a completion after a full disk, or
                // recovery after a crash. The compare-and-set lets exactly one writer see this
                // transition.
                if before != OrderState::Paid
                    && order.state == OrderState::Paid
                    && !order.lines.is_empty()
                {
                    self.take_from_stock(&order.lines).await;
                }
            }
            Err(StoreError::Conflict(reason)) => {
                tracing::info!(order = %order.no, %reason, "order changed by another writer; following it");
                *order = self
                    .inner
                    .ports
                    .ledger
                    .order(&order.no)
                    .await?
                    .ok_or_else(|| TerminalError::NotFound(format!("order {}", order.no)))?;
            }
            Err(e) => {
                self.remember_unwritten(order, &next, &e);
                return Err(e.into());
            }
        }
        self.emit(Event::Order(order.clone()));
        Ok(())
    }

    async fn apply_pay_outcome(&self, order: &mut Order, outcome: PayOutcome) -> Result<()> {
        let now = self.now();
        match outcome {
            PayOutcome::Paid {
                transaction_id,
                paid_at,
            } => {
                self.advance(order, |o| {
                    o.mark_paid(transaction_id, local_paid_at(o, paid_at, now), now)
                })
                .await
            }
            PayOutcome::UserPaying => self.advance(order, |o| o.mark_user_paying(now)).await,
            PayOutcome::Failed { reason } => {
                self.advance(order, |o| o.mark_failed(&reason, now)).await
            }
            PayOutcome::DuplicateBlocked { reason } => {
                tracing::warn!(order = %order.no, %reason, "Cloud Pay anti-reentry (407): failed, never reversed");
                self.advance(order, |o| o.mark_duplicate_blocked(&reason, now))
                    .await
            }
            PayOutcome::Unknown { reason } => {
                tracing::warn!(order = %order.no, %reason, "payment outcome unknown; querying");
                self.advance(order, |o| o.mark_unknown(&reason, now)).await
            }
            PayOutcome::NotSent { reason } => {
                let note = format!("cloud unreachable: {reason}");
                self.advance(order, |o| o.mark_failed(&note, now)).await
            }
        }
    }

    /// Commits what a query said. Returns without committing when nothing changed.
    pub(crate) async fn apply_query(&self, order: &mut Order, outcome: QueryOutcome) -> Result<()> {
        let now = self.now();
        match outcome {
            QueryOutcome::Paid {
                transaction_id,
                paid_at,
            } => {
                if order.state == OrderState::Reversing {
                    // Our reverse is under way; it refunds a payment that slipped in, so the
                    // order ends reversed, never "paid" with the goods gone and money returned.
                    return Ok(());
                }
                self.advance(order, |o| {
                    o.mark_paid(transaction_id, local_paid_at(o, paid_at, now), now)
                })
                .await
            }
            QueryOutcome::Failed { reason } => {
                if order.state == OrderState::Reversing {
                    return self.advance(order, |o| o.mark_reversed(now)).await;
                }
                self.advance(order, |o| o.mark_failed(&reason, now)).await
            }
            QueryOutcome::Reversed => {
                if order.state != OrderState::Reversing {
                    self.advance(order, |o| o.begin_reverse("reversed by Cloud Pay", now))
                        .await?;
                }
                if order.state == OrderState::Reversing {
                    self.advance(order, |o| o.mark_reversed(now)).await?;
                }
                Ok(())
            }
            QueryOutcome::UserPaying => {
                if matches!(order.state, OrderState::Submitted | OrderState::Unknown) {
                    self.advance(order, |o| o.mark_user_paying(now)).await?;
                }
                Ok(())
            }
            QueryOutcome::NotFound | QueryOutcome::Unknown { .. } => {
                if order.state == OrderState::Submitted {
                    let reason = match &outcome {
                        QueryOutcome::Unknown { reason } => reason.clone(),
                        _ => "Cloud Pay does not know the order yet".to_owned(),
                    };
                    self.advance(order, |o| o.mark_unknown(&reason, now))
                        .await?;
                }
                Ok(())
            }
        }
    }

    /// Follows an order to a final state: query until the deadline (`timeout` after the
    /// order's creation), then reverse.
    ///
    /// With `answer_by` (a live payment), no call is left waiting past it: a query that
    /// has not answered a poll interval after the deadline is abandoned, and reversing
    /// stops at `answer_by`, leaving the order `reversing` for recovery. The cashier's
    /// wait is therefore bounded by `pay_timeout + reverse_budget` (57 s by default), whatever
    /// the network does. Without it (recovery), reversing gets the full budget from its
    /// start.
    pub(crate) async fn settle(
        &self,
        mut order: Order,
        timeout: Duration,
        answer_by: Option<Timestamp>,
    ) -> Result<Order> {
        let clock = &self.inner.ports.clock;
        let policy = self.policy();
        let deadline = order.created_at.plus(timeout);
        let wallet = order.method.wallet();
        loop {
            match order.state {
                OrderState::Paid | OrderState::Failed | OrderState::Reversed => return Ok(order),
                OrderState::Reversing => {
                    let until =
                        answer_by.unwrap_or_else(|| clock.now().plus(policy.reverse_budget));
                    return self.reverse_until_acknowledged(order, until).await;
                }
                OrderState::Created
                | OrderState::Submitted
                | OrderState::UserPaying
                | OrderState::Unknown => {
                    let now = clock.now();
                    if now >= deadline {
                        if order.never_reverse {
                            return Ok(order);
                        }
                        let reason = format!("no result within {} s", timeout.as_secs());
                        self.advance(&mut order, |o| o.begin_reverse(&reason, now))
                            .await?;
                        continue;
                    }
                    clock
                        .sleep(policy.poll_interval.min(deadline.since(now)))
                        .await;
                    let give_up = deadline.plus(policy.poll_interval);
                    let q = self
                        .within(give_up, self.gateway()?.query_order(&order.no, wallet))
                        .await
                        .unwrap_or_else(|| QueryOutcome::Unknown {
                            reason: "no answer to the query before the deadline".into(),
                        });
                    self.apply_query(&mut order, q).await?;
                }
            }
        }
    }

    /// Calls `reverse` until Cloud Pay acknowledges it, or `until` (at least one attempt).
    pub(crate) async fn reverse_until_acknowledged(
        &self,
        mut order: Order,
        until: Timestamp,
    ) -> Result<Order> {
        let clock = &self.inner.ports.clock;
        let policy = self.policy();
        let earliest = order.created_at.plus(policy.min_reverse_after);
        let now = clock.now();
        if now < earliest {
            clock.sleep(earliest.since(now)).await;
        }
        // One attempt always gets at least a poll interval, even past `until`.
        let first_until = until.max(clock.now().plus(policy.poll_interval));
        let mut backoff = policy.reverse_backoff;
        let wallet = order.method.wallet();
        let mut attempt_until = first_until;
        while order.state == OrderState::Reversing {
            let outcome = self
                .within(attempt_until, self.gateway()?.reverse(&order.no, wallet))
                .await
                .unwrap_or_else(|| ReverseOutcome::Retry {
                    reason: "no answer to the reverse in time".into(),
                });
            attempt_until = until;
            let now = clock.now();
            match outcome {
                ReverseOutcome::Reversed => {
                    tracing::info!(order = %order.no, "reverse acknowledged");
                    self.advance(&mut order, |o| o.mark_reversed(now)).await?;
                    break;
                }
                ReverseOutcome::Retry { reason } => {
                    tracing::warn!(order = %order.no, %reason, "reverse not acknowledged; retrying");
                }
                ReverseOutcome::Refused { reason } => {
                    // A definite refusal: find out where the order stands. Closed or unknown
                    // to the cloud means not charged, which is what a reverse achieves.
                    tracing::error!(order = %order.no, %reason, "reverse refused");
                    let q = self
                        .within(
                            until.max(now.plus(policy.poll_interval)),
                            self.gateway()?.query_order(&order.no, wallet),
                        )
                        .await;
                    match q {
                        Some(
                            QueryOutcome::Reversed
                            | QueryOutcome::Failed { .. }
                            | QueryOutcome::NotFound,
                        ) => {
                            self.advance(&mut order, |o| o.mark_reversed(now)).await?;
                            break;
                        }
                        _ => {
                            let note = format!("reverse refused by Cloud Pay: {reason}");
                            self.advance(&mut order, |o| {
                                o.reason = Some(note);
                                Ok(())
                            })
                            .await?;
                        }
                    }
                }
            }
            let now = clock.now();
            if now.plus(backoff) >= until {
                tracing::warn!(order = %order.no, "reverse still unacknowledged; recovery will continue");
                break;
            }
            clock.sleep(backoff).await;
            backoff = (backoff * 2).min(policy.reverse_backoff_max);
        }
        Ok(order)
    }

    /// Runs a Cloud Pay call, abandoning it (as if no answer came) at `until`. An abandoned
    /// call may still take effect in the cloud; every caller treats "no answer" as unknown
    /// and resolves it by query or reverse. (A real-time limit: a virtual test clock does
    /// not race the call.)
    async fn within<T>(&self, until: Timestamp, call: impl Future<Output = T>) -> Option<T> {
        let left = until.since(self.inner.ports.clock.now());
        tokio::time::timeout(left, call).await.ok()
    }
}

/// When the ledger says an order was paid: the cloud's time (whole seconds, the cloud's clock)
/// kept between the order's creation and the moment the terminal learned it, so shift and
/// period summaries, which are local intervals, count every payment in the shift it was
/// taken in.
fn local_paid_at(order: &Order, cloud: Option<Timestamp>, now: Timestamp) -> Timestamp {
    cloud
        .unwrap_or(now)
        .max(order.created_at)
        .min(now.max(order.created_at))
}

fn default_body(merchant: &MerchantProfile) -> String {
    if merchant.store_name.trim().is_empty() {
        "CloudPOS".to_owned()
    } else {
        merchant.store_name.clone()
    }
}

#[allow(clippy::needless_pass_by_value, reason = "shaped for Result::map_err")]
pub(crate) fn illegal(e: IllegalTransition) -> TerminalError {
    TerminalError::Invalid(format!("internal error: {e}"))
}
