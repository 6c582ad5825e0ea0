//! Helpers shared by the X11 integration tests: a private Xvfb server, a window that
//! records the keys it receives, XTEST key presses and a fixed clock.
//!
//! Nothing here reads or changes the test process's `DISPLAY`: every connection names its
//! display explicitly, and child processes get `DISPLAY` in their own environment.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cloudpos_domain::ports::Clock;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_input::{Chord, Key, Modifiers};
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    ConnectionExt as _, CreateWindowAux, EventMask, InputFocus, KeyButMask, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;

/// A private X server (`Xvfb`) on a free display number, killed on drop.
pub struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts Xvfb and waits until it accepts connections. Panics with a clear message if
    /// Xvfb is not installed or does not start.
    pub fn start() -> Xvfb {
        // `-displayfd 1`: Xvfb picks a free display number itself (no race with other
        // servers on the machine) and writes it to stdout once it is ready.
        let spawned = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "640x480x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "Xvfb is not installed: the X11 tests start their own virtual X server. \
                 Install it with `apt-get install -y xvfb` (Debian/Ubuntu)."
            ),
            Err(e) => panic!("could not start Xvfb: {e}"),
        };
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let number = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if !line.trim().is_empty() => line.trim().to_owned(),
            _ => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!("Xvfb did not report a display within 20 s (exit status {status:?})");
            }
        };
        let display = format!(":{number}");
        let xvfb = Xvfb { child, display };
        // The server said it is ready; still confirm that it accepts a client.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if RustConnection::connect(Some(&xvfb.display)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "Xvfb {} does not accept connections",
                xvfb.display
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        xvfb
    }

    /// The display name, e.g. `":7"`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// A new client connection.
    pub fn connect(&self) -> (RustConnection, usize) {
        RustConnection::connect(Some(&self.display)).expect("connect to Xvfb")
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM lets Xvfb remove its socket and lock file; SIGKILL if it lingers.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mapped, focused window that records the key presses it receives.
pub struct KeyWindow {
    conn: RustConnection,
    window: Window,
    min_keycode: u8,
    per_keycode: usize,
    keysyms: Vec<u32>,
}

impl KeyWindow {
    /// Opens the window on `xvfb` and gives it the keyboard focus.
    pub fn open(xvfb: &Xvfb) -> KeyWindow {
        let (conn, screen) = xvfb.connect();
        let root = conn.setup().roots[screen].root;
        let window = conn.generate_id().unwrap();
        conn.create_window(
            0,
            window,
            root,
            10,
            10,
            200,
            100,
            0,
            WindowClass::INPUT_OUTPUT,
            0,
            &CreateWindowAux::new().event_mask(
                EventMask::KEY_PRESS | EventMask::KEY_RELEASE | EventMask::STRUCTURE_NOTIFY,
            ),
        )
        .unwrap()
        .check()
        .unwrap();
        conn.map_window(window).unwrap();
        conn.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match conn.poll_for_event().unwrap() {
                Some(Event::MapNotify(e)) if e.window == window => break,
                Some(_) => {}
                None => {
                    assert!(
                        Instant::now() < deadline,
                        "the test window was never mapped"
                    );
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        conn.set_input_focus(InputFocus::PARENT, window, x11rb::CURRENT_TIME)
            .unwrap()
            .check()
            .unwrap();
        let focus = conn.get_input_focus().unwrap().reply().unwrap();
        assert_eq!(focus.focus, window, "the test window must have the focus");
        let setup = conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let map = conn
            .get_keyboard_mapping(min, max - min + 1)
            .unwrap()
            .reply()
            .unwrap();
        KeyWindow {
            conn,
            window,
            min_keycode: min,
            per_keycode: usize::from(map.keysyms_per_keycode),
            keysyms: map.keysyms,
        }
    }

    fn keysyms_of(&self, keycode: u8) -> &[u32] {
        let start = usize::from(keycode - self.min_keycode) * self.per_keycode;
        &self.keysyms[start..start + self.per_keycode]
    }

    /// Waits until `count` non-modifier keys were pressed in the window (or `timeout`), then
    /// a little longer to catch extra keys, and returns them as chords (modifiers from the
    /// event state, key from the keycode's keysyms).
    pub fn collect_chords(&self, count: usize, timeout: Duration) -> Vec<Chord> {
        let deadline = Instant::now() + timeout;
        let mut chords = Vec::new();
        let mut settle: Option<Instant> = None;
        loop {
            match self.conn.poll_for_event().unwrap() {
                Some(Event::KeyPress(e)) if e.event == self.window => {
                    let syms = self.keysyms_of(e.detail);
                    let first = syms.first().copied().unwrap_or(0);
                    if (0xffe1..=0xffee).contains(&first) {
                        continue; // a modifier key itself
                    }
                    // Keypad keys: the keypad digit rather than the navigation keysym.
                    let key = syms
                        .iter()
                        .find(|&&k| (0xffb0..=0xffb9).contains(&k))
                        .map_or_else(|| Key::from_x11_keysym(first), |&k| Key::from_x11_keysym(k))
                        .unwrap_or_else(|| {
                            panic!("keycode {} ({syms:x?}) is not one of our keys", e.detail)
                        });
                    let state = e.state;
                    let modifiers = Modifiers {
                        ctrl: state.contains(KeyButMask::CONTROL),
                        alt: state.contains(KeyButMask::MOD1),
                        shift: state.contains(KeyButMask::SHIFT),
                        win: state.contains(KeyButMask::MOD4),
                    };
                    chords.push(Chord::new(modifiers, key));
                    if chords.len() >= count && settle.is_none() {
                        settle = Some(Instant::now() + Duration::from_millis(300));
                    }
                }
                Some(_) => {}
                None => {
                    if settle.is_some_and(|s| Instant::now() >= s) || Instant::now() >= deadline {
                        return chords;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
}

/// A clock fixed at one instant; sleeping really sleeps.
pub struct FixedClock;

#[async_trait]
impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(1_763_800_000_000)
    }
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Parses chords (panics on a typo in the test).
pub fn chords(text: &str) -> Vec<Chord> {
    cloudpos_input::KeySequence::parse(text)
        .expect("test chords")
        .0
}
