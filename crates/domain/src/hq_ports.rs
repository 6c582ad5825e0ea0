//! The head-office side of the ports: the till's **outbox** (the change stream written with
//! each ledger change, in the same transaction) and the catalogue the head office manages.
//!
//! The wire format of a change is the head office contract's (`cloudpos-hq-protocol`'s
//! `Record`, serialised as JSON); the domain only carries it as text, so the contract can
//! evolve without the domain knowing HTTP or JSON. The store writes it; the terminal's sync
//! use case sends it unchanged and deletes what the head office acknowledged.

use async_trait::async_trait;

use crate::catalog::Commodity;
use crate::ports::StoreError;
use crate::timestamp::Timestamp;

/// One change waiting in the outbox: written by the store in the transaction of the ledger
/// change it describes, numbered from 1 without gaps, never reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Position in the till's stream (1, 2, 3 …).
    pub seq: i64,
    /// When the ledger change was committed.
    pub at: Timestamp,
    /// The record's kind (`order`, `refund`, `shift`, `audit`, …).
    pub kind: String,
    /// The record after the change, as the head office contract's JSON.
    pub record_json: String,
}

/// What the outbox holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxState {
    /// Changes not yet acknowledged by the head office.
    pub pending: u64,
    /// When the oldest of them was committed.
    pub oldest_at: Option<Timestamp>,
    /// The highest number ever written (0 when none).
    pub last_seq: i64,
    /// The highest number the head office acknowledged (0 when none).
    pub acknowledged_through: i64,
}

/// A commodity as the head office manages it: the whole record, or its deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedCommodity {
    /// The head office's version of this change (ascending).
    pub version: i64,
    /// The article number it is keyed by.
    pub sku: String,
    /// The commodity after the change (its `stock` is ignored: stock stays the till's), or
    /// `None` when the head office deleted it.
    pub commodity: Option<Commodity>,
}

/// The till's side of the head-office link, kept by the ledger's store.
#[async_trait]
pub trait HeadOfficeStore: Send + Sync {
    /// Turns the outbox on (a head office was configured): from now on every ledger change
    /// writes its change in its own transaction. The first time, the current state of every
    /// order, refund and shift already in the ledger is enqueued too (the backfill), in the
    /// same transaction, so the head office ends up with the whole ledger. Idempotent: returns
    /// how many changes the backfill enqueued (0 when already on).
    async fn start_outbox(&self) -> Result<u64, StoreError>;
    /// Whether the outbox is on.
    async fn outbox_enabled(&self) -> Result<bool, StoreError>;
    /// Up to `limit` changes with `seq > after_seq`, ascending.
    async fn outbox_batch(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError>;
    /// The head office applied every change up to `through_seq`: they are deleted (never one
    /// above it). Idempotent; a lower number than already acknowledged changes nothing.
    async fn acknowledge(&self, through_seq: i64) -> Result<(), StoreError>;
    /// The outbox's backlog and counters.
    async fn outbox_state(&self) -> Result<OutboxState, StoreError>;
    /// Applies a page of catalogue changes and records `version` as the last applied, in one
    /// transaction. The head office wins on the SKUs it manages (they are marked managed);
    /// a till's local-only SKUs and every SKU's stock stay the till's.
    async fn apply_catalog(
        &self,
        changes: &[ManagedCommodity],
        version: i64,
    ) -> Result<(), StoreError>;
    /// The last catalogue version applied (0 when none).
    async fn catalog_version(&self) -> Result<i64, StoreError>;
}
