//! What the till says out loud (语音播报): "微信收款 12.34 元" when money arrives, "支付失败"
//! or "支付已撤销" when a payment ends without it.
//!
//! **Invariant:** money is announced as received only from a record whose state says it was
//! paid. An [`Announcement`] cannot be built from an amount alone on the payment path: its
//! constructors take the record ([`Announcement::of_order`], [`Announcement::of_recharge`],
//! [`Announcement::of_one_code`]) and check its state. The one exception,
//! [`Announcement::sample`], is the 试听 button and `cloudpos voice say`: a sound the user
//! asked to hear, marked as a sample, never produced from a payment.
//!
//! A new kind of money (another wallet, another way to pay) is one more [`MoneySource`]
//! variant, with its words and its [`VoiceEvent`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::code::Wallet;
use crate::money::Money;
use crate::order::{Order, OrderState, PaymentMethod};
use crate::ports::{CloudOrder, CloudOrderState};

/// Where received money came from: it decides the words that open the announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MoneySource {
    /// A wallet payment at the till: 微信收款, 支付宝收款, 会员卡消费.
    Wallet(Wallet),
    /// Cash at the till: 现金收款.
    Cash,
    /// A member card recharged (the payer's wallet paid for it): 会员充值.
    Recharge,
    /// A customer paid the shop's printed QR code (一码支付) with their own phone: the
    /// wallet's words, or 收款 when the listing does not say which wallet.
    OneCode(Option<Wallet>),
}

impl MoneySource {
    /// The words that open the announcement (the clip the voice plays first).
    #[must_use]
    pub const fn phrase(self) -> &'static str {
        match self {
            MoneySource::Wallet(w) | MoneySource::OneCode(Some(w)) => match w {
                Wallet::WeChat => "微信收款",
                Wallet::Alipay => "支付宝收款",
                Wallet::MemberCard => "会员卡消费",
            },
            MoneySource::Cash => "现金收款",
            MoneySource::Recharge => "会员充值",
            MoneySource::OneCode(None) => "收款",
        }
    }

    /// The event the voice settings switch on or off for this money.
    #[must_use]
    pub const fn event(self) -> VoiceEvent {
        match self {
            MoneySource::Wallet(Wallet::MemberCard) => VoiceEvent::MemberCard,
            MoneySource::Wallet(_) => VoiceEvent::Paid,
            MoneySource::Cash => VoiceEvent::Cash,
            MoneySource::Recharge => VoiceEvent::Recharge,
            MoneySource::OneCode(_) => VoiceEvent::OneCode,
        }
    }

    /// The source of a payment method at the till.
    #[must_use]
    pub const fn of_method(method: PaymentMethod) -> MoneySource {
        match method {
            PaymentMethod::Wallet(w) => MoneySource::Wallet(w),
            PaymentMethod::Cash => MoneySource::Cash,
        }
    }
}

/// The kinds of announcement a shop can switch on or off (the voice settings' "which events
/// speak"). Serialised as its machine name (`paid`, `member_card`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoiceEvent {
    /// A WeChat Pay or Alipay payment at the till was paid.
    Paid,
    /// A member card payment was paid (会员卡消费).
    MemberCard,
    /// A member card was recharged (会员充值).
    Recharge,
    /// A payment to the shop's printed QR code arrived (一码支付).
    OneCode,
    /// A cash sale (现金收款); off by default: the cashier took the money in hand.
    Cash,
    /// A payment failed (支付失败).
    Failed,
    /// A payment was reversed (支付已撤销).
    Reversed,
}

impl VoiceEvent {
    /// Every event, in display order.
    pub const ALL: [VoiceEvent; 7] = [
        VoiceEvent::Paid,
        VoiceEvent::MemberCard,
        VoiceEvent::Recharge,
        VoiceEvent::OneCode,
        VoiceEvent::Cash,
        VoiceEvent::Failed,
        VoiceEvent::Reversed,
    ];

