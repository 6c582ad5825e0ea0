//! Member cards (会员卡): the card, its ledger entries and the bonus rules of a recharge.
//!
//! There is no Cloud Pay API for member balances, so the balance is ours. It is never a
//! stored number that is edited: every movement is a [`MemberEntry`] (recharge, bonus,
//! payment, refund to the card, adjustment) and the balance is their sum ([`balance_of`]).
//! The storage adapter keeps the entries behind the [`MemberLedger`](crate::member_ports::MemberLedger)
//! port, so a chain-wide ledger at the head office is a new adapter.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::clerk::ClerkId;
use crate::money::Money;
use crate::timestamp::Timestamp;

/// The number printed (as a barcode) on a member card.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CardNo(String);

impl CardNo {
    /// Checks a card number: 4–32 ASCII letters or digits (surrounding white space, such as
    /// a scanner's line end, is ignored).
    pub fn parse(text: &str) -> Result<CardNo, MemberError> {
        let t = text.trim();
        if t.len() < 4 || t.len() > 32 || !t.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(MemberError::BadCardNo(t.to_owned()));
        }
        Ok(CardNo(t.to_owned()))
    }

    /// The number as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CardNo {
    type Error = MemberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CardNo::parse(&s)
    }
}

impl From<CardNo> for String {
    fn from(c: CardNo) -> String {
        c.0
    }
}

impl FromStr for CardNo {
    type Err = MemberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CardNo::parse(s)
    }
}

/// Whether a card may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// In use: may be recharged and paid with.
    Active,
    /// Frozen (挂失 or blocked): neither recharged nor paid with.
    Frozen,
}

impl MemberStatus {
    /// `active` or `frozen`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Frozen => "frozen",
        }
    }
}

impl fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MemberStatus {
    type Err = MemberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "active" | "正常" => Ok(MemberStatus::Active),
            "frozen" | "冻结" => Ok(MemberStatus::Frozen),
            other => Err(MemberError::BadStatus(other.to_owned())),
        }
    }
}

/// A member and the card they carry. The balance is not a field: it is the sum of the
/// card's entries, read with the card ([`MemberAccount`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCard {
    /// The card number (its barcode).
    pub card_no: CardNo,
    /// The member's name.
    pub name: String,
    /// The member's phone number (digits, may be empty).
    pub phone: String,
    /// Whether the card may be used.
    pub status: MemberStatus,
    /// When the member was added.
    pub created_at: Timestamp,
}

impl MemberCard {
    /// Builds a new active card after checking the name (1–32 characters) and the phone
    /// (empty, or 5–20 digits with an optional leading `+`).
    pub fn new(
        card_no: CardNo,
        name: &str,
        phone: &str,
        at: Timestamp,
    ) -> Result<MemberCard, MemberError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 32 || name.chars().any(char::is_control) {
            return Err(MemberError::BadName(name.to_owned()));
        }
        let phone = check_phone(phone)?;
        Ok(MemberCard {
            card_no,
            name: name.to_owned(),
            phone,
            status: MemberStatus::Active,
            created_at: at,
        })
    }
}

/// Checks a phone number: empty, or 5–20 digits with an optional leading `+`.
pub fn check_phone(phone: &str) -> Result<String, MemberError> {
    let p = phone.trim();
    let digits = p.strip_prefix('+').unwrap_or(p);
    if !p.is_empty()
        && (digits.len() < 5 || digits.len() > 20 || !digits.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(MemberError::BadPhone(p.to_owned()));
    }
    Ok(p.to_owned())
}

/// A card with its balance, as looked up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAccount {
    /// The card.
    pub card: MemberCard,
    /// The sum of its entries.
    pub balance: Money,
}

/// What moved money on a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Money paid in through a wallet payment (positive).
    Recharge,
    /// The bonus of a recharge (positive).
    Bonus,
    /// A purchase paid with the card (negative).
    Payment,
    /// A refund of a card payment, back to the card (positive).
    Refund,
    /// An administrator's correction, with a reason (either sign).
    Adjustment,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 5] = [
        EntryKind::Recharge,
        EntryKind::Bonus,
        EntryKind::Payment,
        EntryKind::Refund,
        EntryKind::Adjustment,
    ];

    /// The machine name: `recharge`, `bonus`, `payment`, `refund`, `adjustment`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::Recharge => "recharge",
            EntryKind::Bonus => "bonus",
            EntryKind::Payment => "payment",
            EntryKind::Refund => "refund",
            EntryKind::Adjustment => "adjustment",
        }
    }

    /// The sign an entry of this kind must have: `Some(true)` positive, `Some(false)`
    /// negative, `None` either (never zero).
    #[must_use]
    pub const fn sign(self) -> Option<bool> {
        match self {
            EntryKind::Recharge | EntryKind::Bonus | EntryKind::Refund => Some(true),
            EntryKind::Payment => Some(false),
            EntryKind::Adjustment => None,
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryKind {
    type Err = MemberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| MemberError::BadEntry(format!("unknown entry kind {s}")))
    }
}

