//! # CloudPOS head office (`cloudpos-hq`)
//!
//! An axum service over PostgreSQL that many tills push their change streams into
//! ([`ingest`]), that streams the catalogue down to them ([`catalog`]), and that shows the
//! owner every store in one place (the JSON API in [`query`] and [`deposits`], the page in
//! [`web`]). The wire
//! contract is the `cloudpos-hq-protocol` crate; the rules are written there.
//!
//! The tills stay the source of truth for their own trades: the head office only ever
//! holds what a till committed, applied idempotently by `(terminal_id, seq)`, one batch per
//! PostgreSQL transaction. Member cards are the exception: when a head office is configured
//! it is the authority for their balances ([`members`]: movements applied once per
//! idempotency key, under a lock of the card).
#![deny(missing_docs)]
#![deny(clippy::float_arithmetic)]

pub mod auth;
pub mod catalog;
pub mod db;
pub mod deposits;
pub mod ingest;
pub mod members;
pub mod query;
pub mod server;
pub mod testing;
pub mod web;

pub use server::{Running, ServerConfig, TlsFiles};
/// The sqlx this crate is built with (PostgreSQL), for benches and tests.
pub use sqlx;
