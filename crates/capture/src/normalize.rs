//! The lenient amount normaliser in front of the strict [`Money::parse_yuan`], and the serial
//! number clean-up.
//!
//! Screen text looks like `¥1,234.50`, `合计：88.00`, `RMB 12.3`, `88.00元` or `１２.５０`.
//! The normaliser folds full-width forms, drops spaces, strips the known labels and currency
//! marks, removes *well-formed* thousands separators, and hands what is left to the domain's
//! strict parser — integer fen all the way, never a float. Anything it cannot turn into an
//! amount is refused with the precise reason ([`AmountTextError`]); a third decimal
//! (`1.234`) is never accepted.
//!
//! # The sign
//!
//! A host POS taking a return shows a negative total: `合计:¥-86.50`, `合计：-86.50`,
//! `RMB -9646.77`, `-¥86.50`, `¥ -86.50`. [`normalize_signed_amount`] reads these as
//! negative amounts (−86.50) and [`normalize_amount`], the payment-total reader, refuses
//! them ([`AmountTextError::Negative`], with the magnitude). The sign is never dropped: a
//! text with a minus sign is never read as a positive amount. The rule:
//!
//! * a minus sign (`-`, and the look-alikes `−` `－` `‐`–`―` folded to it) before the
//!   digits makes the amount negative, wherever it stands among the labels and currency
//!   marks: `-合计 86.50`, `合计-86.50`, `合计-¥86.50`, `¥-86.50`, `-¥86.50`;
//! * accounting style, a minus after the digits (`86.50-`, `86.50-元`), is negative too;
//! * `合计-86.50`, a dash between a label and the digits, is read as a minus: Chinese POS
//!   programs separate a label from its figure with `:`/`：` or a space, never a dash, and
//!   the colon is what an OCR read may drop. Reading a return as a payment would charge a
//!   customer who is owed money, while reading a stray dash as a return only stops the
//!   payment window and asks the cashier, so the doubt goes to the minus;
//! * two signs (`--5`, `-¥-5`, `-5-`, `+-5`) are refused as ambiguous
//!   ([`AmountTextError::AmbiguousSign`]); a sign inside the number (`86-50`) is not an
//!   amount; a `+` is refused by the strict parser;
//! * accounting parentheses (`(86.50)`) are not used for totals on Chinese POS screens and
//!   are refused as an unknown label, not read as positive;
//! * `-0.00` is zero (nothing to charge, nothing returned).

use cloudpos_domain::money::{Money, MoneyError};

/// Labels and currency marks that may stand before a payment total. They are stripped in
/// any order and repetition (`合计金额：¥` = 合计 + 金额 + `:` + ¥). Anything else before the
/// digits is refused: the region may show another figure (`找零` change, `优惠` discount).
pub const AMOUNT_LABELS: [&str; 15] = [
    "合计",
    "应收",
    "实收",
    "总计",
    "金额",
    "应付",
    "实付",
    "总额",
    "总金额",
    "人民币",
    "RMB",
    "CNY",
    "¥",
    ":",
    "=",
];

/// Marks that may follow a payment total.
pub const AMOUNT_SUFFIXES: [&str; 3] = ["元", "RMB", "CNY"];

/// Labels that may stand before a serial (receipt) number.
pub const SERIAL_LABELS: [&str; 6] = ["流水号", "订单号", "小票号", "单号", "No.", "NO."];

/// Why a text is not a payment amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountTextError {
    /// Nothing but spaces, labels or currency marks.
    #[error("no digits: the text \"{0}\" holds no amount")]
    Empty(String),
    /// A minus sign: a payment total is never negative (the region shows a refund, change or
    /// discount line, or a misread). `magnitude` is the amount without its sign, when it
    /// parses.
    #[error("a negative amount ({}) cannot be a payment total", display_negative(*.magnitude))]
    Negative {
        /// The amount after the minus sign, if it parses.
        magnitude: Option<Money>,
    },
    /// More than one sign (`--5`, `-¥-5`, `5.00-` after `-`, `+-5`): which one the screen
    /// means cannot be known.
    #[error("\"{0}\" has more than one sign: the amount is ambiguous")]
    AmbiguousSign(String),
    /// Text before the digits that is not a known label of a total.
    #[error(
        "\"{0}\" before the amount is not a label of a payment total (known: 合计 应收 实收 总计 金额 应付 实付 ¥ RMB)"
    )]
    UnknownLabel(String),
    /// Commas that are not thousands separators (`12,34`, `1,2345`): possibly a decimal
    /// comma, so the amount is ambiguous.
    #[error(
        "\"{0}\": the commas are not thousands separators (groups of 3 digits), so the amount is ambiguous"
    )]
    BadGrouping(String),
    /// The cleaned text failed the strict parser (too many decimals, a stray character, …).
    #[error(transparent)]
    Invalid(#[from] MoneyError),
}