    /// Stable machine name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            VoiceEvent::Paid => "paid",
            VoiceEvent::MemberCard => "member_card",
            VoiceEvent::Recharge => "recharge",
            VoiceEvent::OneCode => "one_code",
            VoiceEvent::Cash => "cash",
            VoiceEvent::Failed => "failed",
            VoiceEvent::Reversed => "reversed",
        }
    }

    /// The name on the settings page.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            VoiceEvent::Paid => "微信/支付宝收款",
            VoiceEvent::MemberCard => "会员卡消费",
            VoiceEvent::Recharge => "会员充值",
            VoiceEvent::OneCode => "一码支付收款",
            VoiceEvent::Cash => "现金收款",
            VoiceEvent::Failed => "支付失败",
            VoiceEvent::Reversed => "支付已撤销",
        }
    }

    /// Whether a fresh installation speaks this event (all but cash).
    #[must_use]
    pub const fn on_by_default(self) -> bool {
        !matches!(self, VoiceEvent::Cash)
    }
}

impl fmt::Display for VoiceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the [`VoiceEvent`]s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown voice event \"{0}\" (expected paid, member_card, recharge, one_code, cash, failed or reversed)"
)]
pub struct UnknownVoiceEvent(pub String);

impl FromStr for VoiceEvent {
    type Err = UnknownVoiceEvent;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        VoiceEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| UnknownVoiceEvent(s.to_owned()))
    }
}

/// What an announcement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnnouncementKind {
    /// Money arrived: where from, and how much (always positive).
    Received {
        /// Wallet, cash, recharge or printed QR code.
        source: MoneySource,
        /// The amount.
        amount: Money,
    },
    /// A payment failed: 支付失败.
    Failed,
    /// A payment was reversed (not charged, or charged and returned): 支付已撤销.
    Reversed,
}

/// Something the till says out loud. See the module documentation for who may build one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Announcement {
    kind: AnnouncementKind,
    sample: bool,
}

impl Announcement {
    /// The announcement of a payment at the till, from its ledger record: received only when
    /// the order is `paid` (and its amount positive), failed when `failed`, reversed when
    /// `reversed`; nothing for a payment still open.
    #[must_use]
    pub fn of_order(order: &Order) -> Option<Announcement> {
        Self::of_state(order, MoneySource::of_method(order.method))
    }

    /// The announcement of a member card recharge, from the order that paid for it: 会员充值
    /// and the amount only when that order is `paid`; failed or reversed as for any payment.
    #[must_use]
    pub fn of_recharge(order: &Order) -> Option<Announcement> {
        Self::of_state(order, MoneySource::Recharge)
    }

    /// The announcement of a payment to the shop's printed QR code (一码支付), from the
    /// cloud's listing: only when the cloud lists it as paid. Failures are not announced
    /// (the customer's phone shows them; the till took no part).
    #[must_use]
    pub fn of_one_code(order: &CloudOrder) -> Option<Announcement> {
        (order.state == CloudOrderState::Paid)
            .then(|| Self::received(MoneySource::OneCode(order.wallet), order.amount))
            .flatten()
    }

    /// A sample the user asked to hear (the settings page's 试听, `cloudpos voice say`): any
    /// kind, marked as a sample. Never built from a payment. `None` for a non-positive amount.
    #[must_use]
    pub fn sample(kind: AnnouncementKind) -> Option<Announcement> {
        if let AnnouncementKind::Received { amount, .. } = kind
            && !amount.is_positive()
        {
            return None;
        }
        Some(Announcement { kind, sample: true })
    }

    fn of_state(order: &Order, source: MoneySource) -> Option<Announcement> {
        match order.state {
            OrderState::Paid => Self::received(source, order.amount),
            OrderState::Failed => Some(Self::plain(AnnouncementKind::Failed)),
            OrderState::Reversed => Some(Self::plain(AnnouncementKind::Reversed)),
            OrderState::Created
            | OrderState::Submitted
            | OrderState::UserPaying
            | OrderState::Unknown
            | OrderState::Reversing => None,
        }
    }

    fn received(source: MoneySource, amount: Money) -> Option<Announcement> {
        amount
            .is_positive()
            .then(|| Self::plain(AnnouncementKind::Received { source, amount }))
    }

