//! # CloudPOS domain
//!
//! The pure core of the cashier terminal: types, rules and the port traits that adapters
//! implement. Nothing here does I/O, reads the clock or depends on an async runtime; the
//! use cases in `cloudpos-terminal` supply time and I/O through the [`ports`].
//!
//! The key decision is that *every* rule a cashier can trip over lives here, in synchronous
//! code that can be tested exhaustively: strict money parsing ([`money`]), code
//! classification ([`code`]), order, refund and deposit state machines with their caps
//! ([`order`], [`refund`], [`deposit`]), the permission policy ([`clerk`]) and summary arithmetic ([`shift`]). The
//! price is that adapters must map their own records onto these types, and that storage has
//! to call back into the refund rules inside its transaction to stay race-free.
#![deny(missing_docs)]
#![deny(clippy::float_arithmetic)]

pub mod announcement;
pub mod catalog;
pub mod clerk;
pub mod code;
pub mod deposit;
pub mod deposit_ports;
pub mod device_ports;
pub mod hq_ports;
pub mod member;
pub mod member_hq;
pub mod member_ports;
pub mod money;
pub mod one_code;
pub mod order;
pub mod order_no;
pub mod ports;
pub mod receipt;
pub mod refund;
pub mod shift;
pub mod timestamp;

pub use announcement::{Announcement, AnnouncementKind, MoneySource, VoiceEvent};
pub use catalog::{Cart, CartLine, CheckoutMode, Commodity};
pub use clerk::{Clerk, ClerkId, Decision, LoginGuard, LoginRecord, Permission, Role};
pub use code::{CodeTable, PaymentCode, Wallet};
pub use deposit::{Deposit, DepositError, DepositState, DepositStatus};
pub use member::{
    BonusRules, CardNo, EntryKind, MemberAccount, MemberCard, MemberEntry, MemberStatus,
};
pub use money::Money;
pub use order::{Order, OrderState, OrderStatus, PaymentMethod};
pub use order_no::{FreezeNo, OrderNo, OrderNoGenerator, RefundNo, UnfreezeNo};
pub use receipt::{Receipt, ReceiptKind};
pub use refund::{Refund, RefundState};
pub use shift::{Shift, Summary};
pub use timestamp::Timestamp;
