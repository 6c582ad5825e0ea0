//! A deposit (押金 / pre-authorisation) as it travels: the whole row after the change.
//!
//! A deposit is not a payment: its frozen money stays the customer's until a consume takes
//! part or all of it, and that consume creates a paid order which travels on its own as an
//! [`crate::OrderRecord`] (named here by [`DepositRecord::consume_no`]). A head office
//! therefore never counts a deposit's amounts as takings. Refunds of a consume are refunds
//! of its order and travel as [`crate::RefundRecord`]s; the deposit record does not repeat
//! them.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::deposit::{Deposit, DepositState, wallet_can_freeze};
use cloudpos_domain::money::Money;
use cloudpos_domain::order_no::{FreezeNo, OrderNo, UnfreezeNo};
use cloudpos_domain::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use crate::change::{MAX_ID_BYTES, MAX_TEXT_BYTES, RecordError, id, opt_text, text, time};

/// A deposit, the whole row after the change (kind `deposit`).
///
/// ```json
/// {"kind": "deposit", "out_freeze_no": "F…", "wallet": "wechat", "state": "consumed",
///  "frozen_fen": 10000, "consumed_fen": 3000, "released_fen": 7000, "pending_fen": 0,
///  "consume_no": "C…", "clerk": "02", "created_at": 1795324938123, …}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositRecord {
    /// Merchant deposit number (`out_freeze_no`); the record's key (with the till).
    pub out_freeze_no: String,
    /// `wechat` or `alipay` (the wallets that hold deposits).
    pub wallet: String,
    /// `freezing`, `user_paying`, `unknown`, `frozen`, `failed`, `consuming`, `unfreezing`,
    /// `consumed` or `unfrozen`.
    pub state: String,
    /// Amount frozen (asked for until the freeze succeeds), fen, more than zero.
    pub frozen_fen: i64,
    /// Taken by the consume (its paid order's amount), fen.
    #[serde(default)]
    pub consumed_fen: i64,
    /// Released to the customer (by a release, the rest at a consume, or by the wallet), fen.
    #[serde(default)]
    pub released_fen: i64,
    /// Amount of the consume or release in flight (`consuming`, `unfreezing`), fen.
    #[serde(default)]
    pub pending_fen: i64,
    /// The consume's order number (`out_trade_no` of the paid order it creates), from the
    /// moment the consume is committed.
    #[serde(default)]
    pub consume_no: Option<String>,
    /// The release's number (`out_unfreeze_no`).
    #[serde(default)]
    pub unfreeze_no: Option<String>,
    /// The wallet's authorisation number (`freeze_id`).
    #[serde(default)]
    pub freeze_id: Option<String>,
    /// The customer's payment code, masked.
    #[serde(default)]
    pub code_masked: String,
    /// Store id the till recorded (`out_shop_id`), as on orders.
    #[serde(default)]
    pub store_id: String,
    /// Device id the till recorded.
    #[serde(default)]
    pub device_id: String,
    /// Clerk who froze it.
    pub clerk: String,
    /// The till's shift id.
    #[serde(default)]
    pub shift: Option<i64>,
    /// Description sent to the wallet.
    #[serde(default)]
    pub body: String,
    /// Remark (a room number, a rental item).
    #[serde(default)]
    pub remark: String,
    /// Clerk who consumed or released it (`null` for a release the till made by itself).
    #[serde(default)]
    pub settled_by: Option<String>,
    /// Manager who authorised the release.
    #[serde(default)]
    pub authorized_by: Option<String>,
    /// Why it failed, or the last unknown-outcome or refusal reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// Created (the intent), Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// Frozen, Unix ms.
    #[serde(default)]
    pub frozen_at: Option<i64>,
    /// Consumed or released, Unix ms.
    #[serde(default)]
    pub finished_at: Option<i64>,
}

