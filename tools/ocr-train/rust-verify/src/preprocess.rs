//! Crop normalisation to run before ocrs. 1:1 port of
//! `tools/ocr-train/ocrtrain/preprocess.py` (the models are trained on its output).
//!
//! Input: RGB8 crop (the user's rectangle). Output: 32-px-tall grey f32 image in
//! [0, 1] (dark text on white, trimmed, fixed margins), or `None` if the crop
//! holds no text. Hand it to ocrs as a 1-channel `ImageSource::from_tensor` (CHW
//! [1, 32, w]); ocrs then resizes 32 -> 32, which is an identity.

pub const OUT_H: usize = 32;
const MIN_CONTRAST: f64 = 12.0;
const INK_FRAC: f64 = 0.35;
const LINE_FRAC: f64 = 0.8;
const LINE_FRAC_V: f64 = 0.9;

/// A normalised line image, row-major, `height == OUT_H`.
pub struct Prepared {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

fn rnd(x: f64) -> usize {
    (x + 0.5).floor() as usize
}

fn pct_sorted(v: &[f64], q: f64) -> f64 {
    v[(q * (v.len() - 1) as f64).floor() as usize]
}

/// (n_out x n_in) dense resampling weights: area average when shrinking,
/// bilinear with half-pixel centres when enlarging.
fn resample_weights(n_in: usize, n_out: usize) -> Vec<Vec<(usize, f64)>> {
    let s = n_out as f64 / n_in as f64;
    let mut w = vec![Vec::new(); n_out];
    if n_in == n_out {
        for (o, row) in w.iter_mut().enumerate() {
            row.push((o, 1.0));
        }
    } else if s < 1.0 {
        for (o, row) in w.iter_mut().enumerate() {
            let a = o as f64 / s;
            let b = (o + 1) as f64 / s;
            let mut i = a.floor() as usize;
            while i < n_in && (i as f64) < b {
                let ov = b.min(i as f64 + 1.0) - a.max(i as f64);
                if ov > 0.0 {
                    row.push((i, ov * s));
                }
                i += 1;
            }
        }
    } else {
        for (o, row) in w.iter_mut().enumerate() {
            let x = ((o as f64 + 0.5) / s - 0.5).clamp(0.0, n_in as f64 - 1.0);
            let i0 = x.floor() as usize;
            let i1 = (i0 + 1).min(n_in - 1);
            let f = x - i0 as f64;
            row.push((i0, 1.0 - f));
            row.push((i1, f));
        }
    }
    w
}

/// Text-line box inside the crop: (y0, y1, x0, x1) inclusive, plus the
/// background level, contrast and whether the crop is light-on-dark.
pub struct TrimBox {
    pub y0: usize,
    pub y1: usize,
    pub x0: usize,
    pub x1: usize,
    pub bg: f64,
    pub contrast: f64,
    pub invert: bool,
}

pub fn grey_from_rgb(rgb: &[u8], w: usize, h: usize) -> Vec<f64> {
    (0..w * h)
        .map(|i| {
            let p = &rgb[3 * i..3 * i + 3];
            // Same as numpy: computed in f32 then widened.
            (0.299f32 * p[0] as f32 + 0.587f32 * p[1] as f32 + 0.114f32 * p[2] as f32) as f64
        })
        .collect()
}

/// Most common grey level: 32 bins of 8 levels, the first fullest bin b, then
/// the mean of all pixels in bins b-1..=b+1.
pub fn background_level(grey: &[f64]) -> f64 {
    let bin = |v: f64| ((v / 8.0) as usize).min(31);
    let mut counts = [0usize; 32];
    for &v in grey {
        counts[bin(v)] += 1;
    }
    let mut b = 0;
    for i in 1..32 {
        if counts[i] > counts[b] {
            b = i;
        }
    }
    let (mut sum, mut n) = (0.0f64, 0usize);
    for &v in grey {
        let k = bin(v);
        if k + 1 >= b && k <= b + 1 {
            sum += v;
            n += 1;
        }
    }
    sum / n as f64
}

pub fn trim_box(grey: &[f64], w: usize, h: usize) -> Option<TrimBox> {
    let bg = background_level(grey);
    let d: Vec<f64> = grey.iter().map(|v| v - bg).collect();
    let mut diff = d.clone();
    diff.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let lo = pct_sorted(&diff, 0.005);
    let hi = pct_sorted(&diff, 0.995);
    let t = MIN_CONTRAST.max(0.3 * hi.max(-lo));
    let n_pos = d.iter().filter(|&&v| v > t).count();
    let n_neg = d.iter().filter(|&&v| v < -t).count();
    let invert = n_pos > n_neg;
    let contrast = if invert { hi } else { -lo };
    if contrast < MIN_CONTRAST {
        return None;
    }
    let thr = INK_FRAC * contrast;
    let ink: Vec<bool> = grey
        .iter()
        .map(|&v| if invert { v - bg > thr } else { bg - v > thr })
        .collect();
    // vertical UI rule lines (ink over >= 90 % of the crop height) must not make
    // every row look like text: leave them out of the row profile
    let vcol: Vec<bool> = (0..w)
        .map(|x| (0..h).filter(|&y| ink[y * w + x]).count() as f64 >= LINE_FRAC_V * h as f64)
        .collect();
    let rc: Vec<usize> = (0..h)
        .map(|y| (0..w).filter(|&x| !vcol[x] && ink[y * w + x]).count())
        .collect();
    let row_ink: Vec<bool> = rc
        .iter()
        .map(|&c| c >= 1 && (c as f64) < LINE_FRAC * w as f64)
        .collect();
    // bands: (start, end inclusive, ink count)
    let mut bands: Vec<(usize, usize, usize)> = Vec::new();
    let mut y = 0;
    while y < h {
        if row_ink[y] {
            let s = y;
            while y < h && row_ink[y] {
                y += 1;
            }
            bands.push((s, y - 1, rc[s..y].iter().sum()));
        } else {
            y += 1;
        }
    }
    bands.retain(|&(s, e, c)| !(e - s + 1 <= 3 && c as f64 > 0.5 * w as f64 * (e - s + 1) as f64));
    if bands.is_empty() {
        return None;
    }
    // most ink; ties -> first band
    let mut best = 0;
    for (i, b) in bands.iter().enumerate() {
        if b.2 > bands[best].2 {
            best = i;
        }
    }
    let (mut y0, mut y1) = (bands[best].0, bands[best].1);
    let mut changed = true;
    while changed {
        changed = false;
        let bh = y1 - y0 + 1;
        let gap_max = rnd(0.2 * bh as f64).max(1);
        for b in &bands {
            if b.0 > y1 && b.0 - y1 - 1 <= gap_max && b.1 < h - 1 {
                y1 = b.1;
                changed = true;
            } else if b.1 < y0 && y0 - b.1 - 1 <= gap_max && b.0 > 0 {
                y0 = b.0;
                changed = true;
            }
        }
    }
    let vlines = h as f64 >= 1.25 * (y1 - y0 + 1) as f64;
    let mut x0 = None;
    let mut x1 = None;
    for x in 0..w {
        let band_ink = (y0..=y1).any(|y| ink[y * w + x]);
        if !band_ink {
            continue;
        }
        if vlines && vcol[x] {
            continue;
        }
        if x0.is_none() {
            x0 = Some(x);
        }
        x1 = Some(x);
    }
    let (x0, x1) = (x0?, x1?);
    // contrast of the text itself (UI lines elsewhere may be stronger)
    let mut side: Vec<f64> = Vec::with_capacity((y1 - y0 + 1) * (x1 - x0 + 1));
    for y in y0..=y1 {
        for x in x0..=x1 {
            let v = d[y * w + x];
            side.push(if invert { v } else { -v });
        }
    }
    side.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let contrast = MIN_CONTRAST.max(pct_sorted(&side, 0.99));
    Some(TrimBox {
        y0,
        y1,
        x0,
        x1,
        bg,
        contrast,
        invert,
    })
}

/// Full preprocessing of an RGB8 crop (`rgb.len() == 3 * w * h`).
pub fn preprocess_rgb(rgb: &[u8], w: usize, h: usize) -> Option<Prepared> {
    if w < 2 || h < 2 {
        return None;
    }
    let grey = grey_from_rgb(rgb, w, h);
    let b = trim_box(&grey, w, h)?;
    let th = b.y1 - b.y0 + 1;
    let tw = b.x1 - b.x0 + 1;
    let bgv = if b.invert { 255.0 - b.bg } else { b.bg };
    let pad_y = rnd(0.15 * th as f64).max(1);
    let pad_x = rnd(0.25 * th as f64).max(2);
    let (hp, wp) = (th + 2 * pad_y, tw + 2 * pad_x);
    let mut canvas = vec![1.0f64; hp * wp];
    for y in 0..th {
        for x in 0..tw {
            let mut g = grey[(b.y0 + y) * w + b.x0 + x];
            if b.invert {
                g = 255.0 - g;
            }
            canvas[(pad_y + y) * wp + pad_x + x] =
                ((g - (bgv - b.contrast)) / b.contrast).clamp(0.0, 1.0);
        }
    }
    let out_w = rnd(wp as f64 * OUT_H as f64 / hp as f64).max(1);
    let wy = resample_weights(hp, OUT_H);
    let wx = resample_weights(wp, out_w);
    // rows first: tmp[OUT_H][wp]
    let mut tmp = vec![0.0f64; OUT_H * wp];
    for (o, row) in wy.iter().enumerate() {
        for &(i, wt) in row {
            for x in 0..wp {
                tmp[o * wp + x] += wt * canvas[i * wp + x];
            }
        }
    }
    let mut data = vec![0.0f32; OUT_H * out_w];
    for y in 0..OUT_H {
        for (o, col) in wx.iter().enumerate() {
            let mut acc = 0.0;
            for &(i, wt) in col {
                acc += wt * tmp[y * wp + i];
            }
            data[y * out_w + o] = acc.clamp(0.0, 1.0) as f32;
        }
    }
    Some(Prepared {
        width: out_w,
        height: OUT_H,
        data,
    })
}
