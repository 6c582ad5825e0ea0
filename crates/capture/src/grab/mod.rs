//! The screen-grab port and its adapters: X11 (`GetImage`, monitors from RandR) everywhere
//! but Windows, GDI (`BitBlt`) on Windows.

use cloudpos_domain::ports::ScreenRegion;
use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::CaptureError;

#[cfg(windows)]
pub mod windows;
#[cfg(not(windows))]
pub mod x11;

/// One screen (monitor) as the grabber sees it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenInfo {
    /// Index used by [`ScreenRegion::screen`]: 0 is the primary screen, the others follow
    /// left to right (then top to bottom).
    pub index: u32,
    /// The system's name for it (`HDMI-1`, `\\.\DISPLAY2`, …), for the region picker.
    pub name: String,
    /// Left edge on the virtual desktop, physical pixels.
    pub x: i32,
    /// Top edge on the virtual desktop, physical pixels.
    pub y: i32,
    /// Width in physical pixels.
    pub width: u32,
    /// Height in physical pixels.
    pub height: u32,
    /// Whether this is the primary screen.
    pub primary: bool,
    /// The screen's scale factor in percent (100 = 96 dpi).
    pub scale_percent: u32,
}

/// Grabs pixels off the screens. Implementations are blocking (call them from
/// `spawn_blocking` in async code) and safe to share between threads.
pub trait ScreenGrabber: Send + Sync {
    /// The screens, primary first.
    ///
    /// # Errors
    ///
    /// [`CaptureError::NoDisplay`] when the display cannot be reached.
    fn screens(&self) -> Result<Vec<ScreenInfo>, CaptureError>;

    /// The pixels of `region` as RGB. The region is validated against the current screens
    /// first ([`crate::region::validate`]).
    ///
    /// # Errors
    ///
    /// [`CaptureError::Region`] for a region that does not fit, [`CaptureError::NoDisplay`]
    /// or [`CaptureError::Grab`] when the system refuses the grab.
    fn grab(&self, region: &ScreenRegion) -> Result<RgbImage, CaptureError>;

    /// Short name of the adapter (`x11`, `gdi`, …) for logs and error messages.
    fn name(&self) -> &'static str;
}

/// The grabber of this platform: X11 (from `$DISPLAY`) on Linux and other Unix systems,
/// GDI on Windows.
///
/// # Errors
///
/// [`CaptureError::NoDisplay`] when there is no display to grab (no `$DISPLAY`, the X
/// server refuses the connection, …), with the reason.
pub fn default_grabber() -> Result<Box<dyn ScreenGrabber>, CaptureError> {
    #[cfg(windows)]
    {
        Ok(Box::new(windows::GdiGrabber::new()))
    }
    #[cfg(not(windows))]
    {
        Ok(Box::new(x11::X11Grabber::connect(None)?))
    }
}

/// The absolute (virtual-desktop) position of a region's top-left corner.
pub(crate) fn absolute_origin(screen: &ScreenInfo, region: &ScreenRegion) -> (i64, i64) {
    (
        i64::from(screen.x) + i64::from(region.x),
        i64::from(screen.y) + i64::from(region.y),
    )
}

/// Orders screens primary first, then left to right and top to bottom, and numbers them.
pub(crate) fn order_screens(mut screens: Vec<ScreenInfo>) -> Vec<ScreenInfo> {
    screens.sort_by_key(|s| (!s.primary, s.x, s.y));
    for (i, s) in screens.iter_mut().enumerate() {
        s.index = u32::try_from(i).unwrap_or(u32::MAX);
    }
    screens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_first_then_left_to_right() {
        let s = |name: &str, x, primary| ScreenInfo {
            index: 9,
            name: name.into(),
            x,
            y: 0,
            width: 10,
            height: 10,
            primary,
            scale_percent: 100,
        };
        let ordered = order_screens(vec![
            s("c", 20, false),
            s("b", 10, true),
            s("a", -10, false),
        ]);
        let names: Vec<_> = ordered.iter().map(|s| (s.index, s.name.as_str())).collect();
        assert_eq!(names, [(0, "b"), (1, "a"), (2, "c")]);
    }
}