impl DepositRecord {
    /// The record of a ledger deposit.
    #[must_use]
    pub fn from_deposit(d: &Deposit) -> DepositRecord {
        DepositRecord {
            out_freeze_no: d.no.as_str().to_owned(),
            wallet: d.wallet.as_str().to_owned(),
            state: d.state.as_str().to_owned(),
            frozen_fen: d.frozen.fen(),
            consumed_fen: d.consumed.fen(),
            released_fen: d.unfrozen.fen(),
            pending_fen: d.pending.fen(),
            consume_no: d.consume_no.as_ref().map(|n| n.as_str().to_owned()),
            unfreeze_no: d.unfreeze_no.as_ref().map(|n| n.as_str().to_owned()),
            freeze_id: d.freeze_id.clone(),
            code_masked: d.code_masked.clone(),
            store_id: d.store_id.clone(),
            device_id: d.device_id.clone(),
            clerk: d.clerk_id.as_str().to_owned(),
            shift: d.shift_id,
            body: d.body.clone(),
            remark: d.remark.clone(),
            settled_by: d.settled_by.as_ref().map(|c| c.as_str().to_owned()),
            authorized_by: d.authorized_by.as_ref().map(|c| c.as_str().to_owned()),
            reason: d.reason.clone(),
            created_at: d.created_at.unix_millis(),
            // Never before its creation (a clock stepped back), as for orders.
            updated_at: d.updated_at.unix_millis().max(d.created_at.unix_millis()),
            frozen_at: d.frozen_at.map(Timestamp::unix_millis),
            finished_at: d.finished_at.map(Timestamp::unix_millis),
        }
    }

    /// The deposit state, parsed.
    pub fn deposit_state(&self) -> Result<DepositState, RecordError> {
        self.state
            .parse()
            .map_err(|e: cloudpos_domain::order::UnknownState| {
                RecordError::new("state", e.to_string())
            })
    }

    /// The wallet, parsed (WeChat Pay or Alipay only).
    pub fn deposit_wallet(&self) -> Result<Wallet, RecordError> {
        let wallet: Wallet =
            self.wallet
                .parse()
                .map_err(|e: cloudpos_domain::code::UnknownWallet| {
                    RecordError::new("wallet", e.to_string())
                })?;
        if !wallet_can_freeze(wallet) {
            return Err(RecordError::new(
                "wallet",
                format!(
                    "{} cannot hold a deposit (only wechat and alipay)",
                    self.wallet
                ),
            ));
        }
        Ok(wallet)
    }

    /// Back to a ledger deposit (validated). Its refunded total is zero: refunds travel with
    /// the consume order.
    pub fn to_deposit(&self) -> Result<Deposit, RecordError> {
        self.validate()?;
        let clerk =
            |f: &str, v: &str| ClerkId::parse(v).map_err(|e| RecordError::new(f, e.to_string()));
        let opt_clerk = |f: &str, v: Option<&str>| v.map(|v| clerk(f, v)).transpose();
        Ok(Deposit {
            no: FreezeNo::parse(&self.out_freeze_no)
                .map_err(|e| RecordError::new("out_freeze_no", e.to_string()))?,
            wallet: self.deposit_wallet()?,
            frozen: Money::from_fen(self.frozen_fen),
            consumed: Money::from_fen(self.consumed_fen),
            unfrozen: Money::from_fen(self.released_fen),
            refunded: Money::ZERO,
            state: self.deposit_state()?,
            pending: Money::from_fen(self.pending_fen),
            consume_no: self
                .consume_no
                .as_deref()
                .map(|n| {
                    OrderNo::parse(n).map_err(|e| RecordError::new("consume_no", e.to_string()))
                })
                .transpose()?,
            unfreeze_no: self
                .unfreeze_no
                .as_deref()
                .map(|n| {
                    UnfreezeNo::parse(n).map_err(|e| RecordError::new("unfreeze_no", e.to_string()))
                })
                .transpose()?,
            freeze_id: self.freeze_id.clone(),
            code_masked: self.code_masked.clone(),
            store_id: self.store_id.clone(),
            device_id: self.device_id.clone(),
            clerk_id: clerk("clerk", &self.clerk)?,
            shift_id: self.shift,
            body: self.body.clone(),
            remark: self.remark.clone(),
            settled_by: opt_clerk("settled_by", self.settled_by.as_deref())?,
            authorized_by: opt_clerk("authorized_by", self.authorized_by.as_deref())?,
            reason: self.reason.clone(),
            created_at: Timestamp::from_unix_millis(self.created_at),
            updated_at: Timestamp::from_unix_millis(self.updated_at),
            frozen_at: self.frozen_at.map(Timestamp::from_unix_millis),
            finished_at: self.finished_at.map(Timestamp::from_unix_millis),
        })
    }

