"""Synthetic POS-screen text-line crops.

`make_sample(rng, kind, split)` returns (rgb_crop_uint8, screen_text, meta).
Fonts come from Debian font packages (see README).  Families in HELD_OUT_*
are never used for training; the evaluation set uses them (and training fonts).
"""
from __future__ import annotations

import functools
import io
import math
import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import texts

SYSTEM_FONTS = "/usr/share/fonts/"
F = SYSTEM_FONTS

# A font pack (make_fontpack.py): subset copies of the faces below, for machines without the
# Debian font packages. Set with OCR_FONT_PACK=<dir> or use_font_pack(dir).
_PACK: dict | None = None
_PACK_DIR: str | None = None

# family -> list of (path, ttc index, is_bold)
TRAIN_LATIN = {
    "DejaVu Sans": [("truetype/dejavu/DejaVuSans.ttf", 0, 0), ("truetype/dejavu/DejaVuSans-Bold.ttf", 0, 1),
                    ("truetype/dejavu/DejaVuSansCondensed.ttf", 0, 0), ("truetype/dejavu/DejaVuSansCondensed-Bold.ttf", 0, 1)],
    "DejaVu Serif": [("truetype/dejavu/DejaVuSerif.ttf", 0, 0), ("truetype/dejavu/DejaVuSerif-Bold.ttf", 0, 1),
                     ("truetype/dejavu/DejaVuSerifCondensed.ttf", 0, 0)],
    "DejaVu Sans Mono": [("truetype/dejavu/DejaVuSansMono.ttf", 0, 0), ("truetype/dejavu/DejaVuSansMono-Bold.ttf", 0, 1)],
    "Noto Sans": [("truetype/noto/NotoSans-Regular.ttf", 0, 0), ("truetype/noto/NotoSans-Bold.ttf", 0, 1)],
    "Noto Serif": [("truetype/noto/NotoSerif-Regular.ttf", 0, 0), ("truetype/noto/NotoSerif-Bold.ttf", 0, 1)],
    "Noto Sans Mono": [("truetype/noto/NotoSansMono-Regular.ttf", 0, 0), ("truetype/noto/NotoSansMono-Bold.ttf", 0, 1),
                       ("truetype/noto/NotoMono-Regular.ttf", 0, 0)],
    "Roboto": [("truetype/roboto/unhinted/RobotoTTF/Roboto-Regular.ttf", 0, 0),
               ("truetype/roboto/unhinted/RobotoTTF/Roboto-Bold.ttf", 0, 1),
               ("truetype/roboto/unhinted/RobotoTTF/Roboto-Medium.ttf", 0, 1),
               ("truetype/roboto/unhinted/RobotoTTF/Roboto-Light.ttf", 0, 0),
               ("truetype/roboto/unhinted/RobotoCondensed-Regular.ttf", 0, 0),
               ("truetype/roboto/unhinted/RobotoCondensed-Bold.ttf", 0, 1)],
    "Open Sans": [("truetype/open-sans/OpenSans-Regular.ttf", 0, 0), ("truetype/open-sans/OpenSans-Bold.ttf", 0, 1),
                  ("truetype/open-sans/OpenSans-Semibold.ttf", 0, 1), ("truetype/open-sans/OpenSans-Light.ttf", 0, 0),
                  ("truetype/open-sans/OpenSans-CondBold.ttf", 0, 1)],
    "Inconsolata": [("truetype/inconsolata/Inconsolata.otf", 0, 0)],
    "FreeSans": [("truetype/freefont/FreeSans.ttf", 0, 0), ("truetype/freefont/FreeSansBold.ttf", 0, 1)],
    "FreeSerif": [("truetype/freefont/FreeSerif.ttf", 0, 0), ("truetype/freefont/FreeSerifBold.ttf", 0, 1)],
    "FreeMono": [("truetype/freefont/FreeMono.ttf", 0, 0), ("truetype/freefont/FreeMonoBold.ttf", 0, 1)],
    "Nimbus Sans": [("opentype/urw-base35/NimbusSans-Regular.otf", 0, 0), ("opentype/urw-base35/NimbusSans-Bold.otf", 0, 1),
                    ("opentype/urw-base35/NimbusSansNarrow-Regular.otf", 0, 0),
                    ("opentype/urw-base35/NimbusSansNarrow-Bold.otf", 0, 1)],
    "Nimbus Roman": [("opentype/urw-base35/NimbusRoman-Regular.otf", 0, 0), ("opentype/urw-base35/NimbusRoman-Bold.otf", 0, 1)],
    "Nimbus Mono PS": [("opentype/urw-base35/NimbusMonoPS-Regular.otf", 0, 0),
                       ("opentype/urw-base35/NimbusMonoPS-Bold.otf", 0, 1)],
    "URW Gothic": [("opentype/urw-base35/URWGothic-Book.otf", 0, 0), ("opentype/urw-base35/URWGothic-Demi.otf", 0, 1)],
    "C059": [("opentype/urw-base35/C059-Roman.otf", 0, 0), ("opentype/urw-base35/C059-Bold.otf", 0, 1)],
    "P052": [("opentype/urw-base35/P052-Roman.otf", 0, 0), ("opentype/urw-base35/P052-Bold.otf", 0, 1)],
}
TRAIN_CJK = {
    "Noto Sans CJK SC": [("opentype/noto/NotoSansCJK-Regular.ttc", 2, 0), ("opentype/noto/NotoSansCJK-Bold.ttc", 2, 1)],
    "Noto Serif CJK SC": [("opentype/noto/NotoSerifCJK-Regular.ttc", 2, 0), ("opentype/noto/NotoSerifCJK-Bold.ttc", 2, 1)],
    "WenQuanYi Micro Hei": [("truetype/wqy/wqy-microhei.ttc", 0, 0), ("truetype/wqy/wqy-microhei.ttc", 1, 0)],
    "WenQuanYi Zen Hei": [("truetype/wqy/wqy-zenhei.ttc", 0, 0), ("truetype/wqy/wqy-zenhei.ttc", 2, 0)],
    "Droid Sans Fallback": [("truetype/droid/DroidSansFallbackFull.ttf", 0, 0)],
}
# Never used for training.
HELD_OUT_LATIN = {
    "Liberation Sans": [("truetype/liberation/LiberationSans-Regular.ttf", 0, 0),
                        ("truetype/liberation/LiberationSans-Bold.ttf", 0, 1),
                        ("truetype/liberation/LiberationSansNarrow-Regular.ttf", 0, 0)],
    "Liberation Serif": [("truetype/liberation/LiberationSerif-Regular.ttf", 0, 0),
                         ("truetype/liberation/LiberationSerif-Bold.ttf", 0, 1)],
    "Liberation Mono": [("truetype/liberation/LiberationMono-Regular.ttf", 0, 0),
                        ("truetype/liberation/LiberationMono-Bold.ttf", 0, 1)],
    "Lato": [("truetype/lato/Lato-Regular.ttf", 0, 0), ("truetype/lato/Lato-Bold.ttf", 0, 1),
             ("truetype/lato/Lato-Medium.ttf", 0, 0), ("truetype/lato/Lato-Semibold.ttf", 0, 1)],
    "Cantarell": [("opentype/cantarell/Cantarell-Regular.otf", 0, 0), ("opentype/cantarell/Cantarell-Bold.otf", 0, 1)],
}
HELD_OUT_CJK = {
    "AR PL UMing CN": [("truetype/arphic/uming.ttc", 0, 0)],
}
HELD_OUT_FAMILIES = sorted(list(HELD_OUT_LATIN) + list(HELD_OUT_CJK))

