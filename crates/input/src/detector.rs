//! Tells a keyboard-wedge scanner from a person typing, by key timing alone.
//!
//! A wedge scanner "types" a code at machine speed — a few milliseconds to ~30 ms between
//! keys — and presses Enter; a person needs 80 ms or more between keys, even when typing
//! fast. [`WedgeDetector`] is a pure state machine fed with [`KeyStroke`]s (a key and a
//! monotonic timestamp): it holds back keys that could be the start of a scan, and yields
//! either a [`Detected::Code`] (a complete burst: at least `min_len` code characters, every
//! gap at most `max_key_gap_ms`, ended by Enter within the same gap) or the held keys
//! unchanged as [`Detected::Key`], in their original order, as soon as they cannot be a
//! scan any more. Human typing therefore passes through untouched, only delayed by at most
//! one key gap (call [`WedgeDetector::poll`] to release keys when no further key comes).
//!
//! Rules, in order of precedence:
//! - a gap longer than `max_key_gap_ms` ends any burst: held keys are released;
//! - a burst may only start after such a pause or right after Enter: a key that cannot be
//!   part of a code (another key, a disallowed character, a too-long burst) *taints* the
//!   burst, and every following fast key passes through until the next pause or Enter (so
//!   the tail of a long QR text or of `ABC-123…` is never taken for a code);
//! - Enter (and Tab when `tab_terminates`) ends a burst: with `min_len..=max_len` held
//!   characters of an untainted burst it is a code (the Enter is consumed), otherwise
//!   everything is released, the Enter included.
//!
//! Modifier keys (Shift for upper-case letters) must not be fed: the caller folds them into
//! the characters. Timestamps must be monotonic; a key stamped earlier than the previous one
//! counts as a gap of zero.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which characters a code may contain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeChars {
    /// `0`–`9` only (every wallet code is digits).
    Digits,
    /// ASCII letters and digits (also receipt order numbers such as `CP01POS…`).
    #[default]
    Alphanumeric,
}

impl CodeChars {
    /// Whether `c` may be part of a code.
    #[must_use]
    pub fn allows(self, c: char) -> bool {
        match self {
            CodeChars::Digits => c.is_ascii_digit(),
            CodeChars::Alphanumeric => c.is_ascii_alphanumeric(),
        }
    }
}

/// Thresholds of the detector (part of the key settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectorConfig {
    /// The largest gap between two keys of one scan, in milliseconds (default 50: scanners
    /// stay under ~30 ms, people above ~80 ms).
    pub max_key_gap_ms: u32,
    /// The fewest characters of a code (default 16, the shortest wallet code; shorter
    /// bursts such as EAN-13 product barcodes scanned into the host POS pass through).
    pub min_len: usize,
    /// The most characters of a code (default 64).
    pub max_len: usize,
    /// Allowed characters.
    pub chars: CodeChars,
    /// Whether Tab also ends a scan (for scanners configured with a Tab suffix).
    pub tab_terminates: bool,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            max_key_gap_ms: 50,
            min_len: 16,
            max_len: 64,
            chars: CodeChars::Alphanumeric,
            tab_terminates: false,
        }
    }
}

/// Why detector thresholds were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scanner detection: {0}")]
pub struct DetectorConfigError(pub String);

impl DetectorConfig {
    /// The largest gap as a duration.
    #[must_use]
    pub fn max_key_gap(&self) -> Duration {
        Duration::from_millis(u64::from(self.max_key_gap_ms))
    }

    /// Checks the thresholds are usable.
    ///
    /// # Errors
    /// Which threshold is out of range.
    pub fn validate(&self) -> Result<(), DetectorConfigError> {
        if !(5..=500).contains(&self.max_key_gap_ms) {
            return Err(DetectorConfigError(format!(
                "the key gap {} ms is out of range (5–500 ms; scanners need about 30 ms, people type slower than 80 ms)",
                self.max_key_gap_ms
            )));
        }
        if self.min_len < 4 {
            return Err(DetectorConfigError(format!(
                "the shortest code ({} characters) must be at least 4",
                self.min_len
            )));
        }
        if self.max_len < self.min_len || self.max_len > 1024 {
            return Err(DetectorConfigError(format!(
                "the longest code ({}) must be between the shortest ({}) and 1024",
                self.max_len, self.min_len
            )));
        }
        Ok(())
    }
}

/// A key as the detector sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WedgeKey {
    /// A key that types this character (with Shift already applied).
    Char(char),
    /// Enter (main or keypad).
    Enter,
    /// Tab.
    Tab,
    /// Any other key; the number is the caller's own key code, handed back unchanged.
    Other(u32),
}

/// A key press and when it happened (monotonic time since any fixed origin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyStroke {
    /// The key.
    pub key: WedgeKey,
    /// When.
    pub at: Duration,
}

