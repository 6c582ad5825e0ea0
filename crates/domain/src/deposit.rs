//! Deposits (押金 / pre-authorisation): money frozen in the customer's wallet, later consumed
//! in part or in whole (the rest released at once) or released without a consume.
//!
//! ```text
//! freezing ──┬──► user_paying ◄──► unknown ──┐   (queried until the wallet decides)
//!            ├──► frozen ◄───────────────────┤
//!            ├──► failed ◄───────────────────┤
//!            └──► unfreezing ◄───────────────┘   (not confirmed in time: release it all)
//! frozen ────┬──► consuming ──┬──► consumed      (part or all taken, the rest released)
//!            │                └──► frozen        (the consume was refused)
//!            ├──► unfreezing ─┬──► unfrozen      (released)
//!            │                ├──► frozen        (the release was refused)
//!            │                └──► failed        (a cancelled freeze that never held money)
//!            └──► unfrozen                       (the wallet released it after 30 days)
//! consuming, unfreezing ──► unfrozen             (found released by the wallet meanwhile)
//! ```
//! `freezing` is the intent of `micro_freeze`, `consuming` the intent of `deposit_consume`
//! and `unfreezing` the intent of `unfreeze`: each is committed before its request leaves,
//! and carries the number the request uses (`out_freeze_no`, the consume's `out_trade_no`,
//! `out_unfreeze_no`), so a retry after a crash or a lost answer sends the identical request.
//! `consumed`, `unfrozen` and `failed` are final; refunds of a consume are refunds of its
//! paid order and only add to [`Deposit::refunded`].
//!
//! The amounts keep two invariants at every step ([`Deposit::check_invariants`]):
//! `consumed + unfrozen + pending ≤ frozen` and `refunded ≤ consumed`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::clerk::ClerkId;
use crate::code::Wallet;
use crate::money::Money;
use crate::order::{IllegalTransition, UnknownState};
use crate::order_no::{FreezeNo, OrderNo, UnfreezeNo};
use crate::timestamp::Timestamp;

/// Whether a wallet can hold a deposit (WeChat Pay and Alipay; not member cards).
#[must_use]
pub const fn wallet_can_freeze(wallet: Wallet) -> bool {
    matches!(wallet, Wallet::WeChat | Wallet::Alipay)
}

/// The platform releases a deposit left unhandled this long after the freeze (30 days,
/// protocol notes §11.7).
pub const AUTO_UNFREEZE_AFTER: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// The life cycle of a deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositState {
    /// The intent is committed; `micro_freeze` may have left.
    Freezing,
    /// The customer is confirming in the wallet (password).
    UserPaying,
    /// The outcome of the freeze is not known (lost answer, status 3/103).
    Unknown,
    /// The money is frozen.
    Frozen,
    /// Nothing was frozen.
    Failed,
    /// A consume is committed; `deposit_consume` may have left.
    Consuming,
    /// A release is committed; `unfreeze` may have left.
    Unfreezing,
    /// Part or all was taken (a paid order); the rest went back to the customer.
    Consumed,
    /// Released to the customer without a consume.
    Unfrozen,
}

impl DepositState {
    /// Every state.
    pub const ALL: [DepositState; 9] = [
        DepositState::Freezing,
        DepositState::UserPaying,
        DepositState::Unknown,
        DepositState::Frozen,
        DepositState::Failed,
        DepositState::Consuming,
        DepositState::Unfreezing,
        DepositState::Consumed,
        DepositState::Unfrozen,
    ];

