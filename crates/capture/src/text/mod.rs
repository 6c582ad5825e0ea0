//! Reading the amount as **text** from the host program's UI, where the host exposes it —
//! exact, with no recognition error — before falling back to OCR.
//!
//! * Windows: UI Automation ([`uia::UiaTextSource`], `cfg(windows)`): the element under the
//!   centre of the region, its `Value` (ValuePattern: edit boxes), its text (TextPattern)
//!   and its `Name` (labels, most custom controls).
//! * Linux and other Unix desktops: AT-SPI ([`atspi::AtSpiTextSource`], `cfg(not(windows))`):
//!   the element under the centre of the region on the accessibility bus, its Text
//!   interface's text (entries, labels) and its `Name`. Only programs that publish an
//!   accessibility tree can be read (GTK always; Qt, Electron and Java with accessibility
//!   on); Windows POS programs under Wine publish none, and OCR reads those.
//!
//! A text read is only taken when its text normalises to an amount; anything else (the
//! element is a container, a label without the figure, our own window) falls back to OCR.

use cloudpos_domain::ports::ScreenRegion;
use serde::{Deserialize, Serialize};

use crate::CaptureError;
use crate::grab::ScreenInfo;

#[cfg(not(windows))]
pub mod atspi;
#[cfg(windows)]
pub mod uia;

/// How a reading was obtained (the domain's `AmountReading::source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadSource {
    /// Recognised from the screen pixels.
    Ocr,
    /// Read as text through Windows UI Automation.
    UiAutomation,
    /// Read as text through AT-SPI (Linux accessibility).
    AtSpi,
}

impl ReadSource {
    /// `ocr`, `ui-automation` or `at-spi`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ReadSource::Ocr => "ocr",
            ReadSource::UiAutomation => "ui-automation",
            ReadSource::AtSpi => "at-spi",
        }
    }
}

impl std::fmt::Display for ReadSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads the texts the host program's UI exposes at a region. Blocking; shared between
/// threads.
pub trait TextSource: Send + Sync {
    /// The candidate texts of the UI element at the centre of `region` (on `screen`), best
    /// first; empty when there is no element or it exposes no text.
    ///
    /// # Errors
    ///
    /// [`CaptureError::TextRead`] when the accessibility service fails.
    fn texts_at(
        &self,
        screen: &ScreenInfo,
        region: &ScreenRegion,
    ) -> Result<Vec<String>, CaptureError>;

    /// Which service this is.
    fn source(&self) -> ReadSource;
}

/// The text source of this platform: UI Automation on Windows, AT-SPI elsewhere (on this
/// desktop's session bus; it connects on the first read).
#[must_use]
pub fn default_text_source() -> Option<std::sync::Arc<dyn TextSource>> {
    #[cfg(windows)]
    {
        Some(std::sync::Arc::new(uia::UiaTextSource::new()))
    }
    #[cfg(not(windows))]
    {
        Some(std::sync::Arc::new(atspi::AtSpiTextSource::new()))
    }
}
