//! `CodeTable::default().classify` on arbitrary UTF-8.
//!
//! For every `Ok`: the code is the trimmed input, made of ASCII digits only; the first rule
//! whose prefix matches (the table is tried in order) is a wallet rule of the same wallet,
//! and the code's length is within that rule's `min_len..=max_len`; the masked form keeps
//! the length and hides the middle. For every `Err`: the message renders, and an input the
//! oracle accepts is never refused.
#![no_main]

use std::sync::LazyLock;

use cloudpos_domain::code::{CodeError, CodeScheme, CodeTable, mask_code};
use libfuzzer_sys::fuzz_target;

static TABLE: LazyLock<CodeTable> = LazyLock::new(CodeTable::default);

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let table = &*TABLE;
    let trimmed = raw.trim();
    let first_rule = table
        .rules
        .iter()
        .find(|r| r.prefixes.iter().any(|p| trimmed.starts_with(p.as_str())));
    let digits_only = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit());
    // The oracle: what the published rules say about this text.
    let expected_wallet = match (digits_only, first_rule) {
        (true, Some(rule)) => match &rule.scheme {
            CodeScheme::Wallet(w) if (rule.min_len..=rule.max_len).contains(&trimmed.len()) => {
                Some(*w)
            }
            _ => None,
        },
        _ => None,
    };

    match table.classify(raw) {
        Ok(code) => {
            let s = code.as_str();
            assert_eq!(s, trimmed, "the code is the trimmed input");
            assert!(
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
                "{s:?} is not all digits"
            );
            let rule = first_rule.expect("an accepted code matches a rule's prefix");
            assert_eq!(rule.scheme, CodeScheme::Wallet(code.wallet()), "{s:?}");
            assert!(
                (rule.min_len..=rule.max_len).contains(&s.len()),
                "{s:?}: length {} outside {}..={}",
                s.len(),
                rule.min_len,
                rule.max_len
            );
            assert_eq!(expected_wallet, Some(code.wallet()), "{s:?}");
            let masked = code.masked();
            assert_eq!(masked, mask_code(s));
            assert_eq!(masked.chars().count(), s.chars().count());
            if s.len() > 8 {
                assert_eq!(&masked[..4], &s[..4]);
                assert_eq!(&masked[masked.len() - 4..], &s[s.len() - 4..]);
                assert!(masked[4..masked.len() - 4].bytes().all(|b| b == b'*'));
            }
            // Debug never shows the whole code.
            let debug = format!("{code:?}");
            if s.len() > 8 {
                assert!(!debug.contains(s), "{debug}");
            }
        }
        Err(e) => {
            assert_eq!(expected_wallet, None, "{raw:?} refused: {e}");
            if let CodeError::NotDigits { position, .. } = &e {
                assert!(*position >= 1 && *position <= trimmed.chars().count());
            }
            let _ = e.to_string();
        }
    }
});