    /// Stable machine name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            DepositState::Freezing => "freezing",
            DepositState::UserPaying => "user_paying",
            DepositState::Unknown => "unknown",
            DepositState::Frozen => "frozen",
            DepositState::Failed => "failed",
            DepositState::Consuming => "consuming",
            DepositState::Unfreezing => "unfreezing",
            DepositState::Consumed => "consumed",
            DepositState::Unfrozen => "unfrozen",
        }
    }

    /// The words a cashier sees.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            DepositState::Freezing => "正在确认冻结结果",
            DepositState::UserPaying => "顾客正在输入密码",
            DepositState::Unknown => "冻结结果未知",
            DepositState::Frozen => "已冻结",
            DepositState::Failed => "冻结失败",
            DepositState::Consuming => "正在确认消费结果",
            DepositState::Unfreezing => "正在解冻",
            DepositState::Consumed => "已消费",
            DepositState::Unfrozen => "已解冻",
        }
    }

    /// Consumed, unfrozen or failed: nothing more will happen to the deposit.
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            DepositState::Consumed | DepositState::Unfrozen | DepositState::Failed
        )
    }

    /// Whether a request of this deposit may be in flight (recovery resolves it).
    #[must_use]
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            DepositState::Freezing
                | DepositState::UserPaying
                | DepositState::Unknown
                | DepositState::Consuming
                | DepositState::Unfreezing
        )
    }

    /// The transition table. Anything not listed is illegal.
    #[must_use]
    pub const fn can_become(self, next: DepositState) -> bool {
        use DepositState::{
            Consumed, Consuming, Failed, Freezing, Frozen, Unfreezing, Unfrozen, Unknown,
            UserPaying,
        };
        matches!(
            (self, next),
            (
                Freezing | UserPaying | Unknown,
                UserPaying | Unknown | Frozen | Failed | Unfreezing
            ) | (Frozen, Consuming | Unfreezing | Unfrozen)
                | (Consuming, Consuming | Consumed | Frozen | Unfrozen)
                | (Unfreezing, Unfreezing | Unfrozen | Frozen | Failed)
        )
    }

    /// The folded status a list or the command line shows.
    #[must_use]
    pub const fn status(self) -> DepositStatus {
        match self {
            DepositState::Frozen => DepositStatus::Frozen,
            DepositState::Failed => DepositStatus::Failed,
            DepositState::Consumed => DepositStatus::Consumed,
            DepositState::Unfrozen => DepositStatus::Unfrozen,
            DepositState::Freezing
            | DepositState::UserPaying
            | DepositState::Unknown
            | DepositState::Consuming
            | DepositState::Unfreezing => DepositStatus::Unknown,
        }
    }
}

impl fmt::Display for DepositState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DepositState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DepositState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// A deposit's state as the command line and lists show it: `frozen`, `failed`, `unknown`
/// (a freeze, consume or release whose result is not known yet), `consumed`, `unfrozen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositStatus {
    /// Frozen, nothing taken or released yet.
    Frozen,
    /// Nothing was frozen.
    Failed,
    /// A call's result is not known yet.
    Unknown,
    /// Consumed (the rest released).
    Consumed,
    /// Released without a consume.
    Unfrozen,
}

impl DepositStatus {
    /// Every status.
    pub const ALL: [DepositStatus; 5] = [
        DepositStatus::Frozen,
        DepositStatus::Failed,
        DepositStatus::Unknown,
        DepositStatus::Consumed,
        DepositStatus::Unfrozen,
    ];

    /// Stable machine name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            DepositStatus::Frozen => "frozen",
            DepositStatus::Failed => "failed",
            DepositStatus::Unknown => "unknown",
            DepositStatus::Consumed => "consumed",
            DepositStatus::Unfrozen => "unfrozen",
        }
    }

    /// The words a cashier sees.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            DepositStatus::Frozen => "已冻结",
            DepositStatus::Failed => "冻结失败",
            DepositStatus::Unknown => "处理中",
            DepositStatus::Consumed => "已消费",
            DepositStatus::Unfrozen => "已解冻",
        }
    }

    /// The states folded into this status.
    #[must_use]
    pub fn states(self) -> Vec<DepositState> {
        DepositState::ALL
            .into_iter()
            .filter(|s| s.status() == self)
            .collect()
    }
}

