//! One-shot reads: a picture (the CLI's `capture read --image`), or a region of the screen
//! now (`capture read --screen`), as an amount or a serial number.

use std::path::Path;

use cloudpos_domain::money::Money;
use cloudpos_domain::ports::{AmountReading, ScreenRegion, ScreenTotal};
use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::grab::{ScreenGrabber, ScreenInfo};
use crate::normalize::{AmountTextError, normalize_serial, normalize_signed_amount};
use crate::ocr::{ModelKind, Recognizer, permille};
use crate::preprocess::{BlankReason, PreprocessOptions, prepare};
use crate::region::validate;
use crate::text::{ReadSource, TextSource};
use crate::{CaptureError, DEFAULT_MIN_CONFIDENCE_PERMILLE};

/// How to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadOptions {
    /// Optional preprocessing steps on top of the trained normalisation (default: none).
    pub preprocess: PreprocessOptions,
    /// Below this confidence (per mille) a reading needs the cashier's confirmation
    /// (default 900 = 0.9: on the evaluation set, 1 wrong amount in 2000 crops got past it).
    pub min_confidence_permille: u16,
    /// Try the host program's UI text (UI Automation) before OCR, where the platform has it
    /// (default on).
    pub text_read: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            preprocess: PreprocessOptions::default(),
            min_confidence_permille: DEFAULT_MIN_CONFIDENCE_PERMILLE,
            text_read: true,
        }
    }
}

/// Why a reading has no amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoAmount {
    /// The picture holds no line of text.
    #[error(transparent)]
    Blank(#[from] BlankReason),
    /// The text read is not a payment amount.
    #[error(transparent)]
    Text(#[from] AmountTextError),
}

/// An amount reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The amount as the screen shows it, **signed**: negative when the host POS shows a
    /// negative total (a return in progress, `合计:¥-86.50` → −86.50). `None` when the text
    /// is not an amount. What it means for a payment: [`Reading::total`].
    pub amount: Option<Money>,
    /// The raw text read (empty when the picture is blank).
    pub text: String,
    /// Confidence 0–1: the smallest character probability of the OCR read (1 for a UI text
    /// read, 0 when nothing was read or the reads were not stable).
    pub confidence: f32,
    /// [`Reading::confidence`] in per mille, rounded down.
    pub confidence_permille: u16,
    /// How it was read.
    pub source: ReadSource,
    /// Why `amount` is `None`.
    pub problem: Option<NoAmount>,
    /// Whether the cashier must confirm: no amount, confidence below the threshold, or the
    /// reads were not stable.
    pub needs_confirmation: bool,
    /// Whether the required number of consecutive reads agreed (always `true` for a single
    /// read).
    pub stable: bool,
}

impl Reading {
    fn from_text(
        text: String,
        confidence: f32,
        source: ReadSource,
        min_confidence_permille: u16,
    ) -> Reading {
        let (amount, problem) = match normalize_signed_amount(&text) {
            Ok(m) => (Some(m), None),
            Err(e) => (None, Some(NoAmount::Text(e))),
        };
        let confidence_permille = permille(confidence);
        Reading {
            needs_confirmation: amount.is_none() || confidence_permille < min_confidence_permille,
            amount,
            text,
            confidence,
            confidence_permille,
            source,
            problem,
            stable: true,
        }
    }

    fn blank(reason: BlankReason) -> Reading {
        Reading {
            amount: None,
            text: String::new(),
            confidence: 0.0,
            confidence_permille: 0,
            source: ReadSource::Ocr,
            problem: Some(NoAmount::Blank(reason)),
            needs_confirmation: true,
            stable: true,
        }
    }

    /// What the reading means for the payment window: a total to charge, a return shown by
    /// the host (never charged), or nothing to charge.
    #[must_use]
    pub fn total(&self) -> ScreenTotal {
        self.to_amount_reading().total()
    }

    /// Marks the reading as not stable: confidence 0, confirmation needed.
    #[must_use]
    pub fn unstable(mut self) -> Reading {
        self.stable = false;
        self.confidence = 0.0;
        self.confidence_permille = 0;
        self.needs_confirmation = true;
        self
    }

    /// The domain's view of the reading. An unstable reading has confidence 0, so that the
    /// terminal asks the cashier whatever its threshold.
    #[must_use]
    pub fn to_amount_reading(&self) -> AmountReading {
        AmountReading {
            amount: self.amount,
            text: self.text.clone(),
            confidence_permille: self.confidence_permille,
            source: self.source.as_str().to_owned(),
        }
    }
}

/// A serial-number reading.
#[derive(Debug, Clone, PartialEq)]
pub struct SerialReading {
    /// The serial number without its label, when anything was read.
    pub serial: Option<String>,
    /// The raw text read.
    pub text: String,
    /// Confidence 0–1 as for [`Reading::confidence`].
    pub confidence: f32,
    /// How it was read.
    pub source: ReadSource,
}

/// OCR of a picture of a text line with one of the models; the inner `Err` says why the
/// picture is blank.
fn ocr(
    img: &RgbImage,
    kind: ModelKind,
    options: &ReadOptions,
) -> Result<Result<(String, f32), BlankReason>, CaptureError> {
    let line = match prepare(img, options.preprocess) {
        Ok(line) => line,
        Err(reason) => return Ok(Err(reason)),
    };
    let r = Recognizer::get(kind)?.recognize(&line)?;
    Ok(Ok((r.text, r.confidence)))
}

