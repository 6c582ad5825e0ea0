//! `cloudpos config basic …`: what the cashier's 基础配置 page sets, for scripted installs.

use anyhow::bail;
use cloudpos_domain::catalog::CheckoutMode;
use cloudpos_terminal::{BasicSettings, Language, Mode, StartWindow, Terminal};
use serde_json::json;

use crate::cli::{BasicConfigArgs, CheckoutArg, LanguageArg, ModeArg, WindowArg};
use crate::exit;

/// Changes the given settings (the configure permission is checked by the terminal) and
/// prints them all.
pub async fn config(t: &Terminal, a: &BasicConfigArgs) -> anyhow::Result<u8> {
    let mut s = if a.reset {
        BasicSettings::default()
    } else {
        t.setting::<BasicSettings>().await?
    };
    if let Some(m) = a.mode {
        s.mode = match m {
            ModeArg::Plugin => Mode::Plugin,
            ModeArg::Full => Mode::Full,
        };
    }
    if let Some(c) = a.checkout {
        s.checkout_mode = match c {
            CheckoutArg::Full => CheckoutMode::Full,
            CheckoutArg::Simple => CheckoutMode::Simple,
            CheckoutArg::Total => CheckoutMode::TotalAmount,
        };
    }
    for (value, field) in [
        (a.capture_amount, &mut s.capture_amount),
        (a.capture_serial, &mut s.capture_serial),
        (a.scan_opens_window, &mut s.scan_opens_window),
        (a.preprocess, &mut s.preprocess),
        (a.zoom, &mut s.zoom),
        (a.touch, &mut s.touch),
    ] {
        if let Some(v) = value {
            *field = v;
        }
    }
    if let Some(v) = &a.auto_pay {
        s.auto_pay_secs = match v.trim() {
            "off" | "manual" => None,
            n => match n.parse::<u32>() {
                Ok(secs) => Some(secs),
                Err(_) => bail!("--auto-pay takes a number of seconds (0–60) or off, not {v:?}"),
            },
        };
    }
    if let Some(v) = a.result_secs {
        s.result_display_secs = v;
    }
    if let Some(v) = a.min_confidence {
        s.min_confidence_permille = v;
    }
    if let Some(l) = a.language {
        s.language = match l {
            LanguageArg::Zh => Language::Zh,
            LanguageArg::En => Language::En,
        };
    }
    if let Some(w) = a.window {
        s.start_window = match w {
            WindowArg::Normal => StartWindow::Normal,
            WindowArg::Maximized => StartWindow::Maximized,
            WindowArg::Fullscreen => StartWindow::Fullscreen,
        };
    }
    let given = a.reset
        || a.mode.is_some()
        || a.checkout.is_some()
        || a.capture_amount.is_some()
        || a.capture_serial.is_some()
        || a.scan_opens_window.is_some()
        || a.preprocess.is_some()
        || a.zoom.is_some()
        || a.touch.is_some()
        || a.auto_pay.is_some()
        || a.result_secs.is_some()
        || a.min_confidence.is_some()
        || a.language.is_some()
        || a.window.is_some();
    if given {
        // Checks the configure permission, validates and audits.
        t.set_setting(&s).await?;
    }
    let shown = json!({
        "mode": match s.mode { Mode::Plugin => "plugin", Mode::Full => "full" },
        "checkout": match s.checkout_mode {
            CheckoutMode::Full => "full",
            CheckoutMode::Simple => "simple",
            CheckoutMode::TotalAmount => "total",
        },
        "capture_amount": s.capture_amount,
        "capture_serial": s.capture_serial,
        "scan_opens_window": s.scan_opens_window,
        "preprocess": s.preprocess,
        "zoom": s.zoom,
        "touch": s.touch,
        "auto_pay_secs": s.auto_pay_secs,
        "result_secs": s.result_display_secs,
        "min_confidence_permille": s.min_confidence_permille,
        "language": match s.language { Language::Zh => "zh", Language::En => "en" },
        "window": match s.start_window {
            StartWindow::Normal => "normal",
            StartWindow::Maximized => "maximized",
            StartWindow::Fullscreen => "fullscreen",
        },
    });
    if a.json {
        println!("{shown}");
    } else if let serde_json::Value::Object(map) = shown {
        for (k, v) in map {
            println!("{k:<24} {v}");
        }
    }
    Ok(exit::OK)
}