fn display_negative(magnitude: Option<Money>) -> String {
    magnitude.map_or_else(|| "-?".to_owned(), |m| format!("-{m}"))
}

/// Folds the full-width and look-alike characters a screen may show to their plain forms
/// (the subset of NFKC that matters for amounts and serials): full-width ASCII `０-９ Ａ-Ｚ
/// ．，：－` etc., `￥` → `¥`, ideographic space → space, minus signs and dashes → `-`.
#[must_use]
pub fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{FFE5}' => '¥',
        '\u{3000}' => ' ',
        '\u{2212}' | '\u{FE63}' | '\u{2010}'..='\u{2015}' => '-',
        _ => c,
    }
}

/// Folded text without any whitespace.
fn compact(text: &str) -> String {
    text.chars()
        .map(fold_char)
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn strip_labels<'a>(mut s: &'a str, labels: &[&str]) -> &'a str {
    // Longest label first so that 总金额 wins over nothing and 金额 over nothing.
    loop {
        let hit = labels
            .iter()
            .filter(|l| s.starts_with(**l))
            .max_by_key(|l| l.len());
        match hit {
            Some(l) => s = &s[l.len()..],
            None => return s,
        }
    }
}

fn strip_suffixes(mut s: &str) -> &str {
    loop {
        match AMOUNT_SUFFIXES.iter().find(|x| s.ends_with(**x)) {
            Some(x) => s = &s[..s.len() - x.len()],
            None => return s,
        }
    }
}

/// Removes well-formed thousands separators from the integer part.
fn ungroup(s: &str) -> Result<String, AmountTextError> {
    let (int_part, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if !int_part.contains(',') {
        return Ok(s.to_owned());
    }
    let groups: Vec<&str> = int_part.split(',').collect();
    if groups
        .iter()
        .any(|g| !g.chars().all(|c| c.is_ascii_digit()))
    {
        // Not a digit grouping at all: let the strict parser name the stray character.
        return Ok(s.replace(',', ""));
    }
    let first_ok = (1..=3).contains(&groups[0].len());
    if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
        return Err(AmountTextError::BadGrouping(s.to_owned()));
    }
    let mut out = groups.concat();
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    Ok(out)
}

/// A parsed screen text: the sign it shows, and the amount without the sign (or why that
/// part is not an amount).
struct Shown {
    negative: bool,
    magnitude: Result<Money, AmountTextError>,
}

/// The common path of both normalisers; `Err` only for an ambiguous sign.
fn parse_shown(text: &str) -> Result<Shown, AmountTextError> {
    let all = compact(text);
    let mut rest = all.as_str();
    let (mut minus, mut plus) = (0u32, 0u32);
    loop {
        let before = rest.len();
        rest = strip_labels(rest, &AMOUNT_LABELS);
        if let Some(r) = rest.strip_prefix('-') {
            minus += 1;
            rest = r;
        } else if let Some(r) = rest.strip_prefix('+') {
            plus += 1;
            rest = r;
        }
        if rest.len() == before {
            break;
        }
    }
    rest = strip_suffixes(rest);
    if let Some(r) = rest.strip_suffix('-') {
        // Accounting style "5.00-".
        minus += 1;
        rest = strip_suffixes(r);
    }
    if minus + plus > 1 {
        return Err(AmountTextError::AmbiguousSign(text.to_owned()));
    }
    let negative = minus == 1;
    let magnitude = (|| {
        if rest.is_empty() {
            return Err(AmountTextError::Empty(text.to_owned()));
        }
        if plus == 0
            && let Some(first) = rest.chars().next()
            && !first.is_ascii_digit()
            && first != '.'
            && first != ','
        {
            let label: String = rest
                .chars()
                .take_while(|c| !c.is_ascii_digit() && !matches!(c, '.' | ',' | '-' | '+'))
                .collect();
            return Err(AmountTextError::UnknownLabel(label));
        }
        let plain = ungroup(rest)?;
        if plus > 0 {
            // Let the strict parser say that a sign is not allowed.
            return Err(Money::parse_yuan(&format!("+{plain}")).err().map_or(
                AmountTextError::Empty(text.to_owned()),
                AmountTextError::Invalid,
            ));
        }
        Ok(Money::parse_yuan(&plain)?)
    })();
    Ok(Shown {
        negative,
        magnitude,
    })
}

