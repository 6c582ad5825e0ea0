//! What can go wrong with a voice announcement.

use cloudpos_domain::money::Money;

/// A voice failure. None of them ever fails a payment: the terminal logs them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoiceError {
    /// Amounts announced are never negative.
    #[error("cannot announce a negative amount ({0})")]
    Negative(Money),
    /// The amount could not be put into words (a bug: every i64 amount can).
    #[error("cannot read the amount in words: {0}")]
    Words(String),
    /// A shipped clip is missing or damaged (a bug in the build: the clips are embedded).
    #[error("voice clip {name} is damaged: {reason}")]
    Clip {
        /// The clip's file name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No sound output could be opened (no sound card, no speakers, the device is busy).
    #[error("no sound device: {0}")]
    NoDevice(String),
    /// The sound device failed while speaking (unplugged, stalled).
    #[error("the sound device failed: {0}")]
    Playback(String),
    /// Writing the WAV file failed.
    #[error("cannot write the WAV: {0}")]
    Wav(String),
}