impl KeyStroke {
    /// A stroke at `at_ms` milliseconds.
    #[must_use]
    pub fn at_ms(key: WedgeKey, at_ms: u64) -> KeyStroke {
        KeyStroke {
            key,
            at: Duration::from_millis(at_ms),
        }
    }
}

/// A scan found by the detector.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScanBurst {
    /// The code (without the Enter).
    pub text: String,
    /// Time of its first key.
    pub started: Duration,
    /// Time of the Enter.
    pub ended: Duration,
}

/// What the detector yields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Detected {
    /// A key that is not part of a scan, unchanged.
    Key(KeyStroke),
    /// A scanned code.
    Code(ScanBurst),
}

/// The scanner-or-person state machine. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct WedgeDetector {
    config: DetectorConfig,
    gap: Duration,
    held: Vec<KeyStroke>,
    last_at: Option<Duration>,
    tainted: bool,
}

impl WedgeDetector {
    /// A detector with these thresholds (not validated: see [`DetectorConfig::validate`]).
    #[must_use]
    pub fn new(config: DetectorConfig) -> WedgeDetector {
        let gap = config.max_key_gap();
        WedgeDetector {
            config,
            gap,
            held: Vec::new(),
            last_at: None,
            tainted: false,
        }
    }

    /// The thresholds.
    #[must_use]
    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// Feeds one key; returns what became certain (possibly nothing while a burst is held).
    pub fn feed(&mut self, stroke: KeyStroke) -> Vec<Detected> {
        let mut out = Vec::new();
        self.feed_into(stroke, &mut out);
        out
    }

    /// [`WedgeDetector::feed`] appending to `out`.
    pub fn feed_into(&mut self, stroke: KeyStroke, out: &mut Vec<Detected>) {
        let fast = self
            .last_at
            .is_some_and(|last| stroke.at.saturating_sub(last) <= self.gap);
        if !fast {
            self.release(out);
            self.tainted = false;
        }
        self.last_at = Some(stroke.at);
        let terminator = match stroke.key {
            WedgeKey::Enter => true,
            WedgeKey::Tab => self.config.tab_terminates,
            _ => false,
        };
        match stroke.key {
            WedgeKey::Char(c) if !self.tainted && self.config.chars.allows(c) => {
                self.held.push(stroke);
                if self.held.len() > self.config.max_len {
                    self.release(out);
                    self.tainted = true;
                }
            }
            _ if terminator && !self.tainted && self.held.len() >= self.config.min_len => {
                let text: String = self
                    .held
                    .iter()
                    .filter_map(|k| match k.key {
                        WedgeKey::Char(c) => Some(c),
                        _ => None,
                    })
                    .collect();
                let started = self.held.first().map_or(stroke.at, |k| k.at);
                self.held.clear();
                out.push(Detected::Code(ScanBurst {
                    text,
                    started,
                    ended: stroke.at,
                }));
            }
            _ => {
                self.release(out);
                out.push(Detected::Key(stroke));
                // A terminator ends the burst, good or not: a scan may follow at once.
                self.tainted = !terminator;
            }
        }
    }

    /// Releases held keys if no key came within the gap before `now`.
    pub fn poll(&mut self, now: Duration) -> Vec<Detected> {
        let mut out = Vec::new();
        if let Some(last) = self.last_at
            && now.saturating_sub(last) > self.gap
        {
            self.release(&mut out);
            self.tainted = false;
        }
        out
    }

    /// When [`WedgeDetector::poll`] should next be called, if keys are held.
    #[must_use]
    pub fn deadline(&self) -> Option<Duration> {
        match (self.held.is_empty(), self.last_at) {
            (false, Some(last)) => Some(last + self.gap + Duration::from_millis(1)),
            _ => None,
        }
    }

    /// Releases every held key now (e.g. when input stops).
    pub fn flush(&mut self) -> Vec<Detected> {
        let mut out = Vec::new();
        self.release(&mut out);
        out
    }

    /// Forgets held keys and timing without releasing them (e.g. when our window takes
    /// the focus and its own input handling takes over).
    pub fn reset(&mut self) {
        self.held.clear();
        self.last_at = None;
        self.tainted = false;
    }