/// Reads a picture of the amount region (any size; the user's rectangle) with OCR.
///
/// # Errors
///
/// [`CaptureError::Ocr`] if the model fails to run. A blank or unreadable picture is not an
/// error: the reading then has no amount and says why ([`Reading::problem`]).
pub fn read_image(img: &RgbImage, options: &ReadOptions) -> Result<Reading, CaptureError> {
    Ok(match ocr(img, ModelKind::Amount, options)? {
        Ok((text, confidence)) => Reading::from_text(
            text,
            confidence,
            ReadSource::Ocr,
            options.min_confidence_permille,
        ),
        Err(reason) => Reading::blank(reason),
    })
}

/// Loads a picture file (PNG or JPEG) as RGB.
///
/// # Errors
///
/// [`CaptureError::Image`] naming the file and the problem.
pub fn load_image(path: &Path) -> Result<RgbImage, CaptureError> {
    image::open(path)
        .map(image::DynamicImage::into_rgb8)
        .map_err(|e| CaptureError::Image(format!("{}: {e}", path.display())))
}

/// [`read_image`] of a picture file (PNG or JPEG).
///
/// # Errors
///
/// [`CaptureError::Image`] when the file cannot be read or decoded, else as [`read_image`].
pub fn read_image_file(path: &Path, options: &ReadOptions) -> Result<Reading, CaptureError> {
    read_image(&load_image(path)?, options)
}

/// Reads a picture of the serial-number region with OCR.
///
/// # Errors
///
/// [`CaptureError::Ocr`] if the model fails to run.
pub fn read_serial_image(
    img: &RgbImage,
    options: &ReadOptions,
) -> Result<SerialReading, CaptureError> {
    Ok(match ocr(img, ModelKind::Serial, options)? {
        Ok((text, confidence)) => SerialReading {
            serial: normalize_serial(&text),
            text,
            confidence,
            source: ReadSource::Ocr,
        },
        Err(_) => SerialReading {
            serial: None,
            text: String::new(),
            confidence: 0.0,
            source: ReadSource::Ocr,
        },
    })
}

/// The screen a region is on, after validating it.
fn screen_of(
    grabber: &dyn ScreenGrabber,
    region: &ScreenRegion,
) -> Result<ScreenInfo, CaptureError> {
    let screens = grabber.screens()?;
    Ok(validate(region, &screens)?.clone())
}

/// The texts a text source offers at a region (empty on error, which is logged: OCR follows).
fn texts_at(
    source: &dyn TextSource,
    grabber: &dyn ScreenGrabber,
    region: &ScreenRegion,
) -> Result<Vec<String>, CaptureError> {
    let screen = screen_of(grabber, region)?;
    match source.texts_at(&screen, region) {
        Ok(texts) => Ok(texts),
        Err(e) => {
            tracing::debug!(
                "{} text read failed, falling back to OCR: {e}",
                source.source()
            );
            Ok(Vec::new())
        }
    }
}

/// Reads the amount region now, once: the host's UI text first (when `text` is given and
/// `options.text_read`), taken only if it is an amount; otherwise OCR of the grabbed pixels.
///
/// # Errors
///
/// [`CaptureError`] when the region does not fit the screens, the grab fails or the model
/// fails. An unreadable amount is a reading without amount, not an error.
pub fn grab_and_read_with(
    grabber: &dyn ScreenGrabber,
    text: Option<&dyn TextSource>,
    region: &ScreenRegion,
    options: &ReadOptions,
) -> Result<Reading, CaptureError> {
    if options.text_read
        && let Some(source) = text
    {
        let texts = texts_at(source, grabber, region)?;
        for t in &texts {
            // A negative total shown as UI text is a reading too (a return in progress).
            if normalize_signed_amount(t).is_ok() {
                return Ok(Reading::from_text(
                    t.clone(),
                    1.0,
                    source.source(),
                    options.min_confidence_permille,
                ));
            }
        }
        if !texts.is_empty() {
            tracing::debug!(
                "{} texts {texts:?} hold no amount: reading with OCR",
                source.source()
            );
        }
    }
    let img = grabber.grab(region)?;
    read_image(&img, options)
}

/// Reads the serial-number region now, once (UI text first, as [`grab_and_read_with`]).
///
/// # Errors
///
/// As [`grab_and_read_with`].
pub fn grab_and_read_serial_with(
    grabber: &dyn ScreenGrabber,
    text: Option<&dyn TextSource>,
    region: &ScreenRegion,
    options: &ReadOptions,
) -> Result<SerialReading, CaptureError> {
    if options.text_read
        && let Some(source) = text
    {
        for t in texts_at(source, grabber, region)? {
            if let Some(serial) = normalize_serial(&t) {
                return Ok(SerialReading {
                    serial: Some(serial),
                    text: t,
                    confidence: 1.0,
                    source: source.source(),
                });
            }
        }
    }
    let img = grabber.grab(region)?;
    read_serial_image(&img, options)
}

/// Reads the amount region now, once, on this machine's display ([`crate::default_grabber`]
/// and, on Windows, UI Automation). For `cloudpos capture read --screen`.
///
/// # Errors
///
/// [`CaptureError::NoDisplay`] without a display, else as [`grab_and_read_with`].
pub fn grab_and_read(
    region: &ScreenRegion,
    options: &ReadOptions,
) -> Result<Reading, CaptureError> {
    let grabber = crate::grab::default_grabber()?;
    let text = crate::text::default_text_source();
    grab_and_read_with(grabber.as_ref(), text.as_deref(), region, options)
}
