//! Member cards kept chain-wide at the head office: the cards, their entries, and the money
//! movements a till asks for, each under an idempotency key.
//!
//! When a till has a head office, the head office is the authority for every card's
//! balance. The till never debits or credits a card itself: it asks, with a
//! [`MovementRequest`] keyed by the order or refund number the movement belongs to (its
//! `out_trade_no` for a recharge or a card payment, its `out_refund_no` for a refund to the
//! card, an adjustment id of its own for an admin's correction).
//!
//! ## Rules
//!
//! 1. **One key, one outcome, for ever.** The head office records the outcome of a key
//!    (applied *or* refused) in the same PostgreSQL transaction as the entries it writes.
//!    The same request sent again under that key — after a lost answer, a killed till or a
//!    killed head office — changes nothing and is answered with the first outcome
//!    ([`MovementResponse::replayed`] true). A *different* request under a used key (another
//!    card, kind, amount, bonus, payment key or reason) is refused with
//!    [`ErrorCode::Conflict`](crate::ErrorCode::Conflict) and moves nothing. Keys are
//!    unique chain-wide (one head office is one chain); order and refund numbers already
//!    are, since they carry the shop and device.
//! 2. **Never spendable twice.** A movement locks its card's row (`SELECT … FOR UPDATE`)
//!    and checks the balance it read under that lock, so two tills debiting one card at once
//!    are applied one after the other and the second is refused when the first leaves too
//!    little. The balance can never go below zero (a database check as well).
//! 3. **Refusals are answers, not errors.** A debit above the balance, a debit of a frozen
//!    card, an unknown card, or a refund to the card beyond the payment it returns is
//!    answered `200` with [`MovementStatus::Refused`], a machine [`RefusalCode`] and the
//!    card's balance — and is recorded under its key like an applied movement, so a replay
//!    can never turn a refused payment into a paid one later.
//! 4. **Credits of money already taken are never refused for the card's status.** A
//!    recharge is credited after its wallet payment is paid, and a refund to the card
//!    returns money the card paid; both are applied to a frozen card too (a till checks the
//!    status before charging the wallet). Payments and negative adjustments need the
//!    balance; payments also need an active card.
//! 5. **Entries are append-only.** Every applied movement appends entries (a recharge with
//!    a bonus appends two: `recharge` and `bonus`); the balance is their sum, kept beside
//!    the card and checked against it.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::member::{
    CardNo, EntryKind, MemberAccount, MemberCard, MemberEntry, MemberError, MemberStatus,
};
use cloudpos_domain::money::Money;
use cloudpos_domain::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use crate::PROTOCOL_VERSION;
use crate::change::{MAX_ID_BYTES, MAX_TEXT_BYTES, RecordError, id, opt_text, time};

/// Most cards in one [`PutCards`] (an Excel import is sent in one request: all or nothing).
pub const MAX_CARDS: usize = 10_000;

/// Largest amount of one movement, fen (100 million yuan): far above any till's limit, and
/// far from overflowing a balance.
pub const MAX_MOVEMENT_FEN: i64 = 10_000_000_000;

/// A card as a till sends it (`POST /api/v1/members`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardInput {
    /// The card number (its barcode).
    pub card_no: String,
    /// The member's name.
    pub name: String,
    /// The member's phone (may be empty).
    #[serde(default)]
    pub phone: String,
    /// `active` or `frozen`.
    pub status: MemberStatus,
    /// When the till added it (Unix ms).
    pub created_at: i64,
}

impl CardInput {
    /// The till's card as it travels.
    #[must_use]
    pub fn from_card(card: &MemberCard) -> CardInput {
        CardInput {
            card_no: card.card_no.as_str().to_owned(),
            name: card.name.clone(),
            phone: card.phone.clone(),
            status: card.status,
            created_at: card.created_at.unix_millis(),
        }
    }

    /// The domain card, after the till's own rules (card number, name, phone).
    pub fn to_card(&self) -> Result<MemberCard, RecordError> {
        let no =
            CardNo::parse(&self.card_no).map_err(|e| RecordError::new("card_no", e.to_string()))?;
        time("created_at", self.created_at)?;
        let mut card = MemberCard::new(
            no,
            &self.name,
            &self.phone,
            Timestamp::from_unix_millis(self.created_at),
        )
        .map_err(|e| {
            let field = match e {
                MemberError::BadPhone(_) => "phone",
                _ => "name",
            };
            RecordError::new(field, e.to_string())
        })?;
        card.status = self.status;
        Ok(card)
    }
}

