//! Events the terminal publishes (the GUI subscribes to refresh screens).

use cloudpos_domain::order::Order;
use cloudpos_domain::refund::Refund;

/// Something that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A payment's state changed (committed to the ledger).
    Order(Order),
    /// A refund's state changed (committed to the ledger).
    Refund(Refund),
    /// The till was halted, with the reason.
    Halted(String),
    /// The halt was cleared.
    HaltCleared,
    /// A clerk logged in or out.
    SessionChanged,
    /// A customer paid by scanning the shop's printed QR code, and the till handled it
    /// (announced, printed when a printer is set up).
    OneCodePaid(cloudpos_domain::one_code::OneCodePayment),
    /// Notices (公告) arrived or were read.
    NoticesChanged,
    /// A receipt did not print (the record is safe; print it again from the list).
    PrintFailed {
        /// What was being printed.
        what: String,
        /// Why it failed.
        reason: String,
    },
}
