//! An ESC/POS interpreter that renders bytes as the paper would look.
//!
//! It models a Chinese 58/80 mm thermal printer: 12 × 24-dot half-width and 24 × 24-dot
//! full-width characters, Chinese mode (`FS &` / `FS .`) with GB18030, GBK or Big5 codes,
//! character size, emphasis, underline, reverse, justification, line spacing and feeds, QR
//! codes (`GS ( k`, drawn with the `qrcode` crate), CODE128 barcodes (`GS k 73`) with their
//! human-readable line, raster images (`GS v 0`), and cuts (a dashed line; a gap in the
//! middle marks a partial cut). Like a printer, text is printed only at a line feed, and a
//! line that overflows the paper wraps.
//!
//! Architecture invariant: any byte string is accepted. Unknown commands are skipped,
//! truncated commands end the job, nothing panics, and memory is bounded (the drawing stops
//! at [`MAX_HEIGHT`] dots). The output depends only on the bytes and the options.

use std::io::Cursor;

use image::{GrayImage, ImageEncoder};

use crate::code128;
use crate::font;
use crate::settings::{CodePage, PaperWidth, PrinterSettings};

/// Longest preview in dots (about 4 m of paper); anything below is not drawn.
pub const MAX_HEIGHT: usize = 32_768;
/// Default line spacing in dots (3.75 mm).
pub const DEFAULT_LINE_SPACING: usize = 30;

/// How to interpret and draw the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreviewOptions {
    /// Print area width in dots (384 for 58 mm, 576 for 80 mm).
    pub dots: u32,
    /// The printer's multi-byte encoding in Chinese mode (Chinese mode starts on unless
    /// this is [`CodePage::Ascii`]).
    pub code_page: CodePage,
}

impl PreviewOptions {
    /// For a paper width with the default GB18030 code page.
    #[must_use]
    pub fn for_width(width: PaperWidth) -> PreviewOptions {
        PreviewOptions {
            dots: width.dots(),
            code_page: CodePage::Gb18030,
        }
    }

    /// For the configured printer.
    #[must_use]
    pub fn for_settings(s: &PrinterSettings) -> PreviewOptions {
        PreviewOptions {
            dots: s.width.dots(),
            code_page: s.code_page,
        }
    }
}

/// What the interpreter saw, besides the picture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Each printed text line, as characters (trailing spaces removed).
    pub lines: Vec<String>,
    /// Data of each printed QR code.
    pub qr_codes: Vec<String>,
    /// Human-readable text of each printed CODE128 barcode.
    pub barcodes: Vec<String>,
    /// Cuts: `true` for partial, `false` for full.
    pub cuts: Vec<bool>,
    /// Drawer pulses: the pin (2 or 5) of each.
    pub drawer_kicks: Vec<u8>,
}

#[derive(Clone, Copy)]
struct Cell {
    ch: char,
    wide: bool,
    w: usize,
    h: usize,
    bold: bool,
    underline: u8,
    reverse: bool,
}

impl Cell {
    fn px_width(&self) -> usize {
        (if self.wide { 24 } else { 12 }) * self.w
    }
}

struct Machine {
    width: usize,
    code_page: CodePage,
    rows: Vec<u8>,
    y: usize,
    line: Vec<Cell>,
    // Print modes.
    chinese: bool,
    align: u8,
    bold: bool,
    underline: u8,
    reverse: bool,
    size_w: usize,
    size_h: usize,
    spacing: usize,
    // QR code state.
    qr_data: Vec<u8>,
    qr_module: usize,
    qr_ec: u8,
    // Barcode state.
    bc_height: usize,
    bc_module: usize,
    bc_hri: u8,
    out: Decoded,
}

impl Machine {
    fn new(opts: &PreviewOptions) -> Machine {
        let width = usize::try_from(opts.dots).unwrap_or(576).clamp(8, 4096);
        let mut m = Machine {
            width,
            code_page: opts.code_page,
            rows: Vec::new(),
            y: 0,
            line: Vec::new(),
            chinese: opts.code_page != CodePage::Ascii,
            align: 0,
            bold: false,
            underline: 0,
            reverse: false,
            size_w: 1,
            size_h: 1,
            spacing: DEFAULT_LINE_SPACING,
            qr_data: Vec::new(),
            qr_module: 3,
            qr_ec: 48,
            bc_height: 162,
            bc_module: 3,
            bc_hri: 0,
            out: Decoded::default(),
        };
        m.reset();
        m
    }