/// Turns screen text into a payment amount: lenient on the decoration, strict on the number,
/// and a negative total refused.
///
/// Accepted: `¥1,234.50`, `￥1，234．50`, `合计: 88.00`, `合计金额：¥88`, `RMB 12.3`,
/// `88.00元`, `１２.５`, `1 234.50` (spaces are dropped). The number itself must then pass
/// [`Money::parse_yuan`]: at most two decimals, digits on both sides of the point.
///
/// # Errors
///
/// [`AmountTextError`] with the reason, e.g. [`AmountTextError::Negative`] for `-5.00` or
/// `合计:¥-86.50` (with the magnitude: [`normalize_signed_amount`] reads it),
/// [`AmountTextError::Invalid`] (too many decimals) for `1.234`,
/// [`AmountTextError::BadGrouping`] for `12,34`, [`AmountTextError::UnknownLabel`] for
/// `找零 5.00`.
pub fn normalize_amount(text: &str) -> Result<Money, AmountTextError> {
    let shown = parse_shown(text)?;
    if shown.negative {
        return Err(AmountTextError::Negative {
            magnitude: shown.magnitude.ok(),
        });
    }
    shown.magnitude
}

/// Reads screen text as the amount it shows, **with its sign**: `合计:¥-86.50`,
/// `RMB -9646.77`, `-¥86.50`, `¥ -86.50` and `86.50-` give negative amounts (a return in
/// progress on the host POS), everything [`normalize_amount`] accepts gives the same
/// positive amount. The sign rule is in the module documentation; a text with a minus sign
/// never gives a positive amount.
///
/// # Errors
///
/// As [`normalize_amount`], except that a negative amount is returned, not refused; a text
/// with two signs is [`AmountTextError::AmbiguousSign`].
pub fn normalize_signed_amount(text: &str) -> Result<Money, AmountTextError> {
    let shown = parse_shown(text)?;
    let magnitude = shown.magnitude?;
    Ok(if shown.negative {
        // A magnitude is at most i64::MAX fen, so its negation fits.
        Money::from_fen(-magnitude.fen())
    } else {
        magnitude
    })
}