/// One movement on a card. Entries are only ever appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberEntry {
    /// The card.
    pub card_no: CardNo,
    /// What moved the money.
    pub kind: EntryKind,
    /// Signed amount: positive adds to the balance.
    pub amount: Money,
    /// The order (recharge, payment) or refund number it belongs to.
    pub reference: Option<String>,
    /// Why (adjustments).
    pub reason: Option<String>,
    /// Who made it.
    pub clerk_id: Option<ClerkId>,
    /// When it was written.
    pub at: Timestamp,
}

impl MemberEntry {
    /// Checks the amount's sign against the kind.
    pub fn check(&self) -> Result<(), MemberError> {
        let ok = match self.kind.sign() {
            Some(true) => self.amount.is_positive(),
            Some(false) => self.amount.is_negative(),
            None => self.amount != Money::ZERO,
        };
        if !ok {
            return Err(MemberError::BadEntry(format!(
                "a {} entry cannot be {}",
                self.kind, self.amount
            )));
        }
        if self.kind == EntryKind::Adjustment
            && self.reason.as_deref().is_none_or(|r| r.trim().is_empty())
        {
            return Err(MemberError::ReasonRequired);
        }
        Ok(())
    }
}

/// The balance of a card: the sum of its entries (`None` on overflow).
#[must_use]
pub fn balance_of<'a>(entries: impl IntoIterator<Item = &'a MemberEntry>) -> Option<Money> {
    entries
        .into_iter()
        .try_fold(Money::ZERO, |sum, e| sum.checked_add(e.amount))
}

/// Each entry with the balance after it, oldest first.
#[must_use]
pub fn running_balances(entries: &[MemberEntry]) -> Vec<(MemberEntry, Money)> {
    let mut balance = Money::ZERO;
    entries
        .iter()
        .map(|e| {
            balance = balance.checked_add(e.amount).unwrap_or(balance);
            (e.clone(), balance)
        })
        .collect()
}

/// Checks a payment of `amount` from a card with `balance`.
pub fn check_payment(
    status: MemberStatus,
    balance: Money,
    amount: Money,
) -> Result<(), MemberError> {
    if status != MemberStatus::Active {
        return Err(MemberError::NotActive(status));
    }
    if !amount.is_positive() {
        return Err(MemberError::BadEntry("a payment must be above zero".into()));
    }
    if amount > balance {
        return Err(MemberError::InsufficientBalance { balance, amount });
    }
    Ok(())
}

/// Checks an adjustment: the reason is required and the balance may not go below zero.
pub fn check_adjustment(balance: Money, amount: Money, reason: &str) -> Result<(), MemberError> {
    if reason.trim().is_empty() {
        return Err(MemberError::ReasonRequired);
    }
    if amount == Money::ZERO {
        return Err(MemberError::BadEntry(
            "an adjustment must not be zero".into(),
        ));
    }
    match balance.checked_add(amount) {
        Some(after) if !after.is_negative() => Ok(()),
        _ => Err(MemberError::InsufficientBalance {
            balance,
            amount: Money::from_fen(amount.fen().saturating_neg()),
        }),
    }
}

/// One bonus rule: a recharge of at least `threshold` earns `bonus` (充 100 送 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BonusRule {
    /// Smallest recharge the rule applies to.
    pub threshold: Money,
    /// What it adds.
    pub bonus: Money,
}

/// The configured bonus rules. A recharge earns the bonus of the highest threshold it
/// reaches (rules do not add up); no rules, no bonus.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BonusRules {
    /// The rules, sorted by threshold, thresholds unique.
    pub rules: Vec<BonusRule>,
}

impl BonusRules {
    /// Builds the rules after checking them: thresholds above zero and unique, bonuses not
    /// negative.
    pub fn new(mut rules: Vec<BonusRule>) -> Result<BonusRules, MemberError> {
        rules.sort_by_key(|r| r.threshold);
        for r in &rules {
            if !r.threshold.is_positive() || r.bonus.is_negative() {
                return Err(MemberError::BadBonus(format!(
                    "充 {} 送 {}: the threshold must be above zero and the bonus not negative",
                    r.threshold, r.bonus
                )));
            }
        }
        if let Some(w) = rules.windows(2).find(|w| w[0].threshold == w[1].threshold) {
            return Err(MemberError::BadBonus(format!(
                "threshold {} appears twice",
                w[0].threshold
            )));
        }
        Ok(BonusRules { rules })
    }