    /// `ESC @`.
    fn reset(&mut self) {
        self.line.clear();
        self.align = 0;
        self.bold = false;
        self.underline = 0;
        self.reverse = false;
        self.size_w = 1;
        self.size_h = 1;
        self.spacing = DEFAULT_LINE_SPACING;
        self.qr_module = 3;
        self.qr_ec = 48;
        self.bc_height = 162;
        self.bc_module = 3;
        self.bc_hri = 0;
    }

    // ───────────── canvas ─────────────

    fn set(&mut self, x: usize, y: usize, v: u8) {
        if x >= self.width || y >= MAX_HEIGHT {
            return;
        }
        let need = (y + 1) * self.width;
        if self.rows.len() < need {
            self.rows.resize(need, 255);
        }
        let p = &mut self.rows[y * self.width + x];
        *p = (*p).min(v);
    }

    fn advance(&mut self, dots: usize) {
        self.y = self.y.saturating_add(dots).min(MAX_HEIGHT);
    }

    fn x_for(&self, w: usize) -> usize {
        match self.align {
            1 => self.width.saturating_sub(w) / 2,
            2 => self.width.saturating_sub(w),
            _ => 0,
        }
    }

    // ───────────── text ─────────────

    fn push_char(&mut self, ch: char, wide: bool) {
        let cell = Cell {
            ch,
            wide,
            w: self.size_w,
            h: self.size_h,
            bold: self.bold,
            underline: self.underline,
            reverse: self.reverse,
        };
        let used: usize = self.line.iter().map(Cell::px_width).sum();
        if used + cell.px_width() > self.width && !self.line.is_empty() {
            self.print_line(true);
        }
        if cell.px_width() <= self.width {
            self.line.push(cell);
        }
    }

    fn tab(&mut self) {
        let used: usize = self.line.iter().map(Cell::px_width).sum();
        let next = (used / 96 + 1) * 96;
        if next > self.width {
            return;
        }
        let spaces = (next - used).div_ceil(12);
        for _ in 0..spaces {
            self.push_char(' ', false);
        }
    }

    /// Prints the line buffer; `feed` advances by the line (LF), otherwise only by its height.
    fn print_line(&mut self, feed: bool) {
        let cells = std::mem::take(&mut self.line);
        let height = cells.iter().map(|c| 24 * c.h).max().unwrap_or(0);
        if !cells.is_empty() {
            let total: usize = cells.iter().map(Cell::px_width).sum();
            let mut x = self.x_for(total);
            for c in &cells {
                self.draw_cell(c, x, self.y + height - 24 * c.h);
                x += c.px_width();
            }
            let text: String = cells.iter().map(|c| c.ch).collect();
            self.out.lines.push(text.trim_end().to_owned());
        } else if feed {
            self.out.lines.push(String::new());
        }
        let adv = if feed {
            height.max(self.spacing)
        } else {
            height
        };
        self.advance(adv);
    }

    fn draw_cell(&mut self, c: &Cell, x0: usize, y0: usize) {
        let base_w = if c.wide { 24 } else { 12 };
        let mut px = if c.ch == ' ' || c.ch == '\u{3000}' {
            vec![255u8; base_w * 24]
        } else {
            font::render_cell(c.ch, base_w)
        };
        if c.bold {
            // Emphasis: each dot also inks its right neighbour.
            for y in 0..24 {
                for x in (1..base_w).rev() {
                    let left = px[y * base_w + x - 1];
                    let p = &mut px[y * base_w + x];
                    *p = (*p).min(left);
                }
            }
        }
        if c.underline > 0 {
            for y in 24 - usize::from(c.underline.min(2))..24 {
                for x in 0..base_w {
                    px[y * base_w + x] = 0;
                }
            }
        }
        if c.reverse {
            for p in &mut px {
                *p = 255 - *p;
            }
        }
        self.blit_scaled(&px, base_w, c.w, c.h, x0, y0);
    }

