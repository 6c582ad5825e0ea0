//! `voice say` and `config voice`: voice announcements (语音播报).

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, bail};
use cloudpos_domain::announcement::{Announcement, AnnouncementKind, MoneySource, VoiceEvent};
use cloudpos_domain::code::Wallet;
use cloudpos_terminal::{Terminal, VoiceSettings, render_announcement};
use serde_json::json;

use crate::cli::{VoiceCommand, VoiceConfigArgs};
use crate::exit;

/// Runs a voice command.
pub async fn run(t: &Terminal, cmd: VoiceCommand) -> anyhow::Result<u8> {
    match cmd {
        VoiceCommand::Say {
            amount,
            wallet,
            out,
            volume,
            json,
        } => say(t, &amount, &wallet, out.as_deref(), volume, json).await,
    }
}

fn sample(amount: &str, wallet: &str) -> anyhow::Result<Announcement> {
    let amount = super::typed_amount(amount)?;
    let wallet: Wallet = wallet.trim().parse().map_err(|_| {
        anyhow::anyhow!("unknown wallet \"{wallet}\" (expected wechat, alipay or member_card)")
    })?;
    Announcement::sample(AnnouncementKind::Received {
        source: MoneySource::Wallet(wallet),
        amount,
    })
    .ok_or_else(|| anyhow::anyhow!("bad amount: an announced amount must be more than 0"))
}

async fn say(
    t: &Terminal,
    amount: &str,
    wallet: &str,
    out: Option<&Path>,
    volume: Option<u8>,
    as_json: bool,
) -> anyhow::Result<u8> {
    let announcement = sample(amount, wallet)?;
    if volume.is_some_and(|v| v > 100) {
        bail!("the volume is 0–100");
    }
    let sound = render_announcement(&announcement, volume.unwrap_or(100))?;
    match out {
        Some(path) => std::fs::write(path, &sound.wav)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => t.say_now(&announcement, volume).await.map_err(|e| {
            anyhow::anyhow!("{e} (write the announcement to a file with --out FILE.wav)")
        })?,
    }
    let millis = u64::try_from(sound.duration.as_millis()).unwrap_or(u64::MAX);
    if as_json {
        println!(
            "{}",
            json!({
                "text": announcement.to_string(),
                "words": sound.words,
                "duration_ms": millis,
                "out": out.map(|p| p.display().to_string()),
                "played": out.is_none(),
            })
        );
    } else {
        let done = match out {
            Some(path) => format!("written to {}", path.display()),
            None => "played".to_owned(),
        };
        println!(
            "{announcement}  ({}, {}.{:02} s) {done}",
            sound.words,
            millis / 1000,
            millis % 1000 / 10
        );
    }
    Ok(exit::OK)
}

fn parse_events(list: &str) -> anyhow::Result<BTreeSet<VoiceEvent>> {
    if list.trim() == "all" {
        return Ok(VoiceEvent::ALL.into_iter().collect());
    }
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<VoiceEvent>().map_err(anyhow::Error::from))
        .collect()
}

/// `config voice`: changes what the options name (nothing else), then shows the settings.
pub async fn config(t: &Terminal, args: &VoiceConfigArgs) -> anyhow::Result<u8> {
    let mut settings = if args.reset {
        VoiceSettings::default()
    } else {
        t.setting::<VoiceSettings>().await?
    };
    let mut changed = args.reset;
    if let Some(on) = args.enabled {
        settings.enabled = on;
        changed = true;
    }
    if let Some(v) = args.volume {
        settings.volume = v;
        changed = true;
    }
    if let Some(list) = &args.events {
        settings.events = parse_events(list)?;
        changed = true;
    }
    if changed {
        t.set_setting(&settings).await?;
    }
    let events: Vec<&str> = settings.events.iter().map(|e| e.as_str()).collect();
    if args.json {
        println!(
            "{}",
            json!({
                "enabled": settings.enabled,
                "volume": settings.volume,
                "events": events,
            })
        );
    } else {
        println!("{:<8} {}", "enabled", settings.enabled);
        println!("{:<8} {}", "volume", settings.volume);
        println!(
            "{:<8} {}",
            "events",
            if events.is_empty() {
                "(none)".to_owned()
            } else {
                events.join(",")
            }
        );
    }
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lists() {
        assert_eq!(parse_events("").unwrap(), BTreeSet::new());
        assert_eq!(parse_events("all").unwrap().len(), VoiceEvent::ALL.len());
        assert_eq!(
            parse_events(" paid, failed ,").unwrap(),
            [VoiceEvent::Paid, VoiceEvent::Failed].into_iter().collect()
        );
        let err = parse_events("paid,wechat").unwrap_err().to_string();
        assert!(err.contains("\"wechat\""), "{err}");
    }

    #[test]
    fn samples_need_a_known_wallet_and_a_positive_amount() {
        assert_eq!(
            sample("12.34", "wechat").unwrap().to_string(),
            "微信收款 12.34 元"
        );
        assert!(sample("0", "alipay").is_err());
        assert!(sample("-1", "alipay").is_err());
        assert!(sample("1.234", "alipay").is_err());
        let err = sample("1", "cash").unwrap_err().to_string();
        assert!(err.contains("wechat, alipay or member_card"), "{err}");
    }
}