# Droid Sans Fallback has no Latin glyphs at all: only ever a fallback for CJK chars.
CJK_FALLBACK_ONLY = {"Droid Sans Fallback"}

CJK_CHARS = set("合计应收实总金额元单号流水￥：")


def use_font_pack(pack_dir: str | None):
    """Read the faces from a font pack (None: from the system font folders)."""
    global _PACK, _PACK_DIR
    if pack_dir:
        import json
        with open(os.path.join(pack_dir, "manifest.json"), encoding="utf-8") as f:
            _PACK = json.load(f)
    else:
        _PACK = None
    _PACK_DIR = pack_dir or None
    _cmap.cache_clear()
    _font.cache_clear()


def _file(path: str, index: int):
    """(file, index inside it) of a face, from the pack when one is in use."""
    if _PACK is not None:
        return os.path.join(_PACK_DIR, _PACK[f"{path}#{index}"]), 0
    return F + path, index


@functools.lru_cache(maxsize=None)
def _cmap(path: str, index: int) -> frozenset:
    from fontTools.ttLib import TTFont
    file, idx = _file(path, index)
    kw = {"fontNumber": idx} if file.endswith(".ttc") else {}
    f = TTFont(file, lazy=True, **kw)
    return frozenset(f.getBestCmap().keys())


