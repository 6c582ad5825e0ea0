//! Plug-in mode's devices, wired by the terminal so the GUI never touches an adapter: global
//! hotkeys, the keyboard-wedge scanner detector, the serial scanner box, and keys pressed in
//! the host POS program before the payment window opens and after a payment.

use std::sync::Arc;
use std::time::Duration;

use cloudpos_domain::clerk::Permission;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::ports::{CodeSource, KeySender, ScannedCode};
use cloudpos_input::{
    HostKeySender, HotkeyService, KeySettings, ListenerOptions, SenderOptions, WedgeListener,
};
use cloudpos_scanner_box::{BoxSettings, ScannerBox};
use tokio::sync::mpsc;

use crate::{Result, Terminal, TerminalError};

/// Settings key of the [`KeySettings`].
pub const KEYS_KEY: &str = "keys";
/// Settings key of the [`BoxSettings`].
pub const SCANNER_BOX_KEY: &str = "scanner_box";

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

/// The running devices; drop it to stop them.
pub struct Devices {
    events: mpsc::UnboundedReceiver<DeviceEvent>,
    hotkeys: Option<HotkeyService>,
    wedge: Option<Arc<WedgeListener>>,
    scanner_box: Option<Arc<ScannerBox>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Where device tasks send their events (kept to start the wedge listener later).
    tx: mpsc::UnboundedSender<DeviceEvent>,
    clock: Arc<dyn cloudpos_domain::ports::Clock>,
    plug_in: bool,
}

impl std::fmt::Debug for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devices")
            .field("hotkeys", &self.hotkeys.is_some())
            .field("wedge", &self.wedge.is_some())
            .field("scanner_box", &self.scanner_box.is_some())
            .finish()
    }
}

impl Devices {
    /// The next event (`None` once everything stopped).
    pub async fn next(&mut self) -> Option<DeviceEvent> {
        self.events.recv().await
    }

    /// Pauses the wedge detector while our own window has the focus (the cashier types
    /// there; scans into our window arrive as ordinary text).
    pub fn pause_wedge(&self, paused: bool) {
        if let Some(w) = &self.wedge {
            w.set_paused(paused);
        }
    }

    /// Re-registers the hotkeys after the settings changed, for the current mode. The same
    /// service releases the old registration before taking the new one, so the app never
    /// collides with its own keys.
    ///
    /// # Errors
    /// A chord that could not be registered (the previous set is then restored).
    pub fn apply_keys(&self, keys: &KeySettings) -> std::result::Result<(), HotkeyError> {
        match &self.hotkeys {
            Some(h) => h.apply_settings(keys, self.plug_in),
            None => Ok(()),
        }
    }

    /// Switches between plug-in and full mode without restarting anything: the hotkeys of
    /// the new mode replace those of the old (through the same service), and the
    /// keyboard-wedge listener runs only in plug-in mode. A listener that cannot start is
    /// reported as a [`DeviceEvent::Problem`].
    ///
    /// # Errors
    /// A chord that could not be registered (the previous set is then restored).
    pub fn set_mode(
        &mut self,
        keys: &KeySettings,
        plug_in: bool,
    ) -> std::result::Result<(), HotkeyError> {
        self.plug_in = plug_in;
        if plug_in && self.wedge.is_none() {
            match WedgeListener::start(
                ListenerOptions {
                    detector: keys.wedge.clone(),
                    display: None,
                },
                self.clock.clone(),
            ) {
                Ok(w) => {
                    let w = Arc::new(w);
                    self.tasks.push(forward_codes(w.clone(), self.tx.clone()));
                    self.wedge = Some(w);
                }
                Err(e) => {
                    let _ = self
                        .tx
                        .send(DeviceEvent::Problem(DeviceProblem::ScannerListener(
                            e.to_string(),
                        )));
                }
            }
        } else if !plug_in {
            // Dropping the listener stops it; its forwarding task ends with it.
            self.wedge = None;
        }
        self.apply_keys(keys)
    }

    /// Whether the devices run for plug-in mode.
    #[must_use]
    pub fn plug_in(&self) -> bool {
        self.plug_in
    }

    /// The hotkeys registered now.
    #[must_use]
    pub fn hotkeys(&self) -> Vec<(HotkeyAction, Chord)> {
        self.hotkeys
            .as_ref()
            .map(HotkeyService::bindings)
            .unwrap_or_default()
    }
}

impl Drop for Devices {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Terminal {
    /// The key settings (hotkeys and key sequences).
    pub async fn key_settings(&self) -> Result<KeySettings> {
        match self.inner.ports.settings.get(KEYS_KEY).await? {
            None => Ok(KeySettings::default()),
            Some(v) => serde_json::from_value(v).map_err(|e| {
                TerminalError::Invalid(format!("stored key settings are unreadable: {e}"))
            }),
        }
    }

    /// Stores key settings (configure permission; audited).
    pub async fn set_key_settings(&self, keys: &KeySettings) -> Result<()> {
        self.configure_guard().await?;
        keys.validate()
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        let value =
            serde_json::to_value(keys).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        self.inner.ports.settings.put(KEYS_KEY, &value).await?;
        let (_, me) = self.current_clerk().await?;
        self.audit(me.id.as_str(), "config_keys", value).await
    }

