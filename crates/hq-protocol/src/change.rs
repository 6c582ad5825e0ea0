//! One change of a till's ledger and the records it carries (the state after the change).
//!
//! Times are Unix milliseconds (UTC), money is integer fen, states and wallets are the
//! ledger's machine names (`paid`, `wechat`, …), so a record converts to and from the
//! domain types without loss ([`OrderRecord::from_order`], [`OrderRecord::to_order`]).

use cloudpos_domain::catalog::CartLine;
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_domain::ports::AuditRecord as LedgerAuditRecord;
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_domain::shift::Shift;
use cloudpos_domain::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use crate::deposit::DepositRecord;

/// Longest free text (body, remark, reason, audit detail …), in bytes.
pub const MAX_TEXT_BYTES: usize = 4096;
/// Longest identifier (order and refund numbers, clerk ids, transaction ids …), in bytes.
pub const MAX_ID_BYTES: usize = 64;
/// Most commodity lines on one order.
pub const MAX_LINES: usize = 500;

/// One change of a till's ledger, as it travels: its number in the till's stream, when the
/// till committed it, and the record after the change.
///
/// ```json
/// {"seq": 42, "at": 1795324938123,
///  "record": {"kind": "order", "out_trade_no": "…", "wallet": "wechat", "state": "paid", …}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Position in the till's stream: 1, 2, 3 … without gaps, never reused.
    pub seq: i64,
    /// When the till committed the change (Unix ms); the head office measures lag from it.
    pub at: i64,
    /// The record after the change.
    pub record: Record,
}

/// What changed, by kind. Serialised with `"kind"`: `order`, `refund`, `deposit`, `shift`,
/// `audit`.
///
/// Member-card movements will be a further kind when the till has them; a head office that
/// does not know a kind refuses the push (rule 5 of the crate docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A payment order's whole row.
    Order(OrderRecord),
    /// A refund's whole row.
    Refund(RefundRecord),
    /// A deposit's whole row (押金: frozen, consumed, released; never takings by itself).
    Deposit(DepositRecord),
    /// A shift opened, or handed over (closed).
    Shift(ShiftRecord),
    /// An audit-log entry (append-only).
    Audit(AuditRecord),
}

impl Record {
    /// The kind's machine name.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Record::Order(_) => "order",
            Record::Refund(_) => "refund",
            Record::Deposit(_) => "deposit",
            Record::Shift(_) => "shift",
            Record::Audit(_) => "audit",
        }
    }

    /// Checks the record's fields.
    pub fn validate(&self) -> Result<(), RecordError> {
        match self {
            Record::Order(o) => o.validate(),
            Record::Refund(r) => r.validate(),
            Record::Deposit(d) => d.validate(),
            Record::Shift(s) => s.validate(),
            Record::Audit(a) => a.validate(),
        }
    }
}

impl Change {
    /// Checks the number, the time and the record.
    pub fn validate(&self) -> Result<(), RecordError> {
        if self.seq < 1 {
            return Err(RecordError::new("seq", "must be 1 or more"));
        }
        if self.at < 0 {
            return Err(RecordError::new("at", "must be a Unix time in ms"));
        }
        self.record.validate()
    }
}

/// A record that breaks a rule: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct RecordError {
    /// The field.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

impl RecordError {
    pub(crate) fn new(field: &str, problem: impl Into<String>) -> RecordError {
        RecordError {
            field: field.to_owned(),
            problem: problem.into(),
        }
    }
}

pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<(), RecordError> {
    if value.len() > max {
        return Err(RecordError::new(field, format!("longer than {max} bytes")));
    }
    if value.contains('\0') {
        return Err(RecordError::new(field, "contains a NUL character"));
    }
    Ok(())
}

pub(crate) fn id(field: &str, value: &str) -> Result<(), RecordError> {
    if value.is_empty() {
        return Err(RecordError::new(field, "is empty"));
    }
    text(field, value, MAX_ID_BYTES)
}

pub(crate) fn opt_text(field: &str, value: Option<&str>, max: usize) -> Result<(), RecordError> {
    value.map_or(Ok(()), |v| text(field, v, max))
}

