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
    args = ap.parse_args()
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


if __name__ == "__main__":
    main()
