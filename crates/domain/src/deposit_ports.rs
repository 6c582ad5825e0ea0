//! The deposit side of the ports (押金, protocol notes §11): what the ledger stores of a
//! deposit and what Cloud Pay's deposit calls answer.
//!
//! [`DepositLedger`] is a supertrait of [`Ledger`](crate::ports::Ledger) and
//! [`DepositGateway`] of [`PaymentGateway`](crate::ports::PaymentGateway), so the terminal
//! reaches them through the ports it already holds. As for payments, a call whose result is
//! not known answers an outcome with an `Unknown` case, never an error.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::clerk::ClerkId;
use crate::code::{PaymentCode, Wallet};
use crate::deposit::{Deposit, DepositState, DepositStatus};
use crate::money::Money;
use crate::order::Order;
use crate::order_no::{FreezeNo, OrderNo, UnfreezeNo};
use crate::ports::{GatewayError, Page, RefundOutcome, RefundRequest, StoreError};
use crate::timestamp::Timestamp;

// ───────────────────────────── storage ─────────────────────────────

/// Filters of the deposit list. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositFilter {
    /// Created at or after.
    pub from: Option<Timestamp>,
    /// Created before.
    pub to: Option<Timestamp>,
    /// Folded status (`frozen`, `consumed`, …).
    pub status: Option<DepositStatus>,
    /// Clerk who froze it.
    pub clerk: Option<ClerkId>,
    /// Deposit number, or a part of it.
    pub no: Option<String>,
    /// 0-based page.
    pub page: u32,
    /// Page size; 0 means everything.
    pub page_size: u32,
}

/// The deposits of the local ledger. Every write is durable when the future resolves.
#[async_trait]
pub trait DepositLedger: Send + Sync {
    /// Commits a freeze intent (state `freezing`). Fails with [`StoreError::Duplicate`] if
    /// the number exists. Must be called before `micro_freeze` leaves.
    async fn insert_deposit(&self, deposit: &Deposit) -> Result<(), StoreError>;
    /// Writes a deposit's new state and amounts if the stored state is still `expected`
    /// (compare and set, as for orders); otherwise [`StoreError::Conflict`]. The amounts are
    /// checked ([`Deposit::check_invariants`]) before anything is written.
    async fn update_deposit(
        &self,
        deposit: &Deposit,
        expected: DepositState,
    ) -> Result<(), StoreError>;
    /// Records a consume that went through in one transaction: the deposit becomes
    /// `consumed` (compare and set on `expected`) and `order`, the paid order the consume
    /// created, is inserted (it is refunded like any paid order from then on).
    async fn finish_consume(
        &self,
        deposit: &Deposit,
        expected: DepositState,
        order: &Order,
    ) -> Result<(), StoreError>;
    /// One deposit.
    async fn deposit(&self, no: &FreezeNo) -> Result<Option<Deposit>, StoreError>;
    /// The deposit whose consume created order `no`, if any.
    async fn deposit_of_consume(&self, no: &OrderNo) -> Result<Option<Deposit>, StoreError>;
    /// Deposits matching a filter, newest first.
    async fn deposits(&self, filter: &DepositFilter) -> Result<Page<Deposit>, StoreError>;
    /// Deposits with a call still open (freezing, user paying, unknown, consuming,
    /// unfreezing), oldest first (for recovery).
    async fn unfinished_deposits(&self) -> Result<Vec<Deposit>, StoreError>;
}

// ───────────────────────────── Cloud Pay ─────────────────────────────

/// A freeze by payment code (`micro_freeze`).
#[derive(Debug, Clone)]
pub struct FreezeRequest {
    /// Merchant deposit number.
    pub no: FreezeNo,
    /// The customer's code (carries the wallet).
    pub code: PaymentCode,
    /// Amount to freeze.
    pub amount: Money,
    /// Description (`body`).
    pub body: String,
    /// Remark.
    pub remark: String,
    /// Cloud Pay `staff_id` of the clerk, when known.
    pub staff_id: Option<String>,
}

/// What `micro_freeze` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FreezeOutcome {
    /// Frozen.
    Frozen {
        /// The wallet's authorisation number.
        freeze_id: Option<String>,
        /// When the wallet froze it.
        frozen_at: Option<Timestamp>,
    },
    /// The customer must confirm in the wallet; keep querying.
    UserPaying,
    /// Definitely nothing frozen (insufficient balance, expired code, refused).
    Failed {
        /// Cloud Pay's words.
        reason: String,
    },
    /// Not known (no answer, status 3/103, an unverifiable answer): query to resolve.
    Unknown {
        /// Why.
        reason: String,
    },
    /// The request never reached Cloud Pay: nothing frozen.
    NotSent {
        /// Why.
        reason: String,
    },
}

