//! `setup bind`, `setup unbind`, `setup reset-key` and `notices`: the device's binding and
//! the notices (公告).

use cloudpos_terminal::{Terminal, TerminalError};
use serde_json::json;

use crate::exit;
use crate::input::read_password;

/// `setup bind --config-qr TEXT [--json]`.
pub async fn bind(t: &Terminal, qr: &str, as_json: bool) -> anyhow::Result<u8> {
    let password = read_password("Admin password: ")?;
    let report = t.bind_by_config_qr(qr, &password).await?;
    if as_json {
        println!(
            "{}",
            serde_json::to_value(&report).map_err(|e| TerminalError::Invalid(e.to_string()))?
        );
    } else {
        println!(
            "bound: device {} of store {} (sub-merchant {}); admin clerk {} (log in with `cloudpos login --staff {}`)",
            report.device_id,
            report.out_shop_id,
            report.out_sub_mch_id,
            report.staff_id,
            report.staff_id
        );
    }
    Ok(exit::OK)
}

/// `setup unbind`.
pub async fn unbind(t: &Terminal) -> anyhow::Result<u8> {
    t.unbind_device().await?;
    println!(
        "device unbound: payments, refunds and deposits are refused until it is bound again with `cloudpos setup bind --config-qr TEXT` (records stay readable)"
    );
    Ok(exit::OK)
}

/// `setup reset-key`.
pub async fn reset_key(t: &Terminal) -> anyhow::Result<u8> {
    t.reset_key().await?;
    println!(
        "key cleared: bind again with a configuration QR of the same device (`cloudpos setup bind --config-qr TEXT`)"
    );
    Ok(exit::OK)
}

/// `notices [--json] [--mark-read ID | --mark-all-read]`.
pub async fn notices(
    t: &Terminal,
    as_json: bool,
    mark_read: Option<&str>,
    mark_all: bool,
) -> anyhow::Result<u8> {
    if let Err(e) = t.refresh_notices().await {
        eprintln!("cloudpos: notices not fetched now ({e}); showing those kept");
    }
    if let Some(id) = mark_read {
        t.mark_notice_read(id).await?;
    }
    if mark_all {
        t.mark_all_notices_read().await?;
    }
    let list = t.notices().await?;
    let offset = t.offset_seconds();
    if as_json {
        let items: Vec<_> = list
            .iter()
            .map(|n| {
                json!({
                    "id": n.id,
                    "title": n.title,
                    "body": n.body,
                    "published_at": n.published_at.format(offset),
                    "read": !n.unread(),
                })
            })
            .collect();
        let unread = list.iter().filter(|n| n.unread()).count();
        println!("{}", json!({ "unread": unread, "notices": items }));
        return Ok(exit::OK);
    }
    if list.is_empty() {
        println!("no notices");
    }
    for n in &list {
        println!(
            "{} {} {} [{}]\n    {}",
            if n.unread() { "●" } else { " " },
            n.published_at.format(offset),
            n.title,
            n.id,
            n.body.replace('\n', "\n    ")
        );
    }
    Ok(exit::OK)
}
