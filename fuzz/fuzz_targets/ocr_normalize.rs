//! The OCR amount normaliser (`normalize_amount`) and serial normaliser on arbitrary UTF-8.
//!
//! Checks, for every input:
//! - no panic;
//! - an accepted amount is never negative, and formatting it back then normalising gives the
//!   same amount (the strict parser round-trips through the lenient one);
//! - decorations that the normaliser documents as lenient (`¥`, `￥`, `合计:`, `元`, spaces)
//!   around an accepted amount do not change it;
//! - text with a minus sign before the digits is never accepted as a positive amount;
//! - a serial number, when one is left, is non-empty and has no whitespace.
#![no_main]

use cloudpos_capture::{normalize_amount, normalize_serial};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(money) = normalize_amount(text) {
        assert!(money.fen() >= 0, "{text:?} gave a negative amount");
        let back = money.to_string();
        assert_eq!(
            normalize_amount(&back).ok(),
            Some(money),
            "{text:?} -> {back:?} does not read back"
        );
        for decorated in [
            format!("¥{back}"),
            format!("￥ {back}"),
            format!("合计: {back}"),
            format!("{back}元"),
            format!("  {back}  "),
        ] {
            assert_eq!(
                normalize_amount(&decorated).ok(),
                Some(money),
                "{decorated:?} differs from {back:?}"
            );
        }
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            !compact.starts_with('-') && !compact.starts_with('－'),
            "{text:?} has a minus sign but was accepted"
        );
    }
    if let Some(serial) = normalize_serial(text) {
        assert!(!serial.is_empty(), "{text:?}: empty serial");
        assert!(
            !serial.chars().any(char::is_whitespace),
            "{text:?}: serial {serial:?} has spaces"
        );
    }
});