/// `POST /api/v1/members`: adds cards, or adds and updates them (an import).
///
/// All or nothing, in one transaction. With `upsert` false (adding a member) a card that
/// exists already is [`ErrorCode::Conflict`](crate::ErrorCode::Conflict) naming it — unless
/// it has the same name and phone, which is the replay of a lost answer and succeeds. With
/// `upsert` true, known cards get the name, phone and status sent. Balances are never
/// sent: they move only by movements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutCards {
    /// Contract version.
    pub v: u32,
    /// The cards; at most [`MAX_CARDS`], each number once.
    pub cards: Vec<CardInput>,
    /// Update known cards instead of refusing them.
    #[serde(default)]
    pub upsert: bool,
}

impl PutCards {
    /// A request of version 1.
    #[must_use]
    pub fn new(cards: Vec<CardInput>, upsert: bool) -> PutCards {
        PutCards {
            v: PROTOCOL_VERSION,
            cards,
            upsert,
        }
    }

    /// Checks every card, their count and that no number appears twice; the domain cards.
    pub fn validate(&self) -> Result<Vec<MemberCard>, RecordError> {
        if self.cards.len() > MAX_CARDS {
            return Err(RecordError::new(
                "cards",
                format!(
                    "at most {MAX_CARDS} cards in one request, got {}",
                    self.cards.len()
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(self.cards.len());
        for c in &self.cards {
            let card = c.to_card()?;
            if !seen.insert(card.card_no.clone()) {
                return Err(RecordError::new(
                    "card_no",
                    format!("card {} appears twice in one request", card.card_no),
                ));
            }
            out.push(card);
        }
        Ok(out)
    }
}

/// A card with its balance, as the head office holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardView {
    /// The card number.
    pub card_no: String,
    /// The member's name.
    pub name: String,
    /// The member's phone.
    pub phone: String,
    /// `active` or `frozen`.
    pub status: MemberStatus,
    /// The balance, fen (the sum of the card's entries).
    pub balance_fen: i64,
    /// When the card was added (Unix ms, the adding till's clock).
    pub created_at: i64,
}

impl CardView {
    /// The till's account.
    pub fn to_account(&self) -> Result<MemberAccount, RecordError> {
        let no =
            CardNo::parse(&self.card_no).map_err(|e| RecordError::new("card_no", e.to_string()))?;
        Ok(MemberAccount {
            card: MemberCard {
                card_no: no,
                name: self.name.clone(),
                phone: self.phone.clone(),
                status: self.status,
                created_at: Timestamp::from_unix_millis(self.created_at),
            },
            balance: Money::from_fen(self.balance_fen),
        })
    }
}

/// Cards: the answer of `POST /api/v1/members` (the cards after it, in the order sent) and
/// of `GET /api/v1/members?phone=P` (by card number; without `phone`, every card).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardsResponse {
    /// Contract version.
    pub v: u32,
    /// The cards.
    pub cards: Vec<CardView>,
}

/// One entry of a card, with the balance after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryView {
    /// What moved the money.
    pub kind: EntryKind,
    /// Signed amount, fen.
    pub amount_fen: i64,
    /// The card's balance once it was applied, fen.
    pub balance_after_fen: i64,
    /// The idempotency key of the movement that wrote it.
    pub key: String,
    /// The order or refund number it belongs to (for a refund, the refund's own number).
    pub reference: Option<String>,
    /// Why (adjustments).
    pub reason: Option<String>,
    /// Who made it.
    pub clerk: Option<String>,
    /// The store of the till that asked.
    pub store: String,
    /// The device of the till that asked.
    pub device: String,
    /// When the till asked (Unix ms).
    pub at: i64,
}

impl EntryView {
    /// The till's entry of card `card`.
    pub fn to_entry(&self, card: &CardNo) -> Result<MemberEntry, RecordError> {
        let clerk_id = match &self.clerk {
            Some(c) => {
                Some(ClerkId::parse(c).map_err(|e| RecordError::new("clerk", e.to_string()))?)
            }
            None => None,
        };
        Ok(MemberEntry {
            card_no: card.clone(),
            kind: self.kind,
            amount: Money::from_fen(self.amount_fen),
            reference: self.reference.clone(),
            reason: self.reason.clone(),
            clerk_id,
            at: Timestamp::from_unix_millis(self.at),
        })
    }
}

/// `GET /api/v1/members/{card_no}/entries`: the card's entries, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntriesResponse {
    /// Contract version.
    pub v: u32,
    /// The card.
    pub card_no: String,
    /// Its balance now, fen.
    pub balance_fen: i64,
    /// The entries, oldest first.
    pub entries: Vec<EntryView>,
}

