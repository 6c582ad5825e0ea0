//! Keyboard adapters for plug-in mode: CloudPOS running beside the shop's own POS program.
//!
//! - [`notation`]: the text form of keys (`~`, `Ctrl+E`, `Ctrl+Shift+P`, `F12, Ctrl+Enter`)
//!   shared by the settings page, the stored settings and the domain's
//!   [`KeyChord`](cloudpos_domain::ports::KeyChord).
//! - [`settings`]: the 快捷键配置 page — hotkeys with their defaults, the keys pressed in
//!   the host POS before the payment window and after payment (per wallet), and the
//!   wedge-scanner thresholds.
//! - [`hotkeys`]: [`HotkeyService`], global hotkeys through `global-hotkey` (X11 grabs,
//!   `RegisterHotKey`), re-registered atomically when the settings change.
//! - [`detector`]: [`WedgeDetector`], the pure state machine that tells a keyboard-wedge
//!   scanner (a machine-speed burst ending in Enter) from a person typing.
//! - [`listener`]: [`WedgeListener`], a global key listener (XInput 2 raw events on X11, a
//!   low-level hook on Windows) feeding the detector: the
//!   [`CodeSource`](cloudpos_domain::ports::CodeSource) of wedge-scanned codes.
//! - [`sender`]: [`HostKeySender`], the [`KeySender`](cloudpos_domain::ports::KeySender)
//!   pressing configured keys in the host POS (XTEST, `SendInput`).
//!
//! The key decision is to tell scanners from people by **timing only**, in a pure state
//! machine that sees every key: it needs no scanner configuration (no prefix character, no
//! special driver) and is tested exhaustively with generated timings. The price is that the
//! listener can only observe: a scanned code also reaches the host POS as typed text, and a
//! person who somehow types 16 digits with under 50 ms between every key would be taken for a
//! scanner.
//!
//! Platforms: Windows code sits behind `cfg(windows)` (the only `unsafe` of the crate, in
//! `win`); everything else uses X11 behind `cfg(not(windows))` and is exercised under Xvfb by
//! the integration tests. The X11 parts are pure Rust (x11rb): no C libraries to build.

pub mod detector;
pub mod error;
pub mod hotkeys;
pub mod listener;
pub mod notation;
pub mod sender;
pub mod settings;
#[cfg(windows)]
mod win;
#[cfg(not(windows))]
mod x11;

pub use detector::{
    CodeChars, Detected, DetectorConfig, KeyStroke, ScanBurst, WedgeDetector, WedgeKey,
};
pub use error::InputError;
pub use hotkeys::{HotkeyError, HotkeyEvent, HotkeyService};
pub use listener::{ListenerOptions, WedgeListener};
pub use notation::{Chord, ChordError, Key, KeySequence, Modifiers};
pub use sender::{HostKeySender, SenderOptions};
pub use settings::{HotkeyAction, HotkeyBinding, KeySettings, KeySettingsError, WalletKeys};
