//! Chain-wide member cards: with a head office configured, it is the authority for every
//! card's balance (`cloudpos_domain::member_hq`). **Rule: a configured head office makes
//! the till's member cards chain-wide** — look-ups, additions, imports and exports, the
//! ledger, card payments, recharge credits, refunds and voids back to the card and admin
//! adjustments all go to the head office; the till's local card ledger is no longer used.
//!
//! Every movement is written as a durable intent first ([`MemberLedger::insert_hq_intent`]
//! and friends), keyed by its order or refund number, then sent; a lost answer is replayed
//! at once a few times, and what still has no answer stays pending and is replayed with
//! the same key by [`Terminal::deliver_member_movements`] (the head-office sync and
//! recovery run it) until the head office answers. An answer that refuses the movement for
//! good (a refusal, or a key conflict or bad request) is audited and makes the intent
//! `refused`, never sent again: a refused card payment's order ends failed, a refused
//! credit is shown by `hq status` for an administrator to correct at the head office. The head office applies a key once, so a
//! card is never debited or credited twice; a card payment's order is recorded paid by the
//! transaction that records its debit applied, so there is never a paid order without a
//! debit.
//!
//! [`MemberLedger::insert_hq_intent`]: cloudpos_domain::member_ports::MemberLedger::insert_hq_intent

use std::sync::Arc;

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::hq_ports::{HeadOfficeAccess, HeadOfficeLink, LinkError, LinkRetry};
use cloudpos_domain::member::{CardNo, MemberAccount, MemberCard, MemberEntry};
use cloudpos_domain::member_hq::{
    HqIntent, HqIntentState, MemberMovement, MovementKind, MovementOutcome,
};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::Order;
use cloudpos_domain::ports::StoreError;
use serde::Serialize;

use crate::{Result, Terminal, TerminalError};

/// What a till says when the head office cannot be reached for a member card.
pub const HQ_UNREACHABLE: &str = "总部无法连接，会员卡暂不可用 (the head office cannot be reached: member cards are unavailable for now)";

/// How many times a movement is sent at once before it is left to the background replay.
const IMMEDIATE_TRIES: usize = 3;

/// The head office the member cards go to.
#[derive(Clone)]
pub(crate) struct Chain {
    link: Arc<dyn HeadOfficeLink>,
    access: HeadOfficeAccess,
}

/// A movement of a card still waiting for the head office's answer (shown beside the
/// balance: a recharge paid but not yet credited, a refund on its way back to the card).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingMovement {
    /// Its key (the order or refund number).
    pub key: String,
    /// `recharge`, `payment`, `refund` or `adjustment`.
    pub kind: MovementKind,
    /// What it adds to the balance once applied (a payment: negative; a recharge: with its
    /// bonus).
    pub amount: Money,
}

impl PendingMovement {
    fn of(i: &HqIntent) -> PendingMovement {
        let m = &i.movement;
        let amount = match m.kind {
            MovementKind::Recharge => m.amount.checked_add(m.bonus).unwrap_or(m.amount),
            MovementKind::Payment => Money::from_fen(-m.amount.fen()),
            MovementKind::Refund | MovementKind::Adjustment => m.amount,
        };
        PendingMovement {
            key: m.key.clone(),
            kind: m.kind,
            amount,
        }
    }
}

/// What [`Terminal::deliver_member_movements`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemberDelivery {
    /// Movements applied by the head office now.
    pub applied: usize,
    /// Movements it refused now.
    pub refused: usize,
    /// Movements still waiting for an answer.
    pub pending: usize,
}

/// What sending an intent came to.
enum Sent {
    /// The head office applied it (now or before: a replay).
    Applied(HqIntent),
    /// Refused for good (marked refused, audited), with the error to show.
    Refused(HqIntent, TerminalError),
    /// Still no answer: the intent stays pending.
    NoAnswer,
}

/// A head-office error met by a member-card call: unreachable (or unable to work now) is
/// [`HQ_UNREACHABLE`]; anything else names the refusal.
pub(crate) fn member_link_error(e: &LinkError) -> TerminalError {
    match e.retry() {
        LinkRetry::Later => TerminalError::Invalid(format!("{HQ_UNREACHABLE}: {e}")),
        LinkRetry::Resume | LinkRetry::Stop => TerminalError::Invalid(e.to_string()),
    }
}

