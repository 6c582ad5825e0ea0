//! The embedded bitmap font of CloudPOS pictures: a GNU Unifont subset (SIL OFL 1.1; see
//! `fonts/README.md` and `fonts/OFL-1.1.txt`), 8 × 16 half-width and 16 × 16 full-width
//! glyphs covering ASCII, Latin-1, CP437 and every BMP character encodable in GBK or Big5.
//!
//! The key decision is to embed the font (`include_bytes!`, about 430 KB compressed) rather
//! than ask the operating system: receipt previews (`cloudpos-printer`) and statistics
//! pictures (`cloudpos-export`) are then pixel-identical on Linux, macOS and Windows, and
//! their snapshot tests never depend on installed fonts. The price is a bitmap look: glyphs
//! are 16 pixels high and callers scale them by whole or simple factors.
//!
//! The font is decompressed once, on first use, and shared for the life of the process.
//!
//! The crate also carries the cashier's embedded OpenType fallback fonts ([`ui`]), used
//! when a PC has no Chinese font installed.
//!
//! ```
//! let g = cloudpos_fonts::glyph('中').unwrap();
//! assert_eq!((g.width(), cloudpos_fonts::GLYPH_HEIGHT), (16, 16));
//! assert_eq!(cloudpos_fonts::text_width("合计 12.30"), 2 * 16 + 6 * 8);
//! ```

use std::sync::OnceLock;

pub mod ui;

static FONT_Z: &[u8] = include_bytes!("../fonts/unifont-subset.bin.z");

/// Height of every glyph in pixels.
pub const GLYPH_HEIGHT: usize = 16;

/// A decoded glyph: [`GLYPH_HEIGHT`] rows of [`Glyph::width`] pixels.
#[derive(Debug, Clone, Copy)]
pub struct Glyph<'a> {
    width: usize,
    bits: &'a [u8],
}

impl Glyph<'_> {
    /// Width in pixels: 8 (half width) or 16 (full width).
    #[must_use]
    pub const fn width(&self) -> usize {
        self.width
    }

    /// Whether pixel (x, y) is inked; `false` outside the glyph.
    #[must_use]
    pub fn pixel(&self, x: usize, y: usize) -> bool {
        if x >= self.width || y >= GLYPH_HEIGHT {
            return false;
        }
        let bytes_per_row = self.width / 8;
        let Some(byte) = self.bits.get(y * bytes_per_row + x / 8) else {
            return false;
        };
        byte & (0x80 >> (x % 8)) != 0
    }
}

struct Font {
    /// (code point, width, bitmap offset), sorted by code point.
    index: Vec<(u16, u8, usize)>,
    bitmaps: Vec<u8>,
}

fn font() -> &'static Font {
    static FONT: OnceLock<Font> = OnceLock::new();
    FONT.get_or_init(|| {
        parse(FONT_Z).unwrap_or(Font {
            index: Vec::new(),
            bitmaps: Vec::new(),
        })
    })
}

fn parse(z: &[u8]) -> Option<Font> {
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(z).ok()?;
    if raw.get(..4)? != b"UFS1" {
        return None;
    }
    let count = usize::try_from(u32::from_le_bytes(raw.get(4..8)?.try_into().ok()?)).ok()?;
    let index_end = 8 + count * 3;
    let idx = raw.get(8..index_end)?;
    let mut index = Vec::with_capacity(count);
    let mut offset = 0;
    for e in idx.chunks_exact(3) {
        let cp = u16::from_le_bytes([e[0], e[1]]);
        let w = e[2];
        index.push((cp, w, offset));
        offset += usize::from(w) * 2;
    }
    let bitmaps = raw.get(index_end..index_end + offset)?.to_vec();
    Some(Font { index, bitmaps })
}

/// The glyph of `c`, if the subset has it.
#[must_use]
pub fn glyph(c: char) -> Option<Glyph<'static>> {
    let cp = u16::try_from(u32::from(c)).ok()?;
    let f = font();
    let i = f.index.binary_search_by_key(&cp, |e| e.0).ok()?;
    let (_, w, off) = f.index[i];
    let width = usize::from(w);
    Some(Glyph {
        width,
        bits: f.bitmaps.get(off..off + width * 2)?,
    })
}

/// Number of glyphs in the embedded subset.
#[must_use]
pub fn glyph_count() -> usize {
    font().index.len()
}

/// Advance of `c` in pixels at scale 1: the glyph's width, or 16 for a full-width
/// character missing from the subset (8 for anything else missing), matching how a
/// missing glyph is drawn as an empty box.
#[must_use]
pub fn char_width(c: char) -> usize {
    match glyph(c) {
        Some(g) => g.width,
        None if is_wide(c) => 16,
        None => 8,
    }
}

/// Width of `text` in pixels at scale 1 (the sum of [`char_width`]).
#[must_use]
pub fn text_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// CJK ideographs, kana, hangul, full-width forms and emoji: the ranges a missing glyph is
/// assumed double width in.
fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF
        | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_ascii_and_chinese() {
        assert_eq!(glyph('A').unwrap().width(), 8);
        assert_eq!(glyph('中').unwrap().width(), 16);
        assert_eq!(glyph('￥').unwrap().width(), 16);
        assert!(glyph('😀').is_none());
        assert_eq!(glyph_count(), 21_981);
    }

    #[test]
    fn pixels_are_bounded_and_inked() {
        let g = glyph('中').unwrap();
        let inked = (0..16)
            .flat_map(|y| (0..16).map(move |x| (x, y)))
            .filter(|&(x, y)| g.pixel(x, y))
            .count();
        assert!(inked > 20, "{inked}");
        assert!(!g.pixel(16, 0));
        assert!(!g.pixel(0, 16));
        let space = glyph(' ').unwrap();
        assert!((0..8).all(|x| (0..16).all(|y| !space.pixel(x, y))));
    }

    #[test]
    fn widths() {
        assert_eq!(text_width("ab"), 16);
        assert_eq!(text_width("微信支付"), 64);
        assert_eq!(char_width('😀'), 16);
        assert_eq!(char_width('\u{E000}'), 8);
    }
}
