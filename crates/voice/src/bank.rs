//! The shipped clips, embedded in the binary (no files to lose at a shop), decoded once.
//!
//! Every clip is 16 kHz mono 16-bit PCM, trimmed and levelled when it was made
//! (`tools/voice-clips/make-clips.sh`); a clip in any other format is refused, and a test
//! decodes them all.

use std::io::Cursor;
use std::sync::OnceLock;

use crate::clip::Clip;
use crate::error::VoiceError;

/// The sample rate of every clip and of every rendered announcement.
pub const SAMPLE_RATE: u32 = 16_000;

/// The WAV file of a clip, as shipped.
#[must_use]
pub const fn wav_bytes(clip: Clip) -> &'static [u8] {
    match clip {
        Clip::Zero => include_bytes!("../clips/d0.wav"),
        Clip::One => include_bytes!("../clips/d1.wav"),
        Clip::Two => include_bytes!("../clips/d2.wav"),
        Clip::Three => include_bytes!("../clips/d3.wav"),
        Clip::Four => include_bytes!("../clips/d4.wav"),
        Clip::Five => include_bytes!("../clips/d5.wav"),
        Clip::Six => include_bytes!("../clips/d6.wav"),
        Clip::Seven => include_bytes!("../clips/d7.wav"),
        Clip::Eight => include_bytes!("../clips/d8.wav"),
        Clip::Nine => include_bytes!("../clips/d9.wav"),
        Clip::Ten => include_bytes!("../clips/shi.wav"),
        Clip::Hundred => include_bytes!("../clips/bai.wav"),
        Clip::Thousand => include_bytes!("../clips/qian.wav"),
        Clip::TenThousand => include_bytes!("../clips/wan.wav"),
        Clip::HundredMillion => include_bytes!("../clips/yi.wav"),
        Clip::Point => include_bytes!("../clips/dian.wav"),
        Clip::Yuan => include_bytes!("../clips/yuan.wav"),
        Clip::WeChat => include_bytes!("../clips/wechat.wav"),
        Clip::Alipay => include_bytes!("../clips/alipay.wav"),
        Clip::MemberCard => include_bytes!("../clips/member_card.wav"),
        Clip::Recharge => include_bytes!("../clips/recharge.wav"),
        Clip::Cash => include_bytes!("../clips/cash.wav"),
        Clip::Received => include_bytes!("../clips/received.wav"),
        Clip::Failed => include_bytes!("../clips/failed.wav"),
        Clip::Reversed => include_bytes!("../clips/reversed.wav"),
    }
}

/// The decoded clips.
pub(crate) struct Bank {
    samples: Vec<Vec<i16>>,
}

impl Bank {
    /// The clips, decoded on first use.
    pub(crate) fn get() -> Result<&'static Bank, VoiceError> {
        static BANK: OnceLock<Result<Bank, VoiceError>> = OnceLock::new();
        BANK.get_or_init(|| {
            Clip::ALL
                .iter()
                .map(|&c| decode(c))
                .collect::<Result<Vec<_>, _>>()
                .map(|samples| Bank { samples })
        })
        .as_ref()
        .map_err(Clone::clone)
    }

    /// The samples of one clip.
    pub(crate) fn samples(&self, clip: Clip) -> &[i16] {
        Clip::ALL
            .iter()
            .position(|&c| c == clip)
            .and_then(|i| self.samples.get(i))
            .map_or(&[], Vec::as_slice)
    }
}

/// Decodes one clip, refusing anything but non-empty 16 kHz mono 16-bit PCM.
pub(crate) fn decode(clip: Clip) -> Result<Vec<i16>, VoiceError> {
    let damaged = |reason: String| VoiceError::Clip {
        name: clip.name(),
        reason,
    };
    let reader =
        hound::WavReader::new(Cursor::new(wav_bytes(clip))).map_err(|e| damaged(e.to_string()))?;
    let spec = reader.spec();
    if spec.channels != 1
        || spec.sample_rate != SAMPLE_RATE
        || spec.bits_per_sample != 16
        || spec.sample_format != hound::SampleFormat::Int
    {
        return Err(damaged(format!(
            "expected 16 kHz mono 16-bit PCM, found {spec:?}"
        )));
    }
    let samples = reader
        .into_samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| damaged(e.to_string()))?;
    if samples.is_empty() {
        return Err(damaged("no samples".into()));
    }
    Ok(samples)
}