/// The error of a movement the head office refused.
fn refusal_error(outcome: &MovementOutcome, amount: Money) -> TerminalError {
    match outcome.member_error(amount) {
        Some(e) => TerminalError::Store(StoreError::Member(e)),
        None => TerminalError::Invalid("the head office refused the movement".into()),
    }
}

impl Terminal {
    /// The head office that keeps the member cards, when one is configured.
    pub(crate) async fn chain_members(&self) -> Result<Option<Chain>> {
        let Some(access) = self.head_office_access().await? else {
            return Ok(None);
        };
        let link = self.head_office_link().await?;
        Ok(Some(Chain { link, access }))
    }

    /// A card at the head office; unreachable → [`HQ_UNREACHABLE`], unknown → not found.
    pub(crate) async fn chain_account(
        &self,
        chain: &Chain,
        card: &CardNo,
    ) -> Result<MemberAccount> {
        chain
            .link
            .member_card(&chain.access, card)
            .await
            .map_err(|e| member_link_error(&e))?
            .ok_or_else(|| TerminalError::NotFound(format!("member card {card}")))
    }

    pub(crate) async fn chain_by_phone(
        &self,
        chain: &Chain,
        phone: &str,
    ) -> Result<Vec<MemberAccount>> {
        chain
            .link
            .member_cards(&chain.access, Some(phone.trim()))
            .await
            .map_err(|e| member_link_error(&e))
    }

    pub(crate) async fn chain_all(&self, chain: &Chain) -> Result<Vec<MemberAccount>> {
        chain
            .link
            .member_cards(&chain.access, None)
            .await
            .map_err(|e| member_link_error(&e))
    }

    pub(crate) async fn chain_put(
        &self,
        chain: &Chain,
        cards: &[MemberCard],
        upsert: bool,
    ) -> Result<Vec<MemberAccount>> {
        chain
            .link
            .put_member_cards(&chain.access, cards, upsert)
            .await
            .map_err(|e| member_link_error(&e))
    }

    pub(crate) async fn chain_entries(
        &self,
        chain: &Chain,
        card: &CardNo,
    ) -> Result<Vec<MemberEntry>> {
        chain
            .link
            .member_entries(&chain.access, card)
            .await
            .map_err(|e| member_link_error(&e))
    }

    /// Sends a pending intent (up to [`IMMEDIATE_TRIES`] times while no answer comes) and
    /// records the answer. A refusal for good — the head office's refusal (balance, frozen,
    /// unknown card…) or an error that refuses the request itself
    /// ([`LinkError::refuses_for_good`]: a key conflict, a bad request) — is written to the
    /// audit log, then the intent is marked refused (final: never sent again; a card
    /// payment's order is recorded failed). Any other error needs a person (a revoked
    /// credential…) and leaves the intent pending: it is the `Err`.
    async fn send_intent(
        &self,
        chain: &Chain,
        movement: &MemberMovement,
        tries: usize,
    ) -> Result<Sent> {
        let mut last = None;
        for _ in 0..tries {
            match chain.link.member_movement(&chain.access, movement).await {
                Ok(outcome) => {
                    if let MovementOutcome::Refused { code, message, .. } = &outcome {
                        self.audit_refusal(movement, &format!("{code}: {message}"))
                            .await?;
                    }
                    let intent = self
                        .inner
                        .ports
                        .members
                        .finish_hq_intent(&movement.key, &outcome, self.now())
                        .await?;
                    return Ok(match intent.state {
                        HqIntentState::Applied => Sent::Applied(intent),
                        _ => Sent::Refused(intent, refusal_error(&outcome, movement.amount)),
                    });
                }
                Err(e) if e.retry() == LinkRetry::Later => last = Some(e),
                Err(e) if e.refuses_for_good() => {
                    let reason = match &e {
                        LinkError::Refused { code, message } => format!("{code}: {message}"),
                        other => other.to_string(),
                    };
                    self.audit_refusal(movement, &reason).await?;
                    let intent = self
                        .inner
                        .ports
                        .members
                        .refuse_hq_intent(&movement.key, &reason, self.now())
                        .await?;
                    return Ok(match intent.state {
                        HqIntentState::Applied => Sent::Applied(intent),
                        _ => Sent::Refused(intent, member_link_error(&e)),
                    });
                }
                Err(e) => return Err(member_link_error(&e)),
            }
        }
        if let Some(e) = last {
            tracing::warn!(
                "member card movement {} has no answer yet: {e}",
                movement.key
            );
        }
        Ok(Sent::NoAnswer)
    }

