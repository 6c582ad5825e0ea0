//! Glyph cells of the preview: the embedded bitmap font of `cloudpos-fonts` (a GNU Unifont
//! subset, SIL OFL 1.1; see `crates/fonts/fonts/README.md`), 8 × 16 half-width and 16 × 16
//! full-width glyphs, scaled to the printer's 12 × 24 / 24 × 24 cells. Embedded so previews
//! are identical on every machine.

use cloudpos_fonts::glyph;

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
    let scaled_w = g.width() * 3 / 2;
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
    fn renders_chinese_and_missing_glyphs() {
        let cell = render_cell('中', 24);
        assert!(cell.contains(&0));
        assert_eq!(render_cell('\u{E000}', 12).len(), 12 * 24);
    }
}
