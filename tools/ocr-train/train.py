#!/usr/bin/env python3
"""Train a recognition model on synthetic crops (CPU), then export ONNX.

  python3 train.py --kind amount --steps 9000 --out runs/amount
  python3 train.py --kind serial --steps 6000 --out runs/serial

Every sample is generated on the fly by a DataLoader worker from
random.Random(seed * 1_000_003 + worker * 7919 + i) so a run is reproducible
for a given (seed, workers, batch) up to PyTorch CPU kernel non-determinism.
"""
from __future__ import annotations

import os

# One BLAS thread per process: the data worker and the trainer each get a core.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch
from torch.utils.data import DataLoader, IterableDataset

from ocrtrain import preprocess, synth, texts
from ocrtrain.model import DOWNSAMPLE, Recognizer, n_params
from ocrtrain.export import export_onnx


def alphabet_for(kind):
    return texts.AMOUNT_ALPHABET if kind == "amount" else texts.SERIAL_ALPHABET


def encode(label, alphabet):
    return [alphabet.index(c) + 1 for c in label]


def sample_ok(img, arr, meta):
    """Training-only sanity check: the trimmed band must be the target line."""
    box = preprocess.trim_box(preprocess.to_grey(arr))
    if box is None:
        return False
    y0, y1 = box[0], box[1]
    r0, r1 = meta["text_rows"]
    return y0 <= r0 + 2 and y1 >= r1 - 3 and y0 >= r0 - 0.5 * (r1 - r0) - 2 and y1 <= r1 + 0.5 * (r1 - r0) + 2


class SynthStream(IterableDataset):
    """Yields ready batches; samples are bucketed by width (pool of 8 batches)
    so little compute is spent on padding."""

    def __init__(self, kind, seed, batch, split="train"):
        self.kind, self.seed, self.batch, self.split = kind, seed, batch, split
        self.alphabet = alphabet_for(kind)

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info else 0
        rng = random.Random(self.seed + 17 * wid)
        pool = []
        for item in self.samples(wid):
            pool.append(item)
            if len(pool) == 8 * self.batch:
                pool.sort(key=lambda t: t[0].shape[1])
                chunks = [pool[k:k + self.batch] for k in range(0, len(pool), self.batch)]
                rng.shuffle(chunks)
                for c in chunks:
                    yield collate(c)
                pool = []

    def samples(self, wid):
        i = 0
        while True:
            rng = random.Random(self.seed * 1_000_003 + wid * 7919 + i * 104729)
            i += 1
            arr, text, meta = synth.make_sample(rng, self.kind, self.split)
            if not sample_ok(None, arr, meta):
                continue
            x = preprocess.preprocess(arr)
            if x is None:
                continue
            label = texts.normalise_label(text)
            yield x, encode(label, self.alphabet)


