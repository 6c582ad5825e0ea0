#!/usr/bin/env python3
"""Re-export a checkpoint: python3 export_ckpt.py --kind amount --ckpt runs/x/last.pt --out amount.onnx"""
import argparse

import torch

from ocrtrain.export import export_onnx
from ocrtrain.model import Recognizer
from train import alphabet_for

ap = argparse.ArgumentParser()
ap.add_argument("--kind", required=True)
ap.add_argument("--ckpt", required=True)
ap.add_argument("--width", default="base")
ap.add_argument("--out", required=True)
a = ap.parse_args()
m = Recognizer(len(alphabet_for(a.kind)) + 1, a.width)
m.load_state_dict(torch.load(a.ckpt, map_location="cpu"))
export_onnx(m, a.out)
with open(a.out.replace(".onnx", ".alphabet.txt"), "w", encoding="utf-8") as f:
    f.write(alphabet_for(a.kind))
print("exported", a.out)