    /// Inks `src` (`src_w` × 24 dots, 255 = paper) magnified `sw` × `sh` at (`x0`, `y0`),
    /// clipped to the paper; row slices rather than dot by dot, since a magnified line is
    /// the preview's hottest loop (up to 8 × 8 per character on a 4096-dot roll).
    fn blit_scaled(
        &mut self,
        src: &[u8],
        src_w: usize,
        sw: usize,
        sh: usize,
        x0: usize,
        y0: usize,
    ) {
        let x_end = (x0 + src_w * sw).min(self.width);
        let y_end = (y0 + 24 * sh).min(MAX_HEIGHT);
        if x0 >= x_end || y0 >= y_end || src.iter().all(|&v| v == 255) {
            return;
        }
        let need = y_end * self.width;
        if self.rows.len() < need {
            self.rows.resize(need, 255);
        }
        for (sy, src_row) in src.chunks_exact(src_w).enumerate() {
            if src_row.iter().all(|&v| v == 255) {
                continue;
            }
            let first = y0 + sy * sh;
            for y in first..(first + sh).min(y_end) {
                let dst = &mut self.rows[y * self.width + x0..y * self.width + x_end];
                for (chunk, &v) in dst.chunks_mut(sw).zip(src_row) {
                    if v < 255 {
                        for d in chunk {
                            *d = (*d).min(v);
                        }
                    }
                }
            }
        }
    }

    // ───────────── graphics ─────────────

    fn print_qr(&mut self) {
        if !self.line.is_empty() {
            self.print_line(true);
        }
        let data = self.qr_data.clone();
        let ec = match self.qr_ec {
            48 => qrcode::EcLevel::L,
            50 => qrcode::EcLevel::Q,
            51 => qrcode::EcLevel::H,
            _ => qrcode::EcLevel::M,
        };
        let Ok(code) = qrcode::QrCode::with_error_correction_level(&data, ec) else {
            return;
        };
        let n = code.width();
        let m = self.qr_module;
        let size = n * m;
        if size > self.width {
            return;
        }
        let x0 = self.x_for(size);
        let colors = code.to_colors();
        let y0 = self.y;
        for (i, c) in colors.iter().enumerate() {
            if *c == qrcode::Color::Dark {
                let (mx, my) = (i % n, i / n);
                for dy in 0..m {
                    for dx in 0..m {
                        self.set(x0 + mx * m + dx, y0 + my * m + dy, 0);
                    }
                }
            }
        }
        self.advance(size);
        self.out
            .qr_codes
            .push(String::from_utf8_lossy(&data).into_owned());
    }

    fn print_code128(&mut self, data: &[u8]) {
        if !self.line.is_empty() {
            self.print_line(true);
        }
        let Some(sym) = code128::parse_escpos(data) else {
            return;
        };
        let modules = sym.modules();
        let w = modules.len() * self.bc_module;
        if w > self.width {
            return;
        }
        self.hri_text(&sym.text, 1);
        let x0 = self.x_for(w);
        let y0 = self.y;
        for (i, &black) in modules.iter().enumerate() {
            if black {
                for dy in 0..self.bc_height {
                    for dx in 0..self.bc_module {
                        self.set(x0 + i * self.bc_module + dx, y0 + dy, 0);
                    }
                }
            }
        }
        self.advance(self.bc_height);
        self.hri_text(&sym.text, 2);
        self.out.barcodes.push(sym.text);
    }

    /// Another symbology: an outlined box of the barcode's height with its text.
    fn print_other_barcode(&mut self, data: &[u8]) {
        if !self.line.is_empty() {
            self.print_line(true);
        }
        let text: String = data
            .iter()
            .map(|&b| {
                if (32..127).contains(&b) {
                    char::from(b)
                } else {
                    '?'
                }
            })
            .collect();
        let w = ((data.len() * 11 + 35) * self.bc_module).min(self.width);
        let x0 = self.x_for(w);
        let (y0, h) = (self.y, self.bc_height.max(2));
        for x in 0..w {
            self.set(x0 + x, y0, 0);
            self.set(x0 + x, y0 + h - 1, 0);
        }
        for y in 0..h {
            self.set(x0, y0 + y, 0);
            self.set(x0 + w.saturating_sub(1), y0 + y, 0);
        }
        self.hri_text(&text, 1);
        self.advance(h);
        self.hri_text(&text, 2);
    }

    /// Draws the human-readable line of a barcode when `position` is selected by `GS H`.
    fn hri_text(&mut self, text: &str, position: u8) {
        if self.bc_hri & position == 0 {
            return;
        }
        let cells: Vec<Cell> = text
            .chars()
            .map(|ch| Cell {
                ch,
                wide: false,
                w: 1,
                h: 1,
                bold: false,
                underline: 0,
                reverse: false,
            })
            .collect();
        let total: usize = cells.iter().map(Cell::px_width).sum();
        let mut x = self.x_for(total.min(self.width));
        for c in &cells {
            if x + 12 > self.width {
                break;
            }
            self.draw_cell(c, x, self.y);
            x += 12;
        }
        self.advance(24);
    }

