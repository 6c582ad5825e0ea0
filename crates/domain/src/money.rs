//! Money as an integer number of fen (分, 1/100 yuan).
//!
//! This module holds the only parser that turns user or OCR text into an amount. It is
//! deliberately strict: `12.34`, `0.01` and `1000` parse; `1.234`, `+5`, `1e3`, ` 5`, `1,000`
//! and `.5` do not, and each rejection names the problem. Lenient clean-up (currency
//! symbols, thousands separators, `元`) belongs to the callers that read screens, which then
//! feed this parser.
//!
//! Amounts a cashier *types* go through [`Money::parse_typed`] instead, which first undoes
//! what Chinese input methods do to digits (full-width `１２．５０`, the ideographic full stop
//! `。` for the point) and then applies the same strict rules.

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

    /// Parses an amount as a cashier types it (CLI arguments, the GUI's amount fields):
    /// non-negative yuan, at most two decimals, with what Chinese input methods produce
    /// accepted. Steps:
    ///
    /// 1. Surrounding white space is ignored (including the ideographic space U+3000).
    /// 2. Every character of the *Halfwidth and Fullwidth Forms* block (U+FF00–U+FFEF) is
    ///    replaced by its NFKC form: full-width digits and the full-width point become ASCII,
    ///    so `１２．５０` is 12.50, and `－５` is refused as a sign like `-5`.
    /// 3. The ideographic full stop `。` (U+3002, and the half-width `｡` that NFKC turns into
    ///    it) is read as the decimal point: IMEs in Chinese punctuation mode type it for the
    ///    `.` key, and in an amount it can mean nothing else. The strict rules still apply,
    ///    so `12。5` is 12.50 but `12。` (a sentence end) is refused.
    /// 4. The strict parser ([`Money::parse_yuan`]).
    ///
    /// Other compatibility characters are deliberately **not** normalised, although NFKC
    /// would turn them into digits: superscripts and subscripts (`5²` → `52`), circled and
    /// parenthesised numbers (`⑫` → `12`), vulgar fractions (`½` → `1⁄2`). Reading those as
    /// digits would charge an amount other than the one the cashier sees; they are refused,
    /// naming the character. A rejection quotes the text as typed (trimmed).
    pub fn parse_typed(text: &str) -> Result<Money, MoneyError> {
        let typed = text.trim();
        let original: Vec<char> = typed.chars().collect();
        let plain: String = original.iter().map(|&ch| ime_char(ch)).collect();
        Money::parse_yuan(&plain).map_err(|e| MoneyError {
            input: typed.to_owned(),
            kind: match e.kind {
                // Name the character the cashier typed, not its normalised form (the mapping
                // is one character for one, so positions agree).
                MoneyErrorKind::InvalidChar { ch, position } => MoneyErrorKind::InvalidChar {
                    ch: original.get(position - 1).copied().unwrap_or(ch),
                    position,
                },
                kind => kind,
            },
        })
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

/// One typed character as the strict parser should see it (see [`Money::parse_typed`]):
/// always exactly one character, so positions in error messages stay those of the input.
fn ime_char(ch: char) -> char {
    use unicode_normalization::UnicodeNormalization;
    let ch = if ('\u{FF00}'..='\u{FFEF}').contains(&ch) {
        let mut nfkc = ch.nfkc();
        match (nfkc.next(), nfkc.next()) {
            (Some(single), None) => single,
            _ => ch,
        }
    } else {
        ch
    };
    if ch == '\u{3002}' { '.' } else { ch }
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

    fn typed(text: &str) -> Result<Money, MoneyErrorKind> {
        Money::parse_typed(text).map_err(|e| e.kind)
    }

    #[test]
    fn typed_amounts_accept_what_chinese_input_methods_produce() {
        assert_eq!(typed("１２．５０"), Ok(Money::from_fen(1250)));
        assert_eq!(typed("１２.５"), Ok(Money::from_fen(1250)));
        assert_eq!(typed("12．50"), Ok(Money::from_fen(1250)));
        assert_eq!(typed("１０００"), Ok(Money::from_fen(100_000)));
        assert_eq!(typed("12。50"), Ok(Money::from_fen(1250)));
        assert_eq!(typed("１２。５"), Ok(Money::from_fen(1250)));
        assert_eq!(typed("12｡5"), Ok(Money::from_fen(1250)), "half-width 。");
        assert_eq!(
            typed("\u{3000}１２．５０\u{3000}"),
            Ok(Money::from_fen(1250))
        );
        assert_eq!(typed(" 7 "), Ok(Money::from_fen(700)));
        assert_eq!(
            typed("０"),
            Ok(Money::ZERO),
            "zero parses; the use cases refuse it"
        );
    }

    #[test]
    fn typed_amounts_keep_the_strict_rules() {
        assert_eq!(typed("０．００１"), Err(MoneyErrorKind::TooManyDecimals(3)));
        assert_eq!(typed("0.001"), Err(MoneyErrorKind::TooManyDecimals(3)));
        assert_eq!(typed("－５"), Err(MoneyErrorKind::SignNotAllowed('-')));
        assert_eq!(typed("＋５"), Err(MoneyErrorKind::SignNotAllowed('+')));
        assert_eq!(typed("12。"), Err(MoneyErrorKind::MissingDigits));
        assert_eq!(typed("。5"), Err(MoneyErrorKind::MissingDigits));
        assert_eq!(
            typed("１。２。３"),
            Err(MoneyErrorKind::InvalidChar {
                ch: '。',
                position: 4
            }),
            "a second point is refused like in 1.2.3"
        );
        assert_eq!(typed("１ｅ３"), Err(MoneyErrorKind::Exponent));
        assert_eq!(typed(""), Err(MoneyErrorKind::Empty));
        assert_eq!(typed("\u{3000}"), Err(MoneyErrorKind::Empty));
        // A full-width comma or yen sign is refused, naming the character as typed.
        assert_eq!(
            typed("１，０００"),
            Err(MoneyErrorKind::InvalidChar {
                ch: '，',
                position: 2
            })
        );
        assert_eq!(
            typed("￥５"),
            Err(MoneyErrorKind::InvalidChar {
                ch: '￥',
                position: 1
            })
        );
        assert_eq!(
            typed("１２ａ"),
            Err(MoneyErrorKind::InvalidChar {
                ch: 'ａ',
                position: 3
            })
        );
    }

    #[test]
    fn typed_amounts_refuse_digit_lookalikes_that_nfkc_would_change() {
        // NFKC would read these as other amounts than the one on the screen.
        for (text, ch, position) in [
            ("5²", '²', 2),
            ("⑫", '⑫', 1),
            ("1½", '½', 2),
            ("₅", '₅', 1),
            ("⒈5", '⒈', 1),
        ] {
            assert_eq!(
                typed(text),
                Err(MoneyErrorKind::InvalidChar { ch, position }),
                "{text}"
            );
        }
    }

    #[test]
    fn a_typed_rejection_quotes_the_text_as_typed() {
        let err = Money::parse_typed(" １．２３４ ").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid amount \"１．２３４\": 3 decimal places given; at most 2 are allowed (1 fen = 0.01)"
        );
    }

    /// The full-width form of an ASCII digit or point.
    fn wide(ch: char) -> char {
        match ch {
            '0'..='9' | '.' => char::from_u32(u32::from(ch) + 0xFEE0).unwrap(),
            other => other,
        }
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
            let _ = Money::parse_typed(&text);
        }

        #[test]
        fn any_mix_of_full_and_half_width_reads_the_same(
            fen in 0i64..=i64::MAX,
            widths in proptest::collection::vec(any::<bool>(), 24),
            ideographic_stop: bool,
        ) {
            let m = Money::from_fen(fen);
            let typed: String = m
                .to_string()
                .chars()
                .zip(widths.iter().cycle())
                .map(|(ch, &w)| match ch {
                    '.' if ideographic_stop => '。',
                    _ if w => wide(ch),
                    _ => ch,
                })
                .collect();
            prop_assert_eq!(Money::parse_typed(&typed), Ok(m));
        }

        #[test]
        fn plain_ascii_typed_agrees_with_the_strict_parser(text in "[ 0-9.eE+,-]{0,16}") {
            prop_assert_eq!(Money::parse_typed(&text), Money::parse_yuan(text.trim()));
        }

        #[test]
        fn full_width_never_accepts_what_ascii_refuses(text in "[0-9.eE+,-]{0,16}") {
            let wide_text: String = text.chars().map(wide).collect();
            prop_assert_eq!(
                Money::parse_typed(&wide_text).map_err(|e| e.kind).is_ok(),
                Money::parse_yuan(&text).is_ok()
            );
        }
    }
}
