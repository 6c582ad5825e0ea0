//! Payment orders and their state machine.
//!
//! ```text
//! created ─► submitted ─┬─► paid ◄──────────────┐
//!                       ├─► failed              │
//!                       ├─► user-paying ─┬──────┤
//!                       ├─► unknown ─────┼──────┘
//!                       └─► reversing ◄──┘ ─► reversed
//! ```
//! `submitted`, `user-paying` and `unknown` are resolved by querying; `reversing` is entered
//! when the outcome stays unknown past the deadline (or an admin voids a paid order) and
//! ends only in `reversed`. `paid`, `failed` and `reversed` are final for the payment itself;
//! refunds of a paid order are tracked separately (see [`crate::refund`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::clerk::ClerkId;
use crate::code::Wallet;
use crate::money::Money;
use crate::order_no::OrderNo;
use crate::timestamp::Timestamp;

/// How the customer paid. Serialised as its machine name (`wechat`, …, `cash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum PaymentMethod {
    /// A wallet payment code through Cloud Pay.
    Wallet(Wallet),
    /// Cash at the till (full mode); never sent to the cloud.
    Cash,
}

impl PaymentMethod {
    /// Every method, in display order.
    pub const ALL: [PaymentMethod; 4] = [
        PaymentMethod::Wallet(Wallet::WeChat),
        PaymentMethod::Wallet(Wallet::Alipay),
        PaymentMethod::Wallet(Wallet::MemberCard),
        PaymentMethod::Cash,
    ];

    /// Stable machine name: `wechat`, `alipay`, `member_card` or `cash`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Wallet(w) => w.as_str(),
            PaymentMethod::Cash => "cash",
        }
    }

    /// The name cashiers see.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            PaymentMethod::Wallet(w) => w.display_name(),
            PaymentMethod::Cash => "现金",
        }
    }

    /// Whether the payment is settled in the till's own records and never sent to Cloud
    /// Pay: cash, and member cards (whose balances are ours).
    #[must_use]
    pub const fn is_local(self) -> bool {
        matches!(
            self,
            PaymentMethod::Cash | PaymentMethod::Wallet(Wallet::MemberCard)
        )
    }

    /// The wallet, if this is a wallet payment.
    #[must_use]
    pub const fn wallet(self) -> Option<Wallet> {
        match self {
            PaymentMethod::Wallet(w) => Some(w),
            PaymentMethod::Cash => None,
        }
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<PaymentMethod> for String {
    fn from(m: PaymentMethod) -> String {
        m.as_str().to_owned()
    }
}

impl TryFrom<String> for PaymentMethod {
    type Error = crate::code::UnknownWallet;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for PaymentMethod {
    type Err = crate::code::UnknownWallet;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "cash" {
            Ok(PaymentMethod::Cash)
        } else {
            s.parse().map(PaymentMethod::Wallet)
        }
    }
}

/// The life cycle of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Built in memory, not yet durable.
    Created,
    /// The intent is committed; the pay request may have left.
    Submitted,
    /// The customer is confirming in the wallet (password, risk check).
    UserPaying,
    /// The outcome is not known (lost response, status 3/103, unverifiable answer).
    Unknown,
    /// Being reversed (撤单): the payment is cancelled, or refunded if it went through.
    Reversing,
    /// Money received.
    Paid,
    /// Definitely not charged.
    Failed,
    /// Reversed: not charged, or charged and returned.
    Reversed,
}

impl OrderState {
    /// Every state.
    pub const ALL: [OrderState; 8] = [
        OrderState::Created,
        OrderState::Submitted,
        OrderState::UserPaying,
        OrderState::Unknown,
        OrderState::Reversing,
        OrderState::Paid,
        OrderState::Failed,
        OrderState::Reversed,
    ];