    fn raster(&mut self, mode: u8, wbytes: usize, height: usize, data: &[u8]) {
        if !self.line.is_empty() {
            self.print_line(true);
        }
        let (sx, sy) = (1 + usize::from(mode & 1), 1 + usize::from(mode & 2 != 0));
        let x0 = self.x_for(wbytes * 8 * sx);
        for row in 0..height {
            if self.y + row * sy >= MAX_HEIGHT {
                break;
            }
            for xb in 0..wbytes {
                let Some(&byte) = data.get(row * wbytes + xb) else {
                    break;
                };
                for bit in 0..8 {
                    if byte & (0x80 >> bit) != 0 {
                        for dy in 0..sy {
                            for dx in 0..sx {
                                self.set(x0 + (xb * 8 + bit) * sx + dx, self.y + row * sy + dy, 0);
                            }
                        }
                    }
                }
            }
        }
        self.advance(height * sy);
    }

    fn cut(&mut self, partial: bool) {
        if !self.line.is_empty() {
            self.print_line(true);
        }
        self.advance(12);
        let y = self.y;
        let mid = self.width / 2;
        for x in 0..self.width {
            let in_gap = partial && x + 12 >= mid && x < mid + 12;
            if x % 12 < 8 && !in_gap {
                self.set(x, y, 0);
                self.set(x, y + 1, 0);
            }
        }
        self.advance(14);
        self.out.cuts.push(partial);
    }

    // ───────────── the byte interpreter ─────────────