impl fmt::Display for DepositStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DepositStatus {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DepositStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// Why a consume or a release of a deposit cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositError {
    /// Zero or negative amount.
    #[error("bad amount: the amount must be greater than zero")]
    NotPositive,
    /// A consume above what is still frozen.
    #[error("consume of {requested} is above the frozen amount {frozen} of deposit {deposit}")]
    ExceedsFrozen {
        /// The deposit.
        deposit: String,
        /// Amount asked for.
        requested: Money,
        /// What is still frozen.
        frozen: Money,
    },
    /// The deposit was released already.
    #[error("deposit {deposit} is already released (unfrozen); nothing is frozen")]
    AlreadyReleased {
        /// The deposit.
        deposit: String,
    },
    /// The deposit was consumed already.
    #[error("deposit {deposit} is already consumed; the rest was released")]
    AlreadyConsumed {
        /// The deposit.
        deposit: String,
    },
    /// The freeze failed: nothing is frozen.
    #[error("deposit {deposit} failed: nothing was frozen")]
    NeverFrozen {
        /// The deposit.
        deposit: String,
    },
    /// Only WeChat Pay and Alipay hold deposits (protocol notes §11.2: `pay_platform` 1 or 2).
    #[error("{wallet} codes cannot hold a deposit: scan a WeChat Pay or Alipay payment code")]
    WalletCannotFreeze {
        /// The wallet of the scanned code.
        wallet: Wallet,
    },
    /// Cloud Pay refused a consume or a release for good; nothing changed.
    #[error("Cloud Pay refused to {action} deposit {deposit}: {reason}")]
    Refused {
        /// The deposit.
        deposit: String,
        /// `consume` or `release`.
        action: String,
        /// Cloud Pay's words.
        reason: String,
    },
    /// A freeze, consume or release of the deposit is still open.
    #[error("deposit {deposit} is {state}: wait for that result (or run `cloudpos recover`) first")]
    InProgress {
        /// The deposit.
        deposit: String,
        /// Its state.
        state: DepositState,
    },
}

/// One deposit, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    /// Merchant deposit number (`out_freeze_no`).
    pub no: FreezeNo,
    /// The wallet (WeChat Pay or Alipay).
    pub wallet: Wallet,
    /// The amount frozen (`freeze_fee`; asked for until the freeze succeeds).
    pub frozen: Money,
    /// Taken by the consume (the consume order's amount).
    pub consumed: Money,
    /// Released to the customer: by a release, the rest at a consume, or by the wallet.
    pub unfrozen: Money,
    /// Refunded after the consume (refunds of the consume order).
    pub refunded: Money,
    /// State.
    pub state: DepositState,
    /// The amount of the consume (`consuming`) or release (`unfreezing`) in flight.
    pub pending: Money,
    /// The consume's order number (`out_trade_no` of the paid order it creates), from the
    /// moment the consume is committed.
    pub consume_no: Option<OrderNo>,
    /// The release's number (`out_unfreeze_no`), from the moment it is committed.
    pub unfreeze_no: Option<UnfreezeNo>,
    /// The wallet's authorisation number (`freeze_id`).
    pub freeze_id: Option<String>,
    /// The customer's payment code, masked.
    pub code_masked: String,
    /// Store (`out_shop_id`).
    pub store_id: String,
    /// Device that froze it.
    pub device_id: String,
    /// Local clerk who froze it.
    pub clerk_id: ClerkId,
    /// Shift it belongs to.
    pub shift_id: Option<i64>,
    /// Description sent to the wallet (`body`).
    pub body: String,
    /// Remark (a room number, a rental item).
    pub remark: String,
    /// The clerk who consumed or released it (`None` for a release the terminal made by
    /// itself: a freeze it could not confirm in time).
    pub settled_by: Option<ClerkId>,
    /// The manager who authorised the release, when the clerk lacked the permission.
    pub authorized_by: Option<ClerkId>,
    /// Why it failed, or the last unknown-outcome or refusal reason.
    pub reason: Option<String>,
    /// When the intent was created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// When the money was frozen.
    pub frozen_at: Option<Timestamp>,
    /// When it was consumed or released.
    pub finished_at: Option<Timestamp>,
}

/// What a new deposit needs.
#[derive(Debug, Clone)]
pub struct NewDeposit {
    /// The number from the generator.
    pub no: FreezeNo,
    /// Wallet of the scanned code.
    pub wallet: Wallet,
    /// Amount to freeze, strictly positive.
    pub amount: Money,
    /// Masked code.
    pub code_masked: String,
    /// Store id.
    pub store_id: String,
    /// Device id.
    pub device_id: String,
    /// Clerk.
    pub clerk_id: ClerkId,
    /// Shift.
    pub shift_id: Option<i64>,
    /// Description.
    pub body: String,
    /// Remark.
    pub remark: String,
}

