//! Printer settings (打印机配置): what the printer configuration page edits.
//!
//! Stored as JSON through the `Settings` port; every field has a default, so a partial or
//! older record still loads (`#[serde(default)]`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::PrintError;
use crate::uri::DeviceUri;

/// Paper width: the two standard rolls, or a custom number of columns.
///
/// A *column* is one half-width character of the printer's standard font A (12 × 24 dots);
/// a Chinese character takes two. 58 mm paper has 32 columns (384 dots), 80 mm paper 48
/// columns (576 dots). A custom width is given in columns (16–72) and is `columns × 12`
/// dots wide: use it for printers whose font or print area differs (e.g. 42 columns on an
/// 80 mm printer with a 512-dot head, or 30 on a narrow 57 mm one).
///
/// As text (JSON, the settings page): `"58mm"`, `"80mm"`, or a number of columns such as
/// `"42"` (also `"42col"`). A bare `"58"` or `"80"` is refused as ambiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PaperWidth {
    /// 58 mm paper: 32 columns, 384 dots.
    #[default]
    Mm58,
    /// 80 mm paper: 48 columns, 576 dots.
    Mm80,
    /// A custom number of columns (16–72), `columns × 12` dots.
    Columns(u16),
}

/// Smallest custom width in columns.
pub const MIN_COLUMNS: u16 = 16;
/// Largest custom width in columns.
pub const MAX_COLUMNS: u16 = 72;

impl PaperWidth {
    /// Columns of normal-size half-width characters per line.
    #[must_use]
    pub fn columns(self) -> usize {
        match self {
            PaperWidth::Mm58 => 32,
            PaperWidth::Mm80 => 48,
            PaperWidth::Columns(n) => usize::from(n.clamp(MIN_COLUMNS, MAX_COLUMNS)),
        }
    }

    /// Printable width in dots (8 dots per mm).
    #[must_use]
    pub fn dots(self) -> u32 {
        match self {
            PaperWidth::Mm58 => 384,
            PaperWidth::Mm80 => 576,
            PaperWidth::Columns(_) => u32::try_from(self.columns() * 12).unwrap_or(576),
        }
    }
}

impl fmt::Display for PaperWidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaperWidth::Mm58 => f.write_str("58mm"),
            PaperWidth::Mm80 => f.write_str("80mm"),
            PaperWidth::Columns(n) => write!(f, "{n}"),
        }
    }
}

impl FromStr for PaperWidth {
    type Err = PrintError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase().replace(' ', "");
        let bad = |why: String| PrintError::InvalidSettings(format!("paper width \"{s}\": {why}"));
        match t.as_str() {
            "58mm" => return Ok(PaperWidth::Mm58),
            "80mm" => return Ok(PaperWidth::Mm80),
            "58" | "80" => {
                return Err(bad(format!(
                    "ambiguous: write {t}mm for {t} mm paper, or {t}col for {t} columns"
                )));
            }
            _ => {}
        }
        let digits = t
            .strip_suffix("columns")
            .or_else(|| t.strip_suffix("cols"))
            .or_else(|| t.strip_suffix("col"))
            .unwrap_or(&t);
        let n: u16 = digits
            .parse()
            .map_err(|_| bad("expected 58mm, 80mm or a number of columns (16–72)".to_owned()))?;
        if !(MIN_COLUMNS..=MAX_COLUMNS).contains(&n) {
            return Err(bad(format!(
                "{n} columns is out of range ({MIN_COLUMNS}–{MAX_COLUMNS})"
            )));
        }
        Ok(PaperWidth::Columns(n))
    }
}

impl Serialize for PaperWidth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PaperWidth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// Accepts a string (`"58mm"`, `"42"`) or a bare number of columns.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Text(t) => t,
            Raw::Number(n) => n.to_string(),
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Body text size (打印字体大小). Headers keep their own sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FontSize {
    /// 12 × 24 dots per half-width character.
    #[default]
    Normal,
    /// Twice as tall, same width (same columns per line).
    DoubleHeight,
    /// Twice as wide and tall: half the columns per line.
    DoubleWidthHeight,
}

impl FontSize {
    /// Horizontal magnification.
    #[must_use]
    pub const fn width_mult(self) -> u8 {
        match self {
            FontSize::Normal | FontSize::DoubleHeight => 1,
            FontSize::DoubleWidthHeight => 2,
        }
    }

    /// Vertical magnification.
    #[must_use]
    pub const fn height_mult(self) -> u8 {
        match self {
            FontSize::Normal => 1,
            FontSize::DoubleHeight | FontSize::DoubleWidthHeight => 2,
        }
    }
}

