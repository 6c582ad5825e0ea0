//! Full-mode selling: commodities (商品), the cart, checkout styles and cash change.

use serde::{Deserialize, Serialize};

use crate::money::Money;

/// A commodity in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commodity {
    /// Article number (货号), unique.
    pub sku: String,
    /// Barcode (条码), unique when present.
    pub barcode: Option<String>,
    /// Name (名称).
    pub name: String,
    /// Category (类别).
    pub category: String,
    /// Unit (单位), e.g. 件, 瓶, kg.
    pub unit: String,
    /// Unit price (单价).
    pub price: Money,
    /// Stock on hand (库存); may go negative when more is sold than was recorded.
    pub stock: i64,
}

/// Why a commodity record is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommodityError {
    /// Missing or over-long article number.
    #[error("the article number (货号) must be 1–32 characters without spaces")]
    BadSku,
    /// Missing name.
    #[error("commodity {0}: the name is empty")]
    NoName(String),
    /// Name too long for a receipt line and the wallet's `body`.
    #[error("commodity {0}: the name is longer than 64 characters")]
    NameTooLong(String),
    /// Negative price.
    #[error("commodity {0}: the price cannot be negative")]
    NegativePrice(String),
    /// Barcode with characters a scanner cannot produce.
    #[error("commodity {0}: the barcode must be 1–32 letters or digits")]
    BadBarcode(String),
}

impl Commodity {
    /// Checks the record's fields.
    pub fn validate(&self) -> Result<(), CommodityError> {
        let sku = self.sku.as_str();
        if sku.is_empty() || sku.chars().count() > 32 || sku.chars().any(char::is_whitespace) {
            return Err(CommodityError::BadSku);
        }
        if self.name.trim().is_empty() {
            return Err(CommodityError::NoName(sku.to_owned()));
        }
        if self.name.chars().count() > 64 {
            return Err(CommodityError::NameTooLong(sku.to_owned()));
        }
        if self.price.is_negative() {
            return Err(CommodityError::NegativePrice(sku.to_owned()));
        }
        if let Some(b) = &self.barcode
            && (b.is_empty() || b.len() > 32 || !b.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(CommodityError::BadBarcode(sku.to_owned()));
        }
        Ok(())
    }
}

/// One line of the cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    /// Article number.
    pub sku: String,
    /// Name at the time of adding.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Unit price at the time of adding.
    pub unit_price: Money,
    /// Quantity, at least 1.
    pub quantity: u32,
}

impl CartLine {
    /// `unit_price × quantity`, or `None` on overflow.
    #[must_use]
    pub fn total(&self) -> Option<Money> {
        self.unit_price.checked_mul(i64::from(self.quantity))
    }
}

/// Why the cart cannot do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    /// Quantity would exceed the per-line limit.
    #[error("at most {0} of one commodity per sale")]
    TooMany(u32),
    /// No such line.
    #[error("commodity {0} is not in the cart")]
    NotInCart(String),
    /// The total does not fit.
    #[error("the cart total is too large")]
    Overflow,
    /// Checkout with nothing to pay.
    #[error("the cart is empty")]
    Empty,
}

/// Largest quantity of one line.
pub const MAX_LINE_QUANTITY: u32 = 9999;

/// The goods being sold in full checkout mode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    lines: Vec<CartLine>,
}

impl Cart {
    /// An empty cart.
    #[must_use]
    pub fn new() -> Cart {
        Cart::default()
    }

    /// A cart holding these lines (e.g. to describe a recorded sale).
    #[must_use]
    pub fn from_lines(lines: &[CartLine]) -> Cart {
        Cart {
            lines: lines.to_vec(),
        }
    }

    /// The lines, in the order added.
    #[must_use]
    pub fn lines(&self) -> &[CartLine] {
        &self.lines
    }

