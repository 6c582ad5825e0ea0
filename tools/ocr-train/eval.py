#!/usr/bin/env python3
"""Evaluate on a set written by make_set.py.

  # Python (PyTorch, 1 thread) predictions + timing, optional
  python3 eval.py python --set eval/amount --ckpt runs/amount/last.pt --kind amount
  # tesseract baseline (batch = "in-process-ish" and per-crop CLI timing)
  python3 eval.py tesseract --set eval/amount --kind amount [--cli-n 300]
  # breakdown of any predictions file (Rust: preds_rust.tsv written by ocr-verify)
  python3 eval.py report --set eval/amount --preds eval/amount/preds_rust.tsv

Scoring: amount -> exact match of the amount in fen after the lenient
normaliser (texts.amount_fen); serial -> exact match of the serial without
prefix (texts.serial_core), plus a figure with O/0 and I/l/1 folded.
"""
from __future__ import annotations

import argparse
import collections
import math
import os
import subprocess
import tempfile
import time

import numpy as np
from PIL import Image

from ocrtrain import preprocess, texts


def load_labels(d):
    rows = []
    with open(os.path.join(d, "labels.tsv"), encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            if line.strip():
                rows.append(dict(zip(head, line.rstrip("\n").split("\t"))))
    return rows


def load_preds(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            if line.strip():
                r = dict(zip(head, line.rstrip("\n").split("\t")))
                out[r["file"]] = r
    return out


def correct(row, pred):
    if row["kind"] == "amount":
        v = texts.amount_fen(pred)
        return v is not None and str(v) == row["expected"]
    return texts.serial_core(pred) == row["expected"]


def correct_folded(row, pred):
    if row["kind"] == "amount":
        return correct(row, pred)
    return texts.fold_confusables(texts.serial_core(pred)) == texts.fold_confusables(row["expected"])


def prefix_kind(text):
    t = text.lstrip("-")
    if t[:1] in "合应实总金单流":
        return "chinese word"
    if t.startswith(("¥", "RMB", "No.")):
        return t[:3] if t.startswith(("RMB", "No.")) else "¥"
    return "none"


def size_bucket(px):
    px = int(px)
    for lo, hi in [(10, 10), (11, 14), (15, 20), (21, 30), (31, 40)]:
        if lo <= px <= hi:
            return f"{lo}-{hi} px" if lo != hi else f"{lo} px"
    return "other"


def report(rows, preds, title, conf_key="conf"):
    groups = collections.defaultdict(lambda: [0, 0])
    ok_all = 0
    fold_ok = 0
    wrong = []
    for r in rows:
        p = preds[r["file"]]["pred"]
        ok = correct(r, p)
        ok_all += ok
        fold_ok += correct_folded(r, p)
        keys = ["all", "split=" + r["split"], "size " + size_bucket(r["size_px"]),
                "font=" + r["font"] + (" (held out)" if r["split"] == "heldout" else ""),
                "hidpi=" + r["hidpi"], "antialias=" + r["aa"], "bold=" + r["bold"]]
        if r["split"] == "heldout":
            keys.append("heldout size " + size_bucket(r["size_px"]))
        keys.append("prefix=" + prefix_kind(r["text"]))
        if r["kind"] == "amount":
            keys.append("sign=" + ("negative (a return on the host)" if int(r["expected"]) < 0 else "positive"))
        for k in keys:
            groups[k][0] += ok
            groups[k][1] += 1
        if not ok:
            wrong.append((r["file"], r["text"], p, preds[r["file"]].get(conf_key, "")))
    lines = [f"### {title}", "", "| group | n | exact | accuracy |", "|---|---:|---:|---:|"]
    order = sorted(groups, key=lambda k: (k != "all", not k.startswith("split"), not k.startswith("size"),
                                          not k.startswith("heldout"), not k.startswith("prefix"), not k.startswith("font"), k))
    for k in order:
        ok, n = groups[k]
        lines.append(f"| {k} | {n} | {ok} | {100.0 * ok / n:.2f} % |")
    n = len(rows)
    if rows and rows[0]["kind"] == "serial":
        lines.append(f"\nWith O/0 and I/l/1 folded: {100.0 * fold_ok / n:.2f} %")
    ms = [float(preds[r["file"]][k]) for r in rows for k in ("ms_total",) if k in preds[r["file"]]]
    if ms:
        lines.append(f"\nms per crop: mean {np.mean(ms):.2f}, p50 {np.median(ms):.2f}, p95 {np.percentile(ms, 95):.2f}")
    if rows and rows[0]["kind"] == "amount":
        unparsed = sum(texts.amount_fen(preds[r["file"]]["pred"]) is None for r in rows)
        wrongv = n - ok_all - unparsed
        lines.append(f"\nOf the {n - ok_all} misses: {unparsed} did not parse as an amount (a safe reject), "
                     f"{wrongv} parsed to a wrong amount (the dangerous case).")
        neg = [r for r in rows if int(r["expected"]) < 0]
        lost = sum((texts.amount_fen(preds[r["file"]]["pred"]) or 0) > 0 for r in neg)
        gained = sum((texts.amount_fen(preds[r["file"]]["pred"]) or 0) < 0 for r in rows if int(r["expected"]) > 0)
        lines.append(f"Negative totals: {len(neg)}; read as a positive amount: {lost}; "
                     f"positive totals read as negative: {gained}.")
    # confidence analysis (Rust preds carry 'conf' = min char prob)
    if rows and conf_key in preds[rows[0]["file"]] and preds[rows[0]["file"]][conf_key] != "":
        wrong_c = [float(preds[r["file"]][conf_key]) for r in rows if not correct(r, preds[r["file"]]["pred"])]
        for thr in (0.5, 0.7, 0.9):
            low = sum(c < thr for c in wrong_c)
            lines.append(f"- wrong reads with conf < {thr}: {low} of {len(wrong_c)} "
                         f"({100.0 * low / max(1, len(wrong_c)):.1f} %)")
        for thr in (0.5, 0.7, 0.9):
            acc_n = rej_w = acc_w = 0
            for r in rows:
                c = float(preds[r["file"]][conf_key])
                p = preds[r["file"]]["pred"]
                ok = correct(r, p)
                parsed = texts.amount_fen(p) is not None if r["kind"] == "amount" else True
                if c >= thr and parsed:
                    acc_n += 1
                    acc_w += not ok
                else:
                    rej_w += not ok
            lines.append(f"- accept if parsed and conf >= {thr}: accepted {acc_n}/{n} ({100.0 * acc_n / n:.1f} %), "
                         f"wrong among accepted {acc_w} ({100.0 * (acc_n - acc_w) / max(1, acc_n):.2f} % correct), "
                         f"misses among rejected {rej_w}")
    lines.append("\nErrors (file, truth, read, conf):\n")
    for w in wrong[:40]:
        lines.append(f"- {w[0]} `{w[1]}` -> `{w[2]}` {w[3]}")
    return "\n".join(lines) + "\n", ok_all / max(1, n)


def cmd_python(args, rows):
    import torch
    from ocrtrain.model import Recognizer
    from train import alphabet_for, greedy
    torch.set_num_threads(1)
    alphabet = alphabet_for(args.kind)
    m = Recognizer(len(alphabet) + 1, args.width)
    m.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    m.eval()
    out = os.path.join(args.set, "preds_python.tsv")
    with open(out, "w", encoding="utf-8") as f, torch.no_grad():
        f.write("file\tpred\tms_total\n")
        for r in rows:
            img = np.asarray(Image.open(os.path.join(args.set, r["file"])).convert("RGB"))
            t = time.perf_counter()
            x = preprocess.preprocess(img)
            pred = ""
            if x is not None:
                w = x.shape[1]
                W = int(math.ceil(w / 50) * 50)
                inp = np.full((1, 1, 32, W), -0.5, np.float32)
                inp[0, 0, :, :w] = x - 0.5
                pred = greedy(m(torch.from_numpy(inp)), alphabet, [math.ceil(w / 4)])[0]
            ms = (time.perf_counter() - t) * 1e3
            f.write(f"{r['file']}\t{pred}\t{ms:.3f}\n")
    return out


TESS_WL = {"amount": "0123456789.,-:¥RMB", "serial": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_/#:."}


def cmd_tesseract(args, rows):
    cfg = ["--psm", "7", "-c", f"tessedit_char_whitelist={TESS_WL[args.kind]}", "-c", "page_separator=\f"]
    # batch mode: one tesseract process reads all crops (no per-crop process start)
    with tempfile.TemporaryDirectory() as td:
        lst = os.path.join(td, "list.txt")
        paths = [os.path.join(args.set, r["file"]) for r in rows]
        if args.pre:  # give tesseract our normalised line, 64 px tall, with a white border
            newp = []
            for k, p in enumerate(paths):
                x = preprocess.preprocess(np.asarray(Image.open(p).convert("RGB")))
                x = np.ones((32, 32)) if x is None else x
                im = Image.fromarray((x * 255).round().astype(np.uint8)).resize((x.shape[1] * 2, 64), Image.BILINEAR)
                canvas = Image.new("L", (im.width + 32, 96), 255)
                canvas.paste(im, (16, 16))
                q = os.path.join(td, f"{k:05d}.png")
                canvas.save(q)
                newp.append(q)
            paths = newp
        with open(lst, "w") as f:
            f.write("\n".join(paths) + "\n")
        t = time.perf_counter()
        res = subprocess.run(["tesseract", lst, "stdout", "-l", "eng"] + cfg, capture_output=True, text=True)
        batch_ms = (time.perf_counter() - t) * 1e3 / len(rows)
    pages = res.stdout.split("\f")
    if len(pages) < len(rows):
        raise SystemExit(f"tesseract returned {len(pages)} pages for {len(rows)} crops")
    out = os.path.join(args.set, "preds_tesseract_pre.tsv" if args.pre else "preds_tesseract.tsv")
    with open(out, "w", encoding="utf-8") as f:
        f.write("file\tpred\tms_total\n")
        for r, p in zip(rows, pages):
            f.write(f"{r['file']}\t{' '.join(p.split())}\t{batch_ms:.3f}\n")
    cli = []
    for r in rows[: args.cli_n]:
        t = time.perf_counter()
        subprocess.run(["tesseract", os.path.join(args.set, r["file"]), "stdout", "-l", "eng"] + cfg[:-2],
                       capture_output=True, text=True)
        cli.append((time.perf_counter() - t) * 1e3)
    msg = f"tesseract batch (one process) ms/crop {batch_ms:.2f}"
    if cli:
        msg += f"; CLI per crop mean {np.mean(cli):.1f} p50 {np.median(cli):.1f} over {len(cli)}"
    print(msg)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["python", "tesseract", "report"])
    ap.add_argument("--set", required=True)
    ap.add_argument("--kind", default="amount")
    ap.add_argument("--ckpt")
    ap.add_argument("--width", default="base")
    ap.add_argument("--preds")
    ap.add_argument("--title", default="")
    ap.add_argument("--cli-n", type=int, default=300)
    ap.add_argument("--pre", action="store_true", help="tesseract: feed our normalised crop (2x, 64 px)")
    args = ap.parse_args()
    rows = load_labels(args.set)
    if args.cmd == "python":
        p = cmd_python(args, rows)
        txt, acc = report(rows, load_preds(p), args.title or "Python (PyTorch, 1 thread)")
    elif args.cmd == "tesseract":
        p = cmd_tesseract(args, rows)
        txt, acc = report(rows, load_preds(p), args.title or ("tesseract --psm 7" + (" on normalised crops" if args.pre else "")))
    else:
        preds = load_preds(args.preds)
        for r in preds.values():
            if "ms_ocrs" in r:
                r["ms_total"] = str(float(r["ms_ocrs"]))
        txt, acc = report(rows, preds, args.title or os.path.basename(args.preds))
    print(txt)


if __name__ == "__main__":
    main()
