//! X11: XInput 2 raw key events on the root window.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xinput::{self, ConnectionExt as _, EventMask, XIEventMask};
use x11rb::protocol::xproto::{
    ClientMessageEvent, ConnectionExt as _, CreateWindowAux, EventMask as CoreEventMask,
    WindowClass,
};
use x11rb::rust_connection::RustConnection;

use super::{Pipeline, RawKey};
use crate::error::InputError;
use crate::x11::{self, Keymap, keysym};

/// The running listener thread.
pub(crate) struct Handle {
    conn: Arc<RustConnection>,
    wake_window: u32,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Handle {
    /// Stops the thread and waits for it.
    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the thread blocked in `wait_for_event` with a message to our own window.
        let event =
            ClientMessageEvent::new(32, self.wake_window, 1u32 /* PRIMARY */, [0u32; 5]);
        let sent = self
            .conn
            .send_event(false, self.wake_window, CoreEventMask::NO_EVENT, event)
            .is_ok()
            && self.conn.flush().is_ok();
        // If the message could not be sent, the connection is dead and the thread ends on
        // its own.
        if sent && let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Connects, selects raw key events and starts the thread.
pub(crate) fn start(display: Option<&str>, mut pipeline: Pipeline) -> Result<Handle, InputError> {
    let (conn, screen) = x11::connect(display)?;
    x11::require_extension(
        &conn,
        xinput::X11_EXTENSION_NAME,
        "to see keys typed into other programs",
    )?;
    let version = conn
        .xinput_xi_query_version(2, 2)
        .map_err(|e| InputError::NoDisplay(e.to_string()))?
        .reply()
        .map_err(|e| InputError::NoDisplay(e.to_string()))?;
    if version.major_version < 2 {
        return Err(InputError::Unsupported(format!(
            "the X server speaks XInput {}.{}; raw key events need 2.0 or later",
            version.major_version, version.minor_version
        )));
    }
    let root = conn.setup().roots[screen].root;
    let mask = EventMask {
        deviceid: u16::from(bool::from(xinput::Device::ALL_MASTER)),
        mask: vec![XIEventMask::RAW_KEY_PRESS | XIEventMask::RAW_KEY_RELEASE],
    };
    conn.xinput_xi_select_events(root, &[mask])
        .map_err(|e| InputError::NoDisplay(e.to_string()))?
        .check()
        .map_err(|e| InputError::Unsupported(format!("selecting raw key events: {e}")))?;
    let wake_window = conn
        .generate_id()
        .map_err(|e| InputError::NoDisplay(e.to_string()))?;
    conn.create_window(
        0,
        wake_window,
        root,
        0,
        0,
        1,
        1,
        0,
        WindowClass::INPUT_ONLY,
        0,
        &CreateWindowAux::new(),
    )
    .map_err(|e| InputError::NoDisplay(e.to_string()))?
    .check()
    .map_err(|e| InputError::Os(format!("creating the listener's window: {e}")))?;
    let mut keymap = Keymap::load(&conn)?;
    let conn = Arc::new(conn);
    let stop = Arc::new(AtomicBool::new(false));

    let thread_conn = Arc::clone(&conn);
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("cloudpos-key-listener".into())
        .spawn(move || {
            tracing::debug!("X11 key listener running");
            loop {
                let event = match thread_conn.wait_for_event() {
                    Ok(event) => event,
                    Err(e) => {
                        tracing::warn!("X11 key listener stopped: the connection failed: {e}");
                        break;
                    }
                };
                if thread_stop.load(Ordering::SeqCst) {
                    break;
                }
                let keep_going = match event {
                    Event::XinputRawKeyPress(e) => {
                        key(&mut pipeline, &keymap, e.detail, true, e.time)
                    }
                    Event::XinputRawKeyRelease(e) => {
                        key(&mut pipeline, &keymap, e.detail, false, e.time)
                    }
                    Event::MappingNotify(_) => {
                        match Keymap::load(&thread_conn) {
                            Ok(k) => keymap = k,
                            Err(e) => tracing::warn!("X11 key listener: {e}"),
                        }
                        true
                    }
                    _ => true,
                };
                if !keep_going {
                    break;
                }
            }
        })
        .map_err(|e| InputError::Os(format!("starting the key listener thread: {e}")))?;
    Ok(Handle {
        conn,
        wake_window,
        stop,
        thread: Some(thread),
    })
}

fn key(pipeline: &mut Pipeline, keymap: &Keymap, detail: u32, pressed: bool, time: u32) -> bool {
    let Ok(keycode) = u8::try_from(detail) else {
        return true;
    };
    pipeline.key(
        u32::from(keycode),
        classify(keymap.keysyms(keycode)),
        pressed,
        time,
    )
}

/// Classifies a key by its keysyms (level 0 = plain, level 1 = with Shift).
fn classify(syms: &[u32]) -> RawKey {
    let first = syms.first().copied().unwrap_or(0);
    // Keypad digits: whatever Num Lock says, a scanner typing on the keypad means digits.
    if let Some(&kp) = syms
        .iter()
        .find(|&&k| (keysym::KP_0..keysym::KP_0 + 10).contains(&k))
    {
        let digit = char::from_digit(kp - keysym::KP_0, 10).unwrap_or('0');
        return RawKey::Char {
            plain: digit,
            shifted: digit,
        };
    }
    let ascii = |k: u32| {
        (0x20..=0x7e)
            .contains(&k)
            .then(|| char::from_u32(k))
            .flatten()
    };
    match first {
        keysym::SHIFT_L | keysym::SHIFT_R => RawKey::Shift,
        k if keysym::is_modifier(k) => RawKey::Modifier,
        keysym::RETURN | keysym::KP_ENTER => RawKey::Enter,
        keysym::TAB => RawKey::Tab,
        k => match ascii(k) {
            Some(plain) => {
                let shifted = syms
                    .get(1)
                    .copied()
                    .and_then(ascii)
                    .unwrap_or_else(|| plain.to_ascii_uppercase());
                RawKey::Char { plain, shifted }
            }
            None => RawKey::Other(k),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(
            classify(&[0x61, 0x41]),
            RawKey::Char {
                plain: 'a',
                shifted: 'A'
            }
        );
        assert_eq!(
            classify(&[0x31, 0x21]),
            RawKey::Char {
                plain: '1',
                shifted: '!'
            }
        );
        assert_eq!(
            classify(&[0xff9c, 0xffb1]),
            RawKey::Char {
                plain: '1',
                shifted: '1'
            }
        );
        assert_eq!(classify(&[0xff0d]), RawKey::Enter);
        assert_eq!(classify(&[0xff8d]), RawKey::Enter);
        assert_eq!(classify(&[0xffe1]), RawKey::Shift);
        assert_eq!(classify(&[0xffe3]), RawKey::Modifier);
        assert_eq!(classify(&[0xff7f]), RawKey::Modifier);
        assert_eq!(classify(&[0xff08]), RawKey::Other(0xff08));
        assert_eq!(classify(&[]), RawKey::Other(0));
    }
}
