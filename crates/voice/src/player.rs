//! Speaking on a thread of its own, so the payment flow never waits for a sound.
//!
//! Callers push into a small bounded backlog under a mutex held only for the push, and return.
//! One thread (started on first use) takes announcements in order, renders and plays each to
//! the end. When the backlog is full the oldest waiting announcement is dropped (the newest
//! payment is the one the cashier is looking at), and one that waited too long is dropped
//! rather than spoken late: a shop at rush hour hears the current payments, not a queue of old
//! ones.
//!
//! The sound device is opened on the first announcement and kept. If it cannot be opened (no
//! sound card, no speakers) that is logged, the announcement dropped, and opening is tried
//! again at most every [`REOPEN_AFTER`]; a device that fails while speaking is dropped and
//! reopened next time. Nothing of this reaches the caller.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::VoiceError;
use crate::render::Pcm;

/// Announcements waiting at most (beyond the one being spoken).
pub const BACKLOG: usize = 4;
/// An announcement that waited longer is dropped rather than spoken late.
pub const MAX_WAIT: Duration = Duration::from_secs(20);
/// After a failure to open the sound device, the next attempt waits at least this long.
pub const REOPEN_AFTER: Duration = Duration::from_secs(30);

/// A sound output that plays one rendered announcement to the end. It is opened and used on
/// the speaking thread only, so it need not be `Send`.
pub trait Speaker {
    /// Plays `pcm`, returning when it has been heard (or failed).
    fn play(&mut self, pcm: &Pcm) -> Result<(), VoiceError>;
}

/// Opens the sound output (called on the speaking thread).
pub type OpenSpeaker = Box<dyn FnMut() -> Result<Box<dyn Speaker>, VoiceError> + Send>;

/// A job for the speaking thread: how to make the sound, when it was asked for.
pub(crate) type Job = Box<dyn FnOnce() -> Result<Pcm, VoiceError> + Send>;

/// The bounded, time-limited backlog (pure: time is passed in).
#[derive(Debug)]
pub(crate) struct Backlog<T> {
    items: VecDeque<(T, Instant)>,
    capacity: usize,
    max_wait: Duration,
}

impl<T> Backlog<T> {
    pub(crate) fn new(capacity: usize, max_wait: Duration) -> Self {
        Backlog {
            items: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
            max_wait,
        }
    }

    /// Adds an item; returns the oldest one if it had to make room.
    pub(crate) fn push(&mut self, item: T, now: Instant) -> Option<T> {
        let dropped = if self.items.len() >= self.capacity {
            self.items.pop_front().map(|(t, _)| t)
        } else {
            None
        };
        self.items.push_back((item, now));
        dropped
    }

    /// The next item that has not waited too long, and how many stale ones were dropped.
    pub(crate) fn pop(&mut self, now: Instant) -> (Option<T>, usize) {
        let mut stale = 0;
        while let Some((item, at)) = self.items.pop_front() {
            if now.saturating_duration_since(at) <= self.max_wait {
                return (Some(item), stale);
            }
            stale += 1;
        }
        (None, stale)
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }
}

