//! Joining clips into one announcement, the way payment speakers do: a little silence before
//! (some amplifiers wake up slowly), the opening phrase, a pause, the amount's clips close
//! together, a little silence after. Each clip gets a few milliseconds of fade at both ends so
//! the joins do not click. The clips were trimmed and brought to one level when they were made,
//! so joining needs no level matching; the volume scales the whole.

use std::io::Cursor;
use std::time::Duration;

use crate::bank::{Bank, SAMPLE_RATE};
use crate::clip::Clip;
use crate::error::VoiceError;

/// Silence before the first clip.
pub const LEAD_IN: Duration = Duration::from_millis(60);
/// Pause after the opening phrase (微信收款 … 十二点三四元).
pub const PHRASE_GAP: Duration = Duration::from_millis(140);
/// Pause between the clips of an amount.
pub const WORD_GAP: Duration = Duration::from_millis(20);
/// Silence after the last clip.
pub const TAIL: Duration = Duration::from_millis(150);
/// Fade at both ends of each clip.
pub const FADE: Duration = Duration::from_millis(4);

/// A rendered announcement: mono 16-bit PCM at [`SAMPLE_RATE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pcm {
    samples: Vec<i16>,
}

impl Pcm {
    /// The samples (mono).
    #[must_use]
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// Samples per second.
    #[must_use]
    pub const fn sample_rate(&self) -> u32 {
        SAMPLE_RATE
    }

    /// How long it sounds.
    #[must_use]
    pub fn duration(&self) -> Duration {
        let n = u64::try_from(self.samples.len()).unwrap_or(u64::MAX);
        Duration::from_micros(n.saturating_mul(1_000_000) / u64::from(SAMPLE_RATE))
    }

    /// As a WAV file (RIFF, PCM 16-bit mono, 16 kHz).
    pub fn to_wav(&self) -> Result<Vec<u8>, VoiceError> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut out = Cursor::new(Vec::new());
        let wav = |e: hound::Error| VoiceError::Wav(e.to_string());
        let mut writer = hound::WavWriter::new(&mut out, spec).map_err(wav)?;
        for &s in &self.samples {
            writer.write_sample(s).map_err(wav)?;
        }
        writer.finalize().map_err(wav)?;
        Ok(out.into_inner())
    }
}

fn samples_in(d: Duration) -> usize {
    usize::try_from(d.as_millis() * u128::from(SAMPLE_RATE) / 1000).unwrap_or(0)
}

/// Joins `clips` into one sound at `volume_percent` (0–100; more is taken as 100).
pub fn render(clips: &[Clip], volume_percent: u8) -> Result<Pcm, VoiceError> {
    let bank = Bank::get()?;
    let volume = i32::from(volume_percent.min(100));
    let fade = samples_in(FADE);
    let mut samples = vec![0_i16; samples_in(LEAD_IN)];
    for (i, &clip) in clips.iter().enumerate() {
        if i > 0 {
            let gap = if clips[i - 1].is_phrase() {
                PHRASE_GAP
            } else {
                WORD_GAP
            };
            samples.resize(samples.len() + samples_in(gap), 0);
        }
        let clip_samples = bank.samples(clip);
        let n = clip_samples.len();
        samples.extend(clip_samples.iter().enumerate().map(|(j, &s)| {
            // Linear fade over the first and last `fade` samples, then the volume.
            let edge = j.min(n - 1 - j).min(fade);
            let gain = i64::from(volume) * i64::try_from(edge).unwrap_or(0);
            let scaled = if edge < fade {
                i64::from(s) * gain / (100 * i64::try_from(fade).unwrap_or(1).max(1))
            } else {
                i64::from(s) * i64::from(volume) / 100
            };
            i16::try_from(scaled).unwrap_or(if scaled < 0 { i16::MIN } else { i16::MAX })
        }));
    }
    samples.resize(samples.len() + samples_in(TAIL), 0);
    Ok(Pcm { samples })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peak(pcm: &Pcm) -> i32 {
        pcm.samples()
            .iter()
            .map(|&s| i32::from(s).abs())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn volume_scales_and_zero_is_silent() {
        let full = render(&[Clip::WeChat, Clip::Ten, Clip::Yuan], 100).unwrap();
        let half = render(&[Clip::WeChat, Clip::Ten, Clip::Yuan], 50).unwrap();
        let mute = render(&[Clip::WeChat, Clip::Ten, Clip::Yuan], 0).unwrap();
        assert_eq!(full.samples().len(), half.samples().len());
        assert!(peak(&full) > 8_000, "clips are levelled near full scale");
        let p = peak(&half);
        assert!((peak(&full) / 2 - 1..=peak(&full) / 2 + 1).contains(&p));
        assert_eq!(peak(&mute), 0);
        assert_eq!(
            render(&[Clip::Ten], 255).unwrap(),
            render(&[Clip::Ten], 100).unwrap()
        );
    }

    #[test]
    fn joins_start_and_end_in_silence_and_gaps_follow_the_layout() {
        let clips = [Clip::Alipay, Clip::One, Clip::Yuan];
        let pcm = render(&clips, 100).unwrap();
        let bank = Bank::get().unwrap();
        let expected = samples_in(LEAD_IN)
            + clips.iter().map(|&c| bank.samples(c).len()).sum::<usize>()
            + samples_in(PHRASE_GAP)
            + samples_in(WORD_GAP)
            + samples_in(TAIL);
        assert_eq!(pcm.samples().len(), expected);
        let s = pcm.samples();
        assert!(s[..samples_in(LEAD_IN) + 1].iter().all(|&x| x == 0));
        assert!(s[s.len() - samples_in(TAIL) - 1..].iter().all(|&x| x == 0));
        // Each clip fades in from nothing.
        let first = samples_in(LEAD_IN);
        assert_eq!(s[first], 0);
    }

    #[test]
    fn wav_header_says_what_the_samples_are() {
        let pcm = render(&[Clip::Failed], 100).unwrap();
        let wav = pcm.to_wav().unwrap();
        let reader = hound::WavReader::new(Cursor::new(&wav)).unwrap();
        assert_eq!(reader.spec().sample_rate, 16_000);
        assert_eq!(reader.spec().channels, 1);
        assert_eq!(reader.len() as usize, pcm.samples().len());
        assert_eq!(&wav[..4], b"RIFF");
        assert!(pcm.duration() > Duration::from_millis(500));
    }
}
