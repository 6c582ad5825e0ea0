//! The global key listener: sees every key press on the machine (while the cashier scans
//! into the host POS, our window unfocused), feeds the [`WedgeDetector`] and yields the
//! scanned codes as a [`CodeSource`].
//!
//! - **X11**: XInput 2 raw key events (`XI_RawKeyPress`/`XI_RawKeyRelease`) selected on the
//!   root window — pure Rust over x11rb, no grab, delivered whatever window has the focus
//!   and even while another client grabs the keyboard (XI 2.1+). Works under Xvfb, including
//!   keys injected with XTEST. Wayland sessions are not supported (only X11 clients' keys
//!   would be seen through Xwayland).
//! - **Windows**: a low-level keyboard hook (`WH_KEYBOARD_LL`) on a thread of its own with
//!   a message loop.
//!
//! The listener only *observes*: a scanned code also reaches the focused window of the host
//! POS as ordinary keystrokes (the scanner types them there), followed by Enter. The host
//! usually shows it in whatever field has the focus; configure the "before window" keys
//! (e.g. Esc) to clear it if that matters. Suppressing the keys is not implemented: it would
//! need holding back every fast key until the burst is decided and replaying human keys,
//! which reorders typing against the host.
//!
//! While our own window has the focus, the GUI reads the scanner itself (through its own
//! text field and a [`WedgeDetector`]); call [`WedgeListener::set_paused`] so the code is not
//! reported twice.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use cloudpos_domain::ports::{Clock, CodeOrigin, CodeSource, ScannedCode};
use tokio::sync::{Mutex, mpsc};

use crate::detector::{Detected, DetectorConfig, KeyStroke, WedgeDetector, WedgeKey};
use crate::error::InputError;

#[cfg(windows)]
mod windows_backend;
#[cfg(not(windows))]
mod x11_backend;

#[cfg(windows)]
use windows_backend as backend;
#[cfg(not(windows))]
use x11_backend as backend;

/// How to start the listener.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListenerOptions {
    /// Detection thresholds.
    pub detector: DetectorConfig,
    /// The X11 display to listen on (`":0"`); `None` uses `$DISPLAY`. Ignored on Windows.
    pub display: Option<String>,
}

/// A key as the platform layer classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawKey {
    /// Types `plain`, or `shifted` with Shift held.
    Char {
        /// Without Shift.
        plain: char,
        /// With Shift.
        shifted: char,
    },
    /// Enter or keypad Enter.
    Enter,
    /// Tab.
    Tab,
    /// A Shift key (tracked for upper-case letters).
    Shift,
    /// Another modifier or lock key (ignored).
    Modifier,
    /// Anything else (the platform's key code).
    Other(u32),
}

/// Classifies a Windows virtual-key code (US layout letters and digits are layout-independent
/// virtual keys; keypad digits count as digits whatever Num Lock says).
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn classify_windows_vk(vk: u32) -> RawKey {
    let ch = |c: u32| char::from_u32(c).unwrap_or('?');
    match vk {
        0x30..=0x39 => RawKey::Char {
            plain: ch(vk),
            shifted: ch(vk),
        },
        0x41..=0x5a => RawKey::Char {
            plain: ch(vk + 0x20),
            shifted: ch(vk),
        },
        0x60..=0x69 => RawKey::Char {
            plain: ch(vk - 0x30),
            shifted: ch(vk - 0x30),
        },
        0x0d => RawKey::Enter,
        0x09 => RawKey::Tab,
        0x10 | 0xa0 | 0xa1 => RawKey::Shift,
        // Ctrl, Alt, left/right variants, Win keys, Caps Lock, Num Lock, Scroll Lock.
        0x11 | 0x12 | 0xa2..=0xa5 | 0x5b | 0x5c | 0x14 | 0x90 | 0x91 => RawKey::Modifier,
        other => RawKey::Other(other),
    }
}

/// Turns a platform's 32-bit millisecond clock (X server time, `GetTickCount`) into a
/// monotonic duration, across wrap-around.
#[derive(Debug, Default)]
struct MillisTimeline {
    last: Option<u32>,
    total: u64,
}

impl MillisTimeline {
    fn advance(&mut self, ms: u32) -> Duration {
        if let Some(last) = self.last {
            let delta = ms.wrapping_sub(last);
            // A stamp slightly earlier than the previous one wraps to a huge delta: count 0.
            if delta < 1 << 31 {
                self.total += u64::from(delta);
                self.last = Some(ms);
            }
        } else {
            self.last = Some(ms);
        }
        Duration::from_millis(self.total)
    }
}