def collate(batch):
    widths = [b[0].shape[1] for b in batch]
    W = int(math.ceil(max(widths) / 50.0) * 50)
    x = np.full((len(batch), 1, preprocess.OUT_H, W), -0.5, np.float32)
    for j, (img, _) in enumerate(batch):
        x[j, 0, :, : img.shape[1]] = img - 0.5
    targets = torch.tensor([c for _, t in batch for c in t], dtype=torch.long)
    tlens = torch.tensor([len(t) for _, t in batch], dtype=torch.long)
    # CTC input lengths cover the real content only, never the padding
    ilens = torch.tensor([min(W // DOWNSAMPLE, math.ceil(w / DOWNSAMPLE)) for w in widths], dtype=torch.long)
    return torch.from_numpy(x), targets, tlens, ilens


def greedy(logp, alphabet, ilens=None):
    best = logp.argmax(2).T.numpy()  # N, T
    outs = []
    for n, row in enumerate(best):
        L = len(row) if ilens is None else int(ilens[n])
        s, last = [], 0
        for k in row[:L]:
            if k != last and k != 0:
                s.append(alphabet[k - 1])
            last = k
        outs.append("".join(s))
    return outs


def make_val(kind, n, seed):
    rng = random.Random(seed)
    data = []
    while len(data) < n:
        arr, text, meta = synth.make_sample(rng, kind, "train")
        x = preprocess.preprocess(arr)
        if x is None:
            continue
        data.append((x, encode(texts.normalise_label(text), alphabet_for(kind)), texts.normalise_label(text)))
    return data


def evaluate(model, val, alphabet):
    model.eval()
    ok = 0
    with torch.no_grad():
        for k in range(0, len(val), 128):
            chunk = val[k:k + 128]
            x, _, _, ilens = collate([(a, b) for a, b, _ in chunk])
            preds = greedy(model(x), alphabet, ilens)
            ok += sum(p == c[2] for p, c in zip(preds, chunk))
    model.train()
    return ok / len(val)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=["amount", "serial"], required=True)
    ap.add_argument("--steps", type=int, default=9000)
    ap.add_argument("--minutes", type=float, default=0, help="wall-clock budget; overrides --steps")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--width", default="base")
    ap.add_argument("--init", default=None, help="warm-start from a checkpoint (.pt)")
    ap.add_argument("--val", type=int, default=1000)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    alphabet = alphabet_for(args.kind)
    model = Recognizer(len(alphabet) + 1, args.width)
    if args.init:  # warm start; tensors whose shape differs (output layer of another alphabet) stay fresh
        own = model.state_dict()
        src = torch.load(args.init, map_location="cpu")
        keep = {k: v for k, v in src.items() if k in own and own[k].shape == v.shape}
        own.update(keep)
        model.load_state_dict(own)
        print(f"warm start from {args.init}: {len(keep)}/{len(own)} tensors", flush=True)
    print(f"params {n_params(model)}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    # One-cycle schedule over a step budget (--steps) or a wall-clock budget
    # (--minutes, robust to other jobs sharing the CPU; the step count reached
    # is logged in meta.json, re-run with --steps N to reproduce it exactly).
    def lr_at(frac):
        frac = min(max(frac, 0.0), 1.0)
        if frac < 0.06:
            return args.lr * (0.05 + 0.95 * frac / 0.06)
        c = (frac - 0.06) / 0.94
        return args.lr * (0.005 + 0.995 * 0.5 * (1 + math.cos(math.pi * c)))
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    dl = DataLoader(SynthStream(args.kind, args.seed, args.batch), batch_size=None,
                    num_workers=args.workers, prefetch_factor=2 if args.workers else None,
                    persistent_workers=bool(args.workers))
    val = make_val(args.kind, args.val, 424242 + args.seed)
    if args.minutes:
        args.steps = 10**9
    t0 = time.time()
    log = open(os.path.join(args.out, "train.log"), "a")
    run_loss = 0.0
    best = -1.0
    for step, (x, tg, tl, il) in enumerate(dl, start=1):
        logp = model(x)
        loss = ctc(logp, tg, il, tl)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        frac = (time.time() - t0) / (60 * args.minutes) if args.minutes else step / args.steps
        for g in opt.param_groups:
            g["lr"] = lr_at(frac)
        opt.step()
        run_loss += loss.item()
        if step % 100 == 0:
            msg = f"step {step} loss {run_loss / 100:.4f} lr {opt.param_groups[0]['lr']:.2e} t {time.time() - t0:.0f}s"
            run_loss = 0.0
            done = (args.minutes and time.time() - t0 >= 60 * args.minutes) or step >= args.steps
            if step % 1000 == 0 or done:
                acc = evaluate(model, val, alphabet)
                msg += f" val_exact {acc:.4f}"
                torch.save(model.state_dict(), os.path.join(args.out, "last.pt"))
                if acc >= best:
                    best = acc
                    torch.save(model.state_dict(), os.path.join(args.out, "best.pt"))
            print(msg, flush=True)
            log.write(msg + "\n")
            log.flush()
        if (args.minutes and time.time() - t0 >= 60 * args.minutes) or step >= args.steps:
            break
    torch.save(model.state_dict(), os.path.join(args.out, "last.pt"))
    elapsed = time.time() - t0
    model.eval()
    export_onnx(model, os.path.join(args.out, f"{args.kind}.onnx"))
    with open(os.path.join(args.out, f"{args.kind}.alphabet.txt"), "w", encoding="utf-8") as f:
        f.write(alphabet)
    json.dump({"kind": args.kind, "steps": step, "minutes": args.minutes, "batch": args.batch, "seed": args.seed,
               "params": n_params(model), "train_seconds": round(elapsed), "width": args.width,
               "init": args.init},
              open(os.path.join(args.out, "meta.json"), "w"), indent=1)
    print(f"done in {elapsed:.0f}s", flush=True)


if __name__ == "__main__":
    main()