    /// Writes a movement the head office refused for good to the audit log (before the
    /// intent is marked refused, so a refusal is never recorded without its audit record).
    async fn audit_refusal(&self, movement: &MemberMovement, reason: &str) -> Result<()> {
        tracing::warn!(
            "the head office refused member card movement {} ({} {} of card {}) for good: {reason}",
            movement.key,
            movement.kind,
            movement.amount,
            movement.card_no
        );
        self.audit(
            "system",
            "member_movement_refused",
            serde_json::json!({
                "key": movement.key,
                "kind": movement.kind.as_str(),
                "card_no": movement.card_no.as_str(),
                "amount_fen": movement.amount.fen(),
                "bonus_fen": movement.bonus.fen(),
                "clerk_id": movement.clerk_id.as_str(),
                "refusal": reason,
            }),
        )
        .await
    }

    /// Pays `order` (paid, member card) from `card` at the head office: the intent (with
    /// the order) is written, then the debit sent under the order's number; the order is
    /// recorded paid with the applied debit. The inner error is the store's (a taken order
    /// number: the caller tries the next one).
    pub(crate) async fn chain_debit(
        &self,
        chain: &Chain,
        order: &Order,
        card: &CardNo,
        clerk: &ClerkId,
    ) -> Result<std::result::Result<(), StoreError>> {
        let movement = MemberMovement {
            key: order.no.as_str().to_owned(),
            card_no: card.clone(),
            kind: MovementKind::Payment,
            amount: order.amount,
            bonus: Money::ZERO,
            payment_key: None,
            reason: None,
            clerk_id: clerk.clone(),
            at: order.created_at,
        };
        let intent = HqIntent {
            movement: movement.clone(),
            state: HqIntentState::Pending,
            order: Some(order.clone()),
            refusal: None,
            balance: None,
            created_at: self.now(),
        };
        if let Err(e) = self.inner.ports.members.insert_hq_intent(&intent).await {
            return Ok(Err(e));
        }
        match self.send_intent(chain, &movement, IMMEDIATE_TRIES).await? {
            Sent::Applied(_) => Ok(Ok(())),
            Sent::Refused(_, e) => Err(e),
            Sent::NoAnswer => {
                // Not a failure: the head office may have applied the debit. The order is
                // shown as not yet known; the sync (or recovery) completes it.
                let mut open = order.clone();
                open.state = cloudpos_domain::order::OrderState::Unknown;
                open.paid_at = None;
                Err(TerminalError::ResultUnknown {
                    order: Box::new(open),
                    cause: format!(
                        "总部未应答，会员卡支付 {no} 待确认 (the head office did not answer: the \
                         card debit of {no} is completed by the head-office sync (`cloudpos hq \
                         sync --once`) when the head office answers; do not take the payment \
                         again)",
                        no = order.no
                    ),
                })
            }
        }
    }

    /// The recharge credit of a paid recharge `order`, sent now if it is still pending.
    /// Returns whether the head office has applied it.
    pub(crate) async fn chain_credit_recharge(&self, chain: &Chain, order: &Order) -> Result<bool> {
        let Some(intent) = self
            .inner
            .ports
            .members
            .hq_intent(order.no.as_str())
            .await?
        else {
            return Ok(false);
        };
        if intent.state == HqIntentState::Pending {
            return Ok(matches!(
                self.send_intent(chain, &intent.movement, 1).await,
                Ok(Sent::Applied(_))
            ));
        }
        Ok(intent.state == HqIntentState::Applied)
    }