/// The platform-independent part: repeat filtering, Shift, pausing, detection, delivery.
pub(crate) struct Pipeline {
    detector: WedgeDetector,
    clock: Arc<dyn Clock>,
    tx: mpsc::UnboundedSender<ScannedCode>,
    paused: Arc<AtomicBool>,
    down: HashSet<u32>,
    shifts: HashSet<u32>,
    time: MillisTimeline,
}

impl Pipeline {
    fn new(
        config: DetectorConfig,
        clock: Arc<dyn Clock>,
        tx: mpsc::UnboundedSender<ScannedCode>,
        paused: Arc<AtomicBool>,
    ) -> Pipeline {
        Pipeline {
            detector: WedgeDetector::new(config),
            clock,
            tx,
            paused,
            down: HashSet::new(),
            shifts: HashSet::new(),
            time: MillisTimeline::default(),
        }
    }

    /// Handles one key event. `id` identifies the physical key (keycode, virtual key);
    /// `time_ms` is the platform's event time. Returns `false` once nobody listens any more.
    pub(crate) fn key(&mut self, id: u32, raw: RawKey, pressed: bool, time_ms: u32) -> bool {
        let at = self.time.advance(time_ms);
        if !pressed {
            self.down.remove(&id);
            self.shifts.remove(&id);
            return !self.tx.is_closed();
        }
        if !self.down.insert(id) {
            // Auto-repeat of a held key: a person holding a digit down is not a scanner.
            return !self.tx.is_closed();
        }
        let key = match raw {
            RawKey::Shift => {
                self.shifts.insert(id);
                return !self.tx.is_closed();
            }
            RawKey::Modifier => return !self.tx.is_closed(),
            RawKey::Char { plain, shifted } => WedgeKey::Char(if self.shifts.is_empty() {
                plain
            } else {
                shifted
            }),
            RawKey::Enter => WedgeKey::Enter,
            RawKey::Tab => WedgeKey::Tab,
            RawKey::Other(code) => WedgeKey::Other(code),
        };
        if self.paused.load(Ordering::Relaxed) {
            self.detector.reset();
            return !self.tx.is_closed();
        }
        for detected in self.detector.feed(KeyStroke { key, at }) {
            if let Detected::Code(burst) = detected {
                tracing::info!(len = burst.text.len(), "wedge scanner code detected");
                let code = ScannedCode {
                    text: burst.text,
                    origin: CodeOrigin::Wedge,
                    at: self.clock.now(),
                };
                if self.tx.send(code).is_err() {
                    return false;
                }
            }
        }
        true
    }
}

/// The global key listener; a [`CodeSource`] of wedge-scanned codes. Stops when dropped.
pub struct WedgeListener {
    codes: Mutex<mpsc::UnboundedReceiver<ScannedCode>>,
    paused: Arc<AtomicBool>,
    handle: Option<backend::Handle>,
}

impl std::fmt::Debug for WedgeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WedgeListener")
            .field("paused", &self.is_paused())
            .field("running", &self.handle.is_some())
            .finish_non_exhaustive()
    }
}

impl WedgeListener {
    /// Starts listening. `clock` stamps the codes.
    ///
    /// # Errors
    /// No display, no XInput 2 (X11), or the hook could not be installed (Windows).
    pub fn start(
        options: ListenerOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<WedgeListener, InputError> {
        options
            .detector
            .validate()
            .map_err(|e| InputError::Unsupported(e.to_string()))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let paused = Arc::new(AtomicBool::new(false));
        let pipeline = Pipeline::new(options.detector, clock, tx, Arc::clone(&paused));
        let handle = backend::start(options.display.as_deref(), pipeline)?;
        Ok(WedgeListener {
            codes: Mutex::new(rx),
            paused,
            handle: Some(handle),
        })
    }

    /// Pauses (`true`) or resumes detection, e.g. while our own window has the focus.
    /// Keys seen while paused are dropped.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
    }

    /// Whether detection is paused.
    #[must_use]
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Stops listening; [`CodeSource::next_code`] then returns the codes already detected,
    /// then `None`.
    pub fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.stop();
        }
    }
}

impl Drop for WedgeListener {
    fn drop(&mut self) {
        self.stop();
    }
}