    const fn plain(kind: AnnouncementKind) -> Announcement {
        Announcement {
            kind,
            sample: false,
        }
    }

    /// What it says.
    #[must_use]
    pub const fn kind(&self) -> AnnouncementKind {
        self.kind
    }

    /// Whether it is a sample the user asked to hear rather than a payment's.
    #[must_use]
    pub const fn is_sample(&self) -> bool {
        self.sample
    }

    /// The amount received, if money arrived.
    #[must_use]
    pub const fn amount(&self) -> Option<Money> {
        match self.kind {
            AnnouncementKind::Received { amount, .. } => Some(amount),
            AnnouncementKind::Failed | AnnouncementKind::Reversed => None,
        }
    }

    /// The event the voice settings switch on or off for it.
    #[must_use]
    pub const fn event(&self) -> VoiceEvent {
        match self.kind {
            AnnouncementKind::Received { source, .. } => source.event(),
            AnnouncementKind::Failed => VoiceEvent::Failed,
            AnnouncementKind::Reversed => VoiceEvent::Reversed,
        }
    }

    /// The words that open it (for a failure or reverse, all of it).
    #[must_use]
    pub const fn phrase(&self) -> &'static str {
        match self.kind {
            AnnouncementKind::Received { source, .. } => source.phrase(),
            AnnouncementKind::Failed => "支付失败",
            AnnouncementKind::Reversed => "支付已撤销",
        }
    }
}

