//! `config network`: proxy, timeouts and an extra root CA for reaching Cloud Pay.

use anyhow::Context;
use cloudpos_domain::ports::CloudDomains;
use cloudpos_terminal::{NetworkSettings, Terminal, TerminalError};
use serde_json::json;

use crate::cli::NetworkConfigArgs;
use crate::exit;
use crate::input::read_password;

/// Changes what the options name (nothing else), then shows the settings.
pub async fn config(t: &Terminal, args: &NetworkConfigArgs) -> anyhow::Result<u8> {
    let mut settings = if args.reset {
        NetworkSettings::default()
    } else {
        t.setting::<NetworkSettings>().await?
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
    let mut shown = json!({
        "proxy": settings.proxy_url,
        "proxy_user": settings.proxy_user,
        "proxy_password_set": t.has_proxy_password().await?,
        "connect_timeout_ms": settings.connect_timeout_ms,
        "request_timeout_ms": settings.request_timeout_ms,
        "extra_root_ca": settings.root_ca_pem.is_some(),
    });
    let domains = if args.show {
        match t.cloud_domains(true).await {
            Ok(d) => Some(d),
            Err(TerminalError::NotConfigured) => Some(CloudDomains::default()),
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    if let Some(d) = &domains {
        shown["domains"] = serde_json::to_value(&d.domains)?;
        shown["domain_in_use"] = json!(d.in_use);
    }
    if args.json {
        println!("{shown}");
        return Ok(exit::OK);
    }
    if let serde_json::Value::Object(map) = &shown {
        for (k, v) in map {
            if k != "domains" && k != "domain_in_use" {
                println!("{k:<20} {v}");
            }
        }
    }
    if let Some(d) = &domains {
        if d.domains.is_empty() {
            println!("{:<20} none (no merchant configured)", "domain_in_use");
        }
        for domain in &d.domains {
            let state = match (domain.answers, &domain.error) {
                (Some(true), _) => "answers ping".to_owned(),
                (Some(false), Some(e)) => format!("does not answer: {e}"),
                (Some(false), None) => "does not answer".to_owned(),
                (None, _) => "not probed".to_owned(),
            };
            let mark = if d.in_use.as_deref() == Some(domain.base_url.as_str()) {
                "  <- in use"
            } else {
                ""
            };
            println!("{:<20} {} ({state}){mark}", "domain", domain.base_url);
        }
        if let Some(url) = &d.in_use {
            println!("{:<20} {url}", "domain_in_use");
        }
    }
    Ok(exit::OK)
}
