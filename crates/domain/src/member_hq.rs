//! Chain-wide member cards: the money movements a till asks its head office for, and the
//! durable **intents** the till writes before it asks.
//!
//! When a head office is configured it is the authority for every card's balance
//! (`cloudpos-hq-protocol`'s `members` module states its rules). The till never moves a
//! card's money itself: it writes a [`HqIntent`] (the [`MemberMovement`] it will send, keyed
//! by the order or refund number it belongs to) durably first, then sends it, and sends the
//! *same* movement again — same key — after a lost answer or a crash until the head office
//! answers. The head office applies a key once and answers every replay with the first
//! outcome, so a card is never debited or credited twice.
//!
//! The intents' states:
//!
//! ```text
//! promised ──(its recharge payment recorded paid, same transaction)──► pending
//!    └──(the payment failed, closed or was reversed)──► cancelled
//! pending ──(the head office applied it)──► applied
//!    └──(the head office refused it for good: balance, frozen, unknown card, a key
//!        conflict — see [`LinkError::refuses_for_good`])──► refused (final, never sent again)
//! ```
//!
//! A card payment's intent carries the paid order: it is recorded in the ledger by the
//! transaction that marks the intent applied (its lines' quantities leave stock in that same
//! transaction), and never otherwise, so no paid order exists without its debit and no debit
//! is recorded twice. A refused card payment's order is recorded **failed** by the
//! transaction that marks the intent refused ([`HqIntent::failed_order`]): nothing was taken.
//!
//! [`LinkError::refuses_for_good`]: crate::hq_ports::LinkError::refuses_for_good

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::clerk::ClerkId;
use crate::member::{CardNo, MemberError};
use crate::money::Money;
use crate::order::Order;
use crate::timestamp::Timestamp;

/// What a movement does at the head office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Credit a paid recharge and its bonus. Key: the recharge payment's number.
    Recharge,
    /// Debit a purchase paid with the card. Key: the purchase's number.
    Payment,
    /// Credit a refund (or void) of a card payment back to the card. Key: the refund's
    /// number (a void: [`void_key`]).
    Refund,
    /// An admin's correction of either sign, with a reason. Key: an id of the till's.
    Adjustment,
}

impl MovementKind {
    /// Every kind.
    pub const ALL: [MovementKind; 4] = [
        MovementKind::Recharge,
        MovementKind::Payment,
        MovementKind::Refund,
        MovementKind::Adjustment,
    ];

    /// The machine name (`recharge`, `payment`, `refund`, `adjustment`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            MovementKind::Recharge => "recharge",
            MovementKind::Payment => "payment",
            MovementKind::Refund => "refund",
            MovementKind::Adjustment => "adjustment",
        }
    }

    /// Whether it adds money the customer already paid (a recharge, a refund): such
    /// movements are delivered whatever happens, they are never the till's to refuse.
    #[must_use]
    pub const fn is_credit(self) -> bool {
        matches!(self, MovementKind::Recharge | MovementKind::Refund)
    }
}

impl fmt::Display for MovementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MovementKind {
    type Err = MemberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MovementKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| MemberError::BadEntry(format!("unknown movement kind {s}")))
    }
}

/// The key of the credit that returns a voided card payment `order_no` to the card (a void
/// has no refund number of its own).
#[must_use]
pub fn void_key(order_no: &str) -> String {
    format!("void-{order_no}")
}

/// One movement of a card's money, as the till asks the head office for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberMovement {
    /// The idempotency key (an order or refund number, an adjustment id).
    pub key: String,
    /// The card.
    pub card_no: CardNo,
    /// What to do.
    pub kind: MovementKind,
    /// The magnitude for a recharge, payment or refund; signed for an adjustment.
    pub amount: Money,
    /// A recharge's bonus (zero otherwise).
    pub bonus: Money,
    /// For a refund: the key of the card payment it returns.
    pub payment_key: Option<String>,
    /// Why (adjustments).
    pub reason: Option<String>,
    /// Who asked.
    pub clerk_id: ClerkId,
    /// When the till asked.
    pub at: Timestamp,
}

/// What the head office answered a movement (the same for every replay of its key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MovementOutcome {
    /// Applied: `balance` is the card's balance after it.
    Applied {
        /// The balance after the movement.
        balance: Money,
        /// The answer repeats an outcome recorded earlier under the key.
        replayed: bool,
    },
    /// Refused: nothing moved.
    Refused {
        /// The contract's refusal code (`insufficient_balance`, `card_frozen`,
        /// `card_not_found`, `payment_not_found`, `refund_exceeds_payment`).
        code: String,
        /// Its words.
        message: String,
        /// The card's balance when it was refused.
        balance: Money,
    },
}

