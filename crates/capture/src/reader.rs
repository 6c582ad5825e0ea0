//! The domain's [`AmountReader`] over a screen grabber, the configured regions, the optional
//! UI text source and the options.

use std::sync::Arc;

use async_trait::async_trait;
use cloudpos_domain::ports::{AmountReader, AmountReading, DeviceError, ScreenRegion};
use serde::{Deserialize, Serialize};

use crate::CaptureError;
use crate::grab::ScreenGrabber;
use crate::read::{
    ReadOptions, Reading, SerialReading, grab_and_read_serial_with, grab_and_read_with,
};
use crate::stability::{StabilityOptions, read_stable};
use crate::text::TextSource;

/// Everything the reader needs besides the devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReaderOptions {
    /// How each read is made.
    pub read: ReadOptions,
    /// How many reads must agree.
    pub stability: StabilityOptions,
}

/// Reads the payment total (and the receipt number) off the host POS program's screen.
///
/// Each `read_amount` runs on tokio's blocking pool: UI text first where the host exposes
/// it (Windows UI Automation), OCR of the grabbed region otherwise, repeated until the
/// stability rule is met. Requires a tokio runtime.
#[derive(Clone)]
pub struct ScreenAmountReader {
    grabber: Arc<dyn ScreenGrabber>,
    text: Option<Arc<dyn TextSource>>,
    amount_region: Option<ScreenRegion>,
    serial_region: Option<ScreenRegion>,
    options: ReaderOptions,
}

impl std::fmt::Debug for ScreenAmountReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScreenAmountReader")
            .field("grabber", &self.grabber.name())
            .field("text", &self.text.as_ref().map(|t| t.source()))
            .field("amount_region", &self.amount_region)
            .field("serial_region", &self.serial_region)
            .field("options", &self.options)
            .finish()
    }
}

impl ScreenAmountReader {
    /// A reader over `grabber` without a UI text source (OCR only).
    #[must_use]
    pub fn new(
        grabber: Arc<dyn ScreenGrabber>,
        amount_region: Option<ScreenRegion>,
        serial_region: Option<ScreenRegion>,
        options: ReaderOptions,
    ) -> ScreenAmountReader {
        ScreenAmountReader {
            grabber,
            text: None,
            amount_region,
            serial_region,
            options,
        }
    }

    /// The same reader with a UI text source tried before OCR.
    #[must_use]
    pub fn with_text_source(mut self, text: Option<Arc<dyn TextSource>>) -> ScreenAmountReader {
        self.text = text;
        self
    }

    /// A reader for this machine: the platform's grabber and text source (UI Automation on
    /// Windows, AT-SPI elsewhere).
    ///
    /// # Errors
    ///
    /// [`CaptureError::NoDisplay`] when there is no display.
    pub fn for_this_machine(
        amount_region: Option<ScreenRegion>,
        serial_region: Option<ScreenRegion>,
        options: ReaderOptions,
    ) -> Result<ScreenAmountReader, CaptureError> {
        let grabber: Arc<dyn ScreenGrabber> = Arc::from(crate::grab::default_grabber()?);
        Ok(
            ScreenAmountReader::new(grabber, amount_region, serial_region, options)
                .with_text_source(crate::text::default_text_source()),
        )
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &ReaderOptions {
        &self.options
    }

    /// Reads the amount now (blocking), with the stability rule.
    ///
    /// # Errors
    ///
    /// [`CaptureError::NotConfigured`] without an amount region, else as
    /// [`grab_and_read_with`].
    pub fn read_amount_blocking(&self) -> Result<Reading, CaptureError> {
        let region = self
            .amount_region
            .ok_or_else(|| CaptureError::NotConfigured("the amount region".to_owned()))?;
        read_stable(
            || {
                grab_and_read_with(
                    self.grabber.as_ref(),
                    self.text.as_deref(),
                    &region,
                    &self.options.read,
                )
            },
            &self.options.stability,
            std::thread::sleep,
        )
    }

    /// Reads the serial number now (blocking), once; `None` without a serial region.
    ///
    /// # Errors
    ///
    /// As [`grab_and_read_serial_with`].
    pub fn read_serial_blocking(&self) -> Result<Option<SerialReading>, CaptureError> {
        let Some(region) = self.serial_region else {
            return Ok(None);
        };
        grab_and_read_serial_with(
            self.grabber.as_ref(),
            self.text.as_deref(),
            &region,
            &self.options.read,
        )
        .map(Some)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&ScreenAmountReader) -> Result<T, CaptureError> + Send + 'static,
    ) -> Result<T, DeviceError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || f(&me))
            .await
            .map_err(|e| DeviceError::Fault(format!("the screen read was interrupted: {e}")))?
            .map_err(DeviceError::from)
    }
}

#[async_trait]
impl AmountReader for ScreenAmountReader {
    async fn read_amount(&self) -> Result<AmountReading, DeviceError> {
        let reading = self
            .blocking(ScreenAmountReader::read_amount_blocking)
            .await?;
        if let Some(problem) = &reading.problem {
            tracing::info!("amount region read \"{}\": {problem}", reading.text);
        }
        Ok(reading.to_amount_reading())
    }

    async fn read_serial(&self) -> Result<Option<String>, DeviceError> {
        let reading = self
            .blocking(ScreenAmountReader::read_serial_blocking)
            .await?;
        Ok(reading.and_then(|r| r.serial))
    }
}
