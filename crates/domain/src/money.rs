//! Money as an integer number of fen (分, 1/100 yuan).
//!
//! This module holds the only parser that turns user or OCR text into an amount. It is
//! deliberately strict: `12.34`, `0.01` and `1000` parse; `1.234`, `+5`, `1e3`, ` 5`, `1,000`
//! and `.5` do not, and each rejection names the problem. Lenient clean-up (currency
//! symbols, thousands separators, `元`) belongs to the callers that read screens, which then
//! feed this parser.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};

use serde::{Deserialize, Serialize};

/// An amount of Chinese yuan held as integer fen. Never a float.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

/// What is wrong with a piece of amount text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyErrorKind {
    /// Nothing (or only a sign) was given.
    #[error("the amount is empty")]
    Empty,
    /// A `+` or `-` where the amount must be a plain positive number.
    #[error("a sign ('{0}') is not allowed here")]
    SignNotAllowed(char),
    /// Scientific notation such as `1e3`.
    #[error("exponent notation is not allowed")]
    Exponent,
    /// More than two digits after the decimal point.
    #[error("{0} decimal places given; at most 2 are allowed (1 fen = 0.01)")]
    TooManyDecimals(usize),
    /// A character that is not a digit or the single decimal point.
    #[error("unexpected character '{ch}' at position {position}")]
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its 1-based character position in the input.
        position: usize,
    },
    /// A decimal point without digits on one of its sides (`.5`, `5.`).
    #[error("digits are required on both sides of the decimal point")]
    MissingDigits,
    /// More fen than an `i64` can hold.
    #[error("the amount is too large")]
    Overflow,
}

/// An amount text that could not be parsed, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid amount \"{input}\": {kind}")]
pub struct MoneyError {
    /// The text as given.
    pub input: String,
    /// What is wrong with it.
    pub kind: MoneyErrorKind,
}

impl Money {
    /// Zero fen.
    pub const ZERO: Money = Money(0);

    /// An amount of `fen` fen.
    #[must_use]
    pub const fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    /// The amount in fen.
    #[must_use]
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Whether the amount is greater than zero.
    #[must_use]
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// Whether the amount is below zero.
    #[must_use]
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Parses non-negative yuan text (`12.34`, `0.01`, `1000`): no sign, at most two decimals.
    pub fn parse_yuan(text: &str) -> Result<Money, MoneyError> {
        parse(text, false)
    }

    /// Parses yuan text that may start with a `-` (used for signed report fields such as
    /// a net total). A `+` is still rejected.
    pub fn parse_signed_yuan(text: &str) -> Result<Money, MoneyError> {
        parse(text, true)
    }

    /// `self + rhs`, or `None` on overflow.
    #[must_use]
    pub const fn checked_add(self, rhs: Money) -> Option<Money> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Some(Money(v)),
            None => None,
        }
    }

    /// `self - rhs`, or `None` on overflow.
    #[must_use]
    pub const fn checked_sub(self, rhs: Money) -> Option<Money> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(Money(v)),
            None => None,
        }
    }

    /// `self × quantity`, or `None` on overflow.
    #[must_use]
    pub const fn checked_mul(self, quantity: i64) -> Option<Money> {
        match self.0.checked_mul(quantity) {
            Some(v) => Some(Money(v)),
            None => None,
        }
    }

    /// The amount as yuan text with exactly two decimals, e.g. `12.30` or `-0.05`.
    #[must_use]
    pub fn to_yuan_string(self) -> String {
        self.to_string()
    }
}

