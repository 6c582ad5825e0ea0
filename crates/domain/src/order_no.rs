//! Merchant order and refund numbers (`out_trade_no`, `out_refund_no`) and their generator.
//!
//! Cloud Pay requires every number to start with the sub-merchant's order prefix
//! (`cloud_cashier_id`) and to be at most 32 characters. Ours are
//! `prefix + device tag (4) + yyMMddHHmmss (12, shop time) + sequence (4)`, all `[0-9A-Za-z]`.
//! The generator never goes backwards: when the clock steps back it keeps counting from the
//! last second it used, and after a restart it resumes from the last number it issued (the
//! ledger keeps that number). Orders, refunds, deposits (`out_freeze_no`) and releases
//! (`out_unfreeze_no`) share one sequence, so they never collide.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

/// Longest number Cloud Pay accepts.
pub const MAX_TRADE_NO_LEN: usize = 32;
const DEVICE_TAG_LEN: usize = 4;
const TIME_LEN: usize = 12;
const SEQ_LEN: usize = 4;
const SEQ_MAX: u32 = 9999;

/// Why a trade number or generator setting is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TradeNoError {
    /// Empty number.
    #[error("the order number is empty")]
    Empty,
    /// Longer than 32 characters.
    #[error("order number \"{0}\" is longer than 32 characters")]
    TooLong(String),
    /// A character outside `[0-9A-Za-z]`.
    #[error("order number \"{0}\" may contain only letters and digits")]
    BadChar(String),
    /// The configured prefix leaves no room for the rest of the number.
    #[error("order prefix \"{0}\" is too long (at most 12 characters) or not letters and digits")]
    BadPrefix(String),
}

fn validate(text: &str) -> Result<(), TradeNoError> {
    if text.is_empty() {
        return Err(TradeNoError::Empty);
    }
    if text.len() > MAX_TRADE_NO_LEN {
        return Err(TradeNoError::TooLong(text.to_owned()));
    }
    if !text.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(TradeNoError::BadChar(text.to_owned()));
    }
    Ok(())
}

/// A merchant order number (`out_trade_no`): 1–32 characters of `[0-9A-Za-z]`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderNo(String);

/// A merchant refund number (`out_refund_no`): 1–32 characters of `[0-9A-Za-z]`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RefundNo(String);

/// A merchant deposit (freeze) number (`out_freeze_no`, protocol notes §11.1): 1–32
/// characters of `[0-9A-Za-z]`, from the same generator as order numbers.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FreezeNo(String);

/// A merchant release number (`out_unfreeze_no`, protocol notes §11.5): 1–32 characters of
/// `[0-9A-Za-z]`, a new one per release, from the same generator.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnfreezeNo(String);

macro_rules! trade_no_impls {
    ($t:ident) => {
        impl $t {
            /// Validates and wraps a number.
            pub fn parse(text: &str) -> Result<Self, TradeNoError> {
                validate(text)?;
                Ok($t(text.to_owned()))
            }

            /// The number as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $t {
            type Error = TradeNoError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                validate(&s)?;
                Ok($t(s))
            }
        }

        impl From<$t> for String {
            fn from(n: $t) -> String {
                n.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($t), self.0)
            }
        }

        impl std::str::FromStr for $t {
            type Err = TradeNoError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $t::parse(s)
            }
        }
    };
}

trade_no_impls!(OrderNo);
trade_no_impls!(RefundNo);
trade_no_impls!(FreezeNo);
trade_no_impls!(UnfreezeNo);

/// Where the generator stands: the last (second, sequence) it issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct GeneratorState {
    /// Local-time second (Unix seconds + offset) of the last number.
    pub second: i64,
    /// Sequence within that second, 0 before the first number.
    pub seq: u32,
}

/// Issues order and refund numbers unique per device.
#[derive(Debug, Clone)]
pub struct OrderNoGenerator {
    prefix: String,
    device_tag: String,
    offset_seconds: i32,
    state: GeneratorState,
}