    /// An admin's adjustment at the head office (the intent written first, keyed by an id
    /// of this till's); the card after it.
    pub(crate) async fn chain_adjust(
        &self,
        chain: &Chain,
        entry: &MemberEntry,
        clerk: &ClerkId,
    ) -> Result<()> {
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        let device: String = format!("{}{}", merchant.order_prefix, merchant.device_id)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(32)
            .collect();
        let now = self.now();
        let movement = MemberMovement {
            key: format!("adj-{device}-{}", now.unix_millis()),
            card_no: entry.card_no.clone(),
            kind: MovementKind::Adjustment,
            amount: entry.amount,
            bonus: Money::ZERO,
            payment_key: None,
            reason: entry.reason.clone(),
            clerk_id: clerk.clone(),
            at: now,
        };
        self.inner
            .ports
            .members
            .insert_hq_intent(&HqIntent {
                movement: movement.clone(),
                state: HqIntentState::Pending,
                order: None,
                refusal: None,
                balance: None,
                created_at: now,
            })
            .await?;
        match self.send_intent(chain, &movement, IMMEDIATE_TRIES).await? {
            Sent::Applied(_) => Ok(()),
            Sent::Refused(_, e) => Err(e),
            Sent::NoAnswer => Err(TerminalError::Invalid(format!(
                "{HQ_UNREACHABLE}: adjustment {} is queued and is applied when the head office answers",
                movement.key
            ))),
        }
    }

    /// The movements of `card` still waiting for the head office (a paid recharge not yet
    /// credited, a refund on its way back, a card payment whose answer was lost).
    ///
    /// # Errors
    /// Not logged in; a bad card number; the ledger.
    pub async fn pending_member_movements(&self, card: &str) -> Result<Vec<PendingMovement>> {
        self.current_clerk().await?;
        let no = CardNo::parse(card).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        Ok(self
            .inner
            .ports
            .members
            .open_hq_intents(Some(&no))
            .await?
            .iter()
            .map(PendingMovement::of)
            .collect())
    }

    /// Sends the queued member-card movements now, best effort (after a refund or void of a
    /// card payment queued its credit back); what gets no answer waits for the sync.
    pub(crate) async fn push_member_credits(&self) {
        match self.deliver_member_movements().await {
            Ok(d) if d.pending > 0 => tracing::warn!(
                "{} member card movements wait for the head office",
                d.pending
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("member card movements not delivered: {e}"),
        }
    }

    /// Sends every pending member-card movement to the head office again, under its key,
    /// oldest first, and records the answers: an applied card payment's order is recorded
    /// paid then (its cart's quantities leave stock in the same transaction), a payment
    /// refused for good is recorded failed. A refusal for good (see `send_intent`) is
    /// audited and final: that movement is never sent again; any other error leaves it
    /// pending. Stops at the first movement without an answer (the
    /// rest waits for the next run). Nothing to do without a head office. Run by the
    /// head-office sync and by recovery.
    ///
    /// # Errors
    /// The ledger.
    pub async fn deliver_member_movements(&self) -> Result<MemberDelivery> {
        let mut report = MemberDelivery::default();
        let open = self.inner.ports.members.open_hq_intents(None).await?;
        if open.is_empty() {
            return Ok(report);
        }
        let Some(chain) = self.chain_members().await? else {
            report.pending = open.len();
            return Ok(report);
        };
        let mut stopped = false;
        for intent in open {
            if stopped {
                report.pending += 1;
                continue;
            }
            match self.send_intent(&chain, &intent.movement, 1).await {
                Ok(Sent::Applied(i)) => {
                    report.applied += 1;
                    if let Some(order) = &i.order {
                        self.emit(crate::Event::Order(order.clone()));
                    }
                }
                Ok(Sent::Refused(i, _)) => {
                    report.refused += 1;
                    // A card payment's order, now recorded failed.
                    if let Some(order) = &i.order
                        && let Ok(Some(failed)) = self.inner.ports.ledger.order(&order.no).await
                    {
                        self.emit(crate::Event::Order(failed));
                    }
                }
                Ok(Sent::NoAnswer) => {
                    stopped = true;
                    report.pending += 1;
                }
                Err(e) => {
                    tracing::warn!(
                        "member card movement {} was not delivered (it stays pending): {e}",
                        intent.movement.key
                    );
                    report.pending += 1;
                }
            }
        }
        Ok(report)
    }
}
