//! The stability check: an amount is reported only after consecutive identical reads.
//!
//! The host program may still be redrawing (the cashier adds an item as the hotkey is
//! pressed; an animation fades the total in), and OCR of a half-drawn figure can be
//! confidently wrong. The reader therefore reads until `required` consecutive reads agree
//! on the amount and the text, at most `max_reads` times, `interval_ms` apart. A reading
//! that never settles is returned [`Reading::unstable`] (confidence 0, confirmation needed).

use std::time::Duration;

use cloudpos_domain::money::Money;
use serde::{Deserialize, Serialize};

use crate::CaptureError;
use crate::read::Reading;

/// The stability rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StabilityOptions {
    /// Consecutive identical reads required (default 2; 1 disables the check).
    pub required: u32,
    /// Reads before giving up (default 6).
    pub max_reads: u32,
    /// Pause between reads in milliseconds (default 60).
    pub interval_ms: u64,
}

impl Default for StabilityOptions {
    fn default() -> Self {
        StabilityOptions {
            required: 2,
            max_reads: 6,
            interval_ms: 60,
        }
    }
}

/// What two reads must share to count as identical: the amount and the text (spaces
/// ignored).
fn key(r: &Reading) -> (Option<Money>, String) {
    (
        r.amount,
        r.text.chars().filter(|c| !c.is_whitespace()).collect(),
    )
}

/// Feeds reads one by one; says when enough consecutive ones agree.
#[derive(Debug, Clone)]
pub struct Stabilizer {
    required: u32,
    run: u32,
    current: Option<Reading>,
}

impl Stabilizer {
    /// A stabiliser requiring `required` (at least 1) consecutive identical reads.
    #[must_use]
    pub fn new(required: u32) -> Stabilizer {
        Stabilizer {
            required: required.max(1),
            run: 0,
            current: None,
        }
    }

    /// Adds a read. Returns the stable reading once `required` consecutive reads agree:
    /// the latest one, with the lowest confidence of the run.
    pub fn push(&mut self, reading: Reading) -> Option<Reading> {
        match &mut self.current {
            Some(cur) if key(cur) == key(&reading) => {
                self.run += 1;
                if reading.confidence < cur.confidence {
                    *cur = reading;
                } else {
                    let (c, p) = (cur.confidence, cur.confidence_permille);
                    *cur = Reading {
                        confidence: c,
                        confidence_permille: p,
                        needs_confirmation: cur.needs_confirmation || reading.needs_confirmation,
                        ..reading
                    };
                }
            }
            _ => {
                self.run = 1;
                self.current = Some(reading);
            }
        }
        if self.run >= self.required {
            self.current.clone()
        } else {
            None
        }
    }

    /// The latest reading, if any (for the give-up case).
    #[must_use]
    pub fn latest(&self) -> Option<&Reading> {
        self.current.as_ref()
    }
}

