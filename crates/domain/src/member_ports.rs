//! The member-card side of the ports: the [`MemberLedger`], where cards and their entries
//! are kept.
//!
//! The adapter is the terminal's SQLite store. With a head office the cards are chain-wide
//! (`member_hq`): the balances are the head office's, and this port keeps only the till's
//! durable intents of the movements it sends there (`insert_hq_intent` and friends). Two writes must share a transaction with the
//! order ledger, so whichever adapter keeps the entries must also settle those orders:
//! the credit of a recharge is written by the transaction that records its payment paid
//! ([`Ledger::update_order`](crate::ports::Ledger::update_order)), and a refund of a card
//! payment goes back to the card in the transaction that records the refund succeeded.

use async_trait::async_trait;

use crate::member::{CardNo, MemberAccount, MemberCard, MemberEntry, Recharge};
use crate::member_hq::{HqIntent, MemberMovement, MovementOutcome};
use crate::order::Order;
use crate::order_no::OrderNo;
use crate::ports::StoreError;

/// What the ledger knows of a recharge payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RechargeRecord {
    /// The credit promised with the intent.
    pub recharge: Recharge,
    /// Whether it has been credited (only ever in the payment's paid transaction).
    pub credited: bool,
}

/// Member cards and their ledger entries. Every write is durable when the future resolves.
#[async_trait]
pub trait MemberLedger: Send + Sync {
    /// Adds a card. [`StoreError::Duplicate`] if the number exists.
    async fn add_member(&self, card: &MemberCard) -> Result<(), StoreError>;
    /// Adds or updates (name, phone, status) many cards in one transaction: all or nothing.
    /// Balances are never imported.
    async fn upsert_members(&self, cards: &[MemberCard]) -> Result<(), StoreError>;
    /// One card with its balance.
    async fn member(&self, card: &CardNo) -> Result<Option<MemberAccount>, StoreError>;
    /// The cards registered under a phone number, by card number.
    async fn members_by_phone(&self, phone: &str) -> Result<Vec<MemberAccount>, StoreError>;
    /// Every card, by card number.
    async fn members(&self) -> Result<Vec<MemberAccount>, StoreError>;
    /// The entries of a card, oldest first.
    async fn entries(&self, card: &CardNo) -> Result<Vec<MemberEntry>, StoreError>;
    /// Commits a recharge payment's intent: `order` (as [`Ledger::insert_order`](crate::ports::Ledger::insert_order))
    /// together with the credit to apply when, and only when, it is recorded paid.
    async fn insert_recharge_intent(
        &self,
        order: &Order,
        recharge: &Recharge,
    ) -> Result<(), StoreError>;
    /// The recharge attached to an order, if it is one.
    async fn recharge_of(&self, order: &OrderNo) -> Result<Option<RechargeRecord>, StoreError>;
    /// Records a purchase paid with a card: `order` (already paid, method member card) is
    /// inserted and the card debited in one transaction, after checking the card's status
    /// and balance there ([`crate::member::check_payment`], refused as
    /// [`StoreError::Member`]).
    async fn pay_with_card(&self, order: &Order, card: &CardNo) -> Result<(), StoreError>;
    /// Appends an adjustment entry after checking it ([`crate::member::check_adjustment`])
    /// against the balance in the same transaction.
    async fn adjust(&self, entry: &MemberEntry) -> Result<(), StoreError>;

    /// Chain-wide cards (a head office keeps the balances): writes a movement's intent,
    /// state pending, before it is sent. For a card payment `intent.order` is the paid order
    /// it will record: its number is checked against the ledger's orders in the same
    /// transaction ([`StoreError::Duplicate`] naming the order number if taken).
    /// [`StoreError::Duplicate`] if the key exists.
    async fn insert_hq_intent(&self, intent: &HqIntent) -> Result<(), StoreError>;
    /// Chain-wide cards: commits a recharge payment's intent, `order` (as
    /// [`Ledger::insert_order`](crate::ports::Ledger::insert_order)), together with its
    /// credit `movement` in state promised. The transaction that records the payment paid
    /// turns the credit pending (to be sent); a payment that fails or is reversed
    /// cancels it. A refund or void of a card payment debited at the head office queues
    /// its credit back (pending) in the refund's or void's own transaction.
    async fn insert_hq_recharge_intent(
        &self,
        order: &Order,
        movement: &MemberMovement,
    ) -> Result<(), StoreError>;
    /// The intent under a key.
    async fn hq_intent(&self, key: &str) -> Result<Option<HqIntent>, StoreError>;
    /// The intents to send (pending), oldest first; only `card`'s when given.
    async fn open_hq_intents(&self, card: Option<&CardNo>) -> Result<Vec<HqIntent>, StoreError>;
    /// Records the head office's answer to a pending intent, in one transaction: applied or
    /// refused, with the balance; an applied card payment's order is inserted (paid) in the
    /// same transaction, its lines' quantities taken out of stock there too (so a payment
    /// completed by a later sync or recovery takes stock exactly once), and a refused one's
    /// order is inserted failed. An intent already final is left as it is (a replay's answer).
    /// Returns the intent as it now stands.
    async fn finish_hq_intent(
        &self,
        key: &str,
        outcome: &MovementOutcome,
        at: crate::timestamp::Timestamp,
    ) -> Result<HqIntent, StoreError>;
    /// Marks a pending intent refused for good with `refusal` (the head office's code and
    /// words) when the head office answered an error that refuses the request itself
    /// ([`LinkError::refuses_for_good`](crate::hq_ports::LinkError::refuses_for_good)); a
    /// card payment's order is recorded failed in the same transaction, as
    /// [`MemberLedger::finish_hq_intent`] does for a refusal. An intent already final is
    /// left as it is. Returns the intent as it now stands.
    async fn refuse_hq_intent(
        &self,
        key: &str,
        refusal: &str,
        at: crate::timestamp::Timestamp,
    ) -> Result<HqIntent, StoreError>;
    /// Every intent the head office refused for good, the latest first, with when the
    /// refusal was recorded.
    async fn refused_hq_intents(
        &self,
    ) -> Result<Vec<crate::member_hq::RefusedMovement>, StoreError>;
}
