//! ESC/POS encoding of a laid-out receipt.
//!
//! The `escpos` crate builds the commands it gets right (initialise, justification,
//! emphasis, character size, reverse, text through an `encoding_rs` encoder, line feeds, QR
//! codes, full cut) into an in-memory [`Driver`]. What it lacks or gets wrong is sent raw:
//! Chinese mode (`FS &` / `FS .`), the line feed itself (its `writeln` sends `ESC d 1`),
//! CODE128 (`GS k 73`) and its settings, the partial cut (`GS V 66 0`; the crate's partial
//! cut is `GS V 65 1`, a full cut) and the drawer kick (`ESC p m t1 t2`; the crate omits the
//! pulse times). The bytes depend only on the input: no clock, no randomness.

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{
    Encoder, JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};

use crate::layout::{Align, BARCODE_HEIGHT, Block, QR_MODULE_DOTS, Style};
use crate::settings::{CodePage, CutMode, DrawerPin};

/// ESC/POS command bytes used raw.
pub mod cmd {
    /// `FS &`: Chinese (multi-byte) character mode on.
    pub const CHINESE_ON: &[u8] = &[0x1C, b'&'];
    /// `FS .`: Chinese character mode off.
    pub const CHINESE_OFF: &[u8] = &[0x1C, b'.'];
    /// `ESC t 0`: code page PC437.
    pub const CODE_PAGE_437: &[u8] = &[0x1B, b't', 0];
    /// `LF`: print the line and feed one line.
    pub const LF: &[u8] = &[0x0A];
    /// `GS V 66 0`: feed to the cutter and cut partially.
    pub const PARTIAL_CUT: &[u8] = &[0x1D, b'V', 66, 0];
    /// `ESC p 0 25 250`: drawer pulse on pin 2 (50 ms on, 500 ms off).
    pub const DRAWER_PIN2: &[u8] = &[0x1B, b'p', 0, 25, 250];
    /// `ESC p 1 25 250`: drawer pulse on pin 5.
    pub const DRAWER_PIN5: &[u8] = &[0x1B, b'p', 1, 25, 250];
    /// `DLE EOT 1`: real-time printer status.
    pub const STATUS_PRINTER: &[u8] = &[0x10, 0x04, 1];
    /// `DLE EOT 2`: real-time offline cause (cover open, paper end stop).
    pub const STATUS_OFFLINE: &[u8] = &[0x10, 0x04, 2];
    /// `DLE EOT 4`: real-time paper roll sensor status.
    pub const STATUS_PAPER: &[u8] = &[0x10, 0x04, 4];
}

/// Everything around the receipt body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Text encoding.
    pub code_page: CodePage,
    /// Blank lines before.
    pub top_margin: u8,
    /// Blank lines after, before the cut.
    pub bottom_margin: u8,
    /// Cut after the receipt.
    pub cut: CutMode,
    /// Kick the cash drawer at the end.
    pub drawer: Option<DrawerPin>,
}

/// Lines fed after the receipt when there is no cutter, so it clears the tear bar.
pub const TEAR_OFF_FEED: u8 = 4;

#[derive(Clone, Default)]
struct MemoryDriver(Rc<RefCell<Vec<u8>>>);

