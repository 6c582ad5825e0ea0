//! `config hq`, `hq status`, `hq sync --once`: the till side of the head office.

use cloudpos_domain::member_hq::MovementKind;
use cloudpos_terminal::{HeadOfficeStatus, Terminal};
use serde_json::json;

use crate::cli::HqCommand;
use crate::exit;

/// `config hq --url URL --enrol-token TOKEN`
pub async fn config(t: &Terminal, url: &str, token: &str) -> anyhow::Result<u8> {
    let e = t.configure_head_office(url, token).await?;
    println!(
        "head office configured: {} (store {}, device {}, till #{}); {} existing change(s) queued for the first sync",
        e.url, e.store, e.device, e.terminal_id, e.backfilled
    );
    Ok(exit::OK)
}

fn status_json(s: &HeadOfficeStatus, offset: i32) -> serde_json::Value {
    json!({
        "pending": s.pending,
        "last_sync": s.last_sync.map(|t| t.rfc3339(offset)),
        "lag_ms": s.lag_ms,
        "configured": s.configured,
        "url": s.url,
        "store": s.store,
        "device": s.device,
        "terminal_id": s.terminal_id,
        "last_error": s.last_error,
        "acknowledged_through": s.acknowledged_through,
        "last_seq": s.last_seq,
        "catalog_version": s.catalog_version,
        "card_refused": s.refused_movements.len(),
        "card_refused_credits": s
            .refused_movements
            .iter()
            .filter(|r| r.intent.credits_the_card())
            .count(),
    })
}

/// One line per member-card movement the head office refused for good, saying what to do.
fn refused_lines(s: &HeadOfficeStatus, offset: i32) -> Vec<String> {
    s.refused_movements
        .iter()
        .map(|r| {
            let m = &r.intent.movement;
            let reason = r.intent.refusal.as_deref().unwrap_or("refused");
            let todo = if m.kind == MovementKind::Payment {
                "the payment ended failed, nothing was taken from the card: take the payment again"
                    .to_owned()
            } else if r.intent.credits_the_card() {
                let owed = m.amount.checked_add(m.bonus).unwrap_or(m.amount);
                format!(
                    "the credit was NOT applied: an administrator must adjust card {} by +¥{owed} \
                     at the head office (`cloudpos member adjust --card {} --amount {owed} --reason …`)",
                    m.card_no, m.card_no
                )
            } else {
                "the adjustment was not applied: adjust again if it is still needed".to_owned()
            };
            format!(
                "  {} {} {} of card {} ¥{} refused ({reason}): {todo}",
                r.at.format(offset),
                m.kind,
                m.key,
                m.card_no,
                m.amount
            )
        })
        .collect()
}

/// `hq status|sync`
pub async fn run(t: &Terminal, cmd: HqCommand) -> anyhow::Result<u8> {
    let offset = t.offset_seconds();
    match cmd {
        HqCommand::Status { json } => {
            let s = t.head_office_status().await?;
            if json {
                println!("{}", status_json(&s, offset));
            } else if !s.configured {
                println!(
                    "no head office configured (run `cloudpos config hq --url URL --enrol-token TOKEN`); {} change(s) pending",
                    s.pending
                );
            } else {
                println!(
                    "head office {}: {} pending, lag {} ms, last sync {}{}",
                    s.url.as_deref().unwrap_or("-"),
                    s.pending,
                    s.lag_ms,
                    s.last_sync
                        .map_or_else(|| "never".to_owned(), |t| t.format(offset)),
                    s.last_error
                        .as_deref()
                        .map(|e| format!("; last error: {e}"))
                        .unwrap_or_default()
                );
            }
            if !json && !s.refused_movements.is_empty() {
                println!(
                    "{} member card movement(s) refused for good by the head office (not sent again):",
                    s.refused_movements.len()
                );
                for line in refused_lines(&s, offset) {
                    println!("{line}");
                }
            }
            Ok(exit::OK)
        }
        HqCommand::Sync { once, json } => {
            if !once {
                let task = t.spawn_head_office_sync();
                eprintln!("syncing with the head office every few seconds; Ctrl+C stops");
                tokio::signal::ctrl_c().await?;
                task.abort();
                return Ok(exit::OK);
            }
            let r = t
                .sync_head_office()
                .await
                .map_err(|e| anyhow::anyhow!("head office sync failed: {e}"))?;
            if json {
                println!(
                    "{}",
                    json!({
                        "pushes": r.pushes,
                        "applied": r.applied,
                        "duplicates": r.duplicates,
                        "applied_through": r.applied_through,
                        "catalog_changes": r.catalog_changes,
                        "catalog_version": r.catalog_version,
                        "pending": r.pending,
                    })
                );
            } else {
                println!(
                    "synced: {} change(s) applied ({} already held), {} catalogue change(s); {} pending",
                    r.applied, r.duplicates, r.catalog_changes, r.pending
                );
            }
            Ok(exit::OK)
        }
    }
}