struct State {
    backlog: Backlog<Job>,
    /// An announcement is being rendered or played.
    busy: bool,
    /// The owner is gone: the thread ends when the backlog is empty.
    closed: bool,
    started: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// The speaking thread's front end: cheap pushes, a counter of what is pending.
pub(crate) struct Voice {
    shared: Arc<Shared>,
    open: Mutex<Option<OpenSpeaker>>,
}

impl Voice {
    pub(crate) fn new(open: OpenSpeaker) -> Voice {
        Voice {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    backlog: Backlog::new(BACKLOG, MAX_WAIT),
                    busy: false,
                    closed: false,
                    started: false,
                }),
                wake: Condvar::new(),
            }),
            open: Mutex::new(Some(open)),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }

    /// Queues a job and returns at once. `Err` when the speaking thread could not be started.
    pub(crate) fn push(&self, job: Job, what: &str) -> Result<(), VoiceError> {
        let start = {
            let mut st = self.state();
            if st.backlog.push(job, Instant::now()).is_some() {
                tracing::info!(%what, "voice: backlog full, the oldest waiting announcement was dropped");
            }
            !std::mem::replace(&mut st.started, true)
        };
        if start {
            self.spawn()?;
        }
        self.shared.wake.notify_one();
        Ok(())
    }

    fn spawn(&self) -> Result<(), VoiceError> {
        let open = lock(&self.open).take();
        let Some(open) = open else {
            return Ok(());
        };
        let shared = Arc::clone(&self.shared);
        std::thread::Builder::new()
            .name("cloudpos-voice".into())
            .spawn(move || speak_loop(&shared, open))
            .map(drop)
            .map_err(|e| {
                // Let a later push try again.
                self.state().started = false;
                VoiceError::NoDevice(format!("cannot start the voice thread: {e}"))
            })
    }

    /// Announcements waiting or being spoken.
    pub(crate) fn pending(&self) -> usize {
        let st = self.state();
        st.backlog.len() + usize::from(st.busy)
    }
}

impl Drop for Voice {
    fn drop(&mut self) {
        // The thread finishes what is queued (bounded by MAX_WAIT) and ends; nobody waits for it.
        self.state().closed = true;
        self.shared.wake.notify_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data; keep going.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn speak_loop(shared: &Shared, mut open: OpenSpeaker) {
    let mut speaker: Option<Box<dyn Speaker>> = None;
    let mut last_failed_open: Option<Instant> = None;
    let mut warned = false;
    loop {
        let job = {
            let mut st = lock(&shared.state);
            st.busy = false;
            loop {
                let (job, stale) = st.backlog.pop(Instant::now());
                if stale > 0 {
                    tracing::info!(stale, "voice: dropped announcements that waited too long");
                }
                if let Some(job) = job {
                    st.busy = true;
                    break job;
                }
                if st.closed {
                    return;
                }
                st = shared
                    .wake
                    .wait(st)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        let pcm = match job() {
            Ok(pcm) => pcm,
            Err(e) => {
                tracing::error!(error = %e, "voice: announcement not rendered");
                continue;
            }
        };
        if speaker.is_none() {
            if last_failed_open.is_some_and(|at| at.elapsed() < REOPEN_AFTER) {
                tracing::debug!("voice: no sound device; announcement dropped");
                continue;
            }
            match open() {
                Ok(s) => {
                    speaker = Some(s);
                    last_failed_open = None;
                    warned = false;
                }
                Err(e) => {
                    last_failed_open = Some(Instant::now());
                    if warned {
                        tracing::debug!(error = %e, "voice: still no sound device");
                    } else {
                        tracing::warn!(error = %e, "voice: announcements are not heard (payments are not affected)");
                        warned = true;
                    }
                    continue;
                }
            }
        }
        if let Some(s) = speaker.as_mut()
            && let Err(e) = s.play(&pcm)
        {
            tracing::warn!(error = %e, "voice: the sound device failed; it is reopened for the next announcement");
            speaker = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_backlog_drops_the_oldest() {
        let t0 = Instant::now();
        let mut b = Backlog::new(2, Duration::from_secs(20));
        assert_eq!(b.push(1, t0), None);
        assert_eq!(b.push(2, t0), None);
        assert_eq!(b.push(3, t0), Some(1));
        assert_eq!(b.len(), 2);
        assert_eq!(b.pop(t0), (Some(2), 0));
        assert_eq!(b.pop(t0), (Some(3), 0));
        assert_eq!(b.pop(t0), (None, 0));
    }

    #[test]
    fn announcements_that_waited_too_long_are_not_spoken() {
        let t0 = Instant::now();
        let mut b = Backlog::new(4, Duration::from_secs(20));
        b.push("old", t0);
        b.push("also-old", t0 + Duration::from_secs(5));
        b.push("new", t0 + Duration::from_secs(30));
        let later = t0 + Duration::from_secs(30);
        assert_eq!(b.pop(later), (Some("new"), 2));
        assert_eq!(b.pop(later), (None, 0));
    }
}