    /// Checks the fields, as the till's ledger keeps them: known state, a wallet that holds
    /// deposits, `0 < frozen`, nothing negative, `consumed + released + pending ≤ frozen`,
    /// something pending exactly while `consuming` or `unfreezing`, a consumed or released
    /// deposit fully accounted for, a consumed one with its consume order number, times in
    /// order, bounded text.
    pub fn validate(&self) -> Result<(), RecordError> {
        id("out_freeze_no", &self.out_freeze_no)?;
        let state = self.deposit_state()?;
        self.deposit_wallet()?;
        if self.frozen_fen <= 0 {
            return Err(RecordError::new("frozen_fen", "must be more than zero"));
        }
        for (f, v) in [
            ("consumed_fen", self.consumed_fen),
            ("released_fen", self.released_fen),
            ("pending_fen", self.pending_fen),
        ] {
            if v < 0 {
                return Err(RecordError::new(f, "cannot be negative"));
            }
        }
        let used = i128::from(self.consumed_fen)
            + i128::from(self.released_fen)
            + i128::from(self.pending_fen);
        if used > i128::from(self.frozen_fen) {
            return Err(RecordError::new(
                "consumed_fen",
                format!(
                    "consumed {} + released {} + pending {} is above the frozen amount {}",
                    self.consumed_fen, self.released_fen, self.pending_fen, self.frozen_fen
                ),
            ));
        }
        let in_flight = matches!(state, DepositState::Consuming | DepositState::Unfreezing);
        if in_flight != (self.pending_fen > 0) {
            return Err(RecordError::new(
                "pending_fen",
                "must be more than zero exactly while consuming or unfreezing",
            ));
        }
        if matches!(state, DepositState::Consumed | DepositState::Unfrozen)
            && used != i128::from(self.frozen_fen)
        {
            return Err(RecordError::new(
                "released_fen",
                format!(
                    "a {} deposit must account for all of the frozen amount {} \
                     (consumed + released)",
                    self.state, self.frozen_fen
                ),
            ));
        }
        if state == DepositState::Consumed {
            if self.consumed_fen <= 0 {
                return Err(RecordError::new(
                    "consumed_fen",
                    "a consumed deposit must have taken more than zero",
                ));
            }
            if self.consume_no.is_none() {
                return Err(RecordError::new(
                    "consume_no",
                    "a consumed deposit needs its consume order number",
                ));
            }
        }
        time("created_at", self.created_at)?;
        if self.updated_at < self.created_at {
            return Err(RecordError::new("updated_at", "is before created_at"));
        }
        for (f, v) in [
            ("frozen_at", self.frozen_at),
            ("finished_at", self.finished_at),
        ] {
            if let Some(v) = v {
                time(f, v)?;
            }
        }
        id("clerk", &self.clerk)?;
        if let Some(n) = self.consume_no.as_deref() {
            id("consume_no", n)?;
        }
        if let Some(n) = self.unfreeze_no.as_deref() {
            id("unfreeze_no", n)?;
        }
        opt_text("freeze_id", self.freeze_id.as_deref(), MAX_ID_BYTES)?;
        text("code_masked", &self.code_masked, MAX_ID_BYTES)?;
        text("store_id", &self.store_id, MAX_ID_BYTES)?;
        text("device_id", &self.device_id, MAX_ID_BYTES)?;
        opt_text("settled_by", self.settled_by.as_deref(), MAX_ID_BYTES)?;
        opt_text("authorized_by", self.authorized_by.as_deref(), MAX_ID_BYTES)?;
        text("body", &self.body, MAX_TEXT_BYTES)?;
        text("remark", &self.remark, MAX_TEXT_BYTES)?;
        opt_text("reason", self.reason.as_deref(), MAX_TEXT_BYTES)
    }
}