impl OrderNoGenerator {
    /// A generator for `prefix` (the sub-merchant's Cloud Pay order prefix) and `device_id`,
    /// printing time at `offset_seconds` from UTC.
    pub fn new(prefix: &str, device_id: &str, offset_seconds: i32) -> Result<Self, TradeNoError> {
        let room = MAX_TRADE_NO_LEN - DEVICE_TAG_LEN - TIME_LEN - SEQ_LEN;
        if prefix.len() > room || !prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(TradeNoError::BadPrefix(prefix.to_owned()));
        }
        Ok(OrderNoGenerator {
            prefix: prefix.to_owned(),
            device_tag: device_tag(device_id),
            offset_seconds,
            state: GeneratorState::default(),
        })
    }

    /// The four-character tag this generator puts after the prefix.
    #[must_use]
    pub fn device_tag(&self) -> &str {
        &self.device_tag
    }

    /// The current state (the last number issued).
    #[must_use]
    pub const fn state(&self) -> GeneratorState {
        self.state
    }

    /// Makes sure the next number comes after `issued`, a number this generator (this
    /// prefix and device) issued earlier, possibly in an earlier run. Numbers of another
    /// shape are ignored. Returns whether the state moved.
    pub fn resume_after(&mut self, issued: &str) -> bool {
        match self.decode(issued) {
            Some(state) if state > self.state => {
                self.state = state;
                true
            }
            _ => false,
        }
    }

    /// The next order number for an order created at `now`.
    pub fn next_order_no(&mut self, now: Timestamp) -> OrderNo {
        OrderNo(self.next_text(now))
    }

    /// The next refund number for a refund created at `now`.
    pub fn next_refund_no(&mut self, now: Timestamp) -> RefundNo {
        RefundNo(self.next_text(now))
    }

    /// The next deposit number for a freeze created at `now`.
    pub fn next_freeze_no(&mut self, now: Timestamp) -> FreezeNo {
        FreezeNo(self.next_text(now))
    }

    /// The next release number for an unfreeze created at `now`.
    pub fn next_unfreeze_no(&mut self, now: Timestamp) -> UnfreezeNo {
        UnfreezeNo(self.next_text(now))
    }

    fn next_text(&mut self, now: Timestamp) -> String {
        let second = now.unix_seconds() + i64::from(self.offset_seconds);
        let next = if second > self.state.second {
            GeneratorState { second, seq: 1 }
        } else if self.state.seq < SEQ_MAX {
            // Same second, or the clock stepped back: keep counting from where we were.
            GeneratorState {
                second: self.state.second,
                seq: self.state.seq + 1,
            }
        } else {
            // Sequence exhausted within one second: borrow the next second.
            GeneratorState {
                second: self.state.second + 1,
                seq: 1,
            }
        };
        self.state = next;
        format!(
            "{}{}{}{:04}",
            self.prefix,
            self.device_tag,
            format_local_second(next.second),
            next.seq
        )
    }

    fn decode(&self, issued: &str) -> Option<GeneratorState> {
        let rest = issued.strip_prefix(&self.prefix)?;
        let rest = rest.strip_prefix(&self.device_tag)?;
        if rest.len() != TIME_LEN + SEQ_LEN || !rest.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (time, seq) = rest.split_at(TIME_LEN);
        Some(GeneratorState {
            second: parse_local_second(time)?,
            seq: seq.parse().ok()?,
        })
    }
}

/// Four base-36 characters derived from the whole device id (FNV-1a), so two devices
/// whose ids differ only early on still get different tags.
fn device_tag(device_id: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in device_id.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut tag = String::with_capacity(DEVICE_TAG_LEN);
    for _ in 0..DEVICE_TAG_LEN {
        tag.push(char::from(DIGITS[(hash % 36) as usize]));
        hash /= 36;
    }
    tag
}

/// `yyMMddHHmmss` of a local second (Unix seconds already shifted to local time).
fn format_local_second(local: i64) -> String {
    match Timestamp::from_unix_seconds(local).civil(0) {
        Some(c) => format!(
            "{:02}{:02}{:02}{:02}{:02}{:02}",
            c.year.rem_euclid(100),
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.second
        ),
        None => "000000000000".to_owned(),
    }
}

