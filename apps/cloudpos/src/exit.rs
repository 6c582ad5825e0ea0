//! Exit statuses (a contract for scripts).

/// Success: a paid payment, a succeeded refund, or a command that did what it said.
pub const OK: u8 = 0;
/// Refused or failed before anything was charged: bad input, not logged in, halted, cloud
/// unreachable, permission denied, storage failure.
pub const ERROR: u8 = 1;
// 2 is clap's status for a usage error.
/// The payment failed or was reversed, or the refund failed: nothing was charged or refunded.
pub const NOT_DONE: u8 = 3;
/// The outcome is still open (payment unknown or being reversed, refund processing):
/// `cloudpos recover` resolves it.
pub const PENDING: u8 = 4;