impl Deposit {
    /// A new deposit in state `freezing` (the intent).
    #[must_use]
    pub fn new(new: NewDeposit, now: Timestamp) -> Deposit {
        Deposit {
            no: new.no,
            wallet: new.wallet,
            frozen: new.amount,
            consumed: Money::ZERO,
            unfrozen: Money::ZERO,
            refunded: Money::ZERO,
            state: DepositState::Freezing,
            pending: Money::ZERO,
            consume_no: None,
            unfreeze_no: None,
            freeze_id: None,
            code_masked: new.code_masked,
            store_id: new.store_id,
            device_id: new.device_id,
            clerk_id: new.clerk_id,
            shift_id: new.shift_id,
            body: new.body,
            remark: new.remark,
            settled_by: None,
            authorized_by: None,
            reason: None,
            created_at: now,
            updated_at: now,
            frozen_at: None,
            finished_at: None,
        }
    }

    /// The folded status.
    #[must_use]
    pub fn status(&self) -> DepositStatus {
        self.state.status()
    }

    /// What is still frozen and free to consume or release: zero unless the money was
    /// frozen and nothing is in flight.
    #[must_use]
    pub fn remaining(&self) -> Money {
        if self.state != DepositState::Frozen {
            return Money::ZERO;
        }
        self.held()
    }

    /// What the wallet still holds, counting a consume or release in flight: the frozen
    /// amount less what was consumed or released.
    #[must_use]
    pub fn held(&self) -> Money {
        let confirmed = matches!(self.state, DepositState::Frozen | DepositState::Consuming)
            || (self.state == DepositState::Unfreezing && self.frozen_at.is_some());
        if !confirmed {
            return Money::ZERO;
        }
        self.frozen
            .checked_sub(self.consumed)
            .and_then(|m| m.checked_sub(self.unfrozen))
            .unwrap_or(Money::ZERO)
            .max(Money::ZERO)
    }

    /// Checks the amounts: nothing negative, a positive frozen amount, `consumed +
    /// unfrozen + pending ≤ frozen`, `refunded ≤ consumed`, nothing pending outside
    /// `consuming` / `unfreezing`, and a consumed or released deposit fully accounted for.
    pub fn check_invariants(&self) -> Result<(), String> {
        let fen = |m: Money| m.fen();
        if !self.frozen.is_positive() {
            return Err(format!(
                "deposit {}: frozen amount {} is not positive",
                self.no, self.frozen
            ));
        }
        for (name, m) in [
            ("consumed", self.consumed),
            ("unfrozen", self.unfrozen),
            ("refunded", self.refunded),
            ("pending", self.pending),
        ] {
            if m.is_negative() {
                return Err(format!("deposit {}: {name} {m} is negative", self.no));
            }
        }
        let used = i128::from(fen(self.consumed))
            + i128::from(fen(self.unfrozen))
            + i128::from(fen(self.pending));
        if used > i128::from(fen(self.frozen)) {
            return Err(format!(
                "deposit {}: consumed {} + unfrozen {} + pending {} is above the frozen {}",
                self.no, self.consumed, self.unfrozen, self.pending, self.frozen
            ));
        }
        if self.refunded > self.consumed {
            return Err(format!(
                "deposit {}: refunded {} is above the consumed {}",
                self.no, self.refunded, self.consumed
            ));
        }
        let in_flight = matches!(
            self.state,
            DepositState::Consuming | DepositState::Unfreezing
        );
        if in_flight != self.pending.is_positive() {
            return Err(format!(
                "deposit {}: {} with {} pending",
                self.no, self.state, self.pending
            ));
        }
        if matches!(self.state, DepositState::Consumed | DepositState::Unfrozen)
            && used != i128::from(fen(self.frozen))
        {
            return Err(format!(
                "deposit {}: {} but consumed {} + unfrozen {} is not the frozen {}",
                self.no, self.state, self.consumed, self.unfrozen, self.frozen
            ));
        }
        if self.state == DepositState::Consumed && !self.consumed.is_positive() {
            return Err(format!("deposit {}: consumed with nothing taken", self.no));
        }
        Ok(())
    }

    /// Moves to `next` if the table allows it.
    pub fn transition(
        &mut self,
        next: DepositState,
        now: Timestamp,
    ) -> Result<(), IllegalTransition> {
        if !self.state.can_become(next) {
            return Err(self.illegal(next));
        }
        self.state = next;
        self.updated_at = now;
        Ok(())
    }

    fn illegal(&self, to: DepositState) -> IllegalTransition {
        IllegalTransition {
            order: format!("deposit {}", self.no),
            from: self.state.to_string(),
            to: to.to_string(),
        }
    }

