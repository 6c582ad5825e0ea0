//! `cloudpos voice say` and `cloudpos config voice`: the announcement rendered to a WAV file,
//! its words, bad input, the settings with their permission, and a payment with `--speak`.
#![allow(missing_docs)]

mod common;

use std::io::Cursor;
use std::path::Path;
use std::process::{Command, Output};

use common::{BIN, Env};

fn cloudpos(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("CLOUDPOS_HOME")
        .output()
        .expect("run cloudpos")
}

/// Decodes a WAV file: (channels, rate, samples as i16 of the first channel).
fn wav(path: &Path) -> (u16, u32, Vec<i16>) {
    let bytes = std::fs::read(path).expect("the WAV file was written");
    let reader = hound::WavReader::new(Cursor::new(bytes)).expect("a valid WAV file");
    let spec = reader.spec();
    assert_eq!(spec.sample_format, hound::SampleFormat::Int, "PCM");
    assert_eq!(spec.bits_per_sample, 16);
    let samples: Vec<i16> = reader
        .into_samples::<i16>()
        .map(Result::unwrap)
        .step_by(usize::from(spec.channels))
        .collect();
    (spec.channels, spec.sample_rate, samples)
}

fn say_to_file(home: &Path, amount: &str, wallet: &str, out: &Path) -> String {
    let o = cloudpos(
        home,
        &[
            "voice",
            "say",
            "--amount",
            amount,
            "--wallet",
            wallet,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        o.status.success(),
        "voice say failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn voice_say_writes_a_wav_that_is_not_silent_and_longer_for_a_longer_amount() {
    let home = tempfile::tempdir().unwrap();
    let short = home.path().join("short.wav");
    let long = home.path().join("long.wav");
    let text = say_to_file(home.path(), "10.00", "wechat", &short);
    assert!(text.contains("微信收款 10.00 元"), "{text}");
    assert!(text.contains("微信收款十元"), "{text}");
    let text = say_to_file(home.path(), "10005.60", "alipay", &long);
    assert!(text.contains("支付宝收款一万零五点六元"), "{text}");

    let (channels, rate, s) = wav(&short);
    assert!(channels == 1 || channels == 2);
    assert!([8_000, 16_000, 22_050, 44_100, 48_000].contains(&rate));
    let (_, _, l) = wav(&long);
    // Not silent: a good part of it is well above the noise floor.
    for samples in [&s, &l] {
        let loud = samples.iter().filter(|x| x.unsigned_abs() > 2_000).count();
        assert!(
            loud * 10 > samples.len(),
            "{loud} of {} loud",
            samples.len()
        );
    }
    assert!(l.len() > s.len() + usize::try_from(rate).unwrap() / 2);
    let seconds = s.len() as f64 / f64::from(rate);
    assert!((1.0..4.0).contains(&seconds), "{seconds} s");
}

#[test]
fn voice_say_json_and_member_cards() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("card.wav");
    let o = cloudpos(
        home.path(),
        &[
            "voice",
            "say",
            "--amount",
            "0.05",
            "--wallet",
            "member_card",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["text"], "会员卡消费 0.05 元");
    assert_eq!(v["words"], "会员卡消费零点零五元");
    assert_eq!(v["played"], false);
    let (_, rate, samples) = wav(&out);
    let ms = u64::try_from(samples.len()).unwrap() * 1000 / u64::from(rate);
    assert_eq!(v["duration_ms"].as_u64().unwrap(), ms);
}

#[test]
fn voice_say_refuses_bad_input_naming_it() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("x.wav");
    let out = out.to_str().unwrap();
    for (amount, wallet, expected) in [
        ("12.34", "cash", "unknown wallet \"cash\""),
        ("0", "wechat", "more than 0"),
        ("1.234", "wechat", "bad amount"),
        ("abc", "wechat", "bad amount"),
    ] {
        let o = cloudpos(
            home.path(),
            &[
                "voice", "say", "--amount", amount, "--wallet", wallet, "--out", out,
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{amount} {wallet}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(expected), "{amount} {wallet}: {err}");
    }
    assert!(!Path::new(out).exists(), "nothing written on bad input");
}

#[test]
fn config_voice_changes_only_what_it_names_and_needs_the_permission() {
    let env = Env::start();
    let (status, v) = env.json(&["config", "voice", "--json"], None);
    assert_eq!(status, 0);
    assert_eq!(v["enabled"], true);
    assert_eq!(v["volume"], 80);
    assert_eq!(
        v["events"],
        serde_json::json!([
            "paid",
            "member_card",
            "recharge",
            "one_code",
            "failed",
            "reversed"
        ])
    );
    let (status, v) = env.json(
        &[
            "config",
            "voice",
            "--volume",
            "55",
            "--events",
            "paid,cash",
            "--json",
        ],
        None,
    );
    assert_eq!(status, 0);
    assert_eq!(v["volume"], 55);
    assert_eq!(v["events"], serde_json::json!(["paid", "cash"]));
    assert_eq!(v["enabled"], true);
    let (_, v) = env.json(&["config", "voice", "--enabled", "false", "--json"], None);
    assert_eq!(v["enabled"], false);
    assert_eq!(v["volume"], 55, "unchanged");

    let out = env.run(&["config", "voice", "--events", "paid,wechat"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown voice event \"wechat\""));
    let out = env.run(&["config", "voice", "--volume", "101"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("0–100"));

    let (_, v) = env.json(&["config", "voice", "--reset", "--json"], None);
    assert_eq!(v["volume"], 80);

    // A clerk may look but not change.
    env.ok(
        &[
            "clerk",
            "add",
            "--id",
            "07",
            "--name",
            "收银员",
            "--role",
            "clerk",
        ],
        Some("pw0707"),
    );
    env.ok(&["logout"], None);
    env.ok(&["login", "--staff", "07"], Some("pw0707"));
    env.ok(&["config", "voice"], None);
    let out = env.run(&["config", "voice", "--volume", "10"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("may not change the configuration"));
}

/// A private ALSA configuration whose default device is `pcm` (alsa-lib reads `~/.asoundrc`).
#[cfg(target_os = "linux")]
fn alsa_home(pcm: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".asoundrc"),
        format!("pcm.!default {{\n{pcm}\n}}\n"),
    )
    .unwrap();
    home
}

/// ALSA's `file` plugin: what is played lands in `file` as WAV.
#[cfg(target_os = "linux")]
fn capture_device(file: &Path) -> String {
    format!(
        "  type file\n  slave.pcm \"null\"\n  file \"{}\"\n  format \"wav\"",
        file.display()
    )
}

/// Seconds between the first and the last non-zero frame of what the device received.
/// Whatever sample format cpal negotiated, silence is zero bytes.
#[cfg(target_os = "linux")]
fn sound_span(captured: &Path) -> f64 {
    let bytes = std::fs::read(captured).expect("the device received the sound");
    let spec = hound::WavReader::new(Cursor::new(&bytes)).unwrap().spec();
    let data = bytes
        .windows(4)
        .position(|w| w == b"data")
        .expect("a data chunk")
        + 8;
    let frame = usize::from(spec.channels) * usize::from(spec.bits_per_sample / 8);
    let frames: Vec<&[u8]> = bytes[data..].chunks_exact(frame).collect();
    let loud = |f: &&[u8]| f.iter().any(|&b| b != 0);
    let first = frames.iter().position(loud).expect("not silent");
    let last = frames.iter().rposition(loud).unwrap();
    (last - first) as f64 / f64::from(spec.sample_rate)
}

/// The same span in the announcement rendered to a file.
#[cfg(target_os = "linux")]
fn rendered_span(home: &Path, amount: &str, wallet: &str) -> f64 {
    let file = home.join("rendered.wav");
    say_to_file(home, amount, wallet, &file);
    let (_, rate, samples) = wav(&file);
    let first = samples.iter().position(|&s| s != 0).unwrap();
    let last = samples.iter().rposition(|&s| s != 0).unwrap();
    (last - first) as f64 / f64::from(rate)
}

/// Plays through the real output path (rodio, cpal, alsa-lib) into ALSA's `file` plugin and
/// finds the whole announcement there.
#[cfg(target_os = "linux")]
#[test]
fn voice_say_plays_the_announcement_on_the_default_device() {
    let alsa = tempfile::tempdir().unwrap();
    let captured = alsa.path().join("device.wav");
    let home = alsa_home(&capture_device(&captured));
    let out = Command::new(BIN)
        .arg("--home")
        .arg(home.path())
        .args([
            "voice", "say", "--amount", "12.34", "--wallet", "wechat", "--json",
        ])
        .env_remove("CLOUDPOS_HOME")
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["played"], true);
    let heard = sound_span(&captured);
    let rendered = rendered_span(home.path(), "12.34", "wechat");
    assert!(
        (heard - rendered).abs() < 0.1,
        "the device got {heard:.3} s of sound, the announcement is {rendered:.3} s"
    );
}

/// `pay --speak`: the payment is announced once it is paid, and the process waits for it.
#[cfg(target_os = "linux")]
#[test]
fn a_payment_with_speak_is_heard_on_the_device() {
    let env = Env::start();
    let alsa = tempfile::tempdir().unwrap();
    let captured = alsa.path().join("device.wav");
    let home = alsa_home(&capture_device(&captured));
    let out = env
        .command(&[
            "pay",
            "--amount",
            "12.34",
            "--code",
            &common::code("00"),
            "--speak",
            "--json",
        ])
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "paid");
    let heard = sound_span(&captured);
    let rendered = rendered_span(alsa.path(), "12.34", "wechat");
    assert!(
        (heard - rendered).abs() < 0.1,
        "the device got {heard:.3} s of sound, 微信收款 12.34 元 is {rendered:.3} s"
    );
}

/// `pay --speak` where the default device does not exist: paid as ever, the voice's problem
/// logged on one line, alsa-lib's own complaints kept off stderr.
#[cfg(target_os = "linux")]
#[test]
fn a_payment_with_speak_is_paid_without_a_sound_device() {
    let env = Env::start();
    let home = alsa_home("  type hw\n  card 99");
    let out = env
        .command(&[
            "pay",
            "--amount",
            "12.34",
            "--code",
            &common::code("00"),
            "--speak",
            "--json",
        ])
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "paid");
    assert!(stderr.contains("announcements are not heard"), "{stderr}");
    assert!(!stderr.contains("ALSA lib"), "{stderr}");
}