impl MovementOutcome {
    /// The balance the head office reported.
    #[must_use]
    pub const fn balance(&self) -> Money {
        match self {
            MovementOutcome::Applied { balance, .. } | MovementOutcome::Refused { balance, .. } => {
                *balance
            }
        }
    }

    /// A refusal of `amount` as the till's member rule error (`None` when applied).
    #[must_use]
    pub fn member_error(&self, amount: Money) -> Option<MemberError> {
        match self {
            MovementOutcome::Applied { .. } => None,
            MovementOutcome::Refused {
                code,
                message,
                balance,
            } => Some(match code.as_str() {
                "insufficient_balance" => MemberError::InsufficientBalance {
                    balance: *balance,
                    amount: Money::from_fen(amount.fen().saturating_abs()),
                },
                "card_frozen" => MemberError::NotActive(crate::member::MemberStatus::Frozen),
                _ => MemberError::BadEntry(message.clone()),
            }),
        }
    }
}

/// Where an intent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HqIntentState {
    /// A recharge credit waiting for its wallet payment to be recorded paid.
    Promised,
    /// To be sent (again) until the head office answers.
    Pending,
    /// The head office applied it.
    Applied,
    /// The head office refused it.
    Refused,
    /// A promised credit whose payment never arrived: nothing to send.
    Cancelled,
}

impl HqIntentState {
    /// Every state.
    pub const ALL: [HqIntentState; 5] = [
        HqIntentState::Promised,
        HqIntentState::Pending,
        HqIntentState::Applied,
        HqIntentState::Refused,
        HqIntentState::Cancelled,
    ];

    /// The machine name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            HqIntentState::Promised => "promised",
            HqIntentState::Pending => "pending",
            HqIntentState::Applied => "applied",
            HqIntentState::Refused => "refused",
            HqIntentState::Cancelled => "cancelled",
        }
    }

    /// Whether the head office's answer is known (or nothing is to be sent).
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            HqIntentState::Applied | HqIntentState::Refused | HqIntentState::Cancelled
        )
    }
}

impl fmt::Display for HqIntentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HqIntentState {
    type Err = MemberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HqIntentState::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| MemberError::BadEntry(format!("unknown intent state {s}")))
    }
}

/// A movement the till has promised to send, written before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HqIntent {
    /// The movement (its key is the intent's key).
    pub movement: MemberMovement,
    /// Where it stands.
    pub state: HqIntentState,
    /// A card payment's paid order, recorded when (and only when) the debit is applied.
    pub order: Option<Order>,
    /// Why the head office refused it.
    pub refusal: Option<String>,
    /// The balance the head office last reported with it.
    pub balance: Option<Money>,
    /// When the intent was written.
    pub created_at: Timestamp,
}

impl HqIntent {
    /// Whether it adds money to the card (a recharge, a refund, a positive adjustment): such
    /// a movement refused for good leaves money the customer is owed off the card, and an
    /// administrator must correct the card at the head office.
    #[must_use]
    pub fn credits_the_card(&self) -> bool {
        self.movement.kind.is_credit()
            || (self.movement.kind == MovementKind::Adjustment && self.movement.amount.fen() > 0)
    }

    /// A refused card payment's order as the ledger records it: failed with `reason`, never
    /// paid (the head office took nothing). `None` for an intent without an order.
    #[must_use]
    pub fn failed_order(&self, reason: &str, at: Timestamp) -> Option<Order> {
        let mut order = self.order.clone()?;
        order.state = crate::order::OrderState::Failed;
        order.paid_at = None;
        order.transaction_id = None;
        order.reason = Some(reason.to_owned());
        order.updated_at = at;
        Some(order)
    }
}

