"""Crop normalisation shared by training, evaluation and (ported 1:1) the Rust side.

The Rust port is `tools/ocr-train/rust-verify/src/preprocess.rs`.  Both must stay
in sync: the model is trained on exactly what this function outputs.

Input : RGB u8 crop (H, W, 3) as the user's rectangle grabbed it.
Output: float32 (32, W') grey image in [0, 1], dark text (0) on white (1),
        trimmed to the text line, fixed relative margins, height exactly 32.

Steps
 1. grey = 0.299 R + 0.587 G + 0.114 B                (same weights as ocrs)
 2. bg   = most common grey level (32 bins of 8 levels; the first fullest bin b;
    mean of the pixels in bins b-1..b+1). Not the border: the rectangle's edges
    often lie on UI box lines.
 3. d = grey - bg; lo = pct(d, 0.5%), hi = pct(d, 99.5%), t = max(12, 0.3*max(hi,-lo));
    light-on-dark (invert, v -> 255 - v) if #(d > t) > #(d < -t);
    contrast = hi (inverted) or -lo; contrast < MIN_CONTRAST -> "blank" (no text)
 4. ink  = (bg - v) > INK_FRAC * contrast
 5. columns with ink over >= 90 % of the crop height (vertical UI lines) are left
    out of the row profile; rows: a row with ink in >= 80 % of its pixels is a
    UI rule line, not text;
    so is a band <= 3 rows tall whose pixels are > 50 % ink.
    Runs of ink rows are bands; keep the band with most ink, merge neighbouring
    bands closer than max(1, 0.2*h) that do not touch the crop edge (i dots).
 6. columns: first/last column with ink inside the kept rows, ignoring columns
    that are ink over >= 90 % of the whole crop height when the crop is
    >= 1.25x taller than the band (vertical UI rule lines).
 7. contrast' = max(12, pct99 of the ink-side difference inside the text box);
    normalise v' = clamp((v - (bg - contrast')) / contrast', 0, 1)  (ink 0, bg 1)
 8. pad with 1.0: pad_y = max(1, round(0.15*h)), pad_x = max(2, round(0.25*h))
 9. resize to height 32: separable; area (box) filter when shrinking,
    bilinear (half-pixel centres, edge clamp) when enlarging;
    W' = max(1, round(W_pad * 32 / H_pad)).
Then ocrs gets a 1-channel 32-px image: its own resize is an identity.
"""
from __future__ import annotations

import math

import numpy as np

OUT_H = 32
MIN_CONTRAST = 12.0
INK_FRAC = 0.35
LINE_FRAC = 0.8
LINE_FRAC_V = 0.9


def rnd(x: float) -> int:
    """Round half away from zero for x >= 0 (matches Rust f64::round)."""
    return int(math.floor(x + 0.5))


def to_grey(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.float32)
    if rgb.ndim == 2:
        return rgb.astype(np.float64)
    g = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype(np.float32)
    return g.astype(np.float64)  # f32 luminance (as ocrs), then f64 like the Rust port


def _pct(sorted_vals: np.ndarray, q: float) -> float:
    n = sorted_vals.shape[0]
    return float(sorted_vals[int(math.floor(q * (n - 1)))])


