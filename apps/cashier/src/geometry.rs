//! Where the windows open, from 1024 × 768 up: the main window sized to fit the monitor it
//! opens on (a geometry saved on a larger screen is clamped to this one), the payment window
//! small enough for an 800 × 600 screen.
//!
//! The monitor is the one the window opens on, with its origin taken as (0, 0): a till has
//! one screen. A window restored onto a second monitor that is gone comes back onto this one.

use crate::window_geometry::WindowState;
use iced::{Point, Size};

/// The main window's size on a screen with just room for it; a larger screen gets
/// [`LARGE_SHARE`] of itself.
pub const MAIN_DEFAULT: Size = Size::new(1280.0, 800.0);
/// The share of a large monitor a fresh main window takes.
pub const LARGE_SHARE: f32 = 0.85;
/// The smallest main window the layout is made for (a 1024 × 768 screen with a title bar and
/// a taskbar).
pub const MAIN_MIN: Size = Size::new(960.0, 600.0);
/// Room left around a window for the title bar, frame and taskbar the desktop adds.
pub const MARGIN: Size = Size::new(16.0, 80.0);
/// Below this width the screens use their compact layout.
pub const COMPACT_WIDTH: f32 = 1200.0;

/// The room a monitor of `monitor` leaves for a window's content.
#[must_use]
pub fn available(monitor: Size) -> Size {
    Size::new(
        (monitor.width - MARGIN.width).max(320.0),
        (monitor.height - MARGIN.height).max(240.0),
    )
}

/// The main window's geometry on `monitor`: the restored one when it lies on the monitor,
/// else the restored size made to fit and moved onto it, else the default size centred.
#[must_use]
pub fn main_window(restored: Option<WindowState>, monitor: Size) -> WindowState {
    let room = available(monitor);
    let (width, height) = match restored {
        Some(r) => (r.width.min(room.width), r.height.min(room.height)),
        None => (
            (monitor.width * LARGE_SHARE)
                .floor()
                .max(MAIN_DEFAULT.width)
                .min(room.width),
            (monitor.height * LARGE_SHARE)
                .floor()
                .max(MAIN_DEFAULT.height)
                .min(room.height),
        ),
    };
    let centred = Point::new(
        ((monitor.width - width) / 2.0).max(0.0).floor(),
        ((monitor.height - MARGIN.height / 2.0 - height) / 2.0)
            .max(0.0)
            .floor(),
    );
    let (x, y) = match restored {
        Some(r) => (
            r.x.clamp(0.0, (monitor.width - width).max(0.0)),
            r.y.clamp(
                0.0,
                (monitor.height - MARGIN.height / 2.0 - height).max(0.0),
            ),
        ),
        None => (centred.x, centred.y),
    };
    WindowState {
        x,
        y,
        width,
        height,
    }
}

/// The smallest size the main window may be dragged to on `monitor`.
#[must_use]
pub fn main_min(monitor: Size) -> Size {
    let room = available(monitor);
    Size::new(
        MAIN_MIN.width.min(room.width),
        MAIN_MIN.height.min(room.height),
    )
}

/// The payment window's size: `wanted`, made to fit `monitor` when known.
#[must_use]
pub fn payment_window(wanted: Size, monitor: Option<Size>) -> Size {
    match monitor {
        Some(m) => {
            let room = available(m);
            Size::new(wanted.width.min(room.width), wanted.height.min(room.height))
        }
        None => wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits(g: &WindowState, monitor: Size) -> bool {
        g.x >= 0.0
            && g.y >= 0.0
            && g.x + g.width <= monitor.width
            && g.y + g.height <= monitor.height
    }

    #[test]
    fn a_fresh_start_fits_every_common_till_screen() {
        for (w, h) in [
            (1024.0, 768.0),
            (1280.0, 800.0),
            (1366.0, 768.0),
            (1920.0, 1080.0),
        ] {
            let monitor = Size::new(w, h);
            let g = main_window(None, monitor);
            assert!(fits(&g, monitor), "{w}×{h}: {g:?}");
            assert!(
                g.width >= MAIN_MIN.width && g.height >= MAIN_MIN.height,
                "{g:?}"
            );
        }
        // Room to spare: most of the screen, centred.
        let g = main_window(None, Size::new(1920.0, 1080.0));
        assert_eq!((g.width, g.height), (1632.0, 918.0));
        assert_eq!(g.x, 144.0);
        // Just room: the default size.
        let g = main_window(None, Size::new(1440.0, 900.0));
        assert_eq!((g.width, g.height), (1280.0, 800.0));
    }

    #[test]
    fn a_geometry_from_a_larger_screen_is_clamped_onto_this_one() {
        let saved = WindowState {
            x: 1500.0,
            y: 900.0,
            width: 1800.0,
            height: 1000.0,
        };
        let monitor = Size::new(1024.0, 768.0);
        let g = main_window(Some(saved), monitor);
        assert!(fits(&g, monitor), "{g:?}");
        // Off to the left and above: moved back.
        let g = main_window(
            Some(WindowState {
                x: -300.0,
                y: -50.0,
                width: 900.0,
                height: 600.0,
            }),
            monitor,
        );
        assert_eq!((g.x, g.y, g.width, g.height), (0.0, 0.0, 900.0, 600.0));
        // A geometry that fits stays exactly where it was.
        let kept = WindowState {
            x: 10.0,
            y: 20.0,
            width: 1000.0,
            height: 650.0,
        };
        assert_eq!(main_window(Some(kept), monitor), kept);
    }

    #[test]
    fn the_payment_window_fits_an_800_by_600_screen() {
        let s = payment_window(Size::new(560.0, 720.0), Some(Size::new(800.0, 600.0)));
        assert!(s.height <= 600.0 - MARGIN.height, "{s:?}");
        assert_eq!(s.width, 560.0);
        assert_eq!(
            payment_window(Size::new(500.0, 470.0), None),
            Size::new(500.0, 470.0)
        );
    }
}