    fn run(&mut self, b: &[u8]) {
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match c {
                0x0A => {
                    self.print_line(true);
                    i += 1;
                }
                0x0C => {
                    self.print_line(true);
                    i += 1;
                }
                0x09 => {
                    self.tab();
                    i += 1;
                }
                0x1B => i = self.esc(b, i),
                0x1D => i = self.gs(b, i),
                0x1C => i = self.fs(b, i),
                0x10 => {
                    // DLE EOT n / DLE ENQ n: 3 bytes; DLE DC4 fn a b: 5 bytes.
                    i += match b.get(i + 1) {
                        Some(0x14) => 5,
                        Some(0x04 | 0x05) => 3,
                        _ => 1,
                    };
                }
                0x20..=0x7E => {
                    self.push_char(char::from(c), false);
                    i += 1;
                }
                0x80..=0xFF => i = self.multibyte(b, i),
                _ => i += 1,
            }
        }
    }

    fn multibyte(&mut self, b: &[u8], i: usize) -> usize {
        let c = b[i];
        if !self.chinese {
            self.push_char(cp437(c), false);
            return i + 1;
        }
        let lead_ok = (0x81..=0xFE).contains(&c);
        let len = match (self.code_page, b.get(i + 1), b.get(i + 2), b.get(i + 3)) {
            (_, None, _, _) => return b.len(),
            (CodePage::Big5, Some(&t), _, _)
                if lead_ok && ((0x40..=0x7E).contains(&t) || (0xA1..=0xFE).contains(&t)) =>
            {
                2
            }
            (CodePage::Big5, ..) => 0,
            (_, Some(&t), Some(&t3), Some(&t4))
                if lead_ok
                    && (0x30..=0x39).contains(&t)
                    && (0x81..=0xFE).contains(&t3)
                    && (0x30..=0x39).contains(&t4) =>
            {
                4
            }
            (_, Some(&t), _, _) if lead_ok && (0x40..=0xFE).contains(&t) && t != 0x7F => 2,
            _ => 0,
        };
        if len == 0 {
            self.push_char('\u{FFFD}', false);
            return i + 1;
        }
        let enc = match self.code_page {
            CodePage::Big5 => encoding_rs::BIG5,
            _ => encoding_rs::GB18030,
        };
        let (text, _) = enc.decode_without_bom_handling(&b[i..i + len]);
        let ch = text.chars().next().unwrap_or('\u{FFFD}');
        self.push_char(ch, true);
        i + len
    }

    fn esc(&mut self, b: &[u8], i: usize) -> usize {
        let Some(&cmd) = b.get(i + 1) else {
            return b.len();
        };
        let arg = |k: usize| b.get(i + 2 + k).copied();
        let Some(n) = arg(0) else {
            // Commands without parameters may end the stream.
            match cmd {
                b'@' => self.reset(),
                b'2' => self.spacing = DEFAULT_LINE_SPACING,
                _ => {}
            }
            return b.len().min(i + 2);
        };
        match cmd {
            b'@' => {
                self.reset();
                i + 2
            }
            b'2' => {
                self.spacing = DEFAULT_LINE_SPACING;
                i + 2
            }
            b'3' => {
                self.spacing = usize::from(n);
                i + 3
            }
            b'!' => {
                self.bold = n & 0x08 != 0;
                self.size_h = if n & 0x10 != 0 { 2 } else { 1 };
                self.size_w = if n & 0x20 != 0 { 2 } else { 1 };
                self.underline = if n & 0x80 != 0 { 1 } else { 0 };
                i + 3
            }
            b'E' | b'G' => {
                self.bold = n & 1 != 0;
                i + 3
            }
            b'-' => {
                self.underline = match n {
                    1 | b'1' => 1,
                    2 | b'2' => 2,
                    _ => 0,
                };
                i + 3
            }
            b'a' => {
                self.align = match n {
                    1 | b'1' => 1,
                    2 | b'2' => 2,
                    _ => 0,
                };
                i + 3
            }
            b'd' => {
                if self.line.is_empty() {
                    self.advance(usize::from(n) * self.spacing);
                } else {
                    self.print_line(true);
                    self.advance(usize::from(n.saturating_sub(1)) * self.spacing);
                }
                i + 3
            }
            b'J' => {
                self.print_line(false);
                self.advance(usize::from(n));
                i + 3
            }
            b'p' => {
                self.out.drawer_kicks.push(if n & 1 == 0 { 2 } else { 5 });
                i + 5
            }
            b'*' => {
                // ESC * m nL nH d…: bit image, skipped.
                let (Some(nl), Some(nh)) = (arg(1), arg(2)) else {
                    return b.len();
                };
                let cols = usize::from(nl) + 256 * usize::from(nh);
                let k = if n >= 32 { cols * 3 } else { cols };
                i + 5 + k
            }
            b'$' | b'\\' => i + 4,
            b'c' => i + 4,
            b'D' => {
                // Tab positions, NUL-terminated.
                let end = b[i + 2..]
                    .iter()
                    .position(|&x| x == 0)
                    .map_or(b.len(), |p| i + 3 + p);
                end.min(b.len())
            }
            b'W' => i + 10,
            b'L' | b'S' | b'i' | b'm' | b'<' => i + 2,
            _ => i + 3,
        }
    }

    fn gs(&mut self, b: &[u8], i: usize) -> usize {
        let Some(&cmd) = b.get(i + 1) else {
            return b.len();
        };
        let arg = |k: usize| b.get(i + 2 + k).copied();
        let Some(n) = arg(0) else { return b.len() };
        match cmd {
            b'!' => {
                self.size_w = usize::from((n >> 4) & 7) + 1;
                self.size_h = usize::from(n & 7) + 1;
                i + 3
            }
            b'B' => {
                self.reverse = n & 1 != 0;
                i + 3
            }
            b'h' => {
                self.bc_height = usize::from(n.max(1));
                i + 3
            }
            b'w' => {
                self.bc_module = usize::from(n.clamp(1, 6));
                i + 3
            }
            b'H' => {
                self.bc_hri = n & 3;
                i + 3
            }
            b'V' => {
                let (partial, len) = match n {
                    0 | 48 => (false, 3),
                    1 | 49 => (true, 3),
                    65 | 97 | 103 => (false, 4),
                    66 | 98 | 104 => (true, 4),
                    _ => (false, 3),
                };
                self.cut(partial);
                i + len
            }
            b'k' => self.gs_k(b, i, n),
            b'(' => {
                // GS ( fn pL pH data…
                let (Some(pl), Some(ph)) = (arg(1), arg(2)) else {
                    return b.len();
                };
                let len = usize::from(pl) + 256 * usize::from(ph);
                let start = i + 5;
                let end = start.saturating_add(len);
                if end > b.len() {
                    return b.len();
                }
                if n == b'k' {
                    self.gs_2d(&b[start..end]);
                }
                end
            }
            b'v' => {
                // GS v 0 m xL xH yL yH d…
                let (Some(m), Some(xl), Some(xh), Some(yl), Some(yh)) =
                    (arg(1), arg(2), arg(3), arg(4), arg(5))
                else {
                    return b.len();
                };
                let wbytes = usize::from(xl) + 256 * usize::from(xh);
                let height = usize::from(yl) + 256 * usize::from(yh);
                let start = i + 8;
                let end = start.saturating_add(wbytes * height).min(b.len());
                if n == b'0' || n == 0 {
                    self.raster(m & 3, wbytes, height, &b[start.min(end)..end]);
                }
                end
            }
            b'8' => {
                // GS 8 L p1 p2 p3 p4 …: large graphics data, skipped.
                let (Some(p1), Some(p2), Some(p3), Some(p4)) = (arg(1), arg(2), arg(3), arg(4))
                else {
                    return b.len();
                };
                let len = usize::from(p1)
                    + (usize::from(p2) << 8)
                    + (usize::from(p3) << 16)
                    + (usize::from(p4) << 24);
                i.saturating_add(7).saturating_add(len).min(b.len())
            }
            b'L' | b'W' | b'P' | b'$' | b'\\' => i + 4,
            _ => i + 3,
        }
    }

    fn gs_k(&mut self, b: &[u8], i: usize, m: u8) -> usize {
        if m <= 6 {
            // Function A: NUL-terminated data.
            let start = i + 3;
            let Some(len) = b[start.min(b.len())..].iter().position(|&x| x == 0) else {
                return b.len();
            };
            let data = b[start..start + len].to_vec();
            self.print_other_barcode(&data);
            return start + len + 1;
        }
        let Some(&n) = b.get(i + 3) else {
            return b.len();
        };
        let start = i + 4;
        let end = start + usize::from(n);
        if end > b.len() {
            return b.len();
        }
        let data = b[start..end].to_vec();
        if m == 73 {
            self.print_code128(&data);
        } else {
            self.print_other_barcode(&data);
        }
        end
    }

    fn gs_2d(&mut self, p: &[u8]) {
        // p = cn fn params…
        let [cn, func, rest @ ..] = p else { return };
        if *cn != 49 {
            return;
        }
        match (*func, rest) {
            (67, [n, ..]) => self.qr_module = usize::from((*n).clamp(1, 16)),
            (69, [n, ..]) => self.qr_ec = *n,
            (80, [_, data @ ..]) => self.qr_data = data.to_vec(),
            (81, _) => self.print_qr(),
            _ => {}
        }
    }

    fn fs(&mut self, b: &[u8], i: usize) -> usize {
        let Some(&cmd) = b.get(i + 1) else {
            return b.len();
        };
        match cmd {
            b'&' => {
                self.chinese = self.code_page != CodePage::Ascii;
                i + 2
            }
            b'.' => {
                self.chinese = false;
                i + 2
            }
            b'S' | b'p' => i + 4,
            b'2' => i + 4 + 72,
            _ => i + 3,
        }
    }

    fn finish(self) -> (GrayImage, Decoded) {
        let height = self.y.clamp(1, MAX_HEIGHT);
        let mut rows = self.rows;
        rows.resize(height * self.width, 255);
        let w = u32::try_from(self.width).unwrap_or(1);
        let h = u32::try_from(height).unwrap_or(1);
        let img = GrayImage::from_raw(w, h, rows).unwrap_or_else(|| GrayImage::new(w, 1));
        (img, self.out)
    }
}

