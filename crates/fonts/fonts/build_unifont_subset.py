#!/usr/bin/env python3
"""Builds fonts/unifont-subset.bin.z, the embedded bitmap font of crate cloudpos-fonts
(receipt previews in cloudpos-printer, statistics pictures in cloudpos-export).

Source: GNU Unifont 15.0.01 (Debian package `unifont`, /usr/share/unifont/unifont.hex),
used under the SIL Open Font License 1.1 (see README.md and OFL-1.1.txt).

Kept glyphs: printable ASCII and Latin-1, the CP437 repertoire (what a printer prints with
Chinese mode off), and every BMP character encodable in GBK or Big5 (what a Chinese ESC/POS
printer's built-in font prints). Everything else renders as an empty box.

Format (zlib-compressed): b"UFS1", u32 LE glyph count, then per glyph sorted by code point:
u16 LE code point, u8 width in pixels (8 or 16); then the bitmaps in the same order, 16 rows,
1 or 2 bytes per row, most significant bit leftmost.

Run:  python3 crates/fonts/fonts/build_unifont_subset.py [/usr/share/unifont/unifont.hex]
"""
import os
import struct
import sys
import zlib

CP437_HIGH = (
    "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀"
    "αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0"
)


def wanted(cp: int) -> bool:
    if 0x20 <= cp <= 0x7E or 0xA0 <= cp <= 0xFF or cp == 0xFFFD:
        return True
    ch = chr(cp)
    if ch in CP437_HIGH:
        return True
    if 0xD800 <= cp <= 0xDFFF:
        return False
    for codec in ("gbk", "big5"):
        try:
            if len(ch.encode(codec)) == 2:
                return True
        except UnicodeEncodeError:
            pass
    return False


def main() -> None:
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unifont/unifont.hex"
    glyphs = []
    with open(src, encoding="ascii") as f:
        for line in f:
            cp_hex, bits = line.strip().split(":")
            cp = int(cp_hex, 16)
            if cp > 0xFFFF or not wanted(cp):
                continue
            data = bytes.fromhex(bits)
            if len(data) not in (16, 32):
                continue
            glyphs.append((cp, data))
    glyphs.sort()
    head = b"UFS1" + struct.pack("<I", len(glyphs))
    index = b"".join(struct.pack("<HB", cp, 8 if len(d) == 16 else 16) for cp, d in glyphs)
    bitmaps = b"".join(d for _, d in glyphs)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "unifont-subset.bin.z")
    with open(out, "wb") as f:
        f.write(zlib.compress(head + index + bitmaps, 9))
    print(f"{len(glyphs)} glyphs -> {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
