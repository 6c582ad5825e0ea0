//! Property tests of the lenient amount normalisers: every strict money text survives them,
//! decorations never change the amount, a 3-decimal amount is never accepted, a payment
//! total is never signed, and a minus sign is never lost (the signed reader gives the
//! negative amount, the payment reader refuses it).

use cloudpos_capture::{AmountTextError, normalize_amount, normalize_signed_amount};
use cloudpos_domain::money::Money;
use proptest::prelude::*;

const PREFIXES: [&str; 12] = [
    "",
    "合计",
    "合计:",
    "合计：",
    "应收 ",
    "实收:",
    "总计",
    "金额：",
    "RMB",
    "RMB ",
    "应付",
    "合计金额:",
];
const CURRENCY: [&str; 4] = ["", "¥", "￥", " ¥ "];
const SUFFIXES: [&str; 4] = ["", "元", " 元", " RMB"];

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap(),
            '.' => '．',
            ',' => '，',
            _ => c,
        })
        .collect()
}

fn grouped(int: &str) -> String {
    let digits: Vec<char> = int.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(*c);
    }
    out
}

/// `number` ("1234.5") dressed as a screen shows it.
fn decorate(
    number: &str,
    prefix: usize,
    currency: usize,
    suffix: usize,
    group: bool,
    wide: bool,
) -> String {
    let (int, frac) = number
        .split_once('.')
        .map_or((number, None), |(i, f)| (i, Some(f)));
    let mut n = if group { grouped(int) } else { int.to_owned() };
    if let Some(f) = frac {
        n.push('.');
        n.push_str(f);
    }
    if wide {
        n = full_width(&n);
    }
    format!(
        "{}{}{}{}",
        PREFIXES[prefix], CURRENCY[currency], n, SUFFIXES[suffix]
    )
}