    /// The scanner box settings.
    pub async fn scanner_box_settings(&self) -> Result<BoxSettings> {
        match self.inner.ports.settings.get(SCANNER_BOX_KEY).await? {
            None => Ok(BoxSettings::default()),
            Some(v) => serde_json::from_value(v).map_err(|e| {
                TerminalError::Invalid(format!("stored scanner box settings are unreadable: {e}"))
            }),
        }
    }

    /// Stores scanner box settings (configure permission; audited).
    pub async fn set_scanner_box_settings(&self, settings: &BoxSettings) -> Result<()> {
        self.configure_guard().await?;
        settings
            .validate()
            .map_err(|e| TerminalError::Invalid(e.to_string()))?;
        let value =
            serde_json::to_value(settings).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        self.inner
            .ports
            .settings
            .put(SCANNER_BOX_KEY, &value)
            .await?;
        let (_, me) = self.current_clerk().await?;
        self.audit(me.id.as_str(), "config_scanner_box", value)
            .await
    }

    pub(crate) async fn configure_guard(&self) -> Result<()> {
        let (_, me) = self.current_clerk().await?;
        if me.may(Permission::Configure) {
            Ok(())
        } else {
            Err(TerminalError::PermissionDenied(format!(
                "{} ({}) may not change the configuration",
                me.id,
                me.role.display_name()
            )))
        }
    }

    /// Starts the devices this configuration uses: global hotkeys, the wedge-scanner
    /// listener (plug-in mode), and the scanner box when enabled. A device that cannot
    /// start is reported as a [`DeviceEvent::Problem`], never an error: the till works
    /// without it.
    pub async fn start_devices(&self, plug_in: bool) -> Result<Devices> {
        let (tx, rx) = mpsc::unbounded_channel();
        let keys = self.key_settings().await?;
        let mut tasks = Vec::new();

        let hotkeys = match HotkeyService::start() {
            Ok((svc, mut events)) => {
                if let Err(e) = svc.apply_settings(&keys, plug_in) {
                    let _ = tx.send(DeviceEvent::Problem(DeviceProblem::Hotkey(e)));
                }
                let tx = tx.clone();
                tasks.push(tokio::spawn(async move {
                    while let Some(e) = events.recv().await {
                        if tx.send(DeviceEvent::Hotkey(e.action)).is_err() {
                            break;
                        }
                    }
                }));
                Some(svc)
            }
            Err(e) => {
                let _ = tx.send(DeviceEvent::Problem(DeviceProblem::HotkeysUnavailable(e)));
                None
            }
        };

        let wedge = if plug_in {
            match WedgeListener::start(
                ListenerOptions {
                    detector: keys.wedge.clone(),
                    display: None,
                },
                self.inner.ports.clock.clone(),
            ) {
                Ok(w) => {
                    let w = Arc::new(w);
                    tasks.push(forward_codes(w.clone(), tx.clone()));
                    Some(w)
                }
                Err(e) => {
                    let _ = tx.send(DeviceEvent::Problem(DeviceProblem::ScannerListener(
                        e.to_string(),
                    )));
                    None
                }
            }
        } else {
            None
        };

        let box_settings = self.scanner_box_settings().await?;
        let scanner_box = if box_settings.enabled {
            match ScannerBox::start(box_settings, self.inner.ports.clock.clone()) {
                Ok(b) => {
                    let b = Arc::new(b);
                    tasks.push(forward_codes(b.clone(), tx.clone()));
                    let mut states = b.state_changes();
                    let tx2 = tx.clone();
                    tasks.push(tokio::spawn(async move {
                        while states.changed().await.is_ok() {
                            let s: BoxState = states.borrow().clone();
                            if tx2.send(DeviceEvent::ScannerBox(s)).is_err() {
                                break;
                            }
                        }
                    }));
                    Some(b)
                }
                Err(e) => {
                    let _ = tx.send(DeviceEvent::Problem(DeviceProblem::ScannerBox(
                        e.to_string(),
                    )));
                    None
                }
            }
        } else {
            None
        };

        Ok(Devices {
            events: rx,
            hotkeys,
            wedge,
            scanner_box,
            tasks,
            tx,
            clock: self.inner.ports.clock.clone(),
            plug_in,
        })
    }

    /// Presses the configured keys in the host POS program: `before` the payment window
    /// opens, or after a payment (`before == false`), for this wallet.
    pub async fn send_host_keys(&self, before: bool, wallet: Option<Wallet>) -> Result<()> {
        let keys = self.key_settings().await?;
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
        let keys = self.key_settings().await?;
        press(sequence, keys.chord_delay_ms).await
    }
}

/// Presses a sequence with a fresh sender (XTEST on X11, `SendInput` on Windows).
async fn press(sequence: &KeySequence, chord_delay_ms: u32) -> Result<()> {
    if sequence.0.is_empty() {
        return Ok(());
    }
    let sender = HostKeySender::new(SenderOptions {
        chord_delay: Duration::from_millis(u64::from(chord_delay_ms)),
        display: None,
    })
    .map_err(|e| TerminalError::Invalid(format!("cannot press keys in the host program: {e}")))?;
    sender
        .send(&sequence.key_chords())
        .await
        .map_err(|e| TerminalError::Invalid(format!("cannot press keys in the host program: {e}")))
}

fn forward_codes(
    source: Arc<dyn CodeSource>,
    tx: mpsc::UnboundedSender<DeviceEvent>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(code) = source.next_code().await {
            if tx.send(DeviceEvent::Code(code)).is_err() {
                break;
            }
        }
    })
}
