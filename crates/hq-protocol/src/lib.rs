//! # The head office contract (version 1)
//!
//! What a till and `cloudpos-hq` say to each other, as serde types and the rules that both
//! sides check. No I/O: the till's sync loop and the head office's handlers both build on
//! these types, so the two cannot drift.
//!
//! ## Endpoints
//!
//! | method and path | who | body → answer |
//! |---|---|---|
//! | `POST /api/v1/enrol` | a till, once | [`EnrolRequest`] → [`EnrolResponse`] |
//! | `POST /api/v1/push` | a till | [`PushRequest`] → [`PushResponse`] |
//! | `GET /api/v1/catalog?since_version=N&limit=M` | a till | → [`CatalogChanges`] |
//! | `GET /api/v1/summary`, `/orders`, `/terminals` | the owner | → [`SummaryResponse`], [`OrdersPage`], [`TerminalsResponse`] |
//! | `POST /api/v1/members` | a till | [`PutCards`] → [`CardsResponse`] (add, or add and update) |
//! | `GET /api/v1/members/{card_no}` | a till | → [`CardView`] (`not_found` for an unknown card) |
//! | `GET /api/v1/members?phone=P` | a till | → [`CardsResponse`] (without `phone`: every card) |
//! | `GET /api/v1/members/{card_no}/entries` | a till | → [`EntriesResponse`] |
//! | `POST /api/v1/member-movements` | a till | [`MovementRequest`] → [`MovementResponse`] (once per key) |
//!
//! A till authenticates with `Authorization: Bearer <credential>`, the credential it got
//! from the enrolment. Every request and answer body carries `"v": 1` ([`PROTOCOL_VERSION`]);
//! a head office answers a version it does not speak with [`ErrorCode::UnsupportedVersion`].
//! Every failure is an [`ErrorBody`] with a machine [`ErrorCode`] and a message naming the
//! problem; [`ErrorCode::retry`] says what the till does next.
//!
//! ## The change stream (rules)
//!
//! 1. **One stream per till.** Each ledger change (an order's new state, a refund's, a
//!    deposit's, a shift opened or handed over, an audit entry) is written to the till's
//!    outbox **in the same SQLite transaction** as the change itself, as one [`Change`]. Changes are numbered by
//!    `seq` from 1, contiguously, never reused (a gapless counter: not a rowid that a
//!    deleted row can give back). `(terminal_id, seq)` names a change for ever.
//! 2. **State after, not a delta.** Every [`Record`] carries the whole record *after* the
//!    change (the order row with its state and refunded total, not "+12.00"). Applying a
//!    change is an upsert keyed by the record's own key (`out_trade_no`, `out_refund_no`,
//!    `out_freeze_no`, the shift id, the audit sequence); applying it twice changes nothing.
//! 3. **In order, contiguous only.** The head office keeps, per till, `applied_through`: the
//!    highest `seq` it has applied. A push's changes must be ascending and contiguous
//!    ([`PushRequest::validate`]). Changes at or below `applied_through` are duplicates:
//!    skipped, after checking that they are the same change the head office applied (a
//!    different change under a used number is [`ErrorCode::Conflict`], never overwritten).
//!    A push whose first new change is not `applied_through + 1` applies nothing and is
//!    answered [`ErrorCode::Gap`] with `applied_through`: the till sends again from
//!    `applied_through + 1`.
//! 4. **One batch, one transaction.** The head office applies a push in one PostgreSQL
//!    transaction and answers only after it committed. A lost answer, a killed head office
//!    or a killed till therefore leaves either the whole batch applied or none of it, and the
//!    till's resend is skipped or applied accordingly (rule 3). The till deletes outbox rows
//!    only up to the `applied_through` it was told.
//! 5. **Nothing is skipped.** A change the head office cannot apply (a kind it does not
//!    know, an invalid record) stops that till's stream with an error; the till keeps it and
//!    shows the error. Newer optional fields may be added within version 1 and are ignored
//!    by an older head office; a new kind needs a head office that knows it.
//! 6. **Back-pressure is the outbox.** The till never waits for the head office to take a
//!    payment; it reports what is still queued (`backlog`) with each push, and the head
//!    office shows it per till.
//!
//! ## Catalogue (down-stream)
//!
//! The head office numbers every catalogue change with a `version` from one counter and
//! commits catalogue changes one at a time, so versions become visible in order. A till
//! asks for changes `since_version` (the highest version it applied), applies them in
//! order, and remembers the last version. Deletions come as tombstones (`deleted: true`).
//! The till's conflict rule is in `docs/ARCHITECTURE.md` (head office wins on the SKUs it
//! manages; local-only SKUs and stock stay the till's).
//!
//! ## Member cards (chain-wide)
//!
//! With a head office, it is the authority for member balances: recharges, card payments,
//! refunds to the card and adjustments are movements asked of it under an idempotency key
//! (the till's `out_trade_no`, `out_refund_no` or adjustment id), applied once, answered
//! the same on every replay, and checked under a lock of the card so that a card is never
//! spendable twice. The rules are in [`members`].
//!
//! ## Enrolment
//!
//! `cloudpos-hq enrol --store S --device D` prints a one-time token (valid 24 hours by
//! default). The till exchanges it once ([`EnrolRequest`]) for its credential
//! ([`EnrolResponse::credential`]), which it seals like its other secrets; the head office
//! keeps only a hash of it. Enrolling the same store and device again keeps the till's
//! identity and `applied_through`, and replaces its credential when the new token is
//! exchanged (the way out after a lost enrolment answer or a stolen credential).
#![deny(missing_docs)]
#![deny(clippy::float_arithmetic)]

pub mod catalog;
pub mod change;
pub mod deposit;
pub mod enrol;
pub mod error;
pub mod members;
pub mod owner;
pub mod push;

pub use catalog::{CatalogChanges, CommodityChange, CommodityInput};
pub use change::{
    AuditRecord, Change, LineRecord, OrderRecord, Record, RecordError, RefundRecord, ShiftRecord,
};
pub use deposit::DepositRecord;
pub use enrol::{EnrolRequest, EnrolResponse};
pub use error::{ErrorBody, ErrorCode, Retry};
pub use members::{
    CardInput, CardView, CardsResponse, EntriesResponse, EntryView, MovementKind, MovementRequest,
    MovementResponse, MovementStatus, PutCards, Refusal, RefusalCode,
};
pub use owner::{
    DepositView, DepositsHeld, DepositsPage, OrderView, OrdersPage, SummaryGroup, SummaryResponse,
    TerminalView, TerminalsResponse, Totals,
};
pub use push::{BatchError, PushRequest, PushResponse};

/// The version of this contract; every body carries it as `"v"`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Most changes in one push.
pub const MAX_BATCH: usize = 1000;

/// Most bytes of one push body (the head office refuses larger with
/// [`ErrorCode::TooLarge`]). A full batch of orders with commodity lines fits well inside.
pub const MAX_PUSH_BYTES: usize = 8 * 1024 * 1024;

/// Most catalogue changes in one answer.
pub const MAX_CATALOG_PAGE: u32 = 5000;

/// Checks the `v` of a body.
pub fn check_version(v: u32) -> Result<(), ErrorBody> {
    if v == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(ErrorBody::new(
            ErrorCode::UnsupportedVersion,
            format!(
                "protocol version {v} is not supported; this head office speaks version {PROTOCOL_VERSION}"
            ),
        ))
    }
}
