//! Property tests of the wedge-scanner detector with generated timings.
//!
//! - Scanners: 16–64 code characters, 1–30 ms between keys plus jitter (now and then a USB
//!   hiccup up to the 50 ms limit), Enter within the same gap: always one code, nothing else.
//! - People: 80 ms – 1.5 s between keys, with occasional roll-overs (up to three keys in a
//!   row typed under 50 ms apart, as fast typists do): never a code, every key passed through
//!   unchanged and in order.
//! - Mixed: a person types, pauses, a scan comes, the person types again: exactly the scan is
//!   reported, and the person's keys come through around it, in order.
//! - Bursts longer than `max_len`, or with a character that cannot be in a code, are never
//!   (partly) taken for a code.

use std::time::Duration;

use cloudpos_input::{Detected, DetectorConfig, KeyStroke, ScanBurst, WedgeDetector, WedgeKey};
use proptest::prelude::*;

const CONFIG_GAP_MS: u64 = 50;

fn config() -> DetectorConfig {
    DetectorConfig::default()
}

/// A key a person may press.
fn human_key() -> impl Strategy<Value = WedgeKey> {
    prop_oneof![
        8 => proptest::char::ranges(vec!['0'..='9'].into()).prop_map(WedgeKey::Char),
        3 => proptest::char::ranges(vec!['a'..='z', 'A'..='Z'].into()).prop_map(WedgeKey::Char),
        1 => Just(WedgeKey::Enter),
        1 => Just(WedgeKey::Char('.')),
        1 => (0xff08u32..0xff10).prop_map(WedgeKey::Other),
    ]
}

/// Gaps between a person's keys: mostly 80 ms – 1.5 s, sometimes a roll-over under 50 ms,
/// never more than three fast gaps in a row.
fn human_gaps(n: usize) -> impl Strategy<Value = Vec<u64>> {
    proptest::collection::vec(prop_oneof![9 => 80u64..1500, 2 => 0u64..=CONFIG_GAP_MS], n).prop_map(
        |mut gaps| {
            let mut run = 0;
            for g in &mut gaps {
                if *g <= CONFIG_GAP_MS {
                    run += 1;
                    if run > 3 {
                        *g += 80;
                        run = 0;
                    }
                } else {
                    run = 0;
                }
            }
            gaps
        },
    )
}

/// A person's typing: keys with gaps (the first gap is the pause before the first key).
fn human_typing(max_len: usize) -> impl Strategy<Value = Vec<(WedgeKey, u64)>> {
    (0..=max_len).prop_flat_map(|n| {
        (proptest::collection::vec(human_key(), n), human_gaps(n))
            .prop_map(|(keys, gaps)| keys.into_iter().zip(gaps).collect())
    })
}

/// Gaps of a scanner: 1–30 ms plus up to 15 ms jitter, sometimes a hiccup to the limit.
fn scanner_gap() -> impl Strategy<Value = u64> {
    prop_oneof![
        20 => (1u64..=30, 0u64..=15).prop_map(|(base, jitter)| base + jitter),
        1 => 40u64..=CONFIG_GAP_MS,
    ]
}

/// A code a scanner types, with the gaps before each of its characters and before Enter.
fn scan() -> impl Strategy<Value = (String, Vec<u64>)> {
    "[0-9]{16,24}|[0-9A-Za-z]{16,64}".prop_flat_map(|code| {
        let n = code.len() + 1;
        (Just(code), proptest::collection::vec(scanner_gap(), n))
    })
}

/// Turns (key, gap) pairs into strokes starting after `*now`, advancing `*now`.
fn place(keys: &[(WedgeKey, u64)], now: &mut u64) -> Vec<KeyStroke> {
    keys.iter()
        .map(|&(key, gap)| {
            *now += gap;
            KeyStroke {
                key,
                at: Duration::from_millis(*now),
            }
        })
        .collect()
}

fn scan_keys(code: &str, gaps: &[u64]) -> Vec<(WedgeKey, u64)> {
    code.chars()
        .map(WedgeKey::Char)
        .chain(std::iter::once(WedgeKey::Enter))
        .zip(gaps.iter().copied())
        .collect()
}

/// Runs the detector over strokes, polling between them as a real caller would, then flushes.
fn run(strokes: &[KeyStroke]) -> Vec<Detected> {
    let mut d = WedgeDetector::new(config());
    let mut out = Vec::new();
    for s in strokes {
        if let Some(deadline) = d.deadline()
            && deadline <= s.at
        {
            out.extend(d.poll(deadline));
        }
        d.feed_into(*s, &mut out);
    }
    out.extend(d.flush());
    out
}

