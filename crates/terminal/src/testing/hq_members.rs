//! The member-card side of the [`FakeHeadOffice`](super::FakeHeadOffice): chain-wide cards
//! with the contract's rules (one outcome per key, refusals recorded under their key, a
//! conflict for another request under a used key), and a script of lost answers and
//! error answers.

use std::collections::{BTreeMap, VecDeque};

use cloudpos_domain::hq_ports::LinkError;
use cloudpos_domain::member::{
    CardNo, EntryKind, MemberAccount, MemberCard, MemberEntry, MemberStatus,
};
use cloudpos_domain::member_hq::{MemberMovement, MovementKind, MovementOutcome};
use cloudpos_domain::money::Money;

/// What the fake head office does with the next member-card movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovementScript {
    /// Never arrives: nothing applied, no answer.
    Unreachable,
    /// Applied and committed, but the answer is lost.
    LoseAnswer,
    /// Answered `conflict` (the key already names another movement): nothing applied, a
    /// refusal for good.
    Conflict,
    /// Answered `internal` (a fault of the head office): nothing applied, try later.
    Internal,
}

#[derive(Default)]
pub(super) struct MemberOffice {
    pub(super) offline: bool,
    cards: BTreeMap<CardNo, MemberCard>,
    entries: BTreeMap<CardNo, Vec<MemberEntry>>,
    outcomes: BTreeMap<String, (MemberMovement, MovementOutcome)>,
    /// Movements received per key (each replay counts).
    pub(super) received: BTreeMap<String, u32>,
    pub(super) script: VecDeque<MovementScript>,
}

fn unreachable() -> LinkError {
    LinkError::Unreachable("connection refused".into())
}

fn same(a: &MemberMovement, b: &MemberMovement) -> bool {
    (
        &a.card_no,
        a.kind,
        a.amount,
        a.bonus,
        &a.payment_key,
        &a.reason,
    ) == (
        &b.card_no,
        b.kind,
        b.amount,
        b.bonus,
        &b.payment_key,
        &b.reason,
    )
}

impl MemberOffice {
    fn check_online(&self) -> Result<(), LinkError> {
        if self.offline {
            Err(unreachable())
        } else {
            Ok(())
        }
    }

    pub(super) fn balance(&self, card: &CardNo) -> Money {
        self.entries
            .get(card)
            .map_or(Money::ZERO, |e| e.iter().map(|e| e.amount).sum())
    }

    fn account(&self, card: &MemberCard) -> MemberAccount {
        MemberAccount {
            card: card.clone(),
            balance: self.balance(&card.card_no),
        }
    }

    pub(super) fn put(
        &mut self,
        cards: &[MemberCard],
        upsert: bool,
    ) -> Result<Vec<MemberAccount>, LinkError> {
        self.check_online()?;
        for c in cards {
            if let Some(known) = self.cards.get(&c.card_no)
                && !upsert
                && (known.name != c.name || known.phone != c.phone)
            {
                return Err(LinkError::Refused {
                    code: "conflict".into(),
                    message: format!("card {} exists", c.card_no),
                });
            }
        }
        for c in cards {
            self.cards.insert(c.card_no.clone(), c.clone());
        }
        Ok(cards.iter().map(|c| self.account(c)).collect())
    }

    pub(super) fn set_status(&mut self, card: &CardNo, status: MemberStatus) {
        if let Some(c) = self.cards.get_mut(card) {
            c.status = status;
        }
    }

    pub(super) fn card(&self, card: &CardNo) -> Result<Option<MemberAccount>, LinkError> {
        self.check_online()?;
        Ok(self.cards.get(card).map(|c| self.account(c)))
    }

    pub(super) fn cards(&self, phone: Option<&str>) -> Result<Vec<MemberAccount>, LinkError> {
        self.check_online()?;
        Ok(self
            .cards
            .values()
            .filter(|c| phone.is_none_or(|p| c.phone == p))
            .map(|c| self.account(c))
            .collect())
    }

    pub(super) fn entries(&self, card: &CardNo) -> Result<Vec<MemberEntry>, LinkError> {
        self.check_online()?;
        Ok(self.entries.get(card).cloned().unwrap_or_default())
    }