    /// Stable machine name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderState::Created => "created",
            OrderState::Submitted => "submitted",
            OrderState::UserPaying => "user_paying",
            OrderState::Unknown => "unknown",
            OrderState::Reversing => "reversing",
            OrderState::Paid => "paid",
            OrderState::Failed => "failed",
            OrderState::Reversed => "reversed",
        }
    }

    /// The words a cashier sees.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            OrderState::Created => "待提交",
            OrderState::Submitted => "正在确认支付结果",
            OrderState::UserPaying => "顾客正在输入密码",
            OrderState::Unknown => "支付结果未知",
            OrderState::Reversing => "正在撤单",
            OrderState::Paid => "支付成功",
            OrderState::Failed => "支付失败",
            OrderState::Reversed => "已撤单",
        }
    }

    /// Paid, failed or reversed: nothing more will happen to the payment itself.
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            OrderState::Paid | OrderState::Failed | OrderState::Reversed
        )
    }

    /// The transition table. Anything not listed is illegal.
    #[must_use]
    pub const fn can_become(self, next: OrderState) -> bool {
        use OrderState::{
            Created, Failed, Paid, Reversed, Reversing, Submitted, Unknown, UserPaying,
        };
        matches!(
            (self, next),
            (Created, Submitted | Paid | Failed)
                | (Submitted, UserPaying | Unknown | Paid | Failed | Reversing)
                | (UserPaying, UserPaying | Unknown | Paid | Failed | Reversing)
                | (Unknown, UserPaying | Unknown | Paid | Failed | Reversing)
                | (Reversing, Reversing | Reversed)
                | (Paid, Reversing)
        )
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order state \"{0}\"")]
pub struct UnknownState(pub String);

impl FromStr for OrderState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// An attempted transition the state machine forbids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("order {order}: illegal transition {from} → {to}")]
pub struct IllegalTransition {
    /// The order.
    pub order: String,
    /// Its current state.
    pub from: String,
    /// The state asked for.
    pub to: String,
}

/// The state a report or the CLI shows: the payment state folded with its refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Paid, nothing refunded.
    Paid,
    /// Not charged.
    Failed,
    /// Reversed.
    Reversed,
    /// Paid, part refunded.
    PartiallyRefunded,
    /// Paid, all refunded.
    Refunded,
    /// Not final yet (submitted, user paying, unknown, reversing).
    Unknown,
}

impl OrderStatus {
    /// Stable machine name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Paid => "paid",
            OrderStatus::Failed => "failed",
            OrderStatus::Reversed => "reversed",
            OrderStatus::PartiallyRefunded => "partially_refunded",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Unknown => "unknown",
        }
    }

    /// The words a cashier sees.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            OrderStatus::Paid => "支付成功",
            OrderStatus::Failed => "支付失败",
            OrderStatus::Reversed => "已撤单",
            OrderStatus::PartiallyRefunded => "部分退款",
            OrderStatus::Refunded => "已全额退款",
            OrderStatus::Unknown => "处理中",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            OrderStatus::Paid,
            OrderStatus::Failed,
            OrderStatus::Reversed,
            OrderStatus::PartiallyRefunded,
            OrderStatus::Refunded,
            OrderStatus::Unknown,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// One payment, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Merchant order number (`out_trade_no`).
    pub no: OrderNo,
    /// Wallet or cash.
    pub method: PaymentMethod,
    /// Amount charged (asked for).
    pub amount: Money,
    /// Payment state.
    pub state: OrderState,
    /// Sum of succeeded refunds.
    pub refunded: Money,
    /// The customer's payment code, masked (wallet payments only).
    pub code_masked: Option<String>,
    /// Store (`out_shop_id`) the payment was taken in.
    pub store_id: String,
    /// Device that took the payment.
    pub device_id: String,
    /// Local clerk who took the payment.
    pub clerk_id: ClerkId,
    /// Shift it belongs to.
    pub shift_id: Option<i64>,
    /// Goods description sent to the wallet (`body`).
    pub body: String,
    /// Remark (the host POS serial number in plug-in mode, or typed).
    pub remark: String,
    /// Upstream transaction id once paid.
    pub transaction_id: Option<String>,
    /// Why it failed, or the last unknown-outcome reason.
    pub reason: Option<String>,
    /// Cloud Pay blocked the number as a duplicate (status 104 / internal 407): it must
    /// never be reversed, since that could refund someone else's payment.
    pub never_reverse: bool,
    /// Cash handed over (cash payments).
    pub cash_tendered: Option<Money>,
    /// Change given (cash payments).
    pub cash_change: Option<Money>,
    /// Commodities sold (full mode); empty in plug-in and total-amount checkout.
    #[serde(default)]
    pub lines: Vec<crate::catalog::CartLine>,
    /// When the intent was created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// When it was paid.
    pub paid_at: Option<Timestamp>,
}

