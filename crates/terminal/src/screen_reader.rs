//! Plug-in mode's screen reading beyond the payment window: one-shot reads of a picture file
//! for checking a region or the recogniser (`cloudpos capture read`), and screen regions as
//! text. The reader of the screen itself is built in `wiring/screen.rs`.

use std::path::Path;

use cloudpos_domain::ports::{AmountReading, ScreenRegion};
use serde::Serialize;

use crate::wiring::read_options;
use crate::{BasicSettings, Result, Terminal, TerminalError};

/// One read of a picture file, with the reason when no amount came out of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PictureReading {
    /// What was read, as the payment window would get it.
    pub reading: AmountReading,
    /// Why there is no amount (blank picture, not an amount, a third decimal…).
    pub problem: Option<String>,
    /// Whether the cashier would have to confirm it (no amount or low confidence).
    pub needs_confirmation: bool,
}

impl Terminal {
    /// Reads the amount in a picture file (PNG, JPEG, BMP) the way a screen region is read,
    /// with the stored 预处理/放大 options and confidence threshold.
    pub async fn read_amount_in_picture(&self, path: &Path) -> Result<PictureReading> {
        let options = read_options(&self.setting::<BasicSettings>().await?);
        let path = path.to_owned();
        let reading =
            tokio::task::spawn_blocking(move || cloudpos_capture::read_image_file(&path, &options))
                .await
                .map_err(|e| TerminalError::Invalid(format!("the reader stopped: {e}")))?
                .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        Ok(PictureReading {
            problem: reading.problem.as_ref().map(ToString::to_string),
            needs_confirmation: reading.needs_confirmation,
            reading: reading.to_amount_reading(),
        })
    }

    /// Reads a receipt/serial number in a picture file; `None` when nothing was read.
    pub async fn read_serial_in_picture(&self, path: &Path) -> Result<Option<String>> {
        let options = read_options(&self.setting::<BasicSettings>().await?);
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            let img = cloudpos_capture::load_image(&path)?;
            cloudpos_capture::read_serial_image(&img, &options)
        })
        .await
        .map_err(|e| TerminalError::Invalid(format!("the reader stopped: {e}")))?
        .map(|r| r.serial)
        .map_err(|e| TerminalError::Invalid(e.to_string()))
    }
}

/// A screen region from `X,Y,W,H` text (physical pixels of screen `screen`, 0 = primary)
/// drawn at `scale_percent` display scale.
///
/// # Errors
///
/// [`TerminalError::Invalid`] naming what is wrong with the text.
pub fn parse_screen_region(screen: u32, rect: &str, scale_percent: u32) -> Result<ScreenRegion> {
    cloudpos_capture::region::parse_region(screen, rect, scale_percent)
        .map_err(|e| TerminalError::Invalid(e.to_string()))
}

/// `X,Y,W,H` of a region (the inverse of [`parse_screen_region`]).
#[must_use]
pub fn screen_region_text(region: &ScreenRegion) -> String {
    cloudpos_capture::region::rect_text(region)
}
