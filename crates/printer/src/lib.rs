//! Receipts on ESC/POS printers: layout, encoding, transports, driver printing and previews.
//!
//! The pipeline is `Receipt` → [`layout()`](layout::layout) (lines fitted to 32, 48 or a
//! custom number of columns, CJK characters counted double) → [`encode`] (ESC/POS bytes:
//! GB18030 text in Chinese mode, QR code and CODE128 barcode of the order number, cut,
//! drawer pulse) → [`transport`] (a device URI: `file:`, `serial:`, `tcp:`, `cups:`,
//! `spooler:`). [`preview`] runs the other way, from bytes to the picture of the paper.
//!
//! The key decision is that the terminal always sends raw ESC/POS, even through a driver
//! (CUPS `-o raw`, the Windows spooler's RAW datatype): one encoder, one set of golden
//! bytes, one preview that shows what any connection prints. The price is that only
//! ESC/POS printers are supported; a non-ESC/POS printer behind a driver prints garbage.
//!
//! Entry points for the terminal, CLI and GUI:
//! - [`EscPosPrinter`], the `ReceiptPrinter` port adapter;
//! - [`encode_receipt`] / [`encode_for_width`], [`send_to`], [`test_page`],
//!   [`preview_png`] / [`preview::render_png`];
//! - [`PrinterSettings`] and [`DeviceUri`] for the configuration page.

pub mod adapter;
pub mod code128;
pub mod encode;
pub mod error;
mod font;
pub mod layout;
pub mod preview;
pub mod settings;
#[cfg(windows)]
mod spooler;
pub mod text;
pub mod transport;
pub mod uri;

use cloudpos_domain::order::PaymentMethod;
use cloudpos_domain::receipt::{Receipt, ReceiptKind};
use cloudpos_domain::timestamp::Timestamp;

pub use adapter::EscPosPrinter;
pub use error::PrintError;
pub use preview::{PreviewOptions, decode, render_png};
pub use settings::{
    CodePage, CutMode, DEFAULT_CLOSING_LINE, DrawerPin, FontSize, PaperWidth, PrinterSettings,
    SettingsError,
};
pub use transport::{send, send_to};
pub use uri::{DeviceUri, FlowControl, Parity, SerialConfig};

/// One copy of a receipt as ESC/POS bytes, exactly as [`EscPosPrinter`] sends it: margins,
/// body, cut, and the drawer pulse when this is the first copy of a cash payment and a
/// drawer is configured. Settings are used as given (out-of-range values are clamped).
#[must_use]
pub fn encode_receipt(receipt: &Receipt, settings: &PrinterSettings) -> Vec<u8> {
    let blocks = layout::layout(receipt, &layout::LayoutOptions::from_settings(settings));
    let cash_payment =
        receipt.kind == ReceiptKind::Payment && receipt.method == Some(PaymentMethod::Cash);
    let first_copy = receipt.copy.0 <= 1;
    let opts = encode::EncodeOptions {
        code_page: settings.code_page,
        top_margin: settings.top_margin.min(20),
        bottom_margin: settings.bottom_margin.min(20),
        cut: settings.cut,
        drawer: settings.cash_drawer.filter(|_| cash_payment && first_copy),
    };
    encode::encode_blocks(&blocks, &opts)
}

/// [`encode_receipt`] with default settings for a paper width (GB18030, normal font,
/// partial cut, no drawer).
#[must_use]
pub fn encode_for_width(receipt: &Receipt, width: PaperWidth) -> Vec<u8> {
    let settings = PrinterSettings {
        width,
        ..PrinterSettings::default()
    };
    encode_receipt(receipt, &settings)
}

/// The PNG preview of a receipt as these settings would print it.
#[must_use]
pub fn preview_png(receipt: &Receipt, settings: &PrinterSettings) -> Vec<u8> {
    let bytes = encode_receipt(receipt, settings);
    preview::render_png(&bytes, &PreviewOptions::for_settings(settings))
}

/// The printer test page (测试打印机): the settings in force, a column ruler, Chinese
/// text, the text sizes and alignments, and a sample QR code and barcode.
#[must_use]
pub fn test_page(settings: &PrinterSettings, store_name: &str, now: Timestamp) -> Receipt {
    let font = match settings.font_size {
        FontSize::Normal => "正常",
        FontSize::DoubleHeight => "倍高",
        FontSize::DoubleWidthHeight => "倍宽倍高",
    };
    let cut = match settings.cut {
        CutMode::None => "不切纸",
        CutMode::Partial => "半切",
        CutMode::Full => "全切",
    };
    let drawer = match settings.cash_drawer {
        None => "不弹出".to_owned(),
        Some(DrawerPin::Pin2) => "现金支付时弹出 (引脚2)".to_owned(),
        Some(DrawerPin::Pin5) => "现金支付时弹出 (引脚5)".to_owned(),
    };
    let code_page = match settings.code_page {
        CodePage::Gb18030 => "GB18030",
        CodePage::Gbk => "GBK",
        CodePage::Big5 => "Big5",
        CodePage::Ascii => "ASCII",
    };
    let device = if settings.device.is_empty() {
        "(未设置)".to_owned()
    } else {
        settings.device.clone()
    };
    Receipt {
        kind: ReceiptKind::TestPage,
        store_name: store_name.to_owned(),
        order_no: Some("TEST20261122000001".to_owned()),
        time: now,
        offset_seconds: cloudpos_domain::timestamp::CHINA_OFFSET_SECONDS,
        extra: vec![
            ("打印机".to_owned(), device),
            (
                "纸宽".to_owned(),
                format!(
                    "{} ({}列 {}点)",
                    settings.width,
                    settings.width.columns(),
                    settings.width.dots()
                ),
            ),
            ("编码".to_owned(), code_page.to_owned()),
            ("字体".to_owned(), font.to_owned()),
            ("份数".to_owned(), settings.copies.to_string()),
            (
                "间隔".to_owned(),
                format!("{}秒", settings.copy_interval_secs),
            ),
            (
                "边距".to_owned(),
                format!("上{}行 下{}行", settings.top_margin, settings.bottom_margin),
            ),
            ("切纸".to_owned(), cut.to_owned()),
            ("钱箱".to_owned(), drawer),
        ],
        ..Receipt::default()
    }
}

/// Prints the test page now (blocking).
pub fn print_test_page(
    settings: &PrinterSettings,
    store_name: &str,
    now: Timestamp,
) -> Result<(), PrintError> {
    settings.validate()?;
    let uri = settings.device_uri()?;
    let bytes = encode_receipt(&test_page(settings, store_name, now), settings);
    send(&uri, &bytes)
}