/// As shown beside the sound: `微信收款 12.34 元`, `支付失败`.
impl fmt::Display for Announcement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.amount() {
            Some(amount) => write!(f, "{} {amount} 元", self.phrase()),
            None => f.write_str(self.phrase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::tests::order;
    use crate::timestamp::Timestamp;

    fn in_state(state: OrderState, method: PaymentMethod, fen: i64) -> Order {
        let mut o = order(fen);
        o.method = method;
        o.state = state;
        o
    }

    #[test]
    fn money_is_announced_as_received_only_when_the_order_is_paid() {
        for method in PaymentMethod::ALL {
            for state in OrderState::ALL {
                let o = in_state(state, method, 1234);
                for a in [Announcement::of_order(&o), Announcement::of_recharge(&o)] {
                    let received = a.is_some_and(|a| a.amount().is_some());
                    assert_eq!(received, state == OrderState::Paid, "{method} {state}");
                    if let Some(a) = a {
                        assert!(!a.is_sample());
                    }
                }
            }
        }
    }

    #[test]
    fn each_final_state_says_what_happened_and_open_states_say_nothing() {
        let wechat = PaymentMethod::Wallet(Wallet::WeChat);
        let said = |state| Announcement::of_order(&in_state(state, wechat, 1234)).map(|a| a.kind());
        assert_eq!(
            said(OrderState::Paid),
            Some(AnnouncementKind::Received {
                source: MoneySource::Wallet(Wallet::WeChat),
                amount: Money::from_fen(1234)
            })
        );
        assert_eq!(said(OrderState::Failed), Some(AnnouncementKind::Failed));
        assert_eq!(said(OrderState::Reversed), Some(AnnouncementKind::Reversed));
        for open in [
            OrderState::Created,
            OrderState::Submitted,
            OrderState::UserPaying,
            OrderState::Unknown,
            OrderState::Reversing,
        ] {
            assert_eq!(said(open), None, "{open}");
        }
    }

    #[test]
    fn a_paid_order_of_no_money_is_not_announced() {
        let o = in_state(OrderState::Paid, PaymentMethod::Wallet(Wallet::Alipay), 0);
        assert_eq!(Announcement::of_order(&o), None);
        let sample = Announcement::sample(AnnouncementKind::Received {
            source: MoneySource::Wallet(Wallet::Alipay),
            amount: Money::ZERO,
        });
        assert_eq!(sample, None);
    }

    #[test]
    fn words_and_events_per_source() {
        let cases = [
            (
                PaymentMethod::Wallet(Wallet::WeChat),
                "微信收款",
                VoiceEvent::Paid,
            ),
            (
                PaymentMethod::Wallet(Wallet::Alipay),
                "支付宝收款",
                VoiceEvent::Paid,
            ),
            (
                PaymentMethod::Wallet(Wallet::MemberCard),
                "会员卡消费",
                VoiceEvent::MemberCard,
            ),
            (PaymentMethod::Cash, "现金收款", VoiceEvent::Cash),
        ];
        for (method, phrase, event) in cases {
            let a = Announcement::of_order(&in_state(OrderState::Paid, method, 1234)).unwrap();
            assert_eq!(a.phrase(), phrase);
            assert_eq!(a.event(), event);
            assert_eq!(a.to_string(), format!("{phrase} 12.34 元"));
        }
        let recharge =
            Announcement::of_recharge(&in_state(OrderState::Paid, cases[0].0, 10_000)).unwrap();
        assert_eq!(recharge.to_string(), "会员充值 100.00 元");
        assert_eq!(recharge.event(), VoiceEvent::Recharge);
        let failed =
            Announcement::of_recharge(&in_state(OrderState::Failed, cases[0].0, 10_000)).unwrap();
        assert_eq!(failed.to_string(), "支付失败");
        assert_eq!(failed.event(), VoiceEvent::Failed);
        let reversed =
            Announcement::of_order(&in_state(OrderState::Reversed, cases[1].0, 5)).unwrap();
        assert_eq!(reversed.to_string(), "支付已撤销");
        assert_eq!(reversed.event(), VoiceEvent::Reversed);
    }

    fn cloud(state: CloudOrderState, wallet: Option<Wallet>) -> CloudOrder {
        CloudOrder {
            no: "qr-1".into(),
            wallet,
            amount: Money::from_fen(880),
            refunded: Money::ZERO,
            state,
            store_id: "shop".into(),
            device_id: String::new(),
            machine_no: None,
            transaction_id: None,
            created_at: Timestamp::from_unix_millis(0),
            paid_at: None,
            one_code: true,
        }
    }

    #[test]
    fn one_code_payments_are_announced_only_when_the_cloud_lists_them_paid() {
        for state in [
            CloudOrderState::Paid,
            CloudOrderState::Pending,
            CloudOrderState::Failed,
            CloudOrderState::Reversed,
        ] {
            let a = Announcement::of_one_code(&cloud(state, Some(Wallet::Alipay)));
            assert_eq!(a.is_some(), state == CloudOrderState::Paid, "{state:?}");
        }
        let a =
            Announcement::of_one_code(&cloud(CloudOrderState::Paid, Some(Wallet::Alipay))).unwrap();
        assert_eq!(a.to_string(), "支付宝收款 8.80 元");
        assert_eq!(a.event(), VoiceEvent::OneCode);
        let unnamed = Announcement::of_one_code(&cloud(CloudOrderState::Paid, None)).unwrap();
        assert_eq!(unnamed.to_string(), "收款 8.80 元");
    }

    #[test]
    fn samples_are_marked() {
        let a = Announcement::sample(AnnouncementKind::Received {
            source: MoneySource::Wallet(Wallet::WeChat),
            amount: Money::from_fen(1),
        })
        .unwrap();
        assert!(a.is_sample());
        assert_eq!(a.to_string(), "微信收款 0.01 元");
        assert!(
            Announcement::sample(AnnouncementKind::Failed)
                .unwrap()
                .is_sample()
        );
    }

    #[test]
    fn event_names_round_trip_and_unknown_names_are_refused() {
        for e in VoiceEvent::ALL {
            assert_eq!(e.as_str().parse::<VoiceEvent>(), Ok(e));
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(json, format!("\"{}\"", e.as_str()));
        }
        let err = "wechat".parse::<VoiceEvent>().unwrap_err();
        assert!(err.to_string().contains("\"wechat\""));
        assert!(!VoiceEvent::Cash.on_by_default());
        assert!(VoiceEvent::Paid.on_by_default());
    }
}
