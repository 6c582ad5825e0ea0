//! Global hotkeys (全局快捷键) over `global-hotkey` 0.9: `XGrabKey` on X11, `RegisterHotKey`
//! on Windows.
//!
//! [`HotkeyService::start`] spawns one thread that owns the platform's hotkey manager (on
//! Windows, `RegisterHotKey` needs the thread that pumps the manager's window messages, so
//! every call goes through that thread; on X11 the same thread just serves commands).
//! Presses arrive on a tokio channel as [`HotkeyEvent`]s, whichever thread the platform
//! reports them on.
//!
//! [`HotkeyService::apply`] replaces the whole set atomically: when one chord cannot be
//! registered — typically [`HotkeyError::Taken`], a combination another program already
//! holds — the previous set is restored and the error names the chord and its action.
//! On X11 "taken" means another client holds a passive grab on it (desktop shortcuts,
//! another CloudPOS); on Windows another program registered it.
//!
//! `global-hotkey` reads `$DISPLAY` on X11; there is no way to pass a display name. It
//! delivers events through one process-wide handler, which this module installs once and
//! routes by hotkey id, so several services may coexist (tests) as long as they register
//! different chords.

use std::collections::HashMap;
use std::sync::mpsc as std_mpsc;
use std::sync::{LazyLock, Mutex, Once};
use std::thread::JoinHandle;

use global_hotkey::hotkey::{HotKey, Modifiers as HkModifiers};
use global_hotkey::{GlobalHotKeyEvent, GlobalHotKeyManager, HotKeyState};
use tokio::sync::mpsc;

use crate::notation::Chord;
use crate::settings::{HotkeyAction, KeySettings, KeySettingsError, validate_hotkeys};

/// A hotkey was pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HotkeyEvent {
    /// What to do.
    pub action: HotkeyAction,
    /// The chord pressed.
    pub chord: Chord,
}

/// Why hotkeys could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HotkeyError {
    /// No display (X11): `DISPLAY` unset or the X server unreachable.
    #[error("global hotkeys need a display: {0}")]
    NoDisplay(String),
    /// Another program already uses the combination.
    #[error(
        "{chord} ({action}) is already used by another program; close that program or choose another key"
    )]
    Taken {
        /// The action it was meant for.
        action: HotkeyAction,
        /// The chord.
        chord: Chord,
    },
    /// The platform cannot register this key (no such key on the keyboard map, …).
    #[error("{chord} ({action}) cannot be a global hotkey here: {reason}")]
    Unsupported {
        /// The action it was meant for.
        action: HotkeyAction,
        /// The chord.
        chord: Chord,
        /// The platform's words.
        reason: String,
    },
    /// The set itself is wrong (duplicates, bare typing keys).
    #[error(transparent)]
    Invalid(#[from] KeySettingsError),
    /// Another operating-system failure.
    #[error("hotkey registration failed: {0}")]
    Os(String),
    /// The service's thread has stopped.
    #[error("the hotkey service has stopped")]
    Stopped,
}

/// Where the process-wide handler sends a press.
struct Route {
    action: HotkeyAction,
    chord: Chord,
    tx: mpsc::UnboundedSender<HotkeyEvent>,
}

static ROUTES: LazyLock<Mutex<HashMap<u32, Route>>> = LazyLock::new(|| Mutex::new(HashMap::new()));
static HANDLER: Once = Once::new();

fn install_handler() {
    HANDLER.call_once(|| {
        GlobalHotKeyEvent::set_event_handler(Some(|event: GlobalHotKeyEvent| {
            if event.state != HotKeyState::Pressed {
                return;
            }
            let Ok(routes) = ROUTES.lock() else { return };
            if let Some(route) = routes.get(&event.id) {
                tracing::debug!(chord = %route.chord, action = ?route.action, "hotkey pressed");
                let _ = route.tx.send(HotkeyEvent {
                    action: route.action,
                    chord: route.chord,
                });
            }
        }));
    });
}

fn to_hotkey(chord: &Chord) -> HotKey {
    let m = chord.modifiers;
    let mut mods = HkModifiers::empty();
    for (on, flag) in [
        (m.ctrl, HkModifiers::CONTROL),
        (m.alt, HkModifiers::ALT),
        (m.shift, HkModifiers::SHIFT),
        (m.win, HkModifiers::META),
    ] {
        if on {
            mods |= flag;
        }
    }
    HotKey::new((!mods.is_empty()).then_some(mods), chord.key.hotkey_code())
}