    /// The customer is confirming in the wallet.
    pub fn mark_user_paying(&mut self, now: Timestamp) -> Result<(), IllegalTransition> {
        self.transition(DepositState::UserPaying, now)
    }

    /// The outcome of the freeze is not known; `reason` says why.
    pub fn mark_unknown(&mut self, reason: &str, now: Timestamp) -> Result<(), IllegalTransition> {
        self.transition(DepositState::Unknown, now)?;
        self.reason = Some(reason.to_owned());
        Ok(())
    }

    /// The money is frozen.
    pub fn mark_frozen(
        &mut self,
        freeze_id: Option<String>,
        frozen_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), IllegalTransition> {
        if !matches!(
            self.state,
            DepositState::Freezing | DepositState::UserPaying | DepositState::Unknown
        ) {
            return Err(self.illegal(DepositState::Frozen));
        }
        self.transition(DepositState::Frozen, now)?;
        if freeze_id.is_some() {
            self.freeze_id = freeze_id;
        }
        self.frozen_at = Some(frozen_at);
        self.reason = None;
        Ok(())
    }

    /// Nothing was frozen. From `unfreezing` only for a freeze that was never confirmed
    /// frozen (its cancellation found it failed).
    pub fn mark_failed(&mut self, reason: &str, now: Timestamp) -> Result<(), IllegalTransition> {
        if self.state == DepositState::Unfreezing && self.frozen_at.is_some() {
            return Err(self.illegal(DepositState::Failed));
        }
        self.transition(DepositState::Failed, now)?;
        self.pending = Money::ZERO;
        self.unfreeze_no = None;
        self.reason = Some(reason.to_owned());
        Ok(())
    }

    /// Whether a consume of `amount` may start now; the error names the problem.
    pub fn check_consume(&self, amount: Money) -> Result<(), DepositError> {
        self.check_settle()?;
        if !amount.is_positive() {
            return Err(DepositError::NotPositive);
        }
        let frozen = self.remaining();
        if amount > frozen {
            return Err(DepositError::ExceedsFrozen {
                deposit: self.no.to_string(),
                requested: amount,
                frozen,
            });
        }
        Ok(())
    }

    /// Whether a release may start now; the error names the problem.
    pub fn check_release(&self) -> Result<(), DepositError> {
        self.check_settle()
    }

    fn check_settle(&self) -> Result<(), DepositError> {
        let deposit = self.no.to_string();
        match self.state {
            DepositState::Frozen => Ok(()),
            DepositState::Unfrozen => Err(DepositError::AlreadyReleased { deposit }),
            DepositState::Consumed => Err(DepositError::AlreadyConsumed { deposit }),
            DepositState::Failed => Err(DepositError::NeverFrozen { deposit }),
            state @ (DepositState::Freezing
            | DepositState::UserPaying
            | DepositState::Unknown
            | DepositState::Consuming
            | DepositState::Unfreezing) => Err(DepositError::InProgress { deposit, state }),
        }
    }

    /// Commits to consuming `amount` under the order number `no` (the consume's
    /// `out_trade_no`). Checked with [`Deposit::check_consume`].
    pub fn begin_consume(
        &mut self,
        no: OrderNo,
        amount: Money,
        by: &ClerkId,
        now: Timestamp,
    ) -> Result<(), DepositError> {
        self.check_consume(amount)?;
        self.state = DepositState::Consuming;
        self.pending = amount;
        self.consume_no = Some(no);
        self.settled_by = Some(by.clone());
        self.reason = None;
        self.updated_at = now;
        Ok(())
    }

    /// The consume went through: `pending` taken, `released` (the wallet's
    /// `manual_unfreeze_fee`; the rest when it does not say) back to the customer.
    pub fn mark_consumed(
        &mut self,
        released: Option<Money>,
        now: Timestamp,
    ) -> Result<(), IllegalTransition> {
        if self.state != DepositState::Consuming {
            return Err(self.illegal(DepositState::Consumed));
        }
        let consumed = self
            .consumed
            .checked_add(self.pending)
            .unwrap_or(self.frozen);
        let rest = self
            .frozen
            .checked_sub(consumed)
            .and_then(|m| m.checked_sub(self.unfrozen))
            .unwrap_or(Money::ZERO)
            .max(Money::ZERO);
        // The wallet releases the whole rest (`is_confirm_unfreeze`); a figure above it is
        // not believed, so the invariants hold whatever the answer says.
        let released = released.map_or(rest, |r| r.min(rest).max(Money::ZERO));
        self.transition(DepositState::Consumed, now)?;
        self.consumed = consumed;
        self.unfrozen = self.unfrozen.checked_add(rest).unwrap_or(self.unfrozen);
        if released < rest {
            // The rest is released at once with `is_confirm_unfreeze`; a smaller figure from
            // the wallet is noted, the books keep the whole rest released.
            self.reason = Some(format!("the wallet reported {released} released of {rest}"));
        }
        self.pending = Money::ZERO;
        self.finished_at = Some(now);
        Ok(())
    }