pub(crate) fn time(field: &str, value: i64) -> Result<(), RecordError> {
    if value < 0 {
        return Err(RecordError::new(field, "must be a Unix time in ms"));
    }
    Ok(())
}

/// A payment order, the whole row after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// Merchant order number; the record's key (with the till).
    pub out_trade_no: String,
    /// `wechat`, `alipay`, `member_card` or `cash`.
    pub wallet: String,
    /// Payment state: `created`, `submitted`, `user_paying`, `unknown`, `reversing`, `paid`,
    /// `failed`, `reversed`.
    pub state: String,
    /// Amount, fen, more than zero.
    pub amount_fen: i64,
    /// Sum of succeeded refunds, fen, `0 ..= amount_fen`.
    pub refunded_fen: i64,
    /// Masked payment code (wallet payments).
    #[serde(default)]
    pub code_masked: Option<String>,
    /// Store id the till recorded (`out_shop_id`); the head office groups by the store the
    /// till was enrolled for, and keeps this one for reference.
    #[serde(default)]
    pub store_id: String,
    /// Device id the till recorded.
    #[serde(default)]
    pub device_id: String,
    /// Clerk who took the payment.
    pub clerk: String,
    /// The till's shift id.
    #[serde(default)]
    pub shift: Option<i64>,
    /// Goods description.
    #[serde(default)]
    pub body: String,
    /// Remark (host POS serial number, or typed).
    #[serde(default)]
    pub remark: String,
    /// Upstream transaction id once paid.
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// Why it failed, or the last unknown-outcome reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// Cloud Pay blocked the number as a duplicate (never reversed).
    #[serde(default)]
    pub never_reverse: bool,
    /// Cash handed over, fen.
    #[serde(default)]
    pub cash_tendered_fen: Option<i64>,
    /// Change given, fen.
    #[serde(default)]
    pub cash_change_fen: Option<i64>,
    /// Commodities sold (full mode).
    #[serde(default)]
    pub lines: Vec<LineRecord>,
    /// Created, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// Paid, Unix ms (present once paid, kept when a paid order is voided).
    #[serde(default)]
    pub paid_at: Option<i64>,
}

/// One commodity line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineRecord {
    /// Article number.
    pub sku: String,
    /// Name at the time of sale.
    pub name: String,
    /// Unit.
    #[serde(default)]
    pub unit: String,
    /// Unit price, fen.
    pub unit_price_fen: i64,
    /// Quantity.
    pub quantity: u32,
}

impl OrderRecord {
    /// The record of a ledger order.
    #[must_use]
    pub fn from_order(o: &Order) -> OrderRecord {
        OrderRecord {
            out_trade_no: o.no.as_str().to_owned(),
            wallet: o.method.as_str().to_owned(),
            state: o.state.as_str().to_owned(),
            amount_fen: o.amount.fen(),
            refunded_fen: o.refunded.fen(),
            code_masked: o.code_masked.clone(),
            store_id: o.store_id.clone(),
            device_id: o.device_id.clone(),
            clerk: o.clerk_id.as_str().to_owned(),
            shift: o.shift_id,
            body: o.body.clone(),
            remark: o.remark.clone(),
            transaction_id: o.transaction_id.clone(),
            reason: o.reason.clone(),
            never_reverse: o.never_reverse,
            cash_tendered_fen: o.cash_tendered.map(Money::fen),
            cash_change_fen: o.cash_change.map(Money::fen),
            lines: o
                .lines
                .iter()
                .map(|l| LineRecord {
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    unit: l.unit.clone(),
                    unit_price_fen: l.unit_price.fen(),
                    quantity: l.quantity,
                })
                .collect(),
            created_at: o.created_at.unix_millis(),
            // A clock stepped back between two writes must not make a record the head
            // office refuses (and so stall the stream): never before its creation.
            updated_at: o.updated_at.unix_millis().max(o.created_at.unix_millis()),
            paid_at: o.paid_at.map(Timestamp::unix_millis),
        }
    }

    /// The payment state, parsed.
    pub fn order_state(&self) -> Result<OrderState, RecordError> {
        self.state
            .parse()
            .map_err(|e: cloudpos_domain::order::UnknownState| {
                RecordError::new("state", e.to_string())
            })
    }

