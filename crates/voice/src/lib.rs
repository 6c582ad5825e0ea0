//! # CloudPOS voice (语音播报)
//!
//! The till says "微信收款 十二点三四元" when money arrives, so a busy cashier hears it
//! without looking. This crate is the adapter behind the domain's
//! [`Announcer`](cloudpos_domain::ports::Announcer) port:
//!
//! 1. [`script`]: an [`Announcement`] becomes a list of [`Clip`]s — its opening phrase, then
//!    the amount read the Chinese way ([`words`](amount_clips): 10,005.60 → 一万零五点六元).
//! 2. [`render`]: the clips, shipped inside the binary (Mandarin, 16 kHz mono, made offline
//!    by `tools/voice-clips/make-clips.sh`), are joined with short gaps into one [`Pcm`],
//!    which can also be written as a WAV file.
//! 3. [`ClipAnnouncer`]: a thread of its own plays them in order through the default sound
//!    device, from a small bounded backlog, so announcing never blocks or delays a payment; a
//!    missing device is logged, never an error for the payment.
//!
//! Why clips and not the system's voices: see `docs/ARCHITECTURE.md` (voice section). In
//! short, they sound the same on every Windows and Linux till, need nothing installed, work
//! offline, and render to a file for tests and `cloudpos voice say --out`.

mod bank;
mod clip;
mod device;
mod error;
mod player;
mod render;
mod words;

use cloudpos_domain::announcement::Announcement;
use cloudpos_domain::ports::{Announcer, DeviceError};

pub use bank::{SAMPLE_RATE, wav_bytes};
pub use clip::{Clip, text_of};
pub use error::VoiceError;
pub use player::{BACKLOG, MAX_WAIT, OpenSpeaker, REOPEN_AFTER, Speaker};
pub use render::{FADE, LEAD_IN, PHRASE_GAP, Pcm, TAIL, WORD_GAP, render};
pub use words::{amount_clips, amount_text};

/// The clips an announcement is joined from: its phrase, then the amount (if any).
pub fn script(announcement: &Announcement) -> Result<Vec<Clip>, VoiceError> {
    let phrase = announcement.phrase();
    let first = Clip::of_phrase(phrase).ok_or_else(|| VoiceError::Clip {
        name: "phrase",
        reason: format!("no clip says \"{phrase}\""),
    })?;
    let mut clips = vec![first];
    if let Some(amount) = announcement.amount() {
        clips.extend(amount_clips(amount)?);
    }
    Ok(clips)
}

/// What is heard, as text: `微信收款十二点三四元`.
pub fn spoken_text(announcement: &Announcement) -> Result<String, VoiceError> {
    Ok(text_of(&script(announcement)?))
}

/// Renders an announcement at `volume_percent` (0–100).
pub fn render_announcement(
    announcement: &Announcement,
    volume_percent: u8,
) -> Result<Pcm, VoiceError> {
    render(&script(announcement)?, volume_percent)
}

/// Plays one announcement on the default sound device and returns when it has been heard
/// (blocking the calling thread: for `cloudpos voice say`, never for a payment).
pub fn play_now(announcement: &Announcement, volume_percent: u8) -> Result<(), VoiceError> {
    let pcm = render_announcement(announcement, volume_percent)?;
    device::open_default()?.play(&pcm)
}

/// The [`Announcer`] of the terminal: clips joined and played on a speaking thread of its own.
pub struct ClipAnnouncer {
    voice: player::Voice,
}

impl std::fmt::Debug for ClipAnnouncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipAnnouncer")
            .field("pending", &self.voice.pending())
            .finish()
    }
}

impl Default for ClipAnnouncer {
    fn default() -> Self {
        ClipAnnouncer::new()
    }
}

impl ClipAnnouncer {
    /// Speaks through the system's default sound device (opened on the first announcement).
    #[must_use]
    pub fn new() -> ClipAnnouncer {
        ClipAnnouncer::with_speaker(Box::new(device::open_default))
    }

    /// Speaks through the output `open` returns (called on the speaking thread, again after
    /// a failure). For tests and other outputs.
    #[must_use]
    pub fn with_speaker(open: OpenSpeaker) -> ClipAnnouncer {
        ClipAnnouncer {
            voice: player::Voice::new(open),
        }
    }
}

impl Announcer for ClipAnnouncer {
    fn announce(&self, announcement: &Announcement, volume_percent: u8) -> Result<(), DeviceError> {
        let a = *announcement;
        // Rendering happens on the speaking thread too: the caller only queues.
        self.voice
            .push(
                Box::new(move || render_announcement(&a, volume_percent)),
                &a.to_string(),
            )
            .map_err(|e| DeviceError::Unavailable(e.to_string()))
    }

    fn pending(&self) -> usize {
        self.voice.pending()
    }
}