    /// Whether keys are held back.
    #[must_use]
    pub fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    fn release(&mut self, out: &mut Vec<Detected>) {
        out.extend(self.held.drain(..).map(Detected::Key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strokes(text: &str, start: u64, gap: u64) -> Vec<KeyStroke> {
        text.chars()
            .enumerate()
            .map(|(i, c)| {
                let key = match c {
                    '\n' => WedgeKey::Enter,
                    '\t' => WedgeKey::Tab,
                    '#' => WedgeKey::Other(0xff08),
                    c => WedgeKey::Char(c),
                };
                KeyStroke::at_ms(key, start + gap * i as u64)
            })
            .collect()
    }

    fn run(d: &mut WedgeDetector, input: &[KeyStroke]) -> Vec<Detected> {
        let mut out = Vec::new();
        for s in input {
            d.feed_into(*s, &mut out);
        }
        out.extend(d.flush());
        out
    }

    fn codes(out: &[Detected]) -> Vec<String> {
        out.iter()
            .filter_map(|d| match d {
                Detected::Code(c) => Some(c.text.clone()),
                Detected::Key(_) => None,
            })
            .collect()
    }

    #[test]
    fn fast_burst_is_a_code() {
        let mut d = WedgeDetector::new(DetectorConfig::default());
        let out = run(&mut d, &strokes("134567890123456789\n", 1000, 8));
        assert_eq!(
            out,
            vec![Detected::Code(ScanBurst {
                text: "134567890123456789".into(),
                started: Duration::from_millis(1000),
                ended: Duration::from_millis(1000 + 8 * 18),
            })]
        );
    }

    #[test]
    fn slow_typing_passes_through() {
        let mut d = WedgeDetector::new(DetectorConfig::default());
        let input = strokes("134567890123456789\n", 1000, 120);
        let out = run(&mut d, &input);
        assert_eq!(
            out,
            input.iter().copied().map(Detected::Key).collect::<Vec<_>>()
        );
    }

    #[test]
    fn short_burst_and_product_barcode_pass_through() {
        let mut d = WedgeDetector::new(DetectorConfig::default());
        let input = strokes("6901234567892\n", 0, 5);
        let out = run(&mut d, &input);
        assert!(codes(&out).is_empty());
        assert_eq!(out.len(), input.len());
    }

    #[test]
    fn tail_of_a_tainted_burst_is_not_a_code() {
        let mut d = WedgeDetector::new(DetectorConfig::default());
        let out = run(&mut d, &strokes("ABC-1345678901234567890\n", 0, 5));
        assert!(codes(&out).is_empty(), "{out:?}");
        let mut d = WedgeDetector::new(DetectorConfig {
            max_len: 20,
            ..DetectorConfig::default()
        });
        let long: String = "1".repeat(60) + "\n";
        let out = run(&mut d, &strokes(&long, 0, 5));
        assert!(codes(&out).is_empty(), "{out:?}");
        assert_eq!(out.len(), 61);
    }

    #[test]
    fn a_scan_right_after_a_rejected_line() {
        let mut d = WedgeDetector::new(DetectorConfig {
            max_len: 20,
            ..DetectorConfig::default()
        });
        let input = "1".repeat(30) + "\n" + "134567890123456789\n";
        let out = run(&mut d, &strokes(&input, 0, 5));
        assert_eq!(codes(&out), vec!["134567890123456789"]);
        assert_eq!(out.len(), 32);
    }

    #[test]
    fn two_scans_back_to_back() {
        let mut d = WedgeDetector::new(DetectorConfig::default());
        let out = run(
            &mut d,
            &strokes("134567890123456789\n284567890123456789\n", 0, 5),
        );
        assert_eq!(
            codes(&out),
            vec!["134567890123456789", "284567890123456789"]
        );
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn tab_terminator_and_digits_only() {
        let cfg = DetectorConfig {
            tab_terminates: true,
            chars: CodeChars::Digits,
            ..DetectorConfig::default()
        };
        let mut d = WedgeDetector::new(cfg.clone());
        let out = run(&mut d, &strokes("134567890123456789\t", 0, 5));
        assert_eq!(codes(&out), vec!["134567890123456789"]);
        let mut d = WedgeDetector::new(cfg);
        let out = run(&mut d, &strokes("CP01POS12611221322180001\n", 0, 5));
        assert!(codes(&out).is_empty());
        let mut d = WedgeDetector::new(DetectorConfig::default());
        let out = run(&mut d, &strokes("CP01POS12611221322180001\n", 0, 5));
        assert_eq!(codes(&out), vec!["CP01POS12611221322180001"]);
    }

    #[test]
    fn poll_releases_after_the_gap() {
        let mut d = WedgeDetector::new(DetectorConfig::default());
        assert!(
            d.feed(KeyStroke::at_ms(WedgeKey::Char('1'), 100))
                .is_empty()
        );
        assert_eq!(d.deadline(), Some(Duration::from_millis(151)));
        assert!(d.poll(Duration::from_millis(150)).is_empty());
        assert_eq!(
            d.poll(Duration::from_millis(151)),
            vec![Detected::Key(KeyStroke::at_ms(WedgeKey::Char('1'), 100))]
        );
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn config_validation() {
        assert!(DetectorConfig::default().validate().is_ok());
        assert!(
            DetectorConfig {
                max_key_gap_ms: 0,
                ..DetectorConfig::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            DetectorConfig {
                min_len: 2,
                ..DetectorConfig::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            DetectorConfig {
                max_len: 10,
                ..DetectorConfig::default()
            }
            .validate()
            .is_err()
        );
        let json = r#"{"max_key_gap_ms": 40}"#;
        let cfg: DetectorConfig = serde_json::from_str(json).unwrap();
        assert_eq!(cfg.max_key_gap_ms, 40);
        assert_eq!(cfg.min_len, 16);
    }
}