    /// The payment method, parsed.
    pub fn method(&self) -> Result<PaymentMethod, RecordError> {
        self.wallet
            .parse()
            .map_err(|e: cloudpos_domain::code::UnknownWallet| {
                RecordError::new("wallet", e.to_string())
            })
    }

    /// Back to a ledger order (validated).
    pub fn to_order(&self) -> Result<Order, RecordError> {
        self.validate()?;
        let clerk =
            |f: &str, v: &str| ClerkId::parse(v).map_err(|e| RecordError::new(f, e.to_string()));
        Ok(Order {
            no: OrderNo::parse(&self.out_trade_no)
                .map_err(|e| RecordError::new("out_trade_no", e.to_string()))?,
            method: self.method()?,
            amount: Money::from_fen(self.amount_fen),
            state: self.order_state()?,
            refunded: Money::from_fen(self.refunded_fen),
            code_masked: self.code_masked.clone(),
            store_id: self.store_id.clone(),
            device_id: self.device_id.clone(),
            clerk_id: clerk("clerk", &self.clerk)?,
            shift_id: self.shift,
            body: self.body.clone(),
            remark: self.remark.clone(),
            transaction_id: self.transaction_id.clone(),
            reason: self.reason.clone(),
            never_reverse: self.never_reverse,
            cash_tendered: self.cash_tendered_fen.map(Money::from_fen),
            cash_change: self.cash_change_fen.map(Money::from_fen),
            lines: self
                .lines
                .iter()
                .map(|l| CartLine {
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    unit: l.unit.clone(),
                    unit_price: Money::from_fen(l.unit_price_fen),
                    quantity: l.quantity,
                })
                .collect(),
            created_at: Timestamp::from_unix_millis(self.created_at),
            updated_at: Timestamp::from_unix_millis(self.updated_at),
            paid_at: self.paid_at.map(Timestamp::from_unix_millis),
        })
    }

    /// Checks the fields: known state and wallet, `0 < amount`, `0 <= refunded <= amount`,
    /// refunds only on a paid (or voided) order, `paid_at` present when paid, times in order,
    /// bounded text.
    pub fn validate(&self) -> Result<(), RecordError> {
        id("out_trade_no", &self.out_trade_no)?;
        let state = self.order_state()?;
        self.method()?;
        if self.amount_fen <= 0 {
            return Err(RecordError::new("amount_fen", "must be more than zero"));
        }
        if self.refunded_fen < 0 || self.refunded_fen > self.amount_fen {
            return Err(RecordError::new(
                "refunded_fen",
                format!("must be between 0 and the amount ({})", self.amount_fen),
            ));
        }
        if state == OrderState::Paid && self.paid_at.is_none() {
            return Err(RecordError::new(
                "paid_at",
                "a paid order needs its payment time",
            ));
        }
        time("created_at", self.created_at)?;
        if self.updated_at < self.created_at {
            return Err(RecordError::new("updated_at", "is before created_at"));
        }
        if let Some(p) = self.paid_at {
            time("paid_at", p)?;
        }
        for (f, v) in [
            ("cash_tendered_fen", self.cash_tendered_fen),
            ("cash_change_fen", self.cash_change_fen),
        ] {
            if v.is_some_and(|x| x < 0) {
                return Err(RecordError::new(f, "cannot be negative"));
            }
        }
        id("clerk", &self.clerk)?;
        text("store_id", &self.store_id, MAX_ID_BYTES)?;
        text("device_id", &self.device_id, MAX_ID_BYTES)?;
        opt_text("code_masked", self.code_masked.as_deref(), MAX_ID_BYTES)?;
        opt_text(
            "transaction_id",
            self.transaction_id.as_deref(),
            MAX_ID_BYTES,
        )?;
        text("body", &self.body, MAX_TEXT_BYTES)?;
        text("remark", &self.remark, MAX_TEXT_BYTES)?;
        opt_text("reason", self.reason.as_deref(), MAX_TEXT_BYTES)?;
        if self.lines.len() > MAX_LINES {
            return Err(RecordError::new(
                "lines",
                format!("more than {MAX_LINES} lines"),
            ));
        }
        for l in &self.lines {
            id("lines.sku", &l.sku)?;
            text("lines.name", &l.name, MAX_TEXT_BYTES)?;
            text("lines.unit", &l.unit, MAX_ID_BYTES)?;
            if l.unit_price_fen < 0 {
                return Err(RecordError::new(
                    "lines.unit_price_fen",
                    "cannot be negative",
                ));
            }
        }
        Ok(())
    }
}

