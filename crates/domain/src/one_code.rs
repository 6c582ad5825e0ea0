//! One-code pay (一码支付): payments customers make by scanning the shop's printed QR code
//! with their own phone. The till never starts them; it watches the shop's listing, and prints
//! and announces each paid one exactly once. This module holds the payment as the watcher
//! handles it and the port of its durable journal.
//!
//! The journal is a claim → done scheme: a payment is *claimed* (durably, one row per order
//! number, the number unique) before its receipt is printed or it is announced, and marked
//! *done* after. A claim that already exists is never taken again, so nothing is printed
//! twice, even by two processes watching at once or after a crash. A claim left without its
//! done mark (a crash while printing) is *interrupted*: not printed again automatically (it
//! may have been), but reported so the cashier can re-print it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::code::Wallet;
use crate::money::Money;
use crate::ports::{CloudOrder, CloudOrderState, StoreError};
use crate::timestamp::Timestamp;

/// A paid one-code payment, as the watcher handles it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneCodePayment {
    /// Cloud Pay's merchant order number (`out_trade_no`).
    pub out_trade_no: String,
    /// Amount paid.
    pub amount: Money,
    /// The payer's wallet, when the listing tells.
    pub wallet: Option<Wallet>,
    /// When it was paid.
    pub paid_at: Timestamp,
    /// The printed QR code it was paid through (the listing's device id).
    pub qr_code: String,
    /// Upstream transaction id, when listed.
    pub transaction_id: Option<String>,
}

impl OneCodePayment {
    /// The payment behind a listed cloud order, when it is a paid one-code payment (a
    /// missing paid time falls back to the creation time).
    #[must_use]
    pub fn of_cloud(order: &CloudOrder) -> Option<OneCodePayment> {
        (order.one_code && order.state == CloudOrderState::Paid && order.amount.fen() > 0).then(
            || OneCodePayment {
                out_trade_no: order.no.clone(),
                amount: order.amount,
                wallet: order.wallet,
                paid_at: order.paid_at.unwrap_or(order.created_at),
                qr_code: order.device_id.clone(),
                transaction_id: order.transaction_id.clone(),
            },
        )
    }
}

/// How far a journalled payment got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OneCodeState {
    /// Claimed: about to be printed and announced.
    Claimed,
    /// Printed (or the printer was off) and announced.
    Done,
    /// Claimed, then the process died before it was marked done: it may or may not have
    /// printed, and is never printed again automatically.
    Interrupted,
}

impl OneCodeState {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            OneCodeState::Claimed => "claimed",
            OneCodeState::Done => "done",
            OneCodeState::Interrupted => "interrupted",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(text: &str) -> Option<OneCodeState> {
        match text {
            "claimed" => Some(OneCodeState::Claimed),
            "done" => Some(OneCodeState::Done),
            "interrupted" => Some(OneCodeState::Interrupted),
            _ => None,
        }
    }
}

/// A journalled payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneCodeEntry {
    /// The payment.
    pub payment: OneCodePayment,
    /// How far it got.
    pub state: OneCodeState,
    /// Whether its receipt was printed.
    pub printed: bool,
    /// Claimed at.
    pub claimed_at: Timestamp,
}

/// The durable journal of handled one-code payments.
#[async_trait]
pub trait OneCodeJournal: Send + Sync {
    /// Claims a payment: records it as claimed, durably, unless its number is journalled
    /// already. Returns whether this call claimed it (only then may it be printed).
    async fn claim_one_code(
        &self,
        payment: &OneCodePayment,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Marks a claimed payment done, noting whether its receipt was printed.
    async fn finish_one_code(
        &self,
        out_trade_no: &str,
        printed: bool,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Marks every claim still open as interrupted and returns them (at start, before
    /// watching: no other process of this data directory is then in the middle of one
    /// unless two watchers run at once, which the terminal avoids).
    async fn interrupt_open_one_code(&self, at: Timestamp)
    -> Result<Vec<OneCodeEntry>, StoreError>;
    /// The latest paid time of any journalled payment.
    async fn last_one_code_paid(&self) -> Result<Option<Timestamp>, StoreError>;
    /// The most recent journalled payments, newest first.
    async fn recent_one_code(&self, limit: u32) -> Result<Vec<OneCodeEntry>, StoreError>;
}