/// Where a freeze stands in the cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloudFreezeState {
    /// Not decided yet (initial, the customer is confirming).
    Pending,
    /// Frozen; part may have been consumed or released, the rest is still held.
    Frozen,
    /// Never frozen (the customer stopped, pay error, not upstream).
    Failed,
    /// Was frozen; now nothing is held (fully consumed, released or auto-released).
    Finished,
}

/// A freeze as the cloud reports it (`query_freeze_order`, `query_order_list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudFreeze {
    /// Merchant deposit number.
    pub no: String,
    /// Wallet.
    pub wallet: Option<Wallet>,
    /// State.
    pub state: CloudFreezeState,
    /// `freeze_fee`.
    pub frozen: Money,
    /// `total_consume_fee`.
    pub consumed: Money,
    /// `total_manual_unfreeze_fee`: released by `unfreeze` (and the rest at a consume).
    pub released: Money,
    /// `total_auto_unfreeze_fee`: released by the wallet itself.
    pub auto_released: Money,
    /// `total_refund_fee`: refunded after the consume.
    pub refunded: Money,
    /// The wallet's authorisation number.
    #[serde(default)]
    pub freeze_id: Option<String>,
    /// Store that froze it.
    pub store_id: String,
    /// Device that froze it.
    pub device_id: String,
    /// Created.
    pub created_at: Timestamp,
    /// When the freeze completed (`time_end`).
    #[serde(default)]
    pub frozen_at: Option<Timestamp>,
    /// The wallet's words for a failure, when given.
    #[serde(default)]
    pub reason: Option<String>,
}

impl CloudFreeze {
    /// What the wallet still holds.
    #[must_use]
    pub fn held(&self) -> Money {
        if self.state != CloudFreezeState::Frozen {
            return Money::ZERO;
        }
        Money::from_fen(
            self.frozen
                .fen()
                .saturating_sub(self.consumed.fen())
                .saturating_sub(self.released.fen())
                .saturating_sub(self.auto_released.fen()),
        )
        .max(Money::ZERO)
    }
}

/// What `query_freeze_order` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FreezeQueryOutcome {
    /// The cloud's record.
    Found(Box<CloudFreeze>),
    /// Cloud Pay has no such freeze (the request never arrived).
    NotFound,
    /// Could not find out now.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// A consume of a frozen deposit (`deposit_consume`). The rest is always released at
/// once (`is_confirm_unfreeze`: WeChat requires it; CloudPOS asks the same of Alipay, so one
/// consume ends every deposit).
#[derive(Debug, Clone)]
pub struct ConsumeRequest {
    /// The freeze.
    pub freeze_no: FreezeNo,
    /// Its wallet.
    pub wallet: Wallet,
    /// The consume's order number (`out_trade_no` of the paid order it creates).
    pub order_no: OrderNo,
    /// Amount taken (`total_fee`), at most what is frozen.
    pub amount: Money,
    /// Description (`body`).
    pub body: String,
    /// Remark.
    pub remark: String,
    /// Cloud Pay `staff_id` of the clerk, when known.
    pub staff_id: Option<String>,
}

/// What `deposit_consume` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumeOutcome {
    /// Taken; the consume order is paid.
    Consumed {
        /// Upstream transaction id.
        transaction_id: Option<String>,
        /// When it was paid.
        paid_at: Option<Timestamp>,
        /// What the consume released (`manual_unfreeze_fee`), when given.
        released: Option<Money>,
    },
    /// Refused for good (above the frozen amount, not frozen any more, …): nothing taken.
    Refused {
        /// Cloud Pay's words.
        reason: String,
    },
    /// Not known: query the consume order and the freeze.
    Unknown {
        /// Why.
        reason: String,
    },
    /// The request never reached Cloud Pay: nothing taken.
    NotSent {
        /// Why.
        reason: String,
    },
}

/// Who answers for a release: the protocol requires refund permission (§11.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnfreezeAuthority {
    /// The merchant's administrator (`is_sub_admin: true`).
    Admin,
    /// A staff member with refund permission (`authorization_staff_id`); `None` means the
    /// terminal's configured `staff_id`.
    Staff(Option<String>),
}

/// A release (`unfreeze`) of what a freeze still holds.
#[derive(Debug, Clone)]
pub struct UnfreezeRequest {
    /// The freeze.
    pub freeze_no: FreezeNo,
    /// Its wallet.
    pub wallet: Wallet,
    /// This release's number (the same on every retry).
    pub unfreeze_no: UnfreezeNo,
    /// Amount released.
    pub amount: Money,
    /// Remark.
    pub remark: String,
    /// Who answers for it.
    pub authority: UnfreezeAuthority,
}

