#!/usr/bin/env python3
"""Train the amount and serial models at once on one accelerator (or the CPU), against a
wall-clock budget, with many CPU processes rendering the synthetic crops.

  OCR_FONT_PACK=/path/fontpack python3 train_multi.py --minutes 7.5 --workers 14 \\
      --device cuda --out runs/multi

Why a second trainer beside train.py: on a GPU the model step is cheap and the bottleneck
is rendering crops (~4-6 ms each in PIL), so N worker processes render and preprocess
crops for both kinds, the main process keeps a replay pool per kind (each crop is drawn
into at most --reuse batches), and every batch trains each width variant of that kind
(`--widths base,big`) on the same data. Same model contract, CTC input lengths, padding and
one-cycle schedule as train.py.

Output (all in --out, rewritten at every evaluation, so a run stopped early still leaves
its latest weights): `<kind>.tar` with `<kind>_<width>_last.pt` and `<kind>_<width>_best.pt`
(best by exact match on the training-font validation set), `train.log`, `meta.json`.
Export with `export_ckpt.py --kind K --width W --ckpt <file>.pt --out K.onnx`.

Seeds: worker w of kind k renders sample i from random.Random(seed*1_000_003 + w*7919 +
i*104729) (its own --seed offset per kind); validation sets: 424242 + seed (training fonts)
and 525252 + seed (held-out fonts), 1000 crops each per kind, never trained on.
"""
from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import multiprocessing as mp  # noqa: E402
import queue  # noqa: E402
import random  # noqa: E402
import tarfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from ocrtrain import preprocess, synth, texts  # noqa: E402

KIND_SEED = {"amount": 1, "serial": 2}


def alphabet_for(kind):
    return texts.AMOUNT_ALPHABET if kind == "amount" else texts.SERIAL_ALPHABET


def encode(label, alphabet):
    return [alphabet.index(c) + 1 for c in label]


def sample_ok(arr, meta):
    """Training-only sanity check: the trimmed band must be the target line (as train.py)."""
    box = preprocess.trim_box(preprocess.to_grey(arr))
    if box is None:
        return False
    y0, y1 = box[0], box[1]
    r0, r1 = meta["text_rows"]
    return y0 <= r0 + 2 and y1 >= r1 - 3 and y0 >= r0 - 0.5 * (r1 - r0) - 2 and y1 <= r1 + 0.5 * (r1 - r0) + 2


def render(rng, kind, split, augment):
    """One (x float16 [32, w], label ids, label text) or None."""
    arr, text, meta = synth.make_sample(rng, kind, split, augment=augment)
    if augment and not sample_ok(arr, meta):
        return None
    x = preprocess.preprocess(arr)
    if x is None:
        return None
    label = texts.normalise_label(text)
    return x.astype(np.float16), np.asarray(encode(label, alphabet_for(kind)), np.int16), label


def worker(wid, kind, seed, q, stop, chunk, val_n):
    """Renders crops of one kind until `stop`; the first worker of a kind first renders the
    validation sets."""
    random.seed(seed + wid)
    if val_n:
        for split, vseed in (("train", 424242 + seed), ("heldout", 525252 + seed)):
            rng = random.Random(vseed)
            data = []
            while len(data) < val_n:
                r = render(rng, kind, split, augment=False)
                if r is not None:
                    data.append(r)
            q.put(("val", kind, split, data))
    i = 0
    buf = []
    while not stop.is_set():
        rng = random.Random(seed * 1_000_003 + wid * 7919 + i * 104729)
        i += 1
        r = render(rng, kind, "train", augment=True)
        if r is None:
            continue
        buf.append(r[:2])
        if len(buf) >= chunk:
            while not stop.is_set():
                try:
                    q.put(("train", kind, buf), timeout=0.5)
                    break
                except queue.Full:
                    continue
            buf = []


class Pool:
    """Replay pool of the newest crops of one kind; batches are drawn 8 at a time, sorted
    by width so that little of a batch is padding."""

    def __init__(self, capacity, batch, rng):
        self.items, self.capacity, self.batch, self.rng = [], capacity, batch, rng
        self.head = 0
        self.arrived = 0
        self.ready = []

    def add(self, items):
        for it in items:
            if len(self.items) < self.capacity:
                self.items.append(it)
            else:
                self.items[self.head] = it
                self.head = (self.head + 1) % self.capacity
        self.arrived += len(items)

    def next_batch(self):
        if not self.ready:
            n = len(self.items)
            idx = [self.rng.randrange(n) for _ in range(8 * self.batch)]
            idx.sort(key=lambda k: self.items[k][0].shape[1])
            chunks = [idx[k:k + self.batch] for k in range(0, len(idx), self.batch)]
            self.rng.shuffle(chunks)
            self.ready = chunks
        return [self.items[k] for k in self.ready.pop()]


