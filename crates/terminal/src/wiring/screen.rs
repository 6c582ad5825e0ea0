//! Plug-in mode's screen reader (`AmountReader`): the capture adapter built for this
//! machine from the basic settings (the amount and serial-number regions, 预处理/放大, the
//! confidence threshold). It is built on first use and dropped when the basic settings
//! change, so a region drawn in the GUI is read at the next payment without a restart; a
//! reader installed with [`Terminal::set_amount_reader`] (tests, embedders) is kept as it is.

use std::sync::Arc;

use cloudpos_capture::{PreprocessOptions, ReadOptions, ReaderOptions, ScreenAmountReader};
use cloudpos_domain::ports::AmountReader;

use crate::basic::BasicSettings;
use crate::{Result, Terminal, TerminalError};

/// How the basic settings tune a read (of the screen or of a picture file).
pub(crate) fn read_options(basic: &BasicSettings) -> ReadOptions {
    ReadOptions {
        preprocess: PreprocessOptions {
            binarize: basic.preprocess,
            zoom: basic.zoom,
        },
        min_confidence_permille: basic.min_confidence_permille,
        ..ReadOptions::default()
    }
}

impl Terminal {
    /// The installed reader, or one built now for this machine from the basic settings.
    pub(crate) async fn screen_reader(&self) -> Result<Arc<dyn AmountReader>> {
        if let Some(reader) = self.installed_amount_reader() {
            return Ok(reader);
        }
        let basic = self.setting::<BasicSettings>().await?;
        if basic.amount_region.is_none() {
            return Err(TerminalError::Invalid(
                "no amount region is drawn: draw it in the basic settings (基础配置), or type the amount".into(),
            ));
        }
        let serial = basic.serial_region.filter(|_| basic.capture_serial);
        let options = ReaderOptions {
            read: read_options(&basic),
            ..ReaderOptions::default()
        };
        let reader = ScreenAmountReader::for_this_machine(basic.amount_region, serial, options)
            .map_err(|e| {
                TerminalError::Invalid(format!(
                    "screen capture is not available ({e}): type the amount"
                ))
            })?;
        let reader: Arc<dyn AmountReader> = Arc::new(reader);
        self.install_built_reader(Arc::clone(&reader));
        Ok(reader)
    }
}