fn parse(text: &str, allow_minus: bool) -> Result<Money, MoneyError> {
    let fail = |kind| {
        Err(MoneyError {
            input: text.to_owned(),
            kind,
        })
    };
    if text.is_empty() {
        return fail(MoneyErrorKind::Empty);
    }
    let mut chars = text.char_indices().peekable();
    let mut negative = false;
    if let Some(&(_, first)) = chars.peek()
        && (first == '+' || first == '-')
    {
        if first == '+' || !allow_minus {
            return fail(MoneyErrorKind::SignNotAllowed(first));
        }
        negative = true;
        chars.next();
        if chars.peek().is_none() {
            return fail(MoneyErrorKind::Empty);
        }
    }
    let mut int_digits = 0usize;
    let mut frac_digits = 0usize;
    let mut seen_dot = false;
    let mut fen: i64 = 0;
    for (index, ch) in chars {
        let position = text[..index].chars().count() + 1;
        match ch {
            '0'..='9' => {
                let digit = i64::from(ch as u8 - b'0');
                if seen_dot {
                    frac_digits += 1;
                    if frac_digits > 2 {
                        // Count the whole run of decimal digits so the message says how many
                        // were given.
                        let decimals = text.split_once('.').map_or(0, |(_, tail)| {
                            tail.chars().take_while(char::is_ascii_digit).count()
                        });
                        return fail(MoneyErrorKind::TooManyDecimals(decimals));
                    }
                } else {
                    int_digits += 1;
                }
                fen = match fen.checked_mul(10).and_then(|v| v.checked_add(digit)) {
                    Some(v) => v,
                    None => return fail(MoneyErrorKind::Overflow),
                };
            }
            '.' if !seen_dot => seen_dot = true,
            'e' | 'E' => return fail(MoneyErrorKind::Exponent),
            '+' | '-' => return fail(MoneyErrorKind::SignNotAllowed(ch)),
            _ => return fail(MoneyErrorKind::InvalidChar { ch, position }),
        }
    }
    if int_digits == 0 || (seen_dot && frac_digits == 0) {
        return fail(MoneyErrorKind::MissingDigits);
    }
    for _ in frac_digits..2 {
        fen = match fen.checked_mul(10) {
            Some(v) => v,
            None => return fail(MoneyErrorKind::Overflow),
        };
    }
    Ok(Money(if negative { -fen } else { fen }))
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{self}")
    }
}

impl std::str::FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse_yuan(s)
    }
}

/// Addition of ledger amounts. Panics only past ±92 quadrillion yuan, which no real
/// ledger reaches; user-controlled sums (carts) use [`Money::checked_add`].
impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        self.checked_add(rhs)
            .expect("money overflow beyond i64 fen")
    }
}