    /// Whether nothing is in the cart.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Adds `quantity` of a commodity (merging with its line if present).
    pub fn add(&mut self, commodity: &Commodity, quantity: u32) -> Result<(), CartError> {
        if let Some(line) = self.lines.iter_mut().find(|l| l.sku == commodity.sku) {
            let q = line.quantity.saturating_add(quantity);
            if q > MAX_LINE_QUANTITY {
                return Err(CartError::TooMany(MAX_LINE_QUANTITY));
            }
            line.quantity = q;
        } else {
            if quantity == 0 {
                return Ok(());
            }
            if quantity > MAX_LINE_QUANTITY {
                return Err(CartError::TooMany(MAX_LINE_QUANTITY));
            }
            self.lines.push(CartLine {
                sku: commodity.sku.clone(),
                name: commodity.name.clone(),
                unit: commodity.unit.clone(),
                unit_price: commodity.price,
                quantity,
            });
        }
        Ok(())
    }

    /// `+`: one more of a line.
    pub fn increment(&mut self, sku: &str) -> Result<(), CartError> {
        let line = self.line_mut(sku)?;
        if line.quantity >= MAX_LINE_QUANTITY {
            return Err(CartError::TooMany(MAX_LINE_QUANTITY));
        }
        line.quantity += 1;
        Ok(())
    }

    /// `-`: one fewer; the line goes away at zero.
    pub fn decrement(&mut self, sku: &str) -> Result<(), CartError> {
        let line = self.line_mut(sku)?;
        line.quantity -= 1;
        if line.quantity == 0 {
            self.lines.retain(|l| l.sku != sku);
        }
        Ok(())
    }

    /// Sets a line's quantity; zero removes it.
    pub fn set_quantity(&mut self, sku: &str, quantity: u32) -> Result<(), CartError> {
        if quantity > MAX_LINE_QUANTITY {
            return Err(CartError::TooMany(MAX_LINE_QUANTITY));
        }
        if quantity == 0 {
            return self.remove(sku);
        }
        self.line_mut(sku)?.quantity = quantity;
        Ok(())
    }

    /// Removes a line.
    pub fn remove(&mut self, sku: &str) -> Result<(), CartError> {
        let before = self.lines.len();
        self.lines.retain(|l| l.sku != sku);
        if self.lines.len() == before {
            return Err(CartError::NotInCart(sku.to_owned()));
        }
        Ok(())
    }

    /// Empties the cart.
    pub fn clear(&mut self) {
        self.lines.clear();
    }

    /// Number of items (sum of quantities).
    #[must_use]
    pub fn item_count(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.quantity)).sum()
    }

    /// The total (合计).
    pub fn total(&self) -> Result<Money, CartError> {
        self.lines.iter().try_fold(Money::ZERO, |acc, l| {
            l.total()
                .and_then(|t| acc.checked_add(t))
                .ok_or(CartError::Overflow)
        })
    }

    /// The goods description sent to the wallet (`body`): first name and the item count,
    /// e.g. `矿泉水等3件`.
    #[must_use]
    pub fn body(&self) -> String {
        match self.lines.as_slice() {
            [] => String::new(),
            [only] if only.quantity == 1 => only.name.clone(),
            [first, ..] => format!("{}等{}件", first.name, self.item_count()),
        }
    }

    fn line_mut(&mut self, sku: &str) -> Result<&mut CartLine, CartError> {
        self.lines
            .iter_mut()
            .find(|l| l.sku == sku)
            .ok_or_else(|| CartError::NotInCart(sku.to_owned()))
    }
}

/// The three full-mode checkout styles of the manual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutMode {
    /// 全功能收银: a cart filled by article number or barcode, with +/- quantity.
    #[default]
    Full,
    /// 简单收银: one commodity picked from a list.
    Simple,
    /// 总额收银: the cashier types the total.
    TotalAmount,
}

impl CheckoutMode {
    /// The name cashiers see.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            CheckoutMode::Full => "全功能收银",
            CheckoutMode::Simple => "简单收银",
            CheckoutMode::TotalAmount => "总额收银",
        }
    }
}

/// Not enough cash handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cash received {tendered} is less than the total {total}")]
pub struct InsufficientCash {
    /// Total due.
    pub total: Money,
    /// Cash received.
    pub tendered: Money,
}

