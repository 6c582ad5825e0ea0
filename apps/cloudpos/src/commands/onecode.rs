//! `onecode watch|list|reprint` and `config onecode`: one-code pay printing (一码支付打印).

use std::time::Duration;

use cloudpos_domain::one_code::{OneCodeEntry, OneCodePayment};
use cloudpos_terminal::{OneCodeFrom, OneCodeSettings, Terminal};
use serde_json::{Value, json};

use crate::cli_onecode::{OnecodeCommand, OnecodeConfigArgs};
use crate::exit;

/// Runs a `onecode` command.
pub async fn run(t: &Terminal, cmd: OnecodeCommand) -> anyhow::Result<u8> {
    match cmd {
        OnecodeCommand::Watch { once, json, speak } => watch(t, once, json, speak).await,
        OnecodeCommand::List { limit, json } => list(t, limit, json).await,
        OnecodeCommand::Reprint { order } => {
            t.reprint_one_code(order.trim()).await?;
            println!("printed {}", order.trim());
            Ok(exit::OK)
        }
    }
}

fn payment_json(t: &Terminal, p: &OneCodePayment) -> Value {
    json!({
        "out_trade_no": p.out_trade_no,
        "amount_fen": p.amount.fen(),
        "wallet": p.wallet.map(cloudpos_domain::code::Wallet::as_str),
        "paid_at": p.paid_at.rfc3339(t.offset_seconds()),
    })
}

fn payment_line(t: &Terminal, p: &OneCodePayment) -> String {
    format!(
        "{}  {:<6} {:>10} 元  {}  (QR {})",
        p.paid_at.format(t.offset_seconds()),
        p.wallet.map_or("?", |w| w.as_str()),
        p.amount.to_string(),
        p.out_trade_no,
        p.qr_code
    )
}

async fn watch(t: &Terminal, once: bool, as_json: bool, speak: bool) -> anyhow::Result<u8> {
    for e in t.one_code_begin(false).await? {
        eprintln!(
            "cloudpos: one-code payment {} ({} 元) was being printed when the till stopped; \
             it is not printed again — reprint it with `cloudpos onecode reprint --order {}` \
             if the receipt is missing",
            e.payment.out_trade_no, e.payment.amount, e.payment.out_trade_no
        );
    }
    if speak {
        t.start_voice().await?;
    }
    loop {
        let handled = t.one_code_poll().await?;
        for p in &handled {
            if as_json {
                println!("{}", payment_json(t, p));
            } else {
                println!("{}", payment_line(t, p));
            }
        }
        t.flush_voice(Duration::from_secs(10)).await;
        if once {
            return Ok(exit::OK);
        }
        let interval = t.setting::<OneCodeSettings>().await?.interval();
        tokio::time::sleep(interval).await;
    }
}

fn entry_json(t: &Terminal, e: &OneCodeEntry) -> Value {
    let mut v = payment_json(t, &e.payment);
    v["qr_code"] = json!(e.payment.qr_code);
    v["state"] = json!(e.state);
    v["printed"] = json!(e.printed);
    v
}

async fn list(t: &Terminal, limit: u32, as_json: bool) -> anyhow::Result<u8> {
    let entries = t.one_code_recent(limit).await?;
    if as_json {
        let all: Vec<Value> = entries.iter().map(|e| entry_json(t, e)).collect();
        println!("{}", Value::Array(all));
    } else if entries.is_empty() {
        println!("no one-code payments handled yet");
    } else {
        for e in &entries {
            println!(
                "{}  {}{}",
                payment_line(t, &e.payment),
                e.state.as_str(),
                if e.printed { ", printed" } else { "" }
            );
        }
    }
    Ok(exit::OK)
}

/// `config onecode`: changes what the options name (nothing else), then shows the settings.
pub async fn config(t: &Terminal, args: &OnecodeConfigArgs) -> anyhow::Result<u8> {
    let mut settings = if args.reset {
        OneCodeSettings::default()
    } else {
        t.setting::<OneCodeSettings>().await?
    };
    let mut changed = args.reset;
    if args.enable || args.disable {
        settings.enabled = args.enable;
        changed = true;
    }
    if let Some(from) = &args.from {
        settings.from = from.trim().parse::<OneCodeFrom>()?;
        changed = true;
    }
    if let Some(secs) = args.interval {
        settings.interval_secs = secs;
        changed = true;
    }
    if let Some(list) = &args.qr_codes {
        settings.qr_codes = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        changed = true;
    }
    if changed {
        t.set_setting(&settings).await?;
        settings = t.setting::<OneCodeSettings>().await?;
    }
    if args.json {
        println!(
            "{}",
            json!({
                "enabled": settings.enabled,
                "from": settings.from.as_str(),
                "interval_secs": settings.interval_secs,
                "qr_codes": settings.qr_codes,
            })
        );
    } else {
        println!("{:<9} {}", "enabled", settings.enabled);
        println!("{:<9} {}", "from", settings.from.as_str());
        println!("{:<9} {} s", "interval", settings.interval_secs);
        println!(
            "{:<9} {}",
            "qr codes",
            if settings.qr_codes.is_empty() {
                "(all)".to_owned()
            } else {
                settings.qr_codes.join(",")
            }
        );
    }
    Ok(exit::OK)
}
