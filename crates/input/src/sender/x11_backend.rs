//! X11: XTEST fake key events.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, KEY_PRESS_EVENT, KEY_RELEASE_EVENT, Window};
use x11rb::protocol::xtest::{self, ConnectionExt as _};
use x11rb::rust_connection::RustConnection;

use crate::error::InputError;
use crate::notation::Chord;
use crate::x11::{self, Keymap, keysym};

struct Session {
    conn: RustConnection,
    root: Window,
    keymap: Keymap,
}

impl Session {
    fn open(display: Option<&str>) -> Result<Session, InputError> {
        let (conn, screen) = x11::connect(display)?;
        x11::require_extension(
            &conn,
            xtest::X11_EXTENSION_NAME,
            "to press keys in the host POS",
        )?;
        let root = conn.setup().roots[screen].root;
        let keymap = Keymap::load(&conn)?;
        Ok(Session { conn, root, keymap })
    }

    fn keycode(&self, keysym: u32, what: &str) -> Result<u8, InputError> {
        self.keymap
            .keycode_of(keysym)
            .ok_or_else(|| InputError::Unsupported(format!("the X keyboard has no key for {what}")))
    }

    fn press(&self, chord: &Chord) -> Result<(), Failure> {
        let key = self
            .keycode(chord.key.x11_keysym(), chord.key.name())
            .map_err(Failure::Key)?;
        let m = chord.modifiers;
        let mut mods = Vec::new();
        for (on, sym, name) in [
            (m.ctrl, keysym::CONTROL_L, "Ctrl"),
            (m.alt, keysym::ALT_L, "Alt"),
            (m.shift, keysym::SHIFT_L, "Shift"),
            (m.win, keysym::SUPER_L, "Win"),
        ] {
            if on {
                mods.push(self.keycode(sym, name).map_err(Failure::Key)?);
            }
        }
        let fake = |kind: u8, code: u8| {
            self.conn
                .xtest_fake_input(kind, code, 0, self.root, 0, 0, 0)
                .map(drop)
                .map_err(|e| Failure::Connection(e.to_string()))
        };
        for &code in &mods {
            fake(KEY_PRESS_EVENT, code)?;
        }
        fake(KEY_PRESS_EVENT, key)?;
        fake(KEY_RELEASE_EVENT, key)?;
        for &code in mods.iter().rev() {
            fake(KEY_RELEASE_EVENT, code)?;
        }
        // A round trip: the server has processed the keys when it answers.
        self.conn
            .get_input_focus()
            .map_err(|e| Failure::Connection(e.to_string()))?
            .reply()
            .map_err(|e| Failure::Connection(e.to_string()))?;
        Ok(())
    }
}

enum Failure {
    /// The chord cannot be typed on this keyboard.
    Key(InputError),
    /// The connection broke; reconnecting may help.
    Connection(String),
}

/// Presses keys through XTEST; reconnects once if the connection broke.
pub(crate) struct Injector {
    display: Option<String>,
    session: Option<Session>,
}

impl Injector {
    pub(crate) fn new(display: Option<String>) -> Result<Injector, InputError> {
        let session = Session::open(display.as_deref())?;
        Ok(Injector {
            display,
            session: Some(session),
        })
    }

    pub(crate) fn press(&mut self, chord: &Chord) -> Result<(), InputError> {
        for attempt in 0..2 {
            if self.session.is_none() {
                self.session = Some(Session::open(self.display.as_deref())?);
            }
            let Some(session) = &self.session else {
                continue;
            };
            match session.press(chord) {
                Ok(()) => return Ok(()),
                Err(Failure::Key(e)) => return Err(e),
                Err(Failure::Connection(e)) => {
                    self.session = None;
                    if attempt == 1 {
                        return Err(InputError::NoDisplay(format!("sending {chord}: {e}")));
                    }
                    tracing::warn!("X11 connection lost while sending {chord}: {e}; reconnecting");
                }
            }
        }
        Err(InputError::NoDisplay(format!(
            "sending {chord}: no connection"
        )))
    }
}