/// What a new order needs.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// The number from the generator.
    pub no: OrderNo,
    /// Wallet or cash.
    pub method: PaymentMethod,
    /// Amount, strictly positive.
    pub amount: Money,
    /// Masked code (wallet payments).
    pub code_masked: Option<String>,
    /// Store id.
    pub store_id: String,
    /// Device id.
    pub device_id: String,
    /// Clerk.
    pub clerk_id: ClerkId,
    /// Shift.
    pub shift_id: Option<i64>,
    /// Goods description.
    pub body: String,
    /// Remark.
    pub remark: String,
}

impl Order {
    /// A new order in state `created`.
    #[must_use]
    pub fn new(new: NewOrder, now: Timestamp) -> Order {
        Order {
            no: new.no,
            method: new.method,
            amount: new.amount,
            state: OrderState::Created,
            refunded: Money::ZERO,
            code_masked: new.code_masked,
            store_id: new.store_id,
            device_id: new.device_id,
            clerk_id: new.clerk_id,
            shift_id: new.shift_id,
            body: new.body,
            remark: new.remark,
            transaction_id: None,
            reason: None,
            never_reverse: false,
            cash_tendered: None,
            cash_change: None,
            lines: Vec::new(),
            created_at: now,
            updated_at: now,
            paid_at: None,
        }
    }

    /// Moves to `next` if the table allows it.
    pub fn transition(
        &mut self,
        next: OrderState,
        now: Timestamp,
    ) -> Result<(), IllegalTransition> {
        if !self.state.can_become(next) {
            return Err(IllegalTransition {
                order: self.no.to_string(),
                from: self.state.to_string(),
                to: next.to_string(),
            });
        }
        self.state = next;
        self.updated_at = now;
        Ok(())
    }

    /// The intent is about to be committed and the request sent.
    pub fn submit(&mut self, now: Timestamp) -> Result<(), IllegalTransition> {
        self.transition(OrderState::Submitted, now)
    }

    /// Money received.
    pub fn mark_paid(
        &mut self,
        transaction_id: Option<String>,
        paid_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), IllegalTransition> {
        self.transition(OrderState::Paid, now)?;
        self.transaction_id = transaction_id;
        self.paid_at = Some(paid_at);
        self.reason = None;
        Ok(())
    }

    /// Definitely not charged.
    pub fn mark_failed(&mut self, reason: &str, now: Timestamp) -> Result<(), IllegalTransition> {
        self.transition(OrderState::Failed, now)?;
        self.reason = Some(reason.to_owned());
        Ok(())
    }

    /// Cloud Pay's anti-reentry blocked this number (104/407): failed, and never reversed.
    pub fn mark_duplicate_blocked(
        &mut self,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), IllegalTransition> {
        self.mark_failed(reason, now)?;
        self.never_reverse = true;
        Ok(())
    }

    /// The customer is confirming in the wallet.
    pub fn mark_user_paying(&mut self, now: Timestamp) -> Result<(), IllegalTransition> {
        self.transition(OrderState::UserPaying, now)
    }

    /// The outcome is not known; `reason` says why.
    pub fn mark_unknown(&mut self, reason: &str, now: Timestamp) -> Result<(), IllegalTransition> {
        self.transition(OrderState::Unknown, now)?;
        self.reason = Some(reason.to_owned());
        Ok(())
    }

    /// Start reversing. Refused for orders Cloud Pay flagged with 407.
    pub fn begin_reverse(&mut self, reason: &str, now: Timestamp) -> Result<(), IllegalTransition> {
        if self.never_reverse {
            return Err(IllegalTransition {
                order: self.no.to_string(),
                from: format!("{} (duplicate-blocked, never reversed)", self.state),
                to: OrderState::Reversing.to_string(),
            });
        }
        self.transition(OrderState::Reversing, now)?;
        self.reason = Some(reason.to_owned());
        Ok(())
    }

    /// The reverse was acknowledged.
    pub fn mark_reversed(&mut self, now: Timestamp) -> Result<(), IllegalTransition> {
        self.transition(OrderState::Reversed, now)
    }

    /// What is left to refund (zero unless paid).
    #[must_use]
    pub fn refundable(&self) -> Money {
        if self.state == OrderState::Paid {
            self.amount
                .checked_sub(self.refunded)
                .unwrap_or(Money::ZERO)
        } else {
            Money::ZERO
        }
    }

