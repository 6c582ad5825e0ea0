//! The lenient amount normaliser in front of the strict [`Money::parse_yuan`], and the serial
//! number clean-up.
//!
//! Screen text looks like `¥1,234.50`, `合计：88.00`, `RMB 12.3`, `88.00元` or `１２.５０`.
//! [`normalize_amount`] folds full-width forms, drops spaces, strips the known labels and
//! currency marks, removes *well-formed* thousands separators, and hands what is left to the
//! domain's strict parser — integer fen all the way, never a float. Anything it cannot turn
//! into an amount is refused with the precise reason ([`AmountTextError`]); in particular a
//! negative amount (`-5.00`, a refund or change line) and a third decimal (`1.234`) are never
//! accepted as a payment total.

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

/// Turns screen text into a payment amount: lenient on the decoration, strict on the number.
///
/// Accepted: `¥1,234.50`, `￥1，234．50`, `合计: 88.00`, `合计金额：¥88`, `RMB 12.3`,
/// `88.00元`, `１２.５`, `1 234.50` (spaces are dropped). The number itself must then pass
/// [`Money::parse_yuan`]: at most two decimals, digits on both sides of the point.
///
/// # Errors
///
/// [`AmountTextError`] with the reason, e.g. [`AmountTextError::Negative`] for `-5.00`,
/// [`AmountTextError::Invalid`] (too many decimals) for `1.234`,
/// [`AmountTextError::BadGrouping`] for `12,34`, [`AmountTextError::UnknownLabel`] for
/// `找零 5.00`.
pub fn normalize_amount(text: &str) -> Result<Money, AmountTextError> {
    let all = compact(text);
    let mut rest = all.as_str();
    let mut negative = false;
    let mut plus = false;
    loop {
        let before = rest.len();
        rest = strip_labels(rest, &AMOUNT_LABELS);
        if let Some(r) = rest.strip_prefix('-') {
            negative = true;
            rest = r;
        } else if let Some(r) = rest.strip_prefix('+') {
            plus = true;
            rest = r;
        }
        if rest.len() == before {
            break;
        }
    }
    rest = strip_suffixes(rest);
    if let Some(r) = rest.strip_suffix('-') {
        // Accounting style "5.00-".
        negative = true;
        rest = strip_suffixes(r);
    }
    if rest.is_empty() {
        return Err(if negative {
            AmountTextError::Negative { magnitude: None }
        } else {
            AmountTextError::Empty(text.to_owned())
        });
    }
    if !negative
        && !plus
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
    let plain = ungroup(rest);
    if negative {
        let magnitude = plain.ok().and_then(|p| Money::parse_yuan(&p).ok());
        return Err(AmountTextError::Negative { magnitude });
    }
    let plain = plain?;
    if plus {
        // Let the strict parser say that a sign is not allowed.
        return Err(Money::parse_yuan(&format!("+{plain}")).err().map_or(
            AmountTextError::Empty(text.to_owned()),
            AmountTextError::Invalid,
        ));
    }
    Ok(Money::parse_yuan(&plain)?)
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