fn map_error(e: global_hotkey::Error, action: HotkeyAction, chord: Chord) -> HotkeyError {
    match e {
        global_hotkey::Error::AlreadyRegistered(_) => HotkeyError::Taken { action, chord },
        global_hotkey::Error::FailedToRegister(reason)
            if reason.starts_with("Unknown") || reason.starts_with("Unable to find keycode") =>
        {
            HotkeyError::Unsupported {
                action,
                chord,
                reason,
            }
        }
        other => HotkeyError::Os(other.to_string()),
    }
}

enum Command {
    Apply(
        Vec<(HotkeyAction, Chord)>,
        std_mpsc::SyncSender<Result<(), HotkeyError>>,
    ),
    Stop,
}

#[derive(Clone, Copy)]
struct Registered {
    action: HotkeyAction,
    chord: Chord,
    hotkey: HotKey,
}

/// The state owned by the service thread.
struct Registrar {
    manager: GlobalHotKeyManager,
    current: Vec<Registered>,
    events: mpsc::UnboundedSender<HotkeyEvent>,
}

impl Registrar {
    fn register(&self, action: HotkeyAction, chord: Chord) -> Result<Registered, HotkeyError> {
        let hotkey = to_hotkey(&chord);
        self.manager
            .register(hotkey)
            .map_err(|e| map_error(e, action, chord))?;
        if let Ok(mut routes) = ROUTES.lock() {
            routes.insert(
                hotkey.id(),
                Route {
                    action,
                    chord,
                    tx: self.events.clone(),
                },
            );
        }
        Ok(Registered {
            action,
            chord,
            hotkey,
        })
    }

    fn unregister(&self, list: &[Registered]) {
        for r in list {
            if let Err(e) = self.manager.unregister(r.hotkey) {
                tracing::warn!(chord = %r.chord, "unregistering a hotkey failed: {e}");
            }
            if let Ok(mut routes) = ROUTES.lock() {
                routes.remove(&r.hotkey.id());
            }
        }
    }

    fn apply(&mut self, new: &[(HotkeyAction, Chord)]) -> Result<(), HotkeyError> {
        validate_hotkeys(new)?;
        let old = std::mem::take(&mut self.current);
        self.unregister(&old);
        let mut done = Vec::new();
        for &(action, chord) in new {
            match self.register(action, chord) {
                Ok(r) => done.push(r),
                Err(e) => {
                    self.unregister(&done);
                    for r in &old {
                        match self.register(r.action, r.chord) {
                            Ok(r) => self.current.push(r),
                            Err(e) => {
                                tracing::warn!("restoring the previous hotkey {}: {e}", r.chord);
                            }
                        }
                    }
                    return Err(e);
                }
            }
        }
        self.current = done;
        if self.current.is_empty() && !old.is_empty() {
            // `global-hotkey` queues X11 ungrabs without flushing them; they would only reach
            // the server with the next registration. With nothing left to register, replace
            // the manager: closing its connection releases every grab at once.
            match GlobalHotKeyManager::new() {
                Ok(fresh) => self.manager = fresh,
                Err(e) => tracing::warn!("restarting the hotkey manager: {e}"),
            }
        }
        Ok(())
    }
}

/// Registers the configured hotkeys and reports presses. Unregisters everything when dropped.
pub struct HotkeyService {
    commands: std_mpsc::Sender<Command>,
    waker: platform::Waker,
    current: Mutex<Vec<(HotkeyAction, Chord)>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for HotkeyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotkeyService")
            .field("bindings", &self.bindings())
            .finish_non_exhaustive()
    }
}

