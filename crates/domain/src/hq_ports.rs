//! The head-office side of the ports: the till's **outbox** (the change stream written with
//! each ledger change, in the same transaction) and the catalogue the head office manages.
//!
//! The wire format of a change is the head office contract's (`cloudpos-hq-protocol`'s
//! `Record`, serialised as JSON); the domain only carries it as text, so the contract can
//! evolve without the domain knowing HTTP or JSON. The store writes it; the terminal's sync
//! use case sends it unchanged and deletes what the head office acknowledged.
//!
//! The other side is the [`HeadOfficeLink`]: enrolment, pushes and catalogue pages over the
//! network, with errors that say what the till does next ([`LinkError::retry`]).

use async_trait::async_trait;

use crate::catalog::Commodity;
use crate::member::{CardNo, MemberAccount, MemberCard, MemberEntry};
use crate::member_hq::{MemberMovement, MovementOutcome};
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

/// What the head office answered an enrolment: who the till is there, and its credential.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// The head office's number for this till.
    pub terminal_id: i64,
    /// The store it was enrolled for.
    pub store: String,
    /// The device id it was enrolled for.
    pub device: String,
    /// The till's credential: shown once, sealed at once, never written in plain text.
    pub credential: String,
    /// What the head office already holds of this till's stream (non-zero after a
    /// re-enrolment).
    pub applied_through: i64,
    /// The catalogue version the head office has now.
    pub catalog_version: i64,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("terminal_id", &self.terminal_id)
            .field("store", &self.store)
            .field("device", &self.device)
            .field("credential", &"<redacted>")
            .field("applied_through", &self.applied_through)
            .field("catalog_version", &self.catalog_version)
            .finish()
    }
}

/// Where the till's head office is and the credential it talks with.
#[derive(Clone, PartialEq, Eq)]
pub struct HeadOfficeAccess {
    /// The head office's base URL (`https://hq.example.com`, or `http://127.0.0.1:8080`).
    pub url: String,
    /// The till's credential (from [`Enrolment::credential`]).
    pub credential: String,
}

impl std::fmt::Debug for HeadOfficeAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadOfficeAccess")
            .field("url", &self.url)
            .field("credential", &"<redacted>")
            .finish()
    }
}

/// What the head office did with a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushReceipt {
    /// The highest change of this till the head office has applied (committed): the till
    /// may delete its outbox up to here, never above.
    pub applied_through: i64,
    /// Changes of this push applied now.
    pub applied: u32,
    /// Changes of this push it already held (a redelivery), checked and skipped.
    pub duplicates: u32,
}

/// A page of the head office's catalogue changes, ascending by version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogPage {
    /// The changes.
    pub changes: Vec<ManagedCommodity>,
    /// The highest version the head office has now.
    pub latest_version: i64,
    /// More changes follow: ask again from the last change's version.
    pub more: bool,
}

/// What the till does after a failed exchange with the head office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRetry {
    /// Try the same again later, with backoff (nothing is known to be applied).
    Later,
    /// Send again from the head office's `applied_through + 1`.
    Resume,
    /// Stop syncing and show the error: a person must act (enrol again, upgrade, fix).
    Stop,
}

/// Why an exchange with the head office failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// No answer: refused, timed out, cut off. The request may or may not have been applied;
    /// a resend is skipped or applied by the head office, never applied twice.
    #[error("the head office cannot be reached: {0}")]
    Unreachable(String),
    /// The head office answered that it cannot work now (database down, overloaded, a
    /// fault of its own); nothing was applied.
    #[error("the head office is unavailable ({code}): {message}")]
    Unavailable {
        /// The contract's error code.
        code: String,
        /// Its words.
        message: String,
    },
    /// The push did not continue what the head office holds: it has applied this till's
    /// changes through `applied_through`; nothing of this push was applied.
    #[error("the head office holds this till's changes through {applied_through}: {message}")]
    Gap {
        /// What the head office has applied.
        applied_through: i64,
        /// Its words.
        message: String,
    },
    /// A refusal that needs a person (a bad or revoked credential, a used enrolment token,
    /// a change it cannot apply, another protocol version, a bad address).
    #[error("the head office refused ({code}): {message}")]
    Refused {
        /// The contract's error code (`unauthorized`, `conflict`, …), or `address`.
        code: String,
        /// Its words.
        message: String,
    },
}

