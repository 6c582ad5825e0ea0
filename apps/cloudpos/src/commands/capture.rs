//! `capture read` and `capture region`: plug-in mode's screen reading from the command line
//! (checking a region or the recogniser on pictures, and drawing regions without the GUI).
//!
//! An amount is printed with the sign the host shows: a return in progress (`合计:¥-86.50`)
//! is `amount_fen` −8650 with `kind` `return`, never a payment (`kind` `charge`).

use cloudpos_domain::money::Money;
use cloudpos_domain::ports::{AmountReading, ScreenTotal};
use cloudpos_terminal::{BasicSettings, Terminal, parse_screen_region, screen_region_text};
use serde_json::json;

use crate::cli::{CaptureCommand, RegionCommand};
use crate::exit;

/// Runs one `capture` command.
pub async fn run(t: &Terminal, cmd: CaptureCommand) -> anyhow::Result<u8> {
    match cmd {
        CaptureCommand::Read {
            images,
            screen,
            serial,
            json,
        } => {
            if screen {
                read_screen(t, serial, json).await
            } else {
                read_pictures(t, &images, serial, json).await
            }
        }
        CaptureCommand::Region(RegionCommand::Set {
            screen,
            rect,
            scale,
            serial,
            json,
        }) => {
            let (amount, serial_rect) = if serial {
                (None, Some(rect.as_str()))
            } else {
                (Some(rect.as_str()), None)
            };
            region(t, amount, serial_rect, screen, scale, false, json).await
        }
        CaptureCommand::Region(RegionCommand::Show { json }) => {
            region(t, None, None, 0, 100, false, json).await
        }
        CaptureCommand::Region(RegionCommand::Clear { json }) => {
            region(t, None, None, 0, 100, true, json).await
        }
    }
}

async fn read_pictures(
    t: &Terminal,
    images: &[std::path::PathBuf],
    serial: bool,
    as_json: bool,
) -> anyhow::Result<u8> {
    let mut status = exit::OK;
    for path in images {
        let file = path.display().to_string();
        if serial {
            let read = t.read_serial_in_picture(path).await?;
            if read.is_none() {
                status = exit::NOT_DONE;
            }
            if as_json {
                println!("{}", json!({"file": file, "serial": read}));
            } else {
                println!("{file}\t{}", read.as_deref().unwrap_or("(nothing read)"));
            }
            continue;
        }
        let r = t.read_amount_in_picture(path).await?;
        if r.reading.amount.is_none() {
            status = exit::NOT_DONE;
        }
        if as_json {
            let mut v = reading_json(&r.reading, r.needs_confirmation);
            v["file"] = json!(file);
            v["problem"] = json!(r.problem);
            println!("{v}");
        } else {
            let note = r
                .problem
                .clone()
                .unwrap_or_else(|| note(&r.reading, r.needs_confirmation));
            println!("{file}\t{}\t{note}", reading_line(&r.reading));
        }
    }
    Ok(status)
}

async fn read_screen(t: &Terminal, serial: bool, as_json: bool) -> anyhow::Result<u8> {
    if serial {
        let read = t.read_serial().await?;
        if as_json {
            println!("{}", json!({"serial": read}));
        } else {
            println!("{}", read.as_deref().unwrap_or("(nothing read)"));
        }
        return Ok(if read.is_some() {
            exit::OK
        } else {
            exit::NOT_DONE
        });
    }
    let r = t.read_amount().await?;
    let min = t.setting::<BasicSettings>().await?.min_confidence_permille;
    let confident = r.amount.is_some() && r.confidence_permille >= min;
    if as_json {
        println!("{}", reading_json(&r, !confident));
    } else {
        println!(
            "{}\t{}\t{}",
            reading_line(&r),
            r.source,
            note(&r, r.amount.is_some() && !confident)
        );
    }
    Ok(if confident { exit::OK } else { exit::NOT_DONE })
}

/// What a read means for a payment: `charge`, `return` (the host shows a negative total) or
/// `nothing`.
fn kind(r: &AmountReading) -> &'static str {
    match r.total() {
        ScreenTotal::Charge(_) => "charge",
        ScreenTotal::Return(_) => "return",
        ScreenTotal::Nothing => "nothing",
    }
}

/// The note after a read in text mode.
fn note(r: &AmountReading, needs_confirmation: bool) -> String {
    let mut note = match r.total() {
        ScreenTotal::Return(m) => {
            format!("the host shows a return of {m} (主机显示退货), not a payment")
        }
        ScreenTotal::Charge(_) | ScreenTotal::Nothing => String::new(),
    };
    if needs_confirmation {
        if !note.is_empty() {
            note.push_str("; ");
        }
        note.push_str("needs the cashier's confirmation");
    }
    note
}

/// One reading as JSON (the fields both `capture read` forms print). `amount_fen` is signed:
/// negative when the host shows a return in progress (`kind` `return`).
fn reading_json(r: &AmountReading, needs_confirmation: bool) -> serde_json::Value {
    json!({
        "amount_fen": r.amount.map(Money::fen),
        "amount": r.amount.map(|m| m.to_string()),
        "kind": kind(r),
        "text": r.text,
        "confidence": f64::from(r.confidence_permille) / 1000.0,
        "confidence_permille": r.confidence_permille,
        "source": r.source,
        "needs_confirmation": needs_confirmation,
    })
}

/// One reading as text: amount (or `-`), the text read, the confidence.
fn reading_line(r: &AmountReading) -> String {
    format!(
        "{}\t\"{}\"\t{:.1}%",
        r.amount.map_or_else(|| "-".to_owned(), |m| m.to_string()),
        r.text,
        f64::from(r.confidence_permille) / 10.0
    )
}

async fn region(
    t: &Terminal,
    amount: Option<&str>,
    serial: Option<&str>,
    screen: u32,
    scale: u32,
    clear: bool,
    as_json: bool,
) -> anyhow::Result<u8> {
    let mut basic = t.setting::<BasicSettings>().await?;
    let changed = clear || amount.is_some() || serial.is_some();
    if clear {
        basic.amount_region = None;
        basic.serial_region = None;
        basic.capture_serial = false;
    }
    if let Some(rect) = amount {
        basic.amount_region = Some(parse_screen_region(screen, rect, scale)?);
        basic.capture_amount = true;
    }
    if let Some(rect) = serial {
        basic.serial_region = Some(parse_screen_region(screen, rect, scale)?);
        basic.capture_serial = true;
    }
    if changed {
        t.set_setting(&basic).await?;
    }
    let show = |r: Option<cloudpos_domain::ports::ScreenRegion>| {
        r.map(|r| {
            json!({"screen": r.screen, "rect": screen_region_text(&r), "scale_percent": r.scale_percent})
        })
    };
    let shown = json!({
        "amount": show(basic.amount_region),
        "serial": show(basic.serial_region),
        "capture_amount": basic.capture_amount,
        "capture_serial": basic.capture_serial,
    });
    if as_json {
        println!("{shown}");
    } else if let serde_json::Value::Object(map) = shown {
        for (k, v) in map {
            println!("{k:<16} {v}");
        }
    }
    Ok(exit::OK)
}