    pub(super) fn movement(&mut self, m: &MemberMovement) -> Result<MovementOutcome, LinkError> {
        self.check_online()?;
        let script = self.script.pop_front();
        match script {
            Some(MovementScript::Unreachable) => return Err(unreachable()),
            Some(MovementScript::Conflict) => {
                *self.received.entry(m.key.clone()).or_default() += 1;
                return Err(LinkError::Refused {
                    code: "conflict".into(),
                    message: format!("key {} was already used for a different movement", m.key),
                });
            }
            Some(MovementScript::Internal) => {
                *self.received.entry(m.key.clone()).or_default() += 1;
                return Err(LinkError::Unavailable {
                    code: "internal".into(),
                    message: "database error".into(),
                });
            }
            _ => {}
        }
        *self.received.entry(m.key.clone()).or_default() += 1;
        let outcome = self.decide(m)?;
        if script == Some(MovementScript::LoseAnswer) {
            return Err(LinkError::Unreachable("connection reset".into()));
        }
        Ok(outcome)
    }

    fn decide(&mut self, m: &MemberMovement) -> Result<MovementOutcome, LinkError> {
        if let Some((first, outcome)) = self.outcomes.get(&m.key) {
            if !same(first, m) {
                return Err(LinkError::Refused {
                    code: "conflict".into(),
                    message: format!("key {} was used for another movement", m.key),
                });
            }
            let mut outcome = outcome.clone();
            if let MovementOutcome::Applied { replayed, .. } = &mut outcome {
                *replayed = true;
            }
            return Ok(outcome);
        }
        let balance = self.balance(&m.card_no);
        let refuse = |code: &str| MovementOutcome::Refused {
            code: code.into(),
            message: format!("refused: {code}"),
            balance,
        };
        let outcome = match self.cards.get(&m.card_no) {
            None => refuse("card_not_found"),
            Some(c) if m.kind == MovementKind::Payment && c.status != MemberStatus::Active => {
                refuse("card_frozen")
            }
            Some(_) if m.kind == MovementKind::Payment && m.amount > balance => {
                refuse("insufficient_balance")
            }
            Some(_)
                if m.kind == MovementKind::Adjustment && (balance.fen() + m.amount.fen()) < 0 =>
            {
                refuse("insufficient_balance")
            }
            Some(_)
                if m.kind == MovementKind::Refund
                    && !self
                        .outcomes
                        .get(m.payment_key.as_deref().unwrap_or(""))
                        .is_some_and(|(p, o)| {
                            p.kind == MovementKind::Payment
                                && matches!(o, MovementOutcome::Applied { .. })
                        }) =>
            {
                refuse("payment_not_found")
            }
            Some(_) => {
                let entry = |kind, amount| MemberEntry {
                    card_no: m.card_no.clone(),
                    kind,
                    amount,
                    reference: Some(m.key.clone()),
                    reason: m.reason.clone(),
                    clerk_id: Some(m.clerk_id.clone()),
                    at: m.at,
                };
                let mut new = match m.kind {
                    MovementKind::Recharge => vec![entry(EntryKind::Recharge, m.amount)],
                    MovementKind::Payment => {
                        vec![entry(EntryKind::Payment, Money::from_fen(-m.amount.fen()))]
                    }
                    MovementKind::Refund => vec![entry(EntryKind::Refund, m.amount)],
                    MovementKind::Adjustment => vec![entry(EntryKind::Adjustment, m.amount)],
                };
                if m.kind == MovementKind::Recharge && m.bonus.is_positive() {
                    new.push(entry(EntryKind::Bonus, m.bonus));
                }
                self.entries
                    .entry(m.card_no.clone())
                    .or_default()
                    .extend(new);
                MovementOutcome::Applied {
                    balance: self.balance(&m.card_no),
                    replayed: false,
                }
            }
        };
        self.outcomes
            .insert(m.key.clone(), (m.clone(), outcome.clone()));
        Ok(outcome)
    }

    /// Entries written per key (a key applied twice would show two payment entries).
    pub(super) fn entries_of_key(&self, key: &str) -> usize {
        self.entries
            .values()
            .flatten()
            .filter(|e| e.reference.as_deref() == Some(key))
            .count()
    }
}