/// What a movement does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Credit a paid recharge (`amount_fen`) and its bonus (`bonus_fen`). Key: the
    /// recharge payment's `out_trade_no`.
    Recharge,
    /// Debit a purchase paid with the card. Key: the purchase's `out_trade_no`.
    Payment,
    /// Credit a refund of a card payment back to the card. Key: the `out_refund_no`;
    /// `payment_key` names the payment refunded.
    Refund,
    /// An admin's correction of either sign, with a reason. Key: an id of the till's.
    Adjustment,
}

impl MovementKind {
    /// The machine name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            MovementKind::Recharge => "recharge",
            MovementKind::Payment => "payment",
            MovementKind::Refund => "refund",
            MovementKind::Adjustment => "adjustment",
        }
    }
}

/// `POST /api/v1/member-movements`: move money on a card, once per key.
///
/// ```json
/// {"v": 1, "key": "sz0100ABCD2611221300000042", "card_no": "99000001", "kind": "payment",
///  "amount_fen": 1250, "clerk": "01", "at": 1795324938123}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovementRequest {
    /// Contract version.
    pub v: u32,
    /// The idempotency key (rule 1): 1–64 printable ASCII characters without spaces.
    pub key: String,
    /// The card.
    pub card_no: String,
    /// What to do.
    pub kind: MovementKind,
    /// Fen: above zero for a recharge, payment or refund (the magnitude: a payment debits
    /// it); either sign, never zero, for an adjustment.
    pub amount_fen: i64,
    /// A recharge's bonus, fen (zero or more; zero for other kinds).
    #[serde(default)]
    pub bonus_fen: i64,
    /// For a refund: the key of the card payment it returns (required there, absent
    /// elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_key: Option<String>,
    /// Why: required for an adjustment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The clerk who asked.
    pub clerk: String,
    /// When the till asked (Unix ms).
    pub at: i64,
}

impl MovementRequest {
    /// Checks the fields against the kind.
    pub fn validate(&self) -> Result<CardNo, RecordError> {
        check_key("key", &self.key)?;
        let no =
            CardNo::parse(&self.card_no).map_err(|e| RecordError::new("card_no", e.to_string()))?;
        id("clerk", &self.clerk)?;
        time("at", self.at)?;
        opt_text("reason", self.reason.as_deref(), MAX_TEXT_BYTES)?;
        if self.amount_fen.unsigned_abs() > MAX_MOVEMENT_FEN.unsigned_abs() {
            return Err(RecordError::new(
                "amount_fen",
                format!("at most {MAX_MOVEMENT_FEN} fen in one movement"),
            ));
        }
        let positive = |field: &str, v: i64| {
            if v > 0 {
                Ok(())
            } else {
                Err(RecordError::new(
                    field,
                    format!("a {} must be above zero, got {v}", self.kind.as_str()),
                ))
            }
        };
        match self.kind {
            MovementKind::Recharge => {
                positive("amount_fen", self.amount_fen)?;
                if !(0..=MAX_MOVEMENT_FEN).contains(&self.bonus_fen) {
                    return Err(RecordError::new(
                        "bonus_fen",
                        format!("a bonus must be zero or more, up to {MAX_MOVEMENT_FEN} fen"),
                    ));
                }
            }
            MovementKind::Payment | MovementKind::Refund | MovementKind::Adjustment => {
                if self.kind == MovementKind::Adjustment {
                    if self.amount_fen == 0 {
                        return Err(RecordError::new(
                            "amount_fen",
                            "an adjustment must not be zero",
                        ));
                    }
                    if self.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                        return Err(RecordError::new("reason", "an adjustment needs a reason"));
                    }
                } else {
                    positive("amount_fen", self.amount_fen)?;
                }
                if self.bonus_fen != 0 {
                    return Err(RecordError::new(
                        "bonus_fen",
                        format!("only a recharge has a bonus, not a {}", self.kind.as_str()),
                    ));
                }
            }
        }
        match (self.kind, &self.payment_key) {
            (MovementKind::Refund, Some(k)) => check_key("payment_key", k)?,
            (MovementKind::Refund, None) => {
                return Err(RecordError::new(
                    "payment_key",
                    "a refund to the card names the card payment it returns",
                ));
            }
            (_, Some(_)) => {
                return Err(RecordError::new(
                    "payment_key",
                    format!(
                        "only a refund names a payment, not a {}",
                        self.kind.as_str()
                    ),
                ));
            }
            (_, None) => {}
        }
        Ok(no)
    }

    /// What makes two requests under one key the same request (rule 1): the card, kind,
    /// amounts, payment key and reason — not the clerk or the time, which a till that
    /// rebuilds its request after a crash may not reproduce.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        serde_json::json!([
            self.card_no.trim(),
            self.kind.as_str(),
            self.amount_fen,
            self.bonus_fen,
            self.payment_key,
            self.reason.as_deref().map(str::trim),
        ])
        .to_string()
    }
}