@functools.lru_cache(maxsize=4096)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    file, idx = _file(path, index)
    return ImageFont.truetype(file, size, index=idx)


def has_glyphs(face, s: str) -> bool:
    cm = _cmap(face[0], face[1])
    return all(ord(c) in cm for c in s if c != " ")


def fonts_for(split: str):
    """(latin families, cjk families) for 'train' or 'heldout'."""
    if split == "train":
        return TRAIN_LATIN, TRAIN_CJK
    return HELD_OUT_LATIN, HELD_OUT_CJK


# ---------------------------------------------------------------- colours
def _lum(c):
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def pick_colours(rng: random.Random):
    r = rng.random()
    for _ in range(100):
        if r < 0.45:  # light theme
            v = rng.randint(215, 255)
            bg = tuple(min(255, max(0, v + rng.randint(-12, 12))) for _ in range(3))
            fg = (rng.randint(0, 110),) * 3 if rng.random() < 0.7 else tuple(rng.randint(0, 160) for _ in range(3))
        elif r < 0.75:  # dark theme
            v = rng.randint(0, 60)
            bg = tuple(min(255, max(0, v + rng.randint(-10, 10))) for _ in range(3))
            fg = (rng.randint(150, 255),) * 3 if rng.random() < 0.6 else tuple(rng.randint(60, 255) for _ in range(3))
        else:  # coloured
            bg = tuple(rng.randint(0, 255) for _ in range(3))
            fg = tuple(rng.randint(0, 255) for _ in range(3))
            if rng.random() < 0.5:
                fg = (0, 0, 0) if _lum(bg) > 128 else (255, 255, 255)
        if abs(_lum(bg) - _lum(fg)) >= 70:
            return bg, fg
    return (255, 255, 255), (0, 0, 0)


# ---------------------------------------------------------------- rendering
def _runs(text: str, face, cjk_face):
    """Split text into (substring, face) runs using per-char font fallback."""
    runs = []
    for ch in text:
        f = face if (ch == " " or has_glyphs(face, ch)) else cjk_face
        if not has_glyphs(f, ch):
            raise ValueError(f"no glyph for {ch!r} in {face} / {cjk_face}")
        if runs and runs[-1][1] == f:
            runs[-1][0] += ch
        else:
            runs.append([ch, f])
    return runs


def _pieces(text, face, cjk_face, tracking):
    """Runs of one face; with tracking, one character per piece (letter-spaced)."""
    runs = _runs(text, face, cjk_face)
    if not tracking:
        return runs
    return [[ch, f] for s, f in runs for ch in s]


def _draw_text(draw, mask_draw, x, y_base, text, face, cjk_face, size, fill, stroke, tracking=0.0):
    for s, f in _pieces(text, face, cjk_face, tracking):
        font = _font(f[0], f[1], size)
        draw.text((x, y_base), s, font=font, fill=fill, anchor="ls", stroke_width=stroke, stroke_fill=fill)
        if mask_draw is not None:
            mask_draw.text((x, y_base), s, font=font, fill=255, anchor="ls", stroke_width=stroke, stroke_fill=255)
        x += font.getlength(s) + 2 * stroke + tracking
    return x


def _text_width(text, face, cjk_face, size, stroke, tracking=0.0):
    return sum(_font(f[0], f[1], size).getlength(s) + 2 * stroke + tracking
               for s, f in _pieces(text, face, cjk_face, tracking))


def _neighbour_text(rng: random.Random, kind: str) -> str:
    r = rng.random()
    if r < 0.4:
        return texts.random_amount_text(rng)
    if r < 0.7:
        return texts.random_serial_text(rng)
    return rng.choice(["数量", "单价", "小计", "折扣", "会员", "收银员", "Total", "Qty", "Cash", "找零"]) + \
        rng.choice(["", ": ", "："]) + texts.random_amount_core(rng)


