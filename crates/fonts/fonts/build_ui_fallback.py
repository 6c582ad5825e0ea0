#!/usr/bin/env python3
"""Builds the cashier's embedded fallback fonts (cloudpos-fonts, `src/ui.rs`).

A Windows PC without Chinese fonts (some LTSC and server images, a fresh Wine prefix) would
otherwise draw every label of the cashier blank: iced finds no face with the glyphs. The
cashier loads these subsets at start and uses them when the system has no CJK family (and,
for numbers, no monospaced face).

1. cloudpos-cjk-fallback.otf, family "CloudPOS CJK Fallback": a subset of Noto Sans CJK SC
   Regular (face 2 of NotoSansCJK-Regular.ttc, Debian 12 package fonts-noto-cjk
   1:20220127), SIL Open Font License 1.1. A Modified Version under the OFL: renamed (the
   upstream Reserved Font Name is "Source"; "Noto" is a Google trademark), with the
   copyright notice and the licence (cloudpos-cjk-fallback-OFL.txt); not sold by itself.
   Characters: printable ASCII, Latin-1, general punctuation, CJK symbols and punctuation,
   fullwidth forms; all 6,763 hanzi of GB 2312 (what shops type in commodity and clerk
   names); every non-ASCII character in the Rust sources of apps/ and crates/ (the
   cashier's own labels and messages) that the face has.
2. cloudpos-mono-fallback.ttf, family "CloudPOS Mono Fallback": a subset of DejaVu Sans Mono
   2.37 (Debian 12 package fonts-dejavu-core), Bitstream Vera licence (DejaVu changes are
   public domain): renamed without "Bitstream" or "Vera", as that licence requires, notice
   in cloudpos-mono-fallback-LICENSE.txt. Characters: ASCII, Latin-1, punctuation, arrows,
   technical and geometric symbols and dingbats (amounts and order numbers in a monospaced
   face, and symbols such as the keypad's ⌫ that Noto Sans CJK lacks).

No OpenType layout features (vertical forms, locale variants): the cashier writes
horizontally, and they would double the size. No hinting (the cashier renders with
tiny-skia, anti-aliased).

Run after changing the cashier's labels if the font test (`cargo test -p cloudpos-fonts`)
names a missing character (needs: apt-get install python3-fonttools fonts-noto-cjk
fonts-dejavu-core):
    python3 crates/fonts/fonts/build_ui_fallback.py
"""

import os
import pathlib
import subprocess
import sys
import tempfile

from fontTools.ttLib import TTFont

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent

CJK_SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CJK_FACE = 2  # Noto Sans CJK SC
MONO_SOURCE = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

CJK_RANGES = [
    (0x20, 0x7E),  # ASCII
    (0xA0, 0xFF),  # Latin-1 supplement (¥, ×, ·)
    (0x2010, 0x2027),  # dashes, quotes, ellipsis
    (0x2030, 0x203B),  # per mille, prime, reference mark
    (0x2190, 0x2193),  # arrows
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF01, 0xFF5E),  # fullwidth ASCII
    (0xFFE0, 0xFFE6),  # fullwidth ¥ and friends
]
MONO_RANGES = [
    (0x20, 0x7E),
    (0xA0, 0xFF),
    (0x2010, 0x2027),
    (0x2030, 0x203B),
    (0x2190, 0x21FF),  # arrows
    (0x2300, 0x23FF),  # technical (⌫)
    (0x2500, 0x25FF),  # box drawing, blocks, geometric shapes (►, ◄)
    (0x2700, 0x27BF),  # dingbats (✔, ✘)
]


def ranges(spec):
    return {chr(c) for lo, hi in spec for c in range(lo, hi + 1)}


def gb2312_hanzi():
    """The 6,763 hanzi of GB 2312 (rows 16-87)."""
    out = set()
    for row in range(16, 88):
        for cell in range(1, 95):
            try:
                out.add(bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def source_chars():
    """Every printable non-ASCII character in the Rust sources of apps/ and crates/."""
    out = set()
    for top in ("apps", "crates"):
        for path in (ROOT / top).rglob("*.rs"):
            for ch in path.read_text(encoding="utf-8"):
                if ord(ch) > 0x7F and ch.isprintable():
                    out.add(ch)
    return out


def cmap(path, number=0):
    return set(TTFont(path, fontNumber=number).getBestCmap())


def subset(source, number, chars, family, postscript, out):
    """Subsets `source` to `chars` (those it has), renamed to `family`; returns the count."""
    have = cmap(source, number)
    chars = sorted(c for c in chars if ord(c) in have)
    with tempfile.TemporaryDirectory() as tmp:
        text = os.path.join(tmp, "chars.txt")
        sub = os.path.join(tmp, "subset")
        with open(text, "w", encoding="utf-8") as f:
            f.write("".join(chars))
        subprocess.run(
            [
                "pyftsubset",
                source,
                f"--font-number={number}",
                f"--text-file={text}",
                f"--output-file={sub}",
                "--layout-features=",
                "--no-hinting",
                "--name-IDs=0,2,3,5,7,8,9,11,12,13,14",
                "--notdef-outline",
            ],
            check=True,
        )
        font = TTFont(sub)
        names = font["name"]
        version = names.getDebugName(5) or ""
        original = TTFont(source, fontNumber=number)["name"].getDebugName(4)
        names.setName(family, 1, 3, 1, 0x409)
        names.setName("Regular", 2, 3, 1, 0x409)
        names.setName(f"{family}; subset of {original} {version}", 3, 3, 1, 0x409)
        names.setName(family, 4, 3, 1, 0x409)
        names.setName(postscript, 6, 3, 1, 0x409)
        if "CFF " in font:
            cff = font["CFF "].cff
            cff.fontNames = [postscript]
            top = cff.topDictIndex[0]
            top.FullName = family
            top.FamilyName = family
        font.save(str(out))
    print(f"{out.relative_to(ROOT)}: {len(chars)} characters, {out.stat().st_size} bytes")
    return set(chars)


def main():
    used = source_chars()
    cjk = subset(
        CJK_SOURCE,
        CJK_FACE,
        ranges(CJK_RANGES) | gb2312_hanzi() | used,
        "CloudPOS CJK Fallback",
        "CloudPOSCJKFallback-Regular",
        HERE / "cloudpos-cjk-fallback.otf",
    )
    mono = subset(
        MONO_SOURCE,
        0,
        ranges(MONO_RANGES) | used,
        "CloudPOS Mono Fallback",
        "CloudPOSMonoFallback-Regular",
        HERE / "cloudpos-mono-fallback.ttf",
    )
    missing = sorted(used - cjk - mono)
    if missing:
        print("in the sources but in neither font:", "".join(missing), file=sys.stderr)


if __name__ == "__main__":
    main()