def _median_sorted(sorted_vals: np.ndarray) -> float:
    n = sorted_vals.shape[0]
    if n % 2 == 1:
        return float(sorted_vals[n // 2])
    return 0.5 * (float(sorted_vals[n // 2 - 1]) + float(sorted_vals[n // 2]))


def resample_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weight matrix; identical algorithm to the Rust port."""
    w = np.zeros((n_out, n_in), dtype=np.float64)
    s = n_out / n_in
    if n_out == n_in:
        np.fill_diagonal(w, 1.0)
    elif s < 1.0:  # area average
        for o in range(n_out):
            a = o / s
            b = (o + 1) / s
            i = int(math.floor(a))
            while i < n_in and i < b:
                ov = min(b, i + 1.0) - max(a, float(i))
                if ov > 0:
                    w[o, i] += ov * s
                i += 1
    else:  # bilinear, half-pixel centres
        for o in range(n_out):
            x = (o + 0.5) / s - 0.5
            x = min(max(x, 0.0), n_in - 1.0)
            i0 = int(math.floor(x))
            i1 = min(i0 + 1, n_in - 1)
            f = x - i0
            w[o, i0] += 1.0 - f
            w[o, i1] += f
    return w


def background_level(grey: np.ndarray) -> float:
    """Most common grey level: 32 bins of 8 levels, first fullest bin b, then the
    mean of all pixels in bins b-1..b+1."""
    bins = np.minimum((grey / 8.0).astype(np.int64), 31)
    counts = np.bincount(bins.ravel(), minlength=32)
    b = int(np.argmax(counts))
    sel = (bins >= b - 1) & (bins <= b + 1)
    return float(grey[sel].astype(np.float64).sum() / int(sel.sum()))


def trim_box(grey: np.ndarray):
    """Return (y0, y1, x0, x1 inclusive, bg, contrast, invert) or None if blank."""
    h, w = grey.shape
    bg = background_level(grey)
    d = grey - bg
    diff = np.sort(d.ravel())
    lo = _pct(diff, 0.005)
    hi = _pct(diff, 0.995)
    t = max(MIN_CONTRAST, 0.3 * max(hi, -lo))
    invert = int((d > t).sum()) > int((d < -t).sum())
    contrast = hi if invert else -lo
    if contrast < MIN_CONTRAST:
        return None
    if invert:
        ink = (grey - bg) > INK_FRAC * contrast
    else:
        ink = (bg - grey) > INK_FRAC * contrast
    # vertical UI rule lines (ink over >= 90 % of the crop height) must not make
    # every row look like text: leave them out of the row profile
    vcol = ink.sum(axis=0) >= LINE_FRAC_V * h
    rc = ink[:, ~vcol].sum(axis=1)
    row_ink = (rc >= 1) & (rc < LINE_FRAC * w)
    # bands of consecutive ink rows
    bands = []
    y = 0
    while y < h:
        if row_ink[y]:
            s = y
            while y < h and row_ink[y]:
                y += 1
            bands.append([s, y - 1, int(rc[s:y].sum())])
        else:
            y += 1
    # a thin, densely filled band is a UI rule line, not text
    bands = [b for b in bands if not (b[1] - b[0] + 1 <= 3 and b[2] > 0.5 * w * (b[1] - b[0] + 1))]
    if not bands:
        return None
    best = max(range(len(bands)), key=lambda i: (bands[i][2], -i))
    y0, y1 = bands[best][0], bands[best][1]
    # merge close, non-edge bands (dots of i/j, umlauts ...) on both sides
    changed = True
    while changed:
        changed = False
        bh = y1 - y0 + 1
        gap_max = max(1, rnd(0.2 * bh))
        for b in bands:
            if b[0] > y1 and b[0] - y1 - 1 <= gap_max and b[1] < h - 1:
                y1 = b[1]
                changed = True
            elif b[1] < y0 and y0 - b[1] - 1 <= gap_max and b[0] > 0:
                y0 = b[0]
                changed = True
    cc = ink[y0:y1 + 1, :].sum(axis=0)
    # vertical UI rule lines: ink over >= 90 % of the full crop height while
    # the crop is clearly taller than the text band
    if h >= 1.25 * (y1 - y0 + 1):
        cc = np.where(vcol, 0, cc)
    xs = np.nonzero(cc >= 1)[0]
    if xs.size == 0:
        return None
    x0, x1 = int(xs[0]), int(xs[-1])
    # contrast of the text itself (UI lines elsewhere may be stronger)
    box = d[y0:y1 + 1, x0:x1 + 1]
    side = np.sort((box if invert else -box).ravel())
    contrast = max(MIN_CONTRAST, _pct(side, 0.99))
    return y0, y1, x0, x1, bg, contrast, invert


def preprocess(img: np.ndarray) -> np.ndarray | None:
    """RGB (H,W,3) u8 or grey (H,W) -> (32, W') float32 in [0,1]; None if blank."""
    grey = to_grey(img)
    box = trim_box(grey)
    if box is None:
        return None
    y0, y1, x0, x1, bg, contrast, invert = box
    g = grey[y0:y1 + 1, x0:x1 + 1]
    if invert:
        g = 255.0 - g
        bgv = 255.0 - bg
    else:
        bgv = bg
    v = np.clip((g - (bgv - contrast)) / contrast, 0.0, 1.0)
    th = y1 - y0 + 1
    pad_y = max(1, rnd(0.15 * th))
    pad_x = max(2, rnd(0.25 * th))
    hp, wp = th + 2 * pad_y, g.shape[1] + 2 * pad_x
    canvas = np.ones((hp, wp), dtype=np.float64)
    canvas[pad_y:pad_y + th, pad_x:pad_x + g.shape[1]] = v
    out_w = max(1, rnd(wp * OUT_H / hp))
    wy = resample_weights(hp, OUT_H)
    wx = resample_weights(wp, out_w)
    out = wy @ canvas @ wx.T
    return np.clip(out, 0.0, 1.0).astype(np.float32)
