//! Running ocrs on a prepared line, and a confidence from the model's CTC output.

use ocrs::{ImageSource, OcrEngine};
use rten_imageproc::{RectF, RotatedRect};
use rten_tensor::prelude::*;
use rten_tensor::{NdTensor, NdTensorView};

use crate::preprocess::Prepared;

/// Feed an unprocessed crop (grey, 0..1) in the same container, for comparison runs.
pub fn raw_as_prepared(rgb: &[u8], w: usize, h: usize) -> Prepared {
    let data = crate::preprocess::grey_from_rgb(rgb, w, h)
        .into_iter()
        .map(|v| (v / 255.0) as f32)
        .collect();
    Prepared { width: w, height: h, data }
}

fn whole_line(p: &Prepared) -> Vec<RotatedRect> {
    vec![RotatedRect::from_rect(RectF::from_tlbr(0., 0., p.height as f32, p.width as f32))]
}

fn ocrs_input(engine: &OcrEngine, p: &Prepared) -> anyhow::Result<ocrs::OcrInput> {
    let view = NdTensorView::from_data([1, p.height, p.width], p.data.as_slice());
    let src = ImageSource::from_tensor(view, ocrs::DimOrder::Chw)?;
    engine.prepare_input(src)
}

/// Plain ocrs recognition of the whole prepared image as one line.
pub fn recognize_ocrs(engine: &OcrEngine, p: &Prepared) -> anyhow::Result<Option<String>> {
    let input = ocrs_input(engine, p)?;
    let lines = engine.recognize_text(&input, &[whole_line(p)])?;
    Ok(lines.into_iter().next().flatten().map(|l| l.to_string()))
}

/// The exact [H, W] image ocrs feeds the model (before right-padding).
pub fn ocrs_line_input(engine: &OcrEngine, p: &Prepared) -> anyhow::Result<NdTensor<f32, 2>> {
    let input = ocrs_input(engine, p)?;
    engine.prepare_recognition_input(&input, &whole_line(p))
}

pub struct Recognized {
    pub text: String,
    /// Per emitted character: probability of its label at the frame where the
    /// greedy path emitted it (max over its run of frames).
    pub char_probs: Vec<f32>,
    /// min(char_probs); 0 if nothing was read. Use as the line confidence.
    pub min_char_prob: f32,
    /// exp(sum over frames of the best log-prob) (ocrs/rten CtcHypothesis::score).
    pub path_prob: f32,
}

/// Same result as `recognize_ocrs` (greedy CTC, same input, same position
/// filter) but also returns confidences. Uses a second `rten::Model` instance
/// of the same file (OcrEngine owns the first one and exposes no scores).
pub fn recognize_with_confidence(
    engine: &OcrEngine,
    model: &rten::Model,
    alphabet: &str,
    p: &Prepared,
) -> anyhow::Result<Recognized> {
    let line = ocrs_line_input(engine, p)?; // [32, w] in [-0.5, 0.5]
    let [h, w] = line.shape();
    let padded_w = w.next_multiple_of(50);
    let mut x = NdTensor::full([1, 1, h, padded_w], -0.5f32);
    x.slice_mut((0, 0, .., ..w)).copy_from(&line);
    let x: rten_tensor::Tensor<f32> = x.into();
    let out = model.run_one(x.view().into(), None)?;
    let out: NdTensor<f32, 3> = out.try_into()?; // [seq, 1, classes]
    let seq = out.size(0);
    let down = (padded_w as f32 / seq as f32).round() as usize;
    let chars: Vec<char> = alphabet.chars().collect();
    let (mut text, mut probs) = (String::new(), Vec::new());
    let mut last = 0usize;
    let mut score = 0f32;
    for t in 0..seq {
        let (mut best, mut bv) = (0usize, f32::NEG_INFINITY);
        for c in 0..out.size(2) {
            let v = out[[t, 0, c]];
            if v > bv {
                bv = v;
                best = c;
            }
        }
        score += bv;
        if best != 0 && best == last {
            // same character continues: keep the best frame's probability
            if let Some(pr) = probs.last_mut() {
                *pr = f32::max(*pr, bv.exp());
            }
        }
        if best != last && best != 0 && t * down < w {
            text.push(*chars.get(best - 1).unwrap_or(&'?'));
            probs.push(bv.exp());
        }
        last = best;
    }
    let min_char_prob = probs.iter().copied().fold(if probs.is_empty() { 0.0 } else { 1.0 }, f32::min);
    Ok(Recognized {
        text,
        char_probs: probs,
        min_char_prob,
        path_prob: score.exp(),
    })
}
