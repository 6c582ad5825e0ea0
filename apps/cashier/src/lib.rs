//! # CloudPOS cashier
//!
//! The desktop app cashiers live in all day, in the two modes of the Tencent terminal: plug-in
//! mode (a small always-on-top payment window beside the shop's own POS program, opened by
//! the `~` hotkey or a scan) and full mode (commodities and checkout of its own). Keyboard
//! first, Chinese first, one colour per outcome.
//!
//! The key decision is that the GUI is thin: every action is a call into
//! [`cloudpos_terminal::Terminal`], never into an adapter, and a screen's `update` and `view`
//! never call even that — each screen (halloy's shape: `Message`, `Event`, `update`, `view`)
//! returns events, and its `perform` turns them into terminal calls whose answers come back
//! as its messages; [`app::App`] routes between the screens. The screens can therefore be
//! driven headlessly in tests over a terminal with a fake cloud and a virtual clock.

// Messages carry whole orders and results; they are moved once, boxing them buys nothing.
#![allow(clippy::large_enum_variant)]

pub mod amount;
pub mod app;
pub mod ctx;
pub mod focus;
pub mod geometry;
pub mod i18n;
pub mod instance_lock;
pub mod keys;
pub mod screen;
pub mod style;
pub mod widgets;
pub mod window_geometry;

pub use app::{App, Message, Options};

/// Runs the app as an iced daemon (windows open and close; plug-in mode keeps running with
/// none visible).
///
/// # Errors
/// When the windowing system or the renderer cannot start.
pub fn run(options: Options) -> iced::Result {
    let font = style::choose_ui_font();
    iced::daemon(move || App::new(options.clone()), App::update, App::view)
        .title(App::title)
        .subscription(App::subscription)
        .theme(|_: &App, _| style::theme())
        .default_font(font)
        .antialiasing(true)
        .run()
}