/// What the cutter does after each copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CutMode {
    /// No cutter: feed past the tear bar.
    None,
    /// Partial cut (one point left uncut), the usual choice.
    #[default]
    Partial,
    /// Full cut.
    Full,
}

/// Which drawer-kick connector pin the cash drawer is wired to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrawerPin {
    /// Pin 2 (most drawers).
    Pin2,
    /// Pin 5 (a second drawer).
    Pin5,
}

/// How text is encoded for the printer's built-in font.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodePage {
    /// GB18030 with Chinese mode on (`FS &`): the default for mainland printers.
    #[default]
    Gb18030,
    /// GBK (2-byte only) for older printers; other characters print as `?`.
    Gbk,
    /// Big5 (traditional characters) for Hong Kong and Taiwan printers.
    Big5,
    /// No Chinese font: Chinese mode off (`FS .`), code page PC437, non-ASCII as `?`.
    Ascii,
}

impl CodePage {
    /// The text encoding, or `None` for plain ASCII.
    #[must_use]
    pub fn encoding(self) -> Option<&'static encoding_rs::Encoding> {
        match self {
            CodePage::Gb18030 => Some(encoding_rs::GB18030),
            CodePage::Gbk => Some(encoding_rs::GBK),
            CodePage::Big5 => Some(encoding_rs::BIG5),
            CodePage::Ascii => None,
        }
    }
}

/// The receipt printer configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrinterSettings {
    /// Print receipts after payments and refunds (是否启用小票机).
    pub enabled: bool,
    /// Where to send the bytes: a device URI (see [`DeviceUri`]), e.g. `serial:COM3?baud=9600`,
    /// `file:/dev/usb/lp0`, `tcp:192.168.1.50:9100`, `cups:POS58`, `spooler:POS-58`.
    pub device: String,
    /// Copies of a payment receipt (小票份数), 1–9. Refunds always print one.
    pub copies: u32,
    /// Seconds between copies (小票时间间隔), 0–60, so the cashier can tear each one off.
    pub copy_interval_secs: u32,
    /// Paper width (小票机宽度).
    pub width: PaperWidth,
    /// Blank lines before the receipt (头部空白), 0–20.
    pub top_margin: u8,
    /// Blank lines after the receipt, before the cut (底部空白), 0–20.
    pub bottom_margin: u8,
    /// Body text size (打印字体大小).
    pub font_size: FontSize,
    /// Closing line (惠顾语) when the receipt brings none; at most 100 characters.
    pub closing_line: String,
    /// Cutter.
    pub cut: CutMode,
    /// Open the cash drawer on cash payments, through this pin; `None` never opens it.
    pub cash_drawer: Option<DrawerPin>,
    /// Text encoding of the printer's font.
    pub code_page: CodePage,
    /// Print the order number as a QR code and a CODE128 barcode (turn off for printers
    /// that print garbage for `GS ( k`).
    pub print_codes: bool,
}

/// Default closing line.
pub const DEFAULT_CLOSING_LINE: &str = "谢谢惠顾，欢迎再次光临";

impl Default for PrinterSettings {
    fn default() -> Self {
        PrinterSettings {
            enabled: false,
            device: String::new(),
            copies: 1,
            copy_interval_secs: 2,
            width: PaperWidth::Mm58,
            top_margin: 0,
            bottom_margin: 3,
            font_size: FontSize::Normal,
            closing_line: DEFAULT_CLOSING_LINE.to_owned(),
            cut: CutMode::Partial,
            cash_drawer: None,
            code_page: CodePage::Gb18030,
            print_codes: true,
        }
    }
}

/// A setting that is out of range, naming the field for the settings page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SettingsError {
    /// The field (as in the JSON record).
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl From<SettingsError> for PrintError {
    fn from(e: SettingsError) -> PrintError {
        PrintError::InvalidSettings(e.to_string())
    }
}