/// Reads with `read_once` until the rule is met, sleeping with `sleep` between reads.
///
/// # Errors
///
/// The first error of `read_once`.
pub fn read_stable(
    mut read_once: impl FnMut() -> Result<Reading, CaptureError>,
    options: &StabilityOptions,
    mut sleep: impl FnMut(Duration),
) -> Result<Reading, CaptureError> {
    let mut stabilizer = Stabilizer::new(options.required);
    let max_reads = options.max_reads.max(options.required).max(1);
    let mut last = None;
    for i in 0..max_reads {
        if i > 0 {
            sleep(Duration::from_millis(options.interval_ms));
        }
        let reading = read_once()?;
        last = Some(reading.clone());
        if let Some(stable) = stabilizer.push(reading) {
            return Ok(stable);
        }
    }
    match last {
        Some(r) => Ok(r.unstable()),
        None => Err(CaptureError::Ocr("no read was made".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::ReadSource;

    fn reading(text: &str, confidence: f32) -> Reading {
        let amount = crate::normalize::normalize_signed_amount(text).ok();
        let permille = crate::ocr::permille(confidence);
        Reading {
            amount,
            text: text.to_owned(),
            confidence,
            confidence_permille: permille,
            source: ReadSource::Ocr,
            problem: None,
            needs_confirmation: amount.is_none() || permille < 900,
            stable: true,
        }
    }

    fn run(reads: &[(&str, f32)], options: StabilityOptions) -> (Reading, usize, Vec<Duration>) {
        let mut it = reads.iter();
        let mut count = 0;
        let mut sleeps = Vec::new();
        let r = read_stable(
            || {
                count += 1;
                let (t, c) = it.next().expect("more reads than scripted");
                Ok(reading(t, *c))
            },
            &options,
            |d| sleeps.push(d),
        )
        .unwrap();
        (r, count, sleeps)
    }

    #[test]
    fn a_sign_that_comes_and_goes_is_not_stable() {
        // The host redraws from a return to a sale (or a minus flickers in the OCR): the
        // sign is part of what must agree.
        let (r, n, _) = run(
            &[
                ("合计:-86.50", 0.99),
                ("合计:86.50", 0.99),
                ("合计:-86.50", 0.99),
                ("合计:86.50", 0.99),
                ("合计:-86.50", 0.99),
                ("合计:86.50", 0.99),
            ],
            StabilityOptions::default(),
        );
        assert_eq!(n, 6);
        assert!(!r.stable && r.needs_confirmation);
        let (r, _, _) = run(
            &[("合计:-86.50", 0.99), ("合计:-86.50", 0.97)],
            StabilityOptions::default(),
        );
        assert!(r.stable);
        assert_eq!(r.amount, Some(Money::from_fen(-8650)));
    }

    #[test]
    fn two_identical_reads_are_needed() {
        let (r, n, sleeps) = run(
            &[("88.00", 0.99), ("88.00", 0.95)],
            StabilityOptions::default(),
        );
        assert_eq!(n, 2);
        assert_eq!(sleeps, [Duration::from_millis(60)]);
        assert!(r.stable);
        assert_eq!(r.amount, Some(Money::from_fen(8800)));
        // The lowest confidence of the run is kept.
        assert_eq!(r.confidence_permille, 950);
        assert!(!r.needs_confirmation);
    }

    #[test]
    fn a_changing_screen_is_read_until_it_settles() {
        let reads = [
            ("8.00", 0.99),
            ("88.00", 0.99),
            ("88.80", 0.99),
            ("88.80", 0.99),
        ];
        let (r, n, _) = run(&reads, StabilityOptions::default());
        assert_eq!(n, 4);
        assert_eq!(r.amount, Some(Money::from_fen(8880)));
        assert!(r.stable && !r.needs_confirmation);
    }

    #[test]
    fn no_settling_means_confirmation() {
        let reads = [("1.00", 0.99), ("2.00", 0.99), ("1.00", 0.99)];
        let options = StabilityOptions {
            required: 2,
            max_reads: 3,
            interval_ms: 0,
        };
        let (r, n, _) = run(&reads, options);
        assert_eq!(n, 3);
        assert!(!r.stable);
        assert!(r.needs_confirmation);
        assert_eq!(r.confidence_permille, 0);
        assert_eq!(
            r.amount,
            Some(Money::from_fen(100)),
            "the last read is shown to the cashier"
        );
        assert_eq!(r.to_amount_reading().confidence_permille, 0);
    }

    #[test]
    fn low_confidence_needs_confirmation_even_when_stable() {
        let (r, _, _) = run(
            &[("88.00", 0.85), ("88.00", 0.99)],
            StabilityOptions::default(),
        );
        assert!(r.stable);
        assert_eq!(r.confidence_permille, 850);
        assert!(r.needs_confirmation);
    }

    #[test]
    fn three_reads_can_be_required_and_one_disables_the_check() {
        let options = StabilityOptions {
            required: 3,
            ..StabilityOptions::default()
        };
        let (r, n, _) = run(&[("5", 0.99), ("5", 0.99), ("5", 0.99)], options);
        assert_eq!((n, r.stable), (3, true));
        let options = StabilityOptions {
            required: 1,
            ..StabilityOptions::default()
        };
        let (r, n, _) = run(&[("5", 0.99)], options);
        assert_eq!((n, r.stable), (1, true));
    }

    #[test]
    fn errors_stop_the_reads() {
        let e = read_stable(
            || Err(CaptureError::Grab("gone".into())),
            &StabilityOptions::default(),
            |_| {},
        )
        .unwrap_err();
        assert_eq!(e, CaptureError::Grab("gone".into()));
    }
}