def collate(items, down):
    import torch
    widths = [x.shape[1] for x, _ in items]
    W = int(math.ceil(max(widths) / 50.0) * 50)
    x = np.full((len(items), 1, preprocess.OUT_H, W), -0.5, np.float32)
    for j, (img, _) in enumerate(items):
        x[j, 0, :, : img.shape[1]] = img.astype(np.float32) - 0.5
    targets = torch.from_numpy(np.concatenate([t for _, t in items]).astype(np.int64))
    tlens = torch.tensor([len(t) for _, t in items], dtype=torch.long)
    ilens = torch.tensor([min(W // down, math.ceil(w / down)) for w in widths], dtype=torch.long)
    return torch.from_numpy(x), targets, tlens, ilens


def greedy(logp, alphabet, ilens):
    best = logp.argmax(2).T.cpu().numpy()
    outs = []
    for n, row in enumerate(best):
        s, last = [], 0
        for k in row[: int(ilens[n])]:
            if k != last and k != 0:
                s.append(alphabet[k - 1])
            last = k
        outs.append("".join(s))
    return outs


def evaluate(model, val, alphabet, device, down):
    import torch
    model.eval()
    ok = 0
    order = sorted(range(len(val)), key=lambda k: val[k][0].shape[1])
    with torch.no_grad():
        for k in range(0, len(order), 256):
            chunk = [val[j] for j in order[k:k + 256]]
            x, _, _, il = collate([(a, b) for a, b, _ in chunk], down)
            preds = greedy(model(x.to(device)).float(), alphabet, il)
            ok += sum(p == c[2] for p, c in zip(preds, chunk))
    model.train()
    return ok / max(1, len(val))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kinds", default="amount,serial")
    ap.add_argument("--widths", default="base,big")
    ap.add_argument("--minutes", type=float, required=True, help="training wall-clock budget")
    ap.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 2))
    ap.add_argument("--serial-share", type=float, default=0.55, help="share of the workers rendering serials")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--reuse", type=float, default=3.0, help="batches a crop may be drawn into, on average")
    ap.add_argument("--pool", type=int, default=150_000)
    ap.add_argument("--val", type=int, default=1000)
    ap.add_argument("--eval-every", type=float, default=60.0, help="seconds")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--init", default=None,
                    help="folder with <kind>_<width>_last.pt to continue from (a second, shorter run)")
    ap.add_argument("--warmup", type=float, default=0.06, help="share of the budget spent warming up the LR")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    kinds = args.kinds.split(",")
    widths = args.widths.split(",")
    t_start = time.time()

    # Workers first (fork), before anything touches the accelerator.
    ctx = mp.get_context("fork")
    q = ctx.Queue(maxsize=64 * max(1, args.workers))
    stop = ctx.Event()
    if len(kinds) == 1:
        assignment = [kinds[0]] * args.workers
    else:
        n_serial = min(args.workers - 1, max(1, round(args.workers * args.serial_share)))
        assignment = ["serial"] * n_serial + ["amount"] * (args.workers - n_serial)
    procs = []
    first = set()
    for wid, kind in enumerate(assignment):
        val_n = args.val if kind not in first else 0
        first.add(kind)
        seed = args.seed * 100 + KIND_SEED[kind]
        p = ctx.Process(target=worker, args=(wid, kind, seed, q, stop, 32, val_n), daemon=True)
        p.start()
        procs.append(p)

    import torch
    from ocrtrain.model import DOWNSAMPLE, Recognizer, n_params

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)  # the cores belong to the rendering workers
    device = torch.device(args.device if args.device != "cuda" or torch.cuda.is_available() else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = False
    log = open(os.path.join(args.out, "train.log"), "a", encoding="utf-8")

    def say(msg):
        line = f"[{time.time() - t_start:6.1f}s] {msg}"
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    say(f"device {device} ({torch.cuda.get_device_name(0) if device.type == 'cuda' else 'cpu'}), "
        f"torch {torch.__version__}, workers {dict((k, assignment.count(k)) for k in kinds)}, "
        f"font pack {os.environ.get('OCR_FONT_PACK', '-')}")
    models, opts = {}, {}
    for kind in kinds:
        for w in widths:
            m = Recognizer(len(alphabet_for(kind)) + 1, w)
            init = os.path.join(args.init, f"{kind}_{w}_last.pt") if args.init else None
            if init and os.path.exists(init):
                m.load_state_dict(torch.load(init, map_location="cpu"))
                say(f"model {kind}/{w}: continuing from {init}")
            m = m.to(device)
            models[(kind, w)] = m
            opts[(kind, w)] = torch.optim.AdamW(m.parameters(), lr=args.lr, weight_decay=1e-4)
            say(f"model {kind}/{w}: {n_params(m)} parameters")
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    pools = {k: Pool(args.pool, args.batch, random.Random(args.seed + KIND_SEED[k])) for k in kinds}
    vals = {}
    steps = {k: 0 for k in kinds}
    losses = {key: [] for key in models}
    best = {key: -1.0 for key in models}
    best_state = {}
    history = []

    def lr_at(frac):
        frac = min(max(frac, 0.0), 1.0)
        wu = args.warmup
        if frac < wu:
            return args.lr * (0.05 + 0.95 * frac / wu)
        c = (frac - wu) / (1 - wu)
        return args.lr * (0.005 + 0.995 * 0.5 * (1 + math.cos(math.pi * c)))

    def state_bytes(m):
        b = io.BytesIO()
        torch.save({k: v.detach().cpu() for k, v in m.state_dict().items()}, b)
        return b.getvalue()

    def checkpoint():
        for kind in kinds:
            path = os.path.join(args.out, f"{kind}.tar")
            with tarfile.open(path + ".tmp", "w") as tar:
                for w in widths:
                    for tag, data in (("last", state_bytes(models[(kind, w)])), ("best", best_state.get((kind, w)))):
                        if data is None:
                            continue
                        info = tarfile.TarInfo(f"{kind}_{w}_{tag}.pt")
                        info.size = len(data)
                        tar.addfile(info, io.BytesIO(data))
            os.replace(path + ".tmp", path)

    def run_eval(t_train):
        row = {"t": round(t_train), "steps": dict(steps), "arrived": {k: pools[k].arrived for k in kinds}}
        for (kind, w), m in models.items():
            if (kind, "train") not in vals:
                continue
            a_tr = evaluate(m, vals[(kind, "train")], alphabet_for(kind), device, DOWNSAMPLE)
            a_ho = evaluate(m, vals[(kind, "heldout")], alphabet_for(kind), device, DOWNSAMPLE) \
                if (kind, "heldout") in vals else float("nan")
            ls = losses[(kind, w)]
            loss = sum(ls) / len(ls) if ls else float("nan")
            losses[(kind, w)] = []
            row[f"{kind}/{w}"] = {"loss": round(loss, 5), "val_train_fonts": a_tr, "val_heldout_fonts": a_ho}
            if a_tr >= best[(kind, w)]:
                best[(kind, w)] = a_tr
                best_state[(kind, w)] = state_bytes(m)
            say(f"eval {kind}/{w}: step {steps[kind]} loss {loss:.4f} val(train fonts) {a_tr:.4f} "
                f"val(held-out fonts) {a_ho:.4f} crops seen {pools[kind].arrived}")
        history.append(row)
        checkpoint()

    def drain(max_msgs=200):
        n = 0
        while n < max_msgs:
            try:
                msg = q.get_nowait()
            except queue.Empty:
                break
            n += 1
            if msg[0] == "train":
                pools[msg[1]].add(msg[2])
            else:
                vals[(msg[1], msg[2])] = msg[3]
                say(f"validation set {msg[1]}/{msg[2]}: {len(msg[3])} crops")
        return n

    # Wait for a first pool of each kind.
    while any(len(pools[k].items) < 4 * args.batch for k in kinds):
        if not drain():
            time.sleep(0.05)
    say("pools ready: " + ", ".join(f"{k} {len(pools[k].items)}" for k in kinds))
    t0 = time.time()
    budget = 60 * args.minutes
    next_eval = args.eval_every
    idle = 0.0
    while True:
        t = time.time() - t0
        if t >= budget:
            break
        drain()
        lr = lr_at(t / budget)
        stepped = False
        for kind in kinds:
            pool = pools[kind]
            if steps[kind] * args.batch > args.reuse * pool.arrived:
                continue
            x, tg, tl, il = collate(pool.next_batch(), DOWNSAMPLE)
            x = x.to(device, non_blocking=True)
            tg = tg.to(device, non_blocking=True)
            for w in widths:
                m, opt = models[(kind, w)], opts[(kind, w)]
                logp = m(x)
                loss = ctc(logp.float(), tg, il, tl)  # tg on the device: CUDA's CTC needs it there
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(m.parameters(), 5.0)
                for g in opt.param_groups:
                    g["lr"] = lr
                opt.step()
                losses[(kind, w)].append(loss.item())
            steps[kind] += 1
            stepped = True
        if not stepped:
            ts = time.time()
            time.sleep(0.01)
            idle += time.time() - ts
        if t >= next_eval:
            say(f"lr {lr:.2e}, steps {steps}, waiting for data {idle:.0f}s so far")
            run_eval(t)
            next_eval += args.eval_every
    stop.set()
    t_train = time.time() - t0
    say(f"training stopped after {t_train:.0f}s: steps {steps}")
    run_eval(t_train)
    for p in procs:
        p.terminate()
    meta = {
        "kinds": kinds, "widths": widths, "minutes": args.minutes, "batch": args.batch, "lr": args.lr,
        "reuse": args.reuse, "seed": args.seed, "init": args.init, "warmup": args.warmup, "workers": dict((k, assignment.count(k)) for k in kinds),
        "steps": steps, "crops_rendered": {k: pools[k].arrived for k in kinds}, "train_seconds": round(t_train),
        "waiting_for_data_seconds": round(idle), "device": str(device), "torch": torch.__version__,
        "params": {f"{k}/{w}": n_params(m) for (k, w), m in models.items()},
        "best_val_train_fonts": {f"{k}/{w}": v for (k, w), v in best.items()}, "history": history,
    }
    with open(os.path.join(args.out, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    say("done")


if __name__ == "__main__":
    main()