fn parse_local_second(text: &str) -> Option<i64> {
    let field = |i: usize| -> Option<i64> { text.get(i..i + 2)?.parse().ok() };
    let formatted = format!(
        "20{:02}-{:02}-{:02} {:02}:{:02}:{:02}",
        field(0)?,
        field(2)?,
        field(4)?,
        field(6)?,
        field(8)?,
        field(10)?
    );
    Timestamp::parse_local(&formatted, 0)
        .ok()
        .map(Timestamp::unix_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::CHINA_OFFSET_SECONDS;
    use proptest::prelude::*;
    use std::collections::HashSet;

    const NOW: i64 = 1_795_324_938_000; // 2026-11-22 13:22:18 +08:00

    fn generator() -> OrderNoGenerator {
        OrderNoGenerator::new("sz0100", "pos-1", CHINA_OFFSET_SECONDS).unwrap()
    }

    #[test]
    fn numbers_have_the_documented_shape() {
        let mut g = generator();
        let no = g.next_order_no(Timestamp::from_unix_millis(NOW));
        let text = no.as_str();
        assert!(text.starts_with("sz0100"));
        assert_eq!(&text[6..10], g.device_tag());
        assert_eq!(&text[10..22], "261122132218");
        assert_eq!(&text[22..], "0001");
        assert!(text.len() <= 32);
        assert!(OrderNo::parse(text).is_ok());
    }

    #[test]
    fn validation() {
        assert_eq!(OrderNo::parse(""), Err(TradeNoError::Empty));
        assert!(matches!(
            OrderNo::parse(&"a".repeat(33)),
            Err(TradeNoError::TooLong(_))
        ));
        assert!(matches!(
            OrderNo::parse("ab-1"),
            Err(TradeNoError::BadChar(_))
        ));
        assert!(OrderNo::parse(&"a".repeat(32)).is_ok());
        assert!(matches!(
            OrderNoGenerator::new("abcdefghijklm", "d", 0),
            Err(TradeNoError::BadPrefix(_))
        ));
        assert!(matches!(
            OrderNoGenerator::new("sz_01", "d", 0),
            Err(TradeNoError::BadPrefix(_))
        ));
        assert!(serde_json::from_str::<OrderNo>("\"x y\"").is_err());
    }

    #[test]
    fn clock_stepping_back_never_repeats() {
        let mut g = generator();
        let a = g.next_order_no(Timestamp::from_unix_millis(NOW));
        let b = g.next_order_no(Timestamp::from_unix_millis(NOW - 3_600_000));
        assert!(b.as_str() > a.as_str());
        assert_eq!(&b.as_str()[10..22], &a.as_str()[10..22]);
    }

    #[test]
    fn exhausted_second_borrows_the_next() {
        let mut g = generator();
        let now = Timestamp::from_unix_millis(NOW);
        let mut seen = HashSet::new();
        for _ in 0..10_050 {
            assert!(seen.insert(g.next_order_no(now)));
        }
        assert_eq!(g.state().second, NOW / 1000 + 8 * 3600 + 1);
    }

    #[test]
    fn resumes_after_a_restart() {
        let mut g = generator();
        let now = Timestamp::from_unix_millis(NOW);
        let first = g.next_order_no(now);
        let second = g.next_refund_no(now);
        let mut restarted = generator();
        assert!(restarted.resume_after(first.as_str()));
        assert!(restarted.resume_after(second.as_str()));
        assert!(
            !restarted.resume_after(first.as_str()),
            "never moves backwards"
        );
        assert!(!restarted.resume_after("foreign0000"));
        let next = restarted.next_order_no(now);
        assert!(next.as_str() > second.as_str());
    }

    #[test]
    fn different_devices_get_different_tags() {
        let a = OrderNoGenerator::new("p", "store1-device-0001", 0).unwrap();
        let b = OrderNoGenerator::new("p", "store2-device-0001", 0).unwrap();
        assert_ne!(a.device_tag(), b.device_tag());
    }

    proptest! {
        /// Any sequence of clock readings (jumps forward and back, restarts in between)
        /// yields strictly increasing, hence unique, numbers.
        #[test]
        fn unique_across_clock_steps_and_restarts(
            steps in proptest::collection::vec((-5_000_000i64..5_000_000, any::<bool>()), 1..300)
        ) {
            let mut g = generator();
            let mut last: Option<String> = None;
            let mut now = NOW;
            for (delta, restart) in steps {
                now += delta;
                if restart {
                    let mut fresh = generator();
                    if let Some(l) = &last { fresh.resume_after(l); }
                    g = fresh;
                }
                let no = g.next_order_no(Timestamp::from_unix_millis(now)).to_string();
                prop_assert!(no.len() <= MAX_TRADE_NO_LEN);
                if let Some(l) = &last { prop_assert!(no > *l, "{no} after {l}"); }
                last = Some(no);
            }
        }
    }
}
