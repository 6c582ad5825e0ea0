//! What can go wrong in a use case, in words a cashier or a script can act on.

use cloudpos_domain::code::CodeError;
use cloudpos_domain::deposit::DepositError;
use cloudpos_domain::money::{Money, MoneyError};
use cloudpos_domain::order::Order;
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
    /// An amount above the configured maximum per payment or per refund
    /// ([`crate::PayPolicy::max_payment`], [`crate::PayPolicy::max_refund`]).
    #[error(
        "bad amount: {amount} is above the maximum per {} of {max} (change it with `cloudpos config payment --max-{} YUAN`)",
        limit.as_str(),
        limit.as_str()
    )]
    AmountAboveLimit {
        /// The amount asked for.
        amount: Money,
        /// The maximum in force.
        max: Money,
        /// Which maximum.
        limit: crate::AmountLimit,
    },
    /// A payment code that cannot be charged.
    #[error("unsupported or malformed payment code: {0}")]
    Code(#[from] CodeError),
    /// The same code was just submitted.
    #[error("this payment code was submitted {0} ms ago; wait for that payment's result")]
    DuplicateScan(u64),
    /// The clerk may not do this.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The clerk needs a manager's authorisation for this refund, void or deposit release.
    #[error(
        "no permission: clerk {0} has no refund permission; a manager must authorise this refund or release"
    )]
    NeedsAuthorization(String),
    /// A manager's authorisation was refused.
    #[error("authorisation refused: {0}")]
    AuthorizationRefused(String),
    /// A refund rule refused it.
    #[error("{0}")]
    Refund(#[from] RefundError),
    /// A deposit rule refused it (consume above the frozen amount, already released, …),
    /// or Cloud Pay refused a consume or release for good.
    #[error("{0}")]
    Deposit(#[from] DepositError),
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
    /// Cloud Pay took the payment but the ledger could not record it (disk full, I/O
    /// error). The customer has paid: hand over the goods. `order` is the order as last
    /// recorded (its status is `unknown`); the terminal completes the record as soon as the
    /// disk allows (within a minute while it runs, else at the next start). Cashier text:
    /// 已在云端收款，本地记录稍后补全.
    #[error(
        "order {}: paid in the cloud; the local record will be completed (the ledger could not record it: {cause})",
        order.no
    )]
    PaidNotRecorded {
        /// The order as last recorded in the ledger.
        order: Box<Order>,
        /// Why the ledger could not record it.
        cause: String,
    },
    /// A payment's request was sent but the terminal could not follow it to its end (the
    /// ledger could not record an answer, or the follow-up was interrupted). Whether the
    /// customer paid is not known yet: never treat it as failed. The terminal keeps following
    /// it in the background (or `cloudpos recover` does) and publishes the result as
    /// [`crate::Event::Order`]. Cashier text: 结果未知，正在查询….
    #[error(
        "order {}: result unknown, checking… (the till could not follow it to the end: {cause}); it is completed in the background, or run `cloudpos recover`",
        order.no
    )]
    ResultUnknown {
        /// The order as last recorded in the ledger.
        order: Box<Order>,
        /// What interrupted the follow-up.
        cause: String,
    },
    /// Invalid input.
    #[error("{0}")]
    Invalid(String),
    /// No receipt printer is enabled.
    #[error("no printer is enabled: configure one with `cloudpos config printer`")]
    NoPrinter,
    /// The receipt printer failed (the record is safe; print it again).
    #[error("printing failed: {0}")]
    Printing(cloudpos_domain::ports::DeviceError),
    /// A software update was refused or failed (the message names which check).
    #[error("{0}")]
    Update(#[from] cloudpos_update::UpdateError),
    /// The device was unbound from Cloud Pay (解绑设备) or its key was reset (重置密钥):
    /// every payment, refund and deposit is refused until it is bound again. Local records
    /// stay readable and exportable.
    #[error(
        "this till is {}: payments, refunds and deposits are refused. Bind it again with a new configuration QR from the merchant back office (配置设备): `cloudpos setup bind --config-qr TEXT`{}",
        if *key_reset { "without its key (the key was reset)" } else { "unbound from Cloud Pay" },
        if *key_reset { ", for the same device" } else { "" }
    )]
    Unbound {
        /// The key was reset (binding again must be with the same device), rather than the
        /// device unbound.
        key_reset: bool,
    },
    /// Binding by configuration QR failed (the message names why).
    #[error("{0}")]
    Bind(crate::binding::BindFailure),
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
