//! Property tests of the framer: however the stream is split into reads, whatever garbage
//! sits between lines, every code comes out exactly once and unchanged; a line spoiled by
//! garbage or too long never yields a code, and never harms its neighbours.

use std::time::Duration;

use cloudpos_scanner_box::{Frame, FramerConfig, LineFramer};
use proptest::prelude::*;

fn terminator() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![Just(&b"\r"[..]), Just(&b"\n"[..]), Just(&b"\r\n"[..])]
}

/// Bytes that are neither printable ASCII nor CR/LF.
fn garbage() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![0u8..=9, 11u8..=12, 14u8..=31, Just(127u8), 128u8..=255],
        0..6,
    )
}

fn code() -> impl Strategy<Value = String> {
    "[0-9A-Za-z]{1,64}"
}

/// A line: the code, or (when spoiled) the code with a garbage byte inside or too long.
#[derive(Debug, Clone)]
enum Line {
    Good(String),
    Spoiled(Vec<u8>),
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        6 => code().prop_map(Line::Good),
        1 => (code(), 128u8..=255, any::<prop::sample::Index>()).prop_map(|(c, g, at)| {
            let mut b = c.into_bytes();
            let i = at.index(b.len() + 1).max(1).min(b.len());
            b.insert(i, g);
            Line::Spoiled(b)
        }),
        1 => "[0-9]{65,100}".prop_map(|s| Line::Spoiled(s.into_bytes())),
    ]
}

/// Feeds `stream` in chunks cut at `cuts`, 10 ms apart.
fn feed(stream: &[u8], cuts: &[prop::sample::Index]) -> Vec<Frame> {
    let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
    points.push(0);
    points.push(stream.len());
    points.sort_unstable();
    points.dedup();
    let mut framer = LineFramer::new(FramerConfig {
        max_len: 64,
        partial_timeout: Duration::from_millis(500),
    });
    let mut out = Vec::new();
    for (n, w) in points.windows(2).enumerate() {
        out.extend(framer.push(&stream[w[0]..w[1]], Duration::from_millis(10 * n as u64)));
    }
    out
}

fn codes(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Code(c) => Some(c.clone()),
            Frame::Discarded(_) => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_code_survives_splits_and_garbage_between_lines(
        lines in proptest::collection::vec((code(), terminator(), garbage()), 1..8),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut stream = Vec::new();
        for (code, term, junk) in &lines {
            stream.extend_from_slice(junk);
            stream.extend_from_slice(code.as_bytes());
            stream.extend_from_slice(term);
        }
        let expected: Vec<String> = lines.iter().map(|(c, _, _)| c.clone()).collect();
        prop_assert_eq!(codes(&feed(&stream, &cuts)), expected);
    }

    #[test]
    fn spoiled_lines_never_yield_codes(
        lines in proptest::collection::vec((line(), terminator()), 1..8),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for (line, term) in &lines {
            match line {
                Line::Good(c) => {
                    stream.extend_from_slice(c.as_bytes());
                    expected.push(c.clone());
                }
                Line::Spoiled(b) => stream.extend_from_slice(b),
            }
            stream.extend_from_slice(term);
        }
        let out = feed(&stream, &cuts);
        prop_assert_eq!(codes(&out), expected);
        let spoiled = lines.iter().filter(|(l, _)| matches!(l, Line::Spoiled(_))).count();
        let discarded = out.iter().filter(|f| matches!(f, Frame::Discarded(_))).count();
        prop_assert_eq!(discarded, spoiled, "{:?}", out);
    }
}