    /// The folded status shown in lists and the CLI.
    #[must_use]
    pub fn status(&self) -> OrderStatus {
        match self.state {
            OrderState::Paid if self.refunded.is_positive() && self.refunded >= self.amount => {
                OrderStatus::Refunded
            }
            OrderState::Paid if self.refunded.is_positive() => OrderStatus::PartiallyRefunded,
            OrderState::Paid => OrderStatus::Paid,
            OrderState::Failed => OrderStatus::Failed,
            OrderState::Reversed => OrderStatus::Reversed,
            OrderState::Created
            | OrderState::Submitted
            | OrderState::UserPaying
            | OrderState::Unknown
            | OrderState::Reversing => OrderStatus::Unknown,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn order(amount_fen: i64) -> Order {
        Order::new(
            NewOrder {
                no: OrderNo::parse("sz0100ABCD2611221322180001").unwrap(),
                method: PaymentMethod::Wallet(Wallet::WeChat),
                amount: Money::from_fen(amount_fen),
                code_masked: Some("1345**********7649".into()),
                store_id: "shop".into(),
                device_id: "dev".into(),
                clerk_id: ClerkId::parse("01").unwrap(),
                shift_id: None,
                body: "test".into(),
                remark: String::new(),
            },
            Timestamp::from_unix_seconds(1),
        )
    }

    const T: Timestamp = Timestamp::from_unix_seconds(2);

    #[test]
    fn happy_path() {
        let mut o = order(100);
        o.submit(T).unwrap();
        o.mark_user_paying(T).unwrap();
        o.mark_paid(Some("42".into()), T, T).unwrap();
        assert_eq!(o.state, OrderState::Paid);
        assert_eq!(o.status(), OrderStatus::Paid);
        assert_eq!(o.refundable(), Money::from_fen(100));
    }

    #[test]
    fn every_transition_is_in_the_table() {
        // Exhaustively: the only legal moves are the documented ones.
        let legal: &[(OrderState, OrderState)] = {
            use OrderState::*;
            &[
                (Created, Submitted),
                (Created, Paid),
                (Created, Failed),
                (Submitted, UserPaying),
                (Submitted, Unknown),
                (Submitted, Paid),
                (Submitted, Failed),
                (Submitted, Reversing),
                (UserPaying, UserPaying),
                (UserPaying, Unknown),
                (UserPaying, Paid),
                (UserPaying, Failed),
                (UserPaying, Reversing),
                (Unknown, UserPaying),
                (Unknown, Unknown),
                (Unknown, Paid),
                (Unknown, Failed),
                (Unknown, Reversing),
                (Reversing, Reversing),
                (Reversing, Reversed),
                (Paid, Reversing),
            ]
        };
        for from in OrderState::ALL {
            for to in OrderState::ALL {
                let mut o = order(1);
                o.state = from;
                let expected = legal.contains(&(from, to));
                assert_eq!(o.transition(to, T).is_ok(), expected, "{from} -> {to}");
                if !expected {
                    assert_eq!(o.state, from, "state unchanged after illegal move");
                }
            }
        }
    }

    #[test]
    fn final_states_stay_final_except_void() {
        for s in [OrderState::Failed, OrderState::Reversed] {
            assert!(OrderState::ALL.iter().all(|n| !s.can_become(*n)));
        }
        assert!(OrderState::Paid.can_become(OrderState::Reversing));
        assert!(!OrderState::Reversing.can_become(OrderState::Paid));
    }

    #[test]
    fn duplicate_blocked_is_never_reversed() {
        let mut o = order(100);
        o.submit(T).unwrap();
        o.mark_duplicate_blocked("status 104 internal 407", T)
            .unwrap();
        assert!(o.never_reverse);
        o.state = OrderState::Unknown; // even if something later confused the state
        assert!(o.begin_reverse("timeout", T).is_err());
    }

    #[test]
    fn status_folds_refunds() {
        let mut o = order(100);
        o.state = OrderState::Paid;
        o.refunded = Money::from_fen(40);
        assert_eq!(o.status(), OrderStatus::PartiallyRefunded);
        assert_eq!(o.refundable(), Money::from_fen(60));
        o.refunded = Money::from_fen(100);
        assert_eq!(o.status(), OrderStatus::Refunded);
        assert_eq!(o.refundable(), Money::ZERO);
        o.state = OrderState::UserPaying;
        assert_eq!(o.status(), OrderStatus::Unknown);
        assert_eq!(o.refundable(), Money::ZERO);
    }

    #[test]
    fn names_round_trip() {
        for s in OrderState::ALL {
            assert_eq!(s.as_str().parse::<OrderState>(), Ok(s));
        }
        for m in PaymentMethod::ALL {
            assert_eq!(m.as_str().parse::<PaymentMethod>(), Ok(m));
        }
    }
}
