#!/usr/bin/env python3
"""Subset every font face the renderer uses to the characters it can draw, so that the
synthesis can run on a machine without the Debian font packages (the accelerator machine):

  python3 make_fontpack.py --out /work/scratch-ocr/fontpack      # ~1-2 MB instead of ~180 MB
  OCR_FONT_PACK=/work/scratch-ocr/fontpack python3 train_multi.py ...

Each face (file, collection index) becomes one font file holding only the characters of
`CHARSET` (the two alphabets, the full-width forms shown on screen and the neighbour-line
words), with its hinting, kerning and embedded bitmaps kept, and `manifest.json` maps
"path#index" to it. `synth.py` reads the pack when OCR_FONT_PACK is set. `--check N`
renders N samples of each kind with the system fonts and with the pack and requires them to
be pixel-identical.
"""
from __future__ import annotations

import argparse
import json
import os
import random

from fontTools import subset
from fontTools.ttLib import TTFont

from ocrtrain import synth, texts

NEIGHBOUR_WORDS = "数量单价小计折扣会员收银员找零TotalQtyCash"
# FreeType's auto-hinter measures a font's blue zones and standard stem widths on these
# reference characters (its afblue.dat CJK_TOP / CJK_BOTTOM strings and the standard
# character 田); fonts without their own hinting are drawn differently when they are
# missing, so the pack keeps them.
AUTOHINT_REFERENCE = (
    "他们你來們到和地对對就席我时時會来為能舰說说这這齊军同已愿既星是景民照现現理用置要軍那配里開雷露面顾"
    "个为人他以们你來個們到和大对對就我时時有来為要說说主些因它想意理生當看着置者自著裡过还进進過道還里面田"
)
CHARSET = sorted(set(texts.AMOUNT_ALPHABET + texts.SERIAL_ALPHABET + "￥：¥" + NEIGHBOUR_WORDS + AUTOHINT_REFERENCE))


def all_faces():
    seen = []
    for fams in (synth.TRAIN_LATIN, synth.TRAIN_CJK, synth.HELD_OUT_LATIN, synth.HELD_OUT_CJK):
        for faces in fams.values():
            for path, index, _ in faces:
                if (path, index) not in seen:
                    seen.append((path, index))
    return seen


def build(out: str, system_dir: str = synth.SYSTEM_FONTS):
    os.makedirs(out, exist_ok=True)
    manifest = {}
    total = 0
    for path, index in all_faces():
        # recalcBBoxes=False: recomputed glyph boxes move hinted outlines by a pixel
        font = TTFont(os.path.join(system_dir, path), fontNumber=index, lazy=False, recalcBBoxes=False)
        opts = subset.Options()
        opts.layout_features = ["*"]
        opts.name_IDs = ["*"]
        opts.name_languages = ["*"]
        opts.notdef_outline = True
        opts.glyph_names = True
        opts.hinting = True
        opts.legacy_kern = True
        # keep embedded bitmaps (CJK fonts draw small sizes from them when not antialiased)
        opts.drop_tables = [t for t in opts.drop_tables if t not in ("EBDT", "EBLC", "EBSC")]
        sub = subset.Subsetter(opts)
        sub.populate(unicodes=[ord(c) for c in CHARSET])
        sub.subset(font)
        ext = ".otf" if "CFF " in font or "CFF2" in font else ".ttf"
        name = path.replace("/", "_").rsplit(".", 1)[0] + f"_{index}{ext}"
        font.save(os.path.join(out, name))
        total += os.path.getsize(os.path.join(out, name))
        manifest[f"{path}#{index}"] = name
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    print(f"{len(manifest)} faces, {total / 1e6:.2f} MB in {out}")


def check(out: str, n: int):
    import numpy as np

    bad = 0
    for kind in ("amount", "serial"):
        for split in ("train", "heldout"):
            for i in range(n):
                synth.use_font_pack(None)
                a = synth.make_sample(random.Random(1000 + i), kind, split)
                synth.use_font_pack(out)
                b = synth.make_sample(random.Random(1000 + i), kind, split)
                if a[1] != b[1] or a[0].shape != b[0].shape or not np.array_equal(a[0], b[0]):
                    bad += 1
                    print("differs:", kind, split, i, a[1], a[2]["face"], a[0].shape, b[0].shape)
    synth.use_font_pack(None)
    print(f"check: {bad} of {4 * n} samples differ")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--check", type=int, default=0, help="compare N samples per kind and split")
    a = ap.parse_args()
    build(a.out)
    if a.check and check(a.out, a.check):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
