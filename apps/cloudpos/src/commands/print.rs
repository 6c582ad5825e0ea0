//! `cloudpos print …` and `config printer`.

use anyhow::Context;
use cloudpos_domain::order_no::{OrderNo, RefundNo};
use cloudpos_terminal::{PrinterSettings, Terminal, paper_width};
use serde::de::DeserializeOwned;

use crate::cli::{PrintCommand, PrinterConfigArgs};
use crate::exit;

/// Parses an enum setting by its JSON name (`double_height`, `pin2`, …).
fn named<T: DeserializeOwned>(what: &str, text: &str) -> anyhow::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .with_context(|| format!("invalid {what} \"{text}\""))
}

/// The stored settings with a device and width override (for one-off prints).
async fn one_off(
    t: &Terminal,
    device: Option<&str>,
    width: Option<&str>,
) -> anyhow::Result<Option<PrinterSettings>> {
    if device.is_none() && width.is_none() {
        return Ok(None);
    }
    let mut s = t.setting::<PrinterSettings>().await?;
    if let Some(d) = device {
        d.clone_into(&mut s.device);
    }
    if let Some(w) = width {
        s.width = paper_width(w)?;
    }
    s.enabled = true;
    Ok(Some(s))
}

/// Runs a print command.
pub async fn run(t: &Terminal, cmd: PrintCommand) -> anyhow::Result<u8> {
    match cmd {
        PrintCommand::Test { device, width } => {
            let settings = match one_off(t, device.as_deref(), width.as_deref()).await? {
                Some(s) => s,
                None => t.setting::<PrinterSettings>().await?,
            };
            let receipt = t.test_receipt(&settings).await?;
            t.print_receipt(&receipt, Some(settings.clone())).await?;
            println!("test page sent to {}", settings.device);
        }
        PrintCommand::Receipt {
            order,
            refund,
            device,
            width,
        } => {
            let settings = one_off(t, device.as_deref(), width.as_deref()).await?;
            match (order, refund) {
                (Some(o), _) => {
                    let no = OrderNo::parse(o.trim())
                        .map_err(|e| anyhow::anyhow!("bad order number: {e}"))?;
                    t.print_order(&no, settings).await?;
                    println!("receipt of order {no} printed");
                }
                (None, Some(r)) => {
                    let no = RefundNo::parse(r.trim())
                        .map_err(|e| anyhow::anyhow!("bad refund number: {e}"))?;
                    t.print_refund(&no, settings).await?;
                    println!("receipt of refund {no} printed");
                }
                (None, None) => anyhow::bail!("give --order NO or --refund NO"),
            }
        }
        PrintCommand::Preview {
            order,
            refund,
            shift,
            test,
            width,
            png,
        } => {
            let width = paper_width(&width)?;
            let (bytes, what) = if let Some(o) = order {
                let no = OrderNo::parse(o.trim())
                    .map_err(|e| anyhow::anyhow!("bad order number: {e}"))?;
                (t.order_preview(&no, width).await?, format!("order {no}"))
            } else if let Some(r) = refund {
                let no = RefundNo::parse(r.trim())
                    .map_err(|e| anyhow::anyhow!("bad refund number: {e}"))?;
                let receipt = t.refund_receipt_of(&no).await?;
                (
                    t.receipt_preview(&receipt, Some(width)).await?,
                    format!("refund {no}"),
                )
            } else if let Some(id) = shift {
                let report = t.shift_summary(id).await?;
                let receipt = t.summary_receipt(&report.summary).await?;
                (
                    t.receipt_preview(&receipt, Some(width)).await?,
                    format!("shift {id}"),
                )
            } else if test {
                let settings = t.setting::<PrinterSettings>().await?;
                let receipt = t.test_receipt(&settings).await?;
                (
                    t.receipt_preview(&receipt, Some(width)).await?,
                    "the test page".to_owned(),
                )
            } else {
                anyhow::bail!("give --order NO, --refund NO, --shift ID or --test");
            };
            std::fs::write(&png, bytes)
                .with_context(|| format!("cannot write {}", png.display()))?;
            println!("preview of {what} written to {}", png.display());
        }
    }
    Ok(exit::OK)
}

/// `config printer`: shows, or changes and shows, the settings.
pub async fn config(t: &Terminal, a: &PrinterConfigArgs) -> anyhow::Result<u8> {
    let mut s = t.setting::<PrinterSettings>().await?;
    let before = s.clone();
    if let Some(v) = a.enabled {
        s.enabled = v;
    }
    if let Some(v) = &a.device {
        v.clone_into(&mut s.device);
    }
    if let Some(v) = a.copies {
        s.copies = v;
    }
    if let Some(v) = a.interval {
        s.copy_interval_secs = v;
    }
    if let Some(v) = &a.width {
        s.width = paper_width(v)?;
    }
    if let Some(v) = a.top_margin {
        s.top_margin = v;
    }
    if let Some(v) = a.bottom_margin {
        s.bottom_margin = v;
    }
    if let Some(v) = &a.font_size {
        s.font_size = named("font size", v)?;
    }
    if let Some(v) = &a.closing_line {
        v.clone_into(&mut s.closing_line);
    }
    if let Some(v) = &a.cut {
        s.cut = named("cut mode", v)?;
    }
    if let Some(v) = &a.drawer {
        s.cash_drawer = if v == "none" {
            None
        } else {
            Some(named("drawer pin", v)?)
        };
    }
    if let Some(v) = &a.code_page {
        s.code_page = named("code page", v)?;
    }
    if let Some(v) = a.print_codes {
        s.print_codes = v;
    }
    if s != before {
        t.set_setting(&s).await?;
    }
    let value = serde_json::to_value(&s)?;
    if a.json {
        println!("{value}");
    } else if let serde_json::Value::Object(map) = value {
        for (k, v) in map {
            println!("{k:<20} {v}");
        }
    }
    Ok(exit::OK)
}