    /// Parses `100:10,200:30` (yuan: recharge at least 100, get 10). Empty text means no
    /// rules.
    pub fn parse(text: &str) -> Result<BonusRules, MemberError> {
        let mut rules = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (t, b) = part.split_once(':').ok_or_else(|| {
                MemberError::BadBonus(format!("\"{part}\" is not THRESHOLD:BONUS in yuan"))
            })?;
            let money = |s: &str| {
                Money::parse_typed(s).map_err(|e| MemberError::BadBonus(format!("\"{part}\": {e}")))
            };
            rules.push(BonusRule {
                threshold: money(t)?,
                bonus: money(b)?,
            });
        }
        BonusRules::new(rules)
    }

    /// The bonus a recharge of `amount` earns.
    #[must_use]
    pub fn bonus_for(&self, amount: Money) -> Money {
        self.rules
            .iter()
            .rev()
            .find(|r| amount >= r.threshold)
            .map_or(Money::ZERO, |r| r.bonus)
    }
}

impl fmt::Display for BonusRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .rules
            .iter()
            .map(|r| format!("{}:{}", r.threshold, r.bonus))
            .collect();
        f.write_str(&parts.join(","))
    }
}

/// A credit to apply to a card when a recharge payment is paid: written with the payment's
/// intent and applied in the transaction that records it paid, exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recharge {
    /// The card credited.
    pub card_no: CardNo,
    /// The wallet payment's amount (credited as a `recharge` entry).
    pub amount: Money,
    /// The bonus (credited as a `bonus` entry when above zero).
    pub bonus: Money,
}