/// A movement the head office refused for good, with when the till recorded the refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedMovement {
    /// The intent (state refused, with the head office's reason).
    pub intent: HqIntent,
    /// When the refusal was recorded.
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in MovementKind::ALL {
            assert_eq!(k.as_str().parse::<MovementKind>().unwrap(), k);
        }
        for s in HqIntentState::ALL {
            assert_eq!(s.as_str().parse::<HqIntentState>().unwrap(), s);
        }
        assert!("spend".parse::<MovementKind>().is_err());
        assert!(MovementKind::Refund.is_credit() && !MovementKind::Payment.is_credit());
        assert!(HqIntentState::Refused.is_final() && !HqIntentState::Pending.is_final());
        assert_eq!(void_key("sz01"), "void-sz01");
    }

    #[test]
    fn refusals_become_member_errors() {
        let refused = |code: &str| MovementOutcome::Refused {
            code: code.into(),
            message: "no".into(),
            balance: Money::from_fen(99),
        };
        assert_eq!(
            refused("insufficient_balance").member_error(Money::from_fen(100)),
            Some(MemberError::InsufficientBalance {
                balance: Money::from_fen(99),
                amount: Money::from_fen(100)
            })
        );
        assert_eq!(
            refused("card_frozen").member_error(Money::from_fen(1)),
            Some(MemberError::NotActive(crate::member::MemberStatus::Frozen))
        );
        let applied = MovementOutcome::Applied {
            balance: Money::from_fen(5),
            replayed: false,
        };
        assert_eq!(applied.member_error(Money::from_fen(1)), None);
        assert_eq!(applied.balance(), Money::from_fen(5));
    }

    #[test]
    fn only_a_refusal_of_the_request_itself_is_for_good() {
        use crate::hq_ports::LinkError;
        let refused = |code: &str| LinkError::Refused {
            code: code.into(),
            message: "no".into(),
        };
        for code in ["conflict", "bad_request", "too_large"] {
            assert!(refused(code).refuses_for_good(), "{code}");
        }
        for code in [
            "unauthorized",
            "forbidden",
            "unsupported_version",
            "not_found",
            "address",
            "http_404",
        ] {
            assert!(!refused(code).refuses_for_good(), "{code}");
        }
        assert!(!LinkError::Unreachable("cut".into()).refuses_for_good());
        assert!(
            !LinkError::Unavailable {
                code: "internal".into(),
                message: "x".into()
            }
            .refuses_for_good()
        );
    }

    #[test]
    fn a_refused_payment_fails_its_order_and_credits_are_told_apart() {
        use crate::order::{NewOrder, OrderState, PaymentMethod};
        use crate::order_no::OrderNo;
        let at = Timestamp::from_unix_millis(1_000);
        let clerk = ClerkId::parse("01").unwrap();
        let mut order = Order::new(
            NewOrder {
                no: OrderNo::parse("sz0120261206000001").unwrap(),
                method: PaymentMethod::Wallet(crate::code::Wallet::MemberCard),
                amount: Money::from_fen(100),
                code_masked: None,
                store_id: "s".into(),
                device_id: "d".into(),
                clerk_id: clerk.clone(),
                shift_id: None,
                body: "b".into(),
                remark: String::new(),
            },
            at,
        );
        order.mark_paid(None, at, at).unwrap();
        let movement = |kind, fen| MemberMovement {
            key: order.no.as_str().to_owned(),
            card_no: CardNo::parse("9900000000000001").unwrap(),
            kind,
            amount: Money::from_fen(fen),
            bonus: Money::ZERO,
            payment_key: None,
            reason: None,
            clerk_id: clerk.clone(),
            at,
        };
        let intent = |kind, fen, order: Option<Order>| HqIntent {
            movement: movement(kind, fen),
            state: HqIntentState::Refused,
            order,
            refusal: None,
            balance: None,
            created_at: at,
        };
        let paid = intent(MovementKind::Payment, 100, Some(order.clone()));
        let later = Timestamp::from_unix_millis(2_000);
        let failed = paid.failed_order("card_frozen: frozen", later).unwrap();
        assert_eq!(failed.state, OrderState::Failed);
        assert_eq!(failed.paid_at, None);
        assert_eq!(failed.reason.as_deref(), Some("card_frozen: frozen"));
        assert_eq!((failed.no, failed.updated_at), (order.no.clone(), later));
        assert!(!paid.credits_the_card());
        assert!(intent(MovementKind::Refund, 100, None).credits_the_card());
        assert!(intent(MovementKind::Recharge, 100, None).credits_the_card());
        assert!(intent(MovementKind::Adjustment, 100, None).credits_the_card());
        assert!(!intent(MovementKind::Adjustment, -100, None).credits_the_card());
        assert_eq!(
            intent(MovementKind::Refund, 100, None).failed_order("x", later),
            None
        );
    }
}