#[async_trait]
impl CodeSource for WedgeListener {
    async fn next_code(&self) -> Option<ScannedCode> {
        self.codes.lock().await.recv().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudpos_domain::timestamp::Timestamp;

    struct FixedClock;

    #[async_trait]
    impl Clock for FixedClock {
        fn now(&self) -> Timestamp {
            Timestamp::from_unix_millis(1_700_000_000_000)
        }
        async fn sleep(&self, _duration: Duration) {}
    }

    fn pipeline() -> (
        Pipeline,
        mpsc::UnboundedReceiver<ScannedCode>,
        Arc<AtomicBool>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        let paused = Arc::new(AtomicBool::new(false));
        (
            Pipeline::new(
                DetectorConfig::default(),
                Arc::new(FixedClock),
                tx,
                Arc::clone(&paused),
            ),
            rx,
            paused,
        )
    }

    fn type_text(p: &mut Pipeline, text: &str, start: u32, gap: u32) {
        for (i, c) in text.chars().enumerate() {
            let t = start.wrapping_add(gap * u32::try_from(i).unwrap());
            let (id, raw) = match c {
                '\n' => (36, RawKey::Enter),
                c => (
                    u32::from(c),
                    RawKey::Char {
                        plain: c.to_ascii_lowercase(),
                        shifted: c.to_ascii_uppercase(),
                    },
                ),
            };
            let upper = c.is_ascii_uppercase();
            if upper {
                p.key(50, RawKey::Shift, true, t);
            }
            p.key(id, raw, true, t);
            p.key(id, raw, false, t);
            if upper {
                p.key(50, RawKey::Shift, false, t);
            }
        }
    }

    #[test]
    fn windows_virtual_keys() {
        assert_eq!(
            classify_windows_vk(0x31),
            RawKey::Char {
                plain: '1',
                shifted: '1'
            }
        );
        assert_eq!(
            classify_windows_vk(0x41),
            RawKey::Char {
                plain: 'a',
                shifted: 'A'
            }
        );
        assert_eq!(
            classify_windows_vk(0x65),
            RawKey::Char {
                plain: '5',
                shifted: '5'
            }
        );
        assert_eq!(classify_windows_vk(0x0d), RawKey::Enter);
        assert_eq!(classify_windows_vk(0xa0), RawKey::Shift);
        assert_eq!(classify_windows_vk(0xa2), RawKey::Modifier);
        assert_eq!(classify_windows_vk(0x2e), RawKey::Other(0x2e));
    }

    #[test]
    fn timeline_wraps() {
        let mut t = MillisTimeline::default();
        assert_eq!(t.advance(u32::MAX - 5), Duration::ZERO);
        assert_eq!(t.advance(4), Duration::from_millis(10));
        assert_eq!(
            t.advance(2),
            Duration::from_millis(10),
            "going back counts as no time"
        );
        assert_eq!(t.advance(14), Duration::from_millis(20));
    }

    #[test]
    fn codes_across_the_clock_wrap_with_shifted_letters() {
        let (mut p, mut rx, _) = pipeline();
        type_text(&mut p, "CP01POS12611221322180001\n", u32::MAX - 50, 6);
        let code = rx.try_recv().unwrap();
        assert_eq!(code.text, "CP01POS12611221322180001");
        assert_eq!(code.origin, CodeOrigin::Wedge);
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn auto_repeat_is_not_a_scan() {
        let (mut p, mut rx, _) = pipeline();
        // Holding "1": one press, then repeats without release.
        for i in 0..40u32 {
            p.key(
                10,
                RawKey::Char {
                    plain: '1',
                    shifted: '!',
                },
                true,
                1000 + i * 30,
            );
        }
        p.key(
            10,
            RawKey::Char {
                plain: '1',
                shifted: '!',
            },
            false,
            2200,
        );
        p.key(36, RawKey::Enter, true, 2210);
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn paused_drops_keys() {
        let (mut p, mut rx, paused) = pipeline();
        paused.store(true, Ordering::Relaxed);
        type_text(&mut p, "134567890123456789\n", 0, 5);
        assert!(rx.try_recv().is_err());
        paused.store(false, Ordering::Relaxed);
        type_text(&mut p, "134567890123456789\n", 1000, 5);
        assert_eq!(rx.try_recv().unwrap().text, "134567890123456789");
    }
}