impl LinkError {
    /// What the till does next.
    #[must_use]
    pub const fn retry(&self) -> LinkRetry {
        match self {
            LinkError::Unreachable(_) | LinkError::Unavailable { .. } => LinkRetry::Later,
            LinkError::Gap { .. } => LinkRetry::Resume,
            LinkError::Refused { .. } => LinkRetry::Stop,
        }
    }

    /// Whether a request answered with this error is refused **for good**: the head office
    /// answers the same request the same way for ever, so sending it again is pointless.
    /// These are `conflict` (its key was already used for another request), `bad_request`
    /// (the request itself is invalid) and `too_large`. Every other error may pass — the
    /// head office back (`Later`), the till enrolled again (`unauthorized`, `forbidden`),
    /// an upgrade (`unsupported_version`, `not_found`: an endpoint this head office lacks),
    /// a corrected address — and the request is sent again then.
    #[must_use]
    pub fn refuses_for_good(&self) -> bool {
        matches!(self, LinkError::Refused { code, .. }
            if matches!(code.as_str(), "conflict" | "bad_request" | "too_large"))
    }
}

/// The link to the head office (the till's client of its API).
#[async_trait]
pub trait HeadOfficeLink: Send + Sync {
    /// Exchanges a one-time enrolment token at the head office at `url` for the till's
    /// identity and credential.
    async fn enrol(&self, url: &str, token: &str) -> Result<Enrolment, LinkError>;
    /// Pushes `changes` (ascending, contiguous) with what stays queued after them
    /// (`backlog`, the oldest's commit time). A link may send fewer than given (a body too
    /// large): the receipt's `applied_through` says how far the head office got.
    async fn push(
        &self,
        to: &HeadOfficeAccess,
        changes: &[OutboxEntry],
        backlog: u64,
        oldest_backlog_at: Option<Timestamp>,
    ) -> Result<PushReceipt, LinkError>;
    /// Up to `limit` catalogue changes with a version above `since_version`.
    async fn catalog(
        &self,
        to: &HeadOfficeAccess,
        since_version: i64,
        limit: u32,
    ) -> Result<CatalogPage, LinkError>;

    /// Chain-wide cards: adds `cards` (or, with `upsert`, adds and updates them), all or
    /// none; the cards after it.
    async fn put_member_cards(
        &self,
        to: &HeadOfficeAccess,
        cards: &[MemberCard],
        upsert: bool,
    ) -> Result<Vec<MemberAccount>, LinkError>;
    /// One card with its balance at the head office; `None` when it does not know it.
    async fn member_card(
        &self,
        to: &HeadOfficeAccess,
        card: &CardNo,
    ) -> Result<Option<MemberAccount>, LinkError>;
    /// The cards under a phone number (every card when `None`), by card number.
    async fn member_cards(
        &self,
        to: &HeadOfficeAccess,
        phone: Option<&str>,
    ) -> Result<Vec<MemberAccount>, LinkError>;
    /// A card's entries at the head office, oldest first.
    async fn member_entries(
        &self,
        to: &HeadOfficeAccess,
        card: &CardNo,
    ) -> Result<Vec<MemberEntry>, LinkError>;
    /// Moves a card's money once per key: applied or refused (both answers, recorded under
    /// the key at the head office). On [`LinkError::Unreachable`] send the same movement
    /// again: a replay is answered with the first outcome.
    async fn member_movement(
        &self,
        to: &HeadOfficeAccess,
        movement: &MemberMovement,
    ) -> Result<MovementOutcome, LinkError>;
}
