//! The speaking thread, through the `Announcer` port, with fake sound outputs: announcing
//! returns while a sound is still playing, the backlog is bounded, a missing or failing
//! device never reaches the caller.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloudpos_domain::announcement::{Announcement, AnnouncementKind, MoneySource};
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::Announcer;
use cloudpos_voice::{BACKLOG, ClipAnnouncer, Pcm, Speaker, VoiceError, render_announcement};

/// Long enough for a loaded CI machine; only a bug makes a test wait this long.
const PATIENCE: Duration = Duration::from_secs(30);

fn paid(fen: i64) -> Announcement {
    Announcement::sample(AnnouncementKind::Received {
        source: MoneySource::Wallet(Wallet::WeChat),
        amount: Money::from_fen(fen),
    })
    .unwrap()
}

/// Reports each sound it starts, then waits for the test to let it finish.
struct GatedSpeaker {
    started: Sender<Pcm>,
    gate: Arc<Mutex<Receiver<()>>>,
}

impl Speaker for GatedSpeaker {
    fn play(&mut self, pcm: &Pcm) -> Result<(), VoiceError> {
        self.started.send(pcm.clone()).unwrap();
        self.gate.lock().unwrap().recv_timeout(PATIENCE).unwrap();
        Ok(())
    }
}

fn gated() -> (ClipAnnouncer, Receiver<Pcm>, Sender<()>) {
    let (started_tx, started) = channel();
    let (release, gate) = channel();
    let gate = Arc::new(Mutex::new(gate));
    let announcer = ClipAnnouncer::with_speaker(Box::new(move || {
        Ok(Box::new(GatedSpeaker {
            started: started_tx.clone(),
            gate: Arc::clone(&gate),
        }) as Box<dyn Speaker>)
    }));
    (announcer, started, release)
}

fn wait_idle(announcer: &ClipAnnouncer) {
    let until = Instant::now() + PATIENCE;
    while announcer.pending() > 0 {
        assert!(Instant::now() < until, "the voice never became idle");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn announcing_returns_while_the_previous_sound_is_still_playing() {
    let (announcer, started, release) = gated();
    announcer.announce(&paid(1234), 80).unwrap();
    let first = started.recv_timeout(PATIENCE).unwrap();
    assert_eq!(first, render_announcement(&paid(1234), 80).unwrap());
    // The speaker is stuck inside `play`; announcing again still returns at once.
    announcer.announce(&paid(500), 80).unwrap();
    assert_eq!(announcer.pending(), 2);
    release.send(()).unwrap();
    let second = started.recv_timeout(PATIENCE).unwrap();
    assert_eq!(second, render_announcement(&paid(500), 80).unwrap());
    release.send(()).unwrap();
    wait_idle(&announcer);
}

#[test]
fn a_full_backlog_drops_the_oldest_waiting_announcement() {
    let (announcer, started, release) = gated();
    announcer.announce(&paid(1), 100).unwrap();
    started.recv_timeout(PATIENCE).unwrap();
    let waiting: Vec<i64> = (2..=i64::try_from(BACKLOG).unwrap() + 3).collect();
    for &fen in &waiting {
        announcer.announce(&paid(fen), 100).unwrap();
    }
    assert_eq!(announcer.pending(), BACKLOG + 1);
    let mut heard = Vec::new();
    for _ in 0..BACKLOG {
        release.send(()).unwrap();
        heard.push(started.recv_timeout(PATIENCE).unwrap());
    }
    release.send(()).unwrap();
    wait_idle(&announcer);
    let expected: Vec<Pcm> = waiting[waiting.len() - BACKLOG..]
        .iter()
        .map(|&fen| render_announcement(&paid(fen), 100).unwrap())
        .collect();
    assert_eq!(heard, expected, "the newest {BACKLOG} are spoken, in order");
}

#[test]
fn no_sound_device_is_logged_not_returned_and_not_retried_at_once() {
    let opens = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&opens);
    let announcer = ClipAnnouncer::with_speaker(Box::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        Err(VoiceError::NoDevice("no sound card".into()))
    }));
    for fen in [100, 200, 300] {
        announcer.announce(&paid(fen), 100).unwrap();
        wait_idle(&announcer);
    }
    assert_eq!(
        opens.load(Ordering::SeqCst),
        1,
        "a missing device is not probed for every payment"
    );
}

/// Plays (reports) each sound, then fails as an unplugged device would.
struct BreakingSpeaker {
    played: Sender<Pcm>,
}

impl Speaker for BreakingSpeaker {
    fn play(&mut self, pcm: &Pcm) -> Result<(), VoiceError> {
        self.played.send(pcm.clone()).unwrap();
        Err(VoiceError::Playback("unplugged".into()))
    }
}

#[test]
fn a_device_that_fails_while_speaking_is_reopened_for_the_next_announcement() {
    let opens = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&opens);
    let (played_tx, played) = channel();
    let announcer = ClipAnnouncer::with_speaker(Box::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(BreakingSpeaker {
            played: played_tx.clone(),
        }) as Box<dyn Speaker>)
    }));
    announcer.announce(&paid(100), 100).unwrap();
    played.recv_timeout(PATIENCE).unwrap();
    wait_idle(&announcer);
    announcer.announce(&paid(200), 100).unwrap();
    played.recv_timeout(PATIENCE).unwrap();
    wait_idle(&announcer);
    assert_eq!(opens.load(Ordering::SeqCst), 2);
}

#[test]
fn dropping_the_announcer_lets_its_thread_finish_the_queue() {
    let (announcer, started, release) = gated();
    announcer.announce(&paid(100), 100).unwrap();
    started.recv_timeout(PATIENCE).unwrap();
    announcer.announce(&paid(200), 100).unwrap();
    drop(announcer);
    release.send(()).unwrap();
    let last = started.recv_timeout(PATIENCE).unwrap();
    assert_eq!(last, render_announcement(&paid(200), 100).unwrap());
    release.send(()).unwrap();
}
