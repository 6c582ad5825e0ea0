//! `Money::parse_yuan` / `parse_signed_yuan` on arbitrary UTF-8.
//!
//! Checks, for every input:
//! - no panic;
//! - every `Ok` round-trips: `to_string()` then the same parser gives the same value;
//! - the parsers agree with an independent reference grammar
//!   (`-?[0-9]+(\.[0-9]{1,2})?`, magnitude ≤ i64::MAX fen, computed in i128): an input the
//!   reference accepts must parse to the reference's value, and an input it rejects must not
//!   parse;
//! - `parse_yuan` accepts exactly the unsigned inputs `parse_signed_yuan` accepts, with the
//!   same value, and never returns a negative amount.
#![no_main]

use cloudpos_domain::money::Money;
use libfuzzer_sys::fuzz_target;

/// The reference: `Some(fen)` when `text` is a well-formed amount that fits.
fn reference(text: &str, allow_minus: bool) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) if allow_minus => (true, rest),
        Some(_) => return None,
        None => (false, text),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) {
        return None;
    }
    if let Some(f) = frac
        && (!all_digits(f) || f.len() > 2)
    {
        return None;
    }
    let mut fen: i128 = 0;
    for b in int.bytes() {
        fen = fen * 10 + i128::from(b - b'0');
        if fen > i128::from(i64::MAX) {
            return None;
        }
    }
    let frac = frac.unwrap_or("");
    for i in 0..2 {
        let digit = frac.as_bytes().get(i).map_or(0, |b| i128::from(b - b'0'));
        fen = fen * 10 + digit;
    }
    if fen > i128::from(i64::MAX) {
        return None;
    }
    let fen = i64::try_from(fen).ok()?;
    Some(if negative { -fen } else { fen })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let unsigned = Money::parse_yuan(text);
    let signed = Money::parse_signed_yuan(text);

    for (result, allow_minus) in [(&unsigned, false), (&signed, true)] {
        match (result, reference(text, allow_minus)) {
            (Ok(m), Some(fen)) => assert_eq!(m.fen(), fen, "{text:?} (signed: {allow_minus})"),
            (Ok(m), None) => panic!("{text:?} parsed to {m:?} but is not a valid amount"),
            (Err(e), Some(fen)) => panic!("{text:?} ({fen} fen) rejected: {e}"),
            (Err(e), None) => {
                // The error quotes the input and renders without panicking.
                assert_eq!(e.input, text);
                let _ = e.to_string();
            }
        }
        if let Ok(m) = result {
            let printed = m.to_string();
            let again = if allow_minus {
                Money::parse_signed_yuan(&printed)
            } else {
                Money::parse_yuan(&printed)
            };
            assert_eq!(again.as_ref(), Ok(m), "{text:?} → {printed:?} does not round-trip");
            assert_eq!(m.to_yuan_string(), printed);
        }
    }
    if let Ok(m) = &unsigned {
        assert!(!m.is_negative(), "{text:?}: parse_yuan gave {m:?}");
        assert_eq!(signed.as_ref(), Ok(m), "{text:?}: the two parsers disagree");
    }
    if let Ok(m) = &signed
        && !text.starts_with('-')
    {
        assert_eq!(unsigned.as_ref(), Ok(m), "{text:?}: the two parsers disagree");
    }
    // `FromStr` is `parse_yuan`.
    assert_eq!(text.parse::<Money>(), unsigned);
});