    /// The consume was refused for good: back to frozen, nothing taken.
    pub fn consume_refused(
        &mut self,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), IllegalTransition> {
        if self.state != DepositState::Consuming {
            return Err(self.illegal(DepositState::Frozen));
        }
        self.transition(DepositState::Frozen, now)?;
        self.pending = Money::ZERO;
        self.consume_no = None;
        self.settled_by = None;
        self.reason = Some(reason.to_owned());
        Ok(())
    }

    /// Commits to releasing everything still held under the release number `no`: the
    /// remaining amount of a frozen deposit, or the whole amount of a freeze that was never
    /// confirmed (its cancellation). `by` is the clerk, `authorized_by` the manager who
    /// authorised it.
    pub fn begin_unfreeze(
        &mut self,
        no: UnfreezeNo,
        by: Option<&ClerkId>,
        authorized_by: Option<ClerkId>,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<(), DepositError> {
        let amount = match self.state {
            DepositState::Frozen => self.remaining(),
            DepositState::Freezing | DepositState::UserPaying | DepositState::Unknown => {
                self.frozen
            }
            _ => {
                return Err(self
                    .check_release()
                    .err()
                    .unwrap_or(DepositError::InProgress {
                        deposit: self.no.to_string(),
                        state: self.state,
                    }));
            }
        };
        if !amount.is_positive() {
            return Err(DepositError::NotPositive);
        }
        self.state = DepositState::Unfreezing;
        self.pending = amount;
        self.unfreeze_no = Some(no);
        self.settled_by = by.cloned();
        self.authorized_by = authorized_by;
        self.reason = reason.map(str::to_owned);
        self.updated_at = now;
        Ok(())
    }

    /// The release went through: what was pending is back with the customer. A cancelled
    /// freeze counts as frozen until this moment (the wallet held it).
    pub fn mark_unfrozen(&mut self, now: Timestamp) -> Result<(), IllegalTransition> {
        if self.state != DepositState::Unfreezing {
            return Err(self.illegal(DepositState::Unfrozen));
        }
        self.transition(DepositState::Unfrozen, now)?;
        self.unfrozen = self
            .frozen
            .checked_sub(self.consumed)
            .unwrap_or(self.unfrozen)
            .max(self.unfrozen);
        self.pending = Money::ZERO;
        self.finished_at = Some(now);
        Ok(())
    }

    /// The release was refused for good while the money stays frozen (e.g. the staff
    /// member lacks refund permission in the cloud).
    pub fn unfreeze_refused(
        &mut self,
        reason: &str,
        frozen_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), IllegalTransition> {
        if self.state != DepositState::Unfreezing {
            return Err(self.illegal(DepositState::Frozen));
        }
        self.transition(DepositState::Frozen, now)?;
        self.pending = Money::ZERO;
        self.unfreeze_no = None;
        self.settled_by = None;
        self.authorized_by = None;
        if self.frozen_at.is_none() {
            self.frozen_at = Some(frozen_at);
        }
        self.reason = Some(reason.to_owned());
        Ok(())
    }

    /// The wallet released what was still frozen by itself (30 days after the freeze), or
    /// the cloud reports it released while a consume or release was open.
    pub fn mark_auto_unfrozen(&mut self, now: Timestamp) -> Result<(), IllegalTransition> {
        self.transition(DepositState::Unfrozen, now)?;
        self.unfrozen = self
            .frozen
            .checked_sub(self.consumed)
            .unwrap_or(self.unfrozen)
            .max(self.unfrozen);
        self.pending = Money::ZERO;
        self.consume_no = None;
        self.finished_at = Some(now);
        self.reason = Some("released by the wallet".to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests;