/// The PC437 character for a byte ≥ 0x80 (printers print these with Chinese mode off).
fn cp437(b: u8) -> char {
    const HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";
    HIGH.chars()
        .nth(usize::from(b.wrapping_sub(0x80)))
        .unwrap_or('?')
}

/// Interprets `bytes` and returns the picture and what was printed.
#[must_use]
pub fn decode(bytes: &[u8], opts: &PreviewOptions) -> (GrayImage, Decoded) {
    let mut m = Machine::new(opts);
    m.run(bytes);
    m.finish()
}

/// The picture of `bytes` (8-bit grey, one pixel per printer dot).
#[must_use]
pub fn render(bytes: &[u8], opts: &PreviewOptions) -> GrayImage {
    decode(bytes, opts).0
}

/// The picture of `bytes` as a PNG file.
#[must_use]
pub fn render_png(bytes: &[u8], opts: &PreviewOptions) -> Vec<u8> {
    png(&render(bytes, opts))
}

/// Encodes a grey image as PNG (deterministic for a given image).
#[must_use]
pub fn png(img: &GrayImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let encoder = image::codecs::png::PngEncoder::new(&mut out);
    // Writing to memory cannot fail for a well-formed image buffer.
    let _ = encoder.write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::L8,
    );
    out.into_inner()
}

#[cfg(test)]
mod tests;