/// A serial (receipt) number without its label (`流水号:`, `单号`, `No.`), full-width forms
/// folded and spaces dropped; `None` when nothing is left.
#[must_use]
pub fn normalize_serial(text: &str) -> Option<String> {
    let all = compact(text);
    let mut s = all.as_str();
    if let Some(l) = SERIAL_LABELS.iter().find(|l| s.starts_with(**l)) {
        s = &s[l.len()..];
        s = s.strip_prefix(':').unwrap_or(s);
    }
    (!s.is_empty()).then(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudpos_domain::money::MoneyErrorKind;

    fn fen(text: &str) -> i64 {
        normalize_amount(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .fen()
    }

    #[test]
    fn the_examples_of_the_issue() {
        assert_eq!(fen("¥1,234.50"), 123_450);
        assert_eq!(fen("合计: 88.00"), 8800);
        assert_eq!(fen("RMB 12.3"), 1230);
        assert_eq!(fen("88.00元"), 8800);
    }

    #[test]
    fn full_width_and_spaces() {
        assert_eq!(fen("￥１，２３４．５０"), 123_450);
        assert_eq!(fen("合计：８８．００元"), 8800);
        assert_eq!(fen(" 1 234.50 "), 123_450);
        assert_eq!(fen("应收\u{3000}12"), 1200);
        assert_eq!(fen("合计金额：¥0.01"), 1);
        assert_eq!(fen("总金额 RMB 7"), 700);
        assert_eq!(fen("1,234,567.8"), 123_456_780);
        assert_eq!(fen("88 RMB"), 8800);
    }

    #[test]
    fn negative_amounts_are_refused_with_their_magnitude() {
        for text in [
            "-5.00",
            "-¥5.00",
            "¥-5.00",
            "合计:-5",
            "5.00-",
            "−5.00",
            "－５.00",
        ] {
            assert_eq!(
                normalize_amount(text),
                Err(AmountTextError::Negative {
                    magnitude: Some(Money::from_fen(500))
                }),
                "{text}"
            );
        }
        let e = normalize_amount("-5.00").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a negative amount (-5.00) cannot be a payment total"
        );
        assert_eq!(
            normalize_amount("-"),
            Err(AmountTextError::Negative { magnitude: None })
        );
    }

    fn signed(text: &str) -> i64 {
        normalize_signed_amount(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .fen()
    }

    #[test]
    fn negative_totals_are_read_with_their_sign() {
        for (text, fen) in [
            ("合计:¥-86.50", -8650),
            ("合计：¥-86.50", -8650),
            ("RMB -9646.77", -964_677),
            ("-¥86.50", -8650),
            ("¥ -86.50", -8650),
            ("￥－８６．５０", -8650),
            ("合计：-86.50", -8650),
            ("合计-86.50", -8650),
            ("合计 - 86.50", -8650),
            ("合计-¥86.50", -8650),
            ("-合计 86.50", -8650),
            ("应收金额: -1,234.5元", -123_450),
            ("86.50-", -8650),
            ("86.50-元", -8650),
            ("−0.01", -1),
            ("总计 −9,646.77 RMB", -964_677),
        ] {
            assert_eq!(signed(text), fen, "{text}");
            assert_eq!(
                normalize_amount(text),
                Err(AmountTextError::Negative {
                    magnitude: Some(Money::from_fen(-fen))
                }),
                "{text}"
            );
        }
        // Positive totals read the same by both.
        for text in ["¥1,234.50", "合计: 88.00", "RMB 12.3", "88.00元", "0.00"] {
            assert_eq!(Ok(Money::from_fen(signed(text))), normalize_amount(text));
        }
        // Minus zero is zero: nothing to charge, nothing returned.
        assert_eq!(signed("-0.00"), 0);
    }

    #[test]
    fn two_signs_or_a_broken_number_are_refused() {
        for text in [
            "--5",
            "-¥-5",
            "-5-",
            "+-5",
            "-+5",
            "合计:-¥-86.50",
            "-86.50-元",
        ] {
            assert_eq!(
                normalize_signed_amount(text),
                Err(AmountTextError::AmbiguousSign(text.to_owned())),
                "{text}"
            );
            assert!(normalize_amount(text).is_err(), "{text}");
        }
        // A sign inside the number, a minus with no digits, accounting parentheses.
        assert!(matches!(
            normalize_signed_amount("86-50"),
            Err(AmountTextError::Invalid(_))
        ));
        assert!(matches!(
            normalize_signed_amount("合计:-"),
            Err(AmountTextError::Empty(_))
        ));
        assert_eq!(
            normalize_signed_amount("(86.50)"),
            Err(AmountTextError::UnknownLabel("(".into()))
        );
        assert!(matches!(
            normalize_signed_amount("-1.234"),
            Err(AmountTextError::Invalid(_))
        ));
        assert_eq!(
            normalize_signed_amount("-找零 5.00"),
            Err(AmountTextError::UnknownLabel("找零".into()))
        );
        assert!(matches!(
            normalize_signed_amount("+5"),
            Err(AmountTextError::Invalid(_))
        ));
    }

    #[test]
    fn precise_reasons() {
        let kind = |t: &str| match normalize_amount(t) {
            Err(AmountTextError::Invalid(e)) => e.kind,
            other => panic!("{t}: {other:?}"),
        };
        assert_eq!(kind("1.234"), MoneyErrorKind::TooManyDecimals(3));
        assert_eq!(kind("88."), MoneyErrorKind::MissingDigits);
        assert_eq!(kind("+5"), MoneyErrorKind::SignNotAllowed('+'));
        assert!(matches!(
            kind("8a.00"),
            MoneyErrorKind::InvalidChar { ch: 'a', .. }
        ));
        assert!(matches!(
            normalize_amount("12,34"),
            Err(AmountTextError::BadGrouping(_))
        ));
        assert!(matches!(
            normalize_amount("1,2345.00"),
            Err(AmountTextError::BadGrouping(_))
        ));
        assert!(matches!(
            normalize_amount(",123"),
            Err(AmountTextError::BadGrouping(_))
        ));
        assert_eq!(
            normalize_amount("找零 5.00"),
            Err(AmountTextError::UnknownLabel("找零".into()))
        );
        assert!(matches!(
            normalize_amount("合计:"),
            Err(AmountTextError::Empty(_))
        ));
        assert!(matches!(
            normalize_amount("   "),
            Err(AmountTextError::Empty(_))
        ));
        assert!(matches!(
            normalize_amount("1e3"),
            Err(AmountTextError::Invalid(_))
        ));
    }

    #[test]
    fn serials() {
        assert_eq!(
            normalize_serial("流水号: A-12/3").as_deref(),
            Some("A-12/3")
        );
        assert_eq!(normalize_serial("单号：２０２５"), Some("2025".to_owned()));
        assert_eq!(normalize_serial("No.X 9"), Some("X9".to_owned()));
        assert_eq!(normalize_serial("  "), None);
    }
}
