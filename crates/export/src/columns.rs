//! The columns of the two tables and how a record becomes cells.

use std::borrow::Cow;

use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderStatus, PaymentMethod};
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_domain::timestamp::Timestamp;

use crate::Lang;

/// Which table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// Orders (订单).
    Orders,
    /// Refunds (退款).
    Refunds,
}

impl Table {
    /// The sheet name.
    #[must_use]
    pub const fn sheet_name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Table::Orders, Lang::Zh) => "订单",
            (Table::Refunds, Lang::Zh) => "退款",
            (Table::Orders, Lang::En) => "Orders",
            (Table::Refunds, Lang::En) => "Refunds",
        }
    }

    /// The columns: (Chinese header, English header, width in characters).
    #[must_use]
    pub const fn columns(self) -> &'static [(&'static str, &'static str, u8)] {
        match self {
            Table::Orders => &ORDER_COLUMNS,
            Table::Refunds => &REFUND_COLUMNS,
        }
    }

    /// Headers in `lang`.
    pub fn headers(self, lang: Lang) -> impl Iterator<Item = &'static str> {
        self.columns().iter().map(move |(zh, en, _)| match lang {
            Lang::Zh => *zh,
            Lang::En => *en,
        })
    }
}

/// Order columns: (Chinese header, English header, width in characters).
pub const ORDER_COLUMNS: [(&str, &str, u8); 14] = [
    ("订单号", "Order no", 30),
    ("状态", "Status", 10),
    ("状态代码", "Status code", 18),
    ("支付方式", "Method", 10),
    ("金额", "Amount", 11),
    ("已退款", "Refunded", 11),
    ("收银员", "Clerk", 10),
    ("门店", "Store", 12),
    ("设备", "Device", 12),
    ("创建时间", "Created", 20),
    ("支付时间", "Paid at", 20),
    ("交易单号", "Transaction id", 32),
    ("备注", "Remark", 20),
    ("原因", "Reason", 30),
];

/// Refund columns: (Chinese header, English header, width in characters).
pub const REFUND_COLUMNS: [(&str, &str, u8); 12] = [
    ("退款单号", "Refund no", 32),
    ("订单号", "Order no", 30),
    ("状态", "Status", 10),
    ("状态代码", "Status code", 12),
    ("支付方式", "Method", 10),
    ("金额", "Amount", 11),
    ("收银员", "Clerk", 10),
    ("授权人", "Authorised by", 12),
    ("原因", "Reason", 24),
    ("创建时间", "Created", 20),
    ("成功时间", "Succeeded at", 20),
    ("失败原因", "Failure", 30),
];

/// One cell of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell<'a> {
    /// Text.
    Text(Cow<'a, str>),
    /// An amount.
    Money(Money),
    /// A time, or nothing.
    Time(Option<Timestamp>),
}

fn text(s: &str) -> Cell<'_> {
    Cell::Text(Cow::Borrowed(s))
}

fn opt(s: Option<&str>) -> Cell<'_> {
    Cell::Text(Cow::Borrowed(s.unwrap_or("")))
}

fn word(lang: Lang, zh: &'static str, en: &'static str) -> Cell<'static> {
    Cell::Text(Cow::Borrowed(match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }))
}

fn status_en(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Paid => "Paid",
        OrderStatus::Failed => "Failed",
        OrderStatus::Reversed => "Reversed",
        OrderStatus::PartiallyRefunded => "Partially refunded",
        OrderStatus::Refunded => "Refunded",
        OrderStatus::Unknown => "In progress",
    }
}

fn refund_state_en(s: RefundState) -> &'static str {
    match s {
        RefundState::Requested => "Requested",
        RefundState::Processing => "Processing",
        RefundState::Succeeded => "Succeeded",
        RefundState::Failed => "Failed",
    }
}

pub(crate) fn method_name(m: PaymentMethod, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => m.display_name(),
        Lang::En => match m {
            PaymentMethod::Wallet(Wallet::WeChat) => "WeChat Pay",
            PaymentMethod::Wallet(Wallet::Alipay) => "Alipay",
            PaymentMethod::Wallet(Wallet::MemberCard) => "Member card",
            PaymentMethod::Cash => "Cash",
        },
    }
}

pub(crate) mod sealed {
    use super::{Cell, Lang, Table};

    /// What makes a record a row (implemented for orders and refunds only).
    pub trait Sealed {
        /// Its table.
        const TABLE: Table;
        /// Its cells, in column order.
        fn cells(&self, lang: Lang) -> Vec<Cell<'_>>;
    }
}

/// A record that can be exported: [`Order`] or [`Refund`].
pub trait Row: sealed::Sealed {}

impl Row for Order {}
impl Row for Refund {}

impl sealed::Sealed for Order {
    const TABLE: Table = Table::Orders;

    fn cells(&self, lang: Lang) -> Vec<Cell<'_>> {
        let status = self.status();
        vec![
            text(self.no.as_str()),
            word(lang, status.display_name(), status_en(status)),
            text(status.as_str()),
            text(method_name(self.method, lang)),
            Cell::Money(self.amount),
            Cell::Money(self.refunded),
            text(self.clerk_id.as_str()),
            text(&self.store_id),
            text(&self.device_id),
            Cell::Time(Some(self.created_at)),
            Cell::Time(self.paid_at),
            opt(self.transaction_id.as_deref()),
            text(&self.remark),
            opt(self.reason.as_deref()),
        ]
    }
}

impl sealed::Sealed for Refund {
    const TABLE: Table = Table::Refunds;

    fn cells(&self, lang: Lang) -> Vec<Cell<'_>> {
        vec![
            text(self.no.as_str()),
            text(self.order_no.as_str()),
            word(lang, self.state.display_name(), refund_state_en(self.state)),
            text(self.state.as_str()),
            text(method_name(self.method, lang)),
            Cell::Money(self.amount),
            text(self.clerk_id.as_str()),
            opt(self
                .authorized_by
                .as_ref()
                .map(cloudpos_domain::clerk::ClerkId::as_str)),
            text(&self.reason),
            Cell::Time(Some(self.created_at)),
            Cell::Time(self.succeeded_at),
            opt(self.failure.as_deref()),
        ]
    }
}
