//! What can go wrong in a use case, in words a cashier or a script can act on.

use cloudpos_domain::code::CodeError;
use cloudpos_domain::money::MoneyError;
use cloudpos_domain::ports::{GatewayError, StoreError};
use cloudpos_domain::refund::RefundError;

/// A use case refused or failed. `Display` is one line naming the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TerminalError {
    /// No merchant is configured.
    #[error("no merchant is configured: run `cloudpos setup merchant --credentials FILE`")]
    NotConfigured,
    /// Nobody is logged in.
    #[error("not logged in: run `cloudpos login --staff ID` first")]
    NotLoggedIn,
    /// Reconciliation stopped the till.
    #[error("payments and refunds are halted: {0} (an admin must clear the halt)")]
    Halted(String),
    /// An amount that does not parse.
    #[error("bad amount: {0}")]
    BadAmount(#[from] MoneyError),
    /// Zero or negative amount.
    #[error("bad amount: the amount must be greater than zero")]
    AmountNotPositive,
    /// A payment code that cannot be charged.
    #[error("unsupported or malformed payment code: {0}")]
    Code(#[from] CodeError),
    /// The same code was just submitted.
    #[error("this payment code was submitted {0} ms ago; wait for that payment's result")]
    DuplicateScan(u64),
    /// The clerk may not do this.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The clerk needs a manager's authorisation for this refund or void.
    #[error("clerk {0} has no refund permission: a manager must authorise this refund")]
    NeedsAuthorization(String),
    /// A manager's authorisation was refused.
    #[error("authorisation refused: {0}")]
    AuthorizationRefused(String),
    /// A refund rule refused it.
    #[error("{0}")]
    Refund(#[from] RefundError),
    /// Login failed.
    #[error("{0}")]
    Login(crate::session::LoginError),
    /// The record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Cloud Pay could not be reached; nothing was charged.
    #[error("cloud unreachable: {0}")]
    CloudUnreachable(String),
    /// Another Cloud Pay failure.
    #[error("{0}")]
    Gateway(GatewayError),
    /// The local ledger failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Invalid input.
    #[error("{0}")]
    Invalid(String),
    /// No receipt printer is enabled.
    #[error("no printer is enabled: configure one with `cloudpos config printer`")]
    NoPrinter,
    /// The receipt printer failed (the record is safe; print it again).
    #[error("printing failed: {0}")]
    Printing(cloudpos_domain::ports::DeviceError),
}

impl From<GatewayError> for TerminalError {
    fn from(e: GatewayError) -> Self {
        match e {
            GatewayError::Unreachable(msg) => TerminalError::CloudUnreachable(msg),
            GatewayError::NotConfigured(_) => TerminalError::NotConfigured,
            other => TerminalError::Gateway(other),
        }
    }
}

/// Shorthand for use-case results.
pub type Result<T, E = TerminalError> = std::result::Result<T, E>;
