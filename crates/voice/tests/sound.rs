//! The shipped clips and the rendered announcements, measured as sound: formats, levels,
//! trimming, silence, length.

use std::io::Cursor;
use std::time::Duration;

use cloudpos_domain::announcement::{Announcement, AnnouncementKind, MoneySource};
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_voice::{Clip, SAMPLE_RATE, render_announcement, script, spoken_text, wav_bytes};

fn decode(bytes: &[u8]) -> (hound::WavSpec, Vec<i16>) {
    let reader = hound::WavReader::new(Cursor::new(bytes)).expect("a WAV file");
    let spec = reader.spec();
    let samples = reader
        .into_samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    (spec, samples)
}

/// Root mean square level, in 16-bit units.
fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (sum / samples.len().max(1) as f64).sqrt()
}

fn peak(samples: &[i16]) -> i32 {
    samples
        .iter()
        .map(|&s| i32::from(s).abs())
        .max()
        .unwrap_or(0)
}

fn db(ratio: f64) -> f64 {
    20.0 * ratio.log10()
}

#[test]
fn every_clip_is_16khz_mono_pcm_of_speech_at_one_level() {
    let mut levels = Vec::new();
    for clip in Clip::ALL {
        let (spec, samples) = decode(wav_bytes(clip));
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, SAMPLE_RATE, 16),
            "{clip:?}"
        );
        let seconds = samples.len() as f64 / f64::from(SAMPLE_RATE);
        let (min, max) = if clip.is_phrase() {
            (0.4, 2.0)
        } else {
            (0.12, 0.6)
        };
        assert!(
            (min..=max).contains(&seconds),
            "{clip:?} lasts {seconds:.3} s"
        );
        // Normalised to a −3 dBFS peak when made.
        let p = db(f64::from(peak(&samples)) / 32768.0);
        assert!((-3.5..=-2.5).contains(&p), "{clip:?} peaks at {p:.1} dBFS");
        levels.push((clip, rms(&samples)));
    }
    // Consistent loudness: every clip within 8 dB of the median.
    let mut sorted: Vec<f64> = levels.iter().map(|(_, l)| *l).collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    for (clip, level) in levels {
        let off = db(level / median);
        assert!(off.abs() <= 8.0, "{clip:?} is {off:.1} dB off the median");
    }
}

#[test]
fn clips_are_trimmed() {
    // Trimmed at 0.5 % of full scale; after the −3 dB normalisation the first and last 10 ms
    // must hold sound above 0.2 %.
    let edge = usize::try_from(SAMPLE_RATE / 100).unwrap();
    for clip in Clip::ALL {
        let (_, samples) = decode(wav_bytes(clip));
        let loud = |s: &[i16]| peak(s) > 65;
        assert!(loud(&samples[..edge]), "{clip:?} starts with silence");
        assert!(
            loud(&samples[samples.len() - edge..]),
            "{clip:?} ends with silence"
        );
    }
}

fn received(wallet: Wallet, fen: i64) -> Announcement {
    Announcement::sample(AnnouncementKind::Received {
        source: MoneySource::Wallet(wallet),
        amount: Money::from_fen(fen),
    })
    .unwrap()
}

#[test]
fn announcements_are_scripted_phrase_first() {
    let a = received(Wallet::WeChat, 1_000_560);
    assert_eq!(spoken_text(&a).unwrap(), "微信收款一万零五点六元");
    assert_eq!(script(&a).unwrap()[0], Clip::WeChat);
    assert_eq!(
        spoken_text(&received(Wallet::MemberCard, 5)).unwrap(),
        "会员卡消费零点零五元"
    );
    assert_eq!(
        spoken_text(&received(Wallet::Alipay, 1_000)).unwrap(),
        "支付宝收款十元"
    );
    let failed = Announcement::sample(AnnouncementKind::Failed).unwrap();
    assert_eq!(script(&failed).unwrap(), vec![Clip::Failed]);
    let reversed = Announcement::sample(AnnouncementKind::Reversed).unwrap();
    assert_eq!(spoken_text(&reversed).unwrap(), "支付已撤销");
    for source in [
        MoneySource::Cash,
        MoneySource::Recharge,
        MoneySource::OneCode(None),
        MoneySource::OneCode(Some(Wallet::Alipay)),
    ] {
        let a = Announcement::sample(AnnouncementKind::Received {
            source,
            amount: Money::from_fen(1),
        })
        .unwrap();
        assert!(spoken_text(&a).unwrap().starts_with(source.phrase()));
    }
}

#[test]
fn a_rendered_announcement_is_not_silent_and_a_longer_one_lasts_longer() {
    let short = render_announcement(&received(Wallet::WeChat, 1_000), 100).unwrap();
    let long = render_announcement(&received(Wallet::WeChat, 1_000_560), 100).unwrap();
    for pcm in [&short, &long] {
        let (spec, samples) = decode(&pcm.to_wav().unwrap());
        assert_eq!(spec.sample_rate, SAMPLE_RATE);
        assert_eq!(samples.len(), pcm.samples().len());
        // Speech: well above the noise floor over the whole, and loud somewhere.
        assert!(rms(&samples) > 1_000.0, "rms {}", rms(&samples));
        assert!(peak(&samples) > 16_000);
    }
    // 十元 against 一万零五点六元: four more clips and their gaps.
    assert!(long.duration() > short.duration() + Duration::from_millis(800));
    assert!(short.duration() > Duration::from_secs(1));
    assert!(long.duration() < Duration::from_secs(6));
}
