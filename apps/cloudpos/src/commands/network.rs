//! `config network`: proxy, timeouts and an extra root CA for reaching Cloud Pay.

use anyhow::Context;
use cloudpos_terminal::{NetworkSettings, Terminal};
use serde_json::json;

use crate::cli::NetworkConfigArgs;
use crate::exit;
use crate::input::read_password;

/// Changes what the options name (nothing else), then shows the settings.
pub async fn config(t: &Terminal, args: &NetworkConfigArgs) -> anyhow::Result<u8> {
    let mut settings = if args.reset {
        NetworkSettings::default()
    } else {
        t.network_settings().await?
    };
    let mut changed = args.reset;
    let text = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
    if let Some(url) = &args.proxy {
        settings.proxy_url = text(url);
        if settings.proxy_url.is_none() {
            settings.proxy_user = None;
        }
        changed = true;
    }
    if let Some(user) = &args.proxy_user {
        settings.proxy_user = text(user);
        changed = true;
    }
    if let Some(ms) = args.connect_timeout_ms {
        settings.connect_timeout_ms = Some(ms);
        changed = true;
    }
    if let Some(ms) = args.request_timeout_ms {
        settings.request_timeout_ms = Some(ms);
        changed = true;
    }
    if let Some(path) = &args.ca_file {
        settings.root_ca_pem = if path.as_os_str().is_empty() {
            None
        } else {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                anyhow::bail!("{} is not a PEM certificate", path.display());
            }
            Some(pem)
        };
        changed = true;
    }
    let password = if args.proxy_password_stdin {
        // An empty line removes the password.
        Some(read_password("proxy password: ").unwrap_or_default())
    } else if args.reset || args.proxy.as_deref().is_some_and(|p| p.trim().is_empty()) {
        Some(String::new())
    } else {
        None
    };
    if changed || password.is_some() {
        t.set_network_settings(&settings, password.as_deref())
            .await?;
    }
    let shown = json!({
        "proxy": settings.proxy_url,
        "proxy_user": settings.proxy_user,
        "proxy_password_set": t.has_proxy_password().await?,
        "connect_timeout_ms": settings.connect_timeout_ms,
        "request_timeout_ms": settings.request_timeout_ms,
        "extra_root_ca": settings.root_ca_pem.is_some(),
    });
    if args.json {
        println!("{shown}");
    } else if let serde_json::Value::Object(map) = shown {
        for (k, v) in map {
            println!("{k:<20} {v}");
        }
    }
    Ok(exit::OK)
}