impl Driver for MemoryDriver {
    fn name(&self) -> String {
        "memory".to_owned()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// The drawer kick command alone.
#[must_use]
pub fn drawer_kick(pin: DrawerPin) -> Vec<u8> {
    match pin {
        DrawerPin::Pin2 => cmd::DRAWER_PIN2.to_vec(),
        DrawerPin::Pin5 => cmd::DRAWER_PIN5.to_vec(),
    }
}

struct State {
    align: Align,
    style: Style,
}

/// Encodes laid-out blocks as one ESC/POS job.
#[must_use]
pub fn encode_blocks(blocks: &[Block], opts: &EncodeOptions) -> Vec<u8> {
    let driver = MemoryDriver::default();
    let encoder = Encoder::new(opts.code_page.encoding().unwrap_or(encoding_rs::UTF_8));
    let mut p = Printer::new(driver.clone(), Protocol::new(encoder), None);
    // Each step either adds its whole command or nothing (the crate validates first).
    let _ = p.init();
    if opts.code_page == CodePage::Ascii {
        let _ = p
            .custom(cmd::CHINESE_OFF)
            .and_then(|p| p.custom(cmd::CODE_PAGE_437));
    } else {
        let _ = p.custom(cmd::CHINESE_ON);
    }
    if opts.top_margin > 0 {
        let _ = p.feeds(opts.top_margin);
    }
    let mut st = State {
        align: Align::Left,
        style: Style::NORMAL,
    };
    for block in blocks {
        match block {
            Block::Text { text, align, style } => {
                set_align(&mut p, &mut st, *align);
                set_style(&mut p, &mut st, *style);
                if !text.is_empty() && p.write(text).is_err() {
                    // Unencodable text (not from our layout): print what can be, `?` for
                    // the rest, rather than dropping the line.
                    let _ = p.custom(&lossy(text, opts.code_page));
                }
                let _ = p.custom(cmd::LF);
            }
            Block::Feed(n) => {
                if *n > 0 {
                    let _ = p.feeds(*n);
                }
            }
            Block::Qr(data) => {
                set_align(&mut p, &mut st, Align::Center);
                let option = QRCodeOption::new(
                    QRCodeModel::Model2,
                    QR_MODULE_DOTS,
                    QRCodeCorrectionLevel::M,
                );
                let _ = p.qrcode_option(data, option);
                let _ = p.custom(cmd::LF);
            }
            Block::Barcode { data, module } => {
                let Ok(n) = u8::try_from(data.len()) else {
                    continue;
                };
                set_align(&mut p, &mut st, Align::Center);
                let mut raw = vec![
                    0x1D,
                    b'h',
                    BARCODE_HEIGHT, // height
                    0x1D,
                    b'w',
                    *module, // module width
                    0x1D,
                    b'H',
                    2, // HRI below
                    0x1D,
                    b'f',
                    0, // HRI in font A
                    0x1D,
                    b'k',
                    73,
                    n,
                ];
                raw.extend_from_slice(data);
                let _ = p.custom(&raw);
                let _ = p.custom(cmd::LF);
            }
        }
    }
    set_align(&mut p, &mut st, Align::Left);
    set_style(&mut p, &mut st, Style::NORMAL);
    if opts.bottom_margin > 0 {
        let _ = p.feeds(opts.bottom_margin);
    }
    match opts.cut {
        CutMode::None => {
            let _ = p.feeds(TEAR_OFF_FEED);
        }
        CutMode::Partial => {
            let _ = p.custom(cmd::PARTIAL_CUT);
        }
        CutMode::Full => {
            let _ = p.cut();
        }
    }
    if let Some(pin) = opts.drawer {
        let _ = p.custom(&drawer_kick(pin));
    }
    let _ = p.print();
    driver.0.take()
}

fn lossy(text: &str, code_page: CodePage) -> Vec<u8> {
    let enc = code_page.encoding().unwrap_or(encoding_rs::UTF_8);
    let mut out = Vec::new();
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let (bytes, _, bad) = enc.encode(c.encode_utf8(&mut buf));
        if bad || (code_page == CodePage::Ascii && !c.is_ascii()) || c.is_control() {
            out.push(b'?');
        } else {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

fn set_align(p: &mut Printer<MemoryDriver>, st: &mut State, align: Align) {
    if st.align != align {
        let mode = match align {
            Align::Left => JustifyMode::LEFT,
            Align::Center => JustifyMode::CENTER,
            Align::Right => JustifyMode::RIGHT,
        };
        if p.justify(mode).is_ok() {
            st.align = align;
        }
    }
}

fn set_style(p: &mut Printer<MemoryDriver>, st: &mut State, style: Style) {
    if st.style.bold != style.bold && p.bold(style.bold).is_ok() {
        st.style.bold = style.bold;
    }
    if (st.style.width, st.style.height) != (style.width, style.height)
        && p.size(style.width.clamp(1, 8), style.height.clamp(1, 8))
            .is_ok()
    {
        st.style.width = style.width;
        st.style.height = style.height;
    }
    if st.style.reverse != style.reverse && p.reverse(style.reverse).is_ok() {
        st.style.reverse = style.reverse;
    }
}