/// A refund, the whole row after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRecord {
    /// Merchant refund number; the record's key (with the till).
    pub out_refund_no: String,
    /// The order refunded.
    pub out_trade_no: String,
    /// The order's wallet (copied, for summaries).
    pub wallet: String,
    /// Amount of this refund, fen.
    pub amount_fen: i64,
    /// `requested`, `processing`, `succeeded` or `failed`.
    pub state: String,
    /// Reason the clerk gave.
    #[serde(default)]
    pub reason: String,
    /// Clerk who asked.
    pub clerk: String,
    /// Manager who authorised it.
    #[serde(default)]
    pub authorized_by: Option<String>,
    /// The till's shift id.
    #[serde(default)]
    pub shift: Option<i64>,
    /// Upstream refund id.
    #[serde(default)]
    pub refund_id: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub failure: Option<String>,
    /// Created, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// Succeeded, Unix ms (present when succeeded).
    #[serde(default)]
    pub succeeded_at: Option<i64>,
}

impl RefundRecord {
    /// The record of a ledger refund.
    #[must_use]
    pub fn from_refund(r: &Refund) -> RefundRecord {
        RefundRecord {
            out_refund_no: r.no.as_str().to_owned(),
            out_trade_no: r.order_no.as_str().to_owned(),
            wallet: r.method.as_str().to_owned(),
            amount_fen: r.amount.fen(),
            state: r.state.as_str().to_owned(),
            reason: r.reason.clone(),
            clerk: r.clerk_id.as_str().to_owned(),
            authorized_by: r.authorized_by.as_ref().map(|c| c.as_str().to_owned()),
            shift: r.shift_id,
            refund_id: r.refund_id.clone(),
            failure: r.failure.clone(),
            created_at: r.created_at.unix_millis(),
            // Never before its creation (a clock stepped back), as for orders.
            updated_at: r.updated_at.unix_millis().max(r.created_at.unix_millis()),
            succeeded_at: r.succeeded_at.map(Timestamp::unix_millis),
        }
    }

    /// The refund state, parsed.
    pub fn refund_state(&self) -> Result<RefundState, RecordError> {
        self.state
            .parse()
            .map_err(|e: cloudpos_domain::order::UnknownState| {
                RecordError::new("state", e.to_string())
            })
    }

    /// Back to a ledger refund (validated).
    pub fn to_refund(&self) -> Result<Refund, RecordError> {
        self.validate()?;
        let clerk =
            |f: &str, v: &str| ClerkId::parse(v).map_err(|e| RecordError::new(f, e.to_string()));
        Ok(Refund {
            no: RefundNo::parse(&self.out_refund_no)
                .map_err(|e| RecordError::new("out_refund_no", e.to_string()))?,
            order_no: OrderNo::parse(&self.out_trade_no)
                .map_err(|e| RecordError::new("out_trade_no", e.to_string()))?,
            method: self
                .wallet
                .parse()
                .map_err(|e: cloudpos_domain::code::UnknownWallet| {
                    RecordError::new("wallet", e.to_string())
                })?,
            amount: Money::from_fen(self.amount_fen),
            state: self.refund_state()?,
            reason: self.reason.clone(),
            clerk_id: clerk("clerk", &self.clerk)?,
            authorized_by: self
                .authorized_by
                .as_deref()
                .map(|a| clerk("authorized_by", a))
                .transpose()?,
            shift_id: self.shift,
            refund_id: self.refund_id.clone(),
            failure: self.failure.clone(),
            created_at: Timestamp::from_unix_millis(self.created_at),
            updated_at: Timestamp::from_unix_millis(self.updated_at),
            succeeded_at: self.succeeded_at.map(Timestamp::from_unix_millis),
        })
    }

