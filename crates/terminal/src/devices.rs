//! Plug-in mode's devices, so the GUI never touches an adapter: their settings (hotkeys and
//! key sequences, the scanner box), starting them as one event stream (the adapters are built
//! in `wiring/devices.rs`), and keys pressed in the host POS program before the payment
//! window opens and after a payment.

use std::time::Duration;

use cloudpos_domain::code::Wallet;
use cloudpos_domain::ports::ScannedCode;
use cloudpos_input::KeySettings;
use cloudpos_scanner_box::BoxSettings;

use crate::wiring::{Devices, key_sender};
use crate::{Result, Setting, Terminal, TerminalError};

impl Setting for KeySettings {
    const KEY: &'static str = "keys";
    const NAME: &'static str = "key settings";
    const AUDIT_ACTION: &'static str = "config_keys";

    fn check(&mut self) -> Result<()> {
        self.validate()
            .map_err(|e| TerminalError::Invalid(e.to_string()))
    }
}

impl Setting for BoxSettings {
    const KEY: &'static str = "scanner_box";
    const NAME: &'static str = "scanner box settings";
    const AUDIT_ACTION: &'static str = "config_scanner_box";

    fn check(&mut self) -> Result<()> {
        self.validate()
            .map_err(|e| TerminalError::Invalid(e.to_string()))
    }
}

pub use cloudpos_input::{
    Chord, ChordError, HotkeyAction, HotkeyError, KeySequence, KeySettingsError,
};
pub use cloudpos_scanner_box::BoxState;

/// Something a device did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceEvent {
    /// A global hotkey was pressed.
    Hotkey(HotkeyAction),
    /// A code was scanned (wedge scanner or scanner box).
    Code(ScannedCode),
    /// The scanner box connected, disconnected, …
    ScannerBox(BoxState),
    /// A device could not start or failed (shown, never fatal).
    Problem(DeviceProblem),
}

/// A device that could not start: which, and why, as kinds the screens word in their own
/// language (`Display` is the command line's English).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceProblem {
    /// Global hotkeys are unavailable altogether (no display, …).
    #[error("global hotkeys unavailable: {0}")]
    HotkeysUnavailable(HotkeyError),
    /// A hotkey could not be registered (another program holds it, …).
    #[error("{0}")]
    Hotkey(HotkeyError),
    /// The keyboard-wedge scanner listener could not start.
    #[error("scanner listener unavailable: {0}")]
    ScannerListener(String),
    /// The scanner box could not start.
    #[error("scanner box unavailable: {0}")]
    ScannerBox(String),
}

impl Terminal {
    /// Starts the devices this configuration uses: global hotkeys, the wedge-scanner
    /// listener (plug-in mode), and the scanner box when enabled. A device that cannot
    /// start is reported as a [`DeviceEvent::Problem`], never an error: the till works
    /// without it.
    pub async fn start_devices(&self, plug_in: bool) -> Result<Devices> {
        let keys = self.setting::<KeySettings>().await?;
        let scanner_box = self.setting::<BoxSettings>().await?;
        Ok(crate::wiring::start_devices(
            &keys,
            scanner_box,
            self.inner.ports.clock.clone(),
            plug_in,
        ))
    }

    /// Presses the configured keys in the host POS program: `before` the payment window
    /// opens, or after a payment (`before == false`), for this wallet.
    pub async fn send_host_keys(&self, before: bool, wallet: Option<Wallet>) -> Result<()> {
        let keys = self.setting::<KeySettings>().await?;
        let set = if before {
            &keys.before_window
        } else {
            &keys.after_payment
        };
        if !set.enabled {
            return Ok(());
        }
        let sequence = set.for_wallet(wallet).clone();
        press(&sequence, keys.chord_delay_ms).await
    }

    /// Presses `sequence` in the focused window now, with the configured pause between
    /// chords: the injection [`Terminal::send_host_keys`] uses, for trying a sequence
    /// against the host program (`cloudpos keys send`).
    pub async fn press_keys(&self, sequence: &KeySequence) -> Result<()> {
        let keys = self.setting::<KeySettings>().await?;
        press(sequence, keys.chord_delay_ms).await
    }
}

/// Presses a sequence with a fresh sender (XTEST on X11, `SendInput` on Windows).
async fn press(sequence: &KeySequence, chord_delay_ms: u32) -> Result<()> {
    if sequence.0.is_empty() {
        return Ok(());
    }
    let sender = key_sender(Duration::from_millis(u64::from(chord_delay_ms)))?;
    sender
        .send(&sequence.key_chords())
        .await
        .map_err(|e| TerminalError::Invalid(format!("cannot press keys in the host program: {e}")))
}