fn codes(out: &[Detected]) -> Vec<&ScanBurst> {
    out.iter()
        .filter_map(|d| match d {
            Detected::Code(c) => Some(c),
            Detected::Key(_) => None,
        })
        .collect()
}

fn passed_keys(out: &[Detected]) -> Vec<KeyStroke> {
    out.iter()
        .filter_map(|d| match d {
            Detected::Key(k) => Some(*k),
            Detected::Code(_) => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn scanner_bursts_are_always_detected((code, gaps) in scan(), start in 0u64..10_000_000) {
        let mut now = start;
        let strokes = place(&scan_keys(&code, &gaps), &mut now);
        let out = run(&strokes);
        prop_assert_eq!(out.len(), 1, "{:?}", out);
        let found = codes(&out);
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(&found[0].text, &code);
        prop_assert_eq!(found[0].started, strokes[0].at);
        prop_assert_eq!(found[0].ended, strokes[strokes.len() - 1].at);
    }

    #[test]
    fn human_typing_is_never_a_code(typing in human_typing(120), start in 0u64..10_000_000) {
        let mut now = start;
        let strokes = place(&typing, &mut now);
        let out = run(&strokes);
        prop_assert!(codes(&out).is_empty(), "{:?}", codes(&out));
        prop_assert_eq!(passed_keys(&out), strokes, "every key passes through, in order");
    }

    #[test]
    fn typing_then_scan_then_typing_is_split(
        before in human_typing(30),
        (code, gaps) in scan(),
        after in human_typing(30),
        pause_before in 80u64..3000,
        pause_after in 80u64..3000,
    ) {
        let mut now = 0;
        let first = place(&before, &mut now);
        now += pause_before;
        let mut scan = scan_keys(&code, &gaps);
        scan[0].1 = 0;
        let scanned = place(&scan, &mut now);
        now += pause_after;
        let mut after = after;
        if let Some(k) = after.first_mut() {
            k.1 = 0;
        }
        let last = place(&after, &mut now);

        let mut all = first.clone();
        all.extend(scanned.iter().copied());
        all.extend(last.iter().copied());
        let out = run(&all);

        // Exactly the scan, then everything the person typed, around it and in order.
        let found = codes(&out);
        prop_assert_eq!(found.len(), 1, "{:?}", out);
        prop_assert_eq!(&found[0].text, &code);
        let code_at = out.iter().position(|d| matches!(d, Detected::Code(_))).unwrap();
        let keys_before: Vec<KeyStroke> = passed_keys(&out[..code_at]);
        let keys_after: Vec<KeyStroke> = passed_keys(&out[code_at + 1..]);
        prop_assert_eq!(keys_before, first);
        prop_assert_eq!(keys_after, last);
    }

    #[test]
    fn overlong_or_impure_bursts_are_never_codes(
        body in "[0-9]{65,120}|[0-9]{1,20}[-/:. ][0-9]{16,40}",
        gap in 1u64..=CONFIG_GAP_MS,
    ) {
        let keys: Vec<(WedgeKey, u64)> = body
            .chars()
            .map(WedgeKey::Char)
            .chain(std::iter::once(WedgeKey::Enter))
            .map(|k| (k, gap))
            .collect();
        let mut now = 1_000;
        let strokes = place(&keys, &mut now);
        let out = run(&strokes);
        prop_assert!(codes(&out).is_empty(), "{:?}", codes(&out));
        prop_assert_eq!(passed_keys(&out), strokes);
    }

    #[test]
    fn consecutive_scans_each_detected(
        scans in proptest::collection::vec(scan(), 1..5),
        pauses in proptest::collection::vec(0u64..2000, 5),
    ) {
        // Scans right after each other (even with no pause after the Enter) or spaced out.
        let mut now = 0;
        let mut all = Vec::new();
        for (i, (code, gaps)) in scans.iter().enumerate() {
            let mut keys = scan_keys(code, gaps);
            keys[0].1 = pauses[i];
            all.extend(place(&keys, &mut now));
        }
        let out = run(&all);
        let texts: Vec<&str> = codes(&out).iter().map(|c| c.text.as_str()).collect();
        let expected: Vec<&str> = scans.iter().map(|(c, _)| c.as_str()).collect();
        prop_assert_eq!(texts, expected);
        prop_assert_eq!(out.len(), scans.len());
    }
}
