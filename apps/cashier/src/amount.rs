//! Amounts as a cashier types them. Chinese input methods in full-width mode type `１２．５０`
//! and in Chinese punctuation mode `。` for the point: the amount fields keep those
//! characters as typed, and every amount field parses with [`Money::parse_typed`], which
//! reads them as `12.50` (and keeps the strict rules of the one money parser).

use cloudpos_domain::money::{Money, MoneyError};

/// Whether `c` belongs in an amount field: an ASCII digit or point, or what an input method
/// types for one (full-width digits `０`–`９`, the full-width point `．`, the ideographic
/// full stop `。` and its half-width form `｡`). Anything else typed is dropped at once.
#[must_use]
pub fn is_amount_char(c: char) -> bool {
    c.is_ascii_digit()
        || c == '.'
        || ('\u{FF10}'..='\u{FF19}').contains(&c)
        || matches!(c, '\u{FF0E}' | '\u{3002}' | '\u{FF61}')
}

/// The text of an amount field after an edit: only the characters [`is_amount_char`] keeps.
#[must_use]
pub fn typed(text: &str) -> String {
    text.chars().filter(|&c| is_amount_char(c)).collect()
}

/// Parses an amount field (surrounding blanks ignored): [`Money::parse_typed`].
///
/// # Errors
/// As [`Money::parse_typed`]: empty, too many decimals, a character that is no digit.
pub fn parse(text: &str) -> Result<Money, MoneyError> {
    Money::parse_typed(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_method_digits_are_kept_and_read_as_ascii() {
        assert_eq!(typed("１２．５０"), "１２．５０");
        assert_eq!(parse(&typed("１２．５０")), Ok(Money::from_fen(1250)));
        assert_eq!(parse(&typed("12。5")), Ok(Money::from_fen(1250)));
        assert_eq!(parse(&typed("¥ 3.00元")), Ok(Money::from_fen(300)));
        assert_eq!(typed("a1-2~"), "12");
        // Look-alikes are not digits: dropped by the field, refused by the parser.
        assert_eq!(typed("²⑫"), "");
        assert!(parse("²").is_err());
        assert!(parse("12。").is_err(), "a sentence end is no decimal point");
    }
}