fn check_key(field: &str, key: &str) -> Result<(), RecordError> {
    if key.is_empty() || key.len() > MAX_ID_BYTES || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RecordError::new(
            field,
            format!("must be 1–{MAX_ID_BYTES} printable ASCII characters without spaces"),
        ));
    }
    Ok(())
}

/// Whether a movement was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementStatus {
    /// Applied: the entries are written, `balance_fen` is the balance after them.
    Applied,
    /// Refused (rule 3): nothing moved, `refusal` says why, `balance_fen` is the balance.
    Refused,
}

/// Why a movement was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// No card with this number at the head office.
    CardNotFound,
    /// The card is frozen: it cannot pay.
    CardFrozen,
    /// The balance is below the payment (or below a negative adjustment).
    InsufficientBalance,
    /// A refund to the card names a payment the head office never debited from this card.
    PaymentNotFound,
    /// A refund to the card would return more than the payment it names, counting the
    /// refunds already credited.
    RefundExceedsPayment,
}

/// A refusal: the code and words for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The machine code.
    pub code: RefusalCode,
    /// Words naming the problem (with the balance where it matters).
    pub message: String,
}

/// The answer to a [`MovementRequest`], the same for the first request and every replay of
/// it (but for `replayed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovementResponse {
    /// Contract version.
    pub v: u32,
    /// The key.
    pub key: String,
    /// The card.
    pub card_no: String,
    /// What was asked.
    pub kind: MovementKind,
    /// Applied or refused.
    pub status: MovementStatus,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// The amount asked, fen.
    pub amount_fen: i64,
    /// The bonus asked, fen.
    pub bonus_fen: i64,
    /// The card's balance after the movement (applied), or when it was refused; 0 for an
    /// unknown card.
    pub balance_fen: i64,
    /// True when this answer repeats the outcome recorded under the key earlier.
    pub replayed: bool,
    /// When the head office committed the outcome (Unix ms).
    pub committed_at: i64,
}

impl MovementResponse {
    /// Whether it was applied.
    #[must_use]
    pub fn applied(&self) -> bool {
        self.status == MovementStatus::Applied
    }

