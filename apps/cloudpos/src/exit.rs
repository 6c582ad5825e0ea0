//! Exit statuses (a contract for scripts).

/// Success: a paid payment, a succeeded refund, or a command that did what it said.
pub const OK: u8 = 0;
/// Refused or failed before anything was charged: bad input (including an amount of zero or
/// above the maximum), not logged in, halted, cloud unreachable, permission denied, a storage
/// failure before the request left.
pub const ERROR: u8 = 1;
// 2 is clap's status for a usage error.
/// The payment failed or was reversed, or the refund failed: nothing was charged or refunded.
pub const NOT_DONE: u8 = 3;
/// The outcome is still open (payment unknown or being reversed, refund processing, or a
/// payment whose answer the ledger could not record): `cloudpos recover` resolves it.
pub const PENDING: u8 = 4;
/// Paid in the cloud, but the ledger could not record it (disk full, I/O error): the
/// customer has paid. The order printed is as last recorded (`state` `unknown`,
/// `cloud_state` `paid`); the record is completed by `cloudpos recover` (or the GUI, within
/// a minute) once the disk allows.
pub const PAID_NOT_RECORDED: u8 = 5;