/// What `unfreeze` or `query_unfreeze_order` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnfreezeOutcome {
    /// Released.
    Unfrozen {
        /// Upstream release id.
        unfreeze_id: Option<String>,
    },
    /// Accepted, not finished yet: query again.
    Processing,
    /// Refused or failed (nothing frozen, no permission, …): nothing released by it.
    Failed {
        /// Cloud Pay's words.
        reason: String,
    },
    /// The cloud has no such release (query only).
    NotFound,
    /// Not known: retry the same release or query.
    Unknown {
        /// Why.
        reason: String,
    },
    /// The request never reached Cloud Pay.
    NotSent {
        /// Why.
        reason: String,
    },
}

/// What part of the cloud's deposit records to list (`query_order_list` `order_type` 4
/// and 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositListKind {
    /// Freezes.
    Freezes,
    /// Releases.
    Unfreezes,
}

/// A page request of the cloud's deposit listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositListQuery {
    /// Start (inclusive).
    pub from: Timestamp,
    /// End.
    pub to: Timestamp,
    /// Which records.
    pub kind: DepositListKind,
    /// 1-based page.
    pub page: u32,
    /// Page size.
    pub page_size: u32,
}

/// A release as the cloud lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudUnfreeze {
    /// Merchant release number.
    pub no: String,
    /// The freeze.
    pub freeze_no: String,
    /// Amount.
    pub amount: Money,
    /// Whether it succeeded (the listing shows successes unless asked for all).
    pub succeeded: bool,
    /// Store that asked.
    pub store_id: String,
    /// Device that asked.
    pub device_id: String,
    /// Created.
    pub created_at: Timestamp,
}

/// One page of the cloud's deposit listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudDepositPage {
    /// Matches over all pages.
    pub total: u64,
    /// Freezes on this page.
    pub freezes: Vec<CloudFreeze>,
    /// Releases on this page.
    pub unfreezes: Vec<CloudUnfreeze>,
}

fn unsupported() -> String {
    "this gateway does not support deposits".to_owned()
}

/// Cloud Pay's deposit calls. Every method has a default that refuses without sending
/// anything, so a gateway without deposits (a fake) still implements the port.
#[async_trait]
pub trait DepositGateway: Send + Sync {
    /// `micro_freeze`: freeze by payment code.
    async fn micro_freeze(&self, request: &FreezeRequest) -> FreezeOutcome {
        let _ = request;
        FreezeOutcome::NotSent {
            reason: unsupported(),
        }
    }
    /// `query_freeze_order`.
    async fn query_freeze(&self, no: &FreezeNo, wallet: Wallet) -> FreezeQueryOutcome {
        let _ = (no, wallet);
        FreezeQueryOutcome::Unknown {
            reason: unsupported(),
        }
    }
    /// `deposit_consume`.
    async fn deposit_consume(&self, request: &ConsumeRequest) -> ConsumeOutcome {
        let _ = request;
        ConsumeOutcome::NotSent {
            reason: unsupported(),
        }
    }
    /// `unfreeze`.
    async fn unfreeze(&self, request: &UnfreezeRequest) -> UnfreezeOutcome {
        let _ = request;
        UnfreezeOutcome::NotSent {
            reason: unsupported(),
        }
    }
    /// `query_unfreeze_order` of one release.
    async fn query_unfreeze(
        &self,
        freeze_no: &FreezeNo,
        wallet: Wallet,
        unfreeze_no: &UnfreezeNo,
    ) -> UnfreezeOutcome {
        let _ = (freeze_no, wallet, unfreeze_no);
        UnfreezeOutcome::Unknown {
            reason: unsupported(),
        }
    }
    /// `refund` of a consume order: the request with `refund_content.out_freeze_no`.
    async fn deposit_refund(&self, request: &RefundRequest, freeze_no: &FreezeNo) -> RefundOutcome {
        let _ = (request, freeze_no);
        RefundOutcome::NotSent {
            reason: unsupported(),
        }
    }
    /// `query_order_list` (order type 4 or 5): one page of this store's and device's
    /// freezes or releases.
    async fn list_deposits(
        &self,
        query: &DepositListQuery,
    ) -> Result<CloudDepositPage, GatewayError> {
        let _ = query;
        Err(GatewayError::Refused {
            status: 101,
            description: unsupported(),
        })
    }
}