    /// A refusal as the till's member rule error: insufficient balance with the balance,
    /// a frozen card, or (for the other codes) an invalid entry naming the reason. `None`
    /// when applied.
    #[must_use]
    pub fn member_error(&self) -> Option<MemberError> {
        let r = self.refusal.as_ref()?;
        Some(match r.code {
            RefusalCode::InsufficientBalance => MemberError::InsufficientBalance {
                balance: Money::from_fen(self.balance_fen),
                amount: Money::from_fen(self.amount_fen.saturating_abs()),
            },
            RefusalCode::CardFrozen => MemberError::NotActive(MemberStatus::Frozen),
            RefusalCode::CardNotFound
            | RefusalCode::PaymentNotFound
            | RefusalCode::RefundExceedsPayment => MemberError::BadEntry(r.message.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: MovementKind, amount: i64) -> MovementRequest {
        MovementRequest {
            v: PROTOCOL_VERSION,
            key: "sz0100ABCD2611221300000042".into(),
            card_no: "99000001".into(),
            kind,
            amount_fen: amount,
            bonus_fen: 0,
            payment_key: (kind == MovementKind::Refund)
                .then(|| "sz0100ABCD2611221300000041".into()),
            reason: (kind == MovementKind::Adjustment).then(|| "lost coupon".into()),
            clerk: "01".into(),
            at: 1_795_312_800_000,
        }
    }

    #[test]
    fn movements_are_checked_against_their_kind() {
        for k in [
            MovementKind::Recharge,
            MovementKind::Payment,
            MovementKind::Refund,
            MovementKind::Adjustment,
        ] {
            assert!(req(k, 100).validate().is_ok(), "{k:?}");
        }
        assert!(req(MovementKind::Adjustment, -100).validate().is_ok());
        let field = |r: MovementRequest| r.validate().unwrap_err().field;
        assert_eq!(field(req(MovementKind::Payment, 0)), "amount_fen");
        assert_eq!(field(req(MovementKind::Payment, -5)), "amount_fen");
        assert_eq!(
            field(req(MovementKind::Recharge, MAX_MOVEMENT_FEN + 1)),
            "amount_fen"
        );
        assert_eq!(field(req(MovementKind::Adjustment, 0)), "amount_fen");
        let mut r = req(MovementKind::Payment, 100);
        r.bonus_fen = 1;
        assert_eq!(field(r), "bonus_fen");
        let mut r = req(MovementKind::Recharge, 100);
        r.bonus_fen = -1;
        assert_eq!(field(r), "bonus_fen");
        let mut r = req(MovementKind::Refund, 100);
        r.payment_key = None;
        assert_eq!(field(r), "payment_key");
        let mut r = req(MovementKind::Payment, 100);
        r.payment_key = Some("x1".into());
        assert_eq!(field(r), "payment_key");
        let mut r = req(MovementKind::Adjustment, 5);
        r.reason = Some(" ".into());
        assert_eq!(field(r), "reason");
        for bad in ["", "has space", "键", &"k".repeat(65)] {
            let mut r = req(MovementKind::Payment, 100);
            r.key = bad.into();
            assert_eq!(field(r), "key", "{bad:?}");
        }
        let mut r = req(MovementKind::Payment, 100);
        r.card_no = "12".into();
        assert_eq!(field(r), "card_no");
        let mut r = req(MovementKind::Payment, 100);
        r.clerk = String::new();
        assert_eq!(field(r), "clerk");
    }

    #[test]
    fn the_fingerprint_ignores_clerk_and_time_but_not_money() {
        let a = req(MovementKind::Recharge, 100);
        let mut b = a.clone();
        b.clerk = "02".into();
        b.at += 5000;
        assert_eq!(a.fingerprint(), b.fingerprint());
        for change in [
            |r: &mut MovementRequest| r.amount_fen += 1,
            |r: &mut MovementRequest| r.bonus_fen += 1,
            |r: &mut MovementRequest| r.card_no = "99000002".into(),
            |r: &mut MovementRequest| r.kind = MovementKind::Payment,
        ] {
            let mut c = a.clone();
            change(&mut c);
            assert_ne!(a.fingerprint(), c.fingerprint());
        }
    }

    #[test]
    fn the_wire_shape_is_snake_case() {
        let json = serde_json::to_value(req(MovementKind::Payment, 1250)).unwrap();
        assert_eq!(json["kind"], "payment");
        assert!(json.get("payment_key").is_none());
        let resp = MovementResponse {
            v: 1,
            key: "k1".into(),
            card_no: "99000001".into(),
            kind: MovementKind::Payment,
            status: MovementStatus::Refused,
            refusal: Some(Refusal {
                code: RefusalCode::InsufficientBalance,
                message: "…".into(),
            }),
            amount_fen: 1250,
            bonus_fen: 0,
            balance_fen: 99,
            replayed: false,
            committed_at: 0,
        };
        let json = serde_json::to_value(&resp).unwrap();
        assert_eq!(json["status"], "refused");
        assert_eq!(json["refusal"]["code"], "insufficient_balance");
        assert_eq!(
            resp.member_error(),
            Some(MemberError::InsufficientBalance {
                balance: Money::from_fen(99),
                amount: Money::from_fen(1250)
            })
        );
    }

    #[test]
    fn cards_are_checked_with_the_tills_rules() {
        let card = CardInput {
            card_no: "99000001".into(),
            name: "张三".into(),
            phone: "13800138000".into(),
            status: MemberStatus::Active,
            created_at: 0,
        };
        assert!(PutCards::new(vec![card.clone()], false).validate().is_ok());
        let twice = PutCards::new(vec![card.clone(), card.clone()], true);
        assert_eq!(twice.validate().unwrap_err().field, "card_no");
        let mut bad = card.clone();
        bad.phone = "12".into();
        assert_eq!(bad.to_card().unwrap_err().field, "phone");
        let mut bad = card;
        bad.name = " ".into();
        assert_eq!(bad.to_card().unwrap_err().field, "name");
    }
}
