#!/usr/bin/env python3
"""Write the committed sample set fixtures/ocr/ (raw crops + labels.tsv).

  python3 make_fixtures.py --out ../../fixtures/ocr

labels.tsv (UTF-8, tab-separated, header line first):
  file        path relative to fixtures/ocr/ (amount/NNN.png or serial/NNN.png)
  text        what is on screen, NFKC-normalised (the expected model reading)
  amount_fen  expected amount in fen for kind=amount, empty for kind=serial
  kind        amount | serial
  serial      expected serial number without prefix for kind=serial, else empty
  split       heldout (font family never seen in training) | train
  font, size_px, hidpi, aa, bold   rendering details
Seeds: amount 777001, serial 777002 (distinct from training and evaluation seeds).

`--negatives-only` appends to an existing labels.tsv the negative/NN.png crops: the host
POS showing a return in progress, in the forms of issue 12 (`合计:¥-86.50`, `RMB -9646.77`,
`-¥86.50`, `¥ -86.50`, ...), random fonts and themes, seed 777003.
"""
from __future__ import annotations

import argparse
import os
import random

from PIL import Image

from make_set import size_for
from ocrtrain import synth, texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--n-amount", type=int, default=300)
    ap.add_argument("--n-serial", type=int, default=100)
    ap.add_argument("--negatives-only", action="store_true")
    args = ap.parse_args()
    if args.negatives_only:
        negatives(args.out)
        return
    rows = ["file\ttext\tamount_fen\tkind\tserial\tsplit\tfont\tsize_px\thidpi\taa\tbold"]
    for kind, n, seed in [("amount", args.n_amount, 777001), ("serial", args.n_serial, 777002)]:
        d = os.path.join(args.out, kind)
        os.makedirs(d, exist_ok=True)
        rng = random.Random(seed)
        for i in range(n):
            split = "heldout" if rng.random() < 0.5 else "train"
            # 11-14 px text is over-represented on purpose (the hard case)
            size = rng.randint(11, 14) if i % 3 == 0 else size_for(rng)
            arr, text, meta = synth.make_sample(rng, kind, split, size_px=size)
            label = texts.normalise_label(text)
            name = f"{kind}/{i:03d}.png"
            Image.fromarray(arr).save(os.path.join(args.out, name), optimize=True)
            fen = texts.amount_fen(label) if kind == "amount" else ""
            ser = texts.serial_core(label) if kind == "serial" else ""
            rows.append("\t".join(str(v) for v in [name, label, fen, kind, ser, split, meta["font"], meta["size_px"],
                                                   meta["hidpi"], meta["aa"], int(bool(meta["bold"]))]))
    with open(os.path.join(args.out, "labels.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")


NEGATIVE_TEXTS = ["合计:¥-86.50", "RMB -9646.77", "-¥86.50", "¥ -86.50", "合计：￥-86.50", "应收：-1,234.00",
                  "总计 -0.50", "金额:-¥3,210.08", "合计-86.50", "RMB-12.3", "实收:-7元", "-￥９６４６．７７"]


def negatives(out):
    d = os.path.join(out, "negative")
    os.makedirs(d, exist_ok=True)
    rng = random.Random(777003)
    rows = []
    for i, text in enumerate(NEGATIVE_TEXTS):
        split = "heldout" if i % 2 else "train"
        size = rng.randint(11, 14) if i % 3 == 0 else size_for(rng)
        arr, text, meta = synth.make_sample(rng, "amount", split, size_px=size, text=text)
        label = texts.normalise_label(text)
        fen = texts.amount_fen(label)
        assert fen is not None and fen < 0, label
        name = f"negative/{i:02d}.png"
        Image.fromarray(arr).save(os.path.join(out, name), optimize=True)
        rows.append("\t".join(str(v) for v in [name, label, fen, "amount", "", split, meta["font"], meta["size_px"],
                                               meta["hidpi"], meta["aa"], int(bool(meta["bold"]))]))
    path = os.path.join(out, "labels.tsv")
    with open(path, encoding="utf-8") as f:
        kept = [l for l in f.read().splitlines() if l and not l.startswith("negative/")]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(kept + rows) + "\n")


if __name__ == "__main__":
    main()
