#!/usr/bin/env python3
"""Write a labelled set of raw crops (PNG, as grabbed from the screen).

  python3 make_set.py --kind amount --n 2000 --seed 20261122 --out eval/amount
  python3 make_set.py --kind serial --n 1000 --seed 20261123 --out eval/serial

labels.tsv columns: file, text, expected, kind, split, font, size_px, hidpi, aa, bold
  text     = label (NFKC screen text, what the model should read)
  expected = amount in fen (kind=amount) or the serial without prefix (kind=serial)
Half of the crops use held-out font families (split=heldout), never seen in training.
"""
from __future__ import annotations

import argparse
import os
import random

from PIL import Image

from ocrtrain import synth, texts


def size_for(rng: random.Random) -> int:
    return rng.randint(10, 14) if rng.random() < 0.4 else rng.randint(15, 40)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=["amount", "serial"], required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--heldout-frac", type=float, default=0.5)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    rows = ["file\ttext\texpected\tkind\tsplit\tfont\tsize_px\thidpi\taa\tbold"]
    for i in range(args.n):
        split = "heldout" if rng.random() < args.heldout_frac else "train"
        arr, text, meta = synth.make_sample(rng, args.kind, split, size_px=size_for(rng))
        label = texts.normalise_label(text)
        if args.kind == "amount":
            exp = texts.amount_fen(label)
            assert exp is not None, label
        else:
            exp = texts.serial_core(label)
        name = f"{args.kind[0]}{i:05d}.png"
        Image.fromarray(arr).save(os.path.join(args.out, name), optimize=True)
        rows.append("\t".join(str(v) for v in [name, label, exp, args.kind, split, meta["font"], meta["size_px"],
                                               meta["hidpi"], meta["aa"], int(bool(meta["bold"]))]))
    with open(os.path.join(args.out, "labels.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
