//! Recognition of a normalised line with the project's own models, run by `ocrs` + `rten`,
//! with a confidence taken from the model's CTC output.
//!
//! The models are embedded in the binary (`include_bytes!`): nothing is read or downloaded
//! at run time. Each is loaded once, on first use, and shared by every thread.
//!
//! ocrs 0.13.1 exposes no score, so [`Recognizer::recognize`] follows the verified recipe of
//! `tools/ocr-train/rust-verify/src/recognize.rs`: ocrs prepares the exact `[32, w]` model
//! input (`OcrEngine::prepare_recognition_input`), a second `rten::Model` instance of the
//! same file runs it once (right-padded with −0.5 to a multiple of 50, as ocrs does), and a
//! greedy CTC decode (arg-max per frame, repeats collapsed, blanks dropped, characters whose
//! frame lies in the padding dropped — as ocrs does) gives the text and, per character, the
//! best probability over its frames. The line confidence is the smallest character
//! probability. One model run per read, the same cost as ocrs alone; the test
//! `ocr_fixtures` checks that the text equals ocrs's own `recognize_text` on every fixture.

use std::sync::OnceLock;

use ocrs::{DimOrder, ImageSource, OcrEngine, OcrEngineParams};
use rten_imageproc::{RectF, RotatedRect};
use rten_tensor::prelude::*;
use rten_tensor::{NdTensor, NdTensorView, Tensor};

use crate::CaptureError;
use crate::preprocess::PreparedLine;

static AMOUNT_MODEL: &[u8] = include_bytes!("../models/amount.onnx");
static AMOUNT_ALPHABET: &str = include_str!("../models/amount.alphabet.txt");
static SERIAL_MODEL: &[u8] = include_bytes!("../models/serial.onnx");
static SERIAL_ALPHABET: &str = include_str!("../models/serial.alphabet.txt");

/// Which of the two embedded models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// Payment totals: digits, `. , - : ¥`, `RMB`, 合计 应收 实收 总计 金额, 元.
    Amount,
    /// Receipt / serial numbers: letters, digits, `- _ / # : .`, 单号 流水号.
    Serial,
}

impl ModelKind {
    fn model_bytes(self) -> &'static [u8] {
        match self {
            ModelKind::Amount => AMOUNT_MODEL,
            ModelKind::Serial => SERIAL_MODEL,
        }
    }

    /// The model's alphabet: character `i` is class `i + 1`, class 0 the CTC blank.
    #[must_use]
    pub fn alphabet(self) -> &'static str {
        match self {
            ModelKind::Amount => AMOUNT_ALPHABET,
            ModelKind::Serial => SERIAL_ALPHABET,
        }
    }
}

/// The text of a line and how sure the model is of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognized {
    /// The text read, spaces included as the model emitted them.
    pub text: String,
    /// Per character: the probability of its label at its best frame.
    pub char_probs: Vec<f32>,
    /// The line confidence: the smallest of `char_probs`, 0 when nothing was read.
    pub confidence: f32,
    /// `exp(sum of the best log-probabilities over all frames)`: the greedy path's
    /// probability (length-dependent; for diagnostics).
    pub path_prob: f32,
}

impl Recognized {
    /// [`Recognized::confidence`] in per mille (0–1000), rounded down.
    #[must_use]
    pub fn confidence_permille(&self) -> u16 {
        permille(self.confidence)
    }
}

/// A probability in per mille, rounded down (so `>= 900` means at least 0.9).
#[must_use]
pub fn permille(p: f32) -> u16 {
    let scaled = (p.clamp(0.0, 1.0) * 1000.0).floor();
    // In [0, 1000] by the clamp.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let v = scaled as u16;
    v
}

/// One embedded model, ready to read lines.
pub struct Recognizer {
    kind: ModelKind,
    engine: OcrEngine,
    model: rten::Model,
    alphabet: Vec<char>,
}

impl std::fmt::Debug for Recognizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recognizer")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

fn ocr_error(what: &str, e: impl std::fmt::Display) -> CaptureError {
    CaptureError::Ocr(format!("{what}: {e}"))
}

impl Recognizer {
    /// Loads an embedded model (a few milliseconds). Most callers want the shared instance
    /// of [`Recognizer::get`].
    ///
    /// # Errors
    ///
    /// [`CaptureError::Ocr`] if the embedded model does not load (a build problem).
    pub fn load(kind: ModelKind) -> Result<Recognizer, CaptureError> {
        let load = || {
            rten::Model::load_static_slice(kind.model_bytes())
                .map_err(|e| ocr_error("the embedded recognition model does not load", e))
        };
        let engine = OcrEngine::new(OcrEngineParams {
            detection_model: None,
            recognition_model: Some(load()?),
            alphabet: Some(kind.alphabet().to_owned()),
            ..OcrEngineParams::default()
        })
        .map_err(|e| ocr_error("ocrs refused the recognition model", e))?;
        Ok(Recognizer {
            kind,
            engine,
            model: load()?,
            alphabet: kind.alphabet().chars().collect(),
        })
    }

