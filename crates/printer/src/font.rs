//! The embedded bitmap font of the preview: a GNU Unifont subset (SIL OFL 1.1; see
//! `fonts/README.md`), 8 × 16 half-width and 16 × 16 full-width glyphs, scaled to the
//! printer's 12 × 24 / 24 × 24 cells. Embedded so previews are identical on every machine.

use std::sync::OnceLock;

static FONT_Z: &[u8] = include_bytes!("../fonts/unifont-subset.bin.z");

/// A decoded glyph: 16 rows of `width` pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Glyph<'a> {
    /// 8 or 16.
    pub width: usize,
    bits: &'a [u8],
}

impl Glyph<'_> {
    /// Whether pixel (x, y) is set; x < width, y < 16.
    pub fn pixel(&self, x: usize, y: usize) -> bool {
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
pub(crate) fn glyph(c: char) -> Option<Glyph<'static>> {
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

/// Renders `c` into a grey cell of `cell_w × 24` pixels (0 = black, 255 = white), scaling
/// the 16-pixel glyph by 1.5 (three-fold upsampling, then a 2 × 2 box filter).
pub(crate) fn render_cell(c: char, cell_w: usize) -> Vec<u8> {
    let mut out = vec![255u8; cell_w * 24];
    let Some(g) = glyph(c) else {
        // Missing glyph: an empty box.
        for y in 2..22 {
            for x in 1..cell_w.saturating_sub(1) {
                if y == 2 || y == 21 || x == 1 || x == cell_w - 2 {
                    out[y * cell_w + x] = 0;
                }
            }
        }
        return out;
    };
    // Centre the scaled glyph horizontally.
    let scaled_w = g.width * 3 / 2;
    let x0 = cell_w.saturating_sub(scaled_w) / 2;
    for oy in 0..24 {
        for ox in 0..scaled_w.min(cell_w) {
            let mut ink = 0u32;
            for sy in 0..2 {
                for sx in 0..2 {
                    // Position in the 3× upsampled glyph.
                    let (ux, uy) = (ox * 2 + sx, oy * 2 + sy);
                    if g.pixel(ux / 3, uy / 3) {
                        ink += 1;
                    }
                }
            }
            let v = 255 - (ink * 255 / 4);
            out[oy * cell_w + x0 + ox] = u8::try_from(v).unwrap_or(0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_ascii_and_chinese() {
        assert_eq!(glyph('A').unwrap().width, 8);
        assert_eq!(glyph('中').unwrap().width, 16);
        assert_eq!(glyph('￥').unwrap().width, 16);
        assert!(glyph('😀').is_none());
        let cell = render_cell('中', 24);
        assert!(cell.contains(&0));
        assert_eq!(render_cell('\u{E000}', 12).len(), 12 * 24);
    }
}