/// A member rule refused an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemberError {
    /// A malformed card number.
    #[error("invalid card number \"{0}\": use 4–32 letters or digits")]
    BadCardNo(String),
    /// A missing or over-long name.
    #[error("invalid member name \"{0}\": 1–32 characters")]
    BadName(String),
    /// A malformed phone number.
    #[error("invalid phone number \"{0}\": 5–20 digits, optionally after '+'")]
    BadPhone(String),
    /// An unknown status.
    #[error("unknown card status \"{0}\" (expected active or frozen)")]
    BadStatus(String),
    /// The card is frozen.
    #[error("the card is {0}")]
    NotActive(MemberStatus),
    /// Not enough on the card.
    #[error("insufficient balance: the card holds {balance} yuan, {amount} yuan asked")]
    InsufficientBalance {
        /// What the card holds.
        balance: Money,
        /// What was asked.
        amount: Money,
    },
    /// An adjustment without a reason.
    #[error("a balance adjustment needs a reason")]
    ReasonRequired,
    /// An entry whose amount does not fit its kind.
    #[error("invalid ledger entry: {0}")]
    BadEntry(String),
    /// Bad bonus rules.
    #[error("invalid bonus rule: {0}")]
    BadBonus(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(fen: i64) -> Money {
        Money::from_fen(fen)
    }

    fn entry(kind: EntryKind, fen: i64) -> MemberEntry {
        MemberEntry {
            card_no: CardNo::parse("9900001").unwrap(),
            kind,
            amount: y(fen),
            reference: None,
            reason: (kind == EntryKind::Adjustment).then(|| "fix".to_owned()),
            clerk_id: None,
            at: Timestamp::EPOCH,
        }
    }

    #[test]
    fn card_numbers_are_checked() {
        assert_eq!(
            CardNo::parse(" 9912345678\r\n").unwrap().as_str(),
            "9912345678"
        );
        for bad in ["", "123", "99-1", "卡12345", &"9".repeat(33)] {
            assert!(
                matches!(CardNo::parse(bad), Err(MemberError::BadCardNo(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_and_phones_are_checked() {
        let no = CardNo::parse("9900001").unwrap();
        let ok = MemberCard::new(no.clone(), " 张三 ", "13800138000", Timestamp::EPOCH).unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.status),
            ("张三", MemberStatus::Active)
        );
        assert!(MemberCard::new(no.clone(), "李四", "", Timestamp::EPOCH).is_ok());
        assert!(matches!(
            MemberCard::new(no.clone(), " ", "138", Timestamp::EPOCH),
            Err(MemberError::BadName(_))
        ));
        for phone in ["138", "1380013800a", "+", "123456789012345678901"] {
            assert!(
                matches!(
                    MemberCard::new(no.clone(), "王五", phone, Timestamp::EPOCH),
                    Err(MemberError::BadPhone(_))
                ),
                "{phone}"
            );
        }
    }

    #[test]
    fn the_balance_is_the_sum_of_the_entries() {
        let entries = vec![
            entry(EntryKind::Recharge, 10_000),
            entry(EntryKind::Bonus, 1_000),
            entry(EntryKind::Payment, -2_550),
            entry(EntryKind::Refund, 550),
            entry(EntryKind::Adjustment, -1),
        ];
        assert_eq!(balance_of(&entries), Some(y(8_999)));
        let running: Vec<i64> = running_balances(&entries)
            .iter()
            .map(|(_, b)| b.fen())
            .collect();
        assert_eq!(running, vec![10_000, 11_000, 8_450, 9_000, 8_999]);
        assert_eq!(balance_of(&[]), Some(Money::ZERO));
    }

    #[test]
    fn entries_have_the_sign_of_their_kind() {
        for (kind, fen, ok) in [
            (EntryKind::Recharge, 1, true),
            (EntryKind::Recharge, -1, false),
            (EntryKind::Bonus, 0, false),
            (EntryKind::Payment, -1, true),
            (EntryKind::Payment, 1, false),
            (EntryKind::Refund, 1, true),
            (EntryKind::Adjustment, -5, true),
            (EntryKind::Adjustment, 0, false),
        ] {
            assert_eq!(entry(kind, fen).check().is_ok(), ok, "{kind} {fen}");
        }
        let mut no_reason = entry(EntryKind::Adjustment, 5);
        no_reason.reason = Some("  ".into());
        assert_eq!(no_reason.check(), Err(MemberError::ReasonRequired));
    }

    #[test]
    fn payments_need_an_active_card_and_the_balance() {
        assert!(check_payment(MemberStatus::Active, y(100), y(100)).is_ok());
        let err = check_payment(MemberStatus::Active, y(99), y(100)).unwrap_err();
        assert_eq!(
            err,
            MemberError::InsufficientBalance {
                balance: y(99),
                amount: y(100)
            }
        );
        assert!(err.to_string().contains("0.99"), "{err}");
        assert_eq!(
            check_payment(MemberStatus::Frozen, y(1000), y(1)),
            Err(MemberError::NotActive(MemberStatus::Frozen))
        );
        assert!(check_payment(MemberStatus::Active, y(1000), y(0)).is_err());
    }

    #[test]
    fn adjustments_need_a_reason_and_keep_the_balance_non_negative() {
        assert!(check_adjustment(y(100), y(-100), "lost coupon").is_ok());
        assert!(check_adjustment(y(100), y(50), "goodwill").is_ok());
        assert_eq!(
            check_adjustment(y(100), y(5), " "),
            Err(MemberError::ReasonRequired)
        );
        assert!(matches!(
            check_adjustment(y(100), y(-101), "x"),
            Err(MemberError::InsufficientBalance { .. })
        ));
        assert!(check_adjustment(y(100), y(0), "x").is_err());
    }

    #[test]
    fn bonus_rules_take_the_highest_threshold_reached() {
        let rules = BonusRules::parse("200:30, 100:10,500:100").unwrap();
        assert_eq!(rules.to_string(), "100.00:10.00,200.00:30.00,500.00:100.00");
        for (amount, bonus) in [
            (9_999, 0),
            (10_000, 1_000),
            (19_999, 1_000),
            (20_000, 3_000),
            (100_000, 10_000),
        ] {
            assert_eq!(rules.bonus_for(y(amount)), y(bonus), "{amount}");
        }
        assert_eq!(BonusRules::parse("").unwrap().bonus_for(y(10_000)), y(0));
        assert_eq!(
            BonusRules::parse(&rules.to_string()).unwrap(),
            rules,
            "the display form parses back"
        );
    }

    #[test]
    fn bad_bonus_rules_are_refused() {
        for bad in ["100", "100:x", "0:10", "100:10,100:20", "-5:1", "100;10"] {
            assert!(
                matches!(BonusRules::parse(bad), Err(MemberError::BadBonus(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn kinds_and_statuses_round_trip() {
        for k in EntryKind::ALL {
            assert_eq!(k.as_str().parse::<EntryKind>().unwrap(), k);
        }
        for s in [MemberStatus::Active, MemberStatus::Frozen] {
            assert_eq!(s.as_str().parse::<MemberStatus>().unwrap(), s);
        }
        assert_eq!(
            "冻结".parse::<MemberStatus>().unwrap(),
            MemberStatus::Frozen
        );
    }
}