    /// The shared instance of an embedded model, loaded on first use.
    ///
    /// # Errors
    ///
    /// [`CaptureError::Ocr`] if the embedded model does not load (a build problem).
    pub fn get(kind: ModelKind) -> Result<&'static Recognizer, CaptureError> {
        static AMOUNT: OnceLock<Result<Recognizer, CaptureError>> = OnceLock::new();
        static SERIAL: OnceLock<Result<Recognizer, CaptureError>> = OnceLock::new();
        let cell = match kind {
            ModelKind::Amount => &AMOUNT,
            ModelKind::Serial => &SERIAL,
        };
        cell.get_or_init(|| Recognizer::load(kind))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Which model this is.
    #[must_use]
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    fn whole_line(line: &PreparedLine) -> Vec<RotatedRect> {
        // Widths and heights are small (≤ a few thousand pixels): exact in f32.
        #[allow(clippy::cast_precision_loss)]
        let rect = RectF::from_tlbr(0., 0., line.height() as f32, line.width() as f32);
        vec![RotatedRect::from_rect(rect)]
    }

    fn ocrs_input(&self, line: &PreparedLine) -> Result<ocrs::OcrInput, CaptureError> {
        let view = NdTensorView::from_data([1, line.height(), line.width()], line.data());
        let src = ImageSource::from_tensor(view, DimOrder::Chw)
            .map_err(|e| ocr_error("ocrs refused the line image", e))?;
        self.engine
            .prepare_input(src)
            .map_err(|e| ocr_error("ocrs could not prepare the line image", e))
    }

    /// ocrs's own reading of the line (`recognize_text`), without a confidence. Used by the
    /// tests to check [`Recognizer::recognize`] against ocrs.
    ///
    /// # Errors
    ///
    /// [`CaptureError::Ocr`] when the model fails to run.
    pub fn recognize_with_ocrs(&self, line: &PreparedLine) -> Result<String, CaptureError> {
        let input = self.ocrs_input(line)?;
        let lines = self
            .engine
            .recognize_text(&input, &[Self::whole_line(line)])
            .map_err(|e| ocr_error("ocrs recognition failed", e))?;
        Ok(lines
            .into_iter()
            .next()
            .flatten()
            .map(|l| l.to_string())
            .unwrap_or_default())
    }

    /// Reads a normalised line: the text (greedy CTC, as ocrs) and its confidence.
    ///
    /// # Errors
    ///
    /// [`CaptureError::Ocr`] when the model fails to run.
    pub fn recognize(&self, line: &PreparedLine) -> Result<Recognized, CaptureError> {
        let input = self.ocrs_input(line)?;
        let prepared = self
            .engine
            .prepare_recognition_input(&input, &Self::whole_line(line))
            .map_err(|e| ocr_error("ocrs could not prepare the recognition input", e))?;
        let [h, w] = prepared.shape();
        let padded_w = w.next_multiple_of(50);
        let mut x = NdTensor::full([1, 1, h, padded_w], -0.5f32);
        x.slice_mut((0, 0, .., ..w)).copy_from(&prepared);
        let x: Tensor<f32> = x.into();
        let out = self
            .model
            .run_one(x.view().into(), None)
            .map_err(|e| ocr_error("the recognition model failed to run", e))?;
        let out: NdTensor<f32, 3> = out
            .try_into()
            .map_err(|e| ocr_error("unexpected recognition output", e))?; // [seq, 1, classes]
        let seq = out.size(0);
        let classes = out.size(2);
        if classes != self.alphabet.len() + 1 {
            return Err(CaptureError::Ocr(format!(
                "the model has {classes} classes but its alphabet {} characters",
                self.alphabet.len()
            )));
        }
        if seq == 0 {
            return Ok(Recognized {
                text: String::new(),
                char_probs: Vec::new(),
                confidence: 0.0,
                path_prob: 0.0,
            });
        }
        // Both are small integers: the ratio is the model's downsampling factor.
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let down = (padded_w as f32 / seq as f32).round() as usize;
        let (mut text, mut probs) = (String::new(), Vec::<f32>::new());
        let mut last = 0usize;
        // Whether the current run of `last` was emitted (a run starting in the padding is
        // dropped, and must not lend its probability to the previous character).
        let mut run_emitted = false;
        let mut score = 0f32;
        for t in 0..seq {
            let (mut best, mut bv) = (0usize, f32::NEG_INFINITY);
            for c in 0..classes {
                let v = out[[t, 0, c]];
                if v > bv {
                    bv = v;
                    best = c;
                }
            }
            score += bv;
            if best != 0 && best == last {
                // The same character continues: keep its best frame's probability.
                if run_emitted && let Some(p) = probs.last_mut() {
                    *p = p.max(bv.exp());
                }
            } else if best != 0 {
                run_emitted = t * down < w;
                if run_emitted {
                    text.push(self.alphabet.get(best - 1).copied().unwrap_or('?'));
                    probs.push(bv.exp());
                }
            } else {
                run_emitted = false;
            }
            last = best;
        }
        let confidence = if probs.is_empty() {
            0.0
        } else {
            probs.iter().copied().fold(1.0, f32::min)
        };
        Ok(Recognized {
            text,
            char_probs: probs,
            confidence,
            path_prob: score.exp(),
        })
    }
}
