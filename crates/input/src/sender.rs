//! Key injection into the host POS ([`KeySender`]): presses configured chords in whatever
//! window has the keyboard focus — XTEST on X11, `SendInput` on Windows.
//!
//! Each chord is pressed as a person would: modifiers down (Ctrl, Alt, Shift, Win), the key
//! down and up, modifiers up in reverse order; then a configurable pause before the next
//! chord (host programs often need time to react to `F12` before `Enter`). Keys are
//! physical keys (see [`crate::notation`]): `~` presses the key left of `1` without Shift.
//!
//! The keys go to the focused window: before the payment window opens that is the host POS;
//! after a payment the caller must hand the focus back to the host (hide our window) before
//! sending. Keys the cashier still holds (the hotkey's own modifiers) combine with the
//! injected ones, so send after the hotkey is released. On Windows `SendInput` cannot reach
//! a program running as administrator unless we do too (the manual's 以管理员身份运行).

use std::time::Duration;

use async_trait::async_trait;
use cloudpos_domain::ports::{DeviceError, KeyChord, KeySender};

use crate::error::InputError;
use crate::notation::{Chord, KeySequence};

#[cfg(windows)]
mod windows_backend;
#[cfg(not(windows))]
mod x11_backend;

#[cfg(windows)]
use windows_backend as backend;
#[cfg(not(windows))]
use x11_backend as backend;

/// How to create the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderOptions {
    /// The pause between two chords (default 50 ms).
    pub chord_delay: Duration,
    /// The X11 display (`":0"`); `None` uses `$DISPLAY`. Ignored on Windows.
    pub display: Option<String>,
}

impl Default for SenderOptions {
    fn default() -> Self {
        SenderOptions {
            chord_delay: Duration::from_millis(50),
            display: None,
        }
    }
}

/// The [`KeySender`] adapter.
pub struct HostKeySender {
    backend: std::sync::Mutex<backend::Injector>,
    /// Serialises whole sequences, so two callers' chords never interleave.
    sequence: tokio::sync::Mutex<()>,
    chord_delay: Duration,
}

impl std::fmt::Debug for HostKeySender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostKeySender")
            .field("chord_delay", &self.chord_delay)
            .finish_non_exhaustive()
    }
}

impl HostKeySender {
    /// Connects to the display (X11) so that a missing display or XTEST is reported now.
    ///
    /// # Errors
    /// No display, or no XTEST extension.
    pub fn new(options: SenderOptions) -> Result<HostKeySender, InputError> {
        Ok(HostKeySender {
            backend: std::sync::Mutex::new(backend::Injector::new(options.display)?),
            sequence: tokio::sync::Mutex::new(()),
            chord_delay: options.chord_delay,
        })
    }

    /// The pause between chords.
    #[must_use]
    pub fn chord_delay(&self) -> Duration {
        self.chord_delay
    }

    /// Presses one chord now (blocking, no pause).
    ///
    /// # Errors
    /// [`DeviceError::Unavailable`] when the display or the OS refused the keys.
    pub fn press(&self, chord: &Chord) -> Result<(), DeviceError> {
        let mut backend = self.backend.lock().map_err(|_| {
            DeviceError::Unavailable("the key sender is broken (a previous send panicked)".into())
        })?;
        backend.press(chord).map_err(DeviceError::from)
    }

    /// Presses a sequence, pausing between chords.
    ///
    /// # Errors
    /// As [`HostKeySender::press`]; the chords before the failing one were sent.
    pub async fn send_sequence(&self, sequence: &KeySequence) -> Result<(), DeviceError> {
        self.send_chords(sequence.chords()).await
    }

    async fn send_chords(&self, chords: &[Chord]) -> Result<(), DeviceError> {
        let _guard = self.sequence.lock().await;
        for (i, chord) in chords.iter().enumerate() {
            if i > 0 && !self.chord_delay.is_zero() {
                tokio::time::sleep(self.chord_delay).await;
            }
            self.press(chord)?;
        }
        Ok(())
    }
}

#[async_trait]
impl KeySender for HostKeySender {
    /// Parses every chord first (nothing is sent if one is unreadable), then presses them.
    async fn send(&self, chords: &[KeyChord]) -> Result<(), DeviceError> {
        let parsed = chords
            .iter()
            .map(Chord::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DeviceError::Unreadable(format!("key setting {e}")))?;
        self.send_chords(&parsed).await
    }
}