/// Change (找零) for a cash payment.
pub fn cash_change(total: Money, tendered: Money) -> Result<Money, InsufficientCash> {
    match tendered.checked_sub(total) {
        Some(change) if !change.is_negative() => Ok(change),
        _ => Err(InsufficientCash { total, tendered }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(sku: &str, fen: i64) -> Commodity {
        Commodity {
            sku: sku.into(),
            barcode: Some("6901234567892".into()),
            name: format!("商品{sku}"),
            category: "饮料".into(),
            unit: "瓶".into(),
            price: Money::from_fen(fen),
            stock: 10,
        }
    }

    #[test]
    fn cart_plus_minus_and_total() {
        let mut cart = Cart::new();
        cart.add(&item("A1", 350), 1).unwrap();
        cart.add(&item("B2", 1200), 2).unwrap();
        cart.add(&item("A1", 350), 1).unwrap();
        assert_eq!(cart.lines().len(), 2);
        assert_eq!(cart.total().unwrap().fen(), 350 * 2 + 2400);
        cart.increment("B2").unwrap();
        cart.decrement("A1").unwrap();
        cart.decrement("A1").unwrap();
        assert_eq!(cart.lines().len(), 1);
        assert_eq!(cart.total().unwrap().fen(), 3600);
        assert_eq!(cart.body(), "商品B2等3件");
        assert_eq!(cart.decrement("A1"), Err(CartError::NotInCart("A1".into())));
        cart.set_quantity("B2", 0).unwrap();
        assert!(cart.is_empty());
        assert_eq!(cart.total().unwrap(), Money::ZERO);
    }

    #[test]
    fn line_limit_and_overflow() {
        let mut cart = Cart::new();
        assert_eq!(
            cart.add(&item("A", 1), 10_000),
            Err(CartError::TooMany(9999))
        );
        cart.add(&item("A", i64::MAX / 2), 9999).unwrap();
        assert_eq!(cart.total(), Err(CartError::Overflow));
    }

    #[test]
    fn validation() {
        assert!(item("A1", 0).validate().is_ok());
        let mut c = item("", 1);
        assert_eq!(c.validate(), Err(CommodityError::BadSku));
        c = item("A 1", 1);
        assert_eq!(c.validate(), Err(CommodityError::BadSku));
        c = item("A1", -1);
        assert_eq!(
            c.validate(),
            Err(CommodityError::NegativePrice("A1".into()))
        );
        c = item("A1", 1);
        c.name = " ".into();
        assert_eq!(c.validate(), Err(CommodityError::NoName("A1".into())));
        c = item("A1", 1);
        c.barcode = Some("69-01".into());
        assert_eq!(c.validate(), Err(CommodityError::BadBarcode("A1".into())));
    }

    #[test]
    fn change() {
        assert_eq!(
            cash_change(Money::from_fen(1530), Money::from_fen(2000)),
            Ok(Money::from_fen(470))
        );
        assert_eq!(
            cash_change(Money::from_fen(1530), Money::from_fen(1530)),
            Ok(Money::ZERO)
        );
        assert!(cash_change(Money::from_fen(1530), Money::from_fen(1000)).is_err());
    }

    proptest! {
        #[test]
        fn cart_total_is_sum_of_lines(ops in proptest::collection::vec((0usize..5, 0u8..3), 0..60)) {
            let items: Vec<Commodity> = (0..5i64).map(|i| item(&format!("S{i}"), 100 + i * 37)).collect();
            let mut cart = Cart::new();
            let mut qty = [0u32; 5];
            for (i, op) in ops {
                match op {
                    0 => { cart.add(&items[i], 1).unwrap(); qty[i] += 1; }
                    1 => if cart.increment(&items[i].sku).is_ok() { qty[i] += 1; },
                    _ => if cart.decrement(&items[i].sku).is_ok() { qty[i] -= 1; },
                }
            }
            let expected: i64 = (0..5).map(|i| items[i].price.fen() * i64::from(qty[i])).sum();
            prop_assert_eq!(cart.total().unwrap().fen(), expected);
            prop_assert!(cart.lines().iter().all(|l| l.quantity > 0));
        }
    }
}
