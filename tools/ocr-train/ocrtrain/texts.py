"""Alphabets, label texts and the lenient amount / serial normalisers."""
from __future__ import annotations

import random
import re
import unicodedata

# Class order of the model outputs: class 0 = CTC blank, class i+1 = ALPHABET[i].
# Labels are NFKC-normalised, so full-width forms (￥ U+FFE5, ： U+FF1A) are
# rendered on screen but labelled/emitted as ¥ U+00A5 and ':'.
AMOUNT_ALPHABET = " 0123456789.,-:¥RMB合计应收实总金额元"
SERIAL_ALPHABET = (
    " 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_/#:.单号流水"
)

AMOUNT_WORDS = ["合计", "应收", "实收", "总计", "金额"]
SERIAL_PREFIXES = ["单号", "流水号", "No."]


def normalise_label(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


# ---------------------------------------------------------------- amounts
def _digits(rng: random.Random, n: int) -> str:
    if n == 1:
        return str(rng.randint(0, 9))
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def _group(int_str: str) -> str:
    out = []
    while len(int_str) > 3:
        out.insert(0, int_str[-3:])
        int_str = int_str[:-3]
    out.insert(0, int_str)
    return ",".join(out)


def random_amount_core(rng: random.Random) -> str:
    """Just the number, e.g. '1,234.50', '0.01', '88', '-5.00'."""
    nd = rng.choices([1, 2, 3, 4, 5, 6, 7], weights=[18, 18, 18, 16, 12, 10, 8])[0]
    if nd == 1 and rng.random() < 0.35:
        ip = "0"
    else:
        ip = _digits(rng, nd)
    if nd >= 4 and rng.random() < 0.5:
        ip = _group(ip)
    r = rng.random()
    if r < 0.62:
        num = ip + "." + "".join(str(rng.randint(0, 9)) for _ in range(2))
    elif r < 0.77:
        num = ip + "." + str(rng.randint(0, 9))
    else:
        num = ip
    # repeated digits are a known CTC weak spot: oversample them
    if rng.random() < 0.12:
        d = str(rng.randint(0, 9))
        num = "".join(d if c.isdigit() and rng.random() < 0.7 else c for c in num)
        if num[0] == "0" and len(num) > 1 and num[1].isdigit():
            num = "1" + num[1:]
    return num


def random_amount_text(rng: random.Random) -> str:
    """Screen text (may contain full-width forms); label = normalise_label(text)."""
    num = random_amount_core(rng)
    # a return in progress on the host POS shows a negative total (合计:¥-86.50, RMB -9646.77)
    neg = rng.random() < 0.12
    sp = lambda p: " " if rng.random() < p else ""  # noqa: E731
    r = rng.random()
    prefix = ""
    if r < 0.30:
        prefix = ""
    elif r < 0.58:
        prefix = rng.choice(["¥", "￥"]) + sp(0.25)
    elif r < 0.66:
        prefix = "RMB" + sp(0.6)
    else:
        word = rng.choice(AMOUNT_WORDS)
        colon = rng.choice(["", ":", "：", ":", "："])
        prefix = word + colon + sp(0.5)
        if rng.random() < 0.3:
            prefix += rng.choice(["¥", "￥"]) + sp(0.2)
    if neg:
        if prefix.endswith(("¥", "￥")) and rng.random() < 0.5:
            prefix = prefix[:-1] + "-" + prefix[-1]
        else:
            num = "-" + num
    suffix = (sp(0.3) + "元") if rng.random() < 0.15 else ""
    return prefix + num + suffix


_PREFIX_RE = re.compile(r"^(?:合计|应收|实收|总计|金额|RMB|CNY|[¥:])+")


def amount_fen(text: str | None):
    """Lenient normaliser -> integer fen, or None if not a clean amount.

    NFKC, drop spaces, strip known prefixes (words, RMB, ¥, ':'), a suffix '元',
    allow '-' before or after the prefix, strip thousands separators only if
    they are well-formed (groups of 3), then strict yuan parse with <= 2 decimals.
    """
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", text).replace(" ", "")
    neg = False
    if s.startswith("-"):
        neg, s = True, s[1:]
    s = _PREFIX_RE.sub("", s)
    if s.startswith("-"):
        if neg:
            return None
        neg, s = True, s[1:]
        s = _PREFIX_RE.sub("", s)
    if s.endswith("元"):
        s = s[:-1]
    m = re.fullmatch(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?", s)
    if not m:
        return None
    ip = int(m.group(1).replace(",", ""))
    frac = m.group(2) or ""
    fen = ip * 100 + (int(frac.ljust(2, "0")) if frac else 0)
    return -fen if neg else fen


# ---------------------------------------------------------------- serials
_SER_CH = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def random_serial_core(rng: random.Random) -> str:
    n = rng.randint(6, 24)
    style = rng.random()
    if style < 0.35:  # digits-heavy order numbers 20260122153012001
        s = [rng.choice("0123456789") for _ in range(n)]
        if rng.random() < 0.5:
            lead = rng.choice(["", "SO", "POS", "T", "R", "NO", "A", "ORD"])
            s = list(lead) + s[len(lead):]
    elif style < 0.6:  # upper + digits
        s = [rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(n)]
    else:
        s = [rng.choice(_SER_CH) for _ in range(n)]
    # separators, never at the ends, never doubled
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        i = rng.randint(1, max(1, n - 2))
        if i < len(s) - 1 and s[i - 1] not in "-_/#:" and s[i + 1] not in "-_/#:":
            s[i] = rng.choice("-_/#:-")
    out = "".join(s)
    if rng.random() < 0.08:
        out = "#" + out[1:]
    return out


def random_serial_text(rng: random.Random) -> str:
    core = random_serial_core(rng)
    r = rng.random()
    if r < 0.45:
        return core
    p = rng.choice(SERIAL_PREFIXES)
    colon = rng.choice(["", ":", "：", ":"]) if p != "No." or rng.random() < 0.3 else ""
    return p + colon + (" " if rng.random() < 0.5 else "") + core


_SER_PREFIX_RE = re.compile(r"^(?:单号|流水号|No\.)[:]?")


def serial_core(text: str | None):
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", text).replace(" ", "")
    return _SER_PREFIX_RE.sub("", s)


def fold_confusables(s: str | None):
    if s is None:
        return None
    return s.translate(str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"}))