/// Subtraction of ledger amounts; see [`Add`].
impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        self.checked_sub(rhs)
            .expect("money overflow beyond i64 fen")
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kind(text: &str) -> MoneyErrorKind {
        Money::parse_yuan(text).expect_err(text).kind
    }

    #[test]
    fn parses_plain_yuan() {
        assert_eq!(Money::parse_yuan("12.34"), Ok(Money::from_fen(1234)));
        assert_eq!(Money::parse_yuan("0.01"), Ok(Money::from_fen(1)));
        assert_eq!(Money::parse_yuan("1000"), Ok(Money::from_fen(100_000)));
        assert_eq!(Money::parse_yuan("12.3"), Ok(Money::from_fen(1230)));
        assert_eq!(Money::parse_yuan("007.50"), Ok(Money::from_fen(750)));
        assert_eq!(Money::parse_yuan("0"), Ok(Money::ZERO));
    }

    #[test]
    fn rejects_with_a_precise_reason() {
        assert_eq!(kind("1.234"), MoneyErrorKind::TooManyDecimals(3));
        assert_eq!(kind("1.23456"), MoneyErrorKind::TooManyDecimals(5));
        assert_eq!(kind(""), MoneyErrorKind::Empty);
        assert_eq!(kind("-5"), MoneyErrorKind::SignNotAllowed('-'));
        assert_eq!(kind("+5"), MoneyErrorKind::SignNotAllowed('+'));
        assert_eq!(kind("1e3"), MoneyErrorKind::Exponent);
        assert_eq!(kind("1E3"), MoneyErrorKind::Exponent);
        assert_eq!(kind(".5"), MoneyErrorKind::MissingDigits);
        assert_eq!(kind("5."), MoneyErrorKind::MissingDigits);
        assert_eq!(kind("."), MoneyErrorKind::MissingDigits);
        assert_eq!(
            kind("1,000"),
            MoneyErrorKind::InvalidChar {
                ch: ',',
                position: 2
            }
        );
        assert_eq!(
            kind(" 5"),
            MoneyErrorKind::InvalidChar {
                ch: ' ',
                position: 1
            }
        );
        assert_eq!(
            kind("1.2.3"),
            MoneyErrorKind::InvalidChar {
                ch: '.',
                position: 4
            }
        );
        assert_eq!(
            kind("¥5"),
            MoneyErrorKind::InvalidChar {
                ch: '¥',
                position: 1
            }
        );
        assert_eq!(kind("5-"), MoneyErrorKind::SignNotAllowed('-'));
        assert_eq!(kind("92233720368547758.08"), MoneyErrorKind::Overflow);
        assert_eq!(kind("99999999999999999999"), MoneyErrorKind::Overflow);
    }

    #[test]
    fn error_message_names_input_and_problem() {
        let err = Money::parse_yuan("1.234").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid amount \"1.234\": 3 decimal places given; at most 2 are allowed (1 fen = 0.01)"
        );
    }

    #[test]
    fn signed_parse_allows_only_minus() {
        assert_eq!(Money::parse_signed_yuan("-5.10"), Ok(Money::from_fen(-510)));
        assert_eq!(
            Money::parse_signed_yuan("+5").unwrap_err().kind,
            MoneyErrorKind::SignNotAllowed('+')
        );
        assert_eq!(
            Money::parse_signed_yuan("-").unwrap_err().kind,
            MoneyErrorKind::Empty
        );
        assert_eq!(
            Money::parse_signed_yuan("--1").unwrap_err().kind,
            MoneyErrorKind::SignNotAllowed('-')
        );
    }

    #[test]
    fn limits_round_trip() {
        let max = Money::from_fen(i64::MAX);
        assert_eq!(max.to_string(), "92233720368547758.07");
        assert_eq!(Money::parse_yuan(&max.to_string()), Ok(max));
        let min = Money::from_fen(i64::MIN);
        assert_eq!(min.to_string(), "-92233720368547758.08");
    }

    #[test]
    fn formats_with_two_decimals() {
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(-5).to_string(), "-0.05");
        assert_eq!(Money::from_fen(123_400).to_string(), "1234.00");
        assert_eq!(format!("{:?}", Money::from_fen(1)), "¥0.01");
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(fen in 0i64..=i64::MAX) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_yuan(&m.to_string()), Ok(m));
        }

        #[test]
        fn signed_format_then_parse_is_identity(fen in (i64::MIN + 1)..=i64::MAX) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_signed_yuan(&m.to_string()), Ok(m));
        }

        #[test]
        fn parse_agrees_with_integer_arithmetic(yuan in 0u32..10_000_000, fen in 0u32..100, one_decimal: bool) {
            let text = if one_decimal && fen % 10 == 0 {
                format!("{yuan}.{}", fen / 10)
            } else {
                format!("{yuan}.{fen:02}")
            };
            prop_assert_eq!(Money::parse_yuan(&text), Ok(Money::from_fen(i64::from(yuan) * 100 + i64::from(fen))));
        }

        #[test]
        fn three_or_more_decimals_always_rejected(yuan in 0u32..100_000, decimals in "[0-9]{3,8}") {
            let text = format!("{yuan}.{decimals}");
            let expected = MoneyErrorKind::TooManyDecimals(decimals.len());
            prop_assert_eq!(Money::parse_yuan(&text).map_err(|e| e.kind), Err(expected));
        }

        #[test]
        fn parser_never_panics(text in "\\PC{0,40}") {
            let _ = Money::parse_yuan(&text);
            let _ = Money::parse_signed_yuan(&text);
        }
    }
}
