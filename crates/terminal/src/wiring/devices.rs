//! Plug-in mode's device adapters: global hotkeys, the keyboard-wedge scanner listener
//! (`CodeSource`), the serial scanner box (`CodeSource`), all feeding one event stream
//! ([`Devices`]), and the key sender that presses keys in the host POS program (`KeySender`).

use std::sync::Arc;
use std::time::Duration;

use cloudpos_domain::ports::{Clock, CodeSource, KeySender};
use cloudpos_input::{
    Chord, HostKeySender, HotkeyAction, HotkeyError, HotkeyService, KeySettings, ListenerOptions,
    SenderOptions, WedgeListener,
};
use cloudpos_scanner_box::{BoxSettings, BoxState, ScannerBox};
use tokio::sync::mpsc;

use crate::{DeviceEvent, DeviceProblem, Result, TerminalError};

/// A sender that presses keys in the focused window (XTEST on X11, `SendInput` on Windows),
/// pausing `chord_delay` between chords.
pub(crate) fn key_sender(chord_delay: Duration) -> Result<Arc<dyn KeySender>> {
    let sender = HostKeySender::new(SenderOptions {
        chord_delay,
        display: None,
    })
    .map_err(|e| TerminalError::Invalid(format!("cannot press keys in the host program: {e}")))?;
    Ok(Arc::new(sender))
}

/// Starts the devices `keys` and `box_settings` ask for: global hotkeys, the wedge-scanner
/// listener (plug-in mode), and the scanner box when enabled. A device that cannot start is
/// reported as a [`DeviceEvent::Problem`] on the stream, never an error.
pub(crate) fn start_devices(
    keys: &KeySettings,
    box_settings: BoxSettings,
    clock: Arc<dyn Clock>,
    plug_in: bool,
) -> Devices {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut tasks = Vec::new();

    let hotkeys = match HotkeyService::start() {
        Ok((svc, mut events)) => {
            if let Err(e) = svc.apply_settings(keys, plug_in) {
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
        start_wedge(keys, &clock, &tx, &mut tasks)
    } else {
        None
    };

    let scanner_box = if box_settings.enabled {
        match ScannerBox::start(box_settings, clock.clone()) {
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

    Devices {
        events: rx,
        hotkeys,
        wedge,
        scanner_box,
        tasks,
        tx,
        clock,
        plug_in,
    }
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
    clock: Arc<dyn Clock>,
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
            self.wedge = start_wedge(keys, &self.clock, &self.tx, &mut self.tasks);
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

/// Starts the keyboard-wedge listener and forwards its codes; one that cannot start is
/// reported on the stream.
fn start_wedge(
    keys: &KeySettings,
    clock: &Arc<dyn Clock>,
    tx: &mpsc::UnboundedSender<DeviceEvent>,
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> Option<Arc<WedgeListener>> {
    let options = ListenerOptions {
        detector: keys.wedge.clone(),
        display: None,
    };
    match WedgeListener::start(options, clock.clone()) {
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