    /// Checks the fields: known state and wallet, positive amount, `succeeded_at` present
    /// exactly when succeeded, times in order, bounded text.
    pub fn validate(&self) -> Result<(), RecordError> {
        id("out_refund_no", &self.out_refund_no)?;
        id("out_trade_no", &self.out_trade_no)?;
        self.wallet
            .parse::<PaymentMethod>()
            .map_err(|e| RecordError::new("wallet", e.to_string()))?;
        let state = self.refund_state()?;
        if self.amount_fen <= 0 {
            return Err(RecordError::new("amount_fen", "must be more than zero"));
        }
        if (state == RefundState::Succeeded) != self.succeeded_at.is_some() {
            return Err(RecordError::new(
                "succeeded_at",
                "must be present exactly when the refund succeeded",
            ));
        }
        time("created_at", self.created_at)?;
        if self.updated_at < self.created_at {
            return Err(RecordError::new("updated_at", "is before created_at"));
        }
        if let Some(s) = self.succeeded_at {
            time("succeeded_at", s)?;
        }
        id("clerk", &self.clerk)?;
        opt_text("authorized_by", self.authorized_by.as_deref(), MAX_ID_BYTES)?;
        opt_text("refund_id", self.refund_id.as_deref(), MAX_ID_BYTES)?;
        text("reason", &self.reason, MAX_TEXT_BYTES)?;
        opt_text("failure", self.failure.as_deref(), MAX_TEXT_BYTES)
    }
}

/// A shift: opened at login, closed at handover (交接班).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftRecord {
    /// The till's shift id; the record's key (with the till).
    pub shift: i64,
    /// Clerk on duty.
    pub clerk: String,
    /// Opened, Unix ms.
    pub opened_at: i64,
    /// Handed over, Unix ms; `null` while open.
    #[serde(default)]
    pub closed_at: Option<i64>,
}

impl ShiftRecord {
    /// The record of a ledger shift.
    #[must_use]
    pub fn from_shift(s: &Shift) -> ShiftRecord {
        ShiftRecord {
            shift: s.id,
            clerk: s.clerk_id.as_str().to_owned(),
            opened_at: s.opened_at.unix_millis(),
            // Never before the opening (a clock stepped back), as for orders.
            closed_at: s
                .closed_at
                .map(|c| c.unix_millis().max(s.opened_at.unix_millis())),
        }
    }

    /// Checks the fields.
    pub fn validate(&self) -> Result<(), RecordError> {
        if self.shift < 1 {
            return Err(RecordError::new("shift", "must be 1 or more"));
        }
        id("clerk", &self.clerk)?;
        time("opened_at", self.opened_at)?;
        if self.closed_at.is_some_and(|c| c < self.opened_at) {
            return Err(RecordError::new("closed_at", "is before opened_at"));
        }
        Ok(())
    }
}

/// An audit-log entry with its place in the till's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The till's audit sequence number; the record's key (with the till).
    pub audit_seq: i64,
    /// When, Unix ms.
    pub at: i64,
    /// Who (clerk id, or `system`).
    pub actor: String,
    /// What (`refund`, `halt_cleared`, …).
    pub action: String,
    /// Details.
    #[serde(default)]
    pub detail: String,
    /// Hash of the previous entry (hex).
    pub prev_hash: String,
    /// This entry's hash (hex).
    pub hash: String,
}

impl AuditRecord {
    /// The record of a ledger audit entry.
    #[must_use]
    pub fn from_audit(r: &LedgerAuditRecord) -> AuditRecord {
        AuditRecord {
            audit_seq: r.seq,
            at: r.entry.at.unix_millis(),
            actor: r.entry.actor.clone(),
            action: r.entry.action.clone(),
            detail: r.entry.detail.clone(),
            prev_hash: r.prev_hash.clone(),
            hash: r.hash.clone(),
        }
    }

    /// Checks the fields.
    pub fn validate(&self) -> Result<(), RecordError> {
        if self.audit_seq < 1 {
            return Err(RecordError::new("audit_seq", "must be 1 or more"));
        }
        time("at", self.at)?;
        id("actor", &self.actor)?;
        id("action", &self.action)?;
        text("detail", &self.detail, MAX_TEXT_BYTES)?;
        for (f, h) in [("prev_hash", &self.prev_hash), ("hash", &self.hash)] {
            if h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(RecordError::new(f, "must be 64 hex digits"));
            }
        }
        Ok(())
    }
}