proptest! {
    #[test]
    fn strict_money_text_survives(text in "[0-9]{1,13}(\\.[0-9]{1,2})?") {
        let strict = Money::parse_yuan(&text).unwrap();
        prop_assert_eq!(normalize_amount(&text), Ok(strict));
    }

    #[test]
    fn decorations_do_not_change_the_amount(
        fen in 0i64..100_000_000_000_000,
        decimals in 0usize..3,
        prefix in 0..PREFIXES.len(),
        currency in 0..CURRENCY.len(),
        suffix in 0..SUFFIXES.len(),
        group: bool,
        wide: bool,
    ) {
        let yuan = fen / 100;
        let number = match decimals {
            0 => yuan.to_string(),
            1 => format!("{yuan}.{}", (fen % 100) / 10),
            _ => format!("{yuan}.{:02}", fen % 100),
        };
        let text = decorate(&number, prefix, currency, suffix, group, wide);
        let expected = Money::parse_yuan(&number).unwrap();
        prop_assert_eq!(normalize_amount(&text), Ok(expected), "{}", text);
    }

    #[test]
    fn three_or_more_decimals_are_never_accepted(
        number in "[0-9]{1,9}\\.[0-9]{3,5}",
        prefix in 0..PREFIXES.len(),
        currency in 0..CURRENCY.len(),
        suffix in 0..SUFFIXES.len(),
        group: bool,
        wide: bool,
    ) {
        let text = decorate(&number, prefix, currency, suffix, group, wide);
        prop_assert!(normalize_amount(&text).is_err(), "{} accepted", text);
    }

    #[test]
    fn signed_amounts_are_never_accepted(
        number in "[0-9]{1,9}(\\.[0-9]{1,2})?",
        sign in prop::sample::select(vec!["-", "+", "−", "－", "＋"]),
        place in 0usize..3,
        prefix in 0..PREFIXES.len(),
        currency in 0..CURRENCY.len(),
        suffix in 0..SUFFIXES.len(),
    ) {
        let text = match place {
            0 => format!("{sign}{}{}{number}{}", PREFIXES[prefix], CURRENCY[currency], SUFFIXES[suffix]),
            1 => format!("{}{}{sign}{number}{}", PREFIXES[prefix], CURRENCY[currency], SUFFIXES[suffix]),
            _ => format!("{}{sign}{}{number}{}", PREFIXES[prefix], CURRENCY[currency], SUFFIXES[suffix]),
        };
        let result = normalize_amount(&text);
        prop_assert!(result.is_err(), "{} accepted as {:?}", text, result);
        if matches!(sign, "-" | "−" | "－") {
            let magnitude = Money::parse_yuan(&number).unwrap();
            prop_assert_eq!(result, Err(AmountTextError::Negative { magnitude: Some(magnitude) }), "{}", text);
        }
    }

    #[test]
    fn never_panics_and_never_negative(text in "\\PC{0,24}") {
        if let Ok(m) = normalize_amount(&text) {
            prop_assert!(!m.is_negative());
        }
    }

    /// A minus sign anywhere before the digits (among the labels and currency marks), or
    /// right after them, gives the negative amount; the payment reader refuses it with the
    /// same magnitude.
    #[test]
    fn negative_totals_keep_their_sign(
        fen in 1i64..100_000_000_000_000,
        decimals in 0usize..3,
        sign in prop::sample::select(vec!["-", "−", "－", "‐", "–"]),
        place in 0usize..4,
        prefix in 0..PREFIXES.len(),
        currency in 0..CURRENCY.len(),
        suffix in 0..SUFFIXES.len(),
        group: bool,
        wide: bool,
        space: bool,
    ) {
        let yuan = fen / 100;
        let number = match decimals {
            0 => yuan.max(1).to_string(),
            1 => format!("{yuan}.{}", ((fen % 100) / 10).max(1)),
            _ => format!("{yuan}.{:02}", (fen % 100).max(1)),
        };
        let magnitude = Money::parse_yuan(&number).unwrap();
        let bare = decorate(&number, 0, 0, 0, group, wide);
        let gap = if space { " " } else { "" };
        let (p, c, s) = (PREFIXES[prefix], CURRENCY[currency], SUFFIXES[suffix]);
        let text = match place {
            0 => format!("{sign}{gap}{p}{c}{bare}{s}"),
            1 => format!("{p}{sign}{gap}{c}{bare}{s}"),
            2 => format!("{p}{c}{sign}{gap}{bare}{s}"),
            _ => format!("{p}{c}{bare}{gap}{sign}{s}"),
        };
        prop_assert_eq!(normalize_signed_amount(&text), Ok(Money::from_fen(-magnitude.fen())), "{}", text);
        prop_assert_eq!(normalize_amount(&text), Err(AmountTextError::Negative { magnitude: Some(magnitude) }), "{}", text);
    }

    /// Whatever the text, the two readers agree, and a text holding a minus sign is never
    /// read as a positive amount.
    #[test]
    fn the_sign_is_never_lost(text in "[-−－+¥￥:合计RMB元 0-9.,]{0,16}") {
        let signed = normalize_signed_amount(&text);
        match (&signed, normalize_amount(&text)) {
            (Ok(s), Ok(p)) => prop_assert!(!s.is_negative() && *s == p, "{}", text),
            (Ok(s), Err(AmountTextError::Negative { magnitude })) => {
                prop_assert!(s.fen() <= 0, "{}", text);
                prop_assert_eq!(magnitude, Some(Money::from_fen(-s.fen())), "{}", text);
            }
            (Ok(s), Err(e)) => prop_assert!(false, "{} signed {:?} but {:?}", text, s, e),
            (Err(_), Ok(p)) => prop_assert!(false, "{} payment {:?} but no signed read", text, p),
            (Err(_), Err(_)) => {}
        }
        let has_minus = text.chars().any(|c| matches!(c, '-' | '−' | '－'));
        if let Ok(s) = signed {
            prop_assert!(!(has_minus && s.is_positive()), "{} read as {}", text, s);
        }
    }

    /// Two signs are refused, whatever their place.
    #[test]
    fn two_signs_are_ambiguous(
        number in "[1-9][0-9]{0,8}(\\.[0-9]{1,2})?",
        first in prop::sample::select(vec!["-", "+", "－"]),
        second in prop::sample::select(vec!["-", "+", "－"]),
        prefix in 0..PREFIXES.len(),
        currency in 0..CURRENCY.len(),
        trailing: bool,
    ) {
        prop_assume!(first != "+" || second != "+");
        // A trailing sign is a minus (accounting style); a trailing `+` is no sign at all.
        prop_assume!(!trailing || second != "+");
        let (p, c) = (PREFIXES[prefix], CURRENCY[currency]);
        let text = if trailing {
            format!("{first}{p}{c}{number}{second}")
        } else {
            format!("{first}{p}{c}{second}{number}")
        };
        prop_assert_eq!(normalize_signed_amount(&text), Err(AmountTextError::AmbiguousSign(text.clone())));
        prop_assert!(normalize_amount(&text).is_err());
    }

    #[test]
    fn ill_grouped_commas_are_refused(
        head in "[1-9][0-9]{0,2}",
        tail in prop::collection::vec("[0-9]{1,5}", 1..4),
    ) {
        prop_assume!(tail.iter().any(|g| g.len() != 3));
        let text = format!("{head},{}", tail.join(","));
        prop_assert!(matches!(normalize_amount(&text), Err(AmountTextError::BadGrouping(_))), "{}", text);
    }
}
