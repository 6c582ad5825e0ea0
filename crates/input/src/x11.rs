//! X11 plumbing shared by the listener and the key sender: connecting to a display and
//! the keyboard mapping (keycode ↔ keysym).

use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xproto::{ConnectionExt as _, Keycode};
use x11rb::rust_connection::RustConnection;

use crate::error::InputError;

/// Keysyms of the modifier keys we press or track.
pub(crate) mod keysym {
    /// Left Shift.
    pub const SHIFT_L: u32 = 0xffe1;
    /// Right Shift.
    pub const SHIFT_R: u32 = 0xffe2;
    /// Left Control.
    pub const CONTROL_L: u32 = 0xffe3;
    /// Left Alt.
    pub const ALT_L: u32 = 0xffe9;
    /// Left Super (Windows key).
    pub const SUPER_L: u32 = 0xffeb;
    /// Return.
    pub const RETURN: u32 = 0xff0d;
    /// Keypad Enter.
    pub const KP_ENTER: u32 = 0xff8d;
    /// Tab.
    pub const TAB: u32 = 0xff09;
    /// Keypad 0 (keypad digits follow).
    pub const KP_0: u32 = 0xffb0;

    /// Whether a keysym is a modifier or lock key (Shift, Control, Caps Lock, Meta, Alt,
    /// Super, Hyper, ISO level shifts, Num Lock, Mode switch).
    pub fn is_modifier(k: u32) -> bool {
        (0xffe1..=0xffee).contains(&k)
            || (0xfe01..=0xfe13).contains(&k)
            || k == 0xff7f
            || k == 0xff7e
    }
}

/// Connects to `display` (e.g. `":99"`), or to `$DISPLAY` when `None`.
pub(crate) fn connect(display: Option<&str>) -> Result<(RustConnection, usize), InputError> {
    RustConnection::connect(display).map_err(|e| {
        let name = display.map_or_else(
            || std::env::var("DISPLAY").unwrap_or_else(|_| "$DISPLAY (unset)".to_owned()),
            str::to_owned,
        );
        InputError::NoDisplay(format!("X11 display {name}: {e}"))
    })
}

/// Checks that the server has an extension.
pub(crate) fn require_extension(
    conn: &RustConnection,
    name: &'static str,
    why: &str,
) -> Result<(), InputError> {
    match conn.extension_information(name) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(InputError::Unsupported(format!(
            "the X server has no {name} extension, needed {why}"
        ))),
        Err(e) => Err(InputError::NoDisplay(e.to_string())),
    }
}

/// The server's keyboard mapping.
#[derive(Debug, Clone)]
pub(crate) struct Keymap {
    min_keycode: u8,
    per_keycode: usize,
    keysyms: Vec<u32>,
}

impl Keymap {
    /// Reads the mapping.
    pub(crate) fn load(conn: &RustConnection) -> Result<Keymap, InputError> {
        let setup = conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let reply = conn
            .get_keyboard_mapping(min, max - min + 1)
            .map_err(x11rb::errors::ReplyError::from)
            .and_then(x11rb::cookie::Cookie::reply)
            .map_err(|e| InputError::NoDisplay(format!("reading the keyboard mapping: {e}")))?;
        Ok(Keymap {
            min_keycode: min,
            per_keycode: usize::from(reply.keysyms_per_keycode).max(1),
            keysyms: reply.keysyms,
        })
    }

    /// The keysyms of a keycode (one per shift level; 0 where none).
    pub(crate) fn keysyms(&self, keycode: Keycode) -> &[u32] {
        let Some(index) = keycode.checked_sub(self.min_keycode) else {
            return &[];
        };
        let start = usize::from(index) * self.per_keycode;
        self.keysyms
            .get(start..start + self.per_keycode)
            .unwrap_or(&[])
    }

    /// A keycode producing `keysym`, preferring one where it is the first level (no
    /// Shift needed).
    pub(crate) fn keycode_of(&self, keysym: u32) -> Option<Keycode> {
        let count = self.keysyms.len() / self.per_keycode;
        let find = |level_ok: &dyn Fn(usize) -> bool| {
            (0..count).find_map(|i| {
                let row = &self.keysyms[i * self.per_keycode..(i + 1) * self.per_keycode];
                row.iter()
                    .enumerate()
                    .any(|(level, &k)| k == keysym && level_ok(level))
                    .then(|| self.min_keycode.checked_add(u8::try_from(i).ok()?))
                    .flatten()
            })
        };
        find(&|level| level == 0).or_else(|| find(&|_| true))
    }
}