impl PrinterSettings {
    /// Checks every field; the first problem found is returned. When the printer is
    /// disabled, an empty device is fine, but a non-empty one must still parse.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let err = |field, message: String| Err(SettingsError { field, message });
        if self.enabled && self.device.trim().is_empty() {
            return err(
                "device",
                "choose a printer port, network address or printer name".into(),
            );
        }
        if !self.device.trim().is_empty()
            && let Err(e) = self.device.parse::<DeviceUri>()
        {
            return err("device", e.to_string());
        }
        if !(1..=9).contains(&self.copies) {
            return err("copies", format!("must be 1–9, not {}", self.copies));
        }
        if self.copy_interval_secs > 60 {
            return err(
                "copy_interval_secs",
                format!("must be 0–60 seconds, not {}", self.copy_interval_secs),
            );
        }
        if let PaperWidth::Columns(n) = self.width
            && !(MIN_COLUMNS..=MAX_COLUMNS).contains(&n)
        {
            return err(
                "width",
                format!("{n} columns is out of range ({MIN_COLUMNS}–{MAX_COLUMNS})"),
            );
        }
        if self.top_margin > 20 {
            return err(
                "top_margin",
                format!("must be 0–20 lines, not {}", self.top_margin),
            );
        }
        if self.bottom_margin > 20 {
            return err(
                "bottom_margin",
                format!("must be 0–20 lines, not {}", self.bottom_margin),
            );
        }
        if self.closing_line.chars().count() > 100 {
            return err("closing_line", "must be at most 100 characters".into());
        }
        if self.closing_line.chars().any(char::is_control) {
            return err("closing_line", "must not contain control characters".into());
        }
        Ok(())
    }

    /// The parsed device URI, or why there is none.
    pub fn device_uri(&self) -> Result<DeviceUri, PrintError> {
        if self.device.trim().is_empty() {
            return Err(PrintError::NotConfigured("no printer device is set".into()));
        }
        self.device.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_parse_and_print() {
        assert_eq!("58mm".parse::<PaperWidth>().unwrap(), PaperWidth::Mm58);
        assert_eq!(" 80 MM".parse::<PaperWidth>().unwrap(), PaperWidth::Mm80);
        assert_eq!("42".parse::<PaperWidth>().unwrap(), PaperWidth::Columns(42));
        assert_eq!(
            "42col".parse::<PaperWidth>().unwrap(),
            PaperWidth::Columns(42)
        );
        assert_eq!(
            "58col".parse::<PaperWidth>().unwrap(),
            PaperWidth::Columns(58)
        );
        for bad in ["58", "80", "", "wide", "8", "100", "-3"] {
            assert!(bad.parse::<PaperWidth>().is_err(), "{bad}");
        }
        let e = "58".parse::<PaperWidth>().unwrap_err().to_string();
        assert!(e.contains("ambiguous"), "{e}");
        assert_eq!(PaperWidth::Columns(42).dots(), 504);
        assert_eq!(PaperWidth::Mm80.columns(), 48);
    }

    #[test]
    fn settings_round_trip_and_defaults() {
        let s = PrinterSettings {
            width: PaperWidth::Columns(40),
            cash_drawer: Some(DrawerPin::Pin2),
            ..PrinterSettings::default()
        };
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"width\":\"40\""), "{json}");
        assert_eq!(serde_json::from_str::<PrinterSettings>(&json).unwrap(), s);
        let partial: PrinterSettings =
            serde_json::from_str(r#"{"enabled":true,"device":"tcp:10.0.0.5:9100","width":"80mm"}"#)
                .unwrap();
        assert_eq!(partial.copies, 1);
        assert_eq!(partial.width, PaperWidth::Mm80);
        assert_eq!(partial.closing_line, DEFAULT_CLOSING_LINE);
        partial.validate().unwrap();
        let numeric: PrinterSettings = serde_json::from_str(r#"{"width":42}"#).unwrap();
        assert_eq!(numeric.width, PaperWidth::Columns(42));
        assert!(serde_json::from_str::<PrinterSettings>(r#"{"width":"58"}"#).is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let ok = PrinterSettings::default();
        ok.validate().unwrap();
        let cases: Vec<(PrinterSettings, &str)> = vec![
            (
                PrinterSettings {
                    enabled: true,
                    ..ok.clone()
                },
                "device",
            ),
            (
                PrinterSettings {
                    device: "lpt".into(),
                    ..ok.clone()
                },
                "device",
            ),
            (
                PrinterSettings {
                    copies: 0,
                    ..ok.clone()
                },
                "copies",
            ),
            (
                PrinterSettings {
                    copies: 10,
                    ..ok.clone()
                },
                "copies",
            ),
            (
                PrinterSettings {
                    copy_interval_secs: 61,
                    ..ok.clone()
                },
                "copy_interval_secs",
            ),
            (
                PrinterSettings {
                    width: PaperWidth::Columns(8),
                    ..ok.clone()
                },
                "width",
            ),
            (
                PrinterSettings {
                    top_margin: 21,
                    ..ok.clone()
                },
                "top_margin",
            ),
            (
                PrinterSettings {
                    bottom_margin: 200,
                    ..ok.clone()
                },
                "bottom_margin",
            ),
            (
                PrinterSettings {
                    closing_line: "谢".repeat(101),
                    ..ok.clone()
                },
                "closing_line",
            ),
            (
                PrinterSettings {
                    closing_line: "a\u{1b}b".into(),
                    ..ok.clone()
                },
                "closing_line",
            ),
        ];
        for (s, field) in cases {
            assert_eq!(s.validate().unwrap_err().field, field, "{s:?}");
        }
    }
}