def _choose_face(rng, split):
    latin, cjk = fonts_for(split)
    cjk_fam = rng.choice(sorted(cjk))
    cjk_face = rng.choice(cjk[cjk_fam])
    if rng.random() < 0.25:  # whole line in a CJK font (common on Chinese POS)
        full = sorted(f for f in cjk if f not in CJK_FALLBACK_ONLY)
        fam = rng.choice(full)
        face = rng.choice(cjk[fam])
        return fam, face, face
    fam = rng.choice(sorted(latin))
    return fam, rng.choice(latin[fam]), cjk_face


def make_sample(rng: random.Random, kind: str = "amount", split: str = "train", size_px: int | None = None,
                augment: bool = False, text: str | None = None):
    """Render one crop. kind: 'amount' | 'serial'. Returns (rgb u8 array, screen text, meta).

    text: draw this screen text instead of a random one (the committed negative fixtures).
    augment (training only; the evaluation sets and fixtures never use it): letter spacing
    (25 %: -4 % .. +18 % of the size) and a horizontal stretch of the crop (25 %: 0.8-1.25x),
    so that the model meets wider and narrower designs than the training fonts have.
    """
    if text is None:
        text = texts.random_amount_text(rng) if kind == "amount" else texts.random_serial_text(rng)
    tracking_frac, stretch = 0.0, 1.0
    if augment:
        if rng.random() < 0.25:
            tracking_frac = rng.uniform(-0.04, 0.18)
        if rng.random() < 0.25:
            stretch = rng.uniform(0.8, 1.25)
    fam, face, cjk_face = _choose_face(rng, split)
    if size_px is None:
        size_px = rng.choice([rng.randint(10, 16), rng.randint(10, 16), rng.randint(12, 24), rng.randint(10, 40)])
    hidpi = 2 if rng.random() < 0.15 else 1
    ps = size_px * hidpi
    aa = rng.random() >= 0.25
    stroke = 1 if (ps >= 16 and rng.random() < 0.08) else 0
    bg, fg = pick_colours(rng)

    tracking = round(tracking_frac * ps)
    tw = _text_width(text, face, cjk_face, ps, stroke, tracking)
    W = int(tw + 6 * ps + 40)
    H = int(6 * ps + 20)
    img = Image.new("RGB", (W, H), bg)
    mask = Image.new("L", (W, H), 0)
    draw = ImageDraw.Draw(img)
    mdraw = ImageDraw.Draw(mask)
    if not aa:
        draw.fontmode = "1"
        mdraw.fontmode = "1"
    x0 = 3 * ps + 20 + rng.uniform(0, 1)
    yb = int(3.3 * ps + 10)
    # highlighted row / field background behind the text
    if rng.random() < 0.15:
        c2 = tuple(min(255, max(0, c + rng.randint(-25, 25))) for c in bg)
        if abs(_lum(c2) - _lum(fg)) >= 70:
            top = yb - int(ps * rng.uniform(1.0, 1.5))
            draw.rectangle([0, top, W, yb + int(ps * rng.uniform(0.3, 0.7))], fill=c2)
    _draw_text(draw, mdraw, x0, yb, text, face, cjk_face, ps, fg, stroke, tracking)
    bbox = mask.getbbox()
    if bbox is None:
        return make_sample(rng, kind, split, size_px, augment, text)
    tx0, ty0, tx1, ty1 = bbox  # ty1/tx1 exclusive
    th = ty1 - ty0
    # neighbouring lines above/below (partly visible in loose selections)
    line_h = ps * rng.uniform(1.2, 1.9)
    limit_top, limit_bot = 0, H  # keep neighbour lines at most about half visible
    for sign in (-1, 1):
        if rng.random() < 0.35:
            nt = _neighbour_text(rng, kind)
            nx = x0 + rng.uniform(-2 * ps, 2 * ps)
            nmask = Image.new("L", (W, H), 0)
            _draw_text(draw, ImageDraw.Draw(nmask), nx, yb + sign * line_h, nt, face, cjk_face, ps, fg, 0)
            nb = nmask.getbbox()
            if nb is not None:
                if sign < 0:
                    limit_top = max(limit_top, int(math.ceil(nb[1] + 0.45 * (nb[3] - nb[1]))))
                else:
                    limit_bot = min(limit_bot, int(math.floor(nb[1] + 0.55 * (nb[3] - nb[1]))))
    # choose the user's rectangle
    m = rng.random()
    if m < 0.35:  # tight
        mt, mb = [rng.uniform(0, max(1.0, 0.15 * th)) for _ in range(2)]
        ml, mr = [rng.uniform(0, max(1.0, 0.3 * th)) for _ in range(2)]
    elif m < 0.8:
        mt, mb = [rng.uniform(0.1, 0.6) * th for _ in range(2)]
        ml, mr = [rng.uniform(0.1, 1.2) * th for _ in range(2)]
    else:  # loose
        mt, mb = [rng.uniform(0.3, 1.3) * th for _ in range(2)]
        ml, mr = [rng.uniform(0.3, 3.0) * th for _ in range(2)]
    if rng.random() < 0.05:  # rectangle cuts a sliver off the text top or bottom
        if rng.random() < 0.5:
            mt = -rng.uniform(0, 0.08) * th
        else:
            mb = -rng.uniform(0, 0.08) * th
    cx0 = int(math.floor(tx0 - ml))
    cx1 = int(math.ceil(tx1 + mr))
    cy0 = int(math.floor(ty0 - mt))
    cy1 = int(math.ceil(ty1 + mb))
    cy0 = min(max(cy0, limit_top), ty0)
    cy1 = max(min(cy1, limit_bot), ty1)
    cx0, cy0 = max(0, cx0), max(0, cy0)
    cx1, cy1 = min(W, max(cx1, cx0 + 2)), min(H, max(cy1, cy0 + 2))
    # UI rule lines / box borders inside the selection
    if rng.random() < 0.25:
        lc = tuple(rng.randint(100, 220) for _ in range(3)) if _lum(bg) > 128 else tuple(rng.randint(40, 140) for _ in range(3))
        lw = rng.choice([1, 1, 1, 2]) * hidpi
        for side in rng.sample(["t", "b", "l", "r"], rng.randint(1, 4)):
            if side == "t" and cy0 < ty0 - lw:
                y = rng.randint(cy0, max(cy0, ty0 - lw - 1))
                draw.rectangle([0, y, W, y + lw - 1], fill=lc)
            elif side == "b" and cy1 > ty1 + lw:
                y = rng.randint(min(ty1 + 1, cy1 - lw), cy1 - lw)
                draw.rectangle([0, y, W, y + lw - 1], fill=lc)
            elif side == "l" and cx0 < tx0 - lw - 1:
                x = rng.randint(cx0, max(cx0, tx0 - lw - 2))
                draw.rectangle([x, 0, x + lw - 1, H], fill=lc)
            elif side == "r" and cx1 > tx1 + lw + 1:
                x = rng.randint(min(tx1 + 2, cx1 - lw), cx1 - lw)
                draw.rectangle([x, 0, x + lw - 1, H], fill=lc)
    crop = img.crop((cx0, cy0, cx1, cy1))
    if stretch != 1.0:
        crop = crop.resize((max(2, round(crop.size[0] * stretch)), crop.size[1]), Image.BILINEAR)
    # degradations
    if rng.random() < 0.12:  # display scaling: shrink and re-enlarge
        f = rng.uniform(0.6, 0.9)
        w0, h0 = crop.size
        crop = crop.resize((max(2, int(w0 * f)), max(2, int(h0 * f))), Image.BILINEAR).resize((w0, h0), Image.BILINEAR)
    if rng.random() < 0.15:
        crop = crop.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9 if ps < 20 else 1.4)))
    arr = np.asarray(crop).astype(np.float32)
    if rng.random() < 0.3:
        nrng = np.random.default_rng(rng.randrange(1 << 30))
        arr = arr + nrng.normal(0, rng.uniform(1.5, 7.0), arr.shape)
    arr = np.clip(arr, 0, 255).astype(np.uint8)
    if rng.random() < 0.25:
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format="JPEG", quality=rng.randint(30, 92))
        arr = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    meta = {"font": fam, "face": os.path.basename(face[0]) + (f"#{face[1]}" if face[1] else ""),
            "size_px": size_px, "hidpi": hidpi, "aa": int(aa), "bold": face[2] or stroke,
            "text_rows": (ty0 - cy0, ty1 - cy0)}
    return arr, text, meta


if os.environ.get("OCR_FONT_PACK"):
    use_font_pack(os.environ["OCR_FONT_PACK"])