impl HotkeyService {
    /// Starts the service with no hotkey registered; presses arrive on the returned channel.
    ///
    /// # Errors
    /// [`HotkeyError::NoDisplay`] when there is no X display (`$DISPLAY`), or an OS error.
    pub fn start() -> Result<(HotkeyService, mpsc::UnboundedReceiver<HotkeyEvent>), HotkeyError> {
        platform::check_display()?;
        install_handler();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (commands_tx, commands_rx) = std_mpsc::channel::<Command>();
        let (ready_tx, ready_rx) = std_mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("cloudpos-hotkeys".into())
            .spawn(move || {
                platform::prepare_thread();
                let manager = match GlobalHotKeyManager::new() {
                    Ok(m) => m,
                    Err(e) => {
                        let _ = ready_tx.send(Err(HotkeyError::Os(e.to_string())));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(platform::Waker::for_current_thread()));
                let mut registrar = Registrar {
                    manager,
                    current: Vec::new(),
                    events: events_tx,
                };
                platform::serve(&commands_rx, |command| match command {
                    Command::Apply(bindings, reply) => {
                        let _ = reply.send(registrar.apply(&bindings));
                        true
                    }
                    Command::Stop => false,
                });
                let current = std::mem::take(&mut registrar.current);
                registrar.unregister(&current);
            })
            .map_err(|e| HotkeyError::Os(format!("starting the hotkey thread: {e}")))?;
        let waker = ready_rx.recv().map_err(|_| HotkeyError::Stopped)??;
        let service = HotkeyService {
            commands: commands_tx,
            waker,
            current: Mutex::new(Vec::new()),
            thread: Some(thread),
        };
        Ok((service, events_rx))
    }

    /// Replaces the registered hotkeys with `bindings` (all or nothing: on error the previous
    /// set stays registered).
    ///
    /// # Errors
    /// The first chord that could not be registered, or an invalid set.
    pub fn apply(&self, bindings: &[(HotkeyAction, Chord)]) -> Result<(), HotkeyError> {
        let (reply_tx, reply_rx) = std_mpsc::sync_channel(1);
        self.commands
            .send(Command::Apply(bindings.to_vec(), reply_tx))
            .map_err(|_| HotkeyError::Stopped)?;
        self.waker.wake();
        let result = reply_rx.recv().map_err(|_| HotkeyError::Stopped)?;
        if result.is_ok()
            && let Ok(mut current) = self.current.lock()
        {
            *current = bindings.to_vec();
        }
        result
    }

    /// Registers the enabled hotkeys of the settings for the mode (see
    /// [`KeySettings::active_hotkeys`]).
    ///
    /// # Errors
    /// As [`HotkeyService::apply`].
    pub fn apply_settings(
        &self,
        settings: &KeySettings,
        plug_in_mode: bool,
    ) -> Result<(), HotkeyError> {
        self.apply(&settings.active_hotkeys(plug_in_mode))
    }

    /// Unregisters every hotkey.
    ///
    /// # Errors
    /// [`HotkeyError::Stopped`].
    pub fn clear(&self) -> Result<(), HotkeyError> {
        self.apply(&[])
    }

    /// The hotkeys registered now.
    #[must_use]
    pub fn bindings(&self) -> Vec<(HotkeyAction, Chord)> {
        self.current.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl Drop for HotkeyService {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        self.waker.wake();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// X11: the thread blocks on the command channel; `global-hotkey` runs its own X thread.
#[cfg(not(windows))]
mod platform {
    use std::sync::mpsc::Receiver;

    use super::{Command, HotkeyError};

    /// Nothing to wake: the thread blocks on the channel itself.
    pub(super) struct Waker;

    impl Waker {
        pub(super) fn for_current_thread() -> Waker {
            Waker
        }
        pub(super) fn wake(&self) {}
    }

    /// `global-hotkey` silently does nothing without a display: check first.
    pub(super) fn check_display() -> Result<(), HotkeyError> {
        crate::x11::connect(None)
            .map(drop)
            .map_err(|e| HotkeyError::NoDisplay(e.to_string()))
    }

    pub(super) fn prepare_thread() {}

    pub(super) fn serve(commands: &Receiver<Command>, mut handle: impl FnMut(Command) -> bool) {
        while let Ok(command) = commands.recv() {
            if !handle(command) {
                break;
            }
        }
    }
}

/// Windows: the thread pumps messages (`WM_HOTKEY` for the manager's window) and is woken
/// for commands with a thread message.
#[cfg(windows)]
mod platform {
    use std::sync::mpsc::Receiver;

    use super::{Command, HotkeyError};
    use crate::win;

    /// Posts a wake-up message to the service thread.
    pub(super) struct Waker(u32);

    impl Waker {
        pub(super) fn for_current_thread() -> Waker {
            Waker(win::current_thread_id())
        }
        pub(super) fn wake(&self) {
            win::post_wake(self.0);
        }
    }

    pub(super) fn check_display() -> Result<(), HotkeyError> {
        Ok(())
    }

    pub(super) fn prepare_thread() {
        win::ensure_message_queue();
    }

    pub(super) fn serve(commands: &Receiver<Command>, mut handle: impl FnMut(Command) -> bool) {
        win::message_loop(|| {
            while let Ok(command) = commands.try_recv() {
                if !handle(command) {
                    return false;
                }
            }
            true
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chords_map_to_hotkeys() {
        let a = to_hotkey(&Chord::parse("Ctrl+Shift+P").unwrap());
        let b = HotKey::new(
            Some(HkModifiers::CONTROL | HkModifiers::SHIFT),
            global_hotkey::hotkey::Code::KeyP,
        );
        assert_eq!(a, b);
        assert_eq!(
            to_hotkey(&Chord::parse("~").unwrap()),
            HotKey::new(None, global_hotkey::hotkey::Code::Backquote)
        );
        assert_ne!(
            to_hotkey(&Chord::parse("Ctrl+E").unwrap()).id(),
            to_hotkey(&Chord::parse("E").unwrap()).id()
        );
    }
}
